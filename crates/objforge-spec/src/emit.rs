//! The dumped model as objspec JSON (`docs/spec.md`): every field the spec has, each left
//! out where it holds the spec's default, so that what is written is what is particular to
//! the object.
//!
//! References to sections and symbols are names where the name is unique in its array, and
//! indices otherwise. Contents are `hex`, or `size` for zero-filled sections; with an output
//! file, sections larger than a limit go to side files (`file`) in a directory next to it.
//! The compact form puts each section, symbol and relocation on a line of its own; `--pretty`
//! indents everything.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use objforge::unwind::{CfiOp, FunctionUnwind, Lsda, Register, SehOp};
use objforge::{
    Architecture, Binding, ComdatSelection, FloatAbi, Format, Object, Platform, RelocKind,
    SectionData, Symbol, SymbolDefinition, SymbolId, SymbolKind, Visibility,
};
use serde_json::{Map, Value};

mod wasm;

/// How to write the spec.
pub struct EmitOptions {
    /// Indent everything (`--pretty`); otherwise one line per section, symbol, relocation.
    pub pretty: bool,
    /// Where sections larger than `max_inline` bytes go: the directory on disk, and the same
    /// directory as the spec refers to it (relative to the spec's own directory). `None`
    /// keeps every section inline.
    pub side_files: Option<(PathBuf, String)>,
    /// The most bytes a section holds inline when there are side files.
    pub max_inline: u64,
}

/// The spec text and the side files it refers to (path on disk, contents).
pub struct Emitted {
    /// The JSON document, ending in a newline.
    pub spec: String,
    /// Side files to write before the spec.
    pub side_files: Vec<(PathBuf, Vec<u8>)>,
}

/// Writes `object` as an objspec.
pub fn emit(object: &Object, options: &EmitOptions) -> Emitted {
    let mut side_files = Vec::new();
    let mut top = Map::new();
    let (triple, platform_default) = triple(object);
    top.insert("target".into(), Value::from(triple));
    let opts = options_json(object, platform_default);
    if !opts.is_empty() {
        top.insert("options".into(), Value::Object(opts));
    }

    let section_names = unique_names(object.sections.iter().map(|s| s.name.as_str()));
    let section_ref = |i: usize| -> Value {
        match object.sections.get(i) {
            Some(s) if !s.name.is_empty() && section_names.get(s.name.as_str()) == Some(&1) => {
                Value::from(s.name.as_str())
            }
            _ => Value::from(i),
        }
    };
    let symbol_names = unique_names(object.symbols.iter().map(|s| s.name.as_str()));
    let symbol_ref = |id: SymbolId| -> Value {
        match object.symbols.get(id.index()) {
            Some(s) if !s.name.is_empty() && symbol_names.get(s.name.as_str()) == Some(&1) => {
                Value::from(s.name.as_str())
            }
            _ => Value::from(id.0),
        }
    };

    let mut sections = Vec::new();
    for (i, s) in object.sections.iter().enumerate() {
        let mut m = Map::new();
        m.insert("name".into(), Value::from(s.name.as_str()));
        if s.kind != crate::spec::default_section_kind(&s.name) {
            m.insert("kind".into(), Value::from(s.kind.name()));
        }
        if s.align != 1 {
            m.insert("align".into(), Value::from(s.align));
        }
        let mut flags = Vec::new();
        for (on, name) in [
            (s.flags.merge_strings, "merge_strings"),
            (s.flags.merge, "merge"),
            (s.flags.exclude, "exclude"),
            (s.flags.retain, "retain"),
        ] {
            if on {
                flags.push(Value::from(name));
            }
        }
        if !flags.is_empty() {
            m.insert("flags".into(), Value::Array(flags));
        }
        if s.entsize != 0 {
            m.insert("entsize".into(), Value::from(s.entsize));
        }
        if let Some(group) = &s.comdat {
            m.insert("comdat".into(), Value::from(group.clone()));
            match s.comdat_selection {
                ComdatSelection::Any => {}
                ComdatSelection::Associative(target) => {
                    m.insert("comdat_associate".into(), section_ref(target.index()));
                }
                other => {
                    m.insert("comdat_selection".into(), Value::from(other.name()));
                }
            }
        }
        match &s.data {
            SectionData::Bytes(b) => match &options.side_files {
                Some((dir, rel)) if b.len() as u64 > options.max_inline => {
                    let file = format!("{i:03}{}.bin", file_safe(&s.name));
                    side_files.push((dir.join(&file), b.clone()));
                    m.insert("file".into(), Value::from(format!("{rel}/{file}")));
                }
                _ => {
                    m.insert("hex".into(), Value::from(hex(b)));
                }
            },
            zero => {
                m.insert("size".into(), Value::from(zero.len()));
            }
        }
        sections.push(Value::Object(m));
    }

    let mut symbols = Vec::new();
    for (i, s) in object.symbols.iter().enumerate() {
        let mut m = symbol_json(s, &section_ref);
        let local_entry = object.local_entry(objforge::SymbolId::from_index(i));
        if local_entry != 0 {
            m.insert("local_entry".into(), Value::from(local_entry));
        }
        symbols.push(Value::Object(m));
    }

    let mut relocations = Vec::new();
    for r in &object.relocations {
        let mut m = Map::new();
        m.insert("section".into(), section_ref(r.section().index()));
        m.insert("offset".into(), Value::from(r.offset()));
        if let Some(symbol) = r.symbol() {
            m.insert("symbol".into(), symbol_ref(symbol));
        }
        m.insert("kind".into(), Value::from(r.kind().name()));
        if r.addend() != 0 {
            m.insert("addend".into(), Value::from(r.addend()));
        }
        if let Some(pair) = r.pair() {
            m.insert("pair".into(), Value::from(pair));
        }
        if let Some(minus) = r.minus() {
            m.insert("minus".into(), symbol_ref(minus));
        }
        if let RelocKind::Native(n) = r.kind() {
            let mut native = Map::new();
            native.insert("type".into(), Value::from(n.r_type));
            if n.pcrel {
                native.insert("pcrel".into(), Value::from(true));
            }
            if n.length != 0 {
                native.insert("length".into(), Value::from(n.length));
            }
            if n.size != 0 {
                native.insert("size".into(), Value::from(n.size));
            }
            m.insert("native".into(), Value::Object(native));
        }
        relocations.push(Value::Object(m));
    }

    top.insert("sections".into(), Value::Array(sections));
    top.insert("symbols".into(), Value::Array(symbols));
    top.insert("relocations".into(), Value::Array(relocations));
    if !object.unwind.is_empty() {
        let unwind = object
            .unwind
            .iter()
            .map(|f| unwind_json(object.target.arch, f, &section_ref, &symbol_ref))
            .collect();
        top.insert("unwind".into(), Value::Array(unwind));
    }
    if object.target.format == Format::Wasm && object.wasm != objforge::wasm::WasmModule::default()
    {
        let w = wasm::wasm_json(&object.wasm, &section_ref, &symbol_ref);
        top.insert("wasm".into(), w);
    }
    let doc = Value::Object(top);
    let mut spec = if options.pretty {
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    } else {
        compact(&doc)
    };
    spec.push('\n');
    Emitted { spec, side_files }
}

/// One `unwind` entry, registers by their assembler names (DWARF numbers where they have
/// none), its defaults left out.
fn unwind_json(
    arch: Architecture,
    f: &FunctionUnwind,
    section_ref: &dyn Fn(usize) -> Value,
    symbol_ref: &dyn Fn(SymbolId) -> Value,
) -> Value {
    let reg = |r: Register| r.name(arch).map_or(Value::from(r.0), Value::from);
    let mut m = Map::new();
    m.insert("section".into(), section_ref(f.section.index()));
    m.insert("offset".into(), Value::from(f.offset));
    m.insert("size".into(), Value::from(f.size));
    if let Some(p) = f.personality {
        m.insert("personality".into(), symbol_ref(p));
    }
    match f.lsda {
        Some(Lsda::Symbol(s)) => {
            m.insert("lsda".into(), symbol_ref(s));
        }
        Some(Lsda::Section { section, offset }) => {
            let mut at = Map::new();
            at.insert("section".into(), section_ref(section.index()));
            at.insert("offset".into(), Value::from(offset));
            m.insert("lsda".into(), Value::Object(at));
        }
        _ => {}
    }
    if f.signal_frame {
        m.insert("signal_frame".into(), Value::from(true));
    }
    if let Some(column) = f.return_column {
        m.insert("return_column".into(), reg(column));
    }
    let mut rules = Vec::new();
    for rule in &f.cfi {
        let mut r = Map::new();
        r.insert("at".into(), Value::from(rule.at));
        r.insert("op".into(), Value::from(rule.op.name()));
        match &rule.op {
            CfiOp::DefCfa { reg: x, offset }
            | CfiOp::Offset { reg: x, offset }
            | CfiOp::ValOffset { reg: x, offset }
            | CfiOp::RelOffset { reg: x, offset } => {
                r.insert("reg".into(), reg(*x));
                r.insert("offset".into(), Value::from(*offset));
            }
            CfiOp::DefCfaOffset(offset) | CfiOp::AdjustCfaOffset(offset) => {
                r.insert("offset".into(), Value::from(*offset));
            }
            CfiOp::DefCfaRegister(x)
            | CfiOp::Restore(x)
            | CfiOp::Undefined(x)
            | CfiOp::SameValue(x) => {
                r.insert("reg".into(), reg(*x));
            }
            CfiOp::Register { reg: x, reg2 } => {
                r.insert("reg".into(), reg(*x));
                r.insert("reg2".into(), reg(*reg2));
            }
            CfiOp::Escape(bytes) => {
                r.insert("hex".into(), Value::from(hex(bytes)));
            }
            _ => {}
        }
        rules.push(Value::Object(r));
    }
    if !rules.is_empty() {
        m.insert("cfi".into(), Value::Array(rules));
    }
    let mut codes = Vec::new();
    for code in &f.seh {
        let mut c = Map::new();
        c.insert("at".into(), Value::from(code.at));
        let (name, fields): (&str, Vec<(&str, Value)>) = match code.op {
            SehOp::PushReg(x) => ("pushreg", vec![("reg", reg(x))]),
            SehOp::SetFrame { reg: x, offset } => (
                "setframe",
                vec![("reg", reg(x)), ("offset", Value::from(offset))],
            ),
            SehOp::StackAlloc(size) => ("stackalloc", vec![("size", Value::from(size))]),
            SehOp::SaveReg { reg: x, offset } => (
                code.op.name(arch),
                vec![("reg", reg(x)), ("offset", Value::from(offset))],
            ),
            SehOp::SaveXmm { reg: x, offset } => (
                "savexmm",
                vec![("reg", reg(x)), ("offset", Value::from(offset))],
            ),
            SehOp::PushFrame { code } => (
                "pushframe",
                if code {
                    vec![("code", Value::from(true))]
                } else {
                    Vec::new()
                },
            ),
            SehOp::EndPrologue
            | SehOp::SetFp
            | SehOp::Nop
            | SehOp::PacSignLr
            | SehOp::StartEpilogue
            | SehOp::EndEpilogue => (code.op.name(arch), Vec::new()),
            SehOp::SaveFpLr(offset) | SehOp::SaveFpLrX(offset) | SehOp::AddFp(offset) => {
                (code.op.name(arch), vec![("offset", Value::from(offset))])
            }
            SehOp::SaveRegX { reg: x, offset }
            | SehOp::SaveRegP { reg: x, offset }
            | SehOp::SaveRegPX { reg: x, offset }
            | SehOp::SaveLrPair { reg: x, offset }
            | SehOp::SaveFReg { reg: x, offset }
            | SehOp::SaveFRegX { reg: x, offset }
            | SehOp::SaveFRegP { reg: x, offset }
            | SehOp::SaveFRegPX { reg: x, offset } => (
                code.op.name(arch),
                vec![("reg", reg(x)), ("offset", Value::from(offset))],
            ),
            _ => continue,
        };
        c.insert("op".into(), Value::from(name));
        for (key, value) in fields {
            c.insert(key.into(), value);
        }
        codes.push(Value::Object(c));
    }
    if !codes.is_empty() {
        m.insert("seh".into(), Value::Array(codes));
    }
    Value::Object(m)
}

/// One symbol, its defaults left out.
fn symbol_json(s: &Symbol, section_ref: &dyn Fn(usize) -> Value) -> Map<String, Value> {
    let mut m = Map::new();
    // Only a section symbol may go unnamed in a spec.
    if !s.name.is_empty() || s.kind != SymbolKind::Section {
        m.insert("name".into(), Value::from(s.name.as_str()));
    }
    let (default_kind, default_binding, default_size) = match s.definition {
        SymbolDefinition::Defined { section, offset } => {
            m.insert("section".into(), section_ref(section.index()));
            if offset != 0 {
                m.insert("offset".into(), Value::from(offset));
            }
            (SymbolKind::None, Binding::Local, 0)
        }
        SymbolDefinition::Undefined => (SymbolKind::None, Binding::Global, 0),
        SymbolDefinition::Common { size, align } => {
            let mut c = Map::new();
            c.insert("size".into(), Value::from(size));
            if align != 1 {
                c.insert("align".into(), Value::from(u64::from(align)));
            }
            m.insert("common".into(), Value::Object(c));
            (SymbolKind::Object, Binding::Global, size)
        }
        _ => (SymbolKind::File, Binding::Local, 0),
    };
    if s.size != default_size {
        m.insert("size".into(), Value::from(s.size));
    }
    // `file` and `section` are what make such a symbol, so they are always said.
    if s.kind != default_kind || matches!(s.kind, SymbolKind::File | SymbolKind::Section) {
        m.insert("kind".into(), Value::from(s.kind.name()));
    }
    if s.binding != default_binding {
        m.insert("binding".into(), Value::from(s.binding.name()));
    }
    if s.visibility != Visibility::Default {
        m.insert("visibility".into(), Value::from(s.visibility.name()));
    }
    m
}

/// The triple that names the object's target, and the Mach-O platform it implies.
fn triple(object: &Object) -> (String, Option<Platform>) {
    let t = &object.target;
    let triple = match (t.format, t.arch) {
        (Format::MachO, Architecture::Aarch64) => "arm64-apple-macos".to_string(),
        (Format::MachO, arch) => format!("{arch}-apple-macos"),
        (Format::Coff, Architecture::X86_64) => "x86_64-pc-windows-msvc".to_string(),
        (Format::Coff, Architecture::I386) => "i686-pc-windows-msvc".to_string(),
        (Format::Coff, _) => "aarch64-pc-windows-msvc".to_string(),
        (Format::Wasm, arch) => format!("{arch}-unknown-unknown"),
        (_, Architecture::I386) => "i686-unknown-linux-gnu".to_string(),
        (_, Architecture::Riscv64) => {
            let ext = match (t.riscv_compressed, t.float_abi) {
                (true, FloatAbi::Soft) => "imac",
                (false, FloatAbi::Soft) => "ima",
                (true, _) => "gc",
                (false, _) => "g",
            };
            format!("riscv64{ext}-unknown-linux-gnu")
        }
        (_, Architecture::Ppc64le) => "powerpc64le-unknown-linux-gnu".to_string(),
        (_, Architecture::Arm) if t.float_abi == FloatAbi::Soft => {
            "arm-unknown-linux-gnueabi".to_string()
        }
        (_, Architecture::Arm) => "arm-unknown-linux-gnueabihf".to_string(),
        (_, arch) => format!("{arch}-unknown-linux-gnu"),
    };
    let platform = Platform::from_triple(&triple);
    (triple, platform)
}

/// `options`, only those that differ from what the triple implies.
fn options_json(object: &Object, platform_default: Option<Platform>) -> Map<String, Value> {
    let o = &object.options;
    let t = &object.target;
    let mut m = Map::new();
    if !o.mangle {
        m.insert("mangle".into(), Value::from(false));
    }
    if t.arch == Architecture::Riscv64 && t.float_abi == FloatAbi::Single {
        m.insert("float_abi".into(), Value::from("lp64f"));
    }
    if t.format == Format::MachO {
        let platform = o.platform.unwrap_or_default();
        if Some(platform) != platform_default {
            let mut p = Map::new();
            p.insert("os".into(), Value::from(platform.os.name()));
            p.insert("min".into(), Value::from(platform.min.to_string()));
            p.insert("sdk".into(), Value::from(platform.sdk.to_string()));
            m.insert("platform".into(), Value::Object(p));
        }
    }
    if t.format == Format::Elf && !o.noexec_stack {
        m.insert("exec_stack".into(), Value::from(true));
    }
    if !o.directives.is_empty() {
        m.insert(
            "directives".into(),
            Value::Array(o.directives.iter().cloned().map(Value::from).collect()),
        );
    }
    if o.bigobj {
        m.insert("bigobj".into(), Value::from(true));
    }
    if o.debug_frame {
        m.insert("debug_frame".into(), Value::from(true));
    }
    m
}

/// How many times each name occurs.
fn unique_names<'a>(names: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    let mut counts = HashMap::new();
    for n in names {
        *counts.entry(n).or_insert(0) += 1;
    }
    counts
}

/// Lowercase hex digits, two per byte, no separators.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A section name as part of a file name: `.text` stays, other characters become `_`.
fn file_safe(name: &str) -> String {
    let mut out = String::from("-");
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '_'
        }
    }));
    out
}

/// The compact form: the top-level object with one key per line, and each element of
/// `sections`, `symbols` and `relocations` on a line of its own.
fn compact(doc: &Value) -> String {
    let Value::Object(top) = doc else {
        return doc.to_string();
    };
    let mut out = String::from("{");
    let mut first = true;
    for (key, value) in top {
        out.push_str(if first { "\n" } else { ",\n" });
        first = false;
        let _ = write!(out, "{}: ", Value::from(key.clone()));
        match value {
            Value::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n  " } else { ",\n  " });
                    out.push_str(&item.to_string());
                }
                out.push_str("\n]");
            }
            other => out.push_str(&other.to_string()),
        }
    }
    out.push_str("\n}");
    out
}
