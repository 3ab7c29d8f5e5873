//! Unwinding through code objforge wrote, on ELF: a C++ exception thrown by a callback passes
//! through an objforge function to the C++ caller, running destructors on its way.
//!
//! The fixtures are in `tests/fixtures/unwind/`: `through_ARCH.json` holds two functions,
//! `through_fp` (a frame-pointer prologue) and `through_frameless` (callee-saved registers
//! saved without a frame pointer, with `__gxx_personality_v0` as its personality routine),
//! each calling its argument; `through_ARCH.s` is the same code with the same rules as
//! `.cfi_*` directives. `main.cpp` calls both with a callback that throws, and prints what it
//! sees. x86_64 runs natively (a PIE linked by g++), aarch64, riscv64 and s390x statically
//! linked under qemu-user.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What it prints before std::terminate when the objforge function has no unwind entry.
const STUCK: &str = "backtrace: stops at the objforge frame\n";

struct Arch {
    name: &'static str,
    /// The C++ compiler driver (which also links).
    cxx: &'static str,
    /// The GNU assembler for the `.s` twins.
    gas: &'static str,
    /// The emulator, for a foreign architecture (linked statically then).
    qemu: Option<&'static str>,
}

const X86_64: Arch = Arch {
    name: "x86_64",
    cxx: "g++",
    gas: "as",
    qemu: None,
};
const AARCH64: Arch = Arch {
    name: "aarch64",
    cxx: "aarch64-linux-gnu-g++",
    gas: "aarch64-linux-gnu-as",
    qemu: Some("qemu-aarch64"),
};
const RISCV64: Arch = Arch {
    name: "riscv64",
    cxx: "riscv64-linux-gnu-g++",
    gas: "riscv64-linux-gnu-as",
    qemu: Some("qemu-riscv64"),
};

const S390X: Arch = Arch {
    name: "s390x",
    cxx: "s390x-linux-gnu-g++",
    gas: "s390x-linux-gnu-as",
    qemu: Some("qemu-s390x"),
};

fn spec(arch: &Arch) -> PathBuf {
    common::fixture(&format!("unwind/through_{}.json", arch.name))
}

/// `objforge build` of `spec`, checked by eu-elflint and llvm-readobj (common::check_elf) and
/// by `llvm-dwarfdump-19 --eh-frame` and `--verify`.
fn build_checked(spec: &Path, obj: &Path) {
    common::build(spec, obj);
    common::check_elf(obj);
    check_eh_frame(obj);
}

/// `llvm-dwarfdump-19 --eh-frame` and `--verify` find nothing wrong.
fn check_eh_frame(obj: &Path) {
    let frames = common::run_ok(Command::new("llvm-dwarfdump-19").arg("--eh-frame").arg(obj));
    assert!(
        !frames.to_lowercase().contains("error") && !frames.to_lowercase().contains("warning"),
        "llvm-dwarfdump-19 --eh-frame {}:\n{frames}",
        obj.display()
    );
    let verify = common::run_ok(Command::new("llvm-dwarfdump-19").arg("--verify").arg(obj));
    assert!(verify.contains("No errors."), "{verify}");
}

/// Compiles main.cpp with `obj` into a program and runs it: (stdout, stderr, exit code or
/// 128 + the signal that ended it).
fn run_main(arch: &Arch, obj: &Path, dir: &Path) -> (String, String, i32) {
    let exe = dir.join("main");
    let mut cxx = Command::new(arch.cxx);
    cxx.arg("-O2");
    if arch.qemu.is_some() {
        cxx.arg("-static");
    }
    common::run_ok(
        cxx.arg(common::fixture("unwind/main.cpp"))
            .arg(obj)
            .arg("-o")
            .arg(&exe),
    );
    let out = match arch.qemu {
        Some(qemu) => common::run(Command::new(qemu).arg(&exe)),
        None => common::run(&mut Command::new(&exe)),
    };
    use std::os::unix::process::ExitStatusExt;
    let code = out
        .status
        .code()
        .or_else(|| out.status.signal().map(|s| 128 + s))
        .unwrap_or(-1);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        code,
    )
}

/// The exception passes through both functions; without the `unwind` entries the same
/// program ends in std::terminate (SIGABRT).
fn throw_through(arch: &Arch) {
    let dir = common::scratch(&format!("unwind_throw_{}", arch.name));
    let obj = dir.join("through.o");
    build_checked(&spec(arch), &obj);
    let (stdout, stderr, code) = run_main(arch, &obj, &dir);
    assert_eq!(
        (stdout.as_str(), code),
        (common::UNWIND_CAUGHT, 0),
        "stderr:\n{stderr}"
    );

    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec(arch)).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("unwind");
    let bare_spec = dir.join("bare.json");
    std::fs::write(&bare_spec, doc.to_string()).unwrap();
    let bare = dir.join("bare.o");
    common::build(&bare_spec, &bare);
    let (stdout, stderr, code) = run_main(arch, &bare, &dir);
    assert_eq!(
        (stdout.as_str(), code),
        (STUCK, 128 + 6),
        "stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("terminate called after throwing an instance of 'std::runtime_error'"),
        "{stderr}"
    );
}

#[test]
fn throw_through_x86_64() {
    throw_through(&X86_64);
}

#[test]
fn throw_through_aarch64() {
    throw_through(&AARCH64);
}

#[test]
fn throw_through_riscv64() {
    throw_through(&RISCV64);
}

#[test]
fn throw_through_s390x() {
    throw_through(&S390X);
}

/// The unwind table llvm-dwarfdump derives from objforge's `.eh_frame` (each function's rows:
/// CFA and saved registers at each address) is the one it derives from GNU as's for the same
/// `.cfi_*` directives; so are the CIE's augmentation, alignment factors and return column.
fn same_rows_as_gas(arch: &Arch) {
    let dir = common::scratch(&format!("unwind_rows_{}", arch.name));
    let ours = dir.join("objforge.o");
    common::build(&spec(arch), &ours);
    let theirs = dir.join("gas.o");
    let mut gas = Command::new(arch.gas);
    if arch.name == "i386" {
        gas.arg("--32");
    }
    common::run_ok(
        gas.arg(common::fixture(&format!("unwind/through_{}.s", arch.name)))
            .arg("-o")
            .arg(&theirs),
    );
    let rows = |obj: &Path| -> Vec<String> {
        if arch.name == "s390x" {
            return s390x_rows(obj);
        }
        common::frame_rows(obj, "--eh-frame")
    };
    let (a, b) = (rows(&ours), rows(&theirs));
    assert!(a.len() > 10, "{a:?}");
    assert_eq!(a, b);
}

#[test]
fn same_rows_as_gas_x86_64() {
    same_rows_as_gas(&X86_64);
}

#[test]
fn same_rows_as_gas_aarch64() {
    same_rows_as_gas(&AARCH64);
}

#[test]
fn same_rows_as_gas_riscv64() {
    same_rows_as_gas(&RISCV64);
}

#[test]
fn same_rows_as_gas_s390x() {
    same_rows_as_gas(&S390X);
}

/// gdb's `bt` from a breakpoint in the callback lists the objforge frame and main after it,
/// for the frameless function too (whose caller only its unwind entry can find).
#[test]
fn gdb_backtrace_x86_64() {
    let dir = common::scratch("unwind_gdb_x86_64");
    let obj = dir.join("through.o");
    common::build(&spec(&X86_64), &obj);
    let exe = dir.join("main");
    common::run_ok(
        Command::new("g++")
            .args(["-O2", "-g"])
            .arg(common::fixture("unwind/main.cpp"))
            .arg(&obj)
            .arg("-o")
            .arg(&exe),
    );
    let out = common::run_ok(
        Command::new("gdb")
            .args(["-batch", "-nx", "-ex", "break callback", "-ex", "run"])
            .args(["-ex", "bt", "-ex", "continue", "-ex", "bt"])
            .arg(&exe),
    );
    let frames: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            // "#1  0x... in through_fp ()" or "#0  callback () at ...": the function's name.
            let l = l.split_once(" in ").map_or(l, |(_, rest)| rest);
            l.trim_start_matches(|c: char| c == '#' || c.is_ascii_digit() || c == ' ')
                .split([' ', '('])
                .next()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(
        frames,
        [
            "callback",
            "through_fp",
            "main",
            "callback",
            "through_frameless",
            "main"
        ],
        "{out}"
    );
}

#[test]
fn same_rows_as_gas_i386() {
    same_rows_as_gas(&Arch {
        name: "i386",
        cxx: "g++",
        gas: "as",
        qemu: None,
    });
}

/// The rows llvm-dwarfdump derives from an object's `.eh_frame` (s390x: GNU readelf's).
fn eh_frame_rows(obj: &Path) -> Vec<String> {
    let header = std::fs::read(obj).expect("read the object");
    if header.get(18..20) == Some(&[0, 22]) {
        return s390x_rows(obj);
    }
    common::run_ok(Command::new("llvm-dwarfdump-19").arg("--eh-frame").arg(obj))
        .lines()
        .filter(|l| l.starts_with("  0x"))
        .map(str::to_string)
        .collect()
}

/// The CIEs (augmentation, alignment factors, return column) and the rows GNU readelf derives
/// from an s390x object's `.eh_frame`: llvm-dwarfdump-19 cannot apply `R_390_PC32`, and so
/// places no FDE at its function.
fn s390x_rows(obj: &Path) -> Vec<String> {
    let text = common::run_ok(
        Command::new("s390x-linux-gnu-readelf")
            .arg("--debug-dump=frames-interp")
            .arg(obj),
    );
    text.lines()
        .filter_map(|l| {
            let first = l.split_whitespace().next()?;
            if l.contains(" CIE ") {
                l.find(" CIE ").map(|at| l[at..].to_string())
            } else if first.len() == 16 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
                Some(l.trim_end().to_string())
            } else {
                None
            }
        })
        .collect()
}

/// Real CFI round trip: `ARCH-g++ FLAGS -c exceptions.cpp`, `objforge dump` (its `.eh_frame`
/// comes back as `unwind` entries), `objforge build`: the rebuilt object has the same unwind
/// rows, dumps to the same spec, and the program linked from it prints and exits the same.
fn real_cfi_round_trip(arch: &Arch, flags: &[&str]) {
    let dir = common::scratch(&format!(
        "unwind_round_trip_{}{}",
        arch.name,
        flags.concat()
    ));
    let original = dir.join("exceptions.o");
    common::run_ok(
        Command::new(arch.cxx)
            .args(flags)
            .arg("-c")
            .arg(common::fixture("unwind/exceptions.cpp"))
            .arg("-o")
            .arg(&original),
    );
    let spec = dir.join("exceptions.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&original)
            .arg("-o")
            .arg(&spec),
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    let entries = doc["unwind"].as_array().map_or(0, Vec::len);
    assert!(entries >= 4, "{}: {entries} unwind entries", spec.display());
    assert!(
        doc["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != ".eh_frame"),
        "{}: .eh_frame left as bytes",
        spec.display()
    );
    let rebuilt = dir.join("exceptions.re.o");
    common::build(&spec, &rebuilt);
    check_eh_frame(&rebuilt);
    // G++'s own object fails eu-elflint --strict on its one-member COMDAT groups (typeinfo
    // names); the rebuilt one may have only that complaint.
    let lint = common::run(
        Command::new("eu-elflint")
            .args(["--gnu-ld", "--strict"])
            .arg(&rebuilt),
    );
    let text = String::from_utf8_lossy(&lint.stdout).into_owned();
    let other: Vec<&str> = text
        .lines()
        .filter(|l| !l.ends_with("section group with only one member") && !l.is_empty())
        .collect();
    assert!(
        other.is_empty() || text.contains("No errors"),
        "eu-elflint:\n{text}"
    );
    assert_eq!(eh_frame_rows(&rebuilt), eh_frame_rows(&original));
    let again = dir.join("exceptions.re.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&rebuilt)
            .arg("-o")
            .arg(&again),
    );
    assert!(
        std::fs::read(&spec).unwrap() == std::fs::read(&again).unwrap(),
        "{} and {} differ: the dump is not a fixed point",
        spec.display(),
        again.display()
    );

    let run = |obj: &Path, exe: &str| -> (String, i32) {
        let exe = dir.join(exe);
        let mut cxx = Command::new(arch.cxx);
        if arch.qemu.is_some() {
            cxx.arg("-static");
        }
        common::run_ok(cxx.arg(obj).arg("-o").arg(&exe));
        common::run_program(arch.qemu, &exe)
    };
    let want = run(&original, "original");
    assert!(
        want.0.contains("guarded saw 3, rethrowing") && want.1 == 2,
        "{want:?}"
    );
    assert_eq!(run(&rebuilt, "rebuilt"), want);
}

#[test]
fn real_cfi_round_trip_x86_64() {
    real_cfi_round_trip(&X86_64, &["-O2"]);
    real_cfi_round_trip(&X86_64, &["-O0", "-g"]);
}

#[test]
fn real_cfi_round_trip_s390x() {
    real_cfi_round_trip(&S390X, &["-O2"]);
    real_cfi_round_trip(&S390X, &["-O0", "-g"]);
}

#[test]
fn real_cfi_round_trip_aarch64() {
    real_cfi_round_trip(&AARCH64, &["-O2"]);
    real_cfi_round_trip(&AARCH64, &["-O0", "-g"]);
}

/// RISC-V: GNU as measures code in `.eh_frame` with `R_RISCV_ADD32`/`SUB32` and
/// `SET6`/`SUB6` pairs; without linker relaxation (`-mno-relax`: no `R_RISCV_RELAX` in the
/// code) they are plain distances, and the dump reads them as such.
#[test]
fn real_cfi_round_trip_riscv64() {
    real_cfi_round_trip(&RISCV64, &["-O2", "-mno-relax"]);
    real_cfi_round_trip(&RISCV64, &["-O0", "-g", "-mno-relax"]);
}

/// `through_ARCH.json` with `options.debug_frame` (and without the personality routine, which
/// `.debug_frame` has no place for), written to `dir/NAME.json`.
fn debug_frame_spec(arch: &Arch, dir: &Path) -> PathBuf {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec(arch)).unwrap()).unwrap();
    doc["options"] = serde_json::json!({"debug_frame": true});
    for entry in doc["unwind"].as_array_mut().unwrap() {
        entry.as_object_mut().unwrap().remove("personality");
    }
    let path = dir.join("debug_frame.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

/// With `options.debug_frame` the rules go to `.debug_frame`, whose rows llvm-dwarfdump reads
/// as from GNU as's object for the same directives under `.cfi_sections .debug_frame`.
#[test]
fn debug_frame_rows_as_gas() {
    for arch in [&X86_64, &AARCH64, &RISCV64] {
        let dir = common::scratch(&format!("unwind_debug_frame_{}", arch.name));
        let ours = dir.join("objforge.o");
        build_checked(&debug_frame_spec(arch, &dir), &ours);
        let source =
            std::fs::read_to_string(common::fixture(&format!("unwind/through_{}.s", arch.name)))
                .unwrap()
                .lines()
                .filter(|l| !l.contains(".cfi_personality"))
                .collect::<Vec<_>>()
                .join("\n");
        let s = dir.join("gas.s");
        std::fs::write(&s, format!(".cfi_sections .debug_frame\n{source}\n")).unwrap();
        let theirs = dir.join("gas.o");
        common::run_ok(Command::new(arch.gas).arg(&s).arg("-o").arg(&theirs));
        let rows = |obj: &Path| common::frame_rows(obj, "--debug-frame");
        let ours_rows = rows(&ours);
        assert!(ours_rows.len() > 10, "{}: {ours_rows:?}", arch.name);
        assert_eq!(ours_rows, rows(&theirs), "{}", arch.name);
    }
}

/// gdb unwinds through the frameless function with `.debug_frame` alone (the C++ runtime
/// does not read it, so the function is called from gdb instead of thrown through): `bt`
/// from the callback reaches main; without unwind entries it stops after the objforge frame.
#[test]
fn gdb_backtrace_with_debug_frame_x86_64() {
    let dir = common::scratch("unwind_gdb_debug_frame_x86_64");
    let backtrace = |spec: &Path, name: &str| -> Vec<String> {
        let obj = dir.join(format!("{name}.o"));
        common::build(spec, &obj);
        let exe = dir.join(name);
        common::run_ok(
            Command::new("g++")
                .args(["-O2", "-g"])
                .arg(common::fixture("unwind/main.cpp"))
                .arg(&obj)
                .arg("-o")
                .arg(&exe),
        );
        let out = common::run_ok(
            Command::new("gdb")
                .args(["-batch", "-nx", "-ex", "start", "-ex", "break callback"])
                .args(["-ex", "call (void)through_frameless(callback)", "-ex", "bt"])
                .arg(&exe),
        );
        out.lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let frames = backtrace(&debug_frame_spec(&X86_64, &dir), "debug_frame");
    assert!(
        frames.len() == 4
            && frames[1].contains("through_frameless")
            && frames[2].contains("<function called from gdb>")
            && frames[3].contains("main ()"),
        "{frames:#?}"
    );

    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec(&X86_64)).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("unwind");
    let bare = dir.join("bare.json");
    std::fs::write(&bare, doc.to_string()).unwrap();
    let frames = backtrace(&bare, "bare");
    assert!(!frames.iter().any(|f| f.contains("main ()")), "{frames:#?}");
}
