//! Renders every panel (dark and light, English and Korean) with wgpu on the CPU and checks the
//! picture is not blank. With UPDATE_SCREENSHOTS=1 the images are written to screenshots/.

use bitlens::ui::BitlensApp;
use bitlens::ui::i18n::Lang;
use bitlens::ui::registry::PanelId;

use crate::ui_support::{SIZE, render_harness};

fn render(name: &str, app: BitlensApp) {
    let Some(mut h) = render_harness(app, SIZE) else {
        return;
    };
    h.run();
    let image = h.render().expect("render");
    let (w, h_px) = image.dimensions();
    assert!(
        w >= SIZE.x as u32 && h_px >= SIZE.y as u32,
        "{name}: {w}x{h_px}"
    );
    // Not blank: plenty of distinct colours (text, bit cells in field colours).
    let mut colours: Vec<[u8; 4]> = image.pixels().step_by(7).map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "{name}: only {} colours, looks blank",
        colours.len()
    );
    if std::env::var("UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("screenshots")
            .join(format!("{name}.png"));
        image.save(&path).expect("save screenshot");
    }
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
    app.apply_command(AppCommand::RunDemo(bitlens::engine::DemoKind::Lora));
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
