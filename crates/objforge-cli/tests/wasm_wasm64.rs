//! wasm64 (memory64): a relocatable object with the 64-bit memory address kinds, its memory
//! import and segment offsets 64-bit, validated, linked by `wasm-ld-19 -mwasm64` and run by
//! node.

mod common;
mod wasm_support;

use std::process::Command;

use wasm_support as wasm;

#[test]
fn wasm64_object_links_and_runs() {
    let dir = common::scratch("wasm_wasm64");
    let obj = dir.join("w64.o");
    common::build(&common::fixture("wasm/wasm64.json"), &obj);
    common::run_ok(
        Command::new("wasm-validate")
            .arg("--enable-memory64")
            .arg(&obj),
    );
    assert_eq!(
        wasm::relocation_lines(&obj),
        [
            "CODE: 0x4 R_WASM_MEMORY_ADDR_SLEB64 v 0",
            "CODE: 0x16 R_WASM_MEMORY_ADDR_LEB64 v 0",
            "DATA: 0x13 R_WASM_MEMORY_ADDR_I64 v 0",
        ]
    );
    let dump = wasm::objdump(&obj);
    assert!(dump.contains("<- env.__linear_memory"), "{dump}");
    assert!(dump.contains("init i64=8"), "{dump}");
    let linked = dir.join("w64.wasm");
    common::run_ok(
        Command::new("wasm-ld-19")
            .args(["-mwasm64", "--no-entry", "--fatal-warnings"])
            .arg(&obj)
            .arg("-o")
            .arg(&linked),
    );
    common::run_ok(
        Command::new("wasm-validate")
            .arg("--enable-memory64")
            .arg(&linked),
    );
    let out = common::run_ok(
        Command::new("node")
            .arg("--experimental-wasm-memory64")
            .arg("-e")
            .arg(
                "WebAssembly.instantiate(require('fs').readFileSync(process.argv[1]))\
                 .then(({instance}) => console.log(String(instance.exports.get())))",
            )
            .arg(&linked),
    );
    assert_eq!(out, "42\n");
}
