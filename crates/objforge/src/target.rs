//! What an object is for: architecture, container format, byte order, pointer width.

use std::fmt;

use crate::error::{Error, Place};

/// An instruction-set architecture objforge knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Architecture {
    /// AMD64 / Intel 64.
    X86_64,
    /// 32-bit x86 (i386 .. i686).
    I386,
    /// 64-bit Arm (AArch64, `arm64` in Apple's spelling).
    Aarch64,
    /// 64-bit RISC-V.
    Riscv64,
    /// IBM Z (z/Architecture, `s390x`): 64-bit and big-endian.
    S390x,
    /// 64-bit little-endian PowerPC, ELFv2 ABI (`powerpc64le`).
    Ppc64le,
    /// 32-bit Arm (AArch32: Arm and Thumb-2 code, EABI version 5), little-endian; ELF only,
    /// with REL relocations. A Thumb function's symbol has bit 0 of its offset set, as its
    /// ELF value does (docs/relocations.md, "32-bit Arm").
    Arm,
    /// WebAssembly with 32-bit linear memory addresses.
    Wasm32,
    /// WebAssembly with 64-bit linear memory addresses (the memory64 proposal).
    Wasm64,
}

impl Architecture {
    /// Every architecture, in the order docs/spec.md lists them.
    pub const ALL: &'static [Architecture] = &[
        Architecture::X86_64,
        Architecture::I386,
        Architecture::Aarch64,
        Architecture::Riscv64,
        Architecture::Ppc64le,
        Architecture::Arm,
        Architecture::Wasm32,
        Architecture::Wasm64,
        Architecture::S390x,
    ];

    /// Width of an address in bytes.
    pub fn pointer_width(self) -> u8 {
        match self {
            Architecture::I386 | Architecture::Arm | Architecture::Wasm32 => 4,
            Architecture::X86_64
            | Architecture::Aarch64
            | Architecture::Riscv64
            | Architecture::S390x
            | Architecture::Ppc64le
            | Architecture::Wasm64 => 8,
        }
    }

    /// The name objforge prints for it (`x86_64`, `i386`, `aarch64`, `riscv64`, `arm`,
    /// `ppc64le`, `s390x`, `wasm32`, `wasm64`).
    pub fn name(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::I386 => "i386",
            Architecture::Aarch64 => "aarch64",
            Architecture::Riscv64 => "riscv64",
            Architecture::S390x => "s390x",
            Architecture::Ppc64le => "ppc64le",
            Architecture::Arm => "arm",
            Architecture::Wasm32 => "wasm32",
            Architecture::Wasm64 => "wasm64",
        }
    }

    /// The byte order of its objects: big-endian for s390x, little-endian for the others.
    pub fn endianness(self) -> Endianness {
        match self {
            Architecture::S390x => Endianness::Big,
            _ => Endianness::Little,
        }
    }

    /// Whether this is a WebAssembly architecture (written only as [`Format::Wasm`]).
    pub fn is_wasm(self) -> bool {
        matches!(self, Architecture::Wasm32 | Architecture::Wasm64)
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A container format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// ELF (Linux, the BSDs).
    Elf,
    /// Mach-O (Apple platforms).
    MachO,
    /// COFF (Windows).
    Coff,
    /// WebAssembly objects.
    Wasm,
}

impl Format {
    /// Every format, in the order docs/spec.md lists them.
    pub const ALL: &'static [Format] = &[Format::Elf, Format::MachO, Format::Coff, Format::Wasm];

    /// Its name: `elf`, `macho`, `coff`, `wasm`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Elf => "elf",
            Format::MachO => "macho",
            Format::Coff => "coff",
            Format::Wasm => "wasm",
        }
    }

    /// Parses a name [`Self::name`] gives.
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "elf" => Format::Elf,
            "macho" => Format::MachO,
            "coff" => Format::Coff,
            "wasm" => Format::Wasm,
            _ => return None,
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Byte order of the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endianness {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// The floating-point calling convention, recorded in ELF `e_flags`: RISC-V's
/// `EF_RISCV_FLOAT_ABI_*`; on Arm, [`FloatAbi::Double`] is the hard-float ABI
/// (`EF_ARM_ABI_FLOAT_HARD`, `arm-linux-gnueabihf`) and [`FloatAbi::Soft`] the soft-float one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FloatAbi {
    /// Floats passed in integer registers (`lp64`, `ilp32`, `soft`).
    Soft,
    /// Single-precision floats in FP registers (`lp64f`).
    Single,
    /// Double-precision floats in FP registers (`lp64d`, `hard`).
    Double,
}

impl FloatAbi {
    /// Parses a name (`lp64d`, `lp64f`, `lp64`, `ilp32d`, `hard`, `soft` ...).
    pub fn from_name(name: &str) -> Option<FloatAbi> {
        Some(match name {
            "lp64" | "ilp32" | "soft" => FloatAbi::Soft,
            "lp64f" | "ilp32f" => FloatAbi::Single,
            "lp64d" | "ilp32d" | "hard" => FloatAbi::Double,
            _ => return None,
        })
    }
}

/// Everything the writer needs to know about where the object will run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The instruction set.
    pub arch: Architecture,
    /// The container format.
    pub format: Format,
    /// Byte order.
    pub endianness: Endianness,
    /// RISC-V: whether the compressed ("C") extension is in use (sets `EF_RISCV_RVC`).
    pub riscv_compressed: bool,
    /// The float ABI: RISC-V `EF_RISCV_FLOAT_ABI_*`; Arm `EF_ARM_ABI_FLOAT_HARD` (`Double`)
    /// or `EF_ARM_ABI_FLOAT_SOFT` (`Soft`).
    pub float_abi: FloatAbi,
}

impl Target {
    /// A target for `arch` in `format`, in the architecture's byte order
    /// ([`Architecture::endianness`]), with the platform's usual defaults.
    pub fn new(arch: Architecture, format: Format) -> Target {
        Target {
            arch,
            format,
            endianness: arch.endianness(),
            riscv_compressed: arch == Architecture::Riscv64,
            float_abi: if matches!(arch, Architecture::Riscv64 | Architecture::Arm) {
                FloatAbi::Double
            } else {
                FloatAbi::Soft
            },
        }
    }

    /// Parses an LLVM-style triple such as `x86_64-unknown-linux-gnu`, `aarch64-apple-macos`,
    /// `riscv64gc-unknown-linux-gnu`, `i686-pc-windows-msvc`, `arm-linux-gnueabihf`,
    /// `thumbv7-unknown-linux-gnueabihf` or `wasm32-unknown-unknown` (every
    /// `wasm32-*`/`wasm64-*` triple, `wasm32-wasi` included, is [`Format::Wasm`]). An Arm
    /// triple's environment picks the float ABI: `*eabihf` hard ([`FloatAbi::Double`]), any
    /// other `*eabi*` soft; without one, hard.
    ///
    /// ```
    /// use objforge::{Architecture, Format, Target};
    /// let t = Target::from_triple("riscv64gc-unknown-linux-gnu").unwrap();
    /// assert_eq!((t.arch, t.format), (Architecture::Riscv64, Format::Elf));
    /// ```
    pub fn from_triple(triple: &str) -> Result<Target, Error> {
        let bad = |why: String| Error::Invalid {
            place: Place::Target,
            message: why,
        };
        let mut parts = triple.split('-');
        let arch_part = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        let arch = match arch_part {
            "x86_64" | "amd64" | "x86_64h" => Architecture::X86_64,
            "i386" | "i486" | "i586" | "i686" | "x86" => Architecture::I386,
            "aarch64" | "arm64" => Architecture::Aarch64,
            a if a.starts_with("riscv64") => Architecture::Riscv64,
            "s390x" | "systemz" => Architecture::S390x,
            "powerpc64le" | "ppc64le" => Architecture::Ppc64le,
            // `arm`, `armv7`, `armv7a`, `armv7l`, `armv6`, `thumbv7` ... (little-endian only:
            // `armeb`/`thumbeb` are refused below as unknown).
            a if (a.starts_with("arm") && !a.starts_with("armeb") && a != "arm64")
                || (a.starts_with("thumb") && !a.starts_with("thumbeb")) =>
            {
                Architecture::Arm
            }
            "wasm32" => Architecture::Wasm32,
            "wasm64" => Architecture::Wasm64,
            "" => return Err(bad("the triple is empty".into())),
            other => {
                return Err(bad(format!(
                    "unknown architecture `{other}` in `{triple}` (known: x86_64, i386..i686, aarch64/arm64, arm/thumb, riscv64, powerpc64le, s390x, wasm32, wasm64)"
                )))
            }
        };
        if arch.is_wasm() {
            return Ok(Target::new(arch, Format::Wasm));
        }
        let has = |word: &str| rest.iter().any(|p| p.starts_with(word));
        let format = if has("windows") || has("win32") || has("uefi") {
            Format::Coff
        } else if has("apple")
            || has("macos")
            || has("darwin")
            || has("ios")
            || has("tvos")
            || has("watchos")
            || has("visionos")
            || has("xros")
        {
            Format::MachO
        } else {
            Format::Elf
        };
        let mut target = Target::new(arch, format);
        if arch == Architecture::Riscv64 {
            // `riscv64gc` and `riscv64imac` carry C; a bare `riscv64` in LLVM means the default
            // `gc` profile for Linux.
            let ext = &arch_part["riscv64".len()..];
            target.riscv_compressed = ext.is_empty() || ext.contains('c');
            if !(ext.is_empty() || ext.contains('g') || ext.contains('d')) {
                target.float_abi = FloatAbi::Soft;
            }
        }
        if arch == Architecture::Arm {
            let soft = rest
                .iter()
                .any(|p| p.contains("eabi") && !p.contains("eabihf"));
            if soft {
                target.float_abi = FloatAbi::Soft;
            }
        }
        Ok(target)
    }
}
