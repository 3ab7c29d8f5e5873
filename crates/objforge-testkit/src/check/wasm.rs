//! Reads a written Wasm object back with `wasmparser` (the `object` crate's Wasm reader shows
//! neither the `linking` section nor relocations) and compares it with its model: the type,
//! import, function, table, global and export sections; every function body, data segment
//! and custom section byte for byte outside the relocated fields; each relocated field a
//! LEB padded to its width (or a word) holding the value the object implies; the `linking`
//! section's symbol table (kind, index, name, flags, data placement), segment info, init
//! functions and COMDATs; each `reloc.*` entry (type, offset, symbol, addend); and
//! `target_features`.
//!
//! What it expects is worked out here from the model and Linking.md (the imports objforge
//! adds, the index spaces, the segments' addresses, the `R_WASM_*` numbers), not taken from
//! the writer.

use std::ops::Range;

use objforge::wasm::{ConstExpr, ExportTarget, ImportKind, RefType, ValType};
use objforge::{
    Architecture, Binding, Object, RelocKind, SectionKind, SymbolDefinition, SymbolId, SymbolKind,
    Visibility,
};
use wasmparser::{
    BinaryReader, ComdatSymbolKind, DataKind, ExternalKind, Linking, LinkingSectionReader, Parser,
    Payload, RelocSectionReader, SymbolInfo, TypeRef,
};

use crate::targets::Case;
use crate::valid::wasm::val_code;

/// The table of functions whose address is taken, which the linker defines.
const INDIRECT_FUNCTION_TABLE: &str = "__indirect_function_table";

/// Symbol flags (Linking.md).
const BINDING_WEAK: u32 = 0x1;
const BINDING_LOCAL: u32 = 0x2;
const VISIBILITY_HIDDEN: u32 = 0x4;
const UNDEFINED: u32 = 0x10;
const EXPORTED: u32 = 0x20;
const EXPLICIT_NAME: u32 = 0x40;
const NO_STRIP: u32 = 0x80;
const TLS: u32 = 0x100;

/// `R_WASM_*` of each portable kind, from LLVM's WasmRelocs.def, with the field it patches
/// and whether the entry has an addend.
fn r_type(kind: RelocKind) -> Option<(u8, Field, bool)> {
    use Field::*;
    use RelocKind::*;
    Some(match kind {
        WasmFuncIndexLeb => (0, Uleb(5), false),
        WasmTableIndexSleb => (1, Sleb(5), false),
        WasmTableIndexI32 => (2, Word(4), false),
        WasmMemoryAddrLeb => (3, Uleb(5), true),
        WasmMemoryAddrSleb => (4, Sleb(5), true),
        WasmMemoryAddrI32 => (5, Word(4), true),
        WasmTypeIndexLeb => (6, Uleb(5), false),
        WasmGlobalIndexLeb => (7, Uleb(5), false),
        WasmFunctionOffsetI32 => (8, Word(4), true),
        WasmSectionOffsetI32 => (9, Word(4), true),
        WasmGlobalIndexI32 => (13, Word(4), false),
        WasmMemoryAddrLeb64 => (14, Uleb(10), true),
        WasmMemoryAddrSleb64 => (15, Sleb(10), true),
        WasmMemoryAddrI64 => (16, Word(8), true),
        WasmTableIndexSleb64 => (18, Sleb(10), false),
        WasmTableIndexI64 => (19, Word(8), false),
        WasmTableNumberLeb => (20, Uleb(5), false),
        WasmFunctionOffsetI64 => (22, Word(8), true),
        WasmFuncIndexI32 => (26, Word(4), false),
        _ => return None,
    })
}

/// How a relocated field holds its value.
#[derive(Clone, Copy, Debug)]
enum Field {
    Uleb(usize),
    Sleb(usize),
    Word(usize),
}

/// A padded LEB's value, or why it is not one: `n` bytes, every one but the last with the
/// continuation bit.
fn padded(bytes: &[u8], signed: bool) -> Result<i128, String> {
    let n = bytes.len();
    let padded = bytes
        .iter()
        .enumerate()
        .all(|(i, b)| (b & 0x80 != 0) == (i + 1 < n));
    if !padded {
        return Err(format!("{bytes:02x?} is not a padded {n}-byte LEB128"));
    }
    let mut v: i128 = 0;
    for (i, b) in bytes.iter().enumerate() {
        v |= i128::from(b & 0x7f) << (7 * i);
    }
    let bits = 7 * n as u32;
    if signed && v >> (bits - 1) & 1 == 1 {
        v -= 1 << bits;
    }
    Ok(v)
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A constant expression's bytes, `end` included.
fn const_expr(e: &ConstExpr) -> Vec<u8> {
    let mut out = Vec::new();
    match *e {
        ConstExpr::I32(v) => {
            out.push(0x41);
            sleb(&mut out, i64::from(v));
        }
        ConstExpr::I64(v) => {
            out.push(0x42);
            sleb(&mut out, v);
        }
        ConstExpr::F32(bits) => {
            out.push(0x43);
            out.extend_from_slice(&bits.to_le_bytes());
        }
        ConstExpr::F64(bits) => {
            out.push(0x44);
            out.extend_from_slice(&bits.to_le_bytes());
        }
        ConstExpr::GlobalGet(n) => {
            out.push(0x23);
            uleb(&mut out, u64::from(n));
        }
        ConstExpr::RefNull(t) => {
            out.push(0xd0);
            out.push(ref_code(t));
        }
        ConstExpr::RefFunc(n) => {
            out.push(0xd2);
            uleb(&mut out, u64::from(n));
        }
        other => panic!("no encoding known for {other:?}"),
    }
    out.push(0x0b);
    out
}

fn ref_code(t: RefType) -> u8 {
    match t {
        RefType::FuncRef => 0x70,
        RefType::ExternRef => 0x6f,
        _ => 0,
    }
}

/// A read value type's encoding (0 for one objforge never writes).
fn read_code(t: wasmparser::ValType) -> u8 {
    use wasmparser::ValType as V;
    match t {
        V::I32 => 0x7f,
        V::I64 => 0x7e,
        V::F32 => 0x7d,
        V::F64 => 0x7c,
        V::V128 => 0x7b,
        V::Ref(r) if r == wasmparser::RefType::FUNCREF => 0x70,
        V::Ref(r) if r == wasmparser::RefType::EXTERNREF => 0x6f,
        V::Ref(_) => 0,
    }
}

fn read_ref_code(r: wasmparser::RefType) -> u8 {
    read_code(wasmparser::ValType::Ref(r))
}

fn codes(types: &[ValType]) -> Vec<u8> {
    types.iter().map(|&t| val_code(t)).collect()
}

fn e(what: &str) -> impl FnOnce(wasmparser::BinaryReaderError) -> String + '_ {
    move |err| format!("{what}: {err}")
}

/// A module section as read, for what `reloc.*` and section symbols refer to by index.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Section {
    Standard(u8),
    Custom(String),
}

/// One symbol table entry as read: (kind, flags, index or segment, name, offset, size).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sym {
    kind: &'static str,
    flags: u32,
    index: u32,
    name: Option<String>,
    data: Option<(u32, u64, u64)>,
}

/// One `reloc.*` entry as read: (type, offset in the target's payload, index, addend).
type Entry = (u8, u64, u32, i64);

/// The module as read.
#[derive(Default)]
struct Read {
    sections: Vec<Section>,
    types: Vec<(Vec<u8>, Vec<u8>)>,
    imports: Vec<(String, String, String)>,
    functions: Vec<u32>,
    tables: Vec<String>,
    memories: u32,
    globals: Vec<(u8, bool, Vec<u8>)>,
    exports: Vec<(String, ExternalKind, u32)>,
    has_start: bool,
    elements: u32,
    data_count: Option<u32>,
    code_payload: usize,
    bodies: Vec<Range<usize>>,
    data_payload: usize,
    segments: Vec<(Range<usize>, Option<Vec<u8>>)>,
    /// Custom sections other than `linking`, `reloc.*` and `target_features`: (name, module
    /// section index, data range).
    customs: Vec<(String, u32, Range<usize>)>,
    /// The custom sections' names in file order.
    custom_order: Vec<String>,
    linking_version: Option<u32>,
    symbols: Vec<Sym>,
    segment_info: Vec<(String, u32, u32)>,
    init_funcs: Vec<(u32, u32)>,
    comdats: Vec<(String, Vec<(ComdatSymbolKind, u32)>)>,
    relocs: Vec<(String, u32, Vec<Entry>)>,
    features: Vec<(u8, String)>,
}

fn type_text(t: &TypeRef) -> String {
    match *t {
        TypeRef::Func(i) => format!("func {i}"),
        TypeRef::Table(t) => format!(
            "table {:#x} {}..{:?} table64={}",
            read_ref_code(t.element_type),
            t.initial,
            t.maximum,
            t.table64
        ),
        TypeRef::Memory(m) => format!(
            "memory {}..{:?} shared={} memory64={}",
            m.initial, m.maximum, m.shared, m.memory64
        ),
        TypeRef::Global(g) => format!(
            "global {:#x} mutable={}",
            read_code(g.content_type),
            g.mutable
        ),
        TypeRef::Tag(_) => "tag".into(),
    }
}

fn read(bytes: &[u8]) -> Result<Read, String> {
    let mut r = Read::default();
    let offset_of = |s: &[u8]| s.as_ptr() as usize - bytes.as_ptr() as usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|err| format!("wasmparser: {err}"))?;
        match payload {
            Payload::TypeSection(s) => {
                r.sections.push(Section::Standard(1));
                for t in s.into_iter_err_on_gc_types() {
                    let t = t.map_err(e("type"))?;
                    let p = t.params().iter().map(|&v| read_code(v)).collect();
                    let q = t.results().iter().map(|&v| read_code(v)).collect();
                    r.types.push((p, q));
                }
            }
            Payload::ImportSection(s) => {
                r.sections.push(Section::Standard(2));
                for i in s {
                    let i = i.map_err(e("import"))?;
                    r.imports
                        .push((i.module.into(), i.name.into(), type_text(&i.ty)));
                }
            }
            Payload::FunctionSection(s) => {
                r.sections.push(Section::Standard(3));
                for f in s {
                    r.functions.push(f.map_err(e("function"))?);
                }
            }
            Payload::TableSection(s) => {
                r.sections.push(Section::Standard(4));
                for t in s {
                    let t = t.map_err(e("table"))?;
                    r.tables.push(type_text(&TypeRef::Table(t.ty)));
                }
            }
            Payload::MemorySection(s) => {
                r.sections.push(Section::Standard(5));
                r.memories += s.count();
            }
            Payload::GlobalSection(s) => {
                r.sections.push(Section::Standard(6));
                for g in s {
                    let g = g.map_err(e("global"))?;
                    let mut init = g.init_expr.get_binary_reader();
                    let init = init
                        .read_bytes(init.bytes_remaining())
                        .map_err(e("global init"))?;
                    r.globals
                        .push((read_code(g.ty.content_type), g.ty.mutable, init.to_vec()));
                }
            }
            Payload::ExportSection(s) => {
                r.sections.push(Section::Standard(7));
                for x in s {
                    let x = x.map_err(e("export"))?;
                    r.exports.push((x.name.into(), x.kind, x.index));
                }
            }
            Payload::StartSection { .. } => {
                r.sections.push(Section::Standard(8));
                r.has_start = true;
            }
            Payload::ElementSection(s) => {
                r.sections.push(Section::Standard(9));
                r.elements = s.count();
            }
            Payload::DataCountSection { count, .. } => {
                r.sections.push(Section::Standard(12));
                r.data_count = Some(count);
            }
            Payload::CodeSectionStart { range, .. } => {
                r.sections.push(Section::Standard(10));
                r.code_payload = range.start;
            }
            Payload::CodeSectionEntry(body) => r.bodies.push(body.range()),
            Payload::DataSection(s) => {
                r.sections.push(Section::Standard(11));
                r.data_payload = s.range().start;
                for d in s {
                    let d = d.map_err(e("data"))?;
                    let at = offset_of(d.data);
                    let offset = match d.kind {
                        DataKind::Active {
                            memory_index: 0,
                            offset_expr,
                        } => {
                            let mut init = offset_expr.get_binary_reader();
                            let init = init
                                .read_bytes(init.bytes_remaining())
                                .map_err(e("segment offset"))?;
                            Some(init.to_vec())
                        }
                        _ => None,
                    };
                    r.segments.push((at..at + d.data.len(), offset));
                }
            }
            Payload::CustomSection(c) => {
                let index = r.sections.len() as u32;
                r.sections.push(Section::Custom(c.name().into()));
                r.custom_order.push(c.name().into());
                let data = BinaryReader::new(c.data(), c.data_offset());
                match c.name() {
                    "linking" => read_linking(&mut r, data)?,
                    "target_features" => {
                        let mut f = data;
                        let n = f.read_var_u32().map_err(e("target_features"))?;
                        for _ in 0..n {
                            let prefix = f.read_u8().map_err(e("target_features"))?;
                            let name = f.read_string().map_err(e("target_features"))?;
                            r.features.push((prefix, name.into()));
                        }
                    }
                    name if name.starts_with("reloc.") => {
                        let s = RelocSectionReader::new(data).map_err(e(name))?;
                        let mut entries = Vec::new();
                        for x in s.entries() {
                            let x = x.map_err(e(name))?;
                            entries.push((x.ty as u8, u64::from(x.offset), x.index, x.addend));
                        }
                        r.relocs.push((name.into(), s.section_index(), entries));
                    }
                    name => {
                        let at = c.data_offset();
                        r.customs
                            .push((name.into(), index, at..at + c.data().len()));
                    }
                }
            }
            Payload::Version { .. } | Payload::End(_) => {}
            other => return Err(format!("an unexpected part of a module: {other:?}")),
        }
    }
    Ok(r)
}

fn read_linking(r: &mut Read, data: BinaryReader<'_>) -> Result<(), String> {
    let linking = LinkingSectionReader::new(data).map_err(e("linking"))?;
    r.linking_version = Some(linking.version());
    for sub in linking.subsections() {
        match sub.map_err(e("linking"))? {
            Linking::SymbolTable(map) => {
                for s in map {
                    let s = s.map_err(e("symbol table"))?;
                    let (kind, flags, index, name, data) = match s {
                        SymbolInfo::Func { flags, index, name } => {
                            ("function", flags, index, name, None)
                        }
                        SymbolInfo::Global { flags, index, name } => {
                            ("global", flags, index, name, None)
                        }
                        SymbolInfo::Table { flags, index, name } => {
                            ("table", flags, index, name, None)
                        }
                        SymbolInfo::Data {
                            flags,
                            name,
                            symbol,
                        } => (
                            "data",
                            flags,
                            0,
                            Some(name),
                            symbol.map(|d| (d.index, u64::from(d.offset), u64::from(d.size))),
                        ),
                        SymbolInfo::Section { flags, section } => {
                            ("section", flags, section, None, None)
                        }
                        SymbolInfo::Event { flags, index, name } => {
                            ("event", flags, index, name, None)
                        }
                    };
                    r.symbols.push(Sym {
                        kind,
                        flags: flags.bits(),
                        index,
                        name: name.map(String::from),
                        data,
                    });
                }
            }
            Linking::SegmentInfo(map) => {
                for s in map {
                    let s = s.map_err(e("segment info"))?;
                    r.segment_info
                        .push((s.name.into(), s.alignment, s.flags.bits()));
                }
            }
            Linking::InitFuncs(map) => {
                for f in map {
                    let f = f.map_err(e("init funcs"))?;
                    r.init_funcs.push((f.priority, f.symbol_index));
                }
            }
            Linking::ComdatInfo(map) => {
                for c in map {
                    let c = c.map_err(e("comdat info"))?;
                    if c.flags != 0 {
                        return Err(format!("COMDAT `{}` has flags {}", c.name, c.flags));
                    }
                    let mut members = Vec::new();
                    for m in c.symbols {
                        let m = m.map_err(e("comdat info"))?;
                        members.push((m.kind, m.index));
                    }
                    r.comdats.push((c.name.into(), members));
                }
            }
            Linking::Unknown { ty, .. } => {
                return Err(format!("an unknown linking subsection {ty}"))
            }
        }
    }
    Ok(())
}

/// What a model symbol is in the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Skip,
    /// A function (index), imported (its written import) or defined.
    Function(u32, Option<usize>),
    Global(u32, Option<usize>),
    Table(u32, Option<usize>),
    /// Data: (segment, offset, size) when defined.
    Data(Option<(u32, u64, u64)>),
    /// A custom section's symbol: (model section).
    Section(usize),
}

/// The layout the model implies.
struct Expected {
    /// The imports as written: (module, name, type text), the model's after objforge's own.
    imports: Vec<(String, String, String)>,
    func_imports: u32,
    /// The data sections (model section ids), in segment order, with their addresses.
    segments: Vec<(usize, u64)>,
    /// The custom sections (model section ids), in order.
    customs: Vec<usize>,
    classes: Vec<Class>,
    /// Symbol table index of each model symbol.
    symtab: Vec<Option<u32>>,
}

fn is_custom(k: SectionKind) -> bool {
    matches!(k, SectionKind::Debug | SectionKind::Other)
}

fn expect(case: &Case, obj: &Object) -> Result<Expected, String> {
    let w = &obj.wasm;
    let is64 = case.arch == Architecture::Wasm64;
    // Segments end to end from 0, each aligned: the object's own layout.
    let mut segments = Vec::new();
    let mut at = 0u64;
    for (i, s) in obj.sections.iter().enumerate() {
        if s.kind != SectionKind::Text && !is_custom(s.kind) {
            at = at.next_multiple_of(s.align.max(1));
            segments.push((i, at));
            at += s.data.len();
        }
    }
    let customs: Vec<usize> = (0..obj.sections.len())
        .filter(|&i| is_custom(obj.sections[i].kind))
        .collect();
    let mut imports = Vec::new();
    if !w
        .imports
        .iter()
        .any(|i| matches!(i.kind, ImportKind::Memory(_)))
    {
        let pages = at.div_ceil(65536);
        imports.push((
            "env".to_string(),
            "__linear_memory".to_string(),
            format!("memory {pages}..None shared=false memory64={is64}"),
        ));
    }
    let has_table = !w.tables.is_empty()
        || w.imports
            .iter()
            .any(|i| matches!(i.kind, ImportKind::Table(_)));
    let uses_table = obj.relocations.iter().any(|r| {
        use RelocKind::*;
        matches!(
            r.kind(),
            WasmTableIndexSleb
                | WasmTableIndexI32
                | WasmTableIndexSleb64
                | WasmTableIndexI64
                | WasmTypeIndexLeb
        )
    });
    if uses_table && !has_table {
        imports.push((
            "env".to_string(),
            INDIRECT_FUNCTION_TABLE.to_string(),
            "table 0x70 0..None table64=false".to_string(),
        ));
    }
    let first_user_import = imports.len();
    for i in &w.imports {
        let ty = match i.kind {
            ImportKind::Func(t) => format!("func {t}"),
            ImportKind::Global(g) => {
                format!("global {:#x} mutable={}", val_code(g.value), g.mutable)
            }
            ImportKind::Table(t) => format!(
                "table {:#x} {}..{:?} table64=false",
                ref_code(t.element),
                t.limits.min,
                t.limits.max
            ),
            ImportKind::Memory(m) => format!(
                "memory {}..{:?} shared={} memory64={is64}",
                m.limits.min, m.limits.max, m.shared
            ),
            ref other => format!("{other:?}"),
        };
        imports.push((i.module.clone(), i.name.clone(), ty));
    }
    let count = |kind: &str, before: usize| {
        imports[..before]
            .iter()
            .filter(|i| i.2.starts_with(kind))
            .count() as u32
    };
    let (func_imports, global_imports, table_imports) = (
        count("func", imports.len()),
        count("global", imports.len()),
        count("table", imports.len()),
    );

    let mut classes = vec![None; obj.symbols.len()];
    for (k, i) in w.imports.iter().enumerate() {
        let at = first_user_import + k;
        let class = match i.kind {
            ImportKind::Func(_) => Class::Function(count("func", at), Some(at)),
            ImportKind::Global(_) => Class::Global(count("global", at), Some(at)),
            ImportKind::Table(_) => Class::Table(count("table", at), Some(at)),
            _ => continue,
        };
        if let Some(s) = i.symbol {
            classes[s.index()] = Some(class);
        }
    }
    for (j, g) in w.globals.iter().enumerate() {
        if let Some(s) = g.symbol {
            classes[s.index()] = Some(Class::Global(global_imports + j as u32, None));
        }
    }
    for (j, t) in w.tables.iter().enumerate() {
        if let Some(s) = t.symbol {
            classes[s.index()] = Some(Class::Table(table_imports + j as u32, None));
        }
    }
    let mut out = Vec::with_capacity(obj.symbols.len());
    let mut symtab = Vec::with_capacity(obj.symbols.len());
    let mut next = 0u32;
    for (i, s) in obj.symbols.iter().enumerate() {
        let class = match (classes[i], s.definition) {
            (Some(c), _) => c,
            (None, SymbolDefinition::Absolute) => Class::Skip,
            (None, SymbolDefinition::Undefined) => Class::Data(None),
            (None, SymbolDefinition::Defined { section, offset }) => {
                let kind = obj.sections[section.index()].kind;
                if kind == SectionKind::Text {
                    let j = w
                        .functions
                        .iter()
                        .position(|f| f.section == section)
                        .ok_or(format!("symbols[{i}] is in a text section no function has"))?;
                    Class::Function(func_imports + j as u32, None)
                } else if is_custom(kind) {
                    Class::Section(section.index())
                } else {
                    let seg = segments
                        .iter()
                        .position(|&(k, _)| k == section.index())
                        .ok_or("no segment")?;
                    Class::Data(Some((seg as u32, offset, s.size)))
                }
            }
            (None, SymbolDefinition::Common { .. }) => {
                return Err(format!("symbols[{i}] is common"))
            }
            (None, _) => return Err(format!("symbols[{i}]: a definition of an unknown kind")),
        };
        out.push(class);
        if class == Class::Skip {
            symtab.push(None);
        } else {
            symtab.push(Some(next));
            next += 1;
        }
    }
    Ok(Expected {
        imports,
        func_imports,
        segments,
        customs,
        classes: out,
        symtab,
    })
}

/// Compares `bytes`, the written `obj`, with the model; the first difference as an error.
pub(crate) fn compare(case: &Case, obj: &Object, bytes: &[u8]) -> Result<(), String> {
    // The reader the other formats are compared with must at least take it.
    object::File::parse(bytes).map_err(|err| format!("the object crate cannot read it: {err}"))?;
    let r = read(bytes)?;
    let x = expect(case, obj)?;
    let w = &obj.wasm;

    // --- The standard sections: each present exactly when it has entries, in order.
    let mut want: Vec<u8> = Vec::new();
    let segments = x.segments.len();
    for (id, present) in [
        (1, !w.types.is_empty()),
        (2, !x.imports.is_empty()),
        (3, !w.functions.is_empty()),
        (4, !w.tables.is_empty()),
        (6, !w.globals.is_empty()),
        (7, !w.exports.is_empty()),
        (12, segments > 0),
        (10, !w.functions.is_empty()),
        (11, segments > 0),
    ] {
        if present {
            want.push(id);
        }
    }
    let standard: Vec<u8> = r
        .sections
        .iter()
        .filter_map(|s| match s {
            Section::Standard(id) => Some(*id),
            Section::Custom(_) => None,
        })
        .collect();
    if standard != want {
        return Err(format!("sections {standard:?}, expected {want:?}"));
    }
    let types: Vec<(Vec<u8>, Vec<u8>)> = w
        .types
        .iter()
        .map(|t| (codes(&t.params), codes(&t.results)))
        .collect();
    if r.types != types {
        return Err(format!("types {:?}, expected {types:?}", r.types));
    }
    if r.imports != x.imports {
        return Err(format!("imports {:?}, expected {:?}", r.imports, x.imports));
    }
    let functions: Vec<u32> = w.functions.iter().map(|f| f.type_index).collect();
    if r.functions != functions {
        return Err(format!(
            "function types {:?}, expected {functions:?}",
            r.functions
        ));
    }
    let tables: Vec<String> = w
        .tables
        .iter()
        .map(|t| {
            format!(
                "table {:#x} {}..{:?} table64=false",
                ref_code(t.ty.element),
                t.ty.limits.min,
                t.ty.limits.max
            )
        })
        .collect();
    if r.tables != tables {
        return Err(format!("tables {:?}, expected {tables:?}", r.tables));
    }
    if r.memories != 0 || r.has_start || r.elements != 0 {
        return Err("an object defines no memory, start or elements".into());
    }
    let globals: Vec<(u8, bool, Vec<u8>)> = w
        .globals
        .iter()
        .map(|g| (val_code(g.ty.value), g.ty.mutable, const_expr(&g.init)))
        .collect();
    if r.globals != globals {
        return Err(format!("globals {:?}, expected {globals:?}", r.globals));
    }
    let mut exports = Vec::new();
    for x_ in &w.exports {
        let ExportTarget::Symbol(s) = x_.target else {
            return Err("an object exports by symbol".into());
        };
        let (kind, index) = match x.classes[s.index()] {
            Class::Function(i, _) => (ExternalKind::Func, i),
            Class::Global(i, _) => (ExternalKind::Global, i),
            other => return Err(format!("exports {s:?}, which is {other:?}")),
        };
        exports.push((x_.name.clone(), kind, index));
    }
    if r.exports != exports {
        return Err(format!("exports {:?}, expected {exports:?}", r.exports));
    }
    if r.data_count != (segments > 0).then_some(segments as u32) {
        return Err(format!("data count {:?}", r.data_count));
    }

    // --- Where each section's bytes went: (payload base for reloc.* offsets, file range).
    let mut placed: Vec<Option<(usize, Range<usize>)>> = vec![None; obj.sections.len()];
    if r.bodies.len() != w.functions.len() {
        return Err(format!(
            "{} function bodies, expected {}",
            r.bodies.len(),
            w.functions.len()
        ));
    }
    for (f, body) in w.functions.iter().zip(&r.bodies) {
        placed[f.section.index()] = Some((r.code_payload, body.clone()));
    }
    if r.segments.len() != segments {
        return Err(format!(
            "{} segments, expected {segments}",
            r.segments.len()
        ));
    }
    for (&(section, address), (range, offset)) in x.segments.iter().zip(&r.segments) {
        let address = if case.arch == Architecture::Wasm64 {
            ConstExpr::I64(address as i64)
        } else {
            ConstExpr::I32(address as u32 as i32)
        };
        if offset.as_deref() != Some(&const_expr(&address)[..]) {
            return Err(format!(
                "segment of sections[{section}] is at {offset:02x?}, expected an active segment at {address:?} of memory 0"
            ));
        }
        placed[section] = Some((r.data_payload, range.clone()));
    }
    let customs: Vec<&String> = r.customs.iter().map(|c| &c.0).collect();
    let want_customs: Vec<&String> = x.customs.iter().map(|&i| &obj.sections[i].name).collect();
    if customs != want_customs {
        return Err(format!(
            "custom sections {customs:?}, expected {want_customs:?}"
        ));
    }
    for (&section, (_, _, range)) in x.customs.iter().zip(&r.customs) {
        placed[section] = Some((range.start, range.clone()));
    }

    // --- Contents, with each relocated field holding the object's own value.
    let body_start = |section: usize| -> u64 {
        placed[section]
            .as_ref()
            .map_or(0, |(payload, range)| (range.start - payload) as u64)
    };
    let mut expected_relocs: Vec<(String, Vec<Entry>)> = Vec::new();
    for (i, s) in obj.sections.iter().enumerate() {
        let Some((payload, range)) = placed[i].clone() else {
            return Err(format!("sections[{i}] ({}) is not in the module", s.name));
        };
        let data = &bytes[range.clone()];
        if data.len() as u64 != s.data.len() {
            return Err(format!(
                "sections[{i}] ({}) is {} bytes, not {}",
                s.name,
                data.len(),
                s.data.len()
            ));
        }
        let mut fields: Vec<Range<usize>> = Vec::new();
        for (k, rel) in obj.relocations.iter().enumerate() {
            if rel.section().index() != i {
                continue;
            }
            let here = |m: String| {
                format!(
                    "relocations[{k}] ({} at {} of {}): {m}",
                    rel.kind(),
                    rel.offset(),
                    s.name
                )
            };
            let (ty, field, has_addend) =
                r_type(rel.kind()).ok_or_else(|| here("not a Wasm kind".into()))?;
            let at = rel.offset() as usize;
            let size = match field {
                Field::Uleb(n) | Field::Sleb(n) | Field::Word(n) => n,
            };
            let got = data
                .get(at..at + size)
                .ok_or_else(|| here("the field is outside the section".into()))?;
            fields.push(at..at + size);
            let sym_class = rel.symbol().map(|sid: SymbolId| x.classes[sid.index()]);
            let value: i128 = match (rel.kind(), sym_class) {
                (RelocKind::WasmTypeIndexLeb, _) => i128::from(rel.addend()),
                (_, Some(Class::Function(index, import))) => match rel.kind() {
                    RelocKind::WasmFuncIndexLeb | RelocKind::WasmFuncIndexI32 => i128::from(index),
                    RelocKind::WasmFunctionOffsetI32 | RelocKind::WasmFunctionOffsetI64 => {
                        if import.is_some() {
                            return Err(here("a function offset of an import".into()));
                        }
                        let j = (index - x.func_imports) as usize;
                        let section = w.functions[j].section.index();
                        i128::from(body_start(section)) + i128::from(rel.addend())
                    }
                    _ => 0,
                },
                (_, Some(Class::Global(index, _) | Class::Table(index, _))) => i128::from(index),
                (_, Some(Class::Data(Some((seg, offset, _))))) => {
                    i128::from(x.segments[seg as usize].1 + offset) + i128::from(rel.addend())
                }
                (_, Some(Class::Data(None))) => 0,
                (_, Some(Class::Section(_))) => i128::from(rel.addend()),
                _ => return Err(here(format!("names {sym_class:?}"))),
            };
            let bits = |n: usize| if n == 5 || n == 4 { 32 } else { 64 };
            let (read, wanted) = match field {
                Field::Uleb(n) => {
                    let v = padded(got, false).map_err(here)?;
                    (v, value.rem_euclid(1 << bits(n)))
                }
                Field::Sleb(n) => {
                    let v = padded(got, true).map_err(here)?;
                    let m = value.rem_euclid(1 << bits(n));
                    let signed = if m >> (bits(n) - 1) == 1 {
                        m - (1 << bits(n))
                    } else {
                        m
                    };
                    (v, signed)
                }
                Field::Word(n) => {
                    let mut v: i128 = 0;
                    for (b, byte) in got.iter().enumerate() {
                        v |= i128::from(*byte) << (8 * b);
                    }
                    (v, value.rem_euclid(1 << bits(n)))
                }
            };
            if read != wanted {
                return Err(here(format!("the field holds {read}, expected {wanted}")));
            }
            let index = match rel.symbol() {
                None if rel.kind() == RelocKind::WasmTypeIndexLeb => rel.addend() as u32,
                Some(sid) => {
                    x.symtab[sid.index()].ok_or_else(|| here("a symbol with no entry".into()))?
                }
                None => return Err(here("no symbol".into())),
            };
            let addend = if has_addend { rel.addend() } else { 0 };
            if !has_addend && rel.addend() != 0 && rel.kind() != RelocKind::WasmTypeIndexLeb {
                return Err(here(format!(
                    "addend {} on a type that has none",
                    rel.addend()
                )));
            }
            let name = match s.kind {
                SectionKind::Text => "reloc.CODE".to_string(),
                k if is_custom(k) => format!("reloc.{}", s.name),
                _ => "reloc.DATA".to_string(),
            };
            let entry = (ty, (range.start - payload + at) as u64, index, addend);
            match expected_relocs.iter_mut().find(|(n, _)| *n == name) {
                Some((_, entries)) => entries.push(entry),
                None => expected_relocs.push((name, vec![entry])),
            }
        }
        let model: Vec<u8> = s.data.to_vec();
        for (at, (a, b)) in model.iter().zip(data).enumerate() {
            if a != b && !fields.iter().any(|f| f.contains(&at)) {
                return Err(format!(
                    "sections[{i}] ({}) differs at byte {at}: {a:#x} written as {b:#x}",
                    s.name
                ));
            }
        }
    }

    // --- reloc.*: one per section with relocations, CODE, DATA, then the custom sections'.
    let section_index = |name: &str| -> Option<u32> {
        let want = match name {
            "reloc.CODE" => Section::Standard(10),
            "reloc.DATA" => Section::Standard(11),
            other => Section::Custom(other.strip_prefix("reloc.")?.to_string()),
        };
        r.sections.iter().position(|s| *s == want).map(|i| i as u32)
    };
    let rank = |name: &str| match name {
        "reloc.CODE" => (0, 0),
        "reloc.DATA" => (1, 0),
        other => (
            2,
            x.customs
                .iter()
                .position(|&c| format!("reloc.{}", obj.sections[c].name) == other)
                .unwrap_or(usize::MAX),
        ),
    };
    expected_relocs.sort_by_key(|(name, _)| rank(name));
    if r.relocs.len() != expected_relocs.len() {
        let names: Vec<&String> = r.relocs.iter().map(|(n, _, _)| n).collect();
        return Err(format!(
            "reloc sections {names:?}, expected {:?}",
            expected_relocs.iter().map(|(n, _)| n).collect::<Vec<_>>()
        ));
    }
    for ((name, target, entries), (want_name, want)) in r.relocs.iter().zip(&mut expected_relocs) {
        if name != want_name {
            return Err(format!("{name}, expected {want_name}"));
        }
        if Some(*target) != section_index(name) {
            return Err(format!("{name} names section {target}"));
        }
        if !entries.is_sorted_by_key(|e| e.1) {
            return Err(format!("{name}: entries not in offset order"));
        }
        want.sort_by_key(|e| e.1);
        if entries != want {
            return Err(format!("{name}: {entries:?}, expected {want:?}"));
        }
    }

    // --- linking: the symbol table, segment info, init functions, COMDATs.
    if r.linking_version != Some(2) {
        return Err(format!("linking version {:?}", r.linking_version));
    }
    let exported: Vec<SymbolId> = w
        .exports
        .iter()
        .filter_map(|e| match e.target {
            ExportTarget::Symbol(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut symbols = Vec::new();
    for (i, s) in obj.symbols.iter().enumerate() {
        let class = x.classes[i];
        if class == Class::Skip {
            continue;
        }
        let mut flags = match s.binding {
            Binding::Local => BINDING_LOCAL,
            Binding::Weak => BINDING_WEAK,
            _ => 0,
        };
        if s.binding != Binding::Local
            && matches!(s.visibility, Visibility::Hidden | Visibility::Internal)
        {
            flags |= VISIBILITY_HIDDEN;
        }
        let import = match class {
            Class::Function(_, i) | Class::Global(_, i) | Class::Table(_, i) => i,
            _ => None,
        };
        if import.is_some() || class == Class::Data(None) {
            flags |= UNDEFINED;
        }
        if exported.contains(&SymbolId::from_index(i)) {
            flags |= EXPORTED;
        }
        let said = obj
            .wasm
            .imports
            .iter()
            .any(|m| m.symbol == Some(SymbolId::from_index(i)) && m.explicit_name);
        let explicit = import.is_some_and(|k| said || x.imports[k].1 != s.name);
        if explicit {
            flags |= EXPLICIT_NAME;
        }
        if let SymbolDefinition::Defined { section, .. } = s.definition {
            let sec = &obj.sections[section.index()];
            if sec.flags.retain {
                flags |= NO_STRIP;
            }
            if matches!(class, Class::Data(_))
                && matches!(sec.kind, SectionKind::TlsData | SectionKind::TlsBss)
            {
                flags |= TLS;
            }
        }
        if s.kind == SymbolKind::Tls {
            flags |= TLS;
        }
        if matches!(class, Class::Table(..)) && s.name == INDIRECT_FUNCTION_TABLE {
            flags |= NO_STRIP;
        }
        let name = (import.is_none() || explicit).then(|| s.name.to_string());
        let sym = match class {
            Class::Function(index, _) => Sym {
                kind: "function",
                flags,
                index,
                name,
                data: None,
            },
            Class::Global(index, _) => Sym {
                kind: "global",
                flags,
                index,
                name,
                data: None,
            },
            Class::Table(index, _) => Sym {
                kind: "table",
                flags,
                index,
                name,
                data: None,
            },
            Class::Data(data) => Sym {
                kind: "data",
                flags,
                index: 0,
                name: Some(s.name.to_string()),
                data,
            },
            Class::Section(section) => Sym {
                kind: "section",
                flags,
                index: r
                    .sections
                    .iter()
                    .position(|m| *m == Section::Custom(obj.sections[section].name.clone()))
                    .map_or(u32::MAX, |p| p as u32),
                name: None,
                data: None,
            },
            Class::Skip => continue,
        };
        symbols.push((i, sym));
    }
    if r.symbols.len() != symbols.len() {
        return Err(format!(
            "{} symbols in the table, expected {}",
            r.symbols.len(),
            symbols.len()
        ));
    }
    for (got, (i, want)) in r.symbols.iter().zip(&symbols) {
        if got != want {
            return Err(format!(
                "symbols[{i}] is written as {got:?}, expected {want:?}"
            ));
        }
    }
    let segment_info: Vec<(String, u32, u32)> = x
        .segments
        .iter()
        .map(|&(i, _)| {
            let s = &obj.sections[i];
            let mut flags = 0;
            if s.flags.merge_strings {
                flags |= 1;
            }
            if matches!(s.kind, SectionKind::TlsData | SectionKind::TlsBss) {
                flags |= 2;
            }
            if s.flags.retain {
                flags |= 4;
            }
            (s.name.clone(), s.align.max(1).trailing_zeros(), flags)
        })
        .collect();
    if r.segment_info != segment_info {
        return Err(format!(
            "segment info {:?}, expected {segment_info:?}",
            r.segment_info
        ));
    }
    let init_funcs: Vec<(u32, u32)> = w
        .init_funcs
        .iter()
        .map(|f| (f.priority, x.symtab[f.symbol.index()].unwrap_or(u32::MAX)))
        .collect();
    if r.init_funcs != init_funcs {
        return Err(format!(
            "init functions {:?}, expected {init_funcs:?}",
            r.init_funcs
        ));
    }
    let mut comdats: Vec<(String, Vec<(ComdatSymbolKind, u32)>)> = Vec::new();
    for (i, s) in obj.sections.iter().enumerate() {
        let Some(group) = &s.comdat else { continue };
        let member = if s.kind == SectionKind::Text {
            let j = w
                .functions
                .iter()
                .position(|f| f.section.index() == i)
                .unwrap_or(0);
            (ComdatSymbolKind::Func, x.func_imports + j as u32)
        } else if is_custom(s.kind) {
            let index = r
                .sections
                .iter()
                .position(|m| *m == Section::Custom(s.name.clone()))
                .map_or(u32::MAX, |p| p as u32);
            (ComdatSymbolKind::Section, index)
        } else {
            let seg = x.segments.iter().position(|&(k, _)| k == i).unwrap_or(0);
            (ComdatSymbolKind::Data, seg as u32)
        };
        match comdats.iter_mut().find(|(g, _)| g == group) {
            Some((_, members)) => members.push(member),
            None => comdats.push((group.clone(), vec![member])),
        }
    }
    if r.comdats != comdats {
        return Err(format!("COMDATs {:?}, expected {comdats:?}", r.comdats));
    }

    // --- The custom sections' order, and target_features.
    let mut order: Vec<String> = want_customs.iter().map(|s| s.to_string()).collect();
    order.push("linking".into());
    order.extend(expected_relocs.iter().map(|(n, _)| n.clone()));
    if !w.features.is_empty() {
        order.push("target_features".into());
    }
    if r.custom_order != order {
        return Err(format!(
            "custom sections in the order {:?}, expected {order:?}",
            r.custom_order
        ));
    }
    let features: Vec<(u8, String)> = w
        .features
        .iter()
        .map(|f| (f.policy.prefix(), f.name.clone()))
        .collect();
    if r.features != features {
        return Err(format!("features {:?}, expected {features:?}", r.features));
    }
    Ok(())
}
