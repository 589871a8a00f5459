//! The plots of the weights view: original and dequantized histograms overlaid on shared bins
//! with the quantization grid, clipping range and zero point; the error histogram; and the
//! per-output-channel range plot (AIMET style) whose x axis is linked to the histogram's.

use egui::Color32;
use egui_plot::{Bar, BarChart, Legend, LineStyle, Plot, VLine};

use crate::compress::histogram::Histogram;
use crate::engine::Preview;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

/// Levels drawn one line each; above this the grid is described, not drawn.
const MAX_DRAWN_LEVELS: usize = 64;

/// Bars of a histogram; `log_y` plots log10(1 + count).
fn bars(h: &Histogram, log_y: bool, color: Color32) -> Vec<Bar> {
    let n = h.counts.len().max(1);
    let width = (f64::from(h.hi) - f64::from(h.lo)) / n as f64;
    h.counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &c)| {
            let x = f64::from(h.lo) + (i as f64 + 0.5) * width;
            let y = if log_y {
                (1.0 + c as f64).log10()
            } else {
                c as f64
            };
            Bar::new(x, y)
                .width(width)
                .fill(color.gamma_multiply(0.55))
                .stroke(egui::Stroke::NONE)
        })
        .collect()
}

/// The overlay of before/after with grid, clip range and zero point.
pub fn histogram_ui(ui: &mut egui::Ui, p: &Preview, log_y: bool, env: PanelEnv, height: f32) {
    let lang = env.lang;
    let dark = env.dark;
    let y_label = if log_y {
        tr(lang, "w.count_log")
    } else {
        tr(lang, "w.count")
    };
    Plot::new("weights_histogram")
        .height(height)
        .legend(Legend::default())
        .link_axis(egui::Id::unique("weights_value_axis"), [true, false])
        .x_axis_label(tr(lang, "w.weight_value"))
        .y_axis_label(y_label)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new(
                    tr(lang, "w.original"),
                    bars(&p.histograms.before, log_y, theme::histogram_before(dark)),
                )
                .color(theme::histogram_before(dark)),
            );
            plot.bar_chart(
                BarChart::new(
                    tr(lang, "w.dequantized"),
                    bars(&p.histograms.after, log_y, theme::histogram_after(dark)),
                )
                .color(theme::histogram_after(dark)),
            );
            if let Some(a) = &p.compare {
                let name = format!(
                    "A: {} ({})",
                    tr(lang, "w.dequantized"),
                    crate::ui::i18n_core::config_label(lang, &a.config, &a.label)
                );
                let color = theme::setting_a(dark);
                plot.bar_chart(BarChart::new(name, bars(&a.after, log_y, color)).color(color));
            }
            match p.grid.as_ref() {
                Some(grid) if grid.len() <= MAX_DRAWN_LEVELS => {
                    let color = theme::grid_levels(dark);
                    for &level in grid {
                        plot.vline(
                            VLine::new(tr(lang, "w.levels"), f64::from(level))
                                .color(color)
                                .width(1.0),
                        );
                    }
                }
                Some(grid) => {
                    let bars = grid_density_bars(grid, &p.histograms.before, log_y);
                    plot.bar_chart(
                        BarChart::new(tr(lang, "w.level_density"), bars)
                            .color(theme::grid_levels(dark)),
                    );
                }
                None => {}
            }
            if let Some((lo, hi)) = p.clip_range {
                let warn = theme::warn(dark);
                for x in [lo, hi] {
                    plot.vline(
                        VLine::new(tr(lang, "w.clip"), f64::from(x))
                            .color(warn)
                            .width(2.0)
                            .style(LineStyle::dashed_loose()),
                    );
                }
            }
            if p.grid_levels > 0 {
                plot.vline(
                    VLine::new(tr(lang, "w.zero_point"), 0.0)
                        .color(theme::current_marker(dark))
                        .width(1.5)
                        .style(LineStyle::dotted_dense()),
                );
            }
        });
}

/// Too many levels to draw one by one: their density, as levels per histogram bin, drawn below
/// the axis (negative heights) so it never hides the weights.
fn grid_density_bars(grid: &[f32], h: &Histogram, log_y: bool) -> Vec<Bar> {
    let n = h.counts.len().max(1);
    let width = (f64::from(h.hi) - f64::from(h.lo)) / n as f64;
    if width <= 0.0 {
        return Vec::new();
    }
    let mut per_bin = vec![0u64; n];
    for &level in grid {
        let i = ((f64::from(level) - f64::from(h.lo)) / width).floor();
        if i >= 0.0 && (i as usize) < n {
            per_bin[i as usize] += 1;
        }
    }
    let peak = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let peak = if log_y { (1.0 + peak).log10() } else { peak };
    let most = per_bin.iter().copied().max().unwrap_or(1).max(1) as f64;
    per_bin
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &c)| {
            let x = f64::from(h.lo) + (i as f64 + 0.5) * width;
            Bar::new(x, -0.15 * peak * c as f64 / most)
                .width(width)
                .stroke(egui::Stroke::NONE)
        })
        .collect()
}

/// The error histogram (w − ŵ).
pub fn error_ui(ui: &mut egui::Ui, p: &Preview, log_y: bool, env: PanelEnv, height: f32) {
    let color = theme::warn(env.dark);
    let mut plot = Plot::new("weights_error");
    if p.compare.is_some() {
        plot = plot.legend(Legend::default());
    }
    plot.height(height)
        .x_axis_label(tr(env.lang, "w.error_axis"))
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new(
                    tr(env.lang, "w.error"),
                    bars(&p.histograms.error, log_y, color),
                )
                .color(color),
            );
            if let Some(a) = &p.compare {
                let name = format!(
                    "A: {} ({})",
                    tr(env.lang, "w.error"),
                    crate::ui::i18n_core::config_label(env.lang, &a.config, &a.label)
                );
                let color = theme::setting_a(env.dark);
                plot.bar_chart(BarChart::new(name, bars(&a.error, log_y, color)).color(color));
            }
        });
}

/// Min..max of every output channel as horizontal bars; the x axis (weight value) is linked to
/// the histogram's, so zooming one zooms both. Outlier channels stick out.
pub fn channel_ranges_ui(ui: &mut egui::Ui, p: &Preview, env: PanelEnv, height: f32) {
    if p.channel_ranges.is_empty() {
        ui.weak(tr(env.lang, "w.no_channels"));
        return;
    }
    let color = theme::histogram_before(env.dark);
    let bars: Vec<Bar> = p
        .channel_ranges
        .iter()
        .enumerate()
        .map(|(i, &(lo, hi))| {
            Bar::new(i as f64, f64::from(hi) - f64::from(lo))
                .base_offset(f64::from(lo))
                .width(0.8)
                .fill(color.gamma_multiply(0.7))
                .stroke(egui::Stroke::NONE)
        })
        .collect();
    Plot::new("weights_channels")
        .height(height)
        .link_axis(egui::Id::unique("weights_value_axis"), [true, false])
        .x_axis_label(tr(env.lang, "w.weight_value"))
        .y_axis_label(tr(env.lang, "w.channel"))
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new(tr(env.lang, "w.channel_range"), bars)
                    .horizontal()
                    .color(color),
            );
        });
}

/// How many distinct values the grid has, in words, when it is too dense to draw.
pub fn grid_note(p: &Preview, lang: crate::ui::i18n::Lang) -> Option<String> {
    match &p.grid {
        Some(_) => None,
        _ if p.grid_levels > 0 => Some(format!(
            "{} {}",
            p.grid_levels,
            tr(lang, "w.levels_too_many")
        )),
        _ => None,
    }
}
