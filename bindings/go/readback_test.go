package objforge_test

// Every object is written through both paths (cgo and the CLI), which must give the same
// bytes, then read back with debug/elf, debug/macho, debug/pe and debug/dwarf: sections,
// symbols (name, value, section, binding), relocations (type, offset, symbol, addend as the
// format records it) and line-table rows must be exactly as written. Every format and
// architecture objforge writes, Wasm aside.

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"example.invalid/objforge"
	"example.invalid/objforge/cli"
	"example.invalid/objforge/model"
)

// objforgeBinary is the CLI the cli package runs: $OBJFORGE, else the workspace's debug build
// (scripts/test builds it before the Go tests).
func objforgeBinary(t *testing.T) string {
	if env := os.Getenv("OBJFORGE"); env != "" {
		return env
	}
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(filepath.Dir(file), "..", "..", "target", "debug", "objforge")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no objforge command at %s and $OBJFORGE unset: run `cargo build -p objforge-cli` (scripts/test does)", bin)
	}
	return bin
}

type format int

const (
	elfFormat format = iota
	machoFormat
	coffFormat
)

// wantReloc is a relocation as the format records it: its native type, and the addend from
// r_addend (ELF RELA) or, when width is not 0, from the field in place (REL, Mach-O, COFF).
type wantReloc struct {
	offset uint64
	typ    uint32
	symbol string
	addend int64
	width  int
}

// arch is one architecture's code: a function `f` that calls `puts` and takes `msg`'s
// address, and the relocations that needs.
type arch struct {
	code   []byte
	relocs func(text model.SectionID, puts, msg model.SymbolID) []model.Reloc
}

func le32(words ...uint32) []byte {
	var out []byte
	for _, w := range words {
		out = binary.LittleEndian.AppendUint32(out, w)
	}
	return out
}

var (
	x86_64Code = []byte{
		0xe8, 0, 0, 0, 0, // 0: call puts
		0x48, 0x8d, 0x05, 0, 0, 0, 0, // 5: lea rax, [rip+msg]
		0xc3, 0x90, 0x90, 0x90, // 12: ret; padding
	}
	i386Code = []byte{
		0xe8, 0, 0, 0, 0, // 0: call puts
		0xb8, 0, 0, 0, 0, // 5: mov eax, msg
		0xc3, 0x90, 0x90, 0x90, 0x90, 0x90, // 10: ret; padding
	}
	aarch64Code = le32(
		0x94000000, // 0: bl puts
		0x90000000, // 4: adrp x0, msg
		0x91000000, // 8: add x0, x0, :lo12:msg
		0xd65f03c0, // 12: ret
	)
	riscv64Code = le32(
		0x00000097, // 0: auipc ra, 0   (call puts)
		0x000080e7, // 4: jalr ra
		0x00000517, // 8: auipc a0, 0   (msg)
		0x00050513, // 12: addi a0, a0, 0
		0x00008067, // 16: ret
	)
)

func x86Relocs(msgKind model.RelocKind, msgAt uint64, msgAddend int64) func(model.SectionID, model.SymbolID, model.SymbolID) []model.Reloc {
	return func(text model.SectionID, puts, msg model.SymbolID) []model.Reloc {
		return []model.Reloc{
			{Section: text, Offset: 1, Symbol: puts, Kind: model.X86Branch32, Addend: -4},
			{Section: text, Offset: msgAt, Symbol: msg, Kind: msgKind, Addend: msgAddend},
		}
	}
}

func aarch64Relocs(text model.SectionID, puts, msg model.SymbolID) []model.Reloc {
	return []model.Reloc{
		{Section: text, Offset: 0, Symbol: puts, Kind: model.A64Call26},
		{Section: text, Offset: 4, Symbol: msg, Kind: model.A64Adrp21},
		{Section: text, Offset: 8, Symbol: msg, Kind: model.A64AddLo12},
	}
}

func riscv64Relocs(text model.SectionID, puts, msg model.SymbolID) []model.Reloc {
	hi := uint64(8)
	return []model.Reloc{
		{Section: text, Offset: 0, Symbol: puts, Kind: model.RvCall},
		{Section: text, Offset: 8, Symbol: msg, Kind: model.RvPcrelHi20},
		{Section: text, Offset: 12, Symbol: model.NoSymbol, Kind: model.RvPcrelLo12I, Pair: &hi},
	}
}

type target struct {
	triple  string
	format  format
	arch    arch
	names   [3]string // text, rodata, data section names
	prefix  string    // the C symbol prefix the format adds
	ptr     int       // pointer size
	text    []wantReloc
	data    []wantReloc
	dwarfV5 bool
}

var elfNames = [3]string{".text", ".rodata", ".data"}
var machoNames = [3]string{"__TEXT,__text", "__TEXT,__const", "__DATA,__data"}
var coffNames = [3]string{".text", ".rdata", ".data"}

var targets = []target{
	{"x86_64-unknown-linux-gnu", elfFormat, arch{x86_64Code, x86Relocs(model.Pcrel32, 8, -4)}, elfNames, "", 8,
		[]wantReloc{{1, uint32(elf.R_X86_64_PLT32), "puts", -4, 0}, {8, uint32(elf.R_X86_64_PC32), "msg", -4, 0}},
		[]wantReloc{{0, uint32(elf.R_X86_64_64), "f", 8, 0}}, true},
	{"i686-unknown-linux-gnu", elfFormat, arch{i386Code, x86Relocs(model.Abs32, 6, 0)}, elfNames, "", 4,
		[]wantReloc{{1, uint32(elf.R_386_PLT32), "puts", -4, 4}, {6, uint32(elf.R_386_32), "msg", 0, 4}},
		[]wantReloc{{0, uint32(elf.R_386_32), "f", 8, 4}}, true},
	{"aarch64-unknown-linux-gnu", elfFormat, arch{aarch64Code, aarch64Relocs}, elfNames, "", 8,
		[]wantReloc{{0, uint32(elf.R_AARCH64_CALL26), "puts", 0, 0}, {4, uint32(elf.R_AARCH64_ADR_PREL_PG_HI21), "msg", 0, 0}, {8, uint32(elf.R_AARCH64_ADD_ABS_LO12_NC), "msg", 0, 0}},
		[]wantReloc{{0, uint32(elf.R_AARCH64_ABS64), "f", 8, 0}}, true},
	{"riscv64-unknown-linux-gnu", elfFormat, arch{riscv64Code, riscv64Relocs}, elfNames, "", 8,
		[]wantReloc{{0, uint32(elf.R_RISCV_CALL_PLT), "puts", 0, 0}, {8, uint32(elf.R_RISCV_PCREL_HI20), "msg", 0, 0}, {12, uint32(elf.R_RISCV_PCREL_LO12_I), "", 0, 0}},
		[]wantReloc{{0, uint32(elf.R_RISCV_64), "f", 8, 0}}, true},
	{"x86_64-apple-macos11", machoFormat, arch{x86_64Code, x86Relocs(model.Pcrel32, 8, -4)}, machoNames, "_", 8,
		[]wantReloc{{1, uint32(macho.X86_64_RELOC_BRANCH), "_puts", 0, 4}, {8, uint32(macho.X86_64_RELOC_SIGNED), "_msg", 0, 4}},
		[]wantReloc{{0, uint32(macho.X86_64_RELOC_UNSIGNED), "_f", 8, 8}}, false},
	{"arm64-apple-macos11", machoFormat, arch{aarch64Code, aarch64Relocs}, machoNames, "_", 8,
		[]wantReloc{{0, uint32(macho.ARM64_RELOC_BRANCH26), "_puts", 0, 0}, {4, uint32(macho.ARM64_RELOC_PAGE21), "_msg", 0, 0}, {8, uint32(macho.ARM64_RELOC_PAGEOFF12), "_msg", 0, 0}},
		[]wantReloc{{0, uint32(macho.ARM64_RELOC_UNSIGNED), "_f", 8, 8}}, false},
	{"x86_64-pc-windows-msvc", coffFormat, arch{x86_64Code, x86Relocs(model.Pcrel32, 8, -4)}, coffNames, "", 8,
		[]wantReloc{{1, uint32(imageRelAMD64Rel32), "puts", 0, 4}, {8, uint32(imageRelAMD64Rel32), "msg", 0, 4}},
		[]wantReloc{{0, uint32(imageRelAMD64Addr64), "f", 8, 8}}, true},
	{"i686-pc-windows-msvc", coffFormat, arch{i386Code, x86Relocs(model.Abs32, 6, 0)}, coffNames, "_", 4,
		[]wantReloc{{1, uint32(imageRelI386Rel32), "_puts", 0, 4}, {6, uint32(imageRelI386Dir32), "_msg", 0, 4}},
		[]wantReloc{{0, uint32(imageRelI386Dir32), "_f", 8, 4}}, true},
	{"aarch64-pc-windows-msvc", coffFormat, arch{aarch64Code, aarch64Relocs}, coffNames, "", 8,
		[]wantReloc{{0, uint32(imageRelARM64Branch26), "puts", 0, 0}, {4, uint32(imageRelARM64PagebaseRel21), "msg", 0, 0}, {8, uint32(imageRelARM64Pageoffset12A), "msg", 0, 0}},
		[]wantReloc{{0, uint32(imageRelARM64Addr64), "f", 8, 8}}, true},
}

// COFF relocation types (Go 1.19's debug/pe has no names for them).
const (
	imageRelAMD64Addr64        = 0x1
	imageRelAMD64Rel32         = 0x4
	imageRelI386Dir32          = 0x6
	imageRelI386Rel32          = 0x14
	imageRelARM64Branch26      = 0x3
	imageRelARM64PagebaseRel21 = 0x4
	imageRelARM64Pageoffset12A = 0x6
	imageRelARM64Addr64        = 0xe
	symClassExternal           = 2
	symClassStatic             = 3
)

const message = "hello from Go\x00"

// build describes the test object for t through b (either package's model.Object).
func build(t target, o *model.Object) {
	text := o.AddSection(model.Section{Name: t.names[0], Kind: model.Text, Align: 16, Bytes: t.arch.code})
	rodata := o.AddSection(model.Section{Name: t.names[1], Kind: model.Rodata, Align: 1, Bytes: []byte(message)})
	data := o.AddSection(model.Section{Name: t.names[2], Kind: model.Data, Align: 8, Bytes: make([]byte, t.ptr)})
	f := o.AddSymbol(model.Symbol{Name: "f", Section: text, Kind: model.KindFunc, Binding: model.Global, Size: uint64(len(t.arch.code))})
	o.AddSymbol(model.Symbol{Name: "ret_here", Section: text, Offset: 12, Kind: model.KindNone})
	msg := o.AddSymbol(model.Symbol{Name: "msg", Section: rodata, Kind: model.KindObject, Binding: model.Global, Size: uint64(len(message))})
	puts := o.Undefined("puts")
	for _, r := range t.arch.relocs(text, puts, msg) {
		o.AddReloc(r)
	}
	ptrKind := model.Abs64
	if t.ptr == 4 {
		ptrKind = model.Abs32
	}
	o.AddReloc(model.Reloc{Section: data, Offset: 0, Symbol: f, Kind: ptrKind, Addend: 8})
	d := o.BeginDebug("hello.mini", "/src/hello")
	d.Producer = "objforge Go test"
	file := d.AddFile("hello.mini")
	d.Line(text, 0, file, 3, 1)
	d.Line(text, 4, file, 4, 5)
	d.AddLine(model.Line{Section: text, Offset: 8, File: file, Line: 4, Column: 9, NotStmt: true})
	d.Line(text, 12, file, 5, 1)
	d.EndSequence(text, uint64(len(t.arch.code)))
	d.AddFunction(model.Function{Name: "f", Section: text, Size: uint64(len(t.arch.code)), File: file, Line: 3, External: true})
}

// wantRows are the rows build writes, as (offset, line, column, is_stmt, end_sequence).
var wantRows = [][5]int{{0, 3, 1, 1, 0}, {4, 4, 5, 1, 0}, {8, 4, 9, 0, 0}, {12, 5, 1, 1, 0}, {-1, 0, 0, 0, 1}}

func writeBoth(t *testing.T, tg target) []byte {
	viaC := objforge.New(tg.triple)
	build(tg, &viaC.Object)
	fromC, err := viaC.Write()
	if err != nil {
		t.Fatalf("%s via cgo: %v", tg.triple, err)
	}
	viaCLI := cli.New(tg.triple)
	viaCLI.Binary = objforgeBinary(t)
	build(tg, &viaCLI.Object)
	fromCLI, err := viaCLI.Write()
	if err != nil {
		t.Fatalf("%s via the CLI: %v", tg.triple, err)
	}
	if !bytes.Equal(fromC, fromCLI) {
		t.Fatalf("%s: cgo wrote %d bytes, the CLI %d, and they differ", tg.triple, len(fromC), len(fromCLI))
	}
	dir := filepath.Join(os.TempDir(), "objforge-go-tests")
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, tg.triple+".o"), fromC, 0o644)
	return fromC
}

// A symbol as read back: its name, value, section name ("" undefined) and whether global.
type gotSymbol struct {
	value   uint64
	section string
	global  bool
}

type gotReloc struct {
	offset uint64
	typ    uint32
	symbol string
	addend int64
}

// readBack is what a reader found: sections' contents by name, symbols, the relocations of the
// text and data sections, section addresses, and the DWARF.
type readBack struct {
	contents map[string][]byte
	addr     map[string]uint64
	symbols  map[string]gotSymbol
	relocs   map[string][]gotReloc
	dwarf    *dwarf.Data
	dwarfErr error
}

func field(data []byte, off uint64, width int) int64 {
	switch width {
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(data[off:])))
	case 8:
		return int64(binary.LittleEndian.Uint64(data[off:]))
	}
	return 0
}

// inPlaceWidth is the width of the field holding the addend of relocation type typ, 0 when
// the test's relocations of that type keep none there.
func inPlaceWidth(tg target, typ uint32) int {
	for _, w := range append(append([]wantReloc{}, tg.text...), tg.data...) {
		if w.typ == typ {
			return w.width
		}
	}
	return 0
}

func readELF(t *testing.T, obj []byte, tg target) readBack {
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	rb := readBack{contents: map[string][]byte{}, addr: map[string]uint64{}, symbols: map[string]gotSymbol{}, relocs: map[string][]gotReloc{}}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS {
			rb.contents[s.Name], _ = s.Data()
			rb.addr[s.Name] = s.Addr
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		section := ""
		if s.Section != elf.SHN_UNDEF && int(s.Section) < len(f.Sections) {
			section = f.Sections[s.Section].Name
		}
		if s.Name != "" {
			rb.symbols[s.Name] = gotSymbol{s.Value, section, elf.ST_BIND(s.Info) == elf.STB_GLOBAL}
		}
	}
	name := func(index uint32) string {
		if index == 0 || int(index) > len(syms) {
			return ""
		}
		return syms[index-1].Name
	}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_RELA && s.Type != elf.SHT_REL {
			continue
		}
		target := f.Sections[s.Info].Name
		if target != ".text" && target != ".data" {
			continue
		}
		data, _ := s.Data()
		contents := rb.contents[target]
		r := bytes.NewReader(data)
		for r.Len() > 0 {
			var g gotReloc
			switch {
			case f.Class == elf.ELFCLASS64:
				var e elf.Rela64
				_ = binary.Read(r, binary.LittleEndian, &e)
				g = gotReloc{e.Off, elf.R_TYPE64(e.Info), name(elf.R_SYM64(e.Info)), e.Addend}
			case s.Type == elf.SHT_RELA:
				var e elf.Rela32
				_ = binary.Read(r, binary.LittleEndian, &e)
				g = gotReloc{uint64(e.Off), elf.R_TYPE32(e.Info), name(elf.R_SYM32(e.Info)), int64(e.Addend)}
			default:
				var e elf.Rel32
				_ = binary.Read(r, binary.LittleEndian, &e)
				g = gotReloc{uint64(e.Off), elf.R_TYPE32(e.Info), name(elf.R_SYM32(e.Info)), field(contents, uint64(e.Off), 4)}
			}
			rb.relocs[target] = append(rb.relocs[target], g)
		}
	}
	rb.dwarf, rb.dwarfErr = f.DWARF()
	return rb
}

func readMachO(t *testing.T, obj []byte, tg target) readBack {
	f, err := macho.NewFile(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	rb := readBack{contents: map[string][]byte{}, addr: map[string]uint64{}, symbols: map[string]gotSymbol{}, relocs: map[string][]gotReloc{}}
	for _, s := range f.Sections {
		name := s.Seg + "," + s.Name
		rb.contents[name], _ = s.Data()
		rb.addr[name] = s.Addr
	}
	for _, s := range f.Symtab.Syms {
		section := ""
		if s.Sect != 0 {
			sec := f.Sections[s.Sect-1]
			section = sec.Seg + "," + sec.Name
		}
		rb.symbols[s.Name] = gotSymbol{s.Value, section, s.Type&0x01 != 0}
	}
	for _, s := range f.Sections {
		name := s.Seg + "," + s.Name
		if name != tg.names[0] && name != tg.names[2] {
			continue
		}
		for _, r := range s.Relocs {
			sym := ""
			if r.Extern {
				sym = f.Symtab.Syms[r.Value].Name
			}
			addend := field(rb.contents[name], uint64(r.Addr), inPlaceWidth(tg, uint32(r.Type)))
			rb.relocs[name] = append(rb.relocs[name], gotReloc{uint64(r.Addr), uint32(r.Type), sym, addend})
		}
	}
	rb.dwarf, rb.dwarfErr = f.DWARF()
	return rb
}

func readPE(t *testing.T, obj []byte, tg target) readBack {
	f, err := pe.NewFile(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	rb := readBack{contents: map[string][]byte{}, addr: map[string]uint64{}, symbols: map[string]gotSymbol{}, relocs: map[string][]gotReloc{}}
	for _, s := range f.Sections {
		rb.contents[s.Name], _ = s.Data()
		rb.addr[s.Name] = uint64(s.VirtualAddress)
	}
	for _, s := range f.COFFSymbols {
		name, err := s.FullName(f.StringTable)
		if err != nil {
			t.Fatal(err)
		}
		section := ""
		if s.SectionNumber > 0 {
			section = f.Sections[s.SectionNumber-1].Name
		}
		if s.StorageClass == symClassStatic && s.SectionNumber > 0 && s.Value == 0 && name == section {
			continue // the section's own symbol
		}
		rb.symbols[name] = gotSymbol{uint64(s.Value), section, s.StorageClass == symClassExternal}
	}
	for _, s := range f.Sections {
		if s.Name != ".text" && s.Name != ".data" {
			continue
		}
		for _, r := range s.Relocs {
			sym, err := f.COFFSymbols[r.SymbolTableIndex].FullName(f.StringTable)
			if err != nil {
				t.Fatal(err)
			}
			width := inPlaceWidth(tg, uint32(r.Type))
			rb.relocs[s.Name] = append(rb.relocs[s.Name], gotReloc{uint64(r.VirtualAddress), uint32(r.Type), sym, field(rb.contents[s.Name], uint64(r.VirtualAddress), width)})
		}
	}
	rb.dwarf, rb.dwarfErr = f.DWARF()
	return rb
}

func TestReadBackEveryFormatAndArchitecture(t *testing.T) {
	for _, tg := range targets {
		tg := tg
		t.Run(tg.triple, func(t *testing.T) {
			obj := writeBoth(t, tg)
			var rb readBack
			switch tg.format {
			case elfFormat:
				rb = readELF(t, obj, tg)
			case machoFormat:
				rb = readMachO(t, obj, tg)
			case coffFormat:
				rb = readPE(t, obj, tg)
			}
			checkSections(t, tg, rb)
			checkSymbols(t, tg, rb)
			checkRelocs(t, tg.names[0], tg.text, rb.relocs[tg.names[0]], rb.symbols)
			checkRelocs(t, tg.names[2], tg.data, rb.relocs[tg.names[2]], rb.symbols)
			if rb.dwarfErr != nil {
				t.Fatalf("DWARF: %v", rb.dwarfErr)
			}
			checkLines(t, tg, rb)
		})
	}
}

func checkSections(t *testing.T, tg target, rb readBack) {
	// The data section is a zero pointer; formats that keep addends in place (ELF REL,
	// Mach-O, COFF) hold them in relocated fields, which are compared with the relocations.
	want := [][]byte{tg.arch.code, []byte(message), make([]byte, tg.ptr)}
	inPlace := [][]wantReloc{tg.text, nil, tg.data}
	for i, name := range tg.names {
		got, ok := rb.contents[name]
		if !ok {
			t.Errorf("no section %s (have %v)", name, keys(rb.contents))
			continue
		}
		if len(got) != len(want[i]) {
			t.Errorf("section %s: %d bytes, want %d", name, len(got), len(want[i]))
			continue
		}
		masked := append([]byte{}, got...)
		for _, r := range inPlace[i] {
			copy(masked[r.offset:r.offset+uint64(r.width)], want[i][r.offset:])
		}
		if !bytes.Equal(masked, want[i]) {
			t.Errorf("section %s: % x, want % x (outside fields holding addends)", name, got, want[i])
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkSymbols(t *testing.T, tg target, rb readBack) {
	textAddr, rodataAddr := rb.addr[tg.names[0]], rb.addr[tg.names[1]]
	want := map[string]gotSymbol{
		tg.prefix + "f":        {textAddr, tg.names[0], true},
		tg.prefix + "ret_here": {textAddr + 12, tg.names[0], false},
		tg.prefix + "msg":      {rodataAddr, tg.names[1], true},
		tg.prefix + "puts":     {0, "", true},
	}
	for name, w := range want {
		got, ok := rb.symbols[name]
		if !ok {
			t.Errorf("no symbol %s (have %v)", name, keys(rb.symbols))
			continue
		}
		if got != w {
			t.Errorf("symbol %s: got %+v, want %+v", name, got, w)
		}
	}
}

func checkRelocs(t *testing.T, section string, want []wantReloc, got []gotReloc, symbols map[string]gotSymbol) {
	var gotPlain []gotReloc
	for _, g := range got {
		// The RISC-V lo12 names the hi20's label, which objforge makes; ELF R_RISCV_RELAX
		// companions are not what we wrote.
		if g.typ == uint32(elf.R_RISCV_RELAX) && section == ".text" && len(want) > 0 && want[0].typ == uint32(elf.R_RISCV_CALL_PLT) {
			continue
		}
		gotPlain = append(gotPlain, g)
	}
	if len(gotPlain) != len(want) {
		t.Errorf("%s: %d relocations %+v, want %d %+v", section, len(gotPlain), gotPlain, len(want), want)
		return
	}
	sort.Slice(gotPlain, func(i, j int) bool { return gotPlain[i].offset < gotPlain[j].offset })
	for i, w := range want {
		g := gotPlain[i]
		if w.typ == uint32(elf.R_RISCV_PCREL_LO12_I) && w.symbol == "" && section == ".text" && g.typ == w.typ {
			// %pcrel_lo names a local label objforge puts at its hi20 (offset 8).
			if label := symbols[g.symbol]; label != (gotSymbol{8, ".text", false}) {
				t.Errorf("the lo12's symbol %q is %+v, want a local label at .text+8", g.symbol, label)
			}
			g.symbol = ""
		}
		if g != (gotReloc{w.offset, w.typ, w.symbol, w.addend}) {
			t.Errorf("%s relocation %d: got %+v, want offset %d type %d symbol %q addend %d", section, i, g, w.offset, w.typ, w.symbol, w.addend)
		}
	}
}

func checkLines(t *testing.T, tg target, rb readBack) {
	r := rb.dwarf.Reader()
	cu, err := r.Next()
	if err != nil || cu == nil || cu.Tag != dwarf.TagCompileUnit {
		t.Fatalf("no compile unit: %v %v", cu, err)
	}
	lr, err := rb.dwarf.LineReader(cu)
	if err != nil || lr == nil {
		t.Fatalf("no line table: %v", err)
	}
	base := rb.addr[tg.names[0]]
	var got [][5]int
	var files []string
	for {
		var e dwarf.LineEntry
		if err := lr.Next(&e); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("line table: %v", err)
		}
		if e.EndSequence {
			got = append(got, [5]int{int(e.Address - base), 0, 0, 0, 1})
			continue
		}
		stmt := 0
		if e.IsStmt {
			stmt = 1
		}
		got = append(got, [5]int{int(e.Address - base), e.Line, e.Column, stmt, 0})
		files = append(files, e.File.Name)
	}
	want := append([][5]int{}, wantRows...)
	want[len(want)-1][0] = len(tg.arch.code)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("line rows: got %v, want %v", got, want)
	}
	for _, f := range files {
		if f != "/src/hello/hello.mini" {
			t.Errorf("line row file %q, want /src/hello/hello.mini", f)
		}
	}
	// The unit's DWARF version (bytes 4-5 of .debug_info): Mach-O below macOS 15 gets 4, as
	// clang-19 writes it, and Go 1.19 reads no other from Mach-O.
	want16 := uint16(5)
	if !tg.dwarfV5 {
		want16 = 4
	}
	info := rb.contents[map[format]string{elfFormat: ".debug_info", machoFormat: "__DWARF,__debug_info", coffFormat: ".debug_info"}[tg.format]]
	if len(info) < 6 || binary.LittleEndian.Uint16(info[4:]) != want16 {
		t.Errorf("debug_info version: %v, want %d", info[:6], want16)
	}
}
