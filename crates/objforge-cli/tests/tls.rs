//! Thread-local storage end to end, per ELF architecture: the portable TLS kinds of every
//! access model, written by `objforge build` from specs of GCC's code, linked by GNU ld and by
//! ld.lld into a program (local-exec and initial-exec in the executable) and a shared library
//! loaded with `dlopen` (general- and local-dynamic, and TLS descriptors), run with five
//! threads that must each see only their own values. And Windows x86_64, whose one model is
//! `_tls_index` plus `secrel32` into `.tls$`: linked by MinGW ld and lld, checked address by
//! address, run under wine.
//!
//! The fixtures are in `tests/fixtures/tls/`: `exec.c`, `lib.c` and the driver `main.c`;
//! per architecture `NAME_ARCH.s` (GCC's assembly) and `NAME_ARCH.json` (its spec);
//! `make_spec.py` records how they were made. Each object's relocations are first compared
//! with GNU as's for the same `.s`, so a kind that maps to the wrong type is caught before
//! the linker can paper over it.

mod common;

use std::path::Path;
use std::process::Command;

/// What `main.c` prints: thread i bumps every counter by i + 1, three times, so each line
/// follows from the thread's own number alone (a value shared between threads would break
/// it). `le`/`ie` live in the executable, the rest in the library.
const OUTPUT: &str = "\
thread 0: le 103 ie 53 trad_gd_bump 1003 trad_ld_bump 39 desc_gd_bump 1003 desc_ld_bump 39
thread 1: le 106 ie 56 trad_gd_bump 1006 trad_ld_bump 48 desc_gd_bump 1006 desc_ld_bump 48
thread 2: le 109 ie 59 trad_gd_bump 1009 trad_ld_bump 57 desc_gd_bump 1009 desc_ld_bump 57
thread 3: le 112 ie 62 trad_gd_bump 1012 trad_ld_bump 66 desc_gd_bump 1012 desc_ld_bump 66
thread 4: le 115 ie 65 trad_gd_bump 1015 trad_ld_bump 75 desc_gd_bump 1015 desc_ld_bump 75
";

/// One architecture: its GCC, and how its programs run here (natively, or under qemu-user
/// with the cross libraries' root).
struct Arch {
    name: &'static str,
    cc: &'static str,
    qemu: Option<(&'static str, &'static str)>,
    /// Whether ld.lld links the general-dynamic library (it has no AArch64 `TLSGD`).
    lld_links_tlsgd: bool,
}

/// Builds the three specs of `arch`, checks their relocations against GNU as's and that each
/// object dumps back to its spec, links the
/// executable and the library with GCC (GNU ld) and runs the program. `kinds` are the TLS
/// kinds the specs must use between them.
fn link_and_run(arch: &Arch, kinds: &[&str]) {
    let dir = common::scratch(&format!("tls_{}", arch.name));
    let mut objects = Vec::new();
    let mut used = String::new();
    for name in ["exec", "lib_trad", "lib_desc"] {
        let base = format!("{name}_{}", arch.name);
        let spec = common::fixture(&format!("tls/{base}.json"));
        used += &std::fs::read_to_string(&spec).expect("read the spec");
        let ours = dir.join(format!("{base}.o"));
        common::build(&spec, &ours);
        lint(&ours);
        // `dump` maps every TLS type back to its kind: the object dumps to its own spec.
        let dumped = common::run_ok(common::objforge().arg("dump").arg(&ours));
        assert!(
            dumped == std::fs::read_to_string(&spec).expect("read the spec"),
            "{base}: `objforge dump` of the object is not its spec:\n{dumped}"
        );
        let gas = dir.join(format!("{base}.gas.o"));
        common::run_ok(
            Command::new(arch.cc)
                .arg("-c")
                .arg(common::fixture(&format!("tls/{base}.s")))
                .arg("-o")
                .arg(&gas),
        );
        assert_eq!(
            comparable(&common::relocation_lines(&ours)),
            comparable(&common::relocation_lines(&gas)),
            "{base}: objforge's relocations (left) are not GNU as's (right)"
        );
        objects.push(ours);
    }
    for kind in kinds {
        assert!(
            used.contains(&format!("\"kind\":\"{kind}\"")),
            "no {} spec uses {kind}",
            arch.name
        );
    }
    // GCC's driver runs `ld.lld` when told `-fuse-ld=lld`; here it is called ld.lld-19.
    let lld_dir = dir.join("lld");
    std::fs::create_dir_all(&lld_dir).expect("create the lld directory");
    std::os::unix::fs::symlink("/usr/bin/ld.lld-19", lld_dir.join("ld.lld")).expect("link ld.lld");
    let lld = format!("-B{}", lld_dir.display());
    for (linker, flags) in [
        ("GNU ld", &[][..]),
        ("ld.lld", &[lld.as_str(), "-fuse-ld=lld"][..]),
    ] {
        let tag = if flags.is_empty() { "gnu" } else { "lld" };
        let lib = dir.join(format!("libtls-{tag}.so"));
        // ld.lld 19 implements no R_AARCH64_TLSGD_* (GCC's traditional dialect) nor
        // R_AARCH64_TLSLD_*: its program loads the library GNU ld linked.
        let lib = if tag == "lld" && !arch.lld_links_tlsgd {
            dir.join("libtls-gnu.so")
        } else {
            common::run_ok(
                Command::new(arch.cc)
                    .args(flags)
                    .args(["-shared", "-o"])
                    .arg(&lib)
                    .args(&objects[1..]),
            );
            lib
        };
        let exe = dir.join(format!("tls-{tag}"));
        common::run_ok(
            Command::new(arch.cc)
                .args(flags)
                .args(["-no-pie", "-O2", "-o"])
                .arg(&exe)
                .arg(common::fixture("tls/main.c"))
                .arg(&objects[0])
                .args(["-ldl", "-lpthread"]),
        );
        let out = match arch.qemu {
            Some((qemu, root)) => {
                common::run(Command::new(qemu).args(["-L", root]).arg(&exe).arg(&lib))
            }
            None => common::run(Command::new(&exe).arg(&lib)),
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} ({linker}): {}\n{stdout}{}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout, OUTPUT, "{linker}");
    }
}

/// `eu-elflint --gnu-ld --strict` finds nothing in `obj` but what it finds in GNU as's
/// object of the same `.s`: i386 PIC code calls `__x86.get_pc_thunk.*`, which GCC puts in a
/// COMDAT group of one section, and elflint's strict mode calls that group useless.
fn lint(obj: &Path) {
    let out = common::run(
        Command::new("eu-elflint")
            .args(["--gnu-ld", "--strict"])
            .arg(obj),
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let other: Vec<&str> = text
        .lines()
        .filter(|l| !l.ends_with("section group with only one member") && !l.is_empty())
        .collect();
    assert!(
        other.is_empty() || text.contains("No errors"),
        "eu-elflint {}:\n{text}",
        obj.display()
    );
}

/// `llvm-readobj -r` lines with what the two assemblers may name differently left out: the
/// symbol of a hint with none (RISC-V `RELAX`, which objforge gives the section's symbol) and
/// of a `%pcrel_lo` (a local label, named by each writer).
fn comparable(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let mut words: Vec<&str> = l.split_whitespace().collect();
            // `SECTION: OFFSET TYPE SYMBOL ADDEND`
            if words.len() == 5
                && (words[2] == "R_RISCV_RELAX" || words[2].starts_with("R_RISCV_PCREL_LO12"))
            {
                words[3] = "-";
            }
            if words.len() == 4 && words[2] == "R_RISCV_RELAX" {
                words.insert(3, "-");
            }
            words.join(" ")
        })
        .collect()
}

fn root(triple: &str) -> &'static str {
    Box::leak(format!("/usr/{triple}").into_boxed_str())
}

#[test]
fn x86_64_every_access_model_per_thread() {
    link_and_run(
        &Arch {
            name: "x86_64",
            cc: "gcc",
            qemu: None,
            lld_links_tlsgd: true,
        },
        &[
            "x86_tpoff32",
            "x86_gottpoff",
            "x86_tlsgd",
            "x86_tlsld",
            "x86_dtpoff32",
            "x86_gotpc32_tlsdesc",
            "x86_tlsdesc_call",
        ],
    );
}

#[test]
fn aarch64_every_access_model_per_thread() {
    link_and_run(
        &Arch {
            name: "aarch64",
            cc: "aarch64-linux-gnu-gcc",
            qemu: Some(("qemu-aarch64", root("aarch64-linux-gnu"))),
            lld_links_tlsgd: false,
        },
        &[
            "a64_tlsle_hi12",
            "a64_tlsle_lo12",
            "a64_tlsie_adrp21",
            "a64_tlsie_ld64_lo12",
            "a64_tlsgd_adrp21",
            "a64_tlsgd_add_lo12",
            "a64_tlsdesc_adrp21",
            "a64_tlsdesc_ld64_lo12",
            "a64_tlsdesc_add_lo12",
            "a64_tlsdesc_call",
            "a64_tlsld_adrp21",
            "a64_tlsld_add_lo12",
            "a64_tlsld_dtprel_hi12",
            "a64_tlsld_dtprel_lo12",
        ],
    );
}

#[test]
fn riscv64_every_access_model_per_thread() {
    link_and_run(
        &Arch {
            name: "riscv64",
            cc: "riscv64-linux-gnu-gcc",
            qemu: Some(("qemu-riscv64", root("riscv64-linux-gnu"))),
            lld_links_tlsgd: true,
        },
        &[
            "rv_tprel_hi20",
            "rv_tprel_lo12_i",
            "rv_tprel_lo12_s",
            "rv_tprel_add",
            "rv_tls_got_hi20",
            "rv_tls_gd_hi20",
        ],
    );
}

/// IBM Z: big-endian, no TLS descriptors (lib_desc is the traditional model again). The
/// calls to `__tls_get_offset` carry `:tls_gdcall:`/`:tls_ldcall:` markers on the `brasl`.
#[test]
fn s390x_every_access_model_per_thread() {
    link_and_run(
        &Arch {
            name: "s390x",
            cc: "s390x-linux-gnu-gcc",
            qemu: Some(("qemu-s390x", root("s390x-linux-gnu"))),
            lld_links_tlsgd: true,
        },
        &[
            "s390_tls_le64",
            "s390_tls_ieent",
            "s390_tls_gd64",
            "s390_tls_gdcall",
            "s390_tls_ldm64",
            "s390_tls_ldcall",
            "s390_tls_ldo64",
        ],
    );
}

#[test]
fn i386_every_access_model_per_thread() {
    link_and_run(
        &Arch {
            name: "i386",
            cc: "i686-linux-gnu-gcc",
            qemu: None,
            lld_links_tlsgd: true,
        },
        &[
            "x86_tpoff32",
            "x86_gottpoff",
            "x86_tlsgd",
            "x86_tlsld",
            "x86_dtpoff32",
            "x86_gotpc32_tlsdesc",
            "x86_tlsdesc_call",
        ],
    );
}

/// What `windows_main.c` prints: thread i bumps `counter` by i + 1 three times, and `other`
/// once per bump; each thread sees only its own.
const WINDOWS_OUTPUT: &str = "\
thread 0: counter 103 other 10
thread 1: counter 106 other 10
thread 2: counter 109 other 10
thread 3: counter 112 other 10
thread 4: counter 115 other 10
";

/// Windows x86_64: clang's native TLS code (`_tls_index`, then `secrel32` offsets into
/// `.tls$`) built from its spec, linked by MinGW's GNU ld and by lld (MinGW mode) against
/// MinGW's runtime (which defines `_tls_index` and the TLS directory), checked address by
/// address in each image, and run under wine with five threads.
#[test]
fn windows_x86_64_tls_index_and_secrel_per_thread() {
    let dir = common::scratch("tls_windows_x86_64");
    let obj = dir.join("windows_counter_x86_64.obj");
    common::build(&common::fixture("tls/windows_counter_x86_64.json"), &obj);
    let main = common::fixture("tls/windows_main.c");
    let gnu = dir.join("gnu.exe");
    common::run_ok(
        Command::new("x86_64-w64-mingw32-gcc")
            .arg("-O2")
            .arg(&main)
            .arg(&obj)
            .arg("-o")
            .arg(&gnu),
    );
    let lld = dir.join("lld.exe");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=x86_64-w64-mingw32", "-fuse-ld=lld", "-O2"])
            .arg(&main)
            .arg(&obj)
            .arg("-o")
            .arg(&lld),
    );
    for exe in [&gnu, &lld] {
        check_windows_tls(exe);
        let out = common::run_ok(Command::new("wine").env("WINEDEBUG", "-all").arg(exe));
        assert_eq!(
            out.replace("\r\n", "\n"),
            WINDOWS_OUTPUT,
            "{}",
            exe.display()
        );
    }
}

/// In the linked image: each `_tls_index` load reaches the runtime's `_tls_index`, and each
/// `secrel32` displacement is its variable's offset in the image's `.tls` section, in the
/// order clang wrote them (`other`, `counter`, `counter` in `counter_bump`; `other` in
/// `other_get`).
fn check_windows_tls(exe: &Path) {
    let nm = common::run_ok(Command::new("llvm-nm-19").arg(exe));
    let addr = |name: &str| -> u64 {
        let line = nm
            .lines()
            .find(|l| l.split_whitespace().nth(2) == Some(name))
            .unwrap_or_else(|| panic!("{}: no symbol {name}", exe.display()));
        u64::from_str_radix(line.split_whitespace().next().unwrap_or_default(), 16)
            .expect("an address")
    };
    let headers = common::run_ok(Command::new("llvm-objdump-19").arg("-h").arg(exe));
    let tls = headers
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(".tls"))
        .and_then(|l| u64::from_str_radix(l.split_whitespace().nth(3)?, 16).ok())
        .unwrap_or_else(|| panic!("{}: no .tls section:\n{headers}", exe.display()));
    let code = common::run_ok(
        Command::new("llvm-objdump-19")
            .args([
                "-d",
                "--no-show-raw-insn",
                "--disassemble-symbols=counter_bump,other_get",
            ])
            .arg(exe),
    );
    let tls_index = format!("# {:#x} <_tls_index>", addr("_tls_index"));
    let index_loads = code.lines().filter(|l| l.contains("<_tls_index>")).count();
    assert_eq!(
        code.lines().filter(|l| l.ends_with(&tls_index)).count(),
        2,
        "{}: two loads of _tls_index ({tls_index}), found {index_loads}:\n{code}",
        exe.display()
    );
    // `incl 0xc(%rcx)`, `movl 0xc(%rax), %eax`: a displacement from the thread's block.
    let offsets: Vec<u64> = code
        .lines()
        .filter(|l| !l.contains("%rip") && !l.contains(",8)"))
        .filter_map(|l| {
            let at = l.find("0x")?;
            let end = l[at..].find("(%r")? + at;
            u64::from_str_radix(&l[at + 2..end], 16).ok()
        })
        .collect();
    let (other, counter) = (addr("other") - tls, addr("counter") - tls);
    assert_eq!(
        offsets,
        [other, counter, counter, other],
        "{}: .tls at {tls:#x}:\n{code}",
        exe.display()
    );
}

/// A TLS kind the target has no form of, or one aimed at an ordinary variable, stops the
/// build with one line naming the relocation.
#[test]
fn tls_kinds_the_target_lacks_are_errors() {
    let dir = common::scratch("tls_errors");
    let cases = [
        (
            "aarch64-unknown-linux-gnu",
            "x86_tlsgd",
            (".tdata", "tls_data", "tls"),
            "relocations[0].kind: kind x86_tlsgd has no ELF encoding on aarch64",
        ),
        (
            "x86_64-unknown-linux-gnu",
            "x86_tpoff32",
            (".data", "data", "object"),
            "relocations[0].symbol: kind x86_tpoff32 needs a thread-local target",
        ),
        (
            "x86_64-apple-macos",
            "x86_tpoff32",
            ("__DATA,__thread_data", "tls_data", "tls"),
            "relocations[0].kind: kind x86_tpoff32 has no Mach-O encoding on x86_64: Mach-O has one thread-local model, TLV",
        ),
        (
            "x86_64-pc-windows-msvc",
            "x86_tlsgd",
            (".tls$", "tls_data", "object"),
            "relocations[0].kind: kind x86_tlsgd has no COFF encoding on x86_64: Windows reaches thread-locals through `_tls_index`",
        ),
    ];
    for (k, (target, kind, (section, section_kind, symbol_kind), message)) in
        cases.into_iter().enumerate()
    {
        let spec = dir.join(format!("case{k}.json"));
        let json = format!(
            r#"{{"target": "{target}",
  "sections": [{{"name": ".text", "hex": "0000000000000000"}},
               {{"name": "{section}", "kind": "{section_kind}", "hex": "00000000"}}],
  "symbols": [{{"name": "v", "section": "{section}", "kind": "{symbol_kind}"}}],
  "relocations": [{{"section": ".text", "offset": 0, "symbol": "v", "kind": "{kind}"}}]}}"#
        );
        std::fs::write(&spec, json).expect("write the spec");
        let out = common::run(
            common::objforge()
                .arg("build")
                .arg(&spec)
                .arg("-o")
                .arg(dir.join("out.o")),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{target} {kind} was written");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("objforge: {message}")),
            "{target} {kind}: {stderr}"
        );
    }
}
