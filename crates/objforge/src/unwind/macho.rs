//! Mach-O (x86_64, arm64): the unwind entries as `__LD,__compact_unwind` and `__TEXT,__eh_frame`,
//! the two tables Apple's linkers turn into a linked image's `__unwind_info`.
//!
//! - `__LD,__compact_unwind`: one 32-byte entry per function, as LLVM writes them: the
//!   function's start (8 bytes, an `UNSIGNED` relocation against its section, `r_extern = 0`),
//!   its length (4), the compact encoding of [`super::compact`] (4), the personality routine
//!   (8, an `UNSIGNED` relocation against its symbol) and the LSDA (8, `UNSIGNED`). A function
//!   in DWARF mode has neither personality nor LSDA here: its FDE carries them. An x86_64
//!   function without rules has no entry (the linker describes it from its FDE, as it does
//!   clang's).
//! - `__TEXT,__eh_frame`: a CIE per personality routine and an FDE for every function, so the
//!   full rules stay in the object (the linker keeps only the FDEs of functions in DWARF mode).
//!   Pointers are `DW_EH_PE_pcrel|absptr`, 8 bytes, each a `SUBTRACTOR`/`UNSIGNED` pair (an
//!   FDE's start against the symbol at the function's start, which every function needs); the
//!   personality is reached through its GOT slot (`X86_64_RELOC_GOT`,
//!   `ARM64_RELOC_POINTER_TO_GOT`), as clang writes them.

use std::collections::HashMap;

use super::compact;
use super::eh_frame::{encode, FixupKind, FixupTarget, Frame, Pointer, Style};
use super::{ArchFacts, FunctionUnwind, Lsda};
use crate::arch::aarch64;
use crate::error::{Error, Place};
use crate::model::{
    Binding, Object, Relocation, Section, SectionData, SectionKind, SymbolDefinition, SymbolId,
    SymbolKind,
};
use crate::reloc::{NativeReloc, RelocKind};
use crate::target::Architecture;

/// The sections the lowering writes.
const WRITTEN: [&str; 2] = ["__LD,__compact_unwind", "__TEXT,__eh_frame"];

/// The object has none of the sections the lowering writes (by their Mach-O names, or
/// `.eh_frame`, the ELF-style name that becomes `__TEXT,__eh_frame`).
pub(crate) fn check_sections(obj: &Object) -> Result<(), Error> {
    let ours = |name: &str| {
        WRITTEN.contains(&name) || name == ".eh_frame" || name.starts_with(".eh_frame.")
    };
    match obj.sections.iter().position(|s| ours(&s.name)) {
        Some(k) => Err(Error::invalid(
            Place::Unwind(0, String::new()),
            format!(
                "the object already has {} (sections[{k}]); objforge writes the unwind entries as {}, so give one or the other",
                obj.sections[k].name,
                WRITTEN.join(" and ")
            ),
        )),
        None => Ok(()),
    }
}

/// The size of one `__compact_unwind` entry on a 64-bit target.
const ENTRY_SIZE: usize = 32;

/// What Mach-O cannot take from one entry, beyond the checks every format makes.
pub(crate) fn check_entry(
    obj: &Object,
    facts: &ArchFacts,
    i: usize,
    f: &FunctionUnwind,
) -> Result<(), Error> {
    let at = |path: &str| Place::Unwind(i, path.to_string());
    if obj.options.debug_frame {
        return Err(Error::unsupported(
            at(""),
            "options.debug_frame is ELF's: Mach-O keeps unwind rules in __compact_unwind and __eh_frame, and its debuggers read those",
        ));
    }
    if f.cfi.is_empty() && !f.seh.is_empty() {
        return Err(Error::unsupported(
            at("seh"),
            "Mach-O unwinds with DWARF call-frame rules (`cfi`); Windows unwind codes are for COFF",
        ));
    }
    if function_symbol(obj, f).is_none() {
        return Err(Error::unsupported(
            at("offset"),
            format!(
                "no symbol starts the function at {} in {}: Mach-O linkers attach unwind information to the symbol at a function's start (give it one)",
                f.offset, obj.sections[f.section.index()].name
            ),
        ));
    }
    if let Some(p) = f.personality {
        if obj.symbols[p.index()].kind == SymbolKind::Section {
            return Err(Error::invalid(
                at("personality"),
                "the personality routine must be a named symbol, not a section",
            ));
        }
    }
    super::check::check_rules(obj.target.arch, facts, i, f.size, &f.cfi)
}

/// `obj` (checked) with its unwind entries as `__compact_unwind` and `__eh_frame`.
pub(crate) fn lower(obj: &Object) -> Result<Object, Error> {
    let arch = obj.target.arch;
    let Some(mut facts) = ArchFacts::of(arch) else {
        return Err(Error::unsupported(
            Place::Unwind(0, String::new()),
            format!("{arch} has no Mach-O unwind tables"),
        ));
    };
    // LLVM's arm64 CIEs for Apple count code in bytes; the same factor makes the same FDEs.
    facts.code_align = 1;
    let mut out = obj.clone();
    out.unwind.clear();

    // `__compact_unwind`: (field offset, what it points at) for each relocated field.
    let mut entries: Vec<u8> = Vec::new();
    let mut fields: Vec<(usize, FixupTarget)> = Vec::new();
    for f in &obj.unwind {
        let code = match &obj.sections[f.section.index()].data {
            SectionData::Bytes(b) => b
                .get(f.offset as usize..(f.offset + f.size) as usize)
                .unwrap_or(&[]),
            SectionData::Zero(_) => &[],
        };
        // The name as written (the platform's `_` prefixed), which LLVM compares.
        let personality = f.personality.map(|p| {
            let name = &obj.symbols[p.index()].name;
            if obj.options.mangle {
                format!("_{name}")
            } else {
                name.to_string()
            }
        });
        let Some(encoding) = compact::encoding(arch, f, code, personality.as_deref()) else {
            continue;
        };
        let at = entries.len();
        entries.extend_from_slice(&[0; ENTRY_SIZE]);
        entries[at + 8..at + 12].copy_from_slice(&(f.size as u32).to_le_bytes());
        // The LSDA bit, as LLVM sets it; the linker adds the personality's index.
        let has_lsda = f.lsda.is_some() && !compact::is_dwarf(arch, encoding);
        let word = encoding
            | if has_lsda {
                compact::UNWIND_HAS_LSDA
            } else {
                0
            };
        entries[at + 12..at + 16].copy_from_slice(&word.to_le_bytes());
        fields.push((
            at,
            FixupTarget::Section {
                section: f.section,
                offset: f.offset,
            },
        ));
        if compact::is_dwarf(arch, encoding) {
            continue;
        }
        if let Some(p) = f.personality {
            fields.push((at + 16, FixupTarget::Symbol(p)));
        }
        if let Some(lsda) = f.lsda {
            fields.push((at + 24, lsda_target(lsda)));
        }
    }

    let frames: Vec<Frame<'_>> = obj
        .unwind
        .iter()
        .map(|f| Frame {
            start: Pointer::Fixup(match function_symbol(obj, f) {
                Some(s) => FixupTarget::Symbol(s),
                // Checked: every function has one.
                None => FixupTarget::Section {
                    section: f.section,
                    offset: f.offset,
                },
            }),
            size: f.size,
            cfi: &f.cfi,
            personality: f
                .personality
                .map(|p| Pointer::Fixup(FixupTarget::Symbol(p))),
            lsda: f.lsda.map(|l| Pointer::Fixup(lsda_target(l))),
            signal_frame: f.signal_frame,
            return_column: f.return_column.map_or(facts.return_column, |r| r.0),
        })
        .collect();
    let records = encode(arch, &facts, Style::MachO, false, &frames)?;

    let mut section_symbols: HashMap<crate::model::SectionId, SymbolId> = HashMap::new();
    let mut symbol_of = |out: &mut Object, target: FixupTarget| match target {
        FixupTarget::Symbol(s) => (s, 0i64),
        FixupTarget::Section { section, offset } => (
            super::lower::section_symbol(out, &mut section_symbols, section),
            offset as i64,
        ),
    };
    if !entries.is_empty() {
        let table = out.add_section(
            Section::new(WRITTEN[0], SectionKind::Data)
                .with_align(8)
                .with_bytes(entries),
        );
        for (at, target) in fields {
            let (symbol, addend) = symbol_of(&mut out, target);
            out.add_relocation(
                Relocation::new(table, at as u64, symbol, RelocKind::Abs64).with_addend(addend),
            );
        }
    }
    let eh_frame = out.add_section(
        Section::new(WRITTEN[1], SectionKind::Rodata)
            .with_align(8)
            .with_bytes(records.bytes),
    );
    for fixup in records.fixups {
        let (symbol, addend) = symbol_of(&mut out, fixup.target);
        let kind = match fixup.kind {
            FixupKind::GotPcrel32 => got_pcrel32(arch),
            // Everything else the Mach-O style writes is a pointer-sized PC-relative field.
            _ => RelocKind::Pcrel64,
        };
        out.add_relocation(
            Relocation::new(eh_frame, fixup.at as u64, symbol, kind).with_addend(addend),
        );
    }
    Ok(out)
}

/// A four-byte PC-relative pointer to the target's GOT slot, in data.
fn got_pcrel32(arch: Architecture) -> RelocKind {
    match arch {
        Architecture::Aarch64 => RelocKind::Native(NativeReloc {
            r_type: u32::from(aarch64::macho::POINTER_TO_GOT),
            pcrel: true,
            length: 2,
            size: 4,
        }),
        // `X86_64_RELOC_GOT`, since the bytes before the field are no `movq` load.
        _ => RelocKind::X86GotPcrel32,
    }
}

fn lsda_target(lsda: Lsda) -> FixupTarget {
    match lsda {
        Lsda::Symbol(s) => FixupTarget::Symbol(s),
        Lsda::Section { section, offset } => FixupTarget::Section { section, offset },
    }
}

/// The symbol at the start of `f`, which its FDE names as clang's do: an exported one if
/// there is one, else a local one. ld64.lld finds a function's FDE through that symbol (a
/// section-relative start would attach it to the first symbol of the section).
fn function_symbol(obj: &Object, f: &FunctionUnwind) -> Option<SymbolId> {
    let at_start = |s: &&crate::model::Symbol| {
        !s.name.is_empty()
            && matches!(
                s.kind,
                SymbolKind::Func | SymbolKind::Object | SymbolKind::None
            )
            && s.definition
                == SymbolDefinition::Defined {
                    section: f.section,
                    offset: f.offset,
                }
    };
    let candidates = || obj.symbols.iter().enumerate().filter(|(_, s)| at_start(s));
    candidates()
        .find(|(_, s)| s.binding != Binding::Local)
        .or_else(|| candidates().next())
        .map(|(k, _)| SymbolId::from_index(k))
}

#[cfg(test)]
mod tests {
    use crate::model::{Object, Section, SectionKind, Symbol};
    use crate::target::Target;
    use crate::unwind::{CfiOp, CfiRule, FunctionUnwind, Lsda, Register};

    /// Random entries on both Mach-O targets: writing gives bytes or an error, never a panic,
    /// and most of them write (seeded, so a failure repeats).
    #[test]
    fn random_entries_never_panic() {
        let mut next = crate::unwind::seeded(0x9e37_79b9_7f4a_7c15);
        let offsets = [
            0i64, 8, -8, 16, -16, -24, -32, -40, -48, 32, 4128, 65536, -4,
        ];
        let mut written = 0;
        for round in 0..2000 {
            let triple = ["x86_64-apple-macos11", "arm64-apple-macos11"][round % 2];
            let target = Target::from_triple(triple).unwrap();
            let arch = target.arch;
            let mut obj = Object::new(target);
            let mut code = vec![0x90; 64];
            code[6] = next(256) as u8;
            let text = obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(code));
            let table = obj.add_section(
                Section::new(".gcc_except_table", SectionKind::Rodata).with_bytes(vec![0; 8]),
            );
            let p = obj.add_symbol(Symbol::undefined(
                ["__gxx_personality_v0", "__gcc_personality_v0"][next(2) as usize],
            ));
            let names: &[&str] = if round % 2 == 0 {
                &[
                    "rbp", "rsp", "rbx", "r12", "r13", "r14", "r15", "rax", "xmm6",
                ]
            } else {
                &[
                    "x29", "x30", "sp", "x19", "x20", "x21", "x22", "d8", "d9", "x0",
                ]
            };
            let mut start = 0;
            for _ in 0..1 + next(3) {
                let size = 4 * (1 + next(4));
                let mut f = FunctionUnwind::new(text, start, size);
                if next(8) != 0 {
                    obj.add_symbol(Symbol::defined(format!("f{start}"), text, start));
                }
                start += size;
                if next(3) == 0 {
                    f.personality = Some(p);
                    f.lsda = Some(Lsda::Section {
                        section: table,
                        offset: 0,
                    });
                }
                f.signal_frame = next(10) == 0;
                for _ in 0..next(9) {
                    let reg = Register::from_name(arch, names[next(names.len() as u64) as usize])
                        .unwrap();
                    let offset = offsets[next(offsets.len() as u64) as usize];
                    let op = match next(5) {
                        0 => CfiOp::DefCfa { reg, offset },
                        1 => CfiOp::DefCfaRegister(reg),
                        2 => CfiOp::DefCfaOffset(offset),
                        3 => CfiOp::RememberState,
                        _ => CfiOp::Offset { reg, offset },
                    };
                    f.cfi.push(CfiRule { at: 4, op });
                }
                obj.add_unwind(f);
            }
            if obj.write().is_ok() {
                written += 1;
            }
        }
        assert!(written > 1000, "{written}");
    }
}
