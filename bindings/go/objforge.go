// Package objforge writes relocatable object files (ELF, Mach-O, COFF, Wasm) from machine
// code, symbols, relocations and line rows, through cgo and the C ABI of objforge
// (crates/objforge-capi, include/objforge.h) linked statically.
//
// Build the static library first, from the repository root:
//
//	cargo build -p objforge-capi
//
// The cgo directives below link ../../target/debug/libobjforge_capi.a; to link another build,
// set CGO_LDFLAGS to that library (and its system libraries) and build with -tags
// objforge_custom_link. Hosts that cannot use cgo use package cli instead, which runs
// `objforge build` with the same model.
//
// The model, the relocation kinds and the mapping from Go's own relocation types live in
// package model, which both share:
//
//	obj := objforge.New("x86_64-unknown-linux-gnu")
//	text := obj.AddSection(model.Section{Name: ".text", Kind: model.Text, Align: 16,
//		Bytes: []byte{0xe8, 0, 0, 0, 0, 0xc3}})
//	obj.AddSymbol(model.Symbol{Name: "f", Section: text, Kind: model.KindFunc, Binding: model.Global})
//	puts := obj.Undefined("puts")
//	obj.AddReloc(model.Reloc{Section: text, Offset: 1, Symbol: puts, Kind: model.X86Branch32, Addend: -4})
//	bytes, err := obj.Write()
package objforge

/*
#cgo CFLAGS: -I${SRCDIR}/../../crates/objforge-capi/include
#cgo !objforge_custom_link LDFLAGS: ${SRCDIR}/../../target/debug/libobjforge_capi.a -lpthread -ldl -lm
#include <stdlib.h>
#include "objforge.h"
*/
import "C"

import (
	"os"
	"unsafe"

	"example.invalid/objforge/model"
)

// Object is an object being described; fill it with the model.Object methods, then Write.
type Object struct {
	model.Object
}

// New returns an empty object for an LLVM-style target triple. A bad triple is reported by
// Write.
func New(triple string) *Object {
	return &Object{model.Object{Triple: triple}}
}

// Version is the version of the linked objforge library.
func Version() string {
	return C.GoString(C.objforge_version())
}

// session holds one C object while the model is replayed into it.
type session struct {
	obj  *C.objforge_object
	cerr C.objforge_error
	err  error
}

// check turns a C result into the session's first error.
func (s *session) check(code C.objforge_code) {
	if code != C.OBJFORGE_OK && s.err == nil {
		s.err = &model.Error{Code: int(code), Message: C.GoString(&s.cerr.message[0])}
	}
}

// str is a C copy of text, freed by the returned function; "" is NULL when optional.
func str(text string, optional bool) (*C.char, func()) {
	if optional && text == "" {
		return nil, func() {}
	}
	c := C.CString(text)
	return c, func() { C.free(unsafe.Pointer(c)) }
}

// Write checks the object and returns its bytes. An error is a *model.Error naming the place
// ("relocations[7].offset: ...").
func (o *Object) Write() ([]byte, error) {
	s := &session{}
	triple, free := str(o.Triple, false)
	s.check(C.objforge_new(triple, &s.obj, &s.cerr))
	free()
	if s.err != nil {
		return nil, s.err
	}
	defer C.objforge_free(s.obj)
	o.replay(s)
	if s.err != nil {
		return nil, s.err
	}
	var size C.size_t
	s.check(C.objforge_write(s.obj, nil, 0, &size, &s.cerr))
	if s.err != nil {
		return nil, s.err
	}
	out := make([]byte, int(size)+1) // +1: never a zero-length buffer
	s.check(C.objforge_write(s.obj, (*C.uint8_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &size, &s.cerr))
	if s.err != nil {
		return nil, s.err
	}
	return out[:size], nil
}

// WriteFile writes the object to path.
func (o *Object) WriteFile(path string) error {
	bytes, err := o.Write()
	if err != nil {
		return err
	}
	return os.WriteFile(path, bytes, 0o644)
}

// replay makes the C calls that build the model in s.obj, stopping at the first error (the
// one reported).
func (o *Object) replay(s *session) {
	if o.NoMangle {
		s.check(C.objforge_set_mangle(s.obj, 0, &s.cerr))
	}
	for i, sec := range o.Sections {
		if s.err != nil {
			return
		}
		name, f1 := str(sec.Name, false)
		kind, f2 := str(string(sec.Kind), false)
		var bytes *C.uint8_t
		size := C.uint64_t(sec.Size)
		if sec.Bytes != nil {
			size = C.uint64_t(len(sec.Bytes))
			if len(sec.Bytes) > 0 {
				bytes = (*C.uint8_t)(C.CBytes(sec.Bytes))
			} else {
				bytes = (*C.uint8_t)(C.malloc(1))
			}
		}
		align := sec.Align
		if align == 0 {
			align = 1
		}
		s.check(C.objforge_add_section(s.obj, name, kind, bytes, size, C.uint64_t(align), nil, &s.cerr))
		C.free(unsafe.Pointer(bytes))
		f1()
		f2()
		if sec.Flags != 0 || sec.EntSize != 0 {
			s.check(C.objforge_section_set_flags(s.obj, C.uint32_t(i), C.uint32_t(sec.Flags), C.uint64_t(sec.EntSize), &s.cerr))
		}
		if sec.Comdat != "" {
			group, f1 := str(sec.Comdat, false)
			selection, f2 := str(sec.ComdatSelection, true)
			s.check(C.objforge_section_set_comdat(s.obj, C.uint32_t(i), group, selection, C.uint32_t(sec.ComdatAssociate), &s.cerr))
			f1()
			f2()
		}
	}
	for _, sym := range o.Symbols {
		if s.err != nil {
			return
		}
		name, f1 := str(sym.Name, false)
		kind, f2 := str(string(sym.Kind), true)
		binding, f3 := str(string(sym.Binding), true)
		visibility, f4 := str(string(sym.Visibility), true)
		s.check(C.objforge_add_symbol(s.obj, name, C.uint32_t(sym.Section), C.uint64_t(sym.Offset), kind, binding, visibility, C.uint64_t(sym.Size), nil, &s.cerr))
		f1()
		f2()
		f3()
		f4()
	}
	for i, r := range o.Relocs {
		if s.err != nil {
			return
		}
		if r.Kind == model.Native && r.Native != nil {
			n := r.Native
			pcrel := C.int(0)
			if n.PCRel {
				pcrel = 1
			}
			s.check(C.objforge_add_reloc_native(s.obj, C.uint32_t(r.Section), C.uint64_t(r.Offset), C.uint32_t(r.Symbol), C.uint32_t(n.Type), pcrel, C.uint8_t(n.Length), C.uint8_t(n.Size), C.int64_t(r.Addend), nil, &s.cerr))
		} else {
			kind, free := str(string(r.Kind), false)
			s.check(C.objforge_add_reloc_named(s.obj, C.uint32_t(r.Section), C.uint64_t(r.Offset), C.uint32_t(r.Symbol), kind, C.int64_t(r.Addend), nil, &s.cerr))
			free()
		}
		if r.Pair != nil {
			s.check(C.objforge_reloc_set_pair(s.obj, C.uint32_t(i), C.uint64_t(*r.Pair), &s.cerr))
		}
		if r.Minus != nil {
			s.check(C.objforge_reloc_set_minus(s.obj, C.uint32_t(i), C.uint32_t(*r.Minus), &s.cerr))
		}
	}
	if o.Debug != nil && s.err == nil {
		s.debug(o.Debug)
	}
}

// debug replays the debug information.
func (s *session) debug(d *model.DebugInfo) {
	name, f1 := str(d.Name, false)
	dir, f2 := str(d.CompDir, false)
	s.check(C.objforge_debug_begin(s.obj, name, dir, C.uint32_t(d.Version), &s.cerr))
	f1()
	f2()
	if d.Producer != "" {
		producer, free := str(d.Producer, false)
		s.check(C.objforge_debug_set_producer(s.obj, producer, &s.cerr))
		free()
	}
	for _, path := range d.Files {
		p, free := str(path, false)
		s.check(C.objforge_debug_add_file(s.obj, p, nil, &s.cerr))
		free()
	}
	for _, l := range d.Lines {
		var flags C.uint32_t = C.OBJFORGE_LINE_IS_STMT
		file, line, column := C.uint32_t(l.File), C.uint32_t(l.Line), C.uint32_t(l.Column)
		if l.EndSequence {
			flags, file, line, column = C.OBJFORGE_LINE_END_SEQUENCE, 0, 0, 0
		} else if l.NotStmt {
			flags = 0
		}
		s.check(C.objforge_debug_add_line(s.obj, C.uint32_t(l.Section), C.uint64_t(l.Offset), file, line, column, flags, &s.cerr))
	}
	for _, f := range d.Functions {
		name, free := str(f.Name, false)
		external := C.int(0)
		if f.External {
			external = 1
		}
		s.check(C.objforge_debug_add_function(s.obj, name, C.uint32_t(f.Section), C.uint64_t(f.Offset), C.uint64_t(f.Size), C.uint32_t(f.File), C.uint32_t(f.Line), external, &s.cerr))
		free()
	}
}
