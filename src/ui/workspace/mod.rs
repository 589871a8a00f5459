//! What the panels share at run time: the current model, its tensor statistics and evaluation
//! as the engine reports them, and one state per job family, each folding its own lane's
//! events: the Weights view's setting ([`PreviewState`]), the sweep ([`SweepState`]), the
//! sensitivity scan ([`SensitivityState`]), the demo ([`DemoState`]) and exports
//! ([`ExportState`]). What the status line says is data ([`Message`]).

mod demo;
mod preview;
mod status;
mod sweep;

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::{ConfigPoint, Event, EventKind, Lane, LoadedModel, Output};
use crate::eval::EvalReport;
use crate::model::Model;
use crate::run::{NotRunnable, RunSummary};
use crate::tensor::TensorStats;

pub use super::command::{AppCommand, Later};
pub use demo::DemoState;
pub use preview::{Pinned, PreviewState};
pub use status::{ExportState, Message};
pub use sweep::{SensitivityState, SweepState};

/// Evaluation of the current model, as far as it is known.
#[derive(Clone, Debug, Default)]
pub enum EvalStatus {
    #[default]
    Pending,
    Evaluated(Arc<EvalReport>),
    /// The model runs on the CPU (ONNX, BERT): what ran, on which inputs, what came out.
    Ran(Arc<RunSummary>),
    NotEvaluable(NotRunnable),
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
    /// The last thing worth saying (a failed job, a file written), for the status line.
    pub message: Option<Message>,
    pub export: ExportState,
    /// The model's tensors decoded for the compression jobs (after the load job).
    pub loaded: Option<Arc<LoadedModel>>,
    pub preview: PreviewState,
    pub sweep: SweepState,
    pub sensitivity: SensitivityState,
    /// The weights view's current setting measured on the whole model (the highlighted point).
    pub current_point: Option<Arc<ConfigPoint>>,
    pub demo: DemoState,
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
            message: None,
            export: ExportState::default(),
            loaded: None,
            preview: PreviewState::default(),
            sweep: SweepState::default(),
            sensitivity: SensitivityState::default(),
            current_point: None,
            demo: DemoState::default(),
        }
    }

    /// Apply one engine event. Returns a new model when an open job finished, so the app can
    /// start its statistics and evaluation.
    pub fn apply_event(&mut self, event: Event) -> Option<Arc<Model>> {
        match event.lane {
            Lane::Open => match event.kind {
                EventKind::Output(Output::Opened(model)) => {
                    self.opening = None;
                    return Some(model);
                }
                // The previous model stays: a failed load loses nothing.
                EventKind::Failed(message) => {
                    self.opening = None;
                    self.message = Some(Message::Failed(message));
                }
                _ => {}
            },
            Lane::Stats => self.apply_stats(event.kind),
            Lane::Evaluate => self.apply_evaluation(event.kind),
            Lane::Load => match event.kind {
                EventKind::Output(Output::Loaded(loaded)) => self.apply_loaded(loaded),
                EventKind::Failed(message) => self.message = Some(Message::Failed(message)),
                _ => {}
            },
            Lane::Preview | Lane::Activations => self.preview.apply(event.lane, event.kind),
            Lane::Sweep => {
                let failed = self.sweep.apply(event.kind);
                self.say(failed.map(Message::Failed));
            }
            Lane::Sensitivity => {
                let failed = self.sensitivity.apply(event.kind);
                self.say(failed.map(Message::Failed));
            }
            Lane::Demo => self.demo.apply(event.kind),
            Lane::Export => {
                let said = self.export.apply(event.kind);
                self.say(said);
            }
            Lane::Write => match event.kind {
                EventKind::Output(Output::Wrote { path, bytes }) => {
                    self.message = Some(Message::Wrote { path, bytes });
                }
                EventKind::Failed(message) => self.message = Some(Message::WriteFailed(message)),
                _ => {}
            },
            Lane::Config => match event.kind {
                EventKind::Output(Output::ConfigEvaluated(point)) => {
                    self.current_point = Some(point);
                }
                EventKind::Failed(message) => self.message = Some(Message::Failed(message)),
                _ => {}
            },
            Lane::Probe => {
                if let EventKind::Failed(message) = event.kind {
                    self.message = Some(Message::Failed(message));
                }
            }
        }
        None
    }

    /// Replace the status line's message when there is a new one.
    fn say(&mut self, message: Option<Message>) {
        if message.is_some() {
            self.message = message;
        }
    }

    fn apply_stats(&mut self, kind: EventKind) {
        match kind {
            EventKind::Output(Output::Stats { index, stats }) => {
                if let Some(slot) = self.stats.get_mut(index) {
                    *slot = Some(stats);
                }
            }
            EventKind::Progress { done, total } => self.stats_progress = Some((done, total)),
            EventKind::Finished | EventKind::Cancelled => self.stats_progress = None,
            EventKind::Failed(message) => self.message = Some(Message::Failed(message)),
            EventKind::Output(_) => {}
        }
    }

    /// The evaluate lane: the built-in evaluator's report, or why there is none.
    fn apply_evaluation(&mut self, kind: EventKind) {
        match kind {
            EventKind::Output(Output::Evaluated(report)) => {
                self.eval = EvalStatus::Evaluated(report);
            }
            // The load job may already have found that the model runs: then this is stale.
            EventKind::Output(Output::NotEvaluable(reason))
                if !matches!(self.eval, EvalStatus::Ran(_)) =>
            {
                // The loaded model knows more (why its runner could not start).
                let why = self.loaded.as_ref().and_then(|l| l.not_evaluable_reason());
                self.eval = EvalStatus::NotEvaluable(why.cloned().unwrap_or(reason));
            }
            EventKind::Failed(message) => self.eval = EvalStatus::Failed(message),
            _ => {}
        }
    }

    /// The model is loaded for the compression jobs: it runs, or why it does not.
    fn apply_loaded(&mut self, loaded: Arc<LoadedModel>) {
        if let Some(r) = loaded.runner() {
            self.eval = EvalStatus::Ran(Arc::new(r.summary().clone()));
        } else if let (EvalStatus::NotEvaluable(_) | EvalStatus::Pending, Some(why)) =
            (&self.eval, loaded.not_evaluable_reason())
        {
            self.eval = EvalStatus::NotEvaluable(why.clone());
        }
        self.loaded = Some(loaded);
    }
}
