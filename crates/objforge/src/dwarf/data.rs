//! The DIEs that describe data: types (`DW_TAG_*_type` and their members, enumerators and
//! subranges), variables and parameters with their locations, and the location lists
//! (`.debug_loclists` for DWARF 5, `.debug_loc` for DWARF 4) they point into.

use super::consts::*;
use super::encode::{write_die, Abbreviations, DebugSection, DieRef, Value, Writer};
use super::info::Forms;
use std::collections::HashMap;

use super::{
    InlineBlock, InlineFunction, InlinedBlock, InlinedCall, Location, Op, Type, TypeId, Unit,
    Variable,
};

/// What a function's DIE and an inline function's share.
pub(super) struct Subprogram<'s> {
    pub(super) name: &'s str,
    pub(super) linkage_name: Option<&'s str>,
    pub(super) file: super::FileId,
    pub(super) line: u32,
    pub(super) external: bool,
    pub(super) prototyped: bool,
    pub(super) return_type: Option<TypeId>,
}

/// Where DIEs go: the `.debug_info` writer, the abbreviations and the unit's forms.
pub(super) struct Dies<'w, 'a, 'f> {
    pub(super) w: &'w mut Writer,
    pub(super) abbreviations: &'w mut Abbreviations,
    pub(super) forms: &'w mut Forms<'f>,
    pub(super) unit: &'w Unit<'a>,
    pub(super) address_size: u8,
    /// `.debug_loclists` (with its header) or `.debug_loc`, when a list was written.
    pub(super) loclists: &'w mut Option<Writer>,
    /// The unit offset of each DIE others refer to, as it is written.
    pub(super) offsets: HashMap<DieRef, u64>,
}

impl Dies<'_, '_, '_> {
    fn die(&mut self, tag: u16, children: bool, attributes: &[(u16, Value)]) {
        write_die(
            self.w,
            self.abbreviations,
            self.address_size,
            tag,
            children,
            attributes,
        );
    }

    fn end_children(&mut self) {
        self.w.u8(0);
    }

    fn name(&self, attributes: &mut Vec<(u16, Value)>, name: &str) {
        if !name.is_empty() {
            attributes.push((DW_AT_NAME, self.forms.string(name)));
        }
    }

    /// Writes every type.
    pub(super) fn types(&mut self, types: &[Type]) {
        for (i, ty) in types.iter().enumerate() {
            self.offsets.insert(DieRef::Type(i), self.w.len());
            self.ty(ty);
        }
    }

    /// Writes the abstract description of each inline function.
    pub(super) fn inline_functions(&mut self, functions: &[InlineFunction]) {
        for (i, f) in functions.iter().enumerate() {
            self.offsets.insert(DieRef::Inline(i), self.w.len());
            let mut attributes = Vec::new();
            self.subprogram(
                &mut attributes,
                &Subprogram {
                    name: &f.name,
                    linkage_name: f.linkage_name.as_deref(),
                    file: f.file,
                    line: f.line,
                    external: f.external,
                    prototyped: f.prototyped,
                    return_type: f.return_type,
                },
            );
            attributes.push((DW_AT_INLINE, Value::Data1(DW_INL_DECLARED_INLINED)));
            let children =
                !f.parameters.is_empty() || !f.variables.is_empty() || !f.blocks.is_empty();
            self.die(DW_TAG_SUBPROGRAM, children, &attributes);
            for (j, p) in f.parameters.iter().enumerate() {
                self.offsets
                    .insert(DieRef::InlineParameter(i, j), self.w.len());
                self.abstract_variable(p, DW_TAG_FORMAL_PARAMETER);
            }
            // The locals no block declares, then the blocks with theirs.
            let mut in_block = vec![false; f.variables.len()];
            for b in InlineBlock::preorder(&f.blocks) {
                for &j in &b.variables {
                    in_block[j] = true;
                }
            }
            for (j, v) in f.variables.iter().enumerate() {
                if !in_block[j] {
                    self.offsets
                        .insert(DieRef::InlineVariable(i, j), self.w.len());
                    self.abstract_variable(v, DW_TAG_VARIABLE);
                }
            }
            let mut next = 0;
            self.abstract_blocks(i, f, &f.blocks, &mut next);
            if children {
                self.end_children();
            }
        }
    }

    /// An inline function's blocks (no code), numbered in pre-order from `next`, with the
    /// locals declared in them.
    fn abstract_blocks(
        &mut self,
        i: usize,
        f: &InlineFunction,
        blocks: &[InlineBlock],
        next: &mut usize,
    ) {
        for b in blocks {
            self.offsets
                .insert(DieRef::InlineBlock(i, *next), self.w.len());
            *next += 1;
            let children = !b.variables.is_empty() || !b.blocks.is_empty();
            self.die(DW_TAG_LEXICAL_BLOCK, children, &[]);
            for &j in &b.variables {
                self.offsets
                    .insert(DieRef::InlineVariable(i, j), self.w.len());
                self.abstract_variable(&f.variables[j], DW_TAG_VARIABLE);
            }
            self.abstract_blocks(i, f, &b.blocks, next);
            if children {
                self.end_children();
            }
        }
    }

    /// The attributes a subprogram's DIE has whether it has code or is inlined, in order:
    /// name, linkage name, declaration, external, prototyped, type.
    pub(super) fn subprogram(&self, attributes: &mut Vec<(u16, Value)>, s: &Subprogram) {
        attributes.push((DW_AT_NAME, self.forms.string(s.name)));
        if let Some(linkage_name) = s.linkage_name {
            attributes.push((DW_AT_LINKAGE_NAME, self.forms.string(linkage_name)));
        }
        self.declaration(attributes, s.file, s.line);
        if s.external {
            attributes.push((DW_AT_EXTERNAL, Value::FlagPresent));
        }
        if s.prototyped {
            attributes.push((DW_AT_PROTOTYPED, Value::FlagPresent));
        }
        if let Some(ty) = s.return_type {
            attributes.push((DW_AT_TYPE, Value::Ref(DieRef::Type(ty.0))));
        }
    }

    fn abstract_variable(&mut self, v: &Variable, tag: u16) {
        let mut attributes = vec![(DW_AT_NAME, self.forms.string(&v.name))];
        self.declaration(&mut attributes, v.file, v.line);
        if let Some(ty) = v.ty {
            attributes.push((DW_AT_TYPE, Value::Ref(DieRef::Type(ty.0))));
        }
        self.die(tag, false, &attributes);
    }

    fn declaration(&self, attributes: &mut Vec<(u16, Value)>, file: super::FileId, line: u32) {
        attributes.push((DW_AT_DECL_FILE, Value::Udata(self.unit.file_number(file))));
        if line != 0 {
            attributes.push((DW_AT_DECL_LINE, Value::Udata(u64::from(line))));
        }
    }

    /// Writes a copy of inlined code, with the locations of its parameters and locals and
    /// the calls inlined into it.
    pub(super) fn inlined(&mut self, call: &InlinedCall) {
        let mut attributes = vec![(
            DW_AT_ABSTRACT_ORIGIN,
            Value::Ref(DieRef::Inline(call.function)),
        )];
        match call.ranges.as_slice() {
            [one] => attributes.extend(self.forms.code(one.section, one.offset, one.size, &[])),
            all => attributes.push((DW_AT_RANGES, self.forms.ranges(all))),
        }
        attributes.push((
            DW_AT_CALL_FILE,
            Value::Udata(self.unit.file_number(call.call_file)),
        ));
        attributes.push((DW_AT_CALL_LINE, Value::Udata(u64::from(call.call_line))));
        if call.call_column != 0 {
            attributes.push((DW_AT_CALL_COLUMN, Value::Udata(u64::from(call.call_column))));
        }
        let children = call.parameters.iter().any(Option::is_some)
            || call.variables.iter().any(Option::is_some)
            || !call.blocks.is_empty()
            || !call.inlined.is_empty();
        self.die(DW_TAG_INLINED_SUBROUTINE, children, &attributes);
        for (j, location) in call.parameters.iter().enumerate() {
            let origin = DieRef::InlineParameter(call.function, j);
            self.concrete(origin, DW_TAG_FORMAL_PARAMETER, location.as_ref());
        }
        self.inlined_scope(call.function, &call.variables, &call.blocks, &call.inlined);
        if children {
            self.end_children();
        }
    }

    /// The locals, blocks and inlined calls of a copy of inline function `function`, or of
    /// one of its blocks.
    fn inlined_scope(
        &mut self,
        function: usize,
        variables: &[Option<Location>],
        blocks: &[InlinedBlock],
        inlined: &[InlinedCall],
    ) {
        for (j, location) in variables.iter().enumerate() {
            let origin = DieRef::InlineVariable(function, j);
            self.concrete(origin, DW_TAG_VARIABLE, location.as_ref());
        }
        for block in blocks {
            let mut attributes = Vec::new();
            if let Some(k) = block.origin {
                attributes.push((
                    DW_AT_ABSTRACT_ORIGIN,
                    Value::Ref(DieRef::InlineBlock(function, k)),
                ));
            }
            match block.ranges.as_slice() {
                [one] => attributes.extend(self.forms.code(one.section, one.offset, one.size, &[])),
                all => attributes.push((DW_AT_RANGES, self.forms.ranges(all))),
            }
            let children = block.variables.iter().any(Option::is_some)
                || !block.blocks.is_empty()
                || !block.inlined.is_empty();
            self.die(DW_TAG_LEXICAL_BLOCK, children, &attributes);
            self.inlined_scope(function, &block.variables, &block.blocks, &block.inlined);
            if children {
                self.end_children();
            }
        }
        for inner in inlined {
            self.inlined(inner);
        }
    }

    /// A copy's DIE for one of its inline function's parameters or locals: none when
    /// `location` is `None`, one without a location for [`Location::OptimizedOut`].
    fn concrete(&mut self, origin: DieRef, tag: u16, location: Option<&Location>) {
        let Some(location) = location else { return };
        let mut attributes = vec![(DW_AT_ABSTRACT_ORIGIN, Value::Ref(origin))];
        attributes.extend(self.location(location));
        self.die(tag, false, &attributes);
    }

    fn ty(&mut self, ty: &Type) {
        let type_ref = |to: &Option<TypeId>, attributes: &mut Vec<(u16, Value)>| {
            if let Some(to) = to {
                attributes.push((DW_AT_TYPE, Value::Ref(DieRef::Type(to.0))));
            }
        };
        let mut attributes = Vec::new();
        match ty {
            Type::Base {
                name,
                encoding,
                size,
            } => {
                attributes.push((DW_AT_BYTE_SIZE, Value::Udata(*size)));
                attributes.push((DW_AT_ENCODING, Value::Data1(encoding.code())));
                self.name(&mut attributes, name);
                self.die(DW_TAG_BASE_TYPE, false, &attributes);
            }
            Type::Pointer { to } => {
                attributes.push((DW_AT_BYTE_SIZE, Value::Udata(u64::from(self.address_size))));
                type_ref(to, &mut attributes);
                self.die(DW_TAG_POINTER_TYPE, false, &attributes);
            }
            Type::Const { to } | Type::Volatile { to } => {
                type_ref(to, &mut attributes);
                let tag = if matches!(ty, Type::Const { .. }) {
                    DW_TAG_CONST_TYPE
                } else {
                    DW_TAG_VOLATILE_TYPE
                };
                self.die(tag, false, &attributes);
            }
            Type::Typedef { name, to } => {
                self.name(&mut attributes, name);
                type_ref(to, &mut attributes);
                self.die(DW_TAG_TYPEDEF, false, &attributes);
            }
            Type::Struct {
                union,
                name,
                size,
                members,
            } => {
                self.name(&mut attributes, name);
                attributes.push((DW_AT_BYTE_SIZE, Value::Udata(*size)));
                let tag = if *union {
                    DW_TAG_UNION_TYPE
                } else {
                    DW_TAG_STRUCTURE_TYPE
                };
                self.die(tag, !members.is_empty(), &attributes);
                for m in members {
                    let mut attributes = Vec::new();
                    self.name(&mut attributes, &m.name);
                    attributes.push((DW_AT_TYPE, Value::Ref(DieRef::Type(m.ty.0))));
                    match m.bit_size {
                        Some(bits) => {
                            attributes.push((DW_AT_BIT_SIZE, Value::Udata(bits)));
                            attributes.push((
                                DW_AT_DATA_BIT_OFFSET,
                                Value::Udata(m.offset * 8 + m.bit_offset),
                            ));
                        }
                        None => {
                            attributes.push((DW_AT_DATA_MEMBER_LOCATION, Value::Udata(m.offset)))
                        }
                    }
                    self.die(DW_TAG_MEMBER, false, &attributes);
                }
                if !members.is_empty() {
                    self.end_children();
                }
            }
            Type::Array { element, counts } => {
                attributes.push((DW_AT_TYPE, Value::Ref(DieRef::Type(element.0))));
                self.die(DW_TAG_ARRAY_TYPE, true, &attributes);
                for count in counts {
                    let attributes: Vec<(u16, Value)> = count
                        .iter()
                        .map(|&c| (DW_AT_COUNT, Value::Udata(c)))
                        .collect();
                    self.die(DW_TAG_SUBRANGE_TYPE, false, &attributes);
                }
                self.end_children();
            }
            Type::Enum {
                name,
                size,
                underlying,
                enumerators,
            } => {
                self.name(&mut attributes, name);
                attributes.push((DW_AT_BYTE_SIZE, Value::Udata(*size)));
                type_ref(underlying, &mut attributes);
                self.die(
                    DW_TAG_ENUMERATION_TYPE,
                    !enumerators.is_empty(),
                    &attributes,
                );
                for e in enumerators {
                    let attributes = [
                        (DW_AT_NAME, self.forms.string(&e.name)),
                        (DW_AT_CONST_VALUE, Value::Sdata(e.value)),
                    ];
                    self.die(DW_TAG_ENUMERATOR, false, &attributes);
                }
                if !enumerators.is_empty() {
                    self.end_children();
                }
            }
            Type::Function {
                returns,
                parameters,
                varargs,
            } => {
                attributes.push((DW_AT_PROTOTYPED, Value::FlagPresent));
                type_ref(returns, &mut attributes);
                let children = !parameters.is_empty() || *varargs;
                self.die(DW_TAG_SUBROUTINE_TYPE, children, &attributes);
                for p in parameters {
                    let attributes = [(DW_AT_TYPE, Value::Ref(DieRef::Type(p.0)))];
                    self.die(DW_TAG_FORMAL_PARAMETER, false, &attributes);
                }
                if *varargs {
                    self.die(DW_TAG_UNSPECIFIED_PARAMETERS, false, &[]);
                }
                if children {
                    self.end_children();
                }
            }
        }
    }

    /// Writes a variable (or, with `parameter`, a formal parameter).
    pub(super) fn variable(&mut self, v: &Variable, parameter: bool) {
        let mut attributes = vec![(DW_AT_NAME, self.forms.string(&v.name))];
        attributes.push((DW_AT_DECL_FILE, Value::Udata(self.unit.file_number(v.file))));
        if v.line != 0 {
            attributes.push((DW_AT_DECL_LINE, Value::Udata(u64::from(v.line))));
        }
        if let Some(ty) = v.ty {
            attributes.push((DW_AT_TYPE, Value::Ref(DieRef::Type(ty.0))));
        }
        if v.external {
            attributes.push((DW_AT_EXTERNAL, Value::FlagPresent));
        }
        if let Some(location) = &v.location {
            attributes.extend(self.location(location));
        }
        let tag = if parameter {
            DW_TAG_FORMAL_PARAMETER
        } else {
            DW_TAG_VARIABLE
        };
        self.die(tag, false, &attributes);
    }

    /// The attribute that says where a value is; none for [`Location::OptimizedOut`].
    fn location(&mut self, location: &Location) -> Option<(u16, Value)> {
        Some(match location {
            Location::OptimizedOut => return None,
            Location::Const(value) => (DW_AT_CONST_VALUE, Value::Sdata(*value)),
            Location::Expr(ops) => (DW_AT_LOCATION, self.exprloc(ops)),
            Location::List(entries) => {
                let offset = self.location_list(entries);
                let target = if self.forms.v5 {
                    DebugSection::Loclists
                } else {
                    DebugSection::Loc
                };
                (DW_AT_LOCATION, Value::SecOffset(target, offset))
            }
        })
    }

    /// An expression as a `DW_FORM_exprloc` value.
    pub(super) fn exprloc(&self, ops: &[Op]) -> Value {
        let e = expression(self.w.big_endian(), self.address_size, ops);
        Value::Exprloc(e.bytes, e.fixups)
    }

    /// Appends a location list and returns its offset in its section.
    fn location_list(&mut self, entries: &[super::LocationEntry]) -> u64 {
        let big_endian = self.w.big_endian();
        let address_size = self.address_size;
        let v5 = self.forms.v5;
        let out = self.loclists.get_or_insert_with(|| {
            let mut w = Writer::new(big_endian);
            if v5 {
                // The header; its length is patched when the unit is done.
                w.u32(0);
                w.u16(5);
                w.u8(address_size);
                w.u8(0); // segment_selector_size
                w.u32(0); // offset_entry_count: lists are reached by DW_FORM_sec_offset
            }
            w
        });
        let start = out.len();
        if v5 {
            for e in entries {
                out.u8(DW_LLE_STARTX_LENGTH);
                let index = self.forms.address_index(e.section, e.offset);
                out.uleb(index);
                out.uleb(e.size);
                let expr = expression(big_endian, address_size, &e.ops);
                out.uleb(expr.len());
                out.append(&expr);
            }
            out.u8(DW_LLE_END_OF_LIST);
        } else {
            // Each entry after a base address selection entry for its section's start.
            for e in entries {
                // Relative to its section's start, an empty entry there would be (0, 0),
                // the end of the list; it is written as two relocated addresses instead
                // (as GCC does), which are not both 0 once linked, and which readers of the
                // object see relocated.
                if e.offset == 0 && e.size == 0 {
                    out.address(address_size, e.section, 0);
                    out.address(address_size, e.section, 0);
                    let expr = expression(big_endian, address_size, &e.ops);
                    out.u16(expr.len() as u16);
                    out.append(&expr);
                    continue;
                }
                out.uint(address_size, u64::MAX);
                out.address(address_size, e.section, 0);
                out.uint(address_size, e.offset);
                out.uint(address_size, e.offset + e.size);
                let expr = expression(big_endian, address_size, &e.ops);
                out.u16(expr.len() as u16);
                out.append(&expr);
            }
            out.uint(address_size, 0);
            out.uint(address_size, 0);
        }
        start
    }
}

/// Fills in the length of `.debug_loclists` (DWARF 5) once every list is written.
pub(super) fn finish_loclists(w: &mut Writer, v5: bool) {
    if v5 {
        let length = w.len().saturating_sub(4);
        w.patch_u32(0, length as u32);
    }
}

/// A DWARF expression's bytes (with the relocations of its `DW_OP_addr`s).
pub(super) fn expression(big_endian: bool, address_size: u8, ops: &[Op]) -> Writer {
    let mut w = Writer::new(big_endian);
    for op in ops {
        match op {
            &Op::Reg(r) if r < 32 => w.u8(DW_OP_REG0 + r as u8),
            &Op::Reg(r) => {
                w.u8(DW_OP_REGX);
                w.uleb(u64::from(r));
            }
            &Op::Breg(r, offset) if r < 32 => {
                w.u8(DW_OP_BREG0 + r as u8);
                w.sleb(offset);
            }
            &Op::Breg(r, offset) => {
                w.u8(DW_OP_BREGX);
                w.uleb(u64::from(r));
                w.sleb(offset);
            }
            &Op::Fbreg(offset) => {
                w.u8(DW_OP_FBREG);
                w.sleb(offset);
            }
            &Op::Addr { symbol, addend } => {
                w.u8(DW_OP_ADDR);
                w.symbol_address(address_size, symbol, addend);
            }
            &Op::PlusUconst(n) => {
                w.u8(DW_OP_PLUS_UCONST);
                w.uleb(n);
            }
            &Op::Piece(n) => {
                w.u8(DW_OP_PIECE);
                w.uleb(n);
            }
            Op::StackValue => w.u8(DW_OP_STACK_VALUE),
            Op::CallFrameCfa => w.u8(DW_OP_CALL_FRAME_CFA),
            Op::ImplicitValue(bytes) => {
                w.u8(DW_OP_IMPLICIT_VALUE);
                w.uleb(bytes.len() as u64);
                w.put(bytes);
            }
            Op::Raw(bytes) => w.put(bytes),
        }
    }
    w
}
