//! A program built by objforge as two relocatable Wasm objects — calls across the objects, a
//! function pointer table in data, a pointer from one object's data to the other's, a local
//! helper, a hidden and a weak function, an imported and a defined global, an init function —
//! read back by `wasm-objdump` and `llvm-readobj-19` exactly as built, linked by `wasm-ld-19`,
//! validated, and run by node.

mod common;
mod wasm_support;

use wasm_support as wasm;

/// Builds both objects of the program into `dir`.
fn build_objects(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let main = dir.join("main.o");
    let lib = dir.join("lib.o");
    common::build(&common::fixture("wasm/program_main.json"), &main);
    common::build(&common::fixture("wasm/program_lib.json"), &lib);
    (main, lib)
}

#[test]
fn two_objects_link_with_wasm_ld_and_run_under_node() {
    let dir = common::scratch("wasm_link_program");
    let (main, lib) = build_objects(&dir);
    for obj in [&main, &lib] {
        wasm::validate(obj);
    }
    let linked = dir.join("program.wasm");
    common::run_ok(
        std::process::Command::new("wasm-ld-19")
            .args([
                "--no-entry",
                "--export=__wasm_call_ctors",
                "--fatal-warnings",
            ])
            .arg(&main)
            .arg(&lib)
            .arg("-o")
            .arg(&linked),
    );
    wasm::validate(&linked);
    let out = wasm::run_node(&dir, &linked, "run");
    assert_eq!(
        out,
        "42\n14\n81\n25\nhello from wasm\n5\n1\n2\n",
        "add(40, 2), ops[0](7), (&square)(9), ops[1](5), *msgptr, the counter init set, bump() twice"
    );
    // The host sees what the symbols asked for: `run` exported, the imports by their own names.
    let dump = wasm::objdump(&linked);
    assert!(dump.contains("-> \"run\""), "{dump}");
    assert!(dump.contains("<- env.print\n"), "{dump}");
    assert!(dump.contains("<- env.print_string"), "{dump}");
}

#[test]
fn readers_see_the_relocations_as_built() {
    let dir = common::scratch("wasm_link_relocations");
    let (main, lib) = build_objects(&dir);
    for (obj, spec) in [
        (&main, "wasm/program_main.json"),
        (&lib, "wasm/program_lib.json"),
    ] {
        let spec = wasm::spec(&common::fixture(spec));
        let expected = wasm::expected_relocations(&spec);
        assert!(!expected.is_empty());
        assert_eq!(wasm::relocation_lines(obj), expected, "{}", obj.display());
        wasm::objdump(obj);
    }
    // wasm-objdump names the same relocations, with the symbol each one uses.
    let dump = wasm::objdump(&main);
    for line in [
        "R_WASM_TABLE_INDEX_SLEB offset=0x00002f(file=0x000100) symbol=5 <env.square>",
        "R_WASM_TYPE_INDEX_LEB offset=0x000020(file=0x0000f1) type=3",
        "R_WASM_MEMORY_ADDR_LEB offset=0x000047(file=0x000118) symbol=9 <ops>+0x4",
        "R_WASM_TABLE_INDEX_I32 offset=0x000006(file=0x000166) symbol=4 <env.double>",
        "R_WASM_MEMORY_ADDR_I32 offset=0x000013(file=0x000173) symbol=8 <message>",
    ] {
        assert!(dump.contains(line), "missing `{line}` in:\n{dump}");
    }
}

#[test]
fn readers_see_the_symbols_as_built() {
    let dir = common::scratch("wasm_link_symbols");
    let (main, lib) = build_objects(&dir);
    // NAME TYPE FLAGS: binding (weak 0x1, local 0x2), hidden 0x4, undefined 0x10, exported
    // 0x20, explicit name 0x40.
    assert_eq!(
        wasm::symbol_lines(&main),
        [
            "run FUNCTION 0x20",
            "print_i32 FUNCTION 0x50",
            "print_str FUNCTION 0x50",
            "add FUNCTION 0x10",
            "double FUNCTION 0x10",
            "square FUNCTION 0x10",
            "get_counter FUNCTION 0x10",
            "bump FUNCTION 0x10",
            "message DATA 0x10",
            "ops DATA 0x2",
            "msgptr DATA 0x2",
        ]
    );
    assert_eq!(
        wasm::symbol_lines(&lib),
        [
            "add FUNCTION 0x0",
            "double FUNCTION 0x4",
            "square FUNCTION 0x1",
            "helper FUNCTION 0x2",
            "init FUNCTION 0x2",
            "get_counter FUNCTION 0x0",
            "bump FUNCTION 0x0",
            "message DATA 0x0",
            "counter DATA 0x2",
            "__stack_pointer GLOBAL 0x10",
            "bump_count GLOBAL 0x4",
        ]
    );
    let dump = wasm::objdump(&lib);
    for line in [
        "D <message> segment=0 offset=0 size=16 [ binding=global vis=default ]",
        "D <counter> segment=1 offset=0 size=4 [ binding=local vis=default ]",
        "G <bump_count> global=1 [ binding=global vis=hidden ]",
        "0: .rodata.message p2align=0 [ ]",
        "1: .bss.counter p2align=2 [ ]",
        "- init functions [count=1]\n   - 4: priority=100",
        "- [+] mutable-globals\n  - [+] sign-ext",
    ] {
        assert!(dump.contains(line), "missing `{line}` in:\n{dump}");
    }
    let dump = wasm::objdump(&main);
    for line in [
        "- memory[0] pages: initial=1 <- env.__linear_memory",
        "- table[0] type=funcref initial=0 <- env.__indirect_function_table",
        "- func[0] sig=0 <print_i32> <- env.print",
        "- func[7] <run> -> \"run\"",
        "F <run> func=7 [ exported binding=global vis=default ]",
        "F <print_i32> func=0 [ undefined explicit_name binding=global vis=default ]",
    ] {
        assert!(dump.contains(line), "missing `{line}` in:\n{dump}");
    }
    let sections = wasm::readobj(&["--sections"], &main);
    for name in ["Name: linking", "Name: reloc.CODE", "Name: reloc.DATA"] {
        assert!(sections.contains(name), "{sections}");
    }
}
