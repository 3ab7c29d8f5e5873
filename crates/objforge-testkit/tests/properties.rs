//! Property tests over every writable (format, architecture): random valid models write,
//! read back the same (the `object` crate's reader), and build the same bytes through the
//! JSON front end; random invalid models and specs fail with an error naming the place.
//!
//! Each proptest case runs every (format, architecture), so `OBJFORGE_PROPTEST_CASES`
//! (default 1000) is the number of valid and of invalid cases per pair. A failure shows the
//! input bytes proptest shrank it to; `valid::model` over those bytes rebuilds the model.

use objforge_testkit::invalid::{break_json, break_model};
use objforge_testkit::source::{cases, seed, Source};
use objforge_testkit::{check, front_end, spec, valid, writable};
use proptest::prelude::*;

/// `OBJFORGE_PROPTEST_CASES` cases from a fixed seed (`OBJFORGE_SEED` picks another), so
/// every CI run checks the same inputs and a failure reproduces.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(1000),
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed()),
        ..ProptestConfig::default()
    }
}

/// Whether an error's place is `want` or a field of it.
fn names(error: &str, want: &str) -> bool {
    let place = error.split(": ").next().unwrap_or("");
    place == want
        || place.starts_with(&format!("{want}."))
        || place.starts_with(&format!("{want}["))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_models_write_and_read_back(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        for case in writable() {
            let obj = valid::model(&case, "t_", &mut Source::new(&bytes));
            let written = obj.write();
            prop_assert!(written.is_ok(), "{}: a valid model was refused: {}", case.label(), written.err().map(|e| e.to_string()).unwrap_or_default());
            let written = written.unwrap_or_default();
            let compared = check::compare(&case, &obj, &written);
            prop_assert!(compared.is_ok(), "{}: {}", case.label(), compared.err().unwrap_or_default());
            // Streamed, the same bytes.
            let mut streamed = Vec::new();
            let streaming = obj.write_to(&mut streamed);
            prop_assert!(streaming.is_ok() && streamed == written, "{}: write_to differs from write", case.label());
            // The JSON front end builds the very same bytes from the model's spec.
            let json = serde_json::to_vec(&spec::to_json(&obj)).unwrap_or_default();
            let built = front_end::build(&json);
            prop_assert!(built.as_ref() == Ok(&written), "{}: objforge build differs: {:?}", case.label(), built.err());
        }
    }

    #[test]
    fn invalid_models_name_the_place(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        for case in writable() {
            let mut src = Source::new(&bytes);
            let mut obj = valid::model(&case, "t_", &mut src);
            // Some breakages need something the model lacks; try until one applies.
            let broken = (0..64).find_map(|_| break_model(&mut obj, &case, &mut src));
            let Some(broken) = broken.or_else(|| {
                let mut src = Source::new(&[14]);
                break_model(&mut obj, &case, &mut src)
                    .or_else(|| break_model(&mut obj, &case, &mut Source::new(&[9])))
            }) else {
                continue;
            };
            let error = match obj.write() {
                Ok(_) => String::from("(written)"),
                Err(e) => e.to_string(),
            };
            prop_assert!(names(&error, &broken.place), "{} {}: expected an error at {}, got {error}", case.label(), broken.what, broken.place);
            // The same through the JSON front end.
            let json = serde_json::to_vec(&spec::to_json(&obj)).unwrap_or_default();
            let built = front_end::build(&json);
            prop_assert!(built.is_err(), "{} {}: objforge build wrote it", case.label(), broken.what);
            let error = built.err().unwrap_or_default();
            prop_assert!(names(&error, &broken.place), "{} {}: objforge build: expected an error at {}, got {error}", case.label(), broken.what, broken.place);
        }
    }

    #[test]
    fn broken_specs_name_the_place(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        for case in writable() {
            let mut src = Source::new(&bytes);
            let obj = valid::model(&case, "t_", &mut src);
            let (json, place) = break_json(&spec::to_json(&obj), &mut src);
            let built = front_end::build(&json);
            prop_assert!(built.is_err(), "{}: a broken spec was built: {}", case.label(), String::from_utf8_lossy(&json));
            let error = built.err().unwrap_or_default();
            if let Some(place) = place {
                prop_assert!(names(&error, &place) || error.starts_with(&format!("{place}:")), "{}: expected an error at {place}, got {error}", case.label());
            }
        }
    }
}

/// The comparison is an oracle only if it notices a difference: a written object compared
/// with a model whose relocation addend, relocation target or symbol offset was changed
/// afterwards must not pass.
#[test]
fn the_comparison_notices_differences() {
    let mut rng = objforge_testkit::source::SplitMix64::new(seed());
    let mut caught = [0usize; 3];
    let mut tried = [0usize; 3];
    for case in writable() {
        for _ in 0..200 {
            let bytes = rng.bytes(768);
            let obj = valid::model(&case, "t_", &mut Source::new(&bytes));
            let Ok(written) = obj.write() else { continue };
            if let Some(k) = obj.relocations.iter().position(|r| {
                r.symbol().is_some()
                    && !matches!(
                        r.kind(),
                        objforge::RelocKind::A64Call26
                            | objforge::RelocKind::A64Jump26
                            | objforge::RelocKind::A64Condbr19
                            | objforge::RelocKind::A64Tstbr14
                            | objforge::RelocKind::A64GotAdrp21
                            | objforge::RelocKind::A64GotLd64Lo12
                            | objforge::RelocKind::A64AddLo12
                            | objforge::RelocKind::A64Adrp21
                    )
                    && r.kind().shape().size() >= 4
            }) {
                let mut changed = obj.clone();
                let a = changed.relocations[k].addend();
                changed.relocations[k].set_addend(a + 16);
                tried[0] += 1;
                caught[0] += usize::from(check::compare(&case, &changed, &written).is_err());
                let mut changed = obj.clone();
                let other = (changed.relocations[k].symbol().map_or(0, |s| s.index()) + 1)
                    % changed.symbols.len();
                if changed.symbols[other].kind != objforge::SymbolKind::File
                    && changed.symbols[other]
                        != changed.symbols[changed.relocations[k].symbol().map_or(0, |s| s.index())]
                {
                    changed.relocations[k].set_symbol(Some(objforge::SymbolId::from_index(other)));
                    tried[1] += 1;
                    caught[1] += usize::from(check::compare(&case, &changed, &written).is_err());
                }
            }
            if let Some(i) = obj.symbols.iter().position(|s| s.kind != objforge::SymbolKind::Section && matches!(s.definition, objforge::SymbolDefinition::Defined { offset, .. } if offset > 0)) {
                let mut changed = obj.clone();
                if let objforge::SymbolDefinition::Defined { offset, .. } = &mut changed.symbols[i].definition {
                    *offset -= 1;
                }
                tried[2] += 1;
                caught[2] += usize::from(check::compare(&case, &changed, &written).is_err());
            }
        }
    }
    for (what, (c, t)) in ["addend", "target", "symbol offset"]
        .iter()
        .zip(caught.iter().zip(tried))
    {
        // A change can be invisible (a weak COFF symbol's offset; two symbols at one place).
        assert!(
            t > 0 && *c * 10 >= t * 9,
            "changed {what}: caught {c} of {t}"
        );
    }
}

/// The first section of `obj` that a Wasm object writes as a data segment.
fn first_segment(obj: &mut objforge::Object) -> Option<&mut objforge::Section> {
    use objforge::SectionKind;
    obj.sections.iter_mut().find(|s| {
        !matches!(
            s.kind,
            SectionKind::Text | SectionKind::Debug | SectionKind::Other
        )
    })
}

/// The Wasm comparison notices what only a Wasm object has: a model changed after writing (a
/// symbol's binding or visibility, an import's name, a global's initial value, a segment's
/// alignment or retention, a function's type, a byte of a body, a relocation's kind, a
/// feature, a COMDAT, an export's name, an init function's priority) must not compare equal.
#[test]
fn the_wasm_comparison_notices_differences() {
    use objforge::wasm::{ConstExpr, ExportTarget, Feature, FeaturePolicy};
    use objforge::{Binding, RelocKind, SectionData, SectionKind, SymbolDefinition, Visibility};
    type Change = fn(&mut objforge::Object) -> bool;
    let changes: &[(&str, Change)] = &[
        ("binding", |o| {
            let Some(s) = o.symbols.iter_mut().find(|s| {
                s.binding == Binding::Global && s.definition != SymbolDefinition::Undefined
            }) else {
                return false;
            };
            s.binding = Binding::Weak;
            true
        }),
        ("visibility", |o| {
            let Some(s) = o.symbols.iter_mut().find(|s| s.binding != Binding::Local) else {
                return false;
            };
            s.visibility = match s.visibility {
                Visibility::Hidden => Visibility::Default,
                _ => Visibility::Hidden,
            };
            true
        }),
        ("import name", |o| {
            let Some(i) = o.wasm.imports.first_mut() else {
                return false;
            };
            i.name.push('x');
            true
        }),
        ("initial value", |o| {
            let Some(g) = o.wasm.globals.first_mut() else {
                return false;
            };
            g.init = match g.init {
                ConstExpr::I32(v) => ConstExpr::I32(v ^ 1),
                ConstExpr::I64(v) => ConstExpr::I64(v ^ 1),
                ConstExpr::F32(v) => ConstExpr::F32(v ^ 1),
                ConstExpr::F64(v) => ConstExpr::F64(v ^ 1),
                _ => return false,
            };
            true
        }),
        ("alignment", |o| {
            let Some(s) = first_segment(o) else {
                return false;
            };
            s.align *= 2;
            true
        }),
        ("retention", |o| {
            // (Of a segment: a custom section's shows only on its symbols, if any.)
            let Some(s) = first_segment(o) else {
                return false;
            };
            s.flags.retain = !s.flags.retain;
            true
        }),
        ("function type", |o| {
            let n = o.wasm.types.len() as u32;
            let Some(f) = o.wasm.functions.first_mut() else {
                return false;
            };
            f.type_index = (f.type_index + 1) % n;
            n > 1
        }),
        ("body byte", |o| {
            let Some(s) = o.sections.iter_mut().find(|s| s.kind == SectionKind::Text) else {
                return false;
            };
            let SectionData::Bytes(b) = &mut s.data else {
                return false;
            };
            // The last byte, the final `end`, is never under a field.
            if let Some(end) = b.last_mut() {
                *end ^= 0x40;
            }
            true
        }),
        ("relocation kind", |o| {
            let Some(r) = o.relocations.iter_mut().find(|r| {
                matches!(
                    r.kind(),
                    RelocKind::WasmFuncIndexLeb | RelocKind::WasmMemoryAddrI32
                )
            }) else {
                return false;
            };
            r.set_kind(match r.kind() {
                RelocKind::WasmFuncIndexLeb => RelocKind::WasmTableIndexSleb,
                _ => RelocKind::WasmTableIndexI32,
            });
            true
        }),
        ("feature", |o| {
            o.wasm.features.push(Feature {
                policy: FeaturePolicy::Used,
                name: "objforge-test".into(),
            });
            true
        }),
        ("COMDAT", |o| {
            let Some(s) = o.sections.first_mut() else {
                return false;
            };
            s.comdat = match s.comdat.take() {
                Some(_) => None,
                None => Some("t_test".into()),
            };
            true
        }),
        ("export name", |o| {
            let Some(x) = o.wasm.exports.first_mut() else {
                return false;
            };
            x.name.push('x');
            matches!(x.target, ExportTarget::Symbol(_))
        }),
        ("init priority", |o| {
            let Some(f) = o.wasm.init_funcs.first_mut() else {
                return false;
            };
            f.priority ^= 1;
            true
        }),
    ];
    let mut rng = objforge_testkit::source::SplitMix64::new(seed());
    let mut tried = vec![0usize; changes.len()];
    let mut caught = vec![0usize; changes.len()];
    for case in writable() {
        if case.format() != objforge::Format::Wasm {
            continue;
        }
        for _ in 0..300 {
            let bytes = rng.bytes(1024);
            let obj = valid::model(&case, "t_", &mut Source::new(&bytes));
            let Ok(written) = obj.write() else { continue };
            for (k, (_, change)) in changes.iter().enumerate() {
                let mut changed = obj.clone();
                if change(&mut changed) {
                    tried[k] += 1;
                    caught[k] += usize::from(check::compare(&case, &changed, &written).is_err());
                }
            }
        }
    }
    for (k, (what, _)) in changes.iter().enumerate() {
        assert!(
            tried[k] >= 20 && caught[k] == tried[k],
            "changed {what}: caught {} of {}",
            caught[k],
            tried[k]
        );
    }
}

/// The valid generator reaches what it promises: over a few hundred models per pair, every
/// relocation kind the pair expresses, every section kind, every binding, undefined, common
/// (where the format has them), file and section symbols, COMDAT groups where the format has
/// them, and for Wasm every part of a module `valid::wasm::PARTS` names.
#[test]
fn the_generator_covers_every_kind() {
    use objforge::{Binding, SymbolDefinition, SymbolKind};
    use std::collections::HashSet;
    let mut rng = objforge_testkit::source::SplitMix64::new(seed());
    for case in writable() {
        let mut kinds = HashSet::new();
        let mut sections = HashSet::new();
        let mut symbols = HashSet::new();
        let mut comdat = false;
        let mut wasm_parts = HashSet::new();
        for _ in 0..600 {
            let bytes = rng.bytes(1024);
            let obj = valid::model(&case, "t_", &mut Source::new(&bytes));
            if case.format() == objforge::Format::Wasm {
                wasm_parts.extend(valid::wasm::parts(&obj));
            }
            kinds.extend(obj.relocations.iter().map(|r| r.kind()));
            sections.extend(obj.sections.iter().map(|s| s.kind.name()));
            comdat |= obj.sections.iter().any(|s| s.comdat.is_some());
            for s in &obj.symbols {
                symbols.insert(match (s.definition, s.kind, s.binding) {
                    (_, SymbolKind::File, _) => "file",
                    (_, SymbolKind::Section, _) => "section",
                    (SymbolDefinition::Undefined, _, Binding::Weak) => "weak undefined",
                    (SymbolDefinition::Undefined, _, _) => "undefined",
                    (SymbolDefinition::Common { .. }, _, _) => "common",
                    (_, _, Binding::Local) => "local",
                    (_, _, Binding::Global) => "global",
                    (_, _, Binding::Weak) => "weak",
                    (_, _, Binding::GnuUnique) => "gnu_unique",
                    _ => "other",
                });
            }
        }
        let missing: Vec<_> = case
            .kinds()
            .into_iter()
            .filter(|k| !kinds.contains(k))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: no model had {missing:?}",
            case.label()
        );
        assert_eq!(
            sections.len(),
            8,
            "{}: section kinds {sections:?}",
            case.label()
        );
        // Every class of symbol, but common ones where the format has none; gnu_unique on ELF.
        let classes = 8 - usize::from(!case.profile.common_symbols)
            + usize::from(case.format() == objforge::Format::Elf);
        assert_eq!(
            symbols.len(),
            classes,
            "{}: symbols {symbols:?}",
            case.label()
        );
        if case.format() == objforge::Format::Wasm {
            let missing: Vec<_> = valid::wasm::PARTS
                .iter()
                .filter(|p| !wasm_parts.contains(*p))
                .collect();
            assert!(
                missing.is_empty(),
                "{}: no model had {missing:?}",
                case.label()
            );
        }
        assert_eq!(
            comdat,
            case.profile.comdat,
            "{}: COMDAT groups",
            case.label()
        );
    }
}
