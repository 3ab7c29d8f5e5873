//! Relocations: each portable `wasm_*` kind as an `R_WASM_*` type, the checks that make the
//! linker's job possible (the right kind of symbol, a padded LEB where it patches one), the
//! value objforge stores in the field, and the `reloc.*` sections' entries.

use crate::error::{Error, Place};
use crate::model::{Object, Relocation, SectionData};
use crate::reloc::RelocKind;
use crate::target::Architecture;

use super::encode::{is_padded_leb, padded_sleb, padded_uleb};
use super::resolve::{Class, Resolved, Role};

/// How a relocated field is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// Unsigned LEB128 padded to this many bytes.
    Uleb(u8),
    /// Signed LEB128 padded to this many bytes.
    Sleb(u8),
    /// A little-endian 32-bit word.
    U32,
    /// A little-endian 64-bit word.
    U64,
}

impl Field {
    /// Bytes of the field.
    pub(crate) fn size(self) -> u8 {
        match self {
            Field::Uleb(n) | Field::Sleb(n) => n,
            Field::U32 => 4,
            Field::U64 => 8,
        }
    }
}

/// What a relocation type's index refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// A function's index.
    Function,
    /// A function's slot in the indirect function table.
    TableSlot,
    /// A data symbol's address.
    Data,
    /// A type index (no symbol).
    Type,
    /// A global's index.
    Global,
    /// A table's index.
    Table,
    /// A defined function's offset in the code section.
    FunctionOffset,
    /// A custom section's offset.
    Section,
}

/// One `R_WASM_*` type as objforge writes it.
#[derive(Clone, Copy, Debug)]
struct TypeInfo {
    name: &'static str,
    field: Field,
    target: Target,
    addend: bool,
    wasm64_only: bool,
}

/// What objforge knows of `R_WASM_*` type `t` (Linking.md, LLVM's WasmRelocs.def), or `None`.
fn type_info(t: u32) -> Option<TypeInfo> {
    use Field::*;
    use Target::*;
    let i = |name, field, target, addend, wasm64_only| {
        Some(TypeInfo {
            name,
            field,
            target,
            addend,
            wasm64_only,
        })
    };
    match t {
        0 => i("R_WASM_FUNCTION_INDEX_LEB", Uleb(5), Function, false, false),
        1 => i("R_WASM_TABLE_INDEX_SLEB", Sleb(5), TableSlot, false, false),
        2 => i("R_WASM_TABLE_INDEX_I32", U32, TableSlot, false, false),
        3 => i("R_WASM_MEMORY_ADDR_LEB", Uleb(5), Data, true, false),
        4 => i("R_WASM_MEMORY_ADDR_SLEB", Sleb(5), Data, true, false),
        5 => i("R_WASM_MEMORY_ADDR_I32", U32, Data, true, false),
        6 => i("R_WASM_TYPE_INDEX_LEB", Uleb(5), Type, false, false),
        7 => i("R_WASM_GLOBAL_INDEX_LEB", Uleb(5), Global, false, false),
        8 => i(
            "R_WASM_FUNCTION_OFFSET_I32",
            U32,
            FunctionOffset,
            true,
            false,
        ),
        9 => i("R_WASM_SECTION_OFFSET_I32", U32, Section, true, false),
        13 => i("R_WASM_GLOBAL_INDEX_I32", U32, Global, false, false),
        14 => i("R_WASM_MEMORY_ADDR_LEB64", Uleb(10), Data, true, true),
        15 => i("R_WASM_MEMORY_ADDR_SLEB64", Sleb(10), Data, true, true),
        16 => i("R_WASM_MEMORY_ADDR_I64", U64, Data, true, true),
        18 => i(
            "R_WASM_TABLE_INDEX_SLEB64",
            Sleb(10),
            TableSlot,
            false,
            true,
        ),
        19 => i("R_WASM_TABLE_INDEX_I64", U64, TableSlot, false, true),
        20 => i("R_WASM_TABLE_NUMBER_LEB", Uleb(5), Table, false, false),
        22 => i(
            "R_WASM_FUNCTION_OFFSET_I64",
            U64,
            FunctionOffset,
            true,
            true,
        ),
        26 => i("R_WASM_FUNCTION_INDEX_I32", U32, Function, false, false),
        _ => None,
    }
}

/// The `R_WASM_*` type of a portable kind, or `None` if Wasm has none.
pub(crate) fn wasm_type(kind: RelocKind) -> Option<u32> {
    use RelocKind::*;
    Some(match kind {
        WasmFuncIndexLeb => 0,
        WasmTableIndexSleb => 1,
        WasmTableIndexI32 => 2,
        WasmMemoryAddrLeb => 3,
        WasmMemoryAddrSleb => 4,
        WasmMemoryAddrI32 => 5,
        WasmTypeIndexLeb => 6,
        WasmGlobalIndexLeb => 7,
        WasmFunctionOffsetI32 => 8,
        WasmSectionOffsetI32 => 9,
        WasmGlobalIndexI32 => 13,
        WasmMemoryAddrLeb64 => 14,
        WasmMemoryAddrSleb64 => 15,
        WasmMemoryAddrI64 => 16,
        WasmTableIndexSleb64 => 18,
        WasmTableIndexI64 => 19,
        WasmTableNumberLeb => 20,
        WasmFunctionOffsetI64 => 22,
        WasmFuncIndexI32 => 26,
        Native(n) => n.r_type,
        _ => return None,
    })
}

/// Whether a `wasm32` (`is64` false) or `wasm64` object can express `kind`.
pub(crate) fn supports(arch: Architecture, kind: RelocKind) -> bool {
    arch.is_wasm() && supported(arch == Architecture::Wasm64, kind)
}

/// Whether `kind` is a Wasm relocation (on wasm64 when `is64`; some are wasm64's only).
fn supported(is64: bool, kind: RelocKind) -> bool {
    match wasm_type(kind).and_then(type_info) {
        Some(info) => is64 || !info.wasm64_only,
        None => false,
    }
}

/// One entry of a `reloc.*` section, before its section's base offset is added.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// `R_WASM_*`.
    pub r_type: u8,
    /// Offset in the object's section.
    pub offset: u64,
    /// Symbol table index (type index for `R_WASM_TYPE_INDEX_LEB`).
    pub index: u32,
    /// The addend, for the types that have one.
    pub addend: Option<i64>,
}

/// Every relocation, checked: per object section its entries and the patched bytes.
pub(crate) struct Relocations {
    /// Per object section, its entries in offset order.
    pub per_section: Vec<Vec<Entry>>,
    /// Per object section, (offset, field, value) to store before writing.
    pub patches: Vec<Vec<(u64, Field, i64)>>,
}

fn kind_at(i: usize) -> Place {
    Place::Relocation(i, Some("kind"))
}

/// Checks and resolves every relocation of `obj`. `body_offsets[j]` is where the body of
/// `wasm.functions[j]` starts in the code section's payload (for function offsets).
pub(crate) fn resolve(
    obj: &Object,
    resolved: &Resolved,
    body_offsets: &[u64],
) -> Result<Relocations, Error> {
    let n = obj.sections.len();
    let mut out = Relocations {
        per_section: vec![Vec::new(); n],
        patches: vec![Vec::new(); n],
    };
    if !resolved.relocatable {
        if !obj.relocations.is_empty() {
            return Err(Error::invalid(
                Place::Relocation(0, None),
                "a plain module (wasm output \"module\") has no relocations: store the resolved value in the field, or write an object",
            ));
        }
        return Ok(out);
    }
    for (i, r) in obj.relocations.iter().enumerate() {
        let (entry, field, value) = resolve_one(obj, resolved, body_offsets, i, r)?;
        out.per_section[r.section().index()].push(entry);
        out.patches[r.section().index()].push((r.offset(), field, value));
    }
    for entries in &mut out.per_section {
        if !entries.is_sorted_by_key(|e| e.offset) {
            entries.sort_by_key(|e| e.offset);
        }
    }
    Ok(out)
}

fn resolve_one(
    obj: &Object,
    resolved: &Resolved,
    body_offsets: &[u64],
    i: usize,
    r: &Relocation,
) -> Result<(Entry, Field, i64), Error> {
    let arch = obj.target.arch;
    let Some(r_type) = wasm_type(r.kind()) else {
        return Err(Error::unsupported(
            kind_at(i),
            format!(
                "kind {} has no Wasm encoding: Wasm objects take the wasm_* kinds (see `objforge targets`)",
                r.kind()
            ),
        ));
    };
    let Some(info) = type_info(r_type) else {
        return Err(Error::unsupported(
            Place::Relocation(i, Some("native")),
            format!("objforge does not know R_WASM type {r_type}, so it cannot tell its field or its index"),
        ));
    };
    if info.wasm64_only && !resolved.is64 {
        return Err(Error::unsupported(
            kind_at(i),
            format!(
                "{} ({}) is for wasm64; this object is {arch}",
                r.kind(),
                info.name
            ),
        ));
    }
    let section = &obj.sections[r.section().index()];
    if matches!(resolved.roles[r.section().index()], Role::Dropped) {
        return Err(Error::invalid(
            Place::Relocation(i, Some("section")),
            format!("{} is not written to the module", section.name),
        ));
    }

    // The field: inside the section, and a padded LEB where the type patches one.
    let size = u64::from(info.field.size());
    let len = section.data.len();
    if r.offset().checked_add(size).is_none_or(|end| end > len) {
        return Err(Error::invalid(
            Place::Relocation(i, Some("offset")),
            format!(
                "{} is past the end of {} ({len} bytes) for a {size}-byte {} field",
                r.offset(),
                section.name,
                r.kind()
            ),
        ));
    }
    if let (Field::Uleb(_) | Field::Sleb(_), SectionData::Bytes(bytes)) =
        (info.field, &section.data)
    {
        let start = r.offset() as usize;
        let field = bytes.get(start..start + size as usize).unwrap_or(&[]);
        if !is_padded_leb(field) {
            let shown: Vec<String> = field.iter().map(|b| format!("{b:02x}")).collect();
            let zero = if size == 5 {
                "80 80 80 80 00"
            } else {
                "80 80 80 80 80 80 80 80 80 00"
            };
            return Err(Error::invalid(
                Place::Relocation(i, Some("offset")),
                format!(
                    "{} patches a {size}-byte padded LEB128, but the bytes at {} in {} are {}: not padded (every byte but the last needs 0x80), so the linker could not rewrite it in place; write the immediate padded ({zero} for 0)",
                    r.kind(),
                    r.offset(),
                    section.name,
                    shown.join(" ")
                ),
            ));
        }
    } else if let (Field::Uleb(_) | Field::Sleb(_), SectionData::Zero(_)) =
        (info.field, &section.data)
    {
        return Err(Error::invalid(
            Place::Relocation(i, Some("offset")),
            format!(
                "{} patches a padded LEB128, but {} is zeros",
                r.kind(),
                section.name
            ),
        ));
    }

    // The addend.
    let addend_at = Place::Relocation(i, Some("addend"));
    if info.target == Target::Type {
        let ntypes = obj.wasm.types.len();
        if r.symbol().is_some() {
            return Err(Error::invalid(
                Place::Relocation(i, Some("symbol")),
                format!(
                    "{} names a type, not a symbol: leave `symbol` out and give the type's index as the addend",
                    r.kind()
                ),
            ));
        }
        if r.addend() < 0 || r.addend() as u64 >= ntypes as u64 {
            return Err(Error::invalid(
                addend_at,
                format!(
                    "{} takes the type's index as its addend; there is no type {} (wasm.types has {ntypes})",
                    r.kind(), r.addend()
                ),
            ));
        }
        let index = r.addend() as u32;
        let entry = Entry {
            r_type: r_type as u8,
            offset: r.offset(),
            index,
            addend: None,
        };
        return Ok((entry, info.field, i64::from(index)));
    }
    if !info.addend && r.addend() != 0 {
        return Err(Error::invalid(
            addend_at,
            format!(
                "{} ({}) takes no addend, so {} cannot be expressed",
                r.kind(),
                info.name,
                r.addend()
            ),
        ));
    }
    let wide = matches!(info.field, Field::U64 | Field::Uleb(10) | Field::Sleb(10));
    if info.addend && !wide && i32::try_from(r.addend()).is_err() {
        return Err(Error::invalid(
            addend_at,
            format!(
                "{} does not fit the 32-bit addend of {}",
                r.addend(),
                info.name
            ),
        ));
    }

    // The symbol, which must be the kind of thing the type indexes.
    let symbol_at = Place::Relocation(i, Some("symbol"));
    let Some(s) = r.symbol() else {
        return Err(Error::invalid(
            symbol_at,
            format!("a {} relocation needs a symbol", r.kind()),
        ));
    };
    let sym = &obj.symbols[s.index()];
    let class = resolved.classes[s.index()];
    let Some(index) = resolved.symtab_index[s.index()] else {
        return Err(Error::invalid(
            symbol_at,
            format!(
                "`{}` is {}: it has no Wasm symbol",
                sym.name,
                class.describe()
            ),
        ));
    };
    let wrong = |wanted: &str| {
        Error::invalid(
            symbol_at.clone(),
            format!(
                "{} needs {wanted}, but `{}` is {}",
                r.kind(),
                sym.name,
                class.describe()
            ),
        )
    };
    let value: i64 = match (info.target, class) {
        (_, Class::Undeclared) => {
            return Err(Error::invalid(
                symbol_at,
                format!(
                    "`{}` is not a declared function: it is undefined and no import in wasm.imports gives its type; import it there, or define it (a text section listed in wasm.functions)",
                    sym.name
                ),
            ))
        }
        (Target::Function, Class::Function { index, .. }) => i64::from(index),
        (Target::Function, _) => return Err(wrong("a function")),
        // The linker assigns table slots; the object holds 0.
        (Target::TableSlot, Class::Function { .. }) => 0,
        (Target::TableSlot, _) => return Err(wrong("a function (whose table slot it takes)")),
        (Target::Data, Class::Data { at: Some((seg, off, _)) }) => {
            let base = resolved.segments[seg as usize].address;
            (base.wrapping_add(off) as i64).wrapping_add(r.addend())
        }
        (Target::Data, Class::Data { at: None }) => 0,
        (Target::Data, _) => return Err(wrong("a data symbol")),
        (Target::Global, Class::Global { index, .. }) => i64::from(index),
        (Target::Global, _) => return Err(wrong("a global")),
        (Target::Table, Class::Table { index, .. }) => i64::from(index),
        (Target::Table, _) => return Err(wrong("a table")),
        (Target::FunctionOffset, Class::Function { import: None, index }) => {
            let j = (index - resolved.func_imports) as usize;
            let at = body_offsets.get(j).copied().unwrap_or(0);
            (at as i64).wrapping_add(r.addend())
        }
        (Target::FunctionOffset, _) => return Err(wrong("a defined function")),
        (Target::Section, Class::Section { .. }) => r.addend(),
        (Target::Section, _) => return Err(wrong("a custom section's symbol")),
        (Target::Type, _) => 0,
    };
    let entry = Entry {
        r_type: r_type as u8,
        offset: r.offset(),
        index,
        addend: info.addend.then_some(r.addend()),
    };
    Ok((entry, info.field, value))
}

/// Stores `value` in `bytes` at `offset` as `field` (the field is in bounds: checked).
pub(crate) fn patch(bytes: &mut [u8], offset: u64, field: Field, value: i64) {
    let start = offset as usize;
    let Some(slot) = bytes.get_mut(start..start + usize::from(field.size())) else {
        return;
    };
    match field {
        Field::Uleb(5) => padded_uleb(slot, u64::from(value as u32)),
        Field::Sleb(5) => padded_sleb(slot, i64::from(value as i32)),
        Field::Uleb(_) => padded_uleb(slot, value as u64),
        Field::Sleb(_) => padded_sleb(slot, value),
        Field::U32 => slot.copy_from_slice(&(value as u32).to_le_bytes()),
        Field::U64 => slot.copy_from_slice(&(value as u64).to_le_bytes()),
    }
}
