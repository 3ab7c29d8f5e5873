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
mod macho_common;

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
    macho_common::build_checked(
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
        macho_common::link(arch.name, macho_common::MACOS, &[obj, &cxx], exe);
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

fn same_unwind_info_as_clang(arch: &Arch) {
    let dir = common::scratch(&format!("unwind_macho_{}", arch.name));
    let (ours_obj, ours, theirs) = build_both(arch, &dir);
    eh_frame_dump(&ours_obj);
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
