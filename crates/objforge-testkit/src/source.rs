//! Where the generators take their choices from: a byte string read front to back.
//!
//! The same generator runs under three drivers: a fuzzer (arbitrary bytes), proptest (a
//! `Vec<u8>` it can shrink: fewer bytes give a smaller model) and the seeded tests (bytes from
//! [`SplitMix64`]). Once the bytes run out every choice is 0, the smallest, so any input —
//! even an empty one — gives a model.

/// A cursor over the bytes that decide every choice.
pub struct Source<'a> {
    bytes: &'a [u8],
}

impl<'a> Source<'a> {
    /// Choices taken from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Source<'a> {
        Source { bytes }
    }

    /// Whether every byte has been used.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The next byte, 0 when none are left.
    pub fn u8(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&b, rest)) => {
                self.bytes = rest;
                b
            }
            None => 0,
        }
    }

    /// The next `N` bytes as a little-endian integer's bytes.
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        for b in &mut out {
            *b = self.u8();
        }
        out
    }

    /// A 16-bit choice.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    /// A 32-bit choice.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// A 64-bit choice.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// A coin toss.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// True about once in `n` choices; never once the bytes have run out (nor when `n` < 2),
    /// so a short input stays on the common path.
    pub fn one_in(&mut self, n: u8) -> bool {
        n >= 2 && self.u8() % n == n - 1
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        if n <= 256 {
            usize::from(self.u8()) % n
        } else if n <= 65536 {
            usize::from(self.u16()) % n
        } else {
            (self.u64() % n as u64) as usize
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo;
        if span == u64::MAX {
            return self.u64();
        }
        lo + self.u64() % (span + 1)
    }

    /// One element of `items` (which must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// `n` bytes, as they come.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
}

/// A small, fast, seedable generator of bytes for the seeded tests (SplitMix64).
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

/// How many cases a property test runs: `OBJFORGE_PROPTEST_CASES` if set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("OBJFORGE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed the seeded tests start from: `OBJFORGE_SEED` if set (to reproduce or explore),
/// else a fixed one so every run checks the same cases.
pub fn seed() -> u64 {
    std::env::var("OBJFORGE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0bf0_f00d)
}
