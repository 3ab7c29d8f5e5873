//! An ELF object's `.eh_frame` back into `unwind` entries, where it decodes cleanly.
//!
//! Runs on the dumped model, after the format reader: the section's relocations are already
//! portable kinds with explicit addends. Every record must be one objforge writes the same
//! way again: CIEs with augmentation `zR`, `zPR`, `zLR` or `zPLR` (and `S`), pointers
//! `DW_EH_PE_pcrel|sdata4`, the personality through a `DW.ref.NAME` word
//! (`DW_EH_PE_indirect|pcrel|sdata4`), the architecture's own initial rules, and call-frame
//! instructions objforge has a rule for (DWARF expressions and `DW_CFA_GNU_args_size` become
//! `escape`s). Every relocation of the section must be one of those pointers. Otherwise, or
//! when the library would not write the entries (a rule its CIE cannot express, an
//! `R_RISCV_RELAX` in a function), the section stays as bytes and relocations.
//!
//! When it decodes, the section and its relocations leave the model, and so do the section
//! symbols only they used and the `DW.ref.NAME` words the lowering makes again exactly; the remaining section symbols are put in section order at the end,
//! so that the dump of the rebuilt object, whose `.eh_frame` comes last, is the same.

use std::collections::HashMap;

use objforge::unwind::{CfiOp, CfiRule, FunctionUnwind, Lsda, Register};
use objforge::{
    Architecture, ComdatSelection, Endianness, Format, Object, RelocKind, SectionData, SectionId,
    SymbolDefinition, SymbolId, SymbolKind,
};

use super::Dumped;

/// `DW_EH_PE_pcrel | DW_EH_PE_sdata4`.
const PCREL_SDATA4: u8 = 0x1b;
/// `DW_EH_PE_indirect | DW_EH_PE_pcrel | DW_EH_PE_sdata4`.
const INDIRECT_PCREL_SDATA4: u8 = 0x9b;
/// `DW_EH_PE_pcrel | DW_EH_PE_absptr`: Mach-O's pointer-sized PC-relative fields.
const PCREL_ABSPTR: u8 = 0x10;

/// Replaces `.eh_frame` by `unwind` entries in an ELF model, when every record decodes.
pub fn decode(dumped: &mut Dumped) {
    let obj = &dumped.object;
    if obj.target.format != Format::Elf || !obj.unwind.is_empty() {
        return;
    }
    let Some(k) = obj.sections.iter().position(|s| s.name == ".eh_frame") else {
        return;
    };
    let Some(entries) = Decoder::new(obj, k, false).and_then(|d| d.run()) else {
        return;
    };
    let mut remove = rebuilt_words(obj, k, &entries);
    remove.push(k);
    remove.sort_unstable();
    replace_sections(dumped, &remove, entries);
}

/// The Mach-O unwind tables objforge writes: `__TEXT,__eh_frame` and `__LD,__compact_unwind`.
const MACHO_TABLES: [&str; 2] = ["__TEXT,__eh_frame", "__LD,__compact_unwind"];

/// Replaces `__TEXT,__eh_frame` and `__LD,__compact_unwind` by `unwind` entries in a Mach-O
/// model, when every FDE decodes (in the style objforge writes: pointer-sized PC-relative
/// pointers, the personality through its GOT slot) and the entries, built again, give both
/// tables exactly as they are: the same bytes and the same relocations. The compact
/// encodings are then the ones objforge computes from the rules, and nothing of the tables is
/// lost. (Clang's arm64 objects, which have no FDE where the compact encoding suffices, and
/// its x86_64 ones, whose FDEs point at their functions without relocations, stay raw.)
pub fn decode_macho(dumped: &mut Dumped) {
    let obj = &dumped.object;
    if obj.target.format != Format::MachO || !obj.unwind.is_empty() {
        return;
    }
    let Some(k) = obj.sections.iter().position(|s| s.name == MACHO_TABLES[0]) else {
        return;
    };
    let Some(entries) = Decoder::new(obj, k, true).and_then(|d| d.run()) else {
        return;
    };
    let mut remove = vec![k];
    if let Some(c) = obj.sections.iter().position(|s| s.name == MACHO_TABLES[1]) {
        // Symbols there would be lost with the section.
        if obj.symbols.iter().any(|s| {
            s.section_id() == Some(SectionId::from_index(c)) && s.kind != SymbolKind::Section
        }) {
            return;
        }
        remove.push(c);
    }
    remove.sort_unstable();
    let before = tables(obj);
    replace_sections_if(dumped, &remove, entries, |bytes| {
        super::macho::read(bytes).is_ok_and(|again| tables(&again.object) == before)
    });
}

/// A Mach-O object's unwind tables, comparable between two models: per table, its bytes and
/// its relocations as (offset, kind, symbol name, addend, `minus` name).
type Tables = Vec<(Vec<u8>, Vec<(u64, RelocKind, String, i64, String)>)>;

fn tables(obj: &Object) -> Tables {
    let name = |s: Option<SymbolId>| {
        s.and_then(|s| obj.symbols.get(s.index()))
            .map_or(String::new(), |s| s.name.to_string())
    };
    MACHO_TABLES
        .iter()
        .filter_map(|table| {
            let k = obj.sections.iter().position(|s| s.name == *table)?;
            let bytes = obj.sections[k].data.to_vec();
            let mut relocs: Vec<_> = obj
                .relocations
                .iter()
                .filter(|r| r.section().index() == k)
                .map(|r| {
                    (
                        r.offset(),
                        r.kind(),
                        name(r.symbol()),
                        r.addend(),
                        name(r.minus()),
                    )
                })
                .collect();
            relocs.sort_by_key(|r| r.0);
            Some((bytes, relocs))
        })
        .collect()
}

/// Puts `entries` in place of the sections `remove` (sorted) in the dumped model, when the
/// result is one objforge writes; otherwise leaves the dump as it is (the raw sections).
pub(super) fn replace_sections(
    dumped: &mut Dumped,
    remove: &[usize],
    entries: Vec<FunctionUnwind>,
) {
    replace_sections_if(dumped, remove, entries, |_| true);
}

/// [`replace_sections`], when `check` also accepts the bytes objforge writes for the result.
fn replace_sections_if(
    dumped: &mut Dumped,
    remove: &[usize],
    entries: Vec<FunctionUnwind>,
    check: impl FnOnce(&[u8]) -> bool,
) {
    let Some((object, kept)) = without_sections(&dumped.object, remove, entries) else {
        return;
    };
    if !object.write().is_ok_and(|bytes| check(&bytes)) {
        return;
    }
    dumped.object = object;
    let mut i = 0;
    dumped.fallback.retain(|_| {
        i += 1;
        kept.get(i - 1).copied().unwrap_or(true)
    });
}

/// A CIE as decoded: what its FDEs share.
struct Cie {
    code_align: u64,
    data_align: i64,
    return_column: u16,
    personality: Option<SymbolId>,
    lsda: bool,
    signal_frame: bool,
}

struct Decoder<'a> {
    obj: &'a Object,
    /// Mach-O's style: pointers 8 bytes (`DW_EH_PE_pcrel|absptr`), the personality's a
    /// GOT-relative relocation of its own.
    macho: bool,
    /// Mach-O: the personality fields' relocations by offset: (model index, symbol, addend).
    got: HashMap<u64, (usize, SymbolId, i64)>,
    /// The section's bytes, with RISC-V's differences (sizes, advances) filled in.
    bytes: Vec<u8>,
    arch: Architecture,
    /// The section's relocations by offset: (model index, symbol, addend).
    relocs: HashMap<u64, (usize, SymbolId, i64)>,
    /// Offsets of the relocations consumed.
    used: usize,
}

impl<'a> Decoder<'a> {
    fn new(obj: &'a Object, k: usize, macho: bool) -> Option<Decoder<'a>> {
        let SectionData::Bytes(bytes) = &obj.sections[k].data else {
            return None;
        };
        // Symbols defined in the section would be lost with it; but for mapping symbols
        // (`$d`: data follows), which only disassemblers read.
        if obj.symbols.iter().any(|s| {
            s.section_id() == Some(SectionId::from_index(k))
                && s.kind != SymbolKind::Section
                && !is_mapping_symbol(&s.name)
        }) {
            return None;
        }
        let mut bytes = bytes.clone();
        let mut relocs = HashMap::new();
        let mut got = HashMap::new();
        // Mach-O writes a PC-relative pointer as a difference from a symbol at the section's
        // start (read back as `diff64`): the field's own address is that plus its offset.
        let at_start = |s: Option<SymbolId>| {
            s.and_then(|s| obj.symbols.get(s.index())).is_some_and(|s| {
                s.definition
                    == SymbolDefinition::Defined {
                        section: SectionId::from_index(k),
                        offset: 0,
                    }
            })
        };
        // RISC-V's `R_RISCV_SET6` / `R_RISCV_SUB6` pairs, by offset: (set, sub).
        type Half = Option<(SymbolId, i64)>;
        let mut six: HashMap<u64, (Half, Half)> = HashMap::new();
        for (i, r) in obj.relocations.iter().enumerate() {
            let target_here = |s: Option<SymbolId>| {
                s.and_then(|s| obj.symbols.get(s.index()))
                    .is_some_and(|s| s.section_id() == Some(SectionId::from_index(k)))
            };
            let own_pointer = macho
                && r.section().index() == k
                && r.kind() == RelocKind::Diff64
                && at_start(r.minus())
                && !target_here(r.symbol());
            if own_pointer {
                let addend = r.addend().checked_add(i64::try_from(r.offset()).ok()?)?;
                relocs.insert(r.offset(), (i, r.symbol()?, addend));
                continue;
            }
            if target_here(r.symbol()) || target_here(r.minus()) {
                return None;
            }
            if r.section().index() != k {
                continue;
            }
            if macho {
                let personality = match r.kind() {
                    RelocKind::X86GotPcrel32 => true,
                    RelocKind::Native(n) => {
                        obj.target.arch == Architecture::Aarch64
                            && n.r_type == u32::from(super::macho::A64_POINTER_TO_GOT)
                            && n.pcrel
                            && n.length == 2
                    }
                    _ => false,
                };
                if !personality {
                    return None;
                }
                got.insert(r.offset(), (i, r.symbol()?, r.addend()));
                continue;
            }
            // GNU as measures RISC-V code with differences the linker recomputes after
            // relaxation; here they are the distances in the object.
            let riscv = obj.target.arch == Architecture::Riscv64;
            match r.kind() {
                RelocKind::Pcrel32 => {
                    relocs.insert(r.offset(), (i, r.symbol()?, r.addend()));
                }
                RelocKind::Diff8 | RelocKind::Diff16 | RelocKind::Diff32 if riscv => {
                    let n = match r.kind() {
                        RelocKind::Diff8 => 1,
                        RelocKind::Diff16 => 2,
                        _ => 4,
                    };
                    let value = distance(obj, (r.symbol()?, r.addend()), (r.minus()?, 0))?;
                    let at = r.offset() as usize;
                    let field = bytes.get_mut(at..at.checked_add(n)?)?;
                    if field.iter().any(|&b| b != 0) {
                        return None;
                    }
                    field.copy_from_slice(&value.to_le_bytes()[..n]);
                }
                RelocKind::Native(n) if riscv && (n.r_type == 52 || n.r_type == 53) => {
                    let pair = six.entry(r.offset()).or_default();
                    let half = if n.r_type == 53 {
                        &mut pair.0
                    } else {
                        &mut pair.1
                    };
                    if half.replace((r.symbol()?, r.addend())).is_some() {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        for (at, pair) in six {
            let (Some(set), Some((minus, 0))) = pair else {
                return None;
            };
            let value = distance(obj, set, (minus, 0))?;
            // `R_RISCV_SET6` replaces the low six bits, whatever the assembler left there.
            let byte = bytes.get_mut(at as usize)?;
            if value >= 0x40 {
                return None;
            }
            *byte = (*byte & 0xc0) | value as u8;
        }
        Some(Decoder {
            obj,
            macho,
            got,
            bytes,
            arch: obj.target.arch,
            relocs,
            used: 0,
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.bytes.get(at..at.checked_add(4)?)?;
        let word = [b[0], b[1], b[2], b[3]];
        Some(if self.big_endian() {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        })
    }

    /// Whether the section's numbers are big-endian (s390x).
    fn big_endian(&self) -> bool {
        self.arch.endianness() == Endianness::Big
    }

    /// The size of a pointer field: 4 bytes (`sdata4`), or 8 on Mach-O.
    fn width(&self) -> usize {
        if self.macho {
            8
        } else {
            4
        }
    }

    /// A number in a pointer-sized field.
    fn number_at(&self, at: usize) -> Option<u64> {
        if self.macho {
            let b = self.bytes.get(at..at.checked_add(8)?)?;
            let word = b.try_into().ok()?;
            Some(if self.big_endian() {
                u64::from_be_bytes(word)
            } else {
                u64::from_le_bytes(word)
            })
        } else {
            self.u32_at(at).map(u64::from)
        }
    }

    /// The relocation of the pointer at `at`, whose field must be zero.
    fn pointer(&mut self, at: usize) -> Option<(SymbolId, i64)> {
        if self.number_at(at)? != 0 {
            return None;
        }
        let &(_, symbol, addend) = self.relocs.get(&(at as u64))?;
        self.used += 1;
        Some((symbol, addend))
    }

    /// Where a symbol plus an addend points: (section, offset).
    fn place(&self, symbol: SymbolId, addend: i64) -> Option<(SectionId, u64)> {
        match self.obj.symbols.get(symbol.index())?.definition {
            SymbolDefinition::Defined { section, offset } => {
                Some((section, offset.checked_add_signed(addend)?))
            }
            _ => None,
        }
    }

    fn run(mut self) -> Option<Vec<FunctionUnwind>> {
        let len = self.bytes.len();
        let mut cies: HashMap<usize, Cie> = HashMap::new();
        let mut entries = Vec::new();
        let mut pos = 0usize;
        while pos < len {
            let length = self.u32_at(pos)? as usize;
            if length == 0 {
                // A terminator ends the section.
                if pos + 4 != len {
                    return None;
                }
                break;
            }
            if length == 0xffff_ffff {
                return None;
            }
            let end = pos.checked_add(4)?.checked_add(length)?;
            if end > len {
                return None;
            }
            let id = self.u32_at(pos + 4)? as usize;
            if id == 0 {
                let cie = self.cie(pos + 8, end)?;
                cies.insert(pos, cie);
            } else {
                let cie = cies.get(&(pos + 4).checked_sub(id)?)?;
                entries.push(self.fde(cie, pos + 8, end)?);
            }
            pos = end;
        }
        (self.used == self.relocs.len() + self.got.len() && !entries.is_empty()).then_some(entries)
    }

    fn cie(&mut self, mut at: usize, end: usize) -> Option<Cie> {
        let owned = self.bytes.get(..end)?.to_vec();
        let bytes = owned.as_slice();
        let version = *bytes.get(at)?;
        at += 1;
        if version != 1 && version != 3 {
            return None;
        }
        let aug_end = at + bytes.get(at..)?.iter().position(|&b| b == 0)?;
        let augmentation = bytes.get(at..aug_end)?.to_vec();
        at = aug_end + 1;
        let code_align = uleb(bytes, &mut at)?;
        let data_align = sleb(bytes, &mut at)?;
        let return_column = if version == 1 {
            let c = *bytes.get(at)?;
            at += 1;
            u64::from(c)
        } else {
            uleb(bytes, &mut at)?
        };
        let return_column = u16::try_from(return_column).ok()?;
        if augmentation.first() != Some(&b'z') || code_align == 0 || data_align == 0 {
            return None;
        }
        let data_len = uleb(bytes, &mut at)? as usize;
        let data_end = at.checked_add(data_len)?;
        let mut cie = Cie {
            code_align,
            data_align,
            return_column,
            personality: None,
            lsda: false,
            signal_frame: false,
        };
        let mut saw_r = false;
        let pointers = if self.macho {
            PCREL_ABSPTR
        } else {
            PCREL_SDATA4
        };
        for &c in &augmentation[1..] {
            match c {
                b'P' if self.macho => {
                    if *bytes.get(at)? != INDIRECT_PCREL_SDATA4 || self.u32_at(at + 1)? != 0 {
                        return None;
                    }
                    let &(_, routine, addend) = self.got.get(&(at as u64 + 1))?;
                    if addend != 0 {
                        return None;
                    }
                    self.used += 1;
                    cie.personality = Some(routine);
                    at += 5;
                }
                b'P' => {
                    if *bytes.get(at)? != INDIRECT_PCREL_SDATA4 {
                        return None;
                    }
                    let (word, addend) = self.pointer(at + 1)?;
                    if addend != 0 {
                        return None;
                    }
                    cie.personality = Some(self.personality(word)?);
                    at += 5;
                }
                b'L' => {
                    if *bytes.get(at)? != pointers {
                        return None;
                    }
                    cie.lsda = true;
                    at += 1;
                }
                b'R' => {
                    if *bytes.get(at)? != pointers {
                        return None;
                    }
                    saw_r = true;
                    at += 1;
                }
                b'S' => cie.signal_frame = true,
                _ => return None,
            }
        }
        if !saw_r || at != data_end {
            return None;
        }
        // The initial rules must be the architecture's, which objforge writes itself.
        let initial = cfi(self.arch, bytes.get(at..end)?, code_align, data_align)?;
        let (sp, offset, ra_at) = match self.arch {
            Architecture::X86_64 => (7, 8, Some(-8)),
            Architecture::I386 => (4, 4, Some(-4)),
            Architecture::Aarch64 => (31, 0, None),
            Architecture::Riscv64 => (2, 0, None),
            Architecture::S390x => (15, 160, None),
            Architecture::Ppc64le => (1, 0, None),
            _ => return None,
        };
        // The return address is where the call left it, whichever column the CIE names.
        let mut want = vec![CfiOp::DefCfa {
            reg: Register(sp),
            offset,
        }];
        if let Some(ra_at) = ra_at {
            want.push(CfiOp::Offset {
                reg: Register(default_column(self.arch)),
                offset: ra_at,
            });
        }
        let got: Vec<CfiOp> = initial
            .into_iter()
            .map(|r| match r.op {
                // `def_cfa_register sp` from a CFA of nothing is `def_cfa sp, 0` (GCC on RISC-V).
                CfiOp::DefCfaRegister(reg) if offset == 0 => CfiOp::DefCfa { reg, offset: 0 },
                op => op,
            })
            .collect();
        (got == want).then_some(cie)
    }

    /// The personality routine behind a `DW.ref.NAME` word: the symbol its relocation names,
    /// which must be called NAME.
    fn personality(&self, word: SymbolId) -> Option<SymbolId> {
        let sym = self.obj.symbols.get(word.index())?;
        let name = sym.name.strip_prefix("DW.ref.")?;
        let SymbolDefinition::Defined { section, offset } = sym.definition else {
            return None;
        };
        let r = self
            .obj
            .relocations
            .iter()
            .find(|r| r.section() == section && r.offset() == offset)?;
        let target = r.symbol()?;
        (r.addend() == 0 && self.obj.symbols.get(target.index())?.name == name).then_some(target)
    }

    fn fde(&mut self, cie: &Cie, at: usize, end: usize) -> Option<FunctionUnwind> {
        let (symbol, addend) = self.pointer(at)?;
        let (section, offset) = self.place(symbol, addend)?;
        let width = self.width();
        let size = self.number_at(at + width)?;
        if u32::try_from(size).is_err() {
            return None;
        }
        let owned = self.bytes.get(..end)?.to_vec();
        let bytes = owned.as_slice();
        let mut pos = at + 2 * width;
        let data_len = uleb(bytes, &mut pos)? as usize;
        let data_end = pos.checked_add(data_len)?;
        let mut entry = FunctionUnwind::new(section, offset, size);
        if cie.lsda {
            if data_len != width {
                return None;
            }
            if self.number_at(pos)? != 0 || self.relocs.contains_key(&(pos as u64)) {
                let (lsda, addend) = self.pointer(pos)?;
                let is_section = self
                    .obj
                    .symbols
                    .get(lsda.index())
                    .is_some_and(|s| s.kind == SymbolKind::Section);
                entry.lsda = Some(if addend == 0 && !is_section {
                    Lsda::Symbol(lsda)
                } else {
                    let (section, offset) = self.place(lsda, addend)?;
                    Lsda::Section { section, offset }
                });
            }
        } else if data_len != 0 {
            return None;
        }
        entry.cfi = cfi(
            self.arch,
            bytes.get(data_end..end)?,
            cie.code_align,
            cie.data_align,
        )?;
        entry.personality = cie.personality;
        entry.signal_frame = cie.signal_frame;
        if cie.return_column != default_column(self.arch) {
            entry.return_column = Some(Register(cie.return_column));
        }
        Some(entry)
    }
}

/// `a` minus `b`, two places (symbol, addend) in one section, as an unsigned number.
fn distance(obj: &Object, a: (SymbolId, i64), b: (SymbolId, i64)) -> Option<u64> {
    let at = |(s, addend): (SymbolId, i64)| match obj.symbols.get(s.index())?.definition {
        SymbolDefinition::Defined { section, offset } => {
            Some((section, offset.checked_add_signed(addend)?))
        }
        _ => None,
    };
    let (sa, oa) = at(a)?;
    let (sb, ob) = at(b)?;
    (sa == sb).then_some(())?;
    oa.checked_sub(ob)
}

/// The architecture's return address column, which objforge's CIEs default to.
fn default_column(arch: Architecture) -> u16 {
    match arch {
        Architecture::X86_64 => 16,
        Architecture::I386 => 8,
        Architecture::Aarch64 => 30,
        Architecture::S390x => 14,
        Architecture::Ppc64le => 65,
        _ => 1,
    }
}

/// An Arm or RISC-V mapping symbol (`$d`, `$x`, `$d.1`, ...).
fn is_mapping_symbol(name: &str) -> bool {
    let base = name.split_once('.').map_or(name, |(b, _)| b);
    matches!(base, "$d" | "$x" | "$a" | "$t")
}

fn uleb(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        if shift >= 64 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
}

fn sleb(bytes: &[u8], at: &mut usize) -> Option<i64> {
    let mut value = 0i64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        if shift >= 64 {
            return None;
        }
        value |= i64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            if shift < 64 && b & 0x40 != 0 {
                value |= -1i64 << shift;
            }
            return Some(value);
        }
    }
}

/// Call-frame instructions as rules, each at its location; `None` for one objforge has no
/// rule for (`DW_CFA_set_loc`, an unknown opcode) or a truncated one.
fn cfi(arch: Architecture, bytes: &[u8], code_align: u64, data_align: i64) -> Option<Vec<CfiRule>> {
    let mut rules = Vec::new();
    let mut loc = 0u64;
    let mut at = 0usize;
    let reg = |bytes: &[u8], at: &mut usize| -> Option<Register> {
        u16::try_from(uleb(bytes, at)?).ok().map(Register)
    };
    let factored = |f: i64| f.checked_mul(data_align);
    while at < bytes.len() {
        let start = at;
        let op = bytes[at];
        at += 1;
        let rule = match op >> 6 {
            1 => {
                loc = loc.checked_add(u64::from(op & 0x3f).checked_mul(code_align)?)?;
                continue;
            }
            2 => {
                let f = i64::try_from(uleb(bytes, &mut at)?).ok()?;
                CfiOp::Offset {
                    reg: Register(u16::from(op & 0x3f)),
                    offset: factored(f)?,
                }
            }
            3 => CfiOp::Restore(Register(u16::from(op & 0x3f))),
            _ => match op {
                0x00 => continue,
                0x02..=0x04 => {
                    let n = 1usize << (op - 2);
                    let field = bytes.get(at..at + n)?;
                    at += n;
                    // In the target's byte order.
                    let big = arch.endianness() == Endianness::Big;
                    let mut delta = 0u64;
                    for (i, b) in field.iter().enumerate() {
                        let shift = if big { n - 1 - i } else { i };
                        delta |= u64::from(*b) << (8 * shift);
                    }
                    loc = loc.checked_add(delta.checked_mul(code_align)?)?;
                    continue;
                }
                0x05 | 0x11 | 0x14 | 0x15 => {
                    let r = reg(bytes, &mut at)?;
                    let f = if op == 0x05 || op == 0x14 {
                        i64::try_from(uleb(bytes, &mut at)?).ok()?
                    } else {
                        sleb(bytes, &mut at)?
                    };
                    let offset = factored(f)?;
                    if op == 0x14 || op == 0x15 {
                        CfiOp::ValOffset { reg: r, offset }
                    } else {
                        CfiOp::Offset { reg: r, offset }
                    }
                }
                0x06 => CfiOp::Restore(reg(bytes, &mut at)?),
                0x07 => CfiOp::Undefined(reg(bytes, &mut at)?),
                0x08 => CfiOp::SameValue(reg(bytes, &mut at)?),
                0x09 => CfiOp::Register {
                    reg: reg(bytes, &mut at)?,
                    reg2: reg(bytes, &mut at)?,
                },
                0x0a => CfiOp::RememberState,
                0x0b => CfiOp::RestoreState,
                0x0c => CfiOp::DefCfa {
                    reg: reg(bytes, &mut at)?,
                    offset: i64::try_from(uleb(bytes, &mut at)?).ok()?,
                },
                0x0d => CfiOp::DefCfaRegister(reg(bytes, &mut at)?),
                0x0e => CfiOp::DefCfaOffset(i64::try_from(uleb(bytes, &mut at)?).ok()?),
                0x12 => CfiOp::DefCfa {
                    reg: reg(bytes, &mut at)?,
                    offset: factored(sleb(bytes, &mut at)?)?,
                },
                0x13 => CfiOp::DefCfaOffset(factored(sleb(bytes, &mut at)?)?),
                // Expressions, `DW_CFA_GNU_args_size` and `DW_CFA_GNU_negative_offset_extended`
                // go through as the bytes they are.
                0x0f | 0x10 | 0x16 | 0x2e | 0x2f => {
                    if op == 0x10 || op == 0x16 || op == 0x2f {
                        uleb(bytes, &mut at)?;
                    }
                    let n = uleb(bytes, &mut at)?;
                    if op == 0x0f || op == 0x10 || op == 0x16 {
                        at = at.checked_add(usize::try_from(n).ok()?)?;
                    }
                    CfiOp::Escape(bytes.get(start..at)?.to_vec())
                }
                0x2d if arch == Architecture::Aarch64 => CfiOp::NegateRaState,
                0x2d => CfiOp::WindowSave,
                _ => return None,
            },
        };
        rules.push(CfiRule { at: loc, op: rule });
    }
    Some(rules)
}

/// The `DW.ref.NAME` words of `entries`' personality routines that are exactly what the
/// lowering writes again (section `.data.rel.local.DW.ref.NAME` in COMDAT group
/// `DW.ref.NAME`, one hidden weak pointer-sized symbol, one address relocation), used by no
/// relocation outside `.eh_frame` (section `k`): their sections.
fn rebuilt_words(obj: &Object, k: usize, entries: &[FunctionUnwind]) -> Vec<usize> {
    let width = u64::from(obj.target.arch.pointer_width());
    let mut words = Vec::new();
    for p in entries.iter().filter_map(|e| e.personality) {
        let name = format!("DW.ref.{}", obj.symbols[p.index()].name);
        let section_name = format!(".data.rel.local.{name}");
        let Some(w) = obj.sections.iter().position(|s| s.name == section_name) else {
            continue;
        };
        if words.contains(&w) {
            continue;
        }
        let s = &obj.sections[w];
        let plain = s.kind == objforge::SectionKind::Data
            && s.align == width
            && s.data == SectionData::Bytes(vec![0; width as usize])
            && s.comdat.as_deref() == Some(name.as_str())
            && s.comdat_selection == ComdatSelection::Any
            && s.flags == objforge::SectionFlags::default()
            && s.entsize == 0
            && obj.sections.iter().filter(|t| t.comdat == s.comdat).count() == 1;
        let symbols: Vec<usize> = (0..obj.symbols.len())
            .filter(|&i| {
                obj.symbols[i].section_id() == Some(SectionId::from_index(w))
                    && !is_mapping_symbol(&obj.symbols[i].name)
            })
            .collect();
        let symbol_ok = match symbols.as_slice() {
            [i] => {
                let sym = &obj.symbols[*i];
                sym.name == name
                    && sym.definition
                        == (SymbolDefinition::Defined {
                            section: SectionId::from_index(w),
                            offset: 0,
                        })
                    && sym.kind == SymbolKind::Object
                    && sym.binding == objforge::Binding::Weak
                    && sym.visibility == objforge::Visibility::Hidden
                    && sym.size == width
            }
            _ => false,
        };
        let address = if width == 8 {
            RelocKind::Abs64
        } else {
            RelocKind::Abs32
        };
        let relocs: Vec<&objforge::Relocation> = obj
            .relocations
            .iter()
            .filter(|r| r.section().index() == w)
            .collect();
        let reloc_ok = matches!(relocs.as_slice(), [r] if r.offset() == 0 && r.kind() == address
            && r.symbol() == Some(p) && r.addend() == 0);
        let named_elsewhere = obj.relocations.iter().any(|r| {
            r.section().index() != k
                && [r.symbol(), r.minus()]
                    .into_iter()
                    .flatten()
                    .any(|x| symbols.contains(&x.index()))
        });
        if plain && symbol_ok && reloc_ok && !named_elsewhere {
            words.push(w);
        }
    }
    words
}

/// `obj` without the sections `remove` (sorted), the symbols and relocations in them, with
/// `entries` as its unwind entries (section ids moved down); the section symbols no
/// relocation uses any more are dropped and the others put in section order at the end. Also
/// returns, per relocation of `obj`, whether it was kept. `None` if something kept refers to
/// what is removed.
fn without_sections(
    obj: &Object,
    remove: &[usize],
    entries: Vec<FunctionUnwind>,
) -> Option<(Object, Vec<bool>)> {
    // Assembler-local labels only the removed relocations named (RISC-V's `.L0 `): dropped
    // with them, as the rebuilt object has none.
    let labels: Vec<usize> = obj
        .relocations
        .iter()
        .filter(|r| remove.contains(&r.section().index()))
        .flat_map(|r| [r.symbol(), r.minus()])
        .flatten()
        .map(|s| s.index())
        .filter(|&i| {
            obj.symbols.get(i).is_some_and(|s| {
                s.name.starts_with(".L")
                    && s.binding == objforge::Binding::Local
                    && s.kind != SymbolKind::Section
            })
        })
        .collect();
    let moved = |id: SectionId| -> Option<SectionId> {
        if remove.contains(&id.index()) {
            return None;
        }
        Some(SectionId::from_index(
            id.index() - remove.iter().filter(|&&r| r < id.index()).count(),
        ))
    };
    let mut out = obj.clone();
    let mut index = 0;
    out.sections.retain(|_| {
        index += 1;
        !remove.contains(&(index - 1))
    });
    for s in &mut out.sections {
        if let ComdatSelection::Associative(target) = s.comdat_selection {
            s.comdat_selection = ComdatSelection::Associative(moved(target)?);
        }
    }
    let kept: Vec<bool> = obj
        .relocations
        .iter()
        .map(|r| !remove.contains(&r.section().index()))
        .collect();
    out.relocations
        .retain(|r| !remove.contains(&r.section().index()));
    for r in &mut out.relocations {
        r.set_section(moved(r.section())?);
    }
    out.unwind = entries;
    for e in &mut out.unwind {
        e.section = moved(e.section)?;
        if let Some(Lsda::Section { section, offset }) = e.lsda {
            e.lsda = Some(Lsda::Section {
                section: moved(section)?,
                offset,
            });
        }
    }

    // The new symbol order: every symbol but the section symbols, then the section symbols
    // still named by a relocation, by section.
    let mut used = vec![false; out.symbols.len()];
    for r in &out.relocations {
        for s in [r.symbol(), r.minus()].into_iter().flatten() {
            used[s.index()] = true;
        }
    }
    for e in &out.unwind {
        let lsda = e.lsda.and_then(|l| match l {
            Lsda::Symbol(s) => Some(s),
            _ => None,
        });
        for s in [e.personality, lsda].into_iter().flatten() {
            used[s.index()] = true;
        }
    }
    let is_section = |i: usize| out.symbols[i].kind == SymbolKind::Section;
    let in_removed = |i: usize| {
        out.symbols[i]
            .section_id()
            .is_some_and(|s| remove.contains(&s.index()))
    };
    let mut order: Vec<usize> = (0..out.symbols.len())
        .filter(|&i| !is_section(i) && !in_removed(i) && (used[i] || !labels.contains(&i)))
        .collect();
    let mut sections: Vec<usize> = (0..out.symbols.len())
        .filter(|&i| is_section(i) && used[i] && !in_removed(i))
        .collect();
    sections.sort_by_key(|&i| out.symbols[i].section_id());
    order.extend(sections);
    let mut new_index = vec![None; out.symbols.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = Some(SymbolId::from_index(new));
    }
    let old_symbols = std::mem::take(&mut out.symbols);
    for &old in &order {
        let mut s = old_symbols[old].clone();
        if let SymbolDefinition::Defined { section, offset } = s.definition {
            s.definition = SymbolDefinition::Defined {
                section: moved(section)?,
                offset,
            };
        }
        out.symbols.push(s);
    }
    for r in &mut out.relocations {
        let symbol = match r.symbol() {
            Some(s) => Some(new_index[s.index()]?),
            None => None,
        };
        r.set_symbol(symbol);
        let minus = match r.minus() {
            Some(s) => Some(new_index[s.index()]?),
            None => None,
        };
        r.set_minus(minus);
    }
    for e in &mut out.unwind {
        if let Some(p) = e.personality {
            e.personality = Some(new_index[p.index()]?);
        }
        if let Some(Lsda::Symbol(s)) = e.lsda {
            e.lsda = Some(Lsda::Symbol(new_index[s.index()]?));
        }
    }
    Some((out, kept))
}

#[cfg(test)]
mod tests {
    use objforge::unwind::{CfiOp, FunctionUnwind, Lsda, Register};
    use objforge::{Binding, Object, Section, SectionKind, Symbol, SymbolKind, Target};

    /// Two functions using every rule `.eh_frame` keeps as it is, a personality routine, an
    /// LSDA by section and by symbol, a signal frame and another return column.
    fn object(triple: &str) -> Object {
        let target = Target::from_triple(triple).unwrap();
        let arch = target.arch;
        let mut obj = Object::new(target);
        let text = obj.add_section(
            Section::new(".text", SectionKind::Text)
                .with_align(16)
                .with_bytes(vec![0; 64]),
        );
        let table = obj.add_section(
            Section::new(".gcc_except_table", SectionKind::Rodata).with_bytes(vec![0xff; 16]),
        );
        obj.add_symbol(Symbol::defined("f", text, 0).with_kind(SymbolKind::Func));
        let lsda = obj.add_symbol(Symbol::defined(".LLSDA1", table, 8));
        let personality = obj.add_symbol(Symbol::undefined("__gxx_personality_v0"));
        let r = |n: u16| Register(n);
        let sp = match arch {
            objforge::Architecture::X86_64 => 7,
            objforge::Architecture::I386 => 4,
            objforge::Architecture::Aarch64 => 31,
            _ => 2,
        };
        let step = if arch == objforge::Architecture::Aarch64 {
            4
        } else {
            1
        };
        let f = FunctionUnwind::new(text, 0, 32)
            .with_personality(personality)
            .with_lsda(Lsda::Section {
                section: table,
                offset: 4,
            })
            .with_rule(step, CfiOp::DefCfaOffset(16))
            .with_rule(
                step,
                CfiOp::Offset {
                    reg: r(3),
                    offset: -16,
                },
            )
            .with_rule(2 * step, CfiOp::RememberState)
            .with_rule(
                2 * step,
                CfiOp::DefCfa {
                    reg: r(sp),
                    offset: 400,
                },
            )
            .with_rule(
                2 * step,
                CfiOp::ValOffset {
                    reg: r(5),
                    offset: 8,
                },
            )
            .with_rule(
                3 * step,
                CfiOp::Register {
                    reg: r(6),
                    reg2: r(1),
                },
            )
            .with_rule(3 * step, CfiOp::Undefined(r(2)))
            .with_rule(3 * step, CfiOp::SameValue(r(0)))
            .with_rule(
                3 * step,
                CfiOp::Offset {
                    reg: r(70),
                    offset: -24,
                },
            )
            .with_rule(3 * step, CfiOp::Escape(vec![0x2e, 0x10]))
            .with_rule(4 * step, CfiOp::Restore(r(70)))
            .with_rule(5 * step, CfiOp::RestoreState)
            .with_rule(6 * step, CfiOp::Restore(r(3)));
        obj.add_unwind(f);
        let g = FunctionUnwind::new(text, 32, 32)
            .with_personality(personality)
            .with_lsda(Lsda::Symbol(lsda))
            .with_signal_frame()
            .with_return_column(r(9))
            .with_rule(28, CfiOp::DefCfaOffset(0));
        obj.add_unwind(g);
        obj.add_symbol(Symbol::defined("g", text, 32).with_binding(Binding::Global));
        obj
    }

    #[test]
    fn every_rule_reads_back_and_damage_never_panics() {
        for triple in [
            "x86_64-unknown-linux-gnu",
            "i686-unknown-linux-gnu",
            "aarch64-unknown-linux-gnu",
            "x86_64-apple-macos11",
            "arm64-apple-macos11",
        ] {
            let obj = object(triple);
            let bytes = obj.write().unwrap();
            let dumped = crate::dump::read(&bytes).unwrap();
            assert_eq!(dumped.object.unwind.len(), 2, "{triple}");
            for (a, b) in obj.unwind.iter().zip(&dumped.object.unwind) {
                assert_eq!(a.cfi, b.cfi, "{triple}");
                assert_eq!(
                    (a.offset, a.size, a.signal_frame, a.return_column),
                    (b.offset, b.size, b.signal_frame, b.return_column),
                    "{triple}"
                );
                assert_eq!(a.lsda.is_some(), b.lsda.is_some());
                let name = |o: &Object, f: &FunctionUnwind| {
                    f.personality.map(|p| o.symbols[p.index()].name.clone())
                };
                assert_eq!(name(&obj, a), name(&dumped.object, b));
            }
            // Every byte of .eh_frame damaged in a few ways: an error or raw bytes, no panic.
            let file = object::File::parse(&*bytes).unwrap();
            use object::{Object as _, ObjectSection as _};
            let (start, size) = file
                .section_by_name(".eh_frame")
                .or_else(|| file.section_by_name("__eh_frame"))
                .and_then(|s| s.file_range())
                .unwrap();
            for at in start..start + size {
                for value in [0x00, 0xff, 0x7f, 0x80, 0x40, 0x01] {
                    let mut damaged = bytes.clone();
                    damaged[at as usize] = value;
                    let _ = crate::dump::read(&damaged);
                }
            }
        }
    }
}
