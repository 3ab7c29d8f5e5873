//! Type DIEs into `types`: every base, pointer, qualified, typedef, struct, union, array,
//! enum and function type of the unit, wherever it is nested, one entry each and in DIE order;
//! references become indices. Qualifiers the description lacks (`restrict`, `_Atomic`) are
//! looked through to the type they qualify.

use gimli::{AttributeValue, DwTag, UnitOffset};
use serde_json::{Map, Value};

use super::{Context, Result};

/// What a type DIE becomes.
#[derive(Clone, Copy)]
pub(super) enum TypeRef {
    /// Entry `n` of `types`.
    Index(usize),
    /// No type (`void`).
    Void,
    /// A qualifier the description lacks: the type it qualifies.
    Through(Option<UnitOffset>),
}

/// Whether the description has a kind for DIEs of this tag.
fn described(tag: DwTag) -> bool {
    matches!(
        tag,
        gimli::DW_TAG_base_type
            | gimli::DW_TAG_pointer_type
            | gimli::DW_TAG_const_type
            | gimli::DW_TAG_volatile_type
            | gimli::DW_TAG_typedef
            | gimli::DW_TAG_structure_type
            | gimli::DW_TAG_union_type
            | gimli::DW_TAG_array_type
            | gimli::DW_TAG_enumeration_type
            | gimli::DW_TAG_subroutine_type
    )
}

impl<'a> Context<'a> {
    /// Numbers every type DIE, then writes each.
    pub(super) fn collect_types(&mut self) -> Result<()> {
        let mut order = Vec::new();
        let mut pending = vec![self.root];
        while let Some(offset) = pending.pop() {
            let entry = self.entry(offset)?;
            let tag = entry.tag();
            if described(tag) {
                self.type_index.insert(offset, TypeRef::Index(order.len()));
                order.push(offset);
            } else if matches!(tag, gimli::DW_TAG_restrict_type | gimli::DW_TAG_atomic_type) {
                self.type_index
                    .insert(offset, TypeRef::Through(self.type_attr(offset)?));
            } else if tag == gimli::DW_TAG_unspecified_type {
                self.type_index.insert(offset, TypeRef::Void);
            }
            // Depth first, children in order.
            let children = self.children_of(offset);
            pending.extend(children.into_iter().rev());
        }
        for offset in order {
            let t = self.type_entry(offset)?;
            self.types.push(t);
        }
        Ok(())
    }

    /// The DIE's `DW_AT_type`, as an offset in the unit.
    pub(super) fn type_attr(&self, offset: UnitOffset) -> Result<Option<UnitOffset>> {
        let entry = self.entry(offset)?;
        match entry.attr_value(gimli::DW_AT_type) {
            Ok(Some(AttributeValue::UnitRef(o))) => Ok(Some(o)),
            Ok(None) => Ok(None),
            _ => Err(self.error(offset, "DW_AT_type is not a reference into the unit")),
        }
    }

    /// How the spec refers to the type at `offset` (`None`: void).
    pub(super) fn type_ref(&self, offset: Option<UnitOffset>) -> Result<Value> {
        let mut at = offset;
        // Qualifier chains are short; the bound only stops a cycle.
        for _ in 0..64 {
            let Some(o) = at else {
                return Ok(Value::from("void"));
            };
            match self.type_index.get(&o) {
                Some(TypeRef::Index(i)) => return Ok(Value::from(*i)),
                Some(TypeRef::Void) => return Ok(Value::from("void")),
                Some(TypeRef::Through(next)) => at = *next,
                None => return Err(self.error(o, "DW_AT_type names a DIE that is not a type")),
            }
        }
        Err(self.error(
            offset.unwrap_or(UnitOffset(0)),
            "a cycle of type qualifiers",
        ))
    }

    /// The `DW_AT_type` of the DIE at `offset` as a type reference.
    pub(super) fn type_of(&self, offset: UnitOffset) -> Result<Value> {
        let t = self.type_attr(offset)?;
        self.type_ref(t)
    }

    /// An unsigned constant attribute.
    pub(super) fn udata(&self, offset: UnitOffset, at: gimli::DwAt) -> Result<Option<u64>> {
        let entry = self.entry(offset)?;
        Ok(entry
            .attr_value(at)
            .ok()
            .flatten()
            .and_then(|v| v.udata_value()))
    }

    /// One type DIE as an entry of `types`.
    fn type_entry(&mut self, offset: UnitOffset) -> Result<Value> {
        let entry = self.entry(offset)?;
        let tag = entry.tag();
        let mut t = Map::new();
        let name = self.string(&entry, gimli::DW_AT_name)?;
        let kind = match tag {
            gimli::DW_TAG_base_type => "base",
            gimli::DW_TAG_pointer_type => "pointer",
            gimli::DW_TAG_const_type => "const",
            gimli::DW_TAG_volatile_type => "volatile",
            gimli::DW_TAG_typedef => "typedef",
            gimli::DW_TAG_structure_type => "struct",
            gimli::DW_TAG_union_type => "union",
            gimli::DW_TAG_array_type => "array",
            gimli::DW_TAG_enumeration_type => "enum",
            _ => "function",
        };
        t.insert("kind".into(), Value::from(kind));
        let size = self.udata(offset, gimli::DW_AT_byte_size)?;
        match tag {
            gimli::DW_TAG_base_type => {
                t.insert("name".into(), Value::from(name.unwrap_or_default()));
                let encoding = match entry.attr_value(gimli::DW_AT_encoding).ok().flatten() {
                    Some(AttributeValue::Encoding(e)) => e,
                    _ => gimli::DW_ATE_signed,
                };
                let e = match encoding {
                    gimli::DW_ATE_address => "address",
                    gimli::DW_ATE_boolean => "boolean",
                    gimli::DW_ATE_float => "float",
                    gimli::DW_ATE_signed => "signed",
                    gimli::DW_ATE_signed_char => "signed_char",
                    gimli::DW_ATE_unsigned => "unsigned",
                    gimli::DW_ATE_unsigned_char => "unsigned_char",
                    gimli::DW_ATE_UTF => "utf",
                    _ => {
                        self.drop("base-type encodings the description lacks (written as float: complex, decimal or fixed-point types)");
                        "float"
                    }
                };
                t.insert("encoding".into(), Value::from(e));
                t.insert("size".into(), Value::from(size.unwrap_or(1).max(1)));
            }
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_const_type | gimli::DW_TAG_volatile_type => {
                t.insert("to".into(), self.type_of(offset)?);
            }
            gimli::DW_TAG_typedef => {
                t.insert("name".into(), Value::from(name.unwrap_or_default()));
                t.insert("to".into(), self.type_of(offset)?);
            }
            gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type => {
                if let Some(n) = name {
                    t.insert("name".into(), Value::from(n));
                }
                if size.is_none() {
                    self.drop("declarations of incomplete structs and unions (written as empty)");
                }
                t.insert("size".into(), Value::from(size.unwrap_or(0)));
                let mut members = Vec::new();
                for child in self.children_of(offset) {
                    if self.entry(child)?.tag() == gimli::DW_TAG_member {
                        members.push(self.member(child)?);
                    }
                }
                t.insert("members".into(), Value::Array(members));
            }
            gimli::DW_TAG_array_type => {
                t.insert("element".into(), self.type_of(offset)?);
                let mut counts = Vec::new();
                for child in self.children_of(offset) {
                    if self.entry(child)?.tag() != gimli::DW_TAG_subrange_type {
                        continue;
                    }
                    let count = match self.udata(child, gimli::DW_AT_count)? {
                        Some(c) => Some(c),
                        None => {
                            let lower = self.udata(child, gimli::DW_AT_lower_bound)?.unwrap_or(0);
                            self.udata(child, gimli::DW_AT_upper_bound)?
                                .map(|u| (u + 1).saturating_sub(lower))
                        }
                    };
                    counts.push(count.map_or(Value::Null, Value::from));
                }
                if counts.is_empty() {
                    counts.push(Value::Null);
                }
                t.insert("counts".into(), Value::Array(counts));
            }
            gimli::DW_TAG_enumeration_type => {
                if let Some(n) = name {
                    t.insert("name".into(), Value::from(n));
                }
                t.insert("size".into(), Value::from(size.unwrap_or(4)));
                if self.type_attr(offset)?.is_some() {
                    t.insert("type".into(), self.type_of(offset)?);
                }
                let mut values = Vec::new();
                for child in self.children_of(offset) {
                    let e = self.entry(child)?;
                    if e.tag() != gimli::DW_TAG_enumerator {
                        continue;
                    }
                    let value = match e.attr_value(gimli::DW_AT_const_value).ok().flatten() {
                        Some(AttributeValue::Udata(u)) => u as i64,
                        Some(v) => v.sdata_value().unwrap_or(0),
                        None => 0,
                    };
                    let n = self.string(&e, gimli::DW_AT_name)?.unwrap_or_default();
                    let mut m = Map::new();
                    m.insert("name".into(), Value::from(n));
                    m.insert("value".into(), Value::from(value));
                    values.push(Value::Object(m));
                }
                t.insert("values".into(), Value::Array(values));
            }
            _ => {
                t.insert("returns".into(), self.type_of(offset)?);
                let mut parameters = Vec::new();
                let mut varargs = false;
                for child in self.children_of(offset) {
                    match self.entry(child)?.tag() {
                        gimli::DW_TAG_formal_parameter => parameters.push(self.type_of(child)?),
                        gimli::DW_TAG_unspecified_parameters => varargs = true,
                        _ => {}
                    }
                }
                t.insert("parameters".into(), Value::Array(parameters));
                if varargs {
                    t.insert("varargs".into(), Value::from(true));
                }
            }
        }
        Ok(Value::Object(t))
    }

    /// A struct or union member: its byte offset, and for a bit field its width and first
    /// bit, from `DW_AT_data_bit_offset` (DWARF 4 and 5) or the older `DW_AT_bit_offset`
    /// counted from the storage unit's most significant bit (GCC's DWARF 4).
    fn member(&mut self, offset: UnitOffset) -> Result<Value> {
        let entry = self.entry(offset)?;
        let mut m = Map::new();
        if let Some(n) = self.string(&entry, gimli::DW_AT_name)? {
            m.insert("name".into(), Value::from(n));
        }
        m.insert("type".into(), self.type_of(offset)?);
        let byte = match entry
            .attr_value(gimli::DW_AT_data_member_location)
            .ok()
            .flatten()
        {
            Some(AttributeValue::Exprloc(e)) => {
                // DWARF 2's form: DW_OP_plus_uconst N.
                let bytes = e.0.slice();
                match bytes.split_first() {
                    Some((&0x23, rest)) => leb128(rest).unwrap_or(0),
                    _ => 0,
                }
            }
            Some(v) => v.udata_value().unwrap_or(0),
            None => 0,
        };
        let bit_size = self.udata(offset, gimli::DW_AT_bit_size)?;
        let first_bit = match (
            self.udata(offset, gimli::DW_AT_data_bit_offset)?,
            self.udata(offset, gimli::DW_AT_bit_offset)?,
            bit_size,
        ) {
            (Some(d), _, _) => Some(d),
            (None, Some(b), Some(w)) => {
                let storage = self.udata(offset, gimli::DW_AT_byte_size)?.unwrap_or(4);
                Some((byte * 8 + storage * 8).saturating_sub(b + w))
            }
            _ => None,
        };
        match (bit_size, first_bit) {
            (Some(w), Some(first)) => {
                m.insert("offset".into(), Value::from(first / 8));
                m.insert("bit_size".into(), Value::from(w));
                m.insert("bit_offset".into(), Value::from(first % 8));
            }
            _ => {
                m.insert("offset".into(), Value::from(byte));
            }
        }
        Ok(Value::Object(m))
    }
}

/// An unsigned LEB128 number at the start of `bytes`.
fn leb128(bytes: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}
