//! Evaluation of classifier MLPs on the bundled datasets, activation-range recording and
//! activation quantization, and training of the built-in model.
//!
//! Layer L1: no printing; only [`dataset`] reads files (the embedded dataset asset).

pub mod actquant;
pub mod dataset;
pub mod mlp;
pub mod report;
pub mod rng;
pub mod train;

pub use actquant::{ActFormat, ActQuant, ActRange, ActRanges, record_activation_ranges};
pub use dataset::Dataset;
pub use mlp::{Dense, Mlp};
pub use report::{EvalReport, evaluate, evaluate_with};
pub use train::{TrainConfig, TrainReport, train};

/// Why a set of tensors cannot be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The tensors do not form a chain of dense layers.
    #[error("not an evaluable MLP: {0}")]
    NotAnMlp(String),
    /// The layers chain but match no bundled dataset.
    #[error(
        "the MLP takes {inputs} inputs and gives {outputs} outputs; no bundled dataset matches (MNIST-5k: 784 → 10)"
    )]
    NoMatchingDataset { inputs: usize, outputs: usize },
    /// The dataset asset could not be decoded.
    #[error("dataset: {0}")]
    Dataset(String),
}
