//! `objforge dump` on objforge's own output: for every spec under `tests/fixtures/` and
//! `examples/` (between them every (format, architecture) the writers support), the object
//! built from it is dumped, and
//!
//! - the dumped spec equals the original after the normalisation docs/dump.md describes
//!   (`dump_support::canonical`, applied to both);
//! - the dump is a fixed point: the object built from the dumped spec dumps to the very same
//!   spec, byte for byte (and, where the model's order does not matter to the writer, the
//!   rebuilt object is the original byte for byte; symbol order decides string table layout,
//!   so that is not asserted).
//!
//! The specs are read with the command line's own spec reader (its source, compiled in here),
//! so the models compared are exactly what `objforge build` would build.

mod common;
mod dump_support;

use std::path::{Path, PathBuf};

use objforge::{Architecture, Format, Object};

/// The model a spec file describes, as `objforge build` reads it.
fn load(path: &Path) -> Object {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value =
        serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.display().to_string();
    let base = path.parent().unwrap_or(Path::new("."));
    objforge_spec::load(&doc, &name, base).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every spec under `dir` (recursively), sorted.
fn specs_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            specs_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Builds each model, dumps every object (in one go), builds every dump and dumps that
/// again, and checks each dump against its model and its second dump.
fn round_trip(dir: &Path, cases: &[(String, Object)]) -> Vec<String> {
    let dump = |from: &Path, to: &Path| {
        let mut cmd = common::objforge();
        cmd.arg("dump").arg(from).arg("-o").arg(to);
        cmd
    };
    let mut commands = Vec::new();
    for (i, (_, model)) in cases.iter().enumerate() {
        let bytes = model.write().expect("the model writes");
        let obj = dir.join(format!("{i:03}.o"));
        std::fs::write(&obj, &bytes).expect("write the object");
        commands.push(dump(&obj, &dir.join(format!("{i:03}.json"))));
    }
    dump_support::run_all(commands);
    let mut failures = Vec::new();
    let mut again = Vec::new();
    let mut dumped = Vec::new();
    for (i, (label, model)) in cases.iter().enumerate() {
        let spec = dir.join(format!("{i:03}.json"));
        let model_b = load(&spec);
        match model_b.write() {
            Ok(bytes) => {
                let obj = dir.join(format!("{i:03}.re.o"));
                std::fs::write(&obj, &bytes).expect("write the object");
                again.push(dump(&obj, &dir.join(format!("{i:03}.re.json"))));
            }
            Err(e) => failures.push(format!("{label}: the dumped spec does not build: {e}")),
        }
        let differences = dump_support::differences(
            &dump_support::canonical(model),
            &dump_support::canonical(&model_b),
        );
        if !differences.is_empty() {
            failures.push(format!(
                "{label} ({i:03}.json):\n  {}",
                differences.join("\n  ")
            ));
        }
        dumped.push(spec);
    }
    dump_support::run_all(again);
    for (i, spec) in dumped.iter().enumerate() {
        let second = spec.with_extension("re.json");
        let label = cases.get(i).map_or("?", |c| c.0.as_str());
        match (std::fs::read(spec), std::fs::read(&second)) {
            (Ok(a), Ok(b)) if a == b => {}
            (Ok(_), Ok(_)) => failures.push(format!(
                "{label}: dumping the rebuilt object ({i:03}.re.json) gives another spec than {i:03}.json"
            )),
            _ => failures.push(format!("{label}: {i:03}.re.json was not made")),
        }
    }
    failures
}

#[test]
fn every_fixture_and_example_round_trips() {
    let dir = common::scratch("dump_roundtrip_fixtures");
    let mut paths = Vec::new();
    specs_under(&common::fixture(""), &mut paths);
    specs_under(&common::example(""), &mut paths);
    paths.sort();
    let mut cases = Vec::new();
    let mut formats = std::collections::BTreeSet::new();
    for path in paths {
        // The dump test's own fixtures are C programs, not specs; Wasm cannot be dumped yet.
        let shown = path.display().to_string();
        if shown.contains("/fixtures/dump/") {
            continue;
        }
        let model = load(&path);
        if model.target.format == Format::Wasm {
            continue;
        }
        formats.insert(format!("{} {}", model.target.format, model.target.arch));
        cases.push((shown, model));
    }
    // Every (format, architecture) objforge writes, apart from Wasm, is in the corpus.
    for want in [
        "elf x86_64",
        "elf i386",
        "elf aarch64",
        "elf riscv64",
        "macho x86_64",
        "macho aarch64",
        "coff x86_64",
        "coff i386",
        "coff aarch64",
    ] {
        assert!(formats.contains(want), "no spec for {want}: {formats:?}");
    }
    let failures = round_trip(&dir, &cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// How many random models per (format, architecture); `OBJFORGE_DUMP_CASES` overrides.
fn random_cases() -> usize {
    std::env::var("OBJFORGE_DUMP_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40)
}

#[test]
fn random_valid_models_round_trip() {
    use objforge_testkit::source::{Source, SplitMix64};
    let dir = common::scratch("dump_roundtrip_random");
    let mut rng = SplitMix64::new(0x0d0e_0f10);
    let mut cases = Vec::new();
    // The formats dump reads (not `testkit::writable()`, which includes Wasm).
    let mut targets = Vec::new();
    for format in [Format::Elf, Format::MachO, Format::Coff] {
        let profile = objforge_testkit::targets::profile(format).expect("a testkit profile");
        for arch in [
            Architecture::X86_64,
            Architecture::I386,
            Architecture::Aarch64,
            Architecture::Riscv64,
        ] {
            if Object::new(objforge::Target::new(arch, format))
                .write()
                .is_ok()
            {
                targets.push(objforge_testkit::Case { arch, profile });
            }
        }
    }
    assert_eq!(
        targets.len(),
        9,
        "the (format, architecture) pairs objforge writes"
    );
    for case in targets {
        for i in 0..random_cases() {
            let bytes = rng.bytes(768);
            let model =
                objforge_testkit::valid::model(&case, &format!("r{i}_"), &mut Source::new(&bytes));
            if model.write().is_ok() {
                cases.push((format!("{} #{i}", case.label()), model));
            }
        }
    }
    assert!(
        cases.len() >= 9 * random_cases() / 2,
        "too few models write: {}",
        cases.len()
    );
    let failures = round_trip(&dir, &cases);
    assert!(
        failures.is_empty(),
        "{} of {} models:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
