//! Value order: next / previous representable value, gaps, the range table, the number line
//! and the rounding interval of a pattern.

use super::float::FloatParts;
use super::int::{has_neg_zero, int_bits, int_parts, int_range};
use super::{Codebook, Format, IntEncoding, RangeInfo, SpecialRule, ValueClass, pow2};

impl Format {
    /// The next representable value upward (NaN skipped; ±0 count as one value, so the step
    /// from −0 goes to the smallest positive value, and from just below zero lands on −0 where
    /// −0 exists). None at the top and for NaN.
    pub fn next_up(&self, bits: u64) -> Option<u64> {
        let bits = bits & self.mask();
        match self {
            Format::Float(s) => {
                let max_pos = s.max_mag_code();
                match s.parts(bits) {
                    FloatParts::Nan => return None,
                    FloatParts::Inf { neg: false } => return None,
                    FloatParts::Inf { neg: true } => return Some(s.sign_bit() | max_pos),
                    FloatParts::Finite { .. } => {}
                }
                let mag = bits & s.all_ones_mag();
                let neg = s.sign && bits & s.sign_bit() != 0;
                if neg && mag != 0 {
                    let m = mag - 1;
                    return Some(if m == 0 && s.special == SpecialRule::Fnuz {
                        0
                    } else {
                        s.sign_bit() | m
                    });
                }
                let next = if neg { 1 } else { mag.checked_add(1)? };
                // Above the largest finite value only IEEE formats have a next value: +Inf.
                let inf_next = s.special == SpecialRule::Ieee && next == max_pos.wrapping_add(1);
                (next <= max_pos || inf_next).then_some(next)
            }
            Format::Int(_) | Format::Fixed(_) => {
                let (width, enc) = int_view(self);
                let (max_pos, _) = int_range(width, enc);
                let (neg, mag) = int_parts(width, enc, bits);
                if neg && mag > 0 {
                    let m = mag - 1;
                    Some(if m == 0 && !has_neg_zero(enc) {
                        0
                    } else {
                        int_bits(width, enc, true, m)
                    })
                } else {
                    let m = if neg { 1 } else { mag + 1 };
                    (m <= max_pos).then(|| int_bits(width, enc, false, m))
                }
            }
            Format::Codebook(c) => {
                let v = c.value(bits);
                sorted_codes(*c)
                    .into_iter()
                    .find(|&(_, w)| w > v)
                    .map(|(code, _)| code)
            }
        }
    }

    /// The next representable value downward; None at the bottom and for NaN.
    pub fn next_down(&self, bits: u64) -> Option<u64> {
        let bits = bits & self.mask();
        match self {
            Format::Float(s) if !s.sign => {
                let mag = bits & s.all_ones_mag();
                match s.parts(bits) {
                    FloatParts::Nan => None,
                    FloatParts::Inf { .. } => Some(s.max_mag_code()),
                    _ if mag == 0 => None,
                    _ => Some(mag - 1),
                }
            }
            Format::Float(s) => {
                let flip = |b: u64| {
                    if s.special == SpecialRule::Fnuz && b & s.all_ones_mag() == 0 {
                        0
                    } else {
                        b ^ s.sign_bit()
                    }
                };
                if matches!(s.parts(bits), FloatParts::Nan) {
                    return None;
                }
                self.next_up(flip(bits)).map(flip)
            }
            Format::Int(_) | Format::Fixed(_) => {
                let (width, enc) = int_view(self);
                let (_, max_neg) = int_range(width, enc);
                let (neg, mag) = int_parts(width, enc, bits);
                if !neg && mag > 0 {
                    Some(int_bits(width, enc, false, mag - 1))
                } else {
                    let m = if neg { mag + 1 } else { 1 };
                    (m <= max_neg).then(|| int_bits(width, enc, true, m))
                }
            }
            Format::Codebook(c) => {
                let v = c.value(bits);
                sorted_codes(*c)
                    .into_iter()
                    .rev()
                    .find(|&(_, w)| w < v)
                    .map(|(code, _)| code)
            }
        }
    }

    /// (distance to the previous value, distance to the next value); None at an end, next to
    /// an infinity, or for NaN / ±Inf patterns.
    pub fn gaps(&self, bits: u64) -> (Option<f64>, Option<f64>) {
        let v = self.decode(bits).value;
        if !v.is_finite() {
            return (None, None);
        }
        let finite = |b: Option<u64>| b.map(|b| self.decode(b).value).filter(|w| w.is_finite());
        (
            finite(self.next_down(bits)).map(|w| v - w),
            finite(self.next_up(bits)).map(|w| w - v),
        )
    }

    /// Reals that encode (RNE, default overflow) to this pattern, as (low, high) boundaries
    /// (the midpoints to the neighbours; half a gap beyond the ends). None for NaN / ±Inf.
    pub fn rounding_interval(&self, bits: u64) -> Option<(f64, f64)> {
        let d = self.decode(bits);
        let v = d.value;
        if !v.is_finite() {
            return None;
        }
        let (below, above) = self.gaps(bits);
        if v == 0.0 && d.class == ValueClass::Zero {
            let lo = below.map_or(0.0, |g| -g / 2.0);
            let hi = above.map_or(0.0, |g| g / 2.0);
            let has_neg_zero = match self {
                Format::Float(s) => s.sign && s.special != SpecialRule::Fnuz,
                Format::Int(s) => has_neg_zero(s.encoding),
                Format::Fixed(_) => false,
                Format::Codebook(c) => *c == Codebook::Fp4Bnb,
            };
            return Some(if !has_neg_zero {
                (lo, hi)
            } else if v.is_sign_negative() {
                (lo, 0.0)
            } else {
                (0.0, hi)
            });
        }
        if let Format::Float(s) = self
            && s.special == SpecialRule::E8m0
            && bits & s.all_ones_mag() == 0
        {
            return Some((0.0, v + above.unwrap_or(v) / 2.0));
        }
        match (below, above) {
            (Some(b), Some(a)) => Some((v - b / 2.0, v + a / 2.0)),
            (None, Some(a)) => Some((v - a / 2.0, v + a / 2.0)),
            (Some(b), None) => Some((v - b / 2.0, v + b / 2.0)),
            (None, None) => Some((v, v)),
        }
    }

    /// Every non-NaN pattern with its value, sorted by value (−0 before +0), for width ≤ 8.
    pub fn all_values(&self) -> Option<Vec<(u64, f64)>> {
        if self.width() > 8 {
            return None;
        }
        let mut out: Vec<(u64, f64)> = (0..=self.mask())
            .map(|b| (b, self.decode(b).value))
            .filter(|(_, v)| !v.is_nan())
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        Some(out)
    }

    /// Range table entries (formats.md §3 columns).
    pub fn range(&self) -> RangeInfo {
        let log2_10 = std::f64::consts::LOG10_2;
        match self {
            Format::Float(s) => {
                let m = i64::from(s.man_bits);
                let bias = i64::from(s.bias);
                let max = self.decode(s.max_mag_code()).value;
                let e8m0 = s.special == SpecialRule::E8m0;
                let min = if s.sign {
                    -max
                } else if e8m0 {
                    pow2(-bias)
                } else {
                    0.0
                };
                RangeInfo {
                    max,
                    min_normal: Some(if e8m0 { pow2(-bias) } else { pow2(1 - bias) }),
                    min_subnormal: (m > 0).then(|| pow2(1 - bias - m)),
                    epsilon: Some(pow2(-m)),
                    decimal_digits: (m + 1) as f64 * log2_10,
                    min,
                }
            }
            Format::Int(_) | Format::Fixed(_) => {
                let (width, enc) = int_view(self);
                let (max_pos, max_neg) = int_range(width, enc);
                let scale = match self {
                    Format::Fixed(f) => pow2(-i64::from(f.frac_bits)),
                    _ => 1.0,
                };
                let signed = enc != IntEncoding::Unsigned;
                RangeInfo {
                    max: max_pos as f64 * scale,
                    min_normal: None,
                    min_subnormal: None,
                    epsilon: Some(scale),
                    decimal_digits: f64::from(width.saturating_sub(u32::from(signed))) * log2_10,
                    min: -(max_neg as f64) * scale,
                }
            }
            Format::Codebook(_) => RangeInfo {
                max: 1.0,
                min_normal: None,
                min_subnormal: None,
                epsilon: None,
                decimal_digits: 4.0 * log2_10,
                min: -1.0,
            },
        }
    }
}

/// (width, encoding) of an integer or fixed-point format.
fn int_view(f: &Format) -> (u32, IntEncoding) {
    match f {
        Format::Int(s) => (s.width, s.encoding),
        Format::Fixed(s) => (s.total_bits, s.encoding()),
        _ => (8, IntEncoding::Unsigned),
    }
}

/// All 16 codes by value; −0 (0x8 in bnb fp4) before +0.
fn sorted_codes(c: Codebook) -> Vec<(u64, f32)> {
    let mut v: Vec<(u64, f32)> = (0..16).map(|b| (b, c.value(b))).collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_around_zero() {
        let f16 = Format::parse("f16").unwrap();
        assert_eq!(f16.next_up(0x8000), Some(0x0001));
        assert_eq!(f16.next_up(0x8001), Some(0x8000));
        assert_eq!(f16.next_down(0x0000), Some(0x8001));
        assert_eq!(f16.next_up(0x7BFF), Some(0x7C00));
        assert_eq!(f16.next_up(0x7C00), None);
        assert_eq!(f16.next_down(0xFC00), None);
        let fnuz = Format::parse("e4m3fnuz").unwrap();
        assert_eq!(fnuz.next_up(0x81), Some(0x00));
        assert_eq!(fnuz.next_down(0x00), Some(0x81));
        let e4m3fn = Format::parse("e4m3fn").unwrap();
        assert_eq!(e4m3fn.next_up(0x7E), None);
        assert_eq!(e4m3fn.gaps(0x7E), (Some(32.0), None));
        assert_eq!(e4m3fn.rounding_interval(0x7E), Some((432.0, 464.0)));
        let i8 = Format::parse("i8").unwrap();
        assert_eq!(i8.next_up(0xFF), Some(0x00));
        assert_eq!(i8.next_down(0x80), None);
        assert_eq!(i8.next_up(0x7F), None);
        let e8m0 = Format::parse("e8m0fnu").unwrap();
        assert_eq!(e8m0.next_up(0xFE), None);
        assert_eq!(e8m0.next_down(0x00), None);
        assert_eq!(
            Format::parse("e2m1fn").unwrap().all_values().unwrap().len(),
            16
        );
    }
}
