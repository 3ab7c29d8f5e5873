//! `.debug_info` and the sections it points into: `.debug_abbrev`, `.debug_str`, and for
//! DWARF 5 `.debug_str_offsets`, `.debug_addr` and `.debug_rnglists`, for DWARF 4
//! `.debug_ranges` and `.debug_aranges`.
//!
//! The unit: one `DW_TAG_compile_unit` whose children are the functions' `DW_TAG_subprogram`s,
//! each with its `DW_TAG_lexical_block`s.

use std::collections::HashMap;

use super::consts::*;
use super::data::{finish_loclists, Dies};
use super::encode::{write_die, Abbreviations, DebugSection, DieRef, Value, Writer};
use super::{DebugInfo, DwarfVersion, Function, LexicalBlock, Type, Unit, Variable};
use crate::model::{Object, SectionId};
use crate::strtab::{StringId, StringTable};
use crate::target::Endianness;

/// Size of the `.debug_str_offsets` header (DWARF 5, 32-bit): where `DW_AT_str_offsets_base`
/// points.
const STR_OFFSETS_HEADER: u64 = 8;
/// Size of the `.debug_addr` header: where `DW_AT_addr_base` points.
const ADDR_HEADER: u64 = 8;
/// Size of the `.debug_rnglists` header: where `DW_AT_rnglists_base` points (at the offsets).
const RNGLISTS_HEADER: u64 = 12;

/// The unit's strings, each stored once in `.debug_str`.
struct Strings<'a> {
    table: StringTable<'a>,
    /// Index (DWARF 5 `strx`) and table id of each distinct string, by first use.
    index: HashMap<&'a str, (u64, StringId)>,
    ids: Vec<StringId>,
}

impl<'a> Strings<'a> {
    fn new(all: impl Iterator<Item = &'a str>) -> Strings<'a> {
        let mut table = StringTable::new();
        let mut index = HashMap::new();
        let mut ids = Vec::new();
        for s in all {
            index.entry(s).or_insert_with(|| {
                let id = table.add(s.as_bytes());
                ids.push(id);
                (ids.len() as u64 - 1, id)
            });
        }
        table.finish();
        Strings { table, index, ids }
    }
}

/// The attribute values the unit writes, in its version's forms.
pub(super) struct Forms<'a> {
    pub(super) v5: bool,
    strings: Strings<'a>,
    /// Bytes per `strx` index.
    strx_width: u8,
    /// DWARF 5: the `.debug_addr` entries, and the index of each.
    addresses: Vec<(SectionId, u64)>,
    address_index: HashMap<(SectionId, u64), u64>,
}

impl Forms<'_> {
    /// A string of the unit (every string written was collected by [`Strings::new`]).
    pub(super) fn string(&self, s: &str) -> Value {
        let found = self.strings.index.get(s).copied();
        match (self.v5, found) {
            (true, found) => Value::Strx {
                index: found.map_or(0, |(index, _)| index),
                width: self.strx_width,
            },
            (false, Some((_, id))) => Value::Strp(u64::from(self.strings.table.offset(id))),
            (false, None) => Value::Strp(0),
        }
    }

    /// The index of an address in `.debug_addr`, adding it if new.
    pub(super) fn address_index(&mut self, section: SectionId, offset: u64) -> u64 {
        let next = self.addresses.len() as u64;
        let index = *self.address_index.entry((section, offset)).or_insert(next);
        if index == next {
            self.addresses.push((section, offset));
        }
        index
    }

    fn address(&mut self, section: SectionId, offset: u64) -> Value {
        if self.v5 {
            Value::Addrx(self.address_index(section, offset))
        } else {
            Value::Addr(section, offset)
        }
    }
}

/// Builds `.debug_abbrev`, `.debug_info` and the sections they refer to (not `.debug_line`).
pub(super) fn build(obj: &Object, debug: &DebugInfo, unit: &Unit) -> Vec<(DebugSection, Writer)> {
    let big_endian = obj.target.endianness == Endianness::Big;
    let address_size = obj.target.arch.pointer_width();
    let v5 = debug.version == DwarfVersion::V5;

    let mut names = vec![debug.producer.as_str(), &debug.name, &debug.comp_dir];
    for f in &debug.functions {
        names.push(&f.name);
        names.extend(f.linkage_name.as_deref());
        names.extend(f.parameters.iter().map(|v| v.name.as_str()));
        names.extend(f.variables.iter().map(|v| v.name.as_str()));
        block_names(&f.blocks, &mut names);
    }
    for ty in &debug.types {
        names.extend(ty.name());
        match ty {
            Type::Struct { members, .. } => names.extend(members.iter().map(|m| m.name.as_str())),
            Type::Enum { enumerators, .. } => {
                names.extend(enumerators.iter().map(|e| e.name.as_str()))
            }
            _ => {}
        }
    }
    names.extend(debug.variables.iter().map(|v| v.name.as_str()));
    let strings = Strings::new(names.into_iter().filter(|s| !s.is_empty()));
    let strx_width = match strings.ids.len() {
        0..=0x100 => 1,
        0x101..=0x1_0000 => 2,
        0x1_0001..=0x100_0000 => 3,
        _ => 4,
    };
    let mut forms = Forms {
        v5,
        strings,
        strx_width,
        addresses: Vec::new(),
        address_index: HashMap::new(),
    };

    let mut abbreviations = Abbreviations::default();
    let mut w = Writer::new(big_endian);
    let unit_length = w.begin_length();
    w.u16(debug.version.number());
    if v5 {
        w.u8(DW_UT_COMPILE);
        w.u8(address_size);
        w.offset(DebugSection::Abbrev, 0);
    } else {
        w.offset(DebugSection::Abbrev, 0);
        w.u8(address_size);
    }

    // The compile unit.
    let mut attributes = Vec::new();
    if !debug.producer.is_empty() {
        attributes.push((DW_AT_PRODUCER, forms.string(&debug.producer)));
    }
    if let Some(language) = debug.language {
        attributes.push((DW_AT_LANGUAGE, Value::Data2(language)));
    }
    attributes.push((DW_AT_NAME, forms.string(&debug.name)));
    if v5 {
        attributes.push((
            DW_AT_STR_OFFSETS_BASE,
            Value::SecOffset(DebugSection::StrOffsets, STR_OFFSETS_HEADER),
        ));
    }
    attributes.push((DW_AT_STMT_LIST, Value::SecOffset(DebugSection::Line, 0)));
    attributes.push((DW_AT_COMP_DIR, forms.string(&debug.comp_dir)));
    let several_ranges = unit.ranges.len() > 1;
    match unit.ranges.as_slice() {
        [] => {}
        &[(section, start, end)] => {
            attributes.push((DW_AT_LOW_PC, forms.address(section, start)));
            attributes.push((DW_AT_HIGH_PC, Value::Constant(end.saturating_sub(start))));
        }
        _ => {
            // Ranges in several sections: base address 0, each range absolute.
            attributes.push((DW_AT_LOW_PC, Value::ZeroAddr));
            attributes.push((
                DW_AT_RANGES,
                if v5 {
                    Value::Rnglistx(0)
                } else {
                    Value::SecOffset(DebugSection::Ranges, 0)
                },
            ));
        }
    }
    if v5 {
        attributes.push((
            DW_AT_ADDR_BASE,
            Value::SecOffset(DebugSection::Addr, ADDR_HEADER),
        ));
        if several_ranges {
            attributes.push((
                DW_AT_RNGLISTS_BASE,
                Value::SecOffset(DebugSection::Rnglists, RNGLISTS_HEADER),
            ));
        }
    }
    let has_children =
        !debug.functions.is_empty() || !debug.types.is_empty() || !debug.variables.is_empty();
    write_die(
        &mut w,
        &mut abbreviations,
        address_size,
        DW_TAG_COMPILE_UNIT,
        has_children,
        &attributes,
    );
    let mut loclists = None;
    let mut dies = Dies {
        w: &mut w,
        abbreviations: &mut abbreviations,
        forms: &mut forms,
        unit,
        address_size,
        loclists: &mut loclists,
    };
    let type_offsets = dies.types(&debug.types);
    for v in &debug.variables {
        dies.variable(v, false, None);
    }
    for f in &debug.functions {
        write_function(&mut dies, f);
    }
    if has_children {
        w.u8(0);
    }
    w.end_length(unit_length);
    // Type references, now that every type's DIE has its offset (the unit starts at 0).
    for (at, die) in std::mem::take(&mut w.refs) {
        let DieRef::Type(i) = die;
        w.patch_u32(at, type_offsets.get(i).copied().unwrap_or(0) as u32);
    }

    let mut out = vec![
        (DebugSection::Abbrev, {
            let mut a = Writer::new(big_endian);
            a.bytes = abbreviations.finish();
            a
        }),
        (DebugSection::Info, w),
    ];
    if let Some(mut lists) = loclists {
        finish_loclists(&mut lists, v5);
        out.push((
            if v5 {
                DebugSection::Loclists
            } else {
                DebugSection::Loc
            },
            lists,
        ));
    }
    if v5 {
        if several_ranges {
            out.push((
                DebugSection::Rnglists,
                rnglists(big_endian, address_size, &mut forms, unit),
            ));
        }
        out.push((
            DebugSection::StrOffsets,
            str_offsets(big_endian, &forms.strings),
        ));
    } else {
        if several_ranges {
            out.push((DebugSection::Ranges, ranges(big_endian, address_size, unit)));
        }
        out.push((
            DebugSection::Aranges,
            aranges(big_endian, address_size, unit),
        ));
    }
    let mut strings = Writer::new(big_endian);
    forms.strings.table.write(&mut strings.bytes);
    out.push((DebugSection::Str, strings));
    if v5 {
        out.push((DebugSection::Addr, addr(big_endian, address_size, &forms)));
    }
    out
}

fn write_function(dies: &mut Dies, f: &Function) {
    let mut attributes = vec![
        (DW_AT_LOW_PC, dies.forms.address(f.section, f.offset)),
        (DW_AT_HIGH_PC, Value::Constant(f.size)),
        (DW_AT_NAME, dies.forms.string(&f.name)),
    ];
    if let Some(linkage_name) = &f.linkage_name {
        attributes.push((DW_AT_LINKAGE_NAME, dies.forms.string(linkage_name)));
    }
    attributes.push((DW_AT_DECL_FILE, Value::Udata(dies.unit.file_number(f.file))));
    if f.line != 0 {
        attributes.push((DW_AT_DECL_LINE, Value::Udata(u64::from(f.line))));
    }
    if f.external {
        attributes.push((DW_AT_EXTERNAL, Value::FlagPresent));
    }
    if f.prototyped {
        attributes.push((DW_AT_PROTOTYPED, Value::FlagPresent));
    }
    if let Some(ty) = f.return_type {
        attributes.push((DW_AT_TYPE, Value::Ref(DieRef::Type(ty.0))));
    }
    if let Some(ops) = &f.frame_base {
        attributes.push((DW_AT_FRAME_BASE, dies.exprloc(ops)));
    }
    let has_children = !f.blocks.is_empty() || !f.parameters.is_empty() || !f.variables.is_empty();
    write_die(
        dies.w,
        dies.abbreviations,
        dies.address_size,
        DW_TAG_SUBPROGRAM,
        has_children,
        &attributes,
    );
    for p in &f.parameters {
        dies.variable(p, true, Some(f.section));
    }
    write_scope(dies, f.section, &f.variables, &f.blocks);
    if has_children {
        dies.w.u8(0);
    }
}

/// A scope's variables, then its blocks.
fn write_scope(
    dies: &mut Dies,
    section: SectionId,
    variables: &[Variable],
    blocks: &[LexicalBlock],
) {
    for v in variables {
        dies.variable(v, false, Some(section));
    }
    for block in blocks {
        write_block(dies, section, block);
    }
}

fn write_block(dies: &mut Dies, section: SectionId, block: &LexicalBlock) {
    let attributes = [
        (DW_AT_LOW_PC, dies.forms.address(section, block.offset)),
        (DW_AT_HIGH_PC, Value::Constant(block.size)),
    ];
    let has_children = !block.blocks.is_empty() || !block.variables.is_empty();
    write_die(
        dies.w,
        dies.abbreviations,
        dies.address_size,
        DW_TAG_LEXICAL_BLOCK,
        has_children,
        &attributes,
    );
    write_scope(dies, section, &block.variables, &block.blocks);
    if has_children {
        dies.w.u8(0);
    }
}

/// The names of the variables of `blocks` and the blocks in them.
fn block_names<'a>(blocks: &'a [LexicalBlock], names: &mut Vec<&'a str>) {
    for b in blocks {
        names.extend(b.variables.iter().map(|v| v.name.as_str()));
        block_names(&b.blocks, names);
    }
}

/// `.debug_str_offsets` (DWARF 5): header, then the offset of each string by index.
fn str_offsets(big_endian: bool, strings: &Strings) -> Writer {
    let mut w = Writer::new(big_endian);
    let length = w.begin_length();
    w.u16(5);
    w.u16(0); // padding
    for &id in &strings.ids {
        w.offset(DebugSection::Str, u64::from(strings.table.offset(id)));
    }
    w.end_length(length);
    w
}

/// `.debug_addr` (DWARF 5): header, then every address by index.
fn addr(big_endian: bool, address_size: u8, forms: &Forms) -> Writer {
    let mut w = Writer::new(big_endian);
    let length = w.begin_length();
    w.u16(5);
    w.u8(address_size);
    w.u8(0); // segment_selector_size
    for &(section, offset) in &forms.addresses {
        w.address(address_size, section, offset);
    }
    w.end_length(length);
    w
}

/// `.debug_rnglists` (DWARF 5): one list, the unit's, reached through the offsets array.
fn rnglists(big_endian: bool, address_size: u8, forms: &mut Forms, unit: &Unit) -> Writer {
    let mut w = Writer::new(big_endian);
    let length = w.begin_length();
    w.u16(5);
    w.u8(address_size);
    w.u8(0); // segment_selector_size
    w.u32(1); // offset_entry_count
    w.u32(4); // the list starts right after the one offset, relative to the base
    for &(section, start, end) in &unit.ranges {
        w.u8(DW_RLE_STARTX_LENGTH);
        w.uleb(forms.address_index(section, start));
        w.uleb(end.saturating_sub(start));
    }
    w.u8(DW_RLE_END_OF_LIST);
    w.end_length(length);
    w
}

/// `.debug_ranges` (DWARF 4): the unit's ranges as absolute (begin, end) pairs, then (0, 0).
fn ranges(big_endian: bool, address_size: u8, unit: &Unit) -> Writer {
    let mut w = Writer::new(big_endian);
    for &(section, start, end) in &unit.ranges {
        w.address(address_size, section, start);
        w.address(address_size, section, end);
    }
    w.uint(address_size, 0);
    w.uint(address_size, 0);
    w
}

/// `.debug_aranges` (DWARF 4): the unit's (address, length) pairs, for readers that look up
/// the unit of an address.
fn aranges(big_endian: bool, address_size: u8, unit: &Unit) -> Writer {
    let mut w = Writer::new(big_endian);
    let length = w.begin_length();
    w.u16(2);
    w.offset(DebugSection::Info, 0);
    w.u8(address_size);
    w.u8(0); // segment_selector_size
             // The pairs are aligned to their size from the start of the set.
    w.align(2 * usize::from(address_size));
    for &(section, start, end) in &unit.ranges {
        w.address(address_size, section, start);
        w.uint(address_size, end.saturating_sub(start));
    }
    w.uint(address_size, 0);
    w.uint(address_size, 0);
    w.end_length(length);
    w
}
