//! Apple platforms and OS versions: what a Mach-O object's `LC_BUILD_VERSION` records, and
//! how an LLVM triple such as `arm64-apple-ios17.0-simulator` names them.

use std::fmt;

use crate::dwarf::DwarfVersion;
use crate::{Format, Object};

/// An Apple operating system, or its simulator, as `LC_BUILD_VERSION` tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AppleOs {
    /// macOS.
    MacOs,
    /// iOS and iPadOS devices.
    Ios,
    /// The iOS simulator (runs on a Mac).
    IosSimulator,
    /// tvOS devices.
    TvOs,
    /// The tvOS simulator.
    TvOsSimulator,
    /// watchOS devices.
    WatchOs,
    /// The watchOS simulator.
    WatchOsSimulator,
    /// visionOS devices (`xros` in LLVM and in the linker's spelling).
    VisionOs,
    /// The visionOS simulator.
    VisionOsSimulator,
    /// iOS apps built for macOS (Mac Catalyst).
    MacCatalyst,
    /// DriverKit drivers.
    DriverKit,
}

impl AppleOs {
    /// Every OS, in the order the names are listed in messages.
    pub const ALL: &'static [AppleOs] = &[
        AppleOs::MacOs,
        AppleOs::Ios,
        AppleOs::IosSimulator,
        AppleOs::TvOs,
        AppleOs::TvOsSimulator,
        AppleOs::WatchOs,
        AppleOs::WatchOsSimulator,
        AppleOs::VisionOs,
        AppleOs::VisionOsSimulator,
        AppleOs::MacCatalyst,
        AppleOs::DriverKit,
    ];

    /// Its name, which is also the linker's `-platform_version` spelling:
    /// `macos`, `ios`, `ios-simulator`, ..., `visionos`, `mac-catalyst`, `driverkit`.
    pub fn name(self) -> &'static str {
        match self {
            AppleOs::MacOs => "macos",
            AppleOs::Ios => "ios",
            AppleOs::IosSimulator => "ios-simulator",
            AppleOs::TvOs => "tvos",
            AppleOs::TvOsSimulator => "tvos-simulator",
            AppleOs::WatchOs => "watchos",
            AppleOs::WatchOsSimulator => "watchos-simulator",
            AppleOs::VisionOs => "visionos",
            AppleOs::VisionOsSimulator => "visionos-simulator",
            AppleOs::MacCatalyst => "mac-catalyst",
            AppleOs::DriverKit => "driverkit",
        }
    }

    /// Parses [`AppleOs::name`], and the other spellings in use: `xros`, `xros-simulator`,
    /// `macosx`, `maccatalyst`.
    pub fn from_name(name: &str) -> Option<AppleOs> {
        Some(match name {
            "xros" => AppleOs::VisionOs,
            "xros-simulator" => AppleOs::VisionOsSimulator,
            "macosx" => AppleOs::MacOs,
            "maccatalyst" => AppleOs::MacCatalyst,
            _ => return AppleOs::ALL.iter().copied().find(|os| os.name() == name),
        })
    }

    /// The device OS of a simulator, or `self`.
    pub fn device(self) -> AppleOs {
        match self {
            AppleOs::IosSimulator => AppleOs::Ios,
            AppleOs::TvOsSimulator => AppleOs::TvOs,
            AppleOs::WatchOsSimulator => AppleOs::WatchOs,
            AppleOs::VisionOsSimulator => AppleOs::VisionOs,
            other => other,
        }
    }

    /// The simulator of a device OS; `None` for macOS, Mac Catalyst and DriverKit.
    pub fn simulator(self) -> Option<AppleOs> {
        Some(match self.device() {
            AppleOs::Ios => AppleOs::IosSimulator,
            AppleOs::TvOs => AppleOs::TvOsSimulator,
            AppleOs::WatchOs => AppleOs::WatchOsSimulator,
            AppleOs::VisionOs => AppleOs::VisionOsSimulator,
            _ => return None,
        })
    }

    /// The minimum version objforge records when none is given: the first release that
    /// runs arm64 code of that kind (macOS 11, iOS 14, ...).
    pub fn default_min(self) -> Version {
        match self.device() {
            AppleOs::MacOs => Version::new(11, 0, 0),
            AppleOs::Ios | AppleOs::TvOs | AppleOs::MacCatalyst => Version::new(14, 0, 0),
            AppleOs::WatchOs => Version::new(7, 0, 0),
            AppleOs::VisionOs => Version::new(1, 0, 0),
            AppleOs::DriverKit => Version::new(20, 0, 0),
            // `device()` maps every simulator to its device OS.
            _ => Version::new(11, 0, 0),
        }
    }
}

impl fmt::Display for AppleOs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An OS version `major.minor.patch`, as Mach-O packs it into 32 bits (`xxxx.yy.zz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major version, 0 to 65535.
    pub major: u16,
    /// Minor version, 0 to 255.
    pub minor: u8,
    /// Patch version, 0 to 255.
    pub patch: u8,
}

impl Version {
    /// `major.minor.patch`.
    pub const fn new(major: u16, minor: u8, patch: u8) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `11`, `11.0` or `10.15.4`; `None` if it is not that shape or a part is too big
    /// for Mach-O (major over 65535, minor or patch over 255).
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.split('.');
        let number = |part: Option<&str>| -> Option<u32> {
            match part {
                None => Some(0),
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok(),
                Some(_) => None,
            }
        };
        let major = number(Some(parts.next()?))?;
        let minor = number(parts.next())?;
        let patch = number(parts.next())?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version::new(
            u16::try_from(major).ok()?,
            u8::try_from(minor).ok()?,
            u8::try_from(patch).ok()?,
        ))
    }

    /// The 32-bit form Mach-O stores: major in the high 16 bits, then minor, then patch.
    pub fn packed(self) -> u32 {
        (u32::from(self.major) << 16) | (u32::from(self.minor) << 8) | u32::from(self.patch)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

/// The platform a Mach-O object is built for: the OS, the oldest version it runs on, and the
/// SDK it was built against (`options.platform` in a JSON spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Platform {
    /// The OS (or simulator).
    pub os: AppleOs,
    /// The minimum OS version.
    pub min: Version,
    /// The SDK version.
    pub sdk: Version,
}

impl Platform {
    /// `os` from version `min`, built against the SDK of the same version.
    pub fn new(os: AppleOs, min: Version) -> Platform {
        Platform { os, min, sdk: min }
    }

    /// The platform an LLVM-style triple names: `arm64-apple-macos11`, `x86_64-apple-macosx10.15`,
    /// `arm64-apple-ios17.0`, `arm64-apple-ios17.0-simulator`, `arm64-apple-xros1.0`,
    /// `x86_64-apple-ios14.0-macabi`, `arm64-apple-darwin`. Without a version in the triple the
    /// OS's [`AppleOs::default_min`] is used. `None` when the triple names no Apple OS.
    ///
    /// ```
    /// use objforge::{AppleOs, Platform, Version};
    /// let p = Platform::from_triple("arm64-apple-ios17.0-simulator").unwrap();
    /// assert_eq!((p.os, p.min), (AppleOs::IosSimulator, Version::new(17, 0, 0)));
    /// assert_eq!(Platform::from_triple("x86_64-unknown-linux-gnu"), None);
    /// ```
    pub fn from_triple(triple: &str) -> Option<Platform> {
        const OS_NAMES: &[(&str, AppleOs)] = &[
            ("macosx", AppleOs::MacOs),
            ("macos", AppleOs::MacOs),
            ("darwin", AppleOs::MacOs),
            ("ios", AppleOs::Ios),
            ("tvos", AppleOs::TvOs),
            ("watchos", AppleOs::WatchOs),
            ("xros", AppleOs::VisionOs),
            ("visionos", AppleOs::VisionOs),
            ("driverkit", AppleOs::DriverKit),
        ];
        let parts: Vec<&str> = triple.split('-').collect();
        let rest = parts.get(1..).unwrap_or(&[]);
        let found = rest.iter().enumerate().find_map(|(i, part)| {
            OS_NAMES
                .iter()
                .find(|(name, _)| part.starts_with(name))
                .map(|&(name, os)| (i, name, os, &part[name.len()..]))
        });
        let (at, name, mut os, version) = match found {
            Some(f) => f,
            None if rest.first() == Some(&"apple") => (0, "", AppleOs::MacOs, ""),
            None => return None,
        };
        let env = rest.get(at + 1).copied().unwrap_or("");
        if env.starts_with("simulator") {
            os = os.simulator().unwrap_or(os);
        } else if env.starts_with("macabi") && os == AppleOs::Ios {
            os = AppleOs::MacCatalyst;
        }
        // A Darwin kernel version is not an OS version; the default stands in for it.
        let min = if name == "darwin" {
            None
        } else {
            Version::parse(version)
        };
        Some(Platform::new(os, min.unwrap_or(os.default_min())))
    }
}

impl Default for Platform {
    /// macOS 11.0, SDK 11.0.
    fn default() -> Platform {
        Platform::new(AppleOs::MacOs, AppleOs::MacOs.default_min())
    }
}

impl Platform {
    /// The DWARF version clang-19 writes by default for this platform: 4 below macOS 15,
    /// iOS/tvOS 18, watchOS 11, visionOS 2 and DriverKit 24 (their simulators alike) and for
    /// Mac Catalyst; 5 from those versions on. Go 1.19's `debug/macho` reads only DWARF 4.
    ///
    /// ```
    /// use objforge::{dwarf::DwarfVersion, Platform};
    /// let v = |t| Platform::from_triple(t).unwrap().default_dwarf_version();
    /// assert_eq!(v("arm64-apple-macos14"), DwarfVersion::V4);
    /// assert_eq!(v("arm64-apple-macos15"), DwarfVersion::V5);
    /// assert_eq!(v("arm64-apple-ios18.0-simulator"), DwarfVersion::V5);
    /// ```
    pub fn default_dwarf_version(self) -> DwarfVersion {
        let first_with_5 = match self.os.device() {
            AppleOs::MacOs => 15,
            AppleOs::Ios | AppleOs::TvOs => 18,
            AppleOs::WatchOs => 11,
            AppleOs::VisionOs => 2,
            AppleOs::DriverKit => 24,
            _ => return DwarfVersion::V4,
        };
        if self.min.major < first_with_5 {
            DwarfVersion::V4
        } else {
            DwarfVersion::V5
        }
    }
}

impl Object {
    /// The DWARF version the platform's own compiler writes for this object by default:
    /// Mach-O follows [`Platform::default_dwarf_version`] (of `options.platform`, macOS 11 if
    /// unset), every other format DWARF 5. [`DebugInfo::new`](crate::dwarf::DebugInfo::new)
    /// starts at DWARF 5; the CLI and the C ABI use this default when no version is given.
    pub fn default_dwarf_version(&self) -> DwarfVersion {
        match self.target.format {
            Format::MachO => self
                .options
                .platform
                .unwrap_or_default()
                .default_dwarf_version(),
            _ => DwarfVersion::V5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(Version::parse("11"), Some(Version::new(11, 0, 0)));
        assert_eq!(Version::parse("10.15.4"), Some(Version::new(10, 15, 4)));
        assert_eq!(
            Version::parse("10.15.4").map(Version::packed),
            Some(0x000a_0f04)
        );
        for bad in [
            "", "1.", ".1", "1.2.3.4", "x", "1.256", "65536.0", "-1.0", "+1",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert_eq!(Version::new(17, 0, 0).to_string(), "17.0");
    }

    #[test]
    fn triples() {
        let p = |t| Platform::from_triple(t).map(|p| (p.os, p.min.to_string()));
        assert_eq!(
            p("arm64-apple-macos11"),
            Some((AppleOs::MacOs, "11.0".into()))
        );
        assert_eq!(
            p("x86_64-apple-macosx10.15.4"),
            Some((AppleOs::MacOs, "10.15.4".into()))
        );
        assert_eq!(
            p("arm64-apple-darwin23"),
            Some((AppleOs::MacOs, "11.0".into()))
        );
        assert_eq!(
            p("aarch64-apple-darwin"),
            Some((AppleOs::MacOs, "11.0".into()))
        );
        assert_eq!(
            p("arm64-apple-ios17.0"),
            Some((AppleOs::Ios, "17.0".into()))
        );
        assert_eq!(
            p("arm64-apple-ios17.0-simulator"),
            Some((AppleOs::IosSimulator, "17.0".into()))
        );
        assert_eq!(
            p("x86_64-apple-ios14.0-macabi"),
            Some((AppleOs::MacCatalyst, "14.0".into()))
        );
        assert_eq!(p("arm64-apple-tvos"), Some((AppleOs::TvOs, "14.0".into())));
        assert_eq!(
            p("arm64-apple-watchos10-simulator"),
            Some((AppleOs::WatchOsSimulator, "10.0".into()))
        );
        assert_eq!(
            p("arm64-apple-xros1.0"),
            Some((AppleOs::VisionOs, "1.0".into()))
        );
        assert_eq!(p("arm64-apple"), Some((AppleOs::MacOs, "11.0".into())));
        assert_eq!(p("aarch64-unknown-linux-gnu"), None);
        assert_eq!(p("x86_64-pc-windows-msvc"), None);
    }

    #[test]
    fn names() {
        for &os in AppleOs::ALL {
            assert_eq!(AppleOs::from_name(os.name()), Some(os));
        }
        assert_eq!(AppleOs::from_name("xros"), Some(AppleOs::VisionOs));
        assert_eq!(AppleOs::from_name("linux"), None);
    }

    /// What `clang-19 -target T -g -c` writes (checked with llvm-dwarfdump-19).
    #[test]
    fn dwarf_defaults_follow_clang() {
        let cases = [
            ("arm64-apple-macos14", 4),
            ("arm64-apple-macos15", 5),
            ("x86_64-apple-macos10.15", 4),
            ("arm64-apple-darwin", 4),
            ("arm64-apple-ios17", 4),
            ("arm64-apple-ios18", 5),
            ("arm64-apple-ios17-simulator", 4),
            ("arm64-apple-ios18-simulator", 5),
            ("arm64-apple-tvos17", 4),
            ("arm64-apple-tvos18", 5),
            ("arm64-apple-watchos10", 4),
            ("arm64-apple-watchos11", 5),
            ("arm64-apple-xros1", 4),
            ("arm64-apple-xros2", 5),
            ("arm64-apple-driverkit23", 4),
            ("arm64-apple-driverkit24", 5),
            ("x86_64-apple-ios18-macabi", 4),
        ];
        for (triple, version) in cases {
            let p = Platform::from_triple(triple).unwrap();
            assert_eq!(p.default_dwarf_version().number(), version, "{triple}");
            let mut obj = Object::new(crate::Target::from_triple(triple).unwrap());
            obj.options.platform = Some(p);
            assert_eq!(obj.default_dwarf_version().number(), version, "{triple}");
        }
        let elf = Object::new(crate::Target::from_triple("aarch64-unknown-linux-gnu").unwrap());
        assert_eq!(elf.default_dwarf_version(), DwarfVersion::V5);
    }
}
