//! The CLI comparison: `objforge build SPEC -o OUT` against `object-json SPEC -o OUT` (this
//! crate's JSON-to-`object` program), as whole processes, run in turn (A B A B …) after one
//! warm-up of each; wall time and peak resident memory of each run from `wait4(2)`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// `struct rusage` of Linux (x86_64 and aarch64 layout: two `timeval`s, then 14 longs).
#[repr(C)]
#[derive(Default)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    /// `wait4(2)`: waits for `pid` and reports its resource usage.
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

/// One finished run: wall time, peak resident memory in KiB, exit status.
struct Run {
    wall: Duration,
    maxrss_kib: i64,
    status: i32,
}

/// Runs `program args` once, its output to the null device.
fn run(program: &Path, args: &[&str]) -> Result<Run, String> {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let pid = i32::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status = 0;
    let mut usage = Rusage::default();
    // SAFETY: `pid` is our child, not yet waited for (the `Child` is never waited on); the
    // pointers are to live locals of the right layout.
    let got = unsafe { wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if got != pid {
        return Err(format!("wait4 failed for {}", program.display()));
    }
    Ok(Run {
        wall,
        maxrss_kib: usage.maxrss,
        status,
    })
}

fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> Option<T> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied()
}

/// Compares the two programs on `spec` over `runs` pairs and prints one line.
pub fn compare(spec: &str, runs: usize) -> Result<(), String> {
    let dir: PathBuf = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no directory for the benchmark's own executable")?;
    let ours = dir.join("objforge");
    let theirs = dir.join("object-json");
    let out_dir = std::env::temp_dir();
    let ours_out = out_dir.join(format!("objforge-bench-{}-of.o", std::process::id()));
    let theirs_out = out_dir.join(format!("objforge-bench-{}-obj.o", std::process::id()));
    let (ours_out, theirs_out) = (
        ours_out.display().to_string(),
        theirs_out.display().to_string(),
    );
    let ours_args = ["build", spec, "-o", ours_out.as_str()];
    let theirs_args = [spec, "-o", theirs_out.as_str()];
    let mut of = Vec::new();
    let mut obj = Vec::new();
    for round in 0..=runs {
        let a = run(&ours, &ours_args)?;
        let b = run(&theirs, &theirs_args)?;
        if a.status != 0 || b.status != 0 {
            return Err(format!(
                "a program failed (objforge status {}, object-json status {})",
                a.status, b.status
            ));
        }
        // Round 0 is the warm-up.
        if round > 0 {
            of.push(a);
            obj.push(b);
        }
    }
    let size = |p: &str| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
    let ratios: Vec<f64> = of
        .iter()
        .zip(&obj)
        .map(|(a, b)| b.wall.as_secs_f64() / a.wall.as_secs_f64())
        .collect();
    let rss = |v: &[Run]| median(v.iter().map(|r| r.maxrss_kib).collect()).unwrap_or(0);
    println!(
        "CLI    {spec}: objforge build {:.1} ms, object-json {:.1} ms, obj/of {:.2}x (median of \
         {runs} pairwise ratios); peak RSS {:.1} / {:.1} MiB; output {} / {} bytes",
        ms(median(of.iter().map(|r| r.wall).collect())),
        ms(median(obj.iter().map(|r| r.wall).collect())),
        median(ratios).unwrap_or(0.0),
        rss(&of) as f64 / 1024.0,
        rss(&obj) as f64 / 1024.0,
        size(&ours_out),
        size(&theirs_out),
    );
    let _ = std::fs::remove_file(&ours_out);
    let _ = std::fs::remove_file(&theirs_out);
    Ok(())
}
