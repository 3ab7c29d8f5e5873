//! The library's one error type, and the places it points at.

use std::fmt;

/// Where in the model something is wrong, spelled like a path into a JSON spec:
/// `sections[2].align`, `relocations[7].offset`, `symbols[3]`.
///
/// Indices are the ids the builder handed out, which are the positions in the spec's arrays
/// when the model came from JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// The target triple or format.
    Target,
    /// An option (`options.NAME`).
    Option(&'static str),
    /// A section, optionally one of its fields.
    Section(usize, Option<&'static str>),
    /// A symbol, optionally one of its fields.
    Symbol(usize, Option<&'static str>),
    /// A relocation, optionally one of its fields.
    Relocation(usize, Option<&'static str>),
    /// Part of the debug information, by its path under `debug` (`lines[3].file`,
    /// `functions[1].blocks[0].size`); empty for the debug information as a whole.
    Debug(String),
    /// Part of the WebAssembly module description, by its path under `wasm` (`imports[2].type`,
    /// `functions[0].section`); empty for the description as a whole.
    Wasm(String),
    /// One function's unwind description, `unwind[i]`, optionally a path under it
    /// (`cfi[3].reg`, `offset`); empty for the entry as a whole.
    Unwind(usize, String),
    /// The object as a whole (counts, sizes).
    Object,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (array, index, field) = match self {
            Place::Target => return f.write_str("target"),
            Place::Option(name) => return write!(f, "options.{name}"),
            Place::Object => return f.write_str("object"),
            Place::Debug(path) if path.is_empty() => return f.write_str("debug"),
            Place::Debug(path) => return write!(f, "debug.{path}"),
            Place::Wasm(path) if path.is_empty() => return f.write_str("wasm"),
            Place::Wasm(path) => return write!(f, "wasm.{path}"),
            Place::Unwind(i, path) if path.is_empty() => return write!(f, "unwind[{i}]"),
            Place::Unwind(i, path) => return write!(f, "unwind[{i}].{path}"),
            Place::Section(i, field) => ("sections", i, field),
            Place::Symbol(i, field) => ("symbols", i, field),
            Place::Relocation(i, field) => ("relocations", i, field),
        };
        write!(f, "{array}[{index}]")?;
        if let Some(field) = field {
            write!(f, ".{field}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong while building or writing an object.
///
/// `Display` gives one line, `PLACE: what is wrong`, that a user can act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The model is inconsistent: a dangling reference, an offset out of range, a bad alignment.
    Invalid {
        /// Where.
        place: Place,
        /// What is wrong, in words.
        message: String,
    },
    /// The model is fine, but the target format or architecture cannot express part of it.
    Unsupported {
        /// Where.
        place: Place,
        /// What cannot be expressed, in words.
        message: String,
    },
    /// Writing to the output failed.
    Io(std::io::Error),
}

impl Error {
    pub(crate) fn invalid(place: Place, message: impl Into<String>) -> Error {
        Error::Invalid {
            place,
            message: message.into(),
        }
    }

    pub(crate) fn unsupported(place: Place, message: impl Into<String>) -> Error {
        Error::Unsupported {
            place,
            message: message.into(),
        }
    }

    /// The place the error points at, if it points at one.
    pub fn place(&self) -> Option<&Place> {
        match self {
            Error::Invalid { place, .. } | Error::Unsupported { place, .. } => Some(place),
            Error::Io(_) => None,
        }
    }
}

/// The most characters of one value an error line quotes.
pub const QUOTED_VALUE_CHARS: usize = 80;

/// `text` with every run of more than [`QUOTED_VALUE_CHARS`] characters without a space cut
/// to that many, followed by `...` and the run's length: an error that quotes a
/// 10,000-character name stays one readable line.
///
/// ```
/// let message = format!("unknown section `{}`", "n".repeat(10_000));
/// let line = objforge::clip_values(&message);
/// assert!(line.ends_with("nnn... (10002 characters)"));
/// assert_eq!(line.len(), "unknown section ".len() + 80 + "... (10002 characters)".len());
/// ```
pub fn clip_values(text: &str) -> std::borrow::Cow<'_, str> {
    let long = |word: &str| word.chars().nth(QUOTED_VALUE_CHARS).is_some();
    if !text.split(' ').any(long) {
        return std::borrow::Cow::Borrowed(text);
    }
    let words: Vec<String> = text
        .split(' ')
        .map(|word| {
            if long(word) {
                let head: String = word.chars().take(QUOTED_VALUE_CHARS).collect();
                format!("{head}... ({} characters)", word.chars().count())
            } else {
                word.to_string()
            }
        })
        .collect();
    std::borrow::Cow::Owned(words.join(" "))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { place, message } | Error::Unsupported { place, message } => {
                write!(f, "{place}: {}", clip_values(message))
            }
            Error::Io(e) => write!(f, "writing the object: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e)
    }
}
