//! Turns an objspec document (see `docs/spec.md`) into an [`objforge::Object`].
//!
//! The JSON arrays map one to one onto the model: `sections[i]` becomes `SectionId(i)`,
//! `symbols[i]` `SymbolId(i)`, `relocations[i]` `RelocationId(i)`. So the library's own errors,
//! which name `relocations[7].offset`, already point into the JSON; this module only reports
//! what the JSON itself gets wrong (types, unknown keys, names that resolve to nothing) and
//! leaves the model's rules to the library.

use std::collections::HashMap;
use std::path::Path;

use objforge::{
    AppleOs, Binding, ComdatSelection, FloatAbi, Format, Name, NativeReloc, Object, Platform,
    RelocKind, Relocation, Section, SectionData, SectionFlags, SectionId, SectionKind, Symbol,
    SymbolDefinition, SymbolId, SymbolKind, Target, Version, Visibility, ALL_KINDS,
    WRITABLE_FORMATS,
};

mod debug;
mod unwind;
mod wasm;

use crate::decode;
use crate::json::{quote, suggestion, Fields, Node, SpecError};

/// Keys of the top-level object.
const TOP_FIELDS: &[&str] = &[
    "target",
    "format",
    "options",
    "sections",
    "symbols",
    "relocations",
    "debug",
    "wasm",
    "unwind",
    "comment",
];
/// Keys of `options`.
const OPTIONS: &[&str] = &[
    "mangle",
    "float_abi",
    "platform",
    "exec_stack",
    "directives",
    "bigobj",
    "debug_frame",
];
/// Keys of `options.platform` (Mach-O's `LC_BUILD_VERSION`; ignored by other formats).
const PLATFORM_FIELDS: &[&str] = &["os", "min", "sdk"];
/// Keys of a section.
const SECTION_FIELDS: &[&str] = &[
    "name",
    "kind",
    "align",
    "hex",
    "base64",
    "file",
    "size",
    "flags",
    "comdat",
    "entsize",
    "comdat_selection",
    "comdat_associate",
    "comment",
];
/// A section's contents fields, of which exactly one must be given.
const CONTENTS: &[&str] = &["hex", "base64", "file", "size"];
/// Keys of a symbol.
const SYMBOL_FIELDS: &[&str] = &[
    "name",
    "section",
    "offset",
    "size",
    "kind",
    "binding",
    "visibility",
    "common",
    "local_entry",
    "comment",
];
/// Keys of a symbol's `common`.
const COMMON_FIELDS: &[&str] = &["size", "align"];
/// Keys of a relocation.
const RELOCATION_FIELDS: &[&str] = &[
    "section", "offset", "symbol", "kind", "addend", "pair", "minus", "native", "comment",
];
/// Keys of a relocation's `native`.
const NATIVE_FIELDS: &[&str] = &["type", "pcrel", "length", "size"];

/// Spellings of `SectionKind`, for error messages.
const SECTION_KINDS: &[&str] = &[
    "text", "data", "rodata", "bss", "tls_data", "tls_bss", "debug", "other",
];
/// Spellings of `SymbolKind`, for error messages.
const SYMBOL_KINDS: &[&str] = &["func", "object", "tls", "section", "file", "none"];
/// Spellings of `Binding`, for error messages.
const BINDINGS: &[&str] = &["local", "global", "weak", "gnu_unique"];
/// Spellings of `Visibility`, for error messages.
const VISIBILITIES: &[&str] = &["default", "hidden", "protected", "internal"];
/// Spellings of `Format`, for error messages.
const FORMATS: &[&str] = &["elf", "macho", "coff", "wasm"];

/// Reads the spec `doc` into an object. `base_dir` is where `file` contents are looked up
/// (the spec file's directory).
pub fn load(doc: Node<'_>, base_dir: &Path) -> Result<Object, SpecError> {
    let top = doc.object(TOP_FIELDS, "field")?;

    let target_node = top.required("target")?;
    let mut target = Target::from_triple(target_node.str()?).map_err(|e| library_error(&e))?;
    let format_node = top.get("format");
    if let Some(node) = format_node {
        target.format = one_of(node, FORMATS, "format", Format::from_name)?;
        // WebAssembly architectures have their own format, and it has no other architecture.
        if target.arch.is_wasm() && target.format != Format::Wasm {
            return Err(node.error(format!(
                "a {} target is written as format wasm, not {}",
                target.arch, target.format
            )));
        }
        if !target.arch.is_wasm() && target.format == Format::Wasm {
            return Err(node.error(format!(
                "format wasm is for wasm32 and wasm64 targets, not {}",
                target.arch
            )));
        }
    }
    let mut obj = Object::new(target);
    // Mach-O's platform follows the triple (`arm64-apple-ios17.0`) unless `options` says.
    obj.options.platform = Platform::from_triple(target_node.str()?);
    if let Some(node) = top.get("options") {
        read_options(node, &mut obj)?;
    }

    let sections = match top.get("sections") {
        Some(node) => read_sections(node, base_dir, &mut obj)?,
        None => Names::default(),
    };
    let mut symbols = match top.get("symbols") {
        Some(node) => read_symbols(node, &sections, &mut obj)?,
        None => Names::default(),
    };
    if let Some(node) = top.get("relocations") {
        read_relocations(node, &sections, &symbols, &mut obj)?;
    }
    if let Some(node) = top.get("wasm") {
        wasm::read_wasm(node, &sections, &symbols, &mut obj)?;
    }
    if let Some(node) = top.get("unwind") {
        unwind::read_unwind(node, &sections, &mut symbols, &mut obj)?;
    }

    if !WRITABLE_FORMATS.contains(&obj.target.format) {
        let at = format_node.unwrap_or(target_node);
        let writable: Vec<&str> = WRITABLE_FORMATS.iter().map(|f| f.name()).collect();
        return Err(at.error(format!(
            "writing {} objects is not implemented yet (objforge writes: {})",
            obj.target.format,
            writable.join(", ")
        )));
    }
    // Last: the debug information describes the sections read above.
    if let Some(node) = top.get("debug") {
        debug::read_debug(node, &sections, &symbols, &mut obj)?;
    }
    Ok(obj)
}

/// A library error as a spec error: its place is already a path into the JSON.
pub fn library_error(e: &objforge::Error) -> SpecError {
    match e.place() {
        Some(place) => {
            let text = e.to_string();
            let prefix = format!("{place}: ");
            SpecError {
                path: place.to_string(),
                message: text.strip_prefix(&prefix).unwrap_or(&text).to_string(),
            }
        }
        None => SpecError {
            path: "object".into(),
            message: e.to_string(),
        },
    }
}

/// Parses a string field that must be one of `names`, via `parse`.
pub(super) fn one_of<T>(
    node: Node<'_>,
    names: &[&str],
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, SpecError> {
    let text = node.str()?;
    parse(text).ok_or_else(|| {
        node.error(format!(
            "unknown {what} {}{} (known: {})",
            quote(text),
            suggestion(text, names.iter().copied()),
            names.join(", ")
        ))
    })
}

/// Applies `options` to the object's options and target.
fn read_options(node: Node<'_>, obj: &mut Object) -> Result<(), SpecError> {
    let options = node.object(OPTIONS, "option")?;
    if let Some(n) = options.get("mangle") {
        obj.options.mangle = n.bool()?;
    }
    if let Some(n) = options.get("exec_stack") {
        obj.options.noexec_stack = !n.bool()?;
    }
    if let Some(n) = options.get("directives") {
        // COFF's `.drectve`; ignored by other formats.
        let list = n.array()?;
        for d in list.iter() {
            obj.options.directives.push(d.str()?.to_string());
        }
    }
    if let Some(n) = options.get("bigobj") {
        obj.options.bigobj = n.bool()?;
    }
    if let Some(n) = options.get("debug_frame") {
        obj.options.debug_frame = n.bool()?;
    }
    if let Some(n) = options.get("float_abi") {
        const ABIS: &[&str] = &[
            "lp64", "lp64f", "lp64d", "ilp32", "ilp32f", "ilp32d", "soft", "hard",
        ];
        obj.target.float_abi = one_of(n, ABIS, "float ABI", FloatAbi::from_name)?;
    }
    if let Some(n) = options.get("platform") {
        obj.options.platform = Some(read_platform(n, obj.options.platform)?);
    }
    Ok(())
}

/// `options.platform`: `{"os": "ios", "min": "17.0", "sdk": "17.2"}`. A missing `os` is the
/// triple's (macOS if it names none); a missing `min` the triple's version for that OS, or
/// the OS's default; a missing `sdk` is `min`.
fn read_platform(node: Node<'_>, from_triple: Option<Platform>) -> Result<Platform, SpecError> {
    let fields = node.object(PLATFORM_FIELDS, "field")?;
    let base = from_triple.unwrap_or_default();
    let os = match fields.get("os") {
        Some(n) => {
            let names: Vec<&str> = AppleOs::ALL.iter().map(|os| os.name()).collect();
            one_of(n, &names, "platform", AppleOs::from_name)?
        }
        None => base.os,
    };
    let version = |n: Node<'_>| {
        let text = n.str()?;
        Version::parse(text).ok_or_else(|| {
            n.error(format!(
                "expected a version such as \"11.0\" or \"10.15.4\" (at most 65535.255.255), got {}",
                quote(text)
            ))
        })
    };
    let min = match fields.get("min") {
        Some(n) => version(n)?,
        None if os == base.os => base.min,
        None => os.default_min(),
    };
    let sdk = match fields.get("sdk") {
        Some(n) => version(n)?,
        None => min,
    };
    Ok(Platform { os, min, sdk })
}

/// Indices by name, to resolve the references the spec makes by name.
#[derive(Default)]
struct Names {
    by_name: HashMap<String, Vec<usize>>,
    count: usize,
}

impl Names {
    /// The name of element `index`, if it has one.
    fn name_of(&self, index: usize) -> Option<String> {
        self.by_name
            .iter()
            .find(|(_, indices)| indices.contains(&index))
            .map(|(name, _)| name.clone())
    }

    fn add(&mut self, name: &str, index: usize) {
        self.count = index + 1;
        if !name.is_empty() {
            self.by_name
                .entry(name.to_string())
                .or_default()
                .push(index);
        }
    }
}

/// Resolves a reference to a section or symbol: a name that exactly one of them has, or an
/// index into the array (checked against the array's length by the library).
fn resolve(node: Node<'_>, names: &Names, array: &str) -> Result<usize, SpecError> {
    let noun = if array == "sections" {
        "section"
    } else {
        "symbol"
    };
    match node.value() {
        crate::value::Value::String(name) => {
            match names.by_name.get(name.as_ref()).map(Vec::as_slice) {
                Some([one]) => Ok(*one),
                Some(many) => {
                    let listed: Vec<String> =
                        many.iter().map(|i| format!("{array}[{i}]")).collect();
                    Err(node.error(format!(
                        "{} {noun}s are named {} ({}); refer to one by its index",
                        many.len(),
                        quote(name),
                        listed.join(", ")
                    )))
                }
                None => Err(node.error(format!(
                    "no {noun} named {}{}",
                    quote(name),
                    suggestion(name, names.by_name.keys().map(String::as_str))
                ))),
            }
        }
        crate::value::Value::Number(_) => {
            let index = node.u64()?;
            usize::try_from(index).map_err(|_| node.error(format!("there is no {noun} {index}")))
        }
        _ => Err(node.expected(&format!("a {noun} name or an index into `{array}`"))),
    }
}

/// The kind a section has when `kind` is not given, from the usual names.
pub fn default_section_kind(name: &str) -> SectionKind {
    // Mach-O's `__SEGMENT,__section`.
    if let Some((segment, section)) = name.split_once(',') {
        return match (segment, section) {
            (_, "__text") => SectionKind::Text,
            (_, "__bss" | "__common") => SectionKind::Bss,
            (_, "__thread_bss") => SectionKind::TlsBss,
            // A thread-local variable's symbol is its descriptor in `__thread_vars`.
            (_, "__thread_vars" | "__thread_data") => SectionKind::TlsData,
            ("__DWARF", _) => SectionKind::Debug,
            ("__TEXT", _) => SectionKind::Rodata,
            ("__DATA" | "__DATA_CONST", _) => SectionKind::Data,
            _ => SectionKind::Other,
        };
    }
    let starts = |prefix: &str| name.starts_with(prefix);
    if starts(".text") {
        SectionKind::Text
    } else if starts(".data")
        || starts(".init_array")
        || starts(".fini_array")
        || starts(".preinit_array")
    {
        SectionKind::Data
    } else if starts(".rodata") || starts(".rdata") || starts(".pdata") || starts(".xdata") {
        // COFF's read-only data and unwind tables too.
        SectionKind::Rodata
    } else if starts(".bss") {
        SectionKind::Bss
    } else if starts(".tdata") || starts(".tls") {
        SectionKind::TlsData
    } else if starts(".tbss") {
        SectionKind::TlsBss
    } else if starts(".debug") {
        SectionKind::Debug
    } else {
        SectionKind::Other
    }
}

/// Adds every section in array order, so `sections[i]` is `SectionId(i)`; returns their names.
fn read_sections(node: Node<'_>, base_dir: &Path, obj: &mut Object) -> Result<Names, SpecError> {
    let mut names = Names::default();
    let items = node.array()?;
    for (i, item) in items.iter().enumerate() {
        let section = read_section(item, base_dir)?;
        names.add(&section.name, i);
        obj.add_section(section);
    }
    // `comdat_associate` may name a later section, so it is resolved once all are named.
    for (i, item) in items.iter().enumerate() {
        if let Some(n) = item
            .object(SECTION_FIELDS, "field")?
            .get("comdat_associate")
        {
            let target = SectionId::from_index(resolve(n, &names, "sections")?);
            if let Some(section) = obj.sections.get_mut(i) {
                section.comdat_selection = ComdatSelection::Associative(target);
            }
        }
    }
    Ok(names)
}

/// One section, with defaults filled in (its `comdat_associate` is resolved by the caller,
/// once every section is named).
fn read_section(node: Node<'_>, base_dir: &Path) -> Result<Section, SpecError> {
    let fields = node.object(SECTION_FIELDS, "field")?;
    let name = fields.required("name")?.str()?;
    let kind = match fields.get("kind") {
        Some(n) => one_of(n, SECTION_KINDS, "section kind", SectionKind::from_name)?,
        None => default_section_kind(name),
    };
    let mut section = Section::new(name, kind);
    if let Some(n) = fields.get("align") {
        let align = n.u64()?;
        if !align.is_power_of_two() {
            return Err(n.error(format!("expected a power of two, got {align}")));
        }
        section.align = align;
    }
    section.data = read_contents(&fields, kind, base_dir)?;
    if let Some(n) = fields.get("flags") {
        let list = n.array()?;
        for flag in list.iter() {
            let text = flag.str()?;
            if !section.flags.set(text) {
                return Err(flag.error(format!(
                    "unknown section flag {}{} (known: {})",
                    quote(text),
                    suggestion(text, SectionFlags::NAMES.iter().copied()),
                    SectionFlags::NAMES.join(", ")
                )));
            }
        }
    }
    if let Some(n) = fields.get("comdat") {
        section.comdat = Some(n.str()?.to_string());
    }
    if let Some(n) = fields.get("entsize") {
        section.entsize = n.u64()?;
    }
    let associate = fields.get("comdat_associate");
    match fields.get("comdat_selection") {
        // The section it follows is resolved by the caller, once every section is named.
        Some(n) if n.str()? == "associative" && associate.is_some() => {}
        Some(n) if n.str()? == "associative" => {
            return Err(fields.missing(
                "comdat_associate",
                "selection \"associative\" needs `comdat_associate`: the section this one follows",
            ));
        }
        Some(n) => {
            section.comdat_selection = one_of(
                n,
                ComdatSelection::NAMES,
                "COMDAT selection",
                ComdatSelection::from_name,
            )?;
            if let Some(a) = associate {
                return Err(a.error(format!(
                    "only selection \"associative\" takes `comdat_associate` (this section's is {})",
                    quote(n.str()?)
                )));
            }
        }
        None => {}
    }
    Ok(section)
}

/// A section's contents from whichever one of `hex`, `base64`, `file`, `size` is given.
fn read_contents(
    fields: &Fields<'_>,
    kind: SectionKind,
    base_dir: &Path,
) -> Result<SectionData, SpecError> {
    let given: Vec<&str> = CONTENTS.iter().copied().filter(|k| fields.has(k)).collect();
    let (first, node) = match given.as_slice() {
        [] => {
            return Err(fields
                .node()
                .error("a section needs its contents: one of `hex`, `base64`, `file` or `size`"))
        }
        [one] => (*one, fields.get(one)),
        [first, second, ..] => {
            let at = fields.get(second).unwrap_or(fields.node());
            return Err(at.error(format!(
                "give only one of `hex`, `base64`, `file` and `size` (`{first}` is given too)"
            )));
        }
    };
    let Some(node) = node else {
        return Err(fields.node().error("a section needs its contents"));
    };
    if kind.is_zero_fill() && first != "size" {
        return Err(node.error(format!(
            "a {} section holds no bytes; give it a `size` instead",
            kind.name()
        )));
    }
    let bytes = match first {
        "hex" => decode::hex(node.str()?).map_err(|m| node.error(m))?,
        "base64" => decode::base64(node.str()?).map_err(|m| node.error(m))?,
        "file" => {
            let rel = node.str()?;
            let path = base_dir.join(rel);
            std::fs::read(&path).map_err(|e| {
                let resolved = if path.as_path() == Path::new(rel) {
                    String::new()
                } else {
                    format!(" (at {})", path.display())
                };
                node.error(format!("cannot read {}{resolved}: {e}", quote(rel)))
            })?
        }
        _ => {
            let size = node.u64()?;
            if kind.is_zero_fill() {
                return Ok(SectionData::Zero(size));
            }
            // Sections with file contents are written from bytes, so materialise the zeros.
            return zeros(size)
                .map(SectionData::Bytes)
                .ok_or_else(|| node.error(format!("{size} bytes of zeros do not fit in memory")));
        }
    };
    Ok(SectionData::Bytes(bytes))
}

/// `size` zero bytes, or `None` if they cannot be allocated.
fn zeros(size: u64) -> Option<Vec<u8>> {
    let size = usize::try_from(size).ok()?;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).ok()?;
    bytes.resize(size, 0);
    Some(bytes)
}

/// Adds every symbol in array order, so `symbols[i]` is `SymbolId(i)`; returns their names.
fn read_symbols(node: Node<'_>, sections: &Names, obj: &mut Object) -> Result<Names, SpecError> {
    let mut names = Names::default();
    let items = node.array()?;
    for (i, item) in items.iter().enumerate() {
        let (symbol, local_entry) = read_symbol(item, sections)?;
        names.add(&symbol.name, i);
        let id = obj.add_symbol(symbol);
        obj.set_local_entry(id, local_entry);
    }
    Ok(names)
}

/// One symbol: defined, undefined, common, file or section symbol, from which fields are given;
/// and its PowerPC64 local entry offset (`local_entry`, 0 if not given).
fn read_symbol(node: Node<'_>, sections: &Names) -> Result<(Symbol, u32), SpecError> {
    let fields = node.object(SYMBOL_FIELDS, "field")?;
    let local_entry = match fields.get("local_entry") {
        Some(n) => {
            let v = n.u64()?;
            u32::try_from(v).map_err(|_| {
                n.error(format!(
                    "{v} is no local entry offset (0, 1, 4, 8, 16, 32 or 64)"
                ))
            })?
        }
        None => 0,
    };
    let kind = match fields.get("kind") {
        Some(n) => Some(one_of(
            n,
            SYMBOL_KINDS,
            "symbol kind",
            SymbolKind::from_name,
        )?),
        None => None,
    };
    // A section symbol may go unnamed (the format gives it none); everything else needs one.
    let name = match (fields.get("name"), kind) {
        (Some(n), _) => Name::from(n.str()?),
        (None, Some(SymbolKind::Section)) => Name::new(),
        (None, _) => return Err(fields.missing("name", "missing (this field is required)")),
    };

    let section = fields.get("section");
    let common = fields.get("common");
    let offset = fields.get("offset");
    if let (Some(_), Some(c)) = (section, common) {
        return Err(c.error("a common symbol has no `section` (the linker allocates it)"));
    }
    if let (None, Some(o)) = (section, offset) {
        return Err(o.error("only a defined symbol (one with a `section`) has an offset"));
    }
    if kind == Some(SymbolKind::File) {
        if let Some(n) = section.or(common) {
            return Err(n.error("a file symbol has no section"));
        }
    }
    if kind == Some(SymbolKind::Section) && section.is_none() {
        return Err(fields.missing(
            "section",
            "a section symbol needs the `section` it stands for",
        ));
    }

    let (definition, default_binding, default_kind, default_size) = if let Some(n) = section {
        let index = resolve(n, sections, "sections")?;
        let offset = match offset {
            Some(o) => o.u64()?,
            None => 0,
        };
        let definition = SymbolDefinition::Defined {
            section: SectionId::from_index(index),
            offset,
        };
        (definition, Binding::Local, SymbolKind::None, 0)
    } else if let Some(n) = common {
        let c = n.object(COMMON_FIELDS, "field")?;
        let size = c.required("size")?.u64()?;
        let align = match c.get("align") {
            Some(a) => {
                let align = a.u64()?;
                if !align.is_power_of_two() {
                    return Err(a.error(format!("expected a power of two, got {align}")));
                }
                u32::try_from(align).map_err(|_| {
                    a.error(format!("{align} is over 2^31, the most objforge writes"))
                })?
            }
            None => 1,
        };
        let definition = SymbolDefinition::Common { size, align };
        (definition, Binding::Global, SymbolKind::Object, size)
    } else if kind == Some(SymbolKind::File) {
        (
            SymbolDefinition::Absolute,
            Binding::Local,
            SymbolKind::File,
            0,
        )
    } else {
        (
            SymbolDefinition::Undefined,
            Binding::Global,
            SymbolKind::None,
            0,
        )
    };

    let symbol = Symbol {
        name,
        definition,
        kind: kind.unwrap_or(default_kind),
        binding: match fields.get("binding") {
            Some(n) => one_of(n, BINDINGS, "binding", Binding::from_name)?,
            None => default_binding,
        },
        visibility: match fields.get("visibility") {
            Some(n) => one_of(n, VISIBILITIES, "visibility", Visibility::from_name)?,
            None => Visibility::Default,
        },
        size: match fields.get("size") {
            Some(n) => n.u64()?,
            None => default_size,
        },
    };
    Ok((symbol, local_entry))
}

/// Adds every relocation in array order, so `relocations[i]` is `RelocationId(i)`.
fn read_relocations(
    node: Node<'_>,
    sections: &Names,
    symbols: &Names,
    obj: &mut Object,
) -> Result<(), SpecError> {
    let items = node.array()?;
    obj.relocations.reserve(items.len());
    for item in items.iter() {
        let relocation = read_relocation(item, sections, symbols)?;
        obj.add_relocation(relocation);
    }
    Ok(())
}

/// One relocation, with its references resolved.
fn read_relocation(
    node: Node<'_>,
    sections: &Names,
    symbols: &Names,
) -> Result<Relocation, SpecError> {
    let fields = node.object(RELOCATION_FIELDS, "field")?;
    let section =
        SectionId::from_index(resolve(fields.required("section")?, sections, "sections")?);
    let offset = fields.required("offset")?.u64()?;
    let kind = read_kind(&fields)?;
    let symbol = match fields.get("symbol") {
        Some(n) => Some(SymbolId::from_index(resolve(n, symbols, "symbols")?)),
        None => None,
    };
    let addend = match fields.get("addend") {
        Some(n) => n.i64()?,
        None => 0,
    };
    let pair = match fields.get("pair") {
        Some(n) => Some(n.u64()?),
        None => None,
    };
    let minus = match fields.get("minus") {
        Some(n) if pair.is_some() => {
            return Err(
                n.error("a relocation takes `pair` (rv_pcrel_lo12_*) or `minus` (diff*), not both")
            )
        }
        Some(n) => Some(SymbolId::from_index(resolve(n, symbols, "symbols")?)),
        None => None,
    };
    Ok(Relocation::new(section, offset, SymbolId(0), kind)
        .with_symbol(symbol)
        .with_addend(addend)
        .with_pair(pair)
        .with_minus(minus))
}

/// A relocation's `kind`, with its `native` encoding when the kind is `native`.
fn read_kind(fields: &Fields<'_>) -> Result<RelocKind, SpecError> {
    let node = fields.required("kind")?;
    let name = node.str()?;
    let native = fields.get("native");
    if name != "native" {
        if let Some(n) = native {
            return Err(n.error(format!(
                "only kind \"native\" takes `native` (this relocation is {})",
                quote(name)
            )));
        }
        return RelocKind::from_name(name).ok_or_else(|| {
            node.error(format!(
                "unknown relocation kind {}{} (`objforge targets` lists them, with \"native\")",
                quote(name),
                suggestion(name, ALL_KINDS.iter().map(|k| k.name()).chain(["native"]))
            ))
        });
    }
    let Some(n) = native else {
        return Err(fields.missing(
            "native",
            "kind \"native\" needs `native`: the format's own encoding, such as {\"type\": 10}",
        ));
    };
    let encoding = n.object(NATIVE_FIELDS, "field")?;
    let r_type = encoding
        .required("type")?
        .u64_at_most(u64::from(u32::MAX))?;
    let pcrel = match encoding.get("pcrel") {
        Some(p) => p.bool()?,
        None => false,
    };
    let length = match encoding.get("length") {
        Some(l) => l.u64_at_most(3)?,
        None => 0,
    };
    let size = match encoding.get("size") {
        Some(s) => s.u64_at_most(u64::from(u8::MAX))?,
        None => 0,
    };
    // The bounds above make the narrowing conversions exact.
    Ok(RelocKind::Native(NativeReloc {
        r_type: u32::try_from(r_type).unwrap_or(u32::MAX),
        pcrel,
        length: u8::try_from(length).unwrap_or(0),
        size: u8::try_from(size).unwrap_or(0),
    }))
}
