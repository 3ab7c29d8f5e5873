//! `Object::into_bytes`, the write that frees the model's parts as it goes, on real compiler
//! output: C sources of `fixtures/dump/c` compiled by gcc and clang-19 for ELF (x86_64,
//! i386, aarch64, riscv64), COFF (x86_64, i386, arm64) and Mach-O (x86_64, arm64), optimized
//! and with `-g`. Each object is dumped, its spec read back into a model, and the model
//! written both ways: `into_bytes` must write what `write` writes. Then the calc program,
//! gcc's x86_64 objects written by `into_bytes`, is linked with `cc` and must run as the
//! compiler's objects do.

mod common;
mod dump_support;

use std::path::Path;
use std::process::Command;

/// The model of the spec `dir/NAME.json`.
fn model(dir: &Path, name: &str) -> objforge::Object {
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_slice(&text).expect("a JSON spec");
    objforge_spec::load(&doc, &format!("{name}.json"), dir).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn into_bytes_writes_what_write_writes_for_compiler_output() {
    let dir = common::scratch("into_bytes");
    let src = common::fixture("dump/c");
    let calc = ["calc_lex", "calc_vm", "calc_main", "fmt"];
    let freestanding = ["calc_vm", "ledger_data", "ledger_ops", "ray_math", "fmt"];
    // (compiler, target for clang, flags, sources)
    let builds: &[(&str, &str, &[&str], &[&str])] = &[
        ("gcc", "", &["-O2"], &calc),
        ("gcc", "", &["-O0", "-g"], &calc),
        ("aarch64-linux-gnu-gcc", "", &["-O2", "-g"], &freestanding),
        ("riscv64-linux-gnu-gcc", "", &["-O2"], &freestanding),
        ("x86_64-w64-mingw32-gcc", "", &["-O2", "-g"], &freestanding),
        ("i686-w64-mingw32-gcc", "", &["-O2"], &freestanding),
        (
            "clang-19",
            "x86_64-linux-gnu",
            &["-O2", "-g"],
            &freestanding,
        ),
        ("clang-19", "i686-linux-gnu", &["-O2"], &freestanding),
        (
            "clang-19",
            "aarch64-pc-windows-msvc",
            &["-O2"],
            &freestanding,
        ),
        (
            "clang-19",
            "x86_64-apple-macos",
            &["-O2", "-g"],
            &freestanding,
        ),
        ("clang-19", "arm64-apple-macos", &["-O2"], &freestanding),
        (
            "clang-19",
            "arm64-apple-macos",
            &["-O0", "-g"],
            &freestanding,
        ),
    ];
    let mut names = Vec::new();
    let mut compile = Vec::new();
    for (n, (cc, target, flags, files)) in builds.iter().enumerate() {
        for f in *files {
            let name = format!("{n}-{f}");
            let mut cmd = Command::new(cc);
            if !target.is_empty() {
                cmd.args(["-target", target, "-ffreestanding", "-fno-stack-protector"]);
            }
            cmd.args(*flags)
                .arg("-c")
                .arg(src.join(format!("{f}.c")))
                .arg("-o")
                .arg(dir.join(format!("{name}.o")));
            compile.push(cmd);
            names.push(name);
        }
    }
    dump_support::run_parallel(compile);
    let dump = names.iter().map(|n| {
        let mut cmd = common::objforge();
        cmd.arg("dump")
            .arg(dir.join(format!("{n}.o")))
            .arg("-o")
            .arg(dir.join(format!("{n}.json")));
        cmd
    });
    dump_support::run_parallel(dump.collect());

    for n in &names {
        eprintln!("{n}");
        let obj = model(&dir, n);
        let written = obj.write().unwrap_or_else(|e| panic!("{n}: {e}"));
        let consumed = obj.into_bytes().unwrap_or_else(|e| panic!("{n}: {e}"));
        assert!(consumed == written, "{n}: into_bytes writes other bytes");
        std::fs::write(dir.join(format!("{n}.ib.o")), &consumed).expect("write the object");
    }

    // gcc -O2's calc, linked from the compiler's objects and from into_bytes's.
    let mut runs = Vec::new();
    for suffix in ["", ".ib"] {
        let exe = dir.join(format!("calc{suffix}"));
        let mut cmd = Command::new("cc");
        for f in calc {
            cmd.arg(dir.join(format!("0-{f}{suffix}.o")));
        }
        common::run_ok(cmd.arg("-o").arg(&exe));
        runs.push(common::run_program(None, &exe));
    }
    assert!(!runs[0].0.is_empty(), "calc printed nothing");
    assert_eq!(
        runs[1], runs[0],
        "calc from into_bytes's objects runs differently"
    );
}
