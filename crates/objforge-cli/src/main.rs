//! `objforge`: builds a relocatable object file from a JSON description (an objspec, see
//! `docs/spec.md`) with the objforge library.
//!
//! This file holds the command line: argument parsing, dispatch, error reporting and the atomic
//! write of the output. The JSON-to-model translation lives in [`spec`].

mod dump;
mod targets;

use objforge_spec::{json, spec};

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code for bad input (the spec, a file it names, the output).
const EXIT_FAILURE: u8 = 1;
/// Exit code for a command line objforge does not understand.
const EXIT_USAGE: u8 = 2;

const VERSION: &str = env!("CARGO_PKG_VERSION");

const USAGE: &str = "\
usage: objforge build SPEC.json -o OUT   build a relocatable object file from a JSON spec
       objforge dump OBJ [-o SPEC.json]  write the JSON spec of an existing object file
       objforge targets                 list formats, architectures and relocation kinds
       objforge help [COMMAND]          show this help, or a command's
       objforge --version               show the version

objforge writes the object files a compiler backend describes in JSON: sections with their
bytes, symbols and relocations (the format is documented in docs/spec.md).
";

const BUILD_HELP: &str = "\
usage: objforge build SPEC.json -o OUT

Reads SPEC.json (`-` for standard input), builds the object it describes and writes it to OUT.
Paths in a section's `file` field are relative to SPEC.json's directory (or to the current
directory when the spec comes from standard input).

OUT is written atomically: objforge writes a temporary file next to it and renames it into
place only when everything succeeded, so a failed build leaves no OUT behind and an existing
OUT untouched. An OUT that is a device or a FIFO (/dev/null, /dev/stdout) is written in place.

options:
  -o, --output OUT   where to write the object file (required)
  -h, --help         show this help

Errors are one line on standard error, `objforge: PLACE: what is wrong`, where PLACE is a path
into the JSON (`relocations[4].symbol`) or `SPEC.json:LINE:COLUMN` for malformed JSON. The exit
code is 1 for bad input and 2 for a bad command line.
";

const TARGETS_HELP: &str = "\
usage: objforge targets

Lists the object formats objforge can write and, for each format and architecture, the
portable relocation kinds it can express.
";

/// Why the command failed: the one-line message (without the `objforge: ` prefix) and the
/// exit code.
#[derive(Debug)]
struct Failure {
    /// The file the message is about, printed whole before it.
    file: Option<String>,
    /// What is wrong; long values in it are clipped when printed.
    message: String,
    code: u8,
}

impl Failure {
    /// Bad input: exit code 1.
    fn input(message: impl Into<String>) -> Failure {
        Failure {
            file: None,
            message: message.into(),
            code: EXIT_FAILURE,
        }
    }

    /// Bad input in `file` (a path, or a path with `:LINE:COLUMN`): exit code 1.
    fn in_file(file: impl Into<String>, message: impl Into<String>) -> Failure {
        Failure {
            file: Some(file.into()),
            ..Failure::input(message)
        }
    }

    /// A bad command line: exit code 2, with a pointer to the help.
    fn usage(message: impl Into<String>, command: Option<&str>) -> Failure {
        let help = match command {
            Some(c) => format!("objforge help {c}"),
            None => "objforge --help".into(),
        };
        Failure {
            file: None,
            message: format!("{} (see `{help}`)", message.into()),
            code: EXIT_USAGE,
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // Nothing useful is left to do if even stderr is gone.
            // A value quoted from the input is clipped; the file's own name never is.
            let message = objforge::clip_values(&failure.message);
            let _ = match &failure.file {
                Some(file) => writeln!(io::stderr(), "objforge: {file}: {message}"),
                None => writeln!(io::stderr(), "objforge: {message}"),
            };
            ExitCode::from(failure.code)
        }
    }
}

/// Dispatches on the subcommand.
fn run(args: &[OsString]) -> Result<(), Failure> {
    let Some((first, rest)) = args.split_first() else {
        return Err(Failure::usage("no command given", None));
    };
    match first.to_str() {
        Some("build") => build_command(rest),
        Some("dump") => dump::command::run(rest),
        Some("targets") => {
            if let Some(arg) = rest.first() {
                if is_help(arg) {
                    return print(TARGETS_HELP);
                }
                return Err(Failure::usage(
                    format!("targets: unexpected argument {}", arg.to_string_lossy()),
                    Some("targets"),
                ));
            }
            print(&targets::table())
        }
        Some("help" | "--help" | "-h") => match rest.first().and_then(|a| a.to_str()) {
            None => print(USAGE),
            Some("build") => print(BUILD_HELP),
            Some("dump") => print(dump::command::HELP),
            Some("targets") => print(TARGETS_HELP),
            Some(other) => Err(Failure::usage(format!("no command `{other}`"), None)),
        },
        Some("--version" | "-V" | "version") => print(&format!("objforge {VERSION}\n")),
        _ => Err(Failure::usage(
            format!("unknown command `{}`", first.to_string_lossy()),
            None,
        )),
    }
}

fn is_help(arg: &OsStr) -> bool {
    arg == "-h" || arg == "--help"
}

/// Writes `text` to stdout. A closed pipe (`objforge targets | head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::input(format!("writing to standard output: {e}"))),
    }
}

/// `objforge build SPEC -o OUT`: parses the arguments, then [`build`].
fn build_command(args: &[OsString]) -> Result<(), Failure> {
    let usage = |message: String| Failure::usage(format!("build: {message}"), Some("build"));
    let mut spec: Option<&OsStr> = None;
    let mut out: Option<&OsStr> = None;
    let mut only_files = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let text = arg.to_str();
        if only_files || text.is_none() || arg == "-" || !arg.to_string_lossy().starts_with('-') {
            if let Some(first) = spec {
                return Err(usage(format!(
                    "more than one spec file ({} and {})",
                    first.to_string_lossy(),
                    arg.to_string_lossy()
                )));
            }
            spec = Some(arg);
            continue;
        }
        let text = text.unwrap_or_default();
        let value = match text {
            "--" => {
                only_files = true;
                continue;
            }
            "-h" | "--help" => return print(BUILD_HELP),
            "-o" | "--output" => match args.next() {
                Some(v) => v.as_os_str(),
                None => return Err(usage(format!("{text} needs a file name"))),
            },
            _ => match text
                .strip_prefix("--output=")
                .or_else(|| text.strip_prefix("-o"))
            {
                Some(v) => OsStr::new(v),
                None => return Err(usage(format!("unknown option `{text}`"))),
            },
        };
        if out.is_some() {
            return Err(usage("the output is given more than once".into()));
        }
        if value.is_empty() {
            return Err(usage("the output file name is empty".into()));
        }
        out = Some(value);
    }
    let Some(spec) = spec else {
        return Err(usage("no spec file given".into()));
    };
    let Some(out) = out else {
        return Err(usage("no output file given (-o OUT)".into()));
    };
    build(spec, Path::new(out))
}

/// Reads the spec, builds the object and writes it atomically to `out`.
fn build(spec: &OsStr, out: &Path) -> Result<(), Failure> {
    let (text, name, base_dir) = if spec == "-" {
        let mut text = Vec::new();
        io::stdin()
            .read_to_end(&mut text)
            .map_err(|e| Failure::in_file("<stdin>", format!("cannot read: {e}")))?;
        (text, "<stdin>".to_string(), PathBuf::new())
    } else {
        let path = Path::new(spec);
        let name = path.display().to_string();
        let text =
            fs::read(path).map_err(|e| Failure::in_file(&name, format!("cannot read: {e}")))?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        (text, name, base_dir)
    };
    // The parsed document borrows its strings (section contents above all) from the text.
    let doc = objforge_spec::value::from_slice(&text).map_err(|e| json_error(&name, &e))?;
    let object = spec::load(json::Node::root(&doc, &name), &base_dir)
        .map_err(|e| Failure::input(e.to_string()))?;
    // The document and its text are larger than the object; free them before writing.
    drop(doc);
    drop(text);
    // Streamed to the file: the object never sits whole in memory. The library finds every
    // error in the model before the first byte goes out, and the temporary file is made at the
    // first byte, so a bad model is reported as before, with no file made.
    let mut file = LazyTemp {
        out,
        file: None,
        failure: None,
    };
    match object.write_to(&mut file) {
        Ok(()) => file.commit(),
        Err(e) => Err(file
            .failure
            .take()
            .unwrap_or_else(|| Failure::input(e.to_string()))),
    }
}

/// The output of `build`: a temporary file next to `out`, made at the first write and renamed
/// over `out` by [`LazyTemp::commit`]; the first I/O failure is kept as the message
/// [`write_atomically`] would give.
struct LazyTemp<'p> {
    out: &'p Path,
    file: Option<(File, Option<TempFile>)>,
    failure: Option<Failure>,
}

impl LazyTemp<'_> {
    /// The file, made now if it was not yet.
    fn file(&mut self) -> Result<&mut File, Failure> {
        let (file, _) = match &mut self.file {
            Some(made) => made,
            none => none.insert(create_output(self.out)?),
        };
        Ok(file)
    }

    /// Keeps the first failure and hands the stream an error that says it failed.
    fn fail(&mut self, failure: Failure) -> io::Error {
        let error = io::Error::other(failure.message.clone());
        self.failure.get_or_insert(failure);
        error
    }

    /// Flushes the file and renames it over `out`.
    fn commit(mut self) -> Result<(), Failure> {
        let out = self.out;
        let fail = |what: &str, e: io::Error| fail_on(out, what, e);
        self.file()?.flush().map_err(|e| fail("cannot write", e))?;
        match self.file.take() {
            Some((file, Some(temp))) => {
                drop(file);
                rename_into_place(temp, out)
            }
            Some((_, None)) | None => Ok(()),
        }
    }
}

impl Write for LazyTemp<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let out = self.out;
        match self.file() {
            Ok(file) => file
                .write_all(buf)
                .map(|()| buf.len())
                .map_err(|e| self.fail(fail_on(out, "cannot write", e))),
            Err(failure) => Err(self.fail(failure)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        // The file is flushed once, by `commit`.
        Ok(())
    }
}

/// A JSON syntax error as `NAME:LINE:COLUMN: message`.
fn json_error(name: &str, e: &serde_json::Error) -> Failure {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let message = match message.strip_prefix("EOF while parsing") {
        Some(rest) => format!("the file ends while parsing{rest}"),
        None => message.to_string(),
    };
    if e.line() == 0 {
        Failure::in_file(name, message)
    } else {
        // serde_json reports column 0 for the position just after a newline; editors count
        // from 1.
        Failure::in_file(
            format!("{name}:{}:{}", e.line(), e.column().max(1)),
            message,
        )
    }
}

/// A temporary file that is removed when dropped, unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `bytes` to `out` atomically: into a new temporary file in the same directory, then
/// renamed over `out`. On any failure the temporary file is removed and `out` is untouched.
fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let (file, temp) = create_output(out)?;
    write_all_to(file, bytes).map_err(|e| fail_on(out, "cannot write", e))?;
    match temp {
        Some(temp) => rename_into_place(temp, out),
        None => Ok(()),
    }
}

/// `OUT: what: error`, a failure of the output.
fn fail_on(out: &Path, what: &str, e: io::Error) -> Failure {
    Failure::in_file(out.display().to_string(), format!("{what}: {e}"))
}

/// Where the output goes: a new temporary file next to `out`, to be renamed over it; or, when
/// `out` exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO), `out` itself,
/// written in place — renaming a file over a device would replace the device node, and there
/// is nothing to keep whole.
fn create_output(out: &Path) -> Result<(File, Option<TempFile>), Failure> {
    if fs::metadata(out).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = OpenOptions::new()
            .write(true)
            .open(out)
            .map_err(|e| fail_on(out, "cannot open", e))?;
        return Ok((file, None));
    }
    let (file, temp) = create_temp(out)?;
    Ok((file, Some(temp)))
}

/// A new temporary file next to `out`, removed when dropped unless renamed into place.
fn create_temp(out: &Path) -> Result<(File, TempFile), Failure> {
    let shown = out.display();
    let Some(file_name) = out.file_name() else {
        return Err(Failure::in_file(shown.to_string(), "not a file name"));
    };
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut attempt = 0u32;
    loop {
        let mut temp_name = OsString::from(".");
        temp_name.push(file_name);
        temp_name.push(format!(".objforge-{}-{attempt}.tmp", std::process::id()));
        let path = dir.join(temp_name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, TempFile { path, kept: false })),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(fail_on(out, "cannot create a temporary file next to it", e)),
        }
    }
}

/// Renames the (closed) temporary file over `out`.
fn rename_into_place(mut temp: TempFile, out: &Path) -> Result<(), Failure> {
    fs::rename(&temp.path, out).map_err(|e| fail_on(out, "cannot replace", e))?;
    temp.kept = true;
    Ok(())
}

/// Writes all of `bytes` to `file` (closed when dropped).
fn write_all_to(mut file: File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.flush()
}
