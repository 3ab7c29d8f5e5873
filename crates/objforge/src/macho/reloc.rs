//! Relocation entries. Each model relocation becomes one `relocation_info`, or two at the same
//! address: `ARM64_RELOC_ADDEND` then the relocation it carries the addend for, or
//! `SUBTRACTOR` (the symbol subtracted) then `UNSIGNED` (the symbol added). The addend goes
//! where the architecture keeps it: in the field (x86_64; arm64 `UNSIGNED`), in an
//! `ARM64_RELOC_ADDEND`, or nowhere (arm64 GOT and TLV loads, which take none).
//!
//! A relocation against a symbol local to this object is written section-relative
//! (`r_extern = 0`, the field holding the target's address in the object) where the type
//! allows it: x86_64 `UNSIGNED` and `SIGNED*`, arm64 `UNSIGNED`. Everything else names a
//! symbol (`r_extern = 1`); ld64.lld insists on it for the arm64 page relocations.
//!
//! [`Mapper`]'s [`map`](RelocMapper::map) is a pure function of the model and the layout: the layout calls it
//! for every relocation to find errors and count entries, and the writer again while writing
//! the entries and the fields, so neither is ever stored. What the layout's pass keeps is a
//! byte a relocation ([`Shortcuts`]): the short form it took, if it took one (one entry
//! naming its own symbol, with nothing or its addend plus a constant stored in its field), so
//! that the writer's passes write it from the relocation alone, without reading its symbol
//! again.

use super::sections::Sections;
use super::symtab::{is_written, SymbolTable};
use crate::arch::{self, aarch64, MachoAddend, MachoDepends, MachoEncoding, MachoReloc};
use crate::emit::{Checked, EntryCount, KindCache, RelocMapper, RelocSink, Report, Unchecked};
use crate::error::{Error, Place};
use crate::model::{
    Binding, Object, Relocation, SectionData, SectionKind, SymbolDefinition, SymbolId, SymbolKind,
};
use crate::out::Patch;
use crate::reloc::RelocKind;
use crate::target::Architecture;

use super::consts::{
    R_EXTERN_SHIFT, R_LENGTH_SHIFT, R_PCREL_SHIFT, R_SYMBOLNUM_MASK, R_TYPE_SHIFT,
};

/// One `relocation_info`: `r_address`, then `r_symbolnum`, `r_pcrel`, `r_length`,
/// `r_extern` and `r_type` packed in a word.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RelocationInfo {
    pub address: u32,
    pub info: u32,
}

impl RelocationInfo {
    #[inline]
    fn new(
        address: u32,
        symbolnum: u32,
        pcrel: bool,
        length: u8,
        is_extern: bool,
        r_type: u8,
    ) -> RelocationInfo {
        RelocationInfo {
            address,
            info: (symbolnum & R_SYMBOLNUM_MASK)
                | (u32::from(pcrel) << R_PCREL_SHIFT)
                | (u32::from(length & 3) << R_LENGTH_SHIFT)
                | (u32::from(is_extern) << R_EXTERN_SHIFT)
                | (u32::from(r_type & 0xf) << R_TYPE_SHIFT),
        }
    }
}

/// Per model section: whether it needs a symbol at its start, and whether a relocation in it
/// refers to the start of its subsection.
pub(super) struct Starts {
    pub needs_start: Vec<bool>,
    pub needs_subsections: Vec<bool>,
}

/// The sections that need a symbol at their start: those a relocation reaches through a
/// section symbol (which Mach-O does not have), and those holding a PC-relative data field
/// that no symbol precedes (the `SUBTRACTOR` needs one).
///
/// `kinds` are the kinds the relocations use; `section_symbols`, whether there is a section
/// symbol. Without a section symbol and a kind that may need a subsection's start, no
/// section needs a start, and the relocations are not looked at.
pub(super) fn sections_needing_a_start(
    obj: &Object,
    kinds: &[RelocKind],
    section_symbols: bool,
) -> Starts {
    let n = obj.sections.len();
    let mut needs = vec![false; n];
    let mut needs_subsections = vec![false; n];
    let from_field = |kind, addend| {
        matches!(
            arch::macho_encoding(obj.target.arch, kind, addend, &[], false),
            Some(MachoEncoding::FromField { .. })
        )
    };
    // The addend picks among kinds of one shape only (x86_64's SIGNED_n), never FromField.
    if !section_symbols && !kinds.iter().any(|&k| from_field(k, 0)) {
        return Starts {
            needs_start: needs,
            needs_subsections,
        };
    }
    // Per section, the lowest offset of a PC-relative data field, if it has one.
    let mut lowest_field: Vec<Option<u64>> = vec![None; n];
    let mut any_field = false;
    for r in &obj.relocations {
        for id in [r.symbol(), r.minus()].into_iter().flatten() {
            let s = &obj.symbols[id.index()];
            if let (SymbolKind::Section, Some(section)) = (s.kind, s.section_id()) {
                needs[section.index()] = true;
            }
        }
        if from_field(r.kind(), r.addend()) {
            needs_subsections[r.section().index()] = true;
            let lowest = &mut lowest_field[r.section().index()];
            *lowest = Some(lowest.map_or(r.offset(), |l| l.min(r.offset())));
            any_field = true;
        }
    }
    if any_field {
        // Which of those sections have no symbol at or before their first such field.
        let mut first_symbol: Vec<Option<u64>> = vec![None; n];
        for s in obj.symbols.iter().filter(|s| is_written(s.kind)) {
            if let SymbolDefinition::Defined { section, offset } = s.definition {
                let first = &mut first_symbol[section.index()];
                *first = Some(first.map_or(offset, |f| f.min(offset)));
            }
        }
        for ((need, lowest), first) in needs.iter_mut().zip(&lowest_field).zip(&first_symbol) {
            if let Some(lowest) = lowest {
                if first.is_none_or(|first| first > *lowest) {
                    *need = true;
                }
            }
        }
    }
    Starts {
        needs_start: needs,
        needs_subsections,
    }
}

/// Maps the relocations of one object.
pub(super) struct Mapper<'a> {
    pub obj: &'a Object,
    pub sections: &'a Sections,
    pub symbols: &'a SymbolTable,
    /// What each kind is written as, found once per kind.
    pub kinds: KindCache<KindFacts>,
    /// The relocations the layout found a short form for (none while it looks).
    pub shortcuts: Option<&'a Shortcuts>,
}

/// A relocation written as one entry naming its own symbol (`r_extern`), with nothing stored
/// in its field or its addend plus `delta` (the pc bias) stored in `size` bytes: everything
/// but the symbol's index and the relocation's own offset and addend.
#[derive(Clone, Copy, PartialEq)]
struct ShortForm {
    /// The entry's `r_info`, with `r_symbolnum` zero.
    info: u32,
    /// Bytes stored in the field (0: none).
    size: u8,
    delta: i64,
}

/// The short form of each relocation that has one, found by the layout's pass.
pub(super) struct Shortcuts {
    /// Per relocation: 1 + its form in `forms`, or [`NO_SHORTCUT`].
    of: Vec<u8>,
    forms: Vec<ShortForm>,
    /// The form noted last.
    last: usize,
}

/// A relocation mapped in full each time.
const NO_SHORTCUT: u8 = 0;

impl Shortcuts {
    pub(super) fn new(relocations: usize) -> Shortcuts {
        Shortcuts {
            of: vec![NO_SHORTCUT; relocations],
            forms: Vec::new(),
            last: 0,
        }
    }

    /// How many relocations have a short form.
    #[cfg(test)]
    pub(super) fn count(&self) -> usize {
        self.of.iter().filter(|&&k| k != NO_SHORTCUT).count()
    }

    /// Whether relocation `i` is written from a short form.
    pub(super) fn has(&self, i: usize) -> bool {
        self.of.get(i).is_some_and(|&k| k != NO_SHORTCUT)
    }

    #[inline(always)]
    fn form(&self, i: usize) -> Option<ShortForm> {
        let k = usize::from(*self.of.get(i)?);
        self.forms.get(k.wrapping_sub(1)).copied()
    }

    /// Notes relocation `i`'s short form, if what it was mapped to (`seen`) has one: a single
    /// entry naming the relocation's own symbol at its own offset (`own_index`, the symbol's
    /// index in the table as numbered now), and at most one value, at its offset.
    #[inline]
    fn learn(&mut self, i: usize, r: &Relocation, own_index: Option<u32>, seen: &Seen) {
        let (1, Some(own)) = (seen.entries, own_index) else {
            return;
        };
        let info = seen.info;
        if info & (1 << R_EXTERN_SHIFT) == 0
            || info & R_SYMBOLNUM_MASK != own
            || u64::from(seen.address) != r.offset()
        {
            return;
        }
        let (size, delta) = match seen.patches {
            0 => (0, 0),
            1 if seen.patch_offset == r.offset() => {
                (seen.patch_len, seen.patch_value.wrapping_sub(r.addend()))
            }
            _ => return,
        };
        let form = ShortForm {
            info: info & !R_SYMBOLNUM_MASK,
            size,
            delta,
        };
        // Relocations come in runs of a form: the last one first.
        let k = if self.forms.get(self.last) == Some(&form) {
            self.last
        } else {
            match self.forms.iter().position(|f| *f == form) {
                Some(k) => k,
                None if self.forms.len() < usize::from(u8::MAX) => {
                    self.forms.push(form);
                    self.forms.len() - 1
                }
                None => return,
            }
        };
        self.last = k;
        if let Some(slot) = self.of.get_mut(i) {
            *slot = k as u8 + 1;
        }
    }
}

/// What the layout's pass saw one relocation mapped to, on its way to the entry count: how
/// many entries and values, and the last of each.
struct Seen<'c> {
    count: &'c mut EntryCount,
    entries: usize,
    address: u32,
    info: u32,
    patches: usize,
    patch_offset: u64,
    patch_len: u8,
    patch_value: i64,
}

impl<'c> Seen<'c> {
    fn new(count: &'c mut EntryCount) -> Seen<'c> {
        Seen {
            count,
            entries: 0,
            address: 0,
            info: 0,
            patches: 0,
            patch_offset: 0,
            patch_len: 0,
            patch_value: 0,
        }
    }
}

impl RelocSink<RelocationInfo> for Seen<'_> {
    #[inline]
    fn entry(&mut self, e: RelocationInfo) {
        RelocSink::<RelocationInfo>::entry(self.count, e);
        self.entries += 1;
        (self.address, self.info) = (e.address, e.info);
    }
    #[inline]
    fn patch(&mut self, p: Patch) {
        self.patches += 1;
        (self.patch_offset, self.patch_len) = (p.offset, p.len);
        // Mach-O is little-endian: the value's eight bytes, whatever the field's size.
        self.patch_value = i64::from_le_bytes(p.bytes);
        RelocSink::<RelocationInfo>::patch(self.count, p);
    }
}

impl Mapper<'_> {
    /// Counts the entries of relocations `relocs` (one section's) and finds the first error,
    /// as [`crate::emit::count_entries`] does, noting in `shortcuts` the short form of each
    /// that has one.
    pub(super) fn count_noting_shortcuts(
        &self,
        relocs: impl Iterator<Item = usize>,
        shortcuts: &mut Shortcuts,
    ) -> Result<EntryCount, Error> {
        let mut count = EntryCount::default();
        for i in relocs {
            let mut seen = Seen::new(&mut count);
            if self.map::<Unchecked, _>(i, &mut seen).is_err() {
                self.map::<Checked, _>(i, &mut count)?;
                continue;
            }
            let r = &self.obj.relocations[i];
            let own = r
                .symbol()
                .and_then(|s| self.symbols.index_of_user(s.index()));
            shortcuts.learn(i, r, own, &seen);
        }
        Ok(count)
    }
}

/// What mapping a relocation asks of its kind, found once per kind: its encoding against a
/// symbol that is not thread-local, for the first addend the kind came with (`encoding`,
/// unless the bytes before the field pick it), and whether another addend may pick another
/// (x86_64 `SIGNED_n`).
#[derive(Clone, Copy)]
pub(super) struct KindFacts {
    addend: i64,
    by_addend: bool,
    encoding: Option<Option<MachoEncoding>>,
}

impl KindFacts {
    fn of(arch: Architecture, kind: RelocKind, addend: i64) -> KindFacts {
        let depends = arch::macho_depends(arch, kind);
        KindFacts {
            addend,
            by_addend: depends == MachoDepends::Addend,
            encoding: (depends != MachoDepends::Before)
                .then(|| arch::macho_encoding(arch, kind, addend, &[], false)),
        }
    }
}

impl RelocMapper for Mapper<'_> {
    type Entry = RelocationInfo;

    /// Relocation `i` (in range) as entries and a stored value, handed to `out`; or why it
    /// cannot be written (then `out` may have some of them).
    #[inline(always)]
    fn map<R: Report, S: RelocSink<RelocationInfo>>(
        &self,
        i: usize,
        out: &mut S,
    ) -> Result<(), R::Error> {
        let obj = self.obj;
        let r = &obj.relocations[i];
        if let Some(form) = self.shortcuts.and_then(|s| s.form(i)) {
            // Mapped by the layout, without error, to this form.
            let index = r
                .symbol()
                .and_then(|s| self.symbols.index_of_user(s.index()))
                .unwrap_or(0);
            if form.size > 0 {
                let value = r.addend().wrapping_add(form.delta);
                out.patch(Patch::int(r.offset(), form.size, value, false));
            }
            out.entry(RelocationInfo {
                address: r.offset() as u32,
                info: form.info | index,
            });
            return Ok(());
        }
        let arch = obj.target.arch;
        let at = |field| Place::Relocation(i, Some(field));
        let section = r.section().index();
        let Some(target) = r.symbol() else {
            return Err(R::error(|| no_encoding(i, r.kind(), arch, false)));
        };
        let sym = &obj.symbols[target.index()];
        if sym.kind == SymbolKind::File {
            return Err(R::error(|| {
                Error::invalid(
                    at("symbol"),
                    format!("`{}` is a file symbol, which has no address", sym.name),
                )
            }));
        }
        if r.kind() == RelocKind::Secrel32 {
            out.patch(self.section_offset::<R>(i)?);
            return Ok(());
        }
        let Some(address) = u32::try_from(r.offset())
            .ok()
            .filter(|&a| a <= i32::MAX as u32)
        else {
            return Err(R::error(|| {
                Error::unsupported(
                    at("offset"),
                    format!(
                        "{} is past 2^31 - 1, the largest offset a Mach-O relocation holds",
                        r.offset()
                    ),
                )
            }));
        };
        let tls = sym.kind == SymbolKind::Tls;
        let facts = self
            .kinds
            .get(r, |kind| KindFacts::of(arch, kind, r.addend()));
        let encoding = match facts.encoding {
            Some(encoding) if !tls && (!facts.by_addend || facts.addend == r.addend()) => encoding,
            _ => {
                let before = if r.kind() == RelocKind::X86GotPcrel32 {
                    let bytes: &[u8] = match &obj.sections[section].data {
                        SectionData::Bytes(b) => b,
                        SectionData::Zero(_) => &[],
                    };
                    let start = r.offset().saturating_sub(3) as usize;
                    bytes.get(start..address as usize).unwrap_or(&[])
                } else {
                    &[]
                };
                arch::macho_encoding(arch, r.kind(), r.addend(), before, tls)
            }
        };
        let Some(encoding) = encoding else {
            return Err(R::error(|| no_encoding(i, r.kind(), arch, tls)));
        };
        match encoding {
            MachoEncoding::One(m) => {
                let (is_extern, symbolnum, stored) =
                    self.referent::<R>(i, &m, target, r.addend())?;
                match m.addend {
                    MachoAddend::Field { .. } => {
                        out.patch(self.field::<R>(i, 1 << m.length, stored)?);
                    }
                    MachoAddend::Paired if r.addend() != 0 => {
                        if !(aarch64::macho::ADDEND_MIN..=aarch64::macho::ADDEND_MAX)
                            .contains(&r.addend())
                        {
                            return Err(R::error(|| {
                                Error::unsupported(
                                    at("addend"),
                                    format!(
                                        "{} is out of range for ARM64_RELOC_ADDEND, which holds a signed 24-bit addend ({}..={})",
                                        r.addend(),
                                        aarch64::macho::ADDEND_MIN,
                                        aarch64::macho::ADDEND_MAX
                                    ),
                                )
                            }));
                        }
                        out.entry(RelocationInfo::new(
                            address,
                            // Two's complement, cut to the 24 bits of r_symbolnum.
                            r.addend() as u32,
                            false,
                            2,
                            false,
                            aarch64::macho::ADDEND,
                        ));
                    }
                    MachoAddend::Paired => {}
                    MachoAddend::Zero if r.addend() != 0 => {
                        return Err(R::error(|| {
                            Error::unsupported(
                                at("addend"),
                                format!(
                                    "kind {} takes no addend on Mach-O {arch} (ARM64_RELOC_ADDEND may only precede BRANCH26, PAGE21 and PAGEOFF12); got {}",
                                    r.kind(), r.addend()
                                ),
                            )
                        }));
                    }
                    MachoAddend::Zero => {}
                }
                out.entry(RelocationInfo::new(
                    address, symbolnum, m.pcrel, m.length, is_extern, m.r_type,
                ));
            }
            MachoEncoding::Difference {
                subtractor,
                unsigned,
                length,
            }
            | MachoEncoding::FromField {
                subtractor,
                unsigned,
                length,
            } => {
                let (minus, addend) = match encoding {
                    MachoEncoding::Difference { .. } => {
                        // `validate` makes sure a diff* relocation has `minus`.
                        let Some(minus) = r.minus() else {
                            return Err(R::error(|| {
                                Error::invalid(
                                    at("minus"),
                                    format!("a {} relocation needs `minus`", r.kind()),
                                )
                            }));
                        };
                        (self.subtrahend::<R>(i, minus)?, i128::from(r.addend()))
                    }
                    // S + A - P = S + (A - (P - M)) - M, M the start of P's subsection.
                    _ => {
                        let Some((start, index)) = self.symbols.subsection_at(section, r.offset())
                        else {
                            return Err(R::error(|| missing_start(i)));
                        };
                        (
                            index,
                            i128::from(r.addend()) - i128::from(r.offset() - start),
                        )
                    }
                };
                let Ok(addend) = i64::try_from(addend) else {
                    return Err(R::error(|| {
                        Error::unsupported(at("addend"), "the addend is out of the 64-bit range")
                    }));
                };
                let m = MachoReloc {
                    r_type: unsigned,
                    pcrel: false,
                    length,
                    local: true,
                    addend: MachoAddend::Field {
                        pc_bias: 0,
                        extra: 0,
                    },
                };
                let (is_extern, symbolnum, stored) = self.referent::<R>(i, &m, target, addend)?;
                out.patch(self.field::<R>(i, 1 << length, stored)?);
                out.entry(RelocationInfo::new(
                    address, minus, false, length, true, subtractor,
                ));
                out.entry(RelocationInfo::new(
                    address, symbolnum, false, length, is_extern, unsigned,
                ));
            }
        }
        Ok(())
    }
}

impl Mapper<'_> {
    /// What relocation `i`'s entry `m` points at, with `addend`: `(r_extern, r_symbolnum,
    /// value stored in the field)`. Section-relative when `m` may be and the target is a
    /// local definition whose referenced address stays inside its section, at or after the
    /// symbol (the linker finds the subsection by that address); otherwise the symbol (or its
    /// section's `ltmpN`).
    #[inline(always)]
    fn referent<R: Report>(
        &self,
        i: usize,
        m: &MachoReloc,
        target: SymbolId,
        addend: i64,
    ) -> Result<(bool, u32, i128), R::Error> {
        let obj = self.obj;
        let r = &obj.relocations[i];
        let sym = &obj.symbols[target.index()];
        let (pc_bias, extra) = match m.addend {
            MachoAddend::Field { pc_bias, extra } => (pc_bias, extra),
            _ => (0, 0),
        };
        let addend = i128::from(addend);
        if let (true, Binding::Local, SymbolDefinition::Defined { section, offset }) =
            (m.local, sym.binding, sym.definition)
        {
            let referenced = i128::from(offset) + addend + i128::from(pc_bias) + i128::from(extra);
            let size = i128::from(obj.sections[section.index()].data.len());
            // ld64.lld finds the subsection by the referenced address; one at the very end
            // of a literal section is in no literal ("offset is outside the section").
            let inside = if self.sections.of_model(section.index()).is_literals() {
                referenced < size
            } else {
                referenced <= size
            };
            // Not before the symbol either: a section-relative entry reads back as the
            // nearest symbol at or before its address, so one before the symbol (an FDE's
            // pc_begin as clang writes it, extern with a negative addend) stays extern, and
            // dumping the object again gives the same relocation.
            if referenced >= i128::from(offset) && inside {
                let s = i128::from(self.sections.of_model(section.index()).addr + offset);
                let stored = if m.pcrel {
                    let p = self.sections.of_model(r.section().index()).addr + r.offset();
                    s + addend - i128::from(p)
                } else {
                    s + addend
                };
                return Ok((
                    false,
                    u32::from(self.sections.n_sect(section.index())),
                    stored,
                ));
            }
        }
        let index = self.symbol_index::<R>(i, target, "symbol")?;
        Ok((true, index, addend + i128::from(pc_bias)))
    }

    /// The symbol-table index a relocation names for model symbol `id`.
    #[inline(always)]
    fn symbol_index<R: Report>(
        &self,
        i: usize,
        id: SymbolId,
        field: &'static str,
    ) -> Result<u32, R::Error> {
        if let Some(index) = self.symbols.index_of_user(id.index()) {
            return Ok(index);
        }
        // A section symbol: the section's `ltmpN`, which `sections_needing_a_start` asked for.
        self.obj.symbols[id.index()]
            .section_id()
            .and_then(|s| self.symbols.section_start[s.index()])
            .ok_or_else(|| {
                R::error(|| {
                    Error::invalid(
                        Place::Relocation(i, Some(field)),
                        format!(
                            "`{}` has no Mach-O symbol to refer to",
                            self.obj.symbols[id.index()].name
                        ),
                    )
                })
            })
    }

    /// The `SUBTRACTOR`'s symbol: M must be defined here (the linker subtracts its address).
    fn subtrahend<R: Report>(&self, i: usize, minus: SymbolId) -> Result<u32, R::Error> {
        let m = &self.obj.symbols[minus.index()];
        if m.section_id().is_none() {
            return Err(R::error(|| {
                Error::unsupported(
                    Place::Relocation(i, Some("minus")),
                    format!(
                        "`{}` is not defined in this object; a Mach-O SUBTRACTOR subtracts a symbol defined here",
                        m.name
                    ),
                )
            }));
        }
        self.symbol_index::<R>(i, minus, "minus")
    }

    /// Stores `value` in relocation `i`'s `size`-byte field, if it fits (as the linker reads
    /// it back: sign-extended).
    #[inline(always)]
    fn field<R: Report>(&self, i: usize, size: u8, value: i128) -> Result<Patch, R::Error> {
        let r = &self.obj.relocations[i];
        let fits = match size {
            1 => i8::try_from(value).is_ok(),
            2 => i16::try_from(value).is_ok(),
            4 => i32::try_from(value).is_ok(),
            _ => i64::try_from(value).is_ok(),
        };
        let len = self.obj.sections[r.section().index()].data.len();
        let inside = r
            .offset()
            .checked_add(u64::from(size))
            .is_some_and(|end| end <= len);
        if !fits || !inside {
            return Err(R::error(|| self.field_error(i, size, fits)));
        }
        Ok(Patch::int(r.offset(), size, value as i64, false))
    }

    #[cold]
    #[inline(never)]
    fn field_error(&self, i: usize, size: u8, fits: bool) -> Error {
        let r = &self.obj.relocations[i];
        if !fits {
            return Error::unsupported(
                Place::Relocation(i, Some("addend")),
                format!(
                    "{} does not fit the {size}-byte field where Mach-O stores the addend",
                    r.addend()
                ),
            );
        }
        let section = &self.obj.sections[r.section().index()];
        Error::invalid(
            Place::Relocation(i, Some("offset")),
            format!(
                "the {size}-byte field at {} is past the end of {} ({} bytes)",
                r.offset(),
                section.name,
                section.data.len()
            ),
        )
    }

    /// `secrel32`: Mach-O keeps DWARF's section offsets as plain numbers (debug sections are
    /// not linked), so objforge writes S's offset in its section plus A, and no relocation.
    fn section_offset<R: Report>(&self, i: usize) -> Result<Patch, R::Error> {
        let obj = self.obj;
        let r = &obj.relocations[i];
        let at = |field| Place::Relocation(i, Some(field));
        let sym = r.symbol().map(|s| &obj.symbols[s.index()]);
        let Some(SymbolDefinition::Defined { section, offset }) = sym.map(|s| s.definition) else {
            return Err(R::error(|| {
                Error::unsupported(
                at("symbol"),
                "secrel32 on Mach-O needs a symbol defined in this object: objforge writes its offset, since Mach-O has no section-relative relocation",
            )
            }));
        };
        if obj.sections[section.index()].kind.is_allocated() {
            return Err(R::error(|| {
                Error::unsupported(
                at("kind"),
                "secrel32 on Mach-O needs a symbol in a non-allocated (debug/other) section, whose offsets the linker leaves alone",
            )
            }));
        }
        let value = i128::from(offset) + i128::from(r.addend());
        if u32::try_from(value).is_err() {
            return Err(R::error(|| {
                Error::invalid(
                    at("addend"),
                    format!("the section offset {value} does not fit the 4-byte field"),
                )
            }));
        }
        Ok(Patch::int(r.offset(), 4, value as i64, false))
    }
}

fn missing_start(i: usize) -> Error {
    Error::invalid(
        Place::Relocation(i, Some("offset")),
        "no symbol starts the subsection holding this field",
    )
}

/// The error for a kind Mach-O cannot express on `arch`, with the reason where there is one.
fn no_encoding(i: usize, kind: RelocKind, arch: Architecture, tls: bool) -> Error {
    use RelocKind::*;
    let why = match kind {
        Abs32S if arch == Architecture::X86_64 => {
            ": Mach-O has no sign-extended 32-bit absolute relocation (64-bit images load above 4 GiB)"
        }
        Abs8 | Abs16 | Abs32S | Pcrel8 | Pcrel16 | Diff8 | Diff16 => {
            ": Mach-O relocates only 4- and 8-byte data fields"
        }
        A64Condbr19 | A64Tstbr14 | A64LdrLit19 | A64Adr21 if arch == Architecture::Aarch64 => {
            ": Mach-O linkers relocate only B/BL, ADRP and the low-12-bit forms (resolve a branch within a function in the backend)"
        }
        X86GotPcrel32 if tls => {
            ": against a thread-local variable it becomes X86_64_RELOC_TLV, which needs a `movq` load (REX.W 8b, RIP-relative ModRM) before the field"
        }
        Secidx16 | Imagerel32 => ": it is a COFF relocation",
        _ if kind.is_tls() && arch == Architecture::X86_64 => {
            ": Mach-O has one thread-local model, TLV: x86_gotpcrel32 on a `movq` against the tls symbol"
        }
        _ if kind.is_tls() && arch == Architecture::Aarch64 => {
            ": Mach-O has one thread-local model, TLV: a64_got_adrp21 and a64_got_ld64_lo12 against the tls symbol"
        }
        Native(n) if n.r_type > 0xf => ": the native type does not fit Mach-O's 4-bit r_type",
        Native(n) if n.length > 3 => ": a Mach-O r_length is 0 to 3 (1 to 8 bytes)",
        _ => "",
    };
    Error::unsupported(
        Place::Relocation(i, Some("kind")),
        format!("kind {kind} has no Mach-O encoding on {arch}{why}"),
    )
}

/// Whether Mach-O on `arch` can express `kind` at all. `secrel32` is written as the offset
/// itself: Mach-O does not link DWARF.
pub(crate) fn supports(arch: Architecture, kind: RelocKind) -> bool {
    arch::macho_encoding(arch, kind, 0, &[], false).is_some()
        || (kind == RelocKind::Secrel32
            && matches!(arch, Architecture::X86_64 | Architecture::Aarch64))
}

/// Mach-O linkers do not link `__DWARF` sections (they stay in the object for `dsymutil`),
/// and objforge writes DWARF's own offsets into them as plain numbers (`secrel32`): so no
/// relocation may name a symbol in one. There is no address there to reach, and ld64.lld
/// crashes on such a relocation, whichever section holds it.
pub(crate) fn check_debug_references(obj: &Object) -> Result<(), Error> {
    // Without a debug section there is nothing to refer into: skip the pass.
    if !obj.sections.iter().any(|s| s.kind == SectionKind::Debug) {
        return Ok(());
    }
    for (i, r) in obj.relocations.iter().enumerate() {
        if r.kind() == RelocKind::Secrel32 {
            continue;
        }
        for (id, field) in [(r.symbol(), "symbol"), (r.minus(), "minus")] {
            let Some(sym) = id.and_then(|id| obj.symbols.get(id.index())) else {
                continue;
            };
            let Some(into) = sym.section_id().and_then(|s| obj.sections.get(s.index())) else {
                continue;
            };
            if into.kind == SectionKind::Debug {
                return Err(Error::unsupported(
                    Place::Relocation(i, Some(field)),
                    format!(
                        "`{}` is in {}, a debug section, which Mach-O linkers do not link: a relocation cannot refer into it (a DWARF offset into it is `secrel32`, written as the number itself)",
                        sym.name, into.name
                    ),
                ));
            }
        }
    }
    Ok(())
}
