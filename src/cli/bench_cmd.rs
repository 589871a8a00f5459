//! `bitlens bench [--json] [--log2 N] [--reps R]`: throughput of the compression kernels on a
//! seeded 2^N-element (default 2^24) f32 tensor, measured now on this machine, beside memcpy and
//! the NumPy figures of the reference machine. Run `shared/bench/numpy_peer.py` right before or
//! after to compare on the same machine.
//!
//! JSON (`--json`): `{"n": 16777216, "threads": 2, "results": [{"id", "label", "melem_per_s",
//! "ratio_to_memcpy", "numpy_reference", "target", "check"}, ...]}`.

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
    let mut rows = Vec::new();
    let mut memcpy = f64::NAN;
    for op in Op::ALL {
        let (m, check) = bench::measure(op, &x, &mut out, a.reps);
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
    if a.json {
        let o = Out {
            n,
            threads: rayon::current_num_threads(),
            results: rows,
        };
        println!("{}", serde_json::to_string_pretty(&o)?);
        return Ok(());
    }
    println!(
        "bitlens bench: n = {n} f32, {} threads, best of {}",
        rayon::current_num_threads(),
        a.reps
    );
    println!(
        "{:<40} {:>12} {:>9} {:>10} {:>8}",
        "operation", "Melem/s", "/memcpy", "NumPy ref", "target"
    );
    for r in &rows {
        let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.0}"));
        println!(
            "{:<40} {:>12.1} {:>9.3} {:>10} {:>8}",
            r.label,
            r.melem_per_s,
            r.ratio_to_memcpy,
            opt(r.numpy_reference),
            opt(r.target)
        );
    }
    Ok(())
}
