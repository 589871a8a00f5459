//! The Trade-off panel: a live accuracy-vs-size plot fed by the engine. Sweeps stream their
//! points as they are measured (progress, cancel); the Pareto front is drawn when the sweep
//! ends; the weights view's current setting is a highlighted point; per-layer sensitivity and a
//! mixed-precision assignment under a size budget; exports.

mod export;
mod fidelity_view;
mod scatter;
mod sensitivity_view;

use serde::{Deserialize, Serialize};

use crate::compress::scheme::Granularity;
use crate::engine::{Budget, SensitivitySpec, sweeps};
use crate::engine::{ExportFormat, FileContent};
use crate::ui::i18n::{Lang, tr};
use crate::ui::registry::{Panel, PanelContext, PanelId};
use crate::ui::workspace::{AppCommand, SweepState};

/// Which sweep the Run button starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SweepChoice {
    #[default]
    Lecture,
    Formats,
    /// int bits × sparsities × sym/asym × tensor/channel, from the text fields.
    Grid,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct TradeOffPanel {
    pub sweep: SweepChoice,
    pub bits_text: String,
    pub sparsity_text: String,
    pub x_bits_per_weight: bool,
    /// A log x axis; `None`: log when the sweep's sizes span more than 10×.
    pub log_x: Option<bool>,
    pub sensitivity_bits: u8,
    pub budget_bpw: f64,
    pub export_prefix: String,
    /// The layout "Export model" writes.
    pub export_format: ExportFormat,
    #[serde(skip)]
    export_dialog: crate::ui::file_dialog::DialogSlot,
}

impl Default for TradeOffPanel {
    fn default() -> Self {
        Self {
            sweep: SweepChoice::Lecture,
            bits_text: "8, 4, 3, 2".to_owned(),
            sparsity_text: "0, 0.5, 0.8".to_owned(),
            x_bits_per_weight: false,
            log_x: None,
            sensitivity_bits: 2,
            budget_bpw: 4.0,
            export_prefix: "bitlens-sweep".to_owned(),
            export_format: ExportFormat::default(),
            export_dialog: Default::default(),
        }
    }
}

impl TradeOffPanel {
    /// Whether the x axis is logarithmic: as chosen, else when the sweep's sizes span more
    /// than 10×.
    pub fn log_x(&self, sweep: &crate::ui::workspace::SweepState) -> bool {
        self.log_x.unwrap_or_else(|| {
            let sizes = sweep.points.iter().map(|p| p.size_bytes as f64);
            let (lo, hi) = sizes.fold((f64::INFINITY, 0.0f64), |(lo, hi), s| {
                (lo.min(s), hi.max(s))
            });
            lo > 0.0 && hi > 10.0 * lo
        })
    }
}

/// Parse a comma-separated list, naming the bad entry.
fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, String> {
    text.split([',', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse::<T>()
                .map_err(|_| format!("{what}: {s:?} is not a number"))
        })
        .collect()
}

impl TradeOffPanel {
    /// The configs of the chosen sweep, or why the grid fields are not understood.
    pub fn configs(&self) -> Result<Vec<crate::engine::Config>, String> {
        match self.sweep {
            SweepChoice::Lecture => Ok(sweeps::Preset::Lecture.configs()),
            SweepChoice::Formats => Ok(sweeps::Preset::Formats.configs()),
            SweepChoice::Grid => {
                // Parsed wide, so 999 is "outside 1…16" rather than "not a number".
                let wide: Vec<i64> = parse_list(&self.bits_text, "bits")?;
                if let Some(b) = wide.iter().find(|b| !(1..=16).contains(*b)) {
                    return Err(format!("bits: {b} is outside 1…16"));
                }
                let bits: Vec<u8> = wide.iter().filter_map(|&b| u8::try_from(b).ok()).collect();
                let sparsities: Vec<f64> = parse_list(&self.sparsity_text, "sparsity")?;
                if let Some(s) = sparsities.iter().find(|s| !(0.0..1.0).contains(*s)) {
                    return Err(format!("sparsity: {s} is outside [0, 1)"));
                }
                Ok(sweeps::grid(
                    &bits,
                    &sparsities,
                    &[true, false],
                    &[Granularity::Tensor, Granularity::Channel { axis: 0 }],
                ))
            }
        }
    }

    /// The sweep choice and its Run button, progress; then the x-axis choice and timings.
    fn sweep_row_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        ui.horizontal_wrapped(|ui| {
            self.sweep_choice_ui(ui, lang);
            self.run_button_ui(ui, cx);
            progress_ui(ui, cx);
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(tr(lang, "tr.x_axis"));
            ui.selectable_value(&mut self.x_bits_per_weight, false, tr(lang, "tr.x_mb"));
            ui.selectable_value(&mut self.x_bits_per_weight, true, tr(lang, "tr.x_bpw"));
            let mut log = self.log_x(&cx.workspace.sweep);
            if ui.checkbox(&mut log, tr(lang, "tr.log_x")).changed() {
                self.log_x = Some(log);
            }
            timings_ui(ui, &cx.workspace.sweep, lang);
        });
    }

    /// Lecture, formats or a custom grid (its bits and sparsities typed in).
    fn sweep_choice_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.label(tr(lang, "tr.sweep"));
        for (choice, key) in [
            (SweepChoice::Lecture, "tr.preset_lecture"),
            (SweepChoice::Formats, "tr.preset_formats"),
            (SweepChoice::Grid, "tr.grid"),
        ] {
            ui.selectable_value(&mut self.sweep, choice, tr(lang, key));
        }
        if self.sweep == SweepChoice::Grid {
            ui.label(tr(lang, "tr.bits"));
            let r = ui.add(egui::TextEdit::singleline(&mut self.bits_text).desired_width(90.0));
            r.widget_info(|| {
                egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "sweep bits")
            });
            ui.label(tr(lang, "tr.sparsities"));
            let r =
                ui.add(egui::TextEdit::singleline(&mut self.sparsity_text).desired_width(110.0));
            r.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::accesskit::Role::TextInput,
                    true,
                    "sweep sparsities",
                )
            });
        }
    }

    /// Run the chosen sweep (a model whose accuracy is measured also gets the
    /// weight-activation family), or why its typed grid is not valid.
    fn run_button_ui(&self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        let mut configs = self.configs();
        let accuracy = (cx.workspace.loaded.as_ref()).is_some_and(|m| m.measures_accuracy());
        if let (Ok(list), true, SweepChoice::Lecture) = (&mut configs, accuracy, self.sweep) {
            list.extend(sweeps::weight_activation_configs());
        }
        match &configs {
            Ok(list) => {
                if ui
                    .button(format!("{} ({})", tr(lang, "tr.run"), list.len()))
                    .clicked()
                {
                    cx.commands.push(AppCommand::Sweep(list.clone()));
                }
            }
            Err(e) => {
                ui.colored_label(crate::ui::theme::warn(cx.env.dark), e);
            }
        }
    }

    fn export_row_ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &mut PanelContext<'_>,
        plot_rect: egui::Rect,
    ) {
        let lang = cx.env.lang;
        ui.horizontal_wrapped(|ui| {
            crate::ui::export_path::target_ui(
                ui,
                &mut self.export_prefix,
                &mut self.export_dialog,
                lang,
                "sweep export path",
            );
            let target =
                |suffix: &str| crate::ui::export_path::export_path(&self.export_prefix, suffix);
            let sweep = &cx.workspace.sweep;
            let has_points = !sweep.points.is_empty();
            if ui
                .add_enabled(has_points, egui::Button::new("CSV"))
                .clicked()
            {
                match target(".csv") {
                    Ok(path) => {
                        let content = FileContent::Bytes(export::sweep_csv(sweep).into_bytes());
                        cx.commands.push(AppCommand::WriteFile { path, content });
                    }
                    Err(e) => cx.status = Some(e),
                }
            }
            if ui
                .add_enabled(has_points, egui::Button::new("JSON"))
                .clicked()
            {
                match target(".json") {
                    Ok(path) => {
                        let content = FileContent::Bytes(export::sweep_json(sweep).into_bytes());
                        cx.commands.push(AppCommand::WriteFile { path, content });
                    }
                    Err(e) => cx.status = Some(e),
                }
            }
            if ui
                .add_enabled(has_points, egui::Button::new("PNG"))
                .clicked()
            {
                match target(".png") {
                    Ok(path) => {
                        crate::ui::screenshot::export_region(ui.ctx(), plot_rect, path, cx.later);
                    }
                    Err(e) => cx.status = Some(e),
                }
            }
            let chosen = export::chosen(cx.workspace);
            let can_export = chosen.is_some() && cx.workspace.loaded.is_some();
            export::format_choice_ui(ui, &mut self.export_format, lang);
            if ui
                .add_enabled(can_export, egui::Button::new(tr(lang, "tr.export_model")))
                .clicked()
                && let Some(config) = chosen
            {
                // The engine compresses and writes tensor by tensor (progress in the status line).
                let format = self.export_format;
                match target(export::model_suffix(format)) {
                    Ok(path) => cx.commands.push(AppCommand::ExportModel {
                        config,
                        path,
                        format,
                    }),
                    Err(e) => cx.status = Some(e),
                }
            }
        });
    }
}

/// The running sweep's or sensitivity scan's progress, with Cancel. A model read from its
/// file sweeps in one pass over its tensors: progress counts tensors there, configs otherwise
/// (and layers for sensitivity).
fn progress_ui(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    let lang = cx.env.lang;
    let sweep = &cx.workspace.sweep;
    let Some((done, total)) = sweep.progress.or(cx.workspace.sensitivity.progress) else {
        return;
    };
    let unit = match (sweep.progress.is_some(), &cx.workspace.loaded) {
        (false, _) => tr(lang, "tr.unit_layers"),
        (true, Some(m)) if !m.is_resident() => tr(lang, "tr.unit_tensors"),
        (true, _) => tr(lang, "tr.unit_configs"),
    };
    ui.add(
        egui::ProgressBar::new(done as f32 / total.max(1) as f32)
            .desired_width(200.0)
            .text(format!("{done}/{total} {unit}")),
    );
    if ui.button(tr(lang, "model.cancel")).clicked() {
        cx.commands.push(AppCommand::CancelSweep);
    }
}

/// How fast the points came (shown only when they were seen streaming in, not for an inline
/// engine), and the configs that failed (their reasons on hover).
fn timings_ui(ui: &mut egui::Ui, sweep: &SweepState, lang: Lang) {
    if let (Some(first), Some(total)) = (sweep.first_point_s, sweep.total_s)
        && first < 0.9 * total
    {
        ui.weak(format!(
            "{}: {} · {:.0} ms {} · {:.2} s {}",
            tr(lang, "tr.timing"),
            sweep.points.len(),
            first * 1000.0,
            tr(lang, "tr.first_point"),
            total,
            tr(lang, "tr.in_all")
        ));
    }
    if !sweep.failed.is_empty() {
        ui.weak(format!("{} {}", sweep.failed.len(), tr(lang, "tr.failed")))
            .on_hover_text(
                sweep
                    .failed
                    .iter()
                    .map(|(l, m)| format!("{l}: {m}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
    }
}

/// Points below the trade-off plot: the current-setting line, the separator and the export row.
const PLOT_BELOW: f32 = 96.0;

impl Panel for TradeOffPanel {
    fn id(&self) -> PanelId {
        PanelId::TradeOff
    }

    fn panel_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let env = cx.env;
        self.sweep_row_ui(ui, cx);
        let x = scatter::XAxis {
            bits_per_weight: self.x_bits_per_weight,
            log: self.log_x(&cx.workspace.sweep),
        };
        let mut plot_rect = ui.max_rect();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(ui.available_width() * 0.62);
                if cx.workspace.sweep.points.is_empty() {
                    ui.weak(tr(env.lang, "tr.empty"));
                }
                // Fits the window with the current-setting line and the export row below
                // (a projector at 1024×768 in Presentation mode included).
                let fit = scatter::Fit {
                    max: 430.0,
                    below: PLOT_BELOW,
                };
                let response = ui.scope(|ui| scatter::scatter_ui(ui, cx.workspace, x, env, fit));
                plot_rect = response.response.rect;
                if let Some(point) = response.inner {
                    cx.commands
                        .push(AppCommand::ApplyConfig(point.config.clone()));
                }
                if let Some(current) = &cx.workspace.current_point {
                    ui.label(format!(
                        "{}: {}",
                        tr(env.lang, "tr.current"),
                        crate::ui::i18n_core::point_label(env.lang, current)
                    ));
                }
            });
            ui.vertical(|ui| {
                fidelity_view::sqnr_vs_fidelity_ui(ui, &cx.workspace.sweep, env, 200.0);
                sensitivity_view::sensitivity_ui(
                    ui,
                    cx,
                    &mut self.sensitivity_bits,
                    &mut self.budget_bpw,
                );
            });
        });
        ui.separator();
        self.export_row_ui(ui, cx, plot_rect);
    }
}

/// The spec of a sensitivity run at `bits` with a bits-per-weight budget.
pub fn sensitivity_spec(bits: u8, budget_bpw: f64) -> SensitivitySpec {
    SensitivitySpec::int_bits(bits, Some(Budget::BitsPerWeight(budget_bpw)))
}
