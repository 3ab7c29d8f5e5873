//! The COFF symbol table, in the order the writer emits it: `.file` records, `@feat.00`, each
//! section's symbol with its section definition (a leader's COMDAT symbol right after it, as
//! COFF requires), then the backend's symbols in their order — a weak one as a weak external
//! followed by the default it falls back to.
//!
//! [`SymbolTable::build`] names and numbers the records; [`SymbolTable::walk`] produces them
//! one by one, for the layout to count and for the writer to write, so no record is stored.

use std::borrow::Cow;

use super::comdat::{Comdats, Key};
use super::consts::*;
use crate::error::{Error, Place};
use crate::model::{Binding, Object, Symbol, SymbolDefinition, SymbolKind};
use crate::strtab::{Prefix, StringId, StringTable};
use crate::target::Architecture;

/// A section or symbol name: inline when it fits 8 bytes, else in the string table.
#[derive(Clone, Copy, Debug)]
pub(super) enum Name {
    /// Up to 8 bytes, NUL-padded.
    Short([u8; SHORT_NAME_LEN]),
    /// A string added to the string table.
    Long(StringId),
    /// Model symbol `i`'s name, which the string table holds.
    Symbol(usize),
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

    /// Model symbol `i`'s name, with `prefix`.
    fn of_symbol(prefix: Prefix, s: &Symbol, i: usize) -> Name {
        let name = s.name.as_bytes();
        let p = prefix.of(name);
        if p.len() + name.len() <= SHORT_NAME_LEN {
            let mut short = [0; SHORT_NAME_LEN];
            short[..p.len()].copy_from_slice(p);
            short[p.len()..p.len() + name.len()].copy_from_slice(name);
            Name::Short(short)
        } else {
            Name::Symbol(i)
        }
    }

    /// Whether model symbol `s`'s name, with `prefix`, goes in the string table.
    pub(super) fn is_long(prefix: Prefix, s: &Symbol) -> bool {
        let name = s.name.as_bytes();
        prefix.of(name).len() + name.len() > SHORT_NAME_LEN
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

pub(super) struct SymbolTable {
    /// `NumberOfSymbols`: records plus auxiliary records.
    pub number_of_symbols: u32,
    /// Symbol table index of each model symbol (a section symbol: its section's).
    index_of_user: Vec<u32>,
    /// Whether objforge writes `@feat.00` (the backend did not give one).
    feat: bool,
    /// File symbols (a pass over the model looks for them only if there are some).
    files: usize,
    /// Every section's name, the model's then `.drectve`'s; section `k` has number `k + 1`.
    pub section_names: Vec<Name>,
    /// Symbol table index of each section's symbol (its section definition is the record
    /// after it), the model's sections then `.drectve`.
    pub section_symbol: Vec<u32>,
    /// Per model section leading a group no symbol names: its COMDAT symbol's name.
    key_names: Vec<Option<Name>>,
    /// The names of the weak symbols' defaults, in symbol order.
    weak_defaults: Vec<(usize, Name)>,
    record_size: usize,
    pub prefix: Prefix,
}

/// The name as the linker sees it: 32-bit Windows puts `_` before C names. Names that begin
/// with `?` (MSVC C++) or `@` (fastcall, `@feat.00`) are already complete.
pub(super) fn decorate<'a>(obj: &Object, name: &'a [u8]) -> Cow<'a, [u8]> {
    let p = prefix(obj).of(name);
    if p.is_empty() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned([p, name].concat())
    }
}

/// What goes before a C name on this target.
pub(super) fn prefix(obj: &Object) -> Prefix {
    if obj.target.arch == Architecture::I386 && obj.options.mangle {
        Prefix::Windows32
    } else {
        Prefix::None
    }
}

impl SymbolTable {
    /// `section_names` holds every section's name, the model's then `.drectve`'s if any;
    /// section `i` has number `i + 1`. The model's long names are in `strtab` already.
    pub(super) fn build<'a>(
        obj: &'a Object,
        comdats: &Comdats<'a>,
        section_names: &[&'a str],
        strtab: &mut StringTable<'a>,
        record_size: usize,
    ) -> Result<SymbolTable, Error> {
        // One pass over the model's symbols for what the table needs to know of them.
        let mut files = 0;
        let mut feat = true;
        let mut section_kind = Vec::new();
        let mut too_big: Option<usize> = None;
        for (i, s) in obj.symbols.iter().enumerate() {
            if s.kind == SymbolKind::File {
                files += 1;
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
            }
            feat &= s.name != FEAT00_NAME;
            if s.kind == SymbolKind::Section && !comdats.is_key.get(i).copied().unwrap_or(false) {
                section_kind.push(i);
            }
            if too_big.is_none() && writes_own_record(comdats, i, s) {
                let value = match s.definition {
                    SymbolDefinition::Common { size, .. } => size,
                    SymbolDefinition::Defined { offset, .. } => offset,
                    _ => 0,
                };
                if u32::try_from(value).is_err() {
                    too_big = Some(i);
                }
            }
        }
        let names: Vec<Name> = section_names
            .iter()
            .map(|name| Name::new(name.as_bytes(), strtab))
            .collect();
        let key_names = (0..section_names.len())
            .map(|k| match comdats.key.get(k).copied().flatten() {
                Some(Key::Synthesized(group)) => {
                    Some(Name::new(decorate(obj, group.as_bytes()), strtab))
                }
                _ => None,
            })
            .collect();

        // A weak symbol's default is external too, so it needs a name no other object uses:
        // LLVM's scheme, `.weak.NAME.default.` and the object's first strong global.
        let suffix: Cow<[u8]> = obj
            .symbols
            .iter()
            .find(|s| {
                s.binding == Binding::Global
                    && matches!(s.definition, SymbolDefinition::Defined { .. })
            })
            .map_or(Cow::Borrowed(&b""[..]), |s| {
                decorate(obj, s.name.as_bytes())
            });
        if let Some(i) = too_big {
            return Err(Error::unsupported(
                Place::Symbol(i, Some("common")),
                format!("a COFF common symbol holds at most {} bytes", u32::MAX),
            ));
        }
        let mut weak_defaults = Vec::new();
        for (i, s) in obj.symbols.iter().enumerate() {
            if writes_own_record(comdats, i, s) && is_weak_external(s) {
                let name = decorate(obj, s.name.as_bytes());
                let default_name = [b".weak.", &name[..], b".default.", &suffix[..]].concat();
                weak_defaults.push((i, Name::new(default_name, strtab)));
            }
        }

        let mut table = SymbolTable {
            number_of_symbols: 0,
            index_of_user: Vec::new(),
            feat,
            files,
            section_names: names,
            section_symbol: Vec::new(),
            key_names,
            weak_defaults,
            record_size,
            prefix: prefix(obj),
        };
        let mut index_of_user = vec![0u32; obj.symbols.len()];
        let mut section_symbol = vec![0u32; section_names.len()];
        let mut count = 0usize;
        table.walk(obj, comdats, false, |index, user, record| {
            if let Some(i) = user {
                index_of_user[i] = index;
            }
            if let Aux::Section(k) = record.aux {
                section_symbol[k] = index;
            }
            count = index as usize + 1 + record.aux.count(record_size);
        });
        for i in section_kind {
            let section = obj.symbols[i].section_id().map_or(0, |id| id.index());
            index_of_user[i] = section_symbol.get(section).copied().unwrap_or(0);
        }
        let Ok(number_of_symbols) = u32::try_from(count) else {
            return Err(Error::unsupported(
                Place::Object,
                "more symbol records than a COFF symbol table counts",
            ));
        };
        table.number_of_symbols = number_of_symbols;
        table.index_of_user = index_of_user;
        table.section_symbol = section_symbol;
        Ok(table)
    }

    /// The symbol table index of model symbol `i`.
    #[inline]
    pub(super) fn index_of_user(&self, i: usize) -> u32 {
        self.index_of_user.get(i).copied().unwrap_or(0)
    }

    /// Calls `each(index, model symbol, record)` for every record, in table order. Without
    /// `named`, the model's symbols' records carry no name (for counting them).
    pub(super) fn walk<'o>(
        &self,
        obj: &'o Object,
        comdats: &Comdats,
        named: bool,
        mut each: impl FnMut(u32, Option<usize>, SymbolRecord<'o>),
    ) {
        let name_of = |s: &Symbol, i: usize| {
            if named {
                Name::of_symbol(self.prefix, s, i)
            } else {
                Name::Short([0; SHORT_NAME_LEN])
            }
        };
        let mut next = 0usize;
        let mut push = |user: Option<usize>, mut record: SymbolRecord<'o>| {
            let index = next as u32;
            if let Aux::WeakExternal { tag_index } = &mut record.aux {
                // Its default comes right after it and its auxiliary record, unless it keys a
                // COMDAT and came with its section (never at index 0).
                if *tag_index == 0 {
                    *tag_index = index + 2;
                }
            }
            next += 1 + record.aux.count(self.record_size);
            each(index, user, record);
            index
        };
        let files: &[Symbol] = if self.files > 0 { &obj.symbols } else { &[] };
        for (i, s) in files.iter().enumerate() {
            if s.kind == SymbolKind::File {
                let mut short = [0; SHORT_NAME_LEN];
                short[..FILE_SYMBOL_NAME.len()].copy_from_slice(FILE_SYMBOL_NAME.as_bytes());
                push(
                    Some(i),
                    SymbolRecord {
                        name: Name::Short(short),
                        value: 0,
                        section_number: IMAGE_SYM_DEBUG,
                        type_: IMAGE_SYM_TYPE_NULL,
                        storage_class: IMAGE_SYM_CLASS_FILE,
                        aux: Aux::File(s.name.as_bytes()),
                    },
                );
            }
        }

        if self.feat {
            let feat = if obj.target.arch == Architecture::I386 {
                FEAT00_SAFESEH
            } else {
                0
            };
            let mut short = [0; SHORT_NAME_LEN];
            short[..FEAT00_NAME.len()].copy_from_slice(FEAT00_NAME.as_bytes());
            push(
                None,
                SymbolRecord {
                    name: Name::Short(short),
                    value: feat,
                    section_number: IMAGE_SYM_ABSOLUTE,
                    type_: IMAGE_SYM_TYPE_NULL,
                    storage_class: IMAGE_SYM_CLASS_STATIC,
                    aux: Aux::None,
                },
            );
        }

        // (weak symbol, symbol table index of its default) for defaults that key a COMDAT.
        let mut key_defaults: Vec<(usize, u32)> = Vec::new();
        for (k, &name) in self.section_names.iter().enumerate() {
            let number = k as i32 + 1;
            push(
                None,
                SymbolRecord {
                    name,
                    value: 0,
                    section_number: number,
                    type_: IMAGE_SYM_TYPE_NULL,
                    storage_class: IMAGE_SYM_CLASS_STATIC,
                    aux: Aux::Section(k),
                },
            );
            match comdats.key.get(k).copied().flatten() {
                Some(Key::Symbol(i)) => {
                    let s = &obj.symbols[i];
                    push(
                        Some(i),
                        SymbolRecord {
                            name: name_of(s, i),
                            value: defined_offset(s.definition),
                            section_number: number,
                            type_: symbol_type(s.kind),
                            storage_class: if s.binding == Binding::Local {
                                IMAGE_SYM_CLASS_STATIC
                            } else {
                                IMAGE_SYM_CLASS_EXTERNAL
                            },
                            aux: Aux::None,
                        },
                    );
                }
                Some(Key::WeakDefault(i)) => {
                    // The weak symbol's default, here as the COMDAT symbol; its weak
                    // external, written later, points back at it.
                    let s = &obj.symbols[i];
                    let default = self
                        .weak_defaults
                        .binary_search_by_key(&i, |&(w, _)| w)
                        .ok()
                        .and_then(|at| self.weak_defaults.get(at));
                    if let Some(&(_, name)) = default {
                        let index = push(
                            None,
                            SymbolRecord {
                                name,
                                value: defined_offset(s.definition),
                                section_number: number,
                                type_: symbol_type(s.kind),
                                storage_class: IMAGE_SYM_CLASS_EXTERNAL,
                                aux: Aux::None,
                            },
                        );
                        key_defaults.push((i, index));
                    }
                }
                Some(Key::Synthesized(_)) => {
                    if let Some(Some(name)) = self.key_names.get(k) {
                        push(
                            None,
                            SymbolRecord {
                                name: *name,
                                value: 0,
                                section_number: number,
                                type_: IMAGE_SYM_TYPE_NULL,
                                storage_class: IMAGE_SYM_CLASS_EXTERNAL,
                                aux: Aux::None,
                            },
                        );
                    }
                }
                Some(Key::Section) | None => {}
            }
        }

        let mut weak_defaults = self.weak_defaults.iter();
        for (i, s) in obj.symbols.iter().enumerate() {
            if !writes_own_record(comdats, i, s) {
                continue;
            }
            let name = name_of(s, i);
            let type_ = symbol_type(s.kind);
            let (section_number, value) = match s.definition {
                SymbolDefinition::Defined { section, offset } => (section.0 as i32 + 1, offset),
                SymbolDefinition::Undefined => (IMAGE_SYM_UNDEFINED, 0),
                SymbolDefinition::Common { size, .. } => (IMAGE_SYM_UNDEFINED, size),
                SymbolDefinition::Absolute => (IMAGE_SYM_ABSOLUTE, 0),
            };
            // Checked to fit by `build`.
            let value = value as u32;
            if is_weak_external(s) {
                // The weak external, then the default it resolves to when nothing else
                // defines the name: the definition here, or absolute 0 for a weak reference.
                let default_name = weak_defaults
                    .next()
                    .map_or(Name::Short([0; 8]), |&(_, name)| name);
                let keyed = key_defaults.iter().find(|&&(w, _)| w == i);
                push(
                    Some(i),
                    SymbolRecord {
                        name,
                        value: 0,
                        section_number: IMAGE_SYM_UNDEFINED,
                        type_,
                        storage_class: IMAGE_SYM_CLASS_WEAK_EXTERNAL,
                        aux: Aux::WeakExternal {
                            tag_index: keyed.map_or(0, |&(_, index)| index),
                        },
                    },
                );
                if keyed.is_some() {
                    continue;
                }
                let defined = section_number != IMAGE_SYM_UNDEFINED;
                push(
                    None,
                    SymbolRecord {
                        name: default_name,
                        value,
                        section_number: if defined {
                            section_number
                        } else {
                            IMAGE_SYM_ABSOLUTE
                        },
                        type_,
                        storage_class: IMAGE_SYM_CLASS_EXTERNAL,
                        aux: Aux::None,
                    },
                );
                continue;
            }
            let storage_class = if s.binding == Binding::Local {
                IMAGE_SYM_CLASS_STATIC
            } else {
                IMAGE_SYM_CLASS_EXTERNAL
            };
            push(
                Some(i),
                SymbolRecord {
                    name,
                    value,
                    section_number,
                    type_,
                    storage_class,
                    aux: Aux::None,
                },
            );
        }
    }
}

/// Whether model symbol `i` gets a record among the backend's symbols (not a file symbol, a
/// section symbol or a COMDAT symbol, which are written earlier).
fn writes_own_record(comdats: &Comdats, i: usize, s: &Symbol) -> bool {
    !comdats.is_key.get(i).copied().unwrap_or(false)
        && !matches!(s.kind, SymbolKind::File | SymbolKind::Section)
}

/// A weak symbol other than a common one: a weak external and its default.
fn is_weak_external(s: &Symbol) -> bool {
    s.binding == Binding::Weak && !matches!(s.definition, SymbolDefinition::Common { .. })
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
