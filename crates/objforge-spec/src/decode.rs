//! Decoders for a section's inline contents: `hex` and `base64` text to bytes.
//!
//! Errors are messages without a place; the caller prefixes the JSON path. Positions are
//! 1-based character counts into the string, which is what an editor shows.

/// [`HEX_DIGITS`]' mark for ASCII whitespace (what `char::is_whitespace` accepts below 0x80).
const SPACE: u8 = 0x10;
/// [`HEX_DIGITS`]' mark for every other byte.
const OTHER: u8 = 0xff;

/// Each byte's value as a hex digit, or [`SPACE`], or [`OTHER`].
const HEX_DIGITS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => SPACE,
            _ => OTHER,
        };
        b += 1;
    }
    table
};

/// Decodes hex text: pairs of hex digits (either case), with whitespace allowed between bytes
/// (`"e8 00000000 c3"`), but not inside one.
pub fn hex(text: &str) -> Result<Vec<u8>, String> {
    // The table-driven decoder takes well-formed ASCII text; anything it does not take (an
    // error, or non-ASCII whitespace) goes to the character-by-character decoder, which
    // decodes it or explains what is wrong.
    match hex_ascii(text.as_bytes()) {
        Some(bytes) => Ok(bytes),
        None => hex_chars(text),
    }
}

/// Decodes hex text of ASCII digits and ASCII whitespace between bytes; `None` for anything
/// else.
fn hex_ascii(text: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut rest = text;
    loop {
        // Sixteen digits at a time, while no whitespace or other byte comes among them: a
        // section's contents are mostly long runs of digits.
        while let Some((digits, tail)) = rest.split_first_chunk::<16>() {
            let (first, second) = digits.split_at(8);
            let (Some(first), Some(second)) = (four_bytes(first), four_bytes(second)) else {
                break;
            };
            bytes.extend_from_slice(&first);
            bytes.extend_from_slice(&second);
            rest = tail;
        }
        // Then one byte (or whitespace) at a time, until the next run.
        let [first, tail @ ..] = rest else {
            return Some(bytes);
        };
        let high = HEX_DIGITS[usize::from(*first)];
        if high == SPACE {
            rest = tail;
            continue;
        }
        let [second, tail @ ..] = tail else {
            return None;
        };
        let low = HEX_DIGITS[usize::from(*second)];
        if (high | low) >= SPACE {
            return None;
        }
        bytes.push(high << 4 | low);
        rest = tail;
    }
}

/// Eight hex digits (either case) as four bytes, eight characters at once in a `u64`; `None`
/// if any is not a hex digit.
#[inline]
fn four_bytes(digits: &[u8]) -> Option<[u8; 4]> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let x = u64::from_le_bytes(digits.try_into().ok()?);
    if x & HIGH != 0 {
        return None;
    }
    // The lanes whose byte lies in lo..=hi; with every byte below 0x80, no lane carries into
    // the next.
    let within = |x: u64, lo: u8, hi: u8| {
        let above = x + ONES * u64::from(0x7f - hi);
        let from = x + ONES * u64::from(0x80 - lo);
        from & !above & HIGH
    };
    // `| 0x20` lowers `A`-`F` and changes no other byte into `a`-`f`.
    if within(x, b'0', b'9') | within(x | (ONES * 0x20), b'a', b'f') != HIGH {
        return None;
    }
    // A digit's value is its low four bits, plus 9 for a letter (bit 6 set).
    let values = (x & (ONES * 0x0f)) + ((x >> 6) & ONES) * 9;
    // The first character is the high half of each byte: pairs into the even lanes, then the
    // even lanes together.
    let pairs = (values << 4 | values >> 8) & 0x00ff_00ff_00ff_00ff;
    let halves = (pairs | pairs >> 8) & 0x0000_ffff_0000_ffff;
    Some(((halves | halves >> 16) as u32).to_le_bytes())
}

/// [`hex`], a character at a time, with the error messages.
fn hex_chars(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut high: Option<(usize, u8)> = None;
    for (index, c) in text.chars().enumerate() {
        let position = index + 1;
        if c.is_whitespace() {
            if let Some((start, _)) = high {
                return Err(format!(
                    "the byte starting at character {start} has one hex digit; whitespace may separate bytes, not split them"
                ));
            }
            continue;
        }
        let Some(digit) = c.to_digit(16) else {
            return Err(format!(
                "{} at character {position} is not a hex digit",
                crate::json::quote(&c.to_string())
            ));
        };
        // `to_digit(16)` is at most 15, so the narrowing is exact.
        let digit = digit as u8;
        match high.take() {
            None => high = Some((position, digit)),
            Some((_, h)) => bytes.push(h << 4 | digit),
        }
    }
    if let Some((start, _)) = high {
        return Err(format!(
            "odd number of hex digits: the byte starting at character {start} has only one"
        ));
    }
    Ok(bytes)
}

/// The value of one character of the standard base64 alphabet.
fn base64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Decodes standard base64 (RFC 4648 alphabet `A-Z a-z 0-9 + /`, padded with `=` to a multiple
/// of four characters). Whitespace anywhere is ignored, so wrapped lines are fine. Leftover bits
/// in the last group must be zero, as every encoder writes them.
pub fn base64(text: &str) -> Result<Vec<u8>, String> {
    // (1-based character position, byte) of every non-whitespace character.
    let mut symbols: Vec<(usize, u8)> = Vec::with_capacity(text.len());
    for (index, c) in text.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        let position = index + 1;
        if !c.is_ascii() {
            return Err(format!(
                "{} at character {position} is not in the base64 alphabet",
                crate::json::quote(&c.to_string())
            ));
        }
        symbols.push((position, c as u8));
    }
    if !symbols.len().is_multiple_of(4) {
        return Err(format!(
            "{} characters (not counting whitespace) is not a multiple of 4; standard base64 is padded with `=`",
            symbols.len()
        ));
    }
    let mut bytes = Vec::with_capacity(symbols.len() / 4 * 3);
    let groups = symbols.len() / 4;
    for (g, group) in symbols.chunks_exact(4).enumerate() {
        let last = g + 1 == groups;
        let mut values = [0u8; 4];
        let mut padding = 0;
        for (k, &(position, c)) in group.iter().enumerate() {
            if c == b'=' {
                // Padding may only fill the last one or two places of the last group.
                if !last || k < 2 {
                    return Err(format!(
                        "`=` at character {position} is padding, which only ends the text"
                    ));
                }
                padding += 1;
                continue;
            }
            if padding > 0 {
                return Err(format!(
                    "{} at character {position} follows padding `=`",
                    crate::json::quote(&(c as char).to_string())
                ));
            }
            let Some(v) = base64_value(c) else {
                let hint = if c == b'-' || c == b'_' {
                    " (this looks like URL-safe base64; use `+` and `/`)"
                } else {
                    ""
                };
                return Err(format!(
                    "{} at character {position} is not in the standard base64 alphabet{hint}",
                    crate::json::quote(&(c as char).to_string())
                ));
            };
            if let Some(slot) = values.get_mut(k) {
                *slot = v;
            }
        }
        let [a, b, c, d] = values;
        let word = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        let [_, b0, b1, b2] = word.to_be_bytes();
        let (keep, leftover_mask) = match padding {
            0 => (3, 0),
            1 => (2, 0xff),
            _ => (1, 0xffff),
        };
        if word & leftover_mask != 0 {
            let position = group.first().map_or(0, |&(p, _)| p);
            return Err(format!(
                "the last group (from character {position}) has unused bits set; the text is truncated or not base64"
            ));
        }
        bytes.extend_from_slice(&[b0, b1, b2][..keep]);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_digits_at_once_are_every_hex_digit_and_nothing_else() {
        // Each byte value at each of the eight places, among valid digits.
        for place in 0..8 {
            for b in 0..=255u8 {
                let mut digits = *b"0f9aA3Fc";
                digits[place] = b;
                let expected = std::str::from_utf8(&digits)
                    .ok()
                    .filter(|s| s.chars().all(|c| c.is_ascii_hexdigit()))
                    .map(|s| {
                        let v = u32::from_str_radix(s, 16).unwrap_or_default();
                        v.to_be_bytes()
                    });
                assert_eq!(four_bytes(&digits), expected, "{digits:?}");
            }
        }
    }

    #[test]
    fn hex_allows_whitespace_between_bytes() {
        assert_eq!(hex("e8 00000000\n\tC3"), Ok(vec![0xe8, 0, 0, 0, 0, 0xc3]));
        assert_eq!(hex(""), Ok(vec![]));
        assert!(hex("e").is_err());
        assert!(hex("e 8").is_err());
        assert!(hex("zz").unwrap_err().contains("character 1"));
    }

    #[test]
    fn hex_table_decoder_agrees_with_the_character_decoder() {
        // Every string of up to 5 characters over an alphabet of digits, ASCII and non-ASCII
        // whitespace and non-digits: the same bytes, or the same error.
        let alphabet = [
            '0', '9', 'a', 'F', 'g', ' ', '\t', '\u{b}', '\u{a0}', 'é', '\n',
        ];
        let mut strings = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = strings
                .iter()
                .filter(|s| s.chars().count() == strings.last().map_or(0, |l| l.chars().count()))
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        for s in &strings {
            assert_eq!(hex(s), hex_chars(s), "{s:?}");
        }
        // Long runs (sixteen digits at a time), broken at every position by whitespace, a
        // non-digit, a non-ASCII character or the end.
        let run = "0123456789abcdefABCDEF0123456789abcdef0123";
        for cut in 0..run.len() {
            for breaker in ["", " ", "\n", "g", "\u{a0}", "0"] {
                let s = format!("{}{breaker}{}", &run[..cut], &run[cut..]);
                assert_eq!(hex(&s), hex_chars(&s), "{s:?}");
            }
        }
        assert_eq!(hex_ascii(b"0a\x0b1F"), Some(vec![0x0a, 0x1f]));
    }

    #[test]
    fn base64_round_trips_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(coded), Ok(plain.as_bytes().to_vec()), "{coded}");
        }
        assert_eq!(base64("Zm9v\nYmFy"), Ok(b"foobar".to_vec()));
        assert_eq!(base64("//+A"), Ok(vec![0xff, 0xff, 0x80]));
    }

    #[test]
    fn base64_rejects_bad_text() {
        assert!(base64("Zg").is_err()); // unpadded
        assert!(base64("Zh==").is_err()); // leftover bits
        assert!(base64("Z===").is_err()); // too much padding
        assert!(base64("Zg==Zg==").is_err()); // padding in the middle
        assert!(base64("Zm9-").unwrap_err().contains("URL-safe"));
        assert!(base64("Zm9é").is_err());
    }
}
