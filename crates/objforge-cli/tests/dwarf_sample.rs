//! DWARF through the library API on every architecture and format objforge writes: ELF
//! (x86_64, i386, aarch64, riscv64, s390x: big-endian), COFF (x86_64, i386, arm64) and Mach-O (arm64, x86_64),
//! both versions. Each object passes the format's validators and `llvm-dwarfdump-19
//! --verify`, libdwarf's `dwarfdump` reads the ELF ones cleanly (not RISC-V, below), and the
//! line table read back is the rows that were given — including address jumps and line
//! changes too large for one special opcode, several files, `is_stmt` changes, and one section
//! with two sequences.

mod common;
mod dwarf_support;

use std::path::Path;
use std::process::Command;

use objforge::dwarf::{lang, DebugInfo, DwarfVersion, Function, LexicalBlock, LineRow};
use objforge::*;

/// One row as `llvm-dwarfdump --debug-line` prints it: (address, line, column, file,
/// is_stmt, end_sequence).
type Row = (u64, u32, u32, u64, bool, bool);

/// An object with code in `.text` (4 KiB) and a cold section (64 bytes), and what its line
/// table must read back as.
fn sample(triple: &str, version: DwarfVersion) -> (Vec<u8>, Vec<Row>) {
    let target = Target::from_triple(triple).unwrap();
    // Mach-O objects have one address space: the cold section follows .text's 4 KiB.
    let (cold_name, cold_base) = match target.format {
        Format::MachO => ("__TEXT,__text_cold", 4096),
        _ => (".text.cold", 0),
    };
    let mut obj = Object::new(target);
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(16)
            .with_bytes(vec![0u8; 4096]),
    );
    let cold =
        obj.add_section(Section::new(cold_name, SectionKind::Text).with_bytes(vec![0u8; 64]));
    obj.add_symbol(
        Symbol::defined("work", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global)
            .with_size(4096),
    );
    let mut debug = DebugInfo::new("sample.mini", "/src/sample");
    debug.version = version;
    debug.producer = "objforge dwarf_elf test".into();
    debug.language = Some(lang::RUST);
    let main_file = debug.add_file("sample.mini");
    let lib = debug.add_file("lib/helpers.mini");
    let again = debug.add_file("sample.mini"); // the same file twice: one entry
                                               // (offset, file, line, column, is_stmt)
    let rows = [
        (0, main_file, 10, 1, true),
        (4, main_file, 11, 5, true),
        (4, main_file, 11, 9, false), // two rows at one address
        (20, main_file, 12, 5, true), // a const_add_pc jump
        (300, main_file, 9, 2, true), // a long jump, a step back
        (310, lib, 2000, 3, true),    // another file, a long line jump
        (312, lib, 1990, 3, true),
        (2048, again, 13, 0, true),
    ];
    for (offset, file, line, column, is_stmt) in rows {
        debug.add_row(
            LineRow::new(text, offset, file, line)
                .with_column(column)
                .with_is_stmt(is_stmt),
        );
    }
    debug.end_sequence(text, 2052);
    debug.add_row(LineRow::new(text, 4000, main_file, 40)); // a second sequence, to the end
    debug.add_row(LineRow::new(cold, 0, lib, 7));
    debug.add_row(LineRow::new(cold, 16, lib, 8).with_column(12));
    debug.end_sequence(cold, 32);
    debug.add_function(
        Function::new("work", text, 0, 2052)
            .with_linkage_name("_ZN6sample4workE")
            .with_declaration(main_file, 10)
            .with_external(true)
            .with_block(LexicalBlock::new(4, 300).with_block(LexicalBlock::new(20, 10))),
    );
    debug.add_function(Function::new("late", text, 4000, 96).with_declaration(main_file, 40));
    debug.add_function(Function::new("cold_path", cold, 0, 32).with_declaration(lib, 6));
    obj.add_debug_info(&debug).expect("add the debug info");

    // File numbers: DWARF 5 lists the primary file as 0 (and sample.mini is it), DWARF 4
    // numbers the distinct files from 1.
    let (main_n, lib_n) = match version {
        DwarfVersion::V5 => (0, 1),
        _ => (1, 2),
    };
    let expected = vec![
        (0, 10, 1, main_n, true, false),
        (4, 11, 5, main_n, true, false),
        (4, 11, 9, main_n, false, false),
        (20, 12, 5, main_n, true, false),
        (300, 9, 2, main_n, true, false),
        (310, 2000, 3, lib_n, true, false),
        (312, 1990, 3, lib_n, true, false),
        (2048, 13, 0, main_n, true, false),
        (2052, 13, 0, main_n, true, true),
        (4000, 40, 0, main_n, true, false),
        (4096, 40, 0, main_n, true, true),
        (cold_base, 7, 0, lib_n, true, false),
        (cold_base + 16, 8, 12, lib_n, true, false),
        (cold_base + 32, 8, 12, lib_n, true, true),
    ];
    (obj.write().expect("write"), expected)
}

/// The rows of the (only) line table in `obj`, as llvm-dwarfdump reads them.
fn line_rows(obj: &Path) -> Vec<Row> {
    let text = common::run_ok(
        Command::new("llvm-dwarfdump-19")
            .arg("--debug-line")
            .arg(obj),
    );
    text.lines()
        .filter(|l| l.starts_with("0x"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let num = |i: usize| {
                f.get(i)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(u64::MAX)
            };
            (
                u64::from_str_radix(f[0].trim_start_matches("0x"), 16).unwrap(),
                num(1) as u32,
                num(2) as u32,
                num(3),
                f.contains(&"is_stmt"),
                f.contains(&"end_sequence"),
            )
        })
        .collect()
}

#[test]
fn every_format_and_architecture_reads_back_in_both_versions() {
    let dir = common::scratch("dwarf_sample");
    for triple in [
        "x86_64-unknown-linux-gnu",
        "i686-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "riscv64gc-unknown-linux-gnu",
        "s390x-unknown-linux-gnu",
        "x86_64-pc-windows-msvc",
        "i686-pc-windows-msvc",
        "aarch64-pc-windows-msvc",
        "arm64-apple-macos",
        "x86_64-apple-macos",
    ] {
        for version in [DwarfVersion::V5, DwarfVersion::V4] {
            let (bytes, expected) = sample(triple, version);
            let obj = dir.join(format!("{triple}-v{}.o", version.number()));
            std::fs::write(&obj, bytes).expect("write");
            dwarf_support::check_object(&obj);
            dwarf_support::verify(&obj);
            assert_eq!(line_rows(&obj), expected, "{}", obj.display());
            // libdwarf reads ELF too, without errors or warnings. (Not RISC-V: Debian 12's
            // libdwarf knows no RISC-V relocation types and refuses GNU as's objects too.)
            if !triple.contains("linux") || triple.starts_with("riscv64") {
                continue;
            }
            let out = common::run(Command::new("dwarfdump").arg("-a").arg(&obj));
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success()
                    && !text.contains("ERROR")
                    && !text.contains("WARNING")
                    && text.contains("_ZN6sample4workE"),
                "dwarfdump -a {}:\n{text}",
                obj.display()
            );
        }
    }
}
