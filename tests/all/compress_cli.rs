//! The real binary: `bitlens quantize` and `bitlens bench` (exit codes, JSON shapes, --out).

use std::ffi::OsStr;

use crate::cli_support::{bitlens, json_ok, stdout_ok, usage_error};

#[test]
fn quantize_builtin_json() {
    let v = json_ok(&bitlens([
        "quantize",
        "--bits",
        "4",
        "--scheme",
        "asym",
        "--granularity",
        "group:64",
        "--json",
    ]));
    let tensors = v["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 6);
    let w = tensors.iter().find(|t| t["name"] == "fc1.weight").unwrap();
    let sqnr = w["metrics"]["sqnr_db"].as_f64().unwrap();
    assert!(sqnr > 15.0 && sqnr < 30.0, "{sqnr}");
    // 784 = 12·64 + 16: 13 groups per row, each with an f32 scale and a 4-bit zero point.
    assert_eq!(
        w["size"]["bits_per_weight"].as_f64().unwrap(),
        4.0 + 36.0 * 13.0 / 784.0
    );
    assert!(
        v["total"]["size"]["bytes"].as_u64().unwrap()
            < v["total"]["original_bytes"].as_u64().unwrap()
    );
}

#[test]
fn quantize_targets_and_prune_text() {
    for args in [
        &["--target", "q4_k"][..],
        &["--target", "nf4", "--double-quant"],
        &["--target", "mxfp4"],
        &["--target", "nvfp4"],
        &["--target", "e4m3fn", "--granularity", "tensor"],
        &["--target", "bf16"],
        &["--calib", "percentile:99.9", "--bits", "6"],
        &["--calib", "kl", "--tensor", "fc2.weight"],
        &[
            "--prune",
            "0.5",
            "--prune-method",
            "2:4",
            "--target",
            "none",
        ],
        &["--prune", "0.3", "--prune-method", "global"],
        &[
            "--prune",
            "0.25",
            "--prune-method",
            "rows-l1",
            "--bits",
            "8",
            "--rounding",
            "stochastic:3",
        ],
    ] {
        let s = stdout_ok(&bitlens(["quantize"].iter().chain(args)));
        assert!(s.contains("TOTAL"), "{args:?}");
    }
}

#[test]
fn bad_input_exits_2() {
    for args in [
        &["quantize", "--bits", "0"][..],
        &["quantize", "--bits", "17"],
        &["quantize", "--scheme", "weird"],
        &["quantize", "--granularity", "group:0"],
        &["quantize", "--calib", "percentile:abc"],
        &["quantize", "--target", "q9_9"],
        &["quantize", "--prune", "1.5"],
        &["quantize", "--prune", "0.5", "--prune-method", "5:4"],
        &["quantize", "--tensor", "nope"],
        &["quantize", "--granularity", "channel:7"],
        &["quantize", "/definitely/not/here.safetensors"],
        &["bench", "--log2", "40"],
    ] {
        usage_error(&bitlens(args));
    }
}

#[test]
fn out_writes_a_loadable_safetensors_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.safetensors");
    let args = ["quantize", "--target", "q8_0", "--out"].map(OsStr::new);
    stdout_ok(&bitlens(args.into_iter().chain([path.as_os_str()])));
    let m = bitlens::model::open(&path).unwrap();
    assert_eq!(m.tensors.len(), 6);
    let t = m.load_tensor("fc1.weight").unwrap();
    let orig = bitlens::model::Model::builtin()
        .load_tensor("fc1.weight")
        .unwrap();
    let sq = bitlens::compress::metrics::compare(&orig.data, &t.data).sqnr_db;
    assert!(sq > 35.0, "{sq}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn bench_json_small() {
    let v = json_ok(&bitlens(["bench", "--json", "--log2", "22", "--reps", "1"]));
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 8);
    assert_eq!(r[0]["id"], "memcpy");
    assert!(r.iter().all(|x| x["melem_per_s"].as_f64().unwrap() > 0.0));
    assert!(!v["simd"].as_str().unwrap().is_empty());
    // The kernels need less extra memory than one more copy of the tensor (the issue's bound;
    // the output buffer is the one copy). Measured on Linux only.
    let tensor = v["tensor_bytes"].as_u64().unwrap();
    assert_eq!(tensor, 4 << 22);
    if cfg!(target_os = "linux") {
        let extra = v["peak_extra_bytes"].as_u64().expect("measured on Linux");
        assert!(extra < tensor, "peak extra {extra} B ≥ one copy {tensor} B");
    }
}

#[test]
fn out_copies_integer_and_boolean_tensors_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.safetensors");
    let w: Vec<u8> = (0..12)
        .flat_map(|i| (i as f32 * 0.25 - 1.5).to_le_bytes())
        .collect();
    let ids: Vec<u8> = (0..5i64).flat_map(|i| (i * 7 - 3).to_le_bytes()).collect();
    let mask = [1u8, 0, 1];
    let header = r#"{"w":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]},"position_ids":{"dtype":"I64","shape":[1,5],"data_offsets":[48,88]},"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[88,91]}}"#;
    let mut data = w.clone();
    data.extend_from_slice(&ids);
    data.extend_from_slice(&mask);
    std::fs::write(&input, crate::model_support::raw_safetensors(header, &data)).unwrap();
    let out = dir.path().join("out.safetensors");
    quantize_int8_to(&input, &out);
    let m = bitlens::model::open(&out).unwrap();
    let names: Vec<&str> = m.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(m.tensors.len(), 3, "every tensor of the input: {names:?}");
    let i = m
        .tensors
        .iter()
        .position(|t| t.name == "position_ids")
        .unwrap();
    assert_eq!(m.tensors[i].dtype, "I64");
    assert_eq!(m.raw_integer_tensor(i).unwrap().1, ids);
    let j = m.tensors.iter().position(|t| t.name == "mask").unwrap();
    assert_eq!(m.raw_integer_tensor(j).unwrap(), ("BOOL", mask.to_vec()));
}

#[test]
fn out_keeps_untouched_float_tensors_in_their_stored_dtype() {
    // A bf16 weight (compressed, written dequantized as F32) and a bf16 norm (1-D, left alone:
    // copied as bf16 byte for byte).
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.safetensors");
    let bf16 = |v: f32| ((v.to_bits() >> 16) as u16).to_le_bytes();
    let w: Vec<u8> = (0..12).flat_map(|i| bf16(i as f32 * 0.25 - 1.5)).collect();
    let norm: Vec<u8> = (0..3).flat_map(|i| bf16(1.0 + i as f32 * 0.5)).collect();
    let header = r#"{"w":{"dtype":"BF16","shape":[4,3],"data_offsets":[0,24]},"norm":{"dtype":"BF16","shape":[3],"data_offsets":[24,30]}}"#;
    let mut data = w.clone();
    data.extend_from_slice(&norm);
    std::fs::write(&input, crate::model_support::raw_safetensors(header, &data)).unwrap();
    let out = dir.path().join("out.safetensors");
    quantize_int8_to(&input, &out);
    let m = bitlens::model::open(&out).unwrap();
    let find = |name: &str| m.tensors.iter().position(|t| t.name == name).unwrap();
    let (wi, ni) = (find("w"), find("norm"));
    assert_eq!(m.tensors[wi].dtype, "F32", "compressed: dequantized");
    assert_eq!(m.tensors[ni].dtype, "BF16", "untouched: as stored");
    assert_eq!(m.raw_tensor(ni).unwrap(), ("BF16", norm));
}

/// `bitlens quantize INPUT --bits 8 --out OUT`, which must succeed.
fn quantize_int8_to(input: &std::path::Path, out: &std::path::Path) {
    let args = [
        "quantize".as_ref(),
        input.as_os_str(),
        "--bits".as_ref(),
        "8".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    stdout_ok(&bitlens(args));
}
