//! `bitlens formats / decode / encode`: the real binary, its JSON contract and exit codes.

use crate::cli_support::{bitlens, json_ok, stdout_ok, usage_error};

#[test]
fn decode_json_fields() {
    let v = json_ok(&bitlens(["decode", "--format", "f16", "0x3c00", "--json"]));
    assert_eq!(v["format"], "f16");
    assert_eq!(v["bits_hex"], "0x3c00");
    assert_eq!(v["bits_bin"], "0b0011110000000000");
    assert_eq!(v["value"], "1");
    assert_eq!(v["class"], "normal");
    let v = json_ok(&bitlens([
        "decode", "--format", "tf32", "0x1FC00", "--json",
    ]));
    assert_eq!(v["bits_hex"], "0x1fc00");
    let v = json_ok(&bitlens([
        "decode",
        "--format",
        "float8_e4m3fn",
        "0x7f",
        "--json",
    ]));
    assert_eq!(
        (
            v["format"].as_str(),
            v["value"].as_str(),
            v["class"].as_str()
        ),
        (Some("e4m3fn"), Some("nan"), Some("nan"))
    );
    let v = json_ok(&bitlens(["decode", "--format", "e2m1fn", "0x8", "--json"]));
    assert_eq!(
        (
            v["bits_hex"].as_str(),
            v["value"].as_str(),
            v["class"].as_str()
        ),
        (Some("0x8"), Some("-0"), Some("zero"))
    );
    let v = json_ok(&bitlens(["decode", "--format", "f16", "0xfc00", "--json"]));
    assert_eq!(
        (v["value"].as_str(), v["class"].as_str()),
        (Some("-inf"), Some("infinity"))
    );
    let v = json_ok(&bitlens(["decode", "--format", "f16", "0x0001", "--json"]));
    assert_eq!(
        (v["value"].as_str(), v["class"].as_str()),
        (Some("0.000000059604644775390625"), Some("subnormal"))
    );
    let v = json_ok(&bitlens([
        "decode", "--format", "e8m0fnu", "0x00", "--json",
    ]));
    assert!(
        v["value"]
            .as_str()
            .unwrap()
            .starts_with("0.0000000000000000000000000000000000000058774717541114375")
    );
    let v = json_ok(&bitlens([
        "decode",
        "--format",
        "i8",
        "0b10000011",
        "--json",
    ]));
    assert_eq!(v["value"], "-125");
    let v = json_ok(&bitlens(["decode", "--format", "fx8.4", "0xf4", "--json"]));
    assert_eq!(v["value"], "-0.75");
}

#[test]
fn encode_json_fields() {
    let v = json_ok(&bitlens(["encode", "--format", "f16", "-1.5", "--json"]));
    assert_eq!(
        (
            v["bits_hex"].as_str(),
            v["value"].as_str(),
            v["input"].as_str()
        ),
        (Some("0xbe00"), Some("-1.5"), Some("-1.5"))
    );
    assert_eq!(v["error_abs"], 0.0);
    assert_eq!(v["error_rel"], 0.0);
    let v = json_ok(&bitlens(["encode", "--format", "e4m3fn", "464", "--json"]));
    assert_eq!(
        (v["bits_hex"].as_str(), v["value"].as_str()),
        (Some("0x7e"), Some("448"))
    );
    assert_eq!(v["error_abs"], 16.0);
    let v = json_ok(&bitlens(["encode", "--format", "e4m3fn", "465", "--json"]));
    assert_eq!(
        (
            v["bits_hex"].as_str(),
            v["value"].as_str(),
            v["class"].as_str()
        ),
        (Some("0x7f"), Some("nan"), Some("nan"))
    );
    let v = json_ok(&bitlens([
        "encode",
        "--format",
        "e4m3fn",
        "1000",
        "--overflow",
        "saturate",
        "--json",
    ]));
    assert_eq!(v["bits_hex"], "0x7e");
    let v = json_ok(&bitlens(["encode", "--format", "f16", "65520", "--json"]));
    assert_eq!(
        (
            v["bits_hex"].as_str(),
            v["value"].as_str(),
            v["class"].as_str()
        ),
        (Some("0x7c00"), Some("inf"), Some("infinity"))
    );
    let v = json_ok(&bitlens(["encode", "--format", "f16", "0.1", "--json"]));
    assert_eq!(v["bits_hex"], "0x2e66");
    assert_eq!(v["value"], "0.0999755859375");
    assert_eq!(v["error_abs"], 0.0000244140625);
    let v = json_ok(&bitlens([
        "encode",
        "--format",
        "tf32",
        "1.00048828125",
        "--rounding",
        "nearest-away",
        "--json",
    ]));
    assert_eq!(v["bits_hex"], "0x1fc01");
    for (mode, want) in [
        ("nearest-even", "0x3c00"),
        ("nearest-away", "0x3c01"),
        ("toward-zero", "0x3c00"),
        ("up", "0x3c01"),
        ("down", "0x3c00"),
    ] {
        let v = json_ok(&bitlens([
            "encode",
            "--format",
            "f16",
            "1.00048828125",
            "--rounding",
            mode,
            "--json",
        ]));
        assert_eq!(v["bits_hex"], want, "{mode}");
    }
    let v = json_ok(&bitlens(["encode", "--format", "f16", "-inf", "--json"]));
    assert_eq!(v["bits_hex"], "0xfc00");
    let v = json_ok(&bitlens(["encode", "--format", "f16", "-0", "--json"]));
    assert_eq!(
        (v["bits_hex"].as_str(), v["value"].as_str()),
        (Some("0x8000"), Some("-0"))
    );
    let v = json_ok(&bitlens(["encode", "--format", "e2m1fn", "nan", "--json"]));
    assert_eq!(v["bits_hex"], "0x8");
    let v = json_ok(&bitlens(["encode", "--format", "f16", "0x3c00", "--json"]));
    assert_eq!(v["value"], "1");
    // Integers: the format's own rule is the ml_dtypes cast (truncate, wrap); saturate quantizes.
    let v = json_ok(&bitlens(["encode", "--format", "i4", "8", "--json"]));
    assert_eq!(
        (v["bits_hex"].as_str(), v["cast_bits_hex"].as_str()),
        (Some("0x8"), Some("0x8"))
    );
    let v = json_ok(&bitlens([
        "encode",
        "--format",
        "int4",
        "8",
        "--overflow",
        "saturate",
        "--json",
    ]));
    assert_eq!(v["bits_hex"], "0x7");
    let v = json_ok(&bitlens(["encode", "--json", "--format", "e8m0fnu", "1.5"]));
    assert_eq!(v["bits_hex"], "0x80");
}

#[test]
fn text_output_is_readable() {
    let text = stdout_ok(&bitlens(["decode", "--format", "f16", "0x4500"]));
    assert!(
        text.contains("(−1)^0 × 2^(17−15) × 1.0100000000₂ = 5"),
        "{text}"
    );
    assert!(text.contains("normal"));
    assert!(stdout_ok(&bitlens(["encode", "--format", "f16", "-1.5"])).contains("0xbe00"));
}

#[test]
fn formats_lists_every_format() {
    let v = json_ok(&bitlens(["formats", "--json"]));
    let list = v.as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|f| f["id"].as_str().unwrap()).collect();
    for id in [
        "f64",
        "f32",
        "f16",
        "bf16",
        "tf32",
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
        "e8m0fnu",
        "nf4",
        "fp4-bnb",
        "i8",
        "u8",
        "sm8",
        "oc8",
        "fx8.4",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let e4m3 = list.iter().find(|f| f["id"] == "e4m3fn").unwrap();
    assert_eq!(e4m3["range"]["max"], 448.0);
    assert_eq!(e4m3["width"], 8);
    assert!(stdout_ok(&bitlens(["formats"])).contains("float8 e4m3fn (OCP E4M3)"));
}

#[test]
fn user_mistakes_exit_2_with_one_line() {
    for args in [
        &["decode", "--format", "f17", "0x0"][..],
        &["decode", "--format", "f16", "0x10000"],
        &["decode", "--format", "e4m3fn", "0x1ff"],
        &["decode", "--format", "f16", "zz"],
        &["decode", "--format", "e2m1fn", "0b10000"],
        &["encode", "--format", "f16", "abc"],
        &["encode", "--format", "f16", "1.2.3"],
        &["encode", "--format", "f16", "0x1ffff"],
        &["encode", "--format", "f16", "1", "--rounding", "sideways"],
        &["encode", "--format", "f16", "1", "--overflow", "wrap"],
        &["encode", "--format", "i8", "nan"],
        &["encode", "--format", "e99m2", "1"],
    ] {
        let err = usage_error(&bitlens(args));
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}
