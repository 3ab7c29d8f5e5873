//! Reading addends out of section bytes and clearing the fields they sat in: little-endian
//! integers of 1 to 8 bytes and the immediates of AArch64 instructions. Every access is
//! checked; an out-of-range field is `None`, never a panic.

/// The `size`-byte little-endian integer at `offset`, sign-extended.
pub fn read_signed(bytes: &[u8], offset: u64, size: u8) -> Option<i64> {
    let start = usize::try_from(offset).ok()?;
    let field = bytes.get(start..start.checked_add(usize::from(size))?)?;
    if field.is_empty() || field.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    buf.get_mut(..field.len())?.copy_from_slice(field);
    let value = u64::from_le_bytes(buf);
    let shift = 64 - 8 * u32::from(size);
    Some(((value << shift) as i64) >> shift)
}

/// The 4-byte little-endian word at `offset` (an instruction).
pub fn read_u32(bytes: &[u8], offset: u64) -> Option<u32> {
    let start = usize::try_from(offset).ok()?;
    let field = bytes.get(start..start.checked_add(4)?)?;
    Some(u32::from_le_bytes(field.try_into().ok()?))
}

/// Overwrites the `size` bytes at `offset` with zeros; false if they are not all there.
pub fn clear(bytes: &mut [u8], offset: u64, size: u8) -> bool {
    let Ok(start) = usize::try_from(offset) else {
        return false;
    };
    let Some(end) = start.checked_add(usize::from(size)) else {
        return false;
    };
    match bytes.get_mut(start..end) {
        Some(field) => {
            field.fill(0);
            true
        }
        None => false,
    }
}

/// Writes the 4-byte little-endian word `value` at `offset`; false if it does not fit.
pub fn write_u32(bytes: &mut [u8], offset: u64, value: u32) -> bool {
    let Ok(start) = usize::try_from(offset) else {
        return false;
    };
    let Some(end) = start.checked_add(4) else {
        return false;
    };
    match bytes.get_mut(start..end) {
        Some(field) => {
            field.copy_from_slice(&value.to_le_bytes());
            true
        }
        None => false,
    }
}

/// `value`'s low `bits` bits, sign-extended.
pub fn sign_extend(value: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

/// Up to three bytes before `offset` (what the x86_64 writers look at to choose a GOT form).
pub fn before(bytes: &[u8], offset: u64) -> &[u8] {
    let Ok(end) = usize::try_from(offset) else {
        return &[];
    };
    bytes.get(end.saturating_sub(3)..end).unwrap_or(&[])
}

/// The byte just before `offset`, if there is one.
pub fn byte_before(bytes: &[u8], offset: u64) -> Option<u8> {
    let end = usize::try_from(offset).ok()?;
    bytes.get(end.checked_sub(1)?).copied()
}

/// AArch64: the log2 access size of a load/store (unsigned immediate) instruction, as the
/// linkers read it to scale a low-12-bit offset; `None` for another instruction.
pub fn a64_ldst_scale(insn: u32) -> Option<u32> {
    if insn & 0x3b00_0000 != 0x3900_0000 {
        return None;
    }
    let size = insn >> 30;
    // The 128-bit SIMD&FP form: size 0, V set, opc<1> set.
    Some(if insn & 0x0480_0000 == 0x0480_0000 {
        size + 4
    } else {
        size
    })
}

/// AArch64: whether the instruction is BL (as opposed to B).
pub fn a64_is_bl(insn: u32) -> bool {
    insn & 0xfc00_0000 == 0x9400_0000
}

/// The shell-style quoting-aware words of a `.drectve` text: spaces separate directives
/// except inside double quotes.
pub fn directive_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            '\0' => {}
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_and_clear_in_bounds_only() {
        let mut b = vec![0xfc, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read_signed(&b, 0, 4), Some(-4));
        assert_eq!(read_signed(&b, 4, 1), Some(1));
        assert_eq!(read_signed(&b, 3, 4), None);
        assert_eq!(read_signed(&b, u64::MAX, 4), None);
        assert!(clear(&mut b, 0, 4));
        assert!(!clear(&mut b, 3, 4));
        assert_eq!(b, [0, 0, 0, 0, 1]);
        assert_eq!(before(&b, 2), &[0, 0]);
        assert_eq!(byte_before(&b, 0), None);
    }

    #[test]
    fn directives_split_outside_quotes() {
        assert_eq!(
            directive_words(" /DEFAULTLIB:msvcrt -aligncomm:\"a b\",3\0\0"),
            ["/DEFAULTLIB:msvcrt", "-aligncomm:\"a b\",3"]
        );
    }

    #[test]
    fn aarch64_decoding() {
        assert_eq!(a64_ldst_scale(0xf940_0000), Some(3)); // ldr x0, [x0]
        assert_eq!(a64_ldst_scale(0x3dc0_0000), Some(4)); // ldr q0, [x0]
        assert_eq!(a64_ldst_scale(0x3940_0000), Some(0)); // ldrb w0, [x0]
        assert_eq!(a64_ldst_scale(0x9100_0000), None); // add x0, x0, #0
        assert!(a64_is_bl(0x9400_0000));
        assert!(!a64_is_bl(0x1400_0000));
    }
}
