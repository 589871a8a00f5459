//! The sweep job: the baseline (the model as stored), then one [`ConfigPoint`] per config, then
//! the Pareto front. A config that cannot be applied to this model (say, a channel axis the
//! tensors lack) is reported as [`Output::PointFailed`] and the sweep goes on.
//!
//! Two orders, one per-tensor path ([`config::compress_tensor`]):
//! - **config by config** for models held decoded (small ones, and every evaluable model,
//!   which needs each config's dequantized tensors together): points stream as measured;
//! - **one pass over the file** for models read from their file: each tensor is decoded once
//!   and every config is measured on it while it is in memory, then dropped; memory holds one
//!   tensor plus one config's output, whatever the model's size. Points arrive when the pass
//!   ends (progress counts tensors). Figures are identical to the config-by-config order.

use std::sync::Arc;

use super::config::{self, Compression, Config, ConfigPoint, evaluate_config_cancellable};
use super::loaded::LoadedModel;
use super::pareto::{self, Objective};
use super::{CancelToken, EventKind, Output, Request, run_job};
use crate::compress::Scratch;
use crate::compress::prune::{self, MagnitudeHistogram};
use crate::compress::scheme::PruneMethod;
use crate::tensor::Tensor;

/// Run a sweep; point index 0 is the baseline, config `k` is point `k + 1`.
pub(crate) fn run(
    model: &LoadedModel,
    configs: &[Config],
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let baseline = Config::baseline_of(model);
    let all: Vec<&Config> = std::iter::once(&baseline).chain(configs).collect();
    let measured = if model.is_resident() {
        config_by_config(model, &all, cancel, emit)?
    } else {
        one_pass(model, &all, cancel, emit)?
    };
    let Some(measured) = measured else {
        return Ok(());
    };
    let (indices, points): (Vec<usize>, Vec<ConfigPoint>) = measured.into_iter().unzip();
    let objective = Objective::for_points(&points);
    let front = pareto::front_of(&points, objective)
        .into_iter()
        .map(|i| indices[i])
        .collect();
    emit(EventKind::Output(Output::Pareto { front, objective }));
    Ok(())
}

type Measured = Option<Vec<(usize, ConfigPoint)>>;

fn config_by_config(
    model: &LoadedModel,
    all: &[&Config],
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<Measured, String> {
    let total = all.len();
    emit(EventKind::Progress { done: 0, total });
    let mut measured: Vec<(usize, ConfigPoint)> = Vec::with_capacity(total);
    for (index, config) in all.iter().copied().enumerate() {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        match evaluate_config_cancellable(model, config, cancel) {
            Ok(Some(point)) => {
                emit(EventKind::Output(Output::Point {
                    index,
                    point: Arc::new(point.clone()),
                }));
                measured.push((index, point));
            }
            Ok(None) => return Ok(None),
            Err(message) if index == 0 => return Err(message),
            Err(message) => emit(EventKind::Output(Output::PointFailed {
                index,
                label: config.label.clone(),
                message,
            })),
        }
        emit(EventKind::Progress {
            done: index + 1,
            total,
        });
    }
    Ok(Some(measured))
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

/// Every config on each tensor while it is decoded; see the module doc.
fn one_pass(
    model: &LoadedModel,
    all: &[&Config],
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<Measured, String> {
    let n = model.tensors.len();
    emit(EventKind::Progress { done: 0, total: n });
    // Per config: its running totals and masks, or why it cannot be applied.
    let mut runs: Vec<Result<(Compression, Vec<Option<Vec<bool>>>), String>> = all
        .iter()
        .map(|c| {
            config::check(model, c)?;
            Ok((Compression::new(n), config::masks(model, c)?))
        })
        .collect();
    if let Err(message) = &runs[0] {
        return Err(message.clone());
    }
    // One decode buffer and one reconstruction buffer, reused for every tensor and config.
    let (mut decoded, mut scratch) = (Vec::new(), Scratch::default());
    for i in 0..n {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let touched = all
            .iter()
            .zip(&runs)
            .any(|(c, r)| r.is_ok() && config::touches(model, c, i));
        let data = if touched {
            Some(model.data_reusing(i, std::mem::take(&mut decoded))?)
        } else {
            None
        };
        let kept = config::kept_point(model, i, data.as_ref())?;
        let mut hist = None;
        for (config, run) in all.iter().zip(runs.iter_mut()) {
            let Ok((acc, masks)) = run else { continue };
            let Some(t) = data.as_ref().filter(|_| config::touches(model, config, i)) else {
                acc.add_kept(kept.0.clone(), kept.1);
                continue;
            };
            let mask = masks[i]
                .take()
                .or_else(|| shared_magnitude_mask(config, t, &mut hist, &mut scratch));
            match config::compress_tensor_into(model, config, i, t, mask, false, &mut scratch) {
                Ok(Some(c)) => acc.add_measured(c, &mut scratch),
                Ok(None) => acc.add_kept(kept.0.clone(), kept.1),
                Err(message) => *run = Err(message),
            }
            if cancel.is_cancelled() {
                return Ok(None);
            }
        }
        if let Some(t) = data {
            decoded = t.data;
        }
        emit(EventKind::Progress {
            done: i + 1,
            total: n,
        });
    }
    drop((decoded, scratch));
    let mut measured = Vec::with_capacity(all.len());
    for (index, (config, run)) in all.iter().zip(runs).enumerate() {
        let point = run.and_then(|(acc, _)| config::finish_point(model, config, acc.finish()));
        match point {
            Ok(point) => {
                emit(EventKind::Output(Output::Point {
                    index,
                    point: Arc::new(point.clone()),
                }));
                measured.push((index, point));
            }
            Err(message) if index == 0 => return Err(message),
            Err(message) => emit(EventKind::Output(Output::PointFailed {
                index,
                label: config.label.clone(),
                message,
            })),
        }
    }
    Ok(Some(measured))
}

/// A finished sweep, collected from the job's events (for the CLI and tests).
#[derive(Clone, Debug)]
pub struct SweepResult {
    /// Measured points by sweep index (`points[0]` is the baseline); `None` for failed configs.
    pub points: Vec<Option<Arc<ConfigPoint>>>,
    /// `(index, label, message)` of configs that could not be applied.
    pub failed: Vec<(usize, String, String)>,
    pub objective: Objective,
    /// Sweep indices on the Pareto front, by increasing size.
    pub front: Vec<usize>,
}

impl SweepResult {
    /// Whether point `index` is on the front.
    pub fn on_front(&self, index: usize) -> bool {
        self.front.contains(&index)
    }
}

/// Run the sweep job synchronously through [`run_job`] (the same code the GUI's worker runs).
/// `on_point` sees each point as it is measured.
pub fn sweep(
    model: Arc<LoadedModel>,
    configs: Vec<Config>,
    on_point: &mut dyn FnMut(usize, &ConfigPoint),
) -> Result<SweepResult, String> {
    let total = configs.len() + 1;
    let mut result = SweepResult {
        points: vec![None; total],
        failed: Vec::new(),
        objective: Objective::SqnrDb,
        front: Vec::new(),
    };
    let request = Request::Sweep { model, configs };
    run_job(&request, &CancelToken::default(), &mut |event| {
        if let EventKind::Output(out) = event {
            match out {
                Output::Point { index, point } => {
                    on_point(index, &point);
                    result.points[index] = Some(point);
                }
                Output::PointFailed {
                    index,
                    label,
                    message,
                } => result.failed.push((index, label, message)),
                Output::Pareto { front, objective } => {
                    result.front = front;
                    result.objective = objective;
                }
                _ => {}
            }
        }
    })?;
    Ok(result)
}
