//! Bad models come back as errors that name the place, before any byte is written.

use objforge::*;

fn x86_64() -> Object {
    Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap())
}

fn text(obj: &mut Object, len: usize) -> SectionId {
    obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(vec![0x90; len]))
}

fn error(obj: &Object) -> String {
    obj.write().expect_err("the model is invalid").to_string()
}

#[test]
fn offset_past_the_end_names_the_relocation() {
    let mut obj = x86_64();
    let t = text(&mut obj, 4096);
    let f = obj.add_symbol(Symbol::undefined("f"));
    for i in 0..7 {
        obj.add_relocation(Relocation::new(t, 8 * i, f, RelocKind::Abs64));
    }
    obj.add_relocation(Relocation::new(t, 4100, f, RelocKind::Pcrel32));
    assert_eq!(
        error(&obj),
        "relocations[7].offset: 4100 is past the end of .text (4096 bytes) for a 4-byte pcrel32 field"
    );
}

#[test]
fn field_running_off_the_end_is_caught() {
    let mut obj = x86_64();
    let t = text(&mut obj, 8);
    let f = obj.add_symbol(Symbol::undefined("f"));
    obj.add_relocation(Relocation::new(t, 4, f, RelocKind::Abs64));
    assert!(error(&obj).starts_with("relocations[0].offset: 4 is past the end of .text (8 bytes)"));
}

#[test]
fn unknown_symbol_and_section_ids() {
    let mut obj = x86_64();
    let t = text(&mut obj, 8);
    obj.add_relocation(Relocation::new(t, 0, SymbolId(3), RelocKind::Abs32));
    assert_eq!(
        error(&obj),
        "relocations[0].symbol: there is no symbol 3 (the object has 0)"
    );
    let mut obj = x86_64();
    obj.add_symbol(Symbol::defined("x", SectionId(2), 0));
    assert_eq!(
        error(&obj),
        "symbols[0].section: there is no section 2 (the object has 0)"
    );
}

#[test]
fn misaligned_instruction_relocation() {
    let mut obj = Object::new(Target::from_triple("aarch64-unknown-linux-gnu").unwrap());
    let t = text(&mut obj, 16);
    let f = obj.add_symbol(Symbol::undefined("f"));
    obj.add_relocation(Relocation::new(t, 6, f, RelocKind::A64Call26));
    assert_eq!(
        error(&obj),
        "relocations[0].offset: 6 is not a multiple of 4: a64_call26 patches an aligned instruction"
    );
}

#[test]
fn kind_the_architecture_cannot_express() {
    let mut obj = x86_64();
    let t = text(&mut obj, 16);
    let f = obj.add_symbol(Symbol::undefined("f"));
    obj.add_relocation(Relocation::new(t, 4, f, RelocKind::A64Call26));
    assert_eq!(
        error(&obj),
        "relocations[0].kind: kind a64_call26 has no ELF encoding on x86_64"
    );
    assert!(!supports(
        Format::Elf,
        Architecture::X86_64,
        RelocKind::A64Call26
    ));
    assert!(supports(
        Format::Elf,
        Architecture::X86_64,
        RelocKind::Diff32
    ));
    assert!(!supports(Format::Elf, Architecture::I386, RelocKind::Abs64));
}

#[test]
fn duplicate_global() {
    let mut obj = x86_64();
    let t = text(&mut obj, 16);
    obj.add_symbol(Symbol::defined("main", t, 0).with_binding(Binding::Global));
    obj.add_symbol(Symbol::defined("main", t, 4).with_binding(Binding::Weak));
    assert_eq!(
        error(&obj),
        "symbols[1].name: duplicate global symbol `main` (also symbols[0])"
    );
}

#[test]
fn bss_with_bytes_and_relocations_into_bss() {
    let mut obj = x86_64();
    obj.add_section(Section::new(".bss", SectionKind::Bss).with_bytes(vec![1, 2]));
    assert_eq!(
        error(&obj),
        "sections[0].kind: a bss section holds no bytes (2 given); give it a `size` instead"
    );
    let mut obj = x86_64();
    let b = obj.add_section(Section::new(".bss", SectionKind::Bss).with_zero_fill(64));
    let f = obj.add_symbol(Symbol::undefined("f"));
    obj.add_relocation(Relocation::new(b, 0, f, RelocKind::Abs64));
    assert_eq!(
        error(&obj),
        "relocations[0].section: .bss is a bss section: it has no bytes to patch"
    );
}

#[test]
fn alignment_must_be_a_power_of_two() {
    for align in [0, 3, 12] {
        let mut obj = x86_64();
        obj.add_section(Section::new(".data", SectionKind::Data).with_align(align));
        assert_eq!(
            error(&obj),
            format!("sections[0].align: {align} is not a power of two")
        );
    }
}

#[test]
fn overlapping_fields() {
    let mut obj = x86_64();
    let t = text(&mut obj, 16);
    let f = obj.add_symbol(Symbol::undefined("f"));
    obj.add_relocation(Relocation::new(t, 0, f, RelocKind::Abs64));
    obj.add_relocation(Relocation::new(t, 4, f, RelocKind::Abs32));
    assert_eq!(
        error(&obj),
        "relocations[1].offset: the field at 4..8 overlaps relocations[0] at 0..8"
    );
}

#[test]
fn pcrel_lo12_needs_its_hi20() {
    let mut obj = Object::new(Target::from_triple("riscv64gc-unknown-linux-gnu").unwrap());
    let t = text(&mut obj, 16);
    obj.add_relocation(Relocation::pcrel_lo12(t, 4, RelocKind::RvPcrelLo12I, 0));
    assert_eq!(
        error(&obj),
        "relocations[0].pair: there is no hi20 relocation (rv_pcrel_hi20, rv_got_hi20, rv_tlsdesc_hi20, ...) at offset 0 of .text"
    );
}

#[test]
fn diff_across_sections_needs_a_difference_relocation() {
    let mut obj = x86_64();
    let t = text(&mut obj, 16);
    let d = obj.add_section(Section::new(".data", SectionKind::Data).with_bytes(vec![0; 8]));
    let a = obj.add_symbol(Symbol::defined("a", t, 0));
    let b = obj.add_symbol(Symbol::defined("b", t, 8));
    obj.add_relocation(Relocation::difference(d, 0, RelocKind::Diff32, a, b));
    assert_eq!(
        error(&obj),
        "relocations[0].minus: ELF on x86_64 has no symbol-difference relocation: `b` must be defined in .data, the field's section"
    );
}

#[test]
fn rel_addend_must_fit_its_field() {
    let mut obj = Object::new(Target::from_triple("i686-unknown-linux-gnu").unwrap());
    let d = obj.add_section(Section::new(".data", SectionKind::Data).with_bytes(vec![0; 8]));
    let f = obj.add_symbol(Symbol::undefined("f"));
    obj.add_relocation(Relocation::new(d, 0, f, RelocKind::Abs16).with_addend(70_000));
    assert_eq!(
        error(&obj),
        "relocations[0].addend: 70000 does not fit the 2-byte field where REL stores it"
    );
}

#[test]
fn triples() {
    let t = Target::from_triple("x86_64-pc-windows-msvc").unwrap();
    assert_eq!((t.arch, t.format), (Architecture::X86_64, Format::Coff));
    let t = Target::from_triple("arm64-apple-macos11").unwrap();
    assert_eq!((t.arch, t.format), (Architecture::Aarch64, Format::MachO));
    let t = Target::from_triple("i686-unknown-linux-gnu").unwrap();
    assert_eq!(
        (t.arch, t.format, t.arch.pointer_width()),
        (Architecture::I386, Format::Elf, 4)
    );
    let t = Target::from_triple("riscv64imac-unknown-none-elf").unwrap();
    assert_eq!((t.riscv_compressed, t.float_abi), (true, FloatAbi::Soft));
    assert_eq!(
        Target::from_triple("mips-unknown-linux-gnu").unwrap_err().to_string(),
        "target: unknown architecture `mips` in `mips-unknown-linux-gnu` (known: x86_64, i386..i686, aarch64/arm64, arm/thumb, riscv64, powerpc64le, s390x, wasm32, wasm64)"
    );
    for (triple, abi) in [
        ("arm-linux-gnueabihf", FloatAbi::Double),
        ("armv7-unknown-linux-gnueabihf", FloatAbi::Double),
        ("thumbv7-unknown-linux-gnueabihf", FloatAbi::Double),
        ("armv7a-none-eabi", FloatAbi::Soft),
        ("arm-linux-gnueabi", FloatAbi::Soft),
    ] {
        let t = Target::from_triple(triple).unwrap();
        assert_eq!(
            (t.arch, t.format, t.float_abi),
            (Architecture::Arm, Format::Elf, abi)
        );
    }
    assert!(Target::from_triple("armeb-linux-gnueabi").is_err());
    for (triple, arch) in [
        ("wasm32-unknown-unknown", Architecture::Wasm32),
        ("wasm32-wasi", Architecture::Wasm32),
        ("wasm32-wasip1", Architecture::Wasm32),
        ("wasm64-unknown-unknown", Architecture::Wasm64),
    ] {
        let t = Target::from_triple(triple).unwrap();
        assert_eq!((t.arch, t.format), (arch, Format::Wasm), "{triple}");
    }
}

#[test]
fn zero_filled_data_section_takes_file_space() {
    let mut obj = Object::new(Target::from_triple("i686-unknown-linux-gnu").unwrap());
    let d = obj.add_section(Section::new(".data", SectionKind::Data).with_zero_fill(16));
    let r = obj.add_section(Section::new(".rodata", SectionKind::Rodata).with_bytes(vec![0xaa; 4]));
    let f = obj.add_symbol(Symbol::defined("r", r, 0));
    obj.add_relocation(Relocation::new(d, 8, f, RelocKind::Abs32).with_addend(0x1234));
    let bytes = obj.write().unwrap();
    // The REL addend lands inside .data, and .rodata's bytes follow the 16 zero bytes.
    let data_at = bytes
        .windows(20)
        .position(|w| w[..8] == [0; 8] && w[8..12] == [0x34, 0x12, 0, 0] && w[16..] == [0xaa; 4])
        .expect(".data then .rodata");
    assert!(data_at >= 52);
}

#[test]
fn a_pair_past_4_gib_is_an_error_not_a_wrap() {
    let mut obj = Object::new(Target::from_triple("riscv64gc-unknown-linux-gnu").unwrap());
    let t = text(&mut obj, 16);
    let r = Relocation::pcrel_lo12(t, 4, RelocKind::RvPcrelLo12I, 1 << 32);
    assert_eq!(r.pair(), Some(u64::MAX));
    obj.add_relocation(r);
    assert_eq!(
        error(&obj),
        "relocations[0].pair: the pair's offset is past 4 GiB: a relocation keeps it in 32 bits"
    );
}

#[test]
fn a_relocation_keeps_every_field_in_32_bytes() {
    assert_eq!(std::mem::size_of::<Relocation>(), 32);
    let native = RelocKind::Native(NativeReloc {
        r_type: 0xdead_beef,
        pcrel: true,
        length: 200,
        size: 7,
    });
    let r = Relocation::new(SectionId(3), 1 << 40, SymbolId(9), native).with_addend(-5);
    assert_eq!(
        (r.section(), r.offset(), r.symbol(), r.kind(), r.addend()),
        (SectionId(3), 1 << 40, Some(SymbolId(9)), native, -5)
    );
    assert_eq!((r.pair(), r.minus()), (None, None));
    // A native kind's encoding takes the pair/minus field: a minus given to one is refused.
    assert!(r.with_minus(Some(SymbolId(1))).minus().is_some());
    let d = Relocation::difference(SectionId(0), 0, RelocKind::Diff32, SymbolId(1), SymbolId(2));
    assert_eq!(
        (d.symbol(), d.minus(), d.pair()),
        (Some(SymbolId(1)), Some(SymbolId(2)), None)
    );
    assert_eq!(d.with_kind(RelocKind::Diff64).minus(), Some(SymbolId(2)));
    assert_eq!(d.with_minus(None).minus(), None);
}
