//! The real binary: `bitlens sweep` and `bitlens sensitivity` (JSON Lines, CSV, tables, exit
//! codes, models that cannot be evaluated).

use crate::cli_support::{bitlens, json_lines, json_ok, stdout_ok, usage_error};

#[test]
fn lecture_json_lines() {
    let v = json_lines(&bitlens(["sweep", "--json"]));
    assert!(v.len() >= 41, "{}", v.len());
    assert_eq!(v[0]["label"], "fp32");
    assert_eq!(v[0]["family"], "baseline");
    assert_eq!(v[0]["sqnr_db"], serde_json::Value::Null);
    for (i, p) in v.iter().enumerate() {
        assert_eq!(p["index"], i);
        for key in [
            "size_bytes",
            "bits_per_weight",
            "accuracy",
            "sqnr_db",
            "pareto",
            "settings",
        ] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
        assert!(p["accuracy"].is_f64(), "{p}");
        assert!(
            p["settings"]["scheme"]["target"].is_object()
                || p["settings"]["scheme"]["target"].is_string()
        );
    }
    assert!(v.iter().any(|p| p["pareto"] == true));
    let int8 = v.iter().find(|p| p["label"] == "int8 sym/ch").unwrap();
    assert_eq!(int8["family"], "int");
    assert!(int8["bits_per_weight"].as_f64().unwrap() < 8.2);
}

#[test]
fn grid_csv_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("sweep.csv");
    let v = json_lines(&bitlens([
        "sweep",
        "--bits",
        "8,4,2",
        "--sparsity",
        "0,0.5,0.9",
        "--json",
        "--csv",
        csv.to_str().unwrap(),
    ]));
    // Baseline + 2 pruning-only + 3 bits × 3 sparsities.
    assert_eq!(v.len(), 12);
    assert_eq!(v[1]["label"], "prune 50%");
    assert_eq!(v[1]["family"], "pruning");
    assert!(v.iter().any(|p| p["family"] == "combined"));
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "index,label,family,size_bytes,bits_per_weight,accuracy,loss,sqnr_db,pareto,settings"
    );
    assert_eq!(rows.len(), 13);
    assert!(rows[1].starts_with("0,fp32,baseline,"));
    let table = stdout_ok(&bitlens(["sweep", "--preset", "formats"]));
    for label in [
        "bf16", "fp16", "e4m3fn", "e5m2", "nf4", "mxfp4", "q4_0", "q8_0",
    ] {
        assert!(table.contains(label), "{label} missing:\n{table}");
    }
    assert!(table.contains("8 configs + fp32 baseline"), "{table}");
}

#[test]
fn bad_input_exits_with_2() {
    for args in [
        &["sweep", "--bits", "0"][..],
        &["sweep", "--sparsity", "1.5"],
        &["sweep", "--preset", "everything"],
        &["sweep", "--granularity", "rows"],
        &["sweep", "--act", "int3"],
        &["sweep", "--model", "/nonexistent/model.safetensors"],
        &["sensitivity"],
        &["sensitivity", "--bits", "17"],
    ] {
        usage_error(&bitlens(args));
    }
}

/// An F32 safetensors file, written by the model module's own writer.
fn safetensors(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let tensors: Vec<bitlens::tensor::Tensor> = tensors
        .iter()
        .map(|(name, shape, data)| bitlens::tensor::Tensor::new(*name, shape.clone(), data.clone()))
        .collect();
    bitlens::model::write_safetensors_f32(&tensors, &[])
}

#[test]
fn a_model_that_cannot_be_evaluated_uses_sqnr() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conv.safetensors");
    let w: Vec<f32> = (0..48 * 96)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
        .collect();
    std::fs::write(
        &path,
        safetensors(&[
            ("enc.weight", vec![48, 96], w),
            ("enc.bias", vec![48], vec![0.1; 48]),
        ]),
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let v = json_lines(&bitlens(["sweep", "--model", p, "--bits", "8,4", "--json"]));
    assert_eq!(v.len(), 3);
    assert!(v.iter().all(|p| p["accuracy"].is_null()));
    // The SQNR front: int8 beats int4 on quality, int4 on size, the baseline on quality.
    assert!(v.iter().all(|p| p["pareto"] == true), "{v:?}");
    let table = stdout_ok(&bitlens(["sweep", "--model", p, "--bits", "4"]));
    assert!(table.contains("SQNR (not evaluable"), "{table}");
    let s = json_ok(&bitlens([
        "sensitivity",
        "--model",
        p,
        "--bits",
        "4",
        "--json",
    ]));
    assert_eq!(s["objective"], "sqnr_db");
    assert_eq!(s["layers"].as_array().unwrap().len(), 1);
}

#[test]
fn sensitivity_json_and_table() {
    let s = json_ok(&bitlens(["sensitivity", "--bits", "3", "--json"]));
    assert_eq!(s["probe"], "int3 sym/ch");
    let layers = s["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert!(layers.iter().all(|l| l["accuracy_drop"].is_f64()));
    let mixed = &s["mixed"];
    assert!(mixed["size_bytes"].as_u64().unwrap() <= mixed["budget_bytes"].as_u64().unwrap());
    assert_eq!(mixed["budget_bytes"], s["uniform"]["size_bytes"]);
    assert!(mixed["settings"]["overrides"].as_object().unwrap().len() == 3);
    let table = stdout_ok(&bitlens(["sensitivity", "--sparsity", "0.7"]));
    assert!(
        table.contains("prune 70%") && table.contains("fc1.weight"),
        "{table}"
    );
    assert!(
        !table.contains("mixed "),
        "no assignment without --bits:\n{table}"
    );
}
