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
    NotBlockMultiple { ty: GgmlType, n_elements: usize, block_size: usize },
    #[error("{ty:?}: expected {expected} bytes for {n_elements} elements, got {actual}")]
    LengthMismatch { ty: GgmlType, n_elements: usize, expected: usize, actual: usize },
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
        ALL_GGML_TYPES.into_iter().find(|t| t.name().to_ascii_lowercase() == lower)
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
        if n_elements % bs != 0 {
            return Err(GgmlError::NotBlockMultiple { ty: self, n_elements, block_size: bs });
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
        return Err(GgmlError::LengthMismatch { ty, n_elements: n, expected, actual: bytes.len() });
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

fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[at], b[at + 1]])).to_f32()
}

fn put_f16(b: &mut [u8], at: usize, v: f32) {
    b[at..at + 2].copy_from_slice(&f16::from_f32(v).to_bits().to_le_bytes());
}

fn f16_round(v: f32) -> f32 {
    f16::from_f32(v).to_f32()
}

/// ggml's `nearest_int`: round half to even (valid for |v| ≤ 2^22; saturating beyond).
fn nearest_int(v: f32) -> i32 {
    v.round_ties_even() as i32
}

/// The element with the largest magnitude, keeping its sign (first one on ties), and its |·|.
fn signed_absmax(x: &[f32]) -> (f32, f32) {
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

// ---------------------------------------------------------------------------------------------
// K-quants (256-element super-blocks)

/// `get_scale_min_k4`: the 6-bit scale and min of sub-block `j` from the 12 packed bytes.
pub fn get_scale_min_k4(j: usize, s: &[u8]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        ((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4))
    }
}

fn dequant_q4_k(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let dmin = f16_at(b, 2);
    let scales = &b[4..16];
    let qs = &b[16..144];
    for c in 0..4 {
        let (sc1, m1) = get_scale_min_k4(2 * c, scales);
        let (sc2, m2) = get_scale_min_k4(2 * c + 1, scales);
        let (d1, mm1) = (d * f32::from(sc1), dmin * f32::from(m1));
        let (d2, mm2) = (d * f32::from(sc2), dmin * f32::from(m2));
        let q = &qs[32 * c..32 * c + 32];
        for l in 0..32 {
            y[64 * c + l] = d1 * f32::from(q[l] & 0xF) - mm1;
            y[64 * c + 32 + l] = d2 * f32::from(q[l] >> 4) - mm2;
        }
    }
}

fn dequant_q5_k(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let dmin = f16_at(b, 2);
    let scales = &b[4..16];
    let qh = &b[16..48];
    let qs = &b[48..176];
    for c in 0..4 {
        let (sc1, m1) = get_scale_min_k4(2 * c, scales);
        let (sc2, m2) = get_scale_min_k4(2 * c + 1, scales);
        let (d1, mm1) = (d * f32::from(sc1), dmin * f32::from(m1));
        let (d2, mm2) = (d * f32::from(sc2), dmin * f32::from(m2));
        let (u1, u2) = (1u8 << (2 * c), 2u8 << (2 * c));
        let q = &qs[32 * c..32 * c + 32];
        for l in 0..32 {
            let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
            let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
            y[64 * c + l] = d1 * f32::from((q[l] & 0xF) + h1) - mm1;
            y[64 * c + 32 + l] = d2 * f32::from((q[l] >> 4) + h2) - mm2;
        }
    }
}

fn dequant_q6_k(b: &[u8], y: &mut [f32]) {
    let ql_all = &b[0..128];
    let qh_all = &b[128..192];
    let sc_all = &b[192..208];
    let d = f16_at(b, 208);
    for h in 0..2 {
        let ql = &ql_all[64 * h..];
        let qh = &qh_all[32 * h..];
        let sc = &sc_all[8 * h..];
        let y = &mut y[128 * h..];
        for l in 0..32 {
            let is = l / 16;
            let q1 = i32::from((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
            let q2 = i32::from((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            let q3 = i32::from((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            let q4 = i32::from((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            let s = |k: usize| f32::from(sc[is + k] as i8);
            y[l] = d * s(0) * q1 as f32;
            y[l + 32] = d * s(2) * q2 as f32;
            y[l + 64] = d * s(4) * q3 as f32;
            y[l + 96] = d * s(6) * q4 as f32;
        }
    }
}

/// `make_qkx2_quants` (use_mad = false): weighted least-squares scale and min of one sub-block.
/// Returns `(scale, the_min)` with x ≈ scale·L − the_min, and fills `l` with codes in 0..=nmax.
#[allow(clippy::too_many_arguments, reason = "mirrors the reference signature")]
fn make_qkx2_quants(
    nmax: i32,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
    laux: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
) -> (f32, f32) {
    let n = x.len();
    let mut min = x[0];
    let mut max = x[0];
    let mut sum_w = weights[0];
    let mut sum_x = sum_w * x[0];
    for i in 1..n {
        min = if x[i] < min { x[i] } else { min };
        max = if x[i] > max { x[i] } else { max };
        let w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if min > 0.0 {
        min = 0.0;
    }
    if max == min {
        l_out.fill(0);
        return (0.0, -min);
    }
    let mut iscale = nmax as f32 / (max - min);
    let mut scale = 1.0 / iscale;
    let mut best_error = 0.0f32;
    for i in 0..n {
        let l = nearest_int(iscale * (x[i] - min)).clamp(0, nmax);
        l_out[i] = l as u8;
        let diff = scale * l as f32 + min - x[i];
        best_error += weights[i] * diff * diff;
    }
    for is in 0..=nstep {
        iscale = (rmin + rdelta * is as f32 + nmax as f32) / (max - min);
        let (mut sum_l, mut sum_l2, mut sum_xl) = (0.0f32, 0.0f32, 0.0f32);
        for i in 0..n {
            let l = nearest_int(iscale * (x[i] - min)).clamp(0, nmax);
            laux[i] = l as u8;
            let w = weights[i];
            let lf = l as f32;
            sum_l += w * lf;
            sum_l2 += w * lf * lf;
            sum_xl += w * lf * x[i];
        }
        let dd = sum_w * sum_l2 - sum_l * sum_l;
        if dd > 0.0 {
            let mut this_scale = (sum_w * sum_xl - sum_x * sum_l) / dd;
            let mut this_min = (sum_l2 * sum_x - sum_l * sum_xl) / dd;
            if this_min > 0.0 {
                this_min = 0.0;
                this_scale = sum_xl / sum_l2;
            }
            let mut cur_error = 0.0f32;
            for i in 0..n {
                let diff = this_scale * f32::from(laux[i]) + this_min - x[i];
                cur_error += weights[i] * diff * diff;
            }
            if cur_error < best_error {
                l_out[..n].copy_from_slice(&laux[..n]);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    (scale, -min)
}

/// Shared part of Q4_K / Q5_K: sub-block scales and mins, packed 6-bit, and the final codes.
fn quant_kx(x: &[f32], b: &mut [u8], nmax: i32, rmin: f32, nstep: i32, codes: &mut [u8; 256]) {
    let mut scales = [0.0f32; 8];
    let mut mins = [0.0f32; 8];
    let mut weights = [0.0f32; 32];
    let mut laux = [0u8; 32];
    let (mut max_scale, mut max_min) = (0.0f32, 0.0f32);
    for j in 0..8 {
        let xs = &x[32 * j..32 * j + 32];
        let sum_x2: f32 = xs.iter().map(|v| v * v).sum();
        let av_x = (sum_x2 / 32.0).sqrt();
        for (w, v) in weights.iter_mut().zip(xs) {
            *w = av_x + v.abs();
        }
        let (s, m) = make_qkx2_quants(
            nmax,
            xs,
            &weights,
            &mut codes[32 * j..32 * j + 32],
            &mut laux,
            rmin,
            0.1,
            nstep,
        );
        scales[j] = s;
        mins[j] = m;
        if s > max_scale {
            max_scale = s;
        }
        if m > max_min {
            max_min = m;
        }
    }
    let inv_scale = if max_scale > 0.0 { 63.0 / max_scale } else { 0.0 };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    let sc = &mut b[4..16];
    sc.fill(0);
    for j in 0..8 {
        let ls = nearest_int(inv_scale * scales[j]).min(63) as u8;
        let lm = nearest_int(inv_min * mins[j]).min(63) as u8;
        if j < 4 {
            sc[j] = ls;
            sc[j + 4] = lm;
        } else {
            sc[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
            sc[j - 4] |= (ls >> 4) << 6;
            sc[j] |= (lm >> 4) << 6;
        }
    }
    put_f16(b, 0, max_scale / 63.0);
    put_f16(b, 2, max_min / 63.0);
    let d_all = f16_at(b, 0);
    let dmin_all = f16_at(b, 2);
    for j in 0..8 {
        let (s, m) = get_scale_min_k4(j, &b[4..16]);
        let d = d_all * f32::from(s);
        if d == 0.0 {
            continue;
        }
        let dm = dmin_all * f32::from(m);
        for ii in 0..32 {
            let l = nearest_int((x[32 * j + ii] + dm) / d).clamp(0, nmax);
            codes[32 * j + ii] = l as u8;
        }
    }
}

fn quant_q4_k(x: &[f32], b: &mut [u8]) {
    let mut codes = [0u8; 256];
    quant_kx(x, b, 15, -1.0, 20, &mut codes);
    let qs = &mut b[16..144];
    for c in 0..4 {
        for l in 0..32 {
            qs[32 * c + l] = codes[64 * c + l] | (codes[64 * c + 32 + l] << 4);
        }
    }
}

fn quant_q5_k(x: &[f32], b: &mut [u8]) {
    let mut codes = [0u8; 256];
    quant_kx(x, b, 31, -0.5, 15, &mut codes);
    let (qh, qs) = b[16..176].split_at_mut(32);
    qh.fill(0);
    for c in 0..4 {
        let (m1, m2) = (1u8 << (2 * c), 2u8 << (2 * c));
        for j in 0..32 {
            let mut l1 = codes[64 * c + j];
            if l1 > 15 {
                l1 -= 16;
                qh[j] |= m1;
            }
            let mut l2 = codes[64 * c + 32 + j];
            if l2 > 15 {
                l2 -= 16;
                qh[j] |= m2;
            }
            qs[32 * c + j] = l1 | (l2 << 4);
        }
    }
}

/// `make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL)`: signed scale, codes L + nmax.
fn make_qx_quants(nmax: i32, x: &[f32], l_out: &mut [i8]) -> f32 {
    let (amax, max) = signed_absmax(x);
    if amax < 1e-15 {
        l_out.fill(0);
        return 0.0;
    }
    let nmaxf = nmax as f32;
    let mut iscale = -nmaxf / max;
    let (mut sumlx, mut suml2) = (0.0f32, 0.0f32);
    for (i, &v) in x.iter().enumerate() {
        let l = nearest_int(iscale * v).clamp(-nmax, nmax - 1);
        l_out[i] = (l + nmax) as i8;
        let w = v * v;
        sumlx += w * v * l as f32;
        suml2 += w * (l * l) as f32;
    }
    let mut scale = if suml2 != 0.0 { sumlx / suml2 } else { 0.0 };
    let mut best = scale * sumlx;
    for is in -9..=9 {
        if is == 0 {
            continue;
        }
        iscale = -(nmaxf + 0.1 * is as f32) / max;
        sumlx = 0.0;
        suml2 = 0.0;
        for &v in x {
            let l = nearest_int(iscale * v).clamp(-nmax, nmax - 1);
            let w = v * v;
            sumlx += w * v * l as f32;
            suml2 += w * (l * l) as f32;
        }
        if suml2 > 0.0 && sumlx * sumlx > best * suml2 {
            for (i, &v) in x.iter().enumerate() {
                let l = nearest_int(iscale * v).clamp(-nmax, nmax - 1);
                l_out[i] = (l + nmax) as i8;
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    scale
}

fn quant_q6_k(x: &[f32], b: &mut [u8]) {
    let mut l_codes = [0i8; 256];
    let mut scales = [0.0f32; 16];
    let (mut max_scale, mut max_abs_scale) = (0.0f32, 0.0f32);
    for ib in 0..16 {
        let s = make_qx_quants(32, &x[16 * ib..16 * ib + 16], &mut l_codes[16 * ib..16 * ib + 16]);
        scales[ib] = s;
        if s.abs() > max_abs_scale {
            max_abs_scale = s.abs();
            max_scale = s;
        }
    }
    if max_abs_scale < 1e-15 {
        b.fill(0);
        return;
    }
    let iscale = -128.0 / max_scale;
    put_f16(b, 208, 1.0 / iscale);
    for ib in 0..16 {
        b[192 + ib] = nearest_int(iscale * scales[ib]).min(127) as i8 as u8;
    }
    let d_all = f16_at(b, 208);
    for j in 0..16 {
        let d = d_all * f32::from(b[192 + j] as i8);
        if d == 0.0 {
            continue;
        }
        for ii in 0..16 {
            let l = nearest_int(x[16 * j + ii] / d).clamp(-32, 31);
            l_codes[16 * j + ii] = (l + 32) as i8;
        }
    }
    let codes: [u8; 256] = l_codes.map(|v| v as u8);
    let (ql_all, rest) = b.split_at_mut(128);
    let qh_all = &mut rest[..64];
    for h in 0..2 {
        let c = &codes[128 * h..128 * h + 128];
        let ql = &mut ql_all[64 * h..64 * h + 64];
        let qh = &mut qh_all[32 * h..32 * h + 32];
        for l in 0..32 {
            ql[l] = (c[l] & 0xF) | ((c[l + 64] & 0xF) << 4);
            ql[l + 32] = (c[l + 32] & 0xF) | ((c[l + 96] & 0xF) << 4);
            qh[l] = (c[l] >> 4) | ((c[l + 32] >> 4) << 2) | ((c[l + 64] >> 4) << 4) | ((c[l + 96] >> 4) << 6);
        }
    }
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
        let want = [13, 13, 12, 12, 11, 11, 11, 10, 10, 9, 9, 8, 8, 8, 7, 7, 6, 6, 5, 5, 5, 4, 4, 3, 3, 3, 2, 2, 1, 1, 0, 0];
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
