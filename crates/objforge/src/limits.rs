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

/// Where symbol `id` is when its distance to a field of `section` is fixed at write time:
/// defined in that section and bound to this definition (local, or hidden/protected, which
/// no other module can preempt; a weak definition may be replaced).
fn fixed_offset(obj: &Object, id: usize, section: usize) -> Option<u64> {
    let sym = obj.symbols.get(id)?;
    let pinned = sym.binding == Binding::Local
        || (sym.binding == Binding::Global && sym.visibility != Visibility::Default);
    match sym.definition {
        SymbolDefinition::Defined { section: s, offset } if s.index() == section && pinned => {
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
/// This checks relocation `i` (checked otherwise already), whose kind is a difference (`diff`)
/// or reaches `reach` (its [`RelocKind::reach`](crate::RelocKind::reach), which the caller
/// knows); validation calls it as it goes through the relocations, to save a pass over them.
#[inline]
pub(crate) fn check_reach_of(
    obj: &Object,
    i: usize,
    diff: bool,
    reach: Option<crate::reloc::Reach>,
) -> Result<(), Error> {
    let Some(r) = obj.relocations.get(i) else {
        return Ok(());
    };
    let Some(symbol) = r.symbol() else {
        return Ok(());
    };
    if diff {
        return check_difference(obj, i);
    }
    let Some(reach) = reach else {
        return Ok(());
    };
    let Some(target) = fixed_offset(obj, symbol.index(), r.section().index()) else {
        return Ok(());
    };
    // 32-bit Arm: a Thumb function's value has bit 0 set (the linker switches instruction
    // sets on it); the branch reaches the address without it.
    let thumb = obj.target.arch == crate::target::Architecture::Arm
        && obj.symbols[symbol.index()].kind == crate::model::SymbolKind::Func;
    let target = if thumb { target & !1 } else { target };
    let value = i128::from(target) + i128::from(r.addend()) - i128::from(r.offset());
    let name = obj
        .sections
        .get(r.section().index())
        .map_or("", |s| s.name.as_str());
    let (min, max, step) = (
        i128::from(reach.min),
        i128::from(reach.max),
        i128::from(reach.step),
    );
    if value < min || value > max {
        return Err(Error::invalid(
            Place::Relocation(i, None),
            format!(
                "{} at {} of {name} reaches offset {target}{:+} of the same section, {value} bytes away; the field reaches {min}..={max}",
                r.kind(), r.offset(), r.addend()
            ),
        ));
    }
    if value % step != 0 {
        return Err(Error::invalid(
            Place::Relocation(i, None),
            format!(
                "{} at {} of {name} reaches offset {target}{:+} of the same section, {value} bytes away, which is not a multiple of {step}: the field cannot hold it",
                r.kind(), r.offset(), r.addend()
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
    let (Some(plus), Some(minus)) = (r.symbol(), r.minus()) else {
        return Ok(());
    };
    let Some(section) = obj.symbols.get(plus.index()).and_then(|s| s.section_id()) else {
        return Ok(());
    };
    let (Some(s), Some(m)) = (
        fixed_offset(obj, plus.index(), section.index()),
        fixed_offset(obj, minus.index(), section.index()),
    ) else {
        return Ok(());
    };
    let bits = match r.kind() {
        RelocKind::Diff8 => 8,
        RelocKind::Diff16 => 16,
        RelocKind::Diff32 => 32,
        _ => return Ok(()),
    };
    let value = i128::from(s) + i128::from(r.addend()) - i128::from(m);
    // The field may be read as signed or unsigned: either reading may hold it.
    if value < -(1 << (bits - 1)) || value >= 1 << bits {
        return Err(Error::invalid(
            Place::Relocation(i, None),
            format!(
                "{}: the difference of the two symbols plus the addend is {value}, which does not fit the {}-byte field",
                r.kind(),
                bits / 8
            ),
        ));
    }
    Ok(())
}
