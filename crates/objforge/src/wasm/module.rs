//! The standard sections, each from the resolved module: type, import, function, table, memory,
//! global, export, start, element, data count, code, data.

use crate::error::{Error, Place};
use crate::model::{Object, SectionData};
use crate::out::Out;

use super::encode::{name, sleb, uleb, uleb_len};
use super::reloc::{patch, Field};
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
                ExportTarget::Symbol(s) => match resolved.classes.get(s.index())? {
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
        let size = obj.sections[f.section.index()].data.len();
        at += uleb_len(size) as u64;
        offsets.push(at);
        at += size;
    }
    offsets
}

/// A section's payload: bytes encoded while laying out and, between them, object sections'
/// bytes, which go out at emission straight from the model with their relocated fields
/// stored in passing (never copied into the payload).
#[derive(Default)]
pub(crate) struct Payload {
    encoded: Vec<u8>,
    parts: Vec<Part>,
    /// Bytes of the object sections in `parts`.
    objects: usize,
}

enum Part {
    /// The encoded bytes from the previous part's end to `end`.
    Encoded { end: usize },
    /// Object section `k`'s bytes.
    Object(usize),
}

impl From<Vec<u8>> for Payload {
    fn from(encoded: Vec<u8>) -> Payload {
        Payload {
            encoded,
            parts: Vec::new(),
            objects: 0,
        }
    }
}

impl Payload {
    /// Bytes of the payload.
    pub(crate) fn len(&self) -> usize {
        self.encoded.len() + self.objects
    }

    /// Appends object section `section`'s bytes.
    fn object(&mut self, obj: &Object, section: usize) -> Result<(), Error> {
        let len = match &obj.sections[section].data {
            SectionData::Bytes(b) => b.len(),
            SectionData::Zero(n) => {
                // Wasm has no zero fill: a bss segment is written out. Refuse zeros that
                // would not fit in memory, where a buffer of the whole file must hold them.
                let fits = usize::try_from(*n)
                    .ok()
                    .filter(|&n| Vec::<u8>::new().try_reserve_exact(n).is_ok());
                let Some(n) = fits else {
                    return Err(Error::unsupported(
                        Place::Section(section, Some("size")),
                        format!("{n} bytes of zeros do not fit in memory"),
                    ));
                };
                n
            }
        };
        self.parts.push(Part::Encoded {
            end: self.encoded.len(),
        });
        self.parts.push(Part::Object(section));
        self.objects += len;
        Ok(())
    }

    /// Writes the payload; `patches[k]` are the values stored in object section `k`'s fields.
    pub(crate) fn emit(&self, out: &mut Out, obj: &Object, patches: &[Vec<(u64, Field, i64)>]) {
        let mut at = 0;
        for part in &self.parts {
            match *part {
                Part::Encoded { end } => {
                    out.bytes(self.encoded.get(at..end).unwrap_or(&[]));
                    at = end;
                }
                Part::Object(k) => {
                    let fields = patches.get(k).map_or(&[][..], Vec::as_slice);
                    emit_patched(out, &obj.sections[k].data, fields);
                }
            }
        }
        out.bytes(self.encoded.get(at..).unwrap_or(&[]));
    }
}

/// Writes a section's bytes with `patches` stored in their fields: merged as the bytes go out
/// when they come by offset (as a backend emits them), else in a copy, a later one winning.
fn emit_patched(out: &mut Out, data: &SectionData, patches: &[(u64, Field, i64)]) {
    let range = |out: &mut Out, from: u64, to: u64| match data {
        SectionData::Bytes(b) => out.bytes(b.get(from as usize..to as usize).unwrap_or(&[])),
        SectionData::Zero(_) => out.zeros(to.saturating_sub(from) as usize),
    };
    let mut end = 0;
    let in_order = patches.iter().all(|&(offset, field, _)| {
        let after = offset >= end;
        end = offset + u64::from(field.size());
        after
    });
    if in_order {
        let mut at = 0;
        let mut bytes = [0; 10];
        for &(offset, field, value) in patches {
            range(out, at, offset);
            let n = usize::from(field.size()).min(bytes.len());
            patch(&mut bytes[..n], 0, field, value);
            out.bytes(&bytes[..n]);
            at = offset + n as u64;
        }
        range(out, at, data.len());
    } else {
        let mut bytes = match data {
            SectionData::Bytes(b) => b.clone(),
            // Checked to fit in memory while laying out.
            SectionData::Zero(n) => vec![0; *n as usize],
        };
        for &(offset, field, value) in patches {
            patch(&mut bytes, offset, field, value);
        }
        out.bytes(&bytes);
    }
}

/// The code section: each function's body, from its object section.
pub(crate) fn code_section(obj: &Object) -> Result<Payload, Error> {
    let mut p = Payload::default();
    uleb(&mut p.encoded, obj.wasm.functions.len() as u64);
    for f in &obj.wasm.functions {
        uleb(&mut p.encoded, obj.sections[f.section.index()].data.len());
        p.object(obj, f.section.index())?;
    }
    Ok(p)
}

/// The data section, and where each segment's bytes start in its payload.
pub(crate) fn data_section(
    obj: &Object,
    resolved: &Resolved,
) -> Result<(Payload, Vec<u64>), Error> {
    let mut p = Payload::default();
    let mut starts = Vec::with_capacity(resolved.segments.len());
    uleb(&mut p.encoded, resolved.segments.len() as u64);
    for seg in &resolved.segments {
        if seg.passive {
            p.encoded.push(0x01);
        } else {
            p.encoded.push(0x00);
            address_expr(&mut p.encoded, seg.address, resolved.is64);
        }
        uleb(&mut p.encoded, obj.sections[seg.section].data.len());
        starts.push(p.len() as u64);
        p.object(obj, seg.section)?;
    }
    Ok((p, starts))
}

/// A custom section's body: the object section's bytes.
pub(crate) fn custom_body(obj: &Object, section: usize) -> Result<Payload, Error> {
    let mut p = Payload::default();
    p.object(obj, section)?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values stored in fields come out the same merged in order as patched in a copy.
    #[test]
    fn patched_in_order_or_in_a_copy_alike() {
        let bytes = SectionData::Bytes((0..32).collect());
        let patches = [
            (2, Field::U32, 0x1122_3344),
            (10, Field::Uleb(5), 300),
            (20, Field::Sleb(10), -2),
        ];
        for data in [&bytes, &SectionData::Zero(32)] {
            let write = |patches: &[(u64, Field, i64)]| {
                let mut out = Out::in_memory(false);
                emit_patched(&mut out, data, patches);
                out.into_vec()
            };
            let in_order = write(&patches);
            let mut reversed = patches;
            reversed.reverse();
            assert_eq!(in_order, write(&reversed));
            assert_eq!(&in_order[2..6], &[0x44, 0x33, 0x22, 0x11]);
            assert_eq!(&in_order[10..15], &[0xac, 0x82, 0x80, 0x80, 0x00]);
            assert_eq!(in_order.len(), 32);
        }
    }
}
