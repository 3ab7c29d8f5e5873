//! Mach-O relocatable objects (64-bit `MH_OBJECT`: x86_64, arm64) back into the model.
//!
//! The inverse of objforge's Mach-O writer: the one segment's sections by their
//! `__SEGMENT,__section` names (kind and flags from the section type and attributes, checked
//! against exactly what the writer gives them), `LC_BUILD_VERSION` (or `LC_VERSION_MIN_*`) as
//! `options.platform`, the symbols with the C prefix `_` taken off when every name has it
//! (`options.mangle`), and the relocations: addends kept in the field are read out (x86_64
//! PC-relative fields count from their end, + 4) and the field cleared; `ARM64_RELOC_ADDEND`
//! joins the relocation it precedes; a `SUBTRACTOR`/`UNSIGNED` pair is one `diff*`.
//! Section-relative entries (`r_extern` = 0) name the section's symbol; `ltmpN`, the symbol
//! LLVM and objforge put at a section's start to stand for it, is that section symbol.

use object::macho;
use object::macho::MachHeader64;
use object::read::macho::{LoadCommandVariant, MachHeader, Nlist, Section as MachSection, Segment};
use object::Endianness;

use objforge::{
    AppleOs, Architecture, Binding, Format, NativeReloc, Object, Platform, RelocKind, Relocation,
    Section, SectionData, SectionFlags, SectionId, SectionKind, Symbol, SymbolDefinition, SymbolId,
    SymbolKind, Target, Version, Visibility,
};

use super::{bits, DumpError, Dumped, Result};

/// A section as laid out in the object.
struct Laid {
    /// Model section index.
    model: usize,
    addr: u64,
    size: u64,
    section_type: u32,
}

/// What an `nlist` is in the model.
#[derive(Clone, Copy)]
enum Mapped {
    /// This model symbol.
    Symbol(SymbolId),
    /// `ltmpN`: the section symbol of this model section.
    SectionStart(usize),
}

/// One `relocation_info`, decoded.
#[derive(Clone, Copy)]
struct Info {
    address: u32,
    symbolnum: u32,
    pcrel: bool,
    length: u8,
    is_extern: bool,
    r_type: u8,
}

/// Reads a 64-bit Mach-O object.
pub fn read(data: &[u8]) -> Result<Dumped> {
    let header = MachHeader64::<Endianness>::parse(data, 0).map_err(DumpError::malformed)?;
    let endian = header.endian().map_err(DumpError::malformed)?;
    let arch = match (header.cputype(endian), header.cpusubtype(endian) & !macho::CPU_SUBTYPE_MASK) {
        (macho::CPU_TYPE_X86_64, macho::CPU_SUBTYPE_X86_64_ALL) => Architecture::X86_64,
        (macho::CPU_TYPE_ARM64, macho::CPU_SUBTYPE_ARM64_ALL) => Architecture::Aarch64,
        (macho::CPU_TYPE_ARM64, macho::CPU_SUBTYPE_ARM64E) => {
            return Err(DumpError::new(
                "unsupported machine: arm64e (pointer authentication); objforge writes arm64 and x86_64 Mach-O",
            ))
        }
        (macho::CPU_TYPE_X86_64, sub) => {
            return Err(DumpError::new(format!(
                "unsupported machine: x86_64 subtype {sub} (objforge writes CPU_SUBTYPE_X86_64_ALL)"
            )))
        }
        (cpu, _) => {
            let name = match cpu {
                macho::CPU_TYPE_ARM64_32 => "arm64_32",
                macho::CPU_TYPE_X86 => "i386",
                macho::CPU_TYPE_ARM => "32-bit Arm",
                macho::CPU_TYPE_POWERPC64 => "PowerPC 64",
                _ => "",
            };
            return Err(DumpError::new(format!(
                "unsupported machine {}(cputype {cpu:#x}): objforge reads x86_64 and arm64 Mach-O",
                if name.is_empty() { String::new() } else { format!("{name} ") }
            )));
        }
    };
    if header.filetype(endian) != macho::MH_OBJECT {
        return Err(DumpError::new(format!(
            "Mach-O file type {}: objforge dumps relocatable objects (MH_OBJECT), not linked images",
            header.filetype(endian)
        )));
    }
    if header.flags(endian) & macho::MH_SUBSECTIONS_VIA_SYMBOLS == 0 {
        return Err(DumpError::new(
            "the header lacks MH_SUBSECTIONS_VIA_SYMBOLS, which every object objforge writes has (without it each section is one piece the linker cannot split)",
        ));
    }
    let mut object = Object::new(Target::new(arch, Format::MachO));
    let mut notes = Vec::new();
    let mut segment = None;
    let mut symtab = None;
    let mut platform = None;
    let mut commands = header
        .load_commands(endian, data, 0)
        .map_err(DumpError::malformed)?;
    while let Some(command) = commands.next().map_err(DumpError::malformed)? {
        match command.variant().map_err(DumpError::malformed)? {
            LoadCommandVariant::Segment64(seg, section_data) => {
                if segment.replace((seg, section_data)).is_some() {
                    return Err(DumpError::new(
                        "more than one LC_SEGMENT_64: an object has one unnamed segment",
                    ));
                }
            }
            LoadCommandVariant::Symtab(s) => symtab = Some(s),
            LoadCommandVariant::Dysymtab(_) => {}
            LoadCommandVariant::BuildVersion(b) => {
                let os = os_of_platform(b.platform.get(endian)).ok_or_else(|| {
                    DumpError::new(format!(
                        "LC_BUILD_VERSION platform {} is not one objforge writes",
                        b.platform.get(endian)
                    ))
                })?;
                platform = Some(Platform {
                    os,
                    min: version(b.minos.get(endian)),
                    sdk: version(b.sdk.get(endian)),
                });
            }
            LoadCommandVariant::VersionMin(v) => {
                let os = match v.cmd.get(endian) {
                    macho::LC_VERSION_MIN_MACOSX => AppleOs::MacOs,
                    macho::LC_VERSION_MIN_IPHONEOS => AppleOs::Ios,
                    macho::LC_VERSION_MIN_TVOS => AppleOs::TvOs,
                    _ => AppleOs::WatchOs,
                };
                platform = Some(Platform {
                    os,
                    min: version(v.version.get(endian)),
                    sdk: version(v.sdk.get(endian)),
                });
            }
            LoadCommandVariant::LinkeditData(l) => {
                let what = match l.cmd.get(endian) {
                    macho::LC_LINKER_OPTIMIZATION_HINT => {
                        "the linker optimisation hints (LC_LINKER_OPTIMIZATION_HINT), which only let the linker shorten instruction sequences"
                    }
                    macho::LC_DATA_IN_CODE => {
                        "the data-in-code entries (LC_DATA_IN_CODE), which tell disassemblers where data sits among instructions"
                    }
                    cmd => {
                        return Err(DumpError::new(format!(
                            "load command {cmd:#x} has no objforge equivalent"
                        )))
                    }
                };
                if l.datasize.get(endian) != 0 {
                    notes.push(format!("left out {what}"));
                }
            }
            LoadCommandVariant::LinkerOption(o) => {
                notes.push(format!(
                    "left out an LC_LINKER_OPTION ({} strings): objforge writes none; give the linker those options yourself",
                    o.count.get(endian)
                ));
            }
            _ => {
                return Err(DumpError::new(format!(
                    "load command {:#x} has no objforge equivalent",
                    command.cmd()
                )))
            }
        }
    }
    object.options.platform = Some(platform.unwrap_or_default());

    // --- Sections.
    let mut laid: Vec<Laid> = Vec::new();
    let mut relocation_lists = Vec::new();
    if let Some((seg, section_data)) = segment {
        let headers = seg
            .sections(endian, section_data)
            .map_err(DumpError::malformed)?;
        for h in headers {
            let segname = name16(h.segment_name(), "segment")?;
            let sectname = name16(h.name(), "section")?;
            let name = format!("{segname},{sectname}");
            let flags = h.flags(endian);
            let section_type = flags & macho::SECTION_TYPE;
            let size = h.size(endian);
            let mut section = section(&name, &sectname, flags, h.align(endian))?;
            section.data = if matches!(
                section_type,
                macho::S_ZEROFILL | macho::S_THREAD_LOCAL_ZEROFILL
            ) {
                SectionData::Zero(size)
            } else {
                let bytes = h.data(endian, data).map_err(|_| {
                    DumpError::section(&name, "its contents run past the end of the file")
                })?;
                SectionData::Bytes(bytes.to_vec())
            };
            object.sections.push(section);
            laid.push(Laid {
                model: object.sections.len() - 1,
                addr: h.addr(endian),
                size,
                section_type,
            });
            let relocations = h.relocations(endian, data).map_err(DumpError::malformed)?;
            let mut infos = Vec::with_capacity(relocations.len());
            for r in relocations {
                if r.r_scattered(endian, header.cputype(endian)) {
                    return Err(DumpError::section(
                        &name,
                        "a scattered relocation, which x86_64 and arm64 objects do not use",
                    ));
                }
                let i = r.info(endian);
                infos.push(Info {
                    address: i.r_address,
                    symbolnum: i.r_symbolnum,
                    pcrel: i.r_pcrel,
                    length: i.r_length,
                    is_extern: i.r_extern,
                    r_type: i.r_type,
                });
            }
            relocation_lists.push(infos);
        }
    }
    // The model lists the sections as the writer lays them out, zero-filled ones last (so
    // that dumping the rebuilt object gives the same spec); `laid` stays in header order.
    let mut taken: Vec<Option<Section>> = std::mem::take(&mut object.sections)
        .into_iter()
        .map(Some)
        .collect();
    let zero = |i: usize| {
        taken
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|s| s.kind.is_zero_fill())
    };
    let order: Vec<usize> = (0..taken.len())
        .filter(|&i| !zero(i))
        .chain((0..taken.len()).filter(|&i| zero(i)))
        .collect();
    let mut position = vec![0; taken.len()];
    for (new, &old) in order.iter().enumerate() {
        if let Some(p) = position.get_mut(old) {
            *p = new;
        }
        if let Some(section) = taken.get_mut(old).and_then(Option::take) {
            object.sections.push(section);
        }
    }
    for l in &mut laid {
        l.model = position.get(l.model).copied().unwrap_or(l.model);
    }
    let section_of = |ordinal: u32| -> Option<&Laid> {
        usize::try_from(ordinal)
            .ok()?
            .checked_sub(1)
            .and_then(|i| laid.get(i))
    };

    // --- Symbols.
    let mut mapped: Vec<Option<Mapped>> = Vec::new();
    // Per section (by ordinal), the local symbols in it: (address, what it is), for the
    // section-relative relocations, which point at an address.
    let mut locals: Vec<Vec<(u64, Mapped)>> = vec![Vec::new(); laid.len()];
    if let Some(symtab) = symtab {
        let table = symtab
            .symbols::<MachHeader64<Endianness>, _>(endian, data)
            .map_err(DumpError::malformed)?;
        let strings = table.strings();
        let mut decoded = Vec::new();
        for nlist in table.iter() {
            let name_bytes = nlist.name(endian, strings).map_err(DumpError::malformed)?;
            let name = std::str::from_utf8(name_bytes)
                .map_err(|_| {
                    DumpError::new(format!(
                        "symbol {:?}: the name is not UTF-8, which a spec cannot hold",
                        String::from_utf8_lossy(name_bytes)
                    ))
                })?
                .to_string();
            decoded.push((
                name,
                nlist.n_type(),
                nlist.n_sect(),
                nlist.n_desc(endian),
                nlist.n_value(endian),
            ));
        }
        // `ltmpN` at the start of section N stands for the section.
        let section_start = |name: &str, n_type: u8, n_sect: u8, value: u64| -> Option<usize> {
            let laid = section_of(u32::from(n_sect))?;
            (n_type == macho::N_SECT
                && value == laid.addr
                && name == format!("ltmp{}", u32::from(n_sect) - 1))
            .then_some(laid.model)
        };
        let mangle = decoded
            .iter()
            .filter(|(name, t, s, _, v)| section_start(name, *t, *s, *v).is_none())
            .all(|(name, ..)| name.len() > 1 && name.starts_with('_'));
        object.options.mangle = mangle;
        for (name, n_type, n_sect, n_desc, n_value) in &decoded {
            if let Some(k) = section_start(name, *n_type, *n_sect, *n_value) {
                mapped.push(Some(Mapped::SectionStart(k)));
                if let Some(list) = locals.get_mut(usize::from(*n_sect).wrapping_sub(1)) {
                    list.push((*n_value, Mapped::SectionStart(k)));
                }
                continue;
            }
            let err = |message: String| DumpError::symbol(name, message);
            if n_type & macho::N_STAB != 0 {
                return Err(err(format!(
                    "a debugging (stab) entry, type {n_type:#x}, which objforge does not write"
                )));
            }
            let external = n_type & macho::N_EXT != 0;
            let private = n_type & macho::N_PEXT != 0;
            let model_name = if mangle {
                name.get(1..).unwrap_or_default().to_string()
            } else {
                name.to_string()
            };
            let (definition, binding, kind, allowed) = match n_type & macho::N_TYPE {
                macho::N_SECT => {
                    let Some(l) = section_of(u32::from(*n_sect)) else {
                        return Err(err(format!("defined in section {n_sect}, which does not exist")));
                    };
                    let offset = n_value.wrapping_sub(l.addr);
                    if *n_value < l.addr || offset > l.size {
                        return Err(err(format!(
                            "address {n_value:#x} is outside its section"
                        )));
                    }
                    let binding = match (external, n_desc & macho::N_WEAK_DEF != 0) {
                        (false, _) => Binding::Local,
                        (true, false) => Binding::Global,
                        (true, true) => Binding::Weak,
                    };
                    let kind = if l.section_type == macho::S_THREAD_LOCAL_VARIABLES {
                        SymbolKind::Tls
                    } else {
                        SymbolKind::None
                    };
                    let allowed = if external { macho::N_WEAK_DEF } else { 0 };
                    (
                        SymbolDefinition::Defined {
                            section: SectionId::from_index(l.model),
                            offset,
                        },
                        binding,
                        kind,
                        allowed,
                    )
                }
                macho::N_UNDF if !external => {
                    return Err(err("an undefined symbol that is not external".into()))
                }
                macho::N_UNDF if *n_value == 0 => {
                    let binding = if n_desc & macho::N_WEAK_REF != 0 {
                        Binding::Weak
                    } else {
                        Binding::Global
                    };
                    // The low bits say how an undefined symbol is referenced (lazily or not),
                    // which only matters in linked images.
                    (SymbolDefinition::Undefined, binding, SymbolKind::None, macho::N_WEAK_REF | macho::REFERENCE_TYPE)
                }
                macho::N_UNDF => {
                    let log2 = (n_desc >> 8) & 0xf;
                    (
                        SymbolDefinition::Common {
                            size: *n_value,
                            align: 1 << log2,
                        },
                        Binding::Global,
                        SymbolKind::Object,
                        0x0f00,
                    )
                }
                macho::N_ABS => {
                    return Err(err(format!(
                        "an absolute symbol (value {n_value:#x}): objforge symbols are defined in a section, undefined or common"
                    )))
                }
                t => {
                    return Err(err(format!(
                        "symbol type {t:#x} (indirect or prebound) has no objforge equivalent"
                    )))
                }
            };
            if n_desc & !allowed != 0 {
                let what = if n_desc & macho::N_NO_DEAD_STRIP != 0 {
                    "N_NO_DEAD_STRIP (`used`)"
                } else if n_desc & macho::N_ALT_ENTRY != 0 {
                    "N_ALT_ENTRY"
                } else if n_desc & 0x400 != 0 {
                    "N_COLD_FUNC"
                } else {
                    "flags"
                };
                return Err(err(format!(
                    "n_desc {n_desc:#06x} carries {what}, which objforge does not write"
                )));
            }
            let size = match definition {
                SymbolDefinition::Common { size, .. } => size,
                _ => 0,
            };
            object.symbols.push(Symbol {
                name: model_name.into(),
                definition,
                kind,
                binding,
                visibility: if external && private {
                    Visibility::Hidden
                } else {
                    Visibility::Default
                },
                size,
            });
            let id = SymbolId::from_index(object.symbols.len() - 1);
            mapped.push(Some(Mapped::Symbol(id)));
            if n_type & macho::N_TYPE == macho::N_SECT && !external {
                if let Some(list) = locals.get_mut(usize::from(*n_sect).wrapping_sub(1)) {
                    list.push((*n_value, Mapped::Symbol(id)));
                }
            }
        }
    }
    for list in &mut locals {
        // Stable: among symbols at one address the first in the table comes first.
        list.sort_by_key(|&(addr, _)| addr);
    }

    // --- Relocations.
    let mut reader = Relocations {
        arch,
        object: &mut object,
        laid: &laid,
        mapped: &mapped,
        locals: &locals,
        section_symbol: Vec::new(),
        tls: Vec::new(),
    };
    reader.section_symbol = vec![None; reader.object.sections.len()];
    reader.mark_tls(&relocation_lists);
    for (ordinal, list) in relocation_lists.iter().enumerate() {
        let Some(l) = laid.get(ordinal) else { continue };
        reader.section(l.model, list)?;
    }
    Ok(Dumped {
        object,
        notes,
        fallback: Vec::new(),
    })
}

/// A 16-byte segment or section name.
fn name16(bytes: &[u8], what: &str) -> Result<String> {
    std::str::from_utf8(bytes).map(str::to_string).map_err(|_| {
        DumpError::new(format!(
            "a {what} name {:?} that is not UTF-8, which a spec cannot hold",
            String::from_utf8_lossy(bytes)
        ))
    })
}

/// `LC_BUILD_VERSION`'s platform as the OS objforge names.
fn os_of_platform(platform: u32) -> Option<AppleOs> {
    Some(match platform {
        macho::PLATFORM_MACOS => AppleOs::MacOs,
        macho::PLATFORM_IOS => AppleOs::Ios,
        macho::PLATFORM_IOSSIMULATOR => AppleOs::IosSimulator,
        macho::PLATFORM_TVOS => AppleOs::TvOs,
        macho::PLATFORM_TVOSSIMULATOR => AppleOs::TvOsSimulator,
        macho::PLATFORM_WATCHOS => AppleOs::WatchOs,
        macho::PLATFORM_WATCHOSSIMULATOR => AppleOs::WatchOsSimulator,
        macho::PLATFORM_XROS => AppleOs::VisionOs,
        macho::PLATFORM_XROSSIMULATOR => AppleOs::VisionOsSimulator,
        macho::PLATFORM_MACCATALYST => AppleOs::MacCatalyst,
        macho::PLATFORM_DRIVERKIT => AppleOs::DriverKit,
        _ => return None,
    })
}

/// A packed `xxxx.yy.zz` version.
fn version(packed: u32) -> Version {
    Version::new((packed >> 16) as u16, (packed >> 8) as u8, packed as u8)
}

/// A model section from a `section_64`: the kind and flags that make the writer write
/// exactly these type and attributes.
fn section(name: &str, sectname: &str, flags: u32, align_log2: u32) -> Result<Section> {
    let err = |message: String| DumpError::section(name, message);
    let section_type = flags & macho::SECTION_TYPE;
    // The assembler's notes on which relocations a section has: the writer derives nothing
    // from them, and the linkers do not read them.
    let mut attributes =
        flags & macho::SECTION_ATTRIBUTES & !(macho::S_ATTR_LOC_RELOC | macho::S_ATTR_EXT_RELOC);
    // The assembler sets SOME_INSTRUCTIONS when there are instructions; objforge sets it on
    // every code section (an empty `__text` is the difference).
    if attributes & macho::S_ATTR_PURE_INSTRUCTIONS != 0 {
        attributes |= macho::S_ATTR_SOME_INSTRUCTIONS;
    }
    let kind = if section_type == macho::S_ZEROFILL {
        SectionKind::Bss
    } else if section_type == macho::S_THREAD_LOCAL_ZEROFILL {
        SectionKind::TlsBss
    } else if attributes & (macho::S_ATTR_PURE_INSTRUCTIONS | macho::S_ATTR_SOME_INSTRUCTIONS) != 0
    {
        SectionKind::Text
    } else if attributes & macho::S_ATTR_DEBUG != 0 && sectname != "__compact_unwind" {
        SectionKind::Debug
    } else if matches!(
        section_type,
        macho::S_THREAD_LOCAL_REGULAR | macho::S_THREAD_LOCAL_VARIABLES
    ) {
        SectionKind::TlsData
    } else {
        match crate::spec::default_section_kind(name) {
            k @ (SectionKind::Rodata | SectionKind::Data | SectionKind::Other) => k,
            SectionKind::TlsData => SectionKind::Data,
            _ if name.starts_with("__TEXT,") => SectionKind::Rodata,
            _ if name.starts_with("__DATA") => SectionKind::Data,
            _ => SectionKind::Other,
        }
    };
    let mut section = Section::new(name, kind);
    if align_log2 > 15 {
        return Err(err(format!(
            "alignment 2^{align_log2} is over 2^15, the most objforge writes"
        )));
    }
    section.align = 1 << align_log2;
    let mut f = SectionFlags {
        retain: attributes & macho::S_ATTR_NO_DEAD_STRIP != 0,
        ..SectionFlags::default()
    };
    let literal = |size: u64| -> (bool, u64) { (true, size) };
    match (section_type, sectname) {
        (macho::S_CSTRING_LITERALS, "__cstring") => {}
        (macho::S_CSTRING_LITERALS, _) => f.merge_strings = true,
        (macho::S_4BYTE_LITERALS, s) if s != "__literal4" => {
            (f.merge, section.entsize) = literal(4)
        }
        (macho::S_8BYTE_LITERALS, s) if s != "__literal8" => {
            (f.merge, section.entsize) = literal(8)
        }
        (macho::S_16BYTE_LITERALS, s) if s != "__literal16" => {
            (f.merge, section.entsize) = literal(16)
        }
        _ => {}
    }
    section.flags = f;
    let expected = writer_flags(sectname, kind, &section);
    if expected != Some(section_type | attributes) {
        return Err(err(format!(
            "type and attributes {:#010x}: {}",
            section_type | attributes,
            match expected {
                Some(e) => format!(
                    "objforge writes {e:#010x} for a {} section of that name",
                    kind.name()
                ),
                None => "objforge writes no such section".to_string(),
            }
        )));
    }
    Ok(section)
}

/// The type and attributes objforge's Mach-O writer gives a section (its `describe`).
fn writer_flags(sectname: &str, kind: SectionKind, s: &Section) -> Option<u32> {
    let section_type = match kind {
        SectionKind::Bss => macho::S_ZEROFILL,
        SectionKind::TlsBss => macho::S_THREAD_LOCAL_ZEROFILL,
        _ => match sectname {
            "__cstring" => macho::S_CSTRING_LITERALS,
            "__literal4" => macho::S_4BYTE_LITERALS,
            "__literal8" => macho::S_8BYTE_LITERALS,
            "__literal16" => macho::S_16BYTE_LITERALS,
            "__mod_init_func" => macho::S_MOD_INIT_FUNC_POINTERS,
            "__mod_term_func" => macho::S_MOD_TERM_FUNC_POINTERS,
            "__eh_frame" => macho::S_COALESCED,
            "__thread_vars" => macho::S_THREAD_LOCAL_VARIABLES,
            "__thread_data" => macho::S_THREAD_LOCAL_REGULAR,
            "__thread_ptrs" => macho::S_THREAD_LOCAL_VARIABLE_POINTERS,
            "__thread_init" => macho::S_THREAD_LOCAL_INIT_FUNCTION_POINTERS,
            _ if kind == SectionKind::TlsData => macho::S_THREAD_LOCAL_REGULAR,
            _ if s.flags.merge_strings => macho::S_CSTRING_LITERALS,
            _ if s.flags.merge => match s.entsize {
                4 => macho::S_4BYTE_LITERALS,
                8 => macho::S_8BYTE_LITERALS,
                16 => macho::S_16BYTE_LITERALS,
                _ => return None,
            },
            _ => macho::S_REGULAR,
        },
    };
    let mut attributes = match kind {
        SectionKind::Text => macho::S_ATTR_PURE_INSTRUCTIONS | macho::S_ATTR_SOME_INSTRUCTIONS,
        SectionKind::Debug => macho::S_ATTR_DEBUG,
        _ => 0,
    };
    match sectname {
        "__eh_frame" => {
            attributes |=
                macho::S_ATTR_NO_TOC | macho::S_ATTR_STRIP_STATIC_SYMS | macho::S_ATTR_LIVE_SUPPORT
        }
        "__compact_unwind" => attributes |= macho::S_ATTR_DEBUG,
        _ => {}
    }
    if s.flags.retain {
        attributes |= macho::S_ATTR_NO_DEAD_STRIP;
    }
    Some(section_type | attributes)
}

/// Relocation reading, with what it needs of the rest.
struct Relocations<'a> {
    arch: Architecture,
    object: &'a mut Object,
    laid: &'a [Laid],
    mapped: &'a [Option<Mapped>],
    /// Per section (by ordinal), its local symbols by address.
    locals: &'a [Vec<(u64, Mapped)>],
    /// The model's section symbol of each model section, once one is needed.
    section_symbol: Vec<Option<SymbolId>>,
    /// Model symbols that thread-local loads name: their kind is `tls`.
    tls: Vec<SymbolId>,
}

// `relocation_info` types (`<mach-o/x86_64/reloc.h>`, `<mach-o/arm64/reloc.h>`).
const X86_UNSIGNED: u8 = 0;
const X86_SIGNED: u8 = 1;
const X86_BRANCH: u8 = 2;
const X86_GOT_LOAD: u8 = 3;
const X86_GOT: u8 = 4;
const X86_SUBTRACTOR: u8 = 5;
const X86_SIGNED_1: u8 = 6;
const X86_SIGNED_2: u8 = 7;
const X86_SIGNED_4: u8 = 8;
const X86_TLV: u8 = 9;
const A64_UNSIGNED: u8 = 0;
const A64_SUBTRACTOR: u8 = 1;
const A64_BRANCH26: u8 = 2;
const A64_PAGE21: u8 = 3;
const A64_PAGEOFF12: u8 = 4;
const A64_GOT_LOAD_PAGE21: u8 = 5;
const A64_GOT_LOAD_PAGEOFF12: u8 = 6;
/// The personality's pointer in `__eh_frame` (read as a `native` relocation).
pub(super) const A64_POINTER_TO_GOT: u8 = 7;
const A64_TLVP_LOAD_PAGE21: u8 = 8;
const A64_TLVP_LOAD_PAGEOFF12: u8 = 9;
const A64_ADDEND: u8 = 10;

impl Relocations<'_> {
    /// The model symbol an `r_extern` relocation names.
    fn extern_symbol(&mut self, symbolnum: u32) -> std::result::Result<SymbolId, String> {
        match self.mapped.get(symbolnum as usize).copied().flatten() {
            Some(Mapped::Symbol(id)) => Ok(id),
            Some(Mapped::SectionStart(k)) => Ok(self.section_symbol(k)),
            None => Err(format!("symbol {symbolnum} does not exist")),
        }
    }

    /// The model symbol for a section-relative relocation (`r_extern` = 0) that points at
    /// address `t` of section `ordinal`, and that symbol's address. The writer writes a
    /// relocation against a local symbol (or a section symbol) section-relative, so the
    /// nearest local symbol at or before `t` gives the same entry, and reads better; the
    /// section's own symbol (its `ltmpN`, at the start) counts as one, after the others at
    /// its address, and stands in when nothing comes before `t`. (So dumping the object
    /// built from the dump picks the same symbols again.)
    fn section_relative(
        &mut self,
        ordinal: u32,
        t: u64,
    ) -> std::result::Result<(SymbolId, u64), String> {
        let index = usize::try_from(ordinal)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .ok_or_else(|| format!("section {ordinal} does not exist"))?;
        let Some(laid) = self.laid.get(index) else {
            return Err(format!("section {ordinal} does not exist"));
        };
        let (model, addr) = (laid.model, laid.addr);
        let list = self.locals.get(index).map(Vec::as_slice).unwrap_or(&[]);
        let after = list.partition_point(|&(a, _)| a <= t);
        if let Some(&(at, _)) = after.checked_sub(1).and_then(|i| list.get(i)) {
            let first = list.partition_point(|&(a, _)| a < at);
            let here = list.get(first..after).unwrap_or(&[]);
            if let Some(&(at, Mapped::Symbol(id))) =
                here.iter().find(|(_, m)| matches!(m, Mapped::Symbol(_)))
            {
                return Ok((id, at));
            }
        }
        Ok((self.section_symbol(model), addr))
    }

    fn section_symbol(&mut self, k: usize) -> SymbolId {
        if let Some(Some(id)) = self.section_symbol.get(k) {
            return *id;
        }
        let mut symbol = Symbol::section(SectionId::from_index(k));
        symbol.name = self
            .object
            .sections
            .get(k)
            .map(|s| s.name.as_str().into())
            .unwrap_or_default();
        self.object.symbols.push(symbol);
        let id = SymbolId::from_index(self.object.symbols.len() - 1);
        if let Some(slot) = self.section_symbol.get_mut(k) {
            *slot = Some(id);
        }
        id
    }

    /// The address in the object of model section `k`'s start.
    fn addr_of(&self, k: usize) -> u64 {
        self.laid
            .iter()
            .find(|l| l.model == k)
            .map_or(0, |l| l.addr)
    }

    /// Marks the symbols thread-local loads name as `tls` (where the model allows it: not
    /// defined outside a thread-local section).
    fn mark_tls(&mut self, lists: &[Vec<Info>]) {
        let tlv = |r: &Info, arch| match arch {
            Architecture::X86_64 => r.r_type == X86_TLV,
            _ => matches!(r.r_type, A64_TLVP_LOAD_PAGE21 | A64_TLVP_LOAD_PAGEOFF12),
        };
        for list in lists {
            for r in list {
                if !r.is_extern || !tlv(r, self.arch) {
                    continue;
                }
                if let Some(Some(Mapped::Symbol(id))) = self.mapped.get(r.symbolnum as usize) {
                    let Some(s) = self.object.symbols.get_mut(id.index()) else {
                        continue;
                    };
                    if s.kind == SymbolKind::Tls || s.definition == SymbolDefinition::Undefined {
                        s.kind = SymbolKind::Tls;
                        self.tls.push(*id);
                    }
                }
            }
        }
    }

    fn is_tls(&self, id: SymbolId) -> bool {
        self.object
            .symbols
            .get(id.index())
            .is_some_and(|s| s.kind == SymbolKind::Tls)
    }

    /// The relocations of model section `k`.
    fn section(&mut self, k: usize, list: &[Info]) -> Result<()> {
        let name = self
            .object
            .sections
            .get(k)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(info) = list.get(i) {
            i += 1;
            let offset = u64::from(info.address);
            let at = |m: String| DumpError::at(&name, offset, m);
            let next = list.get(i).copied();
            let paired = |t: u8| {
                next.filter(|n| n.address == info.address && n.r_type == t)
                    .ok_or_else(|| {
                        at(format!(
                            "relocation type {} must be followed by its pair",
                            info.r_type
                        ))
                    })
            };
            let reloc = match (self.arch, info.r_type) {
                (Architecture::Aarch64, A64_ADDEND) => {
                    let Some(n) = next.filter(|n| {
                        n.address == info.address
                            && matches!(n.r_type, A64_BRANCH26 | A64_PAGE21 | A64_PAGEOFF12)
                    }) else {
                        return Err(at(
                            "an ARM64_RELOC_ADDEND not followed by BRANCH26, PAGE21 or PAGEOFF12 at its address".into(),
                        ));
                    };
                    i += 1;
                    let addend = bits::sign_extend(u64::from(info.symbolnum), 24);
                    self.single(k, &n, addend).map_err(at)?
                }
                (Architecture::Aarch64, A64_SUBTRACTOR)
                | (Architecture::X86_64, X86_SUBTRACTOR) => {
                    let unsigned = paired(if self.arch == Architecture::X86_64 {
                        X86_UNSIGNED
                    } else {
                        A64_UNSIGNED
                    })?;
                    i += 1;
                    self.difference(k, info, &unsigned).map_err(at)?
                }
                _ => self.single(k, info, 0).map_err(at)?,
            };
            out.push(reloc);
        }
        // Mach-O lists a section's relocations from the highest address down; the spec
        // reads better in address order.
        out.sort_by_key(|r: &Relocation| r.offset());
        self.object.relocations.extend(out);
        Ok(())
    }

    /// The field's value (sign-extended), cleared.
    fn take_field(
        &mut self,
        k: usize,
        offset: u64,
        length: u8,
    ) -> std::result::Result<i64, String> {
        let size = 1u8 << length.min(3);
        let Some(SectionData::Bytes(bytes)) = self.object.sections.get_mut(k).map(|s| &mut s.data)
        else {
            return Err("relocations in a section without contents".into());
        };
        let value = bits::read_signed(bytes, offset, size)
            .ok_or_else(|| format!("the {size}-byte field runs past the end of the section"))?;
        bits::clear(bytes, offset, size);
        Ok(value)
    }

    fn bytes(&self, k: usize) -> &[u8] {
        match self.object.sections.get(k).map(|s| &s.data) {
            Some(SectionData::Bytes(b)) => b,
            _ => &[],
        }
    }

    /// A `SUBTRACTOR` (M) and `UNSIGNED` (S) pair: `diff32`/`diff64`, S + A - M.
    fn difference(
        &mut self,
        k: usize,
        sub: &Info,
        unsigned: &Info,
    ) -> std::result::Result<Relocation, String> {
        if sub.length != unsigned.length
            || !matches!(sub.length, 2 | 3)
            || sub.pcrel
            || unsigned.pcrel
            || !sub.is_extern
        {
            return Err(
                "objforge writes a SUBTRACTOR pair of 4 or 8 bytes, not PC-relative, subtracting a symbol"
                    .into(),
            );
        }
        let minus = self.extern_symbol(sub.symbolnum)?;
        let offset = u64::from(sub.address);
        let field = self.take_field(k, offset, sub.length)?;
        let (plus, addend) = self.absolute(unsigned, field)?;
        let kind = if sub.length == 2 {
            RelocKind::Diff32
        } else {
            RelocKind::Diff64
        };
        Ok(
            Relocation::difference(SectionId::from_index(k), offset, kind, plus, minus)
                .with_addend(addend),
        )
    }

    /// The symbol and addend of an `UNSIGNED` entry whose field holds `field`: the addend
    /// itself (extern), or the target's address in the object (section-relative).
    fn absolute(
        &mut self,
        info: &Info,
        field: i64,
    ) -> std::result::Result<(SymbolId, i64), String> {
        if info.is_extern {
            return Ok((self.extern_symbol(info.symbolnum)?, field));
        }
        let (symbol, at) = self.section_relative(info.symbolnum, field as u64)?;
        Ok((symbol, field.wrapping_sub(at as i64)))
    }

    /// One relocation (with the addend an `ARM64_RELOC_ADDEND` before it gave).
    fn single(
        &mut self,
        k: usize,
        info: &Info,
        paired: i64,
    ) -> std::result::Result<Relocation, String> {
        let offset = u64::from(info.address);
        let native = RelocKind::Native(NativeReloc {
            r_type: u32::from(info.r_type),
            pcrel: info.pcrel,
            length: info.length,
            size: 0,
        });
        if paired != 0 && !matches!(info.r_type, A64_BRANCH26 | A64_PAGE21 | A64_PAGEOFF12) {
            return Err("an ARM64_RELOC_ADDEND before a type that takes none".into());
        }
        let (symbol, kind, addend) = match self.arch {
            Architecture::X86_64 => {
                let field = self.take_field(k, offset, info.length)?;
                match (info.r_type, info.pcrel, info.length) {
                    (X86_UNSIGNED, false, 2 | 3) => {
                        let (symbol, addend) = self.absolute(info, field)?;
                        let kind = if info.length == 2 {
                            RelocKind::Abs32
                        } else {
                            RelocKind::Abs64
                        };
                        (symbol, kind, addend)
                    }
                    (
                        X86_SIGNED | X86_SIGNED_1 | X86_SIGNED_2 | X86_SIGNED_4 | X86_BRANCH
                        | X86_GOT_LOAD | X86_GOT | X86_TLV,
                        true,
                        2,
                    ) => {
                        // The field counts from its end: it holds A + 4 (extern), or the
                        // target's address in the object minus P (section-relative), where
                        // SIGNED_n's target is n bytes further.
                        let (symbol, addend) = if info.is_extern {
                            (self.extern_symbol(info.symbolnum)?, field.wrapping_sub(4))
                        } else {
                            let extra: i64 = match info.r_type {
                                X86_SIGNED_1 => 1,
                                X86_SIGNED_2 => 2,
                                X86_SIGNED_4 => 4,
                                _ => 0,
                            };
                            let p = self.addr_of(k).wrapping_add(offset) as i64;
                            let t = p.wrapping_add(field).wrapping_add(4 + extra);
                            let (symbol, at) = self.section_relative(info.symbolnum, t as u64)?;
                            (symbol, field.wrapping_add(p).wrapping_sub(at as i64))
                        };
                        let before = bits::before(self.bytes(k), offset);
                        let movq = matches!(before, [.., rex, 0x8b, modrm] if (0x48..=0x4f).contains(rex) && modrm & 0xc7 == 0x05);
                        let tls = self.is_tls(symbol);
                        let portable = match info.r_type {
                            X86_SIGNED | X86_SIGNED_1 | X86_SIGNED_2 | X86_SIGNED_4 => {
                                // The writer picks SIGNED_n from the addend.
                                let chosen = match addend.checked_add(4) {
                                    Some(-1) => X86_SIGNED_1,
                                    Some(-2) => X86_SIGNED_2,
                                    Some(-4) => X86_SIGNED_4,
                                    _ => X86_SIGNED,
                                };
                                (chosen == info.r_type).then_some(RelocKind::Pcrel32)
                            }
                            X86_BRANCH => Some(RelocKind::X86Branch32),
                            X86_GOT_LOAD => (movq && !tls).then_some(RelocKind::X86GotPcrel32),
                            X86_GOT => (!movq && !tls).then_some(RelocKind::X86GotPcrel32),
                            _ => (movq && tls).then_some(RelocKind::X86GotPcrel32),
                        };
                        (symbol, portable.unwrap_or(native), addend)
                    }
                    _ if info.is_extern => {
                        let addend = if info.pcrel { field.wrapping_sub(4) } else { field };
                        (self.extern_symbol(info.symbolnum)?, native, addend)
                    }
                    _ => {
                        return Err(format!(
                            "a section-relative relocation of type {}, which objforge writes only against a symbol",
                            info.r_type
                        ))
                    }
                }
            }
            _ => match (info.r_type, info.pcrel, info.length) {
                (A64_UNSIGNED, false, 2 | 3) => {
                    let field = self.take_field(k, offset, info.length)?;
                    let (symbol, addend) = self.absolute(info, field)?;
                    let kind = if info.length == 2 {
                        RelocKind::Abs32
                    } else {
                        RelocKind::Abs64
                    };
                    (symbol, kind, addend)
                }
                _ if !info.is_extern => {
                    return Err(format!(
                        "a section-relative relocation of type {}: objforge (and ld64.lld) want a symbol there",
                        info.r_type
                    ))
                }
                (A64_BRANCH26, true, 2) => {
                    let insn = bits::read_u32(self.bytes(k), offset)
                        .ok_or("the instruction runs past the end of the section")?;
                    let kind = if bits::a64_is_bl(insn) {
                        RelocKind::A64Call26
                    } else {
                        RelocKind::A64Jump26
                    };
                    (self.extern_symbol(info.symbolnum)?, kind, paired)
                }
                (A64_PAGE21, true, 2) => (
                    self.extern_symbol(info.symbolnum)?,
                    RelocKind::A64Adrp21,
                    paired,
                ),
                (A64_PAGEOFF12, false, 2) => {
                    let insn = bits::read_u32(self.bytes(k), offset)
                        .ok_or("the instruction runs past the end of the section")?;
                    // One type for ADD and every load/store: the kind follows the instruction.
                    let kind = match bits::a64_ldst_scale(insn) {
                        Some(0) => RelocKind::A64Ldst8Lo12,
                        Some(1) => RelocKind::A64Ldst16Lo12,
                        Some(2) => RelocKind::A64Ldst32Lo12,
                        Some(3) => RelocKind::A64Ldst64Lo12,
                        Some(4) => RelocKind::A64Ldst128Lo12,
                        _ => RelocKind::A64AddLo12,
                    };
                    (self.extern_symbol(info.symbolnum)?, kind, paired)
                }
                (A64_GOT_LOAD_PAGE21 | A64_TLVP_LOAD_PAGE21, true, 2)
                | (A64_GOT_LOAD_PAGEOFF12 | A64_TLVP_LOAD_PAGEOFF12, false, 2) => {
                    let symbol = self.extern_symbol(info.symbolnum)?;
                    let tlv = matches!(info.r_type, A64_TLVP_LOAD_PAGE21 | A64_TLVP_LOAD_PAGEOFF12);
                    let page = matches!(info.r_type, A64_GOT_LOAD_PAGE21 | A64_TLVP_LOAD_PAGE21);
                    let kind = if page {
                        RelocKind::A64GotAdrp21
                    } else {
                        RelocKind::A64GotLd64Lo12
                    };
                    // The writer makes GOT loads of a thread-local variable TLV loads.
                    let kind = if tlv == self.is_tls(symbol) { kind } else { native };
                    (symbol, kind, 0)
                }
                (A64_UNSIGNED | A64_SUBTRACTOR, ..) => {
                    let field = self.take_field(k, offset, info.length)?;
                    (self.extern_symbol(info.symbolnum)?, native, field)
                }
                (A64_BRANCH26 | A64_PAGE21 | A64_PAGEOFF12, ..) => {
                    (self.extern_symbol(info.symbolnum)?, native, paired)
                }
                (11, ..) => {
                    return Err(
                        "ARM64_RELOC_AUTHENTICATED_POINTER (arm64e) has no objforge equivalent"
                            .into(),
                    )
                }
                _ => (self.extern_symbol(info.symbolnum)?, native, 0),
            },
        };
        Ok(Relocation::new(SectionId::from_index(k), offset, symbol, kind).with_addend(addend))
    }
}
