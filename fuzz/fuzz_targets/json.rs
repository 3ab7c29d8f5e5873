//! The JSON front end of `objforge build`: `objforge_testkit::front_end::run`, which the
//! seeded test `fuzz_seeded.rs` also runs over a few thousand inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    objforge_testkit::front_end::run(data);
});
