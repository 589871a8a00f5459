//! The parametric float: decode and the exact single-rounding encode (formats.md §3, §4).

use super::exact::{ExactReal, Kind, Mag, Rem, round_up, toward_zero};
use super::{
    Decoded, FloatSpec, FormatError, Overflow, Rounding, SpecialRule, ValueClass, pow2, width_mask,
};

/// What a float pattern is, with its exact value (−1)^neg · int · 2^exp for finite ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatParts {
    Nan,
    Inf {
        neg: bool,
    },
    Finite {
        neg: bool,
        int: u64,
        exp: i64,
        class: ValueClass,
    },
}

/// Result of the exact encode before error bookkeeping.
pub(crate) struct FloatEncode {
    pub bits: u64,
    pub overflow: bool,
    pub inexact: bool,
}

impl FloatSpec {
    pub fn width(&self) -> u32 {
        u32::from(self.sign) + self.exp_bits + self.man_bits
    }

    /// The default bias 2^(E−1) − 1.
    pub fn default_bias(exp_bits: u32) -> i32 {
        (1i32 << (exp_bits.clamp(1, 30) - 1)) - 1
    }

    pub fn validate(&self) -> Result<(), FormatError> {
        let err = |m: String| Err(FormatError(m));
        if !(1..=11).contains(&self.exp_bits) {
            return err(format!(
                "exponent bits must be 1..=11, got {}",
                self.exp_bits
            ));
        }
        if self.man_bits > 52 {
            return err(format!(
                "mantissa bits must be 0..=52, got {}",
                self.man_bits
            ));
        }
        if self.width() > 64 {
            return err(format!("a float has at most 64 bits, got {}", self.width()));
        }
        match self.special {
            SpecialRule::Ieee if self.man_bits == 0 => {
                return err("an IEEE-style float needs at least one mantissa bit for NaN".into());
            }
            SpecialRule::Fnuz if !self.sign => {
                return err("an fnuz float needs a sign bit (its NaN is the −0 pattern)".into());
            }
            SpecialRule::E8m0 if self.sign || self.man_bits != 0 => {
                return err("an E8M0-style float has no sign bit and no mantissa".into());
            }
            _ => {}
        }
        let top = self.max_mag_code() >> self.man_bits;
        let emax = top as i64 - i64::from(self.bias);
        let emin_sub = if self.special == SpecialRule::E8m0 {
            -i64::from(self.bias)
        } else {
            1 - i64::from(self.bias) - i64::from(self.man_bits)
        };
        if emax > 1023 || emin_sub < -1074 {
            return err(format!(
                "bias {} puts the range outside binary64 (largest exponent {emax}, smallest {emin_sub})",
                self.bias
            ));
        }
        Ok(())
    }

    pub(crate) fn sign_bit(&self) -> u64 {
        if self.sign {
            1u64 << ((self.exp_bits + self.man_bits) & 63)
        } else {
            0
        }
    }

    /// All-ones magnitude (exponent and mantissa fields).
    pub(crate) fn all_ones_mag(&self) -> u64 {
        width_mask(self.exp_bits + self.man_bits)
    }

    /// The magnitude code (pattern without the sign) of the largest finite value.
    pub(crate) fn max_mag_code(&self) -> u64 {
        match self.special {
            SpecialRule::Ieee => (width_mask(self.exp_bits) << self.man_bits).wrapping_sub(1),
            SpecialRule::FiniteNanAllOnes | SpecialRule::E8m0 => self.all_ones_mag() - 1,
            SpecialRule::Fnuz | SpecialRule::Finite => self.all_ones_mag(),
        }
    }

    /// The canonical NaN for an input NaN of the given sign (formats.md §4 table).
    pub(crate) fn nan_bits(&self, neg: bool) -> u64 {
        let sign = if neg { self.sign_bit() } else { 0 };
        match self.special {
            SpecialRule::Ieee => {
                let quiet = if self.man_bits > 0 {
                    1u64 << (self.man_bits - 1)
                } else {
                    0
                };
                sign | (width_mask(self.exp_bits) << self.man_bits) | quiet
            }
            SpecialRule::FiniteNanAllOnes => sign | self.all_ones_mag(),
            SpecialRule::Fnuz => self.sign_bit(),
            SpecialRule::E8m0 => self.all_ones_mag(),
            // No NaN: ml_dtypes' quiet_NaN is the 0b1000… pattern, negated for −NaN.
            SpecialRule::Finite => {
                if neg {
                    0
                } else {
                    self.sign_bit()
                }
            }
        }
    }

    pub(crate) fn has_nan(&self) -> bool {
        self.special != SpecialRule::Finite
    }

    pub(crate) fn parts(&self, bits: u64) -> FloatParts {
        let m = self.man_bits;
        let mag = bits & self.all_ones_mag();
        let neg = self.sign && bits & self.sign_bit() != 0;
        let e_field = mag >> m;
        let man = mag & width_mask(m);
        let e_all = width_mask(self.exp_bits);
        match self.special {
            SpecialRule::Ieee if e_field == e_all => {
                return if man == 0 {
                    FloatParts::Inf { neg }
                } else {
                    FloatParts::Nan
                };
            }
            SpecialRule::FiniteNanAllOnes | SpecialRule::E8m0 if mag == self.all_ones_mag() => {
                return FloatParts::Nan;
            }
            SpecialRule::Fnuz if neg && mag == 0 => return FloatParts::Nan,
            _ => {}
        }
        if self.special == SpecialRule::E8m0 {
            let exp = e_field as i64 - i64::from(self.bias);
            return FloatParts::Finite {
                neg: false,
                int: 1,
                exp,
                class: ValueClass::Normal,
            };
        }
        let bias = i64::from(self.bias);
        if e_field == 0 {
            let class = if man == 0 {
                ValueClass::Zero
            } else {
                ValueClass::Subnormal
            };
            FloatParts::Finite {
                neg,
                int: man,
                exp: 1 - bias - i64::from(m),
                class,
            }
        } else {
            FloatParts::Finite {
                neg,
                int: man | (1u64 << m),
                exp: e_field as i64 - bias - i64::from(m),
                class: ValueClass::Normal,
            }
        }
    }

    pub fn decode(&self, bits: u64) -> Decoded {
        match self.parts(bits) {
            FloatParts::Nan => Decoded {
                value: f64::NAN,
                class: ValueClass::Nan,
            },
            FloatParts::Inf { neg } => Decoded {
                value: if neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                },
                class: ValueClass::Infinity,
            },
            FloatParts::Finite {
                neg,
                int,
                exp,
                class,
            } => {
                let v = dyadic_f64(int, exp);
                Decoded {
                    value: if neg { -v } else { v },
                    class,
                }
            }
        }
    }

    /// Encode an exact real with one rounding step.
    pub(crate) fn encode_exact(&self, x: &ExactReal, mode: Rounding, ovf: Overflow) -> FloatEncode {
        let sat = ovf == Overflow::Saturate;
        let neg = x.neg;
        let mag = match &x.kind {
            Kind::Finite(mag) => mag,
            special => return self.encode_special(special, neg, sat),
        };
        if neg && !self.sign {
            // A negative number into an unsigned format (E8M0: "negation gives NaN").
            return self.below_unsigned(sat);
        }
        let max_pos = self.max_mag_code();
        let emax = (max_pos >> self.man_bits) as i64 - i64::from(self.bias);
        let fl = mag.floor_log2();
        if fl > emax + 1 {
            return self.overflowed(neg, mode, sat);
        }
        if self.special == SpecialRule::E8m0 {
            return self.encode_e8m0(mag, fl, neg, mode, sat);
        }
        self.encode_finite(mag, fl, neg, mode, sat)
    }

    /// NaN, ±Inf and zero.
    fn encode_special(&self, kind: &Kind, neg: bool, sat: bool) -> FloatEncode {
        let sign = if neg { self.sign_bit() } else { 0 };
        let max_pos = self.max_mag_code();
        match kind {
            Kind::Nan => encoded(self.nan_bits(neg), false, !self.has_nan()),
            Kind::Inf if !self.sign && neg => {
                // −Inf into an unsigned format: nothing below the minimum to go to.
                self.below_unsigned(sat)
            }
            Kind::Inf => match (self.special, sat) {
                (SpecialRule::Ieee, false) => encoded(sign | max_pos.wrapping_add(1), false, false),
                (SpecialRule::Fnuz, _) => encoded(self.nan_bits(neg), true, true),
                (SpecialRule::FiniteNanAllOnes | SpecialRule::E8m0, false) => {
                    encoded(self.nan_bits(neg), true, true)
                }
                _ => encoded(sign | max_pos, true, true),
            },
            Kind::Zero if self.special == SpecialRule::E8m0 => {
                // No zero: the default cast gives NaN, saturate the smallest scale.
                encoded(if sat { 0 } else { self.nan_bits(false) }, false, true)
            }
            Kind::Zero => encoded(self.signed_zero(neg), false, false),
            Kind::Finite(_) => unreachable!("finite values are encoded by encode_finite"),
        }
    }

    /// A negative value (or −Inf) into an unsigned format: 0 when saturating or without NaN,
    /// NaN otherwise; always an overflow.
    fn below_unsigned(&self, sat: bool) -> FloatEncode {
        let bits = if sat || !self.has_nan() {
            0
        } else {
            self.nan_bits(false)
        };
        encoded(bits, true, true)
    }

    /// Zero with the sign kept where the format has a signed zero.
    fn signed_zero(&self, neg: bool) -> u64 {
        let keep_sign = self.sign && self.special != SpecialRule::Fnuz;
        if keep_sign && neg { self.sign_bit() } else { 0 }
    }

    /// A finite value beyond the largest: the largest when saturating, when rounding toward
    /// zero, or for formats without Inf/NaN; Inf (IEEE) or NaN otherwise.
    fn overflowed(&self, neg: bool, mode: Rounding, sat: bool) -> FloatEncode {
        let sign = if neg { self.sign_bit() } else { 0 };
        let max_pos = self.max_mag_code();
        let bits = if sat || toward_zero(neg, mode) || self.special == SpecialRule::Finite {
            sign | max_pos
        } else {
            match self.special {
                SpecialRule::Ieee => sign | max_pos.wrapping_add(1),
                _ => self.nan_bits(neg),
            }
        };
        encoded(bits, true, true)
    }

    /// E8M0 (a power of two, no mantissa): `floor_log2` rounded up or down as a whole.
    fn encode_e8m0(&self, mag: &Mag, fl: i64, neg: bool, mode: Rounding, sat: bool) -> FloatEncode {
        let (quot, rem) = mag.quantize(fl);
        let up = match mode {
            Rounding::NearestEven | Rounding::NearestAway => {
                rem == Rem::Half || rem == Rem::AboveHalf
            }
            _ => round_up(quot, rem, neg, mode),
        };
        let code = fl + i64::from(up) + i64::from(self.bias);
        let inexact = rem != Rem::Zero;
        if code < 0 {
            return encoded(0, false, true);
        }
        if code as u64 > self.max_mag_code() {
            return self.overflowed(neg, mode, sat);
        }
        encoded(code as u64, false, inexact)
    }

    /// A finite nonzero magnitude of floor log2 `fl` (at most `emax + 1`): one rounding to
    /// `man_bits` below the leading bit (or below the subnormal quantum), carry into the
    /// exponent, underflow to zero, overflow past the largest.
    fn encode_finite(
        &self,
        mag: &Mag,
        fl: i64,
        neg: bool,
        mode: Rounding,
        sat: bool,
    ) -> FloatEncode {
        let sign = if neg { self.sign_bit() } else { 0 };
        let m = i64::from(self.man_bits);
        let bias = i64::from(self.bias);
        let emin = 1 - bias;
        let mut q = fl.max(emin) - m;
        let (quot, rem) = mag.quantize(q);
        let inexact = rem != Rem::Zero;
        let mut sig = quot + u128::from(round_up(quot, rem, neg, mode));
        let hidden = 1u128 << m;
        if sig == hidden << 1 {
            sig = hidden;
            q += 1;
        }
        if sig == 0 {
            return encoded(self.signed_zero(neg), false, inexact);
        }
        let code = if sig < hidden {
            sig as u64
        } else {
            let e_field = q + m + bias;
            ((e_field as u64) << m) | (sig - hidden) as u64
        };
        if code > self.max_mag_code() {
            return self.overflowed(neg, mode, sat);
        }
        encoded(sign | code, false, inexact)
    }
}

fn encoded(bits: u64, overflow: bool, inexact: bool) -> FloatEncode {
    FloatEncode {
        bits,
        overflow,
        inexact,
    }
}

/// int · 2^exp as f64 for a wide integer: one rounding of the integer, then exact scaling
/// (except where the result is subnormal).
pub(crate) fn dyadic_f64_u128(int: u128, exp: i64) -> f64 {
    if int == 0 {
        return 0.0;
    }
    let v = int as f64;
    if exp < -1000 {
        v * pow2(-1000) * pow2(exp + 1000)
    } else if exp > 1000 {
        v * pow2(1000) * pow2(exp - 1000)
    } else {
        v * pow2(exp)
    }
}

/// int · 2^exp as f64 (exact when representable).
pub(crate) fn dyadic_f64(int: u64, exp: i64) -> f64 {
    dyadic_f64_u128(u128::from(int), exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const E4M3FN: FloatSpec = FloatSpec {
        sign: true,
        exp_bits: 4,
        man_bits: 3,
        bias: 7,
        special: SpecialRule::FiniteNanAllOnes,
    };

    fn enc(spec: &FloatSpec, x: f64) -> u64 {
        spec.encode_exact(
            &ExactReal::from_f64(x),
            Rounding::NearestEven,
            Overflow::Default,
        )
        .bits
    }

    #[test]
    fn e4m3fn_top_binade_and_tie() {
        assert_eq!(E4M3FN.decode(0x78).value, 256.0);
        assert_eq!(E4M3FN.decode(0x7E).value, 448.0);
        assert!(E4M3FN.decode(0x7F).value.is_nan());
        assert_eq!(enc(&E4M3FN, 464.0), 0x7E);
        assert_eq!(enc(&E4M3FN, 464.0001), 0x7F);
        assert_eq!(enc(&E4M3FN, -1e9), 0xFF);
        assert_eq!(enc(&E4M3FN, f64::INFINITY), 0x7F);
        assert_eq!(enc(&E4M3FN, 0.1), 0x1D);
    }
}
