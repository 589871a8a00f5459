//! The Model panel: open a model file (dialog, typed path, drag-and-drop, recent files), browse
//! its tensors with statistics, see the measured accuracy of evaluable models, and the size
//! calculator.

mod eval_view;
pub mod size_calc;
pub mod table;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ui::file_dialog::{DialogKind, DialogSlot};
use crate::ui::i18n::tr;
use crate::ui::registry::{Panel, PanelContext, PanelId};
use crate::ui::workspace::AppCommand;

/// Recent files kept.
const RECENT_MAX: usize = 8;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelPanel {
    /// Most recent first.
    pub recent: Vec<PathBuf>,
    pub path_text: String,
    /// The tensor table's filter, sort and blocks.
    pub table: table::TableState,
    /// The size calculator's typed parameter count.
    pub params_text: String,
    /// The inputs file typed for a model that runs (sentences, WAV, .npz).
    #[serde(skip)]
    pub inputs_text: String,
    #[serde(skip)]
    dialog: DialogSlot,
    #[serde(skip)]
    inputs_dialog: DialogSlot,
}

impl Default for ModelPanel {
    fn default() -> Self {
        Self {
            recent: Vec::new(),
            path_text: String::new(),
            table: table::TableState::default(),
            params_text: "7B".to_owned(),
            inputs_text: String::new(),
            dialog: DialogSlot::default(),
            inputs_dialog: DialogSlot::default(),
        }
    }
}

impl ModelPanel {
    /// Put `path` first in the recent files.
    pub fn remember(&mut self, path: &std::path::Path) {
        self.recent.retain(|p| p != path);
        self.recent.insert(0, path.to_path_buf());
        self.recent.truncate(RECENT_MAX);
    }

    /// What a model that runs is run on: a typed inputs file, or the bundled probe set.
    fn inputs_row_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        ui.horizontal_wrapped(|ui| {
            ui.label(tr(lang, "model.run.inputs_file"));
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.inputs_text)
                    .hint_text(tr(lang, "model.run.inputs_hint"))
                    .desired_width(320.0),
            );
            r.widget_info(|| {
                egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "inputs path")
            });
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button(tr(lang, "model.run.use_inputs")).clicked() || enter)
                && !self.inputs_text.trim().is_empty()
            {
                let path = PathBuf::from(self.inputs_text.trim());
                cx.commands.push(AppCommand::SetInputs(Some(path)));
            }
            if ui
                .add_enabled(
                    !self.inputs_dialog.is_open(),
                    egui::Button::new(tr(lang, "model.run.pick_inputs")),
                )
                .clicked()
            {
                self.inputs_dialog.start(ui.ctx(), DialogKind::Inputs);
            }
            if ui.button(tr(lang, "model.run.bundled")).clicked() {
                cx.commands.push(AppCommand::SetInputs(None));
            }
        });
        match self.inputs_dialog.poll() {
            Some(Some(path)) => {
                self.inputs_text = path.display().to_string();
                cx.commands.push(AppCommand::SetInputs(Some(path)));
            }
            Some(None) => cx.status = Some(tr(lang, "model.dialog_none").to_owned()),
            None => {}
        }
    }

    fn open_row_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        ui.horizontal_wrapped(|ui| {
            let waiting = self.dialog.is_open();
            if ui
                .add_enabled(!waiting, egui::Button::new(tr(lang, "model.open")))
                .clicked()
            {
                self.dialog.start(ui.ctx(), DialogKind::Model);
            }
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.path_text)
                    .hint_text(tr(lang, "model.path_hint"))
                    .desired_width(360.0),
            );
            r.widget_info(|| {
                egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "model path")
            });
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button(tr(lang, "model.open_path")).clicked() || enter)
                && !self.path_text.trim().is_empty()
            {
                cx.commands
                    .push(AppCommand::OpenModel(PathBuf::from(self.path_text.trim())));
            }
            if ui.button(tr(lang, "model.builtin")).clicked() {
                cx.commands.push(AppCommand::UseBuiltin);
            }
            if !self.recent.is_empty() {
                egui::ComboBox::from_id_salt("recent_files")
                    .selected_text(tr(lang, "model.recent"))
                    .show_ui(ui, |ui| {
                        for path in &self.recent {
                            if ui
                                .selectable_label(false, path.display().to_string())
                                .clicked()
                            {
                                cx.commands.push(AppCommand::OpenModel(path.clone()));
                            }
                        }
                    })
                    .response
                    .widget_info(|| {
                        egui::WidgetInfo::labeled(
                            egui::accesskit::Role::ComboBox,
                            true,
                            "recent files",
                        )
                    });
            }
        });
        ui.weak(tr(lang, "model.drop_hint"));
        match self.dialog.poll() {
            Some(Some(path)) => {
                self.path_text = path.display().to_string();
                cx.commands.push(AppCommand::OpenModel(path));
            }
            Some(None) => cx.status = Some(tr(lang, "model.dialog_none").to_owned()),
            None => {}
        }
    }
}

impl Panel for ModelPanel {
    fn id(&self) -> PanelId {
        PanelId::Model
    }

    fn panel_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        self.open_row_ui(ui, cx);
        ui.separator();
        let model = std::sync::Arc::clone(&cx.workspace.model);
        ui.horizontal_wrapped(|ui| {
            let builtin = model.format == crate::model::FileFormat::Builtin;
            ui.heading(if builtin {
                tr(lang, "model.builtin")
            } else {
                model.label()
            });
            ui.label(format!(
                "{}{} {}",
                if builtin {
                    String::new()
                } else {
                    format!("{} · ", model.format.name())
                },
                model.tensors.len(),
                tr(lang, "model.tensors")
            ));
            if let Some((done, total)) = cx.workspace.stats_progress {
                ui.add(
                    egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                        .desired_width(160.0)
                        .text(format!("{} {done}/{total}", tr(lang, "shell.stats"))),
                );
                if ui.small_button(tr(lang, "model.cancel")).clicked() {
                    cx.commands.push(AppCommand::CancelStats);
                }
            }
        });
        if model.files.len() > 1 {
            ui.label(format!(
                "{} {}",
                model.files.len(),
                tr(lang, "model.shards")
            ));
        }
        if let Some(set) = &model.whole_set {
            ui.horizontal_wrapped(|ui| {
                ui.label(tr(lang, "model.one_shard"));
                if ui.button(tr(lang, "model.open_whole_set")).clicked() {
                    cx.commands.push(AppCommand::OpenModel(set.clone()));
                }
            });
        }
        ui.add_space(4.0);
        egui::CollapsingHeader::new(tr(lang, "model.section.tensors"))
            .id_salt("tensors")
            .default_open(true)
            .show(ui, |ui| {
                table::table_ui(ui, cx, &mut self.table);
            });
        egui::CollapsingHeader::new(tr(lang, "model.section.eval"))
            .id_salt("eval")
            .default_open(true)
            .show(ui, |ui| {
                if crate::run::has_runner(model.format) {
                    self.inputs_row_ui(ui, cx);
                }
                eval_view::eval_ui(ui, &cx.workspace.eval, cx.env);
            });
        egui::CollapsingHeader::new(tr(lang, "model.section.size"))
            .id_salt("size")
            .default_open(true)
            .show(ui, |ui| {
                size_calc::size_calc_ui(ui, model.n_params(), &mut self.params_text, cx.env);
            });
    }
}
