//! `objforge targets`: which formats objforge writes, and which relocation kinds each
//! (format, architecture) pair can express.

use std::fmt::Write as _;

use objforge::{supports, Architecture, Format, ALL_KINDS, WRITABLE_FORMATS};

/// Every architecture, in the order the table lists them.
const ARCHITECTURES: &[Architecture] = Architecture::ALL;

/// Every format the contract names, in the order the table lists them.
const FORMATS: &[Format] = Format::ALL;

/// The table `objforge targets` prints.
pub fn table() -> String {
    let names = |formats: &mut dyn Iterator<Item = &Format>| {
        formats.map(|f| f.name()).collect::<Vec<_>>().join(", ")
    };
    let writable = names(&mut WRITABLE_FORMATS.iter());
    let pending = names(&mut FORMATS.iter().filter(|f| !WRITABLE_FORMATS.contains(f)));

    let mut out = String::new();
    let _ = writeln!(out, "writable formats: {writable}");
    if !pending.is_empty() {
        let _ = writeln!(out, "not yet writable: {pending}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Relocation kinds each format and architecture can express. Every pair also takes"
    );
    let _ = writeln!(
        out,
        "kind \"native\" (the format's own relocation type, passed through)."
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<7} {:<8} KINDS", "FORMAT", "ARCH");
    for &format in FORMATS.iter().filter(|f| WRITABLE_FORMATS.contains(f)) {
        for &arch in ARCHITECTURES {
            let kinds: Vec<&str> = ALL_KINDS
                .iter()
                .filter(|&&k| supports(format, arch, k))
                .map(|k| k.name())
                .collect();
            // Mach-O, for one, is written for some architectures only.
            if kinds.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "{:<7} {:<8} {}",
                format.name(),
                arch.name(),
                kinds.join(" ")
            );
        }
    }
    out
}
