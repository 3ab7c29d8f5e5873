//! AArch64 relocations (ELF for the Arm 64-bit Architecture, AAELF64).

use crate::reloc::RelocKind;

/// `R_AARCH64_*` types.
pub(crate) mod elf {
    pub const R_ABS64: u32 = 257;
    pub const R_ABS32: u32 = 258;
    pub const R_ABS16: u32 = 259;
    pub const R_PREL64: u32 = 260;
    pub const R_PREL32: u32 = 261;
    pub const R_PREL16: u32 = 262;
    pub const R_LD_PREL_LO19: u32 = 273;
    pub const R_ADR_PREL_LO21: u32 = 274;
    pub const R_ADR_PREL_PG_HI21: u32 = 275;
    pub const R_ADD_ABS_LO12_NC: u32 = 277;
    pub const R_LDST8_ABS_LO12_NC: u32 = 278;
    pub const R_TSTBR14: u32 = 279;
    pub const R_CONDBR19: u32 = 280;
    pub const R_JUMP26: u32 = 282;
    pub const R_CALL26: u32 = 283;
    pub const R_LDST16_ABS_LO12_NC: u32 = 284;
    pub const R_LDST32_ABS_LO12_NC: u32 = 285;
    pub const R_LDST64_ABS_LO12_NC: u32 = 286;
    pub const R_LDST128_ABS_LO12_NC: u32 = 299;
    pub const R_ADR_GOT_PAGE: u32 = 311;
    pub const R_LD64_GOT_LO12_NC: u32 = 312;
}

/// The ELF type for `kind`.
pub(crate) fn elf_type(kind: RelocKind) -> Option<u32> {
    use RelocKind::*;
    Some(match kind {
        Abs16 => elf::R_ABS16,
        Abs32 | Secrel32 => elf::R_ABS32,
        Abs64 => elf::R_ABS64,
        Pcrel16 => elf::R_PREL16,
        Pcrel32 => elf::R_PREL32,
        Pcrel64 => elf::R_PREL64,
        A64Call26 => elf::R_CALL26,
        A64Jump26 => elf::R_JUMP26,
        A64Condbr19 => elf::R_CONDBR19,
        A64Tstbr14 => elf::R_TSTBR14,
        A64LdrLit19 => elf::R_LD_PREL_LO19,
        A64Adr21 => elf::R_ADR_PREL_LO21,
        A64Adrp21 => elf::R_ADR_PREL_PG_HI21,
        A64AddLo12 => elf::R_ADD_ABS_LO12_NC,
        A64Ldst8Lo12 => elf::R_LDST8_ABS_LO12_NC,
        A64Ldst16Lo12 => elf::R_LDST16_ABS_LO12_NC,
        A64Ldst32Lo12 => elf::R_LDST32_ABS_LO12_NC,
        A64Ldst64Lo12 => elf::R_LDST64_ABS_LO12_NC,
        A64Ldst128Lo12 => elf::R_LDST128_ABS_LO12_NC,
        A64GotAdrp21 => elf::R_ADR_GOT_PAGE,
        A64GotLd64Lo12 => elf::R_LD64_GOT_LO12_NC,
        _ => return None,
    })
}
