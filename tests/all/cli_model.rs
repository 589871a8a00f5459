//! The real binary: `bitlens inspect`, `bitlens eval`, `bitlens train` (exit codes, JSON shapes).

use std::process::Command;

fn bitlens() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bitlens"))
}

#[test]
fn inspect_builtin_json_has_the_documented_shape() {
    let out = bitlens()
        .args(["inspect", "builtin", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "built-in");
    assert_eq!(v["totals"]["n_params"], 109_386);
    assert_eq!(v["totals"]["tensors"], 6);
    let t0 = &v["tensors"][0];
    assert_eq!(t0["name"], "fc1.weight");
    assert_eq!(t0["shape"], serde_json::json!([128, 784]));
    assert_eq!(t0["dtype"], "F32");
    assert_eq!(t0["supported"], true);
    for k in [
        "min",
        "max",
        "mean",
        "std",
        "kurtosis",
        "outlier_ratio",
        "nan_count",
        "inf_count",
    ] {
        assert!(t0["stats"][k].is_number(), "{k}");
    }
}

#[test]
fn inspect_a_file_in_text_and_a_bad_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("w.npy");
    std::fs::write(&good, bitlens::model::write_npy_f32(&[2], &[1.0, f32::NAN])).unwrap();
    let out = bitlens().arg("inspect").arg(&good).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("npy") && text.contains("1 NaN"), "{text}");
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"\xff\xff\xff\xff\xff\xff\xff\x00{").unwrap();
    let out = bitlens().arg("inspect").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.safetensors") && err.contains("header"),
        "{err}"
    );
    let out = bitlens()
        .args(["inspect", "/nonexistent.gguf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn eval_builtin_json_reports_measured_accuracy() {
    let out = bitlens().args(["eval", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n"], 1000);
    assert!(v["accuracy"].as_f64().unwrap() >= 0.93);
    assert_eq!(
        v["layers"],
        serde_json::json!([[784, 128], [128, 64], [64, 10]])
    );
    assert_eq!(v["activations"], "float");
    assert_eq!(v["confusion"].as_array().unwrap().len(), 10);
    let out = bitlens()
        .args(["eval", "--act", "int8", "--json"])
        .output()
        .unwrap();
    let q: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(q["activations"], "int8");
    assert_eq!(q["calibration_rows"], 256);
    let out = bitlens().args(["eval", "--act", "int3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn eval_refuses_a_model_that_is_not_a_matching_mlp() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small.npy");
    std::fs::write(&p, bitlens::model::write_npy_f32(&[3, 4], &[0.0; 12])).unwrap();
    let out = bitlens()
        .arg("eval")
        .arg("--model")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("small.npy"));
}

#[test]
fn train_writes_weights_and_card() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.safetensors");
    let out = bitlens()
        .args(["train", "--seed", "3", "--epochs", "1", "--json", "--out"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let card: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(card["seed"], 3);
    assert_eq!(card["epochs"], 1);
    assert!(card["test_accuracy"].as_f64().unwrap() > 0.5);
    assert!(dir.path().join("m.json").exists());
    let m = bitlens::model::open(&p).unwrap();
    assert_eq!(m.n_params(), 109_386);
    // The trained file evaluates through `eval --model` with the card's accuracy.
    let out = bitlens()
        .arg("eval")
        .arg("--json")
        .arg("--model")
        .arg(&p)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accuracy"], card["test_accuracy"]);
}
