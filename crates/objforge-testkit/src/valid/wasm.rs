//! Random *valid* Wasm objects. A Wasm object is more than sections, symbols and relocations:
//! every `text` section is one function's body, listed in `wasm.functions` with its type; an
//! undefined function, global or table is an import; a defined global or table is named by a
//! symbol with no section. So Wasm has a generator of its own, which makes:
//!
//! - types (always `[] -> []`, which init functions need), with numeric, vector and reference
//!   parameters and results;
//! - sections of every kind: function bodies, data segments (merge-string, zero-filled,
//!   thread-local, retained ones), custom sections; COMDAT groups of any of them;
//! - imports of functions (some under another field name or module), globals, tables and,
//!   sometimes, the memory itself; defined globals and tables; exports by symbol; init
//!   functions; `target_features`;
//! - local, global, weak, hidden and undefined symbols of every class (functions with
//!   aliases, data, globals, tables, section symbols, a file symbol), in a random order;
//! - function bodies that validate (the values each instruction takes pushed first, what it
//!   leaves dropped), whose index and address immediates are padded LEBs under the kind that
//!   patches them: `call` (`wasm_func_index_leb`), `call_indirect` (type and table number),
//!   `i32.const`/`i64.const` of a table slot or an address, a load's offset, `global.get`,
//!   `table.size`;
//! - 4- and 8-byte fields of the word kinds (and sometimes padded LEBs) in data segments and
//!   custom sections.
//!
//! The rules it keeps are the linker's (`wasm-ld`), each written where it is kept: every table
//! has its symbol, the indirect function table too once there are tables (else the object is a
//! "legacy" one, whose table objforge imports); `call_indirect` names a `funcref` table by a
//! relocation when the object has tables and uses table 0 when it has none; no weak imported
//! global or table; initializers are constants (an object cannot relocate `ref.func` or
//! `global.get`); the features a link of the object needs are in `target_features`; unsigned
//! LEB addresses get no negative addend; a string segment is neither relocated nor pointed
//! into, nor in a COMDAT; no defined `funcref` global, and no export of a function with an
//! alias. Global names carry the tag.

use objforge::wasm::{
    ConstExpr, Export, ExportTarget, Feature, FeaturePolicy, FuncType, Function, Global,
    GlobalType, Import, ImportKind, InitFunc, Limits, MemoryType, RefType, Table, TableType,
    ValType,
};
use objforge::*;

use crate::source::Source;
use crate::targets::{Case, Naming};

/// A value type's encoding, written out here rather than taken from the library.
pub(crate) fn val_code(t: ValType) -> u8 {
    match t {
        ValType::I32 => 0x7f,
        ValType::I64 => 0x7e,
        ValType::F32 => 0x7d,
        ValType::F64 => 0x7c,
        ValType::V128 => 0x7b,
        ValType::FuncRef => 0x70,
        ValType::ExternRef => 0x6f,
        _ => 0,
    }
}

/// The kinds that patch an instruction's immediate.
const CODE_KINDS: &[RelocKind] = &[
    RelocKind::WasmFuncIndexLeb,
    RelocKind::WasmTypeIndexLeb,
    RelocKind::WasmTableIndexSleb,
    RelocKind::WasmTableIndexSleb64,
    RelocKind::WasmMemoryAddrLeb,
    RelocKind::WasmMemoryAddrLeb64,
    RelocKind::WasmMemoryAddrSleb,
    RelocKind::WasmMemoryAddrSleb64,
    RelocKind::WasmGlobalIndexLeb,
    RelocKind::WasmTableNumberLeb,
];

/// The kinds that patch a little-endian word in data or a custom section.
const WORD_KINDS: &[RelocKind] = &[
    RelocKind::WasmFuncIndexI32,
    RelocKind::WasmTableIndexI32,
    RelocKind::WasmTableIndexI64,
    RelocKind::WasmMemoryAddrI32,
    RelocKind::WasmMemoryAddrI64,
    RelocKind::WasmGlobalIndexI32,
    RelocKind::WasmFunctionOffsetI32,
    RelocKind::WasmFunctionOffsetI64,
    RelocKind::WasmSectionOffsetI32,
];

/// Features a generated object may say it uses (`+`), and ones it may say it does not use
/// (`-`): disjoint, so that any objects link together.
const USED_FEATURES: &[&str] = &[
    "mutable-globals",
    "sign-ext",
    "multivalue",
    "reference-types",
    "nontrapping-fptoint",
];
const DISALLOWED_FEATURES: &[&str] = &["shared-mem", "exception-handling"];

/// What a symbol is in the module, for choosing what a relocation may name.
#[derive(Default)]
struct Targets {
    /// Function symbols: (symbol, type index, defined here).
    functions: Vec<(SymbolId, u32, bool)>,
    /// Data symbols: (symbol, in a merge-string segment).
    data: Vec<(SymbolId, bool)>,
    /// Global symbols.
    globals: Vec<SymbolId>,
    /// Table symbols: (symbol, holds `funcref`).
    tables: Vec<(SymbolId, bool)>,
    /// Custom sections' symbols: (symbol, section length).
    sections: Vec<(SymbolId, u64)>,
}

/// A value type for a signature or a global: mostly numbers.
fn val_type(src: &mut Source<'_>) -> ValType {
    if src.one_in(8) {
        src.pick(&[ValType::V128, ValType::FuncRef, ValType::ExternRef])
    } else {
        src.pick(&[ValType::I32, ValType::I64, ValType::F32, ValType::F64])
    }
}

fn signature(src: &mut Source<'_>) -> FuncType {
    let params = (0..src.below(4)).map(|_| val_type(src)).collect::<Vec<_>>();
    let results = (0..src.below(3)).map(|_| val_type(src)).collect::<Vec<_>>();
    FuncType::new(params, results)
}

fn limits(src: &mut Source<'_>, most: u64) -> Limits {
    let min = src.range(0, most);
    let max = src.bool().then(|| min + src.range(0, 4));
    Limits { min, max }
}

fn table_type(src: &mut Source<'_>) -> TableType {
    TableType {
        element: if src.one_in(4) {
            RefType::ExternRef
        } else {
            RefType::FuncRef
        },
        limits: limits(src, 4),
    }
}

/// A global's type and an initial value of that type. No `v128` (a constant expression for
/// one is beyond [`ConstExpr`]), and no `funcref` for a `defined` one (wasm-ld-19 writes its
/// `ref.null func` as `ref.null extern`, and the linked module does not validate).
fn global(src: &mut Source<'_>, defined: bool) -> (GlobalType, ConstExpr) {
    let value = loop {
        let t = val_type(src);
        if t != ValType::V128 && !(defined && t == ValType::FuncRef) {
            break t;
        }
        if src.is_empty() {
            break ValType::I32;
        }
    };
    // Floats that survive the spec's JSON numbers exactly.
    let small = i64::from(src.u8() as i8);
    let init = match value {
        ValType::I32 => ConstExpr::I32(small as i32 * i32::from(src.u8())),
        ValType::I64 => ConstExpr::I64(small << src.below(40)),
        ValType::F32 => ConstExpr::F32((small as f32 / 4.0).to_bits()),
        ValType::F64 => ConstExpr::F64((small as f64 / 8.0).to_bits()),
        ValType::FuncRef | ValType::V128 => ConstExpr::RefNull(RefType::FuncRef),
        _ => ConstExpr::RefNull(RefType::ExternRef),
    };
    let ty = GlobalType {
        value,
        mutable: src.bool(),
    };
    (ty, init)
}

/// Shuffles `items` (Fisher-Yates, choices from `src`).
fn shuffle<T>(items: &mut [T], src: &mut Source<'_>) {
    for i in (1..items.len()).rev() {
        let j = src.below(i + 1);
        items.swap(i, j);
    }
}

/// What to add to the object, in an order the source shuffles (so that imports of each kind
/// interleave, and symbols of each class come in any order).
#[derive(Clone, Copy)]
enum Job {
    /// A symbol for the function whose body is this section.
    Function(usize),
    /// A data symbol in some segment.
    Data,
    /// The symbol of this custom section.
    Section(usize),
    File,
    ImportFunction,
    ImportGlobal,
    ImportTable,
    ImportMemory,
    UndefinedData,
    Global,
    Table,
    /// `env.__indirect_function_table`, imported with its symbol.
    IndirectFunctionTable,
}

fn binding(src: &mut Source<'_>) -> Binding {
    src.pick(&[
        Binding::Local,
        Binding::Local,
        Binding::Global,
        Binding::Weak,
    ])
}

fn visibility(src: &mut Source<'_>, binding: Binding) -> Visibility {
    if binding == Binding::Local {
        Visibility::Default
    } else {
        src.pick(&[
            Visibility::Default,
            Visibility::Hidden,
            Visibility::Protected,
        ])
    }
}

/// An external symbol's binding and visibility: global or weak, default or hidden.
fn external(src: &mut Source<'_>, symbol: Symbol) -> Symbol {
    symbol
        .with_binding(src.pick(&[Binding::Global, Binding::Global, Binding::Weak]))
        .with_visibility(src.pick(&[Visibility::Default, Visibility::Hidden]))
}

/// A global symbol, default or hidden.
fn strong(src: &mut Source<'_>, symbol: Symbol) -> Symbol {
    symbol
        .with_binding(Binding::Global)
        .with_visibility(src.pick(&[Visibility::Default, Visibility::Hidden]))
}

/// A random valid Wasm object for `case`; global names start with `tag`.
pub(crate) fn model(case: &Case, tag: &str, src: &mut Source<'_>) -> Object {
    let is64 = case.arch == Architecture::Wasm64;
    let kinds = case.kinds();
    let mut obj = Object::new(case.target());
    obj.wasm.types.push(FuncType::default());
    for _ in 0..src.below(4) {
        let t = signature(src);
        obj.wasm.types.push(t);
    }
    let ntypes = obj.wasm.types.len();

    // --- Sections: function bodies are written once their targets exist.
    let nsections = 1 + src.below(7);
    let mut merge = vec![false; nsections];
    for (i, merges) in merge.iter_mut().enumerate() {
        let kind = src.pick(super::KINDS);
        let mut s = Section::new(super::section_name(Naming::Elf, kind, i), kind);
        s.align = 1 << src.below(6);
        let len = src.below(97);
        if kind == SectionKind::Text {
            s.data = SectionData::Bytes(vec![0x00, 0x0b]);
        } else if kind.is_zero_fill() || src.one_in(8) {
            s.data = SectionData::Zero(len as u64);
        } else if kind == SectionKind::Rodata && src.one_in(5) {
            // Unaligned, as wasm-ld merges strings.
            s.data = SectionData::Bytes(super::c_strings(src));
            s.flags.merge_strings = true;
            s.align = 1;
            *merges = true;
        } else {
            s.data = SectionData::Bytes(src.bytes(len));
        }
        s.flags.retain = src.one_in(10);
        obj.add_section(s);
    }
    let kind_of = |obj: &Object, i: usize| obj.sections[i].kind;
    let is_custom = |k: SectionKind| matches!(k, SectionKind::Debug | SectionKind::Other);
    let is_data = |k: SectionKind| k != SectionKind::Text && !is_custom(k);

    // Every text section is a function, listed once, in any order.
    let mut texts: Vec<usize> = (0..nsections)
        .filter(|&i| kind_of(&obj, i) == SectionKind::Text)
        .collect();
    shuffle(&mut texts, src);
    for &t in &texts {
        let type_index = src.below(ntypes) as u32;
        obj.wasm.functions.push(Function {
            section: SectionId::from_index(t),
            type_index,
        });
    }
    let type_of_body = |obj: &Object, section: usize| {
        obj.wasm
            .functions
            .iter()
            .find(|f| f.section.index() == section)
            .map_or(0, |f| f.type_index)
    };

    // --- COMDAT groups: a run of sections of any kind.
    if src.one_in(3) {
        let first = src.below(nsections);
        let group = format!("{tag}grp{first}");
        let last = nsections.min(first + 1 + src.below(3));
        let associative = src.one_in(3);
        // wasm-ld-19 -r crashes on a string segment in a COMDAT (`InputChunk::getComdatName`).
        let members: Vec<usize> = (first..last).filter(|&m| !merge[m]).collect();
        for (k, &m) in members.iter().enumerate() {
            let s = &mut obj.sections[m];
            s.comdat = Some(group.clone());
            if k > 0 && associative {
                s.comdat_selection =
                    ComdatSelection::Associative(SectionId::from_index(members[0]));
            }
        }
    }

    // --- Symbols, imports, globals and tables.
    let mut jobs = Vec::new();
    for &t in &texts {
        if !src.one_in(4) {
            jobs.push(Job::Function(t));
        }
        if src.one_in(6) {
            // An alias: a second symbol for the same function.
            jobs.push(Job::Function(t));
        }
    }
    for _ in 0..src.below(7) {
        jobs.push(Job::Data);
    }
    for i in 0..nsections {
        if is_custom(kind_of(&obj, i)) && src.bool() {
            jobs.push(Job::Section(i));
        }
    }
    if src.one_in(4) {
        jobs.push(Job::File);
    }
    for _ in 0..src.below(4) {
        jobs.push(Job::ImportFunction);
    }
    for _ in 0..src.below(3) {
        jobs.push(Job::ImportGlobal);
    }
    if src.one_in(4) {
        jobs.push(Job::ImportTable);
    }
    if src.one_in(5) {
        jobs.push(Job::ImportMemory);
    }
    for _ in 0..src.below(3) {
        jobs.push(Job::UndefinedData);
    }
    for _ in 0..src.below(3) {
        jobs.push(Job::Global);
    }
    if src.one_in(4) {
        for _ in 0..1 + src.below(2) {
            jobs.push(Job::Table);
        }
    }
    if jobs
        .iter()
        .any(|j| matches!(j, Job::Table | Job::ImportTable))
    {
        // An object with table symbols names the indirect function table by one too (as
        // LLVM's do): `wasm-ld-19 -r` crashes (`TableSymbol::getTableNumber`) on table slots
        // in an object with tables but without it.
        jobs.push(Job::IndirectFunctionTable);
    }
    shuffle(&mut jobs, src);

    let mut targets = Targets::default();
    let data_sections: Vec<usize> = (0..nsections)
        .filter(|&i| is_data(kind_of(&obj, i)))
        .collect();
    for (k, job) in jobs.into_iter().enumerate() {
        match job {
            Job::Function(t) => {
                let binding = binding(src);
                let name = match binding {
                    Binding::Local => format!("l{}", src.below(4)),
                    _ => format!("{tag}f{k}"),
                };
                let id = obj.add_symbol(Symbol {
                    name: name.into(),
                    definition: SymbolDefinition::Defined {
                        section: SectionId::from_index(t),
                        offset: 0,
                    },
                    kind: src.pick(&[SymbolKind::Func, SymbolKind::Func, SymbolKind::None]),
                    binding,
                    visibility: visibility(src, binding),
                    size: 0,
                });
                targets.functions.push((id, type_of_body(&obj, t), true));
            }
            Job::Data => {
                if data_sections.is_empty() {
                    continue;
                }
                let section = src.pick(&data_sections);
                let s = &obj.sections[section];
                let len = s.data.len();
                let merges = merge[section];
                let offset = if merges { 0 } else { src.range(0, len) };
                let size = if src.bool() {
                    len - offset
                } else {
                    src.range(0, len - offset)
                };
                let tls = matches!(s.kind, SectionKind::TlsData | SectionKind::TlsBss);
                let kind = if tls && src.bool() {
                    SymbolKind::Tls
                } else {
                    src.pick(&[SymbolKind::Object, SymbolKind::None])
                };
                let binding = binding(src);
                let name = match binding {
                    Binding::Local => format!("l{}", src.below(4)),
                    _ => format!("{tag}v{k}"),
                };
                let id = obj.add_symbol(Symbol {
                    name: name.into(),
                    definition: SymbolDefinition::Defined {
                        section: SectionId::from_index(section),
                        offset,
                    },
                    kind,
                    binding,
                    visibility: visibility(src, binding),
                    size,
                });
                targets.data.push((id, merges));
            }
            Job::Section(i) => {
                let id = obj.add_symbol(Symbol::section(SectionId::from_index(i)));
                targets.sections.push((id, obj.sections[i].data.len()));
            }
            Job::File => {
                obj.add_symbol(Symbol::file(format!("{tag}source.c")));
            }
            Job::ImportFunction => {
                let name = format!("{tag}u{k}");
                let kind = src.pick(&[SymbolKind::Func, SymbolKind::Func, SymbolKind::None]);
                let symbol = external(src, Symbol::undefined(name.clone()).with_kind(kind));
                let id = obj.add_symbol(symbol);
                let ty = src.below(ntypes) as u32;
                // Under another field name (the symbol's own name then written out), or from
                // another module.
                let field = if src.one_in(3) {
                    format!("{tag}field{k}")
                } else {
                    name
                };
                let module = if src.one_in(4) {
                    format!("{tag}host")
                } else {
                    "env".to_string()
                };
                let mut import = Import::new(module, field, ImportKind::Func(ty)).with_symbol(id);
                // clang's `import_name` attribute: explicit even when the names agree.
                if src.one_in(4) {
                    import = import.with_explicit_name();
                }
                obj.wasm.imports.push(import);
                targets.functions.push((id, ty, false));
            }
            Job::ImportGlobal => {
                let name = format!("{tag}ug{k}");
                let kind = src.pick(&[SymbolKind::Object, SymbolKind::None]);
                // An imported global or table is never weak: LLVM's readers refuse one.
                let symbol = Symbol::undefined(name.clone()).with_kind(kind);
                let id = obj.add_symbol(strong(src, symbol));
                let (ty, _) = global(src, false);
                obj.wasm
                    .imports
                    .push(Import::new("env", name, ImportKind::Global(ty)).with_symbol(id));
                targets.globals.push(id);
            }
            Job::ImportTable => {
                let name = format!("{tag}ut{k}");
                let id = obj.add_symbol(strong(src, Symbol::undefined(name.clone())));
                let ty = table_type(src);
                obj.wasm
                    .imports
                    .push(Import::new("env", name, ImportKind::Table(ty)).with_symbol(id));
                targets.tables.push((id, ty.element == RefType::FuncRef));
            }
            Job::IndirectFunctionTable => {
                let name = "__indirect_function_table";
                let id = obj.add_symbol(Symbol::undefined(name).with_binding(Binding::Global));
                let ty = TableType {
                    element: RefType::FuncRef,
                    limits: Limits::default(),
                };
                obj.wasm
                    .imports
                    .push(Import::new("env", name, ImportKind::Table(ty)).with_symbol(id));
                targets.tables.push((id, true));
            }
            Job::ImportMemory => {
                let memory = MemoryType {
                    limits: limits(src, 2),
                    shared: false,
                };
                obj.wasm.imports.push(Import::new(
                    "env",
                    "__linear_memory",
                    ImportKind::Memory(memory),
                ));
            }
            Job::UndefinedData => {
                let kind = src.pick(&[SymbolKind::Object, SymbolKind::None]);
                let id = obj.add_symbol(external(
                    src,
                    Symbol::undefined(format!("{tag}d{k}")).with_kind(kind),
                ));
                targets.data.push((id, false));
            }
            Job::Global => {
                let kind = src.pick(&[SymbolKind::Object, SymbolKind::None]);
                let id = obj.add_symbol(external(
                    src,
                    Symbol::undefined(format!("{tag}G{k}")).with_kind(kind),
                ));
                let (ty, init) = global(src, true);
                obj.wasm.globals.push(Global {
                    ty,
                    init,
                    symbol: Some(id),
                });
                targets.globals.push(id);
            }
            Job::Table => {
                let id = obj.add_symbol(external(src, Symbol::undefined(format!("{tag}T{k}"))));
                let ty = table_type(src);
                obj.wasm.tables.push(Table {
                    ty,
                    symbol: Some(id),
                });
                targets.tables.push((id, ty.element == RefType::FuncRef));
            }
        }
    }

    // --- Exports (defined, non-local functions and globals), init functions, features.
    let mut exportable: Vec<SymbolId> = targets
        .functions
        .iter()
        .filter(|f| f.2)
        .map(|f| f.0)
        .chain(obj.wasm.globals.iter().filter_map(|g| g.symbol))
        .filter(|s| obj.symbols[s.index()].binding != Binding::Local)
        .collect();
    shuffle(&mut exportable, src);
    // No function with aliases: wasm-ld keeps an export name per function, not per symbol,
    // and exports every alias under it (a duplicate export).
    let aliased = |s: SymbolId| {
        let definition = obj.symbols[s.index()].definition;
        definition != SymbolDefinition::Undefined
            && obj
                .symbols
                .iter()
                .filter(|o| o.definition == definition)
                .count()
                > 1
    };
    let exports: Vec<SymbolId> = exportable
        .iter()
        .copied()
        .filter(|&s| !aliased(s))
        .take(src.below(3))
        .collect();
    for (k, s) in exports.into_iter().enumerate() {
        obj.wasm.exports.push(Export {
            name: format!("{tag}x{k}"),
            target: ExportTarget::Symbol(s),
        });
    }
    let nullary: Vec<SymbolId> = targets
        .functions
        .iter()
        .filter(|f| f.2 && obj.wasm.types[f.1 as usize] == FuncType::default())
        .map(|f| f.0)
        .collect();
    if !nullary.is_empty() {
        for _ in 0..src.below(3) {
            let symbol = src.pick(&nullary);
            let any = u32::from(src.u16());
            let priority = src.pick(&[0, 100, 65535, any]);
            obj.wasm.init_funcs.push(InitFunc { priority, symbol });
        }
    }
    // wasm-ld links thread-local segments only when some object of the link uses atomics
    // and bulk memory (as a compiler's objects with TLS say they do).
    let tls = obj
        .sections
        .iter()
        .any(|s| matches!(s.kind, SectionKind::TlsData | SectionKind::TlsBss));
    // Likewise a final link imports a mutable global, or exports any global, only when some
    // object uses `mutable-globals` (which compilers' objects always say).
    let mutable = !obj.wasm.globals.is_empty()
        || obj
            .wasm
            .imports
            .iter()
            .any(|i| matches!(i.kind, ImportKind::Global(g) if g.mutable));
    if tls || mutable || src.one_in(4) {
        let mut names: Vec<&str> = USED_FEATURES.to_vec();
        shuffle(&mut names, src);
        let mut names: Vec<&str> = names.into_iter().take(src.below(4)).collect();
        if tls {
            names.extend(["atomics", "bulk-memory"]);
        }
        if mutable && !names.contains(&"mutable-globals") {
            names.push("mutable-globals");
        }
        for name in names {
            obj.wasm.features.push(Feature {
                policy: FeaturePolicy::Used,
                name: name.to_string(),
            });
        }
        if src.bool() {
            obj.wasm.features.push(Feature {
                policy: FeaturePolicy::Disallowed,
                name: src.pick(DISALLOWED_FEATURES).to_string(),
            });
        }
    }

    // --- Function bodies, then fields in data and custom sections.
    let code_kinds: Vec<RelocKind> = CODE_KINDS
        .iter()
        .copied()
        .filter(|k| kinds.contains(k))
        .collect();
    let word_kinds: Vec<RelocKind> = WORD_KINDS
        .iter()
        .copied()
        .filter(|k| kinds.contains(k))
        .collect();
    let locals = obj
        .wasm
        .types
        .iter()
        .any(|t| t.params.contains(&ValType::V128) || t.results.contains(&ValType::V128))
        || src.bool();
    let has_tables = !targets.tables.is_empty();
    for j in 0..obj.wasm.functions.len() {
        let Function {
            section,
            type_index,
        } = obj.wasm.functions[j];
        let mut body = Body {
            bytes: Vec::new(),
            fields: Vec::new(),
            params: obj.wasm.types[type_index as usize].params.len(),
            locals: locals || src.bool(),
        };
        body.generate(
            &obj,
            &targets,
            &code_kinds,
            has_tables,
            is64,
            type_index,
            src,
        );
        obj.sections[section.index()].data = SectionData::Bytes(body.bytes);
        for (offset, kind, symbol, addend) in body.fields {
            obj.add_relocation(
                Relocation::new(section, offset, SymbolId(0), kind)
                    .with_symbol(symbol)
                    .with_addend(addend),
            );
        }
    }
    for (i, &merges) in merge.iter().enumerate() {
        let k = kind_of(&obj, i);
        let fielded = is_custom(k) || (is_data(k) && !k.is_zero_fill() && !merges);
        if fielded {
            words(&mut obj, i, &word_kinds, &code_kinds, &targets, src);
        }
    }
    // Relocations in any order: objforge sorts each section's.
    if src.one_in(4) {
        shuffle(&mut obj.relocations, src);
    }
    obj
}

/// A function body being written: its bytes, and its relocated fields (offset, kind,
/// symbol, addend).
struct Body {
    bytes: Vec<u8>,
    fields: Vec<(u64, RelocKind, Option<SymbolId>, i64)>,
    /// The function's parameter count (its locals come after).
    params: usize,
    /// Whether one local of each value type is declared (`v128` values come from one).
    locals: bool,
}

/// A padded LEB of `n` bytes where a relocation goes: usually zero, sometimes any value
/// (objforge overwrites it all).
fn placeholder(n: usize, src: &mut Source<'_>) -> Vec<u8> {
    let random = src.one_in(4);
    (0..n)
        .map(|i| {
            let bits = if random { src.u8() & 0x7f } else { 0 };
            if i + 1 < n {
                bits | 0x80
            } else {
                bits
            }
        })
        .collect()
}

impl Body {
    fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// A field of `kind` here, against `symbol` with `addend`.
    fn field(
        &mut self,
        kind: RelocKind,
        symbol: Option<SymbolId>,
        addend: i64,
        src: &mut Source<'_>,
    ) {
        let n = usize::from(kind.shape().size());
        self.fields
            .push((self.bytes.len() as u64, kind, symbol, addend));
        let p = placeholder(n, src);
        self.push(&p);
    }

    /// Pushes a value of type `t`.
    fn value(&mut self, t: ValType, src: &mut Source<'_>) {
        // One local of each type, in `ValType::ALL` order, follows the parameters.
        let params = self.params;
        let local = |k: usize| [0x20, (params + k) as u8];
        match t {
            ValType::I32 => self.push(&[0x41, src.u8() & 0x3f]),
            ValType::I64 => self.push(&[0x42, src.u8() & 0x3f]),
            ValType::F32 => {
                self.push(&[0x43]);
                let b = src.bytes(4);
                self.push(&b);
            }
            ValType::F64 => {
                self.push(&[0x44]);
                let b = src.bytes(8);
                self.push(&b);
            }
            ValType::V128 => self.push(&local(4)),
            ValType::FuncRef if self.locals && src.bool() => self.push(&local(5)),
            ValType::ExternRef if self.locals && src.bool() => self.push(&local(6)),
            ValType::FuncRef => self.push(&[0xd0, 0x70]),
            _ => self.push(&[0xd0, 0x6f]),
        }
    }

    fn drops(&mut self, n: usize) {
        for _ in 0..n {
            self.push(&[0x1a]);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn generate(
        &mut self,
        obj: &Object,
        targets: &Targets,
        kinds: &[RelocKind],
        has_tables: bool,
        is64: bool,
        type_index: u32,
        src: &mut Source<'_>,
    ) {
        let types = &obj.wasm.types;
        if self.locals {
            self.push(&[ValType::ALL.len() as u8]);
            for &t in ValType::ALL {
                self.push(&[1, val_code(t)]);
            }
        } else {
            self.push(&[0]);
        }
        let mut depth = 0;
        for _ in 0..src.below(10) {
            // Now and then a group in a block of its own, for the walker's nesting.
            if src.one_in(6) {
                self.push(&[0x02, 0x40]);
                depth += 1;
            }
            let choice = src.below(kinds.len() + 2);
            let Some(&kind) = kinds.get(choice) else {
                if choice == kinds.len() {
                    self.push(&[0x01]);
                } else {
                    self.push(&[0x41, src.u8() & 0x3f, 0x1a]);
                }
                continue;
            };
            let address = if is64 { [0x42, 0x00] } else { [0x41, 0x00] };
            use RelocKind::*;
            match kind {
                WasmFuncIndexLeb => {
                    let Some(&(f, ty, _)) = pick(&targets.functions, src) else {
                        continue;
                    };
                    let t = &types[ty as usize];
                    for &p in &t.params {
                        self.value(p, src);
                    }
                    self.push(&[0x10]);
                    self.field(kind, Some(f), 0, src);
                    self.drops(t.results.len());
                }
                WasmTypeIndexLeb => {
                    let funcref: Vec<SymbolId> =
                        targets.tables.iter().filter(|t| t.1).map(|t| t.0).collect();
                    let table = pick(&funcref, src).copied();
                    if has_tables && table.is_none() {
                        continue;
                    }
                    let ty = src.below(types.len());
                    let t = &types[ty];
                    for &p in &t.params {
                        self.value(p, src);
                    }
                    self.push(&[0x41, 0x00, 0x11]);
                    self.field(kind, None, ty as i64, src);
                    match table {
                        // Objects that declare tables name each use (wasm-ld renumbers them).
                        Some(table) => self.field(WasmTableNumberLeb, Some(table), 0, src),
                        // Otherwise table 0 is the indirect function table objforge imports.
                        None => self.push(&[0x00]),
                    }
                    self.drops(t.results.len());
                }
                WasmTableIndexSleb | WasmTableIndexSleb64 => {
                    let Some(&(f, _, _)) = pick(&targets.functions, src) else {
                        continue;
                    };
                    let op = if kind == WasmTableIndexSleb {
                        0x41
                    } else {
                        0x42
                    };
                    self.push(&[op]);
                    self.field(kind, Some(f), 0, src);
                    self.drops(1);
                }
                WasmMemoryAddrSleb | WasmMemoryAddrSleb64 => {
                    let Some(&(d, merges)) = pick(&targets.data, src) else {
                        continue;
                    };
                    let op = if kind == WasmMemoryAddrSleb {
                        0x41
                    } else {
                        0x42
                    };
                    self.push(&[op]);
                    let addend = if merges { 0 } else { addend(src, true) };
                    self.field(kind, Some(d), addend, src);
                    self.drops(1);
                }
                WasmMemoryAddrLeb | WasmMemoryAddrLeb64 => {
                    let Some(&(d, merges)) = pick(&targets.data, src) else {
                        continue;
                    };
                    // i32.load align=1 offset=ADDRESS, from address 0.
                    self.push(&address);
                    self.push(&[0x28, 0x00]);
                    let addend = if merges { 0 } else { addend(src, false) };
                    self.field(kind, Some(d), addend, src);
                    self.drops(1);
                }
                WasmGlobalIndexLeb => {
                    let Some(&g) = pick(&targets.globals, src) else {
                        continue;
                    };
                    self.push(&[0x23]);
                    self.field(kind, Some(g), 0, src);
                    self.drops(1);
                }
                WasmTableNumberLeb => {
                    let Some(&(t, _)) = pick(&targets.tables, src) else {
                        continue;
                    };
                    // table.size
                    self.push(&[0xfc, 0x10]);
                    self.field(kind, Some(t), 0, src);
                    self.drops(1);
                }
                _ => {}
            }
        }
        for _ in 0..depth {
            self.push(&[0x0b]);
        }
        for &r in &types[type_index as usize].results {
            self.value(r, src);
        }
        self.push(&[0x0b]);
    }
}

fn pick<'a, T>(items: &'a [T], src: &mut Source<'_>) -> Option<&'a T> {
    items.get(src.below(items.len().max(1)))
}

/// An address addend: small, and not negative where the field is unsigned (wasm-ld writes
/// S + A as it comes).
fn addend(src: &mut Source<'_>, signed: bool) -> i64 {
    let a = match src.u8() % 4 {
        0 => 0,
        1 => i64::from(src.u8()),
        2 => i64::from(src.u8() as i8),
        _ => i64::from(src.u16() as i16),
    };
    if signed {
        a
    } else {
        a.abs()
    }
}

/// Fills data or custom section `section` with fields, front to back: the word kinds, and
/// now and then a padded LEB.
fn words(
    obj: &mut Object,
    section: usize,
    word_kinds: &[RelocKind],
    code_kinds: &[RelocKind],
    targets: &Targets,
    src: &mut Source<'_>,
) {
    let len = obj.sections[section].data.len();
    let mut bytes = obj.sections[section].data.to_vec();
    let ntypes = obj.wasm.types.len();
    let mut at = 0u64;
    let mut touched = false;
    while at < len && !word_kinds.is_empty() {
        at += src.below(6) as u64;
        let kind = if src.one_in(6) && !code_kinds.is_empty() {
            src.pick(code_kinds)
        } else {
            src.pick(word_kinds)
        };
        let size = u64::from(kind.shape().size());
        if at + size > len {
            break;
        }
        use RelocKind::*;
        let target: Option<(Option<SymbolId>, i64)> = match kind {
            WasmFuncIndexI32 | WasmTableIndexI32 | WasmTableIndexI64 | WasmFuncIndexLeb
            | WasmTableIndexSleb | WasmTableIndexSleb64 => {
                pick(&targets.functions, src).map(|f| (Some(f.0), 0))
            }
            WasmMemoryAddrI32 | WasmMemoryAddrI64 | WasmMemoryAddrSleb | WasmMemoryAddrSleb64
            | WasmMemoryAddrLeb | WasmMemoryAddrLeb64 => {
                let signed = !matches!(kind, WasmMemoryAddrLeb | WasmMemoryAddrLeb64);
                pick(&targets.data, src)
                    .map(|&(d, merges)| (Some(d), if merges { 0 } else { addend(src, signed) }))
            }
            WasmGlobalIndexI32 | WasmGlobalIndexLeb => {
                pick(&targets.globals, src).map(|&g| (Some(g), 0))
            }
            WasmTableNumberLeb => pick(&targets.tables, src).map(|t| (Some(t.0), 0)),
            WasmTypeIndexLeb => Some((None, src.below(ntypes) as i64)),
            WasmFunctionOffsetI32 | WasmFunctionOffsetI64 => {
                let defined: Vec<SymbolId> = targets
                    .functions
                    .iter()
                    .filter(|f| f.2)
                    .map(|f| f.0)
                    .collect();
                pick(&defined, src).map(|&f| (Some(f), i64::from(src.u8() % 16)))
            }
            WasmSectionOffsetI32 => {
                pick(&targets.sections, src).map(|&(s, n)| (Some(s), src.range(0, n) as i64))
            }
            _ => None,
        };
        let Some((symbol, addend)) = target else {
            at += size;
            continue;
        };
        let field = &mut bytes[at as usize..(at + size) as usize];
        match kind.shape() {
            FieldShape::PaddedLeb(n) => field.copy_from_slice(&placeholder(usize::from(n), src)),
            _ => field.fill(0),
        }
        touched = true;
        obj.add_relocation(
            Relocation::new(SectionId::from_index(section), at, SymbolId(0), kind)
                .with_symbol(symbol)
                .with_addend(addend),
        );
        at += size;
    }
    if touched {
        obj.sections[section].data = SectionData::Bytes(bytes);
    }
}

/// The parts of a Wasm object [`parts`] tells apart, which the generator must all reach.
pub const PARTS: &[&str] = &[
    "function import",
    "import under another name",
    "import from another module",
    "global import",
    "table import",
    "memory import",
    "defined global",
    "defined table",
    "export",
    "init function",
    "used feature",
    "disallowed feature",
    "function alias",
    "thread-local segment",
    "string segment",
    "retained section",
    "COMDAT function",
    "COMDAT segment",
    "COMDAT custom section",
    "indirect function table (objforge's)",
    "indirect function table (a symbol)",
];

/// Which of [`PARTS`] `obj` has.
pub fn parts(obj: &Object) -> Vec<&'static str> {
    let w = &obj.wasm;
    let mut out = Vec::new();
    let mut add = |on: bool, part: &'static str| {
        if on {
            out.push(part);
        }
    };
    let import = |f: &dyn Fn(&Import) -> bool| w.imports.iter().any(f);
    add(
        import(&|i| matches!(i.kind, ImportKind::Func(_))),
        "function import",
    );
    add(
        import(&|i| {
            i.symbol
                .is_some_and(|s| obj.symbols[s.index()].name != i.name)
        }),
        "import under another name",
    );
    add(import(&|i| i.module != "env"), "import from another module");
    add(
        import(&|i| matches!(i.kind, ImportKind::Global(_))),
        "global import",
    );
    add(
        import(&|i| {
            matches!(i.kind, ImportKind::Table(_)) && i.name != "__indirect_function_table"
        }),
        "table import",
    );
    add(
        import(&|i| matches!(i.kind, ImportKind::Memory(_))),
        "memory import",
    );
    add(!w.globals.is_empty(), "defined global");
    add(!w.tables.is_empty(), "defined table");
    add(!w.exports.is_empty(), "export");
    add(!w.init_funcs.is_empty(), "init function");
    add(
        w.features.iter().any(|f| f.policy == FeaturePolicy::Used),
        "used feature",
    );
    add(
        w.features
            .iter()
            .any(|f| f.policy == FeaturePolicy::Disallowed),
        "disallowed feature",
    );
    let functions: Vec<SymbolDefinition> = obj
        .symbols
        .iter()
        .filter(|s| {
            s.section_id()
                .is_some_and(|at| obj.sections[at.index()].kind == SectionKind::Text)
        })
        .map(|s| s.definition)
        .collect();
    add(
        functions
            .iter()
            .enumerate()
            .any(|(i, d)| functions[..i].contains(d)),
        "function alias",
    );
    let section = |f: &dyn Fn(&Section) -> bool| obj.sections.iter().any(f);
    add(
        section(&|s| matches!(s.kind, SectionKind::TlsData | SectionKind::TlsBss)),
        "thread-local segment",
    );
    add(section(&|s| s.flags.merge_strings), "string segment");
    add(section(&|s| s.flags.retain), "retained section");
    add(
        section(&|s| s.comdat.is_some() && s.kind == SectionKind::Text),
        "COMDAT function",
    );
    add(
        section(&|s| {
            s.comdat.is_some()
                && !matches!(
                    s.kind,
                    SectionKind::Text | SectionKind::Debug | SectionKind::Other
                )
        }),
        "COMDAT segment",
    );
    add(
        section(&|s| {
            s.comdat.is_some() && matches!(s.kind, SectionKind::Debug | SectionKind::Other)
        }),
        "COMDAT custom section",
    );
    let tables = !w.tables.is_empty() || import(&|i| matches!(i.kind, ImportKind::Table(_)));
    let slots = obj.relocations.iter().any(|r| {
        matches!(
            r.kind(),
            RelocKind::WasmTableIndexSleb
                | RelocKind::WasmTableIndexI32
                | RelocKind::WasmTableIndexSleb64
                | RelocKind::WasmTableIndexI64
                | RelocKind::WasmTypeIndexLeb
        )
    });
    add(slots && !tables, "indirect function table (objforge's)");
    add(
        import(&|i| i.name == "__indirect_function_table" && i.symbol.is_some()),
        "indirect function table (a symbol)",
    );
    out
}
