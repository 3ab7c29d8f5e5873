//! The entry points from the model to bytes: validate, lay the file out in the target's
//! format (every offset and size, and every error the model can cause, found here), then emit
//! it front to back — into one buffer of the final size ([`write()`]) or straight into a
//! `std::io::Write` ([`write_to`]).

use std::io::Write;

use crate::emit::Layout;
use crate::error::Error;
use crate::model::Object;
use crate::out::{Out, PARALLEL_TAIL};
use crate::target::{Endianness, Format};
use crate::validate::{FormatRules, Validated};

/// The rules of `format` that validation runs among the format-neutral ones.
fn format_rules(format: Format) -> FormatRules {
    match format {
        Format::MachO => crate::macho::check_debug_references,
        Format::Elf | Format::Coff | Format::Wasm => |_| Ok(()),
    }
}

/// Where the file goes as it is laid out: to a stream, to which a layout may write the file's
/// front while it finishes, or (`()`) nowhere yet, to be written in memory once laid out.
trait Destination<'w> {
    fn stream(&mut self) -> Option<&mut Out<'w>>;
}

impl<'w> Destination<'w> for () {
    fn stream(&mut self) -> Option<&mut Out<'w>> {
        None
    }
}

impl<'w> Destination<'w> for Out<'w> {
    fn stream(&mut self) -> Option<&mut Out<'w>> {
        Some(self)
    }
}

/// Validates `obj`, lays it out in its target's format for `to` and hands the layout and
/// `to` to `go`.
fn with_layout<'w, D: Destination<'w>, T>(
    obj: &Object,
    to: &mut D,
    go: impl FnOnce(&(dyn Layout + Sync), &mut D) -> Result<T, Error>,
) -> Result<T, Error> {
    let rules = format_rules(obj.target.format);
    // Unwind entries become sections, symbols and relocations of a copy, which is written.
    let lowered;
    let obj = if obj.unwind.is_empty() {
        obj
    } else {
        crate::validate::validate(obj, rules)?;
        lowered = crate::unwind::lower(obj)?;
        &lowered
    };
    // The writers take the names by value: they need them only while laying out.
    let Validated {
        names,
        relocs,
        section_symbols,
    } = crate::validate::validate(obj, rules)?;
    match obj.target.format {
        Format::Elf => go(&crate::elf::Layout::new(obj, names, &relocs)?, to),
        Format::Coff => go(&crate::coff::Layout::new(obj, names, &relocs)?, to),
        Format::MachO => {
            let front = to.stream();
            let layout = crate::macho::Layout::new(obj, names, &relocs, section_symbols, front)?;
            go(&layout, to)
        }
        Format::Wasm => go(&crate::wasm::Layout::new(obj)?, to),
    }
}

/// Validates `obj` and writes it in its target's format, into a buffer of the final size.
pub(crate) fn write(obj: &Object) -> Result<Vec<u8>, Error> {
    with_layout(obj, &mut (), |layout, ()| {
        let (size, big_endian) = (layout.size(), layout.big_endian());
        let mut file = crate::out::zeroed(size)?;
        let worth_it = |at: usize| cfg!(debug_assertions) || size - at >= PARALLEL_TAIL;
        let written = match layout.tail().filter(|&at| worth_it(at) && at <= size) {
            // The symbol and string tables are written beside the rest, each part in place.
            Some(at) => {
                let (head, tail) = file.split_at_mut(at);
                let (head_end, end) = crate::parallel::join(
                    true,
                    || {
                        let mut out = Out::in_place(head, 0, big_endian);
                        layout.emit_head(&mut out);
                        out.len()
                    },
                    || {
                        let mut out = Out::in_place(tail, at, big_endian);
                        layout.emit_tail(&mut out);
                        out.len()
                    },
                );
                debug_assert_eq!(head_end, at, "head written != laid out");
                let mut out = Out::in_place(&mut file, 0, big_endian);
                out.skip_to(end);
                layout.finish_tail(&mut out);
                out.len()
            }
            None => {
                let mut out = Out::in_place(&mut file, 0, big_endian);
                layout.emit(&mut out);
                out.len()
            }
        };
        debug_assert_eq!(written, size, "written != laid out");
        Ok(file)
    })
}

/// Validates `obj` and writes it in its target's format, freeing each part of the model once
/// it is written (ELF, Mach-O, COFF; a Wasm module is written whole, then freed).
pub(crate) fn into_bytes(obj: Object) -> Result<Vec<u8>, Error> {
    let rules = format_rules(obj.target.format);
    let mut obj = if obj.unwind.is_empty() {
        obj
    } else {
        crate::validate::validate(&obj, rules)?;
        let lowered = crate::unwind::lower(&obj)?;
        drop(obj);
        lowered
    };
    // A Wasm module is written whole, and validated there once.
    if obj.target.format == Format::Wasm {
        return write(&obj);
    }
    let Validated {
        names,
        relocs,
        section_symbols,
    } = crate::validate::validate(&obj, rules)?;
    obj.release_room();
    match obj.target.format {
        Format::MachO => crate::macho::into_bytes(obj, names, relocs, section_symbols),
        Format::Elf => crate::elf::into_bytes(obj, names, relocs),
        Format::Coff => crate::coff::into_bytes(obj, names, relocs),
        Format::Wasm => write(&obj),
    }
}

/// Validates `obj` and writes it in its target's format to `stream`, a chunk at a time. Every
/// error in the model is found before the first byte goes out.
pub(crate) fn write_to(obj: &Object, stream: &mut dyn Write) -> Result<(), Error> {
    let mut out = Out::stream(stream, obj.target.endianness == Endianness::Big);
    with_layout(obj, &mut out, |layout, out| {
        debug_assert_eq!(out.big_endian(), layout.big_endian());
        // The layout may have written the file's front already.
        layout.emit(out);
        debug_assert_eq!(out.len(), layout.size(), "written != laid out");
        out.finish()
    })
}
