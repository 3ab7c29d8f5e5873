//! A COFF x86_64 or arm64 object's `.pdata` and `.xdata` back into `unwind` entries with
//! `seh` codes, where they decode cleanly: every `.pdata` entry made of `imagerel32` fields
//! (x86_64: the start and end of a function in one section and its `UNWIND_INFO`; arm64: the
//! start and either the packed word or its record), the `.xdata` sections nothing but those
//! records, back to back in `.pdata` order, each with an exception handler's RVA and its data
//! when flagged, and every function's codes ones objforge writes back byte for byte (checked
//! by writing them again with [`windows_unwind_info`]). The prologue's size comes back as an
//! `endprologue` code where it is past the last code.
//!
//! A handler's data (GCC's LSDA, which `__gxx_personality_seh0` finds right after the
//! handler's RVA) runs to the next record or the section's end; it becomes the entry's
//! `lsda`, in a `.gcc_except_table` section holding every function's handler data in turn,
//! with its relocations; an object that already has that section with the same bytes keeps
//! it (so the dump of a rebuilt object is the same). Handlers of functions in COMDAT groups
//! (MinGW's `.xdata$F`) are not decoded: their data would have to follow the function into
//! its group. Otherwise the sections stay bytes and relocations.

use std::collections::HashMap;

use objforge::unwind::{
    windows_unwind_info, FunctionUnwind, Lsda, Register, SehOp, SehRule, WindowsUnwind,
};
use objforge::{
    Architecture, Format, Object, RelocKind, Relocation, Section, SectionData, SectionId,
    SectionKind, SymbolDefinition, SymbolId, SymbolKind,
};

use super::eh_frame::replace_sections;
use super::Dumped;

/// The section that takes the handler data.
const LSDA_SECTION: &str = ".gcc_except_table";

/// Whether `name` is one of the tables (`.pdata`, `.pdata$f`; `.xdata`, `.xdata$f`).
fn is_table(name: &str, table: &str) -> bool {
    name == table
        || name
            .strip_prefix(table)
            .is_some_and(|rest| rest.starts_with('$'))
}

/// Replaces `.pdata` and `.xdata` by `unwind` entries in a COFF x86_64 or arm64 model, when
/// they all decode.
pub fn decode(dumped: &mut Dumped) {
    let obj = &dumped.object;
    if obj.target.format != Format::Coff
        || !matches!(
            obj.target.arch,
            Architecture::X86_64 | Architecture::Aarch64
        )
        || !obj.unwind.is_empty()
    {
        return;
    }
    let pdata: Vec<usize> = (0..obj.sections.len())
        .filter(|&k| is_table(&obj.sections[k].name, ".pdata"))
        .collect();
    let xdata: Vec<usize> = (0..obj.sections.len())
        .filter(|&k| is_table(&obj.sections[k].name, ".xdata"))
        .collect();
    if pdata.is_empty() {
        return;
    }
    let Some(decoded) = entries(obj, &pdata, &xdata) else {
        return;
    };
    // In `.pdata` order, which the handler data's order follows.
    let Some(entries) = place_handler_data(dumped, decoded) else {
        return;
    };
    let mut remove: Vec<usize> = pdata.iter().chain(&xdata).copied().collect();
    remove.sort_unstable();
    replace_sections(dumped, &remove, entries);
}

/// Handler data: its bytes and the relocations in them (offset in the data, the relocation).
type HandlerData = (Vec<u8>, Vec<(u64, Relocation)>);

/// A decoded function and its handler data.
struct Decoded {
    function: FunctionUnwind,
    data: Option<HandlerData>,
}

/// Gives each entry with handler data its `lsda`: in the object's `.gcc_except_table` when it
/// holds exactly the handler data, in turn, else in a new one. `None` when a section of that
/// name holds something else.
fn place_handler_data(dumped: &mut Dumped, decoded: Vec<Decoded>) -> Option<Vec<FunctionUnwind>> {
    let mut bytes = Vec::new();
    let mut relocations: Vec<(u64, Relocation)> = Vec::new();
    let mut starts = Vec::new();
    for d in &decoded {
        starts.push(bytes.len() as u64);
        if let Some((data, relocs)) = &d.data {
            let base = bytes.len() as u64;
            bytes.extend_from_slice(data);
            relocations.extend(relocs.iter().map(|(at, r)| (base + at, *r)));
        }
    }
    let obj = &dumped.object;
    let existing = obj.sections.iter().position(|s| s.name == LSDA_SECTION);
    let section = match existing {
        _ if bytes.is_empty() => None,
        Some(k) => {
            let same_bytes = matches!(&obj.sections[k].data, SectionData::Bytes(b) if *b == bytes);
            let mut theirs: Vec<(u64, Relocation)> = obj
                .relocations
                .iter()
                .filter(|r| r.section().index() == k)
                .map(|r| (r.offset(), *r))
                .collect();
            let mut ours = relocations.clone();
            let key = |(at, r): &(u64, Relocation)| (*at, format!("{r:?}"));
            theirs.sort_by_key(key);
            ours.sort_by_key(key);
            let same_relocations = theirs.len() == ours.len()
                && theirs.iter().zip(&ours).all(|((a, x), (b, y))| {
                    a == b
                        && x.kind() == y.kind()
                        && x.symbol() == y.symbol()
                        && x.minus() == y.minus()
                        && x.addend() == y.addend()
                });
            if !same_bytes || !same_relocations {
                return None;
            }
            Some(SectionId::from_index(k))
        }
        None => {
            let s = dumped.object.add_section(
                Section::new(LSDA_SECTION, SectionKind::Rodata)
                    .with_align(4)
                    .with_bytes(bytes),
            );
            for (at, mut r) in relocations {
                r.set_section(s);
                r.set_offset(at);
                dumped.object.relocations.push(r);
                dumped.fallback.push(None);
            }
            Some(s)
        }
    };
    Some(
        decoded
            .into_iter()
            .zip(starts)
            .map(|(d, start)| {
                let mut f = d.function;
                if let (Some(section), Some(_)) = (section, &d.data) {
                    f.lsda = Some(Lsda::Section {
                        section,
                        offset: start,
                    });
                }
                f
            })
            .collect(),
    )
}

/// Where a symbol plus an addend points: (section, offset).
fn place(obj: &Object, symbol: SymbolId, addend: i64) -> Option<(SectionId, u64)> {
    match obj.symbols.get(symbol.index())?.definition {
        SymbolDefinition::Defined { section, offset } => {
            Some((section, offset.checked_add_signed(addend)?))
        }
        _ => None,
    }
}

fn bytes(obj: &Object, k: usize) -> Option<&[u8]> {
    obj.sections.get(k)?.data.bytes()
}

/// One `.pdata` entry as read: the function, and its packed word or record.
struct Entry {
    section: SectionId,
    offset: u64,
    /// x86_64: the function's end.
    end: Option<u64>,
    unwind: Info,
}

enum Info {
    Packed(u32),
    /// A record at this offset of this `.xdata` section.
    Record(usize, u64),
}

fn entries(obj: &Object, pdata: &[usize], xdata: &[usize]) -> Option<Vec<Decoded>> {
    let arm64 = obj.target.arch == Architecture::Aarch64;
    let tables: Vec<usize> = pdata.iter().chain(xdata).copied().collect();
    // Nothing but section symbols in the tables, no relocation elsewhere into them, and only
    // `imagerel32` relocations in `.pdata`.
    if obj.symbols.iter().any(|s| {
        s.kind != SymbolKind::Section && s.section_id().is_some_and(|k| tables.contains(&k.index()))
    }) {
        return None;
    }
    let mut fields: HashMap<(usize, u64), (SymbolId, i64)> = HashMap::new();
    // `.xdata` relocations by place, each to be consumed as a handler field or handler data.
    let mut in_xdata: HashMap<(usize, u64), usize> = HashMap::new();
    for (k, r) in obj.relocations.iter().enumerate() {
        let into_table = [r.symbol(), r.minus()].into_iter().flatten().any(|s| {
            obj.symbols
                .get(s.index())
                .and_then(|s| s.section_id())
                .is_some_and(|k| tables.contains(&k.index()))
        });
        if xdata.contains(&r.section().index()) {
            in_xdata.insert((r.section().index(), r.offset()), k);
        } else if pdata.contains(&r.section().index()) {
            if r.kind() != RelocKind::Imagerel32 {
                return None;
            }
            fields.insert((r.section().index(), r.offset()), (r.symbol()?, r.addend()));
        } else if into_table {
            return None;
        }
    }
    let entry_size = if arm64 { 8 } else { 12 };
    let mut used = 0;
    let mut read: Vec<Entry> = Vec::new();
    for &p in pdata {
        let table = bytes(obj, p)?;
        if table.len() % entry_size != 0 {
            return None;
        }
        for entry in (0..table.len() as u64).step_by(entry_size) {
            let mut field = |at: u64| {
                let f = fields.get(&(p, entry + at)).copied();
                used += usize::from(f.is_some());
                f
            };
            let start = field(0)?;
            let (section, offset) = place(obj, start.0, start.1)?;
            let word = |at: u64| {
                let b = table.get((entry + at) as usize..(entry + at + 4) as usize)?;
                Some(u32::from_le_bytes(b.try_into().ok()?))
            };
            if word(0)? != 0 {
                return None;
            }
            let (end, info_field) = if arm64 {
                (None, 4)
            } else {
                let end = field(4)?;
                let (end_section, end) = place(obj, end.0, end.1)?;
                if end_section != section || end <= offset || word(4)? != 0 {
                    return None;
                }
                (Some(end), 8)
            };
            let unwind = match field(info_field) {
                Some(info) if word(info_field)? == 0 => {
                    let (x, at) = place(obj, info.0, info.1)?;
                    if !xdata.contains(&x.index()) {
                        return None;
                    }
                    Info::Record(x.index(), at)
                }
                None if arm64 && word(info_field)? & 3 == 1 => Info::Packed(word(info_field)?),
                _ => return None,
            };
            read.push(Entry {
                section,
                offset,
                end,
                unwind,
            });
        }
    }
    if used != fields.len() {
        return None;
    }
    // Each record runs to the next one in its section (or the section's end); they must start
    // where the one before ends, in `.pdata` order.
    let mut starts: Vec<(usize, u64)> = read
        .iter()
        .filter_map(|e| match e.unwind {
            Info::Record(x, at) => Some((x, at)),
            Info::Packed(_) => None,
        })
        .collect();
    starts.sort_unstable();
    let limit = |x: usize, at: u64| {
        starts
            .iter()
            .find(|&&(y, b)| y == x && b > at)
            .map_or(bytes(obj, x).map_or(0, |b| b.len() as u64), |&(_, b)| b)
    };
    let mut next: HashMap<usize, u64> = xdata.iter().map(|&k| (k, 0)).collect();
    let mut consumed = 0;
    let mut decoded = Vec::new();
    for e in read {
        let size = match e.end {
            Some(end) => end - e.offset,
            None => 0,
        };
        let mut f = FunctionUnwind::new(e.section, e.offset, size);
        let mut data = None;
        match e.unwind {
            Info::Packed(word) => {
                f.size = u64::from(word >> 2 & 0x7ff) * 4;
                f.seh = packed(word)?;
                if windows_unwind_info(obj.target.arch, f.size, &f.seh, false).ok()?
                    != WindowsUnwind::Packed(word)
                {
                    return None;
                }
            }
            Info::Record(x, at) => {
                if next.get(&x) != Some(&at) {
                    return None;
                }
                let end = limit(x, at);
                let record = bytes(obj, x)?.get(at as usize..end as usize)?;
                let (seh, len, handler, size) = if arm64 {
                    let (seh, len, handler, words) = arm64_record(record)?;
                    (seh, len, handler, u64::from(words) * 4)
                } else {
                    let (seh, len, handler) = unwind_info(record)?;
                    (seh, len, handler, f.size)
                };
                f.size = size;
                if windows_unwind_info(obj.target.arch, size, &seh, handler).ok()?
                    != WindowsUnwind::Record(record.get(..len as usize)?.to_vec())
                {
                    return None;
                }
                f.seh = seh;
                // No relocation inside the record itself.
                if (at..at + len).any(|o| in_xdata.contains_key(&(x, o))) {
                    return None;
                }
                let mut used_to = at + len;
                // A COMDAT function's handler data would have to follow it into its group (and
                // out of the link with it); such tables stay bytes.
                if handler && obj.sections[x].comdat.is_some() {
                    return None;
                }
                if handler {
                    let &k = in_xdata.get(&(x, used_to))?;
                    let r = &obj.relocations[k];
                    if r.kind() != RelocKind::Imagerel32
                        || r.addend() != 0
                        || r.minus().is_some()
                        || record.get(len as usize..len as usize + 4)? != [0; 4]
                    {
                        return None;
                    }
                    f.personality = Some(r.symbol()?);
                    consumed += 1;
                    used_to += 4;
                    if used_to < end {
                        let bytes = bytes(obj, x)?.get(used_to as usize..end as usize)?.to_vec();
                        let relocations: Vec<(u64, Relocation)> = (used_to..end)
                            .filter_map(|o| in_xdata.get(&(x, o)))
                            .map(|&k| {
                                let r = obj.relocations[k];
                                (r.offset() - used_to, r)
                            })
                            .collect();
                        consumed += relocations.len();
                        data = Some((bytes, relocations));
                    }
                    used_to = end;
                }
                next.insert(x, used_to);
            }
        }
        decoded.push(Decoded { function: f, data });
    }
    // Every .xdata relocation read, and every .xdata section all records.
    let whole = xdata
        .iter()
        .all(|&k| bytes(obj, k).is_some_and(|b| next.get(&k) == Some(&(b.len() as u64))));
    (consumed == in_xdata.len() && whole && !decoded.is_empty()).then_some(decoded)
}

/// The `seh` codes of one x86_64 `UNWIND_INFO` at the start of `b`, its length (without a
/// handler's RVA) and whether it has a handler (flags `UNW_FLAG_EHANDLER |
/// UNW_FLAG_UHANDLER`, which objforge writes; other flags do not decode).
fn unwind_info(b: &[u8]) -> Option<(Vec<SehRule>, u64, bool)> {
    let (&first, rest) = b.split_first()?;
    let handler = match first {
        1 => false,
        0x19 => true,
        _ => return None,
    };
    let prologue = u64::from(*rest.first()?);
    let count = usize::from(*rest.get(1)?);
    let frame = *rest.get(2)?;
    let slots: Vec<[u8; 2]> = (0..count)
        .map(|i| Some([*b.get(4 + 2 * i)?, *b.get(5 + 2 * i)?]))
        .collect::<Option<_>>()?;
    let len = 4 + 2 * (count + count % 2) as u64;
    if b.len() < len as usize {
        return None;
    }
    // Windows numbers rax rcx rdx rbx rsp rbp rsi rdi r8..r15; DWARF rax rdx rcx rbx rsi rdi
    // rbp rsp r8..r15.
    const DWARF: [u16; 16] = [0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15];
    let gpr = |n: u8| Register(DWARF[usize::from(n & 15)]);
    let mut codes = Vec::new();
    let mut i = 0;
    while i < slots.len() {
        let [at, op] = slots[i];
        let info = op >> 4;
        let wide = |i: usize| -> Option<u64> {
            let lo = slots.get(i)?;
            let hi = slots.get(i + 1)?;
            Some(u64::from(u32::from_le_bytes([lo[0], lo[1], hi[0], hi[1]])))
        };
        let narrow =
            |i: usize| -> Option<u64> { slots.get(i).map(|s| u64::from(u16::from_le_bytes(*s))) };
        let (code, used) = match op & 15 {
            0 => (SehOp::PushReg(gpr(info)), 1),
            1 if info == 0 => (SehOp::StackAlloc(narrow(i + 1)? * 8), 2),
            1 if info == 1 => (SehOp::StackAlloc(wide(i + 1)?), 3),
            2 => (SehOp::StackAlloc(u64::from(info) * 8 + 8), 1),
            3 if frame & 15 != 0 => (
                SehOp::SetFrame {
                    reg: gpr(frame & 15),
                    offset: u64::from(frame >> 4) * 16,
                },
                1,
            ),
            4 => (
                SehOp::SaveReg {
                    reg: gpr(info),
                    offset: narrow(i + 1)? * 8,
                },
                2,
            ),
            5 => (
                SehOp::SaveReg {
                    reg: gpr(info),
                    offset: wide(i + 1)?,
                },
                3,
            ),
            8 => (
                SehOp::SaveXmm {
                    reg: Register(17 + u16::from(info)),
                    offset: narrow(i + 1)? * 16,
                },
                2,
            ),
            9 => (
                SehOp::SaveXmm {
                    reg: Register(17 + u16::from(info)),
                    offset: wide(i + 1)?,
                },
                3,
            ),
            10 if info <= 1 => (SehOp::PushFrame { code: info == 1 }, 1),
            _ => return None,
        };
        codes.push(SehRule {
            at: u64::from(at),
            op: code,
        });
        i += used;
    }
    // Stored last first.
    codes.reverse();
    let last = codes.last().map_or(0, |c| c.at);
    let has_frame = codes.iter().any(|c| matches!(c.op, SehOp::SetFrame { .. }));
    if codes.windows(2).any(|w| w[1].at < w[0].at) || prologue < last || has_frame != (frame != 0) {
        return None;
    }
    if prologue > last {
        codes.push(SehRule {
            at: prologue,
            op: SehOp::EndPrologue,
        });
    }
    Some((codes, len, handler))
}

/// An arm64 code read from the record, before `save_next` is resolved.
enum Arm64Code {
    Op(SehOp),
    SaveNext,
    End,
}

/// The arm64 register x`n` or d`n` (`float`).
fn arm64_reg(n: u8, float: bool) -> Register {
    Register(u16::from(n) + if float { 64 } else { 0 })
}

/// One arm64 unwind code at the start of `b` and its length.
fn arm64_code(b: &[u8]) -> Option<(Arm64Code, usize)> {
    let first = *b.first()?;
    let second = || b.get(1).copied();
    let x = |n: u8| arm64_reg(19 + n, false);
    let d = |n: u8| arm64_reg(8 + n, true);
    // The register and scaled offset of a two-byte code.
    let pair = || -> Option<(u8, u64)> {
        let s = second()?;
        Some(((first & 3) << 2 | s >> 6, u64::from(s & 0x3f) * 8))
    };
    use Arm64Code::{End, Op};
    Some(match first {
        0x00..=0x1f => (Op(SehOp::StackAlloc(u64::from(first) * 16)), 1),
        0x20..=0x3f => (
            Op(SehOp::SaveRegPX {
                reg: x(0),
                offset: u64::from(first & 0x1f) * 8,
            }),
            1,
        ),
        0x40..=0x7f => (Op(SehOp::SaveFpLr(u64::from(first & 0x3f) * 8)), 1),
        0x80..=0xbf => (Op(SehOp::SaveFpLrX((u64::from(first & 0x3f) + 1) * 8)), 1),
        0xc0..=0xc7 => (
            Op(SehOp::StackAlloc(
                (u64::from(first & 7) << 8 | u64::from(second()?)) * 16,
            )),
            2,
        ),
        0xc8..=0xcb => {
            let (r, o) = pair()?;
            (
                Op(SehOp::SaveRegP {
                    reg: x(r),
                    offset: o,
                }),
                2,
            )
        }
        0xcc..=0xcf => {
            let (r, o) = pair()?;
            (
                Op(SehOp::SaveRegPX {
                    reg: x(r),
                    offset: o + 8,
                }),
                2,
            )
        }
        0xd0..=0xd3 => {
            let (r, o) = pair()?;
            (
                Op(SehOp::SaveReg {
                    reg: x(r),
                    offset: o,
                }),
                2,
            )
        }
        0xd4 | 0xd5 => {
            let s = second()?;
            let r = (first & 1) << 3 | s >> 5;
            (
                Op(SehOp::SaveRegX {
                    reg: x(r),
                    offset: (u64::from(s & 0x1f) + 1) * 8,
                }),
                2,
            )
        }
        0xd6 | 0xd7 => {
            let s = second()?;
            let r = (first & 1) << 2 | s >> 6;
            (
                Op(SehOp::SaveLrPair {
                    reg: x(2 * r),
                    offset: u64::from(s & 0x3f) * 8,
                }),
                2,
            )
        }
        0xd8 | 0xd9 => {
            let (r, o) = pair()?;
            (
                Op(SehOp::SaveFRegP {
                    reg: d(r & 7),
                    offset: o,
                }),
                2,
            )
        }
        0xda | 0xdb => {
            let (r, o) = pair()?;
            (
                Op(SehOp::SaveFRegPX {
                    reg: d(r & 7),
                    offset: o + 8,
                }),
                2,
            )
        }
        0xdc | 0xdd => {
            let (r, o) = pair()?;
            (
                Op(SehOp::SaveFReg {
                    reg: d(r & 7),
                    offset: o,
                }),
                2,
            )
        }
        0xde => {
            let s = second()?;
            (
                Op(SehOp::SaveFRegX {
                    reg: d(s >> 5),
                    offset: (u64::from(s & 0x1f) + 1) * 8,
                }),
                2,
            )
        }
        0xe0 => {
            let v = b.get(1..4)?;
            let n = u64::from(v[0]) << 16 | u64::from(v[1]) << 8 | u64::from(v[2]);
            (Op(SehOp::StackAlloc(n * 16)), 4)
        }
        0xe1 => (Op(SehOp::SetFp), 1),
        0xe2 => (Op(SehOp::AddFp(u64::from(second()?) * 8)), 2),
        0xe3 => (Op(SehOp::Nop), 1),
        0xe4 => (End, 1),
        0xe6 => (Arm64Code::SaveNext, 1),
        0xfc => (Op(SehOp::PacSignLr), 1),
        _ => return None,
    })
}

/// The codes from `at` in `codes` up to `end`, in the order stored, `save_next` resolved
/// against the pair before it in instruction order (`reversed`: the stored order is the
/// reverse of the instructions', as in a prologue).
fn arm64_codes(codes: &[u8], at: usize, reversed: bool) -> Option<Vec<SehOp>> {
    let mut read = Vec::new();
    let mut i = at;
    loop {
        let (code, len) = arm64_code(codes.get(i..)?)?;
        i += len;
        match code {
            Arm64Code::End => break,
            other => read.push(other),
        }
    }
    if reversed {
        read.reverse();
    }
    // Instruction order for a prologue; an epilogue's `save_next` follows its pair in the
    // reverse of the instruction order, so resolve it walking backwards.
    let mut ops: Vec<Option<SehOp>> = Vec::new();
    let order: Vec<usize> = if reversed {
        (0..read.len()).collect()
    } else {
        (0..read.len()).rev().collect()
    };
    ops.resize(read.len(), None);
    let mut previous: Option<(u16, u64)> = None;
    for k in order {
        let op = match &read[k] {
            Arm64Code::Op(op) => op.clone(),
            Arm64Code::SaveNext => {
                let (r, o) = previous?;
                SehOp::SaveRegP {
                    reg: Register(r + 2),
                    offset: o + 16,
                }
            }
            Arm64Code::End => unreachable!("ends are taken out above"),
        };
        previous = match op {
            SehOp::SaveRegPX { reg, .. } => Some((reg.0, 0)),
            SehOp::SaveRegP { reg, offset } => Some((reg.0, offset)),
            _ => None,
        };
        ops[k] = Some(op);
    }
    ops.into_iter().collect()
}

/// The `seh` codes of one arm64 `.xdata` record at the start of `b`, its length (without a
/// handler's RVA), whether it has a handler and the function's length in words.
fn arm64_record(b: &[u8]) -> Option<(Vec<SehRule>, u64, bool, u32)> {
    let word = |k: usize| {
        Some(u32::from_le_bytes(
            b.get(4 * k..4 * k + 4)?.try_into().ok()?,
        ))
    };
    let header = word(0)?;
    let words = header & 0x3_ffff;
    let handler = header >> 20 & 1 == 1;
    let packed_epilogue = header >> 21 & 1 == 1;
    // Version 0, no fragments.
    if header >> 18 & 3 != 0 {
        return None;
    }
    let (mut epilogues, mut code_words) = (header >> 22 & 0x1f, header >> 27);
    let mut at = 1;
    if epilogues == 0 && code_words == 0 {
        let extension = word(1)?;
        epilogues = extension & 0xffff;
        code_words = extension >> 16 & 0xff;
        at = 2;
    }
    let scopes: Vec<(u32, usize)> = if packed_epilogue {
        Vec::new()
    } else {
        (0..epilogues as usize)
            .map(|k| {
                let s = word(at + k)?;
                (s >> 18 & 0xf == 0).then_some((s & 0x3_ffff, (s >> 22) as usize))
            })
            .collect::<Option<_>>()?
    };
    let codes_at = 4 * (at + scopes.len());
    let codes = b.get(codes_at..codes_at + 4 * code_words as usize)?;
    let prologue = arm64_codes(codes, 0, true)?;
    let mut seh: Vec<SehRule> = Vec::new();
    for (k, op) in prologue.iter().enumerate() {
        seh.push(SehRule {
            at: 4 * (k as u64 + 1),
            op: op.clone(),
        });
    }
    seh.push(SehRule {
        at: 4 * prologue.len() as u64,
        op: SehOp::EndPrologue,
    });
    let mut epilogue_list: Vec<(u64, Vec<SehOp>)> = Vec::new();
    if packed_epilogue {
        let ops = arm64_codes(codes, epilogues as usize, false)?;
        let start = (u64::from(words) * 4).checked_sub(4 * (ops.len() as u64 + 1))?;
        epilogue_list.push((start, ops));
    } else {
        for (start, index) in scopes {
            epilogue_list.push((u64::from(start) * 4, arm64_codes(codes, index, false)?));
        }
    }
    for (start, ops) in epilogue_list {
        seh.push(SehRule {
            at: start,
            op: SehOp::StartEpilogue,
        });
        let n = ops.len() as u64;
        for (k, op) in ops.into_iter().enumerate() {
            seh.push(SehRule {
                at: start + 4 * (k as u64 + 1),
                op,
            });
        }
        seh.push(SehRule {
            at: start + 4 * n,
            op: SehOp::EndEpilogue,
        });
    }
    Some((seh, codes_at as u64 + codes.len() as u64, handler, words))
}

/// The codes of a packed `.pdata` word: the canonical prologue it stands for and its mirror
/// epilogue at the function's end (without the final `set_fp`, as compilers write it).
fn packed(word: u32) -> Option<Vec<SehRule>> {
    let words = u64::from(word >> 2 & 0x7ff);
    let reg_f = word >> 13 & 7;
    let reg_i = word >> 16 & 15;
    let homed = word >> 20 & 1;
    let cr = word >> 21 & 3;
    let frame = u64::from(word >> 23) * 16;
    if homed != 0 || word & 3 != 1 {
        return None;
    }
    let floats = if reg_f == 0 { 0 } else { reg_f + 1 };
    let lr_alone = cr == 1;
    let saved = u64::from((8 * reg_i + 8 * u32::from(lr_alone) + 8 * floats + 15) & !15);
    let x = |n: u32| Register(19 + n as u16);
    let d = |n: u32| Register(72 + n as u16);
    let mut ops: Vec<SehOp> = Vec::new();
    if cr == 2 {
        ops.push(SehOp::PacSignLr);
    }
    // Integer registers from x19, two at a time; the first store moves sp down by all saved.
    let mut i = 0;
    while i < reg_i {
        let offset = u64::from(8 * i);
        let first = i == 0;
        if reg_i - i >= 2 {
            ops.push(if first {
                SehOp::SaveRegPX {
                    reg: x(i),
                    offset: saved,
                }
            } else {
                SehOp::SaveRegP { reg: x(i), offset }
            });
            i += 2;
        } else if first {
            ops.push(SehOp::SaveRegX {
                reg: x(i),
                offset: saved,
            });
            i += 1;
        } else if lr_alone {
            ops.push(SehOp::SaveLrPair { reg: x(i), offset });
            i += 1;
        } else {
            ops.push(SehOp::SaveReg { reg: x(i), offset });
            i += 1;
        }
    }
    let lr_done = lr_alone && reg_i % 2 == 1 && reg_i > 1;
    if lr_alone && !lr_done {
        ops.push(if reg_i == 0 {
            SehOp::SaveRegX {
                reg: Register(30),
                offset: saved,
            }
        } else {
            SehOp::SaveReg {
                reg: Register(30),
                offset: u64::from(8 * reg_i),
            }
        });
    }
    let mut f = 0;
    while f < floats {
        let offset = u64::from(8 * (reg_i + u32::from(lr_alone) + f));
        if f == 0 && reg_i == 0 && !lr_alone {
            ops.push(SehOp::SaveFRegPX {
                reg: d(0),
                offset: saved,
            });
            f += 2;
        } else if floats - f >= 2 {
            ops.push(SehOp::SaveFRegP { reg: d(f), offset });
            f += 2;
        } else {
            ops.push(SehOp::SaveFReg { reg: d(f), offset });
            f += 1;
        }
    }
    let local = frame.checked_sub(saved)?;
    if cr == 3 || cr == 2 {
        if local <= 512 {
            ops.push(SehOp::SaveFpLrX(local));
        } else {
            // The frame record at the bottom of the allocation.
            ops.push(SehOp::StackAlloc(local));
            ops.push(SehOp::SaveFpLr(0));
        }
    } else if local > 0 {
        ops.push(SehOp::StackAlloc(local));
    }
    let mut seh: Vec<SehRule> = ops
        .iter()
        .enumerate()
        .map(|(k, op)| SehRule {
            at: 4 * (k as u64 + 1),
            op: op.clone(),
        })
        .collect();
    if cr == 3 || cr == 2 {
        seh.push(SehRule {
            at: 4 * (ops.len() as u64 + 1),
            op: SehOp::SetFp,
        });
    }
    let prologue = seh.len() as u64;
    seh.push(SehRule {
        at: 4 * prologue,
        op: SehOp::EndPrologue,
    });
    let epilogue: Vec<SehOp> = ops.into_iter().rev().collect();
    let start = (4 * words).checked_sub(4 * (epilogue.len() as u64 + 1))?;
    if start < 4 * prologue {
        return None;
    }
    seh.push(SehRule {
        at: start,
        op: SehOp::StartEpilogue,
    });
    let n = epilogue.len() as u64;
    for (k, op) in epilogue.into_iter().enumerate() {
        seh.push(SehRule {
            at: start + 4 * (k as u64 + 1),
            op,
        });
    }
    seh.push(SehRule {
        at: start + 4 * n,
        op: SehOp::EndEpilogue,
    });
    Some(seh)
}
