//! WebAssembly: relocatable objects in the form `wasm-ld` links (WebAssembly tool-conventions,
//! Linking.md), and plain modules that run as they are.
//!
//! A Wasm backend's output maps onto the [`Object`] like this:
//!
//! | the backend has | the object holds |
//! |---|---|
//! | a function's body (locals, instructions, `end`) | a `text` section, listed in [`WasmModule::functions`] with its type |
//! | a data segment (`.data.x`, `.rodata.str`, `.bss.y`) | a `data`/`rodata`/`bss`/`tls_*` section; its name is the segment's |
//! | a custom section (`.debug_info`, `producers`) | a `debug`/`other` section |
//! | a function, data or section symbol | a symbol in that section (a function's at offset 0) |
//! | an imported function, global or table | an undefined symbol that a [`wasm::Import`](Import) names |
//! | a defined global or table | a [`wasm::Global`](Global)/[`wasm::Table`](Table), named by a symbol with no section |
//! | an undefined data symbol | an undefined symbol of kind `object` or `none` |
//! | a relocation into code or data | a relocation of a `wasm_*` kind |
//! | signatures, memory, exports, init functions, features | the rest of [`WasmModule`] |
//!
//! File order: the header; the type, import, function, table, memory, global, export, start,
//! element, data count, code and data sections (each only when it has entries); the custom
//! sections in the object's order; then, in an object, `linking` (version 2: the symbol table,
//! segment info, init functions, COMDATs) and `reloc.CODE`, `reloc.DATA`, `reloc.<custom>`;
//! last `target_features` when asked for.
//!
//! Every relocated LEB128 immediate must be padded to its full width (5 bytes, 10 for the
//! 64-bit kinds) so the linker can rewrite it in place; objforge stores there the value the
//! object itself implies (the function's index in this object, the data's address in this
//! object's own layout of segments from 0), as LLVM's objects do.
//!
//! The writer (internal): `Layout::new` resolves the module against the object (`resolve`,
//! `reloc`, `code`: every index, every relocation, every error) and encodes each section's
//! payload; then `emit` writes the header and each section in file order.

mod code;
mod encode;
mod linking;
mod module;
mod reloc;
mod resolve;

// The types a Wasm backend fills in belong to the model; they are public here.
pub use crate::model::wasm::*;

pub(crate) use reloc::supports;

use crate::error::{Error, Place};
use crate::model::Object;
use crate::out::Out;

use self::encode::{uleb, uleb_len};
use self::module::Payload;
use self::resolve::Class;

/// One section of the module as written: its id (0 for a custom section, which has a name)
/// and its payload (a custom section's: the bytes after its name).
struct Section {
    id: u8,
    name: Option<String>,
    payload: Payload,
}

impl Section {
    /// Bytes of its content: a custom section's name, then the payload.
    fn content_size(&self) -> usize {
        match &self.name {
            Some(n) => uleb_len(n.len() as u64) + n.len() + self.payload.len(),
            None => self.payload.len(),
        }
    }
}

/// A Wasm object or module laid out: every error found, every section's payload encoded but
/// for the object's bytes; [`emit`](crate::emit::Layout::emit) writes the header and the
/// sections in file order, the object's bytes straight from the model.
pub(crate) struct Layout<'a> {
    obj: &'a Object,
    sections: Vec<Section>,
    /// Per object section: the values stored in its relocated fields.
    patches: Vec<Vec<(u64, reloc::Field, i64)>>,
    total: usize,
}

impl<'a> Layout<'a> {
    /// Lays out `obj` (through the format-neutral checks) as a Wasm object or plain module.
    pub(crate) fn new(obj: &'a Object) -> Result<Layout<'a>, Error> {
        let resolved = resolve::resolve(obj)?;
        check_features(obj)?;
        let body_offsets = module::body_offsets(obj);
        let relocations = reloc::resolve(obj, &resolved, &body_offsets)?;
        code::check(obj, &resolved)?;
        if resolved.relocatable {
            if let Some(i) = resolved
                .classes
                .iter()
                .position(|c| *c == Class::Undeclared)
            {
                return Err(Error::invalid(
                    Place::Symbol(i, None),
                    format!(
                    "`{}` is an undefined function, but no import in wasm.imports gives its type",
                    obj.symbols[i].name
                ),
                ));
            }
        }
        let module = &obj.wasm;

        let mut s = Layout {
            obj,
            sections: Vec::new(),
            patches: Vec::new(),
            total: 0,
        };
        if !module.types.is_empty() {
            s.add(SECTION_TYPE, module::type_section(&module.types));
        }
        if !resolved.imports.is_empty() {
            s.add(SECTION_IMPORT, module::import_section(&resolved));
        }
        if !module.functions.is_empty() {
            s.add(SECTION_FUNCTION, module::function_section(obj));
        }
        if !module.tables.is_empty() {
            s.add(SECTION_TABLE, module::table_section(obj));
        }
        if let Some(memory) = &module.memory {
            s.add(
                SECTION_MEMORY,
                module::memory_section(memory, resolved.is64),
            );
        }
        if !module.globals.is_empty() {
            s.add(SECTION_GLOBAL, module::global_section(obj));
        }
        let exports = module::exports(obj, &resolved);
        if !exports.is_empty() {
            s.add(SECTION_EXPORT, module::export_section(&exports));
        }
        if let Some(start) = module.start {
            let mut payload = Vec::new();
            encode::uleb(&mut payload, u64::from(start));
            s.add(SECTION_START, payload);
        }
        if !module.elements.is_empty() {
            s.add(SECTION_ELEMENT, module::element_section(obj));
        }
        if !resolved.segments.is_empty() {
            let mut payload = Vec::new();
            encode::uleb(&mut payload, resolved.segments.len() as u64);
            s.add(SECTION_DATA_COUNT, payload);
        }
        let code_index = if module.functions.is_empty() {
            None
        } else {
            Some(s.add(SECTION_CODE, module::code_section(obj)?))
        };
        let mut segment_starts = Vec::new();
        let data_index = if resolved.segments.is_empty() {
            None
        } else {
            let (payload, starts) = module::data_section(obj, &resolved)?;
            segment_starts = starts;
            Some(s.add(SECTION_DATA, payload))
        };
        let mut custom_index = Vec::with_capacity(resolved.customs.len());
        for &section in &resolved.customs {
            let body = module::custom_body(obj, section)?;
            custom_index.push(s.custom(&obj.sections[section].name, body));
        }

        if resolved.relocatable {
            s.custom(
                "linking",
                linking::linking_section(obj, &resolved, &custom_index),
            );
            // reloc.CODE, reloc.DATA: every entry of the section's pieces, in file order.
            let gather = |pieces: &mut dyn Iterator<Item = (usize, u64)>| {
                let mut entries = Vec::new();
                for (section, base) in pieces {
                    for e in &relocations.per_section[section] {
                        entries.push((base, *e));
                    }
                }
                entries
            };
            if let Some(code) = code_index {
                let mut pieces = module
                    .functions
                    .iter()
                    .zip(&body_offsets)
                    .map(|(f, &base)| (f.section.index(), base));
                let entries = gather(&mut pieces);
                if !entries.is_empty() {
                    s.custom("reloc.CODE", linking::reloc_section(code, &entries));
                }
            }
            if let Some(data) = data_index {
                let mut pieces = resolved
                    .segments
                    .iter()
                    .zip(&segment_starts)
                    .map(|(seg, &base)| (seg.section, base));
                let entries = gather(&mut pieces);
                if !entries.is_empty() {
                    s.custom("reloc.DATA", linking::reloc_section(data, &entries));
                }
            }
            for (&section, &index) in resolved.customs.iter().zip(&custom_index) {
                let entries = gather(&mut std::iter::once((section, 0)));
                if !entries.is_empty() {
                    let name = format!("reloc.{}", obj.sections[section].name);
                    s.custom(&name, linking::reloc_section(index, &entries));
                }
            }
        }
        if !module.features.is_empty() {
            s.custom(
                "target_features",
                linking::target_features(&module.features),
            );
        }
        s.patches = relocations.patches;
        s.sized()
    }

    /// Adds a standard section; returns its index.
    fn add(&mut self, id: u8, payload: impl Into<Payload>) -> u32 {
        self.sections.push(Section {
            id,
            name: None,
            payload: payload.into(),
        });
        (self.sections.len() - 1) as u32
    }

    /// Adds a custom section; returns its index.
    fn custom(&mut self, name: &str, payload: impl Into<Payload>) -> u32 {
        self.sections.push(Section {
            id: SECTION_CUSTOM,
            name: Some(name.to_string()),
            payload: payload.into(),
        });
        (self.sections.len() - 1) as u32
    }

    /// The file's size, once every section is in: the header, then each section's id, size
    /// and content. A section holds less than 4 GiB.
    fn sized(mut self) -> Result<Self, Error> {
        let mut total = HEADER_SIZE;
        for s in &self.sections {
            let content = s.content_size();
            if u32::try_from(content).is_err() {
                return Err(Error::unsupported(
                    Place::Object,
                    format!(
                        "section {} would be {content} bytes; a Wasm section holds less than 4 GiB",
                        s.id
                    ),
                ));
            }
            total += 1 + uleb_len(content as u64) + content;
        }
        self.total = total;
        Ok(self)
    }
}

fn check_features(obj: &Object) -> Result<(), Error> {
    let mut seen = crate::hash::FxHashMap::default();
    for (i, f) in obj.wasm.features.iter().enumerate() {
        let place = Place::Wasm(format!("features[{i}]"));
        if f.name.is_empty() {
            return Err(Error::invalid(place, "a feature needs a name"));
        }
        if let Some(first) = seen.insert(f.name.as_str(), i) {
            return Err(Error::invalid(
                place,
                format!("`{}` is listed already (features[{first}])", f.name),
            ));
        }
    }
    Ok(())
}

/// `\0asm`, then the binary format's version, 1.
// Section ids (the WebAssembly core specification, "Modules: Sections").
/// The custom (a name, then anything: `linking`, `reloc.*`, DWARF) section.
const SECTION_CUSTOM: u8 = 0;
/// The type section.
const SECTION_TYPE: u8 = 1;
/// The import section.
const SECTION_IMPORT: u8 = 2;
/// The function section.
const SECTION_FUNCTION: u8 = 3;
/// The table section.
const SECTION_TABLE: u8 = 4;
/// The memory section.
const SECTION_MEMORY: u8 = 5;
/// The global section.
const SECTION_GLOBAL: u8 = 6;
/// The export section.
const SECTION_EXPORT: u8 = 7;
/// The start section.
const SECTION_START: u8 = 8;
/// The element section.
const SECTION_ELEMENT: u8 = 9;
/// The code section.
const SECTION_CODE: u8 = 10;
/// The data section.
const SECTION_DATA: u8 = 11;
/// The data count (bulk memory) section.
const SECTION_DATA_COUNT: u8 = 12;

const HEADER_SIZE: usize = 8;

impl crate::emit::Layout for Layout<'_> {
    fn size(&self) -> usize {
        self.total
    }

    fn big_endian(&self) -> bool {
        false
    }

    fn emit_head(&self, out: &mut Out) {
        out.bytes(b"\0asm");
        out.u32(1);
        let mut leb = Vec::with_capacity(10);
        let mut put_uleb = |out: &mut Out, v: usize| {
            leb.clear();
            uleb(&mut leb, v as u64);
            out.bytes(&leb);
        };
        for s in &self.sections {
            out.u8(s.id);
            put_uleb(out, s.content_size());
            if let Some(name) = &s.name {
                put_uleb(out, name.len());
                out.bytes(name.as_bytes());
            }
            s.payload.emit(out, self.obj, &self.patches);
        }
    }
}
