//! `include/objforge.h` is written by hand; this test keeps it in sync with `src/lib.rs`.
//! Every `extern "C"` function there must be declared in the header with the C spelling of its
//! Rust signature, the header must declare no other function, every `OBJFORGE_*` constant must
//! have its Rust value, and the relocation kind enum must be the library's `ALL_KINDS` in
//! order.

use std::collections::BTreeSet;

const HEADER: &str = include_str!("../include/objforge.h");
const SOURCE: &str = include_str!("../src/lib.rs");

/// Collapses whitespace runs to one space and drops spaces the C spelling does not need.
fn normalize(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
        .replace("* ", "*")
}

/// The C spelling of a Rust parameter or return type of the C ABI.
fn c_type(rust: &str) -> String {
    let rust = rust.trim();
    if let Some(inner) = rust.strip_prefix("*const ") {
        return format!("const {} *", c_type(inner));
    }
    if let Some(inner) = rust.strip_prefix("*mut ") {
        let inner = c_type(inner);
        return if inner.ends_with('*') {
            format!("{inner}*")
        } else {
            format!("{inner} *")
        };
    }
    match rust {
        "c_char" => "char",
        "c_int" => "int",
        "u8" => "uint8_t",
        "u32" => "uint32_t",
        "u64" => "uint64_t",
        "i64" => "int64_t",
        "usize" => "size_t",
        "ObjforgeObject" => "objforge_object",
        "ObjforgeError" => "objforge_error",
        "ObjforgeCode" => "objforge_code",
        other => panic!("no C spelling for the Rust type {other}; add one to header.rs"),
    }
    .to_string()
}

/// (name, C declaration) of every exported function in the Rust source.
fn rust_functions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = SOURCE;
    while let Some(at) = rest.find("extern \"C\" fn ") {
        rest = &rest[at + "extern \"C\" fn ".len()..];
        let open = rest.find('(').unwrap();
        let name = rest[..open].trim().to_string();
        let close = rest.find(')').unwrap();
        let params = &rest[open + 1..close];
        let brace = rest.find('{').unwrap();
        let ret = rest[close + 1..brace].trim();
        let ret = match ret.strip_prefix("->") {
            Some(t) => c_type(t),
            None => "void".into(),
        };
        let params: Vec<String> = params
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (pname, ptype) = p.split_once(':').unwrap();
                format!("{} {}", c_type(ptype), pname.trim())
            })
            .collect();
        let params = if params.is_empty() {
            "void".to_string()
        } else {
            params.join(", ")
        };
        out.push((name.clone(), normalize(&format!("{ret} {name}({params});"))));
    }
    out
}

#[test]
fn every_exported_function_is_declared_with_its_signature() {
    let header = normalize(HEADER);
    let functions = rust_functions();
    assert!(functions.len() >= 20, "found only {functions:?}");
    for (name, decl) in &functions {
        assert!(
            header.contains(decl.as_str()),
            "include/objforge.h lacks (or misspells) `{decl}` for {name}"
        );
    }
    // And nothing else: every `objforge_NAME(` that starts a declaration is a Rust function.
    let exported: BTreeSet<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
    let declared: BTreeSet<&str> = HEADER
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('/') && !l.starts_with('#'))
        .filter_map(|l| {
            let open = l.find("(")?;
            let name = l[..open].rsplit([' ', '*']).next()?;
            name.starts_with("objforge_").then_some(name)
        })
        .collect();
    assert_eq!(declared, exported);
}

#[test]
fn constants_have_their_rust_values() {
    let header = normalize(HEADER);
    let mut count = 0;
    for line in SOURCE.lines() {
        let Some(rest) = line.strip_prefix("pub const OBJFORGE_") else {
            continue;
        };
        let (name, value) = rest.split_once(':').unwrap();
        let value = value
            .split_once('=')
            .unwrap()
            .1
            .trim()
            .trim_end_matches(';');
        let value = match value {
            "u32::MAX" => "UINT32_MAX",
            v => v,
        };
        let define = format!("#define OBJFORGE_{name} {value} ");
        assert!(header.contains(&define), "header lacks `{define}`");
        count += 1;
    }
    assert!(count >= 14, "found only {count} constants");
}

#[test]
fn relocation_kinds_are_all_kinds_in_order() {
    let start = HEADER.find("enum objforge_reloc_kind {").unwrap();
    let end = start + HEADER[start..].find("};").unwrap();
    let entries: Vec<&str> = HEADER[start..end]
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let expected: Vec<String> = objforge::ALL_KINDS
        .iter()
        .enumerate()
        .map(|(i, k)| format!("OBJFORGE_RELOC_{} = {i},", k.name().to_uppercase()))
        .collect();
    assert_eq!(entries, expected);
}

#[test]
fn error_record_matches() {
    let header = normalize(HEADER);
    assert!(header.contains(&normalize(
        "typedef struct objforge_error { int code; char message[OBJFORGE_MESSAGE_CAP]; } objforge_error;"
    )));
    assert!(SOURCE.contains("pub code: c_int,"));
    assert!(SOURCE.contains("pub message: [c_char; OBJFORGE_MESSAGE_CAP],"));
}
