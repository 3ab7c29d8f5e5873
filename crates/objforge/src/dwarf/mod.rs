//! DWARF debug information: line tables, a compile unit and its functions, described by a
//! backend that does not need to know DWARF.
//!
//! While it emits code, a backend records in a [`DebugInfo`] which source line each
//! instruction came from ([`LineRow`]) and where each function is ([`Function`]); for a
//! debugger to show data, also the [`Type`]s, the global [`Variable`]s, and each function's
//! parameters, locals and their [`Location`]s; for optimized code, inlined copies
//! ([`InlinedCall`], with their [`InlinedBlock`]s) and [`CallSite`]s, from which a debugger
//! recovers parameters' values at entry. Then
//! [`Object::add_debug_info`] lowers that into ordinary
//! [`SectionKind::Debug`](crate::SectionKind::Debug) sections,
//! symbols and relocations of the object, so every container writer just writes them.
//!
//! What is written, for DWARF 5 (the default) and DWARF 4, always 32-bit DWARF:
//!
//! | section | DWARF 5 | DWARF 4 |
//! |---|---|---|
//! | `.debug_info`, `.debug_abbrev` | one compile unit with its subprograms and lexical blocks | same |
//! | `.debug_line` | the line table, paths in `.debug_line_str` | the line table, paths inline |
//! | `.debug_str` | names, through `.debug_str_offsets` (`DW_FORM_strx*`) | names (`DW_FORM_strp`) |
//! | `.debug_addr` | every address the unit uses (`DW_FORM_addrx`) | — (addresses inline) |
//! | `.debug_rnglists` / `.debug_ranges` | the unit's ranges, when its code is in more than one section, and those of functions and blocks in [pieces](Function::pieces) | same |
//! | `.debug_loclists` / `.debug_loc` | [location lists](Location::List) | same |
//! | `.debug_aranges` | — | the unit's address ranges |
//!
//! How offsets and addresses are linked depends on the format: on ELF and COFF an address is an
//! `abs32`/`abs64` relocation against the code section and an offset into a debug section a
//! `secrel32` relocation against that debug section (ELF spells it `R_*_32`); on Mach-O the
//! sections go in the `__DWARF` segment, offsets are written in place (Apple's linker does not
//! link DWARF) and only addresses are relocated.
//!
//! ```
//! use objforge::*;
//! use objforge::dwarf::{lang, DebugInfo, Function, LineRow};
//! let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
//! // f: lea eax, [rdi+1]; ret
//! let text = obj.add_section(
//!     Section::new(".text", SectionKind::Text).with_bytes(vec![0x8d, 0x47, 0x01, 0xc3]),
//! );
//! obj.add_symbol(Symbol::defined("f", text, 0).with_kind(SymbolKind::Func)
//!     .with_binding(Binding::Global).with_size(4));
//!
//! let mut debug = DebugInfo::new("f.mini", "/src");
//! debug.language = Some(lang::C99);
//! let file = debug.add_file("f.mini");
//! debug.add_row(LineRow::new(text, 0, file, 2).with_column(5)); // lea: line 2
//! debug.add_row(LineRow::new(text, 3, file, 3)); // ret: line 3
//! debug.add_function(Function::new("f", text, 0, 4).with_declaration(file, 1).with_external(true));
//! let added = obj.add_debug_info(&debug).unwrap();
//! assert_eq!(obj.sections[added[0].index()].name, ".debug_abbrev");
//! let bytes = obj.write().unwrap();
//! assert_eq!(&bytes[..4], b"\x7fELF");
//! ```

mod check;
mod consts;
mod data;
mod encode;
mod info;
mod line;
mod lower;
mod types;

pub use types::{
    BaseEncoding, CallSite, CallSiteParameter, CallTarget, Enumerator, InlineBlock, InlineFunction,
    InlinedBlock, InlinedCall, Location, LocationEntry, Member, Op, Type, TypeId, Variable,
};

use std::collections::HashMap;

use crate::error::Error;
use crate::model::{Object, SectionId};

/// `DW_LANG_*` source language codes for [`DebugInfo::language`] (DWARF 5, table 7.17).
pub mod lang {
    /// ISO C 1989.
    pub const C89: u16 = 0x0001;
    /// Non-standard C (K&R).
    pub const C: u16 = 0x0002;
    /// ISO C++ 1998.
    pub const C_PLUS_PLUS: u16 = 0x0004;
    /// Fortran 90.
    pub const FORTRAN90: u16 = 0x0008;
    /// Pascal 1983.
    pub const PASCAL83: u16 = 0x0009;
    /// Java.
    pub const JAVA: u16 = 0x000b;
    /// ISO C 1999.
    pub const C99: u16 = 0x000c;
    /// Ada 1995.
    pub const ADA95: u16 = 0x000d;
    /// Objective-C.
    pub const OBJC: u16 = 0x0010;
    /// D.
    pub const D: u16 = 0x0013;
    /// Python.
    pub const PYTHON: u16 = 0x0014;
    /// Go.
    pub const GO: u16 = 0x0016;
    /// Haskell.
    pub const HASKELL: u16 = 0x0018;
    /// ISO C++ 2011.
    pub const C_PLUS_PLUS_11: u16 = 0x001a;
    /// OCaml.
    pub const OCAML: u16 = 0x001b;
    /// Rust.
    pub const RUST: u16 = 0x001c;
    /// ISO C 2011.
    pub const C11: u16 = 0x001d;
    /// Swift.
    pub const SWIFT: u16 = 0x001e;
    /// Julia.
    pub const JULIA: u16 = 0x001f;
    /// ISO C++ 2014.
    pub const C_PLUS_PLUS_14: u16 = 0x0021;
    /// Assembly language (`DW_LANG_Mips_Assembler`, which GNU as writes for any assembly).
    pub const ASSEMBLY: u16 = 0x8001;

    /// Names the JSON `debug.language` field accepts, with their codes.
    pub const NAMES: &[(&str, u16)] = &[
        ("c89", C89),
        ("c", C),
        ("c99", C99),
        ("c11", C11),
        ("c++", C_PLUS_PLUS),
        ("c++11", C_PLUS_PLUS_11),
        ("c++14", C_PLUS_PLUS_14),
        ("rust", RUST),
        ("go", GO),
        ("swift", SWIFT),
        ("d", D),
        ("fortran90", FORTRAN90),
        ("pascal83", PASCAL83),
        ("java", JAVA),
        ("ada95", ADA95),
        ("objc", OBJC),
        ("python", PYTHON),
        ("haskell", HASKELL),
        ("ocaml", OCAML),
        ("julia", JULIA),
        ("assembly", ASSEMBLY),
    ];

    /// The code for one of [`NAMES`].
    pub fn from_name(name: &str) -> Option<u16> {
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, code)| code)
    }
}

/// The DWARF version to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DwarfVersion {
    /// DWARF 4: strings by offset, addresses inline, `.debug_ranges` and `.debug_aranges`.
    V4,
    /// DWARF 5 ([`DebugInfo::new`]'s default; [`Object::default_dwarf_version`] gives the
    /// platform's, 4 for older Apple targets): string and address indices, `.debug_line_str`,
    /// `.debug_rnglists`.
    #[default]
    V5,
}

impl DwarfVersion {
    /// The version number (4 or 5).
    pub fn number(self) -> u16 {
        match self {
            DwarfVersion::V4 => 4,
            DwarfVersion::V5 => 5,
        }
    }

    /// The version with this number, if objforge writes it.
    pub fn from_number(number: u64) -> Option<DwarfVersion> {
        match number {
            4 => Some(DwarfVersion::V4),
            5 => Some(DwarfVersion::V5),
            _ => None,
        }
    }
}

/// Index of a source file in [`DebugInfo::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// One row of the line table: the instruction at `offset` in `section` came from `line` (and
/// `column`) of `file`. Or, with `end_sequence`, the end of a contiguous run of code: the
/// first byte after it.
///
/// Rows of one section go in address order. A section's last run ends where its last
/// `end_sequence` row says, or at the end of the section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRow {
    /// The section holding the code.
    pub section: SectionId,
    /// Offset of the instruction (or, for `end_sequence`, of the first byte after the run).
    pub offset: u64,
    /// The source file.
    pub file: FileId,
    /// 1-based line number; 0 means the code comes from no particular line.
    pub line: u32,
    /// 1-based column; 0 means unknown.
    pub column: u32,
    /// Whether this is a recommended place for a breakpoint (the start of a statement).
    pub is_stmt: bool,
    /// Whether the row ends a run of code instead of describing an instruction.
    pub end_sequence: bool,
}

impl LineRow {
    /// The instruction at `offset` in `section` comes from `line` of `file`; column unknown,
    /// a statement.
    pub fn new(section: SectionId, offset: u64, file: FileId, line: u32) -> LineRow {
        LineRow {
            section,
            offset,
            file,
            line,
            column: 0,
            is_stmt: true,
            end_sequence: false,
        }
    }

    /// The run of code in `section` ends before `offset`.
    pub fn end_sequence(section: SectionId, offset: u64) -> LineRow {
        LineRow {
            end_sequence: true,
            ..LineRow::new(section, offset, FileId(0), 0)
        }
    }

    /// Sets the column.
    pub fn with_column(mut self, column: u32) -> LineRow {
        self.column = column;
        self
    }

    /// Sets whether the row starts a statement.
    pub fn with_is_stmt(mut self, is_stmt: bool) -> LineRow {
        self.is_stmt = is_stmt;
        self
    }
}

/// A range of code: `size` bytes from `offset` in `section`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CodeRange {
    /// The section holding the code.
    pub section: SectionId,
    /// Offset of the first byte.
    pub offset: u64,
    /// Bytes of code (at least 1).
    pub size: u64,
}

/// A lexical block (a `{ ... }` scope) inside a function: a range of the function's section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexicalBlock {
    /// Offset of the block's first instruction in the function's section.
    pub offset: u64,
    /// Bytes of code in the block (at least 1).
    pub size: u64,
    /// Blocks nested in it, each (its `offset..offset + size`) within this block's main range
    /// or one of its pieces in the function's section.
    pub blocks: Vec<LexicalBlock>,
    /// Variables declared in the block (`DW_TAG_variable`).
    pub variables: Vec<Variable>,
    /// Further ranges of the block's code besides `offset..offset + size` (code moved to a
    /// cold section, say); with any, the block is written with a range list.
    pub pieces: Vec<CodeRange>,
    /// Code inlined into the block.
    pub inlined: Vec<InlinedCall>,
}

impl LexicalBlock {
    /// A block of `size` bytes at `offset` of the enclosing function's section.
    pub fn new(offset: u64, size: u64) -> LexicalBlock {
        LexicalBlock {
            offset,
            size,
            blocks: Vec::new(),
            variables: Vec::new(),
            pieces: Vec::new(),
            inlined: Vec::new(),
        }
    }

    /// Adds a variable declared in the block.
    pub fn with_variable(mut self, variable: Variable) -> LexicalBlock {
        self.variables.push(variable);
        self
    }

    /// Adds a nested block.
    pub fn with_block(mut self, block: LexicalBlock) -> LexicalBlock {
        self.blocks.push(block);
        self
    }
}

/// A function (`DW_TAG_subprogram`): its name, where its code is, where it is declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// The source-level name (`bump`).
    pub name: String,
    /// The symbol name, when it differs from `name` (`_ZN4main4bumpE`).
    pub linkage_name: Option<String>,
    /// The section holding the code.
    pub section: SectionId,
    /// Offset of the first instruction.
    pub offset: u64,
    /// Bytes of code (at least 1).
    pub size: u64,
    /// The file it is declared in.
    pub file: FileId,
    /// The line it is declared on (0: unknown).
    pub line: u32,
    /// Whether it is visible outside its compilation unit.
    pub external: bool,
    /// Lexical blocks in it.
    pub blocks: Vec<LexicalBlock>,
    /// The type it returns (`DW_AT_type`); `None`: it returns nothing (`void`).
    pub return_type: Option<TypeId>,
    /// Whether it was declared with a prototype (`DW_AT_prototyped`, C's `int f(void)`).
    pub prototyped: bool,
    /// Where its frame base is (`DW_AT_frame_base`), which [`Op::Fbreg`] locations of its
    /// variables are relative to: typically `[Op::Reg(6)]` (rbp) or `[Op::CallFrameCfa]`.
    pub frame_base: Option<Vec<Op>>,
    /// Its parameters in order (`DW_TAG_formal_parameter`).
    pub parameters: Vec<Variable>,
    /// Its local variables outside any block (`DW_TAG_variable`).
    pub variables: Vec<Variable>,
    /// Further ranges of its code besides `offset..offset + size` (a hot/cold split); with
    /// any, the function is written with a range list whose first range is the main one,
    /// which debuggers take as the entry.
    pub pieces: Vec<CodeRange>,
    /// Code inlined into it outside any block.
    pub inlined: Vec<InlinedCall>,
    /// The calls in its code (those of code inlined into it included) that a debugger can
    /// recover entry values through.
    pub call_sites: Vec<CallSite>,
    /// Whether `call_sites` lists every call in its code (`DW_AT_call_all_calls`; DWARF 4:
    /// `DW_AT_GNU_all_call_sites`), which lets a debugger rule out calls it does not see.
    /// Verifiers (`llvm-dwarfdump --verify`) expect it on a function with call sites.
    pub all_calls: bool,
    /// Whether `call_sites` lists at least every tail call (`DW_AT_call_all_tail_calls`;
    /// DWARF 4: `DW_AT_GNU_all_tail_call_sites`): GCC says this where it cannot say
    /// `all_calls`.
    pub all_tail_calls: bool,
}

impl Function {
    /// A function of `size` bytes at `offset` in `section`, declared in file 0 on an unknown
    /// line, not external.
    pub fn new(name: impl Into<String>, section: SectionId, offset: u64, size: u64) -> Function {
        Function {
            name: name.into(),
            linkage_name: None,
            section,
            offset,
            size,
            file: FileId(0),
            line: 0,
            external: false,
            blocks: Vec::new(),
            return_type: None,
            prototyped: false,
            frame_base: None,
            parameters: Vec::new(),
            variables: Vec::new(),
            pieces: Vec::new(),
            inlined: Vec::new(),
            call_sites: Vec::new(),
            all_calls: false,
            all_tail_calls: false,
        }
    }

    /// Sets the return type.
    pub fn with_return_type(mut self, ty: TypeId) -> Function {
        self.return_type = Some(ty);
        self
    }

    /// Sets the frame base.
    pub fn with_frame_base(mut self, ops: Vec<Op>) -> Function {
        self.frame_base = Some(ops);
        self
    }

    /// Adds a parameter (after those added before).
    pub fn with_parameter(mut self, parameter: Variable) -> Function {
        self.parameters.push(parameter);
        self
    }

    /// Adds a local variable.
    pub fn with_variable(mut self, variable: Variable) -> Function {
        self.variables.push(variable);
        self
    }

    /// Sets the linkage (symbol) name.
    pub fn with_linkage_name(mut self, name: impl Into<String>) -> Function {
        self.linkage_name = Some(name.into());
        self
    }

    /// Sets the file and line of the declaration.
    pub fn with_declaration(mut self, file: FileId, line: u32) -> Function {
        self.file = file;
        self.line = line;
        self
    }

    /// Sets whether the function is visible outside its compilation unit.
    pub fn with_external(mut self, external: bool) -> Function {
        self.external = external;
        self
    }

    /// Adds a lexical block.
    pub fn with_block(mut self, block: LexicalBlock) -> Function {
        self.blocks.push(block);
        self
    }
}

/// Debug information for one compilation unit, as a backend records it while emitting code.
/// [`Object::add_debug_info`] writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebugInfo {
    /// The DWARF version to write.
    pub version: DwarfVersion,
    /// The compiler that made the code (`DW_AT_producer`); empty: not written.
    pub producer: String,
    /// The source language, a [`lang`] code (`DW_AT_language`); `None`: not written.
    pub language: Option<u16>,
    /// The primary source file (`DW_AT_name`), as given to the compiler.
    pub name: String,
    /// The directory the compiler ran in (`DW_AT_comp_dir`); relative paths are relative to it.
    pub comp_dir: String,
    /// Source files the line table and declarations refer to, by [`FileId`]. A path may be
    /// relative to `comp_dir` or absolute.
    pub files: Vec<String>,
    /// The line table's rows, in address order within each section.
    pub lines: Vec<LineRow>,
    /// The functions.
    pub functions: Vec<Function>,
    /// The types variables, members and functions refer to by [`TypeId`]; each is written
    /// once.
    pub types: Vec<Type>,
    /// Global (and file-static) variables.
    pub variables: Vec<Variable>,
    /// Functions that code was inlined from, which [`InlinedCall`]s refer to by index.
    pub inline_functions: Vec<InlineFunction>,
}

impl DebugInfo {
    /// Debug information for the unit compiled from `name` in `comp_dir`, DWARF 5, with no
    /// files, rows or functions yet.
    pub fn new(name: impl Into<String>, comp_dir: impl Into<String>) -> DebugInfo {
        DebugInfo {
            version: DwarfVersion::default(),
            producer: String::new(),
            language: None,
            name: name.into(),
            comp_dir: comp_dir.into(),
            files: Vec::new(),
            lines: Vec::new(),
            functions: Vec::new(),
            types: Vec::new(),
            variables: Vec::new(),
            inline_functions: Vec::new(),
        }
    }

    /// Adds a type and returns its id.
    pub fn add_type(&mut self, ty: Type) -> TypeId {
        self.types.push(ty);
        TypeId(self.types.len() - 1)
    }

    /// Adds a global variable.
    pub fn add_variable(&mut self, variable: Variable) {
        self.variables.push(variable);
    }

    /// Adds a source file and returns its id.
    pub fn add_file(&mut self, path: impl Into<String>) -> FileId {
        self.files.push(path.into());
        FileId(self.files.len() - 1)
    }

    /// Adds a line table row.
    pub fn add_row(&mut self, row: LineRow) {
        self.lines.push(row);
    }

    /// Ends the run of code in `section` before `offset` (adds an `end_sequence` row).
    pub fn end_sequence(&mut self, section: SectionId, offset: u64) {
        self.lines.push(LineRow::end_sequence(section, offset));
    }

    /// Adds a function.
    pub fn add_function(&mut self, function: Function) {
        self.functions.push(function);
    }
}

impl Object {
    /// Writes `debug` into the object as DWARF: appends the debug sections (returned in order),
    /// section symbols and relocations. Call it once, after the code sections have their final
    /// bytes.
    ///
    /// Errors name the place in `debug` (`debug.lines[3].file`); on error the object is left
    /// unchanged.
    pub fn add_debug_info(&mut self, debug: &DebugInfo) -> Result<Vec<SectionId>, Error> {
        check::check(self, debug)?;
        let unit = Unit::new(self, debug);
        let mut sections = info::build(self, debug, &unit);
        sections.extend(line::build(self, debug, &unit));
        lower::append(self, sections)
    }
}

/// What the line table and the unit share: the file table, the line table's sequences and
/// the unit's address ranges.
struct Unit<'a> {
    /// DWARF file number of each [`FileId`].
    file_numbers: Vec<u64>,
    /// The line table's file entries, in order (DWARF 5: entry 0 is the primary file).
    file_entries: Vec<&'a str>,
    /// The runs of contiguous code the rows describe.
    sequences: Vec<line::Sequence<'a>>,
    /// (section, start, end) of the code the unit covers, per section, in first-use order.
    ranges: Vec<(SectionId, u64, u64)>,
}

impl<'a> Unit<'a> {
    fn new(obj: &Object, debug: &'a DebugInfo) -> Unit<'a> {
        // DWARF 5 numbers files from 0 and entry 0 is the primary source file; DWARF 4
        // numbers them from 1. Equal paths share an entry (so the primary file is not
        // listed twice in DWARF 5).
        let mut file_entries: Vec<&str> = Vec::new();
        let mut entry_of: HashMap<&str, usize> = HashMap::new();
        if debug.version == DwarfVersion::V5 {
            file_entries.push(&debug.name);
            entry_of.insert(&debug.name, 0);
        }
        let base = u64::from(debug.version == DwarfVersion::V4);
        let mut file_numbers = Vec::with_capacity(debug.files.len());
        for path in &debug.files {
            let next = file_entries.len();
            let index = *entry_of.entry(path).or_insert(next);
            if index == next {
                file_entries.push(path);
            }
            file_numbers.push(index as u64 + base);
        }

        let mut ranges: Vec<(SectionId, u64, u64)> = Vec::new();
        let mut range_of: HashMap<SectionId, usize> = HashMap::new();
        let mut cover = |section: SectionId, start: u64, end: u64| {
            let next = ranges.len();
            let i = *range_of.entry(section).or_insert(next);
            match ranges.get_mut(i) {
                Some(r) => {
                    r.1 = r.1.min(start);
                    r.2 = r.2.max(end);
                }
                None => ranges.push((section, start, end)),
            }
        };
        let sequences = line::sequences(obj, debug);
        for sequence in &sequences {
            cover(sequence.section, sequence.start, sequence.end);
        }
        for f in &debug.functions {
            cover(f.section, f.offset, f.offset.saturating_add(f.size));
            for p in &f.pieces {
                cover(p.section, p.offset, p.offset.saturating_add(p.size));
            }
        }
        Unit {
            file_numbers,
            file_entries,
            sequences,
            ranges,
        }
    }

    /// The DWARF file number of `file` (checked to exist).
    fn file_number(&self, file: FileId) -> u64 {
        self.file_numbers.get(file.0).copied().unwrap_or(0)
    }
}
