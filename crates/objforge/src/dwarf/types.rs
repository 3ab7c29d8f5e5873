//! The model of what a debugger needs to show data: types, variables and parameters, and
//! where their values are (locations, as DWARF expression operations).

use super::FileId;
use crate::model::{SectionId, SymbolId};

/// Index of a type in [`DebugInfo::types`](super::DebugInfo::types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub usize);

/// How a base type's bits are read (`DW_ATE_*`, DWARF 5 table 7.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BaseEncoding {
    /// A machine address (`DW_ATE_address`).
    Address,
    /// A boolean (`DW_ATE_boolean`).
    Boolean,
    /// A binary floating-point number (`DW_ATE_float`).
    Float,
    /// A signed integer (`DW_ATE_signed`).
    Signed,
    /// A signed character (`DW_ATE_signed_char`): C's `char` and `signed char`.
    SignedChar,
    /// An unsigned integer (`DW_ATE_unsigned`).
    Unsigned,
    /// An unsigned character (`DW_ATE_unsigned_char`).
    UnsignedChar,
    /// A Unicode character (`DW_ATE_UTF`).
    Utf,
}

impl BaseEncoding {
    /// The encodings by the names the JSON spec uses.
    pub const NAMES: &'static [(&'static str, BaseEncoding)] = &[
        ("address", BaseEncoding::Address),
        ("boolean", BaseEncoding::Boolean),
        ("float", BaseEncoding::Float),
        ("signed", BaseEncoding::Signed),
        ("signed_char", BaseEncoding::SignedChar),
        ("unsigned", BaseEncoding::Unsigned),
        ("unsigned_char", BaseEncoding::UnsignedChar),
        ("utf", BaseEncoding::Utf),
    ];

    /// The `DW_ATE_*` code.
    pub fn code(self) -> u8 {
        match self {
            BaseEncoding::Address => 0x01,
            BaseEncoding::Boolean => 0x02,
            BaseEncoding::Float => 0x04,
            BaseEncoding::Signed => 0x05,
            BaseEncoding::SignedChar => 0x06,
            BaseEncoding::Unsigned => 0x07,
            BaseEncoding::UnsignedChar => 0x08,
            BaseEncoding::Utf => 0x10,
        }
    }

    /// The encoding with this name in [`BaseEncoding::NAMES`].
    pub fn from_name(name: &str) -> Option<BaseEncoding> {
        BaseEncoding::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, e)| e)
    }
}

/// A member of a struct or union (`DW_TAG_member`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its name; empty for an anonymous member.
    pub name: String,
    /// Its type.
    pub ty: TypeId,
    /// Its offset in bytes from the start of the struct (for a bit field, of the storage
    /// unit its bits are counted from).
    pub offset: u64,
    /// For a bit field: its width in bits (`DW_AT_bit_size`).
    pub bit_size: Option<u64>,
    /// For a bit field: the bit it starts at, counted from `offset` (bit 0 is the least
    /// significant bit of the byte at `offset` on a little-endian target). Written as
    /// `DW_AT_data_bit_offset = offset * 8 + bit_offset`.
    pub bit_offset: u64,
}

impl Member {
    /// A member of type `ty` at byte `offset`.
    pub fn new(name: impl Into<String>, ty: TypeId, offset: u64) -> Member {
        Member {
            name: name.into(),
            ty,
            offset,
            bit_size: None,
            bit_offset: 0,
        }
    }

    /// Makes it a bit field of `bit_size` bits from bit `bit_offset` of `offset`.
    pub fn with_bits(mut self, bit_size: u64, bit_offset: u64) -> Member {
        self.bit_size = Some(bit_size);
        self.bit_offset = bit_offset;
        self
    }
}

/// A named value of an enum (`DW_TAG_enumerator`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enumerator {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: i64,
}

/// A type (`DW_TAG_*_type`). Types refer to each other by [`TypeId`], so they may be
/// recursive (`struct node { struct node *next; }`); `None` where a type is expected means
/// `void`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Type {
    /// A base type (`DW_TAG_base_type`): `int`, `double`.
    Base {
        /// Its name.
        name: String,
        /// How its bits are read.
        encoding: BaseEncoding,
        /// Its size in bytes.
        size: u64,
    },
    /// A pointer (`DW_TAG_pointer_type`), the target's address size.
    Pointer {
        /// What it points to; `None`: `void *`.
        to: Option<TypeId>,
    },
    /// A `const`-qualified type (`DW_TAG_const_type`).
    Const {
        /// The qualified type; `None`: `const void`.
        to: Option<TypeId>,
    },
    /// A `volatile`-qualified type (`DW_TAG_volatile_type`).
    Volatile {
        /// The qualified type; `None`: `volatile void`.
        to: Option<TypeId>,
    },
    /// Another name for a type (`DW_TAG_typedef`).
    Typedef {
        /// The new name.
        name: String,
        /// The type it names; `None`: `void`.
        to: Option<TypeId>,
    },
    /// A struct (`DW_TAG_structure_type`) or union (`DW_TAG_union_type`).
    Struct {
        /// Whether it is a union.
        union: bool,
        /// Its tag name (`node` of `struct node`); empty for an anonymous one.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Its members, in order.
        members: Vec<Member>,
    },
    /// An array (`DW_TAG_array_type`).
    Array {
        /// The element type.
        element: TypeId,
        /// The number of elements of each dimension, outermost first (`int a[2][3]`:
        /// `[Some(2), Some(3)]`); `None`: unknown (`int a[]`).
        counts: Vec<Option<u64>>,
    },
    /// An enum (`DW_TAG_enumeration_type`).
    Enum {
        /// Its tag name; empty for an anonymous one.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// The integer type it is stored as, if given.
        underlying: Option<TypeId>,
        /// Its values.
        enumerators: Vec<Enumerator>,
    },
    /// A function type (`DW_TAG_subroutine_type`), what function pointers point to.
    Function {
        /// What it returns; `None`: `void`.
        returns: Option<TypeId>,
        /// Its parameters' types.
        parameters: Vec<TypeId>,
        /// Whether it takes more arguments after those (`...`).
        varargs: bool,
    },
}

impl Type {
    /// A base type.
    pub fn base(name: impl Into<String>, encoding: BaseEncoding, size: u64) -> Type {
        Type::Base {
            name: name.into(),
            encoding,
            size,
        }
    }

    /// The type's name, if it has one (the tag name of a struct, union or enum).
    pub fn name(&self) -> Option<&str> {
        match self {
            Type::Base { name, .. }
            | Type::Typedef { name, .. }
            | Type::Struct { name, .. }
            | Type::Enum { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// One DWARF expression operation (DWARF 5, 2.5 and 2.6). Registers are DWARF register
/// numbers of the target's ABI (x86_64: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp,
/// 7 rsp, 8-15 r8-r15; aarch64: 0-30 x0-x30, 31 sp).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// The value is in this register (`DW_OP_reg*`, `DW_OP_regx`).
    Reg(u16),
    /// The register's contents plus an offset (`DW_OP_breg*`, `DW_OP_bregx`).
    Breg(u16, i64),
    /// The function's frame base plus an offset (`DW_OP_fbreg`).
    Fbreg(i64),
    /// The address of a symbol plus an addend (`DW_OP_addr`, relocated).
    Addr {
        /// The symbol.
        symbol: SymbolId,
        /// Added to its address.
        addend: i64,
    },
    /// Adds a constant to the top of the stack (`DW_OP_plus_uconst`).
    PlusUconst(u64),
    /// The preceding location holds this many bytes of the value (`DW_OP_piece`).
    Piece(u64),
    /// The top of the stack is the value itself, not its address (`DW_OP_stack_value`).
    StackValue,
    /// The value is these bytes (`DW_OP_implicit_value`).
    ImplicitValue(Vec<u8>),
    /// The canonical frame address of the call frame information (`DW_OP_call_frame_cfa`).
    CallFrameCfa,
    /// Bytes of DWARF expression written as they are: anything the other operations miss.
    Raw(Vec<u8>),
}

/// Where one part of a location list applies: `size` bytes from `offset` in `section`, and
/// the location there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationEntry {
    /// The section holding the code (a function's, or its cold part's).
    pub section: SectionId,
    /// Offset of the first instruction the location applies to.
    pub offset: u64,
    /// Bytes of code (at least 1).
    pub size: u64,
    /// The location there.
    pub ops: Vec<Op>,
}

/// Where a variable's value is (`DW_AT_location` or `DW_AT_const_value`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A DWARF expression, valid wherever the variable is in scope.
    Expr(Vec<Op>),
    /// A constant value (`DW_AT_const_value`), for a variable optimized into one.
    Const(i64),
    /// Different places over different code (`.debug_loclists` for DWARF 5, `.debug_loc`
    /// for DWARF 4); where no entry applies, the value is unavailable.
    List(Vec<LocationEntry>),
    /// Nowhere: the variable exists in the source but the optimizer dropped its value. It
    /// gets a DIE without `DW_AT_location`, so a debugger still lists it (gdb prints
    /// `<optimized out>`). For a [`Variable`] this is the same as `location: None`; in an
    /// [`InlinedCall`] or [`InlinedBlock`], where a missing entry writes no DIE at all, it is
    /// the way to keep the variable listed.
    OptimizedOut,
}

/// A variable or parameter (`DW_TAG_variable`, `DW_TAG_formal_parameter`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Option<TypeId>,
    /// The file it is declared in.
    pub file: FileId,
    /// The line it is declared on (0: unknown).
    pub line: u32,
    /// Whether it is visible outside its compilation unit (globals only).
    pub external: bool,
    /// Where its value is; `None`: optimized out.
    pub location: Option<Location>,
}

impl Variable {
    /// A variable of type `ty`, declared in file 0 on an unknown line, not external, with no
    /// location.
    pub fn new(name: impl Into<String>, ty: TypeId) -> Variable {
        Variable {
            name: name.into(),
            ty: Some(ty),
            file: FileId(0),
            line: 0,
            external: false,
            location: None,
        }
    }

    /// Sets where it is.
    pub fn with_location(mut self, location: Location) -> Variable {
        self.location = Some(location);
        self
    }

    /// Sets the file and line of the declaration.
    pub fn with_declaration(mut self, file: FileId, line: u32) -> Variable {
        self.file = file;
        self.line = line;
        self
    }

    /// Sets whether it is visible outside its compilation unit.
    pub fn with_external(mut self, external: bool) -> Variable {
        self.external = external;
        self
    }
}

/// A function that code was inlined from, described once (`DW_TAG_subprogram` with
/// `DW_AT_inline`): what every [`InlinedCall`] of it shares. It has no code of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineFunction {
    /// The source-level name.
    pub name: String,
    /// The symbol name, when it differs from `name`.
    pub linkage_name: Option<String>,
    /// The file it is declared in.
    pub file: FileId,
    /// The line it is declared on (0: unknown).
    pub line: u32,
    /// Whether it is visible outside its compilation unit.
    pub external: bool,
    /// Whether it was declared with a prototype.
    pub prototyped: bool,
    /// What it returns; `None`: `void`.
    pub return_type: Option<TypeId>,
    /// Its parameters (their locations are ignored: each call gives its own).
    pub parameters: Vec<Variable>,
    /// Its locals (their locations are ignored: each call gives its own).
    pub variables: Vec<Variable>,
    /// Its `{ }` scopes, each naming the locals declared in it; a local no block names is
    /// declared in the function's outermost scope. A copy's [`InlinedBlock`] points at one
    /// of these (`DW_AT_abstract_origin`): without that link gdb adds the abstract block's
    /// locals to the copy's outermost scope too, listing them twice.
    pub blocks: Vec<InlineBlock>,
}

/// A `{ }` scope of an [`InlineFunction`] (an abstract `DW_TAG_lexical_block`, without code).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InlineBlock {
    /// The locals declared in it, by index into [`InlineFunction::variables`].
    pub variables: Vec<usize>,
    /// Blocks nested in it.
    pub blocks: Vec<InlineBlock>,
}

impl InlineBlock {
    /// The blocks of `blocks` and of the blocks in them, in pre-order (a block before those
    /// nested in it): the numbering [`InlinedBlock::origin`] uses.
    pub fn preorder(blocks: &[InlineBlock]) -> Vec<&InlineBlock> {
        let mut out = Vec::new();
        let mut pending: Vec<&InlineBlock> = blocks.iter().rev().collect();
        while let Some(b) = pending.pop() {
            out.push(b);
            pending.extend(b.blocks.iter().rev());
        }
        out
    }
}

impl InlineFunction {
    /// An inline function declared in file 0 on an unknown line, with no parameters.
    pub fn new(name: impl Into<String>) -> InlineFunction {
        InlineFunction {
            name: name.into(),
            linkage_name: None,
            file: FileId(0),
            line: 0,
            external: false,
            prototyped: false,
            return_type: None,
            parameters: Vec::new(),
            variables: Vec::new(),
            blocks: Vec::new(),
        }
    }
}

/// Code inlined from an [`InlineFunction`] (`DW_TAG_inlined_subroutine`), inside a function,
/// a block or another inlined call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlinedCall {
    /// Index of the function in [`DebugInfo::inline_functions`](super::DebugInfo::inline_functions).
    pub function: usize,
    /// Where the inlined code is, the first range first: debuggers take its start as the
    /// entry, where `break function` stops.
    pub ranges: Vec<super::CodeRange>,
    /// The file of the call.
    pub call_file: FileId,
    /// The line of the call.
    pub call_line: u32,
    /// The column of the call (0: unknown).
    pub call_column: u32,
    /// Where each of the function's parameters is in this copy, by index. Missing or
    /// `None`: the copy has no DIE for it (a debugger does not list it);
    /// [`Location::OptimizedOut`]: listed, without a value.
    pub parameters: Vec<Option<Location>>,
    /// Where each of the function's locals is in this copy's outermost scope, by index (as
    /// `parameters`).
    pub variables: Vec<Option<Location>>,
    /// Lexical blocks of this copy, each with the locals declared in it: a debugger lists
    /// an inlined frame's locals innermost block first, as it does a function's.
    pub blocks: Vec<InlinedBlock>,
    /// Calls inlined into this copy.
    pub inlined: Vec<InlinedCall>,
}

/// A lexical block inside an [`InlinedCall`] (`DW_TAG_lexical_block`): the code of a `{ }`
/// scope of the inline function in that copy, and where the locals declared in it are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlinedBlock {
    /// The block of the inline function it is a copy of, by its place in
    /// [`InlineBlock::preorder`] of [`InlineFunction::blocks`]; `None`: a block the abstract
    /// function does not describe.
    pub origin: Option<usize>,
    /// Where its code is, the first range first (one range: `DW_AT_low_pc`/`DW_AT_high_pc`;
    /// several: `DW_AT_ranges`).
    pub ranges: Vec<super::CodeRange>,
    /// Where each of the inline function's locals declared in this block is, by index into
    /// [`InlineFunction::variables`] (as [`InlinedCall::variables`]).
    pub variables: Vec<Option<Location>>,
    /// Blocks nested in this one.
    pub blocks: Vec<InlinedBlock>,
    /// Calls inlined into this block.
    pub inlined: Vec<InlinedCall>,
}

impl InlinedBlock {
    /// A block over `ranges`, with no variables yet.
    pub fn new(ranges: Vec<super::CodeRange>) -> InlinedBlock {
        InlinedBlock {
            origin: None,
            ranges,
            variables: Vec::new(),
            blocks: Vec::new(),
            inlined: Vec::new(),
        }
    }
}

impl InlinedCall {
    /// A copy of `inline_functions[function]` in `ranges`, called from `call_file` on
    /// `call_line`.
    pub fn new(
        function: usize,
        ranges: Vec<super::CodeRange>,
        call_file: FileId,
        call_line: u32,
    ) -> InlinedCall {
        InlinedCall {
            function,
            ranges,
            call_file,
            call_line,
            call_column: 0,
            parameters: Vec::new(),
            variables: Vec::new(),
            blocks: Vec::new(),
            inlined: Vec::new(),
        }
    }
}

/// What a [`CallSite`] calls (`DW_AT_call_origin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallTarget {
    /// A function of the description, by index into
    /// [`DebugInfo::functions`](super::DebugInfo::functions).
    Function(usize),
    /// An inline function (an out-of-line copy of it is called), by index into
    /// [`DebugInfo::inline_functions`](super::DebugInfo::inline_functions).
    Inline(usize),
    /// A function defined elsewhere (`printf`), by name: the unit gets one declaration
    /// (`DW_AT_declaration`) for each name called.
    External(String),
}

/// A call in a function's code (`DW_TAG_call_site` in DWARF 5, `DW_TAG_GNU_call_site` in
/// DWARF 4). A debugger in the callee finds the caller's call site by the return address,
/// and from its parameters the values the callee's parameters had at entry: what
/// `DW_OP_entry_value` in the callee's locations asks for, and what gdb prints as
/// `x@entry=4`.
///
/// ```
/// use objforge::dwarf::{CallSite, CallSiteParameter, CallTarget, Op};
/// // `call scale` returning to offset 16, its second argument (rsi, DWARF register 4) the
/// // constant 4: DW_OP_lit4, DW_OP_stack_value.
/// let site = CallSite {
///     return_offset: 16,
///     origin: Some(CallTarget::External("scale".into())),
///     parameters: vec![CallSiteParameter {
///         location: vec![Op::Reg(4)],
///         value: vec![Op::Raw(vec![0x34]), Op::StackValue],
///     }],
/// };
/// # let _ = site;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// The return address (the instruction after the call), as an offset in the
    /// function's section (`DW_AT_call_return_pc`; DWARF 4: `DW_AT_low_pc`).
    pub return_offset: u64,
    /// What it calls; `None`: not known (an indirect call).
    pub origin: Option<CallTarget>,
    /// The arguments whose values are known at the call.
    pub parameters: Vec<CallSiteParameter>,
}

/// An argument of a [`CallSite`] (`DW_TAG_call_site_parameter`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSiteParameter {
    /// Where the argument is passed: a register (`[Op::Reg(5)]`, rdi), `DW_AT_location`.
    pub location: Vec<Op>,
    /// An expression for its value, computed in the caller's frame as it was at the call
    /// (`DW_AT_call_value`; DWARF 4: `DW_AT_GNU_call_site_value`): `[Op::Breg(3, 0)]` for
    /// "what rbx holds", which a debugger can still read after the callee returns.
    pub value: Vec<Op>,
}
