//! i386 COFF end to end: a JSON spec with C names (objforge adds the leading `_` of 32-bit
//! Windows) built with the `objforge` CLI, checked by the readers, linked with lld-link and
//! with MinGW gcc/ld, run under wine.
//!
//! The fixture is `tests/fixtures/coff/every_reloc_i386.json`; `every_reloc_i386.s` is the
//! assembly it encodes (documentation only; `make_spec.py` regenerates the spec from it).

mod coff_support;
mod common;

use coff_support::Arch;

/// What the program prints when every relocation resolved; it exits with the check count.
const EVERY_RELOC_OUTPUT: &str = "\
ok DIR32 REL32
ok DIR32 data
ok DIR32NB
ok SECTION SECREL
ok weak definition
ok COMDAT
ok weak undefined
ok diff32
ok common aligned
done
";

#[test]
fn every_i386_relocation_links_with_lld_link_and_mingw_and_runs_under_wine() {
    let dir = common::scratch("coff_i386_every_reloc");
    let obj = dir.join("every_reloc.obj");
    coff_support::build_checked(&common::fixture("coff/every_reloc_i386.json"), &obj);

    let header = common::readobj(&["--file-headers"], &obj);
    assert!(header.contains("IMAGE_FILE_MACHINE_I386"), "{header}");
    let relocs = common::readobj(&["-r"], &obj);
    for t in ["DIR32", "DIR32NB", "REL32", "SECTION", "SECREL"] {
        let t = format!("IMAGE_REL_I386_{t} ");
        assert!(relocs.contains(&t), "no {t}in\n{relocs}");
    }
    // The C names of the spec, as 32-bit Windows spells them; `@feat.00` claims SafeSEH.
    let symbols = common::readobj(&["--symbols"], &obj);
    for name in [
        "_start",
        "_printf",
        "_ExitProcess@4",
        "___ImageBase",
        "_weak_fn",
        "_inl_answer",
    ] {
        assert!(
            symbols.contains(&format!("Name: {name}\n")),
            "no `{name}` in\n{symbols}"
        );
    }
    assert!(
        symbols.contains("Name: @feat.00\n    Value: 1\n"),
        "@feat.00 must claim SafeSEH:\n{symbols}"
    );

    let expected = (
        EVERY_RELOC_OUTPUT.to_string(),
        EVERY_RELOC_OUTPUT.lines().count() as i32 - 1,
    );
    let kernel32 = Arch::I386.import_lib("kernel32");
    let msvcrt = Arch::I386.import_lib("msvcrt");

    // lld-link checks SafeSEH on i386 by default: the object passes on its own (@feat.00);
    // MinGW's import libraries do not carry the mark, so the program links without the check.
    let alone = dir.join("safeseh-check.exe");
    coff_support::lld_link(
        Arch::I386,
        &[&obj],
        &["/entry:start", "/safeseh", "/force:unresolved"],
        &alone,
    );
    let lld = dir.join("every_reloc-lld.exe");
    coff_support::lld_link(
        Arch::I386,
        &[&obj, &kernel32, &msvcrt],
        &["/entry:start", "/safeseh:no"],
        &lld,
    );
    assert_eq!(coff_support::wine(&lld), expected, "lld-link");

    let gnu = dir.join("every_reloc-mingw.exe");
    coff_support::mingw_link(
        Arch::I386,
        &[&obj],
        &["-nostartfiles", "-Wl,-e,_start", "-lkernel32", "-lmsvcrt"],
        &gnu,
    );
    assert_eq!(coff_support::wine(&gnu), expected, "mingw gcc/ld");
}
