//! `bitlens demo qat|distill|lora|qlora|adapter|prompt [--json] [--seed N] [--epochs E]`: run
//! one of the classroom training demos headless (the same code the app runs in the engine) and
//! print its table, or its report as JSON (`--json`; the shape is the serde form of the
//! report structs in `bitlens::demos`). Progress lines go to stderr unless `--json` or
//! `--quiet`.

use anyhow::Result;
use serde::Serialize;

use crate::demos::{self, Curve, DemoConfig, DemoReport, EpochPoint};
use crate::engine::DemoKind;

/// A demo by its CLI name.
fn parse_kind(name: &str) -> Result<DemoKind, String> {
    DemoKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = DemoKind::ALL.iter().map(|k| k.name()).collect();
            format!("{name:?} is not a demo (one of {})", names.join(", "))
        })
}

/// The command line's settings over the demo's defaults (options of other demos are ignored).
fn configure(args: &DemoArgs) -> DemoConfig {
    let mut config = args.demo.config(Some(args.seed));
    if let Some(e) = args.epochs {
        config.set_epochs(e);
    }
    match &mut config {
        DemoConfig::Qat(_) | DemoConfig::Adapter(_) | DemoConfig::Prompt(_) => {}
        DemoConfig::Distill(c) => {
            if let Some(t) = args.temperature {
                c.temperature = t;
            }
            if let Some(a) = args.kd_alpha {
                c.alpha = a;
            }
        }
        DemoConfig::Lora(c) => {
            if let Some(r) = args.rank {
                c.rank = r;
            }
            if let Some(a) = args.lora_alpha {
                c.alpha = a;
            }
            if let Some(t) = &args.targets {
                c.targets = t.split(',').map(|s| s.trim().to_owned()).collect();
            }
        }
    }
    config
}

#[derive(Clone, Debug, clap::Args)]
pub struct DemoArgs {
    /// The demo to run: qat (PTQ vs QAT at 2, 3, 4 bits) | distill (labels vs teacher vs
    /// teacher assistant) | lora | qlora (LoRA on an NF4 base) | adapter | prompt.
    #[arg(value_parser = parse_kind)]
    pub demo: DemoKind,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Seed of initialisations and shuffles.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Epochs of every training run (default: the demo's own).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Distillation: temperature T of the soft targets (default 4).
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Distillation: weight α of the soft-target term (default 0.9).
    #[arg(long)]
    pub kd_alpha: Option<f32>,
    /// LoRA/QLoRA: rank r (default 4).
    #[arg(long)]
    pub rank: Option<usize>,
    /// LoRA/QLoRA: scaling α, ΔW = (α/r)·B·A (default 8).
    #[arg(long)]
    pub lora_alpha: Option<f32>,
    /// LoRA/QLoRA: comma-separated target layers (default fc1,fc2,fc3).
    #[arg(long)]
    pub targets: Option<String>,
    /// No per-epoch progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &DemoArgs) -> Result<()> {
    let quiet = args.json || args.quiet;
    let mut progress = |series: &demos::Label, p: &EpochPoint| {
        if !quiet {
            eprintln!(
                "{series:<28} epoch {:>3}: loss {:.4}, test accuracy {:.1} %",
                p.epoch,
                p.train_loss,
                p.test_accuracy * 100.0
            );
        }
    };
    let never = || false;
    let start = std::time::Instant::now();
    let report = demos::run(&configure(args), &never, &mut progress)?;
    if args.json {
        return print_json(&report);
    }
    match &report {
        DemoReport::Qat(r) => print_qat(r),
        DemoReport::Distill(r) => print_distill(r),
        DemoReport::Lora(r) => print_lora(r),
        DemoReport::Adapter(r) => {
            print_task(&r.task);
            print_rows(&r.rows);
        }
        DemoReport::Prompt(r) => {
            print_task(&r.task);
            print_rows(&r.rows);
        }
    }
    print_curves(report.curves());
    print_notes(report.notes());
    if !quiet {
        eprintln!("done in {:.1} s", start.elapsed().as_secs_f64());
    }
    Ok(())
}

fn print_qat(r: &demos::QatReport) {
    outln!("PTQ vs QAT — {}", r.scheme);
    outln!(
        "fp32: {} parameters, test accuracy {}, weights {} B",
        r.params,
        pct(r.fp32_accuracy),
        r.fp32_weight_bytes
    );
    outln!(
        "{:>5} {:>7} {:>9} {:>9} {:>13}",
        "bits",
        "levels",
        "PTQ",
        "QAT",
        "weight bytes"
    );
    for row in &r.rows {
        outln!(
            "{:>5} {:>7} {:>9} {:>9} {:>13}",
            row.bits,
            row.levels,
            pct(row.ptq_accuracy),
            pct(row.qat_accuracy),
            row.weight_bytes
        );
    }
}

fn print_distill(r: &demos::DistillReport) {
    outln!(
        "Knowledge distillation — T = {}, α = {}, {} epochs per model",
        r.config.temperature,
        r.config.alpha,
        r.config.schedule.epochs
    );
    outln!(
        "{:<34} {:<14} {:>8} {:>10} {:>9} {:>8}",
        "model",
        "architecture",
        "params",
        "taught by",
        "accuracy",
        "loss"
    );
    for row in &r.rows {
        outln!(
            "{:<34} {:<14} {:>8} {:>10} {:>9} {:>8.4}",
            row.model,
            row.architecture,
            row.params,
            row.taught_by,
            pct(row.test_accuracy),
            row.test_loss
        );
    }
}

fn print_lora(r: &demos::LoraReport) {
    print_task(&r.task);
    print_rows(&r.rows);
    let m = &r.memory;
    outln!(
        "trainable: {} LoRA parameters = {:.2} % of {} (full fine-tuning); Adam state {} B vs {} B",
        m.lora_params,
        m.lora_fraction * 100.0,
        m.full_finetune_params,
        m.lora_optimizer_bytes,
        m.full_finetune_optimizer_bytes
    );
    outln!(
        "frozen base weights ({} parameters, + {} fp32 biases): fp32 {} B, stored as {} {} B ({:.2}× smaller)",
        m.base_weight_params,
        m.base_bias_params,
        m.base_weight_bytes_fp32,
        m.base_format,
        m.base_weight_bytes_stored,
        m.base_saving_ratio
    );
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

fn print_task(t: &demos::TaskInfo) {
    outln!(
        "task: {} ({} train / {} test images); built-in model: {:.1} % on the original test set, {:.1} % on the shifted one",
        t.description,
        t.train_images,
        t.test_images,
        t.base_accuracy_original * 100.0,
        t.base_accuracy_shifted * 100.0
    );
}

fn print_rows(rows: &[demos::AdaptRow]) {
    outln!(
        "{:<44} {:>10} {:>8} {:>12} {:>8} {:>8}",
        "method",
        "trainable",
        "share",
        "Adam bytes",
        "before",
        "after"
    );
    for r in rows {
        outln!(
            "{:<44} {:>10} {:>8} {:>12} {:>8} {:>8}",
            r.method,
            r.trainable_params,
            format!("{:.2} %", r.trainable_fraction * 100.0),
            r.optimizer_bytes,
            pct(r.accuracy_before),
            pct(r.accuracy_after)
        );
    }
}

fn print_json<T: Serialize>(r: &T) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(r)?);
    Ok(())
}

fn print_curves(curves: &[Curve]) {
    outln!("curves (test accuracy per epoch):");
    for c in curves {
        let pts: Vec<String> = c
            .points
            .iter()
            .map(|p| format!("{:.1}", p.test_accuracy * 100.0))
            .collect();
        outln!("  {:<28} {}", c.series, pts.join(" "));
    }
}

fn print_notes(notes: &[demos::Note]) {
    for n in notes {
        outln!("note: {}", n.text);
    }
}
