//! A model as an objspec (`docs/spec.md`), so that the command-line tests can feed
//! `objforge build` exactly what the library tests write. References are by index.

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
        Format::Wasm => "unknown-unknown",
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
            FloatAbi::Double => "lp64d",
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
                SectionData::Zero(n) => {
                    m.insert("size".into(), json!(n));
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
                SymbolDefinition::Undefined | SymbolDefinition::Absolute => {}
            }
            {
                let binding = match s.binding {
                    Binding::Local => "local",
                    Binding::Global => "global",
                    Binding::Weak => "weak",
                };
                m.insert("binding".into(), json!(binding));
                let visibility = match s.visibility {
                    Visibility::Default => "default",
                    Visibility::Hidden => "hidden",
                    Visibility::Protected => "protected",
                };
                m.insert("visibility".into(), json!(visibility));
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
    Value::Object(top)
}
