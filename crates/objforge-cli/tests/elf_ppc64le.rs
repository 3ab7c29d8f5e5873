//! 64-bit little-endian PowerPC (ppc64le, ELFv2) ELF end to end: JSON specs as a backend writes
//! them built with the `objforge` CLI, checked by the strict validators, linked statically
//! with GNU ld and ld.lld, run under qemu-ppc64le; and GCC's own output (-O0, -O2, -fPIC, -g,
//! -fno-plt) through `objforge dump` and `objforge build`, linked against glibc and run.
//!
//! The fixtures are in `tests/fixtures/ppc64le/`: `every_reloc.json` is the spec,
//! `every_reloc.s` the assembly it encodes (documentation only; `make_spec.py` turned gas's
//! output into the JSON), `program.c` a C program, `tls.c` and `tls_ie.c` one with
//! thread-locals; `unwind.json` two functions with `unwind`
//! entries, `unwind.s` the same with `.cfi_*` directives, `unwind_main.c` a C program that walks
//! the stack through them (C++ exceptions go through them with `unwind/main.cpp`, the program
//! every architecture's unwind test runs).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `every_reloc.json` prints when every relocation resolved: one line per check, in
/// program order. The program exits with the number of passes (100 + failures otherwise).
const EVERY_RELOC_OUTPUT: &str = "\
ok abs64
ok abs32
ok abs16
ok pcrel32
ok pcrel64
ok diff32 = diff64
ok diff32 jump
ok ppc_addr16_ha + ppc_addr16_lo
ok ppc_addr16_hi
ok ppc_addr16_lo_ds
ok ppc_toc16_ha + ppc_toc16_lo_ds (.toc)
ok ppc_got16_ha + ppc_got16_lo_ds
ok ppc_toc16_lo_ds store
ok native addr16_highest/higher
ok ppc_rel24 local entry
ok ppc_rel14
ok ppc_rel24 b
";

/// Every portable kind ppc64le ELF can express but the thread-local ones
/// (`ppc64le_thread_locals_round_trip_and_link` runs those), plus `native`: `every_reloc.json`
/// uses each.
const PPC64LE_KINDS: &[&str] = &[
    "abs16",
    "abs32",
    "abs64",
    "pcrel32",
    "pcrel64",
    "secrel32",
    "diff32",
    "diff64",
    "ppc_rel24",
    "ppc_rel14",
    "ppc_addr16_ha",
    "ppc_addr16_hi",
    "ppc_addr16_lo",
    "ppc_addr16_lo_ds",
    "ppc_toc16_ha",
    "ppc_toc16_lo",
    "ppc_toc16_lo_ds",
    "ppc_rel16_ha",
    "ppc_rel16_lo",
    "ppc_got16_ha",
    "ppc_got16_lo_ds",
    "native",
];

/// The ELF relocation types those kinds must become (`llvm-readobj` spelling).
const PPC64LE_TYPES: &[&str] = &[
    "R_PPC64_ADDR16",
    "R_PPC64_ADDR32",
    "R_PPC64_ADDR64",
    "R_PPC64_REL32",
    "R_PPC64_REL64",
    "R_PPC64_REL24",
    "R_PPC64_REL14",
    "R_PPC64_ADDR16_HA",
    "R_PPC64_ADDR16_HI",
    "R_PPC64_ADDR16_LO",
    "R_PPC64_ADDR16_LO_DS",
    "R_PPC64_TOC16_HA",
    "R_PPC64_TOC16_LO",
    "R_PPC64_TOC16_LO_DS",
    "R_PPC64_REL16_HA",
    "R_PPC64_REL16_LO",
    "R_PPC64_GOT16_HA",
    "R_PPC64_GOT16_LO_DS",
    "R_PPC64_ADDR16_HIGHEST",
    "R_PPC64_ADDR16_HIGHER",
];

/// The sysroot qemu-ppc64le finds the dynamic loader and glibc in.
const QEMU: &[&str] = &["qemu-ppc64le", "-L", "/usr/powerpc64le-linux-gnu"];

fn fixture(name: &str) -> PathBuf {
    common::fixture(&format!("ppc64le/{name}"))
}

/// Builds `spec` into `dir/NAME.o` and runs the strict ELF checks on it.
fn build_checked(dir: &Path, spec: &Path, name: &str) -> PathBuf {
    let obj = dir.join(format!("{name}.o"));
    common::build(spec, &obj);
    common::check_elf(&obj);
    obj
}

/// Runs `exe` under qemu-ppc64le: (stdout, exit code).
fn run_ppc64le(exe: &Path) -> (String, i32) {
    let out = common::run(Command::new(QEMU[0]).args(&QEMU[1..]).arg(exe));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The `secrel32` fields of `.objforge.strrefs` are offsets into `.debug_str` (which is not
/// loaded, so the program cannot check them itself): check them in the linked file.
fn check_secrel(exe: &Path) {
    assert_eq!(
        common::strrefs(exe, false),
        ["ppc64le", "4le", "objforge"],
        "{}",
        exe.display()
    );
}

#[test]
fn ppc64le_every_relocation_kind_links_and_runs() {
    let dir = common::scratch("ppc64le_every_reloc");
    let spec = fixture("every_reloc.json");

    // The fixture keeps covering every kind.
    let used = common::kinds_used(&spec);
    for kind in PPC64LE_KINDS {
        assert!(used.contains(*kind), "every_reloc.json uses no {kind}");
    }

    let obj = build_checked(&dir, &spec, "every_reloc");
    let relocs = common::readobj(&["-r"], &obj);
    for ty in PPC64LE_TYPES {
        assert!(
            relocs.contains(&format!(" {ty} ")),
            "no {ty} in the object:\n{relocs}"
        );
    }
    // The ELFv2 ABI in e_flags, and `twice`'s local entry 8 bytes in (st_other 3 << 5).
    let headers = common::readobj(&["--file-headers"], &obj);
    assert!(
        headers.contains("Machine: EM_PPC64 (0x15)") && headers.contains("Flags [ (0x2)"),
        "{headers}"
    );
    let symbols = common::run_ok(
        Command::new("powerpc64le-linux-gnu-readelf")
            .arg("-sW")
            .arg(&obj),
    );
    assert!(
        symbols
            .lines()
            .any(|l| l.ends_with(" twice") && l.contains("[<localentry>: 8]")),
        "{symbols}"
    );

    let expected = (
        EVERY_RELOC_OUTPUT.to_string(),
        EVERY_RELOC_OUTPUT.lines().count() as i32,
    );
    let exe = dir.join("every_reloc");
    common::run_ok(
        Command::new("powerpc64le-linux-gnu-ld")
            .args(["-static", "--fatal-warnings"])
            .arg(&obj)
            .arg("-o")
            .arg(&exe),
    );
    assert_eq!(run_ppc64le(&exe), expected, "GNU ld");
    check_secrel(&exe);

    let exe_lld = dir.join("every_reloc-lld");
    common::link_lld(&[&obj], &["-static", "--fatal-warnings"], &exe_lld);
    assert_eq!(run_ppc64le(&exe_lld), expected, "ld.lld");
    check_secrel(&exe_lld);
}

#[test]
fn ppc64le_every_reloc_spec_is_a_dump_fixed_point() {
    // dump -> build -> dump gives the spec back (but for the two `diff*` fields, which
    // read back as the PC-relative entries ELF writes them as).
    let dir = common::scratch("ppc64le_every_reloc_dump");
    let obj = build_checked(&dir, &fixture("every_reloc.json"), "every_reloc");
    let first = common::run_ok(common::objforge().arg("dump").arg(&obj));
    let spec = dir.join("dumped.json");
    std::fs::write(&spec, &first).unwrap();
    let again = build_checked(&dir, &spec, "again");
    let second = common::run_ok(common::objforge().arg("dump").arg(&again));
    assert_eq!(first, second);
    assert!(first.contains("\"local_entry\":8"), "{first}");
}

/// `objforge dump` of `object` into `dir/NAME.json`, built again into `dir/NAME.re.o`, dumped
/// again: the same spec (a fixed point). Returns the rebuilt object.
fn round_trip(dir: &Path, object: &Path, name: &str) -> PathBuf {
    let first = common::run_ok(common::objforge().arg("dump").arg(object));
    let spec = dir.join(format!("{name}.json"));
    std::fs::write(&spec, &first).unwrap();
    let rebuilt = dir.join(format!("{name}.re.o"));
    common::build(&spec, &rebuilt);
    let second = common::run_ok(common::objforge().arg("dump").arg(&rebuilt));
    assert_eq!(
        first, second,
        "{name}: dump -> build -> dump is no fixed point"
    );
    rebuilt
}

/// `eu-elflint --gnu-ld --strict` says the same of the rebuilt object as of GCC's: "No
/// errors", but for the types elfutils does not know (-fno-plt's `R_PPC64_PLTSEQ` and
/// `R_PPC64_PLTCALL`, "invalid type"), which it reports alike for both.
fn same_elflint_verdict(original: &Path, rebuilt: &Path) {
    let verdict = |object: &Path| {
        let out = common::run(
            Command::new("eu-elflint")
                .args(["--gnu-ld", "--strict"])
                .arg(object),
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        text.replace(&object.display().to_string(), "OBJECT")
    };
    let (before, after) = (verdict(original), verdict(rebuilt));
    assert_eq!(before, after, "{}", rebuilt.display());
    assert!(
        after.contains("No errors")
            || after
                .lines()
                .all(|l| l.is_empty() || l.ends_with(": invalid type")),
        "{after}"
    );
}

/// Links `object` against glibc with the cross GCC (GNU ld) and runs it under qemu.
fn link_and_run_gcc(object: &Path, exe: &Path) -> (String, i32) {
    common::run_ok(
        Command::new("powerpc64le-linux-gnu-gcc")
            .arg(object)
            .arg("-o")
            .arg(exe),
    );
    run_ppc64le(exe)
}

#[test]
fn gcc_program_round_trips_and_runs_the_same() {
    let dir = common::scratch("ppc64le_gcc_round_trip");
    for (name, flags) in [
        ("O0", &["-O0"][..]),
        ("O2", &["-O2"][..]),
        ("O2-fPIC", &["-O2", "-fPIC"][..]),
        ("O2-g", &["-O2", "-g"][..]),
        ("O2-fno-plt", &["-O2", "-fno-plt"][..]),
    ] {
        let source = fixture("program.c");
        let object = dir.join(format!("{name}.o"));
        common::run_ok(
            Command::new("powerpc64le-linux-gnu-gcc")
                .args(flags)
                .arg("-c")
                .arg(&source)
                .arg("-o")
                .arg(&object),
        );
        let rebuilt = round_trip(&dir, &object, name);
        same_elflint_verdict(&object, &rebuilt);
        let original = link_and_run_gcc(&object, &dir.join(name));
        assert_eq!(
            original.1, 0,
            "{name}: the original program fails:\n{}",
            original.0
        );
        let again = link_and_run_gcc(&rebuilt, &dir.join(format!("{name}.re")));
        assert_eq!(again, original, "{name}: rebuilt program");
        // The round trip keeps main's local entry and GCC's ABI attributes (program.c's
        // floating point: Tag_GNU_Power_ABI_FP).
        let readelf = |args: &[&str], object: &Path| {
            common::run_ok(
                Command::new("powerpc64le-linux-gnu-readelf")
                    .args(args)
                    .arg(object),
            )
        };
        let symbols = readelf(&["-sW"], &rebuilt);
        assert!(
            symbols
                .lines()
                .any(|l| l.ends_with(" main") && l.contains("[<localentry>: 8]")),
            "{name}:\n{symbols}"
        );
        let attributes = readelf(&["-A"], &rebuilt);
        assert_eq!(attributes, readelf(&["-A"], &object), "{name}");
        assert!(
            attributes.contains("Tag_GNU_Power_ABI_FP"),
            "{name}:\n{attributes}"
        );
    }
}

/// The `.eh_frame` rows llvm-dwarfdump derives from objforge's `unwind` entries (CFA and saved
/// registers at each address; the CIE's factors 4 / -8 and return column 65) are the ones it
/// derives from GNU as's for the same `.cfi_*` directives.
#[test]
fn ppc64le_unwind_rows_match_gas() {
    let dir = common::scratch("ppc64le_unwind_rows");
    let ours = build_checked(&dir, &fixture("unwind.json"), "unwind");
    let theirs = dir.join("gas.o");
    common::run_ok(
        Command::new("powerpc64le-linux-gnu-as")
            .arg(fixture("unwind.s"))
            .arg("-o")
            .arg(&theirs),
    );
    let rows = |obj: &Path| common::frame_rows(obj, "--eh-frame");
    let (a, b) = (rows(&ours), rows(&theirs));
    assert!(
        a.iter().any(|l| l.contains("Return address column: 65")),
        "{a:?}"
    );
    assert!(a.len() > 10, "{a:?}");
    assert_eq!(a, b);
}

/// libgcc's unwinder walks from a callback through both objforge functions into main; without
/// their `unwind` entries it stops at them.
#[test]
fn ppc64le_unwinder_walks_through_objforge_frames() {
    let dir = common::scratch("ppc64le_unwind_walk");
    let walk = |spec: &Path, name: &str| -> (String, i32) {
        let obj = build_checked(&dir, spec, name);
        let exe = dir.join(format!("{name}-main"));
        common::run_ok(
            Command::new("powerpc64le-linux-gnu-gcc")
                .args(["-O2", "-rdynamic"])
                .arg(fixture("unwind_main.c"))
                .arg(&obj)
                // through_frameless names __gxx_personality_v0.
                .arg("-lstdc++")
                .arg("-o")
                .arg(&exe),
        );
        run_ppc64le(&exe)
    };
    let spec = fixture("unwind.json");
    assert_eq!(
        walk(&spec, "unwind"),
        (
            "backtrace: callback through_fp main\nbacktrace: callback through_frameless main\n"
                .to_string(),
            0
        )
    );
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("unwind");
    let bare = dir.join("bare.json");
    std::fs::write(&bare, doc.to_string()).unwrap();
    assert_eq!(
        walk(&bare, "bare"),
        (
            "backtrace: callback through_fp\nbacktrace: callback through_frameless\n".to_string(),
            0
        )
    );
}

/// A C++ exception thrown by a callback passes through both objforge functions to main's
/// handler, running the destructors on its way and restoring the callee-saved registers
/// through_frameless clobbers (r29, r30); the program is `tests/fixtures/unwind/main.cpp`,
/// the one every architecture's unwind test runs, linked statically.
#[test]
fn ppc64le_exception_passes_through_objforge_frames() {
    let dir = common::scratch("ppc64le_unwind_throw");
    let obj = build_checked(&dir, &fixture("unwind.json"), "unwind");
    let exe = dir.join("main");
    common::run_ok(
        Command::new("powerpc64le-linux-gnu-g++")
            .args(["-O2", "-static"])
            .arg(common::fixture("unwind/main.cpp"))
            .arg(&obj)
            .arg("-o")
            .arg(&exe),
    );
    assert_eq!(run_ppc64le(&exe), (common::UNWIND_CAUGHT.to_string(), 0));
}

/// Links `objects` against glibc with ld.lld (through the cross GCC's driver, which finds
/// `ld.lld` in `bin`) and runs the program under qemu.
fn link_and_run_lld(objects: &[&Path], bin: &Path, exe: &Path) -> (String, i32) {
    std::fs::create_dir_all(bin).unwrap();
    let lld = bin.join("ld.lld");
    if !lld.exists() {
        std::os::unix::fs::symlink("/usr/bin/ld.lld-19", &lld).unwrap();
    }
    common::run_ok(
        Command::new("powerpc64le-linux-gnu-gcc")
            .arg(format!("-B{}", bin.display()))
            .arg("-fuse-ld=lld")
            .args(objects)
            .arg("-o")
            .arg(exe),
    );
    let comment = common::section_bytes(exe, ".comment");
    assert!(
        String::from_utf8_lossy(&comment).contains("LLD"),
        "{} was not linked by ld.lld",
        exe.display()
    );
    run_ppc64le(exe)
}

/// GCC's thread-local accesses round-trip and link with GNU ld and ld.lld: tls.c local-exec
/// (`ppc_tprel16_ha`/`_lo`) and tls_ie.c initial-exec (`ppc_got_tprel16_ha`/`_lo_ds`, `ppc_tls`)
/// in a program; with -fPIC general- and local-dynamic, which are `native`.
#[test]
fn ppc64le_thread_locals_round_trip_and_link() {
    let dir = common::scratch("ppc64le_tls");
    for (name, flags, kinds) in [
        (
            "O2",
            &["-O2"][..],
            &[
                "ppc_tprel16_ha",
                "ppc_tprel16_lo",
                "ppc_got_tprel16_ha",
                "ppc_got_tprel16_lo_ds",
                "ppc_tls",
            ][..],
        ),
        ("O2-fPIC", &["-O2", "-fPIC"][..], &[][..]),
    ] {
        let mut originals = Vec::new();
        let mut rebuilt = Vec::new();
        let mut specs = String::new();
        for source in ["tls.c", "tls_ie.c"] {
            let stem = format!("{name}-{}", source.trim_end_matches(".c"));
            let object = dir.join(format!("{stem}.o"));
            common::run_ok(
                Command::new("powerpc64le-linux-gnu-gcc")
                    .args(flags)
                    .arg("-c")
                    .arg(fixture(source))
                    .arg("-o")
                    .arg(&object),
            );
            let again = round_trip(&dir, &object, &stem);
            common::check_elf(&again);
            specs += &std::fs::read_to_string(dir.join(format!("{stem}.json"))).unwrap();
            originals.push(object);
            rebuilt.push(again);
        }
        for kind in kinds {
            assert!(
                specs.contains(&format!("\"kind\":\"{kind}\"")),
                "{name}: no {kind}"
            );
        }
        let expected = (String::from("14 19 80\n"), 0);
        let exe = dir.join(format!("{name}-gcc"));
        common::run_ok(
            Command::new("powerpc64le-linux-gnu-gcc")
                .args(&originals)
                .arg("-o")
                .arg(&exe),
        );
        assert_eq!(run_ppc64le(&exe), expected, "{name}: the original");
        let exe = dir.join(format!("{name}-gnu"));
        common::run_ok(
            Command::new("powerpc64le-linux-gnu-gcc")
                .args(&rebuilt)
                .arg("-o")
                .arg(&exe),
        );
        assert_eq!(run_ppc64le(&exe), expected, "{name}: GNU ld");
        let objects: Vec<&Path> = rebuilt.iter().map(PathBuf::as_path).collect();
        let exe = dir.join(format!("{name}-lld"));
        assert_eq!(
            link_and_run_lld(&objects, &dir.join("bin"), &exe),
            expected,
            "{name}: ld.lld"
        );
    }
}
