//! The one integration-test binary (see Cargo.toml `autotests = false`): one module per area.

#[cfg(feature = "gui")]
mod ui_formats;
#[cfg(feature = "gui")]
mod ui_lessons;
#[cfg(feature = "gui")]
mod ui_model;
#[cfg(feature = "gui")]
mod ui_tradeoff;
#[cfg(feature = "gui")]
mod ui_weights;
#[cfg(feature = "gui")]
mod ui_screenshots;
#[cfg(feature = "gui")]
mod ui_support;
mod cli_model;
mod cli_sweep;
mod compress_cli;
mod compress_conventions;
mod compress_formats;
mod compress_ggml;
mod compress_props;
mod compress_prune;
mod engine_expectations;
mod engine_preview;
mod engine_sensitivity;
mod engine_worker;
mod eval_builtin;
mod model_bad_input;
mod model_formats;
mod model_support;
mod cli_formats;
mod numfmt_decode;
mod numfmt_encode;
mod numfmt_props;
mod numfmt_vectors;
mod model_pytorch_onnx;
mod demos_cli;
mod demos_core;
