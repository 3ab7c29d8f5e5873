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
                r.symbol.is_some()
                    && !matches!(
                        r.kind,
                        objforge::RelocKind::A64Call26
                            | objforge::RelocKind::A64Jump26
                            | objforge::RelocKind::A64Condbr19
                            | objforge::RelocKind::A64Tstbr14
                            | objforge::RelocKind::A64GotAdrp21
                            | objforge::RelocKind::A64GotLd64Lo12
                            | objforge::RelocKind::A64AddLo12
                            | objforge::RelocKind::A64Adrp21
                    )
                    && r.kind.shape().size() >= 4
            }) {
                let mut changed = obj.clone();
                changed.relocations[k].addend += 16;
                tried[0] += 1;
                caught[0] += usize::from(check::compare(&case, &changed, &written).is_err());
                let mut changed = obj.clone();
                let other =
                    (changed.relocations[k].symbol.map_or(0, |s| s.0) + 1) % changed.symbols.len();
                if changed.symbols[other].kind != objforge::SymbolKind::File
                    && changed.symbols[other]
                        != changed.symbols[changed.relocations[k].symbol.map_or(0, |s| s.0)]
                {
                    changed.relocations[k].symbol = Some(objforge::SymbolId(other));
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

/// The valid generator reaches what it promises: over a few hundred models per pair, every
/// relocation kind the pair expresses, every section kind, every binding, undefined, common,
/// file and section symbols, and (where the format has them) COMDAT groups.
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
        for _ in 0..600 {
            let bytes = rng.bytes(1024);
            let obj = valid::model(&case, "t_", &mut Source::new(&bytes));
            kinds.extend(obj.relocations.iter().map(|r| r.kind));
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
        assert_eq!(symbols.len(), 8, "{}: symbols {symbols:?}", case.label());
        assert_eq!(
            comdat,
            case.profile.comdat,
            "{}: COMDAT groups",
            case.label()
        );
    }
}
