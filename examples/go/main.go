// Command jit-hello is what a JIT that wants ahead-of-time binaries does with objforge: it
// encodes a small function by hand (main calls puts and returns 42) for x86_64, arm64 and
// riscv64, records its relocations the way Go's assemblers do (cmd/internal/obj.Reloc, as
// golang-asm hands them out), maps them with model.FromGo, and writes ELF, Mach-O and COFF
// objects with a line table. With -run it links the Linux objects with cc and the cross
// gccs and runs them (qemu for arm64 and riscv64), and links the Windows one with lld-link
// and runs it under wine.
//
//	go run . -out /tmp/jit -run
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"example.invalid/objforge"
	"example.invalid/objforge/model"
)

// The message main prints.
const Message = "hello from a Go JIT"

// function is machine code as a JIT leaves it: bytes with zero relocated fields, the
// relocations in Go's convention against symbol names, and which source line each
// instruction came from.
type function struct {
	goarch string
	code   []byte
	relocs []namedReloc
	lines  []lineRow
}

type namedReloc struct {
	model.GoReloc
	symbol string
}

type lineRow struct {
	offset uint64
	line   uint32
}

func words(ws ...uint32) []byte {
	var out []byte
	for _, w := range ws {
		out = binary.LittleEndian.AppendUint32(out, w)
	}
	return out
}

// amd64 SysV: main calls puts(msg) and returns 42.
func amd64SysV() function {
	return function{
		goarch: "amd64",
		code: []byte{
			0x48, 0x83, 0xec, 0x08, // 0: sub rsp, 8
			0x48, 0x8d, 0x3d, 0, 0, 0, 0, // 4: lea rdi, [rip+msg]
			0xe8, 0, 0, 0, 0, // 11: call puts
			0xb8, 42, 0, 0, 0, // 16: mov eax, 42
			0x48, 0x83, 0xc4, 0x08, // 21: add rsp, 8
			0xc3, // 25: ret
		},
		relocs: []namedReloc{
			{model.GoReloc{Type: "R_PCREL", Off: 7, Siz: 4}, "msg"},
			{model.GoReloc{Type: "R_CALL", Off: 12, Siz: 4}, "puts"},
		},
		lines: []lineRow{{0, 1}, {4, 2}, {16, 3}},
	}
}

// amd64 Windows: the same with the Microsoft x64 convention (rcx, 32 bytes of shadow
// space), and an entry point `start` that passes main's result to exit, which flushes
// stdout.
func amd64Windows() function {
	return function{
		goarch: "amd64",
		code: []byte{
			0x48, 0x83, 0xec, 0x28, // 0: sub rsp, 40
			0x48, 0x8d, 0x0d, 0, 0, 0, 0, // 4: lea rcx, [rip+msg]
			0xe8, 0, 0, 0, 0, // 11: call puts
			0xb8, 42, 0, 0, 0, // 16: mov eax, 42
			0x48, 0x83, 0xc4, 0x28, // 21: add rsp, 40
			0xc3,                   // 25: ret
			0x48, 0x83, 0xec, 0x28, // 26: start: sub rsp, 40
			0xe8, 0, 0, 0, 0, // 30: call main
			0x89, 0xc1, // 35: mov ecx, eax
			0xe8, 0, 0, 0, 0, // 37: call exit
		},
		relocs: []namedReloc{
			{model.GoReloc{Type: "R_PCREL", Off: 7, Siz: 4}, "msg"},
			{model.GoReloc{Type: "R_CALL", Off: 12, Siz: 4}, "puts"},
			{model.GoReloc{Type: "R_CALL", Off: 31, Siz: 4}, "main"},
			{model.GoReloc{Type: "R_CALL", Off: 38, Siz: 4}, "exit"},
		},
		lines: []lineRow{{0, 1}, {4, 2}, {16, 3}, {26, 5}},
	}
}

func arm64() function {
	return function{
		goarch: "arm64",
		code: words(
			0xa9bf7bfd, // 0: stp x29, x30, [sp, #-16]!
			0x910003fd, // 4: mov x29, sp
			0x90000000, // 8: adrp x0, msg
			0x91000000, // 12: add x0, x0, :lo12:msg
			0x94000000, // 16: bl puts
			0x52800540, // 20: mov w0, #42
			0xa8c17bfd, // 24: ldp x29, x30, [sp], #16
			0xd65f03c0, // 28: ret
		),
		relocs: []namedReloc{
			{model.GoReloc{Type: "R_ADDRARM64", Off: 8, Siz: 8}, "msg"},
			{model.GoReloc{Type: "R_CALLARM64", Off: 16, Siz: 4}, "puts"},
		},
		lines: []lineRow{{0, 1}, {8, 2}, {20, 3}},
	}
}

func riscv64() function {
	return function{
		goarch: "riscv64",
		code: words(
			0xff010113, // 0: addi sp, sp, -16
			0x00113423, // 4: sd ra, 8(sp)
			0x00000517, // 8: auipc a0, %pcrel_hi(msg)
			0x00050513, // 12: addi a0, a0, %pcrel_lo
			0x00000097, // 16: auipc ra, 0     (call puts)
			0x000080e7, // 20: jalr ra
			0x02a00513, // 24: li a0, 42
			0x00813083, // 28: ld ra, 8(sp)
			0x01010113, // 32: addi sp, sp, 16
			0x00008067, // 36: ret
		),
		relocs: []namedReloc{
			{model.GoReloc{Type: "R_RISCV_PCREL_ITYPE", Off: 8, Siz: 8}, "msg"},
			{model.GoReloc{Type: "R_RISCV_CALL", Off: 16, Siz: 8}, "puts"},
		},
		lines: []lineRow{{0, 1}, {8, 2}, {24, 3}},
	}
}

// Build writes fn as an object for triple, with the names its format uses.
func Build(triple string, fn function) ([]byte, error) {
	obj := objforge.New(triple)
	textName, rodataName := ".text", ".rodata"
	switch {
	case bytes.Contains([]byte(triple), []byte("apple")):
		textName, rodataName = "__TEXT,__text", "__TEXT,__cstring"
	case bytes.Contains([]byte(triple), []byte("windows")):
		rodataName = ".rdata"
	}
	text := obj.AddSection(model.Section{Name: textName, Kind: model.Text, Align: 16, Bytes: fn.code})
	rodata := obj.AddSection(model.Section{Name: rodataName, Kind: model.Rodata, Align: 1, Bytes: []byte(Message + "\x00")})
	symbols := map[string]model.SymbolID{
		"msg": obj.AddSymbol(model.Symbol{Name: "msg", Section: rodata, Kind: model.KindObject, Size: uint64(len(Message) + 1)}),
	}
	mainSize := uint64(len(fn.code))
	if len(fn.lines) == 4 { // Windows: start follows main
		mainSize = fn.lines[3].offset
		symbols["start"] = obj.AddSymbol(model.Symbol{Name: "start", Section: text, Offset: mainSize,
			Kind: model.KindFunc, Binding: model.Global, Size: uint64(len(fn.code)) - mainSize})
	}
	symbols["main"] = obj.AddSymbol(model.Symbol{Name: "main", Section: text, Kind: model.KindFunc,
		Binding: model.Global, Size: mainSize})
	for _, r := range fn.relocs {
		sym, ok := symbols[r.symbol]
		if !ok {
			sym = obj.Undefined(r.symbol)
			symbols[r.symbol] = sym
		}
		r.Sym = sym
		mapped, err := model.FromGo(fn.goarch, text, r.GoReloc, fn.code)
		if err != nil {
			return nil, err
		}
		for _, m := range mapped {
			obj.AddReloc(m)
		}
	}
	debug := obj.BeginDebug("jit.mini", "/src/jit")
	debug.Producer = "jit-hello (objforge example)"
	file := debug.AddFile("jit.mini")
	for _, row := range fn.lines {
		debug.Line(text, row.offset, file, row.line, 1)
	}
	debug.EndSequence(text, uint64(len(fn.code)))
	debug.AddFunction(model.Function{Name: "main", Section: text, Size: mainSize, File: file, Line: 1, External: true})
	return obj.Write()
}

// A Program is one object the example writes, and how to link and run it (nil: only
// written).
type Program struct {
	Triple string
	Fn     function
	Link   func(obj, exe string) *exec.Cmd
	Run    func(exe string) *exec.Cmd
}

// Programs lists what the example writes.
func Programs() []Program {
	gcc := func(cc string) func(obj, exe string) *exec.Cmd {
		return func(obj, exe string) *exec.Cmd { return exec.Command(cc, obj, "-o", exe) }
	}
	qemu := func(q, sysroot string) func(string) *exec.Cmd {
		return func(exe string) *exec.Cmd { return exec.Command(q, "-L", sysroot, exe) }
	}
	native := func(exe string) *exec.Cmd { return exec.Command(exe) }
	return []Program{
		{"x86_64-unknown-linux-gnu", amd64SysV(), gcc("cc"), native},
		{"aarch64-unknown-linux-gnu", arm64(), gcc("aarch64-linux-gnu-gcc"), qemu("qemu-aarch64", "/usr/aarch64-linux-gnu")},
		{"riscv64-unknown-linux-gnu", riscv64(), gcc("riscv64-linux-gnu-gcc"), qemu("qemu-riscv64", "/usr/riscv64-linux-gnu")},
		{"x86_64-pc-windows-msvc", amd64Windows(), func(obj, exe string) *exec.Cmd {
			return exec.Command("lld-link-19", "/out:"+exe, "/entry:start", "/subsystem:console", obj,
				"/usr/x86_64-w64-mingw32/lib/libkernel32.a", "/usr/x86_64-w64-mingw32/lib/libmsvcrt.a")
		}, func(exe string) *exec.Cmd {
			cmd := exec.Command("wine", exe)
			cmd.Env = append(os.Environ(), "WINEDEBUG=-all", "WINEPREFIX="+filepath.Join(filepath.Dir(exe), "wineprefix"))
			return cmd
		}},
		{"x86_64-apple-macos14", amd64SysV(), nil, nil},
		{"arm64-apple-macos14", arm64(), nil, nil},
	}
}

// Outcome is what running one linked program did.
type Outcome struct {
	Stdout string
	Exit   int
}

// WriteAll writes every program's object into dir and, with run, links and runs those that
// can be; it returns the outcomes by triple.
func WriteAll(dir string, run bool) (map[string]Outcome, error) {
	outcomes := map[string]Outcome{}
	for _, p := range Programs() {
		data, err := Build(p.Triple, p.Fn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Triple, err)
		}
		obj := filepath.Join(dir, p.Triple+".o")
		if err := os.WriteFile(obj, data, 0o644); err != nil {
			return nil, err
		}
		if !run || p.Link == nil {
			continue
		}
		exe := filepath.Join(dir, p.Triple+".exe")
		if out, err := p.Link(obj, exe).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: linking: %v\n%s", p.Triple, err, out)
		}
		cmd := p.Run(exe)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		var exit *exec.ExitError
		code := 0
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			return nil, fmt.Errorf("%s: running: %v (%s)", p.Triple, err, stderr.String())
		}
		outcomes[p.Triple] = Outcome{stdout.String(), code}
	}
	return outcomes, nil
}

func main() {
	out := flag.String("out", ".", "directory for the objects (and programs)")
	run := flag.Bool("run", false, "link and run the Linux and Windows programs")
	flag.Parse()
	outcomes, err := WriteAll(*out, *run)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, p := range Programs() {
		if o, ok := outcomes[p.Triple]; ok {
			fmt.Printf("%-28s printed %q, exit %d\n", p.Triple, o.Stdout, o.Exit)
		} else {
			fmt.Printf("%-28s written: %s\n", p.Triple, filepath.Join(*out, p.Triple+".o"))
		}
	}
}
