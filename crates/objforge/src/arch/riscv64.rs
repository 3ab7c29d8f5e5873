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
    pub const R_TLS_GOT_HI20: u32 = 21;
    pub const R_TLS_GD_HI20: u32 = 22;
    pub const R_PCREL_HI20: u32 = 23;
    pub const R_PCREL_LO12_I: u32 = 24;
    pub const R_PCREL_LO12_S: u32 = 25;
    pub const R_TLSDESC_HI20: u32 = 62;
    pub const R_TLSDESC_LOAD_LO12: u32 = 63;
    pub const R_TLSDESC_ADD_LO12: u32 = 64;
    pub const R_TLSDESC_CALL: u32 = 65;
    pub const R_HI20: u32 = 26;
    pub const R_LO12_I: u32 = 27;
    pub const R_LO12_S: u32 = 28;
    pub const R_TPREL_HI20: u32 = 29;
    pub const R_TPREL_LO12_I: u32 = 30;
    pub const R_TPREL_LO12_S: u32 = 31;
    pub const R_TPREL_ADD: u32 = 32;
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
        RvTlsGotHi20 => one(elf::R_TLS_GOT_HI20),
        RvTlsGdHi20 => one(elf::R_TLS_GD_HI20),
        RvTlsdescHi20 => one(elf::R_TLSDESC_HI20),
        RvTlsdescLoadLo12 => one(elf::R_TLSDESC_LOAD_LO12),
        RvTlsdescAddLo12 => one(elf::R_TLSDESC_ADD_LO12),
        RvTlsdescCall => one(elf::R_TLSDESC_CALL),
        RvTprelHi20 => one(elf::R_TPREL_HI20),
        RvTprelLo12I => one(elf::R_TPREL_LO12_I),
        RvTprelLo12S => one(elf::R_TPREL_LO12_S),
        RvTprelAdd => one(elf::R_TPREL_ADD),
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

/// Call-frame facts (RISC-V ELF psABI, "DWARF Register Numbers"): DWARF numbers of the
/// registers by assembler name.
pub(crate) mod dwarf {
    /// `sp` (`x2`): the CFA register at a call.
    pub const SP: u16 = 2;
    /// The return address column (`ra`, `x1`).
    pub const RA: u16 = 1;
    /// The highest register number objforge accepts (`v31`; the CSRs at 4096.. are not
    /// taken).
    pub const LAST: u16 = 127;

    /// The DWARF number of the register GNU as calls `name` (ABI or `xN`/`fN`/`vN` names).
    pub fn register(name: &str) -> Option<u16> {
        const X: [&str; 32] = [
            "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
            "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
            "t3", "t4", "t5", "t6",
        ];
        const F: [&str; 32] = [
            "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
            "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
            "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
        ];
        if name == "fp" {
            return Some(8);
        }
        if let Some(i) = X.iter().position(|r| *r == name) {
            return Some(i as u16);
        }
        if let Some(i) = F.iter().position(|r| *r == name) {
            return Some(32 + i as u16);
        }
        let numbered = |prefix: &str| -> Option<u16> {
            let digits = name.strip_prefix(prefix)?;
            let n: u16 = digits.parse().ok()?;
            (n < 32 && (digits == "0" || !digits.starts_with('0'))).then_some(n)
        };
        numbered("x")
            .or_else(|| numbered("f").map(|n| 32 + n))
            .or_else(|| numbered("v").map(|n| 96 + n))
    }

    /// The name [`register`] takes for DWARF register `n`, if it has one (the ABI name).
    pub fn name(n: u16) -> Option<String> {
        const X: [&str; 32] = [
            "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
            "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
            "t3", "t4", "t5", "t6",
        ];
        const F: [&str; 32] = [
            "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
            "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
            "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
        ];
        Some(match n {
            0..=31 => X[n as usize].to_string(),
            32..=63 => F[n as usize - 32].to_string(),
            96..=127 => format!("v{}", n - 96),
            _ => return None,
        })
    }
}
