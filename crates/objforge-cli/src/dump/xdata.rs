//! A COFF x86_64 object's `.pdata` and `.xdata` back into `unwind` entries with `seh` codes,
//! where they decode cleanly: every `.pdata` entry three `imagerel32` fields (the start and end
//! of a function in one section, its `UNWIND_INFO` in an `.xdata` section), every
//! `UNWIND_INFO` version 1 without flags (no handler, no chained info), and the `.xdata`
//! sections nothing but those `UNWIND_INFO`s, back to back, in `.pdata` order. The prologue's
//! size comes back as an `endprologue` code where it is past the last code. Otherwise the
//! sections stay bytes and relocations.

use std::collections::HashMap;

use objforge::unwind::{FunctionUnwind, Register, SehOp, SehRule};
use objforge::{
    Architecture, Format, Object, RelocKind, SectionId, SymbolDefinition, SymbolId, SymbolKind,
};

use super::eh_frame::replace_sections;
use super::Dumped;

/// Whether `name` is one of the tables (`.pdata`, `.pdata$f`; `.xdata`, `.xdata$f`).
fn is_table(name: &str, table: &str) -> bool {
    name == table
        || name
            .strip_prefix(table)
            .is_some_and(|rest| rest.starts_with('$'))
}

/// Replaces `.pdata` and `.xdata` by `unwind` entries in a COFF x86_64 model, when they all
/// decode.
pub fn decode(dumped: &mut Dumped) {
    let obj = &dumped.object;
    if obj.target.format != Format::Coff
        || obj.target.arch != Architecture::X86_64
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
    let Some(entries) = entries(obj, &pdata, &xdata) else {
        return;
    };
    let mut remove: Vec<usize> = pdata.iter().chain(&xdata).copied().collect();
    remove.sort_unstable();
    replace_sections(dumped, &remove, entries);
}

/// Where a symbol plus an addend points: (section, offset).
fn place(obj: &Object, symbol: SymbolId, addend: i64) -> Option<(SectionId, u64)> {
    match obj.symbols.get(symbol.0)?.definition {
        SymbolDefinition::Defined { section, offset } => {
            Some((section, offset.checked_add_signed(addend)?))
        }
        _ => None,
    }
}

fn bytes(obj: &Object, k: usize) -> Option<&[u8]> {
    obj.sections.get(k)?.data.bytes()
}

fn entries(obj: &Object, pdata: &[usize], xdata: &[usize]) -> Option<Vec<FunctionUnwind>> {
    let tables: Vec<usize> = pdata.iter().chain(xdata).copied().collect();
    // Nothing but section symbols in the tables, no relocation elsewhere into them, and only
    // `imagerel32` relocations in `.pdata`, none in `.xdata`.
    if obj.symbols.iter().any(|s| {
        s.kind != SymbolKind::Section && s.section_id().is_some_and(|k| tables.contains(&k.0))
    }) {
        return None;
    }
    let mut fields: HashMap<(usize, u64), (SymbolId, i64)> = HashMap::new();
    for r in &obj.relocations {
        let into_table = [r.symbol, r.minus].into_iter().flatten().any(|s| {
            obj.symbols
                .get(s.0)
                .and_then(|s| s.section_id())
                .is_some_and(|k| tables.contains(&k.0))
        });
        if xdata.contains(&r.section.0) {
            return None;
        }
        if pdata.contains(&r.section.0) {
            if r.kind != RelocKind::Imagerel32 {
                return None;
            }
            fields.insert((r.section.0, r.offset), (r.symbol?, r.addend));
        } else if into_table {
            return None;
        }
    }
    // Where the next UNWIND_INFO of each .xdata section must start.
    let mut next: HashMap<usize, u64> = xdata.iter().map(|&k| (k, 0)).collect();
    let mut entries = Vec::new();
    let mut used = 0;
    for &p in pdata {
        let table = bytes(obj, p)?;
        if table.len() % 12 != 0 || table.iter().any(|&b| b != 0) {
            return None;
        }
        for entry in (0..table.len() as u64).step_by(12) {
            let mut field = |at: u64| {
                used += 1;
                fields.get(&(p, entry + at)).copied()
            };
            let (start, end, info) = (field(0)?, field(4)?, field(8)?);
            let (section, offset) = place(obj, start.0, start.1)?;
            let (end_section, end) = place(obj, end.0, end.1)?;
            let (x, at) = place(obj, info.0, info.1)?;
            if end_section != section || end <= offset || next.get(&x.0) != Some(&at) {
                return None;
            }
            let (seh, len) = unwind_info(bytes(obj, x.0)?.get(at as usize..)?)?;
            next.insert(x.0, at + len);
            let mut f = FunctionUnwind::new(section, offset, end - offset);
            f.seh = seh;
            entries.push(f);
        }
    }
    // Every field read, and every .xdata section all UNWIND_INFOs.
    let whole = xdata
        .iter()
        .all(|&k| bytes(obj, k).is_some_and(|b| next.get(&k) == Some(&(b.len() as u64))));
    (used == fields.len() && whole && !entries.is_empty()).then_some(entries)
}

/// The `seh` codes of one `UNWIND_INFO` at the start of `b`, and its length.
fn unwind_info(b: &[u8]) -> Option<(Vec<SehRule>, u64)> {
    let (&version, rest) = b.split_first()?;
    if version != 1 {
        return None;
    }
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
    Some((codes, len))
}
