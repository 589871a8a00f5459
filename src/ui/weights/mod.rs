//! The Weights view: what quantization and pruning do to a model's weight distributions.
//! Controls for every option of the compression core, per-tensor overrides (mixed precision),
//! histograms with the grid, error and per-channel plots, the sparsity mask, and the metrics
//! (and measured accuracy) of the current setting. Every number comes from the engine's
//! preview job; the last picture stays on screen until the next one is ready.

mod compare_view;
pub mod controls;
mod export;
mod heatmap;
pub use export::csv_field;
mod activation_view;
mod mask_view;
mod metrics_view;
mod plots;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::Config;
use crate::ui::i18n::tr;
use crate::ui::registry::{Panel, PanelContext, PanelId};
use crate::ui::workspace::AppCommand;
use controls::SchemeControls;

/// A per-tensor override for mixed precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverrideChoice {
    #[default]
    Global,
    KeepF32,
    /// Symmetric integers of this many bits (the other options as in the global controls).
    Int(u8),
    Bf16,
    Nf4,
    /// Any other scheme (set by applying a config, e.g. a mixed-precision assignment).
    Scheme(usize),
}

impl OverrideChoice {
    const ALL: &'static [OverrideChoice] = &[
        Self::Global,
        Self::KeepF32,
        Self::Int(8),
        Self::Int(4),
        Self::Int(2),
        Self::Bf16,
        Self::Nf4,
    ];

    fn name(self) -> String {
        match self {
            Self::Global => "—".to_owned(),
            Self::KeepF32 => "f32".to_owned(),
            Self::Int(bits) => format!("int{bits}"),
            Self::Bf16 => "bf16".to_owned(),
            Self::Nf4 => "NF4".to_owned(),
            Self::Scheme(_) => "custom".to_owned(),
        }
    }

    /// The override's scheme: the global controls with the target (and bits) replaced.
    fn scheme(
        self,
        global: &SchemeControls,
        custom: &[crate::compress::Scheme],
    ) -> Option<crate::compress::Scheme> {
        let mut c = global.clone();
        match self {
            Self::Global => return None,
            Self::Scheme(i) => return custom.get(i).cloned(),
            Self::KeepF32 => c.target = "none".to_owned(),
            Self::Int(bits) => {
                c.target = "int".to_owned();
                c.bits = bits;
                c.symmetric = true;
            }
            Self::Bf16 => c.target = "bf16".to_owned(),
            Self::Nf4 => c.target = "nf4".to_owned(),
        }
        Some(c.scheme())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct WeightsPanel {
    pub controls: SchemeControls,
    /// Show the whole model pooled instead of the current tensor.
    pub whole_model: bool,
    pub log_y: bool,
    /// Mixed precision: tensor name → override.
    pub overrides: BTreeMap<String, OverrideChoice>,
    /// Where exports go (a path prefix; `.png` and `.csv` are appended).
    pub export_prefix: String,
    /// Schemes of applied configs that no override button describes (`OverrideChoice::Scheme`).
    pub custom_overrides: Vec<crate::compress::Scheme>,
    /// The last request sent (model identity, tensor, config, setting A), to send each change
    /// once.
    #[serde(skip)]
    last_request: Option<(usize, Option<String>, Config, Option<Config>)>,
    #[serde(skip)]
    mask: mask_view::MaskTexture,
    #[serde(skip)]
    export_dialog: crate::ui::file_dialog::DialogSlot,
    /// The layer input the activation view shows.
    pub activation_layer: usize,
    /// The last activation study asked for (model identity, setting).
    #[serde(skip)]
    last_activations: Option<(usize, Config)>,
}

impl Default for WeightsPanel {
    fn default() -> Self {
        Self {
            controls: SchemeControls::default(),
            whole_model: false,
            log_y: false,
            overrides: BTreeMap::new(),
            export_prefix: "bitlens-weights".to_owned(),
            custom_overrides: Vec::new(),
            last_request: None,
            mask: mask_view::MaskTexture::default(),
            export_dialog: Default::default(),
            activation_layer: 0,
            last_activations: None,
        }
    }
}

impl WeightsPanel {
    /// The config the controls and overrides describe.
    pub fn config(&self) -> Config {
        let mut config = Config::new("", self.controls.scheme());
        for (name, choice) in &self.overrides {
            if let Some(scheme) = choice.scheme(&self.controls, &self.custom_overrides) {
                config.overrides.insert(name.clone(), scheme);
            }
        }
        let words = &crate::engine::label::ENGLISH;
        config.label = crate::engine::label::label_in(&config, words).unwrap_or_default();
        config
    }

    /// Show `config` in the controls (from the trade-off plot or a mixed-precision assignment).
    pub fn apply_config(&mut self, config: &Config) -> Result<(), String> {
        let controls = SchemeControls::from_scheme(&config.scheme)?;
        let mut overrides = BTreeMap::new();
        let mut custom = Vec::new();
        for (name, scheme) in &config.overrides {
            let simple = match &scheme.target {
                crate::compress::scheme::Target::Int(spec) if spec.symmetric => {
                    let mut probe = controls.clone();
                    probe.target = "int".to_owned();
                    probe.bits = spec.bits;
                    probe.symmetric = true;
                    (probe.scheme() == *scheme).then_some(OverrideChoice::Int(spec.bits))
                }
                _ => None,
            };
            let choice = simple.unwrap_or_else(|| {
                custom.push(scheme.clone());
                OverrideChoice::Scheme(custom.len() - 1)
            });
            overrides.insert(name.clone(), choice);
        }
        self.controls = controls;
        self.overrides = overrides;
        self.custom_overrides = custom;
        Ok(())
    }

    fn request_preview(&mut self, cx: &mut PanelContext<'_>) {
        let model_key = Arc::as_ptr(&cx.workspace.model) as usize;
        let tensor = if self.whole_model {
            None
        } else {
            cx.workspace.selected_tensor.clone()
        };
        let compare = cx
            .workspace
            .preview
            .pinned
            .as_ref()
            .map(|p| p.config.clone());
        let request = (model_key, tensor.clone(), self.config(), compare.clone());
        if self.last_request.as_ref() != Some(&request) {
            cx.commands.push(AppCommand::Preview {
                tensor,
                config: request.2.clone(),
                compare,
            });
            self.last_request = Some(request);
        }
    }

    fn tensor_row_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        ui.horizontal_wrapped(|ui| {
            ui.label(tr(lang, "w.tensor"));
            let current = cx.workspace.selected_tensor.clone().unwrap_or_default();
            let shown = if self.whole_model {
                tr(lang, "w.whole_model").to_owned()
            } else {
                current.clone()
            };
            egui::ComboBox::from_id_salt("w_tensor")
                .selected_text(shown)
                .width(220.0)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(self.whole_model, tr(lang, "w.whole_model"))
                        .clicked()
                    {
                        self.whole_model = true;
                    }
                    for info in cx.workspace.model.tensors.iter().filter(|t| t.supported) {
                        let on = !self.whole_model && info.name == current;
                        if ui.selectable_label(on, &info.name).clicked() {
                            self.whole_model = false;
                            cx.commands
                                .push(AppCommand::SelectTensor(info.name.clone()));
                        }
                    }
                })
                .response
                .widget_info(|| {
                    egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "tensor")
                });
            ui.checkbox(&mut self.log_y, tr(lang, "w.log_y"));
            self.compare_buttons_ui(ui, cx);
            if let Some((done, total)) = cx.workspace.preview.progress {
                ui.add(
                    egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                        .desired_width(120.0)
                        .animate(true),
                );
            }
        });
    }

    /// Pin the current setting as A, swap A and B, clear A.
    fn compare_buttons_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        if ui.button(tr(lang, "w.pin_a")).clicked() {
            cx.commands.push(AppCommand::Pin(Some(self.config())));
        }
        let Some(a) = cx
            .workspace
            .preview
            .pinned
            .as_ref()
            .map(|p| p.config.clone())
        else {
            return;
        };
        if ui.button(tr(lang, "w.swap_ab")).clicked() {
            // B becomes A (with its measured point), A's setting goes into the controls.
            let b = self.config();
            match self.apply_config(&a) {
                Ok(()) => cx.commands.push(AppCommand::Pin(Some(b))),
                Err(e) => cx.status = Some(e),
            }
        }
        if ui.button(tr(lang, "w.clear_a")).clicked() {
            cx.commands.push(AppCommand::Pin(None));
        }
    }

    /// Weight-activation quantization of the setting, for models whose accuracy is measured:
    /// asks the engine when the setting changes, shows what came back.
    fn activations_section_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let Some(loaded) = cx
            .workspace
            .loaded
            .as_ref()
            .filter(|m| m.measures_accuracy())
        else {
            return;
        };
        let key = (
            Arc::as_ptr(loaded) as usize,
            Config {
                act: None,
                ..self.config()
            },
        );
        if self.last_activations.as_ref() != Some(&key) {
            cx.commands.push(AppCommand::Activations(key.1.clone()));
            self.last_activations = Some(key);
        }
        egui::CollapsingHeader::new(tr(cx.env.lang, "w.act.title"))
            .id_salt("w_activations")
            .show(ui, |ui| {
                activation_view::activations_ui(
                    ui,
                    cx.workspace,
                    &mut self.activation_layer,
                    cx.env,
                );
            });
    }

    /// The layer × kind heat map of the whole-model point, for models with layers.
    fn heatmap_section_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        let Some(point) = cx.workspace.preview.point.clone() else {
            return;
        };
        let Some(grid) = heatmap::grid_of(&point) else {
            return;
        };
        egui::CollapsingHeader::new(tr(lang, "w.heat_title"))
            .id_salt("w_heat")
            .default_open(true)
            .show(ui, |ui| {
                ui.weak(tr(lang, "w.heat_hint"));
                if let Some(name) = heatmap::heatmap_ui(ui, &point, &grid, cx.env) {
                    self.whole_model = false;
                    cx.commands.push(AppCommand::SelectTensor(name));
                }
            });
    }

    fn overrides_ui(&mut self, ui: &mut egui::Ui, cx: &PanelContext<'_>) {
        let lang = cx.env.lang;
        egui::CollapsingHeader::new(tr(lang, "w.mixed"))
            .id_salt("w_mixed")
            .show(ui, |ui| {
                ui.weak(tr(lang, "w.mixed_hint"));
                egui::Grid::new("w_overrides").striped(true).show(ui, |ui| {
                    for info in cx
                        .workspace
                        .model
                        .tensors
                        .iter()
                        .filter(|t| t.supported && t.shape.len() >= 2)
                    {
                        ui.label(egui::RichText::new(&info.name).monospace());
                        let choice = self.overrides.entry(info.name.clone()).or_default();
                        for &option in OverrideChoice::ALL {
                            ui.selectable_value(choice, option, option.name());
                        }
                        if let OverrideChoice::Scheme(_) = choice {
                            ui.label(choice.name());
                        }
                        ui.end_row();
                    }
                });
                self.overrides.retain(|_, c| *c != OverrideChoice::Global);
            });
    }
}

/// Width of the controls column.
const CONTROLS_WIDTH: f32 = 480.0;
/// Narrowest plots column beside the controls; narrower windows stack the plots below.
const MIN_PLOTS_WIDTH: f32 = 380.0;

impl Panel for WeightsPanel {
    fn id(&self) -> PanelId {
        PanelId::Weights
    }

    fn panel_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let env = cx.env;
        let mut plots_rect = ui.max_rect();
        // Plots beside the controls when there is room, below them when narrow (projectors).
        let side_by_side = ui.available_width() >= CONTROLS_WIDTH + 12.0 + MIN_PLOTS_WIDTH;
        let log_y = self.log_y;
        // Narrow (projectors, zoomed): the controls, then the plots, then the figures, so the
        // histogram is on screen right below what changes it.
        let mut controls = |ui: &mut egui::Ui, cx: &mut PanelContext<'_>, figures: bool| {
            ui.vertical(|ui| {
                ui.set_width(CONTROLS_WIDTH.min(ui.available_width()));
                self.tensor_row_ui(ui, cx);
                controls::controls_ui(ui, &mut self.controls, env);
                self.overrides_ui(ui, cx);
                if figures {
                    ui.add_space(6.0);
                    metrics_view::metrics_ui(ui, cx.workspace, env);
                    self.heatmap_section_ui(ui, cx);
                    self.activations_section_ui(ui, cx);
                }
            });
        };
        let plots = |ui: &mut egui::Ui, cx: &PanelContext<'_>, rect: &mut egui::Rect| {
            ui.vertical(|ui| {
                if let Some(error) = &cx.workspace.preview.error {
                    ui.colored_label(crate::ui::theme::warn(env.dark), error);
                }
                match cx.workspace.preview.latest.clone() {
                    Some(preview) => *rect = plots_column_ui(ui, &preview, log_y, env),
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(tr(env.lang, "w.computing"));
                        });
                    }
                }
            });
        };
        if side_by_side {
            ui.horizontal_top(|ui| {
                controls(ui, cx, true);
                ui.add_space(12.0);
                plots(ui, cx, &mut plots_rect);
            });
        } else {
            controls(ui, cx, false);
            ui.separator();
            plots(ui, cx, &mut plots_rect);
            ui.separator();
            metrics_view::metrics_ui(ui, cx.workspace, env);
            self.heatmap_section_ui(ui, cx);
            self.activations_section_ui(ui, cx);
        }
        self.request_preview(cx);
        let Some(preview) = cx.workspace.preview.latest.clone() else {
            return;
        };
        ui.separator();
        ui.strong(tr(env.lang, "w.mask_title"));
        mask_view::mask_ui(ui, &preview, &mut self.mask, env);
        ui.separator();
        let config = self.config();
        export::export_ui(
            ui,
            &mut self.export_prefix,
            &mut self.export_dialog,
            plots_rect,
            cx,
            &config,
        );
    }
}

/// The three plots stacked; returns their rectangle (for the PNG export).
fn plots_column_ui(
    ui: &mut egui::Ui,
    preview: &crate::engine::Preview,
    log_y: bool,
    env: crate::ui::registry::PanelEnv,
) -> egui::Rect {
    ui.scope(|ui| {
        ui.horizontal(|ui| {
            ui.strong(tr(env.lang, "w.hist_title"));
            if preview.sampled.is_some() {
                ui.colored_label(
                    crate::ui::theme::warn(env.dark),
                    tr(env.lang, "w.sampled_short"),
                );
            }
        });
        if let Some(note) = plots::grid_note(preview, env.lang) {
            ui.weak(note);
        }
        plots::histogram_ui(ui, preview, log_y, env, 250.0);
        ui.strong(tr(env.lang, "w.error_title"));
        plots::error_ui(ui, preview, log_y, env, 120.0);
        ui.strong(tr(env.lang, "w.channels_title"));
        plots::channel_ranges_ui(ui, preview, env, 190.0);
    })
    .response
    .rect
}
