//! A walk over each function body's instructions, to catch what the linker or the engine would
//! trip on later: in a plain module, a `call` (or `ref.func`, `global.get`, `call_indirect`
//! type) naming an index the module does not declare; in an object, such an immediate with no
//! relocation, which the linker would leave pointing at the wrong function once it renumbers.
//!
//! The walk knows the core instruction set (with sign extension, saturating truncation, bulk
//! memory, reference types and tail calls). At an opcode it does not know (SIMD, atomics,
//! exceptions, GC) it stops checking that body: it never rejects what it cannot read.

use crate::error::{Error, Place};
use crate::hash::FxHashSet;
use crate::model::{Object, SectionData};
use crate::reloc::RelocKind;

use super::resolve::Resolved;

/// What an immediate indexes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Space {
    Function,
    Type,
    Global,
}

impl Space {
    fn noun(self) -> &'static str {
        match self {
            Space::Function => "function",
            Space::Type => "type",
            Space::Global => "global",
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            if i < 9 {
                v |= u64::from(b & 0x7f) << (7 * i);
            }
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn sleb(&mut self) -> Option<()> {
        self.uleb().map(|_| ())
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        if self.bytes.len() - self.at < n {
            return None;
        }
        self.at += n;
        Some(())
    }
}

/// An index immediate found in a body: where, and what it indexes.
struct Use {
    offset: usize,
    space: Space,
    index: u64,
    opcode: &'static str,
}

/// How a body's walk ended.
enum Walk {
    /// Every instruction read, up to the final `end` at this offset.
    Complete(usize),
    /// An opcode the walk does not know: the rest is unchecked.
    Unknown,
    /// The bytes ran out, or a number was malformed, at this offset.
    Truncated(usize),
}

/// Reads a block type: empty, a value type, or a type index (s33).
fn block_type(r: &mut Reader<'_>, uses: &mut Vec<Use>) -> Option<()> {
    let first = *r.bytes.get(r.at)?;
    if first == 0x40 || (0x6f..=0x7f).contains(&first) {
        r.at += 1;
        return Some(());
    }
    let offset = r.at;
    let index = r.uleb()?;
    uses.push(Use {
        offset,
        space: Space::Type,
        index,
        opcode: "a block type",
    });
    Some(())
}

fn memarg(r: &mut Reader<'_>) -> Option<()> {
    let align = r.uleb()?;
    if align & 0x40 != 0 {
        r.uleb()?; // memory index (multi-memory)
    }
    r.uleb().map(|_| ())
}

/// Walks one body, collecting its index immediates.
fn walk(bytes: &[u8], uses: &mut Vec<Use>) -> Walk {
    let mut r = Reader { bytes, at: 0 };
    match walk_inner(&mut r, uses) {
        Some(Some(end)) => Walk::Complete(end),
        Some(None) => Walk::Unknown,
        None => Walk::Truncated(r.at),
    }
}

/// `None`: ran out; `Some(None)`: unknown opcode; `Some(Some(end))`: complete.
fn walk_inner(r: &mut Reader<'_>, uses: &mut Vec<Use>) -> Option<Option<usize>> {
    let groups = r.uleb()?;
    for _ in 0..groups {
        r.uleb()?;
        r.byte()?;
    }
    let mut depth = 1u64;
    loop {
        let at = r.at;
        let op = r.byte()?;
        let mut index = |r: &mut Reader<'_>, space, opcode| -> Option<()> {
            let offset = r.at;
            let index = r.uleb()?;
            uses.push(Use {
                offset,
                space,
                index,
                opcode,
            });
            Some(())
        };
        match op {
            0x00 | 0x01 | 0x05 | 0x0f | 0x1a | 0x1b | 0xd1 | 0x45..=0xc4 => {}
            0x02..=0x04 => {
                block_type(r, uses)?;
                depth += 1;
            }
            0x0b => {
                depth -= 1;
                if depth == 0 {
                    return Some(Some(at));
                }
            }
            0x0c | 0x0d | 0x20..=0x22 | 0x25 | 0x26 | 0x3f | 0x40 => {
                r.uleb()?;
            }
            0x0e => {
                let n = r.uleb()?;
                for _ in 0..=n {
                    r.uleb()?;
                }
            }
            0x10 => index(r, Space::Function, "call")?,
            0x12 => index(r, Space::Function, "return_call")?,
            0x11 | 0x13 => {
                index(r, Space::Type, "call_indirect")?;
                r.uleb()?; // table
            }
            0x1c => {
                let n = r.uleb()?;
                r.skip(usize::try_from(n).ok()?)?;
            }
            0x23 => index(r, Space::Global, "global.get")?,
            0x24 => index(r, Space::Global, "global.set")?,
            0x28..=0x3e => memarg(r)?,
            0x41 | 0x42 => r.sleb()?,
            0x43 => r.skip(4)?,
            0x44 => r.skip(8)?,
            0xd0 => r.sleb()?,
            0xd2 => index(r, Space::Function, "ref.func")?,
            0xfc => match r.uleb()? {
                0..=7 => {}
                8 => {
                    r.uleb()?;
                    r.uleb()?;
                }
                9 | 13 | 15..=17 => {
                    r.uleb()?;
                }
                10 | 12 | 14 => {
                    r.uleb()?;
                    r.uleb()?;
                }
                11 => {
                    r.uleb()?;
                }
                _ => return Some(None),
            },
            _ => return Some(None),
        }
    }
}

/// Checks every function body of `obj`.
pub(crate) fn check(obj: &Object, resolved: &Resolved) -> Result<(), Error> {
    let module = &obj.wasm;
    // In an object: where the index relocations are, per section.
    let relocated: FxHashSet<(usize, u64, Space)> = obj
        .relocations
        .iter()
        .filter_map(|r| {
            let space = match r.kind() {
                RelocKind::WasmFuncIndexLeb => Space::Function,
                RelocKind::WasmTypeIndexLeb => Space::Type,
                RelocKind::WasmGlobalIndexLeb => Space::Global,
                RelocKind::Native(n) => match n.r_type {
                    0 => Space::Function,
                    6 => Space::Type,
                    7 => Space::Global,
                    _ => return None,
                },
                _ => return None,
            };
            Some((r.section().index(), r.offset(), space))
        })
        .collect();
    let counts = |space| match space {
        Space::Function => resolved.function_count(module),
        Space::Type => module.types.len() as u64,
        Space::Global => resolved.global_count(module),
    };
    let mut uses = Vec::new();
    for f in &module.functions {
        let i = f.section.index();
        let s = &obj.sections[i];
        let SectionData::Bytes(bytes) = &s.data else {
            continue;
        };
        uses.clear();
        match walk(bytes, &mut uses) {
            Walk::Complete(end) if end + 1 != bytes.len() => {
                return Err(Error::invalid(
                    Place::Section(i, None),
                    format!(
                        "{}: the function's final `end` is at offset {end}, but the body goes on to {} bytes",
                        s.name,
                        bytes.len()
                    ),
                ))
            }
            Walk::Truncated(at) => {
                return Err(Error::invalid(
                    Place::Section(i, None),
                    format!(
                        "{}: the function body ends (or has a malformed number) at offset {at}, before its final `end`",
                        s.name
                    ),
                ))
            }
            _ => {}
        }
        for u in &uses {
            let offset = u.offset as u64;
            if resolved.relocatable {
                if !relocated.contains(&(i, offset, u.space)) {
                    let kind = match u.space {
                        Space::Function => RelocKind::WasmFuncIndexLeb,
                        Space::Type => RelocKind::WasmTypeIndexLeb,
                        Space::Global => RelocKind::WasmGlobalIndexLeb,
                    };
                    // The linker rebuilds the type section too: type immediates move as well.
                    return Err(Error::invalid(
                        Place::Section(i, None),
                        format!(
                            "{}: the {} at offset {} names {} {} with no {kind} relocation at {offset}; the linker renumbers {}s, so an object relocates every such index",
                            s.name,
                            u.opcode,
                            offset.saturating_sub(1),
                            u.space.noun(),
                            u.index,
                            u.space.noun()
                        ),
                    ));
                }
            } else {
                let total = counts(u.space);
                if u.index >= total {
                    return Err(Error::invalid(
                        Place::Section(i, None),
                        format!(
                            "{}: the {} at offset {} names {} {}, but the module declares {total} {}{} (imported ones first)",
                            s.name,
                            u.opcode,
                            offset.saturating_sub(1),
                            u.space.noun(),
                            u.index,
                            u.space.noun(),
                            if total == 1 { "" } else { "s" }
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}
