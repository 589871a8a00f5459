//! A plain named tensor of `f32` values and its summary statistics.

/// A dense tensor in row-major order. Row = first axis (the output channel of a
/// `[out, in]` weight matrix), as in PyTorch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(name: impl Into<String>, shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self {
            name: name.into(),
            shape,
            data,
        }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `(rows, cols)` when viewed as a matrix: the first axis against all others.
    pub fn rows_cols(&self) -> (usize, usize) {
        match self.shape.first() {
            Some(&r) if r > 0 => (r, self.data.len() / r),
            _ => (1, self.data.len()),
        }
    }
}

/// Summary statistics of a tensor's values.
///
/// NaN and ±Inf are counted and excluded: every other field is computed over the finite values
/// only, so the numbers stay well defined for a file that contains a few non-finite weights.
/// All fields are 0 when no finite value exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TensorStats {
    /// Number of elements, finite or not.
    pub count: usize,
    pub nan_count: usize,
    pub inf_count: usize,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Pearson kurtosis m4 / m2² (a normal distribution gives 3; heavy tails give more).
    pub kurtosis: f64,
    /// Fraction of the finite values with |w − mean| > 6σ.
    pub outlier_ratio: f64,
}

impl TensorStats {
    /// Statistics of `data` (three passes, f64 accumulation).
    pub fn of(data: &[f32]) -> Self {
        let mut s = Self {
            count: data.len(),
            ..Self::default()
        };
        let (mut n, mut sum) = (0usize, 0.0f64);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in data {
            if v.is_nan() {
                s.nan_count += 1;
            } else if v.is_infinite() {
                s.inf_count += 1;
            } else {
                let v = f64::from(v);
                n += 1;
                sum += v;
                min = min.min(v);
                max = max.max(v);
            }
        }
        if n == 0 {
            return s;
        }
        let mean = sum / n as f64;
        let (mut m2, mut m4) = (0.0f64, 0.0f64);
        for &v in data.iter().filter(|v| v.is_finite()) {
            let d = f64::from(v) - mean;
            let d2 = d * d;
            m2 += d2;
            m4 += d2 * d2;
        }
        m2 /= n as f64;
        m4 /= n as f64;
        let std = m2.sqrt();
        let outliers = if std > 0.0 {
            let limit = 6.0 * std;
            data.iter()
                .filter(|v| v.is_finite() && (f64::from(**v) - mean).abs() > limit)
                .count()
        } else {
            0
        };
        s.min = min;
        s.max = max;
        s.mean = mean;
        s.std = std;
        s.kurtosis = if m2 > 0.0 { m4 / (m2 * m2) } else { 0.0 };
        s.outlier_ratio = outliers as f64 / n as f64;
        s
    }
}

impl Tensor {
    /// Summary statistics of the values (see [`TensorStats`]).
    pub fn stats(&self) -> TensorStats {
        TensorStats::of(&self.data)
    }
}

#[cfg(test)]
mod stats_tests {
    use super::*;

    #[test]
    fn stats_count_non_finite_and_skip_them() {
        let s = TensorStats::of(&[1.0, 2.0, 3.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY]);
        assert_eq!((s.count, s.nan_count, s.inf_count), (6, 1, 2));
        assert_eq!((s.min, s.max, s.mean), (1.0, 3.0, 2.0));
        assert!((s.std - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((s.kurtosis - 1.5).abs() < 1e-12);
    }

    #[test]
    fn stats_of_empty_and_constant_are_zero() {
        assert_eq!(TensorStats::of(&[]), TensorStats::default());
        let s = TensorStats::of(&[4.0; 10]);
        assert_eq!((s.std, s.kurtosis, s.outlier_ratio), (0.0, 0.0, 0.0));
    }

    #[test]
    fn stats_find_a_six_sigma_outlier() {
        let mut v = vec![0.0f32; 1000];
        for (i, x) in v.iter_mut().enumerate() {
            *x = if i % 2 == 0 { 1.0 } else { -1.0 };
        }
        v[0] = 100.0;
        let s = TensorStats::of(&v);
        assert!((s.outlier_ratio - 0.001).abs() < 1e-12, "{s:?}");
        assert!(s.kurtosis > 100.0);
    }
}
