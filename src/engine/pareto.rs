//! The Pareto front of a sweep: the configs that no other config beats on both size (smaller is
//! better) and quality (accuracy for evaluable models, SQNR otherwise; larger is better).
//!
//! `a` dominates `b` when `size(a) ≤ size(b)`, `quality(a) ≥ quality(b)` and one of the two is
//! strict. Points with a NaN quality are never on the front. Of several identical points only
//! the first (lowest index) is kept, so the front draws as one clean staircase.

use serde::Serialize;

use super::config::ConfigPoint;
use crate::run::Metric;

/// What the y axis of the trade-off plot (and the front) measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Measured top-1 accuracy.
    Accuracy,
    /// Model-level fidelity of a run model (its metric named), in [0, 1].
    Fidelity(Metric),
    /// Model-wide SQNR in dB (the model cannot be run or evaluated).
    SqnrDb,
}

impl Objective {
    /// Accuracy when every point has one, else fidelity when every point has one (of one
    /// metric), else SQNR.
    pub fn for_points(points: &[ConfigPoint]) -> Self {
        if points.is_empty() {
            return Self::SqnrDb;
        }
        if points.iter().all(|p| p.accuracy.is_some()) {
            return Self::Accuracy;
        }
        let metric = points[0].fidelity.as_ref().map(|f| f.metric);
        match metric {
            Some(m)
                if points
                    .iter()
                    .all(|p| p.fidelity.as_ref().map(|f| f.metric) == Some(m)) =>
            {
                Self::Fidelity(m)
            }
            _ => Self::SqnrDb,
        }
    }

    /// The quality of one point under this objective.
    pub fn quality(self, p: &ConfigPoint) -> f64 {
        match self {
            Self::Accuracy => p.accuracy.unwrap_or(f64::NAN),
            Self::Fidelity(_) => p.fidelity.as_ref().map_or(f64::NAN, |f| f.value),
            Self::SqnrDb => p.sqnr_db,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Accuracy => "accuracy",
            Self::Fidelity(m) => m.name(),
            Self::SqnrDb => "sqnr_db",
        }
    }
}

/// Whether `a = (size, quality)` dominates `b`.
pub fn dominates(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.0 && a.1 >= b.1 && (a.0 < b.0 || a.1 > b.1)
}

/// Indices of the front of `(size, quality)` pairs, by increasing size (and quality).
pub fn front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| !points[i].0.is_nan() && !points[i].1.is_nan())
        .collect();
    // Size ascending, then quality descending, then index.
    order.sort_by(|&a, &b| {
        let (pa, pb) = (points[a], points[b]);
        pa.0.total_cmp(&pb.0)
            .then(pb.1.total_cmp(&pa.1))
            .then(a.cmp(&b))
    });
    let mut best = f64::NEG_INFINITY;
    let mut out = Vec::new();
    for i in order {
        let q = points[i].1;
        if out.is_empty() || q > best {
            out.push(i);
            best = q;
        }
    }
    out
}

/// The front of sweep points under `objective`, by size in bytes.
pub fn front_of(points: &[ConfigPoint], objective: Objective) -> Vec<usize> {
    let pairs: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.size_bytes as f64, objective.quality(p)))
        .collect();
    front(&pairs)
}

/// `true` for every point on the front.
pub fn flags(points: &[ConfigPoint], objective: Objective) -> Vec<bool> {
    let mut out = vec![false; points.len()];
    for i in front_of(points, objective) {
        out[i] = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(points: &[(f64, f64)]) {
        let f = front(points);
        assert!(!f.is_empty() || points.iter().all(|p| p.1.is_nan()));
        for &i in &f {
            for (j, &p) in points.iter().enumerate() {
                assert!(!dominates(p, points[i]), "{j} dominates front point {i}");
            }
        }
        // Every point off the front is dominated by (or equal to) a front point.
        for (j, &p) in points.iter().enumerate() {
            if f.contains(&j) || p.1.is_nan() {
                continue;
            }
            assert!(
                f.iter().any(|&i| dominates(points[i], p) || points[i] == p),
                "{j} neither on nor under the front"
            );
        }
        assert!(
            f.windows(2)
                .all(|w| points[w[0]].0 < points[w[1]].0 && points[w[0]].1 < points[w[1]].1)
        );
    }

    #[test]
    fn small_cases() {
        let pts = [
            (4.0, 0.9),
            (2.0, 0.8),
            (3.0, 0.7),
            (1.0, 0.1),
            (2.0, 0.8),
            (5.0, 0.95),
            (1.0, f64::NAN),
        ];
        assert_eq!(front(&pts), vec![3, 1, 0, 5]);
        check(&pts);
        assert!(front(&[]).is_empty());
        check(&[(1.0, f64::INFINITY), (0.5, 20.0), (0.25, 10.0)]);
    }

    #[test]
    fn pseudo_random_clouds() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 1000) as f64 / 10.0
        };
        for _ in 0..200 {
            let n = (next() as usize % 40) + 1;
            let pts: Vec<(f64, f64)> = (0..n).map(|_| (next().round(), next().round())).collect();
            check(&pts);
        }
    }
}
