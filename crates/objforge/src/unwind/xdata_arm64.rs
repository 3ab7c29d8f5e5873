//! Windows arm64 unwind data (Microsoft's "ARM64 exception handling"), from a function's
//! `seh` codes, written as LLVM writes it for the same `.seh_*` directives, so that
//! `llvm-readobj --unwind` shows the same records.
//!
//! Each unwind code describes one 4-byte instruction of the prologue or of an epilogue. The
//! prologue's codes are stored last first and end with `end`; each epilogue's codes are
//! stored in the order its instructions run, also ending with `end` (which stands for the
//! `ret`). Before storing, codes are shortened where a one-byte form says the same
//! (`save_regp x29` is `save_fplr`, `save_regp_x x19` `save_r19r20_x`, a `save_regp` of the
//! next pair at the next slot `save_next`, `add_fp 0` `set_fp`).
//!
//! A function gets one of two forms:
//!
//! - **Packed**: when its prologue is the canonical one (registers saved from x19 up, then
//!   d8 up, the stack allocated, the frame record saved and x29 set, in that order), it has
//!   one epilogue, at its end, that undoes the prologue, and no handler, the whole
//!   description fits the `.pdata` entry's second word (flag 1, function length, RegF, RegI,
//!   H, CR, frame size); `.xdata` gets nothing.
//! - **Full `.xdata` record**: a header word (function length in words, version 0, X: an
//!   exception handler follows, E: one epilogue, given by its first code's index instead of
//!   a scope, epilogue count, code words), an extension word when the counts outgrow the
//!   header, one scope per epilogue (its start in words, the index of its first code), the
//!   codes padded with `nop` to whole words, then the handler's RVA when X is set. An
//!   epilogue whose codes are the prologue's in reverse (or its tail) points into the
//!   prologue's codes, and one equal to an earlier epilogue shares that one's codes.

use super::{Register, SehOp, SehRule, WindowsUnwind};
use crate::error::{Error, Place};

/// `alloc_s`: `sub sp, sp, #16*X` (X < 32).
const ALLOC_S: u8 = 0x00;
/// `save_r19r20_x`: `stp x19, x20, [sp, #-8*Z]!`.
const SAVE_R19R20_X: u8 = 0x20;
/// `save_fplr`: `stp x29, lr, [sp, #8*Z]`.
const SAVE_FPLR: u8 = 0x40;
/// `save_fplr_x`: `stp x29, lr, [sp, #-8*(Z+1)]!`.
const SAVE_FPLR_X: u8 = 0x80;
/// `alloc_m`: `sub sp, sp, #16*X` (X < 2048).
const ALLOC_M: u8 = 0xc0;
/// `save_regp`: `stp x(19+X), x(20+X), [sp, #8*Z]`.
const SAVE_REGP: u8 = 0xc8;
/// `save_regp_x`: `stp x(19+X), x(20+X), [sp, #-8*(Z+1)]!`.
const SAVE_REGP_X: u8 = 0xcc;
/// `save_reg`: `str x(19+X), [sp, #8*Z]`.
const SAVE_REG: u8 = 0xd0;
/// `save_reg_x`: `str x(19+X), [sp, #-8*(Z+1)]!`.
const SAVE_REG_X: u8 = 0xd4;
/// `save_lrpair`: `stp x(19+2X), lr, [sp, #8*Z]`.
const SAVE_LRPAIR: u8 = 0xd6;
/// `save_fregp`: `stp d(8+X), d(9+X), [sp, #8*Z]`.
const SAVE_FREGP: u8 = 0xd8;
/// `save_fregp_x`: `stp d(8+X), d(9+X), [sp, #-8*(Z+1)]!`.
const SAVE_FREGP_X: u8 = 0xda;
/// `save_freg`: `str d(8+X), [sp, #8*Z]`.
const SAVE_FREG: u8 = 0xdc;
/// `save_freg_x`: `str d(8+X), [sp, #-8*(Z+1)]!`.
const SAVE_FREG_X: u8 = 0xde;
/// `alloc_l`: `sub sp, sp, #16*X` (X < 2^24).
const ALLOC_L: u8 = 0xe0;
/// `set_fp`: `mov x29, sp`.
const SET_FP: u8 = 0xe1;
/// `add_fp`: `add x29, sp, #8*X`.
const ADD_FP: u8 = 0xe2;
/// `nop`: an instruction the unwinder need not undo; also pads the codes to whole words.
const NOP: u8 = 0xe3;
/// `end`: the end of a prologue's or epilogue's codes (an epilogue's stands for its `ret`).
const END: u8 = 0xe4;
/// `save_next`: the next register pair, 16 bytes further.
const SAVE_NEXT: u8 = 0xe6;
/// `pac_sign_lr`: `pacibsp`.
const PAC_SIGN_LR: u8 = 0xfc;

/// The `.pdata` flag of a packed entry (1: packed, one fragment).
const PACKED_FLAG: u32 = 1;
/// A function longer than this many bytes needs fragments (more than one `.pdata` entry),
/// which objforge does not write.
const MAX_FUNCTION: u64 = 0xf_fffc;

/// One unwind code as stored (Microsoft's names); registers are x or d numbers, offsets in
/// bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Code {
    AllocS(u32),
    AllocM(u32),
    AllocL(u32),
    SaveR19R20X(u32),
    SaveFpLr(u32),
    SaveFpLrX(u32),
    SaveReg(u8, u32),
    SaveRegX(u8, u32),
    SaveRegP(u8, u32),
    SaveRegPX(u8, u32),
    SaveLrPair(u8, u32),
    SaveFReg(u8, u32),
    SaveFRegX(u8, u32),
    SaveFRegP(u8, u32),
    SaveFRegPX(u8, u32),
    SetFp,
    AddFp(u32),
    Nop,
    End,
    SaveNext,
    PacSignLr,
}

impl Code {
    /// Bytes the code takes.
    fn len(self) -> u32 {
        match self {
            Code::AllocS(_)
            | Code::SaveR19R20X(_)
            | Code::SaveFpLr(_)
            | Code::SaveFpLrX(_)
            | Code::SetFp
            | Code::Nop
            | Code::End
            | Code::SaveNext
            | Code::PacSignLr => 1,
            Code::AllocL(_) => 4,
            _ => 2,
        }
    }

    /// Appends the code's bytes.
    fn encode(self, out: &mut Vec<u8>) {
        // A register field and a scaled offset in the low bits of a two-byte code.
        let pair = |out: &mut Vec<u8>, op: u8, reg: u8, z: u32| {
            out.push(op | (reg >> 2));
            out.push((reg & 3) << 6 | z as u8);
        };
        match self {
            Code::AllocS(n) => out.push(ALLOC_S | (n >> 4) as u8),
            Code::AllocM(n) => {
                let x = n >> 4;
                out.push(ALLOC_M | (x >> 8) as u8);
                out.push(x as u8);
            }
            Code::AllocL(n) => {
                let x = n >> 4;
                out.extend_from_slice(&[ALLOC_L, (x >> 16) as u8, (x >> 8) as u8, x as u8]);
            }
            Code::SaveR19R20X(n) => out.push(SAVE_R19R20_X | (n >> 3) as u8),
            Code::SaveFpLr(n) => out.push(SAVE_FPLR | (n >> 3) as u8),
            Code::SaveFpLrX(n) => out.push(SAVE_FPLR_X | ((n >> 3) - 1) as u8),
            Code::SaveReg(r, n) => pair(out, SAVE_REG, r - 19, n >> 3),
            Code::SaveRegP(r, n) => pair(out, SAVE_REGP, r - 19, n >> 3),
            Code::SaveRegPX(r, n) => pair(out, SAVE_REGP_X, r - 19, (n >> 3) - 1),
            Code::SaveLrPair(r, n) => pair(out, SAVE_LRPAIR, (r - 19) / 2, n >> 3),
            Code::SaveFReg(r, n) => pair(out, SAVE_FREG, r - 8, n >> 3),
            Code::SaveFRegP(r, n) => pair(out, SAVE_FREGP, r - 8, n >> 3),
            Code::SaveFRegPX(r, n) => pair(out, SAVE_FREGP_X, r - 8, (n >> 3) - 1),
            // The `_x` forms of single registers have a 3-bit register field and a 5-bit
            // offset.
            Code::SaveRegX(r, n) => {
                out.push(SAVE_REG_X | ((r - 19) >> 3));
                out.push(((r - 19) & 7) << 5 | ((n >> 3) - 1) as u8);
            }
            Code::SaveFRegX(r, n) => {
                out.push(SAVE_FREG_X);
                out.push((r - 8) << 5 | ((n >> 3) - 1) as u8);
            }
            Code::SetFp => out.push(SET_FP),
            Code::AddFp(n) => {
                out.push(ADD_FP);
                out.push((n >> 3) as u8);
            }
            Code::Nop => out.push(NOP),
            Code::End => out.push(END),
            Code::SaveNext => out.push(SAVE_NEXT),
            Code::PacSignLr => out.push(PAC_SIGN_LR),
        }
    }
}

/// Bytes the codes take.
fn len(codes: &[Code]) -> u32 {
    codes.iter().map(|c| c.len()).sum()
}

/// A prologue and its epilogues, read from the `seh` codes.
struct Function {
    /// `end` first, then the prologue's codes in the order of their instructions.
    prologue: Vec<Code>,
    /// Each epilogue's start (bytes into the function) and codes, `end` last.
    epilogues: Vec<(u64, Vec<Code>)>,
}

/// Encodes function `i` (`size` bytes) from its `seh` codes; `handler`: it has an exception
/// handler (the X bit; never packed).
pub(crate) fn unwind_info(
    i: usize,
    size: u64,
    rules: &[SehRule],
    handler: bool,
) -> Result<WindowsUnwind, Error> {
    let at_entry = |field: &str| Place::Unwind(i, field.to_string());
    if !size.is_multiple_of(4) {
        return Err(Error::invalid(
            at_entry("size"),
            format!("{size} is not a multiple of 4: arm64 code is whole 4-byte instructions"),
        ));
    }
    if size > MAX_FUNCTION {
        return Err(Error::unsupported(
            at_entry("size"),
            format!("{size} bytes: an arm64 function over {MAX_FUNCTION} bytes needs unwind fragments, which objforge does not write"),
        ));
    }
    let mut f = read(i, size, rules)?;
    simplify(f.prologue.iter_mut());
    for (_, codes) in &mut f.epilogues {
        simplify(codes.iter_mut().rev());
    }
    let words = (size / 4) as u32;
    let prologue_bytes = len(&f.prologue);

    // One epilogue at the very end may go without a scope (the E bit), its first code's
    // index in the epilogue count field; and when its codes are the prologue's, reversed,
    // they are not stored twice.
    let mut packed_epilogue: Option<u32> = None;
    if let [(start, codes)] = f.epilogues.as_slice() {
        if (size - start) / 4 == codes.len() as u64 {
            if prologue_bytes <= 31 && prologue_bytes + len(codes) <= 124 {
                packed_epilogue = Some(prologue_bytes);
            }
            if let Some(offset) = offset_in_prologue(&f.prologue, codes) {
                if offset <= 31 && prologue_bytes <= 124 {
                    packed_epilogue = Some(offset);
                    f.epilogues[0].1.clear();
                }
            }
        }
    }
    if let Some(offset) = packed_epilogue {
        if offset < prologue_bytes && !handler && words <= 0x7ff {
            if let Some(word) = packed(&f.prologue, words, offset) {
                return Ok(WindowsUnwind::Packed(word));
            }
        }
    }

    // Where each epilogue's codes start: shared with an earlier epilogue, inside the
    // prologue's, or stored after everything so far.
    let mut total = prologue_bytes;
    let mut index: Vec<u32> = Vec::new();
    let mut stored: Vec<usize> = Vec::new();
    for e in 0..f.epilogues.len() {
        let codes = &f.epilogues[e].1;
        if let Some(&same) = stored.iter().find(|&&k| f.epilogues[k].1 == *codes) {
            index.push(index[same]);
            f.epilogues[e].1.clear();
        } else if let Some(offset) = offset_in_prologue(&f.prologue, codes) {
            index.push(offset);
            f.epilogues[e].1.clear();
        } else {
            index.push(total);
            total += len(codes);
            stored.push(e);
        }
    }

    let code_words = total.div_ceil(4);
    let epilogue_count = packed_epilogue.unwrap_or(f.epilogues.len() as u32);
    if code_words > 0xff || epilogue_count > 0xffff {
        return Err(Error::unsupported(
            Place::Unwind(i, "seh".into()),
            format!("{code_words} words of codes and {epilogue_count} epilogues: an arm64 .xdata record holds at most 255 and 65535"),
        ));
    }
    let extended = epilogue_count > 31 || total > 124;
    let mut header = words & 0x3_ffff;
    if handler {
        header |= 1 << 20;
    }
    if packed_epilogue.is_some() {
        header |= 1 << 21;
    }
    if !extended {
        header |= epilogue_count << 22 | code_words << 27;
    }
    let mut out = header.to_le_bytes().to_vec();
    if extended {
        out.extend_from_slice(&(code_words << 16 | epilogue_count).to_le_bytes());
    }
    if packed_epilogue.is_none() {
        for ((start, _), index) in f.epilogues.iter().zip(&index) {
            let scope = (*start / 4) as u32 | index << 22;
            out.extend_from_slice(&scope.to_le_bytes());
        }
    }
    let codes_at = out.len();
    for code in f.prologue.iter().rev() {
        code.encode(&mut out);
    }
    for (_, codes) in &f.epilogues {
        for code in codes {
            code.encode(&mut out);
        }
    }
    out.resize(codes_at + code_words as usize * 4, NOP);
    Ok(WindowsUnwind::Record(out))
}

/// Where an epilogue's codes are found in the prologue's (stored last first): the epilogue
/// undoes the prologue's first instructions in reverse, so its codes are the tail of the
/// stored prologue codes.
fn offset_in_prologue(prologue: &[Code], epilogue: &[Code]) -> Option<u32> {
    if epilogue.len() > prologue.len() {
        return None;
    }
    if !epilogue.iter().rev().eq(prologue[..epilogue.len()].iter()) {
        return None;
    }
    Some(len(&prologue[epilogue.len()..]))
}

/// Replaces codes by their one-byte equivalents, visiting them in instruction order.
fn simplify<'a>(codes: impl Iterator<Item = &'a mut Code>) {
    // The last register pair saved and where, for `save_next`.
    let mut previous: Option<(u8, u32)> = None;
    for code in codes {
        *code = match *code {
            Code::SaveRegP(29, n) => Code::SaveFpLr(n),
            Code::SaveRegPX(29, n) => Code::SaveFpLrX(n),
            Code::SaveRegPX(19, n) if n <= 248 => Code::SaveR19R20X(n),
            Code::AddFp(0) => Code::SetFp,
            Code::SaveRegP(r, n) if previous == Some((r.wrapping_sub(2), n.wrapping_sub(16))) => {
                Code::SaveNext
            }
            other => other,
        };
        previous = match *code {
            Code::SaveR19R20X(_) => Some((19, 0)),
            Code::SaveRegPX(r, _) => Some((r, 0)),
            Code::SaveRegP(r, n) => Some((r, n)),
            Code::SaveNext => previous.map(|(r, n)| (r + 2, n + 16)),
            _ => None,
        };
    }
}

/// The packed `.pdata` word of a canonical prologue (`prologue`: `end` first), for a function
/// of `words` instructions whose one epilogue starts at code `epilogue` of the prologue's.
fn packed(prologue: &[Code], words: u32, epilogue: u32) -> Option<u32> {
    // The only difference allowed: the epilogue leaves out the prologue's final `set_fp`.
    if epilogue == 1 && prologue.last() != Some(&Code::SetFp) || epilogue > 1 {
        return None;
    }
    #[derive(PartialEq, PartialOrd, Clone, Copy)]
    enum Stage {
        Start,
        AfterEnd,
        Signed,
        IntRegs,
        FloatRegs,
        InputArgs,
        StackAdjust,
        FrameRecord,
        Done,
    }
    use Stage::*;
    let (mut reg_i, mut reg_f) = (0u32, 0u32);
    let mut predecrement = 0u32;
    let mut stage = Start;
    let (mut lr_alone, mut fplr, mut pac) = (false, false, false);
    let mut stack = 0u32;
    let mut nops = 0;
    let saved_before =
        |reg_i: u32, lr_alone: bool, reg_f: u32| 8 * (reg_i + u32::from(lr_alone) + reg_f);
    for &code in prologue {
        match code {
            Code::End if stage == Start => stage = AfterEnd,
            Code::PacSignLr if stage == AfterEnd => {
                pac = true;
                stage = Signed;
            }
            Code::SaveR19R20X(n) if matches!(stage, AfterEnd | Signed) => {
                predecrement = n;
                reg_i = 2;
                stage = IntRegs;
            }
            Code::SaveRegX(r, n) if matches!(stage, AfterEnd | Signed) => {
                predecrement = n;
                match r {
                    19 => reg_i += 1,
                    30 => lr_alone = true,
                    _ => return None,
                }
                stage = FloatRegs;
            }
            Code::SaveRegP(r, n)
                if stage == IntRegs && n == 8 * reg_i && u32::from(r) == 19 + reg_i =>
            {
                reg_i += 2
            }
            Code::SaveReg(r, n) if stage == IntRegs && n == 8 * reg_i => {
                if u32::from(r) == 19 + reg_i {
                    reg_i += 1;
                } else if r == 30 {
                    lr_alone = true;
                } else {
                    return None;
                }
                stage = FloatRegs;
            }
            Code::SaveLrPair(r, n)
                if stage == IntRegs && n == 8 * reg_i && u32::from(r) == 19 + reg_i =>
            {
                reg_i += 1;
                lr_alone = true;
                stage = FloatRegs;
            }
            Code::SaveFReg(r, n)
                if stage == FloatRegs
                    && reg_f != 0
                    && u32::from(r) == 8 + reg_f
                    && n == saved_before(reg_i, lr_alone, reg_f) =>
            {
                reg_f += 1;
                stage = InputArgs;
            }
            Code::SaveFRegPX(8, n) if matches!(stage, AfterEnd | Signed) => {
                predecrement = n;
                reg_f = 2;
                stage = FloatRegs;
            }
            Code::SaveFRegP(r, n)
                if matches!(stage, IntRegs | FloatRegs)
                    && u32::from(r) == 8 + reg_f
                    && n == saved_before(reg_i, lr_alone, reg_f) =>
            {
                reg_f += 2;
                stage = FloatRegs;
            }
            Code::SaveNext if stage == IntRegs => reg_i += 2,
            Code::SaveNext if stage == FloatRegs => reg_f += 2,
            Code::Nop if matches!(stage, IntRegs | FloatRegs | InputArgs) => {
                stage = InputArgs;
                nops += 1;
            }
            Code::AllocS(n) | Code::AllocM(n)
                if matches!(
                    stage,
                    AfterEnd | Signed | IntRegs | FloatRegs | InputArgs | StackAdjust
                ) =>
            {
                // One allocation, or 4080 bytes and then the rest.
                stack = match stack {
                    0 => n,
                    4080 => 4080 + n,
                    _ => return None,
                };
                stage = StackAdjust;
            }
            Code::SaveFpLrX(n)
                if matches!(stage, AfterEnd | Signed | IntRegs | FloatRegs | InputArgs) =>
            {
                stack = n;
                stage = FrameRecord;
                fplr = true;
            }
            Code::SaveFpLr(0) if stage == StackAdjust => {
                stage = FrameRecord;
                fplr = true;
            }
            Code::SetFp if stage == FrameRecord => stage = Done,
            _ => return None,
        }
    }
    // Homed parameters (four `nop`s, H) are left unpacked, as LLVM does: Windows' unwinder
    // and the documentation disagree on whether the epilogue has them.
    if reg_i > 10
        || reg_f > 8
        || lr_alone && fplr
        || fplr && stage != Done
        || nops != 0
        || pac && !fplr
    {
        return None;
    }
    let saved = (8 * reg_i + 8 * u32::from(lr_alone) + 8 * reg_f + 15) & !15;
    if predecrement != saved || fplr && stack < 16 || !stack.is_multiple_of(16) {
        return None;
    }
    let frame = (stack + saved) / 16;
    if frame > 0x1ff {
        return None;
    }
    let cr = if pac {
        2
    } else if fplr {
        3
    } else {
        u32::from(lr_alone)
    };
    Some(
        PACKED_FLAG
            | (words & 0x7ff) << 2
            | (reg_f.saturating_sub(1) & 7) << 13
            | (reg_i & 15) << 16
            | cr << 21
            | frame << 23,
    )
}

/// Reads the prologue and epilogues out of the codes, checking each against what its
/// instruction can encode.
fn read(i: usize, size: u64, rules: &[SehRule]) -> Result<Function, Error> {
    let place = |j: usize, field: &str| Place::Unwind(i, format!("seh[{j}].{field}"));
    let mut f = Function {
        prologue: vec![Code::End],
        epilogues: Vec::new(),
    };
    let mut prologue_done = false;
    // The epilogue being read: (its rule's index, start, codes).
    let mut epilogue: Option<(usize, u64, Vec<Code>)> = None;
    let mut previous = 0u64;
    for (j, rule) in rules.iter().enumerate() {
        let at = rule.at;
        if !at.is_multiple_of(4) {
            return Err(Error::invalid(
                place(j, "at"),
                format!(
                    "{at} is not a multiple of 4: arm64 codes stand between 4-byte instructions"
                ),
            ));
        }
        if at > size {
            return Err(Error::invalid(
                place(j, "at"),
                format!("{at} is past the end of the function ({size} bytes)"),
            ));
        }
        if at < previous {
            return Err(Error::invalid(
                place(j, "at"),
                format!(
                    "{at} comes before the previous code's {previous}: codes are given in order"
                ),
            ));
        }
        previous = at;
        match rule.op {
            SehOp::EndPrologue => {
                if prologue_done {
                    return Err(Error::invalid(place(j, "op"), "a second endprologue"));
                }
                let want = 4 * (f.prologue.len() as u64 - 1);
                if at != want {
                    return Err(Error::invalid(
                        place(j, "at"),
                        format!("{at}: the prologue's {} codes describe its first {want} bytes, so endprologue stands at {want}", f.prologue.len() - 1),
                    ));
                }
                prologue_done = true;
            }
            SehOp::StartEpilogue => {
                if let Some((k, ..)) = epilogue {
                    return Err(Error::invalid(
                        place(j, "op"),
                        format!("startepilogue inside the epilogue seh[{k}] started: end that one first (endepilogue)"),
                    ));
                }
                prologue_done = true;
                epilogue = Some((j, at, Vec::new()));
            }
            SehOp::EndEpilogue => {
                let Some((_, start, mut codes)) = epilogue.take() else {
                    return Err(Error::invalid(
                        place(j, "op"),
                        "endepilogue without a startepilogue before it",
                    ));
                };
                let end = start + 4 * codes.len() as u64;
                if at != end {
                    return Err(Error::invalid(
                        place(j, "at"),
                        format!("{at}: the epilogue's {} codes describe {start}..{end}, so endepilogue stands at {end}", codes.len()),
                    ));
                }
                if end + 4 > size {
                    return Err(Error::invalid(
                        place(j, "at"),
                        format!("the epilogue's return instruction, at {end}..{}, is past the end of the function ({size} bytes)", end + 4),
                    ));
                }
                codes.push(Code::End);
                f.epilogues.push((start, codes));
            }
            ref op => {
                let code = code(i, j, op)?;
                match &mut epilogue {
                    Some((_, start, codes)) => {
                        let want = *start + 4 * (codes.len() as u64 + 1);
                        if at != want {
                            return Err(Error::invalid(
                                place(j, "at"),
                                format!("{at}: arm64 epilogue codes follow one 4-byte instruction each from the epilogue's start ({start}), so this one stands at {want}"),
                            ));
                        }
                        codes.push(code);
                    }
                    None if prologue_done => {
                        return Err(Error::invalid(
                            place(j, "op"),
                            format!("`{}` after the prologue and outside an epilogue (startepilogue ... endepilogue)", op.name(crate::target::Architecture::Aarch64)),
                        ));
                    }
                    None => {
                        let want = 4 * f.prologue.len() as u64;
                        if at != want {
                            return Err(Error::invalid(
                                place(j, "at"),
                                format!("{at}: arm64 prologue codes follow one 4-byte instruction each from the function's start, so this one stands at {want}"),
                            ));
                        }
                        f.prologue.push(code);
                    }
                }
            }
        }
    }
    if let Some((k, ..)) = epilogue {
        return Err(Error::invalid(
            place(k, "op"),
            "this epilogue has no endepilogue",
        ));
    }
    Ok(f)
}

/// The stored code of one `seh` code (`rules[j]` of function `i`), its register and offset
/// checked against the encoding.
fn code(i: usize, j: usize, op: &SehOp) -> Result<Code, Error> {
    let place = |field: &str| Place::Unwind(i, format!("seh[{j}].{field}"));
    let name = op.name(crate::target::Architecture::Aarch64);
    // An x register from `low` to `high`, by DWARF number (x0..x30 are 0..30).
    let x = |reg: Register, low: u16, high: u16| -> Result<u8, Error> {
        if (low..=high).contains(&reg.0) {
            Ok(reg.0 as u8)
        } else {
            Err(Error::invalid(
                place("reg"),
                format!("`{name}` takes x{low}..x{high}, not {}", show(reg)),
            ))
        }
    };
    // A d register from `low` to `high` (DWARF 64..95 are v0..v31).
    let d = |reg: Register, low: u16, high: u16| -> Result<u8, Error> {
        if (64 + low..=64 + high).contains(&reg.0) {
            Ok((reg.0 - 64) as u8)
        } else {
            Err(Error::invalid(
                place("reg"),
                format!("`{name}` takes d{low}..d{high}, not {}", show(reg)),
            ))
        }
    };
    // A multiple of `scale` from `low` to `high`.
    let offset = |n: u64, scale: u64, low: u64, high: u64| -> Result<u32, Error> {
        if n.is_multiple_of(scale) && (low..=high).contains(&n) {
            Ok(n as u32)
        } else {
            Err(Error::invalid(
                place(if matches!(op, SehOp::StackAlloc(_)) {
                    "size"
                } else {
                    "offset"
                }),
                format!(
                    "{n} is not a multiple of {scale} from {low} to {high}, which `{name}` encodes"
                ),
            ))
        }
    };
    Ok(match *op {
        SehOp::StackAlloc(n) => {
            let n = offset(n, 16, 16, 0xff_ffff * 16)?;
            if n < 512 {
                Code::AllocS(n)
            } else if n < 16384 {
                Code::AllocM(n)
            } else {
                Code::AllocL(n)
            }
        }
        SehOp::SaveFpLr(n) => Code::SaveFpLr(offset(n, 8, 0, 504)?),
        SehOp::SaveFpLrX(n) => Code::SaveFpLrX(offset(n, 8, 8, 512)?),
        SehOp::SaveReg { reg, offset: n } => Code::SaveReg(x(reg, 19, 30)?, offset(n, 8, 0, 504)?),
        SehOp::SaveRegX { reg, offset: n } => {
            Code::SaveRegX(x(reg, 19, 30)?, offset(n, 8, 8, 256)?)
        }
        SehOp::SaveRegP { reg, offset: n } => {
            Code::SaveRegP(x(reg, 19, 29)?, offset(n, 8, 0, 504)?)
        }
        SehOp::SaveRegPX { reg, offset: n } => {
            Code::SaveRegPX(x(reg, 19, 29)?, offset(n, 8, 8, 512)?)
        }
        SehOp::SaveLrPair { reg, offset: n } => {
            let r = x(reg, 19, 27)?;
            if !(r - 19).is_multiple_of(2) {
                return Err(Error::invalid(
                    place("reg"),
                    format!("`save_lrpair` takes x19, x21, x23, x25 or x27, not x{r}"),
                ));
            }
            Code::SaveLrPair(r, offset(n, 8, 0, 504)?)
        }
        SehOp::SaveFReg { reg, offset: n } => Code::SaveFReg(d(reg, 8, 15)?, offset(n, 8, 0, 504)?),
        SehOp::SaveFRegX { reg, offset: n } => {
            Code::SaveFRegX(d(reg, 8, 15)?, offset(n, 8, 8, 256)?)
        }
        SehOp::SaveFRegP { reg, offset: n } => {
            Code::SaveFRegP(d(reg, 8, 14)?, offset(n, 8, 0, 504)?)
        }
        SehOp::SaveFRegPX { reg, offset: n } => {
            Code::SaveFRegPX(d(reg, 8, 14)?, offset(n, 8, 8, 512)?)
        }
        SehOp::SetFp => Code::SetFp,
        SehOp::AddFp(n) => Code::AddFp(offset(n, 8, 0, 2040)?),
        SehOp::Nop => Code::Nop,
        SehOp::PacSignLr => Code::PacSignLr,
        _ => {
            return Err(Error::invalid(
                place("op"),
                format!(
                    "`{}` is an x86_64 unwind code, not arm64's",
                    op.name(crate::target::Architecture::X86_64)
                ),
            ))
        }
    })
}

/// A register as the errors name it.
fn show(reg: Register) -> String {
    reg.name(crate::target::Architecture::Aarch64)
        .unwrap_or_else(|| format!("register {}", reg.0))
}

/// The CFA and the saved registers, as the DWARF rules say them at one point.
#[derive(Clone, Debug, Default)]
struct Frame {
    /// The CFA's register is x29 (not sp).
    on_fp: bool,
    /// The CFA's offset from its register.
    cfa: i64,
    /// Saved registers (DWARF numbers) and where, from the CFA.
    saved: Vec<(u16, i64)>,
}

impl Frame {
    fn slot(&self, reg: u16) -> Option<i64> {
        self.saved.iter().find(|(r, _)| *r == reg).map(|&(_, o)| o)
    }
}

/// The DWARF number of x29, lr and sp.
const FP_REG: u16 = 29;
const LR_REG: u16 = 30;
const SP_REG: u16 = 31;

/// The code of one instruction that stores (or, in an epilogue, loads) `regs` (one register,
/// or two with consecutive slots, sorted by slot) at `offset` from sp; `moved`: it also moves
/// sp by that much first (pre-indexed store; post-indexed load).
fn store(regs: &[(u16, i64)], offset: u64, moved: bool) -> Option<SehOp> {
    let x = |r: u16| (19..=30).contains(&r);
    let d = |r: u16| (72..=79).contains(&r);
    Some(match *regs {
        [(r, _)] if x(r) && moved => SehOp::SaveRegX {
            reg: Register(r),
            offset,
        },
        [(r, _)] if x(r) => SehOp::SaveReg {
            reg: Register(r),
            offset,
        },
        [(r, _)] if d(r) && moved => SehOp::SaveFRegX {
            reg: Register(r),
            offset,
        },
        [(r, _)] if d(r) => SehOp::SaveFReg {
            reg: Register(r),
            offset,
        },
        [(a, oa), (b, ob)] if ob == oa + 8 => match (a, b) {
            (FP_REG, LR_REG) if moved => SehOp::SaveFpLrX(offset),
            (FP_REG, LR_REG) => SehOp::SaveFpLr(offset),
            (a, LR_REG) if !moved && (19..=27).contains(&a) && (a - 19).is_multiple_of(2) => {
                SehOp::SaveLrPair {
                    reg: Register(a),
                    offset,
                }
            }
            (a, b) if b == a + 1 && (19..=28).contains(&a) && moved => SehOp::SaveRegPX {
                reg: Register(a),
                offset,
            },
            (a, b) if b == a + 1 && (19..=28).contains(&a) => SehOp::SaveRegP {
                reg: Register(a),
                offset,
            },
            (a, b) if b == a + 1 && (72..=78).contains(&a) && moved => SehOp::SaveFRegPX {
                reg: Register(a),
                offset,
            },
            (a, b) if b == a + 1 && (72..=78).contains(&a) => SehOp::SaveFRegP {
                reg: Register(a),
                offset,
            },
            _ => return None,
        },
        _ => return None,
    })
}

/// Windows arm64 codes for function `i` (`size` bytes) from its DWARF call-frame rules, when
/// they are given one instruction at a time, as GCC writes them: in the prologue, at the
/// function's start, a CFA that grows with registers stored at the new top is a pre-indexed
/// store (`save_fplr_x`, `save_regp_x`, `save_reg_x`...), growth alone `stackalloc`, registers
/// saved without growth `save_fplr`/`save_regp`/`save_reg`/`save_lrpair`..., the CFA moved to
/// x29 `set_fp` or `add_fp`, and an instruction without rules `nop`. After the body, each run
/// of instructions with rules that shrink the CFA or restore registers is an epilogue, its
/// `ret` right after it: a load of the pair or register at the top with the CFA shrinking is
/// the post-indexed load (`save_fplr_x`...), shrinking alone `stackalloc`, a restore without
/// shrinking the load from its slot, the CFA back on sp from x29 `set_fp`; restores of
/// registers loaded before the epilogue (GCC notes them at its last instruction) need no
/// code, since the body's unwinding reloads them from their slots. `remember_state` and
/// `restore_state` bracket epilogues before the end. Any other rule, or rules in an order
/// this cannot follow, is an error naming it.
pub(crate) fn from_cfi(i: usize, size: u64, cfi: &[super::CfiRule]) -> Result<Vec<SehRule>, Error> {
    use super::CfiOp;
    let place = |j: usize, field: &str| Place::Unwind(i, format!("cfi[{j}].{field}"));
    let cannot = |j: usize, what: String| {
        Error::unsupported(
            place(j, "op"),
            format!("{what}: Windows arm64 codes cannot be derived from it; give the prologue and epilogues as `seh` codes"),
        )
    };
    // A derived code the encoding cannot hold is an error at the rules it came from.
    let encodable = |op: &SehOp, j: usize| -> Result<(), Error> {
        match self::code(i, j, op) {
            Ok(_) => Ok(()),
            Err(Error::Invalid { message, .. } | Error::Unsupported { message, .. }) => {
                Err(Error::unsupported(
                    place(j, "op"),
                    format!(
                        "the rules here make `{}`, which Windows arm64 cannot encode ({message}); give `seh` codes",
                        op.name(crate::target::Architecture::Aarch64)
                    ),
                ))
            }
            Err(e) => Err(e),
        }
    };
    let mut frame = Frame::default();
    let mut remembered: Vec<Frame> = Vec::new();
    let mut prologue: Vec<SehOp> = Vec::new();
    let mut in_prologue = true;
    // Epilogues: (start, codes); the one being read is the last while `open`.
    let mut epilogues: Vec<(u64, Vec<SehOp>, usize)> = Vec::new();
    let mut open = false;
    // How far x29 is above sp, from the prologue's set_fp/add_fp: the body leaves sp there,
    // so an epilogue's rules on x29 convert to rules on sp.
    let mut fp_above_sp = 0i64;
    let mut j = 0;
    let mut previous = 0;
    while j < cfi.len() {
        let at = cfi[j].at;
        let first = j;
        if !at.is_multiple_of(4) || at == 0 || at > size {
            return Err(Error::invalid(
                place(j, "at"),
                format!("{at}: arm64 rules stand after one of the function's 4-byte instructions ({size} bytes)"),
            ));
        }
        if at < previous {
            return Err(Error::invalid(
                place(j, "at"),
                format!(
                    "{at} comes before the previous rule's {previous}: rules are given in order"
                ),
            ));
        }
        previous = at;
        let before = frame.clone();
        let mut restored: Vec<(u16, i64)> = Vec::new();
        let mut notes_only = true;
        while j < cfi.len() && cfi[j].at == at {
            let rule = &cfi[j];
            match rule.op {
                CfiOp::RememberState => remembered.push(frame.clone()),
                CfiOp::RestoreState => {
                    frame = remembered.pop().ok_or_else(|| {
                        Error::invalid(
                            place(j, "op"),
                            "restore_state without a remember_state before it",
                        )
                    })?;
                }
                CfiOp::DefCfaOffset(n) if !frame.on_fp => {
                    frame.cfa = n;
                    notes_only = false;
                }
                CfiOp::AdjustCfaOffset(n) if !frame.on_fp => {
                    frame.cfa = frame.cfa.saturating_add(n);
                    notes_only = false;
                }
                CfiOp::DefCfa { reg, offset } if reg.0 == FP_REG || reg.0 == SP_REG => {
                    frame.on_fp = reg.0 == FP_REG;
                    frame.cfa = offset;
                    notes_only = false;
                }
                CfiOp::DefCfaRegister(reg) if reg.0 == FP_REG || reg.0 == SP_REG => {
                    frame.on_fp = reg.0 == FP_REG;
                    notes_only = false;
                }
                CfiOp::Offset { reg, offset } => {
                    frame.saved.retain(|(r, _)| *r != reg.0);
                    frame.saved.push((reg.0, offset));
                    notes_only = false;
                }
                CfiOp::Restore(reg) => {
                    if let Some(o) = frame.slot(reg.0) {
                        restored.push((reg.0, o));
                    }
                    frame.saved.retain(|(r, _)| *r != reg.0);
                    notes_only = false;
                }
                ref op => return Err(cannot(j, format!("`{}`", op.name()))),
            }
            // Frames beyond what any code encodes (256 MiB) are refused here, which keeps the
            // arithmetic below far from overflowing.
            const FAR: u64 = 1 << 32;
            if frame.cfa.unsigned_abs() > FAR
                || frame.saved.iter().any(|&(_, o)| o.unsigned_abs() > FAR)
            {
                return Err(Error::unsupported(
                    place(j, "offset"),
                    "a frame over 4 GiB: Windows arm64 unwind codes describe at most 256 MiB",
                ));
            }
            j += 1;
        }
        if notes_only {
            // remember_state / restore_state alone: the epilogue before (if any) has ended.
            open = false;
            continue;
        }
        let k = at / 4 - 1;
        let grow = frame.cfa - before.cfa;
        let mut added: Vec<(u16, i64)> = frame
            .saved
            .iter()
            .filter(|s| !before.saved.contains(s))
            .copied()
            .collect();
        added.sort_by_key(|&(_, o)| o);
        restored.sort_by_key(|&(_, o)| o);
        let is_prologue = restored.is_empty()
            && (before.on_fp == frame.on_fp && !frame.on_fp && grow >= 0
                || !before.on_fp && frame.on_fp && added.is_empty());
        if in_prologue && is_prologue {
            if before.on_fp {
                return Err(cannot(first, "a rule after the CFA moved to x29".into()));
            }
            if k < prologue.len() as u64 {
                return Err(cannot(first, "two rules for one instruction".into()));
            }
            while (prologue.len() as u64) < k {
                prologue.push(SehOp::Nop);
            }
            let code = if frame.on_fp {
                // x29 = CFA - new offset; sp = CFA - old offset.
                let above = before.cfa - frame.cfa;
                fp_above_sp = above;
                match above {
                    0 => Some(SehOp::SetFp),
                    n if n > 0 => Some(SehOp::AddFp(n as u64)),
                    _ => None,
                }
            } else if grow > 0 && added.is_empty() {
                Some(SehOp::StackAlloc(grow as u64))
            } else if grow > 0 {
                // Stored at the new top: a pre-indexed store.
                (added[0].1 == -frame.cfa)
                    .then(|| store(&added, grow as u64, true))
                    .flatten()
            } else {
                let offset = frame.cfa + added.first().map_or(0, |&(_, o)| o);
                (offset >= 0)
                    .then(|| store(&added, offset as u64, false))
                    .flatten()
            };
            match code {
                Some(code) => {
                    encodable(&code, first)?;
                    prologue.push(code)
                }
                None => {
                    return Err(cannot(
                        first,
                        "these rules are not one store, allocation or frame-pointer move".into(),
                    ))
                }
            }
            continue;
        }
        in_prologue = false;
        // The rules before, on sp.
        let mut before = before;
        let mut code = None;
        if before.on_fp && !frame.on_fp && restored.is_empty() && added.is_empty() {
            if open && frame.cfa == before.cfa {
                // `mov sp, x29` in an epilogue.
                code = Some(SehOp::SetFp);
            } else if !open && frame.cfa == before.cfa + fp_above_sp {
                // The CFA said again on sp, which has not moved: no instruction of note.
                continue;
            }
        }
        if before.on_fp && !frame.on_fp {
            before.on_fp = false;
            before.cfa += fp_above_sp;
        }
        let grow = frame.cfa - before.cfa;
        let code = if code.is_some() {
            code
        } else if !before.on_fp && !frame.on_fp && grow <= 0 && added.is_empty() {
            let shrink = -grow;
            let top: Vec<(u16, i64)> = restored
                .iter()
                .filter(|&&(_, o)| o == -before.cfa || o == -before.cfa + 8)
                .copied()
                .collect();
            // A load at the top that moves sp back is a post-indexed load, when one can move
            // it that far; otherwise the registers were loaded before, and this frees the
            // frame.
            let load = match top.first() {
                Some(&(_, o)) if o == -before.cfa => {
                    store(&top, shrink as u64, true).filter(|op| self::code(i, 0, op).is_ok())
                }
                _ => None,
            };
            if shrink > 0 {
                load.or(Some(SehOp::StackAlloc(shrink as u64)))
            } else {
                let offset = before.cfa + restored.first().map_or(-1, |&(_, o)| o);
                (offset >= 0 && !restored.is_empty())
                    .then(|| store(&restored, offset as u64, false))
                    .flatten()
            }
        } else {
            None
        };
        let Some(code) = code else {
            return Err(cannot(
                first,
                "these rules are not one load, deallocation or return of sp to x29".into(),
            ));
        };
        encodable(&code, first)?;
        match epilogues.last_mut() {
            Some((start, codes, _)) if open && *start + 4 * codes.len() as u64 == 4 * k => {
                codes.push(code)
            }
            _ => {
                epilogues.push((4 * k, vec![code], first));
                open = true;
            }
        }
    }
    let mut seh: Vec<SehRule> = prologue
        .iter()
        .enumerate()
        .map(|(k, op)| SehRule {
            at: 4 * (k as u64 + 1),
            op: op.clone(),
        })
        .collect();
    seh.push(SehRule {
        at: 4 * prologue.len() as u64,
        op: SehOp::EndPrologue,
    });
    for (start, codes, rule) in epilogues {
        let end = start + 4 * codes.len() as u64;
        if end + 4 > size {
            return Err(Error::invalid(
                place(rule, "at"),
                format!("the epilogue from {start} has no room for its return instruction at {end}..{} in the function ({size} bytes)", end + 4),
            ));
        }
        seh.push(SehRule {
            at: start,
            op: SehOp::StartEpilogue,
        });
        for (k, op) in codes.into_iter().enumerate() {
            seh.push(SehRule {
                at: start + 4 * (k as u64 + 1),
                op,
            });
        }
        seh.push(SehRule {
            at: end,
            op: SehOp::EndEpilogue,
        });
    }
    Ok(seh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(at: u64, op: SehOp) -> SehRule {
        SehRule { at, op }
    }

    /// `stp x29, lr, [sp, #-16]!; mov x29, sp` with the matching epilogue is packed: CR 3,
    /// frame size 16, as clang-19 packs it.
    #[test]
    fn frame_record_packs() {
        let fp = |at| rule(at, SehOp::SaveFpLrX(16));
        let rules = [
            fp(4),
            rule(8, SehOp::SetFp),
            rule(8, SehOp::EndPrologue),
            rule(12, SehOp::StartEpilogue),
            fp(16),
            rule(16, SehOp::EndEpilogue),
        ];
        match unwind_info(0, 20, &rules, false).unwrap() {
            WindowsUnwind::Packed(word) => {
                assert_eq!(word & 3, 1);
                assert_eq!(word >> 2 & 0x7ff, 5);
                assert_eq!(word >> 21 & 3, 3);
                assert_eq!(word >> 23, 1);
            }
            WindowsUnwind::Record(_) => panic!("not packed"),
        }
        // With a handler: a record, X set, the epilogue inside the prologue's codes.
        match unwind_info(0, 20, &rules, true).unwrap() {
            WindowsUnwind::Record(b) => {
                let header = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                assert_eq!(header & 0x3_ffff, 5);
                assert_eq!(header >> 20 & 3, 3, "X and E");
                assert_eq!(&b[4..8], &[SET_FP, SAVE_FPLR_X | 1, END, NOP]);
            }
            WindowsUnwind::Packed(_) => panic!("packed with a handler"),
        }
    }

    /// Random codes, registers and offsets, in and out of their slots: an encoding or an
    /// error, never a panic (seeded, so a failure repeats).
    #[test]
    fn random_codes_never_panic() {
        let mut next = crate::unwind::seeded(0x9e37_79b9_7f4a_7c15);
        let offsets = [
            0u64,
            8,
            16,
            24,
            32,
            48,
            248,
            256,
            504,
            512,
            520,
            4080,
            16384,
            1 << 30,
        ];
        let mut encoded = 0;
        for _ in 0..20000 {
            let mut rules = Vec::new();
            let mut at = 0;
            for _ in 0..next(12) {
                if next(8) != 0 {
                    at += 4;
                }
                if next(30) == 0 {
                    at += next(3);
                }
                let reg = Register(if next(4) == 0 {
                    next(96)
                } else {
                    19 + next(12)
                } as u16);
                let freg = Register(64 + next(18) as u16);
                let offset = offsets[next(offsets.len() as u64) as usize];
                let op = match next(20) {
                    0 => SehOp::StackAlloc(offset),
                    1 => SehOp::SaveFpLr(offset),
                    2 => SehOp::SaveFpLrX(offset),
                    3 => SehOp::SaveReg { reg, offset },
                    4 => SehOp::SaveRegX { reg, offset },
                    5 => SehOp::SaveRegP { reg, offset },
                    6 => SehOp::SaveRegPX { reg, offset },
                    7 => SehOp::SaveLrPair { reg, offset },
                    8 => SehOp::SaveFReg { reg: freg, offset },
                    9 => SehOp::SaveFRegX { reg: freg, offset },
                    10 => SehOp::SaveFRegP { reg: freg, offset },
                    11 => SehOp::SaveFRegPX { reg: freg, offset },
                    12 => SehOp::SetFp,
                    13 => SehOp::AddFp(offset),
                    14 => SehOp::Nop,
                    15 => SehOp::PacSignLr,
                    16 => SehOp::EndPrologue,
                    17 => SehOp::StartEpilogue,
                    18 => SehOp::EndEpilogue,
                    _ => SehOp::PushReg(reg),
                };
                rules.push(rule(at, op));
            }
            let size = at + 4 * next(6) + next(2) * 2;
            if unwind_info(0, size, &rules, next(3) == 0).is_ok() {
                encoded += 1;
            }
        }
        assert!(encoded >= 100, "{encoded}");
    }

    /// Random call-frame rules: derived codes that encode, or an error, never a panic.
    #[test]
    fn random_cfi_never_panics() {
        use crate::unwind::{CfiOp, CfiRule};
        let mut next = crate::unwind::seeded(0x2545_f491_4f6c_dd1d);
        let offsets = [
            0i64,
            8,
            -8,
            16,
            -16,
            -24,
            -32,
            32,
            48,
            64,
            -64,
            8032,
            -8032,
            i64::MIN,
            i64::MAX,
        ];
        let mut derived = 0;
        for _ in 0..20000 {
            let mut cfi = Vec::new();
            let mut at = 4;
            for _ in 0..next(10) {
                at += 4 * next(3);
                let reg = Register([19, 20, 29, 30, 31, 72, 73, 5][next(8) as usize]);
                let offset = offsets[next(offsets.len() as u64) as usize];
                let op = match next(9) {
                    0 => CfiOp::DefCfaOffset(offset.saturating_abs()),
                    1 => CfiOp::AdjustCfaOffset(offset),
                    2 => CfiOp::DefCfa { reg, offset },
                    3 => CfiOp::DefCfaRegister(reg),
                    4 | 5 => CfiOp::Offset { reg, offset },
                    6 => CfiOp::Restore(reg),
                    7 => CfiOp::RememberState,
                    _ => CfiOp::RestoreState,
                };
                cfi.push(CfiRule { at, op });
            }
            let size = at + 4 * next(4);
            if let Ok(seh) = from_cfi(0, size, &cfi) {
                derived += 1;
                let _ = unwind_info(0, size, &seh, false);
            }
        }
        assert!(derived >= 100, "{derived}");
    }

    #[test]
    fn bad_codes_name_their_place() {
        let err = |rules: &[SehRule]| unwind_info(3, 64, rules, false).err().unwrap().to_string();
        assert!(err(&[rule(6, SehOp::Nop)])
            .starts_with("unwind[3].seh[0].at: 6 is not a multiple of 4"));
        assert!(err(&[rule(4, SehOp::SaveFpLrX(520))]).starts_with("unwind[3].seh[0].offset: 520"));
        assert!(err(&[rule(
            4,
            SehOp::SaveReg {
                reg: Register(5),
                offset: 8
            }
        )])
        .starts_with("unwind[3].seh[0].reg: `save_reg` takes x19..x30, not x5"));
        assert!(err(&[rule(8, SehOp::Nop)]).contains("stands at 4"));
        assert!(err(&[rule(0, SehOp::StartEpilogue)]).contains("no endepilogue"));
    }
}
