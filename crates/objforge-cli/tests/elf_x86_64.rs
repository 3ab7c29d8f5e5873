//! x86_64 ELF end to end: JSON specs as a backend writes them (machine code with the relocated
//! fields zero, symbols, relocations) built with the `objforge` CLI, checked by the strict
//! validators, linked with GNU ld and ld.lld, run natively.
//!
//! The fixtures are in `tests/fixtures/x86_64/`: each `NAME.json` is the spec and `NAME.s` the
//! assembly it encodes (documentation only; `make_spec.py` regenerates the spec from it). The
//! demo, `examples/x86_64-linux-hello.json`, is tested here too; its listing is `hello.s`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `static_all.json` prints when every relocation resolved; it exits with the line count.
const STATIC_ALL_OUTPUT: &str = "\
ok abs8
ok abs16
ok abs32
ok abs32s imm
ok abs32s mem
ok abs64 imm
ok abs64 fptr
ok pcrel8 data
ok pcrel8 jmp
ok pcrel16
ok pcrel32
ok pcrel64
ok x86_branch32 call
ok x86_branch32 weak
ok x86_branch32 hidden
ok x86_branch32 comdat
ok x86_gotpcrel32 mov
ok x86_gotpcrel32 slot
ok x86_gotpcrel32 call
ok x86_gotpcrel32 common
ok diff8
ok diff16
ok diff32
ok diff64
ok native tpoff32 load
ok native tpoff32 imm
ok native tpoff32 tbss
";

/// What the demo prints.
const HELLO_OUTPUT: &str = "\
hello from objforge: 6 * 7 = 42
printf and puts were called through the PLT,
stdout was read through the GOT,
and this line came from puts called through its GOT slot.
";

/// One relocation entry as `llvm-readobj-19 -r` shows it.
#[derive(Debug)]
struct Entry {
    /// The relocation section (`.rela.text`).
    section: String,
    r_type: String,
    symbol: String,
    addend: i64,
}

/// The relocation entries of an object, as an independent reader sees them.
fn relocations(obj: &Path) -> Vec<Entry> {
    common::relocation_lines(obj)
        .iter()
        .map(|line| {
            // SECTION: OFFSET TYPE [SYMBOL [ADDEND]]
            let (section, entry) = line.split_once(": ").unwrap_or_default();
            let f: Vec<&str> = entry.split_whitespace().collect();
            Entry {
                section: section.to_string(),
                r_type: f.get(1).unwrap_or(&"").to_string(),
                symbol: f.get(2).unwrap_or(&"").to_string(),
                addend: f.get(3).map_or(0, |a| hex(a)),
            }
        })
        .collect()
}

/// An addend as llvm-readobj prints it: hex, two's complement (`0xFFFFFFFFFFFFFFFC` = -4).
fn hex(s: &str) -> i64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap() as i64
}

/// The `r_type` of the one relocation in `section` against `symbol` with `addend`.
fn type_of(entries: &[Entry], section: &str, symbol: &str, addend: i64) -> String {
    let found: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.section == section && e.symbol == symbol && e.addend == addend)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one relocation in {section} against {symbol}{addend:+}: {entries:#?}"
    );
    found[0].r_type.clone()
}

/// (symbol, type) of every GOT-relative entry, in order.
fn got_relocations(entries: &[Entry]) -> Vec<(&str, &str)> {
    entries
        .iter()
        .filter(|e| e.r_type.contains("GOTPCREL"))
        .map(|e| (e.symbol.as_str(), e.r_type.as_str()))
        .collect()
}

fn build_checked(dir: &Path, spec: &Path, name: &str) -> PathBuf {
    let obj = dir.join(format!("{name}.o"));
    common::build(spec, &obj);
    common::check_elf(&obj);
    obj
}

#[test]
fn static_program_uses_every_x86_64_relocation_kind() {
    let dir = common::scratch("x86_64_static_all");
    let obj = build_checked(
        &dir,
        &common::fixture("x86_64/static_all.json"),
        "static_all",
    );

    // Every x86_64 ELF type the portable kinds map to is there.
    let entries = relocations(&obj);
    for t in [
        "R_X86_64_8",
        "R_X86_64_16",
        "R_X86_64_32",
        "R_X86_64_32S",
        "R_X86_64_64",
        "R_X86_64_PC8",
        "R_X86_64_PC16",
        "R_X86_64_PC32",
        "R_X86_64_PC64",
        "R_X86_64_PLT32",
        "R_X86_64_GOTPCREL",
        "R_X86_64_GOTPCRELX",
        "R_X86_64_REX_GOTPCRELX",
        "R_X86_64_TPOFF32",
    ] {
        assert!(
            entries.iter().any(|e| e.r_type == t),
            "no {t} in {entries:#?}"
        );
    }
    // x86_gotpcrel32 becomes the relaxable type the instruction allows, as GNU as picks it:
    // REX mov (twice), lea of the slot itself, call through the slot.
    assert_eq!(
        got_relocations(&entries),
        [
            ("data_x", "R_X86_64_REX_GOTPCRELX"),
            ("data_y", "R_X86_64_GOTPCREL"),
            ("add_seven", "R_X86_64_GOTPCRELX"),
            ("comm_buf", "R_X86_64_REX_GOTPCRELX"),
        ]
    );
    // diff* against a label of the field's own section: PC-relative, the distance from the
    // label to the field folded into the addend (jt64 + 16 holds case_c + 9 - jt64).
    assert_eq!(
        type_of(&entries, ".rela.rodata", "case_c", 25),
        "R_X86_64_PC64"
    );
    // secrel32 against a symbol in a non-allocated section is R_X86_64_32.
    assert_eq!(
        type_of(&entries, ".rela.debug_bar", "dbg_entry", 2),
        "R_X86_64_32"
    );
    let groups = common::run_ok(
        Command::new("llvm-readobj-19")
            .arg("--section-groups")
            .arg(&obj),
    );
    for member in [
        ".text.inl_answer",
        ".rela.text.inl_answer",
        ".rodata.inl_answer",
    ] {
        assert!(
            groups.contains(member),
            "{member} not in the group:\n{groups}"
        );
    }

    let expected = (
        STATIC_ALL_OUTPUT.to_string(),
        STATIC_ALL_OUTPUT.lines().count() as i32,
    );
    let gnu = dir.join("static_all");
    common::run_ok(
        Command::new("ld")
            .arg("-static")
            .arg(&obj)
            .arg("-o")
            .arg(&gnu),
    );
    let lld = dir.join("static_all-lld");
    common::link_lld(&[&obj], &["-static"], &lld);
    for exe in [&gnu, &lld] {
        assert_eq!(
            common::run_program(None, exe),
            expected,
            "{}",
            exe.display()
        );
        // .debug_bar is not loaded, so the program cannot see it: the linked field holds
        // dbg_entry's offset in .debug_foo (8) plus the addend (2).
        assert_eq!(
            common::section_bytes(exe, ".debug_bar"),
            [0x11, 0x11, 0x11, 0x11, 10, 0, 0, 0],
            "{}",
            exe.display()
        );
    }
}

/// The demo: `cc hello.o -o hello` (a PIE against glibc), calls through the PLT and loads
/// through the GOT.
#[test]
fn pie_hello_against_libc() {
    let dir = common::scratch("x86_64_hello");
    let obj = build_checked(&dir, &common::example("x86_64-linux-hello.json"), "hello");
    let entries = relocations(&obj);
    let plt: Vec<&str> = entries
        .iter()
        .filter(|e| e.r_type == "R_X86_64_PLT32")
        .map(|e| e.symbol.as_str())
        .collect();
    assert_eq!(plt, ["printf", "puts", "fputs"]);
    assert_eq!(
        got_relocations(&entries),
        [
            ("stdout", "R_X86_64_REX_GOTPCRELX"),
            ("puts", "R_X86_64_GOTPCRELX")
        ]
    );

    let expected = (HELLO_OUTPUT.to_string(), 0);
    let gnu = dir.join("hello");
    common::run_ok(Command::new("cc").arg(&obj).arg("-o").arg(&gnu));
    assert_eq!(common::run_program(None, &gnu), expected);

    // The same PIE by ld.lld, with the C runtime objects cc would use.
    let crt = |name: &str| -> PathBuf {
        let out = common::run_ok(Command::new("cc").arg(format!("-print-file-name={name}")));
        PathBuf::from(out.trim())
    };
    let (scrt1, crti, crtbegin) = (crt("Scrt1.o"), crt("crti.o"), crt("crtbeginS.o"));
    let (libc, crtend, crtn) = (crt("libc.so"), crt("crtendS.o"), crt("crtn.o"));
    let lld = dir.join("hello-lld");
    common::link_lld(
        &[&scrt1, &crti, &crtbegin, &obj, &libc, &crtend, &crtn],
        &["-pie", "-dynamic-linker", "/lib64/ld-linux-x86-64.so.2"],
        &lld,
    );
    assert_eq!(common::run_program(None, &lld), expected);
}
