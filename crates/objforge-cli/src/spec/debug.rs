//! The spec's `debug` object (see `docs/spec.md`): one compilation unit's files, line table
//! and functions, read into an [`objforge::dwarf::DebugInfo`] and written into the object as
//! DWARF by the library.
//!
//! Paths in the JSON and in the library's errors agree (`debug.lines[3].file`), so whichever
//! side finds a problem names the same place.

use objforge::dwarf::{lang, DebugInfo, DwarfVersion, FileId, Function, LexicalBlock, LineRow};
use objforge::{Object, SectionId};

use super::{library_error, resolve, Names};
use crate::json::{quote, suggestion, Fields, Node, SpecError};

/// Keys of `debug`.
const DEBUG_FIELDS: &[&str] = &[
    "version",
    "producer",
    "language",
    "name",
    "comp_dir",
    "files",
    "lines",
    "functions",
    "comment",
];
/// Keys of a row of `debug.lines`.
const LINE_FIELDS: &[&str] = &[
    "section",
    "offset",
    "file",
    "line",
    "column",
    "is_stmt",
    "end_sequence",
    "comment",
];
/// Keys of a row that ends a sequence.
const END_SEQUENCE_FIELDS: &[&str] = &["section", "offset", "end_sequence", "comment"];
/// Keys of a function.
const FUNCTION_FIELDS: &[&str] = &[
    "name",
    "linkage_name",
    "section",
    "offset",
    "size",
    "file",
    "line",
    "external",
    "blocks",
    "comment",
];
/// Keys of a lexical block.
const BLOCK_FIELDS: &[&str] = &["offset", "size", "blocks", "comment"];

/// Reads `debug` and adds it to `obj` (whose sections are already read).
pub(super) fn read_debug(
    node: Node<'_>,
    sections: &Names,
    obj: &mut Object,
) -> Result<(), SpecError> {
    let debug = read(node, sections, obj.default_dwarf_version())?;
    obj.add_debug_info(&debug).map_err(|e| library_error(&e))?;
    Ok(())
}

/// The `debug` object as a [`DebugInfo`]; without a `version`, `default_version` (the
/// platform's, as [`Object::default_dwarf_version`] gives it).
fn read(
    node: Node<'_>,
    sections: &Names,
    default_version: DwarfVersion,
) -> Result<DebugInfo, SpecError> {
    let fields = node.object(DEBUG_FIELDS, "field")?;
    let mut debug = DebugInfo::new(
        fields.required("name")?.str()?,
        fields.required("comp_dir")?.str()?,
    );
    debug.version = default_version;
    if let Some(n) = fields.get("version") {
        let number = n.u64()?;
        debug.version = DwarfVersion::from_number(number)
            .ok_or_else(|| n.error(format!("objforge writes DWARF 4 or 5, not {number}")))?;
    }
    if let Some(n) = fields.get("producer") {
        debug.producer = n.str()?.to_string();
    }
    if let Some(n) = fields.get("language") {
        debug.language = Some(read_language(n)?);
    }
    if let Some(n) = fields.get("files") {
        for item in n.array()?.iter() {
            debug.add_file(item.str()?);
        }
    }
    if let Some(n) = fields.get("lines") {
        for item in n.array()?.iter() {
            let row = read_row(item, sections, &debug.files)?;
            debug.add_row(row);
        }
    }
    if let Some(n) = fields.get("functions") {
        for item in n.array()?.iter() {
            let function = read_function(item, sections, &debug.files)?;
            debug.add_function(function);
        }
    }
    Ok(debug)
}

/// A language name from [`lang::NAMES`] or a `DW_LANG_*` code.
fn read_language(node: Node<'_>) -> Result<u16, SpecError> {
    if let Ok(name) = node.str() {
        let names = lang::NAMES.iter().map(|(n, _)| *n);
        return lang::from_name(name).ok_or_else(|| {
            node.error(format!(
                "unknown language {}{} (known: {}; or give the DW_LANG code as a number)",
                quote(name),
                suggestion(name, names.clone()),
                names.collect::<Vec<_>>().join(", ")
            ))
        });
    }
    let code = node.u64_at_most(u64::from(u16::MAX))?;
    Ok(u16::try_from(code).unwrap_or(u16::MAX))
}

/// A reference to one of `debug.files`: its index, or its path.
fn read_file(node: Node<'_>, files: &[String]) -> Result<FileId, SpecError> {
    match node.value() {
        serde_json::Value::String(path) => files
            .iter()
            .position(|f| f == path)
            .map(FileId)
            .ok_or_else(|| {
                node.error(format!(
                    "no file {} in `debug.files`{}",
                    quote(path),
                    suggestion(path, files.iter().map(String::as_str))
                ))
            }),
        serde_json::Value::Number(_) => {
            let index = node.u64()?;
            usize::try_from(index)
                .map(FileId)
                .map_err(|_| node.error(format!("there is no file {index}")))
        }
        _ => Err(node.expected("a path in `debug.files` or an index into it")),
    }
}

fn optional_file(fields: &Fields<'_>, files: &[String]) -> Result<FileId, SpecError> {
    match fields.get("file") {
        Some(n) => read_file(n, files),
        None => Ok(FileId(0)),
    }
}

/// A line or column number.
fn read_number(node: Node<'_>) -> Result<u32, SpecError> {
    let n = node.u64_at_most(u64::from(u32::MAX))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// One row of `debug.lines`.
fn read_row(node: Node<'_>, sections: &Names, files: &[String]) -> Result<LineRow, SpecError> {
    let all = node.object(LINE_FIELDS, "field")?;
    let end_sequence = match all.get("end_sequence") {
        Some(n) => n.bool()?,
        None => false,
    };
    let section = SectionId(resolve(all.required("section")?, sections, "sections")?);
    let offset = all.required("offset")?.u64()?;
    if end_sequence {
        // Only the place where the sequence ends.
        for key in LINE_FIELDS {
            if let (Some(n), false) = (all.get(key), END_SEQUENCE_FIELDS.contains(key)) {
                return Err(n.error(
                    "an end_sequence row has only `section` and `offset` (it ends a run of code)",
                ));
            }
        }
        return Ok(LineRow::end_sequence(section, offset));
    }
    let mut row = LineRow::new(
        section,
        offset,
        optional_file(&all, files)?,
        read_number(all.required("line")?)?,
    );
    if let Some(n) = all.get("column") {
        row.column = read_number(n)?;
    }
    if let Some(n) = all.get("is_stmt") {
        row.is_stmt = n.bool()?;
    }
    Ok(row)
}

/// One function of `debug.functions`.
fn read_function(
    node: Node<'_>,
    sections: &Names,
    files: &[String],
) -> Result<Function, SpecError> {
    let fields = node.object(FUNCTION_FIELDS, "field")?;
    let mut function = Function::new(
        fields.required("name")?.str()?,
        SectionId(resolve(fields.required("section")?, sections, "sections")?),
        fields.required("offset")?.u64()?,
        fields.required("size")?.u64()?,
    );
    if let Some(n) = fields.get("linkage_name") {
        function.linkage_name = Some(n.str()?.to_string());
    }
    function.file = optional_file(&fields, files)?;
    function.line = read_number(fields.required("line")?)?;
    if let Some(n) = fields.get("external") {
        function.external = n.bool()?;
    }
    if let Some(n) = fields.get("blocks") {
        function.blocks = read_blocks(n)?;
    }
    Ok(function)
}

/// A `blocks` array (nesting is bounded by the JSON parser's depth limit).
fn read_blocks(node: Node<'_>) -> Result<Vec<LexicalBlock>, SpecError> {
    let mut blocks = Vec::new();
    for item in node.array()?.iter() {
        let fields = item.object(BLOCK_FIELDS, "field")?;
        let mut block = LexicalBlock::new(
            fields.required("offset")?.u64()?,
            fields.required("size")?.u64()?,
        );
        if let Some(n) = fields.get("blocks") {
            block.blocks = read_blocks(n)?;
        }
        blocks.push(block);
    }
    Ok(blocks)
}
