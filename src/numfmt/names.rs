//! Format names: the CLI ids, the ml_dtypes / reference-vector aliases, titles and the catalog.
//!
//! Grammar (case-insensitive): a named id or alias from [`NAMED`]; integers `u<N>`, `i<N>`,
//! `sm<N>`, `oc<N>`, `int<N>`, `uint<N>`; fixed `fx<T>.<F>`, `ufx<T>.<F>`; custom floats
//! `[u]e<E>m<M>[b<bias>][fn|fnuz|fin|fnu]` (no suffix: IEEE rules; `u`: no sign bit; `fn`: only
//! all-ones is NaN; `fnuz`: −0 pattern is NaN; `fin`: no NaN/Inf; `fnu`: E8M0-style).

use super::{
    Codebook, FixedSpec, FloatSpec, Format, FormatError, IntEncoding, IntSpec, SpecialRule,
};

const fn fl(sign: bool, e: u32, m: u32, bias: i32, special: SpecialRule) -> FloatSpec {
    FloatSpec {
        sign,
        exp_bits: e,
        man_bits: m,
        bias,
        special,
    }
}

use SpecialRule::{E8m0, Fnuz, Ieee};
const FN: SpecialRule = SpecialRule::FiniteNanAllOnes;
const FIN: SpecialRule = SpecialRule::Finite;

/// Named floats in lecture order: (id, aliases, spec, title).
pub const NAMED: &[(&str, &[&str], FloatSpec, &str)] = &[
    (
        "f64",
        &["binary64", "float64", "fp64", "double"],
        fl(true, 11, 52, 1023, Ieee),
        "binary64 (IEEE double)",
    ),
    (
        "f32",
        &["binary32", "float32", "fp32", "float", "single"],
        fl(true, 8, 23, 127, Ieee),
        "binary32 (IEEE single)",
    ),
    (
        "f16",
        &["binary16", "float16", "fp16", "half"],
        fl(true, 5, 10, 15, Ieee),
        "binary16 (IEEE half)",
    ),
    (
        "bf16",
        &["bfloat16"],
        fl(true, 8, 7, 127, Ieee),
        "bfloat16 (brain float)",
    ),
    (
        "tf32",
        &["tensorfloat32"],
        fl(true, 8, 10, 127, Ieee),
        "TF32 (NVIDIA TensorFloat-32, 19 bits)",
    ),
    (
        "e4m3fn",
        &["float8_e4m3fn", "fp8_e4m3"],
        fl(true, 4, 3, 7, FN),
        "float8 e4m3fn (OCP E4M3)",
    ),
    (
        "e5m2",
        &["float8_e5m2", "fp8_e5m2"],
        fl(true, 5, 2, 15, Ieee),
        "float8 e5m2 (OCP E5M2)",
    ),
    (
        "e4m3fnuz",
        &["float8_e4m3fnuz", "fp8_e4m3fnuz"],
        fl(true, 4, 3, 8, Fnuz),
        "float8 e4m3fnuz (bias 8, no −0, 0x80 = NaN)",
    ),
    (
        "e5m2fnuz",
        &["float8_e5m2fnuz", "fp8_e5m2fnuz"],
        fl(true, 5, 2, 16, Fnuz),
        "float8 e5m2fnuz (bias 16, no −0, 0x80 = NaN)",
    ),
    (
        "e4m3",
        &["float8_e4m3", "fp8_e4m3_ieee"],
        fl(true, 4, 3, 7, Ieee),
        "float8 e4m3 (IEEE-like, with Inf)",
    ),
    (
        "e3m4",
        &["float8_e3m4", "fp8_e3m4"],
        fl(true, 3, 4, 3, Ieee),
        "float8 e3m4 (IEEE-like)",
    ),
    (
        "e4m3b11fnuz",
        &["float8_e4m3b11fnuz", "fp8_e4m3b11fnuz"],
        fl(true, 4, 3, 11, Fnuz),
        "float8 e4m3b11fnuz (bias 11, no −0)",
    ),
    (
        "e2m3fn",
        &["float6_e2m3fn", "fp6_e2m3"],
        fl(true, 2, 3, 1, FIN),
        "float6 e2m3fn (OCP FP6 E2M3)",
    ),
    (
        "e3m2fn",
        &["float6_e3m2fn", "fp6_e3m2"],
        fl(true, 3, 2, 3, FIN),
        "float6 e3m2fn (OCP FP6 E3M2)",
    ),
    (
        "e2m1fn",
        &["float4_e2m1fn", "fp4_e2m1", "fp4"],
        fl(true, 2, 1, 1, FIN),
        "float4 e2m1fn (OCP FP4 E2M1)",
    ),
    (
        "e8m0fnu",
        &["float8_e8m0fnu", "e8m0"],
        fl(false, 8, 0, 127, E8m0),
        "E8M0 scale (OCP MX, float8_e8m0fnu)",
    ),
];

/// Aliases of the non-float names.
const OTHER_ALIASES: &[(&str, &str)] = &[
    ("bnb_fp4", "fp4-bnb"),
    ("fp4_bnb", "fp4-bnb"),
    ("nf4", "nf4"),
    ("fp4-bnb", "fp4-bnb"),
    ("mxint8_element", "fx8.6"),
    ("mxint8", "fx8.6"),
];

impl Format {
    /// Parse a CLI name or alias (case-insensitive).
    pub fn parse(name: &str) -> Result<Format, FormatError> {
        let n = name.trim().to_ascii_lowercase();
        let unknown = || {
            FormatError(format!(
                "unknown format `{name}` (try f32, f16, bf16, e4m3fn, e2m1fn, nf4, i8, u4, fx8.4, e5m2b15; `bitlens formats` lists all)"
            ))
        };
        if n.is_empty() {
            return Err(unknown());
        }
        for (id, aliases, spec, _) in NAMED {
            if n == *id || aliases.contains(&n.as_str()) {
                return Ok(Format::Float(*spec));
            }
        }
        let n = OTHER_ALIASES
            .iter()
            .find(|(a, _)| *a == n)
            .map(|(_, id)| id.to_string())
            .unwrap_or(n);
        match n.as_str() {
            "nf4" => return Ok(Format::Codebook(Codebook::Nf4)),
            "fp4-bnb" => return Ok(Format::Codebook(Codebook::Fp4Bnb)),
            _ => {}
        }
        let fmt = parse_int(&n)
            .or_else(|| parse_fixed(&n))
            .or_else(|| parse_custom_float(&n))
            .ok_or_else(unknown)?;
        fmt.validate()?;
        Ok(fmt)
    }

    /// The canonical CLI name: `Format::parse(&f.id()) == Ok(f)`.
    pub fn id(&self) -> String {
        match self {
            Format::Int(s) => {
                let p = match s.encoding {
                    IntEncoding::Unsigned => "u",
                    IntEncoding::TwosComplement => "i",
                    IntEncoding::SignMagnitude => "sm",
                    IntEncoding::OnesComplement => "oc",
                };
                format!("{p}{}", s.width)
            }
            Format::Fixed(s) => {
                format!(
                    "{}fx{}.{}",
                    if s.signed { "" } else { "u" },
                    s.total_bits,
                    s.frac_bits
                )
            }
            Format::Codebook(Codebook::Nf4) => "nf4".into(),
            Format::Codebook(Codebook::Fp4Bnb) => "fp4-bnb".into(),
            Format::Float(s) => {
                if let Some((id, ..)) = NAMED.iter().find(|(_, _, spec, _)| spec == s) {
                    return id.to_string();
                }
                let mut out = String::new();
                if !s.sign && s.special != E8m0 {
                    out.push('u');
                }
                out.push_str(&format!("e{}m{}", s.exp_bits, s.man_bits));
                if s.bias != FloatSpec::default_bias(s.exp_bits) {
                    out.push_str(&format!("b{}", s.bias));
                }
                out.push_str(match s.special {
                    Ieee => "",
                    SpecialRule::FiniteNanAllOnes => "fn",
                    Fnuz => "fnuz",
                    SpecialRule::Finite => "fin",
                    E8m0 => "fnu",
                });
                out
            }
        }
    }

    /// A human name, e.g. "float8 e4m3fn (OCP E4M3)", "fixed T=8, F=4 (TI Q3.4 = ARM Q4.4)".
    pub fn title(&self) -> String {
        match self {
            Format::Int(s) => {
                let what = match s.encoding {
                    IntEncoding::Unsigned => "unsigned",
                    IntEncoding::TwosComplement => "two's complement",
                    IntEncoding::SignMagnitude => "sign-magnitude",
                    IntEncoding::OnesComplement => "one's complement",
                };
                format!("int{} {what}", s.width)
            }
            Format::Fixed(s) => {
                let t = i64::from(s.total_bits);
                let f = i64::from(s.frac_bits);
                let mut title = format!("fixed T={t}, F={f}");
                if s.signed {
                    title.push_str(&format!(" (TI Q{}.{f} = ARM Q{}.{f}", t - 1 - f, t - f));
                    if t == 8 && f == 6 {
                        title.push_str("; MXINT8 element");
                    }
                    title.push(')');
                } else {
                    title.push_str(&format!(" (unsigned, UQ{}.{f})", t - f));
                }
                title
            }
            Format::Codebook(Codebook::Nf4) => {
                "NF4 (bitsandbytes NormalFloat4, × block absmax)".into()
            }
            Format::Codebook(Codebook::Fp4Bnb) => {
                "bitsandbytes fp4 (not OCP E2M1, × block absmax)".into()
            }
            Format::Float(s) => {
                if let Some((.., title)) = NAMED.iter().find(|(_, _, spec, _)| spec == s) {
                    return title.to_string();
                }
                let rule = match s.special {
                    Ieee => "IEEE rules",
                    SpecialRule::FiniteNanAllOnes => "fn: all-ones NaN, no Inf",
                    Fnuz => "fnuz: 0x80-style NaN, no −0",
                    SpecialRule::Finite => "finite: no NaN, no Inf",
                    E8m0 => "E8M0-style: powers of two",
                };
                format!(
                    "custom {}e{}m{} bias {} ({rule})",
                    if s.sign { "" } else { "unsigned " },
                    s.exp_bits,
                    s.man_bits,
                    s.bias
                )
            }
        }
    }

    /// Every named format in lecture order.
    pub fn catalog() -> Vec<Format> {
        let mut out: Vec<Format> = NAMED.iter().map(|(_, _, s, _)| Format::Float(*s)).collect();
        out.push(Format::Codebook(Codebook::Nf4));
        out.push(Format::Codebook(Codebook::Fp4Bnb));
        for id in [
            "i8", "u8", "sm8", "oc8", "i4", "u4", "i2", "u2", "i16", "i32", "fx8.4", "ufx8.4",
            "fx16.15", "fx8.6",
        ] {
            if let Ok(f) = Format::parse(id) {
                out.push(f);
            }
        }
        out
    }
}

fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 6 {
        return None;
    }
    s.parse().ok()
}

fn parse_int(n: &str) -> Option<Format> {
    // Reference-vector ids: int8_twos, int4_unsigned, int8_ones, int8_signmag.
    if let Some(rest) = n.strip_prefix("int")
        && let Some((w, enc)) = rest.split_once('_')
    {
        let encoding = match enc {
            "unsigned" => IntEncoding::Unsigned,
            "twos" => IntEncoding::TwosComplement,
            "ones" => IntEncoding::OnesComplement,
            "signmag" => IntEncoding::SignMagnitude,
            _ => return None,
        };
        return Some(Format::Int(IntSpec {
            width: number(w)?,
            encoding,
        }));
    }
    let table: [(&str, IntEncoding); 6] = [
        ("uint", IntEncoding::Unsigned),
        ("int", IntEncoding::TwosComplement),
        ("sm", IntEncoding::SignMagnitude),
        ("oc", IntEncoding::OnesComplement),
        ("u", IntEncoding::Unsigned),
        ("i", IntEncoding::TwosComplement),
    ];
    for (prefix, encoding) in table {
        if let Some(w) = n.strip_prefix(prefix).and_then(number::<u32>) {
            return Some(Format::Int(IntSpec { width: w, encoding }));
        }
    }
    None
}

fn parse_fixed(n: &str) -> Option<Format> {
    // fixed_s8_f4 / fixed_u8_f4 (reference vectors) or fx8.4 / ufx8.4.
    if let Some(rest) = n.strip_prefix("fixed_") {
        let (t, f) = rest.split_once("_f")?;
        let (signed, t) = match t.as_bytes().first()? {
            b's' => (true, &t[1..]),
            b'u' => (false, &t[1..]),
            _ => return None,
        };
        return Some(Format::Fixed(FixedSpec {
            total_bits: number(t)?,
            frac_bits: number(f)?,
            signed,
        }));
    }
    let (signed, rest) = if let Some(r) = n.strip_prefix("ufx") {
        (false, r)
    } else {
        (true, n.strip_prefix("fx")?)
    };
    let (t, f) = rest.split_once('.')?;
    Some(Format::Fixed(FixedSpec {
        total_bits: number(t)?,
        frac_bits: number(f)?,
        signed,
    }))
}

fn parse_custom_float(n: &str) -> Option<Format> {
    let (sign, rest) = match n.strip_prefix('u') {
        Some(r) => (false, r),
        None => (true, n),
    };
    let rest = rest.strip_prefix('e')?;
    let mpos = rest.find('m')?;
    let exp_bits: u32 = number(&rest[..mpos])?;
    let rest = &rest[mpos + 1..];
    let mend = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let man_bits: u32 = number(&rest[..mend])?;
    let mut rest = &rest[mend..];
    let mut bias = FloatSpec::default_bias(exp_bits);
    if let Some(r) = rest.strip_prefix('b') {
        let (neg, r) = match r.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, r),
        };
        let bend = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let b: i32 = number(&r[..bend])?;
        bias = if neg { -b } else { b };
        rest = &r[bend..];
    }
    let special = match rest {
        "" => Ieee,
        "fn" => SpecialRule::FiniteNanAllOnes,
        "fnuz" => Fnuz,
        "fin" => SpecialRule::Finite,
        "fnu" => E8m0,
        _ => return None,
    };
    // The `fnu` suffix already says "unsigned".
    let sign = sign && special != E8m0;
    Some(Format::Float(FloatSpec {
        sign,
        exp_bits,
        man_bits,
        bias,
        special,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for f in Format::catalog() {
            assert_eq!(Format::parse(&f.id()).unwrap(), f, "{}", f.id());
        }
        for n in [
            "e5m2b15",
            "e3m3fin",
            "ue4m3",
            "e5m0fnu",
            "e4m3b-2fn",
            "sm12",
            "oc3",
            "ufx12.3",
            "u64",
            "i1",
        ] {
            let f = Format::parse(n).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(Format::parse(&f.id()).unwrap(), f, "{n}");
        }
        assert_eq!(Format::parse("e5m2b15").unwrap().id(), "e5m2");
        assert_eq!(Format::parse("e8m10").unwrap().id(), "tf32");
        assert_eq!(Format::parse("FLOAT8_E4M3FN").unwrap().id(), "e4m3fn");
        assert_eq!(Format::parse("int8_signmag").unwrap().id(), "sm8");
        assert_eq!(Format::parse("fixed_s16_f15").unwrap().id(), "fx16.15");
        assert_eq!(Format::parse("mxint8_element").unwrap().id(), "fx8.6");
        assert_eq!(Format::parse("uint4").unwrap().id(), "u4");
        assert_eq!(Format::parse("int4").unwrap().id(), "i4");
    }

    #[test]
    fn bad_names() {
        for n in [
            "",
            "f17",
            "e0m3",
            "e12m3",
            "i0",
            "i65",
            "sm1",
            "fx0.0",
            "e5m0",
            "x",
            "e4m3zz",
            "ue4m3fnuz",
        ] {
            assert!(Format::parse(n).is_err(), "{n}");
        }
    }

    #[test]
    fn titles() {
        assert_eq!(
            Format::parse("fx8.4").unwrap().title(),
            "fixed T=8, F=4 (TI Q3.4 = ARM Q4.4)"
        );
        assert_eq!(
            Format::parse("e4m3fn").unwrap().title(),
            "float8 e4m3fn (OCP E4M3)"
        );
    }
}
