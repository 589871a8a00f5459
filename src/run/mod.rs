//! L1: run a loaded third-party model on the CPU, fp32 and with compressed weights, and measure
//! what the compression does to its outputs (model-level fidelity).
//!
//! - ONNX graphs run with `tract-onnx` ([`onnx`]): compressed weights replace the float tensors in
//!   initializers and `Constant` nodes (subgraphs too) before tract optimises the graph. Only the
//!   weights of Conv/ConvTranspose/MatMul/Gemm/LSTM/GRU/RNN are compressed ([`WeightRole`]).
//!   Silero VAD graphs get speech frames; other graphs `.npy`/`.npz` inputs or labelled synthetic ones.
//! - BERT-family sentence encoders from a model folder run with `candle-transformers` and
//!   `tokenizers` ([`bert`]); their sentence embedding (pooling, normalisation) is compared.
//!
//! Both live behind the default cargo feature `run`; without it [`prepare`] says so and the
//! engine falls back to weight SQNR, labelled as such. Every figure is in [0, 1], higher is
//! better, and named by its [`Metric`].

#[cfg(feature = "run")]
mod bert;
mod fidelity;
pub mod inputs;
#[cfg(feature = "run")]
pub mod ocr;
#[cfg(feature = "run")]
mod onnx;
#[cfg(feature = "run")]
mod onnx_feeds;
#[cfg(feature = "run")]
mod onnx_proto;
mod reason;

pub use reason::{InputSource, NotRunnable, Probe, Reading};

#[cfg(feature = "run")]
use std::collections::HashMap;
#[cfg(feature = "run")]
use std::path::Path;
use std::path::PathBuf;

use serde::Serialize;

use crate::model::Model;
use crate::tensor::Tensor;

pub use fidelity::{cosine, embedding_fidelity, frame_fidelity, output_fidelity};

/// What a fidelity figure measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Metric {
    /// Mean over inputs of cos(fp32 sentence embedding, compressed one).
    #[serde(rename = "embedding_cosine")]
    EmbeddingCosine,
    /// Mean fraction of each input's 10 nearest neighbours (by fp32 embedding) kept.
    #[serde(rename = "top10_neighbour_overlap")]
    NeighbourOverlap10,
    /// Fraction of inputs whose arg-max output equals fp32's.
    #[serde(rename = "top1_agreement")]
    Top1Agreement,
    /// Mean over inputs of cos(fp32 output, compressed output).
    #[serde(rename = "output_cosine")]
    OutputCosine,
    /// Mean KL(fp32 softmax ‖ compressed softmax) in nats (lower is better; not in [0, 1]).
    #[serde(rename = "softmax_kl")]
    SoftmaxKl,
    /// Fraction of audio frames with the same speech / non-speech decision as fp32.
    #[serde(rename = "frame_agreement")]
    FrameAgreement,
    /// 1 − mean |p − p_fp32| of the per-frame speech probability.
    #[serde(rename = "one_minus_mean_abs_dp")]
    OneMinusMeanAbsDeltaP,
    /// 1 − mean character error rate of a text recogniser against the true strings.
    #[serde(rename = "one_minus_cer")]
    OneMinusCer,
    /// 1 − mean character error rate against fp32's own reading.
    #[serde(rename = "one_minus_cer_vs_fp32")]
    OneMinusCerVsFp32,
}

impl Metric {
    /// The name printed in JSON and shown in the app.
    pub fn name(self) -> &'static str {
        match self {
            Metric::EmbeddingCosine => "embedding_cosine",
            Metric::NeighbourOverlap10 => "top10_neighbour_overlap",
            Metric::Top1Agreement => "top1_agreement",
            Metric::OutputCosine => "output_cosine",
            Metric::SoftmaxKl => "softmax_kl",
            Metric::FrameAgreement => "frame_agreement",
            Metric::OneMinusMeanAbsDeltaP => "one_minus_mean_abs_dp",
            Metric::OneMinusCer => "one_minus_cer",
            Metric::OneMinusCerVsFp32 => "one_minus_cer_vs_fp32",
        }
    }
}

/// One configuration's model-level fidelity: the headline figure and the secondary ones.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fidelity {
    pub metric: Metric,
    pub value: f64,
    /// Inputs the figure averages over (sentences, audio frames, samples).
    pub n_inputs: usize,
    /// Whether the inputs were generated at random (plain ONNX graphs without `--inputs`).
    pub synthetic: bool,
    /// Further figures, each named.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_map")]
    pub others: Vec<(Metric, f64)>,
}

/// `[(metric, value)]` as `{"metric": value}`.
fn as_map<S: serde::Serializer>(v: &[(Metric, f64)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        m.serialize_entry(k.name(), x)?;
    }
    m.end()
}

/// What kind of model a runner runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A BERT-family sentence encoder (candle).
    SentenceEncoder,
    /// A Silero voice-activity detector (tract).
    VoiceActivity,
    /// A PP-OCR text-line recogniser (tract).
    TextRecognition,
    /// Any other ONNX graph (tract).
    OnnxGraph,
}

/// Where a runner's inputs came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputSet {
    /// The file given with `--inputs`, a bundled probe set, or synthetic inputs.
    pub source: InputSource,
    /// Inputs (sentences, audio frames, samples).
    pub count: usize,
    pub synthetic: bool,
}

/// A weight the runner compresses, and its output-channel axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightRole {
    pub name: String,
    pub out_axis: usize,
}

/// The fp32 run of a model, summarised (what `bitlens run` prints).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    pub kind: RunKind,
    pub model: String,
    pub inputs: InputSet,
    /// One line per graph output / the embedding: name, shape, a few figures.
    pub outputs: Vec<OutputSummary>,
    /// Seconds the fp32 run took.
    pub seconds: f64,
    /// Weights compressed by a sweep (by name).
    pub weights: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputSummary {
    pub name: String,
    pub shape: Vec<usize>,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// A task-level reading: speech fraction, the embedding norm, the top class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<Reading>,
}

/// A model that runs: its fp32 reference outputs are computed once, on construction.
pub trait Runner: Send + Sync + std::fmt::Debug {
    fn summary(&self) -> &RunSummary;
    /// The tensors a sweep compresses (`None`: every float tensor of ≥ 2 dimensions).
    fn weights(&self) -> Option<&[WeightRole]>;
    /// The fp32 outputs the fidelity compares against, flattened (speech probabilities per
    /// frame; sentence embeddings row by row; the graph's first float output).
    fn reference(&self) -> Vec<f32>;
    /// Run with `replaced` tensors in place of the stored ones and compare with fp32;
    /// `Ok(None)` when `stop` said so between batches (a superseded or cancelled job).
    fn fidelity(
        &self,
        replaced: &[Tensor],
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<Fidelity>, String>;
}

/// Options of [`prepare`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// `--inputs FILE`: sentences, `.npy`/`.npz`, a WAV.
    pub inputs: Option<PathBuf>,
}

/// Whether files of this format may have a runner ([`prepare`] says if this one does).
pub fn has_runner(format: crate::model::FileFormat) -> bool {
    use crate::model::FileFormat;
    matches!(format, FileFormat::Onnx | FileFormat::Safetensors)
}

/// Build the runner for `model`, or say in one line why it cannot run.
pub fn prepare(model: &Model, options: &RunOptions) -> Result<Box<dyn Runner>, NotRunnable> {
    #[cfg(feature = "run")]
    {
        let Some(path) = model.path.as_deref() else {
            return Err(NotRunnable::BuiltIn);
        };
        match model.format {
            crate::model::FileFormat::Onnx => {
                onnx::prepare(path, options).map_err(NotRunnable::Failed)
            }
            crate::model::FileFormat::Safetensors => bert::prepare(model, path, options),
            f => Err(NotRunnable::NoRunner(f)),
        }
    }
    #[cfg(not(feature = "run"))]
    {
        let _ = (model, options);
        Err(NotRunnable::NoRunFeature)
    }
}

#[cfg(feature = "run")]
/// The folder a model file lives in (a model folder's files sit beside its weights).
pub(crate) fn folder_of(path: &Path) -> &Path {
    if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    }
}

#[cfg(feature = "run")]
/// Replacement tensors by name.
pub(crate) fn by_name(replaced: &[Tensor]) -> HashMap<&str, &Tensor> {
    replaced.iter().map(|t| (t.name.as_str(), t)).collect()
}

#[cfg(feature = "run")]
/// Mean, min, max of a slice (for summaries).
pub(crate) fn summarise(name: &str, shape: &[usize], v: &[f32]) -> OutputSummary {
    let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    for &x in v {
        let x = f64::from(x);
        lo = lo.min(x);
        hi = hi.max(x);
        sum += x;
    }
    OutputSummary {
        name: name.to_owned(),
        shape: shape.to_vec(),
        mean: if v.is_empty() {
            0.0
        } else {
            sum / v.len() as f64
        },
        min: lo,
        max: hi,
        reading: None,
    }
}
