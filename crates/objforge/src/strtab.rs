//! One string-table type for every format: NUL-terminated strings, deduplicated, with a string
//! that ends another stored inside it (`"bar"` at the tail of `"foobar"`).

use std::borrow::Cow;

/// Handle to a string added to a [`StringTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StringId(u32);

/// Strings collected first, laid out once by [`StringTable::finish`], then written.
#[derive(Default)]
pub(crate) struct StringTable<'a> {
    strings: Vec<Cow<'a, [u8]>>,
    offsets: Vec<u32>,
    size: usize,
}

impl<'a> StringTable<'a> {
    /// A table whose first byte is NUL, so offset 0 is the empty string (ELF, Mach-O).
    pub(crate) fn new() -> StringTable<'a> {
        StringTable {
            strings: Vec::new(),
            offsets: Vec::new(),
            size: 1,
        }
    }

    /// Adds a string; the id gives its offset after [`StringTable::finish`].
    pub(crate) fn add(&mut self, s: impl Into<Cow<'a, [u8]>>) -> StringId {
        self.strings.push(s.into());
        StringId((self.strings.len() - 1) as u32)
    }

    /// Lays the strings out: sorts by reversed bytes so that each string sits next to the
    /// longer strings it is a suffix of, then shares tails.
    pub(crate) fn finish(&mut self) {
        let mut order: Vec<u32> = (0..self.strings.len() as u32).collect();
        let strings = &self.strings;
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&strings[a as usize], &strings[b as usize]);
            b.iter().rev().cmp(a.iter().rev())
        });
        self.offsets = vec![0; self.strings.len()];
        let mut size = 1usize;
        let mut prev: Option<(&[u8], usize)> = None;
        for id in order {
            let s: &[u8] = &self.strings[id as usize];
            let offset = if s.is_empty() {
                0
            } else {
                match prev {
                    Some((p, at)) if p.ends_with(s) => at + p.len() - s.len(),
                    _ => {
                        let at = size;
                        size += s.len() + 1;
                        prev = Some((s, at));
                        at
                    }
                }
            };
            self.offsets[id as usize] = offset as u32;
        }
        self.size = size;
    }

    /// Bytes the table takes, after [`StringTable::finish`].
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Offset of a string, after [`StringTable::finish`].
    pub(crate) fn offset(&self, id: StringId) -> u32 {
        self.offsets[id.0 as usize]
    }

    /// Appends the table: the leading NUL, then each distinct tail-group once.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + self.size, 0);
        for (s, &at) in self.strings.iter().zip(&self.offsets) {
            if !s.is_empty() {
                let at = start + at as usize;
                out[at..at + s.len()].copy_from_slice(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_tails_and_duplicates() {
        let mut t = StringTable::new();
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
