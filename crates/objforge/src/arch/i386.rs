//! i386 relocations (System V i386 psABI). ELF keeps the addend in the field (REL).

use crate::reloc::RelocKind;

/// `R_386_*` types.
pub(crate) mod elf {
    pub const R_32: u32 = 1;
    pub const R_PC32: u32 = 2;
    pub const R_PLT32: u32 = 4;
    pub const R_16: u32 = 20;
    pub const R_PC16: u32 = 21;
    pub const R_8: u32 = 22;
    pub const R_PC8: u32 = 23;
}

/// The ELF type for `kind`.
pub(crate) fn elf_type(kind: RelocKind) -> Option<u32> {
    use RelocKind::*;
    Some(match kind {
        Abs8 => elf::R_8,
        Abs16 => elf::R_16,
        Abs32 | Secrel32 => elf::R_32,
        Pcrel8 => elf::R_PC8,
        Pcrel16 => elf::R_PC16,
        Pcrel32 => elf::R_PC32,
        X86Branch32 => elf::R_PLT32,
        _ => return None,
    })
}

/// `IMAGE_REL_I386_*` types (PE/COFF specification, "Type Indicators").
pub(crate) mod coff {
    pub const DIR32: u16 = 0x6;
    pub const DIR32NB: u16 = 0x7;
    pub const SECTION: u16 = 0xa;
    pub const SECREL: u16 = 0xb;
    pub const REL32: u16 = 0x14;
}

/// The COFF type for `kind`.
pub(crate) fn coff_type(kind: RelocKind) -> Option<u16> {
    use RelocKind::*;
    Some(match kind {
        Abs32 => coff::DIR32,
        Imagerel32 => coff::DIR32NB,
        Secrel32 => coff::SECREL,
        Secidx16 => coff::SECTION,
        Pcrel32 | X86Branch32 => coff::REL32,
        _ => return None,
    })
}
