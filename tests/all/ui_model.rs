//! Click tests of the Model panel (inline engine: jobs finish inside the frame that starts them).

use bitlens::tensor::Tensor;
use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::Lang;
use bitlens::ui::registry::PanelId;
use egui_kittest::kittest::Queryable;

use crate::ui_support::{app_harness, app_harness_sized, assert_shows};

fn model_app() -> BitlensApp {
    let mut app = BitlensApp::default();
    app.state.panel = PanelId::Model;
    app
}

fn write_safetensors(dir: &std::path::Path, name: &str, tensors: &[Tensor]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bitlens::model::write_safetensors_f32(tensors, &[]))
        .expect("write test model");
    path
}

#[test]
fn builtin_model_lists_tensors_with_statistics_and_measured_accuracy() {
    let mut h = app_harness(model_app());
    h.run();
    h.run();
    for name in ["fc1.weight", "fc1.bias", "fc2.weight", "fc3.weight"] {
        h.get_by_label(name);
    }
    assert!(
        h.state()
            .workspace
            .stats
            .iter()
            .all(|s| matches!(s, Some(Ok(_)))),
        "statistics of every tensor"
    );
    assert_shows(&h, "Top-1 accuracy");
    let accuracy = match &h.state().workspace.eval {
        bitlens::ui::workspace::EvalStatus::Evaluated(r) => r.accuracy,
        other => panic!("built-in model not evaluated: {other:?}"),
    };
    assert!(accuracy > 0.93, "built-in accuracy {accuracy}");
}

#[test]
fn clicking_a_tensor_selects_it() {
    let mut h = app_harness(model_app());
    h.run();
    h.get_by_label("fc2.weight").click();
    h.run();
    assert_eq!(
        h.state().workspace.selected_tensor.as_deref(),
        Some("fc2.weight")
    );
}

#[test]
fn filter_and_sort_the_tensor_table() {
    let mut h = app_harness(model_app());
    h.run();
    h.get_by_label("filter tensors").click();
    h.run();
    h.get_by_label("filter tensors").type_text("bias");
    h.run();
    assert!(h.query_by_label("fc1.weight").is_none(), "filtered out");
    h.get_by_label("fc1.bias");
    h.get_by_label("Params").click();
    h.run();
    assert_eq!(
        h.state().state.model.table.sort,
        (bitlens::ui::model_panel::table::SortColumn::Params, true)
    );
}

#[test]
fn a_bad_file_keeps_the_previous_model_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.safetensors");
    std::fs::write(&bad, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json").expect("write");
    let mut h = app_harness(model_app());
    h.run();
    h.get_by_label("model path").click();
    h.run();
    h.get_by_label("model path")
        .type_text(&bad.display().to_string());
    h.run();
    h.get_by_label("Open path").click();
    h.run();
    h.run();
    assert_eq!(
        h.state().workspace.model.label(),
        "<built-in>",
        "previous model kept"
    );
    assert!(
        h.state().status.contains("broken.safetensors"),
        "status names the file: {}",
        h.state().status
    );
    h.get_by_label("fc1.weight");
    // A good file afterwards: the old error goes, the status says what opened.
    let good = write_safetensors(
        dir.path(),
        "good.safetensors",
        &[Tensor::new("w", vec![2, 2], vec![1.0, 2.0, 3.0, 4.0])],
    );
    h.state_mut()
        .apply_command(bitlens::ui::workspace::AppCommand::OpenModel(good));
    h.run();
    h.run();
    let status = &h.state().status;
    assert!(!status.contains("broken"), "old error kept: {status}");
    assert!(
        status.contains("good.safetensors") && status.contains("1 tensors"),
        "{status}"
    );
}

#[test]
fn opening_a_file_lists_its_tensors_and_says_it_cannot_be_evaluated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tensor::new(
        "encoder.layer0.weight",
        vec![4, 3],
        (0..12).map(|i| i as f32 - 5.5).collect(),
    );
    let path = write_safetensors(dir.path(), "tiny.safetensors", &[t]);
    let mut app = model_app();
    app.apply_command(bitlens::ui::workspace::AppCommand::OpenModel(path.clone()));
    let mut h = app_harness(app);
    h.run();
    h.run();
    h.get_by_label("encoder.layer0.weight");
    assert_shows(&h, "cannot be evaluated");
    assert_eq!(
        h.state().state.model.recent.first(),
        Some(&path),
        "remembered in recent files"
    );
    h.get_by_label("Built-in model").click();
    h.run();
    h.get_by_label("fc1.weight");
}

#[test]
fn size_calculator_answers_the_lecture_question() {
    let mut h = app_harness_sized(model_app(), egui::vec2(1280.0, 1600.0));
    h.run();
    // 7B at fp32 = 28 GB, at fp16 = 14 GB
    assert_shows(&h, "28.00 GB");
    assert_shows(&h, "14.00 GB");
    h.get_by_label("70B").click();
    h.run();
    assert_shows(&h, "280.00 GB");
}

#[test]
fn model_panel_in_korean() {
    let mut app = model_app();
    app.state.lang = Lang::Ko;
    let mut h = app_harness(app);
    h.run();
    assert_shows(&h, "측정된 정확도");
}

#[test]
fn the_tensor_filter_resets_when_another_model_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tensor::new("encoder.layer0.weight", vec![4, 3], vec![0.5; 12]);
    let path = write_safetensors(dir.path(), "tiny.safetensors", &[t]);
    let mut app = model_app();
    app.state.model.table.filter = "fc1".into();
    app.apply_command(bitlens::ui::workspace::AppCommand::OpenModel(path));
    let mut h = app_harness(app);
    h.run();
    h.run();
    assert!(
        h.state().state.model.table.filter.is_empty(),
        "filter reset on a new model"
    );
    h.get_by_label("encoder.layer0.weight");
}

#[test]
fn a_safetensors_file_that_does_not_run_says_why_in_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ts: Vec<Tensor> = (0..24)
        .map(|i| {
            let rows = 3 + i % 2;
            Tensor::new(
                format!("blocks.{i}.mlp.weight"),
                vec![rows, 5],
                vec![0.5; rows * 5],
            )
        })
        .collect();
    let path = write_safetensors(dir.path(), "odd.safetensors", &ts);
    let mut app = model_app();
    app.apply_command(bitlens::ui::workspace::AppCommand::OpenModel(path));
    let mut h = app_harness(app);
    h.run();
    h.run();
    let bitlens::ui::workspace::EvalStatus::NotEvaluable(reason) = &h.state().workspace.eval else {
        panic!("{:?}", h.state().workspace.eval);
    };
    let reason = reason.to_string();
    assert!(
        reason.contains("no config.json") && !reason.contains('\n'),
        "{reason}"
    );
    assert!(
        h.query_by_label("Details").is_none(),
        "a short reason needs no disclosure"
    );
    assert_shows(&h, "no config.json beside the weights");
}

/// A two-layer Llama-like model: embeddings, q/k per layer, a final norm.
pub fn layered_model(dir: &std::path::Path) -> std::path::PathBuf {
    let t = |name: &str, rows: usize, seed: f32| {
        let data = (0..rows * 8)
            .map(|i| ((i as f32 * 0.37 + seed).sin()) * (1.0 + seed))
            .collect();
        Tensor::new(name, vec![rows, 8], data)
    };
    let ts = vec![
        t("model.embed_tokens.weight", 16, 0.0),
        t("model.layers.0.self_attn.q_proj.weight", 8, 0.1),
        t("model.layers.0.self_attn.k_proj.weight", 8, 0.2),
        t("model.layers.1.self_attn.q_proj.weight", 8, 0.3),
        t("model.layers.1.self_attn.k_proj.weight", 8, 3.0),
        Tensor::new("model.norm.weight", vec![8], vec![1.0; 8]),
    ];
    write_safetensors(dir, "layered.safetensors", &ts)
}

#[test]
fn blocks_are_grouped_with_totals_and_open_on_click() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = layered_model(dir.path());
    let mut app = model_app();
    app.apply_command(bitlens::ui::workspace::AppCommand::OpenModel(path));
    let mut h = app_harness(app);
    h.run();
    h.run();
    h.get_by_label("model.embed_tokens.weight");
    h.get_by_label("model.norm.weight");
    assert!(
        h.query_by_label("model.layers.0.self_attn.q_proj.weight")
            .is_none(),
        "blocks start closed"
    );
    // The block row: its name, the number of tensors, the block's parameters (2 × 64).
    h.get_by_label_contains("model.layers.0. (2)").click();
    h.run();
    h.get_by_label("model.layers.0.self_attn.q_proj.weight");
    assert!(
        h.query_by_label("model.layers.1.self_attn.q_proj.weight")
            .is_none()
    );
    assert_shows(&h, "128");
    // A typed filter shows the matching tensors of every block.
    h.get_by_label("filter tensors").click();
    h.run();
    h.get_by_label("filter tensors").type_text("k_proj");
    h.run();
    h.get_by_label("model.layers.1.self_attn.k_proj.weight");
    assert!(h.query_by_label("model.embed_tokens.weight").is_none());
    // Ungrouped: every tensor in file order.
    h.get_by_label("Group by block").click();
    h.run();
    assert!(!h.state().state.model.table.group_blocks);
    h.get_by_label("model.layers.0.self_attn.k_proj.weight");
}
