//! The real binary: `bitlens demo …` (JSON shape, table, bad input).

use crate::cli_support::{bitlens, json_ok, stdout_ok, usage_error};

#[test]
fn demo_qlora_json_reports_memory_and_rows() {
    let v = json_ok(&bitlens([
        "demo", "qlora", "--json", "--epochs", "1", "--seed", "3",
    ]));
    assert_eq!(v["config"]["common"]["seed"], 3);
    assert_eq!(v["memory"]["base_weight_bytes_fp32"], 436_736);
    assert_eq!(v["memory"]["lora_params"], 4712);
    assert!(v["memory"]["base_weight_bytes_stored"].as_u64().unwrap() < 60_000);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["method"], "full fine-tuning");
    assert_eq!(rows[1]["trainable_params"], 109_386);
    assert_eq!(v["curves"].as_array().unwrap().len(), 2);
    assert!(v["notes"].is_array());
}

#[test]
fn demo_prompt_prints_a_table() {
    let text = stdout_ok(&bitlens(["demo", "prompt", "--epochs", "1", "--quiet"]));
    assert!(text.contains("prompt tuning (784 input values)"), "{text}");
    assert!(text.contains("full fine-tuning"), "{text}");
    assert!(text.contains("rotated 40°"), "{text}");
}

#[test]
fn demo_rejects_an_unknown_demo_and_a_bad_target() {
    usage_error(&bitlens(["demo", "pruning"]));
    let out = bitlens(["demo", "lora", "--targets", "fc7", "--quiet"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fc7"));
}
