//! Pruning (`quantization.md` §9): masks where `true` = kept.
//!
//! - **magnitude** (per tensor) and **global** (one threshold over many tensors): zero exactly
//!   `k = round_half_even(sparsity · n)` entries with the smallest |w| (`torch.nn.utils.prune`
//!   count rounding; ties broken by index, lower first). Selection is a two-pass radix select on
//!   the bit patterns of |w| (65 536-bin histogram of the top 16 bits, then the candidates of one
//!   bin), never a full sort; no copy of the tensor is made.
//! - **rows / cols**: whole output rows or input columns with the smallest L1 or L2 norm,
//!   `k = round_half_even(sparsity · n_slices)`.
//! - **N:M**: in every group of M consecutive weights along the input (last) axis keep the N
//!   largest |w| (ties: lower index kept); a shorter tail group keeps min(N, len) values.
//! - **random**: exactly `k` elements with the smallest seeded uniform score (a reproducible
//!   baseline).

use rayon::prelude::*;

use super::rng;
use super::scheme::{Norm, PruneMethod};

/// `round(amount · n)` with Python's half-to-even rounding.
pub fn prune_count(sparsity: f64, n: usize) -> usize {
    ((sparsity.clamp(0.0, 1.0) * n as f64).round_ties_even() as usize).min(n)
}

/// Indices (per slice) of the `k` smallest keys over several slices, with ties broken by
/// (slice, index). `key(v)` must map to an order-preserving `u32`.
fn smallest_k_multi<F: Fn(f32) -> u32 + Sync>(slices: &[&[f32]], k: usize, key: F) -> SmallestK {
    smallest_k_with(slices, k, key, None)
}

/// [`smallest_k_multi`] with the pass-1 histogram of the slices' keys given (when known).
fn smallest_k_with<F: Fn(f32) -> u32 + Sync>(
    slices: &[&[f32]],
    k: usize,
    key: F,
    known: Option<&[u32]>,
) -> SmallestK {
    let total: usize = slices.iter().map(|s| s.len()).sum();
    if k == 0 {
        return SmallestK {
            below: 0,
            picks: Vec::new(),
        };
    }
    if k >= total {
        return SmallestK {
            below: u32::MAX,
            picks: Vec::new(),
        }
        .all();
    }
    // Pass 1: histogram of the top 16 bits.
    let computed;
    let hist: &[u32] = if let Some(h) = known {
        h
    } else {
        computed = key_histogram(slices, &key);
        &computed
    };
    let mut acc = 0usize;
    let mut bin = 0usize;
    for (i, &c) in hist.iter().enumerate() {
        if acc + c as usize >= k {
            bin = i;
            break;
        }
        acc += c as usize;
    }
    let need = k - acc;
    // Pass 2: candidates in that bin, in (slice, index) order.
    // A plain loop per chunk (the bin holds few elements; the test is one shift and compare).
    let key = &key;
    let bin = bin as u32;
    let per_chunk: Vec<Vec<(u32, u32, usize)>> = slices
        .par_iter()
        .enumerate()
        .flat_map(|(si, s)| {
            s.par_chunks(1 << 18).enumerate().map(move |(ci, c)| {
                let mut found = Vec::new();
                for (j, &v) in c.iter().enumerate() {
                    let kv = key(v);
                    if kv >> 16 == bin {
                        found.push((kv, si as u32, ci * (1 << 18) + j));
                    }
                }
                found
            })
        })
        .collect();
    let mut cands: Vec<(u32, u32, usize)> = per_chunk.into_iter().flatten().collect();
    cands.select_nth_unstable(need - 1);
    cands.truncate(need);
    SmallestK {
        below: bin << 16,
        picks: cands,
    }
}

/// Counts of the top 16 bits of `key(v)` over all slices (pass 1 of the selection).
fn key_histogram<F: Fn(f32) -> u32 + Sync>(slices: &[&[f32]], key: &F) -> Vec<u32> {
    slices
        .par_iter()
        .flat_map(|s| s.par_chunks(1 << 18))
        .fold(
            || vec![0u32; 1 << 16],
            |mut h, c| {
                for &v in c {
                    h[(key(v) >> 16) as usize] += 1;
                }
                h
            },
        )
        .reduce(
            || vec![0u32; 1 << 16],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    *x += *y;
                }
                a
            },
        )
}

/// The magnitude histogram of one tensor, computed once and shared by every magnitude-pruning
/// sparsity of a sweep ([`magnitude_mask_into`]): pass 1 of the exact selection.
#[derive(Clone, Debug)]
pub struct MagnitudeHistogram(Vec<u32>);

impl MagnitudeHistogram {
    pub fn of(x: &[f32]) -> Self {
        Self(key_histogram(&[x], &abs_key))
    }
}

/// The mask of [`mask_for`] with [`PruneMethod::Magnitude`] at `sparsity`, from the tensor's
/// [`MagnitudeHistogram`], written into `mask` (resized; reuse it across calls). Identical to
/// `mask_for`'s.
pub fn magnitude_mask_into(
    x: &[f32],
    hist: &MagnitudeHistogram,
    sparsity: f64,
    mask: &mut Vec<bool>,
) {
    let k = prune_count(sparsity, x.len());
    mask.resize(x.len(), false);
    if k >= x.len() {
        mask.fill(false);
        return;
    }
    let sel = smallest_k_with(&[x], k, abs_key, Some(&hist.0));
    mask.par_chunks_mut(1 << 16)
        .zip(x.par_chunks(1 << 16))
        .for_each(|(m, c)| {
            for (k, &v) in m.iter_mut().zip(c) {
                *k = abs_key(v) >= sel.below;
            }
        });
    for &(_, _, i) in &sel.picks {
        mask[i] = false;
    }
}

struct SmallestK {
    /// Every element with key < `below` is pruned …
    below: u32,
    /// … plus these (key, slice, index).
    picks: Vec<(u32, u32, usize)>,
}

impl SmallestK {
    fn all(self) -> Self {
        Self {
            below: u32::MAX,
            picks: self.picks,
        }
    }
}

/// Order-preserving key of |v| (NaN sorts last, so it is never pruned before numbers).
#[inline(always)]
/// The order key of |v| (its bits without the sign; NaNs above every number).
pub fn abs_key(v: f32) -> u32 {
    v.to_bits() & 0x7FFF_FFFF
}

/// The exact magnitude selection of [`mask_for`] (the `k` smallest |w|, ties by index) as a
/// cut: every value whose [`abs_key`] is below `key` is pruned, and of those equal to `key`
/// the first `ties` by index. Found from the tensor's value counts, so a caller can apply it
/// unit by unit ([`MagnitudeCut::mask_unit`]) without the whole tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MagnitudeCut {
    pub key: u32,
    pub ties: u64,
}

impl MagnitudeCut {
    /// The cut pruning `k` values of a tensor with these `(value, count)` pairs.
    pub fn from_counts(counts: &[(f32, u64)], k: u64) -> Self {
        let n: u64 = counts.iter().map(|c| c.1).sum();
        if k == 0 {
            return Self { key: 0, ties: 0 };
        }
        if k >= n {
            return Self {
                key: u32::MAX,
                ties: u64::MAX,
            };
        }
        let mut keyed: Vec<(u32, u64)> = counts
            .iter()
            .filter(|c| c.1 > 0)
            .map(|&(v, c)| (abs_key(v), c))
            .collect();
        keyed.sort_unstable();
        let mut below = 0u64;
        for (key, c) in keyed
            .chunk_by(|a, b| a.0 == b.0)
            .map(|g| (g[0].0, g.iter().map(|e| e.1).sum::<u64>()))
        {
            if below + c >= k {
                return Self {
                    key,
                    ties: k - below,
                };
            }
            below += c;
        }
        unreachable!("k < n values are counted")
    }

    /// Whether units must know how many values equal to `key` precede them.
    pub fn splits_ties(&self) -> bool {
        self.ties > 0 && self.ties < u64::MAX
    }

    /// The keep-mask of one unit `x` into `mask` and its pruned copy (pruned values +0) into
    /// `pruned` (both resized), given how many values equal to the key lie in earlier units
    /// (`before`) and in this one (`here`; both 0 unless the cut [splits ties](Self::splits_ties));
    /// returns how many are kept.
    pub fn mask_unit(
        &self,
        x: &[f32],
        (before, here): (u64, u64),
        mask: &mut Vec<bool>,
        pruned: &mut Vec<f32>,
    ) -> u64 {
        mask.resize(x.len(), false);
        pruned.resize(x.len(), 0.0);
        let ties_before = before;
        let here = if self.splits_ties() { here } else { 0 };
        // Most units keep all or none of their ties: one threshold, branch-free.
        let lowest_kept = if ties_before >= self.ties {
            Some(self.key)
        } else if ties_before + here <= self.ties {
            Some(self.key.saturating_add(1))
        } else {
            None
        };
        if let Some(t) = lowest_kept {
            let mut kept = 0;
            keep_at_least(x, t, mask, pruned, &mut kept);
            kept
        } else {
            let mut seen = ties_before;
            let out = mask.iter_mut().zip(pruned.iter_mut()).zip(x);
            out.map(|((m, p), &v)| {
                let k = abs_key(v);
                seen += u64::from(k == self.key);
                let keep = k > self.key || (k == self.key && seen > self.ties);
                *m = keep;
                *p = if keep { v } else { 0.0 };
                u64::from(keep)
            })
            .sum()
        }
    }
}

/// How many values of `x` have [`abs_key`] `key`.
pub fn count_key(x: &[f32], key: u32) -> u64 {
    let mut n = 0;
    count_key_into(x, key, &mut n);
    n
}

fn count_key_into(x: &[f32], key: u32, n: &mut u64) {
    crate::simd::dispatch_avx2!(super::avx2::count_key(x, key, n));
    count_key_body(x, key, n);
}

/// The loop of [`count_key`] (also compiled for AVX2 in `compress::avx2`).
#[inline(always)]
pub(crate) fn count_key_body(x: &[f32], key: u32, n: &mut u64) {
    for c in x.chunks(1 << 20) {
        *n += u64::from(c.iter().map(|&v| u32::from(abs_key(v) == key)).sum::<u32>());
    }
}

/// Keep the values of `x` whose [`abs_key`] is at least `t`: the mask, the pruned copy
/// (pruned values +0) and the count kept (into `kept`).
pub(crate) fn keep_at_least(
    x: &[f32],
    t: u32,
    mask: &mut [bool],
    pruned: &mut [f32],
    kept: &mut u64,
) {
    crate::simd::dispatch_avx2!(super::avx2::keep_at_least(x, t, mask, pruned, kept));
    keep_at_least_body(x, t, mask, pruned, kept);
}

/// The loop of [`keep_at_least`] (also compiled for AVX2 in `compress::avx2`).
#[inline(always)]
pub(crate) fn keep_at_least_body(
    x: &[f32],
    t: u32,
    mask: &mut [bool],
    pruned: &mut [f32],
    kept: &mut u64,
) {
    let mut n = 0u32;
    for ((m, p), &v) in mask.iter_mut().zip(pruned.iter_mut()).zip(x) {
        let keep = abs_key(v) >= t;
        *m = keep;
        *p = f32::from_bits(v.to_bits() & 0u32.wrapping_sub(u32::from(keep)));
        n += u32::from(keep);
    }
    *kept += u64::from(n);
}

/// Masks of the `k` smallest |w| over all `slices`.
pub fn magnitude_masks(slices: &[&[f32]], k: usize) -> Vec<Vec<bool>> {
    let total: usize = slices.iter().map(|s| s.len()).sum();
    if k >= total {
        return slices.iter().map(|s| vec![false; s.len()]).collect();
    }
    let sel = smallest_k_multi(slices, k, abs_key);
    build_masks(slices, &sel, abs_key)
}

fn build_masks<F: Fn(f32) -> u32 + Sync>(
    slices: &[&[f32]],
    sel: &SmallestK,
    key: F,
) -> Vec<Vec<bool>> {
    let mut masks: Vec<Vec<bool>> = slices
        .iter()
        .map(|s| s.par_iter().map(|&v| key(v) >= sel.below).collect())
        .collect();
    for &(_, si, i) in &sel.picks {
        masks[si as usize][i] = false;
    }
    masks
}

/// Prune `x` in place to exactly `k` zeros by magnitude (fast path without a mask; returns the
/// number of zeroed entries). Used by the benchmark and by whole-model runs.
pub fn magnitude_prune_into(x: &[f32], out: &mut [f32], k: usize) -> usize {
    if k >= x.len() {
        out.fill(0.0);
        return x.len();
    }
    let sel = smallest_k_multi(&[x], k, abs_key);
    let below = sel.below;
    out.par_chunks_mut(1 << 16)
        .zip(x.par_chunks(1 << 16))
        .for_each(|(o, i)| {
            for (a, &b) in o.iter_mut().zip(i) {
                *a = if abs_key(b) >= below { b } else { 0.0 };
            }
        });
    for &(_, _, i) in &sel.picks {
        out[i] = 0.0;
    }
    k
}

/// Mask of one tensor `x` with `shape` for a (non-global) method.
pub fn mask_for(x: &[f32], shape: &[usize], method: PruneMethod, sparsity: f64) -> Vec<bool> {
    let n = x.len();
    let (rows, cols) = match shape.first() {
        Some(&r) if r > 0 && shape.len() >= 2 => (r, n / r),
        _ => (1, n),
    };
    match method {
        PruneMethod::Magnitude | PruneMethod::Global => {
            magnitude_masks(&[x], prune_count(sparsity, n))
                .pop()
                .unwrap_or_default()
        }
        PruneMethod::Random { seed } => {
            let k = prune_count(sparsity, n);
            let scores: Vec<f32> = (0..n)
                .into_par_iter()
                .map(|i| rng::uniform01(seed, i as u64))
                .collect();
            magnitude_masks(&[&scores], k).pop().unwrap_or_default()
        }
        PruneMethod::Rows { norm } => {
            let norms: Vec<f64> = x
                .par_chunks(cols.max(1))
                .map(|r| slice_norm(r.iter().copied(), norm))
                .collect();
            let drop = smallest_slices(&norms, prune_count(sparsity, rows));
            let mut m = vec![true; n];
            for r in drop {
                m[r * cols..(r + 1) * cols].fill(false);
            }
            m
        }
        PruneMethod::Cols { norm } => {
            let norms: Vec<f64> = (0..cols)
                .into_par_iter()
                .map(|c| slice_norm((0..rows).map(|r| x[r * cols + c]), norm))
                .collect();
            let drop = smallest_slices(&norms, prune_count(sparsity, cols));
            let mut m = vec![true; n];
            for c in drop {
                for r in 0..rows {
                    m[r * cols + c] = false;
                }
            }
            m
        }
        PruneMethod::NM { n: keep, m: group } => {
            nm_mask(x, shape.last().copied().unwrap_or(n).max(1), keep, group)
        }
    }
}

fn slice_norm(it: impl Iterator<Item = f32>, norm: Norm) -> f64 {
    match norm {
        Norm::L1 => it.map(|v| f64::from(v.abs())).sum(),
        Norm::L2 => it.map(|v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt(),
    }
}

/// Indices of the `k` smallest norms (ties: lower index first).
fn smallest_slices(norms: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..norms.len()).collect();
    idx.sort_by(|&a, &b| norms[a].total_cmp(&norms[b]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}

/// N:M mask along rows of length `row_len`.
pub fn nm_mask(x: &[f32], row_len: usize, keep: usize, m: usize) -> Vec<bool> {
    let mut mask = vec![true; x.len()];
    let m = m.max(1);
    mask.par_chunks_mut(row_len)
        .zip(x.par_chunks(row_len))
        .for_each(|(mr, xr)| {
            let mut order: Vec<usize> = Vec::with_capacity(m);
            for (mg, xg) in mr.chunks_mut(m).zip(xr.chunks(m)) {
                let kept = keep.min(xg.len());
                order.clear();
                order.extend(0..xg.len());
                // Largest |w| first; ties keep the lower index.
                order.sort_by(|&a, &b| xg[b].abs().total_cmp(&xg[a].abs()).then(a.cmp(&b)));
                for &j in &order[kept..] {
                    mg[j] = false;
                }
            }
        });
    mask
}

/// `out = x` where `mask` keeps, 0 elsewhere (one fused pass); returns the number kept.
pub fn masked_copy(x: &[f32], mask: &[bool], out: &mut [f32]) -> u64 {
    out.par_chunks_mut(1 << 16)
        .zip(x.par_chunks(1 << 16))
        .zip(mask.par_chunks(1 << 16))
        .map(|((o, a), m)| {
            // Branch-free: keep → the bits of v, prune → +0.0; vectorises.
            let mut kept = 0u32;
            for ((o, &v), &k) in o.iter_mut().zip(a).zip(m) {
                let keep = u32::from(k);
                *o = f32::from_bits(v.to_bits() & 0u32.wrapping_sub(keep));
                kept += keep;
            }
            u64::from(kept)
        })
        .sum()
}

/// Apply a mask in place: `x` stays where kept, 0 elsewhere.
pub fn apply_mask(x: &mut [f32], mask: &[bool]) {
    x.par_chunks_mut(1 << 16)
        .zip(mask.par_chunks(1 << 16))
        .for_each(|(a, m)| {
            for (v, &k) in a.iter_mut().zip(m) {
                if !k {
                    *v = 0.0;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torch_count_rounding() {
        assert_eq!(prune_count(0.5, 5), 2);
        assert_eq!(prune_count(0.5, 7), 4);
        assert_eq!(prune_count(0.25, 10), 2);
        assert_eq!(prune_count(0.5, 3), 2);
    }

    #[test]
    fn exact_counts_with_ties() {
        let x = vec![1.0f32, -1.0, 1.0, 2.0, -1.0, 0.5, 3.0, 1.0];
        let m = mask_for(&x, &[8], PruneMethod::Magnitude, 0.5);
        assert_eq!(m.iter().filter(|k| !**k).count(), 4);
        assert_eq!(m, vec![false, false, false, true, true, false, true, true]);
    }

    #[test]
    fn wanda_layerwise_example() {
        let w = [1.0f32, -2.0, 0.5, 4.5, -3.0, 0.1, 2.0, -0.3];
        let m = mask_for(&w, &[2, 4], PruneMethod::Magnitude, 0.5);
        let pruned: Vec<usize> = (0..8).filter(|&i| !m[i]).collect();
        assert_eq!(pruned, vec![0, 2, 5, 7]);
    }

    #[test]
    fn nm_and_structured() {
        let x: Vec<f32> = (0..16).map(|i| ((i * 5) % 7) as f32 - 3.0).collect();
        let m = mask_for(&x, &[2, 8], PruneMethod::NM { n: 2, m: 4 }, 0.0);
        for g in m.chunks(4) {
            assert_eq!(g.iter().filter(|k| **k).count(), 2);
        }
        let r = mask_for(&x, &[4, 4], PruneMethod::Rows { norm: Norm::L1 }, 0.5);
        assert_eq!(r.iter().filter(|k| !**k).count(), 8);
        let c = mask_for(&x, &[4, 4], PruneMethod::Cols { norm: Norm::L2 }, 0.25);
        assert_eq!(c.iter().filter(|k| !**k).count(), 4);
    }

    #[test]
    fn big_random_exact() {
        let x: Vec<f32> = (0..1_000_003).map(|i| rng::uniform01(3, i) - 0.5).collect();
        let mut out = vec![0.0; x.len()];
        let k = prune_count(0.5, x.len());
        magnitude_prune_into(&x, &mut out, k);
        assert_eq!(out.iter().filter(|v| **v == 0.0).count(), k);
        let m = mask_for(&x, &[x.len()], PruneMethod::Random { seed: 9 }, 0.3);
        assert_eq!(m.iter().filter(|k| !**k).count(), prune_count(0.3, x.len()));
    }
}
