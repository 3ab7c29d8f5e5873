//! The Wasm writer through the library: every portable kind on wasm32 and wasm64 either
//! writes or is refused at `relocations[0].kind`, exactly as `supports` predicts; the symbol
//! each kind needs; the padded-LEB rule; ids out of range in the module description are
//! errors, not panics.

use objforge::wasm::{ConstExpr, Limits, RefType, TableType, ValType};
use objforge::wasm::{FuncType, Function, Global, GlobalType, Import, ImportKind, Table};
use objforge::*;

/// An object with one function, a padded-LEB data field, a word field, a global, a table and
/// a custom section, and one relocation of `kind` against the symbol that suits it.
fn object_with(triple: &str, kind: RelocKind) -> Object {
    let mut obj = Object::new(Target::from_triple(triple).unwrap());
    let text =
        obj.add_section(Section::new(".text.f", SectionKind::Text).with_bytes(vec![0, 0x0b]));
    let leb = vec![0x80, 0x80, 0x80, 0x80, 0x00, 0x2a];
    let lebs = obj.add_section(Section::new(".data.leb", SectionKind::Data).with_bytes(leb));
    let mut leb64 = vec![0x80; 9];
    leb64.push(0);
    let lebs64 = obj.add_section(Section::new(".data.leb64", SectionKind::Data).with_bytes(leb64));
    let words =
        obj.add_section(Section::new(".data.words", SectionKind::Data).with_bytes(vec![0; 16]));
    let custom =
        obj.add_section(Section::new(".debug_x", SectionKind::Debug).with_bytes(vec![0; 8]));
    let f = obj.add_symbol(
        Symbol::defined("f", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    let d = obj.add_symbol(Symbol::defined("d", words, 0).with_kind(SymbolKind::Object));
    let g = obj.add_symbol(Symbol::undefined("g"));
    let t = obj.add_symbol(Symbol::undefined("t"));
    let s = obj.add_symbol(Symbol::section(custom));
    let m = obj.add_symbol(Symbol::defined("m", words, 4));
    obj.wasm.types.push(FuncType::default());
    obj.wasm.functions.push(Function {
        section: text,
        type_index: 0,
    });
    obj.wasm.globals.push(Global {
        ty: GlobalType {
            value: ValType::I32,
            mutable: true,
        },
        init: ConstExpr::I32(0),
        symbol: Some(g),
    });
    obj.wasm.tables.push(Table {
        ty: TableType {
            element: RefType::FuncRef,
            limits: Limits::default(),
        },
        symbol: Some(t),
    });
    use RelocKind::*;
    let (section, symbol) = match kind {
        WasmMemoryAddrLeb | WasmMemoryAddrSleb => (lebs, Some(d)),
        WasmMemoryAddrLeb64 | WasmMemoryAddrSleb64 => (lebs64, Some(d)),
        WasmTableIndexSleb64 => (lebs64, Some(f)),
        WasmFuncIndexLeb | WasmTableIndexSleb => (lebs, Some(f)),
        WasmGlobalIndexLeb => (lebs, Some(g)),
        WasmTableNumberLeb => (lebs, Some(t)),
        WasmTypeIndexLeb => (lebs, None),
        WasmMemoryAddrI32 | WasmMemoryAddrI64 => (words, Some(d)),
        WasmGlobalIndexI32 => (words, Some(g)),
        WasmSectionOffsetI32 => (custom, Some(s)),
        _ => (words, Some(f)),
    };
    let mut r = Relocation::new(section, 0, f, kind);
    r.set_symbol(symbol);
    if kind.is_diff() {
        r.set_minus(Some(m));
    }
    obj.add_relocation(r);
    obj
}

#[test]
fn every_kind_writes_or_is_refused_as_supports_says() {
    for (triple, arch) in [
        ("wasm32-unknown-unknown", Architecture::Wasm32),
        ("wasm64-unknown-unknown", Architecture::Wasm64),
    ] {
        for &kind in ALL_KINDS {
            if kind.is_pcrel_lo12() {
                continue;
            }
            let result = object_with(triple, kind).write();
            let supported = supports(Format::Wasm, arch, kind);
            match result {
                Ok(bytes) => {
                    assert!(supported, "{arch} {kind} wrote but supports() says no");
                    assert_eq!(&bytes[..8], b"\0asm\x01\0\0\0");
                }
                Err(e) => {
                    assert!(!supported, "{arch} {kind}: supports() says yes, but: {e}");
                    assert_eq!(
                        e.place(),
                        Some(&Place::Relocation(0, Some("kind"))),
                        "{arch} {kind}: {e}"
                    );
                }
            }
            // Other formats never take a Wasm kind.
            for format in [Format::Elf, Format::MachO, Format::Coff] {
                if kind.is_wasm() {
                    assert!(!supports(format, Architecture::X86_64, kind));
                }
            }
        }
    }
}

#[test]
fn the_relocated_field_holds_the_objects_own_value() {
    let obj = object_with("wasm32-unknown-unknown", RelocKind::WasmGlobalIndexLeb);
    let bytes = obj.write().unwrap();
    // The global is the object's first: index 0, padded to 5 bytes, at the start of .data.leb,
    // and the byte after the field stays.
    assert!(bytes
        .windows(6)
        .any(|w| w == [0x80, 0x80, 0x80, 0x80, 0x00, 0x2a]));
    let obj = object_with("wasm32-unknown-unknown", RelocKind::WasmMemoryAddrLeb);
    // `d` is at 0 of .data.words, the third segment: after .data.leb (6 bytes) and
    // .data.leb64 (10), so at 16.
    let bytes = obj.write().unwrap();
    assert!(bytes
        .windows(6)
        .any(|w| w == [0x90, 0x80, 0x80, 0x80, 0x00, 0x2a]));
}

#[test]
fn wasm_targets_refuse_other_formats_and_other_targets_refuse_wasm() {
    for format in [Format::Elf, Format::MachO, Format::Coff] {
        let mut obj = Object::new(Target::from_triple("wasm32-unknown-unknown").unwrap());
        obj.target.format = format;
        let e = obj.write().unwrap_err();
        assert_eq!(e.place(), Some(&Place::Target), "{format}: {e}");
    }
    let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    obj.target.format = Format::Wasm;
    assert_eq!(
        obj.write().unwrap_err().to_string(),
        "target: Wasm objects are for wasm32 or wasm64, not x86_64"
    );
}

#[test]
fn ids_out_of_range_are_errors() {
    let mut obj = Object::new(Target::from_triple("wasm32-unknown-unknown").unwrap());
    obj.wasm.functions.push(Function {
        section: SectionId(9),
        type_index: 0,
    });
    obj.wasm.types.push(FuncType::default());
    assert_eq!(
        obj.write().unwrap_err().to_string(),
        "wasm.functions[0].section: there is no section 9 (the object has 0)"
    );
    let mut obj = Object::new(Target::from_triple("wasm32-unknown-unknown").unwrap());
    obj.wasm
        .imports
        .push(Import::new("env", "f", ImportKind::Func(0)).with_symbol(SymbolId(4)));
    obj.wasm.types.push(FuncType::default());
    assert_eq!(
        obj.write().unwrap_err().to_string(),
        "wasm.imports[0]: there is no symbol 4 (the object has 0)"
    );
}
