package model

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestFromGo(t *testing.T) {
	const sym SymbolID = 7
	b := binary.LittleEndian.AppendUint32(nil, 0x14000000) // arm64 B
	cases := []struct {
		arch string
		r    GoReloc
		code []byte
		want []Reloc
	}{
		{"amd64", GoReloc{"R_CALL", 1, 4, 0, sym}, nil, []Reloc{{Offset: 1, Symbol: sym, Kind: X86Branch32, Addend: -4}}},
		{"amd64", GoReloc{"R_PCREL", 3, 4, 8, sym}, nil, []Reloc{{Offset: 3, Symbol: sym, Kind: Pcrel32, Addend: 4}}},
		{"amd64", GoReloc{"R_GOTPCREL", 3, 4, 0, sym}, nil, []Reloc{{Offset: 3, Symbol: sym, Kind: X86GotPcrel32, Addend: -4}}},
		{"386", GoReloc{"R_ADDR", 1, 4, 16, sym}, nil, []Reloc{{Offset: 1, Symbol: sym, Kind: Abs32, Addend: 16}}},
		{"arm64", GoReloc{"R_ADDR", 0, 8, 0, sym}, nil, []Reloc{{Offset: 0, Symbol: sym, Kind: Abs64}}},
		{"arm64", GoReloc{"R_CALLARM64", 0, 4, 0, sym}, nil, []Reloc{{Offset: 0, Symbol: sym, Kind: A64Call26}}},
		{"arm64", GoReloc{"R_CALLARM64", 0, 4, 0, sym}, b, []Reloc{{Offset: 0, Symbol: sym, Kind: A64Jump26}}},
		{"arm64", GoReloc{"R_ADDRARM64", 8, 8, 2, sym}, nil, []Reloc{
			{Offset: 8, Symbol: sym, Kind: A64Adrp21, Addend: 2}, {Offset: 12, Symbol: sym, Kind: A64AddLo12, Addend: 2}}},
		{"arm64", GoReloc{"R_ARM64_GOTPCREL", 8, 8, 0, sym}, nil, []Reloc{
			{Offset: 8, Symbol: sym, Kind: A64GotAdrp21}, {Offset: 12, Symbol: sym, Kind: A64GotLd64Lo12}}},
		{"riscv64", GoReloc{"R_RISCV_CALL", 4, 8, 0, sym}, nil, []Reloc{{Offset: 4, Symbol: sym, Kind: RvCall}}},
		{"riscv64", GoReloc{"R_CALLRISCV", 4, 0, 0, sym}, nil, nil},
		{"amd64", GoReloc{"R_USETYPE", 0, 0, 0, sym}, nil, nil},
	}
	for _, c := range cases {
		got, err := FromGo(c.arch, 0, c.r, c.code)
		if err != nil {
			t.Errorf("%s %s: %v", c.arch, c.r.Type, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s %s: got %+v, want %+v", c.arch, c.r.Type, got, c.want)
			continue
		}
		for i := range got {
			if got[i].Pair != nil || got[i] != c.want[i] {
				t.Errorf("%s %s [%d]: got %+v, want %+v", c.arch, c.r.Type, i, got[i], c.want[i])
			}
		}
	}

	// RISC-V AUIPC pairs: the lo12 names its hi20 by offset.
	got, err := FromGo("riscv64", 2, GoReloc{"R_RISCV_PCREL_STYPE", 16, 8, 4, sym}, nil)
	if err != nil || len(got) != 2 || got[0].Kind != RvPcrelHi20 || got[0].Addend != 4 ||
		got[1].Kind != RvPcrelLo12S || got[1].Offset != 20 || got[1].Symbol != NoSymbol ||
		got[1].Pair == nil || *got[1].Pair != 16 || got[1].Section != 2 {
		t.Errorf("R_RISCV_PCREL_STYPE: %+v %v", got, err)
	}

	for _, bad := range []struct{ arch, typ, says string }{
		{"amd64", "R_TLS_LE", "no thread-local access models"},
		{"arm64", "R_ARM64_TLS_IE", "no thread-local access models"},
		{"riscv64", "R_RISCV_TLS_LE", "no thread-local access models"},
		{"amd64", "R_METHODOFF", "only Go's own linker"},
		{"ppc64le", "R_ADDRPOWER", "amd64, 386, arm64 and riscv64"},
		{"riscv64", "R_RISCV_PCREL_LO12_I", "R_RISCV_PCREL_ITYPE"},
		{"386", "R_GOTPCREL", "no portable kind"},
	} {
		_, err := FromGo(bad.arch, 0, GoReloc{bad.typ, 12, 4, 0, sym}, nil)
		if err == nil || !strings.Contains(err.Error(), bad.typ) || !strings.Contains(err.Error(), bad.says) ||
			!strings.Contains(err.Error(), "Native") {
			t.Errorf("%s %s: %v", bad.arch, bad.typ, err)
		}
	}
}
