//! Integer and fixed-point arithmetic as hardware does it: add, subtract, multiply two patterns,
//! with the true result, wrap-around and overflow flags, and the fixed-point product's
//! rescaling (exact in T1+T2, F1+F2 bits, then an arithmetic shift right by F with RNE).

use super::int::{int_bits, int_parts, int_range};
use super::text::dyadic_decimal;
use super::{Format, FormatError, IntEncoding, width_mask};

/// The outcome of one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArithResult {
    /// The stored result pattern.
    pub bits: u64,
    /// The true mathematical result as an exact decimal.
    pub exact: String,
    /// The result bits wrapped around (the true result is outside the range).
    pub wrapped: bool,
    /// The true result is outside the format's range.
    pub overflow: bool,
    /// How the stored result was formed from the true one.
    pub formed: Formed,
    /// How an out-of-range result was wrapped (`None`: it fits).
    pub wrap: Option<Wrap>,
}

/// How the stored result was formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formed {
    /// The true result itself.
    Exact,
    /// A fixed-point product: exact in `total` bits with `frac` fraction bits, then shifted
    /// right by `shift` with round-to-nearest-even.
    Rescaled { total: u32, frac: u32, shift: u32 },
}

/// How a result outside the range wraps in the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// Unsigned and two's complement: modulo 2^width.
    Modulo { width: u32 },
    /// One's complement: end-around carry, modulo 2^width − 1.
    EndAround { width: u32 },
    /// Sign-magnitude: the magnitude modulo 2^bits.
    Magnitude { bits: u32 },
}

impl ArithResult {
    /// How the stored result was formed, in English ("exact in T=16,F=8; shifted right by 4
    /// with RNE; wrapped modulo 2^8").
    pub fn note(&self) -> String {
        let mut s = match self.formed {
            Formed::Exact => "exact".to_owned(),
            Formed::Rescaled { total, frac, shift } => {
                format!("exact in T={total},F={frac}; shifted right by {shift} with RNE")
            }
        };
        match self.wrap {
            None => {}
            Some(Wrap::Modulo { width }) => s.push_str(&format!("; wrapped modulo 2^{width}")),
            Some(Wrap::EndAround { width }) => s.push_str(&format!(
                "; wrapped with end-around carry (modulo 2^{width}−1)"
            )),
            Some(Wrap::Magnitude { bits }) => {
                s.push_str(&format!("; magnitude wrapped modulo 2^{bits}"));
            }
        }
        s
    }
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
}

pub fn add(fmt: &Format, a: u64, b: u64) -> Result<ArithResult, FormatError> {
    run(fmt, a, b, Op::Add)
}

pub fn sub(fmt: &Format, a: u64, b: u64) -> Result<ArithResult, FormatError> {
    run(fmt, a, b, Op::Sub)
}

pub fn mul(fmt: &Format, a: u64, b: u64) -> Result<ArithResult, FormatError> {
    run(fmt, a, b, Op::Mul)
}

fn signed_value(width: u32, enc: IntEncoding, bits: u64) -> i128 {
    let (neg, mag) = int_parts(width, enc, bits);
    if neg { -(mag as i128) } else { mag as i128 }
}

/// Wrap (negative, magnitude) into the encoding: mod 2^N for unsigned / two's complement,
/// end-around (mod 2^N − 1) for one's complement, magnitude mod 2^(N−1) for sign-magnitude.
fn wrap(width: u32, enc: IntEncoding, neg: bool, mag: u128) -> u64 {
    match enc {
        IntEncoding::Unsigned | IntEncoding::TwosComplement => {
            let v = if neg { mag.wrapping_neg() } else { mag };
            v as u64 & width_mask(width)
        }
        IntEncoding::OnesComplement => {
            let m = (1u128 << width) - 1;
            let r = mag % m;
            let r = if neg && r != 0 { m - r } else { r };
            // r in [0, 2^N − 2]; patterns with the MSB set are negative.
            r as u64 & width_mask(width)
        }
        IntEncoding::SignMagnitude => {
            let mag = mag & ((1u128 << (width - 1)) - 1);
            int_bits(width, enc, neg, mag)
        }
    }
}

fn run(fmt: &Format, a: u64, b: u64, op: Op) -> Result<ArithResult, FormatError> {
    let (width, enc, frac) = match fmt {
        Format::Int(s) => (s.width, s.encoding, 0u32),
        Format::Fixed(s) => (s.total_bits, s.encoding(), s.frac_bits),
        _ => {
            return Err(FormatError(format!(
                "arithmetic is shown for integer and fixed-point formats, not {}",
                fmt.id()
            )));
        }
    };
    fmt.validate()?;
    let x = signed_value(width, enc, a);
    let y = signed_value(width, enc, b);
    let (max_pos, max_neg) = int_range(width, enc);
    let in_range = |neg: bool, mag: u128| if neg { mag <= max_neg } else { mag <= max_pos };
    let wrap_rule = match enc {
        IntEncoding::Unsigned | IntEncoding::TwosComplement => Wrap::Modulo { width },
        IntEncoding::OnesComplement => Wrap::EndAround { width },
        IntEncoding::SignMagnitude => Wrap::Magnitude { bits: width - 1 },
    };
    let (neg, mag, exact, formed) = match op {
        Op::Add | Op::Sub => {
            let v = if matches!(op, Op::Add) { x + y } else { x - y };
            let exact = dyadic_decimal(v < 0, v.unsigned_abs(), -i64::from(frac));
            (v < 0, v.unsigned_abs(), exact, Formed::Exact)
        }
        Op::Mul => {
            // |x|, |y| < 2^64, so the magnitude of the product fits in u128.
            let neg = (x < 0) != (y < 0);
            let p = x.unsigned_abs() * y.unsigned_abs();
            let exact = dyadic_decimal(neg && p != 0, p, -2 * i64::from(frac));
            if frac == 0 {
                (neg, p, exact, Formed::Exact)
            } else {
                // Shift right by F with round-to-nearest-even (on the magnitude: ties are
                // symmetric, so this equals RNE of the signed value).
                let f = frac;
                let q = p >> f;
                let rem = p & ((1u128 << f) - 1);
                let half = 1u128 << (f - 1);
                let up = rem > half || (rem == half && q & 1 == 1);
                let formed = Formed::Rescaled {
                    total: 2 * width,
                    frac: 2 * frac,
                    shift: f,
                };
                (neg, q + u128::from(up), exact, formed)
            }
        }
    };
    let neg = neg && mag != 0;
    let overflow = !in_range(neg, mag);
    let bits = if overflow {
        wrap(width, enc, neg, mag)
    } else {
        int_bits(width, enc, neg, mag)
    };
    Ok(ArithResult {
        bits,
        exact,
        wrapped: overflow,
        overflow,
        formed,
        wrap: overflow.then_some(wrap_rule),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_and_fixed() {
        let i8 = Format::parse("i8").unwrap();
        let r = add(&i8, 0x7F, 0x01).unwrap();
        assert_eq!(
            (r.bits, r.exact.as_str(), r.wrapped, r.overflow),
            (0x80, "128", true, true)
        );
        let r = sub(&i8, 0x80, 0x01).unwrap();
        assert_eq!(r.bits, 0x7F);
        let fx = Format::parse("fx8.4").unwrap();
        // 1.5 × 2.25 = 3.375 exact in F=8; 3.375 · 16 = 54 exactly.
        let r = mul(&fx, 0x18, 0x24).unwrap();
        assert_eq!(r.bits, 54);
        assert_eq!(r.exact, "3.375");
        assert_eq!(r.note(), "exact in T=16,F=8; shifted right by 4 with RNE");
        // 0.0625 × 0.5 = 0.03125: half an LSB, ties to even → 0.
        let r = mul(&fx, 0x01, 0x08).unwrap();
        assert_eq!(r.bits, 0);
        assert_eq!(r.exact, "0.03125");
        assert!(mul(&Format::parse("f16").unwrap(), 0, 0).is_err());
        let u8f = Format::parse("u8").unwrap();
        let r = sub(&u8f, 0, 1).unwrap();
        assert_eq!((r.bits, r.exact.as_str(), r.wrapped), (0xFF, "-1", true));
    }
}
