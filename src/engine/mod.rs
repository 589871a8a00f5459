//! L2: the background engine. Requests go in, events come out: progress, results streamed
//! point by point, failure, cancellation. It knows nothing of egui: the GUI passes a waker
//! that requests a repaint, the CLI and tests a no-op.
//!
//! [`run_job`] is synchronous and deterministic; the [`Engine`] worker is a thread around it,
//! the CLI calls it directly, and UI tests use [`Engine::inline`] so a kittest frame settles.

mod jobs;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use jobs::run_job;
pub use worker::{Engine, Waker};

use crate::eval::EvalReport;
use crate::model::Model;
use crate::tensor::TensorStats;

/// Identifies one submitted job; events of superseded jobs are dropped by id.
pub type JobId = u64;

/// A cooperative cancellation flag, checked by jobs between units of work.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Jobs of one lane replace each other (latest wins); different lanes run side by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lane {
    /// Opening a model file.
    Open,
    /// Per-tensor statistics of the current model.
    Stats,
    /// Accuracy of the current model (or why it cannot be evaluated).
    Evaluate,
}

/// What to do in the background.
#[derive(Clone, Debug)]
pub enum Request {
    /// Open a model file (format recognised by content).
    OpenModel { path: PathBuf },
    /// Statistics of every tensor of `model`, streamed one tensor at a time.
    TensorStats { model: Arc<Model> },
    /// Evaluate `model` on its bundled dataset, if its tensors form a compatible MLP.
    Evaluate { model: Arc<Model> },
}

impl Request {
    pub fn lane(&self) -> Lane {
        match self {
            Request::OpenModel { .. } => Lane::Open,
            Request::TensorStats { .. } => Lane::Stats,
            Request::Evaluate { .. } => Lane::Evaluate,
        }
    }
}

/// A result (or one streamed piece of a result) of a job.
#[derive(Clone, Debug)]
pub enum Output {
    /// The model file opened.
    Opened(Arc<Model>),
    /// Statistics of tensor number `index` of the model (`Err`: it could not be decoded).
    Stats { index: usize, stats: Result<TensorStats, String> },
    /// The model was evaluated on its dataset.
    Evaluated(Arc<EvalReport>),
    /// The model cannot be evaluated; the reason, for the UI to say plainly.
    NotEvaluable(String),
}

/// One event of one job.
#[derive(Clone, Debug)]
pub struct Event {
    pub job: JobId,
    pub lane: Lane,
    pub kind: EventKind,
}

#[derive(Clone, Debug)]
pub enum EventKind {
    /// `done` of `total` units finished.
    Progress { done: usize, total: usize },
    /// A result (streamed jobs send several).
    Output(Output),
    /// The job finished (after all its outputs).
    Finished,
    /// The job failed; the message names the file or the problem.
    Failed(String),
    /// The job noticed its cancellation and stopped.
    Cancelled,
}
