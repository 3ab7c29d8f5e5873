//! Checks a [`DebugInfo`] against its object before anything is written, so the builders may
//! assume every section, file and offset they see is valid. Each error names its place under
//! `debug` (`debug.lines[3].file`), which is also its path in the JSON spec.

use std::collections::HashMap;

use super::encode::DebugSection;
use super::{
    CallSite, CallTarget, CodeRange, DebugInfo, InlinedBlock, InlinedCall, LexicalBlock, Location,
    Op, Type, TypeId, Variable,
};
use crate::error::{Error, Place};
use crate::model::{Object, Section, SectionId};
use crate::target::Format;
use crate::validate::MAX_NAME_LEN;

/// How deep lexical blocks may nest (deeper nesting is surely a bug, and the writer recurses).
const MAX_BLOCK_DEPTH: usize = 256;

/// Every debug section name, in both spellings (a Mach-O writer may map `.debug_info`).
const ALL_SECTIONS: [DebugSection; 12] = [
    DebugSection::Abbrev,
    DebugSection::Info,
    DebugSection::Str,
    DebugSection::StrOffsets,
    DebugSection::Addr,
    DebugSection::Rnglists,
    DebugSection::Line,
    DebugSection::LineStr,
    DebugSection::Ranges,
    DebugSection::Aranges,
    DebugSection::Loclists,
    DebugSection::Loc,
];

fn at(path: String) -> Place {
    Place::Debug(path)
}

fn check_string(s: &str, place: impl Fn() -> Place, allow_empty: bool) -> Result<(), Error> {
    if s.is_empty() && !allow_empty {
        return Err(Error::invalid(place(), "empty"));
    }
    if s.contains('\0') {
        return Err(Error::invalid(place(), "contains a NUL byte"));
    }
    if s.len() > MAX_NAME_LEN {
        return Err(Error::invalid(
            place(),
            format!("{} bytes long; the limit is {MAX_NAME_LEN}", s.len()),
        ));
    }
    Ok(())
}

/// The section a row or function is in: it must exist and be loaded.
fn code_section(
    obj: &Object,
    section: SectionId,
    place: impl Fn() -> Place,
) -> Result<&Section, Error> {
    let Some(s) = obj.sections.get(section.index()) else {
        return Err(Error::invalid(
            place(),
            format!(
                "there is no section {} (the object has {})",
                section.0,
                obj.sections.len()
            ),
        ));
    };
    if !s.kind.is_allocated() {
        return Err(Error::invalid(
            place(),
            format!(
                "{} is a {} section, which is not loaded; debug information describes code",
                s.name,
                s.kind.name()
            ),
        ));
    }
    Ok(s)
}

/// Checks `debug` against `obj`.
pub(super) fn check(obj: &Object, debug: &DebugInfo) -> Result<(), Error> {
    if obj.target.format == Format::Wasm {
        return Err(Error::unsupported(
            Place::Target,
            "objforge writes DWARF for ELF, Mach-O and COFF objects, not wasm",
        ));
    }
    for kind in ALL_SECTIONS {
        for name in [kind.name(), kind.macho_name()] {
            if let Some(i) = obj.sections.iter().position(|s| s.name == name) {
                return Err(Error::invalid(
                    at(String::new()),
                    format!(
                        "the object already has a {name} section (sections[{i}]); the debug information writes its own sections, once per object"
                    ),
                ));
            }
        }
    }
    check_string(&debug.name, || at("name".into()), false)?;
    check_string(&debug.comp_dir, || at("comp_dir".into()), false)?;
    check_string(&debug.producer, || at("producer".into()), true)?;
    for (i, path) in debug.files.iter().enumerate() {
        check_string(path, || at(format!("files[{i}]")), false)?;
    }
    let file = |file: super::FileId, place: Place| -> Result<(), Error> {
        if file.0 < debug.files.len() {
            Ok(())
        } else {
            Err(Error::invalid(
                place,
                format!(
                    "there is no file {} (`files` has {})",
                    file.0,
                    debug.files.len()
                ),
            ))
        }
    };

    // (offset, row index) of the last row seen in each section.
    let mut last: HashMap<SectionId, (u64, usize)> = HashMap::new();
    for (i, row) in debug.lines.iter().enumerate() {
        let field = |name: &str| at(format!("lines[{i}].{name}"));
        let s = code_section(obj, row.section, || field("section"))?;
        let len = s.data.len();
        // A row may stand at the end of its section: GCC writes a zero-length row where a
        // sequence ends, before the end_sequence row.
        if row.offset > len {
            return Err(Error::invalid(
                field("offset"),
                format!("{} is past the end of {} ({len} bytes)", row.offset, s.name),
            ));
        }
        if let Some(&(previous, j)) = last.get(&row.section) {
            if row.offset < previous {
                return Err(Error::invalid(
                    field("offset"),
                    format!(
                        "{} comes before lines[{j}] at {previous} in {}: rows of one section go in address order",
                        row.offset, s.name
                    ),
                ));
            }
        }
        last.insert(row.section, (row.offset, i));
        if !row.end_sequence {
            file(row.file, field("file"))?;
        }
    }

    for (i, f) in debug.functions.iter().enumerate() {
        let field = |name: &str| at(format!("functions[{i}].{name}"));
        check_string(&f.name, || field("name"), false)?;
        if let Some(linkage_name) = &f.linkage_name {
            check_string(linkage_name, || field("linkage_name"), false)?;
        }
        let s = code_section(obj, f.section, || field("section"))?;
        let len = s.data.len();
        if f.offset > len {
            return Err(Error::invalid(
                field("offset"),
                format!("{} is past the end of {} ({len} bytes)", f.offset, s.name),
            ));
        }
        if f.size == 0 {
            return Err(Error::invalid(
                field("size"),
                "a function covers at least one byte",
            ));
        }
        let end = f.offset.checked_add(f.size).filter(|&end| end <= len);
        let Some(end) = end else {
            return Err(Error::invalid(
                field("size"),
                format!(
                    "{} bytes from {} run past the end of {} ({len} bytes)",
                    f.size, f.offset, s.name
                ),
            ));
        };
        file(f.file, field("file"))?;
        let spans = spans_in(f.section, (f.offset, end), &f.pieces);
        check_blocks(&f.blocks, &format!("functions[{i}]"), f.section, &spans, 1)?;
        let path = format!("functions[{i}]");
        let scope = Scope { obj, debug };
        if let Some(ty) = f.return_type {
            scope.type_ref(ty, &format!("{path}.return_type"))?;
        }
        if let Some(ops) = &f.frame_base {
            scope.ops(ops, &format!("{path}.frame_base"))?;
        }
        for (j, v) in f.parameters.iter().enumerate() {
            scope.variable(v, &format!("{path}.parameters[{j}]"))?;
        }
        check_pieces(obj, &f.pieces, &path)?;
        scope.variables(&f.variables, &f.blocks, &path)?;
        scope.inlined(&f.inlined, &path, 1)?;
        let len = obj.sections[f.section.index()].data.len();
        for (j, site) in f.call_sites.iter().enumerate() {
            scope.call_site(site, len, &format!("{path}.call_sites[{j}]"))?;
        }
    }
    check_types(debug)?;
    let scope = Scope { obj, debug };
    for (i, v) in debug.variables.iter().enumerate() {
        scope.variable(v, &format!("variables[{i}]"))?;
    }
    for (i, f) in debug.inline_functions.iter().enumerate() {
        let path = format!("inline_functions[{i}]");
        check_string(&f.name, || at(format!("{path}.name")), false)?;
        if let Some(linkage_name) = &f.linkage_name {
            check_string(linkage_name, || at(format!("{path}.linkage_name")), false)?;
        }
        file(f.file, at(format!("{path}.file")))?;
        if let Some(ty) = f.return_type {
            scope.type_ref(ty, &format!("{path}.return_type"))?;
        }
        for (j, p) in f.parameters.iter().enumerate() {
            scope.variable(p, &format!("{path}.parameters[{j}]"))?;
        }
        for (j, v) in f.variables.iter().enumerate() {
            scope.variable(v, &format!("{path}.variables[{j}]"))?;
        }
        let mut claimed = vec![false; f.variables.len()];
        check_inline_blocks(&f.blocks, &mut claimed, &format!("{path}.blocks"), 0)?;
    }
    Ok(())
}

/// An inline function's blocks: each local they name exists and is declared in one block.
fn check_inline_blocks(
    blocks: &[super::InlineBlock],
    claimed: &mut [bool],
    path: &str,
    depth: usize,
) -> Result<(), Error> {
    for (k, b) in blocks.iter().enumerate() {
        let path = format!("{path}[{k}]");
        if depth > MAX_BLOCK_DEPTH {
            return Err(Error::invalid(
                at(path),
                format!("blocks nest more than {MAX_BLOCK_DEPTH} deep"),
            ));
        }
        for (m, &j) in b.variables.iter().enumerate() {
            let place = || at(format!("{path}.variables[{m}]"));
            match claimed.get_mut(j) {
                None => {
                    return Err(Error::invalid(
                        place(),
                        format!("there is no local {j} (`variables` has {})", claimed.len()),
                    ))
                }
                Some(true) => {
                    return Err(Error::invalid(
                        place(),
                        format!("local {j} is already declared in another block"),
                    ))
                }
                Some(c) => *c = true,
            }
        }
        check_inline_blocks(&b.blocks, claimed, &format!("{path}.blocks"), depth + 1)?;
    }
    Ok(())
}

/// The further ranges of a function or block: in loaded sections, at least a byte each.
fn check_pieces(obj: &Object, pieces: &[super::CodeRange], path: &str) -> Result<(), Error> {
    check_ranges(obj, pieces, path, "pieces")
}

/// Ranges of code (`path.name[k]`): in loaded sections, at least a byte each.
fn check_ranges(
    obj: &Object,
    pieces: &[super::CodeRange],
    path: &str,
    name: &str,
) -> Result<(), Error> {
    for (k, p) in pieces.iter().enumerate() {
        let field = |field: &str| at(format!("{path}.{name}[{k}].{field}"));
        let s = code_section(obj, p.section, || field("section"))?;
        let len = s.data.len();
        if p.size == 0 {
            return Err(Error::invalid(
                field("size"),
                "a range covers at least one byte",
            ));
        }
        if p.offset.checked_add(p.size).is_none_or(|end| end > len) {
            return Err(Error::invalid(
                field("size"),
                format!(
                    "{} bytes from {} run past the end of {} ({len} bytes)",
                    p.size, p.offset, s.name
                ),
            ));
        }
    }
    Ok(())
}

/// What variables are checked against.
struct Scope<'a> {
    obj: &'a Object,
    debug: &'a DebugInfo,
}

impl Scope<'_> {
    fn type_ref(&self, ty: TypeId, path: &str) -> Result<(), Error> {
        if ty.0 < self.debug.types.len() {
            Ok(())
        } else {
            Err(Error::invalid(
                at(path.to_string()),
                format!(
                    "there is no type {} (`types` has {})",
                    ty.0,
                    self.debug.types.len()
                ),
            ))
        }
    }

    fn variables(
        &self,
        variables: &[Variable],
        blocks: &[LexicalBlock],
        path: &str,
    ) -> Result<(), Error> {
        for (j, v) in variables.iter().enumerate() {
            self.variable(v, &format!("{path}.variables[{j}]"))?;
        }
        for (j, b) in blocks.iter().enumerate() {
            let path = format!("{path}.blocks[{j}]");
            check_pieces(self.obj, &b.pieces, &path)?;
            self.variables(&b.variables, &b.blocks, &path)?;
            self.inlined(&b.inlined, &path, 1)?;
        }
        Ok(())
    }

    fn variable(&self, v: &Variable, path: &str) -> Result<(), Error> {
        check_string(&v.name, || at(format!("{path}.name")), false)?;
        if v.file.0 >= self.debug.files.len() {
            return Err(Error::invalid(
                at(format!("{path}.file")),
                format!(
                    "there is no file {} (`files` has {})",
                    v.file.0,
                    self.debug.files.len()
                ),
            ));
        }
        if let Some(ty) = v.ty {
            self.type_ref(ty, &format!("{path}.type"))?;
        }
        match &v.location {
            Some(location) => self.location(location, &format!("{path}.location")),
            None => Ok(()),
        }
    }

    fn location(&self, location: &Location, place: &str) -> Result<(), Error> {
        match location {
            Location::Const(_) | Location::OptimizedOut => Ok(()),
            Location::Expr(ops) => self.ops(ops, place),
            Location::List(entries) => {
                for (k, e) in entries.iter().enumerate() {
                    let entry = format!("{place}.list[{k}]");
                    let s = code_section(self.obj, e.section, || at(format!("{entry}.section")))?;
                    let len = s.data.len();
                    // An empty entry is allowed: GCC writes them for location views, and
                    // gdb takes one whose offset is a function's or an inlined copy's
                    // entry as the value there.
                    if e.offset.checked_add(e.size).is_none_or(|end| end > len) {
                        return Err(Error::invalid(
                            at(format!("{entry}.size")),
                            format!(
                                "{} bytes from {} run past the end of {} ({len} bytes)",
                                e.size, e.offset, s.name
                            ),
                        ));
                    }
                    self.ops(&e.ops, &format!("{entry}.location"))?;
                }
                Ok(())
            }
        }
    }

    /// Inlined calls: of an inline function that exists, with its code in valid ranges, at
    /// most one location for each of its parameters and locals, nested not too deep.
    fn inlined(&self, calls: &[InlinedCall], path: &str, depth: usize) -> Result<(), Error> {
        for (k, call) in calls.iter().enumerate() {
            let path = format!("{path}.inlined[{k}]");
            if depth > MAX_BLOCK_DEPTH {
                return Err(Error::invalid(
                    at(path),
                    format!("inlined code nests more than {MAX_BLOCK_DEPTH} deep"),
                ));
            }
            let Some(f) = self.debug.inline_functions.get(call.function) else {
                return Err(Error::invalid(
                    at(format!("{path}.function")),
                    format!(
                        "there is no inline function {} (`inline_functions` has {})",
                        call.function,
                        self.debug.inline_functions.len()
                    ),
                ));
            };
            if call.ranges.is_empty() {
                return Err(Error::invalid(
                    at(format!("{path}.ranges")),
                    "inlined code covers at least one range",
                ));
            }
            check_ranges(self.obj, &call.ranges, &path, "ranges")?;
            if call.call_file.0 >= self.debug.files.len() {
                return Err(Error::invalid(
                    at(format!("{path}.call_file")),
                    format!(
                        "there is no file {} (`files` has {})",
                        call.call_file.0,
                        self.debug.files.len()
                    ),
                ));
            }
            self.copy_locations(
                &call.parameters,
                f.parameters.len(),
                "parameters",
                &f.name,
                &path,
            )?;
            self.copy_locations(
                &call.variables,
                f.variables.len(),
                "variables",
                &f.name,
                &path,
            )?;
            self.inlined_blocks(call.function, &call.blocks, &path, depth + 1)?;
            self.inlined(&call.inlined, &path, depth + 1)?;
        }
        Ok(())
    }

    /// A copy's (or its block's) locations of its inline function's `field`, by index: no
    /// more than it declares, each valid.
    fn copy_locations(
        &self,
        locations: &[Option<Location>],
        declared: usize,
        field: &str,
        function: &str,
        path: &str,
    ) -> Result<(), Error> {
        if locations.len() > declared {
            return Err(Error::invalid(
                at(format!("{path}.{field}")),
                format!(
                    "{} locations for the {declared} {field} of {function}",
                    locations.len()
                ),
            ));
        }
        for (j, l) in locations.iter().enumerate() {
            if let Some(l) = l {
                self.location(l, &format!("{path}.{field}[{j}]"))?;
            }
        }
        Ok(())
    }

    /// The blocks of a copy of inline function `function`: code in valid ranges, locals
    /// the function declares, nested not too deep.
    fn inlined_blocks(
        &self,
        function: usize,
        blocks: &[InlinedBlock],
        path: &str,
        depth: usize,
    ) -> Result<(), Error> {
        let f = &self.debug.inline_functions[function];
        for (k, block) in blocks.iter().enumerate() {
            let path = format!("{path}.blocks[{k}]");
            if depth > MAX_BLOCK_DEPTH {
                return Err(Error::invalid(
                    at(path),
                    format!("blocks nest more than {MAX_BLOCK_DEPTH} deep"),
                ));
            }
            if block.ranges.is_empty() {
                return Err(Error::invalid(
                    at(format!("{path}.ranges")),
                    "a block covers at least one range",
                ));
            }
            check_ranges(self.obj, &block.ranges, &path, "ranges")?;
            if let Some(k) = block.origin {
                let count = super::InlineBlock::preorder(&f.blocks).len();
                if k >= count {
                    return Err(Error::invalid(
                        at(format!("{path}.origin")),
                        format!("{} has no block {k} (it has {count})", f.name),
                    ));
                }
            }
            self.copy_locations(
                &block.variables,
                f.variables.len(),
                "variables",
                &f.name,
                &path,
            )?;
            self.inlined_blocks(function, &block.blocks, &path, depth + 1)?;
            self.inlined(&block.inlined, &path, depth + 1)?;
        }
        Ok(())
    }

    /// A call site: its return address in the function's section (`len` bytes), a callee
    /// that exists, parameters with a location and a value.
    fn call_site(&self, site: &CallSite, len: u64, path: &str) -> Result<(), Error> {
        if site.return_offset > len {
            return Err(Error::invalid(
                at(format!("{path}.return_offset")),
                format!(
                    "{} is past the end of the function's section ({len} bytes)",
                    site.return_offset
                ),
            ));
        }
        let origin = || at(format!("{path}.origin"));
        match &site.origin {
            Some(CallTarget::Function(i)) if *i >= self.debug.functions.len() => {
                return Err(Error::invalid(
                    origin(),
                    format!(
                        "there is no function {i} (`functions` has {})",
                        self.debug.functions.len()
                    ),
                ))
            }
            Some(CallTarget::Inline(i)) if *i >= self.debug.inline_functions.len() => {
                return Err(Error::invalid(
                    origin(),
                    format!(
                        "there is no inline function {i} (`inline_functions` has {})",
                        self.debug.inline_functions.len()
                    ),
                ))
            }
            Some(CallTarget::External(name)) => check_string(name, origin, false)?,
            _ => {}
        }
        for (k, p) in site.parameters.iter().enumerate() {
            for (field, ops) in [("location", &p.location), ("value", &p.value)] {
                let place = format!("{path}.parameters[{k}].{field}");
                if ops.is_empty() {
                    // A parameter whose value is unknown is left out of the call site.
                    return Err(Error::invalid(at(place), "an empty expression"));
                }
                self.ops(ops, &place)?;
            }
        }
        Ok(())
    }

    /// An expression: symbols exist, and it fits a `.debug_loc` entry's 2-byte length.
    fn ops(&self, ops: &[Op], path: &str) -> Result<(), Error> {
        if ops.is_empty() {
            return Err(Error::invalid(
                at(path.to_string()),
                "an empty expression (leave the location out for a variable optimized out)",
            ));
        }
        let mut bytes = 0usize;
        for (k, op) in ops.iter().enumerate() {
            bytes += match op {
                Op::Addr { symbol, .. } => {
                    if symbol.index() >= self.obj.symbols.len() {
                        return Err(Error::invalid(
                            at(format!("{path}[{k}]")),
                            format!(
                                "there is no symbol {} (the object has {})",
                                symbol.0,
                                self.obj.symbols.len()
                            ),
                        ));
                    }
                    9
                }
                Op::ImplicitValue(b) | Op::Raw(b) => b.len() + 11,
                _ => 21,
            };
        }
        if bytes > usize::from(u16::MAX) {
            return Err(Error::invalid(
                at(path.to_string()),
                "the expression may be longer than 65535 bytes, more than a location list entry holds",
            ));
        }
        Ok(())
    }
}

/// Types refer to types that exist, and no type contains itself except through a pointer
/// (or a function type): a debugger would loop on `typedef t t`.
fn check_types(debug: &DebugInfo) -> Result<(), Error> {
    let count = debug.types.len();
    let check = |ty: TypeId, path: String| -> Result<(), Error> {
        if ty.0 < count {
            Ok(())
        } else {
            Err(Error::invalid(
                at(path),
                format!("there is no type {} (`types` has {count})", ty.0),
            ))
        }
    };
    // The types each one contains (not through a pointer), for the cycle check.
    let mut contains: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, ty) in debug.types.iter().enumerate() {
        let path = |field: &str| format!("types[{i}].{field}");
        match ty {
            Type::Base { name, size, .. } => {
                check_string(name, || at(path("name")), false)?;
                if *size == 0 {
                    return Err(Error::invalid(
                        at(path("size")),
                        "a base type is at least one byte",
                    ));
                }
            }
            Type::Pointer { to } => {
                if let Some(to) = to {
                    check(*to, path("to"))?;
                }
            }
            Type::Const { to } | Type::Volatile { to } => {
                if let Some(to) = to {
                    check(*to, path("to"))?;
                    contains[i].push(to.0);
                }
            }
            Type::Typedef { name, to } => {
                check_string(name, || at(path("name")), false)?;
                if let Some(to) = to {
                    check(*to, path("to"))?;
                    contains[i].push(to.0);
                }
            }
            Type::Struct { name, members, .. } => {
                check_string(name, || at(path("name")), true)?;
                for (j, m) in members.iter().enumerate() {
                    let member = format!("types[{i}].members[{j}]");
                    check_string(&m.name, || at(format!("{member}.name")), true)?;
                    check(m.ty, format!("{member}.type"))?;
                    contains[i].push(m.ty.0);
                    if m.bit_size == Some(0) {
                        return Err(Error::invalid(
                            at(format!("{member}.bit_size")),
                            "a bit field is at least one bit wide",
                        ));
                    }
                    if m.offset
                        .checked_mul(8)
                        .and_then(|b| b.checked_add(m.bit_offset))
                        .is_none()
                    {
                        return Err(Error::invalid(
                            at(format!("{member}.offset")),
                            "the member's bit offset does not fit 64 bits",
                        ));
                    }
                }
            }
            Type::Array { element, counts } => {
                check(*element, path("element"))?;
                contains[i].push(element.0);
                if counts.is_empty() {
                    return Err(Error::invalid(
                        at(path("counts")),
                        "an array has at least one dimension",
                    ));
                }
            }
            Type::Enum {
                name,
                underlying,
                enumerators,
                ..
            } => {
                check_string(name, || at(path("name")), true)?;
                if let Some(u) = underlying {
                    check(*u, path("type"))?;
                }
                for (j, e) in enumerators.iter().enumerate() {
                    check_string(
                        &e.name,
                        || at(format!("types[{i}].values[{j}].name")),
                        false,
                    )?;
                }
            }
            Type::Function {
                returns,
                parameters,
                ..
            } => {
                if let Some(r) = returns {
                    check(*r, path("returns"))?;
                }
                for (j, p) in parameters.iter().enumerate() {
                    check(*p, format!("types[{i}].parameters[{j}]"))?;
                }
            }
        }
    }
    // Depth-first search for a cycle: 0 unvisited, 1 on the path, 2 done.
    let mut state = vec![0u8; count];
    for root in 0..count {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&child) = contains[node].get(*next) {
                *next += 1;
                match state[child] {
                    0 => {
                        state[child] = 1;
                        stack.push((child, 0));
                    }
                    1 => {
                        return Err(Error::invalid(
                            at(format!("types[{child}]")),
                            "the type contains itself (only a pointer may refer back to it)",
                        ))
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    Ok(())
}

/// The `start..end` spans of a function's or block's code in `section`: its main range and
/// its pieces there.
fn spans_in(section: SectionId, main: (u64, u64), pieces: &[CodeRange]) -> Vec<(u64, u64)> {
    let mut spans = vec![main];
    spans.extend(
        pieces
            .iter()
            .filter(|p| p.section == section)
            .map(|p| (p.offset, p.offset.saturating_add(p.size))),
    );
    spans
}

/// Blocks must lie within one of their parent's spans in the function's section (a block
/// of a split parent, as GCC writes at -O2, may sit in any part of it).
fn check_blocks(
    blocks: &[LexicalBlock],
    parent: &str,
    section: SectionId,
    spans: &[(u64, u64)],
    depth: usize,
) -> Result<(), Error> {
    for (i, b) in blocks.iter().enumerate() {
        let path = format!("{parent}.blocks[{i}]");
        let field = |name: &str| at(format!("{path}.{name}"));
        if depth > MAX_BLOCK_DEPTH {
            return Err(Error::invalid(
                at(path.clone()),
                format!("blocks nest more than {MAX_BLOCK_DEPTH} deep"),
            ));
        }
        if b.size == 0 {
            return Err(Error::invalid(
                field("size"),
                "a block covers at least one byte",
            ));
        }
        let Some(&(start, end)) = spans
            .iter()
            .find(|(start, end)| b.offset >= *start && b.offset < *end)
        else {
            let (start, end) = spans[0];
            return Err(Error::invalid(
                field("offset"),
                format!(
                    "{} is outside the enclosing code ({start}..{end})",
                    b.offset
                ),
            ));
        };
        let Some(block_end) = b.offset.checked_add(b.size).filter(|&e| e <= end) else {
            return Err(Error::invalid(
                field("size"),
                format!(
                    "{} bytes from {} run past the end of the enclosing code ({start}..{end})",
                    b.size, b.offset
                ),
            ));
        };
        let inner = spans_in(section, (b.offset, block_end), &b.pieces);
        check_blocks(&b.blocks, &path, section, &inner, depth + 1)?;
    }
    Ok(())
}
