//! Relocations as COFF spells them: one `IMAGE_RELOCATION` (offset, symbol, type) each, and
//! the addend stored in the field — as an integer in a data field, in the immediate of an
//! ARM64 instruction. How the addend is stored follows from the COFF type alone, so a
//! `native` relocation of a type objforge knows gets the same treatment as a portable one.
//!
//! [`Mapper`]'s [`map`](RelocMapper::map) is a pure function of the model: the layout calls it for every relocation to find
//! errors and count entries, and the writer again while writing the fields and the entries,
//! so neither is ever stored.

use super::symtab::SymbolTable;
use crate::arch::{aarch64::coff as arm64, i386::coff as i386, x86_64::coff as amd64};
use crate::emit::{KindCache, RelocMapper, RelocSink, Report};
use crate::error::{Error, Place};
use crate::model::{Object, SectionData};
use crate::out::Patch;
use crate::reloc::RelocKind;
use crate::target::Architecture;

/// One `IMAGE_RELOCATION`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RelocationEntry {
    pub virtual_address: u32,
    pub symbol_table_index: u32,
    pub type_: u16,
}

/// How a COFF type keeps its addend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// A little-endian integer of `size` bytes holding A + `bias`: the linker measures a
    /// PC-relative value from `bias` bytes past the field's start (the end of a REL32 field,
    /// and `k` more for AMD64 `REL32_k`).
    Data { size: u8, bias: i64 },
    /// ARM64 B/BL, B.cond/CBZ, TBZ: the linker ORs the offset into the immediate, so there is
    /// no room for an addend.
    Branch,
    /// ARM64 ADRP/ADR: the addend, in bytes, in the signed 21-bit immlo:immhi.
    Adr,
    /// ARM64 ADD: the addend's low 12 bits in imm12.
    Add12,
    /// ARM64 LDR/STR: the addend's low 12 bits, scaled by the access size, in imm12.
    Ldst12,
    /// ARM64 ADD of bits 23:12 (SECREL_HIGH12A): the linker adds the shifted value to imm12,
    /// so there is no room for an addend (its carry into bit 12 would be lost).
    AddHi12,
    /// A `native` type objforge does not know, with addend 0: the bytes stay as given.
    Opaque,
}

/// The storage of COFF type `type_` on `arch`, or `None` for a type objforge does not know.
#[inline(always)]
fn field(arch: Architecture, type_: u16) -> Option<Field> {
    let data = |size, bias| Some(Field::Data { size, bias });
    match arch {
        Architecture::X86_64 => match type_ {
            amd64::ADDR64 => data(8, 0),
            amd64::ADDR32 | amd64::ADDR32NB | amd64::SECREL => data(4, 0),
            amd64::REL32..=amd64::REL32_5 => data(4, 4 + i64::from(type_ - amd64::REL32)),
            amd64::SECTION => data(2, 0),
            _ => None,
        },
        Architecture::I386 => match type_ {
            i386::DIR32 | i386::DIR32NB | i386::SECREL => data(4, 0),
            i386::REL32 => data(4, 4),
            i386::SECTION => data(2, 0),
            _ => None,
        },
        Architecture::Aarch64 => match type_ {
            arm64::ADDR64 => data(8, 0),
            arm64::ADDR32 | arm64::ADDR32NB | arm64::SECREL => data(4, 0),
            arm64::REL32 => data(4, 4),
            arm64::SECTION => data(2, 0),
            arm64::BRANCH26 | arm64::BRANCH19 | arm64::BRANCH14 => Some(Field::Branch),
            arm64::PAGEBASE_REL21 | arm64::REL21 => Some(Field::Adr),
            arm64::PAGEOFFSET_12A => Some(Field::Add12),
            arm64::PAGEOFFSET_12L | arm64::SECREL_LOW12L => Some(Field::Ldst12),
            arm64::SECREL_LOW12A => Some(Field::Add12),
            arm64::SECREL_HIGH12A => Some(Field::AddHi12),
            _ => None,
        },
        Architecture::Riscv64
        | Architecture::S390x
        | Architecture::Ppc64le
        | Architecture::Arm
        | Architecture::Wasm32
        | Architecture::Wasm64 => None,
    }
}

/// The COFF name of a type, for messages.
fn type_name(arch: Architecture, type_: u16) -> String {
    let name = match arch {
        Architecture::X86_64 => match type_ {
            amd64::ADDR64 => "ADDR64",
            amd64::ADDR32 => "ADDR32",
            amd64::ADDR32NB => "ADDR32NB",
            amd64::REL32 => "REL32",
            amd64::SECTION => "SECTION",
            amd64::SECREL => "SECREL",
            t @ amd64::REL32..=amd64::REL32_5 => {
                return format!("IMAGE_REL_AMD64_REL32_{}", t - amd64::REL32)
            }
            _ => "",
        },
        Architecture::I386 => match type_ {
            i386::DIR32 => "DIR32",
            i386::DIR32NB => "DIR32NB",
            i386::SECTION => "SECTION",
            i386::SECREL => "SECREL",
            i386::REL32 => "REL32",
            _ => "",
        },
        Architecture::Aarch64 => match type_ {
            arm64::ADDR32 => "ADDR32",
            arm64::ADDR32NB => "ADDR32NB",
            arm64::BRANCH26 => "BRANCH26",
            arm64::PAGEBASE_REL21 => "PAGEBASE_REL21",
            arm64::REL21 => "REL21",
            arm64::PAGEOFFSET_12A => "PAGEOFFSET_12A",
            arm64::PAGEOFFSET_12L => "PAGEOFFSET_12L",
            arm64::SECREL => "SECREL",
            arm64::SECREL_LOW12A => "SECREL_LOW12A",
            arm64::SECREL_HIGH12A => "SECREL_HIGH12A",
            arm64::SECREL_LOW12L => "SECREL_LOW12L",
            arm64::SECTION => "SECTION",
            arm64::ADDR64 => "ADDR64",
            arm64::BRANCH19 => "BRANCH19",
            arm64::BRANCH14 => "BRANCH14",
            arm64::REL32 => "REL32",
            _ => "",
        },
        Architecture::Riscv64
        | Architecture::S390x
        | Architecture::Ppc64le
        | Architecture::Arm
        | Architecture::Wasm32
        | Architecture::Wasm64 => "",
    };
    let prefix = match arch {
        Architecture::X86_64 => "IMAGE_REL_AMD64_",
        Architecture::I386 => "IMAGE_REL_I386_",
        _ => "IMAGE_REL_ARM64_",
    };
    if name.is_empty() {
        format!("type {type_:#x}")
    } else {
        format!("{prefix}{name}")
    }
}

/// Maps the relocations of one object.
pub(super) struct Mapper<'a> {
    pub obj: &'a Object,
    /// The symbol table, for the entries' indices; `None` while the entries are only counted.
    pub symbols: Option<&'a SymbolTable>,
    /// What each kind is written as, found once per kind.
    pub kinds: KindCache<KindFacts>,
}

impl RelocMapper for Mapper<'_> {
    type Entry = RelocationEntry;

    /// Relocation `i` (in range) as its entry and its in-place addend, handed to `out`; or
    /// why it cannot be written.
    #[inline(always)]
    fn map<R: Report, S: RelocSink<RelocationEntry>>(
        &self,
        i: usize,
        out: &mut S,
    ) -> Result<(), R::Error> {
        let obj = self.obj;
        let arch = obj.target.arch;
        {
            let r = &obj.relocations[i];
            let at = |field| Place::Relocation(i, Some(field));
            let section = &obj.sections[r.section().index()];
            let facts = self
                .kinds
                .get(r, |kind| KindFacts::of(arch, kind, r.addend()));
            let addend = r.addend();
            let (addend, type_, field) = match facts.typed {
                Some((type_, field)) if !facts.by_addend || facts.addend == addend => {
                    (addend, type_, field)
                }
                _ => self.resolve::<R>(i)?,
            };
            let size = match field {
                Field::Data { size, .. } => usize::from(size),
                Field::Opaque => 0,
                _ => 4,
            };
            let len = section.data.len();
            let offset = r.offset() as usize;
            if r.offset()
                .checked_add(size as u64)
                .is_none_or(|end| end > len)
            {
                return Err(R::error(|| {
                    Error::invalid(
                        at("offset"),
                        format!(
                    "{} is past the end of {} ({len} bytes) for the {size}-byte field of COFF {}",
                    r.offset(),
                    section.name,
                    type_name(arch, type_)
                ),
                    )
                }));
            }
            let original = |from: usize| -> u32 {
                match &section.data {
                    SectionData::Bytes(b) => b
                        .get(from..from + 4)
                        .and_then(|w| w.try_into().ok())
                        .map_or(0, u32::from_le_bytes),
                    SectionData::Zero(_) => 0,
                }
            };
            let patch = match field {
                Field::Data { size, bias } => {
                    let value = addend.checked_add(bias).filter(|v| fits(*v, size));
                    let Some(value) = value else {
                        return Err(R::error(|| {
                            Error::invalid(
                                at("addend"),
                                format!(
                            "{addend} does not fit the {size}-byte field where COFF {} stores it{}",
                            type_name(arch, type_),
                            if bias != 0 {
                                format!(" (as the addend + {bias})")
                            } else {
                                String::new()
                            }
                        ),
                            )
                        }));
                    };
                    Some(Patch {
                        offset: r.offset(),
                        bytes: value.to_le_bytes(),
                        len: size,
                    })
                }
                Field::Opaque => None,
                Field::Branch => {
                    if addend != 0 {
                        return Err(R::error(|| {
                            Error::unsupported(
                        at("addend"),
                        format!("{} cannot carry an addend in COFF: the linker ORs the branch offset into the instruction; branch to a symbol at the target instead", r.kind()),
                    )
                        }));
                    }
                    None
                }
                Field::Adr => {
                    if !(-(1 << 20)..1 << 20).contains(&addend) {
                        return Err(R::error(|| {
                            Error::invalid(
                        at("addend"),
                        format!("{addend} does not fit the signed 21-bit immediate where ARM64 COFF stores an ADRP/ADR addend"),
                    )
                        }));
                    }
                    let imm = addend as u32;
                    let insn = original(offset) & !((0x3 << 29) | (0x7ffff << 5));
                    Some(word(
                        r.offset(),
                        insn | ((imm & 0x3) << 29) | (((imm >> 2) & 0x7ffff) << 5),
                    ))
                }
                Field::Add12 => {
                    let insn = original(offset) & !(0xfff << 10);
                    Some(word(r.offset(), insn | (((addend as u32) & 0xfff) << 10)))
                }
                Field::AddHi12 => {
                    if addend != 0 {
                        return Err(R::error(|| {
                            Error::unsupported(
                        at("addend"),
                        format!("{} cannot carry an addend in COFF: the linker adds bits 23:12 of the offset to the immediate, losing the carry of an addend's low bits; use a symbol at the target", r.kind()),
                    )
                        }));
                    }
                    let insn = original(offset) & !(0xfff << 10);
                    Some(word(r.offset(), insn))
                }
                Field::Ldst12 => {
                    let insn = original(offset);
                    // The linker scales by the access size it reads from the instruction.
                    let scale = (insn >> 30)
                        + if insn & 0x0480_0000 == 0x0480_0000 {
                            4
                        } else {
                            0
                        };
                    let wanted = match r.kind() {
                        RelocKind::A64Ldst8Lo12 => Some(0),
                        RelocKind::A64Ldst16Lo12 => Some(1),
                        RelocKind::A64Ldst32Lo12 => Some(2),
                        RelocKind::A64Ldst64Lo12 => Some(3),
                        RelocKind::A64Ldst128Lo12 => Some(4),
                        _ => None,
                    };
                    if wanted.is_some_and(|w| w != scale) {
                        return Err(R::error(|| {
                            Error::invalid(
                        at("kind"),
                        format!(
                            "{} at {} of {}: the instruction there accesses {} bytes, and ARM64 COFF scales the offset by the instruction's size",
                            r.kind(),
                            r.offset(),
                            section.name,
                            1u32 << scale
                        ),
                    )
                        }));
                    }
                    let low = (addend as u32) & 0xfff;
                    if low & ((1 << scale) - 1) != 0 {
                        return Err(R::error(|| {
                            Error::invalid(
                        at("addend"),
                        format!("{addend} is not a multiple of {}, the size of the access, as ARM64 COFF stores it scaled", 1u32 << scale),
                    )
                        }));
                    }
                    let insn = insn & !(0xfff << 10);
                    Some(word(r.offset(), insn | ((low >> scale) << 10)))
                }
            };
            let symbol_table_index = r
                .symbol()
                .zip(self.symbols)
                .map_or(0, |(s, table)| table.index_of_user(s.index()));
            if let Some(p) = patch {
                out.patch(p);
            }
            out.entry(RelocationEntry {
                // Sections are at most 4 GiB (checked before), so the offset fits.
                virtual_address: r.offset() as u32,
                symbol_table_index,
                type_,
            });
            Ok(())
        }
    }
}

impl Mapper<'_> {
    /// Relocation `i`'s addend (a `diff*` made PC-relative: its own), COFF type and how the
    /// type keeps the addend, found from the relocation alone; or why it cannot be written.
    #[inline(always)]
    fn resolve<R: Report>(&self, i: usize) -> Result<(i64, u16, Field), R::Error> {
        let obj = self.obj;
        let arch = obj.target.arch;
        let r = &obj.relocations[i];
        let at = |field| Place::Relocation(i, Some(field));
        let section = &obj.sections[r.section().index()];
        let mut kind = r.kind();
        let mut addend = r.addend();
        if let (true, Some(minus)) = (kind.is_diff(), r.minus()) {
            // No symbol-difference relocation: only one PC-relative in disguise.
            let Some(pcrel) = crate::reloc::difference_as_pcrel(obj, r) else {
                return Err(R::error(|| {
                    Error::unsupported(
                    at("minus"),
                    format!(
                        "COFF has no symbol-difference relocation: `{}` must be defined in {}, the field's section",
                        obj.symbols[minus.index()].name, section.name
                    ),
                )
                }));
            };
            (kind, addend) = pcrel;
        }
        let type_ = match kind {
            RelocKind::Native(native) => u16::try_from(native.r_type).map_err(|_| {
                R::error(|| {
                    Error::invalid(
                        at("native.type"),
                        format!("COFF relocation types are 16-bit; {} is not", native.r_type),
                    )
                })
            })?,
            _ => crate::arch::coff_type(arch, kind, addend).ok_or_else(|| {
                R::error(|| {
                    Error::unsupported(
                        at("kind"),
                        format!(
                            "kind {} has no COFF encoding on {arch}{}",
                            r.kind(),
                            if r.kind().is_tls() {
                                ": Windows reaches thread-locals through `_tls_index` and secrel32 into `.tls$`"
                            } else {
                                ""
                            }
                        ),
                    )
                })
            })?,
        };
        let field = match (field(arch, type_), kind) {
            (Some(f), _) => f,
            // A type objforge does not know: the addend goes in the field as it is.
            (None, _) if addend == 0 => Field::Opaque,
            (None, RelocKind::Native(native)) if matches!(native.size, 1 | 2 | 4 | 8) => {
                Field::Data {
                    size: native.size,
                    bias: 0,
                }
            }
            (None, _) => {
                return Err(R::error(|| {
                    Error::unsupported(
                at("addend"),
                format!("COFF keeps the addend in the field, and objforge does not know how {} stores it: give `native.size` (1, 2, 4 or 8) to store it as an integer", type_name(arch, type_)),
            )
                }))
            }
        };
        Ok((addend, type_, field))
    }
}

/// What mapping a relocation asks of its kind, found once per kind: its COFF type and how the
/// type keeps the addend, for the first addend the kind came with (`typed`, unless the kind
/// is a difference, a native one or has no COFF type), and whether another addend may pick
/// another type (AMD64 `REL32_k`).
#[derive(Clone, Copy)]
pub(super) struct KindFacts {
    addend: i64,
    by_addend: bool,
    typed: Option<(u16, Field)>,
}

impl KindFacts {
    fn of(arch: Architecture, kind: RelocKind, addend: i64) -> KindFacts {
        let typed = if kind.is_diff() || matches!(kind, RelocKind::Native(_)) {
            None
        } else {
            crate::arch::coff_type(arch, kind, addend)
                .and_then(|type_| field(arch, type_).map(|field| (type_, field)))
        };
        KindFacts {
            addend,
            by_addend: crate::arch::coff_addend_picks(arch, kind),
            typed,
        }
    }
}

/// Whether `value` fits a field of `size` bytes, read as signed or unsigned.
#[inline(always)]
fn fits(value: i64, size: u8) -> bool {
    match size {
        1 => (-0x80..=0xff).contains(&value),
        2 => (-0x8000..=0xffff).contains(&value),
        4 => (-0x8000_0000..=0xffff_ffff).contains(&value),
        8 => true,
        _ => false,
    }
}

fn word(offset: u64, insn: u32) -> Patch {
    let mut bytes = [0; 8];
    bytes[..4].copy_from_slice(&insn.to_le_bytes());
    Patch {
        offset,
        bytes,
        len: 4,
    }
}

/// Whether COFF on `arch` can express `kind` at all. COFF has no difference relocation either:
/// `diff32` is REL32 (the minuend in the field's section).
pub(crate) fn supports(arch: Architecture, kind: RelocKind) -> bool {
    let coff = |k| crate::arch::coff_type(arch, k, 0).is_some();
    coff(kind) || kind.diff_as_pcrel().is_some_and(coff)
}
