//! `Format::encode_f64` / `encode_str`: one rounding from the exact input, then the error report.

use super::exact::{ExactReal, Kind, abs_error};
use super::float::FloatParts;
use super::int::quantize_exact;
use super::{Encoded, Format, FormatError, Overflow, Rounding};

impl Format {
    /// Encode an f64 with one rounding step (no double rounding through f32).
    pub fn encode_f64(&self, x: f64, rounding: Rounding, overflow: Overflow) -> Encoded {
        self.encode_exact(&ExactReal::from_f64(x), rounding, overflow)
    }

    /// Encode typed text. Decimal text (`0.1`, `-0`, `1e-3`, `+3.5`, `inf`, `-inf`, `nan`) is
    /// rounded once from its exact decimal value. `0x…` and `0b…` are raw bit patterns (an
    /// error when wider than the format).
    pub fn encode_str(
        &self,
        text: &str,
        rounding: Rounding,
        overflow: Overflow,
    ) -> Result<Encoded, FormatError> {
        let t = text.trim();
        if let Some(bits) = self.parse_bits_literal(t)? {
            let d = self.decode(bits);
            return Ok(Encoded {
                bits,
                value: d.value,
                overflow: false,
                inexact: false,
                error_abs: 0.0,
                error_rel: 0.0,
                invalid: false,
            });
        }
        let x = ExactReal::parse_decimal(t)?;
        let no_specials = matches!(
            self,
            Format::Int(_) | Format::Fixed(_) | Format::Codebook(_)
        );
        if no_specials && matches!(x.kind, Kind::Nan | Kind::Inf) {
            return Err(FormatError(format!(
                "`{t}`: {} has no NaN or infinity",
                self.id()
            )));
        }
        Ok(self.encode_exact(&x, rounding, overflow))
    }

    /// `0x…` / `0b…` literal → Some(pattern); other text → None.
    pub fn parse_bits_literal(&self, text: &str) -> Result<Option<u64>, FormatError> {
        let t = text.trim().to_ascii_lowercase();
        let (radix, digits) = if let Some(d) = t.strip_prefix("0x") {
            (16, d)
        } else if let Some(d) = t.strip_prefix("0b") {
            (2, d)
        } else {
            return Ok(None);
        };
        let digits: String = digits.chars().filter(|&c| c != '_').collect();
        if digits.is_empty() {
            return Err(FormatError(format!("malformed bit pattern `{text}`")));
        }
        let v = u128::from_str_radix(&digits, radix)
            .map_err(|_| FormatError(format!("malformed bit pattern `{text}`")))?;
        if v > u128::from(self.mask()) {
            return Err(FormatError(format!(
                "bit pattern `{text}` does not fit in {} bits ({})",
                self.width(),
                self.id()
            )));
        }
        Ok(Some(v as u64))
    }

    pub(crate) fn encode_exact(&self, x: &ExactReal, rounding: Rounding, ovf: Overflow) -> Encoded {
        let (bits, overflow, inexact, invalid) = match self {
            Format::Float(s) => {
                let e = s.encode_exact(x, rounding, ovf);
                (e.bits, e.overflow, e.inexact, false)
            }
            // The integers' own rule is the C / ml_dtypes cast (truncate, wrap); saturate
            // quantizes. Sign-magnitude and one's complement have no cast: they quantize.
            Format::Int(s) if ovf == Overflow::Default && !super::int::has_neg_zero(s.encoding) => {
                let signed = s.encoding == super::IntEncoding::TwosComplement;
                let e = super::int::cast_exact(s.width, signed, x);
                (e.bits, e.overflow, e.inexact, e.invalid)
            }
            Format::Int(s) => {
                let e = quantize_exact(s.width, s.encoding, 0, x, rounding);
                (e.bits, e.overflow, e.inexact, e.invalid)
            }
            Format::Fixed(s) => {
                let e = quantize_exact(s.total_bits, s.encoding(), s.frac_bits, x, rounding);
                (e.bits, e.overflow, e.inexact, e.invalid)
            }
            Format::Codebook(c) => {
                let e = c.encode_exact(x, rounding);
                (e.bits, e.overflow, e.inexact, e.invalid)
            }
        };
        let value = self.decode(bits).value;
        let (error_abs, error_rel) = self.errors(x, bits, value);
        Encoded {
            bits,
            value,
            overflow,
            inexact,
            error_abs,
            error_rel,
            invalid,
        }
    }

    /// The stored value as (negative, integer, exponent), None for NaN / ±Inf.
    pub(crate) fn stored_dyadic(&self, bits: u64) -> Option<(bool, u128, i64)> {
        match self {
            Format::Float(s) => match s.parts(bits) {
                FloatParts::Finite { neg, int, exp, .. } => Some((neg, u128::from(int), exp)),
                _ => None,
            },
            Format::Int(s) => {
                let (neg, mag) = s.parts(bits);
                Some((neg, mag, 0))
            }
            Format::Fixed(s) => {
                let v = s.stored(bits);
                Some((v < 0, v.unsigned_abs(), -i64::from(s.frac_bits)))
            }
            Format::Codebook(c) => {
                let v = f64::from(c.value(bits));
                let x = ExactReal::from_f64(v);
                match x.kind {
                    Kind::Finite(super::exact::Mag::Dyadic { m, e }) => {
                        Some((v < 0.0, u128::from(m), e))
                    }
                    _ => Some((v.is_sign_negative(), 0, 0)),
                }
            }
        }
    }

    fn errors(&self, x: &ExactReal, bits: u64, value: f64) -> (f64, f64) {
        let input = x.approx;
        if value.is_nan() || input.is_nan() {
            return (f64::NAN, f64::NAN);
        }
        if value.is_infinite() || input.is_infinite() {
            if value == input && matches!(x.kind, Kind::Inf) {
                return (0.0, 0.0);
            }
            return (f64::INFINITY, f64::INFINITY);
        }
        let abs = match self.stored_dyadic(bits) {
            Some(stored) => abs_error(x, stored),
            None => (value - input).abs(),
        };
        let rel = if matches!(x.kind, Kind::Zero) {
            if abs == 0.0 { 0.0 } else { f64::INFINITY }
        } else {
            // |input| may be 0 or ∞ in f64 for extreme decimal text; fall back gracefully.
            let denom = input.abs();
            if denom == 0.0 || denom.is_infinite() {
                if abs == 0.0 {
                    0.0
                } else {
                    abs / f64::MIN_POSITIVE.max(denom)
                }
            } else {
                abs / denom
            }
        };
        (abs, rel)
    }
}
