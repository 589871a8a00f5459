//! AVX2 versions of the compression core's inner loops (x86-64 only; chosen at run time by
//! [`crate::simd::wide`]).
//!
//! Each function here does exactly what the baseline loop beside its caller does, element by
//! element and in the same order (separate multiply and add, no fused multiply-add; min/max/select
//! with the baseline's NaN behaviour), on eight lanes at once. Results are therefore bit-identical
//! on every CPU; `tests/all/compress_simd.rs` checks that against the forced baseline.
//!
//! The baseline loops auto-vectorise to SSE2 at best: LLVM's SLP vectoriser does not widen the
//! eight-lane arrays to AVX registers, hence these explicit versions.
//!
//! Safety: the functions are `#[target_feature(enable = "avx2,fma")]`, so calling them needs
//! `unsafe` after checking [`crate::simd::wide`]; callers do both through
//! `crate::simd::dispatch_avx2!`. The only other unsafe code is the unaligned load/store of a
//! `&[f32; 8]`, which is valid for any reference to eight floats.

use std::arch::x86_64::*;

use super::metrics::{LANES, Lanes};

const _: () = assert!(LANES == 8, "the AVX2 kernels are written for eight lanes");

#[inline]
#[target_feature(enable = "avx2,fma")]
#[allow(unsafe_code, reason = "unaligned load from a reference to eight f32")]
fn load(a: &[f32; 8]) -> __m256 {
    // SAFETY: `a` points to eight readable, initialised f32; loadu needs no alignment.
    unsafe { _mm256_loadu_ps(a.as_ptr()) }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
#[allow(unsafe_code, reason = "unaligned store to a reference to eight f32")]
fn store(a: &mut [f32; 8], v: __m256) {
    // SAFETY: `a` points to eight writable f32; storeu needs no alignment.
    unsafe { _mm256_storeu_ps(a.as_mut_ptr(), v) }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
fn load_u32(a: &[u32; 8]) -> __m256i {
    let mut f = [0.0f32; 8];
    for (d, s) in f.iter_mut().zip(a) {
        *d = f32::from_bits(*s);
    }
    _mm256_castps_si256(load(&f))
}

#[inline]
#[target_feature(enable = "avx2,fma")]
fn store_u32(a: &mut [u32; 8], v: __m256i) {
    let mut f = [0.0f32; 8];
    store(&mut f, _mm256_castsi256_ps(v));
    for (d, s) in a.iter_mut().zip(f) {
        *d = s.to_bits();
    }
}

#[inline(always)]
fn arr(a: &[f32]) -> &[f32; 8] {
    a.try_into().unwrap_or(&[0.0; 8])
}

#[inline(always)]
fn arr_mut(a: &mut [f32]) -> Option<&mut [f32; 8]> {
    a.try_into().ok()
}

/// [`Lanes`] held in registers.
struct Acc {
    x2: __m256,
    e2: __m256,
    xe: __m256,
    emax: __m256,
    zeros: __m256i,
    n: u64,
}

impl Acc {
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn from(l: &Lanes) -> Self {
        Self {
            x2: load(&l.x2),
            e2: load(&l.e2),
            xe: load(&l.xe),
            emax: load(&l.emax),
            zeros: load_u32(&l.zeros),
            n: 0,
        }
    }

    /// `Lanes::add`: e = a − b; x2 += a·a; e2 += e·e; xe += a·e; emax = max; zeros += (b == 0).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn add(&mut self, a: __m256, b: __m256) {
        let e = _mm256_sub_ps(a, b);
        self.x2 = _mm256_add_ps(self.x2, _mm256_mul_ps(a, a));
        self.e2 = _mm256_add_ps(self.e2, _mm256_mul_ps(e, e));
        self.xe = _mm256_add_ps(self.xe, _mm256_mul_ps(a, e));
        let ae = _mm256_andnot_ps(_mm256_set1_ps(-0.0), e);
        // (ae > emax) ? ae : emax, as the baseline's select.
        self.emax = _mm256_max_ps(ae, self.emax);
        let z = _mm256_cmp_ps::<_CMP_EQ_OQ>(b, _mm256_setzero_ps());
        self.zeros = _mm256_sub_epi32(self.zeros, _mm256_castps_si256(z));
        self.n += 8;
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn save(&self, l: &mut Lanes) {
        store(&mut l.x2, self.x2);
        store(&mut l.e2, self.e2);
        store(&mut l.xe, self.xe);
        store(&mut l.emax, self.emax);
        store_u32(&mut l.zeros, self.zeros);
        l.n += self.n;
    }
}

/// Counter of lanes where a mask is set (`count[k] += mask[k]`).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn count(c: __m256i, mask: __m256) -> __m256i {
    _mm256_sub_epi32(c, _mm256_castps_si256(mask))
}

/// Error sums of the whole-lane part of `x`, `y` into `l` (lengths: equal multiples of 8).
#[target_feature(enable = "avx2,fma")]
pub fn sums(x: &[f32], y: &[f32], l: &mut Lanes) {
    let mut acc = Acc::from(l);
    for (a, b) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        acc.add(load(arr(a)), load(arr(b)));
    }
    acc.save(l);
}

/// Constants of the integer nearest-even kernel (see `int_quant`).
pub struct IntLaneConsts {
    pub inv: f32,
    pub s: f32,
    /// Zero point (codes = rounded value + z).
    pub z: f32,
    pub lo: f32,
    pub hi: f32,
    pub clip_lo: f32,
    pub clip_hi: f32,
}

/// Integer fake-quantization, nearest-even, of the whole-lane part of `x` into `y` (and the
/// integer codes into `codes` when given; a NaN input gets code 0, as `NaN as i32`).
#[target_feature(enable = "avx2,fma")]
pub fn int_rne(
    c: &IntLaneConsts,
    x: &[f32],
    y: &mut [f32],
    codes: Option<&mut [i32]>,
    l: &mut Lanes,
    clipped: &mut [u32; 8],
) {
    let (inv, s, z) = (
        _mm256_set1_ps(c.inv),
        _mm256_set1_ps(c.s),
        _mm256_set1_ps(c.z),
    );
    let (lo, hi) = (_mm256_set1_ps(c.lo), _mm256_set1_ps(c.hi));
    let (clo, chi) = (_mm256_set1_ps(c.clip_lo), _mm256_set1_ps(c.clip_hi));
    let magic = _mm256_set1_ps(12_582_912.0);
    let mut acc = Acc::from(l);
    let mut clip = load_u32(clipped);
    let mut step = |a: &[f32], b: &mut [f32]| -> __m256 {
        let xa = load(arr(a));
        let v = _mm256_mul_ps(xa, inv);
        let out_lo = _mm256_cmp_ps::<_CMP_LT_OQ>(v, clo);
        let out_hi = _mm256_cmp_ps::<_CMP_GT_OQ>(v, chi);
        clip = count(clip, _mm256_or_ps(out_lo, out_hi));
        // (lo > v) ? lo : v, then (hi < v) ? hi : v — the baseline's clamp, NaN included.
        let v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
        let r = _mm256_sub_ps(_mm256_add_ps(v, magic), magic);
        let out = _mm256_mul_ps(r, s);
        if let Some(b) = arr_mut(b) {
            store(b, out);
        }
        acc.add(xa, out);
        r
    };
    let pairs = x.chunks_exact(8).zip(y.chunks_exact_mut(8));
    match codes {
        None => pairs.for_each(|(a, b)| {
            step(a, b);
        }),
        Some(codes) => {
            for ((a, b), q) in pairs.zip(codes.chunks_exact_mut(8)) {
                let qf = _mm256_add_ps(step(a, b), z);
                let ordered = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_ORD_Q>(qf, qf));
                let qi = _mm256_and_si256(_mm256_cvttps_epi32(qf), ordered);
                let mut f = [0.0f32; 8];
                store(&mut f, _mm256_castsi256_ps(qi));
                for (d, v) in q.iter_mut().zip(f) {
                    *d = v.to_bits() as i32;
                }
            }
        }
    }
    acc.save(l);
    store_u32(clipped, clip);
}

/// Constants of the small-float rounding kernel (see `float_quant::MiniFloat`).
pub struct MiniLaneConsts {
    pub shift: u32,
    pub half_m1: u32,
    pub mask: u32,
    pub min_normal_bits: u32,
    pub magic: f32,
    pub max_bits: u32,
    pub inv: f32,
    pub s: f32,
    /// Clip threshold on |x/s|.
    pub clip: f32,
    pub saturate: bool,
}

/// Scaled small-float cast of the whole-lane part of `x` into `y`; `special[k]` is set where the
/// exact path must redo the run.
#[target_feature(enable = "avx2,fma")]
pub fn mini_float(
    c: &MiniLaneConsts,
    x: &[f32],
    y: &mut [f32],
    l: &mut Lanes,
    clipped: &mut [u32; 8],
    special: &mut [u32; 8],
) {
    let (inv, s, clip_at) = (
        _mm256_set1_ps(c.inv),
        _mm256_set1_ps(c.s),
        _mm256_set1_ps(c.clip),
    );
    let sign_bit = _mm256_set1_epi32(i32::MIN);
    let abs_mask = _mm256_set1_epi32(i32::MAX);
    let shift = _mm_cvtsi32_si128(c.shift as i32);
    let one = _mm256_set1_epi32(1);
    let half_m1 = _mm256_set1_epi32(c.half_m1 as i32);
    let mask = _mm256_set1_epi32(c.mask as i32);
    let min_normal = _mm256_set1_epi32(c.min_normal_bits as i32);
    let magic = _mm256_set1_ps(c.magic);
    let max_bits = _mm256_set1_epi32(c.max_bits as i32);
    let inf_minus = _mm256_set1_epi32(0x7F7F_FFFF);
    let ones = _mm256_set1_epi32(-1);
    let mut acc = Acc::from(l);
    let mut clip = load_u32(clipped);
    let mut sp = load_u32(special);
    for (a, b) in x.chunks_exact(8).zip(y.chunks_exact_mut(8)) {
        let xa = load(arr(a));
        let v = _mm256_mul_ps(xa, inv);
        let bits = _mm256_castps_si256(v);
        let sign = _mm256_and_si256(bits, sign_bit);
        let av = _mm256_and_si256(bits, abs_mask);
        clip = count(
            clip,
            _mm256_cmp_ps::<_CMP_GT_OQ>(_mm256_castsi256_ps(av), clip_at),
        );
        // Normal range: RNE on the bits.
        let odd = _mm256_and_si256(_mm256_srl_epi32(av, shift), one);
        let rn = _mm256_and_si256(_mm256_add_epi32(_mm256_add_epi32(av, half_m1), odd), mask);
        // Subnormal range: (|v| + C) − C.
        let avf = _mm256_castsi256_ps(av);
        let rs = _mm256_castps_si256(_mm256_sub_ps(_mm256_add_ps(avf, magic), magic));
        let below = _mm256_cmpgt_epi32(min_normal, av);
        let r = _mm256_blendv_epi8(rn, rs, below);
        let rc = _mm256_min_epu32(r, max_bits);
        let non_finite = _mm256_cmpgt_epi32(av, inf_minus);
        let flag = if c.saturate {
            non_finite
        } else {
            let over = _mm256_xor_si256(_mm256_cmpeq_epi32(rc, r), ones);
            _mm256_or_si256(non_finite, over)
        };
        sp = _mm256_or_si256(sp, _mm256_and_si256(flag, one));
        let out = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_or_si256(rc, sign)), s);
        if let Some(b) = arr_mut(b) {
            store(b, out);
        }
        acc.add(xa, out);
    }
    acc.save(l);
    store_u32(clipped, clip);
    store_u32(special, sp);
}

/// [`super::prune::keep_at_least`] on AVX2 (the same loop; LLVM widens it to eight lanes).
#[target_feature(enable = "avx2,fma")]
pub fn keep_at_least(x: &[f32], t: u32, mask: &mut [bool], pruned: &mut [f32], kept: &mut u64) {
    super::prune::keep_at_least_body(x, t, mask, pruned, kept);
}

/// [`super::prune::count_key`] on AVX2 (the same loop, widened).
#[target_feature(enable = "avx2,fma")]
pub fn count_key(x: &[f32], key: u32, n: &mut u64) {
    super::prune::count_key_body(x, key, n);
}

/// Lane-wise finite min and max of the whole-lane part of `x` (NaN skipped).
#[target_feature(enable = "avx2,fma")]
pub fn min_max(x: &[f32], lo: &mut [f32; 8], hi: &mut [f32; 8]) {
    let (mut l, mut h) = (load(lo), load(hi));
    for a in x.chunks_exact(8) {
        let v = load(arr(a));
        // (v < l) ? v : l — a NaN `v` leaves `l`, like f32::min.
        l = _mm256_min_ps(v, l);
        h = _mm256_max_ps(v, h);
    }
    store(lo, l);
    store(hi, h);
}

/// Histogram counting of the whole-block part of `x` (blocks of 16) into four interleaved tables
/// of `t.len() / 4` bins; blocks holding a value outside `[lo, hi]` (or NaN) go to `rare`.
#[target_feature(enable = "avx2,fma")]
pub fn histogram(x: &[f32], lo: f32, hi: f32, scale: f32, t: &mut [u32], rare: &mut Vec<f32>) {
    let bins = t.len() / 4;
    if bins == 0 {
        return;
    }
    let (t0, rest) = t.split_at_mut(bins);
    let (t1, rest) = rest.split_at_mut(bins);
    let (t2, t3) = rest.split_at_mut(bins);
    let (vlo, vhi, vs) = (
        _mm256_set1_ps(lo),
        _mm256_set1_ps(hi),
        _mm256_set1_ps(scale),
    );
    let last = _mm256_set1_ps((bins - 1) as f32);
    let zero = _mm256_setzero_ps();
    for a in x.chunks_exact(16) {
        let mut idx = [0.0f32; 16];
        let mut inside = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
        for (half, out) in a.chunks_exact(8).zip(idx.chunks_exact_mut(8)) {
            let v = load(arr(half));
            let ok = _mm256_and_ps(
                _mm256_cmp_ps::<_CMP_GE_OQ>(v, vlo),
                _mm256_cmp_ps::<_CMP_LE_OQ>(v, vhi),
            );
            inside = _mm256_and_ps(inside, ok);
            // max(t, 0), then min with the last bin before truncation (equal to truncating
            // first and clamping the integer, for t ≥ 0).
            let tv = _mm256_mul_ps(_mm256_sub_ps(v, vlo), vs);
            let tv = _mm256_min_ps(last, _mm256_max_ps(tv, zero));
            let bin = _mm256_cvttps_epi32(tv);
            if let Some(out) = arr_mut(out) {
                store(out, _mm256_castsi256_ps(bin));
            }
        }
        if _mm256_movemask_ps(inside) == 0xFF {
            for q in idx.chunks_exact(4) {
                t0[q[0].to_bits() as usize] += 1;
                t1[q[1].to_bits() as usize] += 1;
                t2[q[2].to_bits() as usize] += 1;
                t3[q[3].to_bits() as usize] += 1;
            }
        } else {
            rare.extend_from_slice(a);
        }
    }
}
