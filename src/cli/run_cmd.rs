//! `bitlens run --model PATH [--inputs FILE] [--json]`: run a model on the CPU in fp32 and say
//! what was run, on which inputs, and what came out (each output summarised).
//!
//! JSON: `{"kind": "sentence_encoder" | "voice_activity" | "onnx_graph", "model": PATH,
//! "inputs": {"source", "count", "synthetic"}, "outputs": [{"name", "shape", "mean", "min", "max",
//! "reading"?}], "seconds", "weights"}`, where `weights` counts the tensors a sweep compresses.

use std::path::PathBuf;

use anyhow::Result;

use super::UsageError;
use super::sweep_cmd::load_model;

#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// Model: an ONNX graph, or a BERT-family sentence-encoder folder (or its model.safetensors).
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    /// Inputs: sentences (one a line), a 16 kHz WAV, or `.npz`/`.npy` named after the graph
    /// inputs; default: the bundled probe set (synthetic inputs for plain ONNX graphs, labelled).
    #[arg(long, value_name = "FILE")]
    pub inputs: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &RunArgs) -> Result<()> {
    let model = load_model(&Some(a.model.clone()), &a.inputs)?;
    let Some(runner) = model.runner() else {
        let why = model.not_evaluable_reason().map_or_else(
            || "it is evaluated on its own test set (bitlens eval)".to_owned(),
            ToString::to_string,
        );
        let path = a.model.display().to_string();
        let msg = if why.contains(&path) {
            format!("does not run here: {why}")
        } else {
            format!("{path}: does not run here: {why}")
        };
        return Err(UsageError(msg).into());
    };
    let s = runner.summary();
    if a.json {
        outln!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    outln!(
        "{} ({:?}), fp32 on the CPU in {:.3} s",
        s.model,
        s.kind,
        s.seconds
    );
    outln!(
        "inputs: {} — {} input{}{}",
        s.inputs.source,
        s.inputs.count,
        if s.inputs.count == 1 { "" } else { "s" },
        if s.inputs.synthetic {
            " (synthetic inputs)"
        } else {
            ""
        }
    );
    for o in &s.outputs {
        outln!(
            "output {} {:?}: mean {:.5}, min {:.5}, max {:.5}{}",
            o.name,
            o.shape,
            o.mean,
            o.min,
            o.max,
            o.reading
                .as_ref()
                .map_or(String::new(), |r| format!(" — {r}"))
        );
    }
    outln!("{} weight tensors are compressed by sweeps", s.weights);
    Ok(())
}
