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

mod code;
mod encode;
mod layout;
mod linking;
mod module;
mod reloc;

// The types a Wasm backend fills in belong to the model; they are public here.
pub use crate::model::wasm::*;

pub(crate) use reloc::supports;

use crate::error::{Error, Place};
use crate::model::Object;

use self::encode::{custom_section, section, uleb_len};
use self::layout::Class;

/// Module sections, each appended with its index.
struct Sections {
    out: Vec<(u8, Option<String>, Vec<u8>)>,
}

impl Sections {
    /// Adds a standard section; returns its index.
    fn add(&mut self, id: u8, payload: Vec<u8>) -> u32 {
        self.out.push((id, None, payload));
        (self.out.len() - 1) as u32
    }

    /// Adds a custom section; returns its index.
    fn custom(&mut self, name: &str, body: Vec<u8>) -> u32 {
        self.out.push((0, Some(name.to_string()), body));
        (self.out.len() - 1) as u32
    }

    /// The module: header and sections, in one buffer of the final size.
    fn finish(self) -> Result<Vec<u8>, Error> {
        let mut total = 8;
        for (id, name, payload) in &self.out {
            let content = match name {
                Some(n) => uleb_len(n.len() as u64) + n.len() + payload.len(),
                None => payload.len(),
            };
            if u32::try_from(content).is_err() {
                return Err(Error::unsupported(
                    Place::Object,
                    format!(
                        "section {id} would be {content} bytes; a Wasm section holds less than 4 GiB"
                    ),
                ));
            }
            total += 1 + uleb_len(content as u64) + content;
        }
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(b"\0asm");
        out.extend_from_slice(&1u32.to_le_bytes());
        for (id, name, payload) in &self.out {
            match name {
                Some(n) => custom_section(&mut out, n, payload),
                None => section(&mut out, *id, payload),
            }
        }
        debug_assert_eq!(out.len(), total);
        Ok(out)
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

/// Writes `obj` (through the format-neutral checks) as a Wasm object or plain module.
pub(crate) fn write(obj: &Object) -> Result<Vec<u8>, Error> {
    let layout = layout::lay_out(obj)?;
    check_features(obj)?;
    let body_offsets = module::body_offsets(obj);
    let relocations = reloc::resolve(obj, &layout, &body_offsets)?;
    code::check(obj, &layout)?;
    if layout.relocatable {
        if let Some(i) = layout.classes.iter().position(|c| *c == Class::Undeclared) {
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

    let mut s = Sections { out: Vec::new() };
    if !module.types.is_empty() {
        s.add(1, module::type_section(&module.types));
    }
    if !layout.imports.is_empty() {
        s.add(2, module::import_section(&layout));
    }
    if !module.functions.is_empty() {
        s.add(3, module::function_section(obj));
    }
    if !module.tables.is_empty() {
        s.add(4, module::table_section(obj));
    }
    if let Some(memory) = &module.memory {
        s.add(5, module::memory_section(memory, layout.is64));
    }
    if !module.globals.is_empty() {
        s.add(6, module::global_section(obj));
    }
    let exports = module::exports(obj, &layout);
    if !exports.is_empty() {
        s.add(7, module::export_section(&exports));
    }
    if let Some(start) = module.start {
        let mut payload = Vec::new();
        encode::uleb(&mut payload, u64::from(start));
        s.add(8, payload);
    }
    if !module.elements.is_empty() {
        s.add(9, module::element_section(obj));
    }
    if !layout.segments.is_empty() {
        let mut payload = Vec::new();
        encode::uleb(&mut payload, layout.segments.len() as u64);
        s.add(12, payload);
    }
    let code_index = if module.functions.is_empty() {
        None
    } else {
        Some(s.add(10, module::code_section(obj, &relocations)?))
    };
    let mut segment_starts = Vec::new();
    let data_index = if layout.segments.is_empty() {
        None
    } else {
        let (payload, starts) = module::data_section(obj, &layout, &relocations)?;
        segment_starts = starts;
        Some(s.add(11, payload))
    };
    let mut custom_index = Vec::with_capacity(layout.customs.len());
    for &section in &layout.customs {
        let body = module::custom_body(obj, &relocations, section)?;
        custom_index.push(s.custom(&obj.sections[section].name, body));
    }

    if layout.relocatable {
        s.custom(
            "linking",
            linking::linking_section(obj, &layout, &custom_index),
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
                .map(|(f, &base)| (f.section.0, base));
            let entries = gather(&mut pieces);
            if !entries.is_empty() {
                s.custom("reloc.CODE", linking::reloc_section(code, &entries));
            }
        }
        if let Some(data) = data_index {
            let mut pieces = layout
                .segments
                .iter()
                .zip(&segment_starts)
                .map(|(seg, &base)| (seg.section, base));
            let entries = gather(&mut pieces);
            if !entries.is_empty() {
                s.custom("reloc.DATA", linking::reloc_section(data, &entries));
            }
        }
        for (&section, &index) in layout.customs.iter().zip(&custom_index) {
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
    s.finish()
}
