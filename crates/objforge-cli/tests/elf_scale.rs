//! Objects past the limits small tests never reach: more sections than ELF's 16-bit section
//! index holds (extended numbering), and a million relocations. Both must link and run.

mod common;

use std::process::Command;

use objforge::*;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn x86_64() -> Object {
    Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap())
}

/// 70,000 sections, each holding a pointer to the next: `_start` follows the chain and exits
/// 42 only if it took exactly 70,000 steps, so every pointer resolved to the right section.
#[test]
fn seventy_thousand_sections_link_and_run() {
    const N: usize = 70_000;
    let dir = common::scratch("scale_sections");
    let mut obj = x86_64();
    let code = hex(
        "48 8d 3d 00 00 00 00  31 c9  ff c1  48 8b 3f  48 85 ff  75 f6  bf 01 00 00 00
         81 f9 70 11 01 00  75 05  bf 2a 00 00 00  b8 3c 00 00 00  0f 05",
    );
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(code));
    obj.add_symbol(
        Symbol::defined("_start", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    let links: Vec<SectionId> = (0..N)
        .map(|i| {
            obj.add_section(
                Section::new(format!(".data.link{i}"), SectionKind::Data)
                    .with_align(8)
                    .with_bytes(vec![0; 8]),
            )
        })
        .collect();
    let symbols: Vec<SymbolId> = links
        .iter()
        .map(|&s| obj.add_symbol(Symbol::section(s)))
        .collect();
    obj.add_relocation(Relocation::new(text, 3, symbols[0], RelocKind::Pcrel32).with_addend(-4));
    for i in 0..N - 1 {
        obj.add_relocation(Relocation::new(
            links[i],
            0,
            symbols[i + 1],
            RelocKind::Abs64,
        ));
    }
    let o = dir.join("chain.o");
    std::fs::write(&o, obj.write().unwrap()).unwrap();

    let header = common::run_ok(
        Command::new("llvm-readobj-19")
            .arg("--file-headers")
            .arg(&o),
    );
    assert!(header.contains("SectionHeaderCount: 0"), "{header}");
    common::check_elf(&o);
    for (linker, args) in [("ld", vec!["-static"]), ("ld.lld-19", vec!["-static"])] {
        let exe = dir.join(format!("chain-{linker}"));
        common::run_ok(Command::new(linker).args(&args).arg(&o).arg("-o").arg(&exe));
        assert_eq!(
            common::run_program(None, &exe),
            (String::new(), 42),
            "{linker}"
        );
    }
}

/// A million absolute pointers, `table[i] = &target + i`: `_start` checks every one and exits
/// 42 only if all resolved.
#[test]
fn a_million_relocations_link_and_run() {
    const N: usize = 1_000_000;
    let dir = common::scratch("scale_relocations");
    let mut obj = x86_64();
    let code = hex(
        "48 8d 35 00 00 00 00  48 8d 15 00 00 00 00  b9 40 42 0f 00  48 8b 06  48 39 d0  75 12
         48 83 c6 08  48 ff c2  ff c9  75 ed  bf 2a 00 00 00  eb 05  bf 01 00 00 00
         b8 3c 00 00 00  0f 05",
    );
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(code));
    let table = obj.add_section(
        Section::new(".data", SectionKind::Data)
            .with_align(8)
            .with_bytes(vec![0; 8 * N]),
    );
    let rodata = obj.add_section(Section::new(".rodata", SectionKind::Rodata).with_bytes(vec![0]));
    obj.add_symbol(
        Symbol::defined("_start", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    let table_sym =
        obj.add_symbol(Symbol::defined("table", table, 0).with_kind(SymbolKind::Object));
    let target = obj.add_symbol(
        Symbol::defined("target", rodata, 0)
            .with_kind(SymbolKind::Object)
            .with_binding(Binding::Global)
            .with_size(1),
    );
    obj.add_relocation(Relocation::new(text, 3, table_sym, RelocKind::Pcrel32).with_addend(-4));
    obj.add_relocation(Relocation::new(text, 10, target, RelocKind::Pcrel32).with_addend(-4));
    for i in 0..N {
        obj.add_relocation(
            Relocation::new(table, 8 * i as u64, target, RelocKind::Abs64).with_addend(i as i64),
        );
    }
    let o = dir.join("table.o");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    common::check_elf(&o);
    for (linker, args) in [("ld", vec!["-static"]), ("ld.lld-19", vec!["-static"])] {
        let exe = dir.join(format!("table-{linker}"));
        common::run_ok(Command::new(linker).args(&args).arg(&o).arg("-o").arg(&exe));
        assert_eq!(
            common::run_program(None, &exe),
            (String::new(), 42),
            "{linker}"
        );
    }
}
