//! `.symtab` in the order the gABI demands: the null entry, then every local (file symbols,
//! the section symbols the model names, group signatures, the backend's locals, RISC-V `%pcrel_hi` labels), then
//! every global and weak symbol; `sh_info` is the index of the first non-local.
//!
//! The layout only numbers the entries ([`SymbolTable::build`]); [`SymbolTable::write`]
//! produces each one from the model as it goes out, so no entry is stored.

use super::consts::*;
use super::Class;
use crate::hash::FxHashMap;
use crate::model::{Binding, Object, SymbolDefinition, SymbolKind, Visibility};
use crate::out::Out;
use crate::strtab::{StringId, StringTable};

/// A local symbol objforge adds: a group's signature or a `%pcrel_hi` label.
struct Added {
    name: StringId,
    shndx: u32,
    value: u64,
}

/// Which section a symbol belongs to, before the `SHN_XINDEX` escape is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SymbolSection {
    Undefined,
    Absolute,
    Common,
    /// A real section header index (may exceed `SHN_LORESERVE`).
    Index(u32),
}

impl SymbolSection {
    /// `st_shndx`.
    fn field(self) -> u16 {
        match self {
            SymbolSection::Undefined => SHN_UNDEF as u16,
            SymbolSection::Absolute => SHN_ABS as u16,
            SymbolSection::Common => SHN_COMMON as u16,
            SymbolSection::Index(i) if i >= SHN_LORESERVE => SHN_XINDEX as u16,
            SymbolSection::Index(i) => i as u16,
        }
    }

    /// The `.symtab_shndx` entry.
    fn extended(self) -> u32 {
        match self {
            SymbolSection::Index(i) if i >= SHN_LORESERVE => i,
            _ => 0,
        }
    }
}

/// One entry: (name offset, `st_info`, `st_other`, section, value, size).
type Fields = (u32, u8, u8, SymbolSection, u64, u64);

pub(super) struct SymbolTable {
    /// Entries, the null one included.
    pub count: u32,
    pub first_global: u32,
    /// File symbols and the backend's other locals (a pass over the model skips the kinds it
    /// has none of).
    files: u32,
    locals: u32,
    /// `.symtab` index of each model symbol (section-kind symbols share the section's entry).
    index_of_user: Vec<u32>,
    /// The header index of each section that has a section symbol, in section order: only
    /// those the model names (for its relocations), as assemblers write them.
    section_symbols: Vec<u32>,
    /// Whether a symbol is `STB_GNU_UNIQUE`, which makes the object `ELFOSABI_GNU`.
    pub gnu_unique: bool,
    /// `.symtab` index of each group's signature symbol.
    pub group_signature: Vec<u32>,
    /// Signatures of groups no global names, then labels, in entry order.
    signatures: Vec<Added>,
    labels: Vec<Added>,
    /// `.symtab` index of the label at each (section, offset) a `%pcrel_lo` refers to.
    pcrel_labels: FxHashMap<(usize, u64), u32>,
}

/// Whether model symbol `kind` has an entry of its own (a section symbol uses its section's).
pub(super) fn has_entry(kind: SymbolKind) -> bool {
    kind != SymbolKind::Section
}

impl SymbolTable {
    /// Numbers every entry; adds the names of the entries objforge makes to `strtab` (the
    /// model's names are in it already).
    pub(super) fn build<'a>(
        obj: &'a Object,
        strtab: &mut StringTable<'a>,
        section_shndx: &[u32],
        groups: &[&'a str],
        group_shndx: &[u32],
        pcrel_lo12: bool,
    ) -> SymbolTable {
        // One pass over the symbols: each one's rank among its kind of entry (file symbols,
        // the backend's locals, globals); the entries before each kind are counted after.
        const FILE: u8 = 0;
        const SECTION: u8 = 1;
        const LOCAL: u8 = 2;
        const GLOBAL: u8 = 3;
        let mut kind_of = Vec::with_capacity(obj.symbols.len());
        let mut index_of_user = Vec::with_capacity(obj.symbols.len());
        let mut counts = [0u32; 4];
        let mut gnu_unique = false;
        // The entry of each section's symbol, relative to the first, or `NONE`; made only
        // when some symbol is a section symbol.
        const NONE: u32 = u32::MAX;
        let mut section_entry: Vec<u32> = Vec::new();
        for s in &obj.symbols {
            gnu_unique |= s.binding == Binding::GnuUnique;
            let kind = if s.kind == SymbolKind::File {
                FILE
            } else if s.binding != Binding::Local {
                GLOBAL
            } else if s.kind == SymbolKind::Section {
                SECTION
            } else {
                LOCAL
            };
            let rank = match kind {
                SECTION => {
                    let k = s.section_id().map_or(0, |id| id.index());
                    if section_entry.is_empty() {
                        section_entry = vec![NONE; section_shndx.len()];
                    }
                    if let Some(entry) = section_entry.get_mut(k) {
                        *entry = 0;
                    }
                    k as u32
                }
                _ => counts[usize::from(kind)],
            };
            counts[usize::from(kind)] += 1;
            kind_of.push(kind);
            index_of_user.push(rank);
        }
        let [files, _, locals, globals] = counts;
        let first_section_symbol = 1 + files;
        let mut section_symbols = Vec::new();
        for (entry, &shndx) in section_entry.iter_mut().zip(section_shndx) {
            if *entry != NONE {
                *entry = section_symbols.len() as u32;
                section_symbols.push(shndx);
            }
        }
        let mut next = first_section_symbol + section_symbols.len() as u32;

        // A group's signature is the global symbol of that name if there is one; otherwise
        // a local symbol in the group section itself, as assemblers make.
        let by_name: FxHashMap<&str, usize> = if groups.is_empty() {
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
        let mut signatures = Vec::new();
        for (g, &name) in groups.iter().enumerate() {
            match by_name.get(name) {
                Some(&i) => group_global[g] = Some(i),
                None => {
                    group_signature[g] = next;
                    next += 1;
                    signatures.push(Added {
                        name: strtab.add(name.as_bytes()),
                        shndx: group_shndx.get(g).copied().unwrap_or(0),
                        value: 0,
                    });
                }
            }
        }
        let first_local = next;
        next += locals;

        let mut pcrel_labels = FxHashMap::default();
        let mut labels = Vec::new();
        if pcrel_lo12 {
            for r in &obj.relocations {
                if let (true, Some(pair)) = (r.kind().is_pcrel_lo12(), r.pair()) {
                    let index = *pcrel_labels
                        .entry((r.section().index(), pair))
                        .or_insert(next);
                    if index == next {
                        labels.push(Added {
                            name: strtab.add(format!(".Lpcrel_hi{next}").into_bytes()),
                            shndx: section_shndx.get(r.section().index()).copied().unwrap_or(0),
                            value: pair,
                        });
                        next += 1;
                    }
                }
            }
        }

        let first_global = next;
        next += globals;
        let base = [1, first_section_symbol, first_local, first_global];
        for (index, &kind) in index_of_user.iter_mut().zip(&kind_of) {
            if kind == SECTION {
                *index = section_entry.get(*index as usize).copied().unwrap_or(0);
            }
            *index += base[usize::from(kind)];
        }
        for (g, global) in group_global.iter().enumerate() {
            if let Some(i) = global {
                group_signature[g] = index_of_user[*i];
            }
        }
        SymbolTable {
            count: next,
            first_global,
            files,
            locals,
            index_of_user,
            section_symbols,
            gnu_unique,
            group_signature,
            signatures,
            labels,
            pcrel_labels,
        }
    }

    /// The `.symtab` index of model symbol `i`.
    #[inline]
    pub(super) fn index_of_user(&self, i: usize) -> u32 {
        self.index_of_user.get(i).copied().unwrap_or(0)
    }

    /// The label a `%pcrel_lo` at `pair` in `section` refers to.
    pub(super) fn pcrel_label(&self, section: usize, pair: u64) -> u32 {
        self.pcrel_labels
            .get(&(section, pair))
            .copied()
            .unwrap_or(0)
    }

    /// Calls `each` with every entry, in order.
    fn for_each(
        &self,
        obj: &Object,
        strtab: &StringTable,
        section_shndx: &[u32],
        mut each: impl FnMut(Fields),
    ) {
        use SymbolSection::{Absolute, Index, Undefined};
        each((0, 0, 0, Undefined, 0, 0));
        if self.files > 0 {
            for (i, s) in obj.symbols.iter().enumerate() {
                if s.kind == SymbolKind::File {
                    each((
                        strtab.symbol_offset(i),
                        STT_FILE,
                        STV_DEFAULT,
                        Absolute,
                        0,
                        0,
                    ));
                }
            }
        }
        for &shndx in &self.section_symbols {
            each((0, STT_SECTION, STV_DEFAULT, Index(shndx), 0, 0));
        }
        let added = |a: &Added| -> Fields {
            let name = strtab.offset(a.name);
            (name, STT_NOTYPE, STV_DEFAULT, Index(a.shndx), a.value, 0)
        };
        for a in &self.signatures {
            each(added(a));
        }
        let user = |i: usize, bind: u8| -> Fields {
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
                Visibility::Internal => STV_INTERNAL,
            } | local_entry_bits(obj, i);
            let (shndx, value, size) = match s.definition {
                SymbolDefinition::Defined { section, offset } => (
                    Index(section_shndx.get(section.index()).copied().unwrap_or(0)),
                    offset,
                    s.size,
                ),
                SymbolDefinition::Undefined => (Undefined, 0, s.size),
                SymbolDefinition::Common { size, align } => {
                    (SymbolSection::Common, u64::from(align), size)
                }
                SymbolDefinition::Absolute => (Absolute, 0, 0),
            };
            let name = strtab.symbol_offset(i);
            (name, (bind << 4) | kind, other, shndx, value, size)
        };
        if self.locals > 0 {
            for (i, s) in obj.symbols.iter().enumerate() {
                if s.binding == Binding::Local && has_entry(s.kind) && s.kind != SymbolKind::File {
                    each(user(i, STB_LOCAL));
                }
            }
        }
        for a in &self.labels {
            each(added(a));
        }
        for (i, s) in obj.symbols.iter().enumerate() {
            match s.binding {
                Binding::Local => {}
                Binding::Global => each(user(i, STB_GLOBAL)),
                Binding::Weak => each(user(i, STB_WEAK)),
                Binding::GnuUnique => each(user(i, STB_GNU_UNIQUE)),
            }
        }
    }

    /// Writes every `.symtab` entry.
    pub(super) fn write(
        &self,
        out: &mut Out,
        class: &Class,
        obj: &Object,
        strtab: &StringTable,
        section_shndx: &[u32],
    ) {
        self.for_each(
            obj,
            strtab,
            section_shndx,
            // Once per entry: inline, so that each entry's fields go straight to the output.
            #[inline(always)]
            |(name, info, other, section, value, size)| {
                let shndx = section.field();
                if class.is64 {
                    out.record(24)
                        .u32(name)
                        .u8(info)
                        .u8(other)
                        .u16(shndx)
                        .u64(value)
                        .u64(size);
                } else {
                    out.record(16)
                        .u32(name)
                        .u32(value as u32)
                        .u32(size as u32)
                        .u8(info)
                        .u8(other)
                        .u16(shndx);
                }
            },
        );
    }

    /// Writes `.symtab_shndx`: each entry's section index when it needs `SHN_XINDEX`, else 0.
    pub(super) fn write_xindex(
        &self,
        out: &mut Out,
        obj: &Object,
        strtab: &StringTable,
        section_shndx: &[u32],
    ) {
        self.for_each(obj, strtab, section_shndx, |(_, _, _, section, _, _)| {
            out.u32(section.extended());
        });
    }
}

/// PowerPC64 ELFv2: user symbol `i`'s local entry in `st_other` bits 5..7 (validated: only
/// a ppc64le object has any).
fn local_entry_bits(obj: &Object, i: usize) -> u8 {
    use crate::arch::ppc64le::{elf, local_entry_code};
    let offset = obj.local_entry(crate::model::SymbolId::from_index(i));
    if offset == 0 {
        return 0;
    }
    (local_entry_code(offset).unwrap_or(0) << elf::STO_LOCAL_BIT) & elf::STO_LOCAL_MASK
}
