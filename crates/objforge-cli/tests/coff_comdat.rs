//! COMDAT sections in COFF: two x86_64 objects both define the COMDAT function `shared`, with
//! its data in an associative section, and link into one program with one copy of it. Each
//! selection kind behaves as its name says, with lld-link (every kind) and MinGW ld (`any`,
//! `no_duplicates`; GNU ld treats `largest` as `any`):
//!
//! - `any`, `same_size`, `exact_match` with equal copies: one copy is kept;
//! - `largest`: the larger copy (from the second object) is the one kept, data included;
//! - `no_duplicates`, and `same_size`/`exact_match` with copies that differ: a duplicate
//!   symbol error.
//!
//! The program exits with what `shared` returns (its associated data), plus 100 if the two
//! objects saw `shared` at different addresses.

mod coff_support;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use coff_support::Arch;

/// One object's copy of `shared`: its selection, bytes of padding after its code, the value
/// in its associated data, and whether the data section names its association explicitly.
struct Copy {
    selection: &'static str,
    padding: usize,
    data: u32,
    explicit_associative: bool,
    /// Replaces `mov eax, [rip+d]; ret` with `mov ecx, [rip+d]; ret`: same size, other bytes.
    other_bytes: bool,
}

impl Copy {
    fn new(selection: &'static str, data: u32) -> Copy {
        Copy {
            selection,
            padding: 0,
            data,
            explicit_associative: false,
            other_bytes: false,
        }
    }

    /// The `.text$shared` and `.rdata$shared` sections of the spec.
    fn sections(&self) -> String {
        let opcode = if self.other_bytes { "8b0d" } else { "8b05" };
        // Without a selection of its own, a second section of the group follows the first.
        let association = if self.explicit_associative {
            r#", "comdat_selection": "associative", "comdat_associate": ".text$shared""#
        } else {
            ""
        };
        format!(
            r#"{{"name": ".text$shared", "kind": "text", "align": 16, "comdat": "shared", "comdat_selection": "{}",
      "hex": "{opcode} 00000000 c3 {}"}},
    {{"name": ".rdata$shared", "kind": "rodata", "align": 4, "comdat": "shared"{association},
      "hex": "{}"}}"#,
            self.selection,
            "90".repeat(self.padding),
            hex_u32(self.data)
        )
    }
}

fn hex_u32(v: u32) -> String {
    v.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The main object: `start` compares its `&shared` with the second object's, calls `shared`
/// and exits with the result (+100 if the addresses differ).
fn main_spec(copy: &Copy) -> String {
    format!(
        r#"{{
  "target": "x86_64-pc-windows-msvc",
  "sections": [
    {{"name": ".text", "kind": "text", "align": 16,
      "hex": "4883ec28 e800000000 488d0d00000000 31d2 4839c8 7405 ba64000000 89542420 e800000000 03442420 89c1 e800000000"}},
    {}
  ],
  "symbols": [
    {{"name": "start", "section": ".text", "kind": "func", "binding": "global"}},
    {{"name": "shared", "section": ".text$shared", "kind": "func", "binding": "global"}},
    {{"name": "shared_data", "section": ".rdata$shared"}},
    {{"name": "b_shared_addr"}},
    {{"name": "ExitProcess"}}
  ],
  "relocations": [
    {{"section": ".text", "offset": 5, "symbol": "b_shared_addr", "kind": "x86_branch32", "addend": -4}},
    {{"section": ".text", "offset": 12, "symbol": "shared", "kind": "pcrel32", "addend": -4}},
    {{"section": ".text", "offset": 33, "symbol": "shared", "kind": "x86_branch32", "addend": -4}},
    {{"section": ".text", "offset": 44, "symbol": "ExitProcess", "kind": "x86_branch32", "addend": -4}},
    {{"section": ".text$shared", "offset": 2, "symbol": "shared_data", "kind": "pcrel32", "addend": -4}}
  ]
}}"#,
        copy.sections()
    )
}

/// The second object: `b_shared_addr` returns `&shared` as this object sees it.
fn second_spec(copy: &Copy) -> String {
    format!(
        r#"{{
  "target": "x86_64-pc-windows-msvc",
  "sections": [
    {{"name": ".text", "kind": "text", "align": 16, "hex": "488d0500000000 c3"}},
    {}
  ],
  "symbols": [
    {{"name": "b_shared_addr", "section": ".text", "kind": "func", "binding": "global"}},
    {{"name": "shared", "section": ".text$shared", "kind": "func", "binding": "global"}},
    {{"name": "shared_data", "section": ".rdata$shared"}}
  ],
  "relocations": [
    {{"section": ".text", "offset": 3, "symbol": "shared", "kind": "pcrel32", "addend": -4}},
    {{"section": ".text$shared", "offset": 2, "symbol": "shared_data", "kind": "pcrel32", "addend": -4}}
  ]
}}"#,
        copy.sections()
    )
}

/// Builds both objects into `dir`; returns their paths.
fn build_pair(dir: &Path, a: &Copy, b: &Copy) -> (PathBuf, PathBuf) {
    let mut objs = Vec::new();
    for (name, spec) in [("a", main_spec(a)), ("b", second_spec(b))] {
        let spec_path = dir.join(format!("{name}.json"));
        std::fs::write(&spec_path, spec).unwrap();
        let obj = dir.join(format!("{name}.obj"));
        coff_support::build_checked(&spec_path, &obj);
        objs.push(obj);
    }
    let b = objs.pop().unwrap();
    let a = objs.pop().unwrap();
    (a, b)
}

fn lld_link(dir: &Path, a: &Path, b: &Path) -> Result<PathBuf, String> {
    let exe = dir.join("program-lld.exe");
    let out = common::run(
        Command::new("lld-link-19")
            .arg(format!("/out:{}", exe.display()))
            .args(["/machine:x64", "/subsystem:console", "/entry:start"])
            .args([a, b])
            .arg(Arch::X86_64.import_lib("kernel32")),
    );
    if out.status.success() {
        Ok(exe)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn mingw_link(dir: &Path, a: &Path, b: &Path) -> PathBuf {
    let exe = dir.join("program-mingw.exe");
    coff_support::mingw_link(
        Arch::X86_64,
        &[a, b],
        &["-nostartfiles", "-Wl,-e,start", "-lkernel32"],
        &exe,
    );
    exe
}

#[test]
fn two_objects_defining_the_same_comdat_function_link_into_one_program() {
    let dir = common::scratch("coff_comdat_any");
    let mut b = Copy::new("any", 7);
    b.explicit_associative = true;
    let (a, b) = build_pair(&dir, &Copy::new("any", 7), &b);
    let symbols = common::readobj(&["--symbols"], &a);
    assert!(symbols.contains("Selection: Any (0x2)"), "{symbols}");
    assert!(
        symbols.contains("Selection: Associative (0x5)"),
        "{symbols}"
    );

    let lld = lld_link(&dir, &a, &b).unwrap_or_else(|e| panic!("lld-link: {e}"));
    assert_eq!(coff_support::wine(&lld), (String::new(), 7), "lld-link");
    let gnu = mingw_link(&dir, &a, &b);
    assert_eq!(coff_support::wine(&gnu), (String::new(), 7), "mingw ld");
}

#[test]
fn largest_keeps_the_larger_copy_with_its_associated_data() {
    let dir = common::scratch("coff_comdat_largest");
    let mut big = Copy::new("largest", 2);
    big.padding = 9;
    let (a, b) = build_pair(&dir, &Copy::new("largest", 1), &big);
    let symbols = common::readobj(&["--symbols"], &a);
    assert!(symbols.contains("Selection: Largest (0x6)"), "{symbols}");
    let lld = lld_link(&dir, &a, &b).unwrap_or_else(|e| panic!("lld-link: {e}"));
    assert_eq!(coff_support::wine(&lld), (String::new(), 2));
}

#[test]
fn same_size_and_exact_match_keep_one_of_equal_copies_and_reject_different_ones() {
    let dir = common::scratch("coff_comdat_match");
    for selection in ["same_size", "exact_match"] {
        let (a, b) = build_pair(&dir, &Copy::new(selection, 5), &Copy::new(selection, 5));
        let lld = lld_link(&dir, &a, &b).unwrap_or_else(|e| panic!("{selection}: {e}"));
        assert_eq!(coff_support::wine(&lld), (String::new(), 5), "{selection}");
    }

    let mut longer = Copy::new("same_size", 5);
    longer.padding = 1;
    let (a, b) = build_pair(&dir, &Copy::new("same_size", 5), &longer);
    let err = lld_link(&dir, &a, &b).expect_err("copies of different sizes");
    assert!(err.contains("duplicate symbol: shared"), "{err}");

    let mut other = Copy::new("exact_match", 5);
    other.other_bytes = true;
    let (a, b) = build_pair(&dir, &Copy::new("exact_match", 5), &other);
    let err = lld_link(&dir, &a, &b).expect_err("copies with different bytes");
    assert!(err.contains("duplicate symbol: shared"), "{err}");
}

#[test]
fn no_duplicates_rejects_a_second_copy() {
    let dir = common::scratch("coff_comdat_nodup");
    let (a, b) = build_pair(
        &dir,
        &Copy::new("no_duplicates", 5),
        &Copy::new("no_duplicates", 5),
    );
    let symbols = common::readobj(&["--symbols"], &a);
    assert!(
        symbols.contains("Selection: NoDuplicates (0x1)"),
        "{symbols}"
    );
    let err = lld_link(&dir, &a, &b).expect_err("two copies");
    assert!(err.contains("duplicate symbol: shared"), "{err}");
    let out = common::run(
        Command::new("x86_64-w64-mingw32-gcc")
            .args([&a, &b])
            .args(["-nostartfiles", "-Wl,-e,start", "-lkernel32", "-o"])
            .arg(dir.join("program-mingw.exe")),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("multiple definition of `shared'"),
        "{err}"
    );
}
