//! Fidelity metrics: compressed outputs against the fp32 outputs of the same inputs.

use super::{Fidelity, Metric};

/// cos(a, b) in f64; 1 when both are zero, 0 when one is.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    match (aa > 0.0, bb > 0.0) {
        (false, false) => 1.0,
        (true, true) => (ab / (aa.sqrt() * bb.sqrt())).clamp(-1.0, 1.0),
        _ => 0.0,
    }
}

/// The `k` nearest other rows of `rows[i]` by cosine (ties broken by index).
fn neighbours(rows: &[Vec<f32>], i: usize, k: usize) -> Vec<usize> {
    let mut sims: Vec<(f64, usize)> = rows
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(j, r)| (cosine(&rows[i], r), j))
        .collect();
    sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    sims.into_iter().take(k).map(|(_, j)| j).collect()
}

/// Sentence encoders: mean cos(fp32 embedding, compressed embedding), and the mean fraction of
/// each sentence's 10 nearest neighbours (fp32) that stay among its 10 nearest (compressed).
pub fn embedding_fidelity(reference: &[Vec<f32>], out: &[Vec<f32>]) -> Fidelity {
    let n = reference.len().min(out.len());
    let cos = (0..n).map(|i| cosine(&reference[i], &out[i])).sum::<f64>() / n.max(1) as f64;
    let k = 10.min(n.saturating_sub(1));
    let overlap = if k == 0 {
        1.0
    } else {
        (0..n)
            .map(|i| {
                let a = neighbours(reference, i, k);
                let b = neighbours(out, i, k);
                a.iter().filter(|j| b.contains(j)).count() as f64 / k as f64
            })
            .sum::<f64>()
            / n as f64
    };
    Fidelity {
        metric: Metric::EmbeddingCosine,
        value: cos,
        n_inputs: n,
        synthetic: false,
        others: vec![(Metric::NeighbourOverlap10, overlap)],
    }
}

/// Voice activity: fraction of frames with the same decision (p ≥ `threshold`) as fp32, and
/// 1 − mean |Δp|.
pub fn frame_fidelity(reference: &[f32], out: &[f32], threshold: f32) -> Fidelity {
    let n = reference.len().min(out.len());
    let same = (0..n)
        .filter(|&i| (reference[i] >= threshold) == (out[i] >= threshold))
        .count();
    let dp = (0..n)
        .map(|i| f64::from((reference[i] - out[i]).abs()))
        .sum::<f64>()
        / n.max(1) as f64;
    Fidelity {
        metric: Metric::FrameAgreement,
        value: same as f64 / n.max(1) as f64,
        n_inputs: n,
        synthetic: false,
        others: vec![(Metric::OneMinusMeanAbsDeltaP, 1.0 - dp)],
    }
}

/// Probabilities of one row: the row itself when it already is a distribution, else its softmax.
fn distribution(row: &[f32]) -> Vec<f64> {
    let sum: f64 = row.iter().map(|&x| f64::from(x)).sum();
    if row.iter().all(|&x| x >= 0.0) && (sum - 1.0).abs() < 1e-3 {
        return row.iter().map(|&x| f64::from(x)).collect();
    }
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    let e: Vec<f64> = row.iter().map(|&x| f64::from(x - max).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|x| x / s).collect()
}

fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv { (i, v) } else { (bi, bv) }
        })
        .0
}

/// Classifiers and generic graphs: rows of `classes` outputs. With more than one class the
/// headline is top-1 agreement (plus output cosine and softmax KL); otherwise output cosine.
pub fn output_fidelity(
    reference: &[f32],
    out: &[f32],
    classes: usize,
    synthetic: bool,
) -> Fidelity {
    let classes = classes.max(1);
    let rows = reference.len().min(out.len()) / classes;
    let row = |v: &'_ [f32], r: usize| -> Vec<f32> { v[r * classes..(r + 1) * classes].to_vec() };
    let (mut agree, mut cos, mut kl) = (0usize, 0.0f64, 0.0f64);
    for r in 0..rows {
        let (a, b) = (row(reference, r), row(out, r));
        agree += usize::from(argmax(&a) == argmax(&b));
        cos += cosine(&a, &b);
        if classes > 1 {
            let (p, q) = (distribution(&a), distribution(&b));
            kl += p
                .iter()
                .zip(&q)
                .filter(|&(&p, _)| p > 0.0)
                .map(|(&p, &q)| p * (p / q.max(1e-30)).ln())
                .sum::<f64>();
        }
    }
    let n = rows.max(1) as f64;
    let (cos, kl) = (cos / n, kl / n);
    if classes > 1 {
        Fidelity {
            metric: Metric::Top1Agreement,
            value: agree as f64 / n,
            n_inputs: rows,
            synthetic,
            others: vec![(Metric::OutputCosine, cos), (Metric::SoftmaxKl, kl)],
        }
    } else {
        Fidelity {
            metric: Metric::OutputCosine,
            value: cosine(&reference[..rows], &out[..rows]),
            n_inputs: rows,
            synthetic,
            others: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_outputs_score_one() {
        let e = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.7, 0.7]];
        let f = embedding_fidelity(&e, &e);
        assert!((f.value - 1.0).abs() < 1e-12);
        assert_eq!(f.others, vec![(Metric::NeighbourOverlap10, 1.0)]);
        let p = [0.1, 0.9, 0.6, 0.2];
        assert_eq!(frame_fidelity(&p, &p, 0.5).value, 1.0);
        let o = output_fidelity(&[1.0, 2.0, 3.0, 0.0], &[1.0, 2.0, 3.0, 0.0], 2, false);
        assert_eq!(o.metric, Metric::Top1Agreement);
        assert_eq!(o.value, 1.0);
        assert!(o.others[1].1.abs() < 1e-12);
    }

    #[test]
    fn changed_outputs_score_less() {
        let f = frame_fidelity(&[0.9, 0.9, 0.1, 0.1], &[0.9, 0.1, 0.1, 0.1], 0.5);
        assert_eq!(f.value, 0.75);
        assert!((f.others[0].1 - 0.8).abs() < 1e-6);
        let o = output_fidelity(&[1.0, 0.0, 0.0, 1.0], &[1.0, 0.0, 1.0, 0.0], 2, true);
        assert_eq!(o.value, 0.5);
        assert!(o.synthetic);
        assert!(o.others[1].1 > 0.0);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
    }
}
