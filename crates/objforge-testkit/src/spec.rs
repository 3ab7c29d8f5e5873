//! A model as an objspec (`docs/spec.md`), so that the command-line tests can feed
//! `objforge build` exactly what the library tests write. References are by index.

use objforge::wasm::{
    ConstExpr, ExportTarget, FuncType, ImportKind, Limits, MemoryType, Output as WasmOutput,
    Placement, TableType, ValType, WasmModule,
};
use objforge::*;
use serde_json::{json, Map, Value};

/// The triple `objforge build` reads back as this target.
pub fn triple(target: &Target) -> String {
    // (Architectures added later, such as Wasm's, spell their own names.)
    #[allow(unreachable_patterns)]
    let arch = match target.arch {
        Architecture::X86_64 => "x86_64",
        Architecture::I386 => "i686",
        Architecture::Aarch64 if target.format == Format::MachO => "arm64",
        Architecture::Aarch64 => "aarch64",
        Architecture::Riscv64 if target.riscv_compressed => "riscv64gc",
        Architecture::Riscv64 => "riscv64gd",
        other => other.name(),
    };
    let rest = match target.format {
        Format::Elf => "unknown-linux-gnu",
        Format::MachO => "apple-macos",
        Format::Coff => "pc-windows-msvc",
        _ => "unknown-unknown",
    };
    format!("{arch}-{rest}")
}

fn kind_name(kind: SectionKind) -> &'static str {
    kind.name()
}

/// The spec of `obj`.
pub fn to_json(obj: &Object) -> Value {
    let mut top = Map::new();
    top.insert("target".into(), json!(triple(&obj.target)));
    top.insert("format".into(), json!(obj.target.format.name()));
    let mut options = Map::new();
    options.insert("mangle".into(), json!(obj.options.mangle));
    options.insert("exec_stack".into(), json!(!obj.options.noexec_stack));
    options.insert("bigobj".into(), json!(obj.options.bigobj));
    if !obj.options.directives.is_empty() {
        options.insert("directives".into(), json!(obj.options.directives));
    }
    if obj.target.arch == Architecture::Riscv64 {
        let abi = match obj.target.float_abi {
            FloatAbi::Soft => "lp64",
            FloatAbi::Single => "lp64f",
            _ => "lp64d",
        };
        options.insert("float_abi".into(), json!(abi));
    }
    top.insert("options".into(), Value::Object(options));

    let sections: Vec<Value> = obj
        .sections
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("name".into(), json!(s.name));
            m.insert("kind".into(), json!(kind_name(s.kind)));
            m.insert("align".into(), json!(s.align));
            match &s.data {
                SectionData::Bytes(b) => {
                    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                    m.insert("hex".into(), json!(hex));
                }
                other => {
                    m.insert("size".into(), json!(other.len()));
                }
            }
            let mut flags = Vec::new();
            for (on, name) in [
                (s.flags.merge_strings, "merge_strings"),
                (s.flags.merge, "merge"),
                (s.flags.exclude, "exclude"),
                (s.flags.retain, "retain"),
            ] {
                if on {
                    flags.push(name);
                }
            }
            if !flags.is_empty() {
                m.insert("flags".into(), json!(flags));
            }
            if s.entsize != 0 {
                m.insert("entsize".into(), json!(s.entsize));
            }
            if let Some(group) = &s.comdat {
                m.insert("comdat".into(), json!(group));
                match s.comdat_selection {
                    ComdatSelection::Any => {}
                    ComdatSelection::Associative(to) => {
                        m.insert("comdat_selection".into(), json!("associative"));
                        m.insert("comdat_associate".into(), json!(to.0));
                    }
                    other => {
                        m.insert("comdat_selection".into(), json!(other.name()));
                    }
                }
            }
            Value::Object(m)
        })
        .collect();
    top.insert("sections".into(), Value::Array(sections));

    let symbols: Vec<Value> = obj
        .symbols
        .iter()
        .map(|s| {
            let mut m = Map::new();
            if !s.name.is_empty() || s.kind != SymbolKind::Section {
                m.insert("name".into(), json!(s.name));
            }
            m.insert("kind".into(), json!(s.kind.name()));
            match s.definition {
                SymbolDefinition::Defined { section, offset } => {
                    m.insert("section".into(), json!(section.0));
                    m.insert("offset".into(), json!(offset));
                }
                SymbolDefinition::Common { size, align } => {
                    m.insert("common".into(), json!({"size": size, "align": align}));
                }
                _ => {}
            }
            {
                m.insert("binding".into(), json!(s.binding.name()));
                m.insert("visibility".into(), json!(s.visibility.name()));
                m.insert("size".into(), json!(s.size));
            }
            Value::Object(m)
        })
        .collect();
    top.insert("symbols".into(), Value::Array(symbols));

    let relocations: Vec<Value> = obj
        .relocations
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("section".into(), json!(r.section.0));
            m.insert("offset".into(), json!(r.offset));
            if let Some(s) = r.symbol {
                m.insert("symbol".into(), json!(s.0));
            }
            m.insert("kind".into(), json!(r.kind.name()));
            if let RelocKind::Native(n) = r.kind {
                m.insert(
                    "native".into(),
                    json!({"type": n.r_type, "pcrel": n.pcrel, "length": n.length, "size": n.size}),
                );
            }
            m.insert("addend".into(), json!(r.addend));
            if let Some(pair) = r.pair {
                m.insert("pair".into(), json!(pair));
            }
            if let Some(minus) = r.minus {
                m.insert("minus".into(), json!(minus.0));
            }
            Value::Object(m)
        })
        .collect();
    top.insert("relocations".into(), Value::Array(relocations));
    if obj.target.format == Format::Wasm && obj.wasm != WasmModule::default() {
        top.insert("wasm".into(), wasm_json(&obj.wasm));
    }
    Value::Object(top)
}

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
    }
}

/// The spec's `wasm` object (`docs/spec.md`); symbols and sections by index.
fn wasm_json(w: &WasmModule) -> Value {
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
        }
        if let Some(s) = i.symbol {
            e.insert("symbol".into(), json!(s.0));
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
        .map(|f| json!({"section": f.section.0, "type": f.type_index}));
    m.insert("functions".into(), Value::Array(functions.collect()));
    let tables = w.tables.iter().map(|t| {
        let mut e = table_type(&t.ty);
        if let Some(s) = t.symbol {
            e.insert("symbol".into(), json!(s.0));
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
            e.insert("symbol".into(), json!(s.0));
        }
        Value::Object(e)
    });
    m.insert("globals".into(), Value::Array(globals.collect()));
    let exports = w.exports.iter().map(|x| {
        let (key, n) = match x.target {
            ExportTarget::Symbol(s) => ("symbol", s.0 as u64),
            ExportTarget::Func(n) => ("func", u64::from(n)),
            ExportTarget::Table(n) => ("table", u64::from(n)),
            ExportTarget::Memory(n) => ("memory", u64::from(n)),
            ExportTarget::Global(n) => ("global", u64::from(n)),
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
        Placement::Active(at) => json!({"section": d.section.0, "offset": at}),
        Placement::Passive => json!({"section": d.section.0, "passive": true}),
    });
    m.insert("data".into(), Value::Array(data.collect()));
    let inits = w
        .init_funcs
        .iter()
        .map(|f| json!({"symbol": f.symbol.0, "priority": f.priority}));
    m.insert("init_funcs".into(), Value::Array(inits.collect()));
    let features = w
        .features
        .iter()
        .map(|f| json!(format!("{}{}", char::from(f.policy.prefix()), f.name)));
    m.insert("features".into(), Value::Array(features.collect()));
    Value::Object(m)
}
