//! The symbol table in the order `LC_DYSYMTAB` describes: local symbols, then external
//! definitions sorted by name, then undefined (and common) symbols sorted by name — the sort
//! `<mach-o/loader.h>` asks of an object, whose sorted external definitions serve as its
//! table of contents.
//!
//! Section and file symbols have no Mach-O form and are not written. A section that a
//! relocation must reach through a symbol, and that has none where it is needed, gets a local
//! `ltmpN` at its start, as LLVM's assembler makes.
//!
//! The layout numbers the entries ([`SymbolTable::build`]); [`SymbolTable::write`] produces
//! each `nlist_64` from the model as it goes out.

use super::consts::*;
use super::sections::Sections;
use crate::error::{Error, Place};
use crate::model::{Binding, Object, SymbolDefinition, SymbolKind};
use crate::names::{sort_by_name, Sorting};
use crate::out::Out;
use crate::strtab::{StringId, StringTable};

/// One `nlist_64`, before its name's offset is known.
struct Nlist {
    n_type: u8,
    n_sect: u8,
    n_desc: u16,
    n_value: u64,
}

/// No entry (a section or file symbol).
const ABSENT: u32 = u32::MAX;

pub(super) struct SymbolTable {
    pub count: u32,
    pub nlocal: u32,
    /// The model's own locals (the rest of `nlocal` are `ltmpN`s).
    user_locals: u32,
    pub nextdef: u32,
    pub nundef: u32,
    /// Symbol-table index of each model symbol; [`ABSENT`] for section and file symbols.
    index_of_user: Vec<u32>,
    /// Symbol-table index of the `ltmpN` at the start of each model section that has one.
    pub section_start: Vec<Option<u32>>,
    /// The `ltmpN` symbols, after the model's locals: (model section, name).
    starts_written: Vec<(usize, StringId)>,
    /// External definitions, then undefined symbols, by name (model indices).
    extdefs: Vec<u32>,
    undefs: Vec<u32>,
    /// Per model section whose subsections a relocation needs, the (offset, index) of every
    /// symbol defined in it, by offset: the starts of the subsections the linker splits it
    /// into. Empty for the other sections.
    starts: Vec<Vec<(u64, u32)>>,
}

/// Whether model symbol `kind` has an `nlist` of its own.
pub(super) fn is_written(kind: SymbolKind) -> bool {
    !matches!(kind, SymbolKind::Section | SymbolKind::File)
}

/// Whether a written model symbol is a local definition (the rest are external definitions,
/// or undefined and common symbols).
fn is_local(s: &crate::model::Symbol) -> bool {
    matches!(
        (s.definition, s.binding),
        (SymbolDefinition::Defined { .. }, Binding::Local)
    )
}

/// Whether a written model symbol is an external definition (the others are undefined or
/// common).
fn is_external_definition(s: &crate::model::Symbol) -> bool {
    matches!(s.definition, SymbolDefinition::Defined { .. })
}

/// The external definitions and the undefined symbols of an object, by name: the order the
/// format gives them, since the linker looks them up by name. Sorted on its own, beside the
/// rest of the layout ([`SymbolTable::take_name_order`]).
pub(super) struct NameOrder {
    extdefs: Vec<u32>,
    undefs: Vec<u32>,
}

impl NameOrder {
    /// Sorts `obj`'s external definitions and undefined symbols on this thread (the other one
    /// builds the table meanwhile): whole, or as `how` says.
    pub(super) fn of(obj: &Object, how: Sorting) -> NameOrder {
        // Written, non-local symbols: whether each is an external definition (or undefined).
        let external = |s: &crate::model::Symbol| {
            (is_written(s.kind) && !is_local(s)).then(|| is_external_definition(s))
        };
        let (mut extdefs, mut undefs) = (Vec::new(), Vec::new());
        if how == Sorting::LowMemory {
            // Counted first, so that the lists take no more than they hold.
            let (defined, undefined) = obj
                .symbols
                .iter()
                .filter_map(external)
                .fold((0, 0), |(d, u), defined| {
                    (d + usize::from(defined), u + usize::from(!defined))
                });
            extdefs.reserve_exact(defined);
            undefs.reserve_exact(undefined);
        }
        for (i, s) in obj.symbols.iter().enumerate() {
            match external(s) {
                Some(true) => extdefs.push(i as u32),
                Some(false) => undefs.push(i as u32),
                None => {}
            }
        }
        sort_by_name(&mut extdefs, name_of(obj), how);
        sort_by_name(&mut undefs, name_of(obj), how);
        NameOrder { extdefs, undefs }
    }
}

/// Model symbol `i`'s name.
fn name_of<'a>(obj: &'a Object) -> impl Fn(u32) -> &'a [u8] + Sync + 'a {
    |i| {
        obj.symbols
            .get(i as usize)
            .map_or(&[][..], |s| s.name.as_bytes())
    }
}

impl SymbolTable {
    /// `needs_start[s]`: model section `s` needs an `ltmpN` symbol at offset 0;
    /// `needs_subsections[s]`: a relocation in `s` refers to the start of its subsection.
    /// The model's names are in `strtab` already; this adds the `ltmpN` names.
    ///
    /// The table has the external definitions and undefined symbols in model order: it has
    /// every entry and finds every error, and the relocation entries can be counted against
    /// it (counting needs no symbol's index), but it is written only once they are put in
    /// name order ([`SymbolTable::sort_by_name`], [`SymbolTable::take_name_order`]).
    pub(super) fn build<'a>(
        obj: &'a Object,
        sections: &Sections,
        needs_start: &[bool],
        needs_subsections: &[bool],
        strtab: &mut StringTable<'a>,
    ) -> Result<SymbolTable, Error> {
        // The model's locals come first, in model order: they are numbered as they come.
        let mut index_of_user = vec![ABSENT; obj.symbols.len()];
        let mut nlocal = 0u32;
        let mut extdefs = Vec::new();
        let mut undefs = Vec::new();
        for (i, s) in obj.symbols.iter().enumerate() {
            if !is_written(s.kind) {
                continue;
            }
            if is_local(s) {
                if let Some(index) = index_of_user.get_mut(i) {
                    *index = nlocal;
                }
                nlocal += 1;
            } else if is_external_definition(s) {
                extdefs.push(i as u32);
            } else {
                undefs.push(i as u32);
            }
        }
        let user_locals = nlocal;
        let mut starts_written = Vec::new();
        for (section, &needed) in needs_start.iter().enumerate() {
            if needed {
                let ordinal = sections.n_sect(section) - 1;
                let name = strtab.add(format!("ltmp{ordinal}").into_bytes());
                starts_written.push((section, name));
            }
        }
        nlocal += starts_written.len() as u32;
        for &i in &undefs {
            if let Some(SymbolDefinition::Common { align, .. }) =
                obj.symbols.get(i as usize).map(|s| s.definition)
            {
                common_align(i as usize, align)?;
            }
        }

        let count = nlocal as usize + extdefs.len() + undefs.len();
        if count > R_SYMBOLNUM_MASK as usize {
            return Err(Error::unsupported(
                Place::Object,
                format!("{count} symbols; a Mach-O relocation numbers symbols in 24 bits"),
            ));
        }
        let mut next = user_locals;
        let mut section_start = vec![None; obj.sections.len()];
        for &(section, _) in &starts_written {
            section_start[section] = Some(next);
            next += 1;
        }
        for &i in extdefs.iter().chain(&undefs) {
            index_of_user[i as usize] = next;
            next += 1;
        }

        let mut starts: Vec<Vec<(u64, u32)>> = vec![Vec::new(); obj.sections.len()];
        if needs_subsections.iter().any(|&n| n) {
            for (i, s) in obj.symbols.iter().enumerate() {
                if let SymbolDefinition::Defined { section, offset } = s.definition {
                    let index = index_of_user[i];
                    if index != ABSENT && needs_subsections.get(section.index()) == Some(&true) {
                        starts[section.index()].push((offset, index));
                    }
                }
            }
            for (section, index) in section_start.iter().enumerate() {
                if let (Some(index), Some(true)) = (index, needs_subsections.get(section)) {
                    starts[section].push((0, *index));
                }
            }
            for starts in &mut starts {
                starts.sort_unstable();
            }
        }
        Ok(SymbolTable {
            count: next,
            nlocal,
            user_locals,
            nextdef: extdefs.len() as u32,
            nundef: undefs.len() as u32,
            index_of_user,
            section_start,
            starts_written,
            extdefs,
            undefs,
            starts,
        })
    }

    /// Puts the external definitions and the undefined symbols in name order, sorting them
    /// as `how` says, and numbers them again.
    pub(super) fn sort_by_name(&mut self, obj: &Object, how: Sorting) {
        let before = self.model_order_if_needed();
        sort_by_name(&mut self.extdefs, name_of(obj), how);
        sort_by_name(&mut self.undefs, name_of(obj), how);
        self.renumber(before);
    }

    /// Puts the external definitions and the undefined symbols in `order` (sorted from the
    /// same object) and numbers them again.
    pub(super) fn take_name_order(&mut self, order: NameOrder) {
        debug_assert_eq!(
            (order.extdefs.len(), order.undefs.len()),
            (self.extdefs.len(), self.undefs.len()),
            "a name order of another object"
        );
        let before = self.model_order_if_needed();
        self.extdefs = order.extdefs;
        self.undefs = order.undefs;
        self.renumber(before);
    }

    /// The external definitions and undefined symbols as they are numbered now, if the
    /// subsection starts hold any of their indices (renumbering them needs it).
    fn model_order_if_needed(&self) -> Option<Vec<u32>> {
        let base = self.nlocal;
        self.starts
            .iter()
            .flatten()
            .any(|&(_, index)| index >= base)
            .then(|| self.extdefs.iter().chain(&self.undefs).copied().collect())
    }

    /// Numbers the external definitions and undefined symbols as they now come, after the
    /// locals, and the subsection starts with them (`before`: the order they were numbered
    /// in, if a start holds one of their indices).
    fn renumber(&mut self, before: Option<Vec<u32>>) {
        let base = self.nlocal;
        for (&i, index) in self.extdefs.iter().chain(&self.undefs).zip(base..) {
            self.index_of_user[i as usize] = index;
        }
        let Some(before) = before else {
            return;
        };
        for starts in &mut self.starts {
            for (_, index) in starts.iter_mut() {
                if let Some(&i) = index.checked_sub(base).and_then(|k| before.get(k as usize)) {
                    *index = self.index_of_user[i as usize];
                }
            }
            // As `build` orders them: by offset, then index.
            starts.sort_unstable();
        }
    }

    /// The symbol-table index of model symbol `i`, if it has an entry.
    #[inline]
    pub(super) fn index_of_user(&self, i: usize) -> Option<u32> {
        self.index_of_user.get(i).copied().filter(|&x| x != ABSENT)
    }

    /// The symbol that starts the subsection holding `offset` of model section `section`, and
    /// its offset: the last symbol at or before `offset`. Only for sections the layout said
    /// need it.
    pub(super) fn subsection_at(&self, section: usize, offset: u64) -> Option<(u64, u32)> {
        let starts = self.starts.get(section)?;
        let after = starts.partition_point(|&(at, _)| at <= offset);
        after.checked_sub(1).and_then(|i| starts.get(i)).copied()
    }

    /// Writes every `nlist_64`, in table order.
    pub(super) fn write(
        &self,
        out: &mut Out,
        obj: &Object,
        sections: &Sections,
        strtab: &StringTable,
    ) {
        let put = |out: &mut Out, at: Option<usize>, name: u32, n: Nlist| {
            let mut rec = match at {
                Some(at) => out.record_at(at, NLIST_SIZE),
                None => out.record(NLIST_SIZE),
            };
            rec.u32(name)
                .u8(n.n_type)
                .u8(n.n_sect)
                .u16(n.n_desc)
                .u64(n.n_value);
        };
        let ltmp = |section: usize| Nlist {
            n_type: N_SECT,
            n_sect: sections.n_sect(section),
            n_desc: 0,
            n_value: sections.of_model(section).addr,
        };
        if out.holds_file() {
            // The whole file is in memory: go through the symbols in model order, which is
            // how they lie in memory, and store each entry at its place in the table.
            let start = out.len();
            out.zeros(self.count as usize * NLIST_SIZE);
            for (i, &index) in self.index_of_user.iter().enumerate() {
                if index != ABSENT {
                    let at = start + index as usize * NLIST_SIZE;
                    put(
                        out,
                        Some(at),
                        strtab.symbol_offset(i),
                        nlist(obj, sections, i),
                    );
                }
            }
            for (&(section, name), index) in self.starts_written.iter().zip(self.user_locals..) {
                let at = start + index as usize * NLIST_SIZE;
                put(out, Some(at), strtab.offset(name), ltmp(section));
            }
            return;
        }
        if self.user_locals > 0 {
            for (i, s) in obj.symbols.iter().enumerate() {
                if is_written(s.kind) && is_local(s) {
                    put(out, None, strtab.symbol_offset(i), nlist(obj, sections, i));
                }
            }
        }
        for &(section, name) in &self.starts_written {
            put(out, None, strtab.offset(name), ltmp(section));
        }
        for &i in self.extdefs.iter().chain(&self.undefs) {
            let i = i as usize;
            put(out, None, strtab.symbol_offset(i), nlist(obj, sections, i));
        }
    }
}

/// The log2 alignment of a common symbol, which Mach-O keeps in 4 bits (at most 2^15).
fn common_align(i: usize, align: u32) -> Result<u16, Error> {
    let log2 = align.trailing_zeros();
    if log2 > 15 {
        return Err(Error::unsupported(
            Place::Symbol(i, Some("common")),
            format!("align {align} is over 2^15, the most a Mach-O common symbol records"),
        ));
    }
    Ok(log2 as u16)
}

/// The `nlist_64` of model symbol `i` (checked by [`SymbolTable::build`]).
fn nlist(obj: &Object, sections: &Sections, i: usize) -> Nlist {
    let s = &obj.symbols[i];
    let external = if s.binding == Binding::Local {
        0
    } else {
        N_EXT
    };
    // Protected has no Mach-O form: references from inside a linked image bind locally anyway.
    let private = if s.binding != Binding::Local && s.visibility.is_hidden() {
        N_PEXT
    } else {
        0
    };
    match s.definition {
        SymbolDefinition::Defined { section, offset } => Nlist {
            n_type: N_SECT | external | private,
            n_sect: sections.n_sect(section.index()),
            n_desc: if s.binding == Binding::Weak {
                N_WEAK_DEF
            } else {
                0
            },
            n_value: sections.of_model(section.index()).addr + offset,
        },
        SymbolDefinition::Undefined => Nlist {
            n_type: N_UNDF | N_EXT,
            n_sect: 0,
            n_desc: if s.binding == Binding::Weak {
                N_WEAK_REF
            } else {
                0
            },
            n_value: 0,
        },
        SymbolDefinition::Common { size, align } => Nlist {
            n_type: N_UNDF | N_EXT | private,
            n_sect: 0,
            // SET_COMM_ALIGN: log2 of the alignment in bits 8..12.
            n_desc: common_align(i, align).unwrap_or(0) << 8,
            n_value: size,
        },
        // File symbols are not written (`is_written`); nothing else lacks a section.
        SymbolDefinition::Absolute => Nlist {
            n_type: N_UNDF,
            n_sect: 0,
            n_desc: 0,
            n_value: 0,
        },
    }
}
