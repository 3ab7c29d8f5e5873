//! Turns the built debug sections into the object's own sections, symbols and relocations.
//! This is the only place where the container format matters:
//!
//! | | ELF | COFF | Mach-O |
//! |---|---|---|---|
//! | names | `.debug_info` ... | `.debug_info` ... (long names) | `__DWARF,__debug_info` ... |
//! | address | `abs64`/`abs32` relocation | same | same |
//! | offset into a debug section | `secrel32` relocation (`R_*_32`) | `secrel32` (`SECREL`) | written in place, no relocation |
//! | string sections | `merge_strings` | — | — |
//!
//! Relocations refer to section symbols (an existing one if the backend made it), with the
//! offset as the addend, as assemblers write them.

use std::collections::HashMap;

use super::encode::{DebugSection, FixupTarget, Writer};
use crate::error::{Error, Place};
use crate::model::{
    Object, Relocation, Section, SectionFlags, SectionId, SectionKind, Symbol, SymbolId, SymbolKind,
};
use crate::reloc::RelocKind;
use crate::target::{Endianness, Format};

/// Appends `sections` (with their fixups) to `obj`; returns the new sections' ids in order.
pub(super) fn append(
    obj: &mut Object,
    sections: Vec<(DebugSection, Writer)>,
) -> Result<Vec<SectionId>, Error> {
    for (kind, w) in &sections {
        if w.bytes.len() as u64 > u64::from(u32::MAX) {
            return Err(Error::unsupported(
                Place::Debug(String::new()),
                format!(
                    "{} would be {} bytes, more than 32-bit DWARF can address",
                    kind.name(),
                    w.bytes.len()
                ),
            ));
        }
    }
    let format = obj.target.format;
    let in_place = format == Format::MachO;
    let big_endian = obj.target.endianness == Endianness::Big;
    let address_kind = if obj.target.arch.pointer_width() == 8 {
        RelocKind::Abs64
    } else {
        RelocKind::Abs32
    };

    let first = obj.sections.len();
    let ids: HashMap<DebugSection, SectionId> = sections
        .iter()
        .enumerate()
        .map(|(i, (kind, _))| (*kind, SectionId::from_index(first + i)))
        .collect();
    let mut section_symbols: HashMap<SectionId, SymbolId> = HashMap::new();
    for (i, s) in obj.symbols.iter().enumerate() {
        if let (SymbolKind::Section, Some(section)) = (s.kind, s.section_id()) {
            section_symbols
                .entry(section)
                .or_insert(SymbolId::from_index(i));
        }
    }
    let mut new_symbols: Vec<Symbol> = Vec::new();
    let first_new_symbol = obj.symbols.len();
    let mut symbol_of = |section: SectionId| -> SymbolId {
        *section_symbols.entry(section).or_insert_with(|| {
            new_symbols.push(Symbol::section(section));
            SymbolId::from_index(first_new_symbol + new_symbols.len() - 1)
        })
    };

    // DWARF 5 names strings by index through `.debug_str_offsets`; GNU ld tail-merges a
    // mergeable `.debug_str`, so an entry for `int` would point into `unsigned int`, which
    // `llvm-dwarfdump --verify` rejects. Such a unit's strings are not offered for merging.
    let indexed = ids.contains_key(&DebugSection::StrOffsets);
    let mut new_sections = Vec::with_capacity(sections.len());
    let mut relocations = Vec::new();
    for (i, (kind, w)) in sections.into_iter().enumerate() {
        let id = SectionId::from_index(first + i);
        let mut bytes = w.bytes;
        for fixup in w.fixups {
            match fixup.target {
                FixupTarget::Symbol { symbol, addend } => relocations
                    .push(Relocation::new(id, fixup.at, symbol, address_kind).with_addend(addend)),
                FixupTarget::Address { section, offset } => relocations.push(
                    Relocation::new(id, fixup.at, symbol_of(section), address_kind)
                        .with_addend(offset as i64),
                ),
                FixupTarget::DebugOffset { section, offset } if in_place => {
                    let value = offset as u32;
                    let field = if big_endian {
                        value.to_be_bytes()
                    } else {
                        value.to_le_bytes()
                    };
                    let at = fixup.at as usize;
                    if let Some(slot) = bytes.get_mut(at..at + 4) {
                        slot.copy_from_slice(&field);
                    }
                    debug_assert!(ids.contains_key(&section), "{section:?} was not built");
                }
                FixupTarget::DebugOffset { section, offset } => {
                    // Every section a fixup points into is built alongside it.
                    if let Some(&target) = ids.get(&section) {
                        relocations.push(
                            Relocation::new(id, fixup.at, symbol_of(target), RelocKind::Secrel32)
                                .with_addend(offset as i64),
                        );
                    } else {
                        debug_assert!(false, "{section:?} was not built");
                    }
                }
            }
        }
        let name = if format == Format::MachO {
            kind.macho_name()
        } else {
            kind.name()
        };
        let mut flags = SectionFlags::default();
        if format == Format::Elf
            && kind.is_strings()
            && !(indexed && kind == DebugSection::Str && has_suffix_string(&bytes))
        {
            flags.merge_strings = true;
        }
        new_sections.push(
            Section::new(name, SectionKind::Debug)
                .with_bytes(bytes)
                .with_flags(flags),
        );
    }

    obj.sections.extend(new_sections);
    obj.symbols.extend(new_symbols);
    obj.relocations.extend(relocations);
    Ok((first..obj.sections.len())
        .map(SectionId::from_index)
        .collect())
}

/// Whether one NUL-terminated string of `bytes` is a proper suffix of another.
fn has_suffix_string(bytes: &[u8]) -> bool {
    let strings: std::collections::HashSet<&[u8]> =
        bytes.split(|&b| b == 0).filter(|s| !s.is_empty()).collect();
    strings
        .iter()
        .any(|s| (1..s.len()).any(|i| strings.contains(&s[i..])))
}
