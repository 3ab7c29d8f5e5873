//! What a WebAssembly backend hands over beyond bytes, symbols and relocations: signatures,
//! imports, tables, memory, globals, exports, and for plain modules where the data goes.
//!
//! The bytes themselves stay in the [`Object`](crate::Object)'s sections: a `text` section is
//! one function's body (its local declarations, its instructions and the final `end`), a
//! `data`/`rodata`/`bss`/`tls_*` section is one data segment, a `debug`/`other` section is a
//! custom section. Symbols and relocations are the object's too. A [`WasmModule`] only adds
//! what has no section: each function's type, and the module's other entities.

use crate::model::{SectionId, SymbolId};

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 128-bit vector (SIMD).
    V128,
    /// A function reference.
    FuncRef,
    /// A host reference.
    ExternRef,
}

impl ValType {
    /// Every value type, in the order docs/spec.md lists them.
    pub const ALL: &'static [ValType] = &[
        ValType::I32,
        ValType::I64,
        ValType::F32,
        ValType::F64,
        ValType::V128,
        ValType::FuncRef,
        ValType::ExternRef,
    ];

    /// Its name, as JSON specs spell it (`i32`, `funcref`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        }
    }

    /// Parses a name [`Self::name`] gives.
    pub fn from_name(name: &str) -> Option<ValType> {
        ValType::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The binary encoding.
    pub(crate) fn code(self) -> u8 {
        match self {
            ValType::I32 => 0x7f,
            ValType::I64 => 0x7e,
            ValType::F32 => 0x7d,
            ValType::F64 => 0x7c,
            ValType::V128 => 0x7b,
            ValType::FuncRef => 0x70,
            ValType::ExternRef => 0x6f,
        }
    }
}

/// The element type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefType {
    /// Functions (the indirect function table).
    FuncRef,
    /// Host references.
    ExternRef,
}

impl RefType {
    /// Its name, as JSON specs spell it.
    pub fn name(self) -> &'static str {
        match self {
            RefType::FuncRef => "funcref",
            RefType::ExternRef => "externref",
        }
    }

    /// Parses a name [`Self::name`] gives.
    pub fn from_name(name: &str) -> Option<RefType> {
        match name {
            "funcref" => Some(RefType::FuncRef),
            "externref" => Some(RefType::ExternRef),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            RefType::FuncRef => 0x70,
            RefType::ExternRef => 0x6f,
        }
    }
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl FuncType {
    /// A signature from its parameter and result types.
    pub fn new(params: impl Into<Vec<ValType>>, results: impl Into<Vec<ValType>>) -> FuncType {
        FuncType {
            params: params.into(),
            results: results.into(),
        }
    }
}

/// Size limits of a memory (in 64 KiB pages) or a table (in elements).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Initial size.
    pub min: u64,
    /// Largest size it may grow to; `None` for no limit.
    pub max: Option<u64>,
}

/// A linear memory. Its addresses are 64-bit on `wasm64` targets (memory64), 32-bit otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Sizes in 64 KiB pages.
    pub limits: Limits,
    /// Shared between threads (needs `max`).
    pub shared: bool,
}

/// A table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// What it holds.
    pub element: RefType,
    /// Sizes in elements.
    pub limits: Limits,
}

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// Its value's type.
    pub value: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// What an import brings in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportKind {
    /// A function of this type (an index into [`WasmModule::types`]).
    Func(u32),
    /// A global.
    Global(GlobalType),
    /// A table.
    Table(TableType),
    /// A linear memory.
    Memory(MemoryType),
}

impl ImportKind {
    /// The kind's name, as JSON specs spell it: `func`, `global`, `table` or `memory`.
    pub fn name(&self) -> &'static str {
        match self {
            ImportKind::Func(_) => "func",
            ImportKind::Global(_) => "global",
            ImportKind::Table(_) => "table",
            ImportKind::Memory(_) => "memory",
        }
    }
}

/// An import: `module`.`name` from the host (or, in an object, from another object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The module name (`env` for C's externals).
    pub module: String,
    /// The field name.
    pub name: String,
    /// What is imported.
    pub kind: ImportKind,
    /// The undefined symbol this import stands for. Objects need one for every function, global
    /// and table import: relocations name the symbol, and the linker resolves it. When the
    /// symbol's name differs from `name`, the object records it as an explicit name.
    pub symbol: Option<SymbolId>,
    /// Record the symbol's name as explicit (`WASM_SYM_EXPLICIT_NAME`) even when it equals
    /// `name`, as clang does for every `import_module`/`import_name` attribute: wasm-ld then
    /// lets the import stay undefined without `--allow-undefined`.
    pub explicit_name: bool,
}

impl Import {
    /// An import of `kind` as `module`.`name`, without a symbol.
    pub fn new(module: impl Into<String>, name: impl Into<String>, kind: ImportKind) -> Import {
        Import {
            module: module.into(),
            name: name.into(),
            kind,
            symbol: None,
            explicit_name: false,
        }
    }

    /// Makes the import the definition of `symbol` (an undefined symbol of the object).
    pub fn with_symbol(mut self, symbol: SymbolId) -> Import {
        self.symbol = Some(symbol);
        self
    }

    /// Marks the symbol's name explicit (see [`Import::explicit_name`]).
    pub fn with_explicit_name(mut self) -> Import {
        self.explicit_name = true;
        self
    }
}

/// A function defined in the module: its body is the `text` section `section`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Function {
    /// The section holding the body: local declarations, instructions, `end`.
    pub section: SectionId,
    /// Its signature, an index into [`WasmModule::types`].
    pub type_index: u32,
}

/// A constant expression: a global's initial value, a segment's offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConstExpr {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const`, by its bits.
    F32(u32),
    /// `f64.const`, by its bits.
    F64(u64),
    /// `global.get` of an (imported, immutable) global.
    GlobalGet(u32),
    /// `ref.null`.
    RefNull(RefType),
    /// `ref.func` of a function index.
    RefFunc(u32),
}

/// A global defined in the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    /// Type and mutability.
    pub ty: GlobalType,
    /// Initial value.
    pub init: ConstExpr,
    /// The symbol that names it, for relocations and the linker: a symbol of the object with
    /// no section, `global` or `weak` (make it `hidden` to keep it inside the linked module).
    pub symbol: Option<SymbolId>,
}

/// A table defined in the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    /// Element type and limits.
    pub ty: TableType,
    /// The symbol that names it (as for [`Global::symbol`]).
    pub symbol: Option<SymbolId>,
}

/// What an export makes visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportTarget {
    /// The function or global a symbol names. In an object this also marks the symbol
    /// exported (`WASM_SYM_EXPORTED`), so the linker keeps and exports it under this name.
    Symbol(SymbolId),
    /// A function, by index (plain modules).
    Func(u32),
    /// A table, by index (plain modules).
    Table(u32),
    /// A memory, by index (plain modules).
    Memory(u32),
    /// A global, by index (plain modules).
    Global(u32),
}

/// An export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// The name the host sees.
    pub name: String,
    /// What it is.
    pub target: ExportTarget,
}

/// A constructor the linker calls from `__wasm_call_ctors`, lowest priority first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InitFunc {
    /// Order among constructors (C's `constructor(N)`; 65535 for the default).
    pub priority: u32,
    /// The function, a `[] -> []` function symbol.
    pub symbol: SymbolId,
}

/// An active element segment of a plain module: function indices written into a table when
/// the module is instantiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// The table's index.
    pub table: u32,
    /// The first slot written.
    pub offset: u64,
    /// The functions, by index.
    pub functions: Vec<u32>,
}

/// Where a plain module's data segment goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Placement {
    /// Copied to this address of memory 0 when the module is instantiated.
    Active(u64),
    /// Passive: copied by `memory.init` when the code asks.
    Passive,
}

/// A plain module's data segment: a data section and where it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataPlacement {
    /// The data section.
    pub section: SectionId,
    /// Where it goes.
    pub placement: Placement,
}

/// How an object uses a target feature (the `target_features` section's prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FeaturePolicy {
    /// `+`: the object uses it; linking fails if it is not allowed.
    Used,
    /// `-`: the object does not use it; linking fails if it is allowed.
    Disallowed,
    /// `=`: the object uses it, and every object of the link must.
    Required,
}

impl FeaturePolicy {
    /// The prefix byte (`+`, `-`, `=`).
    pub fn prefix(self) -> u8 {
        match self {
            FeaturePolicy::Used => b'+',
            FeaturePolicy::Disallowed => b'-',
            FeaturePolicy::Required => b'=',
        }
    }

    /// The policy of a prefix character.
    pub fn from_prefix(c: char) -> Option<FeaturePolicy> {
        match c {
            '+' => Some(FeaturePolicy::Used),
            '-' => Some(FeaturePolicy::Disallowed),
            '=' => Some(FeaturePolicy::Required),
            _ => None,
        }
    }
}

/// One entry of the `target_features` section.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Feature {
    /// How the object uses it.
    pub policy: FeaturePolicy,
    /// The feature's name (`mutable-globals`, `sign-ext`, `bulk-memory`, `atomics`, ...).
    pub name: String,
}

/// What kind of file to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Output {
    /// A relocatable object for `wasm-ld`: a `linking` section, `reloc.*` sections.
    #[default]
    Object,
    /// A plain, final module that runs as it is: no linking metadata, no relocations; the
    /// backend has resolved every index and address itself.
    Module,
}

/// The WebAssembly part of an object: everything a Wasm module has that is not bytes in a
/// section. Ignored by the other formats.
///
/// Index spaces follow the format: functions are the function imports, in import order, then
/// [`WasmModule::functions`]; globals, tables and memories likewise.
///
/// ```
/// use objforge::*;
/// use objforge::wasm::{FuncType, Function, Import, ImportKind, ValType};
/// let mut obj = Object::new(Target::from_triple("wasm32-unknown-unknown").unwrap());
/// // run: i32.const 42; call print; end  (the call's index is a padded LEB the linker fills)
/// let text = obj.add_section(Section::new(".text.run", SectionKind::Text)
///     .with_bytes(vec![0x00, 0x41, 42, 0x10, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b]));
/// obj.add_symbol(Symbol::defined("run", text, 0).with_kind(SymbolKind::Func)
///     .with_binding(Binding::Global));
/// let print = obj.add_symbol(Symbol::undefined("print").with_kind(SymbolKind::Func));
/// obj.add_relocation(Relocation::new(text, 4, print, RelocKind::WasmFuncIndexLeb));
/// obj.wasm.types = vec![FuncType::new([ValType::I32], []), FuncType::default()];
/// obj.wasm.imports.push(Import::new("env", "print", ImportKind::Func(0)).with_symbol(print));
/// obj.wasm.functions.push(Function { section: text, type_index: 1 });
/// let bytes = obj.write().unwrap();
/// assert_eq!(&bytes[..8], b"\0asm\x01\0\0\0");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WasmModule {
    /// A relocatable object (the default) or a plain module.
    pub output: Output,
    /// The type section: every signature the module uses.
    pub types: Vec<FuncType>,
    /// Imports, in index order within each kind.
    pub imports: Vec<Import>,
    /// The defined functions, in index order (after the function imports): each `text`
    /// section of the object exactly once.
    pub functions: Vec<Function>,
    /// Defined tables.
    pub tables: Vec<Table>,
    /// A defined memory (plain modules; an object imports its memory).
    pub memory: Option<MemoryType>,
    /// Defined globals.
    pub globals: Vec<Global>,
    /// Exports.
    pub exports: Vec<Export>,
    /// Plain modules: the function called when the module is instantiated.
    pub start: Option<u32>,
    /// Plain modules: active element segments.
    pub elements: Vec<Element>,
    /// Plain modules: where each data section goes. Every data section with contents needs
    /// one; zero-filled (`bss`) sections without one are left out (memory starts zeroed).
    pub data: Vec<DataPlacement>,
    /// Objects: constructors for the linker's `__wasm_call_ctors`.
    pub init_funcs: Vec<InitFunc>,
    /// The `target_features` section; written when not empty.
    pub features: Vec<Feature>,
}
