//! Classroom training demos as engine jobs: each epoch streams as a point of a live curve,
//! the finished report follows as JSON (the same report `bitlens demo --json` prints), and a
//! cancel stops the run at the next mini-batch.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{CancelToken, EventKind, Output};
use crate::demos::{self, DemoError};

/// The demos of the Lessons panel (and of `bitlens demo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemoKind {
    Qat,
    Distill,
    Lora,
    Qlora,
    Adapter,
    Prompt,
}

impl DemoKind {
    pub const ALL: [DemoKind; 6] = [
        DemoKind::Qat,
        DemoKind::Distill,
        DemoKind::Lora,
        DemoKind::Qlora,
        DemoKind::Adapter,
        DemoKind::Prompt,
    ];

    /// The CLI name (`bitlens demo NAME`).
    pub fn name(self) -> &'static str {
        match self {
            DemoKind::Qat => "qat",
            DemoKind::Distill => "distill",
            DemoKind::Lora => "lora",
            DemoKind::Qlora => "qlora",
            DemoKind::Adapter => "adapter",
            DemoKind::Prompt => "prompt",
        }
    }
}

/// One epoch of one training run of a demo, for the live curves.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoEpoch {
    /// The run (e.g. `qat 2-bit`, `student (KD from teacher)`).
    pub series: String,
    pub epoch: usize,
    pub train_loss: f64,
    pub test_accuracy: f64,
}

/// Run `kind` on its default settings (`seed` overrides the default seed).
pub fn run_demo(
    kind: DemoKind,
    seed: Option<u64>,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let stop = || cancel.is_cancelled();
    let mut progress = |series: &str, p: &demos::EpochPoint| {
        emit(EventKind::Output(Output::DemoEpoch(DemoEpoch {
            series: series.to_owned(),
            epoch: p.epoch,
            train_loss: p.train_loss,
            test_accuracy: p.test_accuracy,
        })));
    };
    let report = match kind {
        DemoKind::Qat => {
            let mut cfg = demos::QatConfig::default();
            if let Some(s) = seed {
                cfg.seed = s;
            }
            to_json(demos::run_qat(&cfg, &stop, &mut progress))
        }
        DemoKind::Distill => {
            let mut cfg = demos::DistillConfig::default();
            if let Some(s) = seed {
                cfg.seed = s;
            }
            to_json(demos::run_distill(&cfg, &stop, &mut progress))
        }
        DemoKind::Lora | DemoKind::Qlora => {
            let mut cfg = if kind == DemoKind::Qlora {
                demos::LoraConfig::qlora()
            } else {
                demos::LoraConfig::default()
            };
            if let Some(s) = seed {
                cfg.common.seed = s;
            }
            to_json(demos::run_lora(&cfg, &stop, &mut progress))
        }
        DemoKind::Adapter => {
            let mut cfg = demos::AdapterConfig::default();
            if let Some(s) = seed {
                cfg.common.seed = s;
            }
            to_json(demos::run_adapter(&cfg, &stop, &mut progress))
        }
        DemoKind::Prompt => {
            let mut cfg = demos::PromptConfig::default();
            if let Some(s) = seed {
                cfg.common.seed = s;
            }
            to_json(demos::run_prompt(&cfg, &stop, &mut progress))
        }
    };
    match report {
        Ok(json) => {
            emit(EventKind::Output(Output::Demo {
                kind,
                report: Arc::new(json),
            }));
            Ok(())
        }
        // The worker reports the cancellation itself.
        Err(DemoError::Cancelled) => Ok(()),
        Err(e) => Err(format!("demo {}: {e}", kind.name())),
    }
}

fn to_json<T: Serialize>(report: Result<T, DemoError>) -> Result<serde_json::Value, DemoError> {
    report.and_then(|r| serde_json::to_value(r).map_err(|e| DemoError::Invalid(e.to_string())))
}
