//! Random *valid* models for one (format, architecture): every section kind, local, global,
//! weak and hidden symbols, undefined and common symbols, section and file symbols, COMDAT
//! groups where the format has them, and every relocation kind the target expresses, with
//! fields inside their sections, aligned where an instruction needs it, never overlapping, and
//! each kind's own rules kept (a `secrel32` against a non-allocated section where the format
//! needs one, a `diff*` whose subtracted symbol the format can reach, an addend the field or
//! the format can hold, a PC-relative value inside the field's reach).
//!
//! Global names carry a tag, so that many generated objects can be linked in one run of a
//! linker without clashing.
//!
//! Wasm models, whose functions, imports, globals and tables live in `Object::wasm`, come
//! from a generator of their own: [`wasm`].

use objforge::*;

use crate::source::Source;
use crate::targets::{Case, Naming};

pub mod wasm;

/// Instruction templates, so that a relocated instruction is one a linker can decode.
fn template(kind: RelocKind) -> Option<&'static [u8]> {
    use RelocKind::*;
    Some(match kind {
        A64Call26 => &[0x00, 0x00, 0x00, 0x94],
        A64Jump26 => &[0x00, 0x00, 0x00, 0x14],
        A64Condbr19 => &[0x00, 0x00, 0x00, 0x54],
        A64Tstbr14 => &[0x00, 0x00, 0x00, 0x36],
        A64LdrLit19 => &[0x00, 0x00, 0x00, 0x58],
        A64Adr21 => &[0x00, 0x00, 0x00, 0x10],
        A64Adrp21 | A64GotAdrp21 | A64TlsieAdrp21 | A64TlsgdAdrp21 | A64TlsdescAdrp21
        | A64TlsldAdrp21 => &[0x00, 0x00, 0x00, 0x90],
        A64AddLo12 | A64TlsleLo12 | A64TlsgdAddLo12 | A64TlsdescAddLo12 | A64TlsldAddLo12
        | A64TlsldDtprelLo12 | A64SecrelLo12 => &[0x00, 0x00, 0x00, 0x91],
        // add x0, x0, #0, lsl #12
        A64TlsleHi12 | A64TlsldDtprelHi12 | A64SecrelHi12 => &[0x00, 0x00, 0x40, 0x91],
        // ldr x0, [x1]
        A64TlsieLd64Lo12 | A64TlsdescLd64Lo12 => &[0x20, 0x00, 0x40, 0xf9],
        // blr x1
        A64TlsdescCall => &[0x20, 0x00, 0x3f, 0xd6],
        // call *(%rax)
        X86TlsdescCall => &[0xff, 0x10],
        A64Ldst8Lo12 => &[0x20, 0x00, 0x40, 0x39],
        A64Ldst16Lo12 => &[0x20, 0x00, 0x40, 0x79],
        A64Ldst32Lo12 => &[0x20, 0x00, 0x40, 0xb9],
        A64Ldst64Lo12 | A64GotLd64Lo12 | A64SecrelLdstLo12 => &[0x20, 0x00, 0x40, 0xf9],
        A64Ldst128Lo12 => &[0x20, 0x00, 0xc0, 0x3d],
        RvCall => &[0x97, 0x00, 0x00, 0x00, 0xe7, 0x80, 0x00, 0x00],
        RvPcrelHi20 | RvGotHi20 | RvTlsGotHi20 | RvTlsGdHi20 | RvTlsdescHi20 => {
            &[0x17, 0x05, 0x00, 0x00]
        }
        // ld a1, 0(a0)
        RvTlsdescLoadLo12 => &[0x83, 0x35, 0x05, 0x00],
        // addi a0, a0, 0
        RvTlsdescAddLo12 => &[0x13, 0x05, 0x05, 0x00],
        // jalr t0, 0(a1)
        RvTlsdescCall => &[0xe7, 0x82, 0x05, 0x00],
        RvHi20 | RvTprelHi20 => &[0x37, 0x05, 0x00, 0x00],
        RvPcrelLo12I | RvLo12I | RvTprelLo12I => &[0x13, 0x05, 0x05, 0x00],
        RvPcrelLo12S | RvLo12S | RvTprelLo12S => &[0x23, 0x20, 0xa5, 0x00],
        // add a0, a0, tp
        RvTprelAdd => &[0x33, 0x05, 0x45, 0x00],
        RvBranch => &[0x63, 0x00, 0x00, 0x00],
        RvJal => &[0x6f, 0x00, 0x00, 0x00],
        RvRvcBranch => &[0x01, 0xc0],
        RvRvcJump => &[0x01, 0xa0],
        // bl 0; bc 12, 2, 0 (beq)
        PpcRel24 => &[0x01, 0x00, 0x00, 0x48],
        PpcRel14 => &[0x00, 0x00, 0x82, 0x41],
        // Arm: bl, b, movw r0, movt r0 (words, little-endian).
        ArmCall => &[0x00, 0x00, 0x00, 0xeb],
        ArmJump24 => &[0x00, 0x00, 0x00, 0xea],
        ArmMovwAbsNc | ArmMovwPrelNc => &[0x00, 0x00, 0x00, 0xe3],
        ArmMovtAbs | ArmMovtPrel => &[0x00, 0x00, 0x40, 0xe3],
        // Thumb-2: bl, b.w, beq.w, movw r0, movt r0 (two halfwords, the first first).
        ArmThmCall => &[0x00, 0xf0, 0x00, 0xf8],
        ArmThmJump24 => &[0x00, 0xf0, 0x00, 0xb8],
        ArmThmJump19 => &[0x00, 0xf0, 0x00, 0x80],
        ArmThmMovwAbsNc | ArmThmMovwPrelNc => &[0x40, 0xf2, 0x00, 0x00],
        ArmThmMovtAbs | ArmThmMovtPrel => &[0xc0, 0xf2, 0x00, 0x00],
        _ => return None,
    })
}

/// The access size an `a64_ldst*_lo12` scales by (its addend's low 12 bits must be a multiple).
fn access_size(kind: RelocKind) -> i64 {
    use RelocKind::*;
    match kind {
        A64Ldst16Lo12 => 2,
        A64Ldst32Lo12 => 4,
        A64Ldst64Lo12 | A64GotLd64Lo12 | A64SecrelLdstLo12 => 8,
        A64Ldst128Lo12 => 16,
        _ => 1,
    }
}

/// The reach of a PC-relative field (S + A - P), as the architecture manuals give it:
/// (min, max, multiple of).
fn reach(kind: RelocKind) -> Option<(i64, i64, i64)> {
    use RelocKind::*;
    let bits = |n: u32, step| Some((-(1i64 << (n - 1)), (1i64 << (n - 1)) - 1, step));
    match kind {
        Pcrel8 => bits(8, 1),
        Pcrel16 => bits(16, 1),
        Pcrel32 | X86Branch32 => bits(32, 1),
        A64Call26 | A64Jump26 => bits(28, 4),
        A64Condbr19 | A64LdrLit19 => bits(21, 4),
        A64Tstbr14 => bits(16, 4),
        A64Adr21 => bits(21, 1),
        RvBranch => bits(13, 2),
        RvJal => bits(21, 2),
        RvRvcBranch => bits(9, 2),
        RvRvcJump => bits(12, 2),
        // IBM Z's relative fields count halfwords.
        S390Pc32Dbl | S390Plt32Dbl => bits(33, 2),
        S390Pc16Dbl | S390Plt16Dbl => bits(17, 2),
        PpcRel24 => bits(26, 4),
        PpcRel14 => bits(16, 4),
        ArmCall | ArmJump24 => bits(26, 4),
        ArmThmCall | ArmThmJump24 => bits(25, 2),
        ArmThmJump19 => bits(21, 2),
        ArmPrel31 => bits(31, 1),
        _ => None,
    }
}

/// Section names per naming scheme: `(name, kind)` for section `i`.
fn section_name(naming: Naming, kind: SectionKind, i: usize) -> String {
    use SectionKind::*;
    match naming {
        Naming::Elf => {
            let base = match kind {
                Text => ".text",
                Data => ".data",
                Rodata => ".rodata",
                Bss => ".bss",
                TlsData => ".tdata",
                TlsBss => ".tbss",
                Debug => ".debug_objforge",
                _ => ".objforge",
            };
            format!("{base}.{i}")
        }
        Naming::Coff => {
            let base = match kind {
                Text => ".text",
                Data => ".data",
                Rodata => ".rdata",
                Bss => ".bss",
                TlsData => ".tls",
                TlsBss => ".tls$z",
                Debug => ".debug_of",
                _ => ".other",
            };
            if base.contains('$') {
                format!("{base}{i}")
            } else {
                format!("{base}${i}")
            }
        }
        Naming::MachO => {
            let (segment, section) = match kind {
                Text => ("__TEXT", "__text"),
                Data => ("__DATA", "__data"),
                Rodata => ("__TEXT", "__const"),
                Bss => ("__DATA", "__bss"),
                TlsData => ("__DATA", "__thread_data"),
                TlsBss => ("__DATA", "__thread_bss"),
                Debug => ("__DWARF", "__debug_of"),
                _ => ("__OBJFORGE", "__other"),
            };
            format!("{segment},{section}{i}")
        }
    }
}

const KINDS: &[SectionKind] = &[
    SectionKind::Text,
    SectionKind::Data,
    SectionKind::Rodata,
    SectionKind::Bss,
    SectionKind::TlsData,
    SectionKind::TlsBss,
    SectionKind::Debug,
    SectionKind::Other,
];

/// What the generator remembers of a section while filling it.
struct SectionPlan {
    /// Holds NUL-terminated strings or fixed-size constants: no relocations, no symbols
    /// inside.
    merge: bool,
}

/// One to four NUL-terminated strings of up to 7 letters: a section the linker may merge.
pub(crate) fn c_strings(src: &mut Source<'_>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for _ in 0..1 + src.below(4) {
        let n = src.below(8);
        bytes.extend((0..n).map(|_| b'a' + src.u8() % 26));
        bytes.push(0);
    }
    bytes
}

/// A random valid model for `case`; global names start with `tag`.
pub fn model(case: &Case, tag: &str, src: &mut Source<'_>) -> Object {
    if case.format() == Format::Wasm {
        return wasm::model(case, tag, src);
    }
    let p = case.profile;
    let arch = case.arch;
    let mut obj = Object::new(case.target());
    if arch == Architecture::Riscv64 {
        obj.target.riscv_compressed = src.bool();
        obj.target.float_abi = src.pick(&[FloatAbi::Soft, FloatAbi::Single, FloatAbi::Double]);
    }
    obj.options.mangle = !src.one_in(8);
    obj.options.noexec_stack = !src.one_in(8);
    obj.options.bigobj = src.one_in(6);

    // --- Sections.
    let mut plans = Vec::new();
    let nsections = 1 + src.below(6);
    for i in 0..nsections {
        let kind = src.pick(KINDS);
        let mut s = Section::new(section_name(p.naming, kind, i), kind);
        s.align = (1u64 << src.below(6)).min(p.max_align);
        if src.one_in(12) {
            s.align = p.max_align;
        }
        let len = src.below(161);
        let mut merge = false;
        if kind.is_zero_fill() {
            s.data = SectionData::Zero(len as u64);
        } else if kind == SectionKind::Rodata && src.one_in(6) {
            s.data = SectionData::Bytes(c_strings(src));
            s.flags.merge_strings = true;
            merge = true;
        } else if kind == SectionKind::Rodata && !p.merge_entsizes.is_empty() && src.one_in(6) {
            let entsize = src.pick(p.merge_entsizes);
            let n = entsize as usize * (1 + src.below(4));
            s.data = SectionData::Bytes(src.bytes(n));
            s.flags.merge = true;
            s.entsize = entsize;
            merge = true;
        } else if src.one_in(8) {
            // Zeros asked for by size in a section with file contents.
            s.data = SectionData::Zero(len as u64);
        } else {
            s.data = SectionData::Bytes(src.bytes(len));
        }
        if src.one_in(10) && (p.retain_zero_fill || !kind.is_zero_fill()) {
            s.flags.retain = true;
        }
        if p.exclude && kind == SectionKind::Other && src.one_in(4) {
            s.flags.exclude = true;
        }
        obj.add_section(s);
        plans.push(SectionPlan { merge });
    }

    // --- COMDAT groups: a run of sections; COFF's selection on the first, the others
    // associative to it or following it by default.
    let mut comdat_keys: Vec<(String, SectionId)> = Vec::new();
    if p.comdat && src.one_in(2) {
        let first = src.below(nsections);
        let count = 1 + src.below(3);
        let group = format!("{tag}grp{first}");
        // Members the linker keeps: lld-link drops debug sections, and with a debug leader
        // the whole group.
        let members: Vec<usize> = (first..nsections.min(first + count))
            .filter(|&i| obj.sections[i].kind.is_allocated())
            .collect();
        if members.len() >= p.group_min_members {
            let leader = members[0];
            let selection = src.pick(&[
                ComdatSelection::Any,
                ComdatSelection::NoDuplicates,
                ComdatSelection::SameSize,
                ComdatSelection::ExactMatch,
                ComdatSelection::Largest,
            ]);
            for &m in &members {
                let s = &mut obj.sections[m];
                s.comdat = Some(group.clone());
                if m == leader {
                    s.comdat_selection = selection;
                } else if src.bool() {
                    s.comdat_selection =
                        ComdatSelection::Associative(SectionId::from_index(leader));
                }
            }
            if src.bool() && obj.sections[leader].kind.is_allocated() {
                comdat_keys.push((group, SectionId::from_index(leader)));
            }
        }
    }

    // --- Symbols.
    let mut defined: Vec<SymbolId> = Vec::new();
    if src.one_in(3) {
        obj.add_symbol(Symbol::file(format!("{tag}source.c")));
    }
    for i in 0..nsections {
        if src.one_in(3) {
            let id = obj.add_symbol(Symbol::section(SectionId::from_index(i)));
            defined.push(id);
        }
    }
    for (group, leader) in &comdat_keys {
        let id = obj.add_symbol(
            Symbol::defined(group.clone(), *leader, 0)
                .with_binding(Binding::Global)
                .with_kind(SymbolKind::Func),
        );
        defined.push(id);
    }
    let ndefined = src.below(9);
    for k in 0..ndefined {
        let section = src.below(nsections);
        let s = &obj.sections[section];
        let len = s.data.len();
        let mut offset = if plans[section].merge {
            0
        } else {
            src.range(0, len)
        };
        if arch == Architecture::Aarch64 {
            // A label starts an instruction (ld64.lld splits sections at labels, and misreads
            // an instruction in a piece that starts off the 4-byte grid).
            offset -= offset % 4;
        }
        let tls = matches!(s.kind, SectionKind::TlsData | SectionKind::TlsBss);
        let kind = if tls && p.tls_symbols && src.bool() {
            SymbolKind::Tls
        } else {
            src.pick(&[SymbolKind::None, SymbolKind::Func, SymbolKind::Object])
        };
        let mut binding = src.pick(&[
            Binding::Local,
            Binding::Local,
            Binding::Global,
            Binding::Weak,
        ]);
        if !s.kind.is_allocated() {
            // A global in a section the linker drops (COFF) or leaves alone (Mach-O DWARF)
            // names nothing a program can reach.
            binding = Binding::Local;
        }
        // g++'s static locals of inline functions: an ELF-only binding, on data.
        if case.format() == Format::Elf
            && binding == Binding::Global
            && kind == SymbolKind::Object
            && src.one_in(4)
        {
            binding = Binding::GnuUnique;
        }
        // Local names may repeat; globals are unique and tagged.
        let name = match binding {
            Binding::Local => format!("l{}", src.below(4)),
            _ => format!("{tag}g{k}"),
        };
        let visibility = if binding == Binding::Local {
            Visibility::Default
        } else {
            src.pick(&[
                Visibility::Default,
                Visibility::Hidden,
                Visibility::Protected,
                Visibility::Internal,
            ])
        };
        let size = if src.bool() { len - offset } else { 0 };
        let id = obj.add_symbol(Symbol {
            name: name.into(),
            definition: SymbolDefinition::Defined {
                section: SectionId::from_index(section),
                offset,
            },
            kind,
            binding,
            visibility,
            size,
        });
        defined.push(id);
    }
    for k in 0..src.below(4) {
        obj.add_symbol(
            Symbol::undefined(format!("{tag}u{k}"))
                .with_binding(src.pick(&[Binding::Global, Binding::Global, Binding::Weak]))
                .with_kind(src.pick(&[SymbolKind::None, SymbolKind::Func, SymbolKind::Object]))
                .with_visibility(src.pick(&[Visibility::Default, Visibility::Hidden])),
        );
    }
    for k in 0..src.below(3) {
        let align = (1u32 << src.below(6)).min(p.max_common_align);
        obj.add_symbol(Symbol::common(
            format!("{tag}c{k}"),
            1 + src.range(0, 63),
            align,
        ));
    }

    // --- Relocations.
    let kinds = case.kinds();
    if !kinds.is_empty() {
        for (section, plan) in plans.iter().enumerate() {
            if plan.merge || obj.sections[section].kind.is_zero_fill() {
                continue;
            }
            relocations(&mut obj, case, section, &kinds, &defined, src);
        }
    }
    align_ldst_targets(&mut obj);
    // PowerPC64 ELFv2: some defined symbols get a local entry point. Not the ABI's 1 ("no
    // separate local entry, r2 not preserved"), which eu-elflint 0.188 calls an unknown bit.
    if arch == Architecture::Ppc64le {
        for i in 0..obj.symbols.len() {
            let defined = matches!(obj.symbols[i].definition, SymbolDefinition::Defined { .. });
            if defined && obj.symbols[i].kind != SymbolKind::Section && src.one_in(4) {
                obj.set_local_entry(SymbolId::from_index(i), src.pick(&[4, 8, 16, 32, 64]));
            }
        }
    }
    obj
}

/// An `a64_ldst*_lo12` to a defined symbol needs S + A aligned to the access in the linked
/// image: the generator aligned S + A in the section, and here the section itself.
fn align_ldst_targets(obj: &mut Object) {
    let mut wanted: Vec<(usize, u64)> = Vec::new();
    for r in &obj.relocations {
        let size = access_size(r.kind()) as u64;
        if size > 1 {
            if let Some(section) = r.symbol().and_then(|s| obj.symbols[s.index()].section_id()) {
                wanted.push((section.index(), size));
            }
        }
    }
    for (section, size) in wanted {
        let s = &mut obj.sections[section];
        s.align = s.align.max(size);
    }
}

/// Whether the symbol's distance from a field in `section` is fixed when the object is
/// written (objforge checks those against the field's reach).
fn pinned_offset(obj: &Object, id: SymbolId, section: usize) -> Option<u64> {
    let s = &obj.symbols[id.index()];
    let pinned = s.binding == Binding::Local
        || (s.binding == Binding::Global && s.visibility != Visibility::Default);
    match s.definition {
        SymbolDefinition::Defined {
            section: at,
            offset,
        } if at.index() == section && pinned => Some(offset),
        _ => None,
    }
}

/// Fills `section` with relocations, front to back.
fn relocations(
    obj: &mut Object,
    case: &Case,
    section: usize,
    kinds: &[RelocKind],
    defined: &[SymbolId],
    src: &mut Source<'_>,
) {
    let p = case.profile;
    let arch = case.arch;
    let len = obj.sections[section].data.len();
    // The relocated fields go into a copy of the bytes (instruction templates), written back
    // at the end.
    let mut bytes = obj.sections[section].data.to_vec();
    let mut touched = false;
    let allocated = obj.sections[section].kind.is_allocated();
    // Outside loaded memory a field has no address to be relative to: only absolute,
    // section-relative and (where the format has a real one) difference relocations.
    let kinds: Vec<RelocKind> = kinds
        .iter()
        .copied()
        .filter(|&k| {
            allocated
                || matches!(
                    k,
                    RelocKind::Abs8
                        | RelocKind::Abs16
                        | RelocKind::Abs32
                        | RelocKind::Abs64
                        | RelocKind::Secrel32
                )
                || (k.is_diff() && !(p.diff_minus_in_field_section)(arch))
        })
        .collect();
    if kinds.is_empty() {
        return;
    }
    // From loaded memory, only loaded memory (or another object) can be reached: COFF drops
    // debug sections, Mach-O does not link them.
    let from_debug = obj.sections[section].kind == SectionKind::Debug;
    let reachable = |s: &SymbolId| {
        obj.symbols[s.index()].section_id().is_none_or(|at| {
            let into = obj.sections[at.index()].kind;
            (into.is_allocated() || !allocated)
                && (into != SectionKind::Debug || (from_debug && p.debug_targets))
        })
    };
    let targets: Vec<SymbolId> = (0..obj.symbols.len())
        .map(SymbolId::from_index)
        .filter(|&s| obj.symbols[s.index()].kind != SymbolKind::File)
        .filter(reachable)
        .collect();
    // `secrel32` reaches further (a Mach-O one is a plain value), but not into a section the
    // linker drops (COFF debug sections) from one it keeps.
    let all_defined: Vec<SymbolId> = defined
        .iter()
        .copied()
        .filter(|s| {
            obj.symbols[s.index()]
                .section_id()
                .is_none_or(|at| obj.sections[at.index()].kind != SectionKind::Debug || from_debug)
        })
        .collect();
    let all_defined = &all_defined[..];
    let defined: Vec<SymbolId> = defined.iter().copied().filter(reachable).collect();
    let defined = &defined[..];
    if targets.is_empty() {
        return;
    }
    let mut hi20s: Vec<u64> = Vec::new();
    let mut at = 0u64;
    let mut end_of_last = 0u64;
    while at < len {
        at += src.below(6) as u64;
        let kind = src.pick(&kinds);
        let shape = kind.shape();
        let size = u64::from(shape.size());
        if let FieldShape::Instruction { align, .. } = shape {
            at = at.next_multiple_of(u64::from(align));
        }
        if at + size > len {
            break;
        }
        // A section offset (`secrel32`) reaches any section where the format has it.
        let pool = if kind == RelocKind::Secrel32 && !allocated {
            all_defined
        } else {
            defined
        };
        let Some(r) = relocation(obj, case, section, at, kind, &targets, pool, &hi20s, src) else {
            // Nothing this kind could refer to here: move on (the bytes may have run out, and
            // every later choice be the same).
            at += size;
            continue;
        };
        // The contract: a relocated data field is zero in the model (objforge stores what the
        // format needs there).
        if let FieldShape::Data(n) = kind.shape() {
            bytes[at as usize..at as usize + usize::from(n)].fill(0);
            touched = true;
        }
        if let Some(t) = template(kind) {
            if kind.shape().size() as usize == t.len() {
                bytes[at as usize..at as usize + t.len()].copy_from_slice(t);
                touched = true;
            }
        }
        if kind == RelocKind::X86GotPcrel32 && at >= end_of_last + 3 && src.bool() {
            // movq sym@GOTPCREL(%rip), %rax: the relaxable (and Mach-O TLV) form.
            bytes[at as usize - 3..at as usize].copy_from_slice(&[0x48, 0x8b, 0x05]);
            touched = true;
        }
        if matches!(
            kind,
            RelocKind::RvPcrelHi20
                | RelocKind::RvGotHi20
                | RelocKind::RvTlsGotHi20
                | RelocKind::RvTlsGdHi20
                | RelocKind::RvTlsdescHi20
        ) {
            hi20s.push(at);
        }
        obj.add_relocation(r);
        at += size;
        end_of_last = at;
    }
    if touched {
        obj.sections[section].data = SectionData::Bytes(bytes);
    }
}

/// One relocation of `kind` at `at` in `section` that keeps every rule, or `None` when the
/// model has nothing it could refer to.
#[allow(clippy::too_many_arguments)]
fn relocation(
    obj: &Object,
    case: &Case,
    section: usize,
    at: u64,
    kind: RelocKind,
    targets: &[SymbolId],
    defined: &[SymbolId],
    hi20s: &[u64],
    src: &mut Source<'_>,
) -> Option<Relocation> {
    use RelocKind::*;
    let p = case.profile;
    let format = case.format();
    let arch = case.arch;
    let sid = SectionId::from_index(section);
    if kind.is_pcrel_lo12() {
        let pair = *hi20s.get(src.below(hi20s.len().max(1)))?;
        return Some(Relocation::pcrel_lo12(sid, at, kind, pair));
    }
    let sym = |id: SymbolId| &obj.symbols[id.index()];
    let in_unallocated = |id: &SymbolId| {
        sym(*id)
            .section_id()
            .is_some_and(|s| !obj.sections[s.index()].kind.is_allocated())
    };
    // The target.
    let candidates: Vec<SymbolId> = match kind {
        Secrel32 if p.secrel_needs_unallocated => {
            defined.iter().copied().filter(in_unallocated).collect()
        }
        // A section offset needs a section: not an absolute or undefined symbol.
        Secrel32 | Secidx16 | A64SecrelHi12 | A64SecrelLo12 | A64SecrelLdstLo12 => defined.to_vec(),
        _ => targets.to_vec(),
    };
    let candidates: Vec<SymbolId> = candidates
        .into_iter()
        .filter(|&c| {
            let s = sym(c);
            let defined = s.section_id().is_some();
            match kind {
                // Mach-O: an image above 4 GiB, a dylib's globals bound at run time.
                Abs32 if p.abs32_local_only => defined && s.binding == Binding::Local,
                // ELF REL (i386) keeps a 1- or 2-byte field's addend in it, and `ld -r`
                // rewrites that addend for a local target as sections merge: only external
                // targets stay in reach.
                Abs8 | Abs16 | Pcrel8 | Pcrel16
                    if matches!(arch, Architecture::I386 | Architecture::Arm)
                        && format == Format::Elf =>
                {
                    !defined
                }
                // A difference written as PC-relative has an addend that points anywhere;
                // a mergeable section is cut into pieces at S + A.
                _ if kind.is_diff() => !s.section_id().is_some_and(|t| {
                    let t = &obj.sections[t.index()];
                    t.flags.merge || t.flags.merge_strings
                }),
                // The final address must be aligned to the access: only symbols whose
                // alignment is known (defined here, or resolved elsewhere).
                A64Ldst16Lo12 | A64Ldst32Lo12 | A64Ldst64Lo12 | A64Ldst128Lo12
                | A64SecrelLdstLo12 => defined,
                // ld.lld warns of an Arm branch to a section symbol (it cannot tell Arm from
                // Thumb code there: "interworking not performed").
                ArmCall | ArmJump24 | ArmThmCall | ArmThmJump24 | ArmThmJump19 => {
                    s.kind != SymbolKind::Section
                }
                // A thread-local access reaches a thread-local variable (or its TLS section).
                _ if kind.is_tls() => {
                    s.kind == SymbolKind::Tls
                        || (s.kind == SymbolKind::Section
                            && s.section_id().is_some_and(|t| {
                                matches!(
                                    obj.sections[t.index()].kind,
                                    SectionKind::TlsData | SectionKind::TlsBss
                                )
                            }))
                }
                _ => true,
            }
        })
        .collect();
    let mut target = *candidates.get(src.below(candidates.len().max(1)))?;
    let tls = sym(target).kind == SymbolKind::Tls;
    if format == Format::MachO && tls && kind == X86GotPcrel32 {
        // X86_64_RELOC_TLV needs the movq before the field, which the caller may not write.
        target = *targets.iter().find(|&&t| sym(t).kind != SymbolKind::Tls)?;
    }
    // The subtracted symbol of a difference.
    let minus = if kind.is_diff() {
        let same: Vec<SymbolId> = defined
            .iter()
            .copied()
            .filter(|&d| sym(d).section_id() == Some(sid))
            .collect();
        let pool = if (p.diff_minus_in_field_section)(arch) {
            same
        } else {
            defined.to_vec()
        };
        Some(*pool.get(src.below(pool.len().max(1)))?)
    } else {
        None
    };
    // The addend, within what the format and field hold.
    let mut addend: i64 = match src.u8() % 4 {
        0 => 0,
        1 => -4,
        2 => i64::from(src.u8() as i8),
        _ => i64::from(src.u16() as i16) / 16,
    };
    let a64_ldst = matches!(
        kind,
        A64Ldst8Lo12
            | A64Ldst16Lo12
            | A64Ldst32Lo12
            | A64Ldst64Lo12
            | A64Ldst128Lo12
            | A64SecrelLdstLo12
    );
    if a64_ldst || kind == A64GotLd64Lo12 {
        addend -= addend.rem_euclid(access_size(kind));
    }
    // A mergeable section is split into pieces: S + A must stay inside it.
    let target_merges = sym(target).section_id().is_some_and(|t| {
        let t = &obj.sections[t.index()];
        t.flags.merge || t.flags.merge_strings
    });
    if target_merges {
        addend = 0;
    }
    // An aligned access to a defined symbol: S + A aligned to the access size (its section
    // is aligned enough: see `align_ldst_targets`).
    if a64_ldst {
        if let SymbolDefinition::Defined { offset, .. } = sym(target).definition {
            // COFF keeps the addend scaled, so it and the offset must both be multiples.
            if offset as i64 % access_size(kind) != 0 {
                return None;
            }
        }
    }
    let zero_addend = match format {
        Format::MachO => matches!(kind, A64GotAdrp21 | A64GotLd64Lo12 | X86GotPcrel32),
        Format::Coff => matches!(kind, A64Call26 | A64Jump26 | A64Condbr19 | A64Tstbr14),
        _ => false,
    };
    if zero_addend {
        addend = if kind == X86GotPcrel32 { -4 } else { 0 };
    }
    // A GOT slot or descriptor of a thread-local is the symbol's own (linkers make one per
    // symbol): its access takes no addend beyond x86_64's RIP bias; the call and `add tp`
    // markers store nothing, so they have nowhere to keep one.
    match kind {
        X86Indntpoff | A64SecrelHi12 => addend = 0,
        X86Gottpoff | X86Tlsgd | X86Tlsld | X86GotpcTlsdesc => {
            addend = if arch == Architecture::X86_64 { -4 } else { 0 };
        }
        A64TlsieAdrp21 | A64TlsieLd64Lo12 | A64TlsgdAdrp21 | A64TlsgdAddLo12 | A64TlsdescAdrp21
        | A64TlsdescLd64Lo12 | A64TlsdescAddLo12 | A64TlsdescCall | X86TlsdescCall | RvTprelAdd
        | RvTlsGotHi20 | RvTlsGdHi20 | RvTlsdescHi20 | A64TlsldAdrp21 | A64TlsldAddLo12
        | S390TlsGd64 | S390TlsGdcall | S390TlsLdm64 | S390TlsLdcall | PpcGotTprel16Ha
        | PpcGotTprel16LoDs | PpcTls => addend = 0,
        // Halfwords from the instruction, 2 bytes before the field.
        S390TlsIeent => addend = 2,
        _ => {}
    }
    if kind == Secrel32 && format == Format::MachO {
        addend = addend.abs();
    }
    // Arm REL keeps the addend in the instruction: `bl`/`b` count words, Thumb-2 branches
    // halfwords.
    match kind {
        ArmCall | ArmJump24 => addend -= addend.rem_euclid(4),
        ArmThmCall | ArmThmJump24 | ArmThmJump19 => addend -= addend.rem_euclid(2),
        _ => {}
    }
    // i386 and Arm REL keep the addend in the field.
    if matches!(arch, Architecture::I386 | Architecture::Arm) && format == Format::Elf {
        let bits = 8 * u32::from(kind.shape().size());
        if bits < 64 {
            addend = addend.clamp(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
        }
    }
    // A field whose value is fixed now must hold it: adjust the addend, or give up.
    if let Some((min, max, step)) = reach(kind) {
        if let Some(s) = pinned_offset(obj, target, section) {
            let value = s as i64 + addend - at as i64;
            if value < min || value > max || value % step != 0 {
                if zero_addend {
                    return None;
                }
                // Point at the field itself, plus a small multiple of the step.
                addend = at as i64 - s as i64 + step * i64::from(src.u8() % 4);
            }
        }
    }
    if let (Some(m), Diff8 | Diff16 | Diff32) = (minus, kind) {
        if let (Some(ms), Some(ss)) = (
            sym(m)
                .section_id()
                .and_then(|s| pinned_offset(obj, m, s.index())),
            sym(target)
                .section_id()
                .and_then(|s| pinned_offset(obj, target, s.index())),
        ) {
            if sym(m).section_id() == sym(target).section_id() {
                let bits = 8 * u32::from(kind.shape().size());
                let value = ss as i64 + addend - ms as i64;
                if value < -(1 << (bits - 1)) || value >= 1 << bits {
                    addend = ms as i64 - ss as i64;
                }
            }
        }
    }
    // i386 and Arm REL keep the addend in the field, a difference's with the distance from M
    // to the field folded in: it must fit.
    if matches!(arch, Architecture::I386 | Architecture::Arm) && format == Format::Elf {
        let stored = match minus.map(|m| sym(m).definition) {
            Some(SymbolDefinition::Defined { offset, .. }) => addend + at as i64 - offset as i64,
            _ => addend,
        };
        let bits = 8 * u32::from(kind.shape().size());
        if bits < 64 && (stored < -(1 << (bits - 1)) || stored >= 1 << bits) {
            return None;
        }
    }
    // Arm REL: whatever the adjustments above made of it, a branch's addend must be what its
    // field counts in.
    let arm_step = match kind {
        ArmCall | ArmJump24 => 4,
        ArmThmCall | ArmThmJump24 | ArmThmJump19 => 2,
        _ => 1,
    };
    if addend % arm_step != 0 {
        return None;
    }
    Some(
        Relocation::new(sid, at, SymbolId(0), kind)
            .with_symbol(Some(target))
            .with_addend(addend)
            .with_minus(minus),
    )
}
