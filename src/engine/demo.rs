//! Classroom training demos as engine jobs: each epoch streams as a point of a live curve,
//! the finished report follows typed (the report `bitlens demo --json` prints as JSON), and a
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

    /// The demo's default settings, with `seed` instead of the default seed when given.
    pub fn config(self, seed: Option<u64>) -> demos::DemoConfig {
        use demos::DemoConfig as C;
        let mut config = match self {
            DemoKind::Qat => C::Qat(demos::QatConfig::default()),
            DemoKind::Distill => C::Distill(demos::DistillConfig::default()),
            DemoKind::Lora => C::Lora(demos::LoraConfig::default()),
            DemoKind::Qlora => C::Lora(demos::LoraConfig::qlora()),
            DemoKind::Adapter => C::Adapter(demos::AdapterConfig::default()),
            DemoKind::Prompt => C::Prompt(demos::PromptConfig::default()),
        };
        if let Some(s) = seed {
            match &mut config {
                C::Qat(c) => c.seed = s,
                C::Distill(c) => c.seed = s,
                C::Lora(c) => c.common.seed = s,
                C::Adapter(c) => c.common.seed = s,
                C::Prompt(c) => c.common.seed = s,
            }
        }
        config
    }

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
    pub series: demos::Label,
    pub epoch: usize,
    pub train_loss: f64,
    pub test_accuracy: f64,
}

/// Run `kind` on its default settings (`seed` and `epochs` override the defaults).
pub fn run_demo(
    kind: DemoKind,
    seed: Option<u64>,
    epochs: Option<usize>,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let stop = || cancel.is_cancelled();
    let mut progress = |series: &demos::Label, p: &demos::EpochPoint| {
        emit(EventKind::Output(Output::DemoEpoch(DemoEpoch {
            series: series.clone(),
            epoch: p.epoch,
            train_loss: p.train_loss,
            test_accuracy: p.test_accuracy,
        })));
    };
    let mut config = kind.config(seed);
    if let Some(e) = epochs {
        config.set_epochs(e);
    }
    match demos::run(&config, &stop, &mut progress) {
        Ok(report) => {
            emit(EventKind::Output(Output::Demo {
                kind,
                report: Arc::new(report),
            }));
            Ok(())
        }
        // The worker reports the cancellation itself.
        Err(DemoError::Cancelled) => Ok(()),
        Err(e) => Err(format!("demo {}: {e}", kind.name())),
    }
}
