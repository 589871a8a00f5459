//! Histograms with exact counts and shared bin edges (before / after / error views).
//!
//! Edges are `lo + i·(hi − lo)/bins` for `i = 0…bins` (NumPy's `linspace`); element `v` falls in
//! bin `⌊(v − lo)·bins/(hi − lo)⌋`, clamped so that `v = hi` lands in the last bin (NumPy's
//! closed last bin). Values outside `[lo, hi]` are counted in `below` / `above`, NaN in `nan`, so
//! `Σ counts + below + above + nan = n` exactly for any tensor size (counts are `u64`).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A histogram over `bins` equal-width bins of `[lo, hi]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<u64>,
    pub below: u64,
    pub above: u64,
    pub nan: u64,
}

/// Histograms of the original, the reconstruction and the error, the first two on shared edges.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistogramSet {
    pub before: Histogram,
    pub after: Histogram,
    /// Error `y − x` on its own symmetric range `[−max|e|, max|e|]`.
    pub error: Histogram,
}

impl Histogram {
    /// Bin edges (`bins + 1` values).
    pub fn edges(&self) -> Vec<f32> {
        let n = self.counts.len();
        let w = (f64::from(self.hi) - f64::from(self.lo)) / n.max(1) as f64;
        (0..=n)
            .map(|i| (f64::from(self.lo) + i as f64 * w) as f32)
            .collect()
    }

    /// Total number of values seen (in range, out of range and NaN).
    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.below + self.above + self.nan
    }
}

/// Finite min and max of `x` (`None` when there is no finite value).
pub fn finite_range(x: &[f32]) -> Option<(f32, f32)> {
    let (lo, hi) = x
        .par_chunks(1 << 16)
        .map(|c| {
            let (l, h) = super::range::min_max(c);
            if l.is_finite() && h.is_finite() {
                (l, h)
            } else {
                // Rare: ±Inf present (NaN is already skipped); redo without them.
                c.iter()
                    .filter(|v| v.is_finite())
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                        (l.min(v), h.max(v))
                    })
            }
        })
        .reduce(
            || (f32::INFINITY, f32::NEG_INFINITY),
            |a, b| (a.0.min(b.0), a.1.max(b.1)),
        );
    (lo <= hi).then_some((lo, hi))
}

/// Histogram of `x` over `bins` bins spanning its finite range.
pub fn histogram(x: &[f32], bins: usize) -> Histogram {
    let (lo, hi) = finite_range(x).unwrap_or((0.0, 1.0));
    histogram_range(x, bins, lo, hi)
}

/// Per-thread counts: four interleaved tables so repeated bins do not serialise on one counter
/// (u32 per table: exact up to 2^34 elements per thread).
struct Acc {
    t: Vec<u32>,
    below: u64,
    above: u64,
    nan: u64,
}

/// Histogram of `x` over `bins` bins of `[lo, hi]` (a zero-width range becomes `[lo − ½, lo + ½]`,
/// as NumPy does).
pub fn histogram_range(x: &[f32], bins: usize, lo: f32, hi: f32) -> Histogram {
    let bins = bins.max(1);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let scale = (bins as f64 / (f64::from(hi) - f64::from(lo))) as f32;
    let acc = x
        .par_chunks(1 << 16)
        .fold(
            || Acc {
                t: vec![0u32; 4 * bins],
                below: 0,
                above: 0,
                nan: 0,
            },
            |mut acc, c| {
                count_chunk(&mut acc, c, lo, hi, scale);
                acc
            },
        )
        .map(|a| {
            let (t, b) = (&a.t, bins);
            let counts: Vec<u64> = (0..b)
                .map(|i| {
                    u64::from(t[i])
                        + u64::from(t[b + i])
                        + u64::from(t[2 * b + i])
                        + u64::from(t[3 * b + i])
                })
                .collect();
            (counts, a.below, a.above, a.nan)
        })
        .reduce(
            || (vec![0u64; bins], 0, 0, 0),
            |mut a, b| {
                for (x, y) in a.0.iter_mut().zip(&b.0) {
                    *x += *y;
                }
                (a.0, a.1 + b.1, a.2 + b.2, a.3 + b.3)
            },
        );
    let (counts, below, above, nan) = acc;
    Histogram {
        lo,
        hi,
        counts,
        below,
        above,
        nan,
    }
}

/// Bin of `v` (clamped into `0..bins`; callers check the range separately).
#[inline(always)]
fn bin_of(v: f32, lo: f32, scale: f32, bins: usize) -> usize {
    let t = (v - lo) * scale;
    let t = if t > 0.0 { t } else { 0.0 };
    (t as u32 as usize).min(bins - 1)
}

/// Elements per block of the counting loop: indices computed in SIMD, then counted.
const BLOCK: usize = 16;

/// Count one chunk into `acc` (bins = `acc.t.len() / 4`): blocks of [`BLOCK`] values entirely
/// inside `[lo, hi]` are binned in SIMD and counted in four interleaved tables; other blocks and
/// the tail go through the exact per-value path.
fn count_chunk(acc: &mut Acc, c: &[f32], lo: f32, hi: f32, scale: f32) {
    let bins = acc.t.len() / 4;
    if bins == 0 {
        return;
    }
    let whole = c.len() / BLOCK * BLOCK;
    let (body, tail) = c.split_at(whole);
    let mut rare = Vec::new();
    count_blocks(&mut acc.t, body, lo, hi, scale, &mut rare);
    rare.extend_from_slice(tail);
    for &v in &rare {
        if v.is_nan() {
            acc.nan += 1;
        } else if v < lo {
            acc.below += 1;
        } else if v > hi {
            acc.above += 1;
        } else {
            acc.t[bin_of(v, lo, scale, bins)] += 1;
        }
    }
}

fn count_blocks(t: &mut [u32], body: &[f32], lo: f32, hi: f32, scale: f32, rare: &mut Vec<f32>) {
    crate::simd::dispatch_avx2!(super::avx2::histogram(body, lo, hi, scale, t, rare));
    let bins = t.len() / 4;
    let (t0, rest) = t.split_at_mut(bins);
    let (t1, rest) = rest.split_at_mut(bins);
    let (t2, t3) = rest.split_at_mut(bins);
    for a in body.chunks_exact(BLOCK) {
        let mut idx = [0usize; BLOCK];
        let mut out = 0u32;
        for k in 0..BLOCK {
            out |= u32::from(!((a[k] >= lo) & (a[k] <= hi)));
            idx[k] = bin_of(a[k], lo, scale, bins);
        }
        if out == 0 {
            for q in idx.chunks_exact(4) {
                t0[q[0]] += 1;
                t1[q[1]] += 1;
                t2[q[2]] += 1;
                t3[q[3]] += 1;
            }
        } else {
            rare.extend_from_slice(a);
        }
    }
}

/// Before/after histograms on the shared range of both tensors, plus the error histogram.
pub fn histogram_set(x: &[f32], y: &[f32], bins: usize) -> HistogramSet {
    let rx = finite_range(x);
    let ry = finite_range(y);
    let (lo, hi) = match (rx, ry) {
        (Some(a), Some(b)) => (a.0.min(b.0), a.1.max(b.1)),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => (0.0, 1.0),
    };
    let err: Vec<f32> = x.par_iter().zip(y.par_iter()).map(|(a, b)| b - a).collect();
    let emax = finite_range(&err).map_or(0.0, |(l, h)| l.abs().max(h.abs()));
    let emax = if emax > 0.0 { emax } else { 1e-12 };
    HistogramSet {
        before: histogram_range(x, bins, lo, hi),
        after: histogram_range(y, bins, lo, hi),
        error: histogram_range(&err, bins, -emax, emax),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_and_match_numpy_edges() {
        // np.histogram([0, 1, 2, 3, 4], bins=4) -> [1, 1, 1, 2]
        let h = histogram(&[0.0, 1.0, 2.0, 3.0, 4.0], 4);
        assert_eq!(h.counts, vec![1, 1, 1, 2]);
        assert_eq!(h.edges(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        let x: Vec<f32> = (0..1_000_001u64)
            .map(|i| ((i * 7919) % 1000) as f32 * 0.001 - 0.5)
            .collect();
        let mut x2 = x.clone();
        x2.push(f32::NAN);
        x2.push(f32::INFINITY);
        let h = histogram(&x2, 512);
        assert_eq!(h.counts.iter().sum::<u64>(), 1_000_001);
        assert_eq!((h.nan, h.above), (1, 1));
        assert_eq!(h.total(), x2.len() as u64);
    }

    #[test]
    fn constant_tensor() {
        let h = histogram(&[2.0; 10], 3);
        assert_eq!(h.counts, vec![0, 10, 0]);
    }
}
