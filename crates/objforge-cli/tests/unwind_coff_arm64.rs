//! Windows arm64 unwind information from `seh` codes: `fixtures/unwind/windows_arm64.json`
//! becomes `.pdata` and `.xdata` that `llvm-readobj-19 --unwind` shows exactly as for the
//! object clang-19 assembles from the same `.seh_*` directives (`windows_arm64.s`): packed
//! entries, full records with epilogue scopes, a packed epilogue, epilogues sharing the
//! prologue's codes, and an exception handler with its data. lld-link links it (arm64 code
//! cannot run here).

mod coff_support;
mod common;

use std::path::Path;
use std::process::Command;

use coff_support::Arch;

/// `llvm-readobj-19 --unwind`, without the file name lines.
fn unwind_listing(obj: &Path) -> String {
    common::readobj(&["--unwind"], obj)
        .lines()
        .skip_while(|l| !l.starts_with("UnwindInformation"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The relocations as `SECTION OFFSET TYPE SYMBOL`, sorted (objforge and clang list them in
/// different orders and number their symbols differently).
fn relocations(obj: &Path) -> Vec<String> {
    let text = common::readobj(&["-r"], obj);
    let mut section = String::new();
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Section (") {
            section = rest.split_whitespace().nth(1).unwrap_or("").to_string();
        } else if line.starts_with("0x") {
            let mut words = line.split_whitespace();
            let (offset, kind, symbol) = (words.next(), words.next(), words.next());
            lines.push(format!(
                "{section} {} {} {}",
                offset.unwrap_or(""),
                kind.unwrap_or(""),
                symbol.unwrap_or("")
            ));
        }
    }
    lines.sort();
    lines
}

fn clang_object(dir: &Path) -> std::path::PathBuf {
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=aarch64-pc-windows-msvc", "-c"])
            .arg(common::fixture("unwind/windows_arm64.s"))
            .arg("-o")
            .arg(&clang),
    );
    clang
}

#[test]
fn same_unwind_records_as_clang() {
    let dir = common::scratch("unwind_coff_arm64_codes");
    let ours = dir.join("objforge.o");
    coff_support::build_checked(&common::fixture("unwind/windows_arm64.json"), &ours);
    let clang = clang_object(&dir);
    let listing = unwind_listing(&ours);
    // Both forms are there: packed entries and records with scopes.
    assert!(listing.contains("CR: 3"), "{listing}");
    assert!(listing.contains("EpilogueScopes: 2"), "{listing}");
    assert!(listing.contains("EpiloguePacked: Yes"), "{listing}");
    assert!(
        listing.contains("Routine: __C_specific_handler"),
        "{listing}"
    );
    assert_eq!(listing, unwind_listing(&clang));
    assert_eq!(relocations(&ours), relocations(&clang));
}

/// Codes derived from `cfi` rules given one instruction at a time, as GCC writes them
/// (`through_windows_cfi_arm64.json`): the records equal clang-19's for the `.seh_*`
/// directives the `.s` gives beside its `.cfi_*` ones.
#[test]
fn codes_derived_from_cfi_as_clang_writes_them() {
    let dir = common::scratch("unwind_coff_arm64_cfi");
    let ours = dir.join("objforge.o");
    coff_support::build_checked(
        &common::fixture("unwind/through_windows_cfi_arm64.json"),
        &ours,
    );
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=aarch64-pc-windows-msvc", "-c"])
            .arg(common::fixture("unwind/through_windows_cfi_arm64.s"))
            .arg("-o")
            .arg(&clang),
    );
    let listing = unwind_listing(&ours);
    assert!(listing.contains("EpilogueScopes: 2"), "{listing}");
    assert_eq!(listing, unwind_listing(&clang));
}

/// lld-link links the object (with a stand-in `__C_specific_handler`), and the image's
/// `.pdata` lists every function.
#[test]
fn lld_link_links_it() {
    let dir = common::scratch("unwind_coff_arm64_link");
    let ours = dir.join("objforge.o");
    common::build(&common::fixture("unwind/windows_arm64.json"), &ours);
    let stub_source = dir.join("stub.s");
    std::fs::write(
        &stub_source,
        "\t.text\n\t.globl __C_specific_handler\n__C_specific_handler:\n\tret\n",
    )
    .unwrap();
    let stub = dir.join("stub.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=aarch64-pc-windows-msvc", "-c"])
            .arg(&stub_source)
            .arg("-o")
            .arg(&stub),
    );
    let exe = dir.join("x.exe");
    coff_support::lld_link(Arch::Arm64, &[&ours, &stub], &["/entry:packed_fp"], &exe);
    let listing = common::readobj(&["--unwind"], &exe);
    assert_eq!(listing.matches("RuntimeFunction {").count(), 7, "{listing}");
    assert!(listing.contains("ExceptionHandler ["), "{listing}");
}

/// `objforge dump` turns the tables back into the same `seh` codes: building the dump gives
/// the same object.
#[test]
fn dump_gives_the_codes_back() {
    let dir = common::scratch("unwind_coff_arm64_dump");
    let ours = dir.join("objforge.o");
    common::build(&common::fixture("unwind/windows_arm64.json"), &ours);
    let spec = dir.join("dumped.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&ours)
            .arg("-o")
            .arg(&spec),
    );
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.contains("\"unwind\""), "{text}");
    assert!(!text.contains("\".pdata\""), "{text}");
    let rebuilt = dir.join("rebuilt.o");
    common::build(&spec, &rebuilt);
    assert_eq!(unwind_listing(&rebuilt), unwind_listing(&ours));
    // And the clang object decodes as well.
    let clang = clang_object(&dir);
    let spec = dir.join("clang.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&clang)
            .arg("-o")
            .arg(&spec),
    );
    let rebuilt = dir.join("clang_rebuilt.o");
    common::build(&spec, &rebuilt);
    assert_eq!(unwind_listing(&rebuilt), unwind_listing(&clang));
}

/// A seeded xorshift generator: the same functions every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One code: its directive (without `.seh_`) and its `seh` JSON.
struct Code {
    directive: String,
    json: String,
}

fn code(op: &str, reg: Option<String>, value: Option<u64>) -> Code {
    let value_key = if op == "stackalloc" { "size" } else { "offset" };
    let directive = match (&reg, value) {
        (Some(r), Some(v)) => format!("{op} {r}, {v}"),
        (None, Some(v)) => format!("{op} {v}"),
        _ => op.to_string(),
    };
    let mut json = format!(r#""op": "{op}""#);
    if let Some(r) = reg {
        json += &format!(r#", "reg": "{r}""#);
    }
    if let Some(v) = value {
        json += &format!(r#", "{value_key}": {v}"#);
    }
    Code { directive, json }
}

/// A random code LLVM's assembler takes.
fn random_code(rng: &mut Rng) -> Code {
    let x =
        |rng: &mut Rng, low: u64, high: u64| Some(format!("x{}", low + rng.below(high - low + 1)));
    let d =
        |rng: &mut Rng, low: u64, high: u64| Some(format!("d{}", low + rng.below(high - low + 1)));
    let scaled = |rng: &mut Rng, low: u64, high: u64, scale: u64| {
        Some((low / scale + rng.below((high - low) / scale + 1)) * scale)
    };
    match rng.below(17) {
        0 => code("stackalloc", None, scaled(rng, 16, 496, 16)),
        1 => code("stackalloc", None, scaled(rng, 512, 16368, 16)),
        2 => code("stackalloc", None, scaled(rng, 16384, 1 << 20, 16)),
        3 => code("save_fplr", None, scaled(rng, 0, 504, 8)),
        4 => code("save_fplr_x", None, scaled(rng, 8, 512, 8)),
        5 => code("save_reg", x(rng, 19, 30), scaled(rng, 0, 504, 8)),
        6 => code("save_reg_x", x(rng, 19, 30), scaled(rng, 8, 256, 8)),
        7 => code("save_regp", x(rng, 19, 29), scaled(rng, 0, 504, 8)),
        8 => code("save_regp_x", x(rng, 19, 29), scaled(rng, 8, 512, 8)),
        9 => code(
            "save_lrpair",
            Some(format!("x{}", 19 + 2 * rng.below(5))),
            scaled(rng, 0, 504, 8),
        ),
        10 => code("save_freg", d(rng, 8, 15), scaled(rng, 0, 504, 8)),
        11 => code("save_freg_x", d(rng, 8, 15), scaled(rng, 8, 256, 8)),
        12 => code("save_fregp", d(rng, 8, 14), scaled(rng, 0, 504, 8)),
        13 => code("save_fregp_x", d(rng, 8, 14), scaled(rng, 8, 512, 8)),
        14 => code("set_fp", None, None),
        15 => code("add_fp", None, scaled(rng, 0, 2040, 8)),
        _ => code("nop", None, None),
    }
}

/// A canonical prologue (what packs, when its epilogue mirrors it): registers from x19 in
/// pairs, lr alone or with the frame record, d8 up, the rest of the frame.
fn canonical_prologue(rng: &mut Rng) -> Vec<Code> {
    let reg_i = rng.below(11);
    let floats = *rng.pick(&[0, 0, 2, 3, 4, 8]);
    let cr = *rng.pick(&[0, 1, 3, 3]);
    let lr_alone = cr == 1 && reg_i != 1;
    let saved = (8 * (reg_i + u64::from(lr_alone) + floats) + 15) & !15;
    let mut codes = Vec::new();
    let mut i = 0;
    while i < reg_i {
        if reg_i - i >= 2 {
            codes.push(if i == 0 {
                code("save_regp_x", Some("x19".into()), Some(saved))
            } else {
                code("save_regp", Some(format!("x{}", 19 + i)), Some(8 * i))
            });
            i += 2;
        } else if i == 0 {
            codes.push(code("save_reg_x", Some("x19".into()), Some(saved)));
            i += 1;
        } else if lr_alone {
            codes.push(code(
                "save_lrpair",
                Some(format!("x{}", 19 + i)),
                Some(8 * i),
            ));
            i += 1;
        } else {
            codes.push(code("save_reg", Some(format!("x{}", 19 + i)), Some(8 * i)));
            i += 1;
        }
    }
    if lr_alone && (reg_i.is_multiple_of(2) || reg_i == 0) {
        codes.push(if reg_i == 0 {
            code("save_reg_x", Some("x30".into()), Some(saved))
        } else {
            code("save_reg", Some("x30".into()), Some(8 * reg_i))
        });
    }
    let mut f = 0;
    while f < floats {
        let offset = 8 * (reg_i + u64::from(lr_alone) + f);
        if f == 0 && reg_i == 0 && !lr_alone {
            codes.push(code("save_fregp_x", Some("d8".into()), Some(saved)));
            f += 2;
        } else if floats - f >= 2 {
            codes.push(code(
                "save_fregp",
                Some(format!("d{}", 8 + f)),
                Some(offset),
            ));
            f += 2;
        } else {
            codes.push(code("save_freg", Some(format!("d{}", 8 + f)), Some(offset)));
            f += 1;
        }
    }
    let local = 16 * rng.below(40);
    if cr == 3 {
        if local <= 512 && rng.below(2) == 0 {
            codes.push(code("save_fplr_x", None, Some(local.max(16))));
        } else {
            codes.push(code("stackalloc", None, Some(local + 16)));
            codes.push(code("save_fplr", None, Some(0)));
        }
        codes.push(code("set_fp", None, None));
    } else if local > 0 {
        codes.push(code("stackalloc", None, Some(local)));
    }
    codes
}

/// Prologues and epilogues LLVM writes in every form, random but seeded: canonical ones with
/// mirrored epilogues (packed), arbitrary codes, epilogues that are the prologue's tail,
/// equal epilogues, epilogues in the middle, long code lists (extension word). objforge's
/// records equal clang-19's for the same directives.
#[test]
fn random_functions_as_clang_writes_them() {
    let dir = common::scratch("unwind_coff_arm64_random");
    let mut rng = Rng(0x0005_eed0_fa11_c0de);
    const NOP: &str = "1f2003d5";
    const RET: &str = "c0035fd6";
    let mut asm = String::from("\t.text\n");
    let mut hex = String::new();
    let mut symbols = Vec::new();
    let mut entries = Vec::new();
    let mut offset = 0u64;
    for n in 0..300 {
        let name = format!("f{n}");
        let prologue: Vec<Code> = match rng.below(4) {
            0 | 1 => canonical_prologue(&mut rng),
            2 => (0..rng.below(6)).map(|_| random_code(&mut rng)).collect(),
            _ => (0..40 + rng.below(40))
                .map(|_| random_code(&mut rng))
                .collect(),
        };
        // Epilogues: codes in the order their instructions run.
        let mirror = |prologue: &[Code], skip_set_fp: bool| -> Vec<Code> {
            prologue
                .iter()
                .rev()
                .filter(|c| !(skip_set_fp && c.directive == "set_fp"))
                .map(|c| Code {
                    directive: c.directive.clone(),
                    json: c.json.clone(),
                })
                .collect()
        };
        let mut epilogues: Vec<Vec<Code>> = Vec::new();
        for _ in 0..rng.below(4) {
            epilogues.push(match rng.below(5) {
                0 | 1 => mirror(&prologue, rng.below(2) == 0),
                2 => {
                    let tail = rng.below(prologue.len() as u64 + 1) as usize;
                    mirror(&prologue[..tail], false)
                }
                3 if !epilogues.is_empty() => mirror(
                    &epilogues[0]
                        .iter()
                        .rev()
                        .map(|c| Code {
                            directive: c.directive.clone(),
                            json: c.json.clone(),
                        })
                        .collect::<Vec<_>>(),
                    false,
                ),
                _ => (0..rng.below(5)).map(|_| random_code(&mut rng)).collect(),
            });
        }
        asm += &format!("\t.globl {name}\n\t.p2align 2\n\t.seh_proc {name}\n{name}:\n");
        symbols.push(format!(
            r#"{{"name": "{name}", "section": ".text", "offset": {offset}, "kind": "func", "binding": "global"}}"#
        ));
        let mut seh = Vec::new();
        let mut at = 0u64;
        for c in &prologue {
            asm += &format!("\tnop\n\t.seh_{}\n", c.directive);
            hex += NOP;
            at += 4;
            seh.push(format!(r#"{{"at": {at}, {}}}"#, c.json));
        }
        asm += "\t.seh_endprologue\n";
        seh.push(format!(r#"{{"at": {at}, "op": "endprologue"}}"#));
        for (k, e) in epilogues.iter().enumerate() {
            // Some body, then the epilogue; the last one sometimes at the very end.
            for _ in 0..rng.below(3) + u64::from(k == 0) {
                asm += "\tnop\n";
                hex += NOP;
                at += 4;
            }
            asm += "\t.seh_startepilogue\n";
            seh.push(format!(r#"{{"at": {at}, "op": "startepilogue"}}"#));
            for c in e {
                asm += &format!("\tnop\n\t.seh_{}\n", c.directive);
                hex += NOP;
                at += 4;
                seh.push(format!(r#"{{"at": {at}, {}}}"#, c.json));
            }
            asm += "\t.seh_endepilogue\n\tret\n";
            seh.push(format!(r#"{{"at": {at}, "op": "endepilogue"}}"#));
            hex += RET;
            at += 4;
        }
        if epilogues.is_empty() || rng.below(3) == 0 {
            asm += "\tret\n";
            hex += RET;
            at += 4;
        }
        asm += "\t.seh_endproc\n";
        entries.push(format!(
            "{{\"section\": \".text\", \"offset\": {offset}, \"size\": {at}, \"seh\": [\n{}]}}",
            seh.join(",\n")
        ));
        offset += at;
    }
    let source = dir.join("random.s");
    std::fs::write(&source, &asm).unwrap();
    let spec = dir.join("random.json");
    std::fs::write(
        &spec,
        format!(
            "{{\"target\": \"aarch64-pc-windows-msvc\",\n\"sections\": [{{\"name\": \".text\", \"kind\": \"text\", \"align\": 4, \"hex\": \"{hex}\"}}],\n\"symbols\": [{}],\n\"unwind\": [{}]}}\n",
            symbols.join(",\n"),
            entries.join(",\n")
        ),
    )
    .unwrap();
    let ours = dir.join("objforge.o");
    common::build(&spec, &ours);
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=aarch64-pc-windows-msvc", "-c"])
            .arg(&source)
            .arg("-o")
            .arg(&clang),
    );
    let (theirs, mine) = (unwind_listing(&clang), unwind_listing(&ours));
    for form in [
        "CR: 3",
        "EpilogueScopes: 2",
        "EpiloguePacked: Yes",
        "EpilogueScopes: 0",
    ] {
        assert!(theirs.contains(form), "the functions have no {form}");
    }
    if theirs != mine {
        let first = theirs
            .lines()
            .zip(mine.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let context: Vec<String> = theirs
            .lines()
            .zip(mine.lines())
            .skip(first.saturating_sub(30))
            .take(40)
            .map(|(a, b)| format!("{a:60} | {b}"))
            .collect();
        panic!(
            "clang | objforge differ at line {first}:\n{}",
            context.join("\n")
        );
    }
    // And the dump gives them back.
    let dumped = dir.join("dumped.json");
    common::run_ok(
        common::objforge()
            .arg("dump")
            .arg(&ours)
            .arg("-o")
            .arg(&dumped),
    );
    assert!(!std::fs::read_to_string(&dumped)
        .unwrap()
        .contains("\".xdata\""));
    let rebuilt = dir.join("rebuilt.o");
    common::build(&dumped, &rebuilt);
    assert_eq!(unwind_listing(&rebuilt), mine);
}

/// clang-19's own Windows arm64 objects of our C programs (`fixtures/dump/c`, at -O0 and -O2):
/// `objforge dump` turns their `.pdata`/`.xdata` into `unwind` entries, the object built from
/// the dump has the same records, and its dump is the same spec.
#[test]
fn clang_objects_dump_to_entries_and_back() {
    let dir = common::scratch("unwind_coff_arm64_clang_objects");
    let sources = common::fixture("dump/c");
    let mut decoded = 0;
    for source in ["calc_vm.c", "ledger_ops.c", "ray_scene.c"] {
        for opt in ["-O0", "-O2"] {
            let stem = format!("{source}{opt}");
            let obj = dir.join(format!("{stem}.o"));
            common::run_ok(
                Command::new("clang-19")
                    .args(["--target=aarch64-pc-windows-msvc", opt, "-c"])
                    .arg(sources.join(source))
                    .arg("-o")
                    .arg(&obj),
            );
            let dump = |obj: &Path, spec: &Path| {
                common::run_ok(common::objforge().arg("dump").arg(obj).arg("-o").arg(spec));
                std::fs::read_to_string(spec).unwrap()
            };
            let spec = dir.join(format!("{stem}.json"));
            let first = dump(&obj, &spec);
            if first.contains("\"unwind\"") {
                decoded += 1;
            }
            let rebuilt = dir.join(format!("{stem}.re.o"));
            common::build(&spec, &rebuilt);
            assert_eq!(unwind_listing(&rebuilt), unwind_listing(&obj), "{stem}");
            assert_eq!(
                dump(&rebuilt, &dir.join(format!("{stem}.re.json"))),
                first,
                "{stem}"
            );
        }
    }
    assert_eq!(decoded, 6, "every object's tables decode");
}
