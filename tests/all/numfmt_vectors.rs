//! Every vector of tests/data/format_vectors.json (a copy of shared/reference): decode values
//! as exact text, encode bits, MX and NVFP4 blocks.

use bitlens::numfmt::{Format, Overflow, Rounding, mx, nvfp4};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/format_vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("read format_vectors.json");
    serde_json::from_str(&text).expect("parse format_vectors.json")
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().expect("hex string");
    u64::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16).expect("hex")
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing {key} in {v}"))
        .to_string()
}

#[test]
fn decode_vectors_give_exact_text() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v["kind"] == "decode") {
        let name = s(v, "format");
        let fmt = Format::parse(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            u64::from(fmt.width()),
            v["width"].as_u64().unwrap(),
            "{name} width"
        );
        let bits = hex(&v["bits_hex"]);
        assert_eq!(fmt.exact_decimal(bits), s(v, "value"), "{name} {bits:#x}");
        if let Some(f) = v["value_f64"].as_str() {
            let want: f64 = f.parse().unwrap();
            let got = fmt.decode(bits).value;
            assert!(
                got == want || (got.is_nan() && want.is_nan()),
                "{name} {bits:#x}: {got} vs {want}"
            );
            assert_eq!(
                got.is_sign_negative(),
                want.is_sign_negative(),
                "{name} {bits:#x} sign"
            );
        }
        n += 1;
    }
    assert!(n >= 100, "only {n} decode vectors");
}

#[test]
fn encode_vectors_give_the_same_bits() {
    let mut n = 0;
    for v in vectors()
        .iter()
        .filter(|v| s(v, "kind").starts_with("encode_from"))
    {
        let name = s(v, "format");
        let fmt = Format::parse(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = hex(&v["bits_hex"]);
        let got = match s(v, "kind").as_str() {
            "encode_from_f32" => {
                let x = f32::from_bits(hex(&v["input_f32_hex"]) as u32);
                match &fmt {
                    // Integer vectors use the ml_dtypes cast (truncate, wrap), formats.md §1.
                    Format::Int(spec) => spec.cast_f64(f64::from(x)).unwrap(),
                    Format::Float(spec) => {
                        let fast = u64::from(spec.encode_f32(x));
                        let exact = fmt
                            .encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Default)
                            .bits;
                        assert_eq!(fast, exact, "{name}: fast kernel vs exact");
                        exact
                    }
                    _ => {
                        fmt.encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Default)
                            .bits
                    }
                }
            }
            "encode_from_f64" => {
                let x = f64::from_bits(hex(&v["input_f64_hex"]));
                fmt.encode_f64(x, Rounding::NearestEven, Overflow::Default)
                    .bits
            }
            "encode_from_decimal" => {
                fmt.encode_str(&s(v, "input"), Rounding::NearestEven, Overflow::Default)
                    .unwrap()
                    .bits
            }
            k => panic!("unknown kind {k}"),
        };
        assert_eq!(got, want, "{name} {}: got {got:#x}", v["label"]);
        assert_eq!(fmt.exact_decimal(got), s(v, "value"), "{name} value text");
        n += 1;
    }
    assert!(n >= 30, "only {n} encode vectors");
}

fn mx_kind(name: &str) -> mx::MxKind {
    match name {
        "MXFP4" => mx::MxKind::Fp4E2m1,
        "MXFP8_E4M3" => mx::MxKind::Fp8E4m3,
        "MXFP8_E5M2" => mx::MxKind::Fp8E5m2,
        "MXFP6_E2M3" => mx::MxKind::Fp6E2m3,
        "MXFP6_E3M2" => mx::MxKind::Fp6E3m2,
        "MXINT8" => mx::MxKind::Int8,
        _ => panic!("unknown MX format {name}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn mx_block_vectors() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v["kind"] == "mx_block_encode") {
        let kind = mx_kind(&s(v, "format"));
        let input: Vec<f32> = strings(&v["input"])
            .iter()
            .map(|x| x.parse().unwrap())
            .collect();
        let b = mx::encode_block(kind, &input);
        let label = &v["label"];
        assert_eq!(
            u64::from(b.scale_bits),
            hex(&v["scale_e8m0_hex"]),
            "{label}"
        );
        assert_eq!(
            i64::from(b.shared_exp),
            v["shared_exp"].as_i64().unwrap(),
            "{label}"
        );
        assert_eq!(
            b.scale_value,
            s(v, "scale_value").parse::<f64>().unwrap(),
            "{label}"
        );
        let codes: Vec<u64> = b.codes.iter().map(|&c| u64::from(c)).collect();
        let want: Vec<u64> = v["element_codes_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(hex)
            .collect();
        assert_eq!(codes, want, "{label}");
        for (got, want) in b.decoded.iter().zip(strings(&v["dequantized"])) {
            let w: f64 = want.parse().unwrap();
            assert_eq!(f64::from(*got), w, "{label}");
            assert_eq!(
                got.is_sign_negative(),
                w.is_sign_negative(),
                "{label} sign of {want}"
            );
        }
        assert_eq!(b.bits_per_element, f64::from(kind.element_bits()) + 0.25);
        n += 1;
    }
    assert!(n >= 6);
}

#[test]
fn nvfp4_block_vectors() {
    let mut n = 0;
    for v in vectors()
        .iter()
        .filter(|v| v["kind"] == "nvfp4_block_encode")
    {
        let input: Vec<f32> = strings(&v["input"])
            .iter()
            .map(|x| x.parse().unwrap())
            .collect();
        let amax: f32 = s(v, "tensor_amax").parse().unwrap();
        let b = nvfp4::encode_block(&input, amax);
        let label = &v["label"];
        assert_eq!(
            u64::from(b.global_scale.to_bits()),
            hex(&v["global_scale_f32_hex"]),
            "{label}"
        );
        assert_eq!(
            u64::from(b.block_scale_bits),
            hex(&v["block_scale_e4m3_hex"]),
            "{label}"
        );
        assert_eq!(
            b.block_scale,
            s(v, "block_scale_value").parse::<f32>().unwrap(),
            "{label}"
        );
        let want: Vec<u64> = v["element_codes_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(hex)
            .collect();
        let codes: Vec<u64> = b.codes.iter().map(|&c| u64::from(c)).collect();
        assert_eq!(codes, want, "{label}");
        for (got, want) in b.decoded.iter().zip(strings(&v["dequantized_f32"])) {
            assert_eq!(*got, want.parse::<f32>().unwrap(), "{label}");
        }
        n += 1;
    }
    assert_eq!(n, 2);
}
