//! A C ABI over the objforge library, declared in `include/objforge.h`.
//!
//! Every exported function returns an [`ObjforgeCode`] (0 is success) and, when the caller
//! passes an [`ObjforgeError`], fills it with the code and a one-line message naming the place
//! (`relocations[7].offset: ...`, the library's own `Error` display). No panic crosses the
//! boundary: each body runs under `catch_unwind`, and a panic comes back as
//! [`OBJFORGE_ERR_INTERNAL`]. The header's comments state who owns what.
//!
//! The header is written by hand; `tests/header.rs` checks that every function here is declared
//! there with the C spelling of its Rust signature, and that the relocation kind constants are
//! the library's `ALL_KINDS` in order.

#![deny(missing_docs)]

use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use objforge::dwarf::{DebugInfo, DwarfVersion, FileId, Function, LineRow};
use objforge::{
    Binding, ComdatSelection, Error, NativeReloc, Object, Platform, RelocKind, Relocation,
    RelocationId, Section, SectionFlags, SectionId, SectionKind, Symbol, SymbolId, SymbolKind,
    Target, Visibility, ALL_KINDS,
};

/// A result code (`OBJFORGE_OK`, `OBJFORGE_ERR_*` in the header).
pub type ObjforgeCode = c_int;
/// Success.
pub const OBJFORGE_OK: ObjforgeCode = 0;
/// The model is inconsistent (the library's `Error::Invalid`).
pub const OBJFORGE_ERR_INVALID: ObjforgeCode = 1;
/// The target cannot express part of the model (the library's `Error::Unsupported`).
pub const OBJFORGE_ERR_UNSUPPORTED: ObjforgeCode = 2;
/// Writing the file failed.
pub const OBJFORGE_ERR_IO: ObjforgeCode = 3;
/// A bad argument: a NULL pointer, text that is not UTF-8, an unknown name, an unknown id.
pub const OBJFORGE_ERR_ARGUMENT: ObjforgeCode = 4;
/// The caller's buffer is smaller than the object (`*out_len` says how large it must be).
pub const OBJFORGE_ERR_BUFFER_TOO_SMALL: ObjforgeCode = 5;
/// A bug in objforge (a caught panic).
pub const OBJFORGE_ERR_INTERNAL: ObjforgeCode = 6;

/// Bytes of [`ObjforgeError::message`], the terminating NUL included.
pub const OBJFORGE_MESSAGE_CAP: usize = 1024;
/// "No symbol" / "no section" (an undefined symbol, a `pcrel_lo12` relocation's symbol).
pub const OBJFORGE_NONE: u32 = u32::MAX;
/// Line row flag: the row starts a statement (a breakpoint place).
pub const OBJFORGE_LINE_IS_STMT: u32 = 1;
/// Line row flag: the row ends a run of code (`offset` is the first byte after it).
pub const OBJFORGE_LINE_END_SEQUENCE: u32 = 2;
/// Section flag: `merge_strings`.
pub const OBJFORGE_SECTION_MERGE_STRINGS: u32 = 1;
/// Section flag: `merge`.
pub const OBJFORGE_SECTION_MERGE: u32 = 2;
/// Section flag: `exclude`.
pub const OBJFORGE_SECTION_EXCLUDE: u32 = 4;
/// Section flag: `retain`.
pub const OBJFORGE_SECTION_RETAIN: u32 = 8;

/// The caller-owned error record every function fills when given one.
#[repr(C)]
pub struct ObjforgeError {
    /// The code the function returned.
    pub code: c_int,
    /// A NUL-terminated UTF-8 line, `PLACE: what is wrong`; empty on success. Cut at a
    /// character boundary if longer than the buffer.
    pub message: [c_char; OBJFORGE_MESSAGE_CAP],
}

/// An object under construction (opaque to C).
pub struct ObjforgeObject {
    obj: Object,
    debug: Option<DebugInfo>,
    /// The bytes of the last write, until the next change.
    written: Option<Vec<u8>>,
}

/// A failure inside a call: a code and its message.
struct Fail(ObjforgeCode, String);

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        let code = match e {
            Error::Invalid { .. } => OBJFORGE_ERR_INVALID,
            Error::Unsupported { .. } => OBJFORGE_ERR_UNSUPPORTED,
            Error::Io(_) => OBJFORGE_ERR_IO,
            _ => OBJFORGE_ERR_INVALID,
        };
        Fail(code, e.to_string())
    }
}

fn argument(place: impl std::fmt::Display, message: impl std::fmt::Display) -> Fail {
    Fail(OBJFORGE_ERR_ARGUMENT, format!("{place}: {message}"))
}

/// Runs `body` with panics caught, and records its outcome in `err`.
fn guard(err: *mut ObjforgeError, body: impl FnOnce() -> Result<(), Fail>) -> ObjforgeCode {
    let outcome = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => Fail(OBJFORGE_OK, String::new()),
        Ok(Err(fail)) => fail,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Fail(
                OBJFORGE_ERR_INTERNAL,
                format!("internal error (a bug in objforge): {what}"),
            )
        }
    };
    // SAFETY: the header says `err` is NULL or points at a writable objforge_error.
    if let Some(err) = unsafe { err.as_mut() } {
        err.code = outcome.0;
        write_message(&mut err.message, &outcome.1);
    }
    outcome.0
}

/// Copies `text` into `buf` NUL-terminated, cut at a character boundary if it does not fit.
fn write_message(buf: &mut [c_char; OBJFORGE_MESSAGE_CAP], text: &str) {
    let mut end = text.len().min(OBJFORGE_MESSAGE_CAP - 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    for (slot, &byte) in buf.iter_mut().zip(&text.as_bytes()[..end]) {
        *slot = byte as c_char;
    }
    buf[end] = 0;
}

/// The UTF-8 text at `ptr`, or an argument error naming `place`.
fn text<'a>(ptr: *const c_char, place: &dyn std::fmt::Display) -> Result<&'a str, Fail> {
    if ptr.is_null() {
        return Err(argument(place, "NULL where a string is required"));
    }
    // SAFETY: the header says strings are NUL-terminated and live for the call.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str()
        .map_err(|e| argument(place, format!("not UTF-8 ({e})")))
}

/// Like [`text`], with NULL meaning "not given".
fn optional_text<'a>(
    ptr: *const c_char,
    place: &dyn std::fmt::Display,
) -> Result<Option<&'a str>, Fail> {
    if ptr.is_null() {
        Ok(None)
    } else {
        text(ptr, place).map(Some)
    }
}

/// Parses a name from `known`, or an argument error listing them.
fn named<T>(
    name: &str,
    place: &dyn std::fmt::Display,
    what: &str,
    known: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, Fail> {
    parse(name).ok_or_else(|| {
        argument(
            place,
            format!("unknown {what} \"{name}\" (known: {})", known.join(", ")),
        )
    })
}

/// The spellings of [`SectionKind`], for messages.
const SECTION_KINDS: &[&str] = &[
    "text", "data", "rodata", "bss", "tls_data", "tls_bss", "debug", "other",
];
/// The spellings of [`SymbolKind`], for messages.
const SYMBOL_KINDS: &[&str] = &["none", "func", "object", "tls", "section", "file"];
/// The spellings of [`Binding`], for messages.
const BINDINGS: &[&str] = &["local", "global", "weak", "gnu_unique"];
/// The spellings of [`Visibility`], for messages.
const VISIBILITIES: &[&str] = &["default", "hidden", "protected", "internal"];

/// A name the model parses from the string at `ptr` (NULL: `None`), one of `known`.
fn optional_named<T: Named>(
    ptr: *const c_char,
    place: &dyn std::fmt::Display,
    what: &str,
    known: &[&str],
) -> Result<Option<T>, Fail> {
    match optional_text(ptr, place)? {
        Some(name) => named(name, place, what, known, T::from_name).map(Some),
        None => Ok(None),
    }
}

/// The model's enums spelled by name.
trait Named: Sized {
    fn from_name(name: &str) -> Option<Self>;
}

impl Named for SymbolKind {
    fn from_name(name: &str) -> Option<Self> {
        SymbolKind::from_name(name)
    }
}

impl Named for Binding {
    fn from_name(name: &str) -> Option<Self> {
        Binding::from_name(name)
    }
}

impl Named for Visibility {
    fn from_name(name: &str) -> Option<Self> {
        Visibility::from_name(name)
    }
}

/// The object behind `obj`, or an argument error.
fn object<'a>(obj: *mut ObjforgeObject) -> Result<&'a mut ObjforgeObject, Fail> {
    // SAFETY: the header says `obj` is NULL or a live object from objforge_new, used by one
    // thread at a time.
    let o = unsafe { obj.as_mut() }.ok_or_else(|| argument("object", "NULL object"))?;
    o.written = None;
    Ok(o)
}

/// Stores `value` at `out` if it is not NULL.
fn put<T>(out: *mut T, value: T) {
    // SAFETY: the header says out-pointers are NULL or writable.
    if let Some(slot) = unsafe { out.as_mut() } {
        *slot = value;
    }
}

fn section_id(
    o: &ObjforgeObject,
    id: u32,
    place: &dyn std::fmt::Display,
) -> Result<SectionId, Fail> {
    if (id as usize) < o.obj.sections.len() {
        Ok(SectionId(id))
    } else {
        Err(argument(
            place,
            format!("no section {id} (the object has {})", o.obj.sections.len()),
        ))
    }
}

fn symbol_id(o: &ObjforgeObject, id: u32, place: &dyn std::fmt::Display) -> Result<SymbolId, Fail> {
    if (id as usize) < o.obj.symbols.len() {
        Ok(SymbolId(id))
    } else {
        Err(argument(
            place,
            format!("no symbol {id} (the object has {})", o.obj.symbols.len()),
        ))
    }
}

fn relocation_id(o: &ObjforgeObject, id: u32) -> Result<RelocationId, Fail> {
    if (id as usize) < o.obj.relocations.len() {
        Ok(RelocationId(id))
    } else {
        Err(argument(
            format!("relocations[{id}]"),
            format!(
                "no such relocation (the object has {})",
                o.obj.relocations.len()
            ),
        ))
    }
}

/// A new id, as the header's `uint32_t`, or an error when the object has run out of them.
fn next_id(len: usize, array: &str) -> Result<u32, Fail> {
    u32::try_from(len)
        .ok()
        .filter(|&id| id != OBJFORGE_NONE)
        .ok_or_else(|| argument(array, "more than 4294967294 entries"))
}

/// The library version, a static NUL-terminated string (never freed).
#[no_mangle]
pub extern "C" fn objforge_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Creates an empty object for an LLVM-style target triple.
///
/// # Safety
/// As the header says: `triple` NUL-terminated, `out` and `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn objforge_new(
    triple: *const c_char,
    out: *mut *mut ObjforgeObject,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    put(out, std::ptr::null_mut());
    guard(err, || {
        if out.is_null() {
            return Err(argument("out", "NULL where the object pointer goes"));
        }
        let triple = text(triple, &"target")?;
        let mut obj = Object::new(Target::from_triple(triple)?);
        // As the CLI does: Mach-O's platform follows the triple.
        obj.options.platform = Platform::from_triple(triple);
        let boxed = Box::new(ObjforgeObject {
            obj,
            debug: None,
            written: None,
        });
        put(out, Box::into_raw(boxed));
        Ok(())
    })
}

/// Frees an object; NULL is ignored.
///
/// # Safety
/// `obj` is NULL or from `objforge_new`, and not used again.
#[no_mangle]
pub unsafe extern "C" fn objforge_free(obj: *mut ObjforgeObject) {
    if !obj.is_null() {
        // Dropping plain data does not panic; catch anyway so nothing unwinds into C.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(obj))));
    }
}

/// Sets whether the platform's C symbol prefix is applied (`options.mangle`, default on).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_set_mangle(
    obj: *mut ObjforgeObject,
    mangle: c_int,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        object(obj)?.obj.options.mangle = mangle != 0;
        Ok(())
    })
}

/// Adds a section: `bytes` (copied) of `size` bytes, or `size` zero bytes when `bytes` is NULL
/// (the only form for `bss` and `tls_bss`).
///
/// # Safety
/// As the header says: `bytes` NULL or `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn objforge_add_section(
    obj: *mut ObjforgeObject,
    name: *const c_char,
    kind: *const c_char,
    bytes: *const u8,
    size: u64,
    align: u64,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let index = o.obj.sections.len();
        let id = next_id(index, "sections")?;
        let at = |field: &str| format!("sections[{index}].{field}");
        let name = text(name, &at("name"))?;
        let kind = named(
            text(kind, &at("kind"))?,
            &at("kind"),
            "section kind",
            SECTION_KINDS,
            SectionKind::from_name,
        )?;
        let mut section = Section::new(name, kind).with_align(align);
        section = if bytes.is_null() {
            section.with_zero_fill(size)
        } else {
            if kind.is_zero_fill() {
                return Err(argument(
                    at("bytes"),
                    "a zero-fill section takes only a size (pass NULL bytes)",
                ));
            }
            let len = usize::try_from(size)
                .map_err(|_| argument(at("size"), "larger than this machine's memory"))?;
            // SAFETY: the header says `bytes` points at `size` readable bytes.
            section.with_bytes(std::slice::from_raw_parts(bytes, len).to_vec())
        };
        o.obj.add_section(section);
        put(out_id, id);
        Ok(())
    })
}

/// Sets a section's flags (`OBJFORGE_SECTION_*`) and merge entry size.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_section_set_flags(
    obj: *mut ObjforgeObject,
    section: u32,
    flags: u32,
    entsize: u64,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let id = section_id(o, section, &format!("sections[{section}]"))?;
        let known = OBJFORGE_SECTION_MERGE_STRINGS
            | OBJFORGE_SECTION_MERGE
            | OBJFORGE_SECTION_EXCLUDE
            | OBJFORGE_SECTION_RETAIN;
        if flags & !known != 0 {
            return Err(argument(
                format!("sections[{section}].flags"),
                format!("unknown flag bits {:#x}", flags & !known),
            ));
        }
        let s = &mut o.obj.sections[id.index()];
        s.flags = SectionFlags {
            merge_strings: flags & OBJFORGE_SECTION_MERGE_STRINGS != 0,
            merge: flags & OBJFORGE_SECTION_MERGE != 0,
            exclude: flags & OBJFORGE_SECTION_EXCLUDE != 0,
            retain: flags & OBJFORGE_SECTION_RETAIN != 0,
        };
        s.entsize = entsize;
        Ok(())
    })
}

/// Puts a section in a COMDAT group. `selection` NULL means "any"; "associative" makes the
/// section follow section `associate` (otherwise ignored).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_section_set_comdat(
    obj: *mut ObjforgeObject,
    section: u32,
    group: *const c_char,
    selection: *const c_char,
    associate: u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let at = |field: &str| format!("sections[{section}].{field}");
        let id = section_id(o, section, &format!("sections[{section}]"))?;
        let group = text(group, &at("comdat"))?;
        let selection = match optional_text(selection, &at("comdat_selection"))? {
            None => ComdatSelection::Any,
            Some("associative") => {
                ComdatSelection::Associative(section_id(o, associate, &at("comdat_associate"))?)
            }
            Some(name) => named(
                name,
                &at("comdat_selection"),
                "COMDAT selection",
                ComdatSelection::NAMES,
                ComdatSelection::from_name,
            )?,
        };
        let s = &mut o.obj.sections[id.index()];
        s.comdat = Some(group.to_string());
        s.comdat_selection = selection;
        Ok(())
    })
}

/// Adds a symbol defined at `offset` in `section`, or undefined when `section` is
/// `OBJFORGE_NONE` (then `offset` must be 0; with kind "file", a source-file symbol). NULL `kind`/`binding`/`visibility` take the
/// defaults: none; local when defined, global when undefined; default.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_add_symbol(
    obj: *mut ObjforgeObject,
    name: *const c_char,
    section: u32,
    offset: u64,
    kind: *const c_char,
    binding: *const c_char,
    visibility: *const c_char,
    size: u64,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let index = o.obj.symbols.len();
        let id = next_id(index, "symbols")?;
        let at = |field: &str| format!("symbols[{index}].{field}");
        let name = text(name, &at("name"))?;
        let mut symbol = if section == OBJFORGE_NONE {
            if offset != 0 {
                return Err(argument(
                    at("offset"),
                    "only a defined symbol (one with a section) has an offset",
                ));
            }
            Symbol::undefined(name)
        } else {
            Symbol::defined(name, section_id(o, section, &at("section"))?, offset)
        };
        if let Some(k) = optional_named(kind, &at("kind"), "symbol kind", SYMBOL_KINDS)? {
            // As in the JSON spec: a file symbol without a section has none at all.
            if k == SymbolKind::File && section == OBJFORGE_NONE {
                symbol = Symbol::file(name);
            }
            symbol.kind = k;
        }
        if let Some(b) = optional_named(binding, &at("binding"), "binding", BINDINGS)? {
            symbol.binding = b;
        }
        if let Some(v) = optional_named(visibility, &at("visibility"), "visibility", VISIBILITIES)?
        {
            symbol.visibility = v;
        }
        symbol.size = size;
        o.obj.add_symbol(symbol);
        put(out_id, id);
        Ok(())
    })
}

/// Adds a global common (tentative) symbol of `size` bytes aligned to `align`.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_add_common(
    obj: *mut ObjforgeObject,
    name: *const c_char,
    size: u64,
    align: u64,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let index = o.obj.symbols.len();
        let id = next_id(index, "symbols")?;
        let name = text(name, &format!("symbols[{index}].name"))?;
        let align = u32::try_from(align).map_err(|_| {
            argument(
                format!("symbols[{index}].common.align"),
                format!("{align} is over 2^31, the most objforge writes"),
            )
        })?;
        o.obj.add_symbol(Symbol::common(name, size, align));
        put(out_id, id);
        Ok(())
    })
}

/// Adds the relocation `kind` at `offset` in `section` against `symbol` (`OBJFORGE_NONE`
/// only for the `rv_pcrel_lo12_*` kinds, which name their pair instead).
fn add_relocation(
    obj: *mut ObjforgeObject,
    section: u32,
    offset: u64,
    symbol: u32,
    kind: impl FnOnce(&str) -> Result<RelocKind, Fail>,
    addend: i64,
    out_id: *mut u32,
) -> Result<(), Fail> {
    let o = object(obj)?;
    let index = o.obj.relocations.len();
    let id = next_id(index, "relocations")?;
    let at = |field: &str| format!("relocations[{index}].{field}");
    let kind = kind(&at("kind"))?;
    let section = section_id(o, section, &at("section"))?;
    let symbol = if symbol == OBJFORGE_NONE {
        None
    } else {
        Some(symbol_id(o, symbol, &at("symbol"))?)
    };
    o.obj.add_relocation(
        Relocation::new(section, offset, SymbolId(0), kind)
            .with_symbol(symbol)
            .with_addend(addend),
    );
    put(out_id, id);
    Ok(())
}

/// Adds a relocation of a portable kind given as an `OBJFORGE_RELOC_*` constant.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_add_reloc(
    obj: *mut ObjforgeObject,
    section: u32,
    offset: u64,
    symbol: u32,
    kind: u32,
    addend: i64,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let kind_of = |place: &str| {
            ALL_KINDS.get(kind as usize).copied().ok_or_else(|| {
                argument(
                    place,
                    format!(
                        "unknown relocation kind {kind} (the OBJFORGE_RELOC_* constants run 0..{})",
                        ALL_KINDS.len()
                    ),
                )
            })
        };
        add_relocation(obj, section, offset, symbol, kind_of, addend, out_id)
    })
}

/// Adds a relocation of a portable kind given by its contract name (`"x86_branch32"`).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_add_reloc_named(
    obj: *mut ObjforgeObject,
    section: u32,
    offset: u64,
    symbol: u32,
    kind: *const c_char,
    addend: i64,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let kind_of = |place: &str| {
            let name = text(kind, &place)?;
            RelocKind::from_name(name).ok_or_else(|| {
                argument(
                    place,
                    format!("unknown relocation kind \"{name}\" (docs/relocations.md lists them)"),
                )
            })
        };
        add_relocation(obj, section, offset, symbol, kind_of, addend, out_id)
    })
}

/// Adds a relocation in the format's own encoding: ELF `r_type`, COFF `Type`, Mach-O
/// `r_type` with `pcrel` and `length` (log2 of the field size); `size` is the bytes patched
/// (0 = unknown), for bounds checks only.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_add_reloc_native(
    obj: *mut ObjforgeObject,
    section: u32,
    offset: u64,
    symbol: u32,
    r_type: u32,
    pcrel: c_int,
    length: u8,
    size: u8,
    addend: i64,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let native = RelocKind::Native(NativeReloc {
            r_type,
            pcrel: pcrel != 0,
            length,
            size,
        });
        add_relocation(obj, section, offset, symbol, |_| Ok(native), addend, out_id)
    })
}

/// What `objforge_reloc_set_pair` and `_set_minus` say of a relocation that has the other:
/// a relocation holds one of them.
const PAIR_OR_MINUS: &str =
    "a relocation takes a pair (rv_pcrel_lo12_*) or a minus (diff*), not both";

/// Makes a `rv_pcrel_lo12_*` relocation complete the hi20 relocation at `hi20_offset` in the
/// same section. A relocation holds a pair or a minus, not both: an argument error if it has
/// a minus.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_reloc_set_pair(
    obj: *mut ObjforgeObject,
    reloc: u32,
    hi20_offset: u64,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let id = relocation_id(o, reloc)?;
        if o.obj.relocations[id.index()].minus().is_some() {
            return Err(argument(
                format!("relocations[{reloc}].pair"),
                PAIR_OR_MINUS,
            ));
        }
        o.obj.relocations[id.index()].set_pair(Some(hi20_offset));
        Ok(())
    })
}

/// Makes a `diff*` relocation subtract `minus`'s address. An argument error if the relocation
/// has a pair (it holds one or the other).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_reloc_set_minus(
    obj: *mut ObjforgeObject,
    reloc: u32,
    minus: u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let id = relocation_id(o, reloc)?;
        let minus = symbol_id(o, minus, &format!("relocations[{reloc}].minus"))?;
        if o.obj.relocations[id.index()].pair().is_some() {
            return Err(argument(
                format!("relocations[{reloc}].minus"),
                PAIR_OR_MINUS,
            ));
        }
        o.obj.relocations[id.index()].set_minus(Some(minus));
        Ok(())
    })
}

/// Records symbol `symbol`'s ppc64le (ELFv2) local entry point, `offset` bytes past it
/// (`Object::set_local_entry`; checked when the object is written).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_symbol_set_local_entry(
    obj: *mut ObjforgeObject,
    symbol: u32,
    offset: u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let id = symbol_id(o, symbol, &format!("symbols[{symbol}]"))?;
        o.obj.set_local_entry(id, offset);
        Ok(())
    })
}

/// The unwind entry `id`, or an argument error.
fn unwind_entry(
    o: &mut ObjforgeObject,
    id: u32,
) -> Result<&mut objforge::unwind::FunctionUnwind, Fail> {
    let count = o.obj.unwind.len();
    o.obj.unwind.get_mut(id as usize).ok_or_else(|| {
        argument(
            format!("unwind[{id}]"),
            format!("no such unwind entry (the object has {count})"),
        )
    })
}

/// Adds the unwind description of the function of `size` bytes at `offset` in `section`;
/// its rules follow with `objforge_unwind_add_cfi`.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_add_unwind(
    obj: *mut ObjforgeObject,
    section: u32,
    offset: u64,
    size: u64,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let index = o.obj.unwind.len();
        let id = next_id(index, "unwind")?;
        let section = section_id(o, section, &format!("unwind[{index}].section"))?;
        o.obj
            .add_unwind(objforge::unwind::FunctionUnwind::new(section, offset, size));
        put(out_id, id);
        Ok(())
    })
}

/// A register by the assembler's name (`rbp`, `x29`, `s0`) or as a DWARF number in decimal.
fn register(
    o: &ObjforgeObject,
    name: *const c_char,
    place: &str,
) -> Result<objforge::unwind::Register, Fail> {
    use objforge::unwind::Register;
    let name = text(name, &place)?;
    if let Ok(number) = name.parse::<u16>() {
        return Ok(Register(number));
    }
    Register::from_name(o.obj.target.arch, name).ok_or_else(|| {
        argument(
            place,
            format!("unknown register `{name}` on {}", o.obj.target.arch.name()),
        )
    })
}

/// Adds call-frame rule `op` (a `.cfi_*` directive's name without the prefix) holding from
/// `at` bytes into function `unwind`, with the registers and offset the directive takes.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_unwind_add_cfi(
    obj: *mut ObjforgeObject,
    unwind: u32,
    at: u64,
    op: *const c_char,
    reg: *const c_char,
    reg2: *const c_char,
    offset: i64,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    use objforge::unwind::CfiOp;
    guard(err, || {
        let o = object(obj)?;
        let rules = unwind_entry(o, unwind)?.cfi.len();
        let place = format!("unwind[{unwind}].cfi[{rules}]");
        let name = text(op, &format!("{place}.op"))?;
        let reg_at = format!("{place}.reg");
        let reg2_at = format!("{place}.reg2");
        let op = match name {
            "def_cfa" => CfiOp::DefCfa {
                reg: register(o, reg, &reg_at)?,
                offset,
            },
            "def_cfa_register" => CfiOp::DefCfaRegister(register(o, reg, &reg_at)?),
            "def_cfa_offset" => CfiOp::DefCfaOffset(offset),
            "adjust_cfa_offset" => CfiOp::AdjustCfaOffset(offset),
            "offset" => CfiOp::Offset {
                reg: register(o, reg, &reg_at)?,
                offset,
            },
            "val_offset" => CfiOp::ValOffset {
                reg: register(o, reg, &reg_at)?,
                offset,
            },
            "rel_offset" => CfiOp::RelOffset {
                reg: register(o, reg, &reg_at)?,
                offset,
            },
            "register" => CfiOp::Register {
                reg: register(o, reg, &reg_at)?,
                reg2: register(o, reg2, &reg2_at)?,
            },
            "restore" => CfiOp::Restore(register(o, reg, &reg_at)?),
            "undefined" => CfiOp::Undefined(register(o, reg, &reg_at)?),
            "same_value" => CfiOp::SameValue(register(o, reg, &reg_at)?),
            "remember_state" => CfiOp::RememberState,
            "restore_state" => CfiOp::RestoreState,
            "negate_ra_state" => CfiOp::NegateRaState,
            "window_save" => CfiOp::WindowSave,
            other => {
                return Err(argument(
                    format!("{place}.op"),
                    format!(
                        "unknown rule `{other}` (known: {}; escape is JSON and Rust only)",
                        CfiOp::NAMES
                            .iter()
                            .filter(|n| **n != "escape")
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        };
        unwind_entry(o, unwind)?
            .cfi
            .push(objforge::unwind::CfiRule { at, op });
        Ok(())
    })
}

/// Sets function `unwind`'s personality routine (symbol `personality`) and, unless `lsda` is
/// `OBJFORGE_NONE`, its language-specific data area (symbol `lsda`).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_unwind_set_personality(
    obj: *mut ObjforgeObject,
    unwind: u32,
    personality: u32,
    lsda: u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        unwind_entry(o, unwind)?;
        let routine = symbol_id(o, personality, &format!("unwind[{unwind}].personality"))?;
        let data = match lsda {
            OBJFORGE_NONE => None,
            id => Some(symbol_id(o, id, &format!("unwind[{unwind}].lsda"))?),
        };
        let entry = unwind_entry(o, unwind)?;
        entry.personality = Some(routine);
        entry.lsda = data.map(objforge::unwind::Lsda::Symbol);
        Ok(())
    })
}

/// The debug information, or an argument error if `objforge_debug_begin` was not called.
fn debug(o: &mut ObjforgeObject) -> Result<&mut DebugInfo, Fail> {
    o.debug
        .as_mut()
        .ok_or_else(|| argument("debug", "call objforge_debug_begin first"))
}

/// Starts the object's debug information (one compilation unit): its primary source file and
/// directory, and the DWARF version (4 or 5; 0 = the platform's default, as clang chooses it).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_debug_begin(
    obj: *mut ObjforgeObject,
    name: *const c_char,
    comp_dir: *const c_char,
    version: u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let o = object(obj)?;
        let mut debug = DebugInfo::new(
            text(name, &"debug.name")?,
            text(comp_dir, &"debug.comp_dir")?,
        );
        debug.version = match version {
            0 => o.obj.default_dwarf_version(),
            n => DwarfVersion::from_number(u64::from(n)).ok_or_else(|| {
                argument(
                    "debug.version",
                    format!("objforge writes DWARF 4 or 5, not {n}"),
                )
            })?,
        };
        o.debug = Some(debug);
        Ok(())
    })
}

/// Sets `DW_AT_producer` (the compiler's name and version).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_debug_set_producer(
    obj: *mut ObjforgeObject,
    producer: *const c_char,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let producer = text(producer, &"debug.producer")?;
        debug(object(obj)?)?.producer = producer.to_string();
        Ok(())
    })
}

/// Adds a source file to the line table's file list.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_debug_add_file(
    obj: *mut ObjforgeObject,
    path: *const c_char,
    out_id: *mut u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let d = debug(object(obj)?)?;
        let index = d.files.len();
        let id = next_id(index, "debug.files")?;
        let path = text(path, &format!("debug.files[{index}]"))?;
        d.add_file(path);
        put(out_id, id);
        Ok(())
    })
}

/// Adds a line table row: the code at `offset` in `section` comes from `line`:`column` of
/// `file`. `flags`: `OBJFORGE_LINE_IS_STMT`, or `OBJFORGE_LINE_END_SEQUENCE` alone (then the
/// row only ends a run of code before `offset`, and `file`, `line`, `column` must be 0).
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_debug_add_line(
    obj: *mut ObjforgeObject,
    section: u32,
    offset: u64,
    file: u32,
    line: u32,
    column: u32,
    flags: u32,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let d = debug(object(obj)?)?;
        let at = format!("debug.lines[{}]", d.lines.len());
        let known = OBJFORGE_LINE_IS_STMT | OBJFORGE_LINE_END_SEQUENCE;
        if flags & !known != 0 {
            return Err(argument(
                at,
                format!("unknown flag bits {:#x}", flags & !known),
            ));
        }
        let section = SectionId::from_index(section as usize);
        let row = if flags & OBJFORGE_LINE_END_SEQUENCE != 0 {
            if flags != OBJFORGE_LINE_END_SEQUENCE || file != 0 || line != 0 || column != 0 {
                return Err(argument(
                    at,
                    "an end_sequence row has only a section and an offset",
                ));
            }
            LineRow::end_sequence(section, offset)
        } else {
            LineRow::new(section, offset, FileId(file as usize), line)
                .with_column(column)
                .with_is_stmt(flags & OBJFORGE_LINE_IS_STMT != 0)
        };
        d.add_row(row);
        Ok(())
    })
}

/// Adds a function (`DW_TAG_subprogram`) of `size` bytes at `offset` in `section`, declared
/// on `line` of `file` (0: unknown), external if `external` is non-zero.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_debug_add_function(
    obj: *mut ObjforgeObject,
    name: *const c_char,
    section: u32,
    offset: u64,
    size: u64,
    file: u32,
    line: u32,
    external: c_int,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        let d = debug(object(obj)?)?;
        let at = format!("debug.functions[{}].name", d.functions.len());
        let name = text(name, &at)?;
        let function = Function::new(name, SectionId::from_index(section as usize), offset, size)
            .with_declaration(FileId(file as usize), line)
            .with_external(external != 0);
        d.add_function(function);
        Ok(())
    })
}

/// The object's bytes: the model with its debug information lowered, written.
fn written(o: &mut ObjforgeObject) -> Result<&[u8], Fail> {
    if o.written.is_none() {
        let bytes = match &o.debug {
            Some(debug) => {
                let mut with_debug = o.obj.clone();
                with_debug.add_debug_info(debug)?;
                with_debug.write()?
            }
            None => o.obj.write()?,
        };
        o.written = Some(bytes);
    }
    Ok(o.written.as_deref().unwrap_or_default())
}

/// Writes the object into the caller's buffer. `*out_len` gets its size in any case; with
/// `buf` NULL only the size is computed (`OBJFORGE_OK`), and a buffer smaller than the object
/// is `OBJFORGE_ERR_BUFFER_TOO_SMALL` with nothing written. The bytes are kept until the next
/// change, so asking for the size first costs one write.
///
/// # Safety
/// As the header says: `buf` NULL or `cap` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn objforge_write(
    obj: *mut ObjforgeObject,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        // SAFETY: as `object`, without dropping the kept bytes.
        let o = unsafe { obj.as_mut() }.ok_or_else(|| argument("object", "NULL object"))?;
        let bytes = written(o)?;
        put(out_len, bytes.len());
        if buf.is_null() {
            return Ok(());
        }
        if cap < bytes.len() {
            return Err(Fail(
                OBJFORGE_ERR_BUFFER_TOO_SMALL,
                format!(
                    "object: {} bytes do not fit the {cap}-byte buffer",
                    bytes.len()
                ),
            ));
        }
        // SAFETY: `buf` has `cap` >= len writable bytes, and is not inside our own Vec.
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
        Ok(())
    })
}

/// Writes the object to the file at `path` (created or truncated). Nothing is created when
/// the model has an error.
///
/// # Safety
/// As the header says.
#[no_mangle]
pub unsafe extern "C" fn objforge_write_file(
    obj: *mut ObjforgeObject,
    path: *const c_char,
    err: *mut ObjforgeError,
) -> ObjforgeCode {
    guard(err, || {
        // SAFETY: as `object`, without dropping the kept bytes.
        let o = unsafe { obj.as_mut() }.ok_or_else(|| argument("object", "NULL object"))?;
        let path = text(path, &"path")?;
        let bytes = written(o)?;
        std::fs::write(path, bytes).map_err(|e| Fail(OBJFORGE_ERR_IO, format!("{path}: {e}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use objforge::SymbolDefinition;

    /// A new object for `triple`, which must succeed.
    fn new_object(triple: &CStr) -> *mut ObjforgeObject {
        let mut obj = std::ptr::null_mut();
        let code = unsafe { objforge_new(triple.as_ptr(), &mut obj, std::ptr::null_mut()) };
        assert_eq!(code, OBJFORGE_OK);
        obj
    }

    #[test]
    fn symbol_definition_is_copied() {
        let obj = new_object(c"x86_64-unknown-linux-gnu");
        let mut id = 0;
        let code = unsafe {
            objforge_add_symbol(
                obj,
                c"puts".as_ptr(),
                OBJFORGE_NONE,
                0,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                0,
                &mut id,
                std::ptr::null_mut(),
            )
        };
        assert_eq!((code, id), (OBJFORGE_OK, 0));
        let o = unsafe { &*obj };
        assert_eq!(o.obj.symbols[0].definition, SymbolDefinition::Undefined);
        unsafe { objforge_free(obj) };
    }

    #[test]
    fn local_entry_is_recorded_for_the_symbol() {
        let obj = new_object(c"powerpc64le-unknown-linux-gnu");
        let mut id = u32::MAX;
        let code = unsafe {
            objforge_add_symbol(
                obj,
                c"f".as_ptr(),
                OBJFORGE_NONE,
                0,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                0,
                &mut id,
                std::ptr::null_mut(),
            )
        };
        assert_eq!((code, id), (OBJFORGE_OK, 0));
        let code = unsafe { objforge_symbol_set_local_entry(obj, 0, 8, std::ptr::null_mut()) };
        assert_eq!(code, OBJFORGE_OK);
        let code = unsafe { objforge_symbol_set_local_entry(obj, 1, 8, std::ptr::null_mut()) };
        assert_ne!(code, OBJFORGE_OK, "no symbol 1");
        let o = unsafe { &*obj };
        assert_eq!(o.obj.local_entry(SymbolId(0)), 8);
        unsafe { objforge_free(obj) };
    }

    #[test]
    fn a_common_alignment_past_2_to_the_31_is_refused_with_its_place() {
        let obj = new_object(c"x86_64-unknown-linux-gnu");
        let mut id = u32::MAX;
        let mut err = ObjforgeError {
            code: 0,
            message: [0; OBJFORGE_MESSAGE_CAP],
        };
        let code =
            unsafe { objforge_add_common(obj, c"big".as_ptr(), 8, 1 << 32, &mut id, &mut err) };
        assert_ne!(code, OBJFORGE_OK);
        let message = unsafe { CStr::from_ptr(err.message.as_ptr()) };
        assert_eq!(
            message.to_str().unwrap(),
            "symbols[0].common.align: 4294967296 is over 2^31, the most objforge writes"
        );
        let code =
            unsafe { objforge_add_common(obj, c"ok".as_ptr(), 8, 1 << 31, &mut id, &mut err) };
        assert_eq!((code, id), (OBJFORGE_OK, 0));
        unsafe { objforge_free(obj) };
    }
}
