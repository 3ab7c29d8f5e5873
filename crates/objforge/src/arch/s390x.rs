//! IBM Z relocations (s390x ELF ABI supplement; binutils `include/elf/s390.h`).
//!
//! s390x objects are ELFCLASS64, big-endian, RELA. A relocation's offset is the first byte of
//! the patched field, as on x86: the relative-long instructions (`larl`, `brasl`, `brcl`,
//! `lrl`, `stgrl`, ...) keep their 32-bit halfword count 2 bytes into the 6-byte instruction,
//! and `brc`/`j`/`bras` their 16-bit count 2 bytes into the 4-byte one. The value such a field
//! holds is (S + A - P) >> 1 with P the field's address, so an instruction at X reaching S is
//! a relocation at X + 2 with addend 2 (GNU as writes `brasl %r14,f@PLT` exactly so).

use crate::reloc::RelocKind;

/// `R_390_*` types.
pub(crate) mod elf {
    pub const R_8: u32 = 1;
    pub const R_16: u32 = 3;
    pub const R_32: u32 = 4;
    pub const R_PC32: u32 = 5;
    pub const R_PC16: u32 = 16;
    pub const R_PC16DBL: u32 = 17;
    pub const R_PLT16DBL: u32 = 18;
    pub const R_PC32DBL: u32 = 19;
    pub const R_PLT32DBL: u32 = 20;
    pub const R_GOTPCDBL: u32 = 21;
    pub const R_64: u32 = 22;
    pub const R_PC64: u32 = 23;
    pub const R_GOTENT: u32 = 26;
    pub const R_TLS_GDCALL: u32 = 38;
    pub const R_TLS_LDCALL: u32 = 39;
    pub const R_TLS_GD64: u32 = 41;
    pub const R_TLS_LDM64: u32 = 46;
    pub const R_TLS_IEENT: u32 = 49;
    pub const R_TLS_LE64: u32 = 51;
    pub const R_TLS_LDO64: u32 = 53;
}

/// The ELF relocation type for `kind`. `diff16`/`32`/`64` have none of their own: s390x has
/// no symbol-difference relocation, so they become `pcrel*` (see `elf::reloc`).
pub(crate) fn elf_type(kind: RelocKind) -> Option<u32> {
    use RelocKind::*;
    Some(match kind {
        Abs8 => elf::R_8,
        Abs16 => elf::R_16,
        Abs32 | Secrel32 => elf::R_32,
        Abs64 => elf::R_64,
        Pcrel16 => elf::R_PC16,
        Pcrel32 => elf::R_PC32,
        Pcrel64 => elf::R_PC64,
        S390Pc16Dbl => elf::R_PC16DBL,
        S390Pc32Dbl => elf::R_PC32DBL,
        S390Plt16Dbl => elf::R_PLT16DBL,
        S390Plt32Dbl => elf::R_PLT32DBL,
        S390GotEnt => elf::R_GOTENT,
        S390GotPcDbl => elf::R_GOTPCDBL,
        S390TlsLe64 => elf::R_TLS_LE64,
        S390TlsIeent => elf::R_TLS_IEENT,
        S390TlsGd64 => elf::R_TLS_GD64,
        S390TlsGdcall => elf::R_TLS_GDCALL,
        S390TlsLdm64 => elf::R_TLS_LDM64,
        S390TlsLdcall => elf::R_TLS_LDCALL,
        S390TlsLdo64 => elf::R_TLS_LDO64,
        _ => return None,
    })
}

/// Call-frame facts (s390x ELF ABI supplement, "DWARF Definition"): DWARF numbers of the
/// registers by assembler name.
pub(crate) mod dwarf {
    /// `%r15`, the stack pointer: the CFA register at a call.
    pub const SP: u16 = 15;
    /// The return address column (`%r14`).
    pub const RA: u16 = 14;
    /// The highest register number objforge accepts (the PSW address).
    pub const LAST: u16 = 65;

    /// The floating-point registers in DWARF order: 16 is `f0`, 17 `f2`, ... (the ABI pairs
    /// them as the 31-bit ABI passed doubles).
    const FPR: [u16; 16] = [0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15];

    /// The DWARF number of the register GNU as calls `name` (`r0`..`r15`, `f0`..`f15`,
    /// `c0`..`c15`, `a0`..`a15`; `%` already removed).
    pub fn register(name: &str) -> Option<u16> {
        let numbered = |prefix: &str| -> Option<u16> {
            let digits = name.strip_prefix(prefix)?;
            let n: u16 = digits.parse().ok()?;
            (n < 16 && (digits == "0" || !digits.starts_with('0'))).then_some(n)
        };
        if let Some(n) = numbered("r") {
            return Some(n);
        }
        if let Some(n) = numbered("f") {
            let k = FPR.iter().position(|&f| f == n)?;
            return Some(16 + k as u16);
        }
        match name {
            "pswm" => return Some(64),
            "pswa" => return Some(65),
            _ => {}
        }
        numbered("c")
            .map(|n| 32 + n)
            .or_else(|| numbered("a").map(|n| 48 + n))
    }

    /// The name [`register`] takes for DWARF register `n`, if it has one.
    pub fn name(n: u16) -> Option<String> {
        Some(match n {
            0..=15 => format!("r{n}"),
            16..=31 => format!("f{}", FPR[usize::from(n - 16)]),
            32..=47 => format!("c{}", n - 32),
            48..=63 => format!("a{}", n - 48),
            64 => "pswm".into(),
            65 => "pswa".into(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::target::{Architecture, Endianness, Format, Target};

    /// Every spelling of the triple is big-endian ELF for s390x.
    #[test]
    fn triples_are_big_endian_elf() {
        for triple in [
            "s390x-linux-gnu",
            "s390x-unknown-linux-gnu",
            "s390x-ibm-linux",
        ] {
            let t = Target::from_triple(triple).unwrap();
            assert_eq!(
                (t.arch, t.format, t.endianness),
                (Architecture::S390x, Format::Elf, Endianness::Big),
                "{triple}"
            );
        }
        assert_eq!(Architecture::S390x.pointer_width(), 8);
    }

    /// The floating-point registers follow the ABI's DWARF order, not their numbers.
    #[test]
    fn fpr_dwarf_numbers() {
        use super::dwarf::{name, register};
        assert_eq!(register("f0"), Some(16));
        assert_eq!(register("f2"), Some(17));
        assert_eq!(register("f1"), Some(20));
        assert_eq!(register("f8"), Some(24));
        assert_eq!(register("f9"), Some(28));
        assert_eq!(register("f15"), Some(31));
        assert_eq!(register("r15"), Some(15));
        assert_eq!(register("r16"), None);
        assert_eq!(register("r01"), None);
        assert_eq!(name(25).as_deref(), Some("f10"));
    }
}
