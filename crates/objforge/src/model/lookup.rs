//! Finding a symbol by name, and a section's symbol, for [`Object::symbol_id`] and
//! [`Object::section_symbol`]: an index built the first time a backend asks, and kept up to
//! date by [`Object::add_symbol`] from then on. An object nobody looks anything up in carries
//! none (the index costs about 20 bytes per symbol).
//!
//! The model's vectors are public, so a symbol may be pushed or renamed without the index
//! seeing it. Every answer is therefore checked against the symbol itself, and the symbols
//! pushed since the index last looked are searched one by one; a stale entry costs a scan,
//! never a wrong answer.

use std::hash::Hasher;

use super::{Object, SectionId, Symbol, SymbolDefinition, SymbolId, SymbolKind};
use crate::hash::{FxHashMap, FxHasher};

/// The index: name hash to the first symbol with that name, section to its first section
/// symbol, and how many symbols it has seen.
#[derive(Clone, Debug, Default)]
pub(super) struct Lookup {
    by_name: FxHashMap<u64, u32>,
    section_symbols: FxHashMap<u32, u32>,
    seen: usize,
}

fn name_hash(name: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(name);
    h.finish()
}

/// The section `symbol` is the section symbol of, if it is one.
fn section_of(symbol: &Symbol) -> Option<SectionId> {
    match (symbol.kind, symbol.definition) {
        (SymbolKind::Section, SymbolDefinition::Defined { section, .. }) => Some(section),
        _ => None,
    }
}

impl Lookup {
    /// An index of `symbols`.
    pub(super) fn new(symbols: &[Symbol]) -> Lookup {
        let mut lookup = Lookup::default();
        lookup.catch_up(symbols);
        lookup
    }

    /// Indexes the symbols pushed since the last call.
    pub(super) fn catch_up(&mut self, symbols: &[Symbol]) {
        for (i, s) in symbols.iter().enumerate().skip(self.seen) {
            // Ids past u32 are not indexed; `find` scans for them.
            let Ok(id) = u32::try_from(i) else { break };
            if !s.name.is_empty() {
                self.by_name
                    .entry(name_hash(s.name.as_bytes()))
                    .or_insert(id);
            }
            if let Some(section) = section_of(s) {
                self.section_symbols.entry(section.0).or_insert(id);
            }
            self.seen = i + 1;
        }
    }

    /// The first symbol called `name`.
    pub(super) fn find(&self, symbols: &[Symbol], name: &str) -> Option<SymbolId> {
        let seen = self.seen.min(symbols.len());
        if let Some(&id) = self.by_name.get(&name_hash(name.as_bytes())) {
            return match symbols.get(id as usize) {
                // Nothing before it can have the name unless one was renamed in place: the
                // index keeps the first of each name.
                Some(s) if s.name == name => Some(SymbolId(id)),
                // Renamed in place, or two names with one hash: look at every symbol.
                _ => symbols
                    .iter()
                    .position(|s| s.name == name)
                    .map(SymbolId::from_index),
            };
        }
        symbols[seen..]
            .iter()
            .position(|s| s.name == name)
            .map(|i| SymbolId::from_index(seen + i))
    }

    /// The first section symbol of `section`.
    pub(super) fn section_symbol(
        &self,
        symbols: &[Symbol],
        section: SectionId,
    ) -> Option<SymbolId> {
        let seen = self.seen.min(symbols.len());
        if let Some(&id) = self.section_symbols.get(&section.0) {
            return match symbols.get(id as usize).and_then(section_of) {
                Some(s) if s == section => Some(SymbolId(id)),
                _ => symbols
                    .iter()
                    .position(|s| section_of(s) == Some(section))
                    .map(SymbolId::from_index),
            };
        }
        symbols[seen..]
            .iter()
            .position(|s| section_of(s) == Some(section))
            .map(|i| SymbolId::from_index(seen + i))
    }
}

impl Object {
    /// The index, built now if no lookup has been made yet.
    pub(super) fn lookup(&self) -> &Lookup {
        self.lookup.get_or_init(|| Lookup::new(&self.symbols))
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    fn object() -> Object {
        Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap())
    }

    #[test]
    fn finds_symbols_added_before_and_after_the_first_lookup() {
        let mut obj = object();
        let a = obj.add_symbol(Symbol::undefined("a"));
        assert_eq!(obj.symbol_id("a"), Some(a));
        let b = obj.add_symbol(Symbol::undefined("b"));
        assert_eq!(obj.symbol_id("b"), Some(b));
        assert_eq!(obj.symbol_id("c"), None);
    }

    #[test]
    fn finds_symbols_pushed_or_renamed_behind_its_back() {
        let mut obj = object();
        obj.add_symbol(Symbol::undefined("a"));
        assert_eq!(obj.symbol_id("zz"), None);
        obj.symbols.push(Symbol::undefined("pushed"));
        assert_eq!(obj.symbol_id("pushed"), Some(SymbolId(1)));
        obj.symbols[0].name = "renamed".into();
        assert_eq!(obj.symbol_id("a"), None);
        obj.add_symbol(Symbol::undefined("later"));
        assert_eq!(obj.symbol_id("later"), Some(SymbolId(2)));
    }

    #[test]
    fn keeps_the_first_of_a_name() {
        let mut obj = object();
        let text = obj.add_section(Section::new(".text", SectionKind::Text));
        let first = obj.add_symbol(Symbol::defined("l", text, 0));
        obj.add_symbol(Symbol::defined("l", text, 4));
        assert_eq!(obj.symbol_id("l"), Some(first));
    }

    #[test]
    fn section_symbol_is_made_once() {
        let mut obj = object();
        let text = obj.add_section(Section::new(".text", SectionKind::Text));
        let data = obj.add_section(Section::new(".data", SectionKind::Data));
        let existing = obj.add_symbol(Symbol::section(data));
        let t = obj.section_symbol(text);
        assert_eq!(obj.section_symbol(text), t);
        assert_eq!(obj.section_symbol(data), existing);
        assert_eq!(obj.symbols.len(), 2);
    }
}
