//! Mach-O constants (`<mach-o/loader.h>`, `<mach-o/nlist.h>`, `<mach-o/reloc.h>`), owned here
//! and nowhere else. Relocation types are per architecture, in `crate::arch`.

pub const MH_MAGIC_64: u32 = 0xfeed_facf;
pub const MH_OBJECT: u32 = 0x1;
/// The linker may split sections at symbols into independent subsections (atoms).
pub const MH_SUBSECTIONS_VIA_SYMBOLS: u32 = 0x2000;

pub const CPU_ARCH_ABI64: u32 = 0x0100_0000;
pub const CPU_TYPE_X86_64: u32 = 7 | CPU_ARCH_ABI64;
pub const CPU_TYPE_ARM64: u32 = 12 | CPU_ARCH_ABI64;
pub const CPU_SUBTYPE_X86_64_ALL: u32 = 3;
pub const CPU_SUBTYPE_ARM64_ALL: u32 = 0;

pub const LC_SYMTAB: u32 = 0x2;
pub const LC_DYSYMTAB: u32 = 0xb;
pub const LC_SEGMENT_64: u32 = 0x19;
pub const LC_BUILD_VERSION: u32 = 0x32;

/// `PLATFORM_*` of `LC_BUILD_VERSION`.
pub const PLATFORM_MACOS: u32 = 1;
pub const PLATFORM_IOS: u32 = 2;
pub const PLATFORM_TVOS: u32 = 3;
pub const PLATFORM_WATCHOS: u32 = 4;
pub const PLATFORM_MACCATALYST: u32 = 6;
pub const PLATFORM_IOSSIMULATOR: u32 = 7;
pub const PLATFORM_TVOSSIMULATOR: u32 = 8;
pub const PLATFORM_WATCHOSSIMULATOR: u32 = 9;
pub const PLATFORM_DRIVERKIT: u32 = 10;
pub const PLATFORM_XROS: u32 = 11;
pub const PLATFORM_XROS_SIMULATOR: u32 = 12;

pub const VM_PROT_ALL: u32 = 0x7;

/// The mask of a section's type in `flags` (the rest are attributes).
pub const SECTION_TYPE: u32 = 0xff;

/// Section types (the low byte of `flags`).
pub const S_REGULAR: u32 = 0x0;
pub const S_ZEROFILL: u32 = 0x1;
pub const S_CSTRING_LITERALS: u32 = 0x2;
pub const S_4BYTE_LITERALS: u32 = 0x3;
pub const S_8BYTE_LITERALS: u32 = 0x4;
pub const S_MOD_INIT_FUNC_POINTERS: u32 = 0x9;
pub const S_MOD_TERM_FUNC_POINTERS: u32 = 0xa;
pub const S_COALESCED: u32 = 0xb;
pub const S_16BYTE_LITERALS: u32 = 0xe;
pub const S_THREAD_LOCAL_REGULAR: u32 = 0x11;
pub const S_THREAD_LOCAL_ZEROFILL: u32 = 0x12;
pub const S_THREAD_LOCAL_VARIABLES: u32 = 0x13;
pub const S_THREAD_LOCAL_VARIABLE_POINTERS: u32 = 0x14;
pub const S_THREAD_LOCAL_INIT_FUNCTION_POINTERS: u32 = 0x15;

/// Section attributes (the high bytes of `flags`).
pub const S_ATTR_PURE_INSTRUCTIONS: u32 = 0x8000_0000;
pub const S_ATTR_NO_TOC: u32 = 0x4000_0000;
pub const S_ATTR_STRIP_STATIC_SYMS: u32 = 0x2000_0000;
pub const S_ATTR_NO_DEAD_STRIP: u32 = 0x1000_0000;
pub const S_ATTR_LIVE_SUPPORT: u32 = 0x0800_0000;
pub const S_ATTR_DEBUG: u32 = 0x0200_0000;
pub const S_ATTR_SOME_INSTRUCTIONS: u32 = 0x0000_0400;

/// `n_type` bits.
pub const N_EXT: u8 = 0x01;
pub const N_UNDF: u8 = 0x0;
pub const N_SECT: u8 = 0xe;
pub const N_PEXT: u8 = 0x10;
/// `n_desc` bits.
pub const N_WEAK_REF: u16 = 0x40;
pub const N_WEAK_DEF: u16 = 0x80;
/// The most `n_sect` can number: sections are counted in one byte.
pub const MAX_SECT: usize = 255;

/// `r_extern` and friends live in the second word of a `relocation_info`.
pub const R_SYMBOLNUM_MASK: u32 = 0x00ff_ffff;
pub const R_PCREL_SHIFT: u32 = 24;
pub const R_LENGTH_SHIFT: u32 = 25;
pub const R_EXTERN_SHIFT: u32 = 27;
pub const R_TYPE_SHIFT: u32 = 28;

/// Sizes of the fixed records.
pub const HEADER_SIZE: usize = 32;
pub const SEGMENT_COMMAND_SIZE: usize = 72;
pub const SECTION_SIZE: usize = 80;
pub const BUILD_VERSION_SIZE: usize = 24;
pub const SYMTAB_COMMAND_SIZE: usize = 24;
pub const DYSYMTAB_COMMAND_SIZE: usize = 80;
pub const NLIST_SIZE: usize = 16;
pub const RELOCATION_SIZE: usize = 8;
/// Segment and section names are fixed 16-byte fields.
pub const NAME_SIZE: usize = 16;
