//! Training of the built-in model: a plain ndarray MLP (default 784-128-64-10, ReLU), softmax
//! cross-entropy, mini-batch Adam, reproducible from the seed (single-threaded, seeded
//! initialisation and shuffles).

use ndarray::{Array1, Array2, Axis};

use super::rng::SplitMix64;
use super::{Dataset, Dense, EvalReport, Mlp, evaluate};

/// Hyper-parameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TrainConfig {
    pub seed: u64,
    /// Hidden layer widths (784 → hidden… → 10).
    pub hidden: Vec<usize>,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Augmentation: each training image is shifted by a random offset in
    /// [−shift_px, shift_px]² (zero fill) every time it is drawn. 0 disables.
    pub shift_px: usize,
    /// Cosine learning-rate decay from `learning_rate` to 0 over all steps.
    pub cosine_decay: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            hidden: vec![128, 64],
            epochs: 40,
            batch_size: 64,
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            shift_px: 2,
            cosine_decay: true,
        }
    }
}

/// One epoch's summary.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub train_loss: f64,
}

/// The trained model and how it went.
#[derive(Clone, Debug)]
pub struct TrainReport {
    pub mlp: Mlp,
    pub config: TrainConfig,
    pub epochs: Vec<EpochLog>,
    pub test: EvalReport,
}

/// PyTorch's default `nn.Linear` init: U(−1/√in, 1/√in) for weights and biases.
fn init_layer(rng: &mut SplitMix64, n_in: usize, n_out: usize, k: usize) -> Dense {
    let bound = 1.0 / (n_in as f32).sqrt();
    let mut u = || (rng.next_f32() * 2.0 - 1.0) * bound;
    let weight = Array2::from_shape_fn((n_out, n_in), |_| u());
    let bias = Array1::from_shape_fn(n_out, |_| u());
    Dense {
        weight_name: format!("fc{k}.weight"),
        bias_name: Some(format!("fc{k}.bias")),
        weight,
        bias,
        transposed: false,
    }
}

struct Adam {
    m_w: Vec<Array2<f32>>,
    v_w: Vec<Array2<f32>>,
    m_b: Vec<Array1<f32>>,
    v_b: Vec<Array1<f32>>,
    t: i32,
}

impl Adam {
    /// Zero moments shaped like `mlp`'s weights and biases.
    fn zeros_like(mlp: &Mlp) -> Self {
        let w = || -> Vec<Array2<f32>> {
            mlp.layers
                .iter()
                .map(|l| Array2::zeros(l.weight.raw_dim()))
                .collect()
        };
        let b = || -> Vec<Array1<f32>> {
            mlp.layers
                .iter()
                .map(|l| Array1::zeros(l.bias.raw_dim()))
                .collect()
        };
        Adam {
            m_w: w(),
            v_w: w(),
            m_b: b(),
            v_b: b(),
            t: 0,
        }
    }
}

/// Train on `train`, report accuracy on `test`. `progress(epoch, train_loss)` after each epoch.
pub fn train(
    train: &Dataset,
    test: &Dataset,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(usize, f64),
) -> TrainReport {
    let mut rng = SplitMix64::new(cfg.seed);
    let mut dims = vec![train.n_features()];
    dims.extend_from_slice(&cfg.hidden);
    dims.push(train.n_classes);
    let mut mlp = Mlp {
        layers: dims
            .windows(2)
            .enumerate()
            .map(|(k, w)| init_layer(&mut rng, w[0], w[1], k + 1))
            .collect(),
    };
    let mut adam = Adam::zeros_like(&mlp);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut epochs = Vec::with_capacity(cfg.epochs);
    let batch = cfg.batch_size.max(1);
    let total_steps = (cfg.epochs * train.len().div_ceil(batch)).max(1);
    for epoch in 1..=cfg.epochs {
        rng.shuffle(&mut order);
        let mut loss_sum = 0.0f64;
        for chunk in order.chunks(batch) {
            let x = batch_images(train, chunk, cfg.shift_px, &mut rng);
            let labels: Vec<usize> = chunk
                .iter()
                .map(|&i| usize::from(train.labels[i]))
                .collect();
            let lr = learning_rate(cfg, adam.t, total_steps);
            loss_sum += step(&mut mlp, &mut adam, cfg, lr, &x, &labels) * chunk.len() as f64;
        }
        let train_loss = loss_sum / train.len().max(1) as f64;
        progress(epoch, train_loss);
        epochs.push(EpochLog { epoch, train_loss });
    }
    let test_report = evaluate(&mlp, test);
    TrainReport {
        mlp,
        config: cfg.clone(),
        epochs,
        test: test_report,
    }
}

/// The images of `chunk`, each shifted by up to ±`shift_px` in x and y (drawn from `rng`,
/// x then y, image by image) when the data are images.
fn batch_images(
    train: &Dataset,
    chunk: &[usize],
    shift_px: usize,
    rng: &mut SplitMix64,
) -> Array2<f32> {
    let mut x = train.x.select(Axis(0), chunk);
    if shift_px > 0 && train.image_side > 0 {
        for mut row in x.axis_iter_mut(Axis(0)) {
            let span = 2 * shift_px + 1;
            let dx = rng.below(span) as isize - shift_px as isize;
            let dy = rng.below(span) as isize - shift_px as isize;
            if let Some(r) = row.as_slice_mut() {
                shift_image(r, train.image_side, dx, dy);
            }
        }
    }
    x
}

/// The learning rate after `t` of `total_steps` steps (cosine decay to 0, or constant).
fn learning_rate(cfg: &TrainConfig, t: i32, total_steps: usize) -> f32 {
    let progress_frac = t as f32 / total_steps as f32;
    if cfg.cosine_decay {
        cfg.learning_rate * 0.5 * (1.0 + (std::f32::consts::PI * progress_frac).cos())
    } else {
        cfg.learning_rate
    }
}

/// One Adam step on a mini-batch; returns the batch's mean cross-entropy.
fn step(
    mlp: &mut Mlp,
    adam: &mut Adam,
    cfg: &TrainConfig,
    lr: f32,
    x: &Array2<f32>,
    labels: &[usize],
) -> f64 {
    let n_layers = mlp.layers.len();
    // Forward, keeping each layer's input.
    let mut inputs: Vec<Array2<f32>> = Vec::with_capacity(n_layers);
    let mut h = x.clone();
    for (k, l) in mlp.layers.iter().enumerate() {
        let mut z = h.dot(&l.weight.t());
        z += &l.bias.view().insert_axis(Axis(0));
        if k + 1 < n_layers {
            z.mapv_inplace(|v| v.max(0.0));
        }
        inputs.push(std::mem::replace(&mut h, z));
    }
    // Softmax cross-entropy gradient: (p − onehot) / B.
    let b = labels.len() as f32;
    let mut loss = 0.0f64;
    let mut grad = h;
    for (mut row, &y) in grad.axis_iter_mut(Axis(0)).zip(labels) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        row.mapv_inplace(|v| (v - max).exp());
        let sum: f32 = row.sum();
        row.mapv_inplace(|v| v / sum);
        loss -= f64::from(row[y].max(1e-30)).ln();
        row[y] -= 1.0;
        row.mapv_inplace(|v| v / b);
    }
    adam.t += 1;
    let (b1, b2) = (cfg.beta1, cfg.beta2);
    let c1 = 1.0 - b1.powi(adam.t);
    let c2 = 1.0 - b2.powi(adam.t);
    let eps = cfg.eps;
    for k in (0..n_layers).rev() {
        let input = &inputs[k];
        let g_w = grad.t().dot(input);
        let g_b = grad.sum_axis(Axis(0));
        if k > 0 {
            let mut next = grad.dot(&mlp.layers[k].weight);
            // ReLU derivative: the input of layer k is the ReLU output of layer k−1.
            ndarray::Zip::from(&mut next).and(input).for_each(|g, &a| {
                if a <= 0.0 {
                    *g = 0.0;
                }
            });
            grad = next;
        }
        let l = &mut mlp.layers[k];
        ndarray::Zip::from(&mut l.weight)
            .and(&mut adam.m_w[k])
            .and(&mut adam.v_w[k])
            .and(&g_w)
            .for_each(|w, m, v, &g| {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            });
        ndarray::Zip::from(&mut l.bias)
            .and(&mut adam.m_b[k])
            .and(&mut adam.v_b[k])
            .and(&g_b)
            .for_each(|w, m, v, &g| {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            });
    }
    loss / f64::from(b)
}

/// Shift a square image by (dx, dy) pixels in place, filling with zeros.
fn shift_image(img: &mut [f32], side: usize, dx: isize, dy: isize) {
    if (dx, dy) == (0, 0) || img.len() != side * side {
        return;
    }
    let src = img.to_vec();
    let s = side as isize;
    for y in 0..s {
        for x in 0..s {
            let (sx, sy) = (x - dx, y - dy);
            img[(y * s + x) as usize] = if (0..s).contains(&sx) && (0..s).contains(&sy) {
                src[(sy * s + sx) as usize]
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_moves_pixels_and_fills_zero() {
        let mut img: Vec<f32> = (0..9).map(|v| v as f32).collect();
        shift_image(&mut img, 3, 1, 0);
        assert_eq!(img, vec![0.0, 0.0, 1.0, 0.0, 3.0, 4.0, 0.0, 6.0, 7.0]);
    }
}
