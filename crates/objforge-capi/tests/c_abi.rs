//! The C ABI from C: `tests/c/hello.c` builds an x86_64 ELF object through `objforge.h`, makes
//! bad calls that must come back as errors (never an abort), and the object is linked with `cc`
//! and run. The C program runs once built with `-fsanitize=address,undefined` and once under
//! valgrind; both must be clean. A missing gcc or valgrind fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>`, where cargo puts this crate's libraries.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/c_abi-HASH
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Builds the static library (a test build does not) and returns its path.
fn static_library() -> PathBuf {
    let dir = profile_dir();
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["build", "-p", "objforge-capi", "--lib"]);
    if dir.file_name().unwrap() == "release" {
        cargo.arg("--release");
    }
    let status = cargo.status().expect("running cargo build");
    assert!(status.success(), "cargo build -p objforge-capi failed");
    let lib = dir.join("libobjforge_capi.a");
    assert!(lib.exists(), "{} was not built", lib.display());
    lib
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("running {cmd:?}: {e} (is the tool installed? scripts/test installs it)")
    });
    out
}

fn must(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn compile(lib: &Path, exe: &Path, extra: &[&str]) {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    must(
        Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
            .args(extra)
            .arg("-I")
            .arg(crate_dir.join("include"))
            .arg(crate_dir.join("tests/c/hello.c"))
            .arg(lib)
            .args(["-lpthread", "-ldl", "-lm", "-o"])
            .arg(exe),
    );
}

/// Links the object the C program wrote and checks what the program does.
fn link_and_run(obj: &Path, exe: &Path) {
    must(Command::new("cc").arg(obj).arg("-o").arg(exe));
    let out = run(&mut Command::new(exe));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from the C ABI\n"
    );
    assert_eq!(out.status.code(), Some(42));
}

fn scratch(name: &str) -> PathBuf {
    let dir = profile_dir().join("capi-tests").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn c_program_under_address_and_undefined_sanitizers() {
    let lib = static_library();
    let dir = scratch("asan");
    let exe = dir.join("hello");
    compile(
        &lib,
        &exe,
        &["-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
    );
    let obj = dir.join("hello.o");
    let stdout = must(
        Command::new(&exe)
            .arg(&obj)
            .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
            .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1"),
    );
    assert!(stdout.contains(": 0 failures"), "{stdout}");
    assert!(stdout.contains("error as expected: relocations[2].offset: 4100 is past the end"));
    link_and_run(&obj, &dir.join("linked"));
}

#[test]
fn c_program_under_valgrind() {
    let lib = static_library();
    let dir = scratch("valgrind");
    let exe = dir.join("hello");
    compile(&lib, &exe, &[]);
    let obj = dir.join("hello.o");
    let stdout = must(
        Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "-q",
            ])
            .arg(&exe)
            .arg(&obj),
    );
    assert!(stdout.contains(": 0 failures"), "{stdout}");
    link_and_run(&obj, &dir.join("linked"));
}
