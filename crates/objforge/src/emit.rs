//! The contract between the dispatcher (`write.rs`) and the format writers, and the parts of
//! it every writer shares: a writer lays the file out ([`Layout`]: every offset and size, and
//! every error the model can cause, found first), then emits it front to back, infallibly.
//!
//! Relocations are mapped, not stored: a format's [`RelocMapper`] hands what one model
//! relocation is written as to a [`RelocSink`], and runs once per pass with a different sink.
//! The passes are the same in every format, so they live here: [`count_entries`] while laying
//! out (finding every error), [`write_contents`] with the section's bytes (the values stored in
//! fields), [`write_entries`] with the format's entry writer. [`Report`] lets the copy that runs
//! for every relocation skip building messages.

use crate::crc::Crc;
use crate::error::Error;
use crate::groups::RelocGroups;
use crate::model::{Relocation, SectionData};
use crate::out::{Out, Patch, PatchOrder, Patcher};
use crate::reloc::{RelocKind, NATIVE};
use std::cell::Cell;

/// How a writer's mapping function (one relocation to its entries, say) reports what it
/// cannot write. [`Unchecked`], the copy of the function that runs for every relocation,
/// builds no messages and carries no large `Error` through its returns; only when it fails
/// does the layout call the [`Checked`] copy of the same function, for the error.
pub(crate) trait Report {
    /// What an `Err` carries.
    type Error;
    /// The error `make` would build, or nothing.
    fn error(make: impl FnOnce() -> Error) -> Self::Error;
}

/// Errors in full.
pub(crate) enum Checked {}

impl Report for Checked {
    type Error = Error;
    #[inline(always)]
    fn error(make: impl FnOnce() -> Error) -> Error {
        make()
    }
}

/// Errors as `()`: for code that runs after [`Checked`] found none.
pub(crate) enum Unchecked {}

impl Report for Unchecked {
    type Error = ();
    #[inline(always)]
    fn error(_: impl FnOnce() -> Error) {}
}

/// A file laid out: its size is known and writing it cannot fail (but for the stream's I/O).
pub(crate) trait Layout {
    /// Bytes the file takes.
    fn size(&self) -> usize;
    /// Whether integers are big-endian.
    fn big_endian(&self) -> bool;
    /// Writes the whole file, [`Layout::size`] bytes: the head, then the tail.
    fn emit(&self, out: &mut Out) {
        self.emit_head(out);
        self.emit_tail(out);
    }
    /// Writes the file up to where its tail starts ([`Layout::tail`]; all of it if it has none).
    fn emit_head(&self, out: &mut Out);
    /// Where the file's tail starts, if it has one: its symbol and string tables and what
    /// follows them, which depend on nothing written before them, so that they can be written
    /// beside the head ([`Layout::emit_tail`], each part in place: [`Out::in_place`]).
    fn tail(&self) -> Option<usize> {
        None
    }
    /// Writes the tail, from [`Layout::tail`] to the end.
    fn emit_tail(&self, _out: &mut Out) {}
    /// Stores in the tail, once it and the head are written, what it needed
    /// from the head (COFF: the sections' checksums).
    fn finish_tail(&self, _out: &mut Out) {}
}

/// Receives what one model relocation is written as, as a format's mapping finds it: its
/// entries (`E`, the format's own record) and the values stored in its field. Handing them
/// over one by one, rather than returning them together, keeps them in registers. ELF, Mach-O
/// and COFF run their mapping function with three sinks: [`EntryCount`] while laying out, then
/// [`Patcher`] with the section's bytes and [`write_entries`]'s with the format's entry writer.
pub(crate) trait RelocSink<E> {
    /// One entry of the relocation.
    fn entry(&mut self, e: E);
    /// A value stored in the relocated field.
    fn patch(&mut self, p: Patch);
}

/// Counts a section's relocation entries, and sees whether the values stored in its fields
/// come by offset (so that they can be merged with its bytes as they stream).
#[derive(Default)]
pub(crate) struct EntryCount {
    pub entries: usize,
    pub patches: PatchOrder,
    pub any_patch: bool,
}

impl EntryCount {
    /// Whether values are stored in the section's fields (`Some`), and whether they come by
    /// offset (`Some(true)`).
    pub(crate) fn patched(&self) -> Option<bool> {
        self.any_patch.then(|| self.patches.in_order())
    }
}

impl<E> RelocSink<E> for EntryCount {
    #[inline]
    fn entry(&mut self, _: E) {
        self.entries += 1;
    }
    #[inline]
    fn patch(&mut self, p: Patch) {
        self.patches.see(&p);
        self.any_patch = true;
    }
}

/// Stores the values in a section's fields as its bytes go out.
impl<E> RelocSink<E> for Patcher<'_, '_, '_, '_> {
    #[inline]
    fn entry(&mut self, _: E) {}
    #[inline]
    fn patch(&mut self, p: Patch) {
        Patcher::patch(self, &p);
    }
}

/// A format's relocation mapping: what one model relocation is written as, in the format's
/// own entries and the values stored in the relocated field. A pure function of the model and
/// the layout, so that each pass runs it again rather than storing its results.
pub(crate) trait RelocMapper {
    /// One relocation entry, as the format has it.
    type Entry;
    /// Relocation `i` (in range) as entries and stored values, handed to `out`; or why it
    /// cannot be written (then `out` may have some of them).
    fn map<R: Report, S: RelocSink<Self::Entry>>(
        &self,
        i: usize,
        out: &mut S,
    ) -> Result<(), R::Error>;
}

/// What a format's mapper derives from a relocation's kind (its native encoding, which checks
/// apply, the field's size), found once per kind rather than by large matches on the kind for
/// every relocation: objects use a handful of kinds. Keyed by the kind's one-byte code; four
/// kinds, the oldest replaced first. Native kinds (one code for every native encoding) are
/// never cached.
pub(crate) struct KindCache<T: Copy> {
    /// Per kind code, 1 + the slot holding its facts, or 0: finding a kind's facts is one
    /// load, not a search of the slots.
    slot_of: [Cell<u8>; 256],
    /// The kind code each slot holds the facts of (`NATIVE`, never cached, when empty).
    codes: [Cell<u8>; 4],
    facts: [Cell<Option<T>>; 4],
    next: Cell<usize>,
}

impl<T: Copy> Default for KindCache<T> {
    fn default() -> Self {
        KindCache {
            slot_of: std::array::from_fn(|_| Cell::new(0)),
            codes: std::array::from_fn(|_| Cell::new(NATIVE)),
            facts: Default::default(),
            next: Cell::new(0),
        }
    }
}

impl<T: Copy> KindCache<T> {
    /// The facts of `r`'s kind; `of(kind)` runs when they are not cached.
    #[inline(always)]
    pub(crate) fn get(&self, r: &Relocation, of: impl FnOnce(RelocKind) -> T) -> T {
        let code = r.kind_code();
        let slot = usize::from(self.slot_of[usize::from(code)].get());
        if let Some(t) = self.facts.get(slot.wrapping_sub(1)).and_then(Cell::get) {
            return t;
        }
        let t = of(r.kind());
        if code == NATIVE {
            return t;
        }
        let n = self.next.get();
        if let (Some(c), Some(facts)) = (self.codes.get(n), self.facts.get(n)) {
            // The oldest kind gives its slot up.
            self.slot_of[usize::from(c.get())].set(0);
            c.set(code);
            facts.set(Some(t));
            self.slot_of[usize::from(code)].set(n as u8 + 1);
        }
        self.next.set((n + 1) % self.facts.len());
        t
    }
}

/// Maps relocations `relocs` (one section's) while laying out: counts their entries, sees
/// how their stored values come, and finds the first error (the unchecked mapping first;
/// only for a relocation it refuses, the checked one again, for the message).
#[inline]
pub(crate) fn count_entries<M: RelocMapper>(
    mapper: &M,
    relocs: impl Iterator<Item = usize>,
) -> Result<EntryCount, Error> {
    let mut count = EntryCount::default();
    for i in relocs {
        if mapper.map::<Unchecked, _>(i, &mut count).is_err() {
            mapper.map::<Checked, _>(i, &mut count)?;
        }
    }
    Ok(count)
}

/// [`count_entries`] for each of the `sections` model sections, in order: the first error
/// is the first section's, as when they are counted in turn.
pub(crate) fn count_sections<M: RelocMapper>(
    mapper: &M,
    relocs: &RelocGroups,
    sections: usize,
) -> Result<Vec<EntryCount>, Error> {
    (0..sections)
        .map(|k| count_entries(mapper, relocs.of(k)))
        .collect()
}

/// A section's contents in the file.
#[derive(Clone, Copy)]
pub(crate) enum Contents<'a> {
    /// These bytes.
    Bytes(&'a [u8]),
    /// This many zero bytes.
    Zeros(usize),
    /// This many bytes, in the file's buffer at their place already (a consuming write's
    /// section whose own vector became the buffer: [`crate::out::Growing::reusing`]).
    Written(usize),
}

impl<'a> Contents<'a> {
    /// A model section's data, in a section that takes file space (zeros asked for by size
    /// included: validation keeps the sections' total within `limits::MAX_TOTAL_SIZE`).
    pub(crate) fn of(data: &'a SectionData) -> Contents<'a> {
        match data {
            SectionData::Bytes(b) => Contents::Bytes(b),
            SectionData::Zero(n) => Contents::Zeros(*n as usize),
        }
    }
}

/// Writes a section's contents: as they are when `patched` is `None`; otherwise with the
/// values relocations `relocs` store in their fields (`Some(in_order)`, as [`count_entries`]
/// found it). `crc`, if given, is fed the bytes as written — but for zeros with nothing
/// stored, which leave a checksum started from 0 as it is.
#[inline]
pub(crate) fn write_contents<M: RelocMapper>(
    out: &mut Out,
    contents: Contents,
    patched: Option<bool>,
    crc: Option<&mut Crc>,
    mapper: &M,
    relocs: impl Iterator<Item = usize>,
) {
    let store = |patcher: &mut Patcher| {
        for i in relocs {
            let _ = mapper.map::<Unchecked, _>(i, patcher);
        }
    };
    let zeros;
    let data: &[u8] = match (contents, patched) {
        (Contents::Bytes(b), _) => b,
        (Contents::Written(n), _) => return out.section_bytes_written(n, patched, crc, store),
        (Contents::Zeros(n), None) => return out.zeros(n),
        // Zeros with values stored in them: patched like any bytes.
        (Contents::Zeros(n), Some(_)) => {
            zeros = vec![0; n];
            &zeros
        }
    };
    out.section_bytes(data, patched, crc, store);
}

/// Whether a section's stored values go out with its relocation entries, over its bytes
/// already written, rather than with its bytes: with the whole file in memory, when there are
/// values, they come by offset and there are entries to write them with. (One pass over the
/// relocations fewer.) Not when the file is written a part at a time ([`Out::by_parts`]): the
/// section's bytes, which some stored values are merged with, are gone by then.
pub(crate) fn patches_with_entries(out: &Out, patched: Option<bool>, entries: usize) -> bool {
    out.holds_file() && !out.by_parts() && patched == Some(true) && entries > 0
}

/// Writes the entries of relocations `relocs`, in that order, each with `write`; and, when
/// `patch_at` is the file offset of the section's bytes (see [`patches_with_entries`]), the
/// values stored in their fields over those bytes.
#[inline]
pub(crate) fn write_entries<M: RelocMapper>(
    out: &mut Out,
    mapper: &M,
    relocs: impl Iterator<Item = usize>,
    patch_at: Option<usize>,
    write: impl FnMut(&mut Out, M::Entry),
) {
    let mut sink = Entries {
        out,
        patch_at,
        write,
    };
    for i in relocs {
        let _ = mapper.map::<Unchecked, _>(i, &mut sink);
    }
}

/// The sink of [`write_entries`].
struct Entries<'o, 'w, W> {
    out: &'o mut Out<'w>,
    patch_at: Option<usize>,
    write: W,
}

// Always inlined: runs once per entry, and whether LLVM inlines it otherwise shifts with
// unrelated changes elsewhere in the crate (a call per entry costs 10% of an ELF write).
impl<E, W: FnMut(&mut Out, E)> RelocSink<E> for Entries<'_, '_, W> {
    #[inline(always)]
    fn entry(&mut self, e: E) {
        (self.write)(self.out, e);
    }
    #[inline(always)]
    fn patch(&mut self, p: Patch) {
        if let Some(start) = self.patch_at {
            self.out.overwrite_patch(start, &p);
        }
    }
}
