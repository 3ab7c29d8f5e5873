//! One string-table type for every format: NUL-terminated strings, deduplicated, with a string
//! that ends another stored inside it (`"bar"` at the tail of `"foobar"`).

use std::borrow::Cow;

use crate::hash::FxHashMap;

/// Handle to a string added to a [`StringTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StringId(u32);

/// Strings collected first, laid out once by [`StringTable::finish`], then written.
#[derive(Default)]
pub(crate) struct StringTable<'a> {
    strings: Vec<Cow<'a, [u8]>>,
    offsets: Vec<u32>,
    /// Ids of the strings that own their bytes, in file order.
    placed: Vec<u32>,
    size: usize,
    tail_merge: bool,
}

impl<'a> StringTable<'a> {
    /// A table whose first byte is NUL, so offset 0 is the empty string (ELF, Mach-O).
    /// Equal strings are stored once.
    pub(crate) fn new() -> StringTable<'a> {
        StringTable {
            size: 1,
            ..StringTable::default()
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

    /// Adds a string; the id gives its offset after [`StringTable::finish`].
    pub(crate) fn add(&mut self, s: impl Into<Cow<'a, [u8]>>) -> StringId {
        self.strings.push(s.into());
        StringId((self.strings.len() - 1) as u32)
    }

    /// Lays the strings out.
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
        self.size += self.strings[id as usize].len() + 1;
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
            self.offsets[id] = offset;
        }
        self.size = size;
    }

    /// Sorts by reversed bytes so that each string sits next to the longer strings it is a
    /// suffix of, then shares tails.
    fn finish_tail_merged(&mut self) {
        let mut order: Vec<u32> = (0..self.strings.len() as u32).collect();
        let strings = &self.strings;
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&strings[a as usize], &strings[b as usize]);
            b.iter().rev().cmp(a.iter().rev())
        });
        let mut prev: Option<(u32, usize)> = None;
        for id in order {
            let len = self.strings[id as usize].len();
            if len == 0 {
                continue;
            }
            let offset = match prev {
                Some((p, at)) if self.strings[p as usize].ends_with(&self.strings[id as usize]) => {
                    at + self.strings[p as usize].len() - len
                }
                _ => {
                    let at = self.place(id);
                    prev = Some((id, at));
                    at
                }
            };
            self.offsets[id as usize] = offset as u32;
        }
        // Owners were placed in sorted order; the bytes are written in that order too.
    }

    /// Bytes the table takes, after [`StringTable::finish`].
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Offset of a string, after [`StringTable::finish`].
    pub(crate) fn offset(&self, id: StringId) -> u32 {
        self.offsets[id.0 as usize]
    }

    /// Appends the table: the leading NUL, then each stored string and its NUL.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.push(0);
        for &id in &self.placed {
            out.extend_from_slice(&self.strings[id as usize]);
            out.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_tails_and_duplicates() {
        let mut t = StringTable::tail_merged();
        let text = t.add(&b".text"[..]);
        let rela = t.add(&b".rela.text"[..]);
        let again = t.add(&b".text"[..]);
        let empty = t.add(&b""[..]);
        t.finish();
        let mut out = Vec::new();
        t.write(&mut out);
        assert_eq!(out, b"\0.rela.text\0");
        assert_eq!(t.offset(rela), 1);
        assert_eq!(t.offset(text), 6);
        assert_eq!(t.offset(again), 6);
        assert_eq!(t.offset(empty), 0);
        assert_eq!(t.size(), out.len());
    }
}

#[cfg(test)]
mod dedup_tests {
    use super::*;

    #[test]
    fn stores_equal_strings_once_in_order() {
        let mut t = StringTable::new();
        let a = t.add(&b"main"[..]);
        let b = t.add(&b"puts"[..]);
        let c = t.add(&b"main"[..]);
        t.finish();
        let mut out = Vec::new();
        t.write(&mut out);
        assert_eq!(out, b"\0main\0puts\0");
        assert_eq!((t.offset(a), t.offset(b), t.offset(c)), (1, 6, 1));
        assert_eq!(t.size(), out.len());
    }
}
