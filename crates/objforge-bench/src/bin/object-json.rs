//! The CLI benchmark's peer: reads an objspec (the JSON `objforge build` reads, see
//! `docs/spec.md`) into a `serde_json::Value` and writes the object with the `object` crate, as
//! a plain adapter between a JSON-emitting backend and that crate would.
//!
//! `object-json SPEC.json -o OUT`. It understands the part of the spec an x86_64 ELF object
//! from a C compiler needs (what `objforge dump` writes for SQLite's amalgamation): sections
//! with `hex` or `size` contents, symbols, relocations of the portable x86_64 kinds. Anything
//! else is an error. One simplification: a section flagged `merge` (fixed-size constants,
//! `.rodata.cst8`) is written as plain read-only data, as the crate's generic kinds have no
//! entry size for it; its bytes, symbols and relocations are the same.

use std::collections::HashMap;
use std::process::ExitCode;

use object::write::{Object, Relocation, SectionId, Symbol, SymbolId, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationEncoding, RelocationFlags, RelocationKind,
    SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};
use serde_json::{Map, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (spec, out) = match args.as_slice() {
        [spec, o, out] if o == "-o" => (spec, out),
        _ => {
            eprintln!("usage: object-json SPEC.json -o OUT");
            return ExitCode::from(2);
        }
    };
    match run(spec, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("object-json: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(spec: &str, out: &str) -> Result<(), String> {
    let text = std::fs::read(spec).map_err(|e| format!("{spec}: {e}"))?;
    let doc: Value = serde_json::from_slice(&text).map_err(|e| format!("{spec}: {e}"))?;
    drop(text);
    let obj = build(&doc)?;
    drop(doc);
    let bytes = obj.write().map_err(|e| e.to_string())?;
    std::fs::write(out, bytes).map_err(|e| format!("{out}: {e}"))
}

fn field<'a>(v: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    v.get(key)
}

fn str_field<'a>(v: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    field(v, key)
        .and_then(Value::as_str)
        .ok_or(format!("`{key}` must be a string"))
}

fn u64_field(v: &Map<String, Value>, key: &str) -> Result<u64, String> {
    match field(v, key) {
        None => Ok(0),
        Some(n) => n
            .as_u64()
            .ok_or(format!("`{key}` must be a non-negative integer")),
    }
}

fn objects<'a>(doc: &'a Value, key: &str) -> Result<Vec<&'a Map<String, Value>>, String> {
    match doc.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_object().ok_or(format!("`{key}` holds a non-object")))
            .collect(),
        Some(_) => Err(format!("`{key}` must be an array")),
    }
}

/// Decodes hex digits, ignoring white space.
fn hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| match b {
            b'0'..=b'9' => Ok(b - b'0'),
            b'a'..=b'f' => Ok(b - b'a' + 10),
            b'A'..=b'F' => Ok(b - b'A' + 10),
            _ => Err(format!("not a hex digit: {:?}", b as char)),
        })
        .collect::<Result<_, _>>()?;
    if !digits.len().is_multiple_of(2) {
        return Err("an odd number of hex digits".into());
    }
    Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

fn section_kind(name: &str, kind: Option<&str>, flags: &[&str]) -> Result<SectionKind, String> {
    let kind = kind.unwrap_or(if name.starts_with(".text") {
        "text"
    } else if name.starts_with(".data") {
        "data"
    } else if name.starts_with(".rodata") {
        "rodata"
    } else if name.starts_with(".bss") {
        "bss"
    } else {
        "other"
    });
    Ok(match (kind, flags.contains(&"merge_strings")) {
        ("text", _) => SectionKind::Text,
        ("data", _) => SectionKind::Data,
        ("rodata", true) => SectionKind::ReadOnlyString,
        ("rodata", false) => SectionKind::ReadOnlyData,
        ("bss", _) => SectionKind::UninitializedData,
        ("other", true) => SectionKind::OtherString,
        ("other", false) => SectionKind::Other,
        (k, _) => return Err(format!("section {name}: kind {k} is not handled")),
    })
}

fn build(doc: &Value) -> Result<Object<'static>, String> {
    let target = doc.get("target").and_then(Value::as_str);
    if target != Some("x86_64-unknown-linux-gnu") {
        return Err(format!("target {target:?} is not handled"));
    }
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let mut sections: HashMap<String, SectionId> = HashMap::new();
    for s in objects(doc, "sections")? {
        let name = str_field(s, "name")?;
        let flags: Vec<&str> = match field(s, "flags") {
            Some(Value::Array(f)) => f.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let kind = section_kind(name, field(s, "kind").and_then(Value::as_str), &flags)?;
        let id = obj.add_section(Vec::new(), name.as_bytes().to_vec(), kind);
        let align = match u64_field(s, "align")? {
            0 => 1,
            a => a,
        };
        if let Some(h) = field(s, "hex") {
            let h = h.as_str().ok_or("`hex` must be a string")?;
            obj.set_section_data(id, hex(h)?, align);
        } else if field(s, "size").is_some() {
            obj.append_section_bss(id, u64_field(s, "size")?, align);
        } else {
            return Err(format!(
                "section {name}: only hex or size contents are handled"
            ));
        }
        sections.insert(name.to_string(), id);
    }
    let mut symbols: HashMap<&str, SymbolId> = HashMap::new();
    for s in objects(doc, "symbols")? {
        let name = str_field(s, "name")?;
        let section = match field(s, "section") {
            None => None,
            Some(v) => {
                let n = v.as_str().ok_or("a symbol's `section` must be a name")?;
                Some(*sections.get(n).ok_or(format!("no section {n}"))?)
            }
        };
        let kind = field(s, "kind").and_then(Value::as_str);
        let id = match (kind, section) {
            (Some("section"), Some(sec)) => obj.section_symbol(sec),
            (Some("file"), _) => obj.add_file_symbol(name.as_bytes().to_vec()),
            _ => {
                let binding = field(s, "binding").and_then(Value::as_str);
                let (scope, weak) = match (binding, section) {
                    (_, None) => (SymbolScope::Dynamic, binding == Some("weak")),
                    (Some("global"), _) => (SymbolScope::Dynamic, false),
                    (Some("weak"), _) => (SymbolScope::Dynamic, true),
                    _ => (SymbolScope::Compilation, false),
                };
                obj.add_symbol(Symbol {
                    name: name.as_bytes().to_vec(),
                    value: u64_field(s, "offset")?,
                    size: u64_field(s, "size")?,
                    kind: match kind {
                        Some("func") => SymbolKind::Text,
                        Some("object") => SymbolKind::Data,
                        Some("tls") => SymbolKind::Tls,
                        // A defined symbol of no kind (a local label) is STT_NOTYPE.
                        _ if section.is_some() => SymbolKind::Label,
                        _ => SymbolKind::Unknown,
                    },
                    scope,
                    weak,
                    section: section.map_or(SymbolSection::Undefined, SymbolSection::Section),
                    flags: SymbolFlags::None,
                })
            }
        };
        symbols.entry(name).or_insert(id);
    }
    for r in objects(doc, "relocations")? {
        let section = str_field(r, "section")?;
        let section = *sections
            .get(section)
            .ok_or(format!("no section {section}"))?;
        let symbol = str_field(r, "symbol")?;
        let symbol = *symbols.get(symbol).ok_or(format!("no symbol {symbol}"))?;
        let (kind, encoding, size) = match str_field(r, "kind")? {
            "abs64" => (RelocationKind::Absolute, RelocationEncoding::Generic, 64),
            "abs32" => (RelocationKind::Absolute, RelocationEncoding::Generic, 32),
            "pcrel32" => (RelocationKind::Relative, RelocationEncoding::Generic, 32),
            "x86_branch32" => (
                RelocationKind::PltRelative,
                RelocationEncoding::X86Branch,
                32,
            ),
            "x86_gotpcrel32" => (RelocationKind::GotRelative, RelocationEncoding::Generic, 32),
            k => return Err(format!("relocation kind {k} is not handled")),
        };
        let addend = match field(r, "addend") {
            None => 0,
            Some(a) => a.as_i64().ok_or("`addend` must be an integer")?,
        };
        let relocation = Relocation {
            offset: u64_field(r, "offset")?,
            symbol,
            addend,
            flags: RelocationFlags::Generic {
                kind,
                encoding,
                size,
            },
        };
        obj.add_relocation(section, relocation)
            .map_err(|e| e.to_string())?;
    }
    Ok(obj)
}
