//! The parsed JSON document the spec reader walks: serde_json's parser, into a tree that
//! borrows its strings from the input wherever they have no escapes (section contents in
//! `hex`, names), and keeps each object's members in a plain vector.
//!
//! `serde_json::Value` copies every string and puts every object in a hash map (an `IndexMap`
//! with SipHash, under `preserve_order`): on a 4 MB spec of SQLite's object that was about
//! half of `objforge build`'s time, in the allocator and in hashing keys that a spec object
//! has a handful of. A linear search of a few keys is cheaper than hashing one.

use std::borrow::Cow;
use std::fmt;

use serde_core::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string, borrowed from the document unless it had escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object.
    Object(Object<'a>),
}

/// A JSON number, as serde_json reads it: an unsigned or negative integer that fits 64 bits,
/// or a float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// Anything else.
    F64(f64),
}

impl Number {
    /// The number as a `u64`, if it is a non-negative integer.
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Number::U64(n) => Some(n),
            Number::I64(n) => u64::try_from(n).ok(),
            Number::F64(_) => None,
        }
    }

    /// The number as an `i64`, if it is an integer that fits.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::U64(n) => i64::try_from(n).ok(),
            Number::I64(n) => Some(n),
            Number::F64(_) => None,
        }
    }

    /// The number as an `f64`.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::U64(n) => n as f64,
            Number::I64(n) => n as f64,
            Number::F64(f) => f,
        }
    }
}

impl fmt::Display for Number {
    /// As serde_json prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::U64(n) => write!(f, "{n}"),
            Number::I64(n) => write!(f, "{n}"),
            Number::F64(x) => match serde_json::Number::from_f64(x) {
                Some(n) => write!(f, "{n}"),
                None => write!(f, "{x}"),
            },
        }
    }
}

/// A JSON object: its members in the document's order. A key given twice means its last
/// value, as with serde_json.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object<'a> {
    members: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Object<'a> {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.members
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.members.iter().any(|(k, _)| k == key)
    }

    /// The keys, in the document's order (a repeated key once per occurrence).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(k, _)| k.as_ref())
    }

    /// The members, in the document's order, a repeated key only with its last value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        // Where each key last occurs; objects keyed by the spec's own names (a few keys) are
        // searched, larger ones (keyed by the user's names) indexed.
        let last: Option<std::collections::HashMap<&str, usize>> =
            (self.members.len() > 16).then(|| {
                self.members
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.as_ref(), i))
                    .collect()
            });
        self.members
            .iter()
            .enumerate()
            .filter(move |(i, (k, _))| match &last {
                Some(last) => last.get(k.as_ref()) == Some(i),
                None => !self.members[i + 1..].iter().any(|(later, _)| later == k),
            })
            .map(|(_, (k, v))| (k.as_ref(), v))
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl<'a> Value<'a> {
    /// The string, if the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if the value is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as an `f64`, if the value is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// The object, if the value is one.
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Whether the value is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Whether the value is a number.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }

    /// Whether the value is a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    /// The value as a `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The same value, as a `serde_json::Value`.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(Number::U64(n)) => serde_json::Value::from(*n),
            Value::Number(Number::I64(n)) => serde_json::Value::from(*n),
            Value::Number(Number::F64(f)) => serde_json::Value::from(*f),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(items) => items.iter().map(Value::to_serde).collect(),
            Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), v.to_serde()))
                    .collect(),
            ),
        }
    }

    /// The same value as `v`, borrowing its strings.
    pub fn from_serde(v: &'a serde_json::Value) -> Value<'a> {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(if let Some(u) = n.as_u64() {
                Number::U64(u)
            } else if let Some(i) = n.as_i64() {
                Number::I64(i)
            } else {
                Number::F64(n.as_f64().unwrap_or(f64::NAN))
            }),
            serde_json::Value::String(s) => Value::String(Cow::Borrowed(s)),
            serde_json::Value::Array(items) => {
                Value::Array(items.iter().map(Value::from_serde).collect())
            }
            serde_json::Value::Object(map) => Value::Object(Object {
                members: map
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Value::from_serde(v)))
                    .collect(),
            }),
        }
    }
}

impl fmt::Display for Value<'_> {
    /// As compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_serde())
    }
}

/// Parses `bytes` as one JSON document (serde_json's parser and its error messages).
pub fn from_slice(bytes: &[u8]) -> Result<Value<'_>, serde_json::Error> {
    // Checked as UTF-8 once, whole, the text is parsed without checking each string again;
    // text that is not UTF-8 goes to the parser as bytes, for its error and position.
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value<'de>, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(if n >= 0 {
            Number::U64(n as u64)
        } else {
            Number::I64(n)
        }))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Number::U64(n)))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Number::F64(f)))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value = map.next_value()?;
            members.push((key.0, value));
        }
        Ok(Value::Object(Object { members }))
    }
}

/// An object key, borrowed where the document allows.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let text = br#"{"hex": "c3", "name": "a\"b", "n": [1, -2, 1.5, null, true]}"#;
        let v = from_slice(text).unwrap();
        let Value::Object(o) = &v else { panic!() };
        assert!(matches!(
            o.get("hex"),
            Some(Value::String(Cow::Borrowed("c3")))
        ));
        assert_eq!(o.get("name").and_then(Value::as_str), Some("a\"b"));
        let Some(Value::Array(n)) = o.get("n") else {
            panic!()
        };
        assert_eq!(n[0].as_u64(), Some(1));
        assert_eq!(n[1], Value::Number(Number::I64(-2)));
        assert_eq!(n[2], Value::Number(Number::F64(1.5)));
        assert_eq!(
            v.to_serde(),
            serde_json::from_slice::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn the_last_of_a_repeated_key_counts() {
        let v = from_slice(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        let Value::Object(o) = &v else { panic!() };
        assert_eq!(o.get("a").and_then(Value::as_u64), Some(3));
        let members: Vec<_> = o.iter().map(|(k, v)| (k, v.as_u64())).collect();
        assert_eq!(members, [("b", Some(2)), ("a", Some(3))]);
    }

    #[test]
    fn numbers_print_as_serde_json_prints_them() {
        for text in [
            "1e300",
            "1.5",
            "-0.0",
            "18446744073709551615",
            "-9223372036854775808",
        ] {
            let ours = from_slice(text.as_bytes()).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            let Value::Number(n) = ours else { panic!() };
            assert_eq!(n.to_string(), theirs.to_string(), "{text}");
        }
    }
}
