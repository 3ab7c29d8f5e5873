//! The debug-information API without external tools: what `add_debug_info` adds to the model
//! for each format, and that bad input is an error naming its place, leaving the object as it
//! was. (`crates/objforge-cli/tests/dwarf_*.rs` check the output with DWARF readers, linkers
//! and debuggers.)

use objforge::dwarf::{
    BaseEncoding, CallSite, CallSiteParameter, CallTarget, CodeRange, DebugInfo, DwarfVersion,
    FileId, Function, InlineBlock, InlineFunction, InlinedBlock, InlinedCall, LexicalBlock,
    LineRow, Location, LocationEntry, Member, Op, Type, TypeId, Variable,
};
use objforge::*;

/// An object for `triple` with 32 bytes of code in `.text`, and debug information for it.
fn sample(triple: &str, version: DwarfVersion) -> (Object, DebugInfo) {
    let mut obj = Object::new(Target::from_triple(triple).unwrap());
    let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(vec![0u8; 32]));
    let mut debug = DebugInfo::new("a.mini", "/src");
    debug.version = version;
    let file = debug.add_file("a.mini");
    debug.add_row(LineRow::new(text, 0, file, 1));
    debug.add_row(LineRow::new(text, 8, file, 2));
    debug.add_function(
        Function::new("f", text, 0, 32)
            .with_declaration(file, 1)
            .with_block(LexicalBlock::new(8, 8)),
    );
    (obj, debug)
}

/// Names of the sections from index `from` on.
fn names(obj: &Object, from: usize) -> Vec<&str> {
    obj.sections[from..]
        .iter()
        .map(|s| s.name.as_str())
        .collect()
}

/// The relocations in the section called `name`, as (offset, kind, target section, addend).
fn relocations_in(obj: &Object, name: &str) -> Vec<(u64, RelocKind, String, i64)> {
    obj.relocations
        .iter()
        .filter(|r| obj.sections[r.section().index()].name == name)
        .map(|r| {
            let symbol = &obj.symbols[r.symbol().unwrap().index()];
            assert_eq!(symbol.kind, SymbolKind::Section);
            let target = obj.sections[symbol.section_id().unwrap().index()]
                .name
                .clone();
            (r.offset(), r.kind(), target, r.addend())
        })
        .collect()
}

/// The bytes of the section called `name`.
fn bytes<'o>(obj: &'o Object, name: &str) -> &'o [u8] {
    let s = obj.sections.iter().find(|s| s.name == name).unwrap();
    s.data
        .bytes()
        .unwrap_or_else(|| panic!("{name} has no bytes"))
}

/// `add_debug_info` fails with this message; the object is unchanged.
fn error(obj: &mut Object, debug: &DebugInfo) -> String {
    let count = |o: &Object| (o.sections.len(), o.symbols.len(), o.relocations.len());
    let before = count(obj);
    let e = obj.add_debug_info(debug).unwrap_err().to_string();
    assert_eq!(count(obj), before, "the object changed on error: {e}");
    e
}

#[test]
fn elf_gets_the_sections_of_each_version() {
    let (mut obj, debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V5);
    let added = obj.add_debug_info(&debug).unwrap();
    assert_eq!(added, (1..8).map(SectionId).collect::<Vec<_>>());
    assert_eq!(
        names(&obj, 1),
        [
            ".debug_abbrev",
            ".debug_info",
            ".debug_str_offsets",
            ".debug_str",
            ".debug_addr",
            ".debug_line",
            ".debug_line_str"
        ]
    );
    assert!(obj.sections[1..]
        .iter()
        .all(|s| s.kind == SectionKind::Debug));
    // The string sections may be merged by the linker.
    let merge: Vec<&str> = obj.sections[1..]
        .iter()
        .filter(|s| s.flags.merge_strings)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(merge, [".debug_str", ".debug_line_str"]);
    // Offsets are secrel32 against the debug sections, addresses abs64 against .text, all
    // through section symbols.
    assert_eq!(
        relocations_in(&obj, ".debug_addr"),
        [
            (8, RelocKind::Abs64, ".text".into(), 0),
            (16, RelocKind::Abs64, ".text".into(), 8)
        ]
    );
    assert_eq!(
        relocations_in(&obj, ".debug_info")[0],
        (8, RelocKind::Secrel32, ".debug_abbrev".into(), 0)
    );
    obj.write().unwrap();

    let (mut obj, debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V4);
    obj.add_debug_info(&debug).unwrap();
    assert_eq!(
        names(&obj, 1),
        [
            ".debug_abbrev",
            ".debug_info",
            ".debug_aranges",
            ".debug_str",
            ".debug_line"
        ]
    );
    obj.write().unwrap();
}

#[test]
fn code_in_two_sections_gets_a_range_list() {
    for (version, list) in [
        (DwarfVersion::V5, ".debug_rnglists"),
        (DwarfVersion::V4, ".debug_ranges"),
    ] {
        let (mut obj, mut debug) = sample("aarch64-unknown-linux-gnu", version);
        let cold =
            obj.add_section(Section::new(".text.cold", SectionKind::Text).with_bytes(vec![0u8; 8]));
        debug.add_function(Function::new("g", cold, 0, 8));
        obj.add_debug_info(&debug).unwrap();
        assert!(names(&obj, 2).contains(&list), "{:?}", names(&obj, 2));
        obj.write().unwrap();
    }
}

#[test]
fn i386_addresses_are_four_bytes() {
    let (mut obj, debug) = sample("i686-unknown-linux-gnu", DwarfVersion::V4);
    obj.add_debug_info(&debug).unwrap();
    let kinds: Vec<RelocKind> = obj
        .relocations
        .iter()
        .map(|r| r.kind())
        .filter(|k| *k != RelocKind::Secrel32)
        .collect();
    assert!(!kinds.is_empty());
    assert!(kinds.iter().all(|&k| k == RelocKind::Abs32), "{kinds:?}");
    obj.write().unwrap();
}

#[test]
fn macho_writes_offsets_in_place_in_the_dwarf_segment() {
    let (mut obj, debug) = sample("arm64-apple-macos", DwarfVersion::V5);
    obj.add_debug_info(&debug).unwrap();
    assert_eq!(
        names(&obj, 1),
        [
            "__DWARF,__debug_abbrev",
            "__DWARF,__debug_info",
            "__DWARF,__debug_str_offs",
            "__DWARF,__debug_str",
            "__DWARF,__debug_addr",
            "__DWARF,__debug_line",
            "__DWARF,__debug_line_str"
        ]
    );
    // Only addresses are relocated; no merge flags.
    assert!(obj.relocations.iter().all(|r| r.kind() == RelocKind::Abs64));
    assert!(!obj.relocations.is_empty());
    assert!(obj.sections.iter().all(|s| !s.flags.merge_strings));
    // DW_AT_str_offsets_base (8) and DW_AT_stmt_list (0) are in the unit's bytes; the first
    // .debug_str_offsets entry is the offset of the first string (1: after the leading NUL).
    let info = bytes(&obj, "__DWARF,__debug_info");
    let offsets = bytes(&obj, "__DWARF,__debug_str_offs");
    assert_eq!(&offsets[8..12], [1, 0, 0, 0]);
    let str_offsets_base = u32::from_le_bytes(info[14..18].try_into().unwrap());
    assert_eq!(str_offsets_base, 8, "{info:02x?}");
}

#[test]
fn coff_relocates_section_offsets() {
    let (mut obj, debug) = sample("x86_64-pc-windows-msvc", DwarfVersion::V4);
    obj.add_debug_info(&debug).unwrap();
    assert_eq!(names(&obj, 1)[1], ".debug_info");
    assert_eq!(
        relocations_in(&obj, ".debug_info")[0],
        (6, RelocKind::Secrel32, ".debug_abbrev".into(), 0)
    );
    assert!(obj.sections.iter().all(|s| !s.flags.merge_strings));
}

#[test]
fn wasm_is_refused() {
    let (mut obj, debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V5);
    obj.target.format = Format::Wasm;
    assert_eq!(
        error(&mut obj, &debug),
        "target: objforge writes DWARF for ELF, Mach-O and COFF objects, not wasm"
    );
}

#[test]
fn an_existing_section_symbol_is_reused() {
    let (mut obj, debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V5);
    let own = obj.add_symbol(Symbol::section(SectionId(0)));
    obj.add_debug_info(&debug).unwrap();
    let text_symbols: Vec<SymbolId> = obj
        .relocations
        .iter()
        .filter(|r| r.kind() == RelocKind::Abs64)
        .filter_map(|r| r.symbol())
        .collect();
    assert!(text_symbols.iter().all(|&s| s == own), "{text_symbols:?}");
}

/// A change to the sample that makes it wrong.
type Edit = dyn Fn(&mut Object, &mut DebugInfo);

#[test]
fn bad_input_names_its_place() {
    let triple = "x86_64-unknown-linux-gnu";
    let cases: Vec<(Box<Edit>, &str)> = vec![
        (
            Box::new(|_, d| d.lines[1].file = FileId(4)),
            "debug.lines[1].file: there is no file 4 (`files` has 1)",
        ),
        (
            Box::new(|_, d| d.lines[0].section = SectionId(9)),
            "debug.lines[0].section: there is no section 9 (the object has 1)",
        ),
        (
            Box::new(|_, d| d.lines[1].offset = 40),
            "debug.lines[1].offset: 40 is past the end of .text (32 bytes)",
        ),
        (
            Box::new(|_, d| d.end_sequence(SectionId(0), 33)),
            "debug.lines[2].offset: 33 is past the end of .text (32 bytes)",
        ),
        (
            Box::new(|_, d| d.add_row(LineRow::new(SectionId(0), 4, FileId(0), 9))),
            "debug.lines[2].offset: 4 comes before lines[1] at 8 in .text: rows of one section go in address order",
        ),
        (
            Box::new(|o, d| {
                let s = o.add_section(Section::new(".debug_x", SectionKind::Debug).with_bytes(vec![0; 4]));
                d.lines[1].section = s;
            }),
            "debug.lines[1].section: .debug_x is a debug section, which is not loaded; debug information describes code",
        ),
        (
            Box::new(|_, d| d.functions[0].size = 0),
            "debug.functions[0].size: a function covers at least one byte",
        ),
        (
            Box::new(|_, d| d.functions[0].offset = 40),
            "debug.functions[0].offset: 40 is past the end of .text (32 bytes)",
        ),
        (
            Box::new(|_, d| d.functions[0].size = u64::MAX),
            "debug.functions[0].size: 18446744073709551615 bytes from 0 run past the end of .text (32 bytes)",
        ),
        (
            Box::new(|_, d| d.functions[0].file = FileId(1)),
            "debug.functions[0].file: there is no file 1 (`files` has 1)",
        ),
        (
            Box::new(|_, d| d.functions[0].linkage_name = Some(String::new())),
            "debug.functions[0].linkage_name: empty",
        ),
        (
            Box::new(|_, d| d.functions[0].blocks[0].blocks.push(LexicalBlock::new(4, 2))),
            "debug.functions[0].blocks[0].blocks[0].offset: 4 is outside the enclosing code (8..16)",
        ),
        (
            Box::new(|_, d| d.functions[0].blocks[0].size = 0),
            "debug.functions[0].blocks[0].size: a block covers at least one byte",
        ),
        (
            Box::new(|_, d| d.name = "a\0b".into()),
            "debug.name: contains a NUL byte",
        ),
        (
            Box::new(|_, d| d.comp_dir.clear()),
            "debug.comp_dir: empty",
        ),
        (
            Box::new(|_, d| d.files[0].clear()),
            "debug.files[0]: empty",
        ),
        (
            Box::new(|o, _| {
                o.add_section(Section::new(".debug_line", SectionKind::Debug));
            }),
            "debug: the object already has a .debug_line section (sections[1]); the debug information writes its own sections, once per object",
        ),
    ];
    for (edit, expected) in cases {
        let (mut obj, mut debug) = sample(triple, DwarfVersion::V5);
        edit(&mut obj, &mut debug);
        assert_eq!(error(&mut obj, &debug), expected);
    }
}

#[test]
fn blocks_nest_only_so_deep() {
    let (mut obj, mut debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V5);
    let mut block = LexicalBlock::new(8, 1);
    for _ in 0..300 {
        block = LexicalBlock::new(8, 1).with_block(block);
    }
    debug.functions[0].blocks = vec![block];
    let e = error(&mut obj, &debug);
    assert!(e.ends_with("blocks nest more than 256 deep"), "{e}");
}

#[test]
fn a_second_unit_is_refused() {
    let (mut obj, debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V5);
    obj.add_debug_info(&debug).unwrap();
    let e = error(&mut obj, &debug);
    assert!(
        e.starts_with("debug: the object already has a .debug_abbrev section (sections[1])"),
        "{e}"
    );
}

#[test]
fn a_unit_without_code_is_written() {
    let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    let debug = DebugInfo::new("empty.mini", "/src");
    obj.add_debug_info(&debug).unwrap();
    assert!(obj
        .relocations
        .iter()
        .all(|r| r.kind() == RelocKind::Secrel32));
    obj.write().unwrap();
}

/// [`sample`] with an `int`, a `struct s { int a; struct s *next; }`, a global `g` at a data
/// symbol, and in `f` a parameter, a local and a block variable with a location list.
fn sample_with_data(triple: &str, version: DwarfVersion) -> (Object, DebugInfo) {
    let (mut obj, mut debug) = sample(triple, version);
    let data = obj.add_section(Section::new(".data", SectionKind::Data).with_bytes(vec![0u8; 8]));
    let g = obj.add_symbol(Symbol::defined("g", data, 4).with_kind(SymbolKind::Object));
    let int = debug.add_type(Type::base("int", BaseEncoding::Signed, 4));
    let s = TypeId(2);
    debug.add_type(Type::Pointer { to: Some(s) });
    debug.add_type(Type::Struct {
        union: false,
        name: "s".into(),
        size: 16,
        members: vec![Member::new("a", int, 0), Member::new("next", TypeId(1), 8)],
    });
    debug.add_variable(
        Variable::new("g", int).with_location(Location::Expr(vec![Op::Addr {
            symbol: g,
            addend: 0,
        }])),
    );
    let f = &mut debug.functions[0];
    f.return_type = Some(int);
    f.frame_base = Some(vec![Op::CallFrameCfa]);
    f.parameters
        .push(Variable::new("p", TypeId(1)).with_location(Location::Expr(vec![Op::Reg(5)])));
    f.variables
        .push(Variable::new("c", int).with_location(Location::Const(-3)));
    f.blocks[0]
        .variables
        .push(Variable::new("v", int).with_location(Location::List(vec![
            LocationEntry {
                section: SectionId(0),
                offset: 8,
                size: 4,
                ops: vec![Op::Reg(0)],
            },
            LocationEntry {
                section: SectionId(0),
                offset: 12,
                size: 4,
                ops: vec![Op::Fbreg(-20)],
            },
        ])));
    (obj, debug)
}

#[test]
fn variables_get_location_lists_and_relocated_addresses() {
    for (version, lists) in [
        (DwarfVersion::V5, ".debug_loclists"),
        (DwarfVersion::V4, ".debug_loc"),
    ] {
        let (mut obj, debug) = sample_with_data("x86_64-unknown-linux-gnu", version);
        let first = obj.sections.len();
        obj.add_debug_info(&debug).unwrap();
        assert!(
            names(&obj, first).contains(&lists),
            "{version:?}: {:?}",
            names(&obj, first)
        );
        // The global's DW_OP_addr is relocated against its symbol, not a section.
        let g = obj.symbols.iter().position(|s| s.name == "g").unwrap();
        assert!(
            obj.relocations
                .iter()
                .any(|r| r.symbol() == Some(SymbolId::from_index(g))
                    && r.kind() == RelocKind::Abs64
                    && obj.sections[r.section().index()].name == ".debug_info"),
            "{version:?}"
        );
        let b = bytes(&obj, lists);
        if version == DwarfVersion::V5 {
            // Header (12 bytes), then startx_length (index 1, the block's start, 4, [reg0]),
            // startx_length (index 2, 4, [fbreg -20]), end_of_list.
            assert_eq!(b.len(), 12 + 5 + 6 + 1, "{b:x?}");
            assert_eq!(
                &b[12..],
                [3, 1, 4, 1, 0x50, 3, 2, 4, 2, 0x91, 0x6c, 0],
                "{b:x?}"
            );
        } else {
            // Each entry after a base address entry (relocated), then the end.
            assert_eq!(&b[..8], [0xff; 8]);
            assert_eq!(
                &b[16..34],
                [8, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1, 0]
            );
            assert_eq!(b[34], 0x50);
            assert_eq!(
                relocations_in(&obj, lists)[0],
                (8, RelocKind::Abs64, ".text".into(), 0)
            );
        }
        obj.write().unwrap();
    }
}

#[test]
fn bad_data_names_its_place() {
    type Edit = dyn Fn(&mut DebugInfo);
    let cases: Vec<(Box<Edit>, &str)> = vec![
        (
            Box::new(|d| d.variables[0].ty = Some(TypeId(9))),
            "debug.variables[0].type: there is no type 9 (`types` has 3)",
        ),
        (
            Box::new(|d| d.types[1] = Type::Pointer { to: Some(TypeId(7)) }),
            "debug.types[1].to: there is no type 7 (`types` has 3)",
        ),
        (
            Box::new(|d| d.types[1] = Type::Typedef { name: "t".into(), to: Some(TypeId(1)) }),
            "debug.types[1]: the type contains itself (only a pointer may refer back to it)",
        ),
        (
            Box::new(|d| d.variables[0].location = Some(Location::Expr(vec![Op::Addr { symbol: SymbolId(40), addend: 0 }]))),
            "debug.variables[0].location[0]: there is no symbol 40 (the object has 1)",
        ),
        (
            Box::new(|d| {
                d.variables[0].location = Some(Location::List(vec![LocationEntry {
                    section: SectionId(5),
                    offset: 0,
                    size: 1,
                    ops: vec![Op::Reg(0)],
                }]))
            }),
            "debug.variables[0].location.list[0].section: there is no section 5 (the object has 2)",
        ),
        (
            Box::new(|d| {
                if let Some(Location::List(l)) = &mut d.functions[0].blocks[0].variables[0].location {
                    l[1].size = 30;
                }
            }),
            "debug.functions[0].blocks[0].variables[0].location.list[1].size: 30 bytes from 12 run past the end of .text (32 bytes)",
        ),
        (
            Box::new(|d| d.functions[0].parameters[0].location = Some(Location::Expr(Vec::new()))),
            "debug.functions[0].parameters[0].location: an empty expression (leave the location out for a variable optimized out)",
        ),
        (
            Box::new(|d| d.functions[0].return_type = Some(TypeId(3))),
            "debug.functions[0].return_type: there is no type 3 (`types` has 3)",
        ),
        (
            Box::new(|d| d.functions[0].variables[0].name.clear()),
            "debug.functions[0].variables[0].name: empty",
        ),
        (
            Box::new(|d| d.functions[0].blocks[0].inlined.push(inlined(3))),
            "debug.functions[0].blocks[0].inlined[0].function: there is no inline function 3 (`inline_functions` has 1)",
        ),
        (
            Box::new(|d| {
                let mut call = inlined(0);
                call.ranges[0].size = 0;
                d.functions[0].inlined.push(call);
            }),
            "debug.functions[0].inlined[0].ranges[0].size: a range covers at least one byte",
        ),
        (
            Box::new(|d| {
                let mut call = inlined(0);
                call.inlined.push(inlined(0));
                call.inlined[0].parameters = vec![None, Some(Location::Const(1))];
                d.functions[0].inlined.push(call);
            }),
            "debug.functions[0].inlined[0].inlined[0].parameters: 2 locations for the 1 parameters of sq",
        ),
        (
            Box::new(|d| {
                let mut call = inlined(0);
                call.variables = vec![Some(Location::Expr(Vec::new()))];
                d.functions[0].inlined.push(call);
            }),
            "debug.functions[0].inlined[0].variables[0]: an empty expression (leave the location out for a variable optimized out)",
        ),
        (
            Box::new(|d| d.inline_functions[0].parameters[0].ty = Some(TypeId(8))),
            "debug.inline_functions[0].parameters[0].type: there is no type 8 (`types` has 3)",
        ),
        (
            Box::new(|d| {
                d.inline_functions[0].blocks = vec![
                    InlineBlock { variables: vec![0], blocks: Vec::new() },
                    InlineBlock { variables: vec![0], blocks: Vec::new() },
                ];
            }),
            "debug.inline_functions[0].blocks[1].variables[0]: local 0 is already declared in another block",
        ),
        (
            Box::new(|d| {
                let mut call = inlined(0);
                let mut block = InlinedBlock::new(call.ranges.clone());
                block.origin = Some(1);
                call.blocks.push(block);
                d.functions[0].inlined.push(call);
            }),
            "debug.functions[0].inlined[0].blocks[0].origin: sq has no block 1 (it has 0)",
        ),
        (
            Box::new(|d| {
                d.functions[0].call_sites.push(CallSite {
                    return_offset: 2,
                    origin: Some(CallTarget::Function(7)),
                    parameters: Vec::new(),
                });
            }),
            "debug.functions[0].call_sites[0].origin: there is no function 7 (`functions` has 1)",
        ),
        (
            Box::new(|d| {
                d.functions[0].call_sites.push(CallSite {
                    return_offset: 2,
                    origin: None,
                    parameters: vec![CallSiteParameter {
                        location: vec![Op::Reg(5)],
                        value: Vec::new(),
                    }],
                });
            }),
            "debug.functions[0].call_sites[0].parameters[0].value: an empty expression",
        ),
    ];
    for (edit, expected) in cases {
        let (mut obj, mut debug) = sample_with_data("x86_64-unknown-linux-gnu", DwarfVersion::V5);
        let mut sq = InlineFunction::new("sq");
        sq.parameters.push(Variable::new("v", TypeId(0)));
        sq.variables.push(Variable::new("s", TypeId(0)));
        debug.inline_functions.push(sq);
        edit(&mut debug);
        assert_eq!(error(&mut obj, &debug), expected);
    }
}

/// A copy of `inline_functions[function]` at bytes 8..12 of section 0, called on line 2.
fn inlined(function: usize) -> InlinedCall {
    InlinedCall::new(
        function,
        vec![CodeRange {
            section: SectionId(0),
            offset: 8,
            size: 4,
        }],
        FileId(0),
        2,
    )
}

#[test]
fn inlined_code_refers_to_its_abstract_function() {
    for version in [DwarfVersion::V5, DwarfVersion::V4] {
        let (mut obj, mut debug) = sample_with_data("x86_64-unknown-linux-gnu", version);
        let mut sq = InlineFunction::new("sq");
        sq.parameters.push(Variable::new("v", TypeId(0)));
        debug.inline_functions.push(sq);
        let mut outer = inlined(0);
        outer.ranges.push(CodeRange {
            section: SectionId(0),
            offset: 20,
            size: 2,
        });
        outer
            .parameters
            .push(Some(Location::Expr(vec![Op::Reg(5)])));
        outer.inlined.push(inlined(0));
        debug.functions[0].inlined.push(outer);
        let first = obj.sections.len();
        obj.add_debug_info(&debug).unwrap();
        // Two ranges: a range list, reached by offset in either version.
        let lists = if version == DwarfVersion::V5 {
            ".debug_rnglists"
        } else {
            ".debug_ranges"
        };
        assert!(names(&obj, first).contains(&lists), "{version:?}");
        obj.write().unwrap();
    }
}

#[test]
fn a_block_may_sit_in_any_piece_of_a_split_parent() {
    // GCC at -O2: a loop's block covers 0..8 and 16..24, and the block of its body is in the
    // second part.
    let (mut obj, mut debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V5);
    let text = SectionId(0);
    let mut outer = LexicalBlock::new(0, 8).with_block(LexicalBlock::new(18, 2));
    outer.pieces.push(CodeRange {
        section: text,
        offset: 16,
        size: 8,
    });
    debug.functions[0].blocks = vec![outer];
    obj.add_debug_info(&debug).unwrap();
    obj.write().unwrap();

    // Outside every part it is still an error.
    let (mut obj, mut debug) = sample("x86_64-unknown-linux-gnu", DwarfVersion::V5);
    let mut outer = LexicalBlock::new(0, 8).with_block(LexicalBlock::new(10, 2));
    outer.pieces.push(CodeRange {
        section: text,
        offset: 16,
        size: 8,
    });
    debug.functions[0].blocks = vec![outer];
    assert_eq!(
        error(&mut obj, &debug),
        "debug.functions[0].blocks[0].blocks[0].offset: 10 is outside the enclosing code (0..8)"
    );
}
