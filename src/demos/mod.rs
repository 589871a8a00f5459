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
pub use common::{Curve, DemoError, EpochPoint, Schedule};
pub use distill::{DistillConfig, DistillReport, DistillRow, run_distill};
pub use lora::{BaseStorage, LoraConfig, LoraMemory, LoraReport, run_lora};
pub use prompt::{PromptConfig, PromptReport, run_prompt};
pub use qat::{QatConfig, QatReport, QatRow, run_qat};
pub use task::{AdaptCommon, AdaptRow, TaskConfig, TaskInfo};
