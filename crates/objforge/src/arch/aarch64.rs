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
    pub const R_TLSGD_ADR_PAGE21: u32 = 513;
    pub const R_TLSGD_ADD_LO12_NC: u32 = 514;
    pub const R_TLSLD_ADR_PAGE21: u32 = 518;
    pub const R_TLSLD_ADD_LO12_NC: u32 = 519;
    pub const R_TLSLD_ADD_DTPREL_HI12: u32 = 528;
    pub const R_TLSLD_ADD_DTPREL_LO12_NC: u32 = 530;
    pub const R_TLSIE_ADR_GOTTPREL_PAGE21: u32 = 541;
    pub const R_TLSIE_LD64_GOTTPREL_LO12_NC: u32 = 542;
    pub const R_TLSLE_ADD_TPREL_HI12: u32 = 549;
    pub const R_TLSLE_ADD_TPREL_LO12_NC: u32 = 551;
    pub const R_TLSDESC_ADR_PAGE21: u32 = 562;
    pub const R_TLSDESC_LD64_LO12: u32 = 563;
    pub const R_TLSDESC_ADD_LO12: u32 = 564;
    pub const R_TLSDESC_CALL: u32 = 569;
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
        A64TlsleHi12 => elf::R_TLSLE_ADD_TPREL_HI12,
        A64TlsleLo12 => elf::R_TLSLE_ADD_TPREL_LO12_NC,
        A64TlsieAdrp21 => elf::R_TLSIE_ADR_GOTTPREL_PAGE21,
        A64TlsieLd64Lo12 => elf::R_TLSIE_LD64_GOTTPREL_LO12_NC,
        A64TlsgdAdrp21 => elf::R_TLSGD_ADR_PAGE21,
        A64TlsgdAddLo12 => elf::R_TLSGD_ADD_LO12_NC,
        A64TlsdescAdrp21 => elf::R_TLSDESC_ADR_PAGE21,
        A64TlsdescLd64Lo12 => elf::R_TLSDESC_LD64_LO12,
        A64TlsdescAddLo12 => elf::R_TLSDESC_ADD_LO12,
        A64TlsdescCall => elf::R_TLSDESC_CALL,
        A64TlsldAdrp21 => elf::R_TLSLD_ADR_PAGE21,
        A64TlsldAddLo12 => elf::R_TLSLD_ADD_LO12_NC,
        A64TlsldDtprelHi12 => elf::R_TLSLD_ADD_DTPREL_HI12,
        A64TlsldDtprelLo12 => elf::R_TLSLD_ADD_DTPREL_LO12_NC,
        _ => return None,
    })
}

/// `ARM64_RELOC_*` types (Mach-O, `<mach-o/arm64/reloc.h>`).
pub(crate) mod macho {
    pub const UNSIGNED: u8 = 0;
    pub const SUBTRACTOR: u8 = 1;
    pub const BRANCH26: u8 = 2;
    pub const PAGE21: u8 = 3;
    pub const PAGEOFF12: u8 = 4;
    pub const GOT_LOAD_PAGE21: u8 = 5;
    pub const GOT_LOAD_PAGEOFF12: u8 = 6;
    #[allow(dead_code)] // written only as a `native` relocation
    pub const POINTER_TO_GOT: u8 = 7;
    pub const TLVP_LOAD_PAGE21: u8 = 8;
    pub const TLVP_LOAD_PAGEOFF12: u8 = 9;
    pub const ADDEND: u8 = 10;
    /// `ARM64_RELOC_ADDEND` holds a signed 24-bit addend in `r_symbolnum`.
    pub const ADDEND_MIN: i64 = -(1 << 23);
    /// See [`ADDEND_MIN`].
    pub const ADDEND_MAX: i64 = (1 << 23) - 1;
}

/// The Mach-O encoding for `kind`. Only `UNSIGNED` (and `SUBTRACTOR` pairs) keep the addend in
/// the field; `BRANCH26`, `PAGE21` and `PAGEOFF12` take it from an `ARM64_RELOC_ADDEND` before
/// them; the GOT and TLV loads take none. Every `LDR/STR` scale is one `PAGEOFF12`: the linker
/// reads the access size from the instruction. `tls`: the symbol is a thread-local variable,
/// so GOT-style loads become `TLVP_LOAD_*`.
pub(crate) fn macho_encoding(kind: RelocKind, tls: bool) -> Option<super::MachoEncoding> {
    use super::{MachoAddend, MachoEncoding, MachoReloc};
    use RelocKind::*;
    let one = |r_type, pcrel, length, addend| {
        MachoEncoding::One(MachoReloc {
            r_type,
            pcrel,
            length,
            local: r_type == macho::UNSIGNED,
            addend,
        })
    };
    let in_field = MachoAddend::Field {
        pc_bias: 0,
        extra: 0,
    };
    Some(match kind {
        Abs32 => one(macho::UNSIGNED, false, 2, in_field),
        Abs64 => one(macho::UNSIGNED, false, 3, in_field),
        Pcrel32 | Pcrel64 => MachoEncoding::FromField {
            subtractor: macho::SUBTRACTOR,
            unsigned: macho::UNSIGNED,
            length: if kind == Pcrel32 { 2 } else { 3 },
        },
        Diff32 | Diff64 => MachoEncoding::Difference {
            subtractor: macho::SUBTRACTOR,
            unsigned: macho::UNSIGNED,
            length: if kind == Diff32 { 2 } else { 3 },
        },
        A64Call26 | A64Jump26 => one(macho::BRANCH26, true, 2, MachoAddend::Paired),
        A64Adrp21 => one(macho::PAGE21, true, 2, MachoAddend::Paired),
        A64AddLo12 | A64Ldst8Lo12 | A64Ldst16Lo12 | A64Ldst32Lo12 | A64Ldst64Lo12
        | A64Ldst128Lo12 => one(macho::PAGEOFF12, false, 2, MachoAddend::Paired),
        A64GotAdrp21 if tls => one(macho::TLVP_LOAD_PAGE21, true, 2, MachoAddend::Zero),
        A64GotLd64Lo12 if tls => one(macho::TLVP_LOAD_PAGEOFF12, false, 2, MachoAddend::Zero),
        A64GotAdrp21 => one(macho::GOT_LOAD_PAGE21, true, 2, MachoAddend::Zero),
        A64GotLd64Lo12 => one(macho::GOT_LOAD_PAGEOFF12, false, 2, MachoAddend::Zero),
        Native(n) => {
            let r_type = u8::try_from(n.r_type).ok().filter(|&t| t <= 0xf)?;
            if n.length > 3 {
                return None;
            }
            let addend = match r_type {
                macho::UNSIGNED | macho::SUBTRACTOR => in_field,
                macho::BRANCH26 | macho::PAGE21 | macho::PAGEOFF12 => MachoAddend::Paired,
                _ => MachoAddend::Zero,
            };
            MachoEncoding::One(MachoReloc {
                r_type,
                pcrel: n.pcrel,
                length: n.length,
                local: false,
                addend,
            })
        }
        _ => return None,
    })
}

/// `IMAGE_REL_ARM64_*` types (PE/COFF specification, "Type Indicators").
pub(crate) mod coff {
    pub const ADDR32: u16 = 0x1;
    pub const ADDR32NB: u16 = 0x2;
    pub const BRANCH26: u16 = 0x3;
    pub const PAGEBASE_REL21: u16 = 0x4;
    pub const REL21: u16 = 0x5;
    pub const PAGEOFFSET_12A: u16 = 0x6;
    pub const PAGEOFFSET_12L: u16 = 0x7;
    pub const SECREL: u16 = 0x8;
    pub const SECREL_LOW12A: u16 = 0x9;
    pub const SECREL_HIGH12A: u16 = 0xa;
    pub const SECREL_LOW12L: u16 = 0xb;
    pub const SECTION: u16 = 0xd;
    pub const ADDR64: u16 = 0xe;
    pub const BRANCH19: u16 = 0xf;
    pub const BRANCH14: u16 = 0x10;
    pub const REL32: u16 = 0x11;
}

/// The COFF type for `kind`. Every `a64_ldst*_lo12` is `PAGEOFFSET_12L`: the linker reads
/// the access size from the instruction.
pub(crate) fn coff_type(kind: RelocKind) -> Option<u16> {
    use RelocKind::*;
    Some(match kind {
        Abs32 => coff::ADDR32,
        Abs64 => coff::ADDR64,
        Imagerel32 => coff::ADDR32NB,
        Pcrel32 => coff::REL32,
        Secrel32 => coff::SECREL,
        Secidx16 => coff::SECTION,
        A64Call26 | A64Jump26 => coff::BRANCH26,
        A64Condbr19 => coff::BRANCH19,
        A64Tstbr14 => coff::BRANCH14,
        A64Adr21 => coff::REL21,
        A64Adrp21 => coff::PAGEBASE_REL21,
        A64AddLo12 => coff::PAGEOFFSET_12A,
        A64Ldst8Lo12 | A64Ldst16Lo12 | A64Ldst32Lo12 | A64Ldst64Lo12 | A64Ldst128Lo12 => {
            coff::PAGEOFFSET_12L
        }
        A64SecrelHi12 => coff::SECREL_HIGH12A,
        A64SecrelLo12 => coff::SECREL_LOW12A,
        A64SecrelLdstLo12 => coff::SECREL_LOW12L,
        _ => return None,
    })
}

/// Call-frame facts (DWARF for the Arm 64-bit Architecture, AADWARF64, "DWARF register
/// names"): DWARF numbers of the registers by assembler name.
pub(crate) mod dwarf {
    /// `sp`: the CFA register at a call.
    pub const SP: u16 = 31;
    /// The return address column (`x30`, the link register).
    pub const RA: u16 = 30;
    /// The highest register number AADWARF64 assigns (`z31`).
    pub const LAST: u16 = 127;

    /// The DWARF number of the register GNU as calls `name`.
    pub fn register(name: &str) -> Option<u16> {
        let numbered = |prefix: &str, count: u16| -> Option<u16> {
            let digits = name.strip_prefix(prefix)?;
            let n: u16 = digits.parse().ok()?;
            (n < count && (digits == "0" || !digits.starts_with('0'))).then_some(n)
        };
        if let Some(n) = numbered("x", 31).or_else(|| numbered("w", 31)) {
            return Some(n);
        }
        // The SIMD and floating-point registers, by any of their widths.
        for prefix in ["v", "q", "d", "s", "h", "b"] {
            if let Some(n) = numbered(prefix, 32) {
                return Some(64 + n);
            }
        }
        if let Some(n) = numbered("p", 16) {
            return Some(48 + n);
        }
        if let Some(n) = numbered("z", 32) {
            return Some(96 + n);
        }
        Some(match name {
            "fp" => 29,
            "lr" => 30,
            "sp" => 31,
            "pc" => 32,
            "elr_mode" => 33,
            "ra_sign_state" => 34,
            "tpidrro_el0" => 35,
            "tpidr_el0" => 36,
            "tpidr_el1" => 37,
            "tpidr_el2" => 38,
            "tpidr_el3" => 39,
            "vg" => 46,
            "ffr" => 47,
            _ => return None,
        })
    }

    /// The name [`register`] takes for DWARF register `n`, if it has one (`x29`, not `fp`;
    /// `d8` for the SIMD and floating-point registers, whose low halves the ABI preserves).
    pub fn name(n: u16) -> Option<String> {
        Some(match n {
            0..=30 => format!("x{n}"),
            31 => "sp".into(),
            32 => "pc".into(),
            33 => "elr_mode".into(),
            34 => "ra_sign_state".into(),
            35 => "tpidrro_el0".into(),
            36 => "tpidr_el0".into(),
            37 => "tpidr_el1".into(),
            38 => "tpidr_el2".into(),
            39 => "tpidr_el3".into(),
            46 => "vg".into(),
            47 => "ffr".into(),
            48..=63 => format!("p{}", n - 48),
            64..=95 => format!("d{}", n - 64),
            96..=127 => format!("z{}", n - 96),
            _ => return None,
        })
    }
}
