//! The JSON front end's fuzz target: any bytes through `objforge build`'s own parsing
//! (`serde_json`, then the spec reader), and, when a model comes out, through `write`.
//!
//! What must hold: nothing panics; every error names a place (a JSON path); bytes that come
//! back parse with the `object` crate's reader.

use std::path::Path;

use objforge_spec::value::{from_slice, Value};

use objforge_spec::spec as cli_spec;
use objforge_spec::Node;

/// Section sizes past this are skipped (a spec may rightly ask for gigabytes of zeros; the
/// fuzzer's memory is not what is under test).
const BIG: u64 = 1 << 24;

/// Whether the document reads files (`file` contents: I/O, not parsing) or asks for more
/// zero bytes than [`BIG`].
fn out_of_scope(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, v)| {
            key == "file"
                || (key == "size"
                    && match v {
                        Value::Number(n) => n.as_u64().is_none_or(|n| n > BIG),
                        Value::String(s) => s.len() > 7,
                        _ => false,
                    })
                || out_of_scope(v)
        }),
        Value::Array(items) => items.iter().any(out_of_scope),
        _ => false,
    }
}

/// The outcome of one input, for the tests that want to count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not JSON.
    Malformed,
    /// Skipped: reads files or asks for huge sections.
    Skipped,
    /// The spec reader or the library refused it, naming a place.
    Refused,
    /// An object was written.
    Written,
}

/// One fuzz case.
pub fn run(bytes: &[u8]) -> Outcome {
    let doc: Value = match from_slice(bytes) {
        Ok(doc) => doc,
        Err(_) => return Outcome::Malformed,
    };
    if out_of_scope(&doc) {
        return Outcome::Skipped;
    }
    let obj = match cli_spec::load(
        Node::root(&doc, "fuzz.json"),
        Path::new("/nonexistent/objforge-fuzz"),
    ) {
        Ok(obj) => obj,
        Err(e) => {
            assert!(!e.path.is_empty(), "a spec error without a place: {e}");
            return Outcome::Refused;
        }
    };
    let written = obj.write();
    // The consuming write writes the same bytes, or fails the same way.
    let consumed = obj.into_bytes();
    match written {
        Ok(out) => {
            if let Err(e) = object::File::parse(&*out) {
                panic!("objforge wrote an object the object crate cannot read: {e}");
            }
            assert!(consumed.ok() == Some(out), "into_bytes differs from write");
            Outcome::Written
        }
        Err(e) => {
            assert!(e.place().is_some(), "an error without a place: {e}");
            let consumed = consumed.err().map(|e| e.to_string());
            assert_eq!(
                consumed,
                Some(e.to_string()),
                "into_bytes fails differently"
            );
            Outcome::Refused
        }
    }
}

/// Builds the object a spec describes, as `objforge build` does (but for `file` contents,
/// which are looked up under a directory that does not exist): the bytes, or the one-line
/// error `PLACE: message`.
pub fn build(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let doc: Value = from_slice(bytes).map_err(|e| format!("fuzz.json: {e}"))?;
    let obj = cli_spec::load(
        Node::root(&doc, "fuzz.json"),
        Path::new("/nonexistent/objforge-fuzz"),
    )
    .map_err(|e| e.to_string())?;
    obj.write().map_err(|e| e.to_string())
}
