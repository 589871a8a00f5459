//! [`LoadedModel`]: the float tensors the compression jobs work on, plus (for evaluable models)
//! the MLP and its test set, shared by every job through an `Arc`.
//!
//! Out of core: a model whose float tensors take more than [`RESIDENT_LIMIT`] bytes as f32 is
//! never decoded whole. Its tensors stay in the file's memory map and [`LoadedModel::data`]
//! decodes one tensor when a job asks (the sweep decodes each tensor once for all its configs);
//! small models are decoded once at load, so previews of the built-in MLP stay instant. The GUI
//! loads a model once ([`super::Request::Load`]); the CLI and tests call [`LoadedModel::load`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::compress::histogram::{Histogram, histogram_range};

use rayon::prelude::*;

use super::CancelToken;
use super::activations::{ACT_CALIBRATION_ROWS, ActBits};
pub use super::tensor_meta::{TensorMeta, WeightUse};
use crate::compress::metrics::{self, ErrorSums};
use crate::eval::{self, ActQuant, ActRanges, Dataset, EvalReport, Mlp};
use crate::model::Model;
use crate::run::{self, Fidelity, NotRunnable, RunOptions, Runner};
use crate::tensor::Tensor;

/// Models whose float tensors fit in this many bytes as f32 are decoded once at load; larger
/// ones are read tensor by tensor from their file.
pub const RESIDENT_LIMIT: u64 = 256 << 20;

/// Why `model` is too large to hold decoded or evaluate (`None`: its float tensors fit in
/// [`RESIDENT_LIMIT`] as f32).
pub(crate) fn too_large_to_evaluate(model: &Model) -> Option<NotRunnable> {
    let params: u64 = model
        .tensors
        .iter()
        .filter(|t| t.supported)
        .map(|t| t.n_params)
        .sum();
    (4 * params > RESIDENT_LIMIT).then(|| NotRunnable::TooLarge {
        params,
        runs: run::has_runner(model.format),
    })
}

/// Where the values live.
enum Store {
    /// Decoded once (small models, tests).
    Resident(Vec<Arc<Tensor>>),
    /// In the model file; `index[i]` is tensor `i`'s position in `model.tensors`.
    File {
        model: Arc<Model>,
        index: Vec<usize>,
    },
}

/// The MLP and the data it is evaluated on.
struct Evaluator {
    mlp: Mlp,
    test: Dataset,
}

/// A model's supported (float) tensors and how to evaluate it if it can be.
pub struct LoadedModel {
    /// The model's display name (`<built-in>`, the path).
    pub label: String,
    /// Every supported tensor, in listing order (metadata; values through [`LoadedModel::data`]).
    pub tensors: Vec<TensorMeta>,
    by_name: HashMap<String, usize>,
    store: Store,
    /// Per tensor: the error sums of keeping it unchanged (its signal energy), computed once.
    identity: Vec<OnceLock<ErrorSums>>,
    evaluator: Result<Evaluator, NotRunnable>,
    /// The opened file (`None` for models made of tensors): exports copy its integer tensors.
    source: Option<Arc<Model>>,
    /// The third-party model run on the CPU for model-level fidelity (or why it cannot run).
    /// `None`: no runner was tried (the evaluator's reason stands).
    runner: Option<Result<Arc<dyn Runner>, NotRunnable>>,
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
            .field("runs", &self.runner().is_some())
            .finish()
    }
}

impl LoadedModel {
    /// The supported tensors of `model`: decoded once when they fit in [`RESIDENT_LIMIT`] as
    /// f32 (and then checked for an evaluable MLP), else left in the file. Fails only when a
    /// tensor of a small model cannot be decoded.
    pub fn load(model: &Arc<Model>) -> Result<Self, String> {
        Self::load_with(model, &RunOptions::default())
    }

    /// [`LoadedModel::load`], and a model that is not the built-in kind of MLP is prepared to
    /// run on `options`' inputs (ONNX graphs, BERT encoders; see [`crate::run`]).
    pub fn load_with(model: &Arc<Model>, options: &RunOptions) -> Result<Self, String> {
        if too_large_to_evaluate(model).is_some() {
            return Ok(Self::load_from_file(model));
        }
        let tensors = model.load_supported().map_err(|e| e.to_string())?;
        let mut m = Self::from_tensors(model.label(), tensors);
        for (meta, info) in m
            .tensors
            .iter_mut()
            .zip(model.tensors.iter().filter(|t| t.supported))
        {
            meta.dtype.clone_from(&info.dtype);
            meta.stored_bytes = info.size_bytes;
        }
        m.source = Some(Arc::clone(model));
        if m.evaluator.is_err() && run::has_runner(model.format) {
            m.attach_runner(run::prepare(model, options).map(Arc::from));
        }
        Ok(m)
    }

    /// Use `runner` (or its failure, which then is the reason the model is not evaluable); its
    /// weight list decides which tensors sweeps compress and their output axes.
    pub fn attach_runner(&mut self, runner: Result<Arc<dyn Runner>, NotRunnable>) {
        if let Ok(r) = &runner
            && let Some(roles) = r.weights()
        {
            let axes: HashMap<&str, usize> = roles
                .iter()
                .map(|w| (w.name.as_str(), w.out_axis))
                .collect();
            for t in &mut self.tensors {
                t.role = match axes.get(t.name.as_str()) {
                    Some(&out_axis) => WeightUse::Weight { out_axis },
                    None => WeightUse::Other,
                };
            }
        }
        self.runner = Some(runner);
    }

    /// The file the model was opened from (`None` for models made of tensors).
    pub fn source(&self) -> Option<&Arc<Model>> {
        self.source.as_ref()
    }

    /// The model's runner, when it runs.
    pub fn runner(&self) -> Option<&dyn Runner> {
        match &self.runner {
            Some(Ok(r)) => Some(&**r),
            _ => None,
        }
    }

    /// Model-level fidelity with `replacements` in place of the stored tensors (`Ok(None)`:
    /// the model does not run).
    /// `Ok(None)` also when `cancel` stopped the run.
    pub fn fidelity(
        &self,
        replacements: &[Tensor],
        cancel: &CancelToken,
    ) -> Result<Option<Fidelity>, String> {
        match self.runner() {
            Some(r) => r.fidelity(replacements, &|| cancel.is_cancelled()),
            None => Ok(None),
        }
    }

    /// The supported tensors of `model`, left in its file: each job decodes a tensor when it
    /// needs it and drops it after (what [`LoadedModel::load`] does for large models). Not
    /// evaluable: the built-in evaluator runs only small MLPs.
    pub fn load_from_file(model: &Arc<Model>) -> Self {
        let index: Vec<usize> = (0..model.tensors.len())
            .filter(|&i| model.tensors[i].supported)
            .collect();
        let tensors: Vec<TensorMeta> = index
            .iter()
            .map(|&i| TensorMeta::of_info(&model.tensors[i]))
            .collect();
        let reason = too_large_to_evaluate(model).unwrap_or(NotRunnable::FileBacked);
        let mut m = Self::new(
            model.label(),
            tensors,
            Store::File {
                model: Arc::clone(model),
                index,
            },
            Err(reason),
        );
        m.source = Some(Arc::clone(model));
        m
    }

    /// A model made of `tensors` (tests, synthetic inputs). Evaluable when the tensors form an
    /// MLP that matches a bundled dataset.
    pub fn from_tensors(label: impl Into<String>, tensors: Vec<Tensor>) -> Self {
        let evaluator = evaluator_for(&tensors);
        let meta = tensors.iter().map(TensorMeta::of_tensor).collect();
        let store = Store::Resident(tensors.into_iter().map(Arc::new).collect());
        Self::new(label, meta, store, evaluator)
    }

    fn new(
        label: impl Into<String>,
        tensors: Vec<TensorMeta>,
        store: Store,
        evaluator: Result<Evaluator, NotRunnable>,
    ) -> Self {
        Self {
            label: label.into(),
            ranges: tensors.iter().map(|_| OnceLock::new()).collect(),
            identity: tensors.iter().map(|_| OnceLock::new()).collect(),
            by_name: tensors
                .iter()
                .enumerate()
                .map(|(i, t)| (t.name.clone(), i))
                .collect(),
            tensors,
            store,
            evaluator,
            source: None,
            runner: None,
            act_ranges: OnceLock::new(),
            baseline: OnceLock::new(),
            last_histogram: Mutex::new(None),
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// The built-in MNIST MLP, loaded.
    pub fn builtin() -> Result<Self, String> {
        Self::load(&Arc::new(Model::builtin()))
    }

    /// Whether accuracies can be measured.
    pub fn is_evaluable(&self) -> bool {
        self.evaluator.is_ok() || self.runner().is_some()
    }

    /// Whether the model's top-1 accuracy is measured (the built-in evaluator; activations
    /// can be quantized).
    pub fn measures_accuracy(&self) -> bool {
        self.evaluator.is_ok()
    }

    /// Why the model can neither be evaluated nor run (`None` when it can): the runner's
    /// reason for formats that have one, else the built-in evaluator's.
    pub fn not_evaluable_reason(&self) -> Option<&NotRunnable> {
        match (&self.evaluator, &self.runner) {
            (Ok(_), _) | (_, Some(Ok(_))) => None,
            (Err(_), Some(Err(r))) => Some(r),
            (Err(e), None) => Some(e),
        }
    }

    /// Position of tensor `name` in [`LoadedModel::tensors`].
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The metadata of tensor `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorMeta> {
        self.index_of(name).map(|i| &self.tensors[i])
    }

    /// The values of tensor `i`: shared when resident, else decoded from the file now (the
    /// caller holds the only copy and frees it by dropping it).
    pub fn data(&self, i: usize) -> Result<Arc<Tensor>, String> {
        match &self.store {
            Store::Resident(ts) => ts
                .get(i)
                .cloned()
                .ok_or_else(|| format!("{}: no tensor #{i}", self.label)),
            Store::File { model, index } => {
                let name = &self.tensors.get(i).ok_or("no such tensor")?.name;
                debug_assert_eq!(model.tensors[index[i]].name, *name);
                model
                    .load_tensor(name)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// The values of tensor `i` as an owned tensor, decoded into `buf` (reused: no fresh
    /// tensor-sized allocation per call) when the tensor streams from the file.
    pub fn data_reusing(&self, i: usize, mut buf: Vec<f32>) -> Result<Tensor, String> {
        match &self.store {
            Store::File { model, index } if model.streams(index[i]) => {
                let t = &self.tensors[i];
                // decode_range writes every element: resize only, no clearing pass.
                buf.resize(t.len, 0.0);
                model
                    .decode_range(index[i], 0, &mut buf)
                    .map_err(|e| e.to_string())?;
                Ok(Tensor::new(t.name.clone(), t.shape.clone(), buf))
            }
            _ => self.data(i).map(Arc::unwrap_or_clone),
        }
    }

    /// The file and its tensor number when tensor `i` is read from the file by range.
    pub(crate) fn streaming_source(&self, i: usize) -> Option<(&Model, usize)> {
        match &self.store {
            Store::File { model, index } => {
                let k = *index.get(i)?;
                model.streams(k).then_some((&**model, k))
            }
            Store::Resident(_) => None,
        }
    }

    /// Keep tensor `i`'s identity sums measured elsewhere (the same units, the same bits).
    pub(crate) fn remember_identity(&self, i: usize, s: ErrorSums) {
        if let Some(cell) = self.identity.get(i) {
            let _ = cell.set(s);
        }
    }

    /// Whether every tensor is held decoded (small models).
    pub fn is_resident(&self) -> bool {
        matches!(self.store, Store::Resident(_))
    }

    /// The error sums of tensor `i` left unchanged (exact zero error, its signal energy),
    /// computed once per tensor.
    /// `values`: tensor `i`'s values when the caller holds them (saves a decode).
    pub fn identity_sums(&self, i: usize, values: Option<&Tensor>) -> Result<ErrorSums, String> {
        if let Some(s) = self.identity.get(i).and_then(OnceLock::get) {
            return Ok(*s);
        }
        let held;
        let t = if let Some(t) = values {
            t
        } else {
            held = self.data(i)?;
            &held
        };
        let unit = crate::compress::granularity::natural_unit(&t.shape, t.data.len());
        let s = metrics::identity_sums(&t.data, unit);
        Ok(*self.identity[i].get_or_init(|| s))
    }

    /// Ranges of tensor number `index` (computed once); `None` for a bad index or a tensor
    /// that cannot be read.
    pub fn ranges(&self, index: usize) -> Option<&TensorRanges> {
        if let Some(r) = self.ranges.get(index)?.get() {
            return Some(r);
        }
        let t = self.data(index).ok()?;
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

    /// Keep ranges of tensor `index` found elsewhere (a streamed pass).
    pub(crate) fn remember_ranges(&self, index: usize, r: TensorRanges) {
        let _ = self.ranges.get(index).map(|cell| cell.set(r));
    }

    /// Ranges of tensor `index` if already computed (never reads the tensor).
    pub fn cached_ranges(&self, index: usize) -> Option<&TensorRanges> {
        self.ranges.get(index)?.get()
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
        let t = self.data(index).ok();
        let data = t.as_ref().map_or(&[][..], |t| &t.data[..]);
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
        self.tensors.iter().map(|t| t.len as u64).sum()
    }

    /// Bytes the loaded tensors take in the file, at their stored precision (the honest
    /// baseline: a bf16 checkpoint is 16 bits per weight).
    pub fn stored_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.stored_bytes).sum()
    }

    /// The stored element types joined by `+`, most parameters first (`BF16`, `BF16+F32`).
    pub fn dtype_label(&self) -> String {
        let mix = self.dtype_mix();
        if mix.is_empty() {
            return "F32".into();
        }
        mix.iter()
            .map(|(d, _)| d.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// The stored element types with their share of the parameters, most common first
    /// (`[("BF16", 1.0)]`).
    pub fn dtype_mix(&self) -> Vec<(String, f64)> {
        let mut by: Vec<(String, u64)> = Vec::new();
        for t in &self.tensors {
            match by.iter_mut().find(|(d, _)| *d == t.dtype) {
                Some((_, n)) => *n += t.len as u64,
                None => by.push((t.dtype.clone(), t.len as u64)),
            }
        }
        by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total = self.n_params().max(1) as f64;
        by.into_iter().map(|(d, n)| (d, n as f64 / total)).collect()
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

    /// Every layer input of the float model on the calibration batch (`Ok(None)`: the model
    /// cannot be evaluated).
    pub fn activation_ranges(&self) -> Result<Option<ActRanges>, String> {
        match &self.evaluator {
            Ok(ev) => self.act_ranges(ev).map(|r| Some(r.clone())),
            Err(_) => Ok(None),
        }
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

fn evaluator_for(tensors: &[Tensor]) -> Result<Evaluator, NotRunnable> {
    let (mlp, test) = super::jobs::mlp_with_dataset(tensors)?;
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
