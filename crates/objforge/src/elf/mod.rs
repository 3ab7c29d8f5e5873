//! The ELF writer (ELFCLASS32 and ELFCLASS64, `ET_REL`).
//!
//! File order: ELF header, section contents, `SHT_GROUP` sections, relocation sections,
//! `.note.GNU-stack` (empty), `.ARM.attributes` (32-bit Arm, when the model has none; see
//! [`arm`]), `.symtab`, `.symtab_shndx` (only with extended numbering),
//! `.strtab`, `.shstrtab`, section header table. Section header order: null, groups, each user
//! section followed by its relocation section, then the note, the Arm attributes and the tables.
//!
//! [`Layout::new`] finds every error, numbers every section and symbol, and fixes every offset
//! and size; [`Layout::emit`](crate::emit::Layout::emit) then writes the file in that order,
//! producing each symbol and relocation entry from the model as it goes.

mod arm;
mod consts;
mod reloc;
mod symtab;

pub(crate) use self::reloc::supports;

use self::consts::*;
use self::reloc::{Entry, Mapper};
use self::symtab::{has_entry, SymbolTable};
use crate::emit::{self, Contents};
use crate::error::{Error, Place};
use crate::groups::RelocGroups;
use crate::model::{Object, SectionData, SectionKind};
use crate::names::SameNames;
use crate::out::{Growing, Out};
use crate::reloc::RelocKind;
use crate::strtab::{Prefix, StringId, StringTable};
use crate::target::{Architecture, Endianness, FloatAbi};

/// Per-class sizes and choices.
pub(super) struct Class {
    pub is64: bool,
    pub rela: bool,
}

impl Class {
    fn pick(&self, sizes: (usize, usize)) -> usize {
        if self.is64 {
            sizes.1
        } else {
            sizes.0
        }
    }
    fn word_align(&self) -> usize {
        if self.is64 {
            8
        } else {
            4
        }
    }
    fn rel_entsize(&self) -> usize {
        self.pick(if self.rela { RELA_SIZE } else { REL_SIZE })
    }
}

/// One section header, gathered before writing.
struct SectionHeader {
    name: StringId,
    sh_type: u32,
    flags: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

fn align_to(n: usize, align: usize) -> usize {
    n.div_ceil(align) * align
}

fn machine(arch: Architecture) -> u16 {
    match arch {
        Architecture::X86_64 => EM_X86_64,
        Architecture::I386 => EM_386,
        Architecture::Aarch64 => EM_AARCH64,
        Architecture::Riscv64 => EM_RISCV,
        Architecture::S390x => EM_S390,
        Architecture::Ppc64le => EM_PPC64,
        Architecture::Arm => EM_ARM,
        // Refused at the top of `write`: WebAssembly has its own object format.
        Architecture::Wasm32 | Architecture::Wasm64 => 0,
    }
}

fn e_flags(obj: &Object) -> u32 {
    use crate::arch::riscv64::elf as rv;
    if obj.target.arch == Architecture::Ppc64le {
        return crate::arch::ppc64le::elf::EF_ABI_V2;
    }
    if obj.target.arch == Architecture::Arm {
        use crate::arch::arm::elf as arm;
        return arm::EF_EABI_VER5
            | if obj.target.float_abi == FloatAbi::Soft {
                arm::EF_ABI_FLOAT_SOFT
            } else {
                arm::EF_ABI_FLOAT_HARD
            };
    }
    if obj.target.arch != Architecture::Riscv64 {
        return 0;
    }
    let float = match obj.target.float_abi {
        FloatAbi::Soft => 0,
        FloatAbi::Single => rv::EF_FLOAT_ABI_SINGLE,
        FloatAbi::Double => rv::EF_FLOAT_ABI_DOUBLE,
    };
    float
        | if obj.target.riscv_compressed {
            rv::EF_RVC
        } else {
            0
        }
}

/// The section type, from the kind and, for the special names the gABI and the processor
/// supplement reserve, the name.
fn section_type(arch: Architecture, name: &str, kind: SectionKind) -> u32 {
    if let Some(t) = arm::section_type(arch, name, kind) {
        return t;
    }
    let special = |base: &str| {
        name.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    if kind.is_zero_fill() {
        SHT_NOBITS
    } else if special(".init_array") {
        SHT_INIT_ARRAY
    } else if special(".fini_array") {
        SHT_FINI_ARRAY
    } else if special(".preinit_array") {
        SHT_PREINIT_ARRAY
    } else if name.starts_with(".note") {
        SHT_NOTE
    } else if name == ".gnu.attributes" && kind == SectionKind::Other {
        // GNU object attributes (PowerPC's Tag_GNU_Power_ABI_FP ...), which the linker merges.
        SHT_GNU_ATTRIBUTES
    } else {
        SHT_PROGBITS
    }
}

fn section_flags(kind: SectionKind) -> u64 {
    match kind {
        SectionKind::Text => SHF_ALLOC | SHF_EXECINSTR,
        SectionKind::Data | SectionKind::Bss => SHF_ALLOC | SHF_WRITE,
        SectionKind::Rodata => SHF_ALLOC,
        SectionKind::TlsData | SectionKind::TlsBss => SHF_ALLOC | SHF_WRITE | SHF_TLS,
        SectionKind::Debug | SectionKind::Other => 0,
    }
}

/// An ELF object laid out: every index, offset and size, ready to be written.
pub(crate) struct Layout<'a> {
    obj: &'a Object,
    class: Class,
    big_endian: bool,
    relocs: &'a RelocGroups,
    symbols: SymbolTable,
    strtab: StringTable<'a>,
    shstrtab: StringTable<'a>,
    headers: Vec<SectionHeader>,
    section_shndx: Vec<u32>,
    /// Per model section: where its contents go, and its relocation section.
    section_offsets: Vec<usize>,
    reloc_offsets: Vec<usize>,
    /// Per model section: it has REL addends to store, and they come in offset order.
    implicit: Vec<Option<bool>>,
    group_members: Vec<Vec<u32>>,
    groups_offset: usize,
    /// 32-bit Arm: the build attributes the writer adds, and where.
    attributes: Option<Vec<u8>>,
    attributes_offset: usize,
    symtab_offset: usize,
    needs_xindex: bool,
    strtab_offset: usize,
    shoff: usize,
    shnum: u32,
    shstrtab_shndx: u32,
    total: usize,
}

impl<'a> Layout<'a> {
    /// Lays out `obj` (already validated; `names` and `relocs` from validation).
    pub(crate) fn new(
        obj: &'a Object,
        names: SameNames,
        relocs: &'a RelocGroups,
    ) -> Result<Layout<'a>, Error> {
        let arch = obj.target.arch;
        if arch.is_wasm() {
            return Err(Error::unsupported(
                Place::Target,
                format!("objforge writes ELF for x86_64, i386, aarch64, riscv64, arm, ppc64le and s390x, not {arch}; WebAssembly objects are format wasm"),
            ));
        }
        let class = Class {
            is64: arch.pointer_width() == 8,
            rela: !matches!(arch, Architecture::I386 | Architecture::Arm),
        };
        if arch == Architecture::Arm && obj.target.float_abi == FloatAbi::Single {
            return Err(Error::unsupported(
                Place::Target,
                "32-bit Arm has the hard-float (double) and soft-float ABIs, not single"
                    .to_string(),
            ));
        }
        if arch == Architecture::Arm && obj.target.endianness == Endianness::Big {
            return Err(Error::unsupported(
                Place::Target,
                "objforge writes little-endian 32-bit Arm only (not BE8/BE32)".to_string(),
            ));
        }
        let exidx_links = arm::exidx_links(obj)?;
        // 32-bit Arm: the backend's own build attributes, or the minimal ones.
        let attributes = (arch == Architecture::Arm
            && !obj.sections.iter().any(|s| s.name == arm::ATTRIBUTES))
        .then(|| crate::arch::arm::default_attributes(obj.target.float_abi != FloatAbi::Soft));
        if !class.is64 {
            for (i, s) in obj.sections.iter().enumerate() {
                if s.data.len() > u64::from(u32::MAX) {
                    return Err(Error::unsupported(
                        Place::Section(i, None),
                        format!("{} bytes do not fit a 32-bit ELF section", s.data.len()),
                    ));
                }
            }
        }

        // --- Section header indices.
        let mut groups: Vec<&str> = Vec::new();
        let mut group_of_section: Vec<Option<usize>> = vec![None; obj.sections.len()];
        {
            let mut by_name: crate::hash::FxHashMap<&str, usize> = Default::default();
            for (i, s) in obj.sections.iter().enumerate() {
                if let Some(g) = &s.comdat {
                    let next = groups.len();
                    let gi = *by_name.entry(g.as_str()).or_insert(next);
                    if gi == next {
                        groups.push(g.as_str());
                    }
                    group_of_section[i] = Some(gi);
                }
            }
        }
        let mut next_index = 1u32;
        let group_shndx: Vec<u32> = groups
            .iter()
            .map(|_| {
                next_index += 1;
                next_index - 1
            })
            .collect();
        let mut section_shndx = Vec::with_capacity(obj.sections.len());
        let mut reloc_shndx = Vec::with_capacity(obj.sections.len());
        for k in 0..obj.sections.len() {
            section_shndx.push(next_index);
            next_index += 1;
            reloc_shndx.push(if relocs.count(k) > 0 {
                next_index += 1;
                next_index - 1
            } else {
                0
            });
        }
        // The backend may have given its own `.note.GNU-stack`; otherwise add the empty one
        // that tells the linker this code needs no executable stack.
        let add_note = !obj.sections.iter().any(|s| s.name == ".note.GNU-stack");
        let symtab_shndx = next_index + u32::from(add_note) + u32::from(attributes.is_some());
        let needs_xindex = symtab_shndx > SHN_LORESERVE;
        let strtab_shndx = symtab_shndx + 1 + u32::from(needs_xindex);
        let shstrtab_shndx = strtab_shndx + 1;
        let shnum = shstrtab_shndx + 1;

        // --- Symbol table (the model's names first, equal ones once, as validation found) on
        // this thread; beside it, every relocation error and the number of entries per
        // section (counting needs no symbol's index).
        let ((mut strtab, symbols), counts) = crate::parallel::join(
            crate::validate::parallel_worth_it(obj),
            || {
                let mut strtab = StringTable::new();
                strtab.add_symbol_names(&obj.symbols, names, Prefix::None, |i| {
                    obj.symbols.get(i).is_some_and(|s| has_entry(s.kind))
                });
                let symbols = SymbolTable::build(
                    obj,
                    &mut strtab,
                    &section_shndx,
                    &groups,
                    &group_shndx,
                    relocs.kinds().iter().any(|k| k.is_pcrel_lo12()),
                );
                (strtab, symbols)
            },
            || {
                let counting = Mapper {
                    obj,
                    class: &class,
                    symbols: None,
                    big_endian: obj.target.endianness == Endianness::Big,
                    kinds: Default::default(),
                };
                emit::count_sections(&counting, relocs, obj.sections.len())
            },
        );
        let (reloc_entries, implicit): (Vec<usize>, Vec<Option<bool>>) =
            counts?.iter().map(|c| (c.entries, c.patched())).unzip();

        // --- Section names.
        let mut shstrtab = StringTable::tail_merged();
        let rel_prefix = if class.rela { ".rela" } else { ".rel" };
        let no_name = shstrtab.add(&b""[..]);
        let group_name = shstrtab.add(&b".group"[..]);
        let section_names: Vec<StringId> = obj
            .sections
            .iter()
            .map(|s| shstrtab.add(s.name.as_bytes()))
            .collect();
        let reloc_names: Vec<Option<StringId>> = obj
            .sections
            .iter()
            .zip(&reloc_entries)
            .map(|(s, &n)| {
                (n > 0).then(|| shstrtab.add(format!("{rel_prefix}{}", s.name).into_bytes()))
            })
            .collect();
        let note_name = shstrtab.add(&b".note.GNU-stack"[..]);
        let attributes_name = shstrtab.add(arm::ATTRIBUTES.as_bytes());
        let symtab_name = shstrtab.add(&b".symtab"[..]);
        let xindex_name = shstrtab.add(&b".symtab_shndx"[..]);
        let strtab_name = shstrtab.add(&b".strtab"[..]);
        let shstrtab_name = shstrtab.add(&b".shstrtab"[..]);
        strtab.finish();
        shstrtab.finish();

        // --- Layout: every offset and size, once.
        let mut offset = class.pick(EHDR_SIZE);
        let mut section_offsets = Vec::with_capacity(obj.sections.len());
        for s in &obj.sections {
            if !s.kind.is_zero_fill() {
                offset = align_to(offset, s.align.min(1 << 16) as usize);
            }
            section_offsets.push(offset);
            if !s.kind.is_zero_fill() {
                offset += s.data.len() as usize;
            }
        }
        let mut group_members: Vec<Vec<u32>> = vec![Vec::new(); groups.len()];
        for (i, g) in group_of_section.iter().enumerate() {
            if let Some(members) = g.and_then(|g| group_members.get_mut(g)) {
                members.push(section_shndx[i]);
                if reloc_shndx[i] != 0 {
                    members.push(reloc_shndx[i]);
                }
            }
        }
        offset = align_to(offset, 4);
        let groups_offset = offset;
        let mut group_offsets = Vec::with_capacity(groups.len());
        for members in &group_members {
            group_offsets.push(offset);
            offset += 4 * (1 + members.len());
        }
        offset = align_to(offset, class.word_align());
        let mut reloc_offsets = Vec::with_capacity(obj.sections.len());
        for &n in &reloc_entries {
            reloc_offsets.push(offset);
            offset += n * class.rel_entsize();
        }
        let note_offset = offset;
        let attributes_offset = offset;
        offset += attributes.as_ref().map_or(0, Vec::len);
        offset = align_to(offset, class.word_align());
        let symtab_offset = offset;
        let nsyms = symbols.count as usize;
        offset += nsyms * class.pick(SYM_SIZE);
        let xindex_offset = offset;
        if needs_xindex {
            offset += nsyms * 4;
        }
        let strtab_offset = offset;
        offset += strtab.size();
        let shstrtab_offset = offset;
        offset += shstrtab.size();
        offset = align_to(offset, class.word_align());
        let shoff = offset;
        let total = shoff + shnum as usize * class.pick(SHDR_SIZE);

        // --- Section headers, in index order.
        let mut headers: Vec<SectionHeader> = Vec::with_capacity(shnum as usize);
        headers.push(SectionHeader {
            name: no_name,
            sh_type: 0,
            flags: 0,
            offset: 0,
            size: if shnum >= SHN_LORESERVE {
                u64::from(shnum)
            } else {
                0
            },
            link: if shstrtab_shndx >= SHN_LORESERVE {
                shstrtab_shndx
            } else {
                0
            },
            info: 0,
            align: 0,
            entsize: 0,
        });
        for (g, members) in group_members.iter().enumerate() {
            headers.push(SectionHeader {
                name: group_name,
                sh_type: SHT_GROUP,
                flags: 0,
                offset: group_offsets[g] as u64,
                size: 4 * (1 + members.len() as u64),
                link: symtab_shndx,
                info: symbols.group_signature[g],
                align: 4,
                entsize: 4,
            });
        }
        for (i, s) in obj.sections.iter().enumerate() {
            let group_flag = if s.comdat.is_some() { SHF_GROUP } else { 0 };
            let mut flags = section_flags(s.kind) | group_flag;
            let link = match exidx_links.get(i).copied().flatten() {
                Some(k) => {
                    flags |= SHF_LINK_ORDER;
                    section_shndx[k]
                }
                None => 0,
            };
            let mut entsize = s.entsize;
            if s.flags.merge_strings {
                flags |= SHF_MERGE | SHF_STRINGS;
                entsize = entsize.max(1);
            }
            if s.flags.merge {
                flags |= SHF_MERGE;
            }
            if s.flags.exclude {
                flags |= SHF_EXCLUDE;
            }
            if s.flags.retain {
                flags |= SHF_GNU_RETAIN;
            }
            headers.push(SectionHeader {
                name: section_names[i],
                sh_type: section_type(arch, &s.name, s.kind),
                flags,
                offset: section_offsets[i] as u64,
                size: s.data.len(),
                link,
                info: 0,
                align: s.align,
                entsize,
            });
            if let Some(name) = reloc_names[i] {
                headers.push(SectionHeader {
                    name,
                    sh_type: if class.rela { SHT_RELA } else { SHT_REL },
                    flags: SHF_INFO_LINK | group_flag,
                    offset: reloc_offsets[i] as u64,
                    size: (reloc_entries[i] * class.rel_entsize()) as u64,
                    link: symtab_shndx,
                    info: section_shndx[i],
                    align: class.word_align() as u64,
                    entsize: class.rel_entsize() as u64,
                });
            }
        }
        if add_note {
            headers.push(SectionHeader {
                name: note_name,
                sh_type: SHT_PROGBITS,
                flags: if obj.options.noexec_stack {
                    0
                } else {
                    SHF_EXECINSTR
                },
                offset: note_offset as u64,
                size: 0,
                link: 0,
                info: 0,
                align: 1,
                entsize: 0,
            });
        }
        if let Some(bytes) = &attributes {
            headers.push(SectionHeader {
                name: attributes_name,
                sh_type: crate::arch::arm::elf::SHT_ARM_ATTRIBUTES,
                flags: 0,
                offset: attributes_offset as u64,
                size: bytes.len() as u64,
                link: 0,
                info: 0,
                align: 1,
                entsize: 0,
            });
        }
        headers.push(SectionHeader {
            name: symtab_name,
            sh_type: SHT_SYMTAB,
            flags: 0,
            offset: symtab_offset as u64,
            size: (nsyms * class.pick(SYM_SIZE)) as u64,
            link: strtab_shndx,
            info: symbols.first_global,
            align: class.word_align() as u64,
            entsize: class.pick(SYM_SIZE) as u64,
        });
        if needs_xindex {
            headers.push(SectionHeader {
                name: xindex_name,
                sh_type: SHT_SYMTAB_SHNDX,
                flags: 0,
                offset: xindex_offset as u64,
                size: (nsyms * 4) as u64,
                link: symtab_shndx,
                info: 0,
                align: 4,
                entsize: 4,
            });
        }
        for (name, off, size) in [
            (strtab_name, strtab_offset, strtab.size()),
            (shstrtab_name, shstrtab_offset, shstrtab.size()),
        ] {
            headers.push(SectionHeader {
                name,
                sh_type: SHT_STRTAB,
                flags: 0,
                offset: off as u64,
                size: size as u64,
                link: 0,
                info: 0,
                align: 1,
                entsize: 0,
            });
        }
        debug_assert_eq!(headers.len(), shnum as usize);

        Ok(Layout {
            obj,
            class,
            big_endian: obj.target.endianness == Endianness::Big,
            relocs,
            symbols,
            strtab,
            shstrtab,
            headers,
            section_shndx,
            section_offsets,
            reloc_offsets,
            implicit,
            group_members,
            groups_offset,
            attributes,
            attributes_offset,
            symtab_offset,
            needs_xindex,
            strtab_offset,
            shoff,
            shnum,
            shstrtab_shndx,
            total,
        })
    }

    fn mapper(&self) -> Mapper<'_> {
        Mapper {
            obj: self.obj,
            class: &self.class,
            symbols: Some(&self.symbols),
            big_endian: self.big_endian,
            kinds: Default::default(),
        }
    }

    /// Section `k`'s contents, with REL addends stored in their fields.
    fn write_contents(&self, out: &mut Out, k: usize, in_buffer: bool) {
        let Some(s) = self.obj.sections.get(k) else {
            return;
        };
        let contents = if in_buffer {
            Contents::Written(s.data.len() as usize)
        } else {
            Contents::of(&s.data)
        };
        let implicit = self.implicit.get(k).copied().flatten();
        emit::write_contents(
            out,
            contents,
            implicit,
            None,
            &self.mapper(),
            self.relocs.of(k),
        );
    }

    /// Section `k`'s relocation entries (`Elf*_Rel` or `Elf*_Rela`).
    fn write_relocations(&self, out: &mut Out, k: usize) {
        let (is64, rela) = (self.class.is64, self.class.rela);
        let n = self.class.rel_entsize();
        emit::write_entries(
            out,
            &self.mapper(),
            self.relocs.of(k),
            None,
            // Once per entry: kept inline whatever LLVM's heuristics make of the rest.
            #[inline(always)]
            |out, e: Entry| {
                let info = if is64 {
                    (u64::from(e.symbol) << 32) | u64::from(e.r_type)
                } else {
                    u64::from((e.symbol << 8) | (e.r_type & 0xff))
                };
                let mut rec = out.record(n);
                rec.word(is64, e.offset).word(is64, info);
                if rela {
                    rec.word(is64, e.addend as u64);
                }
            },
        );
    }

    /// `.symtab` and `.symtab_shndx`.
    fn emit_symbol_table(&self, out: &mut Out) {
        let obj = self.obj;
        self.symbols
            .write(out, &self.class, obj, &self.strtab, &self.section_shndx);
        if self.needs_xindex {
            self.symbols
                .write_xindex(out, obj, &self.strtab, &self.section_shndx);
        }
        out.pad_to(self.strtab_offset);
    }

    /// `.strtab`, `.shstrtab` and the section headers.
    fn emit_string_tables(&self, out: &mut Out) {
        self.strtab.emit(out);
        self.shstrtab.emit(out);
        out.pad_to(self.shoff);
        for h in &self.headers {
            write_section_header(out, &self.class, &self.shstrtab, h);
        }
    }

    /// The same layout over `obj`, which holds the same model, less the parts already written
    /// ([`into_bytes`]).
    fn rebind<'b>(self, obj: &'b Object, relocs: &'b RelocGroups) -> Layout<'b> {
        Layout {
            obj,
            class: self.class,
            big_endian: self.big_endian,
            relocs,
            symbols: self.symbols,
            strtab: self.strtab.rebind(&obj.symbols),
            shstrtab: self.shstrtab.rebind(&obj.symbols),
            headers: self.headers,
            section_shndx: self.section_shndx,
            section_offsets: self.section_offsets,
            reloc_offsets: self.reloc_offsets,
            implicit: self.implicit,
            group_members: self.group_members,
            groups_offset: self.groups_offset,
            attributes: self.attributes,
            attributes_offset: self.attributes_offset,
            symtab_offset: self.symtab_offset,
            needs_xindex: self.needs_xindex,
            strtab_offset: self.strtab_offset,
            shoff: self.shoff,
            shnum: self.shnum,
            shstrtab_shndx: self.shstrtab_shndx,
            total: self.total,
        }
    }
}

impl crate::emit::Layout for Layout<'_> {
    fn size(&self) -> usize {
        self.total
    }

    fn big_endian(&self) -> bool {
        self.big_endian
    }

    fn emit_head(&self, out: &mut Out) {
        self.emit_file_header(out);
        for (k, s) in self.obj.sections.iter().enumerate() {
            if !s.kind.is_zero_fill() {
                self.emit_contents(out, k, false);
            }
        }
        self.emit_after_contents(out);
    }

    fn tail(&self) -> Option<usize> {
        Some(self.symtab_offset)
    }

    /// `.symtab`, `.symtab_shndx`, `.strtab`, `.shstrtab` and the section headers.
    fn emit_tail(&self, out: &mut Out) {
        self.emit_symbol_table(out);
        self.emit_string_tables(out);
    }
}

impl Layout<'_> {
    /// The ELF header.
    fn emit_file_header(&self, out: &mut Out) {
        write_file_header(
            out,
            self.obj,
            &self.class,
            self.shoff,
            self.shnum,
            self.shstrtab_shndx,
            self.symbols.gnu_unique,
        );
    }

    /// Section `k`'s contents at their place (after the padding before them), or
    /// (`in_buffer`) the values stored over them, already there.
    fn emit_contents(&self, out: &mut Out, k: usize, in_buffer: bool) {
        out.pad_to(self.section_offsets[k]);
        self.write_contents(out, k, in_buffer);
    }

    /// What follows the contents, up to the symbol table: the groups, the relocation
    /// sections and the build attributes.
    fn emit_after_contents(&self, out: &mut Out) {
        let obj = self.obj;
        out.pad_to(self.groups_offset);
        for members in &self.group_members {
            out.u32(GRP_COMDAT);
            for &m in members {
                out.u32(m);
            }
        }
        for k in 0..obj.sections.len() {
            if self.relocs.count(k) == 0 {
                continue;
            }
            out.pad_to(self.reloc_offsets[k]);
            self.write_relocations(out, k);
        }
        if let Some(bytes) = &self.attributes {
            out.pad_to(self.attributes_offset);
            out.bytes(bytes);
        }
        out.pad_to(self.symtab_offset);
    }

    /// Whether writing model section `k`'s relocations reads its bytes: an x86 GOT load's type
    /// depends on the instruction before its field, and 32-bit Arm stores REL addends into
    /// the instructions' own bits.
    fn entries_read_bytes(&self, k: usize) -> bool {
        self.obj.target.arch == Architecture::Arm
            || (self.relocs.of(k))
                .any(|i| self.obj.relocations[i].kind() == RelocKind::X86GotPcrel32)
    }
}

/// Writes `obj` (validated: `names`, `relocs`) as [`crate::emit::Layout::emit`] does, a part
/// at a time, freeing each section's bytes once they are written (or, when its relocations
/// read them, once those are) and the relocations once their entries are: the consuming write
/// ([`crate::Object::into_bytes`]). The largest section whose relocations do not read its
/// bytes lends its vector to the file.
pub(crate) fn into_bytes(
    mut obj: Object,
    names: SameNames,
    relocs: RelocGroups,
) -> Result<Vec<u8>, Error> {
    // What the layout refers to while a part of `obj` is freed.
    let parked_on = Object::new(obj.target.clone());
    let mut layout = Layout::new(&obj, names, &relocs)?;
    // Per section: its bytes are kept until its relocations are written.
    let kept: Vec<bool> = (0..obj.sections.len())
        .map(|k| layout.entries_read_bytes(k))
        .collect();
    let in_file = |k: usize| !obj.sections[k].kind.is_zero_fill();
    let reused = (0..obj.sections.len())
        .filter(|&k| in_file(k) && !kept[k])
        .filter(|&k| matches!(obj.sections[k].data, SectionData::Bytes(_)))
        .max_by_key(|&k| obj.sections[k].data.len())
        .map(|k| (k, layout.section_offsets[k]));
    let mut file = match reused {
        Some((k, at)) => {
            let parked = layout.rebind(&parked_on, &relocs);
            let bytes = obj.take_section_bytes(k);
            layout = parked.rebind(&obj, &relocs);
            Growing::reusing(bytes, at, layout.total, layout.big_endian)?
        }
        None => Growing::new(layout.total, layout.big_endian)?,
    };
    file.part(layout.class.pick(EHDR_SIZE), |out| {
        layout.emit_file_header(out)
    })?;
    for (k, kept) in kept.into_iter().enumerate() {
        if obj.sections[k].kind.is_zero_fill() {
            continue;
        }
        let end = layout.section_offsets[k] + obj.sections[k].data.len() as usize;
        let in_buffer = reused.is_some_and(|(r, _)| r == k);
        file.part(end, |out| layout.emit_contents(out, k, in_buffer))?;
        if !kept {
            let parked = layout.rebind(&parked_on, &relocs);
            obj.free_section_bytes(k);
            layout = parked.rebind(&obj, &relocs);
        }
    }
    file.part(layout.symtab_offset, |out| layout.emit_after_contents(out))?;
    let parked = layout.rebind(&parked_on, &relocs);
    obj.free_all_but_symbols();
    let layout = parked.rebind(&obj, &relocs);
    file.part_beside(
        layout.strtab_offset,
        layout.total,
        |out| layout.emit_symbol_table(out),
        |out| layout.emit_string_tables(out),
    )?;
    Ok(file.into_vec())
}

fn write_file_header(
    out: &mut Out,
    obj: &Object,
    class: &Class,
    shoff: usize,
    shnum: u32,
    shstrndx: u32,
    gnu_unique: bool,
) {
    out.bytes(b"\x7fELF");
    out.u8(if class.is64 { ELFCLASS64 } else { ELFCLASS32 });
    out.u8(if obj.target.endianness == Endianness::Big {
        ELFDATA2MSB
    } else {
        ELFDATA2LSB
    });
    out.u8(EV_CURRENT);
    // GNU as marks an object with `STB_GNU_UNIQUE` symbols `ELFOSABI_GNU`: only GNU tools
    // know the binding.
    out.u8(if gnu_unique {
        ELFOSABI_GNU
    } else {
        ELFOSABI_NONE
    });
    out.bytes(&[0; 8]); // ABI version 0, padding
    out.u16(ET_REL);
    out.u16(machine(obj.target.arch));
    out.u32(u32::from(EV_CURRENT));
    out.word(class.is64, 0); // e_entry
    out.word(class.is64, 0); // e_phoff
    out.word(class.is64, shoff as u64);
    out.u32(e_flags(obj));
    out.u16(class.pick(EHDR_SIZE) as u16);
    out.u16(0); // e_phentsize
    out.u16(0); // e_phnum
    out.u16(class.pick(SHDR_SIZE) as u16);
    out.u16(if shnum >= SHN_LORESERVE {
        0
    } else {
        shnum as u16
    });
    out.u16(if shstrndx >= SHN_LORESERVE {
        SHN_XINDEX as u16
    } else {
        shstrndx as u16
    });
}

fn write_section_header(out: &mut Out, class: &Class, names: &StringTable, h: &SectionHeader) {
    out.u32(names.offset(h.name));
    out.u32(h.sh_type);
    out.word(class.is64, h.flags);
    out.word(class.is64, 0); // sh_addr
    out.word(class.is64, h.offset);
    out.word(class.is64, h.size);
    out.u32(h.link);
    out.u32(h.info);
    out.word(class.is64, h.align);
    out.word(class.is64, h.entsize);
}
