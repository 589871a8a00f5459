//! The shifted task the parameter-efficient demos adapt the built-in model to: every MNIST-5k
//! digit rotated by a fixed angle about the image centre and then translated (bilinear
//! interpolation, zero fill), built from the bundled training and test splits. The built-in
//! model was trained with random shifts of up to ±2 px, so the default task goes well beyond
//! that (rotation 40°, shift +3 px right and down).
//!
//! Also the common rows of the LoRA / QLoRA / adapter / prompt tables, and the full
//! fine-tuning baseline they are compared with.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::common::{
    Adam, Batch, Curve, DemoError, Hooks, Label, Note, Schedule, backward, builtin_mlp,
    ce_loss_grad, datasets, forward, layer_refs, n_params, pct1, r4,
};
use crate::eval::{Dataset, Mlp, evaluate};

/// How the digits are moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskConfig {
    /// Counter-clockwise rotation about the image centre, degrees.
    pub rotate_degrees: f32,
    /// Translation after the rotation, pixels (right, down).
    pub shift_px: (i32, i32),
}

impl Default for TaskConfig {
    fn default() -> Self {
        Self {
            rotate_degrees: 40.0,
            shift_px: (3, 3),
        }
    }
}

impl TaskConfig {
    pub fn describe(&self) -> String {
        format!(
            "MNIST-5k digits rotated {}° and shifted ({}, {}) px",
            self.rotate_degrees, self.shift_px.0, self.shift_px.1
        )
    }
}

/// Settings common to every adaptation demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdaptCommon {
    pub seed: u64,
    pub task: TaskConfig,
    pub schedule: Schedule,
    /// Use only the first N training / test images (quick tests); `None` = all.
    pub train_limit: Option<usize>,
    pub test_limit: Option<usize>,
    /// Also run full fine-tuning of every weight and bias as the baseline row.
    pub full_finetune: bool,
}

impl Default for AdaptCommon {
    fn default() -> Self {
        Self {
            seed: 1,
            task: TaskConfig::default(),
            schedule: Schedule {
                epochs: 10,
                batch_size: 64,
                learning_rate: 1e-3,
                cosine_decay: true,
            },
            train_limit: None,
            test_limit: None,
            full_finetune: true,
        }
    }
}

/// One row of an adaptation table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdaptRow {
    /// E.g. `full fine-tuning`, `LoRA r=4 (fc1, fc2, fc3)`.
    pub method: Label,
    pub trainable_params: usize,
    /// Trainable parameters / parameters of the built-in model.
    pub trainable_fraction: f64,
    /// Adam state: two f32 moments per trainable parameter.
    pub optimizer_bytes: u64,
    /// Accuracy on the shifted test set before and after training.
    pub accuracy_before: f64,
    pub accuracy_after: f64,
}

/// The shifted task, ready to train on.
pub struct Task {
    pub base: Mlp,
    pub train: Dataset,
    pub test: Dataset,
    /// Accuracy of the unchanged base model on the original and on the shifted test set.
    pub base_accuracy_original: f64,
    pub base_accuracy_shifted: f64,
}

/// Summary of the task for a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskInfo {
    pub description: String,
    pub train_images: usize,
    pub test_images: usize,
    pub base_params: usize,
    pub base_accuracy_original: f64,
    pub base_accuracy_shifted: f64,
}

/// A note when adapting with `method` lowered the test accuracy (`code` names it for the app).
pub fn lowered_note(code: &'static str, method: &str, before: f64, after: f64) -> Option<Note> {
    (after < before).then(|| {
        let (b, a) = (pct1(before), pct1(after));
        Note::new(
            code,
            vec![b.clone(), a.clone()],
            format!("{method} lowered the accuracy ({b} % → {a} %)"),
        )
    })
}

impl Task {
    pub fn build(c: &AdaptCommon) -> Result<Task, DemoError> {
        let base = builtin_mlp()?;
        let (train, test) = datasets(c.train_limit, c.test_limit)?;
        let base_accuracy_original = evaluate(&base, &test).accuracy;
        let train = transform_dataset(&train, &c.task);
        let test = transform_dataset(&test, &c.task);
        let base_accuracy_shifted = evaluate(&base, &test).accuracy;
        Ok(Task {
            base,
            train,
            test,
            base_accuracy_original,
            base_accuracy_shifted,
        })
    }

    pub fn info(&self, c: &AdaptCommon) -> TaskInfo {
        TaskInfo {
            description: c.task.describe(),
            train_images: self.train.len(),
            test_images: self.test.len(),
            base_params: n_params(&self.base),
            base_accuracy_original: r4(self.base_accuracy_original),
            base_accuracy_shifted: r4(self.base_accuracy_shifted),
        }
    }

    /// A table row for a method with `trainable` parameters.
    pub fn row(&self, method: Label, trainable: usize, before: f64, after: f64) -> AdaptRow {
        AdaptRow {
            method,
            trainable_params: trainable,
            trainable_fraction: r4(trainable as f64 / n_params(&self.base).max(1) as f64),
            optimizer_bytes: Adam::state_bytes(trainable),
            accuracy_before: r4(before),
            accuracy_after: r4(after),
        }
    }
}

/// The row of the unchanged base model.
pub fn base_no_training() -> Label {
    Label::fixed("base_no_training", "base model, no training")
}

/// Full fine-tuning of every weight and bias of the base model on the shifted task.
pub fn full_finetune(
    task: &Task,
    c: &AdaptCommon,
    hooks: &mut Hooks<'_>,
) -> Result<(AdaptRow, Curve), DemoError> {
    let mut mlp = task.base.clone();
    let sizes: Vec<usize> = mlp
        .layers
        .iter()
        .flat_map(|l| [l.weight.len(), l.bias.len()])
        .collect();
    let mut adam = Adam::new(&sizes);
    let cell = std::cell::RefCell::new(&mut mlp);
    let curve = super::common::train_loop(
        &task.train,
        &c.schedule,
        c.seed,
        &Label::fixed("full_fine_tuning", "full fine-tuning"),
        hooks,
        &mut |b: Batch<'_>| {
            let mut m = cell.borrow_mut();
            let layers = layer_refs(&m);
            let tr = forward(&layers, b.x.view(), false);
            let (loss, g) = ce_loss_grad(&tr.out, b.labels);
            let gr = backward(&layers, &tr, g, false, true, false);
            adam.step_mlp(&mut m, &gr, b.lr);
            loss
        },
        &mut || evaluate(&cell.borrow(), &task.test).accuracy,
    )?;
    let after = evaluate(&mlp, &task.test).accuracy;
    let row = task.row(
        Label::fixed("full_fine_tuning", "full fine-tuning"),
        n_params(&task.base),
        task.base_accuracy_shifted,
        after,
    );
    Ok((row, curve))
}

/// The dataset with every image rotated and shifted.
pub fn transform_dataset(d: &Dataset, t: &TaskConfig) -> Dataset {
    let side = d.image_side;
    let mut out = d.clone();
    let mut pixels = Vec::with_capacity(d.pixels.len());
    for (i, mut row) in out.x.axis_iter_mut(ndarray::Axis(0)).enumerate() {
        let src: Vec<f32> = d.x.row(i).to_vec();
        let moved = transform_image(&src, side, t);
        for (o, v) in row.iter_mut().zip(&moved) {
            *o = *v;
        }
        pixels.extend(
            moved
                .iter()
                .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8),
        );
    }
    out.pixels = Arc::from(pixels);
    out.name = format!("{}-shifted", d.name);
    out
}

/// Rotate a square image about its centre by `rotate_degrees` (counter-clockwise on screen)
/// and translate it, sampling the source bilinearly (zero outside).
pub fn transform_image(img: &[f32], side: usize, t: &TaskConfig) -> Vec<f32> {
    if img.len() != side * side {
        return img.to_vec();
    }
    let c = (side as f32 - 1.0) / 2.0;
    let (s, co) = t.rotate_degrees.to_radians().sin_cos();
    let get = |x: isize, y: isize| -> f32 {
        if (0..side as isize).contains(&x) && (0..side as isize).contains(&y) {
            img[y as usize * side + x as usize]
        } else {
            0.0
        }
    };
    let mut out = vec![0.0f32; img.len()];
    for y in 0..side {
        for x in 0..side {
            // Inverse map: undo the shift, then rotate back (y grows downwards on screen).
            let dx = x as f32 - t.shift_px.0 as f32 - c;
            let dy = y as f32 - t.shift_px.1 as f32 - c;
            let sx = co * dx - s * dy + c;
            let sy = s * dx + co * dy + c;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let v = get(x0, y0) * (1.0 - fx) * (1.0 - fy)
                + get(x0 + 1, y0) * fx * (1.0 - fy)
                + get(x0, y0 + 1) * (1.0 - fx) * fy
                + get(x0 + 1, y0 + 1) * fx * fy;
            out[y * side + x] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_transform_keeps_the_image() {
        let img: Vec<f32> = (0..16).map(|v| v as f32 / 16.0).collect();
        let t = TaskConfig {
            rotate_degrees: 0.0,
            shift_px: (0, 0),
        };
        let out = transform_image(&img, 4, &t);
        for (a, b) in img.iter().zip(&out) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn shift_moves_right_and_down() {
        let mut img = vec![0.0f32; 9];
        img[0] = 1.0;
        let t = TaskConfig {
            rotate_degrees: 0.0,
            shift_px: (1, 2),
        };
        let out = transform_image(&img, 3, &t);
        assert!((out[2 * 3 + 1] - 1.0).abs() < 1e-6);
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn quarter_turn_is_a_permutation() {
        let img: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let t = TaskConfig {
            rotate_degrees: 90.0,
            shift_px: (0, 0),
        };
        let mut out = transform_image(&img, 3, &t);
        for v in &mut out {
            *v = v.round();
        }
        let mut sorted = out.clone();
        sorted.sort_by(f32::total_cmp);
        assert_eq!(sorted, img);
        assert_ne!(out, img);
    }
}
