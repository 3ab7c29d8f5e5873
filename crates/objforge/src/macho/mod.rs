//! The Mach-O writer (64-bit `MH_OBJECT`, x86_64 and arm64).
//!
//! File order: `mach_header_64`; the load commands `LC_SEGMENT_64` (one unnamed segment with
//! every `section_64`), `LC_BUILD_VERSION`, `LC_SYMTAB`, `LC_DYSYMTAB`; the section contents,
//! each at the segment's file offset plus the section's address; the relocation entries of
//! each section; the `nlist_64` symbol table; the string table.
//!
//! Sections with contents come first in the segment and zero-filled ones last, so the
//! segment's file size ends where the last contents do. The header says
//! `MH_SUBSECTIONS_VIA_SYMBOLS`: every symbol starts a piece the linker may place or drop on
//! its own.
//!
//! [`Layout::new`] finds every error, numbers every symbol and fixes every offset;
//! [`Layout::emit`](crate::emit::Layout::emit) then writes the file, producing each
//! relocation entry, stored field and `nlist_64` from the model as it goes (a relocation from
//! the short form the layout noted for it, where it has one). Streamed, the front (header,
//! load commands, section contents) goes out while the layout sorts the external symbols.

mod consts;
mod reloc;
mod sections;
mod symtab;

pub(crate) use self::reloc::{check_debug_references, supports};

use self::consts::*;
use self::reloc::{Mapper, RelocationInfo, Shortcuts};
use self::sections::{MachoSection, Sections};
use self::symtab::{is_written, NameOrder, SymbolTable};
use crate::emit::{self, Contents, Layout as _};
use crate::error::{Error, Place};
use crate::groups::RelocGroups;
use crate::model::{Object, SectionData};
use crate::names::{SameNames, Sorting};
use crate::out::{Growing, Out};
use crate::platform::{AppleOs, Platform};
use crate::reloc::RelocKind;
use crate::strtab::{Prefix, StringTable};
use crate::target::Architecture;

/// The number of load commands: segment, build version, symtab, dysymtab.
const NCMDS: u32 = 4;

fn align_to(n: usize, align: usize) -> usize {
    n.div_ceil(align) * align
}

fn cpu(arch: Architecture) -> Option<(u32, u32)> {
    match arch {
        Architecture::X86_64 => Some((CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL)),
        Architecture::Aarch64 => Some((CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL)),
        Architecture::I386
        | Architecture::Riscv64
        | Architecture::S390x
        | Architecture::Ppc64le
        | Architecture::Arm
        | Architecture::Wasm32
        | Architecture::Wasm64 => None,
    }
}

/// `LC_BUILD_VERSION`'s `platform`.
fn platform_number(os: AppleOs) -> u32 {
    match os {
        AppleOs::MacOs => PLATFORM_MACOS,
        AppleOs::Ios => PLATFORM_IOS,
        AppleOs::IosSimulator => PLATFORM_IOSSIMULATOR,
        AppleOs::TvOs => PLATFORM_TVOS,
        AppleOs::TvOsSimulator => PLATFORM_TVOSSIMULATOR,
        AppleOs::WatchOs => PLATFORM_WATCHOS,
        AppleOs::WatchOsSimulator => PLATFORM_WATCHOSSIMULATOR,
        AppleOs::VisionOs => PLATFORM_XROS,
        AppleOs::VisionOsSimulator => PLATFORM_XROS_SIMULATOR,
        AppleOs::MacCatalyst => PLATFORM_MACCATALYST,
        AppleOs::DriverKit => PLATFORM_DRIVERKIT,
    }
}

/// The order a section's relocation entries are written in: by address, highest first (as
/// LLVM writes them, and as ld64.lld reads them fastest), each pair kept together in its
/// order.
enum Descending {
    /// The model has the section's relocations by increasing offset: backwards.
    Reversed,
    /// Otherwise: these model relocations, by decreasing offset (equal ones in model order).
    Sorted(Vec<u32>),
}

/// A Mach-O object laid out: every index, offset and size, ready to be written.
pub(crate) struct Layout<'a> {
    obj: &'a Object,
    cputype: u32,
    cpusubtype: u32,
    platform: Platform,
    sections: Sections,
    symbols: SymbolTable,
    strtab: StringTable<'a>,
    relocs: &'a RelocGroups,
    /// Per model section: the order of its relocation entries, how many there are, and
    /// whether values are stored in its fields (and come by offset).
    order: Vec<Descending>,
    entries: Vec<usize>,
    patched: Vec<Option<bool>>,
    /// The relocations written from a short form ([`Shortcuts`]).
    shortcuts: Shortcuts,
    /// Per `section_64`: (reloff, nreloc).
    reloc_at: Vec<(usize, usize)>,
    sizeofcmds: usize,
    fileoff: usize,
    symoff: usize,
    stroff: usize,
    strsize: usize,
    total: usize,
    /// The front ([`Layout::emit_front`]) went out while laying out.
    front_written: bool,
}

impl<'a> Layout<'a> {
    /// Lays out `obj` (already validated; `names`, `relocs` and whether there is a section
    /// symbol, from validation). Streamed (`write_to`), `front` is the stream: the file's
    /// front goes out while the layout finishes.
    ///
    /// The external symbols come in name order, which the format asks for. Everything else
    /// is laid out against the table in model order (no offset, count or stored value needs
    /// a symbol's index), so for a large file the name sort (the longest part) runs on a
    /// second thread beside the rest, and streamed, beside the front too. Streamed is the
    /// low-memory path: the sort works in place, or holds half its keys at a time.
    pub(crate) fn new(
        obj: &'a Object,
        names: SameNames,
        relocs: &'a RelocGroups,
        section_symbols: bool,
        front: Option<&mut Out>,
    ) -> Result<Layout<'a>, Error> {
        let streamed = front.is_some();
        let in_model_order = || -> Result<_, Error> {
            let mut layout = Layout::in_model_order(obj, names, relocs, section_symbols)?;
            if let Some(out) = front {
                layout.emit_front(out);
                layout.front_written = true;
            }
            Ok(layout)
        };
        if crate::validate::parallel_worth_it(obj) {
            let how = if streamed {
                Sorting::LowMemory
            } else {
                Sorting::OneThread
            };
            let (layout, order) =
                crate::parallel::join(true, in_model_order, || NameOrder::of(obj, how));
            let mut layout = layout?;
            layout.symbols.take_name_order(order);
            Ok(layout)
        } else {
            let mut layout = in_model_order()?;
            let how = if streamed {
                Sorting::LowMemory
            } else {
                Sorting::TwoThreads
            };
            layout.symbols.sort_by_name(obj, how);
            Ok(layout)
        }
    }

    /// Lays out `obj` with the external symbols numbered in model order: every entry, error,
    /// offset and size, ready to be written once they are put in name order.
    fn in_model_order(
        obj: &'a Object,
        names: SameNames,
        relocs: &'a RelocGroups,
        section_symbols: bool,
    ) -> Result<Layout<'a>, Error> {
        let Some((cputype, cpusubtype)) = cpu(obj.target.arch) else {
            return Err(Error::unsupported(
                Place::Target,
                format!(
                    "objforge writes Mach-O for x86_64 and arm64 (aarch64), not {}",
                    obj.target.arch
                ),
            ));
        };
        let platform = obj.options.platform.unwrap_or_default();

        // --- Sections, symbols, relocations.
        let sections = Sections::lay_out(obj)?;
        let starts = reloc::sections_needing_a_start(obj, relocs.kinds(), section_symbols);
        // The symbol and string tables, with the relocation entries counted against the
        // table (counting needs no symbol's index).
        let mut strtab = StringTable::new();
        let prefix = if obj.options.mangle {
            Prefix::Underscore
        } else {
            Prefix::None
        };
        strtab.add_symbol_names(&obj.symbols, names, prefix, |i| {
            obj.symbols.get(i).is_some_and(|s| is_written(s.kind))
        });
        let symbols = SymbolTable::build(
            obj,
            &sections,
            &starts.needs_start,
            &starts.needs_subsections,
            &mut strtab,
        )?;
        strtab.finish();
        let Counted {
            order,
            entries,
            patched,
            shortcuts,
        } = count_entries(obj, relocs, &sections, &symbols)?;

        // --- Layout: every offset and size, once.
        let nsects = sections.list.len();
        let segment_size = SEGMENT_COMMAND_SIZE + nsects * SECTION_SIZE;
        let sizeofcmds =
            segment_size + BUILD_VERSION_SIZE + SYMTAB_COMMAND_SIZE + DYSYMTAB_COMMAND_SIZE;
        let fileoff = HEADER_SIZE + sizeofcmds;
        let too_big = || {
            Error::unsupported(
                Place::Object,
                "the object would pass 4 GiB, the reach of Mach-O's 32-bit file offsets",
            )
        };
        let filesize = usize::try_from(sections.filesize).map_err(|_| too_big())?;
        let mut offset = align_to(fileoff + filesize, 8);
        let mut reloc_at = Vec::with_capacity(nsects);
        for s in &sections.list {
            let n = entries[s.model];
            reloc_at.push(if n == 0 { (0, 0) } else { (offset, n) });
            offset += n * RELOCATION_SIZE;
        }
        let symoff = align_to(offset, 8);
        let stroff = symoff + symbols.count as usize * NLIST_SIZE;
        let strsize = align_to(strtab.size(), 8);
        let total = stroff + strsize;
        if u32::try_from(total).is_err() {
            return Err(too_big());
        }
        Ok(Layout {
            obj,
            cputype,
            cpusubtype,
            platform,
            sections,
            symbols,
            strtab,
            relocs,
            order,
            entries,
            patched,
            shortcuts,
            reloc_at,
            sizeofcmds,
            fileoff,
            symoff,
            stroff,
            strsize,
            total,
            front_written: false,
        })
    }

    fn mapper(&self) -> Mapper<'_> {
        Mapper {
            obj: self.obj,
            sections: &self.sections,
            symbols: &self.symbols,
            kinds: Default::default(),
            shortcuts: Some(&self.shortcuts),
        }
    }

    /// Whether the values stored in model section `k`'s fields are written with its
    /// relocation entries (over its bytes, already written) rather than with its bytes.
    fn patches_with_entries(&self, out: &Out, k: usize) -> bool {
        // A section with values to store but no entries (`secrel32` only) stores them with
        // its bytes: its entries are never written.
        let patched = self.patched.get(k).copied().flatten();
        emit::patches_with_entries(out, patched, self.entries.get(k).copied().unwrap_or(0))
    }

    /// Model section `k`'s contents, with the values stored in its fields unless they come
    /// with the entries.
    fn write_contents(&self, out: &mut Out, k: usize, in_buffer: bool) {
        let Some(s) = self.obj.sections.get(k) else {
            return;
        };
        let patched = if self.patches_with_entries(out, k) {
            None
        } else {
            self.patched.get(k).copied().flatten()
        };
        let contents = if in_buffer {
            Contents::Written(s.data.len() as usize)
        } else {
            Contents::of(&s.data)
        };
        emit::write_contents(
            out,
            contents,
            patched,
            None,
            &self.mapper(),
            self.relocs.of(k),
        );
    }

    /// Model section `k`'s relocation entries, in [`Descending`] order (and the values in its
    /// fields, when they come with the entries).
    fn write_relocations(&self, out: &mut Out, k: usize) {
        let patch_at = self
            .patches_with_entries(out, k)
            .then(|| self.fileoff + self.sections.of_model(k).addr as usize);
        let mapper = self.mapper();
        match self.order.get(k) {
            Some(Descending::Reversed) => emit::write_entries(
                out,
                &mapper,
                self.relocs.of(k).rev(),
                patch_at,
                write_relocation,
            ),
            Some(Descending::Sorted(list)) => {
                let relocs = list.iter().map(|&i| i as usize);
                emit::write_entries(out, &mapper, relocs, patch_at, write_relocation)
            }
            None => {}
        }
    }
}

/// Each model section's relocation entries: how many, whether values are stored in its
/// fields (and by offset), and the order they are written in.
struct Counted {
    order: Vec<Descending>,
    entries: Vec<usize>,
    patched: Vec<Option<bool>>,
    shortcuts: Shortcuts,
}

/// Counts the relocation entries of every model section (and finds every error in them)
/// against `symbols`, which may be numbered in any order.
fn count_entries(
    obj: &Object,
    relocs: &RelocGroups,
    sections: &Sections,
    symbols: &SymbolTable,
) -> Result<Counted, Error> {
    let mapper = Mapper {
        obj,
        sections,
        symbols,
        kinds: Default::default(),
        shortcuts: None,
    };
    let mut shortcuts = Shortcuts::new(obj.relocations.len());
    // Section by section, in order: the first error is the first section's.
    let counts = (0..obj.sections.len())
        .map(|k| mapper.count_noting_shortcuts(relocs.of(k), &mut shortcuts))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Counted {
        order: (0..counts.len())
            .map(|k| descending(obj, relocs, k))
            .collect(),
        entries: counts.iter().map(|c| c.entries).collect(),
        patched: counts.iter().map(|c| c.patched()).collect(),
        shortcuts,
    })
}

/// The order model section `k`'s relocation entries are written in: by descending offset.
fn descending(obj: &Object, relocs: &RelocGroups, k: usize) -> Descending {
    let mut ascending = true;
    let mut prev: Option<u64> = None;
    for i in relocs.of(k) {
        let offset = obj.relocations[i].offset();
        ascending &= prev.is_none_or(|p| p < offset);
        prev = Some(offset);
    }
    if ascending {
        Descending::Reversed
    } else {
        let mut sorted: Vec<u32> = relocs.of(k).map(|i| i as u32).collect();
        sorted.sort_by_key(|&i| std::cmp::Reverse(obj.relocations[i as usize].offset()));
        Descending::Sorted(sorted)
    }
}

impl Layout<'_> {
    /// Writes the header and the load commands.
    fn emit_commands(&self, out: &mut Out) {
        let (sections, symbols) = (&self.sections, &self.symbols);
        let nsects = sections.list.len();
        out.u32(MH_MAGIC_64);
        out.u32(self.cputype);
        out.u32(self.cpusubtype);
        out.u32(MH_OBJECT);
        out.u32(NCMDS);
        out.u32(self.sizeofcmds as u32);
        out.u32(MH_SUBSECTIONS_VIA_SYMBOLS);
        out.u32(0); // reserved

        out.u32(LC_SEGMENT_64);
        out.u32((SEGMENT_COMMAND_SIZE + nsects * SECTION_SIZE) as u32);
        name16(out, ""); // an object's one segment is unnamed
        out.u64(0); // vmaddr
        out.u64(sections.vmsize);
        out.u64(self.fileoff as u64);
        out.u64(sections.filesize);
        out.u32(VM_PROT_ALL); // maxprot
        out.u32(VM_PROT_ALL); // initprot
        out.u32(nsects as u32);
        out.u32(0); // flags
        for (s, &(reloff, nreloc)) in sections.list.iter().zip(&self.reloc_at) {
            write_section_header(out, s, self.fileoff, reloff as u32, nreloc as u32);
        }

        write_build_version(out, &self.platform);

        out.u32(LC_SYMTAB);
        out.u32(SYMTAB_COMMAND_SIZE as u32);
        out.u32(self.symoff as u32);
        out.u32(symbols.count);
        out.u32(self.stroff as u32);
        out.u32(self.strsize as u32);

        out.u32(LC_DYSYMTAB);
        out.u32(DYSYMTAB_COMMAND_SIZE as u32);
        out.u32(0); // ilocalsym
        out.u32(symbols.nlocal);
        out.u32(symbols.nlocal); // iextdefsym
        out.u32(symbols.nextdef);
        out.u32(symbols.nlocal + symbols.nextdef); // iundefsym
        out.u32(symbols.nundef);
        // Table of contents, module table, external references, indirect symbols, external and
        // local relocations: none in an object.
        for _ in 0..12 {
            out.u32(0);
        }
        debug_assert_eq!(out.len(), self.fileoff);
    }

    /// Writes section `s`'s contents at its place in the file (after the padding before it),
    /// or (`in_buffer`) the values stored over them, already there.
    fn emit_contents(&self, out: &mut Out, s: &MachoSection, in_buffer: bool) {
        out.pad_to(self.fileoff + s.addr as usize);
        self.write_contents(out, s.model, in_buffer);
    }

    /// Writes the file's front: the header, the load commands and the section contents (with
    /// the values stored in their fields, unless they come with the entries), which need no
    /// symbol's index.
    fn emit_front(&self, out: &mut Out) {
        self.emit_commands(out);
        for s in self.sections.list.iter().filter(|s| !s.zero_fill) {
            self.emit_contents(out, s, false);
        }
    }

    /// The `nlist_64` entries.
    fn emit_symbol_table(&self, out: &mut Out) {
        self.symbols
            .write(out, self.obj, &self.sections, &self.strtab);
    }

    /// The string table, padded to the file's end.
    fn emit_string_table(&self, out: &mut Out) {
        self.strtab.emit(out);
        out.pad_to(self.total);
    }

    /// Whether writing model section `k`'s relocation entries reads its bytes: an x86-64 GOT
    /// load's entry depends on the instruction before its field, unless it has a short form
    /// (learned while the bytes were there).
    fn entries_read_bytes(&self, k: usize) -> bool {
        self.relocs.of(k).any(|i| {
            self.obj.relocations[i].kind() == RelocKind::X86GotPcrel32 && !self.shortcuts.has(i)
        })
    }

    /// The same layout over `obj`, which holds the same model, less the parts already written
    /// ([`into_bytes`]).
    fn rebind<'b>(self, obj: &'b Object, relocs: &'b RelocGroups) -> Layout<'b> {
        Layout {
            obj,
            cputype: self.cputype,
            cpusubtype: self.cpusubtype,
            platform: self.platform,
            sections: self.sections,
            symbols: self.symbols,
            strtab: self.strtab.rebind(&obj.symbols),
            relocs,
            order: self.order,
            entries: self.entries,
            patched: self.patched,
            shortcuts: self.shortcuts,
            reloc_at: self.reloc_at,
            sizeofcmds: self.sizeofcmds,
            fileoff: self.fileoff,
            symoff: self.symoff,
            stroff: self.stroff,
            strsize: self.strsize,
            total: self.total,
            front_written: self.front_written,
        }
    }
}

/// Writes `obj` (validated: `names`, `relocs` and whether there is a section symbol) as
/// [`crate::emit::Layout::emit`] does, a part at a time, freeing each section's bytes once they
/// are written and the relocations once their entries are: the consuming write
/// ([`crate::Object::into_bytes`]).
pub(crate) fn into_bytes(
    mut obj: Object,
    names: SameNames,
    relocs: RelocGroups,
    section_symbols: bool,
) -> Result<Vec<u8>, Error> {
    // What the layout refers to while a part of `obj` is freed.
    let parked_on = Object::new(obj.target.clone());
    let mut layout = Layout::new(&obj, names, &relocs, section_symbols, None)?;
    // Per model section: its bytes are kept until its entries are written.
    let kept: Vec<bool> = (0..obj.sections.len())
        .map(|k| layout.entries_read_bytes(k))
        .collect();
    // The largest section's own vector becomes the file's buffer (`Growing::reusing`), unless
    // its bytes are kept.
    let reused = (layout.sections.list.iter())
        .filter(|s| !s.zero_fill && !kept[s.model])
        .filter(|s| matches!(obj.sections[s.model].data, SectionData::Bytes(_)))
        .max_by_key(|s| s.size)
        .map(|s| (s.model, layout.fileoff + s.addr as usize));
    let mut file = match reused {
        Some((model, at)) => {
            let parked = layout.rebind(&parked_on, &relocs);
            let bytes = obj.take_section_bytes(model);
            layout = parked.rebind(&obj, &relocs);
            Growing::reusing(bytes, at, layout.total, false)?
        }
        None => Growing::new(layout.total, false)?,
    };
    file.part(layout.fileoff, |out| layout.emit_commands(out))?;
    for i in 0..layout.sections.list.len() {
        let s = &layout.sections.list[i];
        if s.zero_fill {
            continue;
        }
        let (end, model) = (layout.fileoff + (s.addr + s.size) as usize, s.model);
        let in_buffer = reused.is_some_and(|(m, _)| m == model);
        file.part(end, |out| layout.emit_contents(out, s, in_buffer))?;
        if !kept[model] {
            let parked = layout.rebind(&parked_on, &relocs);
            obj.free_section_bytes(model);
            layout = parked.rebind(&obj, &relocs);
        }
    }
    layout.front_written = true;
    file.part(layout.symoff, |out| layout.emit_head(out))?;
    let parked = layout.rebind(&parked_on, &relocs);
    obj.free_all_but_symbols();
    let layout = parked.rebind(&obj, &relocs);
    file.part_beside(
        layout.stroff,
        layout.total,
        |out| layout.emit_symbol_table(out),
        |out| layout.emit_string_table(out),
    )?;
    Ok(file.into_vec())
}

impl crate::emit::Layout for Layout<'_> {
    fn size(&self) -> usize {
        self.total
    }

    fn big_endian(&self) -> bool {
        false
    }

    fn emit_head(&self, out: &mut Out) {
        if !self.front_written {
            self.emit_front(out);
        }
        out.pad_to(align_to(out.len(), 8));
        for s in &self.sections.list {
            if self.entries.get(s.model).is_some_and(|&n| n > 0) {
                self.write_relocations(out, s.model);
            }
        }

        out.pad_to(self.symoff);
    }

    fn tail(&self) -> Option<usize> {
        Some(self.symoff)
    }

    /// The symbol table and the string table.
    fn emit_tail(&self, out: &mut Out) {
        self.emit_symbol_table(out);
        self.emit_string_table(out);
    }
}

/// A segment or section name: the bytes, zero-padded to 16 (checked to fit when mapped).
fn name16(out: &mut Out, name: &str) {
    let bytes = name.as_bytes();
    let n = bytes.len().min(NAME_SIZE);
    out.bytes(&bytes[..n]);
    out.bytes(&[0; NAME_SIZE][n..]);
}

fn write_section_header(out: &mut Out, s: &MachoSection, fileoff: usize, reloff: u32, nreloc: u32) {
    name16(out, &s.sectname);
    name16(out, &s.segname);
    out.u64(s.addr);
    out.u64(s.size);
    out.u32(if s.zero_fill {
        0
    } else {
        (fileoff as u64 + s.addr) as u32
    });
    out.u32(s.align_log2);
    out.u32(reloff);
    out.u32(nreloc);
    out.u32(s.flags);
    out.u32(0); // reserved1
    out.u32(0); // reserved2
    out.u32(0); // reserved3
}

fn write_build_version(out: &mut Out, platform: &Platform) {
    out.u32(LC_BUILD_VERSION);
    out.u32(BUILD_VERSION_SIZE as u32);
    out.u32(platform_number(platform.os));
    out.u32(platform.min.packed());
    out.u32(platform.sdk.packed());
    out.u32(0); // ntools
}

fn write_relocation(out: &mut Out, e: RelocationInfo) {
    out.record(RELOCATION_SIZE).u32(e.address).u32(e.info);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Binding, Relocation, Section, SectionKind, Symbol, SymbolKind};
    use crate::reloc::ALL_KINDS;
    use crate::target::Target;

    /// `obj` written in memory and streamed, with the layout's short forms or (`shortcuts`
    /// false) every relocation mapped in full; and how many relocations had a short form.
    fn written(obj: &Object, shortcuts: bool) -> Result<([Vec<u8>; 2], usize), Error> {
        let v = crate::validate::validate(obj, check_debug_references)?;
        let mut layout = Layout::new(obj, v.names, &v.relocs, v.section_symbols, None)?;
        let short = layout.shortcuts.count();
        if !shortcuts {
            layout.shortcuts = Shortcuts::new(obj.relocations.len());
        }
        let mut in_memory = Out::in_memory(false);
        layout.emit(&mut in_memory);
        let mut streamed = Vec::new();
        let mut out = Out::stream(&mut streamed, false);
        layout.emit(&mut out);
        out.finish()?;
        Ok(([in_memory.into_vec(), streamed], short))
    }

    /// An object with code, data and symbols of each kind, and relocations of every kind the
    /// target writes, with addends, against each symbol, in a shuffled order: whichever of
    /// them write.
    fn object(triple: &str) -> Object {
        let build = |relocs: &[(RelocKind, i64, usize, usize)]| {
            let mut obj = Object::new(Target::from_triple(triple).unwrap());
            // A `movq` GOT load before each 16-byte slot's field on x86_64.
            let code = [0x48, 0x8b, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].repeat(200);
            let text = obj.add_section(
                Section::new(".text", SectionKind::Text)
                    .with_align(16)
                    .with_bytes(code),
            );
            let data = obj.add_section(
                Section::new(".data", SectionKind::Data)
                    .with_align(8)
                    .with_bytes(vec![0; 16 * 200]),
            );
            let symbols = [
                obj.add_symbol(
                    Symbol::defined("f", text, 0)
                        .with_kind(SymbolKind::Func)
                        .with_binding(Binding::Global),
                ),
                obj.add_symbol(Symbol::defined("local_label", text, 16)),
                obj.add_symbol(Symbol::defined("g", data, 8).with_binding(Binding::Global)),
                obj.add_symbol(Symbol::defined("local_data", data, 16)),
                obj.add_symbol(Symbol::undefined("ext")),
                obj.add_symbol(Symbol::undefined("weak_ext").with_binding(Binding::Weak)),
            ];
            let sections = [text, data];
            for (k, &(kind, addend, section, target)) in relocs.iter().enumerate() {
                // Slots spread over the section, not in order.
                let slot = (k * 37 % 199 + 1) as u64 * 16;
                let at = slot
                    + match kind {
                        RelocKind::X86GotPcrel32 | RelocKind::X86Branch32 => 3,
                        _ => 0,
                    };
                let mut r = Relocation::new(sections[section], at, symbols[target], kind)
                    .with_addend(addend);
                if kind.is_diff() {
                    r.set_minus(Some(symbols[if section == 0 { 0 } else { 2 }]));
                }
                obj.add_relocation(r);
            }
            obj
        };
        let mut relocs = Vec::new();
        for &kind in ALL_KINDS {
            for section in [0, 1] {
                for target in 0..6 {
                    for addend in [0, 8, -4] {
                        let one = [(kind, addend, section, target)];
                        if build(&one).write().is_ok() && relocs.len() < 199 {
                            relocs.push(one[0]);
                        }
                    }
                }
            }
        }
        build(&relocs)
    }

    #[test]
    fn short_forms_write_what_the_full_mapping_writes() {
        for triple in ["x86_64-apple-macos", "arm64-apple-macos"] {
            let obj = object(triple);
            let (short, count) = written(&obj, true).unwrap_or_else(|e| panic!("{triple}: {e}"));
            let (full, _) = written(&obj, false).unwrap_or_else(|e| panic!("{triple}: {e}"));
            // Both kinds of relocation are there.
            assert!(
                count > 10 && count + 10 < obj.relocations.len(),
                "{triple}: {count} of {}",
                obj.relocations.len()
            );
            assert!(short == full, "{triple}");
            assert_eq!(short[0], short[1], "{triple}: streamed");
        }
    }
}
