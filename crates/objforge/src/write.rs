//! The one entry point from the model to bytes: validate, then hand to the format's writer.

use crate::error::{Error, Place};
use crate::model::Object;
use crate::target::Format;

/// Validates `obj` and writes it in its target's format.
pub(crate) fn write(obj: &Object) -> Result<Vec<u8>, Error> {
    crate::validate::validate(obj)?;
    match obj.target.format {
        Format::Elf => crate::elf::write(obj),
        Format::Coff => crate::coff::write(obj),
        Format::MachO => crate::macho::write(obj),
        other => Err(Error::unsupported(
            Place::Target,
            format!("writing {other} objects is not implemented yet (elf, macho and coff are)"),
        )),
    }
}
