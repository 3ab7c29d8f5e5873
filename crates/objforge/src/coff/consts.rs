//! COFF constants (Microsoft PE/COFF specification, `winnt.h`), owned here and nowhere else.
//! Relocation types are the architectures': `crate::arch::{x86_64,i386,aarch64}::coff`.

pub const IMAGE_FILE_MACHINE_UNKNOWN: u16 = 0x0;
pub const IMAGE_FILE_MACHINE_I386: u16 = 0x14c;
pub const IMAGE_FILE_MACHINE_AMD64: u16 = 0x8664;
pub const IMAGE_FILE_MACHINE_ARM64: u16 = 0xaa64;

/// `IMAGE_FILE_HEADER`: Machine .. Characteristics.
pub const FILE_HEADER_SIZE: usize = 20;
/// `ANON_OBJECT_HEADER_BIGOBJ`.
pub const BIGOBJ_HEADER_SIZE: usize = 56;
/// `ANON_OBJECT_HEADER_BIGOBJ.Sig2` (its `Sig1` is `IMAGE_FILE_MACHINE_UNKNOWN`).
pub const BIGOBJ_SIG2: u16 = 0xffff;
/// `ANON_OBJECT_HEADER_BIGOBJ.Version`.
pub const BIGOBJ_VERSION: u16 = 2;
/// `ANON_OBJECT_HEADER_BIGOBJ.ClassID`: {D1BAA1C7-BAEE-4ba9-AF20-FAF66AA4DCB8}.
pub const BIGOBJ_CLASS_ID: [u8; 16] = [
    0xc7, 0xa1, 0xba, 0xd1, 0xee, 0xba, 0xa9, 0x4b, 0xaf, 0x20, 0xfa, 0xf6, 0x6a, 0xa4, 0xdc, 0xb8,
];
/// `IMAGE_SECTION_HEADER`.
pub const SECTION_HEADER_SIZE: usize = 40;
/// `IMAGE_RELOCATION`.
pub const RELOCATION_SIZE: usize = 10;
/// `IMAGE_SYMBOL` and each auxiliary record.
pub const SYMBOL_SIZE: usize = 18;
/// `IMAGE_SYMBOL_EX` (bigobj) and each auxiliary record.
pub const SYMBOL_SIZE_BIGOBJ: usize = 20;
/// The string table starts with its own size, a u32: string offsets count from the table's
/// start, so the first string is at 4.
pub const STRING_TABLE_SIZE_FIELD: u32 = 4;
/// The largest string table offset a section name spells in decimal (`/9999999`); past it,
/// `//` and six base64 digits.
pub const MAX_DECIMAL_NAME_OFFSET: u32 = 9_999_999;
/// The longest name an `IMAGE_SECTION_HEADER` or `IMAGE_SYMBOL` holds inline.
pub const SHORT_NAME_LEN: usize = 8;
/// The most sections the 16-bit header and symbol section numbers reach (0xff00.. are
/// reserved); past it the bigobj header is needed.
pub const MAX_SECTIONS: usize = 0xfeff;
/// The most relocations `NumberOfRelocations` holds; from here on the count moves into the
/// first relocation entry (`IMAGE_SCN_LNK_NRELOC_OVFL`).
pub const MAX_RELOCATIONS: usize = 0xffff;

pub const IMAGE_SCN_CNT_CODE: u32 = 0x20;
pub const IMAGE_SCN_CNT_INITIALIZED_DATA: u32 = 0x40;
pub const IMAGE_SCN_CNT_UNINITIALIZED_DATA: u32 = 0x80;
pub const IMAGE_SCN_LNK_INFO: u32 = 0x200;
pub const IMAGE_SCN_LNK_REMOVE: u32 = 0x800;
pub const IMAGE_SCN_LNK_COMDAT: u32 = 0x1000;
/// `IMAGE_SCN_ALIGN_1BYTES`; `IMAGE_SCN_ALIGN_{2^n}BYTES` is `(n + 1) << 20`.
pub const IMAGE_SCN_ALIGN_1BYTES: u32 = 0x0010_0000;
/// The largest alignment the `IMAGE_SCN_ALIGN_*` field expresses (`IMAGE_SCN_ALIGN_8192BYTES`).
pub const MAX_ALIGN: u64 = 8192;
pub const IMAGE_SCN_LNK_NRELOC_OVFL: u32 = 0x0100_0000;
pub const IMAGE_SCN_MEM_DISCARDABLE: u32 = 0x0200_0000;
pub const IMAGE_SCN_MEM_EXECUTE: u32 = 0x2000_0000;
pub const IMAGE_SCN_MEM_READ: u32 = 0x4000_0000;
pub const IMAGE_SCN_MEM_WRITE: u32 = 0x8000_0000;

pub const IMAGE_SYM_UNDEFINED: i32 = 0;
pub const IMAGE_SYM_ABSOLUTE: i32 = -1;
pub const IMAGE_SYM_DEBUG: i32 = -2;

pub const IMAGE_SYM_TYPE_NULL: u16 = 0;
/// `IMAGE_SYM_DTYPE_FUNCTION << 4`: the symbol is a function.
pub const IMAGE_SYM_TYPE_FUNCTION: u16 = 0x20;

pub const IMAGE_SYM_CLASS_EXTERNAL: u8 = 2;
pub const IMAGE_SYM_CLASS_STATIC: u8 = 3;
pub const IMAGE_SYM_CLASS_FILE: u8 = 103;
pub const IMAGE_SYM_CLASS_WEAK_EXTERNAL: u8 = 105;

pub const IMAGE_COMDAT_SELECT_NODUPLICATES: u8 = 1;
pub const IMAGE_COMDAT_SELECT_ANY: u8 = 2;
pub const IMAGE_COMDAT_SELECT_SAME_SIZE: u8 = 3;
pub const IMAGE_COMDAT_SELECT_EXACT_MATCH: u8 = 4;
pub const IMAGE_COMDAT_SELECT_ASSOCIATIVE: u8 = 5;
pub const IMAGE_COMDAT_SELECT_LARGEST: u8 = 6;

/// A weak external resolves to its default when no definition of the name is found (the
/// characteristic LLVM and GNU as write).
pub const IMAGE_WEAK_EXTERN_SEARCH_ALIAS: u32 = 3;

/// The absolute symbol that records what the object's code is safe for.
pub const FEAT00_NAME: &str = "@feat.00";
/// `@feat.00` bit 0: the object registers its exception handlers (SafeSEH); i386 only.
pub const FEAT00_SAFESEH: u32 = 0x1;
/// The section that carries linker directives.
pub const DRECTVE_NAME: &str = ".drectve";
/// The symbol a `.file` record is named.
pub const FILE_SYMBOL_NAME: &str = ".file";
