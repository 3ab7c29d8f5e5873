//! Unwinding through code objforge wrote, on Windows x64: the `seh` codes of
//! `fixtures/unwind/through_windows_x86_64.json` become `.pdata` and `.xdata`, which
//! `llvm-readobj-19 --unwind` shows exactly as for the object GNU as (MinGW) and clang-19 make
//! from the same `.seh_*` directives (`through_windows_x86_64.s`). A C++ exception thrown by a
//! callback passes through both functions (MinGW g++, SEH exceptions, linked by GNU ld and by
//! lld, run under wine). Wine also finds its way through a frame without `.pdata` when the
//! frame is simple, so the difference shows on the frameless function: without its codes the
//! callee-saved register it clobbers is not restored and the caller crashes.

mod coff_support;
mod common;

use std::path::Path;
use std::process::Command;

/// What main.cpp prints on Windows (no backtrace() there).
const CAUGHT: &str = "\
~Guard callback
~Guard fp
caught boom through fp
~Guard callback
~Guard frameless
caught boom through frameless
a=11 b=22 seen=2
";

/// `llvm-readobj-19 --unwind`, without the file name lines.
fn unwind_listing(obj: &Path) -> String {
    common::readobj(&["--unwind"], obj)
        .lines()
        .skip_while(|l| !l.starts_with("UnwindInformation"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn same_unwind_codes_as_gnu_as_and_clang() {
    let dir = common::scratch("unwind_coff_codes");
    let ours = dir.join("objforge.o");
    coff_support::build_checked(
        &common::fixture("unwind/through_windows_x86_64.json"),
        &ours,
    );
    let source = common::fixture("unwind/through_windows_x86_64.s");
    let gas = dir.join("gas.o");
    common::run_ok(
        Command::new("x86_64-w64-mingw32-as")
            .arg(&source)
            .arg("-o")
            .arg(&gas),
    );
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=x86_64-pc-windows-msvc", "-c"])
            .arg(&source)
            .arg("-o")
            .arg(&clang),
    );
    let listing = unwind_listing(&ours);
    assert!(listing.contains("PUSH_NONVOL reg=RSI"), "{listing}");
    assert_eq!(listing, unwind_listing(&gas));
    assert_eq!(listing, unwind_listing(&clang));
}

/// MinGW g++ compiles main.cpp and links it with `objs`, with GNU ld or (`lld`) ld.lld.
fn link_all(objs: &[&Path], exe: &Path, lld: bool) {
    let mut cmd = Command::new("x86_64-w64-mingw32-g++");
    cmd.args(["-O2", "-static"]);
    if lld {
        // MinGW's driver runs `ld.lld`; Debian names it ld.lld-19.
        let bin = exe.parent().unwrap().join("lld-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let link = bin.join("ld.lld");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/usr/bin/ld.lld-19", &link).unwrap();
        cmd.arg("-B").arg(&bin).arg("-fuse-ld=lld");
    }
    common::run_ok(
        cmd.arg(common::fixture("unwind/main.cpp"))
            .args(objs)
            .arg("-o")
            .arg(exe),
    );
}

fn link(obj: &Path, exe: &Path, lld: bool) {
    link_all(&[obj], exe, lld);
}

#[test]
fn throw_through_windows_x86_64() {
    let dir = common::scratch("unwind_coff_throw");
    let obj = dir.join("through.o");
    coff_support::build_checked(&common::fixture("unwind/through_windows_x86_64.json"), &obj);
    for (name, lld) in [("ld", false), ("lld", true)] {
        let exe = dir.join(format!("main_{name}.exe"));
        link(&obj, &exe, lld);
        assert_eq!(coff_support::wine(&exe), (CAUGHT.to_string(), 0), "{name}");
    }

    let mut doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("unwind/through_windows_x86_64.json")).unwrap(),
    )
    .unwrap();
    doc.as_object_mut().unwrap().remove("unwind");
    let bare_spec = dir.join("bare.json");
    std::fs::write(&bare_spec, doc.to_string()).unwrap();
    let bare = dir.join("bare.o");
    common::build(&bare_spec, &bare);
    let exe = dir.join("bare.exe");
    link(&bare, &exe, false);
    let (stdout, code) = coff_support::wine(&exe);
    assert!(
        code != 0 && !stdout.contains("caught boom through frameless"),
        "without .pdata: exit {code}\n{stdout}"
    );
}

/// A function in a COMDAT group has its own `.pdata` and `.xdata`, associative to its code:
/// two objects that both define it (the second with its other function renamed) link, with GNU
/// ld and with lld, into a program through which the exception still passes.
#[test]
fn a_comdat_function_keeps_its_tables() {
    let dir = common::scratch("unwind_coff_comdat");
    let spec = common::fixture("unwind/through_windows_comdat.json");
    let first = dir.join("first.o");
    coff_support::build_checked(&spec, &first);
    let sections = common::readobj(&["--sections"], &first);
    assert_eq!(
        sections.matches("IMAGE_SCN_LNK_COMDAT").count(),
        3,
        "{sections}"
    );
    let renamed = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("through_frameless", "other_frameless");
    let second_spec = dir.join("second.json");
    std::fs::write(&second_spec, renamed).unwrap();
    let second = dir.join("second.o");
    common::build(&second_spec, &second);
    for (name, lld) in [("ld", false), ("lld", true)] {
        let exe = dir.join(format!("main_{name}.exe"));
        link_all(&[&first, &second], &exe, lld);
        assert_eq!(coff_support::wine(&exe), (CAUGHT.to_string(), 0), "{name}");
    }
}

/// What handler_main.cpp prints when the handlers of handler_windows_x86_64.json work.
const HANDLED: &str = "\
~Guard catcher
catcher(throw7) = 7
~Guard catcher
catcher(quiet) = 0
~Guard cleanup
caught 7 through cleanup
";

/// The relocations of the `.xdata` sections as `OFFSET TYPE SYMBOL`, sorted.
fn xdata_relocations(obj: &Path) -> Vec<String> {
    let text = common::readobj(&["-r"], obj);
    let mut in_xdata = false;
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Section (") {
            in_xdata = line.contains(".xdata");
        } else if in_xdata && line.starts_with("0x") {
            let words: Vec<&str> = line.split_whitespace().take(3).collect();
            lines.push(words.join(" "));
        }
    }
    lines.sort();
    lines
}

/// Functions with a personality routine and an LSDA: `UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER`,
/// the handler's RVA after the codes and the LSDA after it, as GNU as and clang-19 write them
/// for `.seh_handler __gxx_personality_seh0, @unwind, @except` and `.seh_handlerdata`.
#[test]
fn handlers_as_gnu_as_and_clang_write_them() {
    let dir = common::scratch("unwind_coff_handler_codes");
    let ours = dir.join("objforge.o");
    coff_support::build_checked(
        &common::fixture("unwind/handler_windows_x86_64.json"),
        &ours,
    );
    let gas = dir.join("gas.o");
    common::run_ok(
        Command::new("x86_64-w64-mingw32-as")
            .arg(common::fixture("unwind/handler_windows_x86_64.s"))
            .arg("-o")
            .arg(&gas),
    );
    let listing = unwind_listing(&ours);
    assert!(
        listing.contains("Handler: __gxx_personality_seh0"),
        "{listing}"
    );
    assert_eq!(listing, unwind_listing(&gas));
    assert_eq!(xdata_relocations(&ours), xdata_relocations(&gas));
    assert_eq!(
        common::section_bytes(&ours, ".xdata"),
        common::section_bytes(&gas, ".xdata")
    );
    // clang's assembler takes the same file but for GCC's `.ident`.
    let source = std::fs::read_to_string(common::fixture("unwind/handler_windows_x86_64.s"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with(".ident"))
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    let for_clang = dir.join("for_clang.s");
    std::fs::write(&for_clang, source).unwrap();
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=x86_64-pc-windows-gnu", "-c"])
            .arg(&for_clang)
            .arg("-o")
            .arg(&clang),
    );
    assert_eq!(listing, unwind_listing(&clang));
    assert_eq!(xdata_relocations(&ours), xdata_relocations(&clang));
}

/// The exception thrown by the callback is caught in catcher and passes through cleanup
/// running its destructor, linked by GNU ld and by lld; without the handlers the program
/// terminates.
#[test]
fn handlers_catch_under_wine() {
    let dir = common::scratch("unwind_coff_handler_run");
    let spec = common::fixture("unwind/handler_windows_x86_64.json");
    let obj = dir.join("handler.o");
    common::build(&spec, &obj);
    let link = |objs: &[&Path], exe: &Path, lld: bool| {
        let mut cmd = Command::new("x86_64-w64-mingw32-g++");
        cmd.args(["-O2", "-static"]);
        if lld {
            let bin = dir.join("lld-bin");
            std::fs::create_dir_all(&bin).unwrap();
            let link = bin.join("ld.lld");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink("/usr/bin/ld.lld-19", &link).unwrap();
            cmd.arg("-B").arg(&bin).arg("-fuse-ld=lld");
        }
        common::run_ok(
            cmd.arg(common::fixture("unwind/handler_main.cpp"))
                .args(objs)
                .arg("-o")
                .arg(exe),
        );
    };
    for (name, lld) in [("ld", false), ("lld", true)] {
        let exe = dir.join(format!("handler_{name}.exe"));
        link(&[&obj], &exe, lld);
        assert_eq!(coff_support::wine(&exe), (HANDLED.to_string(), 0), "{name}");
    }

    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    for entry in doc["unwind"].as_array_mut().unwrap() {
        let entry = entry.as_object_mut().unwrap();
        entry.remove("personality");
        entry.remove("lsda");
    }
    let bare_spec = dir.join("bare.json");
    std::fs::write(&bare_spec, doc.to_string()).unwrap();
    let bare = dir.join("bare.o");
    common::build(&bare_spec, &bare);
    let exe = dir.join("bare.exe");
    link(&[&bare], &exe, false);
    let (stdout, _) = coff_support::wine(&exe);
    assert!(!stdout.contains("catcher(throw7) = 7"), "{stdout}");
}

/// `objforge dump` of GNU as's object gives the handlers back (LSDAs in
/// `.gcc_except_table`), and the dump of the object built from that dump is the same.
#[test]
fn handlers_dump_round_trip() {
    let dir = common::scratch("unwind_coff_handler_dump");
    let gas = dir.join("gas.o");
    common::run_ok(
        Command::new("x86_64-w64-mingw32-as")
            .arg(common::fixture("unwind/handler_windows_x86_64.s"))
            .arg("-o")
            .arg(&gas),
    );
    let dump = |obj: &Path, spec: &Path| {
        common::run_ok(common::objforge().arg("dump").arg(obj).arg("-o").arg(spec));
        std::fs::read_to_string(spec).unwrap()
    };
    let first = dump(&gas, &dir.join("first.json"));
    assert!(
        first.contains("\"personality\":\"__gxx_personality_seh0\""),
        "{first}"
    );
    assert!(!first.contains("\".xdata\""), "{first}");
    let rebuilt = dir.join("rebuilt.o");
    common::build(&dir.join("first.json"), &rebuilt);
    assert_eq!(unwind_listing(&rebuilt), unwind_listing(&gas));
    assert_eq!(dump(&rebuilt, &dir.join("second.json")), first);
}
