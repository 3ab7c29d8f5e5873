//! Validation reports the error a symbol-by-symbol check would: the first symbol with
//! something wrong, and at that symbol its own problem before its name's duplicate — even
//! though duplicate names are found in one pass over all names.

use objforge::*;

fn object() -> Object {
    let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(vec![0; 8]));
    for name in ["a", "b", "c", "d"] {
        obj.add_symbol(Symbol::defined(name, text, 0).with_binding(Binding::Global));
    }
    obj
}

fn error(obj: &Object) -> String {
    obj.write().unwrap_err().to_string()
}

#[test]
fn a_duplicate_before_another_error_is_reported_first() {
    let mut obj = object();
    obj.symbols[1].name = "a".into();
    obj.symbols[3].definition = SymbolDefinition::Defined {
        section: SectionId(7),
        offset: 0,
    };
    assert_eq!(
        error(&obj),
        "symbols[1].name: duplicate global symbol `a` (also symbols[0])"
    );
}

#[test]
fn another_error_before_a_duplicate_is_reported_first() {
    let mut obj = object();
    obj.symbols[1].definition = SymbolDefinition::Defined {
        section: SectionId(7),
        offset: 0,
    };
    obj.symbols[3].name = "a".into();
    assert_eq!(
        error(&obj),
        "symbols[1].section: there is no section 7 (the object has 1)"
    );
}

#[test]
fn at_one_symbol_its_own_error_comes_before_its_duplicate() {
    let mut obj = object();
    obj.symbols[2].name = "a".into();
    obj.symbols[2].definition = SymbolDefinition::Defined {
        section: SectionId(7),
        offset: 0,
    };
    assert_eq!(
        error(&obj),
        "symbols[2].section: there is no section 7 (the object has 1)"
    );
    // Without it, the duplicate.
    obj.symbols[2].definition = SymbolDefinition::Defined {
        section: SectionId(0),
        offset: 0,
    };
    assert_eq!(
        error(&obj),
        "symbols[2].name: duplicate global symbol `a` (also symbols[0])"
    );
}

#[test]
fn the_first_of_several_duplicates_is_reported() {
    let mut obj = object();
    obj.symbols[3].name = "b".into();
    obj.symbols[2].name = "a".into();
    assert_eq!(
        error(&obj),
        "symbols[2].name: duplicate global symbol `a` (also symbols[0])"
    );
    // A local of the same name is not a duplicate.
    obj.symbols[2].binding = Binding::Local;
    assert_eq!(
        error(&obj),
        "symbols[3].name: duplicate global symbol `b` (also symbols[1])"
    );
}

#[test]
fn a_field_out_of_reach_comes_after_every_other_relocation_error() {
    let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(vec![0; 300]));
    let near = obj.add_symbol(Symbol::defined("near", text, 290));
    // A pcrel8 from 0 to 290 - 1: out of reach.
    obj.add_relocation(Relocation::new(text, 0, near, RelocKind::Pcrel8).with_addend(-1));
    assert!(error(&obj).starts_with("relocations[0]: pcrel8 at 0 of .text reaches"));
    // A later relocation past the end is reported first, as a check of every relocation
    // before the reach of any would.
    obj.add_relocation(Relocation::new(text, 400, near, RelocKind::Abs32));
    assert!(
        error(&obj).starts_with("relocations[1].offset: 400 is past the end of .text"),
        "{}",
        error(&obj)
    );
}
