//! L2: the background engine. Requests go in, events come out: progress, results streamed
//! point by point, failure, cancellation. It knows nothing of egui: the GUI passes a waker
//! that requests a repaint, the CLI and tests a no-op.
//!
//! [`run_job`] is synchronous and deterministic; the [`Engine`] worker is a thread around it,
//! the CLI calls it directly, and UI tests use [`Engine::inline`] so a kittest frame settles.
//!
//! Compression jobs work on a [`LoadedModel`] (shared by `Arc`; small models decoded once, large
//! ones read tensor by tensor from their memory map): the GUI gets one from [`Request::Load`],
//! the CLI and tests from [`LoadedModel::load`].
//!
//! | request | lane | outputs (in order) |
//! |---|---|---|
//! | [`Request::OpenModel`] | [`Lane::Open`] | [`Output::Opened`] |
//! | [`Request::TensorStats`] | [`Lane::Stats`] | [`Output::Stats`] per tensor |
//! | [`Request::Evaluate`] | [`Lane::Evaluate`] | [`Output::Evaluated`] or [`Output::NotEvaluable`] |
//! | [`Request::Load`] | [`Lane::Load`] | [`Output::Loaded`] |
//! | [`Request::EvaluateConfig`] | [`Lane::Config`] | [`Output::ConfigEvaluated`] |
//! | [`Request::Sweep`] | [`Lane::Sweep`] | [`Output::Point`] (index 0 = fp32 baseline) or [`Output::PointFailed`] per config, then [`Output::Pareto`] |
//! | [`Request::Sensitivity`] | [`Lane::Sensitivity`] | [`Output::Layer`] per layer, then [`Output::Mixed`] if a budget was given |
//! | [`Request::Preview`] | [`Lane::Preview`] | [`Output::Preview`], then [`Output::ConfigEvaluated`] if asked (accuracy for evaluable models, size and SQNR for every model) |
//! | [`Request::ExportModel`] | [`Lane::Export`] | [`Output::Exported`] (progress per tensor) |
//! | [`Request::WriteFile`] | [`Lane::Write`] | [`Output::Wrote`] |
//! | [`Request::Activations`] | [`Lane::Activations`] | [`Output::Activations`] |
//! | [`Request::Demo`] | [`Lane::Demo`] | [`Output::DemoEpoch`] per epoch of each run, then [`Output::Demo`] |
//! | [`Request::Probe`] | [`Lane::Probe`] | progress only (diagnostics: ticks, or a panic) |
//!
//! Every job also sends [`EventKind::Progress`] and ends with exactly one of `Finished`,
//! `Failed` or `Cancelled`.

mod activations;
mod config;
mod demo;
mod estimate;
mod export;
mod export_gguf;
mod export_packed;
mod family;
mod jobs;
pub mod label;
mod loaded;
mod pareto;
mod presets;
mod preview;
mod preview_sample;
mod probe;
mod record;
mod sensitivity;
mod shard;
mod stream;
mod sweep;
mod tensor_meta;
mod worker;
mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use activations::{
    ACT_CALIBRATION_ROWS, ACTIVATIONS, ActBits, ActivationStudy, study as activation_study,
};
pub use config::{
    Config, ConfigPoint, Estimate, TensorPoint, compress_each, evaluate_config,
    evaluate_config_cancellable, f32_scheme,
};
pub use demo::{DemoEpoch, DemoKind, run_demo};
pub use export::{ExportFormat, ExportNote, Exported, ModelFile, write_compressed};
pub use family::Family;
pub use jobs::run_job;
pub use loaded::{LoadedModel, RESIDENT_LIMIT, TensorMeta, TensorRanges, WeightUse};
pub use pareto::Objective;
pub use preview::{
    CompareSide, DEFAULT_BINS, MAX_GRID_LEVELS, Preview, compress_one, preview_tensor,
};
pub use preview_sample::{SAMPLE_ABOVE, Sampled, sampled_preview};
pub use probe::Probe;
pub use record::{ModelFacts, RecordOut, TensorRecord};
pub use sensitivity::{
    Budget, Candidate, EXHAUSTIVE_LIMIT, LayerChoice, LayerSensitivity, MixedPrecision,
    SensitivitySpec,
};
pub use shard::{ShardPart, ShardSpec, merge_shards, run_shard};
pub use sweep::{SweepResult, sweep};
pub use worker::{Engine, Waker, background_threads};
pub use write::{FileContent, write_file};

/// Pareto-front helpers (`front`, `front_of`, `flags`, `dominates`).
pub mod front {
    pub use super::pareto::{dominates, flags, front, front_of};
}

/// Sweep definitions: presets and grids.
pub mod sweeps {
    pub use super::presets::{
        Preset, grid, int_config, int_label, int_scheme, prune_config, prune_scheme,
        weight_activation_configs, with_prune,
    };
}

use crate::eval::EvalReport;
use crate::model::Model;
use crate::run::RunOptions;
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
    /// Preparing a model for the compression jobs (decoding small ones).
    Load,
    /// One config evaluated on its own (the user's current setting).
    Config,
    /// A sweep of configs (the trade-off plot).
    Sweep,
    /// Per-layer sensitivity and mixed precision.
    Sensitivity,
    /// The weights view's preview.
    Preview,
    /// Diagnostic jobs.
    Probe,
    /// A classroom training demo.
    Demo,
    /// Small files written for the user.
    Write,
    /// Writing a compressed model file.
    Export,
    /// Weight-activation quantization of the current setting (evaluable models).
    Activations,
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
    /// Prepare `model` for the compression jobs ([`LoadedModel::load_with`]: small models
    /// decoded once; ONNX graphs and BERT encoders prepared to run on `run`'s inputs).
    Load { model: Arc<Model>, run: RunOptions },
    /// Compress the whole model with one config and measure it.
    EvaluateConfig {
        model: Arc<LoadedModel>,
        config: Config,
    },
    /// The fp32 baseline and then every config, point by point, then the Pareto front.
    Sweep {
        model: Arc<LoadedModel>,
        configs: Vec<Config>,
    },
    /// Per-layer sensitivity, and a mixed-precision assignment if `spec.budget` is set.
    Sensitivity {
        model: Arc<LoadedModel>,
        spec: SensitivitySpec,
    },
    /// What `config` does to one tensor (`None`: the whole model), histograms on `bins` bins
    /// (0 = [`DEFAULT_BINS`]); `evaluate`: then also measure the whole model under `config`.
    Preview {
        model: Arc<LoadedModel>,
        tensor: Option<String>,
        config: Config,
        bins: usize,
        evaluate: bool,
        /// Setting A to compare with (its reconstruction and error on the same bins).
        compare: Option<Config>,
    },
    /// A diagnostic job (tests).
    Probe(Probe),
    /// A classroom training demo on its default settings (`seed` and `epochs` override them).
    Demo {
        kind: DemoKind,
        seed: Option<u64>,
        epochs: Option<usize>,
    },
    /// Compress `model` under `config` and write it to `path` (safetensors, F32, the config as
    /// `bitlens.config` metadata), one tensor at a time.
    ExportModel {
        model: Arc<LoadedModel>,
        config: Config,
        path: PathBuf,
        format: ExportFormat,
    },
    /// Layer inputs on the calibration batch and the accuracy of `config`'s weights with f32,
    /// int8 and fp8 activations (evaluable models).
    Activations {
        model: Arc<LoadedModel>,
        config: Config,
    },
    /// Write a small file for the user (a CSV, a JSON, a PNG of a plot) at `path`.
    WriteFile {
        path: PathBuf,
        content: Arc<FileContent>,
    },
}

impl Request {
    pub fn lane(&self) -> Lane {
        match self {
            Request::OpenModel { .. } => Lane::Open,
            Request::TensorStats { .. } => Lane::Stats,
            Request::Evaluate { .. } => Lane::Evaluate,
            Request::Load { .. } => Lane::Load,
            Request::EvaluateConfig { .. } => Lane::Config,
            Request::Sweep { .. } => Lane::Sweep,
            Request::Sensitivity { .. } => Lane::Sensitivity,
            Request::Preview { .. } => Lane::Preview,
            Request::Probe(_) => Lane::Probe,
            Request::Demo { .. } => Lane::Demo,
            Request::ExportModel { .. } => Lane::Export,
            Request::WriteFile { .. } => Lane::Write,
            Request::Activations { .. } => Lane::Activations,
        }
    }
}

/// A result (or one streamed piece of a result) of a job.
#[derive(Clone, Debug)]
pub enum Output {
    /// The model file opened.
    Opened(Arc<Model>),
    /// Statistics of tensor number `index` of the model (`Err`: it could not be decoded).
    Stats {
        index: usize,
        stats: Result<TensorStats, String>,
    },
    /// The model was evaluated on its dataset.
    Evaluated(Arc<EvalReport>),
    /// The model cannot be evaluated; the reason, for the UI to say plainly.
    NotEvaluable(crate::run::NotRunnable),
    /// The model's tensors, decoded (pass this to the compression requests).
    Loaded(Arc<LoadedModel>),
    /// One config measured on its own (an [`Request::EvaluateConfig`], or the accuracy of a
    /// [`Request::Preview`]'s setting).
    ConfigEvaluated(Arc<ConfigPoint>),
    /// One sweep point; `index` 0 is the fp32 baseline, config `k` of the request is `k + 1`.
    Point {
        index: usize,
        point: Arc<ConfigPoint>,
    },
    /// A sweep config that cannot be applied to this model; the sweep goes on.
    PointFailed {
        index: usize,
        label: String,
        message: String,
    },
    /// The end of a sweep: sweep indices on the Pareto front (by increasing size) and what the
    /// y axis measures.
    Pareto {
        front: Vec<usize>,
        objective: Objective,
    },
    /// The sensitivity of one layer (streamed in layer order).
    Layer(Arc<LayerSensitivity>),
    /// The mixed-precision assignment under the budget, measured as a whole.
    Mixed(Arc<MixedPrecision>),
    /// The weights view's preview.
    Preview(Arc<Preview>),
    /// One epoch of one training run of a demo (live curves).
    DemoEpoch(DemoEpoch),
    /// A model file written by [`Request::ExportModel`].
    Exported(export::ModelFile),
    /// What [`Request::Activations`] measured.
    Activations(Arc<ActivationStudy>),
    /// A file written by [`Request::WriteFile`], and its size on disk.
    Wrote { path: PathBuf, bytes: u64 },
    /// A demo's finished report (what `bitlens demo --json` prints).
    Demo {
        kind: DemoKind,
        report: Arc<crate::demos::DemoReport>,
    },
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
