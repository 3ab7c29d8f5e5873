//! The COFF symbol table, in the order the writer emits it: `.file` records, `@feat.00`, each
//! section's symbol with its section definition (a leader's COMDAT symbol right after it, as
//! COFF requires), then the backend's symbols in their order — a weak one as a weak external
//! followed by the default it falls back to.

use std::borrow::Cow;

use super::comdat::{Comdats, Key};
use super::consts::*;
use crate::error::{Error, Place};
use crate::model::{Binding, Object, SymbolDefinition, SymbolKind};
use crate::strtab::{StringId, StringTable};
use crate::target::Architecture;

/// A section or symbol name: inline when it fits 8 bytes, else in the string table.
#[derive(Clone, Copy, Debug)]
pub(super) enum Name {
    /// Up to 8 bytes, NUL-padded.
    Short([u8; SHORT_NAME_LEN]),
    /// The string table's copy.
    Long(StringId),
}

impl Name {
    pub(super) fn new<'a>(name: impl Into<Cow<'a, [u8]>>, strtab: &mut StringTable<'a>) -> Name {
        let name = name.into();
        if name.len() <= SHORT_NAME_LEN {
            let mut short = [0; SHORT_NAME_LEN];
            short[..name.len()].copy_from_slice(&name);
            Name::Short(short)
        } else {
            Name::Long(strtab.add(name))
        }
    }
}

/// The auxiliary records that follow a symbol.
#[derive(Clone, Copy, Debug)]
pub(super) enum Aux<'a> {
    None,
    /// The section definition of section `index` (0-based, `.drectve` included).
    Section(usize),
    /// A `.file` symbol's name, spread over as many records as it needs.
    File(&'a [u8]),
    /// A weak external's default.
    WeakExternal {
        /// Symbol table index of the default.
        tag_index: u32,
    },
}

impl Aux<'_> {
    /// How many auxiliary records this takes, for records of `record_size` bytes.
    pub(super) fn count(&self, record_size: usize) -> usize {
        match self {
            Aux::None => 0,
            Aux::Section(_) | Aux::WeakExternal { .. } => 1,
            Aux::File(name) => name.len().div_ceil(record_size).max(1),
        }
    }
}

/// One `IMAGE_SYMBOL` (`IMAGE_SYMBOL_EX` in bigobj), before its auxiliary records.
pub(super) struct SymbolRecord<'a> {
    pub name: Name,
    pub value: u32,
    pub section_number: i32,
    pub type_: u16,
    pub storage_class: u8,
    pub aux: Aux<'a>,
}

pub(super) struct SymbolTable<'a> {
    pub records: Vec<SymbolRecord<'a>>,
    /// `NumberOfSymbols`: records plus auxiliary records.
    pub number_of_symbols: u32,
    /// Symbol table index of each model symbol (a section symbol: its section's).
    pub index_of_user: Vec<u32>,
}

/// The name as the linker sees it: 32-bit Windows puts `_` before C names. Names that begin
/// with `?` (MSVC C++) or `@` (fastcall, `@feat.00`) are already complete.
pub(super) fn decorate<'a>(obj: &Object, name: &'a str) -> Cow<'a, [u8]> {
    let prefix = obj.target.arch == Architecture::I386
        && obj.options.mangle
        && !name.is_empty()
        && !name.starts_with(['?', '@']);
    if prefix {
        Cow::Owned([b"_", name.as_bytes()].concat())
    } else {
        Cow::Borrowed(name.as_bytes())
    }
}

struct Builder<'a> {
    records: Vec<SymbolRecord<'a>>,
    next_index: usize,
    record_size: usize,
}

impl<'a> Builder<'a> {
    fn push(&mut self, record: SymbolRecord<'a>) -> u32 {
        let index = self.next_index as u32;
        self.next_index += 1 + record.aux.count(self.record_size);
        self.records.push(record);
        index
    }
}

impl<'a> SymbolTable<'a> {
    /// `section_names` holds every section's name, the model's then `.drectve`'s if any;
    /// section `i` has number `i + 1`.
    pub(super) fn build(
        obj: &'a Object,
        comdats: &Comdats<'a>,
        section_names: &[&'a str],
        strtab: &mut StringTable<'a>,
        record_size: usize,
    ) -> Result<SymbolTable<'a>, Error> {
        let mut b = Builder {
            records: Vec::with_capacity(2 * section_names.len() + obj.symbols.len() + 1),
            next_index: 0,
            record_size,
        };
        let mut index_of_user = vec![0u32; obj.symbols.len()];

        for (i, s) in obj.symbols.iter().enumerate() {
            if s.kind != SymbolKind::File {
                continue;
            }
            if s.name.len().div_ceil(record_size) > usize::from(u8::MAX) {
                return Err(Error::unsupported(
                    Place::Symbol(i, Some("name")),
                    format!(
                        "a COFF .file record holds at most {} bytes of name; this one is {}",
                        usize::from(u8::MAX) * record_size,
                        s.name.len()
                    ),
                ));
            }
            index_of_user[i] = b.push(SymbolRecord {
                name: Name::new(FILE_SYMBOL_NAME.as_bytes(), strtab),
                value: 0,
                section_number: IMAGE_SYM_DEBUG,
                type_: IMAGE_SYM_TYPE_NULL,
                storage_class: IMAGE_SYM_CLASS_FILE,
                aux: Aux::File(s.name.as_bytes()),
            });
        }

        if !obj.symbols.iter().any(|s| s.name == FEAT00_NAME) {
            let feat = if obj.target.arch == Architecture::I386 {
                FEAT00_SAFESEH
            } else {
                0
            };
            b.push(SymbolRecord {
                name: Name::new(FEAT00_NAME.as_bytes(), strtab),
                value: feat,
                section_number: IMAGE_SYM_ABSOLUTE,
                type_: IMAGE_SYM_TYPE_NULL,
                storage_class: IMAGE_SYM_CLASS_STATIC,
                aux: Aux::None,
            });
        }

        let mut section_symbol = Vec::with_capacity(section_names.len());
        for (k, &name) in section_names.iter().enumerate() {
            let number = k as i32 + 1;
            section_symbol.push(b.push(SymbolRecord {
                name: Name::new(name.as_bytes(), strtab),
                value: 0,
                section_number: number,
                type_: IMAGE_SYM_TYPE_NULL,
                storage_class: IMAGE_SYM_CLASS_STATIC,
                aux: Aux::Section(k),
            }));
            match comdats.key.get(k).copied().flatten() {
                Some(Key::Symbol(i)) => {
                    let s = &obj.symbols[i];
                    index_of_user[i] = b.push(SymbolRecord {
                        name: Name::new(decorate(obj, &s.name), strtab),
                        value: defined_offset(s.definition),
                        section_number: number,
                        type_: symbol_type(s.kind),
                        storage_class: IMAGE_SYM_CLASS_EXTERNAL,
                        aux: Aux::None,
                    });
                }
                Some(Key::Synthesized(group)) => {
                    b.push(SymbolRecord {
                        name: Name::new(decorate(obj, group), strtab),
                        value: 0,
                        section_number: number,
                        type_: IMAGE_SYM_TYPE_NULL,
                        storage_class: IMAGE_SYM_CLASS_EXTERNAL,
                        aux: Aux::None,
                    });
                }
                None => {}
            }
        }

        // A weak symbol's default is external too, so it needs a name no other object uses:
        // LLVM's scheme, `.weak.NAME.default.` and the object's first strong global.
        let suffix: Cow<[u8]> = obj
            .symbols
            .iter()
            .find(|s| {
                s.binding == Binding::Global
                    && matches!(s.definition, SymbolDefinition::Defined { .. })
            })
            .map_or(Cow::Borrowed(&b""[..]), |s| decorate(obj, &s.name));

        for (i, s) in obj.symbols.iter().enumerate() {
            if comdats.is_key.get(i).copied().unwrap_or(false) || s.kind == SymbolKind::File {
                continue;
            }
            if s.kind == SymbolKind::Section {
                let section = s.section_id().map_or(0, |id| id.0);
                index_of_user[i] = section_symbol.get(section).copied().unwrap_or(0);
                continue;
            }
            let name = decorate(obj, &s.name);
            let type_ = symbol_type(s.kind);
            let (section_number, value) = match s.definition {
                SymbolDefinition::Defined { section, offset } => (section.0 as i32 + 1, offset),
                SymbolDefinition::Undefined => (IMAGE_SYM_UNDEFINED, 0),
                SymbolDefinition::Common { size, .. } => (IMAGE_SYM_UNDEFINED, size),
                SymbolDefinition::Absolute => (IMAGE_SYM_ABSOLUTE, 0),
            };
            let Ok(value) = u32::try_from(value) else {
                return Err(Error::unsupported(
                    Place::Symbol(i, Some("common")),
                    format!("a COFF common symbol holds at most {} bytes", u32::MAX),
                ));
            };
            let is_common = matches!(s.definition, SymbolDefinition::Common { .. });
            if s.binding == Binding::Weak && !is_common {
                // The weak external, then the default it resolves to when nothing else
                // defines the name: the definition here, or absolute 0 for a weak reference.
                let default_name = [b".weak.", &name[..], b".default.", &suffix[..]].concat();
                let weak = b.next_index as u32;
                index_of_user[i] = b.push(SymbolRecord {
                    name: Name::new(name, strtab),
                    value: 0,
                    section_number: IMAGE_SYM_UNDEFINED,
                    type_,
                    storage_class: IMAGE_SYM_CLASS_WEAK_EXTERNAL,
                    aux: Aux::WeakExternal {
                        tag_index: weak + 2,
                    },
                });
                let defined = section_number != IMAGE_SYM_UNDEFINED;
                b.push(SymbolRecord {
                    name: Name::new(default_name, strtab),
                    value,
                    section_number: if defined {
                        section_number
                    } else {
                        IMAGE_SYM_ABSOLUTE
                    },
                    type_,
                    storage_class: IMAGE_SYM_CLASS_EXTERNAL,
                    aux: Aux::None,
                });
                continue;
            }
            let storage_class = if s.binding == Binding::Local {
                IMAGE_SYM_CLASS_STATIC
            } else {
                IMAGE_SYM_CLASS_EXTERNAL
            };
            index_of_user[i] = b.push(SymbolRecord {
                name: Name::new(name, strtab),
                value,
                section_number,
                type_,
                storage_class,
                aux: Aux::None,
            });
        }
        let Ok(number_of_symbols) = u32::try_from(b.next_index) else {
            return Err(Error::unsupported(
                Place::Object,
                "more symbol records than a COFF symbol table counts",
            ));
        };
        Ok(SymbolTable {
            records: b.records,
            number_of_symbols,
            index_of_user,
        })
    }
}

fn defined_offset(definition: SymbolDefinition) -> u32 {
    match definition {
        // Sections are at most 4 GiB (checked before), so the offset fits.
        SymbolDefinition::Defined { offset, .. } => offset as u32,
        _ => 0,
    }
}

fn symbol_type(kind: SymbolKind) -> u16 {
    if kind == SymbolKind::Func {
        IMAGE_SYM_TYPE_FUNCTION
    } else {
        IMAGE_SYM_TYPE_NULL
    }
}
