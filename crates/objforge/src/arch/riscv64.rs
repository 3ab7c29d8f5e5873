//! RISC-V relocations (RISC-V ELF psABI).

use super::ElfEncoding;
use crate::reloc::RelocKind;

/// `R_RISCV_*` types.
pub(crate) mod elf {
    pub const R_32: u32 = 1;
    pub const R_64: u32 = 2;
    pub const R_BRANCH: u32 = 16;
    pub const R_JAL: u32 = 17;
    pub const R_CALL_PLT: u32 = 19;
    pub const R_GOT_HI20: u32 = 20;
    pub const R_PCREL_HI20: u32 = 23;
    pub const R_PCREL_LO12_I: u32 = 24;
    pub const R_PCREL_LO12_S: u32 = 25;
    pub const R_HI20: u32 = 26;
    pub const R_LO12_I: u32 = 27;
    pub const R_LO12_S: u32 = 28;
    pub const R_ADD8: u32 = 33;
    pub const R_ADD16: u32 = 34;
    pub const R_ADD32: u32 = 35;
    pub const R_ADD64: u32 = 36;
    pub const R_SUB8: u32 = 37;
    pub const R_SUB16: u32 = 38;
    pub const R_SUB32: u32 = 39;
    pub const R_SUB64: u32 = 40;
    pub const R_RVC_BRANCH: u32 = 44;
    pub const R_RVC_JUMP: u32 = 45;
    pub const R_SET8: u32 = 54;
    pub const R_SET16: u32 = 55;
    pub const R_32_PCREL: u32 = 57;

    /// `e_flags`: the compressed extension is used.
    pub const EF_RVC: u32 = 0x1;
    /// `e_flags`: single-precision float ABI.
    pub const EF_FLOAT_ABI_SINGLE: u32 = 0x2;
    /// `e_flags`: double-precision float ABI.
    pub const EF_FLOAT_ABI_DOUBLE: u32 = 0x4;
}

/// The ELF encoding for `kind`.
pub(crate) fn elf_encoding(kind: RelocKind) -> Option<ElfEncoding> {
    use RelocKind::*;
    let one = |t| Some(ElfEncoding::One(t));
    match kind {
        Abs8 => one(elf::R_SET8),
        Abs16 => one(elf::R_SET16),
        Abs32 | Secrel32 => one(elf::R_32),
        Abs64 => one(elf::R_64),
        Pcrel32 => one(elf::R_32_PCREL),
        RvCall => one(elf::R_CALL_PLT),
        RvPcrelHi20 => one(elf::R_PCREL_HI20),
        RvGotHi20 => one(elf::R_GOT_HI20),
        RvPcrelLo12I => one(elf::R_PCREL_LO12_I),
        RvPcrelLo12S => one(elf::R_PCREL_LO12_S),
        RvHi20 => one(elf::R_HI20),
        RvLo12I => one(elf::R_LO12_I),
        RvLo12S => one(elf::R_LO12_S),
        RvBranch => one(elf::R_BRANCH),
        RvJal => one(elf::R_JAL),
        RvRvcBranch => one(elf::R_RVC_BRANCH),
        RvRvcJump => one(elf::R_RVC_JUMP),
        Diff8 => Some(ElfEncoding::AddSub(elf::R_ADD8, elf::R_SUB8)),
        Diff16 => Some(ElfEncoding::AddSub(elf::R_ADD16, elf::R_SUB16)),
        Diff32 => Some(ElfEncoding::AddSub(elf::R_ADD32, elf::R_SUB32)),
        Diff64 => Some(ElfEncoding::AddSub(elf::R_ADD64, elf::R_SUB64)),
        _ => None,
    }
}
