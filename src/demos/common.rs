//! The small training toolkit every demo shares: forward and manual backward through a chain of
//! dense ReLU layers (any layer may be frozen; the input gradient is available for prompt
//! tuning and for adapters inserted mid-network), softmax cross-entropy and the distillation
//! loss, Adam over flat parameter slices, and the seeded epoch loop with cancel and progress.
//!
//! `eval::train` keeps its Adam and backward pass private and trains a whole MLP from scratch,
//! so the demos carry their own small versions here; the model type ([`Mlp`], [`Dense`]), the
//! datasets, the seeded generator ([`SplitMix64`]) and the evaluation come from `eval`.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::Serialize;

use crate::eval::rng::SplitMix64;
use crate::eval::{Dataset, Dense, EvalError, Mlp};
use crate::model::{Model, ModelError};

/// Why a demo did not produce a report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DemoError {
    /// The cancel check returned true; the demo stopped at the next mini-batch.
    #[error("cancelled")]
    Cancelled,
    /// A configuration value is out of range.
    #[error("invalid demo setting: {0}")]
    Invalid(String),
    /// The built-in model or dataset could not be loaded.
    #[error("{0}")]
    Data(String),
}

impl From<EvalError> for DemoError {
    fn from(e: EvalError) -> Self {
        Self::Data(e.to_string())
    }
}

impl From<ModelError> for DemoError {
    fn from(e: ModelError) -> Self {
        Self::Data(e.to_string())
    }
}

/// One point of a live curve: after `epoch` (1-based) of the series.
/// A remark of a report (an expected ordering that did not come out, and why): a stable `code`,
/// the values it mentions (already formatted) and the English `text`. The CLI prints the text;
/// the app shows a translation chosen by `code` with the same `args` substituted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Note {
    pub code: &'static str,
    pub args: Vec<String>,
    pub text: String,
}

/// A run's name in a report row or on a curve: a stable `code`, the values it mentions and the
/// English `text` (what the CLI prints and the JSON holds); the app writes it in its language
/// from `code` and `args`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub code: &'static str,
    pub args: Vec<String>,
    pub text: String,
}

impl Label {
    pub fn new(code: &'static str, args: Vec<String>, text: String) -> Self {
        Self { code, args, text }
    }

    /// A label without values.
    pub fn fixed(code: &'static str, text: &str) -> Self {
        Self::new(code, Vec::new(), text.to_owned())
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.text)
    }
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// An accuracy in [0, 1] as a percentage with one decimal (`0.958` → `"95.8"`).
pub fn pct1(accuracy: f64) -> String {
    format!("{:.1}", accuracy * 100.0)
}

impl Note {
    pub fn new(code: &'static str, args: Vec<String>, text: String) -> Self {
        Self { code, args, text }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochPoint {
    pub epoch: usize,
    /// Mean training loss over the epoch's mini-batches (the loss that was minimised).
    pub train_loss: f64,
    /// Top-1 accuracy on the demo's test set after the epoch, in [0, 1].
    pub test_accuracy: f64,
}

/// The curve of one training run (e.g. `qat 2-bit`, `student (KD from teacher)`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Curve {
    pub series: Label,
    pub points: Vec<EpochPoint>,
}

/// How the engine or CLI watches a demo: `cancel` is polled before every mini-batch;
/// `progress(series, point)` is called after every epoch.
pub struct Hooks<'a> {
    pub cancel: &'a dyn Fn() -> bool,
    pub progress: &'a mut dyn FnMut(&Label, &EpochPoint),
}

/// Optimiser and loop settings shared by every training run of a demo.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Schedule {
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam learning rate (betas 0.9 / 0.999, eps 1e-8).
    pub learning_rate: f32,
    /// Cosine decay of the learning rate to 0 over all steps.
    pub cosine_decay: bool,
}

/// The built-in MNIST MLP (784-128-64-10) in fp32.
pub fn builtin_mlp() -> Result<Mlp, DemoError> {
    let tensors = Model::builtin().load_supported()?;
    Ok(Mlp::from_tensors(&tensors)?)
}

/// The training and test sets, optionally cut to their first rows (for quick tests).
pub fn datasets(
    train_limit: Option<usize>,
    test_limit: Option<usize>,
) -> Result<(Dataset, Dataset), DemoError> {
    let mut train = Dataset::try_builtin_train()?;
    let mut test = Dataset::try_builtin_test()?;
    if let Some(n) = train_limit {
        train = train.head(n);
    }
    if let Some(n) = test_limit {
        test = test.head(n);
    }
    if train.is_empty() || test.is_empty() {
        return Err(DemoError::Invalid("empty training or test set".into()));
    }
    Ok((train, test))
}

/// Parameters of an MLP (weights and biases).
pub fn n_params(mlp: &Mlp) -> usize {
    mlp.layers
        .iter()
        .map(|l| l.weight.len() + l.bias.len())
        .sum()
}

/// `784-32-10`.
pub fn architecture(mlp: &Mlp) -> String {
    std::iter::once(mlp.n_inputs())
        .chain(mlp.layers.iter().map(Dense::n_out))
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

/// A fresh MLP `dims[0] → … → dims[last]` with PyTorch's default `nn.Linear` init,
/// U(−1/√in, 1/√in) for weights and biases (as `eval::train`).
pub fn init_mlp(rng: &mut SplitMix64, dims: &[usize]) -> Mlp {
    let layers = dims
        .windows(2)
        .enumerate()
        .map(|(k, d)| {
            let bound = 1.0 / (d[0] as f32).sqrt();
            let mut u = || (rng.next_f32() * 2.0 - 1.0) * bound;
            let weight = Array2::from_shape_fn((d[1], d[0]), |_| u());
            let bias = Array1::from_shape_fn(d[1], |_| u());
            Dense {
                weight_name: format!("fc{}.weight", k + 1),
                bias_name: Some(format!("fc{}.bias", k + 1)),
                weight,
                bias,
                transposed: false,
            }
        })
        .collect();
    Mlp { layers }
}

/// Uniform matrix in (−bound, bound).
pub fn uniform(rng: &mut SplitMix64, rows: usize, cols: usize, bound: f32) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |_| (rng.next_f32() * 2.0 - 1.0) * bound)
}

/// A layer seen by [`forward`]/[`backward`]: weight `[out, in]` and bias `[out]`.
pub type LayerRef<'a> = (ArrayView2<'a, f32>, ArrayView1<'a, f32>);

/// The layers of an MLP as views.
pub fn layer_refs(mlp: &Mlp) -> Vec<LayerRef<'_>> {
    mlp.layers
        .iter()
        .map(|l| (l.weight.view(), l.bias.view()))
        .collect()
}

/// What a forward pass keeps for the backward pass.
pub struct Trace {
    /// The input of every layer.
    pub inputs: Vec<Array2<f32>>,
    /// The output of the last layer (after its ReLU when `relu_last`).
    pub out: Array2<f32>,
}

/// `x → ReLU(W₁x + b₁) → … → W_L x + b_L`; ReLU after the last layer too when `relu_last`.
pub fn forward(layers: &[LayerRef<'_>], x: ArrayView2<'_, f32>, relu_last: bool) -> Trace {
    let mut inputs = Vec::with_capacity(layers.len());
    let mut h = x.to_owned();
    for (k, (w, b)) in layers.iter().enumerate() {
        let mut z = h.dot(&w.t());
        z += &b.view().insert_axis(Axis(0));
        if k + 1 < layers.len() || relu_last {
            z.mapv_inplace(|v| v.max(0.0));
        }
        inputs.push(std::mem::replace(&mut h, z));
    }
    Trace { inputs, out: h }
}

/// Gradients of one backward pass.
pub struct Grads {
    /// Per layer `[out, in]` (empty when parameter gradients were not asked for).
    pub w: Vec<Array2<f32>>,
    /// Per layer `[out]` (empty when not asked for).
    pub b: Vec<Array1<f32>>,
    /// With respect to the network's input (when asked for).
    pub input: Option<Array2<f32>>,
}

/// Backward pass for [`forward`]: `grad_out` is dLoss/d(out). Parameter gradients when
/// `param_grads`; the input gradient when `input_grad`.
pub fn backward(
    layers: &[LayerRef<'_>],
    trace: &Trace,
    mut grad: Array2<f32>,
    relu_last: bool,
    param_grads: bool,
    input_grad: bool,
) -> Grads {
    let n = layers.len();
    if relu_last {
        relu_mask(&mut grad, &trace.out);
    }
    let mut gw = Vec::with_capacity(n);
    let mut gb = Vec::with_capacity(n);
    let mut input = None;
    for k in (0..n).rev() {
        let x = &trace.inputs[k];
        if param_grads {
            gw.push(grad.t().dot(x));
            gb.push(grad.sum_axis(Axis(0)));
        }
        if k > 0 || input_grad {
            let mut next = grad.dot(&layers[k].0);
            if k > 0 {
                // The input of layer k is the ReLU output of layer k − 1.
                relu_mask(&mut next, x);
                grad = next;
            } else {
                input = Some(next);
            }
        }
    }
    gw.reverse();
    gb.reverse();
    Grads {
        w: gw,
        b: gb,
        input,
    }
}

/// Zero the gradient where the ReLU output was not positive.
fn relu_mask(grad: &mut Array2<f32>, act: &Array2<f32>) {
    ndarray::Zip::from(grad).and(act).for_each(|g, &a| {
        if a <= 0.0 {
            *g = 0.0;
        }
    });
}

/// Row-wise softmax of `logits / t`.
pub fn softmax(logits: &Array2<f32>, t: f32) -> Array2<f32> {
    let mut p = logits.mapv(|v| v / t);
    for mut row in p.axis_iter_mut(Axis(0)) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.mapv_inplace(|v| (v - max).exp());
        let sum: f32 = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
    p
}

/// Mean softmax cross-entropy and its gradient with respect to the logits, `(p − onehot)/B`.
pub fn ce_loss_grad(logits: &Array2<f32>, labels: &[usize]) -> (f64, Array2<f32>) {
    let b = labels.len().max(1) as f32;
    let mut g = softmax(logits, 1.0);
    let mut loss = 0.0f64;
    for (mut row, &y) in g.axis_iter_mut(Axis(0)).zip(labels) {
        loss -= f64::from(row[y].max(1e-30)).ln();
        row[y] -= 1.0;
        row.mapv_inplace(|v| v / b);
    }
    (loss / f64::from(b), g)
}

/// Knowledge distillation (Hinton et al. 2015):
/// `(1−α)·CE(student, labels) + α·T²·KL(softmax(teacher/T) ‖ softmax(student/T))`, mean over
/// the batch, and its gradient with respect to the student logits:
/// `(1−α)(p − onehot)/B + α·T·(p_T − q_T)/B` (the T² keeps the soft term's gradient scale
/// independent of T).
pub fn kd_loss_grad(
    student: &Array2<f32>,
    teacher: &Array2<f32>,
    labels: &[usize],
    alpha: f32,
    t: f32,
) -> (f64, Array2<f32>) {
    let b = labels.len().max(1) as f32;
    let (ce, g_hard) = ce_loss_grad(student, labels);
    let ps = softmax(student, t);
    let pt = softmax(teacher, t);
    let mut kl = 0.0f64;
    for (s, q) in ps.iter().zip(pt.iter()) {
        if *q > 0.0 {
            kl += f64::from(*q) * (f64::from(*q).ln() - f64::from(s.max(1e-30)).ln());
        }
    }
    kl /= f64::from(b);
    let mut g = g_hard * (1.0 - alpha);
    ndarray::Zip::from(&mut g)
        .and(&ps)
        .and(&pt)
        .for_each(|g, &s, &q| *g += alpha * t * (s - q) / b);
    let loss = f64::from(1.0 - alpha) * ce + f64::from(alpha * t * t) * kl;
    (loss, g)
}

/// Top-1 accuracy of logits against labels (first maximum wins; NaN never wins).
pub fn accuracy(logits: &Array2<f32>, labels: &[u8]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let correct = logits
        .axis_iter(Axis(0))
        .zip(labels)
        .filter(|(row, y)| {
            let mut best = 0usize;
            let mut best_v = f32::NEG_INFINITY;
            for (i, &v) in row.iter().enumerate() {
                if v > best_v {
                    best_v = v;
                    best = i;
                }
            }
            best == usize::from(**y)
        })
        .count();
    correct as f64 / labels.len() as f64
}

/// Adam (Kingma & Ba) over a list of flat parameter tensors.
pub struct Adam {
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    t: i32,
}

impl Adam {
    pub const BETA1: f32 = 0.9;
    pub const BETA2: f32 = 0.999;
    pub const EPS: f32 = 1e-8;

    /// Moments for tensors of the given lengths.
    pub fn new(sizes: &[usize]) -> Self {
        Self {
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            t: 0,
        }
    }

    /// Optimiser state in bytes: two f32 moments per trainable parameter.
    pub fn state_bytes(n_trainable: usize) -> u64 {
        2 * 4 * n_trainable as u64
    }

    /// One update; `params[i]` and `grads[i]` have the length of tensor `i`.
    pub fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]], lr: f32) {
        self.t += 1;
        let (b1, b2) = (Self::BETA1, Self::BETA2);
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            for j in 0..p.len() {
                let gj = g[j];
                m[j] = b1 * m[j] + (1.0 - b1) * gj;
                v[j] = b2 * v[j] + (1.0 - b2) * gj * gj;
                p[j] -= lr * (m[j] / c1) / ((v[j] / c2).sqrt() + Self::EPS);
            }
        }
    }

    /// One update of every weight and bias of `m` with the parameter gradients `gr` (from
    /// [`backward`] with parameter gradients on).
    pub fn step_mlp(&mut self, m: &mut Mlp, gr: &Grads, lr: f32) {
        let mut params: Vec<&mut [f32]> = Vec::new();
        for l in &mut m.layers {
            params.push(flat_mut(&mut l.weight));
            params.push(l.bias.as_slice_mut().unwrap_or(&mut []));
        }
        let grads: Vec<&[f32]> =
            gr.w.iter()
                .zip(&gr.b)
                .flat_map(|(w, b)| [flat(w), b.as_slice().unwrap_or(&[])])
                .collect();
        self.step(&mut params, &grads, lr);
    }
}

/// A contiguous array's values (arrays built here are always in standard layout).
pub fn flat(a: &Array2<f32>) -> &[f32] {
    a.as_slice().unwrap_or(&[])
}

/// Mutable values of a contiguous array.
pub fn flat_mut(a: &mut Array2<f32>) -> &mut [f32] {
    a.as_slice_mut().unwrap_or(&mut [])
}

/// One batch handed to a training step.
pub struct Batch<'a> {
    pub x: Array2<f32>,
    pub labels: &'a [usize],
    /// Learning rate for this step (after the schedule).
    pub lr: f32,
}

/// The seeded epoch loop: shuffle, mini-batches, a step per batch (returning its mean loss),
/// then `eval()` (test accuracy) and a progress point per epoch. Polls `cancel` before each
/// batch.
pub fn train_loop(
    data: &Dataset,
    sched: &Schedule,
    seed: u64,
    series: &Label,
    hooks: &mut Hooks<'_>,
    step: &mut dyn FnMut(Batch<'_>) -> f64,
    eval: &mut dyn FnMut() -> f64,
) -> Result<Curve, DemoError> {
    if sched.batch_size == 0 || sched.learning_rate.is_nan() || sched.learning_rate <= 0.0 {
        return Err(DemoError::Invalid(
            "batch size and learning rate must be positive".into(),
        ));
    }
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let steps_per_epoch = data.len().div_ceil(sched.batch_size);
    let total = (sched.epochs * steps_per_epoch).max(1);
    let mut t = 0usize;
    let mut points = Vec::with_capacity(sched.epochs);
    for epoch in 1..=sched.epochs {
        rng.shuffle(&mut order);
        let mut loss_sum = 0.0;
        for chunk in order.chunks(sched.batch_size) {
            if (hooks.cancel)() {
                return Err(DemoError::Cancelled);
            }
            let lr = if sched.cosine_decay {
                let frac = t as f32 / total as f32;
                sched.learning_rate * 0.5 * (1.0 + (std::f32::consts::PI * frac).cos())
            } else {
                sched.learning_rate
            };
            let labels: Vec<usize> = chunk.iter().map(|&i| usize::from(data.labels[i])).collect();
            let x = data.x.select(Axis(0), chunk);
            loss_sum += step(Batch {
                x,
                labels: &labels,
                lr,
            }) * chunk.len() as f64;
            t += 1;
        }
        let point = EpochPoint {
            epoch,
            train_loss: loss_sum / data.len().max(1) as f64,
            test_accuracy: eval(),
        };
        (hooks.progress)(series, &point);
        points.push(point);
    }
    Ok(Curve {
        series: series.clone(),
        points,
    })
}

/// Round to 4 decimals for stable, readable JSON (accuracies keep 1/1000 resolution exactly).
pub fn r4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finite-difference check of the backward pass through two ReLU layers.
    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = SplitMix64::new(3);
        let mlp = init_mlp(&mut rng, &[5, 4, 3]);
        let x = uniform(&mut rng, 2, 5, 1.0);
        let labels = [1usize, 2];
        let loss = |m: &Mlp, x: &Array2<f32>| {
            let tr = forward(&layer_refs(m), x.view(), false);
            ce_loss_grad(&tr.out, &labels).0
        };
        let tr = forward(&layer_refs(&mlp), x.view(), false);
        let (_, g) = ce_loss_grad(&tr.out, &labels);
        let grads = backward(&layer_refs(&mlp), &tr, g, false, true, true);
        let h = 1e-3f32;
        for (k, (i, j)) in [(0, (1, 2)), (1, (2, 3)), (0, (3, 0))] {
            let mut p = mlp.clone();
            p.layers[k].weight[(i, j)] += h;
            let mut m = mlp.clone();
            m.layers[k].weight[(i, j)] -= h;
            let fd = (loss(&p, &x) - loss(&m, &x)) / (2.0 * f64::from(h));
            assert!((fd - f64::from(grads.w[k][(i, j)])).abs() < 1e-3, "{fd}");
        }
        let gx = grads.input.unwrap();
        let mut xp = x.clone();
        xp[(1, 4)] += h;
        let mut xm = x.clone();
        xm[(1, 4)] -= h;
        let fd = (loss(&mlp, &xp) - loss(&mlp, &xm)) / (2.0 * f64::from(h));
        assert!((fd - f64::from(gx[(1, 4)])).abs() < 1e-3);
    }

    #[test]
    fn kd_gradient_matches_finite_differences() {
        let mut rng = SplitMix64::new(5);
        let s = uniform(&mut rng, 3, 4, 2.0);
        let t = uniform(&mut rng, 3, 4, 2.0);
        let labels = [0usize, 3, 1];
        let (_, g) = kd_loss_grad(&s, &t, &labels, 0.7, 3.0);
        let h = 1e-3f32;
        let mut sp = s.clone();
        sp[(2, 1)] += h;
        let mut sm = s.clone();
        sm[(2, 1)] -= h;
        let fd = (kd_loss_grad(&sp, &t, &labels, 0.7, 3.0).0
            - kd_loss_grad(&sm, &t, &labels, 0.7, 3.0).0)
            / (2.0 * f64::from(h));
        assert!(
            (fd - f64::from(g[(2, 1)])).abs() < 1e-3,
            "{fd} {}",
            g[(2, 1)]
        );
    }

    #[test]
    fn kd_with_alpha_zero_is_cross_entropy() {
        let mut rng = SplitMix64::new(9);
        let s = uniform(&mut rng, 2, 4, 2.0);
        let t = uniform(&mut rng, 2, 4, 2.0);
        let (a, _) = kd_loss_grad(&s, &t, &[1, 2], 0.0, 4.0);
        let (b, _) = ce_loss_grad(&s, &[1, 2]);
        assert!((a - b).abs() < 1e-9);
    }
}
