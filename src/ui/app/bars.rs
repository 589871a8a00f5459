//! The shell's two bars: the top bar (panel tabs, view controls) and the status line (what
//! runs, the last message, the frame time).

use super::BitlensApp;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelId;
use crate::ui::theme;

impl BitlensApp {
    /// Panel tabs on the left, view controls on the right; when the window is too narrow for
    /// both on one row the controls wrap to a second row (they never cover the tabs).
    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        let lang = self.state.lang;
        ui.horizontal_wrapped(|ui| {
            ui.heading("bitlens");
            ui.separator();
            for &panel in PanelId::ALL {
                let on = self.state.panel == panel;
                if ui
                    .selectable_label(on, tr(lang, panel.title_key()))
                    .clicked()
                {
                    self.state.panel = panel;
                }
            }
            // Right-align the controls by the width they took last frame, if they fit.
            // (Unknown on the first frame: no gap. The slack keeps rounding from wrapping them.)
            let gap = ui.available_size_before_wrap().x - self.top_controls_width - 4.0;
            if self.top_controls_width > 0.0 && gap > 0.0 {
                ui.add_space(gap);
            }
            let used = self.top_controls_ui(ui);
            self.top_controls_width = used.width() + ui.spacing().item_spacing.x;
        });
    }

    /// Zoom, Presentation, language, theme and the shortcut list; returns the area they took.
    fn top_controls_ui(&mut self, ui: &mut egui::Ui) -> egui::Rect {
        let lang = self.state.lang;
        let zoom = self.state.zoom.unwrap_or(1.0);
        let minus = ui.small_button("−").on_hover_text("Ctrl −");
        if minus.clicked() {
            self.state.zoom = Some(theme::step_zoom(zoom, false));
        }
        let mut used = minus.rect;
        used |= ui.label(format!("{:.0} %", zoom * 100.0)).rect;
        let plus = ui.small_button("+").on_hover_text("Ctrl +");
        if plus.clicked() {
            self.state.zoom = Some(theme::step_zoom(zoom, true));
        }
        let presentation = ui
            .selectable_label(self.state.presentation, tr(lang, "shell.presentation"))
            .on_hover_text(tr(lang, "shell.presentation_hint"));
        if presentation.clicked() {
            self.toggle_presentation();
        }
        let language = ui
            .button(lang.toggled().native_name())
            .on_hover_text(tr(lang, "shell.lang_hint"));
        if language.clicked() {
            self.state.lang = lang.toggled();
        }
        let theme_label = if self.state.light_theme {
            tr(lang, "shell.dark")
        } else {
            tr(lang, "shell.light")
        };
        let theme_button = ui.button(theme_label);
        if theme_button.clicked() {
            self.state.light_theme = !self.state.light_theme;
        }
        let keys = ui.button("F1 ?").on_hover_text(tr(lang, "shell.keys_hint"));
        if keys.clicked() {
            self.overlays.help_open = !self.overlays.help_open;
        }
        for r in [plus, presentation, language, theme_button, keys] {
            used |= r.rect;
        }
        used
    }

    /// What runs in the background, named (shown on every panel; "Ready" only when nothing runs).
    pub(super) fn running_jobs(&self) -> Vec<String> {
        let lang = self.state.lang;
        let ws = &self.workspace;
        let mut out = Vec::new();
        if let Some((done, total)) = ws.sweep.progress {
            out.push(format!("{} {done}/{total}", tr(lang, "shell.sweeping")));
        }
        if let Some((done, total)) = ws.sensitivity.progress {
            out.push(format!("{} {done}/{total}", tr(lang, "shell.sensitivity")));
        }
        if let (true, Some(kind)) = (ws.demo.running, ws.demo.kind) {
            out.push(format!("{} {}", tr(lang, "shell.demo"), kind.name()));
        }
        if let Some((done, total)) = ws.export.progress {
            out.push(format!("{} {done}/{total}", tr(lang, "shell.export")));
        }
        if ws.preview.progress.is_some() {
            out.push(tr(lang, "shell.preview").to_owned());
        }
        out
    }

    /// The status line; `running`: [`Self::running_jobs`] of this frame.
    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui, running: &[String]) {
        let lang = self.state.lang;
        // The frame time is laid out first, on the right; the message takes what is left and
        // ends in "…" when longer (the whole message on hover), never under the readout.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if let Some(p95) = self.frame_times_ms.p95().filter(|_| self.show_frame_time) {
                ui.weak(format!(
                    "{}: {p95:.1} ms (p95)",
                    tr(lang, "shell.frame_time")
                ));
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                if let Some(path) = &self.workspace.opening {
                    ui.spinner();
                    ui.label(format!("{} {}", tr(lang, "shell.opening"), path.display()));
                    ui.separator();
                } else if let Some((done, total)) = self.workspace.stats_progress {
                    ui.spinner();
                    ui.label(format!("{} {done}/{total}", tr(lang, "shell.stats")));
                    ui.separator();
                }
                if !running.is_empty() {
                    ui.spinner();
                    ui.label(running.join(" · "));
                    ui.separator();
                }
                let text = if self.status.is_empty() && running.is_empty() {
                    tr(lang, "shell.ready")
                } else {
                    &self.status
                };
                let r = ui.add(egui::Label::new(text).truncate());
                if r.hovered() && !self.status.is_empty() {
                    r.on_hover_text(&self.status);
                }
            });
        });
    }
}
