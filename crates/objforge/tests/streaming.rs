//! `Object::write_to` streams what `Object::write` builds in memory, byte for byte: for every
//! format and architecture, an object holding every relocation kind the target supports
//! (with addends, which several formats store in the field), its relocations out of order,
//! one of its data sections given as zero fill — and the same object with its relocations in
//! order. A writer that fails mid-file surfaces as `Error::Io`. `Object::into_bytes`, which
//! frees the model's parts as it writes them, writes the same bytes too.

use objforge::*;

const TARGETS: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "i686-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "riscv64gc-unknown-linux-gnu",
    "armv7-unknown-linux-gnueabihf",
    "s390x-unknown-linux-gnu",
    "powerpc64le-unknown-linux-gnu",
    "x86_64-apple-macos",
    "arm64-apple-macos",
    "x86_64-pc-windows-msvc",
    "i686-pc-windows-msvc",
    "aarch64-pc-windows-msvc",
];

/// Bytes per relocated field's slot: room for any field, aligned for any instruction.
const SLOT: u64 = 16;

/// An object with code, data, zero-filled data and debug sections, symbols in each, and the
/// relocations `relocs` (kind, addend, in which section), each in a slot of its own, added
/// in the order given.
fn object(triple: &str, relocs: &[(RelocKind, i64, usize)]) -> Object {
    let mut obj = Object::new(Target::from_triple(triple).unwrap());
    let n = relocs.len() as u64 + 1;
    // A `movq` GOT load before each slot's field on x86 (REX.W 8b, RIP-relative ModRM).
    let mut code = Vec::new();
    for _ in 0..n {
        code.extend_from_slice(&[0x48, 0x8b, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
    let sections = [
        obj.add_section(
            Section::new(".text", SectionKind::Text)
                .with_align(16)
                .with_bytes(code),
        ),
        obj.add_section(
            Section::new(".data", SectionKind::Data)
                .with_align(8)
                .with_bytes(vec![0x11; (n * SLOT) as usize]),
        ),
        obj.add_section(
            Section::new(".data.zero", SectionKind::Data)
                .with_align(8)
                .with_zero_fill(n * SLOT),
        ),
        obj.add_section(
            Section::new(".debug_info", SectionKind::Debug)
                .with_bytes(vec![0; (n * SLOT) as usize]),
        ),
    ];
    let f = obj.add_symbol(
        Symbol::defined("f", sections[0], 0)
            .with_kind(SymbolKind::Func)
            .with_binding(Binding::Global),
    );
    let local = obj.add_symbol(Symbol::defined("local_label", sections[0], SLOT));
    let g = obj.add_symbol(Symbol::defined("g", sections[1], 0).with_binding(Binding::Global));
    let z = obj.add_symbol(Symbol::defined(
        "a_long_name_for_the_zero_data",
        sections[2],
        8,
    ));
    let d = obj.add_symbol(Symbol::defined("d", sections[3], 0));
    let ext = obj.add_symbol(Symbol::undefined("an_external_function_with_a_long_name"));
    obj.add_symbol(Symbol::undefined("weak_ext").with_binding(Binding::Weak));
    for (k, &(kind, addend, section)) in relocs.iter().enumerate() {
        let at = (k as u64 + 1) * SLOT;
        let field = at
            + match kind {
                RelocKind::X86GotPcrel32 | RelocKind::X86Branch32 => 3,
                _ => 0,
            };
        let target = match (kind, k % 4) {
            (RelocKind::Secrel32, _) => d,
            (_, 0) => ext,
            (_, 1) => g,
            (_, 2) => local,
            _ => z,
        };
        let mut r = Relocation::new(sections[section], field, target, kind).with_addend(addend);
        if kind.is_diff() {
            r.set_minus(Some(if section == 0 { f } else { g }));
        }
        obj.add_relocation(r);
    }
    obj
}

/// Every (kind, addend, section) the target writes on its own: with an addend if it can.
fn writable(triple: &str) -> Vec<(RelocKind, i64, usize)> {
    let mut found = Vec::new();
    for &kind in ALL_KINDS {
        if kind.is_pcrel_lo12() || !kind.needs_symbol() {
            continue;
        }
        let sections: &[usize] = match kind.shape() {
            FieldShape::Instruction { .. } => &[0],
            _ if kind == RelocKind::Secrel32 => &[3],
            _ if kind.is_diff() => &[0, 1],
            _ => &[1, 2, 0],
        };
        for &section in sections {
            for addend in [-4, 8, 0] {
                if object(triple, &[(kind, addend, section)]).write().is_ok() {
                    found.push((kind, addend, section));
                    break;
                }
            }
        }
    }
    found
}

/// `object(triple, relocs)` and its bytes, leaving out any relocation that does not write in
/// company (a narrow PC-relative field that no longer reaches its target, say).
fn written(triple: &str, relocs: &mut Vec<(RelocKind, i64, usize)>) -> (Object, Vec<u8>) {
    loop {
        let obj = object(triple, relocs);
        match obj.write() {
            Ok(bytes) => return (obj, bytes),
            Err(e) => match e.place() {
                Some(&Place::Relocation(i, _)) if i < relocs.len() => {
                    relocs.remove(i);
                }
                _ => panic!("{triple}: {e}"),
            },
        }
    }
}

fn streamed(obj: &Object) -> Vec<u8> {
    let mut out = Vec::new();
    obj.write_to(&mut out).unwrap();
    out
}

/// The bytes of the consuming write, which frees the model's parts as it goes.
fn consumed(obj: &Object) -> Vec<u8> {
    let b = obj.clone().into_bytes().unwrap();
    let a = obj.write().unwrap();
    if let Some(d) = a.iter().zip(&b).position(|(x, y)| x != y) {
        std::fs::write(format!("/tmp/dbg/a-{:?}", obj.target.arch), &a).unwrap();
        std::fs::write(format!("/tmp/dbg/b-{:?}", obj.target.arch), &b).unwrap();
        eprintln!(
            "{:?} len {} first diff {d}: {:?} vs {:?}",
            obj.target.arch,
            a.len(),
            &a[d.saturating_sub(4)..(d + 12).min(a.len())],
            &b[d.saturating_sub(4)..(d + 12).min(b.len())]
        );
    }
    b
}

#[test]
fn write_to_streams_what_write_builds() {
    for triple in TARGETS {
        let mut relocs = writable(triple);
        let (in_order, bytes) = written(triple, &mut relocs);
        assert!(relocs.len() > 3, "{triple}: only {relocs:?}");
        assert_eq!(streamed(&in_order), bytes, "{triple}, in order");
        assert_eq!(consumed(&in_order), bytes, "{triple}, in order, into_bytes");
        // Backwards, and the sections interleaved: grouped and sorted by the writers.
        let mut shuffled = relocs.clone();
        shuffled.reverse();
        shuffled.rotate_left(relocs.len() / 3);
        let (out_of_order, bytes) = written(triple, &mut shuffled);
        assert!(shuffled.len() > 3, "{triple}: only {shuffled:?}");
        assert_eq!(streamed(&out_of_order), bytes, "{triple}, out of order");
        assert_eq!(
            consumed(&out_of_order),
            bytes,
            "{triple}, out of order, into_bytes"
        );
    }
}

#[test]
fn large_sections_stream_in_chunks() {
    // Sections far past the streaming chunk, with fields in them.
    for triple in TARGETS {
        let mut obj = object(triple, &[]);
        let big = obj.add_section(
            Section::new(".data.big", SectionKind::Data)
                .with_align(8)
                .with_bytes((0..300_000u32).map(|i| i as u8).collect::<Vec<u8>>()),
        );
        let g = obj.add_symbol(Symbol::defined("big", big, 8).with_binding(Binding::Global));
        for i in 0..5_000u64 {
            let kind = if i % 2 == 0 {
                RelocKind::Abs32
            } else {
                RelocKind::Pcrel32
            };
            obj.add_relocation(Relocation::new(big, 60 * i, g, kind).with_addend(i as i64));
        }
        let bytes = obj.write().unwrap_or_else(|e| panic!("{triple}: {e}"));
        assert_eq!(streamed(&obj), bytes, "{triple}");
        assert_eq!(consumed(&obj), bytes, "{triple}, into_bytes");
    }
}

/// A writer that accepts `room` bytes, then fails.
struct Full {
    room: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_writer_is_an_io_error() {
    // Failing in the header, in the section contents (which Mach-O streams while it sorts its
    // names), and in the tables after them.
    for triple in TARGETS {
        let (obj, bytes) = written(triple, &mut writable(triple));
        let size = bytes.len();
        for room in [0, 100, size / 2, size - 1] {
            match obj.write_to(Full { room }) {
                Err(Error::Io(e)) => assert_eq!(e.to_string(), "disk full", "{triple}"),
                other => panic!("{triple}, {room} bytes of room: {other:?}"),
            }
        }
    }
    let obj = object("x86_64-unknown-linux-gnu", &[(RelocKind::Abs64, 0, 1)]);
    // A model error comes first, before any byte.
    let mut bad = obj.clone();
    bad.relocations[0].set_offset(1 << 40);
    let mut out = Vec::new();
    let e = bad.write_to(&mut out).unwrap_err();
    assert_eq!(
        e.place(),
        Some(&Place::Relocation(0, Some("offset"))),
        "{e}"
    );
    assert!(out.is_empty());
}

/// Relocations whose entries or stored values depend on the bytes of their section: the
/// consuming write must keep those bytes until the relocations are written.
#[test]
fn into_bytes_keeps_the_bytes_relocations_read() {
    // (triple, instruction bytes, field offset in them, kind)
    let cases: &[(&str, &[u8], u64, RelocKind)] = &[
        // mov rax, [rip+g@GOTPCREL]: the REX.W mov makes it R_X86_64_REX_GOTPCRELX.
        (
            "x86_64-unknown-linux-gnu",
            &[0x48, 0x8b, 0x05, 0, 0, 0, 0],
            3,
            RelocKind::X86GotPcrel32,
        ),
        (
            "x86_64-apple-macos",
            &[0x48, 0x8b, 0x05, 0, 0, 0, 0],
            3,
            RelocKind::X86GotPcrel32,
        ),
        // bl g (REL): the addend goes into the instruction's own 24 bits, beside its opcode.
        (
            "armv7-unknown-linux-gnueabihf",
            &[0xfe, 0xff, 0xff, 0xeb],
            0,
            RelocKind::ArmCall,
        ),
        // ldr x0, [x0, :lo12:g]: ARM64 COFF checks the access size in the instruction.
        (
            "aarch64-pc-windows-msvc",
            &[0x00, 0x00, 0x40, 0xf9],
            0,
            RelocKind::A64Ldst64Lo12,
        ),
    ];
    for &(triple, insn, field, kind) in cases {
        let mut obj = Object::new(Target::from_triple(triple).unwrap());
        let text = obj.add_section(Section::new(".text", SectionKind::Text).with_align(4));
        let g = obj.add_symbol(Symbol::undefined("g"));
        // Many copies, so that the section is the largest and its vector is worth reusing.
        for _ in 0..1000 {
            let at = obj.append_section_data(text, insn, 4);
            let addend = if kind == RelocKind::ArmCall { -8 } else { 0 };
            let r = Relocation::new(text, at + field, g, kind).with_addend(addend);
            obj.add_relocation(r);
        }
        let written = obj.write().unwrap_or_else(|e| panic!("{triple}: {e}"));
        assert_eq!(consumed(&obj), written, "{triple}");
    }
}
