//! One relocation table per architecture: how each portable kind is spelled in each format.

pub(crate) mod aarch64;
pub(crate) mod arm;
pub(crate) mod i386;
pub(crate) mod ppc64le;
pub(crate) mod riscv64;
pub(crate) mod s390x;
pub(crate) mod x86_64;

use crate::reloc::RelocKind;
use crate::target::Architecture;

/// How one portable relocation is spelled as ELF relocation entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ElfEncoding {
    /// One entry of this `r_type`.
    One(u32),
    /// A symbol difference as two entries at the same offset: `+S+A` then `-M` (RISC-V).
    AddSub(u32, u32),
}

/// The ELF encoding of `kind` on `arch`, or `None` if the architecture has none.
///
/// `before` holds up to three bytes preceding the field, which x86_64 inspects to pick the
/// relaxable GOT relocation.
#[inline(always)]
pub(crate) fn elf_encoding(
    arch: Architecture,
    kind: RelocKind,
    before: &[u8],
) -> Option<ElfEncoding> {
    if let RelocKind::Native(n) = kind {
        return Some(ElfEncoding::One(n.r_type));
    }
    match arch {
        Architecture::X86_64 => x86_64::elf_type(kind, before).map(ElfEncoding::One),
        Architecture::I386 => i386::elf_type(kind).map(ElfEncoding::One),
        Architecture::Aarch64 => aarch64::elf_type(kind).map(ElfEncoding::One),
        Architecture::Riscv64 => riscv64::elf_encoding(kind),
        Architecture::S390x => s390x::elf_type(kind).map(ElfEncoding::One),
        Architecture::Ppc64le => ppc64le::elf_type(kind).map(ElfEncoding::One),
        Architecture::Arm => arm::elf_type(kind).map(ElfEncoding::One),
        Architecture::Wasm32 | Architecture::Wasm64 => None,
    }
}

/// Where a Mach-O relocation's addend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MachoAddend {
    /// In the field itself. The linker computes a PC-relative value from `pc_bias` bytes past
    /// the field's start (x86_64: 4, the end of the displacement), and takes the target to be
    /// `extra` bytes further on (`X86_64_RELOC_SIGNED_1/_2/_4`: bytes of immediate after it).
    Field {
        /// Bytes from the field's start to where the linker's PC is.
        pc_bias: i8,
        /// Extra bytes the type itself adds to the stored addend.
        extra: i8,
    },
    /// In an `ARM64_RELOC_ADDEND` entry just before, when not zero.
    Paired,
    /// Nowhere: the addend must be zero.
    Zero,
}

/// One Mach-O relocation entry as an architecture spells a portable kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MachoReloc {
    /// `r_type`.
    pub r_type: u8,
    /// `r_pcrel`.
    pub pcrel: bool,
    /// `r_length`: log2 of the field's size.
    pub length: u8,
    /// Whether the format lets it be section-relative (`r_extern = 0`) for a local target.
    pub local: bool,
    /// Where the addend goes.
    pub addend: MachoAddend,
}

/// How one portable relocation is spelled as Mach-O relocation entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MachoEncoding {
    /// One entry (preceded by an `ARM64_RELOC_ADDEND` when its addend is paired and not zero).
    One(MachoReloc),
    /// S + A - M as `SUBTRACTOR` (against M) followed by `UNSIGNED` (against S), at the same
    /// offset, both `length` (log2 bytes) long.
    Difference {
        /// The architecture's `SUBTRACTOR` type.
        subtractor: u8,
        /// The architecture's `UNSIGNED` type.
        unsigned: u8,
        /// `r_length`.
        length: u8,
    },
    /// S + A - P for a data field: a [`MachoEncoding::Difference`] whose M is the symbol that
    /// starts the field's subsection.
    FromField {
        /// The architecture's `SUBTRACTOR` type.
        subtractor: u8,
        /// The architecture's `UNSIGNED` type.
        unsigned: u8,
        /// `r_length`.
        length: u8,
    },
}

/// The Mach-O encoding of `kind` on `arch`, or `None` if Mach-O has none there.
///
/// `addend` picks x86_64's `SIGNED_1/_2/_4`; `before` holds up to three bytes preceding the
/// field (x86_64 tells a `movq` GOT load from other GOT uses); `tls` says the symbol is a
/// thread-local variable, whose GOT-style loads become TLV loads.
#[inline(always)]
pub(crate) fn macho_encoding(
    arch: Architecture,
    kind: RelocKind,
    addend: i64,
    before: &[u8],
    tls: bool,
) -> Option<MachoEncoding> {
    match arch {
        Architecture::X86_64 => x86_64::macho_encoding(kind, addend, before, tls),
        Architecture::Aarch64 => aarch64::macho_encoding(kind, tls),
        Architecture::I386
        | Architecture::Riscv64
        | Architecture::S390x
        | Architecture::Ppc64le
        | Architecture::Arm
        | Architecture::Wasm32
        | Architecture::Wasm64 => None,
    }
}

/// What picks `kind`'s Mach-O encoding on `arch` besides the kind and whether the symbol is
/// thread-local (see [`macho_encoding`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MachoDepends {
    /// Nothing more.
    Kind,
    /// The addend too (x86_64 `pcrel32`: `SIGNED_1/_2/_4`).
    Addend,
    /// The bytes before the field too (x86_64 `x86_gotpcrel32`: a `movq` load or not).
    Before,
}

/// What picks `kind`'s Mach-O encoding on `arch`, besides the kind and the symbol's being
/// thread-local.
pub(crate) fn macho_depends(arch: Architecture, kind: RelocKind) -> MachoDepends {
    match (arch, kind) {
        (Architecture::X86_64, RelocKind::Pcrel32) => MachoDepends::Addend,
        (Architecture::X86_64, RelocKind::X86GotPcrel32) => MachoDepends::Before,
        // arm64's encoding takes neither the addend nor the instruction bytes.
        _ => MachoDepends::Kind,
    }
}

/// Whether the addend may pick `kind`'s COFF type on `arch` (AMD64 `REL32_k`, see
/// [`coff_type`]); otherwise the type is the kind's whatever the addend.
pub(crate) fn coff_addend_picks(arch: Architecture, kind: RelocKind) -> bool {
    arch == Architecture::X86_64 && matches!(kind, RelocKind::Pcrel32 | RelocKind::X86Branch32)
}

/// The COFF relocation type of `kind` on `arch`, or `None` if COFF has none there. `addend`
/// picks x86_64's `REL32_1`..`REL32_5`. (`diff*` is the caller's: it becomes PC-relative.)
#[inline(always)]
pub(crate) fn coff_type(arch: Architecture, kind: RelocKind, addend: i64) -> Option<u16> {
    match arch {
        Architecture::X86_64 => x86_64::coff_type(kind, addend),
        Architecture::I386 => i386::coff_type(kind),
        Architecture::Aarch64 => aarch64::coff_type(kind),
        Architecture::Riscv64
        | Architecture::S390x
        | Architecture::Ppc64le
        | Architecture::Arm
        | Architecture::Wasm32
        | Architecture::Wasm64 => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reloc::{NativeReloc, ALL_KINDS};

    /// Addends around the ones that pick an encoding (x86_64's -4..-9 and REL32_k's 0..-5),
    /// and the extremes.
    const TRIAL_ADDENDS: [i64; 16] = [
        i64::MIN,
        -(1 << 40),
        -10,
        -9,
        -8,
        -7,
        -6,
        -5,
        -4,
        -3,
        -2,
        -1,
        0,
        1,
        4,
        i64::MAX,
    ];

    /// `macho_depends` is the whole truth: where it says an encoding depends on the kind alone,
    /// no addend nor bytes before the field change it; where on the addend, no bytes do.
    #[test]
    fn macho_depends_names_everything_that_picks_an_encoding() {
        let native = RelocKind::Native(NativeReloc {
            r_type: 1,
            size: 4,
            length: 2,
            pcrel: true,
        });
        let addends = TRIAL_ADDENDS;
        let befores: [&[u8]; 4] = [&[], &[0x48, 0x8b, 0x05], &[0x4c, 0x8b, 0x3d], &[0x90, 0x90]];
        for arch in [Architecture::X86_64, Architecture::Aarch64] {
            for &kind in ALL_KINDS.iter().chain([&native]) {
                let depends = macho_depends(arch, kind);
                for (tls, addend, before) in [false, true].into_iter().flat_map(|tls| {
                    addends
                        .into_iter()
                        .flat_map(move |a| befores.into_iter().map(move |b| (tls, a, b)))
                }) {
                    let got = macho_encoding(arch, kind, addend, before, tls);
                    let base = match depends {
                        MachoDepends::Kind => macho_encoding(arch, kind, 0, &[], tls),
                        MachoDepends::Addend => macho_encoding(arch, kind, addend, &[], tls),
                        MachoDepends::Before => got,
                    };
                    assert_eq!(got, base, "{arch} {kind} {addend} {before:?} {tls}");
                }
            }
        }
    }

    /// Where `coff_addend_picks` says the addend does not pick the type, no addend changes it.
    #[test]
    fn coff_addend_picks_names_every_kind_whose_type_the_addend_picks() {
        let addends = TRIAL_ADDENDS;
        for arch in [
            Architecture::X86_64,
            Architecture::I386,
            Architecture::Aarch64,
        ] {
            for &kind in ALL_KINDS {
                if coff_addend_picks(arch, kind) {
                    continue;
                }
                for addend in addends {
                    assert_eq!(
                        coff_type(arch, kind, addend),
                        coff_type(arch, kind, 0),
                        "{arch} {kind} {addend}"
                    );
                }
            }
        }
    }
}
