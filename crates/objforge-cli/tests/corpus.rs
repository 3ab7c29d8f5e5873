//! The real-world corpus, its fast subset: `scripts/corpus --subset ci` with the `objforge`
//! cargo built for this run. Lua 5.4 and SQLite 3 (from the `lua-src` and `libsqlite3-sys`
//! crates, which the script fetches with cargo), our C programs (`tests/fixtures/dump/c`) and
//! our C++ program (`tests/fixtures/corpus/cxx`), compiled by gcc-12 and clang-19 for ELF
//! x86_64, i386, aarch64, riscv64, ppc64le, s390x, COFF x86_64 and i386, and Mach-O arm64 and x86_64: every
//! object dumps, builds and dumps again to the same spec, and the programs linked from the
//! originals and from the rebuilt objects run the same (natively, under qemu-user, under
//! wine), with `addr2line` the same on every address of the line table where there is `-g`.
//! The subset and the full run (`scripts/corpus`) are described in `docs/dump.md`.
//!
//! A missing tool fails the script (exit 2) and so this test; a failure that is no documented
//! limitation fails it (exit 1). Nothing is skipped.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn corpus_subset_round_trips_and_runs_the_same() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Kept between runs: the compiled objects are reused when the command line is the same.
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    std::fs::create_dir_all(&work).expect("create the corpus work directory");
    let out = common::run(
        Command::new("python3")
            .arg(repo.join("scripts/corpus"))
            .args(["--subset", "ci", "--jobs", "2"])
            .arg("--objforge")
            .arg(env!("CARGO_BIN_EXE_objforge"))
            .arg("--work")
            .arg(&work),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "scripts/corpus --subset ci failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("TOTAL: objects"),
        "scripts/corpus printed no total:\n{stdout}\n{stderr}"
    );
}
