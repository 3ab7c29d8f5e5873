//! DWARF on AArch64 ELF, end to end: `counter_aarch64.json` (the made-up `counter.mini`
//! compiled for AArch64, plus a `debug` object) built by the CLI in DWARF 5 and 4, checked by
//! `llvm-dwarfdump-19 --verify` and the strict ELF validators, linked statically with the GNU
//! cross linker (and ld.lld), run under qemu-aarch64, mapped back to source by the cross
//! addr2line and llvm-addr2line, and debugged with gdb-multiarch through qemu's gdb stub.

mod common;
mod dwarf_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use dwarf_support::{addr2line, assert_stop, build_counter, gdb_emulated, symbol_address};

/// Where the instructions of counter_aarch64.s are: (function, offset, line).
const LINE_OF: &[(&str, u64, u32)] = &[
    ("bump", 0, 3),
    ("bump", 8, 4),
    ("bump", 12, 5),
    ("bump", 16, 6),
    ("bump", 20, 6),
    ("main", 0, 8),
    ("main", 12, 9),
    ("main", 16, 10),
    ("main", 24, 10),
    ("main", 28, 11),
    ("main", 40, 12),
    ("main", 48, 13),
    ("main", 52, 15),
    ("main", 64, 16),
];

/// Links `obj` statically with the GNU cross linker (or ld.lld) and checks it exits with 5.
fn link(dir: &Path, obj: &Path, name: &str, lld: bool) -> PathBuf {
    let exe = dir.join(name);
    if lld {
        common::link_lld(&[obj], &["-static"], &exe);
    } else {
        common::run_ok(
            Command::new("aarch64-linux-gnu-ld")
                .arg("-static")
                .arg(obj)
                .arg("-o")
                .arg(&exe),
        );
    }
    assert_eq!(
        common::run_program(Some("qemu-aarch64"), &exe),
        (String::new(), 5),
        "{}",
        exe.display()
    );
    exe
}

#[test]
fn objects_verify_and_addr2line_maps_every_line() {
    let dir = common::scratch("dwarf_aarch64_addr2line");
    for version in [5, 4] {
        let obj = build_counter(&dir, "aarch64", version);
        let relocs = common::relocation_lines(&obj);
        for line in [
            ".rela.debug_info: 0x{} R_AARCH64_ABS32 .debug_abbrev 0x0",
            ".rela.debug_line: 0x{} R_AARCH64_ABS64 .text 0xC",
            ".rela.debug_line: 0x{} R_AARCH64_ABS64 .text.bump 0x0",
        ] {
            let (head, tail) = line.split_once("0x{}").unwrap_or_default();
            assert!(
                relocs
                    .iter()
                    .any(|r| r.starts_with(head) && r.ends_with(tail)),
                "DWARF {version}: no `{line}` in\n{}",
                relocs.join("\n")
            );
        }
        for lld in [false, true] {
            let name = format!("counter-v{version}{}", if lld { "-lld" } else { "" });
            let exe = link(&dir, &obj, &name, lld);
            dwarf_support::verify(&exe);
            let addresses: Vec<u64> = LINE_OF
                .iter()
                .map(|&(f, offset, _)| symbol_address("aarch64-linux-gnu-nm", &exe, f) + offset)
                .collect();
            let expected: Vec<(String, String)> = LINE_OF
                .iter()
                .map(|&(f, _, line)| {
                    (
                        f.to_string(),
                        format!("/objforge/tests/dwarf/counter.mini:{line}"),
                    )
                })
                .collect();
            for tool in ["aarch64-linux-gnu-addr2line", "llvm-addr2line-19"] {
                assert_eq!(
                    addr2line(tool, &exe, &addresses),
                    expected,
                    "{tool}, {}",
                    exe.display()
                );
            }
        }
    }
}

#[test]
fn gdb_under_qemu_stops_on_the_line_and_names_the_function() {
    let dir = common::scratch("dwarf_aarch64_gdb");
    for version in [5, 4] {
        let obj = build_counter(&dir, "aarch64", version);
        let exe = link(&dir, &obj, &format!("counter-v{version}"), false);

        // Line 4 is bump's `add w0, w0, #1`, 8 bytes in; the first call is on line 10.
        let stop = gdb_emulated("qemu-aarch64", &exe, 4);
        assert_stop(&stop, "bump", 4, 8, "    let m = n + 1");
        let caller = stop.backtrace.get(1).cloned().unwrap_or_default();
        assert!(
            caller.starts_with("#1  0x") && caller.ends_with(" in main () at counter.mini:10"),
            "DWARF {version}: {stop:#?}"
        );
        // Line 13 is the `sub w19, w19, #1` inside the `if`, at main+48.
        let stop = gdb_emulated("qemu-aarch64", &exe, 13);
        assert_stop(&stop, "main", 13, 48, "        count = count - 1");
    }
}
