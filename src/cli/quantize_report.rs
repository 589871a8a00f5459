//! What `bitlens quantize` reports: per-tensor rows, the model total, what `--out` wrote (JSON
//! shapes and the printed table).

use std::path::PathBuf;

use serde::Serialize;

use crate::compress::ggml_blocks::GgmlType;
use crate::compress::scheme::Scheme;
use crate::compress::{Compressed, Metrics, SizeReport};
use crate::engine::{ExportFormat, TensorPoint};

#[derive(Serialize)]
pub(super) struct TensorOut {
    pub(super) name: String,
    pub(super) shape: Vec<usize>,
    pub(super) n: usize,
    pub(super) metrics: MetricsOut,
    pub(super) size: SizeReport,
    pub(super) ggml_type: Option<&'static str>,
    pub(super) notes: Vec<String>,
}

impl TensorOut {
    pub(super) fn of(c: &Compressed) -> Self {
        Self {
            name: c.name.clone(),
            shape: c.shape.clone(),
            n: c.dequantized.len(),
            metrics: (&c.metrics).into(),
            size: c.size.clone(),
            ggml_type: c.ggml_type.map(GgmlType::name),
            notes: c.notes.iter().map(ToString::to_string).collect(),
        }
    }

    pub(super) fn kept(t: &TensorPoint, dtype: &str) -> Self {
        Self {
            name: t.name.clone(),
            shape: t.shape.clone(),
            n: t.metrics.n as usize,
            metrics: (&t.metrics).into(),
            size: t.size.clone(),
            ggml_type: None,
            notes: vec![format!("kept as stored ({dtype}, 1-D tensor)")],
        }
    }
}

/// Metrics with non-finite SQNR written as null.
#[derive(Serialize)]
pub(super) struct MetricsOut {
    pub(super) n: u64,
    pub(super) mse: f64,
    pub(super) rmse: f64,
    pub(super) sqnr_db: Option<f64>,
    pub(super) max_abs_err: f64,
    pub(super) cosine: f64,
    pub(super) clipped_fraction: f64,
    pub(super) sparsity: f64,
}

impl From<&Metrics> for MetricsOut {
    fn from(m: &Metrics) -> Self {
        Self {
            n: m.n,
            mse: m.mse,
            rmse: m.rmse,
            sqnr_db: m.sqnr_db.is_finite().then_some(m.sqnr_db),
            max_abs_err: m.max_abs_err,
            cosine: m.cosine,
            clipped_fraction: m.clipped_fraction,
            sparsity: m.sparsity,
        }
    }
}

#[derive(Serialize)]
pub(super) struct TotalOut {
    pub(super) metrics: MetricsOut,
    pub(super) size: SizeReport,
    /// The same tensors as the file stores them (the baseline of every ratio).
    pub(super) original_bytes: u64,
    /// The same tensors in f32.
    pub(super) f32_bytes: u64,
}

#[derive(Serialize)]
pub(super) struct Report<'a> {
    pub(super) file: String,
    pub(super) scheme: &'a Scheme,
    pub(super) tensors: Vec<TensorOut>,
    pub(super) total: TotalOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) written: Option<Written>,
}

/// What `--out` wrote.
#[derive(Serialize)]
pub(super) struct Written {
    pub(super) path: PathBuf,
    pub(super) format: ExportFormat,
    /// Size on disk.
    pub(super) bytes: u64,
    /// The setting's size of the tensor data (what the sweep and the plot report).
    pub(super) promised: u64,
    pub(super) notes: Vec<String>,
}

/// Print what `--out` wrote: notes, then the size on disk beside the setting's size.
pub(super) fn print_written(w: &Written) {
    for note in &w.notes {
        outln!("note: {note}");
    }
    let what = match w.format {
        ExportFormat::Dequantized => "safetensors, compressed tensors dequantized to F32",
        ExportFormat::Packed => "safetensors, integer codes + scales (compressed-tensors)",
        ExportFormat::Gguf => "GGUF",
    };
    outln!(
        "wrote {} ({} bytes on disk, {what}; the setting's tensors take {} bytes)",
        w.path.display(),
        w.bytes,
        w.promised
    );
}

fn fmt_db(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "inf".into()
    }
}

pub(super) fn print_table(label: &str, tensors: &[TensorOut], total: &TotalOut) {
    outln!("{label}");
    outln!(
        "{:<32} {:>16} {:>10} {:>9} {:>11} {:>10} {:>9} {:>8} {:>8} {:>8} {:>12}",
        "tensor",
        "shape",
        "n",
        "SQNR dB",
        "MSE",
        "max|err|",
        "cosine",
        "clip %",
        "sparse %",
        "bpw",
        "bytes"
    );
    let row = |name: &str, shape: &str, m: &MetricsOut, size: &SizeReport| {
        outln!(
            "{:<32} {:>16} {:>10} {:>9} {:>11.4e} {:>10.3e} {:>9.6} {:>8.3} {:>8.2} {:>8.4} {:>12}",
            name,
            shape,
            m.n,
            m.sqnr_db.map_or("inf".into(), fmt_db),
            m.mse,
            m.max_abs_err,
            m.cosine,
            100.0 * m.clipped_fraction,
            100.0 * m.sparsity,
            size.bits_per_weight,
            size.bytes
        );
    };
    for t in tensors {
        row(&t.name, &format!("{:?}", t.shape), &t.metrics, &t.size);
        for note in &t.notes {
            outln!("    note: {note}");
        }
    }
    row("TOTAL", "", &total.metrics, &total.size);
    outln!(
        "size: {} bytes vs {} bytes as stored ({:.2}× smaller; {} bytes in f32)",
        total.size.bytes,
        total.original_bytes,
        total.original_bytes as f64 / total.size.bytes.max(1) as f64,
        total.f32_bytes
    );
}
