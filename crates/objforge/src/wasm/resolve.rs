//! The resolve phase: what each section, import and symbol of the object becomes in the module
//! — a function, a data segment or a custom section; an index in the function, global or table
//! space — checked against the module description, every error naming its place.

use crate::error::{Error, Place};
use crate::model::{Binding, Object, SectionData, SectionKind, SymbolDefinition, SymbolKind};
use crate::target::Architecture;

use crate::model::wasm::{
    ExportTarget, GlobalType, Import, ImportKind, Limits, MemoryType, Output, Placement, RefType,
    TableType, ValType, WasmModule,
};

/// A 64 KiB Wasm page.
pub(crate) const PAGE: u64 = 65536;

/// The table of functions whose address is taken, which the linker defines.
pub(crate) const INDIRECT_FUNCTION_TABLE: &str = "__indirect_function_table";

/// What a section of the object becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The body of `wasm.functions[n]`.
    Function(u32),
    /// Data segment n.
    Segment(u32),
    /// Custom section n (in section order).
    Custom(u32),
    /// Nothing: a plain module's zero-filled section that no placement names.
    Dropped,
}

/// One data segment of the module.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    /// The object's section.
    pub section: usize,
    /// Where it goes in memory: the linker's starting point in an object (segments laid end to
    /// end from 0, each aligned), the backend's address in a plain module.
    pub address: u64,
    /// A passive segment (plain modules).
    pub passive: bool,
}

/// What a symbol of the object is in the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Not written (a file symbol).
    Skip,
    /// A function; `import` is the import it stands for when undefined.
    Function { index: u32, import: Option<usize> },
    /// A data symbol; `None` when undefined.
    Data { at: Option<(u32, u64, u64)> },
    /// A global.
    Global { index: u32, import: Option<usize> },
    /// A table.
    Table { index: u32, import: Option<usize> },
    /// A custom section's symbol.
    Section { custom: u32 },
    /// An undefined function with no import: it has no type, and no index.
    Undeclared,
}

impl Class {
    /// Words for messages (`a data symbol`).
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Class::Skip => "a file symbol",
            Class::Function { import: None, .. } => "a defined function",
            Class::Function { .. } => "an imported function",
            Class::Data { at: Some(_) } => "a data symbol",
            Class::Data { at: None } => "an undefined data symbol",
            Class::Global { .. } => "a global",
            Class::Table { .. } => "a table",
            Class::Section { .. } => "a section symbol",
            Class::Undeclared => "an undefined function without an import",
        }
    }
}

/// The module's shape, before any byte is written.
pub(crate) struct Resolved {
    /// Whether the object is wasm64.
    pub is64: bool,
    /// Writing a relocatable object (else a plain module).
    pub relocatable: bool,
    /// The imports as written: the backend's, after those objforge adds to an object (its
    /// memory, and the legacy indirect function table).
    pub imports: Vec<Import>,
    /// For each import: its index among imports of its kind.
    pub import_index: Vec<u32>,
    /// How many function, table, memory and global imports there are.
    pub func_imports: u32,
    pub table_imports: u32,
    pub memory_imports: u32,
    pub global_imports: u32,
    /// For each section of the object: what it becomes.
    pub roles: Vec<Role>,
    /// The data segments, in order.
    pub segments: Vec<Segment>,
    /// The custom sections' object sections, in order.
    pub customs: Vec<usize>,
    /// For each symbol of the object: what it is.
    pub classes: Vec<Class>,
    /// Whether symbol i is exported by a symbol export.
    pub exported: Vec<bool>,
    /// For each symbol: its index in the written symbol table.
    pub symtab_index: Vec<Option<u32>>,
}

pub(crate) fn at(path: impl Into<String>) -> Place {
    Place::Wasm(path.into())
}

fn invalid(place: Place, message: impl Into<String>) -> Error {
    Error::invalid(place, message)
}

fn count32(n: usize, what: &str) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| {
        Error::unsupported(
            Place::Object,
            format!("{n} {what} are more than a Wasm module can index"),
        )
    })
}

/// Resolves `obj` (already through the format-neutral checks) against its module description.
pub(crate) fn resolve(obj: &Object) -> Result<Resolved, Error> {
    let module = &obj.wasm;
    let is64 = match obj.target.arch {
        Architecture::Wasm32 => false,
        Architecture::Wasm64 => true,
        other => {
            return Err(Error::unsupported(
                Place::Target,
                format!("Wasm objects are for wasm32 or wasm64, not {other}"),
            ))
        }
    };
    let relocatable = module.output == Output::Object;
    check_types(module)?;
    let roles_and_functions = section_roles(obj, relocatable)?;
    let (roles, segments, customs) = roles_and_functions;
    let mut resolved = Resolved {
        is64,
        relocatable,
        imports: Vec::new(),
        import_index: Vec::new(),
        func_imports: 0,
        table_imports: 0,
        memory_imports: 0,
        global_imports: 0,
        roles,
        segments,
        customs,
        classes: Vec::new(),
        exported: vec![false; obj.symbols.len()],
        symtab_index: vec![None; obj.symbols.len()],
    };
    resolved.imports = imports(obj, &resolved)?;
    for import in &resolved.imports {
        let counter = match import.kind {
            ImportKind::Func(_) => &mut resolved.func_imports,
            ImportKind::Table(_) => &mut resolved.table_imports,
            ImportKind::Memory(_) => &mut resolved.memory_imports,
            ImportKind::Global(_) => &mut resolved.global_imports,
        };
        resolved.import_index.push(*counter);
        *counter += 1;
    }
    count32(resolved.imports.len(), "imports")?;
    count32(
        module.functions.len() + resolved.func_imports as usize,
        "functions",
    )?;
    count32(
        module.globals.len() + resolved.global_imports as usize,
        "globals",
    )?;
    count32(
        module.tables.len() + resolved.table_imports as usize,
        "tables",
    )?;
    if resolved.memory_imports as usize + usize::from(module.memory.is_some()) > 1 {
        return Err(invalid(
            at("memory"),
            "the module already imports a memory; objforge writes one memory (import it or define it)",
        ));
    }
    if relocatable && module.memory.is_some() {
        return Err(invalid(
            at("memory"),
            "an object imports its memory and the linker defines it: leave `memory` out (or write a plain module)",
        ));
    }
    check_limits(obj, &resolved)?;
    resolved.classes = classify_symbols(obj, &resolved)?;
    check_exports(obj, &mut resolved)?;
    check_plain_only(obj, &resolved)?;
    check_init_funcs(obj, &resolved)?;
    let mut next = 0u32;
    for (i, class) in resolved.classes.iter().enumerate() {
        if relocatable && !matches!(class, Class::Skip) {
            resolved.symtab_index[i] = Some(next);
            next += 1;
        }
    }
    Ok(resolved)
}

impl Resolved {
    /// Number of functions (imported and defined).
    pub(crate) fn function_count(&self, module: &WasmModule) -> u64 {
        u64::from(self.func_imports) + module.functions.len() as u64
    }

    /// Number of globals (imported and defined).
    pub(crate) fn global_count(&self, module: &WasmModule) -> u64 {
        u64::from(self.global_imports) + module.globals.len() as u64
    }

    /// Number of tables (imported and defined).
    pub(crate) fn table_count(&self, module: &WasmModule) -> u64 {
        u64::from(self.table_imports) + module.tables.len() as u64
    }

    /// Number of memories (imported and defined).
    pub(crate) fn memory_count(&self, module: &WasmModule) -> u64 {
        u64::from(self.memory_imports) + u64::from(module.memory.is_some())
    }

    /// The type of function `index`, if there is such a function.
    pub(crate) fn function_type(&self, module: &WasmModule, index: u32) -> Option<u32> {
        if index < self.func_imports {
            return self
                .imports
                .iter()
                .zip(&self.import_index)
                .find_map(|(imp, &k)| match imp.kind {
                    ImportKind::Func(t) if k == index => Some(t),
                    _ => None,
                });
        }
        let defined = usize::try_from(index - self.func_imports).ok()?;
        module.functions.get(defined).map(|f| f.type_index)
    }
}

fn check_types(module: &WasmModule) -> Result<(), Error> {
    count32(module.types.len(), "types")?;
    let ntypes = module.types.len();
    let check = |t: u32, place: Place| {
        if t as usize >= ntypes {
            return Err(invalid(
                place,
                format!("there is no type {t} (wasm.types has {ntypes})"),
            ));
        }
        Ok(())
    };
    for (i, import) in module.imports.iter().enumerate() {
        if let ImportKind::Func(t) = import.kind {
            check(t, at(format!("imports[{i}].type")))?;
        }
    }
    for (i, f) in module.functions.iter().enumerate() {
        check(f.type_index, at(format!("functions[{i}].type")))?;
    }
    Ok(())
}

/// Each section's role; the segments (with their addresses) and custom sections.
#[allow(clippy::type_complexity)]
fn section_roles(
    obj: &Object,
    relocatable: bool,
) -> Result<(Vec<Role>, Vec<Segment>, Vec<usize>), Error> {
    let module = &obj.wasm;
    let reach = if obj.target.arch == Architecture::Wasm64 {
        u64::MAX
    } else {
        u64::from(u32::MAX)
    };
    let n = obj.sections.len();
    let mut roles: Vec<Option<Role>> = vec![None; n];
    for (j, f) in module.functions.iter().enumerate() {
        let place = at(format!("functions[{j}].section"));
        let Some(s) = obj.sections.get(f.section.index()) else {
            return Err(invalid(
                place,
                format!(
                    "there is no section {} (the object has {n})",
                    f.section.index()
                ),
            ));
        };
        if s.kind != SectionKind::Text {
            return Err(invalid(
                place,
                format!(
                    "{} is a {} section; a function's body is a text section",
                    s.name,
                    s.kind.name()
                ),
            ));
        }
        if let Some(Role::Function(k)) = roles[f.section.index()] {
            return Err(invalid(
                place,
                format!("{} is already the body of functions[{k}]", s.name),
            ));
        }
        roles[f.section.index()] = Some(Role::Function(j as u32));
    }
    let mut customs = Vec::new();
    let mut data_sections = Vec::new();
    for (i, s) in obj.sections.iter().enumerate() {
        // Every piece of a Wasm module is sized by a 32-bit LEB.
        if s.data.len() > u64::from(u32::MAX) {
            return Err(Error::unsupported(
                Place::Section(i, Some("size")),
                format!(
                    "{} is {} bytes; a Wasm function, segment or section holds less than 4 GiB",
                    s.name,
                    s.data.len()
                ),
            ));
        }
        match s.kind {
            SectionKind::Text => {
                if roles[i].is_none() {
                    return Err(invalid(
                        Place::Section(i, None),
                        format!(
                            "{} is code, so it is one function's body: list it in wasm.functions with its type",
                            s.name
                        ),
                    ));
                }
                if s.data.is_empty() {
                    return Err(invalid(
                        Place::Section(i, Some("size")),
                        format!(
                            "{} is empty; a function's body ends with `end` (0x0b) at least",
                            s.name
                        ),
                    ));
                }
            }
            SectionKind::Debug | SectionKind::Other => {
                let reserved = s.name == "linking"
                    || s.name.starts_with("reloc.")
                    || (s.name == "target_features" && !module.features.is_empty());
                if reserved {
                    return Err(invalid(
                        Place::Section(i, Some("name")),
                        format!("objforge writes the `{}` custom section itself", s.name),
                    ));
                }
                roles[i] = Some(Role::Custom(customs.len() as u32));
                customs.push(i);
            }
            _ => data_sections.push(i),
        }
        if s.comdat.is_some() && !relocatable {
            return Err(invalid(
                Place::Section(i, Some("comdat")),
                "a plain module has no COMDATs (they are for the linker)",
            ));
        }
    }
    let mut segments = Vec::new();
    if relocatable {
        if let Some(j) = module.data.first().map(|_| 0) {
            return Err(invalid(
                at(format!("data[{j}]")),
                "an object's data segments are placed by the linker; wasm.data is for plain modules",
            ));
        }
        let mut address = 0u64;
        for &i in &data_sections {
            let s = &obj.sections[i];
            address = address
                .checked_next_multiple_of(s.align.max(1))
                .unwrap_or(u64::MAX);
            roles[i] = Some(Role::Segment(segments.len() as u32));
            segments.push(Segment {
                section: i,
                address,
                passive: false,
            });
            address = address.saturating_add(s.data.len());
        }
        if address > reach {
            return Err(Error::unsupported(
                Place::Object,
                format!(
                    "the object's data segments take {address} bytes, past the 4 GiB a {} memory reaches",
                    obj.target.arch
                ),
            ));
        }
    } else {
        for (j, d) in module.data.iter().enumerate() {
            let place = at(format!("data[{j}].section"));
            let Some(s) = obj.sections.get(d.section.index()) else {
                return Err(invalid(
                    place,
                    format!("there is no section {} (the object has {n})", d.section.0),
                ));
            };
            match roles[d.section.index()] {
                Some(Role::Segment(k)) => {
                    return Err(invalid(
                        place,
                        format!("{} is already placed by data[{k}]", s.name),
                    ))
                }
                Some(_) => {
                    return Err(invalid(
                        place,
                        format!("{} is a {} section, not data", s.name, s.kind.name()),
                    ))
                }
                None => {}
            }
            let (address, passive) = match d.placement {
                Placement::Active(a) => (a, false),
                Placement::Passive => (0, true),
            };
            if address.saturating_add(s.data.len()) > reach {
                return Err(Error::unsupported(
                    at(format!("data[{j}].offset")),
                    format!(
                        "{} at {address} ends past the 4 GiB a {} memory reaches",
                        s.name, obj.target.arch
                    ),
                ));
            }
            roles[d.section.index()] = Some(Role::Segment(segments.len() as u32));
            segments.push(Segment {
                section: d.section.index(),
                address,
                passive,
            });
        }
        for &i in &data_sections {
            if roles[i].is_none() {
                let s = &obj.sections[i];
                if !matches!(s.data, SectionData::Zero(_)) && !s.data.is_empty() {
                    return Err(invalid(
                        Place::Section(i, None),
                        format!(
                            "a plain module needs an address for {}: give it one in wasm.data",
                            s.name
                        ),
                    ));
                }
                roles[i] = Some(Role::Dropped);
            }
        }
    }
    count32(segments.len(), "data segments")?;
    let roles = roles
        .into_iter()
        .map(|r| r.unwrap_or(Role::Dropped))
        .collect();
    Ok((roles, segments, customs))
}

/// The imports as written: an object gets its memory import (`env.__linear_memory`), and the
/// legacy indirect function table when it uses the table but declares none.
fn imports(obj: &Object, resolved: &Resolved) -> Result<Vec<Import>, Error> {
    let module = &obj.wasm;
    let mut out = Vec::with_capacity(module.imports.len() + 2);
    if resolved.relocatable {
        let has_memory = module
            .imports
            .iter()
            .any(|i| matches!(i.kind, ImportKind::Memory(_)));
        if !has_memory {
            let end = resolved
                .segments
                .iter()
                .map(|s| s.address.saturating_add(obj.sections[s.section].data.len()))
                .max()
                .unwrap_or(0);
            let memory = MemoryType {
                limits: Limits {
                    min: end.div_ceil(PAGE),
                    max: None,
                },
                shared: false,
            };
            out.push(Import::new(
                "env",
                "__linear_memory",
                ImportKind::Memory(memory),
            ));
        }
        let has_table = !module.tables.is_empty()
            || module
                .imports
                .iter()
                .any(|i| matches!(i.kind, ImportKind::Table(_)));
        let uses_table = obj.relocations.iter().any(|r| {
            use crate::reloc::RelocKind::*;
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
            let table = TableType {
                element: RefType::FuncRef,
                limits: Limits { min: 0, max: None },
            };
            out.push(Import::new(
                "env",
                INDIRECT_FUNCTION_TABLE,
                ImportKind::Table(table),
            ));
        }
    }
    for (i, import) in module.imports.iter().enumerate() {
        let needs_symbol = !matches!(import.kind, ImportKind::Memory(_));
        if resolved.relocatable && needs_symbol && import.symbol.is_none() {
            let legacy_table = import.name == INDIRECT_FUNCTION_TABLE
                && matches!(import.kind, ImportKind::Table(_));
            if !legacy_table {
                return Err(invalid(
                    at(format!("imports[{i}].symbol")),
                    format!(
                        "an object's {} import needs the undefined symbol it stands for: relocations and the linker name it",
                        import.kind.name()
                    ),
                ));
            }
        }
        if import.symbol.is_some() && matches!(import.kind, ImportKind::Memory(_)) {
            return Err(invalid(
                at(format!("imports[{i}].symbol")),
                "a memory has no symbol",
            ));
        }
        out.push(import.clone());
    }
    Ok(out)
}

fn check_limit(limits: &Limits, largest: u64, place: Place, unit: &str) -> Result<(), Error> {
    if limits.min > largest {
        return Err(invalid(
            place,
            format!("min {} is more than {largest} {unit}", limits.min),
        ));
    }
    if let Some(max) = limits.max {
        if max < limits.min {
            return Err(invalid(
                place,
                format!("max {max} is less than min {}", limits.min),
            ));
        }
        if max > largest {
            return Err(invalid(
                place,
                format!("max {max} is more than {largest} {unit}"),
            ));
        }
    }
    Ok(())
}

fn check_limits(obj: &Object, resolved: &Resolved) -> Result<(), Error> {
    let module = &obj.wasm;
    let pages = if resolved.is64 { 1 << 48 } else { 1 << 16 };
    let memory = |m: &MemoryType, place: Place| {
        check_limit(&m.limits, pages, place.clone(), "pages")?;
        if m.shared && m.limits.max.is_none() {
            return Err(invalid(place, "a shared memory needs `max`"));
        }
        Ok(())
    };
    let table = |t: &TableType, place: Place| {
        check_limit(&t.limits, u64::from(u32::MAX), place, "elements")
    };
    for (i, import) in module.imports.iter().enumerate() {
        match &import.kind {
            ImportKind::Memory(m) => memory(m, at(format!("imports[{i}].memory")))?,
            ImportKind::Table(t) => table(t, at(format!("imports[{i}].table")))?,
            _ => {}
        }
    }
    if let Some(m) = &module.memory {
        memory(m, at("memory"))?;
    }
    for (i, t) in module.tables.iter().enumerate() {
        table(&t.ty, at(format!("tables[{i}]")))?;
    }
    Ok(())
}

/// What each symbol is, and which import, global or table claims it.
fn classify_symbols(obj: &Object, resolved: &Resolved) -> Result<Vec<Class>, Error> {
    let module = &obj.wasm;
    let nsym = obj.symbols.len();
    // Symbols that an import, a global or a table defines: (class, where it was claimed).
    let mut claimed: Vec<Option<(Class, String)>> = vec![None; nsym];
    let mut claim = |symbol: crate::model::SymbolId, class: Class, path: String| {
        let Some(slot) = claimed.get_mut(symbol.index()) else {
            return Err(invalid(
                at(path),
                format!("there is no symbol {} (the object has {nsym})", symbol.0),
            ));
        };
        if let Some((_, first)) = slot {
            return Err(invalid(
                at(path),
                format!("symbols[{}] is already wasm.{first}", symbol.0),
            ));
        }
        *slot = Some((class, path));
        Ok(())
    };
    let first_user_import = resolved.imports.len() - module.imports.len();
    for (i, import) in module.imports.iter().enumerate() {
        let k = first_user_import + i;
        let index = resolved.import_index[k];
        let class = match import.kind {
            ImportKind::Func(_) => Class::Function {
                index,
                import: Some(k),
            },
            ImportKind::Global(_) => Class::Global {
                index,
                import: Some(k),
            },
            ImportKind::Table(_) => Class::Table {
                index,
                import: Some(k),
            },
            ImportKind::Memory(_) => continue,
        };
        if let Some(s) = import.symbol {
            claim(s, class, format!("imports[{i}]"))?;
        }
    }
    for (j, g) in module.globals.iter().enumerate() {
        if let Some(s) = g.symbol {
            let index = resolved.global_imports + j as u32;
            claim(
                s,
                Class::Global {
                    index,
                    import: None,
                },
                format!("globals[{j}]"),
            )?;
        }
    }
    for (j, t) in module.tables.iter().enumerate() {
        if let Some(s) = t.symbol {
            let index = resolved.table_imports + j as u32;
            claim(
                s,
                Class::Table {
                    index,
                    import: None,
                },
                format!("tables[{j}]"),
            )?;
        }
    }

    let mut classes = Vec::with_capacity(nsym);
    for (i, sym) in obj.symbols.iter().enumerate() {
        let kind_at = Place::Symbol(i, Some("kind"));
        let class = match (sym.definition, &claimed[i]) {
            (SymbolDefinition::Defined { .. }, Some((_, by))) => {
                return Err(invalid(
                    Place::Symbol(i, Some("section")),
                    format!(
                        "`{}` is defined in a section, but wasm.{by} defines it too",
                        sym.name
                    ),
                ))
            }
            (_, Some((class, _))) => {
                let fits = match class {
                    Class::Function { .. } => {
                        matches!(sym.kind, SymbolKind::Func | SymbolKind::None)
                    }
                    _ => matches!(sym.kind, SymbolKind::Object | SymbolKind::None),
                };
                if !fits {
                    return Err(invalid(
                        kind_at,
                        format!(
                            "`{}` is {} in the module, not a {} symbol",
                            sym.name,
                            class.describe(),
                            sym.kind.name()
                        ),
                    ));
                }
                *class
            }
            (SymbolDefinition::Absolute, None) => Class::Skip,
            (SymbolDefinition::Common { .. }, None) => {
                return Err(Error::unsupported(
                    Place::Symbol(i, Some("common")),
                    "Wasm has no common symbols: define the variable in a bss section",
                ))
            }
            (SymbolDefinition::Undefined, None) => match sym.kind {
                SymbolKind::Func => Class::Undeclared,
                _ => Class::Data { at: None },
            },
            (SymbolDefinition::Defined { section, offset }, None) => {
                let s = &obj.sections[section.index()];
                match (resolved.roles[section.index()], sym.kind) {
                    (Role::Function(j), SymbolKind::Func | SymbolKind::None) => {
                        if offset != 0 {
                            return Err(invalid(
                                Place::Symbol(i, Some("offset")),
                                format!(
                                    "a Wasm function symbol names a whole function: `{}` must be at offset 0 of {}, not {offset}",
                                    sym.name, s.name
                                ),
                            ));
                        }
                        Class::Function {
                            index: resolved.func_imports + j,
                            import: None,
                        }
                    }
                    (Role::Function(_), _) => {
                        return Err(invalid(
                            kind_at,
                            format!(
                                "{} is a function's body; a symbol there is the function (kind func), not {}",
                                s.name,
                                sym.kind.name()
                            ),
                        ))
                    }
                    (Role::Segment(seg), SymbolKind::Object | SymbolKind::None | SymbolKind::Tls) => {
                        Class::Data {
                            at: Some((seg, offset, sym.size)),
                        }
                    }
                    (Role::Custom(c), SymbolKind::Section) => Class::Section { custom: c },
                    (Role::Dropped, SymbolKind::Object | SymbolKind::None) => {
                        Class::Data { at: None }
                    }
                    (role, kind) => {
                        let what = match role {
                            Role::Custom(_) => "a custom section: only its section symbol",
                            _ => "data: data symbols (object or none)",
                        };
                        return Err(invalid(
                            kind_at,
                            format!(
                                "a {} symbol cannot be in {} ({}); {} may be there",
                                kind.name(),
                                s.name,
                                s.kind.name(),
                                what
                            ),
                        ));
                    }
                }
            }
        };
        let past_end = match (class, sym.definition) {
            (
                Class::Data {
                    at: Some((_, off, size)),
                },
                SymbolDefinition::Defined { section, .. },
            ) => {
                let len = obj.sections[section.index()].data.len();
                off.checked_add(size).is_none_or(|end| end > len)
            }
            _ => false,
        };
        if past_end {
            return Err(invalid(
                Place::Symbol(i, Some("size")),
                format!(
                    "`{}` runs past the end of its segment: offset + size must stay inside it",
                    sym.name
                ),
            ));
        }
        if sym.binding == Binding::Local
            && matches!(
                class,
                Class::Function {
                    import: Some(_),
                    ..
                } | Class::Global {
                    import: Some(_),
                    ..
                } | Class::Table {
                    import: Some(_),
                    ..
                }
            )
        {
            return Err(invalid(
                Place::Symbol(i, Some("binding")),
                format!("`{}` is imported, so it cannot be local", sym.name),
            ));
        }
        // Only functions and data may stay undefined weakly: LLVM's readers (wasm-ld,
        // llvm-readobj) refuse an object with an undefined weak global or table.
        let strong_import = matches!(
            class,
            Class::Global {
                import: Some(_),
                ..
            } | Class::Table {
                import: Some(_),
                ..
            }
        );
        if sym.binding == Binding::Weak && strong_import {
            return Err(invalid(
                Place::Symbol(i, Some("binding")),
                format!(
                    "`{}` is an imported {}, and an undefined global or table cannot be weak (wasm-ld refuses the object): make it global",
                    sym.name,
                    if matches!(class, Class::Global { .. }) { "global" } else { "table" }
                ),
            ));
        }
        classes.push(class);
    }
    Ok(classes)
}

fn check_exports(obj: &Object, resolved: &mut Resolved) -> Result<(), Error> {
    let module = &obj.wasm;
    let mut names = crate::hash::FxHashMap::default();
    for (i, e) in module.exports.iter().enumerate() {
        if let Some(first) = names.insert(e.name.as_str(), i) {
            return Err(invalid(
                at(format!("exports[{i}].name")),
                format!("`{}` is exported already (exports[{first}])", e.name),
            ));
        }
        let (count, what) =
            match e.target {
                ExportTarget::Symbol(s) => {
                    let place = at(format!("exports[{i}].symbol"));
                    let Some(class) = resolved.classes.get(s.index()).copied() else {
                        return Err(invalid(
                            place,
                            format!(
                                "there is no symbol {} (the object has {})",
                                s.0,
                                obj.symbols.len()
                            ),
                        ));
                    };
                    let ok = matches!(
                        class,
                        Class::Function { import: None, .. } | Class::Global { import: None, .. }
                    );
                    if !ok {
                        return Err(invalid(
                            place,
                            format!(
                            "`{}` is {}; an export by symbol names a defined function or global",
                            obj.symbols[s.index()].name,
                            class.describe()
                        ),
                        ));
                    }
                    if resolved.relocatable && obj.symbols[s.index()].binding == Binding::Local {
                        return Err(invalid(
                            place,
                            format!(
                                "`{}` is local; the linker exports only global symbols",
                                obj.symbols[s.index()].name
                            ),
                        ));
                    }
                    if resolved.exported[s.index()] {
                        return Err(invalid(
                            place,
                            format!("`{}` is exported already", obj.symbols[s.index()].name),
                        ));
                    }
                    resolved.exported[s.index()] = true;
                    continue;
                }
                _ if resolved.relocatable => return Err(invalid(
                    at(format!("exports[{i}]")),
                    "an object exports symbols (`symbol`): the linker renumbers everything else",
                )),
                ExportTarget::Func(n) => (n, "function"),
                ExportTarget::Table(n) => (n, "table"),
                ExportTarget::Memory(n) => (n, "memory"),
                ExportTarget::Global(n) => (n, "global"),
            };
        let total = match e.target {
            ExportTarget::Func(_) => resolved.function_count(module),
            ExportTarget::Table(_) => resolved.table_count(module),
            ExportTarget::Memory(_) => resolved.memory_count(module),
            _ => resolved.global_count(module),
        };
        if u64::from(count) >= total {
            return Err(invalid(
                at(format!(
                    "exports[{i}].{}",
                    if what == "function" { "func" } else { what }
                )),
                format!("there is no {what} {count} (the module has {total})"),
            ));
        }
    }
    Ok(())
}

/// Start, elements: plain modules only, and their indices in range.
fn check_plain_only(obj: &Object, resolved: &Resolved) -> Result<(), Error> {
    let module = &obj.wasm;
    let functions = resolved.function_count(module);
    if let Some(start) = module.start {
        if resolved.relocatable {
            return Err(invalid(
                at("start"),
                "an object has no start function (the linker calls init_funcs from __wasm_call_ctors)",
            ));
        }
        if u64::from(start) >= functions {
            return Err(invalid(
                at("start"),
                format!("there is no function {start} (the module has {functions})"),
            ));
        }
        let ty = resolved.function_type(module, start);
        if ty
            .and_then(|t| module.types.get(t as usize))
            .is_some_and(|t| !t.params.is_empty() || !t.results.is_empty())
        {
            return Err(invalid(
                at("start"),
                format!("function {start} takes or returns values; a start function is [] -> []"),
            ));
        }
    }
    for (i, e) in module.elements.iter().enumerate() {
        if resolved.relocatable {
            return Err(invalid(
                at(format!("elements[{i}]")),
                "an object's table is filled by the linker (wasm_table_index_* relocations); elements are for plain modules",
            ));
        }
        let tables = resolved.table_count(module);
        if u64::from(e.table) >= tables {
            return Err(invalid(
                at(format!("elements[{i}].table")),
                format!("there is no table {} (the module has {tables})", e.table),
            ));
        }
        for (k, &f) in e.functions.iter().enumerate() {
            if u64::from(f) >= functions {
                return Err(invalid(
                    at(format!("elements[{i}].functions[{k}]")),
                    format!("there is no function {f} (the module has {functions})"),
                ));
            }
        }
    }
    // The imported globals' types, in index order, for `global.get`.
    let imported: Vec<GlobalType> = resolved
        .imports
        .iter()
        .filter_map(|i| match i.kind {
            ImportKind::Global(g) => Some(g),
            _ => None,
        })
        .collect();
    for (j, g) in module.globals.iter().enumerate() {
        use crate::model::wasm::ConstExpr;
        let relocatable = resolved.relocatable;
        let bad = match g.init {
            // No relocation reaches the global section: the linker would leave the index
            // pointing at whatever function or global has it in the linked module.
            ConstExpr::RefFunc(_) | ConstExpr::GlobalGet(_) if relocatable => Some(
                "an object's global initializer cannot name a function or global by index: the linker renumbers them, and nothing relocates an initializer; start from a constant and set the global in an init function".to_string(),
            ),
            ConstExpr::RefFunc(f) if u64::from(f) >= functions => Some(format!(
                "there is no function {f} (the module has {functions})"
            )),
            ConstExpr::GlobalGet(n) if n >= resolved.global_imports => Some(format!(
                "global.get {n}: an initializer reads an imported global (the module imports {})",
                resolved.global_imports
            )),
            ConstExpr::GlobalGet(n) if imported.get(n as usize).is_some_and(|t| t.mutable) => {
                Some(format!(
                    "global.get {n}: an initializer reads an immutable global, and imported global {n} is mutable"
                ))
            }
            _ => None,
        };
        if let Some(message) = bad {
            return Err(invalid(at(format!("globals[{j}].init")), message));
        }
        // The initializer's value must have the global's type (a v128 one can only come from
        // an imported global: there is no v128 constant here).
        let value = match g.init {
            ConstExpr::I32(_) => Some(ValType::I32),
            ConstExpr::I64(_) => Some(ValType::I64),
            ConstExpr::F32(_) => Some(ValType::F32),
            ConstExpr::F64(_) => Some(ValType::F64),
            ConstExpr::RefNull(RefType::FuncRef) | ConstExpr::RefFunc(_) => Some(ValType::FuncRef),
            ConstExpr::RefNull(RefType::ExternRef) => Some(ValType::ExternRef),
            ConstExpr::GlobalGet(n) => imported.get(n as usize).map(|t| t.value),
        };
        if value.is_some_and(|v| v != g.ty.value) {
            return Err(invalid(
                at(format!("globals[{j}].init")),
                format!(
                    "the initializer is {}, but the global is {}",
                    value.map_or("", |v| v.name()),
                    g.ty.value.name()
                ),
            ));
        }
    }
    Ok(())
}

fn check_init_funcs(obj: &Object, resolved: &Resolved) -> Result<(), Error> {
    let module = &obj.wasm;
    for (i, f) in module.init_funcs.iter().enumerate() {
        let place = at(format!("init_funcs[{i}].symbol"));
        if !resolved.relocatable {
            return Err(invalid(
                at(format!("init_funcs[{i}]")),
                "init functions are for the linker; a plain module has `start`",
            ));
        }
        let Some(class) = resolved.classes.get(f.symbol.index()) else {
            return Err(invalid(
                place,
                format!(
                    "there is no symbol {} (the object has {})",
                    f.symbol.0,
                    obj.symbols.len()
                ),
            ));
        };
        let Class::Function { index, .. } = *class else {
            return Err(invalid(
                place,
                format!(
                    "`{}` is {}; an init function is a function",
                    obj.symbols[f.symbol.index()].name,
                    class.describe()
                ),
            ));
        };
        let ty = resolved
            .function_type(module, index)
            .and_then(|t| module.types.get(t as usize));
        if ty.is_some_and(|t| !t.params.is_empty() || !t.results.is_empty()) {
            return Err(invalid(
                place,
                format!(
                    "`{}` takes or returns values; an init function is [] -> []",
                    obj.symbols[f.symbol.index()].name
                ),
            ));
        }
    }
    Ok(())
}
