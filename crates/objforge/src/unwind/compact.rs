//! Mach-O compact unwind encodings (Apple's `compact_unwind_encoding.h`): the 32-bit word an
//! `__LD,__compact_unwind` entry gives a function, computed from its `cfi` rules as LLVM's
//! assembler computes it from the same `.cfi_*` directives, so that objforge and clang give
//! the same prologue the same encoding.
//!
//! The rules are read in order, without their offsets (compact unwinding describes the body of
//! a function, after its prologue). A function whose rules do not fit gets the architecture's
//! `MODE_DWARF`: the unwinder then reads its FDE in `__eh_frame`.

use super::{CfiOp, CfiRule, FunctionUnwind, Register};
use crate::target::Architecture;

/// The function has an LSDA (`UNWIND_HAS_LSDA`, both architectures).
pub(crate) const UNWIND_HAS_LSDA: u32 = 0x4000_0000;

// x86_64 (`UNWIND_X86_64_*`).
/// `rbp`-based frame: `push rbp; mov rbp, rsp`, registers saved just below.
pub(crate) const UNWIND_X86_64_MODE_RBP_FRAME: u32 = 0x0100_0000;
/// Frameless, the stack size (in 8-byte units) in the encoding.
pub(crate) const UNWIND_X86_64_MODE_STACK_IMMD: u32 = 0x0200_0000;
/// Frameless, the stack size in the immediate of the function's `sub rsp`.
pub(crate) const UNWIND_X86_64_MODE_STACK_IND: u32 = 0x0300_0000;
/// No compact description: the FDE in `__eh_frame` describes the function.
pub(crate) const UNWIND_X86_64_MODE_DWARF: u32 = 0x0400_0000;
/// The mode bits (`UNWIND_X86_64_MODE_MASK`).
pub(crate) const UNWIND_X86_64_MODE_MASK: u32 = 0x0F00_0000;
/// Where the saved registers are in an RBP frame (`UNWIND_X86_64_RBP_FRAME_REGISTERS`).
const UNWIND_X86_64_RBP_FRAME_REGISTERS: u32 = 0x0000_7FFF;
/// The permutation of the registers a frameless function pushed
/// (`UNWIND_X86_64_FRAMELESS_STACK_REG_PERMUTATION`).
const UNWIND_X86_64_FRAMELESS_STACK_REG_PERMUTATION: u32 = 0x0000_03FF;

// arm64 (`UNWIND_ARM64_*`).
/// Frameless: the return address stays in `lr`, the stack size in the encoding.
pub(crate) const UNWIND_ARM64_MODE_FRAMELESS: u32 = 0x0200_0000;
/// No compact description: the FDE in `__eh_frame` describes the function.
pub(crate) const UNWIND_ARM64_MODE_DWARF: u32 = 0x0300_0000;
/// `stp x29, x30` then `mov x29, sp`; register pairs saved just below.
pub(crate) const UNWIND_ARM64_MODE_FRAME: u32 = 0x0400_0000;
/// The mode bits (`UNWIND_ARM64_MODE_MASK`).
pub(crate) const UNWIND_ARM64_MODE_MASK: u32 = 0x0F00_0000;
const UNWIND_ARM64_FRAME_X19_X20_PAIR: u32 = 0x0000_0001;
const UNWIND_ARM64_FRAME_X21_X22_PAIR: u32 = 0x0000_0002;
const UNWIND_ARM64_FRAME_X23_X24_PAIR: u32 = 0x0000_0004;
const UNWIND_ARM64_FRAME_X25_X26_PAIR: u32 = 0x0000_0008;
const UNWIND_ARM64_FRAME_X27_X28_PAIR: u32 = 0x0000_0010;
const UNWIND_ARM64_FRAME_D8_D9_PAIR: u32 = 0x0000_0100;
const UNWIND_ARM64_FRAME_D10_D11_PAIR: u32 = 0x0000_0200;
const UNWIND_ARM64_FRAME_D12_D13_PAIR: u32 = 0x0000_0400;
const UNWIND_ARM64_FRAME_D14_D15_PAIR: u32 = 0x0000_0800;

/// The personality routines the linker's `__unwind_info` has slots for without a DWARF
/// fallback, as LLVM counts them (any other one puts the function in DWARF mode).
const CANONICAL_PERSONALITIES: [&str; 2] = ["___gxx_personality_v0", "___objc_personality_v0"];

/// The architecture's `MODE_DWARF`.
pub(crate) fn mode_dwarf(arch: Architecture) -> u32 {
    match arch {
        Architecture::Aarch64 => UNWIND_ARM64_MODE_DWARF,
        _ => UNWIND_X86_64_MODE_DWARF,
    }
}

/// Whether `encoding` sends the unwinder to the FDE.
pub(crate) fn is_dwarf(arch: Architecture, encoding: u32) -> bool {
    let mask = match arch {
        Architecture::Aarch64 => UNWIND_ARM64_MODE_MASK,
        _ => UNWIND_X86_64_MODE_MASK,
    };
    encoding & mask == mode_dwarf(arch)
}

/// The compact encoding of `f` on `arch` (x86_64 or arm64), `code` being the function's bytes
/// and `personality` its personality routine's name; `None` where LLVM writes no entry (an
/// x86_64 function without rules, which the linker then describes from its FDE).
pub(crate) fn encoding(
    arch: Architecture,
    f: &FunctionUnwind,
    code: &[u8],
    personality: Option<&str>,
) -> Option<u32> {
    let canonical = personality.is_none_or(|p| CANONICAL_PERSONALITIES.contains(&p));
    // The signal-frame flag and another return column live only in the FDE's CIE.
    let own_column = f.return_column.is_some_and(|r| {
        let usual = if arch == Architecture::Aarch64 {
            "x30"
        } else {
            "rip"
        };
        r.0 != reg(arch, usual)
    });
    let dwarf_only = !canonical || f.signal_frame || own_column;
    if arch == Architecture::Aarch64 {
        // LLVM looks at the personality routine only when there are rules.
        if f.cfi.is_empty() && !f.signal_frame && !own_column {
            return Some(UNWIND_ARM64_MODE_FRAMELESS);
        }
        if dwarf_only {
            return Some(UNWIND_ARM64_MODE_DWARF);
        }
        return Some(arm64(&f.cfi).unwrap_or(UNWIND_ARM64_MODE_DWARF));
    }
    if f.cfi.is_empty() {
        return None;
    }
    if dwarf_only {
        return Some(UNWIND_X86_64_MODE_DWARF);
    }
    Some(x86_64(&f.cfi, code).unwrap_or(UNWIND_X86_64_MODE_DWARF))
}

/// The DWARF number of a register named in this file (all exist on their architecture).
fn reg(arch: Architecture, name: &str) -> u16 {
    Register::from_name(arch, name).map_or(u16::MAX, |r| r.0)
}

/// arm64: a frame (`def_cfa x29, 16`, then `x30` and `x29` saved one word apart) with register
/// pairs saved below it in the standard order, or a frameless function (`def_cfa_offset` at
/// most 65520, read in units of 16). `None`: DWARF mode.
fn arm64(rules: &[CfiRule]) -> Option<u32> {
    let a = Architecture::Aarch64;
    let (fp, lr) = (reg(a, "x29"), reg(a, "x30"));
    let pairs: [(&str, &str, u32, u32); 9] = [
        ("x19", "x20", UNWIND_ARM64_FRAME_X19_X20_PAIR, 0xF1E),
        ("x21", "x22", UNWIND_ARM64_FRAME_X21_X22_PAIR, 0xF1C),
        ("x23", "x24", UNWIND_ARM64_FRAME_X23_X24_PAIR, 0xF18),
        ("x25", "x26", UNWIND_ARM64_FRAME_X25_X26_PAIR, 0xF10),
        ("x27", "x28", UNWIND_ARM64_FRAME_X27_X28_PAIR, 0xF00),
        ("d8", "d9", UNWIND_ARM64_FRAME_D8_D9_PAIR, 0xE00),
        ("d10", "d11", UNWIND_ARM64_FRAME_D10_D11_PAIR, 0xC00),
        ("d12", "d13", UNWIND_ARM64_FRAME_D12_D13_PAIR, 0x800),
        ("d14", "d15", UNWIND_ARM64_FRAME_D14_D15_PAIR, 0),
    ];
    let saved = |k: usize| match rules.get(k).map(|r| &r.op) {
        Some(&CfiOp::Offset { reg, offset }) => Some((reg.0, offset)),
        _ => None,
    };
    let mut encoding = 0u32;
    let mut has_frame = false;
    let mut stack_size = 0u64;
    // Where the last saved register is, from the CFA (0: none yet).
    let mut last = 0i64;
    let mut i = 0;
    while i < rules.len() {
        match rules[i].op {
            CfiOp::DefCfa { reg, .. } => {
                if reg.0 != fp {
                    return None;
                }
                let (lr_reg, lr_at) = saved(i + 1)?;
                let (fp_reg, fp_at) = saved(i + 2)?;
                if fp_at.checked_add(8)? != lr_at || lr_reg != lr || fp_reg != fp {
                    return None;
                }
                last = fp_at;
                encoding |= UNWIND_ARM64_MODE_FRAME;
                has_frame = true;
                i += 2;
            }
            CfiOp::DefCfaOffset(offset) => {
                if stack_size != 0 {
                    return None;
                }
                stack_size = offset.unsigned_abs();
            }
            CfiOp::Offset { reg: first, offset } => {
                if last != 0 && offset != last.checked_sub(8)? {
                    return None;
                }
                let (second, second_at) = saved(i + 1)?;
                if second_at != offset.checked_sub(8)? {
                    return None;
                }
                last = second_at;
                let pair = pairs
                    .iter()
                    .find(|(one, two, _, _)| first.0 == reg(a, one) && second == reg(a, two))?;
                // Pairs are saved in order, each below the ones before it.
                if encoding & pair.3 != 0 {
                    return None;
                }
                encoding |= pair.2;
                i += 1;
            }
            _ => return None,
        }
        i += 1;
    }
    if !has_frame {
        if stack_size > 65520 {
            return None;
        }
        encoding |= UNWIND_ARM64_MODE_FRAMELESS | ((stack_size / 16) as u32) << 12;
    }
    Some(encoding)
}

/// x86_64: an `rbp` frame with up to five registers pushed right below the saved `rbp`, or a
/// frameless function that pushed up to six registers: its stack size in the encoding when it
/// fits 8 bits of 8-byte units, otherwise read from the `sub rsp, imm32` that follows the
/// pushes (checked against `code`: a different instruction there gives DWARF mode, where
/// LLVM would trust the layout). `None`: DWARF mode.
fn x86_64(rules: &[CfiRule], code: &[u8]) -> Option<u32> {
    let a = Architecture::X86_64;
    // The registers compact unwinding can name, numbered from 1 (`UNWIND_X86_64_REG_*`).
    let numbered: [u16; 6] = [
        reg(a, "rbx"),
        reg(a, "r12"),
        reg(a, "r13"),
        reg(a, "r14"),
        reg(a, "r15"),
        reg(a, "rbp"),
    ];
    let number = |r: u16| numbered.iter().position(|&n| n == r).map(|k| k as u32 + 1);
    let mut saved: Vec<u16> = Vec::new();
    let mut has_frame = false;
    let mut cfa_offset = 0i64;
    let mut closest = i64::MAX;
    // Bytes of `push` (and `mov rbp, rsp`) before the `sub rsp`, as the prologue would have
    // them.
    let mut prologue = 0u64;
    for rule in rules {
        match rule.op {
            CfiOp::DefCfaRegister(r) => {
                if r.0 != reg(a, "rbp") {
                    return None;
                }
                has_frame = true;
                saved.clear();
                closest = i64::MAX;
                prologue += 3;
            }
            CfiOp::DefCfaOffset(offset) => cfa_offset = offset,
            CfiOp::Offset { reg: r, offset } => {
                if saved.len() == 6 {
                    return None;
                }
                saved.push(r.0);
                closest = closest.min(offset.checked_abs()?);
                // `push r12`..`push r15` need a REX prefix.
                prologue += if (12..=15).contains(&r.0) { 2 } else { 1 };
            }
            _ => return None,
        }
    }
    let pushed = saved.len() as u32;
    if has_frame {
        if !saved.is_empty() && closest != 24 {
            return None;
        }
        let mut registers = 0u32;
        for (k, &r) in saved.iter().enumerate() {
            registers |= number(r)? << (3 * k);
        }
        return Some(
            UNWIND_X86_64_MODE_RBP_FRAME
                | pushed << 16
                | (registers & UNWIND_X86_64_RBP_FRAME_REGISTERS),
        );
    }
    // The stack size counts the return address, in 8-byte units.
    let stack_size = (cfa_offset / 8) as u64;
    let mut encoding = if stack_size <= 0xFF {
        UNWIND_X86_64_MODE_STACK_IMMD | (stack_size as u32) << 16
    } else {
        let adjust = pushed + 1;
        if adjust > 7 {
            return None;
        }
        // The unwinder adds the `sub`'s immediate to the pushes: they must make the CFA.
        let at = usize::try_from(prologue + 3).ok()?;
        let imm = u32::from_le_bytes(code.get(at..at + 4)?.try_into().ok()?);
        if i64::from(imm) + 8 * i64::from(adjust) != cfa_offset || at > 0xFF {
            return None;
        }
        UNWIND_X86_64_MODE_STACK_IND | (at as u32) << 16 | adjust << 13
    };
    encoding |= (pushed & 7) << 10;
    // Pushed registers, in push order, renumbered among those not yet used (Lehmer code).
    let numbers: Vec<u32> = saved.iter().map(|&r| number(r)).collect::<Option<_>>()?;
    let renumbered: Vec<u32> = numbers
        .iter()
        .enumerate()
        .map(|(k, &n)| n - numbers[..k].iter().filter(|&&m| m < n).count() as u32 - 1)
        .collect();
    let weights: &[u32] = match renumbered.len() {
        6 | 5 => &[120, 24, 6, 2, 1],
        4 => &[60, 12, 3, 1],
        3 => &[20, 4, 1],
        2 => &[5, 1],
        1 => &[1],
        _ => &[],
    };
    // With six registers the last one is implied.
    let permutation: u32 = renumbered.iter().zip(weights).map(|(r, w)| r * w).sum();
    Some(encoding | (permutation & UNWIND_X86_64_FRAMELESS_STACK_REG_PERMUTATION))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SectionId;

    fn rule(at: u64, op: CfiOp) -> CfiRule {
        CfiRule { at, op }
    }

    fn x(name: &str) -> Register {
        Register::from_name(Architecture::X86_64, name).unwrap()
    }

    /// What llvm-mc-19 gives arm64 prologues: pairs in order, pairs out of order, a lone
    /// register, a frameless stack too large.
    #[test]
    fn arm64_as_llvm() {
        let a = |name| Register::from_name(Architecture::Aarch64, name).unwrap();
        let saved = |name, offset| {
            rule(
                8,
                CfiOp::Offset {
                    reg: a(name),
                    offset,
                },
            )
        };
        let frame = |more: &[CfiRule]| {
            let mut f = FunctionUnwind::new(SectionId(0), 0, 16);
            f.cfi = vec![
                rule(
                    8,
                    CfiOp::DefCfa {
                        reg: a("x29"),
                        offset: 16,
                    },
                ),
                saved("x30", -8),
                saved("x29", -16),
            ];
            f.cfi.extend_from_slice(more);
            encoding(Architecture::Aarch64, &f, &[], None)
        };
        assert_eq!(frame(&[]), Some(UNWIND_ARM64_MODE_FRAME));
        assert_eq!(
            frame(&[
                saved("x19", -24),
                saved("x20", -32),
                saved("d8", -40),
                saved("d9", -48)
            ]),
            Some(0x0400_0101)
        );
        // x21/x22 after d8/d9: not the standard order.
        assert_eq!(
            frame(&[
                saved("d8", -24),
                saved("d9", -32),
                saved("x21", -40),
                saved("x22", -48)
            ]),
            Some(UNWIND_ARM64_MODE_DWARF)
        );
        assert_eq!(frame(&[saved("x19", -24)]), Some(UNWIND_ARM64_MODE_DWARF));
        let mut f = FunctionUnwind::new(SectionId(0), 0, 16);
        f.cfi = vec![rule(4, CfiOp::DefCfaOffset(65536))];
        assert_eq!(
            encoding(Architecture::Aarch64, &f, &[], None),
            Some(UNWIND_ARM64_MODE_DWARF)
        );
        f.cfi = vec![rule(4, CfiOp::DefCfaOffset(64))];
        assert_eq!(
            encoding(Architecture::Aarch64, &f, &[], None),
            Some(0x0200_4000)
        );
        // A signal frame or another return column only the FDE can say; the usual column
        // given explicitly changes nothing.
        let mut signal = f.clone().with_signal_frame();
        assert_eq!(
            encoding(Architecture::Aarch64, &signal, &[], None),
            Some(UNWIND_ARM64_MODE_DWARF)
        );
        signal.cfi.clear();
        assert_eq!(
            encoding(Architecture::Aarch64, &signal, &[], None),
            Some(UNWIND_ARM64_MODE_DWARF)
        );
        let column = f.clone().with_return_column(a("x30"));
        assert_eq!(
            encoding(Architecture::Aarch64, &column, &[], None),
            Some(0x0200_4000)
        );
        let column = f.clone().with_return_column(a("x29"));
        assert_eq!(
            encoding(Architecture::Aarch64, &column, &[], None),
            Some(UNWIND_ARM64_MODE_DWARF)
        );
        // Another personality routine than C++'s or Objective-C's: DWARF, as LLVM does.
        assert_eq!(
            encoding(
                Architecture::Aarch64,
                &f,
                &[],
                Some("___gcc_personality_v0")
            ),
            Some(UNWIND_ARM64_MODE_DWARF)
        );
    }

    /// The encodings llvm-mc-19 gives tests/fixtures/unwind/macho_x86_64.s.
    #[test]
    fn x86_64_as_llvm() {
        // push r14; push rbx; sub rsp, 4104
        let big = [0x41, 0x56, 0x53, 0x48, 0x81, 0xec, 0x08, 0x10, 0x00, 0x00];
        let mut f = FunctionUnwind::new(SectionId(0), 0, big.len() as u64);
        f.cfi = vec![
            rule(2, CfiOp::DefCfaOffset(16)),
            rule(3, CfiOp::DefCfaOffset(24)),
            rule(10, CfiOp::DefCfaOffset(4128)),
            rule(
                10,
                CfiOp::Offset {
                    reg: x("rbx"),
                    offset: -24,
                },
            ),
            rule(
                10,
                CfiOp::Offset {
                    reg: x("r14"),
                    offset: -16,
                },
            ),
        ];
        assert_eq!(
            encoding(Architecture::X86_64, &f, &big, None),
            Some(0x0306_6802)
        );
        // Another immediate: the unwinder would compute a wrong CFA, so DWARF mode.
        let mut other = big;
        other[6] = 0;
        assert_eq!(
            encoding(Architecture::X86_64, &f, &other, None),
            Some(UNWIND_X86_64_MODE_DWARF)
        );
        f.cfi = vec![
            rule(1, CfiOp::DefCfaOffset(16)),
            rule(3, CfiOp::DefCfaOffset(24)),
            rule(7, CfiOp::DefCfaOffset(48)),
            rule(
                7,
                CfiOp::Offset {
                    reg: x("r12"),
                    offset: -24,
                },
            ),
            rule(
                7,
                CfiOp::Offset {
                    reg: x("rbx"),
                    offset: -16,
                },
            ),
        ];
        assert_eq!(
            encoding(Architecture::X86_64, &f, &[], None),
            Some(0x0206_0805)
        );
    }
}
