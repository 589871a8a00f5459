//! Click tests of the Formats lab (no GPU needed).

use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::Lang;
use egui_kittest::kittest::Queryable;

use crate::ui_support::{app_harness, assert_shows};

fn app_with(format: &str, bits: u64) -> BitlensApp {
    let mut app = BitlensApp::default();
    app.state
        .formats
        .set_format_id(format)
        .expect("known format");
    app.state.formats.bits = bits;
    app
}

#[test]
fn clicking_a_bit_flips_it_and_changes_the_value() {
    let mut h = app_harness(app_with("f16", 0x3C00));
    h.run();
    h.get_by_label("bit 0").click();
    h.run();
    assert_eq!(h.state().state.formats.bits, 0x3C01);
    // 1 + 2^-10 shown as the exact value
    assert_shows(&h, "1.0009765625");
    h.get_by_label("bit 15").click();
    h.run();
    assert_eq!(h.state().state.formats.bits, 0xBC01);
    assert_shows(&h, "-1.0009765625");
}

#[test]
fn every_bit_of_a_format_has_a_cell() {
    let mut h = app_harness(app_with("e4m3fn", 0x38));
    h.run();
    for i in 0..8 {
        h.get_by_label(&format!("bit {i}"));
    }
    assert!(h.query_by_label("bit 8").is_none(), "e4m3fn has 8 bits");
}

#[test]
fn typing_a_decimal_encodes_it() {
    let mut h = app_harness(app_with("bf16", 0));
    h.run();
    let field = h.get_by_label("decimal");
    field.click();
    h.run();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.run();
    h.get_by_label("decimal").type_text("0.1");
    h.run();
    // 0.1 in bfloat16 is 0x3DCD (RNE)
    assert_eq!(h.state().state.formats.bits, 0x3DCD);
}

#[test]
fn bad_typed_input_keeps_the_value_and_says_why() {
    let mut app = app_with("f16", 0x3C00);
    assert!(app.state.formats.enter_value("12abc").is_err());
    assert!(
        app.state.formats.enter_value("0x1ffff").is_err(),
        "17 bits do not fit f16"
    );
    assert_eq!(app.state.formats.bits, 0x3C00);
    let mut h = app_harness(app);
    h.run();
    h.get_by_label("hex").click();
    h.run();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.run();
    h.get_by_label("hex").type_text("zz");
    h.run();
    assert_eq!(h.state().state.formats.bits, 0x3C00);
}

#[test]
fn arrow_keys_step_through_representable_values() {
    let mut h = app_harness(app_with("e4m3fn", 0x7E)); // 448 = max
    h.run();
    h.key_press(egui::Key::ArrowDown);
    h.run();
    assert_eq!(h.state().state.formats.bits, 0x7D); // 416
    h.key_press(egui::Key::ArrowUp);
    h.key_press(egui::Key::ArrowUp);
    h.run();
    assert_eq!(
        h.state().state.formats.bits,
        0x7E,
        "no value above 448 in e4m3fn (0x7F is NaN)"
    );
}

#[test]
fn switching_formats_keeps_the_value() {
    let mut app = app_with("f32", 0x3DCC_CCCD); // 0.1f
    app.state.formats.set_format_id("e4m3fn").expect("known");
    // 0.1 in e4m3fn rounds to 0.1015625 = 0x1D
    assert_eq!(app.state.formats.bits, 0x1D);
    let mut h = app_harness(app);
    h.run();
    assert_shows(&h, "0.1015625");
}

#[test]
fn presentation_toggle_zooms_and_restores() {
    let mut h = app_harness(BitlensApp::default());
    h.run();
    h.get_by_label("Presentation").click();
    h.run();
    assert!(h.state().state.presentation);
    assert_eq!(
        h.state().state.zoom,
        Some(bitlens::ui::theme::PRESENTATION_ZOOM)
    );
    h.get_by_label("Presentation").click();
    h.run();
    assert!(!h.state().state.presentation);
    assert_eq!(h.state().state.zoom, Some(1.0));
}

/// egui's own Ctrl −/+ moves by the app's zoom steps and stops at the readable ends.
#[test]
fn keyboard_zoom_stays_in_the_readable_range() {
    use bitlens::ui::theme::ZOOM_STEPS;
    let mut h = app_harness(BitlensApp::default());
    h.run();
    let press = |h: &mut egui_kittest::Harness<'_, BitlensApp>, key| {
        h.key_press_modifiers(egui::Modifiers::COMMAND, key);
        h.run();
        h.run();
    };
    for _ in 0..12 {
        press(&mut h, egui::Key::Minus);
    }
    assert_eq!(h.state().state.zoom, Some(ZOOM_STEPS[0]));
    press(&mut h, egui::Key::Plus);
    assert_eq!(h.state().state.zoom, Some(ZOOM_STEPS[1]));
    for _ in 0..12 {
        press(&mut h, egui::Key::Plus);
    }
    assert_eq!(h.state().state.zoom, ZOOM_STEPS.last().copied());
}

#[test]
fn korean_text_renders_with_the_bundled_font() {
    let mut app = app_with("fx8.4", 0x10);
    app.state.lang = Lang::Ko;
    let mut h = app_harness(app);
    h.run(); // a missing Hangul glyph would panic here
    h.get_by_label("수 형식");
    h.get_by_label("English").click();
    h.run();
    assert_eq!(h.state().state.lang, Lang::En);
    h.get_by_label("Formats");
}

#[test]
fn every_sub_view_opens_in_both_languages() {
    use bitlens::ui::formats::SubView;
    for lang in [Lang::En, Lang::Ko] {
        for &view in SubView::ALL {
            for format in ["e4m3fn", "f64", "i8", "nf4"] {
                let mut app = app_with(format, 0x1);
                app.state.lang = lang;
                app.state.formats.view = view;
                let mut h = app_harness(app);
                h.run();
            }
        }
    }
}

#[test]
fn compare_view_lists_every_format() {
    let mut app = BitlensApp::default();
    app.state.formats.view = bitlens::ui::formats::SubView::Compare;
    app.state.formats.compare_input = "65520".to_owned();
    let mut h = app_harness(app);
    h.run();
    h.get_by_label("448.5").click();
    h.run();
    assert_eq!(h.state().state.formats.compare_input, "448.5");
    for format in bitlens::numfmt::Format::catalog() {
        assert!(
            h.query_all_by_label(&format.id()).next().is_some(),
            "{} missing from the table",
            format.id()
        );
    }
}

#[test]
fn block_view_shows_the_shared_scale() {
    let mut app = BitlensApp::default();
    app.state.formats.view = bitlens::ui::formats::SubView::Blocks;
    let mut h = app_harness(app);
    h.run();
    // amax 12 → shared exponent 1 → scale byte 0x80 (the OCP worked example)
    assert_shows(&h, "0x80");
    h.get_by_label("NVFP4").click();
    h.run();
    assert_shows(&h, "E4M3");
}

#[test]
fn integer_arithmetic_flags_wrap_around() {
    let mut app = app_with("i8", 0);
    app.state.formats.view = bitlens::ui::formats::SubView::Arithmetic;
    let mut h = app_harness(app);
    h.run();
    // 100 + 50 = 150 does not fit int8: wraps to -106
    assert_shows(&h, "-106");
    assert_shows(&h, "wrapped");
}

#[test]
fn custom_float_layout_applies() {
    let mut app = BitlensApp::default();
    app.state.formats.custom.open = true;
    app.state.formats.custom.exp_bits = 3;
    app.state.formats.custom.man_bits = 2;
    app.state.formats.custom.bias = 3;
    let mut h = app_harness(app);
    h.run();
    h.get_by_label("Apply").click();
    h.run();
    let width = h.state_mut().state.formats.format().width();
    assert_eq!(width, 6);
    h.get_by_label("bit 5");
}

#[test]
fn app_state_survives_a_restart() {
    // eframe storage serializes AppState with serde; everything the user set must come back.
    let mut state = bitlens::ui::app::AppState {
        lang: Lang::Ko,
        zoom: Some(1.5),
        panel: bitlens::ui::registry::PanelId::Weights,
        ..Default::default()
    };
    state.formats.set_format_id("e5m2").expect("known format");
    state.formats.bits = 0x3C;
    state.weights.controls.bits = 3;
    state
        .model
        .remember(std::path::Path::new("/models/a.safetensors"));
    let text = serde_json::to_string(&state).expect("serialize");
    let back: bitlens::ui::app::AppState = serde_json::from_str(&text).expect("deserialize");
    assert_eq!(back.lang, Lang::Ko);
    assert_eq!(back.zoom, Some(1.5));
    assert_eq!(back.panel, bitlens::ui::registry::PanelId::Weights);
    assert_eq!(
        (back.formats.format_id.as_str(), back.formats.bits),
        ("e5m2", 0x3C)
    );
    assert_eq!(back.weights.controls.bits, 3);
    assert_eq!(back.model.recent.len(), 1);
    // An older or partial saved state still loads (missing fields take their defaults).
    let partial: bitlens::ui::app::AppState =
        serde_json::from_str(r#"{"lang":"Ko"}"#).expect("partial");
    assert_eq!(partial.lang, Lang::Ko);
    assert_eq!(partial.formats.format_id, "f16");
}

#[test]
fn the_decimal_box_shows_the_stored_value_not_the_shortest_string() {
    // 448 in e4m3fn is 0x7E; its shortest round-trip string is "450", which is not what is stored.
    let mut h = app_harness(app_with("e4m3fn", 0x7E));
    h.run();
    h.run();
    assert_eq!(h.get_by_label("decimal").value().as_deref(), Some("448"));
    let mut h = app_harness(app_with("fx8.4", 0x02));
    h.run();
    h.run();
    assert_eq!(h.get_by_label("decimal").value().as_deref(), Some("0.125"));
}
