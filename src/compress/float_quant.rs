//! Float targets (bf16, fp16, fp8, fp6, fp4, …) through [`crate::numfmt`], optionally scaled.
//!
//! Unscaled: `x̂ = round_fmt(x)` with the format's own overflow rule (a plain cast, as
//! `ml_dtypes` `astype`). Scaled (TensorRT FP8 recipe, generalised): per group
//! `s = amax / max_fmt` (amax from the calibration method; `s = 1` for an all-zero group), then
//! `x̂ = s · round_fmt(x · (1/s))` with saturation to ±max (values beyond a clipped range are
//! clamped, never turned into NaN). Element rounding is numfmt's RNE kernel.
//! "Clipped" counts |x/s| > max_fmt·(1 + 2^−20) (the slack absorbs the rounding of `s` itself).

use super::granularity::GroupKernel;
use super::metrics::{ErrorSums, LANES, Lanes, Quad, RUN};
use super::range;
use super::rng;
use super::scheme::{Calibration, IntTarget, QuantRounding, SchemeError};
use crate::numfmt::fast::FastFloat;
use crate::numfmt::{FloatSpec, Format};

/// Resolve a float format name through numfmt (`bf16`, `fp16`, `e4m3fn`, `e5m2`, `e2m1`, …).
pub fn float_spec(name: &str) -> Result<FloatSpec, SchemeError> {
    match Format::parse(name) {
        Ok(Format::Float(s)) => Ok(s),
        _ => Err(SchemeError::UnknownFormat(name.to_owned())),
    }
}

/// Largest finite value of a float spec.
pub fn format_max(spec: &FloatSpec) -> f32 {
    Format::Float(*spec).range().max as f32
}

/// Every finite value of the format (≤ 16-bit formats), ascending, times `scale`.
pub fn grid(spec: &FloatSpec, scale: f32) -> Vec<f32> {
    let w = spec.width();
    if w > 16 {
        return Vec::new();
    }
    let fast = spec.fast();
    let mut v: Vec<f32> = (0..(1u32 << w))
        .map(|c| fast.decode_f32(c))
        .filter(|v| v.is_finite())
        .map(|v| v * scale)
        .collect();
    v.sort_by(f32::total_cmp);
    v.dedup();
    v
}

/// Branch-free RNE of an f32 to a signed binary float with `m ≤ 22` mantissa bits inside f32's
/// exponent range (what `numfmt::fast` does, specialised so the loop vectorises): RNE on the bits
/// at or above the target's min normal, `(|x| + C) − C` with `C = 2^(emin − m + 23)` below it.
/// Non-finite inputs and (without saturation) overflow are flagged for the exact numfmt path.
#[derive(Clone, Copy, Debug)]
pub struct MiniFloat {
    shift: u32,
    half_m1: u32,
    mask: u32,
    min_normal_bits: u32,
    magic: f32,
    max_bits: u32,
}

impl MiniFloat {
    /// `None` when the format is outside what the bit kernel covers.
    pub fn new(spec: &FloatSpec) -> Option<Self> {
        let m = spec.man_bits;
        let emin = 1 - spec.bias;
        let max = format_max(spec);
        let ok = spec.sign
            && spec.exp_bits <= 8
            && (1..=22).contains(&m)
            && emin >= -126
            && max.is_finite()
            && max > 0.0;
        ok.then(|| {
            let shift = 23 - m;
            Self {
                shift,
                half_m1: (1 << (shift - 1)) - 1,
                mask: !((1u32 << shift) - 1),
                min_normal_bits: ((emin + 127) as u32) << 23,
                magic: crate::numfmt::pow2(i64::from(emin - m as i32 + 23)) as f32,
                max_bits: max.to_bits(),
            }
        })
    }

    /// Rounded value (saturating at ±max) and whether the exact path must redo it (non-finite
    /// input, or a result above max).
    #[inline(always)]
    pub fn round(&self, v: f32) -> (f32, bool) {
        let bits = v.to_bits();
        let sign = bits & 0x8000_0000;
        let a = bits & 0x7FFF_FFFF;
        let rn = (a
            .wrapping_add(self.half_m1)
            .wrapping_add((a >> self.shift) & 1))
            & self.mask;
        let av = f32::from_bits(a);
        let rs = ((av + self.magic) - self.magic).to_bits();
        let r = if a < self.min_normal_bits { rs } else { rn };
        let special = (a >= 0x7F80_0000) | (r > self.max_bits);
        let r = if r > self.max_bits { self.max_bits } else { r };
        (f32::from_bits(r | sign), special)
    }

    /// Stochastic rounding to one of the two grid neighbours of `v`: away from zero with
    /// probability equal to the fraction of the step `|v|` lies above the lower neighbour, so the
    /// expected result is `v` (unbiased). `rand` supplies the random bits. Normal range: add
    /// `23 − m` random bits below the kept mantissa, then truncate (a carry is the round-up);
    /// subnormal range: on the integer multiple of the smallest step, exactly in f64.
    /// `None` for a non-finite `v` or `|v|` above the format's max (the exact path decides).
    #[inline]
    pub fn round_stochastic(&self, v: f32, rand: u64) -> Option<f32> {
        let bits = v.to_bits();
        let sign = bits & 0x8000_0000;
        let a = bits & 0x7FFF_FFFF;
        if a > self.max_bits {
            return None;
        }
        let r = if a >= self.min_normal_bits {
            ((a + (rand as u32 & !self.mask)) & self.mask).min(self.max_bits)
        } else {
            let step = f64::from(self.magic) / 8_388_608.0;
            let t = f64::from(f32::from_bits(a)) / step;
            let lower = t.floor();
            let u = (rand >> 11) as f64 / 9_007_199_254_740_992.0;
            let q = lower + f64::from(u8::from(u < t - lower));
            ((q * step) as f32).to_bits()
        };
        Some(f32::from_bits(r | sign))
    }
}

/// The float group kernel.
pub struct FloatKernel {
    pub fast: FastFloat,
    pub mini: Option<MiniFloat>,
    pub max: f32,
    pub scaled: bool,
    pub calibration: Calibration,
    /// Stochastic rounding applies when the format has a bit kernel ([`MiniFloat`]); otherwise
    /// the kernel rounds to nearest (see [`FloatKernel::stochastic_applies`]).
    pub rounding: QuantRounding,
}

impl FloatKernel {
    /// A nearest-even kernel.
    pub fn new(spec: &FloatSpec, scaled: bool, calibration: Calibration) -> Self {
        Self {
            fast: spec.fast(),
            mini: MiniFloat::new(spec),
            max: format_max(spec),
            scaled,
            calibration,
            rounding: QuantRounding::NearestEven,
        }
    }

    /// The same kernel with another rounding.
    pub fn with_rounding(self, rounding: QuantRounding) -> Self {
        Self { rounding, ..self }
    }

    /// The scale that maps the range's largest magnitude to the format's largest value (1 for
    /// an empty or non-finite range).
    fn scale_of_range(&self, lo: f32, hi: f32) -> f32 {
        let amax = lo.abs().max(hi.abs());
        if amax > 0.0 && amax.is_finite() {
            amax / self.max
        } else {
            1.0
        }
    }

    /// Whether a stochastic rounding request is honoured for this format.
    pub fn stochastic_applies(&self) -> bool {
        self.mini.is_some()
    }
}

impl GroupKernel for FloatKernel {
    /// The group's scale (1 when unscaled).
    type Params = f32;

    fn params(&self, group: &[f32]) -> f32 {
        if !self.scaled {
            return 1.0;
        }
        // Symmetric calibration on an 8-bit signed grid (the percentile / KL / MSE machinery).
        let spec = IntTarget {
            bits: 8,
            signed: true,
            symmetric: true,
            restricted: false,
        };
        let (lo, hi) = match self.calibration {
            Calibration::MinMax => range::min_max(group),
            c => range::calibrate(group, c, &spec),
        };
        self.scale_of_range(lo, hi)
    }

    fn fixed_params(&self) -> Option<f32> {
        (!self.scaled).then_some(1.0)
    }

    fn range_params(&self, lo: f32, hi: f32) -> Option<f32> {
        (self.scaled && self.calibration == Calibration::MinMax)
            .then(|| self.scale_of_range(lo, hi))
    }

    fn run(
        &self,
        s: &f32,
        x: &[f32],
        y: &mut [f32],
        base: usize,
        _codes: Option<&mut [i32]>,
        acc: &mut ErrorSums,
    ) {
        let s = *s;
        let inv = 1.0 / s;
        let sat = self.scaled;
        let max = self.max * (1.0 + 1.0 / 1_048_576.0);
        if let (QuantRounding::Stochastic { seed }, Some(mf)) = (self.rounding, &self.mini) {
            // Element i draws hash(seed, base + i): the same result for any thread count.
            for (i, (a, b)) in x.iter().zip(y.iter_mut()).enumerate() {
                let v = a * inv;
                acc.clipped += u64::from(v.abs() > max);
                let r = mf.round_stochastic(v, rng::hash64(seed, (base + i) as u64));
                *b = r.unwrap_or_else(|| self.fast.round_f32(v, sat)) * s;
            }
            acc.add_slices(x, y);
            return;
        }
        for (xr, yr) in x.chunks(RUN).zip(y.chunks_mut(RUN)) {
            let mut local = ErrorSums::default();
            let special = match &self.mini {
                Some(mf) => run_mini(mf, xr, yr, inv, s, max, sat, &mut local),
                None => true,
            };
            if special {
                // Rare (NaN/Inf input or overflow without saturation) or no bit kernel: redo this
                // run exactly through numfmt.
                for (a, b) in xr.iter().zip(yr.iter_mut()) {
                    let v = a * inv;
                    acc.clipped += u64::from(v.abs() > max);
                    *b = self.fast.round_f32(v, sat) * s;
                }
                acc.add_slices(xr, yr);
            } else {
                *acc = acc.merge(local);
            }
        }
    }
}

/// The vectorised run: rounds, accumulates error sums and clipping into `acc`; returns whether a
/// lane needs the exact path (the caller then redoes the whole run and drops these sums).
#[allow(
    clippy::too_many_arguments,
    reason = "hot kernel with explicit constants"
)]
fn run_mini(
    mf: &MiniFloat,
    x: &[f32],
    y: &mut [f32],
    inv: f32,
    s: f32,
    max: f32,
    sat: bool,
    acc: &mut ErrorSums,
) -> bool {
    let mut lanes = Lanes::default();
    let mut clipped = [0u32; LANES];
    let mut special = [0u32; LANES];
    let whole = x.len() / LANES * LANES;
    let (xw, xt) = x.split_at(whole);
    let (yw, yt) = y.split_at_mut(whole);
    let k = MiniRun {
        mf,
        inv,
        s,
        max,
        sat,
    };
    k.lanes(xw, yw, &mut lanes, &mut clipped, &mut special);
    lanes.flush(acc);
    acc.clipped += clipped.iter().map(|&v| u64::from(v)).sum::<u64>();
    let mut sp = special.iter().any(|&v| v != 0);
    for (a, b) in xt.iter().zip(yt.iter_mut()) {
        let v = a * inv;
        acc.clipped += u64::from(v.abs() > max);
        let (r, p) = mf.round(v);
        sp |= if sat { !v.is_finite() } else { p };
        *b = r * s;
    }
    if !xt.is_empty() {
        acc.add_slices(xt, yt);
    }
    sp
}

/// Constants of one scaled run.
struct MiniRun<'a> {
    mf: &'a MiniFloat,
    inv: f32,
    s: f32,
    max: f32,
    sat: bool,
}

impl MiniRun<'_> {
    /// Four lanes of the baseline loop: round, then accumulate (a four-lane body is what LLVM's
    /// SLP vectoriser packs; see `Lanes::halves`).
    #[inline(always)]
    fn quad(
        &self,
        a: &[f32; 4],
        b: &mut [f32; 4],
        acc: &mut Quad<'_>,
        cl: &mut [u32; 4],
        sp: &mut [u32; 4],
    ) {
        let mut out = [0.0f32; 4];
        for k in 0..4 {
            let v = a[k] * self.inv;
            cl[k] += u32::from(v.abs() > self.max);
            let (r, special) = self.mf.round(v);
            // Saturated overflow is already exact; only non-finite inputs need numfmt then.
            let special = if self.sat { !v.is_finite() } else { special };
            sp[k] |= u32::from(special);
            out[k] = r * self.s;
        }
        *b = out;
        acc.add(a, &out);
    }

    /// The whole-lane part of [`run_mini`] (AVX2 when available).
    fn lanes(
        &self,
        x: &[f32],
        y: &mut [f32],
        lanes: &mut Lanes,
        clipped: &mut [u32; LANES],
        special: &mut [u32; LANES],
    ) {
        let (mf, inv, s, max, sat) = (self.mf, self.inv, self.s, self.max, self.sat);
        crate::simd::dispatch_avx2!({
            let c = super::avx2::MiniLaneConsts {
                shift: mf.shift,
                half_m1: mf.half_m1,
                mask: mf.mask,
                min_normal_bits: mf.min_normal_bits,
                magic: mf.magic,
                max_bits: mf.max_bits,
                inv,
                s,
                clip: max,
                saturate: sat,
            };
            super::avx2::mini_float(&c, x, y, lanes, clipped, special);
        });
        lanes.n += (x.len() / LANES * LANES) as u64;
        let [mut q0, mut q1] = lanes.halves();
        let ([cl0, cl1], [sp0, sp1]) = (
            clipped.as_chunks_mut::<4>().0,
            special.as_chunks_mut::<4>().0,
        ) else {
            unreachable!("LANES is 8")
        };
        for (a, b) in x.chunks_exact(LANES).zip(y.chunks_exact_mut(LANES)) {
            let ([a0, a1], [b0, b1]) = (a.as_chunks::<4>().0, b.as_chunks_mut::<4>().0) else {
                continue;
            };
            self.quad(a0, b0, &mut q0, cl0, sp0);
            self.quad(a1, b1, &mut q1, cl1, sp1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::granularity::{GroupMap, drive};
    use crate::compress::scheme::Granularity;

    #[test]
    fn e4m3_scaled_cast_matches_numfmt() {
        let spec = float_spec("e4m3fn").unwrap();
        assert_eq!(format_max(&spec), 448.0);
        let x: Vec<f32> = (0..1000)
            .map(|i| ((i * 37 % 1000) as f32 - 500.0) * 0.013)
            .collect();
        let k = FloatKernel::new(&spec, true, Calibration::MinMax);
        let map = GroupMap::new(&[1000], 1000, Granularity::Tensor).unwrap();
        let mut y = vec![0.0; 1000];
        let (p, sums) = drive(&k, map, &[1000], &x, &mut y, None);
        let s = p[0];
        assert_eq!(s, 6.5 / 448.0);
        for (a, b) in x.iter().zip(&y) {
            assert_eq!(*b, spec.round_f32(a * (1.0 / s), true) * s);
        }
        assert_eq!(sums.clipped, 0);
        assert!(sums.metrics().sqnr_db > 25.0);
    }

    #[test]
    fn mini_float_matches_numfmt_everywhere() {
        for name in [
            "e4m3fn", "e5m2", "e4m3fnuz", "e2m1", "e3m2", "e2m3", "fp16", "bf16", "e5m2fnuz",
            "e3m4",
        ] {
            let Ok(spec) = float_spec(name) else { continue };
            let Some(mf) = MiniFloat::new(&spec) else {
                panic!("{name}: no fast kernel")
            };
            let fast = spec.fast();
            let mut bits = 0u32;
            while bits < 0x8000_0000 {
                for v in [f32::from_bits(bits), -f32::from_bits(bits)] {
                    let (r, special) = mf.round(v);
                    let want = fast.round_f32(v, true);
                    if !special {
                        assert_eq!(
                            r.to_bits() & 0x7FFF_FFFF,
                            want.to_bits() & 0x7FFF_FFFF,
                            "{name} {v:e}"
                        );
                        assert_eq!(r, fast.round_f32(v, false), "{name} {v:e} (no overflow)");
                    } else if v.is_finite() {
                        assert_eq!(r.abs(), want.abs(), "{name} {v:e} saturated");
                    }
                }
                bits += 0x1F3; // odd stride: hits ties, subnormals and every binade
            }
        }
    }

    #[test]
    fn bf16_cast_is_plain() {
        let spec = float_spec("bf16").unwrap();
        let k = FloatKernel::new(&spec, false, Calibration::MinMax);
        let x = [1.0f32 + 1.0 / 256.0, 3.0e38, -1.0e-3];
        let mut y = [0.0; 3];
        let mut acc = ErrorSums::default();
        k.run(&1.0, &x, &mut y, 0, None, &mut acc);
        assert_eq!(y[0], 1.0);
        assert_eq!(y[2], half::bf16::from_f32(-1.0e-3).to_f32());
    }
}
