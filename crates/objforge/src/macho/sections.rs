//! Which Mach-O section each model section becomes: its `segment,section` name, its type and
//! attributes, and where the object's one segment places it.

use super::consts::*;
use crate::error::{Error, Place};
use crate::model::{Object, Section, SectionKind};

/// The largest section alignment objforge writes (2^15, the most Apple's linker accepts).
pub(super) const MAX_ALIGN: u64 = 1 << 15;

/// One `section_64`, laid out.
pub(super) struct MachoSection {
    /// The model section it comes from.
    pub model: usize,
    pub segname: String,
    pub sectname: String,
    /// Type and attributes.
    pub flags: u32,
    pub align_log2: u32,
    /// Address in the object's segment (offsets in the file follow it).
    pub addr: u64,
    pub size: u64,
    /// Zero-filled: no bytes in the file.
    pub zero_fill: bool,
}

impl MachoSection {
    /// Whether the linker splits it into literals (C strings, or 4-, 8- or 16-byte
    /// constants) and finds a section-relative referent by the literal that holds its address:
    /// such a referent must lie inside the section, not at its end.
    pub(super) fn is_literals(&self) -> bool {
        matches!(
            self.flags & SECTION_TYPE,
            S_CSTRING_LITERALS | S_4BYTE_LITERALS | S_8BYTE_LITERALS | S_16BYTE_LITERALS
        )
    }
}

/// The sections in `section_64` order (those with file contents first, then the zero-filled
/// ones, as the segment's file size requires), with their addresses; and for each model
/// section, its index in that order.
pub(super) struct Sections {
    pub list: Vec<MachoSection>,
    pub ordinal_of_model: Vec<usize>,
    /// Bytes of address space the segment spans, and how many of them are in the file.
    pub vmsize: u64,
    pub filesize: u64,
}

impl Sections {
    pub(super) fn lay_out(obj: &Object) -> Result<Sections, Error> {
        if obj.sections.len() > MAX_SECT {
            return Err(Error::unsupported(
                Place::Object,
                format!(
                    "{} sections; Mach-O numbers sections in one byte, so an object holds at most {MAX_SECT}",
                    obj.sections.len()
                ),
            ));
        }
        let mut list = Vec::with_capacity(obj.sections.len());
        for pass_zero_fill in [false, true] {
            for (i, s) in obj.sections.iter().enumerate() {
                if s.kind.is_zero_fill() == pass_zero_fill {
                    list.push(describe(i, s)?);
                }
            }
        }
        let mut addr = 0u64;
        let mut filesize = 0u64;
        let mut ordinal_of_model = vec![0; obj.sections.len()];
        for (ordinal, s) in list.iter_mut().enumerate() {
            let align = 1u64 << s.align_log2;
            let too_big = || {
                Error::unsupported(
                    Place::Section(s.model, None),
                    "the object's sections span more than 2^64 bytes",
                )
            };
            addr = addr.checked_next_multiple_of(align).ok_or_else(too_big)?;
            s.addr = addr;
            addr = addr.checked_add(s.size).ok_or_else(too_big)?;
            if !s.zero_fill {
                filesize = addr;
            }
            ordinal_of_model[s.model] = ordinal;
        }
        Ok(Sections {
            list,
            ordinal_of_model,
            vmsize: addr,
            filesize,
        })
    }

    /// The laid-out section a model section became.
    pub(super) fn of_model(&self, model: usize) -> &MachoSection {
        &self.list[self.ordinal_of_model[model]]
    }

    /// `n_sect` (1-based) of a model section.
    pub(super) fn n_sect(&self, model: usize) -> u8 {
        // At most MAX_SECT (255) sections, checked in `lay_out`.
        (self.ordinal_of_model[model] + 1) as u8
    }
}

/// The Mach-O name, type and attributes of model section `i`.
fn describe(i: usize, s: &Section) -> Result<MachoSection, Error> {
    let at = |field| Place::Section(i, Some(field));
    if s.comdat.is_some() {
        return Err(Error::unsupported(
            at("comdat"),
            "Mach-O has no COMDAT groups; make the section's symbols weak instead (the linker keeps one N_WEAK_DEF definition)",
        ));
    }
    if s.flags.exclude {
        return Err(Error::unsupported(
            at("flags"),
            "Mach-O has no section the linker drops (`exclude`)",
        ));
    }
    if s.align > MAX_ALIGN {
        return Err(Error::unsupported(
            at("align"),
            format!(
                "{} is over Mach-O's largest section alignment, {MAX_ALIGN}",
                s.align
            ),
        ));
    }
    let (segname, sectname) = macho_name(&s.name, s.flags.merge_strings)
        .map_err(|message| Error::unsupported(at("name"), message))?;
    let section_type = match s.kind {
        SectionKind::Bss => S_ZEROFILL,
        SectionKind::TlsBss => S_THREAD_LOCAL_ZEROFILL,
        _ => match sectname.as_str() {
            "__cstring" => S_CSTRING_LITERALS,
            "__literal4" => S_4BYTE_LITERALS,
            "__literal8" => S_8BYTE_LITERALS,
            "__literal16" => S_16BYTE_LITERALS,
            "__mod_init_func" => S_MOD_INIT_FUNC_POINTERS,
            "__mod_term_func" => S_MOD_TERM_FUNC_POINTERS,
            "__eh_frame" => S_COALESCED,
            "__thread_vars" => S_THREAD_LOCAL_VARIABLES,
            "__thread_data" => S_THREAD_LOCAL_REGULAR,
            "__thread_ptrs" => S_THREAD_LOCAL_VARIABLE_POINTERS,
            "__thread_init" => S_THREAD_LOCAL_INIT_FUNCTION_POINTERS,
            _ if s.kind == SectionKind::TlsData => S_THREAD_LOCAL_REGULAR,
            _ if s.flags.merge_strings => S_CSTRING_LITERALS,
            _ if s.flags.merge => match s.entsize {
                4 => S_4BYTE_LITERALS,
                8 => S_8BYTE_LITERALS,
                16 => S_16BYTE_LITERALS,
                n => {
                    return Err(Error::unsupported(
                        at("entsize"),
                        format!("Mach-O merges constants of 4, 8 or 16 bytes, not {n}"),
                    ))
                }
            },
            _ => S_REGULAR,
        },
    };
    let mut attributes = match s.kind {
        SectionKind::Text => S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS,
        SectionKind::Debug => S_ATTR_DEBUG,
        _ => 0,
    };
    match sectname.as_str() {
        "__eh_frame" => {
            attributes |= S_ATTR_NO_TOC | S_ATTR_STRIP_STATIC_SYMS | S_ATTR_LIVE_SUPPORT
        }
        "__compact_unwind" => attributes |= S_ATTR_DEBUG,
        _ => {}
    }
    if s.flags.retain {
        if s.kind.is_zero_fill() {
            // LLVM's readers take a zero-fill section with any attribute bit for one with
            // contents, and refuse the object (its "contents" overlap the headers).
            return Err(Error::unsupported(
                at("flags"),
                "Mach-O cannot mark a zero-fill section `retain` in a way LLVM's tools read; give the section contents (zeros) instead",
            ));
        }
        attributes |= S_ATTR_NO_DEAD_STRIP;
    }
    Ok(MachoSection {
        model: i,
        segname,
        sectname,
        flags: section_type | attributes,
        align_log2: s.align.trailing_zeros(),
        addr: 0,
        size: s.data.len(),
        zero_fill: s.kind.is_zero_fill(),
    })
}

/// ELF-style names a Mach-O spec may use, and the Mach-O section each becomes.
/// A name also matches with a `.suffix` (`.text.hot` is `__TEXT,__text`); the longest match
/// wins.
const ELF_NAMES: &[(&str, &str, &str)] = &[
    (".text", "__TEXT", "__text"),
    (".rodata", "__TEXT", "__const"),
    (".rodata.str", "__TEXT", "__cstring"),
    (".rodata.cst4", "__TEXT", "__literal4"),
    (".rodata.cst8", "__TEXT", "__literal8"),
    (".rodata.cst16", "__TEXT", "__literal16"),
    (".eh_frame", "__TEXT", "__eh_frame"),
    (".gcc_except_table", "__TEXT", "__gcc_except_tab"),
    (".data", "__DATA", "__data"),
    (".data.rel.ro", "__DATA", "__const"),
    (".bss", "__DATA", "__bss"),
    (".tdata", "__DATA", "__thread_data"),
    (".tbss", "__DATA", "__thread_bss"),
    (".init_array", "__DATA", "__mod_init_func"),
    (".fini_array", "__DATA", "__mod_term_func"),
];

/// `(segment, section)` for a model section name: `__SEG,__sect` as given, an ELF-style name
/// from [`ELF_NAMES`], or `.debug_*` as `__DWARF,__debug_*`. The message says why not.
pub(super) fn macho_name(name: &str, merge_strings: bool) -> Result<(String, String), String> {
    if let Some((segname, sectname)) = name.split_once(',') {
        for (what, part) in [("segment", segname), ("section", sectname)] {
            if part.is_empty() || part.contains(',') {
                return Err(format!(
                    "`{name}` is not a Mach-O `__SEGMENT,__section` name (the {what} part is {})",
                    if part.is_empty() {
                        "empty"
                    } else {
                        "not one name"
                    }
                ));
            }
            if part.len() > NAME_SIZE {
                return Err(format!(
                    "the {what} name `{part}` is {} bytes long; Mach-O {what} names are at most {NAME_SIZE}",
                    part.len()
                ));
            }
        }
        return Ok((segname.to_string(), sectname.to_string()));
    }
    if let Some(rest) = name.strip_prefix(".debug_") {
        // Apple's toolchain shortens the one standard name that is too long.
        let rest = if rest == "str_offsets" {
            "str_offs"
        } else {
            rest
        };
        let sectname = format!("__debug_{rest}");
        if sectname.len() > NAME_SIZE {
            return Err(format!(
                "`{name}` becomes `__DWARF,{sectname}`, whose section name is {} bytes long; Mach-O section names are at most {NAME_SIZE} (give the name as `__DWARF,__...`)",
                sectname.len()
            ));
        }
        return Ok(("__DWARF".into(), sectname));
    }
    let matches = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || prefix == ".rodata.str")
    };
    let best = ELF_NAMES
        .iter()
        .filter(|(prefix, ..)| matches(prefix))
        .max_by_key(|(prefix, ..)| prefix.len());
    match best {
        Some(&(".rodata", ..)) if merge_strings => Ok(("__TEXT".into(), "__cstring".into())),
        Some(&(_, segname, sectname)) => Ok((segname.into(), sectname.into())),
        None => Err(format!(
            "`{name}` has no Mach-O equivalent objforge knows; name the section `__SEGMENT,__section` (such as `__TEXT,__text`)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::macho_name;

    fn name(n: &str) -> String {
        match macho_name(n, false) {
            Ok((seg, sect)) => format!("{seg},{sect}"),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn elf_names_map() {
        assert_eq!(name(".text"), "__TEXT,__text");
        assert_eq!(name(".text.startup"), "__TEXT,__text");
        assert_eq!(name(".rodata"), "__TEXT,__const");
        assert_eq!(name(".rodata.str1.1"), "__TEXT,__cstring");
        assert_eq!(name(".rodata.cst8"), "__TEXT,__literal8");
        assert_eq!(name(".data.rel.ro.local"), "__DATA,__const");
        assert_eq!(name(".database"), "error: `.database` has no Mach-O equivalent objforge knows; name the section `__SEGMENT,__section` (such as `__TEXT,__text`)");
        assert_eq!(name(".tbss"), "__DATA,__thread_bss");
        assert_eq!(name(".debug_info"), "__DWARF,__debug_info");
        assert_eq!(name(".debug_str_offsets"), "__DWARF,__debug_str_offs");
        assert!(name(".debug_gnu_pubnames").starts_with("error: `.debug_gnu_pubnames` becomes"));
        assert_eq!(
            macho_name(".rodata", true),
            Ok(("__TEXT".into(), "__cstring".into()))
        );
    }

    #[test]
    fn given_names() {
        assert_eq!(name("__TEXT,__text"), "__TEXT,__text");
        assert_eq!(name("__DATA,__thread_vars"), "__DATA,__thread_vars");
        assert_eq!(
            name("__TEXT,__a_very_long_name"),
            "error: the section name `__a_very_long_name` is 18 bytes long; Mach-O section names are at most 16"
        );
        assert!(name("__TEXT,").contains("the section part is empty"));
        assert!(name("__TEXT,__text,regular").contains("not one name"));
    }
}
