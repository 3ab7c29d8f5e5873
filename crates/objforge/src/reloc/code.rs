//! The one-byte code a [`Relocation`](crate::Relocation) stores for its kind: a portable
//! kind's index in [`ALL_KINDS`] (which lists them in declaration order), or [`NATIVE`] for
//! a native pass-through (whose encoding the relocation keeps beside the code).

use super::{RelocKind, ALL_KINDS};

/// The code of [`RelocKind::Native`].
pub(crate) const NATIVE: u8 = u8::MAX;

impl RelocKind {
    /// The kind's code: its index in [`ALL_KINDS`], or [`NATIVE`].
    #[inline]
    pub(crate) fn code(self) -> u8 {
        use RelocKind::*;
        match self {
            Abs8 => 0,
            Abs16 => 1,
            Abs32 => 2,
            Abs32S => 3,
            Abs64 => 4,
            Pcrel8 => 5,
            Pcrel16 => 6,
            Pcrel32 => 7,
            Pcrel64 => 8,
            Secrel32 => 9,
            Secidx16 => 10,
            Imagerel32 => 11,
            X86Branch32 => 12,
            X86GotPcrel32 => 13,
            A64Call26 => 14,
            A64Jump26 => 15,
            A64Condbr19 => 16,
            A64Tstbr14 => 17,
            A64LdrLit19 => 18,
            A64Adr21 => 19,
            A64Adrp21 => 20,
            A64AddLo12 => 21,
            A64Ldst8Lo12 => 22,
            A64Ldst16Lo12 => 23,
            A64Ldst32Lo12 => 24,
            A64Ldst64Lo12 => 25,
            A64Ldst128Lo12 => 26,
            A64GotAdrp21 => 27,
            A64GotLd64Lo12 => 28,
            RvCall => 29,
            RvPcrelHi20 => 30,
            RvGotHi20 => 31,
            RvPcrelLo12I => 32,
            RvPcrelLo12S => 33,
            RvHi20 => 34,
            RvLo12I => 35,
            RvLo12S => 36,
            RvBranch => 37,
            RvJal => 38,
            RvRvcBranch => 39,
            RvRvcJump => 40,
            Diff8 => 41,
            Diff16 => 42,
            Diff32 => 43,
            Diff64 => 44,
            WasmFuncIndexLeb => 45,
            WasmFuncIndexI32 => 46,
            WasmTableIndexSleb => 47,
            WasmTableIndexI32 => 48,
            WasmTableIndexSleb64 => 49,
            WasmTableIndexI64 => 50,
            WasmMemoryAddrLeb => 51,
            WasmMemoryAddrSleb => 52,
            WasmMemoryAddrI32 => 53,
            WasmMemoryAddrLeb64 => 54,
            WasmMemoryAddrSleb64 => 55,
            WasmMemoryAddrI64 => 56,
            WasmTypeIndexLeb => 57,
            WasmGlobalIndexLeb => 58,
            WasmGlobalIndexI32 => 59,
            WasmTableNumberLeb => 60,
            WasmFunctionOffsetI32 => 61,
            WasmFunctionOffsetI64 => 62,
            WasmSectionOffsetI32 => 63,
            X86Tpoff32 => 64,
            X86Gottpoff => 65,
            X86Tlsgd => 66,
            X86Tlsld => 67,
            X86Dtpoff32 => 68,
            X86Dtpoff64 => 69,
            X86GotpcTlsdesc => 70,
            X86TlsdescCall => 71,
            A64TlsleHi12 => 72,
            A64TlsleLo12 => 73,
            A64TlsieAdrp21 => 74,
            A64TlsieLd64Lo12 => 75,
            A64TlsgdAdrp21 => 76,
            A64TlsgdAddLo12 => 77,
            A64TlsdescAdrp21 => 78,
            A64TlsdescLd64Lo12 => 79,
            A64TlsdescAddLo12 => 80,
            A64TlsdescCall => 81,
            RvTprelHi20 => 82,
            RvTprelLo12I => 83,
            RvTprelLo12S => 84,
            RvTprelAdd => 85,
            RvTlsGotHi20 => 86,
            RvTlsGdHi20 => 87,
            A64TlsldAdrp21 => 88,
            A64TlsldAddLo12 => 89,
            A64TlsldDtprelHi12 => 90,
            A64TlsldDtprelLo12 => 91,
            X86Indntpoff => 92,
            A64SecrelHi12 => 93,
            A64SecrelLo12 => 94,
            A64SecrelLdstLo12 => 95,
            RvTlsdescHi20 => 96,
            RvTlsdescLoadLo12 => 97,
            RvTlsdescAddLo12 => 98,
            RvTlsdescCall => 99,
            S390Pc32Dbl => 100,
            S390Pc16Dbl => 101,
            S390Plt32Dbl => 102,
            S390Plt16Dbl => 103,
            S390GotEnt => 104,
            S390GotPcDbl => 105,
            S390TlsLe64 => 106,
            S390TlsIeent => 107,
            S390TlsGd64 => 108,
            S390TlsGdcall => 109,
            S390TlsLdm64 => 110,
            S390TlsLdcall => 111,
            S390TlsLdo64 => 112,
            PpcRel24 => 113,
            PpcRel14 => 114,
            PpcAddr16Ha => 115,
            PpcAddr16Hi => 116,
            PpcAddr16Lo => 117,
            PpcAddr16LoDs => 118,
            PpcToc16Ha => 119,
            PpcToc16Lo => 120,
            PpcToc16LoDs => 121,
            PpcRel16Ha => 122,
            PpcRel16Lo => 123,
            PpcGot16Ha => 124,
            PpcGot16LoDs => 125,
            PpcTprel16Ha => 126,
            PpcTprel16Lo => 127,
            PpcGotTprel16Ha => 128,
            PpcGotTprel16LoDs => 129,
            PpcTls => 130,
            ArmPrel31 => 131,
            ArmCall => 132,
            ArmJump24 => 133,
            ArmThmCall => 134,
            ArmThmJump24 => 135,
            ArmThmJump19 => 136,
            ArmMovwAbsNc => 137,
            ArmMovtAbs => 138,
            ArmMovwPrelNc => 139,
            ArmMovtPrel => 140,
            ArmThmMovwAbsNc => 141,
            ArmThmMovtAbs => 142,
            ArmThmMovwPrelNc => 143,
            ArmThmMovtPrel => 144,
            ArmGotPrel => 145,
            ArmGotBrel => 146,
            ArmGotoff32 => 147,
            ArmBasePrel => 148,
            ArmTarget1 => 149,
            ArmTarget2 => 150,
            Native(_) => NATIVE,
        }
    }
}

/// The portable kind of `code` (`None` for [`NATIVE`], whose encoding is kept elsewhere).
#[inline]
pub(crate) fn portable(code: u8) -> Option<RelocKind> {
    ALL_KINDS.get(usize::from(code)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_names_its_kind() {
        assert!(ALL_KINDS.len() < usize::from(NATIVE));
        for (i, &k) in ALL_KINDS.iter().enumerate() {
            assert_eq!(usize::from(k.code()), i, "{k}");
            assert_eq!(portable(k.code()), Some(k));
        }
        assert_eq!(portable(NATIVE), None);
    }
}
