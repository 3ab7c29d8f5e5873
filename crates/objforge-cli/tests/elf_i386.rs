//! i386 ELF end to end: a JSON spec as a backend writes it (machine code with the relocated
//! fields zero, symbols, relocations with explicit addends) built with the `objforge` CLI into
//! an ELFCLASS32 object with REL relocations, checked by the strict validators, linked
//! statically with GNU ld and ld.lld, run natively.
//!
//! The fixture is `tests/fixtures/i386/static_all.json`; `static_all.s` is the assembly it
//! encodes (documentation only; `../x86_64/make_spec.py` regenerates the spec from it).

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// What `static_all.json` prints when every relocation resolved; it exits with the line count.
const STATIC_ALL_OUTPUT: &str = "\
ok abs8
ok abs16
ok abs32
ok abs32 mem
ok abs32 fptr
ok pcrel8 data
ok pcrel8 jmp
ok pcrel16
ok pcrel32
ok x86_branch32 call
ok x86_branch32 weak
ok x86_branch32 hidden
ok diff8
ok diff16
ok diff32
";

/// REL keeps the addend in the field: for every relocation of the spec, the object's field
/// holds the addend (for `diff*`, which become PC-relative, the addend plus the distance from
/// the `minus` label to the field), truncated to the field's size.
fn check_addends_in_place(spec: &Value, obj: &Path) {
    let symbol_offset = |name: &str| -> i64 {
        let sym = spec["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no symbol {name} in the spec"));
        sym["offset"].as_i64().unwrap()
    };
    let mut sections = std::collections::HashMap::new();
    let mut checked = 0;
    let mut nonzero = 0;
    for r in spec["relocations"].as_array().unwrap() {
        let section = r["section"].as_str().unwrap();
        let offset = r["offset"].as_u64().unwrap() as usize;
        let kind = r["kind"].as_str().unwrap();
        let size = match kind {
            "abs8" | "pcrel8" | "diff8" => 1,
            "abs16" | "pcrel16" | "diff16" => 2,
            _ => 4,
        };
        let mut want = r["addend"].as_i64().unwrap();
        if let Some(minus) = r["minus"].as_str() {
            want += offset as i64 - symbol_offset(minus);
        }
        let bytes = sections
            .entry(section)
            .or_insert_with(|| common::section_bytes(obj, section));
        let mut field = [0u8; 8];
        field[..size].copy_from_slice(&bytes[offset..offset + size]);
        let mask = if size == 8 {
            !0
        } else {
            (1u64 << (8 * size)) - 1
        };
        assert_eq!(
            u64::from_le_bytes(field),
            want as u64 & mask,
            "{section}+{offset:#x} ({kind}, addend {want})"
        );
        checked += 1;
        nonzero += usize::from(want != 0);
    }
    assert!(
        checked > 40 && nonzero > 30,
        "{checked} fields, {nonzero} non-zero"
    );
}

#[test]
fn static_program_uses_every_i386_relocation_kind() {
    let dir = common::scratch("i386_static_all");
    let spec_path = common::fixture("i386/static_all.json");
    let obj = dir.join("static_all.o");
    common::build(&spec_path, &obj);
    common::check_elf(&obj);

    let header = common::run_ok(Command::new("llvm-readobj-19").arg("-h").arg(&obj));
    assert!(header.contains("Class: 32-bit"), "{header}");
    assert!(header.contains("Machine: EM_386"), "{header}");
    let relocs = common::run_ok(Command::new("llvm-readobj-19").arg("-r").arg(&obj));
    assert!(
        relocs.contains(".rel.text") && !relocs.contains(".rela"),
        "{relocs}"
    );
    for t in [
        "R_386_8 ",
        "R_386_16 ",
        "R_386_32 ",
        "R_386_PC8 ",
        "R_386_PC16 ",
        "R_386_PC32 ",
        "R_386_PLT32 ",
    ] {
        assert!(relocs.contains(t), "no {t}in {relocs}");
    }
    let spec: Value = serde_json::from_slice(&std::fs::read(&spec_path).unwrap()).unwrap();
    check_addends_in_place(&spec, &obj);

    let expected = (
        STATIC_ALL_OUTPUT.to_string(),
        STATIC_ALL_OUTPUT.lines().count() as i32,
    );
    let gnu = dir.join("static_all");
    common::run_ok(
        Command::new("ld")
            .args(["-m", "elf_i386", "-static"])
            .arg(&obj)
            .arg("-o")
            .arg(&gnu),
    );
    assert_eq!(common::run_program(None, &gnu), expected);
    let lld = dir.join("static_all-lld");
    common::link_lld(&[&obj], &["-m", "elf_i386", "-static"], &lld);
    assert_eq!(common::run_program(None, &lld), expected);
}

/// REL's field is the addend, so objforge writes it even when the addend is 0: a placeholder a
/// JIT left in the field (here 0xdeadbeef) must not become an addend.
#[test]
fn rel_fields_are_written_even_for_a_zero_addend() {
    use objforge::*;
    let dir = common::scratch("i386_rel_zero_addend");
    let mut obj = Object::new(Target::from_triple("i386-unknown-linux-gnu").unwrap());
    // call ext (placeholder displacement); ret. A data word holding a placeholder pointer.
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_bytes(vec![0xe8, 0xef, 0xbe, 0xad, 0xde, 0xc3]),
    );
    let data = obj.add_section(
        Section::new(".data", SectionKind::Data).with_bytes(vec![0xef, 0xbe, 0xad, 0xde]),
    );
    let ext = obj.add_symbol(Symbol::undefined("ext"));
    obj.add_relocation(Relocation::new(text, 1, ext, RelocKind::X86Branch32).with_addend(-4));
    obj.add_relocation(Relocation::new(data, 0, ext, RelocKind::Abs32));
    let o = dir.join("zero.o");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    common::check_elf(&o);
    assert_eq!(
        common::section_bytes(&o, ".text"),
        [0xe8, 0xfc, 0xff, 0xff, 0xff, 0xc3]
    );
    assert_eq!(common::section_bytes(&o, ".data"), [0, 0, 0, 0]);
}
