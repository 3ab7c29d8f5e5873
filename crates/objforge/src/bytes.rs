//! The output buffer: allocated once at the final size, filled front to back.

/// A growable byte buffer with integer writers in the target's byte order.
pub(crate) struct Out {
    buf: Vec<u8>,
    big_endian: bool,
}

impl Out {
    /// An empty buffer with room for exactly `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize, big_endian: bool) -> Out {
        Out {
            buf: Vec::with_capacity(capacity),
            big_endian,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn vec(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// Zero-fills up to `offset` (a no-op if already there).
    pub(crate) fn pad_to(&mut self, offset: usize) {
        debug_assert!(offset >= self.buf.len(), "layout ran backwards");
        self.buf.resize(offset.max(self.buf.len()), 0);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    pub(crate) fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    pub(crate) fn u64(&mut self, v: u64) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    /// A 32- or 64-bit word, as the ELF class has it.
    pub(crate) fn word(&mut self, is64: bool, v: u64) {
        if is64 {
            self.u64(v)
        } else {
            self.u32(v as u32)
        }
    }

    /// Overwrites `size` bytes at `at` (already written) with `value`, truncated.
    pub(crate) fn patch_int(&mut self, at: usize, size: u8, value: i64) {
        let size = usize::from(size);
        let le = value.to_le_bytes();
        let field = &mut self.buf[at..at + size];
        if self.big_endian {
            for (i, b) in field.iter_mut().enumerate() {
                *b = le[size - 1 - i];
            }
        } else {
            field.copy_from_slice(&le[..size]);
        }
    }
}
