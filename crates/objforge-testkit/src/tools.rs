//! The external checkers and linkers, run over many objects per invocation: `llvm-readobj-19
//! --all` (every format), `eu-elflint --gnu-ld --strict` (ELF), `wasm-validate` (Wasm, one
//! object per run) and the platform's linker (`ld.lld-19 -r` for ELF, `ld64.lld-19 -dylib` for
//! Mach-O, which has no `-r`, `lld-link-19 /dll` for COFF, `wasm-ld-19 -r` and a final
//! `wasm-ld-19` link for Wasm). A batch that fails is run again one object at a time, so
//! every finding names its object and nothing a batch causes (two objects' sections merged
//! past a field's reach) is blamed on one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use objforge::{Architecture, Format};

/// One problem a tool reported about one object.
#[derive(Debug)]
pub struct Finding {
    /// The object.
    pub file: PathBuf,
    /// The tool.
    pub tool: &'static str,
    /// What it said.
    pub message: String,
}

/// Objects per linker run.
const BATCH: usize = 40;

/// Objects per reader run (`llvm-readobj`, `eu-elflint`), which are cheap per object.
const READ_BATCH: usize = 250;

fn run(cmd: &mut Command) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!("`{program}` cannot run ({e}): scripts/test installs the test tools"),
    }
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Runs `check` over `files` in batches; a batch it rejects is checked one file at a time.
fn batched(
    files: &[PathBuf],
    tool: &'static str,
    check: &dyn Fn(&[PathBuf]) -> Option<String>,
) -> Vec<Finding> {
    batched_by(files, BATCH, tool, check)
}

/// [`batched`] with `size` objects per run.
fn batched_by(
    files: &[PathBuf],
    size: usize,
    tool: &'static str,
    check: &dyn Fn(&[PathBuf]) -> Option<String>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for chunk in files.chunks(size) {
        if check(chunk).is_none() {
            continue;
        }
        for file in chunk {
            if let Some(message) = check(std::slice::from_ref(file)) {
                findings.push(Finding {
                    file: file.clone(),
                    tool,
                    message,
                });
            }
        }
    }
    findings
}

/// `llvm-readobj-19 --all`: exit 0 and no warning.
pub fn readobj(files: &[PathBuf]) -> Vec<Finding> {
    batched_by(files, READ_BATCH, "llvm-readobj-19 --all", &|chunk| {
        let out = run(Command::new("llvm-readobj-19").arg("--all").args(chunk));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let bad = !out.status.success() || stderr.to_lowercase().contains("warning");
        bad.then(|| stderr.into_owned())
    })
}

/// `eu-elflint --gnu-ld --strict`: "No errors" for every file — but for what elfutils 0.188
/// cannot know: it predates RISC-V TLS descriptors, and calls each `R_RISCV_TLSDESC_*`
/// relocation an invalid type (which `llvm-readobj-19` confirms, relocation by relocation).
pub fn elflint(files: &[PathBuf]) -> Vec<Finding> {
    batched_by(
        files,
        READ_BATCH,
        "eu-elflint --gnu-ld --strict",
        &|chunk| {
            let out = run(Command::new("eu-elflint")
                .args(["--gnu-ld", "--strict"])
                .args(chunk));
            let all = text(&out);
            let clean = out.status.success() && all.matches("No errors").count() == chunk.len();
            let excused = !clean && chunk.len() == 1 && only_tlsdesc_types(&chunk[0], &all);
            (!clean && !excused).then_some(all)
        },
    )
}

/// Whether every line of `findings` (eu-elflint's, for `file`) is "section [ k] 'NAME':
/// relocation n: invalid type" for a relocation `llvm-readobj-19 -r` names `R_RISCV_TLSDESC_*`.
fn only_tlsdesc_types(file: &Path, findings: &str) -> bool {
    let listing = text(&run(Command::new("llvm-readobj-19").arg("-r").arg(file)));
    // Relocation types by section name, in order.
    let mut types: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut section = String::new();
    for line in listing.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Section (") {
            section = rest
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
        } else if line.starts_with("0x") {
            let ty = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            types.entry(section.clone()).or_default().push(ty);
        }
    }
    let mut any = false;
    for line in findings.lines().filter(|l| !l.trim().is_empty()) {
        let parsed = (|| {
            let name = line.split('\'').nth(1)?;
            let n: usize = line
                .split("relocation ")
                .nth(1)?
                .strip_suffix(": invalid type")?
                .parse()
                .ok()?;
            types
                .get(name)?
                .get(n)
                .map(|t| t.starts_with("R_RISCV_TLSDESC_"))
        })();
        if parsed != Some(true) {
            return false;
        }
        any = true;
    }
    any
}

/// The platform's linker accepts the objects: `ld.lld-19 -r` (ELF), `ld64.lld-19 -dylib
/// -undefined dynamic_lookup` (Mach-O), `lld-link-19 /dll /noentry /force:unresolved`
/// (COFF, keeping every section, `/opt:noref`; only undefined-symbol warnings are expected),
/// `wasm-ld-19 -r` and a final `wasm-ld-19` link that validates (Wasm). `scratch` holds the
/// outputs.
pub fn link(format: Format, arch: Architecture, files: &[PathBuf], scratch: &Path) -> Vec<Finding> {
    let out_file = scratch.join(format!("linked-{format}-{arch}"));
    match format {
        Format::Elf => batched(files, "ld.lld-19 -r", &|chunk| {
            let out = run(Command::new("ld.lld-19")
                .arg("-r")
                .args(chunk)
                .arg("-o")
                .arg(&out_file));
            let all = text(&out);
            (!out.status.success() || !all.trim().is_empty()).then_some(all)
        }),
        Format::MachO => {
            let arch = if arch == Architecture::Aarch64 {
                "arm64"
            } else {
                "x86_64"
            };
            batched(files, "ld64.lld-19 -dylib", &|chunk| {
                let out = run(Command::new("ld64.lld-19")
                    .args(["-arch", arch, "-dylib", "-undefined", "dynamic_lookup"])
                    .args(["-platform_version", "macos", "11.0", "14.0"])
                    .args(chunk)
                    .arg("-o")
                    .arg(&out_file));
                let all = text(&out);
                (!out.status.success() || !all.trim().is_empty()).then_some(all)
            })
        }
        Format::Coff => {
            let machine = match arch {
                Architecture::X86_64 => "/machine:x64",
                Architecture::I386 => "/machine:x86",
                _ => "/machine:arm64",
            };
            batched(files, "lld-link-19 /dll", &|chunk| {
                let out = run(Command::new("lld-link-19")
                    .args([
                        "/dll",
                        "/noentry",
                        "/force:unresolved",
                        "/safeseh:no",
                        "/opt:noref",
                    ])
                    .arg(machine)
                    .arg(format!("/out:{}", out_file.display()))
                    .args(chunk));
                let all = text(&out);
                // /force:unresolved turns undefined symbols into warnings, which are expected.
                let unexpected: Vec<&str> = all
                    .lines()
                    .filter(|l| {
                        let l = l.trim();
                        !l.is_empty()
                            && !l.contains("undefined symbol")
                            && !l.starts_with(">>>")
                            && !l.contains("output file")
                    })
                    .collect();
                (!unexpected.is_empty()).then(|| unexpected.join("\n"))
            })
        }
        Format::Wasm => {
            let mut findings = wasm_ld(arch, files, &out_file, true);
            findings.extend(wasm_ld(arch, files, &out_file, false));
            findings
        }
        other => vec![Finding {
            file: out_file,
            tool: "link",
            message: format!("no linker for {other:?}"),
        }],
    }
}

/// `wasm-ld-19` over a batch: `-r` (a relocatable link, as `ld.lld -r` for ELF), or a final
/// module (`--no-entry --export-all --allow-undefined`) that `wasm-validate` must accept too
/// (wasm32 only: for wasm64 wasm-ld makes the function table 64-bit, which wabt 1.0.32 cannot
/// read).
fn wasm_ld(
    arch: Architecture,
    files: &[PathBuf],
    out_file: &Path,
    relocatable: bool,
) -> Vec<Finding> {
    let is64 = arch == Architecture::Wasm64;
    let tool = if relocatable {
        "wasm-ld-19 -r"
    } else {
        "wasm-ld-19 --no-entry --export-all --allow-undefined"
    };
    batched(files, tool, &|chunk| {
        let mut cmd = Command::new("wasm-ld-19");
        if is64 {
            cmd.arg("-mwasm64");
        }
        if relocatable {
            cmd.arg("-r");
        } else {
            cmd.args(["--no-entry", "--export-all", "--allow-undefined"]);
        }
        let out = run(cmd.args(chunk).arg("-o").arg(out_file));
        let all = text(&out);
        if !out.status.success() || !all.trim().is_empty() {
            return Some(all);
        }
        if relocatable || is64 {
            return None;
        }
        validate_one(out_file, false)
    })
}

/// `wasm-validate` of one file: `None` when it is clean. wabt 1.0.32 predates
/// `R_WASM_FUNCTION_INDEX_I32` (type 26): a file whose only complaint is that type is checked
/// again ignoring custom-section errors (the module itself is still validated).
fn validate_one(file: &Path, is64: bool) -> Option<String> {
    let validate = |lenient: bool| {
        let mut cmd = Command::new("wasm-validate");
        if is64 {
            cmd.arg("--enable-memory64");
        }
        if lenient {
            cmd.arg("--ignore-custom-section-errors");
        }
        run(cmd.arg(file))
    };
    // Every line says the relocation type is unknown (as an error, or once ignored a warning).
    let only_new_type = |out: &Output| {
        text(out)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.ends_with("unknown reloc type: <error_reloc_type>"))
    };
    let out = validate(false);
    if out.status.success() && text(&out).trim().is_empty() {
        return None;
    }
    if only_new_type(&out) {
        let again = validate(true);
        if again.status.success() && only_new_type(&again) {
            return None;
        }
        return Some(text(&again));
    }
    Some(text(&out))
}

/// `wasm-validate` (with `--enable-memory64` for wasm64; the other features the generator
/// uses, reference types, SIMD, multi-value, mutable globals, are on by default), one file per
/// run, on two threads.
pub fn wasm_validate(arch: Architecture, files: &[PathBuf]) -> Vec<Finding> {
    let is64 = arch == Architecture::Wasm64;
    let half = files.len().div_ceil(2);
    let check = |part: &[PathBuf]| -> Vec<Finding> {
        part.iter()
            .filter_map(|f| {
                validate_one(f, is64).map(|message| Finding {
                    file: f.clone(),
                    tool: "wasm-validate",
                    message,
                })
            })
            .collect()
    };
    std::thread::scope(|scope| {
        let (a, b) = files.split_at(half.min(files.len()));
        let first = scope.spawn(|| check(a));
        let mut findings = check(b);
        let mut out = first.join().unwrap_or_default();
        out.append(&mut findings);
        out
    })
}

/// What objects linked in one run must agree on, as a key: the RISC-V float ABI, and for Wasm
/// whether the object has table symbols (wasm-ld refuses to link an object that names no tables
/// but imports the indirect function table, the form objforge writes when a model declares no
/// table, with one that imports tables by symbol).
pub fn link_key(obj: &objforge::Object) -> String {
    let tables = !obj.wasm.tables.is_empty()
        || obj
            .wasm
            .imports
            .iter()
            .any(|i| matches!(i.kind, objforge::wasm::ImportKind::Table(_)));
    format!("{:?} tables={tables}", obj.target.float_abi)
}

/// Whether this platform's GNU ld knows every relocation type `obj` uses: binutils 2.40
/// predates RISC-V TLS descriptors (`rv_tlsdesc_*`, which ld.lld links).
pub fn gnu_ld_knows(obj: &objforge::Object) -> bool {
    use objforge::RelocKind::*;
    !obj.relocations.iter().any(|r| {
        matches!(
            r.kind(),
            RvTlsdescHi20 | RvTlsdescLoadLo12 | RvTlsdescAddLo12 | RvTlsdescCall
        )
    })
}

/// GNU ld, the other linker of the platform where there is one: `ld -r` for ELF (the
/// architecture's binutils), MinGW's `ld -r` for x86_64 and i386 COFF.
pub fn link_gnu(
    format: Format,
    arch: Architecture,
    files: &[PathBuf],
    scratch: &Path,
) -> Vec<Finding> {
    let out_file = scratch.join(format!("gnu-linked-{format}-{arch}"));
    let (program, emulation): (&str, &[&str]) = match (format, arch) {
        (Format::Elf, Architecture::X86_64) => ("ld", &["-m", "elf_x86_64"]),
        (Format::Elf, Architecture::I386) => ("ld", &["-m", "elf_i386"]),
        (Format::Elf, Architecture::Aarch64) => ("aarch64-linux-gnu-ld", &[]),
        (Format::Elf, Architecture::Riscv64) => ("riscv64-linux-gnu-ld", &[]),
        (Format::Elf, Architecture::S390x) => ("s390x-linux-gnu-ld", &[]),
        (Format::Elf, Architecture::Ppc64le) => ("powerpc64le-linux-gnu-ld", &[]),
        (Format::Elf, Architecture::Arm) => ("arm-linux-gnueabihf-ld", &[]),
        (Format::Coff, Architecture::X86_64) => ("x86_64-w64-mingw32-ld", &[]),
        (Format::Coff, Architecture::I386) => ("i686-w64-mingw32-ld", &[]),
        _ => return Vec::new(),
    };
    batched(files, program, &|chunk| {
        let out = run(Command::new(program)
            .args(emulation)
            .arg("-r")
            .args(chunk)
            .arg("-o")
            .arg(&out_file));
        // An object that asks for an executable stack (`exec_stack`) is told it has one.
        let all: Vec<String> = text(&out)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("requires executable stack"))
            .map(str::to_string)
            .collect();
        (!out.status.success() || !all.is_empty()).then(|| all.join("\n"))
    })
}
