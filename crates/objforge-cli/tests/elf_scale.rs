//! Objects past the limits small tests never reach: more sections than ELF's 16-bit section
//! index holds (extended numbering), and a million relocations. Both must link and run.

mod common;
mod scale_support;

use std::process::Command;

use objforge::*;
use scale_support::hex;

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
    scale_support::add_section_chain(&mut obj, text, 3, N, |i| format!(".data.link{i}"));
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

/// 70,000 sections nothing relocates against get no section symbols, as from GNU as and LLVM.
/// (Writing one per section put a section symbol at index 0xfff2 through `SHN_XINDEX`, which
/// eu-elflint --strict reads as a local common symbol.)
#[test]
fn seventy_thousand_unreferenced_sections_have_no_section_symbols() {
    let dir = common::scratch("scale_unreferenced_sections");
    let mut obj = x86_64();
    for i in 0..70_000 {
        obj.add_section(
            Section::new(format!(".data.d{i}"), SectionKind::Data).with_bytes(vec![i as u8]),
        );
    }
    let o = dir.join("sections.o");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    common::check_elf(&o);
    let symbols = common::readobj(&["--symbols"], &o);
    assert_eq!(symbols.matches("Type: Section").count(), 0);
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
    obj.add_symbol(
        Symbol::defined("_start", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    scale_support::add_pointer_table(&mut obj, text, (3, 10), N, ".rodata");
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
