package objforge_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"example.invalid/objforge"
	"example.invalid/objforge/cli"
	"example.invalid/objforge/model"
)

// Both paths report a bad model as a *model.Error naming the same place.
func TestErrorsNameThePlaceOnBothPaths(t *testing.T) {
	cases := []struct {
		triple string
		build  func(o *model.Object)
		want   string
	}{
		{"pdp11-unknown-unix", func(o *model.Object) {}, "target: unknown architecture"},
		{"x86_64-unknown-linux-gnu", func(o *model.Object) {
			text := o.AddSection(model.Section{Name: ".text", Kind: model.Text, Bytes: make([]byte, 8)})
			puts := o.Undefined("puts")
			o.AddReloc(model.Reloc{Section: text, Offset: 6, Symbol: puts, Kind: model.Abs32})
		}, "relocations[0].offset: 6 is past the end of .text"},
		{"aarch64-unknown-linux-gnu", func(o *model.Object) {
			text := o.AddSection(model.Section{Name: ".text", Kind: model.Text, Bytes: make([]byte, 8)})
			puts := o.Undefined("puts")
			o.AddReloc(model.Reloc{Section: text, Offset: 0, Symbol: puts, Kind: model.X86Branch32})
		}, "relocations[0].kind: kind x86_branch32 has no ELF encoding on aarch64"},
		{"x86_64-unknown-linux-gnu", func(o *model.Object) {
			o.AddSection(model.Section{Name: ".text", Kind: "txt"})
		}, "sections[0].kind: unknown section kind \"txt\""},
		{"x86_64-pc-windows-msvc", func(o *model.Object) {
			d := o.BeginDebug("a.c", "/")
			d.Line(3, 0, 0, 1, 0)
		}, "debug.lines[0].section: there is no section 3"},
	}
	for _, c := range cases {
		viaC := objforge.New(c.triple)
		c.build(&viaC.Object)
		_, errC := viaC.Write()
		viaCLI := cli.New(c.triple)
		viaCLI.Binary = objforgeBinary(t)
		c.build(&viaCLI.Object)
		_, errCLI := viaCLI.Write()
		for path, err := range map[string]error{"cgo": errC, "cli": errCLI} {
			var e *model.Error
			if !errors.As(err, &e) {
				t.Errorf("%s %s: got %v, want a *model.Error", path, c.want, err)
				continue
			}
			if !strings.HasPrefix(e.Message, c.want) {
				if path == "cli" && strings.Contains(e.Message, c.want[:strings.Index(c.want, ":")]) {
					continue // the JSON reader words unknown names its own way, at the same place
				}
				t.Errorf("%s: got %q, want it to start %q", path, e.Message, c.want)
			}
		}
	}
}

// model.AllKinds is the C header's enum objforge_reloc_kind, in order.
func TestKindsMatchTheCHeader(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	header, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "crates", "objforge-capi", "include", "objforge.h"))
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`OBJFORGE_RELOC_(\w+) = (\d+),`).FindAllStringSubmatch(string(header), -1)
	if len(found) != len(model.AllKinds) {
		t.Fatalf("the header has %d kinds, model.AllKinds %d", len(found), len(model.AllKinds))
	}
	for i, m := range found {
		if strings.ToUpper(string(model.AllKinds[i])) != m[1] {
			t.Errorf("kind %d: header %s, Go %s", i, m[1], model.AllKinds[i])
		}
	}
}

func TestVersion(t *testing.T) {
	if v := objforge.Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Errorf("Version() = %q", v)
	}
}
