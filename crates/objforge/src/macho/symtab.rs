//! The symbol table in the order `LC_DYSYMTAB` describes: local symbols, then external
//! definitions sorted by name, then undefined (and common) symbols sorted by name.
//!
//! Section and file symbols have no Mach-O form and are not written. A section that a
//! relocation must reach through a symbol, and that has none where it is needed, gets a local
//! `ltmpN` at its start, as LLVM's assembler makes.

use std::borrow::Cow;

use super::consts::*;
use super::sections::Sections;
use crate::error::{Error, Place};
use crate::model::{Binding, Object, SymbolDefinition, SymbolKind, Visibility};
use crate::strtab::{StringId, StringTable};

/// One `nlist_64`.
pub(super) struct Nlist {
    pub name: StringId,
    pub n_type: u8,
    pub n_sect: u8,
    pub n_desc: u16,
    pub n_value: u64,
}

pub(super) struct SymbolTable {
    pub entries: Vec<Nlist>,
    pub nlocal: u32,
    pub nextdef: u32,
    pub nundef: u32,
    /// Symbol-table index of each model symbol; `None` for section and file symbols.
    pub index_of_user: Vec<Option<u32>>,
    /// Symbol-table index of the `ltmpN` at the start of each model section that has one.
    pub section_start: Vec<Option<u32>>,
    /// Per model section, the (offset, index) of every symbol defined in it, by offset: the
    /// starts of the subsections the linker splits it into.
    pub starts: Vec<Vec<(u64, u32)>>,
}

/// What an `nlist` is written for.
enum Written {
    /// Model symbol `i`.
    User(usize),
    /// The start of model section `s` (`ltmpN`).
    SectionStart(usize),
}

/// Whether model symbol `kind` has an `nlist` of its own.
pub(super) fn is_written(kind: SymbolKind) -> bool {
    !matches!(kind, SymbolKind::Section | SymbolKind::File)
}

impl SymbolTable {
    /// `needs_start[s]`: model section `s` needs an `ltmpN` symbol at offset 0.
    pub(super) fn build<'a>(
        obj: &'a Object,
        sections: &Sections,
        needs_start: &[bool],
        strtab: &mut StringTable<'a>,
    ) -> Result<SymbolTable, Error> {
        let mangle = obj.options.mangle;
        let name_of = |name: &'a str| -> Cow<'a, [u8]> {
            if mangle && !name.is_empty() {
                Cow::Owned(format!("_{name}").into_bytes())
            } else {
                Cow::Borrowed(name.as_bytes())
            }
        };
        let mut locals = Vec::new();
        let mut extdefs = Vec::new();
        let mut undefs = Vec::new();
        for (i, s) in obj.symbols.iter().enumerate() {
            if !is_written(s.kind) {
                continue;
            }
            let group = match (s.definition, s.binding) {
                (SymbolDefinition::Defined { .. }, Binding::Local) => &mut locals,
                (SymbolDefinition::Defined { .. }, _) => &mut extdefs,
                _ => &mut undefs,
            };
            group.push((name_of(&s.name), Written::User(i)));
        }
        for (section, &needed) in needs_start.iter().enumerate() {
            if needed {
                let ordinal = sections.n_sect(section) - 1;
                let name = Cow::Owned(format!("ltmp{ordinal}").into_bytes());
                locals.push((name, Written::SectionStart(section)));
            }
        }
        // The linker looks external definitions and undefined symbols up by name.
        extdefs.sort_by(|a, b| a.0.cmp(&b.0));
        undefs.sort_by(|a, b| a.0.cmp(&b.0));

        let count = locals.len() + extdefs.len() + undefs.len();
        if count > R_SYMBOLNUM_MASK as usize {
            return Err(Error::unsupported(
                Place::Object,
                format!("{count} symbols; a Mach-O relocation numbers symbols in 24 bits"),
            ));
        }
        let mut table = SymbolTable {
            entries: Vec::with_capacity(count),
            nlocal: locals.len() as u32,
            nextdef: extdefs.len() as u32,
            nundef: undefs.len() as u32,
            index_of_user: vec![None; obj.symbols.len()],
            section_start: vec![None; obj.sections.len()],
            starts: vec![Vec::new(); obj.sections.len()],
        };
        for (name, written) in locals.into_iter().chain(extdefs).chain(undefs) {
            let index = table.entries.len() as u32;
            let name = strtab.add(name);
            let entry = match written {
                Written::User(i) => {
                    table.index_of_user[i] = Some(index);
                    nlist(obj, sections, i, name)?
                }
                Written::SectionStart(section) => {
                    table.section_start[section] = Some(index);
                    Nlist {
                        name,
                        n_type: N_SECT,
                        n_sect: sections.n_sect(section),
                        n_desc: 0,
                        n_value: sections.of_model(section).addr,
                    }
                }
            };
            table.entries.push(entry);
        }
        for (i, s) in obj.symbols.iter().enumerate() {
            if let (SymbolDefinition::Defined { section, offset }, Some(index)) =
                (s.definition, table.index_of_user[i])
            {
                table.starts[section.0].push((offset, index));
            }
        }
        for (section, index) in table.section_start.iter().enumerate() {
            if let Some(index) = index {
                table.starts[section].push((0, *index));
            }
        }
        for starts in &mut table.starts {
            starts.sort_unstable();
        }
        Ok(table)
    }

    /// The symbol that starts the subsection holding `offset` of model section `section`, and
    /// its offset: the last symbol at or before `offset`.
    pub(super) fn subsection_at(&self, section: usize, offset: u64) -> Option<(u64, u32)> {
        let starts = self.starts.get(section)?;
        let after = starts.partition_point(|&(at, _)| at <= offset);
        after.checked_sub(1).and_then(|i| starts.get(i)).copied()
    }
}

/// The `nlist_64` of model symbol `i`.
fn nlist(obj: &Object, sections: &Sections, i: usize, name: StringId) -> Result<Nlist, Error> {
    let s = &obj.symbols[i];
    let external = if s.binding == Binding::Local {
        0
    } else {
        N_EXT
    };
    // Protected has no Mach-O form: references from inside a linked image bind locally anyway.
    let private = if s.binding != Binding::Local && s.visibility == Visibility::Hidden {
        N_PEXT
    } else {
        0
    };
    Ok(match s.definition {
        SymbolDefinition::Defined { section, offset } => Nlist {
            name,
            n_type: N_SECT | external | private,
            n_sect: sections.n_sect(section.0),
            n_desc: if s.binding == Binding::Weak {
                N_WEAK_DEF
            } else {
                0
            },
            n_value: sections.of_model(section.0).addr + offset,
        },
        SymbolDefinition::Undefined => Nlist {
            name,
            n_type: N_UNDF | N_EXT,
            n_sect: 0,
            n_desc: if s.binding == Binding::Weak {
                N_WEAK_REF
            } else {
                0
            },
            n_value: 0,
        },
        SymbolDefinition::Common { size, align } => {
            let log2 = align.trailing_zeros();
            if log2 > 15 {
                return Err(Error::unsupported(
                    Place::Symbol(i, Some("common")),
                    format!("align {align} is over 2^15, the most a Mach-O common symbol records"),
                ));
            }
            Nlist {
                name,
                n_type: N_UNDF | N_EXT | private,
                n_sect: 0,
                // SET_COMM_ALIGN: log2 of the alignment in bits 8..12.
                n_desc: (log2 as u16) << 8,
                n_value: size,
            }
        }
        // File symbols are not written (`is_written`); nothing else lacks a section.
        SymbolDefinition::Absolute => Nlist {
            name,
            n_type: N_UNDF,
            n_sect: 0,
            n_desc: 0,
            n_value: 0,
        },
    })
}
