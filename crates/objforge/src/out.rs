//! The output: one zeroed buffer of the final size ([`zeroed`]), of which each part is filled
//! in place by its own `Out` ([`Out::in_place`], for `Object::write`: the head and the tail on
//! two threads), or a small buffer handed to a `std::io::Write` each time it fills
//! ([`Out::stream`], for `Object::write_to`). Either way the writers fill it front to back,
//! every part once.
//!
//! A section's bytes with values stored in some of its fields (implicit addends) go out with
//! [`Out::section_bytes`]: the bytes between fields from the model, each field from the
//! [`Patch`] the format's relocation mapping hands a [`Patcher`] (see `crate::emit`).
//! With the whole file in memory a writer may instead copy the bytes as they are and, while it
//! writes the relocations (which it has to map anyway), store each value with
//! [`Out::overwrite`] — one pass over the relocations fewer.

use std::io::Write;

use crate::crc::Crc;
use crate::error::{Error, Place};

/// An integer's bytes in the target's byte order (`big_endian` or not).
macro_rules! ordered {
    ($v:expr, $big_endian:expr) => {
        if $big_endian {
            $v.to_be_bytes()
        } else {
            $v.to_le_bytes()
        }
    };
}

/// Bytes the streaming buffer collects before handing them on.
const CHUNK: usize = 64 * 1024;

/// The output, with integer writers in the target's byte order.
pub(crate) struct Out<'w> {
    buf: Buf<'w>,
    /// `buf` is handed on when it would grow past this (never, without a stream).
    limit: usize,
    /// Bytes already handed to `stream`.
    flushed: usize,
    stream: Option<&'w mut dyn Write>,
    /// The first error `stream` returned; nothing more is written after it.
    error: Option<std::io::Error>,
    big_endian: bool,
    /// Written a part at a time, each section's bytes freed once written ([`Growing`]): the
    /// values stored in a section's fields go out with its bytes, not with its entries.
    by_parts: bool,
}

#[cfg(test)]
impl Out<'static> {
    /// A growing buffer that holds the whole file, for tests of what the writers put in it
    /// ([`Out::into_vec`]).
    pub(crate) fn in_memory(big_endian: bool) -> Self {
        Out {
            buf: Buf::Vec(Vec::new()),
            limit: usize::MAX,
            flushed: 0,
            stream: None,
            error: None,
            big_endian,
            by_parts: false,
        }
    }
}

impl<'w> Out<'w> {
    /// Output into `part`, the bytes of the file from offset `start`, which are all zero (see
    /// [`zeroed`]): written in place, so that two threads can each fill a part of one file
    /// buffer. Bytes left zero (padding, fields not set) are not written again.
    pub(crate) fn in_place(part: &'w mut [u8], start: usize, big_endian: bool) -> Self {
        Out {
            buf: Buf::Zeroed {
                bytes: part,
                len: 0,
            },
            limit: usize::MAX,
            flushed: start,
            stream: None,
            error: None,
            big_endian,
            by_parts: false,
        }
    }

    /// Takes the bytes up to file offset `at` as written (another [`Out`] wrote them in
    /// place), so that they can be overwritten.
    pub(crate) fn skip_to(&mut self, at: usize) {
        if let Buf::Zeroed { bytes, len } = &mut self.buf {
            *len = at.saturating_sub(self.flushed).min(bytes.len());
        }
    }

    /// Where file offset `at` is in the buffer (the buffer holds the file, or a part of it
    /// from `flushed`).
    #[inline]
    fn at(&self, at: usize) -> usize {
        at.wrapping_sub(self.flushed)
    }

    /// Output that goes to `stream` in chunks of at most 64 KiB.
    pub(crate) fn stream(stream: &'w mut dyn Write, big_endian: bool) -> Out<'w> {
        Out {
            buf: Buf::Vec(Vec::with_capacity(CHUNK)),
            limit: CHUNK,
            flushed: 0,
            stream: Some(stream),
            error: None,
            big_endian,
            by_parts: false,
        }
    }

    /// Whether the whole file is in memory (rather than streamed), so that bytes already
    /// written may be overwritten.
    pub(crate) fn holds_file(&self) -> bool {
        self.stream.is_none()
    }

    /// Whether the values stored in a section's fields must go out with its bytes (see
    /// [`Growing`]).
    pub(crate) fn by_parts(&self) -> bool {
        self.by_parts
    }

    /// Whether integers go out big-endian.
    pub(crate) fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// Stores `bytes` at `at`, over bytes already written (the whole file in memory); a range
    /// not yet written is ignored.
    #[inline]
    pub(crate) fn overwrite(&mut self, at: usize, bytes: &[u8]) {
        debug_assert!(self.holds_file(), "overwriting a stream");
        let at = self.at(at);
        if let Some(field) = self
            .buf
            .written_mut()
            .get_mut(at..at.saturating_add(bytes.len()))
        {
            copy_field(field, bytes);
        }
    }

    /// Stores patch `p` over the bytes of a section already written from `section_start`.
    #[inline]
    pub(crate) fn overwrite_patch(&mut self, section_start: usize, p: &Patch) {
        let len = usize::from(p.len);
        let at = section_start.saturating_add(usize::try_from(p.offset).unwrap_or(usize::MAX));
        self.overwrite(at, p.bytes.get(..len).unwrap_or(&[]));
    }

    /// The `n` bytes at `at`, already written (the whole file in memory), for a record's
    /// fields to be stored over them; a range not yet written is no record at all.
    #[inline]
    pub(crate) fn record_at(&mut self, at: usize, n: usize) -> Fields<'_> {
        debug_assert!(self.holds_file(), "overwriting a stream");
        let at = self.at(at);
        Fields {
            bytes: self
                .buf
                .written_mut()
                .get_mut(at..at.saturating_add(n))
                .unwrap_or_default(),
            at: 0,
            big_endian: self.big_endian,
        }
    }

    /// The checksum of bytes already written (the whole file in memory).
    pub(crate) fn crc_of(&self, range: std::ops::Range<usize>) -> u32 {
        crate::crc::checksum(
            self.buf
                .written()
                .get(self.at(range.start)..self.at(range.end))
                .unwrap_or(&[]),
        )
    }

    /// Bytes written so far: the offset in the file of the next one.
    pub(crate) fn len(&self) -> usize {
        self.flushed + self.buf.len()
    }

    /// The whole file, from a buffer made by [`Out::in_memory`].
    #[cfg(test)]
    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf.written().to_vec()
    }

    /// Hands the rest to the stream, if there is one; the first error the stream returned.
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        self.flush();
        if let Some(stream) = self.stream.as_mut() {
            if self.error.is_none() {
                if let Err(e) = stream.flush() {
                    self.error = Some(e);
                }
            }
        }
        match self.error.take() {
            Some(e) => Err(Error::Io(e)),
            None => Ok(()),
        }
    }

    fn flush(&mut self) {
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        if self.error.is_none() {
            if let Err(e) = stream.write_all(self.buf.written()) {
                self.error = Some(e);
            }
        }
        self.flushed += self.buf.len();
        self.buf.clear();
    }

    /// Makes room for `n` more bytes in the buffer.
    #[inline]
    fn room(&mut self, n: usize) {
        if self.buf.len() + n > self.limit {
            self.flush();
        }
    }

    /// Appends `b`.
    #[inline]
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.room(b.len());
        if b.len() > self.limit {
            // Larger than the whole chunk: straight to the stream (the buffer is empty).
            if let (Some(stream), None) = (self.stream.as_mut(), &self.error) {
                if let Err(e) = stream.write_all(b) {
                    self.error = Some(e);
                }
            }
            self.flushed += b.len();
            return;
        }
        self.buf.extend(b);
    }

    /// Appends `prefix`, `name` and a NUL: a string table's entry, in one step (its terminator
    /// is already zero in a buffer grown with zeros).
    #[inline]
    pub(crate) fn terminated(&mut self, prefix: &[u8], name: &[u8]) {
        let n = prefix.len() + name.len() + 1;
        // Longer than a whole chunk (streamed): a piece at a time, as `bytes` takes it.
        if n > self.limit {
            self.bytes(prefix);
            self.bytes(name);
            return self.bytes(&[0]);
        }
        self.room(n);
        let entry = self.buf.grow_zeroed(n);
        if let Some((head, rest)) = entry.split_at_mut_checked(prefix.len()) {
            head.copy_from_slice(prefix);
            if let Some(to) = rest.get_mut(..name.len()) {
                to.copy_from_slice(name);
            }
        }
    }

    /// A record of `n` bytes (at most 64 KiB) at the end of the output, its fields stored in
    /// place one by one. (A record assembled in a local array and then copied out would be
    /// read back with loads wider than the stores that wrote its fields, which the processor
    /// cannot forward: every record would wait for its own stores to reach the cache.)
    #[inline]
    pub(crate) fn record(&mut self, n: usize) -> Fields<'_> {
        self.room(n);
        Fields {
            bytes: self.buf.grow_zeroed(n),
            at: 0,
            big_endian: self.big_endian,
        }
    }

    /// Appends a section's bytes: as they are when `patched` is `None`; otherwise through a
    /// [`Patcher`] that `store` hands the values the section's relocations keep in their
    /// fields (`Some(in_order)`: whether they come by offset). `crc`, if given, is fed the
    /// bytes as written.
    pub(crate) fn section_bytes(
        &mut self,
        data: &[u8],
        patched: Option<bool>,
        crc: Option<&mut Crc>,
        store: impl FnOnce(&mut Patcher),
    ) {
        match patched {
            None => {
                if let Some(crc) = crc {
                    crc.update(data);
                }
                self.bytes(data);
            }
            Some(in_order) => {
                let mut patcher = Patcher::new(self, data, in_order, crc);
                store(&mut patcher);
                patcher.finish();
            }
        }
    }

    /// Takes the next `size` bytes as a section's contents that are in the buffer already
    /// (the whole file in memory, a part at a time: [`Growing::reusing`]), and, with
    /// `patched`, hands `store` a [`Patcher`] that stores the values in their fields over
    /// them. `crc`, if given, is fed the bytes as patched.
    pub(crate) fn section_bytes_written(
        &mut self,
        size: usize,
        patched: Option<bool>,
        crc: Option<&mut Crc>,
        store: impl FnOnce(&mut Patcher),
    ) {
        let mut patcher = Patcher::over_written(self, size, crc);
        if patched.is_some() {
            store(&mut patcher);
        }
        patcher.finish();
    }

    /// Takes the next `n` bytes of a buffer that holds the file as written: they are there
    /// already.
    fn skip_written(&mut self, n: usize) {
        debug_assert!(
            matches!(self.buf, Buf::Zeroed { .. }),
            "skipping bytes not in the buffer"
        );
        // In a file buffer, only moves past them.
        self.buf.grow_zeroed(n);
    }

    /// Appends `n` zero bytes.
    pub(crate) fn zeros(&mut self, mut n: usize) {
        while n > 0 {
            let step = n.min(self.limit);
            self.room(step);
            self.buf.grow_zeroed(step);
            n -= step;
        }
    }

    /// Zero-fills up to `offset` (a no-op if already there).
    pub(crate) fn pad_to(&mut self, offset: usize) {
        debug_assert!(offset >= self.len(), "layout ran backwards");
        self.zeros(offset.saturating_sub(self.len()));
    }

    #[inline]
    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    #[inline]
    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&self.e16(v));
    }

    #[inline]
    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&self.e32(v));
    }

    #[inline]
    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&self.e64(v));
    }

    /// A 32- or 64-bit word, as the ELF class has it.
    #[inline]
    pub(crate) fn word(&mut self, is64: bool, v: u64) {
        if is64 {
            self.u64(v)
        } else {
            self.u32(v as u32)
        }
    }

    /// `v` in the target's byte order.
    #[inline]
    pub(crate) fn e16(&self, v: u16) -> [u8; 2] {
        ordered!(v, self.big_endian)
    }

    /// `v` in the target's byte order.
    #[inline]
    pub(crate) fn e32(&self, v: u32) -> [u8; 4] {
        ordered!(v, self.big_endian)
    }

    /// `v` in the target's byte order.
    #[inline]
    pub(crate) fn e64(&self, v: u64) -> [u8; 8] {
        ordered!(v, self.big_endian)
    }

    /// Appends `data` with each patch's bytes in place of the bytes at its offset (see
    /// [`Patcher`]).
    #[cfg(test)]
    pub(crate) fn patched(
        &mut self,
        data: &[u8],
        patches: impl Iterator<Item = Patch>,
        in_order: bool,
        crc: Option<&mut Crc>,
    ) {
        let mut patcher = Patcher::new(self, data, in_order, crc);
        for p in patches {
            patcher.patch(&p);
        }
        patcher.finish();
    }
}

/// Where [`Out`] keeps what it writes: a growing vector (the whole file, or a streamed chunk),
/// or a part of a file buffer that is all zeros to begin with, filled in place.
enum Buf<'w> {
    Vec(Vec<u8>),
    Zeroed { bytes: &'w mut [u8], len: usize },
}

impl Buf<'_> {
    #[inline]
    fn len(&self) -> usize {
        match self {
            Buf::Vec(v) => v.len(),
            Buf::Zeroed { len, .. } => *len,
        }
    }

    /// The bytes written so far.
    #[inline]
    fn written(&self) -> &[u8] {
        match self {
            Buf::Vec(v) => v,
            Buf::Zeroed { bytes, len } => bytes.get(..*len).unwrap_or_default(),
        }
    }

    #[inline]
    fn written_mut(&mut self) -> &mut [u8] {
        match self {
            Buf::Vec(v) => v,
            Buf::Zeroed { bytes, len } => bytes.get_mut(..*len).unwrap_or_default(),
        }
    }

    /// Appends `b`. Past the end of a part, nothing is stored (a writer's mistake, which
    /// the final size check catches), but the length still counts it.
    #[inline]
    fn extend(&mut self, b: &[u8]) {
        match self {
            Buf::Vec(v) => v.extend_from_slice(b),
            Buf::Zeroed { bytes, len } => {
                if let Some(dst) = bytes.get_mut(*len..*len + b.len()) {
                    dst.copy_from_slice(b);
                }
                *len += b.len();
            }
        }
    }

    /// Appends `n` zero bytes and returns them, to be filled.
    #[inline]
    fn grow_zeroed(&mut self, n: usize) -> &mut [u8] {
        match self {
            Buf::Vec(v) => {
                let start = v.len();
                v.resize(start + n, 0);
                v.get_mut(start..).unwrap_or_default()
            }
            // Zero already.
            Buf::Zeroed { bytes, len } => {
                let start = *len;
                *len += n;
                bytes.get_mut(start..start + n).unwrap_or_default()
            }
        }
    }

    fn clear(&mut self) {
        match self {
            Buf::Vec(v) => v.clear(),
            Buf::Zeroed { len, .. } => *len = 0,
        }
    }
}

/// A file buffer of `size` zero bytes, for [`Out::in_place`]; an allocation the machine
/// cannot make is an error (at the object), not an abort. The zeros cost nothing for a large
/// buffer: it comes from the system as fresh pages, already zero, and each page is touched
/// first by the thread that writes it.
pub(crate) fn zeroed(size: usize) -> Result<Vec<u8>, Error> {
    // `vec![0; n]` aborts when it cannot allocate.
    probe(size)?;
    Ok(vec![0; size])
}

/// Refuses a file of `size` bytes that the machine cannot allocate (at the object). What the
/// system refuses outright is an address range near the machine's memory, so a large buffer
/// is asked for fallibly (and given back). Smaller ones are not: freeing the probe would teach
/// glibc to serve the next blocks of that size from its heap, which must clear them, rather
/// than as fresh pages.
fn probe(size: usize) -> Result<(), Error> {
    const PROBE_FROM: usize = 1 << 30;
    if size >= PROBE_FROM {
        let mut probe: Vec<u8> = Vec::new();
        probe
            .try_reserve_exact(size)
            .map_err(|_| cannot_allocate(size))?;
    }
    Ok(())
}

fn cannot_allocate(size: usize) -> Error {
    Error::unsupported(
        Place::Object,
        format!("cannot allocate {size} bytes for the object file"),
    )
}

/// The smallest tail ([`crate::emit::Layout::tail`]), or last part
/// ([`Growing::part_beside`]), written on a thread of its own: some ten thousand symbols,
/// whose entries take a millisecond or more to make, against tens of microseconds to start a
/// thread. Debug builds (the tests) write every tail beside its head, so that every test
/// object goes through that path.
pub(crate) const PARALLEL_TAIL: usize = 1 << 18;

/// A file written a part at a time into a buffer that grows with it, for a write that frees
/// each part of the model once its part of the file is written ([`crate::Object::into_bytes`]):
/// the buffer holds the parts written so far (and the one section whose own vector it is, if
/// any: [`Growing::reusing`]), so the model's freed parts and the file's new ones are never
/// both held. Each part goes out through an [`Out::in_place`] over the whole buffer, so that a
/// part may store values over bytes written before it.
pub(crate) struct Growing {
    file: Vec<u8>,
    /// Bytes written: the parts so far. The buffer may hold more: a section's bytes already
    /// at their place ([`Growing::reusing`]).
    written: usize,
    big_endian: bool,
}

impl Growing {
    /// An empty file that will grow to `size` bytes, of integers in that byte order; a size
    /// the machine cannot allocate is refused now, before a part is written (as [`zeroed`]
    /// refuses it).
    pub(crate) fn new(size: usize, big_endian: bool) -> Result<Growing, Error> {
        probe(size)?;
        Ok(Growing {
            file: Vec::new(),
            written: 0,
            big_endian,
        })
    }

    /// Like [`Growing::new`], with `bytes`, a section's contents, at file offset `at`: the
    /// section's own vector becomes the file's buffer, its bytes moved up past the room for
    /// what goes before them. Its pages are in memory already (the model's), where a new
    /// buffer's would be faulted in as they are first written; and it is never held twice.
    /// The part that takes those bytes writes them with [`Out::section_bytes_written`].
    pub(crate) fn reusing(
        bytes: Vec<u8>,
        at: usize,
        size: usize,
        big_endian: bool,
    ) -> Result<Growing, Error> {
        probe(size)?;
        let mut file = bytes;
        let n = file.len();
        (file.try_reserve_exact(at)).map_err(|_| cannot_allocate(n + at))?;
        file.resize(n + at, 0);
        file.copy_within(..n, at);
        file[..at].fill(0);
        Ok(Growing {
            file,
            written: 0,
            big_endian,
        })
    }

    /// Grows the file to `end` bytes (zeros) and has `emit` write them from where the last
    /// part ended. The buffer grows by exactly the part (glibc moves a large block by
    /// remapping its pages, not by copying them).
    pub(crate) fn part(&mut self, end: usize, emit: impl FnOnce(&mut Out)) -> Result<(), Error> {
        self.grow_to(end)?;
        let end = end.max(self.written);
        let mut out = Out::in_place(&mut self.file[..end], 0, self.big_endian);
        out.by_parts = true;
        out.skip_to(self.written);
        emit(&mut out);
        debug_assert_eq!(out.len(), end, "part written != laid out");
        self.written = end;
        Ok(())
    }

    /// Grows the buffer to at least `end` bytes, by exactly what is missing.
    fn grow_to(&mut self, end: usize) -> Result<(), Error> {
        let more = end.saturating_sub(self.file.len());
        if more > 0 {
            (self.file.try_reserve_exact(more)).map_err(|_| cannot_allocate(end))?;
            self.file.resize(end, 0);
        }
        Ok(())
    }

    /// Like [`Growing::part`], in two pieces written side by side (on two threads, when the
    /// part is large: [`PARALLEL_TAIL`]), each in place: `first` up to `at`, `second` from
    /// `at` to `end`. For a file's last parts, whose values are never stored over by others.
    pub(crate) fn part_beside(
        &mut self,
        at: usize,
        end: usize,
        first: impl FnOnce(&mut Out),
        second: impl FnOnce(&mut Out) + Send,
    ) -> Result<(), Error> {
        self.grow_to(end)?;
        let (start, end) = (self.written, end.max(self.written));
        let at = at.clamp(start, end);
        let (one, two) = self.file[start..end].split_at_mut(at - start);
        let big_endian = self.big_endian;
        let worth_it = cfg!(debug_assertions) || end - start >= PARALLEL_TAIL;
        let (first_end, second_end) = crate::parallel::join(
            worth_it,
            || {
                let mut out = Out::in_place(one, start, big_endian);
                first(&mut out);
                out.len()
            },
            || {
                let mut out = Out::in_place(two, at, big_endian);
                second(&mut out);
                out.len()
            },
        );
        debug_assert_eq!(
            (first_end, second_end),
            (at, end),
            "parts written != laid out"
        );
        self.written = end;
        Ok(())
    }

    /// The file.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        debug_assert_eq!(self.written, self.file.len(), "the file is not all written");
        self.file
    }
}

/// A record's bytes in the output, filled field by field in the target's byte order (see
/// [`Out::record`]). Fields past the record's end are dropped (a writer's mistake, which the
/// final size check catches).
pub(crate) struct Fields<'a> {
    bytes: &'a mut [u8],
    at: usize,
    big_endian: bool,
}

impl Fields<'_> {
    #[inline]
    fn put<const N: usize>(&mut self, v: [u8; N]) -> &mut Self {
        if let Some(dst) = self.bytes.get_mut(self.at..self.at + N) {
            dst.copy_from_slice(&v);
        }
        self.at += N;
        self
    }

    #[inline]
    pub(crate) fn bytes<const N: usize>(&mut self, v: [u8; N]) -> &mut Self {
        self.put(v)
    }

    #[inline]
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.put([v])
    }

    #[inline]
    pub(crate) fn u16(&mut self, v: u16) -> &mut Self {
        self.put(ordered!(v, self.big_endian))
    }

    #[inline]
    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.put(ordered!(v, self.big_endian))
    }

    #[inline]
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.put(ordered!(v, self.big_endian))
    }

    /// A 32- or 64-bit word, as the ELF class has it.
    #[inline]
    pub(crate) fn word(&mut self, is64: bool, v: u64) -> &mut Self {
        if is64 {
            self.u64(v)
        } else {
            self.u32(v as u32)
        }
    }
}

/// Writes a section's bytes with values stored in some of its fields, the patches given one
/// by one, in the order the relocations have them (a later patch wins).
///
/// Into a buffer of the whole file, the bytes are copied at once and each field overwritten
/// in place. Into a stream, when `in_order` says the patches come by offset, each after the
/// previous one's end (the writer found that while laying out), they are merged as the bytes
/// go out; otherwise the bytes are copied and patched first. Patches past the end are
/// ignored (validation rejects them). A checksum, if asked for, covers the bytes as patched.
pub(crate) struct Patcher<'o, 'w, 'd, 'c> {
    out: &'o mut Out<'w>,
    data: &'d [u8],
    /// The section's size (`data`'s, unless its bytes were in the buffer already).
    size: usize,
    how: How,
    crc: Option<&'c mut Crc>,
}

enum How {
    /// In the file's buffer, from `start`.
    InPlace { start: usize },
    /// Streamed; `data[..at]` is out, and `data[start..at]` (the piece) is still at the end
    /// of the buffer, where later fields in it are stored.
    Merged { at: usize, start: usize },
    /// Copied, to be streamed at the end.
    Copied(Vec<u8>),
}

impl<'o, 'w, 'd, 'c> Patcher<'o, 'w, 'd, 'c> {
    pub(crate) fn new(
        out: &'o mut Out<'w>,
        data: &'d [u8],
        in_order: bool,
        crc: Option<&'c mut Crc>,
    ) -> Self {
        let how = if out.stream.is_none() {
            let start = out.buf.len();
            out.buf.extend(data);
            How::InPlace { start }
        } else if in_order {
            How::Merged { at: 0, start: 0 }
        } else {
            How::Copied(data.to_vec())
        };
        Patcher {
            out,
            data,
            size: data.len(),
            how,
            crc,
        }
    }

    /// A patcher for the next `size` bytes of a buffer that holds the whole file, which are
    /// there already (see [`Out::section_bytes_written`]).
    fn over_written(out: &'o mut Out<'w>, size: usize, crc: Option<&'c mut Crc>) -> Self {
        let start = out.buf.len();
        out.skip_written(size);
        Patcher {
            out,
            data: &[],
            size,
            how: How::InPlace { start },
            crc,
        }
    }

    /// Stores `p`.
    #[inline]
    pub(crate) fn patch(&mut self, p: &Patch) {
        let offset = usize::try_from(p.offset).unwrap_or(usize::MAX);
        let len = usize::from(p.len);
        let end = offset.saturating_add(len);
        let (Some(value), true) = (p.bytes.get(..len), end <= self.size) else {
            debug_assert!(false, "a patch past the end");
            return;
        };
        match &mut self.how {
            How::InPlace { start } => {
                if let Some(field) =
                    (self.out.buf.written_mut()).get_mut(*start + offset..*start + end)
                {
                    field.copy_from_slice(value);
                }
            }
            How::Merged { at, start } => {
                // The bytes go out a piece at a time, each field stored over them while its
                // piece is still in the buffer: a few calls a piece, not two a field.
                let Some(from) = offset.checked_sub(*start) else {
                    debug_assert!(false, "a patch out of order");
                    return;
                };
                let piece = last(&self.out.buf, *at - *start);
                store(&mut self.out.buf, piece.clone(), from, value);
                if end <= *at {
                    return;
                }
                // The field ends past the piece: the piece is done; the bytes up to the field
                // go out as they are; a new piece holds (the rest of) the field.
                let next = offset.max(*at);
                let before = self.data.get(*at..next).unwrap_or_default();
                if let Some(crc) = self.crc.as_deref_mut() {
                    crc.update(self.out.buf.written().get(piece).unwrap_or_default());
                    crc.update(before);
                }
                self.out.bytes(before);
                let stop = end.max(next + PIECE).min(self.data.len());
                let piece = self.data.get(next..stop).unwrap_or_default();
                self.out.bytes(piece);
                let piece = last(&self.out.buf, piece.len());
                (*at, *start) = (stop, next);
                let rest = value.get(next - offset..).unwrap_or_default();
                store(&mut self.out.buf, piece, 0, rest);
            }
            How::Copied(copy) => {
                if let Some(field) = copy.get_mut(offset..end) {
                    field.copy_from_slice(value);
                }
            }
        }
    }

    /// Writes what is left.
    pub(crate) fn finish(self) {
        let Patcher {
            out,
            data,
            how,
            crc,
            ..
        } = self;
        match how {
            How::InPlace { start } => {
                if let Some(crc) = crc {
                    crc.update(out.buf.written().get(start..).unwrap_or(&[]));
                }
            }
            How::Merged { at, start } => {
                let rest = data.get(at..).unwrap_or(&[]);
                if let Some(crc) = crc {
                    let piece = last(&out.buf, at - start);
                    crc.update(out.buf.written().get(piece).unwrap_or_default());
                    crc.update(rest);
                }
                out.bytes(rest);
            }
            How::Copied(copy) => {
                if let Some(crc) = crc {
                    crc.update(&copy);
                }
                out.bytes(&copy);
            }
        }
    }
}

/// The bytes of a section a streamed [`Patcher`] puts in the buffer at a time, to store the
/// fields in them in place.
const PIECE: usize = 4096;

/// The last `n` bytes written to `buf` (a streamed [`Patcher`]'s piece: nothing else is
/// written while it patches).
fn last(buf: &Buf, n: usize) -> std::ops::Range<usize> {
    buf.len().saturating_sub(n)..buf.len()
}

/// Stores `value` over `piece` of `buf`, `from` bytes in; what falls past the piece's end is
/// left for the next piece.
#[inline]
fn store(buf: &mut Buf, piece: std::ops::Range<usize>, from: usize, value: &[u8]) {
    let piece = buf.written_mut().get_mut(piece).unwrap_or_default();
    let n = value.len().min(piece.len().saturating_sub(from));
    if let (Some(field), Some(value)) = (piece.get_mut(from..from + n), value.get(..n)) {
        copy_field(field, value);
    }
}

/// Copies `value` over `field`, as long: the usual sizes as fixed-size moves rather than a
/// call to copy a few bytes.
#[inline(always)]
fn copy_field(field: &mut [u8], value: &[u8]) {
    match (value.len(), field.len()) {
        (4, 4) => {
            if let (Some(to), Some(from)) = (field.first_chunk_mut::<4>(), value.first_chunk()) {
                *to = *from;
            }
        }
        (8, 8) => {
            if let (Some(to), Some(from)) = (field.first_chunk_mut::<8>(), value.first_chunk()) {
                *to = *from;
            }
        }
        _ => field.copy_from_slice(value),
    }
}

/// Bytes that replace a field of a section's data: a value stored in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Patch {
    /// Offset in the section.
    pub offset: u64,
    /// The new bytes; the first `len` count.
    pub bytes: [u8; 8],
    pub len: u8,
}

impl Patch {
    /// The low `size` bytes (at most 8) of `value`, in the given byte order, at `offset`.
    #[inline]
    pub(crate) fn int(offset: u64, size: u8, value: i64, big_endian: bool) -> Patch {
        let size = size.min(8);
        let bytes = if !big_endian {
            value.to_le_bytes()
        } else if size == 0 {
            [0; 8]
        } else {
            // The low `size` bytes, most significant first, at the front.
            ((value as u64) << (64 - 8 * u32::from(size))).to_be_bytes()
        };
        Patch {
            offset,
            bytes,
            len: size,
        }
    }

    /// The offset just past the field.
    pub(crate) fn end(&self) -> u64 {
        self.offset.saturating_add(u64::from(self.len))
    }
}

/// Tracks whether patches arrive by offset, each after the previous one's end.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PatchOrder {
    end: u64,
    broken: bool,
}

impl PatchOrder {
    /// Notes the next patch.
    pub(crate) fn see(&mut self, p: &Patch) {
        if p.offset < self.end {
            self.broken = true;
        }
        self.end = p.end();
    }

    /// Whether every patch seen came after the previous one.
    pub(crate) fn in_order(&self) -> bool {
        !self.broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_buffer_the_machine_cannot_give_is_an_error() {
        let e = zeroed(usize::MAX).unwrap_err().to_string();
        assert!(e.contains("cannot allocate"), "{e}");
        assert_eq!(zeroed(3).unwrap(), [0, 0, 0]);
    }

    #[test]
    fn parts_written_in_place_make_one_file() {
        let mut file = zeroed(12).unwrap();
        let (head, tail) = file.split_at_mut(8);
        let mut out = Out::in_place(head, 0, true);
        out.u32(0x0102_0304);
        out.zeros(2);
        out.record(2).u16(0x0506);
        assert_eq!(out.len(), 8);
        let mut out = Out::in_place(tail, 8, false);
        out.u32(0x0708_090a);
        assert_eq!(out.len(), 12);
        // The whole file, its parts taken as written, for what is stored over them after.
        let mut out = Out::in_place(&mut file, 0, false);
        out.skip_to(12);
        out.overwrite(4, &[0xff]);
        assert_eq!(file, [1, 2, 3, 4, 0xff, 0, 5, 6, 0x0a, 9, 8, 7]);
    }

    #[test]
    fn patches_merge_or_copy_alike() {
        let data: Vec<u8> = (0..32).collect();
        let patches = [
            Patch::int(2, 2, 0x1111, false),
            Patch::int(10, 4, -1, false),
        ];
        let streamed = |in_order: bool| {
            let mut sink = Vec::new();
            let mut out = Out::stream(&mut sink, false);
            let mut crc = Crc::default();
            out.patched(&data, patches.iter().copied(), in_order, Some(&mut crc));
            out.finish().unwrap();
            (sink, crc.value())
        };
        let mut out = Out::in_memory(false);
        let mut crc = Crc::default();
        out.patched(&data, patches.iter().copied(), true, Some(&mut crc));
        let whole = (out.into_vec(), crc.value());
        assert_eq!(streamed(true), whole);
        assert_eq!(streamed(false), whole);
        assert_eq!(&whole.0[..6], &[0, 1, 0x11, 0x11, 4, 5]);
    }

    #[test]
    fn streamed_patches_cross_pieces_chunks_and_gaps() {
        // 300 KiB of bytes after a 100-byte header: fields every few bytes, fields across
        // each piece's end, a gap longer than a chunk, a field in the last byte.
        let data: Vec<u8> = (0..300 * 1024).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut offsets: Vec<u64> = (0..2000).map(|i| i * 13).collect();
        offsets.extend((1..40).map(|k| k * PIECE as u64 - 2 + 26_000));
        offsets.extend((0..500).map(|i| 200 * 1024 + i * 9));
        offsets.push(data.len() as u64 - 1);
        offsets.sort_unstable();
        let patches: Vec<Patch> = offsets
            .iter()
            .enumerate()
            .map(|(i, &at)| {
                let size = if at == data.len() as u64 - 1 {
                    1
                } else {
                    [1, 2, 4, 8][i % 4]
                };
                Patch::int(at, size, -(i as i64) - 1, false)
            })
            .filter({
                let mut end = 0;
                move |p| {
                    let keep = p.offset >= end;
                    end = end.max(p.end());
                    keep
                }
            })
            .collect();
        let header: Vec<u8> = (0..100).collect();
        let mut out = Out::in_memory(false);
        out.bytes(&header);
        let mut crc = Crc::default();
        out.patched(&data, patches.iter().copied(), true, Some(&mut crc));
        let whole = (out.into_vec(), crc.value());
        let mut sink = Vec::new();
        let mut out = Out::stream(&mut sink, false);
        out.bytes(&header);
        let mut crc = Crc::default();
        out.patched(&data, patches.iter().copied(), true, Some(&mut crc));
        out.finish().unwrap();
        assert_eq!(sink.len(), whole.0.len());
        assert!(sink == whole.0, "streamed bytes differ");
        assert_eq!(crc.value(), whole.1);
        let mut expected = Crc::default();
        expected.update(&whole.0[100..]);
        assert_eq!(crc.value(), expected.value());
    }

    #[test]
    fn patch_helpers() {
        let data: Vec<u8> = (0..32).collect();
        let patches = [
            Patch::int(2, 2, 0x1111, false),
            Patch::int(10, 4, -1, false),
        ];
        assert_eq!(&Patch::int(0, 2, 0x1234, true).bytes[..2], &[0x12, 0x34]);
        assert_eq!(&Patch::int(0, 8, 0x0102, true).bytes[6..], &[1, 2]);
        assert_eq!(&Patch::int(0, 4, 0x0102, false).bytes[..2], &[2, 1]);
        let mut a = Out::in_memory(false);
        a.patched(&data, patches.iter().copied(), true, None);
        let mut b = Out::in_memory(false);
        b.patched(&data, patches.iter().copied(), false, None);
        let (a, b) = (a.into_vec(), b.into_vec());
        assert_eq!(a, b);
        assert_eq!(&a[..6], &[0, 1, 0x11, 0x11, 4, 5]);
        assert_eq!(&a[10..14], &[0xff; 4]);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn terminated_strings_stream_and_fill_in_place_alike() {
        // Entries across chunk ends, one longer than a chunk, empty ones.
        let long = vec![b'x'; CHUNK + 3];
        let mut entries: Vec<(&[u8], &[u8])> = vec![(b"", b""), (b"_", b"main")];
        for i in 0..20_000 {
            entries.push(if i % 3 == 0 {
                (b"_", b"function")
            } else {
                (b"", b"f")
            });
        }
        entries.push((b"_", &long));
        entries.push((b"", b""));
        let mut expected = Vec::new();
        for (prefix, name) in &entries {
            expected.extend_from_slice(prefix);
            expected.extend_from_slice(name);
            expected.push(0);
        }
        let mut sink = Vec::new();
        let mut out = Out::stream(&mut sink, false);
        for (prefix, name) in &entries {
            out.terminated(prefix, name);
        }
        out.finish().unwrap();
        assert_eq!(sink, expected);
        let mut file = zeroed(expected.len()).unwrap();
        let mut out = Out::in_place(&mut file, 0, false);
        for (prefix, name) in &entries {
            out.terminated(prefix, name);
        }
        assert_eq!(out.len(), expected.len());
        assert_eq!(file, expected);
    }

    #[test]
    fn streams_in_chunks() {
        let mut sink = Vec::new();
        let mut out = Out::stream(&mut sink, true);
        out.u32(0x0102_0304);
        out.zeros(3 * CHUNK + 5);
        out.bytes(&vec![7; 2 * CHUNK]);
        out.u16(0x0506);
        assert_eq!(out.len(), 4 + 3 * CHUNK + 5 + 2 * CHUNK + 2);
        out.finish().unwrap();
        assert_eq!(sink.len(), 4 + 5 * CHUNK + 5 + 2);
        assert_eq!(&sink[..4], &[1, 2, 3, 4]);
        assert_eq!(&sink[sink.len() - 2..], &[5, 6]);
    }
}
