//! 32-bit Arm (arm-linux-gnueabihf) ELF end to end: JSON specs as a backend writes them
//! (machine code with the relocated fields clear, symbols, relocations) built with the
//! `objforge` CLI, checked by the strict validators, linked statically with GNU ld and
//! ld.lld, run under qemu-arm.
//!
//! The fixtures are in `tests/fixtures/arm/`: each `NAME.json` is the spec, `NAME.s` the
//! assembly it encodes (`make_spec.py` says how the JSON was made from GNU as's output).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `every_reloc.json` prints when every relocation resolved: one line per check, in
/// program order. The program exits with the number of passes (100 + failures otherwise).
const EVERY_RELOC_OUTPUT: &str = "\
ok abs32
ok pcrel32
ok diff32
ok arm_prel31
ok arm_movw_abs_nc + arm_movt_abs
ok arm_movw_prel_nc + arm_movt_prel
ok arm_jump24
ok arm_call + arm_thm_call
ok arm_thm_movw_abs_nc + arm_thm_movt_abs
ok arm_thm_movw_prel_nc + arm_thm_movt_prel
ok arm_thm_jump24 + arm_thm_jump19
ok arm_got_prel
ok arm_target2
ok arm_base_prel
ok arm_got_brel
ok arm_gotoff32
ok arm_target1
ok native none
";

/// Every portable kind 32-bit Arm ELF can express, plus `native`: `every_reloc.json` uses
/// each but abs8 and abs16, which `narrow.json` uses (ld.lld 19 does not implement them).
const ARM_KINDS: &[&str] = &[
    "abs32",
    "pcrel32",
    "secrel32",
    "diff32",
    "arm_prel31",
    "arm_call",
    "arm_jump24",
    "arm_thm_call",
    "arm_thm_jump24",
    "arm_thm_jump19",
    "arm_movw_abs_nc",
    "arm_movt_abs",
    "arm_movw_prel_nc",
    "arm_movt_prel",
    "arm_thm_movw_abs_nc",
    "arm_thm_movt_abs",
    "arm_thm_movw_prel_nc",
    "arm_thm_movt_prel",
    "arm_got_prel",
    "arm_got_brel",
    "arm_gotoff32",
    "arm_base_prel",
    "arm_target1",
    "arm_target2",
    "native",
];

/// The ELF relocation types those kinds must become (`llvm-readobj` spelling).
const ARM_TYPES: &[&str] = &[
    "R_ARM_ABS32",
    "R_ARM_REL32",
    "R_ARM_PREL31",
    "R_ARM_CALL",
    "R_ARM_JUMP24",
    "R_ARM_THM_CALL",
    "R_ARM_THM_JUMP24",
    "R_ARM_THM_JUMP19",
    "R_ARM_MOVW_ABS_NC",
    "R_ARM_MOVT_ABS",
    "R_ARM_MOVW_PREL_NC",
    "R_ARM_MOVT_PREL",
    "R_ARM_THM_MOVW_ABS_NC",
    "R_ARM_THM_MOVT_ABS",
    "R_ARM_THM_MOVW_PREL_NC",
    "R_ARM_THM_MOVT_PREL",
    "R_ARM_GOT_PREL",
    "R_ARM_GOT_BREL",
    "R_ARM_GOTOFF32",
    "R_ARM_BASE_PREL",
    "R_ARM_TARGET1",
    "R_ARM_TARGET2",
    "R_ARM_NONE",
];

fn fixture(name: &str) -> PathBuf {
    common::fixture(&format!("arm/{name}"))
}

/// Builds `spec` into `dir/NAME.o` and runs the strict ELF checks on it.
fn build_checked(dir: &Path, spec: &Path, name: &str) -> PathBuf {
    let obj = dir.join(format!("{name}.o"));
    common::build(spec, &obj);
    common::check_elf(&obj);
    obj
}

/// Links statically with the GNU cross linker; a warning fails the link.
fn link_gnu(objs: &[&Path], extra: &[&str], out: &Path) {
    common::run_ok(
        Command::new("arm-linux-gnueabihf-ld")
            .args(["-static", "--fatal-warnings"])
            .args(extra)
            .args(objs)
            .arg("-o")
            .arg(out),
    );
}

fn run_arm(exe: &Path) -> (String, i32) {
    common::run_program(Some("qemu-arm"), exe)
}

/// GNU as's object for fixture `NAME.s`.
fn assemble(dir: &Path, name: &str) -> PathBuf {
    let obj = dir.join(format!("{name}-gas.o"));
    common::run_ok(
        Command::new("arm-linux-gnueabihf-as")
            .arg("-march=armv7-a")
            .arg(fixture(&format!("{name}.s")))
            .arg("-o")
            .arg(&obj),
    );
    obj
}

/// The `secrel32` fields of `.objforge.strrefs` are offsets into `.debug_str` (which is not
/// loaded, so the program cannot check them itself): check them in the linked file.
fn check_secrel(exe: &Path) {
    assert_eq!(
        common::strrefs(exe, false),
        ["arm", "rm", "objforge"],
        "{}",
        exe.display()
    );
}

#[test]
fn arm_every_relocation_kind_links_and_runs() {
    let dir = common::scratch("arm_every_reloc");
    let spec = fixture("every_reloc.json");

    // The fixtures keep covering every kind.
    let mut used = common::kinds_used(&spec);
    used.extend(common::kinds_used(&fixture("narrow.json")));
    for kind in ARM_KINDS.iter().chain(&["abs8", "abs16"]) {
        assert!(used.contains(*kind), "the arm fixtures use no {kind}");
    }

    let obj = build_checked(&dir, &spec, "every_reloc");
    let relocs = common::readobj(&["-r"], &obj);
    for ty in ARM_TYPES {
        assert!(
            relocs.contains(&format!(" {ty} ")),
            "no {ty} in the object:\n{relocs}"
        );
    }
    let headers = common::readobj(&["--file-headers"], &obj);
    assert!(
        headers.contains("Flags [ (0x5000400)") && headers.contains("Machine: EM_ARM"),
        "e_flags should be EABI5 | ABI_FLOAT_HARD:\n{headers}"
    );

    let expected = (
        EVERY_RELOC_OUTPUT.to_string(),
        EVERY_RELOC_OUTPUT.lines().count() as i32,
    );
    let exe = dir.join("every_reloc");
    link_gnu(&[&obj], &[], &exe);
    assert_eq!(run_arm(&exe), expected, "GNU ld");
    check_secrel(&exe);

    let exe_lld = dir.join("every_reloc-lld");
    common::link_lld(&[&obj], &["-static", "--fatal-warnings"], &exe_lld);
    assert_eq!(run_arm(&exe_lld), expected, "ld.lld");
    check_secrel(&exe_lld);
}

#[test]
fn arm_abs8_and_abs16_link_with_gnu_ld() {
    let dir = common::scratch("arm_narrow");
    let obj = build_checked(&dir, &fixture("narrow.json"), "narrow");
    let relocs = common::readobj(&["-r"], &obj);
    assert!(
        relocs.contains(" R_ARM_ABS16 ") && relocs.contains(" R_ARM_ABS8 "),
        "{relocs}"
    );
    // The spec has no .ARM.attributes: the writer's states the hard-float ABI.
    let attributes = common::run_ok(
        Command::new("arm-linux-gnueabihf-readelf")
            .arg("-A")
            .arg(&obj),
    );
    assert!(
        attributes.contains("Tag_ABI_VFP_args: VFP registers"),
        "{attributes}"
    );
    let exe = dir.join("narrow");
    link_gnu(&[&obj], &["-Ttext=0x1000"], &exe);
    assert_eq!(
        run_arm(&exe),
        ("ok abs16\nok abs8\n".to_string(), 0),
        "GNU ld"
    );
}

/// Building the spec puts back exactly GNU as's bytes: the addends the dump took out of
/// branch and movw/movt fields (REL) go back in the same encoding.
#[test]
fn arm_fields_match_gnu_as() {
    let dir = common::scratch("arm_fields");
    let gas = assemble(&dir, "every_reloc");
    let ours = build_checked(&dir, &fixture("every_reloc.json"), "every_reloc");
    for section in [".text", ".text.far", ".rodata"] {
        assert_eq!(
            common::section_bytes(&ours, section),
            common::section_bytes(&gas, section),
            "{section}"
        );
    }
    // .data differs only where the spec's diff32 stands for GNU as's folded constant.
    let (a, b) = (
        common::section_bytes(&ours, ".data"),
        common::section_bytes(&gas, ".data"),
    );
    let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    assert!(differing.len() <= 4, "{differing:?}");
}

/// Relocation `kind` at offset 0 of a 4-byte `.text` holding `insn`, against an undefined
/// `target`, with `addend`: the spec as a backend writes it.
fn one_reloc_spec(kind: &str, insn: &str, addend: i64) -> String {
    format!(
        r#"{{"target": "armv7-unknown-linux-gnueabihf",
  "sections": [{{"name": ".text", "kind": "text", "align": 4, "hex": "{insn}"}}],
  "symbols": [{{"name": "target"}}],
  "relocations": [{{"section": ".text", "offset": 0, "symbol": "target", "kind": "{kind}", "addend": {addend}}}]}}"#
    )
}

#[test]
fn arm_addend_that_does_not_fit_is_an_error_naming_the_relocation() {
    let dir = common::scratch("arm_addend_errors");
    for (kind, insn, addend) in [
        ("arm_thm_call", "00f000f8", 1 << 24),
        ("arm_call", "000000eb", 2),
        ("arm_movw_abs_nc", "000000e3", 0x8000),
        ("arm_thm_jump19", "00f00080", -(1 << 21)),
    ] {
        let spec = dir.join(format!("{kind}.json"));
        std::fs::write(&spec, one_reloc_spec(kind, insn, addend)).unwrap();
        let out = common::run(
            common::objforge()
                .arg("build")
                .arg(&spec)
                .arg("-o")
                .arg(dir.join(format!("{kind}.o"))),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success()
                && stderr.contains("relocations[0].addend")
                && stderr.contains(kind),
            "{kind} {addend}:\n{stderr}"
        );
    }
}

/// A soft-float triple writes EF_ARM_ABI_FLOAT_SOFT and says so in the attributes.
#[test]
fn arm_soft_float_triple_sets_e_flags() {
    let dir = common::scratch("arm_soft_float");
    let spec = dir.join("soft.json");
    let text = one_reloc_spec("arm_call", "feffffeb", -8)
        .replace("armv7-unknown-linux-gnueabihf", "arm-linux-gnueabi");
    std::fs::write(&spec, text).unwrap();
    let obj = build_checked(&dir, &spec, "soft");
    let headers = common::readobj(&["--file-headers"], &obj);
    assert!(headers.contains("Flags [ (0x5000200)"), "{headers}");
    let attributes = common::run_ok(
        Command::new("arm-linux-gnueabihf-readelf")
            .arg("-A")
            .arg(&obj),
    );
    assert!(
        attributes.contains("Tag_ABI_VFP_args: AAPCS"),
        "{attributes}"
    );
}

/// An exception index table is `SHT_ARM_EXIDX`, `SHF_ALLOC|SHF_LINK_ORDER`, linked to the
/// text section its name gives; without that section it is an error naming the table.
#[test]
fn arm_exception_index_tables_link_to_their_text() {
    let dir = common::scratch("arm_exidx");
    let spec = |text: &str| {
        format!(
            r#"{{"target": "arm-linux-gnueabihf",
  "sections": [
    {{"name": "{text}", "kind": "text", "align": 4, "hex": "7047"}},
    {{"name": ".ARM.exidx.text.f", "kind": "rodata", "align": 4, "hex": "0000000001000000"}}
  ],
  "symbols": [
    {{"name": "f", "section": "{text}", "offset": 1, "kind": "func", "binding": "global"}},
    {{"name": "__aeabi_unwind_cpp_pr0"}},
    {{"name": "{text}", "section": "{text}", "kind": "section"}}
  ],
  "relocations": [
    {{"section": ".ARM.exidx.text.f", "offset": 0, "symbol": "{text}", "kind": "arm_prel31"}},
    {{"section": ".ARM.exidx.text.f", "offset": 0, "symbol": "__aeabi_unwind_cpp_pr0", "kind": "native", "native": {{"type": 0}}}}
  ]}}"#
        )
    };
    let good = dir.join("exidx.json");
    std::fs::write(&good, spec(".text.f")).unwrap();
    let obj = build_checked(&dir, &good, "exidx");
    let sections = common::run_ok(
        Command::new("arm-linux-gnueabihf-readelf")
            .arg("-SW")
            .arg(&obj),
    );
    let line = sections
        .lines()
        .find(|l| l.contains(".ARM.exidx.text.f") && !l.contains(".rel"))
        .unwrap_or_else(|| panic!("{sections}"));
    let text_index = sections
        .lines()
        .find(|l| l.contains(" .text.f "))
        .and_then(|l| l.split(']').next())
        .and_then(|l| l.rsplit('[').next())
        .map(|n| n.trim().to_string())
        .unwrap_or_else(|| panic!("{sections}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert!(
        fields.contains(&"ARM_EXIDX") && fields.contains(&"AL"),
        "{line}"
    );
    assert!(
        fields.contains(&text_index.as_str()),
        "sh_link should be .text.f's index {text_index}: {line}"
    );

    let bad = dir.join("exidx-alone.json");
    std::fs::write(&bad, spec(".text.g")).unwrap();
    let out = common::run(
        common::objforge()
            .arg("build")
            .arg(&bad)
            .arg("-o")
            .arg(dir.join("exidx-alone.o")),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("sections[1].name")
            && stderr.contains("text section .text.f"),
        "{stderr}"
    );
}
