package main

import (
	"debug/dwarf"
	"debug/macho"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// The example's programs print the message and exit with 42 on x86_64, arm64 and riscv64
// Linux and under wine; its Mach-O objects carry the line table (DWARF 4 for macOS 14, which
// Go 1.19 reads). A missing linker, qemu or wine fails the test.
func TestExampleProgramsRun(t *testing.T) {
	dir := t.TempDir()
	outcomes, err := WriteAll(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Programs() {
		if p.Link == nil {
			continue
		}
		o, ok := outcomes[p.Triple]
		if !ok {
			t.Errorf("%s: not run", p.Triple)
			continue
		}
		if strings.TrimRight(o.Stdout, "\r\n") != Message || o.Exit != 42 {
			t.Errorf("%s: printed %q, exit %d; want %q, exit 42", p.Triple, o.Stdout, o.Exit, Message)
		}
	}
	for _, triple := range []string{"x86_64-apple-macos14", "arm64-apple-macos14"} {
		f, err := macho.Open(filepath.Join(dir, triple+".o"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.DWARF()
		if err != nil {
			t.Fatalf("%s: %v", triple, err)
		}
		cu, _ := d.Reader().Next()
		lr, err := d.LineReader(cu)
		if err != nil || lr == nil {
			t.Fatalf("%s: line table: %v", triple, err)
		}
		var lines []int
		for {
			var e dwarf.LineEntry
			if err := lr.Next(&e); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if !e.EndSequence {
				lines = append(lines, e.Line)
			}
		}
		if len(lines) != 3 || lines[0] != 1 || lines[1] != 2 || lines[2] != 3 {
			t.Errorf("%s: line rows %v, want [1 2 3]", triple, lines)
		}
		f.Close()
	}
}
