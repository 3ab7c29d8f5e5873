//! What the Wasm tests share: the readers' checks (`wasm-objdump -x`, `llvm-readobj-19`,
//! `wasm-validate`), the relocations a spec asks for as `llvm-readobj-19 -r` prints them, and
//! running a module under `node` with a host `print`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common;

/// `wasm-objdump -x FILE`, which must succeed and complain about nothing; returns its output.
pub fn objdump(file: &Path) -> String {
    let out = common::run(Command::new("wasm-objdump").arg("-x").arg(file));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "wasm-objdump -x {}:\n{stderr}",
        file.display()
    );
    let lower = stdout.to_lowercase();
    assert!(
        !lower.contains("error") && !lower.contains("warning"),
        "wasm-objdump -x {}:\n{stdout}",
        file.display()
    );
    stdout
}

/// `llvm-readobj-19 ARGS FILE`, which must succeed without a warning; returns its output.
pub fn readobj(args: &[&str], file: &Path) -> String {
    let out = common::run(Command::new("llvm-readobj-19").args(args).arg(file));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.to_lowercase().contains("warning"),
        "llvm-readobj-19 {args:?} {}:\n{stderr}",
        file.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `wasm-validate FILE` must accept it.
pub fn validate(file: &Path) {
    common::run_ok(Command::new("wasm-validate").arg(file));
}

/// Runs `wasm` under node: instantiated with `env.print` (a number per line) and
/// `env.print_string` (a NUL-terminated string in the exported memory), then
/// `__wasm_call_ctors` if exported, then `entry`. Returns what it printed.
pub fn run_node(dir: &Path, wasm: &Path, entry: &str) -> String {
    let script = dir.join("run.js");
    std::fs::write(
        &script,
        r#"const [file, entry] = process.argv.slice(2);
const bytes = require('fs').readFileSync(file);
let memory;
const env = {
  print: (v) => console.log(String(v)),
  print_string: (p) => {
    const m = new Uint8Array(memory.buffer);
    let e = p;
    while (m[e]) e++;
    console.log(Buffer.from(m.subarray(p, e)).toString());
  },
};
WebAssembly.instantiate(bytes, { env }).then(({ instance }) => {
  memory = instance.exports.memory;
  if (instance.exports.__wasm_call_ctors) instance.exports.__wasm_call_ctors();
  instance.exports[entry]();
});
"#,
    )
    .expect("write run.js");
    common::run_ok(Command::new("node").arg(&script).arg(wasm).arg(entry))
}

/// The spec at `path`, parsed.
pub fn spec(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read spec");
    serde_json::from_str(&text).expect("spec is JSON")
}

fn hex_len(hex: &str) -> u64 {
    hex.chars().filter(|c| !c.is_whitespace()).count() as u64 / 2
}

fn uleb_len(mut v: u64) -> u64 {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// The R_WASM name of a portable kind.
fn type_name(kind: &str) -> String {
    let upper = kind
        .strip_prefix("wasm_")
        .expect("a wasm kind")
        .to_uppercase()
        .replace("FUNC_INDEX", "FUNCTION_INDEX");
    format!("R_WASM_{upper}")
}

/// The relocations `spec` asks for as `llvm-readobj-19 -r` prints them, `SECTION: OFFSET TYPE
/// TARGET [ADDEND]`, offsets counted from the start of the CODE or DATA section's payload the
/// way the format has them. Only for specs whose sections are text and data, in the order
/// of `wasm.functions`, with `hex` contents (the fixtures are).
pub fn expected_relocations(spec: &Value) -> Vec<String> {
    let sections = spec["sections"].as_array().expect("sections");
    let functions = spec["wasm"]["functions"].as_array().expect("functions");
    let names: Vec<&str> = sections
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    let len = |s: &Value| match s.get("hex") {
        Some(h) => hex_len(h.as_str().expect("hex")),
        None => s["size"].as_u64().expect("size"),
    };
    // Where each section's bytes start in its Wasm section's payload.
    let mut base = std::collections::HashMap::new();
    let mut at = uleb_len(functions.len() as u64);
    for f in functions {
        let name = f["section"].as_str().expect("function section");
        let s = &sections[names.iter().position(|n| *n == name).expect("section")];
        at += uleb_len(len(s));
        base.insert(name, ("CODE", at));
        at += len(s);
    }
    let data: Vec<&Value> = sections.iter().filter(|s| s["kind"] != "text").collect();
    let mut at = uleb_len(data.len() as u64);
    for s in data {
        at += 1 + 2 + 1; // flags, i32.const ADDR end (addresses below 64 in the fixtures)
        at += uleb_len(len(s));
        base.insert(s["name"].as_str().expect("name"), ("DATA", at));
        at += len(s);
    }
    let mut lines: Vec<(&str, u64, String)> = spec["relocations"]
        .as_array()
        .expect("relocations")
        .iter()
        .map(|r| {
            let (section, start) = base[r["section"].as_str().expect("section")];
            let offset = start + r["offset"].as_u64().expect("offset");
            let kind = r["kind"].as_str().expect("kind");
            let addend = r.get("addend").and_then(Value::as_i64).unwrap_or(0);
            let target = match r.get("symbol") {
                Some(s) => s.as_str().expect("symbol name").to_string(),
                None => addend.to_string(),
            };
            let has_addend = kind.contains("memory_addr") || kind.contains("offset");
            let line = if has_addend {
                format!("{offset:#X} {} {target} {addend}", type_name(kind))
            } else {
                format!("{offset:#X} {} {target}", type_name(kind))
            };
            (section, offset, line.replacen("0X", "0x", 1))
        })
        .collect();
    lines.sort();
    lines
        .into_iter()
        .map(|(section, _, line)| format!("{section}: {line}"))
        .collect()
}

/// `llvm-readobj-19 -r FILE` as `SECTION: LINE`, in file order.
pub fn relocation_lines(file: &Path) -> Vec<String> {
    let text = readobj(&["-r"], file);
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Section (") {
            // `Section (6) CODE {`
            section = rest
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
        } else if line.starts_with("0x") {
            out.push(format!("{section}: {line}"));
        }
    }
    out
}

/// The symbols of `llvm-readobj-19 --symbols FILE` as `NAME TYPE FLAGS` (`ops DATA 0x2`).
pub fn symbol_lines(file: &Path) -> Vec<String> {
    let text = readobj(&["--symbols"], file);
    let mut out = Vec::new();
    let (mut name, mut kind) = (String::new(), String::new());
    for line in text.lines().map(str::trim) {
        if let Some(n) = line.strip_prefix("Name: ") {
            name = n.to_string();
        } else if let Some(t) = line.strip_prefix("Type: ") {
            kind = t.split_whitespace().next().unwrap_or_default().to_string();
        } else if let Some(f) = line.strip_prefix("Flags [ (") {
            let flags = f.trim_end_matches(')');
            out.push(format!("{name} {kind} {flags}"));
        }
    }
    out
}
