//! What the Mach-O tests share: building a spec into a checked object, linking it with
//! ld64.lld, and following every relocation of the spec into the linked image.
//!
//! [`verify`] reads the linked program (the `object` crate's reader, plus the dyld bind
//! tables from `llvm-objdump-19`), decodes the instruction or data at each relocated place and
//! checks that it reaches exactly the spec's target plus addend: a call its callee (or the
//! stub whose lazy pointer is bound to the import), an ADRP its page and the ADD/LDR/STR after
//! it the low 12 bits, a GOT load a slot holding (or bound to) the target or, relaxed, the
//! target itself, a pointer the target's address (or a bind to the import, with the addend).
//! It works on ELF images too, for the program built for both formats.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection, ObjectSymbol};
use serde_json::Value;

use crate::common;

/// The ld64.lld arguments every test links with: macOS 11.0, SDK 14.0.
pub const MACOS: [&str; 3] = ["macos", "11.0", "14.0"];

/// Builds `spec` into `out` and checks that `llvm-readobj-19 --all` reads it without a warning.
pub fn build_checked(spec: &Path, out: &Path) {
    common::build(spec, out);
    check_readobj(out);
}

/// `llvm-readobj-19 --all` succeeds and prints no warning.
pub fn check_readobj(obj: &Path) {
    let out = common::run(Command::new("llvm-readobj-19").arg("--all").arg(obj));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && !stderr.to_lowercase().contains("warning")
            && !stdout.to_lowercase().contains("warning"),
        "llvm-readobj-19 --all {}:\n{stderr}",
        obj.display()
    );
}

/// `ld64.lld-19 -arch ARCH -platform_version OS MIN SDK` of `objs` with the libSystem stub,
/// entry `_main`. `-no_fixup_chains` (the default for macOS 11 anyway) keeps pointers plain
/// and imports in dyld's bind tables, which the test reads.
pub fn link(arch: &str, platform: [&str; 3], objs: &[&Path], out: &Path) {
    link_with(arch, platform, objs, &[], out);
}

/// [`link`] with more linker arguments (`-e _start`).
pub fn link_with(arch: &str, platform: [&str; 3], objs: &[&Path], args: &[&str], out: &Path) {
    common::run_ok(
        Command::new("ld64.lld-19")
            .args(["-arch", arch, "-no_fixup_chains", "-platform_version"])
            .args(platform)
            .args(args)
            .args(objs)
            .arg(common::fixture("macho/libSystem.tbd"))
            .arg("-o")
            .arg(out),
    );
}

/// A linked program, read back.
pub struct Image {
    sections: Vec<(String, u64, Vec<u8>)>,
    symbols: HashMap<String, u64>,
    /// Address -> (symbol, addend) of every dyld bind (eager and lazy).
    binds: HashMap<u64, (String, i64)>,
}

impl Image {
    pub fn load(path: &Path) -> Image {
        let data = std::fs::read(path).expect("read linked image");
        let file = object::File::parse(&*data).expect("parse linked image");
        let sections = file
            .sections()
            .map(|s| {
                (
                    s.name().unwrap_or("").to_string(),
                    s.address(),
                    s.data().unwrap_or(&[]).to_vec(),
                )
            })
            .collect();
        let symbols = file
            .symbols()
            .filter(|s| s.is_definition())
            .filter_map(|s| Some((s.name().ok()?.to_string(), s.address())))
            .collect();
        let binds = if file.format() == object::BinaryFormat::MachO {
            binds(path)
        } else {
            HashMap::new()
        };
        Image {
            sections,
            symbols,
            binds,
        }
    }

    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols.get(name).copied()
    }

    /// `n` bytes at `addr`, from the section with contents that holds them.
    pub fn bytes(&self, addr: u64, n: usize) -> Option<&[u8]> {
        self.sections.iter().find_map(|(_, start, data)| {
            let at = usize::try_from(addr.checked_sub(*start)?).ok()?;
            data.get(at..at.checked_add(n)?)
        })
    }

    pub fn u32(&self, addr: u64) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes(addr, 4)?.try_into().ok()?))
    }

    pub fn u64(&self, addr: u64) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(addr, 8)?.try_into().ok()?))
    }

    /// The address of a section of this name.
    pub fn section(&self, name: &str) -> Option<u64> {
        self.sections
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, a, _)| *a)
    }
}

/// Every bind in the image: `llvm-objdump-19 --macho --bind --lazy-bind`.
fn binds(path: &Path) -> HashMap<u64, (String, i64)> {
    let text = common::run_ok(
        Command::new("llvm-objdump-19")
            .args(["--macho", "--bind", "--lazy-bind"])
            .arg(path),
    );
    let mut out = HashMap::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // Bind:      SEGMENT SECTION ADDRESS TYPE ADDEND DYLIB SYMBOL
        // Lazy bind: SEGMENT SECTION ADDRESS DYLIB SYMBOL
        let (address, addend, symbol) = match words.as_slice() {
            [_, _, a, "pointer", addend, _, s] => (*a, addend.parse().unwrap_or(0), *s),
            [_, _, a, _, s] if a.starts_with("0x") => (*a, 0, *s),
            _ => continue,
        };
        if let Ok(a) = u64::from_str_radix(address.trim_start_matches("0x"), 16) {
            out.insert(a, (symbol.to_string(), addend));
        }
    }
    out
}

/// A spec as the tests read it back (indices only, as `make_spec.py` writes them).
pub struct Spec {
    pub json: Value,
}

impl Spec {
    pub fn load(path: &Path) -> Spec {
        let text = std::fs::read_to_string(path).expect("read spec");
        Spec {
            json: serde_json::from_str(&text).expect("parse spec"),
        }
    }

    fn array(&self, key: &str) -> &[Value] {
        self.json[key].as_array().map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn relocations(&self) -> &[Value] {
        self.array("relocations")
    }

    fn symbol(&self, index: &Value) -> &Value {
        &self.array("symbols")[index.as_u64().expect("symbol index") as usize]
    }

    fn section_bytes(&self, index: u64) -> Vec<u8> {
        let s = &self.array("sections")[index as usize];
        let hex: String = s["hex"].as_str().unwrap_or("").split_whitespace().collect();
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect()
    }

    /// Writes a copy of the spec with another target (and options) to `path`.
    pub fn retarget(&self, target: &str, options: Option<Value>, path: &Path) -> PathBuf {
        let mut json = self.json.clone();
        json["target"] = Value::from(target);
        if let Some(o) = options {
            json["options"] = o;
        }
        std::fs::write(path, serde_json::to_string_pretty(&json).expect("json")).expect("write");
        path.to_path_buf()
    }
}

/// The architecture of the linked code, for decoding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Isa {
    Arm64,
    X86_64,
}

/// What a relocation's symbol is in the linked image.
enum Target {
    Address(u64),
    Import(String),
    /// A section symbol: its section and the spec's bytes of it, checked by content.
    Section(Vec<u8>),
}

/// Follows every relocation of `spec` into `image` (names with `prefix`, `_` for Mach-O);
/// returns one line per relocation that does not reach its target, and the number checked.
pub fn verify(spec: &Spec, image: &Image, isa: Isa, prefix: &str) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let relocs = spec.relocations();
    for (i, r) in relocs.iter().enumerate() {
        if let Err(e) = check(spec, image, isa, prefix, relocs, i) {
            failures.push(format!(
                "relocations[{i}] ({} {} {}{:+}): {e}",
                r["kind"].as_str().unwrap_or("?"),
                r["offset"],
                spec.symbol(&r["symbol"])["name"].as_str().unwrap_or("?"),
                r["addend"].as_i64().unwrap_or(0)
            ));
        }
    }
    (failures, relocs.len())
}

fn sign_extend(value: u64, bits: u32) -> i64 {
    ((value << (64 - bits)) as i64) >> (64 - bits)
}

/// The linked address of a spec place: the nearest named symbol at or before it in its
/// section, plus the distance.
fn place(
    spec: &Spec,
    image: &Image,
    prefix: &str,
    section: u64,
    offset: u64,
) -> Result<u64, String> {
    spec.array("symbols")
        .iter()
        .filter(|s| s["section"].as_u64() == Some(section) && s["kind"] != "section")
        .filter_map(|s| {
            let at = s["offset"].as_u64().unwrap_or(0);
            let name = format!("{prefix}{}", s["name"].as_str()?);
            Some((at, image.symbol(&name)?))
        })
        .filter(|&(at, _)| at <= offset)
        .max_by_key(|&(at, _)| at)
        .map(|(at, addr)| addr + (offset - at))
        .ok_or_else(|| format!("no linked symbol precedes offset {offset} of section {section}"))
}

fn target(spec: &Spec, image: &Image, prefix: &str, symbol: &Value) -> Result<Target, String> {
    let name = symbol["name"].as_str().unwrap_or("");
    match symbol["section"].as_u64() {
        None => Ok(Target::Import(format!("{prefix}{name}"))),
        Some(section) if symbol["kind"] == "section" => {
            Ok(Target::Section(spec.section_bytes(section)))
        }
        Some(_) => image
            .symbol(&format!("{prefix}{name}"))
            .map(Target::Address)
            .ok_or_else(|| format!("`{prefix}{name}` is not in the linked image")),
    }
}

/// Checks that the field says `implied` for S + A.
fn expect(
    image: &Image,
    target: &Target,
    addend: i64,
    implied: u64,
    content_at: i64,
) -> Result<(), String> {
    match target {
        Target::Address(s) => {
            let want = s.wrapping_add(addend as u64);
            if implied == want {
                Ok(())
            } else {
                Err(format!("reaches {implied:#x}, not {want:#x}"))
            }
        }
        // The section may have been merged (strings): check what is at the address instead.
        Target::Section(bytes) => {
            let at = addend + content_at;
            let want = bytes
                .get(at as usize..)
                .map(|b| &b[..b.len().min(8)])
                .ok_or("offset past the section")?;
            let got = image
                .bytes(implied.wrapping_add(content_at as u64), want.len())
                .ok_or_else(|| format!("{implied:#x} is not in the image"))?;
            if got == want {
                Ok(())
            } else {
                Err(format!("{implied:#x} holds {got:02x?}, not {want:02x?}"))
            }
        }
        Target::Import(name) => Err(format!(
            "reaches {implied:#x} directly, not through `{name}`'s binding"
        )),
    }
}

/// A GOT slot (or TLV pointer) holds S, or is bound to the import.
fn expect_slot(image: &Image, target: &Target, slot: u64) -> Result<(), String> {
    match target {
        Target::Import(name) => match image.binds.get(&slot) {
            Some((bound, 0)) if bound == name => Ok(()),
            other => Err(format!("slot {slot:#x} is bound to {other:?}, not {name}")),
        },
        _ => {
            let value = image
                .u64(slot)
                .ok_or_else(|| format!("no slot at {slot:#x}"))?;
            expect(image, target, 0, value, 0)
        }
    }
}

/// A call to an import lands on a stub whose pointer is bound to it.
fn expect_stub(image: &Image, isa: Isa, name: &str, stub: u64) -> Result<(), String> {
    let slot = match isa {
        Isa::X86_64 => {
            // jmp *slot(%rip)
            let b = image.bytes(stub, 6).ok_or("no stub")?;
            if b[..2] != [0xff, 0x25] {
                return Err(format!("{stub:#x} is not a stub: {b:02x?}"));
            }
            let rel = i32::from_le_bytes(b[2..6].try_into().unwrap_or_default());
            stub.wrapping_add(6).wrapping_add(rel as u64)
        }
        Isa::Arm64 => {
            // adrp x16, page; ldr x16, [x16, off]; br x16
            let adrp = image.u32(stub).ok_or("no stub")?;
            let ldr = image.u32(stub + 4).ok_or("no stub")?;
            adrp_page(stub, adrp)? + lo12(ldr)?
        }
    };
    match image.binds.get(&slot) {
        Some((bound, 0)) if bound == name => Ok(()),
        other => Err(format!(
            "stub {stub:#x} uses slot {slot:#x}, bound to {other:?}, not {name}"
        )),
    }
}

const NOP: u32 = 0xd503_201f;

fn is_adr(insn: u32) -> bool {
    insn & 0x9f00_0000 == 0x1000_0000
}

fn adrp_page(p: u64, insn: u32) -> Result<u64, String> {
    if insn & 0x9f00_0000 != 0x9000_0000 {
        return Err(format!("{insn:#010x} at {p:#x} is not ADRP"));
    }
    let imm = (u64::from((insn >> 5) & 0x7ffff) << 2) | u64::from((insn >> 29) & 3);
    Ok((p & !0xfff).wrapping_add((sign_extend(imm, 21) << 12) as u64))
}

/// The byte offset an ADD (immediate) or LDR/STR (unsigned immediate) adds.
fn lo12(insn: u32) -> Result<u64, String> {
    let imm = u64::from((insn >> 10) & 0xfff);
    if insn & 0x7f80_0000 == 0x1100_0000 {
        Ok(imm) // ADD (immediate), no shift
    } else if insn & 0x3b00_0000 == 0x3900_0000 {
        let mut scale = insn >> 30;
        if scale == 0 && insn & 0x0480_0000 == 0x0480_0000 {
            scale = 4; // 128-bit SIMD&FP
        }
        Ok(imm << scale)
    } else {
        Err(format!(
            "{insn:#010x} is neither ADD nor LDR/STR (immediate)"
        ))
    }
}

fn check(
    spec: &Spec,
    image: &Image,
    isa: Isa,
    prefix: &str,
    relocs: &[Value],
    i: usize,
) -> Result<(), String> {
    let r = &relocs[i];
    let kind = r["kind"].as_str().unwrap_or("");
    let addend = r["addend"].as_i64().unwrap_or(0);
    let section = r["section"].as_u64().ok_or("section by index")?;
    let offset = r["offset"].as_u64().ok_or("offset")?;
    let p = place(spec, image, prefix, section, offset)?;
    let symbol = spec.symbol(&r["symbol"]);
    let t = target(spec, image, prefix, symbol)?;
    let word = || image.u32(p).ok_or_else(|| format!("nothing at {p:#x}"));
    let quad = || image.u64(p).ok_or_else(|| format!("nothing at {p:#x}"));
    match kind {
        "abs64" | "abs32" => {
            if let Target::Import(name) = &t {
                return match image.binds.get(&p) {
                    Some((bound, a)) if bound == name && *a == addend => Ok(()),
                    other => Err(format!(
                        "{p:#x} is bound to {other:?}, not {name}{addend:+}"
                    )),
                };
            }
            let value = if kind == "abs64" {
                quad()?
            } else {
                u64::from(word()?)
            };
            expect(image, &t, addend, value, 0)
        }
        "pcrel32" | "pcrel64" | "diff32" | "diff64" => {
            let value = if kind.ends_with("64") {
                quad()? as i64
            } else {
                i64::from(word()? as i32)
            };
            let base = match r.get("minus") {
                Some(m) => match target(spec, image, prefix, spec.symbol(m))? {
                    Target::Address(a) => a,
                    _ => return Err("minus is not a linked symbol".into()),
                },
                None => p,
            };
            // An x86_64 instruction's displacement counts from the end of the field.
            let content_at = if isa == Isa::X86_64 && kind == "pcrel32" {
                4
            } else {
                0
            };
            expect(
                image,
                &t,
                addend,
                base.wrapping_add(value as u64),
                content_at,
            )
        }
        "x86_branch32" | "a64_call26" | "a64_jump26" => {
            let implied = if isa == Isa::X86_64 {
                p.wrapping_add(i64::from(word()? as i32) as u64)
            } else {
                let insn = word()?;
                if insn & 0x7c00_0000 != 0x1400_0000 {
                    return Err(format!("{insn:#010x} at {p:#x} is not B/BL"));
                }
                p.wrapping_add((sign_extend(u64::from(insn & 0x03ff_ffff), 26) << 2) as u64)
            };
            match &t {
                Target::Import(name) => {
                    expect_stub(image, isa, name, implied.wrapping_sub(addend as u64))
                }
                _ => expect(image, &t, addend, implied, 0),
            }
        }
        "x86_gotpcrel32" => {
            let opcode = image.bytes(p - 2, 1).ok_or("no opcode")?[0];
            let implied = p.wrapping_add(i64::from(word()? as i32) as u64);
            if opcode == 0x8d {
                expect(image, &t, addend, implied, 4) // relaxed: movq became leaq
            } else {
                expect_slot(image, &t, implied.wrapping_sub(addend as u64))
            }
        }
        "a64_adrp21" => {
            let insn = word()?;
            // ld.lld relaxes a near ADRP+ADD into NOP+ADR: the ADR is checked as the ADD.
            if insn == NOP && image.u32(p + 4).is_some_and(is_adr) {
                return Ok(());
            }
            let page = adrp_page(p, insn)?;
            match &t {
                Target::Address(s) => {
                    let want = s.wrapping_add(addend as u64) & !0xfff;
                    if page == want {
                        Ok(())
                    } else {
                        Err(format!("ADRP reaches page {page:#x}, not {want:#x}"))
                    }
                }
                _ => Err("an ADRP against a non-address".into()),
            }
        }
        k if k.starts_with("a64_ldst") || k == "a64_add_lo12" => {
            let insn = word()?;
            if is_adr(insn) {
                let imm = (u64::from((insn >> 5) & 0x7ffff) << 2) | u64::from((insn >> 29) & 3);
                return expect(
                    image,
                    &t,
                    addend,
                    p.wrapping_add(sign_extend(imm, 21) as u64),
                    0,
                );
            }
            let got = lo12(insn)?;
            match &t {
                Target::Address(s) => {
                    let want = s.wrapping_add(addend as u64) & 0xfff;
                    if got == want {
                        Ok(())
                    } else {
                        Err(format!("the low 12 bits are {got:#x}, not {want:#x}"))
                    }
                }
                _ => Err("a lo12 against a non-address".into()),
            }
        }
        // Checked with the LDR that completes it.
        "a64_got_adrp21" => Ok(()),
        "a64_got_ld64_lo12" => {
            let insn = word()?;
            if is_adr(insn) {
                // ld.lld relaxed ADRP+LDR of a GOT slot into NOP+ADR of the target.
                let imm = (u64::from((insn >> 5) & 0x7ffff) << 2) | u64::from((insn >> 29) & 3);
                return expect(
                    image,
                    &t,
                    addend,
                    p.wrapping_add(sign_extend(imm, 21) as u64),
                    0,
                );
            }
            let adrp = relocs[..i]
                .iter()
                .rev()
                .find(|a| a["kind"] == "a64_got_adrp21" && a["symbol"] == r["symbol"])
                .ok_or("no a64_got_adrp21 before it")?;
            let adrp_at = place(
                spec,
                image,
                prefix,
                section,
                adrp["offset"].as_u64().unwrap_or(0),
            )?;
            let page = adrp_page(adrp_at, image.u32(adrp_at).ok_or("no ADRP")?)?;
            let at = page + lo12(insn)?;
            if insn & 0x7f80_0000 == 0x1100_0000 {
                expect(image, &t, addend, at, 0) // relaxed: LDR became ADD
            } else {
                expect_slot(image, &t, at)
            }
        }
        other => Err(format!("the test does not follow kind {other}")),
    }
}
