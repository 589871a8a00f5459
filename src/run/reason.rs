//! What a run's fp32 output says ([`Reading`]) and why a model does not run ([`NotRunnable`]),
//! as data: the CLI prints their English text ([`std::fmt::Display`], also their JSON form),
//! the UI words them in its own language from the fields.

use std::fmt;
use std::path::PathBuf;

use serde::{Serialize, Serializer};

use crate::model::FileFormat;

/// What a model's fp32 output says, in task terms.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// A sentence encoder: `sentences` embeddings of `dim` values.
    Embeddings {
        sentences: usize,
        dim: usize,
        /// `Mean`, `Cls` or `Max`.
        pooling: String,
        normalised: bool,
        mean_norm: f32,
    },
    /// A classifier-shaped graph output.
    Classes { rows: usize, classes: usize },
    /// Any other graph output.
    Values { n: usize },
    /// A text-line recogniser: lines read, 1 − CER against the true strings, the first read.
    TextLines {
        lines: usize,
        one_minus_cer: f64,
        first: String,
    },
    /// A voice-activity detector: frames of 32 ms with speech probability ≥ `threshold`.
    Speech {
        speech: usize,
        frames: usize,
        threshold: f32,
    },
}

impl fmt::Display for Reading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Embeddings {
                sentences,
                dim,
                pooling,
                normalised,
                mean_norm,
            } => write!(
                f,
                "{sentences} sentences → {dim}-d embeddings ({pooling} pooling{}; mean norm \
                 {mean_norm:.3})",
                if *normalised { ", normalised" } else { "" }
            ),
            Self::Classes { rows, classes } => write!(f, "{rows} rows of {classes} classes"),
            Self::Values { n } => write!(f, "{n} values"),
            Self::TextLines {
                lines,
                one_minus_cer,
                first,
            } => write!(
                f,
                "{lines} lines read, 1 − CER {one_minus_cer:.4} against the true strings; \
                 first: {first:?}"
            ),
            Self::Speech {
                speech,
                frames,
                threshold,
            } => write!(
                f,
                "speech in {speech} of {frames} frames of 32 ms (p ≥ {threshold})"
            ),
        }
    }
}

impl Serialize for Reading {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A probe set the app ships (`assets/probe/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    Sentences,
    Speech,
    TextLines,
}

impl Probe {
    /// How the CLI names it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sentences => "bundled probe sentences (assets/probe/sentences_en.txt)",
            Self::Speech => "bundled speech (assets/probe/speech_16k.wav)",
            Self::TextLines => {
                "bundled text lines (assets/probe/ocr_lines.txt, rendered with NanumGothic)"
            }
        }
    }
}

/// Where a run's inputs came from.
#[derive(Clone, Debug, PartialEq)]
pub enum InputSource {
    /// The file or folder given with `--inputs`, as given.
    File(String),
    Bundled(Probe),
    /// Random inputs from the graph's declared shapes (seeded).
    Synthetic,
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => f.write_str(path),
            Self::Bundled(p) => f.write_str(p.name()),
            Self::Synthetic => f.write_str("synthetic inputs (random, seeded)"),
        }
    }
}

impl Serialize for InputSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why a model's outputs are not measured (the app shows its weights' SQNR, labelled as such).
#[derive(Clone, Debug, PartialEq)]
pub enum NotRunnable {
    /// The built-in model is evaluated on its own test set instead.
    BuiltIn,
    /// This build has no runners (the `run` feature is off).
    NoRunFeature,
    /// No runner reads files of this format.
    NoRunner(FileFormat),
    /// Its float parameters do not fit in memory as f32 here (`runs`: its format has a runner).
    TooLarge { params: u64, runs: bool },
    /// A model folder lacks a file its runner needs (`config.json`, `tokenizer.json`).
    MissingFile { dir: PathBuf, file: &'static str },
    /// `config.json` names an architecture no runner runs (BERT encoders run).
    Architecture(String),
    /// A sharded encoder (the runner reads one weights file).
    Sharded(PathBuf),
    /// Read from its file tensor by tensor: the built-in evaluator needs it decoded.
    FileBacked,
    /// Not the built-in evaluator's kind of model: the shape check's own words.
    NotAnMlp(String),
    /// The runner could not start: the error as the file reader or runtime reported it.
    Failed(String),
}

impl fmt::Display for NotRunnable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BuiltIn => write!(f, "the built-in model is evaluated on its own test set"),
            Self::NoRunFeature => write!(f, "built without the `run` feature; weight SQNR only"),
            Self::NoRunner(format) => write!(f, "no runner for {format:?} files; weight SQNR only"),
            Self::TooLarge { params, runs: true } => write!(
                f,
                "{:.2e} float parameters: too large to run here (bitlens runs ONNX graphs and \
                 BERT encoders up to 256 MiB as f32); weight SQNR only",
                *params as f64
            ),
            Self::TooLarge {
                params,
                runs: false,
            } => write!(
                f,
                "{:.2e} float parameters: the built-in evaluator runs only small dense MLPs on \
                 the bundled digits",
                *params as f64
            ),
            Self::MissingFile { dir, file } => write!(
                f,
                "{}: no {file} beside the weights; weight SQNR only",
                dir.display()
            ),
            Self::Architecture(name) => write!(
                f,
                "config.json names {name}: no runner for it (BERT encoders run); weight SQNR only"
            ),
            Self::Sharded(dir) => write!(
                f,
                "{}: a sharded encoder is not run; weight SQNR only",
                dir.display()
            ),
            Self::FileBacked => write!(
                f,
                "read from its file tensor by tensor: the built-in evaluator needs it decoded"
            ),
            Self::NotAnMlp(why) | Self::Failed(why) => f.write_str(why),
        }
    }
}

impl From<String> for NotRunnable {
    fn from(error: String) -> Self {
        Self::Failed(error)
    }
}
