//! The COFF writer's choices, one at a time, read back with the `object` crate and
//! llvm-readobj: which REL32_k an addend picks and what lands in the field (and how `native`
//! overrides it), C name decoration on i386, `.file` records, weak externals, commons, section
//! characteristics, section checksums, and the ELF writer ignoring COMDAT selections.

mod coff_support;
mod common;

use object::{Object as _, ObjectSection, ObjectSymbol, RelocationFlags};
use objforge::*;

fn target(triple: &str) -> Object {
    Object::new(Target::from_triple(triple).unwrap())
}

/// Writes `obj` to `NAME.obj` in a scratch directory, checks it with the readers (COFF only)
/// and returns its bytes.
fn written(obj: &Object, name: &str) -> Vec<u8> {
    let bytes = obj.write().unwrap();
    let path = common::scratch(&format!("coff_model_{name}")).join(format!("{name}.obj"));
    std::fs::write(&path, &bytes).unwrap();
    if obj.target.format == Format::Coff {
        coff_support::check_coff(&path);
    }
    bytes
}

/// (offset, COFF type) of every relocation of the first section, and that section's bytes.
fn first_section(bytes: &[u8]) -> (Vec<(u64, u16)>, Vec<u8>) {
    let file = object::File::parse(bytes).unwrap();
    let section = file.sections().next().unwrap();
    let relocs = section
        .relocations()
        .map(|(offset, r)| match r.flags() {
            RelocationFlags::Coff { typ } => (offset, typ),
            other => panic!("not COFF: {other:?}"),
        })
        .collect();
    (relocs, section.data().unwrap().to_vec())
}

fn field(data: &[u8], at: u64) -> i32 {
    i32::from_le_bytes(data[at as usize..at as usize + 4].try_into().unwrap())
}

#[test]
fn rel32_k_follows_the_addend_and_native_picks_its_own() {
    let mut obj = target("x86_64-pc-windows-msvc");
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(vec![0; 64]));
    let f = obj.add_symbol(Symbol::undefined("f"));
    // (addend, expected type, expected field): the field holds A + 4 + k.
    let cases: [(i64, u16, i32); 8] = [
        (-4, 4, 0),
        (-5, 5, 0),
        (-6, 6, 0),
        (-7, 7, 0),
        (-8, 8, 0),
        (-9, 9, 0),
        (-3, 4, 1),
        (8, 4, 12),
    ];
    for (i, (addend, _, _)) in cases.iter().enumerate() {
        obj.add_relocation(
            Relocation::new(text, 4 * i as u64, f, RelocKind::Pcrel32).with_addend(*addend),
        );
    }
    // REL32_3 asked for by type: the addend keeps its RELA meaning, so the field is A + 7.
    let native = RelocKind::Native(NativeReloc {
        r_type: 7,
        pcrel: false,
        length: 0,
        size: 4,
    });
    obj.add_relocation(Relocation::new(text, 32, f, native).with_addend(-4));
    // A type objforge does not know (SSPAN32) keeps its bytes, or stores a given addend as is.
    let sspan = RelocKind::Native(NativeReloc {
        r_type: 0x10,
        pcrel: false,
        length: 0,
        size: 4,
    });
    obj.add_relocation(Relocation::new(text, 36, f, sspan).with_addend(0x1234));
    let (relocs, data) = first_section(&written(&obj, "rel32"));
    for (i, (addend, typ, stored)) in cases.iter().enumerate() {
        let at = 4 * i as u64;
        assert_eq!(relocs[i], (at, *typ), "addend {addend}");
        assert_eq!(field(&data, at), *stored, "addend {addend}");
    }
    assert_eq!(relocs[8], (32, 7));
    assert_eq!(field(&data, 32), 3);
    assert_eq!(relocs[9], (36, 0x10));
    assert_eq!(field(&data, 36), 0x1234);
}

#[test]
fn i386_decorates_c_names_unless_told_not_to() {
    let names = |mangle: bool, triple: &str| -> Vec<String> {
        let mut obj = target(triple);
        obj.options.mangle = mangle;
        let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes([0xc3]));
        for name in ["f", "?g@@YAXXZ", "@h@8", "ExitProcess@4"] {
            obj.add_symbol(Symbol::defined(name, text, 0).with_binding(Binding::Global));
        }
        let bytes = written(&obj, &format!("names_{mangle}_{}", obj.target.arch));
        let file = object::File::parse(&*bytes).unwrap();
        file.symbols()
            .filter(|s| s.is_global())
            .map(|s| s.name().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(true, "i686-pc-windows-msvc"),
        ["_f", "?g@@YAXXZ", "@h@8", "_ExitProcess@4"]
    );
    assert_eq!(
        names(false, "i686-pc-windows-msvc"),
        ["f", "?g@@YAXXZ", "@h@8", "ExitProcess@4"]
    );
    assert_eq!(
        names(true, "x86_64-pc-windows-msvc"),
        ["f", "?g@@YAXXZ", "@h@8", "ExitProcess@4"]
    );
}

#[test]
fn file_records_weak_externals_and_commons() {
    let dir = common::scratch("coff_model_symbols");
    let mut obj = target("x86_64-pc-windows-msvc");
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes([0xc3; 4]));
    obj.add_symbol(Symbol::file("a/rather/long/path/to/the/source/file.c"));
    obj.add_symbol(Symbol::defined("strong", text, 0).with_binding(Binding::Global));
    obj.add_symbol(
        Symbol::defined("weak_def", text, 2)
            .with_binding(Binding::Weak)
            .with_kind(SymbolKind::Func),
    );
    obj.add_symbol(Symbol::undefined("weak_ref").with_binding(Binding::Weak));
    obj.add_symbol(Symbol::common("buf", 100, 16));
    let o = dir.join("symbols.obj");
    std::fs::write(&o, obj.write().unwrap()).unwrap();
    coff_support::check_coff(&o);
    let symbols = common::readobj(&["--symbols"], &o);
    for want in [
        // 38 bytes of name in three 18-byte records.
        "AuxSymbolCount: 3\n    AuxFileRecord {\n      FileName: a/rather/long/path/to/the/source/file.c\n",
        "Name: weak_def\n    Value: 0\n    Section: IMAGE_SYM_UNDEFINED (0)\n    BaseType: Null (0x0)\n    ComplexType: Function (0x2)\n    StorageClass: WeakExternal (0x69)\n    AuxSymbolCount: 1\n    AuxWeakExternal {\n      Linked: .weak.weak_def.default.strong",
        "Name: .weak.weak_def.default.strong\n    Value: 2\n    Section: .text (1)",
        "Name: .weak.weak_ref.default.strong\n    Value: 0\n    Section: IMAGE_SYM_ABSOLUTE (-1)",
        "Name: buf\n    Value: 100\n    Section: IMAGE_SYM_UNDEFINED (0)",
    ] {
        assert!(symbols.contains(want), "no\n{want}\nin\n{symbols}");
    }
    let drectve = common::section_bytes(&o, ".drectve");
    assert_eq!(drectve, b" -aligncomm:\"buf\",4");
}

#[test]
fn section_characteristics_follow_kind_flags_and_alignment() {
    let mut obj = target("x86_64-pc-windows-msvc");
    let excluded = SectionFlags {
        exclude: true,
        ..SectionFlags::default()
    };
    let sections = [
        Section::new(".text", SectionKind::Text)
            .with_align(16)
            .with_bytes([0xc3]),
        Section::new(".data", SectionKind::Data)
            .with_align(8)
            .with_bytes([1]),
        Section::new(".rdata", SectionKind::Rodata).with_bytes([1]),
        Section::new(".bss", SectionKind::Bss)
            .with_align(64)
            .with_zero_fill(100),
        Section::new(".tls$", SectionKind::TlsBss)
            .with_align(4)
            .with_zero_fill(8),
        Section::new(".debug_info", SectionKind::Debug).with_bytes([1]),
        Section::new(".notes", SectionKind::Other)
            .with_flags(excluded)
            .with_align(8192)
            .with_bytes([1]),
    ];
    for s in sections {
        obj.add_section(s);
    }
    let bytes = written(&obj, "characteristics");
    let file = object::read::coff::CoffFile::<&[u8]>::parse(&*bytes).unwrap();
    let got: Vec<(String, u32, u64, u64)> = file
        .coff_section_table()
        .iter()
        .map(|h| {
            (
                String::from_utf8_lossy(h.raw_name())
                    .trim_end_matches('\0')
                    .to_string(),
                h.characteristics.get(object::LittleEndian),
                u64::from(h.size_of_raw_data.get(object::LittleEndian)),
                u64::from(h.pointer_to_raw_data.get(object::LittleEndian)),
            )
        })
        .collect();
    let flags: Vec<u32> = got.iter().map(|g| g.1).collect();
    assert_eq!(
        flags,
        [
            0x6050_0020, // code, execute, read, 16 bytes
            0xc040_0040, // initialized, read, write, 8 bytes
            0x4010_0040, // initialized, read, 1 byte
            0xc070_0080, // uninitialized, read, write, 64 bytes
            0xc030_0040, // thread-local zeros: initialized (the TLS template), 4 bytes
            0x4210_0040, // debug: initialized, read, discardable
            0x42e0_0840, // other: discardable; exclude: LNK_REMOVE; 8192 bytes
        ]
    );
    // .bss has a size and no file space; the TLS zeros have both.
    assert_eq!((got[3].2, got[3].3), (100, 0));
    assert_eq!(got[4].2, 8);
    assert_ne!(got[4].3, 0);
}

/// The CRC MSVC puts in section definitions: CRC-32 from 0, not inverted (LLVM's `JamCRC(0)`).
fn jamcrc(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[test]
fn section_definitions_carry_length_relocation_count_and_checksum_of_the_written_bytes() {
    let dir = common::scratch("coff_model_checksum");
    let mut obj = target("x86_64-pc-windows-msvc");
    let data = obj.add_section(
        Section::new(".data", SectionKind::Data)
            .with_bytes(vec![0; 16])
            .with_comdat("table")
            .with_comdat_selection(ComdatSelection::ExactMatch),
    );
    let t = obj.add_symbol(Symbol::defined("table", data, 0).with_binding(Binding::Global));
    obj.add_relocation(Relocation::new(data, 8, t, RelocKind::Abs64).with_addend(0x55));
    let o = dir.join("checksum.obj");
    let bytes = obj.write().unwrap();
    std::fs::write(&o, &bytes).unwrap();
    coff_support::check_coff(&o);
    let file = object::File::parse(&*bytes).unwrap();
    let written = file.sections().next().unwrap().data().unwrap().to_vec();
    assert_eq!(written[8], 0x55, "the addend is stored in place");
    let symbols = common::readobj(&["--symbols"], &o);
    let want = format!(
        "AuxSectionDef {{\n      Length: 16\n      RelocationCount: 1\n      LineNumberCount: 0\n      Checksum: {:#X}\n      Number: 0\n      Selection: ExactMatch (0x4)\n",
        jamcrc(&written)
    )
    .replace("0X", "0x");
    assert!(symbols.contains(&want), "no\n{want}\nin\n{symbols}");
    // The COMDAT symbol follows the section symbol.
    assert!(
        symbols.contains("Selection: ExactMatch (0x4)\n    }\n  }\n  Symbol {\n    Name: table\n"),
        "{symbols}"
    );
}

#[test]
fn elf_ignores_the_comdat_selection() {
    let mut obj = target("x86_64-unknown-linux-gnu");
    let text = obj.add_section(
        Section::new(".text.f", SectionKind::Text)
            .with_bytes([0xc3])
            .with_comdat("f")
            .with_comdat_selection(ComdatSelection::Largest),
    );
    obj.add_section(
        Section::new(".rodata.f", SectionKind::Rodata)
            .with_bytes([1])
            .with_comdat("f")
            .with_comdat_selection(ComdatSelection::Associative(text)),
    );
    obj.add_symbol(Symbol::defined("f", text, 0).with_binding(Binding::Global));
    let bytes = written(&obj, "elf");
    assert_eq!(&bytes[..4], b"\x7fELF");
}

#[test]
fn targets_lists_what_coff_expresses() {
    let out = common::run_ok(common::objforge().arg("targets"));
    let row = |arch: &str| -> Vec<String> {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["coff", arch]))
            .unwrap_or_else(|| panic!("no `coff {arch}` row:\n{out}"));
        line.split_whitespace().skip(2).map(String::from).collect()
    };
    let has = |row: &[String], kind: &str| row.iter().any(|k| k == kind);
    let x86_64 = row("x86_64");
    for kind in [
        "abs64",
        "pcrel32",
        "imagerel32",
        "secrel32",
        "secidx16",
        "diff32",
    ] {
        assert!(has(&x86_64, kind), "{kind}: {x86_64:?}");
    }
    assert!(!has(&x86_64, "x86_gotpcrel32"), "{x86_64:?}");
    let i386 = row("i386");
    assert!(
        has(&i386, "x86_branch32") && !has(&i386, "abs64"),
        "{i386:?}"
    );
    let arm64 = row("aarch64");
    for kind in [
        "a64_call26",
        "a64_adrp21",
        "a64_ldst128_lo12",
        "a64_tstbr14",
    ] {
        assert!(has(&arm64, kind), "{kind}: {arm64:?}");
    }
    assert!(
        !has(&arm64, "a64_got_adrp21") && !has(&arm64, "a64_ldr_lit19"),
        "{arm64:?}"
    );
    // No COFF writer for riscv64: no row.
    assert!(
        !out.lines().any(|l| l.starts_with("coff    riscv64")),
        "{out}"
    );
}

#[test]
fn coff_section_names_imply_their_kinds_in_a_spec() {
    let dir = common::scratch("coff_model_default_kinds");
    let spec = dir.join("spec.json");
    std::fs::write(
        &spec,
        r#"{"target": "x86_64-pc-windows-msvc", "sections": [
  {"name": ".rdata", "hex": "01"}, {"name": ".pdata", "hex": "02"},
  {"name": ".xdata", "hex": "03"}, {"name": ".tls$", "hex": "04"}]}"#,
    )
    .unwrap();
    let obj = dir.join("kinds.obj");
    coff_support::build_checked(&spec, &obj);
    let bytes = std::fs::read(&obj).unwrap();
    let file = object::read::coff::CoffFile::<&[u8]>::parse(&*bytes).unwrap();
    let flags: Vec<u32> = file
        .coff_section_table()
        .iter()
        .map(|h| h.characteristics.get(object::LittleEndian))
        .collect();
    // Read-only data three times, then writable (thread-local) data.
    assert_eq!(flags, [0x4010_0040, 0x4010_0040, 0x4010_0040, 0xc010_0040]);
}
