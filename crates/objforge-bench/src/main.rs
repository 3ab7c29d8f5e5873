//! objforge against the `object` crate's writer, on identical input, in one run.
//!
//! The workload (W1 and W1×10) is described in the crate's library (`src/lib.rs`). For each
//! format both writers can produce, this times "build the model + write the bytes" for each
//! writer, every run of both writers at both scales interleaved so that noise from the rest of
//! the machine falls on all of them alike, and prints the medians, the ratio object/objforge,
//! how each writer's time grows from W1 to W1×10, and the output sizes. A
//! counting global allocator measures the heap: what objforge's model holds, the peak while
//! building and writing with `Object::write` (bytes in a `Vec`) and with `Object::write_to`
//! (streamed to a sink), and the `object` crate's peak.
//!
//! Run: `cargo run --release -p objforge-bench` (about 30 s; `-- --quick` for W1 only;
//! `-- --cold` to leave glibc's allocator as it is, see [`keep_freed_memory`]). The results,
//! and what they mean, are in `docs/performance.md`.
//! For profiling, one writer on one format in a loop:
//! `cargo run --release -p objforge-bench -- --only objforge --format elf --scale 10 --runs 5`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use objforge_bench::{import_of, Workload, CALL_DISP, FUNCTION_SIZE, LEA_DISP};

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
/// `--cold` leaves glibc's defaults.
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

/// Builds the workload with the `object` crate's writer and writes it.
fn object_crate(w: &Workload, format: object::BinaryFormat) -> Vec<u8> {
    use object::write::{Object, Relocation, Symbol, SymbolSection};
    use object::*;
    let mut obj = Object::new(format, Architecture::X86_64, Endianness::Little);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    obj.set_section_data(text, w.text.clone(), 16);
    let data = obj.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    obj.set_section_data(data, vec![0; 8 * w.functions], 8);
    let symbol = |name: &str, value, size, kind, section| Symbol {
        name: name.as_bytes().to_vec(),
        value,
        size,
        kind,
        scope: SymbolScope::Linkage,
        weak: false,
        section,
        flags: SymbolFlags::None,
    };
    let imports: Vec<_> = w
        .import_names
        .iter()
        .map(|n| {
            obj.add_symbol(symbol(
                n,
                0,
                0,
                SymbolKind::Unknown,
                SymbolSection::Undefined,
            ))
        })
        .collect();
    let functions: Vec<_> = w
        .function_names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            obj.add_symbol(symbol(
                n,
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
                n,
                8 * i as u64,
                8,
                SymbolKind::Data,
                SymbolSection::Section(data),
            ))
        })
        .collect();
    let flags = |kind, encoding, size| RelocationFlags::Generic {
        kind,
        encoding,
        size,
    };
    for (i, &word) in words.iter().enumerate() {
        let at = (i * FUNCTION_SIZE) as u64;
        let relocations = [
            Relocation {
                offset: at + LEA_DISP as u64,
                symbol: word,
                addend: -4,
                flags: flags(RelocationKind::Relative, RelocationEncoding::Generic, 32),
            },
            Relocation {
                offset: at + CALL_DISP as u64,
                symbol: imports[import_of(i)],
                addend: -4,
                flags: flags(
                    RelocationKind::PltRelative,
                    RelocationEncoding::X86Branch,
                    32,
                ),
            },
        ];
        for r in relocations {
            if let Err(e) = obj.add_relocation(text, r) {
                panic!("object: {e}");
            }
        }
    }
    for (i, &f) in functions.iter().enumerate() {
        let r = Relocation {
            offset: 8 * i as u64,
            symbol: f,
            addend: 0,
            flags: flags(RelocationKind::Absolute, RelocationEncoding::Generic, 64),
        };
        if let Err(e) = obj.add_relocation(data, r) {
            panic!("object: {e}");
        }
    }
    match obj.write() {
        Ok(bytes) => bytes,
        Err(e) => panic!("object: {e}"),
    }
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

/// One objforge run: build + `write`, then build + `write_to`.
struct OursRun {
    time: Duration,
    stream_time: Duration,
    size: usize,
    model: usize,
    peak: usize,
    stream_peak: usize,
}

fn objforge_run(w: &Workload, format: objforge::Format) -> OursRun {
    let base = heap_mark();
    let start = Instant::now();
    let obj = w.objforge_model(format);
    let model = LIVE.load(Ordering::Relaxed) - base;
    let bytes = match obj.write() {
        Ok(bytes) => black_box(bytes),
        Err(e) => panic!("objforge: {e}"),
    };
    let time = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let size = bytes.len();
    drop(bytes);
    drop(obj);

    let base = heap_mark();
    let start = Instant::now();
    let obj = w.objforge_model(format);
    let mut sink = Sink(0);
    if let Err(e) = obj.write_to(&mut sink) {
        panic!("objforge: {e}");
    }
    let stream_time = start.elapsed();
    let stream_peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!(sink.0, size, "write_to and write disagree on the size");
    drop(obj);
    OursRun {
        time,
        stream_time,
        size,
        model,
        peak,
        stream_peak,
    }
}

/// One `object` run: build + write.
fn object_run(w: &Workload, format: object::BinaryFormat) -> (Duration, usize, usize) {
    let base = heap_mark();
    let start = Instant::now();
    let bytes = black_box(object_crate(w, format));
    let time = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    (time, bytes.len(), peak)
}

/// The times of one format at one scale.
#[derive(Default)]
struct Samples {
    ours: Vec<Duration>,
    stream: Vec<Duration>,
    theirs: Vec<Duration>,
}

fn median(mut times: Vec<Duration>) -> Option<Duration> {
    times.sort();
    times.get(times.len() / 2).copied()
}

fn mib(n: usize) -> f64 {
    n as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Medians and peaks of one format at one scale.
struct Row {
    label: &'static str,
    format: &'static str,
    ours: Option<Duration>,
    ours_stream: Option<Duration>,
    theirs: Option<Duration>,
    ours_runs: usize,
    theirs_runs: usize,
    ours_size: usize,
    theirs_size: usize,
    model: usize,
    input: usize,
    peak: usize,
    stream_peak: usize,
    theirs_peak: usize,
}

struct Options {
    quick: bool,
    cold: bool,
    only: Option<String>,
    format: Option<String>,
    scale: Option<usize>,
    runs: Option<usize>,
}

fn options() -> Options {
    let mut o = Options {
        quick: false,
        cold: false,
        only: None,
        format: None,
        scale: None,
        runs: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match a.as_str() {
            "--quick" => o.quick = true,
            "--cold" => o.cold = true,
            "--only" => o.only = Some(value("--only")),
            "--format" => o.format = Some(value("--format")),
            "--scale" => o.scale = value("--scale").parse().ok(),
            "--runs" => o.runs = value("--runs").parse().ok(),
            "--help" | "-h" => {
                println!(
                    "objforge-bench [--quick] [--cold] [--only objforge|object] [--format elf|macho|coff] [--scale N] [--runs N]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other} (try --help)"),
        }
    }
    o
}

fn main() {
    let o = options();
    if !o.cold {
        keep_freed_memory();
    }
    let formats = [
        (objforge::Format::Elf, object::BinaryFormat::Elf),
        (objforge::Format::MachO, object::BinaryFormat::MachO),
        (objforge::Format::Coff, object::BinaryFormat::Coff),
    ];
    // (scale, label, objforge runs, object runs): the object crate takes seconds per W1×10
    // run, so it runs once there; its W1×10 time only shows its growth.
    let scales: Vec<(usize, &'static str, usize, usize)> = match o.scale {
        Some(s) => vec![(s, "custom", o.runs.unwrap_or(5), o.runs.unwrap_or(5))],
        None if o.quick => vec![(1, "W1", 9, 9)],
        None => vec![(1, "W1", 9, 9), (10, "W1x10", 5, 1)],
    };
    let run_ours = o.only.as_deref() != Some("object");
    let run_theirs = o.only.as_deref() != Some("objforge");
    let workloads: Vec<Workload> = scales.iter().map(|&(s, ..)| Workload::new(s)).collect();
    let mut rows = Vec::new();
    for (ours, theirs) in formats {
        if o.format.as_deref().is_some_and(|f| f != ours.name()) {
            continue;
        }
        // Every run of this format, both writers and both scales, interleaved: whatever else
        // the machine does meanwhile falls on all of them alike.
        let mut these: Vec<(Row, Samples)> = scales
            .iter()
            .zip(&workloads)
            .map(|(&(_, label, ours_runs, theirs_runs), w)| {
                let row = Row {
                    label,
                    format: ours.name(),
                    ours: None,
                    ours_stream: None,
                    theirs: None,
                    ours_runs,
                    theirs_runs,
                    ours_size: 0,
                    theirs_size: 0,
                    model: 0,
                    input: w.input_bytes(),
                    peak: 0,
                    stream_peak: 0,
                    theirs_peak: 0,
                };
                (row, Samples::default())
            })
            .collect();
        let rounds = scales
            .iter()
            .map(|&(_, _, a, b)| a.max(b))
            .max()
            .unwrap_or(0);
        for round in 0..rounds {
            for ((row, samples), w) in these.iter_mut().zip(&workloads) {
                if run_ours && round < row.ours_runs {
                    let r = objforge_run(w, ours);
                    samples.ours.push(r.time);
                    samples.stream.push(r.stream_time);
                    row.ours_size = r.size;
                    row.model = r.model;
                    row.peak = row.peak.max(r.peak);
                    row.stream_peak = row.stream_peak.max(r.stream_peak);
                }
                if run_theirs && round < row.theirs_runs {
                    let (t, size, peak) = object_run(w, theirs);
                    samples.theirs.push(t);
                    row.theirs_size = size;
                    row.theirs_peak = row.theirs_peak.max(peak);
                }
            }
        }
        for (mut row, samples) in these {
            row.ours = median(samples.ours);
            row.ours_stream = median(samples.stream);
            row.theirs = median(samples.theirs);
            rows.push(row);
        }
    }
    rows.sort_by_key(|r| scales.iter().position(|s| s.1 == r.label));
    print_report(&rows, o.cold);
}

fn print_report(rows: &[Row], cold: bool) {
    let opt_ms = |d: Option<Duration>| d.map_or("-".to_string(), |d| format!("{:.1}", ms(d)));
    println!(
        "Time: build the model + write the bytes, median of the runs (ms); {}",
        if cold {
            "--cold: glibc malloc defaults, large blocks are fresh pages every run"
        } else {
            "freed memory is reused by the next run"
        }
    );
    println!(
        "{:<7} {:<6} {:>10} {:>10} {:>10} {:>8} {:>6} {:>11} {:>11}",
        "work",
        "format",
        "objforge",
        "write_to",
        "object",
        "obj/of",
        "runs",
        "of out MiB",
        "obj out MiB"
    );
    for r in rows {
        let ratio = match (r.ours, r.theirs) {
            (Some(a), Some(b)) => format!("{:.2}x", b.as_secs_f64() / a.as_secs_f64()),
            _ => "-".into(),
        };
        println!(
            "{:<7} {:<6} {:>10} {:>10} {:>10} {:>8} {:>6} {:>11.1} {:>11.1}",
            r.label,
            r.format,
            opt_ms(r.ours),
            opt_ms(r.ours_stream),
            opt_ms(r.theirs),
            ratio,
            format!("{}/{}", r.ours_runs, r.theirs_runs),
            mib(r.ours_size),
            mib(r.theirs_size),
        );
    }
    let growth: Vec<String> = ["elf", "macho", "coff"]
        .iter()
        .filter_map(|f| {
            let at = |label| rows.iter().find(|r| r.label == label && r.format == *f);
            let (one, ten) = (at("W1")?, at("W1x10")?);
            let g = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
                (Some(a), Some(b)) => format!("{:.1}x", b.as_secs_f64() / a.as_secs_f64()),
                _ => "-".into(),
            };
            Some(format!(
                "{f}: objforge {}, object {}",
                g(one.ours, ten.ours),
                g(one.theirs, ten.theirs)
            ))
        })
        .collect();
    if !growth.is_empty() {
        println!("W1x10 / W1: {}", growth.join("; "));
    }
    println!();
    println!("Heap (MiB): the model objforge writes from; peak while building + writing;");
    println!("limit = model + 1.3 x output; input = the workload's raw bytes (code, data, names,");
    println!("24 bytes per relocation)");
    println!(
        "{:<7} {:<6} {:>7} {:>7} {:>7} {:>9} {:>9} {:>8} {:>9} {:>9}",
        "work",
        "format",
        "input",
        "model",
        "output",
        "write()",
        "write_to",
        "limit",
        "in+1.3out",
        "object"
    );
    for r in rows.iter().filter(|r| r.ours.is_some()) {
        println!(
            "{:<7} {:<6} {:>7.1} {:>7.1} {:>7.1} {:>9.1} {:>9.1} {:>8.1} {:>9.1} {:>9}",
            r.label,
            r.format,
            mib(r.input),
            mib(r.model),
            mib(r.ours_size),
            mib(r.peak),
            mib(r.stream_peak),
            mib(r.model) + 1.3 * mib(r.ours_size),
            mib(r.input) + 1.3 * mib(r.ours_size),
            if r.theirs.is_some() {
                format!("{:.1}", mib(r.theirs_peak))
            } else {
                "-".into()
            },
        );
    }
}
