//! The library's layering, as docs/architecture.md draws it, kept by reading the sources'
//! paths: a format writer (elf/, macho/, coff/, wasm/) uses the shared parts below it and
//! never the dispatcher (write.rs) nor another format; the model and every other shared part
//! name no format. Only lib.rs (the public `supports`) and write.rs (the dispatcher) pick a
//! format.

use std::fs;
use std::path::{Path, PathBuf};

const FORMATS: &[&str] = &["elf", "macho", "coff", "wasm"];

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The modules of `crate::` that a line of code (not a comment) names: `crate::a::b`,
/// `crate::{a, b::c}`.
fn crate_modules(line: &str) -> Vec<String> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = item.trim().split("::").next().unwrap_or("");
                names.push(name.trim().to_string());
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            names.push(rest[..end].to_string());
        }
    }
    names
}

/// The top-level module a source file belongs to (`elf` for `src/elf/reloc.rs`, `model` for
/// `src/model/wasm.rs`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("a file under src/");
    let first = rel.components().next().expect("a path");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

#[test]
fn writers_and_the_model_use_only_what_is_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "write" {
            continue;
        }
        let text = fs::read_to_string(file).expect("a readable source file");
        for (n, line) in text.lines().enumerate() {
            for used in crate_modules(line) {
                let is_format = FORMATS.contains(&used.as_str());
                let bad = if FORMATS.contains(&module.as_str()) {
                    // A writer: neither the dispatcher nor another format.
                    used == "write" || (is_format && used != module)
                } else {
                    // The model and the shared parts: no format. (`Object::write` hands the
                    // model to the dispatcher: the one call into write.rs.)
                    is_format || (used == "write" && module != "model")
                };
                if bad {
                    wrong.push(format!(
                        "{}:{}: {module} uses crate::{used}",
                        file.strip_prefix(&src).unwrap_or(file).display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "uses against the layering (docs/architecture.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_path_reader_sees_both_forms() {
    assert_eq!(
        crate_modules("use crate::emit::{Checked, Report};"),
        ["emit"]
    );
    assert_eq!(crate_modules("use crate::{elf, out::Out};"), ["elf", "out"]);
    assert_eq!(
        crate_modules("go(&crate::wasm::Layout::new(obj)?)"),
        ["wasm"]
    );
    assert!(crate_modules("/// see [`crate::wasm`]").is_empty());
}
