//! ppc64le (ELFv2) through the library: the header, local entry points in `st_other`, and the
//! errors a bad local entry or an out-of-reach branch gives, naming the place.

use objforge::*;

fn ppc64le() -> Object {
    Object::new(Target::from_triple("powerpc64le-unknown-linux-gnu").unwrap())
}

/// A global function `f` at 0 of 32 bytes of `.text` (nops), and an undefined `g`.
fn with_function(obj: &mut Object) -> (SectionId, SymbolId, SymbolId) {
    let nop = [0x00, 0x00, 0x00, 0x60];
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(4)
            .with_bytes(nop.repeat(8)),
    );
    let f = obj.add_symbol(
        Symbol::defined("f", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global)
            .with_size(32),
    );
    let g = obj.add_symbol(Symbol::undefined("g"));
    (text, f, g)
}

fn error(obj: &Object) -> String {
    obj.write().expect_err("the model is invalid").to_string()
}

/// `st_other` of the symbol table's entry named `name`, read by hand (64-bit, little-endian).
fn st_other(bytes: &[u8], name: &str) -> u8 {
    let u16_at = |o: usize| u16::from_le_bytes(bytes[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
    let (shoff, shnum) = (u64_at(0x28), u16_at(0x3c));
    let header = |i: usize| shoff + i * 64;
    let symtab = (0..shnum)
        .map(header)
        .find(|&h| u32_at(h + 4) == 2)
        .expect("a symbol table");
    let strtab = header(u32_at(symtab + 40));
    let (off, size, str_off) = (
        u64_at(symtab + 24),
        u64_at(symtab + 32),
        u64_at(strtab + 24),
    );
    for entry in (off..off + size).step_by(24) {
        let at = str_off + u32_at(entry);
        let end = at + bytes[at..].iter().position(|&b| b == 0).unwrap();
        if &bytes[at..end] == name.as_bytes() {
            return bytes[entry + 5];
        }
    }
    panic!("no symbol {name}");
}

#[test]
fn header_is_elfv2() {
    let mut obj = ppc64le();
    with_function(&mut obj);
    let bytes = obj.write().unwrap();
    assert_eq!(bytes[4], 2, "ELFCLASS64");
    assert_eq!(bytes[5], 1, "little-endian");
    assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), 21, "EM_PPC64");
    assert_eq!(
        u32::from_le_bytes(bytes[48..52].try_into().unwrap()),
        2,
        "e_flags: ELFv2"
    );
    assert_eq!(
        Target::from_triple("ppc64le-linux-gnu").unwrap().arch,
        Architecture::Ppc64le
    );
}

#[test]
fn local_entry_is_written_in_st_other() {
    for (offset, code) in [(1, 1), (4, 2), (8, 3), (16, 4), (32, 5), (64, 6)] {
        let mut obj = ppc64le();
        let (_, f, _) = with_function(&mut obj);
        obj.symbols[f.index()].visibility = Visibility::Hidden;
        obj.set_local_entry(f, offset);
        let bytes = obj.write().unwrap();
        // Visibility keeps bits 0..1; the local entry is bits 5..7.
        assert_eq!(st_other(&bytes, "f"), code << 5 | 2, "local entry {offset}");
    }
    let mut obj = ppc64le();
    let (_, f, _) = with_function(&mut obj);
    obj.set_local_entry(f, 8);
    obj.set_local_entry(f, 0);
    assert_eq!(obj.local_entries().count(), 0, "0 removes the record");
    assert_eq!(st_other(&obj.write().unwrap(), "f"), 0);
}

#[test]
fn bad_local_entries_name_the_symbol() {
    let mut obj = ppc64le();
    let (_, f, g) = with_function(&mut obj);
    obj.set_local_entry(f, 12);
    assert!(
        error(&obj).starts_with("symbols[0].local_entry: 12 cannot be encoded in st_other"),
        "{}",
        error(&obj)
    );
    obj.set_local_entry(f, 0);
    obj.set_local_entry(g, 8);
    assert!(
        error(&obj).starts_with("symbols[1].local_entry: `g` is not defined here"),
        "{}",
        error(&obj)
    );
    obj.set_local_entry(g, 0);
    obj.set_local_entry(SymbolId(7), 8);
    assert!(
        error(&obj).starts_with("symbols[7].local_entry: a local entry is recorded for symbol 7"),
        "{}",
        error(&obj)
    );

    let mut other = Object::new(Target::from_triple("aarch64-unknown-linux-gnu").unwrap());
    let (_, f, _) = with_function(&mut other);
    other.set_local_entry(f, 8);
    assert!(
        error(&other).starts_with(
            "symbols[0].local_entry: a local entry point is a PowerPC64 ELFv2 notion; this object is elf aarch64"
        ),
        "{}",
        error(&other)
    );
}

#[test]
fn branches_within_the_section_are_checked_for_reach() {
    let mut obj = ppc64le();
    let (text, _, _) = with_function(&mut obj);
    // A conditional branch to a local label + 2: not a whole instruction away (a global
    // target could be preempted, so only the linker would know).
    let l = obj.add_symbol(Symbol::defined(".Ll", text, 16));
    obj.add_relocation(Relocation::new(text, 4, l, RelocKind::PpcRel14).with_addend(2));
    let e = error(&obj);
    assert!(e.starts_with("relocations[0]"), "{e}");
    // The same to f itself, and a call to g, are fine.
    obj.relocations[0].set_addend(0);
    obj.add_relocation(Relocation::new(text, 8, SymbolId(1), RelocKind::PpcRel24));
    obj.write().unwrap();
    assert!(supports(
        Format::Elf,
        Architecture::Ppc64le,
        RelocKind::PpcToc16Ha
    ));
    assert!(supports(
        Format::Elf,
        Architecture::Ppc64le,
        RelocKind::Diff64
    ));
    assert!(!supports(
        Format::Elf,
        Architecture::Ppc64le,
        RelocKind::Abs8
    ));
    assert!(!supports(
        Format::MachO,
        Architecture::Ppc64le,
        RelocKind::Abs64
    ));
}
