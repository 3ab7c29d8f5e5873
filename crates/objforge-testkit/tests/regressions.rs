//! What the fuzzers and the property tests found, pinned as explicit models (independent of
//! how a fuzz target reads its bytes), and the relocation range checks at their edges.

use objforge::*;

fn target(arch: Architecture, format: Format) -> Object {
    Object::new(Target::new(arch, format))
}

fn error(obj: &Object) -> String {
    match obj.write() {
        Ok(_) => panic!("the model was written"),
        Err(e) => e.to_string(),
    }
}

fn text_name(format: Format) -> &'static str {
    match format {
        Format::MachO => "__TEXT,__text",
        _ => ".text",
    }
}

/// Fuzzer (builder): a section of `u64::MAX - n` zero bytes with file space made the Mach-O
/// writer's offset arithmetic overflow (a panic in debug builds). Every format now refuses
/// sizes no object can have, and an allocation that fails is an error, not an abort.
#[test]
fn huge_zero_filled_sections_are_errors() {
    for format in [Format::Elf, Format::MachO, Format::Coff] {
        // (An ELF section of 8 GiB is legal: it would be written, so it is not tried here.)
        let sizes: &[u64] = if format == Format::Elf {
            &[u64::MAX - 7, 1 << 50, 1 << 47]
        } else {
            &[u64::MAX - 7, 1 << 50, 1 << 47, 1 << 33]
        };
        for &size in sizes {
            let mut obj = target(Architecture::X86_64, format);
            obj.add_section(
                Section::new(text_name(format), SectionKind::Text).with_zero_fill(size),
            );
            let e = error(&obj);
            assert!(
                e.starts_with("sections[0]") || e.starts_with("object"),
                "{format} {size}: {e}"
            );
        }
    }
}

/// Tool test (llvm-readobj): a Mach-O zero-fill section marked `retain` carried
/// `S_ATTR_NO_DEAD_STRIP`, which LLVM's readers take for a section with contents
/// overlapping the headers, and refuse the object.
#[test]
fn macho_retained_zero_fill_is_an_error() {
    let mut obj = target(Architecture::Aarch64, Format::MachO);
    let mut bss = Section::new("__DATA,__bss", SectionKind::Bss).with_zero_fill(16);
    bss.flags.retain = true;
    obj.add_section(bss);
    assert!(error(&obj).starts_with("sections[0].flags: Mach-O cannot mark a zero-fill section"));
}

/// Tool test (ld64.lld crashed): a Mach-O relocation naming a symbol in a `__DWARF` section,
/// from code or from another debug section. Mach-O does not link DWARF; its offsets are
/// `secrel32` values, which stay allowed.
#[test]
fn macho_relocations_into_debug_sections_are_errors() {
    for from in [SectionKind::Text, SectionKind::Debug] {
        let mut obj = target(Architecture::X86_64, Format::MachO);
        let name = if from == SectionKind::Text {
            "__TEXT,__text"
        } else {
            "__DWARF,__debug_info"
        };
        let s = obj.add_section(Section::new(name, from).with_bytes(vec![0; 16]));
        let d = obj.add_section(
            Section::new("__DWARF,__debug_str", SectionKind::Debug).with_bytes(vec![0; 16]),
        );
        let l = obj.add_symbol(Symbol::defined("l", d, 4));
        obj.add_relocation(Relocation::new(s, 0, l, RelocKind::Abs64));
        assert!(
            error(&obj).starts_with(
                "relocations[0].symbol: `l` is in __DWARF,__debug_str, a debug section"
            ),
            "{from:?}"
        );
        obj.relocations[0].set_kind(RelocKind::Secrel32);
        if from == SectionKind::Debug {
            let out = obj.write().expect("secrel32 into a debug section");
            // The offset itself, in the field.
            let file = object::File::parse(&*out).expect("parse");
            use object::{Object as _, ObjectSection as _};
            let info = file.section_by_name("__debug_info").expect("__debug_info");
            assert_eq!(&info.data().expect("data")[..4], &4u32.to_le_bytes());
        }
    }
}

/// Property test (Mach-O, while the writer was being reshaped): a `secrel32` in a section
/// with no relocation entries of its own lost the value it stores in its field.
#[test]
fn macho_secrel32_alone_in_its_section_is_stored() {
    for arch in [Architecture::X86_64, Architecture::Aarch64] {
        let mut obj = target(arch, Format::MachO);
        let other = obj.add_section(
            Section::new("__OBJFORGE,__other", SectionKind::Other).with_bytes(vec![0; 8]),
        );
        let d = obj.add_section(
            Section::new("__DWARF,__debug_line", SectionKind::Debug).with_bytes(vec![0; 64]),
        );
        let l = obj.add_symbol(Symbol::defined("l", d, 40));
        obj.add_relocation(Relocation::new(other, 2, l, RelocKind::Secrel32).with_addend(2));
        let out = obj.write().expect("write");
        let file = object::File::parse(&*out).expect("parse");
        use object::{Object as _, ObjectSection as _};
        let s = file.section_by_name("__other").expect("__other");
        assert_eq!(
            &s.data().expect("data")[2..6],
            &42u32.to_le_bytes(),
            "{arch}"
        );
    }
}

/// A PC-relative field to a symbol of its own section holds the distance, or the model is
/// refused naming the relocation: at the edge of the reach both ways, on every format that
/// has the kind.
#[test]
fn pc_relative_fields_to_their_own_section_stay_in_reach() {
    // (kind, architecture, formats, largest forward distance, step)
    let cases: &[(RelocKind, Architecture, &[Format], u64, u64)] = &[
        (
            RelocKind::Pcrel8,
            Architecture::X86_64,
            &[Format::Elf],
            127,
            1,
        ),
        (
            RelocKind::Pcrel8,
            Architecture::I386,
            &[Format::Elf],
            127,
            1,
        ),
        (
            RelocKind::Pcrel16,
            Architecture::X86_64,
            &[Format::Elf],
            32767,
            1,
        ),
        (
            RelocKind::Pcrel16,
            Architecture::Aarch64,
            &[Format::Elf],
            32767,
            1,
        ),
        (
            RelocKind::A64Tstbr14,
            Architecture::Aarch64,
            &[Format::Elf, Format::Coff],
            32764,
            4,
        ),
        (
            RelocKind::A64Condbr19,
            Architecture::Aarch64,
            &[Format::Elf, Format::Coff],
            (1 << 20) - 4,
            4,
        ),
        (
            RelocKind::A64Adr21,
            Architecture::Aarch64,
            &[Format::Elf, Format::Coff],
            (1 << 20) - 1,
            1,
        ),
        (
            RelocKind::RvBranch,
            Architecture::Riscv64,
            &[Format::Elf],
            4094,
            2,
        ),
        (
            RelocKind::RvRvcBranch,
            Architecture::Riscv64,
            &[Format::Elf],
            254,
            2,
        ),
        (
            RelocKind::RvRvcJump,
            Architecture::Riscv64,
            &[Format::Elf],
            2046,
            2,
        ),
        (
            RelocKind::RvJal,
            Architecture::Riscv64,
            &[Format::Elf],
            (1 << 20) - 2,
            2,
        ),
    ];
    for &(kind, arch, formats, max, step) in cases {
        for &format in formats {
            let build = |distance: u64| {
                let mut obj = target(arch, format);
                let size = (distance + 16).next_multiple_of(4) as usize;
                let s = obj.add_section(
                    Section::new(text_name(format), SectionKind::Text).with_bytes(vec![0; size]),
                );
                let far = obj.add_symbol(Symbol::defined("far", s, distance));
                obj.add_relocation(Relocation::new(s, 0, far, kind));
                obj
            };
            assert!(
                build(max).write().is_ok(),
                "{kind} {arch} {format}: {max} is in reach"
            );
            let e = error(&build(max + step));
            assert!(
                e.starts_with("relocations[0]: ") && e.contains("the field reaches"),
                "{kind} {arch} {format}: {e}"
            );
            if step > 1 {
                let e = error(&build(max - step + 1));
                assert!(
                    e.contains("not a multiple of"),
                    "{kind} {arch} {format}: {e}"
                );
            }
        }
    }
}

/// `a64_call26` reaches ±128 MiB: a branch to a local symbol further on in the same section
/// is refused on every format with the kind (the check runs before anything is allocated).
#[test]
fn a64_call26_beyond_128_mib_is_an_error() {
    for format in [Format::Elf, Format::MachO, Format::Coff] {
        let mut obj = target(Architecture::Aarch64, format);
        let s = obj.add_section(
            Section::new(text_name(format), SectionKind::Text).with_zero_fill((1 << 27) + 64),
        );
        let far = obj.add_symbol(Symbol::defined("far", s, 1 << 27));
        obj.add_relocation(Relocation::new(s, 0, far, RelocKind::A64Call26));
        let e = error(&obj);
        assert!(
            e.starts_with("relocations[0]: a64_call26 at 0 of"),
            "{format}: {e}"
        );
        // A global target may be preempted, or reached through a stub: the linker decides.
        obj.symbols[0].binding = Binding::Global;
        let e = obj.write().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            !e.starts_with("relocations[0]: a64_call26"),
            "{format}: {e}"
        );
    }
}

/// A symbol difference between two symbols of one section must fit its field, where RISC-V's
/// ADD/SUB pairs would wrap silently.
#[test]
fn differences_fit_their_fields() {
    let mut obj = target(Architecture::Riscv64, Format::Elf);
    let d = obj.add_section(Section::new(".data", SectionKind::Data).with_bytes(vec![0; 600]));
    let a = obj.add_symbol(Symbol::defined("a", d, 0));
    let b = obj.add_symbol(Symbol::defined("b", d, 300));
    obj.add_relocation(Relocation::difference(d, 0, RelocKind::Diff8, b, a));
    assert!(error(&obj).starts_with(
        "relocations[0]: diff8: the difference of the two symbols plus the addend is 300"
    ));
    obj.relocations[0].set_addend(-100);
    assert!(obj.write().is_ok());
}

/// Property and tool tests (llvm-readobj, wasm-ld): a weak symbol for an imported Wasm global
/// or table was written as an undefined weak global or table, which LLVM's object reader
/// refuses ("undefined weak global symbol"), so wasm-ld and llvm-readobj refused the whole
/// object. Now an error at the symbol's binding; a weak imported function stays allowed.
#[test]
fn wasm_weak_imported_globals_and_tables_are_errors() {
    use objforge::wasm::{GlobalType, Import, ImportKind, Limits, RefType, TableType, ValType};
    let global = ImportKind::Global(GlobalType {
        value: ValType::I32,
        mutable: false,
    });
    let table = ImportKind::Table(TableType {
        element: RefType::FuncRef,
        limits: Limits::default(),
    });
    for (kind, what) in [(global, "global"), (table, "table")] {
        let mut obj = target(Architecture::Wasm32, Format::Wasm);
        let s = obj.add_symbol(Symbol::undefined("g").with_binding(Binding::Weak));
        obj.wasm
            .imports
            .push(Import::new("env", "g", kind).with_symbol(s));
        assert_eq!(
            error(&obj),
            format!("symbols[0].binding: `g` is an imported {what}, and an undefined global or table cannot be weak (wasm-ld refuses the object): make it global")
        );
        obj.symbols[0].binding = Binding::Global;
        assert!(obj.write().is_ok(), "{what}");
    }
    let mut obj = target(Architecture::Wasm32, Format::Wasm);
    let f = obj.add_symbol(
        Symbol::undefined("f")
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Weak),
    );
    obj.wasm.types.push(objforge::wasm::FuncType::default());
    obj.wasm
        .imports
        .push(Import::new("env", "f", ImportKind::Func(0)).with_symbol(f));
    assert!(obj.write().is_ok());
}

/// Tool test (wasm-ld-19): an object importing `__indirect_function_table` with a symbol (as
/// it must once it has tables of its own) and taking a function's table slot made wasm-ld
/// crash (`TableSymbol::getTableNumber`): nothing kept the table through garbage collection.
/// LLVM's objects mark that symbol `WASM_SYM_NO_STRIP`; objforge's now do too.
#[test]
fn wasm_indirect_function_table_symbol_is_kept() {
    use objforge::wasm::{FuncType, Function, Import, ImportKind, Limits, RefType, TableType};
    let mut obj = target(Architecture::Wasm32, Format::Wasm);
    let text =
        obj.add_section(Section::new(".text.f", SectionKind::Text).with_bytes(vec![0, 0x0b]));
    let mut data = Section::new(".data.p", SectionKind::Data).with_bytes(vec![0; 4]);
    data.flags.retain = true;
    let data = obj.add_section(data);
    let f = obj.add_symbol(
        Symbol::defined("f", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    let table = obj.add_symbol(Symbol::undefined("__indirect_function_table"));
    obj.wasm.types.push(FuncType::default());
    obj.wasm.functions.push(Function {
        section: text,
        type_index: 0,
    });
    let funcref = TableType {
        element: RefType::FuncRef,
        limits: Limits::default(),
    };
    obj.wasm.imports.push(
        Import::new(
            "env",
            "__indirect_function_table",
            ImportKind::Table(funcref),
        )
        .with_symbol(table),
    );
    obj.add_relocation(Relocation::new(data, 0, f, RelocKind::WasmTableIndexI32));
    let bytes = obj.write().expect("writes");
    let mut flags = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let Ok(wasmparser::Payload::CustomSection(c)) = payload else {
            continue;
        };
        if c.name() != "linking" {
            continue;
        }
        let reader = wasmparser::BinaryReader::new(c.data(), c.data_offset());
        let linking = wasmparser::LinkingSectionReader::new(reader).expect("linking");
        for sub in linking.subsections() {
            if let Ok(wasmparser::Linking::SymbolTable(map)) = sub {
                for s in map.into_iter().flatten() {
                    if let wasmparser::SymbolInfo::Table { flags: f, .. } = s {
                        flags.push(f.bits());
                    }
                }
            }
        }
    }
    // UNDEFINED | NO_STRIP
    assert_eq!(flags, [0x10 | 0x80]);
}

/// Property tests (wasm-validate, wasm-ld): a Wasm global's initializer was written whatever
/// its type (an `i64` global from `i32.const`, a `v128` global from `i32.const 0`: modules
/// that do not validate), and in an object `global.get`/`ref.func` initializers were written
/// although nothing relocates them (wasm-ld refuses `ref.func` there, and links `global.get`
/// to whatever global has the index in the linked module). All are errors at the initializer
/// now; a plain module may still read an immutable imported global or take a function.
#[test]
fn wasm_global_initializers_fit_their_globals() {
    use objforge::wasm::{
        ConstExpr, FuncType, Function, Global, GlobalType, Import, ImportKind, Output, ValType,
    };
    // A Wasm32 object or module with one empty function.
    let one_function = |output| {
        let mut obj = target(Architecture::Wasm32, Format::Wasm);
        obj.wasm.output = output;
        let text =
            obj.add_section(Section::new(".text.f", SectionKind::Text).with_bytes(vec![0, 0x0b]));
        obj.wasm.types.push(FuncType::default());
        obj.wasm.functions.push(Function {
            section: text,
            type_index: 0,
        });
        obj
    };
    let global = |value, init| Global {
        ty: GlobalType {
            value,
            mutable: false,
        },
        init,
        symbol: None,
    };
    let cases = [
        (ValType::I64, ConstExpr::I32(1), "wasm.globals[0].init: the initializer is i32, but the global is i64"),
        (ValType::FuncRef, ConstExpr::F32(0), "wasm.globals[0].init: the initializer is f32, but the global is funcref"),
        (ValType::V128, ConstExpr::I32(0), "wasm.globals[0].init: the initializer is i32, but the global is v128"),
        (ValType::FuncRef, ConstExpr::RefFunc(0), "wasm.globals[0].init: an object's global initializer cannot name a function or global by index"),
        (ValType::I32, ConstExpr::GlobalGet(0), "wasm.globals[0].init: an object's global initializer cannot name a function or global by index"),
    ];
    for (value, init, message) in cases {
        let mut obj = one_function(Output::Object);
        let g = obj.add_symbol(Symbol::undefined("i"));
        let i32_import = ImportKind::Global(GlobalType {
            value: ValType::I32,
            mutable: false,
        });
        obj.wasm
            .imports
            .push(Import::new("env", "i", i32_import).with_symbol(g));
        obj.wasm.globals.push(global(value, init));
        let e = error(&obj);
        assert!(e.starts_with(message), "{value:?} {init:?}: {e}");
    }
    // A plain module: an immutable imported global, or a function, may start a global.
    let mut obj = one_function(Output::Module);
    let imported = |mutable| {
        ImportKind::Global(GlobalType {
            value: ValType::I32,
            mutable,
        })
    };
    obj.wasm
        .imports
        .push(Import::new("env", "i", imported(false)));
    obj.wasm
        .globals
        .push(global(ValType::I32, ConstExpr::GlobalGet(0)));
    obj.wasm
        .globals
        .push(global(ValType::FuncRef, ConstExpr::RefFunc(0)));
    assert!(obj.write().is_ok());
    obj.wasm.imports[0].kind = imported(true);
    assert!(error(&obj).starts_with(
        "wasm.globals[0].init: global.get 0: an initializer reads an immutable global"
    ));
}
