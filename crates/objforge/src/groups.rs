//! The model's relocations grouped by section, each group in model order — what every format
//! needs, since each writes a section's relocations together.
//!
//! A backend usually adds them section by section already; then a group is a range of the
//! model's list and nothing is stored. Otherwise one flat list of indices, counting-sorted by
//! section, holds every group (no vector per section).

use std::ops::Range;

use crate::model::Object;
use crate::reloc::RelocKind;

/// The relocations of each section, and the kinds they use.
pub(crate) struct RelocGroups {
    /// Every kind some relocation has, once each.
    kinds: Vec<RelocKind>,
    /// Per section, where its group starts (`starts[s]..starts[s + 1]`), in `order` or in the
    /// model's list.
    starts: Vec<usize>,
    /// Relocation indices by section, when the model's list is not.
    order: Option<Vec<u32>>,
}

/// Counts the relocations of each section (and notes their kinds) as validation goes through
/// them, so that grouping them takes no pass of its own.
pub(crate) struct Counter {
    counts: Vec<usize>,
    grouped: bool,
    prev: usize,
    kinds: Vec<RelocKind>,
}

impl Counter {
    /// A counter for `sections` sections.
    pub(crate) fn new(sections: usize) -> Counter {
        Counter {
            counts: vec![0; sections + 1],
            grouped: true,
            prev: 0,
            kinds: Vec::new(),
        }
    }

    /// Notes the next relocation, in section `s` (in range), of kind `kind`.
    #[cfg(test)]
    pub(crate) fn see(&mut self, s: usize, kind: RelocKind) {
        self.see_section(s);
        self.see_kind(kind);
    }

    /// Notes the next relocation, in section `s` (in range).
    #[inline]
    pub(crate) fn see_section(&mut self, s: usize) {
        if let Some(c) = self.counts.get_mut(s) {
            *c += 1;
        }
        self.grouped &= s >= self.prev;
        self.prev = s;
    }

    /// Notes a relocation's kind; enough to call when the kind differs from the one before.
    #[inline]
    pub(crate) fn see_kind(&mut self, kind: RelocKind) {
        // Objects use a handful of kinds: a short list, most recent first.
        if self.kinds.first() != Some(&kind) {
            match self.kinds.iter().position(|&k| k == kind) {
                Some(at) => self.kinds.swap(0, at),
                None => {
                    self.kinds.push(kind);
                    let last = self.kinds.len() - 1;
                    self.kinds.swap(0, last);
                }
            }
        }
    }
}

impl RelocGroups {
    /// Groups `obj`'s relocations (validated: every section id is in range).
    #[cfg(test)]
    pub(crate) fn new(obj: &Object) -> RelocGroups {
        let mut counter = Counter::new(obj.sections.len());
        for r in &obj.relocations {
            counter.see(r.section().index(), r.kind());
        }
        RelocGroups::from_counts(obj, counter)
    }

    /// Groups `obj`'s relocations, as `counter` saw them all.
    pub(crate) fn from_counts(obj: &Object, counter: Counter) -> RelocGroups {
        let Counter {
            mut counts,
            grouped,
            kinds,
            ..
        } = counter;
        // Counts to starts.
        let mut at = 0;
        for c in counts.iter_mut() {
            let k = *c;
            *c = at;
            at += k;
        }
        let starts = counts;
        if grouped {
            return RelocGroups {
                kinds,
                starts,
                order: None,
            };
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; obj.relocations.len()];
        for (i, r) in obj.relocations.iter().enumerate() {
            if let Some(slot) = next.get_mut(r.section().index()) {
                if let Some(o) = order.get_mut(*slot) {
                    *o = i as u32;
                }
                *slot += 1;
            }
        }
        RelocGroups {
            kinds,
            starts,
            order: Some(order),
        }
    }

    /// Every kind some relocation has, once each, in no particular order.
    pub(crate) fn kinds(&self) -> &[RelocKind] {
        &self.kinds
    }

    fn range(&self, section: usize) -> Range<usize> {
        let start = self.starts.get(section).copied().unwrap_or(0);
        let end = self.starts.get(section + 1).copied().unwrap_or(start);
        start..end
    }

    /// How many relocations section `section` has.
    pub(crate) fn count(&self, section: usize) -> usize {
        self.range(section).len()
    }

    /// The indices of section `section`'s relocations, in model order.
    pub(crate) fn of(&self, section: usize) -> Group<'_> {
        let range = self.range(section);
        match &self.order {
            None => Group::Range(range),
            Some(order) => Group::List(order.get(range).unwrap_or(&[]).iter()),
        }
    }
}

/// One section's relocation indices.
pub(crate) enum Group<'a> {
    Range(Range<usize>),
    List(std::slice::Iter<'a, u32>),
}

impl Iterator for Group<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        match self {
            Group::Range(r) => r.next(),
            Group::List(l) => l.next().map(|&i| i as usize),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Group::Range(r) => r.size_hint(),
            Group::List(l) => l.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Group<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<usize> {
        match self {
            Group::Range(r) => r.next_back(),
            Group::List(l) => l.next_back().map(|&i| i as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Relocation, Section, SectionKind, Symbol, SymbolId};
    use crate::reloc::RelocKind;
    use crate::target::Target;

    fn object(sections: &[usize]) -> Object {
        let mut obj = Object::new(Target::from_triple("x86_64-unknown-linux-gnu").unwrap());
        for _ in 0..3 {
            obj.add_section(Section::new(".data", SectionKind::Data).with_bytes(vec![0; 64]));
        }
        obj.add_symbol(Symbol::undefined("f"));
        for (k, &s) in sections.iter().enumerate() {
            obj.add_relocation(Relocation::new(
                crate::SectionId::from_index(s),
                8 * k as u64,
                SymbolId(0),
                RelocKind::Abs64,
            ));
        }
        obj
    }

    fn groups(g: &RelocGroups) -> Vec<Vec<usize>> {
        (0..3).map(|s| g.of(s).collect()).collect()
    }

    #[test]
    fn in_order_and_interleaved_group_alike() {
        let g = RelocGroups::new(&object(&[0, 0, 2, 2, 2]));
        assert!(g.order.is_none());
        assert_eq!(groups(&g), [vec![0, 1], vec![], vec![2, 3, 4]]);
        let g = RelocGroups::new(&object(&[2, 0, 2, 0, 2]));
        assert!(g.order.is_some());
        assert_eq!(groups(&g), [vec![1, 3], vec![], vec![0, 2, 4]]);
        assert_eq!(g.count(2), 3);
        assert_eq!(g.of(2).rev().collect::<Vec<_>>(), [4, 2, 0]);
    }
}
