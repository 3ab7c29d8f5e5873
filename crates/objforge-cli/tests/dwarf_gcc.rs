//! GCC's own debug information carried over (issue 18): small C programs in
//! `tests/fixtures/dwarf_gcc/` are compiled by `gcc -g` at -O0 and -O2, in DWARF 5 and 4;
//! `objforge dump --debug` turns each object into a spec whose `debug` description replaces
//! the `.debug_*` sections, `objforge build` writes it again, and `cc` links both objects.
//! The two programs have the same code bytes, so the same addresses, and are compared:
//!
//! - the same gdb session (breakpoints at functions and at file:line, `info args`, `info
//!   locals`, `bt`, `ptype`, `print`, `finish`) prints the same text at -O0 and at -O2, values
//!   gdb recovers through call sites (`factor=factor@entry=4`), inlined frames' locals in
//!   their blocks and locals without a location (`<optimized out>`) included;
//! - at -O2, `addr2line -f -i` names the same functions and lines, inlined frames included,
//!   at every function entry and every start of inlined code;
//! - `llvm-dwarfdump-19 --verify` finds nothing wrong in the rebuilt objects and programs;
//! - `llvm-dwarfdump-19 --statistics` counts the same bytes of variable and parameter
//!   location coverage, within 5%.

mod common;
mod dwarf_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use dwarf_support::verify;

/// One program compiled one way: GCC's object and program, and objforge's rebuilt ones.
struct Built {
    dir: PathBuf,
    gcc_program: PathBuf,
    rebuilt_object: PathBuf,
    rebuilt_program: PathBuf,
}

/// Copies `dwarf_gcc/NAME.c` into a scratch directory and there runs what a user would:
/// `gcc -OLEVEL -g -gdwarf-VERSION -c NAME.c`, `objforge dump --debug`, `objforge build`,
/// and `cc` on both objects. Checks that the spec carries `debug` instead of `.debug_*`
/// sections, that both programs have the same `.text`, and that the rebuilt object and
/// program pass `llvm-dwarfdump-19 --verify`.
/// `test` keeps the scratch directories of tests running at once apart.
fn build(test: &str, name: &str, level: u32, version: u32) -> Built {
    let dir = common::scratch(&format!("dwarf_gcc-{test}-{name}-O{level}-v{version}"));
    let source = format!("{name}.c");
    std::fs::copy(
        common::fixture(&format!("dwarf_gcc/{source}")),
        dir.join(&source),
    )
    .expect("copy the fixture");
    let run_in = |cmd: &mut Command| common::run_ok(cmd.current_dir(&dir));
    run_in(
        Command::new("gcc")
            .arg(format!("-O{level}"))
            .arg("-g")
            .arg(format!("-gdwarf-{version}"))
            .args(["-c", &source, "-o", "gcc.o"]),
    );
    let out = common::run(common::objforge().current_dir(&dir).args([
        "dump",
        "--debug",
        "gcc.o",
        "-o",
        "spec.json",
    ]));
    assert!(
        out.status.success(),
        "objforge dump --debug {name} -O{level} v{version}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("spec.json")).unwrap()).unwrap();
    assert_eq!(
        spec["debug"]["version"], version,
        "{name}: the DWARF version carries over"
    );
    let sections = spec["sections"].as_array().unwrap();
    assert!(
        !sections
            .iter()
            .any(|s| s["name"].as_str().unwrap_or("").starts_with(".debug_")),
        "{name}: the debug sections are replaced by the description"
    );
    run_in(common::objforge().args(["build", "spec.json", "-o", "rebuilt.o"]));
    run_in(Command::new("cc").args(["gcc.o", "-o", "gcc-program"]));
    run_in(Command::new("cc").args(["rebuilt.o", "-o", "rebuilt-program"]));
    let built = Built {
        gcc_program: dir.join("gcc-program"),
        rebuilt_object: dir.join("rebuilt.o"),
        rebuilt_program: dir.join("rebuilt-program"),
        dir,
    };
    assert_eq!(
        common::section_bytes(&built.gcc_program, ".text"),
        common::section_bytes(&built.rebuilt_program, ".text"),
        "{name} -O{level}: the rebuilt program's code is GCC's, byte for byte"
    );
    verify(&built.rebuilt_object);
    verify(&built.rebuilt_program);
    built
}

/// What gdb prints for `commands` on `program`, run from its directory (so it finds the
/// source), with addresses written `ADDR`.
fn gdb(built: &Built, program: &Path, commands: &[&str]) -> String {
    let mut cmd = Command::new("gdb");
    cmd.current_dir(&built.dir).arg("-batch").arg("-nx");
    for c in commands {
        cmd.arg("-ex").arg(c);
    }
    cmd.arg(program);
    let out = common::run(&mut cmd);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter(|l| {
            !l.contains("libthread_db")
                && !l.starts_with("[Thread debugging")
                && !l.starts_with("[Inferior")
        })
        .map(without_addresses)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `0x55555555513d` → `ADDR`: the programs are position-independent.
fn without_addresses(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i]);
        let digits = rest[i + 2..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len() - i - 2);
        out.push_str("ADDR");
        rest = &rest[i + 2 + digits..];
    }
    out.push_str(rest);
    out
}

/// The session each program is debugged with.
fn session(name: &str) -> &'static [&'static str] {
    match name {
        "list" => &[
            "break push",
            "break list.c:29",
            "run",
            "info args",
            "info locals",
            "bt",
            "print *node",
            "ptype struct node",
            "ptype node_t",
            "continue",
            "info args",
            "info locals",
            "bt",
            "print *n",
            "print n->next->key",
            "finish",
        ],
        "arrays" => &[
            "break total",
            "break trace",
            "run",
            "info args",
            "info locals",
            "bt",
            "print array",
            "print array[3]",
            "print matrix",
            "print points[1]",
            "ptype struct point",
            "ptype enum color",
            "continue",
            "continue",
            "info args",
            "print m[1][1]",
            "bt",
            "finish",
        ],
        "inline" => &[
            "break square",
            "break cube",
            "run",
            "info args",
            "info locals",
            "bt",
            "continue",
            "bt",
            "continue",
            "info args",
            "bt",
            "continue",
            "bt",
        ],
        _ => &[
            "break scale",
            "break loop.c:10",
            "run",
            "info args",
            "info locals",
            "bt",
            "continue",
            "info locals",
            "bt",
            "ptype scale",
            "finish",
        ],
    }
}

/// Builds `name` at -O0 and -O2 in both DWARF versions and compares the gdb sessions.
fn same_gdb_sessions(name: &str) {
    for level in [0, 2] {
        for version in [5, 4] {
            let built = build("gdb", name, level, version);
            let commands = session(name);
            let theirs = gdb(&built, &built.gcc_program, commands);
            let ours = gdb(&built, &built.rebuilt_program, commands);
            assert!(
                theirs.contains("Breakpoint 1") && !theirs.contains("No symbol table"),
                "{name}: gdb did not stop in GCC's program:\n{theirs}"
            );
            assert_eq!(
                ours, theirs,
                "{name} -O{level} DWARF {version}: gdb sessions differ"
            );
        }
    }
}

#[test]
fn list_answers_gdb_as_gccs_build_does() {
    same_gdb_sessions("list");
}

#[test]
fn arrays_answer_gdb_as_gccs_build_does() {
    same_gdb_sessions("arrays");
}

#[test]
fn inlined_function_answers_gdb_as_gccs_build_does() {
    same_gdb_sessions("inline");
}

#[test]
fn optimized_loop_answers_gdb_as_gccs_build_does() {
    same_gdb_sessions("loop");
}

/// Every address where code of a function starts in `program`'s own DWARF: each
/// `DW_AT_low_pc`, `DW_AT_entry_pc` and range start (subprograms, inlined subroutines and
/// blocks alike), as `llvm-dwarfdump-19 --debug-info` prints them.
fn entries(program: &Path) -> Vec<u64> {
    let text = common::run_ok(
        Command::new("llvm-dwarfdump-19")
            .arg("--debug-info")
            .arg(program),
    );
    let mut addresses = Vec::new();
    let mut in_ranges = false;
    for line in text.lines() {
        let line = line.trim();
        let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
        if line.starts_with("DW_AT_low_pc") || line.starts_with("DW_AT_entry_pc") {
            let value = line.split(['(', ')']).nth(1).and_then(hex);
            addresses.extend(value);
        } else if line.starts_with("DW_AT_ranges") {
            in_ranges = true;
        } else if in_ranges && line.starts_with('[') {
            addresses.extend(line.trim_start_matches('[').split(',').next().and_then(hex));
            in_ranges = !line.ends_with("))");
        } else {
            in_ranges = false;
        }
    }
    addresses.retain(|&a| a != 0);
    addresses.sort_unstable();
    addresses.dedup();
    addresses
}

/// `addr2line -f -i -e PROGRAM ADDRESSES`, discriminators left out (the description has
/// none: docs/dwarf.md).
fn addr2line(program: &Path, addresses: &[u64]) -> String {
    let out = common::run_ok(
        Command::new("addr2line")
            .args(["-f", "-i", "-e"])
            .arg(program)
            .args(addresses.iter().map(|a| format!("{a:#x}"))),
    );
    out.lines()
        .map(|l| match l.find(" (discriminator") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn addr2line_agrees_at_every_function_entry_at_o2() {
    for name in ["list", "arrays", "inline", "loop"] {
        for version in [5, 4] {
            let built = build("addr2line", name, 2, version);
            let addresses = entries(&built.gcc_program);
            assert!(
                addresses.len() >= 2,
                "{name}: too few entries: {addresses:?}"
            );
            let theirs = addr2line(&built.gcc_program, &addresses);
            let ours = addr2line(&built.rebuilt_program, &addresses);
            assert!(!theirs.contains("??"), "{name}: GCC's program:\n{theirs}");
            assert_eq!(
                ours, theirs,
                "{name} -O2 DWARF {version}: addr2line -f -i differs"
            );
        }
    }
}

/// The location coverage `llvm-dwarfdump-19 --statistics` reports for `program`: bytes of
/// parameters' and of locals' scopes covered by a location.
fn coverage(program: &Path) -> (u64, u64) {
    let text = common::run_ok(
        Command::new("llvm-dwarfdump-19")
            .arg("--statistics")
            .arg(program),
    );
    let stats: serde_json::Value = serde_json::from_str(&text).expect("statistics are JSON");
    let get = |key: &str| {
        stats[key]
            .as_u64()
            .unwrap_or_else(|| panic!("no `{key}` in the statistics:\n{text}"))
    };
    (
        get("sum_all_params(#bytes in parent scope covered by DW_AT_location)"),
        get("sum_all_local_vars(#bytes in parent scope covered by DW_AT_location)"),
    )
}

#[test]
fn location_coverage_is_gccs_within_5_percent_at_o2() {
    let within = |ours: u64, theirs: u64| ours.abs_diff(theirs) * 20 <= theirs;
    for name in ["list", "arrays", "inline", "loop"] {
        for version in [5, 4] {
            let built = build("statistics", name, 2, version);
            let (params, locals) = coverage(&built.gcc_program);
            let (our_params, our_locals) = coverage(&built.rebuilt_program);
            eprintln!(
                "{name} -O2 DWARF {version}: parameters {our_params} of GCC's {params} bytes, locals {our_locals} of {locals}"
            );
            assert!(
                params > 0 && locals > 0,
                "{name}: GCC's program has no coverage"
            );
            assert!(
                within(our_params, params) && within(our_locals, locals),
                "{name} -O2 DWARF {version}: coverage (params, locals) ours ({our_params}, {our_locals}), GCC's ({params}, {locals})"
            );
        }
    }
}

/// `objforge dump --debug OBJ` in `dir`: exit code and standard error.
fn dump_debug(dir: &Path, object: &str) -> (i32, String) {
    let out = common::run(
        common::objforge()
            .current_dir(dir)
            .args(["dump", "--debug", object, "-o", "out.json"]),
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn dwarf_it_cannot_read_is_one_error_line() {
    let dir = common::scratch("dwarf_gcc-errors");
    std::fs::copy(common::fixture("dwarf_gcc/list.c"), dir.join("list.c")).unwrap();
    std::fs::write(dir.join("twice.c"), "int twice(int x) { return 2 * x; }\n").unwrap();
    for source in ["list.c", "twice.c"] {
        common::run_ok(
            Command::new("gcc")
                .current_dir(&dir)
                .args(["-O2", "-g", "-c", source]),
        );
    }

    // Two compilation units, as `ld -r` makes: the description holds one.
    common::run_ok(
        Command::new("ld")
            .current_dir(&dir)
            .args(["-r", "list.o", "twice.o", "-o", "both.o"]),
    );
    let (code, stderr) = dump_debug(&dir, "both.o");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "objforge: both.o: section .debug_info: more than one compilation unit: the `debug` description holds one"
    );
    assert!(!dir.join("out.json").exists());

    // A unit whose length field is one of DWARF's reserved values.
    let mut bytes = std::fs::read(dir.join("list.o")).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let info = object::Object::section_by_name(&file, ".debug_info").unwrap();
    let (start, _) = object::ObjectSection::file_range(&info).unwrap();
    let start = start as usize;
    bytes[start..start + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    std::fs::write(dir.join("bad.o"), &bytes).unwrap();
    let (code, stderr) = dump_debug(&dir, "bad.o");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("objforge: bad.o: section .debug_info: cannot read the DWARF"),
        "{stderr}"
    );
}

#[test]
fn mingw_objects_convert_too() {
    // COFF keeps DWARF in `.debug_*` sections as ELF does, linked by SECREL and ADDR64.
    for level in [0, 2] {
        let dir = common::scratch(&format!("dwarf_gcc-mingw-O{level}"));
        std::fs::copy(common::fixture("dwarf_gcc/list.c"), dir.join("list.c")).unwrap();
        common::run_ok(
            Command::new("x86_64-w64-mingw32-gcc")
                .current_dir(&dir)
                .args([&format!("-O{level}"), "-g", "-c", "list.c", "-o", "gcc.o"]),
        );
        let (code, stderr) = dump_debug(&dir, "gcc.o");
        assert_eq!(code, 0, "{stderr}");
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("out.json")).unwrap()).unwrap();
        assert!(spec["debug"]["functions"].as_array().unwrap().len() >= 3);
        common::run_ok(common::objforge().current_dir(&dir).args([
            "build",
            "out.json",
            "-o",
            "rebuilt.o",
        ]));
        verify(&dir.join("rebuilt.o"));
        let lines = common::run_ok(
            Command::new("llvm-dwarfdump-19")
                .arg("--debug-line")
                .arg(dir.join("rebuilt.o")),
        );
        assert!(lines.contains("list.c"), "{lines}");
    }
}
