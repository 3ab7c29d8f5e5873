//! 64-bit little-endian PowerPC relocations (64-Bit ELF V2 ABI Specification, "Relocation
//! Types"; the same numbers as binutils' `elf/ppc64.h`).

use crate::reloc::RelocKind;

/// `R_PPC64_*` types, and the other ELF numbers the ELFv2 ABI defines.
pub(crate) mod elf {
    pub const R_ADDR32: u32 = 1;
    pub const R_ADDR16: u32 = 3;
    pub const R_ADDR16_LO: u32 = 4;
    pub const R_ADDR16_HI: u32 = 5;
    pub const R_ADDR16_HA: u32 = 6;
    pub const R_REL24: u32 = 10;
    pub const R_REL14: u32 = 11;
    pub const R_GOT16_HA: u32 = 17;
    pub const R_REL32: u32 = 26;
    pub const R_ADDR64: u32 = 38;
    pub const R_REL64: u32 = 44;
    pub const R_TOC16_LO: u32 = 48;
    pub const R_TOC16_HA: u32 = 50;
    pub const R_ADDR16_LO_DS: u32 = 57;
    pub const R_TLS: u32 = 67;
    pub const R_TPREL16_LO: u32 = 70;
    pub const R_TPREL16_HA: u32 = 72;
    pub const R_GOT_TPREL16_LO_DS: u32 = 88;
    pub const R_GOT_TPREL16_HA: u32 = 90;
    pub const R_GOT16_LO_DS: u32 = 59;
    pub const R_TOC16_LO_DS: u32 = 64;
    pub const R_REL16_LO: u32 = 250;
    pub const R_REL16_HA: u32 = 252;

    /// `e_flags`: the ELFv2 ABI (`EF_PPC64_ABI` = 2).
    pub const EF_ABI_V2: u32 = 2;
    /// The first bit of `st_other`'s local entry field (`STO_PPC64_LOCAL_BIT`).
    pub const STO_LOCAL_BIT: u8 = 5;
    /// `st_other`'s local entry field (`STO_PPC64_LOCAL_MASK`, bits 5..7).
    pub const STO_LOCAL_MASK: u8 = 7 << STO_LOCAL_BIT;
}

/// The ELF relocation type for `kind`.
pub(crate) fn elf_type(kind: RelocKind) -> Option<u32> {
    use RelocKind::*;
    Some(match kind {
        Abs16 => elf::R_ADDR16,
        Abs32 | Secrel32 => elf::R_ADDR32,
        Abs64 => elf::R_ADDR64,
        Pcrel32 => elf::R_REL32,
        Pcrel64 => elf::R_REL64,
        PpcRel24 => elf::R_REL24,
        PpcRel14 => elf::R_REL14,
        PpcAddr16Ha => elf::R_ADDR16_HA,
        PpcAddr16Hi => elf::R_ADDR16_HI,
        PpcAddr16Lo => elf::R_ADDR16_LO,
        PpcAddr16LoDs => elf::R_ADDR16_LO_DS,
        PpcToc16Ha => elf::R_TOC16_HA,
        PpcToc16Lo => elf::R_TOC16_LO,
        PpcToc16LoDs => elf::R_TOC16_LO_DS,
        PpcRel16Ha => elf::R_REL16_HA,
        PpcRel16Lo => elf::R_REL16_LO,
        PpcGot16Ha => elf::R_GOT16_HA,
        PpcGot16LoDs => elf::R_GOT16_LO_DS,
        PpcTprel16Ha => elf::R_TPREL16_HA,
        PpcTprel16Lo => elf::R_TPREL16_LO,
        PpcGotTprel16Ha => elf::R_GOT_TPREL16_HA,
        PpcGotTprel16LoDs => elf::R_GOT_TPREL16_LO_DS,
        PpcTls => elf::R_TLS,
        _ => return None,
    })
}

/// The ELFv2 local entry point's encoding in `st_other` (bits 5..7): the field value for a
/// local entry `offset` bytes past the global one, or `None` if the ABI has no code for it.
/// `1` is the ABI's own case, not an offset: the local and global entries coincide and the
/// function does not preserve r2 (`.localentry f, 1`).
pub(crate) fn local_entry_code(offset: u32) -> Option<u8> {
    Some(match offset {
        0 => 0,
        1 => 1,
        4 => 2,
        8 => 3,
        16 => 4,
        32 => 5,
        64 => 6,
        _ => return None,
    })
}

/// Call-frame facts (ELFv2 ABI, "DWARF Register Number Mapping").
pub(crate) mod dwarf {
    /// `r1`, the stack pointer: the CFA register at a call.
    pub const SP: u16 = 1;
    /// The return address column: the link register.
    pub const RA: u16 = 65;
    /// The highest register number objforge accepts (`v31`).
    pub const LAST: u16 = 108;

    /// The DWARF number of the register GNU as calls `name`: `rN`/`N` for GPRs (`sp` = r1),
    /// `fN`, `lr`, `ctr`, `crN`, `xer`, `vN`.
    pub fn register(name: &str) -> Option<u16> {
        match name {
            "sp" => return Some(1),
            "lr" => return Some(65),
            "ctr" => return Some(66),
            "xer" => return Some(76),
            _ => {}
        }
        let numbered = |prefix: &str, count: u16| -> Option<u16> {
            let digits = name.strip_prefix(prefix)?;
            let n: u16 = digits.parse().ok()?;
            (n < count && (digits == "0" || !digits.starts_with('0'))).then_some(n)
        };
        numbered("r", 32)
            .or_else(|| numbered("f", 32).map(|n| 32 + n))
            .or_else(|| numbered("cr", 8).map(|n| 68 + n))
            .or_else(|| numbered("v", 32).map(|n| 77 + n))
    }

    /// The name [`register`] takes for DWARF register `n`, if it has one.
    pub fn name(n: u16) -> Option<String> {
        Some(match n {
            0..=31 => format!("r{n}"),
            32..=63 => format!("f{}", n - 32),
            65 => "lr".to_string(),
            66 => "ctr".to_string(),
            68..=75 => format!("cr{}", n - 68),
            76 => "xer".to_string(),
            77..=108 => format!("v{}", n - 77),
            _ => return None,
        })
    }
}
