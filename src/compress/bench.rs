//! The benchmark workload shared by `bitlens bench` and `benches/compress.rs`: the same
//! operations as `shared/bench/numpy_peer.py` on a seeded N(0, 0.02²) tensor of shape
//! `[4096, n/4096]`. Each operation writes into one preallocated output (peak extra memory: one
//! copy of the tensor) and returns a checksum so nothing is optimised away.

use std::time::Instant;

use rayon::prelude::*;

use super::float_quant::{FloatKernel, float_spec};
use super::granularity::{GroupMap, drive};
use super::histogram;
use super::int_quant::IntKernel;
use super::prune;
use super::rng;
use super::scheme::{Calibration, Granularity, IntTarget, QuantRounding, ScaleFormat};

/// Rows of the benchmark matrix (as numpy_peer.py).
pub const ROWS: usize = 4096;

/// One benchmarked operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Memcpy,
    Int8PerTensorSym,
    Int8PerChannelAsym,
    Int4Group128Asym,
    Fp8E4m3Scaled,
    Bf16Cast,
    Histogram512,
    MagnitudePrune50,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::Memcpy,
        Op::Int8PerTensorSym,
        Op::Int8PerChannelAsym,
        Op::Int4Group128Asym,
        Op::Fp8E4m3Scaled,
        Op::Bf16Cast,
        Op::Histogram512,
        Op::MagnitudePrune50,
    ];

    /// Stable id (JSON key).
    pub fn id(self) -> &'static str {
        match self {
            Op::Memcpy => "memcpy",
            Op::Int8PerTensorSym => "int8_per_tensor_sym_sqnr",
            Op::Int8PerChannelAsym => "int8_per_channel_asym_sqnr",
            Op::Int4Group128Asym => "int4_group128_asym_sqnr",
            Op::Fp8E4m3Scaled => "fp8_e4m3_scaled_cast_sqnr",
            Op::Bf16Cast => "bf16_cast_sqnr",
            Op::Histogram512 => "histogram_512",
            Op::MagnitudePrune50 => "magnitude_prune_50",
        }
    }

    /// Label as printed by numpy_peer.py.
    pub fn label(self) -> &'static str {
        match self {
            Op::Memcpy => "memcpy (limit reference)",
            Op::Int8PerTensorSym => "int8 per-tensor symmetric + SQNR",
            Op::Int8PerChannelAsym => "int8 per-channel asymmetric + SQNR",
            Op::Int4Group128Asym => "int4 group-128 asymmetric + SQNR",
            Op::Fp8E4m3Scaled => "fp8 e4m3 scaled cast + SQNR",
            Op::Bf16Cast => "bf16 cast + SQNR",
            Op::Histogram512 => "histogram 512 bins",
            Op::MagnitudePrune50 => "magnitude prune 50%",
        }
    }

    /// NumPy / ml_dtypes figure on the reference machine (M elements/s, from the issue), if any.
    pub fn numpy_reference(self) -> Option<f64> {
        match self {
            Op::Memcpy => Some(2455.0),
            Op::Int8PerChannelAsym => Some(171.0),
            Op::Int4Group128Asym => Some(148.0),
            Op::Fp8E4m3Scaled => Some(59.0),
            Op::Histogram512 => Some(181.0),
            Op::MagnitudePrune50 => Some(82.0),
            _ => None,
        }
    }

    /// The floor (M elements/s), if any.
    pub fn target(self) -> Option<f64> {
        match self {
            Op::Int8PerChannelAsym => Some(1500.0),
            Op::Int4Group128Asym => Some(1200.0),
            Op::Fp8E4m3Scaled => Some(800.0),
            Op::Histogram512 => Some(1500.0),
            Op::MagnitudePrune50 => Some(400.0),
            _ => None,
        }
    }
}

/// Standard normal × 0.02, seeded (Box–Muller on the counter-based generator).
pub fn make_input(n: usize, seed: u64) -> Vec<f32> {
    (0..n)
        .into_par_iter()
        .map(|i| {
            let u1 = (f64::from(rng::uniform01(seed, 2 * i as u64)) + 0.5 / 16_777_216.0).min(1.0);
            let u2 = f64::from(rng::uniform01(seed, 2 * i as u64 + 1));
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            (z * 0.02) as f32
        })
        .collect()
}

fn int_kernel(bits: u8, symmetric: bool) -> IntKernel {
    IntKernel {
        spec: IntTarget {
            bits,
            signed: true,
            symmetric,
            restricted: false,
        },
        calibration: Calibration::MinMax,
        rounding: QuantRounding::NearestEven,
        scale_format: ScaleFormat::F32,
    }
}

/// Run one operation on `x` (shape `[ROWS, n/ROWS]`) into `out`; returns a checksum (an SQNR,
/// a count, …).
pub fn run_op(op: Op, x: &[f32], out: &mut [f32]) -> f64 {
    let n = x.len();
    let shape = [ROWS.min(n.max(1)), n / ROWS.min(n.max(1))];
    let map = |g| {
        GroupMap::new(&shape, n, g).unwrap_or(GroupMap::Contiguous {
            row_len: n.max(1),
            group: n.max(1),
            rows: 1,
        })
    };
    match op {
        Op::Memcpy => {
            out.par_chunks_mut(1 << 16)
                .zip(x.par_chunks(1 << 16))
                .for_each(|(o, i)| o.copy_from_slice(i));
            f64::from(out[n / 2])
        }
        Op::Int8PerTensorSym => {
            drive(
                &int_kernel(8, true),
                map(Granularity::Tensor),
                &shape,
                x,
                out,
                None,
            )
            .1
            .metrics()
            .sqnr_db
        }
        Op::Int8PerChannelAsym => {
            drive(
                &int_kernel(8, false),
                map(Granularity::Channel { axis: 0 }),
                &shape,
                x,
                out,
                None,
            )
            .1
            .metrics()
            .sqnr_db
        }
        Op::Int4Group128Asym => {
            drive(
                &int_kernel(4, false),
                map(Granularity::Group { size: 128 }),
                &shape,
                x,
                out,
                None,
            )
            .1
            .metrics()
            .sqnr_db
        }
        Op::Fp8E4m3Scaled | Op::Bf16Cast => {
            let (name, scaled) = if op == Op::Fp8E4m3Scaled {
                ("e4m3fn", true)
            } else {
                ("bf16", false)
            };
            let spec = float_spec(name).unwrap_or_else(|e| panic!("numfmt lacks {name}: {e}"));
            let k = FloatKernel::new(&spec, scaled, Calibration::MinMax);
            drive(&k, map(Granularity::Tensor), &shape, x, out, None)
                .1
                .metrics()
                .sqnr_db
        }
        Op::Histogram512 => histogram::histogram(x, 512).counts[256] as f64,
        Op::MagnitudePrune50 => prune::magnitude_prune_into(x, out, n / 2) as f64,
    }
}

/// `(current, peak)` resident set size of this process in bytes (Linux `/proc/self/status`
/// `VmRSS` / `VmHWM`); `None` elsewhere.
pub fn rss_bytes() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = s.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Best-of-`reps` throughput of `op` in M elements/s.
pub fn measure(op: Op, x: &[f32], out: &mut [f32], reps: usize) -> (f64, f64) {
    let mut best = f64::INFINITY;
    let mut check = 0.0;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        check = run_op(op, x, out);
        best = best.min(t.elapsed().as_secs_f64());
    }
    (x.len() as f64 / best / 1e6, check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_run_and_match_expectations() {
        let n = ROWS * 256;
        let x = make_input(n, 0);
        let mut out = vec![0.0; n];
        let s8 = run_op(Op::Int8PerChannelAsym, &x, &mut out);
        assert!(s8 > 35.0 && s8 < 50.0, "{s8}");
        let s4 = run_op(Op::Int4Group128Asym, &x, &mut out);
        assert!(s4 > 12.0 && s4 < 25.0, "{s4}");
        let f8 = run_op(Op::Fp8E4m3Scaled, &x, &mut out);
        assert!(f8 > 25.0 && f8 < 40.0, "{f8}");
        assert_eq!(run_op(Op::MagnitudePrune50, &x, &mut out), (n / 2) as f64);
        assert_eq!(out.iter().filter(|v| **v == 0.0).count(), n / 2);
        let std = (x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>() / n as f64).sqrt();
        assert!((std - 0.02).abs() < 0.001, "{std}");
    }
}
