//! Exhaustive decode checks: every pattern of every format of 16 bits or fewer, f16 / bf16
//! against the `half` crate, the formats.md §3 table columns, and the pitfalls of §8.

use bitlens::numfmt::{FloatSpec, Format, SpecialRule, ValueClass};

fn fmt(name: &str) -> Format {
    Format::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
}

#[test]
fn f16_and_bf16_match_half_for_all_patterns() {
    let f16 = fmt("f16");
    let bf16 = fmt("bf16");
    let f16_fast = match &f16 {
        Format::Float(s) => s.fast(),
        _ => unreachable!(),
    };
    for b in 0..=u16::MAX {
        let h = half::f16::from_bits(b).to_f64();
        let d = f16.decode(u64::from(b));
        assert!(same(d.value, h), "f16 {b:#06x}: {} vs {h}", d.value);
        assert_eq!(
            d.class == ValueClass::Nan,
            h.is_nan(),
            "f16 {b:#06x} NaN-ness"
        );
        assert!(
            same(f64::from(f16_fast.decode_f32(u32::from(b))), h),
            "fast f16 {b:#06x}"
        );
        let g = half::bf16::from_bits(b).to_f64();
        let e = bf16.decode(u64::from(b));
        assert!(same(e.value, g), "bf16 {b:#06x}: {} vs {g}", e.value);
        assert_eq!(
            e.class == ValueClass::Nan,
            g.is_nan(),
            "bf16 {b:#06x} NaN-ness"
        );
    }
}

/// An independent decoder written straight from formats.md §3.1.
fn reference_float(spec: &FloatSpec, b: u64) -> f64 {
    let m = spec.man_bits;
    let e_bits = spec.exp_bits;
    let sign = spec.sign && (b >> (e_bits + m)) & 1 == 1;
    let e = (b >> m) & ((1 << e_bits) - 1);
    let man = b & ((1 << m) - 1);
    let e_max = (1u64 << e_bits) - 1;
    let s = if sign { -1.0 } else { 1.0 };
    match spec.special {
        SpecialRule::Ieee if e == e_max => {
            return if man == 0 {
                s * f64::INFINITY
            } else {
                f64::NAN
            };
        }
        SpecialRule::FiniteNanAllOnes if e == e_max && man == (1 << m) - 1 => return f64::NAN,
        SpecialRule::Fnuz if sign && e == 0 && man == 0 => return f64::NAN,
        SpecialRule::E8m0 if e == e_max => return f64::NAN,
        SpecialRule::E8m0 => return 2f64.powi(e as i32 - spec.bias),
        _ => {}
    }
    let frac = man as f64 / 2f64.powi(m as i32);
    let v = if e == 0 {
        2f64.powi(1 - spec.bias) * frac
    } else {
        2f64.powi(e as i32 - spec.bias) * (1.0 + frac)
    };
    s * v
}

#[test]
fn every_small_pattern_of_every_format_decodes_per_spec() {
    let mut formats: Vec<Format> = Format::catalog()
        .into_iter()
        .filter(|f| f.width() <= 16)
        .collect();
    for extra in [
        "e5m2b10", "e3m3fin", "e4m2fn", "e5m0fnu", "e3m2fnuz", "ue4m3", "sm5", "oc6", "u1", "i1",
        "i16", "u16", "ufx6.2", "fx12.14",
    ] {
        formats.push(fmt(extra));
    }
    let mut checked = 0u64;
    for f in &formats {
        for b in 0..=f.mask() {
            let d = f.decode(b);
            let want = match f {
                Format::Float(s) => reference_float(s, b),
                Format::Int(s) => {
                    let n = s.width;
                    let msb = b >> (n - 1) & 1 == 1;
                    let low = (b & ((1 << (n - 1)) - 1)) as f64;
                    use bitlens::numfmt::IntEncoding::*;
                    match (s.encoding, msb) {
                        (Unsigned, _) => b as f64,
                        (TwosComplement, true) => b as f64 - 2f64.powi(n as i32),
                        (SignMagnitude, true) => -low,
                        (OnesComplement, true) => -(2f64.powi(n as i32) - 1.0 - b as f64),
                        (_, false) => b as f64,
                    }
                }
                Format::Fixed(s) => {
                    let t = s.total_bits;
                    let raw = if s.signed && b >> (t - 1) & 1 == 1 {
                        b as f64 - 2f64.powi(t as i32)
                    } else {
                        b as f64
                    };
                    raw / 2f64.powi(s.frac_bits as i32)
                }
                Format::Codebook(c) => f64::from(c.value(b)),
            };
            assert!(
                same(d.value, want),
                "{} {b:#x}: {} vs {want}",
                f.id(),
                d.value
            );
            let class_ok = match d.class {
                ValueClass::Nan => want.is_nan(),
                ValueClass::Infinity => want.is_infinite(),
                ValueClass::Zero => want == 0.0,
                ValueClass::Subnormal | ValueClass::Normal => want.is_finite() && want != 0.0,
            };
            assert!(class_ok, "{} {b:#x} class {:?}", f.id(), d.class);
            checked += 1;
        }
    }
    assert!(checked > 200_000);
}

#[test]
fn tf32_and_f32_patterns() {
    let tf32 = fmt("tf32");
    for b in (0..(1u64 << 19)).step_by(7) {
        let want = f64::from(f32::from_bits((b as u32) << 13));
        assert!(same(tf32.decode(b).value, want), "tf32 {b:#x}");
    }
    let f32f = fmt("f32");
    let f64f = fmt("f64");
    for i in 0..200_000u64 {
        let b = i.wrapping_mul(0x9E37_79B9) & 0xFFFF_FFFF;
        assert!(
            same(f32f.decode(b).value, f64::from(f32::from_bits(b as u32))),
            "f32 {b:#x}"
        );
        let c = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        assert!(same(f64f.decode(c).value, f64::from_bits(c)), "f64 {c:#x}");
    }
}

#[test]
fn range_table_matches_formats_md() {
    let p = |k: i32| 2f64.powi(k);
    // id, max, min normal, min subnormal, eps
    let table: &[(&str, f64, f64, Option<f64>, f64)] = &[
        ("f64", f64::MAX, p(-1022), Some(f64::from_bits(1)), p(-52)),
        ("f32", f64::from(f32::MAX), p(-126), Some(p(-149)), p(-23)),
        ("f16", 65504.0, p(-14), Some(p(-24)), p(-10)),
        ("bf16", 3.3895313892515355e38, p(-126), Some(p(-133)), p(-7)),
        (
            "tf32",
            3.4011621342146535e38,
            p(-126),
            Some(p(-136)),
            p(-10),
        ),
        ("e4m3fn", 448.0, p(-6), Some(p(-9)), 0.125),
        ("e5m2", 57344.0, p(-14), Some(p(-16)), 0.25),
        ("e4m3fnuz", 240.0, p(-7), Some(p(-10)), 0.125),
        ("e5m2fnuz", 57344.0, p(-15), Some(p(-17)), 0.25),
        ("e4m3", 240.0, p(-6), Some(p(-9)), 0.125),
        ("e3m4", 15.5, 0.25, Some(p(-6)), 0.0625),
        ("e4m3b11fnuz", 30.0, p(-10), Some(p(-13)), 0.125),
        ("e2m3fn", 7.5, 1.0, Some(0.125), 0.125),
        ("e3m2fn", 28.0, 0.25, Some(0.0625), 0.25),
        ("e2m1fn", 6.0, 1.0, Some(0.5), 0.5),
        ("e8m0fnu", p(127), p(-127), None, 1.0),
    ];
    for &(id, max, min_normal, min_sub, eps) in table {
        let r = fmt(id).range();
        assert_eq!(r.max, max, "{id} max");
        assert_eq!(r.min_normal, Some(min_normal), "{id} min normal");
        assert_eq!(r.min_subnormal, min_sub, "{id} min subnormal");
        assert_eq!(r.epsilon, Some(eps), "{id} eps");
    }
    assert_eq!(fmt("i4").range().min, -8.0);
    assert_eq!(fmt("u4").range().max, 15.0);
    assert_eq!(fmt("i2").range().max, 1.0);
    assert_eq!(fmt("u2").range().max, 3.0);
    assert_eq!(fmt("fx16.15").range().max, 0.999969482421875);
    assert_eq!(fmt("ufx8.4").range().max, 15.9375);
}

#[test]
fn pitfalls_of_other_tools() {
    // 1, 4: E4M3 is not IEEE; the top binade 256…448 exists.
    let e4m3fn = fmt("e4m3fn");
    assert_eq!(e4m3fn.decode(0x78).value, 256.0);
    assert_eq!(e4m3fn.decode(0x79).value, 288.0);
    assert_eq!(e4m3fn.decode(0x7E).value, 448.0);
    assert!(e4m3fn.decode(0xFF).value.is_nan());
    // 2: FP4/FP6 have no Inf/NaN; E8M0 0x00 is 2^-127, not zero, and has no sign.
    for b in 0..16 {
        assert!(fmt("e2m1fn").decode(b).value.is_finite());
    }
    for b in 0..64 {
        assert!(fmt("e3m2fn").decode(b).value.is_finite());
    }
    let e8m0 = fmt("e8m0fnu");
    assert_eq!(e8m0.decode(0x00).value, 2f64.powi(-127));
    assert_eq!(e8m0.decode(0x80).value, 2.0);
    assert!(e8m0.decode(0xFF).value.is_nan());
    // 6: fnuz bias: the same bits mean half the value; 0x80 is NaN, not −0.
    assert_eq!(e4m3fn.decode(0x38).value, 1.0);
    assert_eq!(fmt("e4m3fnuz").decode(0x38).value, 0.5);
    assert_eq!(fmt("e4m3fnuz").decode(0x40).value, 1.0);
    assert!(fmt("e4m3fnuz").decode(0x80).value.is_nan());
    // 8: bnb fp4 is not E2M1.
    assert_ne!(
        fmt("fp4-bnb").decode(0x3).value,
        fmt("e2m1fn").decode(0x3).value
    );
    // 9: subnormals use 1 − bias and show the missing hidden bit.
    assert!(fmt("f32").formula(1).contains("2^(1−127) × 0.0000"));
    assert_eq!(fmt("f16").decode(0x0001).class, ValueClass::Subnormal);
    // 10: zero is Zero, not Subnormal.
    assert_eq!(e4m3fn.decode(0x00).class, ValueClass::Zero);
}

#[test]
fn integer_eight_bit_checks_and_fields() {
    let v = |n: &str, b| fmt(n).exact_decimal(b);
    assert_eq!(
        [v("u8", 0x80), v("i8", 0x80), v("sm8", 0x80), v("oc8", 0x80)],
        ["128", "-128", "-0", "-127"]
    );
    assert_eq!(
        [v("u8", 0xFF), v("i8", 0xFF), v("sm8", 0xFF), v("oc8", 0xFF)],
        ["255", "-1", "-127", "-0"]
    );
    assert_eq!(v("u64", u64::MAX), "18446744073709551615");
    assert_eq!(v("i64", 1 << 63), "-9223372036854775808");
    let fields = fmt("fx8.4").fields();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields.iter().map(|f| f.len).sum::<u32>(), 8);
    for f in Format::catalog() {
        let total: u32 = f.fields().iter().map(|x| x.len).sum();
        assert_eq!(total, f.width(), "{} fields cover the width", f.id());
    }
}
