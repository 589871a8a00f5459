//! `bitlens eval [--model FILE] [--act int8|fp8] [--json]`: accuracy and loss of the built-in
//! model (or of a compatible MLP in a safetensors/NumPy/… file) on the 1,000 held-out MNIST-5k
//! test images, optionally with per-tensor activation quantization.
//!
//! # JSON shape (stable; `--json`)
//!
//! ```text
//! {
//!   "model": "<built-in>",                 // or the file as given
//!   "dataset": "mnist5k-test", "n": 1000,
//!   "layers": [[784, 128], [128, 64], [64, 10]],   // [in, out] per dense layer
//!   "activations": "float",                // float | int8 | fp8-e4m3 (per-tensor)
//!   "calibration_rows": null,              // rows of the training set used for ranges
//!   "accuracy": 0.95, "correct": 950, "loss": 0.17,
//!   "eval_ms": 4.2,                        // wall time of one evaluation (after a warm-up)
//!   "confusion": [[...10...], ...],        // confusion[label][predicted]
//!   "misclassified": [[row, label, predicted], ...]   // the first 20
//! }
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::UsageError;
use crate::eval::{self, ActFormat, ActQuant, Dataset, Mlp};
use crate::model::Model;

#[derive(Clone, Debug, clap::Args)]
pub struct EvalArgs {
    /// A model file whose dense layers chain 784 → … → 10 (default: the built-in model).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Quantize each layer's input per tensor: int8 or fp8 (E4M3), ranges from a calibration batch.
    #[arg(long, value_name = "FORMAT")]
    pub act: Option<String>,
    /// Training images used to calibrate activation ranges.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub calib: usize,
    /// Print JSON (shape documented in `src/cli/eval_cmd.rs`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct EvalOut {
    model: String,
    dataset: String,
    n: usize,
    layers: Vec<[usize; 2]>,
    activations: &'static str,
    calibration_rows: Option<usize>,
    accuracy: f64,
    correct: usize,
    loss: f64,
    eval_ms: f64,
    confusion: [[u32; 10]; 10],
    misclassified: Vec<(usize, u8, u8)>,
}

pub fn run(args: &EvalArgs) -> Result<()> {
    let model = match &args.model {
        Some(p) => super::inspect_cmd::open_model(p)?,
        None => Model::builtin(),
    };
    let tensors = model
        .load_supported()
        .map_err(|e| UsageError(e.to_string()))?;
    let mlp =
        Mlp::from_tensors(&tensors).map_err(|e| UsageError(format!("{}: {e}", model.label())))?;
    let test = Dataset::try_builtin_test()?;
    let (quant, name) = activation_quant(args, &mlp)?;
    let calibration_rows = match &quant {
        ActQuant::PerTensor { ranges, .. } => Some(ranges.calibration_rows),
        _ => None,
    };
    let hook = |layer: usize, v: &mut [f32]| quant.apply(layer, v);
    let _warm = eval::evaluate_with(&mlp, &test, &hook);
    let start = Instant::now();
    let report = eval::evaluate_with(&mlp, &test, &hook);
    let eval_ms = start.elapsed().as_secs_f64() * 1e3;
    let out = EvalOut {
        model: model.label().to_owned(),
        dataset: test.name.clone(),
        n: report.n,
        layers: mlp.layers.iter().map(|l| [l.n_in(), l.n_out()]).collect(),
        activations: name,
        calibration_rows,
        accuracy: report.accuracy,
        correct: report.correct,
        loss: report.loss,
        eval_ms,
        confusion: report.confusion,
        misclassified: report.misclassified.iter().take(20).copied().collect(),
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_text(&out, &mlp);
    Ok(())
}

/// The activation quantization `--act` asks for (calibrated on the training images) and its
/// name in the report.
fn activation_quant(args: &EvalArgs, mlp: &Mlp) -> Result<(ActQuant, &'static str)> {
    Ok(match args.act.as_deref() {
        None | Some("float" | "none") => (ActQuant::None, "float"),
        Some(f @ ("int8" | "fp8" | "fp8-e4m3" | "e4m3")) => {
            let ranges =
                eval::record_activation_ranges(mlp, &Dataset::try_builtin_train()?, args.calib);
            let (format, name) = if f == "int8" {
                (ActFormat::Int8, "int8")
            } else {
                (ActFormat::Fp8E4M3, "fp8-e4m3")
            };
            (ActQuant::PerTensor { format, ranges }, name)
        }
        Some(other) => {
            return Err(UsageError(format!("unknown --act `{other}`: use int8 or fp8")).into());
        }
    })
}

fn print_text(out: &EvalOut, mlp: &Mlp) {
    let dims: Vec<String> = std::iter::once(mlp.n_inputs())
        .chain(mlp.layers.iter().map(super::super::eval::mlp::Dense::n_out))
        .map(|d| d.to_string())
        .collect();
    outln!("model:      {} (MLP {})", out.model, dims.join("-"));
    outln!("dataset:    {} ({} images)", out.dataset, out.n);
    outln!(
        "activations: {}{}",
        out.activations,
        out.calibration_rows
            .map(|r| format!(" (calibrated on {r} training images)"))
            .unwrap_or_default()
    );
    outln!(
        "accuracy:   {:.2} % ({}/{})",
        out.accuracy * 100.0,
        out.correct,
        out.n
    );
    outln!("loss:       {:.4}", out.loss);
    outln!("time:       {:.2} ms", out.eval_ms);
    outln!("confusion (rows = label, columns = predicted):");
    for (label, row) in out.confusion.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|c| format!("{c:>4}")).collect();
        outln!("  {label}: {}", cells.join(""));
    }
}
