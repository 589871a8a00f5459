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
    let last = (bins - 1) as f32;
    let bin_of = move |v: f32| -> usize {
        let t = (v - lo) * scale;
        let t = if t > 0.0 { t } else { 0.0 };
        let t = if t < last { t } else { last };
        t as usize
    };
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
                let mut it = c.chunks_exact(8);
                for a in it.by_ref() {
                    let mut idx = [0usize; 8];
                    let mut ok = true;
                    for k in 0..8 {
                        ok &= (a[k] >= lo) & (a[k] <= hi);
                        idx[k] = bin_of(a[k]);
                    }
                    if ok {
                        for (k, &i) in idx.iter().enumerate() {
                            acc.t[(k & 3) * bins + i] += 1;
                        }
                    } else {
                        for &v in a {
                            slow(&mut acc, v, lo, hi, bin_of(v));
                        }
                    }
                }
                for &v in it.remainder() {
                    slow(&mut acc, v, lo, hi, bin_of(v));
                }
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

#[inline]
fn slow(acc: &mut Acc, v: f32, lo: f32, hi: f32, i: usize) {
    if v.is_nan() {
        acc.nan += 1;
    } else if v < lo {
        acc.below += 1;
    } else if v > hi {
        acc.above += 1;
    } else {
        acc.t[i] += 1;
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
