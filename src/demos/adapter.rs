//! Adapters (Houlsby et al. 2019) on the shifted task: a bottleneck MLP inserted after a
//! hidden layer of the frozen built-in model,
//! `h' = h + W_up · ReLU(W_down · h + b_down) + b_up` (d → r → d, residual), with `W_up` and
//! `b_up` initialised to zero so training starts exactly at the base model. Only the adapter
//! is trained; every weight of the base model stays frozen.

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::common::{
    Adam, Batch, Curve, DemoError, EpochPoint, Hooks, Label, LayerRef, Note, accuracy, backward,
    ce_loss_grad, flat, flat_mut, forward, layer_refs, train_loop, uniform,
};
use super::task::{
    AdaptCommon, AdaptRow, Task, TaskInfo, base_no_training, full_finetune, lowered_note,
};
use crate::eval::rng::SplitMix64;
use crate::eval::{Dataset, Mlp};

/// Settings of the adapter demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdapterConfig {
    pub common: AdaptCommon,
    /// Insert after this many layers of the base model (1 = after fc1's ReLU, d = 128;
    /// 2 = after fc2's ReLU, d = 64).
    pub after_layer: usize,
    /// Bottleneck width r.
    pub bottleneck: usize,
}

impl Default for AdapterConfig {
    fn default() -> Self {
        Self {
            common: AdaptCommon::default(),
            after_layer: 1,
            bottleneck: 16,
        }
    }
}

/// The adapter table and curves.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdapterReport {
    pub config: AdapterConfig,
    pub task: TaskInfo,
    /// Width d of the layer the adapter is inserted after.
    pub width: usize,
    /// Base model (no training), full fine-tuning (when run), adapter.
    pub rows: Vec<AdaptRow>,
    pub curves: Vec<Curve>,
    /// Orderings that did not come out as expected, with the reason.
    pub notes: Vec<Note>,
}

/// The bottleneck: down `[r, d]`, up `[d, r]`.
struct Bottleneck {
    down_w: Array2<f32>,
    down_b: Array1<f32>,
    up_w: Array2<f32>,
    up_b: Array1<f32>,
}

impl Bottleneck {
    fn layers(&self) -> [LayerRef<'_>; 2] {
        [
            (self.down_w.view(), self.down_b.view()),
            (self.up_w.view(), self.up_b.view()),
        ]
    }

    fn n_params(&self) -> usize {
        self.down_w.len() + self.down_b.len() + self.up_w.len() + self.up_b.len()
    }
}

/// Logits of the base model with the adapter after layer `k`.
fn logits(mlp: &Mlp, k: usize, ad: &Bottleneck, x: &Array2<f32>) -> Array2<f32> {
    let layers = layer_refs(mlp);
    let h = forward(&layers[..k], x.view(), true).out;
    let h2 = &h + &forward(&ad.layers(), h.view(), false).out;
    forward(&layers[k..], h2.view(), false).out
}

fn test_accuracy(mlp: &Mlp, k: usize, ad: &Bottleneck, test: &Dataset) -> f64 {
    accuracy(&logits(mlp, k, ad, &test.x), &test.labels)
}

/// Run the demo.
pub fn run_adapter(
    cfg: &AdapterConfig,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(&Label, &EpochPoint),
) -> Result<AdapterReport, DemoError> {
    let mut hooks = Hooks { cancel, progress };
    let c = &cfg.common;
    let task = Task::build(c)?;
    let n_layers = task.base.layers.len();
    let k = cfg.after_layer;
    if k == 0 || k >= n_layers || cfg.bottleneck == 0 {
        return Err(DemoError::Invalid(format!(
            "the adapter goes after a hidden layer (1..={}) and needs a bottleneck ≥ 1",
            n_layers - 1
        )));
    }
    let d = task.base.layers[k - 1].n_out();
    let r = cfg.bottleneck;
    let mut rng = SplitMix64::new(c.seed ^ 0xADA7);
    let bound = 1.0 / (d as f32).sqrt();
    let mut ad = Bottleneck {
        down_w: uniform(&mut rng, r, d, bound),
        down_b: Array1::zeros(r),
        up_w: Array2::zeros((d, r)),
        up_b: Array1::zeros(d),
    };
    let before = test_accuracy(&task.base, k, &ad, &task.test);
    let mut rows = vec![task.row(base_no_training(), 0, before, before)];
    let mut curves = Vec::new();
    if c.full_finetune {
        let (row, curve) = full_finetune(&task, c, &mut hooks)?;
        rows.push(row);
        curves.push(curve);
    }
    let n = ad.n_params();
    let series = adapter_label(&task, k, d, r);
    let curve = train_adapter(&task, c, k, &mut ad, &series, &mut hooks)?;
    curves.push(curve);
    let after = test_accuracy(&task.base, k, &ad, &task.test);
    rows.push(task.row(series, n, before, after));
    let notes = lowered_note("adapter_lowered", "the adapter", before, after)
        .into_iter()
        .collect();
    Ok(AdapterReport {
        config: cfg.clone(),
        task: task.info(c),
        width: d,
        rows,
        curves,
        notes,
    })
}

/// The series label of an adapter `d-r-d` after layer `k` (1-based).
fn adapter_label(task: &Task, k: usize, d: usize, r: usize) -> Label {
    let name = task.base.layers[k - 1]
        .weight_name
        .trim_end_matches(".weight")
        .to_owned();
    // Widths as the distillation demo writes architectures (`784-32-10`): a plot legend draws
    // "→" between digits too small to read.
    Label::new(
        "adapter_after",
        vec![d.to_string(), r.to_string(), name.clone()],
        format!("adapter {d}-{r}-{d} after {name}"),
    )
}

/// Train the adapter after layer `k` with Adam, the base model frozen.
fn train_adapter(
    task: &Task,
    c: &AdaptCommon,
    k: usize,
    ad: &mut Bottleneck,
    series: &Label,
    hooks: &mut Hooks<'_>,
) -> Result<Curve, DemoError> {
    let (r, d) = (ad.down_b.len(), ad.up_b.len());
    let mut adam = Adam::new(&[ad.down_w.len(), r, ad.up_w.len(), d]);
    let layers = layer_refs(&task.base);
    let cell = std::cell::RefCell::new(ad);
    train_loop(
        &task.train,
        &c.schedule,
        c.seed,
        series,
        hooks,
        &mut |b: Batch<'_>| {
            let mut ad = cell.borrow_mut();
            let h = forward(&layers[..k], b.x.view(), true).out;
            let ad_layers = ad.layers();
            let tr_ad = forward(&ad_layers, h.view(), false);
            let h2 = &h + &tr_ad.out;
            let tr_back = forward(&layers[k..], h2.view(), false);
            let (loss, g) = ce_loss_grad(&tr_back.out, b.labels);
            let g_h2 = backward(&layers[k..], &tr_back, g, false, false, true)
                .input
                .unwrap_or_default();
            // The residual passes g_h2 to h unchanged; the adapter branch gets it too.
            let ga = backward(&ad_layers, &tr_ad, g_h2, false, true, false);
            let grads: [&[f32]; 4] = [
                flat(&ga.w[0]),
                ga.b[0].as_slice().unwrap_or(&[]),
                flat(&ga.w[1]),
                ga.b[1].as_slice().unwrap_or(&[]),
            ];
            let Bottleneck {
                down_w,
                down_b,
                up_w,
                up_b,
            } = &mut **ad;
            let mut params: [&mut [f32]; 4] = [
                flat_mut(down_w),
                down_b.as_slice_mut().unwrap_or(&mut []),
                flat_mut(up_w),
                up_b.as_slice_mut().unwrap_or(&mut []),
            ];
            adam.step(&mut params, &grads, b.lr);
            loss
        },
        &mut || test_accuracy(&task.base, k, &cell.borrow(), &task.test),
    )
}
