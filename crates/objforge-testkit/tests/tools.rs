//! The batch test: random valid objects for every writable (format, architecture), written to
//! disk and checked by the real tools, many per invocation — `llvm-readobj-19 --all` without
//! a warning, `eu-elflint --gnu-ld --strict` clean (ELF) and `wasm-validate` clean (Wasm) for
//! `OBJFORGE_PROPTEST_CASES` (default 1000) objects per pair, and the platform's linkers
//! accepting the first `OBJFORGE_TOOL_CASES` (default 120) of them.

use std::path::PathBuf;

use objforge::Format;
use objforge_testkit::source::{seed, Source, SplitMix64};
use objforge_testkit::{tools, valid, writable};

#[test]
fn real_tools_accept_random_valid_objects() {
    let per_case: usize = std::env::var("OBJFORGE_TOOL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("robust-tools-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut rng = SplitMix64::new(seed());
    let readers = objforge_testkit::source::cases(1000) as usize;
    let mut findings = Vec::new();
    for case in writable() {
        // Objects that will be linked together must agree on what the linker compares (the
        // RISC-V float ABI): one batch key per value.
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        // The objects GNU ld cannot know (see `tools::gnu_ld_knows`), which only lld links.
        let mut lld_only: Vec<PathBuf> = Vec::new();
        for i in 0..per_case.max(readers) {
            let bytes = rng.bytes(768);
            let obj = valid::model(&case, &format!("o{i}_"), &mut Source::new(&bytes));
            let written = obj
                .write()
                .unwrap_or_else(|e| panic!("{}: a valid model was refused: {e}", case.label()));
            let path = dir.join(format!("{}-{i}.o", case.label()));
            std::fs::write(&path, written).expect("write object");
            // The model beside it, as a spec `objforge build` takes, to reproduce a finding.
            let spec = serde_json::to_vec_pretty(&objforge_testkit::spec::to_json(&obj))
                .unwrap_or_default();
            std::fs::write(path.with_extension("json"), spec).expect("write spec");
            if !tools::gnu_ld_knows(&obj) {
                lld_only.push(path.clone());
            }
            files.push((tools::link_key(&obj), path));
        }
        let all: Vec<PathBuf> = files.iter().take(readers).map(|(_, p)| p.clone()).collect();
        findings.extend(tools::readobj(&all));
        if case.format() == Format::Elf {
            findings.extend(tools::elflint(&all));
        }
        if case.format() == Format::Wasm {
            findings.extend(tools::wasm_validate(case.arch, &all));
        }
        files.truncate(per_case);
        let mut keys: Vec<&String> = files.iter().map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let group: Vec<PathBuf> = files
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, p)| p.clone())
                .collect();
            findings.extend(tools::link(case.format(), case.arch, &group, &dir));
            let group: Vec<PathBuf> = group
                .into_iter()
                .filter(|p| !lld_only.contains(p))
                .collect();
            findings.extend(tools::link_gnu(case.format(), case.arch, &group, &dir));
        }
    }
    if findings.is_empty() {
        // Kept only when something is to be looked at.
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        let shown: Vec<String> = findings
            .iter()
            .take(12)
            .map(|f| format!("{} ({}):\n{}", f.file.display(), f.tool, f.message.trim()))
            .collect();
        panic!(
            "{} findings (OBJFORGE_SEED reproduces the run):\n{}",
            findings.len(),
            shown.join("\n\n")
        );
    }
}
