//! The `wasm` object of a WebAssembly model (`docs/spec.md`, "Wasm").

use objforge::wasm::{
    ConstExpr, ExportTarget, FuncType, ImportKind, Limits, MemoryType, Output as WasmOutput,
    Placement, TableType, ValType, WasmModule,
};
use objforge::SymbolId;
use serde_json::{json, Map, Value};

fn signature(t: &FuncType) -> Value {
    let names = |v: &[ValType]| v.iter().map(|t| t.name()).collect::<Vec<_>>();
    json!({"params": names(&t.params), "results": names(&t.results)})
}

fn limits(m: &mut Map<String, Value>, l: &Limits) {
    m.insert("min".into(), json!(l.min));
    if let Some(max) = l.max {
        m.insert("max".into(), json!(max));
    }
}

fn table_type(t: &TableType) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!(t.element.name()));
    limits(&mut m, &t.limits);
    m
}

fn memory_type(t: &MemoryType) -> Value {
    let mut m = Map::new();
    limits(&mut m, &t.limits);
    m.insert("shared".into(), json!(t.shared));
    Value::Object(m)
}

/// A global's `init`. A value the spec cannot give the global's type (a float for an
/// integer, a number for a reference) is written as it is, for the spec reader to refuse.
fn init(e: &ConstExpr) -> Value {
    match *e {
        ConstExpr::I32(v) => json!(v),
        ConstExpr::I64(v) => json!(v),
        ConstExpr::F32(bits) => json!(f64::from(f32::from_bits(bits))),
        ConstExpr::F64(bits) => json!(f64::from_bits(bits)),
        ConstExpr::GlobalGet(n) => json!({"global.get": n}),
        ConstExpr::RefNull(_) => Value::Null,
        ConstExpr::RefFunc(n) => json!({"ref.func": n}),
        // An expression the spec has no spelling for: null, which the reader refuses.
        _ => Value::Null,
    }
}

/// The spec's `wasm` object (`docs/spec.md`), sections and symbols referred to as the rest of
/// the document refers to them.
pub(super) fn wasm_json(
    w: &WasmModule,
    section_ref: &dyn Fn(usize) -> Value,
    symbol_ref: &dyn Fn(SymbolId) -> Value,
) -> Value {
    let mut m = Map::new();
    if w.output == WasmOutput::Module {
        m.insert("output".into(), json!("module"));
    }
    m.insert(
        "types".into(),
        Value::Array(w.types.iter().map(signature).collect()),
    );
    let imports = w.imports.iter().map(|i| {
        let mut e = Map::new();
        e.insert("module".into(), json!(i.module));
        e.insert("name".into(), json!(i.name));
        match &i.kind {
            ImportKind::Func(t) => {
                e.insert("func".into(), json!(t));
            }
            ImportKind::Global(g) => {
                e.insert(
                    "global".into(),
                    json!({"type": g.value.name(), "mutable": g.mutable}),
                );
            }
            ImportKind::Table(t) => {
                e.insert("table".into(), Value::Object(table_type(t)));
            }
            ImportKind::Memory(mem) => {
                e.insert("memory".into(), memory_type(mem));
            }
            // A kind the spec has no spelling for: left out, which the reader refuses.
            _ => {}
        }
        if let Some(s) = i.symbol {
            e.insert("symbol".into(), symbol_ref(s));
        }
        if i.explicit_name {
            e.insert("explicit_name".into(), json!(true));
        }
        Value::Object(e)
    });
    m.insert("imports".into(), Value::Array(imports.collect()));
    let functions = w
        .functions
        .iter()
        .map(|f| json!({"section": section_ref(f.section.index()), "type": f.type_index}));
    m.insert("functions".into(), Value::Array(functions.collect()));
    let tables = w.tables.iter().map(|t| {
        let mut e = table_type(&t.ty);
        if let Some(s) = t.symbol {
            e.insert("symbol".into(), symbol_ref(s));
        }
        Value::Object(e)
    });
    m.insert("tables".into(), Value::Array(tables.collect()));
    if let Some(mem) = &w.memory {
        m.insert("memory".into(), memory_type(mem));
    }
    let globals = w.globals.iter().map(|g| {
        let mut e = Map::new();
        e.insert("type".into(), json!(g.ty.value.name()));
        e.insert("mutable".into(), json!(g.ty.mutable));
        e.insert("init".into(), init(&g.init));
        if let Some(s) = g.symbol {
            e.insert("symbol".into(), symbol_ref(s));
        }
        Value::Object(e)
    });
    m.insert("globals".into(), Value::Array(globals.collect()));
    let exports = w.exports.iter().map(|x| {
        let (key, n) = match x.target {
            ExportTarget::Symbol(s) => ("symbol", symbol_ref(s)),
            ExportTarget::Func(n) => ("func", json!(n)),
            ExportTarget::Table(n) => ("table", json!(n)),
            ExportTarget::Memory(n) => ("memory", json!(n)),
            ExportTarget::Global(n) => ("global", json!(n)),
            _ => ("symbol", Value::Null),
        };
        json!({"name": x.name, key: n})
    });
    m.insert("exports".into(), Value::Array(exports.collect()));
    if let Some(start) = w.start {
        m.insert("start".into(), json!(start));
    }
    let elements = w
        .elements
        .iter()
        .map(|e| json!({"table": e.table, "offset": e.offset, "functions": e.functions}));
    m.insert("elements".into(), Value::Array(elements.collect()));
    let data = w.data.iter().map(|d| match d.placement {
        Placement::Active(at) => json!({"section": section_ref(d.section.index()), "offset": at}),
        Placement::Passive => json!({"section": section_ref(d.section.index()), "passive": true}),
        _ => json!({"section": section_ref(d.section.index())}),
    });
    m.insert("data".into(), Value::Array(data.collect()));
    let inits = w
        .init_funcs
        .iter()
        .map(|f| json!({"symbol": symbol_ref(f.symbol), "priority": f.priority}));
    m.insert("init_funcs".into(), Value::Array(inits.collect()));
    let features = w
        .features
        .iter()
        .map(|f| json!(format!("{}{}", char::from(f.policy.prefix()), f.name)));
    m.insert("features".into(), Value::Array(features.collect()));
    Value::Object(m)
}
