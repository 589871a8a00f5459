//! LoRA (Hu et al. 2021) and QLoRA (Dettmers et al. 2023) on the shifted task.
//!
//! Each target layer's weight becomes `W = W₀ + (α/r)·B·A` with `A: [r, in]` (uniform
//! ±1/√in, as PyTorch's `kaiming_uniform(a=√5)`) and `B: [out, r]` initialised to zero, so
//! training starts exactly at the base model. Only `A` and `B` are trained; `W₀` and every
//! bias stay frozen. With `G = dL/dW` from the backward pass:
//! `dL/dA = (α/r)·Bᵀ·G`, `dL/dB = (α/r)·G·Aᵀ`.
//!
//! QLoRA: the frozen `W₀` of every layer is stored in NF4 (blocks of 64, `compress::nf4`)
//! with double quantization of the block absmax (8-bit codes in groups of 256 plus one f32
//! per group and an f32 offset), and dequantized on the fly at every step. Biases stay fp32.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::common::{
    Adam, Batch, Curve, DemoError, EpochPoint, Hooks, Label, Note, backward, ce_loss_grad, flat,
    flat_mut, forward, pct1, r4, train_loop, uniform,
};
use super::task::{AdaptCommon, AdaptRow, Task, TaskInfo, full_finetune};
use crate::compress::nf4;
use crate::eval::rng::SplitMix64;
use crate::eval::{Mlp, evaluate};
use crate::numfmt::NF4_LUT;

/// How the frozen base weights are stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BaseStorage {
    /// fp32 (LoRA).
    Fp32,
    /// NF4 in blocks of `block`, optionally with double-quantized absmax (QLoRA).
    Nf4 { block: usize, double_quant: bool },
}

/// Settings of the LoRA / QLoRA demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    pub common: AdaptCommon,
    /// Target modules by layer name (`fc1`, `fc2`, `fc3` for the built-in model).
    pub targets: Vec<String>,
    /// Rank r of A and B.
    pub rank: usize,
    /// Scaling α (ΔW = (α/r)·B·A).
    pub alpha: f32,
    pub base: BaseStorage,
}

impl Default for LoraConfig {
    fn default() -> Self {
        Self {
            common: AdaptCommon::default(),
            targets: vec!["fc1".into(), "fc2".into(), "fc3".into()],
            rank: 4,
            alpha: 8.0,
            base: BaseStorage::Fp32,
        }
    }
}

impl LoraConfig {
    /// The QLoRA defaults: the LoRA defaults on an NF4 + double-quant base (blocks of 64).
    pub fn qlora() -> Self {
        Self {
            base: BaseStorage::Nf4 {
                block: 64,
                double_quant: true,
            },
            ..Self::default()
        }
    }
}

/// Memory of the base weights and of training.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoraMemory {
    /// Weight-matrix parameters of the base model (biases are kept fp32 and listed apart).
    pub base_weight_params: usize,
    pub base_bias_params: usize,
    pub base_weight_bytes_fp32: u64,
    /// Bytes as stored in this run (= fp32 for LoRA; NF4 codes + absmax (+ DQ) for QLoRA).
    pub base_weight_bytes_stored: u64,
    /// `fp32 / stored`.
    pub base_saving_ratio: f64,
    pub base_format: String,
    pub lora_params: usize,
    pub full_finetune_params: usize,
    /// `lora_params / full_finetune_params`.
    pub lora_fraction: f64,
    /// Adam moments (2 × f32 per trainable parameter).
    pub lora_optimizer_bytes: u64,
    pub full_finetune_optimizer_bytes: u64,
}

/// The LoRA / QLoRA table, memory and curves.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoraReport {
    pub config: LoraConfig,
    pub task: TaskInfo,
    /// Base model (no training), full fine-tuning (when run), LoRA / QLoRA.
    pub rows: Vec<AdaptRow>,
    pub memory: LoraMemory,
    pub curves: Vec<Curve>,
    /// Orderings that did not come out as expected, with the reason.
    pub notes: Vec<Note>,
}

/// A frozen weight stored as NF4 codes and per-block scales.
struct Nf4Weight {
    codes: Vec<u8>,
    scales: Vec<f32>,
    block: usize,
    shape: (usize, usize),
    bytes: u64,
}

impl Nf4Weight {
    fn new(w: &Array2<f32>, block: usize, double_quant: bool) -> Self {
        let x: Vec<f32> = w.iter().copied().collect();
        let q = nf4::quantize(&x, block, double_quant);
        let n_blocks = q.absmax.len() as u64;
        let scale_bytes = match &q.dq {
            // One 8-bit code per block, one f32 absmax2 per group of 256, one f32 offset.
            Some((codes, a2, _)) => codes.len() as u64 + 4 * a2.len() as u64 + 4,
            None => 4 * n_blocks,
        };
        Self {
            bytes: (x.len() as u64).div_ceil(2) + scale_bytes,
            codes: q.codes,
            scales: q.scales,
            block,
            shape: w.dim(),
        }
    }

    /// `NF4[code] · scale` of every element.
    fn dequantize(&self) -> Array2<f32> {
        let data: Vec<f32> = self
            .codes
            .iter()
            .enumerate()
            .map(|(i, &c)| NF4_LUT[usize::from(c & 0xF)] * self.scales[i / self.block])
            .collect();
        Array2::from_shape_vec(self.shape, data).unwrap_or_else(|_| Array2::zeros(self.shape))
    }
}

/// The frozen base weights.
enum Base {
    Fp32(Vec<Array2<f32>>),
    Nf4(Vec<Nf4Weight>),
}

impl Base {
    fn weights(&self) -> Vec<Array2<f32>> {
        match self {
            Base::Fp32(w) => w.clone(),
            Base::Nf4(w) => w.iter().map(Nf4Weight::dequantize).collect(),
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Base::Fp32(w) => w.iter().map(|w| 4 * w.len() as u64).sum(),
            Base::Nf4(w) => w.iter().map(|w| w.bytes).sum(),
        }
    }
}

/// One LoRA pair on layer `layer`.
struct Pair {
    layer: usize,
    a: Array2<f32>,
    b: Array2<f32>,
}

/// The merged model `W₀ + (α/r)·B·A` (biases from `mlp`).
fn merged(mlp: &Mlp, base: &[Array2<f32>], pairs: &[Pair], scale: f32) -> Mlp {
    let mut m = mlp.clone();
    for (l, w) in m.layers.iter_mut().zip(base) {
        l.weight = w.clone();
    }
    for p in pairs {
        let delta = p.b.dot(&p.a) * scale;
        m.layers[p.layer].weight += &delta;
    }
    m
}

/// Run LoRA (or QLoRA, by `cfg.base`).
pub fn run_lora(
    cfg: &LoraConfig,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(&Label, &EpochPoint),
) -> Result<LoraReport, DemoError> {
    if cfg.rank == 0 || cfg.alpha.is_nan() || cfg.alpha <= 0.0 || cfg.targets.is_empty() {
        return Err(DemoError::Invalid(
            "rank and alpha must be positive and at least one target given".into(),
        ));
    }
    let mut hooks = Hooks { cancel, progress };
    let c = &cfg.common;
    let task = Task::build(c)?;
    let targets = target_layers(&task, &cfg.targets)?;
    let fp32: Vec<Array2<f32>> = task.base.layers.iter().map(|l| l.weight.clone()).collect();
    let (base, base_format, label) = frozen_base(&cfg.base, &fp32)?;
    let r = cfg.rank;
    let scale = cfg.alpha / r as f32;
    let mut pairs = initial_pairs(&task, &targets, r, c.seed);
    let lora_params: usize = pairs.iter().map(|p| p.a.len() + p.b.len()).sum();
    let base_w0 = base.weights();
    let before = evaluate(&merged(&task.base, &base_w0, &pairs, scale), &task.test).accuracy;

    let mut rows = vec![task.row(untrained_label(&cfg.base), 0, before, before)];
    let mut curves = Vec::new();
    if c.full_finetune {
        let (row, curve) = full_finetune(&task, c, &mut hooks)?;
        rows.push(row);
        curves.push(curve);
    }

    let series = run_label(cfg, label);
    let curve = train_pairs(&task, c, &base, &mut pairs, scale, &series, &mut hooks)?;
    curves.push(curve);
    let after = evaluate(&merged(&task.base, &base_w0, &pairs, scale), &task.test).accuracy;
    rows.push(task.row(series, lora_params, before, after));

    let memory = memory_of(&task, &fp32, &base, base_format, lora_params);
    let notes = share_notes(&memory, r);
    Ok(LoraReport {
        config: cfg.clone(),
        task: task.info(c),
        rows,
        memory,
        curves,
        notes,
    })
}

/// The indices of the layers named in `wanted` (each once, in layer order).
fn target_layers(task: &Task, wanted: &[String]) -> Result<Vec<usize>, DemoError> {
    let names: Vec<String> = task
        .base
        .layers
        .iter()
        .map(|l| l.weight_name.trim_end_matches(".weight").to_owned())
        .collect();
    let mut targets = Vec::new();
    for t in wanted {
        let k = names.iter().position(|n| n == t).ok_or_else(|| {
            DemoError::Invalid(format!(
                "no layer `{t}` (the model has {})",
                names.join(", ")
            ))
        })?;
        if !targets.contains(&k) {
            targets.push(k);
        }
    }
    targets.sort_unstable();
    Ok(targets)
}

/// The frozen base in `storage`, a description of its format, and the method's name.
fn frozen_base(
    storage: &BaseStorage,
    fp32: &[Array2<f32>],
) -> Result<(Base, String, &'static str), DemoError> {
    Ok(match *storage {
        BaseStorage::Fp32 => (Base::Fp32(fp32.to_vec()), "fp32".to_owned(), "LoRA"),
        BaseStorage::Nf4 {
            block,
            double_quant,
        } => {
            if block == 0 {
                return Err(DemoError::Invalid("NF4 block must be positive".into()));
            }
            let w = fp32
                .iter()
                .map(|w| Nf4Weight::new(w, block, double_quant))
                .collect();
            let f = if double_quant {
                format!("NF4, blocks of {block}, double-quantized absmax (8-bit, groups of 256)")
            } else {
                format!("NF4, blocks of {block}, f32 absmax")
            };
            (Base::Nf4(w), f, "QLoRA")
        }
    })
}

/// The row label of the base model in `storage` before any training.
fn untrained_label(storage: &BaseStorage) -> Label {
    let (code, format) = match storage {
        BaseStorage::Fp32 => ("base_fp32_no_training", "fp32"),
        BaseStorage::Nf4 {
            double_quant: true, ..
        } => ("base_nf4_dq_no_training", "NF4 + double quant"),
        BaseStorage::Nf4 { .. } => ("base_nf4_no_training", "NF4"),
    };
    Label::new(
        code,
        Vec::new(),
        format!("base model ({format}), no training"),
    )
}

/// One pair of rank `r` per target layer: `A` uniform ±1/√in, `B` zero (so ΔW starts at 0).
fn initial_pairs(task: &Task, targets: &[usize], r: usize, seed: u64) -> Vec<Pair> {
    let mut rng = SplitMix64::new(seed ^ 0x10AA);
    targets
        .iter()
        .map(|&k| {
            let l = &task.base.layers[k];
            let bound = 1.0 / (l.n_in() as f32).sqrt();
            Pair {
                layer: k,
                a: uniform(&mut rng, r, l.n_in(), bound),
                b: Array2::zeros((l.n_out(), r)),
            }
        })
        .collect()
}

/// The series label of the LoRA / QLoRA run (`label`: the method's name).
fn run_label(cfg: &LoraConfig, label: &str) -> Label {
    let r = cfg.rank;
    let target_list = cfg.targets.join(", ");
    Label::new(
        "lora_run",
        vec![
            label.to_owned(),
            r.to_string(),
            cfg.alpha.to_string(),
            target_list.clone(),
        ],
        format!("{label} r={r} α={} ({target_list})", cfg.alpha),
    )
}

/// Train `A` and `B` of every pair with Adam, the base frozen (and dequantized at every step).
fn train_pairs(
    task: &Task,
    c: &AdaptCommon,
    base: &Base,
    pairs: &mut [Pair],
    scale: f32,
    series: &Label,
    hooks: &mut Hooks<'_>,
) -> Result<Curve, DemoError> {
    let sizes: Vec<usize> = pairs.iter().flat_map(|p| [p.a.len(), p.b.len()]).collect();
    let mut adam = Adam::new(&sizes);
    let cell = std::cell::RefCell::new(pairs);
    train_loop(
        &task.train,
        &c.schedule,
        c.seed,
        series,
        hooks,
        &mut |bt: Batch<'_>| {
            let mut ps = cell.borrow_mut();
            // Dequantize the frozen base on the fly (a no-op copy for fp32).
            let w0 = base.weights();
            let m = merged(&task.base, &w0, &ps, scale);
            let layers = super::common::layer_refs(&m);
            let tr = forward(&layers, bt.x.view(), false);
            let (loss, g) = ce_loss_grad(&tr.out, bt.labels);
            let gr = backward(&layers, &tr, g, false, true, false);
            let mut ga = Vec::with_capacity(ps.len());
            let mut gb = Vec::with_capacity(ps.len());
            for p in ps.iter() {
                let gw = &gr.w[p.layer];
                ga.push(p.b.t().dot(gw) * scale);
                gb.push(gw.dot(&p.a.t()) * scale);
            }
            let mut params: Vec<&mut [f32]> = Vec::new();
            for p in ps.iter_mut() {
                params.push(flat_mut(&mut p.a));
                params.push(flat_mut(&mut p.b));
            }
            let grads: Vec<&[f32]> = ga
                .iter()
                .zip(&gb)
                .flat_map(|(a, b)| [flat(a), flat(b)])
                .collect();
            adam.step(&mut params, &grads, bt.lr);
            loss
        },
        &mut || {
            evaluate(
                &merged(&task.base, &base.weights(), &cell.borrow(), scale),
                &task.test,
            )
            .accuracy
        },
    )
}

/// Memory of the base as stored and of training the adapters versus the whole model.
fn memory_of(
    task: &Task,
    fp32: &[Array2<f32>],
    base: &Base,
    base_format: String,
    lora_params: usize,
) -> LoraMemory {
    let full = super::common::n_params(&task.base);
    let base_weight_params: usize = fp32.iter().map(Array2::len).sum();
    let fp32_bytes = 4 * base_weight_params as u64;
    let stored = base.bytes();
    LoraMemory {
        base_weight_params,
        base_bias_params: full - base_weight_params,
        base_weight_bytes_fp32: fp32_bytes,
        base_weight_bytes_stored: stored,
        base_saving_ratio: r4(fp32_bytes as f64 / stored.max(1) as f64),
        base_format,
        lora_params,
        full_finetune_params: full,
        lora_fraction: r4(lora_params as f64 / full.max(1) as f64),
        lora_optimizer_bytes: Adam::state_bytes(lora_params),
        full_finetune_optimizer_bytes: Adam::state_bytes(full),
    }
}

/// A note when the adapters are not a small share of the parameters (rank `r`).
fn share_notes(memory: &LoraMemory, r: usize) -> Vec<Note> {
    let mut notes = Vec::new();
    if memory.lora_fraction >= 0.10 {
        let share = pct1(memory.lora_fraction);
        notes.push(Note::new(
            "lora_share_large",
            vec![share.clone(), r.to_string()],
            format!(
                "LoRA trains {share} % of the parameters, not under 10 %: rank {r} is large for \
                 layers this small"
            ),
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf4_weight_dequantizes_like_compress() {
        let w = Array2::from_shape_fn((8, 32), |(i, j)| ((i * 32 + j) as f32 * 0.37).sin());
        let q = Nf4Weight::new(&w, 64, true);
        let d = q.dequantize();
        let x: Vec<f32> = w.iter().copied().collect();
        let reference = nf4::quantize(&x, 64, true).dequantized;
        assert_eq!(d.iter().copied().collect::<Vec<_>>(), reference);
        for (a, b) in w.iter().zip(d.iter()) {
            assert!((a - b).abs() < 0.16, "{a} {b}");
        }
        // 256 codes in 128 bytes, 4 blocks: 4 DQ codes + one absmax2 + the offset.
        assert_eq!(q.bytes, 128 + 4 + 4 + 4);
    }
}
