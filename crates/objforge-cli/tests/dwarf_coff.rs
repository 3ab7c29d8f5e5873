//! DWARF in COFF, end to end: `counter_x86_64_windows.json` (the made-up `counter.mini`
//! compiled for x86_64 Windows, plus a `debug` object) built by the CLI in DWARF 5 and 4. The
//! object passes `llvm-dwarfdump-19 --verify`; section offsets are `SECREL` relocations and
//! addresses `ADDR64`, the `.debug_*` names long section names. Linked by mingw's gcc into a
//! PE, the program's DWARF maps addresses back to function, file and line for the mingw
//! addr2line, llvm-addr2line and `llvm-dwarfdump --lookup`, and gdb finds the lines.

mod common;
mod dwarf_support;

use std::process::Command;

use dwarf_support::{addr2line, build_counter, symbol_address};

/// Where the instructions of counter_x86_64_windows.s are: (function, offset, line).
const LINE_OF: &[(&str, u64, u32)] = &[
    ("bump", 0, 3),
    ("bump", 4, 4),
    ("bump", 7, 5),
    ("bump", 9, 6),
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

#[test]
fn object_verifies_and_the_linked_pe_maps_addresses_to_lines() {
    let dir = common::scratch("dwarf_coff");
    for version in [5, 4] {
        let obj = build_counter(&dir, "x86_64_windows", version);
        let relocs = common::relocation_lines(&obj);
        for line in [
            // llvm-readobj ends each line with the symbol's index: `.debug_abbrev (7)`.
            ".debug_info: 0x{} IMAGE_REL_AMD64_SECREL .debug_abbrev (",
            ".debug_info: 0x{} IMAGE_REL_AMD64_SECREL .debug_line (",
            ".debug_line: 0x{} IMAGE_REL_AMD64_ADDR64 .text (",
            ".debug_line: 0x{} IMAGE_REL_AMD64_ADDR64 .text$bump (",
        ] {
            let (head, tail) = line.split_once("0x{}").unwrap_or_default();
            assert!(
                relocs
                    .iter()
                    .any(|r| r.starts_with(head) && r.contains(tail)),
                "DWARF {version}: no `{line}` in\n{}",
                relocs.join("\n")
            );
        }
        // `.debug_abbrev` and the other long names live in the string table (`/4`).
        let sections = common::readobj(&["--sections"], &obj);
        assert!(sections.contains("Name: .debug_abbrev (2F "), "{sections}");

        let exe = dir.join(format!("counter-v{version}.exe"));
        common::run_ok(
            Command::new("x86_64-w64-mingw32-gcc")
                .arg(&obj)
                .arg("-o")
                .arg(&exe),
        );
        let addresses: Vec<u64> = LINE_OF
            .iter()
            .map(|&(f, offset, _)| symbol_address("x86_64-w64-mingw32-nm", &exe, f) + offset)
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
        for tool in ["x86_64-w64-mingw32-addr2line", "llvm-addr2line-19"] {
            assert_eq!(
                addr2line(tool, &exe, &addresses),
                expected,
                "{tool}, DWARF {version}"
            );
        }
        // The unit's line table in the PE: every row at its linked address.
        let rows = dwarf_support::line_rows(&exe);
        let main = symbol_address("x86_64-w64-mingw32-nm", &exe, "main");
        let bump = symbol_address("x86_64-w64-mingw32-nm", &exe, "bump");
        let mut expected_rows: Vec<(u64, u32)> = [
            (0, 8),
            (9, 9),
            (11, 10),
            (18, 10),
            (20, 11),
            (27, 11),
            (29, 12),
            (34, 13),
            (37, 15),
            (39, 16),
            (46, 0),
        ]
        .iter()
        .map(|&(o, l)| (main + o, l))
        .collect();
        expected_rows.extend([(0, 3), (4, 4), (7, 5), (9, 6), (11, 0)].map(|(o, l)| (bump + o, l)));
        assert_eq!(rows, expected_rows, "DWARF {version}");
        // llvm-dwarfdump finds the function and line of an address.
        let lookup = common::run_ok(
            Command::new("llvm-dwarfdump-19")
                .arg(format!("--lookup={:#x}", bump + 4))
                .arg(&exe),
        );
        assert!(
            lookup.contains("DW_AT_name\t(\"bump\")")
                && lookup.contains("Line info: file 'counter.mini', line 4, column 5"),
            "{lookup}"
        );
        // gdb reads the PE's line table: line 13 starts at main+34.
        let gdb = common::run_ok(
            Command::new("gdb-multiarch")
                .args(["-batch", "-nx", "-ex", "info line counter.mini:13"])
                .arg(&exe),
        );
        assert!(
            gdb.starts_with("Line 13 of \"counter.mini\" starts at address ")
                && gdb.contains("<main+34> and ends at "),
            "{gdb}"
        );
    }
}
