//! Relocation entries. Each model relocation becomes one `relocation_info`, or two at the same
//! address: `ARM64_RELOC_ADDEND` then the relocation it carries the addend for, or
//! `SUBTRACTOR` (the symbol subtracted) then `UNSIGNED` (the symbol added). The addend goes
//! where the architecture keeps it: in the field (x86_64; arm64 `UNSIGNED`), in an
//! `ARM64_RELOC_ADDEND`, or nowhere (arm64 GOT and TLV loads, which take none).
//!
//! A relocation against a symbol local to this object is written section-relative
//! (`r_extern = 0`, the field holding the target's address in the object) where the type
//! allows it: x86_64 `UNSIGNED` and `SIGNED*`, arm64 `UNSIGNED`. Everything else names a
//! symbol (`r_extern = 1`); ld64.lld insists on it for the arm64 page relocations.

use std::cmp::Reverse;

use super::sections::Sections;
use super::symtab::{is_written, SymbolTable};
use crate::arch::{self, aarch64, MachoAddend, MachoEncoding, MachoReloc};
use crate::error::{Error, Place};
use crate::model::{Binding, Object, SectionData, SymbolDefinition, SymbolId, SymbolKind};
use crate::reloc::RelocKind;
use crate::target::Architecture;

/// One `relocation_info`.
pub(super) struct RelocationInfo {
    pub address: u32,
    pub symbolnum: u32,
    pub pcrel: bool,
    pub length: u8,
    pub is_extern: bool,
    pub r_type: u8,
}

/// A value stored in a section's bytes: an implicit addend, or a value objforge resolves.
pub(super) struct Patch {
    /// The model section.
    pub section: usize,
    pub offset: u64,
    pub size: u8,
    pub value: i64,
}

pub(super) struct Relocations {
    /// Per model section, in the order written: by address, highest first (as LLVM writes
    /// them, and as ld64.lld reads them fastest), each pair kept together in its order.
    pub per_section: Vec<Vec<RelocationInfo>>,
    pub patches: Vec<Patch>,
}

/// The sections that need a symbol at their start: those a relocation reaches through a
/// section symbol (which Mach-O does not have), and those holding a PC-relative data field
/// that no symbol precedes (the `SUBTRACTOR` needs one).
pub(super) fn sections_needing_a_start(obj: &Object) -> Vec<bool> {
    let mut needs = vec![false; obj.sections.len()];
    let mut first_symbol: Vec<Option<u64>> = vec![None; obj.sections.len()];
    for s in obj.symbols.iter().filter(|s| is_written(s.kind)) {
        if let SymbolDefinition::Defined { section, offset } = s.definition {
            let first = &mut first_symbol[section.0];
            *first = Some(first.map_or(offset, |f| f.min(offset)));
        }
    }
    for r in &obj.relocations {
        for id in [r.symbol, r.minus].into_iter().flatten() {
            let s = &obj.symbols[id.0];
            if let (SymbolKind::Section, Some(section)) = (s.kind, s.section_id()) {
                needs[section.0] = true;
            }
        }
        let from_field = matches!(
            arch::macho_encoding(obj.target.arch, r.kind, r.addend, &[], false),
            Some(MachoEncoding::FromField { .. })
        );
        if from_field && first_symbol[r.section.0].is_none_or(|first| first > r.offset) {
            needs[r.section.0] = true;
        }
    }
    needs
}

/// Builds every relocation entry, and the values to store in the sections.
pub(super) fn build(
    obj: &Object,
    sections: &Sections,
    symbols: &SymbolTable,
) -> Result<Relocations, Error> {
    let mut out = Relocations {
        per_section: Vec::new(),
        patches: Vec::new(),
    };
    out.per_section.resize_with(obj.sections.len(), Vec::new);
    let writer = Writer {
        obj,
        sections,
        symbols,
    };
    for i in 0..obj.relocations.len() {
        writer.relocation(i, &mut out)?;
    }
    for entries in &mut out.per_section {
        // Stable: the entries of a pair keep their order.
        entries.sort_by_key(|e| Reverse(e.address));
    }
    Ok(out)
}

struct Writer<'a> {
    obj: &'a Object,
    sections: &'a Sections,
    symbols: &'a SymbolTable,
}

impl Writer<'_> {
    fn relocation(&self, i: usize, out: &mut Relocations) -> Result<(), Error> {
        let obj = self.obj;
        let arch = obj.target.arch;
        let r = &obj.relocations[i];
        let at = |field| Place::Relocation(i, Some(field));
        let section = r.section.0;
        let Some(target) = r.symbol else {
            return Err(no_encoding(i, r.kind, arch, false));
        };
        let sym = &obj.symbols[target.0];
        if sym.kind == SymbolKind::File {
            return Err(Error::invalid(
                at("symbol"),
                format!("`{}` is a file symbol, which has no address", sym.name),
            ));
        }
        if r.kind == RelocKind::Secrel32 {
            return self.section_offset(i, out);
        }
        let address = u32::try_from(r.offset)
            .ok()
            .filter(|&a| a <= i32::MAX as u32)
            .ok_or_else(|| {
                Error::unsupported(
                    at("offset"),
                    format!(
                        "{} is past 2^31 - 1, the largest offset a Mach-O relocation holds",
                        r.offset
                    ),
                )
            })?;
        let bytes: &[u8] = match &obj.sections[section].data {
            SectionData::Bytes(b) => b,
            SectionData::Zero(_) => &[],
        };
        let before = if r.kind == RelocKind::X86GotPcrel32 {
            let start = r.offset.saturating_sub(3) as usize;
            bytes.get(start..address as usize).unwrap_or(&[])
        } else {
            &[]
        };
        let tls = sym.kind == SymbolKind::Tls;
        let encoding = arch::macho_encoding(arch, r.kind, r.addend, before, tls)
            .ok_or_else(|| no_encoding(i, r.kind, arch, tls))?;
        let entries = &mut out.per_section[section];
        match encoding {
            MachoEncoding::One(m) => {
                let (is_extern, symbolnum, stored) = self.referent(i, &m, target, r.addend)?;
                match m.addend {
                    MachoAddend::Field { .. } => {
                        out.patches.push(self.field(i, 1 << m.length, stored)?);
                    }
                    MachoAddend::Paired if r.addend != 0 => {
                        if !(aarch64::macho::ADDEND_MIN..=aarch64::macho::ADDEND_MAX)
                            .contains(&r.addend)
                        {
                            return Err(Error::unsupported(
                                at("addend"),
                                format!(
                                    "{} is out of range for ARM64_RELOC_ADDEND, which holds a signed 24-bit addend ({}..={})",
                                    r.addend,
                                    aarch64::macho::ADDEND_MIN,
                                    aarch64::macho::ADDEND_MAX
                                ),
                            ));
                        }
                        entries.push(RelocationInfo {
                            address,
                            // Two's complement, cut to the 24 bits of r_symbolnum.
                            symbolnum: (r.addend as u32) & super::consts::R_SYMBOLNUM_MASK,
                            pcrel: false,
                            length: 2,
                            is_extern: false,
                            r_type: aarch64::macho::ADDEND,
                        });
                    }
                    MachoAddend::Paired => {}
                    MachoAddend::Zero if r.addend != 0 => {
                        return Err(Error::unsupported(
                            at("addend"),
                            format!(
                                "kind {} takes no addend on Mach-O {arch} (ARM64_RELOC_ADDEND may only precede BRANCH26, PAGE21 and PAGEOFF12); got {}",
                                r.kind, r.addend
                            ),
                        ));
                    }
                    MachoAddend::Zero => {}
                }
                entries.push(RelocationInfo {
                    address,
                    symbolnum,
                    pcrel: m.pcrel,
                    length: m.length,
                    is_extern,
                    r_type: m.r_type,
                });
            }
            MachoEncoding::Difference {
                subtractor,
                unsigned,
                length,
            }
            | MachoEncoding::FromField {
                subtractor,
                unsigned,
                length,
            } => {
                let (minus, addend) = match encoding {
                    MachoEncoding::Difference { .. } => {
                        // `validate` makes sure a diff* relocation has `minus`.
                        let minus = r.minus.ok_or_else(|| {
                            Error::invalid(
                                at("minus"),
                                format!("a {} relocation needs `minus`", r.kind),
                            )
                        })?;
                        (self.subtrahend(i, minus)?, i128::from(r.addend))
                    }
                    // S + A - P = S + (A - (P - M)) - M, M the start of P's subsection.
                    _ => {
                        let (start, index) = self
                            .symbols
                            .subsection_at(section, r.offset)
                            .ok_or_else(|| missing_start(i))?;
                        (index, i128::from(r.addend) - i128::from(r.offset - start))
                    }
                };
                let addend = i64::try_from(addend).map_err(|_| {
                    Error::unsupported(at("addend"), "the addend is out of the 64-bit range")
                })?;
                let m = MachoReloc {
                    r_type: unsigned,
                    pcrel: false,
                    length,
                    local: true,
                    addend: MachoAddend::Field {
                        pc_bias: 0,
                        extra: 0,
                    },
                };
                let (is_extern, symbolnum, stored) = self.referent(i, &m, target, addend)?;
                out.patches.push(self.field(i, 1 << length, stored)?);
                entries.push(RelocationInfo {
                    address,
                    symbolnum: minus,
                    pcrel: false,
                    length,
                    is_extern: true,
                    r_type: subtractor,
                });
                entries.push(RelocationInfo {
                    address,
                    symbolnum,
                    pcrel: false,
                    length,
                    is_extern,
                    r_type: unsigned,
                });
            }
        }
        Ok(())
    }

    /// What relocation `i`'s entry `m` points at, with `addend`: `(r_extern, r_symbolnum,
    /// value stored in the field)`. Section-relative when `m` may be and the target is a
    /// local definition whose referenced address stays inside its section (the linker finds
    /// the subsection by that address); otherwise the symbol (or its section's `ltmpN`).
    fn referent(
        &self,
        i: usize,
        m: &MachoReloc,
        target: SymbolId,
        addend: i64,
    ) -> Result<(bool, u32, i128), Error> {
        let obj = self.obj;
        let r = &obj.relocations[i];
        let sym = &obj.symbols[target.0];
        let (pc_bias, extra) = match m.addend {
            MachoAddend::Field { pc_bias, extra } => (pc_bias, extra),
            _ => (0, 0),
        };
        let addend = i128::from(addend);
        if let (true, Binding::Local, SymbolDefinition::Defined { section, offset }) =
            (m.local, sym.binding, sym.definition)
        {
            let referenced = i128::from(offset) + addend + i128::from(pc_bias + extra);
            let size = obj.sections[section.0].data.len();
            if (0..=i128::from(size)).contains(&referenced) {
                let s = i128::from(self.sections.of_model(section.0).addr + offset);
                let stored = if m.pcrel {
                    let p = self.sections.of_model(r.section.0).addr + r.offset;
                    s + addend - i128::from(p)
                } else {
                    s + addend
                };
                return Ok((false, u32::from(self.sections.n_sect(section.0)), stored));
            }
        }
        let index = self.symbol_index(i, target, "symbol")?;
        Ok((true, index, addend + i128::from(pc_bias)))
    }

    /// The symbol-table index a relocation names for model symbol `id`.
    fn symbol_index(&self, i: usize, id: SymbolId, field: &'static str) -> Result<u32, Error> {
        if let Some(index) = self.symbols.index_of_user[id.0] {
            return Ok(index);
        }
        // A section symbol: the section's `ltmpN`, which `sections_needing_a_start` asked for.
        self.obj.symbols[id.0]
            .section_id()
            .and_then(|s| self.symbols.section_start[s.0])
            .ok_or_else(|| {
                Error::invalid(
                    Place::Relocation(i, Some(field)),
                    format!(
                        "`{}` has no Mach-O symbol to refer to",
                        self.obj.symbols[id.0].name
                    ),
                )
            })
    }

    /// The `SUBTRACTOR`'s symbol: M must be defined here (the linker subtracts its address).
    fn subtrahend(&self, i: usize, minus: SymbolId) -> Result<u32, Error> {
        let m = &self.obj.symbols[minus.0];
        if m.section_id().is_none() {
            return Err(Error::unsupported(
                Place::Relocation(i, Some("minus")),
                format!(
                    "`{}` is not defined in this object; a Mach-O SUBTRACTOR subtracts a symbol defined here",
                    m.name
                ),
            ));
        }
        self.symbol_index(i, minus, "minus")
    }

    /// Stores `value` in relocation `i`'s `size`-byte field, if it fits (as the linker reads
    /// it back: sign-extended).
    fn field(&self, i: usize, size: u8, value: i128) -> Result<Patch, Error> {
        let r = &self.obj.relocations[i];
        let fits = match size {
            1 => i8::try_from(value).is_ok(),
            2 => i16::try_from(value).is_ok(),
            4 => i32::try_from(value).is_ok(),
            _ => i64::try_from(value).is_ok(),
        };
        if !fits {
            return Err(Error::unsupported(
                Place::Relocation(i, Some("addend")),
                format!(
                    "{} does not fit the {size}-byte field where Mach-O stores the addend",
                    r.addend
                ),
            ));
        }
        let len = self.obj.sections[r.section.0].data.len();
        if r.offset
            .checked_add(u64::from(size))
            .is_none_or(|end| end > len)
        {
            return Err(Error::invalid(
                Place::Relocation(i, Some("offset")),
                format!(
                    "the {size}-byte field at {} is past the end of {} ({len} bytes)",
                    r.offset, self.obj.sections[r.section.0].name
                ),
            ));
        }
        Ok(Patch {
            section: r.section.0,
            offset: r.offset,
            size,
            value: value as i64,
        })
    }

    /// `secrel32`: Mach-O keeps DWARF's section offsets as plain numbers (debug sections are
    /// not linked), so objforge writes S's offset in its section plus A, and no relocation.
    fn section_offset(&self, i: usize, out: &mut Relocations) -> Result<(), Error> {
        let obj = self.obj;
        let r = &obj.relocations[i];
        let at = |field| Place::Relocation(i, Some(field));
        let sym = r.symbol.map(|s| &obj.symbols[s.0]);
        let Some(SymbolDefinition::Defined { section, offset }) = sym.map(|s| s.definition) else {
            return Err(Error::unsupported(
                at("symbol"),
                "secrel32 on Mach-O needs a symbol defined in this object: objforge writes its offset, since Mach-O has no section-relative relocation",
            ));
        };
        if obj.sections[section.0].kind.is_allocated() {
            return Err(Error::unsupported(
                at("kind"),
                "secrel32 on Mach-O needs a symbol in a non-allocated (debug/other) section, whose offsets the linker leaves alone",
            ));
        }
        let value = i128::from(offset) + i128::from(r.addend);
        if u32::try_from(value).is_err() {
            return Err(Error::invalid(
                at("addend"),
                format!("the section offset {value} does not fit the 4-byte field"),
            ));
        }
        out.patches.push(Patch {
            section: r.section.0,
            offset: r.offset,
            size: 4,
            value: value as i64,
        });
        Ok(())
    }
}

fn missing_start(i: usize) -> Error {
    Error::invalid(
        Place::Relocation(i, Some("offset")),
        "no symbol starts the subsection holding this field",
    )
}

/// The error for a kind Mach-O cannot express on `arch`, with the reason where there is one.
fn no_encoding(i: usize, kind: RelocKind, arch: Architecture, tls: bool) -> Error {
    use RelocKind::*;
    let why = match kind {
        Abs32S if arch == Architecture::X86_64 => {
            ": Mach-O has no sign-extended 32-bit absolute relocation (64-bit images load above 4 GiB)"
        }
        Abs8 | Abs16 | Abs32S | Pcrel8 | Pcrel16 | Diff8 | Diff16 => {
            ": Mach-O relocates only 4- and 8-byte data fields"
        }
        A64Condbr19 | A64Tstbr14 | A64LdrLit19 | A64Adr21 if arch == Architecture::Aarch64 => {
            ": Mach-O linkers relocate only B/BL, ADRP and the low-12-bit forms (resolve a branch within a function in the backend)"
        }
        X86GotPcrel32 if tls => {
            ": against a thread-local variable it becomes X86_64_RELOC_TLV, which needs a `movq` load (REX.W 8b, RIP-relative ModRM) before the field"
        }
        Secidx16 | Imagerel32 => ": it is a COFF relocation",
        Native(n) if n.r_type > 0xf => ": the native type does not fit Mach-O's 4-bit r_type",
        Native(n) if n.length > 3 => ": a Mach-O r_length is 0 to 3 (1 to 8 bytes)",
        _ => "",
    };
    Error::unsupported(
        Place::Relocation(i, Some("kind")),
        format!("kind {kind} has no Mach-O encoding on {arch}{why}"),
    )
}
