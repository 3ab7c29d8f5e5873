//! PowerPC64 ELFv2 local entry points: a side table of the object's symbols, kept beside
//! [`Symbol`](crate::Symbol) (which stays the same for every architecture).
//!
//! Under the ELFv2 ABI a function that needs a TOC pointer starts with a *global entry*
//! prologue that computes r2 from r12 (`addis r2, r12, .TOC.-f@ha; addi r2, r2, .TOC.-f@l`).
//! Callers in the same module, whose r2 is already right, enter past it at the *local entry*:
//! the linker sends their `R_PPC64_REL24` calls there. The offset from the global to the
//! local entry lives in bits 5..7 of the symbol's `st_other` (`STO_PPC64_LOCAL_MASK`), so
//! only a few offsets can be expressed: 0, 4, 8, 16, 32 or 64 bytes (GCC's prologue makes it
//! 8), and the ABI's special value 1 (`.localentry f, 1`: no separate local entry, and the
//! function does not preserve r2 for its caller).
//!
//! A backend records one with [`Object::set_local_entry`]; the ELF writer puts it into
//! `st_other`, and writing refuses it on any other target
//! (`symbols[i].local_entry`). GNU as's `.localentry f, 8` is `set_local_entry(f, 8)`.

use std::collections::BTreeMap;

use super::{Object, SymbolId};

/// The local entry offsets of an object's symbols, by symbol index (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LocalEntries(BTreeMap<usize, u32>);

impl Object {
    /// Records that `symbol`'s local entry point (PowerPC64 ELFv2) is `offset` bytes past its
    /// address: 0, 4, 8, 16, 32 or 64, or 1 for the ABI's "uses r2 as a scratch register,
    /// no separate local entry" (`.localentry sym, 1`). 0 removes the record. Checked when
    /// the object is written: only defined symbols of a `ppc64le` ELF object may have one.
    ///
    /// ```
    /// use objforge::{Architecture, Format, Object, Section, SectionKind, Symbol, Target};
    /// let mut obj = Object::new(Target::new(Architecture::Ppc64le, Format::Elf));
    /// let text = obj.add_section(Section::new(".text", SectionKind::Text));
    /// let f = obj.add_symbol(Symbol::defined("f", text, 0));
    /// obj.set_local_entry(f, 8);
    /// assert_eq!(obj.local_entry(f), 8);
    /// ```
    pub fn set_local_entry(&mut self, symbol: SymbolId, offset: u32) {
        if offset == 0 {
            self.local_entries.0.remove(&symbol.index());
        } else {
            self.local_entries.0.insert(symbol.index(), offset);
        }
    }

    /// `symbol`'s local entry offset as [`Object::set_local_entry`] recorded it (0 if none).
    pub fn local_entry(&self, symbol: SymbolId) -> u32 {
        self.local_entries
            .0
            .get(&symbol.index())
            .copied()
            .unwrap_or(0)
    }

    /// Every recorded local entry, `(symbol, offset)`, by symbol index.
    pub fn local_entries(&self) -> impl Iterator<Item = (SymbolId, u32)> + '_ {
        self.local_entries
            .0
            .iter()
            .map(|(&s, &o)| (SymbolId::from_index(s), o))
    }
}

/// The checks writing makes: each record names a defined symbol of a ppc64le ELF object, and
/// an offset `st_other` can hold.
pub(crate) fn check(obj: &Object) -> Result<(), crate::Error> {
    use crate::error::{Error, Place};
    use crate::target::{Architecture, Format};
    for (symbol, offset) in obj.local_entries() {
        let place = Place::Symbol(symbol.index(), Some("local_entry"));
        let Some(sym) = obj.symbols.get(symbol.index()) else {
            return Err(Error::invalid(
                place,
                format!(
                    "a local entry is recorded for symbol {}, but the object has {} symbols",
                    symbol.0,
                    obj.symbols.len()
                ),
            ));
        };
        if obj.target.arch != Architecture::Ppc64le || obj.target.format != Format::Elf {
            return Err(Error::unsupported(
                place,
                format!(
                    "a local entry point is a PowerPC64 ELFv2 notion; this object is {} {}",
                    obj.target.format, obj.target.arch
                ),
            ));
        }
        if crate::arch::ppc64le::local_entry_code(offset).is_none() {
            return Err(Error::invalid(
                place,
                format!("{offset} cannot be encoded in st_other: a local entry is 0, 1, 4, 8, 16, 32 or 64 bytes past the global one"),
            ));
        }
        if !matches!(sym.definition, super::SymbolDefinition::Defined { .. }) {
            return Err(Error::invalid(
                place,
                format!("`{}` is not defined here: only a function this object defines has a local entry", sym.name),
            ));
        }
    }
    Ok(())
}
