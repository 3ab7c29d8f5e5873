//! Mach-O objects that clang made, through `objforge dump` and back. The three C programs of
//! `tests/fixtures/dump/c/` (with `macho_rt.c`, a freestanding C library: there is no macOS
//! SDK here) compiled by `clang-19 -target arm64-apple-macos11` and `x86_64-apple-macos11`,
//! `-O2` and `-O0 -g`; every object dumped and rebuilt by objforge; the programs linked by
//! `ld64.lld-19` from the originals and from the rebuilt objects. The relocations of the
//! rebuilt objects resolve to the same targets: the two images have the same sections with
//! the same addresses and the same bytes (the originals linked without their linker
//! optimisation hints, which the dump leaves out), and both run the same under the Unicorn
//! emulator (`fixtures/run_macho.py`).

mod common;
mod dump_support;
mod macho_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection};

/// Every section of a linked image: (segment,section name, address, contents).
fn sections(image: &Path) -> Vec<(String, u64, Vec<u8>)> {
    let data = std::fs::read(image).expect("read the image");
    let file = object::File::parse(&*data).expect("parse the image");
    file.sections()
        .map(|s| {
            let segment = s.segment_name().ok().flatten().unwrap_or("").to_string();
            (
                format!("{segment},{}", s.name().unwrap_or("")),
                s.address(),
                s.data().unwrap_or(&[]).to_vec(),
            )
        })
        .collect()
}

/// Runs a linked program under Unicorn: (stdout, exit code).
fn emulate(image: &Path) -> (String, i32) {
    let out = common::run(
        Command::new("python3")
            .arg(common::fixture("run_macho.py"))
            .arg(image),
    );
    assert!(
        out.status.code().is_some_and(|c| c < 128) && out.stderr.is_empty(),
        "{}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn check(arch: &str, flags: &[&str], name: &str) {
    let dir = common::scratch(&format!("dump_macho_{name}"));
    let src = common::fixture("dump/c");
    let target = format!("{arch}-apple-macos11");
    let mut compile = Vec::new();
    for s in dump_support::sources(&["fmt", "macho_rt"]) {
        let mut cmd = Command::new("clang-19");
        cmd.args(["-target", &target, "-ffreestanding", "-fno-stack-protector"])
            .args(flags)
            .arg("-c")
            .arg(src.join(format!("{s}.c")))
            .arg("-o")
            .arg(dir.join(format!("{s}.o")));
        compile.push(cmd);
    }
    dump_support::run_parallel(compile);
    dump_support::rebuild_to_fixed_point(&dir, &dump_support::sources(&["fmt", "macho_rt"]));

    for (program, files) in dump_support::PROGRAMS {
        let objs = |suffix: &str| -> Vec<PathBuf> {
            files
                .iter()
                .chain(&["fmt", "macho_rt"])
                .map(|f| dir.join(format!("{f}{suffix}.o")))
                .collect()
        };
        let original = dir.join(program);
        let rebuilt = dir.join(format!("{program}.re"));
        let originals = objs("");
        let rebuilts = objs(".re");
        macho_support::link_with(
            arch,
            macho_support::MACOS,
            &originals.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            &["-e", "_rt_start", "-ignore_optimization_hints"],
            &original,
        );
        macho_support::link_with(
            arch,
            macho_support::MACOS,
            &rebuilts.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            &["-e", "_rt_start"],
            &rebuilt,
        );
        let sa = sections(&original);
        let sb = sections(&rebuilt);
        assert_eq!(
            sa.iter().map(|s| (&s.0, s.1)).collect::<Vec<_>>(),
            sb.iter().map(|s| (&s.0, s.1)).collect::<Vec<_>>(),
            "{name} {program}: the images have different sections"
        );
        for (x, y) in sa.iter().zip(&sb) {
            assert!(
                x.2 == y.2,
                "{name} {program}: section {} differs between the images",
                x.0
            );
        }
        let (out_a, code_a) = emulate(&original);
        let (out_b, code_b) = emulate(&rebuilt);
        assert!(out_a.lines().count() > 10, "{name} {program}: {out_a}");
        assert_eq!((out_a, code_a), (out_b, code_b), "{name} {program}");
    }
}

#[test]
fn arm64_clang_objects_round_trip() {
    check("arm64", &["-O2"], "arm64_o2");
    check("arm64", &["-O0", "-g"], "arm64_o0g");
}

#[test]
fn x86_64_clang_objects_round_trip() {
    check("x86_64", &["-O2"], "x86_64_o2");
    check("x86_64", &["-O0", "-g"], "x86_64_o0g");
}

/// clang's arm64 `__eh_frame` FDEs reach a function through SUBTRACTOR + UNSIGNED pairs
/// whose UNSIGNED is extern to a local function with a negative addend (the address lies
/// before the symbol: SQLite's `-O2 -ffunction-sections` object, found by the corpus). Written
/// section-relative, it read back as the nearest symbol before that address; it stays
/// extern, so dumping the rebuilt object gives the same relocation.
#[test]
fn difference_before_a_local_symbol_stays_on_that_symbol() {
    let dir = common::scratch("dump_macho_negative_addend");
    let spec = r#"{"target": "arm64-apple-macos",
      "sections": [
        {"name": "__TEXT,__text", "align": 4, "hex": "c0035fd6 c0035fd6 c0035fd6 c0035fd6"},
        {"name": "__TEXT,__eh_frame", "align": 8, "hex": "0000000000000000"}
      ],
      "symbols": [
        {"name": "_early", "section": "__TEXT,__text", "kind": "func"},
        {"name": "_late", "section": "__TEXT,__text", "offset": 12, "kind": "func"},
        {"name": "ltmp1", "section": "__TEXT,__eh_frame"}
      ],
      "relocations": [
        {"section": "__TEXT,__eh_frame", "offset": 0, "kind": "diff64", "symbol": "_late", "addend": -8, "minus": "ltmp1"}
      ]}"#;
    let json = dir.join("fde.json");
    std::fs::write(&json, spec).expect("write the spec");
    common::build(&json, &dir.join("fde.o"));
    dump_support::rebuild_to_fixed_point(&dir, &["fde"]);
    let dumped = std::fs::read_to_string(dir.join("fde.re.json")).expect("read the dump");
    assert!(
        dumped.contains(r#""symbol":"_late","kind":"diff64","addend":-8,"minus":"ltmp1""#),
        "{dumped}"
    );
}
