//! Compression core (layer L1): quantizers, pruners, exact metrics, sizes and histograms.
//!
//! No egui, no model files, no printing; data-parallel kernels use rayon. The one read is
//! [`bench`]'s resident-set figure from `/proc/self/status`.
//!
//! Entry points: a [`Scheme`] (serde) describes one full setting, its target one of
//! [`catalog`]'s entries; [`apply`] runs it on a
//! [`Tensor`](crate::tensor::Tensor) and returns a [`Compressed`] (dequantized tensor, codes with
//! scales / zero points, the grid, the pruning mask, [`Metrics`] and an exact [`SizeReport`]);
//! whole models go through the engine (`engine::compress_each`, global pruning pools tensors).
//!
//! One concept per module: [`int_quant`] (affine integers), [`range`] (calibration),
//! [`granularity`] (scale groups + the parallel driver), [`float_quant`], [`nf4`],
//! [`mx_nvfp4`], [`ggml_blocks`] (GGUF codecs), [`prune`], [`metrics`], [`histogram`], [`size`],
//! [`note`] (what a compressor did instead of what was asked).

pub mod apply;
mod apply_targets;
#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod bench;
pub mod catalog;
pub mod float_quant;
pub mod ggml_blocks;
mod ggml_kquants;
pub mod granularity;
pub mod histogram;
pub mod int_quant;
pub mod metrics;
pub mod mx_nvfp4;
pub mod nf4;
pub mod note;
pub mod prune;
pub mod range;
pub mod rng;
pub mod scheme;
pub mod size;
pub mod unit_plan;

pub use apply::{ApplyOptions, Compressed, QuantData, Scratch, apply, apply_reusing, apply_stored};
pub use metrics::Metrics;
pub use note::{Note, TensorNote};
pub use scheme::Scheme;
pub use size::SizeReport;
