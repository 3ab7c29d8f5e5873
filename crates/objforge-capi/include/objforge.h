/*
 * objforge.h - the C ABI of objforge (crate objforge-capi): build a relocatable object
 * (ELF, Mach-O, COFF, Wasm) from machine-code bytes, symbols, relocations and line rows.
 *
 * Link the static library (target/<profile>/libobjforge_capi.a, with -lpthread -ldl -lm) or
 * the shared one (libobjforge_capi.so).
 *
 * This header is written by hand. crates/objforge-capi/tests/header.rs keeps it in sync with
 * src/lib.rs: every exported function must be declared here with the C spelling of its Rust
 * signature (and nothing else declared), every constant must have its Rust value, and the
 * OBJFORGE_RELOC_* numbers must be the library's ALL_KINDS in order.
 *
 * ERRORS. Every function but objforge_version and objforge_free returns an objforge_code:
 * OBJFORGE_OK (0) or one of OBJFORGE_ERR_*. When `err` is not NULL it is filled with the same
 * code and a one-line UTF-8 message naming the place, spelled like a path into the JSON spec
 * of `objforge build` (docs/spec.md): "relocations[7].offset: 4100 is past the end of .text
 * (4096 bytes)", "sections[2].kind: unknown section kind \"txt\" (...)". No call aborts on
 * bad input and no Rust panic crosses this boundary: a bug in objforge comes back as
 * OBJFORGE_ERR_INTERNAL.
 *
 * IDS. Sections, symbols, relocations and debug files are numbered from 0 in the order they
 * are added; the adding call stores the id in `*out_id` (when not NULL). Most checks of the
 * model (offsets inside sections, kinds the target supports, ...) happen when it is written,
 * so a bad relocation can come back from objforge_write naming "relocations[N]".
 *
 * OWNERSHIP.
 *  - An objforge_object is created by objforge_new and owned by the caller until it passes it
 *    to objforge_free (exactly once). It is not thread-safe: one thread at a time.
 *  - Every pointer argument (strings, byte buffers) is borrowed for the duration of the call
 *    only: objforge copies what it keeps. Strings are NUL-terminated UTF-8.
 *  - objforge_error is caller-owned memory (a stack variable is fine), may be NULL, and holds
 *    no pointers.
 *  - Output buffers belong to the caller; objforge never returns memory the caller must free.
 *  - objforge_version returns a static string.
 */
#ifndef OBJFORGE_H
#define OBJFORGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes. */
typedef int objforge_code;
#define OBJFORGE_OK 0
/* The model is inconsistent (a dangling id, an offset out of range, a bad alignment). */
#define OBJFORGE_ERR_INVALID 1
/* The target cannot express part of the model (a relocation kind, a binding). */
#define OBJFORGE_ERR_UNSUPPORTED 2
/* Writing the file failed. */
#define OBJFORGE_ERR_IO 3
/* A bad argument: NULL, text that is not UTF-8, an unknown name, an unknown id. */
#define OBJFORGE_ERR_ARGUMENT 4
/* The caller's buffer is smaller than the object; *out_len says how large it must be. */
#define OBJFORGE_ERR_BUFFER_TOO_SMALL 5
/* A bug in objforge (a caught panic). */
#define OBJFORGE_ERR_INTERNAL 6

/* Bytes of objforge_error.message, the terminating NUL included. */
#define OBJFORGE_MESSAGE_CAP 1024
/* "No section" (an undefined symbol) / "no symbol" (a rv_pcrel_lo12_* relocation). */
#define OBJFORGE_NONE UINT32_MAX

/* objforge_section_set_flags bits. */
#define OBJFORGE_SECTION_MERGE_STRINGS 1
#define OBJFORGE_SECTION_MERGE 2
#define OBJFORGE_SECTION_EXCLUDE 4
#define OBJFORGE_SECTION_RETAIN 8

/* objforge_debug_add_line flags. */
#define OBJFORGE_LINE_IS_STMT 1
#define OBJFORGE_LINE_END_SEQUENCE 2

/* The error record: the code, and "PLACE: what is wrong" (empty on success), cut at a
 * character boundary when longer than the buffer. */
typedef struct objforge_error {
    int code;
    char message[OBJFORGE_MESSAGE_CAP];
} objforge_error;

/* An object under construction (opaque). */
typedef struct objforge_object objforge_object;

/* The portable relocation kinds (docs/relocations.md), for objforge_add_reloc. The same
 * kinds by name ("x86_branch32") go to objforge_add_reloc_named. */
enum objforge_reloc_kind {
    OBJFORGE_RELOC_ABS8 = 0,
    OBJFORGE_RELOC_ABS16 = 1,
    OBJFORGE_RELOC_ABS32 = 2,
    OBJFORGE_RELOC_ABS32S = 3,
    OBJFORGE_RELOC_ABS64 = 4,
    OBJFORGE_RELOC_PCREL8 = 5,
    OBJFORGE_RELOC_PCREL16 = 6,
    OBJFORGE_RELOC_PCREL32 = 7,
    OBJFORGE_RELOC_PCREL64 = 8,
    OBJFORGE_RELOC_SECREL32 = 9,
    OBJFORGE_RELOC_SECIDX16 = 10,
    OBJFORGE_RELOC_IMAGEREL32 = 11,
    OBJFORGE_RELOC_X86_BRANCH32 = 12,
    OBJFORGE_RELOC_X86_GOTPCREL32 = 13,
    OBJFORGE_RELOC_A64_CALL26 = 14,
    OBJFORGE_RELOC_A64_JUMP26 = 15,
    OBJFORGE_RELOC_A64_CONDBR19 = 16,
    OBJFORGE_RELOC_A64_TSTBR14 = 17,
    OBJFORGE_RELOC_A64_LDR_LIT19 = 18,
    OBJFORGE_RELOC_A64_ADR21 = 19,
    OBJFORGE_RELOC_A64_ADRP21 = 20,
    OBJFORGE_RELOC_A64_ADD_LO12 = 21,
    OBJFORGE_RELOC_A64_LDST8_LO12 = 22,
    OBJFORGE_RELOC_A64_LDST16_LO12 = 23,
    OBJFORGE_RELOC_A64_LDST32_LO12 = 24,
    OBJFORGE_RELOC_A64_LDST64_LO12 = 25,
    OBJFORGE_RELOC_A64_LDST128_LO12 = 26,
    OBJFORGE_RELOC_A64_GOT_ADRP21 = 27,
    OBJFORGE_RELOC_A64_GOT_LD64_LO12 = 28,
    OBJFORGE_RELOC_RV_CALL = 29,
    OBJFORGE_RELOC_RV_PCREL_HI20 = 30,
    OBJFORGE_RELOC_RV_GOT_HI20 = 31,
    OBJFORGE_RELOC_RV_PCREL_LO12_I = 32,
    OBJFORGE_RELOC_RV_PCREL_LO12_S = 33,
    OBJFORGE_RELOC_RV_HI20 = 34,
    OBJFORGE_RELOC_RV_LO12_I = 35,
    OBJFORGE_RELOC_RV_LO12_S = 36,
    OBJFORGE_RELOC_RV_BRANCH = 37,
    OBJFORGE_RELOC_RV_JAL = 38,
    OBJFORGE_RELOC_RV_RVC_BRANCH = 39,
    OBJFORGE_RELOC_RV_RVC_JUMP = 40,
    OBJFORGE_RELOC_DIFF8 = 41,
    OBJFORGE_RELOC_DIFF16 = 42,
    OBJFORGE_RELOC_DIFF32 = 43,
    OBJFORGE_RELOC_DIFF64 = 44,
    OBJFORGE_RELOC_WASM_FUNC_INDEX_LEB = 45,
    OBJFORGE_RELOC_WASM_FUNC_INDEX_I32 = 46,
    OBJFORGE_RELOC_WASM_TABLE_INDEX_SLEB = 47,
    OBJFORGE_RELOC_WASM_TABLE_INDEX_I32 = 48,
    OBJFORGE_RELOC_WASM_TABLE_INDEX_SLEB64 = 49,
    OBJFORGE_RELOC_WASM_TABLE_INDEX_I64 = 50,
    OBJFORGE_RELOC_WASM_MEMORY_ADDR_LEB = 51,
    OBJFORGE_RELOC_WASM_MEMORY_ADDR_SLEB = 52,
    OBJFORGE_RELOC_WASM_MEMORY_ADDR_I32 = 53,
    OBJFORGE_RELOC_WASM_MEMORY_ADDR_LEB64 = 54,
    OBJFORGE_RELOC_WASM_MEMORY_ADDR_SLEB64 = 55,
    OBJFORGE_RELOC_WASM_MEMORY_ADDR_I64 = 56,
    OBJFORGE_RELOC_WASM_TYPE_INDEX_LEB = 57,
    OBJFORGE_RELOC_WASM_GLOBAL_INDEX_LEB = 58,
    OBJFORGE_RELOC_WASM_GLOBAL_INDEX_I32 = 59,
    OBJFORGE_RELOC_WASM_TABLE_NUMBER_LEB = 60,
    OBJFORGE_RELOC_WASM_FUNCTION_OFFSET_I32 = 61,
    OBJFORGE_RELOC_WASM_FUNCTION_OFFSET_I64 = 62,
    OBJFORGE_RELOC_WASM_SECTION_OFFSET_I32 = 63,
    OBJFORGE_RELOC_X86_TPOFF32 = 64,
    OBJFORGE_RELOC_X86_GOTTPOFF = 65,
    OBJFORGE_RELOC_X86_TLSGD = 66,
    OBJFORGE_RELOC_X86_TLSLD = 67,
    OBJFORGE_RELOC_X86_DTPOFF32 = 68,
    OBJFORGE_RELOC_X86_DTPOFF64 = 69,
    OBJFORGE_RELOC_X86_GOTPC32_TLSDESC = 70,
    OBJFORGE_RELOC_X86_TLSDESC_CALL = 71,
    OBJFORGE_RELOC_A64_TLSLE_HI12 = 72,
    OBJFORGE_RELOC_A64_TLSLE_LO12 = 73,
    OBJFORGE_RELOC_A64_TLSIE_ADRP21 = 74,
    OBJFORGE_RELOC_A64_TLSIE_LD64_LO12 = 75,
    OBJFORGE_RELOC_A64_TLSGD_ADRP21 = 76,
    OBJFORGE_RELOC_A64_TLSGD_ADD_LO12 = 77,
    OBJFORGE_RELOC_A64_TLSDESC_ADRP21 = 78,
    OBJFORGE_RELOC_A64_TLSDESC_LD64_LO12 = 79,
    OBJFORGE_RELOC_A64_TLSDESC_ADD_LO12 = 80,
    OBJFORGE_RELOC_A64_TLSDESC_CALL = 81,
    OBJFORGE_RELOC_RV_TPREL_HI20 = 82,
    OBJFORGE_RELOC_RV_TPREL_LO12_I = 83,
    OBJFORGE_RELOC_RV_TPREL_LO12_S = 84,
    OBJFORGE_RELOC_RV_TPREL_ADD = 85,
    OBJFORGE_RELOC_RV_TLS_GOT_HI20 = 86,
    OBJFORGE_RELOC_RV_TLS_GD_HI20 = 87,
    OBJFORGE_RELOC_A64_TLSLD_ADRP21 = 88,
    OBJFORGE_RELOC_A64_TLSLD_ADD_LO12 = 89,
    OBJFORGE_RELOC_A64_TLSLD_DTPREL_HI12 = 90,
    OBJFORGE_RELOC_A64_TLSLD_DTPREL_LO12 = 91,
    OBJFORGE_RELOC_X86_INDNTPOFF = 92,
    OBJFORGE_RELOC_A64_SECREL_HI12 = 93,
    OBJFORGE_RELOC_A64_SECREL_LO12 = 94,
    OBJFORGE_RELOC_A64_SECREL_LDST_LO12 = 95,
    OBJFORGE_RELOC_RV_TLSDESC_HI20 = 96,
    OBJFORGE_RELOC_RV_TLSDESC_LOAD_LO12 = 97,
    OBJFORGE_RELOC_RV_TLSDESC_ADD_LO12 = 98,
    OBJFORGE_RELOC_RV_TLSDESC_CALL = 99,
    OBJFORGE_RELOC_S390_PC32DBL = 100,
    OBJFORGE_RELOC_S390_PC16DBL = 101,
    OBJFORGE_RELOC_S390_PLT32DBL = 102,
    OBJFORGE_RELOC_S390_PLT16DBL = 103,
    OBJFORGE_RELOC_S390_GOTENT = 104,
    OBJFORGE_RELOC_S390_GOTPCDBL = 105,
    OBJFORGE_RELOC_S390_TLS_LE64 = 106,
    OBJFORGE_RELOC_S390_TLS_IEENT = 107,
    OBJFORGE_RELOC_S390_TLS_GD64 = 108,
    OBJFORGE_RELOC_S390_TLS_GDCALL = 109,
    OBJFORGE_RELOC_S390_TLS_LDM64 = 110,
    OBJFORGE_RELOC_S390_TLS_LDCALL = 111,
    OBJFORGE_RELOC_S390_TLS_LDO64 = 112,
    OBJFORGE_RELOC_PPC_REL24 = 113,
    OBJFORGE_RELOC_PPC_REL14 = 114,
    OBJFORGE_RELOC_PPC_ADDR16_HA = 115,
    OBJFORGE_RELOC_PPC_ADDR16_HI = 116,
    OBJFORGE_RELOC_PPC_ADDR16_LO = 117,
    OBJFORGE_RELOC_PPC_ADDR16_LO_DS = 118,
    OBJFORGE_RELOC_PPC_TOC16_HA = 119,
    OBJFORGE_RELOC_PPC_TOC16_LO = 120,
    OBJFORGE_RELOC_PPC_TOC16_LO_DS = 121,
    OBJFORGE_RELOC_PPC_REL16_HA = 122,
    OBJFORGE_RELOC_PPC_REL16_LO = 123,
    OBJFORGE_RELOC_PPC_GOT16_HA = 124,
    OBJFORGE_RELOC_PPC_GOT16_LO_DS = 125,
    OBJFORGE_RELOC_PPC_TPREL16_HA = 126,
    OBJFORGE_RELOC_PPC_TPREL16_LO = 127,
    OBJFORGE_RELOC_PPC_GOT_TPREL16_HA = 128,
    OBJFORGE_RELOC_PPC_GOT_TPREL16_LO_DS = 129,
    OBJFORGE_RELOC_PPC_TLS = 130,
    OBJFORGE_RELOC_ARM_PREL31 = 131,
    OBJFORGE_RELOC_ARM_CALL = 132,
    OBJFORGE_RELOC_ARM_JUMP24 = 133,
    OBJFORGE_RELOC_ARM_THM_CALL = 134,
    OBJFORGE_RELOC_ARM_THM_JUMP24 = 135,
    OBJFORGE_RELOC_ARM_THM_JUMP19 = 136,
    OBJFORGE_RELOC_ARM_MOVW_ABS_NC = 137,
    OBJFORGE_RELOC_ARM_MOVT_ABS = 138,
    OBJFORGE_RELOC_ARM_MOVW_PREL_NC = 139,
    OBJFORGE_RELOC_ARM_MOVT_PREL = 140,
    OBJFORGE_RELOC_ARM_THM_MOVW_ABS_NC = 141,
    OBJFORGE_RELOC_ARM_THM_MOVT_ABS = 142,
    OBJFORGE_RELOC_ARM_THM_MOVW_PREL_NC = 143,
    OBJFORGE_RELOC_ARM_THM_MOVT_PREL = 144,
    OBJFORGE_RELOC_ARM_GOT_PREL = 145,
    OBJFORGE_RELOC_ARM_GOT_BREL = 146,
    OBJFORGE_RELOC_ARM_GOTOFF32 = 147,
    OBJFORGE_RELOC_ARM_BASE_PREL = 148,
    OBJFORGE_RELOC_ARM_TARGET1 = 149,
    OBJFORGE_RELOC_ARM_TARGET2 = 150,
};

/* The library version ("0.1.0"), a static string. */
const char *objforge_version(void);

/* Creates an empty object for an LLVM-style triple ("x86_64-unknown-linux-gnu",
 * "arm64-apple-macos14", "x86_64-pc-windows-msvc", "riscv64-unknown-linux-gnu", ...); Mach-O's
 * platform and minimum OS version follow the triple. On success *out is the new object, to be
 * freed with objforge_free; on error *out is NULL. */
objforge_code objforge_new(const char *triple, objforge_object **out, objforge_error *err);

/* Frees an object; NULL is ignored. */
void objforge_free(objforge_object *obj);

/* Whether the platform's C symbol prefix ("_" on Mach-O and 32-bit Windows) is applied to
 * symbol names (default: yes). */
objforge_code objforge_set_mangle(objforge_object *obj, int mangle, objforge_error *err);

/* Adds a section. kind: "text", "data", "rodata", "bss", "tls_data", "tls_bss", "debug",
 * "other". With bytes non-NULL the section holds those `size` bytes (copied; relocated
 * fields zero or holding nothing the relocation needs); with bytes NULL it is `size` zero
 * bytes (the only form for bss and tls_bss). align: a power of two. */
objforge_code objforge_add_section(objforge_object *obj, const char *name, const char *kind, const uint8_t *bytes, uint64_t size, uint64_t align, uint32_t *out_id, objforge_error *err);

/* Sets a section's OBJFORGE_SECTION_* flags and merge entry size (0: the format's default). */
objforge_code objforge_section_set_flags(objforge_object *obj, uint32_t section, uint32_t flags, uint64_t entsize, objforge_error *err);

/* Puts a section in the COMDAT group `group`. selection: NULL ("any"), "any",
 * "no_duplicates", "same_size", "exact_match", "largest", or "associative" (then the section
 * is kept exactly when section `associate` is; otherwise `associate` is ignored). */
objforge_code objforge_section_set_comdat(objforge_object *obj, uint32_t section, const char *group, const char *selection, uint32_t associate, objforge_error *err);

/* Adds a symbol at `offset` in `section`, or an undefined (imported) one when section is
 * OBJFORGE_NONE (then offset must be 0; with kind "file", a source-file symbol). kind ("none", "func", "object", "tls", "section",
 * "file"), binding ("local", "global", "weak", "gnu_unique") and visibility ("default",
 * "hidden", "protected", "internal") may be NULL for the defaults: none; local when
 * defined, global when undefined; default. size: bytes, 0 if unknown. */
objforge_code objforge_add_symbol(objforge_object *obj, const char *name, uint32_t section, uint64_t offset, const char *kind, const char *binding, const char *visibility, uint64_t size, uint32_t *out_id, objforge_error *err);

/* Adds a global common (tentative) symbol the linker allocates. align: a power of two, at most
 * 2^31. */
objforge_code objforge_add_common(objforge_object *obj, const char *name, uint64_t size, uint64_t align, uint32_t *out_id, objforge_error *err);

/* Adds a relocation of portable kind `kind` (enum objforge_reloc_kind) at `offset` in
 * `section` (of the instruction, for instruction kinds) against `symbol` (OBJFORGE_NONE only
 * for rv_pcrel_lo12_*), with an explicit addend (RELA meaning, whatever the format stores). */
objforge_code objforge_add_reloc(objforge_object *obj, uint32_t section, uint64_t offset, uint32_t symbol, uint32_t kind, int64_t addend, uint32_t *out_id, objforge_error *err);

/* objforge_add_reloc with the kind by its name in docs/relocations.md ("x86_branch32"). */
objforge_code objforge_add_reloc_named(objforge_object *obj, uint32_t section, uint64_t offset, uint32_t symbol, const char *kind, int64_t addend, uint32_t *out_id, objforge_error *err);

/* Adds a relocation in the format's own encoding: ELF r_type, COFF Type, or Mach-O r_type
 * with pcrel and length (log2 of the field size). size: bytes patched (0: unknown), for the
 * bounds checks only. */
objforge_code objforge_add_reloc_native(objforge_object *obj, uint32_t section, uint64_t offset, uint32_t symbol, uint32_t r_type, int pcrel, uint8_t length, uint8_t size, int64_t addend, uint32_t *out_id, objforge_error *err);

/* Makes rv_pcrel_lo12_i/s relocation `reloc` complete the hi20 relocation at `hi20_offset`
 * of the same section. A relocation holds a pair or a minus, not both:
 * OBJFORGE_ERR_ARGUMENT if it has a minus. */
objforge_code objforge_reloc_set_pair(objforge_object *obj, uint32_t reloc, uint64_t hi20_offset, objforge_error *err);

/* Makes diff8/16/32/64 relocation `reloc` subtract the address of symbol `minus`.
 * OBJFORGE_ERR_ARGUMENT if the relocation has a pair. */
objforge_code objforge_reloc_set_minus(objforge_object *obj, uint32_t reloc, uint32_t minus, objforge_error *err);

/* ppc64le (ELFv2): symbol `symbol`'s local entry point is `offset` bytes past it (0, 4, 8, 16,
 * 32 or 64; 1: no separate local entry, r2 not preserved; 0 removes it), written in st_other.
 * Checked when the object is written: only on ppc64le ELF, for a defined symbol. */
objforge_code objforge_symbol_set_local_entry(objforge_object *obj, uint32_t symbol, uint32_t offset, objforge_error *err);

/* Unwind information (docs/unwind.md): how to unwind through a function, for exceptions,
 * debuggers and profilers; ELF gets .eh_frame, COFF x86_64 .pdata/.xdata (derived from the
 * rules where Windows can describe the prologue). Adds the entry of the function of `size`
 * bytes at `offset` in `section`; its rules follow. */
objforge_code objforge_add_unwind(objforge_object *obj, uint32_t section, uint64_t offset, uint64_t size, uint32_t *out_id, objforge_error *err);

/* Adds a call-frame rule to function `unwind`, holding from `at` bytes into it (where the
 * .cfi_* directive stands: after the instruction). op: the directive's name without ".cfi_"
 * ("def_cfa", "def_cfa_register", "def_cfa_offset", "adjust_cfa_offset", "offset",
 * "val_offset", "rel_offset", "register", "restore", "undefined", "same_value",
 * "remember_state", "restore_state", "negate_ra_state", "window_save"). reg and reg2:
 * registers as the assembler names them ("rbp", "x29", "s0") or DWARF numbers in decimal,
 * NULL where the rule takes none. offset: bytes, unfactored, where the rule takes one. */
objforge_code objforge_unwind_add_cfi(objforge_object *obj, uint32_t unwind, uint64_t at, const char *op, const char *reg, const char *reg2, int64_t offset, objforge_error *err);

/* Sets function `unwind`'s personality routine (a symbol, usually undefined:
 * __gxx_personality_v0) and its language-specific data area (a symbol, or OBJFORGE_NONE). */
objforge_code objforge_unwind_set_personality(objforge_object *obj, uint32_t unwind, uint32_t personality, uint32_t lsda, objforge_error *err);

/* Starts the object's debug information: one compilation unit for source `name` compiled in
 * `comp_dir`. version: 4 or 5, or 0 for the platform's default as clang-19 picks it (DWARF 4
 * for Mach-O below macOS 15 / iOS 18 / tvOS 18 / watchOS 11 / visionOS 2 and Mac Catalyst,
 * 5 otherwise). Calling it again starts over. The DWARF sections are generated when the
 * object is written. */
objforge_code objforge_debug_begin(objforge_object *obj, const char *name, const char *comp_dir, uint32_t version, objforge_error *err);

/* Sets DW_AT_producer (the compiler's name and version). */
objforge_code objforge_debug_set_producer(objforge_object *obj, const char *producer, objforge_error *err);

/* Adds a source file; rows and functions refer to it by the id stored in *out_id. */
objforge_code objforge_debug_add_file(objforge_object *obj, const char *path, uint32_t *out_id, objforge_error *err);

/* Adds a line table row: the code at `offset` in `section` comes from line:column of `file`
 * (column 0: unknown). flags: OBJFORGE_LINE_IS_STMT for a statement start; or
 * OBJFORGE_LINE_END_SEQUENCE alone, with file, line and column 0, to end a run of code before
 * `offset`. Rows of one section go in address order. */
objforge_code objforge_debug_add_line(objforge_object *obj, uint32_t section, uint64_t offset, uint32_t file, uint32_t line, uint32_t column, uint32_t flags, objforge_error *err);

/* Adds a function (DW_TAG_subprogram) of `size` bytes at `offset` in `section`, declared on
 * `line` of `file` (0: unknown), visible outside its unit if `external` is non-zero. */
objforge_code objforge_debug_add_function(objforge_object *obj, const char *name, uint32_t section, uint64_t offset, uint64_t size, uint32_t file, uint32_t line, int external, objforge_error *err);

/* Writes the object into buf. *out_len (if not NULL) gets the object's size in any case.
 * buf NULL: only the size is computed (OBJFORGE_OK). cap smaller than the object:
 * OBJFORGE_ERR_BUFFER_TOO_SMALL, nothing written. The bytes are kept until the object next
 * changes, so asking for the size first does not write twice. */
objforge_code objforge_write(objforge_object *obj, uint8_t *buf, size_t cap, size_t *out_len, objforge_error *err);

/* Writes the object to the file at `path` (created or truncated); nothing is created when
 * the model has an error. */
objforge_code objforge_write_file(objforge_object *obj, const char *path, objforge_error *err);

#ifdef __cplusplus
}
#endif

#endif /* OBJFORGE_H */
