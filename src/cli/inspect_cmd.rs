//! `bitlens inspect FILE [--json] [--no-stats]`: format, metadata, tensors with statistics, totals.
//!
//! # JSON shape (stable; `--json`)
//!
//! ```text
//! {
//!   "file": "model.safetensors",          // as given on the command line
//!   "format": "safetensors",              // built-in | safetensors | npy | npz | gguf | onnx
//!                                         // | pytorch-zip | pytorch-legacy
//!   "metadata": [["key", "value"], ...],  // file order
//!   "tensors": [{
//!     "name": "fc1.weight", "dtype": "F32", "shape": [128, 784],
//!     "n_params": 100352, "size_bytes": 401408,
//!     "supported": true,                  // float tensor offered for compression
//!     "note": null,                       // why not supported / not decodable
//!     "stats": {                          // null with --no-stats or when not decodable
//!       "count": 100352, "nan_count": 0, "inf_count": 0,
//!       "min": -0.3, "max": 0.3, "mean": 0.0, "std": 0.05,
//!       "kurtosis": 3.1,                  // Pearson (normal = 3), finite values only
//!       "outlier_ratio": 0.0              // |w − mean| > 6σ
//!     },
//!     "error": null                       // decoding error, if any
//!   }, ...],
//!   "totals": {"tensors": 6, "n_params": 109386, "size_bytes": 437544,
//!              "supported_tensors": 6, "supported_params": 109386}
//! }
//! ```

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::UsageError;
use crate::model::{self, Model, TensorInfo};
use crate::tensor::TensorStats;

#[derive(Clone, Debug, clap::Args)]
pub struct InspectArgs {
    /// Model file (safetensors, .npy/.npz, GGUF, ONNX, PyTorch .pt/.pth/.bin); `builtin` for the
    /// built-in model.
    pub file: PathBuf,
    /// Print JSON (shape documented in `src/cli/inspect_cmd.rs`).
    #[arg(long)]
    pub json: bool,
    /// Skip statistics (only list tensors; reads no tensor data).
    #[arg(long)]
    pub no_stats: bool,
}

#[derive(Serialize)]
struct TensorOut<'a> {
    #[serde(flatten)]
    info: &'a TensorInfo,
    stats: Option<TensorStats>,
    error: Option<String>,
}

#[derive(Serialize)]
struct Totals {
    tensors: usize,
    n_params: u64,
    size_bytes: u64,
    supported_tensors: usize,
    supported_params: u64,
}

#[derive(Serialize)]
struct InspectOut<'a> {
    file: String,
    format: &'static str,
    metadata: &'a [(String, String)],
    tensors: Vec<TensorOut<'a>>,
    totals: Totals,
}

/// Open `path` (or the built-in model for `builtin`), mapping bad input to a usage error.
pub(crate) fn open_model(path: &std::path::Path) -> Result<Model> {
    if path.as_os_str() == "builtin" && !path.exists() {
        return Ok(Model::builtin());
    }
    model::open(path).map_err(|e| UsageError(e.to_string()).into())
}

pub fn run(args: &InspectArgs) -> Result<()> {
    let m = open_model(&args.file)?;
    let out = InspectOut {
        file: args.file.display().to_string(),
        format: m.format.name(),
        metadata: &m.metadata,
        tensors: m
            .tensors
            .iter()
            .map(|info| tensor_out(&m, info, args.no_stats))
            .collect(),
        totals: totals(&m),
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_text(&out);
    Ok(())
}

/// One tensor with its statistics (unless `no_stats`) or the error reading them.
fn tensor_out<'a>(m: &Model, info: &'a TensorInfo, no_stats: bool) -> TensorOut<'a> {
    let (stats, error) = if no_stats {
        (None, None)
    } else {
        match m.tensor_stats(&info.name) {
            Ok(stats) => (Some(stats), None),
            // Listed-but-undecodable tensors already carry their reason in `note`.
            Err(_) if info.note.is_some() && !info.supported => (None, None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    TensorOut { info, stats, error }
}

fn totals(m: &Model) -> Totals {
    Totals {
        tensors: m.tensors.len(),
        n_params: m.n_params(),
        size_bytes: m.size_bytes(),
        supported_tensors: m.tensors.iter().filter(|t| t.supported).count(),
        supported_params: m
            .tensors
            .iter()
            .filter(|t| t.supported)
            .map(|t| t.n_params)
            .sum(),
    }
}

/// The text report: header, metadata (values cut at 100 characters), a table row per tensor,
/// totals.
fn print_text(out: &InspectOut<'_>) {
    outln!(
        "{}: {} ({} tensors)",
        out.file,
        out.format,
        out.totals.tensors
    );
    for (k, v) in out.metadata {
        let v = if v.chars().count() > 100 {
            format!("{}…", v.chars().take(100).collect::<String>())
        } else {
            v.clone()
        };
        outln!("  {k} = {}", v.replace('\n', " "));
    }
    outln!(
        "{:<40} {:>8} {:>18} {:>12} {:>10} {:>10} {:>10} {:>9} {:>8} {:>8}",
        "name",
        "dtype",
        "shape",
        "params",
        "min",
        "max",
        "mean",
        "std",
        "kurt",
        ">6σ"
    );
    for t in &out.tensors {
        print_tensor_row(t);
    }
    outln!(
        "total: {} params in {} tensors, {} bytes; {} float tensors ({} params) offered for compression",
        out.totals.n_params,
        out.totals.tensors,
        out.totals.size_bytes,
        out.totals.supported_tensors,
        out.totals.supported_params
    );
}

/// One table row: statistics, or why there are none.
fn print_tensor_row(t: &TensorOut<'_>) {
    let shape = format!("{:?}", t.info.shape);
    let mark = if t.info.supported {
        ""
    } else {
        " (not offered)"
    };
    if let Some(s) = &t.stats {
        let flags = if s.nan_count + s.inf_count > 0 {
            format!("  [{} NaN, {} Inf]", s.nan_count, s.inf_count)
        } else {
            String::new()
        };
        outln!(
            "{:<40} {:>8} {:>18} {:>12} {:>10.4} {:>10.4} {:>10.4} {:>9.4} {:>8.2} {:>7.4}%{mark}{flags}",
            t.info.name,
            t.info.dtype,
            shape,
            t.info.n_params,
            s.min,
            s.max,
            s.mean,
            s.std,
            s.kurtosis,
            s.outlier_ratio * 100.0
        );
    } else {
        let why = t.error.as_deref().or(t.info.note.as_deref()).unwrap_or("");
        outln!(
            "{:<40} {:>8} {:>18} {:>12}  {why}",
            t.info.name,
            t.info.dtype,
            shape,
            t.info.n_params
        );
    }
}
