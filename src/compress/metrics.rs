//! Error metrics between an original tensor `x` and its reconstruction `y` (`quantization.md` §4).
//!
//! | metric | definition |
//! |---|---|
//! | MSE | Σ(x − y)² / n |
//! | RMSE | √MSE |
//! | SQNR (dB) | 10·log10(Σx² / Σ(x − y)²) (PyTorch Numeric Suite `compute_sqnr`); +∞ when the error is 0 |
//! | max abs err | max \|x − y\| |
//! | cosine | Σxy / (‖x‖·‖y‖) on the flattened tensors (1 when both are all-zero) |
//! | clipped fraction | share of elements whose code hit the clip range (set by the quantizer) |
//! | sparsity | share of exact zeros in `y` |
//!
//! Sums are accumulated in f32 lanes over short runs and promoted to f64 per run, so long
//! tensors keep full precision while the inner loop stays vectorisable.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Scalar error metrics of one tensor (or of a whole model, element-weighted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub n: u64,
    pub mse: f64,
    pub rmse: f64,
    pub sqnr_db: f64,
    pub max_abs_err: f64,
    pub cosine: f64,
    pub clipped_fraction: f64,
    pub sparsity: f64,
}

/// Running sums from which [`Metrics`] are derived; mergeable across chunks and tensors.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorSums {
    pub n: u64,
    pub sum_x2: f64,
    pub sum_y2: f64,
    pub sum_xy: f64,
    pub sum_e2: f64,
    pub max_abs_err: f32,
    pub clipped: u64,
    pub zeros: u64,
}

/// Lane width of the vectorised accumulators (one AVX2 register, or two SSE registers, per
/// accumulator).
pub const LANES: usize = 8;
/// Elements per f32 run before promotion to f64.
pub const RUN: usize = 1024;

impl ErrorSums {
    /// Merge two partial sums.
    pub fn merge(mut self, o: Self) -> Self {
        self.n += o.n;
        self.sum_x2 += o.sum_x2;
        self.sum_y2 += o.sum_y2;
        self.sum_xy += o.sum_xy;
        self.sum_e2 += o.sum_e2;
        self.max_abs_err = self.max_abs_err.max(o.max_abs_err);
        self.clipped += o.clipped;
        self.zeros += o.zeros;
        self
    }

    /// Merge partial sums in the order given (the same bits whatever the thread count that
    /// produced them).
    pub fn fold_in_order(parts: impl IntoIterator<Item = Self>) -> Self {
        parts.into_iter().fold(Self::default(), Self::merge)
    }

    /// Collect partial sums from an ordered parallel iterator and merge them in order.
    pub fn fold_par(parts: impl IndexedParallelIterator<Item = Self>) -> Self {
        let parts: Vec<Self> = parts.collect();
        Self::fold_in_order(parts)
    }

    /// Accumulate a pair of slices of equal length (serial; callers parallelise over chunks).
    pub fn add_slices(&mut self, x: &[f32], y: &[f32]) {
        debug_assert_eq!(x.len(), y.len());
        add_slices_into(self, x, y);
    }

    #[inline(always)]
    fn add_scalar_tail(&mut self, x: &[f32], y: &[f32]) {
        for (&a, &b) in x.iter().zip(y) {
            let e = a - b;
            self.n += 1;
            self.sum_x2 += f64::from(a * a);
            self.sum_y2 += f64::from(b * b);
            self.sum_xy += f64::from(a * b);
            self.sum_e2 += f64::from(e * e);
            self.max_abs_err = self.max_abs_err.max(e.abs());
            self.zeros += u64::from(b == 0.0);
        }
    }

    /// Derive the metrics.
    pub fn metrics(&self) -> Metrics {
        let n = self.n.max(1) as f64;
        let mse = self.sum_e2 / n;
        let sqnr_db = if self.sum_e2 == 0.0 {
            f64::INFINITY
        } else if self.sum_x2 == 0.0 {
            f64::NEG_INFINITY
        } else {
            10.0 * (self.sum_x2 / self.sum_e2).log10()
        };
        let denom = (self.sum_x2 * self.sum_y2).sqrt();
        let cosine = if denom > 0.0 {
            (self.sum_xy / denom).clamp(-1.0, 1.0)
        } else if self.sum_x2 == 0.0 && self.sum_y2 == 0.0 {
            1.0
        } else {
            0.0
        };
        Metrics {
            n: self.n,
            mse,
            rmse: mse.sqrt(),
            sqnr_db,
            max_abs_err: f64::from(self.max_abs_err),
            cosine,
            clipped_fraction: self.clipped as f64 / n,
            sparsity: self.zeros as f64 / n,
        }
    }
}

fn add_slices_into(s: &mut ErrorSums, x: &[f32], y: &[f32]) {
    for (xr, yr) in x.chunks(RUN).zip(y.chunks(RUN)) {
        let mut lanes = Lanes::default();
        let whole = xr.len() / LANES * LANES;
        let (xw, xt) = xr.split_at(whole);
        let (yw, yt) = yr.split_at(whole);
        lanes.add_slices(xw, yw);
        lanes.flush(s);
        s.add_scalar_tail(xt, yt);
    }
}

/// A `LANES`-element chunk as an array (callers pass `chunks_exact(LANES)` items).
#[inline(always)]
pub fn lane(a: &[f32]) -> &[f32; LANES] {
    a.try_into().unwrap_or(&[0.0; LANES])
}

/// f32 lane accumulators for one run (≤ [`RUN`] elements). Only Σx², Σe², Σx·e are summed
/// (Σxy = Σx² − Σxe and Σy² = Σx² − 2Σxe + Σe² follow); comparisons are written as selects so
/// the loop compiles to packed SIMD.
#[derive(Default)]
pub struct Lanes {
    pub n: u64,
    pub x2: [f32; LANES],
    pub e2: [f32; LANES],
    pub xe: [f32; LANES],
    pub emax: [f32; LANES],
    pub zeros: [u32; LANES],
}

impl Lanes {
    /// [`Lanes::add`] over slices whose (equal) length is a multiple of [`LANES`].
    #[inline]
    pub fn add_slices(&mut self, x: &[f32], y: &[f32]) {
        crate::simd::dispatch_avx2!(super::avx2::sums(x, y, self));
        let steps = x.len() / LANES;
        let [mut q0, mut q1] = self.halves();
        for (a, b) in x.chunks_exact(LANES).zip(y.chunks_exact(LANES)) {
            let ([a0, a1], [b0, b1]) = (lane(a).as_chunks::<4>().0, lane(b).as_chunks::<4>().0)
            else {
                continue;
            };
            q0.add(a0, b0);
            q1.add(a1, b1);
        }
        self.n += (steps * LANES) as u64;
    }

    /// The two four-lane halves of the accumulators (lanes 0–3 and 4–7). Baseline loops work on
    /// halves: LLVM's SLP vectoriser packs a four-lane body into SSE/NEON registers but leaves an
    /// eight-lane one scalar. Callers add to [`Lanes::n`] themselves.
    #[inline(always)]
    pub fn halves(&mut self) -> [Quad<'_>; 2] {
        let [x2a, x2b] = split(&mut self.x2);
        let [e2a, e2b] = split(&mut self.e2);
        let [xea, xeb] = split(&mut self.xe);
        let [ema, emb] = split(&mut self.emax);
        let (z, _) = self.zeros.as_chunks_mut::<4>();
        let [za, zb] = z else {
            unreachable!("LANES is 8")
        };
        [
            Quad {
                x2: x2a,
                e2: e2a,
                xe: xea,
                emax: ema,
                zeros: za,
            },
            Quad {
                x2: x2b,
                e2: e2b,
                xe: xeb,
                emax: emb,
                zeros: zb,
            },
        ]
    }

    /// Promote into f64 sums.
    pub fn flush(&self, s: &mut ErrorSums) {
        let sum = |v: &[f32; LANES]| v.iter().map(|&v| f64::from(v)).sum::<f64>();
        let (x2, e2, xe) = (sum(&self.x2), sum(&self.e2), sum(&self.xe));
        s.n += self.n;
        s.sum_x2 += x2;
        s.sum_e2 += e2;
        s.sum_xy += x2 - xe;
        s.sum_y2 += x2 - 2.0 * xe + e2;
        s.max_abs_err = self.emax.iter().fold(s.max_abs_err, |m, &v| m.max(v));
        s.zeros += self.zeros.iter().map(|&v| u64::from(v)).sum::<u64>();
    }
}

/// Four lanes of a [`Lanes`] (see [`Lanes::halves`]).
pub struct Quad<'a> {
    pub x2: &'a mut [f32; 4],
    pub e2: &'a mut [f32; 4],
    pub xe: &'a mut [f32; 4],
    pub emax: &'a mut [f32; 4],
    pub zeros: &'a mut [u32; 4],
}

impl Quad<'_> {
    /// e = a − b; x2 += a·a; e2 += e·e; xe += a·e; emax = max(|e|, emax); zeros += (b == 0).
    #[inline(always)]
    pub fn add(&mut self, a: &[f32; 4], b: &[f32; 4]) {
        for k in 0..4 {
            let e = a[k] - b[k];
            self.x2[k] += a[k] * a[k];
            self.e2[k] += e * e;
            self.xe[k] += a[k] * e;
            let ae = e.abs();
            self.emax[k] = if ae > self.emax[k] { ae } else { self.emax[k] };
            self.zeros[k] += u32::from(b[k] == 0.0);
        }
    }
}

#[inline(always)]
fn split(v: &mut [f32; LANES]) -> [&mut [f32; 4]; 2] {
    let (c, _) = v.as_chunks_mut::<4>();
    let [a, b] = c else {
        unreachable!("LANES is 8")
    };
    [a, b]
}

/// Error sums between `x` and `y` (parallel; chunk sums folded in order, so the bits do not
/// depend on the thread count).
pub fn error_sums(x: &[f32], y: &[f32]) -> ErrorSums {
    assert_eq!(x.len(), y.len(), "error_sums: length mismatch");
    let parts: Vec<ErrorSums> = x
        .par_chunks(1 << 16)
        .zip(y.par_chunks(1 << 16))
        .map(|(a, b)| {
            let mut s = ErrorSums::default();
            s.add_slices(a, b);
            s
        })
        .collect();
    ErrorSums::fold_in_order(parts)
}

/// Error sums between `x` and `y` over units of `unit` values (see
/// [`super::granularity::natural_unit`]), folded in order.
pub fn error_sums_in_units(x: &[f32], y: &[f32], unit: usize) -> ErrorSums {
    assert_eq!(x.len(), y.len(), "error_sums: length mismatch");
    let parts: Vec<ErrorSums> = x
        .par_chunks(unit.max(1))
        .zip(y.par_chunks(unit.max(1)))
        .map(|(a, b)| {
            let mut s = ErrorSums::default();
            s.add_slices(a, b);
            s
        })
        .collect();
    ErrorSums::fold_in_order(parts)
}

/// Error sums of keeping one unit `x` unchanged: zero error, and the signal energy of its
/// finite values (an infinite or NaN constant, such as a mask value, is stored exactly and
/// carries no signal).
pub fn identity_sums_of_unit(x: &[f32]) -> ErrorSums {
    let mut s = ErrorSums::default();
    if x.iter().all(|v| v.is_finite()) {
        s.add_slices(x, x);
    } else {
        let finite: Vec<f32> = x.iter().copied().filter(|v| v.is_finite()).collect();
        s.add_slices(&finite, &finite);
        s.n = x.len() as u64;
    }
    s
}

/// [`identity_sums_of_unit`] over units of `unit` values (see
/// [`super::granularity::natural_unit`]), folded in order.
pub fn identity_sums(x: &[f32], unit: usize) -> ErrorSums {
    let parts: Vec<ErrorSums> = x
        .par_chunks(unit.max(1))
        .map(identity_sums_of_unit)
        .collect();
    ErrorSums::fold_in_order(parts)
}

/// Metrics between `x` and `y` (parallel).
pub fn compare(x: &[f32], y: &[f32]) -> Metrics {
    error_sums(x, y).metrics()
}

/// SQNR in dB from the two sums (`+∞` for a perfect reconstruction).
pub fn sqnr_db(sum_x2: f64, sum_e2: f64) -> f64 {
    ErrorSums {
        sum_x2,
        sum_e2,
        ..Default::default()
    }
    .metrics()
    .sqnr_db
}

/// Fraction of exact zeros.
pub fn sparsity(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let zeros: usize = x
        .par_chunks(1 << 16)
        .map(|c| c.iter().filter(|v| **v == 0.0).count())
        .sum();
    zeros as f64 / x.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_metrics() {
        let x = [1.0f32, -2.0, 3.0, 0.0];
        let y = [1.0f32, -2.0, 2.0, 0.0];
        let m = compare(&x, &y);
        assert_eq!(m.mse, 0.25);
        assert_eq!(m.max_abs_err, 1.0);
        assert!((m.sqnr_db - 10.0 * 14f64.log10()).abs() < 1e-12);
        assert_eq!(m.sparsity, 0.25);
        let cos = 11.0 / (14f64.sqrt() * 9f64.sqrt());
        assert!((m.cosine - cos).abs() < 1e-12);
        assert_eq!(compare(&x, &x).sqnr_db, f64::INFINITY);
    }

    #[test]
    fn long_sums_are_exact_enough() {
        let x: Vec<f32> = (0..100_003)
            .map(|i| ((i % 97) as f32 - 48.0) * 0.01)
            .collect();
        let y: Vec<f32> = x.iter().map(|v| v + 0.001).collect();
        let m = compare(&x, &y);
        assert_eq!(m.n, 100_003);
        assert!((m.mse - 1e-6).abs() < 1e-9, "{}", m.mse);
    }
}
