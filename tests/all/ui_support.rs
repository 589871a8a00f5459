//! Helpers for the kittest UI tests: a harness around the whole app, and the renderer probe
//! for screenshot tests (skip with a notice without a renderer, unless BITLENS_REQUIRE_RENDER=1).

use bitlens::ui::BitlensApp;
use egui_kittest::Harness;

pub const SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);

/// A harness showing the whole app (top bar, panel, status line) with the bundled fonts.
/// Missing glyphs panic (kittest's default), so Korean text without the font fails.
pub fn app_harness(app: BitlensApp) -> Harness<'static, BitlensApp> {
    app_harness_sized(app, SIZE)
}

/// [`app_harness`] with a window of `size` (tall windows reach widgets below the fold).
pub fn app_harness_sized(app: BitlensApp, size: egui::Vec2) -> Harness<'static, BitlensApp> {
    Harness::builder()
        .with_size(size)
        .with_context_setup(bitlens::ui::install_fonts)
        .build_ui_state(|ui, app: &mut BitlensApp| app.app_ui(ui), app)
}

/// Assert that some widget's label contains `text` (several may).
pub fn assert_shows(h: &Harness<'_, BitlensApp>, text: &str) {
    use egui_kittest::kittest::Queryable;
    assert!(
        h.query_all_by_label_contains(text).next().is_some(),
        "nothing on screen contains {text:?}"
    );
}

/// A harness with a wgpu renderer for screenshots, or `None` (with a printed notice) when this
/// machine has no adapter and rendering is not required.
pub fn render_harness(app: BitlensApp, size: egui::Vec2) -> Option<Harness<'static, BitlensApp>> {
    let renderer = std::panic::catch_unwind(egui_kittest::wgpu::WgpuTestRenderer::new);
    let renderer = match renderer {
        Ok(r) => r,
        Err(_) if std::env::var("BITLENS_REQUIRE_RENDER").as_deref() == Ok("1") => {
            panic!(
                "BITLENS_REQUIRE_RENDER=1 but no wgpu adapter is available (install mesa-vulkan-drivers)"
            )
        }
        Err(_) => {
            eprintln!(
                "notice: no wgpu adapter (no GPU, no lavapipe): skipping screenshot rendering"
            );
            return None;
        }
    };
    Some(
        Harness::builder()
            .with_size(size)
            .with_context_setup(bitlens::ui::install_fonts)
            .renderer(renderer)
            .build_ui_state(|ui, app: &mut BitlensApp| app.app_ui(ui), app),
    )
}
