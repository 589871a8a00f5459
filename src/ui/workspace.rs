//! What the panels share at run time: the current model, its tensor statistics and evaluation
//! as the engine reports them, and the commands panels send back to the app.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::{
    Config, ConfigPoint, Event, EventKind, Lane, LayerSensitivity, LoadedModel, MixedPrecision,
    Objective, Output, Preview,
};
use crate::eval::EvalReport;
use crate::model::Model;
use crate::run::RunSummary;
use crate::tensor::TensorStats;

pub use super::command::{AppCommand, Later};

/// Setting A: its config and the whole-model point measured for it when it was pinned.
#[derive(Clone, Debug)]
pub struct Pinned {
    pub config: Config,
    pub point: Option<Arc<ConfigPoint>>,
}

/// The running or last finished training demo.
#[derive(Clone, Debug, Default)]
pub struct DemoState {
    pub kind: Option<crate::engine::DemoKind>,
    pub running: bool,
    /// Series name → (epoch, test accuracy in %) as the epochs stream in, in arrival order.
    pub curves: Vec<(String, Vec<[f64; 2]>)>,
    /// The finished report (what `bitlens demo --json` prints).
    pub report: Option<Arc<crate::demos::DemoReport>>,
    pub error: Option<String>,
}

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
    pub layers: Vec<Arc<LayerSensitivity>>,
    pub mixed: Option<Arc<MixedPrecision>>,
    pub sensitivity_progress: Option<(usize, usize)>,
}

/// Evaluation of the current model, as far as it is known.
#[derive(Clone, Debug, Default)]
pub enum EvalStatus {
    #[default]
    Pending,
    Evaluated(Arc<EvalReport>),
    /// The model runs on the CPU (ONNX, BERT): what ran, on which inputs, what came out.
    Ran(Arc<RunSummary>),
    NotEvaluable(String),
    Failed(String),
}

/// Runtime state shared by the panels (not persisted).
pub struct Workspace {
    pub model: Arc<Model>,
    /// One entry per tensor of `model`, filled as the stats job streams them.
    pub stats: Vec<Option<Result<TensorStats, String>>>,
    /// `(done, total)` while the stats job runs.
    pub stats_progress: Option<(usize, usize)>,
    pub eval: EvalStatus,
    /// The file being opened, while the open job runs.
    pub opening: Option<PathBuf>,
    /// The tensor the weights view shows.
    pub selected_tensor: Option<String>,
    /// The last error (failed open, failed job), shown in the status line.
    pub last_error: Option<String>,
    /// The last completed action worth saying (a file written), shown in the status line.
    pub notice: Option<String>,
    /// `(done, total)` tensors while an export runs.
    pub export_progress: Option<(usize, usize)>,
    /// The model's tensors decoded for the compression jobs (after the load job).
    pub loaded: Option<Arc<LoadedModel>>,
    /// The weights view's last finished preview (kept on screen until the next one is ready).
    pub preview: Option<Arc<Preview>>,
    /// The whole model measured under the previewed setting (accuracy when evaluable).
    pub preview_point: Option<Arc<ConfigPoint>>,
    /// Setting A of an A/B comparison in the weights view (and marked in the trade-off plot).
    pub pinned: Option<Pinned>,
    /// `(done, total)` while a preview job runs.
    pub preview_progress: Option<(usize, usize)>,
    pub preview_error: Option<String>,
    pub sweep: SweepState,
    /// The weights view's current setting measured on the whole model (the highlighted point).
    pub current_point: Option<Arc<ConfigPoint>>,
    pub demo: DemoState,
    /// Weight-activation quantization of the weights view's setting (evaluable models), or why
    /// it could not be measured.
    pub activations: Option<Result<Arc<crate::engine::ActivationStudy>, String>>,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::with_model(Arc::new(Model::builtin()))
    }
}

impl Workspace {
    pub fn with_model(model: Arc<Model>) -> Self {
        let selected_tensor = model
            .tensors
            .iter()
            .find(|t| t.supported)
            .map(|t| t.name.clone());
        Self {
            stats: vec![None; model.tensors.len()],
            model,
            stats_progress: None,
            eval: EvalStatus::Pending,
            opening: None,
            selected_tensor,
            last_error: None,
            notice: None,
            export_progress: None,
            loaded: None,
            preview: None,
            preview_point: None,
            pinned: None,
            preview_progress: None,
            preview_error: None,
            sweep: SweepState::default(),
            current_point: None,
            demo: DemoState::default(),
            activations: None,
        }
    }

    /// Apply one engine event. Returns a new model when an open job finished, so the app can
    /// start its statistics and evaluation.
    pub fn apply_event(&mut self, event: Event) -> Option<Arc<Model>> {
        match (event.lane, event.kind) {
            (Lane::Open, EventKind::Output(Output::Opened(model))) => {
                self.opening = None;
                return Some(model);
            }
            (Lane::Open, EventKind::Failed(message)) => {
                // The previous model stays: a failed load loses nothing.
                self.opening = None;
                self.last_error = Some(message);
            }
            (Lane::Stats, EventKind::Output(Output::Stats { index, stats })) => {
                if let Some(slot) = self.stats.get_mut(index) {
                    *slot = Some(stats);
                }
            }
            (Lane::Stats, EventKind::Progress { done, total }) => {
                self.stats_progress = Some((done, total));
            }
            (Lane::Stats, EventKind::Finished | EventKind::Cancelled) => self.stats_progress = None,
            (Lane::Evaluate, EventKind::Output(Output::Evaluated(report))) => {
                self.eval = EvalStatus::Evaluated(report);
            }
            // The load job may already have found that the model runs: then this is stale.
            (Lane::Evaluate, EventKind::Output(Output::NotEvaluable(reason)))
                if !matches!(self.eval, EvalStatus::Ran(_)) =>
            {
                // The loaded model knows more (why its runner could not start).
                let why = self.loaded.as_ref().and_then(|l| l.not_evaluable_reason());
                self.eval = EvalStatus::NotEvaluable(why.map_or(reason, str::to_owned));
            }
            (Lane::Evaluate, EventKind::Failed(message)) => self.eval = EvalStatus::Failed(message),
            (Lane::Export, EventKind::Progress { done, total }) => {
                self.export_progress = Some((done, total));
            }
            (
                Lane::Export,
                EventKind::Output(Output::Exported {
                    path,
                    label,
                    bytes,
                    promised,
                    notes,
                    ..
                }),
            ) => {
                let notes = if notes.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", notes.join(" · "))
                };
                self.notice = Some(format!(
                    "wrote {} ({label}): {} on disk, the setting's tensors {}{notes}",
                    path.display(),
                    crate::ui::model_panel::size_calc::human_bytes(bytes as f64),
                    crate::ui::model_panel::size_calc::human_bytes(promised as f64),
                ));
            }
            (Lane::Write, EventKind::Output(Output::Wrote { path, bytes })) => {
                self.notice = Some(format!("wrote {}: {bytes} bytes on disk", path.display()));
            }
            (Lane::Write, EventKind::Failed(message)) => {
                self.last_error = Some(format!("could not write {message}"));
            }
            (Lane::Export, EventKind::Finished | EventKind::Cancelled) => {
                self.export_progress = None;
            }
            (Lane::Export, EventKind::Failed(message)) => {
                self.export_progress = None;
                self.last_error = Some(format!("export failed: {message}"));
            }
            (Lane::Load, EventKind::Output(Output::Loaded(loaded))) => {
                if let Some(r) = loaded.runner() {
                    self.eval = EvalStatus::Ran(Arc::new(r.summary().clone()));
                } else if let (EvalStatus::NotEvaluable(_) | EvalStatus::Pending, Some(why)) =
                    (&self.eval, loaded.not_evaluable_reason())
                {
                    self.eval = EvalStatus::NotEvaluable(why.to_owned());
                }
                self.loaded = Some(loaded);
            }
            (Lane::Preview, EventKind::Output(Output::Preview(preview))) => {
                self.preview = Some(preview);
                self.preview_error = None;
            }
            (Lane::Preview, EventKind::Output(Output::ConfigEvaluated(point))) => {
                // A pinned before its whole-model point arrived gets it now.
                if let Some(a) = self.pinned.as_mut().filter(|a| a.point.is_none())
                    && a.config == point.config
                {
                    a.point = Some(Arc::clone(&point));
                }
                self.preview_point = Some(point);
            }
            (Lane::Preview, EventKind::Progress { done, total }) => {
                self.preview_progress = Some((done, total));
            }
            (Lane::Preview, EventKind::Finished | EventKind::Cancelled) => {
                self.preview_progress = None;
            }
            (Lane::Preview, EventKind::Failed(message)) => {
                self.preview_progress = None;
                self.preview_error = Some(message);
            }
            (Lane::Sweep, EventKind::Output(Output::Point { index, point })) => {
                let sweep = &mut self.sweep;
                if sweep.first_point_s.is_none() && index > 0 {
                    sweep.first_point_s = sweep.started.map(|t| t.elapsed().as_secs_f64());
                }
                if sweep.points.len() <= index {
                    sweep.points.resize(index + 1, Arc::clone(&point));
                }
                sweep.points[index] = point;
            }
            (
                Lane::Sweep,
                EventKind::Output(Output::PointFailed {
                    index,
                    label,
                    message,
                }),
            ) => {
                // A failed config's sampled estimate must not stay on the plot.
                let sweep = &mut self.sweep;
                if sweep
                    .points
                    .get(index)
                    .is_some_and(|p| p.estimate.is_some())
                    && let Some(first) = sweep.points.first().cloned()
                {
                    sweep.points[index] = first;
                }
                sweep.failed.push((label, message));
            }
            (Lane::Sweep, EventKind::Output(Output::Pareto { front, objective })) => {
                self.sweep.front = front;
                self.sweep.objective = Some(objective);
            }
            (Lane::Sweep, EventKind::Progress { done, total }) => {
                self.sweep.progress = Some((done, total));
            }
            (Lane::Sweep, EventKind::Finished | EventKind::Cancelled) => {
                self.sweep.progress = None;
                self.sweep.total_s = self.sweep.started.map(|t| t.elapsed().as_secs_f64());
            }
            (Lane::Sensitivity, EventKind::Output(Output::Layer(layer))) => {
                self.sweep.layers.push(layer);
            }
            (Lane::Sensitivity, EventKind::Output(Output::Mixed(mixed))) => {
                self.sweep.mixed = Some(mixed);
            }
            (Lane::Sensitivity, EventKind::Progress { done, total }) => {
                self.sweep.sensitivity_progress = Some((done, total));
            }
            (Lane::Sensitivity, EventKind::Finished | EventKind::Cancelled) => {
                self.sweep.sensitivity_progress = None;
            }
            (Lane::Config, EventKind::Output(Output::ConfigEvaluated(point))) => {
                self.current_point = Some(point);
            }
            (Lane::Sweep | Lane::Sensitivity, EventKind::Failed(message)) => {
                self.sweep.progress = None;
                self.sweep.sensitivity_progress = None;
                self.last_error = Some(message);
            }
            (Lane::Demo, EventKind::Output(Output::DemoEpoch(e))) => {
                let point = [e.epoch as f64, e.test_accuracy * 100.0];
                match self
                    .demo
                    .curves
                    .iter_mut()
                    .find(|(name, _)| *name == e.series)
                {
                    Some((_, points)) => points.push(point),
                    None => self.demo.curves.push((e.series, vec![point])),
                }
            }
            (Lane::Demo, EventKind::Output(Output::Demo { report, .. })) => {
                self.demo.report = Some(report);
            }
            (Lane::Demo, EventKind::Finished | EventKind::Cancelled) => self.demo.running = false,
            (Lane::Demo, EventKind::Failed(message)) => {
                self.demo.running = false;
                self.demo.error = Some(message);
            }
            (Lane::Activations, EventKind::Output(Output::Activations(study))) => {
                self.activations = Some(Ok(study));
            }
            (Lane::Activations, EventKind::Failed(message)) => {
                self.activations = Some(Err(message));
            }
            (_, EventKind::Failed(message)) => self.last_error = Some(message),
            _ => {}
        }
        None
    }
}
