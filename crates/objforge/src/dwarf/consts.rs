//! The DWARF constants objforge writes (DWARF 5, section 7; DWARF 4 uses the same values).

// Unit types (7.5.1).
pub(super) const DW_UT_COMPILE: u8 = 0x01;

// Tags (7.5.3).
pub(super) const DW_TAG_LEXICAL_BLOCK: u16 = 0x0b;
pub(super) const DW_TAG_COMPILE_UNIT: u16 = 0x11;
pub(super) const DW_TAG_SUBPROGRAM: u16 = 0x2e;

// Attributes (7.5.4).
pub(super) const DW_AT_NAME: u16 = 0x03;
pub(super) const DW_AT_STMT_LIST: u16 = 0x10;
pub(super) const DW_AT_LOW_PC: u16 = 0x11;
pub(super) const DW_AT_HIGH_PC: u16 = 0x12;
pub(super) const DW_AT_LANGUAGE: u16 = 0x13;
pub(super) const DW_AT_COMP_DIR: u16 = 0x1b;
pub(super) const DW_AT_PRODUCER: u16 = 0x25;
pub(super) const DW_AT_DECL_FILE: u16 = 0x3a;
pub(super) const DW_AT_DECL_LINE: u16 = 0x3b;
pub(super) const DW_AT_EXTERNAL: u16 = 0x3f;
pub(super) const DW_AT_RANGES: u16 = 0x55;
pub(super) const DW_AT_LINKAGE_NAME: u16 = 0x6e;
pub(super) const DW_AT_STR_OFFSETS_BASE: u16 = 0x72;
pub(super) const DW_AT_ADDR_BASE: u16 = 0x73;
pub(super) const DW_AT_RNGLISTS_BASE: u16 = 0x74;

// Forms (7.5.6).
pub(super) const DW_FORM_ADDR: u16 = 0x01;
pub(super) const DW_FORM_DATA2: u16 = 0x05;
pub(super) const DW_FORM_DATA4: u16 = 0x06;
pub(super) const DW_FORM_DATA8: u16 = 0x07;
pub(super) const DW_FORM_STRP: u16 = 0x0e;
pub(super) const DW_FORM_UDATA: u16 = 0x0f;
pub(super) const DW_FORM_SEC_OFFSET: u16 = 0x17;
pub(super) const DW_FORM_FLAG_PRESENT: u16 = 0x19;
pub(super) const DW_FORM_ADDRX: u16 = 0x1b;
pub(super) const DW_FORM_LINE_STRP: u16 = 0x1f;
pub(super) const DW_FORM_RNGLISTX: u16 = 0x23;
pub(super) const DW_FORM_STRX1: u16 = 0x25;
pub(super) const DW_FORM_STRX2: u16 = 0x26;
pub(super) const DW_FORM_STRX3: u16 = 0x27;
pub(super) const DW_FORM_STRX4: u16 = 0x28;

// Line number program (6.2.5; 7.22).
pub(super) const DW_LNS_ADVANCE_PC: u8 = 0x02;
pub(super) const DW_LNS_ADVANCE_LINE: u8 = 0x03;
pub(super) const DW_LNS_SET_FILE: u8 = 0x04;
pub(super) const DW_LNS_SET_COLUMN: u8 = 0x05;
pub(super) const DW_LNS_NEGATE_STMT: u8 = 0x06;
pub(super) const DW_LNS_CONST_ADD_PC: u8 = 0x08;
pub(super) const DW_LNE_END_SEQUENCE: u8 = 0x01;
pub(super) const DW_LNE_SET_ADDRESS: u8 = 0x02;
pub(super) const DW_LNCT_PATH: u16 = 0x1;
pub(super) const DW_LNCT_DIRECTORY_INDEX: u16 = 0x2;

// Range list entries (7.25).
pub(super) const DW_RLE_END_OF_LIST: u8 = 0x00;
pub(super) const DW_RLE_STARTX_LENGTH: u8 = 0x03;

// Line program parameters objforge uses, as GCC and LLVM do: special opcodes cover line
// advances -5..=8 and, with the minimum instruction length 1, address advances up to 17.
pub(super) const LINE_BASE: i8 = -5;
pub(super) const LINE_RANGE: u8 = 14;
/// The first special opcode: every standard opcode of DWARF 3 and later is below it.
pub(super) const OPCODE_BASE: u8 = 13;
/// Operand counts of standard opcodes 1..=12 (`DW_LNS_copy` .. `DW_LNS_set_isa`).
pub(super) const STANDARD_OPCODE_LENGTHS: [u8; 12] = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];
