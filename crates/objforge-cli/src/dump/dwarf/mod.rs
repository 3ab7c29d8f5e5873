//! `objforge dump --debug`: a compiler's DWARF back into the spec's `debug` description.
//!
//! The dumped object keeps its `.debug_*` sections as bytes with their relocations cleared
//! (as every section is dumped). This module applies those relocations again to a copy, with
//! each loaded section placed at its own made-up base address, reads the copy with gimli, and
//! turns addresses back into (section, offset) pairs by that base. Then it walks the one
//! compilation unit and writes what the description can say (docs/dwarf.md lists it):
//!
//! - the line table ([`lines`]), its files becoming `files`;
//! - the types ([`types`]), each DIE one entry of `types`, referred to by index;
//! - global variables, functions with their parameters, locals, lexical blocks and the copies
//!   of inline functions in them, and the abstract inline functions ([`scopes`]);
//! - locations as operations, location lists and constants ([`expr`]).
//!
//! What it cannot say is dropped and counted, each kind becoming one note: call sites, labels,
//! declarations of functions defined elsewhere, operations that name other DIEs. Input that is
//! not DWARF it can read (a truncated unit, an address no relocation placed) is one error.

mod expr;
mod lines;
mod scopes;
mod types;

use std::collections::{BTreeMap, HashMap};

use gimli::{EndianSlice, LittleEndian, UnitOffset};
use objforge::{Object, RelocKind, SectionData, SymbolDefinition};
use serde_json::Value;

use super::{DumpError, Result};

/// The reader every part uses: the relocated copy of a section, little-endian.
type R<'a> = EndianSlice<'a, LittleEndian>;

/// Loaded sections are placed at `(index + 1) << ADDRESS_SHIFT`, so that a relocated address
/// names its section in its high bits and its offset in the low ones.
const ADDRESS_SHIFT: u32 = 40;

/// The `debug` description of an object, and what did not fit in it.
pub struct Converted {
    /// The spec's `debug` object.
    pub debug: Value,
    /// One sentence per kind of thing that was left out, with its count.
    pub notes: Vec<String>,
    /// The model sections the description replaces (the `.debug_*` ones), in index order.
    pub replaced: Vec<usize>,
}

/// Converts the DWARF in `object` (read back by `dump`) into a `debug` description; `None`
/// when the object has no `.debug_info`.
pub fn convert(object: &Object) -> Result<Option<Converted>> {
    let replaced: Vec<usize> = (0..object.sections.len())
        .filter(|&i| object.sections[i].name.starts_with(".debug_"))
        .collect();
    if !replaced
        .iter()
        .any(|&i| object.sections[i].name == ".debug_info")
    {
        return Ok(None);
    }
    if object.target.endianness == objforge::Endianness::Big {
        return Err(DumpError::new(format!(
            "--debug reads little-endian DWARF; the .debug_* sections of this big-endian {} object stay sections (dump without --debug)",
            object.target.arch
        )));
    }
    let mut relocated: HashMap<&str, Vec<u8>> = HashMap::new();
    for &i in &replaced {
        relocated.insert(object.sections[i].name.as_str(), relocate(object, i)?);
    }
    let dwarf = gimli::Dwarf::load(|id| -> std::result::Result<R<'_>, DumpError> {
        let bytes = relocated.get(id.name()).map_or(&[][..], Vec::as_slice);
        Ok(EndianSlice::new(bytes, LittleEndian))
    })?;
    let mut units = dwarf.units();
    let header = units
        .next()
        .map_err(|e| info_error(&e))?
        .ok_or_else(|| DumpError::section(".debug_info", "no compilation unit"))?;
    if units.next().map_err(|e| info_error(&e))?.is_some() {
        return Err(DumpError::section(
            ".debug_info",
            "more than one compilation unit: the `debug` description holds one",
        ));
    }
    let unit = dwarf.unit(header).map_err(|e| info_error(&e))?;
    let mut cx = Context::new(object, &replaced, &dwarf, &unit)?;
    let debug = cx.run()?;
    let notes = cx.notes();
    Ok(Some(Converted {
        debug,
        notes,
        replaced,
    }))
}

/// Section `index`'s bytes with its relocations applied: a debug section's symbol is at 0,
/// a loaded section's at its made-up base.
fn relocate(object: &Object, index: usize) -> Result<Vec<u8>> {
    let section = &object.sections[index];
    let mut bytes = match &section.data {
        SectionData::Bytes(b) => b.clone(),
        other => vec![0; usize::try_from(other.len()).unwrap_or(0)],
    };
    for r in object
        .relocations
        .iter()
        .filter(|r| r.section().index() == index)
    {
        let target = r
            .symbol()
            .and_then(|s| object.symbols.get(s.index()))
            .map(|s| s.definition);
        let Some(SymbolDefinition::Defined {
            section: at,
            offset,
        }) = target
        else {
            return Err(DumpError::at(
                &section.name,
                r.offset(),
                "a relocation against a symbol with no section: DWARF cannot be read from it",
            ));
        };
        let base = section_base(object, at.index());
        let value = base.wrapping_add(offset).wrapping_add(r.addend() as u64);
        let size = match r.kind() {
            RelocKind::Abs64 => 8,
            RelocKind::Abs32 | RelocKind::Abs32S | RelocKind::Secrel32 => 4,
            _ => {
                return Err(DumpError::at(
                    &section.name,
                    r.offset(),
                    format!("a {} relocation, which DWARF does not use", r.kind()),
                ))
            }
        };
        let field = usize::try_from(r.offset())
            .ok()
            .and_then(|start| bytes.get_mut(start..start.checked_add(size)?))
            .ok_or_else(|| DumpError::at(&section.name, r.offset(), "relocation past the end"))?;
        field.copy_from_slice(&value.to_le_bytes()[..size]);
    }
    Ok(bytes)
}

/// The made-up address of section `index`: 0 for a debug section (offsets into it are plain
/// offsets), else a base whose high bits name it.
fn section_base(object: &Object, index: usize) -> u64 {
    let debug = object
        .sections
        .get(index)
        .is_some_and(|s| s.name.starts_with(".debug_"));
    if debug {
        0
    } else {
        (index as u64 + 1) << ADDRESS_SHIFT
    }
}

/// The (section, offset) a relocated address stands for (see [`ADDRESS_SHIFT`]); `None`
/// for an address no relocation placed.
fn split_address(object: &Object, address: u64) -> Option<(usize, u64)> {
    let section = usize::try_from(address >> ADDRESS_SHIFT).ok()?;
    if section == 0 || section > object.sections.len() {
        return None;
    }
    Some((section - 1, address & ((1 << ADDRESS_SHIFT) - 1)))
}

/// A gimli error while reading `.debug_info`.
fn info_error(e: &gimli::Error) -> DumpError {
    DumpError::section(
        ".debug_info",
        format!("cannot read the DWARF: {}", one_line(e)),
    )
}

/// A message on one line: some of gimli's errors wrap theirs over two.
fn one_line(message: impl std::fmt::Display) -> String {
    message
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The state of one conversion: the object, the unit, and the description's tables so far.
struct Context<'a> {
    object: &'a Object,
    dwarf: &'a gimli::Dwarf<R<'a>>,
    unit: &'a gimli::Unit<R<'a>>,
    /// Per model section, what the spec calls it (its name, or its index once the replaced
    /// sections are gone when the name is not unique).
    section_refs: Vec<Value>,
    /// Per section, its defined symbols as (offset, symbol index), sorted.
    symbols_by_section: HashMap<usize, Vec<(u64, usize)>>,
    /// `files`, and the index of each path in it.
    files: Vec<String>,
    file_index: HashMap<String, usize>,
    /// Line-table file number to `files` index.
    line_files: HashMap<u64, usize>,
    /// `types`, and the index each type DIE has there.
    types: Vec<Value>,
    type_index: HashMap<UnitOffset, types::TypeRef>,
    /// `inline_functions`, and the index of each abstract DIE there.
    inline_functions: Vec<Value>,
    inline_index: HashMap<UnitOffset, usize>,
    /// Each lexical block of an abstract function: its number in the function's blocks in
    /// pre-order.
    abstract_blocks: HashMap<UnitOffset, usize>,
    /// The call sites of the function being converted, as they are found.
    call_sites: Vec<Value>,
    /// What was left out: a sentence's start (naming the kind) to its count.
    dropped: BTreeMap<&'static str, usize>,
    /// The unit's DIE tree: children of each DIE, by offset.
    children: HashMap<UnitOffset, Vec<UnitOffset>>,
    root: UnitOffset,
}

impl<'a> Context<'a> {
    fn new(
        object: &'a Object,
        replaced: &[usize],
        dwarf: &'a gimli::Dwarf<R<'a>>,
        unit: &'a gimli::Unit<R<'a>>,
    ) -> Result<Context<'a>> {
        let mut section_refs = Vec::new();
        let mut new_index = 0usize;
        for (i, s) in object.sections.iter().enumerate() {
            let unique = object.sections.iter().filter(|o| o.name == s.name).count() == 1;
            section_refs.push(if unique {
                Value::from(s.name.clone())
            } else {
                Value::from(new_index)
            });
            if !replaced.contains(&i) {
                new_index += 1;
            }
        }
        let mut symbols_by_section: HashMap<usize, Vec<(u64, usize)>> = HashMap::new();
        for (i, s) in object.symbols.iter().enumerate() {
            if let SymbolDefinition::Defined { section, offset } = s.definition {
                symbols_by_section
                    .entry(section.index())
                    .or_default()
                    .push((offset, i));
            }
        }
        for list in symbols_by_section.values_mut() {
            list.sort();
        }
        let (root, children) = tree(unit)?;
        Ok(Context {
            object,
            dwarf,
            unit,
            section_refs,
            symbols_by_section,
            files: Vec::new(),
            file_index: HashMap::new(),
            line_files: HashMap::new(),
            types: Vec::new(),
            type_index: HashMap::new(),
            inline_functions: Vec::new(),
            inline_index: HashMap::new(),
            abstract_blocks: HashMap::new(),
            call_sites: Vec::new(),
            dropped: BTreeMap::new(),
            children,
            root,
        })
    }

    /// The whole description.
    fn run(&mut self) -> Result<Value> {
        let root = self.entry(self.root)?;
        if root.tag() != gimli::DW_TAG_compile_unit {
            return Err(self.error(self.root, "the first unit is not a compilation unit"));
        }
        let mut debug = serde_json::Map::new();
        let version = self.unit.encoding().version;
        debug.insert("version".into(), Value::from(version.max(4)));
        if let Some(p) = self.string(&root, gimli::DW_AT_producer)? {
            debug.insert("producer".into(), Value::from(p));
        }
        if let Some(gimli::AttributeValue::Language(l)) =
            root.attr_value(gimli::DW_AT_language).ok().flatten()
        {
            debug.insert("language".into(), Value::from(l.0));
        }
        let name = self.string(&root, gimli::DW_AT_name)?.unwrap_or_default();
        let comp_dir = self
            .string(&root, gimli::DW_AT_comp_dir)?
            .unwrap_or_default();
        debug.insert("name".into(), Value::from(name));
        debug.insert("comp_dir".into(), Value::from(comp_dir));
        let lines = self.lines()?;
        self.collect_types()?;
        let (variables, functions) = self.scopes()?;
        debug.insert("files".into(), Value::from(self.files.clone()));
        debug.insert("lines".into(), Value::Array(lines));
        debug.insert(
            "types".into(),
            Value::Array(std::mem::take(&mut self.types)),
        );
        debug.insert("variables".into(), Value::Array(variables));
        debug.insert(
            "inline_functions".into(),
            Value::Array(std::mem::take(&mut self.inline_functions)),
        );
        debug.insert("functions".into(), Value::Array(functions));
        Ok(Value::Object(debug))
    }

    /// The DIE at `offset`.
    fn entry(&self, offset: UnitOffset) -> Result<gimli::DebuggingInformationEntry<'a, 'a, R<'a>>> {
        self.unit
            .entry(offset)
            .map_err(|e| self.error(offset, format!("cannot read the DIE: {e}")))
    }

    /// The children of the DIE at `offset`, in order.
    fn children_of(&self, offset: UnitOffset) -> Vec<UnitOffset> {
        self.children.get(&offset).cloned().unwrap_or_default()
    }

    /// An error about the DIE at `offset` of the unit.
    fn error(&self, offset: UnitOffset, message: impl std::fmt::Display) -> DumpError {
        let at = offset
            .to_debug_info_offset(&self.unit.header)
            .map_or(0, |o| o.0 as u64);
        DumpError::at(".debug_info", at, one_line(message))
    }

    /// The string value of attribute `at`, if the DIE has it.
    fn string(
        &self,
        entry: &gimli::DebuggingInformationEntry<'a, 'a, R<'a>>,
        at: gimli::DwAt,
    ) -> Result<Option<String>> {
        let Some(value) = entry.attr_value(at).map_err(|e| info_error(&e))? else {
            return Ok(None);
        };
        let s = self
            .dwarf
            .attr_string(self.unit, value)
            .map_err(|e| self.error(entry.offset(), format!("{at}: {e}")))?;
        Ok(Some(String::from_utf8_lossy(s.slice()).into_owned()))
    }

    /// Counts one thing of a kind that was left out.
    fn drop(&mut self, what: &'static str) {
        *self.dropped.entry(what).or_default() += 1;
    }

    /// The notes for what was left out, one per kind.
    fn notes(&self) -> Vec<String> {
        self.dropped
            .iter()
            .map(|(what, n)| format!("debug: left out {n} {what}"))
            .collect()
    }

    /// The (section, offset) of a relocated address.
    fn place(&self, address: u64, what: &UnitOffset) -> Result<(usize, u64)> {
        split_address(self.object, address).ok_or_else(|| {
            self.error(
                *what,
                format!("address {address:#x} is not relocated against a section"),
            )
        })
    }

    /// How the spec names model section `index`.
    fn section_ref(&self, index: usize) -> Value {
        self.section_refs[index].clone()
    }

    /// The symbol an address in a loaded section is best described by, and the addend from
    /// it: the nearest symbol at or before it (a named one before a nameless one).
    fn symbol_at(&self, section: usize, offset: u64) -> Option<(Value, i64)> {
        let list = self.symbols_by_section.get(&section)?;
        let (at, index) = list
            .iter()
            .filter(|(o, i)| *o <= offset && !self.object.symbols[*i].name.is_empty())
            .max_by_key(|(o, _)| *o)?;
        let name = &self.object.symbols[*index].name;
        let unique = self
            .object
            .symbols
            .iter()
            .filter(|s| &s.name == name)
            .count()
            == 1;
        let reference = if unique {
            Value::from(name.as_str())
        } else {
            Value::from(*index)
        };
        Some((reference, (offset - at) as i64))
    }

    /// The `files` index of a line-table file number (the numbering `DW_AT_decl_file` and
    /// `DW_AT_call_file` use too).
    fn file(&self, number: u64) -> Option<usize> {
        self.line_files.get(&number).copied()
    }

    /// Adds `path` to `files` once; its index.
    fn add_file(&mut self, path: String) -> usize {
        if let Some(&i) = self.file_index.get(&path) {
            return i;
        }
        self.files.push(path.clone());
        self.file_index.insert(path, self.files.len() - 1);
        self.files.len() - 1
    }
}

/// The unit's DIEs as a tree of offsets: the root's, and each DIE's children.
fn tree(unit: &gimli::Unit<R<'_>>) -> Result<(UnitOffset, HashMap<UnitOffset, Vec<UnitOffset>>)> {
    let mut children: HashMap<UnitOffset, Vec<UnitOffset>> = HashMap::new();
    let mut stack: Vec<UnitOffset> = Vec::new();
    let mut root = None;
    let mut depth: isize = 0;
    let mut cursor = unit.entries();
    while let Some((delta, entry)) = cursor.next_dfs().map_err(|e| info_error(&e))? {
        depth += delta;
        let Ok(level) = usize::try_from(depth) else {
            return Err(DumpError::section(".debug_info", "malformed DIE tree"));
        };
        stack.truncate(level);
        let offset = entry.offset();
        match stack.last() {
            Some(parent) => children.entry(*parent).or_default().push(offset),
            None if root.is_none() => root = Some(offset),
            None => break,
        }
        stack.push(offset);
    }
    let root = root.ok_or_else(|| DumpError::section(".debug_info", "an empty unit"))?;
    Ok((root, children))
}
