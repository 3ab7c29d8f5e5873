//! Writes the test kit's corpus of objects into a directory, one file each, for
//! `scripts/output-hashes` to hash: a refactoring of the writers must leave every byte (and
//! every error message) as it was.
//!
//! The corpus: for every writable (format, architecture), `N` random valid models
//! ([`valid::model`]); and `N` × 8 inputs to the fuzz builder ([`fuzz_model::build`]: raw
//! models, with debug information, and broken valid ones, whose error messages are kept).
//! The inputs come from a fixed pseudo-random stream, so each run writes the same corpus.
//!
//! Run: `cargo run --release -p objforge-testkit --example output_corpus -- DIR [N]`.

use std::path::Path;

use objforge::Object;
use objforge_testkit::fuzz_model::{self, Built};
use objforge_testkit::source::Source;
use objforge_testkit::{valid, writable};

/// A fixed stream of bytes (xorshift64*), `len` of them from `seed`.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Writes `obj` to `dir/name.o`, or its error to `dir/name.err`; the streamed bytes must be
/// the same as the buffered ones.
fn put(dir: &Path, name: &str, obj: &Object) -> Result<(), String> {
    match obj.write() {
        Ok(written) => {
            let mut streamed = Vec::new();
            obj.write_to(&mut streamed)
                .map_err(|e| format!("{name}: write_to failed where write did not: {e}"))?;
            if streamed != written {
                return Err(format!("{name}: write_to differs from write"));
            }
            std::fs::write(dir.join(format!("{name}.o")), written)
        }
        Err(e) => std::fs::write(dir.join(format!("{name}.err")), e.to_string()),
    }
    .map_err(|e| format!("{name}: {e}"))
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: output_corpus DIR [N]")?;
    let n: u64 = match args.next() {
        Some(n) => n.parse().map_err(|_| format!("not a count: {n}"))?,
        None => 100,
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for case in writable() {
        for i in 0..n {
            let input = bytes(i + 1, 1024);
            let obj = valid::model(&case, "t_", &mut Source::new(&input));
            put(dir, &format!("valid-{}-{i:04}", case.label()), &obj)?;
        }
    }
    for i in 0..8 * n {
        let input = bytes(1_000_000 + i, 2048);
        let obj = match fuzz_model::build(&input) {
            Built::Valid(obj, _) | Built::Any(obj) => obj,
        };
        put(dir, &format!("fuzz-{i:05}"), &obj)?;
    }
    Ok(())
}
