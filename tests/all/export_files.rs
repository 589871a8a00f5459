//! Exports other tools load: `quantize --out OUT.gguf` read back by llama.cpp's own reader
//! (`gguf` on PyPI) and `--out OUT.safetensors --packed` decoded by an independent NumPy
//! reading of the compressed-tensors layout, each compared tensor for tensor with bitlens's
//! dequantized export of the same setting; sizes on disk against the setting's promise; the
//! refusals.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::cli_support::{bitlens, json_ok, usage_error};
use super::run_models::fixtures;

/// `bitlens quantize INPUT ARGS… --out OUT [--packed] --json`: its report.
fn quantize(input: &Path, args: &[&str], out: &Path, packed: bool) -> Value {
    let mut all: Vec<&OsStr> = vec!["quantize".as_ref(), input.as_os_str()];
    all.extend(args.iter().map(OsStr::new));
    all.extend(["--out".as_ref(), out.as_os_str(), "--json".as_ref()]);
    if packed {
        all.push("--packed".as_ref());
    }
    json_ok(&bitlens(all))
}

/// `tests/py/check_export.py KIND FILE REFERENCE` with the fixtures' Python packages.
fn check(dir: &Path, kind: &str, file: &Path, reference: &Path) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/check_export.py");
    let out = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
        .env("PYTHONPATH", dir.join("py"))
        .arg(script)
        .args([kind.as_ref(), file.as_os_str(), reference.as_os_str()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "check_export.py {kind} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the checker prints JSON")
}

fn minilm(dir: &Path) -> PathBuf {
    dir.join("minilm/model.safetensors")
}

/// The file on disk is the size the report says; the setting's promise is within `slack`.
fn assert_sizes(report: &Value, file: &Path, slack: f64) -> (u64, u64) {
    let w = &report["written"];
    let bytes = w["bytes"].as_u64().unwrap();
    let promised = w["promised"].as_u64().unwrap();
    assert_eq!(bytes, std::fs::metadata(file).unwrap().len());
    assert_eq!(promised, report["total"]["size"]["bytes"].as_u64().unwrap());
    let off = (bytes as f64 - promised as f64).abs() / promised as f64;
    assert!(off < slack, "{bytes} bytes on disk vs {promised} promised");
    (bytes, promised)
}

#[test]
fn a_gguf_export_of_minilm_loads_in_llama_cpps_reader_with_bitlens_values() {
    let Some(dir) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (gguf, reference) = (
        tmp.path().join("q.gguf"),
        tmp.path().join("ref.safetensors"),
    );
    let args = ["--target", "q4_k"];
    let report = quantize(&minilm(&dir), &args, &gguf, false);
    quantize(&minilm(&dir), &args, &reference, false);
    // Rows of 384 are no multiple of Q4_K's 256: llama.cpp's fallback Q5_0; rows of 1536 fit.
    let seen = check(&dir, "gguf", &gguf, &reference);
    assert_eq!(
        seen["tensors"], 104,
        "every tensor, position_ids too: {seen}"
    );
    assert_eq!(seen["checked"], 104);
    assert_eq!(seen["max_abs_diff"], 0.0, "{seen}");
    for ty in ["Q4_K", "Q5_0", "F32", "I64"] {
        assert!(seen["types"][ty].as_u64().is_some(), "{ty} in {seen}");
    }
    let keys: Vec<&str> = seen["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(keys.contains(&"general.name") && keys.contains(&"bitlens.scheme"));
    // Q4_K/Q5_0 blocks and F32 norms: the file is the promise plus F32 norms and the header.
    let (bytes, promised) = assert_sizes(&report, &gguf, 0.02);
    eprintln!("MiniLM q4_k GGUF: {bytes} bytes on disk, {promised} promised");
}

#[test]
fn a_packed_int4_export_decodes_to_bitlens_values_and_is_as_small_as_promised() {
    let Some(dir) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (packed, reference) = (
        tmp.path().join("p.safetensors"),
        tmp.path().join("r.safetensors"),
    );
    let args = [
        "--bits",
        "4",
        "--scheme",
        "asym",
        "--granularity",
        "group:32",
    ];
    let report = quantize(&minilm(&dir), &args, &packed, true);
    quantize(&minilm(&dir), &args, &reference, false);
    let seen = check(&dir, "packed", &packed, &reference);
    assert_eq!(seen["format"], "pack-quantized", "{seen}");
    assert_eq!(seen["checked"], 104, "{seen}");
    assert_eq!(seen["max_abs_diff"], 0.0, "{seen}");
    assert!(seen["metadata"].to_string().contains("quantization_config"));
    // Zero points are stored as I8 (the size report counts 4 bits): within 3 %.
    let (bytes, promised) = assert_sizes(&report, &packed, 0.03);
    let dequantized = std::fs::metadata(&reference).unwrap().len();
    assert!(bytes * 5 < dequantized, "{bytes} vs {dequantized}");
    eprintln!("MiniLM int4 g32 asym packed: {bytes} bytes, {promised} promised, F32 {dequantized}");
}

#[test]
fn a_packed_int8_export_is_int_quantized() {
    let Some(dir) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (packed, reference) = (
        tmp.path().join("p.safetensors"),
        tmp.path().join("r.safetensors"),
    );
    let args = ["--bits", "8", "--granularity", "channel"];
    let report = quantize(&minilm(&dir), &args, &packed, true);
    quantize(&minilm(&dir), &args, &reference, false);
    let seen = check(&dir, "packed", &packed, &reference);
    assert_eq!(seen["format"], "int-quantized", "{seen}");
    assert_eq!(seen["max_abs_diff"], 0.0, "{seen}");
    assert_sizes(&report, &packed, 0.01);
}

#[test]
fn a_gguf_file_exported_again_keeps_its_metadata_and_untouched_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("tiny.gguf");
    let w: Vec<u8> = (0..4 * 64)
        .flat_map(|i| ((i as f32 * 0.37).sin()).to_le_bytes())
        .collect();
    let norm: Vec<u8> = (0..64).flat_map(|_| 1.0f32.to_le_bytes()).collect();
    let bytes = bitlens::model::write_gguf(
        &[("general.name", "tiny"), ("general.file_type", "0")],
        &[
            ("blk.0.w", &[4, 64], 0, &w),
            ("blk.0.norm", &[64], 0, &norm),
        ],
    );
    std::fs::write(&src, bytes).unwrap();
    let out = tmp.path().join("q8.gguf");
    let report = quantize(&src, &["--target", "q8_0"], &out, false);
    assert_eq!(report["written"]["format"], "gguf");
    let m = bitlens::model::open(&out).unwrap();
    let meta = |k: &str| m.metadata.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    assert_eq!(meta("general.name").map(String::as_str), Some("tiny"));
    assert!(
        meta("general.file_type").is_none(),
        "no longer true: dropped"
    );
    assert!(meta("bitlens.scheme").is_some());
    let types: Vec<&str> = m.tensors.iter().map(|t| t.dtype.as_str()).collect();
    assert_eq!(types, ["Q8_0", "F32"]);
    // Exported again unchanged (f32 cast): the Q8_0 blocks are copied as they are.
    let again = tmp.path().join("again.gguf");
    quantize(&out, &["--target", "none"], &again, false);
    let m2 = bitlens::model::open(&again).unwrap();
    assert_eq!(m2.raw_ggml(0), m.raw_ggml(0));
}

#[test]
fn exports_a_layout_cannot_hold_are_refused_naming_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let gguf = tmp.path().join("x.gguf");
    let int8 = ["quantize", "--bits", "8", "--out"];
    let e = usage_error(&bitlens(
        int8.iter().map(OsStr::new).chain([gguf.as_os_str()]),
    ));
    assert!(
        e.contains("GGUF has no type for int8") && e.contains("fc1.weight"),
        "{e}"
    );
    assert!(!gguf.exists(), "nothing written");
    let args = ["quantize", "--target", "q8_0", "--packed", "--out"];
    let e = usage_error(&bitlens(
        args.iter().map(OsStr::new).chain([gguf.as_os_str()]),
    ));
    assert!(e.contains("--packed writes safetensors"), "{e}");
    let st = tmp.path().join("x.safetensors");
    let args = ["quantize", "--target", "bf16", "--packed", "--out"];
    let e = usage_error(&bitlens(
        args.iter().map(OsStr::new).chain([st.as_os_str()]),
    ));
    assert!(e.contains("packed export stores integer codes"), "{e}");
    let e = usage_error(&bitlens(["quantize", "--packed"]));
    assert!(e.contains("--out"), "{e}");
}

#[test]
fn the_built_in_model_exports_packed_and_gguf_that_bitlens_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let builtin = Path::new("builtin");
    // Packed int4 per channel: codes in I32 words, F32 scales, I64 shapes.
    let packed = tmp.path().join("p.safetensors");
    let report = quantize(builtin, &["--bits", "4"], &packed, true);
    let m = bitlens::model::open(&packed).unwrap();
    let w = m
        .tensor_info("fc1.weight_packed")
        .expect("codes packed as I32");
    assert_eq!(w.dtype, "I32");
    assert!(m.tensor_info("fc1.weight_scale").is_some());
    assert!(
        m.tensor_info("fc1.weight_zero_point").is_none(),
        "symmetric"
    );
    assert_eq!(m.tensor_info("fc1.bias").unwrap().dtype, "F32", "1-D kept");
    assert_sizes(&report, &packed, 0.05);
    // GGUF Q8_0: blocks bitlens's own reader decodes to the dequantized export's values.
    let (gguf, reference) = (tmp.path().join("q.gguf"), tmp.path().join("r.safetensors"));
    quantize(builtin, &["--target", "q8_0"], &gguf, false);
    quantize(builtin, &["--target", "q8_0"], &reference, false);
    let (g, r) = (
        bitlens::model::open(&gguf).unwrap(),
        bitlens::model::open(&reference).unwrap(),
    );
    assert_eq!(g.tensors.len(), r.tensors.len());
    for t in &r.tensors {
        let a = g.load_tensor(&t.name).unwrap();
        let b = r.load_tensor(&t.name).unwrap();
        assert_eq!(a.shape, b.shape, "{}", t.name);
        assert_eq!(a.data, b.data, "{}", t.name);
    }
}
