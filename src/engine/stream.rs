//! Many configs measured on one tensor in one read of its values: units
//! ([`natural_unit`], ~16K values, whole rows) are decoded from the file into per-thread
//! buffers and every [`UnitPlan`] runs on each while it is in cache; nothing tensor-sized is
//! allocated. Plans that need the tensor's range get it from a first pass over the same units,
//! pruning plans the per-unit counts of their cut's ties. Unit sums are folded in unit order:
//! the figures equal `apply_reusing` on the whole tensor bit for bit (it measures the same
//! units with the same kernels). [`super::estimate`] measures a sample of the same units.

use rayon::prelude::*;

use super::CancelToken;
use super::config::{self, Config};
use super::loaded::LoadedModel;
use crate::compress::granularity::natural_unit;
use crate::compress::metrics::{ErrorSums, identity_sums_of_unit};
use crate::compress::prune::{self, MagnitudeCut, count_key};
use crate::compress::range;
use crate::compress::unit_plan::{UnitPlan, UnitScratch, UnitSums};
use crate::model::Model;

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

/// One unit's figures: the identity sums and one per plan.
pub(crate) type UnitFigures = (ErrorSums, Vec<UnitSums>);

#[derive(Default)]
struct Buffers {
    x: Vec<f32>,
    scratch: UnitScratch,
}

/// A tensor read from its file unit by unit.
pub(crate) struct TensorUnits<'a> {
    file: &'a Model,
    k: usize,
    n: usize,
    /// Values per unit.
    pub unit: usize,
    /// Number of units.
    pub units: usize,
}

impl<'a> TensorUnits<'a> {
    /// Tensor `i` of `model`, if it has a [streaming source](LoadedModel::streaming_source).
    pub fn of(model: &'a LoadedModel, i: usize) -> Option<Self> {
        let (file, k) = model.streaming_source(i)?;
        let meta = &model.tensors[i];
        let unit = natural_unit(&meta.shape, meta.len);
        Some(Self {
            file,
            k,
            n: meta.len,
            unit,
            units: meta.len.div_ceil(unit),
        })
    }

    /// Values in unit `u`.
    pub fn len_of(&self, u: usize) -> usize {
        self.unit.min(self.n - u * self.unit)
    }

    /// Decode unit `u` into `b.x`; returns the index of its first value.
    fn read(&self, u: usize, b: &mut Buffers) -> Result<usize, String> {
        let start = u * self.unit;
        let len = self.len_of(u);
        b.x.resize(len, 0.0);
        self.file
            .decode_range(self.k, start, &mut b.x[..len])
            .map_err(|e| e.to_string())?;
        Ok(start)
    }

    /// `f` on each unit of `list` (in parallel), results in list order.
    pub fn each<T: Send>(
        &self,
        list: &[usize],
        f: impl Fn(&[f32], usize, usize, &mut UnitScratch) -> T + Sync,
    ) -> Result<Vec<T>, String> {
        list.par_iter()
            .map_init(Buffers::default, |b, &u| {
                let start = self.read(u, b)?;
                Ok(f(&b.x, u, start, &mut b.scratch))
            })
            .collect()
    }

    /// Every plan (and the identity) on each unit of `list`, in list order.
    pub fn measure_list(
        &self,
        plans: &[UnitPlan],
        list: &[usize],
    ) -> Result<Vec<UnitFigures>, String> {
        self.each(list, |x, u, start, s| {
            let sums = plans.iter().map(|p| p.measure(x, u, start, s)).collect();
            (identity_sums_of_unit(x), sums)
        })
    }

    /// `f` on every unit, batch by batch; `Ok(None)`: cancelled.
    fn each_unit<T: Send>(
        &self,
        cancel: &CancelToken,
        f: impl Fn(&[f32]) -> T + Sync,
    ) -> Result<Option<Vec<T>>, String> {
        let mut out = Vec::with_capacity(self.units);
        for first in (0..self.units).step_by(BATCH) {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            let list: Vec<usize> = (first..self.units.min(first + BATCH)).collect();
            out.extend(self.each(&list, |x, _, _, _| f(x))?);
        }
        Ok(Some(out))
    }
}

/// The configs of a sweep that can be measured on one tensor unit by unit, with their plans
/// and pruning cuts.
pub(crate) struct TensorPlans {
    /// Index of each plan's config in the sweep.
    pub configs: Vec<usize>,
    pub plans: Vec<UnitPlan>,
    /// Per plan: its pruning cut, when it prunes.
    pub cuts: Vec<Option<MagnitudeCut>>,
    /// The tensor's value counts (16-bit storage, when a plan prunes).
    pub counts: Option<Vec<(f32, u64)>>,
}

impl TensorPlans {
    /// Plans for the configs `usable(c)` accepts that change tensor `i`; `None` when the
    /// tensor is not read from its file by range. With `exact_cuts`, pruning plans need the
    /// value counts of 16-bit storage (others keep the whole-tensor path); without, their cuts
    /// are left to the caller.
    pub fn new(
        model: &LoadedModel,
        all: &[&Config],
        usable: &dyn Fn(usize) -> bool,
        i: usize,
        exact_cuts: bool,
    ) -> Result<Option<Self>, String> {
        let Some((file, k)) = model.streaming_source(i) else {
            return Ok(None);
        };
        let meta = &model.tensors[i];
        let mut counts = None;
        let mut out = Self {
            configs: Vec::new(),
            plans: Vec::new(),
            cuts: Vec::new(),
            counts: None,
        };
        for (c, config) in all.iter().enumerate() {
            if !usable(c) || !config::touches(model, config, i) {
                continue;
            }
            let scheme = config::scheme_for_tensor(config.scheme_for(&meta.name), meta);
            let stored = 8 * meta.stored_bytes;
            let Some(plan) = UnitPlan::new(&scheme, &meta.shape, meta.len, stored) else {
                continue;
            };
            let cut = match scheme.prune {
                Some(p) if plan.needs_cut() && exact_cuts => {
                    if counts.is_none() {
                        counts = Some(file.value_counts(k).map_err(|e| e.to_string())?);
                    }
                    let Some(Some(counts)) = &counts else {
                        continue;
                    };
                    let k = prune::prune_count(p.sparsity, meta.len) as u64;
                    Some(MagnitudeCut::from_counts(counts, k))
                }
                _ => None,
            };
            out.configs.push(c);
            out.plans.push(plan);
            out.cuts.push(cut);
        }
        out.counts = counts.flatten();
        Ok(Some(out))
    }
}

impl TensorPlans {
    /// Keep only the plans `keep` accepts (with their configs and cuts).
    pub fn retain(&mut self, keep: impl Fn(&UnitPlan) -> bool) {
        let kept: Vec<bool> = self.plans.iter().map(&keep).collect();
        let mut flags = kept.iter();
        self.configs.retain(|_| *flags.next().unwrap_or(&false));
        let mut flags = kept.iter();
        self.cuts.retain(|_| *flags.next().unwrap_or(&false));
        self.plans.retain(|q| keep(q));
    }
}

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
    let t = TensorUnits::of(model, i).ok_or("this tensor is not read from its file by range")?;
    if plans.iter().any(UnitPlan::needs_range) {
        let Some((lo, hi)) = tensor_range(&t, cancel)? else {
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
    let Some(before) = ties_before(&t, &split, cancel)? else {
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
    for first in (0..t.units).step_by(BATCH) {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let list: Vec<usize> = (first..t.units.min(first + BATCH)).collect();
        for (id, part) in t.measure_list(plans, &list)? {
            identity = identity.merge(id);
            for (s, p) in sums.iter_mut().zip(part) {
                *s = s.merge(p);
            }
        }
    }
    Ok(Some(Streamed { identity, sums }))
}

/// The tensor's range as [`range::min_max_par`] gives it (exact, so any order agrees).
fn tensor_range(t: &TensorUnits, cancel: &CancelToken) -> Result<Option<(f32, f32)>, String> {
    let Some(parts) = t.each_unit(cancel, range::min_max_or_none)? else {
        return Ok(None);
    };
    Ok(Some(fold_range(parts)))
}

/// Per-unit ranges folded into one; `(0, 0)` when no value is a number (as `min_max`).
fn fold_range(parts: Vec<(f32, f32)>) -> (f32, f32) {
    let (lo, hi) = parts
        .into_iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), (a, b)| {
            (l.min(a), h.max(b))
        });
    if lo > hi { (0.0, 0.0) } else { (lo, hi) }
}

/// Per key, per unit and one past the last: how many values with that key lie in earlier
/// units.
fn ties_before(
    t: &TensorUnits,
    keys: &[u32],
    cancel: &CancelToken,
) -> Result<Option<Vec<Vec<u64>>>, String> {
    if keys.is_empty() {
        return Ok(Some(Vec::new()));
    }
    // One vectorised pass per key over the unit (in cache) beats one pass comparing all keys.
    let count = |x: &[f32]| -> Vec<u64> { keys.iter().map(|&key| count_key(x, key)).collect() };
    let Some(per_unit) = t.each_unit(cancel, count)? else {
        return Ok(None);
    };
    let mut out = vec![Vec::with_capacity(t.units + 1); keys.len()];
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
