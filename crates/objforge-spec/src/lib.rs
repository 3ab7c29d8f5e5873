//! The JSON face of objforge: objspec documents (the JSON `objforge build` reads, described in
//! `docs/spec.md`) to [`objforge::Object`]s, and models back to objspec JSON (what
//! `objforge dump` prints). The command, the test kit and the fuzzers all go through here, so
//! each JSON spelling of a model value has one home.
//!
//! - [`load`] reads a parsed document into a model. Every error names its place in the JSON
//!   (`relocations[7].offset: ...`); the library's own checks, which name the same places, run
//!   when the model is written.
//! - [`emit()`] writes a model as a document, each field left out where it holds the default.
//!
//! ```
//! let doc: serde_json::Value = serde_json::from_str(r#"{
//!   "target": "x86_64-unknown-linux-gnu",
//!   "sections": [{"name": ".text", "kind": "text", "hex": "c3"}],
//!   "symbols": [{"name": "f", "section": ".text", "kind": "func", "binding": "global"}]
//! }"#).unwrap();
//! let obj = objforge_spec::load(&doc, "f.json", std::path::Path::new(".")).unwrap();
//! assert_eq!(obj.symbols[0].name, "f");
//! let back = objforge_spec::emit(&obj, &objforge_spec::EmitOptions::default());
//! assert!(back.spec.contains("\"f\""));
//! ```

#![warn(missing_docs)]

pub mod decode;
pub mod emit;
pub mod json;
pub mod spec;
pub mod value;

use std::path::Path;

use objforge::Object;

pub use emit::{emit, EmitOptions, Emitted};
pub use json::{Node, SpecError};
pub use spec::{default_section_kind, library_error};

/// Reads the parsed objspec `doc` into a model. `name` is how errors name the document (its
/// file name); `base_dir` is where sections' `file` contents are looked up (the spec's
/// directory).
pub fn load(doc: &serde_json::Value, name: &str, base_dir: &Path) -> Result<Object, SpecError> {
    spec::load(Node::root(&value::Value::from_serde(doc), name), base_dir)
}

impl Default for EmitOptions {
    /// Compact, every section inline.
    fn default() -> EmitOptions {
        EmitOptions {
            pretty: false,
            side_files: None,
            max_inline: u64::MAX,
        }
    }
}
