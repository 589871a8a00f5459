//! Click tests of the Lessons panel.

use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::Lang;
use bitlens::ui::lessons::LESSONS;
use bitlens::ui::registry::PanelId;
use egui_kittest::kittest::Queryable;

use crate::ui_support::{app_harness, assert_shows};

fn lessons_app(page: usize, lang: Lang) -> BitlensApp {
    let mut app = BitlensApp::default();
    app.state.panel = PanelId::Lessons;
    app.state.lang = lang;
    app.state.lessons.go_to(page);
    app
}

#[test]
fn every_lesson_renders_in_both_languages() {
    for lang in [Lang::En, Lang::Ko] {
        for page in 0..LESSONS {
            let mut h = app_harness(lessons_app(page, lang));
            h.run(); // a missing glyph in any lesson text panics here
            h.run();
            let title = bitlens::ui::i18n::tr(lang, bitlens::ui::lessons::TITLE_KEYS[page]);
            h.get_by_label(title);
        }
    }
}

#[test]
fn page_keys_and_buttons_step_through_the_lessons() {
    let mut h = app_harness(lessons_app(0, Lang::En));
    h.run();
    h.key_press(egui::Key::PageDown);
    h.run();
    assert_eq!(h.state().state.lessons.page, 1);
    h.get_by_label("Next ▶").click();
    h.run();
    assert_eq!(h.state().state.lessons.page, 2);
    h.key_press(egui::Key::PageUp);
    h.run();
    assert_eq!(h.state().state.lessons.page, 1);
}

#[test]
fn lesson_two_shows_minus_128_and_lesson_three_rescales_a_product() {
    let mut h = app_harness(lessons_app(1, Lang::En));
    h.run();
    assert_shows(&h, "-128");
    let mut h = app_harness(lessons_app(2, Lang::En));
    h.run();
    h.run();
    // 2.5 × 3.25 = 8.125, which does not fit T=8, F=4 (max 7.9375)
    assert_shows(&h, "8.125");
}

#[test]
fn the_summary_links_back_to_its_lessons() {
    let mut h = app_harness(lessons_app(10, Lang::En));
    h.run();
    h.get_by_label("Lesson 7").click();
    h.run();
    assert_eq!(h.state().state.lessons.page, 6);
}

#[test]
fn the_pruning_curve_is_measured() {
    let mut h = app_harness(lessons_app(6, Lang::En));
    h.run();
    h.get_by_label("Measure the curve (0–90 % sparsity)")
        .click();
    for _ in 0..4 {
        h.run();
    }
    let sweep = &h.state().workspace.sweep;
    let acc: Vec<f64> = sweep.points.iter().filter_map(|p| p.accuracy).collect();
    assert!(acc.len() >= 10, "baseline + sparsities, got {}", acc.len());
    assert!(
        acc.last() < acc.first(),
        "accuracy falls at 90 % sparsity: {acc:?}"
    );
}

#[test]
fn language_toggle_is_one_key_away() {
    let mut h = app_harness(lessons_app(3, Lang::En));
    h.run();
    h.key_press_modifiers(egui::Modifiers::CTRL, egui::Key::L);
    h.run();
    assert_eq!(h.state().state.lang, Lang::Ko);
}

#[test]
fn a_demo_streams_its_curve_in_the_background_and_cancels() {
    let mut app = BitlensApp::with_engine(
        bitlens::ui::app::AppState::default(),
        bitlens::engine::Engine::new(std::sync::Arc::new(|| {})),
    );
    app.state.panel = PanelId::Lessons;
    app.state.lessons.go_to(5);
    let mut h = app_harness(app);
    h.step();
    h.get_by_label_contains("Run PTQ vs QAT").click();
    h.step();
    h.step();
    assert!(
        h.state().workspace.demo.running,
        "the demo runs in the background"
    );
    let started = std::time::Instant::now();
    while h.state().workspace.demo.curves.is_empty() && started.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.step();
    }
    assert!(
        !h.state().workspace.demo.curves.is_empty(),
        "an epoch streamed in"
    );
    h.get_by_label("Cancel").click();
    let cancelled = std::time::Instant::now();
    while h.state().workspace.demo.running && cancelled.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.step();
    }
    assert!(!h.state().workspace.demo.running, "cancel stops the demo");
    assert!(
        h.state().workspace.demo.report.is_none(),
        "a cancelled demo has no report"
    );
}

/// A finished demo report reads in Korean: columns, row labels and the note (by its code, with
/// the report's own values), while the English UI shows the text the CLI prints.
#[test]
fn a_demo_report_reads_in_korean() {
    use bitlens::demos::{DemoReport, DistillConfig, DistillReport, DistillRow, Label, Note};
    // Run names as the demo writes them: a code, the English text.
    let name = |text: &str| {
        let code = match text {
            "teacher (built-in)" => "teacher_builtin",
            "student (KD from teacher)" => "student_kd_teacher",
            "labels" => "labels",
            "teacher" => "teacher",
            other => panic!("no code for {other:?}"),
        };
        Label::fixed(code, text)
    };
    let row = |model: &str, arch: &str, params, taught_by: &str, acc, loss| DistillRow {
        model: name(model),
        architecture: arch.into(),
        params,
        taught_by: name(taught_by),
        test_accuracy: acc,
        test_loss: loss,
    };
    let report = DemoReport::Distill(DistillReport {
        config: DistillConfig::default(),
        rows: vec![
            row(
                "teacher (built-in)",
                "784-128-64-10",
                109386,
                "labels",
                0.96,
                0.1314,
            ),
            row(
                "student (KD from teacher)",
                "784-32-10",
                25450,
                "teacher",
                0.9,
                0.35,
            ),
        ],
        curves: Vec::new(),
        notes: vec![Note::new(
            "takd_below_kd",
            vec!["89.7".into(), "90.0".into(), "25".into()],
            "TAKD (89.7 %) is below direct distillation (90.0 %): …".into(),
        )],
    });
    for (lang, expect) in [
        (
            Lang::Ko,
            [
                "테스트 정확도",
                "교사 (내장 모델)",
                "96.0 %",
                "TAKD(89.7 %)가 직접 증류(90.0 %)보다",
            ],
        ),
        (
            Lang::En,
            [
                "test accuracy",
                "teacher (built-in)",
                "109,386",
                "TAKD (89.7 %) is below direct",
            ],
        ),
    ] {
        let mut app = lessons_app(7, lang);
        app.workspace.demo.kind = Some(bitlens::engine::DemoKind::Distill);
        app.workspace.demo.report = Some(std::sync::Arc::new(report.clone()));
        let mut h = app_harness(app);
        h.run();
        for text in expect {
            assert!(
                h.query_by_label_contains(text).is_some(),
                "{lang:?}: {text:?} not shown"
            );
        }
    }
}

/// The distillation note that says "more epochs" offers them as a button.
#[test]
fn the_distillation_note_offers_more_epochs_as_a_button() {
    use bitlens::demos::{DemoReport, DistillConfig, DistillReport, Note};
    let report = DemoReport::Distill(DistillReport {
        config: DistillConfig::default(),
        rows: Vec::new(),
        curves: Vec::new(),
        notes: vec![Note::new(
            "kd_below_labels",
            vec!["90.0".into(), "91.0".into(), "20".into(), "4".into()],
            "the student distilled from the teacher (90.0 %) is below …".into(),
        )],
    });
    for (lang, label) in [
        (Lang::En, "Run again with 60 epochs per model"),
        (Lang::Ko, "모델마다 60 에포크로 다시 실행"),
    ] {
        let mut app = lessons_app(7, lang);
        app.workspace.demo.kind = Some(bitlens::engine::DemoKind::Distill);
        app.workspace.demo.report = Some(std::sync::Arc::new(report.clone()));
        let mut h = app_harness(app);
        h.run();
        assert!(h.query_by_label(label).is_some(), "{lang:?}: no {label:?}");
    }
}
