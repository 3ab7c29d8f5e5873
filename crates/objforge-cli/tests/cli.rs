//! The `objforge` command line: help and version, `targets`, a build that links and runs, and
//! bad input, which must give one line naming the place, a non-zero exit and no output file.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// stdout, stderr and exit code of `objforge ARGS`.
fn objforge(args: &[&str]) -> (String, String, i32) {
    let out = common::run(common::objforge().args(args));
    split(&out)
}

fn split(out: &Output) -> (String, String, i32) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read scratch dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Writes `spec` to a fresh scratch dir as `spec.json` and returns (dir, spec path, out path).
fn setup(test: &str, spec: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = common::scratch(test);
    let path = dir.join("spec.json");
    std::fs::write(&path, spec).expect("write spec");
    let out = dir.join("out.o");
    (dir, path, out)
}

/// Builds `spec` and checks it fails with exit code 1 and exactly one line on stderr that
/// starts with `objforge: PLACE: ` (`objforge: SPEC:` when `place` is empty) and contains
/// `words`; no output (nor a temporary file) may be left behind.
fn fails(test: &str, spec: &str, place: &str, words: &str) {
    let (dir, path, out) = setup(test, spec);
    let before = listing(&dir);
    let (stdout, stderr, code) = objforge(&[
        "build",
        path.to_str().expect("utf-8 path"),
        "-o",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 1, "exit code; stderr: {stderr}");
    assert_eq!(stdout, "", "nothing on stdout");
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line on stderr, got:\n{stderr}"
    );
    assert!(stderr.ends_with('\n'), "a whole line: {stderr:?}");
    // An empty place means the spec file itself (malformed JSON, a top level of the wrong type).
    let prefix = if place.is_empty() {
        format!("objforge: {}:", path.display())
    } else {
        format!("objforge: {place}: ")
    };
    assert!(
        stderr.starts_with(&prefix),
        "expected the error at `{place}`, got: {stderr}"
    );
    assert!(
        stderr.contains(words),
        "expected `{words}` in the message, got: {stderr}"
    );
    assert!(!out.exists(), "no output file after a failed build");
    assert_eq!(listing(&dir), before, "no files left behind");
}

const X86_64: &str = r#""target": "x86_64-unknown-linux-gnu""#;
const AARCH64: &str = r#""target": "aarch64-unknown-linux-gnu""#;

// --- Help, version, usage errors.

#[test]
fn help_lists_every_command() {
    for flag in ["--help", "-h", "help"] {
        let (stdout, stderr, code) = objforge(&[flag]);
        assert_eq!(code, 0, "{flag}: {stderr}");
        for command in [
            "objforge build SPEC.json -o OUT",
            "objforge targets",
            "--version",
        ] {
            assert!(
                stdout.contains(command),
                "{flag} mentions `{command}`:\n{stdout}"
            );
        }
    }
    let (build_help, _, code) = objforge(&["help", "build"]);
    assert_eq!(code, 0);
    assert!(build_help.contains("-o, --output OUT"), "{build_help}");
    assert!(build_help.contains("atomically"), "{build_help}");
    let (same, _, code) = objforge(&["build", "--help"]);
    assert_eq!((same.as_str(), code), (build_help.as_str(), 0));
    let (targets_help, _, code) = objforge(&["help", "targets"]);
    assert_eq!(code, 0);
    assert!(
        targets_help.contains("usage: objforge targets"),
        "{targets_help}"
    );
}

#[test]
fn version_prints_the_package_version() {
    for flag in ["--version", "-V"] {
        let (stdout, stderr, code) = objforge(&[flag]);
        assert_eq!(
            (stdout.as_str(), stderr.as_str(), code),
            ("objforge 0.1.0\n", "", 0)
        );
    }
}

#[test]
fn a_bad_command_line_exits_2_with_one_line() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["build"][..],
        &["build", "spec.json"][..],
        &["build", "-o", "out.o"][..],
        &["build", "a.json", "b.json", "-o", "out.o"][..],
        &["build", "spec.json", "--bogus", "-o", "out.o"][..],
        &["build", "spec.json", "-o"][..],
        &["targets", "extra"][..],
        &["help", "nothing"][..],
    ] {
        let (stdout, stderr, code) = objforge(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("objforge: "), "{args:?}: {stderr}");
        assert!(stderr.contains("(see `objforge"), "{args:?}: {stderr}");
    }
}

// --- targets.

#[test]
fn targets_lists_each_architecture_with_its_kinds() {
    let (stdout, stderr, code) = objforge(&["targets"]);
    assert_eq!(code, 0, "{stderr}");
    let writable = stdout.lines().next().unwrap_or_default();
    assert!(
        writable.starts_with("writable formats: elf, macho"),
        "{stdout}"
    );
    assert!(!stdout.contains("not yet writable: macho"), "{stdout}");
    let line = |arch: &str| -> Vec<String> {
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["elf", arch]))
            .unwrap_or_else(|| panic!("no `elf {arch}` row:\n{stdout}"));
        row.split_whitespace().skip(2).map(String::from).collect()
    };
    let x86_64 = line("x86_64");
    assert!(x86_64.contains(&"x86_branch32".to_string()), "{x86_64:?}");
    assert!(x86_64.contains(&"abs32s".to_string()), "{x86_64:?}");
    assert!(!x86_64.contains(&"a64_call26".to_string()), "{x86_64:?}");
    let aarch64 = line("aarch64");
    assert!(aarch64.contains(&"a64_call26".to_string()), "{aarch64:?}");
    assert!(
        !aarch64.contains(&"x86_branch32".to_string()),
        "{aarch64:?}"
    );
    let riscv64 = line("riscv64");
    assert!(riscv64.contains(&"rv_call".to_string()), "{riscv64:?}");
    let i386 = line("i386");
    assert!(!i386.contains(&"abs64".to_string()), "{i386:?}");
    // Every kind the table prints is one the library accepts by name.
    for kind in x86_64.iter().chain(&aarch64).chain(&riscv64).chain(&i386) {
        assert!(objforge::RelocKind::from_name(kind).is_some(), "{kind}");
    }
}

// --- A build that links and runs.

/// `_start` calls `print` (writes "hello\n"), then exits 7. Exercises hex with whitespace,
/// base64, `file`, `size`, hex-string offsets, names and indices as references, and the three
/// x86_64 kinds a small static program needs.
fn hello_spec() -> String {
    format!(
        r#"{{
  {X86_64},
  "options": {{"mangle": true, "exec_stack": false}},
  "sections": [
    {{"name": ".text", "align": 16, "hex":
      "e8 00000000  b8 3c000000  bf 07000000  0f 05\n b8 01000000  bf 01000000  48 8d 35 00000000  8b 14 25 00000000  0f 05  c3"}},
    {{"name": ".rodata", "base64": "aGVsbG8K"}},
    {{"name": ".data", "align": 4, "file": "len.bin"}},
    {{"name": ".bss", "align": 8, "size": "0x10"}}
  ],
  "symbols": [
    {{"name": "hello.s", "kind": "file"}},
    {{"name": "_start", "section": ".text", "kind": "func", "binding": "global", "size": 17}},
    {{"name": "print", "section": 0, "offset": "0x11", "kind": "func", "size": 27}},
    {{"name": "msg", "section": ".rodata", "kind": "object", "size": 6}},
    {{"name": "msg_len", "section": 2, "kind": "object", "size": 4}},
    {{"name": "scratch", "section": ".bss", "kind": "object", "size": 16, "visibility": "hidden"}},
    {{"kind": "section", "section": ".text"}}
  ],
  "relocations": [
    {{"section": ".text", "offset": 1, "symbol": "print", "kind": "x86_branch32", "addend": -4}},
    {{"section": ".text", "offset": "0x1e", "symbol": "msg", "kind": "pcrel32", "addend": "-0x4"}},
    {{"section": 0, "offset": 37, "symbol": 4, "kind": "abs32s", "comment": "mov edx, [msg_len]"}}
  ]
}}"#
    )
}

#[test]
fn a_spec_builds_links_with_ld_and_runs() {
    let (dir, spec, out) = setup("cli_hello", &hello_spec());
    std::fs::write(dir.join("len.bin"), 6u32.to_le_bytes()).expect("write len.bin");
    common::build(&spec, &out);
    assert_eq!(
        listing(&dir),
        ["len.bin", "out.o", "spec.json"],
        "only the object is added"
    );
    common::check_elf(&out);
    let exe = dir.join("hello");
    common::run_ok(
        Command::new("ld")
            .arg("-static")
            .arg(&out)
            .arg("-o")
            .arg(&exe),
    );
    assert_eq!(common::run_program(None, &exe), ("hello\n".to_string(), 7));
}

#[test]
fn a_spec_can_come_from_stdin_and_replace_an_existing_output() {
    let dir = common::scratch("cli_stdin");
    let out = dir.join("out.o");
    std::fs::write(&out, b"old").expect("write old output");
    let spec = format!(
        r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3"}}],
            "symbols": [{{"name": "f", "section": ".text", "binding": "global"}}]}}"#
    );
    let mut child = common::objforge()
        .args(["build", "-", "--output"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn objforge");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(spec.as_bytes()).expect("write spec");
    }
    let result = child.wait_with_output().expect("wait");
    let (_, stderr, code) = split(&result);
    assert_eq!(code, 0, "{stderr}");
    let bytes = std::fs::read(&out).expect("read output");
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(listing(&dir), ["out.o"], "no temporary file left");
}

/// An output that is a FIFO or a device (`-o /dev/null`, `-o /dev/stdout`) is written in
/// place: renaming a temporary file over it would replace the node itself (as root, once,
/// `-o /dev/null` turned this machine's /dev/null into a regular file). A FIFO stands in for
/// /dev/null here, so that a regression cannot break the machine that runs the test.
#[test]
fn an_output_that_is_a_fifo_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = common::scratch("cli_fifo");
    let fifo = dir.join("out.fifo");
    common::run_ok(Command::new("mkfifo").arg(&fifo));
    let spec = dir.join("spec.json");
    std::fs::write(
        &spec,
        format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3"}}],
                "symbols": [{{"name": "f", "section": ".text", "binding": "global"}}]}}"#
        ),
    )
    .expect("write spec");
    // The reader: `cat` drains the FIFO until objforge closes it.
    let reader = Command::new("cat")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let (_, stderr, code) = objforge(&[
        "build",
        spec.to_str().expect("utf-8 path"),
        "-o",
        fifo.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let read = reader.wait_with_output().expect("wait for cat");
    assert_eq!(
        &read.stdout[..4],
        b"\x7fELF",
        "the object went through the FIFO"
    );
    let kind = std::fs::symlink_metadata(&fifo).expect("stat").file_type();
    assert!(kind.is_fifo(), "the FIFO is still a FIFO");
    assert_eq!(
        listing(&dir),
        ["out.fifo", "spec.json"],
        "no temporary file left"
    );
}

// --- Bad input: one line naming the place, exit 1, no output file.

#[test]
fn an_unknown_symbol_is_named() {
    fails(
        "cli_unknown_symbol",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "e8 00000000 c3"}}],
                "symbols": [{{"name": "fo"}}],
                "relocations": [{{"section": ".text", "offset": 1, "symbol": "foo",
                                  "kind": "x86_branch32", "addend": -4}}]}}"#
        ),
        "relocations[0].symbol",
        "no symbol named \"foo\"",
    );
}

#[test]
fn an_offset_past_the_section_end_is_named() {
    fails(
        "cli_offset_past_end",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "e8 00000000 c3"}}],
                "symbols": [{{"name": "puts"}}],
                "relocations": [
                  {{"section": ".text", "offset": 1, "symbol": "puts", "kind": "x86_branch32", "addend": -4}},
                  {{"section": ".text", "offset": 4, "symbol": "puts", "kind": "abs32"}}]}}"#
        ),
        "relocations[1].offset",
        "past the end of .text",
    );
}

#[test]
fn a_misaligned_instruction_relocation_is_named() {
    fails(
        "cli_misaligned",
        &format!(
            r#"{{{AARCH64}, "sections": [{{"name": ".text", "hex": "00000094 c0035fd6"}}],
                "symbols": [{{"name": "g"}}],
                "relocations": [{{"section": ".text", "offset": 2, "symbol": "g", "kind": "a64_call26"}}]}}"#
        ),
        "relocations[0].offset",
        "not a multiple of 4",
    );
}

#[test]
fn a_kind_the_architecture_cannot_express_is_named() {
    fails(
        "cli_inexpressible_kind",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "00000000"}}],
                "symbols": [{{"name": "g"}}],
                "relocations": [{{"section": ".text", "offset": 0, "symbol": "g", "kind": "a64_call26"}}]}}"#
        ),
        "relocations[0].kind",
        "a64_call26 has no ELF encoding on x86_64",
    );
}

#[test]
fn a_duplicate_global_is_named() {
    fails(
        "cli_duplicate_global",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3 c3"}}],
                "symbols": [
                  {{"name": "f", "section": ".text", "binding": "global"}},
                  {{"name": "f", "section": ".text", "offset": 1, "binding": "weak"}}]}}"#
        ),
        "symbols[1].name",
        "duplicate global symbol `f`",
    );
}

#[test]
fn bytes_in_a_bss_section_are_refused() {
    fails(
        "cli_bss_bytes",
        &format!(r#"{{{X86_64}, "sections": [{{"name": ".bss", "hex": "00 00"}}]}}"#),
        "sections[0].hex",
        "a bss section holds no bytes",
    );
    fails(
        "cli_tbss_bytes",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": "my_tls", "kind": "tls_bss", "base64": "AAA="}}]}}"#
        ),
        "sections[0].base64",
        "a tls_bss section holds no bytes",
    );
}

#[test]
fn malformed_json_gives_line_and_column() {
    let spec = "{\n  \"target\": \"x86_64-unknown-linux-gnu\",\n  \"sections\": [}\n";
    fails("cli_malformed_json", spec, "", "");
    let (_, path, out) = setup("cli_malformed_json_position", spec);
    let (_, stderr, _) = objforge(&[
        "build",
        path.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    let expected = format!("objforge: {}:3:16: ", path.display());
    assert!(stderr.starts_with(&expected), "{stderr}");
    fails(
        "cli_truncated_json",
        "{\"target\": ",
        "",
        "ends while parsing",
    );
}

#[test]
fn a_wrong_json_type_is_named() {
    fails(
        "cli_align_string",
        &format!(r#"{{{X86_64}, "sections": [{{"name": ".text", "align": "x", "hex": "c3"}}]}}"#),
        "sections[0].align",
        "expected an integer",
    );
    fails(
        "cli_align_not_power",
        &format!(r#"{{{X86_64}, "sections": [{{"name": ".text", "align": 3, "hex": "c3"}}]}}"#),
        "sections[0].align",
        "expected a power of two, got 3",
    );
    fails(
        "cli_common_align_too_big",
        &format!(
            r#"{{{X86_64}, "symbols": [{{"name": "c", "common": {{"size": 8, "align": 4294967296}}}}]}}"#
        ),
        "symbols[0].common.align",
        "4294967296 is over 2^31, the most objforge writes",
    );
    fails(
        "cli_sections_object",
        &format!(r#"{{{X86_64}, "sections": {{}}}}"#),
        "sections",
        "expected an array, got an object",
    );
    fails(
        "cli_negative_offset",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3"}}],
                "symbols": [{{"name": "f", "section": 0, "offset": -1}}]}}"#
        ),
        "symbols[0].offset",
        "expected a non-negative integer, got -1",
    );
    fails(
        "cli_float_addend",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".data", "hex": "0000000000000000"}}],
                "symbols": [{{"name": "g"}}],
                "relocations": [{{"section": 0, "offset": 0, "symbol": "g", "kind": "abs64", "addend": 0.5}}]}}"#
        ),
        "relocations[0].addend",
        "expected an integer, got 0.5",
    );
}

#[test]
fn bad_base64_and_hex_are_named() {
    fails(
        "cli_bad_base64",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3"}},
                                       {{"name": ".rodata", "base64": "aGVsbG8*"}}]}}"#
        ),
        "sections[1].base64",
        "\"*\" at character 8 is not in the standard base64 alphabet",
    );
    fails(
        "cli_unpadded_base64",
        &format!(r#"{{{X86_64}, "sections": [{{"name": ".rodata", "base64": "aGk"}}]}}"#),
        "sections[0].base64",
        "not a multiple of 4",
    );
    fails(
        "cli_bad_hex",
        &format!(r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3 c"}}]}}"#),
        "sections[0].hex",
        "odd number of hex digits",
    );
}

#[test]
fn a_missing_contents_file_is_named() {
    fails(
        "cli_missing_file",
        &format!(r#"{{{X86_64}, "sections": [{{"name": ".text", "file": "code.bin"}}]}}"#),
        "sections[0].file",
        "cannot read \"code.bin\"",
    );
}

#[test]
fn an_ambiguous_name_asks_for_an_index() {
    fails(
        "cli_ambiguous_symbol",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "eb 00 eb 00 c3"}}],
                "symbols": [{{"name": ".L1", "section": 0, "offset": 2}},
                            {{"name": ".L1", "section": 0, "offset": 4}}],
                "relocations": [{{"section": 0, "offset": 1, "symbol": ".L1", "kind": "pcrel8", "addend": -1}}]}}"#
        ),
        "relocations[0].symbol",
        "2 symbols are named \".L1\" (symbols[0], symbols[1]); refer to one by its index",
    );
    fails(
        "cli_ambiguous_section",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3"}}, {{"name": ".text", "hex": "c3"}}],
                "symbols": [{{"name": "f", "section": ".text"}}]}}"#
        ),
        "symbols[0].section",
        "2 sections are named \".text\" (sections[0], sections[1]); refer to one by its index",
    );
}

#[test]
fn unknown_keys_and_names_are_named_with_a_suggestion() {
    fails(
        "cli_unknown_field",
        &format!(r#"{{{X86_64}, "sections": [{{"name": ".text", "algin": 4, "hex": "c3"}}]}}"#),
        "sections[0].algin",
        "unknown field; did you mean \"align\"?",
    );
    fails(
        "cli_unknown_option",
        &format!(r#"{{{X86_64}, "options": {{"pic": true}}}}"#),
        "options.pic",
        "known options here: mangle, float_abi, platform, exec_stack, directives, bigobj",
    );
    fails(
        "cli_unknown_kind",
        &format!(
            r#"{{{X86_64}, "sections": [{{"name": ".data", "hex": "0000000000000000"}}],
                "symbols": [{{"name": "g"}}],
                "relocations": [{{"section": 0, "offset": 0, "symbol": "g", "kind": "abs_64"}}]}}"#
        ),
        "relocations[0].kind",
        "unknown relocation kind \"abs_64\"; did you mean \"abs64\"?",
    );
    fails(
        "cli_missing_target",
        r#"{"sections": []}"#,
        "target",
        "missing",
    );
    fails(
        "cli_wasm_format_on_x86_64",
        &format!(r#"{{{X86_64}, "format": "wasm"}}"#),
        "format",
        "format wasm is for wasm32 and wasm64 targets, not x86_64",
    );
    fails(
        "cli_top_level_array",
        "[]",
        "",
        "expected an object, got an array",
    );
}

#[test]
fn a_failed_build_leaves_an_existing_output_untouched() {
    let spec = format!(
        r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3"}}],
            "relocations": [{{"section": 0, "offset": 0, "symbol": "nowhere", "kind": "abs8"}}]}}"#
    );
    let (dir, path, out) = setup("cli_keep_old_output", &spec);
    std::fs::write(&out, b"previous object").expect("write old output");
    let (_, stderr, code) = objforge(&[
        "build",
        path.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("objforge: relocations[0].symbol: "),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&out).expect("read"), b"previous object");
    assert_eq!(listing(&dir), ["out.o", "spec.json"]);

    // A write that fails at the last step (OUT is a directory) removes its temporary file.
    let good = format!(r#"{{{X86_64}, "sections": [{{"name": ".text", "hex": "c3"}}]}}"#);
    std::fs::write(&path, good).expect("write spec");
    let blocked = dir.join("blocked.o");
    std::fs::create_dir(&blocked).expect("mkdir");
    let (_, stderr, code) = objforge(&[
        "build",
        path.to_str().expect("utf-8"),
        "-o",
        blocked.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("blocked.o"), "{stderr}");
    assert_eq!(listing(&dir), ["blocked.o", "out.o", "spec.json"]);
}
