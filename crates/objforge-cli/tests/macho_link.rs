//! Mach-O end to end: the arm64 and x86_64 programs in `tests/fixtures/macho/` (specs that
//! `make_spec.py` derives from the `.s` beside them) built with the `objforge` CLI, checked
//! by `llvm-readobj-19`, linked by `ld64.lld-19` against the libSystem stub, and read back:
//! every relocation of the spec must reach exactly its target plus addend in the linked image.

mod common;
mod macho_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use macho_support::{Image, Isa, Spec};
use object::{Object, ObjectSection};

/// Builds `fixtures/macho/NAME.json` into `dir/NAME.o` (checked) and links it into `dir/NAME`.
fn build_and_link(dir: &Path, name: &str, arch: &str) -> (PathBuf, PathBuf) {
    let obj = dir.join(format!("{name}.o"));
    macho_support::build_checked(&common::fixture(&format!("macho/{name}.json")), &obj);
    let exe = dir.join(name);
    macho_support::link(arch, macho_support::MACOS, &[&obj], &exe);
    (obj, exe)
}

/// Every relocation of `name`'s spec reaches its target in the linked image.
fn verify_all(name: &str, exe: &Path, isa: Isa) -> usize {
    let spec = Spec::load(&common::fixture(&format!("macho/{name}.json")));
    let image = Image::load(exe);
    let (failures, checked) = macho_support::verify(&spec, &image, isa, "_");
    assert!(
        failures.is_empty(),
        "{}: {} of {checked} relocations are wrong:\n{}",
        exe.display(),
        failures.len(),
        failures.join("\n")
    );
    checked
}

/// `llvm-objdump-19 --macho -r` of an object: `SECTION ADDRESS PCREL LENGTH EXTERN TYPE TARGET`.
fn relocations(obj: &Path) -> Vec<String> {
    let text = common::run_ok(
        Command::new("llvm-objdump-19")
            .args(["--macho", "-r"])
            .arg(obj),
    );
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Relocation information (") {
            section = rest.split(')').next().unwrap_or("").to_string();
        } else if line.starts_with('0') {
            let words: Vec<&str> = line.split_whitespace().collect();
            out.push(format!("{section} {}", words.join(" ")));
        }
    }
    out
}

fn has_all(obj: &Path, lines: &[&str]) {
    let relocs = relocations(obj);
    for line in lines {
        assert!(
            relocs.iter().any(|r| r == line),
            "{}: no relocation `{line}` in:\n{}",
            obj.display(),
            relocs.join("\n")
        );
    }
}

#[test]
fn arm64_program_links_and_every_relocation_resolves() {
    let dir = common::scratch("macho_arm64_program");
    let (obj, exe) = build_and_link(&dir, "arm64_program", "arm64");
    has_all(
        &obj,
        &[
            // an import call; ADRP/ADD; ADRP/LDR with its ARM64_RELOC_ADDEND first
            "__TEXT,__text 00000010 True long True BR26 False _puts",
            "__TEXT,__text 00000008 True long True PAGE21 False _greeting",
            "__TEXT,__text 0000000c False long True PAGOF12 False _greeting",
            "__TEXT,__text 00000018 False long False ADDEND False addend = 0x000010",
            "__TEXT,__text 00000018 False long True PAGOF12 False _table",
            "__TEXT,__text 0000006c False long False ADDEND False addend = 0x7ffff0",
            "__TEXT,__text 00000044 False long True GOTLDPOFFalse _puts",
            "__TEXT,__text 00000050 True long True TLVLDP False _tv",
            "__TEXT,__text 00000084 True long True BR26 False _helper",
            // pointers: section-relative for local targets, extern for globals and imports
            "__DATA,__data 00000000 False ?( 3) True UNSIGND False _main",
            "__DATA,__data 00000008 False ?( 3) False UNSIGND False 1 (__TEXT,__text)",
            "__DATA,__data 00000018 False ?( 3) True UNSIGND False _puts",
            // SUBTRACTOR pairs: diff32, and pcrel64 against the field's own subsection
            "__DATA,__data 00000050 False long True SUB False _main",
            "__DATA,__data 00000050 False long True UNSIGND False _tail",
            "__DATA,__data 00000060 False ?( 3) True SUB False _pcrel64",
            "__DATA,__data 00000060 False ?( 3) True UNSIGND False _main",
        ],
    );
    let checked = verify_all("arm64_program", &exe, Isa::Arm64);
    assert!(checked >= 40, "only {checked} relocations");
}

#[test]
fn x86_64_program_links_and_every_relocation_resolves() {
    let dir = common::scratch("macho_x86_64_program");
    let (obj, exe) = build_and_link(&dir, "x86_64_program", "x86_64");
    has_all(
        &obj,
        &[
            "__TEXT,__text 0000000c True long True BRANCH False _puts",
            "__TEXT,__text 00000013 True long True SIGNED False _table",
            "__TEXT,__text 0000001a True long True GOT_LD False _puts",
            "__TEXT,__text 00000021 True long True GOT_LD False _counter",
            "__TEXT,__text 00000027 True long True GOT False _puts",
            "__TEXT,__text 0000002e True long False SIGNED1 False 3 (__DATA,__data)",
            "__TEXT,__text 00000036 True long False SIGNED2 False 3 (__DATA,__data)",
            "__TEXT,__text 0000003e True long False SIGNED4 False 3 (__DATA,__data)",
            "__TEXT,__text 00000059 True long False SIGNED False 2 (__TEXT,__cstring)",
            "__TEXT,__text 00000060 True long True TLV False _tv",
            "__DATA,__data 00000030 False quad True UNSIGND False _puts",
            "__DATA,__data 00000058 False long True SUB False _main",
            "__DATA,__data 00000058 False long True UNSIGND False _tail",
            "__DATA,__data 00000064 True long False SIGNED False 3 (__DATA,__data)",
            "__DATA,__data 00000068 False quad True SUB False _pcrel64",
        ],
    );
    let checked = verify_all("x86_64_program", &exe, Isa::X86_64);
    assert!(checked >= 25, "only {checked} relocations");
}

/// The check is not vacuous: with two addends changed in the spec (a call one instruction
/// into `helper`, a pointer 8 bytes into `numbers`), exactly those two relocations are
/// reported as reaching the wrong place.
#[test]
fn verify_reports_a_wrong_relocation() {
    let dir = common::scratch("macho_arm64_wrong");
    let spec = Spec::load(&common::fixture("macho/arm64_program.json"));
    let mut wrong = Spec {
        json: spec.json.clone(),
    };
    let relocs = wrong.json["relocations"]
        .as_array_mut()
        .expect("relocations");
    let symbol_named = |name: &str| {
        spec.json["symbols"]
            .as_array()
            .and_then(|s| s.iter().position(|s| s["name"] == name))
            .expect("symbol")
    };
    let (helper, numbers) = (symbol_named("helper"), symbol_named("numbers"));
    let mut changed = 0;
    for r in relocs.iter_mut() {
        let (kind, symbol, addend) = (r["kind"].clone(), r["symbol"].clone(), r["addend"].clone());
        if (kind == "a64_call26" && symbol == helper && addend == 4)
            || (kind == "abs64" && symbol == numbers && addend == 8)
        {
            r["addend"] = 0.into();
            changed += 1;
        }
    }
    assert_eq!(changed, 2);
    let path = dir.join("wrong.json");
    std::fs::write(&path, wrong.json.to_string()).expect("write spec");
    let obj = dir.join("wrong.o");
    macho_support::build_checked(&path, &obj);
    let exe = dir.join("wrong");
    macho_support::link("arm64", macho_support::MACOS, &[&obj], &exe);
    // Checked against the original spec: the built program differs in exactly two places.
    let (failures, _) = macho_support::verify(&spec, &Image::load(&exe), Isa::Arm64, "_");
    assert_eq!(failures.len(), 2, "{}", failures.join("\n"));
    assert!(
        failures[0].contains("a64_call26") && failures[1].contains("abs64"),
        "{failures:?}"
    );
}

/// The arm64 program's code and its relocations are exactly what LLVM's assembler makes of
/// the `.s` it was derived from: same bytes, same entries (ADDEND pairs included), same order.
#[test]
fn arm64_text_matches_llvm_mc() {
    let dir = common::scratch("macho_arm64_vs_mc");
    let ours = dir.join("objforge.o");
    common::build(&common::fixture("macho/arm64_program.json"), &ours);
    let theirs = dir.join("llvm-mc.o");
    common::run_ok(
        Command::new("llvm-mc-19")
            .args(["-triple", "arm64-apple-macos11", "-filetype=obj"])
            .arg(common::fixture("macho/arm64_program.s"))
            .arg("-o")
            .arg(&theirs),
    );
    let text = |obj: &Path| -> Vec<String> {
        relocations(obj)
            .into_iter()
            .filter(|r| r.starts_with("__TEXT,__text"))
            .collect()
    };
    assert_eq!(text(&ours), text(&theirs));
    let bytes = |obj: &Path| {
        let data = std::fs::read(obj).expect("read object");
        let file = object::File::parse(&*data).expect("parse object");
        let text = file.section_by_name("__text").expect("__text");
        text.data().expect("__text data").to_vec()
    };
    assert_eq!(bytes(&ours), bytes(&theirs));
}

/// One object with what the programs do not show: the symbol table's order and flags,
/// `ltmpN` for a section symbol an arm64 page relocation must name, a native type passed
/// through, `secrel32` written in place in a debug section, C strings.
#[test]
fn symbols_sections_and_natives() {
    let dir = common::scratch("macho_object");
    let spec = dir.join("object.json");
    std::fs::write(
        &spec,
        r#"{"target": "arm64-apple-macos11",
  "sections": [
    {"name": ".text", "align": 4, "hex": "00000090 00000091 c0035fd6"},
    {"name": ".rodata.str1.1", "flags": ["merge_strings"], "hex": "6869 00 7468657265 00"},
    {"name": ".data", "align": 8, "hex": "0000000000000000 00000000"},
    {"name": ".debug_info", "hex": "00000000"},
    {"name": ".debug_str", "hex": "61626300 78797a00"},
    {"name": "__DATA,__custom", "kind": "data", "flags": ["retain"], "hex": "00"}
  ],
  "symbols": [
    {"name": "strings", "section": 1, "kind": "section"},
    {"name": "b_glob", "section": ".text", "binding": "global", "kind": "func"},
    {"name": "zz"},
    {"name": "local", "section": ".text", "offset": 8},
    {"name": "a_glob", "section": ".data", "binding": "global"},
    {"name": "w", "section": ".data", "offset": 8, "binding": "weak"},
    {"name": "h", "section": ".text", "offset": 8, "binding": "global", "visibility": "hidden"},
    {"name": "aa", "binding": "weak"},
    {"name": "c", "common": {"size": 16, "align": 8}},
    {"name": "xyz", "section": ".debug_str", "offset": 4},
    {"name": "f.c", "kind": "file"}
  ],
  "relocations": [
    {"section": ".text", "offset": 0, "symbol": "strings", "kind": "a64_adrp21", "addend": 3},
    {"section": ".text", "offset": 4, "symbol": "strings", "kind": "a64_add_lo12", "addend": 3},
    {"section": ".data", "offset": 0, "symbol": "strings", "kind": "abs64", "addend": 3},
    {"section": ".data", "offset": 8, "symbol": "zz", "kind": "native", "native": {"type": 7, "pcrel": true, "length": 2}},
    {"section": ".debug_info", "offset": 0, "symbol": "xyz", "kind": "secrel32", "addend": 1}
  ]}"#,
    )
    .expect("write spec");
    let obj = dir.join("object.o");
    macho_support::build_checked(&spec, &obj);

    // Locals first (in the spec's order, then ltmpN), external definitions by name, then
    // undefined and common symbols by name; no section or file symbols.
    let syms = common::run_ok(Command::new("llvm-nm-19").args(["-p", "-m"]).arg(&obj));
    let names: Vec<&str> = syms
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(
        names,
        ["_local", "_xyz", "ltmp1", "_a_glob", "_b_glob", "_h", "_w", "_aa", "_c", "_zz"],
        "{syms}"
    );
    for (line, flags) in [
        ("_w", "weak external"),
        ("_h", "private external"),
        ("_aa", "(undefined) weak external"),
        ("_c", "(common) (alignment 2^3) external"),
        ("_zz", "(undefined) external"),
    ] {
        assert!(
            syms.lines()
                .any(|l| l.ends_with(&format!(" {line}")) && l.contains(flags)),
            "{line}: {flags}\n{syms}"
        );
    }
    let headers = common::run_ok(
        Command::new("llvm-objdump-19")
            .args(["--macho", "--private-headers"])
            .arg(&obj),
    );
    for line in [
        "nlocalsym 3",
        "nextdefsym 4",
        "nundefsym 3",
        "type S_CSTRING_LITERALS",
        "attributes NO_DEAD_STRIP",
        "attributes DEBUG",
    ] {
        assert!(
            headers
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == line),
            "{line}:\n{headers}"
        );
    }

    has_all(
        &obj,
        &[
            // arm64 page relocations must name a symbol: the section's ltmpN, addend in ADDEND.
            "__TEXT,__text 00000000 True long True PAGE21 False ltmp1",
            "__TEXT,__text 00000000 False long False ADDEND False addend = 0x000003",
            // UNSIGNED may be section-relative.
            "__DATA,__data 00000000 False ?( 3) False UNSIGND False 2 (__TEXT,__cstring)",
            "__DATA,__data 00000008 True long True PTRTGOT False _zz",
        ],
    );
    // No relocation in __debug_info: the offset of `xyz` (4) plus 1, written in place.
    assert!(!relocations(&obj).iter().any(|r| r.starts_with("__DWARF")));
    let dump = common::run_ok(
        Command::new("llvm-objdump-19")
            .args(["--macho", "-s", "-j", "__debug_info", "-j", "__data"])
            .arg(&obj),
    );
    assert!(dump.contains(" 05000000 "), "{dump}");
    // The section-relative pointer holds the string's address in the object plus 3.
    let cstring = common::run_ok(
        Command::new("llvm-objdump-19")
            .args(["--macho", "--section-headers"])
            .arg(&obj),
    );
    let addr = cstring
        .lines()
        .find(|l| l.contains("__cstring"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|a| u64::from_str_radix(a, 16).ok())
        .expect("__cstring address");
    let data = std::fs::read(&obj).expect("read");
    assert!(
        data.windows(8).any(|w| w == (addr + 3).to_le_bytes()),
        "no {:#x} in the object",
        addr + 3
    );
}

/// A PC-relative word (`pcrel32`, addend 0: `.long str - .`) whose target is the one C
/// string, 4 bytes long, of `__cstring`. Section-relative, its field would point 4 bytes past its
/// start — the end of the section, in no literal, which ld64.lld refuses ("offset is outside
/// the section"; found by the test kit's tool batch). It must name the symbol instead, and
/// resolve to the string.
#[test]
fn pc_relative_word_to_a_c_string_at_the_end_of_its_section_links() {
    let dir = common::scratch("macho_x86_64_cstring_word");
    let spec = dir.join("cstring.json");
    // _main: lea rax, [rip + str]; ret; then the word.
    std::fs::write(
        &spec,
        r#"{
  "target": "x86_64-apple-macos11",
  "sections": [
    {"name": "__TEXT,__text", "kind": "text", "align": 16, "hex": "488d0500000000c3 00000000"},
    {"name": "__TEXT,__cstring", "kind": "rodata", "flags": ["merge_strings"], "hex": "71777800"}
  ],
  "symbols": [
    {"name": "main", "section": 0, "offset": 0, "kind": "func", "binding": "global"},
    {"name": "str", "section": 1, "offset": 0, "kind": "object"}
  ],
  "relocations": [
    {"section": 0, "offset": 3, "symbol": 1, "kind": "pcrel32", "addend": -4},
    {"section": 0, "offset": 8, "symbol": 1, "kind": "pcrel32", "addend": 0}
  ]
}"#,
    )
    .unwrap();
    let obj = dir.join("cstring.o");
    macho_support::build_checked(&spec, &obj);
    let exe = dir.join("cstring");
    macho_support::link("x86_64", macho_support::MACOS, &[&obj], &exe);
    let image = Image::load(&exe);
    let (failures, checked) = macho_support::verify(&Spec::load(&spec), &image, Isa::X86_64, "_");
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(checked, 2);
}

/// A PC-relative data field's `SUBTRACTOR` names the symbol that starts its subsection. When
/// that symbol is external, its index changes as the external symbols are put in name order
/// after the table is built; the entry must follow it, in memory (`write()`, which sorts on
/// a second thread) and streamed (`write_to`) alike.
#[test]
fn a_subsection_start_renumbered_by_the_name_sort_is_still_the_subtractor() {
    use objforge::{
        Architecture, Binding, Format, Object as Model, RelocKind, Relocation, Section,
        SectionKind, Symbol, Target,
    };
    let mut obj = Model::new(Target::new(Architecture::X86_64, Format::MachO));
    let data =
        obj.add_section(Section::new("__DATA,__data", SectionKind::Data).with_bytes(vec![0; 24]));
    // In model order `zeta` comes before `alpha`; by name, after it.
    obj.add_symbol(Symbol::defined("zeta", data, 0).with_binding(Binding::Global));
    obj.add_symbol(Symbol::defined("alpha", data, 8).with_binding(Binding::Global));
    let target = obj.add_symbol(Symbol::undefined("elsewhere"));
    obj.add_relocation(Relocation::new(data, 16, target, RelocKind::Pcrel64));
    let bytes = obj.write().expect("writes");
    let mut streamed = Vec::new();
    obj.write_to(&mut streamed).expect("streams");
    assert!(bytes == streamed, "write() and write_to differ");

    let dir = common::scratch("macho_renumbered_subsection_start");
    let path = dir.join("renumbered.o");
    std::fs::write(&path, &bytes).expect("writes the object");
    macho_support::check_readobj(&path);
    has_all(
        &path,
        &[
            "__DATA,__data 00000010 False quad True SUB False _alpha",
            "__DATA,__data 00000010 False quad True UNSIGND False _elsewhere",
        ],
    );
}
