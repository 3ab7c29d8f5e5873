//! Windows x64 unwind data (Microsoft's "x64 exception handling"): one `UNWIND_INFO` in
//! `.xdata` per function, from its `seh` codes, and one `RUNTIME_FUNCTION` in `.pdata`.
//!
//! `UNWIND_INFO`: version 1 and the flags in one byte, the prologue's size (the last code's `at`), the number of
//! 16-bit code slots, the frame register and its scaled offset; the codes, last first, padded
//! to an even number of slots. (A handler's RVA and data would follow; not written yet.) `RUNTIME_FUNCTION`:
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

/// Encodes function `i`'s `seh` codes (`size` bytes of code) as an `UNWIND_INFO` without a
/// handler (flags 0: handlers are not written yet).
pub(crate) fn unwind_info(i: usize, size: u64, rules: &[SehRule]) -> Result<Vec<u8>, Error> {
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
    // Version 1, no flags.
    let mut bytes = vec![1, previous as u8, codes.len() as u8, frame];
    for c in &codes {
        bytes.extend_from_slice(c);
    }
    if codes.len() % 2 == 1 {
        bytes.extend_from_slice(&[0, 0]);
    }
    Ok(bytes)
}
