//! The one pass over a model's tensors that measures every config on each tensor while it is
//! decoded ([`measure`]), and the same work split over machines: [`run_shard`] measures a
//! deterministic 1/N of the tensors, [`merge_shards`] folds the shards' records in tensor order
//! into exactly the sweep an unsharded run gives (the same records, the same fold).
//!
//! Shards are contiguous runs of tensors balanced by parameter count: tensor `i` belongs to
//! shard `⌊(params before i + len_i / 2) · N / total⌋`. No scheduler is involved: any batch
//! system that hands each task its index K (a Slurm job array, a Kubernetes Indexed Job) runs
//! `bitlens sweep --shard K/N`, and `bitlens merge` joins the files.

use serde::{Deserialize, Serialize};

use super::config::{self, Config, ConfigPoint};
use super::loaded::LoadedModel;
use super::record::{ModelFacts, RecordOut, TensorRecord};
use super::sweep::fold;
use super::{CancelToken, pareto, stream};
use crate::compress::Scratch;
use crate::compress::prune::{self, MagnitudeHistogram};
use crate::compress::scheme::PruneMethod;
use crate::tensor::Tensor;

/// Per config: its records in the order of the tensors asked for, or why it does not apply.
pub(crate) type Runs = Vec<Result<Vec<TensorRecord>, String>>;

/// Measure every config of `all` on each tensor of `tensors` (one decode per tensor, shared
/// buffers). `progress(k)` after the k-th tensor. `Ok(None)`: cancelled.
pub(crate) fn measure(
    model: &LoadedModel,
    all: &[&Config],
    tensors: &[usize],
    cancel: &CancelToken,
    progress: &mut dyn FnMut(usize),
) -> Result<Option<Runs>, String> {
    let mut masks: Vec<Vec<Option<Vec<bool>>>> = Vec::with_capacity(all.len());
    let mut runs: Runs = Vec::with_capacity(all.len());
    for c in all {
        let prepared = config::check(model, c).and_then(|()| config::masks(model, c));
        match prepared {
            Ok(m) => {
                masks.push(m);
                runs.push(Ok(Vec::with_capacity(tensors.len())));
            }
            Err(e) => {
                masks.push(Vec::new());
                runs.push(Err(e));
            }
        }
    }
    if let Err(message) = &runs[0] {
        return Err(message.clone());
    }
    // One decode buffer and one set of scratch buffers, reused for every tensor and config.
    let (mut decoded, mut scratch) = (Vec::new(), Scratch::default());
    for (done, &i) in tensors.iter().enumerate() {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let Some(mut streamed) = measure_streaming(model, all, &runs, &masks, i, cancel)? else {
            return Ok(None);
        };
        let touched = all
            .iter()
            .zip(&runs)
            .zip(&streamed)
            .any(|((c, r), s)| r.is_ok() && s.is_none() && config::touches(model, c, i));
        let data = if touched {
            Some(model.data_reusing(i, std::mem::take(&mut decoded))?)
        } else {
            None
        };
        let (kept, kept_sums) = config::kept_point(model, i, data.as_ref())?;
        let mut hist = None;
        let configs = all.iter().zip(runs.iter_mut()).zip(masks.iter_mut());
        for (((config, run), masks), streamed) in configs.zip(streamed.iter_mut()) {
            let Ok(records) = run else { continue };
            if let Some(r) = streamed.take() {
                records.push(r);
                continue;
            }
            let Some(t) = data.as_ref().filter(|_| config::touches(model, config, i)) else {
                records.push(TensorRecord::kept(i, kept.clone(), kept_sums));
                continue;
            };
            let mask = masks[i]
                .take()
                .or_else(|| shared_magnitude_mask(config, t, &mut hist, &mut scratch));
            match config::compress_tensor(model, config, i, t, mask, false, &mut scratch) {
                Ok(Some(mut c)) => {
                    records.push(TensorRecord::compressed(i, &c));
                    scratch.recycle(&mut c);
                }
                Ok(None) => records.push(TensorRecord::kept(i, kept.clone(), kept_sums)),
                Err(message) => *run = Err(message),
            }
            if cancel.is_cancelled() {
                return Ok(None);
            }
        }
        if let Some(t) = data {
            decoded = t.data;
        }
        progress(done + 1);
    }
    Ok(Some(runs))
}

/// The records of the configs that can be measured on tensor `i` unit by unit straight from
/// the file (see [`stream`]); `None` for the others. Also keeps the tensor's identity sums, so
/// the configs that leave it as stored need no decode. `Ok(None)`: cancelled.
fn measure_streaming(
    model: &LoadedModel,
    all: &[&Config],
    runs: &Runs,
    masks: &[Vec<Option<Vec<bool>>>],
    i: usize,
    cancel: &CancelToken,
) -> Result<Option<Vec<Option<TensorRecord>>>, String> {
    let mut out: Vec<Option<TensorRecord>> = vec![None; all.len()];
    let usable = |c: usize| runs[c].is_ok() && masks[c].get(i).is_none_or(Option::is_none);
    let Some(mut p) = stream::TensorPlans::new(model, all, &usable, i, true)? else {
        return Ok(Some(out));
    };
    let Some(s) = stream::measure(model, i, &mut p.plans, &p.cuts, cancel)? else {
        return Ok(None);
    };
    model.remember_identity(i, s.identity);
    let meta = &model.tensors[i];
    for ((c, plan), u) in p.configs.into_iter().zip(&p.plans).zip(s.sums) {
        let size = plan.size(u.kept);
        out[c] = Some(TensorRecord::streamed(i, meta, size, u.sums));
    }
    Ok(Some(out))
}

/// The magnitude-pruning mask of `config` on `t` from the tensor's histogram, computed once
/// for all the sweep's sparsities (`None`: the config does not prune by magnitude).
fn shared_magnitude_mask(
    config: &Config,
    t: &Tensor,
    hist: &mut Option<MagnitudeHistogram>,
    scratch: &mut Scratch,
) -> Option<Vec<bool>> {
    let p = config.scheme_for(&t.name).prune?;
    if p.method != PruneMethod::Magnitude {
        return None;
    }
    let h = hist.get_or_insert_with(|| MagnitudeHistogram::of(&t.data));
    let mut mask = std::mem::take(&mut scratch.mask);
    prune::magnitude_mask_into(&t.data, h, p.sparsity, &mut mask);
    Some(mask)
}

/// Which slice of the work: shard `k` (0-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub k: usize,
    pub n: usize,
}

impl ShardSpec {
    /// Parse `K/N` (0 ≤ K < N).
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard: expected K/N with 0 ≤ K < N, got {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok(Self { k, n })
    }

    /// The tensors of this shard: contiguous, balanced by parameters (see the module doc).
    pub fn tensors(self, lens: &[usize]) -> Vec<usize> {
        let total: u128 = lens.iter().map(|&l| l as u128).sum::<u128>().max(1);
        let mut before = 0u128;
        let mut out = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            let mid = 2 * before + len as u128;
            let shard = (mid * self.n as u128 / (2 * total)).min(self.n as u128 - 1);
            if shard == self.k as u128 {
                out.push(i);
            }
            before += len as u128;
        }
        out
    }
}

/// What one shard writes: the run it belongs to and its records per config.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardPart {
    pub shard: ShardSpec,
    pub model: ModelFacts,
    /// Every config of the run, the baseline first.
    pub configs: Vec<Config>,
    /// Per config: its records for this shard's tensors, or why it does not apply.
    pub results: Vec<Result<Vec<RecordOut>, String>>,
}

/// Measure shard `spec` of a sweep of `configs` (the baseline is added first, as in a sweep).
/// For models without an accuracy (evaluating one needs every tensor at once).
pub fn run_shard(
    model: &LoadedModel,
    configs: &[Config],
    spec: ShardSpec,
    cancel: &CancelToken,
) -> Result<Option<ShardPart>, String> {
    if model.is_evaluable() {
        return Err(format!(
            "{}: an evaluated model cannot be swept in shards",
            model.label
        ));
    }
    let baseline = Config::baseline_of(model);
    let all: Vec<&Config> = std::iter::once(&baseline).chain(configs).collect();
    let lens: Vec<usize> = model.tensors.iter().map(|t| t.len).collect();
    let mine = spec.tensors(&lens);
    let Some(runs) = measure(model, &all, &mine, cancel, &mut |_| {})? else {
        return Ok(None);
    };
    Ok(Some(ShardPart {
        shard: spec,
        model: ModelFacts::of(model),
        configs: all.into_iter().cloned().collect(),
        results: runs
            .into_iter()
            .map(|r| r.map(|recs| recs.iter().map(RecordOut::from).collect()))
            .collect(),
    }))
}

/// A merged sweep: points by index (`None` and a message for configs that failed), the Pareto
/// front and its objective, as [`super::sweep`] reports them.
pub type Merged = (
    Vec<Result<ConfigPoint, String>>,
    Vec<usize>,
    pareto::Objective,
);

/// Join the parts of one run (any order) into the sweep an unsharded run prints. Refused:
/// parts of different runs (model, configs or shard count), a shard given twice or missing.
pub fn merge_shards(parts: Vec<ShardPart>) -> Result<Merged, String> {
    let first = parts.first().ok_or("no shard files given")?;
    let (n, facts, configs) = (first.shard.n, first.model.clone(), first.configs.clone());
    let mut seen = vec![false; n];
    for p in &parts {
        if p.shard.n != n || p.model != facts || p.configs != configs {
            return Err(format!(
                "shard {}/{} belongs to another run (model, configs or shard count differ)",
                p.shard.k, p.shard.n
            ));
        }
        if std::mem::replace(&mut seen[p.shard.k], true) {
            return Err(format!("shard {}/{n} is given twice", p.shard.k));
        }
    }
    if let Some(k) = seen.iter().position(|s| !s) {
        return Err(format!("shard {k}/{n} is missing"));
    }
    let mut parts = parts;
    parts.sort_by_key(|p| p.shard.k);
    let mut points = Vec::with_capacity(configs.len());
    for (c, config) in configs.iter().enumerate() {
        let mut records: Vec<TensorRecord> = Vec::with_capacity(facts.tensors.len());
        let mut failed = None;
        for p in &mut parts {
            match std::mem::replace(&mut p.results[c], Ok(Vec::new())) {
                Ok(recs) => records.extend(recs.into_iter().map(TensorRecord::from)),
                Err(e) => failed = Some(e),
            }
        }
        records.sort_by_key(|r| r.tensor);
        let complete = records.len() == facts.tensors.len()
            && records.iter().enumerate().all(|(i, r)| r.tensor == i);
        points.push(match failed {
            Some(e) => Err(e),
            None if !complete => Err("the shards do not cover every tensor once".into()),
            None => Ok(fold(&facts, config, records)),
        });
    }
    if let Some(Err(e)) = points.first() {
        return Err(format!("baseline: {e}"));
    }
    let measured: Vec<(usize, ConfigPoint)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().ok().map(|p| (i, p.clone())))
        .collect();
    let (indices, ps): (Vec<usize>, Vec<ConfigPoint>) = measured.into_iter().unzip();
    let objective = pareto::Objective::for_points(&ps);
    let front = pareto::front_of(&ps, objective)
        .into_iter()
        .map(|i| indices[i])
        .collect();
    Ok((points, front, objective))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_tensor_once_balanced_by_size() {
        let lens = [100, 5, 5, 5, 100, 100, 1, 1, 300];
        for n in 1..=5 {
            let mut all: Vec<usize> = (0..n)
                .flat_map(|k| ShardSpec { k, n }.tensors(&lens))
                .collect();
            all.sort_unstable();
            assert_eq!(all, (0..lens.len()).collect::<Vec<_>>(), "n = {n}");
        }
        assert_eq!(ShardSpec { k: 1, n: 2 }.tensors(&lens), vec![6, 7, 8]);
        assert_eq!(ShardSpec::parse("2/4"), Ok(ShardSpec { k: 2, n: 4 }));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/3"] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
