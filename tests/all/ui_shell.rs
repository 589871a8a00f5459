//! The shell: the F1 shortcut list, quitting (at once when idle, asking while jobs run) and the
//! top bar at projector sizes (view controls never cover the panel tabs).

use bitlens::ui::BitlensApp;
use bitlens::ui::registry::PanelId;
use bitlens::ui::shortcuts::{Quit, SHORTCUTS};
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;

use crate::ui_support::{app_harness, app_harness_sized, assert_shows};

#[test]
fn f1_lists_every_shortcut_and_esc_closes_it() {
    let mut h = app_harness(BitlensApp::default());
    h.run();
    h.key_press(Key::F1);
    h.run();
    assert!(h.state().overlays.help_open);
    assert_shows(&h, "Keyboard shortcuts");
    for (keys, _) in SHORTCUTS {
        assert_shows(&h, keys);
    }
    assert_shows(&h, "Previous / next lesson");
    h.key_press(Key::Escape);
    h.run();
    assert!(!h.state().overlays.help_open);
    // The top bar's button opens it too.
    h.get_by_label("F1 ?").click();
    h.run();
    assert!(h.state().overlays.help_open);
    h.get_by_label("Close").click();
    h.run();
    assert!(!h.state().overlays.help_open);
}

#[test]
fn ctrl_q_quits_at_once_when_nothing_runs() {
    let mut h = app_harness(BitlensApp::default());
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run();
    assert_eq!(h.state().overlays.quit, Quit::Confirmed);
}

#[test]
fn ctrl_q_asks_while_a_sweep_runs() {
    let mut h = app_harness(BitlensApp::default());
    h.run();
    h.state_mut().workspace.sweep.progress = Some((3, 42));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run_steps(3);
    assert_eq!(h.state().overlays.quit, Quit::Asking);
    assert_shows(&h, "Quit bitlens?");
    assert_shows(&h, "Sweep 3/42");
    h.get_by_label("Keep working").click();
    h.run_steps(3);
    assert_eq!(h.state().overlays.quit, Quit::No);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run_steps(3);
    h.get_by_label("Quit now").click();
    h.run_steps(3);
    assert_eq!(h.state().overlays.quit, Quit::Confirmed);
}

#[test]
fn at_1024x768_in_presentation_the_controls_never_cover_the_tabs() {
    for lang in [bitlens::ui::i18n::Lang::En, bitlens::ui::i18n::Lang::Ko] {
        let mut app = BitlensApp::default();
        app.state.lang = lang;
        app.set_presentation(true);
        let mut h = app_harness_sized(app, egui::vec2(1024.0, 768.0));
        h.run();
        h.run();
        let tabs: Vec<egui::Rect> = PanelId::ALL
            .iter()
            .map(|p| {
                h.get_by_label(bitlens::ui::i18n::tr(lang, p.title_key()))
                    .rect()
            })
            .collect();
        for control in ["−", "+", "F1 ?"] {
            let r = h.get_by_label(control).rect();
            for t in &tabs {
                assert!(!r.intersects(*t), "{control} {r:?} covers a tab {t:?}");
            }
        }
        // Every tab takes its click.
        h.get_by_label(bitlens::ui::i18n::tr(lang, "panel.tradeoff"))
            .click();
        h.run();
        assert_eq!(h.state().state.panel, PanelId::TradeOff);
    }
}

#[test]
fn on_a_wide_window_the_controls_share_the_tabs_row() {
    let mut h = app_harness(BitlensApp::default());
    h.run();
    h.run();
    let tab = h.get_by_label("Trade-off").rect();
    let keys = h.get_by_label("F1 ?").rect();
    assert!(
        (tab.center().y - keys.center().y).abs() < 4.0,
        "tabs {tab:?}, controls {keys:?}"
    );
    assert!(keys.right() > 1200.0, "right-aligned: {keys:?}");
}
