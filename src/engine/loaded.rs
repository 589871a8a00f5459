//! [`LoadedModel`]: a model's float tensors decoded once, plus (for evaluable models) the MLP and
//! its test set, shared by every compression job through an `Arc`.
//!
//! Jobs never decode a tensor per configuration: the GUI loads a model once
//! ([`super::Request::Load`]) and passes the `Arc<LoadedModel>` to sweeps, sensitivity runs and
//! previews; the CLI and tests call [`LoadedModel::load`] directly.

use std::sync::{Mutex, OnceLock, PoisonError};

use crate::compress::histogram::{Histogram, histogram_range};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::eval::{self, ActFormat, ActQuant, ActRanges, Dataset, EvalReport, Mlp};
use crate::model::Model;
use crate::tensor::Tensor;

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

    fn format(self) -> ActFormat {
        match self {
            Self::Int8 => ActFormat::Int8,
            Self::Fp8E4m3 => ActFormat::Fp8E4M3,
        }
    }
}

/// The MLP and the data it is evaluated on.
struct Evaluator {
    mlp: Mlp,
    test: Dataset,
}

/// A model's supported (float) tensors, decoded once, and how to evaluate it if it can be.
pub struct LoadedModel {
    /// The model's display name (`<built-in>`, the path).
    pub label: String,
    /// Every supported tensor, in listing order.
    pub tensors: Vec<Tensor>,
    evaluator: Result<Evaluator, String>,
    act_ranges: OnceLock<Result<ActRanges, String>>,
    baseline: OnceLock<Option<EvalReport>>,
    /// Per tensor, computed on first use: finite range and per-output-channel ranges.
    ranges: Vec<OnceLock<TensorRanges>>,
    /// The last original-tensor histogram a preview computed: (tensor, bins, lo, hi) → counts.
    /// Slider moves keep the tensor and (usually) the range, so this saves one pass per preview.
    last_histogram: Mutex<Option<(HistKey, Histogram)>>,
    /// A reusable f32 buffer (the preview's error vector): a fresh one page-faults every time.
    scratch: Mutex<Vec<f32>>,
}

/// Tensor index, bins, and the bit patterns of the range.
type HistKey = (usize, usize, u32, u32);

/// Value ranges of one original tensor (they never change, so previews reuse them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TensorRanges {
    /// Finite `(min, max)`; `None` when no value is finite.
    pub finite: Option<(f32, f32)>,
    /// `(min, max)` per output channel (axis 0) of a ≥ 2-D tensor; empty otherwise.
    pub channels: Vec<(f32, f32)>,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("label", &self.label)
            .field("tensors", &self.tensors.len())
            .field("evaluable", &self.evaluator.is_ok())
            .finish()
    }
}

impl LoadedModel {
    /// Decode every supported tensor of `model` (one read each) and find out whether it is an
    /// evaluable MLP. Fails only when a tensor cannot be decoded.
    pub fn load(model: &Model) -> Result<Self, String> {
        let tensors = model.load_supported().map_err(|e| e.to_string())?;
        Ok(Self::from_tensors(model.label(), tensors))
    }

    /// A model made of `tensors` (tests, synthetic inputs). Evaluable when the tensors form an
    /// MLP that matches a bundled dataset.
    pub fn from_tensors(label: impl Into<String>, tensors: Vec<Tensor>) -> Self {
        let evaluator = evaluator_for(&tensors);
        Self {
            label: label.into(),
            ranges: tensors.iter().map(|_| OnceLock::new()).collect(),
            tensors,
            evaluator,
            act_ranges: OnceLock::new(),
            baseline: OnceLock::new(),
            last_histogram: Mutex::new(None),
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// The built-in MNIST MLP, loaded.
    pub fn builtin() -> Result<Self, String> {
        Self::load(&Model::builtin())
    }

    /// Whether accuracies can be measured.
    pub fn is_evaluable(&self) -> bool {
        self.evaluator.is_ok()
    }

    /// Why the model cannot be evaluated (`None` when it can).
    pub fn not_evaluable_reason(&self) -> Option<&str> {
        self.evaluator.as_ref().err().map(String::as_str)
    }

    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Ranges of tensor number `index` (computed once); `None` for a bad index.
    pub fn ranges(&self, index: usize) -> Option<&TensorRanges> {
        let t = self.tensors.get(index)?;
        Some(self.ranges[index].get_or_init(|| {
            let channels = if t.shape.len() >= 2 && !t.data.is_empty() {
                let (_, cols) = t.rows_cols();
                t.data
                    .par_chunks(cols.max(1))
                    .map(crate::compress::range::min_max)
                    .collect()
            } else {
                Vec::new()
            };
            TensorRanges {
                finite: crate::compress::histogram::finite_range(&t.data),
                channels,
            }
        }))
    }

    /// Histogram of original tensor `index` over `bins` bins of `[lo, hi]` (exact counts from
    /// `compress::histogram`); the last one is cached.
    pub fn original_histogram(&self, index: usize, bins: usize, lo: f32, hi: f32) -> Histogram {
        let key = (index, bins, lo.to_bits(), hi.to_bits());
        let lock = || {
            self.last_histogram
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some((k, h)) = lock().as_ref()
            && *k == key
        {
            return h.clone();
        }
        let data = self.tensors.get(index).map_or(&[][..], |t| &t.data[..]);
        let h = histogram_range(data, bins, lo, hi);
        *lock() = Some((key, h.clone()));
        h
    }

    /// Borrow the scratch buffer (empty if another job holds it); give it back with
    /// [`LoadedModel::put_scratch`].
    pub(crate) fn take_scratch(&self) -> Vec<f32> {
        std::mem::take(&mut *self.scratch.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn put_scratch(&self, buf: Vec<f32>) {
        *self.scratch.lock().unwrap_or_else(PoisonError::into_inner) = buf;
    }

    /// Parameters over all loaded tensors.
    pub fn n_params(&self) -> u64 {
        self.tensors.iter().map(|t| t.data.len() as u64).sum()
    }

    /// Size of the loaded tensors stored as f32.
    pub fn f32_bytes(&self) -> u64 {
        4 * self.n_params()
    }

    /// Number of test examples accuracies are measured on (0 when not evaluable).
    pub fn test_len(&self) -> usize {
        self.evaluator.as_ref().map_or(0, |e| e.test.len())
    }

    /// Accuracy of the unmodified model (computed once).
    pub fn baseline_report(&self) -> Option<&EvalReport> {
        self.baseline
            .get_or_init(|| self.evaluate(&[], None).ok().flatten())
            .as_ref()
    }

    /// Evaluate the model with some tensors replaced (dequantized copies, by name) and optional
    /// activation quantization. `Ok(None)`: the model is not evaluable.
    pub fn evaluate(
        &self,
        replacements: &[Tensor],
        act: Option<ActBits>,
    ) -> Result<Option<EvalReport>, String> {
        let Ok(ev) = &self.evaluator else {
            return Ok(None);
        };
        let replaced;
        let mlp = if replacements.is_empty() {
            &ev.mlp
        } else {
            replaced = ev
                .mlp
                .with_tensors(replacements)
                .map_err(|e| e.to_string())?;
            &replaced
        };
        let report = match act {
            None => eval::evaluate(mlp, &ev.test),
            Some(bits) => {
                let ranges = self.act_ranges(ev)?.clone();
                let quant = ActQuant::PerTensor {
                    format: bits.format(),
                    ranges,
                };
                eval::evaluate_with(mlp, &ev.test, &|layer, v| quant.apply(layer, v))
            }
        };
        Ok(Some(report))
    }

    /// Activation ranges of the float model on the calibration batch (recorded once).
    fn act_ranges(&self, ev: &Evaluator) -> Result<&ActRanges, String> {
        self.act_ranges
            .get_or_init(|| {
                let train = Dataset::try_builtin_train().map_err(|e| e.to_string())?;
                Ok(eval::record_activation_ranges(
                    &ev.mlp,
                    &train,
                    ACT_CALIBRATION_ROWS,
                ))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn evaluator_for(tensors: &[Tensor]) -> Result<Evaluator, String> {
    let mlp = Mlp::from_tensors(tensors).map_err(|e| e.to_string())?;
    let test = Dataset::try_builtin_test().map_err(|e| e.to_string())?;
    if mlp.n_inputs() != test.n_features() {
        return Err(format!(
            "the MLP takes {} inputs; the bundled dataset has {}",
            mlp.n_inputs(),
            test.n_features()
        ));
    }
    Ok(Evaluator { mlp, test })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads_and_evaluates() {
        let m = LoadedModel::builtin().unwrap();
        assert!(m.is_evaluable());
        assert_eq!(m.test_len(), 1000);
        let acc = m.baseline_report().unwrap().accuracy;
        assert!(acc > 0.9, "{acc}");
        let int8 = m.evaluate(&[], Some(ActBits::Int8)).unwrap().unwrap();
        assert!((int8.accuracy - acc).abs() < 0.02);
    }

    #[test]
    fn non_mlp_is_not_evaluable() {
        let m = LoadedModel::from_tensors("x", vec![Tensor::new("w", vec![3, 5], vec![0.5; 15])]);
        assert!(!m.is_evaluable());
        assert!(m.not_evaluable_reason().is_some());
        assert_eq!(m.evaluate(&[], None).unwrap(), None);
        assert!(m.baseline_report().is_none());
    }
}
