//! `.symtab` in the order the gABI demands: the null entry, then every local (file symbols,
//! section symbols, group signatures, the backend's locals, RISC-V `%pcrel_hi` labels), then
//! every global and weak symbol; `sh_info` is the index of the first non-local.

use super::consts::*;
use crate::error::Error;
use crate::hash::FxHashMap;
use crate::model::{Binding, Object, SymbolDefinition, SymbolKind, Visibility};
use crate::strtab::{StringId, StringTable};

/// Which section a symbol belongs to, before the `SHN_XINDEX` escape is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SymbolSection {
    Undefined,
    Absolute,
    Common,
    /// A real section header index (may exceed `SHN_LORESERVE`).
    Index(u32),
}

/// One `.symtab` entry, class-neutral.
pub(super) struct SymtabEntry {
    pub name: StringId,
    pub info: u8,
    pub other: u8,
    pub shndx: SymbolSection,
    pub value: u64,
    pub size: u64,
}

pub(super) struct SymbolTable {
    pub entries: Vec<SymtabEntry>,
    pub first_global: u32,
    /// `.symtab` index of each model symbol (section-kind symbols share the section's entry).
    pub index_of_user: Vec<u32>,
    /// `.symtab` index of each group's signature symbol.
    pub group_signature: Vec<u32>,
    /// `.symtab` index of the label at each (section, offset) a `%pcrel_lo` refers to.
    pcrel_labels: FxHashMap<(usize, u64), u32>,
}

impl SymbolTable {
    pub(super) fn build<'a>(
        obj: &'a Object,
        strtab: &mut StringTable<'a>,
        section_shndx: &[u32],
        groups: &[&'a str],
        group_shndx: &[u32],
    ) -> Result<SymbolTable, Error> {
        let mut entries = Vec::with_capacity(1 + obj.sections.len() + obj.symbols.len());
        let mut index_of_user = vec![0u32; obj.symbols.len()];
        let empty = strtab.add(&b""[..]);
        entries.push(SymtabEntry {
            name: empty,
            info: 0,
            other: 0,
            shndx: SymbolSection::Undefined,
            value: 0,
            size: 0,
        });
        for (i, s) in obj.symbols.iter().enumerate() {
            if s.kind == SymbolKind::File {
                index_of_user[i] = entries.len() as u32;
                entries.push(SymtabEntry {
                    name: strtab.add(s.name.as_bytes()),
                    info: STT_FILE,
                    other: STV_DEFAULT,
                    shndx: SymbolSection::Absolute,
                    value: 0,
                    size: 0,
                });
            }
        }
        let first_section_symbol = entries.len() as u32;
        for &shndx in section_shndx {
            entries.push(SymtabEntry {
                name: empty,
                info: STT_SECTION,
                other: STV_DEFAULT,
                shndx: SymbolSection::Index(shndx),
                value: 0,
                size: 0,
            });
        }

        // A group's signature is the global symbol of that name if there is one; otherwise
        // a local symbol in the group section itself, as assemblers make.
        let globals: FxHashMap<&str, usize> = if groups.is_empty() {
            FxHashMap::default()
        } else {
            obj.symbols
                .iter()
                .enumerate()
                .filter(|(_, s)| s.binding != Binding::Local)
                .map(|(i, s)| (s.name.as_str(), i))
                .collect()
        };
        let mut group_signature = vec![0u32; groups.len()];
        let mut group_global: Vec<Option<usize>> = vec![None; groups.len()];
        for (g, &name) in groups.iter().enumerate() {
            match globals.get(name) {
                Some(&i) => group_global[g] = Some(i),
                None => {
                    group_signature[g] = entries.len() as u32;
                    entries.push(SymtabEntry {
                        name: strtab.add(name.as_bytes()),
                        info: STT_NOTYPE,
                        other: STV_DEFAULT,
                        shndx: SymbolSection::Index(group_shndx[g]),
                        value: 0,
                        size: 0,
                    });
                }
            }
        }

        for (i, s) in obj.symbols.iter().enumerate() {
            if s.binding != Binding::Local || s.kind == SymbolKind::File {
                continue;
            }
            if s.kind == SymbolKind::Section {
                let section = s.section_id().map_or(0, |id| id.0);
                index_of_user[i] = first_section_symbol + section as u32;
                continue;
            }
            index_of_user[i] = entries.len() as u32;
            entries.push(entry(obj, strtab, section_shndx, i, STB_LOCAL));
        }

        let mut pcrel_labels = FxHashMap::default();
        for r in &obj.relocations {
            if let (true, Some(pair)) = (r.kind.is_pcrel_lo12(), r.pair) {
                let next = entries.len() as u32;
                let index = *pcrel_labels.entry((r.section.0, pair)).or_insert(next);
                if index == next {
                    entries.push(SymtabEntry {
                        name: strtab.add(format!(".Lpcrel_hi{}", next).into_bytes()),
                        info: STT_NOTYPE,
                        other: STV_DEFAULT,
                        shndx: SymbolSection::Index(section_shndx[r.section.0]),
                        value: pair,
                        size: 0,
                    });
                }
            }
        }

        let first_global = entries.len() as u32;
        for (i, s) in obj.symbols.iter().enumerate() {
            if s.binding == Binding::Local {
                continue;
            }
            let bind = if s.binding == Binding::Weak {
                STB_WEAK
            } else {
                STB_GLOBAL
            };
            index_of_user[i] = entries.len() as u32;
            entries.push(entry(obj, strtab, section_shndx, i, bind));
        }
        for (g, global) in group_global.iter().enumerate() {
            if let Some(i) = global {
                group_signature[g] = index_of_user[*i];
            }
        }
        Ok(SymbolTable {
            entries,
            first_global,
            index_of_user,
            group_signature,
            pcrel_labels,
        })
    }

    /// The label a `%pcrel_lo` at `pair` in `section` refers to.
    pub(super) fn pcrel_label(&self, section: usize, pair: u64) -> u32 {
        self.pcrel_labels
            .get(&(section, pair))
            .copied()
            .unwrap_or(0)
    }
}

fn entry<'a>(
    obj: &'a Object,
    strtab: &mut StringTable<'a>,
    section_shndx: &[u32],
    i: usize,
    bind: u8,
) -> SymtabEntry {
    let s = &obj.symbols[i];
    let kind = match s.kind {
        SymbolKind::None | SymbolKind::Section | SymbolKind::File => STT_NOTYPE,
        SymbolKind::Func => STT_FUNC,
        SymbolKind::Object => STT_OBJECT,
        SymbolKind::Tls => STT_TLS,
    };
    let other = match s.visibility {
        Visibility::Default => STV_DEFAULT,
        Visibility::Hidden => STV_HIDDEN,
        Visibility::Protected => STV_PROTECTED,
    };
    let (shndx, value, size) = match s.definition {
        SymbolDefinition::Defined { section, offset } => (
            SymbolSection::Index(section_shndx[section.0]),
            offset,
            s.size,
        ),
        SymbolDefinition::Undefined => (SymbolSection::Undefined, 0, s.size),
        SymbolDefinition::Common { size, align } => (SymbolSection::Common, align, size),
        SymbolDefinition::Absolute => (SymbolSection::Absolute, 0, 0),
    };
    SymtabEntry {
        name: strtab.add(s.name.as_bytes()),
        info: (bind << 4) | kind,
        other,
        shndx,
        value,
        size,
    }
}
