//! Random *invalid* inputs, each with the place its error must name: a valid model with one
//! thing broken (a dangling reference, an offset past the end, a misaligned or overlapping
//! field, a duplicate global, a bad alignment, a kind the target cannot express, a thread-local access to an
//! ordinary variable, an oversized name or count, a PC-relative field out of its reach, and for Wasm the module's own rules:
//! see [`wasm`]), and spec documents broken at the JSON level (malformed, wrong types,
//! unknown keys).

use objforge::*;
use serde_json::Value;

use crate::source::Source;
use crate::targets::Case;

/// An invalid input and where its error must point.
pub struct Broken {
    /// What was broken, for messages.
    pub what: &'static str,
    /// The error's place must start with this (`relocations[3].offset`, `sections[0]`).
    pub place: String,
}

fn broken(what: &'static str, place: String) -> Option<Broken> {
    Some(Broken { what, place })
}

mod wasm;

/// Breaks `obj` (a valid model for `case`) in one way; `None` when the model has nothing this
/// breakage applies to (the caller tries another). Half of a Wasm model's breakages are Wasm's
/// own ([`wasm`]).
pub fn break_model(obj: &mut Object, case: &Case, src: &mut Source<'_>) -> Option<Broken> {
    if case.format() == Format::Wasm && src.bool() {
        return wasm::break_model(obj, src);
    }
    let nsections = obj.sections.len();
    let nsymbols = obj.symbols.len();
    let nrelocs = obj.relocations.len();
    match src.u8() % 21 {
        0 if nrelocs > 0 => {
            let i = src.below(nrelocs);
            obj.relocations[i].set_symbol(Some(SymbolId::from_index(nsymbols + src.below(3))));
            broken(
                "dangling relocation symbol",
                format!("relocations[{i}].symbol"),
            )
        }
        1 if nrelocs > 0 => {
            let i = src.below(nrelocs);
            obj.relocations[i].set_section(SectionId::from_index(nsections + src.below(3)));
            broken(
                "dangling relocation section",
                format!("relocations[{i}].section"),
            )
        }
        2 => {
            let i = obj.add_symbol(Symbol::defined(
                "dangling",
                SectionId::from_index(nsections + src.below(3)),
                0,
            ));
            broken(
                "dangling symbol section",
                format!("symbols[{}].section", i.0),
            )
        }
        3 if nrelocs > 0 => {
            let i = src.below(nrelocs);
            let len = obj
                .sections
                .get(obj.relocations[i].section().index())?
                .data
                .len();
            obj.relocations[i].set_offset(len + src.range(0, 64));
            broken(
                "relocation past the end",
                format!("relocations[{i}].offset"),
            )
        }
        4 => {
            // A misaligned instruction field.
            let kind = case.kinds().into_iter().find(
                |k| matches!(k.shape(), FieldShape::Instruction { align, .. } if align > 1),
            )?;
            let text = obj.add_section(
                Section::new("misaligned", SectionKind::Other).with_bytes(vec![0; 32]),
            );
            let sym = obj.add_symbol(Symbol::undefined("misaligned_target"));
            let i = obj.add_relocation(Relocation::new(text, 1, sym, kind));
            broken(
                "misaligned instruction field",
                format!("relocations[{}].offset", i.0),
            )
        }
        5 if nrelocs > 0 => {
            // A second field overlapping an existing one (one byte on).
            let j = src.below(nrelocs);
            let mut r = obj.relocations[j];
            let size = u64::from(r.kind().shape().size());
            if size < 2 || matches!(r.kind().shape(), FieldShape::Instruction { .. }) {
                return None;
            }
            r.set_offset(r.offset() + 1);
            r.set_kind(RelocKind::Abs8);
            r.set_minus(None);
            r.set_pair(None);
            if !objforge::supports(case.format(), case.arch, RelocKind::Abs8) {
                r.set_kind(obj.relocations[j].kind());
                r.set_minus(obj.relocations[j].minus());
                r.set_offset(obj.relocations[j].offset());
            }
            let i = obj.add_relocation(r);
            broken("overlapping fields", format!("relocations[{}].offset", i.0))
        }
        6 => {
            let name = obj
                .symbols
                .iter()
                .find(|s| s.binding != Binding::Local)
                .map(|s| s.name.clone())?;
            let i = obj.add_symbol(Symbol::undefined(name));
            broken("duplicate global", format!("symbols[{}].name", i.0))
        }
        7 if nsections > 0 => {
            let i = src.below(nsections);
            obj.sections[i].align = src.pick(&[0, 3, 6, 12, 24, 1000]);
            broken("bad alignment", format!("sections[{i}].align"))
        }
        8 => {
            let kind = ALL_KINDS
                .iter()
                .copied()
                .filter(|&k| !objforge::supports(case.format(), case.arch, k))
                .nth(src.below(8))?;
            let s = obj.add_section(
                Section::new(section_name(case), SectionKind::Data).with_bytes(vec![0; 16]),
            );
            let sym = obj.add_symbol(Symbol::undefined("inexpressible_target"));
            let mut r = Relocation::new(s, 0, sym, kind);
            if kind.is_diff() {
                r.set_minus(Some(sym));
            }
            if kind.is_pcrel_lo12() {
                return None;
            }
            let i = obj.add_relocation(r);
            broken(
                "kind the target cannot express",
                format!("relocations[{}]", i.0),
            )
        }
        9 => {
            let i = obj.add_symbol(Symbol::undefined("x".repeat(MAX_NAME_LEN + 1)));
            broken("oversized name", format!("symbols[{}].name", i.0))
        }
        10 if nsymbols > 0 => {
            let i = src.below(nsymbols);
            let SymbolDefinition::Defined { section, .. } = obj.symbols[i].definition else {
                return None;
            };
            let len = obj.sections.get(section.index())?.data.len();
            // ELF lets a symbol lie past its section's end, up to what `st_value` holds here.
            let end = match case.format() {
                Format::Elf if case.arch.pointer_width() == 4 => u64::from(u32::MAX),
                Format::Elf => 1 << 48,
                _ => len,
            };
            obj.symbols[i].definition = SymbolDefinition::Defined {
                section,
                offset: end + 1 + src.range(0, 99),
            };
            broken("symbol past the end", format!("symbols[{i}].offset"))
        }
        11 => {
            let i = obj.add_symbol(Symbol::common("badcommon", 8, src.pick(&[0, 3, 5, 100])));
            broken("common alignment", format!("symbols[{}].common", i.0))
        }
        12 => {
            let i = obj.add_symbol(Symbol::undefined("localundef").with_binding(Binding::Local));
            broken("undefined local", format!("symbols[{}].binding", i.0))
        }
        13 if nsections > 0 => {
            let i = src.below(nsections);
            obj.sections[i].name = if src.bool() {
                String::new()
            } else {
                format!("{}\0x", obj.sections[i].name)
            };
            broken("bad section name", format!("sections[{i}].name"))
        }
        14 => {
            // A branch to a local symbol in its own section, beyond the field's reach.
            let (kind, distance) = out_of_reach(case)?;
            let bytes = vec![0u8; distance as usize + 16];
            let s = obj
                .add_section(Section::new(section_name(case), SectionKind::Text).with_bytes(bytes));
            let far = obj.add_symbol(Symbol::defined("far", s, distance));
            let i = obj.add_relocation(Relocation::new(s, 0, far, kind));
            broken("out of reach", format!("relocations[{}]", i.0))
        }
        15 if nsections > 0 => {
            let i = src.below(nsections);
            let s = &mut obj.sections[i];
            s.flags.merge = true;
            s.entsize = 0;
            broken("merge without entsize", format!("sections[{i}].flags"))
        }
        16 if nsections > 0 => {
            let i = src.below(nsections);
            let s = &mut obj.sections[i];
            s.comdat = Some("selfassoc".into());
            s.comdat_selection = ComdatSelection::Associative(SectionId::from_index(i));
            broken(
                "associative to itself",
                format!("sections[{i}].comdat_associate"),
            )
        }
        17 if case.format() == Format::MachO => {
            for _ in 0..256 {
                obj.add_section(Section::new("__DATA,__many", SectionKind::Data));
            }
            broken("too many sections", "object".into())
        }
        18 if nrelocs > 0 => {
            let i = src.below(nrelocs);
            let r = &mut obj.relocations[i];
            if r.kind().is_diff() {
                r.set_minus(None);
                broken("diff without minus", format!("relocations[{i}].minus"))
            } else if r.kind().is_pcrel_lo12() {
                r.set_pair(None);
                broken("pcrel_lo12 without pair", format!("relocations[{i}].pair"))
            } else {
                // (A Wasm type index has no symbol: any id will do.)
                r.set_minus(Some(r.symbol().unwrap_or(SymbolId(0))));
                broken(
                    "minus on a non-diff kind",
                    format!("relocations[{i}].minus"),
                )
            }
        }
        19 => {
            let i = obj.add_symbol(Symbol::file("f").with_binding(Binding::Global));
            broken("global file symbol", format!("symbols[{}].binding", i.0))
        }
        20 if case.format() == Format::Elf => {
            // A thread-local access aimed at an ordinary variable, which has no offset in a
            // TLS block.
            let ordinary: Vec<usize> = (0..nsymbols)
                .filter(|&s| {
                    // (An earlier break may have pointed a symbol past the sections.)
                    obj.symbols[s].section_id().is_some_and(|t| {
                        obj.sections.get(t.index()).is_some_and(|t| {
                            !matches!(t.kind, SectionKind::TlsData | SectionKind::TlsBss)
                        })
                    })
                })
                .collect();
            let tls: Vec<usize> = (0..nrelocs)
                .filter(|&i| obj.relocations[i].kind().is_tls())
                .collect();
            if ordinary.is_empty() || tls.is_empty() {
                return None;
            }
            let i = tls[src.below(tls.len())];
            obj.relocations[i].set_symbol(Some(SymbolId::from_index(
                ordinary[src.below(ordinary.len())],
            )));
            broken(
                "thread-local access to an ordinary variable",
                format!("relocations[{i}].symbol"),
            )
        }
        _ => None,
    }
}

/// A section name the format accepts.
fn section_name(case: &Case) -> &'static str {
    match case.format() {
        Format::MachO => "__TEXT,__broken",
        _ => ".text.broken",
    }
}

/// A PC-relative kind this target has with a short reach, and a distance past it.
fn out_of_reach(case: &Case) -> Option<(RelocKind, u64)> {
    let kinds = case.kinds();
    [
        (RelocKind::Pcrel8, 200),
        (RelocKind::RvRvcBranch, 300),
        (RelocKind::RvBranch, 5000),
        (RelocKind::A64Tstbr14, 40000),
        (RelocKind::Pcrel16, 40000),
    ]
    .into_iter()
    .find(|(k, _)| kinds.contains(k))
}

/// A spec document broken at the JSON level, and the place the error must name (`None`:
/// any place; malformed JSON names the file, line and column).
pub fn break_json(doc: &Value, src: &mut Source<'_>) -> (Vec<u8>, Option<String>) {
    let text = serde_json::to_vec(doc).unwrap_or_default();
    if doc.get("wasm").is_some() && src.one_in(3) {
        return break_wasm_json(doc, src);
    }
    match src.u8() % 6 {
        0 => {
            // Malformed: cut short.
            let cut = src.below(text.len().max(1));
            (text[..cut].to_vec(), Some("fuzz.json".into()))
        }
        1 => {
            // Malformed: a stray byte before the document.
            let mut t = text.clone();
            t.insert(0, src.pick(b"{}[],:\"x\\"));
            (t, None)
        }
        2 => {
            let mut d = doc.clone();
            d["target"] = Value::from(17);
            (
                serde_json::to_vec(&d).unwrap_or_default(),
                Some("target".into()),
            )
        }
        3 => {
            let mut d = doc.clone();
            let Some(sections) = d["sections"].as_array_mut() else {
                return (text, None);
            };
            if sections.is_empty() {
                return (b"[]".to_vec(), None);
            }
            let i = src.below(sections.len());
            sections[i]["align"] = Value::from("sixteen");
            (
                serde_json::to_vec(&d).unwrap_or_default(),
                Some(format!("sections[{i}].align")),
            )
        }
        4 => {
            let mut d = doc.clone();
            let Some(symbols) = d["symbols"].as_array_mut() else {
                return (text, None);
            };
            if symbols.is_empty() {
                return (
                    b"{\"target\": \"x86_64-unknown-linux-gnu\", \"sectons\": []}".to_vec(),
                    Some("sectons".into()),
                );
            }
            let i = src.below(symbols.len());
            symbols[i]["bindng"] = Value::from("global");
            (
                serde_json::to_vec(&d).unwrap_or_default(),
                Some(format!("symbols[{i}].bindng")),
            )
        }
        _ => {
            let mut d = doc.clone();
            let Some(relocs) = d["relocations"].as_array_mut() else {
                return (text, None);
            };
            if relocs.is_empty() {
                return (b"{\"target\": []}".to_vec(), Some("target".into()));
            }
            let i = src.below(relocs.len());
            relocs[i]["offset"] = Value::from(-1);
            (
                serde_json::to_vec(&d).unwrap_or_default(),
                Some(format!("relocations[{i}].offset")),
            )
        }
    }
}

/// A spec's `wasm` object broken: an unknown key, a type index that is no number, an import
/// of two kinds at once.
fn break_wasm_json(doc: &Value, src: &mut Source<'_>) -> (Vec<u8>, Option<String>) {
    let mut d = doc.clone();
    let place = match src.u8() % 3 {
        0 => {
            d["wasm"]["functionz"] = Value::Array(Vec::new());
            "wasm.functionz".to_string()
        }
        1 => match d["wasm"]["functions"].as_array_mut() {
            Some(functions) if !functions.is_empty() => {
                let i = src.below(functions.len());
                functions[i]["type"] = Value::from("zero");
                format!("wasm.functions[{i}].type")
            }
            _ => {
                d["wasm"]["types"] = Value::from(0);
                "wasm.types".to_string()
            }
        },
        _ => match d["wasm"]["imports"].as_array_mut() {
            Some(imports) if !imports.is_empty() => {
                let i = src.below(imports.len());
                let (a, b) = match imports[i].get("func") {
                    Some(_) => ("func", "global"),
                    None => ("global", "func"),
                };
                imports[i][a] = serde_json::json!({"type": "i32"});
                imports[i][b] = Value::from(0);
                format!("wasm.imports[{i}]")
            }
            _ => {
                d["wasm"]["output"] = Value::from("executable");
                "wasm.output".to_string()
            }
        },
    };
    (serde_json::to_vec(&d).unwrap_or_default(), Some(place))
}
