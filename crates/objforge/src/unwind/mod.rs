//! Unwind information: how to find a function's caller from any instruction of it, described
//! once in the assemblers' own vocabulary and written in each format's tables.
//!
//! A backend describes each function that must be unwound through (C++ and Rust exceptions,
//! debuggers' backtraces, profilers) as a [`FunctionUnwind`]: its code range, the DWARF
//! call-frame rules that change along it ([`CfiRule`], GNU as `.cfi_*` directives as data, each
//! at the offset where the directive would stand), and optionally a personality routine and its
//! language-specific data area (LSDA). [`Object::add_unwind`] records it; the writer lowers the
//! entries to ordinary sections, symbols and relocations, as [`crate::dwarf`] does for debug
//! information.
//!
//! What each format gets:
//!
//! | format | written |
//! |---|---|
//! | ELF (x86_64, i386, aarch64, riscv64, s390x) | `.eh_frame`: CIEs shared between functions of the same personality, LSDA use, return column and signal-frame flag; one FDE per function; pointers PC-relative (`DW_EH_PE_pcrel\|sdata4`), the personality through a `DW.ref.NAME` word as GCC does |
//! | Mach-O (x86_64, arm64) | `__LD,__compact_unwind` entries with the compact encoding LLVM computes from the same rules (frame-pointer frames, frameless functions; DWARF mode otherwise), and `__TEXT,__eh_frame` with an FDE for every function: pointer-sized PC-relative pointers (`SUBTRACTOR`/`UNSIGNED` pairs), the personality through its GOT slot |
//! | COFF x86_64 | `.pdata` and `.xdata` from the [`SehRule`]s, or derived from the [`CfiRule`]s; the personality routine as the exception handler, the LSDA as its data |
//! | COFF arm64 | `.pdata` and `.xdata` from the [`SehRule`]s, or derived from [`CfiRule`]s given one instruction at a time: packed into `.pdata` where the prologue is canonical, records with epilogue scopes otherwise; handlers as on x86_64 |
//! | COFF i386 | never: 32-bit Windows has no unwind tables (an error) |
//! | WebAssembly | never: Wasm has no unwind tables (an error) |
//!
//! With [`Options::debug_frame`](crate::Options::debug_frame), ELF objects get `.debug_frame`
//! instead, for debuggers.
//!
//! [`eh_frame_for_jit`] writes the same records with absolute addresses, for code a JIT has
//! placed in memory (`__register_frame`).
//!
//! ```
//! use objforge::*;
//! use objforge::unwind::{CfiOp, FunctionUnwind, Register};
//! let target = Target::from_triple("x86_64-unknown-linux-gnu").unwrap();
//! let mut obj = Object::new(target.clone());
//! // f: push rbp; mov rbp, rsp; pop rbp; ret
//! let text = obj.add_section(
//!     Section::new(".text", SectionKind::Text).with_bytes(vec![0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3]),
//! );
//! let rbp = Register::from_name(target.arch, "rbp").unwrap();
//! let rsp = Register::from_name(target.arch, "rsp").unwrap();
//! obj.add_unwind(
//!     FunctionUnwind::new(text, 0, 6)
//!         .with_rule(1, CfiOp::DefCfaOffset(16))
//!         .with_rule(1, CfiOp::Offset { reg: rbp, offset: -16 })
//!         .with_rule(4, CfiOp::DefCfaRegister(rbp))
//!         .with_rule(5, CfiOp::DefCfa { reg: rsp, offset: 8 }),
//! );
//! let bytes = obj.write().unwrap();
//! assert_eq!(&bytes[..4], b"\x7fELF");
//! ```

mod check;
mod compact;
mod eh_frame;
mod lower;
mod macho;
mod xdata;
mod xdata_arm64;

pub(crate) use check::check;
pub(crate) use lower::lower;

pub use eh_frame::{eh_frame_for_jit, JitFunction};

/// The random tests' numbers: xorshift64 from `seed`, each call a number below its bound, so
/// that a failing case repeats.
#[cfg(test)]
pub(crate) fn seeded(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n.max(1)
    }
}

use crate::arch;
use crate::model::{Object, SectionId, SymbolId};
use crate::target::Architecture;

/// A register, by its DWARF number on the object's architecture (the psABI's "DWARF register
/// number mapping").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Register(pub u16);

impl Register {
    /// The register GNU as calls `name` on `arch` (`rbp`, `r12`, `xmm6`; `x29`/`fp`, `x30`/`lr`,
    /// `sp`, `d8`; `ra`, `s0`/`fp`, `s1`, `fs0`; `ebp`), without a `%`.
    pub fn from_name(arch: Architecture, name: &str) -> Option<Register> {
        let name = name.strip_prefix('%').unwrap_or(name);
        match arch {
            Architecture::X86_64 => arch::x86_64::dwarf::register(name),
            Architecture::I386 => arch::i386::dwarf::register(name),
            Architecture::Aarch64 => arch::aarch64::dwarf::register(name),
            Architecture::Riscv64 => arch::riscv64::dwarf::register(name),
            Architecture::S390x => arch::s390x::dwarf::register(name),
            Architecture::Ppc64le => arch::ppc64le::dwarf::register(name),
            Architecture::Arm | Architecture::Wasm32 | Architecture::Wasm64 => None,
        }
        .map(Register)
    }

    /// The assembler name [`Register::from_name`] takes for this register on `arch`, if it has
    /// one.
    pub fn name(self, arch: Architecture) -> Option<String> {
        match arch {
            Architecture::X86_64 => arch::x86_64::dwarf::name(self.0),
            Architecture::I386 => arch::i386::dwarf::name(self.0),
            Architecture::Aarch64 => arch::aarch64::dwarf::name(self.0),
            Architecture::Riscv64 => arch::riscv64::dwarf::name(self.0),
            Architecture::S390x => arch::s390x::dwarf::name(self.0),
            Architecture::Ppc64le => arch::ppc64le::dwarf::name(self.0),
            Architecture::Arm | Architecture::Wasm32 | Architecture::Wasm64 => None,
        }
    }

    /// The highest DWARF register number objforge takes on `arch` (none on WebAssembly).
    pub fn last(arch: Architecture) -> Option<u16> {
        match arch {
            Architecture::X86_64 => Some(arch::x86_64::dwarf::LAST),
            Architecture::I386 => Some(arch::i386::dwarf::LAST),
            Architecture::Aarch64 => Some(arch::aarch64::dwarf::LAST),
            Architecture::Riscv64 => Some(arch::riscv64::dwarf::LAST),
            Architecture::S390x => Some(arch::s390x::dwarf::LAST),
            Architecture::Ppc64le => Some(arch::ppc64le::dwarf::LAST),
            Architecture::Arm | Architecture::Wasm32 | Architecture::Wasm64 => None,
        }
    }
}

/// One call-frame rule: GNU as's `.cfi_*` directive of the same name. Offsets are in bytes,
/// unfactored, as the directives take them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CfiOp {
    /// `.cfi_def_cfa reg, offset`: CFA = `reg` + `offset`.
    DefCfa {
        /// The register.
        reg: Register,
        /// Bytes added to it.
        offset: i64,
    },
    /// `.cfi_def_cfa_register reg`: CFA = `reg` + the offset so far.
    DefCfaRegister(Register),
    /// `.cfi_def_cfa_offset offset`: CFA = the register so far + `offset`.
    DefCfaOffset(i64),
    /// `.cfi_adjust_cfa_offset delta`: the CFA offset so far, plus `delta`.
    AdjustCfaOffset(i64),
    /// `.cfi_offset reg, offset`: `reg`'s previous value is saved at CFA + `offset`.
    Offset {
        /// The register saved.
        reg: Register,
        /// Where, from the CFA.
        offset: i64,
    },
    /// `.cfi_val_offset reg, offset`: `reg`'s previous value *is* CFA + `offset`.
    ValOffset {
        /// The register.
        reg: Register,
        /// Its value, from the CFA.
        offset: i64,
    },
    /// `.cfi_rel_offset reg, offset`: `reg` is saved at `offset` from the current CFA register
    /// (written as an `offset` rule, CFA-relative).
    RelOffset {
        /// The register saved.
        reg: Register,
        /// Where, from the CFA register.
        offset: i64,
    },
    /// `.cfi_register reg, reg2`: `reg`'s previous value is now in `reg2`.
    Register {
        /// The register whose value moved.
        reg: Register,
        /// Where it is.
        reg2: Register,
    },
    /// `.cfi_restore reg`: `reg` follows the rule it had at the function's start again.
    Restore(Register),
    /// `.cfi_undefined reg`: `reg`'s previous value cannot be recovered.
    Undefined(Register),
    /// `.cfi_same_value reg`: `reg` still holds its previous value.
    SameValue(Register),
    /// `.cfi_remember_state`: pushes every rule.
    RememberState,
    /// `.cfi_restore_state`: pops the rules [`CfiOp::RememberState`] pushed.
    RestoreState,
    /// `.cfi_escape bytes`: raw call-frame instructions, written as given (objforge does not
    /// follow what they do to the CFA).
    Escape(Vec<u8>),
    /// `.cfi_negate_ra_state` (AArch64 pointer authentication: the return address is signed
    /// from here, or no longer).
    NegateRaState,
    /// `.cfi_window_save` (`DW_CFA_GNU_window_save`).
    WindowSave,
}

impl CfiOp {
    /// The directive's name without `.cfi_` (its name in a JSON spec).
    pub fn name(&self) -> &'static str {
        match self {
            CfiOp::DefCfa { .. } => "def_cfa",
            CfiOp::DefCfaRegister(_) => "def_cfa_register",
            CfiOp::DefCfaOffset(_) => "def_cfa_offset",
            CfiOp::AdjustCfaOffset(_) => "adjust_cfa_offset",
            CfiOp::Offset { .. } => "offset",
            CfiOp::ValOffset { .. } => "val_offset",
            CfiOp::RelOffset { .. } => "rel_offset",
            CfiOp::Register { .. } => "register",
            CfiOp::Restore(_) => "restore",
            CfiOp::Undefined(_) => "undefined",
            CfiOp::SameValue(_) => "same_value",
            CfiOp::RememberState => "remember_state",
            CfiOp::RestoreState => "restore_state",
            CfiOp::Escape(_) => "escape",
            CfiOp::NegateRaState => "negate_ra_state",
            CfiOp::WindowSave => "window_save",
        }
    }

    /// Every name [`CfiOp::name`] gives, in the order docs/spec.md lists them.
    pub const NAMES: &'static [&'static str] = &[
        "def_cfa",
        "def_cfa_register",
        "def_cfa_offset",
        "adjust_cfa_offset",
        "offset",
        "val_offset",
        "rel_offset",
        "register",
        "restore",
        "undefined",
        "same_value",
        "remember_state",
        "restore_state",
        "escape",
        "negate_ra_state",
        "window_save",
    ];

    /// The registers the rule names, first the one it describes.
    pub fn registers(&self) -> Vec<(&'static str, Register)> {
        match *self {
            CfiOp::DefCfa { reg, .. }
            | CfiOp::DefCfaRegister(reg)
            | CfiOp::Offset { reg, .. }
            | CfiOp::ValOffset { reg, .. }
            | CfiOp::RelOffset { reg, .. }
            | CfiOp::Restore(reg)
            | CfiOp::Undefined(reg)
            | CfiOp::SameValue(reg) => vec![("reg", reg)],
            CfiOp::Register { reg, reg2 } => vec![("reg", reg), ("reg2", reg2)],
            _ => Vec::new(),
        }
    }
}

/// A call-frame rule and where it starts to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfiRule {
    /// Bytes from the function's start: where the `.cfi_*` directive stands (after the
    /// instruction that made it true).
    pub at: u64,
    /// The rule.
    pub op: CfiOp,
}

/// One Windows unwind code: LLVM's `.seh_*` directive of the same name. COFF x86_64 and arm64
/// write them as `.pdata`/`.xdata`; ELF ignores them when `cfi` rules are given too.
///
/// x86_64 takes `PushReg`, `SetFrame`, `StackAlloc`, `SaveReg`, `SaveXmm`, `PushFrame` and
/// `EndPrologue`. arm64 takes `StackAlloc`, `SaveReg` (`.seh_save_reg`), the `SaveFpLr`...
/// `PacSignLr` codes and the `EndPrologue`, `StartEpilogue`, `EndEpilogue` markers: each
/// arm64 code describes the one 4-byte instruction it follows, and an epilogue's codes are
/// given between its markers, in the order its instructions run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SehOp {
    /// `.seh_pushreg reg`.
    PushReg(Register),
    /// `.seh_setframe reg, offset`.
    SetFrame {
        /// The frame register.
        reg: Register,
        /// Its offset from the stack pointer.
        offset: u64,
    },
    /// `.seh_stackalloc size`.
    StackAlloc(u64),
    /// `.seh_savereg reg, offset` (x86_64), `.seh_save_reg reg, offset` (arm64: `str reg,
    /// [sp, #offset]`, x19..x30).
    SaveReg {
        /// The register saved.
        reg: Register,
        /// Where, from the stack pointer.
        offset: u64,
    },
    /// `.seh_savexmm reg, offset`.
    SaveXmm {
        /// The register saved.
        reg: Register,
        /// Where, from the stack pointer.
        offset: u64,
    },
    /// `.seh_pushframe` (`@code` when `code`).
    PushFrame {
        /// Whether an error code was pushed too.
        code: bool,
    },
    /// `.seh_endprologue`: the prologue ends here (when not given: at the last code). Comes
    /// after the prologue's codes.
    EndPrologue,
    /// arm64 `.seh_save_fplr offset`: `stp x29, lr, [sp, #offset]`.
    SaveFpLr(u64),
    /// arm64 `.seh_save_fplr_x offset`: `stp x29, lr, [sp, #-offset]!`.
    SaveFpLrX(u64),
    /// arm64 `.seh_save_reg_x reg, offset`: `str reg, [sp, #-offset]!` (x19..x30).
    SaveRegX {
        /// The register saved.
        reg: Register,
        /// How far the stack pointer moves down first.
        offset: u64,
    },
    /// arm64 `.seh_save_regp reg, offset`: `stp reg, reg+1, [sp, #offset]` (x19..x29).
    SaveRegP {
        /// The first register of the pair.
        reg: Register,
        /// Where, from the stack pointer.
        offset: u64,
    },
    /// arm64 `.seh_save_regp_x reg, offset`: `stp reg, reg+1, [sp, #-offset]!`.
    SaveRegPX {
        /// The first register of the pair.
        reg: Register,
        /// How far the stack pointer moves down first.
        offset: u64,
    },
    /// arm64 `.seh_save_lrpair reg, offset`: `stp reg, lr, [sp, #offset]` (x19, x21, ..., x27).
    SaveLrPair {
        /// The register saved beside lr.
        reg: Register,
        /// Where, from the stack pointer.
        offset: u64,
    },
    /// arm64 `.seh_save_freg reg, offset`: `str reg, [sp, #offset]` (d8..d15).
    SaveFReg {
        /// The register saved.
        reg: Register,
        /// Where, from the stack pointer.
        offset: u64,
    },
    /// arm64 `.seh_save_freg_x reg, offset`: `str reg, [sp, #-offset]!`.
    SaveFRegX {
        /// The register saved.
        reg: Register,
        /// How far the stack pointer moves down first.
        offset: u64,
    },
    /// arm64 `.seh_save_fregp reg, offset`: `stp reg, reg+1, [sp, #offset]` (d8..d14).
    SaveFRegP {
        /// The first register of the pair.
        reg: Register,
        /// Where, from the stack pointer.
        offset: u64,
    },
    /// arm64 `.seh_save_fregp_x reg, offset`: `stp reg, reg+1, [sp, #-offset]!`.
    SaveFRegPX {
        /// The first register of the pair.
        reg: Register,
        /// How far the stack pointer moves down first.
        offset: u64,
    },
    /// arm64 `.seh_set_fp`: `mov x29, sp`.
    SetFp,
    /// arm64 `.seh_add_fp offset`: `add x29, sp, #offset`.
    AddFp(u64),
    /// arm64 `.seh_nop`: a prologue or epilogue instruction that changes nothing the unwinder
    /// restores.
    Nop,
    /// arm64 `.seh_pac_sign_lr`: `pacibsp`, lr signed.
    PacSignLr,
    /// arm64 `.seh_startepilogue`: an epilogue starts here; its codes follow, up to
    /// [`SehOp::EndEpilogue`].
    StartEpilogue,
    /// arm64 `.seh_endepilogue`: the epilogue's codes end here; the return instruction comes
    /// next.
    EndEpilogue,
}

impl SehOp {
    /// The directive's name without `.seh_` (the contract's `op`) on `arch`, where x86_64 and
    /// arm64 spell a shared code differently (`savereg`, `save_reg`).
    pub fn name(&self, arch: Architecture) -> &'static str {
        let arm64 = arch == Architecture::Aarch64;
        match self {
            SehOp::PushReg(_) => "pushreg",
            SehOp::SetFrame { .. } => "setframe",
            SehOp::StackAlloc(_) => "stackalloc",
            SehOp::SaveReg { .. } if arm64 => "save_reg",
            SehOp::SaveReg { .. } => "savereg",
            SehOp::SaveXmm { .. } => "savexmm",
            SehOp::PushFrame { .. } => "pushframe",
            SehOp::EndPrologue => "endprologue",
            SehOp::SaveFpLr(_) => "save_fplr",
            SehOp::SaveFpLrX(_) => "save_fplr_x",
            SehOp::SaveRegX { .. } => "save_reg_x",
            SehOp::SaveRegP { .. } => "save_regp",
            SehOp::SaveRegPX { .. } => "save_regp_x",
            SehOp::SaveLrPair { .. } => "save_lrpair",
            SehOp::SaveFReg { .. } => "save_freg",
            SehOp::SaveFRegX { .. } => "save_freg_x",
            SehOp::SaveFRegP { .. } => "save_fregp",
            SehOp::SaveFRegPX { .. } => "save_fregp_x",
            SehOp::SetFp => "set_fp",
            SehOp::AddFp(_) => "add_fp",
            SehOp::Nop => "nop",
            SehOp::PacSignLr => "pac_sign_lr",
            SehOp::StartEpilogue => "startepilogue",
            SehOp::EndEpilogue => "endepilogue",
        }
    }
}

/// A Windows unwind code and where it starts to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SehRule {
    /// Bytes from the function's start: where the `.seh_*` directive stands.
    pub at: u64,
    /// The code.
    pub op: SehOp,
}

/// The unwind information Windows keeps for one function, as objforge writes it into
/// `.pdata`/`.xdata` (see [`windows_unwind_info`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowsUnwind {
    /// arm64's packed form: the `.pdata` entry's second word, no `.xdata`.
    Packed(u32),
    /// The `.xdata` record (x86_64: `UNWIND_INFO`); with a handler, the handler's RVA and
    /// data follow it.
    Record(Vec<u8>),
}

/// The Windows unwind information of a function of `size` bytes from its `seh` codes, on
/// `arch` (x86_64 or arm64), as the COFF writer puts it in `.xdata` or `.pdata`: for code a
/// JIT registers with `RtlAddFunctionTable`, or to compare with a reader. `handler`: the
/// function has an exception handler (whose RVA the caller appends). Errors name
/// `unwind[0]`.
///
/// ```
/// use objforge::Architecture;
/// use objforge::unwind::{windows_unwind_info, SehOp, SehRule, WindowsUnwind};
/// // stp x29, lr, [sp, #-16]!; mov x29, sp; blr x0; ldp x29, lr, [sp], #16; ret
/// let seh = [
///     SehRule { at: 4, op: SehOp::SaveFpLrX(16) },
///     SehRule { at: 8, op: SehOp::SetFp },
///     SehRule { at: 8, op: SehOp::EndPrologue },
///     SehRule { at: 12, op: SehOp::StartEpilogue },
///     SehRule { at: 16, op: SehOp::SaveFpLrX(16) },
///     SehRule { at: 16, op: SehOp::EndEpilogue },
/// ];
/// // Packed: flag 1, 5 instructions, CR 3 (a frame record), a 16-byte frame.
/// assert_eq!(
///     windows_unwind_info(Architecture::Aarch64, 20, &seh, false).unwrap(),
///     WindowsUnwind::Packed(1 | 5 << 2 | 3 << 21 | 1 << 23)
/// );
/// // With a handler: a record (X and E set, one code word: set_fp, save_fplr_x, end, nop).
/// let WindowsUnwind::Record(record) = windows_unwind_info(Architecture::Aarch64, 20, &seh, true).unwrap()
/// else { unreachable!() };
/// assert_eq!(record, [5, 0, 0x70, 0x08, 0xe1, 0x81, 0xe4, 0xe3]);
/// ```
pub fn windows_unwind_info(
    arch: Architecture,
    size: u64,
    seh: &[SehRule],
    handler: bool,
) -> Result<WindowsUnwind, crate::Error> {
    match arch {
        Architecture::Aarch64 => xdata_arm64::unwind_info(0, size, seh, handler),
        Architecture::X86_64 => {
            xdata::unwind_info(0, size, seh, handler).map(WindowsUnwind::Record)
        }
        _ => Err(crate::Error::unsupported(
            crate::error::Place::Unwind(0, "seh".into()),
            format!("Windows unwind codes are x86_64's and arm64's, not {arch}'s"),
        )),
    }
}

/// Where a function's language-specific data area is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lsda {
    /// At a symbol (`.LLSDA0` in GCC's output).
    Symbol(SymbolId),
    /// At an offset in a section (`.gcc_except_table`).
    Section {
        /// The section.
        section: SectionId,
        /// Bytes into it.
        offset: u64,
    },
}

/// How to unwind through one function: `unwind[i]` in a JSON spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionUnwind {
    /// The section holding the function's code.
    pub section: SectionId,
    /// Where the function starts in it.
    pub offset: u64,
    /// The function's size in bytes.
    pub size: u64,
    /// DWARF call-frame rules, in order of `at`. The architecture's rules at a call are
    /// implied (x86_64: CFA = rsp + 8, return address at CFA - 8; i386: CFA = esp + 4, return
    /// address at CFA - 4; AArch64 and RISC-V: CFA = sp).
    pub cfi: Vec<CfiRule>,
    /// Windows unwind codes, in order of `at` (COFF x86_64 and arm64; see [`SehOp`]).
    pub seh: Vec<SehRule>,
    /// The personality routine (`__gxx_personality_v0`), usually an undefined symbol.
    pub personality: Option<SymbolId>,
    /// The language-specific data area the personality routine reads. On COFF, where the
    /// personality routine is the exception handler, it is the handler's data: its bytes, up
    /// to the next LSDA in its section or the section's end, are copied into `.xdata`.
    pub lsda: Option<Lsda>,
    /// The function is a signal trampoline (`.cfi_signal_frame`): the unwinder does not step
    /// back one byte from the return address.
    pub signal_frame: bool,
    /// The column holding the return address (`.cfi_return_column`); `None`: the
    /// architecture's (x86_64 16, i386 8, AArch64 30, RISC-V 1).
    pub return_column: Option<Register>,
}

impl FunctionUnwind {
    /// A function of `size` bytes at `offset` in `section`, with no rules yet (a function that
    /// leaves the stack as the call made it needs none).
    pub fn new(section: SectionId, offset: u64, size: u64) -> FunctionUnwind {
        FunctionUnwind {
            section,
            offset,
            size,
            cfi: Vec::new(),
            seh: Vec::new(),
            personality: None,
            lsda: None,
            signal_frame: false,
            return_column: None,
        }
    }

    /// Adds the call-frame rule `op`, holding from `at` bytes into the function.
    pub fn with_rule(mut self, at: u64, op: CfiOp) -> FunctionUnwind {
        self.cfi.push(CfiRule { at, op });
        self
    }

    /// Adds the Windows unwind code `op` at `at` bytes into the function.
    pub fn with_seh(mut self, at: u64, op: SehOp) -> FunctionUnwind {
        self.seh.push(SehRule { at, op });
        self
    }

    /// Sets the personality routine.
    pub fn with_personality(mut self, personality: SymbolId) -> FunctionUnwind {
        self.personality = Some(personality);
        self
    }

    /// Sets the language-specific data area.
    pub fn with_lsda(mut self, lsda: Lsda) -> FunctionUnwind {
        self.lsda = Some(lsda);
        self
    }

    /// Marks the function a signal trampoline.
    pub fn with_signal_frame(mut self) -> FunctionUnwind {
        self.signal_frame = true;
        self
    }

    /// Sets the return address column.
    pub fn with_return_column(mut self, column: Register) -> FunctionUnwind {
        self.return_column = Some(column);
        self
    }
}

impl Object {
    /// Adds the unwind description of one function and returns its index (the `i` of the
    /// `unwind[i]` errors name). The writer checks it and lowers it into the format's tables
    /// (see [`crate::unwind`]).
    pub fn add_unwind(&mut self, function: FunctionUnwind) -> usize {
        self.unwind.push(function);
        self.unwind.len() - 1
    }
}

/// What the DWARF CFI of an architecture starts from.
pub(crate) struct ArchFacts {
    /// Code alignment factor: every advance is a multiple of it.
    pub code_align: u64,
    /// Data alignment factor: every `offset` rule is a multiple of it.
    pub data_align: i64,
    /// The return address column.
    pub return_column: u16,
    /// The CFA register at a call.
    pub cfa_register: u16,
    /// The CFA offset at a call.
    pub cfa_offset: i64,
    /// Where the return address is at a call, from the CFA (`None`: in its own register).
    pub return_address_at: Option<i64>,
}

impl ArchFacts {
    /// The facts of `arch`, as GCC and GNU as write them; `None` for WebAssembly.
    pub(crate) fn of(arch: Architecture) -> Option<ArchFacts> {
        Some(match arch {
            Architecture::X86_64 => ArchFacts {
                code_align: 1,
                data_align: -8,
                return_column: arch::x86_64::dwarf::RA,
                cfa_register: arch::x86_64::dwarf::RSP,
                cfa_offset: 8,
                return_address_at: Some(-8),
            },
            Architecture::I386 => ArchFacts {
                code_align: 1,
                data_align: -4,
                return_column: arch::i386::dwarf::RA,
                cfa_register: arch::i386::dwarf::ESP,
                cfa_offset: 4,
                return_address_at: Some(-4),
            },
            Architecture::Aarch64 => ArchFacts {
                code_align: 4,
                data_align: -8,
                return_column: arch::aarch64::dwarf::RA,
                cfa_register: arch::aarch64::dwarf::SP,
                cfa_offset: 0,
                return_address_at: None,
            },
            Architecture::Riscv64 => ArchFacts {
                code_align: 1,
                data_align: -4,
                return_column: arch::riscv64::dwarf::RA,
                cfa_register: arch::riscv64::dwarf::SP,
                cfa_offset: 0,
                return_address_at: None,
            },
            // GNU as: code alignment 1, the CFA 160 bytes (the register save area) above
            // %r15 at a call, the return address in %r14.
            Architecture::S390x => ArchFacts {
                code_align: 1,
                data_align: -8,
                return_column: arch::s390x::dwarf::RA,
                cfa_register: arch::s390x::dwarf::SP,
                cfa_offset: 160,
                return_address_at: None,
            },
            // ELFv2: instructions are words, saves are doublewords, the return address
            // arrives in the link register and the CFA is r1 at a call.
            Architecture::Ppc64le => ArchFacts {
                code_align: 4,
                data_align: -8,
                return_column: arch::ppc64le::dwarf::RA,
                cfa_register: arch::ppc64le::dwarf::SP,
                cfa_offset: 0,
                return_address_at: None,
            },
            Architecture::Arm | Architecture::Wasm32 | Architecture::Wasm64 => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every register that has a name is found again by it, and the usual aliases resolve.
    #[test]
    fn register_names_round_trip() {
        for arch in [
            Architecture::X86_64,
            Architecture::I386,
            Architecture::Aarch64,
            Architecture::Riscv64,
            Architecture::S390x,
            Architecture::Ppc64le,
        ] {
            let last = Register::last(arch).unwrap();
            let mut named = 0;
            for n in 0..=last {
                if let Some(name) = Register(n).name(arch) {
                    assert_eq!(
                        Register::from_name(arch, &name),
                        Some(Register(n)),
                        "{arch} {name}"
                    );
                    named += 1;
                }
            }
            assert!(named >= 32, "{arch}: {named}");
        }
        let reg = |arch, name| Register::from_name(arch, name).map(|r| r.0);
        assert_eq!(reg(Architecture::X86_64, "%rbp"), Some(6));
        assert_eq!(reg(Architecture::X86_64, "xmm15"), Some(32));
        assert_eq!(reg(Architecture::X86_64, "xmm16"), Some(67));
        assert_eq!(reg(Architecture::X86_64, "xmm01"), None);
        assert_eq!(reg(Architecture::I386, "ebp"), Some(5));
        assert_eq!(reg(Architecture::Aarch64, "fp"), Some(29));
        assert_eq!(reg(Architecture::Aarch64, "lr"), Some(30));
        assert_eq!(reg(Architecture::Aarch64, "w19"), Some(19));
        assert_eq!(reg(Architecture::Aarch64, "d8"), Some(72));
        assert_eq!(reg(Architecture::Aarch64, "x31"), None);
        assert_eq!(reg(Architecture::Riscv64, "fp"), Some(8));
        assert_eq!(reg(Architecture::Riscv64, "s1"), Some(9));
        assert_eq!(reg(Architecture::Riscv64, "fs0"), Some(40));
        assert_eq!(reg(Architecture::Riscv64, "x8"), Some(8));
        assert_eq!(reg(Architecture::Ppc64le, "r31"), Some(31));
        assert_eq!(reg(Architecture::Ppc64le, "sp"), Some(1));
        assert_eq!(reg(Architecture::Ppc64le, "lr"), Some(65));
        assert_eq!(reg(Architecture::Ppc64le, "f14"), Some(46));
        assert_eq!(reg(Architecture::Ppc64le, "r32"), None);
    }

    /// Random entries, valid or not, on every format that takes them: writing gives bytes or
    /// an error, never a panic (seeded, so a failure repeats).
    #[test]
    fn random_entries_never_panic() {
        use crate::model::{Section, SectionKind, Symbol};
        use crate::target::Target;
        let mut next = crate::unwind::seeded(0x2545_f491_4f6c_dd1d);
        let values = [
            0i64,
            1,
            -1,
            4,
            -4,
            8,
            -8,
            16,
            -16,
            240,
            4096,
            i64::MAX,
            i64::MIN,
        ];
        let mut written = [0usize; 5];
        for round in 0..3000 {
            let triple = [
                "x86_64-unknown-linux-gnu",
                "i686-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu",
                "riscv64-unknown-linux-gnu",
                "x86_64-pc-windows-msvc",
            ][round % 5];
            let target = Target::from_triple(triple).unwrap();
            let mut obj = Object::new(target);
            obj.options.debug_frame = next(4) == 0;
            let text = obj
                .add_section(Section::new(".text", SectionKind::Text).with_bytes(vec![0x90; 64]));
            let p = obj.add_symbol(Symbol::undefined("__gxx_personality_v0"));
            let value =
                |next: &mut dyn FnMut(u64) -> u64| values[next(values.len() as u64) as usize];
            for _ in 0..1 + next(3) {
                let size = 1 + next(40);
                let mut f = FunctionUnwind::new(text, next(40), size);
                if next(4) == 0 {
                    f.personality = Some(p);
                }
                let mut at = 0;
                for _ in 0..next(12) {
                    at += next(6);
                    let reg = Register(if next(8) == 0 {
                        next(400) as u16
                    } else {
                        next(17) as u16
                    });
                    let op = match next(16) {
                        0 => CfiOp::DefCfa {
                            reg,
                            offset: value(&mut next),
                        },
                        1 => CfiOp::DefCfaRegister(reg),
                        2 => CfiOp::DefCfaOffset(value(&mut next)),
                        3 => CfiOp::AdjustCfaOffset(value(&mut next)),
                        4 => CfiOp::Offset {
                            reg,
                            offset: value(&mut next),
                        },
                        5 => CfiOp::ValOffset {
                            reg,
                            offset: value(&mut next),
                        },
                        6 => CfiOp::RelOffset {
                            reg,
                            offset: value(&mut next),
                        },
                        7 => CfiOp::Register {
                            reg,
                            reg2: Register(next(20) as u16),
                        },
                        8 => CfiOp::Restore(reg),
                        9 => CfiOp::Undefined(reg),
                        10 => CfiOp::SameValue(reg),
                        11 => CfiOp::RememberState,
                        12 => CfiOp::RestoreState,
                        13 => CfiOp::Escape(vec![0x2e, next(256) as u8]),
                        14 => CfiOp::NegateRaState,
                        _ => CfiOp::WindowSave,
                    };
                    f.cfi.push(CfiRule {
                        at: if next(20) == 0 { at + 100 } else { at },
                        op,
                    });
                }
                if triple.contains("windows") && next(2) == 0 {
                    let mut at = 0;
                    for _ in 0..next(6) {
                        at += next(5);
                        let reg = Register(next(40) as u16);
                        let n = value(&mut next).unsigned_abs();
                        let op = match next(7) {
                            0 => SehOp::PushReg(reg),
                            1 => SehOp::SetFrame { reg, offset: n },
                            2 => SehOp::StackAlloc(n),
                            3 => SehOp::SaveReg { reg, offset: n },
                            4 => SehOp::SaveXmm { reg, offset: n },
                            5 => SehOp::PushFrame { code: n % 2 == 0 },
                            _ => SehOp::EndPrologue,
                        };
                        f.seh.push(SehRule { at, op });
                    }
                }
                obj.add_unwind(f);
            }
            if obj.write().is_ok() {
                written[round % 5] += 1;
            }
            let functions: Vec<JitFunction<'_>> = obj
                .unwind
                .iter()
                .map(|f| JitFunction {
                    address: f.offset,
                    size: f.size,
                    cfi: &f.cfi,
                    personality: None,
                    lsda: None,
                    signal_frame: false,
                    return_column: None,
                })
                .collect();
            let _ = eh_frame_for_jit(obj.target.arch, &functions);
        }
        // Enough of them valid that the lowering ran, on every target.
        assert!(written.iter().all(|&n| n >= 10), "{written:?}");
    }
}
