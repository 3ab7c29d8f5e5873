//! What the `objforge dump` tests share: running the command, and the normalisation under
//! which `dump(build(spec))` equals `spec` (docs/dump.md, "What changes on the way").
//!
//! [`canonical`] turns a model into the parts that an object of its format records, spelled
//! the same way whichever spelling the spec chose: section names as the format writes them,
//! kinds and flags the format cannot tell apart merged, symbols as the linker sees them (C
//! prefix on, section symbols out), relocations as the format encodes them (a `diff32` that
//! ELF writes PC-relative is the `pcrel32` it becomes; an addend stored in a 4-byte field is
//! read back as a signed 32-bit number; a Mach-O section-relative target is the address it
//! points at). Symbols and relocations are compared as multisets: the formats reorder them.
//! Sections show their contents as a fingerprint; with `OBJFORGE_DUMP_DEBUG` set, in full.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use objforge::{
    Architecture, Binding, ComdatSelection, FloatAbi, Format, Object, RelocKind, Relocation,
    SectionData, SectionKind, Symbol, SymbolDefinition, SymbolId, SymbolKind, Visibility,
};

use crate::common;

/// `objforge dump OBJ -o SPEC`, which must succeed.
pub fn dump(obj: &Path, spec: &Path) {
    common::run_ok(common::objforge().arg("dump").arg(obj).arg("-o").arg(spec));
}

/// `objforge dump OBJ` with extra arguments: (exit code, stdout, stderr).
pub fn dump_with(obj: &Path, args: &[&str]) -> (i32, String, String) {
    let out = common::run(common::objforge().arg("dump").arg(obj).args(args));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs every command concurrently and panics, with its standard error, if any fails (each
/// `objforge` run is quick; starting one after another is what takes time).
pub fn run_all(commands: Vec<Command>) {
    let mut children = Vec::new();
    for mut cmd in commands {
        let shown = format!("{cmd:?}");
        let child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        children.push((shown, child));
    }
    for (shown, child) in children {
        let out = child.wait_with_output().expect("wait for a command");
        assert!(
            out.status.success(),
            "{shown} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The C test programs in `fixtures/dump/c`: name and sources (every program also links
/// `fmt.c`, and on Mach-O the freestanding runtime `macho_rt.c`).
pub const PROGRAMS: &[(&str, &[&str])] = &[
    ("calc", &["calc_lex", "calc_vm", "calc_main"]),
    ("ledger", &["ledger_data", "ledger_ops", "ledger_main"]),
    ("ray", &["ray_math", "ray_scene", "ray_main"]),
];

/// Every source of [`PROGRAMS`], with `extra` ones (the support files).
pub fn sources(extra: &[&'static str]) -> Vec<&'static str> {
    let mut all: Vec<&str> = PROGRAMS
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .collect();
    all.extend(extra);
    all
}

/// Runs commands a few at a time; panics with the output of any that fails.
pub fn run_parallel(commands: Vec<Command>) {
    let width = std::thread::available_parallelism().map_or(4, |n| n.get() * 2);
    let mut commands = commands.into_iter().peekable();
    while commands.peek().is_some() {
        let batch: Vec<Command> = commands.by_ref().take(width).collect();
        run_all(batch);
    }
}

/// For every `NAME` of `names`, dumps `dir/NAME.o` to `NAME.json`, builds `NAME.re.o` from it,
/// and checks that the rebuilt object dumps to the very same spec: the dump is a fixed point.
pub fn rebuild_to_fixed_point(dir: &Path, names: &[&str]) {
    let step = |verb: &str, from: &str, to: &str| {
        let commands = names
            .iter()
            .map(|name| {
                let mut cmd = common::objforge();
                cmd.arg(verb)
                    .arg(dir.join(format!("{name}{from}")))
                    .arg("-o")
                    .arg(dir.join(format!("{name}{to}")));
                cmd
            })
            .collect();
        run_parallel(commands);
    };
    step("dump", ".o", ".json");
    step("build", ".json", ".re.o");
    step("dump", ".re.o", ".re.json");
    for name in names {
        let first = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("read");
        let second = std::fs::read_to_string(dir.join(format!("{name}.re.json"))).expect("read");
        assert!(
            first == second,
            "{}: the rebuilt {name}.re.o dumps to another spec than {name}.o",
            dir.display()
        );
    }
}

/// A model as the object of its format records it (see the module comment).
#[derive(Debug, PartialEq, Eq)]
pub struct Canon {
    pub target: String,
    pub options: Vec<String>,
    pub sections: Vec<String>,
    pub symbols: Vec<String>,
    pub relocations: Vec<String>,
    pub unwind: Vec<String>,
}

/// The differences between two canonical forms, one line each (empty when equal).
pub fn differences(want: &Canon, got: &Canon) -> Vec<String> {
    let mut out = Vec::new();
    if want.target != got.target {
        out.push(format!("target: {} != {}", want.target, got.target));
    }
    for (what, a, b) in [
        ("options", &want.options, &got.options),
        ("sections", &want.sections, &got.sections),
        ("symbols", &want.symbols, &got.symbols),
        ("relocations", &want.relocations, &got.relocations),
        ("unwind", &want.unwind, &got.unwind),
    ] {
        let mut left: HashMap<&String, i64> = HashMap::new();
        for x in a {
            *left.entry(x).or_default() += 1;
        }
        for x in b {
            *left.entry(x).or_default() -= 1;
        }
        let mut lines: Vec<String> = left
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|(x, n)| {
                if n > 0 {
                    format!("{what}: only in the spec: {x}")
                } else {
                    format!("{what}: only in the dump: {x}")
                }
            })
            .collect();
        lines.sort();
        out.extend(lines);
        if what == "sections" && out.is_empty() && a != b {
            out.push(format!("sections: in another order: {a:?} != {b:?}"));
        }
    }
    out
}

/// FNV-1a, to show section contents by a short fingerprint.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn sign_extend(value: i64, bytes: u8) -> i64 {
    if bytes >= 8 {
        return value;
    }
    let shift = 64 - 8 * u32::from(bytes);
    (value << shift) >> shift
}

/// The name the linker sees.
fn written_name(obj: &Object, s: &Symbol) -> String {
    let mangle = obj.options.mangle && !s.name.is_empty() && s.kind != SymbolKind::File;
    match obj.target.format {
        Format::MachO if mangle => format!("_{}", s.name),
        Format::Coff
            if mangle
                && obj.target.arch == Architecture::I386
                && !s.name.starts_with(['?', '@']) =>
        {
            format!("_{}", s.name)
        }
        _ => s.name.to_string(),
    }
}

/// Mach-O's section name for a model name (the writer's table for ELF-style names).
fn macho_name(name: &str, merge_strings: bool) -> String {
    if name.contains(',') {
        return name.to_string();
    }
    if let Some(rest) = name.strip_prefix(".debug_") {
        let rest = if rest == "str_offsets" {
            "str_offs"
        } else {
            rest
        };
        return format!("__DWARF,__debug_{rest}");
    }
    const TABLE: &[(&str, &str)] = &[
        (".text", "__TEXT,__text"),
        (".rodata", "__TEXT,__const"),
        (".rodata.str", "__TEXT,__cstring"),
        (".rodata.cst4", "__TEXT,__literal4"),
        (".rodata.cst8", "__TEXT,__literal8"),
        (".rodata.cst16", "__TEXT,__literal16"),
        (".eh_frame", "__TEXT,__eh_frame"),
        (".gcc_except_table", "__TEXT,__gcc_except_tab"),
        (".data", "__DATA,__data"),
        (".data.rel.ro", "__DATA,__const"),
        (".bss", "__DATA,__bss"),
        (".tdata", "__DATA,__thread_data"),
        (".tbss", "__DATA,__thread_bss"),
        (".init_array", "__DATA,__mod_init_func"),
        (".fini_array", "__DATA,__mod_term_func"),
    ];
    let matches = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || prefix == ".rodata.str")
    };
    let best = TABLE
        .iter()
        .filter(|(p, _)| matches(p))
        .max_by_key(|(p, _)| p.len());
    match best {
        Some((".rodata", _)) if merge_strings => "__TEXT,__cstring".into(),
        Some((_, m)) => (*m).into(),
        None => name.into(),
    }
}

/// The kind a Mach-O section comes back with (the object records only some kinds).
fn macho_kind(name: &str, kind: SectionKind) -> SectionKind {
    let sectname = name.split_once(',').map_or("", |(_, s)| s);
    match kind {
        SectionKind::Text | SectionKind::Bss | SectionKind::TlsBss | SectionKind::TlsData => kind,
        SectionKind::Debug if sectname != "__compact_unwind" => kind,
        _ => {
            if sectname == "__text" {
                SectionKind::Rodata
            } else if sectname == "__thread_vars" || sectname == "__thread_data" {
                // These names make thread-local types whatever the kind.
                SectionKind::TlsData
            } else if name.starts_with("__DWARF,") {
                SectionKind::Other
            } else if name.starts_with("__TEXT,") {
                SectionKind::Rodata
            } else if name.starts_with("__DATA,") || name.starts_with("__DATA_CONST,") {
                SectionKind::Data
            } else {
                SectionKind::Other
            }
        }
    }
}

/// One field the format keeps the addend in: its size, and how it is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stored {
    /// An integer of this many bytes, the addend sign-extended from it.
    Int(u8),
    /// An AArch64 instruction's immediate: ADRP/ADR (21 bits), ADD (12), LDR/STR (12).
    Adr,
    Add12,
    Ldst12,
}

/// Where `r` (of kind `kind`, after the format's own rewriting) keeps its addend, if in the
/// section's bytes.
fn stored(obj: &Object, kind: RelocKind) -> Option<Stored> {
    use RelocKind::*;
    let data = |k: RelocKind| match k.shape() {
        objforge::FieldShape::Data(n) if n > 0 => Some(Stored::Int(n)),
        _ => None,
    };
    match obj.target.format {
        Format::Elf if obj.target.arch == Architecture::I386 => match kind {
            Native(n) if n.size > 0 => Some(Stored::Int(n.size)),
            Native(_) => None,
            k => data(k),
        },
        Format::Coff => match kind {
            Abs32 | Abs32S | Abs64 | Imagerel32 | Secrel32 | Secidx16 | Pcrel32 | X86Branch32 => {
                data(kind)
            }
            A64Adrp21 | A64Adr21 => Some(Stored::Adr),
            A64AddLo12 | A64SecrelLo12 => Some(Stored::Add12),
            A64Ldst8Lo12 | A64Ldst16Lo12 | A64Ldst32Lo12 | A64Ldst64Lo12 | A64Ldst128Lo12
            | A64SecrelLdstLo12 => Some(Stored::Ldst12),
            _ => None,
        },
        Format::MachO => match kind {
            Abs32 | Abs64 | Diff32 | Diff64 | Pcrel64 => data(kind),
            Pcrel32 => Some(Stored::Int(4)),
            X86Branch32 | X86GotPcrel32 => Some(Stored::Int(4)),
            Native(n) if obj.target.arch == Architecture::X86_64 => {
                Some(Stored::Int(1 << n.length.min(3)))
            }
            Native(n) if matches!(n.r_type, 0 | 1) => Some(Stored::Int(1 << n.length.min(3))),
            _ => None,
        },
        _ => None,
    }
}

/// The canonical form of `obj` (see the module comment).
pub fn canonical(obj: &Object) -> Canon {
    let format = obj.target.format;
    let arch = obj.target.arch;
    let unwind = unwind_rows(obj);
    let mut obj = obj.clone();

    // --- Sections the format turns into options.
    let mut directives: Vec<String> = obj.options.directives.clone();
    let mut exec_stack = !obj.options.noexec_stack;
    let mut keep = vec![true; obj.sections.len()];
    for (i, s) in obj.sections.iter().enumerate() {
        if format == Format::Coff && s.name == ".drectve" {
            if let SectionData::Bytes(b) = &s.data {
                directives.extend(
                    String::from_utf8_lossy(b)
                        .split_whitespace()
                        .map(str::to_string),
                );
            }
            keep[i] = false;
        }
        if format == Format::Elf && s.name == ".note.GNU-stack" && s.data.is_empty() {
            exec_stack = s.kind == SectionKind::Text;
            keep[i] = false;
        }
    }
    let directives: Vec<String> = directives
        .iter()
        .flat_map(|d| d.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect();

    // --- In-place addends: clear the field, keep the addend as the field reads it back.
    let relocations: Vec<Relocation> = obj.relocations.clone();
    let mut relocs = Vec::new();
    // (section, offset, bytes) of the addends kept in a field narrower than 8 bytes: the
    // field holds them modulo 2^(8n), whichever way it is read.
    let mut in_field: Vec<(usize, u64, u8)> = Vec::new();
    for r in relocations {
        let mut r = r;
        // Formats without a difference relocation write `diff*` PC-relative.
        let no_diff = match format {
            Format::Elf => arch != Architecture::Riscv64,
            Format::Coff => true,
            _ => false,
        };
        if let (true, Some(minus)) = (r.kind().is_diff() && no_diff, r.minus()) {
            if let Some(SymbolDefinition::Defined { offset, .. }) =
                obj.symbols.get(minus.index()).map(|m| m.definition)
            {
                r.set_kind(r.kind().diff_as_pcrel().unwrap_or(r.kind()));
                r.set_addend(
                    r.addend()
                        .wrapping_add(r.offset() as i64)
                        .wrapping_sub(offset as i64),
                );
                r.set_minus(None);
            }
        }
        if format == Format::Coff && r.kind() == RelocKind::Abs32S {
            r.set_kind(RelocKind::Abs32);
        }
        // Mach-O: section offsets are written as numbers, with no relocation.
        if format == Format::MachO && r.kind() == RelocKind::Secrel32 {
            let value = r
                .symbol()
                .and_then(|s| obj.symbols.get(s.index()))
                .and_then(|s| match s.definition {
                    SymbolDefinition::Defined { offset, .. } => Some(offset),
                    _ => None,
                })
                .unwrap_or(0) as i64
                + r.addend();
            if let Some(SectionData::Bytes(b)) = obj
                .sections
                .get_mut(r.section().index())
                .map(|s| &mut s.data)
            {
                let at = r.offset() as usize;
                if let Some(field) = b.get_mut(at..at + 4) {
                    field.copy_from_slice(&(value as u32).to_le_bytes());
                }
            }
            continue;
        }
        let store = stored(&obj, r.kind());
        if let (Some(store), Some(SectionData::Bytes(b))) = (
            store,
            obj.sections
                .get_mut(r.section().index())
                .map(|s| &mut s.data),
        ) {
            let at = r.offset() as usize;
            match store {
                Stored::Int(n) => {
                    let rel = format == Format::Elf;
                    if rel && r.addend() == 0 {
                        // REL with addend 0: the field's own bytes are the addend.
                        let mut buf = [0u8; 8];
                        if let Some(f) = b.get(at..at + usize::from(n)) {
                            buf[..f.len()].copy_from_slice(f);
                        }
                        r.set_addend(i64::from_le_bytes(buf));
                    }
                    r.set_addend(sign_extend(r.addend(), n));
                    if n < 8 {
                        in_field.push((r.section().index(), r.offset(), n));
                    }
                    if let Some(f) = b.get_mut(at..at + usize::from(n)) {
                        f.fill(0);
                    }
                }
                Stored::Adr | Stored::Add12 | Stored::Ldst12 => {
                    if let Some(f) = b.get_mut(at..at + 4) {
                        let insn = u32::from_le_bytes([f[0], f[1], f[2], f[3]]);
                        let cleared = match store {
                            Stored::Adr => insn & !((0x3 << 29) | (0x7ffff << 5)),
                            _ => insn & !(0xfff << 10),
                        };
                        f.copy_from_slice(&cleared.to_le_bytes());
                    }
                    if store != Stored::Adr {
                        r.set_addend(r.addend() & 0xfff);
                    }
                }
            }
        }
        relocs.push(r);
    }
    obj.relocations = relocs;

    // --- Sections, in the order the format writes them.
    let mut order: Vec<usize> = (0..obj.sections.len()).filter(|&i| keep[i]).collect();
    if format == Format::MachO {
        order.sort_by_key(|&i| obj.sections[i].kind.is_zero_fill());
    }
    let mut position: Vec<Option<usize>> = vec![None; obj.sections.len()];
    for (p, &i) in order.iter().enumerate() {
        position[i] = Some(p);
    }
    let pos = |i: usize| {
        position
            .get(i)
            .copied()
            .flatten()
            .map_or("?".into(), |p| p.to_string())
    };

    // COFF COMDATs: each group's leader, as the writer picks it.
    let mut leaders: HashMap<String, usize> = HashMap::new();
    if format == Format::Coff {
        let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, s) in obj.sections.iter().enumerate() {
            if let Some(g) = s.comdat.as_deref() {
                match groups.iter_mut().find(|(n, _)| *n == g) {
                    Some((_, m)) => m.push(i),
                    None => groups.push((g, vec![i])),
                }
            }
        }
        for (g, members) in &groups {
            let assoc = |i: usize| {
                matches!(
                    obj.sections[i].comdat_selection,
                    ComdatSelection::Associative(_)
                )
            };
            let global = obj
                .symbols
                .iter()
                .find(|s| s.binding != Binding::Local && s.name == *g);
            let leader = match global.and_then(Symbol::section_id) {
                Some(s) if members.contains(&s.index()) && !assoc(s.index()) => s.index(),
                _ => members
                    .iter()
                    .copied()
                    .find(|&i| !assoc(i))
                    .unwrap_or(members[0]),
            };
            leaders.insert(g.to_string(), leader);
        }
    }

    let mut sections = Vec::new();
    for &i in &order {
        let s = &obj.sections[i];
        let mut name = s.name.clone();
        let mut kind = s.kind;
        let mut flags = s.flags;
        let mut entsize = s.entsize;
        let mut comdat = String::new();
        match format {
            Format::Elf => {
                if !kind.is_allocated() {
                    kind = if name.starts_with(".debug") {
                        SectionKind::Debug
                    } else {
                        SectionKind::Other
                    };
                }
                if flags.merge_strings {
                    entsize = entsize.max(1);
                }
                if let Some(g) = &s.comdat {
                    comdat = g.clone();
                }
            }
            Format::Coff => {
                if kind == SectionKind::TlsBss {
                    kind = SectionKind::TlsData;
                }
                if !kind.is_allocated() {
                    kind = if name.starts_with(".debug") {
                        SectionKind::Debug
                    } else {
                        SectionKind::Other
                    };
                }
                flags.merge_strings = false;
                flags.merge = false;
                flags.retain = false;
                entsize = 0;
                if let Some(g) = &s.comdat {
                    let leader = leaders.get(g).copied();
                    let selection = if leader == Some(i) {
                        let sel = obj
                            .sections
                            .iter()
                            .filter(|m| m.comdat.as_deref() == Some(g))
                            .map(|m| m.comdat_selection)
                            .find(|c| {
                                !matches!(c, ComdatSelection::Any | ComdatSelection::Associative(_))
                            })
                            .unwrap_or(ComdatSelection::Any);
                        sel.name().to_string()
                    } else {
                        match s.comdat_selection {
                            ComdatSelection::Associative(t) if Some(t.index()) != leader => {
                                format!("associative to {}", pos(t.index()))
                            }
                            _ => "associative to the leader".into(),
                        }
                    };
                    let key = written_name(&obj, &Symbol::undefined(g.clone()));
                    comdat = format!("{key} {selection}");
                }
            }
            _ => {
                name = macho_name(&name, flags.merge_strings);
                kind = macho_kind(&name, kind);
                let sectname = name.split_once(',').map_or("", |(_, n)| n).to_string();
                let literal = match sectname.as_str() {
                    "__literal4" => 4,
                    "__literal8" => 8,
                    "__literal16" => 16,
                    _ => 0,
                };
                flags.merge_strings = flags.merge_strings && sectname != "__cstring";
                if flags.merge && literal == 0 && matches!(entsize, 4 | 8 | 16) {
                    // kept: the literal type says it
                } else {
                    flags.merge = false;
                    entsize = 0;
                }
                if !flags.merge {
                    entsize = 0;
                }
            }
        }
        let data = match (&s.data, kind.is_zero_fill()) {
            (SectionData::Zero(n), true) => format!("zero fill {n}"),
            (SectionData::Bytes(b), _) if std::env::var("OBJFORGE_DUMP_DEBUG").is_ok() => {
                format!("{} bytes {:02x?}", b.len(), b)
            }
            (SectionData::Bytes(b), _) => format!("{} bytes {:016x}", b.len(), fingerprint(b)),
            (data, _) => {
                format!("{} bytes {:016x}", data.len(), fingerprint(&data.to_vec()))
            }
        };
        sections.push(format!(
            "{name} {} align {} flags {:?} entsize {entsize} comdat [{comdat}] {data}",
            kind.name(),
            s.align,
            (
                flags.merge_strings,
                flags.merge,
                flags.exclude,
                flags.retain
            ),
        ));
    }

    // --- Symbols as the linker sees them.
    let symbol_text = |s: &Symbol| -> Option<String> {
        if s.kind == SymbolKind::Section {
            return None;
        }
        if format == Format::MachO && s.kind == SymbolKind::File {
            return None;
        }
        let is_common = matches!(s.definition, SymbolDefinition::Common { .. });
        let def = match s.definition {
            SymbolDefinition::Defined { section, offset } => {
                format!("in {}+{offset}", pos(section.index()))
            }
            SymbolDefinition::Undefined => "undefined".into(),
            SymbolDefinition::Common { size, align } => format!("common {size}/{align}"),
            _ => "file".into(),
        };
        let kind = match format {
            Format::Elf => s.kind,
            Format::Coff if is_common => SymbolKind::Object,
            Format::Coff if s.kind == SymbolKind::Func || s.kind == SymbolKind::File => s.kind,
            Format::Coff => SymbolKind::None,
            _ if is_common => SymbolKind::Object,
            _ if s.kind == SymbolKind::Tls => SymbolKind::Tls,
            _ => SymbolKind::None,
        };
        let binding = match (format, is_common) {
            (Format::Elf, _) | (_, false) => s.binding,
            _ => Binding::Global,
        };
        let visibility = match format {
            Format::Elf => s.visibility,
            // N_PEXT: on external definitions and common symbols.
            Format::MachO
                if s.binding != Binding::Local
                    && s.visibility.is_hidden()
                    && s.definition != SymbolDefinition::Undefined =>
            {
                Visibility::Hidden
            }
            _ => Visibility::Default,
        };
        let size = match (format, s.definition) {
            (Format::Elf, _) => s.size,
            (_, SymbolDefinition::Common { size, .. }) => size,
            _ => 0,
        };
        Some(format!(
            "`{}` {def} {} {binding:?} {visibility:?} size {size}",
            written_name(&obj, s),
            kind.name()
        ))
    };
    let mut symbols: Vec<String> = obj.symbols.iter().filter_map(symbol_text).collect();
    if format == Format::Coff {
        // A COMDAT group with no global of its name gets the COMDAT symbol the writer adds.
        for (g, &leader) in &leaders {
            if !obj
                .symbols
                .iter()
                .any(|s| s.binding != Binding::Local && s.name == *g)
            {
                let key = Symbol {
                    binding: Binding::Global,
                    ..Symbol::defined(g.clone(), objforge::SectionId::from_index(leader), 0)
                };
                symbols.extend(symbol_text(&key));
            }
        }
    }
    symbols.sort();

    // --- Relocations as the format encodes them.
    let target_text = |id: Option<SymbolId>| -> String {
        match id.and_then(|s| obj.symbols.get(s.index())) {
            None => "-".into(),
            Some(s) if s.kind == SymbolKind::Section => {
                format!(
                    "section {}",
                    s.section_id().map_or("?".into(), |i| pos(i.index()))
                )
            }
            Some(s) => symbol_text(s).unwrap_or_default(),
        }
    };
    let mut relocations = Vec::new();
    for r in &obj.relocations {
        let mut kind = r.kind();
        let mut addend = r.addend();
        let mut target = target_text(r.symbol());
        let mut minus = r.minus().map(|m| target_text(Some(m)));
        let bytes = match obj.sections.get(r.section().index()).map(|s| &s.data) {
            Some(SectionData::Bytes(b)) => b.as_slice(),
            _ => &[],
        };
        let insn = bytes
            .get(r.offset() as usize..r.offset() as usize + 4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        match format {
            Format::Elf => {
                if let Some(k) = match kind {
                    RelocKind::Native(n) => elf_portable(arch, n.r_type),
                    _ => None,
                } {
                    kind = k;
                }
                let unallocated = r
                    .symbol()
                    .and_then(|s| obj.symbols.get(s.index()))
                    .and_then(Symbol::section_id)
                    .and_then(|s| obj.sections.get(s.index()))
                    .is_some_and(|s| !s.kind.is_allocated());
                if kind == RelocKind::Abs32 && unallocated {
                    kind = RelocKind::Secrel32;
                }
                if let RelocKind::Native(mut n) = kind {
                    if arch != Architecture::I386 {
                        n.size = 0;
                    }
                    n.pcrel = false;
                    n.length = 0;
                    kind = RelocKind::Native(n);
                }
            }
            Format::Coff => {
                if matches!(kind, RelocKind::Pcrel32 | RelocKind::X86Branch32)
                    && arch != Architecture::Aarch64
                {
                    let before = r
                        .offset()
                        .checked_sub(1)
                        .and_then(|i| bytes.get(i as usize));
                    kind = if matches!(before, Some(0xe8 | 0xe9)) {
                        RelocKind::X86Branch32
                    } else {
                        RelocKind::Pcrel32
                    };
                }
            }
            _ => {
                // One Mach-O type for ADD and every load/store: the instruction says which.
                if matches!(
                    kind,
                    RelocKind::A64AddLo12
                        | RelocKind::A64Ldst8Lo12
                        | RelocKind::A64Ldst16Lo12
                        | RelocKind::A64Ldst32Lo12
                        | RelocKind::A64Ldst64Lo12
                        | RelocKind::A64Ldst128Lo12
                ) {
                    let scale = insn.and_then(|i| {
                        (i & 0x3b00_0000 == 0x3900_0000)
                            .then(|| (i >> 30) + if i & 0x0480_0000 == 0x0480_0000 { 4 } else { 0 })
                    });
                    kind = match scale {
                        Some(0) => RelocKind::A64Ldst8Lo12,
                        Some(1) => RelocKind::A64Ldst16Lo12,
                        Some(2) => RelocKind::A64Ldst32Lo12,
                        Some(3) => RelocKind::A64Ldst64Lo12,
                        Some(4) => RelocKind::A64Ldst128Lo12,
                        _ => RelocKind::A64AddLo12,
                    };
                }
                // PC-relative data is a SUBTRACTOR pair from the field's subsection start.
                let from_field = matches!(
                    (arch, kind),
                    (
                        Architecture::Aarch64,
                        RelocKind::Pcrel32 | RelocKind::Pcrel64
                    ) | (Architecture::X86_64, RelocKind::Pcrel64)
                );
                if from_field {
                    let (start, index) = subsection_start(&obj, r.section().index(), r.offset());
                    let text = match index.and_then(|i| obj.symbols.get(i)) {
                        Some(s) => symbol_text(s).unwrap_or_default(),
                        None => format!("section {}", pos(r.section().index())),
                    };
                    kind = if kind == RelocKind::Pcrel32 {
                        RelocKind::Diff32
                    } else {
                        RelocKind::Diff64
                    };
                    addend = addend.wrapping_sub((r.offset() - start) as i64);
                    minus = Some(text);
                }
                // A section-relative entry points at an address: compare that.
                let local_field = match kind {
                    RelocKind::Abs32 | RelocKind::Abs64 | RelocKind::Diff32 | RelocKind::Diff64 => {
                        Some((0i64, 0i64))
                    }
                    RelocKind::Pcrel32 if arch == Architecture::X86_64 => {
                        let extra = match addend.checked_add(4) {
                            Some(-1) => 1,
                            Some(-2) => 2,
                            Some(-4) => 4,
                            _ => 0,
                        };
                        Some((4, extra))
                    }
                    _ => None,
                };
                if let (Some((bias, extra)), Some(s)) = (
                    local_field,
                    r.symbol().and_then(|s| obj.symbols.get(s.index())),
                ) {
                    if let (Binding::Local, SymbolDefinition::Defined { section, offset }) =
                        (s.binding, s.definition)
                    {
                        let size = obj
                            .sections
                            .get(section.index())
                            .map_or(0, |x| x.data.len()) as i64;
                        let referenced = offset as i64 + addend + bias + extra;
                        if (0..=size).contains(&referenced) {
                            target = format!("section {}", pos(section.index()));
                            addend += offset as i64;
                        }
                    }
                }
                if let RelocKind::Native(mut n) = kind {
                    n.size = 0;
                    kind = RelocKind::Native(n);
                }
            }
        }
        if let Some(&(_, _, n)) = in_field
            .iter()
            .find(|&&(sec, off, _)| sec == r.section().index() && off == r.offset())
        {
            addend &= (1i64 << (8 * u32::from(n))) - 1;
        }
        relocations.push(format!(
            "{}+{} {kind:?} {target} {addend:+} minus [{}] pair {:?}",
            pos(r.section().index()),
            r.offset(),
            minus.unwrap_or_default(),
            r.pair(),
        ));
    }
    relocations.sort();

    // --- Target and options.
    let t = &obj.target;
    let target = format!(
        "{} {} {}",
        t.format.name(),
        t.arch.name(),
        if t.arch == Architecture::Riscv64 {
            format!(
                "rvc {} float {}",
                t.riscv_compressed,
                match t.float_abi {
                    FloatAbi::Soft => "soft",
                    FloatAbi::Single => "single",
                    _ => "double",
                }
            )
        } else {
            String::new()
        }
    );
    let mut options = Vec::new();
    match format {
        Format::Elf => options.push(format!("exec_stack {exec_stack}")),
        Format::Coff => {
            options.push(format!("directives {directives:?}"));
            options.push(format!(
                "bigobj {}",
                obj.options.bigobj || obj.sections.len() > 0xfeff
            ));
        }
        _ => options.push(format!(
            "platform {:?}",
            obj.options.platform.unwrap_or_default()
        )),
    }
    Canon {
        target,
        options,
        sections,
        symbols,
        relocations,
        unwind,
    }
}

/// The unwind entries as `.eh_frame` records them (COFF: only the functions): functions by
/// section name and offset,
/// symbols by name, `adjust_cfa_offset` as the `def_cfa_offset` it amounts to and
/// `rel_offset` as the CFA-relative `offset`.
fn unwind_rows(obj: &Object) -> Vec<String> {
    use objforge::unwind::{CfiOp, Lsda};
    // Mach-O sections come back by their Mach-O names.
    let section = |id: objforge::SectionId| {
        let s = &obj.sections[id.index()];
        if obj.target.format == Format::MachO {
            macho_name(&s.name, s.flags.merge_strings)
        } else {
            s.name.clone()
        }
    };
    let symbol = |id: SymbolId| obj.symbols[id.index()].name.to_string();
    let initial = match obj.target.arch {
        Architecture::X86_64 => 8,
        Architecture::I386 => 4,
        _ => 0,
    };
    obj.unwind
        .iter()
        .map(|f| {
            // COFF entries come back with `seh` codes, which a spec may have left to be derived
            // from its `cfi` rules: only where the functions are is compared.
            if obj.target.format == Format::Coff {
                return format!("{}+{} size {}", section(f.section), f.offset, f.size);
            }
            let mut cfa = initial;
            let mut stack = Vec::new();
            let rules: Vec<String> = f
                .cfi
                .iter()
                .map(|r| {
                    let op = match r.op.clone() {
                        CfiOp::AdjustCfaOffset(d) => {
                            cfa += d;
                            CfiOp::DefCfaOffset(cfa)
                        }
                        CfiOp::DefCfaOffset(o) => {
                            cfa = o;
                            CfiOp::DefCfaOffset(o)
                        }
                        CfiOp::DefCfa { reg, offset } => {
                            cfa = offset;
                            CfiOp::DefCfa { reg, offset }
                        }
                        CfiOp::RelOffset { reg, offset } => CfiOp::Offset {
                            reg,
                            offset: offset - cfa,
                        },
                        CfiOp::RememberState => {
                            stack.push(cfa);
                            CfiOp::RememberState
                        }
                        CfiOp::RestoreState => {
                            cfa = stack.pop().unwrap_or(cfa);
                            CfiOp::RestoreState
                        }
                        op => op,
                    };
                    format!("{}:{op:?}", r.at)
                })
                .collect();
            let lsda = f.lsda.map(|l| match l {
                Lsda::Symbol(s) => symbol(s),
                Lsda::Section { section: s, offset } => format!("{}+{offset}", section(s)),
                _ => "?".into(),
            });
            format!(
                "{}+{} size {} personality {:?} lsda {lsda:?} signal {} column {:?} rules {rules:?}",
                section(f.section),
                f.offset,
                f.size,
                f.personality.map(symbol),
                f.signal_frame,
                f.return_column,
            )
        })
        .collect()
}

/// The portable kind objforge's ELF writer writes as `r_type` (GOT forms aside): a `native`
/// of that type compares as the kind. (The dump writes a relocation the library refuses in
/// its portable kind, such as a PC-relative field out of reach, as that `native`.)
fn elf_portable(arch: Architecture, r_type: u32) -> Option<RelocKind> {
    use RelocKind::*;
    let table: &[(u32, RelocKind)] = match arch {
        Architecture::X86_64 => &[
            (1, Abs64),
            (2, Pcrel32),
            (4, X86Branch32),
            (10, Abs32),
            (11, Abs32S),
            (12, Abs16),
            (13, Pcrel16),
            (14, Abs8),
            (15, Pcrel8),
            (24, Pcrel64),
            (17, X86Dtpoff64),
            (19, X86Tlsgd),
            (20, X86Tlsld),
            (21, X86Dtpoff32),
            (22, X86Gottpoff),
            (23, X86Tpoff32),
            (34, X86GotpcTlsdesc),
            (35, X86TlsdescCall),
        ],
        Architecture::I386 => &[
            (1, Abs32),
            (2, Pcrel32),
            (4, X86Branch32),
            (20, Abs16),
            (21, Pcrel16),
            (22, Abs8),
            (23, Pcrel8),
            (15, X86Indntpoff),
            (16, X86Gottpoff),
            (17, X86Tpoff32),
            (18, X86Tlsgd),
            (19, X86Tlsld),
            (32, X86Dtpoff32),
            (39, X86GotpcTlsdesc),
            (40, X86TlsdescCall),
        ],
        Architecture::Aarch64 => &[
            (257, Abs64),
            (258, Abs32),
            (259, Abs16),
            (260, Pcrel64),
            (261, Pcrel32),
            (262, Pcrel16),
            (273, A64LdrLit19),
            (274, A64Adr21),
            (275, A64Adrp21),
            (277, A64AddLo12),
            (278, A64Ldst8Lo12),
            (279, A64Tstbr14),
            (280, A64Condbr19),
            (282, A64Jump26),
            (283, A64Call26),
            (284, A64Ldst16Lo12),
            (285, A64Ldst32Lo12),
            (286, A64Ldst64Lo12),
            (299, A64Ldst128Lo12),
            (311, A64GotAdrp21),
            (312, A64GotLd64Lo12),
            (513, A64TlsgdAdrp21),
            (514, A64TlsgdAddLo12),
            (518, A64TlsldAdrp21),
            (519, A64TlsldAddLo12),
            (528, A64TlsldDtprelHi12),
            (530, A64TlsldDtprelLo12),
            (541, A64TlsieAdrp21),
            (542, A64TlsieLd64Lo12),
            (549, A64TlsleHi12),
            (551, A64TlsleLo12),
            (562, A64TlsdescAdrp21),
            (563, A64TlsdescLd64Lo12),
            (564, A64TlsdescAddLo12),
            (569, A64TlsdescCall),
        ],
        Architecture::Riscv64 => &[
            (1, Abs32),
            (2, Abs64),
            (16, RvBranch),
            (17, RvJal),
            (19, RvCall),
            (20, RvGotHi20),
            (21, RvTlsGotHi20),
            (22, RvTlsGdHi20),
            (23, RvPcrelHi20),
            (26, RvHi20),
            (27, RvLo12I),
            (28, RvLo12S),
            (29, RvTprelHi20),
            (30, RvTprelLo12I),
            (31, RvTprelLo12S),
            (32, RvTprelAdd),
            (44, RvRvcBranch),
            (45, RvRvcJump),
            (54, Abs8),
            (55, Abs16),
            (57, Pcrel32),
        ],
        Architecture::S390x => &[
            (1, Abs8),
            (3, Abs16),
            (4, Abs32),
            (5, Pcrel32),
            (16, Pcrel16),
            (17, S390Pc16Dbl),
            (18, S390Plt16Dbl),
            (19, S390Pc32Dbl),
            (20, S390Plt32Dbl),
            (21, S390GotPcDbl),
            (22, Abs64),
            (23, Pcrel64),
            (26, S390GotEnt),
            (38, S390TlsGdcall),
            (39, S390TlsLdcall),
            (41, S390TlsGd64),
            (46, S390TlsLdm64),
            (49, S390TlsIeent),
            (51, S390TlsLe64),
            (53, S390TlsLdo64),
        ],
        _ => &[],
    };
    table.iter().find(|(t, _)| *t == r_type).map(|(_, k)| *k)
}

/// The symbol that starts the subsection holding `offset` of section `k` in the Mach-O the
/// writer makes: its offset, and its index in `obj.symbols` (`None` for the section's
/// `ltmpN`, which stands for the section symbol).
fn subsection_start(obj: &Object, k: usize, offset: u64) -> (u64, Option<usize>) {
    // Written symbols in the writer's table order: locals, the `ltmpN`s, then external
    // definitions by name.
    let written = |s: &Symbol| !matches!(s.kind, SymbolKind::Section | SymbolKind::File);
    let mut locals = Vec::new();
    let mut extdefs = Vec::new();
    for (i, s) in obj.symbols.iter().enumerate().filter(|(_, s)| written(s)) {
        if let SymbolDefinition::Defined {
            section,
            offset: at,
        } = s.definition
        {
            if section.index() == k {
                if s.binding == Binding::Local {
                    locals.push((at, i));
                } else {
                    extdefs.push((at, i));
                }
            }
        }
    }
    extdefs.sort_by_key(|&(_, i)| written_name(obj, &obj.symbols[i]));
    // The section has its `ltmpN` when a relocation names the section's symbol.
    let section_named = obj.relocations.iter().any(|r| {
        [r.symbol(), r.minus()].into_iter().flatten().any(|id| {
            obj.symbols.get(id.index()).is_some_and(|s| {
                s.kind == SymbolKind::Section && s.section_id().map(|x| x.index()) == Some(k)
            })
        })
    });
    let mut starts: Vec<(u64, usize, Option<usize>)> = Vec::new();
    for (n, &(at, i)) in locals.iter().enumerate() {
        starts.push((at, n, Some(i)));
    }
    if section_named {
        starts.push((0, locals.len(), None));
    }
    for (n, &(at, i)) in extdefs.iter().enumerate() {
        starts.push((at, locals.len() + 1 + n, Some(i)));
    }
    starts.sort_by_key(|&(at, n, _)| (at, n));
    match starts.iter().rev().find(|(at, ..)| *at <= offset) {
        Some(&(at, _, i)) => (at, i),
        None => (0, None),
    }
}
