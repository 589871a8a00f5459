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
use crate::compress::range;
use crate::compress::unit_plan::{UnitPlan, UnitScratch};

/// Units measured between two looks at the cancel token (and the size of the partial sums
/// held at once).
const BATCH: usize = 512;

/// What a streamed read of one tensor measured.
pub(crate) struct Streamed {
    /// The tensor left unchanged (its signal energy).
    pub identity: ErrorSums,
    /// Per plan, in the order given.
    pub sums: Vec<ErrorSums>,
}

#[derive(Default)]
struct Buffers {
    x: Vec<f32>,
    scratch: UnitScratch,
}

/// Measure `plans` on tensor `i` (which [reads ranges](LoadedModel::reads_ranges)).
/// `Ok(None)`: cancelled.
pub(crate) fn measure(
    model: &LoadedModel,
    i: usize,
    plans: &mut [UnitPlan],
    cancel: &CancelToken,
) -> Result<Option<Streamed>, String> {
    let meta = &model.tensors[i];
    let n = meta.len;
    let unit = natural_unit(&meta.shape, n);
    let units = n.div_ceil(unit);
    let read = |u: usize, b: &mut Buffers| -> Result<usize, String> {
        let start = u * unit;
        let len = unit.min(n - start);
        b.x.resize(len, 0.0);
        model.read_range(i, start, &mut b.x[..len])?;
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
    let mut identity = ErrorSums::default();
    let mut sums = vec![ErrorSums::default(); plans.len()];
    for first in (0..units).step_by(BATCH) {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let parts: Vec<Vec<ErrorSums>> = (first..units.min(first + BATCH))
            .into_par_iter()
            .map_init(Buffers::default, |b, u| {
                let start = read(u, b)?;
                let mut out = Vec::with_capacity(plans.len() + 1);
                out.push(identity_sums_of_unit(&b.x));
                out.extend(plans.iter().map(|p| p.measure(&b.x, start, &mut b.scratch)));
                Ok(out)
            })
            .collect::<Result<_, String>>()?;
        for part in parts {
            identity = identity.merge(part[0]);
            for (s, p) in sums.iter_mut().zip(&part[1..]) {
                *s = s.merge(*p);
            }
        }
    }
    Ok(Some(Streamed { identity, sums }))
}

/// The tensor's range as [`range::min_max_par`] gives it (exact, so any order agrees).
fn tensor_range(
    units: usize,
    read: &(dyn Fn(usize, &mut Buffers) -> Result<usize, String> + Sync),
    cancel: &CancelToken,
) -> Result<Option<(f32, f32)>, String> {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for first in (0..units).step_by(BATCH) {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let parts: Vec<(f32, f32)> = (first..units.min(first + BATCH))
            .into_par_iter()
            .map_init(Buffers::default, |b, u| {
                read(u, b)?;
                Ok(range::min_max_or_none(&b.x))
            })
            .collect::<Result<_, String>>()?;
        for (l, h) in parts {
            (lo, hi) = (lo.min(l), hi.max(h));
        }
    }
    Ok(Some(if lo > hi { (0.0, 0.0) } else { (lo, hi) }))
}
