//! Prompt tuning on the shifted task, in its simplest visual form (input-space "visual
//! prompting", Bahng et al. 2022): one learned vector `p` of 784 values is added to every
//! input image, `x' = x + p`, and fed to the frozen built-in model. `p` starts at zero and is
//! the only trainable parameter; its gradient is the batch sum of dL/dx.
//!
//! A single additive pattern cannot undo a rotation (that needs a different input for every
//! image), so the gain is expected to be modest: the demo shows how few parameters prompt
//! tuning trains, and how much that buys here.

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use super::common::{
    Adam, Batch, Curve, DemoError, EpochPoint, Hooks, Label, Note, accuracy, backward,
    ce_loss_grad, forward, layer_refs, r4, train_loop,
};
use super::task::{
    AdaptCommon, AdaptRow, Task, TaskInfo, base_no_training, full_finetune, lowered_note,
};
use crate::eval::{Dataset, Mlp};

/// Settings of the prompt-tuning demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromptConfig {
    pub common: AdaptCommon,
}

impl Default for PromptConfig {
    fn default() -> Self {
        let mut common = AdaptCommon::default();
        // One vector of 784 values: a larger step size than for weight matrices.
        common.schedule.learning_rate = 1e-2;
        Self { common }
    }
}

/// The prompt-tuning table, the learned prompt and the curves.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PromptReport {
    pub config: PromptConfig,
    pub task: TaskInfo,
    /// Base model (no training), full fine-tuning (when run), prompt tuning.
    pub rows: Vec<AdaptRow>,
    /// The learned prompt (784 values, row-major 28 × 28), rounded to 4 decimals, for drawing.
    pub prompt: Vec<f32>,
    pub curves: Vec<Curve>,
    /// Orderings that did not come out as expected, with the reason.
    pub notes: Vec<Note>,
}

fn test_accuracy(mlp: &Mlp, p: &Array1<f32>, test: &Dataset) -> f64 {
    let x = &test.x + &p.view().insert_axis(Axis(0));
    let layers = layer_refs(mlp);
    accuracy(&forward(&layers, x.view(), false).out, &test.labels)
}

/// Run the demo.
pub fn run_prompt(
    cfg: &PromptConfig,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(&Label, &EpochPoint),
) -> Result<PromptReport, DemoError> {
    let mut hooks = Hooks { cancel, progress };
    let c = &cfg.common;
    let task = Task::build(c)?;
    let n = task.base.n_inputs();
    let mut p: Array1<f32> = Array1::zeros(n);
    let before = test_accuracy(&task.base, &p, &task.test);
    let mut rows = vec![task.row(base_no_training(), 0, before, before)];
    let mut curves = Vec::new();
    if c.full_finetune {
        // Full fine-tuning uses the weight learning rate of the other adaptation demos.
        let ft = AdaptCommon {
            schedule: AdaptCommon::default().schedule,
            ..c.clone()
        };
        let ft = AdaptCommon {
            schedule: super::common::Schedule {
                epochs: c.schedule.epochs,
                ..ft.schedule
            },
            ..ft
        };
        let (row, curve) = full_finetune(&task, &ft, &mut hooks)?;
        rows.push(row);
        curves.push(curve);
    }
    let mut adam = Adam::new(&[n]);
    let layers = layer_refs(&task.base);
    let cell = std::cell::RefCell::new(&mut p);
    let series = Label::new(
        "prompt_tuning",
        vec![n.to_string()],
        format!("prompt tuning ({n} input values)"),
    );
    let curve = train_loop(
        &task.train,
        &c.schedule,
        c.seed,
        &series,
        &mut hooks,
        &mut |b: Batch<'_>| {
            let mut p = cell.borrow_mut();
            let x: Array2<f32> = &b.x + &p.view().insert_axis(Axis(0));
            let tr = forward(&layers, x.view(), false);
            let (loss, g) = ce_loss_grad(&tr.out, b.labels);
            let gx = backward(&layers, &tr, g, false, false, true)
                .input
                .unwrap_or_default();
            let gp = gx.sum_axis(Axis(0));
            let mut params: [&mut [f32]; 1] = [p.as_slice_mut().unwrap_or(&mut [])];
            adam.step(&mut params, &[gp.as_slice().unwrap_or(&[])], b.lr);
            loss
        },
        &mut || test_accuracy(&task.base, &cell.borrow(), &task.test),
    )?;
    curves.push(curve);
    let after = test_accuracy(&task.base, &p, &task.test);
    rows.push(task.row(series, n, before, after));
    let notes = lowered_note("prompt_lowered", "prompt tuning", before, after)
        .into_iter()
        .collect();
    Ok(PromptReport {
        config: cfg.clone(),
        task: task.info(c),
        rows,
        prompt: p.iter().map(|&v| r4(f64::from(v)) as f32).collect(),
        curves,
        notes,
    })
}
