//! A sweep's first answer on a model read from its file, in seconds at any size: every config
//! that can be [streamed](super::stream) measured on a deterministic sample of each tensor's
//! units (whole rows, evenly spread; small tensors whole), the sums scaled to the tensor. On
//! models up to [`EXACT_SUMMARY_BYTES`] per-tensor ranges and pruning cuts come from the exact
//! value counts of 16-bit storage; larger models take cuts from the sample, and configs that
//! need a whole-tensor range get no estimate (a sample misses the outliers that set it).
//! Sizes are exact. The error bar is
//! two standard errors of the stratified ratio estimate of the model SQNR (tensors are the
//! strata, units the sampled items). The exact pass's points replace these.

use super::CancelToken;
use super::config::{self, Config, ConfigPoint, Estimate, TensorPoint};
use super::loaded::LoadedModel;
use super::record::{Compression, ModelFacts, TensorRecord};
use super::stream::{TensorPlans, TensorUnits, UnitFigures};
use crate::compress::metrics::ErrorSums;
use crate::compress::prune::{self, abs_key};
use crate::compress::rng;
use crate::compress::size::SizeReport;

/// Models stored in at most this many bytes get exact ranges and cuts from one counting pass
/// over their bytes (about a second here); larger ones take them from the sample.
const EXACT_SUMMARY_BYTES: u64 = 4 << 30;

/// Values sampled over the whole model (about: at least two units of every tensor that has
/// them).
const SAMPLE_VALUES: f64 = 16.0 * 1024.0 * 1024.0;

/// One tensor's share of a config's variance: units in the tensor and sampled, and the sampled
/// units' Σx², Σe², Σ(x²)², Σ(e²)², Σx²e².
#[derive(Clone, Copy, Default)]
struct Stratum {
    units: f64,
    sampled: f64,
    x: f64,
    e: f64,
    xx: f64,
    ee: f64,
    xe: f64,
}

#[derive(Default)]
struct Partial {
    records: Vec<TensorRecord>,
    strata: Vec<Stratum>,
}

/// Per config: its estimated point, or `None` when some tensor it changes cannot be sampled
/// (block formats, calibrated whole-tensor ranges, global pruning). `Ok(None)`: cancelled.
pub(crate) fn estimate(
    model: &LoadedModel,
    all: &[&Config],
    cancel: &CancelToken,
) -> Result<Option<Vec<Option<ConfigPoint>>>, String> {
    let fraction = (SAMPLE_VALUES / model.n_params().max(1) as f64).min(1.0);
    let valid: Vec<bool> = all
        .iter()
        .map(|c| config::check(model, c).is_ok())
        .collect();
    let mut acc: Vec<Option<Partial>> = valid.iter().map(|&ok| ok.then(Partial::default)).collect();
    let mut sampled_values = 0u64;
    let exact = model.stored_bytes() <= EXACT_SUMMARY_BYTES;
    for (i, meta) in model.tensors.iter().enumerate() {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let (Some(t), Some(mut p)) = (
            TensorUnits::of(model, i),
            TensorPlans::new(model, all, &|c| valid[c], i, exact)?,
        ) else {
            return Ok(Some(vec![None; all.len()]));
        };
        let list = sample(i, t.units, fraction);
        prepare(model, i, &t, &mut p, exact)?;
        for (c, config) in all.iter().enumerate() {
            if config::touches(model, config, i) && !p.configs.contains(&c) {
                acc[c] = None;
            }
        }
        sample_cuts(all, model, i, &t, &mut p, &list)?;
        let figures = t.measure_list(&p.plans, &list)?;
        let taken: usize = list.iter().map(|&u| t.len_of(u)).sum();
        sampled_values += taken as u64;
        let w = meta.len as f64 / taken.max(1) as f64;
        let identity = scaled(
            ErrorSums::fold_in_order(figures.iter().map(|f| f.0)),
            w,
            meta.len,
        );
        for (c, partial) in acc.iter_mut().enumerate() {
            let Some(partial) = partial else { continue };
            let record = match p.configs.iter().position(|&k| k == c) {
                Some(j) => {
                    let sums = ErrorSums::fold_in_order(figures.iter().map(|f| f.1[j].sums));
                    let kept = kept_values(all[c], model, i);
                    let size = p.plans[j].size(kept);
                    TensorRecord::streamed(i, meta, size, scaled(sums, w, meta.len))
                }
                None => kept_record(model, i, identity),
            };
            let j = p.configs.iter().position(|&k| k == c);
            partial.strata.push(stratum(&t, &list, &figures, j));
            partial.records.push(record);
        }
    }
    let facts = ModelFacts::of(model);
    Ok(Some(
        acc.into_iter()
            .zip(all)
            .map(|(partial, config)| partial.map(|p| point(&facts, config, p, sampled_values)))
            .collect(),
    ))
}

/// `m` units of tensor `i` spread evenly over its `units` (one per stretch of `units / m`, at
/// an offset drawn from the tensor's index, so tensors of one shape sample different rows),
/// `m` ≈ `units · fraction`, at least two (or all, when fewer).
fn sample(i: usize, units: usize, fraction: f64) -> Vec<usize> {
    let m = ((units as f64 * fraction).round() as usize).clamp(units.min(2), units);
    let phase = (rng::hash64(0x5a3b_1e5d, i as u64) >> 11) as f64 / (1u64 << 53) as f64;
    (0..m)
        .map(|j| (((j as f64 + phase) * units as f64 / m as f64) as usize).min(units - 1))
        .collect()
}

/// Ranges and cuts for the sampled plans, exact from the value counts of 16-bit storage (with
/// `exact`); plans needing a range without them are dropped. Ties of a cut are spread evenly
/// over the units.
fn prepare(
    model: &LoadedModel,
    i: usize,
    t: &TensorUnits,
    p: &mut TensorPlans,
    exact: bool,
) -> Result<(), String> {
    if p.plans
        .iter()
        .any(super::super::compress::unit_plan::UnitPlan::needs_range)
    {
        if p.counts.is_none()
            && exact
            && let Some((file, k)) = model.streaming_source(i)
        {
            p.counts = file.value_counts(k).map_err(|e| e.to_string())?;
        }
        match &p.counts {
            Some(counts) => {
                let (lo, hi) = counts
                    .iter()
                    .filter(|c| c.1 > 0 && !c.0.is_nan())
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), c| {
                        (l.min(c.0), h.max(c.0))
                    });
                let (lo, hi) = if lo > hi { (0.0, 0.0) } else { (lo, hi) };
                for q in &mut p.plans {
                    q.set_range(lo, hi);
                }
            }
            // A sample's range misses the outliers that set a per-tensor scale: no estimate
            // for those configs (their measured point follows).
            None => p.retain(|q| !q.needs_range()),
        }
    }
    for (q, cut) in p.plans.iter_mut().zip(&p.cuts) {
        let Some(cut) = cut else { continue };
        let at_key: u64 = p
            .counts
            .iter()
            .flatten()
            .filter(|c| abs_key(c.0) == cut.key)
            .map(|c| c.1)
            .sum();
        let n = t.units as u64;
        let before =
            (0..=n).map(|u| (u128::from(at_key) * u128::from(u) / u128::from(n.max(1))) as u64);
        q.set_cut(*cut, before.collect());
    }
    Ok(())
}

/// Cuts of pruning plans still without one, from the sample's own value counts (ties spread
/// evenly over the sampled units).
fn sample_cuts(
    all: &[&Config],
    model: &LoadedModel,
    i: usize,
    t: &TensorUnits,
    p: &mut TensorPlans,
    list: &[usize],
) -> Result<(), String> {
    if !p
        .plans
        .iter()
        .any(super::super::compress::unit_plan::UnitPlan::needs_cut)
    {
        return Ok(());
    }
    let mut values: Vec<f32> = t.each(list, |x, _, _, _| x.to_vec())?.concat();
    values.sort_unstable_by_key(|v| v.to_bits());
    let counts: Vec<(f32, u64)> = values
        .chunk_by(|a, b| a.to_bits() == b.to_bits())
        .map(|g| (g[0], g.len() as u64))
        .collect();
    let meta = &model.tensors[i];
    for (j, q) in p.plans.iter_mut().enumerate() {
        if !q.needs_cut() {
            continue;
        }
        let config = all[p.configs[j]];
        let scheme = config::scheme_for_tensor(config.scheme_for(&meta.name), meta);
        let Some(pr) = scheme.prune else { continue };
        let k = prune::prune_count(pr.sparsity, values.len()) as u64;
        let cut = prune::MagnitudeCut::from_counts(&counts, k);
        let at_key: u64 = counts
            .iter()
            .filter(|c| abs_key(c.0) == cut.key)
            .map(|c| c.1)
            .sum();
        let m = list.len().max(1) as u128;
        let mut before = Vec::with_capacity(t.units + 1);
        let mut seen = 0u128;
        for u in 0..=t.units {
            before.push((u128::from(at_key) * seen / m) as u64);
            seen += u128::from(list.binary_search(&u).is_ok());
        }
        q.set_cut(cut, before);
    }
    Ok(())
}

/// Values `config` keeps of tensor `i`: exact from its pruning count (all without pruning).
fn kept_values(config: &Config, model: &LoadedModel, i: usize) -> u64 {
    let meta = &model.tensors[i];
    let scheme = config::scheme_for_tensor(config.scheme_for(&meta.name), meta);
    let pruned = scheme
        .prune
        .map_or(0, |p| prune::prune_count(p.sparsity, meta.len));
    (meta.len - pruned) as u64
}

/// Sample sums scaled to a tensor of `n` values (`w` = values / sampled values).
fn scaled(s: ErrorSums, w: f64, n: usize) -> ErrorSums {
    ErrorSums {
        n: n as u64,
        sum_x2: s.sum_x2 * w,
        sum_y2: s.sum_y2 * w,
        sum_xy: s.sum_xy * w,
        sum_e2: s.sum_e2 * w,
        max_abs_err: s.max_abs_err,
        clipped: (s.clipped as f64 * w).round() as u64,
        zeros: (s.zeros as f64 * w).round() as u64,
    }
}

fn kept_record(model: &LoadedModel, i: usize, sums: ErrorSums) -> TensorRecord {
    let t = &model.tensors[i];
    let point = TensorPoint {
        name: t.name.clone(),
        shape: t.shape.clone(),
        compressed: false,
        metrics: sums.metrics(),
        size: SizeReport::dense(t.len as u64, 8 * t.stored_bytes, 0, 0, 0),
    };
    TensorRecord::kept(i, point, sums)
}

/// The sampled units' moments of one tensor under plan `j` (`None`: kept, zero error).
fn stratum(t: &TensorUnits, list: &[usize], f: &[UnitFigures], j: Option<usize>) -> Stratum {
    let mut s = Stratum {
        units: t.units as f64,
        sampled: list.len() as f64,
        ..Stratum::default()
    };
    for (id, plans) in f {
        let x = id.sum_x2;
        let e = j.map_or(0.0, |j| plans[j].sums.sum_e2);
        s.x += x;
        s.e += e;
        s.xx += x * x;
        s.ee += e * e;
        s.xe += x * e;
    }
    s
}

/// The estimated point and its error bar.
fn point(facts: &ModelFacts, config: &Config, p: Partial, sampled: u64) -> ConfigPoint {
    let mut acc = Compression::new(p.records.len());
    for r in p.records {
        acc.add_record(r);
    }
    let mut point = facts.point(config, acc.finish(), None);
    point.estimate = Some(Estimate {
        sampled,
        sqnr_err_db: sqnr_err_db(&p.strata),
    });
    point
}

/// Two standard errors of 10·log10(X/E), X and E estimated by stratified sampling of units.
fn sqnr_err_db(strata: &[Stratum]) -> f64 {
    let scale = |s: &Stratum| s.units / s.sampled.max(1.0);
    let x: f64 = strata.iter().map(|s| s.x * scale(s)).sum();
    let e: f64 = strata.iter().map(|s| s.e * scale(s)).sum();
    if e <= 0.0 || x <= 0.0 {
        return 0.0;
    }
    let r = x / e;
    // Var(R) ≈ Σ N²(1 − m/N)·s²_d/m / E², d = x² − R·e² per unit.
    let var: f64 = strata
        .iter()
        .filter(|s| s.sampled >= 2.0 && s.sampled < s.units)
        .map(|s| {
            let m = s.sampled;
            let sum_d = s.x - r * s.e;
            let sum_dd = s.xx - 2.0 * r * s.xe + r * r * s.ee;
            let var_d = ((sum_dd - sum_d * sum_d / m) / (m - 1.0)).max(0.0);
            s.units * s.units * (1.0 - m / s.units) * var_d / m
        })
        .sum::<f64>()
        / (e * e);
    2.0 * 10.0 / std::f64::consts::LN_10 * var.sqrt() / r
}
