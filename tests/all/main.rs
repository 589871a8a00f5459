//! The one integration-test binary (see Cargo.toml `autotests = false`): one module per area.
mod cli_formats;
mod numfmt_decode;
mod numfmt_encode;
mod numfmt_props;
mod numfmt_vectors;
mod cli_model;
mod eval_builtin;
mod model_bad_input;
mod model_formats;
mod model_support;
mod model_pytorch_onnx;
mod compress_cli;
mod compress_conventions;
mod compress_formats;
mod compress_ggml;
mod compress_props;
mod compress_prune;
mod cli_sweep;
mod engine_expectations;
mod engine_preview;
mod engine_sensitivity;
mod engine_worker;





mod demos_cli;
mod demos_core;

