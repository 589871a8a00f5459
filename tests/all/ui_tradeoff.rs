//! Click tests of the Trade-off panel (inline engine: a sweep completes inside the frame that
//! starts it).

use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::Lang;
use bitlens::ui::registry::PanelId;
use egui_kittest::kittest::Queryable;

use crate::ui_support::{app_harness, assert_shows};

fn tradeoff_app() -> BitlensApp {
    let mut app = BitlensApp::default();
    app.state.panel = PanelId::TradeOff;
    app
}

fn settle(h: &mut egui_kittest::Harness<'_, BitlensApp>) {
    for _ in 0..4 {
        h.run();
    }
}

/// The app after a formats sweep of the built-in model.
fn formats_sweep() -> egui_kittest::Harness<'static, BitlensApp> {
    let mut h = app_harness(tradeoff_app());
    settle(&mut h);
    h.get_by_label_contains("formats: bf16").click();
    settle(&mut h);
    h.get_by_label_contains("Run sweep").click();
    settle(&mut h);
    h
}

#[test]
fn formats_sweep_streams_points_and_a_pareto_front() {
    let h = formats_sweep();
    let sweep = &h.state().workspace.sweep;
    assert!(
        sweep.points.len() >= 9,
        "baseline + 8 formats, got {}",
        sweep.points.len()
    );
    assert!(!sweep.front.is_empty(), "a Pareto front");
    assert!(
        sweep.points.iter().all(|p| p.accuracy.is_some()),
        "the built-in model is evaluable: accuracy measured"
    );
    // No front point is dominated by another point.
    for &i in &sweep.front {
        let a = &sweep.points[i];
        let dominated = sweep.points.iter().any(|b| {
            b.size_bytes <= a.size_bytes
                && b.accuracy >= a.accuracy
                && (b.size_bytes < a.size_bytes || b.accuracy > a.accuracy)
        });
        assert!(!dominated, "{} is dominated", a.label);
    }
    assert!(
        h.state().workspace.current_point.is_some(),
        "the current setting is measured"
    );
}

/// A sampled estimate (what a sweep of a model read from its file shows first) is drawn as its
/// own legend entry, and its tooltip gives the interval; the measured point replaces it.
#[test]
fn estimates_are_drawn_apart_until_measured() {
    let mut h = formats_sweep();
    assert!(
        h.query_by_label_contains("estimate from a sample")
            .is_none()
    );
    let sweep = &mut h.state_mut().workspace.sweep;
    let mut p = (*sweep.points[2]).clone();
    p.accuracy = None;
    p.estimate = Some(bitlens::engine::Estimate {
        sampled: 1000,
        sqnr_err_db: 0.4,
    });
    sweep.points[2] = std::sync::Arc::new(p);
    settle(&mut h);
    assert!(
        h.query_by_label_contains("estimate from a sample")
            .is_some(),
        "a legend entry for estimates"
    );
}

#[test]
fn a_bad_grid_says_why_and_runs_nothing() {
    let mut app = tradeoff_app();
    app.state.tradeoff.sweep = bitlens::ui::tradeoff::SweepChoice::Grid;
    app.state.tradeoff.bits_text = "8, four".to_owned();
    let mut h = app_harness(app);
    settle(&mut h);
    assert_shows(&h, "\"four\" is not a number");
    assert!(h.query_by_label_contains("Run sweep").is_none());
}

#[test]
fn sensitivity_and_mixed_precision_apply_to_the_weights_view() {
    let mut h = app_harness(tradeoff_app());
    settle(&mut h);
    h.get_by_label("Measure").click();
    settle(&mut h);
    let layers = h.state().workspace.sensitivity.layers.len();
    assert_eq!(layers, 3, "three weight matrices in the built-in MLP");
    assert!(
        h.state().workspace.sensitivity.mixed.is_some(),
        "a mixed-precision assignment"
    );
    h.get_by_label("Apply to the weights view").click();
    settle(&mut h);
    assert_eq!(h.state().state.panel, PanelId::Weights);
    assert!(!h.state().state.weights.overrides.is_empty() || h.state().status.contains("Applied"));
}

#[test]
fn tradeoff_in_korean() {
    let mut app = tradeoff_app();
    app.state.lang = Lang::Ko;
    let mut h = app_harness(app);
    settle(&mut h);
    assert_shows(&h, "층별 민감도");
}

#[test]
fn the_status_line_names_running_work_and_says_ready_only_when_idle() {
    let mut h = app_harness(tradeoff_app());
    settle(&mut h);
    assert_shows(&h, "Ready");
    h.state_mut().workspace.sweep.progress = Some((3, 10));
    h.run_steps(2); // the spinner keeps repainting
    assert_shows(&h, "Sweep 3/10");
    assert!(
        h.query_by_label("Ready").is_none(),
        "not Ready while a sweep runs"
    );
}

#[test]
fn exporting_the_model_runs_in_the_engine_and_reports_the_size_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = tradeoff_app();
    app.state.tradeoff.export_prefix = dir.path().join("run").display().to_string();
    let mut h = app_harness(app);
    settle(&mut h);
    h.get_by_label("Export model").click();
    settle(&mut h);
    let path = dir.path().join("run-model.safetensors");
    let m = bitlens::model::open(&path).expect("the export opens");
    assert_eq!(m.tensors.len(), 6, "every tensor of the built-in model");
    let size = std::fs::metadata(&path).unwrap().len();
    let status = &h.state().status;
    let on_disk = bitlens::ui::model_panel::size_calc::human_bytes(size as f64);
    assert!(status.contains(&format!("{on_disk} on disk")), "{status}");
    assert!(m.metadata.iter().any(|(k, _)| k == "bitlens.config"));
}

#[test]
fn the_export_layout_is_chosen_and_a_layout_that_cannot_hold_the_setting_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = tradeoff_app();
    app.state.tradeoff.export_prefix = dir.path().join("run").display().to_string();
    let mut h = app_harness(app);
    settle(&mut h);
    // The current setting (an integer one) packed: codes + scales.
    h.get_by_label("export format").click();
    settle(&mut h);
    h.get_by_label("safetensors, packed codes + scales").click();
    settle(&mut h);
    h.get_by_label("Export model").click();
    settle(&mut h);
    let packed = dir.path().join("run-packed.safetensors");
    let m = bitlens::model::open(&packed).expect("the packed export opens");
    let codes = ["fc1.weight", "fc1.weight_packed"].map(|n| m.tensor_info(n).map(|t| &t.dtype));
    assert!(
        matches!(codes, [Some(d), None] if d == "I8")
            || matches!(codes, [None, Some(d)] if d == "I32"),
        "{codes:?}"
    );
    assert!(m.tensor_info("fc1.weight_scale").is_some());
    assert!(
        h.state().status.contains("the setting's tensors"),
        "{}",
        h.state().status
    );
    // GGUF has no type for integers with scales: the status says so, nothing written.
    h.get_by_label("export format").click();
    settle(&mut h);
    h.get_by_label("GGUF (llama.cpp)").click();
    settle(&mut h);
    h.get_by_label("Export model").click();
    settle(&mut h);
    let status = &h.state().status;
    assert!(status.contains("GGUF has no type for int"), "{status}");
    assert!(!dir.path().join("run-model.gguf").exists());
}

#[test]
fn sweep_csv_and_json_are_written_by_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = formats_sweep();
    h.state_mut().state.tradeoff.export_prefix = dir.path().join("out/sweep").display().to_string();
    settle(&mut h);
    h.get_by_label("CSV").click();
    settle(&mut h);
    let csv = std::fs::read_to_string(dir.path().join("out/sweep.csv")).expect("CSV written");
    assert!(csv.starts_with("index,label"), "{csv}");
    let size = csv.len();
    assert!(
        h.state().status.contains(&format!("{size} bytes on disk")),
        "{}",
        h.state().status
    );
    h.get_by_label("JSON").click();
    settle(&mut h);
    let json = std::fs::read_to_string(dir.path().join("out/sweep.json")).expect("JSON written");
    let rows: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert!(rows.as_array().is_some_and(|r| r.len() > 1));
    // A target that cannot be written: the error names it.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    h.state_mut().state.tradeoff.export_prefix = blocker.join("sweep").display().to_string();
    h.get_by_label("CSV").click();
    settle(&mut h);
    let status = &h.state().status;
    assert!(
        status.contains("could not write") && status.contains("file"),
        "{status}"
    );
}

#[test]
fn the_x_axis_turns_logarithmic_when_sizes_span_ten_times_unless_chosen() {
    let mut h = formats_sweep();
    let sizes: Vec<u64> = h
        .state()
        .workspace
        .sweep
        .points
        .iter()
        .map(|p| p.size_bytes)
        .collect();
    let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    let spans = *hi > 10 * *lo;
    let panel = &h.state().state.tradeoff;
    assert_eq!(panel.log_x(&h.state().workspace.sweep), spans, "{lo}..{hi}");
    h.get_by_label("log x").click();
    settle(&mut h);
    let app = h.state();
    assert_eq!(
        app.state.tradeoff.log_x,
        Some(!spans),
        "a click is a choice"
    );
}

/// The lecture sweep of a model whose accuracy is measured has weight-activation points as
/// their own family, each measured with its activations quantized.
#[test]
fn the_lecture_sweep_adds_the_weight_activation_family() {
    let mut h = app_harness(tradeoff_app());
    settle(&mut h);
    h.get_by_label_contains("Run sweep (45)").click();
    settle(&mut h);
    let points = &h.state().workspace.sweep.points;
    let wa: Vec<_> = points
        .iter()
        .filter(|p| p.family == bitlens::engine::Family::WeightActivation)
        .collect();
    assert_eq!(wa.len(), 4, "int8/int4 weights × int8/fp8 activations");
    for p in &wa {
        assert!(p.label.contains(" act"), "{}", p.label);
        let a = p.accuracy.expect("measured");
        assert!((0.5..=1.0).contains(&a), "{}: {a}", p.label);
    }
    // The same int8 weights with int8 activations are measured apart from weights only.
    let weights_only = points.iter().find(|p| p.label == "int8 sym/ch").unwrap();
    let with_act = points
        .iter()
        .find(|p| p.label == "int8 sym/ch + int8 act")
        .unwrap();
    assert_eq!(weights_only.size_bytes, with_act.size_bytes);
    assert_eq!(with_act.family.name(), "weight_activation");
}
