//! L0 number formats: integers, fixed point, one parametric float, 4-bit codebooks, and the
//! MX / NVFP4 block formats. Semantics follow `shared/reference/formats.md`.
//!
//! Bits are the source of truth: every format decodes a `u64` pattern (low `width()` bits) and
//! encodes a value with one explicit rounding step and one explicit overflow policy.
//!
//! Module map (one concept each):
//! - [`names`]: parsing of CLI names and aliases, canonical ids, titles, the catalog;
//! - `float`, `int`, `codebook`: decode / encode of each family;
//! - `exact` + `big`: exact inputs (f64 and decimal text) and the single rounding step;
//! - `text`: exact and shortest decimals and the filled-in formula;
//! - `order`: next/previous value, gaps, range, number line, rounding intervals;
//! - [`fast`]: branch-light f32 kernels for the compression engine;
//! - [`mx`], [`nvfp4`]: block formats; [`arith`]: integer / fixed-point arithmetic.

pub mod arith;
mod big;
mod codebook;
mod encode;
mod exact;
pub mod fast;
mod float;
mod int;
pub mod mx;
pub mod names;
pub mod nvfp4;
mod order;
mod text;

use serde::{Deserialize, Serialize};

pub use codebook::{BNB_FP4_LUT, NF4_LUT};
pub use text::Formula;

/// A number format: what a bit pattern means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Format {
    Int(IntSpec),
    Fixed(FixedSpec),
    Float(FloatSpec),
    Codebook(Codebook),
}

/// An integer of `width` bits (1..=64; sign-magnitude and one's complement need 2..=64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntSpec {
    pub width: u32,
    pub encoding: IntEncoding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntEncoding {
    Unsigned,
    TwosComplement,
    SignMagnitude,
    OnesComplement,
}

/// Fixed point: value = stored integer × 2^−frac_bits; signed means two's complement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedSpec {
    pub total_bits: u32,
    pub frac_bits: u32,
    pub signed: bool,
}

/// One parametric binary float. The special-value rule is part of the descriptor and is never
/// inferred from the field widths (formats.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloatSpec {
    pub sign: bool,
    pub exp_bits: u32,
    pub man_bits: u32,
    pub bias: i32,
    pub special: SpecialRule,
}

/// How a float treats the all-ones exponent, −0 and out-of-range inputs (formats.md §3.1, §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpecialRule {
    /// IEEE 754: E all ones is ±Inf (M = 0) or NaN (M ≠ 0); overflow → ±Inf.
    Ieee,
    /// OCP E4M3 "fn": only S.1…1.1…1 is NaN, no Inf; overflow and Inf → NaN.
    FiniteNanAllOnes,
    /// "fnuz": the −0 pattern is the only NaN, no Inf, no −0; overflow and Inf → NaN.
    Fnuz,
    /// FP6 / FP4: every pattern is a number; overflow saturates; NaN input flips sign to ∓0.
    Finite,
    /// E8M0 scale: unsigned powers of two, all-ones NaN, no zero.
    E8m0,
}

/// A 4-bit lookup table format (values are multiplied by a block absmax).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Codebook {
    /// bitsandbytes / QLoRA NormalFloat4.
    Nf4,
    /// bitsandbytes "fp4" (not OCP E2M1).
    Fp4Bnb,
}

/// Rounding direction of the single rounding step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rounding {
    /// Round to nearest, ties to even (the default everywhere).
    #[default]
    NearestEven,
    /// Round to nearest, ties away from zero (TF32 `cvt.rna`, microxcaling "nearest").
    NearestAway,
    TowardZero,
    /// Toward +∞.
    Up,
    /// Toward −∞.
    Down,
}

impl Rounding {
    pub fn all() -> &'static [Rounding] {
        &[
            Rounding::NearestEven,
            Rounding::NearestAway,
            Rounding::TowardZero,
            Rounding::Up,
            Rounding::Down,
        ]
    }

    pub fn id(&self) -> &'static str {
        match self {
            Rounding::NearestEven => "nearest-even",
            Rounding::NearestAway => "nearest-away",
            Rounding::TowardZero => "toward-zero",
            Rounding::Up => "up",
            Rounding::Down => "down",
        }
    }

    pub fn parse(id: &str) -> Result<Rounding, FormatError> {
        Rounding::all()
            .iter()
            .copied()
            .find(|r| r.id() == id.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                FormatError(format!(
                    "unknown rounding mode `{id}` (expected nearest-even, nearest-away, toward-zero, up or down)"
                ))
            })
    }
}

/// What happens to finite values beyond the largest finite value, and to ±Inf.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Overflow {
    /// The format's own rule (formats.md §4 table; integers and fixed point saturate).
    #[default]
    Default,
    /// bitlens' saturate mode (formats.md §4.1 project rule): overflow → ±max.
    Saturate,
}

impl Overflow {
    pub fn all() -> &'static [Overflow] {
        &[Overflow::Default, Overflow::Saturate]
    }

    pub fn id(&self) -> &'static str {
        match self {
            Overflow::Default => "default",
            Overflow::Saturate => "saturate",
        }
    }

    pub fn parse(id: &str) -> Result<Overflow, FormatError> {
        match id.trim().to_ascii_lowercase().as_str() {
            "default" => Ok(Overflow::Default),
            "saturate" => Ok(Overflow::Saturate),
            _ => Err(FormatError(format!(
                "unknown overflow policy `{id}` (expected default or saturate)"
            ))),
        }
    }
}

/// The class of a decoded pattern. Integers, fixed point and codebooks are zero or normal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueClass {
    Zero,
    Subnormal,
    Normal,
    Infinity,
    Nan,
}

impl ValueClass {
    pub fn id(&self) -> &'static str {
        match self {
            ValueClass::Zero => "zero",
            ValueClass::Subnormal => "subnormal",
            ValueClass::Normal => "normal",
            ValueClass::Infinity => "infinity",
            ValueClass::Nan => "nan",
        }
    }
}

/// What a run of bits means, for colouring the bit strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FieldKind {
    Sign,
    Exponent,
    Mantissa,
    Integer,
    Fraction,
    Magnitude,
    Code,
}

/// A field of a pattern: bits `lsb .. lsb + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitField {
    pub kind: FieldKind,
    pub lsb: u32,
    pub len: u32,
}

/// A decoded pattern. `value` is exact for every format of 32 bits or fewer; for wider
/// integers it is the nearest f64 (use [`Format::exact_decimal`] for the exact text).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decoded {
    pub value: f64,
    pub class: ValueClass,
}

/// The result of one encode: the pattern, its value and what was lost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Encoded {
    pub bits: u64,
    /// The decoded value of `bits`.
    pub value: f64,
    /// The input was beyond the format's range (after rounding) or was an infinity that the
    /// format cannot hold.
    pub overflow: bool,
    /// The stored value differs from the input.
    pub inexact: bool,
    /// |stored − input| (NaN when either is NaN, 0 for equal infinities).
    pub error_abs: f64,
    /// error_abs / |input| (0 when both are 0, ∞ for a nonzero error at input 0).
    pub error_rel: f64,
    /// The input has no result in this format (NaN or ±Inf into an integer, fixed-point or
    /// codebook format); `bits` then holds the flagged fallback (0, or ±max for ±Inf).
    pub invalid: bool,
}

/// The range of a format (formats.md §3 table columns).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RangeInfo {
    /// Largest finite value.
    pub max: f64,
    pub min_normal: Option<f64>,
    pub min_subnormal: Option<f64>,
    /// Distance from 1.0 to the next larger value (None where 1.0 is not representable).
    pub epsilon: Option<f64>,
    /// Significant decimal digits: log10(2^precision).
    pub decimal_digits: f64,
    /// Most negative finite value (0 for unsigned formats; 2^−127 for E8M0).
    pub min: f64,
}

/// A user-facing error: a bad format name, a malformed or too-wide literal.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

impl Format {
    /// Total width in bits.
    pub fn width(&self) -> u32 {
        match self {
            Format::Int(s) => s.width,
            Format::Fixed(s) => s.total_bits,
            Format::Float(s) => s.width(),
            Format::Codebook(_) => 4,
        }
    }

    /// The mask of the `width()` low bits.
    pub fn mask(&self) -> u64 {
        width_mask(self.width())
    }

    /// Fields from the most significant down.
    pub fn fields(&self) -> Vec<BitField> {
        let f = |kind, lsb, len| BitField { kind, lsb, len };
        let mut out = Vec::new();
        match self {
            Format::Int(s) => match s.encoding {
                IntEncoding::Unsigned => out.push(f(FieldKind::Integer, 0, s.width)),
                IntEncoding::SignMagnitude => {
                    out.push(f(FieldKind::Sign, s.width.saturating_sub(1), 1));
                    out.push(f(FieldKind::Magnitude, 0, s.width.saturating_sub(1)));
                }
                IntEncoding::TwosComplement | IntEncoding::OnesComplement => {
                    out.push(f(FieldKind::Sign, s.width.saturating_sub(1), 1));
                    if s.width > 1 {
                        out.push(f(FieldKind::Integer, 0, s.width.saturating_sub(1)));
                    }
                }
            },
            Format::Fixed(s) => {
                let body = s.total_bits.saturating_sub(u32::from(s.signed));
                if s.signed {
                    out.push(f(FieldKind::Sign, body, 1));
                }
                let frac = s.frac_bits.min(body);
                if body > frac {
                    out.push(f(FieldKind::Integer, frac, body - frac));
                }
                if frac > 0 {
                    out.push(f(FieldKind::Fraction, 0, frac));
                }
            }
            Format::Float(s) => {
                if s.sign {
                    out.push(f(FieldKind::Sign, s.exp_bits + s.man_bits, 1));
                }
                out.push(f(FieldKind::Exponent, s.man_bits, s.exp_bits));
                if s.man_bits > 0 {
                    out.push(f(FieldKind::Mantissa, 0, s.man_bits));
                }
            }
            Format::Codebook(Codebook::Nf4) => out.push(f(FieldKind::Code, 0, 4)),
            Format::Codebook(Codebook::Fp4Bnb) => {
                out.push(f(FieldKind::Sign, 3, 1));
                out.push(f(FieldKind::Code, 0, 3));
            }
        }
        out
    }

    /// Decode a pattern (bits above the width are ignored).
    pub fn decode(&self, bits: u64) -> Decoded {
        let bits = bits & self.mask();
        match self {
            Format::Int(s) => s.decode(bits),
            Format::Fixed(s) => s.decode(bits),
            Format::Float(s) => s.decode(bits),
            Format::Codebook(c) => c.decode(bits),
        }
    }

    /// Check that the parameters describe a format bitlens can handle exactly.
    pub fn validate(&self) -> Result<(), FormatError> {
        match self {
            Format::Int(s) => s.validate(),
            Format::Fixed(s) => s.validate(),
            Format::Float(s) => s.validate(),
            Format::Codebook(_) => Ok(()),
        }
    }
}

/// The mask of the `width` low bits (width 0..=64).
pub fn width_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// 2^k as f64, exact for −1074 ≤ k ≤ 1023 (0 below, ∞ above).
pub fn pow2(k: i64) -> f64 {
    if k > 1023 {
        f64::INFINITY
    } else if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else if k >= -1074 {
        f64::from_bits(1u64 << (k + 1074))
    } else {
        0.0
    }
}
