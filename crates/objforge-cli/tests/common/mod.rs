//! What every end-to-end test does: build a spec with the real `objforge` binary, check the
//! object with the strict validators, link it with a real linker, run it, look at the result.
//!
//! A tool that is missing fails the test with the package to install; nothing is skipped.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What `tests/fixtures/unwind/main.cpp` prints on Linux when the exception passes through both
/// objforge functions (with glibc's `backtrace()` through them first).
pub const UNWIND_CAUGHT: &str = "\
backtrace: objforge frame, then its callers
~Guard callback
~Guard fp
caught boom through fp
backtrace: objforge frame, then its callers
~Guard callback
~Guard frameless
caught boom through frameless
a=11 b=22 seen=2
";

/// The `objforge` binary cargo built for this test run.
pub fn objforge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_objforge"))
}

/// A fresh scratch directory for one test, under the target directory (kept for inspection).
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Path of a fixture under `crates/objforge-cli/tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Path of a file under the repository's `examples/`.
pub fn example(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(rel)
}

/// Runs a command to completion, panicking with the package name if the program is missing.
pub fn run(cmd: &mut Command) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed: run scripts/test (it installs the test tools) or apt-get install the package that has it"
        ),
        Err(e) => panic!("running `{program}`: {e}"),
    }
}

/// Runs a command and panics, showing its output, unless it exits 0. Returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = run(cmd);
    if !out.status.success() {
        panic!(
            "{shown} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `objforge build SPEC -o OUT`, which must succeed.
pub fn build(spec: &Path, out: &Path) {
    run_ok(objforge().arg("build").arg(spec).arg("-o").arg(out));
}

/// The strict ELF checks every object must pass: `eu-elflint --gnu-ld --strict` says
/// "No errors", and `llvm-readobj-19 --all` prints no warning.
pub fn check_elf(obj: &Path) {
    let out = run(Command::new("eu-elflint")
        .args(["--gnu-ld", "--strict"])
        .arg(obj));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("No errors"),
        "eu-elflint --gnu-ld --strict {}:\n{text}",
        obj.display()
    );
    let out = run(Command::new("llvm-readobj-19").arg("--all").arg(obj));
    // LLVM 19 cannot apply s390x's R_390_PC32 when it decodes `.eh_frame` (GNU as's objects
    // get the same warning): that one is the tool's.
    let stderr: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("warning: failed to compute relocation: R_390_PC32,"))
        .collect();
    assert!(
        out.status.success() && !stderr.to_lowercase().contains("warning"),
        "llvm-readobj-19 --all {}:\n{stderr}",
        obj.display()
    );
}

/// Links with `ld.lld-19` (a second, independent linker) into `out`, with extra arguments.
pub fn link_lld(objs: &[&Path], args: &[&str], out: &Path) {
    run_ok(
        Command::new("ld.lld-19")
            .args(args)
            .args(objs)
            .arg("-o")
            .arg(out),
    );
}

/// Runs a linked program (optionally under an emulator such as `qemu-aarch64`) and returns
/// (stdout, exit code).
pub fn run_program(emulator: Option<&str>, exe: &Path) -> (String, i32) {
    let out = match emulator {
        Some(emu) => run(Command::new(emu).arg(exe)),
        None => run(&mut Command::new(exe)),
    };
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `llvm-readobj-19 ARGS FILE`, which must succeed.
pub fn readobj(args: &[&str], file: &Path) -> String {
    run_ok(Command::new("llvm-readobj-19").args(args).arg(file))
}

/// The bytes of section `name` of an object or linked file, through
/// `llvm-objcopy-19 --dump-section` (the dump lands next to the file).
pub fn section_bytes(file: &Path, name: &str) -> Vec<u8> {
    let stem = file.file_name().map(|s| s.to_string_lossy().into_owned());
    let stem = stem.expect("a file name");
    let dump = file.with_file_name(format!("{stem}{name}.bin"));
    run_ok(
        Command::new("llvm-objcopy-19")
            .arg(format!("--dump-section={name}={}", dump.display()))
            .arg(file)
            .arg(file.with_file_name(format!("{stem}.objcopy-discard"))),
    );
    std::fs::read(&dump).expect("read the dumped section")
}

/// The strings a linked file's `.objforge.strrefs` points at: each of its 4-byte words (in
/// the target's byte order) is a `secrel32` offset into `.debug_str`, which is not loaded, so
/// the every-kind programs cannot check them themselves.
pub fn strrefs(exe: &Path, big_endian: bool) -> Vec<String> {
    let refs = section_bytes(exe, ".objforge.strrefs");
    let strings = section_bytes(exe, ".debug_str");
    refs.chunks(4)
        .map(|w| {
            let w: [u8; 4] = w.try_into().expect("4-byte words");
            let at = if big_endian {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            } as usize;
            let rest = &strings[at..];
            let end = rest.iter().position(|&b| b == 0).expect("a NUL");
            String::from_utf8_lossy(&rest[..end]).into_owned()
        })
        .collect()
}

/// The call-frame rows `llvm-dwarfdump-19 FLAG` (`--eh-frame` or `--debug-frame`) prints
/// for an object: each CIE's augmentation, alignment factors and return address column, and
/// every row, to compare two writers' tables line for line.
pub fn frame_rows(obj: &Path, flag: &str) -> Vec<String> {
    run_ok(Command::new("llvm-dwarfdump-19").arg(flag).arg(obj))
        .lines()
        .filter(|l| {
            l.starts_with("  0x")
                || l.contains("Augmentation:")
                || l.contains("alignment factor")
                || l.contains("Return address column")
        })
        .map(str::to_string)
        .collect()
}

/// The relocation kinds a spec's `relocations` use.
pub fn kinds_used(spec: &Path) -> std::collections::BTreeSet<String> {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec).expect("read the spec"))
            .expect("a JSON spec");
    doc["relocations"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The relocations of an object as `llvm-readobj-19 -r` sees them, one
/// `SECTION: OFFSET TYPE SYMBOL ADDEND` line each (`.rela.text: 0x10 R_X86_64_PC32 msg 0xFFFFFFFFFFFFFFFC`).
pub fn relocation_lines(obj: &Path) -> Vec<String> {
    let text = readobj(&["-r"], obj);
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Section (") {
            // `Section (4) .rela.text {`
            section = rest
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
        } else if line.starts_with("0x") {
            out.push(format!("{section}: {line}"));
        }
    }
    out
}
