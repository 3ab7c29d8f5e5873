//! Windows x64 unwind data (Microsoft's "x64 exception handling"): one `UNWIND_INFO` in
//! `.xdata` per function, from its `seh` codes, and one `RUNTIME_FUNCTION` in `.pdata`.
//!
//! `UNWIND_INFO`: version 1 and the flags in one byte, the prologue's size (the last code's `at`), the number of
//! 16-bit code slots, the frame register and its scaled offset; the codes, last first, padded
//! to an even number of slots; with a handler, its RVA and its data follow. `RUNTIME_FUNCTION`:
//! the RVAs of the function's start, its end and its `UNWIND_INFO` (`imagerel32` relocations).

use super::{Register, SehOp, SehRule};
use crate::error::{Error, Place};

const UWOP_PUSH_NONVOL: u8 = 0;
const UWOP_ALLOC_LARGE: u8 = 1;
const UWOP_ALLOC_SMALL: u8 = 2;
const UWOP_SET_FPREG: u8 = 3;
const UWOP_SAVE_NONVOL: u8 = 4;
const UWOP_SAVE_NONVOL_FAR: u8 = 5;
const UWOP_SAVE_XMM128: u8 = 8;
const UWOP_SAVE_XMM128_FAR: u8 = 9;
const UWOP_PUSH_MACHFRAME: u8 = 10;

/// The Windows number of a general-purpose register given by its DWARF number (the two
/// orders differ: DWARF has rdx before rcx and rsi, rdi before rbp... ).
fn gpr(reg: Register) -> Option<u8> {
    // DWARF 0..=15: rax rdx rcx rbx rsi rdi rbp rsp r8..r15.
    // Windows:      rax rcx rdx rbx rsp rbp rsi rdi r8..r15.
    const WINDOWS: [u8; 16] = [0, 2, 1, 3, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];
    WINDOWS.get(usize::from(reg.0)).copied()
}

/// The number of an `xmm` register given by its DWARF number (17..=32 are xmm0..xmm15).
fn xmm(reg: Register) -> Option<u8> {
    (17..=32).contains(&reg.0).then(|| (reg.0 - 17) as u8)
}

/// `UNW_FLAG_EHANDLER`: the handler is called to find an exception's handler.
const UNW_FLAG_EHANDLER: u8 = 1;
/// `UNW_FLAG_UHANDLER`: the handler is called while unwinding (cleanups).
const UNW_FLAG_UHANDLER: u8 = 2;

/// Encodes function `i`'s `seh` codes (`size` bytes of code) as an `UNWIND_INFO`; with
/// `handler`, flagged `UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER` (as `.seh_handler P, @unwind,
/// @except` makes it), the handler's RVA to follow it.
pub(crate) fn unwind_info(
    i: usize,
    size: u64,
    rules: &[SehRule],
    handler: bool,
) -> Result<Vec<u8>, Error> {
    let place = |j: usize, field: &str| Place::Unwind(i, format!("seh[{j}].{field}"));
    let mut codes: Vec<[u8; 2]> = Vec::new();
    let mut frame = 0u8;
    let mut previous = 0u64;
    for (j, rule) in rules.iter().enumerate() {
        if rule.at > size.min(255) {
            return Err(Error::invalid(
                place(j, "at"),
                format!(
                    "{} is past the {}: a Windows prologue is at most 255 bytes and within its function ({size} bytes)",
                    rule.at,
                    if rule.at > size { "end of the function" } else { "255-byte limit" }
                ),
            ));
        }
        if rule.at < previous {
            return Err(Error::invalid(
                place(j, "at"),
                format!(
                    "{} comes before the previous code's {previous}: codes are given in order",
                    rule.at
                ),
            ));
        }
        previous = rule.at;
        let at = rule.at as u8;
        let register = |reg: Register| {
            gpr(reg).ok_or_else(|| {
                Error::invalid(
                    place(j, "reg"),
                    format!("register {} is not a general-purpose register", reg.0),
                )
            })
        };
        // Codes are written last first; each code's slots in the order the unwinder reads.
        let mut slots: Vec<[u8; 2]> = Vec::new();
        match rule.op {
            SehOp::PushReg(reg) => slots.push([at, UWOP_PUSH_NONVOL | register(reg)? << 4]),
            SehOp::SetFrame { reg, offset } => {
                if frame != 0 {
                    return Err(Error::invalid(
                        place(j, "op"),
                        "a second setframe: a function has one frame register",
                    ));
                }
                if offset % 16 != 0 || offset > 240 {
                    return Err(Error::invalid(
                        place(j, "offset"),
                        format!("{offset} is not a multiple of 16 from 0 to 240, which UNWIND_INFO's frame offset holds"),
                    ));
                }
                let r = register(reg)?;
                if r == 4 {
                    return Err(Error::invalid(
                        place(j, "reg"),
                        "rsp cannot be the frame register",
                    ));
                }
                frame = r | ((offset / 16) as u8) << 4;
                slots.push([at, UWOP_SET_FPREG]);
            }
            SehOp::StackAlloc(n) => {
                if n == 0 || n % 8 != 0 {
                    return Err(Error::invalid(
                        place(j, "size"),
                        format!("{n} is not a positive multiple of 8"),
                    ));
                }
                if n <= 128 {
                    slots.push([at, UWOP_ALLOC_SMALL | (((n - 8) / 8) as u8) << 4]);
                } else if n / 8 <= 0xffff {
                    slots.push([at, UWOP_ALLOC_LARGE]);
                    slots.push(((n / 8) as u16).to_le_bytes());
                } else if n <= u64::from(u32::MAX) {
                    slots.push([at, UWOP_ALLOC_LARGE | 1 << 4]);
                    let v = (n as u32).to_le_bytes();
                    slots.push([v[0], v[1]]);
                    slots.push([v[2], v[3]]);
                } else {
                    return Err(Error::invalid(
                        place(j, "size"),
                        format!("{n} bytes do not fit 32 bits"),
                    ));
                }
            }
            SehOp::SaveReg { reg, offset } | SehOp::SaveXmm { reg, offset } => {
                let is_xmm = matches!(rule.op, SehOp::SaveXmm { .. });
                let r = if is_xmm {
                    xmm(reg).ok_or_else(|| {
                        Error::invalid(
                            place(j, "reg"),
                            format!("register {} is not xmm0..xmm15", reg.0),
                        )
                    })?
                } else {
                    register(reg)?
                };
                let (near, far, scale) = if is_xmm {
                    (UWOP_SAVE_XMM128, UWOP_SAVE_XMM128_FAR, 16)
                } else {
                    (UWOP_SAVE_NONVOL, UWOP_SAVE_NONVOL_FAR, 8)
                };
                if offset % scale != 0 {
                    return Err(Error::invalid(
                        place(j, "offset"),
                        format!("{offset} is not a multiple of {scale}"),
                    ));
                }
                if offset / scale <= 0xffff {
                    slots.push([at, near | r << 4]);
                    slots.push(((offset / scale) as u16).to_le_bytes());
                } else if offset <= u64::from(u32::MAX) {
                    slots.push([at, far | r << 4]);
                    let v = (offset as u32).to_le_bytes();
                    slots.push([v[0], v[1]]);
                    slots.push([v[2], v[3]]);
                } else {
                    return Err(Error::invalid(
                        place(j, "offset"),
                        format!("{offset} does not fit 32 bits"),
                    ));
                }
            }
            SehOp::PushFrame { code } => {
                slots.push([at, UWOP_PUSH_MACHFRAME | u8::from(code) << 4])
            }
            SehOp::EndPrologue => {
                if j + 1 != rules.len() {
                    return Err(Error::invalid(
                        place(j, "op"),
                        "endprologue comes after every other code",
                    ));
                }
            }
            ref op => {
                return Err(Error::invalid(
                    place(j, "op"),
                    format!(
                        "`{}` is an arm64 unwind code, not x86_64's",
                        op.name(crate::target::Architecture::Aarch64)
                    ),
                ))
            }
        }
        // Last first: this code's slots go before those of the codes before it.
        slots.extend(codes);
        codes = slots;
    }
    if codes.len() > 255 {
        return Err(Error::unsupported(
            Place::Unwind(i, "seh".into()),
            format!("{} code slots; UNWIND_INFO counts at most 255", codes.len()),
        ));
    }
    let flags = if handler {
        UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER
    } else {
        0
    };
    // Version 1 in the low 3 bits, the flags above them.
    let mut bytes = vec![1 | flags << 3, previous as u8, codes.len() as u8, frame];
    for c in &codes {
        bytes.extend_from_slice(c);
    }
    if codes.len() % 2 == 1 {
        bytes.extend_from_slice(&[0, 0]);
    }
    Ok(bytes)
}

/// Windows codes for function `i` of `size` bytes from its DWARF call-frame rules, when its
/// prologue is one Windows can describe (x86_64 DWARF numbers: 7 is rsp). The prologue is the
/// rules up to the first that shrinks the stack frame, moves the CFA back to rsp, restores a
/// register or remembers state (the epilogue, which Windows reads from the instructions);
/// in it, CFA growth with the pushed register saved at the new top is `pushreg`, other growth
/// `stackalloc`, a CFA moved to another register `setframe`, and a register saved by a move
/// (without a frame register) `savereg`/`savexmm`. Any other rule in the prologue is an error
/// naming it.
pub(crate) fn from_cfi(i: usize, cfi: &[super::CfiRule]) -> Result<Vec<SehRule>, Error> {
    use super::CfiOp;
    const RSP: u16 = 7;
    let mut codes: Vec<SehRule> = Vec::new();
    let mut cfa_reg = RSP;
    let mut cfa = 8i64;
    // CFA growth at the current `at` not yet known to be a push: (at, bytes).
    let mut pending: Option<(u64, i64)> = None;
    // Registers saved by a move: (at, register, offset from the CFA), resolved at the end.
    let mut moves: Vec<(usize, u64, Register, i64)> = Vec::new();
    let flush = |pending: &mut Option<(u64, i64)>, codes: &mut Vec<SehRule>| {
        if let Some((at, n)) = pending.take() {
            codes.push(SehRule {
                at,
                op: SehOp::StackAlloc(n as u64),
            });
        }
    };
    let place = |j: usize, field: &str| Place::Unwind(i, format!("cfi[{j}].{field}"));
    for (j, rule) in cfi.iter().enumerate() {
        if pending.is_some_and(|(at, _)| at != rule.at) {
            flush(&mut pending, &mut codes);
        }
        let grow_to = match rule.op {
            CfiOp::DefCfaOffset(n) if cfa_reg == RSP => Some(n),
            CfiOp::AdjustCfaOffset(d) if cfa_reg == RSP => Some(cfa.saturating_add(d)),
            CfiOp::DefCfa { reg, offset } if reg.0 == RSP && cfa_reg == RSP => Some(offset),
            _ => None,
        };
        match (&rule.op, grow_to) {
            (_, Some(n)) if n < cfa => break,
            (_, Some(n)) => {
                let (at, before) = pending.unwrap_or((rule.at, 0));
                pending = Some((at, before.saturating_add(n - cfa)));
                cfa = n;
            }
            (CfiOp::Offset { reg, offset }, None) if reg.0 < 16 || (17..=32).contains(&reg.0) => {
                let pushed = matches!(pending, Some((at, 8)) if at == rule.at)
                    && *offset == -cfa
                    && reg.0 < 16;
                if pushed {
                    pending = None;
                    codes.push(SehRule {
                        at: rule.at,
                        op: SehOp::PushReg(*reg),
                    });
                } else {
                    flush(&mut pending, &mut codes);
                    moves.push((j, rule.at, *reg, *offset));
                }
            }
            (CfiOp::DefCfaRegister(reg), None) | (CfiOp::DefCfa { reg, .. }, None)
                if reg.0 != RSP && cfa_reg == RSP =>
            {
                flush(&mut pending, &mut codes);
                let new = match rule.op {
                    CfiOp::DefCfa { offset, .. } => offset,
                    _ => cfa,
                };
                let offset = cfa.saturating_sub(new);
                if offset < 0 || offset % 16 != 0 || offset > 240 {
                    return Err(Error::unsupported(
                        place(j, "reg"),
                        format!(
                            "the frame register is set {offset} bytes above the stack pointer; Windows takes a multiple of 16 from 0 to 240"
                        ),
                    ));
                }
                codes.push(SehRule {
                    at: rule.at,
                    op: SehOp::SetFrame {
                        reg: *reg,
                        offset: offset as u64,
                    },
                });
                cfa_reg = reg.0;
            }
            // The epilogue begins.
            (
                CfiOp::DefCfa { .. }
                | CfiOp::DefCfaRegister(_)
                | CfiOp::DefCfaOffset(_)
                | CfiOp::AdjustCfaOffset(_)
                | CfiOp::Restore(_)
                | CfiOp::RememberState
                | CfiOp::RestoreState,
                None,
            ) => break,
            (op, None) => {
                return Err(Error::unsupported(
                    place(j, "op"),
                    format!(
                        "`{}` in the prologue has no Windows unwind code: give the prologue as `seh` codes",
                        op.name()
                    ),
                ))
            }
        }
    }
    flush(&mut pending, &mut codes);
    // Saves by a move are at offsets from the stack pointer once the prologue is done.
    for (j, at, reg, offset) in moves {
        if cfa_reg != RSP {
            return Err(Error::unsupported(
                place(j, "reg"),
                "a register saved by a move in a prologue that sets a frame register: give the prologue as `seh` codes",
            ));
        }
        let from_sp = cfa.saturating_add(offset);
        if from_sp < 0 {
            return Err(Error::unsupported(
                place(j, "offset"),
                "the register is saved below the stack pointer",
            ));
        }
        let op = if reg.0 < 16 {
            SehOp::SaveReg {
                reg,
                offset: from_sp as u64,
            }
        } else {
            SehOp::SaveXmm {
                reg,
                offset: from_sp as u64,
            }
        };
        codes.push(SehRule { at, op });
    }
    codes.sort_by_key(|c| c.at);
    Ok(codes)
}
