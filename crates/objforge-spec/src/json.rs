//! Typed access to a parsed JSON document that remembers where each value sits, so every error
//! can name its place (`sections[2].align: expected a power of two, got 3`).
//!
//! A [`Node`] is a value plus its [`Path`]; [`Node::object`] checks an object's keys against the
//! fields the caller knows (catching typos) and hands back [`Fields`] to read them. Paths are
//! linked lists borrowed from the parent node and only rendered to text when an error is made,
//! so walking a large spec allocates nothing per field.

use std::fmt;

use crate::value::{Object, Value};

/// A problem with the spec at one place in it; `Display` gives `PATH: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// Where: a JSON path such as `relocations[4].symbol`.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Where a value sits in the document: `sections[2].align`.
#[derive(Clone, Copy, Debug)]
pub enum Path<'p> {
    /// The document itself, shown as the given name (the spec's file name).
    Root(&'p str),
    /// A key of an object.
    Key(&'p Path<'p>, &'p str),
    /// An element of an array.
    Index(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Path::Root(name) => f.write_str(name),
            Path::Key(parent, key) => {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
                match (parent, plain) {
                    (Path::Root(_), true) => f.write_str(key),
                    (_, true) => write!(f, "{parent}.{key}"),
                    // Keys that would be ambiguous in dotted form are quoted as JSON strings.
                    (Path::Root(_), false) => write!(f, "[{}]", quote(key)),
                    (_, false) => write!(f, "{parent}[{}]", quote(key)),
                }
            }
            Path::Index(parent, i) => match parent {
                Path::Root(_) => write!(f, "[{i}]"),
                _ => write!(f, "{parent}[{i}]"),
            },
        }
    }
}

/// `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// A short description of a value for "expected X, got Y" messages.
pub fn describe(value: &Value) -> String {
    const LONGEST: usize = 40;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > LONGEST => {
            let head: String = s.chars().take(LONGEST).collect();
            format!("the string {}...", quote(&head))
        }
        Value::String(s) => format!("the string {}", quote(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
/// Very short words get no suggestion (any one-letter name is "close" to another), nor do long
/// ones (the distance is quadratic in the length).
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    const SHORTEST: usize = 3;
    const LONGEST: usize = 64;
    let length = word.chars().count();
    if !(SHORTEST..=LONGEST).contains(&length) {
        return None;
    }
    let limit = (length / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| !c.is_empty() && c.chars().count().abs_diff(length) <= limit)
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Edit distance between two strings in characters, counting a swap of neighbours as one edit
/// (the "optimal string alignment" distance), so `algin` is one edit from `align`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let get =
        |d: &[usize], i: usize, j: usize| d.get(i * width + j).copied().unwrap_or(usize::MAX / 2);
    let set = |d: &mut [usize], i: usize, j: usize, v: usize| {
        if let Some(slot) = d.get_mut(i * width + j) {
            *slot = v;
        }
    };
    for i in 0..=a.len() {
        set(&mut d, i, 0, i);
    }
    for j in 0..=b.len() {
        set(&mut d, 0, j, j);
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a.get(i - 1) != b.get(j - 1));
            let mut best = (get(&d, i - 1, j) + 1)
                .min(get(&d, i, j - 1) + 1)
                .min(get(&d, i - 1, j - 1) + cost);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                best = best.min(get(&d, i - 2, j - 2) + 1);
            }
            set(&mut d, i, j, best);
        }
    }
    get(&d, a.len(), b.len())
}

/// A ", did you mean `x`?" suffix, or nothing.
pub fn suggestion<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    did_you_mean(word, candidates)
        .map(|c| format!("; did you mean {}?", quote(c)))
        .unwrap_or_default()
}

/// A JSON value and where it sits.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    value: &'a Value<'a>,
    path: Path<'a>,
}

/// The integer forms a string may take: decimal or `0x` hex, with a `-` where signed.
fn parse_integer_string(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u128::from_str_radix(hex, 16).ok()?
        }
        Some(_) => return None,
        None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse::<u128>().ok()?
        }
        None => return None,
    };
    let magnitude = i128::try_from(magnitude).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

impl<'a> Node<'a> {
    /// The whole document, shown in errors as `name`.
    pub fn root(value: &'a Value<'a>, name: &'a str) -> Node<'a> {
        Node {
            value,
            path: Path::Root(name),
        }
    }

    /// The raw value.
    pub fn value(&self) -> &'a Value<'a> {
        self.value
    }

    /// Where the value sits, as text.
    pub fn path(&self) -> String {
        self.path.to_string()
    }

    /// An error at this node.
    pub fn error(&self, message: impl Into<String>) -> SpecError {
        SpecError {
            path: self.path(),
            message: message.into(),
        }
    }

    /// An "expected X, got Y" error at this node.
    pub fn expected(&self, what: &str) -> SpecError {
        self.error(format!("expected {what}, got {}", describe(self.value)))
    }

    /// The value as a string.
    pub fn str(&self) -> Result<&'a str, SpecError> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    /// The value as a boolean.
    pub fn bool(&self) -> Result<bool, SpecError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.expected("true or false"))
    }

    /// The value as an integer of any sign: a JSON number, or a string of decimal or `0x` hex
    /// digits with an optional `-`. Floats are rejected.
    fn integer(&self) -> Result<i128, SpecError> {
        match self.value {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Ok(i128::from(u))
                } else if let Some(i) = n.as_i64() {
                    Ok(i128::from(i))
                } else {
                    let f = n.as_f64();
                    if f.is_finite() && f.fract() == 0.0 {
                        Err(self.error(format!("{n} is out of range")))
                    } else {
                        Err(self.expected("an integer"))
                    }
                }
            }
            Value::String(s) => parse_integer_string(s).ok_or_else(|| {
                self.expected("an integer (a number, or a string such as \"0x10\")")
            }),
            _ => Err(self.expected("an integer")),
        }
    }

    /// The value as an unsigned 64-bit integer.
    pub fn u64(&self) -> Result<u64, SpecError> {
        let n = self.integer()?;
        if n < 0 {
            return Err(self.error(format!("expected a non-negative integer, got {n}")));
        }
        u64::try_from(n).map_err(|_| self.error(format!("{n} does not fit in 64 bits")))
    }

    /// The value as a signed 64-bit integer.
    pub fn i64(&self) -> Result<i64, SpecError> {
        let n = self.integer()?;
        i64::try_from(n).map_err(|_| {
            self.error(format!(
                "{n} does not fit a signed 64-bit integer ({}..={})",
                i64::MIN,
                i64::MAX
            ))
        })
    }

    /// The value as an unsigned integer no larger than `max`.
    pub fn u64_at_most(&self, max: u64) -> Result<u64, SpecError> {
        let n = self.u64()?;
        if n > max {
            return Err(self.error(format!("{n} is too large (at most {max})")));
        }
        Ok(n)
    }

    /// The members of an object value, each with its `.key` path, in the document's order
    /// (for objects keyed by names the spec does not fix); empty for anything else.
    pub fn members(&self) -> Vec<(&'a str, Node<'_>)> {
        match self.value {
            Value::Object(map) => map
                .iter()
                .map(|(key, value)| {
                    (
                        key,
                        Node {
                            value,
                            path: Path::Key(&self.path, key),
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The value as an array; its elements carry `[i]` paths.
    pub fn array(&self) -> Result<Items<'_>, SpecError> {
        match self.value {
            Value::Array(items) => Ok(Items {
                items,
                parent: &self.path,
            }),
            _ => Err(self.expected("an array")),
        }
    }

    /// The value as an object whose keys must all be in `known`; `noun` names them in the error
    /// for an unknown key ("field", "option").
    pub fn object(
        &self,
        known: &'static [&'static str],
        noun: &str,
    ) -> Result<Fields<'_>, SpecError> {
        let Value::Object(map) = self.value else {
            return Err(self.expected("an object"));
        };
        for key in map.keys() {
            if !known.contains(&key) {
                let at = Node {
                    value: self.value,
                    path: Path::Key(&self.path, key),
                };
                return Err(at.error(format!(
                    "unknown {noun}{} (known {noun}s here: {})",
                    suggestion(key, known.iter().copied()),
                    known.join(", ")
                )));
            }
        }
        Ok(Fields {
            map,
            path: &self.path,
            node: *self,
        })
    }
}

/// The elements of an array, each with its path.
pub struct Items<'n> {
    items: &'n [Value<'n>],
    parent: &'n Path<'n>,
}

impl<'n> Items<'n> {
    /// How many elements there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Each element with its index path.
    pub fn iter(&self) -> impl Iterator<Item = Node<'n>> + '_ {
        let parent = self.parent;
        self.items.iter().enumerate().map(move |(i, value)| Node {
            value,
            path: Path::Index(parent, i),
        })
    }
}

/// An object's fields, already checked against the known names.
pub struct Fields<'n> {
    map: &'n Object<'n>,
    path: &'n Path<'n>,
    node: Node<'n>,
}

impl<'n> Fields<'n> {
    /// The object itself (for errors about it as a whole).
    pub fn node(&self) -> Node<'n> {
        self.node
    }

    /// The field `key`, if present.
    pub fn get(&self, key: &'static str) -> Option<Node<'n>> {
        self.map.get(key).map(|value| Node {
            value,
            path: Path::Key(self.path, key),
        })
    }

    /// The field `key`, which must be present.
    pub fn required(&self, key: &'static str) -> Result<Node<'n>, SpecError> {
        self.get(key)
            .ok_or_else(|| self.missing(key, "missing (this field is required)"))
    }

    /// An error about the absent field `key` (the path names the field).
    pub fn missing(&self, key: &'static str, message: impl Into<String>) -> SpecError {
        SpecError {
            path: Path::Key(self.path, key).to_string(),
            message: message.into(),
        }
    }

    /// Whether `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_the_contract() {
        let doc: Value =
            serde_json::from_str(r#"{"sections":[{"align":3,"a b":1}]}"#).expect("json");
        let root = Node::root(&doc, "spec.json");
        let top = root.object(&["sections"], "field").expect("object");
        let sections = top.required("sections").expect("sections");
        let items = sections.array().expect("array");
        let first = items.iter().next().expect("one section");
        let err = first
            .object(&["align"], "field")
            .err()
            .expect("unknown key");
        assert_eq!(err.path, "sections[0][\"a b\"]");
        let fields = first.object(&["align", "a b"], "field").expect("object");
        let align = fields.get("align").expect("align");
        assert_eq!(align.path(), "sections[0].align");
        assert_eq!(root.path(), "spec.json");
    }

    #[test]
    fn integers_accept_numbers_and_hex_strings() {
        let doc: Value =
            serde_json::from_str(r#"[16, "0x10", "-0x4", "16", -4, 1.5, "x", 1e30, "0x"]"#)
                .expect("json");
        let root = Node::root(&doc, "t");
        let items = root.array().expect("array");
        let v: Vec<Node> = items.iter().collect();
        assert_eq!(v[0].u64(), Ok(16));
        assert_eq!(v[1].u64(), Ok(16));
        assert_eq!(v[2].i64(), Ok(-4));
        assert_eq!(v[3].u64(), Ok(16));
        assert_eq!(v[4].i64(), Ok(-4));
        assert!(v[4].u64().is_err());
        assert!(v[5].u64().is_err());
        assert!(v[6].u64().is_err());
        assert!(v[7].i64().is_err());
        assert!(v[8].u64().is_err());
    }

    #[test]
    fn suggestions_find_close_names() {
        assert_eq!(
            did_you_mean("algin", ["name", "align", "kind"]),
            Some("align")
        );
        assert_eq!(did_you_mean("zzzzzz", ["name", "align"]), None);
        assert_eq!(did_you_mean("bss", [".bss", ".data"]), Some(".bss"));
        assert_eq!(did_you_mean("x", ["t"]), None);
    }
}
