//! The fuzz targets as seeded tests: each runs over a few thousand inputs in the normal test
//! run (`OBJFORGE_FUZZ_CASES`, default 3000 each; `OBJFORGE_SEED` picks another stream), then
//! over every crasher kept in `fuzz/regressions/` (one file per input, as libFuzzer wrote it).

use std::path::Path;

use objforge_testkit::front_end;
use objforge_testkit::source::{seed, Source, SplitMix64};
use objforge_testkit::{fuzz_model, spec, valid, writable};
use serde_json::Value;

fn cases() -> usize {
    std::env::var("OBJFORGE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// The kept crashers of a target, as (name, bytes).
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden || path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&path) {
                out.push((path.display().to_string(), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn builder_target_seeded() {
    let mut rng = SplitMix64::new(seed());
    for _ in 0..cases() {
        let len = (rng.next_u64() % 1536) as usize;
        let bytes = rng.bytes(len);
        fuzz_model::run(&bytes);
    }
}

#[test]
fn builder_target_regressions() {
    for (name, bytes) in regressions("builder") {
        eprintln!("{name}");
        fuzz_model::run(&bytes);
    }
}

/// Spec documents to mutate: the repository's own, and specs of random valid models.
fn seeds(rng: &mut SplitMix64) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut docs = Vec::new();
    for dir in ["examples", "crates/objforge-cli/tests/fixtures"] {
        collect_json(&root.join(dir), &mut docs);
    }
    for case in writable() {
        for _ in 0..4 {
            let bytes = rng.bytes(512);
            let obj = valid::model(&case, "s_", &mut Source::new(&bytes));
            docs.push(serde_json::to_vec(&spec::to_json(&obj)).unwrap_or_default());
        }
    }
    docs
}

fn collect_json(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            if let Ok(bytes) = std::fs::read(&path) {
                out.push(bytes);
            }
        }
    }
}

/// Tokens of the spec's vocabulary, spliced in by the mutator (as libFuzzer's dictionary).
const TOKENS: &[&str] = &[
    "\"target\"",
    "\"sections\"",
    "\"symbols\"",
    "\"relocations\"",
    "\"kind\"",
    "\"offset\"",
    "\"addend\"",
    "\"align\"",
    "\"size\"",
    "\"section\"",
    "\"symbol\"",
    "\"minus\"",
    "\"pair\"",
    "\"native\"",
    "\"comdat\"",
    "\"common\"",
    "\"debug\"",
    "\"lines\"",
    "\"functions\"",
    "18446744073709551615",
    "-9223372036854775808",
    "4294967296",
    "0x",
    "-1",
    "null",
    "[]",
    "{}",
    "\"a64_call26\"",
    "\"rv_pcrel_lo12_i\"",
    "\"diff8\"",
    "\"secrel32\"",
    "\"x86_64-pc-windows-msvc\"",
    "\"arm64-apple-macos\"",
    "\"riscv64gc-unknown-linux-gnu\"",
    "\"s390x-linux-gnu\"",
    "\"s390_pc32dbl\"",
    "\"powerpc64le-unknown-linux-gnu\"",
    "\"ppc_rel24\"",
    "\"local_entry\"",
    "\"associative\"",
    "\"wasm\"",
];

/// Mutates a spec: mostly at the JSON level (a value replaced by an edge value or another
/// type, a key dropped or misspelt, an element repeated), sometimes byte by byte.
fn mutate(doc: &[u8], rng: &mut SplitMix64) -> Vec<u8> {
    if rng.next_u64().is_multiple_of(5) {
        let mut d = doc.to_vec();
        let at = if d.is_empty() {
            0
        } else {
            (rng.next_u64() % d.len() as u64) as usize
        };
        match rng.next_u64() % 3 {
            0 => {
                if let Some(b) = d.get_mut(at) {
                    *b ^= 1 << (rng.next_u64() % 8);
                }
            }
            1 => d.truncate(at),
            _ => {
                let token = TOKENS[(rng.next_u64() % TOKENS.len() as u64) as usize];
                d.splice(at..at, token.bytes());
            }
        }
        return d;
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(doc) else {
        return doc.to_vec();
    };
    for _ in 0..1 + rng.next_u64() % 3 {
        let count = count_nodes(&value);
        let target = (rng.next_u64() % count.max(1) as u64) as usize;
        let mut seen = 0;
        mutate_node(&mut value, target, &mut seen, rng);
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn edge_value(rng: &mut SplitMix64) -> Value {
    let token = TOKENS[(rng.next_u64() % TOKENS.len() as u64) as usize];
    match rng.next_u64() % 8 {
        0 => Value::from(u64::MAX),
        1 => Value::from(i64::MIN),
        2 => Value::from(rng.next_u64() % 70),
        3 => Value::from(-(1 + (rng.next_u64() % 8) as i64)),
        4 => Value::from(1.5),
        5 => Value::Null,
        6 => Value::from(format!("0x{:x}", rng.next_u64() >> (rng.next_u64() % 64))),
        _ => serde_json::from_str(token).unwrap_or(Value::from(token.trim_matches('"'))),
    }
}

/// Mutates the `target`-th node (in pre-order).
fn mutate_node(v: &mut Value, target: usize, seen: &mut usize, rng: &mut SplitMix64) -> bool {
    if *seen == target {
        match v {
            Value::Object(o) if !o.is_empty() && rng.next_u64().is_multiple_of(3) => {
                let i = (rng.next_u64() % o.len() as u64) as usize;
                if let Some(key) = o.keys().nth(i).cloned() {
                    if rng.next_u64().is_multiple_of(2) {
                        o.remove(&key);
                    } else if let Some(val) = o.remove(&key) {
                        o.insert(format!("{key}x"), val);
                    }
                }
            }
            Value::Array(a) if !a.is_empty() && rng.next_u64().is_multiple_of(3) => {
                let i = (rng.next_u64() % a.len() as u64) as usize;
                let copy = a[i].clone();
                a.push(copy);
            }
            _ => *v = edge_value(rng),
        }
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| mutate_node(x, target, seen, rng)),
        Value::Object(o) => o.values_mut().any(|x| mutate_node(x, target, seen, rng)),
        _ => false,
    }
}

#[test]
fn json_target_seeded() {
    let mut rng = SplitMix64::new(seed() ^ 0x5eed);
    let docs = seeds(&mut rng);
    let mut outcomes = [0usize; 4];
    for i in 0..cases() {
        let doc = &docs[i % docs.len()];
        let input = mutate(doc, &mut rng);
        let outcome = front_end::run(&input);
        outcomes[outcome as usize] += 1;
    }
    // The mutator must reach past the JSON parser, or the test tests little.
    let [malformed, _, refused, written] = outcomes;
    assert!(
        refused + written > cases() / 4,
        "too few inputs reached the spec reader: {outcomes:?} ({malformed} malformed)"
    );
}

#[test]
fn json_target_regressions() {
    for (name, bytes) in regressions("json") {
        eprintln!("{name}");
        front_end::run(&bytes);
    }
}
