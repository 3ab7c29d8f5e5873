//! RISC-V (riscv64) ELF end to end: JSON specs as a backend writes them (machine code with the
//! relocated fields zero, symbols, relocations) built with the `objforge` CLI, checked by the
//! strict validators, linked statically with GNU ld and ld.lld, run under qemu-riscv64.
//!
//! The fixtures are in `tests/fixtures/riscv64/`: each `NAME.json` is the spec, `NAME.s` the
//! assembly it encodes (documentation only; `make_spec.py` turned gas's output into the JSON).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `every_reloc.json` prints when every relocation resolved: one line per check, in
/// program order. The program exits with the number of passes (100 + failures otherwise).
const EVERY_RELOC_OUTPUT: &str = "\
ok abs64
ok abs32
ok abs16
ok abs8
ok pcrel32
ok rv_pcrel_hi20 + rv_pcrel_lo12_i
ok rv_pcrel_lo12_s
ok rv_pcrel_lo12_i sharing a hi20
ok rv_got_hi20
ok rv_hi20 + rv_lo12_i load
ok rv_hi20 + rv_lo12_i addi
ok rv_lo12_s
ok diff8
ok diff16
ok diff64
ok diff32 jump table
ok native tprel
ok rv_call
ok rv_jal
ok rv_branch
ok rv_rvc_branch
ok rv_rvc_jump
";

/// Every portable kind riscv64 ELF can express but the thread-local ones (tls.rs runs those),
/// plus `native`: `every_reloc.json` uses each.
const RISCV64_KINDS: &[&str] = &[
    "abs8",
    "abs16",
    "abs32",
    "abs64",
    "pcrel32",
    "secrel32",
    "rv_call",
    "rv_pcrel_hi20",
    "rv_pcrel_lo12_i",
    "rv_pcrel_lo12_s",
    "rv_got_hi20",
    "rv_hi20",
    "rv_lo12_i",
    "rv_lo12_s",
    "rv_branch",
    "rv_jal",
    "rv_rvc_branch",
    "rv_rvc_jump",
    "diff8",
    "diff16",
    "diff32",
    "diff64",
    "native",
];

/// The ELF relocation types those kinds must become (`llvm-readobj` spelling).
const RISCV64_TYPES: &[&str] = &[
    "R_RISCV_SET8",
    "R_RISCV_SET16",
    "R_RISCV_32",
    "R_RISCV_64",
    "R_RISCV_32_PCREL",
    "R_RISCV_CALL_PLT",
    "R_RISCV_PCREL_HI20",
    "R_RISCV_PCREL_LO12_I",
    "R_RISCV_PCREL_LO12_S",
    "R_RISCV_GOT_HI20",
    "R_RISCV_HI20",
    "R_RISCV_LO12_I",
    "R_RISCV_LO12_S",
    "R_RISCV_BRANCH",
    "R_RISCV_JAL",
    "R_RISCV_RVC_BRANCH",
    "R_RISCV_RVC_JUMP",
    "R_RISCV_ADD8",
    "R_RISCV_SUB8",
    "R_RISCV_ADD16",
    "R_RISCV_SUB16",
    "R_RISCV_ADD32",
    "R_RISCV_SUB32",
    "R_RISCV_ADD64",
    "R_RISCV_SUB64",
    "R_RISCV_TPREL_HI20",
    "R_RISCV_TPREL_ADD",
    "R_RISCV_TPREL_LO12_I",
];

fn fixture(name: &str) -> PathBuf {
    common::fixture(&format!("riscv64/{name}"))
}

/// Builds `spec` into `dir/NAME.o` and runs the strict ELF checks on it.
fn build_checked(dir: &Path, spec: &Path, name: &str) -> PathBuf {
    let obj = dir.join(format!("{name}.o"));
    common::build(spec, &obj);
    common::check_elf(&obj);
    obj
}

/// Links statically with the GNU cross linker; a warning fails the link.
fn link_gnu(objs: &[&Path], out: &Path) {
    common::run_ok(
        Command::new("riscv64-linux-gnu-ld")
            .args(["-static", "--fatal-warnings"])
            .args(objs)
            .arg("-o")
            .arg(out),
    );
}

/// ld.lld's arguments: static, and a warning fails the link.
const LLD_ARGS: &[&str] = &["-static", "--fatal-warnings"];

fn run_riscv64(exe: &Path) -> (String, i32) {
    common::run_program(Some("qemu-riscv64"), exe)
}

/// The `secrel32` fields of `.objforge.strrefs` are offsets into `.debug_str` (which is not
/// loaded, so the program cannot check them itself): check them in the linked file.
fn check_secrel(exe: &Path) {
    assert_eq!(
        common::strrefs(exe, false),
        ["riscv64", "64", "objforge"],
        "{}",
        exe.display()
    );
}

#[test]
fn riscv64_every_relocation_kind_links_and_runs() {
    let dir = common::scratch("riscv64_every_reloc");
    let spec = fixture("every_reloc.json");

    // The fixture keeps covering every kind.
    let used = common::kinds_used(&spec);
    for kind in RISCV64_KINDS {
        assert!(used.contains(*kind), "every_reloc.json uses no {kind}");
    }

    let obj = build_checked(&dir, &spec, "every_reloc");
    let relocs = common::readobj(&["-r"], &obj);
    for ty in RISCV64_TYPES {
        assert!(
            relocs.contains(&format!(" {ty} ")),
            "no {ty} in the object:\n{relocs}"
        );
    }
    // secrel32 against a symbol in a non-allocated section: a plain R_RISCV_32.
    for line in [
        "0x0 R_RISCV_32 ds_riscv 0x0",
        "0x4 R_RISCV_32 ds_riscv 0x5",
        "0x8 R_RISCV_32 ds_objforge 0x0",
    ] {
        assert!(relocs.contains(line), "no `{line}`:\n{relocs}");
    }
    let headers = common::readobj(&["--file-headers"], &obj);
    assert!(
        headers.contains("Flags [ (0x5)"),
        "default e_flags should be RVC | FLOAT_ABI_DOUBLE:\n{headers}"
    );

    let expected = (
        EVERY_RELOC_OUTPUT.to_string(),
        EVERY_RELOC_OUTPUT.lines().count() as i32,
    );
    let exe = dir.join("every_reloc");
    link_gnu(&[&obj], &exe);
    assert_eq!(run_riscv64(&exe), expected, "GNU ld");
    check_secrel(&exe);

    let exe_lld = dir.join("every_reloc-lld");
    common::link_lld(&[&obj], LLD_ARGS, &exe_lld);
    assert_eq!(run_riscv64(&exe_lld), expected, "ld.lld");
    check_secrel(&exe_lld);
}

/// `spec` with `target` replaced (if given) and `options.float_abi` set to `abi` (or removed,
/// for `None`), written into `dir` as `NAME.json`.
fn variant(
    dir: &Path,
    spec: &Path,
    name: &str,
    target: Option<&str>,
    abi: Option<&str>,
) -> PathBuf {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec).unwrap()).unwrap();
    let top = doc.as_object_mut().unwrap();
    if let Some(target) = target {
        top.insert("target".into(), target.into());
    }
    match abi {
        Some(abi) => {
            top.insert("options".into(), serde_json::json!({ "float_abi": abi }));
        }
        None => {
            top.remove("options");
        }
    }
    let out = dir.join(format!("{name}.json"));
    std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    out
}

/// `llvm-readobj-19 --file-headers` of the object built from `spec` and checked.
fn file_headers(dir: &Path, spec: &Path, name: &str) -> String {
    common::readobj(&["--file-headers"], &build_checked(dir, spec, name))
}

#[test]
fn riscv64_float_abi_sets_e_flags() {
    let dir = common::scratch("riscv64_float_abi_flags");
    let spec = fixture("float_main.json");
    // (float_abi, e_flags, FLOAT_ABI_DOUBLE, FLOAT_ABI_SINGLE); RVC from riscv64gc throughout.
    for (abi, flags, double, single) in [
        (None, "Flags [ (0x5)", true, false),
        (Some("lp64d"), "Flags [ (0x5)", true, false),
        (Some("lp64f"), "Flags [ (0x3)", false, true),
        (Some("lp64"), "Flags [ (0x1)", false, false),
    ] {
        let name = format!("main-{}", abi.unwrap_or("default"));
        let headers = file_headers(&dir, &variant(&dir, &spec, &name, None, abi), &name);
        assert!(headers.contains(flags), "{abi:?}: want {flags}:\n{headers}");
        assert_eq!(
            (
                headers.contains("EF_RISCV_FLOAT_ABI_DOUBLE"),
                headers.contains("EF_RISCV_FLOAT_ABI_SINGLE"),
                headers.contains("EF_RISCV_RVC"),
            ),
            (double, single, true),
            "{abi:?}:\n{headers}"
        );
    }
    // Without `float_abi`, the triple's extensions decide: no D means soft float, no C no RVC.
    for (target, flags) in [
        ("riscv64imac-unknown-none-elf", "Flags [ (0x1)"),
        ("riscv64g-unknown-linux-gnu", "Flags [ (0x4)"),
    ] {
        let name = target.split('-').next().unwrap();
        let headers = file_headers(&dir, &variant(&dir, &spec, name, Some(target), None), name);
        assert!(
            headers.contains(flags),
            "{target}: want {flags}:\n{headers}"
        );
    }
}

#[test]
fn riscv64_lp64d_objects_link_together() {
    let dir = common::scratch("riscv64_lp64d_link");
    let main = build_checked(&dir, &fixture("float_main.json"), "float_main");
    let scale = build_checked(&dir, &fixture("float_scale.json"), "float_scale");

    // main passes 1.5 in fa0 to scale, which returns 4x in fa0: exit code 6.
    let exe = dir.join("float");
    link_gnu(&[&main, &scale], &exe);
    assert_eq!(run_riscv64(&exe), (String::new(), 6), "GNU ld");
    let exe_lld = dir.join("float-lld");
    common::link_lld(&[&main, &scale], LLD_ARGS, &exe_lld);
    assert_eq!(run_riscv64(&exe_lld), (String::new(), 6), "ld.lld");

    // The same with the toolchain's own lp64d object for scale.
    let scale_gas = dir.join("float_scale-gas.o");
    common::run_ok(
        Command::new("riscv64-linux-gnu-as")
            .args(["-march=rv64gc", "-mabi=lp64d"])
            .arg(fixture("float_scale.s"))
            .arg("-o")
            .arg(&scale_gas),
    );
    let exe_gas = dir.join("float-gas");
    link_gnu(&[&main, &scale_gas], &exe_gas);
    assert_eq!(
        run_riscv64(&exe_gas),
        (String::new(), 6),
        "with gas's scale"
    );

    // An lp64 (soft-float) main does not link with the lp64d scale: e_flags carry the ABI.
    let soft = variant(
        &dir,
        &fixture("float_main.json"),
        "float_main-lp64",
        None,
        Some("lp64"),
    );
    let main_soft = build_checked(&dir, &soft, "float_main-lp64");
    for linker in ["riscv64-linux-gnu-ld", "ld.lld-19"] {
        let out = common::run(
            Command::new(linker)
                .arg("-static")
                .arg(&main_soft)
                .arg(&scale)
                .arg("-o")
                .arg(dir.join("float-mixed")),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("float"),
            "{linker} should refuse lp64 with lp64d:\n{stderr}"
        );
    }
}
