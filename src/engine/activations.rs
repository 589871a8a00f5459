//! Weight-activation quantization of an evaluable model, for the Weights view and lesson 6:
//! each layer input's values on the calibration batch (histogram, range, absmax: the
//! per-tensor scale of int8 is absmax / 127, of fp8 E4M3 absmax / 448, both clip at ±absmax)
//! and the measured accuracy of one weight setting with f32, int8 and fp8 activations.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::config::{Config, compress_model};
use super::loaded::LoadedModel;
use super::{CancelToken, EventKind, Output};
use crate::eval::{ActFormat, ActRanges};

/// Training images used to record activation ranges (as `bitlens eval --act` does).
pub const ACT_CALIBRATION_ROWS: usize = 256;

/// Per-tensor activation quantization of every layer input (evaluable models only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActBits {
    /// Symmetric int8, scale = absmax / 127 from the calibration batch.
    Int8,
    /// fp8 E4M3 "fn", scale = absmax / 448.
    Fp8E4m3,
}

impl ActBits {
    /// Short name for labels and the CLI (`int8`, `fp8`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Fp8E4m3 => "fp8",
        }
    }

    pub(super) fn format(self) -> ActFormat {
        match self {
            Self::Int8 => ActFormat::Int8,
            Self::Fp8E4m3 => ActFormat::Fp8E4M3,
        }
    }
}

/// The activation formats compared, weights-only first.
pub const ACTIVATIONS: [Option<ActBits>; 3] = [None, Some(ActBits::Int8), Some(ActBits::Fp8E4m3)];

/// What weight-activation quantization does to one weight setting.
#[derive(Clone, Debug)]
pub struct ActivationStudy {
    /// The weight setting (its activations ignored: each row sets its own) and its label.
    pub config: Config,
    pub label: String,
    /// Every layer input on the calibration batch.
    pub ranges: ActRanges,
    /// Measured top-1 accuracy in [0, 1] with the setting's weights and these activations.
    pub accuracy: Vec<(Option<ActBits>, f64)>,
}

/// Measure [`ActivationStudy`] for `config` (`Ok(None)`: cancelled). Fails for models that
/// cannot be evaluated.
pub fn study(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
) -> Result<Option<ActivationStudy>, String> {
    let ranges = model.activation_ranges()?.ok_or_else(|| {
        format!(
            "{}: activations are measured on the built-in model only",
            model.label
        )
    })?;
    // The weights are compressed once; each activation format evaluates the same tensors.
    let Some(weights) = compress_model(model, config, cancel, true, false, &mut |_, _| {})? else {
        return Ok(None);
    };
    let mut accuracy = Vec::with_capacity(ACTIVATIONS.len());
    for act in ACTIVATIONS {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let report = model
            .evaluate(&weights.replaced, act)?
            .ok_or_else(|| format!("{}: no accuracy was measured", model.label))?;
        accuracy.push((act, report.accuracy));
    }
    Ok(Some(ActivationStudy {
        config: config.clone(),
        label: config.label.clone(),
        ranges,
        accuracy,
    }))
}

/// The engine job: one [`Output::Activations`].
pub(super) fn run(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    emit(EventKind::Progress { done: 0, total: 1 });
    if let Some(s) = study(model, config, cancel)? {
        emit(EventKind::Output(Output::Activations(Arc::new(s))));
        emit(EventKind::Progress { done: 1, total: 1 });
    }
    Ok(())
}
