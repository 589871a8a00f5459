//! Integers (four encodings, widths 1..=64) and fixed point (formats.md §1, §2).
//!
//! Both share one core: a pattern is a sign and a magnitude; fixed point scales it by 2^−F.
//! Encoding a real is the `quantize` operation: one rounding (RNE by default), then saturation
//! to [min, max] with an overflow flag. The C-style `cast` (truncate, wrap) is [`IntSpec::cast_f64`].

use super::exact::{ExactReal, Kind, round_up};
use super::{
    Decoded, FixedSpec, FormatError, IntEncoding, IntSpec, Rounding, ValueClass, width_mask,
};

/// Result of the exact quantize.
#[derive(Debug)]
pub(crate) struct IntEncode {
    pub bits: u64,
    pub overflow: bool,
    pub inexact: bool,
    pub invalid: bool,
}

/// (negative, magnitude) of a pattern; a negative sign with magnitude 0 is −0.
pub(crate) fn int_parts(width: u32, enc: IntEncoding, bits: u64) -> (bool, u128) {
    let width = width.clamp(1, 64); // unvalidated specs must not panic
    let bits = bits & width_mask(width);
    let msb = bits >> (width - 1) & 1 == 1;
    let full = 1u128 << width;
    match enc {
        IntEncoding::Unsigned => (false, u128::from(bits)),
        IntEncoding::TwosComplement => {
            if msb {
                (true, full - u128::from(bits))
            } else {
                (false, u128::from(bits))
            }
        }
        IntEncoding::SignMagnitude => (msb, u128::from(bits & width_mask(width - 1))),
        IntEncoding::OnesComplement => {
            if msb {
                (true, (full - 1) - u128::from(bits))
            } else {
                (false, u128::from(bits))
            }
        }
    }
}

/// The pattern of (negative, magnitude); the magnitude must be in range.
pub(crate) fn int_bits(width: u32, enc: IntEncoding, neg: bool, mag: u128) -> u64 {
    let width = width.clamp(1, 64); // unvalidated specs must not panic
    let mask = width_mask(width);
    match (enc, neg) {
        (IntEncoding::Unsigned, _) | (_, false) => mag as u64 & mask,
        (IntEncoding::TwosComplement, true) => ((1u128 << width) - mag) as u64 & mask,
        (IntEncoding::SignMagnitude, true) => (1u64 << (width - 1)) | mag as u64,
        (IntEncoding::OnesComplement, true) => !(mag as u64) & mask,
    }
}

/// (largest positive magnitude, largest negative magnitude).
pub(crate) fn int_range(width: u32, enc: IntEncoding) -> (u128, u128) {
    let width = width.clamp(1, 64); // unvalidated specs must not panic
    let half = 1u128 << (width - 1);
    match enc {
        IntEncoding::Unsigned => ((1u128 << width) - 1, 0),
        IntEncoding::TwosComplement => (half - 1, half),
        IntEncoding::SignMagnitude | IntEncoding::OnesComplement => (half - 1, half - 1),
    }
}

pub(crate) fn has_neg_zero(enc: IntEncoding) -> bool {
    matches!(
        enc,
        IntEncoding::SignMagnitude | IntEncoding::OnesComplement
    )
}

/// Quantize an exact real to the scaled integer grid: value = (stored) · 2^−frac.
pub(crate) fn quantize_exact(
    width: u32,
    enc: IntEncoding,
    frac: u32,
    x: &ExactReal,
    mode: Rounding,
) -> IntEncode {
    let (max_pos, max_neg) = int_range(width, enc);
    let neg = x.neg;
    let sat = |neg: bool| {
        if neg && max_neg == 0 {
            0
        } else if neg {
            int_bits(width, enc, true, max_neg)
        } else {
            int_bits(width, enc, false, max_pos)
        }
    };
    let done = |bits, overflow, inexact, invalid| IntEncode {
        bits,
        overflow,
        inexact,
        invalid,
    };
    let mag = match &x.kind {
        Kind::Nan => return done(0, false, true, true),
        Kind::Inf => return done(sat(neg), true, true, true),
        Kind::Zero => {
            let bits = if neg && has_neg_zero(enc) {
                int_bits(width, enc, true, 0)
            } else {
                0
            };
            return done(bits, false, false, false);
        }
        Kind::Finite(m) => m,
    };
    let q = -i64::from(frac);
    let fl = mag.floor_log2();
    if fl - q > i64::from(width) + 2 {
        return done(sat(neg), true, true, false);
    }
    let (quot, rem) = mag.quantize(q);
    let inexact = rem != super::exact::Rem::Zero;
    let r = quot + u128::from(round_up(quot, rem, neg, mode));
    let limit = if neg { max_neg } else { max_pos };
    if r > limit {
        return done(sat(neg), true, true, false);
    }
    let bits = if r == 0 && !(neg && has_neg_zero(enc)) {
        0
    } else {
        int_bits(width, enc, neg, r)
    };
    done(bits, false, inexact, false)
}

impl IntSpec {
    pub fn validate(&self) -> Result<(), FormatError> {
        let min = if has_neg_zero(self.encoding) { 2 } else { 1 };
        if !(min..=64).contains(&self.width) {
            return Err(FormatError(format!(
                "integer width must be {min}..=64, got {}",
                self.width
            )));
        }
        Ok(())
    }

    /// (negative, magnitude) of a pattern.
    pub fn parts(&self, bits: u64) -> (bool, u128) {
        int_parts(self.width, self.encoding, bits)
    }

    pub fn decode(&self, bits: u64) -> Decoded {
        let (neg, mag) = self.parts(bits);
        let v = mag as f64;
        Decoded {
            value: if neg { -v } else { v },
            class: if mag == 0 {
                ValueClass::Zero
            } else {
                ValueClass::Normal
            },
        }
    }

    /// Smallest and largest values as i128.
    pub fn min_max(&self) -> (i128, i128) {
        let (p, n) = int_range(self.width, self.encoding);
        (-(n as i128), p as i128)
    }

    /// The C / ml_dtypes `astype` cast (formats.md §1): truncate toward zero, then wrap modulo
    /// 2^N. Defined for unsigned and two's complement; NaN and ±Inf have no result.
    pub fn cast_f64(&self, x: f64) -> Result<u64, FormatError> {
        if !x.is_finite() {
            return Err(FormatError(format!(
                "{x} has no integer value (cast of NaN/Inf)"
            )));
        }
        if has_neg_zero(self.encoding) {
            return Err(FormatError(
                "cast (truncate and wrap) is defined for unsigned and two's complement only".into(),
            ));
        }
        let t = x.trunc();
        let mask = width_mask(self.width);
        let a = t.abs();
        // a = m · 2^e exactly; only the low 64 bits matter.
        let low = if a < 18446744073709551616.0 {
            a as u64
        } else {
            let bits = a.to_bits();
            let e = ((bits >> 52) & 0x7FF) as i64 - 1075;
            let m = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
            if e >= 64 { 0 } else { m << e }
        };
        let v = if t < 0.0 { low.wrapping_neg() } else { low };
        Ok(v & mask)
    }
}

impl FixedSpec {
    pub fn encoding(&self) -> IntEncoding {
        if self.signed {
            IntEncoding::TwosComplement
        } else {
            IntEncoding::Unsigned
        }
    }

    pub fn validate(&self) -> Result<(), FormatError> {
        if !(1..=64).contains(&self.total_bits) {
            return Err(FormatError(format!(
                "fixed-point total bits must be 1..=64, got {}",
                self.total_bits
            )));
        }
        if self.frac_bits > 64 {
            return Err(FormatError(format!(
                "fixed-point fraction bits must be 0..=64, got {}",
                self.frac_bits
            )));
        }
        Ok(())
    }

    /// The stored integer of a pattern.
    pub fn stored(&self, bits: u64) -> i128 {
        let (neg, mag) = int_parts(self.total_bits, self.encoding(), bits);
        if neg { -(mag as i128) } else { mag as i128 }
    }

    pub fn decode(&self, bits: u64) -> Decoded {
        let s = self.stored(bits);
        Decoded {
            value: s as f64 * super::pow2(-i64::from(self.frac_bits)),
            class: if s == 0 {
                ValueClass::Zero
            } else {
                ValueClass::Normal
            },
        }
    }

    /// The stored integer nearest (RNE, saturating) to a real value.
    pub fn resolution(&self) -> f64 {
        super::pow2(-i64::from(self.frac_bits))
    }
}

/// The C / ml_dtypes `astype` cast of an exact real (formats.md §1) for unsigned and two's
/// complement: truncate toward zero, then wrap modulo 2^N. This is the integer formats' own
/// rule ([`super::Overflow::Default`]); `Overflow::Saturate` quantizes instead (round, then
/// saturate). `overflow` reports that the truncated value did not fit and wrapped.
pub(crate) fn cast_exact(width: u32, signed: bool, x: &ExactReal) -> IntEncode {
    let width = width.clamp(1, 64);
    let modulus = 1u128 << width;
    let mag = match &x.kind {
        Kind::Nan | Kind::Inf => {
            return IntEncode {
                bits: 0,
                overflow: false,
                inexact: true,
                invalid: true,
            };
        }
        Kind::Zero => {
            return IntEncode {
                bits: 0,
                overflow: false,
                inexact: false,
                invalid: false,
            };
        }
        Kind::Finite(m) => m,
    };
    // floor(|x|) mod 2^N; past 2^120 every bit below 2^64 of the truncated value is 0 for the
    // dyadic inputs that reach here (f32/f64), and decimal text that large is wrapped the same.
    let huge = mag.floor_log2() >= 120;
    let (trunc, rem) = if huge {
        (0, super::exact::Rem::Zero)
    } else {
        mag.quantize(0)
    };
    let low = trunc % modulus;
    let bits = if x.neg {
        (modulus - low) % modulus
    } else {
        low
    };
    let half = modulus / 2;
    // Past 2^120 no integer format holds the value: it overflowed, whatever the low bits.
    let fits = !huge
        && match (signed, x.neg) {
            (true, false) => trunc < half,
            (true, true) => trunc <= half,
            (false, false) => trunc < modulus,
            (false, true) => trunc == 0,
        };
    IntEncode {
        bits: bits as u64,
        overflow: !fits,
        inexact: rem != super::exact::Rem::Zero || !fits,
        invalid: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_bit_checks() {
        let d = |enc, b| {
            IntSpec {
                width: 8,
                encoding: enc,
            }
            .decode(b)
            .value
        };
        assert_eq!(d(IntEncoding::Unsigned, 0x80), 128.0);
        assert_eq!(d(IntEncoding::TwosComplement, 0x80), -128.0);
        assert!(d(IntEncoding::SignMagnitude, 0x80).is_sign_negative());
        assert_eq!(d(IntEncoding::OnesComplement, 0x80), -127.0);
        assert_eq!(d(IntEncoding::TwosComplement, 0xFF), -1.0);
        assert_eq!(d(IntEncoding::SignMagnitude, 0xFF), -127.0);
        assert!(d(IntEncoding::OnesComplement, 0xFF) == 0.0);
        assert!(d(IntEncoding::OnesComplement, 0xFF).is_sign_negative());
    }

    #[test]
    fn every_magnitude_past_the_range_overflows() {
        for text in ["1e20", "1e300", "1e999", "-1e999", "300"] {
            let x = ExactReal::parse_decimal(text).unwrap();
            let e = cast_exact(8, true, &x);
            assert!(e.overflow && e.inexact, "{text}: {e:?}");
        }
        let x = ExactReal::parse_decimal("127").unwrap();
        assert!(!cast_exact(8, true, &x).overflow);
    }

    #[test]
    fn int4_cast_wraps() {
        let i4 = IntSpec {
            width: 4,
            encoding: IntEncoding::TwosComplement,
        };
        assert_eq!(i4.cast_f64(8.0).unwrap(), 0x8);
        assert_eq!(i4.cast_f64(16.0).unwrap(), 0x0);
        assert_eq!(i4.cast_f64(-8.6).unwrap(), 0x8);
        assert_eq!(i4.cast_f64(2.5).unwrap(), 0x2);
        assert_eq!(i4.cast_f64(7.9).unwrap(), 0x7);
        assert!(i4.cast_f64(f64::NAN).is_err());
        assert_eq!(i4.cast_f64(1e300).unwrap(), 0);
    }
}
