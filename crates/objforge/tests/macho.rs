//! The Mach-O writer through the library: every portable kind on both architectures either
//! writes or is refused with an error at `relocations[0].kind` — never a panic, never a
//! silent substitute — exactly as `supports` predicts; and the layout rules the format sets.

use objforge::*;

/// An object for `arch` whose one relocation is `kind` in a field that suits it.
fn object_with(triple: &str, kind: RelocKind) -> Object {
    let mut obj = Object::new(Target::from_triple(triple).unwrap());
    // A `movq` GOT load on x86_64 (REX.W 8b, RIP-relative ModRM), aligned words on arm64.
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(4)
            .with_bytes(vec![0x48, 0x8b, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    );
    let data = obj.add_section(Section::new(".data", SectionKind::Data).with_bytes(vec![0; 16]));
    let debug =
        obj.add_section(Section::new(".debug_info", SectionKind::Debug).with_bytes(vec![0; 8]));
    let f = obj.add_symbol(Symbol::defined("f", text, 0).with_binding(Binding::Global));
    let g = obj.add_symbol(Symbol::defined("g", data, 0).with_binding(Binding::Global));
    let d = obj.add_symbol(Symbol::defined("d", debug, 0));
    let (section, offset) = match kind.shape() {
        FieldShape::Instruction { .. } => (text, 4),
        // A 10-byte LEB would run past .data at 8.
        FieldShape::PaddedLeb(_) => (data, 0),
        _ if kind == RelocKind::X86Branch32 || kind == RelocKind::X86GotPcrel32 => (text, 3),
        _ if kind == RelocKind::Secrel32 => (debug, 0),
        _ => (data, 8),
    };
    let target = if kind == RelocKind::Secrel32 { d } else { g };
    let mut r = Relocation::new(section, offset, target, kind);
    if kind.is_diff() {
        r.set_minus(Some(f));
    }
    obj.add_relocation(r);
    obj
}

#[test]
fn every_kind_writes_or_is_refused_as_supports_says() {
    for (triple, arch) in [
        ("x86_64-apple-macos", Architecture::X86_64),
        ("arm64-apple-macos", Architecture::Aarch64),
    ] {
        for &kind in ALL_KINDS {
            // RISC-V's %pcrel_lo needs a hi20 at `pair`: validation refuses it first.
            if kind.is_pcrel_lo12() {
                continue;
            }
            let result = object_with(triple, kind).write();
            let supported = supports(Format::MachO, arch, kind);
            match result {
                Ok(bytes) => {
                    assert!(supported, "{arch} {kind} wrote but supports() says no");
                    assert_eq!(&bytes[..4], &[0xcf, 0xfa, 0xed, 0xfe]);
                }
                Err(e) => {
                    assert!(!supported, "{arch} {kind}: supports() says yes, but: {e}");
                    assert_eq!(
                        e.place(),
                        Some(&Place::Relocation(0, Some("kind"))),
                        "{arch} {kind}: {e}"
                    );
                    assert!(
                        e.to_string()
                            .contains(&format!("kind {kind} has no Mach-O encoding on {arch}")),
                        "{e}"
                    );
                }
            }
        }
    }
}

#[test]
fn other_architectures_are_refused_at_the_target() {
    for triple in ["i686-apple-macos", "riscv64-apple-macos"] {
        let obj = Object::new(Target::from_triple(triple).unwrap());
        let e = obj.write().unwrap_err();
        assert_eq!(e.place(), Some(&Place::Target), "{e}");
        assert!(e.to_string().contains("x86_64 and arm64"), "{e}");
    }
}

#[test]
fn build_version_comes_from_options_platform() {
    let mut obj = Object::new(Target::from_triple("arm64-apple-ios").unwrap());
    obj.add_section(
        Section::new(".text", SectionKind::Text).with_bytes(vec![0xc0, 0x03, 0x5f, 0xd6]),
    );
    let default = obj.write().unwrap();
    obj.options.platform = Platform::from_triple("arm64-apple-ios17.1-simulator");
    let sim = obj.write().unwrap();
    // LC_BUILD_VERSION (0x32): platform, minos, sdk.
    let build_version = |bytes: &[u8]| -> (u32, u32, u32) {
        let at = bytes
            .windows(8)
            .position(|w| w == [0x32, 0, 0, 0, 24, 0, 0, 0])
            .expect("LC_BUILD_VERSION");
        let word =
            |i: usize| u32::from_le_bytes(bytes[at + 4 * i..at + 4 * i + 4].try_into().unwrap());
        (word(2), word(3), word(4))
    };
    // Without options.platform the library writes macOS 11.0 (the CLI derives it from the
    // triple); with it, the iOS simulator (7), 17.1.
    assert_eq!(build_version(&default), (1, 0x000b_0000, 0x000b_0000));
    assert_eq!(build_version(&sim), (7, 0x0011_0100, 0x0011_0100));
}
