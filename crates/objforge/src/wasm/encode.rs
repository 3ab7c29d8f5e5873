//! The binary format's building blocks: LEB128 numbers (plain and padded), names, vectors.
//! Every encoder of a section's payload appends to a `Vec<u8>` through these; the sections'
//! framing is written by [`Layout`](super::Layout)'s `emit`.

pub(crate) use crate::leb128::{sleb128 as sleb, uleb128 as uleb};

/// Writes `v` into `field` as unsigned LEB128 padded to the field's length (the low bits of
/// `v` that fit: 35 bits for 5 bytes, 70 for 10).
pub(crate) fn padded_uleb(field: &mut [u8], v: u64) {
    let n = field.len();
    for (i, byte) in field.iter_mut().enumerate() {
        let shift = 7 * i;
        let bits = if shift < 64 { (v >> shift) & 0x7f } else { 0 };
        *byte = bits as u8 | if i + 1 < n { 0x80 } else { 0 };
    }
}

/// Writes `v` into `field` as signed LEB128 padded to the field's length.
pub(crate) fn padded_sleb(field: &mut [u8], v: i64) {
    let n = field.len();
    for (i, byte) in field.iter_mut().enumerate() {
        let shift = (7 * i).min(63) as u32;
        let bits = (v >> shift) & 0x7f;
        *byte = bits as u8 | if i + 1 < n { 0x80 } else { 0 };
    }
}

/// Whether `field` is a LEB128 number padded to exactly its length: a continuation bit on
/// every byte but the last.
pub(crate) fn is_padded_leb(field: &[u8]) -> bool {
    match field.split_last() {
        Some((last, rest)) => last & 0x80 == 0 && rest.iter().all(|b| b & 0x80 != 0),
        None => false,
    }
}

/// The length of `v` as unsigned LEB128.
pub(crate) fn uleb_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Appends a length-prefixed UTF-8 name (a `str`, `String` or symbol [`Name`](crate::Name)).
pub(crate) fn name(out: &mut Vec<u8>, s: &(impl AsRef<[u8]> + ?Sized)) {
    let s = s.as_ref();
    uleb(out, s.len() as u64);
    out.extend_from_slice(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lebs_match_the_spec_examples() {
        let mut v = Vec::new();
        uleb(&mut v, 624485);
        assert_eq!(v, [0xe5, 0x8e, 0x26]);
        v.clear();
        sleb(&mut v, -123456);
        assert_eq!(v, [0xc0, 0xbb, 0x78]);
        v.clear();
        sleb(&mut v, 64);
        assert_eq!(v, [0xc0, 0x00]);
        v.clear();
        sleb(&mut v, -64);
        assert_eq!(v, [0x40]);
        assert_eq!(uleb_len(0), 1);
        assert_eq!(uleb_len(127), 1);
        assert_eq!(uleb_len(128), 2);
        assert_eq!(uleb_len(u64::MAX), 10);
    }

    #[test]
    fn padded_lebs_keep_their_length() {
        let mut f = [0u8; 5];
        padded_uleb(&mut f, 3);
        assert_eq!(f, [0x83, 0x80, 0x80, 0x80, 0x00]);
        assert!(is_padded_leb(&f));
        padded_sleb(&mut f, -1);
        assert_eq!(f, [0xff, 0xff, 0xff, 0xff, 0x7f]);
        let mut g = [0u8; 10];
        padded_sleb(&mut g, i64::MIN);
        assert!(is_padded_leb(&g));
        assert_eq!(g[9], 0x7f);
        padded_uleb(&mut g, u64::MAX);
        assert_eq!(g[9], 0x01);
        assert!(!is_padded_leb(&[0x00, 0, 0, 0, 0]));
        assert!(!is_padded_leb(&[0x80, 0x80, 0x80, 0x80, 0x80]));
    }
}
