//! `.eh_frame` records (LSB Core, "Exception Frames"; DWARF 5 section 6.4 for the call-frame
//! instructions): CIEs and FDEs, in the two pointer styles objforge writes.
//!
//! - In an object ([`Style::Pcrel`]): every pointer is `DW_EH_PE_pcrel|sdata4` (0x1b), four
//!   bytes the linker fills from a PC-relative relocation ([`Fixup`]); the personality routine
//!   is reached through a pointer-sized word (`DW_EH_PE_indirect|pcrel|sdata4`, 0x9b), which
//!   the lowering provides as GCC does (`DW.ref.NAME`).
//! - For a JIT ([`Style::Absolute`]): every pointer is `DW_EH_PE_absptr` (0x00), the address
//!   itself, pointer-sized; the table ends with a zero length word, as `__register_frame`
//!   expects.
//!
//! - In a Mach-O object ([`Style::MachO`]): pointers `DW_EH_PE_pcrel|absptr` (0x10), eight
//!   bytes each, as LLVM writes them for Apple's linkers (a `SUBTRACTOR`/`UNSIGNED` pair each);
//!   the personality routine through its GOT slot (`DW_EH_PE_indirect|pcrel|sdata4`, a
//!   GOT-relative relocation).
//!
//! - In `.debug_frame` ([`Style::Debug`]): no augmentation, addresses pointer-sized fields
//!   filled by `abs64`/`abs32` relocations, CIE pointers `secrel32` offsets into the section.
//!
//! A CIE is written before the first FDE that uses it and shared by every later FDE with the
//! same personality, LSDA use, signal-frame flag and return column. Each record is padded
//! with `DW_CFA_nop` to a multiple of the pointer size.

use super::check::check_rules;
use super::{ArchFacts, CfiOp, CfiRule, Register};
use crate::error::{Error, Place};
use crate::leb128::{sleb128, uleb128};
use crate::model::{SectionId, SymbolId};
use crate::target::Architecture;

/// `DW_EH_PE_pcrel | DW_EH_PE_sdata4`.
const PCREL_SDATA4: u8 = 0x1b;
/// `DW_EH_PE_indirect | DW_EH_PE_pcrel | DW_EH_PE_sdata4`.
const INDIRECT_PCREL_SDATA4: u8 = 0x9b;
/// `DW_EH_PE_absptr`.
const ABSPTR: u8 = 0x00;
/// `DW_EH_PE_pcrel | DW_EH_PE_absptr`: a pointer-sized PC-relative field (Mach-O).
const PCREL_ABSPTR: u8 = 0x10;

// Call-frame instructions (DWARF 5, 7.24), and `DW_CFA_GNU_window_save`.
const DW_CFA_ADVANCE_LOC: u8 = 0x40;
const DW_CFA_OFFSET: u8 = 0x80;
const DW_CFA_RESTORE: u8 = 0xc0;
const DW_CFA_ADVANCE_LOC1: u8 = 0x02;
const DW_CFA_ADVANCE_LOC2: u8 = 0x03;
const DW_CFA_ADVANCE_LOC4: u8 = 0x04;
const DW_CFA_OFFSET_EXTENDED: u8 = 0x05;
const DW_CFA_RESTORE_EXTENDED: u8 = 0x06;
const DW_CFA_UNDEFINED: u8 = 0x07;
const DW_CFA_SAME_VALUE: u8 = 0x08;
const DW_CFA_REGISTER: u8 = 0x09;
const DW_CFA_REMEMBER_STATE: u8 = 0x0a;
const DW_CFA_RESTORE_STATE: u8 = 0x0b;
const DW_CFA_DEF_CFA: u8 = 0x0c;
const DW_CFA_DEF_CFA_REGISTER: u8 = 0x0d;
const DW_CFA_DEF_CFA_OFFSET: u8 = 0x0e;
const DW_CFA_OFFSET_EXTENDED_SF: u8 = 0x11;
const DW_CFA_DEF_CFA_SF: u8 = 0x12;
const DW_CFA_DEF_CFA_OFFSET_SF: u8 = 0x13;
const DW_CFA_VAL_OFFSET: u8 = 0x14;
const DW_CFA_VAL_OFFSET_SF: u8 = 0x15;
/// Also AArch64's `DW_CFA_AARCH64_negate_ra_state`.
const DW_CFA_GNU_WINDOW_SAVE: u8 = 0x2d;

/// How pointers are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// Four-byte PC-relative fields filled by relocations (objects).
    Pcrel,
    /// Absolute addresses, pointer-sized (JIT code in memory).
    Absolute,
    /// Pointer-sized PC-relative fields filled by relocations, the personality a four-byte
    /// PC-relative pointer to its GOT slot (Mach-O `__eh_frame`).
    MachO,
    /// `.debug_frame` (DWARF 5, 6.4.1), section `own`: no augmentation, CIE id `0xffffffff`,
    /// addresses pointer-sized fields filled by relocations, each FDE's CIE pointer an offset
    /// into `own` filled by a relocation.
    Debug {
        /// The `.debug_frame` section being built.
        own: SectionId,
    },
}

/// How a relocated field is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FixupKind {
    /// Four bytes, PC-relative (`.eh_frame`).
    Pcrel32,
    /// Eight bytes, PC-relative (Mach-O `__eh_frame`).
    Pcrel64,
    /// Four bytes, PC-relative, to the target's GOT slot (Mach-O `__eh_frame`'s personality).
    GotPcrel32,
    /// A pointer-sized absolute address (`.debug_frame`).
    Address,
    /// A four-byte offset into a section (`.debug_frame`'s CIE pointers).
    SectionOffset,
}

/// What a relocated field points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FixupTarget {
    /// A place in a section.
    Section {
        /// The section.
        section: SectionId,
        /// Bytes into it.
        offset: u64,
    },
    /// A symbol.
    Symbol(SymbolId),
}

/// A field of the records a relocation fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fixup {
    /// Offset of the field in the records.
    pub at: usize,
    /// What it points at.
    pub target: FixupTarget,
    /// How.
    pub kind: FixupKind,
}

/// A pointer field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pointer {
    /// Filled by the linker ([`Style::Pcrel`]).
    Fixup(FixupTarget),
    /// An address ([`Style::Absolute`]).
    Address(u64),
}

/// One function, as the encoder takes it.
pub(crate) struct Frame<'a> {
    /// Where the code starts.
    pub start: Pointer,
    /// Bytes of code.
    pub size: u64,
    /// Its rules.
    pub cfi: &'a [CfiRule],
    /// The personality routine's pointer (through `DW.ref` in [`Style::Pcrel`]).
    pub personality: Option<Pointer>,
    /// The LSDA's pointer.
    pub lsda: Option<Pointer>,
    /// `.cfi_signal_frame`.
    pub signal_frame: bool,
    /// The return address column.
    pub return_column: u16,
}

/// The records and their PC-relative fields.
pub(crate) struct Records {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The fields a relocation fills ([`Style::Pcrel`] only).
    pub fixups: Vec<Fixup>,
}

/// What makes two functions' CIEs the same.
#[derive(PartialEq)]
struct CieKey {
    personality: Option<Pointer>,
    lsda: bool,
    signal_frame: bool,
    return_column: u16,
}

struct Writer {
    bytes: Vec<u8>,
    fixups: Vec<Fixup>,
    style: Style,
    pointer_size: usize,
    big_endian: bool,
}

impl Writer {
    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    fn set_u32(&mut self, at: usize, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes[at..at + 4].copy_from_slice(&b);
    }

    /// The size of an encoded pointer.
    fn pointer_len(&self) -> usize {
        match self.style {
            Style::Pcrel => 4,
            Style::Absolute | Style::Debug { .. } | Style::MachO => self.pointer_size,
        }
    }

    /// A number in a pointer-sized field (the FDE's address range).
    fn number(&mut self, v: u64) {
        match self.pointer_len() {
            4 => self.u32(v as u32),
            _ => {
                let b = if self.big_endian {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                };
                self.bytes.extend_from_slice(&b);
            }
        }
    }

    fn pointer(&mut self, p: Pointer) {
        match p {
            Pointer::Fixup(target) => {
                let kind = match self.style {
                    Style::Debug { .. } => FixupKind::Address,
                    Style::MachO => FixupKind::Pcrel64,
                    _ => FixupKind::Pcrel32,
                };
                self.fixups.push(Fixup {
                    at: self.bytes.len(),
                    target,
                    kind,
                });
                self.number(0);
            }
            Pointer::Address(a) => self.number(a),
        }
    }

    /// Pads the record that started at `start` (its length word) with `DW_CFA_nop` to a
    /// multiple of the pointer size (on Mach-O: a CIE to 4 bytes, an FDE to where the section
    /// is 8-byte aligned), and fills in its length.
    fn finish_record(&mut self, start: usize, cie: bool) {
        // LLVM pads a Mach-O CIE to 4 bytes and an FDE to where the section is 8-byte
        // aligned again; with the same sizes, the linked FDEs are at the offsets clang's are.
        let (align, from) = match self.style {
            Style::MachO if cie => (4, 0),
            Style::MachO => (8, 0),
            _ => (self.pointer_size, start),
        };
        while !(self.bytes.len() - from).is_multiple_of(align) {
            self.bytes.push(0);
        }
        let len = (self.bytes.len() - start - 4) as u32;
        self.set_u32(start, len);
    }

    /// The encoding byte of a pointer field.
    fn encoding(&self) -> u8 {
        match self.style {
            Style::Pcrel => PCREL_SDATA4,
            Style::MachO => PCREL_ABSPTR,
            Style::Absolute | Style::Debug { .. } => ABSPTR,
        }
    }

    fn cie(&mut self, facts: &ArchFacts, key: &CieKey) {
        let start = self.bytes.len();
        self.u32(0); // length, filled in below
        let debug = matches!(self.style, Style::Debug { .. });
        self.u32(if debug { 0xffff_ffff } else { 0 }); // CIE id
        let wide_column = key.return_column > 255;
        self.bytes.push(if wide_column { 3 } else { 1 });
        if debug {
            // No augmentation: `.debug_frame` has no personality, LSDA or pointer encoding.
            self.bytes.push(0);
            uleb128(&mut self.bytes, facts.code_align);
            sleb128(&mut self.bytes, facts.data_align);
            if wide_column {
                uleb128(&mut self.bytes, u64::from(key.return_column));
            } else {
                self.bytes.push(key.return_column as u8);
            }
            self.initial_rules(facts);
            self.finish_record(start, true);
            return;
        }
        self.bytes.push(b'z');
        if key.personality.is_some() {
            self.bytes.push(b'P');
        }
        if key.lsda {
            self.bytes.push(b'L');
        }
        self.bytes.push(b'R');
        if key.signal_frame {
            self.bytes.push(b'S');
        }
        self.bytes.push(0);
        uleb128(&mut self.bytes, facts.code_align);
        sleb128(&mut self.bytes, facts.data_align);
        if wide_column {
            uleb128(&mut self.bytes, u64::from(key.return_column));
        } else {
            self.bytes.push(key.return_column as u8);
        }
        let mut data_len = 1;
        if key.personality.is_some() {
            data_len += 1 + if self.style == Style::MachO {
                4
            } else {
                self.pointer_len()
            };
        }
        if key.lsda {
            data_len += 1;
        }
        uleb128(&mut self.bytes, data_len as u64);
        if let Some(p) = key.personality {
            self.bytes.push(match self.style {
                Style::Pcrel | Style::MachO => INDIRECT_PCREL_SDATA4,
                Style::Absolute | Style::Debug { .. } => ABSPTR,
            });
            match (self.style, p) {
                // The linker makes the GOT slot; the field is the slot's distance.
                (Style::MachO, Pointer::Fixup(target)) => {
                    self.fixups.push(Fixup {
                        at: self.bytes.len(),
                        target,
                        kind: FixupKind::GotPcrel32,
                    });
                    self.u32(0);
                }
                _ => self.pointer(p),
            }
        }
        if key.lsda {
            self.bytes.push(self.encoding());
        }
        self.bytes.push(self.encoding());
        self.initial_rules(facts);
        self.finish_record(start, true);
    }

    /// The rules at a call.
    fn initial_rules(&mut self, facts: &ArchFacts) {
        self.bytes.push(DW_CFA_DEF_CFA);
        uleb128(&mut self.bytes, u64::from(facts.cfa_register));
        uleb128(&mut self.bytes, facts.cfa_offset as u64);
        if let Some(at) = facts.return_address_at {
            let factored = at / facts.data_align;
            self.bytes.push(DW_CFA_OFFSET | facts.return_column as u8);
            uleb128(&mut self.bytes, factored as u64);
        }
    }

    fn fde(&mut self, cie: usize, frame: &Frame<'_>, instructions: &[u8]) {
        let start = self.bytes.len();
        self.u32(0); // length, filled in below
        let pointer_at = self.bytes.len();
        if let Style::Debug { own } = self.style {
            // An offset into the section, which the linker moves with it.
            self.fixups.push(Fixup {
                at: pointer_at,
                target: FixupTarget::Section {
                    section: own,
                    offset: cie as u64,
                },
                kind: FixupKind::SectionOffset,
            });
            self.u32(0);
        } else {
            self.u32((pointer_at - cie) as u32);
        }
        self.pointer(frame.start);
        self.number(frame.size);
        if let Style::Debug { .. } = self.style {
            // No augmentation data.
        } else if let Some(lsda) = frame.lsda {
            let len = self.pointer_len() as u64;
            uleb128(&mut self.bytes, len);
            self.pointer(lsda);
        } else {
            uleb128(&mut self.bytes, 0);
        }
        self.bytes.extend_from_slice(instructions);
        self.finish_record(start, false);
    }
}

/// Encodes `frames` (function `i` is `unwind[i]` in errors). `big_endian` is the target's.
pub(crate) fn encode(
    arch: Architecture,
    facts: &ArchFacts,
    style: Style,
    big_endian: bool,
    frames: &[Frame<'_>],
) -> Result<Records, Error> {
    let mut w = Writer {
        bytes: Vec::new(),
        fixups: Vec::new(),
        style,
        pointer_size: usize::from(arch.pointer_width()),
        big_endian,
    };
    let mut cies: Vec<(CieKey, usize)> = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        let instructions = instructions(facts, big_endian, i, frame.cfi)?;
        let key = CieKey {
            personality: frame.personality,
            lsda: frame.lsda.is_some(),
            signal_frame: frame.signal_frame,
            return_column: frame.return_column,
        };
        let cie = match cies.iter().find(|(k, _)| *k == key) {
            Some(&(_, at)) => at,
            None => {
                let at = w.bytes.len();
                w.cie(facts, &key);
                cies.push((key, at));
                at
            }
        };
        w.fde(cie, frame, &instructions);
    }
    if u32::try_from(w.bytes.len()).is_err() {
        return Err(Error::unsupported(
            Place::Object,
            format!(
                "the unwind tables would be {} bytes, more than 4 GiB",
                w.bytes.len()
            ),
        ));
    }
    if style == Style::Absolute {
        w.u32(0);
    }
    Ok(Records {
        bytes: w.bytes,
        fixups: w.fixups,
    })
}

/// The call-frame instructions of one function's rules.
fn instructions(
    facts: &ArchFacts,
    big_endian: bool,
    i: usize,
    rules: &[CfiRule],
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut loc = 0u64;
    let mut cfa_offset = facts.cfa_offset;
    let mut remembered: Vec<i64> = Vec::new();
    for (j, rule) in rules.iter().enumerate() {
        let offset_place = || Place::Unwind(i, format!("cfi[{j}].offset"));
        if rule.at > loc {
            advance(&mut out, (rule.at - loc) / facts.code_align, big_endian);
            loc = rule.at;
        }
        let factored = |offset: i64| -> Result<i64, Error> {
            if offset % facts.data_align != 0 {
                return Err(Error::invalid(
                    offset_place(),
                    format!(
                        "the register's place, CFA{offset:+}, is not a multiple of {} bytes, the unit .eh_frame counts in on this architecture",
                        -facts.data_align
                    ),
                ));
            }
            Ok(offset / facts.data_align)
        };
        match rule.op {
            CfiOp::DefCfa { reg, offset } => {
                cfa_offset = offset;
                if offset >= 0 {
                    out.push(DW_CFA_DEF_CFA);
                    uleb128(&mut out, u64::from(reg.0));
                    uleb128(&mut out, offset as u64);
                } else {
                    let f = factored(offset)?;
                    out.push(DW_CFA_DEF_CFA_SF);
                    uleb128(&mut out, u64::from(reg.0));
                    sleb128(&mut out, f);
                }
            }
            CfiOp::DefCfaRegister(reg) => {
                out.push(DW_CFA_DEF_CFA_REGISTER);
                uleb128(&mut out, u64::from(reg.0));
            }
            CfiOp::DefCfaOffset(offset) | CfiOp::AdjustCfaOffset(offset) => {
                cfa_offset = if let CfiOp::AdjustCfaOffset(_) = rule.op {
                    cfa_offset.saturating_add(offset)
                } else {
                    offset
                };
                if cfa_offset >= 0 {
                    out.push(DW_CFA_DEF_CFA_OFFSET);
                    uleb128(&mut out, cfa_offset as u64);
                } else {
                    let f = factored(cfa_offset)?;
                    out.push(DW_CFA_DEF_CFA_OFFSET_SF);
                    sleb128(&mut out, f);
                }
            }
            CfiOp::Offset { reg, offset } | CfiOp::RelOffset { reg, offset } => {
                let from_cfa = if let CfiOp::RelOffset { .. } = rule.op {
                    offset.saturating_sub(cfa_offset)
                } else {
                    offset
                };
                let f = factored(from_cfa)?;
                save(&mut out, reg, f);
            }
            CfiOp::ValOffset { reg, offset } => {
                let f = factored(offset)?;
                if f >= 0 {
                    out.push(DW_CFA_VAL_OFFSET);
                    uleb128(&mut out, u64::from(reg.0));
                    uleb128(&mut out, f as u64);
                } else {
                    out.push(DW_CFA_VAL_OFFSET_SF);
                    uleb128(&mut out, u64::from(reg.0));
                    sleb128(&mut out, f);
                }
            }
            CfiOp::Register { reg, reg2 } => {
                out.push(DW_CFA_REGISTER);
                uleb128(&mut out, u64::from(reg.0));
                uleb128(&mut out, u64::from(reg2.0));
            }
            CfiOp::Restore(reg) => {
                if reg.0 < 64 {
                    out.push(DW_CFA_RESTORE | reg.0 as u8);
                } else {
                    out.push(DW_CFA_RESTORE_EXTENDED);
                    uleb128(&mut out, u64::from(reg.0));
                }
            }
            CfiOp::Undefined(reg) => {
                out.push(DW_CFA_UNDEFINED);
                uleb128(&mut out, u64::from(reg.0));
            }
            CfiOp::SameValue(reg) => {
                out.push(DW_CFA_SAME_VALUE);
                uleb128(&mut out, u64::from(reg.0));
            }
            CfiOp::RememberState => {
                remembered.push(cfa_offset);
                out.push(DW_CFA_REMEMBER_STATE);
            }
            CfiOp::RestoreState => {
                cfa_offset = remembered.pop().unwrap_or(cfa_offset);
                out.push(DW_CFA_RESTORE_STATE);
            }
            CfiOp::Escape(ref bytes) => out.extend_from_slice(bytes),
            CfiOp::NegateRaState | CfiOp::WindowSave => out.push(DW_CFA_GNU_WINDOW_SAVE),
        }
    }
    Ok(out)
}

/// `reg` saved at CFA + `factored` × the data alignment factor.
fn save(out: &mut Vec<u8>, reg: Register, factored: i64) {
    if factored < 0 {
        out.push(DW_CFA_OFFSET_EXTENDED_SF);
        uleb128(out, u64::from(reg.0));
        sleb128(out, factored);
    } else if reg.0 < 64 {
        out.push(DW_CFA_OFFSET | reg.0 as u8);
        uleb128(out, factored as u64);
    } else {
        out.push(DW_CFA_OFFSET_EXTENDED);
        uleb128(out, u64::from(reg.0));
        uleb128(out, factored as u64);
    }
}

/// Moves the location `delta` code alignment units on, in the shortest form.
fn advance(out: &mut Vec<u8>, delta: u64, big_endian: bool) {
    if delta < 0x40 {
        out.push(DW_CFA_ADVANCE_LOC | delta as u8);
    } else if delta <= 0xff {
        out.extend_from_slice(&[DW_CFA_ADVANCE_LOC1, delta as u8]);
    } else if delta <= 0xffff {
        out.push(DW_CFA_ADVANCE_LOC2);
        let d = delta as u16;
        out.extend_from_slice(&if big_endian {
            d.to_be_bytes()
        } else {
            d.to_le_bytes()
        });
    } else {
        // Checked: a function is at most 4 GiB.
        out.push(DW_CFA_ADVANCE_LOC4);
        let d = delta as u32;
        out.extend_from_slice(&if big_endian {
            d.to_be_bytes()
        } else {
            d.to_le_bytes()
        });
    }
}

/// A function a JIT has placed in memory, for [`eh_frame_for_jit`].
#[derive(Clone, Debug)]
pub struct JitFunction<'a> {
    /// The address of its first instruction.
    pub address: u64,
    /// Its size in bytes.
    pub size: u64,
    /// Its call-frame rules, as for [`super::FunctionUnwind::cfi`].
    pub cfi: &'a [CfiRule],
    /// The address of its personality routine, if any.
    pub personality: Option<u64>,
    /// The address of its language-specific data area, if any.
    pub lsda: Option<u64>,
    /// `.cfi_signal_frame`.
    pub signal_frame: bool,
    /// The return address column; `None`: the architecture's.
    pub return_column: Option<Register>,
}

/// The `.eh_frame` records of `functions`, which a JIT has placed at known addresses: every
/// pointer is absolute (`DW_EH_PE_absptr`), the table ends with a zero length word, and the
/// bytes are little-endian. Hand the start of the bytes to libgcc's `__register_frame` (which
/// reads records until the terminator; LLVM's libunwind takes one FDE per call instead).
/// Errors name function `i` as `unwind[i]`.
///
/// ```
/// use objforge::Architecture;
/// use objforge::unwind::{eh_frame_for_jit, CfiOp, CfiRule, JitFunction, Register};
/// // push rbp; mov rbp, rsp; ... at 0x7000_0000
/// let rbp = Register::from_name(Architecture::X86_64, "rbp").unwrap();
/// let rules = [
///     CfiRule { at: 1, op: CfiOp::DefCfaOffset(16) },
///     CfiRule { at: 1, op: CfiOp::Offset { reg: rbp, offset: -16 } },
///     CfiRule { at: 4, op: CfiOp::DefCfaRegister(rbp) },
/// ];
/// let f = JitFunction {
///     address: 0x7000_0000, size: 32, cfi: &rules,
///     personality: None, lsda: None, signal_frame: false, return_column: None,
/// };
/// let table = eh_frame_for_jit(Architecture::X86_64, &[f]).unwrap();
/// assert_eq!(&table[table.len() - 4..], &[0, 0, 0, 0]);
/// ```
pub fn eh_frame_for_jit(
    arch: Architecture,
    functions: &[JitFunction<'_>],
) -> Result<Vec<u8>, Error> {
    let Some(facts) = ArchFacts::of(arch) else {
        return Err(Error::unsupported(
            Place::Target,
            format!("{arch} has no .eh_frame unwind tables"),
        ));
    };
    let mut frames = Vec::with_capacity(functions.len());
    for (i, f) in functions.iter().enumerate() {
        if f.size == 0 || f.size > u64::from(u32::MAX) {
            return Err(Error::invalid(
                Place::Unwind(i, "size".into()),
                format!("{} bytes: a function is 1 byte to 4 GiB", f.size),
            ));
        }
        if let Some(column) = f.return_column {
            super::check::check_register(arch, column, Place::Unwind(i, "return_column".into()))?;
        }
        check_rules(arch, &facts, i, f.size, f.cfi)?;
        frames.push(Frame {
            start: Pointer::Address(f.address),
            size: f.size,
            cfi: f.cfi,
            personality: f.personality.map(Pointer::Address),
            lsda: f.lsda.map(Pointer::Address),
            signal_frame: f.signal_frame,
            return_column: f.return_column.map_or(facts.return_column, |r| r.0),
        });
    }
    Ok(encode(arch, &facts, Style::Absolute, false, &frames)?.bytes)
}
