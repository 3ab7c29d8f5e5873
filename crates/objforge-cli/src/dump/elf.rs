//! ELF relocatable objects (`ET_REL`: x86_64, i386, aarch64, riscv64, arm, ppc64le, s390x)
//! back into the model. Either byte order: s390x objects are big-endian.
//!
//! The inverse of objforge's ELF writer: the section header table minus what the writer
//! makes by itself (the null section, `SHT_GROUP`s, relocation sections, `.note.GNU-stack`,
//! the symbol and string tables); the symbol table minus the section symbols (made again for
//! every section; a relocation against one names the model's section symbol) and the local
//! signatures the writer adds to a group; the relocations with each type mapped back to the
//! portable kind the writer spells with that type, or `native`. On i386 and Arm (REL) the
//! addend is read out of the field, which is then cleared (on Arm inside instructions too:
//! `elf_arm`). RISC-V `ADD`/`SUB` and `SET`/`SUB` pairs
//! become `diff*`, and `%pcrel_lo` relocations refer to their hi20 by offset (`pair`).

use std::collections::HashMap;

use object::elf;
use object::read::elf::{FileHeader, Rel, Rela, SectionHeader, SectionTable, Sym};
use object::{Endianness, SectionIndex};

use objforge::{
    Architecture, Binding, FieldShape, FloatAbi, Format, NativeReloc, Object, RelocKind,
    Relocation, Section, SectionData, SectionId, SectionKind, Symbol, SymbolDefinition, SymbolId,
    SymbolKind, Target, Visibility,
};

use super::{bits, elf_arm, DumpError, Dumped, Result};

/// Reads an ELF relocatable object.
pub fn read(data: &[u8]) -> Result<Dumped> {
    // e_ident[EI_CLASS] and e_ident[EI_DATA].
    let class = data.get(4).copied();
    match class {
        Some(elf::ELFCLASS32) => Reader::<elf::FileHeader32<Endianness>>::read(data),
        Some(elf::ELFCLASS64) => Reader::<elf::FileHeader64<Endianness>>::read(data),
        _ => Err(DumpError::malformed(
            "the ELF class is neither 32- nor 64-bit",
        )),
    }
}

/// One symbol table entry, decoded.
struct ElfSymbol {
    name: String,
    bind: u8,
    typ: u8,
    other: u8,
    /// `SHN_UNDEF`, `SHN_ABS`, `SHN_COMMON` or a section header index (extended numbering
    /// already resolved).
    shndx: u32,
    value: u64,
    size: u64,
}

/// One relocation entry as read.
#[derive(Clone, Copy)]
struct RawReloc {
    offset: u64,
    sym: u32,
    r_type: u32,
    /// RELA's explicit addend; `None` for REL, whose addend is in the field.
    addend: Option<i64>,
}

/// What a section header is to the dump.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Made by the writer itself (null, symbol and string tables).
    Internal,
    /// A model section.
    Model(usize),
    /// Relocations for the section with this header index.
    Relocations(u32),
    /// A section group (`SHT_GROUP`).
    Group,
    /// `.note.GNU-stack`, which becomes `options.exec_stack`.
    StackNote,
    /// Left out on purpose (the caller notes it): with its local untyped symbols (mapping
    /// symbols such as `$d`).
    LeftOut,
}

struct Reader<'data, Elf: FileHeader<Endian = Endianness>> {
    data: &'data [u8],
    endian: Endianness,
    arch: Architecture,
    headers: SectionTable<'data, Elf, &'data [u8]>,
    roles: Vec<Role>,
    symbols: Vec<ElfSymbol>,
    object: Object,
    /// Section header index of each model section.
    header_of: Vec<u32>,
    /// The model's section symbol of each model section, once one is needed.
    section_symbol: Vec<Option<SymbolId>>,
    /// What was left out on purpose, for the caller to report.
    notes: Vec<String>,
    /// Per model relocation, the `native` that writes the same entry, for
    /// [`Dumped::fallback`].
    fallback: Vec<Option<RelocKind>>,
    /// The labels made for `R_RISCV_ALIGN`, by (model section, offset).
    anchors: HashMap<(usize, u64), SymbolId>,
}

/// The `st_shndx` stand-ins for symbols without a section.
const SHN_UNDEF: u32 = elf::SHN_UNDEF as u32;
const SHN_ABS: u32 = elf::SHN_ABS as u32;
const SHN_COMMON: u32 = elf::SHN_COMMON as u32;

impl<'data, Elf: FileHeader<Endian = Endianness>> Reader<'data, Elf> {
    fn read(data: &'data [u8]) -> Result<Dumped> {
        let header = Elf::parse(data).map_err(DumpError::malformed)?;
        let endian = header.endian().map_err(DumpError::malformed)?;
        let e_type = header.e_type(endian);
        if e_type != elf::ET_REL {
            let what = match e_type {
                elf::ET_EXEC => "an executable",
                elf::ET_DYN => "a shared object or position-independent executable",
                elf::ET_CORE => "a core dump",
                _ => "not a relocatable object",
            };
            return Err(DumpError::new(format!(
                "{what} (ELF type {e_type}); objforge dumps relocatable objects (ET_REL)"
            )));
        }
        let machine = header.e_machine(endian);
        let arch = match (machine, header.is_class_64()) {
            (elf::EM_X86_64, true) => Architecture::X86_64,
            (elf::EM_386, false) => Architecture::I386,
            (elf::EM_AARCH64, true) => Architecture::Aarch64,
            (elf::EM_RISCV, true) => Architecture::Riscv64,
            (elf::EM_S390, true) => Architecture::S390x,
            (elf::EM_PPC64, true) => Architecture::Ppc64le,
            (elf::EM_ARM, false) => Architecture::Arm,
            (m, is64) => {
                let name = match m {
                    elf::EM_X86_64 => "x32 (32-bit x86_64)",
                    elf::EM_RISCV => "riscv32",
                    elf::EM_ARM => "32-bit Arm",
                    elf::EM_PPC64 => "PowerPC 64",
                    elf::EM_PPC => "PowerPC",
                    elf::EM_MIPS => "MIPS",
                    elf::EM_S390 => "s390",
                    elf::EM_LOONGARCH => "LoongArch",
                    elf::EM_SPARCV9 => "SPARC v9",
                    _ => "",
                };
                let bits = if is64 { 64 } else { 32 };
                return Err(DumpError::new(format!(
                    "unsupported machine {}(e_machine {m}, ELFCLASS{bits}): objforge reads x86_64, i386, aarch64, riscv64, arm, ppc64le and s390x ELF objects",
                    if name.is_empty() { String::new() } else { format!("{name} ") }
                )));
            }
        };
        let osabi = header.e_ident().os_abi;
        if osabi != elf::ELFOSABI_SYSV && osabi != elf::ELFOSABI_GNU {
            return Err(DumpError::new(format!(
                "ELF OS/ABI {osabi}: objforge writes System V (0) objects, and reads those and GNU (3) ones"
            )));
        }
        let mut target = Target::new(arch, Format::Elf);
        let flags = header.e_flags(endian);
        let mut notes = Vec::new();
        if arch == Architecture::Arm {
            let (abi, note) = elf_arm::float_abi(flags).map_err(DumpError::new)?;
            target.float_abi = abi;
            notes.extend(note);
        } else if arch == Architecture::Riscv64 {
            let known = elf::EF_RISCV_RVC | elf::EF_RISCV_FLOAT_ABI;
            if flags & !known != 0
                || flags & elf::EF_RISCV_FLOAT_ABI == elf::EF_RISCV_FLOAT_ABI_QUAD
            {
                return Err(DumpError::new(format!(
                    "ELF header flags {flags:#x}: objforge writes only the compressed-instruction flag and the soft, single or double float ABI"
                )));
            }
            target.riscv_compressed = flags & elf::EF_RISCV_RVC != 0;
            target.float_abi = match flags & elf::EF_RISCV_FLOAT_ABI {
                elf::EF_RISCV_FLOAT_ABI_SINGLE => FloatAbi::Single,
                elf::EF_RISCV_FLOAT_ABI_DOUBLE => FloatAbi::Double,
                _ => FloatAbi::Soft,
            };
        } else if arch == Architecture::Ppc64le {
            if flags != PPC64_EF_ABI_V2 {
                return Err(DumpError::new(format!(
                    "ELF header flags {flags:#x}: objforge writes ppc64le objects for the ELFv2 ABI (e_flags 2)"
                )));
            }
        } else if flags != 0 {
            return Err(DumpError::new(format!(
                "ELF header flags {flags:#x}: objforge writes 0 for {arch}"
            )));
        }
        let headers = header
            .sections(endian, data)
            .map_err(DumpError::malformed)?;
        let mut reader = Reader {
            data,
            endian,
            arch,
            roles: vec![Role::Internal; headers.len()],
            headers,
            symbols: Vec::new(),
            object: Object::new(target),
            header_of: Vec::new(),
            section_symbol: Vec::new(),
            notes,
            fallback: Vec::new(),
            anchors: HashMap::new(),
        };
        // Absent, the note's meaning is the old default: the code may need an executable
        // stack. objforge always writes the note, so that is said explicitly.
        reader.object.options.noexec_stack = false;
        let symtab_index = reader.classify(header)?;
        reader.read_symbols(symtab_index)?;
        reader.read_groups()?;
        if arch == Architecture::Arm {
            reader.check_exidx_links()?;
            // No float flag in the header (GCC's way): the attributes say which ABI.
            if !elf_arm::float_abi_stated(flags) {
                let stated = reader
                    .object
                    .sections
                    .iter()
                    .find(|s| s.name == ".ARM.attributes")
                    .and_then(|s| match &s.data {
                        SectionData::Bytes(b) => elf_arm::vfp_args(b),
                        _ => None,
                    });
                if let Some(args) = stated {
                    reader.object.target.float_abi = if args == 1 {
                        FloatAbi::Double
                    } else {
                        FloatAbi::Soft
                    };
                    reader
                        .notes
                        .retain(|n| !n.starts_with("the ELF header names no float ABI"));
                    reader.notes.push(format!(
                        "the ELF header names no float ABI; .ARM.attributes says {} (Tag_ABI_VFP_args {args}), which the rebuilt header states",
                        if args == 1 { "hard-float" } else { "soft-float" }
                    ));
                }
            }
        }
        let relocations = reader.read_relocations()?;
        reader.convert(relocations)?;
        Ok(Dumped {
            object: reader.object,
            notes: reader.notes,
            fallback: reader.fallback,
        })
    }

    fn name_of(&self, index: usize) -> String {
        self.headers
            .section(SectionIndex(index))
            .ok()
            .and_then(|h| self.headers.section_name(self.endian, h).ok())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_else(|| format!("#{index}"))
    }

    /// Gives every section header its role and reads the model sections; returns the symbol
    /// table's index (0 when there is none).
    fn classify(&mut self, header: &Elf) -> Result<usize> {
        let endian = self.endian;
        let shstrndx = header
            .shstrndx(endian, self.data)
            .map_err(DumpError::malformed)?;
        let symtab = self
            .headers
            .iter()
            .position(|h| h.sh_type(endian) == elf::SHT_SYMTAB)
            .unwrap_or(0);
        let (strtab, shndx_table) = match self.headers.section(SectionIndex(symtab)) {
            Ok(h) if symtab != 0 => {
                let link = h.sh_link(endian) as usize;
                let shndx = self
                    .headers
                    .iter()
                    .position(|s| {
                        s.sh_type(endian) == elf::SHT_SYMTAB_SHNDX
                            && s.sh_link(endian) as usize == symtab
                    })
                    .unwrap_or(0);
                (link, shndx)
            }
            _ => (0, 0),
        };
        for index in 1..self.headers.len() {
            let h = self
                .headers
                .section(SectionIndex(index))
                .map_err(DumpError::malformed)?;
            let name_bytes = self
                .headers
                .section_name(endian, h)
                .map_err(DumpError::malformed)?;
            let name = std::str::from_utf8(name_bytes)
                .map_err(|_| {
                    DumpError::new(format!(
                        "section #{index}: the name {:?} is not UTF-8, which a spec cannot hold",
                        String::from_utf8_lossy(name_bytes)
                    ))
                })?
                .to_string();
            let sh_type = h.sh_type(endian);
            let flags: u64 = h.sh_flags(endian).into();
            let role = match sh_type {
                _ if index == symtab || index == strtab || index == shndx_table => Role::Internal,
                _ if index == shstrndx as usize => Role::Internal,
                elf::SHT_SYMTAB | elf::SHT_STRTAB | elf::SHT_SYMTAB_SHNDX => {
                    return Err(DumpError::section(
                        &name,
                        "a second symbol or string table: objforge writes one of each",
                    ))
                }
                elf::SHT_REL | elf::SHT_RELA => {
                    let rela = !matches!(self.arch, Architecture::I386 | Architecture::Arm);
                    if (sh_type == elf::SHT_RELA) != rela {
                        return Err(DumpError::section(
                            &name,
                            format!(
                                "{} relocations on {}: objforge writes {} there",
                                if sh_type == elf::SHT_RELA {
                                    "RELA"
                                } else {
                                    "REL"
                                },
                                self.arch,
                                if rela { "RELA" } else { "REL" }
                            ),
                        ));
                    }
                    if flags & u64::from(elf::SHF_ALLOC) != 0 {
                        return Err(DumpError::section(
                            &name,
                            "allocated (dynamic) relocations have no place in a relocatable object objforge writes",
                        ));
                    }
                    if h.sh_link(endian) as usize != symtab || symtab == 0 {
                        return Err(DumpError::section(
                            &name,
                            "the relocations refer to a symbol table other than the object's",
                        ));
                    }
                    Role::Relocations(h.sh_info(endian))
                }
                elf::SHT_GROUP => Role::Group,
                SHT_LLVM_ADDRSIG => {
                    self.notes.push(format!("left out {name}: {ADDRSIG_NOTE}"));
                    Role::LeftOut
                }
                elf::SHT_RISCV_ATTRIBUTES if self.arch == Architecture::Riscv64 => {
                    // Build attributes (ISA string, stack alignment) for the linker to
                    // merge and check; objforge writes none, so the section is left out,
                    // and the caller says so.
                    self.notes.push(format!(
                        "left out {name} (SHT_RISCV_ATTRIBUTES): objforge writes no build attributes, so the linker does not check this object's ISA against the others'"
                    ));
                    Role::LeftOut
                }
                // The attributes objforge's writer adds to an Arm object that has none
                // (Tag_ABI_VFP_args alone, as the header's float flag says): made again.
                elf_arm::SHT_ARM_ATTRIBUTES
                    if self.arch == Architecture::Arm
                        && name == ".ARM.attributes"
                        && elf_arm::float_abi_stated(header.e_flags(endian))
                        && self
                            .headers
                            .section(SectionIndex(index))
                            .ok()
                            .and_then(|h| h.data(endian, self.data).ok())
                            == objforge::default_attributes(&self.object.target).as_deref() =>
                {
                    Role::LeftOut
                }
                elf::SHT_PROGBITS
                    if name == ".note.GNU-stack"
                        && h.sh_size(endian).into() == 0
                        && flags & !u64::from(elf::SHF_EXECINSTR) == 0 =>
                {
                    self.object.options.noexec_stack = flags == 0;
                    Role::StackNote
                }
                _ => {
                    let section = self.section(index, &name, h)?;
                    self.header_of.push(index as u32);
                    self.object.sections.push(section);
                    Role::Model(self.object.sections.len() - 1)
                }
            };
            if let Some(slot) = self.roles.get_mut(index) {
                *slot = role;
            }
        }
        self.section_symbol = vec![None; self.object.sections.len()];
        // Relocation sections must patch a model section.
        for (index, role) in self.roles.iter().enumerate() {
            if let Role::Relocations(target) = *role {
                if !matches!(self.roles.get(target as usize), Some(Role::Model(_))) {
                    return Err(DumpError::section(
                        &self.name_of(index),
                        format!(
                            "relocates section #{target}, which is not a section with contents objforge writes"
                        ),
                    ));
                }
            }
        }
        Ok(symtab)
    }

    /// Every Arm exception index table links (`sh_link`) to the section the writer derives
    /// from its name: the one of that name in its group, or else the first.
    fn check_exidx_links(&self) -> Result<()> {
        let sections = &self.object.sections;
        for (i, s) in sections.iter().enumerate() {
            let Some(&index) = self.header_of.get(i) else {
                continue;
            };
            let h = self
                .headers
                .section(SectionIndex(index as usize))
                .map_err(DumpError::malformed)?;
            if h.sh_type(self.endian) != elf_arm::SHT_ARM_EXIDX {
                continue;
            }
            let Some(text) = elf_arm::exidx_text(&s.name) else {
                continue;
            };
            let candidates = || {
                sections
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.name == text && t.kind == SectionKind::Text)
            };
            let linked = h.sh_link(self.endian);
            let found = candidates()
                .find(|(k, _)| self.header_of.get(*k) == Some(&linked))
                .map(|(k, _)| k);
            let first_in_group = candidates()
                .find(|(_, t)| t.comdat == s.comdat)
                .or_else(|| candidates().next())
                .map(|(k, _)| k);
            if found.is_none() || found != first_in_group {
                return Err(DumpError::section(
                    &s.name,
                    format!(
                        "the exception index table links to section #{linked}; objforge links it to the text section its name gives ({text}, in its group)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A model section from its header: the kind from the flags, checked against exactly
    /// what the writer gives that kind.
    fn section(&self, index: usize, name: &str, h: &Elf::SectionHeader) -> Result<Section> {
        let endian = self.endian;
        let sh_type = h.sh_type(endian);
        let flags: u64 = h.sh_flags(endian).into();
        let size: u64 = h.sh_size(endian).into();
        let align: u64 = h.sh_addralign(endian).into();
        let entsize: u64 = h.sh_entsize(endian).into();
        if name.is_empty() {
            return Err(DumpError::new(format!(
                "section #{index} has no name, which objforge needs"
            )));
        }
        let err = |message: String| DumpError::section(name, message);
        let nobits = sh_type == elf::SHT_NOBITS;
        let (w, a, x, t) = (
            u64::from(elf::SHF_WRITE),
            u64::from(elf::SHF_ALLOC),
            u64::from(elf::SHF_EXECINSTR),
            u64::from(elf::SHF_TLS),
        );
        let kind = match (flags & (w | a | x | t), nobits) {
            (f, false) if f == a | x => SectionKind::Text,
            (f, false) if f == a | w => SectionKind::Data,
            (f, true) if f == a | w => SectionKind::Bss,
            (f, false) if f == a => SectionKind::Rodata,
            (f, false) if f == a | w | t => SectionKind::TlsData,
            (f, true) if f == a | w | t => SectionKind::TlsBss,
            (0, false) => match crate::spec::default_section_kind(name) {
                SectionKind::Debug => SectionKind::Debug,
                _ => SectionKind::Other,
            },
            (f, _) => {
                return Err(err(format!(
                    "flags {}{} have no objforge section kind (text is AX, data WA, rodata A, bss WA NOBITS, TLS WAT, debug/other none)",
                    flag_letters(f),
                    if nobits { " with NOBITS" } else { "" }
                )))
            }
        };
        let mut section = Section::new(name, kind);
        section.align = align.max(1);
        if !section.align.is_power_of_two() {
            return Err(err(format!("alignment {align} is not a power of two")));
        }
        let (merge, strings) = (u64::from(elf::SHF_MERGE), u64::from(elf::SHF_STRINGS));
        match (flags & merge != 0, flags & strings != 0) {
            (true, true) => section.flags.merge_strings = true,
            (true, false) if entsize != 0 => section.flags.merge = true,
            (false, false) => {}
            _ => {
                return Err(err(format!(
                    "flags {}: objforge writes SHF_STRINGS only with SHF_MERGE, and SHF_MERGE only with an entry size",
                    flag_letters(flags)
                )))
            }
        }
        // The writer writes at least 1 for merged strings; 0 says "the format's default".
        section.entsize = if section.flags.merge_strings && entsize == 1 {
            0
        } else {
            entsize
        };
        section.flags.exclude = flags & u64::from(elf::SHF_EXCLUDE) != 0;
        section.flags.retain = flags & u64::from(elf::SHF_GNU_RETAIN) != 0;
        let known = w
            | a
            | x
            | t
            | merge
            | strings
            | u64::from(elf::SHF_GROUP)
            | u64::from(elf::SHF_EXCLUDE)
            | u64::from(elf::SHF_GNU_RETAIN)
            | if sh_type == elf_arm::SHT_ARM_EXIDX && self.arch == Architecture::Arm {
                u64::from(elf::SHF_LINK_ORDER)
            } else {
                0
            };
        if flags & !known != 0 {
            return Err(err(format!(
                "flags {:#x} ({}) have no objforge equivalent",
                flags & !known,
                flag_letters(flags & !known)
            )));
        }
        // The section type the writer gives this name and kind; processor-specific types of
        // sections that are just bytes to the linker are written as PROGBITS.
        let expected = writer_section_type(name, kind);
        let arm_type = self.arch == Architecture::Arm
            && match sh_type {
                elf_arm::SHT_ARM_EXIDX => {
                    elf_arm::exidx_text(name).is_some() && kind == SectionKind::Rodata
                }
                elf_arm::SHT_ARM_ATTRIBUTES => {
                    name == ".ARM.attributes" && kind == SectionKind::Other
                }
                _ => false,
            };
        let accepted = sh_type == expected
            || arm_type
            || (sh_type == elf::SHT_X86_64_UNWIND
                && self.arch == Architecture::X86_64
                && expected == elf::SHT_PROGBITS);
        if !accepted {
            return Err(err(format!(
                "section type {}: objforge writes {} for a {} section named so",
                type_name(sh_type),
                type_name(expected),
                kind.name()
            )));
        }
        let exidx = self.arch == Architecture::Arm && sh_type == elf_arm::SHT_ARM_EXIDX;
        if exidx && flags & u64::from(elf::SHF_LINK_ORDER) == 0 {
            return Err(err(
                "an exception index table without SHF_LINK_ORDER, which objforge always sets"
                    .into(),
            ));
        }
        // An exception index table's sh_link is checked against its name once every
        // section is read (`check_exidx_links`).
        if (h.sh_link(endian) != 0 && !exidx) || h.sh_info(endian) != 0 {
            return Err(err(format!(
                "sh_link {} / sh_info {}: objforge writes 0 for a section with contents",
                h.sh_link(endian),
                h.sh_info(endian)
            )));
        }
        section.data = if nobits {
            SectionData::Zero(size)
        } else {
            let bytes = h
                .data(endian, self.data)
                .map_err(|_| err("its contents run past the end of the file".into()))?;
            SectionData::Bytes(bytes.to_vec())
        };
        Ok(section)
    }

    /// Decodes the symbol table.
    fn read_symbols(&mut self, symtab: usize) -> Result<()> {
        if symtab == 0 {
            return Ok(());
        }
        let table = self
            .headers
            .symbols(self.endian, self.data, elf::SHT_SYMTAB)
            .map_err(DumpError::malformed)?;
        for (index, sym) in table.enumerate() {
            let name_bytes = table
                .symbol_name(self.endian, sym)
                .map_err(DumpError::malformed)?;
            let name = std::str::from_utf8(name_bytes)
                .map_err(|_| {
                    DumpError::new(format!(
                        "symbol #{}: the name {:?} is not UTF-8, which a spec cannot hold",
                        index.0,
                        String::from_utf8_lossy(name_bytes)
                    ))
                })?
                .to_string();
            let shndx = match sym.st_shndx(self.endian) {
                elf::SHN_ABS => SHN_ABS,
                elf::SHN_COMMON => SHN_COMMON,
                _ => match table
                    .symbol_section(self.endian, sym, index)
                    .map_err(DumpError::malformed)?
                {
                    Some(SectionIndex(i)) => u32::try_from(i).unwrap_or(u32::MAX),
                    None => SHN_UNDEF,
                },
            };
            self.symbols.push(ElfSymbol {
                name,
                bind: sym.st_bind(),
                typ: sym.st_type(),
                other: sym.st_other(),
                shndx,
                value: sym.st_value(self.endian).into(),
                size: sym.st_size(self.endian).into(),
            });
        }
        Ok(())
    }

    /// Section groups become each member's `comdat`, named after the group's signature (the
    /// local signature symbol the writer adds to a group section is left out in
    /// [`Reader::convert`]).
    fn read_groups(&mut self) -> Result<()> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for index in 0..self.roles.len() {
            if self.roles.get(index) != Some(&Role::Group) {
                continue;
            }
            let gname = self.name_of(index);
            let h = self
                .headers
                .section(SectionIndex(index))
                .map_err(DumpError::malformed)?;
            let Some((flags, members)) = h
                .group(self.endian, self.data)
                .map_err(DumpError::malformed)?
            else {
                continue;
            };
            if flags != elf::GRP_COMDAT {
                return Err(DumpError::section(
                    &gname,
                    format!(
                        "group flags {flags:#x}: objforge writes COMDAT groups (GRP_COMDAT) only"
                    ),
                ));
            }
            let signature = h.sh_info(self.endian) as usize;
            let sym = self.symbols.get(signature).ok_or_else(|| {
                DumpError::section(
                    &gname,
                    format!("signature symbol #{signature} does not exist"),
                )
            })?;
            let name = if sym.typ == elf::STT_SECTION {
                self.name_of(sym.shndx as usize)
            } else {
                sym.name.clone()
            };
            if name.is_empty() {
                return Err(DumpError::section(
                    &gname,
                    "the group's signature has no name",
                ));
            }
            if let Some(other) = seen.insert(name.clone(), index) {
                return Err(DumpError::section(
                    &gname,
                    format!(
                        "a second group with signature `{name}` (the first is section #{other}); objforge names groups by signature, one group per name"
                    ),
                ));
            }
            for m in members {
                let member = m.get(self.endian) as usize;
                match self.roles.get(member) {
                    Some(Role::Model(k)) => {
                        if let Some(s) = self.object.sections.get_mut(*k) {
                            s.comdat = Some(name.clone());
                        }
                    }
                    Some(Role::Relocations(_)) => {}
                    _ => {
                        return Err(DumpError::section(
                            &gname,
                            format!(
                                "member {} is not a section objforge writes into a group",
                                self.name_of(member)
                            ),
                        ))
                    }
                }
            }
        }
        // SHF_GROUP must say exactly what the groups say.
        for (k, s) in self.object.sections.iter().enumerate() {
            let index = self.header_of.get(k).copied().unwrap_or(0) as usize;
            let h = self
                .headers
                .section(SectionIndex(index))
                .map_err(DumpError::malformed)?;
            let flagged = u64::from(elf::SHF_GROUP) & h.sh_flags(self.endian).into() != 0;
            if flagged != s.comdat.is_some() {
                return Err(DumpError::section(
                    &s.name,
                    if flagged {
                        "SHF_GROUP is set, but no group lists the section"
                    } else {
                        "a group lists the section, but SHF_GROUP is not set"
                    },
                ));
            }
        }
        Ok(())
    }

    /// Every relocation section's entries, by model section.
    fn read_relocations(&self) -> Result<Vec<(usize, Vec<RawReloc>)>> {
        let mut out = Vec::new();
        for (index, role) in self.roles.iter().enumerate() {
            let Role::Relocations(target) = *role else {
                continue;
            };
            let Some(Role::Model(k)) = self.roles.get(target as usize).copied() else {
                continue;
            };
            let h = self
                .headers
                .section(SectionIndex(index))
                .map_err(DumpError::malformed)?;
            let mut list = Vec::new();
            if let Some((rels, _)) = h
                .rel(self.endian, self.data)
                .map_err(DumpError::malformed)?
            {
                for r in rels {
                    list.push(RawReloc {
                        offset: r.r_offset(self.endian).into(),
                        sym: r.r_sym(self.endian),
                        r_type: r.r_type(self.endian),
                        addend: None,
                    });
                }
            }
            if let Some((relas, _)) = h
                .rela(self.endian, self.data)
                .map_err(DumpError::malformed)?
            {
                for r in relas {
                    list.push(RawReloc {
                        offset: r.r_offset(self.endian).into(),
                        sym: r.r_sym(self.endian, false),
                        r_type: r.r_type(self.endian, false),
                        addend: Some(r.r_addend(self.endian).into()),
                    });
                }
            }
            out.push((k, list));
        }
        Ok(out)
    }

    /// The model section a symbol is defined in, if it is one.
    fn model_section_of(&self, sym: &ElfSymbol) -> Option<usize> {
        match self.roles.get(sym.shndx as usize) {
            Some(Role::Model(k)) if sym.shndx != SHN_UNDEF => Some(*k),
            _ => None,
        }
    }

    /// Makes the model symbols and relocations.
    fn convert(&mut self, relocations: Vec<(usize, Vec<RawReloc>)>) -> Result<()> {
        // References per symbol, and the RISC-V `%pcrel_lo` relocations that can name their
        // hi20 by offset (then the label they point at is the writer's to make again).
        let mut references = vec![0usize; self.symbols.len()];
        let mut pairable = vec![0usize; self.symbols.len()];
        for (k, list) in &relocations {
            let hi20_at: std::collections::HashSet<u64> = list
                .iter()
                .filter(|r| is_rv_hi20(self.arch, r.r_type))
                .map(|r| r.offset)
                .collect();
            for r in list {
                if let Some(n) = references.get_mut(r.sym as usize) {
                    *n += 1;
                }
                if self.pcrel_label(*k, r, &hi20_at).is_some() {
                    if let Some(n) = pairable.get_mut(r.sym as usize) {
                        *n += 1;
                    }
                }
            }
        }

        // Each symbol table entry's model symbol, if it has one.
        let mut id_of: Vec<Option<SymbolId>> = vec![None; self.symbols.len()];
        // File symbols first, as the writer writes them, then the rest in table order (so
        // that dumping the rebuilt object gives the same spec).
        let files = (1..self.symbols.len())
            .filter(|&i| self.symbols.get(i).is_some_and(|s| s.typ == elf::STT_FILE));
        let mut order: Vec<usize> = files.collect();
        let rest: Vec<usize> = (1..self.symbols.len())
            .filter(|&i| self.symbols.get(i).is_some_and(|s| s.typ != elf::STT_FILE))
            .collect();
        order.extend(rest);
        for i in order {
            let Some(sym) = self.symbols.get(i) else {
                continue;
            };
            let count = references.get(i).copied().unwrap_or(0);
            if sym.typ == elf::STT_SECTION {
                continue;
            }
            // What the writer makes by itself: a group's local signature (untyped, in the
            // group section), a `%pcrel_lo` label; and the mapping symbols of left-out
            // sections.
            let writer_signature = sym.bind == elf::STB_LOCAL
                && sym.typ == elf::STT_NOTYPE
                && matches!(self.roles.get(sym.shndx as usize), Some(Role::Group))
                && count == 0;
            let writer_label = sym.bind == elf::STB_LOCAL
                && sym.typ == elf::STT_NOTYPE
                && sym.size == 0
                && sym.name.starts_with(".L")
                && count > 0
                && pairable.get(i).copied() == Some(count);
            let left_out = sym.bind == elf::STB_LOCAL
                && sym.typ == elf::STT_NOTYPE
                && matches!(self.roles.get(sym.shndx as usize), Some(Role::LeftOut))
                && count == 0;
            if writer_signature || writer_label || left_out {
                continue;
            }
            let symbol = self.symbol(sym)?;
            self.object.symbols.push(symbol);
            let id = SymbolId::from_index(self.object.symbols.len() - 1);
            if let Some(slot) = id_of.get_mut(i) {
                *slot = Some(id);
            }
            if self.arch == Architecture::Ppc64le {
                self.object.set_local_entry(id, ppc64_local_entry(sym)?);
            }
        }

        for (k, list) in relocations {
            self.section_relocations(k, &list, &id_of)?;
        }
        self.writer_order();
        Ok(())
    }

    /// Puts the model's symbols in the order the writer writes them — file symbols, locals
    /// (the labels the dump added last among them), globals — with the section symbols, whose
    /// place the writer ignores, at the end; so that dumping the rebuilt object gives the
    /// same spec.
    fn writer_order(&mut self) {
        let symbols = std::mem::take(&mut self.object.symbols);
        let group = |s: &Symbol| match (s.kind, s.binding) {
            (SymbolKind::File, _) => 0,
            (SymbolKind::Section, _) => 3,
            (_, Binding::Local) => 1,
            _ => 2,
        };
        let mut order: Vec<usize> = (0..symbols.len()).collect();
        order.sort_by_key(|&i| symbols.get(i).map_or(4, group));
        let mut new_id = vec![0; symbols.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(slot) = new_id.get_mut(old) {
                *slot = new;
            }
        }
        let mut taken: Vec<Option<Symbol>> = symbols.into_iter().map(Some).collect();
        for &old in &order {
            if let Some(symbol) = taken.get_mut(old).and_then(Option::take) {
                self.object.symbols.push(symbol);
            }
        }
        let remap = |id: SymbolId| {
            SymbolId::from_index(new_id.get(id.index()).copied().unwrap_or(id.index()))
        };
        for r in &mut self.object.relocations {
            r.set_symbol(r.symbol().map(remap));
            r.set_minus(r.minus().map(remap));
        }
        let local_entries: Vec<(SymbolId, u32)> = self.object.local_entries().collect();
        for &(id, _) in &local_entries {
            self.object.set_local_entry(id, 0);
        }
        for (id, offset) in local_entries {
            self.object.set_local_entry(remap(id), offset);
        }
    }

    /// `Some(label offset)` when `r` is a `%pcrel_lo` whose label sits on a hi20 relocation
    /// in the same section, with addend 0: it can be written with `pair`.
    fn pcrel_label(
        &self,
        k: usize,
        r: &RawReloc,
        hi20_at: &std::collections::HashSet<u64>,
    ) -> Option<u64> {
        if self.arch != Architecture::Riscv64
            || !matches!(
                r.r_type,
                R_RISCV_PCREL_LO12_I
                    | R_RISCV_PCREL_LO12_S
                    | R_RISCV_TLSDESC_LOAD_LO12
                    | R_RISCV_TLSDESC_ADD_LO12
                    | R_RISCV_TLSDESC_CALL
            )
            || r.addend != Some(0)
        {
            return None;
        }
        let label = self.symbols.get(r.sym as usize)?;
        if label.typ == elf::STT_SECTION || self.model_section_of(label) != Some(k) {
            return None;
        }
        hi20_at.contains(&label.value).then_some(label.value)
    }

    /// The model symbol for a symbol table entry.
    fn symbol(&self, sym: &ElfSymbol) -> Result<Symbol> {
        let err = |message: String| DumpError::symbol(&sym.name, message);
        let binding = match sym.bind {
            elf::STB_LOCAL => Binding::Local,
            elf::STB_GLOBAL => Binding::Global,
            elf::STB_WEAK => Binding::Weak,
            elf::STB_GNU_UNIQUE => Binding::GnuUnique,
            b => return Err(err(format!("unknown binding {b}"))),
        };
        let visibility = match sym.other & 3 {
            elf::STV_DEFAULT => Visibility::Default,
            elf::STV_HIDDEN => Visibility::Hidden,
            elf::STV_PROTECTED => Visibility::Protected,
            _ => Visibility::Internal,
        };
        let flags = if self.arch == Architecture::Ppc64le {
            // ELFv2: bits 5..7 are the local entry, which `local_entry` reads.
            sym.other & !3 & !PPC64_STO_LOCAL_MASK
        } else {
            sym.other & !3
        };
        if flags != 0 {
            return Err(err(format!(
                "st_other {:#x} carries processor flags (such as a variant calling convention) objforge does not write",
                sym.other
            )));
        }
        let kind = match sym.typ {
            elf::STT_NOTYPE => SymbolKind::None,
            elf::STT_OBJECT | elf::STT_COMMON => SymbolKind::Object,
            elf::STT_FUNC => SymbolKind::Func,
            elf::STT_TLS => SymbolKind::Tls,
            elf::STT_FILE => SymbolKind::File,
            elf::STT_GNU_IFUNC => {
                return Err(err(
                    "type STT_GNU_IFUNC (an indirect function) has no objforge equivalent".into(),
                ))
            }
            t => return Err(err(format!("type {t} has no objforge equivalent"))),
        };
        if kind == SymbolKind::File {
            if sym.shndx != SHN_ABS || binding != Binding::Local {
                return Err(err(
                    "a file symbol that is not local and absolute, which objforge cannot write"
                        .into(),
                ));
            }
            return Ok(Symbol::file(sym.name.clone()));
        }
        let definition = match sym.shndx {
            SHN_UNDEF => {
                if binding == Binding::Local {
                    return Err(err("an undefined local symbol".into()));
                }
                SymbolDefinition::Undefined
            }
            SHN_COMMON => SymbolDefinition::Common {
                size: sym.size,
                align: u32::try_from(sym.value.max(1)).map_err(|_| {
                    err(format!(
                        "common alignment {} is over 2^31, the most objforge writes",
                        sym.value
                    ))
                })?,
            },
            SHN_ABS => {
                return Err(err(format!(
                    "an absolute symbol (value {:#x}): objforge symbols are defined in a section, undefined or common",
                    sym.value
                )))
            }
            _ => {
                let Some(k) = self.model_section_of(sym) else {
                    return Err(err(format!(
                        "defined in section #{}, which is not a section objforge writes",
                        sym.shndx
                    )));
                };
                // ELF lets a value lie past its section's end (GCC's RISC-V section anchors
                // do); so does the model, on ELF.
                SymbolDefinition::Defined {
                    section: SectionId::from_index(k),
                    offset: sym.value,
                }
            }
        };
        if let SymbolDefinition::Common { align, .. } = definition {
            if !align.is_power_of_two() {
                return Err(err(format!(
                    "common alignment {align} is not a power of two"
                )));
            }
        }
        Ok(Symbol {
            name: sym.name.as_str().into(),
            definition,
            kind,
            binding,
            visibility,
            size: sym.size,
        })
    }

    /// The model's section symbol for model section `k`, made on first use.
    fn section_symbol(&mut self, k: usize) -> SymbolId {
        if let Some(Some(id)) = self.section_symbol.get(k) {
            return *id;
        }
        let name = self
            .object
            .sections
            .get(k)
            .map(|s| s.name.as_str().into())
            .unwrap_or_default();
        let mut symbol = Symbol::section(SectionId::from_index(k));
        symbol.name = name;
        self.object.symbols.push(symbol);
        let id = SymbolId::from_index(self.object.symbols.len() - 1);
        if let Some(slot) = self.section_symbol.get_mut(k) {
            *slot = Some(id);
        }
        id
    }

    /// The model symbol a relocation names, or an error naming its place.
    fn target(
        &mut self,
        r: &RawReloc,
        id_of: &[Option<SymbolId>],
        section: &str,
    ) -> Result<SymbolId> {
        let Some(sym) = self.symbols.get(r.sym as usize) else {
            return Err(DumpError::at(
                section,
                r.offset,
                format!("symbol #{} does not exist", r.sym),
            ));
        };
        if r.sym == 0 {
            return Err(DumpError::at(
                section,
                r.offset,
                format!(
                    "relocation type {} names no symbol, which objforge relocations always do",
                    self.type_name(r.r_type)
                ),
            ));
        }
        if sym.typ == elf::STT_SECTION {
            return match self.model_section_of(sym) {
                Some(target) => Ok(self.section_symbol(target)),
                None => Err(DumpError::at(
                    section,
                    r.offset,
                    format!(
                        "the relocation is against section #{}, which objforge does not write",
                        sym.shndx
                    ),
                )),
            };
        }
        id_of.get(r.sym as usize).copied().flatten().ok_or_else(|| {
            DumpError::at(
                section,
                r.offset,
                format!("symbol `{}` cannot be referred to", sym.name),
            )
        })
    }

    /// The relocations of model section `k`, in their order.
    fn section_relocations(
        &mut self,
        k: usize,
        list: &[RawReloc],
        id_of: &[Option<SymbolId>],
    ) -> Result<()> {
        let section_name = self
            .object
            .sections
            .get(k)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let name = section_name.as_str();
        let hi20_at: std::collections::HashSet<u64> = list
            .iter()
            .filter(|r| is_rv_hi20(self.arch, r.r_type))
            .map(|r| r.offset)
            .collect();
        let mut i = 0;
        while let Some(r) = list.get(i) {
            i += 1;
            let at = |message: String| DumpError::at(name, r.offset, message);
            let len = self.object.sections.get(k).map_or(0, |s| s.data.len());
            if r.offset >= len {
                return Err(at(format!(
                    "the relocation is past the end of the section ({len} bytes)"
                )));
            }
            // RISC-V: `%pcrel_lo` by offset.
            if let Some(pair) = self.pcrel_label(k, r, &hi20_at) {
                let kind = match r.r_type {
                    R_RISCV_PCREL_LO12_I => RelocKind::RvPcrelLo12I,
                    R_RISCV_PCREL_LO12_S => RelocKind::RvPcrelLo12S,
                    R_RISCV_TLSDESC_LOAD_LO12 => RelocKind::RvTlsdescLoadLo12,
                    R_RISCV_TLSDESC_ADD_LO12 => RelocKind::RvTlsdescAddLo12,
                    _ => RelocKind::RvTlsdescCall,
                };
                self.object.relocations.push(Relocation::pcrel_lo12(
                    SectionId::from_index(k),
                    r.offset,
                    kind,
                    pair,
                ));
                continue;
            }
            // RISC-V: hints with no symbol. RELAX and NONE ignore theirs: the section's own
            // symbol stands in. ALIGN measures from its symbol, which with none is the
            // relocation's place: a label there stands in.
            if self.arch == Architecture::Riscv64 && r.sym == 0 {
                let symbol = match r.r_type {
                    R_RISCV_NONE | R_RISCV_RELAX => self.section_symbol(k),
                    R_RISCV_ALIGN => self.anchor(k, r.offset),
                    _ => self.target(r, id_of, name)?,
                };
                self.object.relocations.push(
                    Relocation::new(SectionId::from_index(k), r.offset, symbol, native(r.r_type))
                        .with_addend(r.addend.unwrap_or(0)),
                );
                continue;
            }
            // Arm: R_ARM_NONE and R_ARM_V4BX as GNU as writes them, with no symbol, which
            // the linker does not read: the section's own symbol stands in.
            if self.arch == Architecture::Arm && r.sym == 0 && matches!(r.r_type, 0 | 40) {
                let symbol = self.section_symbol(k);
                self.object.relocations.push(Relocation::new(
                    SectionId::from_index(k),
                    r.offset,
                    symbol,
                    native(r.r_type),
                ));
                continue;
            }
            // RISC-V: ADD/SUB and SET/SUB pairs are differences.
            if self.arch == Architecture::Riscv64 {
                if let Some(next) = list.get(i) {
                    if let Some((kind, clear)) = rv_pair(r.r_type, next.r_type) {
                        if next.offset == r.offset && next.addend == Some(0) && next.sym != 0 {
                            let plus = self.target(r, id_of, name)?;
                            let minus = self.target(next, id_of, name)?;
                            if clear {
                                // SET overwrites the field; ADD adds to it: zero is the same.
                                let size = kind.shape().size();
                                if let Some(SectionData::Bytes(b)) =
                                    self.object.sections.get_mut(k).map(|s| &mut s.data)
                                {
                                    bits::clear(b, r.offset, size);
                                }
                            }
                            self.object.relocations.push(
                                Relocation::difference(
                                    SectionId::from_index(k),
                                    r.offset,
                                    kind,
                                    plus,
                                    minus,
                                )
                                .with_addend(r.addend.unwrap_or(0)),
                            );
                            i += 1;
                            continue;
                        }
                    }
                }
            }
            let symbol = self.target(r, id_of, name)?;
            let kind = self.kind(k, r, symbol);
            let mut addend = r.addend.unwrap_or(0);
            let mut kind = kind;
            let arm_field = if self.arch == Architecture::Arm && r.addend.is_none() {
                let word = match self.object.sections.get(k).map(|s| &s.data) {
                    Some(SectionData::Bytes(b)) => bits::read_u32(b, r.offset),
                    _ => None,
                };
                match (word, elf_arm::take_addend(kind, 0)) {
                    (_, None) => None,
                    (Some(word), Some(_)) => elf_arm::take_addend(kind, word),
                    (None, Some(_)) => {
                        return Err(at(format!(
                            "the 4-byte {kind} field runs past the end of the section"
                        )))
                    }
                }
            } else {
                None
            };
            if let Some((value, cleared)) = arm_field {
                addend = value;
                if let Some(SectionData::Bytes(b)) =
                    self.object.sections.get_mut(k).map(|s| &mut s.data)
                {
                    bits::write_u32(b, r.offset, cleared);
                }
            } else if r.addend.is_none() {
                // REL: the addend is in the field.
                let size = match kind {
                    RelocKind::Native(n) => n.size,
                    _ => match kind.shape() {
                        FieldShape::Data(n) => n,
                        _ => 0,
                    },
                };
                if size > 0 {
                    let Some(SectionData::Bytes(bytes)) =
                        self.object.sections.get_mut(k).map(|s| &mut s.data)
                    else {
                        return Err(at("relocations in a section without contents".into()));
                    };
                    addend = bits::read_signed(bytes, r.offset, size).ok_or_else(|| {
                        DumpError::at(
                            name,
                            r.offset,
                            format!("the {size}-byte field runs past the end of the section"),
                        )
                    })?;
                    bits::clear(bytes, r.offset, size);
                    if matches!(kind, RelocKind::Pcrel8 | RelocKind::Pcrel16) {
                        addend = self.within_reach(k, r.offset, symbol, addend, size);
                    }
                } else if let RelocKind::Native(mut n) = kind {
                    n.size = 0;
                    kind = RelocKind::Native(n);
                }
            }
            self.object.relocations.push(
                Relocation::new(SectionId::from_index(k), r.offset, symbol, kind)
                    .with_addend(addend),
            );
            self.fallback
                .resize(self.object.relocations.len() - 1, None);
            self.fallback
                .push(Some(native_sized(self.arch, r.r_type, r.addend.is_none())));
        }
        Ok(())
    }

    /// The field holds the addend modulo 2^(8 * size): of `addend` (read sign-extended) and
    /// `addend + 2^(8 * size)`, the one that keeps S + A - P within the field's signed reach
    /// when the target sits at a fixed place in the field's own section (where the library
    /// checks the reach); otherwise `addend`.
    fn within_reach(&self, k: usize, offset: u64, symbol: SymbolId, addend: i64, size: u8) -> i64 {
        let Some(sym) = self.object.symbols.get(symbol.index()) else {
            return addend;
        };
        let pinned = sym.binding == Binding::Local
            || (sym.binding == Binding::Global && sym.visibility != Visibility::Default);
        let SymbolDefinition::Defined {
            section,
            offset: at,
        } = sym.definition
        else {
            return addend;
        };
        if section.index() != k || !pinned || addend >= 0 {
            return addend;
        }
        let half = 1i128 << (8 * u32::from(size) - 1);
        let reaches = |a: i64| {
            let v = i128::from(at) + i128::from(a) - i128::from(offset);
            (-half..half).contains(&v)
        };
        let other = addend + (1i64 << (8 * u32::from(size)));
        if !reaches(addend) && reaches(other) {
            other
        } else {
            addend
        }
    }

    /// A local label at `offset` of model section `k` (for a RISC-V `R_RISCV_ALIGN`, which
    /// measures from its symbol).
    fn anchor(&mut self, k: usize, offset: u64) -> SymbolId {
        if let Some(id) = self.anchors.get(&(k, offset)) {
            return *id;
        }
        let name = format!(".Lalign.{offset}");
        self.object
            .symbols
            .push(Symbol::defined(name, SectionId::from_index(k), offset));
        let id = SymbolId::from_index(self.object.symbols.len() - 1);
        self.anchors.insert((k, offset), id);
        id
    }

    /// The portable kind the writer spells with `r`'s type (for this symbol and the bytes
    /// before the field), or `native`.
    fn kind(&self, k: usize, r: &RawReloc, symbol: SymbolId) -> RelocKind {
        let Some(kind) = portable(self.arch, r.r_type) else {
            return native_sized(self.arch, r.r_type, r.addend.is_none());
        };
        match kind {
            RelocKind::Abs32 if self.in_unallocated(symbol) => RelocKind::Secrel32,
            RelocKind::X86GotPcrel32 => {
                let bytes = match self.object.sections.get(k).map(|s| &s.data) {
                    Some(SectionData::Bytes(b)) => b.as_slice(),
                    _ => &[],
                };
                if gotpcrel_type(bits::before(bytes, r.offset)) == r.r_type {
                    kind
                } else {
                    native_sized(self.arch, r.r_type, r.addend.is_none())
                }
            }
            _ => kind,
        }
    }

    /// Whether the symbol is defined in a section that is not loaded (where `secrel32` and
    /// `abs32` are the same relocation).
    fn in_unallocated(&self, symbol: SymbolId) -> bool {
        self.object
            .symbols
            .get(symbol.index())
            .and_then(Symbol::section_id)
            .and_then(|s| self.object.sections.get(s.index()))
            .is_some_and(|s| !s.kind.is_allocated())
    }

    fn type_name(&self, r_type: u32) -> String {
        format!("{r_type} ({})", self.arch)
    }
}

/// LLVM's address-significance table (`.llvm_addrsig`).
const SHT_LLVM_ADDRSIG: u32 = 0x6fff_4c03;

/// Why the address-significance table is left out (ELF and COFF).
pub const ADDRSIG_NOTE: &str = "LLVM's address-significance table lists symbols by their index in the symbol table, which rebuilding renumbers; without it the linker takes every symbol to be address-significant (no identical-code folding), which is safe";

const R_RISCV_NONE: u32 = 0;
const R_RISCV_GOT_HI20: u32 = 20;
const R_RISCV_TLS_GOT_HI20: u32 = 21;
const R_RISCV_TLS_GD_HI20: u32 = 22;
const R_RISCV_PCREL_HI20: u32 = 23;
const R_RISCV_PCREL_LO12_I: u32 = 24;
const R_RISCV_TLSDESC_HI20: u32 = 62;
const R_RISCV_TLSDESC_LOAD_LO12: u32 = 63;
const R_RISCV_TLSDESC_ADD_LO12: u32 = 64;
const R_RISCV_TLSDESC_CALL: u32 = 65;
const R_RISCV_PCREL_LO12_S: u32 = 25;
const R_RISCV_ALIGN: u32 = 43;
const R_RISCV_RELAX: u32 = 51;

/// ppc64le `e_flags`: the ELFv2 ABI.
const PPC64_EF_ABI_V2: u32 = 2;
/// ppc64le `st_other` bits 5..7: the local entry point (`STO_PPC64_LOCAL_MASK`).
const PPC64_STO_LOCAL_MASK: u8 = 7 << 5;

/// The local entry offset `st_other` gives a ppc64le symbol (`.localentry`): 0 or 1 as they
/// are, 2..6 as 4..64 bytes; 7 is reserved.
fn ppc64_local_entry(sym: &ElfSymbol) -> Result<u32> {
    match (sym.other & PPC64_STO_LOCAL_MASK) >> 5 {
        7 => Err(DumpError::symbol(
            &sym.name,
            "st_other's local entry field is 7, which the ELFv2 ABI reserves".to_string(),
        )),
        code @ (0 | 1) => Ok(u32::from(code)),
        code => Ok(1 << code >> 2 << 2),
    }
}

/// RISC-V relocations a `%pcrel_lo` may complete.
fn is_rv_hi20(arch: Architecture, r_type: u32) -> bool {
    arch == Architecture::Riscv64
        && matches!(
            r_type,
            R_RISCV_GOT_HI20
                | R_RISCV_TLS_GOT_HI20
                | R_RISCV_TLS_GD_HI20
                | R_RISCV_PCREL_HI20
                | R_RISCV_TLSDESC_HI20
        )
}

/// A RISC-V pair of types at one offset that is a symbol difference: the `diff*` kind, and
/// whether the first is a SET (which ignores the field, so the field is cleared).
fn rv_pair(first: u32, second: u32) -> Option<(RelocKind, bool)> {
    Some(match (first, second) {
        (33, 37) => (RelocKind::Diff8, false),
        (34, 38) => (RelocKind::Diff16, false),
        (35, 39) => (RelocKind::Diff32, false),
        (36, 40) => (RelocKind::Diff64, false),
        (54, 37) => (RelocKind::Diff8, true),
        (55, 38) => (RelocKind::Diff16, true),
        (56, 39) => (RelocKind::Diff32, true),
        _ => return None,
    })
}

/// The portable kind objforge's ELF writer writes as `r_type` on `arch` (one type, one kind:
/// the inverse of the library's tables).
// Other helpers add architectures (Wasm) that have no ELF: the last arm covers them.
#[allow(unreachable_patterns)]
fn portable(arch: Architecture, r_type: u32) -> Option<RelocKind> {
    use RelocKind::*;
    Some(match arch {
        Architecture::X86_64 => match r_type {
            1 => Abs64,
            2 => Pcrel32,
            4 => X86Branch32,
            9 | 41 | 42 => X86GotPcrel32,
            10 => Abs32,
            11 => Abs32S,
            12 => Abs16,
            13 => Pcrel16,
            14 => Abs8,
            15 => Pcrel8,
            24 => Pcrel64,
            17 => X86Dtpoff64,
            19 => X86Tlsgd,
            20 => X86Tlsld,
            21 => X86Dtpoff32,
            22 => X86Gottpoff,
            23 => X86Tpoff32,
            34 => X86GotpcTlsdesc,
            35 => X86TlsdescCall,
            _ => return None,
        },
        Architecture::I386 => match r_type {
            1 => Abs32,
            2 => Pcrel32,
            4 => X86Branch32,
            20 => Abs16,
            21 => Pcrel16,
            22 => Abs8,
            23 => Pcrel8,
            15 => X86Indntpoff,
            16 => X86Gottpoff,
            17 => X86Tpoff32,
            18 => X86Tlsgd,
            19 => X86Tlsld,
            32 => X86Dtpoff32,
            39 => X86GotpcTlsdesc,
            40 => X86TlsdescCall,
            _ => return None,
        },
        Architecture::Aarch64 => match r_type {
            257 => Abs64,
            258 => Abs32,
            259 => Abs16,
            260 => Pcrel64,
            261 => Pcrel32,
            262 => Pcrel16,
            273 => A64LdrLit19,
            274 => A64Adr21,
            275 => A64Adrp21,
            277 => A64AddLo12,
            278 => A64Ldst8Lo12,
            279 => A64Tstbr14,
            280 => A64Condbr19,
            282 => A64Jump26,
            283 => A64Call26,
            284 => A64Ldst16Lo12,
            285 => A64Ldst32Lo12,
            286 => A64Ldst64Lo12,
            299 => A64Ldst128Lo12,
            311 => A64GotAdrp21,
            312 => A64GotLd64Lo12,
            513 => A64TlsgdAdrp21,
            514 => A64TlsgdAddLo12,
            518 => A64TlsldAdrp21,
            519 => A64TlsldAddLo12,
            528 => A64TlsldDtprelHi12,
            530 => A64TlsldDtprelLo12,
            541 => A64TlsieAdrp21,
            542 => A64TlsieLd64Lo12,
            549 => A64TlsleHi12,
            551 => A64TlsleLo12,
            562 => A64TlsdescAdrp21,
            563 => A64TlsdescLd64Lo12,
            564 => A64TlsdescAddLo12,
            569 => A64TlsdescCall,
            _ => return None,
        },
        Architecture::Arm => return elf_arm::portable(r_type),
        Architecture::Riscv64 => match r_type {
            1 => Abs32,
            2 => Abs64,
            16 => RvBranch,
            17 => RvJal,
            19 => RvCall,
            20 => RvGotHi20,
            21 => RvTlsGotHi20,
            22 => RvTlsGdHi20,
            23 => RvPcrelHi20,
            26 => RvHi20,
            27 => RvLo12I,
            28 => RvLo12S,
            29 => RvTprelHi20,
            30 => RvTprelLo12I,
            31 => RvTprelLo12S,
            32 => RvTprelAdd,
            44 => RvRvcBranch,
            45 => RvRvcJump,
            54 => Abs8,
            55 => Abs16,
            57 => Pcrel32,
            62 => RvTlsdescHi20,
            _ => return None,
        },
        // R_390_*: the inverse of arch/s390x.rs.
        Architecture::S390x => match r_type {
            1 => Abs8,
            3 => Abs16,
            4 => Abs32,
            5 => Pcrel32,
            16 => Pcrel16,
            17 => S390Pc16Dbl,
            18 => S390Plt16Dbl,
            19 => S390Pc32Dbl,
            20 => S390Plt32Dbl,
            21 => S390GotPcDbl,
            22 => Abs64,
            23 => Pcrel64,
            26 => S390GotEnt,
            38 => S390TlsGdcall,
            39 => S390TlsLdcall,
            41 => S390TlsGd64,
            46 => S390TlsLdm64,
            49 => S390TlsIeent,
            51 => S390TlsLe64,
            53 => S390TlsLdo64,
            _ => return None,
        },
        Architecture::Ppc64le => match r_type {
            1 => Abs32,
            3 => Abs16,
            4 => PpcAddr16Lo,
            5 => PpcAddr16Hi,
            6 => PpcAddr16Ha,
            10 => PpcRel24,
            11 => PpcRel14,
            17 => PpcGot16Ha,
            26 => Pcrel32,
            38 => Abs64,
            44 => Pcrel64,
            48 => PpcToc16Lo,
            50 => PpcToc16Ha,
            57 => PpcAddr16LoDs,
            59 => PpcGot16LoDs,
            64 => PpcToc16LoDs,
            67 => PpcTls,
            70 => PpcTprel16Lo,
            72 => PpcTprel16Ha,
            88 => PpcGotTprel16LoDs,
            90 => PpcGotTprel16Ha,
            250 => PpcRel16Lo,
            252 => PpcRel16Ha,
            _ => return None,
        },
        _ => return None,
    })
}

/// The x86_64 GOT relocation the writer picks from the three bytes before the field (the
/// library's rule, which it documents in relocations.md).
fn gotpcrel_type(before: &[u8]) -> u32 {
    const GOTPCREL: u32 = 9;
    const GOTPCRELX: u32 = 41;
    const REX_GOTPCRELX: u32 = 42;
    let [.., opcode, modrm] = before else {
        return GOTPCREL;
    };
    if modrm & 0xc7 != 0x05 {
        return GOTPCREL;
    }
    let rex = before.len() >= 3 && before.first().is_some_and(|b| (0x48..=0x4f).contains(b));
    let reg = (modrm >> 3) & 7;
    match opcode {
        0x8b if rex => REX_GOTPCRELX,
        0x85 | 0x03 | 0x0b | 0x13 | 0x1b | 0x23 | 0x2b | 0x33 | 0x3b if rex => REX_GOTPCRELX,
        0x8b => GOTPCRELX,
        0xff if reg == 2 || reg == 4 => GOTPCRELX,
        _ => GOTPCREL,
    }
}

/// A `native` relocation of `r_type`.
fn native(r_type: u32) -> RelocKind {
    RelocKind::Native(NativeReloc {
        r_type,
        pcrel: false,
        length: 0,
        size: 0,
    })
}

/// A `native` relocation of `r_type`; with REL (`rel`), the size of the field that holds
/// its addend, which the writer needs to put a non-zero addend back.
fn native_sized(arch: Architecture, r_type: u32, rel: bool) -> RelocKind {
    let size = if rel && arch == Architecture::I386 {
        match r_type {
            0 => 0,       // R_386_NONE
            20 | 21 => 2, // R_386_16, R_386_PC16
            22 | 23 => 1, // R_386_8, R_386_PC8
            _ => 4,       // every other i386 type patches a 32-bit field
        }
    } else {
        0
    };
    RelocKind::Native(NativeReloc {
        r_type,
        pcrel: false,
        length: 0,
        size,
    })
}

/// The section type objforge's ELF writer gives a section of this name and kind.
fn writer_section_type(name: &str, kind: SectionKind) -> u32 {
    let special = |base: &str| {
        name == base
            || name
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    if kind.is_zero_fill() {
        elf::SHT_NOBITS
    } else if special(".init_array") {
        elf::SHT_INIT_ARRAY
    } else if special(".fini_array") {
        elf::SHT_FINI_ARRAY
    } else if special(".preinit_array") {
        elf::SHT_PREINIT_ARRAY
    } else if name.starts_with(".note") {
        elf::SHT_NOTE
    } else if name == ".gnu.attributes" && kind == SectionKind::Other {
        elf::SHT_GNU_ATTRIBUTES
    } else {
        elf::SHT_PROGBITS
    }
}

/// A section type's name, for messages.
fn type_name(sh_type: u32) -> String {
    let name = match sh_type {
        elf::SHT_PROGBITS => "SHT_PROGBITS",
        elf::SHT_NOBITS => "SHT_NOBITS",
        elf::SHT_NOTE => "SHT_NOTE",
        elf::SHT_INIT_ARRAY => "SHT_INIT_ARRAY",
        elf::SHT_FINI_ARRAY => "SHT_FINI_ARRAY",
        elf::SHT_PREINIT_ARRAY => "SHT_PREINIT_ARRAY",
        elf::SHT_DYNAMIC => "SHT_DYNAMIC",
        elf::SHT_DYNSYM => "SHT_DYNSYM",
        elf::SHT_HASH => "SHT_HASH",
        elf::SHT_GNU_HASH => "SHT_GNU_HASH",
        elf::SHT_X86_64_UNWIND => "SHT_X86_64_UNWIND",
        elf::SHT_GROUP => "SHT_GROUP",
        elf::SHT_GNU_ATTRIBUTES => "SHT_GNU_ATTRIBUTES",
        0x7000_0003 => "SHT_LOPROC+3 (processor-specific attributes)",
        _ => "",
    };
    if name.is_empty() {
        format!("{sh_type:#x}")
    } else {
        format!("{name} ({sh_type:#x})")
    }
}

/// Section flags as `readelf` letters, for messages.
fn flag_letters(flags: u64) -> String {
    let letters = [
        (elf::SHF_WRITE, 'W'),
        (elf::SHF_ALLOC, 'A'),
        (elf::SHF_EXECINSTR, 'X'),
        (elf::SHF_MERGE, 'M'),
        (elf::SHF_STRINGS, 'S'),
        (elf::SHF_INFO_LINK, 'I'),
        (elf::SHF_LINK_ORDER, 'L'),
        (elf::SHF_OS_NONCONFORMING, 'O'),
        (elf::SHF_GROUP, 'G'),
        (elf::SHF_TLS, 'T'),
        (elf::SHF_COMPRESSED, 'C'),
        (elf::SHF_GNU_RETAIN, 'R'),
        (elf::SHF_EXCLUDE, 'E'),
    ];
    let mut out: String = letters
        .iter()
        .filter(|(bit, _)| flags & u64::from(*bit) != 0)
        .map(|(_, c)| *c)
        .collect();
    let known = letters
        .iter()
        .fold(0u64, |acc, (bit, _)| acc | u64::from(*bit));
    if flags & !known != 0 {
        out.push_str(&format!("+{:#x}", flags & !known));
    }
    if out.is_empty() {
        out.push_str("(none)");
    }
    out
}
