//! The benchmark's workload W1 (100,000 functions, 100,000 data words, 300,000 relocations;
//! built by `crates/objforge-bench`, the same code the benchmark times) written as ELF passes
//! the strict checks and links: `ld.lld-19` links it with a small object that defines the
//! 1,000 imports and `_start`, the program calls every function through the data words and
//! exits 42, and every relocated field of the linked image holds what W1 asked for.

mod common;

use std::process::Command;

use object::{Object as _, ObjectSection as _, ObjectSymbol as _};
use objforge::*;
use objforge_bench::{
    data_name, function_name, import_name, import_of, Workload, CALL_DISP, FUNCTIONS, IMPORTS,
    LEA_DISP,
};

/// `_start`: call every function through its data word, then exit 42.
///
/// ```text
///  0: 48 8d 1d 00 00 00 00   lea rbx, [rip + data_word_0]
///  7: b9 a0 86 01 00         mov ecx, 100000
/// 12: ff 13                  call [rbx]
/// 14: 48 83 c3 08            add rbx, 8
/// 18: ff c9                  dec ecx
/// 20: 75 f6                  jnz 12
/// 22: b8 3c 00 00 00         mov eax, 60      (exit)
/// 27: bf 2a 00 00 00         mov edi, 42
/// 32: 0f 05                  syscall
/// ```
const START: [u8; 34] = [
    0x48, 0x8d, 0x1d, 0, 0, 0, 0, 0xb9, 0xa0, 0x86, 0x01, 0x00, 0xff, 0x13, 0x48, 0x83, 0xc3, 0x08,
    0xff, 0xc9, 0x75, 0xf6, 0xb8, 0x3c, 0, 0, 0, 0xbf, 0x2a, 0, 0, 0, 0x0f, 0x05,
];

/// The imports (each a `ret`) and `_start`.
fn runtime() -> Object {
    let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
    let mut code = START.to_vec();
    let first_import = code.len();
    code.extend(std::iter::repeat_n(0xc3, IMPORTS));
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(16)
            .with_bytes(code),
    );
    obj.add_symbol(
        Symbol::defined("_start", text, 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    for i in 0..IMPORTS {
        obj.add_symbol(
            Symbol::defined(import_name(i), text, (first_import + i) as u64)
                .with_kind(SymbolKind::Func)
                .with_binding(Binding::Global)
                .with_size(1),
        );
    }
    let table = obj.add_symbol(Symbol::undefined(data_name(0)));
    obj.add_relocation(Relocation::new(text, 3, table, RelocKind::Pcrel32).with_addend(-4));
    obj
}

#[test]
fn w1_elf_links_with_lld_and_runs() {
    let dir = common::scratch("bench_w1_links");
    let w1 = Workload::new(1).objforge_model(Format::Elf);
    // Streamed to the file, and the same bytes as in memory.
    let o = dir.join("w1.o");
    let file = std::fs::File::create(&o).unwrap();
    w1.write_to(file).unwrap();
    let written = std::fs::read(&o).unwrap();
    assert!(written == w1.write().unwrap(), "write_to and write differ");
    drop(w1);
    common::check_elf(&o);

    let rt = dir.join("runtime.o");
    std::fs::write(&rt, runtime().write().unwrap()).unwrap();
    common::check_elf(&rt);
    let exe = dir.join("w1");
    common::link_lld(&[&o, &rt], &["-static"], &exe);
    assert_eq!(common::run_program(None, &exe), (String::new(), 42));

    // Every field, in the linked image.
    let image = std::fs::read(&exe).unwrap();
    let file = object::File::parse(&*image).unwrap();
    let mut address = std::collections::HashMap::new();
    for s in file.symbols() {
        address.insert(s.name().unwrap().to_string(), s.address());
    }
    let at = |name: &str| -> u64 { *address.get(name).unwrap_or_else(|| panic!("no {name}")) };
    let read = |addr: u64, len: u64| -> Vec<u8> {
        file.sections()
            .find_map(|s| {
                let start = s.address();
                (addr >= start && addr + len <= start + s.size())
                    .then(|| s.data().unwrap()[(addr - start) as usize..][..len as usize].to_vec())
            })
            .unwrap_or_else(|| panic!("nothing at {addr:#x}"))
    };
    let rel32 = |field: u64| -> u64 {
        let v = i32::from_le_bytes(read(field, 4).try_into().unwrap());
        (field + 4).wrapping_add_signed(i64::from(v))
    };
    for i in 0..FUNCTIONS {
        let f = at(&function_name(i));
        let d = at(&data_name(i));
        assert_eq!(rel32(f + LEA_DISP as u64), d, "lea in function_{i}");
        assert_eq!(
            rel32(f + CALL_DISP as u64),
            at(&import_name(import_of(i))),
            "call in function_{i}"
        );
        assert_eq!(
            u64::from_le_bytes(read(d, 8).try_into().unwrap()),
            f,
            "data_word_{i}"
        );
    }
    let header = common::run_ok(
        Command::new("llvm-readobj-19")
            .arg("--file-headers")
            .arg(&o),
    );
    assert!(header.contains("Type: Relocatable"), "{header}");
}
