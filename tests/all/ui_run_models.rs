//! The app on real third-party models that run (fixtures: `.ci/fixtures`): the Model panel says
//! what ran; the Trade-off plot's y axis is the measured fidelity, with the weight-SQNR-vs-fidelity
//! plot beside it; the Weights view shows the current setting's model-level figure.

use bitlens::engine::Objective;
use bitlens::run::Metric;
use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::{Lang, tr};
use bitlens::ui::registry::PanelId;
use bitlens::ui::tradeoff::SweepChoice;
use bitlens::ui::workspace::{AppCommand, EvalStatus};
use egui_kittest::kittest::Queryable;

use crate::run_models::fixtures;
use crate::ui_support::{app_harness, assert_shows, render_harness, snapshot};

fn settle(h: &mut egui_kittest::Harness<'_, BitlensApp>) {
    for _ in 0..4 {
        h.run();
    }
}

fn silero_app(dir: &std::path::Path) -> BitlensApp {
    let mut app = BitlensApp::default();
    app.state.panel = PanelId::Model;
    app.apply_command(AppCommand::OpenModel(
        dir.join("silero/silero_vad_16k_sequence.onnx"),
    ));
    app
}

fn grid_sweep(h: &mut egui_kittest::Harness<'_, BitlensApp>) {
    let st = &mut h.state_mut().state;
    st.panel = PanelId::TradeOff;
    st.tradeoff.sweep = SweepChoice::Grid;
    st.tradeoff.bits_text = "8, 6, 4".into();
    st.tradeoff.sparsity_text = "0".into();
    settle(h);
    let lang = h.state().state.lang;
    h.get_by_label_contains(tr(lang, "tr.run")).click();
    settle(h);
}

#[test]
fn silero_runs_in_the_app_and_the_tradeoff_plots_its_fidelity() {
    let Some(dir) = fixtures() else { return };
    let mut h = app_harness(silero_app(&dir));
    settle(&mut h);
    assert!(
        matches!(h.state().workspace.eval, EvalStatus::Ran(_)),
        "{:?}",
        h.state().workspace.eval
    );
    assert_shows(&h, "This model runs here");
    assert_shows(&h, "speech in");
    grid_sweep(&mut h);
    let sweep = &h.state().workspace.sweep;
    assert_eq!(
        sweep.objective,
        Some(Objective::Fidelity(Metric::FrameAgreement))
    );
    assert!(
        sweep.points.len() >= 13,
        "baseline + 12 grid points: {}",
        sweep.points.len()
    );
    assert!(sweep.points.iter().all(|p| p.fidelity.is_some()));
    let worst = sweep
        .points
        .iter()
        .min_by(|a, b| a.quality().total_cmp(&b.quality()))
        .unwrap();
    assert!(
        worst.quality() < 0.6,
        "{}: {}",
        worst.label,
        worst.quality()
    );
    assert_shows(&h, "Weight SQNR does not predict the damage");
    // The Weights view measures the current setting on the model's outputs.
    h.state_mut().state.panel = PanelId::Weights;
    settle(&mut h);
    assert!(
        h.state()
            .workspace
            .preview
            .point
            .as_ref()
            .is_some_and(|p| p.fidelity.is_some())
    );
    assert_shows(&h, "speech frames agreeing with fp32");
}

#[test]
fn silero_screenshots_in_both_languages() {
    let Some(dir) = fixtures() else { return };
    for lang in [Lang::En, Lang::Ko] {
        let mut app = silero_app(&dir);
        app.state.lang = lang;
        app.set_presentation(true);
        let Some(mut h) = render_harness(app, egui::vec2(1024.0, 768.0)) else {
            return;
        };
        settle(&mut h);
        grid_sweep(&mut h);
        let code = if lang == Lang::Ko { "ko" } else { "en" };
        snapshot(&mut h, &format!("tradeoff_silero_fidelity_{code}"));
        h.state_mut().state.panel = PanelId::Weights;
        settle(&mut h);
        snapshot(&mut h, &format!("weights_silero_fidelity_{code}"));
        h.state_mut().state.panel = PanelId::Model;
        settle(&mut h);
        snapshot(&mut h, &format!("model_silero_runs_{code}"));
        h.state_mut().state.lessons.go_to(5);
        h.state_mut().state.panel = PanelId::Lessons;
        settle(&mut h);
        h.get_by_label(tr(lang, "ls.fid.measure")).click();
        settle(&mut h);
        snapshot(&mut h, &format!("lesson_06_silero_fidelity_{code}"));
    }
}

#[test]
fn inputs_typed_in_the_model_panel_rerun_the_model_and_bad_ones_say_why() {
    let Some(dir) = fixtures() else { return };
    let mut h = app_harness(silero_app(&dir));
    settle(&mut h);
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("noise.wav");
    std::fs::write(&junk, "not audio").unwrap();
    h.state_mut().state.model.inputs_text = junk.display().to_string();
    settle(&mut h);
    h.get_by_label("Run on these inputs").click();
    settle(&mut h);
    let EvalStatus::NotEvaluable(why) = &h.state().workspace.eval else {
        panic!("{:?}", h.state().workspace.eval)
    };
    let why = why.to_string();
    assert!(
        why.contains("noise.wav") && why.contains("not a WAV"),
        "{why}"
    );
    // The weights are still there for the weight views.
    assert!(h.state().workspace.loaded.is_some());
    h.get_by_label("Bundled inputs").click();
    settle(&mut h);
    assert!(matches!(h.state().workspace.eval, EvalStatus::Ran(_)));
    assert_shows(&h, "speech_16k.wav");
}

#[test]
fn lesson_six_measures_weight_sqnr_against_silero_outputs() {
    let Some(dir) = fixtures() else { return };
    let mut app = silero_app(&dir);
    app.state.lessons.go_to(5);
    let mut h = app_harness(app);
    settle(&mut h);
    h.state_mut().state.panel = PanelId::Lessons;
    settle(&mut h);
    h.get_by_label("Measure int8 per tensor vs per channel")
        .click();
    settle(&mut h);
    let points = &h.state().workspace.sweep.points;
    let tensor8 = points
        .iter()
        .find(|p| p.label == "int8 sym/tensor")
        .expect("measured");
    assert!(tensor8.fidelity.as_ref().unwrap().value < 0.6);
    assert!(
        tensor8.sqnr_db > 20.0,
        "its weight SQNR looks fine: {}",
        tensor8.sqnr_db
    );
    assert_shows(&h, "speech frames agreeing with fp32");
    assert_shows(&h, "int8 sym/ch");
}
