//! What panels ask the app to do ([`AppCommand`]), applied once per frame after drawing, and
//! the mailbox ([`Later`]) for commands that arrive between frames.

use std::path::PathBuf;

use crate::engine::{Config, SensitivitySpec};

/// What panels ask the app to do; applied once per frame, after drawing.
#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    /// Open a model file in the background; the current model stays until it has loaded.
    OpenModel(PathBuf),
    /// Go back to the built-in model.
    UseBuiltin,
    /// Run the current model on these inputs (`None`: its bundled probe set): prepare it again.
    SetInputs(Option<PathBuf>),
    /// Make a tensor the current one (for the weights view).
    SelectTensor(String),
    /// Cancel the statistics job.
    CancelStats,
    /// Show what `config` does to `tensor` (`None`: the whole model) in the weights view,
    /// beside setting A (`compare`) when one is pinned.
    Preview {
        tensor: Option<String>,
        config: Config,
        compare: Option<Config>,
    },
    /// Pin this setting as A (with the whole-model point measured for it), or clear A.
    Pin(Option<Config>),
    /// Compress the model under `config` into `path` in `format` in the engine.
    ExportModel {
        config: Config,
        path: PathBuf,
        format: crate::engine::ExportFormat,
    },
    /// Write a small file (CSV, JSON, a plot's PNG) in the engine.
    WriteFile {
        path: PathBuf,
        content: crate::engine::FileContent,
    },
    /// Run a sweep of configs for the trade-off plot (the fp32 baseline is added).
    Sweep(Vec<Config>),
    /// Measure `config`'s weights with f32, int8 and fp8 activations (evaluable models).
    Activations(Config),
    /// Per-layer sensitivity (and a mixed-precision assignment when the spec has a budget).
    Sensitivity(SensitivitySpec),
    /// Cancel the running sweep and sensitivity jobs.
    CancelSweep,
    /// Put `config` into the weights view's controls and show that view.
    ApplyConfig(Config),
    /// Run a classroom training demo in the engine.
    /// Run a demo (with this many epochs per run instead of its default).
    RunDemo(crate::engine::DemoKind, Option<usize>),
    CancelDemo,
}

/// Commands that arrive between frames (a screenshot's callback): the app applies them at the
/// start of the next frame.
#[derive(Clone, Debug, Default)]
pub struct Later(std::sync::Arc<std::sync::Mutex<Vec<AppCommand>>>);

impl Later {
    pub fn push(&self, command: AppCommand) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(command);
    }

    pub fn take(&self) -> Vec<AppCommand> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}
