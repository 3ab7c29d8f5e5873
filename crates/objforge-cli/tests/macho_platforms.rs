//! LC_BUILD_VERSION: the arm64 program built for every Apple platform objforge knows, from the
//! triple and from `options.platform`, shown by `llvm-readobj-19 --macho-version-min`; the iOS
//! and iOS-simulator objects link for their platform (and a macOS object does not).

mod common;
mod macho_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use macho_support::{Image, Isa, Spec};
use serde_json::json;

/// The arm64 program's spec with `target` and `options`, built (and checked) as `dir/NAME.o`.
fn build_for(dir: &Path, name: &str, target: &str, options: Option<serde_json::Value>) -> PathBuf {
    let spec = Spec::load(&common::fixture("macho/arm64_program.json"));
    let path = spec.retarget(target, options, &dir.join(format!("{name}.json")));
    let obj = dir.join(format!("{name}.o"));
    macho_support::build_checked(&path, &obj);
    obj
}

/// (platform, min, sdk) as `llvm-readobj-19 --macho-version-min` prints them.
fn build_version(obj: &Path) -> (String, String, String) {
    let text = common::run_ok(
        Command::new("llvm-readobj-19")
            .arg("--macho-version-min")
            .arg(obj),
    );
    assert!(text.contains("Cmd: LC_BUILD_VERSION"), "{text}");
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
            .trim()
            .to_string()
    };
    (field("Platform:"), field("Version:"), field("SDK:"))
}

#[test]
fn build_version_follows_the_triple_and_options() {
    let dir = common::scratch("macho_platforms");
    let cases: &[(&str, Option<serde_json::Value>, [&str; 3])] = &[
        ("arm64-apple-macos", None, ["macos", "11.0", "11.0"]),
        ("arm64-apple-macos13.1", None, ["macos", "13.1", "13.1"]),
        (
            "arm64-apple-darwin",
            Some(json!({"platform": {"min": "12.0", "sdk": "14.0"}})),
            ["macos", "12.0", "14.0"],
        ),
        ("arm64-apple-ios17.0", None, ["ios", "17.0", "17.0"]),
        (
            "arm64-apple-ios17.0-simulator",
            None,
            ["iossimulator", "17.0", "17.0"],
        ),
        ("arm64-apple-tvos17.0", None, ["tvos", "17.0", "17.0"]),
        (
            "arm64-apple-tvos17.0-simulator",
            None,
            ["tvossimulator", "17.0", "17.0"],
        ),
        ("arm64-apple-watchos10.0", None, ["watchos", "10.0", "10.0"]),
        (
            "arm64-apple-watchos10.0-simulator",
            None,
            ["watchossimulator", "10.0", "10.0"],
        ),
        ("arm64-apple-xros1.0", None, ["xros", "1.0", "1.0"]),
        (
            "arm64-apple-xros1.0-simulator",
            None,
            ["xrsimulator", "1.0", "1.0"],
        ),
        (
            "arm64-apple-ios14.0-macabi",
            None,
            ["macCatalyst", "14.0", "14.0"],
        ),
        // `options.platform` overrides the triple; a missing min is the OS's default.
        (
            "arm64-apple-macos",
            Some(json!({"platform": {"os": "ios", "min": "16.4", "sdk": "17.2"}})),
            ["ios", "16.4", "17.2"],
        ),
        (
            "arm64-apple-macos",
            Some(json!({"platform": {"os": "visionos-simulator", "sdk": "2.0.1"}})),
            ["xrsimulator", "1.0", "2.0.1"],
        ),
        (
            "arm64-apple-macos",
            Some(json!({"platform": {"os": "driverkit", "min": "21.0"}})),
            ["driverkit", "21.0", "21.0"],
        ),
        (
            "arm64-apple-macosx10.15.4",
            None,
            ["macos", "10.15.4", "10.15.4"],
        ),
    ];
    for (i, (target, options, [os, min, sdk])) in cases.iter().enumerate() {
        let obj = build_for(&dir, &format!("case{i}"), target, options.clone());
        assert_eq!(
            build_version(&obj),
            (os.to_string(), min.to_string(), sdk.to_string()),
            "{target} {options:?}"
        );
    }
}

#[test]
fn ios_and_simulator_objects_link_for_their_platform() {
    let dir = common::scratch("macho_platforms_link");
    for (name, target, platform) in [
        ("ios", "arm64-apple-ios17.0", ["ios", "17.0", "17.0"]),
        (
            "sim",
            "arm64-apple-ios17.0-simulator",
            ["ios-simulator", "17.0", "17.0"],
        ),
    ] {
        let obj = build_for(&dir, name, target, None);
        let exe = dir.join(name);
        macho_support::link("arm64", platform, &[&obj], &exe);
        let text = common::run_ok(
            Command::new("llvm-readobj-19")
                .arg("--macho-version-min")
                .arg(&exe),
        );
        assert!(text.contains("Version: 17.0"), "{text}");
        let spec = Spec::load(&common::fixture("macho/arm64_program.json"));
        let (failures, _) = macho_support::verify(&spec, &Image::load(&exe), Isa::Arm64, "_");
        assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
    }
    // The linker reads the platform: a macOS object is refused for the simulator.
    let mac = build_for(&dir, "mac", "arm64-apple-macos", None);
    let out = common::run(
        Command::new("ld64.lld-19")
            .args([
                "-arch",
                "arm64",
                "-platform_version",
                "ios-simulator",
                "17.0",
                "17.0",
            ])
            .arg(&mac)
            .arg(common::fixture("macho/libSystem.tbd"))
            .arg("-o")
            .arg(dir.join("mac-for-sim")),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("has platform macOS"),
        "{stderr}"
    );
}
