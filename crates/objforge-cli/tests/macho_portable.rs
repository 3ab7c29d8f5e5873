//! One backend description, two formats: `fixtures/macho/portable.json` (ELF-style section
//! names, portable kinds) built unchanged for arm64 macOS and, with only `target` changed, for
//! aarch64 Linux. Both objects carry the same code bytes and the same relocations in each
//! format's spelling; both link (ld64.lld, ld.lld) with every relocation reaching its target;
//! both programs run (ELF under qemu-aarch64, Mach-O under the Unicorn emulator) and their own
//! nine checks pass.

mod common;
mod macho_support;

use std::process::Command;

use macho_support::{Image, Isa, Spec};
use object::{Object, ObjectSection};

/// The bytes of the section called `name` in an object file.
fn section(path: &std::path::Path, name: &str) -> Vec<u8> {
    let data = std::fs::read(path).expect("read object");
    let file = object::File::parse(&*data).expect("parse object");
    let s = file
        .section_by_name(name)
        .unwrap_or_else(|| panic!("no {name} in {}", path.display()));
    s.data().expect("section data").to_vec()
}

/// How many relocation entries each text section has, as `llvm-readobj-19 -r` counts them.
fn relocation_types(obj: &std::path::Path) -> Vec<String> {
    let text = common::run_ok(Command::new("llvm-readobj-19").arg("-r").arg(obj));
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("0x"))
        .map(|l| {
            l.split_whitespace()
                .filter(|w| w.contains("RELOC") || w.starts_with("R_"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn one_spec_builds_links_and_resolves_as_elf_and_mach_o() {
    let dir = common::scratch("macho_portable");
    let spec = Spec::load(&common::fixture("macho/portable.json"));

    let macho_obj = dir.join("portable-macho.o");
    macho_support::build_checked(&common::fixture("macho/portable.json"), &macho_obj);
    let elf_spec = spec.retarget(
        "aarch64-unknown-linux-gnu",
        None,
        &dir.join("portable-elf.json"),
    );
    let elf_obj = dir.join("portable-elf.o");
    common::build(&elf_spec, &elf_obj);
    common::check_elf(&elf_obj);

    // The same instructions: arm64 Mach-O keeps addends out of the code (ARM64_RELOC_ADDEND),
    // as ELF RELA does.
    assert_eq!(section(&macho_obj, "__text"), section(&elf_obj, ".text"));
    // The same relocations, each in its format's spelling.
    let elf_types = relocation_types(&elf_obj);
    let macho_types = relocation_types(&macho_obj);
    for (elf, macho) in [
        ("R_AARCH64_ADR_PREL_PG_HI21", "ARM64_RELOC_PAGE21"),
        ("R_AARCH64_ADD_ABS_LO12_NC", "ARM64_RELOC_PAGEOFF12"),
        ("R_AARCH64_ADR_GOT_PAGE", "ARM64_RELOC_GOT_LOAD_PAGE21"),
        (
            "R_AARCH64_LD64_GOT_LO12_NC",
            "ARM64_RELOC_GOT_LOAD_PAGEOFF12",
        ),
        ("R_AARCH64_CALL26", "ARM64_RELOC_BRANCH26"),
        ("R_AARCH64_ABS64", "ARM64_RELOC_UNSIGNED"),
        ("R_AARCH64_PREL32", "ARM64_RELOC_SUBTRACTOR"),
    ] {
        assert!(elf_types.iter().any(|t| t == elf), "{elf} in {elf_types:?}");
        assert!(
            macho_types.iter().any(|t| t == macho),
            "{macho} in {macho_types:?}"
        );
    }

    // Linked, every relocation reaches its target in both images.
    let macho_exe = dir.join("portable-macho");
    macho_support::link_with(
        "arm64",
        macho_support::MACOS,
        &[&macho_obj],
        &["-e", "_start"],
        &macho_exe,
    );
    let elf_exe = dir.join("portable-elf");
    common::link_lld(&[&elf_obj], &["-static", "-e", "start"], &elf_exe);
    for (exe, prefix) in [(&macho_exe, "_"), (&elf_exe, "")] {
        let (failures, checked) =
            macho_support::verify(&spec, &Image::load(exe), Isa::Arm64, prefix);
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            exe.display(),
            failures.join("\n")
        );
        assert_eq!(checked, spec.relocations().len());
    }

    // And both run, with all nine of the program's own checks passing: the ELF build under
    // qemu-aarch64, the Mach-O build under the Unicorn emulator (`run_macho.py`).
    assert_eq!(
        common::run_program(Some("qemu-aarch64"), &elf_exe),
        (String::new(), 9)
    );
    let out = common::run(
        Command::new("python3")
            .arg(common::fixture("run_macho.py"))
            .arg(&macho_exe),
    );
    assert_eq!(
        out.status.code(),
        Some(9),
        "run_macho.py {}: {}",
        macho_exe.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
