//! The standard sections, each from the resolved module: type, import, function, table, memory,
//! global, export, start, element, data count, code, data.

use crate::error::{Error, Place};
use crate::model::{Object, SectionData};

use super::encode::{name, sleb, uleb, uleb_len};
use super::reloc::{patch, Relocations};
use super::resolve::{Class, Resolved};
use crate::model::wasm::{
    ConstExpr, ExportTarget, FuncType, ImportKind, Limits, MemoryType, TableType,
};

pub(crate) fn type_section(types: &[FuncType]) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, types.len() as u64);
    for t in types {
        out.push(0x60);
        uleb(&mut out, t.params.len() as u64);
        out.extend(t.params.iter().map(|v| v.code()));
        uleb(&mut out, t.results.len() as u64);
        out.extend(t.results.iter().map(|v| v.code()));
    }
    out
}

fn limits(out: &mut Vec<u8>, l: &Limits, flags: u8) {
    out.push(flags | u8::from(l.max.is_some()));
    uleb(out, l.min);
    if let Some(max) = l.max {
        uleb(out, max);
    }
}

fn memory_type(out: &mut Vec<u8>, m: &MemoryType, is64: bool) {
    let flags = if m.shared { 0x02 } else { 0 } | if is64 { 0x04 } else { 0 };
    limits(out, &m.limits, flags);
}

fn table_type(out: &mut Vec<u8>, t: &TableType) {
    out.push(t.element.code());
    limits(out, &t.limits, 0);
}

pub(crate) fn import_section(resolved: &Resolved) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, resolved.imports.len() as u64);
    for import in &resolved.imports {
        name(&mut out, &import.module);
        name(&mut out, &import.name);
        match &import.kind {
            ImportKind::Func(t) => {
                out.push(0x00);
                uleb(&mut out, u64::from(*t));
            }
            ImportKind::Table(t) => {
                out.push(0x01);
                table_type(&mut out, t);
            }
            ImportKind::Memory(m) => {
                out.push(0x02);
                memory_type(&mut out, m, resolved.is64);
            }
            ImportKind::Global(g) => {
                out.push(0x03);
                out.push(g.value.code());
                out.push(u8::from(g.mutable));
            }
        }
    }
    out
}

pub(crate) fn function_section(obj: &Object) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, obj.wasm.functions.len() as u64);
    for f in &obj.wasm.functions {
        uleb(&mut out, u64::from(f.type_index));
    }
    out
}

pub(crate) fn table_section(obj: &Object) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, obj.wasm.tables.len() as u64);
    for t in &obj.wasm.tables {
        table_type(&mut out, &t.ty);
    }
    out
}

pub(crate) fn memory_section(m: &MemoryType, is64: bool) -> Vec<u8> {
    let mut out = vec![1];
    memory_type(&mut out, m, is64);
    out
}

fn const_expr(out: &mut Vec<u8>, e: &ConstExpr) {
    match *e {
        ConstExpr::I32(v) => {
            out.push(0x41);
            sleb(out, i64::from(v));
        }
        ConstExpr::I64(v) => {
            out.push(0x42);
            sleb(out, v);
        }
        ConstExpr::F32(bits) => {
            out.push(0x43);
            out.extend_from_slice(&bits.to_le_bytes());
        }
        ConstExpr::F64(bits) => {
            out.push(0x44);
            out.extend_from_slice(&bits.to_le_bytes());
        }
        ConstExpr::GlobalGet(g) => {
            out.push(0x23);
            uleb(out, u64::from(g));
        }
        ConstExpr::RefNull(t) => {
            out.push(0xd0);
            out.push(t.code());
        }
        ConstExpr::RefFunc(f) => {
            out.push(0xd2);
            uleb(out, u64::from(f));
        }
    }
    out.push(0x0b);
}

/// An address as the memory's index type has it: `i32.const` or `i64.const`.
fn address_expr(out: &mut Vec<u8>, address: u64, is64: bool) {
    if is64 {
        const_expr(out, &ConstExpr::I64(address as i64));
    } else {
        const_expr(out, &ConstExpr::I32(address as u32 as i32));
    }
}

pub(crate) fn global_section(obj: &Object) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, obj.wasm.globals.len() as u64);
    for g in &obj.wasm.globals {
        out.push(g.ty.value.code());
        out.push(u8::from(g.ty.mutable));
        const_expr(&mut out, &g.init);
    }
    out
}

/// The export section's entries: (name, kind, index).
pub(crate) fn exports(obj: &Object, resolved: &Resolved) -> Vec<(String, u8, u32)> {
    obj.wasm
        .exports
        .iter()
        .filter_map(|e| {
            let (kind, index) = match e.target {
                ExportTarget::Func(n) => (0, n),
                ExportTarget::Table(n) => (1, n),
                ExportTarget::Memory(n) => (2, n),
                ExportTarget::Global(n) => (3, n),
                ExportTarget::Symbol(s) => match resolved.classes.get(s.0)? {
                    Class::Function { index, .. } => (0, *index),
                    Class::Global { index, .. } => (3, *index),
                    _ => return None,
                },
            };
            Some((e.name.clone(), kind, index))
        })
        .collect()
}

pub(crate) fn export_section(entries: &[(String, u8, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, entries.len() as u64);
    for (n, kind, index) in entries {
        name(&mut out, n);
        out.push(*kind);
        uleb(&mut out, u64::from(*index));
    }
    out
}

pub(crate) fn element_section(obj: &Object) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(&mut out, obj.wasm.elements.len() as u64);
    for e in &obj.wasm.elements {
        if e.table == 0 {
            out.push(0x00);
        } else {
            out.push(0x02);
            uleb(&mut out, u64::from(e.table));
        }
        const_expr(&mut out, &ConstExpr::I32(e.offset as u32 as i32));
        if e.table != 0 {
            out.push(0x00); // elemkind funcref
        }
        uleb(&mut out, e.functions.len() as u64);
        for &f in &e.functions {
            uleb(&mut out, u64::from(f));
        }
    }
    out
}

/// Where each function's body starts in the code section's payload.
pub(crate) fn body_offsets(obj: &Object) -> Vec<u64> {
    let functions = &obj.wasm.functions;
    let mut at = uleb_len(functions.len() as u64) as u64;
    let mut offsets = Vec::with_capacity(functions.len());
    for f in functions {
        let size = obj.sections[f.section.0].data.len();
        at += uleb_len(size) as u64;
        offsets.push(at);
        at += size;
    }
    offsets
}

/// A section's bytes with its relocated fields patched.
fn patched(obj: &Object, relocations: &Relocations, section: usize) -> Result<Vec<u8>, Error> {
    let mut bytes = match &obj.sections[section].data {
        SectionData::Bytes(b) => b.clone(),
        SectionData::Zero(n) => {
            // Wasm has no zero fill: a bss segment is written out. Fail, not abort, when the
            // zeros do not fit in memory.
            let mut zeros = Vec::new();
            let fits = usize::try_from(*n)
                .ok()
                .is_some_and(|n| zeros.try_reserve_exact(n).is_ok());
            if !fits {
                return Err(Error::unsupported(
                    Place::Section(section, Some("size")),
                    format!("{n} bytes of zeros do not fit in memory"),
                ));
            }
            zeros.resize(*n as usize, 0);
            zeros
        }
    };
    for &(offset, field, value) in &relocations.patches[section] {
        patch(&mut bytes, offset, field, value);
    }
    Ok(bytes)
}

pub(crate) fn code_section(obj: &Object, relocations: &Relocations) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    uleb(&mut out, obj.wasm.functions.len() as u64);
    for f in &obj.wasm.functions {
        let body = patched(obj, relocations, f.section.0)?;
        uleb(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
    }
    Ok(out)
}

/// The data section, and where each segment's bytes start in its payload.
pub(crate) fn data_section(
    obj: &Object,
    resolved: &Resolved,
    relocations: &Relocations,
) -> Result<(Vec<u8>, Vec<u64>), Error> {
    let mut out = Vec::new();
    let mut starts = Vec::with_capacity(resolved.segments.len());
    uleb(&mut out, resolved.segments.len() as u64);
    for seg in &resolved.segments {
        if seg.passive {
            out.push(0x01);
        } else {
            out.push(0x00);
            address_expr(&mut out, seg.address, resolved.is64);
        }
        let bytes = patched(obj, relocations, seg.section)?;
        uleb(&mut out, bytes.len() as u64);
        starts.push(out.len() as u64);
        out.extend_from_slice(&bytes);
    }
    Ok((out, starts))
}

/// A custom section's body: the object section's bytes, patched.
pub(crate) fn custom_body(
    obj: &Object,
    relocations: &Relocations,
    section: usize,
) -> Result<Vec<u8>, Error> {
    patched(obj, relocations, section)
}
