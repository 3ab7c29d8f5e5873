//! The custom sections a linker reads: `linking` (version 2: symbol table, segment info, init
//! functions, COMDATs), `reloc.*`, and `target_features`.

use crate::model::{Binding, Object, SectionKind, SymbolDefinition, SymbolKind};

use super::encode::{name, sleb, uleb};
use super::reloc::Entry;
use super::resolve::{Class, Resolved, Role, INDIRECT_FUNCTION_TABLE};
use crate::model::wasm::Feature;

/// `linking` subsection types.
const WASM_SEGMENT_INFO: u8 = 5;
const WASM_INIT_FUNCS: u8 = 6;
const WASM_COMDAT_INFO: u8 = 7;
const WASM_SYMBOL_TABLE: u8 = 8;

/// Symbol kinds.
const SYMTAB_FUNCTION: u8 = 0;
const SYMTAB_DATA: u8 = 1;
const SYMTAB_GLOBAL: u8 = 2;
const SYMTAB_SECTION: u8 = 3;
const SYMTAB_TABLE: u8 = 5;

/// Symbol flags.
const WASM_SYM_BINDING_WEAK: u32 = 0x1;
const WASM_SYM_BINDING_LOCAL: u32 = 0x2;
const WASM_SYM_VISIBILITY_HIDDEN: u32 = 0x4;
const WASM_SYM_UNDEFINED: u32 = 0x10;
const WASM_SYM_EXPORTED: u32 = 0x20;
const WASM_SYM_EXPLICIT_NAME: u32 = 0x40;
const WASM_SYM_NO_STRIP: u32 = 0x80;
const WASM_SYM_TLS: u32 = 0x100;

/// Segment flags.
const WASM_SEG_FLAG_STRINGS: u32 = 0x1;
const WASM_SEG_FLAG_TLS: u32 = 0x2;
const WASM_SEG_FLAG_RETAIN: u32 = 0x4;

/// COMDAT member kinds.
const WASM_COMDAT_DATA: u8 = 0;
const WASM_COMDAT_FUNCTION: u8 = 1;
const WASM_COMDAT_SECTION: u8 = 5;

fn subsection(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    out.push(kind);
    uleb(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// The `linking` section's body. `custom_index[n]` is the module section index of custom
/// section n.
pub(crate) fn linking_section(obj: &Object, resolved: &Resolved, custom_index: &[u32]) -> Vec<u8> {
    let mut out = vec![2]; // version
    let symtab = symbol_table(obj, resolved, custom_index);
    subsection(&mut out, WASM_SYMBOL_TABLE, &symtab);
    if !resolved.segments.is_empty() {
        subsection(&mut out, WASM_SEGMENT_INFO, &segment_info(obj, resolved));
    }
    if !obj.wasm.init_funcs.is_empty() {
        let mut p = Vec::new();
        uleb(&mut p, obj.wasm.init_funcs.len() as u64);
        for f in &obj.wasm.init_funcs {
            uleb(&mut p, u64::from(f.priority));
            let index = resolved
                .symtab_index
                .get(f.symbol.index())
                .copied()
                .flatten();
            uleb(&mut p, u64::from(index.unwrap_or(0)));
        }
        subsection(&mut out, WASM_INIT_FUNCS, &p);
    }
    let comdats = comdat_info(obj, resolved, custom_index);
    if !comdats.is_empty() {
        subsection(&mut out, WASM_COMDAT_INFO, &comdats);
    }
    out
}

fn symbol_flags(obj: &Object, resolved: &Resolved, i: usize) -> u32 {
    let sym = &obj.symbols[i];
    let class = resolved.classes[i];
    let mut flags = match sym.binding {
        Binding::Local => WASM_SYM_BINDING_LOCAL,
        Binding::Weak => WASM_SYM_BINDING_WEAK,
        // gnu_unique is refused before any Wasm is written.
        Binding::Global | Binding::GnuUnique => 0,
    };
    if sym.binding != Binding::Local && sym.visibility.is_hidden() {
        flags |= WASM_SYM_VISIBILITY_HIDDEN;
    }
    let undefined = matches!(
        class,
        Class::Function {
            import: Some(_),
            ..
        } | Class::Global {
            import: Some(_),
            ..
        } | Class::Table {
            import: Some(_),
            ..
        } | Class::Data { at: None }
    );
    if undefined {
        flags |= WASM_SYM_UNDEFINED;
    }
    if resolved.exported[i] {
        flags |= WASM_SYM_EXPORTED;
    }
    if explicit_name(obj, resolved, i).is_some() {
        flags |= WASM_SYM_EXPLICIT_NAME;
    }
    if let SymbolDefinition::Defined { section, .. } = sym.definition {
        let s = &obj.sections[section.index()];
        if s.flags.retain {
            flags |= WASM_SYM_NO_STRIP;
        }
        if matches!(class, Class::Data { .. })
            && matches!(s.kind, SectionKind::TlsData | SectionKind::TlsBss)
        {
            flags |= WASM_SYM_TLS;
        }
    }
    if sym.kind == SymbolKind::Tls {
        flags |= WASM_SYM_TLS;
    }
    // The indirect function table is kept whatever refers to it, as LLVM's objects ask: wasm-ld
    // places table slots in it after garbage collection, and crashes if the table went.
    if matches!(class, Class::Table { .. }) && sym.name == INDIRECT_FUNCTION_TABLE {
        flags |= WASM_SYM_NO_STRIP;
    }
    flags
}

/// For an imported symbol whose name is not the import's field name, or whose import says its
/// name is explicit: its own name.
fn explicit_name<'a>(obj: &'a Object, resolved: &Resolved, i: usize) -> Option<&'a str> {
    let import = match resolved.classes[i] {
        Class::Function { import, .. }
        | Class::Global { import, .. }
        | Class::Table { import, .. } => import?,
        _ => return None,
    };
    let sym = &obj.symbols[i];
    let import = resolved.imports.get(import)?;
    (import.explicit_name || import.name != sym.name).then_some(sym.name.as_str())
}

fn symbol_table(obj: &Object, resolved: &Resolved, custom_index: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    let count = resolved.symtab_index.iter().flatten().count();
    uleb(&mut out, count as u64);
    for (i, sym) in obj.symbols.iter().enumerate() {
        if resolved.symtab_index[i].is_none() {
            continue;
        }
        let flags = symbol_flags(obj, resolved, i);
        let indexed = |out: &mut Vec<u8>, kind: u8, index: u32, import: Option<usize>| {
            out.push(kind);
            uleb(out, u64::from(flags));
            uleb(out, u64::from(index));
            // A defined symbol always has its name; an import only when it is explicit.
            if import.is_none() || flags & WASM_SYM_EXPLICIT_NAME != 0 {
                name(out, &sym.name);
            }
        };
        match resolved.classes[i] {
            Class::Function { index, import } => indexed(&mut out, SYMTAB_FUNCTION, index, import),
            Class::Global { index, import } => indexed(&mut out, SYMTAB_GLOBAL, index, import),
            Class::Table { index, import } => indexed(&mut out, SYMTAB_TABLE, index, import),
            Class::Data { at } => {
                out.push(SYMTAB_DATA);
                uleb(&mut out, u64::from(flags));
                name(&mut out, &sym.name);
                if let Some((segment, offset, size)) = at {
                    uleb(&mut out, u64::from(segment));
                    uleb(&mut out, offset);
                    uleb(&mut out, size);
                }
            }
            Class::Section { custom } => {
                out.push(SYMTAB_SECTION);
                uleb(&mut out, u64::from(flags));
                let index = custom_index.get(custom as usize).copied().unwrap_or(0);
                uleb(&mut out, u64::from(index));
            }
            // Not in the table (see `resolve`); refused before writing.
            Class::Skip | Class::Undeclared => {}
        }
    }
    out
}

fn segment_info(obj: &Object, resolved: &Resolved) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, resolved.segments.len() as u64);
    for seg in &resolved.segments {
        let s = &obj.sections[seg.section];
        name(&mut out, &s.name);
        uleb(&mut out, u64::from(s.align.max(1).trailing_zeros()));
        let mut flags = 0;
        if s.flags.merge_strings {
            flags |= WASM_SEG_FLAG_STRINGS;
        }
        if matches!(s.kind, SectionKind::TlsData | SectionKind::TlsBss) {
            flags |= WASM_SEG_FLAG_TLS;
        }
        if s.flags.retain {
            flags |= WASM_SEG_FLAG_RETAIN;
        }
        uleb(&mut out, u64::from(flags));
    }
    out
}

/// The COMDAT groups: each section's `comdat`, by group name in order of first appearance.
fn comdat_info(obj: &Object, resolved: &Resolved, custom_index: &[u32]) -> Vec<u8> {
    let mut groups: Vec<(&str, Vec<(u8, u32)>)> = Vec::new();
    for (i, s) in obj.sections.iter().enumerate() {
        let Some(group) = s.comdat.as_deref() else {
            continue;
        };
        let member = match resolved.roles[i] {
            Role::Function(j) => (WASM_COMDAT_FUNCTION, resolved.func_imports + j),
            Role::Segment(n) => (WASM_COMDAT_DATA, n),
            Role::Custom(c) => (
                WASM_COMDAT_SECTION,
                custom_index.get(c as usize).copied().unwrap_or(0),
            ),
            Role::Dropped => continue,
        };
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, members)) => members.push(member),
            None => groups.push((group, vec![member])),
        }
    }
    if groups.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    uleb(&mut out, groups.len() as u64);
    for (group, members) in groups {
        name(&mut out, group);
        uleb(&mut out, 0); // flags
        uleb(&mut out, members.len() as u64);
        for (kind, index) in members {
            out.push(kind);
            uleb(&mut out, u64::from(index));
        }
    }
    out
}

/// A `reloc.*` section's body: the target section's index, then its entries, each offset
/// counted from the start of the target's payload (`base` plus the entry's own offset).
pub(crate) fn reloc_section(target: u32, entries: &[(u64, Entry)]) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, u64::from(target));
    uleb(&mut out, entries.len() as u64);
    for (base, e) in entries {
        out.push(e.r_type);
        uleb(&mut out, base + e.offset);
        uleb(&mut out, u64::from(e.index));
        if let Some(addend) = e.addend {
            sleb(&mut out, addend);
        }
    }
    out
}

/// The `target_features` section's body.
pub(crate) fn target_features(features: &[Feature]) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, features.len() as u64);
    for f in features {
        out.push(f.policy.prefix());
        name(&mut out, &f.name);
    }
    out
}
