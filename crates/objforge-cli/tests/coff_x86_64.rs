//! x86_64 COFF end to end: a JSON spec as a backend writes it (Windows x64 code with the
//! relocated fields zero, symbols, relocations with explicit addends) built with the
//! `objforge` CLI, checked by the readers, linked with lld-link and with MinGW gcc/ld, run
//! under wine.
//!
//! The fixture is `tests/fixtures/coff/every_reloc_x86_64.json`; `every_reloc_x86_64.s` is the
//! assembly it encodes (documentation only; `make_spec.py` regenerates the spec from it).

mod coff_support;
mod common;

use std::path::Path;

use coff_support::Arch;

/// What the program prints when every relocation resolved; it exits with the check count.
const EVERY_RELOC_OUTPUT: &str = "\
ok ADDR64 imm
ok ADDR64 data
ok ADDR32
ok ADDR32 sign-extended
ok ADDR32NB
ok REL32
ok REL32_1
ok REL32_2
ok REL32_3
ok REL32_4
ok REL32_5
ok REL32 data
ok SECTION SECREL
ok weak definition
ok COMDAT
ok weak undefined
ok diff32
ok common aligned
done
";

/// The object holds every AMD64 relocation type and the COFF features the program relies on.
fn check_object(obj: &Path) {
    let header = common::readobj(&["--file-headers"], obj);
    assert!(
        header.contains("IMAGE_FILE_MACHINE_AMD64"),
        "not AMD64:\n{header}"
    );
    let relocs = common::readobj(&["-r"], obj);
    for t in [
        "ADDR64", "ADDR32", "ADDR32NB", "REL32", "REL32_1", "REL32_2", "REL32_3", "REL32_4",
        "REL32_5", "SECTION", "SECREL",
    ] {
        let t = format!("IMAGE_REL_AMD64_{t} ");
        assert!(relocs.contains(&t), "no {t}in\n{relocs}");
    }
    let symbols = common::readobj(&["--symbols"], obj);
    for want in [
        "Name: @feat.00",
        "StorageClass: File (0x67)",
        "FileName: every_reloc_x86_64.c",
        "StorageClass: WeakExternal (0x69)",
        "Search: Alias (0x3)",
        "Selection: Any (0x2)",
        "Selection: Associative (0x5)",
        "Name: .rdata$long_section_name",
    ] {
        assert!(symbols.contains(want), "no `{want}` in\n{symbols}");
    }
    let drectve = common::section_bytes(obj, ".drectve");
    assert_eq!(
        String::from_utf8_lossy(&drectve),
        " /DEFAULTLIB:msvcrt -aligncomm:\"comm_buf\",5"
    );
}

#[test]
fn every_amd64_relocation_links_with_lld_link_and_mingw_and_runs_under_wine() {
    let dir = common::scratch("coff_x86_64_every_reloc");
    let obj = dir.join("every_reloc.obj");
    coff_support::build_checked(&common::fixture("coff/every_reloc_x86_64.json"), &obj);
    check_object(&obj);
    let expected = (
        EVERY_RELOC_OUTPUT.to_string(),
        EVERY_RELOC_OUTPUT.lines().count() as i32 - 1,
    );

    // lld-link finds msvcrt only through the object's /DEFAULTLIB:msvcrt directive (a copy
    // of MinGW's import library under the name link.exe uses). ADDR32 needs an image below
    // 2 GiB that stays where it was linked.
    let libs = dir.join("lib");
    std::fs::create_dir_all(&libs).unwrap();
    std::fs::copy(Arch::X86_64.import_lib("msvcrt"), libs.join("msvcrt.lib")).unwrap();
    let kernel32 = Arch::X86_64.import_lib("kernel32");
    let lld = dir.join("every_reloc-lld.exe");
    coff_support::lld_link(
        Arch::X86_64,
        &[&obj, &kernel32],
        &[
            "/entry:start",
            "/base:0x10000000",
            "/largeaddressaware:no",
            "/dynamicbase:no",
            &format!("/libpath:{}", libs.display()),
        ],
        &lld,
    );
    assert_eq!(coff_support::wine(&lld), expected, "lld-link");

    let gnu = dir.join("every_reloc-mingw.exe");
    coff_support::mingw_link(
        Arch::X86_64,
        &[&obj],
        &[
            "-nostartfiles",
            "-Wl,-e,start",
            "-Wl,--image-base,0x10000000",
            "-Wl,--disable-dynamicbase",
            "-Wl,--disable-high-entropy-va",
            "-lkernel32",
            "-lmsvcrt",
        ],
        &gnu,
    );
    assert_eq!(coff_support::wine(&gnu), expected, "mingw gcc/ld");
}
