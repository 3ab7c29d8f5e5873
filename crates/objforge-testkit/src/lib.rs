//! Test support for objforge, shared by the property tests, the seeded fuzz tests and the
//! cargo-fuzz targets in `fuzz/`:
//!
//! - [`targets`]: every (format, architecture) that objforge writes, and what each format
//!   allows; a new writer joins every test below by adding one line there;
//! - [`valid`]: random *valid* models (every section kind, symbol kind and binding, COMDATs
//!   where the format has them, every relocation kind the target expresses);
//! - [`invalid`]: random *invalid* models and specs, each with the place its error must name;
//! - [`check`]: reads a written object back with the `object` crate (Wasm: `wasmparser`, for
//!   the `linking` and `reloc.*` sections) and compares it with the model; [`tools`] runs the
//!   external checkers and linkers over many objects at once;
//! - [`fuzz_model`] and [`front_end`]: the two fuzz targets' bodies (the library builder
//!   driven by arbitrary bytes, and the JSON front end), which the seeded tests run too;
//! - [`spec`]: a model as objspec JSON, for the command-line tests.
//!
//! Every generator reads its choices from a [`source::Source`], so a fuzzer's bytes, a
//! proptest `Vec<u8>` and a seeded random stream all drive the same code.

pub mod check;
pub mod front_end;
pub mod fuzz_model;
pub mod invalid;
pub mod source;
pub mod spec;
pub mod targets;
pub mod tools;
pub mod valid;

pub use targets::{writable, Case, Profile, PROFILES};
