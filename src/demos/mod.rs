//! Training demos for the classroom (layer L1: no egui, no printing, no file I/O): PTQ vs
//! QAT, knowledge distillation (with a teacher assistant), LoRA and QLoRA, adapters and
//! prompt tuning, all on the built-in MNIST MLP and the bundled MNIST-5k data, deterministic
//! from a seed.
//!
//! Every demo is one function `run_*(config, cancel, progress) -> Result<Report, DemoError>`:
//! `cancel()` is polled before every mini-batch (a true return ends the run with
//! [`DemoError::Cancelled`]); `progress(series, point)` gets each epoch's training loss and
//! test accuracy for live curves. Reports are serde-serializable and carry `notes` where an
//! expected ordering did not come out.

pub mod adapter;
pub mod common;
pub mod distill;
pub mod lora;
pub mod prompt;
pub mod qat;
pub mod task;

pub use adapter::{AdapterConfig, AdapterReport, run_adapter};
pub use common::{Curve, DemoError, EpochPoint, Label, Note, Schedule};
pub use distill::{DistillConfig, DistillReport, DistillRow, run_distill};
pub use lora::{BaseStorage, LoraConfig, LoraMemory, LoraReport, run_lora};
pub use prompt::{PromptConfig, PromptReport, run_prompt};
pub use qat::{QatConfig, QatReport, QatRow, run_qat};
pub use task::{AdaptCommon, AdaptRow, TaskConfig, TaskInfo};

/// Any demo's settings, for callers (engine, CLI) that dispatch on the demo kind.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum DemoConfig {
    Qat(QatConfig),
    Distill(DistillConfig),
    /// LoRA, or QLoRA with `base: BaseStorage::Nf4 { .. }` ([`LoraConfig::qlora`]).
    Lora(LoraConfig),
    Adapter(AdapterConfig),
    Prompt(PromptConfig),
}

impl DemoConfig {
    /// Train every run of the demo for `epochs` epochs.
    pub fn set_epochs(&mut self, epochs: usize) {
        match self {
            Self::Qat(c) => c.schedule.epochs = epochs,
            Self::Distill(c) => c.schedule.epochs = epochs,
            Self::Lora(c) => c.common.schedule.epochs = epochs,
            Self::Adapter(c) => c.common.schedule.epochs = epochs,
            Self::Prompt(c) => c.common.schedule.epochs = epochs,
        }
    }
}

/// Any demo's report. Serializes as the report itself (no enum tag), the JSON `bitlens demo
/// --json` prints and the app reads (`rows`, `memory`, `notes` at the top level).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum DemoReport {
    Qat(QatReport),
    Distill(DistillReport),
    Lora(LoraReport),
    Adapter(AdapterReport),
    Prompt(PromptReport),
}

impl DemoReport {
    /// The training curves of the report.
    pub fn curves(&self) -> &[Curve] {
        match self {
            Self::Qat(r) => &r.curves,
            Self::Distill(r) => &r.curves,
            Self::Lora(r) => &r.curves,
            Self::Adapter(r) => &r.curves,
            Self::Prompt(r) => &r.curves,
        }
    }

    /// Orderings that did not come out as expected, with the reason.
    pub fn notes(&self) -> &[Note] {
        match self {
            Self::Qat(r) => &r.notes,
            Self::Distill(r) => &r.notes,
            Self::Lora(r) => &r.notes,
            Self::Adapter(r) => &r.notes,
            Self::Prompt(r) => &r.notes,
        }
    }
}

/// Run any demo (see the module docs for `cancel` and `progress`).
pub fn run(
    config: &DemoConfig,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(&Label, &EpochPoint),
) -> Result<DemoReport, DemoError> {
    Ok(match config {
        DemoConfig::Qat(c) => DemoReport::Qat(run_qat(c, cancel, progress)?),
        DemoConfig::Distill(c) => DemoReport::Distill(run_distill(c, cancel, progress)?),
        DemoConfig::Lora(c) => DemoReport::Lora(run_lora(c, cancel, progress)?),
        DemoConfig::Adapter(c) => DemoReport::Adapter(run_adapter(c, cancel, progress)?),
        DemoConfig::Prompt(c) => DemoReport::Prompt(run_prompt(c, cancel, progress)?),
    })
}
