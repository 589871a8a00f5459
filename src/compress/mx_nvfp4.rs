//! Shared-scale block formats over whole tensors: OCP MX (32 elements + one E8M0 scale) and
//! NVFP4 (16 E2M1 elements + one E4M3 scale + one f32 tensor scale).
//!
//! Blocks run along the contiguous last axis, row by row; a row whose length is not a multiple
//! of the block ends in a shorter block (its scale still costs 8 bits). Each block is encoded by
//! [`crate::numfmt::mx::encode_block`] / [`crate::numfmt::nvfp4::encode_block`] (the spec's FLOOR
//! scale rule and torchao's recipe); this module only tiles the tensor and accumulates errors.

use rayon::prelude::*;

use super::metrics::ErrorSums;
use crate::numfmt::mx::{self, MxKind};
use crate::numfmt::nvfp4;

/// Codes, scale bytes and reconstruction of a block-format tensor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockResult {
    /// One element code per value (low bits of each byte).
    pub codes: Vec<u8>,
    /// One scale byte per block (E8M0 for MX, E4M3 for NVFP4).
    pub scale_bytes: Vec<u8>,
    /// NVFP4 tensor scale (1 for MX).
    pub tensor_scale: f32,
    pub n_blocks: usize,
    pub dequantized: Vec<f32>,
    pub sums: ErrorSums,
}

/// Codes, scale bytes, reconstruction and error sums of one row.
type RowResult = (Vec<u8>, Vec<u8>, Vec<f32>, ErrorSums);

fn tile<F>(x: &[f32], row_len: usize, block: usize, enc: F) -> BlockResult
where
    F: Fn(&[f32]) -> (u8, Vec<u8>, Vec<f32>) + Sync,
{
    let row_len = row_len.max(1);
    let per_row = row_len.div_ceil(block);
    let rows: Vec<RowResult> = x
        .par_chunks(row_len)
        .map(|r| {
            let mut codes = Vec::with_capacity(r.len());
            let mut scales = Vec::with_capacity(per_row);
            let mut y = Vec::with_capacity(r.len());
            for b in r.chunks(block) {
                let (s, c, d) = enc(b);
                scales.push(s);
                codes.extend_from_slice(&c);
                y.extend_from_slice(&d);
            }
            let mut acc = ErrorSums::default();
            acc.add_slices(r, &y);
            (codes, scales, y, acc)
        })
        .collect();
    let mut out = BlockResult {
        tensor_scale: 1.0,
        ..Default::default()
    };
    out.codes.reserve(x.len());
    out.dequantized.reserve(x.len());
    for (c, s, y, acc) in rows {
        out.codes.extend_from_slice(&c);
        out.scale_bytes.extend_from_slice(&s);
        out.dequantized.extend_from_slice(&y);
        out.sums = out.sums.merge(acc);
    }
    out.n_blocks = out.scale_bytes.len();
    out
}

/// MX quantization of `x` (rows of `row_len`).
pub fn mx_quantize(kind: MxKind, x: &[f32], row_len: usize) -> BlockResult {
    tile(x, row_len, kind.block_size(), |b| {
        let r = mx::encode_block(kind, b);
        (r.scale_bits, r.codes, r.decoded)
    })
}

/// NVFP4 quantization of `x` (rows of `row_len`).
pub fn nvfp4_quantize(x: &[f32], row_len: usize) -> BlockResult {
    let amax = x.par_iter().map(|v| v.abs()).reduce(|| 0.0f32, f32::max);
    let mut r = tile(x, row_len, nvfp4::BLOCK_SIZE, |b| {
        let e = nvfp4::encode_block(b, amax);
        (e.block_scale_bits, e.codes, e.decoded)
    });
    r.tensor_scale = nvfp4::global_scale(amax);
    r
}

/// Representable element values of an MX kind (times the scale 1).
pub fn mx_grid(kind: MxKind) -> Vec<f32> {
    let f = kind.element_format();
    let mut v: Vec<f32> = (0..256u64)
        .map(|c| f.decode(c).value as f32)
        .filter(|v| v.is_finite())
        .collect();
    if kind == MxKind::Int8 {
        v.retain(|&x| x > -2.0);
    }
    v.sort_by(f32::total_cmp);
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mxfp4_tiles_and_matches_block_encoder() {
        let x: Vec<f32> = (0..100).map(|i| (i as f32 - 50.0) * 0.37).collect();
        let r = mx_quantize(MxKind::Fp4E2m1, &x, 50);
        assert_eq!(r.n_blocks, 4); // 2 rows × (32 + 18)
        let b = mx::encode_block(MxKind::Fp4E2m1, &x[..32]);
        assert_eq!(&r.dequantized[..32], &b.decoded[..]);
        let g = mx_grid(MxKind::Fp4E2m1);
        assert_eq!(g.len(), 15);
    }

    #[test]
    fn nvfp4_tensor_scale() {
        let x: Vec<f32> = (0..64).map(|i| (i as f32 - 32.0) * 0.1).collect();
        let r = nvfp4_quantize(&x, 64);
        assert_eq!(r.n_blocks, 4);
        assert_eq!(r.tensor_scale, 3.2 / 2688.0);
        assert!(r.sums.metrics().sqnr_db > 10.0);
    }
}
