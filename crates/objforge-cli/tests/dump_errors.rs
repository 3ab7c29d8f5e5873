//! `objforge dump` on bad input: a truncated object, a file that is no object, an object for a
//! machine objforge does not write, a Wasm object, an archive. Each is one line on standard
//! error, a non-zero exit, and no output file. Damaged objects (truncated at every length,
//! bytes flipped) never make it panic. And the command line: `--pretty`, the compact form,
//! side files, standard output, usage errors.

mod common;
mod dump_support;

use std::path::{Path, PathBuf};

/// Builds the fixture spec `rel` into `dir/NAME.o`.
fn object(dir: &Path, rel: &str, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.o"));
    common::build(&common::fixture(rel), &out);
    out
}

/// One object of each format (ELF x86_64/i386/riscv64, Mach-O arm64, COFF x86_64).
fn corpus(dir: &Path) -> Vec<PathBuf> {
    vec![
        object(dir, "x86_64/static_all.json", "elf_x86_64"),
        object(dir, "i386/static_all.json", "elf_i386"),
        object(dir, "riscv64/every_reloc.json", "elf_riscv64"),
        object(dir, "macho/arm64_program.json", "macho_arm64"),
        object(dir, "coff/every_reloc_x86_64.json", "coff_x86_64"),
        object(dir, "coff/every_reloc_i386.json", "coff_i386"),
    ]
}

/// Runs `objforge dump FILE -o OUT` and checks it fails as bad input must: exit 1, one line
/// `objforge: FILE: ...` on standard error, nothing on standard output, no OUT. Returns the
/// message.
fn refused(file: &Path, out: &Path) -> String {
    let _ = std::fs::remove_file(out);
    let (code, stdout, stderr) =
        dump_support::dump_with(file, &["-o", out.to_str().expect("a UTF-8 path")]);
    assert_eq!(
        code,
        1,
        "{}: exit code {code}, stderr:\n{stderr}",
        file.display()
    );
    assert!(stdout.is_empty(), "{}: printed {stdout}", file.display());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{}: not one line:\n{stderr}",
        file.display()
    );
    assert!(
        lines[0].starts_with(&format!("objforge: {}: ", file.display())),
        "{}: {}",
        file.display(),
        lines[0]
    );
    assert!(
        !out.exists(),
        "{}: {} was written",
        file.display(),
        out.display()
    );
    let side = out.with_extension("d");
    assert!(
        !side.exists(),
        "{}: {} was made",
        file.display(),
        side.display()
    );
    lines[0].to_string()
}

#[test]
fn bad_input_is_one_line_a_failure_and_no_output() {
    let dir = common::scratch("dump_bad_input");
    let out = dir.join("out.json");
    let elf = object(&dir, "x86_64/static_all.json", "good");
    let bytes = std::fs::read(&elf).expect("read the object");

    // Truncated: the section headers are at the end of an ELF file.
    let truncated = dir.join("truncated.o");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let m = refused(&truncated, &out);
    assert!(m.contains("truncated or malformed"), "{m}");

    // Not an object at all.
    let text = dir.join("notes.txt");
    std::fs::write(&text, "hello, this is not an object file\n").expect("write");
    let m = refused(&text, &out);
    assert!(m.contains("not an object file"), "{m}");
    let empty = dir.join("empty.o");
    std::fs::write(&empty, b"").expect("write");
    refused(&empty, &out);

    // A machine objforge does not write: EM_ARM in an ELFCLASS64 file (32-bit Arm objects are
    // ELFCLASS32), COFF for ARMNT, Mach-O PowerPC.
    let mut arm = bytes.clone();
    arm[18..20].copy_from_slice(&40u16.to_le_bytes()); // e_machine = EM_ARM
    let arm_path = dir.join("arm.o");
    std::fs::write(&arm_path, &arm).expect("write");
    let m = refused(&arm_path, &out);
    assert!(m.contains("unsupported machine 32-bit Arm"), "{m}");
    let coff = object(&dir, "coff/every_reloc_x86_64.json", "coff");
    let mut armnt = std::fs::read(&coff).expect("read");
    armnt[..2].copy_from_slice(&0x1c4u16.to_le_bytes());
    let armnt_path = dir.join("armnt.obj");
    std::fs::write(&armnt_path, &armnt).expect("write");
    let m = refused(&armnt_path, &out);
    assert!(m.contains("unsupported machine: COFF for ARMNT"), "{m}");
    let macho = object(&dir, "macho/arm64_program.json", "macho");
    let mut ppc = std::fs::read(&macho).expect("read");
    ppc[4..8].copy_from_slice(&0x0100_0012u32.to_le_bytes()); // CPU_TYPE_POWERPC64
    let ppc_path = dir.join("ppc.o");
    std::fs::write(&ppc_path, &ppc).expect("write");
    let m = refused(&ppc_path, &out);
    assert!(m.contains("unsupported machine PowerPC 64"), "{m}");

    // Not yet: Wasm. Not an object: an archive, an executable.
    let wasm = dir.join("module.wasm");
    std::fs::write(&wasm, b"\0asm\x01\0\0\0").expect("write");
    let m = refused(&wasm, &out);
    assert!(
        m.contains("WebAssembly") && m.contains("cannot dump Wasm yet"),
        "{m}"
    );
    let archive = dir.join("lib.a");
    std::fs::write(&archive, b"!<arch>\n").expect("write");
    assert!(refused(&archive, &out).contains("archive"));
    let mut exe = bytes.clone();
    exe[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    let exe_path = dir.join("a.out");
    std::fs::write(&exe_path, &exe).expect("write");
    assert!(refused(&exe_path, &out).contains("an executable"));

    // A missing file.
    let m = refused(&dir.join("missing.o"), &out);
    assert!(m.contains("cannot read"), "{m}");

    // A spec that existed before stays as it was.
    std::fs::write(&out, "old").expect("write");
    let (code, _, _) = dump_support::dump_with(&text, &["-o", out.to_str().unwrap_or("")]);
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "old");
}

/// A small deterministic generator (SplitMix64) for the damaged inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Dumps every file in `files` (in parallel batches) and returns, per file, the exit code and
/// standard error.
fn dump_many(files: &[PathBuf]) -> Vec<(i32, String)> {
    let mut results = Vec::new();
    for batch in files.chunks(32) {
        let children: Vec<_> = batch
            .iter()
            .map(|f| {
                common::objforge()
                    .arg("dump")
                    .arg(f)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start objforge")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("wait for objforge");
            results.push((
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ));
        }
    }
    results
}

#[test]
fn damaged_objects_never_panic() {
    let dir = common::scratch("dump_damaged");
    let mut files = Vec::new();
    let mut rng = Rng(0x0bf0_f0f0);
    for (n, obj) in corpus(&dir).iter().enumerate() {
        let bytes = std::fs::read(obj).expect("read");
        // Truncated at 48 lengths spread over the file.
        for k in 0..48 {
            let len = bytes.len() * k / 48;
            let path = dir.join(format!("t{n}_{k}.o"));
            std::fs::write(&path, &bytes[..len]).expect("write");
            files.push(path);
        }
        // A few bytes set to random values, in the headers and anywhere.
        for k in 0..64 {
            let mut damaged = bytes.clone();
            for _ in 0..1 + rng.next() % 4 {
                let range = if k % 2 == 0 {
                    256.min(damaged.len())
                } else {
                    damaged.len()
                };
                let at = (rng.next() % range as u64) as usize;
                damaged[at] = rng.next() as u8;
            }
            let path = dir.join(format!("d{n}_{k}.o"));
            std::fs::write(&path, &damaged).expect("write");
            files.push(path);
        }
    }
    let results = dump_many(&files);
    for (file, (code, stderr)) in files.iter().zip(&results) {
        assert!(
            *code == 0 || (*code == 1 && stderr.lines().count() == 1),
            "{}: exit {code}:\n{stderr}",
            file.display()
        );
    }
}

#[test]
fn compact_pretty_stdout_and_side_files() {
    let dir = common::scratch("dump_output_forms");
    let obj = object(&dir, "x86_64/static_all.json", "static_all");

    // Compact (the default): a line per section, symbol and relocation.
    let (code, compact, _) = dump_support::dump_with(&obj, &[]);
    assert_eq!(code, 0);
    assert!(
        compact
            .lines()
            .any(|l| l.starts_with("  {\"name\":\".text\"")),
        "{compact}"
    );
    let (code, pretty, _) = dump_support::dump_with(&obj, &["--pretty"]);
    assert_eq!(code, 0);
    assert!(pretty.contains("\n      \"name\": \".text\""), "{pretty}");
    let a: serde_json::Value = serde_json::from_str(&compact).expect("compact is JSON");
    let b: serde_json::Value = serde_json::from_str(&pretty).expect("pretty is JSON");
    assert_eq!(a, b);

    // Side files: every section over 16 bytes goes to SPEC.d/, and the spec still builds
    // into the same object.
    let spec = dir.join("out.json");
    let (code, _, stderr) = dump_support::dump_with(
        &obj,
        &["-o", spec.to_str().expect("utf-8"), "--max-inline", "16"],
    );
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&spec).expect("read the spec");
    assert!(text.contains("\"file\":\"out.d/"), "{text}");
    assert!(dir.join("out.d").read_dir().expect("side files").count() > 0);
    let again = dir.join("again.o");
    common::build(&spec, &again);
    assert_eq!(
        std::fs::read(&obj).expect("read"),
        std::fs::read(&again).expect("read")
    );

    // Standard input works, the output may be given as `-oFILE`.
    let piped = common::run(
        common::objforge()
            .args(["dump", "-"])
            .stdin(std::fs::File::open(&obj).expect("open")),
    );
    assert!(piped.status.success());
    assert_eq!(String::from_utf8_lossy(&piped.stdout), compact);

    // The command line: exit 2 and a pointer to the help.
    for args in [
        &["dump"][..],
        &["dump", "a.o", "b.o"],
        &["dump", "a.o", "--bogus"],
        &["dump", "a.o", "-o"],
        &["dump", "a.o", "--max-inline", "lots"],
    ] {
        let out = common::run(common::objforge().args(args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("objforge help dump"), "{args:?}: {stderr}");
    }
    let help = common::run_ok(common::objforge().args(["help", "dump"]));
    assert!(help.starts_with("usage: objforge dump OBJ"));
    let usage = common::run_ok(common::objforge().arg("--help"));
    assert!(usage.contains("objforge dump OBJ"));
}

#[test]
fn what_is_left_out_is_a_note() {
    let dir = common::scratch("dump_notes");
    let obj = dir.join("fmt.o");
    common::run_ok(
        std::process::Command::new("riscv64-linux-gnu-gcc")
            .args(["-O2", "-c"])
            .arg(common::fixture("dump/c/fmt.c"))
            .arg("-o")
            .arg(&obj),
    );
    let (code, stdout, stderr) = dump_support::dump_with(&obj, &[]);
    assert_eq!(code, 0, "{stderr}");
    let notes: Vec<&str> = stderr.lines().collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].starts_with(&format!(
            "objforge: note: {}: left out .riscv.attributes",
            obj.display()
        )),
        "{stderr}"
    );
    let spec: serde_json::Value = serde_json::from_str(&stdout).expect("the spec is JSON");
    assert_eq!(spec["target"], "riscv64gc-unknown-linux-gnu");
}
