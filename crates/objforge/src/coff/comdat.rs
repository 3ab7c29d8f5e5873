//! COMDAT groups as COFF spells them. The model names a group per section (`comdat`); COFF
//! marks each section `IMAGE_SCN_LNK_COMDAT` and gives it a selection in its section
//! definition. One section of a group is its *leader*: it carries the group's selection, and
//! the symbol right after its section symbol — the COMDAT symbol, named like the group — is
//! what the linker matches across objects (a group named like its leader section and no
//! symbol has none: the section symbol is the key, GNU as's `.linkonce`). Every other section of the group is associative:
//! kept exactly when its associated section (the leader, unless the backend chose another)
//! is kept.

use std::collections::HashMap;

use super::consts::*;
use crate::error::{Error, Place};
use crate::model::{Binding, ComdatSelection, Object, SymbolDefinition};

/// The COMDAT symbol that follows a leader's section symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Key<'a> {
    /// The backend's symbol named like the group (`symbols[i]`): a global, or else a local
    /// defined in the group (static, as clang keys the NODUPLICATES COMDAT of each constant).
    Symbol(usize),
    /// The backend's weak symbol named like the group (`symbols[i]`), defined in the leader:
    /// the COMDAT symbol is its default, the external definition its weak external resolves
    /// to (as clang writes a weak function with `-ffunction-sections`).
    WeakDefault(usize),
    /// No such symbol: an external symbol of the group's name at offset 0 of the leader.
    Synthesized(&'a str),
    /// No such symbol, and the group is named like its leader: no COMDAT symbol at all, the
    /// leader's own section symbol is the key, as GNU as writes `.linkonce` sections (MinGW's
    /// `.xdata$F`, `.pdata$F`, `.eh_frame$F`) and the linkers match them by that name.
    Section,
}

/// How each of the object's sections takes part in COMDAT selection.
pub(super) struct Comdats<'a> {
    /// Per model section: its `IMAGE_COMDAT_SELECT_*`, 0 when it is not a COMDAT.
    pub selection: Vec<u8>,
    /// Per model section: the section an associative one follows.
    pub associated: Vec<Option<usize>>,
    /// Per model section: the COMDAT symbol, for leaders.
    pub key: Vec<Option<Key<'a>>>,
    /// Per model symbol: whether it is a leader's COMDAT symbol (written with its section).
    pub is_key: Vec<bool>,
    /// Per model symbol: whether it is a weak symbol whose default is a leader's COMDAT
    /// symbol (the default is written with the section, the weak external in its place).
    pub default_is_key: Vec<bool>,
}

impl Comdats<'_> {
    /// The same plan over `obj`, which holds the same model, less the parts already written
    /// (the consuming write): a synthesized key's name is the leader's group again, or empty
    /// in a model without the section.
    pub(super) fn rebind(self, obj: &Object) -> Comdats<'_> {
        let key = (self.key.into_iter().enumerate())
            .map(|(k, key)| {
                key.map(|key| match key {
                    Key::Synthesized(_) => Key::Synthesized(
                        (obj.sections.get(k))
                            .and_then(|s| s.comdat.as_deref())
                            .unwrap_or(""),
                    ),
                    Key::Symbol(i) => Key::Symbol(i),
                    Key::WeakDefault(i) => Key::WeakDefault(i),
                    Key::Section => Key::Section,
                })
            })
            .collect();
        Comdats {
            selection: self.selection,
            associated: self.associated,
            key,
            is_key: self.is_key,
            default_is_key: self.default_is_key,
        }
    }
}

fn select(selection: ComdatSelection) -> u8 {
    match selection {
        ComdatSelection::Any => IMAGE_COMDAT_SELECT_ANY,
        ComdatSelection::NoDuplicates => IMAGE_COMDAT_SELECT_NODUPLICATES,
        ComdatSelection::SameSize => IMAGE_COMDAT_SELECT_SAME_SIZE,
        ComdatSelection::ExactMatch => IMAGE_COMDAT_SELECT_EXACT_MATCH,
        ComdatSelection::Largest => IMAGE_COMDAT_SELECT_LARGEST,
        ComdatSelection::Associative(_) => IMAGE_COMDAT_SELECT_ASSOCIATIVE,
    }
}

/// Picks each group's leader, selection and COMDAT symbol. The model was validated: explicit
/// selections of a group agree, and an associative section names a non-associative section of
/// its own group.
pub(super) fn plan(obj: &Object) -> Result<Comdats<'_>, Error> {
    let n = obj.sections.len();
    let mut comdats = Comdats {
        selection: vec![0; n],
        associated: vec![None; n],
        key: vec![None; n],
        is_key: vec![false; obj.symbols.len()],
        default_is_key: Vec::new(),
    };
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, s) in obj.sections.iter().enumerate() {
        if let Some(g) = s.comdat.as_deref() {
            let next = groups.len();
            let at = *by_name.entry(g).or_insert(next);
            if at == next {
                groups.push((g, Vec::new()));
            }
            if let Some((_, members)) = groups.get_mut(at) {
                members.push(i);
            }
        }
    }
    if groups.is_empty() {
        return Ok(comdats);
    }
    comdats.default_is_key = vec![false; obj.symbols.len()];
    let globals: HashMap<&str, usize> = obj
        .symbols
        .iter()
        .enumerate()
        .filter(|(_, s)| s.binding != Binding::Local)
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let explicitly_associative = |i: usize| {
        matches!(
            obj.sections[i].comdat_selection,
            ComdatSelection::Associative(_)
        )
    };
    // A local symbol named like its group, defined in one of the group's non-associative
    // sections (the first such, if several).
    let member_of: HashMap<usize, &str> = groups
        .iter()
        .flat_map(|(g, members)| members.iter().map(move |&m| (m, *g)))
        .collect();
    let mut locals: HashMap<&str, usize> = HashMap::new();
    for (i, s) in obj.symbols.iter().enumerate() {
        if let (Binding::Local, SymbolDefinition::Defined { section, .. }) =
            (s.binding, s.definition)
        {
            if member_of.get(&section.index()) == Some(&s.name.as_str())
                && !explicitly_associative(section.index())
                && s.kind != crate::model::SymbolKind::Section
            {
                locals.entry(s.name.as_str()).or_insert(i);
            }
        }
    }

    for (group, members) in &groups {
        let selection = members
            .iter()
            .map(|&i| obj.sections[i].comdat_selection)
            .find(|s| !matches!(s, ComdatSelection::Any | ComdatSelection::Associative(_)))
            .unwrap_or(ComdatSelection::Any);
        let (leader, key) = match globals.get(group) {
            Some(&k) => {
                let sym = &obj.symbols[k];
                let at = |field| Place::Symbol(k, Some(field));
                let section = match sym.definition {
                    SymbolDefinition::Defined { section, .. }
                        if members.contains(&section.index()) && !explicitly_associative(section.index()) =>
                    {
                        section.index()
                    }
                    _ => {
                        return Err(Error::unsupported(
                            at("section"),
                            format!(
                                "`{group}` names a COMDAT group, and COFF needs that symbol defined in one of the group's non-associative sections ({})",
                                list(members)
                            ),
                        ))
                    }
                };
                if sym.binding == Binding::Weak {
                    comdats.default_is_key[k] = true;
                    (section, Key::WeakDefault(k))
                } else {
                    comdats.is_key[k] = true;
                    (section, Key::Symbol(k))
                }
            }
            None if locals.contains_key(group) => {
                let k = locals[group];
                let Some(section) = obj.symbols[k].section_id().map(|s| s.index()) else {
                    continue;
                };
                comdats.is_key[k] = true;
                (section, Key::Symbol(k))
            }
            None => {
                // Validation guarantees a non-associative member: an associative one names one.
                let Some(&first) = members.iter().find(|&&i| !explicitly_associative(i)) else {
                    continue;
                };
                if obj.sections[first].name == *group {
                    (first, Key::Section)
                } else {
                    (first, Key::Synthesized(group))
                }
            }
        };
        comdats.selection[leader] = select(selection);
        comdats.key[leader] = Some(key);
        for &i in members {
            if i == leader {
                continue;
            }
            comdats.selection[i] = IMAGE_COMDAT_SELECT_ASSOCIATIVE;
            comdats.associated[i] = Some(match obj.sections[i].comdat_selection {
                ComdatSelection::Associative(t) => t.index(),
                _ => leader,
            });
        }
    }
    Ok(comdats)
}

fn list(members: &[usize]) -> String {
    let names: Vec<String> = members.iter().map(|i| format!("sections[{i}]")).collect();
    names.join(", ")
}
