//! The Mach-O writer (64-bit `MH_OBJECT`, x86_64 and arm64).
//!
//! File order: `mach_header_64`; the load commands `LC_SEGMENT_64` (one unnamed segment with
//! every `section_64`), `LC_BUILD_VERSION`, `LC_SYMTAB`, `LC_DYSYMTAB`; the section contents,
//! each at the segment's file offset plus the section's address; the relocation entries of
//! each section; the `nlist_64` symbol table; the string table.
//!
//! Sections with contents come first in the segment and zero-filled ones last, so the
//! segment's file size ends where the last contents do. The header says
//! `MH_SUBSECTIONS_VIA_SYMBOLS`: every symbol starts a piece the linker may place or drop on
//! its own.

mod consts;
mod reloc;
mod sections;
mod symtab;

use self::consts::*;
use self::reloc::{RelocationInfo, Relocations};
use self::sections::{MachoSection, Sections};
use self::symtab::{Nlist, SymbolTable};
use crate::bytes::Out;
use crate::error::{Error, Place};
use crate::model::{Object, SectionData};
use crate::platform::{AppleOs, Platform};
use crate::strtab::StringTable;
use crate::target::Architecture;

/// The number of load commands: segment, build version, symtab, dysymtab.
const NCMDS: u32 = 4;

fn align_to(n: usize, align: usize) -> usize {
    n.div_ceil(align) * align
}

fn cpu(arch: Architecture) -> Option<(u32, u32)> {
    match arch {
        Architecture::X86_64 => Some((CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL)),
        Architecture::Aarch64 => Some((CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL)),
        Architecture::I386 | Architecture::Riscv64 => None,
    }
}

/// `LC_BUILD_VERSION`'s `platform`.
fn platform_number(os: AppleOs) -> u32 {
    match os {
        AppleOs::MacOs => PLATFORM_MACOS,
        AppleOs::Ios => PLATFORM_IOS,
        AppleOs::IosSimulator => PLATFORM_IOSSIMULATOR,
        AppleOs::TvOs => PLATFORM_TVOS,
        AppleOs::TvOsSimulator => PLATFORM_TVOSSIMULATOR,
        AppleOs::WatchOs => PLATFORM_WATCHOS,
        AppleOs::WatchOsSimulator => PLATFORM_WATCHOSSIMULATOR,
        AppleOs::VisionOs => PLATFORM_XROS,
        AppleOs::VisionOsSimulator => PLATFORM_XROS_SIMULATOR,
        AppleOs::MacCatalyst => PLATFORM_MACCATALYST,
        AppleOs::DriverKit => PLATFORM_DRIVERKIT,
    }
}

/// Writes `obj` (already validated) as a Mach-O relocatable object.
pub(crate) fn write(obj: &Object) -> Result<Vec<u8>, Error> {
    let Some((cputype, cpusubtype)) = cpu(obj.target.arch) else {
        return Err(Error::unsupported(
            Place::Target,
            format!(
                "objforge writes Mach-O for x86_64 and arm64 (aarch64), not {}",
                obj.target.arch
            ),
        ));
    };
    let platform = obj.options.platform.unwrap_or_default();

    // --- Sections, symbols, relocations.
    let sections = Sections::lay_out(obj)?;
    let mut strtab = StringTable::new();
    let needs_start = reloc::sections_needing_a_start(obj);
    let symbols = SymbolTable::build(obj, &sections, &needs_start, &mut strtab)?;
    let relocations = reloc::build(obj, &sections, &symbols)?;
    strtab.finish();

    // --- Layout: every offset and size, once.
    let nsects = sections.list.len();
    let segment_size = SEGMENT_COMMAND_SIZE + nsects * SECTION_SIZE;
    let sizeofcmds =
        segment_size + BUILD_VERSION_SIZE + SYMTAB_COMMAND_SIZE + DYSYMTAB_COMMAND_SIZE;
    let fileoff = HEADER_SIZE + sizeofcmds;
    let too_big = || {
        Error::unsupported(
            Place::Object,
            "the object would pass 4 GiB, the reach of Mach-O's 32-bit file offsets",
        )
    };
    let filesize = usize::try_from(sections.filesize).map_err(|_| too_big())?;
    let mut offset = align_to(fileoff + filesize, 8);
    // Per `section_64`: (reloff, nreloc).
    let mut reloc_at = Vec::with_capacity(nsects);
    for s in &sections.list {
        let n = relocations.per_section[s.model].len();
        reloc_at.push(if n == 0 { (0, 0) } else { (offset, n) });
        offset += n * RELOCATION_SIZE;
    }
    let symoff = align_to(offset, 8);
    let stroff = symoff + symbols.entries.len() * NLIST_SIZE;
    let strsize = align_to(strtab.size(), 8);
    let total = stroff + strsize;
    let offset32 = |n: usize| u32::try_from(n).map_err(|_| too_big());
    offset32(total)?;

    // --- Emit, in file order, into one buffer of the final size.
    let mut out = Out::with_capacity(total, false);
    out.u32(MH_MAGIC_64);
    out.u32(cputype);
    out.u32(cpusubtype);
    out.u32(MH_OBJECT);
    out.u32(NCMDS);
    out.u32(sizeofcmds as u32);
    out.u32(MH_SUBSECTIONS_VIA_SYMBOLS);
    out.u32(0); // reserved

    out.u32(LC_SEGMENT_64);
    out.u32(segment_size as u32);
    name16(&mut out, ""); // an object's one segment is unnamed
    out.u64(0); // vmaddr
    out.u64(sections.vmsize);
    out.u64(fileoff as u64);
    out.u64(sections.filesize);
    out.u32(VM_PROT_ALL); // maxprot
    out.u32(VM_PROT_ALL); // initprot
    out.u32(nsects as u32);
    out.u32(0); // flags
    for (s, &(reloff, nreloc)) in sections.list.iter().zip(&reloc_at) {
        write_section_header(&mut out, s, fileoff, reloff as u32, nreloc as u32);
    }

    write_build_version(&mut out, &platform);

    out.u32(LC_SYMTAB);
    out.u32(SYMTAB_COMMAND_SIZE as u32);
    out.u32(symoff as u32);
    out.u32(symbols.entries.len() as u32);
    out.u32(stroff as u32);
    out.u32(strsize as u32);

    out.u32(LC_DYSYMTAB);
    out.u32(DYSYMTAB_COMMAND_SIZE as u32);
    out.u32(0); // ilocalsym
    out.u32(symbols.nlocal);
    out.u32(symbols.nlocal); // iextdefsym
    out.u32(symbols.nextdef);
    out.u32(symbols.nlocal + symbols.nextdef); // iundefsym
    out.u32(symbols.nundef);
    // Table of contents, module table, external references, indirect symbols, external and
    // local relocations: none in an object.
    for _ in 0..12 {
        out.u32(0);
    }
    debug_assert_eq!(out.len(), fileoff);

    for s in sections.list.iter().filter(|s| !s.zero_fill) {
        out.pad_to(fileoff + s.addr as usize);
        match &obj.sections[s.model].data {
            SectionData::Bytes(b) => out.bytes(b),
            // Zeros asked for by size in a section that occupies file space.
            SectionData::Zero(n) => out.pad_to(out.len() + *n as usize),
        }
    }
    for p in &relocations.patches {
        let at = fileoff + sections.of_model(p.section).addr as usize + p.offset as usize;
        out.patch_int(at, p.size, p.value);
    }

    out.pad_to(align_to(out.len(), 8));
    write_relocations(&mut out, &sections, &relocations);

    out.pad_to(symoff);
    for entry in &symbols.entries {
        write_symbol(&mut out, &strtab, entry);
    }
    strtab.write(out.vec());
    out.pad_to(total);
    debug_assert_eq!(out.len(), total);
    Ok(out.into_vec())
}

/// A segment or section name: the bytes, zero-padded to 16 (checked to fit when mapped).
fn name16(out: &mut Out, name: &str) {
    let bytes = name.as_bytes();
    let n = bytes.len().min(NAME_SIZE);
    out.bytes(&bytes[..n]);
    out.bytes(&[0; NAME_SIZE][n..]);
}

fn write_section_header(out: &mut Out, s: &MachoSection, fileoff: usize, reloff: u32, nreloc: u32) {
    name16(out, &s.sectname);
    name16(out, &s.segname);
    out.u64(s.addr);
    out.u64(s.size);
    out.u32(if s.zero_fill {
        0
    } else {
        (fileoff as u64 + s.addr) as u32
    });
    out.u32(s.align_log2);
    out.u32(reloff);
    out.u32(nreloc);
    out.u32(s.flags);
    out.u32(0); // reserved1
    out.u32(0); // reserved2
    out.u32(0); // reserved3
}

fn write_build_version(out: &mut Out, platform: &Platform) {
    out.u32(LC_BUILD_VERSION);
    out.u32(BUILD_VERSION_SIZE as u32);
    out.u32(platform_number(platform.os));
    out.u32(platform.min.packed());
    out.u32(platform.sdk.packed());
    out.u32(0); // ntools
}

fn write_relocations(out: &mut Out, sections: &Sections, relocations: &Relocations) {
    for s in &sections.list {
        for e in &relocations.per_section[s.model] {
            write_relocation(out, e);
        }
    }
}

fn write_relocation(out: &mut Out, e: &RelocationInfo) {
    out.u32(e.address);
    out.u32(
        (e.symbolnum & R_SYMBOLNUM_MASK)
            | (u32::from(e.pcrel) << R_PCREL_SHIFT)
            | (u32::from(e.length & 3) << R_LENGTH_SHIFT)
            | (u32::from(e.is_extern) << R_EXTERN_SHIFT)
            | (u32::from(e.r_type & 0xf) << R_TYPE_SHIFT),
    );
}

fn write_symbol(out: &mut Out, names: &StringTable, s: &Nlist) {
    out.u32(names.offset(s.name));
    out.u8(s.n_type);
    out.u8(s.n_sect);
    out.u16(s.n_desc);
    out.u64(s.n_value);
}
