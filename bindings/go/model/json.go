package model

import "encoding/json"

// The JSON contract of `objforge build` (docs/spec.md), referring to sections, symbols and
// files by index so that names need not be unique.

type jsonSpec struct {
	Target      string        `json:"target"`
	Options     *jsonOptions  `json:"options,omitempty"`
	Sections    []jsonSection `json:"sections"`
	Symbols     []jsonSymbol  `json:"symbols"`
	Relocations []jsonReloc   `json:"relocations"`
	Debug       *jsonDebug    `json:"debug,omitempty"`
}

type jsonOptions struct {
	Mangle bool `json:"mangle"`
}

type jsonSection struct {
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	Align           uint64     `json:"align,omitempty"`
	Base64          *[]byte    `json:"base64,omitempty"`
	Size            *uint64    `json:"size,omitempty"`
	Flags           []string   `json:"flags,omitempty"`
	EntSize         uint64     `json:"entsize,omitempty"`
	Comdat          string     `json:"comdat,omitempty"`
	ComdatSelection string     `json:"comdat_selection,omitempty"`
	ComdatAssociate *SectionID `json:"comdat_associate,omitempty"`
}

type jsonSymbol struct {
	Name       string     `json:"name"`
	Section    *SectionID `json:"section,omitempty"`
	Offset     *uint64    `json:"offset,omitempty"`
	Kind       string     `json:"kind,omitempty"`
	Binding    string     `json:"binding,omitempty"`
	Visibility string     `json:"visibility,omitempty"`
	Size       uint64     `json:"size,omitempty"`
}

type jsonNative struct {
	Type   uint32 `json:"type"`
	PCRel  bool   `json:"pcrel"`
	Length uint8  `json:"length"`
	Size   uint8  `json:"size"`
}

type jsonReloc struct {
	Section SectionID   `json:"section"`
	Offset  uint64      `json:"offset"`
	Symbol  *SymbolID   `json:"symbol,omitempty"`
	Kind    string      `json:"kind"`
	Addend  int64       `json:"addend,omitempty"`
	Pair    *uint64     `json:"pair,omitempty"`
	Minus   *SymbolID   `json:"minus,omitempty"`
	Native  *jsonNative `json:"native,omitempty"`
}

type jsonLine struct {
	Section     SectionID `json:"section"`
	Offset      uint64    `json:"offset"`
	File        *FileID   `json:"file,omitempty"`
	Line        *uint32   `json:"line,omitempty"`
	Column      uint32    `json:"column,omitempty"`
	IsStmt      *bool     `json:"is_stmt,omitempty"`
	EndSequence bool      `json:"end_sequence,omitempty"`
}

type jsonFunction struct {
	Name     string    `json:"name"`
	Section  SectionID `json:"section"`
	Offset   uint64    `json:"offset"`
	Size     uint64    `json:"size"`
	File     FileID    `json:"file"`
	Line     uint32    `json:"line"`
	External bool      `json:"external"`
}

type jsonDebug struct {
	Version   int            `json:"version,omitempty"`
	Producer  string         `json:"producer,omitempty"`
	Name      string         `json:"name"`
	CompDir   string         `json:"comp_dir"`
	Files     []string       `json:"files"`
	Lines     []jsonLine     `json:"lines"`
	Functions []jsonFunction `json:"functions"`
}

var flagNames = []string{"merge_strings", "merge", "exclude", "retain"}

// JSON returns the object as a spec for `objforge build` (docs/spec.md).
func (o *Object) JSON() ([]byte, error) {
	spec := jsonSpec{
		Target:      o.Triple,
		Sections:    []jsonSection{},
		Symbols:     []jsonSymbol{},
		Relocations: []jsonReloc{},
	}
	if o.NoMangle {
		spec.Options = &jsonOptions{Mangle: false}
	}
	for _, s := range o.Sections {
		j := jsonSection{Name: s.Name, Kind: string(s.Kind), Align: s.Align, EntSize: s.EntSize,
			Comdat: s.Comdat, ComdatSelection: s.ComdatSelection}
		if s.Bytes != nil {
			b := s.Bytes
			j.Base64 = &b
		} else {
			size := s.Size
			j.Size = &size
		}
		for bit, name := range flagNames {
			if s.Flags&(1<<bit) != 0 {
				j.Flags = append(j.Flags, name)
			}
		}
		if s.ComdatSelection == "associative" {
			a := s.ComdatAssociate
			j.ComdatAssociate = &a
		}
		spec.Sections = append(spec.Sections, j)
	}
	for _, s := range o.Symbols {
		j := jsonSymbol{Name: s.Name, Kind: string(s.Kind), Binding: string(s.Binding),
			Visibility: string(s.Visibility), Size: s.Size}
		if s.Section != NoSection {
			section, offset := s.Section, s.Offset
			j.Section, j.Offset = &section, &offset
		} else if s.Offset != 0 {
			offset := s.Offset
			j.Offset = &offset
		}
		spec.Symbols = append(spec.Symbols, j)
	}
	for _, r := range o.Relocs {
		j := jsonReloc{Section: r.Section, Offset: r.Offset, Kind: string(r.Kind), Addend: r.Addend,
			Pair: r.Pair, Minus: r.Minus}
		if r.Symbol != NoSymbol {
			symbol := r.Symbol
			j.Symbol = &symbol
		}
		if r.Native != nil {
			n := r.Native
			j.Native = &jsonNative{Type: n.Type, PCRel: n.PCRel, Length: n.Length, Size: n.Size}
		}
		spec.Relocations = append(spec.Relocations, j)
	}
	if d := o.Debug; d != nil {
		j := jsonDebug{Version: d.Version, Producer: d.Producer, Name: d.Name, CompDir: d.CompDir,
			Files: append([]string{}, d.Files...), Lines: []jsonLine{}, Functions: []jsonFunction{}}
		for _, l := range d.Lines {
			row := jsonLine{Section: l.Section, Offset: l.Offset, EndSequence: l.EndSequence}
			if !l.EndSequence {
				file, line := l.File, l.Line
				row.File, row.Line, row.Column = &file, &line, l.Column
				if l.NotStmt {
					row.IsStmt = new(bool)
				}
			}
			j.Lines = append(j.Lines, row)
		}
		for _, f := range d.Functions {
			j.Functions = append(j.Functions, jsonFunction{Name: f.Name, Section: f.Section,
				Offset: f.Offset, Size: f.Size, File: f.File, Line: f.Line, External: f.External})
		}
		spec.Debug = &j
	}
	return json.MarshalIndent(spec, "", "  ")
}
