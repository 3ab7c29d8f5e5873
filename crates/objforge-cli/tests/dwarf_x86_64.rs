//! DWARF on x86_64 ELF, end to end: `counter_x86_64.json` (machine code for the made-up
//! `counter.mini` plus a `debug` object) built by the CLI in DWARF 5 and 4, checked by
//! `llvm-dwarfdump-19 --verify` and the strict ELF validators, linked with `cc` into a PIE,
//! run, and debugged: gdb stops on the right instruction of the right line and names the
//! function and its caller; addr2line maps addresses back to function, file and line.

mod common;
mod dwarf_support;

use std::process::Command;

use dwarf_support::{addr2line, assert_stop, build_counter, gdb_native, symbol_address};

/// Where the instructions of counter_x86_64.s are: (function, offset, line).
const LINE_OF: &[(&str, u64, u32)] = &[
    ("bump", 0, 3),
    ("bump", 4, 4),
    ("bump", 7, 5),
    ("bump", 9, 6),
    ("bump", 10, 6),
    ("main", 0, 8),
    ("main", 9, 9),
    ("main", 0x0b, 10),
    ("main", 0x12, 10),
    ("main", 0x14, 11),
    ("main", 0x1d, 12),
    ("main", 0x22, 13),
    ("main", 0x25, 15),
    ("main", 0x2d, 16),
];

/// The sections each version writes (and their relocation sections).
fn expected_sections(version: u16) -> Vec<&'static str> {
    match version {
        5 => vec![
            ".debug_abbrev",
            ".debug_info",
            ".rela.debug_info",
            ".debug_rnglists",
            ".debug_str_offsets",
            ".rela.debug_str_offsets",
            ".debug_str",
            ".debug_addr",
            ".rela.debug_addr",
            ".debug_line",
            ".rela.debug_line",
            ".debug_line_str",
        ],
        _ => vec![
            ".debug_abbrev",
            ".debug_info",
            ".rela.debug_info",
            ".debug_ranges",
            ".rela.debug_ranges",
            ".debug_aranges",
            ".rela.debug_aranges",
            ".debug_str",
            ".debug_line",
            ".rela.debug_line",
        ],
    }
}

#[test]
fn objects_verify_in_both_versions() {
    let dir = common::scratch("dwarf_x86_64_verify");
    for version in [5, 4] {
        let obj = build_counter(&dir, "x86_64", version);
        assert_eq!(
            dwarf_support::debug_sections(&obj),
            expected_sections(version),
            "DWARF {version}"
        );
        // Section offsets are R_X86_64_32 against the debug section's symbol, addresses
        // R_X86_64_64 against the code section's, the offset in the addend.
        let relocs = common::relocation_lines(&obj);
        let has = |line: &str| {
            assert!(
                relocs.iter().any(|r| r == line || r.ends_with(line)),
                "DWARF {version}: no `{line}` in\n{}",
                relocs.join("\n")
            )
        };
        // Each sequence of the line program starts with a relocated DW_LNE_set_address.
        has(" R_X86_64_64 .text 0x0");
        has(" R_X86_64_64 .text.bump 0x0");
        assert_eq!(
            relocs
                .iter()
                .filter(|r| r.starts_with(".rela.debug_line: ") && r.contains("R_X86_64_64"))
                .count(),
            2,
            "{relocs:#?}"
        );
        if version == 5 {
            for line in [
                ".rela.debug_info: 0x8 R_X86_64_32 .debug_abbrev 0x0",
                ".rela.debug_info: 0x11 R_X86_64_32 .debug_str_offsets 0x8",
                ".rela.debug_info: 0x15 R_X86_64_32 .debug_line 0x0",
                ".rela.debug_info: 0x23 R_X86_64_32 .debug_addr 0x8",
                ".rela.debug_info: 0x27 R_X86_64_32 .debug_rnglists 0xC",
                ".rela.debug_str_offsets: 0x8 R_X86_64_32 .debug_str 0x1",
                // main, its lexical block, bump
                ".rela.debug_addr: 0x8 R_X86_64_64 .text 0x0",
                ".rela.debug_addr: 0x10 R_X86_64_64 .text 0x22",
                ".rela.debug_addr: 0x18 R_X86_64_64 .text.bump 0x0",
            ] {
                has(line);
            }
        } else {
            for line in [
                ".rela.debug_info: 0x6 R_X86_64_32 .debug_abbrev 0x0",
                ".rela.debug_info: 0x16 R_X86_64_32 .debug_line 0x0",
                ".rela.debug_info: 0x26 R_X86_64_32 .debug_ranges 0x0",
                ".rela.debug_ranges: 0x0 R_X86_64_64 .text 0x0",
                ".rela.debug_ranges: 0x8 R_X86_64_64 .text 0x2E",
                ".rela.debug_ranges: 0x10 R_X86_64_64 .text.bump 0x0",
                ".rela.debug_ranges: 0x18 R_X86_64_64 .text.bump 0xB",
                ".rela.debug_aranges: 0x6 R_X86_64_32 .debug_info 0x0",
                ".rela.debug_aranges: 0x10 R_X86_64_64 .text 0x0",
                ".rela.debug_aranges: 0x20 R_X86_64_64 .text.bump 0x0",
            ] {
                has(line);
            }
        }
    }
}

#[test]
fn gdb_stops_on_the_line_and_names_the_function() {
    let dir = common::scratch("dwarf_x86_64_gdb");
    for version in [5, 4] {
        let obj = build_counter(&dir, "x86_64", version);
        let exe = dir.join(format!("counter-v{version}"));
        common::run_ok(Command::new("cc").arg(&obj).arg("-o").arg(&exe));
        assert_eq!(common::run_program(None, &exe), (String::new(), 5));

        // Line 4 is bump's `lea eax, [rdi + 1]`, 4 bytes in; the first call is on line 10.
        let stop = gdb_native(&exe, 4);
        assert_stop(&stop, "bump", 4, 4, "    let m = n + 1");
        let caller = stop.backtrace.get(1).cloned().unwrap_or_default();
        assert!(
            caller.starts_with("#1  0x") && caller.ends_with(" in main () at counter.mini:10"),
            "DWARF {version}: {stop:#?}"
        );
        // Line 13 is the `sub ebx, 1` inside the `if`, at main+34.
        let stop = gdb_native(&exe, 13);
        assert_stop(&stop, "main", 13, 34, "        count = count - 1");
    }
}

#[test]
fn addr2line_maps_addresses_to_function_file_and_line() {
    let dir = common::scratch("dwarf_x86_64_addr2line");
    for version in [5, 4] {
        let obj = build_counter(&dir, "x86_64", version);
        let exe = dir.join(format!("counter-v{version}"));
        common::run_ok(Command::new("cc").arg(&obj).arg("-o").arg(&exe));
        let addresses: Vec<u64> = LINE_OF
            .iter()
            .map(|&(f, offset, _)| symbol_address("nm", &exe, f) + offset)
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
        assert_eq!(
            addr2line("addr2line", &exe, &addresses),
            expected,
            "DWARF {version}"
        );
        assert_eq!(
            addr2line("llvm-addr2line-19", &exe, &addresses),
            expected,
            "DWARF {version}"
        );
    }
}
