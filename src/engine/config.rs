//! One compression configuration of a whole model ([`Config`]) and its measured outcome
//! ([`ConfigPoint`]): exact size, error metrics and, for evaluable models, the accuracy.
//!
//! [`evaluate_config`] is the one function that sweeps, sensitivity runs, previews, the CLI and
//! tests use. Per tensor the scheme is the config's [`Config::scheme`] unless
//! [`Config::overrides`] names the tensor (mixed precision). As in
//! the rest of bitlens, 1-D tensors stay as stored unless the scheme has `include_1d`
//! (an override always applies to the tensor it names), and global pruning pools every tensor
//! that the base scheme compresses. Accuracies are measured, never estimated: a model that cannot
//! be evaluated gets `accuracy: None`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CancelToken;
use super::activations::ActBits;
use super::family::Family;
use super::loaded::{LoadedModel, TensorMeta, WeightUse};
pub(crate) use super::record::Compression;
use super::record::{ModelFacts, TensorRecord};
use crate::compress::apply::{ApplyOptions, Scratch, apply_reusing};
use crate::compress::metrics::ErrorSums;
use crate::compress::scheme::{Granularity, PruneMethod, Scheme, Target};
use crate::compress::{Compressed, Metrics, SizeReport, prune};
use crate::run::Fidelity;
use crate::tensor::Tensor;

/// One compression setting of a whole model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Short human-readable name (`int4 sym/ch`, `prune 50%`, `nf4`).
    pub label: String,
    /// The scheme of every tensor not named in `overrides`.
    pub scheme: Scheme,
    /// Per-tensor schemes (mixed precision), by tensor name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<String, Scheme>,
    /// Quantize every layer input per tensor during evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<ActBits>,
}

/// The unmodified f32 model ([`Config::baseline`]).
impl Default for Config {
    fn default() -> Self {
        Self::baseline()
    }
}

impl Config {
    /// A config with one scheme for every tensor.
    pub fn new(label: impl Into<String>, scheme: Scheme) -> Self {
        Self {
            label: label.into(),
            scheme,
            overrides: BTreeMap::new(),
            act: None,
        }
    }

    /// The unmodified f32 model.
    pub fn baseline() -> Self {
        Self::new("fp32", f32_scheme())
    }

    /// The unmodified model, labelled with how its file stores it (`fp32`, `bf16`,
    /// `stored: BF16 + F32`).
    pub fn baseline_of(model: &LoadedModel) -> Self {
        let names: Vec<String> = model
            .dtype_mix()
            .iter()
            .map(|(d, _)| short_dtype(d))
            .collect();
        let label = if names.is_empty() {
            "fp32".to_owned()
        } else {
            names.join("+")
        };
        Self::new(label, f32_scheme())
    }

    /// The scheme used for tensor `name`.
    pub fn scheme_for(&self, name: &str) -> &Scheme {
        self.overrides.get(name).unwrap_or(&self.scheme)
    }

    /// Colour / marker family of this config (see [`Family`]).
    pub fn family(&self) -> Family {
        if self.act.is_some() {
            Family::WeightActivation
        } else if self.overrides.is_empty() {
            Family::of(&self.scheme)
        } else {
            Family::Mixed
        }
    }
}

/// The lecture's short name of a stored element type, whatever file format spelled it
/// (`F32`, ONNX `FLOAT`, NumPy `float32` → `fp32`).
fn short_dtype(d: &str) -> String {
    let lower = d.to_ascii_lowercase();
    let short = match lower.as_str() {
        "f32" | "float" | "float32" => "fp32",
        "f16" | "float16" | "half" => "fp16",
        "bf16" | "bfloat16" => "bf16",
        "f64" | "double" | "float64" => "fp64",
        "f8_e4m3" | "float8e4m3fn" | "float8_e4m3fn" => "e4m3fn",
        "f8_e5m2" | "float8e5m2" | "float8_e5m2" => "e5m2",
        _ => return lower, // GGUF q4_K, f8 fnuz variants, …
    };
    short.to_owned()
}

/// Keep every tensor in f32.
pub fn f32_scheme() -> Scheme {
    Scheme {
        target: Target::None,
        prune: None,
        ..Scheme::default()
    }
}

/// The outcome of one tensor under a config.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorPoint {
    pub name: String,
    pub shape: Vec<usize>,
    /// `false`: kept in f32 (a 1-D tensor under a scheme without `include_1d`).
    pub compressed: bool,
    pub metrics: Metrics,
    pub size: SizeReport,
}

/// The measured outcome of one [`Config`] on one model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigPoint {
    pub label: String,
    pub family: Family,
    pub config: Config,
    /// Exact storage of every loaded tensor (compressed ones and those kept as stored).
    pub size_bytes: u64,
    pub bits_per_weight: f64,
    /// The same tensors as the file stores them (a bf16 checkpoint: 16 bits per weight).
    pub original_bytes: u64,
    /// Bits per weight of the file as stored (mixed dtypes weighted by parameters).
    pub original_bits_per_weight: f64,
    /// The same tensors in f32 (shown beside the file's size).
    pub f32_bytes: u64,
    /// The file's element types, most parameters first (`BF16`, `BF16+F32`).
    pub original_dtype: String,
    /// Top-1 accuracy in [0, 1] on the bundled test set; `None` when the model is not evaluable.
    pub accuracy: Option<f64>,
    /// Mean cross-entropy on the test set; `None` when not evaluable.
    pub loss: Option<f64>,
    /// Model-level fidelity (outputs against fp32) of a model that runs; `None` otherwise.
    pub fidelity: Option<Fidelity>,
    /// Model-wide SQNR over all loaded tensors (+∞ when nothing changed).
    pub sqnr_db: f64,
    /// Model-wide (element-weighted) metrics.
    pub metrics: Metrics,
    pub size: SizeReport,
    pub tensors: Vec<TensorPoint>,
    /// Notes of the compressors (fallbacks), with the tensor each is about.
    pub notes: Vec<crate::compress::TensorNote>,
    /// `Some`: a first estimate from a sample of the model (the measured point replaces it).
    pub estimate: Option<Estimate>,
}

/// How a sampled point ([`ConfigPoint::estimate`]) was found and how far it may be off.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Values measured (of every tensor, a deterministic spread of whole rows).
    pub sampled: u64,
    /// Half-width of the ~95 % interval of the model SQNR, in dB (two standard errors of the
    /// stratified ratio estimate; 0 when every value was measured).
    pub sqnr_err_db: f64,
}

impl ConfigPoint {
    /// The y value of the trade-off plot: accuracy when measured, else fidelity, else SQNR.
    pub fn quality(&self) -> f64 {
        self.accuracy
            .or(self.fidelity.as_ref().map(|f| f.value))
            .unwrap_or(self.sqnr_db)
    }
}

/// Pruning masks of every tensor (global pruning pools the tensors of the base scheme).
pub(crate) fn masks(
    model: &LoadedModel,
    config: &Config,
) -> Result<Vec<Option<Vec<bool>>>, String> {
    let ts = &model.tensors;
    let mut out: Vec<Option<Vec<bool>>> = vec![None; ts.len()];
    if let Some(p) = config.scheme.prune
        && p.method == PruneMethod::Global
    {
        if !model.is_resident() {
            return Err(format!(
                "{}: global magnitude pruning ranks every tensor at once; this model is read \
                 from its file one tensor at a time, so it is not offered here (use per-tensor \
                 magnitude pruning)",
                model.label
            ));
        }
        let pool: Vec<usize> = (0..ts.len())
            .filter(|&i| {
                !config.overrides.contains_key(&ts[i].name)
                    && eligible(&config.scheme, &ts[i], false)
            })
            .collect();
        let held = pool
            .iter()
            .map(|&i| model.data(i))
            .collect::<Result<Vec<_>, _>>()?;
        let slices: Vec<&[f32]> = held.iter().map(|t| &t.data[..]).collect();
        let total: usize = slices.iter().map(|s| s.len()).sum();
        let ms = prune::magnitude_masks(&slices, prune::prune_count(p.sparsity, total));
        for (i, m) in pool.into_iter().zip(ms) {
            out[i] = Some(m);
        }
    }
    Ok(out)
}

/// Whether a scheme compresses a tensor of this shape (1-D tensors only with `include_1d`, or
/// when an override names them).
pub(crate) fn eligible(scheme: &Scheme, t: &TensorMeta, overridden: bool) -> bool {
    overridden
        || match t.role {
            WeightUse::Default => scheme.include_1d || t.shape.len() >= 2,
            WeightUse::Weight { .. } => true,
            WeightUse::Other => scheme.include_1d && t.shape.len() < 2,
        }
}

/// `scheme` for tensor `t`: per channel means per output channel, so a weight whose output
/// axis is not 0 (MatMul B `[in, out]`, ConvTranspose, recurrent weights) gets its own axis.
pub(crate) fn scheme_for_tensor<'a>(scheme: &'a Scheme, t: &TensorMeta) -> Cow<'a, Scheme> {
    match (scheme.granularity, t.role) {
        (Granularity::Channel { axis: 0 }, WeightUse::Weight { out_axis }) if out_axis != 0 => {
            let mut s = scheme.clone();
            s.granularity = Granularity::Channel { axis: out_axis };
            Cow::Owned(s)
        }
        _ => Cow::Borrowed(scheme),
    }
}

/// A scheme that changes nothing (no target, no pruning): the tensor stays as stored.
fn is_identity(scheme: &Scheme) -> bool {
    scheme.target == Target::None && scheme.prune.is_none()
}

/// Check the config against the model: valid schemes, overrides that name loaded tensors.
pub(crate) fn check(model: &LoadedModel, config: &Config) -> Result<(), String> {
    config.scheme.validate().map_err(|e| e.to_string())?;
    if let Some(t) = model
        .tensors
        .iter()
        .find(|t| t.shape.iter().product::<usize>() != t.len)
    {
        return Err(format!(
            "{}: tensor `{}`: shape {:?} does not match its {} values",
            model.label, t.name, t.shape, t.len
        ));
    }
    for (name, s) in &config.overrides {
        if model.tensor(name).is_none() {
            return Err(format!(
                "{}: no tensor named `{name}` to override",
                model.label
            ));
        }
        s.validate()
            .map_err(|e| format!("override of `{name}`: {e}"))?;
    }
    Ok(())
}

/// Whether `config` changes tensor `i` (else it is kept as stored).
pub(crate) fn touches(model: &LoadedModel, config: &Config, i: usize) -> bool {
    let t = &model.tensors[i];
    let scheme = config.scheme_for(&t.name);
    eligible(scheme, t, config.overrides.contains_key(&t.name)) && !is_identity(scheme)
}

/// Compress tensor `i` (values `t`) under `config` with its precomputed mask (`Ok(None)`: the
/// tensor is kept as stored). `codes`: keep the integer codes and the grid (previews, exports).
/// The reconstruction and pruned copy live in `scratch` (see [`crate::compress::apply_reusing`]).
pub(crate) fn compress_tensor(
    model: &LoadedModel,
    config: &Config,
    i: usize,
    t: &Tensor,
    mask: Option<Vec<bool>>,
    codes: bool,
    scratch: &mut Scratch,
) -> Result<Option<Compressed>, String> {
    if !touches(model, config, i) {
        return Ok(None);
    }
    compress_values(model, config, i, t, mask, codes, scratch).map(Some)
}

/// Compress `t` (tensor `i`'s values, or a sample of its rows) under `config` whatever the
/// tensor (a tensor picked by name is compressed even when 1-D), with `mask` or the scheme's
/// own pruning mask of `t`. The one per-tensor step of sweeps, exports and previews.
pub(crate) fn compress_values(
    model: &LoadedModel,
    config: &Config,
    i: usize,
    t: &Tensor,
    mask: Option<Vec<bool>>,
    codes: bool,
    scratch: &mut Scratch,
) -> Result<Compressed, String> {
    let scheme = scheme_for_tensor(config.scheme_for(&t.name), &model.tensors[i]);
    let mask = match (mask, scheme.prune) {
        (Some(m), _) => Some(m),
        (None, Some(p)) => Some(prune::mask_for(&t.data, &t.shape, p.method, p.sparsity)),
        (None, None) => None,
    };
    let opts = ApplyOptions {
        stored_bits: 8 * model.tensors[i].stored_bytes,
        detail: codes,
    };
    apply_reusing(&scheme, t, mask, opts, scratch)
        .map_err(|e| format!("{}: tensor `{}`: {e}", model.label, t.name))
}

/// The point of a tensor kept as stored: zero error, its file size (`values`: its values, if
/// the caller holds them).
pub(crate) fn kept_point(
    model: &LoadedModel,
    i: usize,
    values: Option<&Tensor>,
) -> Result<(TensorPoint, ErrorSums), String> {
    let t = &model.tensors[i];
    let sums = model.identity_sums(i, values)?;
    let size = SizeReport::dense(t.len as u64, 8 * t.stored_bytes, 0, 0, 0);
    let point = TensorPoint {
        name: t.name.clone(),
        shape: t.shape.clone(),
        compressed: false,
        metrics: sums.metrics(),
        size,
    };
    Ok((point, sums))
}

/// The point of a compressed tensor.
pub(crate) fn compressed_point(c: &Compressed) -> TensorPoint {
    TensorPoint {
        name: c.name.clone(),
        shape: c.shape.clone(),
        compressed: true,
        metrics: c.metrics,
        size: c.size.clone(),
    }
}

/// Compress every tensor. `Ok(None)`: cancelled. `on_tensor(i, compressed)` sees each result
/// (`None`: tensor `i` is kept as stored). Holds one tensor's values at a time. `keep`: the
/// result keeps every compressed tensor (evaluation); `codes`: each keeps its integer codes.
pub(crate) fn compress_model(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
    keep: bool,
    codes: bool,
    on_tensor: &mut dyn FnMut(usize, Option<&Compressed>),
) -> Result<Option<Compression>, String> {
    check(model, config)?;
    let mut masks = masks(model, config)?;
    let mut out = Compression::new(model.tensors.len());
    // A model read from its file decodes into one reused buffer; results not kept give their
    // buffers back to `scratch` (no fresh tensor-sized allocation per tensor).
    let (mut decoded, mut scratch) = (Vec::new(), Scratch::default());
    for (i, mask) in masks.iter_mut().enumerate() {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        if !touches(model, config, i) {
            on_tensor(i, None);
            let (point, sums) = kept_point(model, i, None)?;
            out.add_kept(point, sums);
            continue;
        }
        let (mut shared, mut owned) = (None, None);
        let t: &Tensor = if model.is_resident() {
            shared.insert(model.data(i)?)
        } else {
            owned.insert(model.data_reusing(i, std::mem::take(&mut decoded))?)
        };
        let mut c = compress_tensor(
            model,
            config,
            i,
            t,
            mask.take(),
            keep || codes,
            &mut scratch,
        )?
        .ok_or("a touched tensor was not compressed")?;
        if let Some(t) = owned {
            decoded = t.data;
        }
        drop(shared);
        on_tensor(i, Some(&c));
        if keep {
            out.add_compressed(c, true);
        } else {
            out.add_record(TensorRecord::compressed(i, &c));
            scratch.recycle(&mut c);
        }
    }
    Ok(Some(out.finish()))
}

/// Compress the whole model under `config` one tensor at a time, measure it, and let
/// `on_tensor(i, compressed)` see each tensor while its values are in memory (`None`: tensor
/// `i` is kept as stored). The one whole-model path of the CLI, previews and exports.
/// `Ok(None)`: cancelled.
pub fn compress_each(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
    on_tensor: &mut dyn FnMut(usize, Option<&Compressed>),
) -> Result<Option<ConfigPoint>, String> {
    compress_each_with(model, config, cancel, false, on_tensor)
}

/// [`compress_each`]; `codes`: each [`Compressed`] keeps its integer codes (packed exports).
pub fn compress_each_with(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
    codes: bool,
    on_tensor: &mut dyn FnMut(usize, Option<&Compressed>),
) -> Result<Option<ConfigPoint>, String> {
    let keep = model.is_evaluable();
    match compress_model(model, config, cancel, keep, codes, on_tensor)? {
        Some(c) if !cancel.is_cancelled() => finish_point(model, config, c, cancel),
        _ => Ok(None),
    }
}

/// Turn a compression into a point: evaluate the model with the dequantized tensors.
pub(crate) fn finish_point(
    model: &LoadedModel,
    config: &Config,
    c: Compression,
    cancel: &CancelToken,
) -> Result<Option<ConfigPoint>, String> {
    let report = model.evaluate(&c.replaced, config.act)?;
    let fidelity = model.fidelity(&c.replaced, cancel)?;
    if cancel.is_cancelled() {
        return Ok(None);
    }
    let mut point = ModelFacts::of(model).point(config, c, report.as_ref());
    point.fidelity = fidelity;
    Ok(Some(point))
}

/// Evaluate `config` on `model`: compress every tensor, measure size, error and accuracy.
pub fn evaluate_config(model: &LoadedModel, config: &Config) -> Result<ConfigPoint, String> {
    evaluate_config_cancellable(model, config, &CancelToken::default())
        .map(|p| p.expect("a fresh token is never cancelled"))
}

/// [`evaluate_config`] that stops between tensors when `cancel` is set (`Ok(None)`). A model
/// read from its file that is neither evaluated nor run needs only weight error: it takes the
/// sweep's streamed one-pass measure (the same figures, no tensor decoded whole).
pub fn evaluate_config_cancellable(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
) -> Result<Option<ConfigPoint>, String> {
    if model.is_resident() || model.is_evaluable() {
        return compress_each(model, config, cancel, &mut |_, _| {});
    }
    let every: Vec<usize> = (0..model.tensors.len()).collect();
    let Some(runs) = super::shard::measure(model, &[config], &every, cancel, &mut |_| {})? else {
        return Ok(None);
    };
    let records = runs.into_iter().next().ok_or("no result")??;
    Ok(Some(super::sweep::fold(
        &ModelFacts::of(model),
        config,
        records,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::scheme::{Granularity, IntTarget, Prune};

    fn int(bits: u8) -> Scheme {
        Scheme {
            target: Target::Int(IntTarget {
                bits,
                ..IntTarget::default()
            }),
            granularity: Granularity::Channel { axis: 0 },
            ..Scheme::default()
        }
    }

    #[test]
    fn baseline_is_exact_and_sized_as_f32() {
        let m = LoadedModel::builtin().unwrap();
        let p = evaluate_config(&m, &Config::baseline()).unwrap();
        assert_eq!(p.size_bytes, m.f32_bytes());
        assert_eq!(p.sqnr_db, f64::INFINITY);
        assert_eq!(p.family, Family::Baseline);
        assert_eq!(p.accuracy, m.baseline_report().map(|r| r.accuracy));
    }

    #[test]
    fn overrides_change_only_their_tensor() {
        let m = LoadedModel::builtin().unwrap();
        let name = m
            .tensors
            .iter()
            .find(|t| t.shape.len() == 2)
            .unwrap()
            .name
            .clone();
        let mut c = Config::new("mixed", f32_scheme());
        c.overrides.insert(name.clone(), int(4));
        let p = evaluate_config(&m, &c).unwrap();
        assert_eq!(p.family, Family::Mixed);
        for t in &p.tensors {
            assert_eq!(t.metrics.sqnr_db.is_finite(), t.name == name, "{}", t.name);
        }
        c.overrides.insert("nope".into(), int(4));
        assert!(evaluate_config(&m, &c).is_err());
    }

    #[test]
    fn global_pruning_pools_tensors() {
        let m = LoadedModel::builtin().unwrap();
        let mut s = f32_scheme();
        s.prune = Some(Prune {
            method: PruneMethod::Global,
            sparsity: 0.5,
        });
        let p = evaluate_config(&m, &Config::new("global", s)).unwrap();
        let zeros: f64 = p
            .tensors
            .iter()
            .filter(|t| t.compressed)
            .map(|t| t.metrics.sparsity * t.metrics.n as f64)
            .sum();
        let n: u64 = p
            .tensors
            .iter()
            .filter(|t| t.compressed)
            .map(|t| t.metrics.n)
            .sum();
        assert!((zeros / n as f64 - 0.5).abs() < 1e-3);
        assert_eq!(p.family, Family::Pruning);
    }
}
