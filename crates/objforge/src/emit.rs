//! The contract between the dispatcher (`write.rs`) and the format writers, and the parts of
//! it every writer shares: a writer lays the file out ([`Layout`]: every offset and size, and
//! every error the model can cause, found first), then emits it front to back, infallibly.
//!
//! Relocations are mapped, not stored: a format's mapping function hands what one model
//! relocation is written as to a [`RelocSink`], and runs once per pass with a different sink
//! ([`EntryCount`] while laying out, a [`Patcher`] with the section's bytes, the format's entry
//! writer); [`Report`] lets the copy that runs for every relocation skip building messages.

use crate::error::Error;
use crate::out::{Out, Patch, PatchOrder, Patcher};

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
    /// Writes the whole file, [`Layout::size`] bytes.
    fn emit(&self, out: &mut Out);
}

/// Receives what one model relocation is written as, as a format's mapping finds it: its
/// entries (`E`, the format's own record) and the values stored in its field. Handing them
/// over one by one, rather than returning them together, keeps them in registers. Every
/// writer runs the same mapping function three times with different sinks: [`EntryCount`]
/// while laying out, then [`Patcher`] with the section's bytes and the format's entry writer.
pub(crate) trait RelocSink<E> {
    fn entry(&mut self, e: E);
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
