//! IBM Z (s390x) ELF end to end: objforge's first big-endian target. JSON specs as a backend
//! writes them (machine code with the relocated fields zero, symbols, relocations) built with
//! the `objforge` CLI, checked by the strict validators, linked statically with GNU ld and
//! ld.lld, run under qemu-s390x; and GNU as's objects read back by `objforge dump`.
//!
//! The fixtures are in `tests/fixtures/s390x/`: `every_reloc.json` is the spec,
//! `every_reloc.s` the assembly it encodes (`make_spec.py` turned gas's output into the JSON).

mod common;

use std::collections::BTreeSet;
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
ok pcrel16
ok pcrel64
ok s390_pc32dbl lrl/stgrl
ok s390_plt32dbl
ok s390_plt16dbl
ok s390_pc16dbl
ok s390_gotent
ok s390_gotpcdbl + native got12
ok native got20
ok native gotoff64
ok diff16
ok diff64
ok diff32 jump table
";

/// Every portable kind s390x ELF can express, plus `native`: `every_reloc.json` uses each.
const S390X_KINDS: &[&str] = &[
    "abs8",
    "abs16",
    "abs32",
    "abs64",
    "pcrel16",
    "pcrel32",
    "pcrel64",
    "secrel32",
    "s390_pc32dbl",
    "s390_pc16dbl",
    "s390_plt32dbl",
    "s390_plt16dbl",
    "s390_gotent",
    "s390_gotpcdbl",
    "diff16",
    "diff32",
    "diff64",
    "native",
];

/// The ELF relocation types those kinds must become (`llvm-readobj` spelling).
const S390X_TYPES: &[&str] = &[
    "R_390_8",
    "R_390_16",
    "R_390_32",
    "R_390_64",
    "R_390_PC16",
    "R_390_PC32",
    "R_390_PC64",
    "R_390_PC16DBL",
    "R_390_PC32DBL",
    "R_390_PLT16DBL",
    "R_390_PLT32DBL",
    "R_390_GOTENT",
    "R_390_GOTPCDBL",
    "R_390_GOT12",
    "R_390_GOT20",
    "R_390_GOTOFF64",
];

/// The absolute symbols `every_reloc` takes from the link for its `abs16` and `abs8` fields.
const DEFSYMS: &[&str] = &["--defsym=small16=0x1234", "--defsym=small8=0x56"];

fn fixture(name: &str) -> PathBuf {
    common::fixture(&format!("s390x/{name}"))
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
        Command::new("s390x-linux-gnu-ld")
            .args(["-static", "--fatal-warnings"])
            .args(DEFSYMS)
            .args(objs)
            .arg("-o")
            .arg(out),
    );
}

/// Links statically with ld.lld; a warning fails the link.
fn link_lld(objs: &[&Path], out: &Path) {
    let mut args = vec!["-m", "elf64_s390", "-static", "--fatal-warnings"];
    args.extend(DEFSYMS);
    common::link_lld(objs, &args, out);
}

fn run_s390x(exe: &Path) -> (String, i32) {
    common::run_program(Some("qemu-s390x"), exe)
}

fn expected_run() -> (String, i32) {
    (
        EVERY_RELOC_OUTPUT.to_string(),
        EVERY_RELOC_OUTPUT.lines().count() as i32,
    )
}

/// The `secrel32` fields of `.objforge.strrefs` are offsets into `.debug_str` (which is not
/// loaded, so the program cannot check them itself): big-endian words, checked in the
/// linked file.
fn check_secrel(exe: &Path) {
    assert_eq!(
        common::strrefs(exe, true),
        ["s390x", "90x", "objforge"],
        "{}",
        exe.display()
    );
}

#[test]
fn s390x_every_relocation_kind_links_and_runs() {
    let dir = common::scratch("s390x_every_reloc");
    let spec = fixture("every_reloc.json");

    // The fixture keeps covering every kind.
    let used = common::kinds_used(&spec);
    for kind in S390X_KINDS {
        assert!(used.contains(*kind), "every_reloc.json uses no {kind}");
    }

    let obj = build_checked(&dir, &spec, "every_reloc");
    let relocs = common::readobj(&["-r"], &obj);
    for ty in S390X_TYPES {
        assert!(
            relocs.contains(&format!(" {ty} ")),
            "no {ty} in the object:\n{relocs}"
        );
    }
    // The relative-long fields: 2 bytes into the instruction, addend 2 (as GNU as writes
    // `brasl %r14,check@PLT` and `larl %r12,_GLOBAL_OFFSET_TABLE_`).
    for line in [
        "0xA R_390_GOTPCDBL _GLOBAL_OFFSET_TABLE_ 0x2",
        "0x22 R_390_PLT32DBL check 0x2",
    ] {
        assert!(relocs.contains(line), "no `{line}`:\n{relocs}");
    }
    let headers = common::readobj(&["--file-headers"], &obj);
    for want in [
        "DataEncoding: BigEndian (0x2)",
        "Class: 64-bit (0x2)",
        "Machine: EM_S390 (0x16)",
        "Flags [ (0x0)",
    ] {
        assert!(headers.contains(want), "no `{want}`:\n{headers}");
    }

    let exe = dir.join("every_reloc");
    link_gnu(&[&obj], &exe);
    assert_eq!(run_s390x(&exe), expected_run(), "GNU ld");
    check_secrel(&exe);

    let exe_lld = dir.join("every_reloc-lld");
    link_lld(&[&obj], &exe_lld);
    assert_eq!(run_s390x(&exe_lld), expected_run(), "ld.lld");
    check_secrel(&exe_lld);
}

/// GNU as's object for the same source: `objforge dump` reads it (big-endian), the rebuilt
/// object runs the same, and dumping the rebuilt object gives the same spec again. The dump
/// has the portable kinds the fixture has, gas's PC-relative data fields aside (`diff*` in the
/// fixture, which gas writes as `R_390_PC*` measured from the field).
#[test]
fn s390x_gas_object_dumps_rebuilds_and_runs() {
    let dir = common::scratch("s390x_gas_dump");
    let gas = dir.join("gas.o");
    common::run_ok(
        Command::new("s390x-linux-gnu-as")
            .arg("-march=z196")
            .arg(fixture("every_reloc.s"))
            .arg("-o")
            .arg(&gas),
    );
    let spec = dir.join("gas.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&gas)
            .arg("-o")
            .arg(&spec),
    );
    let rebuilt = build_checked(&dir, &spec, "rebuilt");
    let again = dir.join("rebuilt.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&rebuilt)
            .arg("-o")
            .arg(&again),
    );
    assert_eq!(
        std::fs::read_to_string(&spec).unwrap(),
        std::fs::read_to_string(&again).unwrap(),
        "dump -> build -> dump is not a fixed point"
    );

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    assert_eq!(doc["target"], "s390x-unknown-linux-gnu");
    let kinds: BTreeSet<&str> = doc["relocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    for kind in S390X_KINDS.iter().filter(|k| !k.starts_with("diff")) {
        assert!(kinds.contains(kind), "the dump has no {kind}: {kinds:?}");
    }

    for (name, link) in [("gnu", link_gnu as fn(&[&Path], &Path)), ("lld", link_lld)] {
        let exe = dir.join(format!("rebuilt-{name}"));
        link(&[&rebuilt], &exe);
        assert_eq!(run_s390x(&exe), expected_run(), "{name}");
    }
}

/// objforge's own object dumps to a spec that builds the same bytes again.
#[test]
fn s390x_dump_of_objforge_output_rebuilds_the_same_bytes() {
    let dir = common::scratch("s390x_fixed_point");
    let first = build_checked(&dir, &fixture("every_reloc.json"), "first");
    let spec = dir.join("first.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&first)
            .arg("-o")
            .arg(&spec),
    );
    let second = build_checked(&dir, &spec, "second");
    assert!(
        std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(),
        "{} and {} differ",
        first.display(),
        second.display()
    );
}

/// A relative-long field reaches ±4 GiB in halfwords: an odd distance to a target in the
/// field's own section is an error naming the relocation, as is a 16-bit one out of reach.
#[test]
fn s390x_relative_fields_count_halfwords() {
    let dir = common::scratch("s390x_halfwords");
    let cases = [
        (
            "s390_pc32dbl",
            3,
            "relocations[0]: s390_pc32dbl at 2 of .text reaches offset 4+3 of the same section, 5 bytes away, which is not a multiple of 2",
        ),
        (
            "s390_pc16dbl",
            0x10002,
            "relocations[0]: s390_pc16dbl at 2 of .text reaches offset 4+65538 of the same section, 65540 bytes away; the field reaches -65536..=65535",
        ),
    ];
    for (kind, addend, message) in cases {
        let spec = dir.join(format!("{kind}.json"));
        let doc = serde_json::json!({
            "target": "s390x-linux-gnu",
            "sections": [{"name": ".text", "kind": "text", "align": 4, "hex": "c0e500000000 07fe"}],
            "symbols": [{"name": "here", "section": ".text", "offset": 4}],
            "relocations": [{"section": ".text", "offset": 2, "kind": kind, "symbol": "here", "addend": addend}]
        });
        std::fs::write(&spec, doc.to_string()).unwrap();
        let out = common::run(
            common::objforge()
                .arg("build")
                .arg(&spec)
                .arg("-o")
                .arg(dir.join(format!("{kind}.o"))),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(message),
            "{kind}: want `{message}`:\n{stderr}"
        );
    }
}
