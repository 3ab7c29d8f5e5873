//! The command line over random inputs, in a batch: invalid specs (a valid model broken in
//! one way, or a document broken at the JSON level) make `objforge build` exit 1 with one
//! line naming the place and leave no output file; specs of valid models build exactly the
//! bytes the library writes. `OBJFORGE_CLI_CASES` (default 120) invalid specs per (format,
//! architecture); the in-process property tests run many more through the same front end.

mod common;

use objforge_testkit::invalid::{break_json, break_model};
use objforge_testkit::source::{seed, Source, SplitMix64};
use objforge_testkit::{spec, valid, writable};

#[test]
fn invalid_specs_fail_cleanly_and_valid_ones_build() {
    let per_case: usize = std::env::var("OBJFORGE_CLI_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let dir = common::scratch("robust_cli");
    let mut rng = SplitMix64::new(seed() ^ 0xc11);
    let mut problems = Vec::new();
    for case in writable() {
        for i in 0..per_case {
            let bytes = rng.bytes(512);
            let mut src = Source::new(&bytes);
            let mut obj = valid::model(&case, "c_", &mut src);
            let name = format!("{}-{i}", case.label());
            let spec_path = dir.join(format!("{name}.json"));
            let out = dir.join(format!("{name}.o"));
            // One in four stays valid and must build what the library writes.
            if i % 4 == 0 {
                let expected = obj.write().expect("a valid model writes");
                let json = serde_json::to_vec(&spec::to_json(&obj)).expect("spec");
                std::fs::write(&spec_path, json).expect("write spec");
                let run = common::run(
                    common::objforge()
                        .arg("build")
                        .arg(&spec_path)
                        .arg("-o")
                        .arg(&out),
                );
                if !run.status.success() || std::fs::read(&out).ok() != Some(expected) {
                    problems.push(format!(
                        "{name}: a valid spec did not build the library's bytes: {}",
                        String::from_utf8_lossy(&run.stderr)
                    ));
                }
                continue;
            }
            let (json, place) = if i % 2 == 0 {
                let broken = (0..64).find_map(|_| break_model(&mut obj, &case, &mut src));
                let Some(broken) = broken else { continue };
                (
                    serde_json::to_vec(&spec::to_json(&obj)).expect("spec"),
                    Some(broken.place),
                )
            } else {
                break_json(&spec::to_json(&obj), &mut src)
            };
            std::fs::write(&spec_path, &json).expect("write spec");
            let run = common::run(
                common::objforge()
                    .arg("build")
                    .arg(&spec_path)
                    .arg("-o")
                    .arg(&out),
            );
            let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
            let line = stderr.trim_end();
            let named = match &place {
                // Malformed JSON names the file, line and column.
                Some(p) if p == "fuzz.json" => {
                    line.starts_with(&format!("objforge: {}", spec_path.display()))
                }
                Some(p) => {
                    line.starts_with(&format!("objforge: {p}:"))
                        || line.starts_with(&format!("objforge: {p}."))
                        || line.starts_with(&format!("objforge: {p}["))
                }
                None => line.starts_with("objforge: "),
            };
            if run.status.code() != Some(1) || out.exists() || !named || line.lines().count() != 1 {
                problems.push(format!(
                    "{name}: exit {:?}, output left: {}, expected one line at {place:?}, got: {line}",
                    run.status.code(),
                    out.exists()
                ));
            }
            // Nothing else is left behind either (the temporary file is removed).
            let leftovers: Vec<_> = std::fs::read_dir(&dir)
                .expect("scratch")
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().contains(".objforge-"))
                .collect();
            if !leftovers.is_empty() {
                problems.push(format!("{name}: temporary files left: {leftovers:?}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
