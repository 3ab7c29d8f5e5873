//! x86_64 relocations (System V AMD64 psABI, chapter 4.4).

use crate::reloc::RelocKind;

/// `R_X86_64_*` types.
pub(crate) mod elf {
    pub const R_64: u32 = 1;
    pub const R_PC32: u32 = 2;
    pub const R_PLT32: u32 = 4;
    pub const R_GOTPCREL: u32 = 9;
    pub const R_32: u32 = 10;
    pub const R_32S: u32 = 11;
    pub const R_16: u32 = 12;
    pub const R_PC16: u32 = 13;
    pub const R_8: u32 = 14;
    pub const R_PC8: u32 = 15;
    pub const R_PC64: u32 = 24;
    pub const R_GOTPCRELX: u32 = 41;
    pub const R_REX_GOTPCRELX: u32 = 42;
}

/// The ELF type for `kind`; `before` is up to three bytes preceding the field.
pub(crate) fn elf_type(kind: RelocKind, before: &[u8]) -> Option<u32> {
    use RelocKind::*;
    Some(match kind {
        Abs8 => elf::R_8,
        Abs16 => elf::R_16,
        Abs32 | Secrel32 => elf::R_32,
        Abs32S => elf::R_32S,
        Abs64 => elf::R_64,
        Pcrel8 => elf::R_PC8,
        Pcrel16 => elf::R_PC16,
        Pcrel32 => elf::R_PC32,
        Pcrel64 => elf::R_PC64,
        X86Branch32 => elf::R_PLT32,
        X86GotPcrel32 => gotpcrel_type(before),
        _ => return None,
    })
}

/// Picks the relaxable GOT relocation when the instruction is one the linker may rewrite:
/// `mov reg, [rip+disp]` (0x8b), `call/jmp [rip+disp]` (ff /2, ff /4), and with a REX.W prefix
/// also `test`/`add`/... forms the psABI allows (0x85, 0x03, 0x0b, 0x13, 0x1b, 0x23, 0x2b,
/// 0x33, 0x3b). ModRM must be RIP-relative (mod 00, r/m 101).
fn gotpcrel_type(before: &[u8]) -> u32 {
    let [.., opcode, modrm] = before else {
        return elf::R_GOTPCREL;
    };
    if modrm & 0xc7 != 0x05 {
        return elf::R_GOTPCREL;
    }
    // Only a REX.W prefix counts: a GOT slot holds a 64-bit address, so a sensible load or
    // ALU use of it is 64-bit, and requiring W keeps a stray 0x40..0x47 byte that ends the
    // previous instruction from being taken for a prefix the linker would then rewrite.
    let rex = before.len() >= 3 && (0x48..=0x4f).contains(&before[before.len() - 3]);
    let reg = (modrm >> 3) & 7;
    match opcode {
        0x8b if rex => elf::R_REX_GOTPCRELX,
        0x85 | 0x03 | 0x0b | 0x13 | 0x1b | 0x23 | 0x2b | 0x33 | 0x3b if rex => elf::R_REX_GOTPCRELX,
        0x8b => elf::R_GOTPCRELX,
        0xff if reg == 2 || reg == 4 => elf::R_GOTPCRELX,
        _ => elf::R_GOTPCREL,
    }
}
