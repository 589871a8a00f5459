//! OCP Microscaling (MX v1.0) blocks: one E8M0 scale shared by a block of elements
//! (formats.md §5).
//!
//! Scale rule (spec §6.3, default): shared_exp = floor(log2(amax)) − emax_elem, clamped to
//! [−127, 127], with floor(log2) read from the exponent bits; elements are V_i / 2^shared_exp
//! converted with RNE and saturation to ±element max. A block holding NaN or ±Inf gets the
//! NaN scale 0xFF (project rule); an all-zero block gets scale 0x00.

use serde::{Deserialize, Serialize};

use super::{FloatSpec, Format, Overflow, Rounding, SpecialRule, pow2};

/// The element type of an MX block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MxKind {
    Fp8E4m3,
    Fp8E5m2,
    Fp6E2m3,
    Fp6E3m2,
    Fp4E2m1,
    Int8,
}

/// One encoded block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MxBlock {
    /// The E8M0 scale byte (0xFF = NaN block).
    pub scale_bits: u8,
    /// 2^shared_exp (NaN for a NaN block).
    pub scale_value: f64,
    pub shared_exp: i32,
    /// Element codes, one per byte in the low bits.
    pub codes: Vec<u8>,
    /// scale × element value, per element.
    pub decoded: Vec<f32>,
    /// Element bits + 8 / block length.
    pub bits_per_element: f64,
}

impl MxKind {
    pub fn all() -> &'static [MxKind] {
        &[
            MxKind::Fp8E4m3,
            MxKind::Fp8E5m2,
            MxKind::Fp6E2m3,
            MxKind::Fp6E3m2,
            MxKind::Fp4E2m1,
            MxKind::Int8,
        ]
    }

    pub fn id(&self) -> &'static str {
        match self {
            MxKind::Fp8E4m3 => "mxfp8-e4m3",
            MxKind::Fp8E5m2 => "mxfp8-e5m2",
            MxKind::Fp6E2m3 => "mxfp6-e2m3",
            MxKind::Fp6E3m2 => "mxfp6-e3m2",
            MxKind::Fp4E2m1 => "mxfp4",
            MxKind::Int8 => "mxint8",
        }
    }

    /// Standard block size (32 for every MX format).
    pub fn block_size(&self) -> usize {
        32
    }

    /// The element format: a float spec, or None for MXINT8 (two's complement int8 × 2^−6).
    pub fn element_spec(&self) -> Option<FloatSpec> {
        let fl = |e, m, bias, special| FloatSpec {
            sign: true,
            exp_bits: e,
            man_bits: m,
            bias,
            special,
        };
        match self {
            MxKind::Fp8E4m3 => Some(fl(4, 3, 7, SpecialRule::FiniteNanAllOnes)),
            MxKind::Fp8E5m2 => Some(fl(5, 2, 15, SpecialRule::Ieee)),
            MxKind::Fp6E2m3 => Some(fl(2, 3, 1, SpecialRule::Finite)),
            MxKind::Fp6E3m2 => Some(fl(3, 2, 3, SpecialRule::Finite)),
            MxKind::Fp4E2m1 => Some(fl(2, 1, 1, SpecialRule::Finite)),
            MxKind::Int8 => None,
        }
    }

    /// The element format as a [`Format`] (MXINT8: fixed T=8, F=6).
    pub fn element_format(&self) -> Format {
        match self.element_spec() {
            Some(s) => Format::Float(s),
            None => Format::Fixed(super::FixedSpec {
                total_bits: 8,
                frac_bits: 6,
                signed: true,
            }),
        }
    }

    /// Exponent of the element's largest binade (spec table: 8, 15, 2, 4, 2, 0).
    pub fn emax(&self) -> i32 {
        match self {
            MxKind::Fp8E4m3 => 8,
            MxKind::Fp8E5m2 => 15,
            MxKind::Fp6E2m3 => 2,
            MxKind::Fp6E3m2 => 4,
            MxKind::Fp4E2m1 => 2,
            MxKind::Int8 => 0,
        }
    }

    pub fn element_bits(&self) -> u32 {
        match self {
            MxKind::Fp8E4m3 | MxKind::Fp8E5m2 | MxKind::Int8 => 8,
            MxKind::Fp6E2m3 | MxKind::Fp6E3m2 => 6,
            MxKind::Fp4E2m1 => 4,
        }
    }
}

/// floor(log2(|x|)) of a finite nonzero f32 from its bits (leading one for subnormals).
pub fn floor_log2_f32(x: f32) -> i32 {
    let a = x.to_bits() & 0x7FFF_FFFF;
    let e = (a >> 23) as i32;
    if e == 0 {
        // subnormal: value = a · 2^−149
        31 - a.leading_zeros() as i32 - 149
    } else {
        e - 127
    }
}

/// How the shared scale is chosen (torchao `ScaleCalculationMode`, formats.md §5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScaleMode {
    /// The spec's rule: floor(log2(amax)) − emax_elem. The largest elements may clip.
    #[default]
    Floor,
    /// The smallest power of two X with amax / X ≤ element max (exact): never clips.
    Ceil,
    /// Round amax to the element's precision (RNE) first, then FLOOR: clips only when
    /// rounding would overflow anyway.
    Even,
    /// NVIDIA cuBLAS: E8M0 = round-up(amax / element max), the division in f32.
    Rceil,
}

impl ScaleMode {
    pub fn all() -> &'static [ScaleMode] {
        &[
            ScaleMode::Floor,
            ScaleMode::Ceil,
            ScaleMode::Even,
            ScaleMode::Rceil,
        ]
    }

    pub fn id(&self) -> &'static str {
        match self {
            ScaleMode::Floor => "floor",
            ScaleMode::Ceil => "ceil",
            ScaleMode::Even => "even",
            ScaleMode::Rceil => "rceil",
        }
    }
}

impl MxKind {
    /// The largest element value (448, 57344, 7.5, 28, 6, 127/64).
    pub fn element_max(&self) -> f64 {
        match self.element_spec() {
            Some(s) => Format::Float(s).range().max,
            None => 127.0 / 64.0,
        }
    }
}

/// Encode one block (normally 32 values) with the spec's FLOOR scale rule.
pub fn encode_block(kind: MxKind, values: &[f32]) -> MxBlock {
    encode_block_with(kind, values, ScaleMode::Floor)
}

/// The unclamped shared exponent of a nonzero finite amax under a scale mode.
pub fn shared_exponent(kind: MxKind, amax: f32, mode: ScaleMode) -> i32 {
    let emax = kind.emax();
    let floor = floor_log2_f32(amax) - emax;
    let elem_max = kind.element_max();
    match mode {
        ScaleMode::Floor => floor,
        ScaleMode::Ceil => {
            // amax / 2^floor lies in [2^emax, 2^(emax+1)); one step up always suffices.
            if f64::from(amax) / pow2(i64::from(floor)) > elem_max {
                floor + 1
            } else {
                floor
            }
        }
        ScaleMode::Even => {
            let m = kind.element_spec().map_or(6, |s| s.man_bits);
            // RNE of amax to m mantissa bits on the f32 bits (a carry bumps the exponent).
            let u = amax.to_bits() & 0x7FFF_FFFF;
            let shift = 23 - m;
            let r = (u + (1u32 << (shift - 1)) - 1 + ((u >> shift) & 1)) & !((1u32 << shift) - 1);
            floor_log2_f32(f32::from_bits(r.min(0x7F7F_FFFF))) - emax
        }
        ScaleMode::Rceil => {
            let q = amax / elem_max as f32;
            if q == 0.0 || !q.is_finite() {
                return floor;
            }
            let fl = floor_log2_f32(q);
            let exact_pow2 = f64::from(q) == pow2(i64::from(fl));
            if exact_pow2 { fl } else { fl + 1 }
        }
    }
}

/// Encode one block with a chosen scale rule.
pub fn encode_block_with(kind: MxKind, values: &[f32], mode: ScaleMode) -> MxBlock {
    let n = values.len();
    let bits_per_element =
        f64::from(kind.element_bits()) + if n == 0 { 0.0 } else { 8.0 / n as f64 };
    if values.iter().any(|v| !v.is_finite()) {
        return MxBlock {
            scale_bits: 0xFF,
            scale_value: f64::NAN,
            shared_exp: 128,
            codes: vec![0; n],
            decoded: vec![f32::NAN; n],
            bits_per_element,
        };
    }
    let amax = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let shared_exp = if amax == 0.0 {
        -127
    } else {
        shared_exponent(kind, amax, mode).clamp(-127, 127)
    };
    let scale_value = pow2(i64::from(shared_exp));
    let elem = kind.element_format();
    let mut codes = Vec::with_capacity(n);
    let mut decoded = Vec::with_capacity(n);
    for &v in values {
        // Exact: the scale is a power of two and the quotient stays inside f64's range.
        let scaled = f64::from(v) / scale_value;
        let code = match kind {
            MxKind::Int8 => {
                let q = elem.encode_f64(scaled, Rounding::NearestEven, Overflow::Saturate);
                // Symmetric range: −128 (0x80) stays unused.
                if q.bits == 0x80 { 0x81 } else { q.bits }
            }
            _ => {
                elem.encode_f64(scaled, Rounding::NearestEven, Overflow::Saturate)
                    .bits
            }
        };
        codes.push(code as u8);
        decoded.push((elem.decode(code).value * scale_value) as f32);
    }
    MxBlock {
        scale_bits: (shared_exp + 127) as u8,
        scale_value,
        shared_exp,
        codes,
        decoded,
        bits_per_element,
    }
}

/// Decode a block from its scale byte and element codes.
pub fn decode_block(kind: MxKind, scale_bits: u8, codes: &[u8]) -> Vec<f32> {
    if scale_bits == 0xFF {
        return vec![f32::NAN; codes.len()];
    }
    let scale = pow2(i64::from(scale_bits) - 127);
    let elem = kind.element_format();
    codes
        .iter()
        .map(|&c| (elem.decode(u64::from(c)).value * scale) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples() {
        let mut v = vec![0.0f32; 32];
        v[0] = 12.0;
        v[1] = -3.5;
        v[2] = 2.5 * 2.0;
        let b = encode_block(MxKind::Fp4E2m1, &v);
        assert_eq!(b.scale_bits, 0x80);
        assert_eq!(b.shared_exp, 1);
        assert_eq!(b.decoded[1], -4.0);
        assert_eq!(b.bits_per_element, 4.25);
        let mut w = vec![1.0f32; 32];
        w[0] = 1000.0;
        let b = encode_block(MxKind::Fp8E4m3, &w);
        assert_eq!(b.scale_bits, 0x80);
        assert_eq!(b.decoded[0], 896.0);
        let z = encode_block(MxKind::Fp4E2m1, &[0.0; 32]);
        assert_eq!(z.scale_bits, 0x00);
        // CEIL / EVEN / RCEIL avoid the clip: 1000 / 4 = 250 fits (and rounds to 256).
        for mode in [ScaleMode::Ceil, ScaleMode::Even, ScaleMode::Rceil] {
            let b = encode_block_with(MxKind::Fp8E4m3, &w, mode);
            assert_eq!((b.shared_exp, b.decoded[0]), (2, 1024.0), "{mode:?}");
        }
        // FP4 amax 7.5: FLOOR clips to 6, EVEN rounds 7.5 → 8 (next binade) and keeps 8.
        let mut f = vec![0.5f32; 32];
        f[0] = 7.5;
        assert_eq!(encode_block(MxKind::Fp4E2m1, &f).decoded[0], 6.0);
        assert_eq!(
            encode_block_with(MxKind::Fp4E2m1, &f, ScaleMode::Even).decoded[0],
            8.0
        );
        assert_eq!(
            encode_block_with(MxKind::Fp4E2m1, &f, ScaleMode::Ceil).decoded[0],
            8.0
        );
        // amax exactly at element max: every mode keeps X = 1.
        let mut g = vec![0.5f32; 32];
        g[0] = 6.0;
        for &mode in ScaleMode::all() {
            assert_eq!(
                encode_block_with(MxKind::Fp4E2m1, &g, mode).shared_exp,
                0,
                "{mode:?}"
            );
        }
        let nan = encode_block(MxKind::Int8, &[f32::NAN, 1.0]);
        assert_eq!(nan.scale_bits, 0xFF);
        assert_eq!(floor_log2_f32(f32::from_bits(1)), -149);
        assert_eq!(floor_log2_f32(1.9999999), 0);
        assert_eq!(floor_log2_f32(2.0), 1);
    }
}
