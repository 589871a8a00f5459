//! Click tests of the Weights view (inline engine: every preview is computed inside the frame
//! that asks for it).

use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::Lang;
use bitlens::ui::registry::PanelId;
use bitlens::ui::weights::controls::{GranularityChoice, PruneChoice};
use egui_kittest::kittest::Queryable;

use crate::ui_support::{app_harness, assert_shows};

fn weights_app() -> BitlensApp {
    let mut app = BitlensApp::default();
    app.state.panel = PanelId::Weights;
    app
}

fn settle(h: &mut egui_kittest::Harness<'_, BitlensApp>) {
    for _ in 0..4 {
        h.run();
    }
}

fn distinct(values: &[f32]) -> usize {
    let mut v: Vec<u32> = values.iter().map(|x| x.to_bits()).collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

#[test]
fn two_bit_symmetric_per_tensor_leaves_at_most_four_levels() {
    let mut h = app_harness(weights_app());
    settle(&mut h);
    h.get_by_label("per tensor").click();
    settle(&mut h);
    h.state_mut().state.weights.controls.bits = 2;
    settle(&mut h);
    let app = h.state();
    assert_eq!(
        app.state.weights.controls.granularity,
        GranularityChoice::Tensor
    );
    let preview = app.workspace.preview.latest.as_ref().expect("a preview");
    assert_eq!(preview.tensor.as_deref(), Some("fc1.weight"));
    let levels = distinct(&preview.dequantized);
    assert!(
        levels <= 4,
        "2-bit symmetric per-tensor gave {levels} distinct values"
    );
    assert!(levels >= 2);
}

#[test]
fn pruning_half_the_weights_zeroes_half() {
    let mut app = weights_app();
    app.state.weights.controls.target = "none".into();
    app.state.weights.controls.prune = PruneChoice::Magnitude;
    app.state.weights.controls.sparsity_pct = 50.0;
    let mut h = app_harness(app);
    settle(&mut h);
    let preview = h
        .state()
        .workspace
        .preview
        .latest
        .clone()
        .expect("a preview");
    let zeros = preview.dequantized.iter().filter(|v| **v == 0.0).count();
    let n = preview.dequantized.len();
    assert_eq!(zeros, n / 2, "{zeros} zeros of {n}");
    assert_shows(&h, "Sparsity mask");
    assert!(preview.mask.is_some(), "the mask is shown");
}

#[test]
fn per_channel_beats_per_tensor_on_the_builtin_model() {
    let sqnr = |granularity: GranularityChoice| {
        let mut app = weights_app();
        app.state.weights.controls.bits = 4;
        app.state.weights.controls.granularity = granularity;
        let mut h = app_harness(app);
        settle(&mut h);
        let p = h
            .state()
            .workspace
            .preview
            .latest
            .clone()
            .expect("a preview");
        p.metrics.sqnr_db
    };
    let (tensor, channel) = (
        sqnr(GranularityChoice::Tensor),
        sqnr(GranularityChoice::Channel),
    );
    assert!(
        channel > tensor + 0.5,
        "per-channel {channel:.2} dB vs per-tensor {tensor:.2} dB"
    );
}

#[test]
fn the_measured_accuracy_of_the_setting_is_shown() {
    let mut h = app_harness(weights_app());
    settle(&mut h);
    assert_shows(&h, "accuracy (measured)");
    assert_shows(&h, "vs fp32");
    let point = h
        .state()
        .workspace
        .preview
        .point
        .clone()
        .expect("model measured");
    assert!(
        point.accuracy.is_some_and(|a| a > 0.9),
        "int4 per-channel accuracy {:?}",
        point.accuracy
    );
}

#[test]
fn whole_model_and_mixed_precision() {
    let mut h = app_harness(weights_app());
    settle(&mut h);
    h.state_mut().state.weights.whole_model = true;
    h.state_mut().state.weights.overrides.insert(
        "fc3.weight".into(),
        bitlens::ui::weights::OverrideChoice::Int(8),
    );
    settle(&mut h);
    let app = h.state();
    let preview = app.workspace.preview.latest.as_ref().expect("a preview");
    assert!(preview.tensor.is_none(), "whole model");
    assert!(
        app.state
            .weights
            .config()
            .overrides
            .contains_key("fc3.weight")
    );
}

#[test]
fn weights_view_in_korean() {
    let mut app = weights_app();
    app.state.lang = Lang::Ko;
    let mut h = app_harness(app);
    settle(&mut h);
    assert_shows(&h, "출력 채널별 범위");
    h.get_by_label("target");
}

#[test]
fn dense_grids_are_drawn_as_a_density() {
    let mut app = weights_app();
    app.state.weights.controls.bits = 8;
    app.state.weights.controls.granularity = GranularityChoice::Tensor;
    let mut h = app_harness(app);
    settle(&mut h);
    let preview = h
        .state()
        .workspace
        .preview
        .latest
        .clone()
        .expect("a preview");
    assert!(
        preview.grid.as_ref().is_some_and(|g| g.len() > 64),
        "int8 per-tensor has up to 256 levels"
    );
    assert_shows(&h, "grid levels per bin");
}

#[test]
fn stochastic_rounding_to_bf16_is_offered_and_changes_the_preview() {
    let mut app = weights_app();
    app.state.weights.controls.target = "bf16".into();
    let mut h = app_harness(app);
    settle(&mut h);
    let nearest = h
        .state()
        .workspace
        .preview
        .latest
        .clone()
        .expect("a preview");
    h.get_by_label("stochastic (seeded)").click();
    settle(&mut h);
    assert!(h.state().state.weights.controls.stochastic);
    let sr = h
        .state()
        .workspace
        .preview
        .latest
        .clone()
        .expect("a preview");
    assert_ne!(nearest.dequantized, sr.dequantized);
    // Stochastic rounding is noisier than nearest-even, yet every value is on the bf16 grid.
    assert!(sr.metrics.sqnr_db < nearest.metrics.sqnr_db);
    assert!(
        sr.dequantized
            .iter()
            .all(|v| half::bf16::from_f32(*v).to_f32() == *v)
    );
}

/// A GGUF type whose block does not fit the rows falls back as llama.cpp does, and the view says
/// so (in the UI language) beside the tensor's figures.
#[test]
fn a_gguf_fallback_is_stated_in_both_languages() {
    for (lang, expect) in [
        (
            Lang::En,
            "q4_K needs rows that are a multiple of 256; row length 784 uses",
        ),
        (
            Lang::Ko,
            "q4_K은(는) 행 길이가 256의 배수여야 합니다: 행 길이 784에는",
        ),
    ] {
        let mut app = weights_app();
        app.state.lang = lang;
        app.state.weights.controls.target = "q4_k".into();
        let mut h = app_harness(app);
        settle(&mut h);
        let p = h
            .state()
            .workspace
            .preview
            .latest
            .clone()
            .expect("a preview");
        assert_eq!(p.tensor.as_deref(), Some("fc1.weight"));
        assert!(
            h.query_by_label_contains(expect).is_some(),
            "{lang:?}: no fallback note; notes {:?}",
            p.notes
        );
    }
}

#[test]
fn the_layer_heat_map_shows_where_the_setting_hurts_and_opens_a_tensor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = crate::ui_model::layered_model(dir.path());
    let mut app = bitlens::ui::BitlensApp::default();
    app.apply_command(bitlens::ui::workspace::AppCommand::OpenModel(path));
    app.state.panel = bitlens::ui::registry::PanelId::Weights;
    let mut h = crate::ui_support::app_harness_sized(app, egui::vec2(1400.0, 1400.0));
    for _ in 0..4 {
        h.run();
    }
    crate::ui_support::assert_shows(&h, "Where it hurts");
    let point = h
        .state()
        .workspace
        .preview
        .point
        .clone()
        .expect("whole-model point");
    let sqnr = |name: &str| {
        point
            .tensors
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.metrics.sqnr_db)
            .unwrap()
    };
    // Every compressed tensor of a layer has its cell; the worst is the one the data makes worst.
    for name in [
        "model.layers.0.self_attn.q_proj.weight",
        "model.layers.1.self_attn.k_proj.weight",
    ] {
        h.get_by_label(&format!("SQNR of {name}"));
        assert!(sqnr(name).is_finite());
    }
    assert!(
        h.query_by_label("SQNR of model.embed_tokens.weight")
            .is_none()
    );
    h.get_by_label("SQNR of model.layers.1.self_attn.k_proj.weight")
        .click();
    h.run();
    assert_eq!(
        h.state().workspace.selected_tensor.as_deref(),
        Some("model.layers.1.self_attn.k_proj.weight")
    );
}

/// A Llama-shaped model of `layers` layers of 16 × 32 weights whose later layers and MLP
/// down-projections carry outlier rows (so per-channel int4 hurts them most).
fn llama_like(dir: &std::path::Path, layers: usize) -> std::path::PathBuf {
    let kinds = [
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "self_attn.o_proj",
        "mlp.gate_proj",
        "mlp.up_proj",
        "mlp.down_proj",
    ];
    let mut ts = Vec::new();
    for l in 0..layers {
        for (k, kind) in kinds.iter().enumerate() {
            let outliers = 1.0 + (l * k) as f32 * 0.6 + if k == 6 { 6.0 } else { 0.0 };
            let data = (0..16 * 32)
                .map(|i| {
                    let v = ((i * 7919 + l * 131 + k * 17) as f32 * 0.61).sin() * 0.05;
                    if i % 37 == 0 { v * outliers * 8.0 } else { v }
                })
                .collect();
            ts.push(bitlens::tensor::Tensor::new(
                format!("model.layers.{l}.{kind}.weight"),
                vec![16, 32],
                data,
            ));
        }
    }
    let path = dir.join("llama_like.safetensors");
    std::fs::write(&path, bitlens::model::write_safetensors_f32(&ts, &[])).expect("write");
    path
}

#[test]
fn layer_heat_map_screenshots_in_both_languages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = llama_like(dir.path(), 6);
    for (lang, code) in [(Lang::En, "en"), (Lang::Ko, "ko")] {
        let mut app = BitlensApp::default();
        app.state.lang = lang;
        app.apply_command(bitlens::ui::workspace::AppCommand::OpenModel(path.clone()));
        app.state.panel = PanelId::Weights;
        let Some(mut h) = crate::ui_support::render_harness(app, egui::vec2(1280.0, 1000.0)) else {
            return;
        };
        settle(&mut h);
        h.get_by_label("SQNR of model.layers.5.mlp.down_proj.weight");
        // The status line names the temporary file, a new name each run.
        h.state_mut().status.clear();
        h.run();
        crate::ui_support::snapshot(&mut h, &format!("weights_layer_heatmap_{code}"));
    }
}

#[test]
fn the_metrics_csv_is_written_by_the_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = weights_app();
    app.state.weights.export_prefix = dir.path().join("w").display().to_string();
    let mut h = app_harness(app);
    settle(&mut h);
    h.get_by_label("Metrics as CSV").click();
    settle(&mut h);
    let csv = std::fs::read_to_string(dir.path().join("w.csv")).expect("CSV written");
    assert!(csv.starts_with("scope,config,compressed,sqnr_db"), "{csv}");
    // One row per tensor of the model under the setting, then the model.
    let scopes: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut expected: Vec<&str> = h
        .state()
        .workspace
        .model
        .tensors
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    expected.push("model");
    assert_eq!(scopes, expected);
    assert!(csv.contains("fc1.bias,int4 sym/ch,false"), "{csv}");
    let status = &h.state().status;
    assert!(
        status.contains(&format!("{} bytes on disk", csv.len())),
        "{status}"
    );
}

#[test]
fn pin_a_then_change_to_b_compares_them_swaps_and_clears() {
    let mut h = app_harness(weights_app());
    settle(&mut h);
    h.get_by_label("Pin as A").click();
    settle(&mut h);
    let a = h
        .state()
        .workspace
        .preview
        .pinned
        .clone()
        .expect("A pinned");
    assert!(a.point.is_some(), "A keeps its measured whole-model point");
    // B: 2-bit. The table shows A | B | Δ for the tensor and for the model.
    h.state_mut().state.weights.controls.bits = 2;
    settle(&mut h);
    assert_shows(&h, "A | B | Δ");
    let p = h.state().workspace.preview.latest.clone().expect("preview");
    let side = p.compare.as_ref().expect("A measured beside B");
    assert_eq!(side.label, a.config.label);
    assert!(side.metrics.sqnr_db > p.metrics.sqnr_db, "int4 beats int2");
    let delta = p.metrics.sqnr_db - side.metrics.sqnr_db;
    assert_shows(&h, &format!("{delta:.2} dB"));
    // Swap: A's setting goes back into the controls, B becomes A.
    h.get_by_label("Swap A ↔ B").click();
    settle(&mut h);
    assert_eq!(h.state().state.weights.controls.bits, 4);
    let pinned = h.state().workspace.preview.pinned.clone().unwrap();
    assert!(
        pinned.config.label.contains("int2"),
        "{}",
        pinned.config.label
    );
    h.get_by_label("Clear A").click();
    settle(&mut h);
    assert!(h.state().workspace.preview.pinned.is_none());
    assert!(
        h.state()
            .workspace
            .preview
            .latest
            .as_ref()
            .unwrap()
            .compare
            .is_none()
    );
}

#[test]
fn compare_screenshots_in_both_languages() {
    for (lang, code) in [(Lang::En, "en"), (Lang::Ko, "ko")] {
        let mut app = weights_app();
        app.state.lang = lang;
        let Some(mut h) = crate::ui_support::render_harness(app, egui::vec2(1280.0, 1000.0)) else {
            return;
        };
        settle(&mut h);
        let pin = if lang == Lang::Ko {
            "A로 고정"
        } else {
            "Pin as A"
        };
        h.get_by_label(pin).click();
        settle(&mut h);
        h.state_mut().state.weights.controls.bits = 2;
        settle(&mut h);
        crate::ui_support::snapshot(&mut h, &format!("weights_compare_{code}"));
    }
}

#[test]
fn an_empty_export_name_is_refused_and_says_so() {
    let mut app = weights_app();
    app.state.weights.export_prefix = "  ".into();
    let mut h = app_harness(app);
    settle(&mut h);
    h.get_by_label("Metrics as CSV").click();
    settle(&mut h);
    let status = &h.state().status;
    assert!(status.contains("type a file name"), "{status}");
}

#[test]
fn a_setting_pinned_before_its_point_arrived_gets_it_when_it_does() {
    let mut h = app_harness(weights_app());
    settle(&mut h);
    let config = h.state().state.weights.config();
    h.state_mut().workspace.preview.pinned = Some(bitlens::ui::workspace::Pinned {
        config: config.clone(),
        point: None,
    });
    // Measured again under A's own setting (another setting, then back).
    h.state_mut().state.weights.controls.bits = 3;
    settle(&mut h);
    assert!(
        h.state()
            .workspace
            .preview
            .pinned
            .as_ref()
            .unwrap()
            .point
            .is_none()
    );
    h.state_mut().state.weights.controls.bits = 4;
    settle(&mut h);
    let point = h
        .state()
        .workspace
        .preview
        .pinned
        .as_ref()
        .unwrap()
        .point
        .clone();
    assert_eq!(point.expect("filled").config, config);
}

/// Weight-activation quantization in the Weights view: the setting's weights measured with
/// f32, int8 and fp8 activations side by side, and each layer input's calibration histogram
/// with its clip range; in both languages.
#[test]
fn weights_and_activations_are_measured_side_by_side() {
    for (lang, expect) in [
        (
            Lang::En,
            [
                "+ int8 activations",
                "+ fp8 E4M3 activations",
                "input of fc1",
                "clip at ±absmax",
            ],
        ),
        (
            Lang::Ko,
            [
                "+ int8 활성화",
                "+ fp8 E4M3 활성화",
                "fc1 입력",
                "±absmax에서 잘림",
            ],
        ),
    ] {
        let mut app = weights_app();
        app.state.lang = lang;
        // Tall enough for the section below the figures; no frame-time readout in the snapshot.
        app.show_frame_time = false;
        let mut h = crate::ui_support::app_harness_sized(app, egui::vec2(1280.0, 1400.0));
        settle(&mut h);
        let title = if lang == Lang::En {
            "Weights + activations (int8 / fp8)"
        } else {
            "가중치 + 활성화 (int8 / fp8)"
        };
        h.get_by_label_contains(title).click();
        settle(&mut h);
        let study = match &h.state().workspace.preview.activations {
            Some(Ok(s)) => s.clone(),
            other => panic!("no activation study: {other:?}"),
        };
        assert_eq!(study.ranges.layers.len(), 3, "fc1, fc2, fc3 inputs");
        let accuracies: Vec<f64> = study.accuracy.iter().map(|a| a.1).collect();
        assert_eq!(accuracies.len(), 3);
        assert!(
            accuracies.iter().all(|a| (0.5..=1.0).contains(a)),
            "{accuracies:?}"
        );
        for text in expect {
            assert!(
                h.query_by_label_contains(text).is_some(),
                "{lang:?}: {text:?} not shown"
            );
        }
        let shown = format!("{:.1} %", 100.0 * accuracies[1]);
        assert!(
            h.query_by_label_contains(&shown).is_some(),
            "{shown} not shown"
        );
        // ReLU outputs (fc2's input) are one-sided: the unused negative codes are said.
        h.state_mut().state.weights.activation_layer = 1;
        settle(&mut h);
        assert!(study.ranges.layers[1].min >= 0.0);
        let one_sided = if lang == Lang::En {
            "128 negative codes unused"
        } else {
            "음수 코드 128개"
        };
        assert!(h.query_by_label_contains(one_sided).is_some(), "{lang:?}");
        let code = if lang == Lang::En { "en" } else { "ko" };
        h.state_mut().status.clear();
        h.run();
        crate::ui_support::snapshot(&mut h, &format!("weights_activations_{code}"));
    }
}
