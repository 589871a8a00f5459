//! Per-layer sensitivity as a bar chart (accuracy drop when only that layer is compressed) and
//! the mixed-precision assignment under a size budget, applicable in one click.

use std::sync::Arc;

use egui_plot::{Bar, BarChart, Plot};

use crate::engine::{LayerSensitivity, MixedPrecision};
use crate::ui::i18n::{Lang, tr};
use crate::ui::registry::PanelContext;
use crate::ui::workspace::AppCommand;

/// The probe settings and Run, the per-layer bars and figures, the mixed-precision plan.
pub fn sensitivity_ui(
    ui: &mut egui::Ui,
    cx: &mut PanelContext<'_>,
    bits: &mut u8,
    budget_bpw: &mut f64,
) {
    let lang = cx.env.lang;
    ui.strong(tr(lang, "tr.sensitivity"));
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, "tr.probe_bits"));
        let r = ui.add(egui::DragValue::new(bits).range(1..=8));
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::SpinButton, true, "probe bits")
        });
        ui.label(tr(lang, "tr.budget"));
        let r = ui.add(
            egui::DragValue::new(budget_bpw)
                .range(1.0..=32.0)
                .speed(0.05)
                .suffix(" bpw"),
        );
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::SpinButton, true, "budget")
        });
        if ui.button(tr(lang, "tr.run_sensitivity")).clicked() {
            cx.commands
                .push(AppCommand::Sensitivity(super::sensitivity_spec(
                    *bits,
                    *budget_bpw,
                )));
        }
    });
    let scan = &cx.workspace.sensitivity;
    if scan.layers.is_empty() {
        ui.weak(tr(lang, "tr.sensitivity_hint"));
        return;
    }
    layers_ui(ui, &scan.layers, lang);
    if let Some(mixed) = scan.mixed.clone() {
        mixed_ui(ui, &mixed, cx);
    }
}

/// What a layer's bar measures: the accuracy drop (evaluable models), the fidelity drop
/// (models that run), else its share of the weight error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Measure {
    Accuracy,
    Fidelity,
    ErrorShare,
}

/// Each layer's damage as a bar, then as a figure.
fn layers_ui(ui: &mut egui::Ui, layers: &[Arc<LayerSensitivity>], lang: Lang) {
    let measure = if layers.iter().all(|l| l.accuracy_drop.is_some()) {
        Measure::Accuracy
    } else if layers.iter().all(|l| l.fidelity_drop.is_some()) {
        Measure::Fidelity
    } else {
        Measure::ErrorShare
    };
    let bars: Vec<Bar> = layers
        .iter()
        .map(|l| {
            let h = match measure {
                Measure::Accuracy => l.accuracy_drop.unwrap_or(0.0) * 100.0,
                Measure::Fidelity => l.fidelity_drop.unwrap_or(0.0),
                Measure::ErrorShare => l.error_share * 100.0,
            };
            Bar::new(l.index as f64, h).width(0.7).name(&l.tensor)
        })
        .collect();
    let y = tr(
        lang,
        match measure {
            Measure::Accuracy => "tr.drop_pt",
            Measure::Fidelity => "tr.fidelity_drop",
            Measure::ErrorShare => "tr.error_share",
        },
    );
    Plot::new("sensitivity_bars")
        .height(200.0)
        .y_axis_label(y)
        .x_axis_label(tr(lang, "tr.layer"))
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new(y, bars).color(crate::ui::theme::damage_bar()));
        });
    for l in layers {
        let drop = match (l.accuracy_drop, l.fidelity_drop) {
            (Some(d), _) => format!("{:+.2} {}", -d * 100.0, tr(lang, "unit.pt")),
            (None, Some(d)) => format!("{:+.5} · SQNR {:.1} dB", -d, l.sqnr_db),
            (None, None) => format!("SQNR {:.1} dB", l.sqnr_db),
        };
        ui.label(egui::RichText::new(format!("{}: {drop}", l.tensor)).monospace());
    }
}

/// The mixed-precision plan: each tensor's choice, the point it makes, Apply.
fn mixed_ui(ui: &mut egui::Ui, mixed: &MixedPrecision, cx: &mut PanelContext<'_>) {
    let lang = cx.env.lang;
    ui.separator();
    ui.strong(tr(lang, "tr.mixed"));
    for choice in &mixed.choices {
        ui.label(egui::RichText::new(format!("{} → {}", choice.tensor, choice.label)).monospace());
    }
    let p = &mixed.point;
    let acc = p.accuracy.map_or_else(
        || format!("SQNR {:.1} dB", p.sqnr_db),
        |a| format!("{:.2} %", a * 100.0),
    );
    ui.label(format!(
        "{acc} · {:.3} bpw · {:.1} kB ({})",
        p.bits_per_weight,
        p.size_bytes as f64 / 1e3,
        match mixed.search.as_str() {
            "exhaustive" => tr(lang, "tr.search.exhaustive"),
            "greedy" => tr(lang, "tr.search.greedy"),
            other => other,
        }
    ));
    if !mixed.feasible {
        ui.colored_label(
            crate::ui::theme::warn(cx.env.dark),
            tr(lang, "tr.infeasible"),
        );
    }
    if ui.button(tr(lang, "tr.apply_mixed")).clicked() {
        cx.commands.push(AppCommand::ApplyConfig(p.config.clone()));
    }
}
