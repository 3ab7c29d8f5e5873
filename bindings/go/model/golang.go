package model

import (
	"encoding/binary"
	"fmt"
)

// GoReloc is one relocation as Go's assemblers record it (cmd/internal/obj.Reloc, and
// golang-asm's copy of it): Type is the objabi.RelocType's name as its String method
// spells it ("R_CALL", "R_ADDRARM64"; the numbers differ between Go versions, the names
// do not), Off the offset of the field or instruction in the function's bytes, Siz the bytes
// it covers, Add the addend in Go's convention.
type GoReloc struct {
	Type string
	Off  uint64
	Siz  uint8
	Add  int64
	Sym  SymbolID
}

// FromGo maps a relocation of Go's assemblers, in section (whose bytes are code), to
// portable relocations, for GOARCH arch ("amd64", "386", "arm64", "riscv64"). The table
// with the instruction shapes each assumes is in docs/go.md.
//
//   - Go measures PC-relative values from the end of the field (P + Siz): R_PCREL,
//     R_CALL and R_GOTPCREL become addend Add - Siz.
//   - Pair relocations (R_ADDRARM64, R_ARM64_GOTPCREL, R_ARM64_PCREL_LDST*,
//     R_RISCV_PCREL_ITYPE/STYPE, R_RISCV_GOT_PCREL_ITYPE) become two portable ones, at Off
//     and Off+4.
//   - Marker relocations that patch nothing (R_CALLIND, R_USEFIELD, R_USETYPE, R_USEIFACE,
//     R_USEIFACEMETHOD, R_USENAMEDMETHOD, R_KEEP, R_INITORDER, R_CALLRISCV) map to none.
//   - R_CALLARM64 patches a BL or a B (a tail call): with code given, a B becomes a64_jump26.
//
// Anything else (TLS models, Go-runtime offsets such as R_ADDROFF and R_METHODOFF, other
// architectures) is an error that names the relocation and says to use a Native relocation.
func FromGo(arch string, section SectionID, r GoReloc, code []byte) ([]Reloc, error) {
	one := func(kind RelocKind, addend int64) ([]Reloc, error) {
		return []Reloc{{Section: section, Offset: r.Off, Symbol: r.Sym, Kind: kind, Addend: addend}}, nil
	}
	pair := func(hi, lo RelocKind) ([]Reloc, error) {
		return []Reloc{
			{Section: section, Offset: r.Off, Symbol: r.Sym, Kind: hi, Addend: r.Add},
			{Section: section, Offset: r.Off + 4, Symbol: r.Sym, Kind: lo, Addend: r.Add},
		}, nil
	}
	rvPair := func(hi, lo RelocKind) ([]Reloc, error) {
		at := r.Off
		return []Reloc{
			{Section: section, Offset: r.Off, Symbol: r.Sym, Kind: hi, Addend: r.Add},
			{Section: section, Offset: r.Off + 4, Symbol: NoSymbol, Kind: lo, Pair: &at},
		}, nil
	}
	fail := func(why string) ([]Reloc, error) {
		return nil, fmt.Errorf("objforge: %s (%s, offset %d, %d bytes): %s; describe it with a Native relocation (the format's own type) instead",
			r.Type, arch, r.Off, r.Siz, why)
	}
	x86 := arch == "amd64" || arch == "386"
	switch r.Type {
	case "R_CALLIND", "R_USEFIELD", "R_USETYPE", "R_USEIFACE", "R_USEIFACEMETHOD",
		"R_USENAMEDMETHOD", "R_KEEP", "R_INITORDER", "R_CALLRISCV":
		return nil, nil
	case "R_ADDR":
		switch r.Siz {
		case 4:
			return one(Abs32, r.Add)
		case 8:
			return one(Abs64, r.Add)
		}
		return fail(fmt.Sprintf("an absolute address of %d bytes", r.Siz))
	case "R_PCREL":
		switch r.Siz {
		case 4:
			return one(Pcrel32, r.Add-int64(r.Siz))
		case 8:
			return one(Pcrel64, r.Add-int64(r.Siz))
		}
		return fail(fmt.Sprintf("a PC-relative field of %d bytes", r.Siz))
	case "R_DWARFSECREF":
		return one(Secrel32, r.Add)
	case "R_PEIMAGEOFF":
		return one(Imagerel32, r.Add)
	}
	switch {
	case x86:
		switch r.Type {
		case "R_CALL":
			return one(X86Branch32, r.Add-int64(r.Siz))
		case "R_GOTPCREL":
			if arch == "amd64" {
				return one(X86GotPcrel32, r.Add-int64(r.Siz))
			}
		}
	case arch == "arm64":
		switch r.Type {
		case "R_CALLARM64":
			kind := A64Call26
			if len(code) >= int(r.Off)+4 && binary.LittleEndian.Uint32(code[r.Off:])>>26 == 0x05 {
				kind = A64Jump26 // B, not BL
			}
			return one(kind, r.Add)
		case "R_ADDRARM64", "R_ARM64_PCREL":
			return pair(A64Adrp21, A64AddLo12)
		case "R_ARM64_GOTPCREL", "R_ARM64_GOT":
			return pair(A64GotAdrp21, A64GotLd64Lo12)
		case "R_ARM64_PCREL_LDST8":
			return pair(A64Adrp21, A64Ldst8Lo12)
		case "R_ARM64_PCREL_LDST16":
			return pair(A64Adrp21, A64Ldst16Lo12)
		case "R_ARM64_PCREL_LDST32":
			return pair(A64Adrp21, A64Ldst32Lo12)
		case "R_ARM64_PCREL_LDST64":
			return pair(A64Adrp21, A64Ldst64Lo12)
		case "R_ARM64_LDST8":
			return one(A64Ldst8Lo12, r.Add)
		case "R_ARM64_LDST16":
			return one(A64Ldst16Lo12, r.Add)
		case "R_ARM64_LDST32":
			return one(A64Ldst32Lo12, r.Add)
		case "R_ARM64_LDST64":
			return one(A64Ldst64Lo12, r.Add)
		case "R_ARM64_LDST128":
			return one(A64Ldst128Lo12, r.Add)
		}
	case arch == "riscv64":
		switch r.Type {
		case "R_RISCV_CALL", "R_RISCV_CALL_TRAMP":
			return one(RvCall, r.Add)
		case "R_RISCV_JAL", "R_RISCV_JAL_TRAMP":
			return one(RvJal, r.Add)
		case "R_RISCV_PCREL_ITYPE":
			return rvPair(RvPcrelHi20, RvPcrelLo12I)
		case "R_RISCV_PCREL_STYPE":
			return rvPair(RvPcrelHi20, RvPcrelLo12S)
		case "R_RISCV_GOT_PCREL_ITYPE":
			return rvPair(RvGotHi20, RvPcrelLo12I)
		case "R_RISCV_PCREL_HI20":
			return one(RvPcrelHi20, r.Add)
		case "R_RISCV_GOT_HI20":
			return one(RvGotHi20, r.Add)
		case "R_RISCV_BRANCH":
			return one(RvBranch, r.Add)
		case "R_RISCV_RVC_BRANCH":
			return one(RvRvcBranch, r.Add)
		case "R_RISCV_RVC_JUMP":
			return one(RvRvcJump, r.Add)
		case "R_RISCV_PCREL_LO12_I", "R_RISCV_PCREL_LO12_S":
			return fail("a lone %pcrel_lo names its hi20 by a label objforge does not see; use R_RISCV_PCREL_ITYPE/STYPE, or a Reloc with Pair")
		}
	default:
		return fail("objforge writes amd64, 386, arm64 and riscv64 code only")
	}
	switch r.Type {
	case "R_TLS_LE", "R_TLS_IE", "R_ARM64_TLS_LE", "R_ARM64_TLS_IE", "R_ARM64_TLS_DESC",
		"R_ARM64_TLS_DESC_CALL", "R_RISCV_TLS_IE", "R_RISCV_TLS_LE", "R_RISCV_TLS_IE_ITYPE",
		"R_RISCV_TLS_IE_STYPE":
		return fail("the portable kinds have no thread-local access models")
	case "R_ADDROFF", "R_WEAKADDROFF", "R_METHODOFF", "R_ADDRCUOFF", "R_DWARFFILEREF", "R_SIZE", "R_CONST", "R_GOTOFF":
		return fail("a value only Go's own linker computes")
	}
	return fail("no portable kind computes it on " + arch)
}
