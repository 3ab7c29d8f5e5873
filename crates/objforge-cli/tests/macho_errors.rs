//! What Mach-O cannot express is a one-line error naming the place in the spec, a non-zero
//! exit, and no output file: kinds without a Mach-O relocation, addends out of
//! ARM64_RELOC_ADDEND's range or where the type takes none, names over Mach-O's 16 bytes,
//! COMDAT groups, an architecture Mach-O is not written for, a bad `options.platform`.

mod common;

/// Builds `spec` and expects failure with `message` in the one line on stderr.
fn fails(dir: &std::path::Path, name: &str, spec: &str, message: &str) {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, spec).expect("write spec");
    let obj = dir.join(format!("{name}.o"));
    let out = common::run(
        common::objforge()
            .arg("build")
            .arg(&path)
            .arg("-o")
            .arg(&obj),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
    assert!(
        stderr.starts_with(&format!("objforge: {message}")),
        "{name}: expected `objforge: {message}...`, got:\n{stderr}"
    );
    assert!(!obj.exists(), "{name}: {} was left behind", obj.display());
}

/// A one-function arm64 (or x86_64) spec with `relocation`, and `extra` sections.
fn spec(target: &str, relocation: &str) -> String {
    format!(
        r#"{{"target": "{target}",
  "sections": [
    {{"name": ".text", "align": 4, "hex": "00000094 00000090 00000091 c0035fd6"}},
    {{"name": ".data", "align": 8, "hex": "0000000000000000"}}
  ],
  "symbols": [
    {{"name": "f", "section": ".text", "kind": "func", "binding": "global"}},
    {{"name": "g"}},
    {{"name": "tv", "kind": "tls"}}
  ],
  "relocations": [{relocation}]}}"#
    )
}

const ARM64: &str = "arm64-apple-macos11";
const X86_64: &str = "x86_64-apple-macos11";

#[test]
fn kinds_mach_o_cannot_express() {
    let dir = common::scratch("macho_errors_kinds");
    for (name, target, relocation, message) in [
        (
            "condbr19",
            ARM64,
            r#"{"section": ".text", "offset": 0, "symbol": "f", "kind": "a64_condbr19"}"#,
            "relocations[0].kind: kind a64_condbr19 has no Mach-O encoding on aarch64: Mach-O linkers relocate only B/BL, ADRP and the low-12-bit forms",
        ),
        (
            "x86_on_arm64",
            ARM64,
            r#"{"section": ".data", "offset": 0, "symbol": "g", "kind": "x86_branch32", "addend": -4}"#,
            "relocations[0].kind: kind x86_branch32 has no Mach-O encoding on aarch64",
        ),
        (
            "abs16",
            ARM64,
            r#"{"section": ".data", "offset": 0, "symbol": "g", "kind": "abs16"}"#,
            "relocations[0].kind: kind abs16 has no Mach-O encoding on aarch64: Mach-O relocates only 4- and 8-byte data fields",
        ),
        (
            "abs32s",
            X86_64,
            r#"{"section": ".data", "offset": 0, "symbol": "g", "kind": "abs32s"}"#,
            "relocations[0].kind: kind abs32s has no Mach-O encoding on x86_64: Mach-O has no sign-extended 32-bit absolute relocation",
        ),
        (
            "imagerel32",
            X86_64,
            r#"{"section": ".data", "offset": 0, "symbol": "g", "kind": "imagerel32"}"#,
            "relocations[0].kind: kind imagerel32 has no Mach-O encoding on x86_64: it is a COFF relocation",
        ),
        (
            "rv_call",
            X86_64,
            r#"{"section": ".data", "offset": 0, "symbol": "g", "kind": "rv_call"}"#,
            "relocations[0].kind: kind rv_call has no Mach-O encoding on x86_64",
        ),
        (
            "tlv_not_movq",
            X86_64,
            r#"{"section": ".text", "offset": 4, "symbol": "tv", "kind": "x86_gotpcrel32", "addend": -4}"#,
            "relocations[0].kind: kind x86_gotpcrel32 has no Mach-O encoding on x86_64: against a thread-local variable it becomes X86_64_RELOC_TLV",
        ),
        (
            "native_type",
            ARM64,
            r#"{"section": ".data", "offset": 0, "symbol": "g", "kind": "native", "native": {"type": 16, "length": 3}}"#,
            "relocations[0].kind: kind native has no Mach-O encoding on aarch64: the native type does not fit Mach-O's 4-bit r_type",
        ),
        (
            "minus_undefined",
            ARM64,
            r#"{"section": ".data", "offset": 0, "symbol": "f", "kind": "diff32", "minus": "g"}"#,
            "relocations[0].minus: `g` is not defined in this object; a Mach-O SUBTRACTOR subtracts a symbol defined here",
        ),
        (
            "secrel32_loaded",
            ARM64,
            r#"{"section": ".data", "offset": 0, "symbol": "f", "kind": "secrel32"}"#,
            "relocations[0].kind: secrel32 on Mach-O needs a symbol in a non-allocated",
        ),
    ] {
        fails(&dir, name, &spec(target, relocation), message);
    }
}

#[test]
fn addends_mach_o_cannot_store() {
    let dir = common::scratch("macho_errors_addends");
    for (name, relocation, message) in [
        (
            "addend_too_big",
            r#"{"section": ".text", "offset": 4, "symbol": "g", "kind": "a64_adrp21", "addend": 8388608}"#,
            "relocations[0].addend: 8388608 is out of range for ARM64_RELOC_ADDEND, which holds a signed 24-bit addend (-8388608..=8388607)",
        ),
        (
            "addend_too_small",
            r#"{"section": ".text", "offset": 8, "symbol": "g", "kind": "a64_add_lo12", "addend": "-0x800001"}"#,
            "relocations[0].addend: -8388609 is out of range for ARM64_RELOC_ADDEND",
        ),
        (
            "got_addend",
            r#"{"section": ".text", "offset": 4, "symbol": "g", "kind": "a64_got_adrp21", "addend": 8}"#,
            "relocations[0].addend: kind a64_got_adrp21 takes no addend on Mach-O aarch64 (ARM64_RELOC_ADDEND may only precede BRANCH26, PAGE21 and PAGEOFF12); got 8",
        ),
        (
            "abs32_addend",
            r#"{"section": ".data", "offset": 0, "symbol": "g", "kind": "abs32", "addend": 4294967295}"#,
            "relocations[0].addend: 4294967295 does not fit the 4-byte field where Mach-O stores the addend",
        ),
    ] {
        fails(&dir, name, &spec(ARM64, relocation), message);
    }
    // At the limits, the addends are written.
    for (name, relocation) in [
        (
            "addend_max",
            r#"{"section": ".text", "offset": 4, "symbol": "g", "kind": "a64_adrp21", "addend": 8388607}"#,
        ),
        (
            "addend_min",
            r#"{"section": ".text", "offset": 0, "symbol": "g", "kind": "a64_call26", "addend": -8388608}"#,
        ),
    ] {
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, spec(ARM64, relocation)).expect("write");
        common::build(&path, &dir.join(format!("{name}.o")));
    }
}

#[test]
fn names_and_sections_mach_o_cannot_hold() {
    let dir = common::scratch("macho_errors_sections");
    let section = |s: &str| {
        format!(
            r#"{{"target": "{ARM64}", "sections": [{{"name": ".text", "hex": "c0035fd6"}}, {s}]}}"#
        )
    };
    for (name, spec, message) in [
        (
            "long_section",
            section(r#"{"name": "__TEXT,__a_very_long_name", "kind": "rodata", "hex": "00"}"#),
            "sections[1].name: the section name `__a_very_long_name` is 18 bytes long; Mach-O section names are at most 16",
        ),
        (
            "long_segment",
            section(r#"{"name": "__A_LONG_SEGMENT_NAME,__data", "kind": "data", "hex": "00"}"#),
            "sections[1].name: the segment name `__A_LONG_SEGMENT_NAME` is 21 bytes long; Mach-O segment names are at most 16",
        ),
        (
            "long_debug",
            section(r#"{"name": ".debug_gnu_pubnames", "hex": "00"}"#),
            "sections[1].name: `.debug_gnu_pubnames` becomes `__DWARF,__debug_gnu_pubnames`, whose section name is 20 bytes long",
        ),
        (
            "unknown_elf_name",
            section(r#"{"name": ".mysection", "kind": "data", "hex": "00"}"#),
            "sections[1].name: `.mysection` has no Mach-O equivalent objforge knows; name the section `__SEGMENT,__section`",
        ),
        (
            "comdat",
            section(r#"{"name": ".text.inline", "hex": "c0035fd6", "comdat": "inline"}"#),
            "sections[1].comdat: Mach-O has no COMDAT groups",
        ),
        (
            "i386",
            r#"{"target": "i386-apple-macos", "sections": [{"name": ".text", "hex": "c3"}]}"#.to_string(),
            "target: objforge writes Mach-O for x86_64 and arm64 (aarch64), not i386",
        ),
        (
            "platform_os",
            format!(r#"{{"target": "{ARM64}", "options": {{"platform": {{"os": "iOS"}}}}}}"#),
            "options.platform.os: unknown platform \"iOS\" (known: macos, ios, ios-simulator,",
        ),
        (
            "platform_version",
            format!(r#"{{"target": "{ARM64}", "options": {{"platform": {{"min": "17.x"}}}}}}"#),
            "options.platform.min: expected a version such as \"11.0\" or \"10.15.4\"",
        ),
    ] {
        fails(&dir, name, &spec, message);
    }
}
