//! Unwind information on Mach-O: the `unwind` entries of `fixtures/unwind/macho_ARCH.json`
//! become `__LD,__compact_unwind` and `__TEXT,__eh_frame`; ld64.lld links the object, and
//! `llvm-objdump-19 --unwind-info` of the linked program gives every function the encoding it
//! gives clang's (llvm-mc-19's) object from the same prologues written with `.cfi_*`
//! directives (`macho_ARCH.s`): frame-pointer frames with saved registers, frameless functions
//! with a small (and on x86_64 a large) stack, and functions only DWARF describes, whose
//! encoding points at their FDE in the linked `__eh_frame`. The C++ personality routine and
//! the LSDAs land in the same places. `llvm-dwarfdump-19 --eh-frame` reads every object and
//! image cleanly, `objforge dump` gives the entries back, and bad input is a one-line error.

mod common;
mod macho_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Arch {
    /// The Mach-O name (`-arch`, file names).
    name: &'static str,
    /// What `llvm-objdump-19 --unwind-info` of the linked program gives each function.
    expected: &'static [(&'static str, Encoding)],
}

/// A function's encoding in the linked `__unwind_info`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Encoding {
    /// This compact encoding.
    Compact(u32),
    /// DWARF mode: the mode bits are these, the rest the FDE's offset in `__eh_frame`.
    Dwarf(u32),
}

const ARM64: Arch = Arch {
    name: "arm64",
    expected: &[
        // UNWIND_ARM64_MODE_FRAME, x19-x22 (two pairs) and d8/d9.
        ("_frame", Encoding::Compact(0x0400_0103)),
        // UNWIND_ARM64_MODE_FRAMELESS, 32 bytes of stack (2 in units of 16).
        ("_leaf", Encoding::Compact(0x0200_2000)),
        ("_single", Encoding::Dwarf(0x0300_0000)),
        ("_empty", Encoding::Compact(0x0200_0000)),
        // A frame, UNWIND_HAS_LSDA and personality 1.
        ("_main", Encoding::Compact(0x5400_0000)),
        ("_cleanup", Encoding::Dwarf(0x0300_0000)),
    ],
};

const X86_64: Arch = Arch {
    name: "x86_64",
    expected: &[
        // UNWIND_X86_64_MODE_RBP_FRAME, 3 registers at rbp-24: rbx, r14, r15.
        ("_frame", Encoding::Compact(0x0103_0161)),
        // UNWIND_X86_64_MODE_STACK_IMMD, 48 bytes, 2 registers in permutation 5.
        ("_leaf", Encoding::Compact(0x0206_0805)),
        // UNWIND_X86_64_MODE_STACK_IND: the subq's immediate at 6, 3 more words.
        ("_big", Encoding::Compact(0x0306_6802)),
        ("_moved", Encoding::Dwarf(0x0400_0000)),
        // No rules: no compact entry, and the linker describes it from its FDE.
        ("_empty", Encoding::Dwarf(0x0400_0000)),
        ("_main", Encoding::Compact(0x5100_0000)),
        ("_cleanup", Encoding::Dwarf(0x0400_0000)),
    ],
};

/// Builds the fixture with objforge (checked by llvm-readobj) and assembles its `.s` twin
/// with llvm-mc-19; links each with ld64.lld against the libSystem and libc++abi stubs.
/// Returns (objforge's object, objforge's program, clang's program).
fn build_both(arch: &Arch, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ours = dir.join("objforge.o");
    macho_support::build_checked(
        &common::fixture(&format!("unwind/macho_{}.json", arch.name)),
        &ours,
    );
    let theirs = dir.join("clang.o");
    common::run_ok(
        Command::new("llvm-mc-19")
            .args(["-triple", &format!("{}-apple-macos11", arch.name)])
            .arg("-filetype=obj")
            .arg(common::fixture(&format!("unwind/macho_{}.s", arch.name)))
            .arg("-o")
            .arg(&theirs),
    );
    let link = |obj: &Path, exe: &Path| {
        let cxx = common::fixture("unwind/libcxx.tbd");
        macho_support::link(arch.name, macho_support::MACOS, &[obj, &cxx], exe);
    };
    let (ours_exe, theirs_exe) = (dir.join("objforge"), dir.join("clang"));
    link(&ours, &ours_exe);
    link(&theirs, &theirs_exe);
    (ours, ours_exe, theirs_exe)
}

/// The linked program's `__unwind_info` as `llvm-objdump-19 --unwind-info` shows it: each
/// function's encoding by name, the personality routines' slots and the LSDA of each
/// function by name.
struct UnwindInfo {
    encodings: BTreeMap<String, u32>,
    personalities: Vec<String>,
    lsdas: BTreeMap<String, u64>,
}

fn unwind_info(exe: &Path) -> UnwindInfo {
    let listing = common::run_ok(
        Command::new("llvm-objdump-19")
            .arg("--unwind-info")
            .arg(exe),
    );
    let names: BTreeMap<u64, String> = symbols(exe)
        .into_iter()
        .map(|(name, addr)| (addr - 0x1_0000_0000, name))
        .collect();
    let hex = |s: &str| u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap();
    let mut info = UnwindInfo {
        encodings: BTreeMap::new(),
        personalities: Vec::new(),
        lsdas: BTreeMap::new(),
    };
    for line in listing.lines().map(str::trim) {
        // "[2]: function offset=0x000004cc, encoding[3]=0x03000018" (second-level entries)
        // and "[0]: function offset=0x000004c9, LSDA offset=0x000004d8" (LSDA descriptors).
        let entry = line
            .strip_prefix('[')
            .and_then(|l| l.split_once("]: function offset="))
            .and_then(|(_, rest)| rest.split_once(", "));
        if let Some((offset, rest)) = entry {
            let name = names.get(&hex(offset)).cloned().unwrap_or_default();
            if let Some(lsda) = rest.strip_prefix("LSDA offset=") {
                info.lsdas.insert(name, hex(lsda));
            } else if let Some((_, encoding)) = rest
                .strip_prefix("encoding[")
                .and_then(|e| e.split_once('='))
            {
                info.encodings.insert(name, hex(encoding) as u32);
            }
        } else if line.starts_with("personality[") {
            info.personalities.push(line.to_string());
        }
    }
    info
}

/// The defined symbols of a linked program and their addresses.
fn symbols(exe: &Path) -> Vec<(String, u64)> {
    common::run_ok(Command::new("llvm-nm-19").arg("--defined-only").arg(exe))
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let addr = u64::from_str_radix(parts.next()?, 16).ok()?;
            Some((parts.nth(1)?.to_string(), addr))
        })
        .collect()
}

/// The FDEs of `llvm-dwarfdump-19 --eh-frame FILE`: offset in `__eh_frame` -> first address.
fn fdes(file: &Path) -> BTreeMap<u64, u64> {
    let dump = eh_frame_dump(file);
    dump.lines()
        .filter(|l| l.contains(" FDE "))
        .map(|l| {
            // "00000014 0000001c 00000018 FDE cie=00000000 pc=1000004cc...1000004d8"
            let offset = u64::from_str_radix(&l[..8], 16).unwrap();
            let pc = l.split_once("pc=").unwrap().1.split_once("...").unwrap().0;
            (offset, u64::from_str_radix(pc, 16).unwrap())
        })
        .collect()
}

/// `llvm-dwarfdump-19 --eh-frame FILE`, which must read it without an error or warning.
fn eh_frame_dump(file: &Path) -> String {
    let out = common::run(
        Command::new("llvm-dwarfdump-19")
            .arg("--eh-frame")
            .arg(file),
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success()
            && !format!("{stdout}{stderr}").to_lowercase().contains("error")
            && !format!("{stdout}{stderr}")
                .to_lowercase()
                .contains("warning"),
        "llvm-dwarfdump-19 --eh-frame {}:\n{stdout}\n{stderr}",
        file.display()
    );
    stdout.into_owned()
}

/// The relocations `llvm-readobj-19 -r` lists for `section` of `obj`.
fn relocations_of(obj: &Path, section: &str) -> Vec<String> {
    common::run_ok(Command::new("llvm-readobj-19").arg("-r").arg(obj))
        .lines()
        .skip_while(|l| l.trim() != format!("Section {section} {{"))
        .skip(1)
        .take_while(|l| l.trim() != "}")
        .map(|l| l.trim().to_string())
        .collect()
}

fn same_unwind_info_as_clang(arch: &Arch) {
    let dir = common::scratch(&format!("unwind_macho_{}", arch.name));
    let (ours_obj, ours, theirs) = build_both(arch, &dir);
    eh_frame_dump(&ours_obj);
    // The object's `__compact_unwind` is relocated as clang's is, field for field.
    let compact = relocations_of(&ours_obj, "__compact_unwind");
    assert!(compact.len() >= 7, "{compact:?}");
    assert_eq!(
        compact,
        relocations_of(&dir.join("clang.o"), "__compact_unwind")
    );
    for file in [&ours_obj, &ours] {
        let verify = common::run_ok(Command::new("llvm-dwarfdump-19").arg("--verify").arg(file));
        assert!(verify.contains("No errors."), "{verify}");
    }
    let (a, b) = (unwind_info(&ours), unwind_info(&theirs));
    let addresses: BTreeMap<String, u64> = symbols(&ours).into_iter().collect();
    let eh_frame = fdes(&ours);
    for &(name, expected) in arch.expected {
        let got = a.encodings.get(name).copied();
        let clang = b.encodings.get(name).copied();
        match expected {
            Encoding::Compact(encoding) => {
                assert_eq!((got, clang), (Some(encoding), Some(encoding)), "{name}");
            }
            Encoding::Dwarf(mode) => {
                let (got, clang) = (got.unwrap(), clang.unwrap());
                assert_eq!(
                    (got & 0x0f00_0000, clang & 0x0f00_0000),
                    (mode, mode),
                    "{name}: {got:#x}, clang {clang:#x}"
                );
                // The rest is the offset of the function's FDE.
                let fde = u64::from(got & 0x00ff_ffff);
                assert_eq!(
                    eh_frame.get(&fde),
                    Some(&addresses[name]),
                    "{name}: {got:#x} names no FDE of it in __eh_frame {eh_frame:x?}"
                );
            }
        }
    }
    assert_eq!(a.encodings.len(), arch.expected.len(), "{:x?}", a.encodings);
    assert_eq!(a.personalities, b.personalities);
    assert_eq!(a.personalities.len(), 1, "{:?}", a.personalities);
    assert_eq!(a.lsdas, b.lsdas);
    // Each function's LSDA is its own table, in the compact entry and in the FDE alike.
    for (function, table) in [
        ("_main", "_GCC_except_table_main"),
        ("_cleanup", "_GCC_except_table_cleanup"),
    ] {
        assert_eq!(
            a.lsdas.get(function).map(|o| o + 0x1_0000_0000),
            addresses.get(table).copied(),
            "{function}: {:x?}",
            a.lsdas
        );
    }
    assert_eq!(a.lsdas.len(), 2, "{:x?}", a.lsdas);
}

#[test]
fn same_unwind_info_as_clang_arm64() {
    same_unwind_info_as_clang(&ARM64);
}

#[test]
fn same_unwind_info_as_clang_x86_64() {
    same_unwind_info_as_clang(&X86_64);
}

/// On x86_64 objforge and clang write the same tables (an FDE for every function there), so
/// the linked programs' `__unwind_info` and `__eh_frame` read the same, byte offsets included.
#[test]
fn same_linked_tables_as_clang_x86_64() {
    let dir = common::scratch("unwind_macho_x86_64_tables");
    let (_, ours, theirs) = build_both(&X86_64, &dir);
    let listing = |tool: &str, flag: &str, exe: &Path| -> Vec<String> {
        common::run_ok(Command::new(tool).arg(flag).arg(exe))
            .lines()
            .skip(2)
            .map(str::to_string)
            .collect()
    };
    for (tool, flag) in [
        ("llvm-objdump-19", "--unwind-info"),
        ("llvm-dwarfdump-19", "--eh-frame"),
    ] {
        assert_eq!(
            listing(tool, flag, &ours),
            listing(tool, flag, &theirs),
            "{tool} {flag}"
        );
    }
}

/// Builds `spec` and expects failure with `message`, the whole line on stderr, and no object.
fn fails(dir: &Path, name: &str, spec: &str, message: &str) {
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

/// An arm64 Mach-O spec: two 8-byte functions, `unwind` and `options` as given, `extra`
/// sections after `.text`.
fn arm64_spec(options: &str, unwind: &str, extra: &str) -> String {
    format!(
        r#"{{"target": "arm64-apple-macos11", "options": {{{options}}},
  "sections": [{{"name": ".text", "kind": "text", "hex": "fd7bbfa9fd030091 fd7bc1a8c0035fd6"}}{extra}],
  "symbols": [{{"name": "f", "section": ".text", "kind": "func", "binding": "global"}}],
  "unwind": [{unwind}]}}"#
    )
}

const FRAME: &str = r#"{"section": ".text", "offset": 0, "size": 16, "cfi": [{"at": 8, "op": "def_cfa", "reg": "x29", "offset": 16}, {"at": 8, "op": "offset", "reg": "x30", "offset": -8}, {"at": 8, "op": "offset", "reg": "x29", "offset": -16}]}"#;

#[test]
fn bad_input_is_one_line_naming_the_entry() {
    let dir = common::scratch("unwind_macho_errors");
    for (name, options, unwind, extra, message) in [
        (
            "debug_frame",
            r#""debug_frame": true"#,
            FRAME.to_string(),
            "",
            "unwind[0]: options.debug_frame is ELF's: Mach-O keeps unwind rules in __compact_unwind and __eh_frame, and its debuggers read those",
        ),
        (
            "has_eh_frame",
            "",
            FRAME.to_string(),
            r#", {"name": "__TEXT,__eh_frame", "kind": "rodata", "hex": "00000000"}"#,
            "unwind[0]: the object already has __TEXT,__eh_frame (sections[1]); objforge writes the unwind entries as __LD,__compact_unwind and __TEXT,__eh_frame, so give one or the other",
        ),
        (
            "has_compact_unwind",
            "",
            FRAME.to_string(),
            r#", {"name": "__LD,__compact_unwind", "kind": "data", "hex": "00000000"}"#,
            "unwind[0]: the object already has __LD,__compact_unwind (sections[1]); objforge writes the unwind entries as __LD,__compact_unwind and __TEXT,__eh_frame, so give one or the other",
        ),
        (
            "rule_outside",
            "",
            FRAME.replace(r#""at": 8, "op": "def_cfa""#, r#""at": 20, "op": "def_cfa""#),
            "",
            "unwind[0].cfi[0].at: 20 is past the end of the function (16 bytes)",
        ),
        (
            "unknown_register",
            "",
            FRAME.replace(r#""reg": "x30""#, r#""reg": "rbp""#),
            "",
            r#"unwind[0].cfi[1].reg: unknown register "rbp" on aarch64 (give its assembler name, such as "x29", "fp" or "d8", or its DWARF number)"#,
        ),
        (
            "no_symbol",
            "",
            r#"{"section": ".text", "offset": 8, "size": 8}"#.to_string(),
            "",
            "unwind[0].offset: no symbol starts the function at 8 in .text: Mach-O linkers attach unwind information to the symbol at a function's start (give it one)",
        ),
        (
            "overlap",
            "",
            format!(r#"{FRAME}, {{"section": ".text", "offset": 0, "size": 8}}"#),
            "",
            "unwind[1].offset: the function at 0..8 overlaps unwind[0] at 0..16",
        ),
    ] {
        fails(&dir, name, &arm64_spec(options, &unwind, extra), message);
    }
    // Windows codes alone (the spec reads them on x86_64 only).
    let spec = arm64_spec(
        "",
        r#"{"section": ".text", "offset": 0, "size": 16, "seh": [{"at": 1, "op": "pushreg", "reg": "rbp"}]}"#,
        "",
    )
    .replace("arm64-apple-macos11", "x86_64-apple-macos11");
    fails(
        &dir,
        "windows_codes",
        &spec,
        "unwind[0].seh: Mach-O unwinds with DWARF call-frame rules (`cfi`); Windows unwind codes are for COFF",
    );
}

/// `objforge dump` of the object reads `__compact_unwind` and `__eh_frame` back into the
/// fixture's `unwind` entries (sections by their Mach-O names), and the dump is a fixed
/// point: built again, the object dumps to the same spec. Clang's arm64 object, which has no
/// FDE for the functions compact unwinding describes, keeps its tables as bytes.
#[test]
fn dump_gives_the_entries_back() {
    let dir = common::scratch("unwind_macho_dump");
    let dump = |obj: &Path| -> serde_json::Value {
        let text = common::run_ok(common::objforge().arg("dump").arg(obj));
        serde_json::from_str(&text).expect("dump is JSON")
    };
    for arch in [&ARM64, &X86_64] {
        let spec = common::fixture(&format!("unwind/macho_{}.json", arch.name));
        let obj = dir.join(format!("{}.o", arch.name));
        common::build(&spec, &obj);
        let first = dump(&obj);
        let names: Vec<&str> = first["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["__TEXT,__text", "__TEXT,__gcc_except_tab"],
            "{}",
            arch.name
        );
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
        let renamed = fixture["unwind"]
            .to_string()
            .replace("\".text\"", "\"__TEXT,__text\"")
            .replace("\".gcc_except_table\"", "\"__TEXT,__gcc_except_tab\"")
            .replace(",\"cfi\":[]", "");
        let expected: serde_json::Value = serde_json::from_str(&renamed).unwrap();
        assert_eq!(first["unwind"], expected, "{}", arch.name);

        let again_spec = dir.join(format!("{}.json", arch.name));
        std::fs::write(&again_spec, first.to_string()).unwrap();
        let again = dir.join(format!("{}_again.o", arch.name));
        common::build(&again_spec, &again);
        assert_eq!(dump(&again), first, "{}", arch.name);
    }
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("llvm-mc-19")
            .args(["-triple", "arm64-apple-macos11", "-filetype=obj"])
            .arg(common::fixture("unwind/macho_arm64.s"))
            .arg("-o")
            .arg(&clang),
    );
    let raw = dump(&clang);
    assert!(raw.get("unwind").is_none(), "{raw}");
    assert!(raw.to_string().contains("__LD,__compact_unwind"));
}

/// A seeded xorshift generator, so a failing case repeats.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// One rule: (op, register, offset), in the spec's words.
type Rule = (&'static str, Option<&'static str>, Option<i64>);

/// A random function for `arch`: its instructions (x86_64 pushes and `subq` that match the
/// rules where the rules describe them; arm64 encodings do not look at the code) and rules,
/// most of them prologues compact unwinding describes, the rest anything.
fn random_function(arch: &str, rng: &mut Rng) -> (Vec<String>, Vec<Rule>) {
    let mut code = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    let shape = rng.below(10);
    if arch == "arm64" && shape < 5 {
        rules.extend([
            ("def_cfa", Some("x29"), Some(16)),
            ("offset", Some("x30"), Some(-8)),
            ("offset", Some("x29"), Some(-16)),
        ]);
        let pairs = [
            ("x19", "x20"),
            ("x21", "x22"),
            ("x23", "x24"),
            ("x25", "x26"),
            ("x27", "x28"),
            ("d8", "d9"),
            ("d10", "d11"),
            ("d12", "d13"),
            ("d14", "d15"),
        ];
        let mut at = -16;
        for (a, b) in pairs {
            if rng.chance(35) {
                let (a, b) = if rng.chance(10) { (b, a) } else { (a, b) };
                rules.push(("offset", Some(a), Some(at - 8)));
                rules.push(("offset", Some(b), Some(at - 16)));
                at -= 16;
            }
        }
        if rng.chance(15) {
            let (k, last) = (rng.below(rules.len()), rules.len() - 1);
            rules.swap(k, last);
        }
    } else if arch == "x86_64" && shape < 8 {
        let mut saved: Vec<&'static str> = Vec::new();
        let frame = shape < 4;
        let candidates: &[&'static str] = if frame {
            &["rbx", "r12", "r13", "r14", "r15"]
        } else {
            &["rbx", "r12", "r13", "r14", "r15", "rbp"]
        };
        for &r in candidates {
            if rng.chance(45) {
                saved.push(r);
            }
        }
        // Push order is random too.
        for k in (1..saved.len()).rev() {
            let j = rng.below(k + 1);
            saved.swap(k, j);
        }
        if frame {
            code.extend(["pushq %rbp".to_string(), "movq %rsp, %rbp".to_string()]);
            rules.extend([
                ("def_cfa_offset", None, Some(16)),
                ("offset", Some("rbp"), Some(-16)),
                ("def_cfa_register", Some("rbp"), None),
            ]);
            for (k, r) in saved.iter().enumerate() {
                code.push(format!("pushq %{r}"));
                rules.push(("offset", Some(r), Some(-24 - 8 * k as i64)));
            }
        } else {
            let allocated = *rng.pick(&[0i64, 8, 24, 104, 2000, 4000, 70000]);
            for r in &saved {
                code.push(format!("pushq %{r}"));
            }
            if allocated != 0 {
                // The 32-bit immediate form, which the unwinder reads back.
                code.push(format!(".byte 0x48, 0x81, 0xec\n\t.long {allocated}"));
            }
            let cfa = 8 * (saved.len() as i64 + 1) + allocated;
            rules.push(("def_cfa_offset", None, Some(cfa)));
            for (k, r) in saved.iter().enumerate() {
                rules.push(("offset", Some(r), Some(-16 - 8 * k as i64)));
            }
            // The saved registers may be listed in any order.
            for k in (2..rules.len()).rev() {
                let j = 1 + rng.below(k);
                rules.swap(k, j);
            }
        }
    } else {
        let registers: &[&'static str] = if arch == "arm64" {
            &[
                "x19", "x20", "x21", "x22", "x29", "x30", "d8", "d9", "x0", "sp",
            ]
        } else {
            &[
                "rbx", "r12", "r13", "r14", "r15", "rbp", "rax", "rsp", "xmm6",
            ]
        };
        let frame_registers: &[&'static str] = if arch == "arm64" {
            &["x29", "sp"]
        } else {
            &["rbp", "rsp"]
        };
        // x86_64 stacks past 255 words need the `subq` the unwinder reads (objforge checks
        // that it is there; LLVM does not): those are the prologues above.
        let sizes: &[i64] = if arch == "arm64" {
            &[0, 16, 32, 48, 4096, 65520, 65536]
        } else {
            &[0, 16, 32, 48, 1024]
        };
        for _ in 0..rng.below(6) {
            rules.push(match rng.below(5) {
                0 => ("def_cfa_offset", None, Some(*rng.pick(sizes))),
                1 => ("def_cfa", Some(*rng.pick(frame_registers)), Some(16)),
                2 => ("def_cfa_register", Some(*rng.pick(registers)), None),
                _ => (
                    "offset",
                    Some(*rng.pick(registers)),
                    Some(*rng.pick(&[-8, -16, -24, -32, -40, -48, -56, -64, 8, 16])),
                ),
            });
        }
    }
    (code, rules)
}

/// A directive's register as the assembler writes it.
fn asm_register(arch: &str, reg: &str) -> String {
    match (arch, reg.strip_prefix('d')) {
        // llvm-mc names the FP registers in `.cfi_offset` by their B form.
        ("arm64", Some(n)) => format!("b{n}"),
        ("arm64", None) => reg.to_string(),
        _ => format!("%{reg}"),
    }
}

/// Random prologues, written once as assembly with `.cfi_*` directives and once as a spec
/// with the same code and rules: every function's compact encoding in objforge's object is
/// the one llvm-mc-19 gives it (the x86_64 `subq` is really there, as the stack-indirect mode
/// needs; functions no mode describes are in DWARF mode in both).
#[test]
fn random_prologues_get_llvms_encodings() {
    let dir = common::scratch("unwind_macho_random");
    for (arch, seed) in [("arm64", 0x5eed_0001u64), ("x86_64", 0x5eed_0002)] {
        let mut rng = Rng(seed);
        let count = 250;
        let functions: Vec<_> = (0..count)
            .map(|_| random_function(arch, &mut rng))
            .collect();
        let mut asm = String::from("\t.section __TEXT,__text,regular,pure_instructions\n");
        for (i, (code, rules)) in functions.iter().enumerate() {
            asm += &format!("\t.globl _f{i}\n\t.p2align 2\n_f{i}:\n\t.cfi_startproc\n");
            for line in code {
                asm += &format!("\t{line}\n");
            }
            for (op, reg, offset) in rules {
                let reg = reg.map(|r| asm_register(arch, r));
                asm += &match (reg, offset) {
                    (Some(r), Some(o)) => format!("\t.cfi_{op} {r}, {o}\n"),
                    (Some(r), None) => format!("\t.cfi_{op} {r}\n"),
                    (None, Some(o)) => format!("\t.cfi_{op} {o}\n"),
                    (None, None) => format!("\t.cfi_{op}\n"),
                };
            }
            asm += "\tret\n\t.cfi_endproc\n";
        }
        let source = dir.join(format!("{arch}.s"));
        std::fs::write(&source, asm).unwrap();
        let theirs = dir.join(format!("{arch}_clang.o"));
        common::run_ok(
            Command::new("llvm-mc-19")
                .args(["-triple", &format!("{arch}-apple-macos11"), "-filetype=obj"])
                .arg(&source)
                .arg("-o")
                .arg(&theirs),
        );
        // The same code, for the spec.
        let text_file = dir.join(format!("{arch}.text"));
        common::run_ok(
            Command::new("llvm-objcopy-19")
                .arg("--dump-section")
                .arg(format!("__TEXT,__text={}", text_file.display()))
                .arg(&theirs),
        );
        let text = std::fs::read(&text_file).unwrap();
        let mut starts: Vec<(usize, u64)> = common::run_ok(
            Command::new("llvm-nm-19")
                .arg("--defined-only")
                .arg(&theirs),
        )
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let addr = u64::from_str_radix(parts.next()?, 16).ok()?;
            let i = parts.nth(1)?.strip_prefix("_f")?.parse().ok()?;
            Some((i, addr))
        })
        .collect();
        starts.sort();
        assert_eq!(starts.len(), count);
        let hex: String = text.iter().map(|b| format!("{b:02x}")).collect();
        let mut symbols = Vec::new();
        let mut unwind = Vec::new();
        for (i, (_, rules)) in functions.iter().enumerate() {
            let start = starts[i].1;
            let end = starts.get(i + 1).map_or(text.len() as u64, |s| s.1);
            symbols.push(serde_json::json!({
                "name": format!("f{i}"), "section": ".text", "offset": start, "binding": "global"
            }));
            let cfi: Vec<serde_json::Value> = rules
                .iter()
                .map(|(op, reg, offset)| {
                    let mut rule = serde_json::json!({"at": 0, "op": op});
                    if let Some(r) = reg {
                        rule["reg"] = serde_json::json!(r);
                    }
                    if let Some(o) = offset {
                        rule["offset"] = serde_json::json!(o);
                    }
                    rule
                })
                .collect();
            unwind.push(serde_json::json!({
                "section": ".text", "offset": start, "size": end - start, "cfi": cfi
            }));
        }
        let spec = serde_json::json!({
            "target": format!("{arch}-apple-macos11"),
            "sections": [{"name": ".text", "kind": "text", "align": 4, "hex": hex}],
            "symbols": symbols,
            "unwind": unwind,
        });
        let spec_path = dir.join(format!("{arch}.json"));
        std::fs::write(&spec_path, spec.to_string()).unwrap();
        let ours = dir.join(format!("{arch}_objforge.o"));
        common::build(&spec_path, &ours);

        // `start` and `compact encoding` of each `__compact_unwind` entry.
        let entries = |obj: &Path| -> BTreeMap<u64, u32> {
            let listing = common::run_ok(
                Command::new("llvm-objdump-19")
                    .arg("--unwind-info")
                    .arg(obj),
            );
            let mut out = BTreeMap::new();
            let mut start = None;
            for line in listing.lines().map(str::trim) {
                let hex = |s: &str| {
                    let s = s.split_whitespace().next().unwrap_or("");
                    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
                };
                if let Some(rest) = line.strip_prefix("start:") {
                    start = hex(rest.trim());
                } else if let Some(rest) = line.strip_prefix("compact encoding:") {
                    out.insert(start.unwrap(), hex(rest.trim()).unwrap() as u32);
                }
            }
            out
        };
        let (a, b) = (entries(&ours), entries(&theirs));
        let mut modes = BTreeMap::new();
        for (i, (code, rules)) in functions.iter().enumerate() {
            let start = starts[i].1;
            assert_eq!(
                a.get(&start),
                b.get(&start),
                "{arch} f{i}: objforge {:x?}, llvm-mc {:x?}\n{code:?}\n{rules:?}",
                a.get(&start),
                b.get(&start)
            );
            if let Some(e) = b.get(&start) {
                *modes.entry(e >> 24 & 0xf).or_insert(0) += 1;
            }
        }
        // Every mode came up.
        let wanted: &[u32] = if arch == "arm64" {
            &[2, 3, 4]
        } else {
            &[1, 2, 3, 4]
        };
        for mode in wanted {
            assert!(
                modes.get(mode).is_some_and(|&n| n >= 5),
                "{arch}: {modes:?}"
            );
        }
    }
}
