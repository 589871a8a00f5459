//! Helpers for the kittest UI tests: a harness around the whole app, and the renderer probe
//! for screenshot tests (skip with a notice without a renderer, unless BITLENS_REQUIRE_RENDER=1),
//! and the snapshot check: every screenshot is compared with its committed PNG in
//! `screenshots/`; `UPDATE_SNAPSHOTS=1 cargo test` rewrites the ones that differ.

use bitlens::ui::BitlensApp;
use egui_kittest::Harness;

pub const SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);

/// A harness showing the whole app (top bar, panel, status line) with the bundled fonts.
/// Missing glyphs panic (kittest's default), so Korean text without the font fails.
pub fn app_harness(app: BitlensApp) -> Harness<'static, BitlensApp> {
    app_harness_sized(app, SIZE)
}

/// [`app_harness`] with a window of `size` pixels (tall windows reach widgets below the fold).
pub fn app_harness_sized(app: BitlensApp, size: egui::Vec2) -> Harness<'static, BitlensApp> {
    Harness::builder()
        .with_size(window_points(&app, size))
        .with_context_setup(context_setup(&app))
        .build_ui_state(|ui, app: &mut BitlensApp| app.app_ui(ui), app)
}

/// The bundled fonts, and the app's zoom in effect from the first frame (a zoom that changes
/// between frames rescales kittest's window unpredictably).
fn context_setup(app: &BitlensApp) -> impl FnOnce(&egui::Context) + 'static {
    let zoom = app.state.zoom.unwrap_or(1.0);
    move |ctx| {
        bitlens::ui::install_fonts(ctx);
        ctx.set_zoom_factor(zoom);
    }
}

/// A window of `pixels` at the app's zoom is `pixels / zoom` points wide, as eframe lays it out
/// (kittest takes the size in points and leaves zoom to the app).
fn window_points(app: &BitlensApp, pixels: egui::Vec2) -> egui::Vec2 {
    pixels / app.state.zoom.unwrap_or(1.0)
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
pub fn render_harness(
    mut app: BitlensApp,
    size: egui::Vec2,
) -> Option<Harness<'static, BitlensApp>> {
    app.show_frame_time = false;
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
            .with_size(window_points(&app, size))
            .with_context_setup(context_setup(&app))
            .renderer(renderer)
            .build_ui_state(|ui, app: &mut BitlensApp| app.app_ui(ui), app),
    )
}

/// Per-pixel colour tolerance (kittest's default, enough across CPU renderers).
const PIXEL_THRESHOLD: f32 = 0.6;
/// Pixels allowed beyond the tolerance: anti-aliasing noise, not a moved widget or label.
const MAX_FAILED_PIXELS: usize = 24;

/// Render the harness, check the picture is not blank, and compare it with
/// `screenshots/{name}.png` (a layout change fails; `UPDATE_SNAPSHOTS=1` accepts it).
pub fn snapshot(h: &mut Harness<'_, BitlensApp>, name: &str) {
    apply_zoom(h);
    let image = h.render().expect("render");
    // Not blank: plenty of distinct colours (text, bit cells in field colours).
    let mut colours: Vec<[u8; 4]> = image.pixels().step_by(7).map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "{name}: only {} colours, looks blank",
        colours.len()
    );
    let options = egui_kittest::SnapshotOptions::new()
        .output_path(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots"))
        .threshold(PIXEL_THRESHOLD)
        .max_failed_pixels(MAX_FAILED_PIXELS);
    egui_kittest::image_snapshot_options(&image, name, &options);
}

/// The app sets its zoom during a frame and egui applies it from the next one: step until it
/// is in effect (a frame that settles at once would otherwise render unzoomed).
pub fn apply_zoom(h: &mut Harness<'_, BitlensApp>) {
    let zoom = h.state().state.zoom.unwrap_or(1.0);
    for _ in 0..4 {
        if (h.ctx.pixels_per_point() - zoom).abs() < 1e-3 {
            return;
        }
        h.step();
    }
}
