//! The (format, architecture) pairs under test, and what each format allows a valid model to
//! hold. A new writer joins every property, invalid-input and tool test by adding its line to
//! [`PROFILES`] (`Profile { format: Format::Wasm, ..Profile::DEFAULT }`, plus whatever rule of
//! its own differs from the default); a writable format without a line fails the tests with a
//! message that says so. Which architectures a format writes is found out by writing an empty
//! object, and which relocation kinds by [`objforge::supports`].

use objforge::{Architecture, Format, Object, RelocKind, Target, ALL_KINDS, WRITABLE_FORMATS};

/// Every architecture objforge knows, writable or not.
pub const ARCHITECTURES: &[Architecture] = &[
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

/// What a format lets a valid model hold, where it differs between formats.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// The format.
    pub format: Format,
    /// Section groups (`comdat`).
    pub comdat: bool,
    /// The `exclude` section flag.
    pub exclude: bool,
    /// The `merge` flag (fixed-size constants) with these entry sizes (empty: never).
    pub merge_entsizes: &'static [u64],
    /// The largest section alignment.
    pub max_align: u64,
    /// The largest common-symbol alignment.
    pub max_common_align: u32,
    /// How section names are spelled: [`Naming`].
    pub naming: Naming,
    /// `tls` symbols (in `tls_data`/`tls_bss` sections).
    pub tls_symbols: bool,
    /// `secrel32` needs its symbol in a non-allocated section (no section-relative type).
    pub secrel_needs_unallocated: bool,
    /// `diff*` needs the subtracted symbol in the field's section (no difference type), per
    /// architecture; otherwise it must be defined in the object.
    pub diff_minus_in_field_section: fn(Architecture) -> bool,
    /// The prefix the writer puts before C names when mangling.
    pub prefix: fn(Architecture) -> &'static str,
    /// The fewest sections a COMDAT group holds (`eu-elflint --strict` warns about an ELF
    /// group of one).
    pub group_min_members: usize,
    /// `retain` on a zero-fill section (Mach-O has no form LLVM's tools read).
    pub retain_zero_fill: bool,
    /// Relocations in debug sections may name symbols in debug sections (Mach-O: no
    /// relocation names one; DWARF offsets there are `secrel32` values).
    pub debug_targets: bool,
    /// `abs32` only against local symbols: a 64-bit Mach-O image lies above 4 GiB, and a
    /// dylib binds its globals at run time.
    pub abs32_local_only: bool,
    /// Common symbols (Wasm has none: a tentative definition is a bss segment).
    pub common_symbols: bool,
}

/// How a format spells section names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// ELF style: `.text.N`, `.data.N`, ...
    Elf,
    /// Mach-O `__SEGMENT,__section`, at most 16 bytes each.
    MachO,
    /// COFF: `.text$N` (grouped sections), long names in the string table.
    Coff,
}

impl Profile {
    /// The most permissive rules, ELF's: a new format starts from these.
    pub const DEFAULT: Profile = Profile {
        format: Format::Elf,
        comdat: true,
        exclude: true,
        merge_entsizes: &[4, 8],
        max_align: 1 << 12,
        max_common_align: 1 << 12,
        naming: Naming::Elf,
        tls_symbols: true,
        secrel_needs_unallocated: true,
        diff_minus_in_field_section: |arch| arch != Architecture::Riscv64,
        prefix: |_| "",
        group_min_members: 2,
        retain_zero_fill: true,
        debug_targets: true,
        abs32_local_only: false,
        common_symbols: true,
    };
}

/// One line per writable format.
pub const PROFILES: &[Profile] = &[
    Profile::DEFAULT,
    Profile {
        format: Format::MachO,
        comdat: false,
        exclude: false,
        merge_entsizes: &[4, 8, 16],
        max_align: 1 << 12,
        max_common_align: 1 << 12,
        naming: Naming::MachO,
        tls_symbols: false,
        secrel_needs_unallocated: true,
        diff_minus_in_field_section: |_| false,
        prefix: |_| "_",
        group_min_members: 1,
        retain_zero_fill: false,
        debug_targets: false,
        abs32_local_only: true,
        common_symbols: true,
    },
    Profile {
        format: Format::Coff,
        merge_entsizes: &[],
        naming: Naming::Coff,
        // lld-link drops an `exclude` (LNK_REMOVE) section, and with it the COMDATs that follow
        // it and the symbols in it: a generated object would refer to them.
        exclude: false,
        secrel_needs_unallocated: false,
        diff_minus_in_field_section: |_| true,
        prefix: |arch| if arch == Architecture::I386 { "_" } else { "" },
        group_min_members: 1,
        ..Profile::DEFAULT
    },
    // Wasm models have a generator of their own (`valid::wasm`): functions, imports, globals
    // and tables in `Object::wasm`, code that validates, and the `wasm_*` kinds in the
    // instructions and words that take them. Of these rules only the shared ones apply.
    Profile {
        format: Format::Wasm,
        // Segments merge only strings (`WASM_SEG_FLAG_STRINGS`); nothing is excluded.
        merge_entsizes: &[],
        exclude: false,
        common_symbols: false,
        // A COMDAT may hold any function, segment or custom section, one or more.
        group_min_members: 1,
        ..Profile::DEFAULT
    },
];

/// Writable formats whose models have parts of their own that [`crate::valid`] does not
/// generate yet, with what is missing. They are fuzzed (the raw builder and the JSON front
/// end reach them) but get no property tests until their line moves to [`PROFILES`].
pub const PENDING: &[(Format, &str)] = &[];

/// The profile of `format`, if it has a line in [`PROFILES`].
pub fn profile(format: Format) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.format == format)
}

/// One (format, architecture) under test.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// The architecture.
    pub arch: Architecture,
    /// The format's rules.
    pub profile: &'static Profile,
}

impl Case {
    /// The format.
    pub fn format(&self) -> Format {
        self.profile.format
    }

    /// A target for this pair, with the platform's defaults.
    pub fn target(&self) -> Target {
        Target::new(self.arch, self.profile.format)
    }

    /// The portable kinds this pair can express, but `x86_dtpoff64`: eu-elflint, the kit's
    /// oracle, calls `R_X86_64_DTPOFF64` invalid in a relocatable object (clang's own `-g`
    /// objects included, whose DWARF locates thread-locals with it), so a model using it
    /// could not be checked; nor, on 32-bit Arm, `abs8` and `abs16`, which ld.lld 19 does
    /// not implement (`R_ARM_ABS8`/`R_ARM_ABS16`: "unknown relocation"), so `ld.lld -r`
    /// would refuse the object (the CLI's elf_arm.rs links them with GNU ld).
    pub fn kinds(&self) -> Vec<RelocKind> {
        let lld_lacks = |k: RelocKind| {
            self.arch == objforge::Architecture::Arm
                && matches!(k, RelocKind::Abs8 | RelocKind::Abs16)
        };
        ALL_KINDS
            .iter()
            .copied()
            .filter(|&k| objforge::supports(self.profile.format, self.arch, k))
            .filter(|&k| k != RelocKind::X86Dtpoff64 && !lld_lacks(k))
            .collect()
    }

    /// `format/arch`, for messages and file names.
    pub fn label(&self) -> String {
        format!("{}-{}", self.profile.format, self.arch)
    }
}

/// Every writable (format, architecture): [`WRITABLE_FORMATS`] × [`ARCHITECTURES`], where an
/// empty object writes. Panics, naming the format, when a writable format has no profile.
pub fn writable() -> Vec<Case> {
    let mut cases = Vec::new();
    for &format in WRITABLE_FORMATS {
        if PENDING.iter().any(|(f, _)| *f == format) {
            continue;
        }
        let Some(profile) = profile(format) else {
            panic!(
                "objforge writes {format}, and objforge-testkit has no profile for it: add its line to PROFILES (or, with the reason, PENDING) in crates/objforge-testkit/src/targets.rs"
            );
        };
        for &arch in ARCHITECTURES {
            if Object::new(Target::new(arch, format)).write().is_ok() {
                cases.push(Case { arch, profile });
            }
        }
    }
    cases
}
