//! The spec's `wasm` object (see `docs/spec.md`): a WebAssembly module's signatures, imports,
//! functions, tables, memory, globals, exports and the rest, read into the object's
//! [`objforge::wasm::WasmModule`]. The code and data bytes stay in `sections`.
//!
//! Paths in the JSON and in the library's errors agree (`wasm.imports[2].type`).

use objforge::wasm::{
    ConstExpr, DataPlacement, Element, Export, ExportTarget, Feature, FeaturePolicy, FuncType,
    Function, Global, GlobalType, Import, ImportKind, InitFunc, Limits, MemoryType, Output,
    Placement, RefType, Table, TableType, ValType, WasmModule,
};
use objforge::{Format, Object, SectionId, SymbolId};

use super::{one_of, resolve, Names};
use crate::json::{quote, Fields, Node, SpecError};

/// Keys of `wasm`.
const WASM_FIELDS: &[&str] = &[
    "output",
    "types",
    "imports",
    "functions",
    "tables",
    "memory",
    "globals",
    "exports",
    "start",
    "elements",
    "data",
    "init_funcs",
    "features",
    "comment",
];
const TYPE_FIELDS: &[&str] = &["params", "results", "comment"];
const IMPORT_FIELDS: &[&str] = &[
    "module",
    "name",
    "func",
    "global",
    "table",
    "memory",
    "symbol",
    "explicit_name",
    "comment",
];
/// An import's kinds, of which exactly one is given.
const IMPORT_KINDS: &[&str] = &["func", "global", "table", "memory"];
const FUNCTION_FIELDS: &[&str] = &["section", "type", "comment"];
const TABLE_FIELDS: &[&str] = &["type", "min", "max", "symbol", "comment"];
const TABLE_TYPE_FIELDS: &[&str] = &["type", "min", "max", "comment"];
const MEMORY_FIELDS: &[&str] = &["min", "max", "shared", "comment"];
const GLOBAL_FIELDS: &[&str] = &["type", "mutable", "init", "symbol", "comment"];
const GLOBAL_TYPE_FIELDS: &[&str] = &["type", "mutable", "comment"];
const EXPORT_FIELDS: &[&str] = &[
    "name", "symbol", "func", "table", "memory", "global", "comment",
];
const EXPORT_KINDS: &[&str] = &["symbol", "func", "table", "memory", "global"];
const ELEMENT_FIELDS: &[&str] = &["table", "offset", "functions", "comment"];
const DATA_FIELDS: &[&str] = &["section", "offset", "passive", "comment"];
const INIT_FIELDS: &[&str] = &["symbol", "priority", "comment"];
const INIT_EXPR_FIELDS: &[&str] = &["global.get", "ref.func"];
const OUTPUTS: &[&str] = &["object", "module"];
const REF_TYPES: &[&str] = &["funcref", "externref"];

/// Reads `wasm` into `obj.wasm` (the sections and symbols are already read).
pub(super) fn read_wasm(
    node: Node<'_>,
    sections: &Names,
    symbols: &Names,
    obj: &mut Object,
) -> Result<(), SpecError> {
    if obj.target.format != Format::Wasm {
        return Err(node.error(format!(
            "`wasm` describes a WebAssembly module, but the target's format is {}",
            obj.target.format
        )));
    }
    let fields = node.object(WASM_FIELDS, "field")?;
    let mut m = WasmModule::default();
    if let Some(n) = fields.get("output") {
        m.output = one_of(n, OUTPUTS, "output", |s| match s {
            "object" => Some(Output::Object),
            "module" => Some(Output::Module),
            _ => None,
        })?;
    }
    if let Some(n) = fields.get("types") {
        for item in n.array()?.iter() {
            let t = read_signature(item)?;
            m.types.push(t);
        }
    }
    let symbol = |n: Node<'_>| resolve(n, symbols, "symbols").map(SymbolId::from_index);
    if let Some(n) = fields.get("imports") {
        for item in n.array()?.iter() {
            let import = read_import(item, &mut m.types, &symbol, symbols)?;
            m.imports.push(import);
        }
    }
    if let Some(n) = fields.get("functions") {
        for item in n.array()?.iter() {
            let f = item.object(FUNCTION_FIELDS, "field")?;
            let section =
                SectionId::from_index(resolve(f.required("section")?, sections, "sections")?);
            let type_index = read_type_use(f.required("type")?, &mut m.types)?;
            m.functions.push(Function {
                section,
                type_index,
            });
        }
    }
    if let Some(n) = fields.get("tables") {
        for item in n.array()?.iter() {
            let f = item.object(TABLE_FIELDS, "field")?;
            let ty = read_table_type(&f)?;
            let symbol = f.get("symbol").map(symbol).transpose()?;
            m.tables.push(Table { ty, symbol });
        }
    }
    if let Some(n) = fields.get("memory") {
        m.memory = Some(read_memory(n)?);
    }
    if let Some(n) = fields.get("globals") {
        for item in n.array()?.iter() {
            let f = item.object(GLOBAL_FIELDS, "field")?;
            let ty = read_global_type(&f)?;
            let init = match f.get("init") {
                Some(i) => read_init(i, ty.value)?,
                None => zero(ty.value),
            };
            let symbol = f.get("symbol").map(symbol).transpose()?;
            m.globals.push(Global { ty, init, symbol });
        }
    }
    if let Some(n) = fields.get("exports") {
        for item in n.array()?.iter() {
            m.exports.push(read_export(item, &symbol)?);
        }
    }
    if let Some(n) = fields.get("start") {
        m.start = Some(u32_of(n)?);
    }
    if let Some(n) = fields.get("elements") {
        for item in n.array()?.iter() {
            let f = item.object(ELEMENT_FIELDS, "field")?;
            let table = match f.get("table") {
                Some(t) => u32_of(t)?,
                None => 0,
            };
            let offset = f.required("offset")?.u64_at_most(u64::from(u32::MAX))?;
            let mut functions = Vec::new();
            for func in f.required("functions")?.array()?.iter() {
                functions.push(u32_of(func)?);
            }
            m.elements.push(Element {
                table,
                offset,
                functions,
            });
        }
    }
    if let Some(n) = fields.get("data") {
        for item in n.array()?.iter() {
            let f = item.object(DATA_FIELDS, "field")?;
            let section =
                SectionId::from_index(resolve(f.required("section")?, sections, "sections")?);
            let passive = match f.get("passive") {
                Some(p) => p.bool()?,
                None => false,
            };
            let placement = match (f.get("offset"), passive) {
                (Some(o), false) => Placement::Active(o.u64()?),
                (None, true) => Placement::Passive,
                (Some(o), true) => {
                    return Err(o.error("a passive segment has no offset (memory.init places it)"))
                }
                (None, false) => return Err(f.missing(
                    "offset",
                    "an active segment needs the address it is copied to (or `\"passive\": true`)",
                )),
            };
            m.data.push(DataPlacement { section, placement });
        }
    }
    if let Some(n) = fields.get("init_funcs") {
        for item in n.array()?.iter() {
            let f = item.object(INIT_FIELDS, "field")?;
            let symbol = symbol(f.required("symbol")?)?;
            let priority = match f.get("priority") {
                Some(p) => u32_of(p)?,
                None => 65535,
            };
            m.init_funcs.push(InitFunc { priority, symbol });
        }
    }
    if let Some(n) = fields.get("features") {
        for item in n.array()?.iter() {
            let text = item.str()?;
            let (policy, name) = match text.chars().next().and_then(FeaturePolicy::from_prefix) {
                Some(p) => (p, &text[1..]),
                None => (FeaturePolicy::Used, text),
            };
            if name.is_empty() {
                return Err(item.error("expected a feature name such as \"+mutable-globals\""));
            }
            m.features.push(Feature {
                policy,
                name: name.to_string(),
            });
        }
    }
    obj.wasm = m;
    Ok(())
}

fn u32_of(node: Node<'_>) -> Result<u32, SpecError> {
    let n = node.u64_at_most(u64::from(u32::MAX))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

fn val_type(node: Node<'_>) -> Result<ValType, SpecError> {
    let names: Vec<&str> = ValType::ALL.iter().map(|t| t.name()).collect();
    one_of(node, &names, "value type", ValType::from_name)
}

fn val_types(node: Option<Node<'_>>) -> Result<Vec<ValType>, SpecError> {
    let mut out = Vec::new();
    if let Some(n) = node {
        for item in n.array()?.iter() {
            out.push(val_type(item)?);
        }
    }
    Ok(out)
}

/// `{"params": [...], "results": [...]}`.
fn read_signature(node: Node<'_>) -> Result<FuncType, SpecError> {
    let f = node.object(TYPE_FIELDS, "field")?;
    Ok(FuncType {
        params: val_types(f.get("params"))?,
        results: val_types(f.get("results"))?,
    })
}

/// A function's type: an index into `types`, or a signature written out (which is added to
/// `types` unless an equal one is there).
fn read_type_use(node: Node<'_>, types: &mut Vec<FuncType>) -> Result<u32, SpecError> {
    if let crate::value::Value::Object(_) = node.value() {
        let t = read_signature(node)?;
        let index = match types.iter().position(|u| *u == t) {
            Some(i) => i,
            None => {
                types.push(t);
                types.len() - 1
            }
        };
        return u32::try_from(index).map_err(|_| node.error("too many types"));
    }
    u32_of(node)
}

fn read_limits(f: &Fields<'_>) -> Result<Limits, SpecError> {
    Ok(Limits {
        min: match f.get("min") {
            Some(n) => n.u64()?,
            None => 0,
        },
        max: f.get("max").map(|n| n.u64()).transpose()?,
    })
}

fn read_table_type(f: &Fields<'_>) -> Result<TableType, SpecError> {
    let element = match f.get("type") {
        Some(n) => one_of(n, REF_TYPES, "table element type", RefType::from_name)?,
        None => RefType::FuncRef,
    };
    Ok(TableType {
        element,
        limits: read_limits(f)?,
    })
}

fn read_memory(node: Node<'_>) -> Result<MemoryType, SpecError> {
    let f = node.object(MEMORY_FIELDS, "field")?;
    Ok(MemoryType {
        limits: read_limits(&f)?,
        shared: match f.get("shared") {
            Some(n) => n.bool()?,
            None => false,
        },
    })
}

fn read_global_type(f: &Fields<'_>) -> Result<GlobalType, SpecError> {
    Ok(GlobalType {
        value: val_type(f.required("type")?)?,
        mutable: match f.get("mutable") {
            Some(n) => n.bool()?,
            None => false,
        },
    })
}

fn read_import(
    node: Node<'_>,
    types: &mut Vec<FuncType>,
    symbol: &dyn Fn(Node<'_>) -> Result<SymbolId, SpecError>,
    symbols: &Names,
) -> Result<Import, SpecError> {
    let f = node.object(IMPORT_FIELDS, "field")?;
    let given: Vec<&str> = IMPORT_KINDS.iter().copied().filter(|k| f.has(k)).collect();
    let kind = match given.as_slice() {
        [one] => *one,
        [] => {
            return Err(node.error(
                "an import needs what it imports: one of `func` (its type), `global`, `table` or `memory`",
            ))
        }
        [first, second, ..] => {
            let at = f.get(second).unwrap_or(node);
            return Err(at.error(format!(
                "an import is one thing: give only one of `func`, `global`, `table` and `memory` (`{first}` is given too)"
            )));
        }
    };
    let Some(kind_node) = f.get(kind) else {
        return Err(node.error("an import needs what it imports"));
    };
    let kind = match kind {
        "func" => ImportKind::Func(read_type_use(kind_node, types)?),
        "global" => {
            let g = kind_node.object(GLOBAL_TYPE_FIELDS, "field")?;
            ImportKind::Global(read_global_type(&g)?)
        }
        "table" => {
            let t = kind_node.object(TABLE_TYPE_FIELDS, "field")?;
            ImportKind::Table(read_table_type(&t)?)
        }
        _ => ImportKind::Memory(read_memory(kind_node)?),
    };
    let symbol_node = f.get("symbol");
    let symbol = symbol_node.map(symbol).transpose()?;
    let name = match (f.get("name"), symbol_node) {
        (Some(n), _) => n.str()?.to_string(),
        // The field name defaults to the symbol's name.
        (None, Some(s)) => match s.value() {
            crate::value::Value::String(name) => name.to_string(),
            _ => symbol
                .and_then(|id| symbols.name_of(id.index()))
                .ok_or_else(|| f.missing("name", "missing: the import's field name"))?,
        },
        (None, None) => return Err(f.missing("name", "missing: the import's field name")),
    };
    let module = match f.get("module") {
        Some(n) => n.str()?.to_string(),
        None => "env".to_string(),
    };
    let explicit_name = match f.get("explicit_name") {
        Some(n) => n.bool()?,
        None => false,
    };
    Ok(Import {
        module,
        name,
        kind,
        symbol,
        explicit_name,
    })
}

fn read_export(
    node: Node<'_>,
    symbol: &dyn Fn(Node<'_>) -> Result<SymbolId, SpecError>,
) -> Result<Export, SpecError> {
    let f = node.object(EXPORT_FIELDS, "field")?;
    let name = f.required("name")?.str()?.to_string();
    let given: Vec<&str> = EXPORT_KINDS.iter().copied().filter(|k| f.has(k)).collect();
    let (key, n) = match given.as_slice() {
        [one] => (*one, f.get(one)),
        [] => {
            return Err(node.error(
                "an export needs what it exports: `symbol`, or an index as `func`, `table`, `memory` or `global`",
            ))
        }
        [first, second, ..] => {
            let at = f.get(second).unwrap_or(node);
            return Err(at.error(format!(
                "an export is one thing: give only one of `symbol`, `func`, `table`, `memory` and `global` (`{first}` is given too)"
            )));
        }
    };
    let Some(n) = n else {
        return Err(node.error("an export needs what it exports"));
    };
    let target = match key {
        "symbol" => ExportTarget::Symbol(symbol(n)?),
        "func" => ExportTarget::Func(u32_of(n)?),
        "table" => ExportTarget::Table(u32_of(n)?),
        "memory" => ExportTarget::Memory(u32_of(n)?),
        _ => ExportTarget::Global(u32_of(n)?),
    };
    Ok(Export { name, target })
}

/// A global's default initial value: zero, or null.
fn zero(t: ValType) -> ConstExpr {
    match t {
        ValType::I64 => ConstExpr::I64(0),
        ValType::F32 => ConstExpr::F32(0),
        ValType::F64 => ConstExpr::F64(0),
        ValType::FuncRef => ConstExpr::RefNull(RefType::FuncRef),
        ValType::ExternRef => ConstExpr::RefNull(RefType::ExternRef),
        _ => ConstExpr::I32(0),
    }
}

/// A global's `init`: a number of the global's type, `null` for a reference, or
/// `{"global.get": N}` / `{"ref.func": N}`.
fn read_init(node: Node<'_>, t: ValType) -> Result<ConstExpr, SpecError> {
    match node.value() {
        crate::value::Value::Object(_) => {
            let f = node.object(INIT_EXPR_FIELDS, "field")?;
            if let Some(n) = f.get("global.get") {
                return Ok(ConstExpr::GlobalGet(u32_of(n)?));
            }
            if let Some(n) = f.get("ref.func") {
                return Ok(ConstExpr::RefFunc(u32_of(n)?));
            }
            Err(node.error("expected {\"global.get\": N} or {\"ref.func\": N}"))
        }
        crate::value::Value::Null => match t {
            ValType::FuncRef => Ok(ConstExpr::RefNull(RefType::FuncRef)),
            ValType::ExternRef => Ok(ConstExpr::RefNull(RefType::ExternRef)),
            _ => Err(node.error(format!("null is a reference, not an {}", t.name()))),
        },
        _ => match t {
            ValType::I32 => {
                let v = node.i64()?;
                // i32 globals take signed or unsigned 32-bit values.
                if v < i64::from(i32::MIN) || v > i64::from(u32::MAX) {
                    return Err(node.error(format!("{v} does not fit 32 bits")));
                }
                Ok(ConstExpr::I32(v as i32))
            }
            ValType::I64 => Ok(ConstExpr::I64(node.i64()?)),
            ValType::F32 | ValType::F64 => {
                let v = node
                    .value()
                    .as_f64()
                    .ok_or_else(|| node.expected("a number"))?;
                Ok(if t == ValType::F32 {
                    ConstExpr::F32((v as f32).to_bits())
                } else {
                    ConstExpr::F64(v.to_bits())
                })
            }
            _ => Err(node.error(format!(
                "objforge writes {} globals initialised to null (or from `ref.func`/`global.get`), not to {}",
                t.name(),
                quote(&node.value().to_string())
            ))),
        },
    }
}
