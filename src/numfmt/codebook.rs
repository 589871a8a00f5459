//! 4-bit codebooks (formats.md §7): bitsandbytes NF4 and bitsandbytes "fp4".
//!
//! Values are for a block absmax of 1. Quantizing follows bitsandbytes' comparison trees: the
//! decision thresholds are the f32 midpoints between neighbouring table values and the
//! comparison is strict `>`, so a value exactly on a threshold takes the lower code.

use super::exact::{ExactReal, Kind};
use super::{Codebook, Decoded, Rounding, ValueClass};

/// `nf4_dequantization_lut` (bitsandbytes `csrc/kernels.cu`), code 0..=15.
pub const NF4_LUT: [f32; 16] = [
    f32::from_bits(0xBF800000), // -1.0
    f32::from_bits(0xBF3239B1), // -0.6961928009986877
    f32::from_bits(0xBF066B30), // -0.5250730514526367
    f32::from_bits(0xBECA32A0), // -0.39491748809814453
    f32::from_bits(0xBE91A24D), // -0.28444138169288635
    f32::from_bits(0xBE3D353F), // -0.18477343022823334
    f32::from_bits(0xBDBA7871), // -0.09105003625154495
    f32::from_bits(0x00000000), // 0.0
    f32::from_bits(0x3DA2FAFF), // 0.07958029955625534
    f32::from_bits(0x3E24CAE3), // 0.16093020141124725
    f32::from_bits(0x3E7C04DD), // 0.24611230194568634
    f32::from_bits(0x3EAD033A), // 0.33791524171829224
    f32::from_bits(0x3EE1A4B8), // 0.44070982933044434
    f32::from_bits(0x3F1007AB), // 0.5626170039176941
    f32::from_bits(0x3F3913B3), // 0.7229568362236023
    f32::from_bits(0x3F800000), // 1.0
];

/// bitsandbytes fp4 magnitudes in bit order 000…111: {0, 0.0625, 8, 12, 4, 6, 2, 3} / 12 as f32.
pub const BNB_FP4_LUT: [f32; 8] = [
    f32::from_bits(0x00000000), // 0
    f32::from_bits(0x3BAAAAAB), // 0.0625/12
    f32::from_bits(0x3F2AAAAB), // 8/12
    f32::from_bits(0x3F800000), // 12/12
    f32::from_bits(0x3EAAAAAB), // 4/12
    f32::from_bits(0x3F000000), // 6/12
    f32::from_bits(0x3E2AAAAB), // 2/12
    f32::from_bits(0x3E800000), // 3/12
];

/// bitsandbytes' `dQuantizeFP4` decision thresholds (its f32 literals, which are not all the
/// f32 midpoints: 0.583333f sits 6 ulps below 7/12), between consecutive magnitudes of
/// [`BNB_ORDER`].
const BNB_FP4_THRESHOLDS: [f32; 7] = [
    f32::from_bits(0x3B2AAAB9), // 0.00260417f
    f32::from_bits(0x3DB00000), // 0.0859375f
    f32::from_bits(0x3E555555), // 0.20833333f
    f32::from_bits(0x3E955555), // 0.29166667f
    f32::from_bits(0x3ED55556), // 0.4166667f
    f32::from_bits(0x3F155550), // 0.583333f
    f32::from_bits(0x3F555555), // 0.8333333f
];

/// bnb fp4 magnitude codes sorted by value.
const BNB_ORDER: [u64; 8] = [0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011];

pub(crate) struct CodeEncode {
    pub bits: u64,
    pub overflow: bool,
    pub inexact: bool,
    pub invalid: bool,
}

impl Codebook {
    pub fn decode(&self, bits: u64) -> Decoded {
        let v = f64::from(self.value(bits));
        Decoded {
            value: v,
            class: if v == 0.0 {
                ValueClass::Zero
            } else {
                ValueClass::Normal
            },
        }
    }

    /// The f32 table value of a code.
    pub fn value(&self, bits: u64) -> f32 {
        match self {
            Codebook::Nf4 => NF4_LUT[(bits & 0xF) as usize],
            Codebook::Fp4Bnb => {
                let m = BNB_FP4_LUT[(bits & 7) as usize];
                if bits & 8 != 0 { -m } else { m }
            }
        }
    }

    /// (code, value) pairs of one sign side sorted by value ascending: NF4 whole table; bnb fp4
    /// the magnitudes (sign applied by the caller).
    fn ladder(&self) -> Vec<(u64, f64)> {
        match self {
            Codebook::Nf4 => (0..16)
                .map(|c| (c, f64::from(NF4_LUT[c as usize])))
                .collect(),
            Codebook::Fp4Bnb => BNB_ORDER
                .iter()
                .map(|&c| (c, f64::from(BNB_FP4_LUT[c as usize])))
                .collect(),
        }
    }

    /// Quantize a normalized value (x / absmax).
    pub(crate) fn encode_exact(&self, x: &ExactReal, mode: Rounding) -> CodeEncode {
        let invalid = matches!(x.kind, Kind::Nan);
        if invalid {
            // bitsandbytes: every `x > threshold` is false for NaN → the lowest code.
            return CodeEncode {
                bits: 0,
                overflow: false,
                inexact: true,
                invalid,
            };
        }
        let (sign_bits, t) = match self {
            // bnb fp4: the sign bit, then the magnitude. (bitsandbytes tests `x < 0`, which sends
            // −0.0 to code 0; bitlens keeps −0 → 0x8 so that every pattern round-trips, and both
            // decode to zero.)
            Codebook::Fp4Bnb => (if x.neg { 8 } else { 0 }, x.approx.abs()),
            Codebook::Nf4 => (0, x.approx),
        };
        let ladder = self.ladder();
        let lo = ladder[0].1;
        let hi = ladder[ladder.len() - 1].1;
        let overflow = t > hi || t < lo;
        let tc = t.clamp(lo, hi);
        // `x.approx` is the nearest f64 of the input; every table value and threshold is an f32,
        // so comparisons against them are exact for f32/f64 inputs.
        let idx = match mode {
            Rounding::NearestEven | Rounding::NearestAway => {
                let mut i = 0;
                let thr = |i: usize| match self {
                    Codebook::Nf4 => threshold(ladder[i].1, ladder[i + 1].1),
                    Codebook::Fp4Bnb => f64::from(BNB_FP4_THRESHOLDS[i]),
                };
                while i + 1 < ladder.len() && tc > thr(i) {
                    i += 1;
                }
                i
            }
            _ => {
                let below = ladder.iter().rposition(|&(_, v)| v <= tc).unwrap_or(0);
                let above = ladder
                    .iter()
                    .position(|&(_, v)| v >= tc)
                    .unwrap_or(ladder.len() - 1);
                let choose_below = match self {
                    // signed ladder
                    Codebook::Nf4 => match mode {
                        Rounding::TowardZero => tc >= 0.0,
                        Rounding::Down => true,
                        _ => false,
                    },
                    // ladder of magnitudes, sign applied afterwards
                    Codebook::Fp4Bnb => {
                        let neg = sign_bits != 0;
                        match mode {
                            Rounding::TowardZero => true,
                            Rounding::Down => !neg,
                            _ => neg,
                        }
                    }
                };
                if choose_below { below } else { above }
            }
        };
        let (code, v) = ladder[idx];
        let inexact = overflow || v != t || matches!(x.kind, Kind::Inf);
        CodeEncode {
            bits: sign_bits | code,
            overflow,
            inexact,
            invalid: matches!(x.kind, Kind::Inf),
        }
    }
}

/// The f32 decision threshold between two neighbouring table values (strict `>` picks the upper).
pub(crate) fn threshold(a: f64, b: f64) -> f64 {
    f64::from(f64::midpoint(a, b) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(cb: Codebook, x: f64) -> u64 {
        cb.encode_exact(&ExactReal::from_f64(x), Rounding::NearestEven)
            .bits
    }

    #[test]
    fn nf4_example_block() {
        let block = [0.1f32, -0.5, 0.9, -0.02, 0.3, -1.8, 0.0, 1.2];
        let codes: Vec<u64> = block
            .iter()
            .map(|&v| q(Codebook::Nf4, f64::from(v / 1.8)))
            .collect();
        assert_eq!(codes, vec![8, 4, 12, 7, 9, 0, 7, 14]);
        // The threshold itself, 0.0397901497781276702880859375 (f32 0x3D22FAFF), takes the lower code.
        assert_eq!(q(Codebook::Nf4, f64::from(f32::from_bits(0x3D22FAFF))), 7);
        assert_eq!(q(Codebook::Nf4, 0.5), 12);
    }

    #[test]
    fn bnb_fp4_is_not_e2m1() {
        assert_eq!(Codebook::Fp4Bnb.value(0b011), 1.0);
        assert_eq!(Codebook::Fp4Bnb.value(0b1010), -BNB_FP4_LUT[2]);
        assert_eq!(q(Codebook::Fp4Bnb, 1.0), 0b011);
        assert_eq!(q(Codebook::Fp4Bnb, -0.3), 0b1100);
        // tie 3.5/12 between 3/12 (0b111) and 4/12 (0b100) goes to the lower code.
        // 0.583333f (kernel literal) < x ≤ f32(7/12): bitsandbytes already picks 8/12.
        assert_eq!(
            q(Codebook::Fp4Bnb, f64::from(f32::from_bits(0x3F155551))),
            0b010
        );
        assert_eq!(
            q(Codebook::Fp4Bnb, f64::from(f32::from_bits(0x3F155550))),
            0b101
        );
        assert_eq!(q(Codebook::Fp4Bnb, f64::from(BNB_FP4_THRESHOLDS[3])), 0b111);
    }
}
