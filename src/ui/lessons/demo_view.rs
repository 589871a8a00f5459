//! The training demos inside the lessons: run in the engine with live accuracy curves (one line
//! per training run, streamed per epoch) and cancel; then the demo's typed report
//! ([`super::demo_report`]): its table, the training-memory chart, its notes.
//!
//! The curves' y-axis fits the data (a toggle shows 0–100 %); the QAT chart draws each bit
//! width's PTQ accuracy as a dashed reference line in the colour of that width's QAT curve.

use egui_plot::{HLine, Legend, Line, LineStyle, Plot, PlotPoints};

use super::{demo_report, demo_text};
use crate::demos::DemoReport;
use crate::engine::DemoKind;
use crate::ui::i18n::{fill, tr};
use crate::ui::registry::PanelContext;
use crate::ui::theme;
use crate::ui::workspace::AppCommand;

fn demo_key(kind: DemoKind) -> &'static str {
    match kind {
        DemoKind::Qat => "ls.demo.qat",
        DemoKind::Distill => "ls.demo.distill",
        DemoKind::Lora => "ls.demo.lora",
        DemoKind::Qlora => "ls.demo.qlora",
        DemoKind::Adapter => "ls.demo.adapter",
        DemoKind::Prompt => "ls.demo.prompt",
    }
}

/// Buttons for `kinds`, the live curves and the last report of one of them.
pub fn demo_ui(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, kinds: &[DemoKind]) {
    let lang = cx.env.lang;
    let ws: &crate::ui::workspace::Workspace = cx.workspace;
    let demo = &ws.demo;
    let full_scale_id = egui::Id::unique("demo_full_scale");
    let mut full_scale = ui.data(|d| d.get_temp::<bool>(full_scale_id).unwrap_or(false));
    ui.horizontal_wrapped(|ui| {
        for &kind in kinds {
            let label = format!("{} {}", tr(lang, "ls.run_demo"), tr(lang, demo_key(kind)));
            if ui
                .add_enabled(!demo.running, egui::Button::new(label))
                .clicked()
            {
                cx.commands.push(AppCommand::RunDemo(kind, None));
            }
        }
        if demo.running {
            ui.spinner();
            if ui.button(tr(lang, "model.cancel")).clicked() {
                cx.commands.push(AppCommand::CancelDemo);
            }
        }
        ui.weak(format!(
            "{} bitlens demo {}",
            tr(lang, "ls.demo_cli"),
            kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("|")
        ));
    });
    let Some(kind) = demo.kind.filter(|k| kinds.contains(k)) else {
        return;
    };
    if let Some(error) = &demo.error {
        ui.colored_label(theme::warn(cx.env.dark), error);
    }
    ui.horizontal(|ui| {
        ui.strong(tr(lang, demo_key(kind)));
        if ui
            .checkbox(&mut full_scale, tr(lang, "ls.full_scale"))
            .changed()
        {
            ui.data_mut(|d| d.insert_temp(full_scale_id, full_scale));
        }
    });
    // PTQ accuracy (%) per QAT curve, in the curves' order (the k-th curve is the k-th row).
    let ptq: Vec<(u8, f64)> = match demo.report.as_deref() {
        Some(DemoReport::Qat(r)) => r
            .rows
            .iter()
            .map(|row| (row.bits, 100.0 * row.ptq_accuracy))
            .collect(),
        _ => Vec::new(),
    };
    let (lo, hi) = y_range(&demo.curves, ptq.iter().map(|p| p.1), full_scale);
    Plot::new("demo_curves")
        .height(200.0)
        .legend(Legend::default())
        .x_axis_label(tr(lang, "ls.epoch"))
        .y_axis_label(tr(lang, "ls.accuracy_axis"))
        .include_y(lo)
        .include_y(hi)
        .allow_scroll(false)
        .show(ui, |plot| {
            for (k, (series, points)) in demo.curves.iter().enumerate() {
                let name = demo_text::label(lang, series);
                let line = Line::new(name, PlotPoints::from(points.clone()));
                plot.line(line.width(2.0).color(theme::series(k)));
            }
            for (k, &(bits, accuracy)) in ptq.iter().enumerate() {
                let name = fill(tr(lang, "ls.ptq_ref"), &[&bits.to_string()]);
                let line = HLine::new(name, accuracy).color(theme::series(k));
                plot.hline(line.style(LineStyle::dashed_loose()).width(1.5));
            }
        });
    if let Some(report) = &demo.report {
        demo_report::report_ui(ui, report, cx);
    }
}

/// The y range of the curves and reference values (percent): fitted with a margin, or 0–100.
fn y_range<L>(
    curves: &[(L, Vec<[f64; 2]>)],
    references: impl Iterator<Item = f64>,
    full_scale: bool,
) -> (f64, f64) {
    if full_scale {
        return (0.0, 100.0);
    }
    let values = curves
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q[1]))
        .chain(references)
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        return (0.0, 100.0);
    }
    let margin = ((hi - lo) * 0.08).max(1.0);
    ((lo - margin).max(0.0), (hi + margin).min(100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curves_axis_fits_the_data_unless_full_scale_is_asked() {
        let curves = vec![("a".to_owned(), vec![[1.0, 90.0], [2.0, 95.0]])];
        let (lo, hi) = y_range(&curves, [36.9].into_iter(), false);
        assert!(
            lo < 36.9 && lo > 30.0 && hi > 95.0 && hi <= 100.0,
            "{lo} {hi}"
        );
        assert_eq!(y_range(&curves, std::iter::empty(), true), (0.0, 100.0));
        assert_eq!(
            y_range::<String>(&[], std::iter::empty(), false),
            (0.0, 100.0)
        );
    }
}
