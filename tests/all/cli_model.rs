//! The real binary: `bitlens inspect`, `bitlens eval`, `bitlens train` (exit codes, JSON shapes).

use std::ffi::OsStr;

use crate::cli_support::{bitlens, json_ok, stdout_ok, usage_error};

#[test]
fn inspect_builtin_json_has_the_documented_shape() {
    let v = json_ok(&bitlens(["inspect", "builtin", "--json"]));
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
    let text = stdout_ok(&bitlens([OsStr::new("inspect"), good.as_os_str()]));
    assert!(text.contains("npy") && text.contains("1 NaN"), "{text}");
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"\xff\xff\xff\xff\xff\xff\xff\x00{").unwrap();
    let err = usage_error(&bitlens([OsStr::new("inspect"), bad.as_os_str()]));
    assert!(
        err.contains("bad.safetensors") && err.contains("header"),
        "{err}"
    );
    usage_error(&bitlens(["inspect", "/nonexistent.gguf"]));
}

#[test]
fn eval_builtin_json_reports_measured_accuracy() {
    let v = json_ok(&bitlens(["eval", "--json"]));
    assert_eq!(v["n"], 1000);
    assert!(v["accuracy"].as_f64().unwrap() >= 0.93);
    assert_eq!(
        v["layers"],
        serde_json::json!([[784, 128], [128, 64], [64, 10]])
    );
    assert_eq!(v["activations"], "float");
    assert_eq!(v["confusion"].as_array().unwrap().len(), 10);
    let q = json_ok(&bitlens(["eval", "--act", "int8", "--json"]));
    assert_eq!(q["activations"], "int8");
    assert_eq!(q["calibration_rows"], 256);
    usage_error(&bitlens(["eval", "--act", "int3"]));
}

#[test]
fn eval_refuses_a_model_that_is_not_a_matching_mlp() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small.npy");
    std::fs::write(&p, bitlens::model::write_npy_f32(&[3, 4], &[0.0; 12])).unwrap();
    let err = usage_error(&bitlens([
        OsStr::new("eval"),
        OsStr::new("--model"),
        p.as_os_str(),
    ]));
    assert!(err.contains("small.npy"), "{err}");
}

#[test]
fn train_writes_weights_and_card() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.safetensors");
    let args = ["train", "--seed", "3", "--epochs", "1", "--json", "--out"].map(OsStr::new);
    let card = json_ok(&bitlens(args.into_iter().chain([p.as_os_str()])));
    assert_eq!(card["seed"], 3);
    assert_eq!(card["epochs"], 1);
    assert!(card["test_accuracy"].as_f64().unwrap() > 0.5);
    assert!(dir.path().join("m.json").exists());
    let m = bitlens::model::open(&p).unwrap();
    assert_eq!(m.n_params(), 109_386);
    // The trained file evaluates through `eval --model` with the card's accuracy.
    let args = ["eval", "--json", "--model"].map(OsStr::new);
    let v = json_ok(&bitlens(args.into_iter().chain([p.as_os_str()])));
    assert_eq!(v["accuracy"], card["test_accuracy"]);
}

/// `bitlens inspect … | head -1`: the reader closes the pipe early; bitlens ends quietly, exit 0.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // 5,000 tensors: far more output than a pipe buffers (64 KiB), so writes do hit the close.
    let tensors: Vec<bitlens::tensor::Tensor> = (0..5000)
        .map(|i| {
            bitlens::tensor::Tensor::new(format!("layer.{i}.weight"), vec![2, 2], vec![0.5; 4])
        })
        .collect();
    let bytes = bitlens::model::write_safetensors_f32(&tensors, &[]);
    let (_dir, path) = crate::model_support::write_temp("many.safetensors", &bytes);
    let path = path.display().to_string();
    for args in [
        &["inspect", path.as_str()][..],
        &["inspect", path.as_str(), "--json"][..],
        &["decode", "--format", "u8", "0x01"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bitlens"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bitlens");
        let mut first = [0u8; 1];
        child
            .stdout
            .take()
            .expect("stdout")
            .read_exact(&mut first)
            .expect("one byte");
        // The read end is dropped here: later writes hit a closed pipe.
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
