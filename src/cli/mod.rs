//! Command-line front end. The only place (with `main.rs`) that prints.
//!
//! Each subcommand lives in its own module with an `Args` struct and a `run` function.
//! Errors that come from the user's input (a bad format name, a malformed literal, a corrupt
//! file) are [`UsageError`]s and exit with code 2; anything else exits with code 1.

/// Print one line to standard output. A closed pipe (`bitlens inspect … | head`) ends the
/// process quietly with exit code 0, as `head` expects; every CLI line goes through here.
macro_rules! outln {
    () => { $crate::cli::out_line(format_args!("")) };
    ($($arg:tt)*) => { $crate::cli::out_line(format_args!($($arg)*)) };
}

pub mod bench_cmd;
pub mod demo_cmd;
pub mod eval_cmd;
pub mod formats_cmd;
pub mod inspect_cmd;
pub mod merge_cmd;
pub mod quantize_cmd;
mod quantize_report;
pub mod run_cmd;
pub mod sensitivity_cmd;
pub mod sweep_cmd;
pub mod train_cmd;

use clap::{Parser, Subcommand};

/// bitlens: number formats and neural-network compression, made visible.
///
/// Without a subcommand it opens the desktop app (optionally on a model file).
#[derive(Clone, Debug, Parser)]
#[command(name = "bitlens", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Model file to open in the app at start.
    pub path: Option<std::path::PathBuf>,

    /// Render the app once into a PNG at PATH and exit (works under Xvfb).
    #[arg(long, value_name = "PATH")]
    pub screenshot: Option<std::path::PathBuf>,

    /// Panel to show (with --screenshot, or at start).
    #[arg(long, value_enum, value_name = "NAME")]
    pub panel: Option<PanelArg>,

    /// Colour theme for the app.
    #[arg(long, value_enum, value_name = "THEME")]
    pub theme: Option<ThemeArg>,

    /// UI language for the app.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<LangArg>,
}

/// The app's panels as `--panel` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PanelArg {
    Lessons,
    Formats,
    Model,
    Weights,
    Tradeoff,
}

/// `--theme`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ThemeArg {
    Dark,
    Light,
}

/// `--lang`: English or Korean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    En,
    Ko,
}

#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// List a model file's tensors (format, dtype, shape, parameters, statistics) and totals.
    Inspect(inspect_cmd::InspectArgs),
    /// Accuracy and loss of the built-in (or a compatible) MLP on the MNIST-5k test split.
    Eval(eval_cmd::EvalArgs),
    /// Train the built-in MLP from a seed and write safetensors weights plus a JSON card.
    Train(train_cmd::TrainArgs),
    /// List every number format with its parameters and range.
    Formats(formats_cmd::FormatsArgs),
    /// Decode a bit pattern: value, class, formula, gaps.
    Decode(formats_cmd::DecodeArgs),
    /// Encode a value with one rounding: pattern, stored value, error.
    Encode(formats_cmd::EncodeArgs),
    /// Quantize / prune a model's tensors with one scheme; print error metrics and exact sizes.
    Quantize(quantize_cmd::QuantizeArgs),
    /// Throughput of the compression kernels (M elements/s) beside memcpy.
    Bench(bench_cmd::BenchArgs),
    /// Classroom training demos: PTQ vs QAT, distillation, LoRA, QLoRA, adapters, prompt tuning.
    Demo(demo_cmd::DemoArgs),
    /// Run a sweep of compression configs: size, accuracy (or SQNR) and the Pareto front.
    Sweep(sweep_cmd::SweepArgs),
    /// Per-layer sensitivity to quantization or pruning, and a mixed-precision assignment.
    Sensitivity(sensitivity_cmd::SensitivityArgs),
    /// Run a model (ONNX graph, BERT sentence encoder) on the CPU and summarise its outputs.
    Run(run_cmd::RunArgs),
    /// Join the shard files of `sweep --shard K/N` into the sweep's JSON Lines.
    Merge(merge_cmd::MergeArgs),
}

/// Write one line (see `outln!`); exits 0 on a broken pipe, 1 on any other write error.
pub(crate) fn out_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    let written = written.and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("bitlens: writing to standard output: {e}");
            std::process::exit(1);
        }
    }
}

/// An error caused by the user's input: printed as one line, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A [`UsageError`] saying `msg` (the one helper the subcommands share).
pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// Run a parsed subcommand.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Inspect(args) => inspect_cmd::run(&args),
        Command::Eval(args) => eval_cmd::run(&args),
        Command::Train(args) => train_cmd::run(&args),
        Command::Formats(args) => formats_cmd::run_formats(args),
        Command::Decode(args) => formats_cmd::run_decode(args),
        Command::Encode(args) => formats_cmd::run_encode(args),
        Command::Quantize(args) => quantize_cmd::run(&args),
        Command::Bench(args) => bench_cmd::run(&args),
        Command::Demo(args) => demo_cmd::run(&args),
        Command::Sweep(args) => sweep_cmd::run(&args),
        Command::Sensitivity(args) => sensitivity_cmd::run(&args),
        Command::Merge(args) => merge_cmd::run(&args),
        Command::Run(args) => run_cmd::run(&args),
    }
}
