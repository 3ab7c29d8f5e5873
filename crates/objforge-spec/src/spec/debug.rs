//! The spec's `debug` object (see `docs/spec.md`): one compilation unit's files, line table
//! and functions, read into an [`objforge::dwarf::DebugInfo`] and written into the object as
//! DWARF by the library.
//!
//! Paths in the JSON and in the library's errors agree (`debug.lines[3].file`), so whichever
//! side finds a problem names the same place.

use std::collections::HashMap;

use objforge::dwarf::{
    lang, BaseEncoding, CallSite, CallSiteParameter, CallTarget, CodeRange, DebugInfo,
    DwarfVersion, Enumerator, FileId, Function, InlineBlock, InlineFunction, InlinedBlock,
    InlinedCall, LexicalBlock, LineRow, Location, LocationEntry, Member, Op, Type, TypeId,
    Variable,
};
use objforge::{Architecture, Object, SectionId, SymbolId};

use super::{library_error, resolve, Names};
use crate::json::{quote, suggestion, Fields, Node, SpecError};

/// Keys of `debug`.
const DEBUG_FIELDS: &[&str] = &[
    "version",
    "producer",
    "language",
    "name",
    "comp_dir",
    "files",
    "lines",
    "functions",
    "types",
    "variables",
    "inline_functions",
    "comment",
];
/// Keys of a row of `debug.lines`.
const LINE_FIELDS: &[&str] = &[
    "section",
    "offset",
    "file",
    "line",
    "column",
    "is_stmt",
    "end_sequence",
    "comment",
];
/// Keys of a row that ends a sequence.
const END_SEQUENCE_FIELDS: &[&str] = &["section", "offset", "end_sequence", "comment"];
/// Keys of a function.
const FUNCTION_FIELDS: &[&str] = &[
    "name",
    "linkage_name",
    "section",
    "offset",
    "size",
    "file",
    "line",
    "external",
    "blocks",
    "return_type",
    "prototyped",
    "frame_base",
    "parameters",
    "variables",
    "pieces",
    "inlined",
    "call_sites",
    "all_calls",
    "all_tail_calls",
    "comment",
];
/// Keys of a call site.
const CALL_SITE_FIELDS: &[&str] = &["return_offset", "origin", "parameters", "comment"];
/// Keys of a call site's origin (one of them).
const CALL_ORIGIN_FIELDS: &[&str] = &["function", "inline", "external"];
/// Keys of a call site's parameter.
const CALL_PARAMETER_FIELDS: &[&str] = &["location", "value", "comment"];
/// Keys of a lexical block.
const BLOCK_FIELDS: &[&str] = &[
    "offset",
    "size",
    "blocks",
    "variables",
    "pieces",
    "inlined",
    "comment",
];
/// Keys of an inline function.
const INLINE_FUNCTION_FIELDS: &[&str] = &[
    "name",
    "linkage_name",
    "file",
    "line",
    "external",
    "prototyped",
    "return_type",
    "parameters",
    "variables",
    "blocks",
    "comment",
];
/// Keys of a block of an inline function.
const INLINE_BLOCK_FIELDS: &[&str] = &["variables", "blocks", "comment"];
/// Keys of an inlined call.
const INLINED_FIELDS: &[&str] = &[
    "function",
    "ranges",
    "call_file",
    "call_line",
    "call_column",
    "parameters",
    "variables",
    "inlined",
    "comment",
    "blocks",
];
/// Keys of a block of an inlined call.
const INLINED_BLOCK_FIELDS: &[&str] = &[
    "origin",
    "ranges",
    "variables",
    "blocks",
    "inlined",
    "comment",
];
/// Keys of a further range of a function or block.
const PIECE_FIELDS: &[&str] = &["section", "offset", "size", "comment"];
/// Keys of a type, whatever its kind (each kind's own are in [`type_fields`]).
const TYPE_FIELDS: &[&str] = &[
    "kind",
    "name",
    "encoding",
    "size",
    "to",
    "members",
    "element",
    "counts",
    "type",
    "values",
    "returns",
    "parameters",
    "varargs",
    "comment",
];
/// The type kinds.
const TYPE_KINDS: &[&str] = &[
    "base", "pointer", "const", "volatile", "typedef", "struct", "union", "array", "enum",
    "function",
];
/// Keys of a struct or union member.
const MEMBER_FIELDS: &[&str] = &[
    "name",
    "type",
    "offset",
    "bit_size",
    "bit_offset",
    "comment",
];
/// Keys of an enum value.
const ENUMERATOR_FIELDS: &[&str] = &["name", "value", "comment"];
/// Keys of a variable or parameter.
const VARIABLE_FIELDS: &[&str] = &[
    "name", "type", "file", "line", "external", "location", "comment",
];
/// Keys of a location list entry.
const ENTRY_FIELDS: &[&str] = &["section", "offset", "size", "location", "comment"];
/// Keys of an expression operation (each has one of them, `offset` and `addend` aside).
const OP_FIELDS: &[&str] = &[
    "reg",
    "breg",
    "offset",
    "fbreg",
    "addr",
    "addend",
    "plus_uconst",
    "piece",
    "implicit_value",
    "expr",
];
/// Operations written as a bare string.
const OP_NAMES: &[&str] = &["stack_value", "call_frame_cfa"];

/// The fields each type kind takes.
fn type_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "base" => &["kind", "name", "encoding", "size", "comment"],
        "pointer" | "const" | "volatile" => &["kind", "to", "comment"],
        "typedef" => &["kind", "name", "to", "comment"],
        "struct" | "union" => &["kind", "name", "size", "members", "comment"],
        "array" => &["kind", "element", "counts", "comment"],
        "enum" => &["kind", "name", "size", "type", "values", "comment"],
        _ => &["kind", "returns", "parameters", "varargs", "comment"],
    }
}

/// What the reader knows while it reads: the object's sections, symbols and architecture,
/// the files, and the types by name.
struct Context<'a> {
    sections: &'a Names,
    symbols: &'a Names,
    arch: Architecture,
    /// The DWARF version when `debug.version` is not given.
    default_version: DwarfVersion,
    files: Vec<String>,
    types: TypeNames,
    /// The inline functions: name, parameter names, local names.
    inline: Vec<(String, Vec<String>, Vec<String>)>,
    /// The names of `debug.functions`, which call sites refer to.
    functions: Vec<String>,
}

/// Type references by name: `int`, `struct node`, `node_t`; and the pointer types that a
/// reference ending in `*` (`struct node *`) adds after the declared types.
#[derive(Default)]
struct TypeNames {
    by_name: HashMap<String, usize>,
    declared: usize,
    /// What each added pointer type points to.
    pointers: Vec<Option<TypeId>>,
    pointer_of: HashMap<Option<TypeId>, usize>,
}

impl TypeNames {
    /// A type reference: an index into `types`, a name, `void`, or either followed by `*`s.
    /// `None` is `void`.
    fn resolve(&mut self, node: Node<'_>) -> Result<Option<TypeId>, SpecError> {
        match node.value() {
            crate::value::Value::Number(_) => {
                let index = node.u64()?;
                let index = usize::try_from(index)
                    .map_err(|_| node.error(format!("there is no type {index}")))?;
                Ok(Some(TypeId(index)))
            }
            crate::value::Value::String(text) => self.resolve_name(node, text.trim()),
            _ => Err(node
                .expected("a type: its name (\"int\", \"struct node *\") or its index in `types`")),
        }
    }

    fn resolve_name(&mut self, node: Node<'_>, text: &str) -> Result<Option<TypeId>, SpecError> {
        if let Some(inner) = text.strip_suffix('*') {
            let to = self.resolve_name(node, inner.trim_end())?;
            let next = self.declared + self.pointers.len();
            let index = *self.pointer_of.entry(to).or_insert(next);
            if index == next {
                self.pointers.push(to);
            }
            return Ok(Some(TypeId(index)));
        }
        if text == "void" {
            return Ok(None);
        }
        if let Ok(index) = text.parse::<usize>() {
            return Ok(Some(TypeId(index)));
        }
        self.by_name
            .get(text)
            .map(|&i| Some(TypeId(i)))
            .ok_or_else(|| {
                node.error(format!(
                    "no type named {} in `debug.types`{}",
                    quote(text),
                    suggestion(text, self.by_name.keys().map(String::as_str))
                ))
            })
    }

    /// A type reference that may not be `void`.
    fn resolve_some(&mut self, node: Node<'_>) -> Result<TypeId, SpecError> {
        self.resolve(node)?.ok_or_else(|| {
            node.error("`void` is no type for this (only for pointers, returns and `to`)")
        })
    }
}

/// Reads `debug` and adds it to `obj` (whose sections are already read).
pub(super) fn read_debug(
    node: Node<'_>,
    sections: &Names,
    symbols: &Names,
    obj: &mut Object,
) -> Result<(), SpecError> {
    let mut cx = Context {
        sections,
        symbols,
        arch: obj.target.arch,
        default_version: obj.default_dwarf_version(),
        files: Vec::new(),
        types: TypeNames::default(),
        inline: Vec::new(),
        functions: Vec::new(),
    };
    let debug = read(node, &mut cx)?;
    obj.add_debug_info(&debug).map_err(|e| library_error(&e))?;
    Ok(())
}

/// The `debug` object as a [`DebugInfo`]; without a `version`, the platform's (as
/// [`Object::default_dwarf_version`] gives it).
fn read(node: Node<'_>, cx: &mut Context<'_>) -> Result<DebugInfo, SpecError> {
    let sections = cx.sections;
    let fields = node.object(DEBUG_FIELDS, "field")?;
    let mut debug = DebugInfo::new(
        fields.required("name")?.str()?,
        fields.required("comp_dir")?.str()?,
    );
    debug.version = cx.default_version;
    if let Some(n) = fields.get("version") {
        let number = n.u64()?;
        debug.version = DwarfVersion::from_number(number)
            .ok_or_else(|| n.error(format!("objforge writes DWARF 4 or 5, not {number}")))?;
    }
    if let Some(n) = fields.get("producer") {
        debug.producer = n.str()?.to_string();
    }
    if let Some(n) = fields.get("language") {
        debug.language = Some(read_language(n)?);
    }
    if let Some(n) = fields.get("files") {
        for item in n.array()?.iter() {
            debug.add_file(item.str()?);
        }
    }
    if let Some(n) = fields.get("lines") {
        for item in n.array()?.iter() {
            let row = read_row(item, sections, &debug.files)?;
            debug.add_row(row);
        }
    }
    cx.files = debug.files.clone();
    if let Some(n) = fields.get("types") {
        read_types(n, cx, &mut debug)?;
    }
    if let Some(n) = fields.get("variables") {
        for item in n.array()?.iter() {
            let variable = read_variable(item, cx, None)?;
            debug.add_variable(variable);
        }
    }
    if let Some(n) = fields.get("inline_functions") {
        for item in n.array()?.iter() {
            let f = read_inline_function(item, cx)?;
            cx.inline.push((
                f.name.clone(),
                f.parameters.iter().map(|v| v.name.clone()).collect(),
                f.variables.iter().map(|v| v.name.clone()).collect(),
            ));
            debug.inline_functions.push(f);
        }
    }
    if let Some(n) = fields.get("functions") {
        // Names first: a call site may call a function listed after its own.
        for item in n.array()?.iter() {
            let name = item.object(FUNCTION_FIELDS, "field")?.required("name")?;
            cx.functions.push(name.str()?.to_string());
        }
        for item in n.array()?.iter() {
            let function = read_function(item, cx)?;
            debug.add_function(function);
        }
    }
    // The pointer types that references ending in `*` asked for.
    for &to in &cx.types.pointers {
        debug.add_type(Type::Pointer { to });
    }
    Ok(debug)
}

/// `debug.types`: first every name (so types may refer to later ones), then each type.
fn read_types(
    node: Node<'_>,
    cx: &mut Context<'_>,
    debug: &mut DebugInfo,
) -> Result<(), SpecError> {
    let items = node.array()?;
    cx.types.declared = items.len();
    for (i, item) in items.iter().enumerate() {
        let fields = item.object(TYPE_FIELDS, "field")?;
        let kind_node = fields.required("kind")?;
        let kind = kind_node.str()?;
        if !TYPE_KINDS.contains(&kind) {
            return Err(kind_node.error(format!(
                "unknown type kind {}{} (known: {})",
                quote(kind),
                suggestion(kind, TYPE_KINDS.iter().copied()),
                TYPE_KINDS.join(", ")
            )));
        }
        item.object(type_fields(kind), "field")?;
        if let Some(name) = fields.get("name") {
            let name = name.str()?;
            let key = match kind {
                "struct" | "union" | "enum" => format!("{kind} {name}"),
                _ => name.to_string(),
            };
            if !name.is_empty() {
                cx.types.by_name.entry(key).or_insert(i);
            }
        }
    }
    for item in items.iter() {
        let fields = item.object(TYPE_FIELDS, "field")?;
        let kind = fields.required("kind")?.str()?;
        let name = || -> Result<String, SpecError> {
            Ok(match fields.get("name") {
                Some(n) => n.str()?.to_string(),
                None => String::new(),
            })
        };
        let to = |cx: &mut Context<'_>| -> Result<Option<TypeId>, SpecError> {
            match fields.get("to") {
                Some(n) => cx.types.resolve(n),
                None => Ok(None),
            }
        };
        let ty = match kind {
            "base" => {
                let e = fields.required("encoding")?;
                let names: Vec<&str> = BaseEncoding::NAMES.iter().map(|(n, _)| *n).collect();
                Type::Base {
                    name: fields.required("name")?.str()?.to_string(),
                    encoding: super::one_of(e, &names, "encoding", BaseEncoding::from_name)?,
                    size: fields.required("size")?.u64()?,
                }
            }
            "pointer" => Type::Pointer { to: to(cx)? },
            "const" => Type::Const { to: to(cx)? },
            "volatile" => Type::Volatile { to: to(cx)? },
            "typedef" => Type::Typedef {
                name: fields.required("name")?.str()?.to_string(),
                to: to(cx)?,
            },
            "struct" | "union" => {
                let mut members = Vec::new();
                if let Some(n) = fields.get("members") {
                    for m in n.array()?.iter() {
                        let mf = m.object(MEMBER_FIELDS, "field")?;
                        let mut member = Member::new(
                            match mf.get("name") {
                                Some(n) => n.str()?,
                                None => "",
                            },
                            cx.types.resolve_some(mf.required("type")?)?,
                            match mf.get("offset") {
                                Some(n) => n.u64()?,
                                None => 0,
                            },
                        );
                        if let Some(n) = mf.get("bit_size") {
                            member.bit_size = Some(n.u64()?);
                        }
                        if let Some(n) = mf.get("bit_offset") {
                            member.bit_offset = n.u64()?;
                        }
                        members.push(member);
                    }
                }
                Type::Struct {
                    union: kind == "union",
                    name: name()?,
                    size: fields.required("size")?.u64()?,
                    members,
                }
            }
            "array" => {
                let mut counts = Vec::new();
                for c in fields.required("counts")?.array()?.iter() {
                    counts.push(match c.value() {
                        crate::value::Value::Null => None,
                        _ => Some(c.u64()?),
                    });
                }
                Type::Array {
                    element: cx.types.resolve_some(fields.required("element")?)?,
                    counts,
                }
            }
            "enum" => {
                let mut enumerators = Vec::new();
                if let Some(n) = fields.get("values") {
                    for e in n.array()?.iter() {
                        let ef = e.object(ENUMERATOR_FIELDS, "field")?;
                        enumerators.push(Enumerator {
                            name: ef.required("name")?.str()?.to_string(),
                            value: ef.required("value")?.i64()?,
                        });
                    }
                }
                Type::Enum {
                    name: name()?,
                    size: fields.required("size")?.u64()?,
                    underlying: match fields.get("type") {
                        Some(n) => cx.types.resolve(n)?,
                        None => None,
                    },
                    enumerators,
                }
            }
            _ => {
                let mut parameters = Vec::new();
                if let Some(n) = fields.get("parameters") {
                    for p in n.array()?.iter() {
                        parameters.push(cx.types.resolve_some(p)?);
                    }
                }
                Type::Function {
                    returns: match fields.get("returns") {
                        Some(n) => cx.types.resolve(n)?,
                        None => None,
                    },
                    parameters,
                    varargs: match fields.get("varargs") {
                        Some(n) => n.bool()?,
                        None => false,
                    },
                }
            }
        };
        debug.add_type(ty);
    }
    Ok(())
}

/// A variable or parameter; `code_section` is its function's section, the default of its
/// location list entries'.
fn read_variable(
    node: Node<'_>,
    cx: &mut Context<'_>,
    code_section: Option<SectionId>,
) -> Result<Variable, SpecError> {
    let fields = node.object(VARIABLE_FIELDS, "field")?;
    let name = fields.required("name")?.str()?;
    let ty = cx.types.resolve_some(fields.required("type")?)?;
    let mut v = Variable::new(name, ty);
    v.file = optional_file(&fields, &cx.files)?;
    if let Some(n) = fields.get("line") {
        v.line = read_number(n)?;
    }
    if let Some(n) = fields.get("external") {
        v.external = n.bool()?;
    }
    if let Some(n) = fields.get("location") {
        v.location = Some(read_location(n, cx, code_section)?);
    }
    Ok(v)
}

/// A location: an operation, an array of them, `{"const": N}` or `{"list": [...]}`.
fn read_location(
    node: Node<'_>,
    cx: &Context<'_>,
    code_section: Option<SectionId>,
) -> Result<Location, SpecError> {
    if let crate::value::Value::Object(map) = node.value() {
        if map.contains_key("const") {
            let fields = node.object(&["const"], "field")?;
            return Ok(Location::Const(fields.required("const")?.i64()?));
        }
        if map.contains_key("list") {
            let fields = node.object(&["list"], "field")?;
            let mut entries = Vec::new();
            for e in fields.required("list")?.array()?.iter() {
                let ef = e.object(ENTRY_FIELDS, "field")?;
                let section =
                    match (ef.get("section"), code_section) {
                        (Some(n), _) => SectionId::from_index(resolve(n, cx.sections, "sections")?),
                        (None, Some(section)) => section,
                        (None, None) => return Err(ef.missing(
                            "section",
                            "missing (outside a function, a location list entry names its section)",
                        )),
                    };
                entries.push(LocationEntry {
                    section,
                    offset: ef.required("offset")?.u64()?,
                    size: ef.required("size")?.u64()?,
                    ops: read_ops(ef.required("location")?, cx)?,
                });
            }
            return Ok(Location::List(entries));
        }
    }
    Ok(Location::Expr(read_ops(node, cx)?))
}

/// An expression: one operation or an array of them.
fn read_ops(node: Node<'_>, cx: &Context<'_>) -> Result<Vec<Op>, SpecError> {
    match node.value() {
        crate::value::Value::Array(_) => node.array()?.iter().map(|n| read_op(n, cx)).collect(),
        _ => Ok(vec![read_op(node, cx)?]),
    }
}

/// One operation: `{"reg": 6}`, `{"breg": "rsp", "offset": 8}`, `{"fbreg": -20}`,
/// `{"addr": "symbol", "addend": 0}`, `{"plus_uconst": 8}`, `{"piece": 4}`,
/// `{"implicit_value": "hex"}`, `{"expr": "hex"}`, `"stack_value"`, `"call_frame_cfa"`.
fn read_op(node: Node<'_>, cx: &Context<'_>) -> Result<Op, SpecError> {
    if let crate::value::Value::String(name) = node.value() {
        return match name.as_ref() {
            "stack_value" => Ok(Op::StackValue),
            "call_frame_cfa" => Ok(Op::CallFrameCfa),
            _ => Err(node.error(format!(
                "unknown operation {}{} (as a string: {}; others are objects such as {{\"fbreg\": -20}})",
                quote(name),
                suggestion(name, OP_NAMES.iter().copied()),
                OP_NAMES.join(", ")
            ))),
        };
    }
    let fields = node.object(OP_FIELDS, "field")?;
    let named: Vec<&str> = OP_FIELDS
        .iter()
        .copied()
        .filter(|k| !matches!(*k, "offset" | "addend") && fields.has(k))
        .collect();
    if named.len() > 1 {
        return Err(node.error(format!(
            "one operation an object ({} are given); write several as an array",
            named.join(" and ")
        )));
    }
    let offset = |default_ok: bool| -> Result<i64, SpecError> {
        match fields.get("offset") {
            Some(n) => n.i64(),
            None if default_ok => Ok(0),
            None => Err(fields.missing("offset", "missing")),
        }
    };
    let hex = |n: Node<'_>| crate::decode::hex(n.str()?).map_err(|m| n.error(m));
    let op = if let Some(n) = fields.get("reg") {
        Op::Reg(read_register(n, cx.arch)?)
    } else if let Some(n) = fields.get("breg") {
        Op::Breg(read_register(n, cx.arch)?, offset(true)?)
    } else if let Some(n) = fields.get("fbreg") {
        Op::Fbreg(n.i64()?)
    } else if let Some(n) = fields.get("addr") {
        Op::Addr {
            symbol: SymbolId::from_index(resolve(n, cx.symbols, "symbols")?),
            addend: match fields.get("addend") {
                Some(a) => a.i64()?,
                None => 0,
            },
        }
    } else if let Some(n) = fields.get("plus_uconst") {
        Op::PlusUconst(n.u64()?)
    } else if let Some(n) = fields.get("piece") {
        Op::Piece(n.u64()?)
    } else if let Some(n) = fields.get("implicit_value") {
        Op::ImplicitValue(hex(n)?)
    } else if let Some(n) = fields.get("expr") {
        Op::Raw(hex(n)?)
    } else {
        return Err(node.error(
            "an operation is one of reg, breg, fbreg, addr, plus_uconst, piece, implicit_value, expr (or \"stack_value\", \"call_frame_cfa\")",
        ));
    };
    Ok(op)
}

/// A DWARF register number, or a register's name on x86_64 (`rax`..`r15`, `rip`) and
/// aarch64 (`x0`..`x30`, `sp`).
fn read_register(node: Node<'_>, arch: Architecture) -> Result<u16, SpecError> {
    const X86_64: &[&str] = &[
        "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "rip",
    ];
    if let crate::value::Value::String(name) = node.value() {
        let found = match arch {
            Architecture::X86_64 => X86_64.iter().position(|r| r == name),
            Architecture::Aarch64 => match name.as_ref() {
                "sp" => Some(31),
                _ => name
                    .strip_prefix('x')
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|&n| n <= 30),
            },
            _ => None,
        };
        return found.map(|r| r as u16).ok_or_else(|| {
            node.error(format!(
                "no register named {} on {arch} (give the DWARF register number)",
                quote(name)
            ))
        });
    }
    let n = node.u64_at_most(u64::from(u16::MAX))?;
    Ok(n as u16)
}

/// A language name from [`lang::NAMES`] or a `DW_LANG_*` code.
fn read_language(node: Node<'_>) -> Result<u16, SpecError> {
    if let Ok(name) = node.str() {
        let names = lang::NAMES.iter().map(|(n, _)| *n);
        return lang::from_name(name).ok_or_else(|| {
            node.error(format!(
                "unknown language {}{} (known: {}; or give the DW_LANG code as a number)",
                quote(name),
                suggestion(name, names.clone()),
                names.collect::<Vec<_>>().join(", ")
            ))
        });
    }
    let code = node.u64_at_most(u64::from(u16::MAX))?;
    Ok(u16::try_from(code).unwrap_or(u16::MAX))
}

/// A reference to one of `debug.files`: its index, or its path.
fn read_file(node: Node<'_>, files: &[String]) -> Result<FileId, SpecError> {
    match node.value() {
        crate::value::Value::String(path) => files
            .iter()
            .position(|f| f == path)
            .map(FileId)
            .ok_or_else(|| {
                node.error(format!(
                    "no file {} in `debug.files`{}",
                    quote(path),
                    suggestion(path, files.iter().map(String::as_str))
                ))
            }),
        crate::value::Value::Number(_) => {
            let index = node.u64()?;
            usize::try_from(index)
                .map(FileId)
                .map_err(|_| node.error(format!("there is no file {index}")))
        }
        _ => Err(node.expected("a path in `debug.files` or an index into it")),
    }
}

fn optional_file(fields: &Fields<'_>, files: &[String]) -> Result<FileId, SpecError> {
    match fields.get("file") {
        Some(n) => read_file(n, files),
        None => Ok(FileId(0)),
    }
}

/// A line or column number.
fn read_number(node: Node<'_>) -> Result<u32, SpecError> {
    let n = node.u64_at_most(u64::from(u32::MAX))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// One row of `debug.lines`.
fn read_row(node: Node<'_>, sections: &Names, files: &[String]) -> Result<LineRow, SpecError> {
    let all = node.object(LINE_FIELDS, "field")?;
    let end_sequence = match all.get("end_sequence") {
        Some(n) => n.bool()?,
        None => false,
    };
    let section = SectionId::from_index(resolve(all.required("section")?, sections, "sections")?);
    let offset = all.required("offset")?.u64()?;
    if end_sequence {
        // Only the place where the sequence ends.
        for key in LINE_FIELDS {
            if let (Some(n), false) = (all.get(key), END_SEQUENCE_FIELDS.contains(key)) {
                return Err(n.error(
                    "an end_sequence row has only `section` and `offset` (it ends a run of code)",
                ));
            }
        }
        return Ok(LineRow::end_sequence(section, offset));
    }
    let mut row = LineRow::new(
        section,
        offset,
        optional_file(&all, files)?,
        read_number(all.required("line")?)?,
    );
    if let Some(n) = all.get("column") {
        row.column = read_number(n)?;
    }
    if let Some(n) = all.get("is_stmt") {
        row.is_stmt = n.bool()?;
    }
    Ok(row)
}

/// One function of `debug.functions`.
fn read_function(node: Node<'_>, cx: &mut Context<'_>) -> Result<Function, SpecError> {
    let sections = cx.sections;
    let files = cx.files.clone();
    let files = files.as_slice();
    let fields = node.object(FUNCTION_FIELDS, "field")?;
    let mut function = Function::new(
        fields.required("name")?.str()?,
        SectionId::from_index(resolve(fields.required("section")?, sections, "sections")?),
        fields.required("offset")?.u64()?,
        fields.required("size")?.u64()?,
    );
    if let Some(n) = fields.get("linkage_name") {
        function.linkage_name = Some(n.str()?.to_string());
    }
    function.file = optional_file(&fields, files)?;
    function.line = read_number(fields.required("line")?)?;
    if let Some(n) = fields.get("external") {
        function.external = n.bool()?;
    }
    if let Some(n) = fields.get("blocks") {
        function.blocks = read_blocks(n, cx, function.section)?;
    }
    if let Some(n) = fields.get("pieces") {
        function.pieces = read_pieces(n, sections)?;
    }
    if let Some(n) = fields.get("inlined") {
        function.inlined = read_inlined(n, cx, function.section)?;
    }
    if let Some(n) = fields.get("return_type") {
        function.return_type = cx.types.resolve(n)?;
    }
    if let Some(n) = fields.get("prototyped") {
        function.prototyped = n.bool()?;
    }
    if let Some(n) = fields.get("all_calls") {
        function.all_calls = n.bool()?;
    }
    if let Some(n) = fields.get("all_tail_calls") {
        function.all_tail_calls = n.bool()?;
    }
    if let Some(n) = fields.get("call_sites") {
        for item in n.array()?.iter() {
            function.call_sites.push(read_call_site(item, cx)?);
        }
    }
    if let Some(n) = fields.get("frame_base") {
        function.frame_base = Some(read_ops(n, cx)?);
    }
    if let Some(n) = fields.get("parameters") {
        for item in n.array()?.iter() {
            function
                .parameters
                .push(read_variable(item, cx, Some(function.section))?);
        }
    }
    if let Some(n) = fields.get("variables") {
        for item in n.array()?.iter() {
            function
                .variables
                .push(read_variable(item, cx, Some(function.section))?);
        }
    }
    Ok(function)
}

/// A `blocks` array (nesting is bounded by the JSON parser's depth limit).
fn read_blocks(
    node: Node<'_>,
    cx: &mut Context<'_>,
    section: SectionId,
) -> Result<Vec<LexicalBlock>, SpecError> {
    let mut blocks = Vec::new();
    for item in node.array()?.iter() {
        let fields = item.object(BLOCK_FIELDS, "field")?;
        let mut block = LexicalBlock::new(
            fields.required("offset")?.u64()?,
            fields.required("size")?.u64()?,
        );
        if let Some(n) = fields.get("blocks") {
            block.blocks = read_blocks(n, cx, section)?;
        }
        if let Some(n) = fields.get("variables") {
            for v in n.array()?.iter() {
                block.variables.push(read_variable(v, cx, Some(section))?);
            }
        }
        if let Some(n) = fields.get("pieces") {
            block.pieces = read_pieces(n, cx.sections)?;
        }
        if let Some(n) = fields.get("inlined") {
            block.inlined = read_inlined(n, cx, section)?;
        }
        blocks.push(block);
    }
    Ok(blocks)
}

/// A `pieces` array: further ranges of code, `{"section", "offset", "size"}` each.
fn read_pieces(node: Node<'_>, sections: &Names) -> Result<Vec<CodeRange>, SpecError> {
    let mut pieces = Vec::new();
    for item in node.array()?.iter() {
        let fields = item.object(PIECE_FIELDS, "field")?;
        pieces.push(CodeRange {
            section: SectionId::from_index(resolve(
                fields.required("section")?,
                sections,
                "sections",
            )?),
            offset: fields.required("offset")?.u64()?,
            size: fields.required("size")?.u64()?,
        });
    }
    Ok(pieces)
}

/// One of `debug.inline_functions`.
fn read_inline_function(node: Node<'_>, cx: &mut Context<'_>) -> Result<InlineFunction, SpecError> {
    let fields = node.object(INLINE_FUNCTION_FIELDS, "field")?;
    let mut f = InlineFunction::new(fields.required("name")?.str()?);
    if let Some(n) = fields.get("linkage_name") {
        f.linkage_name = Some(n.str()?.to_string());
    }
    f.file = optional_file(&fields, &cx.files)?;
    if let Some(n) = fields.get("line") {
        f.line = read_number(n)?;
    }
    if let Some(n) = fields.get("external") {
        f.external = n.bool()?;
    }
    if let Some(n) = fields.get("prototyped") {
        f.prototyped = n.bool()?;
    }
    if let Some(n) = fields.get("return_type") {
        f.return_type = cx.types.resolve(n)?;
    }
    if let Some(n) = fields.get("parameters") {
        for item in n.array()?.iter() {
            f.parameters.push(read_variable(item, cx, None)?);
        }
    }
    if let Some(n) = fields.get("variables") {
        for item in n.array()?.iter() {
            f.variables.push(read_variable(item, cx, None)?);
        }
    }
    if let Some(n) = fields.get("blocks") {
        f.blocks = read_inline_blocks(n, &f)?;
    }
    Ok(f)
}

/// An inline function's `blocks`: each with the names of the locals declared in it.
fn read_inline_blocks(node: Node<'_>, f: &InlineFunction) -> Result<Vec<InlineBlock>, SpecError> {
    let mut blocks = Vec::new();
    for item in node.array()?.iter() {
        let fields = item.object(INLINE_BLOCK_FIELDS, "field")?;
        let mut block = InlineBlock::default();
        if let Some(n) = fields.get("variables") {
            for v in n.array()?.iter() {
                let name = v.str()?;
                let Some(j) = f.variables.iter().position(|d| d.name == name) else {
                    return Err(v.error(format!(
                        "{} has no variable named {}{}",
                        f.name,
                        quote(name),
                        suggestion(name, f.variables.iter().map(|d| d.name.as_str()))
                    )));
                };
                block.variables.push(j);
            }
        }
        if let Some(n) = fields.get("blocks") {
            block.blocks = read_inline_blocks(n, f)?;
        }
        blocks.push(block);
    }
    Ok(blocks)
}

/// An `inlined` array: code inlined from `debug.inline_functions`; `section` is the
/// enclosing function's, the default of ranges and location list entries.
fn read_inlined(
    node: Node<'_>,
    cx: &mut Context<'_>,
    section: SectionId,
) -> Result<Vec<InlinedCall>, SpecError> {
    let mut calls = Vec::new();
    for item in node.array()?.iter() {
        let fields = item.object(INLINED_FIELDS, "field")?;
        let function_node = fields.required("function")?;
        let function = match function_node.value() {
            crate::value::Value::String(name) => cx
                .inline
                .iter()
                .position(|(n, _, _)| n == name)
                .ok_or_else(|| {
                function_node.error(format!(
                    "no function named {} in `debug.inline_functions`{}",
                    quote(name),
                    suggestion(name, cx.inline.iter().map(|(n, _, _)| n.as_str()))
                ))
            })?,
            _ => usize::try_from(function_node.u64()?).unwrap_or(usize::MAX),
        };
        let ranges = read_ranges(fields.required("ranges")?, cx, section)?;
        let call_file = match fields.get("call_file") {
            Some(n) => read_file(n, &cx.files)?,
            None => FileId(0),
        };
        let mut call = InlinedCall::new(
            function,
            ranges,
            call_file,
            read_number(fields.required("call_line")?)?,
        );
        if let Some(n) = fields.get("call_column") {
            call.call_column = read_number(n)?;
        }
        let names = cx.inline.get(function).cloned().unwrap_or_default();
        if let Some(n) = fields.get("parameters") {
            call.parameters = read_copy_locations(n, cx, section, &names.0, "parameter", &names.1)?;
        }
        if let Some(n) = fields.get("variables") {
            call.variables = read_copy_locations(n, cx, section, &names.0, "variable", &names.2)?;
        }
        if let Some(n) = fields.get("blocks") {
            call.blocks = read_inlined_blocks(n, cx, section, &names)?;
        }
        if let Some(n) = fields.get("inlined") {
            call.inlined = read_inlined(n, cx, section)?;
        }
        calls.push(call);
    }
    Ok(calls)
}

/// The `ranges` of a copy or of its block; `section` is the default.
fn read_ranges(
    node: Node<'_>,
    cx: &Context<'_>,
    section: SectionId,
) -> Result<Vec<CodeRange>, SpecError> {
    let mut ranges = Vec::new();
    for r in node.array()?.iter() {
        let rf = r.object(PIECE_FIELDS, "field")?;
        ranges.push(CodeRange {
            section: match rf.get("section") {
                Some(n) => SectionId::from_index(resolve(n, cx.sections, "sections")?),
                None => section,
            },
            offset: rf.required("offset")?.u64()?,
            size: rf.required("size")?.u64()?,
        });
    }
    Ok(ranges)
}

/// A copy's `parameters` or `variables` (or a copy's block's `variables`): an object of
/// locations by the inline function's names, `null` for one listed without a location.
fn read_copy_locations(
    node: Node<'_>,
    cx: &Context<'_>,
    section: SectionId,
    function: &str,
    kind: &str,
    declared: &[String],
) -> Result<Vec<Option<Location>>, SpecError> {
    if !node.value().is_object() {
        return Err(node.expected("an object of locations by name"));
    }
    let mut out = Vec::new();
    for (name, at) in node.members() {
        let Some(index) = declared.iter().position(|d| d == name) else {
            return Err(at.error(format!(
                "{function} has no {kind} named {}{}",
                quote(name),
                suggestion(name, declared.iter().map(String::as_str))
            )));
        };
        if out.len() <= index {
            out.resize(index + 1, None);
        }
        out[index] = Some(match at.value() {
            // Listed by a debugger as `<optimized out>`: the DIE without a location.
            crate::value::Value::Null => Location::OptimizedOut,
            _ => read_location(at, cx, Some(section))?,
        });
    }
    Ok(out)
}

/// A copy's `blocks`: each with `ranges`, `variables` by name, nested `blocks` and `inlined`.
fn read_inlined_blocks(
    node: Node<'_>,
    cx: &mut Context<'_>,
    section: SectionId,
    names: &(String, Vec<String>, Vec<String>),
) -> Result<Vec<InlinedBlock>, SpecError> {
    let mut blocks = Vec::new();
    for item in node.array()?.iter() {
        let fields = item.object(INLINED_BLOCK_FIELDS, "field")?;
        let mut block = InlinedBlock::new(read_ranges(fields.required("ranges")?, cx, section)?);
        if let Some(n) = fields.get("origin") {
            block.origin = Some(usize::try_from(n.u64()?).unwrap_or(usize::MAX));
        }
        if let Some(n) = fields.get("variables") {
            block.variables = read_copy_locations(n, cx, section, &names.0, "variable", &names.2)?;
        }
        if let Some(n) = fields.get("blocks") {
            block.blocks = read_inlined_blocks(n, cx, section, names)?;
        }
        if let Some(n) = fields.get("inlined") {
            block.inlined = read_inlined(n, cx, section)?;
        }
        blocks.push(block);
    }
    Ok(blocks)
}

/// One of a function's `call_sites`: `return_offset`, an `origin` (`{"function": name or
/// index}`, `{"inline": name or index}` or `{"external": name}`) and `parameters`, each a
/// `location` and a `value` expression.
fn read_call_site(node: Node<'_>, cx: &Context<'_>) -> Result<CallSite, SpecError> {
    let fields = node.object(CALL_SITE_FIELDS, "field")?;
    let mut site = CallSite {
        return_offset: fields.required("return_offset")?.u64()?,
        origin: None,
        parameters: Vec::new(),
    };
    if let Some(n) = fields.get("origin") {
        let of = n.object(CALL_ORIGIN_FIELDS, "field")?;
        let by_name = |n: Node<'_>, names: &[&str], list: &str| -> Result<usize, SpecError> {
            match n.value() {
                crate::value::Value::String(name) => {
                    names.iter().position(|f| f == name).ok_or_else(|| {
                        n.error(format!(
                            "no function named {} in `debug.{list}`{}",
                            quote(name),
                            suggestion(name, names.iter().copied())
                        ))
                    })
                }
                _ => Ok(usize::try_from(n.u64()?).unwrap_or(usize::MAX)),
            }
        };
        site.origin = Some(
            match (of.get("function"), of.get("inline"), of.get("external")) {
                (Some(f), None, None) => {
                    let names: Vec<&str> = cx.functions.iter().map(String::as_str).collect();
                    CallTarget::Function(by_name(f, &names, "functions")?)
                }
                (None, Some(f), None) => {
                    let names: Vec<&str> = cx.inline.iter().map(|(n, _, _)| n.as_str()).collect();
                    CallTarget::Inline(by_name(f, &names, "inline_functions")?)
                }
                (None, None, Some(f)) => CallTarget::External(f.str()?.to_string()),
                _ => return Err(n.expected("one of `function`, `inline` or `external`")),
            },
        );
    }
    if let Some(n) = fields.get("parameters") {
        for item in n.array()?.iter() {
            let pf = item.object(CALL_PARAMETER_FIELDS, "field")?;
            site.parameters.push(CallSiteParameter {
                location: read_ops(pf.required("location")?, cx)?,
                value: read_ops(pf.required("value")?, cx)?,
            });
        }
    }
    Ok(site)
}
