//! What ELF for 32-bit Arm adds to the file: section types the linker reads by type
//! (`SHT_ARM_EXIDX` with its text section in `sh_link`, `SHT_ARM_ATTRIBUTES`), and the
//! build attributes written when the backend gives none.
//!
//! The model says which section an exception index table indexes by name, as GNU as names
//! them: `.ARM.exidx` indexes `.text`, `.ARM.exidx<NAME>` indexes `<NAME>`
//! (`.ARM.exidx.text.f` indexes `.text.f`); of several sections of that name, the one in the
//! index table's COMDAT group.

use crate::arch::arm::elf::{SHT_ARM_ATTRIBUTES, SHT_ARM_EXIDX};
use crate::error::{Error, Place};
use crate::model::{Object, SectionKind};
use crate::target::Architecture;

/// The name of the build attributes section.
pub(super) const ATTRIBUTES: &str = ".ARM.attributes";

/// The prefix of exception index tables.
const EXIDX: &str = ".ARM.exidx";

/// The Arm section type of a section of this name and kind, if it has one.
pub(super) fn section_type(arch: Architecture, name: &str, kind: SectionKind) -> Option<u32> {
    if arch != Architecture::Arm {
        return None;
    }
    if name.starts_with(EXIDX) && kind == SectionKind::Rodata {
        Some(SHT_ARM_EXIDX)
    } else if name == ATTRIBUTES && kind == SectionKind::Other {
        Some(SHT_ARM_ATTRIBUTES)
    } else {
        None
    }
}

/// Per model section, the model section an exception index table indexes (its `sh_link`);
/// an error for a table whose text section is not in the object.
pub(super) fn exidx_links(obj: &Object) -> Result<Vec<Option<usize>>, Error> {
    let mut links = vec![None; obj.sections.len()];
    if obj.target.arch != Architecture::Arm {
        return Ok(links);
    }
    for (i, s) in obj.sections.iter().enumerate() {
        if section_type(obj.target.arch, &s.name, s.kind) != Some(SHT_ARM_EXIDX) {
            continue;
        }
        let rest = &s.name[EXIDX.len()..];
        let text = if rest.is_empty() { ".text" } else { rest };
        let candidates = || {
            obj.sections
                .iter()
                .enumerate()
                .filter(|(_, t)| t.name == text && t.kind == SectionKind::Text)
        };
        let found = candidates()
            .find(|(_, t)| t.comdat == s.comdat)
            .or_else(|| candidates().next());
        match found {
            Some((k, _)) => links[i] = Some(k),
            None => {
                return Err(Error::invalid(
                    Place::Section(i, Some("name")),
                    format!(
                        "the exception index table {} indexes the text section {text}, which the object does not have",
                        s.name
                    ),
                ))
            }
        }
    }
    Ok(links)
}
