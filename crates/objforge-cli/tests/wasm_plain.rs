//! A plain, final module (`wasm.output: "module"`): the backend resolved every index and
//! address itself, so there is no linking section and no relocation; it validates and runs
//! under node as written.

mod common;
mod wasm_support;

use wasm_support as wasm;

#[test]
fn plain_module_validates_and_runs() {
    let dir = common::scratch("wasm_plain");
    let module = dir.join("plain.wasm");
    common::build(&common::fixture("wasm/plain.json"), &module);
    wasm::validate(&module);
    assert_eq!(
        wasm::run_node(&dir, &module, "main"),
        "120\n42\n5\n100\n",
        "fact(5), table[1](21), the word at 16, global 0"
    );
    let dump = wasm::objdump(&module);
    assert!(
        !dump.contains("linking") && !dump.contains("reloc."),
        "{dump}"
    );
    for line in [
        "- table[0] type=funcref initial=2 max=2",
        "- memory[0] pages: initial=1 max=1",
        "- global[0] i32 mutable=1 - init i32=100",
        "- func[3] <main> -> \"main\"",
        "- func[1] <fact> -> \"fact\"",
        "- segment[0] memory=0 size=4 - init i32=16",
        "- elem[1] = func[2]",
        "- [+] mutable-globals",
    ] {
        assert!(dump.contains(line), "missing `{line}` in:\n{dump}");
    }
    assert!(wasm::relocation_lines(&module).is_empty());
}
