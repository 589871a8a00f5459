//! Many configs measured on one tensor in one read of its values: units
//! ([`natural_unit`], ~16K values, whole rows) are decoded from the file into per-thread
//! buffers and every [`UnitPlan`] runs on each while it is in cache; nothing tensor-sized is
//! allocated. Plans that need the tensor's range get it from a first pass over the same units.
//! Unit sums are folded in unit order: the figures equal `apply_reusing` on the whole tensor
//! bit for bit (it measures the same units with the same kernels).

use rayon::prelude::*;

use super::CancelToken;
use super::loaded::LoadedModel;
use crate::compress::granularity::natural_unit;
use crate::compress::metrics::{ErrorSums, identity_sums_of_unit};
use crate::compress::prune::{MagnitudeCut, count_key};
use crate::compress::range;
use crate::compress::unit_plan::{UnitPlan, UnitScratch, UnitSums};

/// Units measured between two looks at the cancel token (and the size of the partial sums
/// held at once).
const BATCH: usize = 512;

/// What a streamed read of one tensor measured.
pub(crate) struct Streamed {
    /// The tensor left unchanged (its signal energy).
    pub identity: ErrorSums,
    /// Per plan, in the order given.
    pub sums: Vec<UnitSums>,
}

#[derive(Default)]
struct Buffers {
    x: Vec<f32>,
    scratch: UnitScratch,
}

/// Reads unit `u` of one tensor into a buffer; returns the index of its first value.
type ReadUnit<'a> = dyn Fn(usize, &mut Buffers) -> Result<usize, String> + Sync + 'a;

/// Measure `plans` on tensor `i`, which must have a
/// [streaming source](LoadedModel::streaming_source); `cuts[k]`: the pruning cut of plan `k`
/// when it [needs one](UnitPlan::needs_cut). `Ok(None)`: cancelled.
pub(crate) fn measure(
    model: &LoadedModel,
    i: usize,
    plans: &mut [UnitPlan],
    cuts: &[Option<MagnitudeCut>],
    cancel: &CancelToken,
) -> Result<Option<Streamed>, String> {
    let (file, k) = model
        .streaming_source(i)
        .ok_or("this tensor is not read from its file by range")?;
    let meta = &model.tensors[i];
    let n = meta.len;
    let unit = natural_unit(&meta.shape, n);
    let units = n.div_ceil(unit);
    let read = |u: usize, b: &mut Buffers| -> Result<usize, String> {
        let start = u * unit;
        let len = unit.min(n - start);
        b.x.resize(len, 0.0);
        file.decode_range(k, start, &mut b.x[..len])
            .map_err(|e| e.to_string())?;
        Ok(start)
    };
    if plans.iter().any(UnitPlan::needs_range) {
        let Some((lo, hi)) = tensor_range(units, &read, cancel)? else {
            return Ok(None);
        };
        for p in plans.iter_mut() {
            p.set_range(lo, hi);
        }
    }
    let split: Vec<u32> = cuts
        .iter()
        .flatten()
        .filter(|c| c.splits_ties())
        .map(|c| c.key)
        .collect();
    let Some(before) = ties_before(units, &split, &read, cancel)? else {
        return Ok(None);
    };
    for (p, cut) in plans.iter_mut().zip(cuts) {
        if let Some(cut) = cut {
            let at = split
                .iter()
                .position(|&key| cut.splits_ties() && key == cut.key);
            p.set_cut(*cut, at.map(|j| before[j].clone()).unwrap_or_default());
        }
    }
    let mut identity = ErrorSums::default();
    let mut sums = vec![UnitSums::default(); plans.len()];
    let plans = &*plans;
    for first in (0..units).step_by(BATCH) {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let parts: Vec<(ErrorSums, Vec<UnitSums>)> = (first..units.min(first + BATCH))
            .into_par_iter()
            .map_init(Buffers::default, |b, u| {
                let start = read(u, b)?;
                let x = std::mem::take(&mut b.x);
                let out = plans
                    .iter()
                    .map(|p| p.measure(&x, u, start, &mut b.scratch));
                let out = (identity_sums_of_unit(&x), out.collect());
                b.x = x;
                Ok(out)
            })
            .collect::<Result<_, String>>()?;
        for (id, part) in parts {
            identity = identity.merge(id);
            for (s, p) in sums.iter_mut().zip(part) {
                *s = s.merge(p);
            }
        }
    }
    Ok(Some(Streamed { identity, sums }))
}

/// Run `f` on every unit (batch by batch, in parallel), results in unit order.
/// `Ok(None)`: cancelled.
fn each_unit<T: Send>(
    units: usize,
    read: &ReadUnit<'_>,
    cancel: &CancelToken,
    f: impl Fn(&[f32]) -> T + Sync,
) -> Result<Option<Vec<T>>, String> {
    let mut out = Vec::with_capacity(units);
    for first in (0..units).step_by(BATCH) {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let part: Vec<T> = (first..units.min(first + BATCH))
            .into_par_iter()
            .map_init(Buffers::default, |b, u| {
                read(u, b)?;
                Ok(f(&b.x))
            })
            .collect::<Result<_, String>>()?;
        out.extend(part);
    }
    Ok(Some(out))
}

/// The tensor's range as [`range::min_max_par`] gives it (exact, so any order agrees).
fn tensor_range(
    units: usize,
    read: &ReadUnit<'_>,
    cancel: &CancelToken,
) -> Result<Option<(f32, f32)>, String> {
    let Some(parts) = each_unit(units, read, cancel, range::min_max_or_none)? else {
        return Ok(None);
    };
    let (lo, hi) = parts
        .into_iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), (a, b)| {
            (l.min(a), h.max(b))
        });
    Ok(Some(if lo > hi { (0.0, 0.0) } else { (lo, hi) }))
}

/// Per key, per unit and one past the last: how many values with that key lie in earlier
/// units.
fn ties_before(
    units: usize,
    keys: &[u32],
    read: &ReadUnit<'_>,
    cancel: &CancelToken,
) -> Result<Option<Vec<Vec<u64>>>, String> {
    if keys.is_empty() {
        return Ok(Some(Vec::new()));
    }
    // One vectorised pass per key over the unit (in cache) beats one pass comparing all keys.
    let count = |x: &[f32]| -> Vec<u64> { keys.iter().map(|&key| count_key(x, key)).collect() };
    let Some(per_unit) = each_unit(units, read, cancel, count)? else {
        return Ok(None);
    };
    let mut out = vec![Vec::with_capacity(units); keys.len()];
    let mut running = vec![0u64; keys.len()];
    for c in per_unit {
        for ((o, r), c) in out.iter_mut().zip(&mut running).zip(c) {
            o.push(*r);
            *r += c;
        }
    }
    for (o, r) in out.iter_mut().zip(running) {
        o.push(r);
    }
    Ok(Some(out))
}
