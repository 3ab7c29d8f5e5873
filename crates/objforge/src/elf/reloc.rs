//! How one model relocation becomes ELF relocation entries: one entry, or two at the same
//! offset for a RISC-V symbol difference (`ADD*` then `SUB*`); and, for REL (i386, 32-bit
//! Arm), the addend stored in the field instead (on Arm inside the instruction's immediate).
//!
//! [`Mapper`]'s [`map`](RelocMapper::map) is a pure function of the model and the symbol table: the layout calls it
//! for every relocation to find errors and count entries, and the writer calls it again while
//! writing, so no entry is ever stored.

use super::symtab::SymbolTable;
use super::Class;
use crate::arch::{elf_encoding, ElfEncoding};
use crate::emit::{KindCache, RelocMapper, RelocSink, Report};
use crate::error::{Error, Place};
use crate::model::{Object, SectionData, SectionKind};
use crate::out::Patch;
use crate::reloc::{FieldShape, RelocKind};
use crate::target::Architecture;

/// One relocation entry as written.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Entry {
    pub offset: u64,
    pub symbol: u32,
    pub r_type: u32,
    pub addend: i64,
}

/// Maps relocations of one object.
pub(super) struct Mapper<'a> {
    pub obj: &'a Object,
    pub class: &'a Class,
    /// The symbol table, for the entries' indices; `None` while the entries are only counted.
    pub symbols: Option<&'a SymbolTable>,
    pub big_endian: bool,
    /// What each kind needs, found once per kind.
    pub kinds: KindCache<KindFacts>,
}

/// What mapping a relocation asks of its kind.
#[derive(Clone, Copy)]
pub(super) struct KindFacts {
    kind: RelocKind,
    pcrel_lo12: bool,
    tls: bool,
    diff: bool,
    /// The encoding, unless it depends on the bytes before the field (`x86_gotpcrel32`).
    encoding: Option<Option<ElfEncoding>>,
    /// The field's size when it is plain data (what REL stores the addend in), else 0.
    data_size: u8,
}

impl KindFacts {
    fn of(arch: Architecture, kind: RelocKind) -> KindFacts {
        KindFacts {
            kind,
            pcrel_lo12: kind.is_pcrel_lo12(),
            tls: kind.is_tls(),
            diff: kind.is_diff(),
            encoding: (kind != RelocKind::X86GotPcrel32).then(|| elf_encoding(arch, kind, &[])),
            data_size: data_size(kind),
        }
    }
}

/// The field's size when it is plain data, else 0.
fn data_size(kind: RelocKind) -> u8 {
    match kind.shape() {
        FieldShape::Data(n) => n,
        FieldShape::Instruction { .. } | FieldShape::PaddedLeb(_) => 0,
    }
}

impl Mapper<'_> {
    /// The symbol table index of model symbol `i` (0 while only counting).
    #[inline]
    fn index_of_user(&self, i: usize) -> u32 {
        self.symbols.map_or(0, |t| t.index_of_user(i))
    }
}

impl RelocMapper for Mapper<'_> {
    type Entry = Entry;

    /// Relocation `i` (in range) as entries (and a stored addend), handed to `out`; or why it
    /// cannot be written.
    #[inline(always)]
    fn map<R: Report, S: RelocSink<Entry>>(&self, i: usize, out: &mut S) -> Result<(), R::Error> {
        let obj = self.obj;
        let arch = obj.target.arch;
        let r = &obj.relocations[i];
        let at = |field| Place::Relocation(i, Some(field));
        let facts = self.kinds.get(r, |kind| KindFacts::of(arch, kind));
        let mut kind = facts.kind;
        let mut addend = r.addend();
        let symbol = match r.symbol() {
            Some(s) => self.index_of_user(s.index()),
            None => 0,
        };
        if facts.pcrel_lo12 {
            if addend != 0 {
                return Err(R::error(|| {
                    Error::invalid(
                    at("addend"),
                    format!("a {kind} relocation takes its value from the hi20 at `pair`; its addend must be 0"),
                )
                }));
            }
            let pair = r.pair().unwrap_or(0);
            out.entry(Entry {
                offset: r.offset(),
                symbol: (self.symbols).map_or(0, |t| t.pcrel_label(r.section().index(), pair)),
                r_type: match facts.encoding.flatten() {
                    Some(ElfEncoding::One(t)) => t,
                    _ => return Err(R::error(|| no_encoding(i, kind, arch))),
                },
                addend: 0,
            });
            return Ok(());
        }
        if facts.tls {
            // A TLS kind's value is an offset in a TLS block: a target in an ordinary section
            // has none, and the linker would refuse it far from here.
            let in_plain_section = r
                .symbol()
                .and_then(|s| obj.symbols[s.index()].section_id())
                .is_some_and(|s| {
                    !matches!(
                        obj.sections[s.index()].kind,
                        SectionKind::TlsData | SectionKind::TlsBss
                    )
                });
            if in_plain_section {
                return Err(R::error(|| {
                    Error::invalid(
                        at("symbol"),
                        format!("kind {kind} needs a thread-local target (defined in a tls_data or tls_bss section, or undefined)"),
                    )
                }));
            }
        }
        if kind == RelocKind::Secrel32 {
            let target_alloc = r
                .symbol()
                .and_then(|s| obj.symbols[s.index()].section_id())
                .map(|s| obj.sections[s.index()].kind.is_allocated());
            if target_alloc != Some(false) {
                return Err(R::error(|| {
                    Error::unsupported(
                    at("kind"),
                    "secrel32 on ELF needs a symbol defined in a non-allocated (debug/other) section, where an address is the offset in the section",
                )
                }));
            }
        }
        let mut facts = facts;
        if let (true, Some(minus)) = (facts.diff, r.minus()) {
            let add_sub = matches!(facts.encoding.flatten(), Some(ElfEncoding::AddSub(..)));
            if !add_sub {
                // No symbol-difference relocation: only one PC-relative in disguise.
                let Some(pcrel) = crate::reloc::difference_as_pcrel(obj, r) else {
                    return Err(R::error(|| {
                        Error::unsupported(
                            at("minus"),
                            format!(
                                "ELF on {arch} has no symbol-difference relocation: `{}` must be defined in {}, the field's section",
                                obj.symbols[minus.index()].name, obj.sections[r.section().index()].name
                            ),
                        )
                    }));
                };
                (kind, addend) = pcrel;
                facts = KindFacts::of(arch, kind);
            }
        }
        let encoding = match facts.encoding {
            Some(encoding) => encoding,
            // x86_gotpcrel32: the instruction before the field picks the type.
            None => {
                let before: &[u8] = match &obj.sections[r.section().index()].data {
                    SectionData::Bytes(b) => {
                        let start = r.offset().saturating_sub(3) as usize;
                        b.get(start..r.offset() as usize).unwrap_or(&[])
                    }
                    SectionData::Zero(_) => &[],
                };
                elf_encoding(arch, kind, before)
            }
        };
        let Some(encoding) = encoding else {
            return Err(R::error(|| no_encoding(i, kind, arch)));
        };
        match encoding {
            ElfEncoding::One(r_type) => {
                let size = facts.data_size;
                // REL: the field is the addend, so it is written even when the addend is 0 —
                // bytes a JIT left there must not become one. A native kind of unknown size
                // with addend 0 is left as given.
                let arm_field = if arch == Architecture::Arm {
                    crate::arch::arm::field(kind)
                } else {
                    None
                };
                if let (false, Some(field)) = (self.class.rela, arm_field) {
                    let word = match &obj.sections[r.section().index()].data {
                        SectionData::Bytes(b) => usize::try_from(r.offset())
                            .ok()
                            .and_then(|o| b.get(o..o.checked_add(4)?))
                            .map_or(0, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                        SectionData::Zero(_) => 0,
                    };
                    match crate::arch::arm::store_addend(field, word, addend) {
                        Ok(stored) => {
                            out.patch(Patch::int(r.offset(), 4, i64::from(stored), false));
                        }
                        Err(why) => {
                            return Err(R::error(|| {
                                Error::invalid(
                                    at("addend"),
                                    format!("{addend} {why}: the {kind} field cannot hold it (REL stores the addend there)"),
                                )
                            }))
                        }
                    }
                    addend = 0;
                } else if !self.class.rela && (addend != 0 || size > 0) {
                    if let Err(e) = check_implicit_addend(i, kind, size, addend) {
                        return Err(R::error(|| e));
                    }
                    out.patch(Patch::int(r.offset(), size, addend, self.big_endian));
                    addend = 0;
                }
                out.entry(Entry {
                    offset: r.offset(),
                    symbol,
                    r_type,
                    addend,
                });
            }
            ElfEncoding::AddSub(add, sub) => {
                let minus = r
                    .minus()
                    .map(|m| self.index_of_user(m.index()))
                    .unwrap_or(0);
                out.entry(Entry {
                    offset: r.offset(),
                    symbol,
                    r_type: add,
                    addend,
                });
                out.entry(Entry {
                    offset: r.offset(),
                    symbol: minus,
                    r_type: sub,
                    addend: 0,
                });
            }
        }
        Ok(())
    }
}

fn no_encoding(i: usize, kind: RelocKind, arch: Architecture) -> Error {
    Error::unsupported(
        Place::Relocation(i, Some("kind")),
        format!("kind {kind} has no ELF encoding on {arch}"),
    )
}

/// REL keeps the addend in the field: it must fit there.
fn check_implicit_addend(i: usize, kind: RelocKind, size: u8, addend: i64) -> Result<(), Error> {
    let fits = match size {
        1 => (-0x80..=0xff).contains(&addend),
        2 => (-0x8000..=0xffff).contains(&addend),
        4 => (-0x8000_0000..=0xffff_ffff).contains(&addend),
        8 => true,
        _ => false,
    };
    if fits {
        Ok(())
    } else if size == 0 {
        Err(Error::unsupported(
            Place::Relocation(i, Some("addend")),
            format!("REL stores the addend in the field, and the size of this {kind} field is unknown (give `native.size`)"),
        ))
    } else {
        Err(Error::invalid(
            Place::Relocation(i, Some("addend")),
            format!("{addend} does not fit the {size}-byte field where REL stores it"),
        ))
    }
}

/// Whether ELF on `arch` can express `kind` at all. Without a difference relocation, ELF
/// spells `diff*` as PC-relative (the minuend in the field's section).
pub(crate) fn supports(arch: Architecture, kind: RelocKind) -> bool {
    elf_encoding(arch, kind, &[]).is_some()
        || kind
            .diff_as_pcrel()
            .is_some_and(|k| elf_encoding(arch, k, &[]).is_some())
}
