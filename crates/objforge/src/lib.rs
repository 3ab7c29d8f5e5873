//! objforge turns a compiler backend's output — code and data bytes, symbols, relocations —
//! into a relocatable object file the platform's linker accepts.
//!
//! Build an [`Object`] for a [`Target`], add [`Section`]s, [`Symbol`]s and [`Relocation`]s
//! with portable [`RelocKind`]s, then call [`Object::write`]. The model is format-neutral; the
//! writer maps each relocation to the format's own type, or returns an [`Error`] naming the
//! relocation when the format cannot express it.
//!
//! Debug information: record source lines and functions in a [`dwarf::DebugInfo`] while
//! emitting code, then [`Object::add_debug_info`] adds them as DWARF sections.
//!
//! Unwind information: describe each function's call-frame rules in the assemblers' `.cfi_*`
//! vocabulary (Windows: `.seh_*`) with [`Object::add_unwind`]; ELF objects get `.eh_frame`,
//! COFF x86_64 objects `.pdata`/`.xdata` (see [`unwind`]).
//!
//! Formats: ELF (x86_64, i386, aarch64, riscv64, big-endian s390x), Mach-O (x86_64, arm64), COFF (x86_64, i386,
//! arm64) and WebAssembly (wasm32, wasm64: relocatable objects for `wasm-ld`, or plain
//! modules; see [`wasm`]).
#![deny(missing_docs)]

mod arch;
mod coff;
mod crc;
pub mod dwarf;
mod elf;
mod emit;
mod error;
mod groups;
mod hash;
mod leb128;
mod limits;
mod macho;
mod model;
mod names;
mod out;
mod parallel;
mod platform;
mod reloc;
mod strtab;
mod target;
pub mod unwind;
mod validate;
pub mod wasm;
mod write;

pub use error::{clip_values, Error, Place, QUOTED_VALUE_CHARS};
pub use model::{
    Binding, ComdatSelection, Name, Object, Options, Relocation, RelocationId, Section,
    SectionData, SectionFlags, SectionId, SectionKind, Symbol, SymbolDefinition, SymbolId,
    SymbolKind, Visibility,
};
pub use platform::{AppleOs, Platform, Version};
pub use reloc::{FieldShape, NativeReloc, Reach, RelocKind, ALL_KINDS};
pub use target::{Architecture, Endianness, FloatAbi, Format, Target};
pub use validate::MAX_NAME_LEN;

/// Whether `format` on `arch` can express `kind` at all (some kinds also depend on where
/// their symbols are; the writer checks that).
pub fn supports(format: Format, arch: Architecture, kind: RelocKind) -> bool {
    match format {
        Format::Elf => elf::supports(arch, kind),
        Format::MachO => macho::supports(arch, kind),
        Format::Coff => coff::supports(arch, kind),
        Format::Wasm => wasm::supports(arch, kind),
    }
}

/// The `.ARM.attributes` contents the ELF writer adds to a 32-bit Arm object that has no
/// section of that name (`Tag_ABI_VFP_args` as the target's float ABI says); `None` for every
/// other target, which gets no attributes it was not given. A reader that wants to tell a
/// backend's attributes from the writer's compares with this.
///
/// ```
/// use objforge::{Architecture, Format, Target};
/// let arm = Target::from_triple("arm-linux-gnueabihf").unwrap();
/// assert_eq!(objforge::default_attributes(&arm).map(|a| a[0]), Some(b'A'));
/// assert_eq!(objforge::default_attributes(&Target::new(Architecture::X86_64, Format::Elf)), None);
/// ```
pub fn default_attributes(target: &Target) -> Option<Vec<u8>> {
    (target.format == Format::Elf && target.arch == Architecture::Arm)
        .then(|| arch::arm::default_attributes(target.float_abi != FloatAbi::Soft))
}

/// Formats this build can write.
pub const WRITABLE_FORMATS: &[Format] = &[Format::Elf, Format::MachO, Format::Coff, Format::Wasm];

/// The README's example, compiled and run as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
