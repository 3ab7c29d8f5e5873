//! Compiler output that objforge once refused, each case made by the real compiler from a
//! small source in `tests/fixtures/compiler_output/`: compile, `objforge dump`, `objforge
//! build`, then link the compiler's object and objforge's the same way and run both; they
//! must print the same and exit the same, and the rebuilt object must keep what made the
//! case (a visibility, a binding, a symbol's value).

mod common;
mod dump_support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles `source` with `compiler` and `flags` into `dir/NAME.o`, dumps it and rebuilds
/// `dir/NAME.re.o` from the dump (which must dump to the same spec again). Returns the paths
/// of the compiler's object and objforge's.
fn compile_and_rebuild(
    dir: &Path,
    compiler: &str,
    flags: &[&str],
    source: &str,
) -> (PathBuf, PathBuf) {
    let name = Path::new(source)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .expect("a source file name");
    let original = dir.join(format!("{name}.o"));
    common::run_ok(
        Command::new(compiler)
            .args(flags)
            .arg("-c")
            .arg(common::fixture(&format!("compiler_output/{source}")))
            .arg("-o")
            .arg(&original),
    );
    dump_support::rebuild_to_fixed_point(dir, &[&name]);
    (original, dir.join(format!("{name}.re.o")))
}

/// Links `object` with `linker` into `object`'s name without `.o` and runs it (under
/// `emulator` if given): (stdout, exit code).
fn link_and_run(linker: &str, args: &[&str], object: &Path, emulator: &[&str]) -> (String, i32) {
    let exe = object.with_extension("exe");
    common::run_ok(
        Command::new(linker)
            .arg(object)
            .args(args)
            .arg("-o")
            .arg(&exe),
    );
    let out = match emulator.split_first() {
        Some((emu, emu_args)) => common::run(Command::new(emu).args(emu_args).arg(&exe)),
        None => common::run(&mut Command::new(&exe)),
    };
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The complaints of `eu-elflint --gnu-ld --strict`, without section and symbol numbers
/// (which differ between the objects).
fn elflint_complaints(object: &Path) -> Vec<String> {
    let out = common::run(
        Command::new("eu-elflint")
            .args(["--gnu-ld", "--strict"])
            .arg(object),
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.contains("No errors"))
        .map(|l| {
            l.chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect()
        })
        .collect();
    lines.sort();
    lines
}

/// objforge's object draws no complaint from eu-elflint that the compiler's does not (GNU as
/// output has some under `--strict`: a symbol past its section, one-member groups).
fn no_new_complaints(original: &Path, rebuilt: &Path) {
    assert_eq!(elflint_complaints(rebuilt), elflint_complaints(original));
    let out = common::run(Command::new("llvm-readobj-19").arg("--all").arg(rebuilt));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.to_lowercase().contains("warning"),
        "llvm-readobj-19 --all {}:\n{stderr}",
        rebuilt.display()
    );
}

/// `readelf -sW` lines naming `symbol` exactly.
fn symbol_lines(readelf: &str, object: &Path, symbol: &str) -> Vec<String> {
    let out = common::run_ok(Command::new(readelf).args(["-sW"]).arg(object));
    out.lines()
        .filter(|l| l.split_whitespace().last() == Some(symbol))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn gcc_internal_visibility_round_trips() {
    let dir = common::scratch("co_internal");
    let (original, rebuilt) = compile_and_rebuild(&dir, "gcc", &["-O2"], "internal.c");
    let spec = std::fs::read_to_string(dir.join("internal.json")).expect("read the dump");
    assert!(spec.contains(r#""visibility":"internal""#), "{spec}");
    for symbol in ["twice", "counter"] {
        let lines = symbol_lines("readelf", &rebuilt, symbol);
        assert!(
            lines.len() == 1 && lines[0].contains("GLOBAL INTERNAL"),
            "{symbol}: {lines:?}"
        );
        assert_eq!(lines, symbol_lines("readelf", &original, symbol));
    }
    common::check_elf(&rebuilt);
    let want = (String::from("counter 42\n"), 0);
    assert_eq!(link_and_run("cc", &[], &original, &[]), want);
    assert_eq!(link_and_run("cc", &[], &rebuilt, &[]), want);
}

#[test]
fn gcc_riscv_section_anchor_past_the_section_end_round_trips() {
    let dir = common::scratch("co_anchors");
    let (original, rebuilt) = compile_and_rebuild(
        &dir,
        "riscv64-linux-gnu-gcc",
        &["-O2", "-fPIC"],
        "anchors.c",
    );
    // The anchor at 0x2000 lies past the 7,200-byte section, in both objects.
    let sections = common::run_ok(
        Command::new("riscv64-linux-gnu-readelf")
            .arg("-SW")
            .arg(&rebuilt),
    );
    assert!(
        sections
            .lines()
            .any(|l| l.contains(".data.rel.ro.local") && l.contains(" 001c20 ")),
        "{sections}"
    );
    for object in [&original, &rebuilt] {
        let anchor = symbol_lines("riscv64-linux-gnu-readelf", object, ".LANCHOR2");
        assert!(
            anchor.len() == 1 && anchor[0].starts_with("0000000000002000 "),
            "{}: {anchor:?}",
            object.display()
        );
    }
    // eu-elflint calls the anchor "st_value out of bounds" in gcc's object too.
    no_new_complaints(&original, &rebuilt);
    let qemu = ["qemu-riscv64", "-L", "/usr/riscv64-linux-gnu"];
    let want = (String::from("anchor0 anchor14 anchor29\n"), 0);
    let gcc = "riscv64-linux-gnu-gcc";
    assert_eq!(link_and_run(gcc, &[], &original, &qemu), want);
    assert_eq!(link_and_run(gcc, &[], &rebuilt, &qemu), want);
}

/// GCC's line table as `debug.lines` rows, the way a backend hands its rows over: each row
/// of `llvm-dwarfdump-19 --debug-line` with its file's name, in the section that the
/// sequence's `DW_LNE_set_address` relocation names.
fn gcc_line_rows(object: &Path) -> serde_json::Value {
    let table = common::run_ok(
        Command::new("llvm-dwarfdump-19")
            .arg("--debug-line")
            .arg(object),
    );
    let mut files = Vec::new();
    let mut lines = table.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("file_names[") {
            let name = lines.next().and_then(|l| l.split('"').nth(1)).unwrap_or("");
            files.push(name.to_string());
        }
    }
    // One 64-bit address relocation per sequence, in sequence order.
    let relocations = common::run_ok(Command::new("readelf").arg("-rW").arg(object));
    let sections: Vec<String> = relocations
        .split("Relocation section '")
        .filter(|part| part.starts_with(".rela.debug_line'"))
        .flat_map(|part| part.lines())
        .filter(|l| l.contains("R_X86_64_64"))
        .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
        .collect();
    let mut rows = Vec::new();
    let mut sequence = 0;
    for line in table.lines().filter(|l| l.starts_with("0x")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let offset = u64::from_str_radix(&f[0][2..], 16).expect("an address");
        let section = sections.get(sequence).expect("a section per sequence");
        if line.contains("end_sequence") {
            rows.push(
                serde_json::json!({"section": section, "offset": offset, "end_sequence": true}),
            );
            sequence += 1;
            continue;
        }
        let file: usize = f[3].parse().expect("a file index");
        rows.push(serde_json::json!({
            "section": section, "offset": offset, "file": files[file],
            "line": f[1].parse::<u64>().expect("a line"),
            "column": f[2].parse::<u64>().expect("a column"),
            "is_stmt": line.contains("is_stmt"),
        }));
    }
    serde_json::json!({"name": "line_end.c", "comp_dir": "/src", "files": files, "lines": rows})
}

/// GCC's rows end a sequence with a zero-length row at the end address, then the end_sequence
/// row (Lua's lapi.c and lvm.c at -O2 -g); a backend hands such rows to `debug.lines`.
#[test]
fn gcc_zero_length_row_before_end_sequence_builds() {
    let dir = common::scratch("co_line_end");
    // The code without -g (the same bytes: -g never changes code), GCC's rows from -g.
    let (_, rebuilt) = compile_and_rebuild(&dir, "gcc", &["-O2"], "line_end.c");
    let with_lines = dir.join("line_end.g.o");
    common::run_ok(
        Command::new("gcc")
            .args(["-O2", "-g", "-c"])
            .arg(common::fixture("compiler_output/line_end.c"))
            .arg("-o")
            .arg(&with_lines),
    );
    let spec_path = dir.join("line_end.json");
    let mut spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec_path).expect("read the dump"))
            .expect("the dump is JSON");
    spec["debug"] = gcc_line_rows(&with_lines);
    let debug_spec = dir.join("line_end.debug.json");
    std::fs::write(&debug_spec, spec.to_string()).expect("write the spec");
    let object = dir.join("line_end.debug.o");
    common::build(&debug_spec, &object);

    // The rows as llvm-dwarfdump reads them (address, line, column, end): the same in both,
    // with a row at the address of the end_sequence row that follows it.
    let rows = |object: &Path| -> Vec<String> {
        let out = common::run_ok(
            Command::new("llvm-dwarfdump-19")
                .arg("--debug-line")
                .arg(object),
        );
        out.lines()
            .filter(|l| l.starts_with("0x"))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let end = if l.contains("end_sequence") {
                    " end"
                } else {
                    ""
                };
                format!("{} {} {}{end}", f[0], f[1], f[2])
            })
            .collect()
    };
    let want = rows(&with_lines);
    let zero_length = want.windows(2).any(|w| {
        w[1].ends_with(" end")
            && !w[0].ends_with(" end")
            && w[0].split(' ').next() == w[1].split(' ').next()
    });
    assert!(zero_length, "gcc no longer writes the case: {want:#?}");
    assert_eq!(rows(&object), want);
    common::run_ok(
        Command::new("llvm-dwarfdump-19")
            .arg("--verify")
            .arg(&object),
    );
    common::check_elf(&object);
    assert_eq!(link_and_run("cc", &[], &rebuilt, &[]), (String::new(), 0));
    assert_eq!(link_and_run("cc", &[], &object, &[]), (String::new(), 0));
}

#[test]
fn gxx_gnu_unique_binding_round_trips() {
    let dir = common::scratch("co_unique");
    let (original, rebuilt) = compile_and_rebuild(&dir, "g++", &["-O2"], "unique.cpp");
    let spec = std::fs::read_to_string(dir.join("unique.json")).expect("read the dump");
    assert!(spec.contains(r#""binding":"gnu_unique""#), "{spec}");
    let table = "_ZZNSt8__detail18__to_chars_10_implIjEEvPcjT_E8__digits";
    let lines = symbol_lines("readelf", &rebuilt, table);
    assert!(
        lines.len() == 1 && lines[0].contains("OBJECT UNIQUE DEFAULT"),
        "{lines:?}"
    );
    assert_eq!(lines, symbol_lines("readelf", &original, table));
    // GNU as marks such objects ELFOSABI_GNU; so does objforge.
    let header = common::run_ok(Command::new("readelf").arg("-h").arg(&rebuilt));
    assert!(header.contains("UNIX - GNU"), "{header}");
    // eu-elflint --strict calls g++'s one-member COMDAT groups wrong; the same in both.
    no_new_complaints(&original, &rebuilt);
    let want = (String::from("1234567/3\n"), 0);
    assert_eq!(link_and_run("g++", &[], &original, &[]), want);
    assert_eq!(link_and_run("g++", &[], &rebuilt, &[]), want);
}

/// clang marks every `import_name` import EXPLICIT_NAME, even when the field name is the
/// symbol's; wasm-ld then lets the import stay undefined. The spec says it with
/// `explicit_name`, and the object carries the same flags as clang's.
#[test]
fn wasm_import_with_an_explicit_name_links_like_clangs() {
    let dir = common::scratch("co_explicit_name");
    let source = dir.join("print.c");
    std::fs::write(
        &source,
        "__attribute__((import_module(\"env\"), import_name(\"print\"))) void print(int);\n\
         void run(void) { print(42); }\n",
    )
    .expect("write the source");
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=wasm32", "-O2", "-c"])
            .arg(&source)
            .arg("-o")
            .arg(&clang),
    );
    let spec = |explicit: bool| {
        format!(
            r#"{{"target": "wasm32-unknown-unknown",
  "sections": [{{"name": ".text.run", "kind": "text", "hex": "00 412a 108080808000 0b"}}],
  "symbols": [{{"name": "run", "section": ".text.run", "kind": "func", "binding": "global"}},
              {{"name": "print", "kind": "func"}}],
  "relocations": [{{"section": ".text.run", "offset": 4, "kind": "wasm_func_index_leb", "symbol": "print"}}],
  "wasm": {{"types": [{{"params": ["i32"], "results": []}}, {{"params": [], "results": []}}],
           "imports": [{{"module": "env", "name": "print", "func": 0, "symbol": "print", "explicit_name": {explicit}}}],
           "functions": [{{"section": ".text.run", "type": 1}}]}}}}"#
        )
    };
    let flags = |object: &Path| -> String {
        let out = common::readobj(&["--symbols"], object);
        let at = out.find("Name: print").expect("a symbol print");
        out[at..].lines().take(6).collect::<Vec<_>>().join("\n")
    };
    let link = |object: &Path| {
        common::run(
            Command::new("wasm-ld-19")
                .args(["--no-entry", "--export=run"])
                .arg(object)
                .arg("-o")
                .arg(object.with_extension("wasm")),
        )
    };
    for explicit in [true, false] {
        let json = dir.join(format!("explicit_{explicit}.json"));
        let object = json.with_extension("o");
        std::fs::write(&json, spec(explicit)).expect("write the spec");
        common::build(&json, &object);
        let linked = link(&object);
        if explicit {
            assert_eq!(flags(&object), flags(&clang));
            assert!(
                linked.status.success(),
                "{}",
                String::from_utf8_lossy(&linked.stderr)
            );
        } else {
            // Without the flag the same object is an undefined reference to wasm-ld.
            assert!(!flags(&object).contains("EXPLICIT_NAME"));
            let stderr = String::from_utf8_lossy(&linked.stderr);
            assert!(
                !linked.status.success() && stderr.contains("undefined symbol: print"),
                "{stderr}"
            );
        }
    }
    assert!(link(&clang).status.success());
}

/// Like GNU as and LLVM, objforge writes a section symbol only for a section something
/// refers to through it; gcc's object of the same code has the same ones.
#[test]
fn section_symbols_only_where_relocations_use_them() {
    let dir = common::scratch("co_section_symbols");
    let (original, rebuilt) = compile_and_rebuild(&dir, "gcc", &["-O2"], "internal.c");
    let section_symbols = |object: &Path| -> Vec<String> {
        let out = common::run_ok(Command::new("readelf").arg("-sW").arg(object));
        let mut names: Vec<String> = out
            .lines()
            .filter(|l| l.contains(" SECTION "))
            .filter_map(|l| l.split_whitespace().nth(7).map(str::to_string))
            .collect();
        names.sort();
        names
    };
    let ours = section_symbols(&rebuilt);
    // gcc writes .text/.data/.bss symbols for sections nothing relocates against; objforge
    // writes exactly those the relocations use, a subset.
    let theirs = section_symbols(&original);
    assert!(
        ours.iter().all(|s| theirs.contains(s)),
        "{ours:?} vs {theirs:?}"
    );
    let relocated = common::run_ok(Command::new("readelf").arg("-rW").arg(&rebuilt));
    for name in &ours {
        assert!(
            relocated.contains(&format!(" {name} ")),
            "section symbol of {name} but no relocation uses it:\n{relocated}"
        );
    }
    assert!(!ours.is_empty(), "the .rodata string needs one");
}

/// An error quotes at most 80 characters of a value and says how long it was.
#[test]
fn errors_quote_long_values_briefly() {
    let dir = common::scratch("co_long_values");
    let long = "x".repeat(10_000);
    let cases = [
        (
            format!(r#"{{"target": "{long}-unknown-linux-gnu"}}"#),
            "objforge: target: unknown architecture",
        ),
        (
            format!(
                r#"{{"target": "x86_64-unknown-linux-gnu", "sections": [{{"name": ".t", "kind": "{long}", "size": 1}}]}}"#
            ),
            "objforge: sections[0].kind: unknown section kind",
        ),
    ];
    for (i, (spec, start)) in cases.iter().enumerate() {
        let path = dir.join(format!("long{i}.json"));
        std::fs::write(&path, spec).expect("write the spec");
        let out = common::run(
            common::objforge()
                .arg("build")
                .arg(&path)
                .arg("-o")
                .arg(dir.join("out.o")),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(start), "{stderr}");
        assert!(stderr.len() < 400, "{} bytes: {stderr}", stderr.len());
        assert!(stderr.contains(" characters)"), "{stderr}");
    }
    // The input file's own name is no value: it is printed whole, however long.
    let deep = dir.join("d".repeat(120));
    std::fs::create_dir_all(&deep).expect("create a directory");
    let junk = deep.join("not-an-object.o");
    std::fs::write(&junk, b"junk").expect("write the file");
    let (code, _, stderr) = dump_support::dump_with(&junk, &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!("objforge: {}: ", junk.display())),
        "{stderr}"
    );
}

mod coff_support;

/// MinGW's g++ writes `.xdata$F`/`.pdata$F` (x86_64) and `.eh_frame$F` (i686) of every inline
/// function as `.linkonce discard` COMDATs keyed by their own section symbols, and clang++
/// for windows-gnu does the same (or keys them by the static LSDA label inside). They dump as
/// groups named like the section (or the label) and come back the same; two objects sharing
/// the inline functions link (the duplicates discarded) and run, the exception caught
/// through them.
#[test]
fn mingw_linkonce_comdats_round_trip() {
    let dir = common::scratch("co_linkonce");
    let include = common::fixture("compiler_output");
    let include = format!("-I{}", include.display());
    let configs = [
        (
            "x86_64-w64-mingw32-g++",
            "gxx64",
            vec!["-O0", include.as_str()],
        ),
        (
            "i686-w64-mingw32-g++",
            "gxx32",
            vec!["-O0", include.as_str()],
        ),
        (
            "clang++-19",
            "clangxx64",
            vec!["--target=x86_64-pc-windows-gnu", "-O0", include.as_str()],
        ),
    ];
    for (compiler, tag, flags) in &configs {
        let sub = dir.join(tag);
        std::fs::create_dir_all(&sub).expect("create a directory");
        let mut objects = Vec::new();
        for source in ["linkonce_a.cpp", "linkonce_b.cpp"] {
            objects.push(compile_and_rebuild(&sub, compiler, flags, source));
        }
        let spec = std::fs::read_to_string(sub.join("linkonce_b.json")).expect("read the dump");
        // (clang's `.xdata$_Z7checkedi` holds its LSDA, a static label that keys it.)
        let group = match *tag {
            "gxx32" => "\".eh_frame$_Z7checkedi\"",
            "gxx64" => "\".xdata$_Z7checkedi\"",
            _ => "\".xdata$_Z5scalei\"",
        };
        assert!(
            spec.contains(&format!("\"comdat\":{group}")),
            "{tag}: {spec}"
        );
        if tag.starts_with("clang") {
            compile_and_rebuild(&sub, compiler, flags, "lsda.cpp");
            let spec = std::fs::read_to_string(sub.join("lsda.json")).expect("read the dump");
            let label = r#"{"name":"GCC_except_table1","section":".xdata$_Z1hB5cxx11PKc","#;
            assert!(spec.contains(label), "{spec}");
            assert!(spec.contains(r#""comdat":"GCC_except_table1""#), "{spec}");
            continue; // linked with the same libraries only by clang's own driver and sysroot
        }
        let mingw = compiler.to_string();
        for (which, pick) in [("original", 0), ("rebuilt", 1)] {
            let exe = sub.join(format!("{which}.exe"));
            let picked: Vec<&PathBuf> = objects
                .iter()
                .map(|o| if pick == 0 { &o.0 } else { &o.1 })
                .collect();
            common::run_ok(
                Command::new(&mingw)
                    .arg("-static")
                    .args(&picked)
                    .arg("-o")
                    .arg(&exe),
            );
            assert_eq!(
                coff_support::wine(&exe),
                (String::from("caught negative\ntotal 50\n"), 0),
                "{tag} {which}"
            );
        }
    }
}

/// GNU as gives the first static function of `.text` a function-definition record, like a
/// section definition's: the dump keeps the symbol (it once took it for the section's).
#[test]
fn mingw_static_function_with_a_definition_record_is_kept() {
    let dir = common::scratch("co_static_function");
    let source = dir.join("st.c");
    std::fs::write(
        &source,
        "static int hash(int x) { return x * 3; }\nint f(int x) { return hash(x) + 1; }\n",
    )
    .expect("write the source");
    for compiler in ["x86_64-w64-mingw32-gcc", "i686-w64-mingw32-gcc"] {
        let object = dir.join(format!("{compiler}.o"));
        common::run_ok(
            Command::new(compiler)
                .args(["-O0", "-c"])
                .arg(&source)
                .arg("-o")
                .arg(&object),
        );
        let spec = dir.join(format!("{compiler}.json"));
        dump_support::dump(&object, &spec);
        let text = std::fs::read_to_string(&spec).expect("read the dump");
        assert!(
            text.contains(r#"{"name":"hash","section":".text","kind":"func"}"#),
            "{text}"
        );
        let rebuilt = dir.join(format!("{compiler}.re.o"));
        common::build(&spec, &rebuilt);
        let nm = common::run_ok(Command::new("llvm-nm-19").arg(&rebuilt));
        assert!(
            nm.lines()
                .any(|l| l.ends_with(" t hash") || l.ends_with(" t _hash")),
            "{nm}"
        );
    }
}

/// clang with `-fdata-sections` puts each constant of a windows-gnu object in its own
/// `.rdata` section, a NODUPLICATES COMDAT keyed by the constant's static label (`.str`,
/// `get.tab`): the groups are named by those labels, and the rebuilt object keys them the
/// same way, the label static right after its section's symbol.
#[test]
fn clang_coff_comdats_keyed_by_static_labels_round_trip() {
    let dir = common::scratch("co_static_keys");
    let source = dir.join("rd.c");
    std::fs::write(
        &source,
        "static const char *names[] = {\"a\", \"b\"};\n\
         const char *get(int i) { static const int tab[] = {3, 1, 4, 1, 5, 9}; return names[tab[i] & 1]; }\n",
    )
    .expect("write the source");
    for target in ["x86_64-pc-windows-gnu", "i686-pc-windows-gnu"] {
        let object = dir.join(format!("{target}.o"));
        common::run_ok(
            Command::new("clang-19")
                .arg(format!("--target={target}"))
                .args(["-O2", "-fdata-sections", "-c"])
                .arg(&source)
                .arg("-o")
                .arg(&object),
        );
        dump_support::rebuild_to_fixed_point(&dir, &[target]);
        let spec = std::fs::read_to_string(dir.join(format!("{target}.json"))).expect("read");
        for group in [".str", ".str.1", "get.tab"] {
            assert!(
                spec.contains(&format!("\"comdat\":\"{group}\"")),
                "{target}: {spec}"
            );
        }
        // Each key: static, the symbol right after its section's own.
        let keys = |object: &Path| -> Vec<String> {
            let out = common::readobj(&["--symbols"], object);
            let names: Vec<&str> = out
                .lines()
                .filter_map(|l| l.trim().strip_prefix("Name: "))
                .collect();
            let classes: Vec<&str> = out
                .lines()
                .filter_map(|l| l.trim().strip_prefix("StorageClass: "))
                .collect();
            let mut keys: Vec<String> = names
                .windows(2)
                .zip(classes.windows(2))
                .filter(|(n, _)| n[0] == ".rdata")
                .map(|(n, c)| format!("{} {}", n[1], c[1]))
                .collect();
            keys.sort();
            keys
        };
        let rebuilt = dir.join(format!("{target}.re.o"));
        let want = keys(&object);
        assert!(want.iter().any(|k| k.contains(".str Static")), "{want:?}");
        assert_eq!(keys(&rebuilt), want, "{target}");
    }
}

/// clang with `-ffunction-sections` puts a weak function in its own COMDAT keyed by the weak
/// symbol's default (`.weak.hook.default.use`): the group is the weak symbol's, the rebuilt
/// object keys it by the default the writer makes, and the dump is a fixed point; the
/// program links with MinGW's ld and runs.
#[test]
fn clang_coff_weak_function_in_its_own_comdat_round_trips() {
    let dir = common::scratch("co_weak_comdat");
    let source = dir.join("wk.c");
    std::fs::write(
        &source,
        "__attribute__((weak)) int hook(int x) { return x * 2; }\nint use(int x) { return hook(x) + 1; }\n",
    )
    .expect("write the source");
    let main = dir.join("main.c");
    std::fs::write(
        &main,
        "int use(int x);\nint main(void) { return use(20) == 41 ? 0 : 1; }\n",
    )
    .expect("write the source");
    let object = dir.join("wk.o");
    common::run_ok(
        Command::new("clang-19")
            .args([
                "--target=x86_64-pc-windows-gnu",
                "-O2",
                "-ffunction-sections",
                "-c",
            ])
            .arg(&source)
            .arg("-o")
            .arg(&object),
    );
    dump_support::rebuild_to_fixed_point(&dir, &["wk"]);
    let spec = std::fs::read_to_string(dir.join("wk.json")).expect("read the dump");
    assert!(spec.contains(r#""comdat":"hook""#), "{spec}");
    let exe = dir.join("wk.exe");
    common::run_ok(
        Command::new("x86_64-w64-mingw32-gcc")
            .arg(&main)
            .arg(dir.join("wk.re.o"))
            .arg("-o")
            .arg(&exe),
    );
    assert_eq!(coff_support::wine(&exe), (String::new(), 0));
}
