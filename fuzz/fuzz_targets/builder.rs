//! The library builder driven by arbitrary bytes: `objforge_testkit::fuzz_model::run`, which
//! the seeded test `fuzz_seeded.rs` also runs over a few thousand inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    objforge_testkit::fuzz_model::run(data);
});
