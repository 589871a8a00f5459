//! Range setting (calibration) of one scale group (`quantization.md` §3).
//!
//! - **min-max**: `(min x, max x)`.
//! - **percentile p** (2048-bin histograms): symmetric as pytorch-quantization
//!   `_compute_amax_percentile` (histogram of |x| over `[0, max|x|]`, `idx = searchsorted(cdf, p/100)`
//!   left, amax = left edge of bin `idx`, never below one bin width); asymmetric as ONNX Runtime
//!   (cut `(100 − p)/200` of the mass from each tail of the signed histogram).
//! - **MSE**: GPTQ's grid — for `i = 0 … 79` shrink the range by `1 − i/100`, fake-quantize, keep the
//!   smallest squared error. Groups above 4096 values are evaluated on a 2048-bin histogram
//!   (bin centres weighted by counts) instead of every value.
//! - **KL**: TensorRT entropy calibration (§3.1): 2048-bin histogram of |x|, candidates
//!   `i = L … 2047` with `L = 2^(b−1)` levels; threshold `(m + 0.5)·w` for the best `m`. Symmetric by
//!   nature; with an asymmetric scheme the min-max range is clipped to `±threshold`.

use super::scheme::{Calibration, IntTarget};

/// Histogram bins of the percentile, MSE and KL methods.
pub const CALIB_BINS: usize = 2048;

/// `(lo, hi)` of a group under a calibration method. `levels` = 2^(bits−1) (KL's quantized bins).
pub fn calibrate(x: &[f32], calib: Calibration, spec: &IntTarget) -> (f32, f32) {
    let (lo, hi) = min_max(x);
    match calib {
        Calibration::MinMax => (lo, hi),
        Calibration::Percentile(p) => percentile_range(x, p, spec.symmetric, lo, hi),
        Calibration::Mse => mse_range(x, spec, lo, hi),
        Calibration::Kl => {
            let levels = 1usize << (spec.bits.clamp(1, 11) - 1);
            let t = kl_threshold(x, levels.max(1), lo, hi);
            (lo.max(-t), hi.min(t))
        }
    }
}

/// Finite min and max (`(0, 0)` for an empty or all-NaN group). NaN is skipped.
pub fn min_max(x: &[f32]) -> (f32, f32) {
    // Eight lanes of f32::min/max (packed min/max; a NaN element leaves the lane unchanged).
    let mut lo = [f32::INFINITY; 8];
    let mut hi = [f32::NEG_INFINITY; 8];
    let whole = x.len() / 8 * 8;
    let (body, tail) = x.split_at(whole);
    lane_min_max(body, &mut lo, &mut hi);
    let mut l = lo.iter().fold(f32::INFINITY, |m, &v| m.min(v));
    let mut h = hi.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for &v in tail {
        l = l.min(v);
        h = h.max(v);
    }
    if l > h { (0.0, 0.0) } else { (l, h) }
}

fn lane_min_max(x: &[f32], lo: &mut [f32; 8], hi: &mut [f32; 8]) {
    crate::simd::dispatch_avx2!(super::avx2::min_max(x, lo, hi));
    // Two four-lane halves per step (see `Lanes::add`: SLP vectorises four lanes, not eight).
    let (lo4, _) = lo.as_chunks_mut::<4>();
    let (hi4, _) = hi.as_chunks_mut::<4>();
    for a in x.chunks_exact(8) {
        let (a4, _) = super::metrics::lane(a).as_chunks::<4>();
        for h in 0..2 {
            for k in 0..4 {
                lo4[h][k] = lo4[h][k].min(a4[h][k]);
                hi4[h][k] = hi4[h][k].max(a4[h][k]);
            }
        }
    }
}

/// [`min_max`], with `(+∞, −∞)` (neutral for folding) when no value is a number.
pub fn min_max_or_none(c: &[f32]) -> (f32, f32) {
    // min_max maps "no value" to (0, 0).
    if c.iter().all(|v| v.is_nan()) {
        (f32::INFINITY, f32::NEG_INFINITY)
    } else {
        min_max(c)
    }
}

/// [`min_max`] over rayon chunks (for whole tensors).
pub fn min_max_par(x: &[f32]) -> (f32, f32) {
    use rayon::prelude::*;
    if x.len() < 1 << 16 {
        return min_max(x);
    }
    let (l, h) = x.par_chunks(1 << 16).map(min_max_or_none).reduce(
        || (f32::INFINITY, f32::NEG_INFINITY),
        |a, b| (a.0.min(b.0), a.1.max(b.1)),
    );
    if l > h { (0.0, 0.0) } else { (l, h) }
}

fn abs_hist(x: &[f32], amax: f32, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0f64; bins];
    if amax <= 0.0 {
        h[0] = x.len() as f64;
        return h;
    }
    let s = bins as f32 / amax;
    for &v in x {
        let a = v.abs();
        if a.is_nan() {
            continue;
        }
        let i = ((a * s) as usize).min(bins - 1);
        h[i] += 1.0;
    }
    h
}

fn signed_hist(x: &[f32], lo: f32, hi: f32, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0f64; bins];
    if hi <= lo {
        h[0] = x.len() as f64;
        return h;
    }
    let s = bins as f32 / (hi - lo);
    for &v in x {
        if v.is_nan() {
            continue;
        }
        let i = (((v - lo) * s).max(0.0) as usize).min(bins - 1);
        h[i] += 1.0;
    }
    h
}

/// Index of the first cdf entry ≥ q (NumPy `searchsorted(side="left")`).
fn searchsorted(h: &[f64], q: f64) -> usize {
    let total: f64 = h.iter().sum();
    if total <= 0.0 {
        return 0;
    }
    let mut c = 0.0;
    for (i, &v) in h.iter().enumerate() {
        c += v;
        if c / total >= q {
            return i;
        }
    }
    h.len() - 1
}

fn percentile_range(x: &[f32], p: f64, symmetric: bool, lo: f32, hi: f32) -> (f32, f32) {
    if symmetric {
        let amax = lo.abs().max(hi.abs());
        let h = abs_hist(x, amax, CALIB_BINS);
        let w = amax / CALIB_BINS as f32;
        let idx = searchsorted(&h, p / 100.0);
        let t = (idx as f32 * w).max(w);
        (-t, t)
    } else {
        let h = signed_hist(x, lo, hi, CALIB_BINS);
        let w = (hi - lo) / CALIB_BINS as f32;
        let q = (100.0 - p) / 200.0;
        let i0 = searchsorted(&h, q);
        let i1 = searchsorted(&h, 1.0 - q);
        (lo + i0 as f32 * w, lo + (i1 + 1) as f32 * w)
    }
}

/// Fake-quantize `v` with PyTorch-style params for range `(lo, hi)` (used only by the search).
fn fq(v: f32, s: f32, inv: f32, z: f32, qmin: f32, qmax: f32) -> f32 {
    (((v * inv).round_ties_even() + z).clamp(qmin, qmax) - z) * s
}

fn mse_range(x: &[f32], spec: &IntTarget, lo: f32, hi: f32) -> (f32, f32) {
    if hi <= lo {
        return (lo, hi);
    }
    // Evaluation points: the values themselves or histogram bin centres with counts.
    let (pts, wts): (Vec<f32>, Vec<f64>) = if x.len() <= 4096 {
        (x.to_vec(), vec![1.0; x.len()])
    } else {
        let h = signed_hist(x, lo, hi, CALIB_BINS);
        let w = (hi - lo) / CALIB_BINS as f32;
        h.iter()
            .enumerate()
            .filter(|(_, c)| **c > 0.0)
            .map(|(i, c)| (lo + (i as f32 + 0.5) * w, *c))
            .unzip()
    };
    let (best, mut best_err) = ((lo, hi), f64::INFINITY);
    let mut best = best;
    for i in 0..80 {
        let p = 1.0 - i as f32 / 100.0;
        let (l, h) = (p * lo, p * hi);
        let qp = super::int_quant::qparams(spec, l, h);
        let (qmin, qmax) = spec.qrange();
        let (s, z) = (qp.scale, qp.zero_point as f32);
        let inv = 1.0 / s;
        let err: f64 = pts
            .iter()
            .zip(&wts)
            .map(|(&v, &w)| {
                let e = f64::from(fq(v, s, inv, z, qmin as f32, qmax as f32) - v);
                w * e * e
            })
            .sum();
        if err < best_err {
            best_err = err;
            best = (l, h);
        }
    }
    best
}

/// Merge the first `i` bins of `bins` into `levels` groups (the last absorbs the remainder) and
/// spread each group's mass uniformly over the bins that are non-empty in `p` (TensorRT).
pub fn expand_quantized(bins: &[f64], p: &[f64], levels: usize) -> Vec<f64> {
    let i = bins.len();
    let per = (i / levels).max(1);
    let mut q = vec![0.0f64; i];
    let mut start = 0;
    for j in 0..levels {
        if start >= i {
            break;
        }
        let end = if j + 1 == levels {
            i
        } else {
            (start + per).min(i)
        };
        let mass: f64 = bins[start..end].iter().sum();
        let nonzero = p[start..end].iter().filter(|v| **v != 0.0).count();
        if nonzero > 0 {
            let each = mass / nonzero as f64;
            for k in start..end {
                if p[k] != 0.0 {
                    q[k] = each;
                }
            }
        }
        start = end;
    }
    q
}

/// KL(P‖Q) in nats after normalising both; terms with P = 0 add nothing, P > 0 with Q = 0 give ∞.
pub fn kl_divergence(p: &[f64], q: &[f64]) -> f64 {
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    if sp <= 0.0 || sq <= 0.0 {
        return f64::INFINITY;
    }
    let mut d = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        if a > 0.0 {
            if b <= 0.0 {
                return f64::INFINITY;
            }
            let (pa, qb) = (a / sp, b / sq);
            d += pa * (pa / qb).ln();
        }
    }
    d
}

/// TensorRT entropy threshold for |x| with `levels` quantized bins.
pub fn kl_threshold(x: &[f32], levels: usize, lo: f32, hi: f32) -> f32 {
    let amax = lo.abs().max(hi.abs());
    if amax <= 0.0 || levels >= CALIB_BINS {
        return amax;
    }
    let h = abs_hist(x, amax, CALIB_BINS);
    let w = amax / CALIB_BINS as f32;
    let mut best = (f64::INFINITY, CALIB_BINS - 1);
    let mut p = vec![0.0f64; CALIB_BINS];
    for i in levels..CALIB_BINS {
        p[..i].copy_from_slice(&h[..i]);
        let outliers: f64 = h[i..].iter().sum();
        p[i - 1] += outliers;
        let q = expand_quantized(&h[..i], &p[..i], levels);
        let d = kl_divergence(&p[..i], &q);
        if d < best.0 {
            best = (d, i);
        }
    }
    (best.1 as f32 + 0.5) * w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_worked_example() {
        let p = [1.0, 0.0, 2.0, 3.0, 5.0, 3.0, 1.0, 7.0];
        let q = expand_quantized(&p, &p, 2);
        assert_eq!(q, vec![2.0, 0.0, 2.0, 2.0, 4.0, 4.0, 4.0, 4.0]);
        let d = kl_divergence(&p, &q);
        assert!((d - 0.15031526533674186).abs() < 1e-15, "{d}");
        assert!((d / std::f64::consts::LN_2 - 0.21685908787122615).abs() < 1e-14);
    }

    #[test]
    fn percentile_clips_outlier() {
        let mut x: Vec<f32> = (0..10_000).map(|i| (i as f32 / 10_000.0) - 0.5).collect();
        x.push(100.0);
        let spec = IntTarget::default();
        let (lo, hi) = calibrate(&x, Calibration::Percentile(99.9), &spec);
        assert!(hi < 1.0 && lo > -1.0, "{lo} {hi}");
        let (_, hi) = calibrate(&x, Calibration::Kl, &spec);
        assert!(hi < 100.0);
    }
}
