//! A relocation keeps `pair` and `minus` in one field: a spec giving both is refused where it
//! says so, not by a silent choice.

use std::path::Path;

#[test]
fn a_relocation_takes_pair_or_minus_not_both() {
    let doc = serde_json::json!({
        "target": "riscv64gc-unknown-linux-gnu",
        "sections": [{"name": ".text", "kind": "text", "hex": "00000000 00000000"}],
        "symbols": [{"name": "a", "section": 0, "offset": 0}],
        "relocations": [
            {"section": 0, "offset": 4, "kind": "diff32", "symbol": "a", "pair": 0, "minus": "a"}
        ]
    });
    let e = objforge_spec::load(&doc, "t.json", Path::new(".")).unwrap_err();
    let message = e.to_string();
    assert!(
        message.contains("relocations[0].minus") && message.contains("not both"),
        "{message}"
    );
}
