//! The JSON `debug` object and the library's `objforge::dwarf` API are the same thing: the
//! fixture built by the CLI and the same object built through the API are byte for byte
//! equal, in both DWARF versions. And a bad `debug` object is reported at its JSON path.

mod common;
mod dwarf_support;

use std::path::Path;

use objforge::dwarf::{lang, DebugInfo, DwarfVersion, Function, LexicalBlock, LineRow};
use objforge::*;

/// The bytes of a section of the fixture, decoded from its `hex`.
fn fixture_bytes(index: usize) -> Vec<u8> {
    let spec = common::fixture("dwarf/counter_x86_64.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec).expect("read")).expect("JSON");
    let hex: String = doc["sections"][index]["hex"]
        .as_str()
        .expect("hex")
        .split_whitespace()
        .collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// `counter_x86_64.json`, written through the library API.
fn counter_through_the_api(version: DwarfVersion) -> Vec<u8> {
    let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(16)
            .with_bytes(fixture_bytes(0)),
    );
    let text_bump = obj.add_section(
        Section::new(".text.bump", SectionKind::Text)
            .with_align(16)
            .with_bytes(fixture_bytes(1)),
    );
    obj.add_symbol(Symbol::file("counter.mini"));
    obj.add_symbol(
        Symbol::defined("main", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global)
            .with_size(46),
    );
    let bump = obj.add_symbol(
        Symbol::defined("bump", text_bump, 0)
            .with_kind(SymbolKind::Func)
            .with_size(11),
    );
    for offset in [14, 23] {
        obj.add_relocation(
            Relocation::new(text, offset, bump, RelocKind::X86Branch32).with_addend(-4),
        );
    }

    let mut debug = DebugInfo::new("counter.mini", "/objforge/tests/dwarf");
    debug.version = version;
    debug.producer = "minic 0.1 (objforge test fixture)".into();
    debug.language = Some(lang::C99);
    let file = debug.add_file("counter.mini");
    for (offset, line, column, is_stmt) in [
        (0, 8, 1, true),
        (9, 9, 5, true),
        (11, 10, 5, true),
        (18, 10, 11, false),
        (20, 11, 5, true),
        (27, 11, 11, false),
        (29, 12, 5, true),
        (34, 13, 9, true),
        (37, 15, 5, true),
        (39, 16, 1, true),
    ] {
        debug.add_row(
            LineRow::new(text, offset, file, line)
                .with_column(column)
                .with_is_stmt(is_stmt),
        );
    }
    for (offset, line, column) in [(0, 3, 1), (4, 4, 5), (7, 5, 5), (9, 6, 1)] {
        debug.add_row(LineRow::new(text_bump, offset, file, line).with_column(column));
    }
    debug.end_sequence(text_bump, 11);
    debug.add_function(
        Function::new("main", text, 0, 46)
            .with_declaration(file, 8)
            .with_external(true)
            .with_block(LexicalBlock::new(34, 3)),
    );
    debug.add_function(Function::new("bump", text_bump, 0, 11).with_declaration(file, 3));
    let added = obj.add_debug_info(&debug).expect("add the debug info");
    assert!(!added.is_empty());
    obj.write().expect("write")
}

#[test]
fn json_debug_object_equals_the_library_api() {
    let dir = common::scratch("dwarf_json_equals_api");
    for (version, number) in [(DwarfVersion::V5, 5), (DwarfVersion::V4, 4)] {
        let from_json = dwarf_support::build_counter(&dir, "x86_64", number);
        let from_api = dir.join(format!("api-v{number}.o"));
        std::fs::write(&from_api, counter_through_the_api(version)).expect("write");
        let sections = dwarf_support::debug_sections(&from_json);
        assert!(sections.len() >= 6, "{sections:?}");
        assert_eq!(dwarf_support::debug_sections(&from_api), sections);
        for name in sections.iter().filter(|n| !n.starts_with(".rela")) {
            assert_eq!(
                common::section_bytes(&from_json, name),
                common::section_bytes(&from_api, name),
                "DWARF {number}: {name}"
            );
        }
        assert_eq!(
            common::relocation_lines(&from_json),
            common::relocation_lines(&from_api),
            "DWARF {number}"
        );
        // Everything else is the same too.
        assert_eq!(
            std::fs::read(&from_json).expect("read"),
            std::fs::read(&from_api).expect("read"),
            "DWARF {number}: the whole object"
        );
    }
}

/// Builds the fixture with `edit` applied to its JSON; returns the error line objforge
/// printed (it must fail, with status 1 and no output file).
fn error_after(dir: &Path, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    error_in("counter_x86_64", dir, name, edit)
}

/// [`error_after`] for the fixture `dwarf/FIXTURE.json`.
fn error_in(
    fixture: &str,
    dir: &Path,
    name: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> String {
    let spec = common::fixture(&format!("dwarf/{fixture}.json"));
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec).expect("read")).expect("JSON");
    edit(&mut doc);
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, doc.to_string()).expect("write");
    let out_file = dir.join(format!("{name}.o"));
    let out = common::run(
        common::objforge()
            .arg("build")
            .arg(&path)
            .arg("-o")
            .arg(&out_file),
    );
    assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
    assert!(!out_file.exists(), "{name}: an output was left behind");
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

/// A change to the fixture that makes its `debug` object wrong.
type Edit = dyn FnOnce(&mut serde_json::Value);

#[test]
fn bad_debug_objects_are_reported_at_their_json_path() {
    let dir = common::scratch("dwarf_json_errors");
    let cases: Vec<(&str, Box<Edit>, &str)> = vec![
        (
            "unknown_file",
            Box::new(|d| d["debug"]["lines"][3]["file"] = 3.into()),
            "objforge: debug.lines[3].file: there is no file 3 (`files` has 1)",
        ),
        (
            "unknown_file_name",
            Box::new(|d| d["debug"]["lines"][3]["file"] = "counter.mni".into()),
            "objforge: debug.lines[3].file: no file \"counter.mni\" in `debug.files`; did you mean \"counter.mini\"?",
        ),
        (
            "missing_section",
            Box::new(|d| d["debug"]["lines"][0]["section"] = 7.into()),
            "objforge: debug.lines[0].section: there is no section 7 (the object has 2)",
        ),
        (
            "unknown_section",
            Box::new(|d| d["debug"]["functions"][1]["section"] = ".text.bmp".into()),
            "objforge: debug.functions[1].section: no section named \".text.bmp\"; did you mean \".text.bump\"?",
        ),
        (
            "offset_past_the_end",
            Box::new(|d| d["debug"]["lines"][13]["offset"] = 12.into()),
            "objforge: debug.lines[13].offset: 12 is past the end of .text.bump (11 bytes)",
        ),
        (
            "out_of_order",
            Box::new(|d| d["debug"]["lines"][2]["offset"] = 5.into()),
            "objforge: debug.lines[2].offset: 5 comes before lines[1] at 9 in .text: rows of one section go in address order",
        ),
        (
            "function_too_long",
            Box::new(|d| d["debug"]["functions"][0]["size"] = 47.into()),
            "objforge: debug.functions[0].size: 47 bytes from 0 run past the end of .text (46 bytes)",
        ),
        (
            "block_outside",
            Box::new(|d| d["debug"]["functions"][0]["blocks"][0]["size"] = 13.into()),
            "objforge: debug.functions[0].blocks[0].size: 13 bytes from 34 run past the end of the enclosing code (0..46)",
        ),
        (
            "end_sequence_with_a_line",
            Box::new(|d| d["debug"]["lines"][14]["line"] = 7.into()),
            "objforge: debug.lines[14].line: an end_sequence row has only `section` and `offset` (it ends a run of code)",
        ),
        (
            "row_without_line",
            Box::new(|d| {
                if let Some(row) = d["debug"]["lines"][0].as_object_mut() {
                    row.remove("line");
                }
            }),
            "objforge: debug.lines[0].line: missing (this field is required)",
        ),
        (
            "version_3",
            Box::new(|d| d["debug"]["version"] = 3.into()),
            "objforge: debug.version: objforge writes DWARF 4 or 5, not 3",
        ),
        (
            "unknown_language",
            Box::new(|d| d["debug"]["language"] = "rusty".into()),
            "objforge: debug.language: unknown language \"rusty\"; did you mean \"rust\"?",
        ),
        (
            "typo",
            Box::new(|d| d["debug"]["fucntions"] = serde_json::json!([])),
            "objforge: debug.fucntions: unknown field; did you mean \"functions\"?",
        ),
        (
            "empty_name",
            Box::new(|d| d["debug"]["functions"][1]["name"] = "".into()),
            "objforge: debug.functions[1].name: empty",
        ),
    ];
    for (name, edit, expected) in cases {
        let error = error_after(&dir, name, edit);
        assert!(
            error.starts_with(expected),
            "{name}:\n  got: {error}\n want: {expected}"
        );
    }
}

#[test]
fn bad_types_variables_and_locations_are_reported_at_their_json_path() {
    let dir = common::scratch("dwarf_json_data_errors");
    let cases: Vec<(&str, Box<Edit>, &str)> = vec![
        (
            "unknown_type",
            Box::new(|d| d["debug"]["types"][3]["members"][1]["type"] = "struct nod *".into()),
            "objforge: debug.types[3].members[1].type: no type named \"struct nod\" in `debug.types`; did you mean \"struct node\"?",
        ),
        (
            "type_of_itself",
            Box::new(|d| d["debug"]["types"][6]["to"] = "node_t".into()),
            "objforge: debug.types[6]: the type contains itself (only a pointer may refer back to it)",
        ),
        (
            "unknown_kind",
            Box::new(|d| d["debug"]["types"][0]["kind"] = "bsae".into()),
            "objforge: debug.types[0].kind: unknown type kind \"bsae\"; did you mean \"base\"?",
        ),
        (
            "void_variable",
            Box::new(|d| d["debug"]["variables"][0]["type"] = "void".into()),
            "objforge: debug.variables[0].type: `void` is no type for this",
        ),
        (
            "list_past_the_end",
            Box::new(|d| {
                d["debug"]["functions"][0]["blocks"][0]["variables"][0]["location"]["list"][1]
                    ["size"] = 400.into()
            }),
            "objforge: debug.functions[0].blocks[0].variables[0].location.list[1].size: 400 bytes from 29 run past the end of .text (327 bytes)",
        ),
        (
            "unknown_register",
            Box::new(|d| d["debug"]["functions"][1]["frame_base"] = serde_json::json!({"breg": "rbx2"})),
            "objforge: debug.functions[1].frame_base.breg: no register named \"rbx2\" on x86_64",
        ),
        (
            "two_operations",
            Box::new(|d| {
                d["debug"]["functions"][0]["parameters"][0]["location"] =
                    serde_json::json!({"fbreg": -40, "reg": 5})
            }),
            "objforge: debug.functions[0].parameters[0].location: one operation an object (reg and fbreg are given)",
        ),
        (
            "unknown_operation",
            Box::new(|d| d["debug"]["functions"][0]["frame_base"] = "call_frame_cf".into()),
            "objforge: debug.functions[0].frame_base: unknown operation \"call_frame_cf\"; did you mean \"call_frame_cfa\"?",
        ),
        (
            "unknown_symbol",
            Box::new(|d| d["debug"]["variables"][1]["location"][0]["addr"] = "node".into()),
            "objforge: debug.variables[1].location[0].addr: no symbol named \"node\"",
        ),
        (
            "empty_expression",
            Box::new(|d| d["debug"]["variables"][1]["location"] = serde_json::json!([])),
            "objforge: debug.variables[1].location: an empty expression",
        ),
        (
            "global_list_without_section",
            Box::new(|d| {
                d["debug"]["variables"][1]["location"] =
                    serde_json::json!({"list": [{"offset": 0, "size": 1, "location": {"reg": 0}}]})
            }),
            "objforge: debug.variables[1].location.list[0].section: missing (outside a function, a location list entry names its section)",
        ),
        (
            "piece_past_the_end",
            Box::new(|d| {
                d["debug"]["functions"][1]["pieces"] =
                    serde_json::json!([{"section": ".text", "offset": 300, "size": 28}])
            }),
            "objforge: debug.functions[1].pieces[0].size: 28 bytes from 300 run past the end of .text (327 bytes)",
        ),
        (
            "call_site_unknown_function",
            Box::new(|d| {
                d["debug"]["functions"][0]["call_sites"] =
                    serde_json::json!([{"return_offset": 4, "origin": {"function": "summ"}}])
            }),
            "objforge: debug.functions[0].call_sites[0].origin.function: no function named \"summ\" in `debug.functions`; did you mean \"sum\"?",
        ),
        (
            "call_site_two_origins",
            Box::new(|d| {
                d["debug"]["functions"][0]["call_sites"] = serde_json::json!([
                    {"return_offset": 4, "origin": {"function": "sum", "external": "malloc"}}
                ])
            }),
            "objforge: debug.functions[0].call_sites[0].origin: expected one of `function`, `inline` or `external`",
        ),
        (
            "call_site_past_the_end",
            Box::new(|d| {
                d["debug"]["functions"][0]["call_sites"] =
                    serde_json::json!([{"return_offset": 400, "origin": {"external": "malloc"}}])
            }),
            "objforge: debug.functions[0].call_sites[0].return_offset: 400 is past the end of the function's section (327 bytes)",
        ),
        (
            "call_site_parameter_without_value",
            Box::new(|d| {
                d["debug"]["functions"][0]["call_sites"] = serde_json::json!([
                    {"return_offset": 4, "parameters": [{"location": {"reg": "rdi"}}]}
                ])
            }),
            "objforge: debug.functions[0].call_sites[0].parameters[0].value: missing",
        ),
    ];
    for (name, edit, expected) in cases {
        let error = error_in("list_x86_64", &dir, name, edit);
        assert!(
            error.starts_with(expected),
            "{name}:\n  got: {error}\n want: {expected}"
        );
    }
}
