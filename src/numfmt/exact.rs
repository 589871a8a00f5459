//! Exact inputs and the one rounding step.
//!
//! An input is kept exactly: an f64 as m·2^e, decimal text as N / D with big integers, so every
//! format is reached with a single correctly rounded step (no f64 → f32 → target double
//! rounding, formats.md §4).

use std::cmp::Ordering;

use super::big::Big;
use super::{FormatError, Rounding};

/// A nonzero finite magnitude.
#[derive(Clone, Debug)]
pub(crate) enum Mag {
    /// m · 2^e, m > 0.
    Dyadic { m: u64, e: i64 },
    /// num / den, both > 0.
    Ratio { num: Big, den: Big },
}

/// Where the discarded part lies relative to half a quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rem {
    Zero,
    BelowHalf,
    Half,
    AboveHalf,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Zero,
    Inf,
    Nan,
    Finite(Mag),
}

/// An exact real input (or ±Inf / NaN) with its nearest f64 for error reports.
#[derive(Clone, Debug)]
pub(crate) struct ExactReal {
    pub neg: bool,
    pub kind: Kind,
    pub approx: f64,
}

impl Mag {
    /// floor(log2(self)).
    pub fn floor_log2(&self) -> i64 {
        match self {
            Mag::Dyadic { m, e } => e + 63 - i64::from(m.leading_zeros()),
            Mag::Ratio { num, den } => {
                let t = num.bit_len() - den.bit_len();
                let ge = if t >= 0 {
                    num.cmp_big(&den.shl(t as u64)) != Ordering::Less
                } else {
                    num.shl((-t) as u64).cmp_big(den) != Ordering::Less
                };
                if ge { t } else { t - 1 }
            }
        }
    }

    /// (floor(self / 2^q), class of the remainder). The caller keeps the quotient below
    /// 2^120 (floor_log2 − q < 120).
    pub fn quantize(&self, q: i64) -> (u128, Rem) {
        let fl = self.floor_log2();
        debug_assert!(fl - q < 120);
        if fl < q - 1 {
            return (0, Rem::BelowHalf);
        }
        match self {
            Mag::Dyadic { m, e } => {
                let m = u128::from(*m);
                let shift = q - e;
                if shift <= 0 {
                    (m << (-shift), Rem::Zero)
                } else {
                    // shift <= 65 here because fl >= q - 1 and m < 2^64.
                    let quot = m >> shift;
                    let rem = m & ((1u128 << shift) - 1);
                    let half = 1u128 << (shift - 1);
                    (quot, classify(rem.cmp(&half), rem == 0))
                }
            }
            Mag::Ratio { num, den } => {
                let (a, b) = if q >= 0 {
                    (num.clone(), den.shl(q as u64))
                } else {
                    (num.shl((-q) as u64), den.clone())
                };
                let k = (fl - q + 2).clamp(1, 127) as u32;
                let (quot, rem) = a.div_rem_bounded(&b, k);
                let cmp = rem.shl(1).cmp_big(&b);
                (quot, classify(cmp, rem.is_zero()))
            }
        }
    }

    /// self as num / den big integers.
    pub fn as_ratio(&self) -> (Big, Big) {
        match self {
            Mag::Dyadic { m, e } => {
                let m = Big::from_u128(u128::from(*m));
                if *e >= 0 {
                    (m.shl(*e as u64), Big::from_u128(1))
                } else {
                    (m, Big::from_u128(1).shl((-*e) as u64))
                }
            }
            Mag::Ratio { num, den } => (num.clone(), den.clone()),
        }
    }
}

fn classify(cmp_with_half: Ordering, zero: bool) -> Rem {
    if zero {
        return Rem::Zero;
    }
    match cmp_with_half {
        Ordering::Less => Rem::BelowHalf,
        Ordering::Equal => Rem::Half,
        Ordering::Greater => Rem::AboveHalf,
    }
}

/// Whether the magnitude is incremented after truncation to `quot`.
pub(crate) fn round_up(quot: u128, rem: Rem, neg: bool, mode: Rounding) -> bool {
    match (mode, rem) {
        (_, Rem::Zero) => false,
        (Rounding::NearestEven, Rem::Half) => quot & 1 == 1,
        (Rounding::NearestEven | Rounding::NearestAway, r) => r != Rem::BelowHalf,
        (Rounding::TowardZero, _) => false,
        (Rounding::Up, _) => !neg,
        (Rounding::Down, _) => neg,
    }
}

/// Whether the rounding mode never increases the magnitude for this sign.
pub(crate) fn toward_zero(neg: bool, mode: Rounding) -> bool {
    match mode {
        Rounding::TowardZero => true,
        Rounding::Up => neg,
        Rounding::Down => !neg,
        _ => false,
    }
}

impl ExactReal {
    pub fn from_f64(x: f64) -> ExactReal {
        let neg = x.is_sign_negative();
        let kind = if x.is_nan() {
            Kind::Nan
        } else if x.is_infinite() {
            Kind::Inf
        } else if x == 0.0 {
            Kind::Zero
        } else {
            let bits = x.to_bits();
            let exp = ((bits >> 52) & 0x7FF) as i64;
            let frac = bits & ((1u64 << 52) - 1);
            let (m, e) = if exp == 0 {
                (frac, -1074)
            } else {
                (frac | (1u64 << 52), exp - 1075)
            };
            let tz = m.trailing_zeros();
            Kind::Finite(Mag::Dyadic {
                m: m >> tz,
                e: e + i64::from(tz),
            })
        };
        ExactReal {
            neg,
            kind,
            approx: x,
        }
    }

    /// Parse decimal text: `[+-]digits[.digits][e[+-]digits]`, `inf`, `infinity`, `nan`.
    pub fn parse_decimal(text: &str) -> Result<ExactReal, FormatError> {
        let bad = || FormatError(format!("malformed number `{text}`"));
        let (neg, body) = split_sign(text.trim());
        let lower = body.to_ascii_lowercase();
        if let Some(special) = Self::parse_special(&lower, neg) {
            return Ok(special);
        }
        if body.len() > 4000 {
            return Err(FormatError(format!(
                "number too long ({} characters; at most 4000)",
                body.len()
            )));
        }
        let (mantissa, exp_text) = match lower.find('e') {
            Some(i) => (&lower[..i], Some(&lower[i + 1..])),
            None => (lower.as_str(), None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return Err(bad());
        }
        let mut exp10: i64 = match exp_text {
            None => 0,
            Some(s) => parse_exponent(s).ok_or_else(bad)?,
        };
        let approx_abs: f64 = body.parse().unwrap_or(0.0);
        let approx = if neg { -approx_abs } else { approx_abs };
        let digits = format!("{int_part}{frac_part}");
        let trimmed = digits.trim_start_matches('0');
        if trimmed.is_empty() {
            return Ok(ExactReal {
                neg,
                kind: Kind::Zero,
                approx,
            });
        }
        exp10 -= frac_part.len() as i64;
        // Drop trailing zeros into the exponent.
        let sig = trimmed.trim_end_matches('0');
        exp10 += (trimmed.len() - sig.len()) as i64;
        let kind = Kind::Finite(decimal_mag(sig, exp10));
        Ok(ExactReal { neg, kind, approx })
    }

    /// `inf`, `infinity` and `nan` (lower case, sign already split off).
    fn parse_special(lower: &str, neg: bool) -> Option<ExactReal> {
        if lower == "inf" || lower == "infinity" {
            let approx = if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            return Some(ExactReal {
                neg,
                kind: Kind::Inf,
                approx,
            });
        }
        if lower == "nan" {
            let approx = if neg { -f64::NAN } else { f64::NAN };
            return Some(ExactReal {
                neg,
                kind: Kind::Nan,
                approx,
            });
        }
        None
    }
}

/// A leading `-` or `+` split off: (negative, the rest).
fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The decimal exponent after `e` (`None`: malformed), saturated at ±10^6.
fn parse_exponent(s: &str) -> Option<i64> {
    let (eneg, digits) = split_sign(s);
    if digits.is_empty() || !all_digits(digits) {
        return None;
    }
    // Saturate absurd exponents: anything past ±10^6 is far outside every format.
    let v: i64 = digits.parse().unwrap_or(1_000_000).min(1_000_000);
    Some(if eneg { -v } else { v })
}

/// The magnitude `sig · 10^exp10` (`sig`: decimal digits without leading or trailing zeros),
/// exactly, or a stand-in beyond every format's range.
fn decimal_mag(sig: &str, exp10: i64) -> Mag {
    // Decimal order of magnitude: value in [10^(mag-1), 10^mag).
    let order = exp10 + sig.len() as i64;
    if order > 400 {
        // Beyond 10^400 > 2^1024: rounds like any huge value in every format.
        return Mag::Dyadic { m: 1, e: 1400 };
    }
    if order < -400 {
        // Below 10^-400 < 2^-1076: below half of every format's smallest quantum.
        return Mag::Dyadic { m: 1, e: -1400 };
    }
    let mut num = Big::zero();
    for chunk in sig.as_bytes().chunks(9) {
        let s = std::str::from_utf8(chunk).unwrap_or("0");
        num.mul_pow10(chunk.len() as u32);
        num.add_small(s.parse::<u32>().unwrap_or(0));
    }
    let mut den = Big::from_u128(1);
    if exp10 >= 0 {
        num.mul_pow10(exp10 as u32);
    } else {
        den.mul_pow10((-exp10) as u32);
    }
    Mag::Ratio { num, den }
}

/// |a − v| / |a|-style error of a stored dyadic value against an exact input, as f64.
/// `stored` is (neg, integer, exponent): the value (−1)^neg · integer · 2^exponent.
pub(crate) fn abs_error(input: &ExactReal, stored: (bool, u128, i64)) -> f64 {
    let (sneg, sint, sexp) = stored;
    match &input.kind {
        Kind::Nan => f64::NAN,
        Kind::Inf => f64::INFINITY,
        Kind::Zero => (sint as f64) * super::pow2(sexp.clamp(-1100, 1100)),
        Kind::Finite(Mag::Dyadic { m, e }) if sint < (1u128 << 64) && (sexp - e).abs() <= 60 => {
            // Both dyadic and close in scale: exact in i128 at the common exponent, one
            // rounding to f64 at the end.
            let lo = sexp.min(*e);
            let a = (sint as i128) << (sexp - lo);
            let b = i128::from(*m) << (e - lo);
            let a = if sneg { -a } else { a };
            let b = if input.neg { -b } else { b };
            let d = (a - b).unsigned_abs();
            super::float::dyadic_f64_u128(d, lo)
        }
        Kind::Finite(mag) => {
            let (num, den) = mag.as_ratio();
            // stored = sint · 2^sexp = snum / sden
            let sbig = Big::from_u128(sint);
            let (snum, sden) = if sexp >= 0 {
                (sbig.shl(sexp as u64), Big::from_u128(1))
            } else {
                (sbig, Big::from_u128(1).shl((-sexp) as u64))
            };
            let lhs = snum.mul(&den);
            let rhs = num.mul(&sden);
            let diff = if sneg == input.neg || sint == 0 {
                lhs.abs_diff(&rhs)
            } else {
                let mut sum = lhs;
                // |a| + |b| when signs differ.
                let mut r = rhs;
                if sum.cmp_big(&r) == Ordering::Less {
                    std::mem::swap(&mut sum, &mut r);
                }
                add_big(&sum, &r)
            };
            diff.ratio_f64(&den.mul(&sden))
        }
    }
}

fn add_big(a: &Big, b: &Big) -> Big {
    // a + b = a − (−b) is not available; use 2a − (a − b) with a ≥ b.
    let mut two_a = a.shl(1);
    let d = a.abs_diff(b);
    two_a.sub_assign(&d);
    two_a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fin(text: &str) -> Mag {
        match ExactReal::parse_decimal(text).unwrap().kind {
            Kind::Finite(m) => m,
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn parses_and_classifies() {
        assert!(matches!(
            ExactReal::parse_decimal("-0").unwrap().kind,
            Kind::Zero
        ));
        assert!(ExactReal::parse_decimal("-0").unwrap().neg);
        assert!(matches!(
            ExactReal::parse_decimal("+inf").unwrap().kind,
            Kind::Inf
        ));
        assert!(matches!(
            ExactReal::parse_decimal("NaN").unwrap().kind,
            Kind::Nan
        ));
        for bad in ["", "1.2.3", "e5", "1e", "abc", "--1", "0x12", "1e+"] {
            assert!(ExactReal::parse_decimal(bad).is_err(), "{bad}");
        }
        assert_eq!(fin("1e-3").floor_log2(), -10);
        assert_eq!(fin("1024").floor_log2(), 10);
        assert_eq!(fin("1023.999").floor_log2(), 9);
        assert_eq!(fin(".5").floor_log2(), -1);
        assert_eq!(ExactReal::parse_decimal("2.5e1").unwrap().approx, 25.0);
        assert_eq!(ExactReal::parse_decimal(".5").unwrap().approx, 0.5);
    }

    #[test]
    fn quantize_ties() {
        // 2.5 at quantum 1: 2 rem half.
        assert_eq!(fin("2.5").quantize(0), (2, Rem::Half));
        assert_eq!(fin("2.50001").quantize(0), (2, Rem::AboveHalf));
        assert_eq!(fin("0.1").quantize(-4), (1, Rem::AboveHalf));
        let d = Mag::Dyadic { m: 5, e: -1 };
        assert_eq!(d.quantize(0), (2, Rem::Half));
        assert_eq!(d.quantize(-1), (5, Rem::Zero));
        assert!(round_up(2, Rem::Half, false, Rounding::NearestAway));
        assert!(!round_up(2, Rem::Half, false, Rounding::NearestEven));
        assert!(round_up(3, Rem::Half, false, Rounding::NearestEven));
    }

    #[test]
    fn errors_are_exact_enough() {
        let x = ExactReal::parse_decimal("0.1").unwrap();
        // nearest f64 of 0.1 = 0x3FB999999999999A = 3602879701896397 · 2^-55
        let e = abs_error(&x, (false, 3602879701896397, -55));
        assert!((e - 5.551115123125783e-18).abs() < 1e-30, "{e}");
    }
}
