//! The CRC-32 COFF section checksums use.

/// CRC-32 (reflected, polynomial 0xEDB88320) started from 0 and not inverted at the end, as
/// COFF section checksums use it — LLVM's `JamCRC` with an initial value of 0.
///
/// Eight table lookups per eight bytes (slicing-by-8). A long input is cut in four, the four
/// parts run through the tables side by side (four independent chains keep the processor
/// busy where one would wait on each lookup), and their checksums are combined.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Crc(u32);

const POLY: u32 = 0xedb8_8320;

static CRC_TABLES: [[u32; 256]; 8] = {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            bit += 1;
        }
        tables[0][i] = c;
        i += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[t - 1][i];
            tables[t][i] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            i += 1;
        }
        t += 1;
    }
    tables
};

/// `a * b` modulo the polynomial (reflected: bit 31 is x^0).
const fn mult_mod(a: u32, mut b: u32) -> u32 {
    let mut m = 1u32 << 31;
    let mut p = 0;
    while m != 0 {
        if a & m != 0 {
            p ^= b;
        }
        m >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
    p
}

/// `x^(2^k)` modulo the polynomial, for k in 0..32.
static X_POW_2K: [u32; 32] = {
    let mut t = [0u32; 32];
    t[0] = 1 << 30; // x^1
    let mut k = 1;
    while k < 32 {
        t[k] = mult_mod(t[k - 1], t[k - 1]);
        k += 1;
    }
    t
};

/// The checksum of bytes whose own checksum is `crc`, followed by `len` zero bytes.
fn shift(crc: u32, len: usize) -> u32 {
    // x^(8 len) = product of x^(2^k) over the set bits of 8 len.
    let mut n = (len as u64) << 3;
    let mut k = 0;
    let mut p = crc;
    while n != 0 {
        if n & 1 != 0 {
            p = mult_mod(X_POW_2K[k & 31], p);
        }
        n >>= 1;
        k += 1;
    }
    p
}

/// One slicing-by-8 step: `crc` after the eight bytes `word`.
#[inline(always)]
fn step8(crc: u32, word: [u8; 8]) -> u32 {
    let t = &CRC_TABLES;
    let b = (u64::from_le_bytes(word) ^ u64::from(crc)).to_le_bytes();
    t[7][usize::from(b[0])]
        ^ t[6][usize::from(b[1])]
        ^ t[5][usize::from(b[2])]
        ^ t[4][usize::from(b[3])]
        ^ t[3][usize::from(b[4])]
        ^ t[2][usize::from(b[5])]
        ^ t[1][usize::from(b[6])]
        ^ t[0][usize::from(b[7])]
}

fn word(bytes: &[u8]) -> [u8; 8] {
    let mut w = [0u8; 8];
    w.copy_from_slice(bytes);
    w
}

/// Inputs at least this long are cut in four.
const CRC_LANES_MIN: usize = 1 << 12;

impl Crc {
    /// Feeds `bytes`.
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        if bytes.len() >= CRC_LANES_MIN {
            let lane = bytes.len() / 32 * 8;
            let (lanes, rest) = bytes.split_at(4 * lane);
            let (a, bcd) = lanes.split_at(lane);
            let (b, cd) = bcd.split_at(lane);
            let (c, d) = cd.split_at(lane);
            let mut crcs = [self.0, 0, 0, 0];
            for (((wa, wb), wc), wd) in a
                .chunks_exact(8)
                .zip(b.chunks_exact(8))
                .zip(c.chunks_exact(8))
                .zip(d.chunks_exact(8))
            {
                crcs[0] = step8(crcs[0], word(wa));
                crcs[1] = step8(crcs[1], word(wb));
                crcs[2] = step8(crcs[2], word(wc));
                crcs[3] = step8(crcs[3], word(wd));
            }
            let mut crc = crcs[0];
            for &next in &crcs[1..] {
                crc = shift(crc, lane) ^ next;
            }
            self.0 = crc;
            bytes = rest;
        }
        let mut crc = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            crc = step8(crc, word(c));
        }
        for &b in chunks.remainder() {
            crc = CRC_TABLES[0][usize::from((crc as u8) ^ b)] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    /// The checksum of everything fed.
    pub(crate) fn value(&self) -> u32 {
        self.0
    }
}

/// Inputs at least this long are checksummed in two halves on two threads.
const CRC_PARALLEL_MIN: usize = 1 << 20;

/// The checksum of `bytes`, started from 0: a long input (any, in debug builds, so that the
/// tests take this path) in two halves on two threads ([`crate::parallel::join`]), combined.
pub(crate) fn checksum(bytes: &[u8]) -> u32 {
    let one = |bytes: &[u8]| {
        let mut crc = Crc::default();
        crc.update(bytes);
        crc.value()
    };
    if !(cfg!(debug_assertions) || bytes.len() >= CRC_PARALLEL_MIN) {
        return one(bytes);
    }
    let (a, b) = bytes.split_at(bytes.len() / 2);
    let (crc_a, crc_b) = crate::parallel::join(true, || one(a), || one(b));
    shift(crc_a, b.len()) ^ crc_b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc_bytewise(bytes: &[u8]) -> u32 {
        bytes.iter().fold(0u32, |crc, &b| {
            CRC_TABLES[0][usize::from((crc as u8) ^ b)] ^ (crc >> 8)
        })
    }

    #[test]
    fn crc_slices_agree_with_bytewise() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for len in [
            0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4095, 4096, 4097, 4127, 4128, 12_345,
            20_000,
        ] {
            let mut c = Crc::default();
            c.update(&data[..len]);
            assert_eq!(c.value(), crc_bytewise(&data[..len]), "len {len}");
            // Fed in pieces, the same.
            let mut c = Crc::default();
            for piece in data[..len].chunks(5) {
                c.update(piece);
            }
            assert_eq!(c.value(), crc_bytewise(&data[..len]), "len {len} in pieces");
            // A long piece after a short one: the four lanes start from a running checksum.
            let mut c = Crc::default();
            let cut = len.min(3);
            c.update(&data[..cut]);
            c.update(&data[cut..len]);
            assert_eq!(c.value(), crc_bytewise(&data[..len]), "len {len} in pieces");
            // In two halves, combined (tests are debug builds: on two threads).
            assert_eq!(
                checksum(&data[..len]),
                crc_bytewise(&data[..len]),
                "len {len}"
            );
        }
    }
}
