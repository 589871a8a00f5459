//! Renders every panel (dark and light, English and Korean, and at 1024×768 in Presentation mode)
//! with wgpu on the CPU and compares each picture with its committed PNG in screenshots/.

use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::Lang;
use bitlens::ui::registry::PanelId;

use crate::ui_support::{SIZE, render_harness, snapshot};

fn render(name: &str, app: BitlensApp) {
    render_sized(name, app, SIZE);
}

fn render_sized(name: &str, app: BitlensApp, size: egui::Vec2) {
    let Some(mut h) = render_harness(app, size) else {
        return;
    };
    h.run();
    snapshot(&mut h, name);
}

#[test]
fn every_panel_renders_dark_and_light() {
    for &panel in PanelId::ALL {
        for light in [false, true] {
            let mut app = BitlensApp::default();
            app.state.panel = panel;
            app.state.light_theme = light;
            let theme = if light { "light" } else { "dark" };
            render(&format!("{}_{theme}", panel.slug()), app);
        }
    }
}

#[test]
fn formats_sub_views_render() {
    use bitlens::ui::formats::SubView;
    let cases = [
        ("formats_compare_ko", SubView::Compare, Lang::Ko, "bf16"),
        ("formats_blocks", SubView::Blocks, Lang::En, "e4m3fn"),
        ("formats_arith", SubView::Arithmetic, Lang::En, "fx8.4"),
        (
            "formats_number_line_e4m3fn",
            SubView::NumberLine,
            Lang::En,
            "e4m3fn",
        ),
        // Ends inside the box ("7.9375" was clipped), u8's 0 drawn once.
        (
            "formats_number_line_fx8_4",
            SubView::NumberLine,
            Lang::En,
            "fx8.4",
        ),
        (
            "formats_number_line_u8",
            SubView::NumberLine,
            Lang::En,
            "u8",
        ),
    ];
    for (name, view, lang, format) in cases {
        let mut app = BitlensApp::default();
        app.state
            .formats
            .set_format_id(format)
            .expect("known format");
        app.state.formats.view = view;
        app.state.lang = lang;
        render(name, app);
    }
}

#[test]
fn tradeoff_with_a_lecture_sweep_renders() {
    use bitlens::ui::workspace::AppCommand;
    for (name, lang) in [
        ("tradeoff_lecture", Lang::En),
        ("tradeoff_lecture_ko", Lang::Ko),
    ] {
        let mut app = BitlensApp::default();
        app.state.panel = PanelId::TradeOff;
        app.state.lang = lang;
        app.drain_events();
        let configs = bitlens::engine::sweeps::Preset::Lecture.configs();
        app.apply_command(AppCommand::Sweep(configs));
        app.apply_command(AppCommand::Sensitivity(
            bitlens::ui::tradeoff::sensitivity_spec(2, 4.0),
        ));
        app.drain_events();
        render(name, app);
    }
}

#[test]
fn every_lesson_renders() {
    for page in 0..bitlens::ui::lessons::LESSONS {
        for lang in [Lang::En, Lang::Ko] {
            let mut app = BitlensApp::default();
            app.state.panel = PanelId::Lessons;
            app.state.lang = lang;
            app.state.lessons.go_to(page);
            let suffix = if lang == Lang::Ko { "_ko" } else { "" };
            render(&format!("lesson_{:02}{suffix}", page + 1), app);
        }
    }
}

#[test]
fn a_finished_demo_renders() {
    use bitlens::ui::workspace::AppCommand;
    let mut app = BitlensApp::default();
    app.state.panel = PanelId::Lessons;
    app.state.lessons.go_to(8);
    app.apply_command(AppCommand::RunDemo(bitlens::engine::DemoKind::Lora, None));
    app.drain_events();
    assert!(
        app.workspace.demo.report.is_some(),
        "the LoRA demo finished: {:?}",
        app.workspace.demo.error
    );
    // The same finished report in the Korean UI (columns, labels and notes translated).
    let mut ko = BitlensApp::default();
    ko.state.panel = PanelId::Lessons;
    ko.state.lang = Lang::Ko;
    ko.state.lessons.go_to(8);
    ko.workspace.demo = app.workspace.demo.clone();
    render("lesson_09_lora_demo", app);
    render("lesson_09_lora_demo_ko", ko);
}

/// The projector case: 1024×768 with Presentation on, every panel and every lesson, both languages.
#[test]
fn every_panel_and_lesson_at_1024x768_in_presentation_mode() {
    let projector = egui::vec2(1024.0, 768.0);
    for lang in [Lang::En, Lang::Ko] {
        let code = if lang == Lang::Ko { "ko" } else { "en" };
        // The Lessons panel is its lessons, below.
        for &panel in PanelId::ALL.iter().filter(|&&p| p != PanelId::Lessons) {
            let mut app = BitlensApp::default();
            app.state.panel = panel;
            app.state.lang = lang;
            app.set_presentation(true);
            render_sized(&format!("present_{}_{code}", panel.slug()), app, projector);
        }
        // The widest bit strips still fit the window.
        for format in ["f32", "f64"] {
            let mut app = BitlensApp::default();
            app.state.lang = lang;
            app.state
                .formats
                .set_format_id(format)
                .expect("known format");
            app.set_presentation(true);
            render_sized(&format!("present_formats_{format}_{code}"), app, projector);
        }
        for page in 0..bitlens::ui::lessons::LESSONS {
            let mut app = BitlensApp::default();
            app.state.panel = PanelId::Lessons;
            app.state.lang = lang;
            app.set_presentation(true);
            app.state.lessons.go_to(page);
            render_sized(
                &format!("present_lesson_{:02}_{code}", page + 1),
                app,
                projector,
            );
        }
    }
}
