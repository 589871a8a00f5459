//! The app's keyboard shortcuts in one table ([`SHORTCUTS`]), the F1 overlay that lists them,
//! and quitting: Ctrl+Q (or the window's close button) quits at once when nothing runs and asks
//! first while jobs run.

use super::i18n::{Lang, tr};

/// Every shortcut: the keys as shown, and the translation key of what it does. The F1 overlay
/// lists exactly this table; the handlers live where the keys are consumed (the shell, the
/// lessons, the Formats lab).
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("F1", "keys.help"),
    ("Ctrl+Q", "keys.quit"),
    ("Ctrl+L", "keys.lang"),
    ("F5", "keys.presentation"),
    ("Ctrl + / Ctrl − / Ctrl 0", "keys.zoom"),
    ("PageUp / PageDown", "keys.lessons"),
    ("↑ ↓ ← →", "keys.step"),
    ("Enter", "keys.enter"),
    ("Esc", "keys.close"),
];

/// Where quitting stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quit {
    /// Not asked.
    #[default]
    No,
    /// Asked while jobs run: the dialog is open.
    Asking,
    /// Confirmed (or nothing ran): the window is closing.
    Confirmed,
}

/// The shell's overlays: the shortcut list and the quit question.
#[derive(Debug, Default)]
pub struct Overlays {
    pub help_open: bool,
    pub quit: Quit,
}

impl Overlays {
    /// F1 toggles the list, Esc closes whatever is open, Ctrl+Q asks to quit. `busy`: jobs run.
    pub fn handle_keys(&mut self, ctx: &egui::Context, busy: bool) {
        let (f1, esc, quit) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::F1),
                i.key_pressed(egui::Key::Escape),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::Q),
            )
        });
        if f1 {
            self.help_open = !self.help_open;
        }
        if esc {
            self.help_open = false;
            if self.quit == Quit::Asking {
                self.quit = Quit::No;
            }
        }
        // The window's close button goes the same way as Ctrl+Q.
        let close_button = ctx.input(|i| i.viewport().close_requested());
        if close_button && self.quit != Quit::Confirmed && busy {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        if quit || close_button {
            self.request_quit(ctx, busy);
        }
    }

    fn request_quit(&mut self, ctx: &egui::Context, busy: bool) {
        if self.quit == Quit::Confirmed {
            return;
        }
        if busy {
            self.quit = Quit::Asking;
        } else {
            self.confirm_quit(ctx);
        }
    }

    fn confirm_quit(&mut self, ctx: &egui::Context) {
        self.quit = Quit::Confirmed;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    /// Draw the open overlays. `running`: the jobs that run, as the status line names them.
    pub fn show(&mut self, ctx: &egui::Context, lang: Lang, running: &[String]) {
        if self.help_open {
            let modal = egui::Modal::new(egui::Id::unique("shortcuts")).show(ctx, |ui| {
                ui.heading(tr(lang, "keys.title"));
                egui::Grid::new("shortcut_table")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (keys, what) in SHORTCUTS {
                            ui.monospace(*keys);
                            ui.label(tr(lang, what));
                            ui.end_row();
                        }
                    });
                ui.add_space(6.0);
                ui.button(tr(lang, "keys.close_button")).clicked()
            });
            if modal.inner || modal.should_close() {
                self.help_open = false;
            }
        }
        if self.quit == Quit::Asking {
            let modal = egui::Modal::new(egui::Id::unique("quit")).show(ctx, |ui| {
                ui.heading(tr(lang, "quit.title"));
                ui.label(tr(lang, "quit.running"));
                for job in running {
                    ui.label(format!("• {job}"));
                }
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    let quit = ui.button(tr(lang, "quit.quit")).clicked();
                    let stay = ui.button(tr(lang, "quit.stay")).clicked();
                    (quit, stay)
                })
                .inner
            });
            let (quit, stay) = modal.inner;
            if quit {
                self.confirm_quit(ctx);
            } else if stay || modal.should_close() {
                self.quit = Quit::No;
            }
        }
    }
}
