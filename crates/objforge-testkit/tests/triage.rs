//! Groups the crashers a fuzz run left (`TRIAGE_DIR=fuzz/artifacts/builder`, `TRIAGE=json` for
//! the JSON target) by panic message, keeping the smallest input of each group. Ignored unless
//! asked for: `cargo test -p objforge-testkit --test triage -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::panic;

#[test]
#[ignore]
fn triage() {
    let Ok(dir) = std::env::var("TRIAGE_DIR") else {
        return;
    };
    let json = std::env::var("TRIAGE").is_ok_and(|t| t == "json");
    panic::set_hook(Box::new(|_| {}));
    let mut groups: BTreeMap<String, (usize, String, usize)> = BTreeMap::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("read TRIAGE_DIR")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let result = panic::catch_unwind(|| {
            if json {
                objforge_testkit::front_end::run(&bytes);
            } else {
                objforge_testkit::fuzz_model::run(&bytes);
            }
        });
        let Err(payload) = result else { continue };
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let key: String = message
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .take(140)
            .collect();
        let e = groups
            .entry(key)
            .or_insert((0, path.display().to_string(), usize::MAX));
        e.0 += 1;
        if bytes.len() < e.2 {
            e.1 = path.display().to_string();
            e.2 = bytes.len();
        }
    }
    let _ = panic::take_hook();
    for (key, (n, path, len)) in &groups {
        println!("{n:5} {key}\n      smallest: {path} ({len} bytes)");
    }
}

/// Runs one input (`REPRO=path`, `TRIAGE=json` for the JSON target) with the panic shown.
#[test]
#[ignore]
fn repro() {
    let Ok(path) = std::env::var("REPRO") else {
        return;
    };
    let bytes = std::fs::read(path).expect("read REPRO");
    if std::env::var("TRIAGE").is_ok_and(|t| t == "json") {
        println!("{}", String::from_utf8_lossy(&bytes));
        objforge_testkit::front_end::run(&bytes);
    } else {
        match objforge_testkit::fuzz_model::build(&bytes) {
            objforge_testkit::fuzz_model::Built::Valid(obj, case) => {
                println!("{}: {obj:#?}", case.label())
            }
            objforge_testkit::fuzz_model::Built::Any(obj) => println!("{obj:#?}"),
        }
        objforge_testkit::fuzz_model::run(&bytes);
    }
}
