//! DWARF in Mach-O, end to end: `counter_arm64_macos.json` (the made-up `counter.mini`
//! compiled for arm64 macOS, plus a `debug` object) built by the CLI in DWARF 5 and 4. The
//! object's `__DWARF` sections pass `llvm-dwarfdump-19 --verify` and its line table has the
//! expected rows; only addresses are relocated. Apple's model links DWARF after the program:
//! ld64.lld links the code and leaves a debug map pointing at the object, `dsymutil` links the
//! object's DWARF into a dSYM, and addr2line on the dSYM maps the program's addresses back to
//! function, file and line.

mod common;
mod dwarf_support;

use std::process::Command;

use dwarf_support::{addr2line, build_counter, line_rows};

/// Where the instructions of counter_arm64_macos.s are: (function, offset, line).
const LINE_OF: &[(&str, u64, u32)] = &[
    ("_bump", 0, 3),
    ("_bump", 8, 4),
    ("_bump", 12, 5),
    ("_bump", 16, 6),
    ("_main", 0, 8),
    ("_main", 12, 9),
    ("_main", 16, 10),
    ("_main", 24, 10),
    ("_main", 28, 11),
    ("_main", 40, 12),
    ("_main", 48, 13),
    ("_main", 52, 15),
    ("_main", 64, 16),
];

#[test]
fn object_rows_and_dsym_lookups_in_both_versions() {
    let dir = common::scratch("dwarf_macho");
    for version in [5, 4] {
        let obj = build_counter(&dir, "arm64_macos", version);

        // The object's line table: main's rows in __text (main is at 12), then bump's in
        // __bump, which follows __text's 80 bytes in the object's address space. Line 0
        // marks an end_sequence row.
        assert_eq!(
            line_rows(&obj),
            [
                (12, 8),
                (24, 9),
                (28, 10),
                (36, 10),
                (40, 11),
                (48, 11),
                (52, 12),
                (60, 13),
                (64, 15),
                (68, 16),
                (80, 0),
                (80, 3),
                (88, 4),
                (92, 5),
                (96, 6),
                (104, 0)
            ],
            "DWARF {version}"
        );
        // The sections are in the __DWARF segment; the only relocations there are addresses.
        let sections = common::readobj(&["--sections"], &obj);
        for name in [
            "__debug_info",
            "__debug_abbrev",
            "__debug_line",
            "__debug_str",
        ] {
            assert!(sections.contains(&format!("Name: {name} ")), "{sections}");
        }
        // DWARF 5: abbrev, info, rnglists, str_offs, str, addr, line, line_str; DWARF 4:
        // abbrev, info, ranges, aranges, str, line.
        let count = if version == 5 { 8 } else { 6 };
        assert_eq!(sections.matches("Segment: __DWARF").count(), count);
        let relocs = common::readobj(&["-r"], &obj);
        let debug_relocations: Vec<&str> = relocs
            .split("Section ")
            .filter(|s| s.starts_with("__debug"))
            .flat_map(|s| s.lines().skip(1))
            .filter(|l| l.trim().starts_with("0x"))
            .collect();
        assert!(!debug_relocations.is_empty(), "{relocs}");
        assert!(
            debug_relocations
                .iter()
                .all(|l| l.contains(" 0 3 0 ARM64_RELOC_UNSIGNED ")),
            "{relocs}"
        );

        // Link, gather the DWARF with dsymutil, and look addresses up in the dSYM.
        let exe = dir.join(format!("counter-v{version}"));
        common::run_ok(
            Command::new("ld64.lld-19")
                .args([
                    "-arch",
                    "arm64",
                    "-platform_version",
                    "macos",
                    "11.0",
                    "14.0",
                ])
                .args(["-e", "_start", "-o"])
                .arg(&exe)
                .arg(&obj),
        );
        let dsym = dir.join(format!("counter-v{version}.dSYM"));
        common::run_ok(Command::new("dsymutil-19").arg(&exe).arg("-o").arg(&dsym));
        let dwarf = dsym.join(format!("Contents/Resources/DWARF/counter-v{version}"));
        dwarf_support::verify(&dwarf);
        let addresses: Vec<u64> = LINE_OF
            .iter()
            .map(|&(f, offset, _)| dwarf_support::symbol_address("llvm-nm-19", &exe, f) + offset)
            .collect();
        let expected: Vec<(String, String)> = LINE_OF
            .iter()
            .map(|&(f, _, line)| {
                (
                    f.trim_start_matches('_').to_string(),
                    format!("/objforge/tests/dwarf/counter.mini:{line}"),
                )
            })
            .collect();
        assert_eq!(
            addr2line("llvm-addr2line-19", &dwarf, &addresses),
            expected,
            "DWARF {version}"
        );
    }
}
