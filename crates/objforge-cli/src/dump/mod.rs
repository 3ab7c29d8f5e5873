//! `objforge dump OBJ`: reads a relocatable object (ELF, Mach-O or COFF) back into an objspec,
//! the JSON `objforge build` reads (see `docs/dump.md`).
//!
//! Each format has a reader ([`elf`], [`macho`], [`coff`]) that turns the file into the
//! library's format-neutral [`objforge::Object`] — the model the spec maps onto one to one —
//! inverting what objforge's own writer for that format does: addends kept in the relocated
//! field are read out and the field cleared, native relocation types become portable kinds
//! wherever the writer would spell that kind with exactly the same entries (and `native`
//! otherwise), and the symbols, groups and sections the writer adds by itself are left out.
//! [`emit`] then writes the model as JSON.
//!
//! What the model cannot express is an error that names the place in the object (section and
//! offset, or symbol), never a silent drop. Before anything is written the dumped model is
//! built once with the library, so a spec that `objforge build` would refuse is never output.

mod bits;
mod coff;
pub mod command;
mod dwarf;
mod eh_frame;
mod elf;
mod elf_arm;
mod macho;
mod xdata;

use std::fmt;

use objforge::{Object, Place, SectionId, SymbolDefinition, SymbolId};

pub use objforge_spec::{emit, EmitOptions};

/// Why an object cannot be dumped: one line, without the file name (the caller adds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpError(pub String);

impl DumpError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> DumpError {
        DumpError(message.into())
    }

    /// An error at `offset` of the section called `section`.
    pub fn at(section: &str, offset: u64, message: impl fmt::Display) -> DumpError {
        DumpError(format!("section {section}, offset {offset:#x}: {message}"))
    }

    /// An error about the section called `section` as a whole.
    pub fn section(section: &str, message: impl fmt::Display) -> DumpError {
        DumpError(format!("section {section}: {message}"))
    }

    /// An error about the symbol called `name`.
    pub fn symbol(name: &str, message: impl fmt::Display) -> DumpError {
        DumpError(format!("symbol `{name}`: {message}"))
    }

    /// A file the reader cannot parse (truncated, or an offset past its end).
    pub fn malformed(what: impl fmt::Display) -> DumpError {
        DumpError(format!("truncated or malformed object: {what}"))
    }
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Result of the readers.
pub type Result<T> = std::result::Result<T, DumpError>;

/// A dumped object: the model, and what was left out of it on purpose (each a sentence that
/// names the part and why), which the command prints as notes.
pub struct Dumped {
    /// The object as the library's model.
    pub object: Object,
    /// What the spec does not carry, and why.
    pub notes: Vec<String>,
    /// Per relocation (where the reader knows one), the `native` relocation that writes the
    /// same entry as its portable kind. A portable kind carries the library's checks (the
    /// reach of a PC-relative field, say); an object whose relocation fails them, which the
    /// format itself allows, is dumped with that relocation `native` instead, and a note.
    pub fallback: Vec<Option<objforge::RelocKind>>,
}

/// Reads the object in `data` into the model, whatever its format.
pub fn read(data: &[u8]) -> Result<Dumped> {
    let mut dumped = match identify(data)? {
        Kind::Elf => elf::read(data)?,
        Kind::MachO => macho::read(data)?,
        Kind::Coff => coff::read(data)?,
    };
    eh_frame::decode(&mut dumped);
    eh_frame::decode_macho(&mut dumped);
    xdata::decode(&mut dumped);
    self_check(&mut dumped)?;
    Ok(dumped)
}

/// `dump --debug`: replaces the object's `.debug_*` sections by the `debug` description of
/// the DWARF in them (see [`dwarf`]) and returns it; `None` when the object has no DWARF.
/// What the description leaves out is added to the notes.
pub fn take_debug(dumped: &mut Dumped) -> Result<Option<serde_json::Value>> {
    let Some(converted) = dwarf::convert(&dumped.object)? else {
        if dumped
            .object
            .sections
            .iter()
            .any(|s| s.name.starts_with("__DWARF,"))
        {
            dumped.notes.push(
                "--debug: Mach-O DWARF (the __DWARF segment) is kept as sections; --debug reads the .debug_* sections of ELF and COFF objects".into(),
            );
        }
        return Ok(None);
    };
    remove_sections(&mut dumped.object, &converted.replaced)?;
    dumped.fallback.clear();
    dumped.notes.extend(converted.notes);
    Ok(Some(converted.debug))
}

/// Removes the sections `gone` (sorted indices), their relocations and symbols, renumbering
/// what refers to the others. A relocation elsewhere against a removed symbol is an error.
fn remove_sections(object: &mut Object, gone: &[usize]) -> Result<()> {
    let mut section_map = Vec::with_capacity(object.sections.len());
    let mut next = 0;
    for i in 0..object.sections.len() {
        if gone.contains(&i) {
            section_map.push(None);
        } else {
            section_map.push(Some(SectionId(next)));
            next += 1;
        }
    }
    let mut symbol_map = Vec::with_capacity(object.symbols.len());
    let mut next = 0;
    for s in &object.symbols {
        let removed = matches!(s.definition, SymbolDefinition::Defined { section, .. } if section_map[section.index()].is_none());
        if removed {
            symbol_map.push(None);
        } else {
            symbol_map.push(Some(SymbolId(next)));
            next += 1;
        }
    }
    let symbol = |id: SymbolId, name: &str| -> Result<SymbolId> {
        symbol_map[id.index()].ok_or_else(|| {
            DumpError::symbol(
                name,
                "a relocation outside the debug sections refers to it, but it is defined in one",
            )
        })
    };
    let mut relocations = Vec::new();
    for r in std::mem::take(&mut object.relocations) {
        let Some(section) = section_map[r.section().index()] else {
            continue;
        };
        let name = |id: Option<SymbolId>| {
            id.map_or(String::new(), |s| {
                object.symbols[s.index()].name.to_string()
            })
        };
        let mut r = r;
        r.set_section(section);
        if let Some(s) = r.symbol() {
            r.set_symbol(Some(symbol(s, &name(Some(s)))?));
        }
        if let Some(s) = r.minus() {
            r.set_minus(Some(symbol(s, &name(Some(s)))?));
        }
        relocations.push(r);
    }
    object.relocations = relocations;
    for u in &mut object.unwind {
        u.section = section_map[u.section.index()]
            .ok_or_else(|| DumpError::new("unwind information for code in a debug section"))?;
        if let Some(p) = u.personality {
            u.personality = Some(symbol(p, "personality")?);
        }
        match &mut u.lsda {
            Some(objforge::unwind::Lsda::Symbol(s)) => *s = symbol(*s, "lsda")?,
            Some(objforge::unwind::Lsda::Section { section, .. }) => {
                *section = section_map[section.index()].ok_or_else(|| {
                    DumpError::new("a language-specific data area in a debug section")
                })?;
            }
            _ => {}
        }
    }
    let symbols = std::mem::take(&mut object.symbols);
    object.symbols = symbols
        .into_iter()
        .zip(&symbol_map)
        .filter(|(_, m)| m.is_some())
        .map(|(mut s, _)| {
            if let SymbolDefinition::Defined { section, .. } = &mut s.definition {
                *section = section_map[section.index()].unwrap_or(*section);
            }
            s
        })
        .collect();
    let sections = std::mem::take(&mut object.sections);
    object.sections = sections
        .into_iter()
        .enumerate()
        .filter(|(i, _)| section_map[*i].is_some())
        .map(|(_, s)| s)
        .collect();
    // A fresh object: the old one's name index knew the symbols by their old numbers.
    let mut fresh = Object::new(object.target.clone());
    fresh.options = std::mem::take(&mut object.options);
    fresh.sections = std::mem::take(&mut object.sections);
    fresh.symbols = std::mem::take(&mut object.symbols);
    fresh.relocations = std::mem::take(&mut object.relocations);
    fresh.wasm = std::mem::take(&mut object.wasm);
    fresh.unwind = std::mem::take(&mut object.unwind);
    *object = fresh;
    Ok(())
}

/// The formats [`read`] knows.
enum Kind {
    Elf,
    MachO,
    Coff,
}

/// Tells the format from the first bytes; anything objforge does not read is an error that
/// says what the file is, where that is known.
fn identify(data: &[u8]) -> Result<Kind> {
    let head = |n: usize| data.get(..n);
    if head(4) == Some(b"\x7fELF") {
        return Ok(Kind::Elf);
    }
    if head(4) == Some(b"\0asm") {
        return Err(DumpError::new(
            "a WebAssembly object: objforge cannot dump Wasm yet (its Wasm writer is still being written)",
        ));
    }
    if head(8) == Some(b"!<arch>\n") {
        return Err(DumpError::new(
            "an archive (static library): extract its members (`ar x`) and dump them one by one",
        ));
    }
    if head(2) == Some(b"MZ") {
        return Err(DumpError::new(
            "a Windows executable or DLL (PE image), not a relocatable object",
        ));
    }
    match head(4) {
        Some([0xcf, 0xfa, 0xed, 0xfe]) => return Ok(Kind::MachO),
        Some([0xce, 0xfa, 0xed, 0xfe]) => {
            return Err(DumpError::new(
                "a 32-bit Mach-O file: objforge reads 64-bit Mach-O (x86_64, arm64) only",
            ))
        }
        Some([0xfe, 0xed, 0xfa, 0xce | 0xcf]) => return Err(DumpError::new(
            "a big-endian Mach-O file: objforge reads little-endian x86_64 and arm64 Mach-O only",
        )),
        Some([0xca, 0xfe, 0xba, 0xbe]) | Some([0xbe, 0xba, 0xfe, 0xca]) => {
            return Err(DumpError::new(
                "a universal (fat) Mach-O file: extract one architecture first (`lipo -thin`)",
            ))
        }
        _ => {}
    }
    coff::identify(data).map(|()| Kind::Coff)
}

/// Builds the dumped model once with the library, so that a spec `objforge build` would
/// refuse is reported here, at its place in the object, instead of being written. A
/// relocation the library refuses in its portable kind, and that has a `native` form, is
/// written `native` (with a note) and the build tried again.
fn self_check(dumped: &mut Dumped) -> Result<()> {
    for _ in 0..=dumped.object.relocations.len() {
        let Err(e) = dumped.object.write() else {
            return Ok(());
        };
        if let Some(Place::Relocation(i, _)) = e.place() {
            let native = dumped.fallback.get(*i).copied().flatten();
            let place = place_of(&dumped.object, e.place());
            if let (Some(native), Some(r)) = (native, dumped.object.relocations.get_mut(*i)) {
                if r.kind() != native {
                    dumped.notes.push(format!(
                        "{}: written as `native`: objforge refuses it as {} ({e})",
                        place.unwrap_or_default(),
                        r.kind()
                    ));
                    r.set_kind(native);
                    continue;
                }
            }
        }
        return Err(rebuild_error(&dumped.object, &e));
    }
    Err(DumpError::new(
        "objforge could not build the dumped spec back",
    ))
}

/// Where in the object a library error's place is.
fn place_of(object: &Object, place: Option<&Place>) -> Option<String> {
    match place {
        Some(Place::Relocation(i, _)) => object.relocations.get(*i).map(|r| {
            let section = object
                .sections
                .get(r.section().index())
                .map_or("?", |s| s.name.as_str());
            format!("section {section}, offset {:#x}", r.offset())
        }),
        Some(Place::Section(i, _)) => object
            .sections
            .get(*i)
            .map(|s| format!("section {}", s.name)),
        Some(Place::Symbol(i, _)) => object
            .symbols
            .get(*i)
            .map(|s| format!("symbol `{}`", s.name)),
        _ => None,
    }
}

/// The library's refusal of the dumped spec, at its place in the object.
fn rebuild_error(object: &Object, e: &objforge::Error) -> DumpError {
    let message = format!("objforge could not build the dumped spec back ({e})");
    DumpError(match place_of(object, e.place()) {
        Some(place) => format!("{place}: {message}"),
        None => message,
    })
}
