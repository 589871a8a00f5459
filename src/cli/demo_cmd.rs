//! `bitlens demo qat|distill|lora|qlora|adapter|prompt [--json] [--seed N] [--epochs E]`: run
//! one of the classroom training demos headless (the same code the app runs in the engine) and
//! print its table, or its report as JSON (`--json`; the shape is the serde form of the
//! report structs in `bitlens::demos`). Progress lines go to stderr unless `--json` or
//! `--quiet`.

use anyhow::Result;
use serde::Serialize;

use crate::demos::{self, Curve, EpochPoint};

/// Which demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoKind {
    /// PTQ vs QAT (fake quantization + straight-through estimator) at 2, 3 and 4 bits.
    Qat,
    /// Knowledge distillation: label-only vs teacher soft targets vs teacher assistant.
    Distill,
    /// LoRA on a rotated/shifted task vs full fine-tuning.
    Lora,
    /// QLoRA: LoRA on an NF4 (double-quantized) frozen base.
    Qlora,
    /// Bottleneck adapter after a hidden layer.
    Adapter,
    /// Prompt tuning: a learned additive input vector.
    Prompt,
}

#[derive(Clone, Debug, clap::Args)]
pub struct DemoArgs {
    /// The demo to run.
    #[arg(value_enum)]
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
    /// No per-epoch progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &DemoArgs) -> Result<()> {
    let quiet = args.json || args.quiet;
    let mut progress = |series: &str, p: &EpochPoint| {
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
    match args.demo {
        DemoKind::Qat => {
            let mut cfg = demos::QatConfig {
                seed: args.seed,
                ..Default::default()
            };
            if let Some(e) = args.epochs {
                cfg.schedule.epochs = e;
            }
            let r = demos::run_qat(&cfg, &never, &mut progress)?;
            if args.json {
                return print_json(&r);
            }
            println!("PTQ vs QAT — {}", r.scheme);
            println!(
                "fp32: {} parameters, test accuracy {}, weights {} B",
                r.params,
                pct(r.fp32_accuracy),
                r.fp32_weight_bytes
            );
            println!(
                "{:>5} {:>7} {:>9} {:>9} {:>13}",
                "bits", "levels", "PTQ", "QAT", "weight bytes"
            );
            for row in &r.rows {
                println!(
                    "{:>5} {:>7} {:>9} {:>9} {:>13}",
                    row.bits,
                    row.levels,
                    pct(row.ptq_accuracy),
                    pct(row.qat_accuracy),
                    row.weight_bytes
                );
            }
            print_curves(&r.curves);
            print_notes(&r.notes);
        }
        DemoKind::Distill
        | DemoKind::Lora
        | DemoKind::Qlora
        | DemoKind::Adapter
        | DemoKind::Prompt => {
            anyhow::bail!("not implemented yet");
        }
    }
    if !quiet {
        eprintln!("done in {:.1} s", start.elapsed().as_secs_f64());
    }
    Ok(())
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

fn print_json<T: Serialize>(r: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(r)?);
    Ok(())
}

fn print_curves(curves: &[Curve]) {
    println!("curves (test accuracy per epoch):");
    for c in curves {
        let pts: Vec<String> = c
            .points
            .iter()
            .map(|p| format!("{:.1}", p.test_accuracy * 100.0))
            .collect();
        println!("  {:<28} {}", c.series, pts.join(" "));
    }
}

fn print_notes(notes: &[String]) {
    for n in notes {
        println!("note: {n}");
    }
}
