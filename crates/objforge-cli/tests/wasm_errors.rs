//! What a Wasm backend can get wrong is a one-line error naming the place in the spec, exit
//! status 1, and no output file: a relocation into a LEB that is not padded, a call to a
//! function the module does not declare (by index in a plain module, by symbol in an object),
//! a call an object leaves unrelocated, kinds and symbols that do not fit, a body without its
//! `end`, Wasm on a non-Wasm target and the other way round.

mod common;

/// Builds `spec` and expects failure with `message` as the one line on stderr.
fn fails(dir: &std::path::Path, name: &str, spec: &str, message: &str) {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, spec).expect("write spec");
    let out_file = dir.join(format!("{name}.o"));
    let out = common::run(
        common::objforge()
            .arg("build")
            .arg(&path)
            .arg("-o")
            .arg(&out_file),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!("objforge: {message}"),
        "{name}: unexpected message"
    );
    assert!(
        !out_file.exists(),
        "{name}: {} was left behind",
        out_file.display()
    );
}

/// An object whose function `f` has `body` (hex), calling the imported `g`, with `relocations`.
fn object(body: &str, relocations: &str, wasm_extra: &str) -> String {
    format!(
        r#"{{"target": "wasm32-unknown-unknown",
  "sections": [{{"name": ".text.f", "hex": "{body}"}}, {{"name": ".data", "hex": "00000000"}}],
  "symbols": [
    {{"name": "f", "section": ".text.f", "kind": "func", "binding": "global"}},
    {{"name": "g", "kind": "func"}},
    {{"name": "d", "section": ".data", "kind": "object", "size": 4}}
  ],
  "relocations": [{relocations}],
  "wasm": {{"types": [{{}}], "functions": [{{"section": ".text.f", "type": 0}}]{wasm_extra}}}}}"#
    )
}

const IMPORT_G: &str = r#", "imports": [{"func": 0, "symbol": "g"}]"#;
const CALL_G: &str =
    r#"{"section": ".text.f", "offset": 2, "symbol": "g", "kind": "wasm_func_index_leb"}"#;

#[test]
fn a_relocation_into_a_field_that_is_not_a_padded_leb() {
    let dir = common::scratch("wasm_errors_unpadded");
    // call 1 with a one-byte index, then i32.const 0; drop: five bytes at 2, but not padded.
    fails(
        &dir,
        "unpadded",
        &object("00 1001 4100 1a 0b", CALL_G, IMPORT_G),
        "relocations[0].offset: wasm_func_index_leb patches a 5-byte padded LEB128, but the bytes at 2 in .text.f are 01 41 00 1a 0b: not padded (every byte but the last needs 0x80), so the linker could not rewrite it in place; write the immediate padded (80 80 80 80 00 for 0)",
    );
    // The same in data: a 5-byte LEB kind over plain zeros.
    fails(
        &dir,
        "unpadded_data",
        &object(
            "00 0b",
            r#"{"section": ".data", "offset": 0, "symbol": "d", "kind": "wasm_memory_addr_sleb"}"#,
            "",
        )
        .replace(r#""hex": "00000000""#, r#""hex": "0000000000""#),
        "relocations[0].offset: wasm_memory_addr_sleb patches a 5-byte padded LEB128, but the bytes at 0 in .data are 00 00 00 00 00: not padded (every byte but the last needs 0x80), so the linker could not rewrite it in place; write the immediate padded (80 80 80 80 00 for 0)",
    );
}

#[test]
fn a_call_to_an_undeclared_function() {
    let dir = common::scratch("wasm_errors_undeclared");
    // A plain module: `call 7` with one function.
    fails(
        &dir,
        "plain_call",
        r#"{"target": "wasm32-unknown-unknown",
  "sections": [{"name": ".text.f", "hex": "00 1007 0b"}],
  "wasm": {"output": "module", "types": [{}], "functions": [{"section": ".text.f", "type": 0}]}}"#,
        "sections[0]: .text.f: the call at offset 1 names function 7, but the module declares 1 function (imported ones first)",
    );
    // An object: a call through a symbol nothing declares (no import gives it a type).
    fails(
        &dir,
        "object_call",
        &object("00 10 8080808000 0b", CALL_G, ""),
        "relocations[0].symbol: `g` is not a declared function: it is undefined and no import in wasm.imports gives its type; import it there, or define it (a text section listed in wasm.functions)",
    );
    // An object whose call has no relocation: the linker would leave it pointing anywhere.
    fails(
        &dir,
        "unrelocated",
        &object("00 10 8080808000 0b", "", IMPORT_G),
        "sections[0]: .text.f: the call at offset 1 names function 0 with no wasm_func_index_leb relocation at 2; the linker renumbers functions, so an object relocates every such index",
    );
}

#[test]
fn kinds_symbols_and_bodies_that_do_not_fit() {
    let dir = common::scratch("wasm_errors_fit");
    fails(
        &dir,
        "abs32",
        &object(
            "00 0b",
            r#"{"section": ".data", "offset": 0, "symbol": "d", "kind": "abs32"}"#,
            "",
        ),
        "relocations[0].kind: kind abs32 has no Wasm encoding: Wasm objects take the wasm_* kinds (see `objforge targets`)",
    );
    fails(
        &dir,
        "wasm64_kind",
        &object(
            "00 0b",
            r#"{"section": ".data", "offset": 0, "symbol": "d", "kind": "wasm_memory_addr_i64"}"#,
            "",
        )
        .replace(r#""hex": "00000000""#, r#""hex": "0000000000000000""#),
        "relocations[0].kind: wasm_memory_addr_i64 (R_WASM_MEMORY_ADDR_I64) is for wasm64; this object is wasm32",
    );
    fails(
        &dir,
        "global_of_a_function",
        &object(
            "00 23 8080808000 1a 0b",
            r#"{"section": ".text.f", "offset": 2, "symbol": "f", "kind": "wasm_global_index_leb"}"#,
            "",
        ),
        "relocations[0].symbol: wasm_global_index_leb needs a global, but `f` is a defined function",
    );
    fails(
        &dir,
        "type_out_of_range",
        &object(
            "00 4100 11 8080808000 00 0b",
            r#"{"section": ".text.f", "offset": 4, "kind": "wasm_type_index_leb", "addend": 3}"#,
            "",
        ),
        "relocations[0].addend: wasm_type_index_leb takes the type's index as its addend; there is no type 3 (wasm.types has 1)",
    );
    fails(
        &dir,
        "no_end",
        &object("00 4101", "", ""),
        "sections[0]: .text.f: the function body ends (or has a malformed number) at offset 3, before its final `end`",
    );
    fails(
        &dir,
        "unlisted_text",
        r#"{"target": "wasm32-unknown-unknown", "sections": [{"name": ".text.f", "hex": "00 0b"}]}"#,
        "sections[0]: .text.f is code, so it is one function's body: list it in wasm.functions with its type",
    );
    fails(
        &dir,
        "bad_type",
        r#"{"target": "wasm32-unknown-unknown", "sections": [{"name": ".text.f", "hex": "00 0b"}],
  "wasm": {"types": [{}], "functions": [{"section": ".text.f", "type": 3}]}}"#,
        "wasm.functions[0].type: there is no type 3 (wasm.types has 1)",
    );
    fails(
        &dir,
        "plain_with_relocations",
        &object("00 10 8080808000 0b", CALL_G, IMPORT_G)
            .replace(
                r#""wasm": {"#,
                r#""wasm": {"output": "module", "data": [{"section": ".data", "offset": 16}], "#,
            ),
        "relocations[0]: a plain module (wasm output \"module\") has no relocations: store the resolved value in the field, or write an object",
    );
}

#[test]
fn wasm_and_other_formats_do_not_mix() {
    let dir = common::scratch("wasm_errors_formats");
    fails(
        &dir,
        "wasm_on_elf",
        r#"{"target": "x86_64-unknown-linux-gnu", "wasm": {}}"#,
        "wasm: `wasm` describes a WebAssembly module, but the target's format is elf",
    );
    fails(
        &dir,
        "wasm32_as_elf",
        r#"{"target": "wasm32-unknown-unknown", "format": "elf"}"#,
        "format: a wasm32 target is written as format wasm, not elf",
    );
    fails(
        &dir,
        "wasm32_as_macho",
        r#"{"target": "wasm32-unknown-unknown", "format": "macho"}"#,
        "format: a wasm32 target is written as format wasm, not macho",
    );
    fails(
        &dir,
        "wasm32_as_coff",
        r#"{"target": "wasm32-unknown-unknown", "format": "coff"}"#,
        "format: a wasm32 target is written as format wasm, not coff",
    );
    fails(
        &dir,
        "x86_as_wasm",
        r#"{"target": "x86_64-unknown-linux-gnu", "format": "wasm"}"#,
        "format: format wasm is for wasm32 and wasm64 targets, not x86_64",
    );
}
