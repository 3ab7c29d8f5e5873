//! `.debug_info` and the sections it points into: `.debug_abbrev`, `.debug_str`, and for
//! DWARF 5 `.debug_str_offsets`, `.debug_addr` and `.debug_rnglists`, for DWARF 4
//! `.debug_ranges` and `.debug_aranges`.
//!
//! The unit: one `DW_TAG_compile_unit` whose children are the functions' `DW_TAG_subprogram`s,
//! each with its `DW_TAG_lexical_block`s.

use std::collections::HashMap;

use super::consts::*;
use super::data::{finish_loclists, Dies, Subprogram};
use super::encode::{write_die, Abbreviations, DebugSection, DieRef, Value, Writer};
use super::{
    CallSite, CallTarget, CodeRange, DebugInfo, DwarfVersion, Function, LexicalBlock, Type, Unit,
    Variable,
};
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
    address_size: u8,
    /// The range lists of functions and blocks (DWARF 5: after the unit's, which is written
    /// first when there are such lists), all reached by `DW_FORM_sec_offset`.
    range_lists: Writer,
    /// Where `range_lists` starts in `.debug_rnglists` / `.debug_ranges`.
    range_lists_at: u64,
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

    /// `DW_AT_ranges` for these ranges: a list appended to `range_lists`.
    pub(super) fn ranges(&mut self, ranges: &[CodeRange]) -> Value {
        let at = self.range_lists_at + self.range_lists.len();
        let address_size = self.address_size;
        let w = &mut self.range_lists;
        if self.v5 {
            // Addresses inline (relocated): binutils reads the unit's `DW_AT_ranges` before
            // its `DW_AT_addr_base`, so an index would not resolve.
            for r in ranges {
                w.u8(DW_RLE_START_LENGTH);
                w.address(address_size, r.section, r.offset);
                w.uleb(r.size);
            }
            w.u8(DW_RLE_END_OF_LIST);
            return Value::SecOffset(DebugSection::Rnglists, at);
        }
        // A base address selection entry for each range's section, then offsets from it.
        for r in ranges {
            w.uint(address_size, u64::MAX);
            w.address(address_size, r.section, 0);
            w.uint(address_size, r.offset);
            w.uint(address_size, r.offset.saturating_add(r.size));
        }
        w.uint(address_size, 0);
        w.uint(address_size, 0);
        Value::SecOffset(DebugSection::Ranges, at)
    }

    /// The attributes of code at `offset..offset + size` of `section` and in `pieces`.
    pub(super) fn code(
        &mut self,
        section: SectionId,
        offset: u64,
        size: u64,
        pieces: &[CodeRange],
    ) -> Vec<(u16, Value)> {
        if pieces.is_empty() {
            return vec![
                (DW_AT_LOW_PC, self.address(section, offset)),
                (DW_AT_HIGH_PC, Value::Constant(size)),
            ];
        }
        let mut all = vec![CodeRange {
            section,
            offset,
            size,
        }];
        all.extend_from_slice(pieces);
        vec![(DW_AT_RANGES, self.ranges(&all))]
    }

    /// An address attribute's value: an index into `.debug_addr` (DWARF 5) or the
    /// address itself.
    pub(super) fn address(&mut self, section: SectionId, offset: u64) -> Value {
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
    let externals = external_callees(debug);
    names.extend(externals.iter().copied());
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
    for f in &debug.inline_functions {
        names.push(&f.name);
        names.extend(f.linkage_name.as_deref());
        names.extend(f.parameters.iter().map(|v| v.name.as_str()));
        names.extend(f.variables.iter().map(|v| v.name.as_str()));
    }
    let strings = Strings::new(names.into_iter().filter(|s| !s.is_empty()));
    let strx_width = match strings.ids.len() {
        0..=0x100 => 1,
        0x101..=0x1_0000 => 2,
        0x1_0001..=0x100_0000 => 3,
        _ => 4,
    };
    let several_ranges = unit.ranges.len() > 1;
    // Whether any function, block or inlined call may have a range list of its own.
    let pieces = debug
        .functions
        .iter()
        .any(|f| !f.pieces.is_empty() || has_pieces(&f.blocks) || !f.inlined.is_empty());
    // DWARF 4: the functions' lists follow the unit's (its pairs and the end pair).
    // DWARF 5: they follow the header and the unit's list (written right away then), and
    // every list is reached by `DW_FORM_sec_offset`, as GCC writes them: binutils reads
    // `DW_FORM_rnglistx` only on the unit.
    let range_lists_at = match (v5, several_ranges) {
        (true, _) => RNGLISTS_HEADER,
        (false, true) => (unit.ranges.len() as u64 + 1) * 2 * u64::from(address_size),
        (false, false) => 0,
    };
    let mut forms = Forms {
        v5,
        strings,
        strx_width,
        addresses: Vec::new(),
        address_index: HashMap::new(),
        address_size,
        range_lists: Writer::new(big_endian),
        range_lists_at,
    };
    let unit_list = if v5 && pieces && several_ranges {
        let all: Vec<CodeRange> = unit
            .ranges
            .iter()
            .map(|&(section, start, end)| CodeRange {
                section,
                offset: start,
                size: end.saturating_sub(start),
            })
            .collect();
        Some(forms.ranges(&all))
    } else {
        None
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
                match unit_list.clone() {
                    Some(list) => list,
                    None if v5 => Value::Rnglistx(0),
                    None => Value::SecOffset(DebugSection::Ranges, 0),
                },
            ));
        }
    }
    if v5 {
        attributes.push((
            DW_AT_ADDR_BASE,
            Value::SecOffset(DebugSection::Addr, ADDR_HEADER),
        ));
        if several_ranges && !pieces {
            attributes.push((
                DW_AT_RNGLISTS_BASE,
                Value::SecOffset(DebugSection::Rnglists, RNGLISTS_HEADER),
            ));
        }
    }
    let has_children = !debug.functions.is_empty()
        || !debug.types.is_empty()
        || !debug.variables.is_empty()
        || !debug.inline_functions.is_empty();
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
        offsets: HashMap::new(),
    };
    dies.types(&debug.types);
    for v in &debug.variables {
        dies.variable(v, false);
    }
    dies.inline_functions(&debug.inline_functions);
    // Functions called by name: a declaration each, which call sites refer to.
    for (i, name) in externals.iter().enumerate() {
        dies.offsets.insert(DieRef::External(i), dies.w.len());
        let attributes = [
            (DW_AT_NAME, dies.forms.string(name)),
            (DW_AT_EXTERNAL, Value::FlagPresent),
            (DW_AT_DECLARATION, Value::FlagPresent),
        ];
        write_die(
            dies.w,
            dies.abbreviations,
            dies.address_size,
            DW_TAG_SUBPROGRAM,
            false,
            &attributes,
        );
    }
    for (i, f) in debug.functions.iter().enumerate() {
        dies.offsets.insert(DieRef::Function(i), dies.w.len());
        write_function(&mut dies, f, &externals, v5);
    }
    let offsets = std::mem::take(&mut dies.offsets);
    if has_children {
        w.u8(0);
    }
    w.end_length(unit_length);
    // References, now that every DIE has its offset (the unit starts at 0). Every one
    // refers to a DIE that was written (checked).
    for (at, die) in std::mem::take(&mut w.refs) {
        w.patch_u32(at, offsets.get(&die).copied().unwrap_or(0) as u32);
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
    let more_lists = !forms.range_lists.bytes.is_empty();
    if v5 {
        if several_ranges || more_lists {
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
        if several_ranges || more_lists {
            let mut w = Writer::new(big_endian);
            if several_ranges {
                w = ranges(big_endian, address_size, unit);
            }
            w.append(&forms.range_lists);
            out.push((DebugSection::Ranges, w));
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

fn write_function(dies: &mut Dies, f: &Function, externals: &[&str], v5: bool) {
    let mut attributes = dies.forms.code(f.section, f.offset, f.size, &f.pieces);
    dies.subprogram(
        &mut attributes,
        &Subprogram {
            name: &f.name,
            linkage_name: f.linkage_name.as_deref(),
            file: f.file,
            line: f.line,
            external: f.external,
            prototyped: f.prototyped,
            return_type: f.return_type,
        },
    );
    if let Some(ops) = &f.frame_base {
        attributes.push((DW_AT_FRAME_BASE, dies.exprloc(ops)));
    }
    if f.all_calls {
        let at = if v5 {
            DW_AT_CALL_ALL_CALLS
        } else {
            DW_AT_GNU_ALL_CALL_SITES
        };
        attributes.push((at, Value::FlagPresent));
    }
    if f.all_tail_calls {
        let at = if v5 {
            DW_AT_CALL_ALL_TAIL_CALLS
        } else {
            DW_AT_GNU_ALL_TAIL_CALL_SITES
        };
        attributes.push((at, Value::FlagPresent));
    }
    let has_children = !f.blocks.is_empty()
        || !f.parameters.is_empty()
        || !f.variables.is_empty()
        || !f.inlined.is_empty()
        || !f.call_sites.is_empty();
    write_die(
        dies.w,
        dies.abbreviations,
        dies.address_size,
        DW_TAG_SUBPROGRAM,
        has_children,
        &attributes,
    );
    for p in &f.parameters {
        dies.variable(p, true);
    }
    write_scope(dies, f.section, &f.variables, &f.blocks);
    for call in &f.inlined {
        dies.inlined(call);
    }
    for site in &f.call_sites {
        write_call_site(dies, f.section, site, externals, v5);
    }
    if has_children {
        dies.w.u8(0);
    }
}

/// A call site and its parameters: DWARF 5's tags and attributes, or for DWARF 4 the GNU
/// extensions GCC writes there (gdb and LLVM read both).
fn write_call_site(
    dies: &mut Dies,
    section: SectionId,
    site: &CallSite,
    externals: &[&str],
    v5: bool,
) {
    let (tag, return_pc, origin_at, parameter_tag, value_at) = if v5 {
        (
            DW_TAG_CALL_SITE,
            DW_AT_CALL_RETURN_PC,
            DW_AT_CALL_ORIGIN,
            DW_TAG_CALL_SITE_PARAMETER,
            DW_AT_CALL_VALUE,
        )
    } else {
        (
            DW_TAG_GNU_CALL_SITE,
            DW_AT_LOW_PC,
            DW_AT_ABSTRACT_ORIGIN,
            DW_TAG_GNU_CALL_SITE_PARAMETER,
            DW_AT_GNU_CALL_SITE_VALUE,
        )
    };
    let mut attributes = vec![(return_pc, dies.forms.address(section, site.return_offset))];
    let origin = match &site.origin {
        Some(CallTarget::Function(i)) => Some(DieRef::Function(*i)),
        Some(CallTarget::Inline(i)) => Some(DieRef::Inline(*i)),
        Some(CallTarget::External(name)) => externals
            .binary_search(&name.as_str())
            .ok()
            .map(DieRef::External),
        None => None,
    };
    if let Some(origin) = origin {
        attributes.push((origin_at, Value::Ref(origin)));
    }
    let children = !site.parameters.is_empty();
    write_die(
        dies.w,
        dies.abbreviations,
        dies.address_size,
        tag,
        children,
        &attributes,
    );
    for p in &site.parameters {
        let attributes = [
            (DW_AT_LOCATION, dies.exprloc(&p.location)),
            (value_at, dies.exprloc(&p.value)),
        ];
        write_die(
            dies.w,
            dies.abbreviations,
            dies.address_size,
            parameter_tag,
            false,
            &attributes,
        );
    }
    if children {
        dies.w.u8(0);
    }
}

/// The names of the functions defined elsewhere that call sites name, sorted, each once.
fn external_callees(debug: &DebugInfo) -> Vec<&str> {
    let mut names: Vec<&str> = debug
        .functions
        .iter()
        .flat_map(|f| &f.call_sites)
        .filter_map(|s| match &s.origin {
            Some(CallTarget::External(name)) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A scope's variables, then its blocks.
fn write_scope(
    dies: &mut Dies,
    section: SectionId,
    variables: &[Variable],
    blocks: &[LexicalBlock],
) {
    for v in variables {
        dies.variable(v, false);
    }
    for block in blocks {
        write_block(dies, section, block);
    }
}

fn write_block(dies: &mut Dies, section: SectionId, block: &LexicalBlock) {
    let attributes = dies
        .forms
        .code(section, block.offset, block.size, &block.pieces);
    let has_children =
        !block.blocks.is_empty() || !block.variables.is_empty() || !block.inlined.is_empty();
    write_die(
        dies.w,
        dies.abbreviations,
        dies.address_size,
        DW_TAG_LEXICAL_BLOCK,
        has_children,
        &attributes,
    );
    write_scope(dies, section, &block.variables, &block.blocks);
    for call in &block.inlined {
        dies.inlined(call);
    }
    if has_children {
        dies.w.u8(0);
    }
}

/// Whether any of `blocks` (or the blocks in them) has pieces or inlined code.
fn has_pieces(blocks: &[LexicalBlock]) -> bool {
    blocks
        .iter()
        .any(|b| !b.pieces.is_empty() || !b.inlined.is_empty() || has_pieces(&b.blocks))
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

/// `.debug_rnglists` (DWARF 5): the unit's list, reached through the offsets array; or, when
/// functions or blocks have lists, every list written as the unit went (the unit's first),
/// reached by `DW_FORM_sec_offset`.
fn rnglists(big_endian: bool, address_size: u8, forms: &mut Forms, unit: &Unit) -> Writer {
    let mut w = Writer::new(big_endian);
    let length = w.begin_length();
    w.u16(5);
    w.u8(address_size);
    w.u8(0); // segment_selector_size
    if !forms.range_lists.bytes.is_empty() {
        // Every list (the unit's first) is reached by DW_FORM_sec_offset.
        w.u32(0); // offset_entry_count
        let lists = std::mem::replace(&mut forms.range_lists, Writer::new(big_endian));
        w.append(&lists);
        w.end_length(length);
        return w;
    }
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
