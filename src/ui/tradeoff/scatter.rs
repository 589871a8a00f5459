//! The accuracy-vs-size scatter: every measured config, the fp32 baseline, the Pareto front as
//! a line, colours and markers by method family, the user's current setting highlighted; hover
//! shows a point's config and metrics, a click applies it to the weights view.

use std::sync::Arc;

use egui::Color32;
use egui_plot::{HLine, Legend, Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points};

use crate::engine::{ConfigPoint, Family, Objective};
use crate::ui::i18n::{Lang, fidelity_text, metric_label, tr};
use crate::ui::i18n_core::point_label;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;
use crate::ui::workspace::{SweepState, Workspace};

/// Sampled points (hollow, each with its ±2σ bar), one legend entry for all of them.
fn estimates_ui(
    plot: &mut egui_plot::PlotUi,
    points: &[&Arc<ConfigPoint>],
    x: XAxis,
    objective: Objective,
    color: Color32,
    shape: MarkerShape,
    lang: Lang,
) {
    let name = tr(lang, "tr.estimate");
    for p in points {
        let (Some([px, py]), Some(e)) = (xy(p, x, objective), p.estimate) else {
            continue;
        };
        if objective == Objective::SqnrDb && e.sqnr_err_db > 0.0 {
            let bar = vec![[px, py - e.sqnr_err_db], [px, py + e.sqnr_err_db]];
            plot.line(
                Line::new(name, PlotPoints::from(bar))
                    .allow_band(false)
                    .color(color)
                    .width(1.5),
            );
        }
        plot.points(
            Points::new(name, PlotPoints::from(vec![[px, py]]))
                .shape(shape)
                .color(color)
                .filled(false)
                .radius(5.0),
        );
    }
}

/// What the x axis shows.
#[derive(Clone, Copy, Debug)]
pub struct XAxis {
    pub bits_per_weight: bool,
    pub log: bool,
}

impl XAxis {
    pub fn value(self, p: &ConfigPoint) -> f64 {
        let v = if self.bits_per_weight {
            p.bits_per_weight
        } else {
            p.size_bytes as f64 / 1e6
        };
        if self.log { v.max(1e-12).log10() } else { v }
    }
}

/// The y value: accuracy in percent when measured, SQNR (dB) otherwise; `None` for an exact
/// point under SQNR (the unchanged model has no finite SQNR, so it is not plotted as one).
pub fn y_value(p: &ConfigPoint, objective: Objective) -> Option<f64> {
    match (objective, p.accuracy, &p.fidelity) {
        (Objective::Accuracy, Some(a), _) => Some(a * 100.0),
        (Objective::Fidelity(_), _, Some(f)) => Some(f.value),
        _ => p.sqnr_db.is_finite().then_some(p.sqnr_db),
    }
}

/// The front as a staircase: from each point across at its quality to the next size, then up.
/// (Only right angles: a polyline through near-vertical and flat segments renders spikes.)
fn staircase(front: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(2 * front.len());
    for (i, &p) in front.iter().enumerate() {
        if i > 0 {
            out.push([p[0], front[i - 1][1]]);
        }
        out.push(p);
    }
    out
}

/// `[x, y]` of a point that has a y value.
fn xy(p: &ConfigPoint, x: XAxis, objective: Objective) -> Option<[f64; 2]> {
    y_value(p, objective).map(|y| [x.value(p), y])
}

pub(super) fn family_style(family: Family) -> (Color32, MarkerShape, &'static str) {
    match family {
        Family::Baseline => (
            theme::family(Family::Baseline),
            MarkerShape::Asterisk,
            "tr.fam.baseline",
        ),
        Family::Int => (
            theme::family(Family::Int),
            MarkerShape::Circle,
            "tr.fam.int",
        ),
        Family::Float => (
            theme::family(Family::Float),
            MarkerShape::Diamond,
            "tr.fam.float",
        ),
        Family::Block => (
            theme::family(Family::Block),
            MarkerShape::Square,
            "tr.fam.block",
        ),
        Family::Pruning => (
            theme::family(Family::Pruning),
            MarkerShape::Down,
            "tr.fam.pruning",
        ),
        Family::Combined => (
            theme::family(Family::Combined),
            MarkerShape::Up,
            "tr.fam.combined",
        ),
        Family::Mixed => (
            theme::family(Family::Mixed),
            MarkerShape::Cross,
            "tr.fam.mixed",
        ),
        Family::WeightActivation => (
            theme::family(Family::WeightActivation),
            MarkerShape::Left,
            "tr.fam.weight_activation",
        ),
    }
}

pub(super) const FAMILIES: [Family; 7] = [
    Family::Baseline,
    Family::Int,
    Family::Float,
    Family::Block,
    Family::Pruning,
    Family::Combined,
    Family::Mixed,
];

/// Draw the scatter. Returns the point the user clicked, if any.
/// The plotted positions of `points`.
fn all_xy(points: &[Arc<ConfigPoint>], x: XAxis, objective: Objective) -> Vec<[f64; 2]> {
    points.iter().filter_map(|p| xy(p, x, objective)).collect()
}

/// The corner of the plot (the box around `bounds`) whose 40 % × 40 % holds the fewest of
/// `points`: where the legend covers nothing, or the least.
pub(super) fn legend_corner(points: &[[f64; 2]], bounds: &[[f64; 2]]) -> egui_plot::Corner {
    use egui_plot::Corner;
    let lo = bounds
        .iter()
        .fold([f64::INFINITY; 2], |m, b| [m[0].min(b[0]), m[1].min(b[1])]);
    let hi = bounds.iter().fold([f64::NEG_INFINITY; 2], |m, b| {
        [m[0].max(b[0]), m[1].max(b[1])]
    });
    let unit = |p: &[f64; 2], k: usize| {
        let span = hi[k] - lo[k];
        if span > 0.0 {
            (p[k] - lo[k]) / span
        } else {
            0.5
        }
    };
    let within = |right: bool, top: bool| {
        points
            .iter()
            .filter(|p| {
                let (u, v) = (unit(p, 0), unit(p, 1));
                (if right { u >= 0.6 } else { u <= 0.4 }) && (if top { v >= 0.6 } else { v <= 0.4 })
            })
            .count()
    };
    [
        (Corner::RightBottom, within(true, false)),
        (Corner::LeftTop, within(false, true)),
        (Corner::RightTop, within(true, true)),
        (Corner::LeftBottom, within(false, false)),
    ]
    .into_iter()
    .min_by_key(|c| c.1)
    .map_or(Corner::RightBottom, |c| c.0)
}

/// How tall the plot is: at most `max`, leaving `below` points of the window under it.
#[derive(Clone, Copy, Debug)]
pub struct Fit {
    pub max: f32,
    pub below: f32,
}

/// What the y axis shows: the sweep's objective, or before a sweep ends, accuracy when the
/// model is evaluable (any measured point says so), its fidelity when it runs, else SQNR.
fn objective_of(ws: &Workspace) -> Objective {
    let first = ws.sweep.points.first().or(ws.current_point.as_ref());
    ws.sweep.objective.unwrap_or(
        match (
            first.and_then(|p| p.accuracy),
            first.and_then(|p| p.fidelity.as_ref()),
        ) {
            (Some(_), _) => Objective::Accuracy,
            (None, Some(f)) => Objective::Fidelity(f.metric),
            (None, None) => Objective::SqnrDb,
        },
    )
}

/// The y quantity in full (the line above the plot) and the short axis label.
fn y_labels(objective: Objective, lang: Lang) -> (String, &'static str) {
    let full = match objective {
        Objective::Accuracy => tr(lang, "tr.y_accuracy").to_owned(),
        Objective::Fidelity(m) => {
            format!("{}: {}", tr(lang, "tr.y_fidelity"), metric_label(lang, m))
        }
        Objective::SqnrDb => tr(lang, "tr.y_sqnr").to_owned(),
    };
    let axis = match objective {
        Objective::Accuracy => "tr.y_axis_accuracy",
        Objective::Fidelity(_) => "tr.y_axis_fidelity",
        Objective::SqnrDb => "tr.y_axis_sqnr",
    };
    (full, tr(lang, axis))
}

fn x_label(x: XAxis, lang: Lang) -> String {
    let label = tr(
        lang,
        if x.bits_per_weight {
            "tr.x_bpw"
        } else {
            "tr.x_mb"
        },
    );
    if x.log {
        format!("log10 {label}")
    } else {
        label.to_owned()
    }
}

/// The plot with its scale fixed: sizes from zero; accuracy on its whole 0–100 % scale,
/// fidelity on [0, 1] and SQNR from 0 dB, also with one point (before a sweep); the legend in
/// the corner with the fewest points.
fn scaled_plot(all: &[Arc<ConfigPoint>], x: XAxis, objective: Objective) -> Plot<'static> {
    let mut plot = Plot::new("tradeoff_scatter");
    if !x.log {
        plot = plot.include_x(0.0);
    }
    let y_scale = match objective {
        Objective::Accuracy => Some(100.0),
        Objective::Fidelity(_) => Some(1.0),
        Objective::SqnrDb => None,
    };
    plot = plot.include_y(0.0);
    if let Some(top) = y_scale {
        plot = plot.include_y(top);
    }
    let mut bounds: Vec<[f64; 2]> = all.iter().filter_map(|p| xy(p, x, objective)).collect();
    if !x.log {
        bounds.push([0.0, bounds.first().map_or(0.0, |b| b[1])]);
    }
    if let Some(top) = y_scale {
        let x0 = bounds.first().map_or(0.0, |b| b[0]);
        bounds.extend([[x0, 0.0], [x0, top]]);
    }
    plot.legend(Legend::default().position(legend_corner(&all_xy(all, x, objective), &bounds)))
}

/// The sweep's points, the mixed-precision plan, the current setting and setting A of `ws`;
/// the point clicked, if any.
pub fn scatter_ui(
    ui: &mut egui::Ui,
    ws: &Workspace,
    x: XAxis,
    env: PanelEnv,
    fit: Fit,
) -> Option<Arc<ConfigPoint>> {
    let lang = env.lang;
    let objective = objective_of(ws);
    // The axis says what; the line above the plot says it in full (a rotated label longer
    // than the plot would run over the controls above it).
    let (y_full, y_axis) = y_labels(objective, lang);
    ui.weak(format!("y: {y_full}"));
    let height = (ui.available_height() - fit.below).clamp(150.0, fit.max);
    let mut all: Vec<Arc<ConfigPoint>> = ws.sweep.points.clone();
    if let Some(mixed) = &ws.sensitivity.mixed {
        all.push(Arc::new(mixed.point.clone()));
    }
    let response = scaled_plot(&all, x, objective)
        .height(height)
        // Ticks every 10^k MB are often < 60 px apart (egui_plot's x default): label them anyway.
        .custom_x_axes(vec![
            egui_plot::AxisHints::new_x()
                .label(x_label(x, lang))
                .label_spacing(36.0..=60.0),
        ])
        .y_axis_label(y_axis)
        .allow_scroll(false)
        .show(ui, |plot| {
            let draw = Draw { x, objective, env };
            draw.baseline(plot, &ws.sweep);
            draw.families(plot, &ws.sweep);
            draw.front(plot, &ws.sweep);
            draw.markers(plot, ws);
            nearest(
                plot.pointer_coordinate(),
                plot.transform(),
                &all,
                x,
                objective,
            )
        });
    let hovered = response.inner;
    let clicked = response.response.clicked();
    if let Some(i) = hovered {
        let p = Arc::clone(&all[i]);
        response
            .response
            .on_hover_ui_at_pointer(|ui| point_tooltip_ui(ui, &p, lang));
        if clicked {
            return Some(Arc::clone(&all[i]));
        }
    }
    None
}

/// What the plot's layers share.
struct Draw {
    x: XAxis,
    objective: Objective,
    env: PanelEnv,
}

impl Draw {
    fn xy(&self, p: &ConfigPoint) -> Vec<[f64; 2]> {
        xy(p, self.x, self.objective).into_iter().collect()
    }

    /// The baseline as a dashed reference: its quality, or its size when it is exact (no SQNR).
    fn baseline(&self, plot: &mut egui_plot::PlotUi<'_>, sweep: &SweepState) {
        let lang = self.env.lang;
        let Some(baseline) = sweep.points.first() else {
            return;
        };
        let name = format!(
            "{} ({})",
            tr(lang, "tr.baseline"),
            point_label(lang, baseline)
        );
        match y_value(baseline, self.objective) {
            Some(y) => plot.hline(
                HLine::new(name, y)
                    .color(theme::reference_line())
                    .style(egui_plot::LineStyle::dashed_loose()),
            ),
            None => plot.vline(
                egui_plot::VLine::new(name, self.x.value(baseline))
                    .color(theme::reference_line())
                    .style(egui_plot::LineStyle::dashed_loose()),
            ),
        }
    }

    /// Each family's measured points, and its sampled estimates with their error bars.
    fn families(&self, plot: &mut egui_plot::PlotUi<'_>, sweep: &SweepState) {
        let lang = self.env.lang;
        for family in FAMILIES {
            let (color, shape, key) = family_style(family);
            let of_family = sweep.points.iter().filter(|p| p.family == family);
            let (estimated, exact): (Vec<_>, Vec<_>) =
                of_family.partition(|p| p.estimate.is_some());
            let pts: Vec<[f64; 2]> = exact
                .iter()
                .filter_map(|p| xy(p, self.x, self.objective))
                .collect();
            if !pts.is_empty() {
                plot.points(
                    Points::new(tr(lang, key), PlotPoints::from(pts))
                        .shape(shape)
                        .color(color)
                        .filled(true)
                        .radius(5.0),
                );
            }
            estimates_ui(plot, &estimated, self.x, self.objective, color, shape, lang);
        }
    }

    /// The Pareto front as a staircase, by size then quality (equal sizes do not double back).
    fn front(&self, plot: &mut egui_plot::PlotUi<'_>, sweep: &SweepState) {
        let mut front: Vec<[f64; 2]> = sweep
            .front
            .iter()
            .filter_map(|&i| sweep.points.get(i))
            .filter_map(|p| xy(p, self.x, self.objective))
            .collect();
        front.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        if front.len() > 1 {
            plot.line(
                Line::new(
                    tr(self.env.lang, "tr.pareto"),
                    PlotPoints::from(staircase(&front)),
                )
                // A few points, not a dense signal: never aggregate them into bands.
                .allow_band(false)
                .color(theme::pareto_line())
                .width(2.0),
            );
        }
    }

    /// The mixed-precision plan, setting A and the current setting.
    fn markers(&self, plot: &mut egui_plot::PlotUi<'_>, ws: &Workspace) {
        let (lang, dark) = (self.env.lang, self.env.dark);
        if let Some(mixed) = &ws.sensitivity.mixed {
            plot.points(
                Points::new(
                    tr(lang, "tr.mixed"),
                    PlotPoints::from(self.xy(&mixed.point)),
                )
                .shape(MarkerShape::Cross)
                .color(theme::family(Family::Mixed))
                .radius(9.0),
            );
        }
        if let Some(p) = ws.preview.pinned.as_ref().and_then(|p| p.point.as_deref()) {
            plot.points(
                Points::new(
                    format!("A: {}", point_label(lang, p)),
                    PlotPoints::from(self.xy(p)),
                )
                .shape(MarkerShape::Square)
                .color(theme::setting_a(dark))
                .filled(false)
                .radius(10.0),
            );
        }
        if let Some(p) = &ws.current_point {
            plot.points(
                Points::new(tr(lang, "tr.current"), PlotPoints::from(self.xy(p)))
                    .shape(MarkerShape::Circle)
                    .color(theme::current_marker(dark))
                    .filled(false)
                    .radius(10.0),
            );
        }
    }
}

/// The point within 12 px of the pointer, if any.
fn nearest(
    pointer: Option<PlotPoint>,
    transform: &egui_plot::PlotTransform,
    points: &[Arc<ConfigPoint>],
    x: XAxis,
    objective: Objective,
) -> Option<usize> {
    let pointer = transform.position_from_point(&pointer?);
    points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let [px, py] = xy(p, x, objective)?;
            let pos = transform.position_from_point(&PlotPoint::new(px, py));
            Some((i, pos.distance(pointer)))
        })
        .filter(|(_, d)| *d <= 12.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

fn point_tooltip_ui(ui: &mut egui::Ui, p: &ConfigPoint, lang: crate::ui::i18n::Lang) {
    ui.strong(point_label(lang, p));
    let accuracy = p.accuracy.map_or_else(
        || tr(lang, "tr.not_evaluable").to_owned(),
        |a| format!("{:.2} %", a * 100.0),
    );
    match &p.fidelity {
        Some(f) => {
            ui.label(format!(
                "{}: {}",
                tr(lang, "w.fidelity"),
                fidelity_text(lang, f)
            ));
        }
        None => {
            ui.label(format!("{}: {accuracy}", tr(lang, "w.accuracy")));
        }
    }
    if let (Some(e), true) = (p.estimate, p.sqnr_db.is_finite()) {
        ui.label(format!(
            "SQNR: {:.2} ± {:.2} dB — {}",
            p.sqnr_db,
            e.sqnr_err_db,
            tr(lang, "tr.estimate")
        ));
    } else if p.sqnr_db.is_finite() {
        ui.label(format!("SQNR: {:.2} dB", p.sqnr_db));
    } else {
        ui.label(format!("SQNR: {}", tr(lang, "tr.exact")));
    }
    ui.label(format!(
        "{}: {:.1} kB · {:.3} {} ({:.2}× {})",
        tr(lang, "w.size"),
        p.size_bytes as f64 / 1e3,
        p.bits_per_weight,
        tr(lang, "w.bpw"),
        p.original_bytes as f64 / p.size_bytes.max(1) as f64,
        tr(lang, "tr.smaller_than_file")
    ));
    ui.label(format!(
        "{}: {:.2} %",
        tr(lang, "w.sparsity"),
        p.metrics.sparsity * 100.0
    ));
    ui.weak(tr(lang, "tr.click_to_apply"));
}

#[cfg(test)]
mod tests {
    use super::legend_corner;
    use egui_plot::Corner;

    #[test]
    fn the_legend_goes_where_no_point_is() {
        let bounds = [[0.0, 0.0], [10.0, 100.0]];
        // Accuracy climbing with size: the bottom right is empty.
        let rising = [[1.0, 10.0], [2.0, 40.0], [5.0, 90.0], [9.0, 95.0]];
        assert_eq!(legend_corner(&rising, &bounds), Corner::RightBottom);
        // Something in every corner but the top left.
        let crowded = [[9.0, 5.0], [9.5, 95.0], [0.5, 5.0], [5.0, 50.0]];
        assert_eq!(legend_corner(&crowded, &bounds), Corner::LeftTop);
    }
}
