//! The one integration-test binary (see Cargo.toml `autotests = false`): one module per area.

mod cli_formats;
mod cli_model;
mod cli_support;
mod cli_sweep;
mod compress_cli;
mod compress_conventions;
mod compress_formats;
mod compress_ggml;
mod compress_props;
mod compress_prune;
mod compress_simd;
mod demos_cli;
mod demos_core;
mod engine_expectations;
mod engine_out_of_core;
mod engine_preview;
mod engine_sensitivity;
mod engine_worker;
mod eval_builtin;
mod export_files;
mod layers;
mod model_bad_input;
mod model_formats;
mod model_pytorch_onnx;
mod model_sharded;
mod model_support;
mod numfmt_decode;
mod numfmt_encode;
mod numfmt_props;
mod numfmt_vectors;
#[cfg(feature = "run")]
mod run_models;
#[cfg(feature = "gui")]
mod ui_formats;
#[cfg(feature = "gui")]
mod ui_korean;
#[cfg(feature = "gui")]
mod ui_lessons;
#[cfg(feature = "gui")]
mod ui_model;
#[cfg(all(feature = "run", feature = "gui"))]
mod ui_run_models;
#[cfg(feature = "gui")]
mod ui_screenshots;
#[cfg(feature = "gui")]
mod ui_shell;
#[cfg(feature = "gui")]
mod ui_support;
#[cfg(feature = "gui")]
mod ui_tradeoff;
#[cfg(feature = "gui")]
mod ui_weights;
