//! [`Name`]: a symbol's name, stored inline when short.

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The longest name stored inline: 22 bytes, which with the length and the variant's tag make
/// the 24 bytes a `String` takes.
const INLINE: usize = 22;

/// A symbol's name: a string of up to 22 bytes is stored in the value itself, a longer one in
/// a `Box<str>` — so the common short name costs no heap allocation, and a model of many
/// symbols no allocation (and no free) per name. 24 bytes, like a `String`.
///
/// It reads like a string (`Deref<Target = str>`, `Display`, comparisons with `str` and
/// `String`), and anything a `String` converts from converts into it, including
/// [`format_args!`], which is formatted straight into the inline bytes:
///
/// ```
/// use objforge::{Name, SectionId, Symbol};
///
/// let short = Name::from("main");
/// assert_eq!(short, "main");
/// assert!(short.starts_with("ma"));
/// assert!(short.is_inline());
///
/// let long = Name::from(String::from("_ZN4core3fmt9Formatter3pad17h0123456789abcdefE"));
/// assert!(!long.is_inline());
/// assert_eq!(long.len(), 46);
///
/// // A backend formats its names without a `String` per name:
/// let i = 42;
/// let sym = Symbol::defined(format_args!("function_{i}"), SectionId(0), 0);
/// assert_eq!(sym.name, "function_42");
/// assert_eq!(String::from(sym.name), "function_42");
/// ```
///
/// Equality, order and hashing are those of the `str` it holds, whichever way it is stored,
/// so a `HashMap<Name, _>` is looked up with a `&str`.
///
/// [`Name::as_bytes`], [`Name::len`] and [`Name::is_empty`] are a branch and a slice. Reading
/// a short name as a `str` ([`Name::as_str`], or through `Deref`) checks its bytes for UTF-8
/// again, since the library has no `unsafe` to skip that; code that only needs the bytes
/// should ask for them.
#[derive(Clone)]
pub struct Name(Repr);

#[derive(Clone)]
enum Repr {
    /// `bytes[..len]` hold the name (valid UTF-8); `len <= INLINE`.
    Inline { len: u8, bytes: [u8; INLINE] },
    /// Longer than [`INLINE`] bytes.
    Heap(Box<str>),
}

impl Name {
    /// The longest name, in bytes, stored without a heap allocation.
    pub const INLINE_LEN: usize = INLINE;

    /// The empty name.
    pub const fn new() -> Name {
        Name(Repr::Inline {
            len: 0,
            bytes: [0; INLINE],
        })
    }

    /// `s` inline, if it fits.
    #[inline]
    fn inline(s: &str) -> Option<Name> {
        let mut bytes = [0; INLINE];
        bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Name(Repr::Inline {
            len: s.len() as u8,
            bytes,
        }))
    }

    /// The name's bytes (UTF-8): a branch and a slice.
    ///
    /// ```
    /// assert_eq!(objforge::Name::from("puts").as_bytes(), b"puts");
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            // `min` (never below `len`) spares a bounds check.
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len).min(INLINE)],
            Repr::Heap(s) => s.as_bytes(),
        }
    }

    /// The name as a `str` (what `Deref` gives). A short name's bytes are checked for UTF-8
    /// on the way (they always pass); prefer [`Name::as_bytes`] where bytes will do.
    ///
    /// ```
    /// let name = objforge::Name::from("puts");
    /// assert_eq!(name.as_str(), "puts");
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only ever filled from a `str`, so this never falls back.
            Repr::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Repr::Heap(s) => s,
        }
    }

    /// Its length in bytes.
    ///
    /// ```
    /// assert_eq!(objforge::Name::from("é").len(), 2);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Heap(s) => s.len(),
        }
    }

    /// Whether it is the empty name.
    ///
    /// ```
    /// assert!(objforge::Name::default().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is stored inline (at most [`Name::INLINE_LEN`] bytes), not on the heap.
    ///
    /// ```
    /// use objforge::Name;
    /// assert!(Name::from("a".repeat(22)).is_inline());
    /// assert!(!Name::from("a".repeat(23)).is_inline());
    /// ```
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl Default for Name {
    fn default() -> Name {
        Name::new()
    }
}

impl Deref for Name {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Name {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Name {
    #[inline]
    fn eq(&self, other: &Name) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    /// As `str` orders: by bytes.
    fn cmp(&self, other: &Name) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Name {
    /// As `str` hashes (its bytes, then `0xff`: `Hasher::write_str`'s default), so that
    /// `Borrow<str>` holds.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

/// `PartialEq` both ways with `str`, `&str` and `String`, by bytes.
macro_rules! eq_with {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for Name {
            #[inline]
            fn eq(&self, other: &$other) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl PartialEq<Name> for $other {
            #[inline]
            fn eq(&self, other: &Name) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }
    )*};
}

eq_with!(str, &str, String);

impl From<&str> for Name {
    #[inline]
    fn from(s: &str) -> Name {
        Name::inline(s).unwrap_or_else(|| Name(Repr::Heap(s.into())))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::from(s.as_str())
    }
}

impl From<String> for Name {
    /// A short string is copied inline (and its buffer freed); a longer one keeps its buffer
    /// (`into_boxed_str`, which shrinks it to fit).
    fn from(s: String) -> Name {
        Name::inline(&s).unwrap_or_else(|| Name(Repr::Heap(s.into_boxed_str())))
    }
}

impl From<Box<str>> for Name {
    fn from(s: Box<str>) -> Name {
        Name::inline(&s).unwrap_or(Name(Repr::Heap(s)))
    }
}

impl From<Cow<'_, str>> for Name {
    fn from(s: Cow<'_, str>) -> Name {
        match s {
            Cow::Borrowed(s) => Name::from(s),
            Cow::Owned(s) => Name::from(s),
        }
    }
}

impl From<&Name> for Name {
    fn from(name: &Name) -> Name {
        name.clone()
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        match name.0 {
            Repr::Inline { .. } => name.as_str().to_owned(),
            Repr::Heap(s) => s.into_string(),
        }
    }
}

impl From<fmt::Arguments<'_>> for Name {
    /// Formats `args` into the inline bytes, with no allocation when the result fits in
    /// [`Name::INLINE_LEN`] bytes, and into a `String` when it does not.
    ///
    /// ```
    /// use objforge::Name;
    /// let i = 7;
    /// assert_eq!(Name::from(format_args!("function_{i}")), "function_7");
    /// let long = Name::from(format_args!("{}_{i}", "x".repeat(30)));
    /// assert_eq!(long.len(), 32);
    /// ```
    ///
    /// A `Display` implementation that fails (which `format!` would panic on) leaves what was
    /// written before it.
    fn from(args: fmt::Arguments<'_>) -> Name {
        if let Some(s) = args.as_str() {
            return Name::from(s);
        }
        let mut w = Writer::Inline {
            len: 0,
            bytes: [0; INLINE],
        };
        // An error can only come from a `Display` implementation: keep what was written.
        let _ = fmt::write(&mut w, args);
        match w {
            Writer::Inline { len, bytes } => Name(Repr::Inline { len, bytes }),
            Writer::Spilled(s) => Name::from(s),
        }
    }
}

/// Formats into a name's inline bytes until they overflow, then into a `String`.
enum Writer {
    Inline { len: u8, bytes: [u8; INLINE] },
    Spilled(String),
}

impl fmt::Write for Writer {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self {
            Writer::Inline { len, bytes } => {
                let at = usize::from(*len);
                let room = bytes.get_mut(at..).and_then(|rest| rest.get_mut(..s.len()));
                if let Some(room) = room {
                    room.copy_from_slice(s.as_bytes());
                    *len += s.len() as u8;
                } else {
                    self.spill(s)?;
                }
            }
            Writer::Spilled(spilled) => spilled.push_str(s),
        }
        Ok(())
    }
}

impl Writer {
    /// Moves what was written into a `String`, then `s` after it. Out of line, so that the
    /// inline path stays small.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, s: &str) -> fmt::Result {
        if let Writer::Inline { len, bytes } = self {
            let written = bytes.get(..usize::from(*len)).unwrap_or(&[]);
            // Whole `str`s went in, so this is UTF-8.
            let written = std::str::from_utf8(written).map_err(|_| fmt::Error)?;
            let mut spilled = String::with_capacity(2 * (written.len() + s.len()));
            spilled.push_str(written);
            spilled.push_str(s);
            *self = Writer::Spilled(spilled);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashMap;

    fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn is_24_bytes_and_symbol_did_not_grow() {
        assert_eq!(std::mem::size_of::<Name>(), 24);
        assert_eq!(std::mem::size_of::<Option<Name>>(), 24);
        // 56 on 64-bit hosts; less where a u64 aligns to 4.
        assert!(std::mem::size_of::<crate::model::Symbol>() <= 56);
    }

    #[test]
    fn stores_short_names_inline_and_long_ones_on_the_heap() {
        for len in 0..=40 {
            let s = "é".repeat(len / 2) + &"a".repeat(len % 2);
            let from: [Name; 6] = [
                Name::from(s.as_str()),
                Name::from(&s),
                Name::from(s.clone()),
                Name::from(s.clone().into_boxed_str()),
                Name::from(Cow::Borrowed(s.as_str())),
                Name::from(format_args!("{s}")),
            ];
            for (k, name) in from.iter().enumerate() {
                assert_eq!(name.is_inline(), s.len() <= INLINE, "{len} {k}");
                assert_eq!(name.as_str(), s, "{len} {k}");
                assert_eq!(name.as_bytes(), s.as_bytes(), "{len} {k}");
                assert_eq!(name.len(), s.len());
                assert_eq!(name.is_empty(), s.is_empty());
                assert_eq!(*name, s);
                assert_eq!(s, *name);
                assert_eq!(name, s.as_str());
                assert_eq!(s.as_str(), name);
                assert_eq!(hash_of(name), hash_of(s.as_str()));
                assert_eq!(
                    format!("{name}|{name:>45}|{name:?}"),
                    format!("{s}|{s:>45}|{s:?}")
                );
                assert_eq!(String::from(name.clone()), s);
            }
        }
    }

    #[test]
    fn formats_across_the_inline_limit() {
        // Pieces that end exactly at, just before and just past 22 bytes, and a multi-byte
        // character that straddles the limit.
        for prefix in 0..30 {
            let p = "p".repeat(prefix);
            for tail in ["", "1", "é", "1234567890", "ü_ü_ü_ü_ü_ü_ü_ü"] {
                let name = Name::from(format_args!("{p}{tail}{}", 5));
                let expected = format!("{p}{tail}5");
                assert_eq!(name, expected);
                assert_eq!(name.is_inline(), expected.len() <= INLINE);
            }
        }
        assert_eq!(Name::from(format_args!("plain")), "plain");
    }

    #[test]
    fn orders_and_hashes_like_str() {
        let strs = [
            "",
            "a",
            "ab",
            "a\u{1}",
            "b",
            "é",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ab",
        ];
        for a in strs {
            for b in strs {
                let (na, nb) = (Name::from(a), Name::from(b));
                assert_eq!(na.cmp(&nb), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(na == nb, a == b);
            }
        }
        let map: HashMap<Name, usize> = strs
            .iter()
            .enumerate()
            .map(|(i, &s)| (s.into(), i))
            .collect();
        assert_eq!(map.get("b"), Some(&4));
        assert_eq!(map.get("aaaaaaaaaaaaaaaaaaaaaaaaaaaa"), Some(&6));
    }

    #[test]
    fn a_failing_display_keeps_what_was_written() {
        struct Fails;
        impl fmt::Display for Fails {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Err(fmt::Error)
            }
        }
        assert_eq!(Name::from(format_args!("ab{Fails}cd")), "ab");
    }
}
