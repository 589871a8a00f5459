//! Lesson 7's live widget: the accuracy-vs-sparsity curve of the built-in model, measured by the
//! engine (magnitude pruning 0–90 %, one sweep).

use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use crate::engine::{Family, sweeps};
use crate::ui::i18n::tr;
use crate::ui::registry::PanelContext;
use crate::ui::workspace::AppCommand;

/// Sparsities of the curve.
const SPARSITIES: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9];

/// Draw the curve; measure it once per visit when no pruning points are at hand (`requested`
/// remembers that), and again on the button.
pub fn pruning_curve_ui(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, requested: &mut bool) {
    let lang = cx.env.lang;
    let has_curve = cx
        .workspace
        .sweep
        .points
        .iter()
        .any(|p| p.family == Family::Pruning);
    let mut measure = !has_curve && !*requested && cx.workspace.sweep.progress.is_none();
    ui.horizontal(|ui| {
        measure |= ui.button(tr(lang, "ls.measure_curve")).clicked();
        ui.weak(tr(lang, "ls.curve_hint"));
    });
    if measure {
        *requested = true;
        cx.commands.push(AppCommand::Sweep(
            SPARSITIES
                .iter()
                .map(|&s| sweeps::prune_config(s))
                .collect(),
        ));
    }
    let sweep = &cx.workspace.sweep;
    let mut pts: Vec<[f64; 2]> = sweep
        .points
        .iter()
        .filter(|p| matches!(p.family, Family::Pruning | Family::Baseline))
        .filter_map(|p| p.accuracy.map(|a| [p.metrics.sparsity * 100.0, a * 100.0]))
        .collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]));
    Plot::new("lesson_pruning_curve")
        .height(300.0)
        .legend(Legend::default())
        .x_axis_label(tr(lang, "ls.sparsity_axis"))
        .y_axis_label(tr(lang, "ls.accuracy_axis"))
        .include_x(0.0)
        .include_x(100.0)
        .include_y(0.0)
        .include_y(100.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            if pts.len() > 1 {
                plot.line(
                    Line::new(tr(lang, "w.accuracy"), PlotPoints::from(pts.clone())).width(2.0),
                );
            }
            plot.points(
                Points::new(tr(lang, "w.accuracy"), PlotPoints::from(pts))
                    .radius(4.0)
                    .filled(true),
            );
        });
}
