//! The format-neutral object model a backend fills in: sections, symbols, relocations.

pub(crate) mod local_entry;
mod lookup;
mod name;

pub use name::Name;

use crate::platform::Platform;
use crate::reloc::RelocKind;
use crate::target::Target;

pub(crate) mod wasm;

/// Index of a section in its [`Object`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SectionId(pub u32);

/// Index of a symbol in its [`Object`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u32);

/// Index of a relocation in its [`Object`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelocationId(pub u32);

macro_rules! id_index {
    ($($id:ident),*) => {$(
        impl $id {
            /// The id of the `index`-th entry: `u32::MAX` for any index past it, which no
            /// valid object has (validation refuses more than `u32::MAX` sections, symbols or
            /// relocations), so an id never wraps onto another entry.
            #[inline]
            pub fn from_index(index: usize) -> $id {
                $id(u32::try_from(index).unwrap_or(u32::MAX))
            }

            /// The index it names in its vector.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}
id_index!(SectionId, SymbolId, RelocationId);

/// What a section holds; decides its format type and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SectionKind {
    /// Executable code.
    Text,
    /// Writable initialised data.
    Data,
    /// Read-only data.
    Rodata,
    /// Zero-initialised writable data (takes no file space).
    Bss,
    /// Thread-local initialised data.
    TlsData,
    /// Thread-local zero-initialised data.
    TlsBss,
    /// Debug information (not loaded).
    Debug,
    /// Anything else: not loaded, no flags; the name decides the rest.
    Other,
}

impl SectionKind {
    /// Its name, as JSON specs and `objforge dump` spell it.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Text => "text",
            SectionKind::Data => "data",
            SectionKind::Rodata => "rodata",
            SectionKind::Bss => "bss",
            SectionKind::TlsData => "tls_data",
            SectionKind::TlsBss => "tls_bss",
            SectionKind::Debug => "debug",
            SectionKind::Other => "other",
        }
    }

    /// Parses a name [`Self::name`] gives.
    pub fn from_name(name: &str) -> Option<SectionKind> {
        Some(match name {
            "text" => SectionKind::Text,
            "data" => SectionKind::Data,
            "rodata" => SectionKind::Rodata,
            "bss" => SectionKind::Bss,
            "tls_data" => SectionKind::TlsData,
            "tls_bss" => SectionKind::TlsBss,
            "debug" => SectionKind::Debug,
            "other" => SectionKind::Other,
            _ => return None,
        })
    }

    /// Whether the section takes no file space (only a size).
    pub fn is_zero_fill(self) -> bool {
        matches!(self, SectionKind::Bss | SectionKind::TlsBss)
    }

    /// Whether the section is loaded into memory when the program runs.
    pub fn is_allocated(self) -> bool {
        !matches!(self, SectionKind::Debug | SectionKind::Other)
    }
}

/// A section's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SectionData {
    /// Bytes, with relocated fields zero.
    Bytes(Vec<u8>),
    /// This many zero bytes (no file space for `bss` kinds).
    Zero(u64),
}

impl SectionData {
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        match self {
            SectionData::Bytes(b) => b.len() as u64,
            SectionData::Zero(n) => *n,
        }
    }

    /// Whether the section is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, if the contents are bytes (not zero fill).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            SectionData::Bytes(b) => Some(b),
            SectionData::Zero(_) => None,
        }
    }

    /// The contents as bytes, zero fill included.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            SectionData::Bytes(b) => b.clone(),
            SectionData::Zero(n) => vec![0; *n as usize],
        }
    }
}

/// Extra format flags for a section (the names of JSON specs' `flags` list).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SectionFlags {
    /// NUL-terminated strings the linker may merge (ELF `SHF_MERGE|SHF_STRINGS`).
    pub merge_strings: bool,
    /// Fixed-size constants the linker may merge (ELF `SHF_MERGE`); needs an entry size.
    pub merge: bool,
    /// The linker drops the section from the output (ELF `SHF_EXCLUDE`).
    pub exclude: bool,
    /// The linker keeps the section even if nothing references it (ELF `SHF_GNU_RETAIN`).
    pub retain: bool,
}

impl SectionFlags {
    /// Every flag name [`SectionFlags::set`] accepts.
    pub const NAMES: &'static [&'static str] = &["merge_strings", "merge", "exclude", "retain"];

    /// Sets the flag called `name`; false if there is no such flag.
    pub fn set(&mut self, name: &str) -> bool {
        match name {
            "merge_strings" => self.merge_strings = true,
            "merge" => self.merge = true,
            "exclude" => self.exclude = true,
            "retain" => self.retain = true,
            _ => return false,
        }
        true
    }
}

/// How the linker chooses among COMDATs of the same name from different objects: COFF's
/// `IMAGE_COMDAT_SELECT_*`. ELF section groups always behave as [`ComdatSelection::Any`].
///
/// The selection belongs to the group: any section of it may state it, and those that do must
/// agree. The other sections of a group follow its leader (COFF: they are associative to it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ComdatSelection {
    /// Keep any one of them (the default).
    #[default]
    Any,
    /// More than one is an error (a duplicate symbol).
    NoDuplicates,
    /// Keep any one; they must all have the same size.
    SameSize,
    /// Keep any one; they must all have the same contents.
    ExactMatch,
    /// Keep the largest.
    Largest,
    /// Keep this section exactly when the given section of the same group is kept.
    Associative(SectionId),
}

impl ComdatSelection {
    /// The names, in `IMAGE_COMDAT_SELECT_*` order.
    pub const NAMES: &'static [&'static str] = &[
        "no_duplicates",
        "any",
        "same_size",
        "exact_match",
        "associative",
        "largest",
    ];

    /// Its name, as JSON specs and `objforge dump` spell it.
    pub fn name(self) -> &'static str {
        match self {
            ComdatSelection::Any => "any",
            ComdatSelection::NoDuplicates => "no_duplicates",
            ComdatSelection::SameSize => "same_size",
            ComdatSelection::ExactMatch => "exact_match",
            ComdatSelection::Largest => "largest",
            ComdatSelection::Associative(_) => "associative",
        }
    }

    /// Parses a name [`ComdatSelection::name`] gives; `associative` needs its section, so it is `None` here.
    pub fn from_name(name: &str) -> Option<ComdatSelection> {
        Some(match name {
            "any" => ComdatSelection::Any,
            "no_duplicates" => ComdatSelection::NoDuplicates,
            "same_size" => ComdatSelection::SameSize,
            "exact_match" => ComdatSelection::ExactMatch,
            "largest" => ComdatSelection::Largest,
            _ => return None,
        })
    }
}

/// A section: a named run of bytes (or zero fill) with a kind and alignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The name as the format spells it (`.text`, `.rodata.str1.1`).
    pub name: String,
    /// What it holds.
    pub kind: SectionKind,
    /// Alignment in bytes, a power of two.
    pub align: u64,
    /// Contents.
    pub data: SectionData,
    /// Extra flags.
    pub flags: SectionFlags,
    /// Entry size for merge sections (ELF `sh_entsize`); 0 = the format's default.
    pub entsize: u64,
    /// The COMDAT group (ELF section group) the section belongs to, by group name.
    pub comdat: Option<String>,
    /// How the linker chooses among same-named COMDATs (COFF); ignored by ELF, whose groups
    /// always behave as [`ComdatSelection::Any`]. Only meaningful with `comdat`.
    pub comdat_selection: ComdatSelection,
}

impl Section {
    /// An empty section of `kind` called `name`, aligned to 1.
    pub fn new(name: impl Into<String>, kind: SectionKind) -> Section {
        let data = if kind.is_zero_fill() {
            SectionData::Zero(0)
        } else {
            SectionData::Bytes(Vec::new())
        };
        Section {
            name: name.into(),
            kind,
            align: 1,
            data,
            flags: SectionFlags::default(),
            entsize: 0,
            comdat: None,
            comdat_selection: ComdatSelection::Any,
        }
    }

    /// Sets the alignment.
    pub fn with_align(mut self, align: u64) -> Section {
        self.align = align;
        self
    }

    /// Sets the bytes.
    pub fn with_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Section {
        self.data = SectionData::Bytes(bytes.into());
        self
    }

    /// Makes the section `size` zero bytes.
    pub fn with_zero_fill(mut self, size: u64) -> Section {
        self.data = SectionData::Zero(size);
        self
    }

    /// Sets the flags.
    pub fn with_flags(mut self, flags: SectionFlags) -> Section {
        self.flags = flags;
        self
    }

    /// Puts the section in a COMDAT group.
    pub fn with_comdat(mut self, group: impl Into<String>) -> Section {
        self.comdat = Some(group.into());
        self
    }

    /// Sets how the linker chooses among same-named COMDATs (see [`ComdatSelection`]).
    pub fn with_comdat_selection(mut self, selection: ComdatSelection) -> Section {
        self.comdat_selection = selection;
        self
    }
}

/// What a symbol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SymbolKind {
    /// Nothing in particular.
    None,
    /// A function.
    Func,
    /// A data object.
    Object,
    /// A thread-local variable.
    Tls,
    /// The section's own symbol.
    Section,
    /// The source file name.
    File,
}

impl SymbolKind {
    /// Its name, as JSON specs and `objforge dump` spell it.
    pub fn name(self) -> &'static str {
        match self {
            SymbolKind::None => "none",
            SymbolKind::Func => "func",
            SymbolKind::Object => "object",
            SymbolKind::Tls => "tls",
            SymbolKind::Section => "section",
            SymbolKind::File => "file",
        }
    }

    /// Parses a name [`Self::name`] gives.
    pub fn from_name(name: &str) -> Option<SymbolKind> {
        Some(match name {
            "none" => SymbolKind::None,
            "func" => SymbolKind::Func,
            "object" => SymbolKind::Object,
            "tls" => SymbolKind::Tls,
            "section" => SymbolKind::Section,
            "file" => SymbolKind::File,
            _ => return None,
        })
    }
}

/// A symbol's linkage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Binding {
    /// Visible only in this object.
    Local,
    /// Visible to the linker; one definition wins.
    Global,
    /// Like global, but a missing or other definition is not an error.
    Weak,
    /// ELF only (`STB_GNU_UNIQUE`): global, and one definition per process even across
    /// `dlopen`ed libraries. g++ gives it to static locals and static members of inline
    /// templates (`std::to_string`'s digit table). Other formats refuse it.
    GnuUnique,
}

impl Binding {
    /// The spec's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Binding::Local => "local",
            Binding::Global => "global",
            Binding::Weak => "weak",
            Binding::GnuUnique => "gnu_unique",
        }
    }

    /// Parses the spec's spelling.
    pub fn from_name(name: &str) -> Option<Binding> {
        Some(match name {
            "local" => Binding::Local,
            "global" => Binding::Global,
            "weak" => Binding::Weak,
            "gnu_unique" => Binding::GnuUnique,
            _ => return None,
        })
    }
}

/// A symbol's visibility outside its linked module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Visibility {
    /// Exported as the binding says.
    Default,
    /// Not exported from the linked module.
    Hidden,
    /// Exported, but references inside the module bind locally.
    Protected,
    /// Hidden, and never reached from outside the module even through a pointer (ELF
    /// `STV_INTERNAL`; GCC's `visibility("internal")`). Formats without it write `hidden`'s
    /// form: Mach-O `N_PEXT`, Wasm `VISIBILITY_HIDDEN`; COFF has neither.
    Internal,
}

impl Visibility {
    /// The spec's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Visibility::Default => "default",
            Visibility::Hidden => "hidden",
            Visibility::Protected => "protected",
            Visibility::Internal => "internal",
        }
    }

    /// Parses the spec's spelling.
    pub fn from_name(name: &str) -> Option<Visibility> {
        Some(match name {
            "default" => Visibility::Default,
            "hidden" => Visibility::Hidden,
            "protected" => Visibility::Protected,
            "internal" => Visibility::Internal,
            _ => return None,
        })
    }

    /// Whether the symbol stays inside its linked module (`hidden` or `internal`).
    pub fn is_hidden(self) -> bool {
        matches!(self, Visibility::Hidden | Visibility::Internal)
    }
}

/// Where a symbol's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SymbolDefinition {
    /// At `offset` in `section`.
    Defined {
        /// The section.
        section: SectionId,
        /// Byte offset in it.
        offset: u64,
    },
    /// Defined elsewhere (imported).
    Undefined,
    /// A common (tentative) symbol the linker allocates.
    Common {
        /// Bytes.
        size: u64,
        /// Alignment, a power of two (a `u32` keeps [`Symbol`] at 56 bytes; no format records
        /// more than 2^31).
        align: u32,
    },
    /// No section at all: an ELF `STT_FILE` symbol.
    Absolute,
}

/// A named address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The source-level name (the writer applies the platform's C prefix if mangling is on):
    /// a [`Name`], stored inline up to 22 bytes, so most names cost no allocation.
    pub name: Name,
    /// Where its value comes from.
    pub definition: SymbolDefinition,
    /// What it names.
    pub kind: SymbolKind,
    /// Linkage.
    pub binding: Binding,
    /// Visibility.
    pub visibility: Visibility,
    /// Size in bytes (0 = unknown).
    pub size: u64,
}

impl Symbol {
    /// A local symbol at `offset` in `section`.
    ///
    /// `name`, here and in the other constructors, is anything that converts into a
    /// [`Name`]: a `&str`, a `String`, or `format_args!`, which is formatted straight into
    /// the name (no allocation for a name of up to 22 bytes):
    ///
    /// ```
    /// # use objforge::{SectionId, Symbol};
    /// let (text, i) = (SectionId(0), 7);
    /// let f = Symbol::defined(format_args!("function_{i}"), text, 64);
    /// assert_eq!(f.name, "function_7");
    /// ```
    pub fn defined(name: impl Into<Name>, section: SectionId, offset: u64) -> Symbol {
        Symbol {
            name: name.into(),
            definition: SymbolDefinition::Defined { section, offset },
            kind: SymbolKind::None,
            binding: Binding::Local,
            visibility: Visibility::Default,
            size: 0,
        }
    }

    /// An undefined (imported) global symbol.
    pub fn undefined(name: impl Into<Name>) -> Symbol {
        Symbol {
            name: name.into(),
            definition: SymbolDefinition::Undefined,
            kind: SymbolKind::None,
            binding: Binding::Global,
            visibility: Visibility::Default,
            size: 0,
        }
    }

    /// A global common symbol of `size` bytes.
    pub fn common(name: impl Into<Name>, size: u64, align: u32) -> Symbol {
        Symbol {
            name: name.into(),
            definition: SymbolDefinition::Common { size, align },
            kind: SymbolKind::Object,
            binding: Binding::Global,
            visibility: Visibility::Default,
            size,
        }
    }

    /// The section's own symbol.
    pub fn section(section: SectionId) -> Symbol {
        Symbol {
            kind: SymbolKind::Section,
            ..Symbol::defined("", section, 0)
        }
    }

    /// A source-file symbol.
    pub fn file(name: impl Into<Name>) -> Symbol {
        Symbol {
            name: name.into(),
            definition: SymbolDefinition::Absolute,
            kind: SymbolKind::File,
            binding: Binding::Local,
            visibility: Visibility::Default,
            size: 0,
        }
    }

    /// Sets the kind.
    #[inline]
    pub fn with_kind(mut self, kind: SymbolKind) -> Symbol {
        self.kind = kind;
        self
    }

    /// Sets the binding.
    #[inline]
    pub fn with_binding(mut self, binding: Binding) -> Symbol {
        self.binding = binding;
        self
    }

    /// Sets the visibility.
    #[inline]
    pub fn with_visibility(mut self, visibility: Visibility) -> Symbol {
        self.visibility = visibility;
        self
    }

    /// Sets the size.
    #[inline]
    pub fn with_size(mut self, size: u64) -> Symbol {
        self.size = size;
        self
    }

    /// The section it is defined in, if any.
    pub fn section_id(&self) -> Option<SectionId> {
        match self.definition {
            SymbolDefinition::Defined { section, .. } => Some(section),
            _ => None,
        }
    }
}

/// A place in a section the linker patches with a symbol's address.
///
/// 32 bytes: ids are u32, the kind is one byte, and one field holds what some kinds take
/// beside their symbol — the offset of the hi20 relocation a `rv_pcrel_lo12_*` completes
/// ([`Relocation::pair`]), or the symbol a `diff*` subtracts ([`Relocation::minus`]). Build it
/// with [`Relocation::new`], [`Relocation::difference`] or [`Relocation::pcrel_lo12`] and the
/// `with_*` calls; read it with the accessors of the same names.
///
/// ```
/// use objforge::*;
/// let r = Relocation::new(SectionId(0), 1, SymbolId(2), RelocKind::X86Branch32).with_addend(-4);
/// assert_eq!((r.offset(), r.symbol(), r.addend()), (1, Some(SymbolId(2)), -4));
/// assert_eq!(std::mem::size_of::<Relocation>(), 32);
/// ```
#[derive(Clone, Copy)]
pub struct Relocation {
    offset: u64,
    addend: i64,
    section: u32,
    /// [`NO_ID`] for none.
    symbol: u32,
    /// What [`Self::link_of`] says: the pair's offset, the subtracted symbol, or for a native
    /// kind its `r_type`.
    link: u32,
    /// [`RelocKind::code`].
    kind: u8,
    /// Which of pair and minus was given ([`Link`]), in bits 0-6; a native kind's `pcrel` in
    /// bit 7.
    link_of: u8,
    /// A native kind's `length` and `size`.
    native: [u8; 2],
}

/// The symbol field's "none".
const NO_ID: u32 = u32::MAX;

/// A native kind's `pcrel`, in `link_of`.
const PCREL: u8 = 0x80;

/// What a relocation's `link` holds (`Relocation::link_of`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Link {
    None = 0,
    /// `link` is the pair's offset.
    Pair = 1,
    /// `link` is the subtracted symbol.
    Minus = 2,
    /// A pair was given that does not fit `link` (past 4 GiB), or that a native kind, whose
    /// `link` is its `r_type`, cannot keep: validation refuses it.
    PairLost = 3,
    /// A minus was given that a native kind cannot keep: validation refuses it.
    MinusLost = 4,
}

/// Equal when every accessor agrees (what a field no longer used holds does not count).
impl PartialEq for Relocation {
    fn eq(&self, other: &Relocation) -> bool {
        (self.section, self.offset, self.symbol, self.addend)
            == (other.section, other.offset, other.symbol, other.addend)
            && self.kind() == other.kind()
            && self.pair() == other.pair()
            && self.minus() == other.minus()
    }
}

impl Eq for Relocation {}

impl std::fmt::Debug for Relocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relocation")
            .field("section", &self.section())
            .field("offset", &self.offset)
            .field("symbol", &self.symbol())
            .field("kind", &self.kind())
            .field("addend", &self.addend)
            .field("pair", &self.pair())
            .field("minus", &self.minus())
            .finish()
    }
}

impl Relocation {
    /// A relocation of `kind` at `offset` in `section` against `symbol`, addend 0.
    #[inline]
    pub fn new(section: SectionId, offset: u64, symbol: SymbolId, kind: RelocKind) -> Relocation {
        Relocation {
            offset,
            addend: 0,
            section: section.0,
            symbol: symbol.0,
            link: 0,
            kind: 0,
            link_of: Link::None as u8,
            native: [0; 2],
        }
        .with_kind(kind)
    }

    /// A RISC-V `%pcrel_lo` completing the hi20 relocation at `hi20_offset`.
    pub fn pcrel_lo12(
        section: SectionId,
        offset: u64,
        kind: RelocKind,
        hi20_offset: u64,
    ) -> Relocation {
        Relocation::new(section, offset, SymbolId(NO_ID), kind)
            .with_symbol(None)
            .with_pair(Some(hi20_offset))
    }

    /// A `diff*` relocation: `plus` + addend - `minus`.
    pub fn difference(
        section: SectionId,
        offset: u64,
        kind: RelocKind,
        plus: SymbolId,
        minus: SymbolId,
    ) -> Relocation {
        Relocation::new(section, offset, plus, kind).with_minus(Some(minus))
    }

    /// The section holding the field.
    #[inline]
    pub fn section(&self) -> SectionId {
        SectionId(self.section)
    }

    /// Offset of the field (of the instruction, for instruction kinds).
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The symbol whose address goes in (optional only for `rv_pcrel_lo12_*`).
    #[inline]
    pub fn symbol(&self) -> Option<SymbolId> {
        (self.symbol != NO_ID).then_some(SymbolId(self.symbol))
    }

    /// What to compute and how to encode it.
    #[inline]
    pub fn kind(&self) -> RelocKind {
        match crate::reloc::portable(self.kind) {
            Some(kind) => kind,
            None => RelocKind::Native(crate::reloc::NativeReloc {
                r_type: self.link,
                pcrel: self.link_of & PCREL != 0,
                length: self.native[0],
                size: self.native[1],
            }),
        }
    }

    /// The kind's one-byte code, for caches keyed by kind (a native kind's encoding is not
    /// in it).
    #[inline]
    pub(crate) fn kind_code(&self) -> u8 {
        self.kind
    }

    /// The addend, always explicit (RELA meaning) whatever the format stores.
    #[inline]
    pub fn addend(&self) -> i64 {
        self.addend
    }

    /// `rv_pcrel_lo12_*`: offset, in the same section, of the hi20 relocation it completes.
    /// A pair that could not be kept (past 4 GiB, or on a native kind) reads as `u64::MAX`,
    /// which validation refuses.
    #[inline]
    pub fn pair(&self) -> Option<u64> {
        match self.link_of & !PCREL {
            x if x == Link::Pair as u8 => Some(u64::from(self.link)),
            x if x == Link::PairLost as u8 => Some(u64::MAX),
            _ => None,
        }
    }

    /// `diff*`: the symbol subtracted. One that a native kind could not keep reads as
    /// `SymbolId(u32::MAX)`, which validation refuses.
    #[inline]
    pub fn minus(&self) -> Option<SymbolId> {
        match self.link_of & !PCREL {
            x if x == Link::Minus as u8 => Some(SymbolId(self.link)),
            x if x == Link::MinusLost as u8 => Some(SymbolId(u32::MAX)),
            _ => None,
        }
    }

    /// Sets the addend.
    #[inline]
    pub fn with_addend(mut self, addend: i64) -> Relocation {
        self.addend = addend;
        self
    }

    /// Sets the offset.
    #[inline]
    pub fn with_offset(mut self, offset: u64) -> Relocation {
        self.offset = offset;
        self
    }

    /// Sets the section.
    #[inline]
    pub fn with_section(mut self, section: SectionId) -> Relocation {
        self.section = section.0;
        self
    }

    /// Sets (or clears) the symbol.
    pub fn with_symbol(mut self, symbol: Option<SymbolId>) -> Relocation {
        self.symbol = symbol.map_or(NO_ID, |s| s.0);
        self
    }

    /// Sets the kind (a pair or minus given before stays).
    #[inline]
    pub fn with_kind(mut self, kind: RelocKind) -> Relocation {
        let (pair, minus) = (self.pair(), self.minus());
        self.kind = kind.code();
        self.native = [0; 2];
        self.link_of = Link::None as u8;
        if let RelocKind::Native(n) = kind {
            self.link = n.r_type;
            self.native = [n.length, n.size];
            if n.pcrel {
                self.link_of = PCREL;
            }
        }
        if pair.is_some() {
            self.with_pair(pair)
        } else if minus.is_some() {
            self.with_minus(minus)
        } else {
            self
        }
    }

    /// Sets (or clears) the pair: the offset of the hi20 relocation a `rv_pcrel_lo12_*`
    /// completes. Clears the minus (one field holds either).
    pub fn with_pair(mut self, pair: Option<u64>) -> Relocation {
        let native = self.kind == crate::reloc::NATIVE;
        let link = match pair.map(u32::try_from) {
            None if self.pair().is_some() => Link::None,
            None => return self,
            Some(Ok(p)) if !native => {
                self.link = p;
                Link::Pair
            }
            Some(_) => Link::PairLost,
        };
        self.link_of = (self.link_of & PCREL) | link as u8;
        self
    }

    /// Sets (or clears) the symbol a `diff*` subtracts. Clears the pair (one field holds
    /// either).
    pub fn with_minus(mut self, minus: Option<SymbolId>) -> Relocation {
        let native = self.kind == crate::reloc::NATIVE;
        let link = match minus {
            None if self.minus().is_some() => Link::None,
            None => return self,
            Some(m) if !native => {
                self.link = m.0;
                Link::Minus
            }
            Some(_) => Link::MinusLost,
        };
        self.link_of = (self.link_of & PCREL) | link as u8;
        self
    }

    /// Sets the offset in place.
    pub fn set_offset(&mut self, offset: u64) {
        *self = self.with_offset(offset);
    }

    /// Sets the addend in place.
    pub fn set_addend(&mut self, addend: i64) {
        self.addend = addend;
    }

    /// Sets the section in place.
    pub fn set_section(&mut self, section: SectionId) {
        *self = self.with_section(section);
    }

    /// Sets (or clears) the symbol in place.
    pub fn set_symbol(&mut self, symbol: Option<SymbolId>) {
        *self = self.with_symbol(symbol);
    }

    /// Sets the kind in place.
    pub fn set_kind(&mut self, kind: RelocKind) {
        *self = self.with_kind(kind);
    }

    /// Sets (or clears) the pair in place.
    pub fn set_pair(&mut self, pair: Option<u64>) {
        *self = self.with_pair(pair);
    }

    /// Sets (or clears) the minus in place.
    pub fn set_minus(&mut self, minus: Option<SymbolId>) {
        *self = self.with_minus(minus);
    }
}

/// Format knobs (`options` in a JSON spec).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Apply the platform's C symbol prefix (`_` on Mach-O and 32-bit Windows). Default true.
    pub mangle: bool,
    /// Mark the stack non-executable (ELF `.note.GNU-stack` without `SHF_EXECINSTR`). Default true.
    pub noexec_stack: bool,
    /// COFF: linker directives written to a `.drectve` section (`/DEFAULTLIB:msvcrt`,
    /// `/EXPORT:f`), each as given, separated by spaces. Ignored by other formats.
    pub directives: Vec<String>,
    /// COFF: write the bigobj header (`ANON_OBJECT_HEADER_BIGOBJ`) even when the section count
    /// does not need it (more than 65,279 sections always get it). Ignored by other formats.
    pub bigobj: bool,
    /// Mach-O: the OS, minimum version and SDK recorded in `LC_BUILD_VERSION`. `None`: macOS
    /// 11.0 ([`Platform::default`]); [`Platform::from_triple`] derives one from a triple.
    pub platform: Option<Platform>,
    /// ELF: write the unwind entries as `.debug_frame`, for debuggers, instead of `.eh_frame`
    /// (which the C++ and Rust runtimes read). Default false. Ignored by other formats.
    pub debug_frame: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mangle: true,
            noexec_stack: true,
            directives: Vec::new(),
            bigobj: false,
            platform: None,
            debug_frame: false,
        }
    }
}

/// One relocatable object, format-neutral. Build it with the `add_*` methods, then
/// [`Object::write`] it.
///
/// ```
/// use objforge::*;
/// let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
/// // call puts; ret  (the call's rel32 is zero: the relocation fills it)
/// let text = obj.add_section(
///     Section::new(".text", SectionKind::Text).with_align(16)
///         .with_bytes(vec![0xe8, 0, 0, 0, 0, 0xc3]),
/// );
/// obj.add_symbol(Symbol::defined("f", text, 0).with_kind(SymbolKind::Func)
///     .with_binding(Binding::Global).with_size(6));
/// let puts = obj.add_symbol(Symbol::undefined("puts"));
/// obj.add_relocation(Relocation::new(text, 1, puts, RelocKind::X86Branch32).with_addend(-4));
/// let bytes = obj.write().unwrap();
/// assert_eq!(&bytes[..4], b"\x7fELF");
/// ```
#[derive(Clone, Debug)]
pub struct Object {
    /// What the object is for.
    pub target: Target,
    /// Format knobs.
    pub options: Options,
    /// Sections, in output order.
    pub sections: Vec<Section>,
    /// Symbols, in any order (the writer orders them as the format requires).
    pub symbols: Vec<Symbol>,
    /// Relocations, in any order.
    pub relocations: Vec<Relocation>,
    /// What a WebAssembly module has beyond sections, symbols and relocations (signatures,
    /// imports, globals, ...); see [`crate::wasm`]. Ignored by the other formats.
    pub wasm: wasm::WasmModule,
    /// How to unwind through the object's functions (see [`crate::unwind`]), written as the
    /// format's unwind tables.
    pub unwind: Vec<crate::unwind::FunctionUnwind>,
    /// PowerPC64 ELFv2 local entry points, by symbol ([`Object::set_local_entry`]).
    local_entries: local_entry::LocalEntries,
    /// The name index of [`Object::symbol_id`], made on the first lookup.
    lookup: std::sync::OnceLock<lookup::Lookup>,
}

/// Makes room in `items` for `additional` more. A backend adds its symbols, relocations and
/// code one at a time without knowing the totals, and `Vec`'s doubling can leave the model
/// holding up to twice what it needs when it is written (W1: 41 MiB of capacity for 29 MiB of
/// content). So a vector doubles only while it is under 1 MiB, and beyond that grows by a
/// quarter (as Go's `append` does for large slices): at most a fifth of it unused, appends
/// still amortized constant time. The allocator `mremap`s large blocks, so the extra growth
/// steps move pages rather than copy bytes.
fn make_room<T>(items: &mut Vec<T>, additional: usize) {
    const DOUBLE_BELOW: usize = 1 << 20;
    let capacity = items.capacity();
    if capacity - items.len() < additional {
        let step = if capacity * std::mem::size_of::<T>() < DOUBLE_BELOW {
            capacity
        } else {
            capacity / 4
        };
        items.reserve_exact(additional.max(step).max(4));
    }
}

impl Object {
    /// An empty object for `target`.
    pub fn new(target: Target) -> Object {
        Object {
            target,
            options: Options::default(),
            sections: Vec::new(),
            symbols: Vec::new(),
            relocations: Vec::new(),
            wasm: wasm::WasmModule::default(),
            unwind: Vec::new(),
            local_entries: local_entry::LocalEntries::default(),
            lookup: std::sync::OnceLock::new(),
        }
    }

    /// Adds a section and returns its id.
    pub fn add_section(&mut self, section: Section) -> SectionId {
        self.sections.push(section);
        SectionId::from_index(self.sections.len() - 1)
    }

    /// Adds a symbol and returns its id.
    #[inline]
    pub fn add_symbol(&mut self, symbol: Symbol) -> SymbolId {
        make_room(&mut self.symbols, 1);
        self.symbols.push(symbol);
        if let Some(lookup) = self.lookup.get_mut() {
            lookup.catch_up(&self.symbols);
        }
        SymbolId::from_index(self.symbols.len() - 1)
    }

    /// Appends `data` to `section` at the next multiple of `align` (zeros fill the gap),
    /// raises the section's alignment to `align`, and returns the offset where `data` starts:
    /// what a backend does with each function it emits.
    ///
    /// A zero-fill section grows by `data.len()` if `data` is all zeros; other bytes make it
    /// hold bytes, which [`Object::write`] then refuses (use [`Object::append_section_zeros`]).
    ///
    /// Panics if `section` is not one of this object's sections.
    ///
    /// ```
    /// use objforge::*;
    /// let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    /// let text = obj.add_section(Section::new(".text", SectionKind::Text));
    /// let f = obj.append_section_data(text, &[0xc3], 16); // ret
    /// let g = obj.append_section_data(text, &[0x31, 0xc0, 0xc3], 16); // xor eax, eax; ret
    /// assert_eq!((f, g), (0, 16));
    /// assert_eq!(obj.sections[text.index()].data.len(), 19);
    /// ```
    #[inline]
    pub fn append_section_data(&mut self, section: SectionId, data: &[u8], align: u64) -> u64 {
        let s = &mut self.sections[section.index()];
        let align = align.max(1);
        s.align = s.align.max(align);
        match &mut s.data {
            SectionData::Zero(size) if data.iter().all(|&b| b == 0) => {
                let offset = size.next_multiple_of(align);
                *size = offset + data.len() as u64;
                offset
            }
            SectionData::Zero(size) => {
                let offset = size.next_multiple_of(align);
                let mut bytes = vec![0; offset as usize];
                bytes.extend_from_slice(data);
                s.data = SectionData::Bytes(bytes);
                offset
            }
            SectionData::Bytes(bytes) => {
                let offset = (bytes.len() as u64).next_multiple_of(align);
                make_room(bytes, offset as usize - bytes.len() + data.len());
                bytes.resize(offset as usize, 0);
                bytes.extend_from_slice(data);
                offset
            }
        }
    }

    /// Appends `size` zero bytes to `section` at the next multiple of `align`, raises the
    /// section's alignment to `align`, and returns the offset where they start. For zero-fill
    /// sections (`.bss`), whose size grows without memory; in a section with bytes, zeros are
    /// appended.
    ///
    /// Panics if `section` is not one of this object's sections.
    pub fn append_section_zeros(&mut self, section: SectionId, size: u64, align: u64) -> u64 {
        let s = &mut self.sections[section.index()];
        let align = align.max(1);
        s.align = s.align.max(align);
        match &mut s.data {
            SectionData::Zero(total) => {
                let offset = total.next_multiple_of(align);
                *total = offset + size;
                offset
            }
            SectionData::Bytes(bytes) => {
                let offset = (bytes.len() as u64).next_multiple_of(align);
                make_room(bytes, (offset + size) as usize - bytes.len());
                bytes.resize((offset + size) as usize, 0);
                offset
            }
        }
    }

    /// Appends `data` to `section` as [`Object::append_section_data`] does, and defines
    /// `symbol` there: its definition becomes that offset of `section` and its size
    /// `data.len()`. Returns the offset. The `object` crate's call of the same name.
    ///
    /// Panics if `symbol` or `section` is not one of this object's.
    ///
    /// ```
    /// use objforge::*;
    /// let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    /// let data = obj.add_section(Section::new(".data", SectionKind::Data));
    /// let answer = obj.add_symbol(Symbol::undefined("answer").with_kind(SymbolKind::Object)
    ///     .with_binding(Binding::Global));
    /// let offset = obj.add_symbol_data(answer, data, &42u32.to_le_bytes(), 4);
    /// assert_eq!(obj.symbols[answer.index()].section_id(), Some(data));
    /// assert_eq!((offset, obj.symbols[answer.index()].size), (0, 4));
    /// ```
    pub fn add_symbol_data(
        &mut self,
        symbol: SymbolId,
        section: SectionId,
        data: &[u8],
        align: u64,
    ) -> u64 {
        let offset = self.append_section_data(section, data, align);
        let s = &mut self.symbols[symbol.index()];
        s.definition = SymbolDefinition::Defined { section, offset };
        s.size = data.len() as u64;
        offset
    }

    /// The first symbol called `name` (as given, before any platform prefix), if there is
    /// one. The first lookup indexes the names (about 20 bytes per symbol); later ones, and
    /// [`Object::add_symbol`] from then on, keep the index up to date, so a backend may look
    /// up a name for every reference it emits. Symbols pushed onto [`Object::symbols`]
    /// directly are found too; one renamed in place after it was indexed is not found under
    /// its new name.
    ///
    /// ```
    /// use objforge::*;
    /// let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    /// let puts = obj.add_symbol(Symbol::undefined("puts"));
    /// assert_eq!(obj.symbol_id("puts"), Some(puts));
    /// assert_eq!(obj.symbol_id("printf"), None);
    /// ```
    pub fn symbol_id(&self, name: &str) -> Option<SymbolId> {
        self.lookup().find(&self.symbols, name)
    }

    /// The symbol `section`'s relocations and debug references can be made against: the
    /// section's first [`SymbolKind::Section`] symbol, added now if it has none.
    ///
    /// ```
    /// use objforge::*;
    /// let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    /// let rodata = obj.add_section(Section::new(".rodata", SectionKind::Rodata));
    /// let s = obj.section_symbol(rodata);
    /// assert_eq!(obj.section_symbol(rodata), s);
    /// ```
    pub fn section_symbol(&mut self, section: SectionId) -> SymbolId {
        if let Some(s) = self.lookup().section_symbol(&self.symbols, section) {
            return s;
        }
        self.add_symbol(Symbol::section(section))
    }

    /// Adds a relocation and returns its id.
    #[inline]
    pub fn add_relocation(&mut self, relocation: Relocation) -> RelocationId {
        make_room(&mut self.relocations, 1);
        self.relocations.push(relocation);
        RelocationId::from_index(self.relocations.len() - 1)
    }

    /// The section with this id, if there is one.
    pub fn section(&self, id: SectionId) -> Option<&Section> {
        self.sections.get(id.index())
    }

    /// The symbol with this id, if there is one.
    pub fn symbol(&self, id: SymbolId) -> Option<&Symbol> {
        self.symbols.get(id.index())
    }

    /// The section with this id, to change, if there is one.
    pub fn section_mut(&mut self, id: SectionId) -> Option<&mut Section> {
        self.sections.get_mut(id.index())
    }

    /// The symbol with this id, to change (define a declared symbol, set its size), if there
    /// is one. A name changed here is not seen by [`Object::symbol_id`] once indexed.
    pub fn symbol_mut(&mut self, id: SymbolId) -> Option<&mut Symbol> {
        self.symbols.get_mut(id.index())
    }

    /// The relocation with this id, if there is one.
    pub fn relocation(&self, id: RelocationId) -> Option<&Relocation> {
        self.relocations.get(id.index())
    }

    /// Checks the model, then writes the object file in the target's format.
    ///
    /// A large object (tens of thousands of symbols and relocations) is checked, laid out and
    /// written on two threads where the machine has two cores: the symbols beside the
    /// relocations, then the symbol and string tables beside the rest, each written in place
    /// in the one zeroed buffer that is returned. The bytes are the same either way.
    /// [`Object::write_to`] checks the same way and streams the file in order on the caller's
    /// thread. The model stays alive while the whole file is made, so the memory held at
    /// once is the two together: [`Object::into_bytes`] (when the model is not needed after)
    /// and [`Object::write_to`] hold about a third less.
    pub fn write(&self) -> Result<Vec<u8>, crate::Error> {
        crate::write::write(self)
    }

    /// Like [`Object::write`], but takes the object, and frees each part of it once its part
    /// of the file is written: a section's bytes once they are in the file (or, where its
    /// relocations read them, once those are written), the relocations once their entries
    /// are. The file grows part by part rather than being allocated whole first, and the
    /// largest section's own vector becomes its buffer, so the memory held at once is never
    /// the whole model and the whole file: about a third less than [`Object::write`] for an
    /// object of many small functions, as little as [`Object::write_to`] holds. For a compiler
    /// that writes an object in memory and is done with the model. The bytes are the same as
    /// [`Object::write`]'s; a Wasm module is written whole.
    ///
    /// ```
    /// use objforge::*;
    /// let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    /// let text = obj.add_section(Section::new(".text", SectionKind::Text));
    /// obj.append_section_data(text, &[0xc3], 16); // ret
    /// let written = obj.write().unwrap();
    /// assert_eq!(obj.into_bytes().unwrap(), written);
    /// ```
    pub fn into_bytes(self) -> Result<Vec<u8>, crate::Error> {
        crate::write::into_bytes(self)
    }

    /// Takes the bytes of section `k` (a consuming write makes them the file's buffer), which
    /// keeps its size as zero fill.
    pub(crate) fn take_section_bytes(&mut self, k: usize) -> Vec<u8> {
        let Some(s) = self.sections.get_mut(k) else {
            return Vec::new();
        };
        let size = s.data.len();
        match std::mem::replace(&mut s.data, SectionData::Zero(size)) {
            SectionData::Bytes(bytes) => bytes,
            SectionData::Zero(_) => Vec::new(),
        }
    }

    /// Frees the bytes of section `k` (written already, by a consuming write). The section
    /// keeps its size, which the relocations still written are checked against, as zero fill.
    pub(crate) fn free_section_bytes(&mut self, k: usize) {
        drop(self.take_section_bytes(k));
    }

    /// Frees the relocations and what is left of the sections' bytes (all written already, by
    /// a consuming write, which has only the symbol and string tables left to write).
    pub(crate) fn free_all_but_symbols(&mut self) {
        for k in 0..self.sections.len() {
            self.free_section_bytes(k);
        }
        self.relocations = Vec::new();
    }

    /// Gives back what the vectors hold beyond their contents, before a consuming write: the
    /// room [`Object::add_symbol`] and the others leave for growth (up to a quarter). For a
    /// large vector the system takes back the pages past the end rather than copying.
    pub(crate) fn release_room(&mut self) {
        self.symbols.shrink_to_fit();
        self.relocations.shrink_to_fit();
        for s in &mut self.sections {
            if let SectionData::Bytes(bytes) = &mut s.data {
                bytes.shrink_to_fit();
            }
        }
    }

    /// Like [`Object::write`], into any `std::io::Write`. ELF, Mach-O and COFF objects go out
    /// front to back in chunks of at most 64 KiB, never whole in memory (the chunks are large
    /// enough that a `BufWriter` adds nothing). Every error in the model is reported before
    /// the first byte is written; a failing writer is [`Error::Io`](crate::Error::Io).
    ///
    /// ```
    /// use objforge::*;
    /// let obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    /// let mut streamed = Vec::new(); // or a `std::fs::File`
    /// obj.write_to(&mut streamed).unwrap();
    /// assert_eq!(streamed, obj.write().unwrap());
    /// ```
    pub fn write_to<W: std::io::Write>(&self, mut out: W) -> Result<(), crate::Error> {
        crate::write::write_to(self, &mut out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_built_one_item_at_a_time_holds_at_most_a_quarter_more_past_a_mebibyte() {
        let mut obj = Object::new(Target::new(crate::Architecture::X86_64, crate::Format::Elf));
        let text = obj.add_section(Section::new(".text", SectionKind::Text));
        for i in 0..100_000u64 {
            let at = obj.append_section_data(text, &[0x90; 24], 8);
            let f = obj.add_symbol(Symbol::defined(format_args!("f{i}"), text, at));
            obj.add_relocation(Relocation::new(text, at, f, RelocKind::Abs64));
        }
        let SectionData::Bytes(code) = &obj.sections[text.index()].data else {
            panic!("code is bytes");
        };
        let within = |len: usize, capacity: usize| capacity <= len + len / 4 + 4;
        assert!(within(obj.symbols.len(), obj.symbols.capacity()));
        assert!(within(obj.relocations.len(), obj.relocations.capacity()));
        assert!(within(code.len(), code.capacity()));
    }
}
