//! What the COFF tests share: building a spec into a checked object, linking it with lld-link
//! and with MinGW's gcc/ld, and running the program under wine in one prefix shared by every
//! test (made once, under the target directory; the first run of wine takes ~20 s).
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common;

/// A Windows architecture the tests link for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    I386,
    Arm64,
}

impl Arch {
    /// The MinGW target prefix (`x86_64-w64-mingw32`).
    pub fn mingw(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-w64-mingw32",
            Arch::I386 => "i686-w64-mingw32",
            Arch::Arm64 => panic!("Debian has no arm64 MinGW toolchain"),
        }
    }

    /// A MinGW import library (`kernel32`, `msvcrt`) as a path lld-link takes.
    pub fn import_lib(self, name: &str) -> PathBuf {
        Path::new("/usr")
            .join(self.mingw())
            .join("lib")
            .join(format!("lib{name}.a"))
    }

    /// lld-link's `/machine:` for it.
    pub fn machine(self) -> &'static str {
        match self {
            Arch::X86_64 => "/machine:x64",
            Arch::I386 => "/machine:x86",
            Arch::Arm64 => "/machine:arm64",
        }
    }
}

/// Builds `spec` into `out` and checks the object with the readers.
pub fn build_checked(spec: &Path, out: &Path) {
    common::build(spec, out);
    check_coff(out);
}

/// `llvm-readobj-19 --all` and `llvm-objdump-19 --all-headers` read the object without a
/// warning.
pub fn check_coff(obj: &Path) {
    for (tool, arg) in [
        ("llvm-readobj-19", "--all"),
        ("llvm-objdump-19", "--all-headers"),
    ] {
        let out = common::run(Command::new(tool).arg(arg).arg(obj));
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !text.to_lowercase().contains("warning"),
            "{tool} {arg} {}:\n{}",
            obj.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `lld-link-19 /out:EXE /subsystem:console ARGS OBJS`.
pub fn lld_link(arch: Arch, objs: &[&Path], args: &[&str], exe: &Path) {
    let mut cmd = Command::new("lld-link-19");
    cmd.arg(format!("/out:{}", exe.display()))
        .arg(arch.machine())
        .arg("/subsystem:console")
        .args(args)
        .args(objs);
    common::run_ok(&mut cmd);
}

/// MinGW's gcc driving GNU ld: `ARCH-w64-mingw32-gcc OBJS ARGS -o EXE`.
pub fn mingw_link(arch: Arch, objs: &[&Path], args: &[&str], exe: &Path) {
    let mut cmd = Command::new(format!("{}-gcc", arch.mingw()));
    cmd.args(objs).args(args).arg("-o").arg(exe);
    common::run_ok(&mut cmd);
}

/// The wine prefix every test shares.
fn prefix() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("wine-prefix")
}

/// `wine` with the shared prefix, quiet, without the Mono and Gecko installers.
fn wine_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("WINEPREFIX", prefix())
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .stdin(Stdio::null());
    cmd
}

/// Makes the shared prefix once, under a lock (tests run in parallel). A prefix made without
/// 32-bit wine lacks syswow64 and is made again.
fn ensure_prefix() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(dir).expect("create the target tmp dir");
    let lock = File::create(dir.join("wine-prefix.lock")).expect("create the prefix lock");
    lock.lock().expect("lock the wine prefix");
    let ready = prefix().join("drive_c/windows/syswow64/kernel32.dll");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(prefix());
        let log = File::create(dir.join("wine-prefix.log")).expect("create the prefix log");
        let status = wine_command("wineboot")
            .arg("--init")
            .stdout(log.try_clone().expect("clone the log"))
            .stderr(log)
            .status();
        match status {
            Ok(s) => assert!(s.success(), "wineboot --init failed: see wine-prefix.log"),
            Err(e) => panic!(
                "`wineboot` cannot run ({e}): run scripts/test (it installs wine, wine64 and wine32:i386)"
            ),
        }
        let _ = wine_command("wineserver")
            .arg("-w")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            ready.exists(),
            "the wine prefix has no 32-bit side: install wine32:i386 (scripts/test does)"
        );
    }
}

/// Runs a Windows program under wine; returns (stdout, exit code). Output goes through files,
/// so the wineserver that outlives the program holds no pipe of ours.
pub fn wine(exe: &Path) -> (String, i32) {
    ensure_prefix();
    let out_path = exe.with_extension("stdout");
    let err_path = exe.with_extension("stderr");
    let stdout = File::create(&out_path).expect("create the stdout file");
    let stderr = File::create(&err_path).expect("create the stderr file");
    let status = wine_command("wine")
        .arg(exe)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .unwrap_or_else(|e| panic!("running wine: {e} (scripts/test installs it)"));
    let text = std::fs::read_to_string(&out_path).expect("read the program's output");
    // Windows' msvcrt writes "\n" as "\r\n" in text mode.
    (text.replace("\r\n", "\n"), status.code().unwrap_or(-1))
}
