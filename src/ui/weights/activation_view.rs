//! The Weights view's weight-activation section (models whose accuracy is measured): the
//! measured accuracy of the setting's weights with f32, int8 and fp8 E4M3 activations side by
//! side, and each layer input's values on the calibration batch with the per-tensor clip range
//! (±absmax) both activation scales are set from.

use egui_plot::{Bar, BarChart, Legend, LineStyle, Plot, VLine};

use crate::engine::ActBits;
use crate::ui::formats::short_f32;
use crate::ui::i18n::{Lang, fill, tr};
use crate::ui::registry::PanelEnv;
use crate::ui::theme;
use crate::ui::workspace::Workspace;

fn act_key(act: Option<ActBits>) -> &'static str {
    match act {
        None => "w.act.weights_only",
        Some(ActBits::Int8) => "w.act.int8",
        Some(ActBits::Fp8E4m3) => "w.act.fp8",
    }
}

/// The section: accuracy row, layer choice, the chosen layer input's histogram.
pub fn activations_ui(ui: &mut egui::Ui, ws: &Workspace, layer: &mut usize, env: PanelEnv) {
    let lang = env.lang;
    let study = match &ws.preview.activations {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr(lang, "w.computing"));
            });
            return;
        }
        Some(Err(e)) => {
            ui.colored_label(theme::warn(env.dark), e);
            return;
        }
        Some(Ok(study)) => study,
    };
    let rows = study.ranges.calibration_rows.to_string();
    ui.weak(fill(tr(lang, "w.act.title_n"), &[&rows]));
    accuracy_ui(ui, study, lang);
    let n = study.ranges.layers.len();
    if n == 0 {
        return;
    }
    *layer = (*layer).min(n - 1);
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, "w.act.layer"));
        for k in 0..n {
            let name = fill(tr(lang, "w.act.input_of"), &[&(k + 1).to_string()]);
            ui.selectable_value(layer, k, name);
        }
    });
    let r = &study.ranges.layers[*layer];
    let zeros = format!("{:.1}", 100.0 * r.zero_fraction);
    ui.label(fill(
        tr(lang, "w.act.range"),
        &[
            &short_f32(r.min),
            &short_f32(r.max),
            &short_f32(r.absmax),
            &zeros,
        ],
    ));
    ui.label(fill(
        tr(lang, "w.act.scales"),
        &[&short_f32(r.absmax / 127.0), &short_f32(r.absmax / 448.0)],
    ));
    if r.min >= 0.0 {
        ui.colored_label(theme::warn(env.dark), tr(lang, "w.act.one_sided"));
    }
    histogram_ui(ui, r, env);
}

fn accuracy_ui(ui: &mut egui::Ui, study: &crate::engine::ActivationStudy, lang: Lang) {
    let weights_only = study
        .accuracy
        .iter()
        .find(|(a, _)| a.is_none())
        .map(|p| p.1);
    egui::Grid::new("w_act_accuracy")
        .striped(true)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            ui.strong(tr(lang, "w.act.measured"));
            for (act, _) in &study.accuracy {
                ui.strong(tr(lang, act_key(*act)));
            }
            ui.end_row();
            ui.label(crate::ui::i18n_core::config_label(
                lang,
                &study.config,
                &study.label,
            ));
            for (act, accuracy) in &study.accuracy {
                let mut text = format!("{:.1} %", 100.0 * accuracy);
                if let (Some(_), Some(w)) = (act, weights_only) {
                    let d = 100.0 * (accuracy - w);
                    let sign = if d < 0.0 { '\u{2212}' } else { '+' };
                    let pt = tr(lang, "unit.pt");
                    text.push_str(&format!(" ({sign}{:.1} {pt})", d.abs()));
                }
                ui.monospace(text);
            }
            ui.end_row();
        });
}

/// The layer input's values (log counts) with the clip range ±absmax.
fn histogram_ui(ui: &mut egui::Ui, r: &crate::eval::ActRange, env: PanelEnv) {
    let lang = env.lang;
    let bins = r.histogram.len().max(1);
    let width = f64::from(r.max - r.min).max(f64::EPSILON) / bins as f64;
    let color = theme::histogram_before(env.dark);
    let bars: Vec<Bar> = r
        .histogram
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &c)| {
            let x = f64::from(r.min) + (i as f64 + 0.5) * width;
            Bar::new(x, (1.0 + f64::from(c)).log10())
                .width(width)
                .fill(color.gamma_multiply(0.6))
                .stroke(egui::Stroke::NONE)
        })
        .collect();
    let a = f64::from(r.absmax);
    Plot::new("w_act_histogram")
        .height(150.0)
        .legend(Legend::default())
        .x_axis_label(tr(lang, "w.act.value"))
        .y_axis_label(tr(lang, "w.count_log"))
        .include_x(-a)
        .include_x(a)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new(tr(lang, "w.act.values"), bars).color(color));
            for x in [-a, a] {
                plot.vline(
                    VLine::new(tr(lang, "w.act.clip"), x)
                        .color(theme::reference_line())
                        .style(LineStyle::dashed_loose()),
                );
            }
        });
}
