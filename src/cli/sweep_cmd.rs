//! `bitlens sweep [--model FILE] [--preset lecture|formats] [--bits 8,4,2] [--sparsity 0,0.5,0.9]
//! [--json] [--csv OUT]`: run the engine's sweep job headless and print one line per config.
//!
//! Without `--bits` / `--sparsity` the preset runs (default `lecture`). With them, a grid runs:
//! pruning-only points for every sparsity > 0 and integer configs for every
//! bits × `--scheme` × `--granularity` × sparsity; `--preset` together with a grid runs both.
//! The fp32 baseline is always point 0.
//!
//! # JSON (`--json`): one object per line (JSON Lines), in sweep order
//!
//! ```text
//! {"index": 0, "label": "fp32", "family": "baseline",
//!  "settings": {"label": ..., "scheme": {...compress::Scheme...}, "overrides"?: {...}, "act"?: "int8"},
//!  "size_bytes": 437544, "bits_per_weight": 32.0,    // the baseline: the file as stored
//!  "original_bytes": 437544, "original_bits_per_weight": 32.0,  // the file (bf16: 16.0)
//!  "dtype": "F32",                                   // baseline line only (`BF16+F32` if mixed)
//!  "f32_bytes": 437544,                              // the same tensors in f32
//!  "accuracy": 0.96 | null, "loss": 0.13 | null, "sqnr_db": 41.2 | null (null = exact),
//!  "pareto": true, "notes": [...]}
//! {"index": 7, "label": "...", "error": "why the config does not apply"}   // a failed config
//! ```
//! `accuracy` is null for models that cannot be evaluated; the front then uses SQNR.
//! The CSV file has the columns `index,label,family,size_bytes,bits_per_weight,accuracy,loss,
//! sqnr_db,pareto,settings` (settings = the JSON above).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use super::usage;
use crate::compress::scheme::Granularity;
use crate::engine::sweeps::{Preset, grid};
use crate::engine::{
    ActBits, CancelToken, Config, ConfigPoint, LoadedModel, Objective, ShardSpec, SweepResult,
    run_shard, sweep,
};
use crate::model::Model;
use crate::run::{Fidelity, RunOptions};

#[derive(Clone, Debug, clap::Args)]
pub struct SweepArgs {
    /// Model file (any format `inspect` reads); omitted = the built-in MLP.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Inputs the model runs on for its fidelity: sentences (text encoders), a 16 kHz WAV
    /// (voice activity), `.npz`/`.npy` named after the graph inputs (ONNX); default: the
    /// bundled probe sets (`bitlens run` says which).
    #[arg(long, value_name = "FILE")]
    pub inputs: Option<PathBuf>,
    /// lecture | formats (default: lecture, unless a grid is given).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Grid: integer bits, comma-separated (1–16).
    #[arg(long, value_delimiter = ',', value_name = "B,..")]
    pub bits: Vec<u8>,
    /// Grid: magnitude-pruning sparsities in [0, 1], comma-separated (0 = none).
    #[arg(long, value_delimiter = ',', value_name = "S,..")]
    pub sparsity: Vec<f64>,
    /// Grid: sym and/or asym.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sym",
        value_name = "sym,asym"
    )]
    pub scheme: Vec<String>,
    /// Grid: tensor, channel and/or group:G.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "channel",
        value_name = "G,.."
    )]
    pub granularity: Vec<String>,
    /// Also quantize every layer input per tensor: int8 or fp8 (evaluable models).
    #[arg(long, value_name = "FORMAT")]
    pub act: Option<String>,
    /// Print JSON Lines (one object per config; shape in `src/cli/sweep_cmd.rs`).
    #[arg(long)]
    pub json: bool,
    /// With --json, on a model read from its file: first print each config's estimate from a
    /// sample of the model as soon as it is known (`"estimate": true`, `sqnr_err_db` = ±2σ),
    /// then the measured lines.
    #[arg(long, requires = "json")]
    pub estimate: bool,
    /// Also write the sweep as CSV to OUT.
    #[arg(long, value_name = "OUT")]
    pub csv: Option<PathBuf>,
    /// Measure only slice K of N (0-based) of a large model's tensors and print that shard's
    /// records as JSON Lines; `bitlens merge` joins the N files (format in
    /// `src/cli/merge_cmd.rs`).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}

/// Open `--model` (or the built-in model), decode its tensors once, and prepare it to run on
/// `inputs` (models that run; see [`crate::run`]).
pub(crate) fn load_model(path: &Option<PathBuf>, inputs: &Option<PathBuf>) -> Result<LoadedModel> {
    let model = match path {
        Some(p) => super::inspect_cmd::open_model(p)?,
        None => Model::builtin(),
    };
    let run = RunOptions {
        inputs: inputs.clone(),
    };
    let loaded = LoadedModel::load_with(&Arc::new(model), &run).map_err(usage)?;
    if inputs.is_some() && loaded.runner().is_none() {
        let why = loaded.not_evaluable_reason().map_or_else(
            || "it is evaluated on its own test set".to_owned(),
            ToString::to_string,
        );
        return Err(usage(format!(
            "--inputs: the model does not run here: {why}"
        )));
    }
    Ok(loaded)
}

/// Parse `--act`.
pub(crate) fn parse_act(act: Option<&str>) -> Result<Option<ActBits>> {
    match act {
        None | Some("none" | "float") => Ok(None),
        Some("int8") => Ok(Some(ActBits::Int8)),
        Some("fp8" | "fp8-e4m3" | "e4m3") => Ok(Some(ActBits::Fp8E4m3)),
        Some(other) => Err(usage(format!("--act: expected int8 or fp8, got {other:?}"))),
    }
}

fn parse_granularity(s: &str) -> Result<Granularity> {
    let bad = || {
        usage(format!(
            "--granularity: expected tensor, channel or group:G, got {s:?}"
        ))
    };
    match s {
        "tensor" => Ok(Granularity::Tensor),
        "channel" | "ch" => Ok(Granularity::Channel { axis: 0 }),
        _ => match s.strip_prefix("group:").map(str::parse::<usize>) {
            Some(Ok(size)) if size > 0 => Ok(Granularity::Group { size }),
            _ => Err(bad()),
        },
    }
}

/// The configs the arguments ask for.
pub fn configs_from_args(a: &SweepArgs) -> Result<Vec<Config>> {
    for &b in &a.bits {
        if !(1..=16).contains(&b) {
            return Err(usage(format!("--bits: {b} is not in 1…16")));
        }
    }
    for &s in &a.sparsity {
        if !(0.0..=1.0).contains(&s) {
            return Err(usage(format!("--sparsity: {s} is not in [0, 1]")));
        }
    }
    let symmetric = a
        .scheme
        .iter()
        .map(|s| match s.as_str() {
            "sym" | "symmetric" => Ok(true),
            "asym" | "asymmetric" => Ok(false),
            _ => Err(usage(format!("--scheme: expected sym or asym, got {s:?}"))),
        })
        .collect::<Result<Vec<bool>>>()?;
    let granularities = a
        .granularity
        .iter()
        .map(|g| parse_granularity(g))
        .collect::<Result<Vec<_>>>()?;
    let preset =
        match a.preset.as_deref() {
            Some(p) => Some(Preset::parse(p).ok_or_else(|| {
                usage(format!("--preset: expected lecture or formats, got {p:?}"))
            })?),
            None => None,
        };
    let has_grid = !a.bits.is_empty() || !a.sparsity.is_empty();
    let mut configs = Vec::new();
    match (preset, has_grid) {
        (Some(p), _) => configs.extend(p.configs()),
        (None, false) => configs.extend(Preset::Lecture.configs()),
        (None, true) => {}
    }
    if has_grid {
        configs.extend(grid(&a.bits, &a.sparsity, &symmetric, &granularities));
    }
    let act = parse_act(a.act.as_deref())?;
    if let Some(act) = act {
        for c in &mut configs {
            c.act = Some(act);
            c.label = format!("{} · act {}", c.label, act.name());
        }
    }
    Ok(configs)
}

#[derive(Serialize)]
struct PointOut<'a> {
    index: usize,
    label: &'a str,
    family: &'static str,
    settings: &'a Config,
    size_bytes: u64,
    bits_per_weight: f64,
    original_bytes: u64,
    original_bits_per_weight: f64,
    /// The file's element types (baseline line only): `BF16`, `F32`, `BF16+F32`.
    #[serde(skip_serializing_if = "Option::is_none")]
    dtype: Option<&'a str>,
    f32_bytes: u64,
    accuracy: Option<f64>,
    loss: Option<f64>,
    /// Model-level fidelity (null when the model does not run; the reason is in `notes`).
    fidelity: Option<&'a Fidelity>,
    sqnr_db: Option<f64>,
    pareto: bool,
    notes: Vec<String>,
    /// A sampled first answer (only with `--estimate`); the measured line follows.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    estimate: bool,
    /// Half-width of the ~95 % interval of `sqnr_db` (estimates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    sqnr_err_db: Option<f64>,
}

#[derive(Serialize)]
struct FailedOut<'a> {
    index: usize,
    label: &'a str,
    error: &'a str,
}

fn point_out<'a>(
    index: usize,
    p: &'a ConfigPoint,
    pareto: bool,
    why: Option<&str>,
) -> PointOut<'a> {
    let mut notes: Vec<String> = p.notes.iter().map(ToString::to_string).collect();
    if let (None, None, Some(why)) = (&p.fidelity, p.accuracy, why) {
        notes.push(format!("fidelity: not measured: {why}"));
    }
    PointOut {
        index,
        label: &p.label,
        family: p.family.name(),
        settings: &p.config,
        size_bytes: p.size_bytes,
        bits_per_weight: p.bits_per_weight,
        original_bytes: p.original_bytes,
        original_bits_per_weight: p.original_bits_per_weight,
        dtype: (index == 0).then_some(p.original_dtype.as_str()),
        f32_bytes: p.f32_bytes,
        accuracy: p.accuracy,
        loss: p.loss,
        fidelity: p.fidelity.as_ref(),
        sqnr_db: p.sqnr_db.is_finite().then_some(p.sqnr_db),
        pareto,
        notes,
        estimate: p.estimate.is_some(),
        sqnr_err_db: p.estimate.map(|e| e.sqnr_err_db),
    }
}

pub fn run(a: &SweepArgs) -> Result<()> {
    let configs = configs_from_args(a)?;
    if let Some(spec) = &a.shard {
        let spec = ShardSpec::parse(spec).map_err(usage)?;
        let model = load_model(&a.model, &a.inputs)?;
        if model.is_evaluable() {
            return Err(usage(format!(
                "{}: --shard splits weight-error sweeps; this model's accuracy needs every \
                 tensor at once, so sweep it whole (it takes seconds)",
                model.label
            )));
        }
        let part = run_shard(&model, &configs, spec, &CancelToken::default())
            .map_err(usage)?
            .ok_or_else(|| usage("cancelled"))?;
        for line in super::merge_cmd::shard_lines(part)? {
            outln!("{line}");
        }
        return Ok(());
    }
    let t_load = Instant::now();
    let model = Arc::new(load_model(&a.model, &a.inputs)?);
    let load_ms = t_load.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    let mut first_ms = None;
    let why = model.not_evaluable_reason().map(ToString::to_string);
    let mut failed_line = None;
    let result = sweep(Arc::clone(&model), configs, &mut |index, p| {
        first_ms.get_or_insert_with(|| start.elapsed().as_secs_f64() * 1e3);
        if a.estimate && p.estimate.is_some() {
            match serde_json::to_string(&point_out(index, p, false, why.as_deref())) {
                Ok(line) => outln!("{line}"),
                Err(e) => failed_line = Some(e),
            }
        }
    })
    .map_err(usage)?;
    if let Some(e) = failed_line {
        return Err(e.into());
    }
    let total_ms = start.elapsed().as_secs_f64() * 1e3;
    if a.json {
        for line in json_lines(&result, why.as_deref())? {
            outln!("{line}");
        }
    } else {
        print_table(&model, &result);
        let n = result.points.len();
        outln!(
            "{} configs + fp32 baseline in {total_ms:.1} ms (first point after {:.1} ms; tensors decoded in {load_ms:.1} ms)",
            n - 1,
            first_ms.unwrap_or(f64::NAN)
        );
    }
    if let Some(path) = &a.csv {
        let csv = to_csv(&result)?;
        std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The sweep as JSON Lines (one string per config, in sweep order).
/// `why`: the reason the model neither runs nor is evaluated (noted on each line).
pub fn json_lines(r: &SweepResult, why: Option<&str>) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(r.points.len());
    for (index, p) in r.points.iter().enumerate() {
        let line = if let Some(p) = p {
            serde_json::to_string(&point_out(index, p, r.on_front(index), why))?
        } else {
            let (label, error) = r
                .failed
                .iter()
                .find(|f| f.0 == index)
                .map_or(("", "not measured"), |f| (f.1.as_str(), f.2.as_str()));
            serde_json::to_string(&FailedOut {
                index,
                label,
                error,
            })?
        };
        out.push(line);
    }
    Ok(out)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn opt(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or(String::new(), |v| format!("{v}"))
}

/// The sweep as CSV (failed configs have empty measurement columns).
pub fn to_csv(r: &SweepResult) -> Result<String> {
    let mut out = String::from(
        "index,label,family,size_bytes,bits_per_weight,accuracy,loss,sqnr_db,pareto,settings\n",
    );
    for (index, p) in r.points.iter().enumerate() {
        let Some(p) = p else {
            let label = r
                .failed
                .iter()
                .find(|f| f.0 == index)
                .map_or("", |f| f.1.as_str());
            out.push_str(&format!("{index},{},,,,,,,,\n", csv_field(label)));
            continue;
        };
        out.push_str(&format!(
            "{index},{},{},{},{},{},{},{},{},{}\n",
            csv_field(&p.label),
            p.family.name(),
            p.size_bytes,
            p.bits_per_weight,
            opt(p.accuracy),
            opt(p.loss),
            opt(Some(p.sqnr_db)),
            r.on_front(index),
            csv_field(&serde_json::to_string(&p.config)?)
        ));
    }
    Ok(out)
}

fn print_table(model: &LoadedModel, r: &SweepResult) {
    let fidelity = matches!(r.objective, Objective::Fidelity(_));
    outln!(
        "{} — {} tensors, {} parameters; y = {}",
        model.label,
        model.tensors.len(),
        model.n_params(),
        y_axis(model, r.objective)
    );
    outln!(
        "{:>3} {:<34} {:<14} {:>10} {:>7} {:>9} {:>8} {:>9} {:>6}",
        "#",
        "config",
        "family",
        "bytes",
        "bpw",
        if fidelity { "fidelity" } else { "acc %" },
        if fidelity { "Δ" } else { "Δ pts" },
        "SQNR dB",
        "front"
    );
    // The y of a point: accuracy in percent, or fidelity in [0, 1].
    let y = |p: &ConfigPoint| match r.objective {
        Objective::Fidelity(_) => p.fidelity.as_ref().map(|f| f.value),
        _ => p.accuracy.map(|a| 100.0 * a),
    };
    let base_acc = r.points.first().and_then(|p| p.as_deref()).and_then(y);
    for (i, p) in r.points.iter().enumerate() {
        let Some(p) = p else {
            let f = r.failed.iter().find(|f| f.0 == i);
            outln!(
                "{i:>3} {:<34} failed: {}",
                f.map_or("", |f| f.1.as_str()),
                f.map_or("", |f| f.2.as_str())
            );
            continue;
        };
        let digits = if fidelity { 4 } else { 2 };
        let acc = y(p).map_or("—".into(), |a| format!("{a:.digits$}"));
        let delta = base_acc
            .zip(y(p))
            .map_or("—".into(), |(b, a)| format!("{:+.digits$}", a - b));
        let sqnr = if p.sqnr_db.is_finite() {
            format!("{:.2}", p.sqnr_db)
        } else {
            "exact".into()
        };
        outln!(
            "{i:>3} {:<34} {:<14} {:>10} {:>7.3} {:>9} {:>8} {:>9} {:>6}",
            p.label,
            p.family.name(),
            p.size_bytes,
            p.bits_per_weight,
            acc,
            delta,
            sqnr,
            if r.on_front(i) { "*" } else { "" }
        );
    }
}

/// What the table's y column measures (and on what).
fn y_axis(model: &LoadedModel, objective: Objective) -> String {
    match objective {
        Objective::Accuracy => format!("accuracy on {} test images", model.test_len()),
        Objective::Fidelity(m) => match model.runner() {
            Some(r) => format!(
                "model-level {} on {} ({} inputs{})",
                m.name(),
                r.summary().inputs.source,
                r.summary().inputs.count,
                if r.summary().inputs.synthetic {
                    ", synthetic inputs"
                } else {
                    ""
                }
            ),
            None => format!("model-level {}", m.name()),
        },
        Objective::SqnrDb => format!(
            "SQNR (not evaluable: {})",
            model
                .not_evaluable_reason()
                .map_or_else(|| "no accuracy".to_owned(), ToString::to_string)
        ),
    }
}
