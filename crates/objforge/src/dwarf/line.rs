//! `.debug_line` (and, for DWARF 5, `.debug_line_str`): the line number program.
//!
//! One program for the unit. Its file table lists the primary source file and the backend's
//! files, all relative to directory 0, the compilation directory. Each contiguous run of code
//! becomes one sequence: `DW_LNE_set_address` (relocated), the rows as special opcodes where
//! they fit, `DW_LNE_end_sequence`.

use std::collections::HashMap;

use super::consts::*;
use super::encode::{DebugSection, Writer};
use super::{DebugInfo, DwarfVersion, LineRow, Unit};
use crate::model::{Object, SectionId};
use crate::strtab::StringTable;
use crate::target::Endianness;

/// A contiguous run of code in one section and the rows that describe it.
pub(super) struct Sequence<'a> {
    pub(super) section: SectionId,
    /// Offset of the first row.
    pub(super) start: u64,
    /// Offset of the first byte after the run.
    pub(super) end: u64,
    pub(super) rows: Vec<&'a LineRow>,
}

/// The sequences of `debug.lines`: per section (in order of first appearance), runs of rows up
/// to each `end_sequence` row, and the last run up to the end of the section. Runs without
/// rows are dropped.
pub(super) fn sequences<'a>(obj: &Object, debug: &'a DebugInfo) -> Vec<Sequence<'a>> {
    let mut order: Vec<SectionId> = Vec::new();
    let mut by_section: HashMap<SectionId, Vec<&'a LineRow>> = HashMap::new();
    for row in &debug.lines {
        by_section
            .entry(row.section)
            .or_insert_with(|| {
                order.push(row.section);
                Vec::new()
            })
            .push(row);
    }
    let mut out = Vec::new();
    for section in order {
        let rows = by_section.remove(&section).unwrap_or_default();
        let mut run: Vec<&LineRow> = Vec::new();
        for row in rows {
            if row.end_sequence {
                if let Some(first) = run.first() {
                    out.push(Sequence {
                        section,
                        start: first.offset,
                        end: row.offset,
                        rows: std::mem::take(&mut run),
                    });
                }
            } else {
                run.push(row);
            }
        }
        if let Some(first) = run.first() {
            let end = obj.section(section).map_or(first.offset, |s| s.data.len());
            out.push(Sequence {
                section,
                start: first.offset,
                end,
                rows: run,
            });
        }
    }
    out
}

/// Builds `.debug_line`, and `.debug_line_str` for DWARF 5.
pub(super) fn build(obj: &Object, debug: &DebugInfo, unit: &Unit) -> Vec<(DebugSection, Writer)> {
    let big_endian = obj.target.endianness == Endianness::Big;
    let address_size = obj.target.arch.pointer_width();
    let v5 = debug.version == DwarfVersion::V5;
    let mut w = Writer::new(big_endian);

    // DWARF 5 keeps the paths in `.debug_line_str`.
    let mut paths = StringTable::new();
    let comp_dir = paths.add(debug.comp_dir.as_bytes());
    let entries: Vec<_> = unit
        .file_entries
        .iter()
        .map(|p| paths.add(p.as_bytes()))
        .collect();
    paths.finish();

    let unit_length = w.begin_length();
    w.u16(debug.version.number());
    if v5 {
        w.u8(address_size);
        w.u8(0); // segment_selector_size
    }
    let header_length = w.begin_length();
    w.u8(1); // minimum_instruction_length
    w.u8(1); // maximum_operations_per_instruction
    w.u8(1); // default_is_stmt
    w.u8(LINE_BASE as u8);
    w.u8(LINE_RANGE);
    w.u8(OPCODE_BASE);
    w.put(&STANDARD_OPCODE_LENGTHS);
    if v5 {
        // Directories: one, the compilation directory.
        w.u8(1);
        w.uleb(u64::from(DW_LNCT_PATH));
        w.uleb(u64::from(DW_FORM_LINE_STRP));
        w.uleb(1);
        w.offset(DebugSection::LineStr, u64::from(paths.offset(comp_dir)));
        // Files: path and directory index.
        w.u8(2);
        w.uleb(u64::from(DW_LNCT_PATH));
        w.uleb(u64::from(DW_FORM_LINE_STRP));
        w.uleb(u64::from(DW_LNCT_DIRECTORY_INDEX));
        w.uleb(u64::from(DW_FORM_UDATA));
        w.uleb(entries.len() as u64);
        for &id in &entries {
            w.offset(DebugSection::LineStr, u64::from(paths.offset(id)));
            w.uleb(0);
        }
    } else {
        w.u8(0); // no include_directories beyond the implicit compilation directory
        for path in &unit.file_entries {
            w.cstr(path);
            w.uleb(0); // directory
            w.uleb(0); // modification time
            w.uleb(0); // length
        }
        w.u8(0);
    }
    w.end_length(header_length);

    for sequence in &unit.sequences {
        write_sequence(&mut w, sequence, unit, address_size);
    }
    w.end_length(unit_length);

    let mut out = vec![(DebugSection::Line, w)];
    if v5 {
        let mut strings = Writer::new(big_endian);
        paths.write(&mut strings.bytes);
        out.push((DebugSection::LineStr, strings));
    }
    out
}

/// One sequence, from the initial state of the registers to `DW_LNE_end_sequence`.
fn write_sequence(w: &mut Writer, sequence: &Sequence, unit: &Unit, address_size: u8) {
    w.u8(0);
    w.uleb(1 + u64::from(address_size));
    w.u8(DW_LNE_SET_ADDRESS);
    w.address(address_size, sequence.section, sequence.start);
    let mut address = sequence.start;
    let mut file = 1;
    let mut line: i64 = 1;
    let mut column = 0;
    let mut is_stmt = true;
    for row in &sequence.rows {
        let row_file = unit.file_number(row.file);
        if row_file != file {
            w.u8(DW_LNS_SET_FILE);
            w.uleb(row_file);
            file = row_file;
        }
        if row.column != column {
            w.u8(DW_LNS_SET_COLUMN);
            w.uleb(u64::from(row.column));
            column = row.column;
        }
        if row.is_stmt != is_stmt {
            w.u8(DW_LNS_NEGATE_STMT);
            is_stmt = row.is_stmt;
        }
        let row_line = i64::from(row.line);
        add_row(w, row_line - line, row.offset.saturating_sub(address));
        line = row_line;
        address = address.max(row.offset);
    }
    if sequence.end > address {
        w.u8(DW_LNS_ADVANCE_PC);
        w.uleb(sequence.end - address);
    }
    w.u8(0);
    w.uleb(1);
    w.u8(DW_LNE_END_SEQUENCE);
}

/// Advances the line and address registers and appends a row: one special opcode when the
/// advances fit one, `DW_LNS_const_add_pc` and a special opcode when that fits, otherwise the
/// explicit advances.
fn add_row(w: &mut Writer, line_delta: i64, address_delta: u64) {
    let base = i64::from(LINE_BASE);
    let range = u64::from(LINE_RANGE);
    let mut line_delta = line_delta;
    if !(base..base + i64::from(LINE_RANGE)).contains(&line_delta) {
        w.u8(DW_LNS_ADVANCE_LINE);
        w.sleb(line_delta);
        line_delta = 0;
    }
    // 0 <= line_delta - base < LINE_RANGE here, so `line_part` is OPCODE_BASE..OPCODE_BASE+14.
    let line_part = (line_delta - base) as u64 + u64::from(OPCODE_BASE);
    let fits = (255 - line_part) / range;
    let const_add_pc = (255 - u64::from(OPCODE_BASE)) / range;
    if address_delta <= fits {
        w.u8((line_part + address_delta * range) as u8);
    } else if address_delta - const_add_pc <= fits {
        // `fits` is at least 16, so address_delta >= 17 = const_add_pc here.
        w.u8(DW_LNS_CONST_ADD_PC);
        w.u8((line_part + (address_delta - const_add_pc) * range) as u8);
    } else {
        w.u8(DW_LNS_ADVANCE_PC);
        w.uleb(address_delta);
        w.u8(line_part as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line_delta: i64, address_delta: u64) -> Vec<u8> {
        let mut w = Writer::new(false);
        add_row(&mut w, line_delta, address_delta);
        w.bytes
    }

    #[test]
    fn rows_use_special_opcodes_where_they_fit() {
        // opcode = (line_delta - line_base) + line_range * address_delta + opcode_base
        assert_eq!(row(0, 0), [13 + 5]);
        assert_eq!(row(1, 3), [13 + 6 + 14 * 3]);
        assert_eq!(row(-5, 0), [13]);
        assert_eq!(row(8, 0), [13 + 13]);
        assert_eq!(row(1, 16), [13 + 6 + 14 * 16]);
        assert_eq!(row(-5, 17), [13 + 14 * 17]);
        assert_eq!(row(1, 17), [DW_LNS_CONST_ADD_PC, 13 + 6]);
        // 20 bytes: const_add_pc (17) then a special opcode for the remaining 3.
        assert_eq!(row(1, 20), [DW_LNS_CONST_ADD_PC, 13 + 6 + 14 * 3]);
        // Too far: explicit advance, then a special opcode with no address advance.
        assert_eq!(row(1, 300), [DW_LNS_ADVANCE_PC, 0xac, 0x02, 13 + 6]);
        // A line advance out of range goes first, explicitly.
        assert_eq!(row(100, 2), [DW_LNS_ADVANCE_LINE, 0xe4, 0x00, 13 + 5 + 28]);
        assert_eq!(row(-6, 0), [DW_LNS_ADVANCE_LINE, 0x7a, 13 + 5]);
    }
}
