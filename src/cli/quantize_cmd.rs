//! `bitlens quantize [FILE] [options]`: compress every tensor (or one) of a model with one scheme
//! and print per-tensor and total error metrics and exact sizes.
//!
//! FILE is any file the model loaders open; omitted (or `builtin`) = the built-in MLP. 1-D
//! tensors (biases, norms) stay f32 unless `--include-1d` or `--tensor` selects them.
//!
//! `--out OUT.safetensors` writes the compressed tensors **dequantized** as F32 and every other
//! tensor with its stored bytes and dtype, streamed tensor by tensor (no copy of the
//! model in memory) and atomically: a temporary file in the same directory, then a rename. The
//! scheme is stored in the `__metadata__` key `bitlens.scheme` (JSON). Sizes and ratios are
//! against the file as stored (a bf16 checkpoint: 16 bits per weight); `f32_bytes` beside it.
//!
//! # JSON shape (`--json`)
//!
//! ```text
//! {
//!   "file": "model.safetensors",
//!   "scheme": { ...compress::Scheme as serde JSON... },
//!   "tensors": [{
//!     "name": "fc1.weight", "shape": [128, 784], "n": 100352,
//!     "metrics": {"n", "mse", "rmse", "sqnr_db", "max_abs_err", "cosine", "clipped_fraction", "sparsity"},
//!     "size": {"n", "code_bits", "scale_bits", "zero_point_bits", "meta_bits", "mask_bits",
//!              "total_bits", "bytes", "bits_per_weight", "layout"},
//!     "ggml_type": "q4_K" | null, "notes": [...]
//!   }, ...],
//!   "total": {"metrics": {...}, "size": {...}, "original_bytes": 437544, "f32_bytes": 437544}
//! }
//! ```
//! SQNR of a perfect reconstruction is printed as `inf` and written as `null` in JSON.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use super::quantize_report::{Report, TensorOut, TotalOut, Written, print_table, print_written};
use super::usage;
use crate::compress::Compressed;
use crate::compress::catalog::{self, TargetOptions};
use crate::compress::scheme::{
    Calibration, Granularity, IntTarget, Norm, Prune, PruneMethod, QuantRounding, ScaleFormat,
    Scheme, Target,
};
use crate::engine::{CancelToken, Config, ExportFormat, LoadedModel, compress_each, compress_one};
use crate::model::{self, Model};

#[derive(Clone, Debug, clap::Args)]
pub struct QuantizeArgs {
    /// Model file (safetensors, npy/npz, GGUF, ONNX, PyTorch); omitted or `builtin` = built-in MLP.
    pub file: Option<PathBuf>,
    /// Only this tensor.
    #[arg(long)]
    pub tensor: Option<String>,
    /// Integer bits (1–16) for `--target int`.
    #[arg(long, default_value_t = 8)]
    pub bits: u8,
    /// sym | asym.
    #[arg(long, default_value = "sym")]
    pub scheme: String,
    /// Unsigned integer codes (default signed).
    #[arg(long)]
    pub unsigned: bool,
    /// Signed symmetric range ±(2^(b−1) − 1).
    #[arg(long)]
    pub restricted: bool,
    /// tensor | channel | channel:AXIS | group:G.
    #[arg(long, default_value = "channel")]
    pub granularity: String,
    /// minmax | percentile:P | mse | kl.
    #[arg(long, default_value = "minmax")]
    pub calib: String,
    /// int | bf16 | fp16 | e4m3fn | e5m2 | e2m1 | any numfmt float | nf4 | mxfp4 | mxfp6[-e3m2]
    /// | mxfp8[-e5m2] | mxint8 | nvfp4 | q8_0 | q4_0 | q4_1 | q5_0 | q5_1 | q4_k | q5_k | q6_k | none.
    #[arg(long, default_value = "int")]
    pub target: String,
    /// Float targets of ≤ 8 bits are scaled (amax / max per group) unless this is set.
    #[arg(long)]
    pub unscaled: bool,
    /// NF4 block size.
    #[arg(long, default_value_t = 64)]
    pub block: usize,
    /// NF4 double quantization of the absmax values.
    #[arg(long)]
    pub double_quant: bool,
    /// nearest | stochastic:SEED (integer and float targets; NF4, MX, NVFP4 and GGUF round to nearest).
    #[arg(long, default_value = "nearest")]
    pub rounding: String,
    /// f32 | f16 storage of scales.
    #[arg(long, default_value = "f32")]
    pub scale_format: String,
    /// Target sparsity in [0, 1].
    #[arg(long)]
    pub prune: Option<f64>,
    /// magnitude | global | rows[-l1] | cols[-l1] | N:M (2:4, 4:8) | random[:SEED].
    #[arg(long, default_value = "magnitude")]
    pub prune_method: String,
    /// Also compress 1-D tensors.
    #[arg(long)]
    pub include_1d: bool,
    /// Print JSON (shape in `src/cli/quantize_cmd.rs`).
    #[arg(long)]
    pub json: bool,
    /// Write the compressed model (atomic): `OUT.safetensors` holds the compressed tensors
    /// dequantized to F32 and every other tensor as stored; with `--packed` their integer codes
    /// and scales (compressed-tensors); `OUT.gguf` llama.cpp's blocks (the target names the type).
    #[arg(long, value_name = "OUT.safetensors|OUT.gguf")]
    pub out: Option<PathBuf>,
    /// With `--out OUT.safetensors`: integer codes + scales + zero points (compressed-tensors
    /// `pack-quantized`, or `int-quantized` when every tensor has 8 bits).
    #[arg(long, requires = "out")]
    pub packed: bool,
}

/// Build the [`Scheme`] from the command-line options (all errors are usage errors).
pub fn scheme_from_args(a: &QuantizeArgs) -> Result<Scheme> {
    let symmetric = match a.scheme.as_str() {
        "sym" | "symmetric" => true,
        "asym" | "asymmetric" => false,
        s => return Err(usage(format!("--scheme: expected sym or asym, got {s:?}"))),
    };
    let granularity = parse_granularity(&a.granularity)?;
    let calibration = match a.calib.as_str() {
        "minmax" => Calibration::MinMax,
        "mse" => Calibration::Mse,
        "kl" | "entropy" => Calibration::Kl,
        s => match s.strip_prefix("percentile:").map(str::parse::<f64>) {
            Some(Ok(p)) => Calibration::Percentile(p),
            _ => {
                return Err(usage(format!(
                    "--calib: expected minmax, percentile:P, mse or kl, got {s:?}"
                )));
            }
        },
    };
    let rounding = match a.rounding.as_str() {
        "nearest" | "rne" | "nearest-even" => QuantRounding::NearestEven,
        s => match s
            .strip_prefix("stochastic")
            .map(|r| r.trim_start_matches(':'))
        {
            Some("") => QuantRounding::Stochastic { seed: 0 },
            Some(v) => QuantRounding::Stochastic {
                seed: v
                    .parse()
                    .map_err(|_| usage(format!("--rounding: bad seed {v:?}")))?,
            },
            None => {
                return Err(usage(format!(
                    "--rounding: expected nearest or stochastic:SEED, got {s:?}"
                )));
            }
        },
    };
    let scale_format = match a.scale_format.as_str() {
        "f32" => ScaleFormat::F32,
        "f16" => ScaleFormat::F16,
        s => {
            return Err(usage(format!(
                "--scale-format: expected f32 or f16, got {s:?}"
            )));
        }
    };
    let target = parse_target(a, symmetric)?;
    let prune = match a.prune {
        None => None,
        Some(s) => Some(Prune {
            method: parse_prune_method(&a.prune_method)?,
            sparsity: s,
        }),
    };
    let scheme = Scheme {
        target,
        granularity,
        calibration,
        rounding,
        scale_format,
        prune,
        include_1d: a.include_1d,
    };
    scheme.validate().map_err(|e| usage(e.to_string()))?;
    Ok(scheme)
}

fn parse_granularity(s: &str) -> Result<Granularity> {
    let bad = || {
        usage(format!(
            "--granularity: expected tensor, channel[:AXIS] or group:G, got {s:?}"
        ))
    };
    Ok(match s {
        "tensor" => Granularity::Tensor,
        "channel" => Granularity::Channel { axis: 0 },
        _ => {
            if let Some(v) = s.strip_prefix("channel:") {
                Granularity::Channel {
                    axis: v.parse().map_err(|_| bad())?,
                }
            } else if let Some(v) = s.strip_prefix("group:") {
                let size: usize = v.parse().map_err(|_| bad())?;
                if size == 0 {
                    return Err(bad());
                }
                Granularity::Group { size }
            } else {
                return Err(bad());
            }
        }
    })
}

/// `--target` through the target catalog (`nf4-dq`: NF4 with double quantization).
fn parse_target(a: &QuantizeArgs, symmetric: bool) -> Result<Target> {
    let (name, double_quant) = match a.target.to_ascii_lowercase().as_str() {
        "nf4-dq" => ("nf4".to_owned(), true),
        other => (other.to_owned(), a.double_quant),
    };
    let options = TargetOptions {
        int: IntTarget {
            bits: a.bits,
            signed: !a.unsigned,
            symmetric,
            restricted: a.restricted,
        },
        double_quant,
        nf4_block: Some(a.block),
        unscaled: a.unscaled,
    };
    catalog::parse(&name, &options)
        .map_err(|e| usage(format!("--target: {e} (see `bitlens quantize --help`)")))
}

fn parse_prune_method(s: &str) -> Result<PruneMethod> {
    let bad = || {
        usage(format!(
            "--prune-method: expected magnitude, global, rows, cols, N:M or random, got {s:?}"
        ))
    };
    Ok(match s {
        "magnitude" => PruneMethod::Magnitude,
        "global" => PruneMethod::Global,
        "rows" | "rows-l2" => PruneMethod::Rows { norm: Norm::L2 },
        "rows-l1" => PruneMethod::Rows { norm: Norm::L1 },
        "cols" | "cols-l2" => PruneMethod::Cols { norm: Norm::L2 },
        "cols-l1" => PruneMethod::Cols { norm: Norm::L1 },
        "random" => PruneMethod::Random { seed: 0 },
        _ => {
            if let Some(v) = s.strip_prefix("random:") {
                PruneMethod::Random {
                    seed: v.parse().map_err(|_| bad())?,
                }
            } else if let Some((n, m)) = s.split_once(':') {
                let n: usize = n.parse().map_err(|_| bad())?;
                let m: usize = m.parse().map_err(|_| bad())?;
                PruneMethod::NM { n, m }
            } else {
                return Err(bad());
            }
        }
    })
}

fn open_model(file: &Option<PathBuf>) -> Result<(Model, String)> {
    match file {
        None => Ok((Model::builtin(), "builtin".into())),
        Some(p) if p.as_os_str() == "builtin" => Ok((Model::builtin(), "builtin".into())),
        Some(p) => Ok((
            model::open(p).map_err(|e| usage(e.to_string()))?,
            p.display().to_string(),
        )),
    }
}

/// Run the command: one tensor through the preview path, the whole model through the engine's
/// one whole-model path ([`compress_each`]), one tensor in memory at a time; `--out` streams
/// each dequantized tensor into the file as it is made.
pub fn run(a: &QuantizeArgs) -> Result<()> {
    let scheme = scheme_from_args(a)?;
    let (model, label) = open_model(&a.file)?;
    let loaded = LoadedModel::load(&Arc::new(model)).map_err(usage)?;
    if loaded.tensors.is_empty() {
        return Err(usage(format!("{label}: no float tensors to compress")));
    }
    let meta = vec![("bitlens.scheme".to_owned(), serde_json::to_string(&scheme)?)];
    let out = match &a.out {
        Some(p) => Some((
            p.as_path(),
            ExportFormat::for_path(p, a.packed).map_err(usage)?,
        )),
        None => None,
    };
    let (tensors, total, written) = match &a.tensor {
        Some(name) => one_tensor(&loaded, &label, &scheme, name, out, &meta)?,
        None => whole_model(&loaded, &scheme, out, &meta)?,
    };
    if a.json {
        let report = Report {
            file: label.clone(),
            scheme: &scheme,
            tensors,
            total,
            written,
        };
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&label, &tensors, &total);
        if let Some(w) = &written {
            print_written(w);
        }
    }
    Ok(())
}

/// Tensors, total, and what `--out` wrote (if asked).
type Outcome = (Vec<TensorOut>, TotalOut, Option<Written>);

fn one_tensor(
    loaded: &LoadedModel,
    label: &str,
    scheme: &Scheme,
    name: &str,
    out: Option<(&Path, ExportFormat)>,
    meta: &[(String, String)],
) -> Result<Outcome> {
    let i = loaded
        .index_of(name)
        .ok_or_else(|| usage(format!("{label}: no float tensor named `{name}`")))?;
    // A tensor picked by name is compressed even when it is 1-D.
    let config = Config::new(
        "quantize",
        Scheme {
            include_1d: true,
            ..scheme.clone()
        },
    );
    let c = compress_one(loaded, &config, name).map_err(usage)?;
    let total = TotalOut {
        metrics: (&c.metrics).into(),
        size: c.size.clone(),
        original_bytes: loaded.tensors[i].stored_bytes,
        f32_bytes: 4 * c.dequantized.len() as u64,
    };
    let written = match out {
        Some((path, ExportFormat::Dequantized)) => {
            let mut bytes = model::f32_header(&[(&c.name, &c.shape)], meta);
            bytes.extend_from_slice(&model::f32_bytes(&c.dequantized));
            model::write_atomic(path, &bytes).map_err(|e| usage(format!("--out: {e}")))?;
            Some(Written {
                path: path.to_owned(),
                format: ExportFormat::Dequantized,
                bytes: bytes.len() as u64,
                promised: c.size.bytes,
                notes: Vec::new(),
            })
        }
        Some((path, _)) => {
            return Err(usage(format!(
                "--out {}: --tensor writes one dequantized tensor; packed and GGUF files are \
                 written for the whole model (leave out --tensor)",
                path.display()
            )));
        }
        None => None,
    };
    Ok((vec![TensorOut::of(&c)], total, written))
}

fn whole_model(
    loaded: &LoadedModel,
    scheme: &Scheme,
    out: Option<(&Path, ExportFormat)>,
    meta: &[(String, String)],
) -> Result<Outcome> {
    let config = Config::new("quantize", scheme.clone());
    let mut compressed: Vec<Option<TensorOut>> = Vec::new();
    let mut on_tensor = |_: usize, c: Option<&Compressed>| compressed.push(c.map(TensorOut::of));
    let cancel = CancelToken::default();
    let (point, written) = match out {
        None => (
            compress_each(loaded, &config, &cancel, &mut on_tensor)
                .map_err(usage)?
                .ok_or_else(|| usage("cancelled"))?,
            None,
        ),
        Some((path, format)) => {
            let e = crate::engine::write_compressed(
                loaded,
                &config,
                format,
                path,
                meta,
                &cancel,
                &mut on_tensor,
            )
            .map_err(|e| usage(format!("--out: {e}")))?
            .ok_or_else(|| usage("--out: nothing written"))?;
            let written = Written {
                path: path.to_owned(),
                format,
                bytes: e.bytes,
                promised: e.promised,
                notes: e.notes.iter().map(ToString::to_string).collect(),
            };
            (e.point, Some(written))
        }
    };
    let dtype = loaded.dtype_label();
    let tensors = compressed
        .into_iter()
        .zip(&point.tensors)
        .map(|(c, t)| c.unwrap_or_else(|| TensorOut::kept(t, &dtype)))
        .collect();
    let total = TotalOut {
        metrics: (&point.metrics).into(),
        size: point.size.clone(),
        original_bytes: point.original_bytes,
        f32_bytes: point.f32_bytes,
    };
    Ok((tensors, total, written))
}
