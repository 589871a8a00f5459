//! llama.cpp / ggml tensor block codecs (GGUF storage types).
//!
//! Layouts follow `ggml/src/ggml-common.h` and the reference quantizers
//! `quantize_row_*_ref` in `ggml/src/ggml-quants.c` (see `quantization.md` §6). Every block is a
//! packed little-endian struct; blocks run along the contiguous (last PyTorch) dimension.
//!
//! | type | elems/block | bytes/block | bits per weight |
//! |---|---|---|---|
//! | F32 / F16 / BF16 | 1 | 4 / 2 / 2 | 32 / 16 / 16 |
//! | Q8_0 | 32 | 34 | 8.5 |
//! | Q4_0 / Q4_1 | 32 | 18 / 20 | 4.5 / 5.0 |
//! | Q5_0 / Q5_1 | 32 | 22 / 24 | 5.5 / 6.0 |
//! | Q4_K / Q5_K / Q6_K | 256 | 144 / 176 / 210 | 4.5 / 5.5 / 6.5625 |
//!
//! bits per weight = 8 · bytes per block / elements per block (exact, no other overhead).
//!
//! Rounding reproduces llama.cpp: Q8_0 uses C `roundf` (half away from zero); Q4_0/Q4_1/Q5_0/Q5_1
//! truncate after adding ½; the K-quants use `nearest_int` (half to even). f16 fields are rounded
//! to nearest even, as ggml's `GGML_FP32_TO_FP16`.

use half::{bf16, f16};
use rayon::prelude::*;

pub use super::ggml_kquants::get_scale_min_k4;
use super::ggml_kquants::{
    dequant_q4_k, dequant_q5_k, dequant_q6_k, quant_q4_k, quant_q5_k, quant_q6_k,
};

/// A ggml tensor storage type (the subset bitlens reads and writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[allow(non_camel_case_types, reason = "the names are ggml's own type names")]
pub enum GgmlType {
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q4_K,
    Q5_K,
    Q6_K,
}

/// Errors of the block codecs. They never panic on malformed input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GgmlError {
    #[error("{ty:?}: {n_elements} elements is not a multiple of the block size {block_size}")]
    NotBlockMultiple {
        ty: GgmlType,
        n_elements: usize,
        block_size: usize,
    },
    #[error("{ty:?}: expected {expected} bytes for {n_elements} elements, got {actual}")]
    LengthMismatch {
        ty: GgmlType,
        n_elements: usize,
        expected: usize,
        actual: usize,
    },
}

/// All types, in ggml id order.
pub const ALL_GGML_TYPES: [GgmlType; 11] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
    GgmlType::Q8_0,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::BF16,
];

impl GgmlType {
    /// From the ggml type id stored in GGUF tensor infos.
    pub fn from_id(id: u32) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            6 => Self::Q5_0,
            7 => Self::Q5_1,
            8 => Self::Q8_0,
            12 => Self::Q4_K,
            13 => Self::Q5_K,
            14 => Self::Q6_K,
            30 => Self::BF16,
            _ => return None,
        })
    }

    /// The ggml type id.
    pub fn id(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q5_1 => 7,
            Self::Q8_0 => 8,
            Self::Q4_K => 12,
            Self::Q5_K => 13,
            Self::Q6_K => 14,
            Self::BF16 => 30,
        }
    }

    /// ggml's lower-case name (`q4_0`, `q4_K`, `bf16`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::BF16 => "bf16",
            Self::Q8_0 => "q8_0",
            Self::Q4_0 => "q4_0",
            Self::Q4_1 => "q4_1",
            Self::Q5_0 => "q5_0",
            Self::Q5_1 => "q5_1",
            Self::Q4_K => "q4_K",
            Self::Q5_K => "q5_K",
            Self::Q6_K => "q6_K",
        }
    }

    /// Parse a name case-insensitively (`q4_k`, `Q4_K`, `q8_0`, …).
    pub fn parse(s: &str) -> Option<Self> {
        let lower = s.to_ascii_lowercase();
        ALL_GGML_TYPES
            .into_iter()
            .find(|t| t.name().to_ascii_lowercase() == lower)
    }

    /// Elements per block.
    pub fn block_size(self) -> usize {
        match self {
            Self::F32 | Self::F16 | Self::BF16 => 1,
            Self::Q8_0 | Self::Q4_0 | Self::Q4_1 | Self::Q5_0 | Self::Q5_1 => 32,
            Self::Q4_K | Self::Q5_K | Self::Q6_K => 256,
        }
    }

    /// Bytes per block.
    pub fn type_size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 | Self::BF16 => 2,
            Self::Q8_0 => 34,
            Self::Q4_0 => 18,
            Self::Q4_1 => 20,
            Self::Q5_0 => 22,
            Self::Q5_1 => 24,
            Self::Q4_K => 144,
            Self::Q5_K => 176,
            Self::Q6_K => 210,
        }
    }

    /// Exact storage bits per weight: `8 · type_size / block_size`.
    pub fn bits_per_weight(self) -> f64 {
        8.0 * self.type_size() as f64 / self.block_size() as f64
    }

    /// Bytes needed for `n_elements` values, or an error when they do not fill whole blocks.
    pub fn row_size(self, n_elements: usize) -> Result<usize, GgmlError> {
        let bs = self.block_size();
        if !n_elements.is_multiple_of(bs) {
            return Err(GgmlError::NotBlockMultiple {
                ty: self,
                n_elements,
                block_size: bs,
            });
        }
        Ok(n_elements / bs * self.type_size())
    }
}

/// Decode `n_elements` values stored as `ty` in `bytes`.
pub fn dequantize(ty: GgmlType, bytes: &[u8], n_elements: usize) -> Result<Vec<f32>, GgmlError> {
    let mut out = vec![0.0f32; n_elements];
    dequantize_into(ty, bytes, &mut out)?;
    Ok(out)
}

/// Decode into a caller-provided buffer (its length is the element count).
pub fn dequantize_into(ty: GgmlType, bytes: &[u8], out: &mut [f32]) -> Result<(), GgmlError> {
    let n = out.len();
    let expected = ty.row_size(n)?;
    if bytes.len() != expected {
        return Err(GgmlError::LengthMismatch {
            ty,
            n_elements: n,
            expected,
            actual: bytes.len(),
        });
    }
    let bs = ty.block_size();
    let ts = ty.type_size();
    // Work in chunks of many blocks so per-task overhead stays small.
    let blocks_per_task = (16384 / bs).max(1);
    let dec: fn(&[u8], &mut [f32]) = match ty {
        GgmlType::F32 => |b, y| y[0] = f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        GgmlType::F16 => |b, y| y[0] = f16_at(b, 0),
        GgmlType::BF16 => |b, y| y[0] = bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32(),
        GgmlType::Q8_0 => dequant_q8_0,
        GgmlType::Q4_0 => dequant_q4_0,
        GgmlType::Q4_1 => dequant_q4_1,
        GgmlType::Q5_0 => dequant_q5_0,
        GgmlType::Q5_1 => dequant_q5_1,
        GgmlType::Q4_K => dequant_q4_k,
        GgmlType::Q5_K => dequant_q5_k,
        GgmlType::Q6_K => dequant_q6_k,
    };
    out.par_chunks_mut(bs * blocks_per_task)
        .zip(bytes.par_chunks(ts * blocks_per_task))
        .for_each(|(y, b)| {
            for (yb, bb) in y.chunks_exact_mut(bs).zip(b.chunks_exact(ts)) {
                dec(bb, yb);
            }
        });
    Ok(())
}

/// Encode `x` as `ty` with llama.cpp's reference quantizer (no importance matrix).
pub fn quantize(ty: GgmlType, x: &[f32]) -> Result<Vec<u8>, GgmlError> {
    let len = ty.row_size(x.len())?;
    let mut out = vec![0u8; len];
    let bs = ty.block_size();
    let ts = ty.type_size();
    let blocks_per_task = (16384 / bs).max(1);
    let enc: fn(&[f32], &mut [u8]) = match ty {
        GgmlType::F32 => |x, b| b.copy_from_slice(&x[0].to_le_bytes()),
        GgmlType::F16 => |x, b| b.copy_from_slice(&f16::from_f32(x[0]).to_bits().to_le_bytes()),
        GgmlType::BF16 => |x, b| b.copy_from_slice(&bf16::from_f32(x[0]).to_bits().to_le_bytes()),
        GgmlType::Q8_0 => quant_q8_0,
        GgmlType::Q4_0 => quant_q4_0,
        GgmlType::Q4_1 => quant_q4_1,
        GgmlType::Q5_0 => quant_q5_0,
        GgmlType::Q5_1 => quant_q5_1,
        GgmlType::Q4_K => quant_q4_k,
        GgmlType::Q5_K => quant_q5_k,
        GgmlType::Q6_K => quant_q6_k,
    };
    out.par_chunks_mut(ts * blocks_per_task)
        .zip(x.par_chunks(bs * blocks_per_task))
        .for_each(|(b, xs)| {
            for (bb, xb) in b.chunks_exact_mut(ts).zip(xs.chunks_exact(bs)) {
                enc(xb, bb);
            }
        });
    Ok(out)
}

/// Quantize then dequantize (what the weights would look like stored as `ty`).
pub fn fake_quantize(ty: GgmlType, x: &[f32]) -> Result<Vec<f32>, GgmlError> {
    let bytes = quantize(ty, x)?;
    dequantize(ty, &bytes, x.len())
}

// ---------------------------------------------------------------------------------------------
// helpers

pub(super) fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[at], b[at + 1]])).to_f32()
}

pub(super) fn put_f16(b: &mut [u8], at: usize, v: f32) {
    b[at..at + 2].copy_from_slice(&f16::from_f32(v).to_bits().to_le_bytes());
}

fn f16_round(v: f32) -> f32 {
    f16::from_f32(v).to_f32()
}

/// ggml's `nearest_int`: round half to even (valid for |v| ≤ 2^22; saturating beyond).
pub(super) fn nearest_int(v: f32) -> i32 {
    v.round_ties_even() as i32
}

/// The element with the largest magnitude, keeping its sign (first one on ties), and its |·|.
pub(super) fn signed_absmax(x: &[f32]) -> (f32, f32) {
    let (mut amax, mut max) = (0.0f32, 0.0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    (amax, max)
}

fn min_max(x: &[f32]) -> (f32, f32) {
    let (mut min, mut max) = (f32::MAX, -f32::MAX);
    for &v in x {
        min = min.min(v);
        max = max.max(v);
    }
    (min, max)
}

// ---------------------------------------------------------------------------------------------
// legacy 32-element blocks

fn dequant_q8_0(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (yj, &q) in y.iter_mut().zip(&b[2..34]) {
        *yj = d * f32::from(q as i8);
    }
}

fn quant_q8_0(x: &[f32], b: &mut [u8]) {
    let amax = x.iter().fold(0.0f32, |a, v| a.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_f16(b, 0, d);
    for (q, &v) in b[2..34].iter_mut().zip(x) {
        // C roundf: half away from zero (Rust `round`).
        *q = ((v * id).round() as i8) as u8;
    }
}

fn dequant_q4_0(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for j in 0..16 {
        let q = b[2 + j];
        y[j] = d * (i32::from(q & 15) - 8) as f32;
        y[j + 16] = d * (i32::from(q >> 4) - 8) as f32;
    }
}

/// C `(int8_t)(v)` truncation toward zero, as used after `+ 8.5f` etc.
fn trunc_i8(v: f32) -> i32 {
    i32::from(v as i8)
}

fn quant_q4_0(x: &[f32], b: &mut [u8]) {
    let (_, max) = signed_absmax(x);
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_f16(b, 0, d);
    for j in 0..16 {
        let q0 = trunc_i8(x[j] * id + 8.5).min(15) as u8;
        let q1 = trunc_i8(x[j + 16] * id + 8.5).min(15) as u8;
        b[2 + j] = q0 | (q1 << 4);
    }
}

fn dequant_q4_1(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let m = f16_at(b, 2);
    for j in 0..16 {
        let q = b[4 + j];
        y[j] = d * f32::from(q & 15) + m;
        y[j + 16] = d * f32::from(q >> 4) + m;
    }
}

fn quant_q4_1(x: &[f32], b: &mut [u8]) {
    let (min, max) = min_max(x);
    let d = (max - min) / 15.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_f16(b, 0, d);
    put_f16(b, 2, min);
    for j in 0..16 {
        let q0 = trunc_i8((x[j] - min) * id + 0.5).min(15) as u8;
        let q1 = trunc_i8((x[j + 16] - min) * id + 0.5).min(15) as u8;
        b[4 + j] = q0 | (q1 << 4);
    }
}

fn dequant_q5_0(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    for j in 0..16 {
        let q = b[6 + j];
        let h0 = ((qh >> j) & 1) << 4;
        let h1 = ((qh >> (j + 16)) & 1) << 4;
        y[j] = d * ((u32::from(q & 15) | h0) as i32 - 16) as f32;
        y[j + 16] = d * ((u32::from(q >> 4) | h1) as i32 - 16) as f32;
    }
}

fn quant_q5_0(x: &[f32], b: &mut [u8]) {
    let (_, max) = signed_absmax(x);
    let d = max / -16.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_f16(b, 0, d);
    let mut qh = 0u32;
    for j in 0..16 {
        let q0 = trunc_i8(x[j] * id + 16.5).min(31) as u32;
        let q1 = trunc_i8(x[j + 16] * id + 16.5).min(31) as u32;
        b[6 + j] = ((q0 & 15) | ((q1 & 15) << 4)) as u8;
        qh |= ((q0 & 0x10) >> 4) << j;
        qh |= ((q1 & 0x10) >> 4) << (j + 16);
    }
    b[2..6].copy_from_slice(&qh.to_le_bytes());
}

fn dequant_q5_1(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let m = f16_at(b, 2);
    let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    for j in 0..16 {
        let q = b[8 + j];
        let h0 = ((qh >> j) & 1) << 4;
        let h1 = ((qh >> (j + 16)) & 1) << 4;
        y[j] = d * (u32::from(q & 15) | h0) as f32 + m;
        y[j + 16] = d * (u32::from(q >> 4) | h1) as f32 + m;
    }
}

fn quant_q5_1(x: &[f32], b: &mut [u8]) {
    let (min, max) = min_max(x);
    let d = (max - min) / 31.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    put_f16(b, 0, d);
    put_f16(b, 2, min);
    let mut qh = 0u32;
    for j in 0..16 {
        // llama.cpp: `(int)(x0 + 0.5f)`, no clamp (the codes fit 5 bits by construction).
        let q0 = ((x[j] - min) * id + 0.5) as i32 as u32;
        let q1 = ((x[j + 16] - min) * id + 0.5) as i32 as u32;
        b[8 + j] = ((q0 & 15) | ((q1 & 15) << 4)) as u8;
        qh |= ((q0 & 0x10) >> 4) << j;
        qh |= ((q1 & 0x10) >> 4) << (j + 16);
    }
    b[4..8].copy_from_slice(&qh.to_le_bytes());
}

/// Round a value the way a ggml f16 field stores it (for tests and size-aware displays).
pub fn f16_stored(v: f32) -> f32 {
    f16_round(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden() -> Vec<f32> {
        (0..32).map(|i| (i as f32 - 12.0) / 8.0).collect()
    }

    #[test]
    fn ids_round_trip_and_sizes() {
        for t in ALL_GGML_TYPES {
            assert_eq!(GgmlType::from_id(t.id()), Some(t));
            assert_eq!(GgmlType::parse(t.name()), Some(t));
        }
        assert_eq!(GgmlType::Q4_0.bits_per_weight(), 4.5);
        assert_eq!(GgmlType::Q6_K.bits_per_weight(), 6.5625);
        assert_eq!(GgmlType::from_id(4), None);
    }

    #[test]
    fn q4_0_golden() {
        let x = golden();
        let b = quantize(GgmlType::Q4_0, &x).unwrap();
        assert_eq!(f16_at(&b, 0), -0.296875);
        let want = [
            13, 13, 12, 12, 11, 11, 11, 10, 10, 9, 9, 8, 8, 8, 7, 7, 6, 6, 5, 5, 5, 4, 4, 3, 3, 3,
            2, 2, 1, 1, 0, 0,
        ];
        for j in 0..16 {
            assert_eq!(b[2 + j] & 15, want[j]);
            assert_eq!(b[2 + j] >> 4, want[j + 16]);
        }
        let y = dequantize(GgmlType::Q4_0, &b, 32).unwrap();
        assert_eq!(y[0], -1.484375);
    }

    #[test]
    fn length_errors_do_not_panic() {
        assert!(dequantize(GgmlType::Q4_K, &[0u8; 10], 256).is_err());
        assert!(dequantize(GgmlType::Q8_0, &[0u8; 34], 31).is_err());
        assert!(quantize(GgmlType::Q4_0, &[0.0; 33]).is_err());
    }
}
