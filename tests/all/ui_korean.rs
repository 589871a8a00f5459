//! Walks every panel, every Formats view, every lesson and every finished demo in the Korean UI
//! and fails on English left on screen. It reads every text the frame paints (labels, buttons,
//! plot axes, painter text), not only the widgets' accessibility labels, in a window tall enough
//! that nothing is scrolled out of view.

use bitlens::engine::DemoKind;
use bitlens::ui::BitlensApp;
use bitlens::ui::formats::SubView;
use bitlens::ui::i18n::Lang;
use bitlens::ui::registry::PanelId;
use bitlens::ui::workspace::AppCommand;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::ui_support::app_harness_sized;

/// Tall enough that the longest panel (Trade-off with a sweep) paints everything.
const TALL: egui::Vec2 = egui::vec2(1600.0, 4000.0);

/// Latin words that are the same in the Korean UI: names of formats, files, tools and methods
/// as the lecture writes them, units, and the language toggle's own name.
const KEEP: &[&str] = &[
    "absmax",
    "bitlens",
    "English",
    "safetensors",
    "onnx",
    "gguf",
    "llama",
    "numpy",
    "npy",
    "npz",
    "wav",
    "Ctrl",
    "Shift",
    "Esc",
    "Tab",
    "Enter",
    "Space",
    "PgUp",
    "PgDn",
    "Home",
    "End",
    "MiB",
    "GiB",
    "KiB",
    "MB",
    "GB",
    "kB",
    "ms",
    "dB",
    "bpw",
    "max",
    "min",
    "abs",
    "rel",
    "exp",
    "log",
    "round",
    "clamp",
    "scale",
    "nan",
    "inf",
    "fx",
    "int",
    "uint",
    "fp",
    "bf",
    "tf",
    "mx",
    "nf",
    "nvfp",
    "mxfp",
    "mxint",
    "sign",
    "bias",
    "pytorch",
    "tract",
    "candle",
    "Adam",
    "Adam’s",
    "Silero",
    "bitsandbytes",
    "emax",
    "amax",
];

/// English glosses the Korean lessons give in parentheses for the lecture's terms.
const GLOSSES: &[&str] = &["(teacher assistant)"];

/// Every text painted in the harness's last frame.
fn painted_texts(h: &Harness<'_, BitlensApp>) -> Vec<String> {
    fn walk(shape: &egui::Shape, out: &mut Vec<String>) {
        match shape {
            egui::Shape::Text(t) => out.push(t.galley.text().to_owned()),
            egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &h.output().shapes {
        walk(&clipped.shape, &mut out);
    }
    out
}

/// The English words of `text`: runs of Latin letters of three or more, lower case or
/// capitalised, outside identifiers (a token with a digit, `_`, `.`, `/` or `<` is a name:
/// `fc1.weight`, `e4m3fn`, `Q4_K`, a path, `<built-in>`), and not in [`KEEP`]. Acronyms and
/// mixed-case names (SQNR, PTQ, LoRA, NaN) stay.
fn english_words(text: &str) -> Vec<String> {
    // A command line (`bitlens demo qat`) is typed as written; glosses are the English terms;
    // quoted text is data (the first line an OCR model read).
    let mut text = text.split("bitlens ").next().unwrap_or_default().to_owned();
    while let Some(a) = text.find('"') {
        let b = text[a + 1..].find('"').map_or(text.len(), |b| a + 2 + b);
        text.replace_range(a..b, "");
    }
    for g in GLOSSES {
        text = text.replace(g, "");
    }
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        if token.starts_with("bitlens-") {
            continue; // a file name the app proposes
        }
        if token
            .chars()
            .any(|c| c.is_ascii_digit() || "_./<>\\".contains(c))
        {
            continue;
        }
        for word in token.split(|c: char| !c.is_ascii_alphabetic()) {
            let mut chars = word.chars();
            let Some(first) = chars.next() else { continue };
            let rest_lower = chars.all(|c| c.is_ascii_lowercase());
            if word.len() >= 3
                && rest_lower
                && first.is_ascii_alphabetic()
                && !KEEP.iter().any(|k| k.eq_ignore_ascii_case(word))
            {
                out.push(word.to_owned());
            }
        }
    }
    out
}

/// Every (place, text) of the frame with English words in it; a text that is part of a
/// tensor name of the open model (`weight`, `query` in a tensor tree) is the model's data.
fn untranslated(place: &str, h: &Harness<'_, BitlensApp>) -> Vec<String> {
    let model = &h.state().workspace.model;
    let name_part = |t: &str| {
        model
            .tensors
            .iter()
            .any(|i| i.name.split('.').any(|part| part == t.trim()))
    };
    let mut found: Vec<String> = painted_texts(h)
        .into_iter()
        .filter(|t| !english_words(t).is_empty() && !name_part(t))
        .map(|t| format!("{place}: {t:?}"))
        .collect();
    found.sort();
    found.dedup();
    found
}

fn settle(h: &mut Harness<'_, BitlensApp>) {
    for _ in 0..6 {
        h.run();
    }
}

fn korean(panel: PanelId) -> BitlensApp {
    let mut app = BitlensApp::default();
    app.show_frame_time = false;
    app.state.panel = panel;
    app.state.lang = Lang::Ko;
    app
}

/// Look at `app` after it settles; `then` may click before the second look.
fn look(
    place: &str,
    app: BitlensApp,
    then: impl FnOnce(&mut Harness<'_, BitlensApp>),
    found: &mut Vec<String>,
) {
    let mut h = app_harness_sized(app, TALL);
    settle(&mut h);
    found.extend(untranslated(place, &h));
    then(&mut h);
    settle(&mut h);
    found.extend(untranslated(&format!("{place} (after)"), &h));
}

fn walk_panels(found: &mut Vec<String>) {
    for &panel in PanelId::ALL.iter().filter(|&&p| p != PanelId::Lessons) {
        look(panel.slug(), korean(panel), |_| {}, found);
    }
    // The Weights view with its weight-activation section open.
    look(
        "weights+activations",
        korean(PanelId::Weights),
        |h| h.get_by_label_contains("활성화").click(),
        found,
    );
    // The Trade-off view with the lecture sweep and a sensitivity scan measured.
    let mut app = korean(PanelId::TradeOff);
    app.apply_command(AppCommand::Sweep(
        bitlens::engine::sweeps::Preset::Lecture.configs(),
    ));
    app.apply_command(AppCommand::Sensitivity(
        bitlens::ui::tradeoff::sensitivity_spec(2, 4.0),
    ));
    look("tradeoff+sweep", app, |_| {}, found);
}

fn walk_formats(found: &mut Vec<String>) {
    let formats = [
        "f32", "bf16", "e4m3fn", "e5m2", "e4m3fnuz", "e8m0fnu", "e2m1fn", "fx8.4", "i8", "u8",
        "sm8", "nf4",
    ];
    for format in formats {
        for &view in SubView::ALL {
            let mut app = korean(PanelId::Formats);
            app.state
                .formats
                .set_format_id(format)
                .expect("known format");
            app.state.formats.view = view;
            look(&format!("formats {format} {view:?}"), app, |_| {}, found);
        }
    }
    // A typed value out of range.
    let mut app = korean(PanelId::Formats);
    app.state.formats.set_format_id("i8").expect("known format");
    app.state.formats.enter_value("1e999").expect("a decimal");
    look("formats i8 1e999", app, |_| {}, found);
}

/// The lesson page (0-based) that runs `kind`.
fn lesson_of(kind: DemoKind) -> usize {
    match kind {
        DemoKind::Qat => 5,
        DemoKind::Distill => 7,
        DemoKind::Lora | DemoKind::Qlora => 8,
        DemoKind::Adapter | DemoKind::Prompt => 9,
    }
}

fn walk_lessons(found: &mut Vec<String>) {
    for page in 0..bitlens::ui::lessons::LESSONS {
        let mut app = korean(PanelId::Lessons);
        app.state.lessons.go_to(page);
        look(&format!("lesson {}", page + 1), app, |_| {}, found);
    }
    // Every demo, finished (one epoch: the report's layout, not its accuracy).
    for kind in DemoKind::ALL {
        let mut app = korean(PanelId::Lessons);
        app.state.lessons.go_to(lesson_of(kind));
        app.apply_command(AppCommand::RunDemo(kind, Some(1)));
        let mut h = app_harness_sized(app, TALL);
        for _ in 0..600 {
            h.step();
            if h.state().workspace.demo.report.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(
            h.state().workspace.demo.report.is_some(),
            "the {kind:?} demo finished"
        );
        settle(&mut h);
        found.extend(untranslated(&format!("demo {kind:?}"), &h));
    }
}

/// Open `path` in the Korean app on `panel` and look once it is loaded (and run, if it runs).
fn look_at_model(place: &str, path: std::path::PathBuf, panel: PanelId, found: &mut Vec<String>) {
    let mut app = korean(panel);
    app.apply_command(AppCommand::OpenModel(path));
    let mut h = app_harness_sized(app, TALL);
    for _ in 0..1200 {
        h.step();
        let ws = &h.state().workspace;
        if ws.loaded.is_some() && !matches!(ws.eval, bitlens::ui::workspace::EvalStatus::Pending) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    settle(&mut h);
    found.extend(untranslated(place, &h));
}

/// Models that do not run (why, in Korean) and, with the fixtures, models that run (what ran).
fn walk_models(found: &mut Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no_config.safetensors");
    let t = bitlens::tensor::Tensor::new("w", vec![4, 4], vec![0.5; 16]);
    std::fs::write(&path, bitlens::model::write_safetensors_f32(&[t], &[])).expect("write");
    look_at_model("model without config.json", path, PanelId::Model, found);
    #[cfg(feature = "run")]
    if let Some(fx) = crate::run_models::fixtures() {
        let runs = [
            ("silero", fx.join("silero/silero_vad_16k_sequence.onnx")),
            ("minilm", fx.join("minilm")),
            ("ocr", fx.join("ocr/ch_PP-OCRv4_rec_infer.onnx")),
        ];
        for (name, path) in runs {
            look_at_model(
                &format!("{name} model"),
                path.clone(),
                PanelId::Model,
                found,
            );
            look_at_model(&format!("{name} weights"), path, PanelId::Weights, found);
        }
    }
}

#[test]
fn the_korean_ui_has_no_english_left() {
    let mut found = Vec::new();
    walk_panels(&mut found);
    walk_formats(&mut found);
    walk_lessons(&mut found);
    walk_models(&mut found);
    assert!(
        found.is_empty(),
        "{} English texts in the Korean UI:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_detector_sees_english_and_spares_names() {
    assert_eq!(english_words("stored 40 × 2^−4 = 2.5"), ["stored"]);
    assert!(english_words("SQNR 31.2 dB · LoRA · NaN · fc1.weight · e4m3fn").is_empty());
    assert!(english_words("저장된 값 40 × 2^−4 = 2.5").is_empty());
    assert_eq!(english_words("Ready"), ["Ready"]);
    assert!(english_words("터미널에서: bitlens demo qat").is_empty());
    assert_eq!(english_words("50688 B (dense)"), ["dense"]);
}
