//! The COFF writer: relocatable objects (`IMAGE_FILE_HEADER`, or the bigobj header) for
//! x86_64 (AMD64), i386 and arm64, as link.exe, lld-link and MinGW ld read them.
//!
//! This file reads top to bottom as the file it writes:
//!
//! ```text
//! IMAGE_FILE_HEADER            (ANON_OBJECT_HEADER_BIGOBJ past 65,279 sections, or when asked)
//! IMAGE_SECTION_HEADER         one per section: the backend's, then `.drectve` from the options
//! per section                  its raw data (addends stored in place), then its IMAGE_RELOCATIONs
//! symbol table                 IMAGE_SYMBOL (IMAGE_SYMBOL_EX in bigobj) with auxiliary records
//! string table                 its size, then the long names
//! ```
//!
//! [`Layout::new`] computes the layout once and finds every error; then
//! [`Layout::emit`](crate::emit::Layout::emit) writes every part in file order, producing
//! each relocation entry, stored addend and symbol record from the model as it goes.
//! [`comdat`] decides the COMDAT leaders and selections, [`symtab`] numbers the symbol table,
//! [`reloc`] maps relocations and computes the addends stored in place.

mod comdat;
mod consts;
mod reloc;
mod symtab;

pub(crate) use reloc::supports;

use comdat::Comdats;
use consts::*;
use reloc::Mapper;
use symtab::{Aux, Name, SymbolRecord, SymbolTable};

use crate::crc::Crc;
use crate::emit;
use crate::error::{Error, Place};
use crate::groups::RelocGroups;
use crate::model::{Object, Section, SectionData, SectionKind, SymbolDefinition, SymbolKind};
use crate::names::SameNames;
use crate::out::{Growing, Out};
use crate::strtab::StringTable;
use crate::target::Architecture;
use std::sync::atomic::{AtomicU32, Ordering};

/// What a section header's raw data is.
#[derive(Clone, Copy)]
enum Contents<'a> {
    /// These bytes (the relocated fields get their addends on the way out).
    Bytes(&'a [u8]),
    /// This many zero bytes, in the file.
    Zeros(usize),
    /// Uninitialized data: a size, no file space (`.bss`).
    Uninitialized,
    /// The `.drectve` text objforge makes from the options.
    Directives,
}

/// One `IMAGE_SECTION_HEADER`, with what follows it in the file.
struct SectionHeader<'a> {
    name: Name,
    contents: Contents<'a>,
    size_of_raw_data: u32,
    pointer_to_raw_data: u32,
    pointer_to_relocations: u32,
    /// Relocation entries, without the overflow entry.
    relocation_count: usize,
    /// Whether addends are stored in its fields, and come by offset.
    patched: Option<bool>,
    characteristics: u32,
    /// `IMAGE_COMDAT_SELECT_*`, 0 for a section that is not a COMDAT.
    selection: u8,
    /// 1-based number of the section an associative COMDAT follows; 0 otherwise.
    associated: u32,
}

impl SectionHeader<'_> {
    fn overflows(&self) -> bool {
        self.relocation_count >= MAX_RELOCATIONS
    }

    /// Relocation entries in the file: the overflow form adds one holding the count.
    fn entries_in_file(&self) -> usize {
        self.relocation_count + usize::from(self.overflows())
    }
}

/// The header sizes that differ between the two headers.
struct Shape {
    bigobj: bool,
    /// Bytes of each symbol record and each auxiliary record.
    record_size: usize,
}

/// A COFF object laid out: every offset, ready to be written.
pub(crate) struct Layout<'a> {
    obj: &'a Object,
    machine: u16,
    shape: Shape,
    comdats: Comdats<'a>,
    symbols: SymbolTable,
    strtab: StringTable<'a>,
    relocs: &'a RelocGroups,
    headers: Vec<SectionHeader<'a>>,
    /// The `.drectve` text from the options, if any.
    drectve: Option<Vec<u8>>,
    pointer_to_symbol_table: u32,
    string_table_size: usize,
    total: usize,
    /// Each section's checksum, found as its bytes are written (by [`Layout::emit_head`],
    /// which may run beside [`Layout::emit_tail`]: the section definitions in the symbol
    /// table get them then, or from [`Layout::finish_tail`]).
    checksums: Vec<AtomicU32>,
}

impl<'a> Layout<'a> {
    /// Lays out `obj` (already validated; `names` and `relocs` from validation).
    pub(crate) fn new(
        obj: &'a Object,
        names: SameNames,
        relocs: &'a RelocGroups,
    ) -> Result<Layout<'a>, Error> {
        let machine = machine(obj.target.arch)?;
        for (i, s) in obj.sections.iter().enumerate() {
            check_section(i, s)?;
        }

        // --- Sections: the backend's, then `.drectve` from the options.
        let drectve = drectve(obj)?;
        let mut section_names: Vec<&str> = obj.sections.iter().map(|s| s.name.as_str()).collect();
        if drectve.is_some() {
            section_names.push(DRECTVE_NAME);
        }
        let bigobj = obj.options.bigobj || section_names.len() > MAX_SECTIONS;
        if section_names.len() > i32::MAX as usize {
            return Err(Error::unsupported(
                Place::Object,
                format!(
                    "{} sections are more than COFF numbers",
                    section_names.len()
                ),
            ));
        }
        let shape = Shape {
            bigobj,
            record_size: if bigobj {
                SYMBOL_SIZE_BIGOBJ
            } else {
                SYMBOL_SIZE
            },
        };

        // --- COMDATs, symbols, relocations: the symbol and string tables on this thread,
        // the relocation entries counted beside them (counting needs no symbol's index).
        let comdats = comdat::plan(obj)?;
        let (tables, counts) = crate::parallel::join(
            crate::validate::parallel_worth_it(obj),
            || -> Result<_, Error> {
                let mut strtab = StringTable::new();
                let prefix = symtab::prefix(obj);
                strtab.add_symbol_names(&obj.symbols, names, prefix, |i| {
                    obj.symbols.get(i).is_some_and(|s| {
                        !matches!(s.kind, SymbolKind::File | SymbolKind::Section)
                            && Name::is_long(prefix, s)
                    })
                });
                let symbols = SymbolTable::build(
                    obj,
                    &comdats,
                    &section_names,
                    &mut strtab,
                    shape.record_size,
                )?;
                strtab.finish();
                Ok((symbols, strtab))
            },
            || {
                let counting = Mapper {
                    obj,
                    symbols: None,
                    kinds: Default::default(),
                };
                emit::count_sections(&counting, relocs, obj.sections.len())
            },
        );
        let (symbols, strtab) = tables?;
        let counts = counts?;

        // --- Section headers.
        let mut headers: Vec<SectionHeader> = Vec::with_capacity(section_names.len());
        for ((i, s), count) in obj.sections.iter().enumerate().zip(counts) {
            let (contents, size) = match (&s.data, s.kind) {
                (SectionData::Zero(n), SectionKind::Bss) => (Contents::Uninitialized, *n),
                (SectionData::Zero(n), _) => (Contents::Zeros(*n as usize), *n),
                (SectionData::Bytes(b), _) => (Contents::Bytes(b), b.len() as u64),
            };
            let relocation_count = count.entries;
            let mut characteristics = characteristics(s) | align_flag(s.align);
            let selection = comdats.selection.get(i).copied().unwrap_or(0);
            if selection != 0 {
                characteristics |= IMAGE_SCN_LNK_COMDAT;
            }
            if relocation_count >= MAX_RELOCATIONS {
                characteristics |= IMAGE_SCN_LNK_NRELOC_OVFL;
            }
            headers.push(SectionHeader {
                name: symbols
                    .section_names
                    .get(i)
                    .copied()
                    .unwrap_or(Name::Short([0; 8])),
                contents,
                // Checked against u32::MAX by `check_section`.
                size_of_raw_data: size as u32,
                pointer_to_raw_data: 0,
                pointer_to_relocations: 0,
                relocation_count,
                patched: count.patched(),
                characteristics,
                selection,
                associated: comdats
                    .associated
                    .get(i)
                    .copied()
                    .flatten()
                    .map_or(0, |a| a as u32 + 1),
            });
        }
        if let Some(text) = &drectve {
            headers.push(SectionHeader {
                name: symbols
                    .section_names
                    .get(obj.sections.len())
                    .copied()
                    .unwrap_or(Name::Short([0; 8])),
                contents: Contents::Directives,
                size_of_raw_data: text.len() as u32,
                pointer_to_raw_data: 0,
                pointer_to_relocations: 0,
                relocation_count: 0,
                patched: None,
                characteristics: IMAGE_SCN_LNK_INFO | IMAGE_SCN_LNK_REMOVE | IMAGE_SCN_ALIGN_1BYTES,
                selection: 0,
                associated: 0,
            });
        }

        // --- Layout: every offset, once.
        let mut offset = headers_size(&shape, headers.len());
        for h in &mut headers {
            let in_file = match h.contents {
                Contents::Uninitialized => 0,
                _ => h.size_of_raw_data as usize,
            };
            if in_file > 0 {
                h.pointer_to_raw_data = file_offset(offset)?;
                offset += in_file;
            }
            if h.relocation_count > 0 {
                h.pointer_to_relocations = file_offset(offset)?;
                offset += h.entries_in_file() * RELOCATION_SIZE;
            }
        }
        let pointer_to_symbol_table = file_offset(offset)?;
        offset += symbols.number_of_symbols as usize * shape.record_size;
        let string_table_size = STRING_TABLE_SIZE_FIELD as usize + strtab.size();
        let total = offset + string_table_size;
        if u32::try_from(string_table_size).is_err() {
            return Err(Error::unsupported(
                Place::Object,
                "the string table would pass 4 GiB, the most COFF counts",
            ));
        }
        let checksums = headers.iter().map(|_| AtomicU32::new(0)).collect();
        Ok(Layout {
            obj,
            machine,
            shape,
            comdats,
            symbols,
            strtab,
            relocs,
            headers,
            drectve,
            pointer_to_symbol_table,
            string_table_size,
            total,
            checksums,
        })
    }

    fn mapper(&self) -> Mapper<'_> {
        Mapper {
            obj: self.obj,
            symbols: Some(&self.symbols),
            kinds: Default::default(),
        }
    }

    /// Whether section `k`'s addends are written with its relocation entries (over its raw
    /// data, already written) rather than with its raw data.
    fn patches_with_entries(out: &Out, h: &SectionHeader) -> bool {
        emit::patches_with_entries(out, h.patched, h.relocation_count)
    }

    /// Section `k`'s raw data, with the addends stored in place unless they come with the
    /// entries; streamed, returns its checksum (valid only when they do not). With the whole
    /// file in memory the checksums are taken afterwards ([`Layout::checksum_sections`]).
    /// `in_buffer`: the bytes are in the file's buffer at their place already.
    fn write_contents(&self, out: &mut Out, k: usize, h: &SectionHeader, in_buffer: bool) -> u32 {
        let contents = match h.contents {
            Contents::Bytes(_) if in_buffer => emit::Contents::Written(h.size_of_raw_data as usize),
            Contents::Bytes(b) => emit::Contents::Bytes(b),
            Contents::Directives => emit::Contents::Bytes(self.drectve.as_deref().unwrap_or(&[])),
            // Zeros have a checksum of 0: the CRC starts at 0 and is not inverted.
            Contents::Zeros(n) => emit::Contents::Zeros(n),
            Contents::Uninitialized => return 0,
        };
        let mut crc = Crc::default();
        let patched = if Self::patches_with_entries(out, h) {
            None
        } else {
            h.patched
        };
        let relocs = self.relocs.of(k);
        let streamed = !out.holds_file();
        emit::write_contents(
            out,
            contents,
            patched,
            streamed.then_some(&mut crc),
            &self.mapper(),
            relocs,
        );
        crc.value()
    }

    /// Every section's checksum, from its raw data as written (the whole file in memory):
    /// long ones on two threads ([`crate::crc::checksum`]).
    fn checksum_sections(&self, out: &Out) {
        for (h, checksum) in self.headers.iter().zip(&self.checksums) {
            let crc = match h.contents {
                Contents::Uninitialized => 0,
                _ if h.pointer_to_raw_data == 0 => 0,
                Contents::Zeros(_) if h.patched.is_none() => 0,
                _ => {
                    let start = h.pointer_to_raw_data as usize;
                    out.crc_of(start..start + h.size_of_raw_data as usize)
                }
            };
            checksum.store(crc, Ordering::Relaxed);
        }
    }

    /// Section `k`'s relocation entries (after the overflow entry, if it has one), with its
    /// addends over its raw data (already written at `start`) when they come with them.
    fn write_relocations(&self, out: &mut Out, k: usize, h: &SectionHeader, start: usize) {
        if h.overflows() {
            // The real count, this entry included, in the first entry's VirtualAddress.
            out.u32(h.entries_in_file() as u32);
            out.u32(0);
            out.u16(0);
        }
        let patch_at = Self::patches_with_entries(out, h).then_some(start);
        let relocs = self.relocs.of(k);
        emit::write_entries(out, &self.mapper(), relocs, patch_at, |out, e| {
            out.record(RELOCATION_SIZE)
                .u32(e.virtual_address)
                .u32(e.symbol_table_index)
                .u16(e.type_);
        });
    }
}

impl Layout<'_> {
    /// The file header and the section headers.
    fn emit_headers(&self, out: &mut Out) {
        write_file_header(
            out,
            &self.shape,
            self.machine,
            self.headers.len() as u32,
            self.pointer_to_symbol_table,
            self.symbols.number_of_symbols,
        );
        for h in &self.headers {
            write_section_header(out, &self.strtab, h);
        }
    }

    /// Section `k`'s raw data, if it has any in the file. Streamed, its checksum is taken as
    /// its bytes go out; with the whole file in memory, after the head
    /// ([`Layout::checksum_sections`]).
    fn emit_raw_data(&self, out: &mut Out, k: usize, in_buffer: bool) {
        let Some(h) = self.headers.get(k) else {
            return;
        };
        if h.pointer_to_raw_data != 0 {
            debug_assert_eq!(out.len(), h.pointer_to_raw_data as usize);
            let crc = self.write_contents(out, k, h, in_buffer);
            if !out.holds_file() {
                self.checksums[k].store(crc, Ordering::Relaxed);
            }
        }
    }

    /// Section `k`'s relocation entries, if it has any.
    fn emit_relocations(&self, out: &mut Out, k: usize) {
        let Some(h) = self.headers.get(k) else {
            return;
        };
        if h.relocation_count > 0 {
            debug_assert_eq!(out.len(), h.pointer_to_relocations as usize);
            self.write_relocations(out, k, h, h.pointer_to_raw_data as usize);
        }
    }

    /// The symbol table.
    fn emit_symbol_table(&self, out: &mut Out) {
        let headers = &self.headers;
        let checksums: Vec<u32> = (self.checksums.iter())
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        self.symbols
            .walk(self.obj, &self.comdats, true, |_, _, record| {
                write_symbol(out, &self.shape, &self.strtab, headers, &checksums, &record);
            });
    }

    /// The string table, after its size.
    fn emit_string_table(&self, out: &mut Out) {
        out.u32(self.string_table_size as u32);
        self.strtab.emit(out);
    }

    /// The same layout over `obj`, which holds the same model, less the parts already written
    /// ([`into_bytes`]).
    fn rebind<'b>(self, obj: &'b Object, relocs: &'b RelocGroups) -> Layout<'b> {
        let headers = (self.headers.into_iter().enumerate())
            .map(|(k, h)| SectionHeader {
                contents: match h.contents {
                    Contents::Bytes(_) => Contents::Bytes(match obj.sections.get(k) {
                        Some(Section {
                            data: SectionData::Bytes(b),
                            ..
                        }) => b,
                        _ => &[],
                    }),
                    Contents::Zeros(n) => Contents::Zeros(n),
                    Contents::Uninitialized => Contents::Uninitialized,
                    Contents::Directives => Contents::Directives,
                },
                name: h.name,
                size_of_raw_data: h.size_of_raw_data,
                pointer_to_raw_data: h.pointer_to_raw_data,
                pointer_to_relocations: h.pointer_to_relocations,
                relocation_count: h.relocation_count,
                patched: h.patched,
                characteristics: h.characteristics,
                selection: h.selection,
                associated: h.associated,
            })
            .collect();
        Layout {
            obj,
            machine: self.machine,
            shape: self.shape,
            comdats: self.comdats.rebind(obj),
            symbols: self.symbols,
            strtab: self.strtab.rebind(&obj.symbols),
            relocs,
            headers,
            drectve: self.drectve,
            pointer_to_symbol_table: self.pointer_to_symbol_table,
            string_table_size: self.string_table_size,
            total: self.total,
            checksums: self.checksums,
        }
    }
}

/// Writes `obj` (validated: `names`, `relocs`) as [`crate::emit::Layout::emit`] does, a part
/// at a time, freeing each section's raw data once it is written and the relocations once
/// their entries are: the consuming write ([`crate::Object::into_bytes`]).
pub(crate) fn into_bytes(
    mut obj: Object,
    names: SameNames,
    relocs: RelocGroups,
) -> Result<Vec<u8>, Error> {
    // What the layout refers to while a part of `obj` is freed.
    let parked_on = Object::new(obj.target.clone());
    let mut layout = Layout::new(&obj, names, &relocs)?;
    // An ARM64 entry checks the instruction in its field (a load's access size), so there a
    // section's raw data is kept until its entries are written.
    let entries_read_data = obj.target.arch == Architecture::Aarch64;
    // Elsewhere the largest section's own vector becomes the file's buffer
    // (`Growing::reusing`).
    let reused = (layout.headers.iter().enumerate())
        .filter(|(k, h)| {
            !entries_read_data
                && h.pointer_to_raw_data != 0
                && matches!(h.contents, Contents::Bytes(_))
                && *k < obj.sections.len()
        })
        .max_by_key(|(_, h)| h.size_of_raw_data)
        .map(|(k, h)| (k, h.pointer_to_raw_data as usize));
    let mut file = match reused {
        Some((k, at)) => {
            let parked = layout.rebind(&parked_on, &relocs);
            let bytes = obj.take_section_bytes(k);
            layout = parked.rebind(&obj, &relocs);
            Growing::reusing(bytes, at, layout.total, false)?
        }
        None => Growing::new(layout.total, false)?,
    };
    let headers_end = headers_size(&layout.shape, layout.headers.len());
    file.part(headers_end, |out| layout.emit_headers(out))?;
    for k in 0..layout.headers.len() {
        for entries in [false, true] {
            let h = &layout.headers[k];
            if !entries && h.pointer_to_raw_data != 0 {
                let end = (h.pointer_to_raw_data + h.size_of_raw_data) as usize;
                let in_buffer = reused.is_some_and(|(r, _)| r == k);
                file.part(end, |out| layout.emit_raw_data(out, k, in_buffer))?;
            }
            if entries && h.relocation_count > 0 {
                let end = h.pointer_to_relocations as usize + h.entries_in_file() * RELOCATION_SIZE;
                file.part(end, |out| layout.emit_relocations(out, k))?;
            }
            if entries == entries_read_data {
                let parked = layout.rebind(&parked_on, &relocs);
                obj.free_section_bytes(k);
                layout = parked.rebind(&obj, &relocs);
            }
        }
    }
    let parked = layout.rebind(&parked_on, &relocs);
    obj.free_all_but_symbols();
    let layout = parked.rebind(&obj, &relocs);
    let head_end = layout.pointer_to_symbol_table as usize;
    file.part(head_end, |out| layout.checksum_sections(out))?;
    let string_table = layout.total - layout.string_table_size;
    file.part_beside(
        string_table,
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
        self.emit_headers(out);
        for k in 0..self.headers.len() {
            self.emit_raw_data(out, k, false);
            self.emit_relocations(out, k);
        }
        debug_assert_eq!(out.len(), self.pointer_to_symbol_table as usize);
    }

    fn emit(&self, out: &mut Out) {
        self.emit_head(out);
        if out.holds_file() {
            self.checksum_sections(out);
        }
        self.emit_tail(out);
    }

    fn tail(&self) -> Option<usize> {
        Some(self.pointer_to_symbol_table as usize)
    }

    /// The symbol table and the string table.
    fn emit_tail(&self, out: &mut Out) {
        self.emit_symbol_table(out);
        self.emit_string_table(out);
    }

    /// The checksum of each section definition, which the tail had before the head was done.
    fn finish_tail(&self, out: &mut Out) {
        self.checksum_sections(out);
        let table = self.pointer_to_symbol_table as usize;
        let size = self.shape.record_size;
        for (checksum, &index) in self.checksums.iter().zip(&self.symbols.section_symbol) {
            // The definition is the record after the section's symbol; CheckSum follows
            // Length, NumberOfRelocations and NumberOfLinenumbers.
            let at = table + (index as usize + 1) * size + 8;
            out.overwrite(at, &checksum.load(Ordering::Relaxed).to_le_bytes());
        }
    }
}

/// Bytes the file header and `n` section headers take.
fn headers_size(shape: &Shape, n: usize) -> usize {
    let header_size = if shape.bigobj {
        BIGOBJ_HEADER_SIZE
    } else {
        FILE_HEADER_SIZE
    };
    header_size + n * SECTION_HEADER_SIZE
}

fn machine(arch: Architecture) -> Result<u16, Error> {
    match arch {
        Architecture::X86_64 => Ok(IMAGE_FILE_MACHINE_AMD64),
        Architecture::I386 => Ok(IMAGE_FILE_MACHINE_I386),
        Architecture::Aarch64 => Ok(IMAGE_FILE_MACHINE_ARM64),
        other @ (Architecture::Riscv64
        | Architecture::S390x
        | Architecture::Ppc64le
        | Architecture::Arm
        | Architecture::Wasm32
        | Architecture::Wasm64) => Err(Error::unsupported(
            Place::Target,
            format!("objforge writes COFF for x86_64, i386 and aarch64 (arm64), not {other}"),
        )),
    }
}

/// What COFF cannot hold of a section: more than 4 GiB, an alignment past 8192.
fn check_section(i: usize, s: &Section) -> Result<(), Error> {
    if s.data.len() > u64::from(u32::MAX) {
        return Err(Error::unsupported(
            Place::Section(i, None),
            format!("{} bytes do not fit a COFF section", s.data.len()),
        ));
    }
    if s.align > MAX_ALIGN {
        return Err(Error::unsupported(
            Place::Section(i, Some("align")),
            format!(
                "COFF aligns sections to at most {MAX_ALIGN} bytes, not {}",
                s.align
            ),
        ));
    }
    Ok(())
}

/// The `.drectve` text: the options' directives, then `-aligncomm` for common symbols aligned
/// past 1 byte (COFF commons carry no alignment of their own). `None` when there are none.
fn drectve(obj: &Object) -> Result<Option<Vec<u8>>, Error> {
    let place = Place::Option("directives");
    let mut text = Vec::new();
    for d in &obj.options.directives {
        if d.contains('\0') {
            return Err(Error::invalid(place, "a directive contains a NUL byte"));
        }
        text.push(b' ');
        text.extend_from_slice(d.as_bytes());
    }
    for s in &obj.symbols {
        if let SymbolDefinition::Common { align, .. } = s.definition {
            if align > 1 {
                text.extend_from_slice(b" -aligncomm:\"");
                text.extend_from_slice(&symtab::decorate(obj, s.name.as_bytes()));
                text.extend_from_slice(format!("\",{}", align.trailing_zeros()).as_bytes());
            }
        }
    }
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(i) = obj.sections.iter().position(|s| s.name == DRECTVE_NAME) {
        return Err(Error::invalid(
            place,
            format!("the object has its own {DRECTVE_NAME} (sections[{i}]); put every directive in one place (common symbols aligned past 1 byte add `-aligncomm` directives)"),
        ));
    }
    if text.len() > u32::MAX as usize {
        return Err(Error::unsupported(place, "the directives exceed 4 GiB"));
    }
    Ok(Some(text))
}

/// Content, access and discard flags from the kind (and, for `.drectve`, the name).
fn characteristics(s: &Section) -> u32 {
    let data = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ;
    let mut c = match s.kind {
        SectionKind::Text => IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_MEM_READ,
        SectionKind::Rodata => data,
        // Thread-local zero data is part of the TLS template, so it takes file space.
        SectionKind::Data | SectionKind::TlsData | SectionKind::TlsBss => {
            data | IMAGE_SCN_MEM_WRITE
        }
        SectionKind::Bss => {
            IMAGE_SCN_CNT_UNINITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE
        }
        SectionKind::Other if s.name == DRECTVE_NAME => IMAGE_SCN_LNK_INFO | IMAGE_SCN_LNK_REMOVE,
        SectionKind::Debug | SectionKind::Other => data | IMAGE_SCN_MEM_DISCARDABLE,
    };
    if s.flags.exclude {
        c |= IMAGE_SCN_LNK_REMOVE;
    }
    c
}

/// `IMAGE_SCN_ALIGN_{align}BYTES` (`align` is a power of two, at most 8192).
fn align_flag(align: u64) -> u32 {
    (align.trailing_zeros() + 1) << 20
}

/// A file offset, which COFF keeps in 32 bits.
fn file_offset(offset: usize) -> Result<u32, Error> {
    u32::try_from(offset).map_err(|_| {
        Error::unsupported(
            Place::Object,
            format!("the object would be {offset}+ bytes; COFF file offsets are 32-bit"),
        )
    })
}

fn write_file_header(
    out: &mut Out,
    shape: &Shape,
    machine: u16,
    number_of_sections: u32,
    pointer_to_symbol_table: u32,
    number_of_symbols: u32,
) {
    if shape.bigobj {
        out.u16(IMAGE_FILE_MACHINE_UNKNOWN); // Sig1
        out.u16(BIGOBJ_SIG2);
        out.u16(BIGOBJ_VERSION);
        out.u16(machine);
        out.u32(0); // TimeDateStamp: 0 keeps builds reproducible
        out.bytes(&BIGOBJ_CLASS_ID);
        out.u32(0); // SizeOfData
        out.u32(0); // Flags
        out.u32(0); // MetaDataSize
        out.u32(0); // MetaDataOffset
        out.u32(number_of_sections);
        out.u32(pointer_to_symbol_table);
        out.u32(number_of_symbols);
    } else {
        out.u16(machine);
        out.u16(number_of_sections as u16);
        out.u32(0); // TimeDateStamp
        out.u32(pointer_to_symbol_table);
        out.u32(number_of_symbols);
        out.u16(0); // SizeOfOptionalHeader
        out.u16(0); // Characteristics
    }
}

/// A long section name is `/` and the decimal string table offset, or past 7 digits `//` and
/// the offset in base64 (LLVM's and link.exe's form).
fn section_name_field(name: Name, strtab: &StringTable) -> [u8; SHORT_NAME_LEN] {
    match name {
        Name::Short(bytes) => bytes,
        Name::Long(id) => long_name_field(STRING_TABLE_SIZE_FIELD + strtab.offset(id)),
        Name::Symbol(i) => long_name_field(STRING_TABLE_SIZE_FIELD + strtab.symbol_offset(i)),
    }
}

fn long_name_field(offset: u32) -> [u8; SHORT_NAME_LEN] {
    let mut field = [0u8; SHORT_NAME_LEN];
    if offset <= MAX_DECIMAL_NAME_OFFSET {
        let text = format!("/{offset}");
        field[..text.len()].copy_from_slice(text.as_bytes());
    } else {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        field[0] = b'/';
        field[1] = b'/';
        let mut v = u64::from(offset);
        for slot in field[2..].iter_mut().rev() {
            *slot = ALPHABET[(v % 64) as usize];
            v /= 64;
        }
    }
    field
}

fn write_section_header(out: &mut Out, strtab: &StringTable, h: &SectionHeader) {
    out.bytes(&section_name_field(h.name, strtab));
    out.u32(0); // VirtualSize
    out.u32(0); // VirtualAddress
    out.u32(h.size_of_raw_data);
    out.u32(h.pointer_to_raw_data);
    out.u32(h.pointer_to_relocations);
    out.u32(0); // PointerToLinenumbers
    out.u16(h.relocation_count.min(MAX_RELOCATIONS) as u16);
    out.u16(0); // NumberOfLinenumbers
    out.u32(h.characteristics);
}

fn write_symbol(
    out: &mut Out,
    shape: &Shape,
    strtab: &StringTable,
    headers: &[SectionHeader],
    checksums: &[u32],
    s: &SymbolRecord,
) {
    // The record itself: 18 bytes, 20 in bigobj. A long name is four zero bytes, then its
    // offset in the string table (counting the table's size field).
    let mut rec = out.record(shape.record_size);
    match s.name {
        Name::Short(bytes) => rec.bytes(bytes),
        Name::Long(id) => rec.u32(0).u32(STRING_TABLE_SIZE_FIELD + strtab.offset(id)),
        Name::Symbol(i) => rec
            .u32(0)
            .u32(STRING_TABLE_SIZE_FIELD + strtab.symbol_offset(i)),
    };
    rec.u32(s.value);
    if shape.bigobj {
        rec.u32(s.section_number as u32);
    } else {
        rec.u16(s.section_number as i16 as u16);
    }
    rec.u16(s.type_)
        .u8(s.storage_class)
        .u8(s.aux.count(shape.record_size) as u8);
    let start = out.len();
    match s.aux {
        Aux::None => return,
        Aux::Section(k) => {
            let (Some(h), Some(&checksum)) = (headers.get(k), checksums.get(k)) else {
                debug_assert!(
                    false,
                    "a section definition for a section that is not there"
                );
                return;
            };
            out.u32(h.size_of_raw_data); // Length
            out.u16(h.relocation_count.min(MAX_RELOCATIONS) as u16);
            out.u16(0); // NumberOfLinenumbers
            out.u32(checksum);
            out.u16(h.associated as u16); // Number
            out.u8(h.selection);
            out.u8(0); // reserved
            out.u16(if shape.bigobj {
                (h.associated >> 16) as u16 // HighNumber
            } else {
                0
            });
        }
        Aux::File(name) => out.bytes(name),
        Aux::WeakExternal { tag_index } => {
            out.u32(tag_index);
            out.u32(IMAGE_WEAK_EXTERN_SEARCH_ALIAS);
        }
    }
    out.pad_to(start + s.aux.count(shape.record_size) * shape.record_size);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_llvm() {
        // The .text of a small clang-19 object; llvm-readobj shows its checksum 0x80CDE3C1.
        let text = [
            0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x48, 0x83, 0x3d, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0f, 0x84, 0x00, 0x00,
            0x00, 0x00, 0x48, 0xff, 0x25, 0x00, 0x00, 0x00, 0x00,
        ];
        let checksum = |bytes: &[u8]| {
            let mut crc = Crc::default();
            crc.update(bytes);
            crc.value()
        };
        assert_eq!(checksum(&text), 0x80cd_e3c1);
        assert_eq!(checksum(&[]), 0);
    }

    #[test]
    fn long_section_names() {
        let mut t = StringTable::new();
        let id = t.add(&b".text$a_long_name"[..]);
        t.finish();
        assert_eq!(&section_name_field(Name::Long(id), &t), b"/5\0\0\0\0\0\0");
        assert_eq!(
            &section_name_field(Name::Short(*b".text\0\0\0"), &t),
            b".text\0\0\0"
        );
        assert_eq!(&long_name_field(9_999_999), b"/9999999");
        // 10,000,000 = 38 * 64^3 + 9 * 64^2 + 26 * 64 + 0: "AAmJaA".
        assert_eq!(&long_name_field(10_000_000), b"//AAmJaA");
    }
}
