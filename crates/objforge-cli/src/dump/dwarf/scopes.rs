//! Functions, their scopes, and inlined code.
//!
//! - A subprogram with code becomes a function; one with `DW_AT_inline` an entry of
//!   `inline_functions`; a concrete out-of-line copy of an inline function (a subprogram with
//!   code and `DW_AT_abstract_origin`) a function whose name, type and parameters' names come
//!   from the abstract DIE. A declaration (a function defined elsewhere) has nothing to carry.
//! - Lexical blocks with code become `blocks`; those without (GCC keeps them for scopes whose
//!   code was optimized away) give their variables and copies to the enclosing scope.
//! - An inlined subroutine becomes a copy in `inlined`, its ranges in the order GCC lists
//!   them: gdb stops at the first one's start, not at `DW_AT_entry_pc` (which the
//!   description has no field for). A copy's blocks with code become its `blocks`, so gdb
//!   lists an inlined frame's locals innermost block first; a parameter or local without a
//!   location is kept as `null`, so gdb lists it as `<optimized out>`.

use std::collections::HashSet;

use gimli::{AttributeValue, DwAt, UnitOffset};
use serde_json::{Map, Value};

use super::{Context, Result};

/// A code range: (section, offset, size).
type Range = (usize, u64, u64);

/// What a scope (function, block, or inlined copy) collects from its children.
#[derive(Default)]
struct Scope {
    parameters: Vec<Value>,
    variables: Vec<Value>,
    blocks: Vec<Value>,
    inlined: Vec<Value>,
    /// For a copy: locations by name (parameters, then variables).
    parameter_locations: Map<String, Value>,
    variable_locations: Map<String, Value>,
}

impl<'a> Context<'a> {
    /// The global variables and the functions; fills `inline_functions` on the way.
    pub(super) fn scopes(&mut self) -> Result<(Vec<Value>, Vec<Value>)> {
        // Abstract functions first: copies anywhere refer to them by index.
        let mut all = Vec::new();
        let mut pending = vec![self.root];
        while let Some(offset) = pending.pop() {
            all.push(offset);
            pending.extend(self.children_of(offset).into_iter().rev());
        }
        for &offset in &all {
            let entry = self.entry(offset)?;
            if entry.tag() == gimli::DW_TAG_subprogram
                && entry
                    .attr_value(gimli::DW_AT_inline)
                    .ok()
                    .flatten()
                    .is_some()
            {
                let f = self.inline_function(offset)?;
                self.inline_index
                    .insert(offset, self.inline_functions.len());
                self.inline_functions.push(f);
            }
        }
        let mut variables = Vec::new();
        let mut functions = Vec::new();
        for child in self.children_of(self.root) {
            let entry = self.entry(child)?;
            match entry.tag() {
                gimli::DW_TAG_variable => {
                    if self.flag(child, gimli::DW_AT_declaration)? {
                        self.drop("declarations of variables defined elsewhere");
                        continue;
                    }
                    variables.push(self.variable(child)?);
                }
                gimli::DW_TAG_subprogram => {
                    if self.flag(child, gimli::DW_AT_declaration)? {
                        self.drop("declarations of functions defined elsewhere");
                    } else if self.inline_index.contains_key(&child) {
                    } else if let Some(f) = self.function(child)? {
                        functions.push(f);
                    } else {
                        self.drop("functions with neither code nor DW_AT_inline");
                    }
                }
                _ => {}
            }
        }
        // A call site's origin naming a function the description does not have (one with
        // no code) is left out; the call site stays.
        let names: HashSet<String> = functions
            .iter()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect();
        for f in &mut functions {
            let Some(Value::Array(sites)) = f.get_mut("call_sites") else {
                continue;
            };
            for site in sites {
                let known = match site["origin"].get("function") {
                    Some(Value::String(name)) => names.contains(name),
                    _ => true,
                };
                if !known {
                    site.as_object_mut().map(|m| m.remove("origin"));
                    self.drop("call site origins naming a function without code");
                }
            }
        }
        Ok((variables, functions))
    }

    /// A flag attribute (`DW_FORM_flag_present` or `DW_FORM_flag`).
    fn flag(&self, offset: UnitOffset, at: DwAt) -> Result<bool> {
        let entry = self.entry(offset)?;
        Ok(matches!(
            entry.attr_value(at).ok().flatten(),
            Some(AttributeValue::Flag(true))
        ))
    }

    /// The DIE a concrete DIE takes its name and type from: `DW_AT_abstract_origin`, else
    /// `DW_AT_specification` (a definition's declaration).
    fn origin(&self, offset: UnitOffset) -> Result<Option<UnitOffset>> {
        let entry = self.entry(offset)?;
        for at in [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification] {
            if let Some(AttributeValue::UnitRef(o)) = entry.attr_value(at).ok().flatten() {
                return Ok(Some(o));
            }
        }
        Ok(None)
    }

    /// The DIE holding attribute `at` for `offset`: itself, or along its origins.
    fn with_attr(&self, offset: UnitOffset, at: DwAt) -> Result<Option<UnitOffset>> {
        let mut current = Some(offset);
        for _ in 0..8 {
            let Some(o) = current else { break };
            if self.entry(o)?.attr_value(at).ok().flatten().is_some() {
                return Ok(Some(o));
            }
            current = self.origin(o)?;
        }
        Ok(None)
    }

    /// Attribute `at` as a string, from the DIE or its origins.
    fn inherited_string(&self, offset: UnitOffset, at: DwAt) -> Result<Option<String>> {
        match self.with_attr(offset, at)? {
            Some(o) => {
                let e = self.entry(o)?;
                self.string(&e, at)
            }
            None => Ok(None),
        }
    }

    /// The fields a declaration carries: `name`, `linkage_name`, `file`, `line`, `external`,
    /// `prototyped`, and `type` (for variables) or `return_type` (for functions).
    fn declaration(
        &mut self,
        offset: UnitOffset,
        m: &mut Map<String, Value>,
        function: bool,
    ) -> Result<()> {
        let name = self.inherited_string(offset, gimli::DW_AT_name)?;
        m.insert("name".into(), Value::from(name.unwrap_or_default()));
        if function {
            if let Some(l) = self.inherited_string(offset, gimli::DW_AT_linkage_name)? {
                m.insert("linkage_name".into(), Value::from(l));
            }
        }
        if let Some(o) = self.with_attr(offset, gimli::DW_AT_decl_file)? {
            let number = self.udata(o, gimli::DW_AT_decl_file)?.unwrap_or(0);
            if let Some(file) = self.file(number) {
                m.insert("file".into(), Value::from(file));
            }
        }
        let line = match self.with_attr(offset, gimli::DW_AT_decl_line)? {
            Some(o) => self.udata(o, gimli::DW_AT_decl_line)?.unwrap_or(0),
            None => 0,
        };
        m.insert("line".into(), Value::from(line));
        if let Some(o) = self.with_attr(offset, gimli::DW_AT_external)? {
            if self.flag(o, gimli::DW_AT_external)? {
                m.insert("external".into(), Value::from(true));
            }
        }
        if function {
            if let Some(o) = self.with_attr(offset, gimli::DW_AT_prototyped)? {
                if self.flag(o, gimli::DW_AT_prototyped)? {
                    m.insert("prototyped".into(), Value::from(true));
                }
            }
        }
        let typed = self.with_attr(offset, gimli::DW_AT_type)?;
        let t = match typed {
            Some(o) => self.type_of(o)?,
            None => Value::from("void"),
        };
        if function {
            if t != "void" {
                m.insert("return_type".into(), t);
            }
        } else {
            m.insert("type".into(), t);
        }
        Ok(())
    }

    /// A variable or parameter with its location.
    fn variable(&mut self, offset: UnitOffset) -> Result<Value> {
        let mut m = Map::new();
        self.declaration(offset, &mut m, false)?;
        if let Some(location) = self.location(offset)? {
            m.insert("location".into(), location);
        }
        Ok(Value::Object(m))
    }

    /// A variable or parameter of an inline function: declaration only.
    fn abstract_variable(&mut self, offset: UnitOffset) -> Result<Value> {
        let mut m = Map::new();
        self.declaration(offset, &mut m, false)?;
        Ok(Value::Object(m))
    }

    /// An abstract inline function: declaration, parameters, and the locals of all its
    /// blocks (one per name).
    fn inline_function(&mut self, offset: UnitOffset) -> Result<Value> {
        let mut m = Map::new();
        self.declaration(offset, &mut m, true)?;
        let mut parameters = Vec::new();
        let mut variables = Vec::new();
        let mut names = HashSet::new();
        let mut next_block = 0;
        let (_, blocks) = self.abstract_scope(
            offset,
            &mut parameters,
            &mut variables,
            &mut names,
            &mut next_block,
        )?;
        // gdb lists an inlined frame's arguments in the order its copy's DIEs come, and GCC
        // lists a copy's parameters in an order of its own (often reversed); objforge writes
        // a copy's parameters in the inline function's order, so that order is taken from
        // the first copy that names them all.
        if let Some(order) = self.copy_parameter_order(offset, parameters.len())? {
            parameters.sort_by_key(|p| {
                let name = p["name"].as_str().unwrap_or_default();
                order.iter().position(|o| o == name)
            });
        }
        m.insert("parameters".into(), Value::Array(parameters));
        m.insert("variables".into(), Value::Array(variables));
        m.insert("blocks".into(), Value::Array(blocks));
        Ok(Value::Object(m))
    }

    /// The parameters, locals and blocks of an abstract function or of one of its blocks:
    /// parameters and locals go to the function's flat lists; returned are the names of
    /// the locals declared right here, and the blocks, each with the names of its own.
    /// Blocks are numbered in pre-order from `next`, the number a copy's block names as
    /// `origin`.
    fn abstract_scope(
        &mut self,
        offset: UnitOffset,
        parameters: &mut Vec<Value>,
        variables: &mut Vec<Value>,
        names: &mut HashSet<String>,
        next: &mut usize,
    ) -> Result<(Vec<Value>, Vec<Value>)> {
        let mut here = Vec::new();
        let mut blocks = Vec::new();
        for child in self.children_of(offset) {
            match self.entry(child)?.tag() {
                gimli::DW_TAG_formal_parameter => {
                    let v = self.abstract_variable(child)?;
                    names.insert(v["name"].as_str().unwrap_or_default().to_string());
                    parameters.push(v);
                }
                gimli::DW_TAG_variable => {
                    let v = self.abstract_variable(child)?;
                    let name = v["name"].as_str().unwrap_or_default().to_string();
                    if names.insert(name.clone()) {
                        variables.push(v);
                        here.push(Value::from(name));
                    } else {
                        self.drop(
                            "variables of inline functions that repeat a name in another block",
                        );
                    }
                }
                gimli::DW_TAG_lexical_block => {
                    self.abstract_blocks.insert(child, *next);
                    *next += 1;
                    let (own, inner) =
                        self.abstract_scope(child, parameters, variables, names, next)?;
                    let mut m = Map::new();
                    m.insert("variables".into(), Value::Array(own));
                    m.insert("blocks".into(), Value::Array(inner));
                    blocks.push(Value::Object(m));
                }
                _ => {}
            }
        }
        Ok((here, blocks))
    }

    /// The parameter names of the first inlined copy of the abstract function at `origin`
    /// that lists all `count` of them, in its order.
    fn copy_parameter_order(
        &self,
        origin: UnitOffset,
        count: usize,
    ) -> Result<Option<Vec<String>>> {
        let mut pending = vec![self.root];
        while let Some(offset) = pending.pop() {
            let entry = self.entry(offset)?;
            if entry.tag() == gimli::DW_TAG_inlined_subroutine
                && self.origin(offset)? == Some(origin)
            {
                let mut names = Vec::new();
                for child in self.children_of(offset) {
                    if self.entry(child)?.tag() == gimli::DW_TAG_formal_parameter {
                        names.push(
                            self.inherited_string(child, gimli::DW_AT_name)?
                                .unwrap_or_default(),
                        );
                    }
                }
                if names.len() == count {
                    return Ok(Some(names));
                }
            }
            pending.extend(self.children_of(offset).into_iter().rev());
        }
        Ok(None)
    }

    /// The code ranges of a DIE, in the order its DWARF lists them, empty ones left out.
    fn ranges(&mut self, offset: UnitOffset) -> Result<Vec<Range>> {
        let entry = self.entry(offset)?;
        let mut iter = self
            .dwarf
            .die_ranges(self.unit, &entry)
            .map_err(|e| self.error(offset, format!("bad ranges: {e}")))?;
        let mut ranges = Vec::new();
        loop {
            let r = match iter.next() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => return Err(self.error(offset, format!("bad ranges: {e}"))),
            };
            if r.end <= r.begin {
                continue;
            }
            let (section, start) = self.place(r.begin, &offset)?;
            let (end_section, end) = self.place(r.end, &offset)?;
            if end_section != section {
                return Err(self.error(offset, "a range spans two sections"));
            }
            ranges.push((section, start, end - start));
        }
        Ok(ranges)
    }

    /// `{"section": S, "offset": N, "size": N}`.
    fn range_value(&self, (section, offset, size): Range) -> Value {
        let mut m = Map::new();
        m.insert("section".into(), self.section_ref(section));
        m.insert("offset".into(), Value::from(offset));
        m.insert("size".into(), Value::from(size));
        Value::Object(m)
    }

    /// A subprogram with code as a function; `None` if it has no code.
    fn function(&mut self, offset: UnitOffset) -> Result<Option<Value>> {
        let ranges = self.ranges(offset)?;
        let Some(&(section, start, size)) = ranges.first() else {
            return Ok(None);
        };
        let mut m = Map::new();
        self.declaration(offset, &mut m, true)?;
        m.insert("section".into(), self.section_ref(section));
        m.insert("offset".into(), Value::from(start));
        m.insert("size".into(), Value::from(size));
        let entry = self.entry(offset)?;
        if let Some(AttributeValue::Exprloc(e)) =
            entry.attr_value(gimli::DW_AT_frame_base).ok().flatten()
        {
            match self.operations(e.0, offset)? {
                Ok(mut ops) if ops.len() == 1 => {
                    m.insert("frame_base".into(), ops.remove(0));
                }
                Ok(ops) => {
                    m.insert("frame_base".into(), Value::Array(ops));
                }
                Err(super::expr::Untranslatable(what)) => self.drop(what),
            }
        }
        if ranges.len() > 1 {
            let pieces = ranges[1..].iter().map(|r| self.range_value(*r)).collect();
            m.insert("pieces".into(), Value::Array(pieces));
        }
        let scope = self.scope(offset, section, false)?;
        m.insert("parameters".into(), Value::Array(scope.parameters));
        m.insert("variables".into(), Value::Array(scope.variables));
        m.insert("blocks".into(), Value::Array(scope.blocks));
        m.insert("inlined".into(), Value::Array(scope.inlined));
        // Call sites anywhere in it (in blocks and inlined copies too) are the function's:
        // a debugger finds them by return address, whatever scope holds them.
        let sites = std::mem::take(&mut self.call_sites);
        if !sites.is_empty() {
            m.insert("call_sites".into(), Value::Array(sites));
        }
        if self.flag(offset, gimli::DW_AT_call_all_calls)?
            || self.flag(offset, gimli::DW_AT_GNU_all_call_sites)?
        {
            m.insert("all_calls".into(), Value::from(true));
        }
        if self.flag(offset, gimli::DW_AT_call_all_tail_calls)?
            || self.flag(offset, gimli::DW_AT_GNU_all_tail_call_sites)?
        {
            m.insert("all_tail_calls".into(), Value::from(true));
        }
        Ok(Some(Value::Object(m)))
    }

    /// A call site (`DW_TAG_call_site`, or GCC's `DW_TAG_GNU_call_site` in DWARF 4) in a
    /// function whose code is in `section`; `None` (counted) if its return address is
    /// elsewhere. Its origin names a function by name: which functions the description
    /// keeps is known only once all are converted (`scopes` drops origins naming none).
    fn call_site(&mut self, offset: UnitOffset, section: usize) -> Result<Option<Value>> {
        let entry = self.entry(offset)?;
        let gnu = entry.tag() == gimli::DW_TAG_GNU_call_site;
        let (pc_at, origin_at) = if gnu {
            (gimli::DW_AT_low_pc, gimli::DW_AT_abstract_origin)
        } else {
            (gimli::DW_AT_call_return_pc, gimli::DW_AT_call_origin)
        };
        let address = match entry.attr_value(pc_at).ok().flatten() {
            Some(v) => self
                .dwarf
                .attr_address(self.unit, v)
                .map_err(|e| self.error(offset, format!("bad call site address: {e}")))?,
            None => None,
        };
        let Some(address) = address else {
            self.drop("call sites without a return address");
            return Ok(None);
        };
        let (at_section, return_offset) = self.place(address, &offset)?;
        if at_section != section {
            self.drop("call sites outside their function's main section");
            return Ok(None);
        }
        let mut m = Map::new();
        m.insert("return_offset".into(), Value::from(return_offset));
        if let Some(AttributeValue::UnitRef(callee)) = entry.attr_value(origin_at).ok().flatten() {
            let name = self.inherited_string(callee, gimli::DW_AT_name)?;
            let key = if let Some(&i) = self.inline_index.get(&callee) {
                Some(("inline", Value::from(i)))
            } else if self.flag(callee, gimli::DW_AT_declaration)? {
                name.map(|n| ("external", Value::from(n)))
            } else {
                name.map(|n| ("function", Value::from(n)))
            };
            if let Some((key, value)) = key {
                m.insert(
                    "origin".into(),
                    Value::Object(Map::from_iter([(key.into(), value)])),
                );
            }
        }
        let mut parameters = Vec::new();
        for child in self.children_of(offset) {
            let tag = self.entry(child)?.tag();
            if tag != gimli::DW_TAG_call_site_parameter
                && tag != gimli::DW_TAG_GNU_call_site_parameter
            {
                continue;
            }
            let value_at = if gnu {
                gimli::DW_AT_GNU_call_site_value
            } else {
                gimli::DW_AT_call_value
            };
            let mut p = Map::new();
            for (key, at) in [("location", gimli::DW_AT_location), ("value", value_at)] {
                let e = self.entry(child)?;
                let Some(AttributeValue::Exprloc(bytes)) = e.attr_value(at).ok().flatten() else {
                    continue;
                };
                match self.operations(bytes.0, child)? {
                    Ok(ops) => {
                        p.insert(key.into(), Value::Array(ops));
                    }
                    Err(super::expr::Untranslatable(what)) => self.drop(what),
                }
            }
            if p.len() == 2 {
                parameters.push(Value::Object(p));
            } else {
                self.drop("call site parameters without a location or a value it can carry");
            }
        }
        if !parameters.is_empty() {
            m.insert("parameters".into(), Value::Array(parameters));
        }
        Ok(Some(Value::Object(m)))
    }

    /// The children of a function, block or copy (`copy`: locations go by name).
    fn scope(&mut self, offset: UnitOffset, section: usize, copy: bool) -> Result<Scope> {
        let mut scope = Scope::default();
        self.fill(offset, section, copy, &mut scope)?;
        Ok(scope)
    }

    /// Adds the children of `offset` to `scope`; blocks without code, and in copies every
    /// block, add theirs too.
    fn fill(
        &mut self,
        offset: UnitOffset,
        section: usize,
        copy: bool,
        scope: &mut Scope,
    ) -> Result<()> {
        for child in self.children_of(offset) {
            let tag = self.entry(child)?.tag();
            match tag {
                gimli::DW_TAG_formal_parameter | gimli::DW_TAG_variable => {
                    if self.flag(child, gimli::DW_AT_declaration)? {
                        self.drop("local declarations of variables defined elsewhere");
                        continue;
                    }
                    if copy {
                        let name = self
                            .inherited_string(child, gimli::DW_AT_name)?
                            .unwrap_or_default();
                        let map = if tag == gimli::DW_TAG_formal_parameter {
                            &scope.parameter_locations
                        } else {
                            &scope.variable_locations
                        };
                        if map.contains_key(&name) {
                            self.drop(
                                "variables of inlined copies that repeat a name in another block",
                            );
                            continue;
                        }
                        // Without a location it is still listed (gdb: `<optimized out>`).
                        let location = self.location(child)?.unwrap_or(Value::Null);
                        let map = if tag == gimli::DW_TAG_formal_parameter {
                            &mut scope.parameter_locations
                        } else {
                            &mut scope.variable_locations
                        };
                        map.insert(name, location);
                    } else if tag == gimli::DW_TAG_formal_parameter {
                        let v = self.variable(child)?;
                        scope.parameters.push(v);
                    } else {
                        let v = self.variable(child)?;
                        scope.variables.push(v);
                    }
                }
                gimli::DW_TAG_lexical_block => {
                    let ranges = self.ranges(child)?;
                    if ranges.is_empty() {
                        self.fill(child, section, copy, scope)?;
                    } else if copy {
                        let block = self.copy_block(child, section, ranges)?;
                        scope.blocks.push(block);
                    } else {
                        let block = self.block(child, section, ranges)?;
                        scope.blocks.push(block);
                    }
                }
                gimli::DW_TAG_inlined_subroutine => {
                    if let Some(c) = self.copy(child, section)? {
                        scope.inlined.push(c);
                    }
                }
                gimli::DW_TAG_call_site | gimli::DW_TAG_GNU_call_site => {
                    if let Some(site) = self.call_site(child, section)? {
                        self.call_sites.push(site);
                    }
                }
                gimli::DW_TAG_label => self.drop("labels (DW_TAG_label)"),
                gimli::DW_TAG_subprogram => {
                    self.drop("nested function declarations");
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A lexical block with code; its first range in the function's section comes first.
    fn block(
        &mut self,
        offset: UnitOffset,
        section: usize,
        mut ranges: Vec<Range>,
    ) -> Result<Value> {
        if let Some(i) = ranges.iter().position(|r| r.0 == section) {
            let main = ranges.remove(i);
            ranges.insert(0, main);
        }
        let (_, start, size) = ranges[0];
        let mut m = Map::new();
        m.insert("offset".into(), Value::from(start));
        m.insert("size".into(), Value::from(size));
        if ranges.len() > 1 {
            let pieces = ranges[1..].iter().map(|r| self.range_value(*r)).collect();
            m.insert("pieces".into(), Value::Array(pieces));
        }
        let scope = self.scope(offset, section, false)?;
        m.insert("variables".into(), Value::Array(scope.variables));
        m.insert("blocks".into(), Value::Array(scope.blocks));
        m.insert("inlined".into(), Value::Array(scope.inlined));
        Ok(Value::Object(m))
    }

    /// An inlined subroutine as a copy of its inline function; `None` (counted) if it has no
    /// code or its abstract function is unknown.
    fn copy(&mut self, offset: UnitOffset, section: usize) -> Result<Option<Value>> {
        let Some(origin) = self.origin(offset)? else {
            self.drop("inlined subroutines without DW_AT_abstract_origin");
            return Ok(None);
        };
        let Some(&function) = self.inline_index.get(&origin) else {
            self.drop("inlined subroutines whose origin has no DW_AT_inline");
            return Ok(None);
        };
        let ranges = self.ranges(offset)?;
        if ranges.is_empty() {
            self.drop("inlined subroutines without code");
            return Ok(None);
        }
        let mut m = Map::new();
        m.insert("function".into(), Value::from(function));
        let values = ranges.iter().map(|r| self.range_value(*r)).collect();
        m.insert("ranges".into(), Value::Array(values));
        let entry = self.entry(offset)?;
        if let Some(number) = entry
            .attr_value(gimli::DW_AT_call_file)
            .ok()
            .flatten()
            .and_then(|v| v.udata_value())
        {
            if let Some(file) = self.file(number) {
                m.insert("call_file".into(), Value::from(file));
            }
        }
        let call_line = self.udata(offset, gimli::DW_AT_call_line)?.unwrap_or(0);
        m.insert("call_line".into(), Value::from(call_line));
        if let Some(c) = self.udata(offset, gimli::DW_AT_call_column)? {
            m.insert("call_column".into(), Value::from(c));
        }
        let scope = self.scope(offset, section, true)?;
        m.insert(
            "parameters".into(),
            Value::Object(scope.parameter_locations),
        );
        m.insert("variables".into(), Value::Object(scope.variable_locations));
        m.insert("blocks".into(), Value::Array(scope.blocks));
        m.insert("inlined".into(), Value::Array(scope.inlined));
        Ok(Some(Value::Object(m)))
    }

    /// A lexical block with code inside an inlined copy: its ranges in GCC's order, its
    /// locals' locations by name, its blocks and copies.
    fn copy_block(
        &mut self,
        offset: UnitOffset,
        section: usize,
        ranges: Vec<Range>,
    ) -> Result<Value> {
        let mut m = Map::new();
        // The abstract block it copies: without the link gdb would list that block's
        // locals in the copy's outermost scope as well.
        if let Some(k) = self
            .origin(offset)?
            .and_then(|o| self.abstract_blocks.get(&o))
        {
            m.insert("origin".into(), Value::from(*k));
        }
        let values = ranges.iter().map(|r| self.range_value(*r)).collect();
        m.insert("ranges".into(), Value::Array(values));
        let scope = self.scope(offset, section, true)?;
        m.insert("variables".into(), Value::Object(scope.variable_locations));
        m.insert("blocks".into(), Value::Array(scope.blocks));
        m.insert("inlined".into(), Value::Array(scope.inlined));
        Ok(Value::Object(m))
    }
}
