//! Locations: DWARF expressions into the description's operations, location lists into
//! `list`s, `DW_AT_const_value` into `const` (or `implicit_value` bytes).
//!
//! Each operation the description names is written by name; any other is kept as its own
//! bytes (`expr`), which is exact because such bytes hold no address and no offset — except
//! operations that refer to another DIE (`DW_OP_implicit_pointer`, `DW_OP_call*`, the typed
//! operations of DWARF 5, GNU's `DW_OP_GNU_parameter_ref`): DIE offsets change when objforge
//! writes the unit again, so an expression holding one is dropped (counted).

use gimli::{AttributeValue, Operation, RawLocListEntry, UnitOffset};
use serde_json::{Map, Value};

use super::{Context, Result, R};

/// Why an expression could not be carried over: the kind of thing left out, for the note.
pub(super) struct Untranslatable(pub &'static str);

/// An expression holding a DIE offset.
const NAMES_A_DIE: Untranslatable = Untranslatable(
    "locations whose expression names another DIE (typed or implicit-pointer operations)",
);
/// An expression holding an address no symbol precedes.
const NO_SYMBOL: Untranslatable =
    Untranslatable("locations at an address with no symbol at or before it");

impl<'a> Context<'a> {
    /// The location of a variable or parameter DIE: `DW_AT_location` (an expression or a
    /// list) or `DW_AT_const_value`; `None` when it has neither, or when nothing of it could
    /// be carried over.
    pub(super) fn location(&mut self, offset: UnitOffset) -> Result<Option<Value>> {
        let entry = self.entry(offset)?;
        if let Some(value) = entry.attr_value(gimli::DW_AT_location).ok().flatten() {
            if let AttributeValue::Exprloc(e) = value {
                return Ok(match self.operations(e.0, offset)? {
                    Ok(ops) => Some(Value::Array(ops)),
                    Err(Untranslatable(what)) => {
                        self.drop(what);
                        None
                    }
                });
            }
            return self.location_list(value, offset);
        }
        let Some(value) = entry.attr_value(gimli::DW_AT_const_value).ok().flatten() else {
            return Ok(None);
        };
        let mut m = Map::new();
        match value {
            AttributeValue::Block(b) => {
                let op = Value::Object(Map::from_iter([(
                    "implicit_value".to_string(),
                    Value::from(hex(b.slice())),
                )]));
                return Ok(Some(Value::Array(vec![op])));
            }
            AttributeValue::Sdata(v) => {
                m.insert("const".into(), Value::from(v));
            }
            AttributeValue::Udata(v) => {
                m.insert("const".into(), Value::from(v as i64));
            }
            v => match (v.udata_value(), v.sdata_value()) {
                // Fixed-size data holds the value in the type's width; a signed type's
                // negative value is sign-extended, an unsigned one's is not.
                (Some(u), Some(s)) => {
                    let value = if self.is_unsigned(offset)? {
                        u as i64
                    } else {
                        s
                    };
                    m.insert("const".into(), Value::from(value));
                }
                _ => {
                    self.drop("constant values of a form the description lacks (strings)");
                    return Ok(None);
                }
            },
        }
        Ok(Some(Value::Object(m)))
    }

    /// Whether the type of the DIE at `offset` is an unsigned base type (through typedefs
    /// and qualifiers).
    fn is_unsigned(&self, offset: UnitOffset) -> Result<bool> {
        let mut at = self.type_attr(offset)?;
        for _ in 0..16 {
            let Some(o) = at else { return Ok(false) };
            let e = self.entry(o)?;
            if e.tag() == gimli::DW_TAG_base_type {
                return Ok(matches!(
                    e.attr_value(gimli::DW_AT_encoding).ok().flatten(),
                    Some(AttributeValue::Encoding(
                        gimli::DW_ATE_unsigned
                            | gimli::DW_ATE_unsigned_char
                            | gimli::DW_ATE_boolean
                    ))
                ));
            }
            at = self.type_attr(o)?;
        }
        Ok(false)
    }

    /// A location list: each entry whose expression carries over, in its section.
    fn location_list(
        &mut self,
        value: AttributeValue<R<'a>>,
        offset: UnitOffset,
    ) -> Result<Option<Value>> {
        let mut iter = match self.dwarf.attr_locations(self.unit, value) {
            Ok(Some(iter)) => iter,
            Ok(None) => return Err(self.error(offset, "DW_AT_location of an unknown form")),
            Err(e) => return Err(self.error(offset, format!("bad location list: {e}"))),
        };
        let mut entries = Vec::new();
        // gimli's `next` skips empty entries; GCC writes them for location views, and gdb
        // reads one that starts at a function's entry as the value there. So entries are
        // read raw, the base address followed here to place the empty ones.
        let mut base = self.unit.low_pc;
        loop {
            let raw = match iter.next_raw() {
                Ok(Some(raw)) => raw,
                Ok(None) => break,
                Err(e) => return Err(self.error(offset, format!("bad location list: {e}"))),
            };
            let empty = match &raw {
                RawLocListEntry::BaseAddress { addr } => {
                    base = *addr;
                    None
                }
                RawLocListEntry::BaseAddressx { addr } => {
                    base = self.dwarf.address(self.unit, *addr).unwrap_or(u64::MAX);
                    None
                }
                RawLocListEntry::OffsetPair { begin, end, data }
                | RawLocListEntry::AddressOrOffsetPair { begin, end, data }
                    if begin == end && base != u64::MAX =>
                {
                    Some((base.wrapping_add(*begin), *data))
                }
                RawLocListEntry::StartxLength {
                    begin,
                    length: 0,
                    data,
                } => self
                    .dwarf
                    .address(self.unit, *begin)
                    .ok()
                    .map(|a| (a, *data)),
                RawLocListEntry::StartLength {
                    begin,
                    length: 0,
                    data,
                } => Some((*begin, *data)),
                _ => None,
            };
            let converted = iter
                .convert_raw(raw)
                .map_err(|e| self.error(offset, format!("bad location list: {e}")))?;
            let entry = match (converted, empty) {
                (Some(entry), _) => entry,
                (None, Some((at, data))) => gimli::LocationListEntry {
                    range: gimli::Range { begin: at, end: at },
                    data,
                },
                (None, _) => continue,
            };
            let (section, start) = self.place(entry.range.begin, &offset)?;
            let (end_section, end) = self.place(entry.range.end, &offset)?;
            if end_section != section {
                return Err(self.error(offset, "a location list entry spans two sections"));
            }
            let ops = match self.operations(entry.data.0, offset)? {
                Ok(ops) => ops,
                Err(Untranslatable(what)) => {
                    self.drop(what);
                    continue;
                }
            };
            let mut m = Map::new();
            m.insert("section".into(), self.section_ref(section));
            m.insert("offset".into(), Value::from(start));
            m.insert("size".into(), Value::from(end - start));
            m.insert("location".into(), Value::Array(ops));
            entries.push(Value::Object(m));
        }
        if entries.is_empty() {
            return Ok(None);
        }
        let mut m = Map::new();
        m.insert("list".into(), Value::Array(entries));
        Ok(Some(Value::Object(m)))
    }

    /// The operations of one expression, or [`Untranslatable`].
    pub(super) fn operations(
        &mut self,
        bytes: R<'a>,
        offset: UnitOffset,
    ) -> Result<std::result::Result<Vec<Value>, Untranslatable>> {
        let encoding = self.unit.encoding();
        let mut rest = bytes;
        let mut ops = Vec::new();
        while !rest.is_empty() {
            let before = rest;
            let op = Operation::parse(&mut rest, encoding)
                .map_err(|e| self.error(offset, format!("bad DWARF expression: {e}")))?;
            let raw = &before.slice()[..before.len() - rest.len()];
            let named = |key: &str, v: Value| Value::Object(Map::from_iter([(key.to_string(), v)]));
            let value = match op {
                Operation::Register { register } => named("reg", Value::from(register.0)),
                Operation::RegisterOffset {
                    register,
                    offset: k,
                    base_type,
                } if base_type.0 == 0 => {
                    let mut m = Map::new();
                    m.insert("breg".into(), Value::from(register.0));
                    m.insert("offset".into(), Value::from(k));
                    Value::Object(m)
                }
                Operation::FrameOffset { offset: k } => named("fbreg", Value::from(k)),
                Operation::Address { address } => match self.address_op(address, offset)? {
                    Some(v) => v,
                    None => return Ok(Err(NO_SYMBOL)),
                },
                Operation::AddressIndex { index } => {
                    let address = self
                        .dwarf
                        .address(self.unit, index)
                        .map_err(|e| self.error(offset, format!("bad address index: {e}")))?;
                    match self.address_op(address, offset)? {
                        Some(v) => v,
                        None => return Ok(Err(NO_SYMBOL)),
                    }
                }
                Operation::PlusConstant { value } if raw.first() == Some(&0x23) => {
                    named("plus_uconst", Value::from(value))
                }
                Operation::Piece {
                    size_in_bits,
                    bit_offset: None,
                } if size_in_bits % 8 == 0 => named("piece", Value::from(size_in_bits / 8)),
                Operation::StackValue => Value::from("stack_value"),
                Operation::ImplicitValue { data } => {
                    named("implicit_value", Value::from(hex(data.slice())))
                }
                Operation::CallFrameCFA => Value::from("call_frame_cfa"),
                Operation::EntryValue { expression } => {
                    // Kept as bytes, if what it wraps holds no DIE reference either.
                    if let Err(why) = self.operations(expression, offset)? {
                        return Ok(Err(why));
                    }
                    named("expr", Value::from(hex(raw)))
                }
                Operation::ImplicitPointer { .. }
                | Operation::Call { .. }
                | Operation::ParameterRef { .. }
                | Operation::TypedLiteral { .. }
                | Operation::Convert { .. }
                | Operation::Reinterpret { .. }
                | Operation::RegisterOffset { .. } => return Ok(Err(NAMES_A_DIE)),
                Operation::Deref { base_type, .. } if base_type.0 != 0 => {
                    return Ok(Err(NAMES_A_DIE))
                }
                _ => named("expr", Value::from(hex(raw))),
            };
            ops.push(value);
        }
        Ok(Ok(ops))
    }

    /// `DW_OP_addr` of a relocated address: the nearest symbol and an addend; `None` when no
    /// symbol of its section comes at or before it.
    fn address_op(&mut self, address: u64, offset: UnitOffset) -> Result<Option<Value>> {
        let (section, at) = self.place(address, &offset)?;
        let Some((symbol, addend)) = self.symbol_at(section, at) else {
            return Ok(None);
        };
        let mut m = Map::new();
        m.insert("addr".into(), symbol);
        if addend != 0 {
            m.insert("addend".into(), Value::from(addend));
        }
        Ok(Some(Value::Object(m)))
    }
}

/// Bytes as lowercase hex digits.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
