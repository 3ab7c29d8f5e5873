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
    pub const R_DTPOFF64: u32 = 17;
    pub const R_TLSGD: u32 = 19;
    pub const R_TLSLD: u32 = 20;
    pub const R_DTPOFF32: u32 = 21;
    pub const R_GOTTPOFF: u32 = 22;
    pub const R_TPOFF32: u32 = 23;
    pub const R_PC64: u32 = 24;
    pub const R_GOTPC32_TLSDESC: u32 = 34;
    pub const R_TLSDESC_CALL: u32 = 35;
    pub const R_GOTPCRELX: u32 = 41;
    pub const R_REX_GOTPCRELX: u32 = 42;
}

/// The ELF type for `kind`; `before` is up to three bytes preceding the field.
#[inline(always)]
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
        X86Tpoff32 => elf::R_TPOFF32,
        X86Gottpoff => elf::R_GOTTPOFF,
        X86Tlsgd => elf::R_TLSGD,
        X86Tlsld => elf::R_TLSLD,
        X86Dtpoff32 => elf::R_DTPOFF32,
        X86Dtpoff64 => elf::R_DTPOFF64,
        X86GotpcTlsdesc => elf::R_GOTPC32_TLSDESC,
        X86TlsdescCall => elf::R_TLSDESC_CALL,
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

/// `X86_64_RELOC_*` types (Mach-O, `<mach-o/x86_64/reloc.h>`).
pub(crate) mod macho {
    pub const UNSIGNED: u8 = 0;
    pub const SIGNED: u8 = 1;
    pub const BRANCH: u8 = 2;
    pub const GOT_LOAD: u8 = 3;
    pub const GOT: u8 = 4;
    pub const SUBTRACTOR: u8 = 5;
    pub const SIGNED_1: u8 = 6;
    pub const SIGNED_2: u8 = 7;
    pub const SIGNED_4: u8 = 8;
    pub const TLV: u8 = 9;
}

/// The Mach-O encoding for `kind`. Every addend is stored in the field; a PC-relative one
/// counts from the end of the 4-byte field, so `-4 - n` (n bytes of immediate after the field)
/// picks `SIGNED_n`. `before` is up to three bytes preceding the field: a `movq` load (REX.W
/// `8b`, RIP-relative) is what `GOT_LOAD` and `TLV` may be used on.
#[inline(always)]
pub(crate) fn macho_encoding(
    kind: RelocKind,
    addend: i64,
    before: &[u8],
    tls: bool,
) -> Option<super::MachoEncoding> {
    use super::{MachoAddend, MachoEncoding, MachoReloc};
    use RelocKind::*;
    let one = |r_type, pcrel, length, local, extra| {
        MachoEncoding::One(MachoReloc {
            r_type,
            pcrel,
            length,
            local,
            addend: MachoAddend::Field {
                pc_bias: if pcrel { 4 } else { 0 },
                extra,
            },
        })
    };
    let pair = |length| (macho::SUBTRACTOR, macho::UNSIGNED, length);
    Some(match kind {
        Abs32 => one(macho::UNSIGNED, false, 2, true, 0),
        Abs64 => one(macho::UNSIGNED, false, 3, true, 0),
        Pcrel32 => {
            let (r_type, extra) = match addend.checked_add(4) {
                Some(-1) => (macho::SIGNED_1, 1),
                Some(-2) => (macho::SIGNED_2, 2),
                Some(-4) => (macho::SIGNED_4, 4),
                _ => (macho::SIGNED, 0),
            };
            one(r_type, true, 2, true, extra)
        }
        Pcrel64 | Diff32 | Diff64 => {
            let (subtractor, unsigned, length) = pair(if kind == Diff32 { 2 } else { 3 });
            if kind == Pcrel64 {
                MachoEncoding::FromField {
                    subtractor,
                    unsigned,
                    length,
                }
            } else {
                MachoEncoding::Difference {
                    subtractor,
                    unsigned,
                    length,
                }
            }
        }
        X86Branch32 => one(macho::BRANCH, true, 2, false, 0),
        X86GotPcrel32 if tls => {
            if !is_movq_load(before) {
                return None;
            }
            one(macho::TLV, true, 2, false, 0)
        }
        X86GotPcrel32 if is_movq_load(before) => one(macho::GOT_LOAD, true, 2, false, 0),
        X86GotPcrel32 => one(macho::GOT, true, 2, false, 0),
        Native(n) => {
            let r_type = u8::try_from(n.r_type).ok().filter(|&t| t <= 0xf)?;
            if n.length > 3 {
                return None;
            }
            let extra = match r_type {
                macho::SIGNED_1 => 1,
                macho::SIGNED_2 => 2,
                macho::SIGNED_4 => 4,
                _ => 0,
            };
            one(r_type, n.pcrel, n.length, false, extra)
        }
        _ => return None,
    })
}

/// Whether the three bytes before a field are REX.W, `8b` (mov r64, r/m64) and a RIP-relative
/// ModRM: the `movq sym@GOTPCREL(%rip), %reg` a Mach-O linker may turn into a `leaq`.
pub(crate) fn is_movq_load(before: &[u8]) -> bool {
    matches!(before, [.., rex, 0x8b, modrm] if (0x48..=0x4f).contains(rex) && modrm & 0xc7 == 0x05)
}

/// `IMAGE_REL_AMD64_*` types (PE/COFF specification, "Type Indicators").
pub(crate) mod coff {
    pub const ADDR64: u16 = 0x1;
    pub const ADDR32: u16 = 0x2;
    pub const ADDR32NB: u16 = 0x3;
    /// `REL32_k` is `REL32 + k`: the displacement is measured from `k` bytes past the field's end.
    pub const REL32: u16 = 0x4;
    pub const REL32_5: u16 = 0x9;
    pub const SECTION: u16 = 0xa;
    pub const SECREL: u16 = 0xb;
}

/// The COFF type for `kind` with RELA addend `addend`.
///
/// A RIP-relative field is measured from the end of its instruction, so a backend's addend for
/// `sym` is -(4 + k) when k bytes of instruction (an immediate) follow the field: that k picks
/// `REL32_k`, as MSVC writes it, and the field then holds 0. Any other addend (one that also
/// points into `sym`) gets `REL32`, with the whole adjustment stored in the field.
#[inline(always)]
pub(crate) fn coff_type(kind: RelocKind, addend: i64) -> Option<u16> {
    use RelocKind::*;
    Some(match kind {
        Abs32 | Abs32S => coff::ADDR32,
        Abs64 => coff::ADDR64,
        Imagerel32 => coff::ADDR32NB,
        Secrel32 => coff::SECREL,
        Secidx16 => coff::SECTION,
        Pcrel32 | X86Branch32 => match (-4i64).saturating_sub(addend) {
            k @ 1..=5 => coff::REL32 + k as u16,
            _ => coff::REL32,
        },
        _ => return None,
    })
}

/// Call-frame facts (System V AMD64 psABI, "DWARF Register Number Mapping" and "Unwind
/// Library Interface"): DWARF numbers of the registers by assembler name.
pub(crate) mod dwarf {
    /// `%rsp`: the CFA register at a call.
    pub const RSP: u16 = 7;
    /// The return address column (`%rip`'s number).
    pub const RA: u16 = 16;
    /// The highest register number the psABI assigns (`%k7`).
    pub const LAST: u16 = 125;

    /// The DWARF number of the register GNU as calls `name` (without `%`).
    pub fn register(name: &str) -> Option<u16> {
        const GPR: [&str; 17] = [
            "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
            "r12", "r13", "r14", "r15", "rip",
        ];
        const SEGMENTS: [&str; 6] = ["es", "cs", "ss", "ds", "fs", "gs"];
        if let Some(i) = GPR.iter().position(|r| *r == name) {
            return Some(i as u16);
        }
        if let Some(i) = SEGMENTS.iter().position(|r| *r == name) {
            return Some(50 + i as u16);
        }
        let numbered = |prefix: &str, count: u16| -> Option<u16> {
            let digits = name.strip_prefix(prefix)?;
            let n: u16 = digits.parse().ok()?;
            (n < count && (digits == "0" || !digits.starts_with('0'))).then_some(n)
        };
        if let Some(n) = numbered("xmm", 32) {
            return Some(if n < 16 { 17 + n } else { 67 + n - 16 });
        }
        if let Some(n) = numbered("st", 8) {
            return Some(33 + n);
        }
        if let Some(n) = numbered("mm", 8) {
            return Some(41 + n);
        }
        if let Some(n) = numbered("k", 8) {
            return Some(118 + n);
        }
        Some(match name {
            "rflags" => 49,
            "fs.base" => 58,
            "gs.base" => 59,
            "tr" => 62,
            "ldtr" => 63,
            "mxcsr" => 64,
            "fcw" => 65,
            "fsw" => 66,
            _ => return None,
        })
    }

    /// The name [`register`] takes for DWARF register `n`, if it has one.
    pub fn name(n: u16) -> Option<String> {
        const GPR: [&str; 17] = [
            "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
            "r12", "r13", "r14", "r15", "rip",
        ];
        const SEGMENTS: [&str; 6] = ["es", "cs", "ss", "ds", "fs", "gs"];
        Some(match n {
            0..=16 => GPR[n as usize].to_string(),
            17..=32 => format!("xmm{}", n - 17),
            33..=40 => format!("st{}", n - 33),
            41..=48 => format!("mm{}", n - 41),
            49 => "rflags".into(),
            50..=55 => SEGMENTS[n as usize - 50].to_string(),
            58 => "fs.base".into(),
            59 => "gs.base".into(),
            62 => "tr".into(),
            63 => "ldtr".into(),
            64 => "mxcsr".into(),
            65 => "fcw".into(),
            66 => "fsw".into(),
            67..=82 => format!("xmm{}", n - 67 + 16),
            118..=125 => format!("k{}", n - 118),
            _ => return None,
        })
    }
}
