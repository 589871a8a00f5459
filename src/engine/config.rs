//! One compression configuration of a whole model ([`Config`]) and its measured outcome
//! ([`ConfigPoint`]): exact size, error metrics and, for evaluable models, the accuracy.
//!
//! [`evaluate_config`] is the one function that sweeps, sensitivity runs, previews, the CLI and
//! tests use. Per tensor the scheme is the config's [`Config::scheme`] unless
//! [`Config::overrides`] names the tensor (mixed precision). As in
//! [`crate::compress::apply_model`], 1-D tensors stay f32 unless the scheme has `include_1d`
//! (an override always applies to the tensor it names), and global pruning pools every tensor
//! that the base scheme compresses. Accuracies are measured, never estimated: a model that cannot
//! be evaluated gets `accuracy: None`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CancelToken;
use super::loaded::{ActBits, LoadedModel};
use crate::compress::apply::apply_with_mask;
use crate::compress::metrics::{self, ErrorSums};
use crate::compress::scheme::{PruneMethod, Scheme, Target};
use crate::compress::{Compressed, Metrics, SizeReport, prune};
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

    /// The scheme used for tensor `name`.
    pub fn scheme_for(&self, name: &str) -> &Scheme {
        self.overrides.get(name).unwrap_or(&self.scheme)
    }

    /// Colour / marker family of this config (see [`Family`]).
    pub fn family(&self) -> Family {
        if self.overrides.is_empty() {
            Family::of(&self.scheme)
        } else {
            Family::Mixed
        }
    }
}

/// Keep every tensor in f32.
pub fn f32_scheme() -> Scheme {
    Scheme {
        target: Target::None,
        prune: None,
        ..Scheme::default()
    }
}

/// The method family of a config, for colours and markers in the trade-off plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// f32, nothing changed.
    Baseline,
    /// Uniform integer codes (any bits, granularity, calibration).
    Int,
    /// Float formats (bf16, fp16, fp8, …), scaled or not.
    Float,
    /// Codebooks and block formats: NF4, MX, NVFP4, GGUF blocks.
    Block,
    /// Pruning only (weights stay f32).
    Pruning,
    /// Pruning and quantization together.
    Combined,
    /// Different schemes per tensor (mixed precision).
    Mixed,
}

impl Family {
    /// The family of one scheme.
    pub fn of(s: &Scheme) -> Self {
        let pruned = s
            .prune
            .is_some_and(|p| p.sparsity > 0.0 || matches!(p.method, PruneMethod::NM { .. }));
        let quant = match s.target {
            Target::None => None,
            Target::Int(_) => Some(Self::Int),
            Target::Float { .. } => Some(Self::Float),
            Target::Nf4 { .. } | Target::Mx(_) | Target::Nvfp4 | Target::Ggml(_) => {
                Some(Self::Block)
            }
        };
        match (quant, pruned) {
            (None, false) => Self::Baseline,
            (None, true) => Self::Pruning,
            (Some(f), false) => f,
            (Some(_), true) => Self::Combined,
        }
    }

    /// Stable name (CLI, JSON, CSV).
    pub fn name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Int => "int",
            Self::Float => "float",
            Self::Block => "codebook_block",
            Self::Pruning => "pruning",
            Self::Combined => "combined",
            Self::Mixed => "mixed",
        }
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
    /// Exact storage of every loaded tensor (compressed ones and those kept in f32).
    pub size_bytes: u64,
    pub bits_per_weight: f64,
    /// The same tensors in f32.
    pub original_bytes: u64,
    /// Top-1 accuracy in [0, 1] on the bundled test set; `None` when the model is not evaluable.
    pub accuracy: Option<f64>,
    /// Mean cross-entropy on the test set; `None` when not evaluable.
    pub loss: Option<f64>,
    /// Model-wide SQNR over all loaded tensors (+∞ when nothing changed).
    pub sqnr_db: f64,
    /// Model-wide (element-weighted) metrics.
    pub metrics: Metrics,
    pub size: SizeReport,
    pub tensors: Vec<TensorPoint>,
    /// Notes of the compressors (fallbacks), prefixed with the tensor name.
    pub notes: Vec<String>,
}

impl ConfigPoint {
    /// The y value of the trade-off plot: accuracy when measured, else SQNR.
    pub fn quality(&self) -> f64 {
        self.accuracy.unwrap_or(self.sqnr_db)
    }
}

/// The compressed model before evaluation.
pub(crate) struct Compression {
    pub tensors: Vec<TensorPoint>,
    pub sums: ErrorSums,
    pub size: SizeReport,
    pub notes: Vec<String>,
    /// Dequantized copies of the compressed tensors (when asked to keep them).
    pub replaced: Vec<Tensor>,
}

/// Pruning masks of every tensor (global pruning pools the tensors of the base scheme).
pub(crate) fn masks(model: &LoadedModel, config: &Config) -> Vec<Option<Vec<bool>>> {
    let ts = &model.tensors;
    let mut out: Vec<Option<Vec<bool>>> = vec![None; ts.len()];
    if let Some(p) = config.scheme.prune
        && p.method == PruneMethod::Global
    {
        let pool: Vec<usize> = (0..ts.len())
            .filter(|&i| {
                !config.overrides.contains_key(&ts[i].name)
                    && eligible(&config.scheme, &ts[i], false)
            })
            .collect();
        let slices: Vec<&[f32]> = pool.iter().map(|&i| &ts[i].data[..]).collect();
        let total: usize = slices.iter().map(|s| s.len()).sum();
        let ms = prune::magnitude_masks(&slices, prune::prune_count(p.sparsity, total));
        for (i, m) in pool.into_iter().zip(ms) {
            out[i] = Some(m);
        }
    }
    out
}

fn eligible(scheme: &Scheme, t: &Tensor, overridden: bool) -> bool {
    overridden || scheme.include_1d || t.shape.len() >= 2
}

/// Check the config against the model: valid schemes, overrides that name loaded tensors.
pub(crate) fn check(model: &LoadedModel, config: &Config) -> Result<(), String> {
    config.scheme.validate().map_err(|e| e.to_string())?;
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

/// Compress tensor `i` under `config` with its precomputed mask (`Ok(None)`: the tensor stays
/// f32).
pub(crate) fn compress_tensor(
    model: &LoadedModel,
    config: &Config,
    i: usize,
    mask: Option<Vec<bool>>,
) -> Result<Option<Compressed>, String> {
    let t = &model.tensors[i];
    let overridden = config.overrides.contains_key(&t.name);
    let scheme = config.scheme_for(&t.name);
    if !eligible(scheme, t, overridden) {
        return Ok(None);
    }
    let mask = match (mask, scheme.prune) {
        (Some(m), _) => Some(m),
        (None, Some(p)) => Some(prune::mask_for(&t.data, &t.shape, p.method, p.sparsity)),
        (None, None) => None,
    };
    apply_with_mask(scheme, t, mask)
        .map(Some)
        .map_err(|e| format!("{}: tensor `{}`: {e}", model.label, t.name))
}

/// Compress every tensor. `Ok(None)`: cancelled. `on_tensor(i, compressed)` sees each result
/// (`None`: tensor `i` stays f32).
pub(crate) fn compress_model(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
    keep: bool,
    on_tensor: &mut dyn FnMut(usize, Option<&Compressed>),
) -> Result<Option<Compression>, String> {
    check(model, config)?;
    let mut masks = masks(model, config);
    let n = model.tensors.len();
    let mut out = Compression {
        tensors: Vec::with_capacity(n),
        sums: ErrorSums::default(),
        size: SizeReport::default(),
        notes: Vec::new(),
        replaced: Vec::new(),
    };
    let mut sizes = Vec::with_capacity(n);
    for (i, t) in model.tensors.iter().enumerate() {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        match compress_tensor(model, config, i, masks[i].take())? {
            Some(c) => {
                on_tensor(i, Some(&c));
                out.sums = out.sums.merge(c.sums);
                out.notes
                    .extend(c.notes.iter().map(|m| format!("{}: {m}", c.name)));
                out.tensors.push(TensorPoint {
                    name: c.name.clone(),
                    shape: c.shape.clone(),
                    compressed: true,
                    metrics: c.metrics,
                    size: c.size.clone(),
                });
                sizes.push(c.size);
                if keep {
                    out.replaced.push(Tensor {
                        name: c.name,
                        shape: c.shape,
                        data: c.dequantized,
                    });
                }
            }
            None => {
                on_tensor(i, None);
                let sums = metrics::error_sums(&t.data, &t.data);
                let len = t.data.len() as u64;
                let size = SizeReport::dense(len, 32 * len, 0, 0, 0);
                out.sums = out.sums.merge(sums);
                out.tensors.push(TensorPoint {
                    name: t.name.clone(),
                    shape: t.shape.clone(),
                    compressed: false,
                    metrics: sums.metrics(),
                    size: size.clone(),
                });
                sizes.push(size);
            }
        }
    }
    out.size = SizeReport::sum(&sizes);
    Ok(Some(out))
}

/// Turn a compression into a point: evaluate the model with the dequantized tensors.
pub(crate) fn finish_point(
    model: &LoadedModel,
    config: &Config,
    c: Compression,
) -> Result<ConfigPoint, String> {
    let report = model.evaluate(&c.replaced, config.act)?;
    let metrics = c.sums.metrics();
    Ok(ConfigPoint {
        label: config.label.clone(),
        family: config.family(),
        config: config.clone(),
        size_bytes: c.size.bytes,
        bits_per_weight: c.size.bits_per_weight,
        original_bytes: model.f32_bytes(),
        accuracy: report.as_ref().map(|r| r.accuracy),
        loss: report.as_ref().map(|r| r.loss),
        sqnr_db: metrics.sqnr_db,
        metrics,
        size: c.size,
        tensors: c.tensors,
        notes: c.notes,
    })
}

/// Evaluate `config` on `model`: compress every tensor, measure size, error and accuracy.
pub fn evaluate_config(model: &LoadedModel, config: &Config) -> Result<ConfigPoint, String> {
    evaluate_config_cancellable(model, config, &CancelToken::default())
        .map(|p| p.expect("a fresh token is never cancelled"))
}

/// [`evaluate_config`] that stops between tensors when `cancel` is set (`Ok(None)`).
pub fn evaluate_config_cancellable(
    model: &LoadedModel,
    config: &Config,
    cancel: &CancelToken,
) -> Result<Option<ConfigPoint>, String> {
    let keep = model.is_evaluable();
    match compress_model(model, config, cancel, keep, &mut |_, _| {})? {
        None => Ok(None),
        Some(c) => {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            finish_point(model, config, c).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::scheme::{Granularity, IntSpec, Prune};

    fn int(bits: u8) -> Scheme {
        Scheme {
            target: Target::Int(IntSpec {
                bits,
                ..IntSpec::default()
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
