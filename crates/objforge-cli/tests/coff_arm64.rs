//! arm64 COFF: a JSON spec using every relocation kind ARM64 COFF expresses, most with
//! addends (which ARM64 COFF keeps in the instruction immediates), built with the `objforge`
//! CLI and linked with `lld-link /machine:arm64`. Nothing here runs arm64 Windows code, so
//! the test reads the linked image back (the `object` crate, with the COFF symbol table
//! lld-link writes for `/debug:symtab`) and decodes every relocated instruction and pointer:
//! each branch must reach its target, each ADRP its page, each ADD/LDR/STR after it the low
//! 12 bits (scaled by the access size), each pointer the target's address, image-relative
//! address, section offset or section index.
//!
//! The fixture is `tests/fixtures/coff/every_reloc_arm64.json`; `every_reloc_arm64.s` is the
//! assembly it encodes (`make_spec.py` regenerates the spec from it).

mod coff_support;
mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use coff_support::Arch;
use object::{Object, ObjectSection, ObjectSymbol};
use serde_json::Value;

/// The linked image: where symbols and sections are, and the bytes at an address.
struct Image<'d> {
    file: object::File<'d>,
    symbols: HashMap<String, u64>,
}

impl Image<'_> {
    fn symbol(&self, name: &str) -> u64 {
        *self
            .symbols
            .get(name)
            .unwrap_or_else(|| panic!("`{name}` is not in the image's symbol table"))
    }

    /// (1-based index, start address) of the section holding `addr`.
    fn section_of(&self, addr: u64) -> (usize, u64) {
        self.file
            .sections()
            .find(|s| (s.address()..s.address() + s.size()).contains(&addr))
            .map(|s| (s.index().0, s.address()))
            .unwrap_or_else(|| panic!("no section holds {addr:#x}"))
    }

    fn bytes<const N: usize>(&self, addr: u64) -> [u8; N] {
        let s = self
            .file
            .sections()
            .find(|s| (s.address()..s.address() + s.size()).contains(&addr))
            .unwrap_or_else(|| panic!("no section holds {addr:#x}"));
        let data = s.data().unwrap();
        let at = (addr - s.address()) as usize;
        // Past the section's data (a 2-byte field at its end): zeros.
        let mut out = [0; N];
        for (k, b) in out.iter_mut().enumerate() {
            *b = data.get(at + k).copied().unwrap_or(0);
        }
        out
    }

    fn u32(&self, addr: u64) -> u32 {
        u32::from_le_bytes(self.bytes(addr))
    }
}

fn sign_extend(value: u32, bits: u32) -> i64 {
    (i64::from(value) << (64 - bits)) >> (64 - bits)
}

/// Follows every relocation of `spec` into the image; returns the kinds checked.
fn verify(spec: &Value, image: &Image, base: u64) -> BTreeSet<String> {
    let symbols = spec["symbols"].as_array().unwrap();
    // Where each spec section landed, from a symbol defined in it.
    let mut section_start: HashMap<u64, u64> = HashMap::new();
    for s in symbols {
        if let (Some(sec), Some(name)) = (s["section"].as_u64(), s["name"].as_str()) {
            if s["kind"] != "section" {
                let offset = s["offset"].as_u64().unwrap_or(0);
                section_start.insert(sec, image.symbol(name) - offset);
            }
        }
    }
    let mut kinds = BTreeSet::new();
    for (i, r) in spec["relocations"].as_array().unwrap().iter().enumerate() {
        let kind = r["kind"].as_str().unwrap();
        let target = &symbols[r["symbol"].as_u64().unwrap() as usize];
        let s_plus_a = image
            .symbol(target["name"].as_str().unwrap())
            .wrapping_add(r["addend"].as_i64().unwrap() as u64);
        let p = section_start[&r["section"].as_u64().unwrap()] + r["offset"].as_u64().unwrap();
        let insn = image.u32(p);
        let what = format!(
            "relocations[{i}] {kind} at {p:#x} to {} {:+}",
            target["name"], r["addend"]
        );
        let page = |x: u64| x & !0xfff;
        match kind {
            "a64_call26" | "a64_jump26" => {
                let opcode = if kind == "a64_call26" {
                    0x9400_0000
                } else {
                    0x1400_0000
                };
                assert_eq!(insn & 0xfc00_0000, opcode, "{what}: not BL/B");
                let to = p.wrapping_add((sign_extend(insn & 0x03ff_ffff, 26) * 4) as u64);
                assert_eq!(to, s_plus_a, "{what}");
            }
            "a64_condbr19" => {
                let to = p.wrapping_add((sign_extend((insn >> 5) & 0x7ffff, 19) * 4) as u64);
                assert_eq!(to, s_plus_a, "{what}");
            }
            "a64_tstbr14" => {
                let to = p.wrapping_add((sign_extend((insn >> 5) & 0x3fff, 14) * 4) as u64);
                assert_eq!(to, s_plus_a, "{what}");
            }
            "a64_adrp21" | "a64_adr21" => {
                let imm = sign_extend(((insn >> 29) & 3) | (((insn >> 5) & 0x7ffff) << 2), 21);
                if kind == "a64_adrp21" {
                    assert_eq!(insn & 0x9f00_0000, 0x9000_0000, "{what}: not ADRP");
                    let to = page(p).wrapping_add((imm << 12) as u64);
                    assert_eq!(to, page(s_plus_a), "{what}");
                } else {
                    assert_eq!(insn & 0x9f00_0000, 0x1000_0000, "{what}: not ADR");
                    assert_eq!(p.wrapping_add(imm as u64), s_plus_a, "{what}");
                }
            }
            "a64_add_lo12" => {
                assert_eq!(u64::from((insn >> 10) & 0xfff), s_plus_a & 0xfff, "{what}");
            }
            k if k.starts_with("a64_ldst") => {
                let bits: u32 = k["a64_ldst".len()..k.len() - "_lo12".len()]
                    .parse()
                    .unwrap();
                let scale = (bits / 8).trailing_zeros();
                let imm = u64::from((insn >> 10) & 0xfff) << scale;
                assert_eq!(imm, s_plus_a & 0xfff, "{what}");
            }
            "abs64" => assert_eq!(u64::from_le_bytes(image.bytes(p)), s_plus_a, "{what}"),
            "abs32" => assert_eq!(u64::from(insn), s_plus_a, "{what}"),
            "imagerel32" => assert_eq!(u64::from(insn), s_plus_a - base, "{what}"),
            "pcrel32" => assert_eq!(
                sign_extend(insn, 32),
                s_plus_a.wrapping_sub(p) as i64,
                "{what}"
            ),
            "secrel32" => {
                let (_, start) = image.section_of(s_plus_a);
                assert_eq!(u64::from(insn), s_plus_a - start, "{what}");
            }
            "secidx16" => {
                let (index, _) = image.section_of(s_plus_a);
                assert_eq!(
                    usize::from(u16::from_le_bytes(image.bytes(p))),
                    index,
                    "{what}"
                );
            }
            other => panic!("{what}: no check for {other}"),
        }
        kinds.insert(kind.to_string());
    }
    kinds
}

#[test]
fn every_arm64_relocation_resolves_to_its_target_in_the_lld_link_image() {
    let dir = common::scratch("coff_arm64_every_reloc");
    let spec_path = common::fixture("coff/every_reloc_arm64.json");
    let obj = dir.join("every_reloc.obj");
    coff_support::build_checked(&spec_path, &obj);
    let header = common::readobj(&["--file-headers"], &obj);
    assert!(header.contains("IMAGE_FILE_MACHINE_ARM64"), "{header}");
    let relocs = common::readobj(&["-r"], &obj);
    for t in [
        "ADDR64",
        "ADDR32",
        "ADDR32NB",
        "BRANCH26",
        "BRANCH19",
        "BRANCH14",
        "PAGEBASE_REL21",
        "REL21",
        "PAGEOFFSET_12A",
        "PAGEOFFSET_12L",
        "REL32",
        "SECTION",
        "SECREL",
    ] {
        let t = format!("IMAGE_REL_ARM64_{t} ");
        assert!(relocs.contains(&t), "no {t}in\n{relocs}");
    }
    // ADDR32 needs an image below 4 GiB.
    let exe = dir.join("every_reloc.exe");
    coff_support::lld_link(
        Arch::Arm64,
        &[&obj],
        &[
            "/entry:start",
            "/nodefaultlib",
            "/base:0x10000000",
            "/largeaddressaware:no",
            "/debug:symtab",
        ],
        &exe,
    );
    let data = std::fs::read(&exe).unwrap();
    let file = object::File::parse(&*data).unwrap();
    assert_eq!(file.architecture(), object::Architecture::Aarch64);
    let base = file.relative_address_base();
    assert_eq!(base, 0x1000_0000);
    let symbols = file
        .symbols()
        .map(|s| (s.name().unwrap().to_string(), s.address()))
        .collect();
    let image = Image { file, symbols };
    let spec: Value = serde_json::from_slice(&std::fs::read(&spec_path).unwrap()).unwrap();
    let kinds = verify(&spec, &image, base);
    let every: BTreeSet<String> = [
        "a64_call26",
        "a64_jump26",
        "a64_condbr19",
        "a64_tstbr14",
        "a64_adrp21",
        "a64_adr21",
        "a64_add_lo12",
        "a64_ldst8_lo12",
        "a64_ldst16_lo12",
        "a64_ldst32_lo12",
        "a64_ldst64_lo12",
        "a64_ldst128_lo12",
        "abs64",
        "abs32",
        "imagerel32",
        "pcrel32",
        "secrel32",
        "secidx16",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    assert_eq!(kinds, every);
    same_code_as_llvm_mc(&obj, &dir);
}

/// The object disassembles, relocations and stored addends included, exactly as llvm-mc's
/// from the listing does.
fn same_code_as_llvm_mc(obj: &Path, dir: &Path) {
    let reference = dir.join("llvm-mc.obj");
    common::run_ok(
        Command::new("llvm-mc-19")
            .args(["-triple", "aarch64-pc-windows-msvc", "-filetype=obj"])
            .arg(common::fixture("coff/every_reloc_arm64.s"))
            .arg("-o")
            .arg(&reference),
    );
    let disassemble = |file: &Path| -> String {
        let text = common::run_ok(
            Command::new("llvm-objdump-19")
                .args(["-d", "-r", "--section=.text", "--section=.text$far"])
                .arg(file),
        );
        // Skip the header line that names the file.
        text.lines().skip(2).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(disassemble(obj), disassemble(&reference));
}
