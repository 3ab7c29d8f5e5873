//! The DWARF constants objforge writes (DWARF 5, section 7; DWARF 4 uses the same values).

// Unit types (7.5.1).
pub(super) const DW_UT_COMPILE: u8 = 0x01;

// Tags (7.5.3).
pub(super) const DW_TAG_ARRAY_TYPE: u16 = 0x01;
pub(super) const DW_TAG_ENUMERATION_TYPE: u16 = 0x04;
pub(super) const DW_TAG_FORMAL_PARAMETER: u16 = 0x05;
pub(super) const DW_TAG_LEXICAL_BLOCK: u16 = 0x0b;
pub(super) const DW_TAG_MEMBER: u16 = 0x0d;
pub(super) const DW_TAG_POINTER_TYPE: u16 = 0x0f;
pub(super) const DW_TAG_STRUCTURE_TYPE: u16 = 0x13;
pub(super) const DW_TAG_SUBROUTINE_TYPE: u16 = 0x15;
pub(super) const DW_TAG_TYPEDEF: u16 = 0x16;
pub(super) const DW_TAG_UNION_TYPE: u16 = 0x17;
pub(super) const DW_TAG_UNSPECIFIED_PARAMETERS: u16 = 0x18;
pub(super) const DW_TAG_INLINED_SUBROUTINE: u16 = 0x1d;
pub(super) const DW_TAG_SUBRANGE_TYPE: u16 = 0x21;
pub(super) const DW_TAG_BASE_TYPE: u16 = 0x24;
pub(super) const DW_TAG_CONST_TYPE: u16 = 0x26;
pub(super) const DW_TAG_ENUMERATOR: u16 = 0x28;
pub(super) const DW_TAG_VARIABLE: u16 = 0x34;
pub(super) const DW_TAG_VOLATILE_TYPE: u16 = 0x35;
pub(super) const DW_TAG_COMPILE_UNIT: u16 = 0x11;
pub(super) const DW_TAG_SUBPROGRAM: u16 = 0x2e;

// Attributes (7.5.4).
pub(super) const DW_AT_LOCATION: u16 = 0x02;
pub(super) const DW_AT_NAME: u16 = 0x03;
pub(super) const DW_AT_BYTE_SIZE: u16 = 0x0b;
pub(super) const DW_AT_BIT_SIZE: u16 = 0x0d;
pub(super) const DW_AT_STMT_LIST: u16 = 0x10;
pub(super) const DW_AT_LOW_PC: u16 = 0x11;
pub(super) const DW_AT_HIGH_PC: u16 = 0x12;
pub(super) const DW_AT_LANGUAGE: u16 = 0x13;
pub(super) const DW_AT_COMP_DIR: u16 = 0x1b;
pub(super) const DW_AT_CONST_VALUE: u16 = 0x1c;
pub(super) const DW_AT_INLINE: u16 = 0x20;
pub(super) const DW_AT_PROTOTYPED: u16 = 0x27;
pub(super) const DW_AT_ABSTRACT_ORIGIN: u16 = 0x31;
pub(super) const DW_AT_COUNT: u16 = 0x37;
pub(super) const DW_AT_DATA_MEMBER_LOCATION: u16 = 0x38;
pub(super) const DW_AT_PRODUCER: u16 = 0x25;
pub(super) const DW_AT_DECL_FILE: u16 = 0x3a;
pub(super) const DW_AT_DECL_LINE: u16 = 0x3b;
pub(super) const DW_AT_ENCODING: u16 = 0x3e;
pub(super) const DW_AT_EXTERNAL: u16 = 0x3f;
pub(super) const DW_AT_FRAME_BASE: u16 = 0x40;
pub(super) const DW_AT_TYPE: u16 = 0x49;
pub(super) const DW_AT_CALL_COLUMN: u16 = 0x57;
pub(super) const DW_AT_CALL_FILE: u16 = 0x58;
pub(super) const DW_AT_CALL_LINE: u16 = 0x59;
pub(super) const DW_AT_RANGES: u16 = 0x55;
pub(super) const DW_AT_DATA_BIT_OFFSET: u16 = 0x6b;
pub(super) const DW_AT_LINKAGE_NAME: u16 = 0x6e;
pub(super) const DW_AT_STR_OFFSETS_BASE: u16 = 0x72;
pub(super) const DW_AT_ADDR_BASE: u16 = 0x73;
pub(super) const DW_AT_RNGLISTS_BASE: u16 = 0x74;
pub(super) const DW_AT_DECLARATION: u16 = 0x3c;
pub(super) const DW_AT_CALL_ALL_CALLS: u16 = 0x7a;
/// DWARF 4's GNU extension for `DW_AT_call_all_calls`.
pub(super) const DW_AT_GNU_ALL_CALL_SITES: u16 = 0x2117;
pub(super) const DW_AT_CALL_ALL_TAIL_CALLS: u16 = 0x7c;
pub(super) const DW_AT_GNU_ALL_TAIL_CALL_SITES: u16 = 0x2116;
pub(super) const DW_AT_CALL_RETURN_PC: u16 = 0x7d;
pub(super) const DW_AT_CALL_VALUE: u16 = 0x7e;
pub(super) const DW_AT_CALL_ORIGIN: u16 = 0x7f;
/// DWARF 4's GNU extension for `DW_AT_call_value`.
pub(super) const DW_AT_GNU_CALL_SITE_VALUE: u16 = 0x2111;
pub(super) const DW_TAG_CALL_SITE: u16 = 0x48;
pub(super) const DW_TAG_CALL_SITE_PARAMETER: u16 = 0x49;
/// DWARF 4's GNU extensions for `DW_TAG_call_site` and its parameters (GCC, gdb and LLVM
/// read them).
pub(super) const DW_TAG_GNU_CALL_SITE: u16 = 0x4109;
pub(super) const DW_TAG_GNU_CALL_SITE_PARAMETER: u16 = 0x410a;

// Forms (7.5.6).
pub(super) const DW_FORM_ADDR: u16 = 0x01;
pub(super) const DW_FORM_DATA2: u16 = 0x05;
pub(super) const DW_FORM_DATA4: u16 = 0x06;
pub(super) const DW_FORM_DATA8: u16 = 0x07;
pub(super) const DW_FORM_DATA1: u16 = 0x0b;
pub(super) const DW_FORM_SDATA: u16 = 0x0d;
pub(super) const DW_FORM_REF4: u16 = 0x13;
pub(super) const DW_FORM_STRP: u16 = 0x0e;
pub(super) const DW_FORM_UDATA: u16 = 0x0f;
pub(super) const DW_FORM_SEC_OFFSET: u16 = 0x17;
pub(super) const DW_FORM_EXPRLOC: u16 = 0x18;
pub(super) const DW_FORM_FLAG_PRESENT: u16 = 0x19;
pub(super) const DW_FORM_ADDRX: u16 = 0x1b;
pub(super) const DW_FORM_LINE_STRP: u16 = 0x1f;
pub(super) const DW_FORM_RNGLISTX: u16 = 0x23;
pub(super) const DW_FORM_STRX1: u16 = 0x25;
pub(super) const DW_FORM_STRX2: u16 = 0x26;
pub(super) const DW_FORM_STRX3: u16 = 0x27;
pub(super) const DW_FORM_STRX4: u16 = 0x28;

// Inline codes (7.9).
pub(super) const DW_INL_DECLARED_INLINED: u8 = 0x03;

// Expression operations (7.7.1).
pub(super) const DW_OP_ADDR: u8 = 0x03;
pub(super) const DW_OP_PLUS_UCONST: u8 = 0x23;
pub(super) const DW_OP_REG0: u8 = 0x50;
pub(super) const DW_OP_BREG0: u8 = 0x70;
pub(super) const DW_OP_REGX: u8 = 0x90;
pub(super) const DW_OP_FBREG: u8 = 0x91;
pub(super) const DW_OP_BREGX: u8 = 0x92;
pub(super) const DW_OP_PIECE: u8 = 0x93;
pub(super) const DW_OP_CALL_FRAME_CFA: u8 = 0x9c;
pub(super) const DW_OP_IMPLICIT_VALUE: u8 = 0x9e;
pub(super) const DW_OP_STACK_VALUE: u8 = 0x9f;

// Location list entries (7.7.3).
pub(super) const DW_LLE_END_OF_LIST: u8 = 0x00;
pub(super) const DW_LLE_STARTX_LENGTH: u8 = 0x03;

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
pub(super) const DW_RLE_START_LENGTH: u8 = 0x07;

// Line program parameters objforge uses, as GCC and LLVM do: special opcodes cover line
// advances -5..=8 and, with the minimum instruction length 1, address advances up to 17.
pub(super) const LINE_BASE: i8 = -5;
pub(super) const LINE_RANGE: u8 = 14;
/// The first special opcode: every standard opcode of DWARF 3 and later is below it.
pub(super) const OPCODE_BASE: u8 = 13;
/// Operand counts of standard opcodes 1..=12 (`DW_LNS_copy` .. `DW_LNS_set_isa`).
pub(super) const STANDARD_OPCODE_LENGTHS: [u8; 12] = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];
