//! NF4 (bitsandbytes `quantize_4bit`, QLoRA) with optional double quantization
//! (`formats.md` §7.1, §7.3).
//!
//! The flattened tensor is cut into blocks of `block` (default 64; the last may be shorter).
//! Per block absmax (f32); `n = x · (1/absmax)`; code = number of decision thresholds (midpoints
//! of the table) strictly below `n`, so a value exactly on a midpoint takes the lower code;
//! `x̂ = NF4[code] · absmax`. Packing: element 2j in the **high** nibble.
//!
//! Double quantization: `offset = mean(absmax)`; per group of 256 absmax values
//! `absmax2 = max|absmax − offset|`, code = nearest entry of the signed 8-bit dynamic map to
//! `(absmax − offset)/absmax2`; dequantized absmax = `map[code]·absmax2 + offset`, which then
//! scales the 4-bit codes (the codes themselves are chosen with the exact absmax, as
//! bitsandbytes does).

use rayon::prelude::*;

use super::metrics::ErrorSums;
use crate::numfmt::NF4_LUT;

/// Decision thresholds between adjacent NF4 codes (bitsandbytes `dQuantizeNF4`): the midpoints
/// of adjacent table values, computed in f64 and stored as f32 (e.g. 0.03979014977812767).
pub fn nf4_thresholds() -> [f32; 15] {
    let mut t = [0.0f32; 15];
    for (i, v) in t.iter_mut().enumerate() {
        *v = f64::midpoint(f64::from(NF4_LUT[i]), f64::from(NF4_LUT[i + 1])) as f32;
    }
    t
}

/// Blocks of the double-quantized absmax.
pub const DQ_GROUP: usize = 256;

/// NF4 code of a normalised value given the thresholds.
#[inline(always)]
pub fn nf4_code_with(t: &[f32; 15], n: f32) -> u8 {
    t.iter().map(|&t| u8::from(n > t)).sum()
}

/// NF4 code of a normalised value (strict `>`: a midpoint takes the lower code).
pub fn nf4_code(n: f32) -> u8 {
    nf4_code_with(&nf4_thresholds(), n)
}

/// The result of NF4 quantization.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Nf4Result {
    pub codes: Vec<u8>,
    pub absmax: Vec<f32>,
    /// The absmax each block is dequantized with (= `absmax`, or its double-quantized value).
    pub scales: Vec<f32>,
    /// Double quantization: the 8-bit codes, one f32 absmax2 per 256 blocks, the offset.
    pub dq: Option<(Vec<u8>, Vec<f32>, f32)>,
    pub dequantized: Vec<f32>,
    pub sums: ErrorSums,
}

/// The signed 8-bit dynamic map (`create_dynamic_map(signed=True, 7, 8)`), 256 ascending f32.
pub fn dynamic_map() -> Vec<f32> {
    let mut data: Vec<f32> = Vec::with_capacity(256);
    for i in 0..7i32 {
        let items = (1usize << i) + 1;
        let step = (1.0f32 - 0.1) / (items - 1) as f32;
        let b: Vec<f32> = (0..items)
            .map(|k| {
                if k < items / 2 {
                    0.1 + step * k as f32
                } else {
                    1.0 - step * (items - 1 - k) as f32
                }
            })
            .collect();
        let scale = 10f32.powi(i - 6);
        for w in b.windows(2) {
            let mean = f32::midpoint(w[0], w[1]);
            data.push(scale * mean);
            data.push(-scale * mean);
        }
    }
    data.push(0.0);
    data.push(1.0);
    data.sort_by(f32::total_cmp);
    data
}

fn nearest_in_map(map: &[f32], v: f32) -> u8 {
    let i = map.partition_point(|&m| m < v);
    if i == 0 {
        return 0;
    }
    if i >= map.len() {
        return (map.len() - 1) as u8;
    }
    if (v - map[i - 1]) <= (map[i] - v) {
        (i - 1) as u8
    } else {
        i as u8
    }
}

/// Quantize the flattened `x` in blocks of `block`.
pub fn quantize(x: &[f32], block: usize, double_quant: bool) -> Nf4Result {
    let block = block.max(1);
    let absmax: Vec<f32> = x
        .par_chunks(block)
        .map(|b| b.iter().fold(0.0f32, |m, v| m.max(v.abs())))
        .collect();
    let (scales, dq) = if double_quant && !absmax.is_empty() {
        let offset =
            (absmax.iter().map(|&v| f64::from(v)).sum::<f64>() / absmax.len() as f64) as f32;
        let map = dynamic_map();
        let mut codes = Vec::with_capacity(absmax.len());
        let mut a2s = Vec::new();
        let mut deq = Vec::with_capacity(absmax.len());
        for g in absmax.chunks(DQ_GROUP) {
            let a2 = g.iter().fold(0.0f32, |m, v| m.max((v - offset).abs()));
            let inv = if a2 > 0.0 { 1.0 / a2 } else { 0.0 };
            for &v in g {
                let c = nearest_in_map(&map, (v - offset) * inv);
                codes.push(c);
                deq.push(map[c as usize] * a2 + offset);
            }
            a2s.push(a2);
        }
        (deq, Some((codes, a2s, offset)))
    } else {
        (absmax.clone(), None)
    };
    let th = nf4_thresholds();
    let mut codes = vec![0u8; x.len()];
    let mut y = vec![0.0f32; x.len()];
    let sums = ErrorSums::fold_par(
        x.par_chunks(block)
            .zip(codes.par_chunks_mut(block))
            .zip(y.par_chunks_mut(block))
            .enumerate()
            .map(|(bi, ((xb, cb), yb))| {
                let a = absmax[bi];
                let inv = if a > 0.0 { 1.0 / a } else { 0.0 };
                let s = scales[bi];
                for ((&v, c), o) in xb.iter().zip(cb.iter_mut()).zip(yb.iter_mut()) {
                    *c = nf4_code_with(&th, v * inv);
                    *o = NF4_LUT[*c as usize] * s;
                }
                let mut acc = ErrorSums::default();
                acc.add_slices(xb, yb);
                acc
            }),
    );
    Nf4Result {
        codes,
        absmax,
        scales,
        dq,
        dequantized: y,
        sums,
    }
}

/// Pack codes two per byte, element 2j in the high nibble (bitsandbytes order).
pub fn pack(codes: &[u8]) -> Vec<u8> {
    codes
        .chunks(2)
        .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(
        clippy::excessive_precision,
        reason = "the exact midpoint of formats.md §7.1, verbatim"
    )]
    fn formats_md_example() {
        let x = [0.1f32, -0.5, 0.9, -0.02, 0.3, -1.8, 0.0, 1.2];
        let r = quantize(&x, 64, false);
        assert_eq!(r.codes, vec![8, 4, 12, 7, 9, 0, 7, 14]);
        let want = [
            0.143245f32,
            -0.511994,
            0.793278,
            0.0,
            0.289674,
            -1.8,
            0.0,
            1.301322,
        ];
        for (a, b) in r.dequantized.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{a} {b}");
        }
        assert_eq!(pack(&r.codes), vec![0x84, 0xC7, 0x90, 0x7E]);
        assert_eq!(nf4_code(0.039_790_149_778_127_670_288_085_937_5), 7);
        let doc = [
            -0.848_096_4f32,
            -0.610_632_9,
            -0.459_995_3,
            -0.339_679_4,
            -0.234_607_4,
            -0.137_911_7,
            -0.045_525,
            0.039_790_1,
            0.120_255_3,
            0.203_521_3,
            0.292_013_8,
            0.389_312_5,
            0.501_663_4,
            0.642_786_9,
            0.861_478_4,
        ];
        for (a, b) in nf4_thresholds().iter().zip(doc) {
            assert!((a - b).abs() < 1e-6, "{a} {b}");
        }
    }

    #[test]
    fn dynamic_map_shape() {
        let m = dynamic_map();
        assert_eq!(m.len(), 256);
        assert_eq!(m[255], 1.0);
        assert!(m.windows(2).all(|w| w[0] <= w[1]));
        assert!(m.contains(&0.0));
    }

    #[test]
    fn double_quant_is_close() {
        let x: Vec<f32> = (0..64 * 300)
            .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1e-3 * (1.0 + (i / 64) as f32 * 0.01))
            .collect();
        let a = quantize(&x, 64, false);
        let b = quantize(&x, 64, true);
        let (codes, a2, _) = b.dq.as_ref().unwrap();
        assert_eq!(codes.len(), 300);
        assert_eq!(a2.len(), 2);
        assert!(b.sums.metrics().sqnr_db > a.sums.metrics().sqnr_db - 0.5);
    }
}
