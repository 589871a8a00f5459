//! bitlens: number formats and neural-network compression, made visible.
//!
//! Layers (a lower layer never imports a higher one):
//! - L0 [`numfmt`] number formats, [`tensor`] plain tensors with summary statistics, [`simd`]
//!   CPU feature checks, [`assets`] the data the app ships;
//! - L1 [`compress`] quantizers, pruners, metrics; [`model`] file loaders; [`eval`] evaluation
//!   and training of the built-in model; [`run`] third-party models run on the CPU (tract, candle)
//!   for model-level fidelity; [`demos`] the classroom training demos;
//! - L2 [`engine`] background jobs with progress, streaming and cancellation;
//! - L3 [`cli`] (prints) and `ui` (egui, behind the `gui` feature).
//!
//! `tests/all/layers.rs` checks the rule on the source; `clippy.toml` keeps threads in the
//! engine and colours in `ui/theme.rs`.

pub mod assets;
pub mod cli;
pub mod compress;
pub mod demos;
pub mod engine;
pub mod eval;
pub mod model;
pub mod numfmt;
pub mod run;
pub mod simd;
pub mod tensor;
#[cfg(feature = "gui")]
pub mod ui;
