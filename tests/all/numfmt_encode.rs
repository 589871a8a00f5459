//! Encode checks: round trips of every pattern, monotonicity, ties, overflow, the five rounding
//! modes, saturate, and the worked examples of formats.md as named tests.

use bitlens::numfmt::{Format, IntEncoding, IntSpec, Overflow, Rounding};

fn fmt(name: &str) -> Format {
    Format::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn enc(name: &str, x: f64) -> u64 {
    fmt(name)
        .encode_f64(x, Rounding::NearestEven, Overflow::Default)
        .bits
}

fn enc_sat(name: &str, x: f64) -> u64 {
    fmt(name)
        .encode_f64(x, Rounding::NearestEven, Overflow::Saturate)
        .bits
}

fn enc_mode(name: &str, x: f64, mode: Rounding) -> u64 {
    fmt(name).encode_f64(x, mode, Overflow::Default).bits
}

fn small_formats() -> Vec<Format> {
    let mut v: Vec<Format> = Format::catalog()
        .into_iter()
        .filter(|f| f.width() <= 16)
        .collect();
    for extra in [
        "e5m2b10", "e3m3fin", "e4m2fn", "e5m0fnu", "e3m2fnuz", "ue4m3", "sm5", "oc6", "u1", "i1",
        "u16", "ufx6.2", "fx12.14",
    ] {
        v.push(fmt(extra));
    }
    v
}

#[test]
fn encode_of_decode_is_identity_for_every_non_nan_pattern() {
    for f in small_formats() {
        for b in 0..=f.mask() {
            let d = f.decode(b);
            if d.value.is_nan() {
                continue;
            }
            for &mode in Rounding::all() {
                let e = f.encode_f64(d.value, mode, Overflow::Default);
                assert_eq!(
                    e.bits,
                    b,
                    "{} {b:#x} ({}) mode {}",
                    f.id(),
                    d.value,
                    mode.id()
                );
                assert!(!e.inexact && !e.overflow, "{} {b:#x}", f.id());
            }
            // Also through the text of its exact and shortest decimals.
            let t = f.exact_decimal(b);
            let e = f
                .encode_str(&t, Rounding::NearestEven, Overflow::Default)
                .unwrap();
            assert_eq!(e.bits, b, "{} exact text {t}", f.id());
            if f.width() <= 8 || b % 61 == 0 {
                let s = f.shortest_decimal(b);
                let e = f
                    .encode_str(&s, Rounding::NearestEven, Overflow::Default)
                    .unwrap();
                assert_eq!(e.bits, b, "{} shortest text {s}", f.id());
            }
        }
    }
}

#[test]
fn encoding_is_monotonic_and_ties_go_to_even() {
    for f in small_formats().into_iter().filter(|f| f.width() <= 8) {
        // Integers round here in their quantize mode (saturate); their own rule is the cast.
        let ovf = if matches!(f, Format::Int(_)) {
            Overflow::Saturate
        } else {
            Overflow::Default
        };
        let vals = f.all_values().unwrap();
        let mut last = f64::NEG_INFINITY;
        for w in vals.windows(2) {
            let (b0, v0) = w[0];
            let (b1, v1) = w[1];
            if v0 == v1 || !v0.is_finite() || !v1.is_finite() {
                continue;
            }
            let mid = f64::midpoint(v0, v1);
            let tie = f.encode_f64(mid, Rounding::NearestEven, ovf);
            let tv = tie.value;
            assert!(tv == v0 || tv == v1, "{} tie {mid}", f.id());
            assert!(tv >= last, "{} monotonic at {mid}", f.id());
            last = tv;
            if let Format::Float(_) = f {
                let even = if b0 & 1 == 0 { v0 } else { v1 };
                // e8m0 has no mantissa: its ties round up (formats.md §4.2).
                let want = if f.id().ends_with("fnu") { v1 } else { even };
                if b0 & 1 != b1 & 1 || f.id().ends_with("fnu") {
                    assert_eq!(tv, want, "{} tie between {v0} and {v1}", f.id());
                }
            }
            let below = f.encode_f64(mid - (v1 - v0) / 64.0, Rounding::NearestEven, ovf);
            let above = f.encode_f64(mid + (v1 - v0) / 64.0, Rounding::NearestEven, ovf);
            assert_eq!(below.value, v0, "{} just below {mid}", f.id());
            assert_eq!(above.value, v1, "{} just above {mid}", f.id());
            let _ = b1;
        }
    }
}

#[test]
fn e4m3fn_464_ties_to_448_and_465_is_nan() {
    assert_eq!(enc("e4m3fn", 464.0), 0x7E);
    assert_eq!(enc("e4m3fn", 465.0), 0x7F);
    assert_eq!(enc("e4m3fn", -464.0), 0xFE);
    assert_eq!(enc("e4m3fn", -465.0), 0xFF);
    assert_eq!(enc("e4m3fn", f64::INFINITY), 0x7F);
    assert_eq!(enc("e4m3fn", f64::NEG_INFINITY), 0xFF);
    assert_eq!(enc("e4m3fn", -f64::NAN), 0xFF);
    assert_eq!(enc("e4m3fn", -0.0), 0x80);
    let e = fmt("e4m3fn").encode_f64(465.0, Rounding::NearestEven, Overflow::Default);
    assert!(e.overflow && e.value.is_nan());
}

#[test]
fn f16_65520_ties_to_infinity() {
    assert_eq!(enc("f16", 65520.0), 0x7C00);
    assert_eq!(enc("f16", 65519.99), 0x7BFF);
    assert_eq!(enc("f16", -65520.0), 0xFC00);
    assert_eq!(enc("f16", f64::NAN), 0x7E00);
    assert_eq!(enc("f16", -f64::NAN), 0xFE00);
    assert_eq!(enc("f16", 2f64.powi(-25)), 0x0000); // half the min subnormal → 0 (even)
    assert_eq!(enc("f16", -(2f64.powi(-25))), 0x8000);
    assert_eq!(enc("f16", 1.5 * 2f64.powi(-25)), 0x0001);
}

#[test]
fn overflow_thresholds_of_the_default_table() {
    // (format, largest input that still rounds to max, first overflowing input, overflow result)
    let p = |k: i32| 2f64.powi(k);
    let cases: &[(&str, f64, f64, u64)] = &[
        (
            "bf16",
            (2.0 - p(-8)) * p(127) * (1.0 - p(-30)),
            (2.0 - p(-8)) * p(127),
            0x7F80,
        ),
        (
            "tf32",
            (2.0 - p(-11)) * p(127) * (1.0 - p(-30)),
            (2.0 - p(-11)) * p(127),
            0x3FC00,
        ),
        ("f32", p(128) - p(103) - p(80), p(128) - p(103), 0x7F80_0000),
        ("e5m2", 61439.0, 61440.0, 0x7C),
        ("e4m3", 247.99, 248.0, 0x78),
        ("e3m4", 15.74, 15.75, 0x70),
        ("e4m3fnuz", 247.99, 248.0, 0x80),
        ("e5m2fnuz", 61439.0, 61440.0, 0x80),
        ("e4m3b11fnuz", 30.99, 31.0, 0x80),
        ("e2m3fn", 7.74, 7.75, 0x1F),
        ("e3m2fn", 29.9, 30.0, 0x1F),
        ("e2m1fn", 6.9, 7.0, 0x7),
    ];
    for &(name, ok, over, result) in cases {
        let f = fmt(name);
        let max_bits = f
            .encode_f64(f.range().max, Rounding::NearestEven, Overflow::Default)
            .bits;
        assert_eq!(enc(name, ok), max_bits, "{name} {ok}");
        assert_eq!(enc(name, over), result, "{name} {over}");
        let e = f.encode_f64(over, Rounding::NearestEven, Overflow::Default);
        assert!(e.overflow, "{name} flags overflow");
        // Saturate: always ±max.
        assert_eq!(enc_sat(name, over), max_bits, "{name} saturate");
        assert_eq!(enc_sat(name, 1e300), max_bits, "{name} saturate huge");
    }
}

#[test]
fn inf_and_nan_per_format_rules() {
    assert_eq!(enc("e4m3fnuz", f64::INFINITY), 0x80);
    assert_eq!(enc("e4m3fnuz", f64::NAN), 0x80);
    assert_eq!(enc("e5m2", f64::NEG_INFINITY), 0xFC);
    assert_eq!(enc("e5m2", -f64::NAN), 0xFE);
    assert_eq!(enc("e4m3", f64::NAN), 0x7C);
    assert_eq!(enc("e3m4", -f64::NAN), 0xF8);
    assert_eq!(enc("tf32", f64::NAN), 0x3FE00);
    assert_eq!(enc("tf32", -f64::NAN), 0x7FE00);
    assert_eq!(enc("tf32", -0.0), 0x40000);
    assert_eq!(enc("e2m1fn", f64::INFINITY), 0x7);
    assert_eq!(enc("e2m1fn", f64::NEG_INFINITY), 0xF);
}

#[test]
fn fp6_fp4_nan_flips_sign_to_zero() {
    assert_eq!(enc("e2m3fn", f64::NAN), 0x20);
    assert_eq!(enc("e2m3fn", -f64::NAN), 0x00);
    assert_eq!(enc("e3m2fn", f64::NAN), 0x20);
    assert_eq!(enc("e3m2fn", -f64::NAN), 0x00);
    assert_eq!(enc("e2m1fn", f64::NAN), 0x8);
    assert_eq!(enc("e2m1fn", -f64::NAN), 0x0);
    assert_eq!(enc("e2m1fn", -0.0), 0x8);
}

#[test]
fn fnuz_negative_zero_and_underflow_give_0x00() {
    for name in ["e4m3fnuz", "e5m2fnuz", "e4m3b11fnuz"] {
        assert_eq!(enc(name, -0.0), 0x00, "{name}");
        assert_eq!(enc(name, -1e-30), 0x00, "{name}");
        assert_eq!(enc(name, 1e-30), 0x00, "{name}");
    }
    assert_eq!(enc("e4m3fnuz", 247.99), 0x7F);
}

#[test]
fn e8m0_ties_round_up_and_clamps() {
    let p = |k: i32| 2f64.powi(k);
    assert_eq!(enc("e8m0fnu", 1.5), 0x80);
    assert_eq!(enc("e8m0fnu", 3.0), 0x81);
    assert_eq!(enc("e8m0fnu", 0.75), 0x7F);
    assert_eq!(enc("e8m0fnu", 1.4999999), 0x7F);
    assert_eq!(enc("e8m0fnu", 0.1), 0x7C);
    assert_eq!(enc("e8m0fnu", 1.0), 0x7F);
    assert_eq!(enc("e8m0fnu", p(-127)), 0x00);
    assert_eq!(enc("e8m0fnu", p(-140)), 0x00);
    assert_eq!(enc("e8m0fnu", 1.25 * p(-127)), 0x00);
    assert_eq!(enc("e8m0fnu", 1.5 * p(-127)), 0x01);
    assert_eq!(enc("e8m0fnu", p(127)), 0xFE);
    assert_eq!(enc("e8m0fnu", 1.4 * p(127)), 0xFE);
    assert_eq!(enc("e8m0fnu", 1.5 * p(127)), 0xFF);
    for x in [
        0.0,
        -0.0,
        -1.0,
        -1e-30,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ] {
        assert_eq!(enc("e8m0fnu", x), 0xFF, "{x}");
    }
    assert_eq!(enc_sat("e8m0fnu", 1.5 * p(127)), 0xFE);
    assert_eq!(enc_sat("e8m0fnu", 0.0), 0x00);
    assert_eq!(enc_sat("e8m0fnu", -3.0), 0x00);
    // The fast kernel agrees, including f32 subnormal inputs.
    let Format::Float(spec) = fmt("e8m0fnu") else {
        unreachable!()
    };
    for x in [
        1.5f32,
        3.0,
        0.75,
        0.1,
        1e-40,
        1.2e-38,
        0.0,
        -2.0,
        f32::MAX,
        f32::INFINITY,
    ] {
        assert_eq!(
            u64::from(spec.encode_f32(x)),
            enc("e8m0fnu", f64::from(x)),
            "{x}"
        );
    }
}

#[test]
fn tf32_rne_versus_ties_away() {
    let x = 1.0 + 2f64.powi(-11);
    assert_eq!(enc_mode("tf32", x, Rounding::NearestEven), 0x1FC00);
    assert_eq!(enc_mode("tf32", x, Rounding::NearestAway), 0x1FC01);
    // pattern = f32 bits >> 13 after rounding
    let f = (1.0f32 + 3.0 * 2f32.powi(-11)).to_bits();
    assert_eq!(
        enc("tf32", f64::from(f32::from_bits(f))),
        u64::from(f >> 13) + 1
    );
}

#[test]
fn five_rounding_modes_on_ties_and_edges() {
    let t = 1.0 + 2f64.powi(-11); // f16 tie between 0x3C00 and 0x3C01
    let want = [
        (Rounding::NearestEven, 0x3C00, 0xBC00),
        (Rounding::NearestAway, 0x3C01, 0xBC01),
        (Rounding::TowardZero, 0x3C00, 0xBC00),
        (Rounding::Up, 0x3C01, 0xBC00),
        (Rounding::Down, 0x3C00, 0xBC01),
    ];
    for (mode, pos, neg) in want {
        assert_eq!(enc_mode("f16", t, mode), pos, "{} +", mode.id());
        assert_eq!(enc_mode("f16", -t, mode), neg, "{} -", mode.id());
    }
    // A tie on an odd mantissa: NE goes up.
    let t2 = 1.0 + 3.0 * 2f64.powi(-11);
    assert_eq!(enc_mode("f16", t2, Rounding::NearestEven), 0x3C02);
    // Non-ties: directed modes.
    let x = 1.0 + 2f64.powi(-12);
    assert_eq!(enc_mode("f16", x, Rounding::Up), 0x3C01);
    assert_eq!(enc_mode("f16", x, Rounding::NearestAway), 0x3C00);
    // Overflow under directed rounding: toward zero stays at max, away goes to the rule.
    assert_eq!(enc_mode("f16", 1e6, Rounding::TowardZero), 0x7BFF);
    assert_eq!(enc_mode("f16", 1e6, Rounding::Down), 0x7BFF);
    assert_eq!(enc_mode("f16", 1e6, Rounding::Up), 0x7C00);
    assert_eq!(enc_mode("f16", -1e6, Rounding::Up), 0xFBFF);
    assert_eq!(enc_mode("f16", -1e6, Rounding::Down), 0xFC00);
    assert_eq!(enc_mode("e4m3fn", 470.0, Rounding::TowardZero), 0x7E);
    // Underflow: the smallest subnormal in the direction of rounding.
    assert_eq!(enc_mode("f16", 1e-30, Rounding::Up), 0x0001);
    assert_eq!(enc_mode("f16", -1e-30, Rounding::Down), 0x8001);
    assert_eq!(enc_mode("f16", -1e-30, Rounding::Up), 0x8000);
    // Ties in e2m1: 2.5 → 2, 3.5 → 4, 5 → 4 (RNE); ties away: 2.5 → 3, 5 → 6.
    assert_eq!(enc("e2m1fn", 2.5), 0x4);
    assert_eq!(enc("e2m1fn", -3.5), 0xE);
    assert_eq!(enc("e2m1fn", 5.0), 0x6);
    assert_eq!(enc_mode("e2m1fn", 2.5, Rounding::NearestAway), 0x5);
    assert_eq!(enc_mode("e2m1fn", 5.0, Rounding::NearestAway), 0x7);
}

#[test]
fn saturate_mode_table() {
    assert_eq!(enc_sat("e4m3fn", 1000.0), 0x7E);
    assert_eq!(enc_sat("e4m3fn", f64::INFINITY), 0x7E);
    assert_eq!(enc_sat("e4m3fn", f64::NEG_INFINITY), 0xFE);
    assert_eq!(enc_sat("e4m3fn", f64::NAN), 0x7F);
    assert_eq!(enc_sat("e5m2", f64::INFINITY), 0x7B);
    assert_eq!(enc_sat("e5m2", -1e9), 0xFB);
    assert_eq!(enc_sat("e4m3fnuz", f64::INFINITY), 0x80);
    assert_eq!(enc_sat("e4m3fnuz", 1000.0), 0x7F);
    assert_eq!(enc_sat("e5m2fnuz", -1e9), 0xFF);
    assert_eq!(enc_sat("e4m3fnuz", -0.0), 0x00);
    assert_eq!(enc_sat("f16", f64::INFINITY), 0x7BFF);
    assert_eq!(enc_sat("f16", f64::NAN), 0x7E00);
    assert_eq!(enc_sat("bf16", -1e300), 0xFF7F);
}

#[test]
fn decimal_text_is_rounded_once() {
    // Just above an f16 tie: the exact decimal rounds up, its f64 (exactly the tie) does not.
    let text = "1.00048828125000000000001";
    let f16 = fmt("f16");
    assert_eq!(
        f16.encode_str(text, Rounding::NearestEven, Overflow::Default)
            .unwrap()
            .bits,
        0x3C01
    );
    assert_eq!(
        f16.encode_f64(
            text.parse().unwrap(),
            Rounding::NearestEven,
            Overflow::Default
        )
        .bits,
        0x3C00
    );
    // From an f64 just above an f16 tie (1122.5000011 ulps): half::f16::from_f64 gives 0x2862
    // (it rounds through f32 first); one rounding gives 0x2863.
    assert_eq!(
        f16.encode_f64(
            3.425598147956849e-2,
            Rounding::NearestEven,
            Overflow::Default
        )
        .bits,
        0x2863
    );
    // 0.1 to every width.
    assert_eq!(
        fmt("f32")
            .encode_str("0.1", Rounding::NearestEven, Overflow::Default)
            .unwrap()
            .bits,
        0x3DCC_CCCD
    );
    assert_eq!(
        fmt("f64")
            .encode_str("0.1", Rounding::NearestEven, Overflow::Default)
            .unwrap()
            .bits,
        0x3FB9_9999_9999_999A
    );
    assert_eq!(
        fmt("bf16")
            .encode_str("0.1", Rounding::NearestEven, Overflow::Default)
            .unwrap()
            .bits,
        0x3DCD
    );
    // Accepted spellings.
    for (t, want) in [
        ("-0", 0x8000),
        ("+3.5", 0x4300),
        ("1e-3", 0x1419),
        ("inf", 0x7C00),
        ("-inf", 0xFC00),
        ("nan", 0x7E00),
        ("0x3c00", 0x3C00),
        ("0b0011110000000000", 0x3C00),
        (" 65520 ", 0x7C00),
        (".5", 0x3800),
    ] {
        assert_eq!(
            f16.encode_str(t, Rounding::NearestEven, Overflow::Default)
                .unwrap()
                .bits,
            want,
            "{t}"
        );
    }
    for bad in [
        "",
        "abc",
        "1.2.3",
        "0x",
        "0x10000",
        "0b11111111111111111",
        "1e",
        "--1",
        "0xzz",
    ] {
        assert!(
            f16.encode_str(bad, Rounding::NearestEven, Overflow::Default)
                .is_err(),
            "{bad}"
        );
    }
    // Errors are exact: |0.0999755859375 − 0.1| = 0.0000244140625.
    let e = f16
        .encode_str("0.1", Rounding::NearestEven, Overflow::Default)
        .unwrap();
    assert_eq!(e.error_abs, 0.0000244140625);
    assert!((e.error_rel - 0.000244140625).abs() < 1e-18);
    let e = fmt("f64")
        .encode_str("0.1", Rounding::NearestEven, Overflow::Default)
        .unwrap();
    assert!(
        (e.error_abs - 5.551115123125783e-18).abs() < 1e-30,
        "{}",
        e.error_abs
    );
    // Extremes do not panic.
    for t in [
        "1e999999999",
        "-1e-999999999",
        "123456789012345678901234567890e-40",
    ] {
        assert!(
            f16.encode_str(t, Rounding::NearestEven, Overflow::Default)
                .is_ok(),
            "{t}"
        );
    }
}

#[test]
fn int_cast_versus_quantize() {
    let i4 = IntSpec {
        width: 4,
        encoding: IntEncoding::TwosComplement,
    };
    // cast: truncate toward zero, wrap (ml_dtypes astype).
    for (x, want) in [
        (8.0, 0x8),
        (16.0, 0x0),
        (-8.6, 0x8),
        (2.5, 0x2),
        (7.9, 0x7),
        (-1.0, 0xF),
    ] {
        assert_eq!(i4.cast_f64(x).unwrap(), want, "cast {x}");
    }
    assert!(i4.cast_f64(f64::NAN).is_err());
    assert!(i4.cast_f64(f64::INFINITY).is_err());
    // The format's own rule in `encode` is the same cast (the ml_dtypes encode vectors).
    let c = |x: f64| fmt("i4").encode_f64(x, Rounding::NearestEven, Overflow::Default);
    assert_eq!((c(8.0).bits, c(8.0).overflow), (0x8, true));
    assert_eq!((c(16.0).bits, c(16.0).overflow), (0x0, true));
    assert_eq!((c(-8.6).bits, c(-8.6).overflow), (0x8, false));
    assert_eq!((c(7.9).bits, c(7.9).overflow), (0x7, false));
    assert_eq!((c(-1.0).bits, c(-1.0).overflow), (0xF, false));
    assert_eq!((c(-9.0).bits, c(-9.0).overflow), (0x7, true));
    assert_eq!(
        fmt("u8")
            .encode_f64(-1.0, Rounding::NearestEven, Overflow::Default)
            .bits,
        0xFF
    );
    // quantize (saturate): RNE, saturate, flag.
    let q = |x: f64| fmt("i4").encode_f64(x, Rounding::NearestEven, Overflow::Saturate);
    assert_eq!((q(8.0).bits, q(8.0).overflow), (0x7, true));
    assert_eq!((q(16.0).bits, q(16.0).overflow), (0x7, true));
    assert_eq!((q(-8.6).bits, q(-8.6).overflow), (0x8, true));
    assert_eq!((q(2.5).bits, q(2.5).overflow), (0x2, false));
    assert_eq!((q(3.5).bits, q(3.5).overflow), (0x4, false));
    assert_eq!((q(7.9).bits, q(7.9).overflow), (0x7, true));
    assert_eq!((q(-8.5).bits, q(-8.5).overflow), (0x8, false));
    assert!(q(f64::NAN).invalid);
    assert!(
        fmt("i4")
            .encode_str("nan", Rounding::NearestEven, Overflow::Default)
            .is_err()
    );
    // −0 keeps its pattern where one exists.
    assert_eq!(enc("sm8", -0.0), 0x80);
    assert_eq!(enc("oc8", -0.0), 0xFF);
    assert_eq!(enc("i8", -0.0), 0x00);
    assert_eq!(enc("u8", -0.4), 0x00);
    let e = fmt("u8").encode_f64(-0.6, Rounding::NearestEven, Overflow::Saturate);
    assert_eq!((e.bits, e.overflow), (0, true));
    // The f64 literal is 2^64: the cast wraps it to 0, quantizing saturates it.
    assert_eq!(enc("u64", 18446744073709551615.0), 0);
    let sat = fmt("u64").encode_f64(
        18446744073709551615.0,
        Rounding::NearestEven,
        Overflow::Saturate,
    );
    assert_eq!((sat.bits, sat.overflow), (u64::MAX, true));
    let big = fmt("u64")
        .encode_str(
            "18446744073709551615",
            Rounding::NearestEven,
            Overflow::Default,
        )
        .unwrap();
    assert_eq!(
        (big.bits, big.overflow, big.inexact),
        (u64::MAX, false, false)
    );
}

#[test]
fn fixed_point_rounds_and_saturates() {
    assert_eq!(enc("fx8.4", 0.03125), 0x00); // half an LSB → even 0
    assert_eq!(enc("fx8.4", 0.09375), 0x02); // 1.5 LSB → 2
    assert_eq!(enc("fx8.4", -0.75), 0xF4);
    assert_eq!(enc("fx8.4", 8.0), 0x7F);
    assert_eq!(enc("fx8.4", -8.03), 0x80);
    assert_eq!(enc("fx8.4", -9.0), 0x80);
    assert_eq!(enc("ufx8.4", -1.0), 0x00);
    assert_eq!(enc("fx16.15", 0.5), 0x4000);
    assert_eq!(enc("fx16.15", 1.0), 0x7FFF);
    assert_eq!(enc("fx8.6", 1.984375), 0x7F);
    assert_eq!(enc_mode("fx8.4", 0.07, Rounding::Up), 0x02);
    assert_eq!(enc_mode("fx8.4", -0.07, Rounding::TowardZero), 0xFF);
}

#[test]
fn codebooks_take_the_lower_code_on_ties() {
    assert_eq!(enc("nf4", f64::from(f32::from_bits(0x3D22_FAFF))), 7); // the threshold itself
    assert_eq!(enc("nf4", 0.0398), 8);
    assert_eq!(enc("nf4", 0.5), 12);
    assert_eq!(enc("nf4", -1.0), 0);
    assert_eq!(enc("nf4", 2.0), 15);
    assert_eq!(enc("fp4-bnb", 1.0), 0b0011);
    assert_eq!(enc("fp4-bnb", -0.0), 0b1000);
    assert_eq!(enc("fp4-bnb", 0.0), 0b0000);
    assert_eq!(enc("fp4-bnb", -0.001), 0b1000);
    assert_eq!(enc("fp4-bnb", 0.2), 0b0110);
    assert_eq!(enc_mode("nf4", 0.5, Rounding::Up), 13);
    assert_eq!(enc_mode("nf4", 0.5, Rounding::Down), 12);
    assert_eq!(enc_mode("nf4", -0.5, Rounding::TowardZero), 3);
    assert_eq!(enc_mode("fp4-bnb", -0.2, Rounding::Down), 0b1111);
}
