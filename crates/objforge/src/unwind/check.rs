//! The checks an object's unwind entries must pass before they are lowered. Each error names
//! the entry and the field at fault: `unwind[2].cfi[5].reg`.

use super::{ArchFacts, CfiOp, FunctionUnwind, Lsda, Register};
use crate::error::{Error, Place};
use crate::model::Object;
use crate::target::{Architecture, Format};

/// `R_RISCV_RELAX`: the linker may shorten the code at this relocation.
const R_RISCV_RELAX: u32 = 51;

/// Checks every entry of `obj.unwind` (nothing when there are none).
pub(crate) fn check(obj: &Object) -> Result<(), Error> {
    if obj.unwind.is_empty() {
        return Ok(());
    }
    let at = |i: usize, path: &str| Place::Unwind(i, path.to_string());
    let format = obj.target.format;
    let arch = obj.target.arch;
    // The sections the lowering writes, which the object must not have already.
    let written: &[&str] = match (format, arch) {
        (Format::Elf, _) if obj.options.debug_frame => &[".debug_frame"],
        (Format::Elf, _) => &[".eh_frame"],
        (Format::Coff, Architecture::X86_64 | Architecture::Aarch64) => &[".pdata", ".xdata"],
        (Format::Wasm, _) => {
            return Err(Error::unsupported(
                at(0, ""),
                "WebAssembly has no unwind tables (the engine unwinds Wasm code itself)",
            ))
        }
        (Format::Coff, Architecture::I386) => {
            return Err(Error::unsupported(
                at(0, ""),
                "32-bit Windows has no unwind tables: its exception handling (SEH) registers handlers at run time",
            ))
        }
        (Format::Coff, _) => {
            return Err(Error::unsupported(
                at(0, ""),
                format!("unwind information is not yet written for COFF {arch}"),
            ))
        }
        (Format::MachO, _) => {
            super::macho::check_sections(obj)?;
            &[]
        }
    };
    let Some(facts) = ArchFacts::of(arch) else {
        let why = if arch == Architecture::Arm {
            "32-bit Arm unwinds through its EHABI tables (.ARM.exidx, .ARM.extab), which objforge does not make from unwind entries: give them as sections".to_string()
        } else {
            format!("{arch} has no unwind tables")
        };
        return Err(Error::unsupported(at(0, ""), why));
    };
    if let Some((k, s)) = obj
        .sections
        .iter()
        .enumerate()
        .find(|(_, s)| written.contains(&s.name.as_str()))
    {
        return Err(Error::invalid(
            at(0, ""),
            format!(
                "the object already has {} (sections[{k}]); objforge writes the unwind entries as {}, so give one or the other",
                s.name,
                written.join(" and ")
            ),
        ));
    }
    for (i, f) in obj.unwind.iter().enumerate() {
        check_entry(obj, i, f)?;
        if format == Format::Coff {
            check_coff_entry(arch, i, f)?;
        } else if format == Format::MachO {
            super::macho::check_entry(obj, &facts, i, f)?;
        } else {
            check_elf_entry(obj, &facts, i, f)?;
        }
    }
    check_overlaps(obj)
}

/// What COFF cannot take: `cfi` rules Windows codes cannot be derived from, codes the
/// encoding cannot hold, codes of the other architecture, an LSDA without a handler.
fn check_coff_entry(arch: Architecture, i: usize, f: &FunctionUnwind) -> Result<(), Error> {
    let at = |path: &str| Place::Unwind(i, path.to_string());
    if arch == Architecture::Aarch64 {
        let derived;
        let seh = if f.seh.is_empty() {
            derived = super::xdata_arm64::from_cfi(i, f.size, &f.cfi)?;
            &derived
        } else {
            &f.seh
        };
        super::xdata_arm64::unwind_info(i, f.size, seh, f.personality.is_some())?;
    } else if f.seh.is_empty() {
        super::xdata::from_cfi(i, &f.cfi)?;
    }
    if f.lsda.is_some() && f.personality.is_none() {
        return Err(Error::invalid(
            at("lsda"),
            "an LSDA without a personality routine: on Windows the LSDA is the handler's data, so give the handler as `personality`",
        ));
    }
    Ok(())
}

pub(super) fn check_register(arch: Architecture, reg: Register, place: Place) -> Result<(), Error> {
    match Register::last(arch) {
        Some(last) if reg.0 <= last => Ok(()),
        _ => Err(Error::invalid(
            place,
            format!(
                "there is no register {} on {} (DWARF numbers go up to {})",
                reg.0,
                arch,
                Register::last(arch).unwrap_or(0)
            ),
        )),
    }
}

/// The checks every format makes: the code range and the symbols and sections named.
fn check_entry(obj: &Object, i: usize, f: &FunctionUnwind) -> Result<(), Error> {
    let at = |path: &str| Place::Unwind(i, path.to_string());
    let Some(sec) = obj.sections.get(f.section.index()) else {
        return Err(Error::invalid(
            at("section"),
            format!(
                "there is no section {} (the object has {})",
                f.section.index(),
                obj.sections.len()
            ),
        ));
    };
    if sec.kind.is_zero_fill() {
        return Err(Error::invalid(
            at("section"),
            format!(
                "{} is a {} section: it holds no code",
                sec.name,
                sec.kind.name()
            ),
        ));
    }
    if f.size == 0 {
        return Err(Error::invalid(at("size"), "a function is at least 1 byte"));
    }
    let len = sec.data.len();
    if f.offset > len || f.size > len - f.offset {
        return Err(Error::invalid(
            at(if f.offset > len { "offset" } else { "size" }),
            format!(
                "the function at {}..{} runs past the end of {} ({len} bytes)",
                f.offset,
                f.offset.saturating_add(f.size),
                sec.name
            ),
        ));
    }
    if f.size > u64::from(u32::MAX) {
        return Err(Error::unsupported(
            at("size"),
            format!(
                "{} bytes: .eh_frame describes at most 4 GiB per function",
                f.size
            ),
        ));
    }
    if let Some(p) = f.personality {
        if p.index() >= obj.symbols.len() {
            return Err(Error::invalid(
                at("personality"),
                format!(
                    "there is no symbol {} (the object has {})",
                    p.0,
                    obj.symbols.len()
                ),
            ));
        }
        if obj.symbols[p.index()].name.is_empty() {
            return Err(Error::invalid(
                at("personality"),
                "the personality routine needs a named symbol",
            ));
        }
    }
    match f.lsda {
        Some(Lsda::Symbol(s)) if s.index() >= obj.symbols.len() => {
            return Err(Error::invalid(
                at("lsda"),
                format!(
                    "there is no symbol {} (the object has {})",
                    s.0,
                    obj.symbols.len()
                ),
            ))
        }
        Some(Lsda::Section { section, offset }) => match obj.sections.get(section.index()) {
            None => {
                return Err(Error::invalid(
                    at("lsda.section"),
                    format!(
                        "there is no section {} (the object has {})",
                        section.0,
                        obj.sections.len()
                    ),
                ))
            }
            Some(s) if offset > s.data.len() => {
                return Err(Error::invalid(
                    at("lsda.offset"),
                    format!(
                        "{offset} is past the end of {} ({} bytes)",
                        s.name,
                        s.data.len()
                    ),
                ))
            }
            Some(_) => {}
        },
        _ => {}
    }
    if let Some(column) = f.return_column {
        check_register(obj.target.arch, column, at("return_column"))?;
    }
    Ok(())
}

/// The rules `.eh_frame` must be able to express.
fn check_elf_entry(
    obj: &Object,
    facts: &ArchFacts,
    i: usize,
    f: &FunctionUnwind,
) -> Result<(), Error> {
    let at = |path: &str| Place::Unwind(i, path.to_string());
    if obj.options.debug_frame {
        let runtime_only = if f.personality.is_some() {
            Some("personality")
        } else if f.lsda.is_some() {
            Some("lsda")
        } else if f.signal_frame {
            Some("signal_frame")
        } else {
            None
        };
        if let Some(field) = runtime_only {
            return Err(Error::unsupported(
                at(field),
                "`.debug_frame` (options.debug_frame) is for debuggers and has no place for it; the runtime's .eh_frame does",
            ));
        }
    }
    if f.cfi.is_empty() && !f.seh.is_empty() {
        return Err(Error::unsupported(
            at("seh"),
            "ELF unwinds with DWARF call-frame rules (`cfi`); Windows unwind codes are for COFF",
        ));
    }
    check_rules(obj.target.arch, facts, i, f.size, &f.cfi)?;
    // Linker relaxation would move the code under the rules, and these advances are fixed.
    if obj.target.arch == Architecture::Riscv64 {
        let end = f.offset + f.size;
        if let Some(k) = obj.relocations.iter().position(|r| {
            r.section() == f.section
                && (f.offset..end).contains(&r.offset())
                && matches!(r.kind(), crate::RelocKind::Native(n) if n.r_type == R_RISCV_RELAX)
        }) {
            return Err(Error::unsupported(
                at(""),
                format!(
                    "relocations[{k}] is an R_RISCV_RELAX in the function: the linker could shorten code the rules describe, and objforge writes their advances as numbers"
                ),
            ));
        }
    }
    Ok(())
}

/// The checks of one function's rules (also those of [`super::eh_frame_for_jit`]'s input).
pub(super) fn check_rules(
    arch: Architecture,
    facts: &ArchFacts,
    i: usize,
    size: u64,
    cfi: &[super::CfiRule],
) -> Result<(), Error> {
    let at = |path: &str| Place::Unwind(i, path.to_string());
    let mut previous = 0u64;
    let mut remembered = 0usize;
    for (j, rule) in cfi.iter().enumerate() {
        let field = |name: &str| at(&format!("cfi[{j}].{name}"));
        if rule.at > size {
            return Err(Error::invalid(
                field("at"),
                format!(
                    "{} is past the end of the function ({} bytes)",
                    rule.at, size
                ),
            ));
        }
        if rule.at < previous {
            return Err(Error::invalid(
                field("at"),
                format!(
                    "{} comes before the previous rule's {previous}: rules are given in order",
                    rule.at
                ),
            ));
        }
        previous = rule.at;
        if rule.at % facts.code_align != 0 {
            return Err(Error::invalid(
                field("at"),
                format!(
                    "{} is not a multiple of {}, the size of an instruction on {}",
                    rule.at, facts.code_align, arch
                ),
            ));
        }
        for (name, reg) in rule.op.registers() {
            check_register(arch, reg, field(name))?;
        }
        match &rule.op {
            // A `rel_offset` becomes a CFA offset, which the encoder checks.
            CfiOp::Offset { offset, .. } | CfiOp::ValOffset { offset, .. }
                if offset % facts.data_align != 0 =>
            {
                return Err(Error::invalid(
                    field("offset"),
                    format!(
                        "{offset} is not a multiple of {}: .eh_frame on {arch} stores saved registers in units of {} bytes",
                        -facts.data_align,
                        -facts.data_align
                    ),
                ));
            }
            CfiOp::RememberState => remembered += 1,
            CfiOp::RestoreState => {
                if remembered == 0 {
                    return Err(Error::invalid(
                        field("op"),
                        "restore_state without a remember_state before it",
                    ));
                }
                remembered -= 1;
            }
            CfiOp::Escape(bytes) if bytes.is_empty() => {
                return Err(Error::invalid(
                    field("hex"),
                    "an escape needs at least one byte",
                ))
            }
            CfiOp::NegateRaState if arch != Architecture::Aarch64 => {
                return Err(Error::invalid(
                    field("op"),
                    format!(
                        "negate_ra_state is AArch64's (pointer authentication), not {}'s",
                        arch
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// No two functions share a byte.
fn check_overlaps(obj: &Object) -> Result<(), Error> {
    let mut order: Vec<usize> = (0..obj.unwind.len()).collect();
    order.sort_by_key(|&i| (obj.unwind[i].section, obj.unwind[i].offset, i));
    for pair in order.windows(2) {
        let (a, b) = (&obj.unwind[pair[0]], &obj.unwind[pair[1]]);
        if a.section == b.section && b.offset < a.offset + a.size {
            let (first, second) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
            let (x, y) = (&obj.unwind[first], &obj.unwind[second]);
            return Err(Error::invalid(
                Place::Unwind(second, "offset".into()),
                format!(
                    "the function at {}..{} overlaps unwind[{first}] at {}..{}",
                    y.offset,
                    y.offset + y.size,
                    x.offset,
                    x.offset + x.size
                ),
            ));
        }
    }
    Ok(())
}
