//! Checks a [`DebugInfo`] against its object before anything is written, so the builders may
//! assume every section, file and offset they see is valid. Each error names its place under
//! `debug` (`debug.lines[3].file`), which is also its path in the JSON spec.

use std::collections::HashMap;

use super::encode::DebugSection;
use super::{DebugInfo, LexicalBlock};
use crate::error::{Error, Place};
use crate::model::{Object, Section, SectionId};
use crate::target::Format;
use crate::validate::MAX_NAME_LEN;

/// How deep lexical blocks may nest (deeper nesting is surely a bug, and the writer recurses).
const MAX_BLOCK_DEPTH: usize = 256;

/// Every debug section name, in both spellings (a Mach-O writer may map `.debug_info`).
const ALL_SECTIONS: [DebugSection; 10] = [
    DebugSection::Abbrev,
    DebugSection::Info,
    DebugSection::Str,
    DebugSection::StrOffsets,
    DebugSection::Addr,
    DebugSection::Rnglists,
    DebugSection::Line,
    DebugSection::LineStr,
    DebugSection::Ranges,
    DebugSection::Aranges,
];

fn at(path: String) -> Place {
    Place::Debug(path)
}

fn check_string(s: &str, place: impl Fn() -> Place, allow_empty: bool) -> Result<(), Error> {
    if s.is_empty() && !allow_empty {
        return Err(Error::invalid(place(), "empty"));
    }
    if s.contains('\0') {
        return Err(Error::invalid(place(), "contains a NUL byte"));
    }
    if s.len() > MAX_NAME_LEN {
        return Err(Error::invalid(
            place(),
            format!("{} bytes long; the limit is {MAX_NAME_LEN}", s.len()),
        ));
    }
    Ok(())
}

/// The section a row or function is in: it must exist and be loaded.
fn code_section(
    obj: &Object,
    section: SectionId,
    place: impl Fn() -> Place,
) -> Result<&Section, Error> {
    let Some(s) = obj.sections.get(section.0) else {
        return Err(Error::invalid(
            place(),
            format!(
                "there is no section {} (the object has {})",
                section.0,
                obj.sections.len()
            ),
        ));
    };
    if !s.kind.is_allocated() {
        return Err(Error::invalid(
            place(),
            format!(
                "{} is a {} section, which is not loaded; debug information describes code",
                s.name,
                s.kind.name()
            ),
        ));
    }
    Ok(s)
}

/// Checks `debug` against `obj`.
pub(super) fn check(obj: &Object, debug: &DebugInfo) -> Result<(), Error> {
    if obj.target.format == Format::Wasm {
        return Err(Error::unsupported(
            Place::Target,
            "objforge writes DWARF for ELF, Mach-O and COFF objects, not wasm",
        ));
    }
    for kind in ALL_SECTIONS {
        for name in [kind.name(), kind.macho_name()] {
            if let Some(i) = obj.sections.iter().position(|s| s.name == name) {
                return Err(Error::invalid(
                    at(String::new()),
                    format!(
                        "the object already has a {name} section (sections[{i}]); the debug information writes its own sections, once per object"
                    ),
                ));
            }
        }
    }
    check_string(&debug.name, || at("name".into()), false)?;
    check_string(&debug.comp_dir, || at("comp_dir".into()), false)?;
    check_string(&debug.producer, || at("producer".into()), true)?;
    for (i, path) in debug.files.iter().enumerate() {
        check_string(path, || at(format!("files[{i}]")), false)?;
    }
    let file = |file: super::FileId, place: Place| -> Result<(), Error> {
        if file.0 < debug.files.len() {
            Ok(())
        } else {
            Err(Error::invalid(
                place,
                format!(
                    "there is no file {} (`files` has {})",
                    file.0,
                    debug.files.len()
                ),
            ))
        }
    };

    // (offset, row index) of the last row seen in each section.
    let mut last: HashMap<SectionId, (u64, usize)> = HashMap::new();
    for (i, row) in debug.lines.iter().enumerate() {
        let field = |name: &str| at(format!("lines[{i}].{name}"));
        let s = code_section(obj, row.section, || field("section"))?;
        let len = s.data.len();
        // A row may stand at the end of its section: GCC writes a zero-length row where a
        // sequence ends, before the end_sequence row.
        if row.offset > len {
            return Err(Error::invalid(
                field("offset"),
                format!("{} is past the end of {} ({len} bytes)", row.offset, s.name),
            ));
        }
        if let Some(&(previous, j)) = last.get(&row.section) {
            if row.offset < previous {
                return Err(Error::invalid(
                    field("offset"),
                    format!(
                        "{} comes before lines[{j}] at {previous} in {}: rows of one section go in address order",
                        row.offset, s.name
                    ),
                ));
            }
        }
        last.insert(row.section, (row.offset, i));
        if !row.end_sequence {
            file(row.file, field("file"))?;
        }
    }

    for (i, f) in debug.functions.iter().enumerate() {
        let field = |name: &str| at(format!("functions[{i}].{name}"));
        check_string(&f.name, || field("name"), false)?;
        if let Some(linkage_name) = &f.linkage_name {
            check_string(linkage_name, || field("linkage_name"), false)?;
        }
        let s = code_section(obj, f.section, || field("section"))?;
        let len = s.data.len();
        if f.offset > len {
            return Err(Error::invalid(
                field("offset"),
                format!("{} is past the end of {} ({len} bytes)", f.offset, s.name),
            ));
        }
        if f.size == 0 {
            return Err(Error::invalid(
                field("size"),
                "a function covers at least one byte",
            ));
        }
        let end = f.offset.checked_add(f.size).filter(|&end| end <= len);
        let Some(end) = end else {
            return Err(Error::invalid(
                field("size"),
                format!(
                    "{} bytes from {} run past the end of {} ({len} bytes)",
                    f.size, f.offset, s.name
                ),
            ));
        };
        file(f.file, field("file"))?;
        check_blocks(&f.blocks, &format!("functions[{i}]"), f.offset, end, 1)?;
    }
    Ok(())
}

/// Blocks must lie within their parent's `start..end`.
fn check_blocks(
    blocks: &[LexicalBlock],
    parent: &str,
    start: u64,
    end: u64,
    depth: usize,
) -> Result<(), Error> {
    for (i, b) in blocks.iter().enumerate() {
        let path = format!("{parent}.blocks[{i}]");
        let field = |name: &str| at(format!("{path}.{name}"));
        if depth > MAX_BLOCK_DEPTH {
            return Err(Error::invalid(
                at(path.clone()),
                format!("blocks nest more than {MAX_BLOCK_DEPTH} deep"),
            ));
        }
        if b.size == 0 {
            return Err(Error::invalid(
                field("size"),
                "a block covers at least one byte",
            ));
        }
        if b.offset < start || b.offset >= end {
            return Err(Error::invalid(
                field("offset"),
                format!(
                    "{} is outside the enclosing code ({start}..{end})",
                    b.offset
                ),
            ));
        }
        let Some(block_end) = b.offset.checked_add(b.size).filter(|&e| e <= end) else {
            return Err(Error::invalid(
                field("size"),
                format!(
                    "{} bytes from {} run past the end of the enclosing code ({start}..{end})",
                    b.size, b.offset
                ),
            ));
        };
        check_blocks(&b.blocks, &path, b.offset, block_end, depth + 1)?;
    }
    Ok(())
}
