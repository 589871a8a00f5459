//! Text views of a pattern: the exact decimal, the shortest round-trip decimal, the formula.

use super::big::Big;
use super::float::FloatParts;
use super::{Codebook, FloatSpec, Format, IntEncoding, IntSpec, Overflow, Rounding, SpecialRule};

/// (−1)^neg · int · 2^exp as an exact decimal (all digits, no exponent notation).
pub(crate) fn dyadic_decimal(neg: bool, int: u128, exp: i64) -> String {
    let sign = if neg { "-" } else { "" };
    if int == 0 {
        return format!("{sign}0");
    }
    let b = Big::from_u128(int);
    if exp >= 0 {
        return format!("{sign}{}", b.shl(exp as u64).to_decimal());
    }
    // int · 2^−k = int · 5^k / 10^k
    let k = (-exp) as usize;
    let mut n = b;
    n.mul_pow5(k as u32);
    let digits = n.to_decimal();
    let padded = if digits.len() <= k {
        format!("{}{digits}", "0".repeat(k + 1 - digits.len()))
    } else {
        digits
    };
    let (ip, fp) = padded.split_at(padded.len() - k);
    let fp = fp.trim_end_matches('0');
    if fp.is_empty() {
        format!("{sign}{ip}")
    } else {
        format!("{sign}{ip}.{fp}")
    }
}

/// Decimal digits d (no leading zeros) and exponent: value = 0.d × 10^point... expressed as
/// `digits` with the decimal point after `point` digits (point may be ≤ 0 or > len).
fn place_point(neg: bool, digits: &str, point: i64) -> String {
    let sign = if neg { "-" } else { "" };
    let len = digits.len() as i64;
    // Scientific for very large or very small magnitudes.
    if !(-6..=21).contains(&point) {
        let (first, rest) = digits.split_at(1);
        let e = point - 1;
        return if rest.is_empty() {
            format!("{sign}{first}e{e}")
        } else {
            format!("{sign}{first}.{rest}e{e}")
        };
    }
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= len {
        format!("{sign}{digits}{}", "0".repeat((point - len) as usize))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{sign}{a}.{b}")
    }
}

/// Split Rust's `{:e}` output ("1.2345e-7") into digits "12345" and the point position.
fn sci_parts(s: &str) -> (String, i64) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0').to_string();
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    (digits, exp.parse::<i64>().unwrap_or(0) + 1)
}

/// A pattern's value written out ([`Format::formula_parts`]): arithmetic with the numbers
/// filled in, or the rule that makes the pattern special. Its English text is its
/// [`std::fmt::Display`]; the app words the rules in its own language from the variant.
#[derive(Clone, Debug, PartialEq)]
pub enum Formula {
    /// Arithmetic only (`(−1)^0 × 2^(17−15) × 1.0100000000₂ = 5`, `−2^7·1 + 0b0000011 = −125`).
    Expr(String),
    /// IEEE rules: exponent all ones, mantissa 0.
    Infinity { neg: bool },
    /// IEEE rules: exponent all ones, mantissa ≠ 0 (quiet when the top mantissa bit is set).
    Nan { quiet: bool },
    /// `fn` formats: all ones is the only NaN; no infinity.
    NanAllOnes,
    /// `fnuz` formats: the would-be −0 pattern is the only NaN.
    NanNegZero,
    /// E8M0: all ones is NaN.
    NanE8m0,
    /// Fixed point: the stored integer × 2^−F; `value` is ` = v` (or ` ≈ v`).
    Fixed {
        stored: String,
        frac_bits: u32,
        value: String,
    },
    /// NF4: code → the table value (times the block absmax); `value` is ` = v`.
    Nf4 { code: u64, value: String },
    /// bitsandbytes fp4: (−1)^sign × LUT[index] = num/12 → value (times the block absmax).
    Fp4Bnb {
        sign: u64,
        index: String,
        num: f64,
        value: String,
    },
}

impl std::fmt::Display for Formula {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Expr(e) => f.write_str(e),
            Self::Infinity { neg } => write!(
                f,
                "exponent all ones, mantissa 0 → {}∞ (infinity)",
                if *neg { "−" } else { "+" }
            ),
            Self::Nan { quiet } => write!(
                f,
                "exponent all ones, mantissa ≠ 0 → NaN ({})",
                if *quiet { "quiet" } else { "signalling" }
            ),
            Self::NanAllOnes => {
                f.write_str("all ones (S.1111.111-style) is the only NaN; no infinity")
            }
            Self::NanNegZero => f.write_str(
                "the would-be −0 pattern (sign 1, rest 0) is the only NaN; no −0, no infinity",
            ),
            Self::NanE8m0 => {
                f.write_str("all ones is NaN (E8M0 has no sign, no zero, no infinity)")
            }
            Self::Fixed {
                stored,
                frac_bits,
                value,
            } => write!(f, "stored {stored} × 2^−{frac_bits}{value}"),
            Self::Nf4 { code, value } => {
                write!(f, "NF4 code {code} → table value{value} (× block absmax)")
            }
            Self::Fp4Bnb {
                sign,
                index,
                num,
                value,
            } => write!(
                f,
                "(−1)^{sign} × LUT[0b{index}] = {num}/12 → {value} (× block absmax)"
            ),
        }
    }
}

impl Format {
    /// All digits of the value, no exponent notation; "nan", "inf", "-inf", "-0".
    pub fn exact_decimal(&self, bits: u64) -> String {
        let bits = bits & self.mask();
        if let Format::Float(s) = self {
            if s.validate().is_err() {
                // Outside binary64's range (an unvalidated custom layout): no exact digits.
                return format!("{:e}", self.decode(bits).value);
            }
            match s.parts(bits) {
                FloatParts::Nan => return "nan".into(),
                FloatParts::Inf { neg } => return if neg { "-inf" } else { "inf" }.into(),
                FloatParts::Finite { .. } => {}
            }
        }
        match self.stored_dyadic(bits) {
            Some((neg, int, exp)) => dyadic_decimal(neg, int, exp),
            None => "nan".into(),
        }
    }

    /// The shortest decimal text that encodes back to the same pattern (RNE, default overflow).
    pub fn shortest_decimal(&self, bits: u64) -> String {
        let bits = bits & self.mask();
        let d = self.decode(bits);
        let v = d.value;
        if v.is_nan() {
            return "nan".into();
        }
        if v.is_infinite() {
            return if v < 0.0 { "-inf" } else { "inf" }.into();
        }
        if v == 0.0 {
            return if v.is_sign_negative() { "-0" } else { "0" }.into();
        }
        let neg = v < 0.0;
        let round_trips = |text: &str| {
            self.encode_str(text, Rounding::NearestEven, Overflow::Default)
                .is_ok_and(|e| e.bits == bits)
        };
        match self {
            Format::Int(_) => return self.exact_decimal(bits),
            Format::Float(s) if s.exp_bits == 11 && s.man_bits == 52 && s.bias == 1023 => {
                let (digits, point) = sci_parts(&format!("{:e}", v.abs()));
                return place_point(neg, &digits, point);
            }
            Format::Float(s) if s.exp_bits == 8 && s.man_bits == 23 && s.bias == 127 => {
                let (digits, point) = sci_parts(&format!("{:e}", (v as f32).abs()));
                return place_point(neg, &digits, point);
            }
            Format::Codebook(_) => {
                // The table entry's own shortest f32 text (the interval is a whole code bin).
                let (digits, point) = sci_parts(&format!("{:e}", (v as f32).abs()));
                return place_point(neg, &digits, point);
            }
            _ => {}
        }
        for p in 1..=20usize {
            let s = format!("{:.*e}", p - 1, v.abs());
            let (digits, point) = sci_parts(&s);
            // Candidates: the correctly rounded p digits and its two neighbours.
            let base: u128 = format!("{digits:0<p$}").parse().unwrap_or(0);
            let point_adj = point - p as i64; // value = base × 10^point_adj
            let mut best: Option<(f64, String)> = None;
            for cand in [base.saturating_sub(1), base, base + 1] {
                if cand == 0 {
                    continue;
                }
                let cs = cand.to_string();
                let cpoint = cs.len() as i64 + point_adj;
                let trimmed = cs.trim_end_matches('0');
                let text = place_point(neg, trimmed, cpoint);
                if round_trips(&text) {
                    let cv: f64 = text.parse().unwrap_or(f64::NAN);
                    let dist = (cv - v).abs();
                    if best.as_ref().is_none_or(|(d, _)| dist < *d) {
                        best = Some((dist, text));
                    }
                }
            }
            if let Some((_, text)) = best {
                return text;
            }
        }
        self.exact_decimal(bits)
    }

    /// The value with its numbers filled in, e.g. "(−1)^0 × 2^(17−15) × 1.0100000000₂ = 5"
    /// (the English text of [`Format::formula_parts`]).
    pub fn formula(&self, bits: u64) -> String {
        self.formula_parts(bits).to_string()
    }

    /// The value with its numbers filled in, or the rule that makes the pattern special.
    pub fn formula_parts(&self, bits: u64) -> Formula {
        let bits = bits & self.mask();
        let value = {
            let exact = self.exact_decimal(bits);
            if exact.len() <= 40 {
                exact
            } else {
                format!("≈ {}", self.shortest_decimal(bits))
            }
        };
        let value = value.replace('-', "−");
        let eq = if value.starts_with('≈') { " " } else { " = " };
        match self {
            Format::Float(s) => float_formula(s, bits, eq, value),
            Format::Int(s) => Formula::Expr(int_formula(s, bits, eq, &value)),
            Format::Fixed(s) => Formula::Fixed {
                stored: s.stored(bits).to_string().replace('-', "−"),
                frac_bits: s.frac_bits,
                value: format!("{eq}{value}"),
            },
            Format::Codebook(Codebook::Nf4) => Formula::Nf4 {
                code: bits,
                value: format!("{eq}{value}"),
            },
            Format::Codebook(Codebook::Fp4Bnb) => Formula::Fp4Bnb {
                sign: bits >> 3 & 1,
                index: bin(bits & 7, 3),
                num: [0.0, 0.0625, 8.0, 12.0, 4.0, 6.0, 2.0, 3.0][(bits & 7) as usize],
                value,
            },
        }
    }
}

/// `v` as `len` binary digits (nothing for `len` 0).
fn bin(v: u64, len: u32) -> String {
    if len == 0 {
        String::new()
    } else {
        format!("{v:0w$b}", w = len as usize)
    }
}

/// A float pattern: `(−1)^s × 2^(e−bias) × h.mmm₂ = value`, or the rule that makes it special.
/// `eq` joins the formula to `value` (` = `, or a space before `≈ …`).
fn float_formula(s: &FloatSpec, bits: u64, eq: &str, value: String) -> Formula {
    let m = s.man_bits;
    let mag = bits & s.all_ones_mag();
    let e = mag >> m;
    let man = mag & super::width_mask(m);
    let sbit = u64::from(s.sign && bits & s.sign_bit() != 0);
    let sign_part = if s.sign {
        format!("(−1)^{sbit} × ")
    } else {
        String::new()
    };
    match (s.special, s.parts(bits)) {
        (SpecialRule::Ieee, FloatParts::Inf { neg }) => Formula::Infinity { neg },
        (SpecialRule::Ieee, FloatParts::Nan) => Formula::Nan {
            quiet: m > 0 && man >> (m - 1) & 1 == 1,
        },
        (SpecialRule::FiniteNanAllOnes, FloatParts::Nan) => Formula::NanAllOnes,
        (SpecialRule::Fnuz, FloatParts::Nan) => Formula::NanNegZero,
        (SpecialRule::E8m0, FloatParts::Nan) => Formula::NanE8m0,
        (SpecialRule::E8m0, _) => Formula::Expr(format!("2^({e}−{}){eq}{value}", s.bias)),
        _ => {
            let (hidden, exp_text) = if e == 0 {
                ("0", format!("1−{}", s.bias))
            } else {
                ("1", format!("{e}−{}", s.bias))
            };
            let frac = if m == 0 {
                String::new()
            } else {
                format!(".{}", bin(man, m))
            };
            Formula::Expr(format!(
                "{sign_part}2^({exp_text}) × {hidden}{frac}₂{eq}{value}"
            ))
        }
    }
}

/// An integer pattern as its encoding's sum (`−2^(n−1)·msb + 0b…` for two's complement).
fn int_formula(s: &IntSpec, bits: u64, eq: &str, value: &str) -> String {
    let n = s.width.clamp(1, 64);
    let msb = bits >> (n - 1) & 1;
    let rest = bin(bits & super::width_mask(n - 1), n - 1);
    match s.encoding {
        IntEncoding::Unsigned => format!("0b{}{eq}{value}", bin(bits, n)),
        IntEncoding::TwosComplement => {
            if n == 1 {
                format!("−2^0·{msb}{eq}{value}")
            } else {
                format!("−2^{}·{msb} + 0b{rest}{eq}{value}", n - 1)
            }
        }
        IntEncoding::SignMagnitude => format!("(−1)^{msb} × 0b{rest}{eq}{value}"),
        IntEncoding::OnesComplement => {
            format!("−(2^{}−1)·{msb} + 0b{rest}{eq}{value}", n - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(dyadic_decimal(false, 1, -24), "0.000000059604644775390625");
        assert_eq!(dyadic_decimal(true, 3, 2), "-12");
        assert_eq!(dyadic_decimal(false, 5, -1), "2.5");
        let f16 = Format::parse("f16").unwrap();
        assert_eq!(
            f16.formula(0x4500),
            "(−1)^0 × 2^(17−15) × 1.0100000000₂ = 5"
        );
        assert_eq!(
            f16.formula(0x0001),
            "(−1)^0 × 2^(1−15) × 0.0000000001₂ = 0.000000059604644775390625"
        );
        let i8 = Format::parse("i8").unwrap();
        assert_eq!(i8.formula(0x83), "−2^7·1 + 0b0000011 = −125");
        let fx = Format::parse("fx8.4").unwrap();
        assert_eq!(fx.formula(0xF4), "stored −12 × 2^−4 = −0.75");
        assert_eq!(f16.shortest_decimal(0x2E66), "0.1");
        assert_eq!(f16.shortest_decimal(0x3C01), "1.001");
        assert_eq!(
            Format::parse("f32").unwrap().shortest_decimal(0x3DCCCCCD),
            "0.1"
        );
        // 448's rounding interval is [432, 464]: two digits suffice (numpy prints f16 65504 as 65500).
        assert_eq!(
            Format::parse("e4m3fn").unwrap().shortest_decimal(0x7E),
            "450"
        );
        assert_eq!(
            Format::parse("f16").unwrap().shortest_decimal(0x7BFF),
            "65500"
        );
        assert_eq!(Format::parse("f64").unwrap().shortest_decimal(1), "5e-324");
    }
}
