//! Limits a model must keep that no single field shows: the total size of the sections, the
//! reach of PC-relative fields whose value is already known when the object is written (a
//! branch to a symbol in its own section that the linker cannot move apart or redirect).
//!
//! They run as part of validation, so every writer, present and future, gets them.

use crate::error::{Error, Place};
use crate::model::{Binding, Object, SymbolDefinition, Visibility};
use crate::reloc::RelocKind;

/// The most bytes of sections an object may describe: far past any real object, and low
/// enough that no writer's offset arithmetic can overflow.
pub(crate) const MAX_TOTAL_SIZE: u64 = 1 << 48;

/// The sections' sizes add up to at most [`MAX_TOTAL_SIZE`].
pub(crate) fn check_total_size(obj: &Object) -> Result<(), Error> {
    let mut total = 0u64;
    for (i, s) in obj.sections.iter().enumerate() {
        total = total.saturating_add(s.data.len());
        if total > MAX_TOTAL_SIZE {
            return Err(Error::unsupported(
                Place::Section(i, Some("size")),
                format!(
                    "the sections up to this one ({}, {} bytes) add up to more than 2^48 bytes, more than any object file holds",
                    s.name,
                    s.data.len()
                ),
            ));
        }
    }
    Ok(())
}

/// How far a PC-relative field reaches: `value` (S + A - P) must lie in `min..=max` and be a
/// multiple of `step`.
struct Reach {
    min: i128,
    max: i128,
    step: i128,
}

const fn signed_bits(bits: u32, step: i128) -> Reach {
    Reach {
        min: -(1 << (bits - 1)),
        max: (1 << (bits - 1)) - 1,
        step,
    }
}

/// The reach of `kind`'s field, for the kinds whose value is S + A - P and whose field is
/// narrower than an address.
fn reach(kind: RelocKind) -> Option<Reach> {
    use RelocKind::*;
    Some(match kind {
        Pcrel8 => signed_bits(8, 1),
        Pcrel16 => signed_bits(16, 1),
        Pcrel32 | X86Branch32 => signed_bits(32, 1),
        // imm26, imm19 and imm14 count instructions; ADR's imm21 counts bytes.
        A64Call26 | A64Jump26 => signed_bits(28, 4),
        A64Condbr19 | A64LdrLit19 => signed_bits(21, 4),
        A64Tstbr14 => signed_bits(16, 4),
        A64Adr21 => signed_bits(21, 1),
        // B-type, J-type and the compressed forms count halfwords (bit 0 is not stored).
        RvBranch => signed_bits(13, 2),
        RvJal => signed_bits(21, 2),
        RvRvcBranch => signed_bits(9, 2),
        RvRvcJump => signed_bits(12, 2),
        // AUIPC's hi20 plus the sign-extended lo12 of the instruction after it.
        RvCall | RvPcrelHi20 => Reach {
            min: -(1 << 31) - (1 << 11),
            max: (1 << 31) - (1 << 11) - 1,
            step: 1,
        },
        _ => return None,
    })
}

/// Where symbol `id` is when its distance to a field of `section` is fixed at write time:
/// defined in that section and bound to this definition (local, or hidden/protected, which
/// no other module can preempt; a weak definition may be replaced).
fn fixed_offset(obj: &Object, id: usize, section: usize) -> Option<u64> {
    let sym = obj.symbols.get(id)?;
    let pinned = sym.binding == Binding::Local
        || (sym.binding == Binding::Global && sym.visibility != Visibility::Default);
    match sym.definition {
        SymbolDefinition::Defined { section: s, offset } if s.0 == section && pinned => {
            Some(offset)
        }
        _ => None,
    }
}

/// Every PC-relative field whose target lies at a fixed distance in its own section, and every
/// symbol difference between two symbols of one section, holds its value: out of reach (or
/// not a multiple of what the field counts in) is an error naming the relocation, where the
/// linker would otherwise fail late or, for some, silently cut the value.
///
/// This checks relocation `i` (checked otherwise already); validation calls it as it goes
/// through the relocations, to save a pass over them.
#[inline]
pub(crate) fn check_reach_of(obj: &Object, i: usize) -> Result<(), Error> {
    let Some(r) = obj.relocations.get(i) else {
        return Ok(());
    };
    let Some(symbol) = r.symbol else {
        return Ok(());
    };
    if r.kind.is_diff() {
        return check_difference(obj, i);
    }
    let Some(reach) = reach(r.kind) else {
        return Ok(());
    };
    let Some(target) = fixed_offset(obj, symbol.0, r.section.0) else {
        return Ok(());
    };
    let value = i128::from(target) + i128::from(r.addend) - i128::from(r.offset);
    let name = obj
        .sections
        .get(r.section.0)
        .map_or("", |s| s.name.as_str());
    if value < reach.min || value > reach.max {
        return Err(Error::invalid(
            Place::Relocation(i, None),
            format!(
                "{} at {} of {name} reaches offset {target}{:+} of the same section, {value} bytes away; the field reaches {}..={}",
                r.kind, r.offset, r.addend, reach.min, reach.max
            ),
        ));
    }
    if value % reach.step != 0 {
        return Err(Error::invalid(
            Place::Relocation(i, None),
            format!(
                "{} at {} of {name} reaches offset {target}{:+} of the same section, {value} bytes away, which is not a multiple of {}: the field cannot hold it",
                r.kind, r.offset, r.addend, reach.step
            ),
        ));
    }
    Ok(())
}

/// `diff*` between two symbols pinned in one section: S + A - M must fit the field.
fn check_difference(obj: &Object, i: usize) -> Result<(), Error> {
    let Some(r) = obj.relocations.get(i) else {
        return Ok(());
    };
    let (Some(plus), Some(minus)) = (r.symbol, r.minus) else {
        return Ok(());
    };
    let Some(section) = obj.symbols.get(plus.0).and_then(|s| s.section_id()) else {
        return Ok(());
    };
    let (Some(s), Some(m)) = (
        fixed_offset(obj, plus.0, section.0),
        fixed_offset(obj, minus.0, section.0),
    ) else {
        return Ok(());
    };
    let bits = match r.kind {
        RelocKind::Diff8 => 8,
        RelocKind::Diff16 => 16,
        RelocKind::Diff32 => 32,
        _ => return Ok(()),
    };
    let value = i128::from(s) + i128::from(r.addend) - i128::from(m);
    // The field may be read as signed or unsigned: either reading may hold it.
    if value < -(1 << (bits - 1)) || value >= 1 << bits {
        return Err(Error::invalid(
            Place::Relocation(i, None),
            format!(
                "{}: the difference of the two symbols plus the addend is {value}, which does not fit the {}-byte field",
                r.kind,
                bits / 8
            ),
        ));
    }
    Ok(())
}
