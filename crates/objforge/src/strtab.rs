//! One string-table type for every format: NUL-terminated strings after a leading NUL, each
//! stored once.
//!
//! A table holds two kinds of strings. The model's symbol names ([`StringTable::add_symbol_names`])
//! come first, in symbol order: which of them are equal was found once, during validation
//! ([`SameNames`]), so they are neither hashed nor sorted here. Then the few other strings a
//! writer adds ([`StringTable::add`]: section names, group signatures, labels), deduplicated
//! with a hash map, or in a section-name table also stored inside a longer string they end
//! (`.text` within `.rela.text`).

use std::borrow::Cow;

use crate::hash::FxHashMap;
use crate::model::Symbol;
use crate::names::SameNames;
use crate::out::Out;

/// Handle to a string added with [`StringTable::add`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StringId(u32);

/// What goes before a symbol's name in the table (a platform's C prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// Nothing.
    None,
    /// `_` before every name but the empty one (Mach-O).
    Underscore,
    /// `_` before a C name on 32-bit Windows: not before an empty name or one that begins with
    /// `?` (MSVC C++) or `@` (fastcall, `@feat.00`).
    Windows32,
}

impl Prefix {
    /// The bytes that go before `name`.
    #[inline]
    pub(crate) fn of(self, name: &[u8]) -> &'static [u8] {
        let prefixed = match self {
            Prefix::None => false,
            Prefix::Underscore => !name.is_empty(),
            Prefix::Windows32 => !matches!(name.first(), None | Some(b'?' | b'@')),
        };
        if prefixed {
            b"_"
        } else {
            b""
        }
    }
}

/// Not in the table.
const ABSENT: u32 = u32::MAX;

/// The model's symbol names in a table.
struct SymbolNames<'a> {
    symbols: &'a [Symbol],
    prefix: Prefix,
    /// Where the first name goes.
    start: u32,
    /// Per model symbol, its offset, or [`ABSENT`]. A name stored at its own offset has the
    /// next free one when its symbol's turn comes; one stored earlier, a lower offset.
    offsets: Vec<u32>,
}

/// Strings collected first, laid out once by [`StringTable::finish`], then written.
pub(crate) struct StringTable<'a> {
    names: Option<SymbolNames<'a>>,
    strings: Vec<Cow<'a, [u8]>>,
    offsets: Vec<u32>,
    /// Ids of the added strings that own their bytes, in file order.
    placed: Vec<u32>,
    size: usize,
    tail_merge: bool,
}

impl<'a> StringTable<'a> {
    /// A table whose first byte is NUL, so offset 0 is the empty string (ELF, Mach-O).
    /// Equal strings are stored once.
    pub(crate) fn new() -> StringTable<'a> {
        StringTable {
            names: None,
            strings: Vec::new(),
            offsets: Vec::new(),
            placed: Vec::new(),
            size: 1,
            tail_merge: false,
        }
    }

    /// Like [`StringTable::new`], and a string that ends another is stored inside it
    /// (`.text` within `.rela.text`). Costs a sort: meant for section names, not for
    /// hundreds of thousands of symbols.
    pub(crate) fn tail_merged() -> StringTable<'a> {
        StringTable {
            tail_merge: true,
            ..StringTable::new()
        }
    }

    /// Stores the name of every model symbol `i` for which `include(i)` holds, `prefix` before
    /// it; equal names (as `same` has them) once. Call once, before [`StringTable::finish`].
    /// Offsets are 32-bit: a table past 4 GiB is refused by the writers before this. `same` is
    /// used up: nothing needs it after, and freeing it here keeps it out of the layout's peak.
    pub(crate) fn add_symbol_names(
        &mut self,
        symbols: &'a [Symbol],
        same: SameNames,
        prefix: Prefix,
        include: impl Fn(usize) -> bool,
    ) {
        let mut offsets = vec![ABSENT; symbols.len()];
        let start = self.size as u32;
        let mut size = self.size;
        for (i, s) in symbols.iter().enumerate() {
            let name = s.name.as_bytes();
            if name.is_empty() || !include(i) {
                continue;
            }
            let first = same.first(i);
            let earlier = if first < i {
                offsets.get(first).copied().unwrap_or(ABSENT)
            } else {
                ABSENT
            };
            let at = if earlier != ABSENT {
                earlier
            } else {
                let at = size as u32;
                size += prefix.of(name).len() + name.len() + 1;
                at
            };
            if let Some(o) = offsets.get_mut(i) {
                *o = at;
            }
        }
        self.size = size;
        self.names = Some(SymbolNames {
            symbols,
            prefix,
            start,
            offsets,
        });
    }

    /// The same table, its symbol names now read from `symbols` (the same symbols, wherever
    /// they are now) and its other strings owned: a consuming write frees parts of the model
    /// between writing the file's parts, which the borrowed strings would forbid.
    pub(crate) fn rebind<'b>(self, symbols: &'b [Symbol]) -> StringTable<'b> {
        StringTable {
            names: self.names.map(|n| SymbolNames {
                symbols,
                prefix: n.prefix,
                start: n.start,
                offsets: n.offsets,
            }),
            strings: (self.strings.into_iter())
                .map(|s| Cow::Owned(s.into_owned()))
                .collect(),
            offsets: self.offsets,
            placed: self.placed,
            size: self.size,
            tail_merge: self.tail_merge,
        }
    }

    /// Offset of symbol `i`'s name (0, the empty string, if it was not stored).
    #[inline]
    pub(crate) fn symbol_offset(&self, i: usize) -> u32 {
        self.names
            .as_ref()
            .and_then(|n| n.offsets.get(i))
            .copied()
            .filter(|&o| o != ABSENT)
            .unwrap_or(0)
    }

    /// Adds a string; the id gives its offset after [`StringTable::finish`].
    pub(crate) fn add(&mut self, s: impl Into<Cow<'a, [u8]>>) -> StringId {
        self.strings.push(s.into());
        StringId((self.strings.len() - 1) as u32)
    }

    /// Lays the added strings out, after the symbol names.
    pub(crate) fn finish(&mut self) {
        self.offsets = vec![0; self.strings.len()];
        if self.tail_merge {
            self.finish_tail_merged();
        } else {
            self.finish_deduplicated();
        }
    }

    fn place(&mut self, id: u32) -> usize {
        let at = self.size;
        self.size += self.strings.get(id as usize).map_or(0, |s| s.len()) + 1;
        self.placed.push(id);
        at
    }

    fn finish_deduplicated(&mut self) {
        let mut seen: FxHashMap<&[u8], u32> = FxHashMap::default();
        seen.reserve(self.strings.len());
        let mut size = self.size;
        for (id, s) in self.strings.iter().enumerate() {
            if s.is_empty() {
                continue;
            }
            let offset = *seen.entry(&s[..]).or_insert_with(|| {
                let at = size;
                size += s.len() + 1;
                self.placed.push(id as u32);
                at as u32
            });
            if let Some(o) = self.offsets.get_mut(id) {
                *o = offset;
            }
        }
        self.size = size;
    }

    /// Sorts by reversed bytes so that each string sits next to the longer strings it is a
    /// suffix of, then shares tails.
    fn finish_tail_merged(&mut self) {
        let mut order: Vec<u32> = (0..self.strings.len() as u32).collect();
        let strings = &self.strings;
        let get = |id: u32| -> &[u8] { strings.get(id as usize).map_or(&[], |s| s) };
        order.sort_unstable_by(|&a, &b| get(b).iter().rev().cmp(get(a).iter().rev()));
        let mut prev: Option<(u32, usize)> = None;
        let mut offsets = std::mem::take(&mut self.offsets);
        for id in order {
            let len = self.get(id).len();
            if len == 0 {
                continue;
            }
            let offset = match prev {
                Some((p, at)) if self.get(p).ends_with(self.get(id)) => {
                    at + self.get(p).len() - len
                }
                _ => {
                    let at = self.place(id);
                    prev = Some((id, at));
                    at
                }
            };
            if let Some(o) = offsets.get_mut(id as usize) {
                *o = offset as u32;
            }
        }
        self.offsets = offsets;
        // Owners were placed in sorted order; the bytes are written in that order too.
    }

    fn get(&self, id: u32) -> &[u8] {
        self.strings.get(id as usize).map_or(&[], |s| s)
    }

    /// Bytes the table takes, after [`StringTable::finish`].
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Offset of an added string, after [`StringTable::finish`].
    pub(crate) fn offset(&self, id: StringId) -> u32 {
        self.offsets.get(id.0 as usize).copied().unwrap_or(0)
    }

    /// Writes the table: the leading NUL, each stored symbol name, each stored string.
    pub(crate) fn emit(&self, out: &mut Out) {
        self.entries(|prefix, name| out.terminated(prefix, name));
    }

    /// Appends the table to `out` (as [`StringTable::emit`] writes it).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.reserve(self.size);
        self.entries(|prefix, name| {
            out.extend_from_slice(prefix);
            out.extend_from_slice(name);
            out.push(0);
        });
    }

    /// Hands over each NUL-terminated entry in table order, as (prefix, name): the leading
    /// empty string, each stored symbol name, each stored string.
    fn entries(&self, mut put: impl FnMut(&[u8], &[u8])) {
        put(&[], &[]);
        if let Some(names) = &self.names {
            let mut next = names.start;
            for (s, &at) in names.symbols.iter().zip(&names.offsets) {
                if at == next {
                    let name = s.name.as_bytes();
                    let prefix = names.prefix.of(name);
                    put(prefix, name);
                    next += (prefix.len() + name.len() + 1) as u32;
                }
            }
        }
        for &id in &self.placed {
            put(&[], self.get(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SectionId, Symbol};

    fn written(t: &StringTable) -> Vec<u8> {
        let mut out = Out::in_memory(false);
        t.emit(&mut out);
        let mut v = Vec::new();
        t.write(&mut v);
        let out = out.into_vec();
        assert_eq!(out, v);
        out
    }

    #[test]
    fn shares_tails_and_duplicates() {
        let mut t = StringTable::tail_merged();
        let text = t.add(&b".text"[..]);
        let rela = t.add(&b".rela.text"[..]);
        let again = t.add(&b".text"[..]);
        let empty = t.add(&b""[..]);
        t.finish();
        let out = written(&t);
        assert_eq!(out, b"\0.rela.text\0");
        assert_eq!(t.offset(rela), 1);
        assert_eq!(t.offset(text), 6);
        assert_eq!(t.offset(again), 6);
        assert_eq!(t.offset(empty), 0);
        assert_eq!(t.size(), out.len());
    }

    #[test]
    fn stores_equal_strings_once_in_order() {
        let mut t = StringTable::new();
        let a = t.add(&b"main"[..]);
        let b = t.add(&b"puts"[..]);
        let c = t.add(&b"main"[..]);
        t.finish();
        let out = written(&t);
        assert_eq!(out, b"\0main\0puts\0");
        assert_eq!((t.offset(a), t.offset(b), t.offset(c)), (1, 6, 1));
        assert_eq!(t.size(), out.len());
    }

    #[test]
    fn symbol_names_once_with_prefix_then_strings() {
        let s = SectionId(0);
        let symbols = vec![
            Symbol::defined("main", s, 0),
            Symbol::defined("", s, 0),
            Symbol::defined("puts", s, 0),
            Symbol::defined("main", s, 4),
            Symbol::defined("skip", s, 0),
        ];
        let (same, _) = SameNames::find(symbols.len(), |i| symbols[i].name.as_bytes(), |_| false);
        let mut t = StringTable::new();
        t.add_symbol_names(&symbols, same, Prefix::Underscore, |i| i != 4);
        let extra = t.add(&b"ltmp0"[..]);
        t.finish();
        let out = written(&t);
        assert_eq!(out, b"\0_main\0_puts\0ltmp0\0");
        let offsets: Vec<u32> = (0..5).map(|i| t.symbol_offset(i)).collect();
        assert_eq!(offsets, [1, 0, 7, 1, 0]);
        assert_eq!(t.offset(extra), 13);
        assert_eq!(t.size(), out.len());
    }
}
