//! Thread-local storage end to end, per ELF architecture: the portable TLS kinds of every
//! access model, written by `objforge build` from specs of GCC's code, linked by GNU ld and by
//! ld.lld into a program (local-exec and initial-exec in the executable) and a shared library
//! loaded with `dlopen` (general- and local-dynamic, and TLS descriptors), run with five
//! threads that must each see only their own values. And Windows, whose one model is
//! `_tls_index` plus a section-relative offset into `.tls$`: x86_64 and i386 (`secrel32`)
//! linked by MinGW ld, lld (MinGW mode) and lld-link, checked address by address, run under
//! wine; arm64
//! (`a64_secrel_hi12` + `a64_secrel_ldst_lo12`) linked by lld-link and checked address by
//! address.
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
    /// The executable's specs: `exec`, and on i386 also `exec_nopic` (GCC's `-fno-pic` code,
    /// whose initial-exec access is `x86_indntpoff`). Each is linked with the driver and run.
    execs: &'static [&'static str],
}

/// Builds the specs of `arch`, checks their relocations against GNU as's and that each
/// object dumps back to its spec, links the
/// executable and the library with GCC (GNU ld) and runs the program. `kinds` are the TLS
/// kinds the specs must use between them.
fn link_and_run(arch: &Arch, kinds: &[&str]) {
    let dir = common::scratch(&format!("tls_{}", arch.name));
    let mut objects = Vec::new();
    let mut used = String::new();
    for name in arch.execs.iter().chain(&["lib_trad", "lib_desc"]) {
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
                    .args(&objects[arch.execs.len()..]),
            );
            lib
        };
        for (name, exec) in arch.execs.iter().zip(&objects) {
            let exe = dir.join(format!("tls-{name}-{tag}"));
            common::run_ok(
                Command::new(arch.cc)
                    .args(flags)
                    .args(["-no-pie", "-O2", "-o"])
                    .arg(&exe)
                    .arg(common::fixture("tls/main.c"))
                    .arg(exec)
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
            assert_eq!(stdout, OUTPUT, "{name}, {linker}");
        }
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
/// of a `%pcrel_lo` or a descriptor's `%tlsdesc_load_lo`/`_add_lo`/`_call` (a local label at its
/// hi20, named by each writer).
fn comparable(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let mut words: Vec<&str> = l.split_whitespace().collect();
            // `SECTION: OFFSET TYPE SYMBOL ADDEND`
            if words.len() == 5
                && (words[2] == "R_RISCV_RELAX"
                    || words[2].starts_with("R_RISCV_PCREL_LO12")
                    || words[2].starts_with("R_RISCV_TLSDESC_")
                        && words[2] != "R_RISCV_TLSDESC_HI20")
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
            execs: &["exec"],
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
            execs: &["exec"],
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
            execs: &["exec"],
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

/// RISC-V TLS descriptors (`rv_tlsdesc_*`), from clang's `-mtls-dialect=desc` code: the
/// object has clang's relocations, dumps back to its spec, and — since GNU ld 2.40 and glibc
/// 2.36 here know no RISC-V descriptors — is linked by ld.lld into a static program with the
/// other access models' objects (lld resolves the descriptors to local-exec there), which
/// runs under qemu with five threads.
#[test]
fn riscv64_tls_descriptors_in_a_static_program() {
    let dir = common::scratch("tls_riscv64_desc");
    let mut objects = Vec::new();
    for base in ["exec_riscv64", "lib_trad_riscv64", "lib_tlsdesc_riscv64"] {
        let spec = common::fixture(&format!("tls/{base}.json"));
        let ours = dir.join(format!("{base}.o"));
        common::build(&spec, &ours);
        objects.push(ours);
    }
    lint(&objects[0]);
    lint(&objects[1]);
    let desc = &objects[2];
    // elfutils 0.188 predates RISC-V descriptors (types 62-65): it calls each of the 12
    // relocations an invalid type, and finds nothing else.
    let out = common::run(
        Command::new("eu-elflint")
            .args(["--gnu-ld", "--strict"])
            .arg(desc),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let complaints: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert!(
        complaints.len() == 12 && complaints.iter().all(|l| l.ends_with(": invalid type")),
        "eu-elflint:\n{text}"
    );
    let spec = common::fixture("tls/lib_tlsdesc_riscv64.json");
    let text = std::fs::read_to_string(&spec).expect("read the spec");
    for kind in [
        "rv_tlsdesc_hi20",
        "rv_tlsdesc_load_lo12",
        "rv_tlsdesc_add_lo12",
        "rv_tlsdesc_call",
    ] {
        assert!(text.contains(&format!("\"kind\":\"{kind}\"")), "no {kind}");
    }
    let dumped = common::run_ok(common::objforge().arg("dump").arg(desc));
    assert!(
        dumped == text,
        "`objforge dump` of the object is not its spec:\n{dumped}"
    );
    let clang = dir.join("clang.o");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=riscv64-linux-gnu", "-c"])
            .arg(common::fixture("tls/lib_tlsdesc_riscv64.s"))
            .arg("-o")
            .arg(&clang),
    );
    assert_eq!(
        comparable(&common::relocation_lines(desc)),
        comparable(&common::relocation_lines(&clang)),
        "objforge's relocations (left) are not clang's (right)"
    );
    let lld_dir = dir.join("lld");
    std::fs::create_dir_all(&lld_dir).expect("create the lld directory");
    let _ = std::fs::remove_file(lld_dir.join("ld.lld"));
    std::os::unix::fs::symlink("/usr/bin/ld.lld-19", lld_dir.join("ld.lld")).expect("link ld.lld");
    let exe = dir.join("tls-static");
    common::run_ok(
        Command::new("riscv64-linux-gnu-gcc")
            .arg(format!("-B{}", lld_dir.display()))
            .args(["-fuse-ld=lld", "-static", "-O2", "-DSTATIC", "-o"])
            .arg(&exe)
            .arg(common::fixture("tls/main.c"))
            .args(&objects)
            .arg("-lpthread"),
    );
    let out = common::run_ok(Command::new("qemu-riscv64").arg(&exe));
    assert_eq!(out, OUTPUT);
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
            execs: &["exec"],
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
            execs: &["exec", "exec_nopic"],
        },
        &[
            "x86_tpoff32",
            "x86_gottpoff",
            "x86_indntpoff",
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
/// address in each image, and run under wine with five threads; linked by lld-link (MSVC
/// style) too, and checked.
#[test]
fn windows_x86_64_tls_index_and_secrel_per_thread() {
    windows_tls(&WindowsArch {
        name: "x86_64",
        gcc: "x86_64-w64-mingw32-gcc",
        clang_target: "x86_64-w64-mingw32",
        prefix: "",
        base_register: "(%r",
        machine: "x64",
    });
}

/// Windows i386: the same program, where the block array is at `%fs:0x2c` and the
/// thread's slot is `_tls_index` scaled by 4 (`dir32` to `__tls_index`, `secrel32` into
/// `.tls$`), linked by MinGW's GNU ld and by lld, checked address by address, run under wine.
#[test]
fn windows_i386_tls_index_and_secrel_per_thread() {
    windows_tls(&WindowsArch {
        name: "i386",
        gcc: "i686-w64-mingw32-gcc",
        clang_target: "i686-w64-mingw32",
        prefix: "_",
        base_register: "(%e",
        machine: "x86",
    });
}

/// One Windows architecture of the TLS test.
struct WindowsArch {
    name: &'static str,
    /// MinGW's GCC driver (GNU ld).
    gcc: &'static str,
    /// clang's target when it links with lld.
    clang_target: &'static str,
    /// The C symbol prefix (`_` on i386).
    prefix: &'static str,
    /// How a displacement from a general register starts in llvm-objdump's AT&T syntax.
    base_register: &'static str,
    /// lld-link's `/machine`.
    machine: &'static str,
}

fn windows_tls(arch: &WindowsArch) {
    let dir = common::scratch(&format!("tls_windows_{}", arch.name));
    let base = format!("windows_counter_{}", arch.name);
    let obj = dir.join(format!("{base}.obj"));
    let spec = common::fixture(&format!("tls/{base}.json"));
    common::build(&spec, &obj);
    let dumped = common::run_ok(common::objforge().arg("dump").arg(&obj));
    assert!(
        dumped == std::fs::read_to_string(&spec).expect("read the spec"),
        "{base}: `objforge dump` of the object is not its spec:\n{dumped}"
    );
    let main = common::fixture("tls/windows_main.c");
    let gnu = dir.join("gnu.exe");
    common::run_ok(
        Command::new(arch.gcc)
            .arg("-O2")
            .arg(&main)
            .arg(&obj)
            .arg("-o")
            .arg(&gnu),
    );
    let lld = dir.join("lld.exe");
    common::run_ok(
        Command::new("clang-19")
            .arg(format!("--target={}", arch.clang_target))
            .args(["-fuse-ld=lld", "-O2"])
            .arg(&main)
            .arg(&obj)
            .arg("-o")
            .arg(&lld),
    );
    for exe in [&gnu, &lld] {
        check_windows_tls(arch, exe);
        let out = common::run_ok(Command::new("wine").env("WINEDEBUG", "-all").arg(exe));
        assert_eq!(
            out.replace("\r\n", "\n"),
            WINDOWS_OUTPUT,
            "{}",
            exe.display()
        );
    }
    // And lld-link itself, MSVC style (no MinGW runtime: checked, not run).
    let msvc = lld_link_msvc(&dir, arch.machine, &obj);
    check_windows_tls(arch, &msvc);
}

/// Links `obj` with lld-link for `machine` (`x64`, `x86`, `arm64`) the way an MSVC-style
/// build would, with a stand-in for the runtime's `_tls_index` and `other_get` as the entry,
/// keeping the symbol table for the checks.
fn lld_link_msvc(dir: &Path, machine: &str, obj: &Path) -> std::path::PathBuf {
    let triple = match machine {
        "x64" => "x86_64",
        "x86" => "i686",
        _ => "aarch64",
    };
    let crt = dir.join("crt.c");
    std::fs::write(&crt, "unsigned int _tls_index;\n").expect("write crt.c");
    let crt_obj = dir.join("crt.obj");
    common::run_ok(
        Command::new("clang-19")
            .arg(format!("--target={triple}-pc-windows-msvc"))
            .arg("-c")
            .arg(&crt)
            .arg("-o")
            .arg(&crt_obj),
    );
    let exe = dir.join("msvc.exe");
    common::run_ok(
        Command::new("lld-link-19")
            .arg(format!("/machine:{machine}"))
            .args([
                "/nodefaultlib",
                "/entry:other_get",
                "/subsystem:console",
                "/debug:symtab",
            ])
            .arg(format!("/out:{}", exe.display()))
            .arg(obj)
            .arg(&crt_obj),
    );
    exe
}

/// In the linked image: each `_tls_index` load reaches the runtime's `_tls_index`, and each
/// `secrel32` displacement is its variable's offset in the image's `.tls` section, in the
/// order clang wrote them (`other`, `counter`, `counter` in `counter_bump`; `other` in
/// `other_get`).
fn check_windows_tls(arch: &WindowsArch, exe: &Path) {
    let nm = common::run_ok(Command::new("llvm-nm-19").arg(exe));
    let addr = |name: &str| -> u64 {
        let name = format!("{}{name}", arch.prefix);
        let line = nm
            .lines()
            .find(|l| l.split_whitespace().nth(2) == Some(name.as_str()))
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
            .args(["-d", "--no-show-raw-insn"])
            .arg(format!(
                "--disassemble-symbols={p}counter_bump,{p}other_get",
                p = arch.prefix
            ))
            .arg(exe),
    );
    // x86_64 loads it RIP-relative (`# 0x... <_tls_index>`), i386 from its absolute address.
    let tls_index = format!("{:#x}", addr("_tls_index"));
    assert_eq!(
        code.lines().filter(|l| l.contains(&tls_index)).count(),
        2,
        "{}: two loads of _tls_index ({tls_index}):\n{code}",
        exe.display()
    );
    // `incl 0xc(%rcx)`, `movl 0x8(%eax), %eax`: a displacement from the thread's block (not
    // the stack, not the scaled slot of the block array).
    let offsets: Vec<u64> = code
        .lines()
        .filter(|l| !l.contains("%rip") && !l.contains("sp)") && !l.contains(",8)"))
        .filter(|l| !l.contains(",4)") && !l.contains("nop"))
        .filter_map(|l| {
            // `0xc(%rcx)`, or `(%ecx)` for offset 0.
            let end = l.find(arch.base_register)?;
            let start = l[..end].rfind([' ', '\t', ',']).map_or(0, |i| i + 1);
            match l[start..end].strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => l[start..end].is_empty().then_some(0),
            }
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

/// Windows arm64: clang's TLS code (`adrp`/`ldr` of `_tls_index`, the thread's block from
/// `x18`, then `a64_secrel_hi12` and `a64_secrel_ldst_lo12` into `.tls$`, past 4 KiB so that
/// both halves count) built from its spec with the relocations clang's object has, linked by
/// lld-link, and checked address by address in the image (no arm64 Windows runs here).
#[test]
fn windows_aarch64_tls_index_and_secrel_halves() {
    let dir = common::scratch("tls_windows_aarch64");
    let spec = common::fixture("tls/windows_counter_aarch64.json");
    let obj = dir.join("windows_counter_aarch64.obj");
    common::build(&spec, &obj);
    let dumped = common::run_ok(common::objforge().arg("dump").arg(&obj));
    assert!(
        dumped == std::fs::read_to_string(&spec).expect("read the spec"),
        "`objforge dump` of the object is not its spec:\n{dumped}"
    );
    let clang = dir.join("clang.obj");
    common::run_ok(
        Command::new("clang-19")
            .args(["--target=aarch64-w64-windows-gnu", "-c"])
            .arg(common::fixture("tls/windows_counter_aarch64.s"))
            .arg("-o")
            .arg(&clang),
    );
    // `0x10 IMAGE_REL_ARM64_SECREL_HIGH12A other (13)`: the same but for the symbol index.
    let types = |obj: &Path| -> Vec<String> {
        common::relocation_lines(obj)
            .into_iter()
            .map(|l| {
                l.rsplit_once(" (")
                    .map_or(l.clone(), |(l, _)| l.to_string())
            })
            .collect()
    };
    assert_eq!(types(&obj), types(&clang), "objforge (left) against clang");
    let exe = lld_link_msvc(&dir, "arm64", &obj);
    let nm = common::run_ok(Command::new("llvm-nm-19").arg(&exe));
    let addr = |name: &str| -> u64 {
        nm.lines()
            .find(|l| l.split_whitespace().nth(2) == Some(name))
            .and_then(|l| u64::from_str_radix(l.split_whitespace().next()?, 16).ok())
            .unwrap_or_else(|| panic!("no symbol {name}:\n{nm}"))
    };
    let headers = common::run_ok(Command::new("llvm-objdump-19").arg("-h").arg(&exe));
    let tls = headers
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(".tls"))
        .and_then(|l| u64::from_str_radix(l.split_whitespace().nth(3)?, 16).ok())
        .unwrap_or_else(|| panic!("no .tls section:\n{headers}"));
    let code = common::run_ok(
        Command::new("llvm-objdump-19")
            .args([
                "-d",
                "--no-show-raw-insn",
                "--disassemble-symbols=counter_bump,other_get",
            ])
            .arg(&exe),
    );
    // Follow the registers: `adrp x8, PAGE` then `ldr w8, [x8, #lo]` reaches `_tls_index`;
    // `add xN, xM, #hi, lsl #12` then `ldr/str wK, [xN, #lo]` reaches a variable's offset
    // in `.tls`.
    let imm = |t: &str| -> u64 {
        let t = t.trim_start_matches('#');
        t.strip_prefix("0x")
            .map_or_else(|| t.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
            .unwrap_or_else(|| panic!("an immediate: {t}"))
    };
    let mut page = std::collections::HashMap::new();
    let mut high = std::collections::HashMap::new();
    let (mut index_loads, mut offsets) = (Vec::new(), Vec::new());
    for line in code.lines() {
        let Some((_, insn)) = line.split_once(":") else {
            continue;
        };
        let words: Vec<&str> = insn
            .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
            .filter(|w| !w.is_empty())
            .collect();
        // What an instruction writes holds only what this one puts there (`ldr w8, [x8]`).
        let written = words
            .get(1)
            .filter(|_| words.first() != Some(&"str"))
            .map(|r| r.replacen('w', "x", 1));
        let (mut new_page, mut new_high) = (None, None);
        match words.as_slice() {
            ["adrp", _, target, ..] => new_page = Some(imm(target)),
            ["add", _, _, hi, "lsl", "#12", ..] => new_high = Some(imm(hi) << 12),
            [op, _, base, rest @ ..] if *op == "ldr" || *op == "str" => {
                let lo = rest
                    .first()
                    .filter(|w| w.starts_with('#'))
                    .map_or(0, |w| imm(w));
                if let Some(p) = page.get(*base) {
                    index_loads.push(p + lo);
                } else if let Some(h) = high.get(*base) {
                    offsets.push(h + lo);
                }
            }
            _ => {}
        }
        if let Some(rd) = written {
            page.remove(&rd);
            high.remove(&rd);
            if let Some(p) = new_page {
                page.insert(rd.clone(), p);
            }
            if let Some(h) = new_high {
                high.insert(rd, h);
            }
        }
    }
    assert_eq!(index_loads, [addr("_tls_index"); 2], "{code}");
    let (other, counter) = (addr("other") - tls, addr("counter") - tls);
    assert!(
        other >= 4096 && counter >= 4096,
        "the variables are past 4 KiB"
    );
    assert_eq!(
        offsets,
        [other, counter, other, counter, other],
        ".tls at {tls:#x}:\n{code}"
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
