//! The library builder driven by arbitrary bytes: any model the public API can express,
//! valid or not, for the fuzzer and its seeded twin. [`run`] writes it and asserts what must
//! hold for every input: `write` returns (no panic), an error names a place, and bytes that
//! come back parse with the `object` crate's reader.

use objforge::dwarf::{DebugInfo, DwarfVersion, FileId, Function, LexicalBlock, LineRow};
use objforge::*;

use crate::source::Source;

/// Every architecture objforge knows (the writable formats decide which pairs write).
pub const ARCHITECTURES: &[Architecture] = crate::targets::ARCHITECTURES;

/// Every format, writable or not (an unwritable one must be a clean error too).
pub const FORMATS: &[Format] = &[Format::Elf, Format::MachO, Format::Coff, Format::Wasm];

const SECTION_NAMES: &[&str] = &[
    ".text",
    ".text.hot",
    ".data",
    ".rodata",
    ".rodata.str1.1",
    ".rodata.cst8",
    ".bss",
    ".tdata",
    ".tbss",
    ".debug_info",
    ".debug_str_offsets",
    ".debug_gnu_pubnames",
    ".init_array",
    ".note.GNU-stack",
    ".drectve",
    ".tls$",
    ".pdata",
    "__TEXT,__text",
    "__DATA,__thread_vars",
    "__TEXT,__a_very_long_section_name",
    "__TEXT,",
    ",__text",
    "a,b,c",
    "",
    "x",
];

const SYMBOL_NAMES: &[&str] = &[
    "f",
    "g",
    "main",
    "",
    "@feat.00",
    "?cpp@@YAXXZ",
    "@fast@8",
    ".text",
    "_tlv_bootstrap",
    "a\0b",
];

/// Reads a name: one of `names`, sometimes with a suffix, sometimes raw bytes or very long.
fn name(src: &mut Source<'_>, names: &[&str]) -> String {
    match src.u8() % 16 {
        0 => {
            let len = usize::from(src.u8() % 24);
            String::from_utf8_lossy(&src.bytes(len)).into_owned()
        }
        1 => "n".repeat(usize::from(src.u8()) * 64),
        2 => format!("{}.{}", src.pick(names), src.u16()),
        _ => src.pick(names).to_string(),
    }
}

/// A number that is usually small and sometimes at an edge.
fn number(src: &mut Source<'_>) -> u64 {
    match src.u8() % 8 {
        0 => src.u64(),
        1 => u64::MAX - u64::from(src.u8()),
        2 => 1 << (src.u8() % 64),
        3 => u64::from(src.u32()),
        _ => u64::from(src.u8()),
    }
}

fn signed(src: &mut Source<'_>) -> i64 {
    match src.u8() % 8 {
        0 => src.u64() as i64,
        1 => i64::MIN + i64::from(src.u8()),
        2 => i64::MAX - i64::from(src.u8()),
        3 => -(1 << (src.u8() % 63)),
        4 => -4 - i64::from(src.u8() % 8),
        _ => i64::from(src.u8() as i8),
    }
}

fn section_kind(src: &mut Source<'_>) -> SectionKind {
    src.pick(&[
        SectionKind::Text,
        SectionKind::Data,
        SectionKind::Rodata,
        SectionKind::Bss,
        SectionKind::TlsData,
        SectionKind::TlsBss,
        SectionKind::Debug,
        SectionKind::Other,
    ])
}

fn section(src: &mut Source<'_>, count: usize) -> Section {
    let kind = section_kind(src);
    let mut s = Section::new(name(src, SECTION_NAMES), kind);
    s.align = match src.u8() % 4 {
        0 => number(src),
        _ => 1 << (src.u8() % 17),
    };
    s.data = match src.u8() % 8 {
        // Zero fill of any size: no bytes are allocated for it by the model, and the writers
        // must not try to allocate what cannot be (a huge `Zero` in a section with file space
        // is an error, not an abort).
        0 => SectionData::Zero(number(src)),
        1 => SectionData::Zero(u64::from(src.u8())),
        _ => {
            let len = usize::from(src.u8() % 96);
            SectionData::Bytes(src.bytes(len))
        }
    };
    s.flags = SectionFlags {
        merge_strings: src.one_in(4),
        merge: src.one_in(4),
        exclude: src.one_in(6),
        retain: src.one_in(6),
    };
    if src.one_in(4) {
        s.entsize = number(src);
    }
    if src.one_in(3) {
        s.comdat = Some(name(src, &["g", "h", "f", ""]));
        s.comdat_selection = match src.u8() % 8 {
            0 => ComdatSelection::NoDuplicates,
            1 => ComdatSelection::SameSize,
            2 => ComdatSelection::ExactMatch,
            3 => ComdatSelection::Largest,
            4 => ComdatSelection::Associative(SectionId::from_index(src.below(count + 2))),
            _ => ComdatSelection::Any,
        };
    }
    s
}

fn symbol(src: &mut Source<'_>, sections: usize) -> Symbol {
    let definition = match src.u8() % 6 {
        0 => SymbolDefinition::Undefined,
        1 => SymbolDefinition::Common {
            size: number(src),
            align: if src.bool() {
                number(src) as u32
            } else {
                1 << (src.u8() % 20)
            },
        },
        2 => SymbolDefinition::Absolute,
        _ => SymbolDefinition::Defined {
            section: SectionId::from_index(src.below(sections + 1)),
            offset: if src.one_in(4) {
                number(src)
            } else {
                u64::from(src.u8() % 32)
            },
        },
    };
    Symbol {
        name: name(src, SYMBOL_NAMES).into(),
        definition,
        kind: src.pick(&[
            SymbolKind::None,
            SymbolKind::Func,
            SymbolKind::Object,
            SymbolKind::Tls,
            SymbolKind::Section,
            SymbolKind::File,
        ]),
        binding: src.pick(&[
            Binding::Local,
            Binding::Global,
            Binding::Weak,
            Binding::GnuUnique,
        ]),
        visibility: src.pick(&[
            Visibility::Default,
            Visibility::Hidden,
            Visibility::Protected,
            Visibility::Internal,
        ]),
        size: number(src),
    }
}

fn relocation(src: &mut Source<'_>, sections: usize, symbols: usize) -> Relocation {
    let kind = if src.one_in(8) {
        RelocKind::Native(NativeReloc {
            r_type: if src.bool() {
                src.u32()
            } else {
                u32::from(src.u8())
            },
            pcrel: src.bool(),
            length: src.u8(),
            size: src.u8() % 12,
        })
    } else {
        src.pick(ALL_KINDS)
    };
    let section = SectionId::from_index(src.below(sections + 1));
    let offset = if src.one_in(6) {
        number(src)
    } else {
        u64::from(src.u8() % 80)
    };
    let symbol = (!src.one_in(10)).then(|| SymbolId::from_index(src.below(symbols + 1)));
    let addend = signed(src);
    let pair = src.one_in(4).then(|| u64::from(src.u8() % 80));
    let minus = src
        .one_in(4)
        .then(|| SymbolId::from_index(src.below(symbols + 1)));
    // One field holds a pair or a minus: the minus wins when both were drawn.
    Relocation::new(section, offset, SymbolId(0), kind)
        .with_symbol(symbol)
        .with_addend(addend)
        .with_pair(pair)
        .with_minus(minus)
}

fn block(src: &mut Source<'_>, depth: u8) -> LexicalBlock {
    let mut b = LexicalBlock::new(number(src) % 128, number(src) % 128);
    if depth < 3 && src.one_in(3) {
        b.blocks.push(block(src, depth + 1));
    }
    b
}

fn debug_info(src: &mut Source<'_>, sections: usize) -> DebugInfo {
    let mut d = DebugInfo::new(name(src, &["a.c", ""]), name(src, &["/src", ""]));
    d.version = if src.bool() {
        DwarfVersion::V5
    } else {
        DwarfVersion::V4
    };
    if src.bool() {
        d.producer = "fuzz".into();
    }
    d.language = src.bool().then(|| src.u16());
    for _ in 0..src.u8() % 4 {
        d.files.push(name(src, &["a.c", "b.h", "/abs/c.c", ""]));
    }
    for _ in 0..src.u8() % 12 {
        let section = SectionId::from_index(src.below(sections + 1));
        let offset = number(src) % 256;
        let row = if src.one_in(5) {
            LineRow::end_sequence(section, offset)
        } else {
            LineRow::new(
                section,
                offset,
                FileId(src.below(d.files.len() + 2)),
                src.u32() % 64,
            )
            .with_column(u32::from(src.u8()))
            .with_is_stmt(src.bool())
        };
        d.lines.push(row);
    }
    for _ in 0..src.u8() % 4 {
        let mut f = Function::new(
            name(src, &["main", "f", ""]),
            SectionId::from_index(src.below(sections + 1)),
            number(src) % 128,
            number(src) % 128,
        )
        .with_declaration(FileId(src.below(d.files.len() + 2)), u32::from(src.u8()))
        .with_external(src.bool());
        if src.bool() {
            f = f.with_linkage_name(name(src, &["_Z1fv", ""]));
        }
        if src.one_in(3) {
            f.blocks.push(block(src, 0));
        }
        d.functions.push(f);
    }
    d
}

/// The writable pairs, found once.
fn writable() -> &'static [crate::targets::Case] {
    static CASES: std::sync::OnceLock<Vec<crate::targets::Case>> = std::sync::OnceLock::new();
    CASES.get_or_init(crate::targets::writable)
}

/// How a fuzz input builds its model.
pub enum Built {
    /// A valid model (the generator's), which must write and read back.
    Valid(Object, crate::targets::Case),
    /// Anything else: a valid model broken in a few ways, or one from raw choices.
    Any(Object),
}

/// The model the bytes describe: the first byte picks a raw model (anything the public API
/// can express) or a valid one from [`crate::valid`], which a few more choices may break.
pub fn build(bytes: &[u8]) -> Built {
    let Some((&mode, rest)) = bytes.split_first() else {
        return Built::Any(model(bytes));
    };
    if mode % 4 == 0 {
        return Built::Any(model(rest));
    }
    let cases = writable();
    let mut src = Source::new(rest);
    let case = cases[src.below(cases.len())];
    let mut obj = crate::valid::model(&case, "f_", &mut src);
    let breaks = mode % 4 - 1;
    if breaks == 0 {
        return Built::Valid(obj, case);
    }
    for _ in 0..breaks {
        let _ = crate::invalid::break_model(&mut obj, &case, &mut src);
    }
    Built::Any(obj)
}

/// The object the bytes describe from raw choices; its debug information, if any, already
/// added (a rejected debug description leaves the object as it was, as the library
/// promises).
pub fn model(bytes: &[u8]) -> Object {
    let mut src = Source::new(bytes);
    let arch = src.pick(ARCHITECTURES);
    let format = src.pick(FORMATS);
    let mut obj = Object::new(Target::new(arch, format));
    if arch == Architecture::Riscv64 {
        obj.target.riscv_compressed = src.bool();
        obj.target.float_abi = src.pick(&[FloatAbi::Soft, FloatAbi::Single, FloatAbi::Double]);
    }
    if arch == Architecture::Arm {
        // Single is refused on Arm: the fuzzer sees that error too.
        obj.target.float_abi = src.pick(&[FloatAbi::Double, FloatAbi::Soft, FloatAbi::Single]);
    }
    obj.options.mangle = !src.one_in(4);
    obj.options.noexec_stack = !src.one_in(4);
    obj.options.bigobj = src.one_in(4);
    for _ in 0..src.u8() % 3 {
        obj.options
            .directives
            .push(name(&mut src, &["/DEFAULTLIB:msvcrt", "", "a\0b"]));
    }
    if src.one_in(3) {
        let os = src.pick(AppleOs::ALL);
        obj.options.platform = Some(Platform {
            os,
            min: Version::new(src.u16(), src.u8(), src.u8()),
            sdk: Version::new(src.u16(), src.u8(), src.u8()),
        });
    }
    let nsections = usize::from(src.u8() % 8);
    for _ in 0..nsections {
        obj.add_section(section(&mut src, nsections));
    }
    let nsymbols = usize::from(src.u8() % 12);
    for _ in 0..nsymbols {
        obj.add_symbol(symbol(&mut src, nsections));
    }
    let nrelocs = usize::from(src.u8() % 16);
    for _ in 0..nrelocs {
        obj.add_relocation(relocation(&mut src, nsections, nsymbols));
    }
    if src.one_in(3) {
        let debug = debug_info(&mut src, nsections);
        let before = (obj.sections.len(), obj.symbols.len(), obj.relocations.len());
        if obj.add_debug_info(&debug).is_err() {
            let after = (obj.sections.len(), obj.symbols.len(), obj.relocations.len());
            assert_eq!(
                before, after,
                "a rejected debug description changed the object"
            );
        }
    }
    // Local entries (PowerPC64 ELFv2), valid or not, on any target: last, so that the
    // choices above read the bytes as before.
    for _ in 0..src.u8() % 3 {
        let symbol = SymbolId::from_index(usize::from(src.u8()) % (obj.symbols.len() + 2));
        obj.set_local_entry(symbol, src.pick(&[0, 1, 3, 4, 8, 64, 128]));
    }
    obj
}

/// Bytes of section contents writing `obj` puts in the file (saturated): zero-fill sections
/// take none, except in COFF (thread-local zeros are a template in the file) and Wasm (a
/// `bss` segment is written as zeros in an object).
fn file_bytes(obj: &Object) -> u64 {
    let format = obj.target.format;
    obj.sections
        .iter()
        .filter(|s| match s.kind {
            SectionKind::Bss => format == Format::Wasm,
            SectionKind::TlsBss => matches!(format, Format::Wasm | Format::Coff),
            _ => true,
        })
        .map(|s| s.data.len())
        .fold(0u64, u64::saturating_add)
}

/// Objects with more contents than this are not written by [`run`]: a writer may rightly try
/// to allocate them, and the fuzzer's memory is not what is under test.
const BIG: u64 = 1 << 24;

/// Objects with more contents than this cannot exist on any machine: writing them must be an
/// error (not a panic on overflowing arithmetic, nor an abort on allocation).
const IMPOSSIBLE: u64 = 1 << 56;

/// One fuzz case: build the model the bytes describe, write it, and check what must hold.
pub fn run(bytes: &[u8]) {
    let obj = match build(bytes) {
        Built::Valid(obj, case) => {
            let written = obj.write();
            let out = match written {
                Ok(out) => out,
                Err(e) => panic!("{}: a valid model was refused: {e}", case.label()),
            };
            if let Err(e) = crate::check::compare(&case, &obj, &out) {
                panic!(
                    "{}: the object does not read back as its model: {e}",
                    case.label()
                );
            }
            let mut streamed = Vec::new();
            if obj.write_to(&mut streamed).is_err() || streamed != out {
                panic!("{}: write_to differs from write", case.label());
            }
            if obj.into_bytes().ok() != Some(out) {
                panic!("{}: into_bytes differs from write", case.label());
            }
            return;
        }
        Built::Any(obj) => obj,
    };
    let size = file_bytes(&obj);
    if size > BIG && size <= IMPOSSIBLE {
        return;
    }
    let written = obj.write();
    // Streaming finds the same errors before the first byte, and writes the same bytes.
    let mut streamed = Vec::new();
    let streaming = obj.write_to(&mut streamed);
    match (&written, &streaming) {
        (Ok(out), Ok(())) => assert!(*out == streamed, "write_to differs from write"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "write_to fails differently"),
        (a, b) => panic!("write gives {:?}, write_to {:?}", a.as_ref().map(|_| ()), b),
    }
    // And the consuming write, the same bytes or the same error.
    match (&written, &obj.clone().into_bytes()) {
        (Ok(out), Ok(consumed)) => assert!(out == consumed, "into_bytes differs from write"),
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "into_bytes fails differently")
        }
        (a, b) => panic!(
            "write gives {:?}, into_bytes {:?}",
            a.as_ref().map(|_| ()),
            b.as_ref().map(|_| ())
        ),
    }
    match written {
        Ok(out) => {
            if let Err(e) = object::File::parse(&*out) {
                panic!(
                    "objforge wrote a {} {} object that the object crate cannot read: {e}",
                    obj.target.format, obj.target.arch
                );
            }
        }
        Err(e) => {
            let text = e.to_string();
            assert!(e.place().is_some(), "an error without a place: {text}");
            assert!(!text.is_empty());
        }
    }
}
