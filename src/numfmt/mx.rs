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

/// Encode one block (normally 32 values) with the spec's FLOOR scale rule.
pub fn encode_block(kind: MxKind, values: &[f32]) -> MxBlock {
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
        (floor_log2_f32(amax) - kind.emax()).clamp(-127, 127)
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
        let nan = encode_block(MxKind::Int8, &[f32::NAN, 1.0]);
        assert_eq!(nan.scale_bits, 0xFF);
        assert_eq!(floor_log2_f32(f32::from_bits(1)), -149);
        assert_eq!(floor_log2_f32(1.9999999), 0);
        assert_eq!(floor_log2_f32(2.0), 1);
    }
}
