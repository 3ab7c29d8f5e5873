//! Bad `unwind` input is a one-line error naming the place in the spec (`unwind[1].cfi[0].at`),
//! a non-zero exit and no output file: rules outside their function or out of order, unknown
//! registers and ops, functions outside their section or overlapping, offsets the CIE's data
//! alignment factor cannot express, a spec that has `.eh_frame` already, and formats objforge
//! writes no unwind tables for yet.

mod common;

/// Builds `spec` and expects failure with `message`, the whole line on stderr.
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
    assert_eq!(stderr.trim_end(), format!("objforge: {message}"), "{name}");
    assert!(!obj.exists(), "{name}: {} was left behind", obj.display());
}

/// Two 8-byte functions in `.text` (and 4 bytes of `.gcc_except_table`) for `target`, with
/// `unwind` as given and `extra` sections after them.
fn spec(target: &str, unwind: &str, extra: &str) -> String {
    format!(
        r#"{{"target": "{target}",
  "sections": [
    {{"name": ".text", "kind": "text", "hex": "554889e5ffd75dc3 554889e5ffd75dc3"}},
    {{"name": ".gcc_except_table", "kind": "rodata", "hex": "ff9b0000"}}{extra}
  ],
  "symbols": [{{"name": "f", "section": ".text", "kind": "func", "binding": "global"}}],
  "unwind": [{unwind}]}}"#
    )
}

const X86_64: &str = "x86_64-unknown-linux-gnu";
const FP: &str = r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "def_cfa_offset", "offset": 16}]}"#;

#[test]
fn each_bad_entry_is_named() {
    let dir = common::scratch("unwind_errors");
    for (name, unwind, message) in [
        (
            "rule_outside",
            r#"{"section": ".text", "offset": 8, "size": 8, "cfi": [{"at": 9, "op": "def_cfa_offset", "offset": 16}]}"#,
            "unwind[0].cfi[0].at: 9 is past the end of the function (8 bytes)",
        ),
        (
            "out_of_order",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 4, "op": "def_cfa_register", "reg": "rbp"}, {"at": 1, "op": "def_cfa_offset", "offset": 16}]}"#,
            "unwind[0].cfi[1].at: 1 comes before the previous rule's 4: rules are given in order",
        ),
        (
            "unknown_register",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "offset", "reg": "x29", "offset": -16}]}"#,
            r#"unwind[0].cfi[0].reg: unknown register "x29" on x86_64 (give its assembler name, such as "rbp" or "r12", or its DWARF number)"#,
        ),
        (
            "register_number",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "undefined", "reg": 300}]}"#,
            "unwind[0].cfi[0].reg: there is no register 300 on x86_64 (DWARF numbers go up to 125)",
        ),
        (
            "unknown_op",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "def_cfa_ofset", "offset": 16}]}"#,
            r#"unwind[0].cfi[0].op: unknown call-frame rule "def_cfa_ofset"; did you mean "def_cfa_offset"? (known: def_cfa, def_cfa_register, def_cfa_offset, adjust_cfa_offset, offset, val_offset, rel_offset, register, restore, undefined, same_value, remember_state, restore_state, escape, negate_ra_state, window_save)"#,
        ),
        (
            "field_of_another_op",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "def_cfa_offset", "offset": 16, "reg": "rbp"}]}"#,
            r#"unwind[0].cfi[0]: "def_cfa_offset" takes `offset`, not `reg`"#,
        ),
        (
            "past_section",
            r#"{"section": ".text", "offset": 8, "size": 9}"#,
            "unwind[0].size: the function at 8..17 runs past the end of .text (16 bytes)",
        ),
        (
            "overlap",
            r#"{"section": ".text", "offset": 0, "size": 8}, {"section": ".text", "offset": 4, "size": 8}"#,
            "unwind[1].offset: the function at 4..12 overlaps unwind[0] at 0..8",
        ),
        (
            "misaligned_save",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "offset", "reg": "rbp", "offset": -12}]}"#,
            "unwind[0].cfi[0].offset: -12 is not a multiple of 8: .eh_frame on x86_64 stores saved registers in units of 8 bytes",
        ),
        (
            "restore_without_remember",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "restore_state"}]}"#,
            "unwind[0].cfi[0].op: restore_state without a remember_state before it",
        ),
        (
            "negate_ra_state",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "negate_ra_state"}]}"#,
            "unwind[0].cfi[0].op: negate_ra_state is AArch64's (pointer authentication), not x86_64's",
        ),
        (
            "lsda_past_section",
            r#"{"section": ".text", "offset": 0, "size": 8, "personality": "__gxx_personality_v0", "lsda": {"section": ".gcc_except_table", "offset": 5}}"#,
            "unwind[0].lsda.offset: 5 is past the end of .gcc_except_table (4 bytes)",
        ),
        (
            "no_such_lsda",
            r#"{"section": ".text", "offset": 0, "size": 8, "lsda": ".LLSDA9"}"#,
            r#"unwind[0].lsda: no symbol named ".LLSDA9""#,
        ),
        (
            "seh_only",
            r#"{"section": ".text", "offset": 0, "size": 8, "seh": [{"at": 1, "op": "pushreg", "reg": "rbp"}]}"#,
            "unwind[0].seh: ELF unwinds with DWARF call-frame rules (`cfi`); Windows unwind codes are for COFF",
        ),
    ] {
        fails(&dir, name, &spec(X86_64, unwind, ""), message);
    }
}

#[test]
fn debug_frame_takes_no_personality() {
    let dir = common::scratch("unwind_errors_debug_frame");
    let spec = spec(
        X86_64,
        r#"{"section": ".text", "offset": 0, "size": 8, "personality": "__gxx_personality_v0"}"#,
        "",
    )
    .replacen(
        r#"{"target""#,
        r#"{"options": {"debug_frame": true}, "target""#,
        1,
    );
    fails(
        &dir,
        "personality",
        &spec,
        "unwind[0].personality: `.debug_frame` (options.debug_frame) is for debuggers and has no place for it; the runtime's .eh_frame does",
    );
}

#[test]
fn an_eh_frame_section_and_unwind_entries() {
    let dir = common::scratch("unwind_errors_eh_frame");
    fails(
        &dir,
        "eh_frame",
        &spec(X86_64, FP, r#", {"name": ".eh_frame", "kind": "rodata", "hex": "00000000"}"#),
        "unwind[0]: the object already has .eh_frame (sections[2]); objforge writes the unwind entries as .eh_frame, so give one or the other",
    );
}

#[test]
fn formats_without_unwind_tables_yet() {
    let dir = common::scratch("unwind_errors_formats");
    fails(
        &dir,
        "coff_i386",
        &spec("i686-pc-windows-msvc", FP, ""),
        "unwind[0]: 32-bit Windows has no unwind tables: its exception handling (SEH) registers handlers at run time",
    );
    fails(
        &dir,
        "wasm",
        r#"{"target": "wasm32-unknown-unknown", "sections": [{"name": ".text", "kind": "text", "hex": "00"}],
            "unwind": [{"section": ".text", "offset": 0, "size": 1}]}"#,
        "unwind[0]: WebAssembly has no unwind tables (the engine unwinds Wasm code itself)",
    );
}

#[test]
fn windows_prologues_that_unwind_info_cannot_describe() {
    let dir = common::scratch("unwind_errors_seh");
    let entry =
        |seh: &str| format!(r#"{{"section": ".text", "offset": 0, "size": 8, "seh": [{seh}]}}"#);
    for (name, unwind, message) in [
        (
            "not_a_gpr",
            entry(r#"{"at": 1, "op": "pushreg", "reg": "xmm6"}"#),
            "unwind[0].seh[0].reg: register 23 is not a general-purpose register",
        ),
        (
            "frame_offset",
            entry(r#"{"at": 4, "op": "setframe", "reg": "rbp", "offset": 8}"#),
            "unwind[0].seh[0].offset: 8 is not a multiple of 16 from 0 to 240, which UNWIND_INFO's frame offset holds",
        ),
        (
            "odd_allocation",
            entry(r#"{"at": 4, "op": "stackalloc", "size": 12}"#),
            "unwind[0].seh[0].size: 12 is not a positive multiple of 8",
        ),
        (
            "past_the_function",
            entry(r#"{"at": 9, "op": "pushreg", "reg": "rbp"}"#),
            "unwind[0].seh[0].at: 9 is past the end of the function: a Windows prologue is at most 255 bytes and within its function (8 bytes)",
        ),
        (
            "out_of_order",
            entry(r#"{"at": 4, "op": "pushreg", "reg": "rbp"}, {"at": 1, "op": "pushreg", "reg": "rbx"}"#),
            "unwind[0].seh[1].at: 1 comes before the previous code's 4: codes are given in order",
        ),
        (
            "cfi_escape",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "escape", "hex": "2e10"}]}"#.to_string(),
            "unwind[0].cfi[0].op: `escape` in the prologue has no Windows unwind code: give the prologue as `seh` codes",
        ),
        (
            "cfi_frame_offset",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 1, "op": "def_cfa_offset", "offset": 16}, {"at": 4, "op": "def_cfa", "reg": "rbp", "offset": 8}]}"#.to_string(),
            "unwind[0].cfi[1].reg: the frame register is set 8 bytes above the stack pointer; Windows takes a multiple of 16 from 0 to 240",
        ),
        (
            "lsda_without_handler",
            r#"{"section": ".text", "offset": 0, "size": 8, "lsda": {"section": ".gcc_except_table", "offset": 0}, "seh": [{"at": 1, "op": "pushreg", "reg": "rbp"}]}"#.to_string(),
            "unwind[0].lsda: an LSDA without a personality routine: on Windows the LSDA is the handler's data, so give the handler as `personality`",
        ),
    ] {
        fails(&dir, name, &spec("x86_64-pc-windows-msvc", &unwind, ""), message);
    }
    fails(
        &dir,
        "pdata_given",
        &spec(
            "x86_64-pc-windows-msvc",
            &entry(r#"{"at": 1, "op": "pushreg", "reg": "rbp"}"#),
            r#", {"name": ".pdata", "kind": "rodata", "hex": "00000000"}"#,
        ),
        "unwind[0]: the object already has .pdata (sections[2]); objforge writes the unwind entries as .pdata and .xdata, so give one or the other",
    );
}

/// Windows arm64 codes each describe one 4-byte instruction and encode a register and an
/// offset in a few bits: codes between instructions, out of their slot, offsets or registers
/// their encoding cannot hold are errors at the code.
#[test]
fn windows_arm64_codes_that_cannot_be_written() {
    let dir = common::scratch("unwind_errors_seh_arm64");
    let entry =
        |seh: &str| format!(r#"{{"section": ".text", "offset": 0, "size": 8, "seh": [{seh}]}}"#);
    for (name, unwind, message) in [
        (
            "between_instructions",
            entry(r#"{"at": 6, "op": "save_fplr_x", "offset": 16}"#),
            "unwind[0].seh[0].at: 6 is not a multiple of 4: arm64 codes stand between 4-byte instructions",
        ),
        (
            "out_of_its_slot",
            entry(r#"{"at": 8, "op": "save_fplr_x", "offset": 16}"#),
            "unwind[0].seh[0].at: 8: arm64 prologue codes follow one 4-byte instruction each from the function's start, so this one stands at 4",
        ),
        (
            "offset_too_far",
            entry(r#"{"at": 4, "op": "save_fplr_x", "offset": 1024}"#),
            "unwind[0].seh[0].offset: 1024 is not a multiple of 8 from 8 to 512, which `save_fplr_x` encodes",
        ),
        (
            "odd_allocation",
            entry(r#"{"at": 4, "op": "stackalloc", "size": 24}"#),
            "unwind[0].seh[0].size: 24 is not a multiple of 16 from 16 to 268435440, which `stackalloc` encodes",
        ),
        (
            "not_callee_saved",
            entry(r#"{"at": 4, "op": "save_reg", "reg": "x5", "offset": 8}"#),
            "unwind[0].seh[0].reg: `save_reg` takes x19..x30, not x5",
        ),
        (
            "no_pair_after_d15",
            entry(r#"{"at": 4, "op": "save_fregp", "reg": "d15", "offset": 0}"#),
            "unwind[0].seh[0].reg: `save_fregp` takes d8..d14, not d15",
        ),
        (
            "epilogue_without_end",
            entry(r#"{"at": 0, "op": "endprologue"}, {"at": 0, "op": "startepilogue"}, {"at": 4, "op": "set_fp"}"#),
            "unwind[0].seh[1].op: this epilogue has no endepilogue",
        ),
        (
            "return_outside",
            entry(r#"{"at": 0, "op": "endprologue"}, {"at": 4, "op": "startepilogue"}, {"at": 8, "op": "nop"}, {"at": 8, "op": "endepilogue"}"#),
            "unwind[0].seh[3].at: the epilogue's return instruction, at 8..12, is past the end of the function (8 bytes)",
        ),
        (
            "odd_size",
            r#"{"section": ".text", "offset": 0, "size": 6, "seh": [{"at": 4, "op": "nop"}]}"#.to_string(),
            "unwind[0].size: 6 is not a multiple of 4: arm64 code is whole 4-byte instructions",
        ),
        (
            "cfi_between_instructions",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 2, "op": "def_cfa_offset", "offset": 16}]}"#.to_string(),
            "unwind[0].cfi[0].at: 2: arm64 rules stand after one of the function's 4-byte instructions (8 bytes)",
        ),
        (
            "cfi_no_code",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 4, "op": "def_cfa_offset", "offset": 16}, {"at": 4, "op": "offset", "reg": "x5", "offset": -16}]}"#.to_string(),
            "unwind[0].cfi[0].op: these rules are not one store, allocation or frame-pointer move: Windows arm64 codes cannot be derived from it; give the prologue and epilogues as `seh` codes",
        ),
        (
            "cfi_too_far",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 4, "op": "def_cfa_offset", "offset": 1024}, {"at": 4, "op": "offset", "reg": "x29", "offset": -1024}, {"at": 4, "op": "offset", "reg": "x30", "offset": -1016}]}"#.to_string(),
            "unwind[0].cfi[0].op: the rules here make `save_fplr_x`, which Windows arm64 cannot encode (1024 is not a multiple of 8 from 8 to 512, which `save_fplr_x` encodes); give `seh` codes",
        ),
        (
            "cfi_escape",
            r#"{"section": ".text", "offset": 0, "size": 8, "cfi": [{"at": 4, "op": "escape", "hex": "2e10"}]}"#.to_string(),
            "unwind[0].cfi[0].op: `escape`: Windows arm64 codes cannot be derived from it; give the prologue and epilogues as `seh` codes",
        ),
    ] {
        fails(&dir, name, &spec("aarch64-pc-windows-msvc", &unwind, ""), message);
    }
}
