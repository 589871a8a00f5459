//! "Weight SQNR vs output fidelity": every measured config of a sweep on a model that runs, with
//! the weights' SQNR across and the model-level fidelity up. Where weight error does not predict
//! the damage (Silero's per-tensor int8: good SQNR, a collapsed detector), it stands out.

use egui_plot::{Plot, PlotPoint, PlotPoints, Points, Text};

use super::scatter::{FAMILIES, family_style};
use crate::engine::Objective;
use crate::ui::i18n::{metric_label, tr};
use crate::ui::registry::PanelEnv;
use crate::ui::workspace::SweepState;

/// Draw the plot when the sweep measures fidelity and has compressed points.
pub fn sqnr_vs_fidelity_ui(ui: &mut egui::Ui, sweep: &SweepState, env: PanelEnv, height: f32) {
    let lang = env.lang;
    let metric = match sweep.objective {
        Some(Objective::Fidelity(m)) => m,
        _ => match sweep.points.iter().find_map(|p| p.fidelity.as_ref()) {
            Some(f) => f.metric,
            None => return,
        },
    };
    let pts: Vec<_> = sweep
        .points
        .iter()
        .filter(|p| p.sqnr_db.is_finite())
        .filter_map(|p| p.fidelity.as_ref().map(|f| (p, [p.sqnr_db, f.value])))
        .collect();
    if pts.len() < 2 {
        return;
    }
    ui.strong(tr(lang, "tr.sqnr_vs_fidelity"));
    ui.weak(format!("y: {}", metric_label(lang, metric)));
    // At most `height`, less when the window is short (a projector at 1024×768).
    let height = height.min(ui.available_height() - 24.0).max(120.0);
    Plot::new("sqnr_vs_fidelity")
        .height(height)
        .x_axis_label(tr(lang, "tr.x_weight_sqnr"))
        .y_axis_label(tr(lang, "tr.y_axis_fidelity"))
        .allow_scroll(false)
        .show(ui, |plot| {
            for family in FAMILIES {
                let (color, shape, key) = family_style(family);
                let xy: Vec<[f64; 2]> = pts
                    .iter()
                    .filter(|(p, _)| p.family == family)
                    .map(|&(_, xy)| xy)
                    .collect();
                if !xy.is_empty() {
                    plot.points(
                        Points::new(tr(lang, key), PlotPoints::from(xy))
                            .shape(shape)
                            .color(color)
                            .filled(true)
                            .radius(4.0),
                    );
                }
            }
            // Name the config with the best weight SQNR among those that lose the most fidelity:
            // the one a weight-only view would have recommended.
            let worst = pts
                .iter()
                .map(|(_, xy)| xy[1])
                .fold(f64::INFINITY, f64::min);
            let misleading = pts
                .iter()
                .filter(|(_, xy)| xy[1] <= worst + 0.05)
                .max_by(|a, b| a.1[0].total_cmp(&b.1[0]));
            if let Some((p, [x, y])) = misleading {
                plot.text(
                    Text::new(
                        "",
                        PlotPoint::new(*x, *y),
                        format!("{}  ", crate::ui::i18n_core::point_label(env.lang, p)),
                    )
                    .anchor(egui::Align2::RIGHT_BOTTOM),
                );
            }
        });
}
