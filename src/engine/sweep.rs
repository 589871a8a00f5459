//! The sweep job: the fp32 baseline, then one [`ConfigPoint`] per config, streamed as each is
//! measured, then the Pareto front. Cancellation is checked between configs (and between the
//! tensors of one config). A config that cannot be applied to this model (say, a channel axis
//! the tensors lack) is reported as [`Output::PointFailed`] and the sweep goes on.

use std::sync::Arc;

use super::config::{Config, ConfigPoint, evaluate_config_cancellable};
use super::loaded::LoadedModel;
use super::pareto::{self, Objective};
use super::{CancelToken, EventKind, Output, Request, run_job};

/// Run a sweep; point index 0 is the baseline, config `k` is point `k + 1`.
pub(crate) fn run(
    model: &LoadedModel,
    configs: &[Config],
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let total = configs.len() + 1;
    emit(EventKind::Progress { done: 0, total });
    let mut measured: Vec<(usize, ConfigPoint)> = Vec::with_capacity(total);
    let baseline = Config::baseline();
    for (index, config) in std::iter::once(&baseline).chain(configs).enumerate() {
        if cancel.is_cancelled() {
            return Ok(());
        }
        match evaluate_config_cancellable(model, config, cancel) {
            Ok(Some(point)) => {
                emit(EventKind::Output(Output::Point {
                    index,
                    point: Arc::new(point.clone()),
                }));
                measured.push((index, point));
            }
            Ok(None) => return Ok(()),
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
    let (indices, points): (Vec<usize>, Vec<ConfigPoint>) = measured.into_iter().unzip();
    let objective = Objective::for_points(&points);
    let front = pareto::front_of(&points, objective)
        .into_iter()
        .map(|i| indices[i])
        .collect();
    emit(EventKind::Output(Output::Pareto { front, objective }));
    Ok(())
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
