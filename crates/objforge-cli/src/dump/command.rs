//! The `objforge dump` command line: arguments, reading the object, writing the spec (and its
//! side files) atomically.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::{print, write_atomically, Failure};

/// `objforge help dump`.
pub const HELP: &str = "\
usage: objforge dump OBJ [-o SPEC.json] [--debug] [--pretty] [--max-inline BYTES]

Reads the relocatable object OBJ (`-` for standard input) and writes the objspec that
`objforge build` turns back into an equivalent object: sections with their bytes (relocated
fields cleared, every addend explicit), symbols, COMDAT groups and relocations, as portable
kinds where one fits and `native` otherwise. Reads ELF (x86_64, i386, aarch64, riscv64),
Mach-O (x86_64, arm64) and COFF (x86_64, i386, arm64); docs/dump.md says what changes on the
way and what becomes `native`.

options:
  -o, --output SPEC.json   where to write the spec (default, or `-`: standard output).
                           Written atomically: on any error there is no SPEC.json
      --debug              write the DWARF of the .debug_* sections as the spec's `debug`
                           description instead of as sections (one compilation unit, as
                           GCC writes it); what the description cannot say is left out
                           with a note (docs/dwarf.md)
      --pretty             indent everything (default: one line per section, symbol and
                           relocation)
      --max-inline BYTES   with -o, sections larger than this go to side files in
                           SPEC.d/ next to the spec (`file` contents); default 65536
  -h, --help               show this help

What the spec cannot express yet (an absolute symbol, an indirect function, a section flag
objforge does not write) is an error naming the section and offset or the symbol; nothing is
dropped silently. Errors are one line on standard error; the exit code is 1 for bad input and
2 for a bad command line.
";

/// The default for `--max-inline`.
const MAX_INLINE: u64 = 65536;

/// `objforge dump OBJ [-o SPEC] [--pretty] [--max-inline N]`.
pub fn run(args: &[OsString]) -> Result<(), Failure> {
    let usage = |message: String| Failure::usage(format!("dump: {message}"), Some("dump"));
    let mut input: Option<&OsStr> = None;
    let mut output: Option<&OsStr> = None;
    let mut pretty = false;
    let mut debug = false;
    let mut max_inline = MAX_INLINE;
    let mut only_files = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let text = arg.to_str();
        if only_files || text.is_none() || arg == "-" || !arg.to_string_lossy().starts_with('-') {
            if let Some(first) = input {
                return Err(usage(format!(
                    "more than one object ({} and {})",
                    first.to_string_lossy(),
                    arg.to_string_lossy()
                )));
            }
            input = Some(arg);
            continue;
        }
        let text = text.unwrap_or_default();
        match text {
            "--" => only_files = true,
            "-h" | "--help" => return print(HELP),
            "--pretty" => pretty = true,
            "--debug" => debug = true,
            "-o" | "--output" => {
                let Some(v) = args.next() else {
                    return Err(usage(format!("{text} needs a file name")));
                };
                if output.replace(v.as_os_str()).is_some() {
                    return Err(usage("the output is given more than once".into()));
                }
            }
            "--max-inline" => {
                let Some(v) = args.next() else {
                    return Err(usage("--max-inline needs a number of bytes".into()));
                };
                max_inline = parse_bytes(v).ok_or_else(|| {
                    usage(format!(
                        "--max-inline takes a number of bytes, not {}",
                        v.to_string_lossy()
                    ))
                })?;
            }
            _ => {
                if let Some(v) = text.strip_prefix("--max-inline=") {
                    max_inline = parse_bytes(OsStr::new(v)).ok_or_else(|| {
                        usage(format!("--max-inline takes a number of bytes, not {v}"))
                    })?;
                } else if let Some(v) = text
                    .strip_prefix("--output=")
                    .or_else(|| text.strip_prefix("-o"))
                {
                    if output.replace(OsStr::new(v)).is_some() {
                        return Err(usage("the output is given more than once".into()));
                    }
                } else {
                    return Err(usage(format!("unknown option `{text}`")));
                }
            }
        }
    }
    let Some(input) = input else {
        return Err(usage("no object file given".into()));
    };
    if output.is_some_and(OsStr::is_empty) {
        return Err(usage("the output file name is empty".into()));
    }
    // `-o -` is standard output, as no `-o` is.
    let output = output.filter(|o| *o != "-");
    dump(input, output.map(Path::new), pretty, debug, max_inline)
}

fn parse_bytes(text: &OsStr) -> Option<u64> {
    text.to_str()?.parse().ok()
}

/// Reads `input`, dumps it and writes the spec to `output` (standard output if `None`).
fn dump(
    input: &OsStr,
    output: Option<&Path>,
    pretty: bool,
    debug: bool,
    max_inline: u64,
) -> Result<(), Failure> {
    let (data, name) = if input == "-" {
        let mut data = Vec::new();
        io::stdin()
            .read_to_end(&mut data)
            .map_err(|e| Failure::in_file("<stdin>", format!("cannot read: {e}")))?;
        (data, "<stdin>".to_string())
    } else {
        let path = Path::new(input);
        let name = path.display().to_string();
        let data =
            fs::read(path).map_err(|e| Failure::in_file(&name, format!("cannot read: {e}")))?;
        (data, name)
    };
    let mut dumped = super::read(&data).map_err(|e| Failure::in_file(&name, e.to_string()))?;
    drop(data);
    let description = if debug {
        super::take_debug(&mut dumped).map_err(|e| Failure::in_file(&name, e.to_string()))?
    } else {
        None
    };
    let object = dumped.object;
    let side_files = output.and_then(|out| {
        let stem = out.file_stem()?.to_string_lossy().into_owned();
        let dir_name = format!("{stem}.d");
        let parent = out.parent().unwrap_or(Path::new(""));
        Some((parent.join(&dir_name), dir_name))
    });
    let emitted = super::emit(
        &object,
        &super::EmitOptions {
            pretty,
            side_files,
            max_inline,
        },
    );
    // The notes follow the spec, so that a failure is only ever one line.
    let notes = |result: Result<(), Failure>| {
        if result.is_ok() {
            for note in &dumped.notes {
                let note = objforge::clip_values(note);
                let _ = writeln!(io::stderr(), "objforge: note: {name}: {note}");
            }
        }
        result
    };
    let mut emitted = emitted;
    if let Some(description) = description {
        emitted.spec = with_debug(&emitted.spec, &description, pretty);
        check_debug(&emitted.spec, &emitted.side_files).map_err(|e| Failure::in_file(&name, e))?;
    }
    let Some(out) = output else {
        return notes(print(&emitted.spec));
    };
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| {
        if let Some((first, _)) = emitted.side_files.first() {
            if let Some(dir) = first.parent() {
                fs::create_dir_all(dir).map_err(|e| {
                    Failure::in_file(dir.display().to_string(), format!("cannot create: {e}"))
                })?;
            }
        }
        for (path, bytes) in &emitted.side_files {
            write_atomically(path, bytes)?;
            written.push(path.clone());
        }
        write_atomically(out, emitted.spec.as_bytes())
    })();
    if result.is_err() {
        for path in &written {
            let _ = fs::remove_file(path);
        }
    }
    notes(result)
}

/// The spec text with `"debug": DESCRIPTION` added as its last member (the rest of the text
/// kept as `emit` laid it out).
fn with_debug(spec: &str, description: &serde_json::Value, pretty: bool) -> String {
    let body = spec.trim_end();
    let body = body.strip_suffix('}').unwrap_or(body).trim_end();
    let text = if pretty {
        serde_json::to_string_pretty(description)
            .unwrap_or_default()
            .replace('\n', "\n  ")
    } else {
        description.to_string()
    };
    format!("{body},\n  \"debug\": {text}\n}}\n")
}

/// Builds the spec with its `debug` description once, so that `dump --debug` never writes a
/// spec `objforge build` refuses; the refusal names its place in the JSON.
fn check_debug(spec: &str, side_files: &[(PathBuf, Vec<u8>)]) -> Result<(), String> {
    let doc: serde_json::Value =
        serde_json::from_str(spec).map_err(|e| format!("the dumped spec is not JSON ({e})"))?;
    // Side files are not written yet: read the spec with them in place of `file` contents.
    let dir = std::env::temp_dir().join(format!("objforge-dump-{}", std::process::id()));
    let result = (|| {
        for (path, bytes) in side_files {
            let (Some(parent), Some(file)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let dir_name = parent.file_name().unwrap_or_default();
            let target = dir.join(dir_name);
            fs::create_dir_all(&target).map_err(|e| e.to_string())?;
            fs::write(target.join(file), bytes).map_err(|e| e.to_string())?;
        }
        let object = objforge_spec::load(&doc, "dumped spec", &dir).map_err(|e| e.to_string())?;
        object
            .write()
            .map(|_| ())
            .map_err(|e| objforge_spec::library_error(&e).to_string())
    })();
    let _ = fs::remove_dir_all(&dir);
    result.map_err(|e| format!("the `debug` description of its DWARF does not build: {e}"))
}
