//! Breakages only a Wasm model can have: a function body not listed in `wasm.functions` (or
//! listed twice, or not a text section), a type index past the types, an import without its
//! symbol (or with a dangling, shared or defined one), an undeclared function, a function
//! symbol off its body's start, a symbol of the wrong kind for its section, a data symbol past
//! its segment, a relocation against the wrong class of symbol, a type index or addend a kind
//! cannot take, an unpadded LEB, an unrelocated index in code, a body that runs past (or stops
//! before) its final `end`, a reserved custom section name, plain-module parts in an object,
//! bad exports, init functions, features, limits and initializers, a segment past 4 GiB, an
//! unknown native type. Each comes with the place its error must name.

use objforge::wasm::{
    ConstExpr, DataPlacement, Element, Export, ExportTarget, Feature, FeaturePolicy, Function,
    ImportKind, InitFunc, Limits, MemoryType, Placement, RefType, ValType,
};
use objforge::*;

use super::{broken, Broken};
use crate::source::Source;

/// Whether `kind` is a section a Wasm object makes a data segment of.
fn is_data(kind: SectionKind) -> bool {
    !matches!(
        kind,
        SectionKind::Text | SectionKind::Debug | SectionKind::Other
    )
}

fn is_custom(kind: SectionKind) -> bool {
    matches!(kind, SectionKind::Debug | SectionKind::Other)
}

/// The section a symbol is defined in, and its kind.
fn home(obj: &Object, s: &Symbol) -> Option<(usize, SectionKind)> {
    let at = s.section_id()?;
    Some((at.index(), obj.sections.get(at.index())?.kind))
}

/// An element of `items` matching `f`, or `None`.
fn pick_where<T>(items: &[T], src: &mut Source<'_>, f: impl Fn(&T) -> bool) -> Option<usize> {
    let matching: Vec<usize> = (0..items.len()).filter(|&i| f(&items[i])).collect();
    matching.get(src.below(matching.len().max(1))).copied()
}

/// Breaks `obj`, a valid Wasm model, in a way of its own; `None` when the model has nothing
/// this breakage applies to.
pub(super) fn break_model(obj: &mut Object, src: &mut Source<'_>) -> Option<Broken> {
    use RelocKind::*;
    let nsections = obj.sections.len();
    let nsymbols = obj.symbols.len();
    let nfunctions = obj.wasm.functions.len();
    let nimports = obj.wasm.imports.len();
    let ntypes = obj.wasm.types.len() as u32;
    match src.u8() % 36 {
        0 => {
            let i = obj.add_section(
                Section::new(".text.unlisted", SectionKind::Text).with_bytes(vec![0, 0x0b]),
            );
            broken(
                "text section not listed as a function",
                format!("sections[{}]", i.0),
            )
        }
        1 if nfunctions > 0 => {
            let f = obj.wasm.functions[src.below(nfunctions)];
            obj.wasm.functions.push(f);
            broken(
                "function listed twice",
                format!("wasm.functions[{nfunctions}].section"),
            )
        }
        2 if ntypes > 0 => {
            let data = pick_where(&obj.sections, src, |s| s.kind != SectionKind::Text);
            let section = match data {
                Some(i) if src.bool() => SectionId::from_index(i),
                _ => SectionId::from_index(nsections + src.below(3)),
            };
            obj.wasm.functions.push(Function {
                section,
                type_index: 0,
            });
            broken(
                "function body that is no text section",
                format!("wasm.functions[{nfunctions}].section"),
            )
        }
        3 if nfunctions > 0 => {
            let j = src.below(nfunctions);
            obj.wasm.functions[j].type_index = ntypes + src.below(3) as u32;
            broken(
                "function type past the types",
                format!("wasm.functions[{j}].type"),
            )
        }
        4 => {
            let i = pick_where(&obj.wasm.imports, src, |i| {
                matches!(i.kind, ImportKind::Func(_))
            })?;
            obj.wasm.imports[i].kind = ImportKind::Func(ntypes + src.below(3) as u32);
            broken(
                "import type past the types",
                format!("wasm.imports[{i}].type"),
            )
        }
        5 => {
            let i = pick_where(&obj.wasm.imports, src, |i| {
                i.symbol.is_some() && i.name != "__indirect_function_table"
            })?;
            obj.wasm.imports[i].symbol = None;
            broken(
                "import without its symbol",
                format!("wasm.imports[{i}].symbol"),
            )
        }
        6 => {
            let i = pick_where(&obj.wasm.imports, src, |i| i.symbol.is_some())?;
            obj.wasm.imports[i].symbol = Some(SymbolId::from_index(nsymbols + src.below(3)));
            broken("import of a dangling symbol", format!("wasm.imports[{i}]"))
        }
        7 => {
            let with: Vec<usize> = (0..nimports)
                .filter(|&i| obj.wasm.imports[i].symbol.is_some())
                .collect();
            let [first, .., last] = with[..] else {
                return None;
            };
            obj.wasm.imports[last].symbol = obj.wasm.imports[first].symbol;
            broken("two imports of one symbol", format!("wasm.imports[{last}]"))
        }
        8 => {
            let i = pick_where(&obj.wasm.imports, src, |i| i.symbol.is_some())?;
            let d = pick_where(&obj.symbols, src, |s| s.section_id().is_some())?;
            obj.wasm.imports[i].symbol = Some(SymbolId::from_index(d));
            broken(
                "import of a defined symbol",
                format!("symbols[{d}].section"),
            )
        }
        9 => {
            let i = obj.add_symbol(
                Symbol::undefined("wasm_undeclared")
                    .with_kind(SymbolKind::Func)
                    .with_binding(Binding::Global),
            );
            broken("undeclared function", format!("symbols[{}]", i.0))
        }
        10 => {
            let i = pick_where(&obj.symbols, src, |s| {
                home(obj, s).is_some_and(|(at, k)| {
                    k == SectionKind::Text && obj.sections[at].data.len() > 1
                })
            })?;
            obj.symbols[i].definition = SymbolDefinition::Defined {
                section: obj.symbols[i].section_id()?,
                offset: 1,
            };
            broken(
                "function symbol off its body's start",
                format!("symbols[{i}].offset"),
            )
        }
        11 => {
            let i = pick_where(&obj.symbols, src, |s| {
                home(obj, s).is_some_and(|(_, k)| k == SectionKind::Text)
            })?;
            obj.symbols[i].kind = SymbolKind::Object;
            broken("data symbol in a function", format!("symbols[{i}].kind"))
        }
        12 => {
            let c = pick_where(&obj.sections, src, |s| is_custom(s.kind))?;
            let i = obj.add_symbol(
                Symbol::defined("in_custom", SectionId::from_index(c), 0)
                    .with_kind(SymbolKind::Object),
            );
            broken(
                "data symbol in a custom section",
                format!("symbols[{}].kind", i.0),
            )
        }
        13 => {
            let d = pick_where(&obj.sections, src, |s| is_data(s.kind))?;
            let i = obj.add_symbol(Symbol::section(SectionId::from_index(d)));
            broken(
                "section symbol in a segment",
                format!("symbols[{}].kind", i.0),
            )
        }
        14 => {
            let i = pick_where(&obj.symbols, src, |s| {
                home(obj, s).is_some_and(|(_, k)| is_data(k))
                    && matches!(
                        s.kind,
                        SymbolKind::Object | SymbolKind::None | SymbolKind::Tls
                    )
            })?;
            let SymbolDefinition::Defined { section, offset } = obj.symbols[i].definition else {
                return None;
            };
            let len = obj.sections.get(section.index())?.data.len();
            // (An earlier breakage may have moved the symbol past the end already.)
            obj.symbols[i].size = len.saturating_sub(offset) + 1 + src.below(4) as u64;
            broken("data symbol past its segment", format!("symbols[{i}].size"))
        }
        15 => {
            let k = pick_where(&obj.relocations, src, |r| r.symbol().is_some())?;
            // A data kind gets a function nothing declares; any other a data symbol.
            let data_kind = matches!(
                obj.relocations[k].kind(),
                WasmMemoryAddrLeb
                    | WasmMemoryAddrSleb
                    | WasmMemoryAddrI32
                    | WasmMemoryAddrLeb64
                    | WasmMemoryAddrSleb64
                    | WasmMemoryAddrI64
            );
            let kind = if data_kind {
                SymbolKind::Func
            } else {
                SymbolKind::Object
            };
            let s = obj.add_symbol(
                Symbol::undefined("wasm_wrong_target")
                    .with_kind(kind)
                    .with_binding(Binding::Global),
            );
            obj.relocations[k].set_symbol(Some(s));
            broken(
                "relocation against the wrong class of symbol",
                format!("relocations[{k}].symbol"),
            )
        }
        16 => {
            let k = pick_where(&obj.relocations, src, |r| r.kind() == WasmTypeIndexLeb)?;
            if nsymbols > 0 && src.bool() {
                obj.relocations[k].set_symbol(Some(SymbolId::from_index(src.below(nsymbols))));
                broken(
                    "type index with a symbol",
                    format!("relocations[{k}].symbol"),
                )
            } else {
                obj.relocations[k].set_addend(if src.bool() {
                    i64::from(ntypes) + src.below(3) as i64
                } else {
                    -1
                });
                broken(
                    "type index past the types",
                    format!("relocations[{k}].addend"),
                )
            }
        }
        17 => {
            let k = pick_where(&obj.relocations, src, |r| {
                matches!(
                    r.kind(),
                    WasmFuncIndexLeb
                        | WasmFuncIndexI32
                        | WasmTableIndexSleb
                        | WasmTableIndexI32
                        | WasmTableIndexSleb64
                        | WasmTableIndexI64
                        | WasmGlobalIndexLeb
                        | WasmGlobalIndexI32
                        | WasmTableNumberLeb
                )
            })?;
            obj.relocations[k].set_addend(1 + src.below(100) as i64);
            broken(
                "addend on a kind without one",
                format!("relocations[{k}].addend"),
            )
        }
        18 => {
            let k = pick_where(&obj.relocations, src, |r| {
                matches!(r.kind().shape(), FieldShape::PaddedLeb(_))
            })?;
            let (section, offset) = (obj.relocations[k].section(), obj.relocations[k].offset());
            let SectionData::Bytes(bytes) = &mut obj.sections.get_mut(section.index())?.data else {
                return None;
            };
            *bytes.get_mut(offset as usize)? &= 0x7f;
            broken("LEB not padded", format!("relocations[{k}].offset"))
        }
        19 => {
            // An index immediate in code left without its relocation.
            let k = pick_where(&obj.relocations, src, |r| {
                matches!(
                    r.kind(),
                    WasmFuncIndexLeb | WasmGlobalIndexLeb | WasmTypeIndexLeb
                ) && obj
                    .sections
                    .get(r.section().index())
                    .is_some_and(|s| s.kind == SectionKind::Text)
            })?;
            let r = obj.relocations.remove(k);
            broken(
                "unrelocated index in code",
                format!("sections[{}]", r.section().index()),
            )
        }
        20 => {
            let t = pick_where(&obj.sections, src, |s| s.kind == SectionKind::Text)?;
            let SectionData::Bytes(bytes) = &mut obj.sections[t].data else {
                return None;
            };
            bytes.push(0x01);
            broken("code after the final end", format!("sections[{t}]"))
        }
        21 => {
            let t = pick_where(&obj.sections, src, |s| {
                s.kind == SectionKind::Text && s.data.len() >= 2
            })?;
            let SectionData::Bytes(bytes) = &mut obj.sections[t].data else {
                return None;
            };
            bytes.pop();
            broken("body without its final end", format!("sections[{t}]"))
        }
        22 => {
            let relocated: Vec<usize> = obj
                .relocations
                .iter()
                .map(|r| r.section().index())
                .collect();
            let t = pick_where(&obj.sections, src, |s| s.kind == SectionKind::Text)?;
            if relocated.contains(&t) {
                return None;
            }
            obj.sections[t].data = SectionData::Bytes(Vec::new());
            broken("empty function body", format!("sections[{t}].size"))
        }
        23 => {
            let c = pick_where(&obj.sections, src, |s| is_custom(s.kind))?;
            obj.sections[c].name = src.pick(&["linking", "reloc.CODE", "reloc.x"]).to_string();
            broken(
                "reserved custom section name",
                format!("sections[{c}].name"),
            )
        }
        24 => {
            obj.wasm.memory = Some(MemoryType::default());
            broken("memory defined in an object", "wasm.memory".into())
        }
        25 => {
            obj.wasm.start = Some(0);
            broken("start function in an object", "wasm.start".into())
        }
        26 => {
            obj.wasm.elements.push(Element {
                table: 0,
                offset: 0,
                functions: Vec::new(),
            });
            broken("element segment in an object", "wasm.elements[0]".into())
        }
        27 => {
            let d = pick_where(&obj.sections, src, |s| is_data(s.kind))?;
            obj.wasm.data.push(DataPlacement {
                section: SectionId::from_index(d),
                placement: Placement::Active(0),
            });
            broken("data placement in an object", "wasm.data[0]".into())
        }
        28 => {
            let k = obj.wasm.exports.len();
            match src.u8() % 3 {
                0 => {
                    // A data symbol, or a local one.
                    let s = pick_where(&obj.symbols, src, |s| {
                        home(obj, s).is_some_and(|(_, k)| is_data(k))
                            || (s.binding == Binding::Local && s.section_id().is_some())
                    })?;
                    obj.wasm.exports.push(Export {
                        name: "wasm_bad_export".into(),
                        target: ExportTarget::Symbol(SymbolId::from_index(s)),
                    });
                    broken(
                        "export of what cannot be exported",
                        format!("wasm.exports[{k}].symbol"),
                    )
                }
                1 => {
                    let name = obj.wasm.exports.first()?.name.clone();
                    let target = obj.wasm.exports[0].target;
                    obj.wasm.exports.push(Export { name, target });
                    broken("duplicate export", format!("wasm.exports[{k}].name"))
                }
                _ => {
                    obj.wasm.exports.push(Export {
                        name: "wasm_by_index".into(),
                        target: ExportTarget::Func(0),
                    });
                    broken("export by index in an object", format!("wasm.exports[{k}]"))
                }
            }
        }
        29 => {
            let k = obj.wasm.init_funcs.len();
            let symbol = match pick_where(&obj.symbols, src, |s| {
                home(obj, s).is_some_and(|(_, k)| is_data(k))
            }) {
                Some(d) if src.bool() => SymbolId::from_index(d),
                _ => SymbolId::from_index(nsymbols + src.below(3)),
            };
            obj.wasm.init_funcs.push(InitFunc {
                priority: 1,
                symbol,
            });
            broken(
                "init function that is none",
                format!("wasm.init_funcs[{k}].symbol"),
            )
        }
        30 => {
            let k = obj.wasm.features.len();
            let name = match obj.wasm.features.first() {
                Some(f) if src.bool() => f.name.clone(),
                _ => String::new(),
            };
            obj.wasm.features.push(Feature {
                policy: FeaturePolicy::Used,
                name,
            });
            broken("empty or repeated feature", format!("wasm.features[{k}]"))
        }
        31 => {
            let bad = Limits {
                min: 5,
                max: Some(4),
            };
            if let Some(i) = pick_where(&obj.wasm.imports, src, |i| {
                matches!(i.kind, ImportKind::Table(_) | ImportKind::Memory(_))
            }) {
                let what = match &mut obj.wasm.imports[i].kind {
                    ImportKind::Table(t) => {
                        t.limits = bad;
                        "table"
                    }
                    ImportKind::Memory(m) => {
                        m.limits = Limits {
                            min: 1 << 49,
                            max: None,
                        };
                        "memory"
                    }
                    _ => return None,
                };
                broken("import limits", format!("wasm.imports[{i}].{what}"))
            } else {
                let i = src.below(obj.wasm.tables.len().max(1));
                obj.wasm.tables.get_mut(i)?.ty.limits = bad;
                broken("table limits", format!("wasm.tables[{i}]"))
            }
        }
        32 => {
            let j = src.below(obj.wasm.globals.len().max(1));
            let g = obj.wasm.globals.get_mut(j)?;
            // What the spec cannot give such a global either: null for a number, a number
            // for a reference.
            g.init = match g.ty.value {
                ValType::FuncRef | ValType::ExternRef => ConstExpr::I32(1),
                _ => ConstExpr::RefNull(RefType::FuncRef),
            };
            broken(
                "initializer of another type",
                format!("wasm.globals[{j}].init"),
            )
        }
        33 => {
            let i = obj.add_section(
                Section::new(".bss.huge", SectionKind::Bss)
                    .with_zero_fill(u64::from(u32::MAX) + 1 + src.below(1000) as u64),
            );
            broken("segment past 4 GiB", format!("sections[{}].size", i.0))
        }
        34 => {
            // A weak symbol for an imported global or table.
            let i = pick_where(&obj.wasm.imports, src, |i| {
                i.symbol.is_some() && matches!(i.kind, ImportKind::Global(_) | ImportKind::Table(_))
            })?;
            let s = obj.wasm.imports[i].symbol?;
            obj.symbols.get_mut(s.index())?.binding = Binding::Weak;
            broken(
                "weak imported global or table",
                format!("symbols[{}].binding", s.0),
            )
        }
        _ => {
            let k = pick_where(&obj.relocations, src, |r| {
                matches!(r.kind().shape(), FieldShape::Data(4))
            })?;
            obj.relocations[k].set_kind(RelocKind::Native(NativeReloc {
                r_type: 99 + u32::from(src.u8()),
                pcrel: false,
                length: 2,
                size: 4,
            }));
            broken("unknown native type", format!("relocations[{k}].native"))
        }
    }
}
