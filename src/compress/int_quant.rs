//! Uniform (affine) integer quantization, 1–16 bits (`quantization.md` §1, PyTorch conventions).
//!
//! `q = clamp(round(x · (1/s)) + z, q_min, q_max)`, `x̂ = s · (q − z)`, with
//!
//! - symmetric: `m = max(−min(x_min, 0), max(x_max, 0))`, `s = max(m / ((q_max − q_min)/2), eps)`,
//!   `z = 0` for signed codes and `2^(b−1)` for unsigned (PyTorch quint8 symmetric: 128);
//!   restricted signed range ±(2^(b−1) − 1) gives the denominator 2^(b−1) − 1 (e.g. 127);
//! - asymmetric: `s = max((max_pos − min_neg)/(q_max − q_min), eps)`,
//!   `z = clamp(q_min − round(min_neg / s), q_min, q_max)`;
//!
//! all in f32 with `eps = f32::EPSILON`; `round` is half-to-even (`torch.round`) or seeded
//! stochastic rounding (`quantization.md` §5). "Clipped" counts elements with
//! `x/s < q_min − z − ½` or `x/s > q_max − z + ½` (their unclamped code falls outside the range;
//! an exact tie on the outer half-step is not counted).

use super::granularity::{GroupKernel, run_row_per_group};
use super::metrics::{ErrorSums, LANES, Lanes, Quad, RUN};
use super::range;
use super::rng;
use super::scheme::{Calibration, IntTarget, QuantRounding, ScaleFormat};

/// Scale and zero point of one group.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct IntParams {
    pub scale: f32,
    pub zero_point: i32,
}

/// PyTorch `_calculate_qparams` for the range `(lo, hi)`.
pub fn qparams(spec: &IntTarget, lo: f32, hi: f32) -> IntParams {
    let (qmin, qmax) = spec.qrange();
    let eps = f32::EPSILON;
    let min_neg = lo.min(0.0);
    let max_pos = hi.max(0.0);
    if spec.symmetric {
        let m = (-min_neg).max(max_pos);
        let scale = (m / ((qmax - qmin) as f32 / 2.0)).max(eps);
        let zero_point = if spec.signed {
            0
        } else {
            1 << (spec.bits.clamp(1, 16) - 1)
        };
        IntParams { scale, zero_point }
    } else {
        let scale = ((max_pos - min_neg) / (qmax - qmin) as f32).max(eps);
        let zp = qmin as f32 - (min_neg / scale).round_ties_even();
        IntParams {
            scale,
            zero_point: (zp as i32).clamp(qmin, qmax),
        }
    }
}

/// Same, with the scale first rounded to its storage format.
pub fn qparams_stored(spec: &IntTarget, lo: f32, hi: f32, fmt: ScaleFormat) -> IntParams {
    let p = qparams(spec, lo, hi);
    if fmt == ScaleFormat::F32 {
        return p;
    }
    let s = fmt.round(p.scale).max(f32::MIN_POSITIVE);
    if spec.symmetric {
        IntParams { scale: s, ..p }
    } else {
        let (qmin, qmax) = spec.qrange();
        let zp = qmin as f32 - (lo.min(0.0) / s).round_ties_even();
        IntParams {
            scale: s,
            zero_point: (zp as i32).clamp(qmin, qmax),
        }
    }
}

/// Every representable value of a group, ascending.
pub fn grid(spec: &IntTarget, p: &IntParams) -> Vec<f32> {
    let (qmin, qmax) = spec.qrange();
    (qmin..=qmax)
        .map(|q| (q - p.zero_point) as f32 * p.scale)
        .collect()
}

/// Quantize one value (reference, scalar; the kernels below are the fast path).
pub fn quantize_value(spec: &IntTarget, p: &IntParams, x: f32) -> i32 {
    let (qmin, qmax) = spec.qrange();
    let inv = 1.0 / p.scale;
    (((x * inv).round_ties_even() as i64) + i64::from(p.zero_point))
        .clamp(i64::from(qmin), i64::from(qmax)) as i32
}

/// Round-half-even by the 1.5·2^23 trick; exact for |v| ≤ 2^22 (callers clamp first).
#[inline(always)]
fn rne(v: f32) -> f32 {
    const M: f32 = 12_582_912.0;
    (v + M) - M
}

/// The integer group kernel: calibrate each group, then fused quantize + error sums.
pub struct IntKernel {
    pub spec: IntTarget,
    pub calibration: Calibration,
    pub rounding: QuantRounding,
    pub scale_format: ScaleFormat,
}

impl GroupKernel for IntKernel {
    type Params = IntParams;

    fn params(&self, group: &[f32]) -> IntParams {
        let (lo, hi) = if self.calibration == Calibration::MinMax {
            range::min_max(group)
        } else {
            range::calibrate(group, self.calibration, &self.spec)
        };
        qparams_stored(&self.spec, lo, hi, self.scale_format)
    }

    fn range_params(&self, lo: f32, hi: f32) -> Option<IntParams> {
        (self.calibration == Calibration::MinMax)
            .then(|| qparams_stored(&self.spec, lo, hi, self.scale_format))
    }

    /// Nearest-even rows of whole lane-aligned groups keep one lane accumulator across groups
    /// (flushed every [`RUN`] values) instead of flushing per group; other cases as the default.
    #[allow(clippy::too_many_arguments, reason = "one row of the fused driver")]
    fn run_row(
        &self,
        x: &[f32],
        y: &mut [f32],
        group: usize,
        params: &mut [IntParams],
        base: usize,
        mut codes: Option<&mut [i32]>,
        acc: &mut ErrorSums,
    ) {
        if self.rounding != QuantRounding::NearestEven
            || !group.is_multiple_of(LANES)
            || !x.len().is_multiple_of(group)
        {
            return run_row_per_group(self, x, y, group, params, base, codes, acc);
        }
        let (qmin, qmax) = self.spec.qrange();
        let mut lanes = Lanes::default();
        let mut clipped = [0u32; LANES];
        let groups = x
            .chunks(group)
            .zip(y.chunks_mut(group))
            .zip(params.iter_mut());
        for (j, ((xg, yg), slot)) in groups.enumerate() {
            let p = self.params(xg);
            *slot = p;
            let off = j * group;
            let c = codes.as_deref_mut().map(|c| &mut c[off..off + group]);
            rne_lanes(
                &Consts::new(&p, qmin, qmax),
                xg,
                yg,
                c,
                &mut lanes,
                &mut clipped,
            );
            if lanes.n >= RUN as u64 {
                flush_lanes(&mut lanes, &mut clipped, acc);
            }
        }
        flush_lanes(&mut lanes, &mut clipped, acc);
    }

    fn run(
        &self,
        p: &IntParams,
        x: &[f32],
        y: &mut [f32],
        base: usize,
        codes: Option<&mut [i32]>,
        acc: &mut ErrorSums,
    ) {
        let (qmin, qmax) = self.spec.qrange();
        let c = Consts::new(p, qmin, qmax);
        match (self.rounding, codes) {
            (QuantRounding::NearestEven, codes) => run_rne(&c, x, y, codes, acc),
            (QuantRounding::Stochastic { seed }, codes) => {
                let mut tmp;
                let codes = if let Some(c) = codes {
                    c
                } else {
                    tmp = vec![0i32; x.len()];
                    &mut tmp[..]
                };
                run_scalar(&c, x, y, codes, Some(seed), base, acc);
            }
        }
    }
}

struct Consts {
    s: f32,
    inv: f32,
    z: f32,
    /// Clamp bounds of x/s before rounding: `q_min − z`, `q_max − z` (integers, so clamping
    /// before rounding equals clamping the code after it).
    lo: f32,
    hi: f32,
    /// Clip detection: x/s beyond the range by more than half a step.
    clip_lo: f32,
    clip_hi: f32,
}

impl Consts {
    fn new(p: &IntParams, qmin: i32, qmax: i32) -> Self {
        let z = p.zero_point as f32;
        let (lo, hi) = ((qmin - p.zero_point) as f32, (qmax - p.zero_point) as f32);
        Self {
            s: p.scale,
            inv: 1.0 / p.scale,
            z,
            lo,
            hi,
            clip_lo: lo - 0.5,
            clip_hi: hi + 0.5,
        }
    }

    #[inline(always)]
    fn clamp(&self, v: f32) -> f32 {
        let v = if v < self.lo { self.lo } else { v };
        if v > self.hi { self.hi } else { v }
    }

    #[inline(always)]
    fn clipped(&self, v: f32) -> bool {
        (v < self.clip_lo) | (v > self.clip_hi)
    }
}

/// Nearest-even kernel, codes optional (eight lanes; AVX2 when available).
fn run_rne(
    c: &Consts,
    x: &[f32],
    y: &mut [f32],
    mut codes: Option<&mut [i32]>,
    acc: &mut ErrorSums,
) {
    for (i, (xr, yr)) in x.chunks(RUN).zip(y.chunks_mut(RUN)).enumerate() {
        let mut cr = codes
            .as_deref_mut()
            .map(|cs| &mut cs[i * RUN..i * RUN + xr.len()]);
        let mut lanes = Lanes::default();
        let mut clipped = [0u32; LANES];
        let whole = xr.len() / LANES * LANES;
        let (xw, xt) = xr.split_at(whole);
        let (yw, yt) = yr.split_at_mut(whole);
        let cw = cr.as_deref_mut().map(|cs| &mut cs[..whole]);
        rne_lanes(c, xw, yw, cw, &mut lanes, &mut clipped);
        lanes.flush(acc);
        acc.clipped += clipped.iter().map(|&v| u64::from(v)).sum::<u64>();
        for (j, (a, b)) in xt.iter().zip(yt.iter_mut()).enumerate() {
            let v = a * c.inv;
            acc.clipped += u64::from(c.clipped(v));
            let r = rne(c.clamp(v));
            if let Some(cs) = cr.as_deref_mut() {
                cs[whole + j] = (r + c.z) as i32;
            }
            *b = r * c.s;
        }
        if !xt.is_empty() {
            acc.add_slices(xt, yt);
        }
    }
}

/// Move lane sums and clip counts into `acc` and reset them.
fn flush_lanes(lanes: &mut Lanes, clipped: &mut [u32; LANES], acc: &mut ErrorSums) {
    lanes.flush(acc);
    acc.clipped += clipped.iter().map(|&v| u64::from(v)).sum::<u64>();
    *lanes = Lanes::default();
    *clipped = [0; LANES];
}

/// The whole-lane part of [`run_rne`].
fn rne_lanes(
    c: &Consts,
    x: &[f32],
    y: &mut [f32],
    codes: Option<&mut [i32]>,
    lanes: &mut Lanes,
    clipped: &mut [u32; LANES],
) {
    crate::simd::dispatch_avx2!({
        let k = super::avx2::IntLaneConsts {
            inv: c.inv,
            s: c.s,
            z: c.z,
            lo: c.lo,
            hi: c.hi,
            clip_lo: c.clip_lo,
            clip_hi: c.clip_hi,
        };
        super::avx2::int_rne(&k, x, y, codes, lanes, clipped);
    });
    lanes.n += (x.len() / LANES * LANES) as u64;
    let [mut q0, mut q1] = lanes.halves();
    let (cl, _) = clipped.as_chunks_mut::<4>();
    let [cl0, cl1] = cl else {
        unreachable!("LANES is 8")
    };
    let pairs = x.chunks_exact(LANES).zip(y.chunks_exact_mut(LANES));
    match codes {
        None => {
            for (a, b) in pairs {
                let ([a0, a1], [b0, b1]) = (a.as_chunks::<4>().0, b.as_chunks_mut::<4>().0) else {
                    continue;
                };
                int_quad(c, a0, b0, &mut q0, cl0);
                int_quad(c, a1, b1, &mut q1, cl1);
            }
        }
        Some(codes) => {
            for ((a, b), q) in pairs.zip(codes.chunks_exact_mut(LANES)) {
                let ([a0, a1], [b0, b1]) = (a.as_chunks::<4>().0, b.as_chunks_mut::<4>().0) else {
                    continue;
                };
                let r0 = int_quad(c, a0, b0, &mut q0, cl0);
                let r1 = int_quad(c, a1, b1, &mut q1, cl1);
                for (q, r) in q.iter_mut().zip(r0.into_iter().chain(r1)) {
                    *q = (r + c.z) as i32;
                }
            }
        }
    }
}

/// Four lanes of the baseline nearest-even loop: quantize, then accumulate (a four-lane body is
/// what LLVM's SLP vectoriser packs; see `Lanes::halves`). Returns the rounded values.
#[inline(always)]
fn int_quad(
    c: &Consts,
    a: &[f32; 4],
    b: &mut [f32; 4],
    acc: &mut Quad<'_>,
    cl: &mut [u32; 4],
) -> [f32; 4] {
    let mut r = [0.0f32; 4];
    let mut out = [0.0f32; 4];
    for k in 0..4 {
        let v = a[k] * c.inv;
        cl[k] += u32::from(c.clipped(v));
        r[k] = rne(c.clamp(v));
        out[k] = r[k] * c.s;
    }
    *b = out;
    acc.add(a, &out);
    r
}

/// Scalar kernel with codes and optional stochastic rounding.
fn run_scalar(
    c: &Consts,
    x: &[f32],
    y: &mut [f32],
    codes: &mut [i32],
    seed: Option<u64>,
    base: usize,
    acc: &mut ErrorSums,
) {
    let mut cl = 0u64;
    for (i, ((a, b), q_out)) in x.iter().zip(y.iter_mut()).zip(codes.iter_mut()).enumerate() {
        let v = a * c.inv;
        cl += u64::from(c.clipped(v));
        let v = c.clamp(v);
        let r = match seed {
            None => rne(v),
            // floor(v + u), u ∈ [0, 1); the sum can round up to hi + 1 in f32 near 2^16, so clamp.
            Some(seed) => c.clamp((v + rng::uniform01(seed, (base + i) as u64)).floor()),
        };
        *q_out = (r + c.z) as i32;
        *b = r * c.s;
    }
    acc.clipped += cl;
    acc.add_slices(x, y);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(bits: u8, signed: bool, symmetric: bool) -> IntTarget {
        IntTarget {
            bits,
            signed,
            symmetric,
            restricted: false,
        }
    }

    #[test]
    fn golden_qparams() {
        let p = qparams(&spec(8, false, false), -1.0, 3.0);
        assert_eq!((p.scale, p.zero_point), (4.0 / 255.0, 64));
        let p = qparams(&spec(8, true, false), -1.0, 3.0);
        assert_eq!((p.scale, p.zero_point), (4.0 / 255.0, -64));
        let p = qparams(&spec(8, true, true), -1.0, 3.0);
        assert_eq!((p.scale, p.zero_point), (3.0 / 127.5, 0));
        let p = qparams(&spec(8, false, true), -1.0, 3.0);
        assert_eq!((p.scale, p.zero_point), (3.0 / 127.5, 128));
        let r = IntTarget {
            restricted: true,
            ..spec(8, true, true)
        };
        let p = qparams(&r, -1.0, 3.0);
        assert_eq!((p.scale, p.zero_point), (3.0 / 127.0, 0));
        let p = qparams(&spec(8, false, false), 0.5, 2.0);
        assert_eq!((p.scale, p.zero_point), (2.0 / 255.0, 0));
        let p = qparams(&spec(8, false, false), 0.0, 0.0);
        assert_eq!((p.scale, p.zero_point), (f32::EPSILON, 0));
        let p = qparams(&spec(4, false, false), -1.0, 3.0);
        assert_eq!((p.scale, p.zero_point), (4.0 / 15.0, 4));
    }

    /// The per-row fast path (one lane accumulator across groups) gives the same values, codes,
    /// parameters and clip counts as group-by-group quantization, and the same sums up to f32
    /// summation order.
    #[test]
    fn row_fast_path_matches_group_by_group() {
        let x: Vec<f32> = (0..4 * 256)
            .map(|i| ((i * 7919 % 1000) as f32 - 480.0) * 0.001 * (1.0 + (i % 17) as f32))
            .collect();
        for (bits, symmetric, group) in [(4, false, 32), (8, true, 128), (3, true, 256)] {
            let k = IntKernel {
                spec: spec(bits, true, symmetric),
                calibration: Calibration::MinMax,
                rounding: QuantRounding::NearestEven,
                scale_format: ScaleFormat::F32,
            };
            let n_groups = x.len() / group;
            let run = |fast: bool| {
                let mut y = vec![0.0f32; x.len()];
                let mut codes = vec![0i32; x.len()];
                let mut params = vec![IntParams::default(); n_groups];
                let mut acc = ErrorSums::default();
                for (((xr, yr), cr), pr) in x
                    .chunks(256)
                    .zip(y.chunks_mut(256))
                    .zip(codes.chunks_mut(256))
                    .zip(params.chunks_mut(256 / group))
                {
                    if fast {
                        k.run_row(xr, yr, group, pr, 0, Some(cr), &mut acc);
                    } else {
                        run_row_per_group(&k, xr, yr, group, pr, 0, Some(cr), &mut acc);
                    }
                }
                (y, codes, params, acc)
            };
            let (y1, c1, p1, a1) = run(true);
            let (y2, c2, p2, a2) = run(false);
            assert_eq!(y1, y2, "{bits} bits");
            assert_eq!(c1, c2);
            assert_eq!(p1, p2);
            assert_eq!((a1.n, a1.clipped, a1.zeros), (a2.n, a2.clipped, a2.zeros));
            assert!((a1.sum_e2 / a2.sum_e2 - 1.0).abs() < 1e-5);
            assert!((a1.sum_x2 / a2.sum_x2 - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    #[allow(
        clippy::excessive_precision,
        reason = "the golden values of quantization.md, verbatim"
    )]
    fn golden_round_trip() {
        let s = spec(8, false, false);
        let p = qparams(&s, -1.0, 3.0);
        let cases = [
            (-1.0, 0),
            (-0.5, 32),
            (0.0, 64),
            (0.01, 65),
            (1.0, 128),
            (2.99, 255),
            (3.0, 255),
            (3.5, 255),
        ];
        for (x, q) in cases {
            assert_eq!(quantize_value(&s, &p, x), q, "x = {x}");
        }
        let k = IntKernel {
            spec: s,
            calibration: Calibration::MinMax,
            rounding: QuantRounding::NearestEven,
            scale_format: ScaleFormat::F32,
        };
        let x = [-1.0f32, -0.5, 0.0, 0.01, 1.0, 2.99, 3.0, 3.5];
        let mut y = [0.0f32; 8];
        let mut acc = ErrorSums::default();
        k.run(&p, &x, &mut y, 0, None, &mut acc);
        let want = [
            -1.003921568627451f32,
            -0.5019607843137255,
            0.0,
            0.01568627450980392,
            1.003921568627451,
            2.996078431372549,
            2.996078431372549,
            2.996078431372549,
        ];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
        }
        assert_eq!(acc.clipped, 1); // 3.5 → 287 before the clamp
    }
}
