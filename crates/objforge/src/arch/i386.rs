//! i386 relocations (System V i386 psABI). ELF keeps the addend in the field (REL).

use crate::reloc::RelocKind;

/// `R_386_*` types.
pub(crate) mod elf {
    pub const R_32: u32 = 1;
    pub const R_PC32: u32 = 2;
    pub const R_PLT32: u32 = 4;
    pub const R_TLS_IE: u32 = 15;
    pub const R_TLS_GOTIE: u32 = 16;
    pub const R_TLS_LE: u32 = 17;
    pub const R_TLS_GD: u32 = 18;
    pub const R_TLS_LDM: u32 = 19;
    pub const R_16: u32 = 20;
    pub const R_PC16: u32 = 21;
    pub const R_8: u32 = 22;
    pub const R_PC8: u32 = 23;
    pub const R_TLS_LDO_32: u32 = 32;
    pub const R_TLS_GOTDESC: u32 = 39;
    pub const R_TLS_DESC_CALL: u32 = 40;
}

/// The ELF type for `kind`. i386 code reaches the GOT through a register holding its address
/// (`%ebx` by convention), so the TLS kinds that are GOT(S) + A - P on x86_64 are
/// GOT(S) + A - GOT here: `x86_gottpoff` is `R_386_TLS_GOTIE` (`x@gotntpoff(%ebx)`),
/// `x86_tlsgd` `R_386_TLS_GD`, `x86_tlsld` `R_386_TLS_LDM`, `x86_gotpc32_tlsdesc`
/// `R_386_TLS_GOTDESC`; `x86_indntpoff` (no x86_64 form) is `R_386_TLS_IE`.
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
        X86Tpoff32 => elf::R_TLS_LE,
        X86Gottpoff => elf::R_TLS_GOTIE,
        X86Indntpoff => elf::R_TLS_IE,
        X86Tlsgd => elf::R_TLS_GD,
        X86Tlsld => elf::R_TLS_LDM,
        X86Dtpoff32 => elf::R_TLS_LDO_32,
        X86GotpcTlsdesc => elf::R_TLS_GOTDESC,
        X86TlsdescCall => elf::R_TLS_DESC_CALL,
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

/// Call-frame facts (System V i386 psABI, "DWARF Register Number Mapping"): DWARF numbers of
/// the registers by assembler name.
pub(crate) mod dwarf {
    /// `%esp`: the CFA register at a call.
    pub const ESP: u16 = 4;
    /// The return address column (`%eip`'s number).
    pub const RA: u16 = 8;
    /// The highest register number the psABI assigns (`%k7`).
    pub const LAST: u16 = 100;

    /// The DWARF number of the register GNU as calls `name` (without `%`).
    pub fn register(name: &str) -> Option<u16> {
        const GPR: [&str; 10] = [
            "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
        ];
        if let Some(i) = GPR.iter().position(|r| *r == name) {
            return Some(i as u16);
        }
        let numbered = |prefix: &str, count: u16| -> Option<u16> {
            let digits = name.strip_prefix(prefix)?;
            let n: u16 = digits.parse().ok()?;
            (n < count && (digits == "0" || !digits.starts_with('0'))).then_some(n)
        };
        if let Some(n) = numbered("st", 8) {
            return Some(11 + n);
        }
        if let Some(n) = numbered("xmm", 8) {
            return Some(21 + n);
        }
        if let Some(n) = numbered("mm", 8) {
            return Some(29 + n);
        }
        if let Some(n) = numbered("k", 8) {
            return Some(93 + n);
        }
        None
    }

    /// The name [`register`] takes for DWARF register `n`, if it has one.
    pub fn name(n: u16) -> Option<String> {
        const GPR: [&str; 10] = [
            "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
        ];
        Some(match n {
            0..=9 => GPR[n as usize].to_string(),
            11..=18 => format!("st{}", n - 11),
            21..=28 => format!("xmm{}", n - 21),
            29..=36 => format!("mm{}", n - 29),
            93..=100 => format!("k{}", n - 93),
            _ => return None,
        })
    }
}
