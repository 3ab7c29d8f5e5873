//! The one DWARF encoder: LEB128 numbers, fixed-size integers in the target's byte order,
//! attribute values in their forms, and the abbreviation table. Every byte of every debug
//! section objforge writes goes through [`Writer`].
//!
//! A field that holds an address or an offset into another debug section is written as zero
//! and recorded as a [`Fixup`]; the lowering step turns each fixup into a relocation, or, on
//! Mach-O, writes the offset in place.

use std::collections::HashMap;

use super::consts::*;
use crate::leb128::{sleb128, uleb128};
use crate::model::SectionId;

/// The debug sections objforge writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum DebugSection {
    Abbrev,
    Info,
    Str,
    StrOffsets,
    Addr,
    Rnglists,
    Line,
    LineStr,
    Ranges,
    Aranges,
    Loclists,
    Loc,
}

impl DebugSection {
    /// The ELF and COFF name.
    pub(super) fn name(self) -> &'static str {
        match self {
            DebugSection::Abbrev => ".debug_abbrev",
            DebugSection::Info => ".debug_info",
            DebugSection::Str => ".debug_str",
            DebugSection::StrOffsets => ".debug_str_offsets",
            DebugSection::Addr => ".debug_addr",
            DebugSection::Rnglists => ".debug_rnglists",
            DebugSection::Line => ".debug_line",
            DebugSection::LineStr => ".debug_line_str",
            DebugSection::Ranges => ".debug_ranges",
            DebugSection::Aranges => ".debug_aranges",
            DebugSection::Loclists => ".debug_loclists",
            DebugSection::Loc => ".debug_loc",
        }
    }

    /// The Mach-O name: segment `__DWARF`, section names cut to 16 bytes as Apple's tools do.
    pub(super) fn macho_name(self) -> &'static str {
        match self {
            DebugSection::Abbrev => "__DWARF,__debug_abbrev",
            DebugSection::Info => "__DWARF,__debug_info",
            DebugSection::Str => "__DWARF,__debug_str",
            DebugSection::StrOffsets => "__DWARF,__debug_str_offs",
            DebugSection::Addr => "__DWARF,__debug_addr",
            DebugSection::Rnglists => "__DWARF,__debug_rnglists",
            DebugSection::Line => "__DWARF,__debug_line",
            DebugSection::LineStr => "__DWARF,__debug_line_str",
            DebugSection::Ranges => "__DWARF,__debug_ranges",
            DebugSection::Aranges => "__DWARF,__debug_aranges",
            DebugSection::Loclists => "__DWARF,__debug_loclists",
            DebugSection::Loc => "__DWARF,__debug_loc",
        }
    }

    /// Whether the section holds NUL-terminated strings a linker may merge.
    pub(super) fn is_strings(self) -> bool {
        matches!(self, DebugSection::Str | DebugSection::LineStr)
    }
}

/// What a fixed-up field refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FixupTarget {
    /// The address of a symbol plus an addend.
    Symbol {
        /// The symbol.
        symbol: crate::model::SymbolId,
        /// Added to its address.
        addend: i64,
    },
    /// The address of `offset` in a code (or data) section.
    Address {
        /// The section.
        section: SectionId,
        /// Byte offset in it.
        offset: u64,
    },
    /// The offset of `offset` in a debug section, from the start of that section as linked.
    DebugOffset {
        /// The debug section.
        section: DebugSection,
        /// Byte offset in this object's part of it.
        offset: u64,
    },
}

/// A field written as zero that the linker (or the lowering) fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Fixup {
    /// Offset of the field in its section.
    pub(super) at: u64,
    /// Bytes in the field: the address size for addresses, 4 for offsets (32-bit DWARF).
    pub(super) size: u8,
    /// What goes there.
    pub(super) target: FixupTarget,
}

/// A DIE of the unit another DIE refers to (`DW_FORM_ref4`), by what it describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum DieRef {
    /// The DIE of `DebugInfo::types[i]`.
    Type(usize),
    /// The abstract DIE of `DebugInfo::inline_functions[i]`.
    Inline(usize),
    /// Parameter `j` of `inline_functions[i]`.
    InlineParameter(usize, usize),
    /// Local `j` of `inline_functions[i]`.
    InlineVariable(usize, usize),
    /// Block `k` (in pre-order) of `inline_functions[i]`.
    InlineBlock(usize, usize),
    /// The DIE of `DebugInfo::functions[i]`.
    Function(usize),
    /// The declaration of the `i`th function called by name (sorted, each name once).
    External(usize),
}

/// The bytes of one debug section being written, and its fixups.
pub(super) struct Writer {
    pub(super) bytes: Vec<u8>,
    pub(super) fixups: Vec<Fixup>,
    /// 4-byte fields (at their offsets) that get the unit offset of a DIE, once known.
    pub(super) refs: Vec<(u64, DieRef)>,
    big_endian: bool,
}

impl Writer {
    pub(super) fn new(big_endian: bool) -> Writer {
        Writer {
            bytes: Vec::new(),
            fixups: Vec::new(),
            refs: Vec::new(),
            big_endian,
        }
    }

    /// Whether multi-byte fields are big-endian.
    pub(super) fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// Appends `other` (written with the same byte order), moving its fixups along.
    pub(super) fn append(&mut self, other: &Writer) {
        let base = self.len();
        self.fixups.extend(other.fixups.iter().map(|f| Fixup {
            at: f.at + base,
            ..*f
        }));
        self.refs
            .extend(other.refs.iter().map(|&(at, die)| (at + base, die)));
        self.bytes.extend_from_slice(&other.bytes);
    }

    /// The address of a symbol plus an addend, `size` bytes wide.
    pub(super) fn symbol_address(&mut self, size: u8, symbol: crate::model::SymbolId, addend: i64) {
        self.fixup(size, FixupTarget::Symbol { symbol, addend });
    }

    /// Overwrites the 4 bytes at `at` with `value`.
    pub(super) fn patch_u32(&mut self, at: u64, value: u32) {
        let mut field = Writer::new(self.big_endian);
        field.u32(value);
        let at = at as usize;
        if let Some(slot) = self.bytes.get_mut(at..at + 4) {
            slot.copy_from_slice(&field.bytes);
        }
    }

    /// Current offset.
    pub(super) fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub(super) fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    pub(super) fn put(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    pub(super) fn u16(&mut self, v: u16) {
        self.uint(2, u64::from(v));
    }

    pub(super) fn u32(&mut self, v: u32) {
        self.uint(4, u64::from(v));
    }

    /// The low `size` bytes of `v` (1 to 8), in the target's byte order.
    pub(super) fn uint(&mut self, size: u8, v: u64) {
        let size = usize::from(size.min(8));
        let le = v.to_le_bytes();
        let field = le.get(..size).unwrap_or(&le);
        if self.big_endian {
            self.bytes.extend(field.iter().rev());
        } else {
            self.bytes.extend_from_slice(field);
        }
    }

    pub(super) fn uleb(&mut self, v: u64) {
        uleb128(&mut self.bytes, v);
    }

    pub(super) fn sleb(&mut self, v: i64) {
        sleb128(&mut self.bytes, v);
    }

    /// A NUL-terminated string (the caller has checked it holds no NUL).
    pub(super) fn cstr(&mut self, s: &str) {
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
    }

    /// The address of `offset` in `section`, `size` bytes wide.
    pub(super) fn address(&mut self, size: u8, section: SectionId, offset: u64) {
        self.fixup(size, FixupTarget::Address { section, offset });
    }

    /// A 32-bit offset into a debug section (`DW_FORM_sec_offset`, `DW_FORM_strp`, ...).
    pub(super) fn offset(&mut self, section: DebugSection, offset: u64) {
        self.fixup(4, FixupTarget::DebugOffset { section, offset });
    }

    fn fixup(&mut self, size: u8, target: FixupTarget) {
        self.fixups.push(Fixup {
            at: self.len(),
            size,
            target,
        });
        self.uint(size, 0);
    }

    /// Writes a placeholder for a 32-bit length and returns where it is, for
    /// [`Writer::end_length`].
    pub(super) fn begin_length(&mut self) -> usize {
        let at = self.bytes.len();
        self.u32(0);
        at
    }

    /// Fills in the length at `at`: the bytes written after the length field. The caller
    /// checks the section stays below 4 GiB (32-bit DWARF), so the value is truncated
    /// only where a later check refuses the section anyway.
    pub(super) fn end_length(&mut self, at: usize) {
        let length = self.bytes.len().saturating_sub(at + 4) as u64;
        let mut field = Writer::new(self.big_endian);
        field.u32(length as u32);
        if let Some(slot) = self.bytes.get_mut(at..at + 4) {
            slot.copy_from_slice(&field.bytes);
        }
    }

    /// Pads with zeros to a multiple of `align` (a power of two).
    pub(super) fn align(&mut self, align: usize) {
        let len = self.bytes.len().next_multiple_of(align.max(1));
        self.bytes.resize(len, 0);
    }
}

/// An attribute's value, which decides its form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    /// A 1-byte constant.
    Data1(u8),
    /// A signed LEB128 constant.
    Sdata(i64),
    /// A reference to another DIE of the unit (`DW_FORM_ref4`).
    Ref(DieRef),
    /// A DWARF expression (`DW_FORM_exprloc`): its bytes and the fixups in them.
    Exprloc(Vec<u8>, Vec<Fixup>),
    /// DWARF 5: index into `.debug_str_offsets`, in `DW_FORM_strx1`..`strx4` by `width`.
    Strx {
        /// The index.
        index: u64,
        /// Bytes per index for the whole unit (1 to 4).
        width: u8,
    },
    /// DWARF 4: offset into `.debug_str`.
    Strp(u64),
    /// DWARF 5: index into `.debug_addr`.
    Addrx(u64),
    /// An address written in the unit (DWARF 4).
    Addr(SectionId, u64),
    /// The address 0, not relocated: the base of a unit whose ranges are absolute.
    ZeroAddr,
    /// A 2-byte constant.
    Data2(u16),
    /// A length or other constant: `DW_FORM_data4`, or `data8` when it needs more bits.
    Constant(u64),
    /// An unsigned LEB128 constant.
    Udata(u64),
    /// An offset into a debug section.
    SecOffset(DebugSection, u64),
    /// DWARF 5: index into the unit's range list offsets.
    Rnglistx(u64),
    /// A flag that is true by being there.
    FlagPresent,
}

impl Value {
    /// The form the value is written in.
    pub(super) fn form(&self) -> u16 {
        match *self {
            Value::Data1(_) => DW_FORM_DATA1,
            Value::Sdata(_) => DW_FORM_SDATA,
            Value::Ref(_) => DW_FORM_REF4,
            Value::Exprloc(..) => DW_FORM_EXPRLOC,
            Value::Strx { width, .. } => match width {
                1 => DW_FORM_STRX1,
                2 => DW_FORM_STRX2,
                3 => DW_FORM_STRX3,
                _ => DW_FORM_STRX4,
            },
            Value::Strp(_) => DW_FORM_STRP,
            Value::Addrx(_) => DW_FORM_ADDRX,
            Value::Addr(..) | Value::ZeroAddr => DW_FORM_ADDR,
            Value::Data2(_) => DW_FORM_DATA2,
            Value::Constant(v) if v > u64::from(u32::MAX) => DW_FORM_DATA8,
            Value::Constant(_) => DW_FORM_DATA4,
            Value::Udata(_) => DW_FORM_UDATA,
            Value::SecOffset(..) => DW_FORM_SEC_OFFSET,
            Value::Rnglistx(_) => DW_FORM_RNGLISTX,
            Value::FlagPresent => DW_FORM_FLAG_PRESENT,
        }
    }

    /// Appends the value in its form.
    pub(super) fn write(&self, w: &mut Writer, address_size: u8) {
        match *self {
            Value::Data1(v) => w.u8(v),
            Value::Sdata(v) => w.sleb(v),
            Value::Ref(die) => {
                w.refs.push((w.len(), die));
                w.u32(0);
            }
            Value::Exprloc(ref bytes, ref fixups) => {
                w.uleb(bytes.len() as u64);
                let base = w.len();
                w.fixups.extend(fixups.iter().map(|f| Fixup {
                    at: f.at + base,
                    ..*f
                }));
                w.put(bytes);
            }
            Value::Strx { index, width } => w.uint(width.clamp(1, 4), index),
            Value::Strp(offset) => w.offset(DebugSection::Str, offset),
            Value::Addrx(index) | Value::Udata(index) | Value::Rnglistx(index) => w.uleb(index),
            Value::Addr(section, offset) => w.address(address_size, section, offset),
            Value::ZeroAddr => w.uint(address_size, 0),
            Value::Data2(v) => w.u16(v),
            Value::Constant(v) => w.uint(if self.form() == DW_FORM_DATA8 { 8 } else { 4 }, v),
            Value::SecOffset(section, offset) => w.offset(section, offset),
            Value::FlagPresent => {}
        }
    }
}

/// `.debug_abbrev` being built: one abbreviation per distinct (tag, children, attributes and
/// forms), numbered from 1 in order of first use.
#[derive(Default)]
pub(super) struct Abbreviations {
    codes: HashMap<Vec<u8>, u64>,
    bytes: Vec<u8>,
}

impl Abbreviations {
    /// The code of the abbreviation for a DIE with `tag`, whether it has children, and these
    /// (attribute, form) pairs in order; adds it if new.
    pub(super) fn code(&mut self, tag: u16, children: bool, attributes: &[(u16, u16)]) -> u64 {
        let mut declaration = Vec::with_capacity(4 + 4 * attributes.len());
        uleb128(&mut declaration, u64::from(tag));
        declaration.push(u8::from(children));
        for &(name, form) in attributes {
            uleb128(&mut declaration, u64::from(name));
            uleb128(&mut declaration, u64::from(form));
        }
        declaration.extend_from_slice(&[0, 0]);
        let next = self.codes.len() as u64 + 1;
        let bytes = &mut self.bytes;
        *self
            .codes
            .entry(declaration)
            .or_insert_with_key(|declaration| {
                uleb128(bytes, next);
                bytes.extend_from_slice(declaration);
                next
            })
    }

    /// The section's bytes: every abbreviation, then the terminating 0.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.bytes.push(0);
        self.bytes
    }
}

/// Appends one DIE's abbreviation code and attribute values.
pub(super) fn write_die(
    w: &mut Writer,
    abbreviations: &mut Abbreviations,
    address_size: u8,
    tag: u16,
    children: bool,
    attributes: &[(u16, Value)],
) {
    let forms: Vec<(u16, u16)> = attributes.iter().map(|(a, v)| (*a, v.form())).collect();
    w.uleb(abbreviations.code(tag, children, &forms));
    for (_, value) in attributes {
        value.write(w, address_size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uleb(v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        uleb128(&mut out, v);
        out
    }

    fn sleb(v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        sleb128(&mut out, v);
        out
    }

    #[test]
    fn leb128_matches_the_dwarf_examples() {
        // DWARF 5, tables 7.6 and 7.7.
        assert_eq!(uleb(2), [2]);
        assert_eq!(uleb(127), [127]);
        assert_eq!(uleb(128), [0x80, 1]);
        assert_eq!(uleb(129), [1 + 0x80, 1]);
        assert_eq!(uleb(130), [2 + 0x80, 1]);
        assert_eq!(uleb(12857), [57 + 0x80, 100]);
        assert_eq!(sleb(2), [2]);
        assert_eq!(sleb(-2), [0x7e]);
        assert_eq!(sleb(127), [127 + 0x80, 0]);
        assert_eq!(sleb(-127), [1 + 0x80, 0x7f]);
        assert_eq!(sleb(128), [0x80, 1]);
        assert_eq!(sleb(-128), [0x80, 0x7f]);
        assert_eq!(sleb(129), [1 + 0x80, 1]);
        assert_eq!(sleb(-129), [0x7f + 0x80, 0x7e]);
        assert_eq!(uleb(u64::MAX).len(), 10);
        assert_eq!(sleb(i64::MIN).len(), 10);
        assert_eq!(sleb(i64::MAX).len(), 10);
    }

    #[test]
    fn integers_follow_the_byte_order() {
        let mut le = Writer::new(false);
        let mut be = Writer::new(true);
        for w in [&mut le, &mut be] {
            w.u16(0x0102);
            w.uint(3, 0x0a0b0c);
        }
        assert_eq!(le.bytes, [2, 1, 0x0c, 0x0b, 0x0a]);
        assert_eq!(be.bytes, [1, 2, 0x0a, 0x0b, 0x0c]);
    }

    #[test]
    fn lengths_are_patched_and_fixups_are_zero() {
        let mut w = Writer::new(false);
        let at = w.begin_length();
        w.u16(5);
        w.offset(DebugSection::Abbrev, 0);
        w.address(8, SectionId(3), 0x10);
        w.end_length(at);
        assert_eq!(w.bytes.len(), 4 + 2 + 4 + 8);
        assert_eq!(&w.bytes[..4], [14, 0, 0, 0]);
        assert!(w.bytes[6..].iter().all(|&b| b == 0));
        assert_eq!(
            w.fixups,
            [
                Fixup {
                    at: 6,
                    size: 4,
                    target: FixupTarget::DebugOffset {
                        section: DebugSection::Abbrev,
                        offset: 0
                    }
                },
                Fixup {
                    at: 10,
                    size: 8,
                    target: FixupTarget::Address {
                        section: SectionId(3),
                        offset: 0x10
                    }
                }
            ]
        );
    }

    #[test]
    fn abbreviations_are_shared() {
        let mut a = Abbreviations::default();
        let attrs = [(DW_AT_NAME, DW_FORM_STRP)];
        assert_eq!(a.code(DW_TAG_SUBPROGRAM, false, &attrs), 1);
        assert_eq!(a.code(DW_TAG_SUBPROGRAM, true, &attrs), 2);
        assert_eq!(a.code(DW_TAG_SUBPROGRAM, false, &attrs), 1);
        // code 1: subprogram (0x2e), no children, name/strp, 0 0; code 2 likewise with
        // children; the table's 0.
        assert_eq!(
            a.finish(),
            [1, 0x2e, 0, 3, 0x0e, 0, 0, 2, 0x2e, 1, 3, 0x0e, 0, 0, 0]
        );
    }

    #[test]
    fn constants_widen_when_they_must() {
        assert_eq!(Value::Constant(u64::from(u32::MAX)).form(), DW_FORM_DATA4);
        assert_eq!(Value::Constant(1 << 32).form(), DW_FORM_DATA8);
        let mut w = Writer::new(false);
        Value::Constant(1 << 32).write(&mut w, 8);
        assert_eq!(w.bytes, [0, 0, 0, 0, 1, 0, 0, 0]);
    }
}
