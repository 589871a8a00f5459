//! The Trade-off view's data: the sweep's points as they stream in, and the per-layer
//! sensitivity scan with its mixed-precision plan.

use std::sync::Arc;

use crate::engine::{ConfigPoint, EventKind, LayerSensitivity, MixedPrecision, Objective, Output};

/// The trade-off plot's data as the sweep streams it.
#[derive(Clone, Debug, Default)]
pub struct SweepState {
    /// Sweep index → point (index 0 = fp32 baseline).
    pub points: Vec<Arc<ConfigPoint>>,
    /// Configs that could not be applied: (label, message).
    pub failed: Vec<(String, String)>,
    /// Indices into `points` on the Pareto front, once the sweep ends.
    pub front: Vec<usize>,
    pub objective: Option<Objective>,
    pub progress: Option<(usize, usize)>,
    /// Seconds from start to the first point and to the end (for the lecture's speed claims).
    pub started: Option<std::time::Instant>,
    pub first_point_s: Option<f64>,
    pub total_s: Option<f64>,
}

impl SweepState {
    /// Fold one event of the sweep lane; a failure is returned for the status line.
    pub(super) fn apply(&mut self, kind: EventKind) -> Option<String> {
        match kind {
            EventKind::Output(Output::Point { index, point }) => {
                if self.first_point_s.is_none() && index > 0 {
                    self.first_point_s = self.started.map(|t| t.elapsed().as_secs_f64());
                }
                if self.points.len() <= index {
                    self.points.resize(index + 1, Arc::clone(&point));
                }
                self.points[index] = point;
            }
            EventKind::Output(Output::PointFailed {
                index,
                label,
                message,
            }) => {
                // A failed config's sampled estimate must not stay on the plot.
                if self.points.get(index).is_some_and(|p| p.estimate.is_some())
                    && let Some(first) = self.points.first().cloned()
                {
                    self.points[index] = first;
                }
                self.failed.push((label, message));
            }
            EventKind::Output(Output::Pareto { front, objective }) => {
                self.front = front;
                self.objective = Some(objective);
            }
            EventKind::Progress { done, total } => self.progress = Some((done, total)),
            EventKind::Finished | EventKind::Cancelled => {
                self.progress = None;
                self.total_s = self.started.map(|t| t.elapsed().as_secs_f64());
            }
            EventKind::Failed(message) => {
                self.progress = None;
                return Some(message);
            }
            EventKind::Output(_) => {}
        }
        None
    }
}

/// The per-layer sensitivity scan and the mixed-precision plan made from it.
#[derive(Clone, Debug, Default)]
pub struct SensitivityState {
    pub layers: Vec<Arc<LayerSensitivity>>,
    pub mixed: Option<Arc<MixedPrecision>>,
    pub progress: Option<(usize, usize)>,
}

impl SensitivityState {
    /// Fold one event of the sensitivity lane; a failure is returned for the status line.
    pub(super) fn apply(&mut self, kind: EventKind) -> Option<String> {
        match kind {
            EventKind::Output(Output::Layer(layer)) => self.layers.push(layer),
            EventKind::Output(Output::Mixed(mixed)) => self.mixed = Some(mixed),
            EventKind::Progress { done, total } => self.progress = Some((done, total)),
            EventKind::Finished | EventKind::Cancelled => self.progress = None,
            EventKind::Failed(message) => {
                self.progress = None;
                return Some(message);
            }
            EventKind::Output(_) => {}
        }
        None
    }
}
