//! Reads a written object back with the `object` crate and compares it with its model: the
//! same sections (name, size, contents outside the relocated fields), the same symbols (name
//! with the platform prefix, where they are, binding), and for every relocation entries of
//! the documented native type that reach the same target plus addend — with the addend
//! wherever the format keeps it (RELA, the field for REL, COFF and Mach-O, an
//! `ARM64_RELOC_ADDEND`) and the documented translations (a `diff*` as PC-relative or a
//! `SUBTRACTOR` pair, a Mach-O `pcrel*` as a pair from the field's subsection, a Mach-O
//! `secrel32` as the offset itself, a local target as its section).
//!
//! The native types expected are written out here from `docs/relocations.md`, not taken from
//! the library, so a wrong table entry in either place shows.

use std::collections::HashMap;

use object::read::{
    Object as _, ObjectSection as _, ObjectSymbol as _, RelocationFlags, RelocationTarget,
};
use objforge::{
    Architecture, Binding, Format, Object, RelocKind, SectionData, SymbolDefinition, SymbolKind,
};

use crate::targets::Case;

mod arm;
mod wasm;

/// What a relocation's field resolves to: a symbol of another object, or a place in this one
/// (a model section and an offset in it), plus a constant.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Base {
    /// An undefined or common symbol (or a COFF weak external), by its model name.
    Symbol(String),
    /// Model section `i`.
    Section(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Loc {
    base: Base,
    offset: i128,
}

impl Loc {
    fn plus(&self, n: i128) -> Loc {
        Loc {
            base: self.base.clone(),
            offset: self.offset + n,
        }
    }
}

/// The native types a portable kind may become (several where objforge picks by the bytes or
/// the addend), from `docs/relocations.md`. For a pair, the first entry's types.
fn expected_types(format: Format, arch: Architecture, kind: RelocKind) -> &'static [u32] {
    use Architecture::*;
    use RelocKind::*;
    match (format, arch) {
        (Format::Elf, X86_64) => match kind {
            Abs8 => &[14],
            Abs16 => &[12],
            Abs32 | Secrel32 => &[10],
            Abs32S => &[11],
            Abs64 => &[1],
            Pcrel8 | Diff8 => &[15],
            Pcrel16 | Diff16 => &[13],
            Pcrel32 | Diff32 => &[2],
            Pcrel64 | Diff64 => &[24],
            X86Branch32 => &[4],
            X86GotPcrel32 => &[9, 41, 42],
            X86Dtpoff64 => &[17],
            X86Tlsgd => &[19],
            X86Tlsld => &[20],
            X86Dtpoff32 => &[21],
            X86Gottpoff => &[22],
            X86Tpoff32 => &[23],
            X86GotpcTlsdesc => &[34],
            X86TlsdescCall => &[35],
            _ => &[],
        },
        (Format::Elf, I386) => match kind {
            Abs8 => &[22],
            Abs16 => &[20],
            Abs32 | Secrel32 => &[1],
            Pcrel8 | Diff8 => &[23],
            Pcrel16 | Diff16 => &[21],
            Pcrel32 | Diff32 => &[2],
            X86Branch32 => &[4],
            X86Gottpoff => &[16],
            X86Indntpoff => &[15],
            X86Tpoff32 => &[17],
            X86Tlsgd => &[18],
            X86Tlsld => &[19],
            X86Dtpoff32 => &[32],
            X86GotpcTlsdesc => &[39],
            X86TlsdescCall => &[40],
            _ => &[],
        },
        (Format::Elf, Aarch64) => match kind {
            Abs16 => &[259],
            Abs32 | Secrel32 => &[258],
            Abs64 => &[257],
            Pcrel16 | Diff16 => &[262],
            Pcrel32 | Diff32 => &[261],
            Pcrel64 | Diff64 => &[260],
            A64Call26 => &[283],
            A64Jump26 => &[282],
            A64Condbr19 => &[280],
            A64Tstbr14 => &[279],
            A64LdrLit19 => &[273],
            A64Adr21 => &[274],
            A64Adrp21 => &[275],
            A64AddLo12 => &[277],
            A64Ldst8Lo12 => &[278],
            A64Ldst16Lo12 => &[284],
            A64Ldst32Lo12 => &[285],
            A64Ldst64Lo12 => &[286],
            A64Ldst128Lo12 => &[299],
            A64GotAdrp21 => &[311],
            A64GotLd64Lo12 => &[312],
            A64TlsgdAdrp21 => &[513],
            A64TlsgdAddLo12 => &[514],
            A64TlsldAdrp21 => &[518],
            A64TlsldAddLo12 => &[519],
            A64TlsldDtprelHi12 => &[528],
            A64TlsldDtprelLo12 => &[530],
            A64TlsieAdrp21 => &[541],
            A64TlsieLd64Lo12 => &[542],
            A64TlsleHi12 => &[549],
            A64TlsleLo12 => &[551],
            A64TlsdescAdrp21 => &[562],
            A64TlsdescLd64Lo12 => &[563],
            A64TlsdescAddLo12 => &[564],
            A64TlsdescCall => &[569],
            _ => &[],
        },
        (Format::Elf, Riscv64) => match kind {
            Abs8 => &[54],
            Abs16 => &[55],
            Abs32 | Secrel32 => &[1],
            Abs64 => &[2],
            Pcrel32 => &[57],
            RvCall => &[19],
            RvPcrelHi20 => &[23],
            RvGotHi20 => &[20],
            RvTlsGotHi20 => &[21],
            RvTlsGdHi20 => &[22],
            RvTprelHi20 => &[29],
            RvTprelLo12I => &[30],
            RvTprelLo12S => &[31],
            RvTprelAdd => &[32],
            RvPcrelLo12I => &[24],
            RvPcrelLo12S => &[25],
            RvTlsdescHi20 => &[62],
            RvTlsdescLoadLo12 => &[63],
            RvTlsdescAddLo12 => &[64],
            RvTlsdescCall => &[65],
            RvHi20 => &[26],
            RvLo12I => &[27],
            RvLo12S => &[28],
            RvBranch => &[16],
            RvJal => &[17],
            RvRvcBranch => &[44],
            RvRvcJump => &[45],
            Diff8 => &[33],
            Diff16 => &[34],
            Diff32 => &[35],
            Diff64 => &[36],
            _ => &[],
        },
        // IBM Z: no difference type, `diff*` as PC-relative.
        (Format::Elf, S390x) => match kind {
            Abs8 => &[1],
            Abs16 => &[3],
            Abs32 | Secrel32 => &[4],
            Abs64 => &[22],
            Pcrel16 | Diff16 => &[16],
            Pcrel32 | Diff32 => &[5],
            Pcrel64 | Diff64 => &[23],
            S390Pc16Dbl => &[17],
            S390Plt16Dbl => &[18],
            S390Pc32Dbl => &[19],
            S390Plt32Dbl => &[20],
            S390GotPcDbl => &[21],
            S390GotEnt => &[26],
            S390TlsGdcall => &[38],
            S390TlsLdcall => &[39],
            S390TlsGd64 => &[41],
            S390TlsLdm64 => &[46],
            S390TlsIeent => &[49],
            S390TlsLe64 => &[51],
            S390TlsLdo64 => &[53],
            _ => &[],
        },
        (Format::Elf, Ppc64le) => match kind {
            Abs16 => &[3],
            Abs32 | Secrel32 => &[1],
            Abs64 => &[38],
            Pcrel32 | Diff32 => &[26],
            Pcrel64 | Diff64 => &[44],
            PpcRel24 => &[10],
            PpcRel14 => &[11],
            PpcAddr16Ha => &[6],
            PpcAddr16Hi => &[5],
            PpcAddr16Lo => &[4],
            PpcAddr16LoDs => &[57],
            PpcToc16Ha => &[50],
            PpcToc16Lo => &[48],
            PpcToc16LoDs => &[64],
            PpcRel16Ha => &[252],
            PpcRel16Lo => &[250],
            PpcGot16Ha => &[17],
            PpcGot16LoDs => &[59],
            PpcTprel16Ha => &[72],
            PpcTprel16Lo => &[70],
            PpcGotTprel16Ha => &[90],
            PpcGotTprel16LoDs => &[88],
            PpcTls => &[67],
            _ => &[],
        },
        (Format::Elf, Arm) => match kind {
            Abs8 => &[8],
            Abs16 => &[5],
            Abs32 | Secrel32 => &[2],
            Pcrel32 | Diff32 => &[3],
            ArmThmCall => &[10],
            ArmGotoff32 => &[24],
            ArmBasePrel => &[25],
            ArmGotBrel => &[26],
            ArmGotPrel => &[96],
            ArmCall => &[28],
            ArmJump24 => &[29],
            ArmThmJump24 => &[30],
            ArmTarget1 => &[38],
            ArmTarget2 => &[41],
            ArmPrel31 => &[42],
            ArmMovwAbsNc => &[43],
            ArmMovtAbs => &[44],
            ArmMovwPrelNc => &[45],
            ArmMovtPrel => &[46],
            ArmThmMovwAbsNc => &[47],
            ArmThmMovtAbs => &[48],
            ArmThmMovwPrelNc => &[49],
            ArmThmMovtPrel => &[50],
            ArmThmJump19 => &[51],
            _ => &[],
        },
        (Format::MachO, X86_64) => match kind {
            Abs32 | Abs64 => &[0],
            Pcrel32 => &[1, 6, 7, 8],
            Pcrel64 | Diff32 | Diff64 => &[5],
            X86Branch32 => &[2],
            X86GotPcrel32 => &[3, 4, 9],
            _ => &[],
        },
        (Format::MachO, Aarch64) => match kind {
            Abs32 | Abs64 => &[0],
            Pcrel32 | Pcrel64 | Diff32 | Diff64 => &[1],
            A64Call26 | A64Jump26 => &[2],
            A64Adrp21 => &[3],
            A64AddLo12 | A64Ldst8Lo12 | A64Ldst16Lo12 | A64Ldst32Lo12 | A64Ldst64Lo12
            | A64Ldst128Lo12 => &[4],
            A64GotAdrp21 => &[5, 8],
            A64GotLd64Lo12 => &[6, 9],
            _ => &[],
        },
        (Format::Coff, X86_64) => match kind {
            Abs32 | Abs32S => &[2],
            Abs64 => &[1],
            Imagerel32 => &[3],
            Secrel32 => &[0xb],
            Secidx16 => &[0xa],
            Pcrel32 | X86Branch32 | Diff32 => &[4, 5, 6, 7, 8, 9],
            _ => &[],
        },
        (Format::Coff, I386) => match kind {
            Abs32 => &[6],
            Imagerel32 => &[7],
            Secrel32 => &[0xb],
            Secidx16 => &[0xa],
            Pcrel32 | X86Branch32 | Diff32 => &[0x14],
            _ => &[],
        },
        (Format::Coff, Aarch64) => match kind {
            Abs32 => &[1],
            Abs64 => &[0xe],
            Imagerel32 => &[2],
            Pcrel32 | Diff32 => &[0x11],
            Secrel32 => &[8],
            Secidx16 => &[0xd],
            A64Call26 | A64Jump26 => &[3],
            A64Condbr19 => &[0xf],
            A64Tstbr14 => &[0x10],
            A64Adr21 => &[5],
            A64Adrp21 => &[4],
            A64AddLo12 => &[6],
            A64Ldst8Lo12 | A64Ldst16Lo12 | A64Ldst32Lo12 | A64Ldst64Lo12 | A64Ldst128Lo12 => &[7],
            A64SecrelLo12 => &[9],
            A64SecrelHi12 => &[0xa],
            A64SecrelLdstLo12 => &[0xb],
            _ => &[],
        },
        _ => &[],
    }
}

/// One relocation entry as read.
#[derive(Clone, Debug)]
struct Entry {
    r_type: u32,
    pcrel: bool,
    length: u8,
    target: RelocationTarget,
    /// The explicit addend (RELA, or an `ARM64_RELOC_ADDEND`), if there is one.
    explicit: Option<i64>,
}

fn sign_extend(value: u64, bits: u32) -> i128 {
    if bits >= 64 {
        return i128::from(value as i64);
    }
    let shift = 64 - bits;
    i128::from(((value << shift) as i64) >> shift)
}

fn read_le(bytes: &[u8], at: usize, size: usize) -> Option<u64> {
    let field = bytes.get(at..at + size)?;
    let mut v = 0u64;
    for (i, b) in field.iter().enumerate() {
        v |= u64::from(*b) << (8 * i);
    }
    Some(v)
}

/// Compares `bytes`, the written `obj`, with the model; the first difference as an error.
pub fn compare(case: &Case, obj: &Object, bytes: &[u8]) -> Result<(), String> {
    if case.format() == Format::Wasm {
        return wasm::compare(case, obj, bytes);
    }
    let file =
        object::File::parse(bytes).map_err(|e| format!("the object crate cannot read it: {e}"))?;
    let format = case.format();
    let arch = case.arch;
    let want_format = match format {
        Format::Elf => object::BinaryFormat::Elf,
        Format::MachO => object::BinaryFormat::MachO,
        Format::Coff => object::BinaryFormat::Coff,
        Format::Wasm => object::BinaryFormat::Wasm,
        other => return Err(format!("no reader for {other:?}")),
    };
    if file.format() != want_format {
        return Err(format!("read as {:?}, not {want_format:?}", file.format()));
    }
    let prefix = if obj.options.mangle {
        (case.profile.prefix)(arch)
    } else {
        ""
    };
    let mangled = |name: &str| -> String {
        if name.is_empty() || (format == Format::Coff && name.starts_with(['?', '@'])) {
            name.to_string()
        } else {
            format!("{prefix}{name}")
        }
    };
    let demangle = |name: &str| -> String {
        if format == Format::Coff && name.starts_with(['?', '@']) {
            return name.to_string();
        }
        name.strip_prefix(prefix).unwrap_or(name).to_string()
    };

    // --- Sections: model section -> read section.
    let mut read_of_model = Vec::new();
    let mut model_of_read: HashMap<usize, usize> = HashMap::new();
    for (i, s) in obj.sections.iter().enumerate() {
        let found = file.sections().find(|r| {
            let name = r.name().unwrap_or("");
            match format {
                Format::MachO => {
                    let seg = r.segment_name().ok().flatten().unwrap_or("");
                    format!("{seg},{name}") == s.name
                }
                _ => name == s.name,
            }
        });
        let Some(read) = found else {
            return Err(format!("sections[{i}] ({}) is not in the file", s.name));
        };
        if read.size() != s.data.len() {
            return Err(format!(
                "sections[{i}] ({}) is {} bytes, not {}",
                s.name,
                read.size(),
                s.data.len()
            ));
        }
        model_of_read.insert(read.index().0, i);
        read_of_model.push(read);
    }
    let section_address = |i: usize| read_of_model[i].address();

    // Where a model symbol's value is.
    let model_loc = |id: usize| -> Loc {
        let s = &obj.symbols[id];
        let weak_external = format == Format::Coff && s.binding == Binding::Weak;
        match s.definition {
            SymbolDefinition::Defined { section, offset } if !weak_external => {
                let offset = i128::from(offset);
                match format {
                    Format::MachO => Loc {
                        base: Base::Section(usize::MAX),
                        offset: i128::from(section_address(section.index())) + offset,
                    },
                    _ => Loc {
                        base: Base::Section(section.index()),
                        offset,
                    },
                }
            }
            _ => Loc {
                base: Base::Symbol(s.name.to_string()),
                offset: 0,
            },
        }
    };
    // Where a read symbol's value is.
    let read_loc = |index: object::SymbolIndex| -> Result<Loc, String> {
        let sym = file
            .symbol_by_index(index)
            .map_err(|e| format!("a relocation names symbol {}: {e}", index.0))?;
        let name = sym.name().unwrap_or("");
        let weak_external = format == Format::Coff && sym.is_weak();
        if weak_external || sym.is_undefined() || sym.is_common() {
            return Ok(Loc {
                base: Base::Symbol(demangle(name)),
                offset: 0,
            });
        }
        let Some(section) = sym.section_index() else {
            return Err(format!("relocation target `{name}` has no section"));
        };
        let Some(&model) = model_of_read.get(&section.0) else {
            return Err(format!(
                "relocation target `{name}` is in a section objforge added"
            ));
        };
        Ok(match format {
            Format::MachO => Loc {
                base: Base::Section(usize::MAX),
                offset: i128::from(sym.address()),
            },
            _ => Loc {
                base: Base::Section(model),
                offset: i128::from(sym.address() - section_address(model)),
            },
        })
    };

    // --- Symbols.
    for (i, s) in obj.symbols.iter().enumerate() {
        if s.kind == SymbolKind::Section || (s.kind == SymbolKind::File && format == Format::MachO)
        {
            continue;
        }
        let name = if s.kind == SymbolKind::File {
            s.name.to_string()
        } else {
            mangled(&s.name)
        };
        let candidates: Vec<_> = file
            .symbols()
            .filter(|r| r.name() == Ok(name.as_str()))
            .collect();
        if candidates.is_empty() {
            return Err(format!("symbols[{i}] `{name}` is not in the symbol table"));
        }
        let ok = candidates.iter().any(|r| {
            let binding_ok = match s.binding {
                Binding::Local => r.is_local(),
                Binding::Global | Binding::GnuUnique => {
                    r.is_global() && (format == Format::MachO || !r.is_weak())
                }
                Binding::Weak => {
                    r.is_weak()
                        || (format == Format::MachO
                            && s.definition == SymbolDefinition::Undefined
                            && r.is_global())
                }
                _ => false,
            };
            let place_ok = match s.definition {
                SymbolDefinition::Defined { .. }
                    if s.binding == Binding::Weak && format == Format::Coff =>
                {
                    true
                }
                SymbolDefinition::Defined { .. } => Ok(model_loc(i)) == read_loc(r.index()),
                SymbolDefinition::Undefined => {
                    r.is_undefined() || (format == Format::Coff && r.is_weak())
                }
                SymbolDefinition::Common { size, .. } => match format {
                    Format::MachO => r.is_undefined() && r.address() == size,
                    Format::Elf => r.is_common() && r.size() == size,
                    _ => r.is_common(),
                },
                SymbolDefinition::Absolute => s.kind == SymbolKind::File,
                _ => false,
            };
            // ppc64le: the local entry in st_other bits 5..7 (0 elsewhere).
            let local_entry_ok = match r.flags() {
                object::SymbolFlags::Elf { st_other, .. } => {
                    st_other >> 5
                        == local_entry_code(obj.local_entry(objforge::SymbolId::from_index(i)))
                }
                _ => true,
            };
            binding_ok && place_ok && local_entry_ok
        });
        if !ok {
            return Err(format!(
                "symbols[{i}] `{name}` ({:?}, {:?}) is not written as such: {:?}",
                s.binding,
                s.definition,
                candidates
                    .iter()
                    .map(|r| (
                        r.is_local(),
                        r.is_global(),
                        r.is_weak(),
                        r.is_undefined(),
                        r.section_index(),
                        r.address()
                    ))
                    .collect::<Vec<_>>()
            ));
        }
    }

    // --- Relocations, per section, and the bytes around them.
    for (i, s) in obj.sections.iter().enumerate() {
        let read = &read_of_model[i];
        let data = read.data().map_err(|e| format!("sections[{i}]: {e}"))?;
        let mut entries: Vec<(u64, Entry)> = Vec::new();
        for (offset, r) in read.relocations() {
            let (r_type, pcrel, length) = match r.flags() {
                RelocationFlags::Elf { r_type } => (r_type, false, 0),
                RelocationFlags::MachO {
                    r_type,
                    r_pcrel,
                    r_length,
                } => (u32::from(r_type), r_pcrel, r_length),
                RelocationFlags::Coff { typ } => (u32::from(typ), false, 0),
                other => return Err(format!("unexpected relocation flags {other:?}")),
            };
            entries.push((
                offset,
                Entry {
                    r_type,
                    pcrel,
                    length,
                    target: r.target(),
                    explicit: (!r.has_implicit_addend()).then_some(r.addend()),
                },
            ));
        }
        let mut by_offset: HashMap<u64, Vec<Entry>> = HashMap::new();
        for (offset, e) in entries {
            by_offset.entry(offset).or_default().push(e);
        }
        let mut fields: Vec<(u64, u64)> = Vec::new();
        let mut expected_count = 0usize;
        for (k, r) in obj
            .relocations
            .iter()
            .enumerate()
            .filter(|(_, r)| r.section().index() == i)
        {
            let size = u64::from(r.kind().shape().size());
            fields.push((r.offset(), r.offset() + size));
            let here = by_offset.get(&r.offset()).map(Vec::as_slice).unwrap_or(&[]);
            let n = check_relocation(
                case,
                obj,
                k,
                here,
                data,
                &model_loc,
                &read_loc,
                &section_address,
            )
            .map_err(|e| {
                format!(
                    "relocations[{k}] ({} at {} of {}): {e}",
                    r.kind(),
                    r.offset(),
                    s.name
                )
            })?;
            expected_count += n;
        }
        let total: usize = by_offset.values().map(Vec::len).sum();
        if total != expected_count {
            return Err(format!(
                "{} has {total} relocation entries, expected {expected_count}",
                s.name
            ));
        }
        // Contents: the model's bytes, but for the relocated fields.
        if let SectionData::Bytes(model) = &s.data {
            if !s.kind.is_zero_fill() {
                for (at, (a, b)) in model.iter().zip(data.iter()).enumerate() {
                    let at = at as u64;
                    if a != b && !fields.iter().any(|&(f, e)| (f..e).contains(&at)) {
                        return Err(format!(
                            "{} differs at byte {at}: {a:#x} written as {b:#x}",
                            s.name
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks relocation `k` against the entries read at its offset; returns how many entries it
/// accounts for.
#[allow(clippy::too_many_arguments)]
fn check_relocation(
    case: &Case,
    obj: &Object,
    k: usize,
    here: &[Entry],
    data: &[u8],
    model_loc: &dyn Fn(usize) -> Loc,
    read_loc: &dyn Fn(object::SymbolIndex) -> Result<Loc, String>,
    section_address: &dyn Fn(usize) -> u64,
) -> Result<usize, String> {
    use RelocKind::*;
    let format = case.format();
    let arch = case.arch;
    let r = &obj.relocations[k];
    let kind = r.kind();
    let p = r.offset();
    let a = i128::from(r.addend());
    let at = p as usize;
    let field =
        |size: usize| read_le(data, at, size).ok_or("the field is outside the section".to_string());
    let types = expected_types(format, arch, kind);
    let entry_loc = |e: &Entry| -> Result<Loc, String> {
        match e.target {
            RelocationTarget::Symbol(index) => read_loc(index),
            // Mach-O section-relative: the field holds the address (checked by the caller).
            RelocationTarget::Section(_) => Ok(Loc {
                base: Base::Section(usize::MAX),
                offset: 0,
            }),
            other => Err(format!("unexpected target {other:?}")),
        }
    };
    let symbol = r.symbol().map(|s| s.index());
    let want = |extra: i128| -> Result<Loc, String> {
        let s = symbol.ok_or("no symbol")?;
        Ok(model_loc(s).plus(a + extra))
    };
    let one = |here: &[Entry]| -> Result<Entry, String> {
        match here {
            [e] => Ok(e.clone()),
            _ => Err(format!(
                "expected one entry, found {}: {here:?}",
                here.len()
            )),
        }
    };
    let check_type = |e: &Entry, types: &[u32]| -> Result<(), String> {
        if types.contains(&e.r_type) {
            Ok(())
        } else {
            Err(format!("type {} is not one of {types:?}", e.r_type))
        }
    };
    // A non-local target must be named (a global may be preempted; its section may not).
    let check_named = |e: &Entry| -> Result<(), String> {
        let Some(s) = symbol else { return Ok(()) };
        let sym = &obj.symbols[s];
        if sym.binding == Binding::Local || sym.kind == SymbolKind::Section {
            return Ok(());
        }
        match e.target {
            RelocationTarget::Symbol(_) => Ok(()),
            _ => Err(format!(
                "`{}` is not local, but the entry does not name it",
                sym.name
            )),
        }
    };
    let same = |got: Loc, want: Loc| -> Result<(), String> {
        if got == want {
            Ok(())
        } else {
            Err(format!("reaches {got:?}, expected {want:?}"))
        }
    };

    match format {
        Format::Elf => {
            if kind.is_pcrel_lo12() {
                let e = one(here)?;
                check_type(&e, types)?;
                let label = entry_loc(&e)?;
                same(
                    label,
                    Loc {
                        base: Base::Section(r.section().index()),
                        offset: i128::from(r.pair().unwrap_or(0)),
                    },
                )?;
                return Ok(1);
            }
            if arch == Architecture::Riscv64 && kind.is_diff() {
                let [add, sub] = here else {
                    return Err(format!("expected ADD and SUB, found {here:?}"));
                };
                check_type(add, types)?;
                check_type(sub, &[add.r_type + 4])?;
                same(
                    entry_loc(add)?.plus(i128::from(add.explicit.unwrap_or(0))),
                    want(0)?,
                )?;
                let m = r.minus().ok_or("no minus")?.index();
                same(
                    entry_loc(sub)?.plus(i128::from(sub.explicit.unwrap_or(0))),
                    model_loc(m),
                )?;
                return Ok(2);
            }
            let e = one(here)?;
            check_type(&e, types)?;
            check_named(&e)?;
            let arm_field = arm::addend(kind).filter(|_| arch == Architecture::Arm);
            let addend = match e.explicit {
                Some(x) => i128::from(x),
                // Arm REL: the addend is in the instruction's immediate (or PREL31's 31 bits).
                None if arm_field.is_some() => {
                    let decode = arm_field.ok_or("no Arm field")?;
                    i128::from(decode(field(4)? as u32))
                }
                // REL: an instruction marker (`x86_tlsdesc_call`) holds no addend; the
                // writer refuses one that is not 0.
                None if matches!(kind.shape(), objforge::FieldShape::Instruction { .. }) => 0,
                None => {
                    // REL: the field holds the addend, as wide as the field.
                    let size = usize::from(kind.shape().size());
                    sign_extend(field(size)?, 8 * size as u32)
                }
            };
            let expected = if kind.is_diff() {
                // S + A - M as S + (A + P - M) - P.
                want(i128::from(p) - minus_offset(obj, r)?)?
            } else {
                want(0)?
            };
            let got = entry_loc(&e)?.plus(addend);
            if e.explicit.is_none() {
                let bits = 8 * u32::from(kind.shape().size());
                let modulo = 1i128 << bits.min(100);
                if got.base != expected.base
                    || (got.offset - expected.offset).rem_euclid(modulo) != 0
                {
                    return Err(format!("reaches {got:?}, expected {expected:?} (REL)"));
                }
                return Ok(1);
            }
            same(got, expected)?;
            Ok(1)
        }
        Format::Coff => {
            let e = one(here)?;
            check_type(&e, types)?;
            check_named(&e)?;
            let target = entry_loc(&e)?;
            let (kind, a) = if kind.is_diff() {
                let m = minus_offset(obj, r)?;
                (Pcrel32, a + i128::from(p) - m)
            } else {
                (kind, a)
            };
            let s = model_loc(symbol.ok_or("no symbol")?);
            let insn = field(4).map(|v| v as u32);
            let stored: i128 = match kind {
                A64Call26 | A64Jump26 | A64Condbr19 | A64Tstbr14 => 0,
                A64Adr21 | A64Adrp21 => {
                    let w = insn?;
                    let imm = ((w >> 29) & 3) | (((w >> 5) & 0x7ffff) << 2);
                    sign_extend(u64::from(imm), 21)
                }
                A64SecrelHi12 => {
                    if (insn? >> 10) & 0xfff != 0 {
                        return Err("SECREL_HIGH12A's imm12 is not 0".into());
                    }
                    a
                }
                A64AddLo12 | A64SecrelLo12 => {
                    if (i128::from((insn? >> 10) & 0xfff)) != a & 0xfff {
                        return Err("ADD imm12 is not the addend's low 12 bits".into());
                    }
                    a
                }
                A64Ldst8Lo12 | A64Ldst16Lo12 | A64Ldst32Lo12 | A64Ldst64Lo12 | A64Ldst128Lo12
                | A64SecrelLdstLo12 => {
                    let w = insn?;
                    let scale = (w >> 30) + if w & 0x0480_0000 == 0x0480_0000 { 4 } else { 0 };
                    if i128::from(((w >> 10) & 0xfff) << scale) != a & 0xfff {
                        return Err("LDR/STR imm12 is not the addend's low 12 bits, scaled".into());
                    }
                    a
                }
                _ => {
                    let size = usize::from(kind.shape().size());
                    let bias = match (arch, e.r_type) {
                        (Architecture::X86_64, t @ 4..=9) => 4 + i128::from(t - 4),
                        (Architecture::I386, 0x14) | (Architecture::Aarch64, 0x11) => 4,
                        _ => 0,
                    };
                    let v = sign_extend(field(size)?, 8 * size as u32) - bias;
                    let modulo = 1i128 << (8 * size);
                    if (v - a).rem_euclid(modulo) != 0 {
                        return Err(format!(
                            "the field holds {v} (after the type's bias), not the addend {a}"
                        ));
                    }
                    a
                }
            };
            if matches!(kind, A64Adr21 | A64Adrp21) && stored != a {
                return Err(format!("ADR/ADRP holds {stored}, not the addend {a}"));
            }
            same(target.plus(a), s.plus(a))?;
            Ok(1)
        }
        Format::MachO => {
            let p_addr = i128::from(section_address(r.section().index())) + i128::from(p);
            if kind == Secrel32 {
                if !here.is_empty() {
                    return Err("Mach-O secrel32 is written as the offset, with no entry".into());
                }
                let SymbolDefinition::Defined { offset, .. } =
                    obj.symbols[symbol.ok_or("no symbol")?].definition
                else {
                    return Err("secrel32 against a symbol not defined here".into());
                };
                let v = i128::from(field(4)?);
                if v != i128::from(offset) + a {
                    return Err(format!("the field holds {v}, not offset {offset} + {a}"));
                }
                return Ok(0);
            }
            let pair_kind = matches!(kind, Diff32 | Diff64 | Pcrel64)
                || (arch == Architecture::Aarch64 && kind == Pcrel32);
            if pair_kind {
                let [sub, uns] = here else {
                    return Err(format!("expected SUBTRACTOR and UNSIGNED, found {here:?}"));
                };
                check_type(sub, types)?;
                check_type(uns, &[0])?;
                let length = if matches!(kind, Diff32 | Pcrel32) {
                    2
                } else {
                    3
                };
                if sub.length != length || uns.length != length {
                    return Err("wrong r_length".into());
                }
                let size = 1usize << length;
                let v = sign_extend(field(size)?, 8 * size as u32);
                let m = entry_loc(sub)?;
                let s_loc = match uns.target {
                    RelocationTarget::Section(_) => Loc {
                        base: Base::Section(usize::MAX),
                        offset: v,
                    },
                    _ => entry_loc(uns)?.plus(v),
                };
                // value = S' - M'
                let (got, expected) = if kind.is_diff() {
                    let mm = model_loc(r.minus().ok_or("no minus")?.index());
                    if m != mm {
                        return Err(format!("SUBTRACTOR names {m:?}, expected {mm:?}"));
                    }
                    (s_loc, want(0)?)
                } else {
                    // S + A - P = S' - M': compare S' with S + A - P + M'.
                    (s_loc, want(m.offset - p_addr)?)
                };
                same(got, expected)?;
                return Ok(2);
            }
            let e = one(here)?;
            check_type(&e, types)?;
            check_named(&e)?;
            let explicit = e.explicit;
            match (arch, e.target) {
                (Architecture::X86_64, RelocationTarget::Section(_)) => {
                    let size = 1usize << e.length;
                    let v = sign_extend(field(size)?, 8 * size as u32);
                    // The field holds the target's address (PC-relative: from the field).
                    let got = if e.pcrel { v + p_addr } else { v };
                    let s = model_loc(symbol.ok_or("no symbol")?);
                    let want = s.offset + a;
                    if got != want {
                        return Err(format!(
                            "section-relative field reaches {got:#x}, expected {want:#x}"
                        ));
                    }
                }
                (Architecture::X86_64, _) => {
                    let size = 1usize << e.length;
                    let v = sign_extend(field(size)?, 8 * size as u32);
                    let addend = if e.pcrel { v - 4 } else { v };
                    same(entry_loc(&e)?.plus(addend), want(0)?)?;
                }
                (_, RelocationTarget::Section(_)) => {
                    let size = 1usize << e.length;
                    let v = sign_extend(field(size)?, 8 * size as u32);
                    let s = model_loc(symbol.ok_or("no symbol")?);
                    if v != s.offset + a {
                        return Err(format!(
                            "section-relative field holds {v:#x}, expected {:#x}",
                            s.offset + a
                        ));
                    }
                }
                _ => {
                    let addend = match e.r_type {
                        0 => {
                            let size = 1usize << e.length;
                            sign_extend(field(size)?, 8 * size as u32)
                        }
                        2..=4 => i128::from(explicit.unwrap_or(0)),
                        _ => 0,
                    };
                    same(entry_loc(&e)?.plus(addend), want(0)?)?;
                }
            }
            Ok(1)
        }
        // Compared by `wasm::compare`.
        Format::Wasm => Err("not a Wasm comparison".into()),
        other => Err(format!("no comparison for {other:?}")),
    }
}

/// The offset of a `diff*` relocation's `minus` symbol in its section.
fn minus_offset(obj: &Object, r: &objforge::Relocation) -> Result<i128, String> {
    match r.minus().map(|m| obj.symbols[m.index()].definition) {
        Some(SymbolDefinition::Defined { offset, .. }) => Ok(i128::from(offset)),
        other => Err(format!(
            "the subtracted symbol is not defined here: {other:?}"
        )),
    }
}

/// The ELFv2 `st_other` code (bits 5..7) of a local entry `offset` bytes in: 1 stays 1, and
/// 4 << (n - 2) is n.
fn local_entry_code(offset: u32) -> u8 {
    match offset {
        0 | 1 => offset as u8,
        _ => offset.trailing_zeros() as u8,
    }
}
