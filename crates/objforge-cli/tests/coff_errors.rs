//! Bad input for COFF: what the format cannot express, relocations past their section's end,
//! COMDAT selections that do not hold together. Each is one line on stderr that names the
//! place in the spec, exit code 1, and no output file.

mod common;

use std::path::Path;

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Builds `spec`; it must fail with exit code 1 and the one line `objforge: PLACE: MESSAGE`,
/// and leave no file behind.
fn fails(test: &str, spec: &str, place: &str, message: &str) {
    let dir = common::scratch(test);
    let path = dir.join("spec.json");
    std::fs::write(&path, spec).unwrap();
    let out = dir.join("out.obj");
    let result = common::run(
        common::objforge()
            .arg("build")
            .arg(&path)
            .arg("-o")
            .arg(&out),
    );
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, format!("objforge: {place}: {message}\n"));
    assert!(!out.exists(), "no output after a failed build");
    assert_eq!(listing(&dir), ["spec.json"], "no files left behind");
}

/// A spec for `target` with a 16-byte `.text` (an ADRP at 0 for arm64), a `.data` and a
/// symbol `f`, plus `relocations`.
fn spec(target: &str, relocations: &str) -> String {
    format!(
        r#"{{"target": "{target}",
  "sections": [
    {{"name": ".text", "hex": "00000090 00000091 00000000 00000000"}},
    {{"name": ".data", "hex": "0000000000000000"}}
  ],
  "symbols": [{{"name": "f", "section": ".text", "binding": "global"}}],
  "relocations": [{relocations}]}}"#
    )
}

const X86_64: &str = "x86_64-pc-windows-msvc";
const I386: &str = "i686-pc-windows-msvc";
const ARM64: &str = "aarch64-pc-windows-msvc";

#[test]
fn kinds_coff_cannot_express_are_named() {
    fails(
        "coff_err_gotpcrel",
        &spec(
            X86_64,
            r#"{"section": ".text", "offset": 2, "symbol": "f", "kind": "x86_gotpcrel32", "addend": -4}"#,
        ),
        "relocations[0].kind",
        "kind x86_gotpcrel32 has no COFF encoding on x86_64",
    );
    fails(
        "coff_err_got_adrp",
        &spec(
            ARM64,
            r#"{"section": ".text", "offset": 0, "symbol": "f", "kind": "a64_got_adrp21"}"#,
        ),
        "relocations[0].kind",
        "kind a64_got_adrp21 has no COFF encoding on aarch64",
    );
    fails(
        "coff_err_abs64_i386",
        &spec(
            I386,
            r#"{"section": ".data", "offset": 0, "symbol": "f", "kind": "abs64"}"#,
        ),
        "relocations[0].kind",
        "kind abs64 has no COFF encoding on i386",
    );
    fails(
        "coff_err_pcrel8",
        &spec(
            X86_64,
            r#"{"section": ".data", "offset": 0, "symbol": "f", "kind": "pcrel8"}"#,
        ),
        "relocations[0].kind",
        "kind pcrel8 has no COFF encoding on x86_64",
    );
    fails(
        "coff_err_riscv",
        r#"{"target": "riscv64gc-unknown-windows", "sections": [{"name": ".text", "hex": "00"}]}"#,
        "target",
        "objforge writes COFF for x86_64, i386 and aarch64 (arm64), not riscv64",
    );
}

#[test]
fn relocations_past_the_end_of_their_section_are_named() {
    fails(
        "coff_err_past_end",
        &spec(
            X86_64,
            r#"{"section": ".data", "offset": 4, "symbol": "f", "kind": "abs64"}"#,
        ),
        "relocations[0].offset",
        "4 is past the end of .data (8 bytes) for a 8-byte abs64 field",
    );
    // A native type objforge knows is checked at its own size.
    fails(
        "coff_err_native_past_end",
        &spec(
            X86_64,
            r#"{"section": ".data", "offset": 6, "symbol": "f", "kind": "native", "native": {"type": 1}}"#,
        ),
        "relocations[0].offset",
        "6 is past the end of .data (8 bytes) for the 8-byte field of COFF IMAGE_REL_AMD64_ADDR64",
    );
}

#[test]
fn addends_coff_cannot_store_are_named() {
    fails(
        "coff_err_branch_addend",
        &spec(
            ARM64,
            r#"{"section": ".text", "offset": 8, "symbol": "f", "kind": "a64_call26", "addend": 8}"#,
        ),
        "relocations[0].addend",
        "a64_call26 cannot carry an addend in COFF: the linker ORs the branch offset into the instruction; branch to a symbol at the target instead",
    );
    fails(
        "coff_err_ldst_size",
        &spec(
            ARM64,
            r#"{"section": ".text", "offset": 4, "symbol": "f", "kind": "a64_ldst64_lo12"}"#,
        ),
        "relocations[0].kind",
        "a64_ldst64_lo12 at 4 of .text: the instruction there accesses 4 bytes, and ARM64 COFF scales the offset by the instruction's size",
    );
    fails(
        "coff_err_section_addend",
        &spec(
            I386,
            r#"{"section": ".data", "offset": 0, "symbol": "f", "kind": "secidx16", "addend": 70000}"#,
        ),
        "relocations[0].addend",
        "70000 does not fit the 2-byte field where COFF IMAGE_REL_I386_SECTION stores it",
    );
    fails(
        "coff_err_diff_elsewhere",
        &spec(
            X86_64,
            r#"{"section": ".data", "offset": 0, "symbol": "f", "minus": "f", "kind": "diff32"}"#,
        ),
        "relocations[0].minus",
        "COFF has no symbol-difference relocation: `f` must be defined in .data, the field's section",
    );
}

#[test]
fn comdat_selections_must_hold_together() {
    let sections = |extra: &str| {
        format!(
            r#"{{"target": "{X86_64}", "sections": [
    {{"name": ".text$f", "kind": "text", "hex": "c3", "comdat": "f", "comdat_selection": "largest"}},
    {{"name": ".rdata$f", "kind": "rodata", "hex": "00", {extra}}},
    {{"name": ".text", "hex": "c3"}}
  ], "symbols": [{{"name": "f", "section": 0, "binding": "global"}}]}}"#
        )
    };
    fails(
        "coff_err_selection_without_group",
        &sections(r#""comdat_selection": "same_size""#),
        "sections[1].comdat_selection",
        "a COMDAT selection (same_size) needs `comdat`, the group the section belongs to",
    );
    fails(
        "coff_err_two_selections",
        &sections(r#""comdat": "f", "comdat_selection": "same_size""#),
        "sections[1].comdat_selection",
        "COMDAT group `f` already has selection largest (sections[0]); a group has one selection",
    );
    fails(
        "coff_err_associate_outside",
        &sections(r#""comdat": "f", "comdat_associate": ".text""#),
        "sections[1].comdat_associate",
        "sections[2] (.text) is not in COMDAT group `f`; a section follows one of its own group",
    );
    fails(
        "coff_err_associate_missing",
        &sections(r#""comdat": "f", "comdat_selection": "associative""#),
        "sections[1].comdat_associate",
        "selection \"associative\" needs `comdat_associate`: the section this one follows",
    );
    fails(
        "coff_err_key_elsewhere",
        &format!(
            r#"{{"target": "{X86_64}", "sections": [
    {{"name": ".text$f", "kind": "text", "hex": "c3", "comdat": "f"}},
    {{"name": ".text", "hex": "c3"}}
  ], "symbols": [{{"name": "f", "section": 1, "binding": "global"}}]}}"#
        ),
        "symbols[0].section",
        "`f` names a COMDAT group, and COFF needs that symbol defined in one of the group's non-associative sections (sections[0])",
    );
}

#[test]
fn options_coff_cannot_honour_are_named() {
    fails(
        "coff_err_drectve_twice",
        &format!(
            r#"{{"target": "{X86_64}", "options": {{"directives": ["/DEFAULTLIB:msvcrt"]}},
  "sections": [{{"name": ".drectve", "hex": "20"}}]}}"#
        ),
        "options.directives",
        "the object has its own .drectve (sections[0]); put every directive in one place (common symbols aligned past 1 byte add `-aligncomm` directives)",
    );
    fails(
        "coff_err_align",
        &format!(
            r#"{{"target": "{X86_64}", "sections": [{{"name": ".data", "align": 16384, "hex": "00"}}]}}"#
        ),
        "sections[0].align",
        "COFF aligns sections to at most 8192 bytes, not 16384",
    );
}
