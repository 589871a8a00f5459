//! NVIDIA NVFP4 (formats.md §6): E2M1 elements, a block of 16 sharing one FP8 E4M3 scale,
//! and one FP32 per-tensor ("global") scale. All arithmetic in f32 in the recipe's order
//! (torchao / ModelOpt / Transformer Engine).

use serde::{Deserialize, Serialize};

use super::{FloatSpec, SpecialRule};

/// One encoded block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NvFp4Block {
    /// amax_tensor / (448 · 6), or 1 for an all-zero tensor (project rule).
    pub global_scale: f32,
    /// The E4M3 block scale pattern.
    pub block_scale_bits: u8,
    pub block_scale: f32,
    /// E2M1 codes, one per byte in the low nibble.
    pub codes: Vec<u8>,
    /// e2m1(q) · block_scale · global_scale in f32.
    pub decoded: Vec<f32>,
}

/// Elements per block.
pub const BLOCK_SIZE: usize = 16;
/// Storage cost: 4 bits + 8 / 16 per element (plus 32 bits per tensor).
pub const BITS_PER_ELEMENT: f64 = 4.5;

pub(crate) const E4M3: FloatSpec = FloatSpec {
    sign: true,
    exp_bits: 4,
    man_bits: 3,
    bias: 7,
    special: SpecialRule::FiniteNanAllOnes,
};

pub(crate) const E2M1: FloatSpec = FloatSpec {
    sign: true,
    exp_bits: 2,
    man_bits: 1,
    bias: 1,
    special: SpecialRule::Finite,
};

/// The per-tensor scale: amax / (448 · 6) in f32; 1 for an all-zero (or non-finite) amax.
pub fn global_scale(tensor_amax: f32) -> f32 {
    if tensor_amax == 0.0 || !tensor_amax.is_finite() {
        1.0
    } else {
        tensor_amax / (448.0f32 * 6.0f32)
    }
}

/// Encode one block (normally 16 values) given the tensor's amax.
pub fn encode_block(values: &[f32], tensor_amax: f32) -> NvFp4Block {
    let enc = BlockEncoder::new(tensor_amax);
    let mut codes = vec![0u8; values.len()];
    let mut decoded = vec![0.0f32; values.len()];
    let (block_scale_bits, block_scale) = enc.encode_into(values, &mut codes, &mut decoded);
    NvFp4Block {
        global_scale: enc.global,
        block_scale_bits,
        block_scale,
        codes,
        decoded,
    }
}

/// The NVFP4 block encoder of one tensor (its format tables and global scale built once), for
/// encoding many blocks into preallocated buffers.
pub struct BlockEncoder {
    e4m3: super::fast::FastFloat,
    e2m1: super::fast::FastFloat,
    e2m1_values: [f32; 256],
    /// [`global_scale`] of the tensor.
    pub global: f32,
}

impl BlockEncoder {
    pub fn new(tensor_amax: f32) -> Self {
        let e2m1 = E2M1.fast();
        Self {
            e4m3: E4M3.fast(),
            e2m1_values: e2m1.lut8(),
            e2m1,
            global: global_scale(tensor_amax),
        }
    }

    /// Encode `values` into `codes` and `decoded` (same lengths); returns the E4M3 block scale
    /// pattern and its value.
    pub fn encode_into(&self, values: &[f32], codes: &mut [u8], decoded: &mut [f32]) -> (u8, f32) {
        let global = self.global;
        let amax = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let wanted = (amax / 6.0f32) / global;
        let clamped = if wanted.is_nan() {
            wanted
        } else {
            wanted.clamp(2f32.powi(-6), 448.0)
        };
        let block_scale_bits = self.e4m3.encode_f32(clamped) as u8;
        let block_scale = self.e4m3.decode_f32(u32::from(block_scale_bits));
        let denom = global * block_scale;
        for ((&x, c), d) in values.iter().zip(codes.iter_mut()).zip(decoded.iter_mut()) {
            let q = x / denom;
            let q = if q.is_nan() { q } else { q.clamp(-6.0, 6.0) };
            let code = self.e2m1.encode_f32(q);
            *c = code as u8;
            *d = self.e2m1_values[(code & 0xFF) as usize] * block_scale * global;
        }
        (block_scale_bits, block_scale)
    }
}

/// Decode a block from its scales and codes.
pub fn decode_block(global_scale: f32, block_scale_bits: u8, codes: &[u8]) -> Vec<f32> {
    let e4m3 = E4M3.fast();
    let e2m1 = E2M1.fast();
    let s = e4m3.decode_f32(u32::from(block_scale_bits));
    codes
        .iter()
        .map(|&c| e2m1.decode_f32(u32::from(c & 0xF)) * s * global_scale)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_examples() {
        let b = encode_block(&[30.0, -15.0, 1.0, 0.0], 2688.0);
        assert_eq!(b.global_scale, 1.0);
        assert_eq!(b.block_scale_bits, 0x4A);
        assert_eq!(b.block_scale, 5.0);
        assert_eq!(b.codes, vec![0x7, 0xD, 0x0, 0x0]);
        let b = encode_block(&[10.0], 100.0);
        assert_eq!(b.global_scale.to_bits(), 0x3D18_6186);
        assert_eq!(b.block_scale_bits, 0x63);
        assert_eq!(b.block_scale, 44.0);
        let z = encode_block(&[0.0; 16], 0.0);
        assert_eq!(z.global_scale, 1.0);
        assert!(z.codes.iter().all(|&c| c == 0));
    }
}
