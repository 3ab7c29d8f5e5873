//! objforge against the `object` crate's writer (0.40), on the same workload, in one run.
//!
//! The workload (W1 and W1×10) is described in the crate's library (`src/lib.rs`). For each
//! format both writers can produce, this times building the model and writing the bytes with
//! each writer, in two variants:
//! - *backend*: as a compiler backend drives a writer, formatting every name and appending
//!   every function's bytes inside the timed region ([`objforge_backend`], [`object_backend`]);
//!   each formats its names as its API invites — objforge with `format_args!` into the
//!   symbol's inline `Name`, `object` 0.40 (which takes an owned `Vec<u8>` per name) with
//!   `format!(..).into_bytes()`: the same formatting work, different storage;
//! - *prepared*: both fed from the same [`Workload`], names and code made beforehand, outside
//!   the timed region; each writer takes them the cheapest way its API allows (objforge's model
//!   owns its names and bytes, so they are copied; `object` copies the names and borrows the
//!   code).
//!
//! Every run of both writers, both variants and both scales is interleaved, so that noise from
//! the rest of the machine falls on all of them alike; each (work, variant, format) prints one
//! line with the medians, `obj/of` (the `object` time over objforge's `write()` time) and
//! `obj/wt` (over objforge's `write_to` time).
//!
//! By default every timed run is *fresh*: a process of its own, in which it is the first thing
//! done (a compiler writes one object per process). The benchmark runs itself again for each:
//! `objforge-bench --child WRITER WORK FORMAT SCALE` (WRITER is `objforge` for `write()`,
//! `write_to`, or `object`) makes the prepared variant's workload if it needs one, does that one
//! run, and prints one line, `ns=N size=N peak=N` (time, output bytes, peak heap bytes), which
//! the parent collects ([`ChildRun`], [`Sample::line`]). objforge's `write()` and `write_to`
//! runs are separate children. This matters: in one process, glibc raises its mmap threshold
//! (up to 32 MiB) after the first large free, so later W1 runs reuse heap pages already
//! faulted in while W1×10's blocks stay fresh mmaps, and W1 looks faster next to W1×10 than a
//! compiler would see it.
//!
//! `--in-process` does every run in this process instead, with glibc's defaults (the mode
//! this benchmark had before, which its header calls *cold*); `--warm` (in-process too) keeps
//! freed memory for the next run (see [`keep_freed_memory`]). In every mode a counting global
//! allocator measures each run's peak heap (in the child, in the fresh mode: the same numbers).
//!
//! Run: `cargo run --release -p objforge-bench` (`-- --quick` for W1 only, `-- --in-process`,
//! `-- --warm`). The results, and what they mean, are in `docs/performance.md`. For profiling,
//! one writer on one format in a loop in one process:
//! `cargo run --release -p objforge-bench -- --only objforge --format elf --scale 10 --runs 5 \
//! --in-process`.
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use objforge_bench::{
    data_name, function_body, function_name, import_name, import_of, objforge_backend, Workload,
    CALL_DISP, FUNCTIONS, FUNCTION_SIZE, IMPORTS, LEA_DISP,
};

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    /// glibc's `mallopt(3)`.
    fn mallopt(param: i32, value: i32) -> i32;
}

/// Keeps freed memory in the process for the next run (glibc otherwise gives every block
/// over 32 MiB, and the top of the heap, back to the kernel at once). Without this, each run
/// at W1×10 pays for faulting in hundreds of MiB of fresh pages while each run at W1 reuses
/// the previous run's, and the comparison measures the kernel rather than the writers.
/// Only with `--warm`; the other modes leave glibc's defaults.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_MAX: i32 = -4;
        // SAFETY: mallopt only changes glibc's tuning parameters; it is called before any
        // other thread exists.
        unsafe {
            mallopt(M_MMAP_MAX, 0);
            mallopt(M_TRIM_THRESHOLD, i32::MAX);
        }
    }
}

/// Starts a heap measurement: returns the live bytes now, and makes them the peak.
fn heap_mark() -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    base
}

/// The pieces of an `object` model shared by both variants.
mod peer {
    pub use object::write::{Object, Relocation, Symbol, SymbolId, SymbolSection};
    pub use object::{
        Architecture, BinaryFormat, Endianness, RelocationEncoding, RelocationFlags,
        RelocationKind, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
    };

    /// A global symbol (or an import, with `SymbolSection::Undefined`).
    pub fn symbol(
        name: Vec<u8>,
        value: u64,
        size: u64,
        kind: SymbolKind,
        section: SymbolSection,
    ) -> Symbol {
        Symbol {
            name,
            value,
            size,
            kind,
            scope: SymbolScope::Linkage,
            weak: false,
            section,
            flags: SymbolFlags::None,
        }
    }

    /// A relocation of `kind`, `encoding` and `size` bits.
    pub fn relocation(
        offset: u64,
        symbol: SymbolId,
        addend: i64,
        kind: RelocationKind,
        encoding: RelocationEncoding,
        size: u8,
    ) -> Relocation {
        Relocation {
            offset,
            symbol,
            addend,
            flags: RelocationFlags::Generic {
                kind,
                encoding,
                size,
            },
        }
    }

    /// Adds `r` to `section`; the workload is valid, so a refusal is a bug in the benchmark.
    pub fn add(obj: &mut Object<'_>, section: object::write::SectionId, r: Relocation) {
        if let Err(e) = obj.add_relocation(section, r) {
            panic!("object: {e}");
        }
    }

    /// Adds the two relocations of the function at `at` in `text`: its `lea` of `word` and
    /// its call of `import`.
    pub fn add_function_relocations(
        obj: &mut Object<'_>,
        text: object::write::SectionId,
        at: u64,
        word: SymbolId,
        import: SymbolId,
    ) {
        let lea = relocation(
            at + super::LEA_DISP as u64,
            word,
            -4,
            RelocationKind::Relative,
            RelocationEncoding::Generic,
            32,
        );
        add(obj, text, lea);
        let call = relocation(
            at + super::CALL_DISP as u64,
            import,
            -4,
            RelocationKind::PltRelative,
            RelocationEncoding::X86Branch,
            32,
        );
        add(obj, text, call);
    }

    /// Adds each data word's pointer to its function, `functions[i]`.
    pub fn add_word_relocations(
        obj: &mut Object<'_>,
        data: object::write::SectionId,
        functions: &[SymbolId],
    ) {
        for (i, &f) in functions.iter().enumerate() {
            let r = relocation(
                8 * i as u64,
                f,
                0,
                RelocationKind::Absolute,
                RelocationEncoding::Generic,
                64,
            );
            add(obj, data, r);
        }
    }

    /// Writes the object; the workload is valid, so a failure is a bug in the benchmark.
    pub fn write(obj: &Object<'_>) -> Vec<u8> {
        match obj.write() {
            Ok(bytes) => bytes,
            Err(e) => panic!("object: {e}"),
        }
    }
}

/// W1 at `scale` built with the `object` crate the way a backend builds it, in the order of
/// [`objforge_backend`]: names formatted, bytes appended (`append_section_data`), then written.
/// `object` takes each name as an owned `Vec<u8>`, so each is `format!(..).into_bytes()`
/// ([`function_name`] and the others).
fn object_backend(scale: usize, format: peer::BinaryFormat) -> Vec<u8> {
    use peer::*;
    let functions = FUNCTIONS * scale;
    let mut obj = Object::new(format, Architecture::X86_64, Endianness::Little);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    let data = obj.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    let imports: Vec<_> = (0..IMPORTS)
        .map(|i| {
            obj.add_symbol(symbol(
                import_name(i).into_bytes(),
                0,
                0,
                SymbolKind::Unknown,
                SymbolSection::Undefined,
            ))
        })
        .collect();
    let words: Vec<_> = (0..functions)
        .map(|i| {
            let at = obj.append_section_data(data, &[0; 8], 8);
            obj.add_symbol(symbol(
                data_name(i).into_bytes(),
                at,
                8,
                SymbolKind::Data,
                SymbolSection::Section(data),
            ))
        })
        .collect();
    let body = function_body();
    let mut defined = Vec::new();
    for (i, &word) in words.iter().enumerate() {
        let at = obj.append_section_data(text, &body, 16);
        defined.push(obj.add_symbol(symbol(
            function_name(i).into_bytes(),
            at,
            FUNCTION_SIZE as u64,
            SymbolKind::Text,
            SymbolSection::Section(text),
        )));
        add_function_relocations(&mut obj, text, at, word, imports[import_of(i)]);
    }
    add_word_relocations(&mut obj, data, &defined);
    write(&obj)
}

/// The prepared workload written with the `object` crate: the names copied into its symbols,
/// the code borrowed (its model allows a borrowed section).
fn object_prepared(w: &Workload, format: peer::BinaryFormat) -> Vec<u8> {
    use peer::*;
    let mut obj = Object::new(format, Architecture::X86_64, Endianness::Little);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    obj.set_section_data(text, w.text.as_slice(), 16);
    let data = obj.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    obj.set_section_data(data, vec![0; 8 * w.functions], 8);
    let imports: Vec<_> = w
        .import_names
        .iter()
        .map(|n| {
            let s = symbol(
                n.as_bytes().to_vec(),
                0,
                0,
                SymbolKind::Unknown,
                SymbolSection::Undefined,
            );
            obj.add_symbol(s)
        })
        .collect();
    let functions: Vec<_> = w
        .function_names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            obj.add_symbol(symbol(
                n.as_bytes().to_vec(),
                (i * FUNCTION_SIZE) as u64,
                FUNCTION_SIZE as u64,
                SymbolKind::Text,
                SymbolSection::Section(text),
            ))
        })
        .collect();
    let words: Vec<_> = w
        .data_names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            obj.add_symbol(symbol(
                n.as_bytes().to_vec(),
                8 * i as u64,
                8,
                SymbolKind::Data,
                SymbolSection::Section(data),
            ))
        })
        .collect();
    for (i, &word) in words.iter().enumerate() {
        let at = (i * FUNCTION_SIZE) as u64;
        add_function_relocations(&mut obj, text, at, word, imports[import_of(i)]);
    }
    add_word_relocations(&mut obj, data, &functions);
    write(&obj)
}

/// A `Write` that only counts: the streaming writer's memory without any file system's.
struct Sink(usize);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += black_box(buf).len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

mod cli;

/// How the model is built: see the crate's documentation.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Work {
    /// Names formatted and code appended inside the timed region.
    Backend,
    /// Names and code made beforehand, outside the timed region.
    Prepared,
}

impl Work {
    const ALL: [Work; 2] = [Work::Backend, Work::Prepared];

    fn name(self) -> &'static str {
        match self {
            Work::Backend => "backend",
            Work::Prepared => "prepared",
        }
    }
}

/// The three timed things, each building its own model and writing it: objforge's `write()`,
/// objforge's `write_to` (into a [`Sink`]), `object`'s `write()`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Writer {
    Objforge,
    WriteTo,
    IntoBytes,
    Object,
}

impl Writer {
    const ALL: [Writer; 4] = [
        Writer::Objforge,
        Writer::WriteTo,
        Writer::IntoBytes,
        Writer::Object,
    ];

    /// Its name, as the report's columns and `--child` spell it.
    fn name(self) -> &'static str {
        match self {
            Writer::Objforge => "objforge",
            Writer::WriteTo => "write_to",
            Writer::IntoBytes => "into_bytes",
            Writer::Object => "object",
        }
    }
}

/// The formats both writers produce, as each names them.
type FormatPair = (objforge::Format, peer::BinaryFormat);

const FORMATS: [FormatPair; 3] = [
    (objforge::Format::Elf, peer::BinaryFormat::Elf),
    (objforge::Format::MachO, peer::BinaryFormat::MachO),
    (objforge::Format::Coff, peer::BinaryFormat::Coff),
];

/// What a run builds its model from: for the backend variant only the scale (everything is
/// made inside the timed region), for the prepared one a [`Workload`] made beforehand.
enum Input {
    Backend(usize),
    Prepared(Workload),
}

impl Input {
    /// The input of `work` at `scale`; for the prepared variant this makes the workload.
    fn new(work: Work, scale: usize) -> Input {
        match work {
            Work::Backend => Input::Backend(scale),
            Work::Prepared => Input::Prepared(Workload::new(scale)),
        }
    }

    fn objforge_model(&self, format: objforge::Format) -> objforge::Object {
        match self {
            Input::Backend(scale) => objforge_backend(*scale, format),
            Input::Prepared(w) => w.objforge_model(format),
        }
    }

    fn object(&self, format: peer::BinaryFormat) -> Vec<u8> {
        match self {
            Input::Backend(scale) => object_backend(*scale, format),
            Input::Prepared(w) => object_prepared(w, format),
        }
    }
}

/// What one timed run measured: its time, the size of its output, and its peak heap (from
/// before the model is built to the end of the write).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sample {
    time: Duration,
    size: usize,
    peak: usize,
}

impl Sample {
    /// The line a child prints for its parent: `ns=N size=N peak=N`.
    fn line(&self) -> String {
        format!(
            "ns={} size={} peak={}",
            self.time.as_nanos(),
            self.size,
            self.peak
        )
    }

    /// Reads what a child printed: exactly one [`Self::line`].
    fn parse(text: &str) -> Result<Sample, String> {
        let garbage = || format!("expected one line `ns=N size=N peak=N`, got {text:?}");
        let line = text.strip_suffix('\n').ok_or_else(garbage)?;
        let mut fields = line.split(' ');
        let mut field = |key: &str| {
            fields
                .next()
                .and_then(|f| f.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(garbage)
        };
        let (ns, size, peak) = (field("ns")?, field("size")?, field("peak")?);
        let whole = |n: u64| usize::try_from(n).map_err(|_| garbage());
        let sample = Sample {
            time: Duration::from_nanos(ns),
            size: whole(size)?,
            peak: whole(peak)?,
        };
        match fields.next() {
            None => Ok(sample),
            Some(_) => Err(garbage()),
        }
    }
}

/// The sample of a run that started at `start` with `base` bytes live and wrote `size` bytes.
fn sample(start: Instant, base: usize, size: usize) -> Sample {
    let time = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    Sample { time, size, peak }
}

/// One timed run of `writer` on `input`: build the model, write it.
fn measure(writer: Writer, input: &Input, (ours, theirs): FormatPair) -> Sample {
    match writer {
        Writer::Objforge => objforge_write(input, ours),
        Writer::WriteTo => objforge_write_to(input, ours),
        Writer::IntoBytes => objforge_into_bytes(input, ours),
        Writer::Object => object_write(input, theirs),
    }
}

/// objforge: build + `write()`. The model and the bytes are dropped after the clock stops.
fn objforge_write(input: &Input, format: objforge::Format) -> Sample {
    let base = heap_mark();
    let start = Instant::now();
    let obj = input.objforge_model(format);
    let bytes = match obj.write() {
        Ok(bytes) => black_box(bytes),
        Err(e) => panic!("objforge: {e}"),
    };
    sample(start, base, bytes.len())
}

/// objforge: build + `write_to` a [`Sink`]. The model is dropped after the clock stops.
fn objforge_write_to(input: &Input, format: objforge::Format) -> Sample {
    let base = heap_mark();
    let start = Instant::now();
    let obj = input.objforge_model(format);
    let mut sink = Sink(0);
    if let Err(e) = obj.write_to(&mut sink) {
        panic!("objforge: {e}");
    }
    sample(start, base, sink.0)
}

/// objforge: build + `into_bytes()`, which frees the model as it writes. The bytes are
/// dropped after the clock stops.
fn objforge_into_bytes(input: &Input, format: objforge::Format) -> Sample {
    let base = heap_mark();
    let start = Instant::now();
    let obj = input.objforge_model(format);
    let bytes = match obj.into_bytes() {
        Ok(bytes) => black_box(bytes),
        Err(e) => panic!("objforge: {e}"),
    };
    sample(start, base, bytes.len())
}

/// `object`: build + write (its model is dropped inside the build function, before the clock
/// stops; the bytes after).
fn object_write(input: &Input, format: peer::BinaryFormat) -> Sample {
    let base = heap_mark();
    let start = Instant::now();
    let bytes = black_box(input.object(format));
    sample(start, base, bytes.len())
}

/// One timed run in a process of its own: the arguments `--child WRITER WORK FORMAT SCALE`.
#[derive(Debug, PartialEq)]
struct ChildRun {
    writer: Writer,
    work: Work,
    format: FormatPair,
    scale: usize,
}

impl ChildRun {
    /// The arguments that make this program do this run.
    fn args(&self) -> [String; 5] {
        [
            "--child".into(),
            self.writer.name().into(),
            self.work.name().into(),
            self.format.0.name().into(),
            self.scale.to_string(),
        ]
    }

    /// Reads the arguments after `--child`.
    fn parse(args: &[String]) -> Result<ChildRun, String> {
        let [writer, work, format, scale] = args else {
            return Err(format!(
                "--child takes WRITER WORK FORMAT SCALE, not {args:?}"
            ));
        };
        Ok(ChildRun {
            writer: Writer::ALL
                .into_iter()
                .find(|w| w.name() == writer)
                .ok_or(format!("--child: no writer {writer}"))?,
            work: Work::ALL
                .into_iter()
                .find(|w| w.name() == work)
                .ok_or(format!("--child: no variant {work}"))?,
            format: FORMATS
                .into_iter()
                .find(|f| f.0.name() == format)
                .ok_or(format!("--child: no format {format}"))?,
            scale: scale
                .parse()
                .map_err(|_| format!("--child: the scale is a whole number, not {scale}"))?,
        })
    }
}

/// The child's side of the fresh mode: makes the input (the workload, for the prepared
/// variant), then does the one timed run the arguments name and prints its [`Sample::line`].
fn child(args: &[String]) -> Result<(), String> {
    let run = ChildRun::parse(args)?;
    let input = Input::new(run.work, run.scale);
    let sample = measure(run.writer, &input, run.format);
    println!("{}", sample.line());
    Ok(())
}

/// Does `run` in a fresh process of `exe` (this program) and reads its sample; `case` names
/// the run in an error.
fn run_child(exe: &Path, run: &ChildRun, case: &str) -> Result<Sample, String> {
    let args = run.args();
    let what = format!("{case} ({} {})", exe.display(), args.join(" "));
    let out = Command::new(exe)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{what}: {}: {}", out.status, stderr.trim()));
    }
    Sample::parse(&String::from_utf8_lossy(&out.stdout)).map_err(|e| format!("{what}: {e}"))
}

/// Where the timed runs happen.
enum Runner {
    /// In this process, from every case's input, made once beforehand (`--in-process`).
    InProcess(Vec<Input>),
    /// Each in a fresh process: this program, run again with `--child` (the default).
    Fresh(PathBuf),
}

impl Runner {
    /// One timed run of `writer` on `case`, the `index`th of the cases, in `format`.
    fn run(
        &self,
        writer: Writer,
        index: usize,
        case: &Case,
        format: FormatPair,
    ) -> Result<Sample, String> {
        match self {
            Runner::InProcess(inputs) => Ok(measure(writer, &inputs[index], format)),
            Runner::Fresh(exe) => {
                let run = ChildRun {
                    writer,
                    work: case.work,
                    format,
                    scale: case.scale,
                };
                let name = format!(
                    "{} {} {}, {}",
                    case.label,
                    case.work.name(),
                    format.0.name(),
                    writer.name()
                );
                run_child(exe, &run, &name)
            }
        }
    }
}

/// One case: a scale and a way of building the model.
struct Case {
    label: &'static str,
    scale: usize,
    work: Work,
    /// The workload's raw bytes ([`Workload::input_bytes`]).
    input: usize,
    ours_runs: usize,
    theirs_runs: usize,
}

/// The median time of `samples`.
fn median(samples: &[Sample]) -> Option<Duration> {
    let mut times: Vec<Duration> = samples.iter().map(|s| s.time).collect();
    times.sort();
    times.get(times.len() / 2).copied()
}

/// The highest peak heap of `samples`.
fn peak(samples: &[Sample]) -> usize {
    samples.iter().map(|s| s.peak).max().unwrap_or(0)
}

/// The output size of `samples` (every run of a case writes the same bytes).
fn size(samples: &[Sample]) -> usize {
    samples.last().map_or(0, |s| s.size)
}

fn mib(n: usize) -> f64 {
    n as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The samples of one (case, format).
struct Row {
    label: &'static str,
    work: Work,
    format: &'static str,
    input: usize,
    ours_runs: usize,
    theirs_runs: usize,
    /// objforge's `write()`.
    ours: Vec<Sample>,
    /// objforge's `write_to`.
    stream: Vec<Sample>,
    /// objforge's `into_bytes()`.
    consumed: Vec<Sample>,
    /// `object`'s `write()`.
    theirs: Vec<Sample>,
}

struct Options {
    quick: bool,
    in_process: bool,
    warm: bool,
    only: Option<String>,
    format: Option<String>,
    work: Option<String>,
    scale: Option<usize>,
    runs: Option<usize>,
    cli: Option<String>,
}

const HELP: &str = "objforge-bench [--quick] [--in-process | --warm] [--only objforge|object] \
[--format elf|macho|coff] [--work backend|prepared] [--scale N] [--runs N]
       objforge-bench --cli SPEC.json [--runs N]   (objforge build against object-json)

By default every timed run is a fresh process (this program, run again for that one run).
  --quick       W1 only (not W1x10)
  --in-process  every run in this process, with glibc's malloc defaults
  --warm        in this process, freed memory kept for the next run (mallopt)
  --scale N     only scale N (1 is W1), with --runs N runs of each writer (default 5)";

fn options(args: Vec<String>) -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        in_process: false,
        warm: false,
        only: None,
        format: None,
        work: None,
        scale: None,
        runs: None,
        cli: None,
    };
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let mut number = |name: &str| {
            let v = value(name)?;
            v.parse::<usize>()
                .map_err(|_| format!("{name} takes a whole number, not {v}"))
        };
        match a.as_str() {
            "--quick" => o.quick = true,
            "--in-process" => o.in_process = true,
            "--warm" => o.warm = true,
            "--only" => o.only = Some(value("--only")?),
            "--format" => o.format = Some(value("--format")?),
            "--work" => o.work = Some(value("--work")?),
            "--scale" => o.scale = Some(number("--scale")?),
            "--runs" => o.runs = Some(number("--runs")?),
            "--cli" => o.cli = Some(value("--cli")?),
            "--help" | "-h" => {
                println!("{HELP}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(("--child", rest)) = args.split_first().map(|(a, rest)| (a.as_str(), rest)) {
        if let Err(e) = child(rest) {
            eprintln!("objforge-bench: {e}");
            std::process::exit(2);
        }
        return;
    }
    let o = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("objforge-bench: {e}");
            std::process::exit(2);
        }
    };
    if let Some(spec) = &o.cli {
        if let Err(e) = cli::compare(spec, o.runs.unwrap_or(11)) {
            eprintln!("objforge-bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = bench(&o) {
        eprintln!("objforge-bench: {e}");
        std::process::exit(1);
    }
}

/// Times what the options ask for and prints the report.
fn bench(o: &Options) -> Result<(), String> {
    if o.warm {
        keep_freed_memory();
    }
    // (label, scale, objforge runs, object runs): the object crate takes seconds per W1×10
    // run, so it runs three times there; objforge runs nine times at both scales, since the
    // growth from W1 to W1×10 is the ratio of its own medians.
    let scales: Vec<(&'static str, usize, usize, usize)> = match o.scale {
        Some(s) => vec![("custom", s, o.runs.unwrap_or(5), o.runs.unwrap_or(5))],
        None if o.quick => vec![("W1", 1, 9, 9)],
        None => vec![("W1", 1, 9, 9), ("W1x10", 10, 9, 3)],
    };
    let works: Vec<Work> = Work::ALL
        .into_iter()
        .filter(|w| o.work.as_deref().is_none_or(|n| n == w.name()))
        .collect();
    let cases: Vec<Case> = scales
        .iter()
        .flat_map(|&(label, scale, ours_runs, theirs_runs)| {
            let input = Workload::new(scale).input_bytes();
            works.iter().map(move |&work| Case {
                label,
                scale,
                work,
                input,
                ours_runs,
                theirs_runs,
            })
        })
        .collect();
    let runner = if o.in_process || o.warm {
        Runner::InProcess(cases.iter().map(|c| Input::new(c.work, c.scale)).collect())
    } else {
        let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
        Runner::Fresh(exe)
    };
    let run_ours = o.only.as_deref() != Some("object");
    let run_theirs = o.only.as_deref() != Some("objforge");
    let mut rows = Vec::new();
    for format in FORMATS {
        if o.format.as_deref().is_some_and(|f| f != format.0.name()) {
            continue;
        }
        // Every run of this format, both writers, both variants and both scales, interleaved:
        // whatever else the machine does meanwhile falls on all of them alike.
        let mut these: Vec<Row> = cases
            .iter()
            .map(|c| Row {
                label: c.label,
                work: c.work,
                format: format.0.name(),
                input: c.input,
                ours_runs: if run_ours { c.ours_runs } else { 0 },
                theirs_runs: if run_theirs { c.theirs_runs } else { 0 },
                ours: Vec::new(),
                stream: Vec::new(),
                consumed: Vec::new(),
                theirs: Vec::new(),
            })
            .collect();
        let rounds = cases
            .iter()
            .map(|c| c.ours_runs.max(c.theirs_runs))
            .max()
            .unwrap_or(0);
        for round in 0..rounds {
            for (i, (row, case)) in these.iter_mut().zip(&cases).enumerate() {
                if round < row.ours_runs {
                    let written = runner.run(Writer::Objforge, i, case, format)?;
                    let streamed = runner.run(Writer::WriteTo, i, case, format)?;
                    let consumed = runner.run(Writer::IntoBytes, i, case, format)?;
                    for (other, name) in [(&streamed, "write_to"), (&consumed, "into_bytes")] {
                        if other.size != written.size {
                            return Err(format!(
                                "{} {} {}: {name} wrote {} bytes, write() {}",
                                case.label,
                                case.work.name(),
                                format.0.name(),
                                other.size,
                                written.size
                            ));
                        }
                    }
                    row.ours.push(written);
                    row.stream.push(streamed);
                    row.consumed.push(consumed);
                }
                if round < row.theirs_runs {
                    row.theirs
                        .push(runner.run(Writer::Object, i, case, format)?);
                }
            }
        }
        rows.extend(these);
    }
    rows.sort_by_key(|r| {
        let scale = scales.iter().position(|s| s.0 == r.label);
        (scale, r.work.name())
    });
    let mode = match runner {
        Runner::Fresh(_) => "fresh process per run (glibc malloc defaults)",
        Runner::InProcess(_) if o.warm => "--warm: freed memory kept for the next run (mallopt)",
        Runner::InProcess(_) => {
            "cold: glibc malloc defaults, large blocks are fresh pages every run"
        }
    };
    print_report(&rows, mode);
    Ok(())
}

/// `b / a` as a ratio, or `-` where either is missing.
fn ratio(a: Option<Duration>, b: Option<Duration>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}x", b.as_secs_f64() / a.as_secs_f64()),
        _ => "-".into(),
    }
}

/// Prints the times, then the peak heaps; `mode` says where and how the runs were done.
fn print_report(rows: &[Row], mode: &str) {
    let opt_ms = |d: Option<Duration>| d.map_or("-".to_string(), |d| format!("{:.1}", ms(d)));
    println!(
        "objforge {} vs object 0.40; {mode}; build the model + write the bytes, median ms",
        env!("CARGO_PKG_VERSION"),
    );
    println!(
        "{:<6} {:<8} {:<6} {:>9} {:>9} {:>10} {:>9} {:>7} {:>7} {:>7} {:>6} {:>8} {:>8}",
        "work",
        "variant",
        "format",
        "objforge",
        "write_to",
        "into_bytes",
        "object",
        "obj/of",
        "obj/wt",
        "obj/ib",
        "runs",
        "of MiB",
        "obj MiB"
    );
    for r in rows {
        let (ours, stream, theirs) = (median(&r.ours), median(&r.stream), median(&r.theirs));
        let consumed = median(&r.consumed);
        println!(
            "{:<6} {:<8} {:<6} {:>9} {:>9} {:>10} {:>9} {:>7} {:>7} {:>7} {:>6} {:>8.1} {:>8.1}",
            r.label,
            r.work.name(),
            r.format,
            opt_ms(ours),
            opt_ms(stream),
            opt_ms(consumed),
            opt_ms(theirs),
            ratio(ours, theirs),
            ratio(stream, theirs),
            ratio(consumed, theirs),
            format!("{}/{}", r.ours_runs, r.theirs_runs),
            mib(size(&r.ours)),
            mib(size(&r.theirs)),
        );
    }
    for work in [Work::Backend, Work::Prepared] {
        let growth: Vec<String> = ["elf", "macho", "coff"]
            .iter()
            .filter_map(|f| {
                let at = |label| {
                    rows.iter()
                        .find(|r| r.label == label && r.format == *f && r.work == work)
                };
                let (one, ten) = (at("W1")?, at("W1x10")?);
                Some(format!(
                    "{f} objforge {} write_to {} into_bytes {} object {}",
                    ratio(median(&one.ours), median(&ten.ours)),
                    ratio(median(&one.stream), median(&ten.stream)),
                    ratio(median(&one.consumed), median(&ten.consumed)),
                    ratio(median(&one.theirs), median(&ten.theirs)),
                ))
            })
            .collect();
        if !growth.is_empty() {
            println!("W1x10 / W1, {}: {}", work.name(), growth.join("; "));
        }
    }
    println!();
    println!("Peak heap (MiB) while building + writing; input = the workload's raw bytes (code,");
    println!("data, names, 24 bytes per relocation); limit = input + 1.3 x output");
    println!(
        "{:<6} {:<8} {:<6} {:>7} {:>7} {:>9} {:>9} {:>10} {:>7} {:>7}",
        "work",
        "variant",
        "format",
        "input",
        "output",
        "write()",
        "write_to",
        "into_bytes",
        "limit",
        "object"
    );
    for r in rows.iter().filter(|r| r.ours_runs > 0) {
        println!(
            "{:<6} {:<8} {:<6} {:>7.1} {:>7.1} {:>9.1} {:>9.1} {:>10.1} {:>7.1} {:>7}",
            r.label,
            r.work.name(),
            r.format,
            mib(r.input),
            mib(size(&r.ours)),
            mib(peak(&r.ours)),
            mib(peak(&r.stream)),
            mib(peak(&r.consumed)),
            mib(r.input) + 1.3 * mib(size(&r.ours)),
            if r.theirs_runs > 0 {
                format!("{:.1}", mib(peak(&r.theirs)))
            } else {
                "-".into()
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_goes_through_its_line() {
        let s = Sample {
            time: Duration::from_nanos(83_012_345),
            size: 22_313_440,
            peak: 74_828_164,
        };
        assert_eq!(s.line(), "ns=83012345 size=22313440 peak=74828164");
        assert_eq!(Sample::parse(&format!("{}\n", s.line())), Ok(s));
    }

    #[test]
    fn anything_but_one_sample_line_is_refused() {
        for garbage in [
            "",
            "\n",
            "ns=1 size=2 peak=3",
            "ns=1 size=2 peak=3\n\n",
            "ns=1 size=2 peak=3\nns=1 size=2 peak=3\n",
            "ns=1 size=2\n",
            "ns=1 size=2 peak=3 more=4\n",
            "ns=1 peak=3 size=2\n",
            "ns=-1 size=2 peak=3\n",
            "ns=1 size=2 peak=x\n",
            "ns=1  size=2 peak=3\n",
            "nsx=1 size=2 peak=3\n",
            "thread 'main' panicked\n",
        ] {
            let e = Sample::parse(garbage).unwrap_err();
            assert!(e.contains("ns=N size=N peak=N"), "{garbage:?}: {e}");
        }
    }

    #[test]
    fn a_child_run_goes_through_its_arguments() {
        for writer in Writer::ALL {
            for work in Work::ALL {
                for format in FORMATS {
                    let run = ChildRun {
                        writer,
                        work,
                        format,
                        scale: 10,
                    };
                    let args = run.args();
                    assert_eq!(args[0], "--child");
                    assert_eq!(ChildRun::parse(&args[1..]), Ok(run));
                }
            }
        }
    }

    #[test]
    fn wrong_child_arguments_are_refused() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for (given, expected) in [
            (
                &["objforge", "backend", "elf"][..],
                "WRITER WORK FORMAT SCALE",
            ),
            (
                &["objforge", "backend", "elf", "1", "2"],
                "WRITER WORK FORMAT SCALE",
            ),
            (&["write", "backend", "elf", "1"], "no writer write"),
            (&["objforge", "cold", "elf", "1"], "no variant cold"),
            (&["objforge", "backend", "wasm", "1"], "no format wasm"),
            (&["objforge", "backend", "elf", "ten"], "not ten"),
        ] {
            let e = ChildRun::parse(&args(given)).unwrap_err();
            assert!(e.contains(expected), "{given:?}: {e}");
        }
    }

    /// A run as [`Runner::Fresh`] would ask for it, for a child that is not this program.
    #[cfg(unix)]
    fn run_with(program: &str) -> Result<Sample, String> {
        let run = ChildRun {
            writer: Writer::WriteTo,
            work: Work::Prepared,
            format: FORMATS[2],
            scale: 10,
        };
        run_child(Path::new(program), &run, "W1x10 prepared coff, write_to")
    }

    #[cfg(unix)]
    #[test]
    fn a_child_that_fails_is_an_error_that_names_the_run() {
        let e = run_with("false").unwrap_err();
        assert!(
            e.starts_with(
                "W1x10 prepared coff, write_to (false --child write_to prepared coff 10)"
            ),
            "{e}"
        );
        assert!(e.contains("exit status: 1"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_child_that_prints_garbage_is_an_error_that_names_the_run() {
        // `echo` prints its arguments: one line, but not a sample.
        let e = run_with("echo").unwrap_err();
        assert!(
            e.starts_with("W1x10 prepared coff, write_to (echo --child"),
            "{e}"
        );
        assert!(e.contains("ns=N size=N peak=N"), "{e}");
    }
}
