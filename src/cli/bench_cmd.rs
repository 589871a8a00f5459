//! `bitlens bench [--json] [--log2 N] [--reps R]`: throughput of the compression kernels on a
//! seeded 2^N-element (default 2^24) f32 tensor, measured now on this machine, beside memcpy and
//! the NumPy figures of the reference machine. Run `shared/bench/numpy_peer.py` right before or
//! after to compare on the same machine.
//!
//! JSON (`--json`): `{"n": 16777216, "threads": 2, "simd": "avx2+fma", "peak_extra_bytes": …,
//! "tensor_bytes": …, "results": [{"id", "label", "melem_per_s", "ratio_to_memcpy",
//! "numpy_reference", "target", "check"}, ...]}`.
//!
//! `peak_extra_bytes` is the resident-set high-water mark during the operations minus the
//! resident set once the input and the one output buffer exist (Linux; `null` elsewhere), so the
//! issue's "peak extra memory ≤ one copy of the tensor" can be read off: the output buffer is that
//! one copy, and this figure is what the kernels need beyond it.

use anyhow::Result;
use serde::Serialize;

use super::UsageError;
use crate::compress::bench::{self, Op};

#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// log2 of the element count (10–28).
    #[arg(long, default_value_t = 24)]
    pub log2: u32,
    /// Repetitions per operation (best is reported).
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
}

#[derive(Serialize)]
struct Row {
    id: &'static str,
    label: &'static str,
    melem_per_s: f64,
    ratio_to_memcpy: f64,
    numpy_reference: Option<f64>,
    target: Option<f64>,
    check: f64,
}

#[derive(Serialize)]
struct Out {
    n: usize,
    threads: usize,
    simd: &'static str,
    tensor_bytes: usize,
    peak_extra_bytes: Option<u64>,
    results: Vec<Row>,
}

/// Run the command.
pub fn run(a: &BenchArgs) -> Result<()> {
    if !(10..=28).contains(&a.log2) {
        return Err(UsageError(format!("--log2 must be 10…28, got {}", a.log2)).into());
    }
    let n = 1usize << a.log2;
    let x = bench::make_input(n, 0);
    let mut out = vec![0.0f32; n];
    // Touch the output so its pages count in the baseline resident set.
    out.iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
    let rss_before = bench::rss_bytes().map(|(rss, _)| rss);
    let rows = measure_all(&x, &mut out, a.reps);
    let peak_extra = match (rss_before, bench::rss_bytes()) {
        (Some(b), Some((_, hwm))) => Some(hwm.saturating_sub(b)),
        _ => None,
    };
    let o = Out {
        n,
        threads: rayon::current_num_threads(),
        simd: crate::simd::level(),
        tensor_bytes: n * 4,
        peak_extra_bytes: peak_extra,
        results: rows,
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&o)?);
        return Ok(());
    }
    print_text(&o, a.reps);
    Ok(())
}

/// Every operation on `x` into `out`, best of `reps`, with its speed relative to memcpy (the
/// first operation).
fn measure_all(x: &[f32], out: &mut [f32], reps: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut memcpy = f64::NAN;
    for op in Op::ALL {
        let (m, check) = bench::measure(op, x, out, reps);
        if op == Op::Memcpy {
            memcpy = m;
        }
        rows.push(Row {
            id: op.id(),
            label: op.label(),
            melem_per_s: m,
            ratio_to_memcpy: m / memcpy,
            numpy_reference: op.numpy_reference(),
            target: op.target(),
            check,
        });
    }
    rows
}

fn print_text(o: &Out, reps: usize) {
    outln!(
        "bitlens bench: n = {} f32, {} threads, {} kernels, best of {}",
        o.n,
        o.threads,
        o.simd,
        reps
    );
    outln!(
        "{:<40} {:>12} {:>9} {:>10} {:>8}",
        "operation",
        "Melem/s",
        "/memcpy",
        "NumPy ref",
        "target"
    );
    for r in &o.results {
        let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.0}"));
        outln!(
            "{:<40} {:>12.1} {:>9.3} {:>10} {:>8}",
            r.label,
            r.melem_per_s,
            r.ratio_to_memcpy,
            opt(r.numpy_reference),
            opt(r.target)
        );
    }
    let mib = |b: u64| b as f64 / 1_048_576.0;
    match o.peak_extra_bytes {
        Some(p) => outln!(
            "peak extra memory beyond the input and one output buffer: {:.1} MiB \
             (one copy of the tensor = {:.1} MiB)",
            mib(p),
            mib(o.tensor_bytes as u64)
        ),
        None => outln!("peak extra memory: not measurable on this system"),
    }
}
