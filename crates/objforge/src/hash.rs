//! A small, fast, non-cryptographic hasher for the writer's internal maps (names, offsets).
//! The keys come from the backend, not from an attacker, and SipHash's cost showed up as the
//! largest single item when profiling a 100,000-function object.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hash (as in rustc): multiply-rotate over machine words.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if rest.is_empty() {
            return;
        }
        // The last bytes, read as a whole word where the input is that long (overlapping the
        // word before), else gathered in a register: a word assembled byte by byte in memory
        // and read back at once is a load the processor cannot forward from its stores.
        let tail = match bytes.get(bytes.len().saturating_sub(8)..) {
            Some(last) if bytes.len() >= 8 => {
                let mut word = [0u8; 8];
                word.copy_from_slice(last);
                u64::from_le_bytes(word)
            }
            _ => rest.iter().fold(0u64, |w, &b| (w << 8) | u64::from(b)),
        };
        self.add(tail ^ ((rest.len() as u64) << 59));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits, which pick the bucket, poorly mixed when keys
        // differ only in their last bytes (`function_1`, `function_2`); fold the high half in.
        let h = self.hash;
        (h ^ (h >> 32)).wrapping_mul(0xff51_afd7_ed55_8ccd) ^ (h >> 29)
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub(crate) type FxHashSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;
