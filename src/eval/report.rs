//! Top-1 accuracy, cross-entropy loss, confusion matrix and misclassified examples.

use ndarray::{ArrayView1, Axis};
use rayon::prelude::*;

use super::{Dataset, Mlp};

/// The result of evaluating a classifier on a dataset.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EvalReport {
    /// Top-1 accuracy in [0, 1].
    pub accuracy: f64,
    /// Mean cross-entropy (natural log) of the softmax of the logits.
    pub loss: f64,
    pub n: usize,
    pub correct: usize,
    /// `confusion[label][predicted]`.
    pub confusion: [[u32; 10]; 10],
    /// Every misclassified example: (row in the dataset, label, predicted), in row order.
    pub misclassified: Vec<(usize, u8, u8)>,
}

/// Rows per parallel chunk (two cores: two halves of the 1,000-image test set).
const CHUNK_ROWS: usize = 500;

/// Argmax (first maximum; NaN never wins) and cross-entropy of one row of logits.
fn score(logits: ArrayView1<'_, f32>, label: usize) -> (usize, f64) {
    let mut best = 0usize;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in logits.iter().enumerate() {
        if v > best_v {
            best_v = v;
            best = i;
        }
    }
    let max = f64::from(best_v);
    let lse = logits
        .iter()
        .map(|&v| (f64::from(v) - max).exp())
        .sum::<f64>()
        .ln()
        + max;
    let loss = lse - f64::from(logits.get(label).copied().unwrap_or(f32::NAN));
    (
        best,
        if loss.is_finite() {
            loss
        } else {
            f64::INFINITY
        },
    )
}

/// Evaluate `mlp` on `data` (float activations).
pub fn evaluate(mlp: &Mlp, data: &Dataset) -> EvalReport {
    evaluate_with(mlp, data, &|_, _| {})
}

/// Evaluate with an activation hook: `act(layer, values)` may modify each layer's input in
/// place before the matmul (see [`super::ActQuant`]). Batched: one `dot` per layer per chunk.
pub fn evaluate_with(
    mlp: &Mlp,
    data: &Dataset,
    act: &(dyn Fn(usize, &mut [f32]) + Sync),
) -> EvalReport {
    let n = data.len();
    let rows: Vec<(usize, f64)> = (0..n.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .flat_map_iter(|c| {
            let lo = c * CHUNK_ROWS;
            let hi = (lo + CHUNK_ROWS).min(n);
            let logits = mlp.forward_with(data.x.slice(ndarray::s![lo..hi, ..]), act);
            logits
                .axis_iter(Axis(0))
                .enumerate()
                .map(|(i, row)| score(row, usize::from(data.labels[lo + i])))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut report = EvalReport {
        accuracy: 0.0,
        loss: 0.0,
        n,
        correct: 0,
        confusion: [[0; 10]; 10],
        misclassified: Vec::new(),
    };
    let mut loss_sum = 0.0;
    for (i, &(pred, loss)) in rows.iter().enumerate() {
        let label = data.labels[i];
        loss_sum += loss;
        if pred < 10 && usize::from(label) < 10 {
            report.confusion[usize::from(label)][pred] += 1;
        }
        if pred == usize::from(label) {
            report.correct += 1;
        } else {
            report.misclassified.push((i, label, pred as u8));
        }
    }
    if n > 0 {
        report.accuracy = report.correct as f64 / n as f64;
        report.loss = loss_sum / n as f64;
    }
    report
}
