// Package model is the format-neutral description of an object that both ways of writing it
// share: package objforge (cgo, the C ABI of crates/objforge-capi) and package cli (the
// `objforge build` command and its JSON). It is plain Go, with no cgo.
//
// Ids are positions: the n-th section added is SectionID(n), and an error from objforge
// names the place as a path into these lists ("relocations[7].offset: ...").
package model

import "fmt"

// SectionID is the index of a section in Object.Sections.
type SectionID uint32

// SymbolID is the index of a symbol in Object.Symbols.
type SymbolID uint32

// FileID is the index of a source file in Debug.Files.
type FileID uint32

// NoSection marks an undefined (imported) symbol: Symbol.Section = NoSection.
const NoSection SectionID = ^SectionID(0)

// NoSymbol marks a relocation without a symbol (only rv_pcrel_lo12_*, which name a Pair).
const NoSymbol SymbolID = ^SymbolID(0)

// SectionKind is what a section holds.
type SectionKind string

// The section kinds.
const (
	Text    SectionKind = "text"
	Data    SectionKind = "data"
	Rodata  SectionKind = "rodata"
	Bss     SectionKind = "bss"
	TLSData SectionKind = "tls_data"
	TLSBss  SectionKind = "tls_bss"
	Debug   SectionKind = "debug"
	Other   SectionKind = "other"
)

// SymbolKind is what a symbol names; "" is the default (none).
type SymbolKind string

// The symbol kinds.
const (
	KindNone    SymbolKind = "none"
	KindFunc    SymbolKind = "func"
	KindObject  SymbolKind = "object"
	KindTLS     SymbolKind = "tls"
	KindSection SymbolKind = "section"
	KindFile    SymbolKind = "file"
)

// Binding is a symbol's linkage; "" is the default (local if defined, global if undefined).
type Binding string

// The bindings.
const (
	Local     Binding = "local"
	Global    Binding = "global"
	Weak      Binding = "weak"
	GNUUnique Binding = "gnu_unique"
)

// Visibility is a symbol's visibility outside its linked module; "" is the default.
type Visibility string

// The visibilities.
const (
	Default   Visibility = "default"
	Hidden    Visibility = "hidden"
	Protected Visibility = "protected"
	Internal  Visibility = "internal"
)

// RelocKind is a portable relocation kind (docs/relocations.md), or Native.
type RelocKind string

// The portable relocation kinds, in the library's order (ALL_KINDS, and the C header's
// OBJFORGE_RELOC_* numbers).
const (
	Abs8                  RelocKind = "abs8"
	Abs16                 RelocKind = "abs16"
	Abs32                 RelocKind = "abs32"
	Abs32S                RelocKind = "abs32s"
	Abs64                 RelocKind = "abs64"
	Pcrel8                RelocKind = "pcrel8"
	Pcrel16               RelocKind = "pcrel16"
	Pcrel32               RelocKind = "pcrel32"
	Pcrel64               RelocKind = "pcrel64"
	Secrel32              RelocKind = "secrel32"
	Secidx16              RelocKind = "secidx16"
	Imagerel32            RelocKind = "imagerel32"
	X86Branch32           RelocKind = "x86_branch32"
	X86GotPcrel32         RelocKind = "x86_gotpcrel32"
	A64Call26             RelocKind = "a64_call26"
	A64Jump26             RelocKind = "a64_jump26"
	A64Condbr19           RelocKind = "a64_condbr19"
	A64Tstbr14            RelocKind = "a64_tstbr14"
	A64LdrLit19           RelocKind = "a64_ldr_lit19"
	A64Adr21              RelocKind = "a64_adr21"
	A64Adrp21             RelocKind = "a64_adrp21"
	A64AddLo12            RelocKind = "a64_add_lo12"
	A64Ldst8Lo12          RelocKind = "a64_ldst8_lo12"
	A64Ldst16Lo12         RelocKind = "a64_ldst16_lo12"
	A64Ldst32Lo12         RelocKind = "a64_ldst32_lo12"
	A64Ldst64Lo12         RelocKind = "a64_ldst64_lo12"
	A64Ldst128Lo12        RelocKind = "a64_ldst128_lo12"
	A64GotAdrp21          RelocKind = "a64_got_adrp21"
	A64GotLd64Lo12        RelocKind = "a64_got_ld64_lo12"
	RvCall                RelocKind = "rv_call"
	RvPcrelHi20           RelocKind = "rv_pcrel_hi20"
	RvGotHi20             RelocKind = "rv_got_hi20"
	RvPcrelLo12I          RelocKind = "rv_pcrel_lo12_i"
	RvPcrelLo12S          RelocKind = "rv_pcrel_lo12_s"
	RvHi20                RelocKind = "rv_hi20"
	RvLo12I               RelocKind = "rv_lo12_i"
	RvLo12S               RelocKind = "rv_lo12_s"
	RvBranch              RelocKind = "rv_branch"
	RvJal                 RelocKind = "rv_jal"
	RvRvcBranch           RelocKind = "rv_rvc_branch"
	RvRvcJump             RelocKind = "rv_rvc_jump"
	Diff8                 RelocKind = "diff8"
	Diff16                RelocKind = "diff16"
	Diff32                RelocKind = "diff32"
	Diff64                RelocKind = "diff64"
	WasmFuncIndexLeb      RelocKind = "wasm_func_index_leb"
	WasmFuncIndexI32      RelocKind = "wasm_func_index_i32"
	WasmTableIndexSleb    RelocKind = "wasm_table_index_sleb"
	WasmTableIndexI32     RelocKind = "wasm_table_index_i32"
	WasmTableIndexSleb64  RelocKind = "wasm_table_index_sleb64"
	WasmTableIndexI64     RelocKind = "wasm_table_index_i64"
	WasmMemoryAddrLeb     RelocKind = "wasm_memory_addr_leb"
	WasmMemoryAddrSleb    RelocKind = "wasm_memory_addr_sleb"
	WasmMemoryAddrI32     RelocKind = "wasm_memory_addr_i32"
	WasmMemoryAddrLeb64   RelocKind = "wasm_memory_addr_leb64"
	WasmMemoryAddrSleb64  RelocKind = "wasm_memory_addr_sleb64"
	WasmMemoryAddrI64     RelocKind = "wasm_memory_addr_i64"
	WasmTypeIndexLeb      RelocKind = "wasm_type_index_leb"
	WasmGlobalIndexLeb    RelocKind = "wasm_global_index_leb"
	WasmGlobalIndexI32    RelocKind = "wasm_global_index_i32"
	WasmTableNumberLeb    RelocKind = "wasm_table_number_leb"
	WasmFunctionOffsetI32 RelocKind = "wasm_function_offset_i32"
	WasmFunctionOffsetI64 RelocKind = "wasm_function_offset_i64"
	WasmSectionOffsetI32  RelocKind = "wasm_section_offset_i32"
	X86Tpoff32            RelocKind = "x86_tpoff32"
	X86Gottpoff           RelocKind = "x86_gottpoff"
	X86Tlsgd              RelocKind = "x86_tlsgd"
	X86Tlsld              RelocKind = "x86_tlsld"
	X86Dtpoff32           RelocKind = "x86_dtpoff32"
	X86Dtpoff64           RelocKind = "x86_dtpoff64"
	X86GotpcTlsdesc       RelocKind = "x86_gotpc32_tlsdesc"
	X86TlsdescCall        RelocKind = "x86_tlsdesc_call"
	A64TlsleHi12          RelocKind = "a64_tlsle_hi12"
	A64TlsleLo12          RelocKind = "a64_tlsle_lo12"
	A64TlsieAdrp21        RelocKind = "a64_tlsie_adrp21"
	A64TlsieLd64Lo12      RelocKind = "a64_tlsie_ld64_lo12"
	A64TlsgdAdrp21        RelocKind = "a64_tlsgd_adrp21"
	A64TlsgdAddLo12       RelocKind = "a64_tlsgd_add_lo12"
	A64TlsdescAdrp21      RelocKind = "a64_tlsdesc_adrp21"
	A64TlsdescLd64Lo12    RelocKind = "a64_tlsdesc_ld64_lo12"
	A64TlsdescAddLo12     RelocKind = "a64_tlsdesc_add_lo12"
	A64TlsdescCall        RelocKind = "a64_tlsdesc_call"
	RvTprelHi20           RelocKind = "rv_tprel_hi20"
	RvTprelLo12I          RelocKind = "rv_tprel_lo12_i"
	RvTprelLo12S          RelocKind = "rv_tprel_lo12_s"
	RvTprelAdd            RelocKind = "rv_tprel_add"
	RvTlsGotHi20          RelocKind = "rv_tls_got_hi20"
	RvTlsGdHi20           RelocKind = "rv_tls_gd_hi20"
	A64TlsldAdrp21        RelocKind = "a64_tlsld_adrp21"
	A64TlsldAddLo12       RelocKind = "a64_tlsld_add_lo12"
	A64TlsldDtprelHi12    RelocKind = "a64_tlsld_dtprel_hi12"
	A64TlsldDtprelLo12    RelocKind = "a64_tlsld_dtprel_lo12"
	X86Indntpoff          RelocKind = "x86_indntpoff"
	A64SecrelHi12         RelocKind = "a64_secrel_hi12"
	A64SecrelLo12         RelocKind = "a64_secrel_lo12"
	A64SecrelLdstLo12     RelocKind = "a64_secrel_ldst_lo12"
	RvTlsdescHi20         RelocKind = "rv_tlsdesc_hi20"
	RvTlsdescLoadLo12     RelocKind = "rv_tlsdesc_load_lo12"
	RvTlsdescAddLo12      RelocKind = "rv_tlsdesc_add_lo12"
	RvTlsdescCall         RelocKind = "rv_tlsdesc_call"
	S390Pc32Dbl           RelocKind = "s390_pc32dbl"
	S390Pc16Dbl           RelocKind = "s390_pc16dbl"
	S390Plt32Dbl          RelocKind = "s390_plt32dbl"
	S390Plt16Dbl          RelocKind = "s390_plt16dbl"
	S390GotEnt            RelocKind = "s390_gotent"
	S390GotPcDbl          RelocKind = "s390_gotpcdbl"
	S390TlsLe64           RelocKind = "s390_tls_le64"
	S390TlsIeent          RelocKind = "s390_tls_ieent"
	S390TlsGd64           RelocKind = "s390_tls_gd64"
	S390TlsGdcall         RelocKind = "s390_tls_gdcall"
	S390TlsLdm64          RelocKind = "s390_tls_ldm64"
	S390TlsLdcall         RelocKind = "s390_tls_ldcall"
	S390TlsLdo64          RelocKind = "s390_tls_ldo64"
	PpcRel24              RelocKind = "ppc_rel24"
	PpcRel14              RelocKind = "ppc_rel14"
	PpcAddr16Ha           RelocKind = "ppc_addr16_ha"
	PpcAddr16Hi           RelocKind = "ppc_addr16_hi"
	PpcAddr16Lo           RelocKind = "ppc_addr16_lo"
	PpcAddr16LoDs         RelocKind = "ppc_addr16_lo_ds"
	PpcToc16Ha            RelocKind = "ppc_toc16_ha"
	PpcToc16Lo            RelocKind = "ppc_toc16_lo"
	PpcToc16LoDs          RelocKind = "ppc_toc16_lo_ds"
	PpcRel16Ha            RelocKind = "ppc_rel16_ha"
	PpcRel16Lo            RelocKind = "ppc_rel16_lo"
	PpcGot16Ha            RelocKind = "ppc_got16_ha"
	PpcGot16LoDs          RelocKind = "ppc_got16_lo_ds"
	PpcTprel16Ha          RelocKind = "ppc_tprel16_ha"
	PpcTprel16Lo          RelocKind = "ppc_tprel16_lo"
	PpcGotTprel16Ha       RelocKind = "ppc_got_tprel16_ha"
	PpcGotTprel16LoDs     RelocKind = "ppc_got_tprel16_lo_ds"
	PpcTls                RelocKind = "ppc_tls"
	ArmPrel31             RelocKind = "arm_prel31"
	ArmCall               RelocKind = "arm_call"
	ArmJump24             RelocKind = "arm_jump24"
	ArmThmCall            RelocKind = "arm_thm_call"
	ArmThmJump24          RelocKind = "arm_thm_jump24"
	ArmThmJump19          RelocKind = "arm_thm_jump19"
	ArmMovwAbsNc          RelocKind = "arm_movw_abs_nc"
	ArmMovtAbs            RelocKind = "arm_movt_abs"
	ArmMovwPrelNc         RelocKind = "arm_movw_prel_nc"
	ArmMovtPrel           RelocKind = "arm_movt_prel"
	ArmThmMovwAbsNc       RelocKind = "arm_thm_movw_abs_nc"
	ArmThmMovtAbs         RelocKind = "arm_thm_movt_abs"
	ArmThmMovwPrelNc      RelocKind = "arm_thm_movw_prel_nc"
	ArmThmMovtPrel        RelocKind = "arm_thm_movt_prel"
	ArmGotPrel            RelocKind = "arm_got_prel"
	ArmGotBrel            RelocKind = "arm_got_brel"
	ArmGotoff32           RelocKind = "arm_gotoff32"
	ArmBasePrel           RelocKind = "arm_base_prel"
	ArmTarget1            RelocKind = "arm_target1"
	ArmTarget2            RelocKind = "arm_target2"
	// Native is the format's own relocation; Reloc.Native gives its encoding.
	Native RelocKind = "native"
)

// AllKinds lists the portable kinds in the library's order.
var AllKinds = []RelocKind{
	Abs8,
	Abs16,
	Abs32,
	Abs32S,
	Abs64,
	Pcrel8,
	Pcrel16,
	Pcrel32,
	Pcrel64,
	Secrel32,
	Secidx16,
	Imagerel32,
	X86Branch32,
	X86GotPcrel32,
	A64Call26,
	A64Jump26,
	A64Condbr19,
	A64Tstbr14,
	A64LdrLit19,
	A64Adr21,
	A64Adrp21,
	A64AddLo12,
	A64Ldst8Lo12,
	A64Ldst16Lo12,
	A64Ldst32Lo12,
	A64Ldst64Lo12,
	A64Ldst128Lo12,
	A64GotAdrp21,
	A64GotLd64Lo12,
	RvCall,
	RvPcrelHi20,
	RvGotHi20,
	RvPcrelLo12I,
	RvPcrelLo12S,
	RvHi20,
	RvLo12I,
	RvLo12S,
	RvBranch,
	RvJal,
	RvRvcBranch,
	RvRvcJump,
	Diff8,
	Diff16,
	Diff32,
	Diff64,
	WasmFuncIndexLeb,
	WasmFuncIndexI32,
	WasmTableIndexSleb,
	WasmTableIndexI32,
	WasmTableIndexSleb64,
	WasmTableIndexI64,
	WasmMemoryAddrLeb,
	WasmMemoryAddrSleb,
	WasmMemoryAddrI32,
	WasmMemoryAddrLeb64,
	WasmMemoryAddrSleb64,
	WasmMemoryAddrI64,
	WasmTypeIndexLeb,
	WasmGlobalIndexLeb,
	WasmGlobalIndexI32,
	WasmTableNumberLeb,
	WasmFunctionOffsetI32,
	WasmFunctionOffsetI64,
	WasmSectionOffsetI32,
	X86Tpoff32,
	X86Gottpoff,
	X86Tlsgd,
	X86Tlsld,
	X86Dtpoff32,
	X86Dtpoff64,
	X86GotpcTlsdesc,
	X86TlsdescCall,
	A64TlsleHi12,
	A64TlsleLo12,
	A64TlsieAdrp21,
	A64TlsieLd64Lo12,
	A64TlsgdAdrp21,
	A64TlsgdAddLo12,
	A64TlsdescAdrp21,
	A64TlsdescLd64Lo12,
	A64TlsdescAddLo12,
	A64TlsdescCall,
	RvTprelHi20,
	RvTprelLo12I,
	RvTprelLo12S,
	RvTprelAdd,
	RvTlsGotHi20,
	RvTlsGdHi20,
	A64TlsldAdrp21,
	A64TlsldAddLo12,
	A64TlsldDtprelHi12,
	A64TlsldDtprelLo12,
	X86Indntpoff,
	A64SecrelHi12,
	A64SecrelLo12,
	A64SecrelLdstLo12,
	RvTlsdescHi20,
	RvTlsdescLoadLo12,
	RvTlsdescAddLo12,
	RvTlsdescCall,
	S390Pc32Dbl,
	S390Pc16Dbl,
	S390Plt32Dbl,
	S390Plt16Dbl,
	S390GotEnt,
	S390GotPcDbl,
	S390TlsLe64,
	S390TlsIeent,
	S390TlsGd64,
	S390TlsGdcall,
	S390TlsLdm64,
	S390TlsLdcall,
	S390TlsLdo64,
	PpcRel24,
	PpcRel14,
	PpcAddr16Ha,
	PpcAddr16Hi,
	PpcAddr16Lo,
	PpcAddr16LoDs,
	PpcToc16Ha,
	PpcToc16Lo,
	PpcToc16LoDs,
	PpcRel16Ha,
	PpcRel16Lo,
	PpcGot16Ha,
	PpcGot16LoDs,
	PpcTprel16Ha,
	PpcTprel16Lo,
	PpcGotTprel16Ha,
	PpcGotTprel16LoDs,
	PpcTls,
	ArmPrel31,
	ArmCall,
	ArmJump24,
	ArmThmCall,
	ArmThmJump24,
	ArmThmJump19,
	ArmMovwAbsNc,
	ArmMovtAbs,
	ArmMovwPrelNc,
	ArmMovtPrel,
	ArmThmMovwAbsNc,
	ArmThmMovtAbs,
	ArmThmMovwPrelNc,
	ArmThmMovtPrel,
	ArmGotPrel,
	ArmGotBrel,
	ArmGotoff32,
	ArmBasePrel,
	ArmTarget1,
	ArmTarget2,
}

// Section flags (Section.Flags).
const (
	MergeStrings uint32 = 1 << iota
	Merge
	Exclude
	Retain
)

// Section is a named run of bytes, or of zeros.
type Section struct {
	Name string
	Kind SectionKind
	// Bytes are the contents (relocated fields zero). Nil: Size zero bytes (the only form
	// for bss and tls_bss).
	Bytes []byte
	Size  uint64
	// Align is a power of two; 0 means 1.
	Align uint64
	// Flags: MergeStrings, Merge, Exclude, Retain.
	Flags   uint32
	EntSize uint64
	// Comdat names the COMDAT group ("" for none); ComdatSelection is "" (any), "any",
	// "no_duplicates", "same_size", "exact_match", "largest" or "associative" (with
	// ComdatAssociate).
	Comdat          string
	ComdatSelection string
	ComdatAssociate SectionID
}

// Symbol is a named address.
type Symbol struct {
	Name string
	// Section is where it is defined, or NoSection for an undefined symbol (or, with
	// Kind KindFile, a source-file symbol).
	Section    SectionID
	Offset     uint64
	Kind       SymbolKind
	Binding    Binding
	Visibility Visibility
	Size       uint64
}

// NativeReloc is a format's own relocation encoding: ELF r_type, COFF Type, Mach-O r_type
// with PCRel and Length (log2 of the field size); Size is the bytes patched (0: unknown).
type NativeReloc struct {
	Type   uint32
	PCRel  bool
	Length uint8
	Size   uint8
}

// Reloc is a place the linker patches: Kind at Offset of Section, against Symbol plus Addend.
type Reloc struct {
	Section SectionID
	// Offset of the field, or of the instruction for instruction kinds.
	Offset uint64
	Symbol SymbolID
	Kind   RelocKind
	Addend int64
	// Pair: for rv_pcrel_lo12_i/s, the offset of the hi20 relocation it completes.
	Pair *uint64
	// Minus: for diff*, the symbol subtracted.
	Minus *SymbolID
	// Native: the encoding when Kind is Native.
	Native *NativeReloc
}

// Line is a row of the line table: the code at Offset of Section comes from Line:Column
// of File. An EndSequence row only ends a run of code before Offset.
type Line struct {
	Section     SectionID
	Offset      uint64
	File        FileID
	Line        uint32
	Column      uint32
	NotStmt     bool
	EndSequence bool
}

// Function is a DW_TAG_subprogram: Size bytes of code at Offset of Section.
type Function struct {
	Name     string
	Section  SectionID
	Offset   uint64
	Size     uint64
	File     FileID
	Line     uint32
	External bool
}

// DebugInfo is one compilation unit's debug information.
type DebugInfo struct {
	Name    string
	CompDir string
	// Version is 4 or 5, or 0 for the platform's default (clang-19's: DWARF 4 for Mach-O
	// below macOS 15 and the matching iOS/tvOS/watchOS/visionOS, 5 otherwise).
	Version   int
	Producer  string
	Files     []string
	Lines     []Line
	Functions []Function
}

// AddFile adds a source file and returns its id.
func (d *DebugInfo) AddFile(path string) FileID {
	d.Files = append(d.Files, path)
	return FileID(len(d.Files) - 1)
}

// Line adds a statement row: the code at offset of section comes from line:column of file.
func (d *DebugInfo) Line(section SectionID, offset uint64, file FileID, line, column uint32) {
	d.Lines = append(d.Lines, Line{Section: section, Offset: offset, File: file, Line: line, Column: column})
}

// AddLine adds a row as given.
func (d *DebugInfo) AddLine(l Line) {
	d.Lines = append(d.Lines, l)
}

// EndSequence ends the run of code in section before offset.
func (d *DebugInfo) EndSequence(section SectionID, offset uint64) {
	d.Lines = append(d.Lines, Line{Section: section, Offset: offset, EndSequence: true})
}

// AddFunction adds a function.
func (d *DebugInfo) AddFunction(f Function) {
	d.Functions = append(d.Functions, f)
}

// Object is an object file being described.
type Object struct {
	// Triple is an LLVM-style target triple: "x86_64-unknown-linux-gnu",
	// "arm64-apple-macos14", "x86_64-pc-windows-msvc", ...
	Triple string
	// NoMangle turns off the platform's C symbol prefix ("_" on Mach-O and 32-bit Windows).
	NoMangle bool
	Sections []Section
	Symbols  []Symbol
	Relocs   []Reloc
	Debug    *DebugInfo
}

// AddSection adds a section and returns its id.
func (o *Object) AddSection(s Section) SectionID {
	o.Sections = append(o.Sections, s)
	return SectionID(len(o.Sections) - 1)
}

// AddSymbol adds a symbol and returns its id.
func (o *Object) AddSymbol(s Symbol) SymbolID {
	o.Symbols = append(o.Symbols, s)
	return SymbolID(len(o.Symbols) - 1)
}

// Undefined adds an undefined (imported) symbol and returns its id.
func (o *Object) Undefined(name string) SymbolID {
	return o.AddSymbol(Symbol{Name: name, Section: NoSection})
}

// AddReloc adds a relocation.
func (o *Object) AddReloc(r Reloc) {
	o.Relocs = append(o.Relocs, r)
}

// BeginDebug starts the object's debug information for source name compiled in compDir
// (DWARF version: the platform's default) and returns it to be filled in.
func (o *Object) BeginDebug(name, compDir string) *DebugInfo {
	o.Debug = &DebugInfo{Name: name, CompDir: compDir}
	return o.Debug
}

// Error is an error objforge reported: Code is the C ABI's OBJFORGE_ERR_* (1 invalid model,
// 2 unsupported by the target, 3 I/O, 4 bad argument; the CLI path reports 1 for every
// model error), Message names the place ("relocations[7].offset: ...").
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("objforge: %s", e.Message)
}
