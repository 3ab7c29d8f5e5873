//! Turns an object's unwind entries into its own sections, symbols and relocations, before the
//! container writer runs. ELF (COFF x86_64 is at the end: `.pdata` and `.xdata`):
//!
//! - `.eh_frame` (`SHT_PROGBITS`, `SHF_ALLOC`, aligned to the pointer size, as GNU as writes
//!   it): the records of [`super::eh_frame`], in entry order, each CIE before its first FDE.
//!   No zero terminator: the linker's `crtend.o` ends the linked table.
//! - Each PC-relative field is a `pcrel32` relocation (`R_X86_64_PC32`, `R_386_PC32`,
//!   `R_AARCH64_PREL32`, `R_RISCV_32_PCREL`): against the code section's symbol plus the
//!   function's offset for an FDE's start, as assemblers write it.
//! - A personality routine `P` is reached as GCC does, through `DW.ref.P`: a hidden weak
//!   pointer-sized data word in its own COMDAT group (`.data.rel.local.DW.ref.P`) holding
//!   `P`'s address, so that code in a shared library or a PIE needs no text relocation. An
//!   object that already has a symbol `DW.ref.P` (one `objforge dump` kept) uses it.
//! - With [`Options::debug_frame`](crate::Options::debug_frame): `.debug_frame` instead, for
//!   debuggers only (no personality routine, LSDA or signal frame there): addresses are
//!   `abs64`/`abs32` relocations, CIE pointers `secrel32` offsets into the section.

use std::collections::HashMap;

use super::eh_frame::{encode, FixupKind, FixupTarget, Frame, Pointer, Style};
use super::{ArchFacts, Lsda};
use crate::error::{Error, Place};
use crate::model::{
    Binding, Object, Relocation, Section, SectionId, SectionKind, Symbol, SymbolId, SymbolKind,
    Visibility,
};
use crate::reloc::RelocKind;
use crate::target::Endianness;

/// `obj` (checked, with unwind entries) with its entries lowered: a copy with no `unwind` and
/// the sections, symbols and relocations that say the same.
pub(crate) fn lower(obj: &Object) -> Result<Object, Error> {
    match obj.target.format {
        crate::target::Format::Coff => lower_coff(obj),
        crate::target::Format::MachO => super::macho::lower(obj),
        _ => lower_elf(obj),
    }
}

/// The symbol of `section` in `out`: the first section symbol the object has for it, or a new
/// one.
pub(super) fn section_symbol(
    out: &mut Object,
    cache: &mut HashMap<SectionId, SymbolId>,
    section: SectionId,
) -> SymbolId {
    if cache.is_empty() {
        for (i, s) in out.symbols.iter().enumerate() {
            if let (SymbolKind::Section, Some(section)) = (s.kind, s.section_id()) {
                cache.entry(section).or_insert(SymbolId::from_index(i));
            }
        }
    }
    if let Some(&s) = cache.get(&section) {
        return s;
    }
    let s = out.add_symbol(Symbol::section(section));
    cache.insert(section, s);
    s
}

/// One `.xdata` and `.pdata` pair being built.
struct Tables {
    /// The code section, for the tables of a function in a COMDAT; `None` for the shared ones.
    key: Option<SectionId>,
    xdata: Vec<u8>,
    pdata: Vec<u8>,
    /// `.pdata` fields pointing into code: (field offset, section, offset).
    code_fields: Vec<(u64, SectionId, u64)>,
    /// `.pdata` fields pointing into `.xdata`: (field offset, offset).
    info_fields: Vec<(u64, u64)>,
    /// `.xdata` fields holding a handler's RVA: (field offset, personality routine).
    handler_fields: Vec<(u64, SymbolId)>,
    /// Relocations of handler data copied into `.xdata`: (the original, its new offset).
    data_relocations: Vec<(usize, u64)>,
}

/// COFF: `.xdata` holds each function's unwind information (from its `seh` codes, or derived
/// from its `cfi` rules when it has none; x86_64: `UNWIND_INFO`; arm64: a record of
/// [`super::xdata_arm64`], or nothing when the function's description is packed into
/// `.pdata`), then, with a personality routine, the routine's RVA and the handler data;
/// `.pdata` its `RUNTIME_FUNCTION` (x86_64: three `imagerel32` fields, start, end, unwind
/// information; arm64: start and the packed word or the record's RVA). A function in a
/// COMDAT section gets its own `.xdata` and `.pdata`, associative to that section, so that the
/// linker keeps them exactly when it keeps the function.
///
/// The handler data is the LSDA itself, as GCC's `__gxx_personality_seh0` reads it: the bytes
/// from the LSDA to the next LSDA in its section (or the section's end) are copied into
/// `.xdata`, with their relocations, where `.seh_handlerdata` would have put them.
fn lower_coff(obj: &Object) -> Result<Object, Error> {
    let arm64 = obj.target.arch == crate::target::Architecture::Aarch64;
    let mut out = obj.clone();
    out.unwind.clear();
    let mut symbols: HashMap<SectionId, SymbolId> = HashMap::new();
    let mut tables: Vec<Tables> = Vec::new();
    for (i, f) in obj.unwind.iter().enumerate() {
        let handler = f.personality.is_some();
        let derived;
        let seh = if f.seh.is_empty() {
            derived = if arm64 {
                super::xdata_arm64::from_cfi(i, f.size, &f.cfi)?
            } else {
                super::xdata::from_cfi(i, &f.cfi)?
            };
            &derived
        } else {
            &f.seh
        };
        let info = if arm64 {
            super::xdata_arm64::unwind_info(i, f.size, seh, handler)?
        } else {
            super::WindowsUnwind::Record(super::xdata::unwind_info(i, f.size, seh, handler)?)
        };
        let key = obj.sections[f.section.index()]
            .comdat
            .as_ref()
            .map(|_| f.section);
        let slot = match tables.iter().position(|t| t.key == key) {
            Some(k) => k,
            None => {
                tables.push(Tables {
                    key,
                    xdata: Vec::new(),
                    pdata: Vec::new(),
                    code_fields: Vec::new(),
                    info_fields: Vec::new(),
                    handler_fields: Vec::new(),
                    data_relocations: Vec::new(),
                });
                tables.len() - 1
            }
        };
        let t = &mut tables[slot];
        let entry = t.pdata.len() as u64;
        t.code_fields.push((entry, f.section, f.offset));
        let info = match info {
            super::WindowsUnwind::Packed(word) => {
                t.pdata.extend_from_slice(&0u32.to_le_bytes());
                t.pdata.extend_from_slice(&word.to_le_bytes());
                continue;
            }
            super::WindowsUnwind::Record(info) => info,
        };
        let info_at = t.xdata.len() as u64;
        t.xdata.extend_from_slice(&info);
        if let Some(p) = f.personality {
            t.handler_fields.push((t.xdata.len() as u64, p));
            t.xdata.extend_from_slice(&[0; 4]);
        }
        if let Some(lsda) = f.lsda {
            let (bytes, relocations) = handler_data(obj, i, lsda)?;
            let base = t.xdata.len() as u64;
            t.xdata.extend_from_slice(&bytes);
            t.data_relocations
                .extend(relocations.into_iter().map(|(r, at)| (r, base + at)));
            // The next record starts on a 4-byte boundary, as Windows reads it.
            t.xdata.resize(t.xdata.len().next_multiple_of(4), 0);
        }
        if arm64 {
            t.pdata.extend_from_slice(&[0; 8]);
            t.info_fields.push((entry + 4, info_at));
        } else {
            t.pdata.extend_from_slice(&[0; 12]);
            t.code_fields
                .push((entry + 4, f.section, f.offset + f.size));
            t.info_fields.push((entry + 8, info_at));
        }
    }
    for Tables {
        key,
        xdata,
        pdata,
        code_fields,
        info_fields,
        handler_fields,
        data_relocations,
    } in tables
    {
        let group = key.map(|code| {
            let group = obj.sections[code.index()]
                .comdat
                .clone()
                .unwrap_or_default();
            (group, code)
        });
        let table = |name: &str, bytes: Vec<u8>| {
            let mut s = Section::new(name, SectionKind::Rodata)
                .with_align(4)
                .with_bytes(bytes);
            if let Some((group, code)) = &group {
                s = s
                    .with_comdat(group.clone())
                    .with_comdat_selection(crate::model::ComdatSelection::Associative(*code));
            }
            s
        };
        let x = out.add_section(table(".xdata", xdata));
        let p = out.add_section(table(".pdata", pdata));
        for (at, section, offset) in code_fields {
            let s = section_symbol(&mut out, &mut symbols, section);
            out.add_relocation(
                Relocation::new(p, at, s, RelocKind::Imagerel32).with_addend(offset as i64),
            );
        }
        let xs = section_symbol(&mut out, &mut symbols, x);
        for (at, offset) in info_fields {
            out.add_relocation(
                Relocation::new(p, at, xs, RelocKind::Imagerel32).with_addend(offset as i64),
            );
        }
        for (at, personality) in handler_fields {
            out.add_relocation(Relocation::new(x, at, personality, RelocKind::Imagerel32));
        }
        for (r, at) in data_relocations {
            let mut copy = obj.relocations[r];
            copy.set_section(x);
            copy.set_offset(at);
            out.add_relocation(copy);
        }
    }
    Ok(out)
}

/// Handler data: its bytes, and its relocations (index in the object, offset in the data).
type HandlerData = (Vec<u8>, Vec<(usize, u64)>);

/// The handler data of function `i`: the bytes of its LSDA, from `lsda` to the next LSDA in
/// the same section (or the section's end), and the relocations in them.
fn handler_data(obj: &Object, i: usize, lsda: Lsda) -> Result<HandlerData, Error> {
    let start = |l: Lsda| match l {
        Lsda::Section { section, offset } => Some((section, offset)),
        Lsda::Symbol(s) => match obj.symbols.get(s.index())?.definition {
            crate::model::SymbolDefinition::Defined { section, offset } => Some((section, offset)),
            _ => None,
        },
    };
    let Some((section, from)) = start(lsda) else {
        return Err(Error::invalid(
            Place::Unwind(i, "lsda".into()),
            "on COFF the LSDA is copied into .xdata as the handler data, so it must be defined in a section of this object",
        ));
    };
    let data = match &obj.sections[section.index()].data {
        crate::model::SectionData::Bytes(b) => b.as_slice(),
        crate::model::SectionData::Zero(_) => &[],
    };
    let to = obj
        .unwind
        .iter()
        .filter_map(|f| f.lsda.and_then(start))
        .filter(|&(s, at)| s == section && at > from)
        .map(|(_, at)| at)
        .min()
        .unwrap_or(data.len() as u64);
    let bytes = data
        .get(from as usize..to as usize)
        .unwrap_or_default()
        .to_vec();
    let relocations = obj
        .relocations
        .iter()
        .enumerate()
        .filter(|(_, r)| r.section() == section && (from..to).contains(&r.offset()))
        .map(|(k, r)| (k, r.offset() - from))
        .collect();
    Ok((bytes, relocations))
}

/// ELF: `.eh_frame`.
fn lower_elf(obj: &Object) -> Result<Object, Error> {
    let arch = obj.target.arch;
    let Some(facts) = ArchFacts::of(arch) else {
        return Err(Error::unsupported(
            Place::Unwind(0, String::new()),
            format!("{arch} has no unwind tables"),
        ));
    };
    let mut out = obj.clone();
    out.unwind.clear();
    let pointer_size = u64::from(arch.pointer_width());
    let address_kind = if pointer_size == 8 {
        RelocKind::Abs64
    } else {
        RelocKind::Abs32
    };

    // The `DW.ref` word of each personality routine.
    let mut dw_refs: HashMap<SymbolId, SymbolId> = HashMap::new();
    for f in &obj.unwind {
        let Some(p) = f.personality else { continue };
        if dw_refs.contains_key(&p) {
            continue;
        }
        let name = format!("DW.ref.{}", obj.symbols[p.index()].name);
        let word = match out.symbols.iter().position(|s| s.name == name) {
            Some(existing) => SymbolId::from_index(existing),
            None => {
                let section = out.add_section(
                    Section::new(format!(".data.rel.local.{name}"), SectionKind::Data)
                        .with_align(pointer_size)
                        .with_bytes(vec![0; pointer_size as usize])
                        .with_comdat(name.clone()),
                );
                let word = out.add_symbol(
                    Symbol::defined(name, section, 0)
                        .with_kind(SymbolKind::Object)
                        .with_binding(Binding::Weak)
                        .with_visibility(Visibility::Hidden)
                        .with_size(pointer_size),
                );
                out.add_relocation(Relocation::new(section, 0, p, address_kind));
                word
            }
        };
        dw_refs.insert(p, word);
    }

    let frames: Vec<Frame<'_>> = obj
        .unwind
        .iter()
        .map(|f| Frame {
            start: Pointer::Fixup(FixupTarget::Section {
                section: f.section,
                offset: f.offset,
            }),
            size: f.size,
            cfi: &f.cfi,
            personality: f
                .personality
                .map(|p| Pointer::Fixup(FixupTarget::Symbol(dw_refs[&p]))),
            lsda: f.lsda.map(|l| {
                Pointer::Fixup(match l {
                    Lsda::Symbol(s) => FixupTarget::Symbol(s),
                    Lsda::Section { section, offset } => FixupTarget::Section { section, offset },
                })
            }),
            signal_frame: f.signal_frame,
            return_column: f.return_column.map_or(facts.return_column, |r| r.0),
        })
        .collect();
    // `.debug_frame` goes where the next section will be.
    let own = SectionId::from_index(out.sections.len());
    let debug = obj.options.debug_frame;
    let style = if debug {
        Style::Debug { own }
    } else {
        Style::Pcrel
    };
    let records = encode(
        arch,
        &facts,
        style,
        obj.target.endianness == Endianness::Big,
        &frames,
    )?;

    let eh_frame = out.add_section(if debug {
        Section::new(".debug_frame", SectionKind::Debug)
            .with_align(pointer_size)
            .with_bytes(records.bytes)
    } else {
        Section::new(".eh_frame", SectionKind::Rodata)
            .with_align(pointer_size)
            .with_bytes(records.bytes)
    });
    debug_assert_eq!(eh_frame, own);
    let mut section_symbols: HashMap<SectionId, SymbolId> = HashMap::new();
    for (i, s) in out.symbols.iter().enumerate() {
        if let (SymbolKind::Section, Some(section)) = (s.kind, s.section_id()) {
            section_symbols
                .entry(section)
                .or_insert(SymbolId::from_index(i));
        }
    }
    for fixup in records.fixups {
        let (symbol, addend) = match fixup.target {
            FixupTarget::Symbol(s) => (s, 0),
            FixupTarget::Section { section, offset } => {
                let symbol = *section_symbols
                    .entry(section)
                    .or_insert_with(|| out.add_symbol(Symbol::section(section)));
                (symbol, offset as i64)
            }
        };
        let kind = match fixup.kind {
            FixupKind::Pcrel32 => RelocKind::Pcrel32,
            // Mach-O's kinds; ELF's styles do not write them.
            FixupKind::Pcrel64 => RelocKind::Pcrel64,
            FixupKind::GotPcrel32 => RelocKind::Pcrel32,
            FixupKind::Address => address_kind,
            FixupKind::SectionOffset => RelocKind::Secrel32,
        };
        out.add_relocation(
            Relocation::new(eh_frame, fixup.at as u64, symbol, kind).with_addend(addend),
        );
    }
    Ok(out)
}
