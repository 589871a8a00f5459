//! `bitlens sensitivity [--model FILE] --bits B [--sparsity S] [--budget-bytes N | --budget-bpw X]
//! [--json]`: compress one layer at a time (B-bit symmetric per-channel integers, after
//! magnitude pruning to S if given; or pruning alone with only `--sparsity`), measure the
//! accuracy drop per layer, then (with `--bits`) pick a mixed-precision assignment from int
//! 8/6/5/4/3/2 per-channel under a size budget (default: the size of the uniform B-bit model)
//! and measure it next to the uniform B-bit model.
//!
//! # JSON (`--json`)
//!
//! ```text
//! {"model": "<built-in>", "probe": "int4 sym/ch", "objective": "accuracy" | "sqnr_db",
//!  "baseline": {"accuracy": 0.96 | null, "loss": 0.13 | null},
//!  "layers": [{"index", "tensor", "n", "accuracy", "accuracy_drop", "loss_delta", "sqnr_db",
//!              "error_share", "tensor_bytes", "f32_bytes"}, ...],
//!  "uniform": {"label", "size_bytes", "bits_per_weight", "accuracy", "sqnr_db"} | null,
//!  "mixed": {"budget_bytes", "feasible", "search", "cost", "label",
//!            "choices": [{"tensor", "candidate", "label", "tensor_bytes", "cost"}],
//!            "size_bytes", "bits_per_weight", "accuracy", "sqnr_db",
//!            "settings": {...engine Config, applicable as is...}} | null}
//! ```
//! Accuracy drops are fractions (0.012 = 1.2 points); SQNR of an exact result is null.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use serde::Serialize;

use super::sweep_cmd::load_model;
use super::usage;
use crate::compress::scheme::Granularity;
use crate::engine::sweeps::{int_config, prune_config};
use crate::engine::{
    Budget, CancelToken, Candidate, Config, ConfigPoint, EventKind, LayerSensitivity,
    MixedPrecision, Output, Request, SensitivitySpec, evaluate_config, run_job,
};

#[derive(Clone, Debug, clap::Args)]
pub struct SensitivityArgs {
    /// Model file (any format `inspect` reads); omitted = the built-in MLP.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Inputs the model runs on (see `bitlens sweep --inputs`); layers are then ranked by
    /// fidelity drop.
    #[arg(long, value_name = "FILE")]
    pub inputs: Option<PathBuf>,
    /// Integer bits (1–16) each layer is quantized to, alone.
    #[arg(long, value_name = "B")]
    pub bits: Option<u8>,
    /// Magnitude-pruning sparsity in [0, 1] applied to each layer, alone (with or without --bits).
    #[arg(long, value_name = "S")]
    pub sparsity: Option<f64>,
    /// Mixed-precision budget in bytes (whole model).
    #[arg(long, value_name = "N", conflicts_with = "budget_bpw")]
    pub budget_bytes: Option<u64>,
    /// Mixed-precision budget in bits per weight (whole model).
    #[arg(long, value_name = "X")]
    pub budget_bpw: Option<f64>,
    /// Skip the mixed-precision assignment.
    #[arg(long)]
    pub no_mixed: bool,
    /// Print JSON (shape in `src/cli/sensitivity_cmd.rs`).
    #[arg(long)]
    pub json: bool,
}

/// The probe config and the spec the arguments ask for.
fn spec_from_args(a: &SensitivityArgs) -> Result<(Config, SensitivitySpec)> {
    if let Some(b) = a.bits
        && !(1..=16).contains(&b)
    {
        return Err(usage(format!("--bits: {b} is not in 1…16")));
    }
    if let Some(s) = a.sparsity
        && !(0.0..=1.0).contains(&s)
    {
        return Err(usage(format!("--sparsity: {s} is not in [0, 1]")));
    }
    if let Some(x) = a.budget_bpw
        && !(x > 0.0 && x.is_finite())
    {
        return Err(usage(format!("--budget-bpw: {x} is not a positive number")));
    }
    let sparsity = a.sparsity.unwrap_or(0.0);
    let probe = match a.bits {
        Some(b) => int_config(b, true, Granularity::Channel { axis: 0 }, sparsity),
        None if a.sparsity.is_some() => prune_config(sparsity),
        None => {
            return Err(usage(
                "give --bits B (quantize) and/or --sparsity S (prune)",
            ));
        }
    };
    let budget = match (a.budget_bytes, a.budget_bpw) {
        _ if a.no_mixed || a.bits.is_none() => None,
        (Some(b), _) => Some(Budget::Bytes(b)),
        (None, Some(x)) => Some(Budget::BitsPerWeight(x)),
        (None, None) => Some(Budget::SameAsProbe),
    };
    let mut spec = SensitivitySpec::int_bits(a.bits.unwrap_or(8), budget);
    spec.probe = Candidate {
        label: probe.label.clone(),
        scheme: probe.scheme.clone(),
    };
    if budget.is_none() {
        spec.candidates.clear();
    }
    Ok((probe, spec))
}

#[derive(Serialize)]
struct Baseline {
    accuracy: Option<f64>,
    loss: Option<f64>,
}

#[derive(Serialize)]
struct Summary<'a> {
    label: &'a str,
    size_bytes: u64,
    bits_per_weight: f64,
    accuracy: Option<f64>,
    sqnr_db: Option<f64>,
}

impl<'a> From<&'a ConfigPoint> for Summary<'a> {
    fn from(p: &'a ConfigPoint) -> Self {
        Self {
            label: &p.label,
            size_bytes: p.size_bytes,
            bits_per_weight: p.bits_per_weight,
            accuracy: p.accuracy,
            sqnr_db: p.sqnr_db.is_finite().then_some(p.sqnr_db),
        }
    }
}

#[derive(Serialize)]
struct MixedOut<'a> {
    budget_bytes: u64,
    feasible: bool,
    search: &'a str,
    cost: &'a str,
    label: &'a str,
    choices: &'a [crate::engine::LayerChoice],
    size_bytes: u64,
    bits_per_weight: f64,
    accuracy: Option<f64>,
    sqnr_db: Option<f64>,
    settings: &'a Config,
}

#[derive(Serialize)]
struct Report<'a> {
    model: &'a str,
    probe: &'a str,
    objective: &'static str,
    baseline: Baseline,
    layers: &'a [LayerSensitivity],
    uniform: Option<Summary<'a>>,
    mixed: Option<MixedOut<'a>>,
}

pub fn run(a: &SensitivityArgs) -> Result<()> {
    let (probe, spec) = spec_from_args(a)?;
    let model = Arc::new(load_model(&a.model, &a.inputs)?);
    let with_mixed = spec.budget.is_some();
    let request = Request::Sensitivity {
        model: Arc::clone(&model),
        spec,
    };
    let mut layers: Vec<LayerSensitivity> = Vec::new();
    let mut mixed: Option<Arc<MixedPrecision>> = None;
    run_job(
        &request,
        &CancelToken::default(),
        &mut |event| match event {
            EventKind::Output(Output::Layer(l)) => layers.push((*l).clone()),
            EventKind::Output(Output::Mixed(m)) => mixed = Some(m),
            _ => {}
        },
    )
    .map_err(usage)?;
    let uniform = if with_mixed {
        Some(evaluate_config(&model, &probe).map_err(usage)?)
    } else {
        None
    };
    let base = model.baseline_report();
    let fidelity_metric = match model.runner() {
        Some(_) => model
            .fidelity(&[], &CancelToken::default())
            .map_err(usage)?
            .map(|f| f.metric),
        None => None,
    };
    if fidelity_metric.is_some() {
        layers.sort_by(|a, b| {
            b.fidelity_drop
                .unwrap_or(0.0)
                .total_cmp(&a.fidelity_drop.unwrap_or(0.0))
                .then(a.index.cmp(&b.index))
        });
    }
    let report = Report {
        model: &model.label,
        probe: &probe.label,
        objective: match (base, &fidelity_metric) {
            (Some(_), _) => "accuracy",
            (None, Some(m)) => m.name(),
            (None, None) => "sqnr_db",
        },
        baseline: Baseline {
            accuracy: base.map(|r| r.accuracy),
            loss: base.map(|r| r.loss),
        },
        layers: &layers,
        uniform: uniform.as_ref().map(Summary::from),
        mixed: mixed.as_deref().map(|m| MixedOut {
            budget_bytes: m.budget_bytes,
            feasible: m.feasible,
            search: &m.search,
            cost: &m.cost,
            label: &m.point.label,
            choices: &m.choices,
            size_bytes: m.point.size_bytes,
            bits_per_weight: m.point.bits_per_weight,
            accuracy: m.point.accuracy,
            sqnr_db: m.point.sqnr_db.is_finite().then_some(m.point.sqnr_db),
            settings: &m.point.config,
        }),
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.2}", 100.0 * v))
}

fn db(v: Option<f64>) -> String {
    v.map_or("exact".into(), |v| format!("{v:.2}"))
}

fn print_report(r: &Report<'_>) {
    outln!("{} — each layer alone under {}", r.model, r.probe);
    if r.baseline.accuracy.is_none() && r.objective != "sqnr_db" {
        fidelity_table(r);
    } else {
        accuracy_table(r);
    }
    if let Some(u) = &r.uniform {
        outln!(
            "uniform  {:<40} {:>8} bytes {:>7.3} bpw  acc {} %  SQNR {} dB",
            u.label,
            u.size_bytes,
            u.bits_per_weight,
            pct(u.accuracy),
            db(u.sqnr_db)
        );
    }
    if let Some(m) = &r.mixed {
        let choices: Vec<String> = m
            .choices
            .iter()
            .map(|c| format!("{} → {}", c.tensor, c.label))
            .collect();
        outln!(
            "mixed    budget {} bytes ({} search on measured {}{}): {}",
            m.budget_bytes,
            m.search,
            m.cost,
            if m.feasible { "" } else { ", NOT reachable" },
            choices.join(", ")
        );
        outln!(
            "         {:<40} {:>8} bytes {:>7.3} bpw  acc {} %  SQNR {} dB",
            "",
            m.size_bytes,
            m.bits_per_weight,
            pct(m.accuracy),
            db(m.sqnr_db)
        );
    }
}

fn accuracy_table(r: &Report<'_>) {
    if let Some(acc) = r.baseline.accuracy {
        outln!("fp32 accuracy: {:.2} %", 100.0 * acc);
    } else {
        outln!("not evaluable: sensitivity is the layer's SQNR and share of the error energy");
    }
    outln!(
        "{:<28} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8} {:>10}",
        "layer",
        "n",
        "acc %",
        "drop pts",
        "Δ loss",
        "SQNR dB",
        "err %",
        "bytes"
    );
    for l in r.layers {
        outln!(
            "{:<28} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8.2} {:>10}",
            l.tensor,
            l.n,
            pct(l.accuracy),
            pct(l.accuracy_drop),
            l.loss_delta.map_or("—".into(), |d| format!("{d:+.4}")),
            db(l.sqnr_db.is_finite().then_some(l.sqnr_db)),
            100.0 * l.error_share,
            l.tensor_bytes
        );
    }
}

/// Layers of a model that runs, ranked by fidelity drop.
fn fidelity_table(r: &Report<'_>) {
    outln!(
        "layers ranked by the drop of model-level {} (fp32 = 1)",
        r.objective
    );
    outln!(
        "{:<44} {:>9} {:>10} {:>10} {:>9} {:>10}",
        "layer",
        "n",
        "fidelity",
        "drop",
        "SQNR dB",
        "bytes"
    );
    for l in r.layers {
        outln!(
            "{:<44} {:>9} {:>10} {:>10} {:>9} {:>10}",
            l.tensor,
            l.n,
            l.fidelity.map_or("—".into(), |f| format!("{f:.5}")),
            l.fidelity_drop.map_or("—".into(), |d| format!("{d:+.5}")),
            db(l.sqnr_db.is_finite().then_some(l.sqnr_db)),
            l.tensor_bytes
        );
    }
}
