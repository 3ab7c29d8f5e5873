//! Format-neutral checks a model must pass before any writer sees it. Each error names the
//! element and field at fault, so the writers may assume ids are in range, offsets in bounds
//! and fields well placed.

use crate::error::{Error, Place};
use crate::groups::{Counter, RelocGroups};
use crate::hash::FxHashSet;
use crate::model::{
    Binding, ComdatSelection, Object, SectionData, Symbol, SymbolDefinition, SymbolKind,
};
use crate::names::SameNames;
use crate::reloc::{FieldShape, Reach, RelocKind};

/// Longest name objforge accepts for a section or symbol, in bytes.
pub const MAX_NAME_LEN: usize = 1 << 20;

fn is_power_of_two(n: u64) -> bool {
    n != 0 && n & (n - 1) == 0
}

/// Whether `bytes` holds a zero byte: eight bytes at a time (the last word overlapping the one
/// before it), since symbol names are short and memchr's setup costs more than it saves.
#[inline]
fn has_nul(bytes: &[u8]) -> bool {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |w: &[u8]| {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        let v = u64::from_ne_bytes(b);
        // The classic test: a byte of `v` is zero iff its high bit survives here.
        v.wrapping_sub(LOW) & !v & HIGH != 0
    };
    if bytes.len() < 8 {
        return bytes.contains(&0);
    }
    let mut chunks = bytes.chunks_exact(8);
    if chunks.any(word) {
        return true;
    }
    !bytes.len().is_multiple_of(8) && word(&bytes[bytes.len() - 8..])
}

/// Inlined into the per-symbol loop; the message is built out of line.
#[inline]
fn check_name(name: &(impl AsRef<[u8]> + ?Sized), place: Place) -> Result<(), Error> {
    let name = name.as_ref();
    if has_nul(name) || name.len() > MAX_NAME_LEN {
        return Err(name_error(name, place));
    }
    Ok(())
}

#[cold]
fn name_error(name: &[u8], place: Place) -> Error {
    if has_nul(name) {
        return Error::invalid(place, "the name contains a NUL byte");
    }
    Error::invalid(
        place,
        format!(
            "the name is {} bytes long; the limit is {MAX_NAME_LEN}",
            name.len()
        ),
    )
}

/// What validation found that the writers use too, so that they need not find it again.
pub(crate) struct Validated {
    /// Which symbols share a name (found for the duplicate-global check), for the string
    /// tables.
    pub names: SameNames,
    /// The relocations of each section, and their kinds (noted while checking them).
    pub relocs: RelocGroups,
    /// Whether any symbol is a section symbol.
    pub section_symbols: bool,
}

/// The rules of the target's format that validation runs among its own, so that an object's
/// errors come in the same order whatever the format (the dispatcher picks them).
pub(crate) type FormatRules = fn(&Object) -> Result<(), Error>;

/// Checks every section, symbol and relocation of `obj`, with its format's own `rules`.
pub(crate) fn validate(obj: &Object, rules: FormatRules) -> Result<Validated, Error> {
    check_counts(obj)?;
    check_sections(obj)?;
    check_comdat_selections(obj)?;
    // The names are hashed and grouped (for the duplicate-global check and the string
    // tables) apart from the symbols' and the relocations' other checks, on two threads when
    // there are many: the two sides take about as long. The errors still come in the same
    // order: the symbols', then the relocations'.
    let ((symbols, relocations), grouped) = crate::parallel::join(
        parallel_worth_it(obj),
        || (check_symbols(obj), check_relocations(obj)),
        || group_names(obj),
    );
    let (names, section_symbols) = first_symbol_error(obj, symbols?, grouped)?;
    crate::model::local_entry::check(obj)?;
    let (relocs, reach) = relocations?;
    crate::limits::check_total_size(obj)?;
    rules(obj)?;
    crate::unwind::check(obj)?;
    // The reach of each field, checked in the same pass as the rest, is reported last.
    if let Some(e) = reach {
        return Err(e);
    }
    Ok(Validated {
        names,
        relocs,
        section_symbols,
    })
}

/// Whether the work on the symbols and the work on the relocations are each long enough to
/// pay for a thread (tens of microseconds to start): validation and the layouts split along
/// those lines. Debug builds (the tests) take every such path for every object.
pub(crate) fn parallel_worth_it(obj: &Object) -> bool {
    const MIN_ITEMS: usize = 20_000;
    cfg!(debug_assertions) || obj.symbols.len().min(obj.relocations.len()) >= MIN_ITEMS
}

/// Ids hold u32: more sections, symbols or relocations than that cannot be named.
fn check_counts(obj: &Object) -> Result<(), Error> {
    let max = u32::MAX as usize;
    for (what, n) in [
        ("sections", obj.sections.len()),
        ("symbols", obj.symbols.len()),
        ("relocations", obj.relocations.len()),
    ] {
        if n > max {
            return Err(Error::invalid(
                Place::Object,
                format!("{n} {what}: an object holds at most {max} (ids are 32-bit)"),
            ));
        }
    }
    Ok(())
}

fn check_sections(obj: &Object) -> Result<(), Error> {
    for (i, s) in obj.sections.iter().enumerate() {
        let at = |field| Place::Section(i, Some(field));
        if s.name.is_empty() {
            return Err(Error::invalid(at("name"), "a section needs a name"));
        }
        check_name(&s.name, at("name"))?;
        if !is_power_of_two(s.align) {
            return Err(Error::invalid(
                at("align"),
                format!("{} is not a power of two", s.align),
            ));
        }
        if s.kind.is_zero_fill() {
            if let SectionData::Bytes(b) = &s.data {
                if !b.is_empty() {
                    return Err(Error::invalid(
                        at("kind"),
                        format!(
                            "a {} section holds no bytes ({} given); give it a `size` instead",
                            s.kind.name(),
                            b.len()
                        ),
                    ));
                }
            }
        }
        if s.flags.merge && s.entsize == 0 {
            return Err(Error::invalid(
                at("flags"),
                "`merge` needs an entry size (`entsize`)",
            ));
        }
        if let Some(group) = &s.comdat {
            if group.is_empty() {
                return Err(Error::invalid(at("comdat"), "the group name is empty"));
            }
            check_name(group, at("comdat"))?;
        }
    }
    Ok(())
}

/// A selection needs a group; a group's stated selections agree; an associative section
/// follows a non-associative section of its own group.
fn check_comdat_selections(obj: &Object) -> Result<(), Error> {
    // Group name -> the first section that stated the group's selection.
    let mut stated: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, s) in obj.sections.iter().enumerate() {
        let selection = s.comdat_selection;
        if selection == ComdatSelection::Any {
            continue;
        }
        let Some(group) = s.comdat.as_deref() else {
            return Err(Error::invalid(
                Place::Section(i, Some("comdat_selection")),
                format!(
                    "a COMDAT selection ({}) needs `comdat`, the group the section belongs to",
                    selection.name()
                ),
            ));
        };
        if let ComdatSelection::Associative(target) = selection {
            let at = Place::Section(i, Some("comdat_associate"));
            let Some(t) = obj.sections.get(target.index()) else {
                return Err(Error::invalid(
                    at,
                    format!(
                        "there is no section {} (the object has {})",
                        target.0,
                        obj.sections.len()
                    ),
                ));
            };
            let problem = if target.index() == i {
                Some("a section cannot be associative to itself".to_string())
            } else if t.comdat.as_deref() != Some(group) {
                Some(format!(
                    "sections[{}] ({}) is not in COMDAT group `{group}`; a section follows one of its own group",
                    target.0, t.name
                ))
            } else if matches!(t.comdat_selection, ComdatSelection::Associative(_)) {
                Some(format!(
                    "sections[{}] ({}) is itself associative; follow a section that is not",
                    target.0, t.name
                ))
            } else {
                None
            };
            if let Some(message) = problem {
                return Err(Error::invalid(at, message));
            }
            continue;
        }
        let first = *stated.entry(group).or_insert(i);
        let first_selection = obj.sections[first].comdat_selection;
        if first_selection != selection {
            return Err(Error::invalid(
                Place::Section(i, Some("comdat_selection")),
                format!(
                    "COMDAT group `{group}` already has selection {} (sections[{first}]); a group has one selection",
                    first_selection.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Every check of the symbols but the duplicate-global one ([`group_names`]), which
/// [`first_symbol_error`] puts together with this into the error a symbol-by-symbol check
/// reports. Stops at the first symbol that fails.
fn check_symbols(obj: &Object) -> Result<SymbolsChecked, Error> {
    if u32::try_from(obj.symbols.len()).is_err() {
        return Err(Error::unsupported(
            Place::Object,
            format!(
                "{} symbols; no object format numbers more than 2^32 - 1",
                obj.symbols.len()
            ),
        ));
    }
    let mut section_symbols = false;
    for (i, sym) in obj.symbols.iter().enumerate() {
        section_symbols |= sym.kind == SymbolKind::Section;
        if let Err(e) = check_symbol(obj, i, sym) {
            return Ok(SymbolsChecked {
                failure: Some((i, e)),
                section_symbols,
            });
        }
    }
    Ok(SymbolsChecked {
        failure: None,
        section_symbols,
    })
}

/// What [`check_symbols`] found: the first symbol that fails a check (other than the
/// duplicate-global one), and whether any symbol is a section symbol.
struct SymbolsChecked {
    failure: Option<(usize, Error)>,
    section_symbols: bool,
}

/// Every name hashed once, here, and grouped: the duplicate-global check, and the writers'
/// string tables, which reuse the grouping.
fn group_names(obj: &Object) -> (SameNames, Option<crate::names::Duplicate>) {
    let keys = (obj.symbols.iter().enumerate())
        .map(|(i, sym)| SameNames::key(sym.name.as_bytes(), i))
        .collect();
    SameNames::group(
        keys,
        |i| obj.symbols.get(i).map_or(&[], |s| s.name.as_bytes()),
        |i| {
            obj.symbols
                .get(i)
                .is_some_and(|s| s.binding != Binding::Local)
        },
    )
}

/// The symbols' first error: a duplicate global before the first symbol that fails another
/// check, else that symbol's own error (at the failing symbol itself, its own error comes
/// first).
fn first_symbol_error(
    obj: &Object,
    checked: SymbolsChecked,
    (names, duplicate): (SameNames, Option<crate::names::Duplicate>),
) -> Result<(SameNames, bool), Error> {
    let SymbolsChecked {
        failure,
        section_symbols,
    } = checked;
    if let Some(d) = duplicate.filter(|d| failure.as_ref().is_none_or(|(at, _)| d.second < *at)) {
        let name = obj.symbols.get(d.second).map_or("", |s| s.name.as_str());
        return Err(Error::invalid(
            Place::Symbol(d.second, Some("name")),
            format!(
                "duplicate global symbol `{name}` (also symbols[{}])",
                d.first
            ),
        ));
    }
    if let Some((_, e)) = failure {
        return Err(e);
    }
    Ok((names, section_symbols))
}

/// A symbol past its section's end: ELF's `st_value` may lie anywhere (GCC's RISC-V section
/// anchors sit past short sections), within what the class can hold; other formats' linkers
/// place a symbol by the section it is in, so they refuse it.
fn check_outside_offset(
    obj: &Object,
    offset: u64,
    sec: &crate::model::Section,
    place: Place,
) -> Result<(), Error> {
    let past = || {
        format!(
            "{offset} is past the end of {} ({} bytes)",
            sec.name,
            sec.data.len()
        )
    };
    if obj.target.format != crate::target::Format::Elf {
        return Err(Error::invalid(
            place,
            format!("{}; only ELF lets a symbol lie outside its section", past()),
        ));
    }
    let limit = if obj.target.arch.pointer_width() == 4 {
        u64::from(u32::MAX)
    } else {
        crate::limits::MAX_TOTAL_SIZE
    };
    if offset > limit {
        return Err(Error::invalid(
            place,
            format!(
                "{}, and past {limit:#x}, the most an ELF symbol value here holds",
                past()
            ),
        ));
    }
    Ok(())
}

/// Every check of one symbol but the duplicate-global one.
fn check_symbol(obj: &Object, i: usize, sym: &Symbol) -> Result<(), Error> {
    let at = |field| Place::Symbol(i, Some(field));
    check_name(&sym.name, at("name"))?;
    match sym.definition {
        SymbolDefinition::Defined { section, offset } => {
            let Some(sec) = obj.sections.get(section.index()) else {
                return Err(Error::invalid(
                    at("section"),
                    format!(
                        "there is no section {} (the object has {})",
                        section.0,
                        obj.sections.len()
                    ),
                ));
            };
            if offset > sec.data.len() {
                check_outside_offset(obj, offset, sec, at("offset"))?;
            }
            if sym.kind == SymbolKind::Section && offset != 0 {
                return Err(Error::invalid(
                    at("offset"),
                    "a section symbol is at offset 0",
                ));
            }
            if sym.kind == SymbolKind::Tls
                && !matches!(
                    sec.kind,
                    crate::SectionKind::TlsData | crate::SectionKind::TlsBss
                )
            {
                return Err(Error::invalid(
                    at("kind"),
                    format!(
                        "a tls symbol must be in a tls_data or tls_bss section, not {} ({})",
                        sec.name,
                        sec.kind.name()
                    ),
                ));
            }
        }
        SymbolDefinition::Undefined => {
            if sym.name.is_empty() {
                return Err(Error::invalid(
                    at("name"),
                    "an undefined symbol needs a name",
                ));
            }
            if sym.binding == Binding::Local {
                return Err(Error::invalid(
                    at("binding"),
                    format!(
                        "`{}` is undefined, so it cannot be local (give it a section, or make it global)",
                        sym.name
                    ),
                ));
            }
            if matches!(sym.kind, SymbolKind::Section | SymbolKind::File) {
                return Err(Error::invalid(
                    at("kind"),
                    format!("a {} symbol cannot be undefined", sym.kind.name()),
                ));
            }
        }
        SymbolDefinition::Common { size, align } => {
            if !is_power_of_two(u64::from(align)) {
                return Err(Error::invalid(
                    at("common"),
                    format!("align {align} is not a power of two"),
                ));
            }
            if size == 0 {
                return Err(Error::invalid(at("common"), "size must be at least 1"));
            }
            if sym.binding == Binding::Local {
                return Err(Error::invalid(
                    at("binding"),
                    "a common symbol cannot be local",
                ));
            }
        }
        SymbolDefinition::Absolute => {
            if sym.kind != SymbolKind::File {
                return Err(Error::invalid(
                    at("section"),
                    "only a file symbol has no section",
                ));
            }
        }
    }
    if sym.binding == Binding::GnuUnique && obj.target.format != crate::target::Format::Elf {
        return Err(Error::unsupported(
            at("binding"),
            "gnu_unique is ELF's STB_GNU_UNIQUE; this format has no such binding (use global or weak)",
        ));
    }
    if sym.kind == SymbolKind::File && sym.binding != Binding::Local {
        return Err(Error::invalid(at("binding"), "a file symbol is local"));
    }
    if sym.kind == SymbolKind::Section && sym.binding != Binding::Local {
        return Err(Error::invalid(at("binding"), "a section symbol is local"));
    }
    if sym.binding != Binding::Local && sym.name.is_empty() {
        return Err(Error::invalid(at("name"), "a global symbol needs a name"));
    }
    Ok(())
}

/// Also returns the relocations grouped by section, with their kinds; and the first error
/// [`crate::limits::check_reach_of`] finds, which comes after every other error here.
fn check_relocations(obj: &Object) -> Result<(RelocGroups, Option<Error>), Error> {
    let mut counter = Counter::new(obj.sections.len());
    let mut reach: Option<Error> = None;
    // (section, start, end, index) of every field with a known size, for the overlap check.
    let mut fields = Fields::default();
    // Built at the first `%pcrel_lo` (most objects have none, and skip the pass).
    let mut hi20s: Option<FxHashSet<(usize, u64)>> = None;
    // What the checks ask of a kind, found once per kind (objects use a handful of kinds, and
    // each question is a large match on the kind).
    let mut facts = KindCache::default();
    for (i, r) in obj.relocations.iter().enumerate() {
        let at = |field| Place::Relocation(i, Some(field));
        let Some(sec) = obj.sections.get(r.section().index()) else {
            return Err(Error::invalid(
                at("section"),
                format!(
                    "there is no section {} (the object has {})",
                    r.section().index(),
                    obj.sections.len()
                ),
            ));
        };
        let k = facts.get(r, |kind| counter.see_kind(kind));
        counter.see_section(r.section().index());
        if sec.kind.is_zero_fill() {
            return Err(Error::invalid(
                at("section"),
                format!(
                    "{} is a {} section: it has no bytes to patch",
                    sec.name,
                    sec.kind.name()
                ),
            ));
        }
        let size = k.size;
        let len = sec.data.len();
        if r.offset().checked_add(size).is_none_or(|end| end > len) || r.offset() >= len {
            return Err(Error::invalid(
                at("offset"),
                format!(
                    "{} is past the end of {} ({len} bytes){}",
                    r.offset(),
                    sec.name,
                    if size > 1 {
                        format!(" for a {size}-byte {} field", r.kind())
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        if let Some(align) = k.align {
            if r.offset() % u64::from(align) != 0 {
                return Err(Error::invalid(
                    at("offset"),
                    format!(
                        "{} is not a multiple of {align}: {} patches an aligned instruction",
                        r.offset(),
                        r.kind()
                    ),
                ));
            }
        }
        match r.symbol() {
            Some(s) if s.index() >= obj.symbols.len() => {
                return Err(Error::invalid(
                    at("symbol"),
                    format!(
                        "there is no symbol {} (the object has {})",
                        s.0,
                        obj.symbols.len()
                    ),
                ))
            }
            None if k.needs_symbol => {
                return Err(Error::invalid(
                    at("symbol"),
                    format!("a {} relocation needs a symbol", r.kind()),
                ))
            }
            _ => {}
        }
        if k.pcrel_lo12 {
            let Some(pair) = r.pair() else {
                return Err(Error::invalid(
                    at("pair"),
                    format!(
                        "a {} relocation needs `pair`: the offset of the hi20 relocation it completes",
                        r.kind()
                    ),
                ));
            };
            if pair > u64::from(u32::MAX) {
                return Err(Error::invalid(
                    at("pair"),
                    "the pair's offset is past 4 GiB: a relocation keeps it in 32 bits",
                ));
            }
            let hi20s = hi20s.get_or_insert_with(|| hi20_fields(obj));
            if !hi20s.contains(&(r.section().index(), pair)) {
                return Err(Error::invalid(
                    at("pair"),
                    format!(
                        "there is no hi20 relocation (rv_pcrel_hi20, rv_got_hi20, rv_tlsdesc_hi20, ...) at offset {pair} of {}",
                        sec.name
                    ),
                ));
            }
        } else if r.pair().is_some() {
            return Err(Error::invalid(
                at("pair"),
                "only rv_pcrel_lo12_i/_s and rv_tlsdesc_load_lo12/add_lo12/call relocations take `pair`",
            ));
        }
        match (k.diff, r.minus()) {
            (true, None) => {
                return Err(Error::invalid(
                    at("minus"),
                    format!("a {} relocation needs `minus`", r.kind()),
                ))
            }
            (true, Some(m)) if m.index() >= obj.symbols.len() => {
                return Err(Error::invalid(
                    at("minus"),
                    format!(
                        "there is no symbol {} (the object has {})",
                        m.0,
                        obj.symbols.len()
                    ),
                ))
            }
            (false, Some(_)) => {
                return Err(Error::invalid(
                    at("minus"),
                    "only diff* relocations take `minus`",
                ))
            }
            _ => {}
        }
        if size > 0 {
            fields.push((r.section().index(), r.offset(), r.offset() + size, i));
        }
        // Only a difference or a kind with a reach can be out of reach.
        if reach.is_none() && (k.diff || k.reach.is_some()) {
            reach = crate::limits::check_reach_of(obj, i, k.diff, k.reach).err();
        }
    }
    fields.check(obj)?;
    Ok((RelocGroups::from_counts(obj, counter), reach))
}

/// The properties of one relocation kind the checks use.
#[derive(Clone, Copy)]
struct KindFacts {
    kind: RelocKind,
    /// Bytes of the field (0 if unknown).
    size: u64,
    /// The instruction alignment the offset needs, for instruction kinds.
    align: Option<u32>,
    needs_symbol: bool,
    pcrel_lo12: bool,
    diff: bool,
    reach: Option<Reach>,
}

/// The facts of the last few kinds met, looked up by a short linear scan.
#[derive(Default)]
struct KindCache {
    /// Each entry with its kind's one-byte code.
    entries: [Option<(u8, KindFacts)>; 4],
    /// The slot the next new kind takes, in turn.
    next: usize,
}

impl KindCache {
    /// The facts of `r`'s kind; `new(kind)` runs when they are not cached. Keyed by the
    /// kind's code; native kinds (one code for every native encoding) are compared whole.
    #[inline]
    fn get(&mut self, r: &crate::model::Relocation, new: impl FnOnce(RelocKind)) -> KindFacts {
        let code = r.kind_code();
        let native = code == crate::reloc::NATIVE;
        for (c, k) in self.entries.iter().flatten() {
            if *c == code && (!native || k.kind == r.kind()) {
                return *k;
            }
        }
        let kind = r.kind();
        new(kind);
        let k = KindFacts::of(kind);
        if let Some(slot) = self.entries.get_mut(self.next) {
            *slot = Some((code, k));
        }
        self.next = (self.next + 1) % self.entries.len();
        k
    }
}

impl KindFacts {
    fn of(kind: RelocKind) -> KindFacts {
        let shape = kind.shape();
        KindFacts {
            kind,
            size: u64::from(shape.size()),
            align: match shape {
                FieldShape::Instruction { align, .. } => Some(u32::from(align)),
                _ => None,
            },
            needs_symbol: kind.needs_symbol(),
            pcrel_lo12: kind.is_pcrel_lo12(),
            diff: kind.is_diff(),
            reach: kind.reach(),
        }
    }
}

/// Where a `%pcrel_lo` may find its hi20: (section, offset) of every relocation that can be
/// one. A native hi20 (a TLS model's, say) may be completed by a portable lo12 too.
fn hi20_fields(obj: &Object) -> FxHashSet<(usize, u64)> {
    obj.relocations
        .iter()
        .filter(|h| {
            matches!(
                h.kind(),
                crate::RelocKind::RvPcrelHi20
                    | crate::RelocKind::RvGotHi20
                    | crate::RelocKind::RvTlsGotHi20
                    | crate::RelocKind::RvTlsGdHi20
                    | crate::RelocKind::RvTlsdescHi20
                    | crate::RelocKind::Native(_)
            )
        })
        .map(|h| (h.section().index(), h.offset()))
        .collect()
}

/// One relocated field: (section, start, end, relocation index).
type Field = (usize, u64, u64, usize);

/// The overlap check. Most backends emit relocations in order already: then each field is
/// compared with the one before it as it comes, and nothing is stored. Only when a field
/// comes out of order are the fields collected (from the model again) and sorted.
#[derive(Default)]
struct Fields {
    prev: Option<Field>,
    sorted: bool,
    overlap: Option<(Field, Field)>,
}

impl Fields {
    fn push(&mut self, field: Field) {
        match self.prev {
            None => self.sorted = true,
            Some(prev) if self.sorted => {
                if field < prev {
                    self.sorted = false;
                } else if self.overlap.is_none() && prev.0 == field.0 && field.1 < prev.2 {
                    self.overlap = Some((prev, field));
                }
            }
            Some(_) => {}
        }
        self.prev = Some(field);
    }

    fn check(self, obj: &Object) -> Result<(), Error> {
        if self.prev.is_none() {
            return Ok(());
        }
        if self.sorted {
            return match self.overlap {
                Some((a, b)) => Err(overlap_error(a, b)),
                None => Ok(()),
            };
        }
        let mut fields: Vec<Field> = obj
            .relocations
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let size = u64::from(r.kind().shape().size());
                (size > 0).then(|| (r.section().index(), r.offset(), r.offset() + size, i))
            })
            .collect();
        fields.sort_unstable();
        for pair in fields.windows(2) {
            if let [a, b] = *pair {
                if a.0 == b.0 && b.1 < a.2 {
                    return Err(overlap_error(a, b));
                }
            }
        }
        Ok(())
    }
}

/// The error for fields `a` and `b` (by offset) that overlap, at the later relocation.
fn overlap_error(a: Field, b: Field) -> Error {
    let (first, second) = (a.3.min(b.3), a.3.max(b.3));
    Error::invalid(
        Place::Relocation(second, Some("offset")),
        format!(
            "the field at {}..{} overlaps relocations[{first}] at {}..{}",
            if second == b.3 { b.1 } else { a.1 },
            if second == b.3 { b.2 } else { a.2 },
            if second == b.3 { a.1 } else { b.1 },
            if second == b.3 { a.2 } else { b.2 },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn finds_a_nul_anywhere_in_names_of_any_length() {
        for len in 0..40 {
            let mut name = vec![b'a'; len];
            assert!(!has_nul(&name), "{len}");
            for at in 0..len {
                name[at] = 0;
                assert!(has_nul(&name), "{len} {at}");
                // A byte of 0x80 or 0x01 next to nothing zero is no NUL.
                name[at] = 0x80;
                assert!(!has_nul(&name), "{len} {at}");
                name[at] = b'a';
            }
        }
    }
}

#[cfg(test)]
mod parallel_tests {
    use crate::*;

    /// A model large enough that its symbols and relocations are checked on two threads.
    fn large() -> Object {
        let mut obj = Object::new(Target::new(Architecture::X86_64, Format::Elf));
        let n = 30_000;
        let text =
            obj.add_section(Section::new(".text", SectionKind::Text).with_bytes(vec![0; 8 * n]));
        for i in 0..n {
            let s = obj.add_symbol(
                Symbol::defined(format!("f{i}"), text, 8 * i as u64).with_binding(Binding::Global),
            );
            obj.add_relocation(Relocation::new(text, 8 * i as u64, s, RelocKind::Abs64));
        }
        assert!(super::parallel_worth_it(&obj));
        obj
    }

    #[test]
    fn a_large_model_reports_the_same_first_error_as_a_small_one() {
        let good = large();
        assert!(good.write().is_ok());

        // Errors in both halves: the symbols' comes first, as when they run in turn.
        let mut both = large();
        both.symbols[20_000].name = "f7".into();
        both.relocations[100].set_offset(1 << 40);
        let e = both.write().unwrap_err().to_string();
        assert!(
            e.starts_with("symbols[20000].name: duplicate global symbol `f7`"),
            "{e}"
        );

        let mut relocations_only = large();
        relocations_only.relocations[29_999].set_symbol(Some(SymbolId(1 << 30)));
        let e = relocations_only.write().unwrap_err().to_string();
        assert!(
            e.starts_with("relocations[29999].symbol: there is no symbol"),
            "{e}"
        );
    }
}
