//! The measured accuracy of the current model: accuracy, loss, confusion matrix and a few
//! misclassified test images; or, for a model that cannot be evaluated, a plain statement why.

use std::sync::OnceLock;

use egui::{Color32, Rect, Sense, pos2, vec2};

use crate::eval::{Dataset, EvalReport};
use crate::run::RunSummary;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;
use crate::ui::workspace::EvalStatus;

/// Misclassified examples shown.
const EXAMPLES: usize = 8;

/// The bundled test images, decoded once (embedded in the binary; a few ms).
fn test_set() -> &'static Dataset {
    static TEST_SET: OnceLock<Dataset> = OnceLock::new();
    TEST_SET.get_or_init(Dataset::builtin_test)
}

pub fn eval_ui(ui: &mut egui::Ui, status: &EvalStatus, env: PanelEnv) {
    let lang = env.lang;
    match status {
        EvalStatus::Pending => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr(lang, "model.eval.pending"));
            });
        }
        EvalStatus::NotEvaluable(reason) => {
            ui.colored_label(theme::warn(env.dark), tr(lang, "model.eval.not_evaluable"));
            reason_ui(ui, &crate::ui::i18n_core::not_runnable(lang, reason), lang);
            ui.label(tr(lang, "model.eval.fidelity_instead"));
        }
        EvalStatus::Failed(message) => {
            ui.colored_label(theme::warn(env.dark), message);
        }
        EvalStatus::Evaluated(report) => report_ui(ui, report, env),
        EvalStatus::Ran(summary) => run_ui(ui, summary, env),
    }
}

/// The reason in one line; a long one (a list of tensors that do not chain) behind a disclosure.
fn reason_ui(ui: &mut egui::Ui, reason: &str, lang: crate::ui::i18n::Lang) {
    const SHORT: usize = 140;
    let first = reason.lines().next().unwrap_or_default();
    match first.char_indices().nth(SHORT) {
        None if first.len() == reason.len() => {
            ui.label(reason);
        }
        cut => {
            let head = cut.map_or(first, |(i, _)| &first[..i]);
            ui.label(format!("{head}…"));
            egui::CollapsingHeader::new(tr(lang, "model.eval.details"))
                .id_salt("not_evaluable_details")
                .show(ui, |ui| {
                    ui.add(egui::Label::new(reason).wrap());
                });
        }
    }
}

/// A model that runs: what ran, on which inputs, and its fp32 outputs.
fn run_ui(ui: &mut egui::Ui, s: &RunSummary, env: PanelEnv) {
    let lang = env.lang;
    ui.label(
        egui::RichText::new(tr(lang, "model.run.title"))
            .strong()
            .size(18.0),
    );
    ui.label(format!(
        "{}: {} — {} {}{}",
        tr(lang, "metric.inputs"),
        crate::ui::i18n_core::input_source(lang, &s.inputs.source),
        s.inputs.count,
        tr(lang, "metric.inputs"),
        if s.inputs.synthetic {
            format!(" ({})", tr(lang, "metric.synthetic"))
        } else {
            String::new()
        }
    ));
    ui.label(format!(
        "{}: {:.3} s",
        tr(lang, "model.run.fp32_time"),
        s.seconds
    ));
    for o in &s.outputs {
        let reading = o
            .reading
            .as_ref()
            .map(|r| crate::ui::i18n_core::reading(lang, r))
            .unwrap_or_default();
        ui.monospace(format!(
            "{} {:?}: {:.4} … {:.4} ({} {:.4})  {reading}",
            o.name,
            o.shape,
            o.min,
            o.max,
            tr(lang, "model.run.mean"),
            o.mean
        ));
    }
    ui.label(format!("{} {}", s.weights, tr(lang, "model.run.weights")));
    ui.weak(tr(lang, "model.run.how"));
}

fn report_ui(ui: &mut egui::Ui, report: &EvalReport, env: PanelEnv) {
    let lang = env.lang;
    ui.label(
        egui::RichText::new(format!(
            "{}: {:.2} %   ({}/{})   {}: {:.4}",
            tr(lang, "model.eval.accuracy"),
            report.accuracy * 100.0,
            report.correct,
            report.n,
            tr(lang, "model.eval.loss"),
            report.loss
        ))
        .strong()
        .size(18.0),
    );
    ui.weak(tr(lang, "model.eval.measured"));
    ui.add_space(6.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.label(tr(lang, "model.eval.confusion"));
            confusion_ui(ui, &report.confusion, env.dark);
        });
        ui.add_space(24.0);
        ui.vertical(|ui| {
            ui.label(tr(lang, "model.eval.mistakes"));
            mistakes_ui(ui, report, env);
        });
    });
}

/// A 10×10 heat map: rows = true label, columns = prediction; the count in each cell.
fn confusion_ui(ui: &mut egui::Ui, confusion: &[[u32; 10]; 10], dark: bool) {
    let cell = 26.0;
    let (rect, _) = ui.allocate_exact_size(vec2(cell * 11.0, cell * 11.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let max = confusion
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let text = ui.visuals().text_color();
    let font = egui::FontId::monospace(10.0);
    for d in 0..10 {
        let header = |i: usize| rect.left_top() + vec2(cell * (i as f32 + 1.5), cell * 0.5);
        painter.text(
            header(d),
            egui::Align2::CENTER_CENTER,
            d.to_string(),
            font.clone(),
            text,
        );
        painter.text(
            rect.left_top() + vec2(cell * 0.5, cell * (d as f32 + 1.5)),
            egui::Align2::CENTER_CENTER,
            d.to_string(),
            font.clone(),
            text,
        );
    }
    for (label, row) in confusion.iter().enumerate() {
        for (predicted, &count) in row.iter().enumerate() {
            let min = rect.left_top()
                + vec2(cell * (predicted as f32 + 1.0), cell * (label as f32 + 1.0));
            let r = Rect::from_min_size(min, vec2(cell, cell)).shrink(1.0);
            let t = (count as f32 / max).sqrt();
            let base = if label == predicted {
                theme::good(dark)
            } else {
                theme::warn(dark)
            };
            let fill = if count == 0 {
                ui.visuals().faint_bg_color
            } else {
                base.gamma_multiply(0.25 + 0.75 * t)
            };
            painter.rect_filled(r, 2.0, fill);
            if count > 0 {
                painter.text(
                    r.center(),
                    egui::Align2::CENTER_CENTER,
                    count.to_string(),
                    font.clone(),
                    Color32::WHITE,
                );
            }
        }
    }
}

/// The first misclassified test images, drawn pixel by pixel, with "label → prediction".
fn mistakes_ui(ui: &mut egui::Ui, report: &EvalReport, env: PanelEnv) {
    let data = test_set();
    if report.misclassified.is_empty() {
        ui.label(tr(env.lang, "model.eval.no_mistakes"));
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for &(row, label, predicted) in report.misclassified.iter().take(EXAMPLES) {
            ui.vertical(|ui| {
                digit_ui(ui, data.image(row), data.image_side);
                ui.label(egui::RichText::new(format!("{label} → {predicted}")).monospace());
            });
        }
    });
}

fn digit_ui(ui: &mut egui::Ui, pixels: &[u8], side: usize) {
    let px = 3.0;
    let (rect, _) =
        ui.allocate_exact_size(vec2(px * side as f32, px * side as f32), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    for (i, &v) in pixels.iter().enumerate().filter(|(_, v)| **v > 0) {
        let (y, x) = (i / side, i % side);
        let min = pos2(rect.left() + x as f32 * px, rect.top() + y as f32 * px);
        painter.rect_filled(
            Rect::from_min_size(min, vec2(px, px)),
            0.0,
            crate::ui::theme::image_pixel(v),
        );
    }
}
