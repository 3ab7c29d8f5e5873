//! Real compiler output through `objforge dump` and back: three C programs of our own
//! (`tests/fixtures/dump/c/`: an expression compiler and bytecode VM, a ledger with sorting
//! through function pointers, a text-mode ray tracer; switch tables, string constants,
//! floating point, globals across files, static data full of pointers, weak and common
//! symbols) compiled with `gcc -O2` and `gcc -O0 -g` for x86_64, aarch64, riscv64 and s390x
//! (big-endian; also `-O2 -fPIC`) Linux
//! and with MinGW's gcc for x86_64 Windows. Every object is dumped and rebuilt by objforge;
//! the programs linked from the originals and from the rebuilt objects must print the same
//! and exit the same (natively, under qemu-user, under wine), and with `-g`, `addr2line` must
//! give the same function and line for sampled addresses of both. 32-bit MinGW objects go the
//! same way; and clang's ELF and COFF objects for every architecture (which have what gcc's
//! do not: LLVM's address-significance tables, i386 ELF with REL, ARM64 COFF) dump, rebuild
//! and dump again to the same spec.

mod coff_support;
mod common;
mod dump_support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One way of compiling and running: the compiler, its flags, how to run a program, the
/// `addr2line` and `nm` that read its debug information and symbols.
struct Config {
    name: &'static str,
    cc: &'static str,
    flags: &'static [&'static str],
    run: Runner,
    tools: &'static str,
    exe_suffix: &'static str,
}

#[derive(Clone, Copy)]
enum Runner {
    Native,
    Qemu(&'static str, &'static str),
    Wine,
}

/// Compiles every source for `config` in `dir`, dumps each object and rebuilds it from the
/// dump: `dir/NAME.o` (the compiler's) and `dir/NAME.re.o` (objforge's).
fn compile_and_rebuild(config: &Config, dir: &Path) {
    let src = common::fixture("dump/c");
    let mut compile = Vec::new();
    for name in dump_support::sources(&["fmt"]) {
        let mut cmd = Command::new(config.cc);
        cmd.args(config.flags)
            .arg("-c")
            .arg(src.join(format!("{name}.c")))
            .arg("-o")
            .arg(dir.join(format!("{name}.o")));
        compile.push(cmd);
    }
    dump_support::run_parallel(compile);
    dump_support::rebuild_to_fixed_point(dir, &dump_support::sources(&["fmt"]));
}

/// Links `program` from the original objects and from the rebuilt ones: (original, rebuilt).
fn link(config: &Config, dir: &Path, program: &str, files: &[&str]) -> (PathBuf, PathBuf) {
    let mut out = Vec::new();
    for suffix in ["", ".re"] {
        let exe = dir.join(format!("{program}{suffix}{}", config.exe_suffix));
        let mut cmd = Command::new(config.cc);
        for f in files.iter().chain(&["fmt"]) {
            cmd.arg(dir.join(format!("{f}{suffix}.o")));
        }
        cmd.arg("-o").arg(&exe);
        common::run_ok(&mut cmd);
        out.push(exe);
    }
    (out.remove(0), out.remove(0))
}

/// Runs a linked program: (stdout, exit code).
fn run(config: &Config, exe: &Path) -> (String, i32) {
    match config.run {
        Runner::Native => common::run_program(None, exe),
        Runner::Qemu(emulator, sysroot) => {
            let out = common::run(Command::new(emulator).arg("-L").arg(sysroot).arg(exe));
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                out.status.code().unwrap_or(-1),
            )
        }
        Runner::Wine => coff_support::wine(exe),
    }
}

/// The functions of our sources in a linked program, from `nm -S`: name -> (address, size).
fn functions(config: &Config, exe: &Path, ours: &[String]) -> Vec<(String, u64, u64)> {
    let text = common::run_ok(
        Command::new(format!("{}nm", config.tools))
            .arg("-S")
            .arg("--defined-only")
            .arg(exe),
    );
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // ADDRESS SIZE TYPE NAME (PE images have no sizes: ADDRESS TYPE NAME)
        let (addr, size, kind, name) = match words.as_slice() {
            [a, s, k, n] => (*a, u64::from_str_radix(s, 16).unwrap_or(0), *k, *n),
            [a, k, n] => (*a, 0, *k, *n),
            _ => continue,
        };
        if !matches!(kind, "t" | "T") || !ours.iter().any(|o| o == name) {
            continue;
        }
        if let Ok(addr) = u64::from_str_radix(addr, 16) {
            out.push((name.to_string(), addr, size));
        }
    }
    out.sort();
    out
}

/// `addr2line -f` for `addrs` in `exe`: one (function, file:line) per address.
fn addr2line(config: &Config, exe: &Path, addrs: &[u64]) -> Vec<(String, String)> {
    let text = common::run_ok(
        Command::new(format!("{}addr2line", config.tools))
            .arg("-f")
            .arg("-e")
            .arg(exe)
            .args(addrs.iter().map(|a| format!("{a:#x}"))),
    );
    let lines: Vec<&str> = text.lines().collect();
    lines
        .chunks(2)
        .map(|pair| {
            let function = pair.first().copied().unwrap_or("").to_string();
            // Strip a discriminator note, and keep the file's name, not its directory.
            let place = pair.get(1).copied().unwrap_or("");
            let place = place.split(" (").next().unwrap_or(place);
            let place = place.rsplit('/').next().unwrap_or(place).to_string();
            (function, place)
        })
        .collect()
}

/// The names of the functions our objects define, from the dumped specs.
fn our_functions(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for name in dump_support::sources(&["fmt"]) {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("read spec");
        let spec: serde_json::Value = serde_json::from_str(&text).expect("parse spec");
        for s in spec["symbols"].as_array().into_iter().flatten() {
            if s["kind"] == "func" && s.get("section").is_some() {
                if let Some(n) = s["name"].as_str() {
                    names.push(n.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// With debug information: `addr2line` says the same for the same places in both programs
/// (each function's start and two places inside it), and the places are in our sources.
fn same_lines(config: &Config, dir: &Path, original: &Path, rebuilt: &Path) -> usize {
    let ours = our_functions(dir);
    let a = functions(config, original, &ours);
    let b = functions(config, rebuilt, &ours);
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "{}: the programs define different functions",
        config.name
    );
    assert!(
        a.len() >= 10,
        "{}: only {} functions found",
        config.name,
        a.len()
    );
    let sample = |f: &[(String, u64, u64)]| -> Vec<u64> {
        f.iter()
            .flat_map(|(_, addr, size)| {
                let size = (*size).max(12);
                [*addr, addr + size / 3, addr + 2 * size / 3]
            })
            .collect()
    };
    let lines_a = addr2line(config, original, &sample(&a));
    let lines_b = addr2line(config, rebuilt, &sample(&b));
    assert_eq!(lines_a, lines_b, "{}: addr2line differs", config.name);
    let resolved = lines_a
        .iter()
        .filter(|(_, place)| place.ends_with(|c: char| c.is_ascii_digit()) && place.contains(".c:"))
        .count();
    assert!(
        resolved * 10 >= lines_a.len() * 9,
        "{}: only {resolved} of {} places resolve to a source line: {lines_a:?}",
        config.name,
        lines_a.len()
    );
    lines_a.len()
}

/// Compiles, dumps, rebuilds, links and runs every program for `config`.
fn check(config: &Config) {
    let dir = common::scratch(&format!("dump_programs_{}", config.name));
    compile_and_rebuild(config, &dir);
    for (program, files) in dump_support::PROGRAMS {
        let (original, rebuilt) = link(config, &dir, program, files);
        let (out_a, code_a) = run(config, &original);
        let (out_b, code_b) = run(config, &rebuilt);
        assert!(
            out_a.lines().count() > 10,
            "{} {program}: the original printed too little:\n{out_a}",
            config.name
        );
        assert_eq!(
            (out_a.as_str(), code_a),
            (out_b.as_str(), code_b),
            "{} {program}: the rebuilt program behaves differently",
            config.name
        );
        if config.flags.contains(&"-g") {
            same_lines(config, &dir, &original, &rebuilt);
        }
    }
}

const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";
const RISCV64_SYSROOT: &str = "/usr/riscv64-linux-gnu";
const S390X_SYSROOT: &str = "/usr/s390x-linux-gnu";

#[test]
fn x86_64_linux_gcc() {
    for (name, flags) in [
        ("x86_64_o2", &["-O2"][..]),
        ("x86_64_o0g", &["-O0", "-g"][..]),
    ] {
        check(&Config {
            name,
            cc: "gcc",
            flags,
            run: Runner::Native,
            tools: "",
            exe_suffix: "",
        });
    }
}

#[test]
fn aarch64_linux_gcc() {
    for (name, flags) in [
        ("aarch64_o2", &["-O2"][..]),
        ("aarch64_o0g", &["-O0", "-g"][..]),
    ] {
        check(&Config {
            name,
            cc: "aarch64-linux-gnu-gcc",
            flags,
            run: Runner::Qemu("qemu-aarch64", AARCH64_SYSROOT),
            tools: "aarch64-linux-gnu-",
            exe_suffix: "",
        });
    }
}

#[test]
fn riscv64_linux_gcc() {
    // The third: code alignment inside sections, which relaxation keeps with R_RISCV_ALIGN.
    for (name, flags) in [
        ("riscv64_o2", &["-O2"][..]),
        ("riscv64_o0g", &["-O0", "-g"][..]),
        (
            "riscv64_o2_aligned",
            &["-O2", "-falign-functions=32", "-falign-loops=16"][..],
        ),
    ] {
        check(&Config {
            name,
            cc: "riscv64-linux-gnu-gcc",
            flags,
            run: Runner::Qemu("qemu-riscv64", RISCV64_SYSROOT),
            tools: "riscv64-linux-gnu-",
            exe_suffix: "",
        });
    }
}

/// IBM Z, big-endian: calls through the PLT (`R_390_PLT32DBL`), `larl`/`lgrl` addressing, and
/// with -fPIC extern data through its GOT slot (`R_390_GOTENT`).
#[test]
fn s390x_linux_gcc() {
    for (name, flags) in [
        ("s390x_o2", &["-O2"][..]),
        ("s390x_o0g", &["-O0", "-g"][..]),
        ("s390x_o2_pic", &["-O2", "-fPIC"][..]),
    ] {
        check(&Config {
            name,
            cc: "s390x-linux-gnu-gcc",
            flags,
            run: Runner::Qemu("qemu-s390x", S390X_SYSROOT),
            tools: "s390x-linux-gnu-",
            exe_suffix: "",
        });
    }
}

#[test]
fn x86_64_windows_mingw_gcc() {
    for (name, flags) in [
        ("mingw_o2", &["-O2"][..]),
        ("mingw_o0g", &["-O0", "-g"][..]),
    ] {
        check(&Config {
            name,
            cc: "x86_64-w64-mingw32-gcc",
            flags,
            run: Runner::Wine,
            tools: "x86_64-w64-mingw32-",
            exe_suffix: ".exe",
        });
    }
}

#[test]
fn i686_windows_mingw_gcc() {
    check(&Config {
        name: "mingw32_o2",
        cc: "i686-w64-mingw32-gcc",
        flags: &["-O2"],
        run: Runner::Wine,
        tools: "i686-w64-mingw32-",
        exe_suffix: ".exe",
    });
}

#[test]
fn clang_objects_of_other_targets_reach_a_fixed_point() {
    let dir = common::scratch("dump_programs_clang");
    let src = common::fixture("dump/c");
    let files = ["calc_vm", "ledger_data", "ledger_ops", "ray_math", "fmt"];
    let targets: &[(&str, &[&str])] = &[
        ("x86_64-linux-gnu", &["-O2", "-g"]),
        ("i686-linux-gnu", &["-O2"]),
        ("aarch64-linux-gnu", &["-O2"]),
        ("riscv64-linux-gnu", &["-O2"]),
        ("s390x-linux-gnu", &["-O2", "-g"]),
        ("x86_64-pc-windows-msvc", &["-O2"]),
        ("i686-pc-windows-msvc", &["-O2"]),
        ("aarch64-pc-windows-msvc", &["-O2"]),
    ];
    let mut names = Vec::new();
    let mut compile = Vec::new();
    for (target, flags) in targets {
        for f in files {
            let name = format!("{target}-{f}");
            let mut cmd = Command::new("clang-19");
            cmd.args(["-target", target, "-ffreestanding", "-fno-stack-protector"])
                .args(*flags)
                .arg("-c")
                .arg(src.join(format!("{f}.c")))
                .arg("-o")
                .arg(dir.join(format!("{name}.o")));
            compile.push(cmd);
            names.push(name);
        }
    }
    dump_support::run_parallel(compile);
    let step = |from: &str, to: &str, verb: &str| -> Vec<Command> {
        names
            .iter()
            .map(|n| {
                let mut cmd = common::objforge();
                cmd.arg(verb)
                    .arg(dir.join(format!("{n}{from}")))
                    .arg("-o")
                    .arg(dir.join(format!("{n}{to}")));
                cmd
            })
            .collect()
    };
    dump_support::run_parallel(step(".o", ".json", "dump"));
    dump_support::run_parallel(step(".json", ".re.o", "build"));
    dump_support::run_parallel(step(".re.o", ".re.json", "dump"));
    for n in &names {
        let first = std::fs::read_to_string(dir.join(format!("{n}.json"))).expect("read");
        let second = std::fs::read_to_string(dir.join(format!("{n}.re.json"))).expect("read");
        assert!(
            first == second,
            "{n}: the rebuilt object dumps to another spec ({n}.json, {n}.re.json)"
        );
    }
}
