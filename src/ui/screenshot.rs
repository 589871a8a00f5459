//! `bitlens --screenshot PATH`: render a few frames in a real window, save the window as a
//! PNG, then close the app. The exit status says whether the file was written.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Frames to wait before capturing, so fonts, layout and plots have settled.
const SETTLE_FRAMES: u32 = 5;
/// Frames to wait for background jobs at most (about 10 s).
const MAX_WAIT_FRAMES: u32 = 1000;

pub struct ScreenshotJob {
    path: PathBuf,
    frames: u32,
    requested: bool,
    result: ScreenshotOutcome,
}

/// What the screenshot mode ended with; read by `run_native` after the window closed.
pub type ScreenshotOutcome = Arc<Mutex<Option<Result<(), String>>>>;

impl ScreenshotJob {
    pub fn new(path: PathBuf, result: ScreenshotOutcome) -> Self {
        Self {
            path,
            frames: 0,
            requested: false,
            result,
        }
    }

    /// Call once per frame; `busy` while background jobs (opening a model, statistics) still
    /// run, so the picture shows their results (waiting at most [`MAX_WAIT_FRAMES`]).
    pub fn step(&mut self, ctx: &egui::Context, busy: bool) {
        self.frames += 1;
        ctx.request_repaint();
        if busy && self.frames < MAX_WAIT_FRAMES {
            std::thread::sleep(std::time::Duration::from_millis(10));
            return;
        }
        if self.frames >= SETTLE_FRAMES && !self.requested {
            self.requested = true;
            let path = self.path.clone();
            let result = Arc::clone(&self.result);
            let repaint = ctx.clone();
            ctx.request_screenshot(move |image: Arc<egui::ColorImage>| {
                let saved = save_png(&path, &image);
                *result
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(saved);
                repaint.request_repaint();
            });
        }
        let done = self.result.lock().map_or(true, |r| r.is_some());
        if done {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

/// Save an egui image as PNG, naming the file in any error.
/// Save `rect` of the next rendered frame as a PNG at `path`: the picture goes to the engine
/// (a [`crate::engine::Request::WriteFile`]) through `later`, which the next frame applies.
pub fn export_region(
    ctx: &egui::Context,
    rect: egui::Rect,
    path: PathBuf,
    later: &crate::ui::workspace::Later,
) {
    let pixels_per_point = ctx.pixels_per_point();
    let (later, repaint) = (later.clone(), ctx.clone());
    ctx.request_screenshot(move |image: Arc<egui::ColorImage>| {
        let crop = image.region(&rect, Some(pixels_per_point));
        let content = crate::engine::FileContent::Rgba {
            size: crop.size,
            pixels: crop.as_raw().to_vec(),
        };
        later.push(crate::ui::workspace::AppCommand::WriteFile { path, content });
        repaint.request_repaint();
    });
}

pub fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> Result<(), String> {
    let [w, h] = image.size;
    let rgba = image::RgbaImage::from_raw(w as u32, h as u32, image.as_raw().to_vec()).ok_or_else(
        || {
            format!(
                "{}: screenshot has an inconsistent size {w}x{h}",
                path.display()
            )
        },
    )?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    rgba.save(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}
