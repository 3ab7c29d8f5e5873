//! COFF relocatable objects (`IMAGE_FILE_HEADER` or bigobj: x86_64, i386, arm64) back into
//! the model.
//!
//! The inverse of objforge's COFF writer: `.drectve` becomes `options.directives` (its
//! `-aligncomm` entries the alignment of common symbols); the section symbols, `@feat.00`
//! and the defaults of weak externals that the writer makes by itself are left out; a COMDAT
//! leader's selection and COMDAT symbol become the group, its associative sections members of
//! it; every addend the writer keeps in the field (`REL32_k` counts `k` more bytes, ARM64
//! keeps it in the immediates) is read out and the field cleared.

use object::pe;
use object::read::coff::{CoffHeader, ImageSymbol, SymbolTable};
use object::SymbolIndex;

use objforge::{
    Architecture, Binding, ComdatSelection, Format, NativeReloc, Object, RelocKind, Relocation,
    Section, SectionData, SectionId, SectionKind, Symbol, SymbolDefinition, SymbolId, SymbolKind,
    Target,
};

use super::{bits, DumpError, Dumped, Result};

/// Machines objforge writes COFF for.
const MACHINES: &[u16] = &[
    pe::IMAGE_FILE_MACHINE_AMD64,
    pe::IMAGE_FILE_MACHINE_I386,
    pe::IMAGE_FILE_MACHINE_ARM64,
];

/// COFF machines objforge knows the name of but does not write.
fn other_machine(machine: u16) -> Option<&'static str> {
    Some(match machine {
        pe::IMAGE_FILE_MACHINE_ARMNT => "ARMNT (32-bit Arm Thumb-2)",
        pe::IMAGE_FILE_MACHINE_ARM => "ARM",
        pe::IMAGE_FILE_MACHINE_THUMB => "Thumb",
        pe::IMAGE_FILE_MACHINE_ARM64EC => "ARM64EC",
        pe::IMAGE_FILE_MACHINE_ARM64X => "ARM64X",
        pe::IMAGE_FILE_MACHINE_IA64 => "IA64",
        pe::IMAGE_FILE_MACHINE_RISCV32 => "RISCV32",
        pe::IMAGE_FILE_MACHINE_RISCV64 => "RISCV64",
        pe::IMAGE_FILE_MACHINE_RISCV128 => "RISCV128",
        0x6264 => "LOONGARCH64",
        pe::IMAGE_FILE_MACHINE_POWERPC => "POWERPC",
        pe::IMAGE_FILE_MACHINE_R4000 => "MIPS R4000",
        pe::IMAGE_FILE_MACHINE_EBC => "EFI byte code",
        _ => return None,
    })
}

/// Whether `data` is a COFF object objforge reads: an error that says what it is otherwise.
pub fn identify(data: &[u8]) -> Result<()> {
    let u16_at = |at: usize| -> Option<u16> {
        Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
    };
    let (Some(machine), Some(second)) = (u16_at(0), u16_at(2)) else {
        return Err(not_an_object());
    };
    let (machine, bigobj) = if machine == pe::IMAGE_FILE_MACHINE_UNKNOWN && second == 0xffff {
        (u16_at(6).ok_or_else(not_an_object)?, true)
    } else {
        (machine, false)
    };
    if MACHINES.contains(&machine) {
        // A header with an optional header is an image that lost its DOS stub, not an object.
        if !bigobj && u16_at(16).is_some_and(|size| size != 0) {
            return Err(DumpError::new(
                "a COFF image (it has an optional header), not a relocatable object",
            ));
        }
        return Ok(());
    }
    match other_machine(machine) {
        Some(name) => Err(DumpError::new(format!(
            "unsupported machine: COFF for {name} (machine {machine:#06x}); objforge reads COFF for x86_64, i386 and arm64"
        ))),
        None if bigobj => Err(DumpError::new(format!(
            "unsupported machine: a bigobj COFF object for machine {machine:#06x}"
        ))),
        None => Err(not_an_object()),
    }
}

fn not_an_object() -> DumpError {
    DumpError::new(
        "not an object file objforge reads: ELF, Mach-O or COFF (WebAssembly cannot be dumped yet)",
    )
}

/// Reads a COFF object.
pub fn read(data: &[u8]) -> Result<Dumped> {
    let bigobj = data.get(..4) == Some(&[0, 0, 0xff, 0xff][..]);
    if bigobj {
        read_with::<pe::AnonObjectHeaderBigobj>(data, true)
    } else {
        read_with::<pe::ImageFileHeader>(data, false)
    }
}

/// One symbol record, decoded, with what its auxiliary records say.
struct CoffSymbol {
    /// Index in the symbol table (counting auxiliary records).
    index: usize,
    name: String,
    value: u32,
    section_number: i32,
    typ: u16,
    class: u8,
    aux: Aux,
}

/// What a symbol's auxiliary records hold.
enum Aux {
    None,
    /// A section definition: (selection, number of the associated section).
    Section {
        selection: u8,
        associated: u32,
    },
    /// A `.file` record's name.
    File(String),
    /// A weak external: the default's index and the search characteristics.
    Weak {
        default: usize,
        search: u32,
    },
}

/// How each symbol table entry is represented in the model.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mapped {
    /// Not in the model, and nothing may refer to it (`@feat.00`, a `.file` record).
    Nothing,
    /// The section symbol of this model section.
    SectionSymbol(usize),
    /// A weak external's default that the writer makes again; refers to the weak symbol.
    Default,
    /// This model symbol.
    Symbol(SymbolId),
}

fn read_with<Coff: CoffHeader>(data: &[u8], bigobj: bool) -> Result<Dumped> {
    let mut offset = 0;
    let header = Coff::parse(data, &mut offset).map_err(DumpError::malformed)?;
    let arch = match header.machine() {
        pe::IMAGE_FILE_MACHINE_AMD64 => Architecture::X86_64,
        pe::IMAGE_FILE_MACHINE_I386 => Architecture::I386,
        pe::IMAGE_FILE_MACHINE_ARM64 => Architecture::Aarch64,
        m => {
            return Err(DumpError::new(format!(
                "unsupported machine {m:#06x}: objforge reads COFF for x86_64, i386 and arm64"
            )))
        }
    };
    let sections = header
        .sections(data, offset)
        .map_err(DumpError::malformed)?;
    let symbols = header.symbols(data).map_err(DumpError::malformed)?;
    let strings = symbols.strings();
    let mut object = Object::new(Target::new(arch, Format::Coff));
    let mut notes = Vec::new();

    // --- Sections.
    let mut model_of: Vec<Option<usize>> = Vec::new();
    let mut drectve: Option<String> = None;
    let mut comdat_flag: Vec<bool> = Vec::new();
    for (i, h) in sections.iter().enumerate() {
        let name_bytes = h.name(strings).map_err(DumpError::malformed)?;
        let name = std::str::from_utf8(name_bytes)
            .map_err(|_| {
                DumpError::new(format!(
                    "section {}: the name {:?} is not UTF-8, which a spec cannot hold",
                    i + 1,
                    String::from_utf8_lossy(name_bytes)
                ))
            })?
            .to_string();
        let characteristics = h.characteristics.get(object::LittleEndian);
        let raw = h
            .coff_data(data)
            .map_err(|()| DumpError::section(&name, "its contents run past the end of the file"))?;
        let relocations = h.coff_relocations(data).map_err(DumpError::malformed)?;
        if name == ".drectve"
            && characteristics & pe::IMAGE_SCN_CNT_CODE == 0
            && relocations.is_empty()
        {
            if drectve.is_some() {
                return Err(DumpError::section(&name, "a second .drectve section"));
            }
            let text = std::str::from_utf8(raw).map_err(|_| {
                DumpError::section(
                    &name,
                    "the directives are not UTF-8, which a spec cannot hold",
                )
            })?;
            drectve = Some(text.to_string());
            model_of.push(None);
            comdat_flag.push(false);
            continue;
        }
        if name == ".llvm_addrsig" && relocations.is_empty() {
            notes.push(format!("left out {name}: {}", super::elf::ADDRSIG_NOTE));
            model_of.push(None);
            comdat_flag.push(false);
            continue;
        }
        if name.is_empty() {
            return Err(DumpError::new(format!(
                "section {} has no name, which objforge needs",
                i + 1
            )));
        }
        let section = section(
            &name,
            characteristics,
            raw,
            h.size_of_raw_data.get(object::LittleEndian),
        )?;
        comdat_flag.push(characteristics & pe::IMAGE_SCN_LNK_COMDAT != 0);
        object.sections.push(section);
        model_of.push(Some(object.sections.len() - 1));
    }
    let model_section = |number: i32| -> Option<usize> {
        usize::try_from(number)
            .ok()?
            .checked_sub(1)
            .and_then(|k| model_of.get(k).copied().flatten())
    };

    // --- Symbols, decoded.
    let records = decode_symbols(&symbols, bigobj, &mut notes)?;
    let record_at: std::collections::HashMap<usize, usize> = records
        .iter()
        .enumerate()
        .map(|(i, s)| (s.index, i))
        .collect();
    let at_index = |index: usize| record_at.get(&index).copied();

    // `@feat.00`: the writer writes its own (1 on i386, SafeSEH; 0 elsewhere).
    let feat_value = if arch == Architecture::I386 { 1 } else { 0 };
    for s in &records {
        if s.name == "@feat.00"
            && s.section_number == pe::IMAGE_SYM_ABSOLUTE
            && s.value != feat_value
        {
            return Err(DumpError::symbol(
                &s.name,
                format!(
                    "value {:#x}: objforge writes @feat.00 = {feat_value} for {arch} and has no way to keep other feature bits",
                    s.value
                ),
            ));
        }
    }

    // Relocations refer to symbols by index: count the references, to know which weak
    // defaults the writer can make again.
    let mut referenced = vec![false; records.len()];
    for h in sections.iter() {
        for r in h.coff_relocations(data).map_err(DumpError::malformed)? {
            if let Some(i) = at_index(r.symbol_table_index.get(object::LittleEndian) as usize) {
                if let Some(flag) = referenced.get_mut(i) {
                    *flag = true;
                }
            }
        }
    }

    // Weak externals' defaults the writer makes again: `.weak.NAME...`, external, referred to
    // only by their weak external.
    let mut is_default = vec![false; records.len()];
    // Each such default's weak external: a COMDAT keyed by a default is the weak symbol's.
    let mut weak_of_default: std::collections::HashMap<usize, usize> = Default::default();
    for (w, s) in records.iter().enumerate() {
        if let Aux::Weak { default, .. } = s.aux {
            if let Some((d, def)) = at_index(default).and_then(|d| Some((d, records.get(d)?))) {
                let writer_made = def.name.starts_with(".weak.")
                    && def.class == pe::IMAGE_SYM_CLASS_EXTERNAL
                    && !referenced.get(d).copied().unwrap_or(true);
                if writer_made {
                    if let Some(flag) = is_default.get_mut(d) {
                        *flag = true;
                    }
                    weak_of_default.insert(d, w);
                }
            }
        }
    }

    // i386 puts `_` before C names; with every name decorated so, `mangle` stays on.
    let decorated = |s: &CoffSymbol| -> bool {
        s.name.starts_with(['?', '@'])
            || s.name
                .strip_prefix('_')
                .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(['?', '@']))
    };
    let user = |s: &CoffSymbol| {
        let feat = s.name == "@feat.00" && s.section_number == pe::IMAGE_SYM_ABSOLUTE;
        !(matches!(s.aux, Aux::Section { .. } | Aux::File(_)) || feat)
    };
    let mangle = arch == Architecture::I386
        && records
            .iter()
            .enumerate()
            .filter(|(i, s)| user(s) && !is_default.get(*i).copied().unwrap_or(false))
            .all(|(_, s)| decorated(s));
    object.options.mangle = arch != Architecture::I386 || mangle;
    let model_name = |name: &str| -> String {
        if mangle && !name.starts_with(['?', '@']) {
            name.strip_prefix('_').unwrap_or(name).to_string()
        } else {
            name.to_string()
        }
    };

    // --- COMDATs: each leader's selection and COMDAT symbol, each associative's section.
    let mut section_def: Vec<Option<(u8, u32)>> = vec![None; object.sections.len()];
    for s in &records {
        if let (
            Aux::Section {
                selection,
                associated,
            },
            Some(k),
        ) = (&s.aux, model_section(s.section_number))
        {
            if let Some(slot) = section_def.get_mut(k) {
                *slot = Some((*selection, *associated));
            }
        }
    }
    // Each section's own symbol, and the first symbol defined in the section after it (the
    // COMDAT symbol, for a leader).
    let mut own_symbol: Vec<Option<usize>> = vec![None; object.sections.len()];
    for (p, s) in records.iter().enumerate() {
        if let (Aux::Section { .. }, Some(k)) = (&s.aux, model_section(s.section_number)) {
            if let Some(slot) = own_symbol.get_mut(k) {
                slot.get_or_insert(p);
            }
        }
    }
    let mut first_after: Vec<Option<usize>> = vec![None; object.sections.len()];
    for (p, s) in records.iter().enumerate() {
        let Some(k) = model_section(s.section_number) else {
            continue;
        };
        let after_own = own_symbol
            .get(k)
            .copied()
            .flatten()
            .is_none_or(|own| p > own);
        if !matches!(s.aux, Aux::Section { .. }) && after_own {
            if let Some(slot) = first_after.get_mut(k) {
                slot.get_or_insert(p);
            }
        }
    }
    let mut flagged_model = vec![false; object.sections.len()];
    for (number, flagged) in comdat_flag.iter().enumerate() {
        if let Some(slot) = model_section(number as i32 + 1).and_then(|k| flagged_model.get_mut(k))
        {
            *slot = *flagged;
        }
    }
    let mut key_of: Vec<Option<usize>> = vec![None; object.sections.len()];
    // Leaders with no external COMDAT symbol after their section symbol: GNU as's
    // `.linkonce` (MinGW's `.xdata$F`), keyed by the section symbol, so by the section's name.
    let mut linkonce: Vec<bool> = vec![false; object.sections.len()];
    for (number, flagged) in comdat_flag.iter().enumerate() {
        let Some(k) = model_section(number as i32 + 1) else {
            continue;
        };
        let name = object
            .sections
            .get(k)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let def = section_def.get(k).copied().flatten();
        match (flagged, def) {
            (false, Some((selection, _))) if selection != 0 => {
                return Err(DumpError::section(
                    &name,
                    "a COMDAT selection without IMAGE_SCN_LNK_COMDAT",
                ))
            }
            (false, _) => continue,
            (true, None) | (true, Some((0, _))) => {
                return Err(DumpError::section(
                    &name,
                    "IMAGE_SCN_LNK_COMDAT without a selection in its section definition",
                ))
            }
            (true, Some((selection, _))) if selection == pe::IMAGE_COMDAT_SELECT_ASSOCIATIVE => {}
            (true, Some(_)) => {
                // The COMDAT symbol: the first symbol after the section's own that is
                // defined in it, external or static (clang keys each constant's NODUPLICATES
                // COMDAT by its static label, `.str`); with none, the section symbol itself
                // (GNU as's `.linkonce`).
                let key = first_after.get(k).copied().flatten().filter(|&key| {
                    records.get(key).is_some_and(|r| {
                        matches!(
                            r.class,
                            pe::IMAGE_SYM_CLASS_EXTERNAL | pe::IMAGE_SYM_CLASS_STATIC
                        )
                    })
                });
                match key {
                    Some(key) => {
                        if let Some(slot) = key_of.get_mut(k) {
                            *slot = Some(key);
                        }
                    }
                    None => {
                        if let Some(slot) = linkonce.get_mut(k) {
                            *slot = true;
                        }
                    }
                }
            }
        }
    }
    let mut group_names: std::collections::HashMap<String, usize> = Default::default();
    for (k, key) in key_of.iter().enumerate() {
        // A weak symbol's default as the key (clang's weak function in its own COMDAT): the
        // group is the weak symbol's, whose default the writer makes again.
        let key = key.map(|key| weak_of_default.get(&key).copied().unwrap_or(key));
        let group = match key.and_then(|key| records.get(key)) {
            Some(key) => model_name(&key.name),
            None if linkonce.get(k).copied().unwrap_or(false) => object
                .sections
                .get(k)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            None => continue,
        };
        if let Some(first) = group_names.insert(group.clone(), k) {
            return Err(DumpError::section(
                &object.sections.get(k).map(|s| s.name.clone()).unwrap_or_default(),
                format!(
                    "a second COMDAT named `{group}` (the first is {}); objforge names groups, one per name",
                    object.sections.get(first).map(|s| s.name.as_str()).unwrap_or("?")
                ),
            ));
        }
        let selection = match section_def.get(k).copied().flatten().map_or(0, |d| d.0) {
            pe::IMAGE_COMDAT_SELECT_NODUPLICATES => ComdatSelection::NoDuplicates,
            pe::IMAGE_COMDAT_SELECT_ANY => ComdatSelection::Any,
            pe::IMAGE_COMDAT_SELECT_SAME_SIZE => ComdatSelection::SameSize,
            pe::IMAGE_COMDAT_SELECT_EXACT_MATCH => ComdatSelection::ExactMatch,
            pe::IMAGE_COMDAT_SELECT_LARGEST => ComdatSelection::Largest,
            other => {
                let name = object
                    .sections
                    .get(k)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                return Err(DumpError::section(
                    &name,
                    format!("COMDAT selection {other} is not one objforge writes"),
                ));
            }
        };
        if let Some(s) = object.sections.get_mut(k) {
            s.comdat = Some(group);
            s.comdat_selection = selection;
        }
    }
    // Associative sections join the group of the section they follow (to its end).
    for k in 0..object.sections.len() {
        let Some((pe::IMAGE_COMDAT_SELECT_ASSOCIATIVE, number)) =
            section_def.get(k).copied().flatten()
        else {
            continue;
        };
        if !flagged_model.get(k).copied().unwrap_or(false) {
            continue;
        }
        let name = object
            .sections
            .get(k)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let mut target = model_section(number as i32);
        let mut steps = 0;
        let leader = loop {
            let Some(t) = target else {
                return Err(DumpError::section(
                    &name,
                    format!(
                        "associative to section {number}, which is not a COMDAT objforge writes"
                    ),
                ));
            };
            if key_of.get(t).copied().flatten().is_some()
                || linkonce.get(t).copied().unwrap_or(false)
            {
                break t;
            }
            match section_def.get(t).copied().flatten() {
                Some((pe::IMAGE_COMDAT_SELECT_ASSOCIATIVE, n)) if steps < object.sections.len() => {
                    target = model_section(n as i32);
                    steps += 1;
                }
                _ => {
                    return Err(DumpError::section(
                        &name,
                        format!("associative to section {number}, which is not a COMDAT"),
                    ))
                }
            }
        };
        let direct = model_section(number as i32).unwrap_or(leader);
        let group = object.sections.get(leader).and_then(|s| s.comdat.clone());
        if let Some(s) = object.sections.get_mut(k) {
            s.comdat = group;
            s.comdat_selection = if direct == leader {
                ComdatSelection::Any
            } else {
                ComdatSelection::Associative(SectionId::from_index(direct))
            };
        }
    }

    // --- Directives: `-aligncomm` belongs to the common symbols.
    let mut aligncomm: std::collections::HashMap<String, u32> = Default::default();
    if let Some(text) = &drectve {
        for word in bits::directive_words(text) {
            let parsed = word
                .strip_prefix("-aligncomm:")
                .and_then(|rest| rest.rsplit_once(','))
                .and_then(|(name, log2)| {
                    let name = name.trim_matches('"').to_string();
                    let log2: u32 = log2.parse().ok().filter(|l| *l < 64)?;
                    let common = records.iter().any(|s| {
                        s.name == name
                            && s.class == pe::IMAGE_SYM_CLASS_EXTERNAL
                            && s.section_number == 0
                            && s.value != 0
                    });
                    common.then_some((name, log2))
                });
            match parsed {
                Some((name, log2)) => {
                    aligncomm.insert(name, log2);
                }
                None => object.options.directives.push(word),
            }
        }
    }

    // --- Symbols into the model.
    let mut mapped: Vec<Mapped> = vec![Mapped::Nothing; records.len()];
    let mut section_symbol: Vec<Option<SymbolId>> = vec![None; object.sections.len()];
    // In the order the writer writes them: `.file` records, the COMDAT symbols (each with
    // its section), then the rest as they come, so that dumping the rebuilt object gives
    // the same spec.
    let keys: Vec<usize> = key_of.iter().flatten().copied().collect();
    let files = (0..records.len())
        .filter(|&i| matches!(records.get(i).map(|s| &s.aux), Some(Aux::File(_))));
    let mut order: Vec<usize> = files.collect();
    order.extend(keys.iter().copied());
    let mut placed = vec![false; records.len()];
    for &i in &order {
        if let Some(p) = placed.get_mut(i) {
            *p = true;
        }
    }
    order.extend((0..records.len()).filter(|&i| !placed.get(i).copied().unwrap_or(true)));
    for i in order {
        let Some(s) = records.get(i) else { continue };
        let err = |message: String| DumpError::symbol(&s.name, message);
        if let Aux::Section { .. } = s.aux {
            if let Some(k) = model_section(s.section_number) {
                set(&mut mapped, i, Mapped::SectionSymbol(k));
            }
            continue;
        }
        if let Aux::File(name) = &s.aux {
            object.symbols.push(Symbol::file(name.clone()));
            set(&mut mapped, i, Mapped::Nothing);
            continue;
        }
        if s.name == "@feat.00" && s.section_number == pe::IMAGE_SYM_ABSOLUTE {
            continue;
        }
        if is_default.get(i).copied().unwrap_or(false) {
            set(&mut mapped, i, Mapped::Default);
            continue;
        }
        let kind = if s.typ >> 4 == pe::IMAGE_SYM_DTYPE_FUNCTION {
            SymbolKind::Func
        } else {
            SymbolKind::None
        };
        let defined = |number: i32, value: u32| -> Result<SymbolDefinition> {
            let Some(k) = model_section(number) else {
                return Err(err(format!(
                    "defined in section {number}, which is not a section objforge writes"
                )));
            };
            let size = object.sections.get(k).map_or(0, |sec| sec.data.len());
            if u64::from(value) > size {
                return Err(err(format!(
                    "value {value:#x} is past the end of its section ({size} bytes)"
                )));
            }
            Ok(SymbolDefinition::Defined {
                section: SectionId::from_index(k),
                offset: u64::from(value),
            })
        };
        let (definition, binding) = match (s.class, s.section_number) {
            (pe::IMAGE_SYM_CLASS_WEAK_EXTERNAL, 0) => {
                let Aux::Weak { default, search } = s.aux else {
                    return Err(err("a weak external without its auxiliary record".into()));
                };
                if !matches!(search, 1..=3) {
                    return Err(err(format!(
                        "weak external search type {search}: objforge writes IMAGE_WEAK_EXTERN_SEARCH_ALIAS (3)"
                    )));
                }
                let Some(def) = at_index(default).and_then(|d| records.get(d)) else {
                    return Err(err(format!("its default, symbol {default}, does not exist")));
                };
                let definition = match def.section_number {
                    n if n > 0 => defined(n, def.value)?,
                    n if n == pe::IMAGE_SYM_ABSOLUTE && def.value == 0 => {
                        SymbolDefinition::Undefined
                    }
                    _ => {
                        return Err(err(format!(
                            "a weak alias of `{}`, which is not defined here: objforge writes a weak symbol's default as its own definition or 0",
                            def.name
                        )))
                    }
                };
                (definition, Binding::Weak)
            }
            (pe::IMAGE_SYM_CLASS_EXTERNAL, 0) if s.value == 0 => {
                (SymbolDefinition::Undefined, Binding::Global)
            }
            (pe::IMAGE_SYM_CLASS_EXTERNAL, 0) => {
                let log2 = aligncomm.get(&s.name).copied().unwrap_or(0);
                (
                    SymbolDefinition::Common {
                        size: u64::from(s.value),
                        align: 1u32 << log2,
                    },
                    Binding::Global,
                )
            }
            (pe::IMAGE_SYM_CLASS_EXTERNAL, n) if n > 0 => (defined(n, s.value)?, Binding::Global),
            (pe::IMAGE_SYM_CLASS_STATIC | pe::IMAGE_SYM_CLASS_LABEL, n) if n > 0 => {
                (defined(n, s.value)?, Binding::Local)
            }
            (_, n) if n == pe::IMAGE_SYM_ABSOLUTE => {
                return Err(err(format!(
                    "an absolute symbol (value {:#x}): objforge symbols are defined in a section, undefined or common",
                    s.value
                )))
            }
            (class, n) => {
                return Err(err(format!(
                    "storage class {class} in section {n} has no objforge equivalent"
                )))
            }
        };
        let size = match definition {
            SymbolDefinition::Common { size, .. } => size,
            _ => 0,
        };
        object.symbols.push(Symbol {
            name: model_name(&s.name).into(),
            definition,
            kind: if matches!(definition, SymbolDefinition::Common { .. }) {
                SymbolKind::Object
            } else {
                kind
            },
            binding,
            visibility: objforge::Visibility::Default,
            size,
        });
        set(
            &mut mapped,
            i,
            Mapped::Symbol(SymbolId::from_index(object.symbols.len() - 1)),
        );
    }

    // --- Relocations.
    for (number, h) in sections.iter().enumerate() {
        let list = h.coff_relocations(data).map_err(DumpError::malformed)?;
        if list.is_empty() {
            continue;
        }
        let Some(k) = model_of.get(number).copied().flatten() else {
            continue;
        };
        let section_name = object
            .sections
            .get(k)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        for r in list {
            let offset = u64::from(r.virtual_address.get(object::LittleEndian));
            let index = r.symbol_table_index.get(object::LittleEndian) as usize;
            let r_type = r.typ.get(object::LittleEndian);
            let at = |message: String| DumpError::at(&section_name, offset, message);
            let symbol = match at_index(index).and_then(|i| mapped.get(i).copied()) {
                Some(Mapped::Symbol(id)) => id,
                Some(Mapped::SectionSymbol(t)) => match section_symbol.get(t).copied().flatten() {
                    Some(id) => id,
                    None => {
                        let mut sym = Symbol::section(SectionId::from_index(t));
                        sym.name = object
                            .sections
                            .get(t)
                            .map(|s| s.name.as_str().into())
                            .unwrap_or_default();
                        object.symbols.push(sym);
                        let id = SymbolId::from_index(object.symbols.len() - 1);
                        if let Some(slot) = section_symbol.get_mut(t) {
                            *slot = Some(id);
                        }
                        id
                    }
                },
                _ => {
                    let name = at_index(index)
                        .and_then(|i| records.get(i))
                        .map_or("?", |s| s.name.as_str());
                    return Err(at(format!(
                        "the relocation is against symbol {index} (`{name}`), which has no objforge equivalent"
                    )));
                }
            };
            let (kind, addend) = relocation(arch, &mut object, k, offset, r_type).map_err(at)?;
            object.relocations.push(
                Relocation::new(SectionId::from_index(k), offset, symbol, kind).with_addend(addend),
            );
        }
    }
    object.options.bigobj = bigobj && sections.len() <= 0xfeff;
    Ok(Dumped {
        object,
        notes,
        fallback: Vec::new(),
    })
}

/// `mapped[i] = value`, where `i` is known to be in range.
fn set(mapped: &mut [Mapped], i: usize, value: Mapped) {
    if let Some(slot) = mapped.get_mut(i) {
        *slot = value;
    }
}

/// Decodes the symbol table, auxiliary records included.
fn decode_symbols<'data, Coff: CoffHeader>(
    symbols: &SymbolTable<'data, &'data [u8], Coff>,
    bigobj: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<CoffSymbol>> {
    let strings = symbols.strings();
    let mut out = Vec::new();
    let mut index = 0;
    while index < symbols.len() {
        let s = symbols
            .symbol(SymbolIndex(index))
            .map_err(DumpError::malformed)?;
        let name_bytes = s.name(strings).map_err(DumpError::malformed)?;
        let name = std::str::from_utf8(name_bytes)
            .map_err(|_| {
                DumpError::new(format!(
                    "symbol {index}: the name {:?} is not UTF-8, which a spec cannot hold",
                    String::from_utf8_lossy(name_bytes)
                ))
            })?
            .to_string();
        let count = usize::from(s.number_of_aux_symbols());
        let aux = if count == 0 {
            Aux::None
        } else if s.storage_class() == pe::IMAGE_SYM_CLASS_FILE {
            let bytes = symbols
                .aux_file_name(SymbolIndex(index), s.number_of_aux_symbols())
                .map_err(DumpError::malformed)?;
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            let file = std::str::from_utf8(bytes.get(..end).unwrap_or(&[])).map_err(|_| {
                DumpError::new(format!("symbol {index}: a .file name that is not UTF-8"))
            })?;
            Aux::File(file.to_string())
        } else if s.storage_class() == pe::IMAGE_SYM_CLASS_WEAK_EXTERNAL {
            let w = symbols
                .aux_weak_external(SymbolIndex(index))
                .map_err(DumpError::malformed)?;
            Aux::Weak {
                default: w.weak_default_sym_index.get(object::LittleEndian) as usize,
                search: w.weak_search_type.get(object::LittleEndian),
            }
        } else if s.storage_class() == pe::IMAGE_SYM_CLASS_STATIC
            && s.section_number() > 0
            && s.typ() >> 4 != pe::IMAGE_SYM_DTYPE_FUNCTION
        {
            // A section definition (a static function's record, which GNU as gives the first
            // static function in `.text`, is the function definition below).
            let a = symbols
                .aux_section(SymbolIndex(index))
                .map_err(DumpError::malformed)?;
            let mut associated = u32::from(a.number.get(object::LittleEndian));
            if bigobj {
                associated |= u32::from(a.high_number.get(object::LittleEndian)) << 16;
            }
            Aux::Section {
                selection: a.selection,
                associated,
            }
        } else if s.typ() >> 4 == pe::IMAGE_SYM_DTYPE_FUNCTION && count == 1 {
            // A function definition record (format 1): COFF line-number debugging, which
            // linkers do not read. objforge writes none; one that holds anything is noted.
            let f = symbols
                .aux_function(SymbolIndex(index))
                .map_err(DumpError::malformed)?;
            let empty = f.tag_index.get(object::LittleEndian) == 0
                && f.total_size.get(object::LittleEndian) == 0
                && f.pointer_to_linenumber.get(object::LittleEndian) == 0
                && f.pointer_to_next_function.get(object::LittleEndian) == 0;
            if !empty {
                notes.push(format!(
                    "left out the function definition record of `{name}` (COFF line-number debugging, which linkers do not read)"
                ));
            }
            Aux::None
        } else {
            return Err(DumpError::symbol(
                &name,
                format!(
                    "auxiliary records of storage class {} have no objforge equivalent",
                    s.storage_class()
                ),
            ));
        };
        if s.storage_class() == pe::IMAGE_SYM_CLASS_FILE && !matches!(aux, Aux::File(_)) {
            return Err(DumpError::symbol(&name, "a .file symbol without its name"));
        }
        out.push(CoffSymbol {
            index,
            name,
            value: s.value(),
            section_number: s.section_number(),
            typ: s.typ(),
            class: s.storage_class(),
            aux,
        });
        index += 1 + count;
    }
    Ok(out)
}

/// A model section from its header, checked against what the writer gives the kind.
fn section(name: &str, characteristics: u32, raw: &[u8], size: u32) -> Result<Section> {
    let err = |message: String| DumpError::section(name, message);
    let c = characteristics;
    let data = pe::IMAGE_SCN_CNT_INITIALIZED_DATA | pe::IMAGE_SCN_MEM_READ;
    let kind = if c & pe::IMAGE_SCN_CNT_CODE != 0 {
        SectionKind::Text
    } else if c & pe::IMAGE_SCN_CNT_UNINITIALIZED_DATA != 0 {
        SectionKind::Bss
    } else if c & pe::IMAGE_SCN_MEM_DISCARDABLE != 0 {
        match crate::spec::default_section_kind(name) {
            SectionKind::Debug => SectionKind::Debug,
            _ => SectionKind::Other,
        }
    } else if c & pe::IMAGE_SCN_MEM_WRITE != 0 {
        if name.starts_with(".tls") {
            SectionKind::TlsData
        } else {
            SectionKind::Data
        }
    } else {
        SectionKind::Rodata
    };
    let expected = match kind {
        SectionKind::Text => {
            pe::IMAGE_SCN_CNT_CODE | pe::IMAGE_SCN_MEM_EXECUTE | pe::IMAGE_SCN_MEM_READ
        }
        SectionKind::Rodata => data,
        SectionKind::Bss => {
            pe::IMAGE_SCN_CNT_UNINITIALIZED_DATA | pe::IMAGE_SCN_MEM_READ | pe::IMAGE_SCN_MEM_WRITE
        }
        SectionKind::Debug | SectionKind::Other => data | pe::IMAGE_SCN_MEM_DISCARDABLE,
        _ => data | pe::IMAGE_SCN_MEM_WRITE,
    };
    // What the writer adds on its own terms: alignment, COMDAT, the relocation overflow, and
    // LNK_REMOVE for `exclude`.
    let own = pe::IMAGE_SCN_ALIGN_MASK
        | pe::IMAGE_SCN_LNK_COMDAT
        | pe::IMAGE_SCN_LNK_NRELOC_OVFL
        | pe::IMAGE_SCN_LNK_REMOVE;
    if c & !own != expected {
        return Err(err(format!(
            "characteristics {c:#010x}: objforge writes a {} section as {expected:#010x} (with alignment, COMDAT and LNK_REMOVE bits)",
            kind.name(),
        )));
    }
    let mut section = Section::new(name, kind);
    section.align = match c & pe::IMAGE_SCN_ALIGN_MASK {
        0 => 16,
        bits => 1u64 << ((bits >> 20) - 1),
    };
    if section.align > 8192 {
        return Err(err(format!(
            "alignment field {:#x} is past IMAGE_SCN_ALIGN_8192BYTES",
            c & pe::IMAGE_SCN_ALIGN_MASK
        )));
    }
    section.flags.exclude = c & pe::IMAGE_SCN_LNK_REMOVE != 0;
    section.data = if kind == SectionKind::Bss {
        SectionData::Zero(u64::from(size))
    } else {
        SectionData::Bytes(raw.to_vec())
    };
    Ok(section)
}

/// The kind and addend of a relocation of COFF type `r_type` at `offset` of model section
/// `k`; the addend is read out of the field, which is cleared. A type the writer would not
/// choose for that kind and addend stays `native` (same storage, same addend).
fn relocation(
    arch: Architecture,
    object: &mut Object,
    k: usize,
    offset: u64,
    r_type: u16,
) -> std::result::Result<(RelocKind, i64), String> {
    let Some(SectionData::Bytes(bytes)) = object.sections.get_mut(k).map(|s| &mut s.data) else {
        return Err("relocations in a section without contents".into());
    };
    let native = |r_type: u16| {
        RelocKind::Native(NativeReloc {
            r_type: u32::from(r_type),
            pcrel: false,
            length: 0,
            size: 0,
        })
    };
    use RelocKind::*;
    // An integer field of `size` bytes holding A + bias.
    let data = |bytes: &mut Vec<u8>, kind: RelocKind, size: u8, bias: i64| {
        let value = bits::read_signed(bytes, offset, size)
            .ok_or_else(|| format!("the {size}-byte field runs past the end of the section"))?;
        bits::clear(bytes, offset, size);
        Ok((kind, value.wrapping_sub(bias)))
    };
    // REL32: a call or jump when the opcode before the field says so.
    let branch_or_pcrel = |bytes: &[u8]| match bits::byte_before(bytes, offset) {
        Some(0xe8 | 0xe9) => X86Branch32,
        _ => Pcrel32,
    };
    match arch {
        Architecture::X86_64 => match r_type {
            0x1 => data(bytes, Abs64, 8, 0),
            0x2 => data(bytes, Abs32, 4, 0),
            0x3 => data(bytes, Imagerel32, 4, 0),
            0x4..=0x9 => {
                // REL32_k counts k more bytes: A = field - 4 - k. The writer picks REL32_k
                // from A again (REL32_k exactly when A = -(4 + k)), so a REL32 the compiler
                // wrote where REL32_k would do, or the reverse, comes back with the other
                // type and the same linked value.
                let extra = i64::from(r_type - 0x4);
                let kind = branch_or_pcrel(bytes);
                data(bytes, kind, 4, 4 + extra)
            }
            0xa => data(bytes, Secidx16, 2, 0),
            0xb => data(bytes, Secrel32, 4, 0),
            other => Ok((native(other), 0)),
        },
        Architecture::I386 => match r_type {
            0x6 => data(bytes, Abs32, 4, 0),
            0x7 => data(bytes, Imagerel32, 4, 0),
            0xa => data(bytes, Secidx16, 2, 0),
            0xb => data(bytes, Secrel32, 4, 0),
            0x14 => {
                let kind = branch_or_pcrel(bytes);
                data(bytes, kind, 4, 4)
            }
            other => Ok((native(other), 0)),
        },
        Architecture::Aarch64 => {
            let insn = bits::read_u32(bytes, offset);
            let need = || {
                insn.ok_or_else(|| "the instruction runs past the end of the section".to_string())
            };
            match r_type {
                0x1 => data(bytes, Abs32, 4, 0),
                0x2 => data(bytes, Imagerel32, 4, 0),
                0x3 => {
                    let kind = if bits::a64_is_bl(need()?) {
                        A64Call26
                    } else {
                        A64Jump26
                    };
                    Ok((kind, 0))
                }
                0x4 | 0x5 => {
                    let insn = need()?;
                    let imm = u64::from((insn >> 29) & 3) | (u64::from((insn >> 5) & 0x7ffff) << 2);
                    bits::write_u32(bytes, offset, insn & !((0x3 << 29) | (0x7ffff << 5)));
                    let kind = if r_type == 0x4 { A64Adrp21 } else { A64Adr21 };
                    Ok((kind, bits::sign_extend(imm, 21)))
                }
                0x6 => {
                    let insn = need()?;
                    bits::write_u32(bytes, offset, insn & !(0xfff << 10));
                    Ok((A64AddLo12, i64::from((insn >> 10) & 0xfff)))
                }
                0x7 => {
                    let insn = need()?;
                    // The writer scales by the size it reads from the instruction.
                    let scale = (insn >> 30)
                        + if insn & 0x0480_0000 == 0x0480_0000 {
                            4
                        } else {
                            0
                        };
                    let kind = match bits::a64_ldst_scale(insn) {
                        Some(0) => A64Ldst8Lo12,
                        Some(1) => A64Ldst16Lo12,
                        Some(2) => A64Ldst32Lo12,
                        Some(3) => A64Ldst64Lo12,
                        Some(4) => A64Ldst128Lo12,
                        _ => native(r_type),
                    };
                    bits::write_u32(bytes, offset, insn & !(0xfff << 10));
                    Ok((kind, i64::from((insn >> 10) & 0xfff) << scale))
                }
                0x8 => data(bytes, Secrel32, 4, 0),
                0x9 => {
                    let insn = need()?;
                    bits::write_u32(bytes, offset, insn & !(0xfff << 10));
                    Ok((A64SecrelLo12, i64::from((insn >> 10) & 0xfff)))
                }
                // The linker adds to what imm12 holds, which the writer keeps 0.
                0xa if need()? & (0xfff << 10) == 0 => Ok((A64SecrelHi12, 0)),
                0xb => {
                    let insn = need()?;
                    let Some(scale) = bits::a64_ldst_scale(insn) else {
                        return Ok((native(r_type), 0));
                    };
                    bits::write_u32(bytes, offset, insn & !(0xfff << 10));
                    Ok((A64SecrelLdstLo12, i64::from((insn >> 10) & 0xfff) << scale))
                }
                0xd => data(bytes, Secidx16, 2, 0),
                0xe => data(bytes, Abs64, 8, 0),
                0xf => Ok((A64Condbr19, 0)),
                0x10 => Ok((A64Tstbr14, 0)),
                0x11 => data(bytes, Pcrel32, 4, 4),
                other => Ok((native(other), 0)),
            }
        }
        _ => Err(format!("relocation type {r_type:#x} on {arch}")),
    }
}
