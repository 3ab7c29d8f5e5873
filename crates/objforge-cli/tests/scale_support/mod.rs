//! The two large objects the scale tests build for every format, each checked by the program
//! that walks it: a chain of sections, each holding a pointer to the next, and one section of
//! pointers `table[i] = &target + i`. The callers add the code and the entry symbol, which
//! differ by platform.
#![allow(dead_code)]

use objforge::*;

/// Machine code written as hex bytes, spaces and newlines between them.
pub fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("a hex byte"))
        .collect()
}

/// Adds `n` data sections named by `name`, each an 8-byte pointer to the next (the last one
/// holds 0), and the `pcrel32` at `lea` in `text` that finds the first.
pub fn add_section_chain(
    obj: &mut Object,
    text: SectionId,
    lea: u64,
    n: usize,
    name: impl Fn(usize) -> String,
) {
    let links: Vec<SectionId> = (0..n)
        .map(|i| {
            obj.add_section(
                Section::new(name(i), SectionKind::Data)
                    .with_align(8)
                    .with_bytes(vec![0; 8]),
            )
        })
        .collect();
    let symbols: Vec<SymbolId> = links
        .iter()
        .map(|&s| obj.add_symbol(Symbol::section(s)))
        .collect();
    obj.add_relocation(Relocation::new(text, lea, symbols[0], RelocKind::Pcrel32).with_addend(-4));
    for (link, next) in links.iter().zip(&symbols[1..]) {
        obj.add_relocation(Relocation::new(*link, 0, *next, RelocKind::Abs64));
    }
}

/// Adds a `.data` table of `n` absolute pointers, `table[i] = &target + i`, with `target` a
/// global byte in the read-only section `rodata`, and the `pcrel32`s at `lea_table` and
/// `lea_target` in `text` that find them.
pub fn add_pointer_table(
    obj: &mut Object,
    text: SectionId,
    (lea_table, lea_target): (u64, u64),
    n: usize,
    rodata: &str,
) {
    let table = obj.add_section(
        Section::new(".data", SectionKind::Data)
            .with_align(8)
            .with_bytes(vec![0; 8 * n]),
    );
    let rodata = obj.add_section(Section::new(rodata, SectionKind::Rodata).with_bytes(vec![0]));
    let table_sym =
        obj.add_symbol(Symbol::defined("table", table, 0).with_kind(SymbolKind::Object));
    let target = obj.add_symbol(
        Symbol::defined("target", rodata, 0)
            .with_kind(SymbolKind::Object)
            .with_binding(Binding::Global)
            .with_size(1),
    );
    obj.add_relocation(
        Relocation::new(text, lea_table, table_sym, RelocKind::Pcrel32).with_addend(-4),
    );
    obj.add_relocation(
        Relocation::new(text, lea_target, target, RelocKind::Pcrel32).with_addend(-4),
    );
    for i in 0..n {
        obj.add_relocation(
            Relocation::new(table, 8 * i as u64, target, RelocKind::Abs64).with_addend(i as i64),
        );
    }
}
