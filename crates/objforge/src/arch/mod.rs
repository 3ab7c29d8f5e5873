//! One relocation table per architecture: how each portable kind is spelled in each format.

pub(crate) mod aarch64;
pub(crate) mod i386;
pub(crate) mod riscv64;
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
    }
}
