//! Property tests: random f32 / f64 / decimal inputs against independent slow references
//! (brute-force nearest value over every pattern, `half`, Rust's own correctly rounded casts
//! and parsers), and the fast kernels against the exact encoder.

use bitlens::numfmt::names::NAMED;
use bitlens::numfmt::{FloatSpec, Format, Overflow, Rounding};
use proptest::prelude::*;

fn spec(name: &str) -> FloatSpec {
    match Format::parse(name) {
        Ok(Format::Float(s)) => s,
        other => panic!("{name}: {other:?}"),
    }
}

const SMALL_FLOATS: &[&str] = &[
    "e4m3fn",
    "e5m2",
    "e4m3fnuz",
    "e5m2fnuz",
    "e4m3",
    "e3m4",
    "e4m3b11fnuz",
    "e2m3fn",
    "e3m2fn",
    "e2m1fn",
];

/// Reference RNE encode by brute force: nearest finite value over all patterns, ties to the
/// even pattern; beyond max by half an ulp (tie included when max is odd) → the overflow
/// result given in formats.md §4; NaN/Inf handled by the caller.
fn brute_force(f: &Format, x: f64) -> Option<u64> {
    if !x.is_finite() {
        return None;
    }
    let vals: Vec<(u64, f64)> = f
        .all_values()?
        .into_iter()
        .filter(|(_, v)| v.is_finite())
        .collect();
    let max = vals.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let below_max = vals
        .iter()
        .map(|p| p.1)
        .filter(|&v| v < max)
        .fold(f64::MIN, f64::max);
    let half_ulp = (max - below_max) / 2.0;
    let (max_bits, _) = *vals.iter().find(|p| p.1 == max).unwrap();
    let a = x.abs();
    if a > max + half_ulp || (a == max + half_ulp && max_bits & 1 == 1) {
        return None; // overflow: the caller applies the table
    }
    let mut best: Option<(u64, f64)> = None;
    for &(b, v) in &vals {
        // Same sign side (zero keeps the input's sign where −0 exists).
        if v == 0.0
            && (v.is_sign_negative() != x.is_sign_negative())
            && vals
                .iter()
                .any(|p| p.1 == 0.0 && p.1.is_sign_negative() == x.is_sign_negative())
        {
            continue;
        }
        let d = (v - x).abs();
        best = match best {
            None => Some((b, d)),
            Some((bb, bd)) if d < bd || (d == bd && b & 1 == 0 && bb & 1 == 1) => Some((b, d)),
            keep => keep,
        };
    }
    best.map(|(b, _)| b)
}

fn overflow_result(name: &str, neg: bool) -> u64 {
    match (name, neg) {
        ("e4m3fn", false) => 0x7F,
        ("e4m3fn", true) => 0xFF,
        ("e5m2", false) => 0x7C,
        ("e5m2", true) => 0xFC,
        ("e4m3", false) => 0x78,
        ("e4m3", true) => 0xF8,
        ("e3m4", false) => 0x70,
        ("e3m4", true) => 0xF0,
        ("e2m3fn" | "e3m2fn", false) => 0x1F,
        ("e2m3fn" | "e3m2fn", true) => 0x3F,
        ("e2m1fn", false) => 0x7,
        ("e2m1fn", true) => 0xF,
        _ => 0x80, // the fnuz types
    }
}

fn check_small(x: f32) -> Result<(), TestCaseError> {
    for &name in SMALL_FLOATS {
        let s = spec(name);
        let f = Format::Float(s);
        let exact = f.encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Default);
        let fast = u64::from(s.encode_f32(x));
        prop_assert_eq!(fast, exact.bits, "{} fast vs exact at {:e}", name, x);
        if x.is_finite() {
            let want =
                brute_force(&f, f64::from(x)).unwrap_or_else(|| overflow_result(name, x < 0.0));
            prop_assert_eq!(exact.bits, want, "{} brute force at {:e}", name, x);
        }
        let rounded = s.round_f32(x, true);
        let sat = f.encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Saturate);
        let want = f.decode(sat.bits).value;
        prop_assert!(
            f64::from(rounded) == want || (rounded.is_nan() && want.is_nan()),
            "{} round_f32 {:e}",
            name,
            x
        );
    }
    Ok(())
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        (-600.0f32..600.0),
        (-1.0f32..1.0),
        (-70000.0f32..70000.0),
        (any::<u16>(), -30i32..20).prop_map(|(m, e)| (f32::from(m) / 65536.0) * 2f32.powi(e)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn small_floats_match_brute_force(x in any_f32()) {
        check_small(x)?;
    }

    #[test]
    fn f16_bf16_match_half(x in any_f32()) {
        let f16 = Format::parse("f16").unwrap();
        let bf16 = Format::parse("bf16").unwrap();
        let a = f16.encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Default).bits;
        let b = bf16.encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Default).bits;
        let ha = half::f16::from_f32(x);
        let hb = half::bf16::from_f32(x);
        if x.is_nan() {
            prop_assert!(f16.decode(a).value.is_nan() && bf16.decode(b).value.is_nan());
        } else {
            prop_assert_eq!(a, u64::from(ha.to_bits()), "f16 {:e}", x);
            prop_assert_eq!(b, u64::from(hb.to_bits()), "bf16 {:e}", x);
        }
        prop_assert_eq!(u64::from(spec("f16").encode_f32(x)), a);
        prop_assert_eq!(u64::from(spec("bf16").encode_f32(x)), b);
    }

    #[test]
    fn tf32_is_rne_of_the_f32_bits(x in any_f32()) {
        prop_assume!(x.is_finite());
        let u = x.to_bits();
        let lsb = (u >> 13) & 1;
        let r = u.wrapping_add(0xFFF + lsb) >> 13;
        let tf32 = Format::parse("tf32").unwrap();
        let got = tf32.encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Default).bits;
        prop_assert_eq!(got, u64::from(r), "tf32 {:e}", x);
        prop_assert_eq!(u64::from(spec("tf32").encode_f32(x)), got);
    }

    #[test]
    fn f32_from_f64_matches_the_cast(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        let f32f = Format::parse("f32").unwrap();
        let got = f32f.encode_f64(x, Rounding::NearestEven, Overflow::Default);
        if x.is_nan() {
            prop_assert!(got.value.is_nan());
        } else {
            prop_assert_eq!(got.bits, u64::from((x as f32).to_bits()), "{:e}", x);
        }
    }

    #[test]
    fn decimal_text_matches_rust_parsers(int in 0u64..1_000_000_000_000, frac in 0u64..1_000_000_000, exp in -330i32..320, neg in any::<bool>()) {
        let text = format!("{}{int}.{frac:09}e{exp}", if neg { "-" } else { "" });
        let want64: f64 = text.parse().unwrap();
        let want32: f32 = text.parse().unwrap();
        let f64f = Format::parse("f64").unwrap();
        let f32f = Format::parse("f32").unwrap();
        let a = f64f.encode_str(&text, Rounding::NearestEven, Overflow::Default).unwrap();
        let b = f32f.encode_str(&text, Rounding::NearestEven, Overflow::Default).unwrap();
        prop_assert_eq!(a.bits, want64.to_bits(), "f64 {}", text);
        prop_assert_eq!(b.bits, u64::from(want32.to_bits()), "f32 {}", text);
    }

    #[test]
    fn directed_modes_bracket_the_input(x in any_f32()) {
        prop_assume!(x.is_finite());
        for name in ["f16", "bf16", "e4m3", "e5m2", "e3m4"] {
            let f = Format::parse(name).unwrap();
            let xf = f64::from(x);
            let up = f.encode_f64(xf, Rounding::Up, Overflow::Default).value;
            let down = f.encode_f64(xf, Rounding::Down, Overflow::Default).value;
            let tz = f.encode_f64(xf, Rounding::TowardZero, Overflow::Default).value;
            let ne = f.encode_f64(xf, Rounding::NearestEven, Overflow::Default).value;
            let na = f.encode_f64(xf, Rounding::NearestAway, Overflow::Default).value;
            prop_assert!(down <= xf && xf <= up, "{} {:e}: {} {}", name, x, down, up);
            prop_assert!(tz.abs() <= xf.abs());
            prop_assert!(ne == up || ne == down, "{} ne", name);
            prop_assert!(na == up || na == down, "{} na", name);
            prop_assert!((ne - xf).abs() <= (na - xf).abs() || (ne - xf).abs() == (na - xf).abs());
        }
    }

    #[test]
    fn next_up_and_down_are_inverse(bits in any::<u16>()) {
        for name in ["f16", "bf16", "i16", "sm16", "oc16", "fx16.15", "u16"] {
            let f = Format::parse(name).unwrap();
            let b = u64::from(bits);
            let v = f.decode(b).value;
            if let Some(u) = f.next_up(b) {
                let w = f.decode(u).value;
                prop_assert!(w > v, "{} {:#x}", name, b);
                let back = f.next_down(u).unwrap();
                prop_assert_eq!(f.decode(back).value, v, "{} {:#x}", name, b);
            }
        }
    }
}

#[test]
fn fast_kernel_matches_exact_encoder_on_a_sweep() {
    // Every named float narrower than f32 (f32 and f64 are identities or wider than the input).
    let names = NAMED
        .iter()
        .map(|n| n.0)
        .filter(|&id| id != "f32" && id != "f64");
    for name in names {
        let s = spec(name);
        let fast = s.fast();
        let f = Format::Float(s);
        let mut u = 0u32;
        while u < u32::MAX - 40_000 {
            // A sweep over all exponents with varying mantissas, both signs.
            let x = f32::from_bits(u);
            for sat in [false, true] {
                let ovf = if sat {
                    Overflow::Saturate
                } else {
                    Overflow::Default
                };
                let want = f.encode_f64(f64::from(x), Rounding::NearestEven, ovf).bits;
                assert_eq!(
                    u64::from(fast.encode_mode(x, sat)),
                    want,
                    "{name} {x:e} ({u:#x}) sat={sat}"
                );
                let v = f.decode(want).value as f32;
                let r = fast.round_f32(x, sat);
                assert!(
                    (r.is_nan() && v.is_nan()) || r.to_bits() == v.to_bits(),
                    "{name} round_f32 {x:e} sat={sat}: {r} vs {v}"
                );
            }
            u = u.wrapping_add(65_537);
        }
    }
}
