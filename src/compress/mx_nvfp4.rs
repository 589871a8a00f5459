//! Shared-scale block formats over whole tensors: OCP MX (32 elements + one E8M0 scale) and
//! NVFP4 (16 E2M1 elements + one E4M3 scale + one f32 tensor scale).
//!
//! Blocks run along the contiguous last axis, row by row; a row whose length is not a multiple
//! of the block ends in a shorter block (its scale still costs 8 bits). Blocks follow
//! [`crate::numfmt::mx::encode_block`] (the spec's FLOOR scale rule; float elements through a
//! table-driven fast path tested bit-identical to it) and [`crate::numfmt::nvfp4::BlockEncoder`]
//! (torchao's recipe). Blocks are written into preallocated outputs in parallel, row by row, and
//! the errors are accumulated on the way.

use rayon::prelude::*;

use super::metrics::ErrorSums;
use crate::numfmt::fast::FastFloat;
use crate::numfmt::mx::{self, MxKind, ScaleMode};
use crate::numfmt::{nvfp4, pow2};

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

/// Tile `x` into rows of `row_len` and blocks of `block`; `enc(values, codes, decoded)` encodes
/// one block into its slices of the preallocated outputs and returns the block's scale byte.
fn tile<F>(x: &[f32], row_len: usize, block: usize, enc: F) -> BlockResult
where
    F: Fn(&[f32], &mut [u8], &mut [f32]) -> u8 + Sync,
{
    let row_len = row_len.max(1);
    let per_row = row_len.div_ceil(block);
    let n_blocks = (x.len() / row_len) * per_row + (x.len() % row_len).div_ceil(block);
    let mut out = BlockResult {
        codes: vec![0; x.len()],
        scale_bytes: vec![0; n_blocks],
        tensor_scale: 1.0,
        n_blocks,
        dequantized: vec![0.0; x.len()],
        sums: ErrorSums::default(),
    };
    out.sums = ErrorSums::fold_par(
        x.par_chunks(row_len)
            .zip(out.codes.par_chunks_mut(row_len))
            .zip(out.dequantized.par_chunks_mut(row_len))
            .zip(out.scale_bytes.par_chunks_mut(per_row))
            .map(|(((r, c), y), s)| {
                let blocks = r
                    .chunks(block)
                    .zip(c.chunks_mut(block))
                    .zip(y.chunks_mut(block));
                for (scale, ((b, bc), by)) in s.iter_mut().zip(blocks) {
                    *scale = enc(b, bc, by);
                }
                let mut acc = ErrorSums::default();
                acc.add_slices(r, y);
                acc
            }),
    );
    out
}

/// MX block encoding on f32 arithmetic: the spec's FLOOR shared exponent
/// ([`mx::shared_exponent`]), then float elements cast through [`FastFloat`] (saturating) and
/// decoded by table, or MXINT8 elements (s1.6 fixed point: RNE of 64·x clamped to ±127).
/// Bit-identical to [`mx::encode_block`] (a test checks) and about four times faster.
struct MxBlocks {
    kind: MxKind,
    /// The float element's cast and decode table; `None` for MXINT8.
    float: Option<(FastFloat, [f32; 256])>,
}

impl MxBlocks {
    fn new(kind: MxKind) -> Self {
        let float = kind.element_spec().map(|s| {
            let f = s.fast();
            let lut = f.lut8();
            (f, lut)
        });
        Self { kind, float }
    }

    /// The block's scale byte; codes and decoded values into the slices. Blocks with a
    /// non-finite value go through [`mx::encode_block`] (scale NaN, all values NaN).
    fn encode(&self, b: &[f32], codes: &mut [u8], out: &mut [f32]) -> u8 {
        if b.iter().any(|v| !v.is_finite()) {
            let r = mx::encode_block(self.kind, b);
            codes.copy_from_slice(&r.codes);
            out.copy_from_slice(&r.decoded);
            return r.scale_bits;
        }
        let amax = b.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let e = if amax == 0.0 {
            -127
        } else {
            mx::shared_exponent(self.kind, amax, ScaleMode::Floor).clamp(-127, 127)
        };
        // Powers of two from 2^-133 to 2^127 are exact in f32, and so are the products below
        // (the scaled values stay far from f32's limits; see the module test).
        let (inv, scale) = (pow2(i64::from(-e)) as f32, pow2(i64::from(e)) as f32);
        let pairs = b.iter().zip(codes.iter_mut()).zip(out.iter_mut());
        if let Some((elem, lut)) = &self.float {
            for ((v, c), o) in pairs {
                let q = elem.encode_mode(v * inv, true);
                *c = q as u8;
                *o = lut[(q & 0xFF) as usize] * scale;
            }
        } else {
            let step = pow2(i64::from(e) - 6) as f32;
            for ((v, c), o) in pairs {
                // −128 stays unused (symmetric range), as in the block encoder.
                let q = (v * inv * 64.0).round_ties_even().clamp(-127.0, 127.0);
                let q = q as i8;
                *c = q as u8;
                // Through the integer: code 0 decodes to +0, also for a negative input.
                *o = f32::from(q) * step;
            }
        }
        (e + 127) as u8
    }
}

/// MX quantization of `x` (rows of `row_len`).
pub fn mx_quantize(kind: MxKind, x: &[f32], row_len: usize) -> BlockResult {
    let blocks = MxBlocks::new(kind);
    tile(x, row_len, kind.block_size(), |b, c, y| {
        blocks.encode(b, c, y)
    })
}

/// NVFP4 quantization of `x` (rows of `row_len`).
pub fn nvfp4_quantize(x: &[f32], row_len: usize) -> BlockResult {
    let amax = x.par_iter().map(|v| v.abs()).reduce(|| 0.0f32, f32::max);
    let enc = nvfp4::BlockEncoder::new(amax);
    let mut r = tile(x, row_len, nvfp4::BLOCK_SIZE, |b, c, y| {
        enc.encode_into(b, c, y).0
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

    /// The fast MX path equals the block encoder of numfmt bit for bit: codes, scale bytes and
    /// decoded values, on blocks spanning tiny to huge magnitudes, zeros, ±0, grid ties and
    /// non-finite values.
    #[test]
    fn fast_mx_blocks_match_the_block_encoder() {
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for kind in [
            MxKind::Fp8E4m3,
            MxKind::Fp8E5m2,
            MxKind::Fp6E2m3,
            MxKind::Fp6E3m2,
            MxKind::Fp4E2m1,
            MxKind::Int8,
        ] {
            let fast = MxBlocks::new(kind);
            for trial in 0..4000 {
                let mag = 2f32.powi(trial % 300 - 150);
                let mut b: Vec<f32> = (0..32)
                    .map(|_| {
                        let u = next();
                        let v = f32::from_bits(0x3F80_0000 | (u >> 9)) - 1.5;
                        match u % 23 {
                            0 => 0.0,
                            1 => -0.0,
                            // Exact multiples of small steps: ties of the element grid.
                            2 => (u % 64) as f32 * 0.0625 * mag,
                            _ => v * mag,
                        }
                    })
                    .collect();
                match trial % 500 {
                    7 => b[3] = f32::NAN,
                    9 => b[0] = f32::INFINITY,
                    11 => b = vec![0.0; 32],
                    13 => b[5] = f32::MAX,
                    _ => {}
                }
                let want = mx::encode_block(kind, &b);
                let (mut c, mut y) = (vec![0u8; 32], vec![0.0f32; 32]);
                let s = fast.encode(&b, &mut c, &mut y);
                assert_eq!(s, want.scale_bits, "{kind:?} {b:?}");
                assert_eq!(c, want.codes, "{kind:?} {b:?}");
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y), bits(&want.decoded), "{kind:?} {b:?}");
            }
        }
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
