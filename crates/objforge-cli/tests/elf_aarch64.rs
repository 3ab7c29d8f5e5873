//! AArch64 ELF end to end: JSON specs as a backend writes them (machine code with the relocated
//! fields zero, symbols, relocations) built with the `objforge` CLI, checked by the strict
//! validators, linked statically with GNU ld and ld.lld, run under qemu-aarch64.
//!
//! The fixtures are in `tests/fixtures/aarch64/`: each `NAME.json` is the spec, `NAME.s` the
//! assembly it encodes (documentation only: the tests never assemble; after editing a `.s`,
//! `python3 make_spec.py NAME` there regenerates the JSON with GNU as). The programs check
//! every relocated value themselves and print one `ok NAME` / `FAIL NAME` line per check;
//! their exit code is the number of checks that passed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `relocs.json` prints when every relocation resolved; it exits with the line count.
const RELOCS_OUTPUT: &str = "\
ok abs64
ok abs32
ok abs16
ok pcrel64
ok pcrel32
ok pcrel16
ok call26
ok call26 addend
ok jump26
ok condbr19 b.eq
ok condbr19 cbz
ok tstbr14
ok ldr_lit19
ok adr21
ok adrp21 add_lo12
ok ldst8_lo12
ok ldst16_lo12
ok ldst32_lo12
ok ldst64_lo12
ok ldst128_lo12 lo
ok ldst128_lo12 hi
ok got
ok diff32
ok diff64
ok diff16
ok tls tprel
ok tls load
ok tls bss
";

/// What `link_main.json` + `link_lib.json` print; the program exits with the line count.
const LINK_OUTPUT: &str = "\
ok global call
ok weak overridden
ok weak overridden there
ok weak default
ok weak undefined
ok hidden
ok common
ok comdat here
ok comdat there
";

fn checks(output: &str) -> i32 {
    output.lines().count() as i32
}

/// Builds `fixtures/aarch64/NAME.json` into `dir/NAME.o` and runs the strict ELF checks on it.
fn build_checked(dir: &Path, name: &str) -> PathBuf {
    let obj = dir.join(format!("{name}.o"));
    common::build(&common::fixture(&format!("aarch64/{name}.json")), &obj);
    common::check_elf(&obj);
    obj
}

/// Links statically with the GNU cross linker.
fn link_gnu(objs: &[&Path], out: &Path) {
    common::run_ok(
        Command::new("aarch64-linux-gnu-ld")
            .arg("-static")
            .args(objs)
            .arg("-o")
            .arg(out),
    );
}

/// Links `objs` with GNU ld and with ld.lld, runs both programs under qemu-aarch64 and checks
/// each prints `expected` and exits with its line count. Returns the two executables.
fn link_both_and_run(dir: &Path, objs: &[&Path], name: &str, expected: &str) -> [PathBuf; 2] {
    let gnu = dir.join(format!("{name}-gnu"));
    link_gnu(objs, &gnu);
    let lld = dir.join(format!("{name}-lld"));
    common::link_lld(objs, &["-static"], &lld);
    for exe in [&gnu, &lld] {
        assert_eq!(
            common::run_program(Some("qemu-aarch64"), exe),
            (expected.to_string(), checks(expected)),
            "running {}",
            exe.display()
        );
    }
    [gnu, lld]
}

/// Every AArch64 ELF relocation kind objforge has, plus a native one (TLS local-exec), in one
/// static program that checks each resolved value at run time.
#[test]
fn aarch64_every_relocation_kind_links_and_runs() {
    let dir = common::scratch("elf_aarch64_relocs");
    let obj = build_checked(&dir, "relocs");

    // The object carries every AArch64 type the portable kinds map to, and the translations:
    // diff* became PREL* with the distance to the minus symbol folded into the addend,
    // secrel32 became ABS32 against the symbol in the non-allocated section.
    let relocs = common::relocation_lines(&obj);
    let has = |line: &str| {
        assert!(
            relocs.iter().any(|r| r == line),
            "no relocation `{line}` in:\n{}",
            relocs.join("\n")
        )
    };
    for line in [
        ".rela.data.ptrs: 0x0 R_AARCH64_ABS64 pair 0x8",
        ".rela.data.ptrs: 0x8 R_AARCH64_PREL64 shared_value 0x0",
        ".rela.data.ptrs: 0x10 R_AARCH64_ABS32 vec_q 0x0",
        ".rela.data.ptrs: 0x14 R_AARCH64_PREL32 pair 0x8",
        ".rela.data.ptrs: 0x18 R_AARCH64_PREL16 words 0x0",
        ".rela.data.ptrs: 0x1A R_AARCH64_ABS16 optional_hook 0x1234",
        ".rela.text: 0xA0 R_AARCH64_CALL26 double_plus 0x0",
        ".rela.text: 0xB0 R_AARCH64_CALL26 skip_first 0x4",
        ".rela.text: 0x37C R_AARCH64_JUMP26 tail_target 0x0",
        ".rela.text: 0xCC R_AARCH64_CONDBR19 cond_target 0x0",
        ".rela.text: 0xE0 R_AARCH64_CONDBR19 cbz_target 0x0",
        ".rela.text: 0xF4 R_AARCH64_TSTBR14 tst_target 0x0",
        ".rela.text: 0x104 R_AARCH64_LD_PREL_LO19 lit_pair 0x8",
        ".rela.text: 0x110 R_AARCH64_ADR_PREL_LO21 adr_target 0x8",
        ".rela.text: 0x120 R_AARCH64_ADR_PREL_PG_HI21 pair 0x8",
        ".rela.text: 0x124 R_AARCH64_ADD_ABS_LO12_NC pair 0x8",
        ".rela.text: 0x138 R_AARCH64_LDST8_ABS_LO12_NC byte_b 0x0",
        ".rela.text: 0x148 R_AARCH64_LDST16_ABS_LO12_NC half_h 0x0",
        ".rela.text: 0x158 R_AARCH64_LDST32_ABS_LO12_NC words 0x4",
        ".rela.text: 0x168 R_AARCH64_LDST64_ABS_LO12_NC pair 0x8",
        ".rela.text: 0x178 R_AARCH64_LDST128_ABS_LO12_NC vec_q 0x0",
        ".rela.text: 0x194 R_AARCH64_ADR_GOT_PAGE shared_value 0x0",
        ".rela.text: 0x198 R_AARCH64_LD64_GOT_LO12_NC shared_value 0x0",
        ".rela.text: 0x250 R_AARCH64_TLSLE_ADD_TPREL_HI12 tls_var 0x0",
        ".rela.text: 0x254 R_AARCH64_TLSLE_ADD_TPREL_LO12_NC tls_var 0x0",
        ".rela.text: 0x2D8 R_AARCH64_TLSLE_ADD_TPREL_HI12 tls_zero 0x0",
        ".rela.text: 0x2DC R_AARCH64_TLSLE_ADD_TPREL_LO12_NC tls_zero 0x0",
        // diff16: the table is in .text, the cases in .text.targets
        ".rela.text: 0x3A8 R_AARCH64_PREL16 case6 0x0",
        ".rela.text: 0x3AA R_AARCH64_PREL16 case7 0x2",
        // diff64 / diff32: the tables are in .rodata, the cases in .text
        ".rela.rodata: 0x20 R_AARCH64_PREL64 case3 0x0",
        ".rela.rodata: 0x28 R_AARCH64_PREL64 case4 0x8",
        ".rela.rodata: 0x30 R_AARCH64_PREL32 case0 0x0",
        ".rela.rodata: 0x34 R_AARCH64_PREL32 case1 0x4",
        ".rela.rodata: 0x38 R_AARCH64_PREL32 case2 0x8",
        // secrel32 and abs16 in a debug section against a non-allocated one
        ".rela.objforge_refs: 0x0 R_AARCH64_ABS32 str_objforge 0x0",
        ".rela.objforge_refs: 0x4 R_AARCH64_ABS32 str_aarch64 0x4",
        ".rela.objforge_refs: 0x8 R_AARCH64_ABS16 str_relocs 0x0",
    ] {
        has(line);
    }

    for exe in link_both_and_run(&dir, &[&obj], "relocs", RELOCS_OUTPUT) {
        // The non-allocated references hold offsets in .objforge_strings: "objforge" at 8,
        // "aarch64" + 4, "relocs" at 17 (16 bits).
        assert_eq!(
            common::section_bytes(&exe, ".objforge_refs"),
            [8, 0, 0, 0, 4, 0, 0, 0, 17, 0],
            "{}",
            exe.display()
        );
    }
}

/// The checks are not vacuous: the same program built with one wrong addend (the `bl` that
/// must skip the callee's first instruction) reports exactly that check as failed.
#[test]
fn aarch64_relocs_program_reports_a_wrong_relocation() {
    let dir = common::scratch("elf_aarch64_relocs_wrong");
    let spec = std::fs::read_to_string(common::fixture("aarch64/relocs.json")).unwrap();
    let right = r#""symbol": "skip_first", "kind": "a64_call26", "addend": 4"#;
    assert_eq!(spec.matches(right).count(), 1);
    let wrong_spec = dir.join("relocs-wrong.json");
    let wrong = right.replace("\"addend\": 4", "\"addend\": 0");
    std::fs::write(&wrong_spec, spec.replace(right, &wrong)).unwrap();
    let obj = dir.join("relocs-wrong.o");
    common::build(&wrong_spec, &obj);
    let exe = dir.join("relocs-wrong");
    link_gnu(&[&obj], &exe);
    let expected = RELOCS_OUTPUT.replace("ok call26 addend", "FAIL call26 addend");
    assert_eq!(
        common::run_program(Some("qemu-aarch64"), &exe),
        (expected, checks(RELOCS_OUTPUT) - 1)
    );
}

/// Two objects: a global function called across them, weak definitions (one overridden, one
/// not), a weak undefined symbol, a hidden global, a common symbol in both, and a COMDAT group
/// in both whose second copy the linkers must drop.
#[test]
fn aarch64_two_objects_link_and_run() {
    let dir = common::scratch("elf_aarch64_link");
    let main = build_checked(&dir, "link_main");
    let lib = build_checked(&dir, "link_lib");
    for obj in [&main, &lib] {
        let groups = common::run_ok(
            Command::new("llvm-readobj-19")
                .arg("--section-groups")
                .arg(obj),
        );
        assert!(
            groups.contains("Signature: shared_helper") && groups.contains("Type: COMDAT"),
            "{}:\n{groups}",
            obj.display()
        );
    }
    link_both_and_run(&dir, &[&main, &lib], "link", LINK_OUTPUT);
}

/// What AArch64 ELF cannot express is an error naming the relocation, and no object is left
/// behind: another architecture's kind, a label difference whose minus symbol is outside the
/// field's section, `secrel32` against an allocated section, a misaligned instruction.
#[test]
fn aarch64_relocations_it_cannot_encode_are_errors() {
    let dir = common::scratch("elf_aarch64_errors");
    let cases = [
        (
            "x86_branch32",
            r#"{"section": ".text", "offset": 0, "symbol": "f", "kind": "x86_branch32", "addend": -4}"#,
            "relocations[0].kind: kind x86_branch32 has no ELF encoding on aarch64",
        ),
        (
            "rv_call",
            r#"{"section": ".text", "offset": 0, "symbol": "f", "kind": "rv_call", "addend": 0}"#,
            "relocations[0].kind: kind rv_call has no ELF encoding on aarch64",
        ),
        (
            "diff32",
            r#"{"section": ".rodata", "offset": 0, "symbol": "f", "kind": "diff32", "minus": "f", "addend": 0}"#,
            "relocations[0].minus: ",
        ),
        (
            "secrel32",
            r#"{"section": ".debug_x", "offset": 0, "symbol": "f", "kind": "secrel32", "addend": 0}"#,
            "relocations[0].kind: secrel32 ",
        ),
        (
            "misaligned",
            r#"{"section": ".text", "offset": "0x2", "symbol": "f", "kind": "a64_call26", "addend": 0}"#,
            "relocations[0].offset: ",
        ),
    ];
    for (name, relocation, message) in cases {
        let spec = dir.join(format!("{name}.json"));
        std::fs::write(
            &spec,
            format!(
                r#"{{"target": "aarch64-unknown-linux-gnu",
  "sections": [
    {{"name": ".text", "kind": "text", "align": 4, "hex": "00000094 c0035fd6"}},
    {{"name": ".rodata", "kind": "rodata", "hex": "00000000"}},
    {{"name": ".debug_x", "kind": "debug", "hex": "00000000"}}
  ],
  "symbols": [{{"name": "f", "section": ".text", "offset": 4, "kind": "func", "binding": "global"}}],
  "relocations": [{relocation}]}}"#
            ),
        )
        .unwrap();
        let obj = dir.join(format!("{name}.o"));
        let out = common::run(
            common::objforge()
                .arg("build")
                .arg(&spec)
                .arg("-o")
                .arg(&obj),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(message),
            "{name}: expected an error containing `{message}`, got {}:\n{stderr}",
            out.status
        );
        assert!(!obj.exists(), "{name}: {} was left behind", obj.display());
    }
}
