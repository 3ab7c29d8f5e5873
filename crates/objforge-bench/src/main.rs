//! objforge against the `object` crate's writer, on identical input, in one run.
//!
//! Workload W1: 100,000 x86_64 functions of 64 bytes in `.text`, each with one RIP-relative
//! reference to its data word (pcrel32, addend -4) and one call (x86_branch32) to one of 1,000
//! imports; 100,000 8-byte data words in `.data`, each an abs64 pointer to a function; one
//! global symbol per function and per data word. W1×10 scales every count by ten.
//!
//! For each format both writers can produce, it times "build the model + write the bytes"
//! (the median of several runs), and measures the peak heap each needs above what the input
//! already holds, with a counting allocator.
//!
//! Run: `cargo run --release -p objforge-bench` (`-- --quick` for W1 only).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
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
                let grow = new_size - layout.size();
                let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The workload, as plain data both writers are fed from.
struct Workload {
    functions: usize,
    imports: usize,
    function_names: Vec<String>,
    data_names: Vec<String>,
    import_names: Vec<String>,
    text: Vec<u8>,
}

/// Bytes of one function: `lea rax, [rip+data]`, `call import`, padding, `ret`.
const FUNCTION_SIZE: usize = 64;
const LEA_DISP: usize = 3;
const CALL_DISP: usize = 8;

impl Workload {
    fn new(scale: usize) -> Workload {
        let functions = 100_000 * scale;
        let imports = 1_000;
        let mut body = [0x90u8; FUNCTION_SIZE];
        body[..7].copy_from_slice(&[0x48, 0x8d, 0x05, 0, 0, 0, 0]);
        body[7..12].copy_from_slice(&[0xe8, 0, 0, 0, 0]);
        body[FUNCTION_SIZE - 1] = 0xc3;
        Workload {
            functions,
            imports,
            function_names: (0..functions).map(|i| format!("function_{i}")).collect(),
            data_names: (0..functions).map(|i| format!("data_word_{i}")).collect(),
            import_names: (0..imports).map(|i| format!("import_{i}")).collect(),
            text: body.repeat(functions),
        }
    }

    /// Bytes the input itself holds: code, data words, names, and one relocation record
    /// (offset, symbol, kind, addend: 24 bytes) per relocation.
    fn input_bytes(&self) -> usize {
        let names: usize = self
            .function_names
            .iter()
            .chain(&self.data_names)
            .chain(&self.import_names)
            .map(String::len)
            .sum();
        self.text.len() + 8 * self.functions + names + 24 * 3 * self.functions
    }
}

fn build_objforge(w: &Workload, format: objforge::Format) -> Vec<u8> {
    use objforge::*;
    let mut obj = Object::new(Target::new(Architecture::X86_64, format));
    obj.sections.reserve(2);
    obj.symbols.reserve(2 * w.functions + w.imports);
    obj.relocations.reserve(3 * w.functions);
    let text = obj.add_section(
        Section::new(".text", SectionKind::Text)
            .with_align(16)
            .with_bytes(w.text.clone()),
    );
    let data = obj.add_section(
        Section::new(".data", SectionKind::Data)
            .with_align(8)
            .with_bytes(vec![0; 8 * w.functions]),
    );
    let imports: Vec<SymbolId> = w
        .import_names
        .iter()
        .map(|n| obj.add_symbol(Symbol::undefined(n.as_str())))
        .collect();
    let first_function = obj.symbols.len();
    for (i, name) in w.function_names.iter().enumerate() {
        obj.add_symbol(
            Symbol::defined(name.as_str(), text, (i * FUNCTION_SIZE) as u64)
                .with_kind(SymbolKind::Func)
                .with_binding(Binding::Global)
                .with_size(FUNCTION_SIZE as u64),
        );
    }
    let first_data = obj.symbols.len();
    for (i, name) in w.data_names.iter().enumerate() {
        obj.add_symbol(
            Symbol::defined(name.as_str(), data, 8 * i as u64)
                .with_kind(SymbolKind::Object)
                .with_binding(Binding::Global)
                .with_size(8),
        );
    }
    for i in 0..w.functions {
        let at = (i * FUNCTION_SIZE) as u64;
        obj.add_relocation(
            Relocation::new(
                text,
                at + LEA_DISP as u64,
                SymbolId(first_data + i),
                RelocKind::Pcrel32,
            )
            .with_addend(-4),
        );
        obj.add_relocation(
            Relocation::new(
                text,
                at + CALL_DISP as u64,
                imports[i % w.imports],
                RelocKind::X86Branch32,
            )
            .with_addend(-4),
        );
    }
    for i in 0..w.functions {
        obj.add_relocation(Relocation::new(
            data,
            8 * i as u64,
            SymbolId(first_function + i),
            RelocKind::Abs64,
        ));
    }
    match obj.write() {
        Ok(bytes) => bytes,
        Err(e) => panic!("objforge: {e}"),
    }
}

fn build_object(w: &Workload, format: object::BinaryFormat) -> Vec<u8> {
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
    for i in 0..w.functions {
        let at = (i * FUNCTION_SIZE) as u64;
        let relocations = [
            Relocation {
                offset: at + LEA_DISP as u64,
                symbol: words[i],
                addend: -4,
                flags: flags(RelocationKind::Relative, RelocationEncoding::Generic, 32),
            },
            Relocation {
                offset: at + CALL_DISP as u64,
                symbol: imports[i % w.imports],
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

/// One writer's numbers for one format and workload.
struct Measurement {
    median: Duration,
    size: usize,
    peak_heap: usize,
}

fn measure(runs: usize, mut f: impl FnMut() -> Vec<u8>) -> Measurement {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    let mut peak_heap = 0;
    for _ in 0..runs {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let bytes = black_box(f());
        times.push(start.elapsed());
        peak_heap = peak_heap.max(PEAK.load(Ordering::Relaxed) - base);
        size = bytes.len();
        drop(bytes);
    }
    times.sort();
    Measurement {
        median: times[times.len() / 2],
        size,
        peak_heap,
    }
}

fn mib(n: usize) -> f64 {
    n as f64 / (1024.0 * 1024.0)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let formats = [
        (objforge::Format::Elf, object::BinaryFormat::Elf),
        (objforge::Format::MachO, object::BinaryFormat::MachO),
        (objforge::Format::Coff, object::BinaryFormat::Coff),
    ];
    println!(
        "{:<6} {:<6} {:>12} {:>12} {:>7} {:>11} {:>11} {:>10} {:>10} {:>9}",
        "work",
        "format",
        "objforge",
        "object",
        "ratio",
        "objforge",
        "object",
        "objforge",
        "object",
        "input"
    );
    println!(
        "{:<6} {:<6} {:>12} {:>12} {:>7} {:>11} {:>11} {:>10} {:>10} {:>9}",
        "", "", "median", "median", "obj/of", "out MiB", "out MiB", "peak MiB", "peak MiB", "MiB"
    );
    let scales: &[(usize, &str, usize)] = if quick {
        &[(1, "W1", 7)]
    } else {
        &[(1, "W1", 7), (10, "W1x10", 3)]
    };
    for &(scale, label, runs) in scales {
        let w = Workload::new(scale);
        for (ours, theirs) in formats {
            if !objforge::WRITABLE_FORMATS.contains(&ours) {
                println!(
                    "{label:<6} {:<6} (objforge cannot write this format yet)",
                    ours.name()
                );
                continue;
            }
            let a = measure(runs, || build_objforge(&w, ours));
            let b = measure(runs, || build_object(&w, theirs));
            println!(
                "{label:<6} {:<6} {:>10.1}ms {:>10.1}ms {:>6.2}x {:>11.1} {:>11.1} {:>10.1} {:>10.1} {:>9.1}",
                ours.name(),
                a.median.as_secs_f64() * 1e3,
                b.median.as_secs_f64() * 1e3,
                b.median.as_secs_f64() / a.median.as_secs_f64(),
                mib(a.size),
                mib(b.size),
                mib(a.peak_heap),
                mib(b.peak_heap),
                mib(w.input_bytes()),
            );
        }
    }
}
