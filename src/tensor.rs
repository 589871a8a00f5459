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

/// `read(start, buf)`: fill `buf` with values `start .. start + buf.len()` (see
/// [`TensorStats::of_chunks`]).
pub type ReadUnit<'a, E> = dyn Fn(usize, &mut [f32]) -> Result<(), E> + Sync + 'a;

/// Elements per unit of the statistics passes (fits in L2; partial results merge in unit order,
/// so the figures do not depend on the number of threads or on where the values come from).
pub const STATS_CHUNK: usize = 1 << 16;

/// Moments of the finite values of one unit (Pébay's pairwise update merges units exactly as
/// the closed formulas would, without the cancellation of raw power sums).
#[derive(Clone, Copy, Debug)]
struct Partial {
    nan: usize,
    inf: usize,
    n: usize,
    min: f32,
    max: f32,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Partial {
    const EMPTY: Self = Self {
        nan: 0,
        inf: 0,
        n: 0,
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        mean: 0.0,
        m2: 0.0,
        m3: 0.0,
        m4: 0.0,
    };

    /// One unit. All-finite units (the usual case) take branch-free eight-lane loops that
    /// vectorise; a unit with NaN or ±Inf takes [`Partial::of_mixed`]. Both compute the same
    /// figures in the same lane order.
    fn of(x: &[f32]) -> Self {
        #[cfg(target_arch = "x86_64")]
        if crate::simd::wide() {
            // SAFETY: `wide()` checked that the CPU has AVX2 and FMA, all `of_avx2` needs.
            #[allow(
                unsafe_code,
                reason = "AVX2 build of the same loop after run-time detection"
            )]
            return unsafe { Self::of_avx2(x) };
        }
        Self::of_lanes(x)
    }

    /// [`Partial::of_lanes`] compiled for AVX2 (the same operations in the same order: wider
    /// registers, identical figures).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn of_avx2(x: &[f32]) -> Self {
        Self::of_lanes(x)
    }

    #[inline(always)]
    fn of_lanes(x: &[f32]) -> Self {
        let non_finite = x.iter().fold(0u32, |a, v| {
            a | u32::from(v.to_bits() & 0x7f80_0000 == 0x7f80_0000)
        });
        if non_finite != 0 {
            return Self::of_mixed(x);
        }
        let mut sum = [0.0f64; 8];
        let mut lo = [f32::INFINITY; 8];
        let mut hi = [f32::NEG_INFINITY; 8];
        let octs = x.chunks_exact(8);
        let tail = octs.remainder();
        for c in octs {
            for k in 0..8 {
                let v = c[k];
                sum[k] += f64::from(v);
                lo[k] = if v < lo[k] { v } else { lo[k] };
                hi[k] = if v > hi[k] { v } else { hi[k] };
            }
        }
        for (k, &v) in tail.iter().enumerate() {
            sum[k] += f64::from(v);
            lo[k] = lo[k].min(v);
            hi[k] = hi[k].max(v);
        }
        let mut p = Self {
            n: x.len(),
            min: lo.iter().copied().fold(f32::INFINITY, f32::min),
            max: hi.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            ..Self::EMPTY
        };
        if p.n == 0 {
            return p;
        }
        p.mean = sum.iter().sum::<f64>() / p.n as f64;
        p.central_moments(x, f64::from);
        p
    }

    /// Central moments about `self.mean` of `value(v)` over `x` (0 for values to skip), eight
    /// lanes so the adds do not wait on each other.
    #[inline(always)]
    fn central_moments(&mut self, x: &[f32], value: impl Fn(f32) -> f64) {
        let (mut m2, mut m3, mut m4) = ([0.0f64; 8], [0.0f64; 8], [0.0f64; 8]);
        let octs = x.chunks_exact(8);
        let tail = octs.remainder();
        let mean = self.mean;
        for c in octs {
            for k in 0..8 {
                let d = value(c[k]) - mean;
                let d2 = d * d;
                m2[k] += d2;
                m3[k] += d2 * d;
                m4[k] += d2 * d2;
            }
        }
        for (k, &v) in tail.iter().enumerate() {
            let d = value(v) - mean;
            let d2 = d * d;
            m2[k] += d2;
            m3[k] += d2 * d;
            m4[k] += d2 * d2;
        }
        self.m2 = m2.iter().sum();
        self.m3 = m3.iter().sum();
        self.m4 = m4.iter().sum();
    }

    /// A unit holding NaN or ±Inf: they are counted and skipped.
    fn of_mixed(x: &[f32]) -> Self {
        let mut sum = [0.0f64; 8];
        let (mut p, mut nan, mut inf) = (Self::EMPTY, 0usize, 0usize);
        for (i, &v) in x.iter().enumerate() {
            if v.is_finite() {
                sum[i % 8] += f64::from(v);
                p.min = p.min.min(v);
                p.max = p.max.max(v);
            } else if v.is_nan() {
                nan += 1;
            } else {
                inf += 1;
            }
        }
        p.nan = nan;
        p.inf = inf;
        p.n = x.len() - nan - inf;
        if p.n == 0 {
            return p;
        }
        p.mean = sum.iter().sum::<f64>() / p.n as f64;
        let mean = p.mean;
        p.central_moments(x, |v| if v.is_finite() { f64::from(v) } else { mean });
        p
    }

    fn merge(a: Self, b: Self) -> Self {
        let mut out = Self {
            nan: a.nan + b.nan,
            inf: a.inf + b.inf,
            min: a.min.min(b.min),
            max: a.max.max(b.max),
            ..a
        };
        if b.n == 0 {
            return out;
        }
        if a.n == 0 {
            return Self {
                nan: out.nan,
                inf: out.inf,
                ..b
            };
        }
        let (na, nb) = (a.n as f64, b.n as f64);
        let n = na + nb;
        let d = b.mean - a.mean;
        let (d2, dn) = (d * d, d / n);
        out.n = a.n + b.n;
        out.mean = a.mean + dn * nb;
        out.m2 = a.m2 + b.m2 + d2 * na * nb / n;
        out.m3 =
            a.m3 + b.m3 + d2 * dn * na * nb * (na - nb) / n + 3.0 * dn * (na * b.m2 - nb * a.m2);
        out.m4 = a.m4
            + b.m4
            + d2 * dn * dn * na * nb * (na * na - na * nb + nb * nb) / n
            + 6.0 * dn * dn * (na * na * b.m2 + nb * nb * a.m2)
            + 4.0 * dn * (na * b.m3 - nb * a.m3);
        out
    }
}

/// Finite values with |v − mean| > limit (NaN and ±Inf give no finite distance), eight lanes.
fn count_outliers(x: &[f32], mean: f64, limit: f64) -> usize {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::wide() {
        // SAFETY: `wide()` checked that the CPU has AVX2 and FMA, all `outliers_avx2` needs.
        #[allow(
            unsafe_code,
            reason = "AVX2 build of the same loop after run-time detection"
        )]
        return unsafe { outliers_avx2(x, mean, limit) };
    }
    outliers_lanes(x, mean, limit)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn outliers_avx2(x: &[f32], mean: f64, limit: f64) -> usize {
    outliers_lanes(x, mean, limit)
}

#[inline(always)]
fn outliers_lanes(x: &[f32], mean: f64, limit: f64) -> usize {
    let far = |v: f32| {
        let d = (f64::from(v) - mean).abs();
        u32::from(d > limit && d < f64::INFINITY)
    };
    let mut n = [0u32; 8];
    let octs = x.chunks_exact(8);
    let tail = octs.remainder();
    for c in octs {
        for k in 0..8 {
            n[k] += far(c[k]);
        }
    }
    let tail: u32 = tail.iter().map(|&v| far(v)).sum();
    n.iter().map(|&c| c as usize).sum::<usize>() + tail as usize
}

impl TensorStats {
    /// Statistics of `data` (two passes over [`STATS_CHUNK`]-sized units, f64 accumulation).
    pub fn of(data: &[f32]) -> Self {
        use rayon::prelude::*;
        let parts: Vec<Partial> = data.par_chunks(STATS_CHUNK).map(Partial::of).collect();
        Self::finish(data.len(), &parts, &|mean, limit| {
            data.par_chunks(STATS_CHUNK)
                .map(|c| count_outliers(c, mean, limit))
                .sum()
        })
    }

    /// Statistics of `n` values read unit by unit: `read(start, buf)` fills `buf` with values
    /// `start .. start + buf.len()` (a model file decoding straight from its memory map). Each
    /// thread holds one [`STATS_CHUNK`] buffer; the figures equal [`TensorStats::of`] on the
    /// same values.
    pub fn of_chunks<E: Send>(n: usize, read: &ReadUnit<'_, E>) -> Result<Self, E> {
        use rayon::prelude::*;
        let units = n.div_ceil(STATS_CHUNK);
        let unit = |buf: &mut Vec<f32>, u: usize| -> Result<(), E> {
            let start = u * STATS_CHUNK;
            buf.resize((n - start).min(STATS_CHUNK), 0.0);
            read(start, buf)
        };
        let parts = (0..units)
            .into_par_iter()
            .map_init(Vec::new, |buf, u| unit(buf, u).map(|()| Partial::of(buf)))
            .collect::<Result<Vec<Partial>, E>>()?;
        let failed = std::sync::Mutex::new(None);
        let stats = Self::finish(n, &parts, &|mean, limit| {
            (0..units)
                .into_par_iter()
                .map_init(Vec::new, |buf, u| match unit(buf, u) {
                    Ok(()) => count_outliers(buf, mean, limit),
                    Err(e) => {
                        *failed
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                        0
                    }
                })
                .sum()
        });
        match failed
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Some(e) => Err(e),
            None => Ok(stats),
        }
    }

    /// Statistics from a histogram of exact values: `(value, how many)` pairs (16-bit formats
    /// have at most 65,536 distinct values, so one counting pass over a bf16/f16 tensor gives
    /// every figure exactly, with two-pass moments over the distinct values).
    pub fn of_value_counts(counts: &[(f32, u64)]) -> Self {
        let mut s = Self::default();
        let (mut n, mut sum) = (0u64, 0.0f64);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for &(v, c) in counts.iter().filter(|(_, c)| *c > 0) {
            s.count += c as usize;
            if v.is_nan() {
                s.nan_count += c as usize;
            } else if v.is_infinite() {
                s.inf_count += c as usize;
            } else {
                n += c;
                sum += f64::from(v) * c as f64;
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if n == 0 {
            return s;
        }
        let nf = n as f64;
        let mean = sum / nf;
        let finite = || counts.iter().filter(|(v, c)| *c > 0 && v.is_finite());
        let (mut m2, mut m4) = (0.0f64, 0.0f64);
        for &(v, c) in finite() {
            let d2 = (f64::from(v) - mean).powi(2);
            m2 += d2 * c as f64;
            m4 += d2 * d2 * c as f64;
        }
        let (m2, m4) = (m2 / nf, m4 / nf);
        let std = m2.sqrt();
        let far: u64 = if std > 0.0 {
            finite()
                .filter(|(v, _)| (f64::from(*v) - mean).abs() > 6.0 * std)
                .map(|(_, c)| c)
                .sum()
        } else {
            0
        };
        s.min = f64::from(lo);
        s.max = f64::from(hi);
        s.mean = mean;
        s.std = std;
        s.kurtosis = if m2 > 0.0 { m4 / (m2 * m2) } else { 0.0 };
        s.outlier_ratio = far as f64 / nf;
        s
    }

    fn finish(count: usize, parts: &[Partial], outliers: &dyn Fn(f64, f64) -> usize) -> Self {
        let p = parts.iter().copied().fold(Partial::EMPTY, Partial::merge);
        let mut s = Self {
            count,
            nan_count: p.nan,
            inf_count: p.inf,
            ..Self::default()
        };
        if p.n == 0 {
            return s;
        }
        let n = p.n as f64;
        let (m2, m4) = (p.m2 / n, p.m4 / n);
        let std = m2.sqrt();
        s.min = f64::from(p.min);
        s.max = f64::from(p.max);
        s.mean = p.mean;
        s.std = std;
        s.kurtosis = if m2 > 0.0 { m4 / (m2 * m2) } else { 0.0 };
        s.outlier_ratio = if std > 0.0 {
            outliers(p.mean, 6.0 * std) as f64 / n
        } else {
            0.0
        };
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
