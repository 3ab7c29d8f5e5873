//! The ELF writer (ELFCLASS32 and ELFCLASS64, `ET_REL`).
//!
//! File order: ELF header, section contents, `SHT_GROUP` sections, relocation sections,
//! `.note.GNU-stack` (empty), `.symtab`, `.symtab_shndx` (only with extended numbering),
//! `.strtab`, `.shstrtab`, section header table. Section header order: null, groups, each user
//! section followed by its relocation section, then the note and the tables.

mod consts;
mod symtab;

use self::consts::*;
use self::symtab::{SymbolSection, SymbolTable, SymtabEntry};
use crate::arch::{elf_encoding, ElfEncoding};
use crate::bytes::Out;
use crate::error::{Error, Place};
use crate::model::{Object, SectionData, SectionKind, SymbolDefinition};
use crate::reloc::{FieldShape, RelocKind};
use crate::strtab::{StringId, StringTable};
use crate::target::{Architecture, Endianness, FloatAbi};

/// One relocation entry as written.
struct RelocationEntry {
    offset: u64,
    symbol: u32,
    r_type: u32,
    addend: i64,
}

/// Per-class sizes and choices.
struct Class {
    is64: bool,
    rela: bool,
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
    }
}

fn e_flags(obj: &Object) -> u32 {
    use crate::arch::riscv64::elf as rv;
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

/// The section type, from the kind and, for the special names the gABI reserves, the name.
fn section_type(name: &str, kind: SectionKind) -> u32 {
    let special = |base: &str| name == base || name.starts_with(&format!("{base}."));
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

/// Writes `obj` (already validated) as an ELF relocatable object.
pub(crate) fn write(obj: &Object) -> Result<Vec<u8>, Error> {
    let arch = obj.target.arch;
    let class = Class {
        is64: arch.pointer_width() == 8,
        rela: arch != Architecture::I386,
    };
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
    let mut has_relocs = vec![false; obj.sections.len()];
    for r in &obj.relocations {
        has_relocs[r.section.0] = true;
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
    for &has in &has_relocs {
        section_shndx.push(next_index);
        next_index += 1;
        reloc_shndx.push(if has {
            next_index += 1;
            next_index - 1
        } else {
            0
        });
    }
    // The backend may have given its own `.note.GNU-stack`; otherwise add the empty one that
    // tells the linker this code needs no executable stack.
    let add_note = !obj.sections.iter().any(|s| s.name == ".note.GNU-stack");
    let symtab_shndx = next_index + u32::from(add_note);
    let needs_xindex = symtab_shndx > SHN_LORESERVE;
    let strtab_shndx = symtab_shndx + 1 + u32::from(needs_xindex);
    let shstrtab_shndx = strtab_shndx + 1;
    let shnum = shstrtab_shndx + 1;

    // --- Symbol table.
    let mut strtab = StringTable::new();
    let symbols = SymbolTable::build(obj, &mut strtab, &section_shndx, &groups, &group_shndx)?;

    // --- Relocation entries, per section.
    let mut entries: Vec<Vec<RelocationEntry>> = Vec::new();
    entries.resize_with(obj.sections.len(), Vec::new);
    // (section, offset, size, value) of addends stored in place (REL).
    let mut implicit: Vec<(usize, u64, u8, i64)> = Vec::new();
    for (i, r) in obj.relocations.iter().enumerate() {
        let at = |field| Place::Relocation(i, Some(field));
        let bytes: &[u8] = match &obj.sections[r.section.0].data {
            SectionData::Bytes(b) => b,
            SectionData::Zero(_) => &[],
        };
        let mut kind = r.kind;
        let mut addend = r.addend;
        let symbol = match r.symbol {
            Some(s) => symbols.index_of_user[s.0],
            None => 0,
        };
        if kind.is_pcrel_lo12() {
            if addend != 0 {
                return Err(Error::invalid(
                    at("addend"),
                    format!("a {kind} relocation takes its value from the hi20 at `pair`; its addend must be 0"),
                ));
            }
            let pair = r.pair.unwrap_or(0);
            let label = symbols.pcrel_label(r.section.0, pair);
            entries[r.section.0].push(RelocationEntry {
                offset: r.offset,
                symbol: label,
                r_type: match elf_encoding(arch, kind, &[]) {
                    Some(ElfEncoding::One(t)) => t,
                    _ => return Err(no_encoding(i, kind, arch)),
                },
                addend: 0,
            });
            continue;
        }
        if kind == RelocKind::Secrel32 {
            let target_alloc = r
                .symbol
                .and_then(|s| obj.symbols[s.0].section_id())
                .map(|s| obj.sections[s.0].kind.is_allocated());
            if target_alloc != Some(false) {
                return Err(Error::unsupported(
                    at("kind"),
                    "secrel32 on ELF needs a symbol defined in a non-allocated (debug/other) section, where an address is the offset in the section",
                ));
            }
        }
        if let (true, Some(minus)) = (kind.is_diff(), r.minus) {
            let add_sub = matches!(elf_encoding(arch, kind, &[]), Some(ElfEncoding::AddSub(..)));
            if !add_sub {
                // No symbol-difference relocation: S + A - M is PC-relative when M lies in the
                // field's own section, with the distance from M to the field folded into A.
                let m = &obj.symbols[minus.0];
                match m.definition {
                    SymbolDefinition::Defined { section, offset } if section == r.section => {
                        kind = kind.diff_as_pcrel().unwrap_or(kind);
                        addend = addend
                            .wrapping_add(r.offset as i64)
                            .wrapping_sub(offset as i64);
                    }
                    _ => {
                        return Err(Error::unsupported(
                            at("minus"),
                            format!(
                                "ELF on {arch} has no symbol-difference relocation: `{}` must be defined in {}, the field's section",
                                m.name, obj.sections[r.section.0].name
                            ),
                        ))
                    }
                }
            }
        }
        let before = if matches!(kind, RelocKind::X86GotPcrel32) {
            let start = r.offset.saturating_sub(3) as usize;
            bytes.get(start..r.offset as usize).unwrap_or(&[])
        } else {
            &[]
        };
        let encoding =
            elf_encoding(arch, kind, before).ok_or_else(|| no_encoding(i, kind, arch))?;
        match encoding {
            ElfEncoding::One(r_type) => {
                if !class.rela && addend != 0 {
                    let size = match kind.shape() {
                        FieldShape::Data(n) => n,
                        FieldShape::Instruction { .. } => 0,
                    };
                    check_implicit_addend(i, kind, size, addend)?;
                    implicit.push((r.section.0, r.offset, size, addend));
                    addend = 0;
                }
                entries[r.section.0].push(RelocationEntry {
                    offset: r.offset,
                    symbol,
                    r_type,
                    addend,
                });
            }
            ElfEncoding::AddSub(add, sub) => {
                let minus = r.minus.map(|m| symbols.index_of_user[m.0]).unwrap_or(0);
                entries[r.section.0].push(RelocationEntry {
                    offset: r.offset,
                    symbol,
                    r_type: add,
                    addend,
                });
                entries[r.section.0].push(RelocationEntry {
                    offset: r.offset,
                    symbol: minus,
                    r_type: sub,
                    addend: 0,
                });
            }
        }
    }

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
        .zip(&has_relocs)
        .map(|(s, &has)| has.then(|| shstrtab.add(format!("{rel_prefix}{}", s.name).into_bytes())))
        .collect();
    let note_name = shstrtab.add(&b".note.GNU-stack"[..]);
    let symtab_name = shstrtab.add(&b".symtab"[..]);
    let xindex_name = shstrtab.add(&b".symtab_shndx"[..]);
    let strtab_name = shstrtab.add(&b".strtab"[..]);
    let shstrtab_name = shstrtab.add(&b".shstrtab"[..]);
    strtab.finish();
    shstrtab.finish();

    // --- Layout: every offset and size, once.
    let mut headers: Vec<SectionHeader> = Vec::with_capacity(shnum as usize);
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
        if let Some(g) = g {
            group_members[*g].push(section_shndx[i]);
            if reloc_shndx[i] != 0 {
                group_members[*g].push(reloc_shndx[i]);
            }
        }
    }
    offset = align_to(offset, 4);
    let mut group_offsets = Vec::with_capacity(groups.len());
    for members in &group_members {
        group_offsets.push(offset);
        offset += 4 * (1 + members.len());
    }
    offset = align_to(offset, class.word_align());
    let mut reloc_offsets = Vec::with_capacity(obj.sections.len());
    for e in &entries {
        reloc_offsets.push(offset);
        offset += e.len() * class.rel_entsize();
    }
    let note_offset = offset;
    offset = align_to(offset, class.word_align());
    let symtab_offset = offset;
    offset += symbols.entries.len() * class.pick(SYM_SIZE);
    let xindex_offset = offset;
    if needs_xindex {
        offset += symbols.entries.len() * 4;
    }
    let strtab_offset = offset;
    offset += strtab.size();
    let shstrtab_offset = offset;
    offset += shstrtab.size();
    offset = align_to(offset, class.word_align());
    let shoff = offset;
    let total = shoff + shnum as usize * class.pick(SHDR_SIZE);

    // --- Section headers, in index order.
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
            sh_type: section_type(&s.name, s.kind),
            flags,
            offset: section_offsets[i] as u64,
            size: s.data.len(),
            link: 0,
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
                size: (entries[i].len() * class.rel_entsize()) as u64,
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
    headers.push(SectionHeader {
        name: symtab_name,
        sh_type: SHT_SYMTAB,
        flags: 0,
        offset: symtab_offset as u64,
        size: (symbols.entries.len() * class.pick(SYM_SIZE)) as u64,
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
            size: (symbols.entries.len() * 4) as u64,
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

    // --- Emit, in file order, into one buffer of the final size.
    let mut out = Out::with_capacity(total, obj.target.endianness == Endianness::Big);
    write_file_header(&mut out, obj, &class, shoff, shnum, shstrtab_shndx);
    for (i, s) in obj.sections.iter().enumerate() {
        if s.kind.is_zero_fill() {
            continue;
        }
        out.pad_to(section_offsets[i]);
        match &s.data {
            SectionData::Bytes(b) => out.bytes(b),
            // Zeros asked for by size in a section that occupies file space.
            SectionData::Zero(n) => out.pad_to(out.len() + *n as usize),
        }
    }
    for &(section, field_offset, size, value) in &implicit {
        out.patch_int(
            section_offsets[section] + field_offset as usize,
            size,
            value,
        );
    }
    out.pad_to(align_to(out.len(), 4));
    for members in &group_members {
        out.u32(GRP_COMDAT);
        for &m in members {
            out.u32(m);
        }
    }
    for (i, e) in entries.iter().enumerate() {
        if !e.is_empty() {
            out.pad_to(reloc_offsets[i]);
        }
        for entry in e {
            write_relocation(&mut out, &class, entry);
        }
    }
    out.pad_to(symtab_offset);
    for entry in &symbols.entries {
        write_symbol(&mut out, &class, &strtab, entry);
    }
    if needs_xindex {
        for entry in &symbols.entries {
            out.u32(match entry.shndx {
                SymbolSection::Index(i) if i >= SHN_LORESERVE => i,
                _ => 0,
            });
        }
    }
    out.pad_to(strtab_offset);
    strtab.write(out.vec());
    shstrtab.write(out.vec());
    out.pad_to(shoff);
    for h in &headers {
        write_section_header(&mut out, &class, &shstrtab, h);
    }
    debug_assert_eq!(out.len(), total);
    Ok(out.into_vec())
}

fn no_encoding(i: usize, kind: RelocKind, arch: Architecture) -> Error {
    Error::unsupported(
        Place::Relocation(i, Some("kind")),
        format!("kind {kind} has no ELF encoding on {arch}"),
    )
}

/// REL keeps the addend in the field: it must fit there.
fn check_implicit_addend(i: usize, kind: RelocKind, size: u8, addend: i64) -> Result<(), Error> {
    let fits = match size {
        1 => (-0x80..=0xff).contains(&addend),
        2 => (-0x8000..=0xffff).contains(&addend),
        4 => (-0x8000_0000..=0xffff_ffff).contains(&addend),
        8 => true,
        _ => false,
    };
    if fits {
        Ok(())
    } else if size == 0 {
        Err(Error::unsupported(
            Place::Relocation(i, Some("addend")),
            format!("REL stores the addend in the field, and the size of this {kind} field is unknown (give `native.size`)"),
        ))
    } else {
        Err(Error::invalid(
            Place::Relocation(i, Some("addend")),
            format!("{addend} does not fit the {size}-byte field where REL stores it"),
        ))
    }
}

fn write_file_header(
    out: &mut Out,
    obj: &Object,
    class: &Class,
    shoff: usize,
    shnum: u32,
    shstrndx: u32,
) {
    out.bytes(b"\x7fELF");
    out.u8(if class.is64 { ELFCLASS64 } else { ELFCLASS32 });
    out.u8(if obj.target.endianness == Endianness::Big {
        ELFDATA2MSB
    } else {
        ELFDATA2LSB
    });
    out.u8(EV_CURRENT);
    out.bytes(&[0; 9]); // OSABI SYSV, ABI version 0, padding
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

fn write_symbol(out: &mut Out, class: &Class, names: &StringTable, s: &SymtabEntry) {
    let shndx = match s.shndx {
        SymbolSection::Undefined => SHN_UNDEF as u16,
        SymbolSection::Absolute => SHN_ABS as u16,
        SymbolSection::Common => SHN_COMMON as u16,
        SymbolSection::Index(i) if i >= SHN_LORESERVE => SHN_XINDEX as u16,
        SymbolSection::Index(i) => i as u16,
    };
    out.u32(names.offset(s.name));
    if class.is64 {
        out.u8(s.info);
        out.u8(s.other);
        out.u16(shndx);
        out.u64(s.value);
        out.u64(s.size);
    } else {
        out.u32(s.value as u32);
        out.u32(s.size as u32);
        out.u8(s.info);
        out.u8(s.other);
        out.u16(shndx);
    }
}

fn write_relocation(out: &mut Out, class: &Class, e: &RelocationEntry) {
    if class.is64 {
        out.u64(e.offset);
        out.u64((u64::from(e.symbol) << 32) | u64::from(e.r_type));
        out.u64(e.addend as u64);
    } else {
        out.u32(e.offset as u32);
        out.u32((e.symbol << 8) | (e.r_type & 0xff));
        if class.rela {
            out.u32(e.addend as u32);
        }
    }
}
