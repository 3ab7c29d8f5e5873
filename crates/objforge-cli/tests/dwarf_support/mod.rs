//! What the DWARF tests share: building the `counter.mini` fixtures in either DWARF version,
//! the DWARF verifier, and driving gdb and addr2line over the linked programs.
//!
//! The fixtures are in `tests/fixtures/dwarf/`: `counter.mini` (the made-up source), and for
//! each architecture `counter_ARCH.json` (the spec, DWARF 5) with its listing `counter_ARCH.s`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use super::common;

/// The fixture directory, which holds `counter.mini` (gdb is pointed there to show source).
pub fn fixture_dir() -> PathBuf {
    common::fixture("dwarf")
}

/// Writes `counter_ARCH.json` with `debug.version` set to `version` into `dir` and builds it
/// into `dir/counter-ARCH-vVERSION.o`, which must pass the DWARF verifier and, for ELF, the
/// strict ELF validators (other formats: `llvm-readobj-19 --all` without warnings).
pub fn build_counter(dir: &Path, arch: &str, version: u16) -> PathBuf {
    build_fixture(dir, &format!("counter_{arch}"), version)
}

/// Writes the fixture `dwarf/NAME.json` with `debug.version` set to `version` into `dir` and
/// builds it into `dir/NAME-vVERSION.o`, checked as [`build_counter`] checks its objects.
pub fn build_fixture(dir: &Path, name: &str, version: u16) -> PathBuf {
    let spec = common::fixture(&format!("dwarf/{name}.json"));
    let text = std::fs::read_to_string(&spec).expect("read the fixture");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("the fixture is JSON");
    doc["debug"]["version"] = serde_json::Value::from(version);
    let stem = name.replace('_', "-");
    let versioned = dir.join(format!("{stem}-v{version}.json"));
    std::fs::write(&versioned, doc.to_string()).expect("write the spec");
    let obj = dir.join(format!("{stem}-v{version}.o"));
    common::build(&versioned, &obj);
    check_object(&obj);
    verify(&obj);
    obj
}

/// Runs `exe` natively under `gdb -batch`, source from the fixture directory, with these
/// commands; returns what gdb printed (standard output and error), without the thread
/// library's chatter.
pub fn gdb_session(exe: &Path, commands: &[&str]) -> String {
    let mut cmd = Command::new("gdb");
    cmd.arg("-batch").arg("-nx");
    cmd.arg("-ex")
        .arg(format!("directory {}", fixture_dir().display()));
    for c in commands {
        cmd.arg("-ex").arg(c);
    }
    cmd.arg(exe);
    let out = common::run(&mut cmd);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter(|l| !l.contains("libthread_db") && !l.starts_with("[Thread debugging"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The format checks: for ELF the strict validators, for other formats `llvm-readobj-19
/// --all` without warnings.
pub fn check_object(obj: &Path) {
    if std::fs::read(obj).is_ok_and(|b| b.starts_with(b"\x7fELF")) {
        common::check_elf(obj);
        return;
    }
    let out = common::run(Command::new("llvm-readobj-19").arg("--all").arg(obj));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.to_lowercase().contains("warning"),
        "llvm-readobj-19 --all {}:\n{stderr}",
        obj.display()
    );
}

/// `llvm-dwarfdump-19 --verify` finds no errors (and says so).
pub fn verify(file: &Path) {
    let out = common::run(Command::new("llvm-dwarfdump-19").arg("--verify").arg(file));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("No errors.") && !text.contains("error:"),
        "llvm-dwarfdump-19 --verify {}:\n{text}",
        file.display()
    );
}

/// The line table of `file` as `llvm-dwarfdump-19 --debug-line` reads it: (address, line)
/// of each row, end_sequence rows as line 0. Only rows whose line table names `counter.mini`
/// (a linked program has its C runtime's tables too).
pub fn line_rows(file: &Path) -> Vec<(u64, u32)> {
    let text = common::run_ok(
        Command::new("llvm-dwarfdump-19")
            .arg("--debug-line")
            .arg(file),
    );
    let mut ours = false;
    let mut rows = Vec::new();
    for line in text.lines() {
        if line.starts_with("debug_line[") {
            ours = false;
        } else if line.contains("name: \"counter.mini\"") {
            ours = true;
        } else if ours && line.starts_with("0x") {
            let f: Vec<&str> = line.split_whitespace().collect();
            let address = u64::from_str_radix(f[0].trim_start_matches("0x"), 16).unwrap_or(0);
            let number = f.get(1).and_then(|l| l.parse().ok()).unwrap_or(u32::MAX);
            rows.push((
                address,
                if line.contains("end_sequence") {
                    0
                } else {
                    number
                },
            ));
        }
    }
    rows
}

/// The names of the sections of `file` that start with `.debug`, in order.
pub fn debug_sections(file: &Path) -> Vec<String> {
    common::readobj(&["--sections"], file)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Name: "))
        .filter_map(|n| n.split_whitespace().next())
        .filter(|n| n.starts_with(".debug") || n.starts_with(".rela.debug"))
        .map(str::to_string)
        .collect()
}

/// The address of `symbol` in a linked program, through `nm` (`nm` is the program: `nm`,
/// `aarch64-linux-gnu-nm`).
pub fn symbol_address(nm: &str, exe: &Path, symbol: &str) -> u64 {
    let out = common::run_ok(Command::new(nm).arg(exe));
    out.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                [addr, _, name] if *name == symbol => u64::from_str_radix(addr, 16).ok(),
                _ => None,
            }
        })
        .unwrap_or_else(|| panic!("no {symbol} in `{nm} {}`:\n{out}", exe.display()))
}

/// `TOOL -f -e EXE ADDR...` (an addr2line), as (function, file:line) pairs.
pub fn addr2line(tool: &str, exe: &Path, addresses: &[u64]) -> Vec<(String, String)> {
    let out = common::run_ok(
        Command::new(tool)
            .arg("-f")
            .arg("-e")
            .arg(exe)
            .args(addresses.iter().map(|a| format!("{a:#x}"))),
    );
    let lines: Vec<&str> = out.lines().collect();
    lines
        .chunks(2)
        .map(|pair| {
            (
                pair.first().unwrap_or(&"").to_string(),
                pair.get(1).unwrap_or(&"").to_string(),
            )
        })
        .collect()
}

/// What gdb printed at one breakpoint: the stop line, the source line it showed, `info line`,
/// the backtrace and `$pc`.
#[derive(Debug)]
pub struct Stop {
    /// `Breakpoint 1, bump () at counter.mini:4`
    pub stop: String,
    /// `4\t    let m = n + 1` (the source text, found through `directory`)
    pub source: String,
    /// `Line 4 of "counter.mini" starts at address 0x... <bump+4> and ends at 0x... <bump+7>.`
    pub info_line: String,
    /// `#0  bump () at counter.mini:4`, `#1  0x... in main () at counter.mini:10`, ...
    pub backtrace: Vec<String>,
    /// `$1 = (void (*)()) 0x555555555164 <bump+4>`
    pub pc: String,
}

/// The gdb commands after the program is started: break, run or continue, then report.
fn gdb_commands(line: u32, start: &str) -> Vec<String> {
    [
        format!("directory {}", fixture_dir().display()),
        format!("break counter.mini:{line}"),
        start.to_string(),
        "info line".to_string(),
        "bt".to_string(),
        "p $pc".to_string(),
    ]
    .to_vec()
}

fn parse_stop(output: &str) -> Stop {
    let lines: Vec<&str> = output.lines().collect();
    let find = |prefix: &str| -> String {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .map(|l| l.to_string())
            .unwrap_or_else(|| panic!("no line starting {prefix:?} in gdb's output:\n{output}"))
    };
    let stop = find("Breakpoint 1, ");
    let source = lines
        .iter()
        .skip_while(|l| !l.starts_with("Breakpoint 1, "))
        .nth(1)
        .map(|l| l.to_string())
        .unwrap_or_default();
    Stop {
        stop,
        source,
        info_line: find("Line "),
        backtrace: lines
            .iter()
            .filter(|l| l.starts_with('#'))
            .map(|l| l.to_string())
            .collect(),
        pc: find("$1 = "),
    }
}

/// Runs `exe` natively under `gdb -batch` to a breakpoint on `line` of counter.mini.
pub fn gdb_native(exe: &Path, line: u32) -> Stop {
    let mut cmd = Command::new("gdb");
    cmd.arg("-batch").arg("-nx");
    for c in gdb_commands(line, "run") {
        cmd.arg("-ex").arg(c);
    }
    cmd.arg(exe);
    parse_stop(&common::run_ok(&mut cmd))
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    listener.local_addr().expect("local address").port()
}

/// Whether something listens on `port` (read from /proc, so qemu's one gdb connection is
/// not spent on the check).
fn listening(port: u16) -> bool {
    let needle = format!(":{port:04X} ");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|t| {
            t.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.get(1)
                    .is_some_and(|local| format!("{local} ").ends_with(&needle))
                    && f.get(3) == Some(&"0A")
            })
        })
    })
}

/// Kills the emulator when the test is done with it, whatever happened.
struct Emulator(Child);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `exe` under `EMULATOR -g PORT` and debugs it with `gdb-multiarch -batch` over the
/// remote protocol, to a breakpoint on `line` of counter.mini.
pub fn gdb_emulated(emulator: &str, exe: &Path, line: u32) -> Stop {
    let commands = gdb_commands(line, "continue");
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    parse_stop(&gdb_remote(emulator, exe, &commands))
}

/// Runs `exe` under `EMULATOR -g PORT` and gdb-multiarch over the remote protocol with
/// these commands (the program is stopped at its entry: `continue` starts it); returns
/// what gdb printed on standard output (and the error stream, for a failed command).
pub fn gdb_remote(emulator: &str, exe: &Path, commands: &[&str]) -> String {
    let port = free_port();
    let child = Command::new(emulator)
        .arg("-g")
        .arg(port.to_string())
        .arg(exe)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {emulator}: {e} (apt-get install qemu-user)"));
    let _emulator = Emulator(child);
    for _ in 0..200 {
        if listening(port) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let mut cmd = Command::new("gdb-multiarch");
    cmd.arg("-batch").arg("-nx").arg(exe);
    cmd.arg("-ex")
        .arg(format!("target remote 127.0.0.1:{port}"));
    for c in commands {
        cmd.arg("-ex").arg(c);
    }
    let out = common::run(&mut cmd);
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Checks a stop: gdb names `function` and `line`, shows the line's source text, and stopped
/// at `function+offset`, where `info line` says the line starts.
pub fn assert_stop(stop: &Stop, function: &str, line: u32, offset: u64, source: &str) {
    let at = format!("<{function}+{offset}>");
    assert!(
        stop.stop.starts_with(&format!(
            "Breakpoint 1, {function} () at counter.mini:{line}"
        )),
        "{stop:#?}"
    );
    assert_eq!(stop.source, format!("{line}\t{source}"), "{stop:#?}");
    assert!(
        stop.info_line.starts_with(&format!(
            "Line {line} of \"counter.mini\" starts at address "
        )) && stop.info_line.contains(&format!("{at} and ends at")),
        "{stop:#?}"
    );
    assert!(stop.pc.ends_with(&at), "{stop:#?}");
    assert_eq!(
        stop.backtrace.first().map(String::as_str),
        Some(format!("#0  {function} () at counter.mini:{line}").as_str()),
        "{stop:#?}"
    );
}
