//! Windows arm64 unwind information from `seh` codes: `fixtures/unwind/windows_arm64.json`
//! becomes `.pdata` and `.xdata` that `llvm-readobj-19 --unwind` shows exactly as for the
//! object clang-19 assembles from the same `.seh_*` directives (`windows_arm64.s`): packed
//! entries, full records with epilogue scopes, a packed epilogue, epilogues sharing the
//! prologue's codes, and an exception handler with its data. lld-link links it (arm64 code
//! cannot run here).

mod coff_support;
mod common;

use std::path::Path;
use std::process::Command;

use coff_support::Arch;

/// `llvm-readobj-19 --unwind`, without the file name lines.
fn unwind_listing(obj: &Path) -> String {
    common::readobj(&["--unwind"], obj)
        .lines()
        .skip_while(|l| !l.starts_with("UnwindInformation"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The relocations as `SECTION OFFSET TYPE SYMBOL`, sorted (objforge and clang list them in
/// different orders and number their symbols differently).
fn relocations(obj: &Path) -> Vec<String> {
    let text = common::readobj(&["-r"], obj);
    let mut section = String::new();
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Section (") {
            section = rest.split_whitespace().nth(1).unwrap_or("").to_string();
        } else if line.starts_with("0x") {
            let mut words = line.split_whitespace();
            let (offset, kind, symbol) = (words.next(), words.next(), words.next());
            lines.push(format!(
                "{section} {} {} {}",
                offset.unwrap_or(""),
                kind.unwrap_or(""),
                symbol.unwrap_or("")
            ));
        }
    }
    lines.sort();
    lines
}

fn clang_object(dir: &Path) -> std::path::PathBuf {
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=aarch64-pc-windows-msvc", "-c"])
            .arg(common::fixture("unwind/windows_arm64.s"))
            .arg("-o")
            .arg(&clang),
    );
    clang
}

#[test]
fn same_unwind_records_as_clang() {
    let dir = common::scratch("unwind_coff_arm64_codes");
    let ours = dir.join("objforge.o");
    coff_support::build_checked(&common::fixture("unwind/windows_arm64.json"), &ours);
    let clang = clang_object(&dir);
    let listing = unwind_listing(&ours);
    // Both forms are there: packed entries and records with scopes.
    assert!(listing.contains("CR: 3"), "{listing}");
    assert!(listing.contains("EpilogueScopes: 2"), "{listing}");
    assert!(listing.contains("EpiloguePacked: Yes"), "{listing}");
    assert!(
        listing.contains("Routine: __C_specific_handler"),
        "{listing}"
    );
    assert_eq!(listing, unwind_listing(&clang));
    assert_eq!(relocations(&ours), relocations(&clang));
}

/// lld-link links the object (with a stand-in `__C_specific_handler`), and the image's
/// `.pdata` lists every function.
#[test]
fn lld_link_links_it() {
    let dir = common::scratch("unwind_coff_arm64_link");
    let ours = dir.join("objforge.o");
    common::build(&common::fixture("unwind/windows_arm64.json"), &ours);
    let stub_source = dir.join("stub.s");
    std::fs::write(
        &stub_source,
        "\t.text\n\t.globl __C_specific_handler\n__C_specific_handler:\n\tret\n",
    )
    .unwrap();
    let stub = dir.join("stub.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=aarch64-pc-windows-msvc", "-c"])
            .arg(&stub_source)
            .arg("-o")
            .arg(&stub),
    );
    let exe = dir.join("x.exe");
    coff_support::lld_link(Arch::Arm64, &[&ours, &stub], &["/entry:packed_fp"], &exe);
    let listing = common::readobj(&["--unwind"], &exe);
    assert_eq!(listing.matches("RuntimeFunction {").count(), 7, "{listing}");
    assert!(listing.contains("ExceptionHandler ["), "{listing}");
}

/// `objforge dump` turns the tables back into the same `seh` codes: building the dump gives
/// the same object.
#[test]
fn dump_gives_the_codes_back() {
    let dir = common::scratch("unwind_coff_arm64_dump");
    let ours = dir.join("objforge.o");
    common::build(&common::fixture("unwind/windows_arm64.json"), &ours);
    let spec = dir.join("dumped.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&ours)
            .arg("-o")
            .arg(&spec),
    );
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.contains("\"unwind\""), "{text}");
    assert!(!text.contains("\".pdata\""), "{text}");
    let rebuilt = dir.join("rebuilt.o");
    common::build(&spec, &rebuilt);
    assert_eq!(unwind_listing(&rebuilt), unwind_listing(&ours));
    // And the clang object decodes as well.
    let clang = clang_object(&dir);
    let spec = dir.join("clang.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&clang)
            .arg("-o")
            .arg(&spec),
    );
    let rebuilt = dir.join("clang_rebuilt.o");
    common::build(&spec, &rebuilt);
    assert_eq!(unwind_listing(&rebuilt), unwind_listing(&clang));
}
