//! A model as an objspec (`docs/spec.md`), so that the command-line tests can feed
//! `objforge build` exactly what the library tests write: the document `objforge dump`
//! would print for it (`objforge_spec::emit`), as a value the tests can break.

use objforge::Object;
use serde_json::Value;

/// The spec of `obj`.
pub fn to_json(obj: &Object) -> Value {
    let text = objforge_spec::emit(obj, &objforge_spec::EmitOptions::default()).spec;
    // emit writes JSON; a failure here is a bug in it, which the tests should show.
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("emit wrote JSON serde cannot read: {e}"))
}
