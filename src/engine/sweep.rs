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
//!   ends (progress counts tensors), each replacing the estimate from a sample of the model
//!   sent first ([`super::estimate`]; [`ConfigPoint::estimate`] is `Some`). Figures are
//!   identical to the config-by-config order.

use std::sync::Arc;

use super::config::{Compression, Config, ConfigPoint, evaluate_config_cancellable};
use super::loaded::LoadedModel;
use super::pareto::{self, Objective};
use super::record::{ModelFacts, TensorRecord};
use super::{CancelToken, EventKind, Output, Request, run_job};
use super::{estimate, shard};

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
            Ok(None) => return Ok(None),
            Ok(Some(point)) => report(index, config, Ok(point), &mut measured, emit)?,
            Err(message) => report(index, config, Err(message), &mut measured, emit)?,
        }
        emit(EventKind::Progress {
            done: index + 1,
            total,
        });
    }
    Ok(Some(measured))
}

/// Every config on each tensor while it is decoded; see the module doc.
fn one_pass(
    model: &LoadedModel,
    all: &[&Config],
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<Measured, String> {
    let n = model.tensors.len();
    let every: Vec<usize> = (0..n).collect();
    emit(EventKind::Progress { done: 0, total: n });
    // A first answer from a sample (about a second), replaced point by point below.
    let Some(estimates) = estimate::estimate(model, all, cancel)? else {
        return Ok(None);
    };
    for (index, point) in estimates.into_iter().enumerate() {
        if let Some(point) = point {
            emit(EventKind::Output(Output::Point {
                index,
                point: Arc::new(point),
            }));
        }
    }
    let mut progress = |done| emit(EventKind::Progress { done, total: n });
    let Some(runs) = shard::measure(model, all, &every, cancel, &mut progress)? else {
        return Ok(None);
    };
    let facts = ModelFacts::of(model);
    let mut measured = Vec::with_capacity(all.len());
    for (index, (config, run)) in all.iter().zip(runs).enumerate() {
        let point = run.map(|records| fold(&facts, config, records));
        report(index, config, point, &mut measured, emit)?;
    }
    Ok(Some(measured))
}

/// Emit point `index` (or why it failed) and keep it; a failed baseline fails the sweep.
fn report(
    index: usize,
    config: &Config,
    point: Result<ConfigPoint, String>,
    measured: &mut Vec<(usize, ConfigPoint)>,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
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
    Ok(())
}

/// A config's point from its records in tensor order (the unsharded run and `merge` both).
pub(crate) fn fold(facts: &ModelFacts, config: &Config, records: Vec<TensorRecord>) -> ConfigPoint {
    let mut acc = Compression::new(records.len());
    for r in records {
        acc.add_record(r);
    }
    facts.point(config, acc.finish(), None)
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
                } => {
                    result.points[index] = None; // drop its estimate, if any
                    result.failed.push((index, label, message));
                }
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
