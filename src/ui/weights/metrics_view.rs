//! The numbers beside the plots: fidelity and size of the current tensor and of the whole model,
//! and the measured accuracy of the setting (or a plain statement that there is none).

use egui::RichText;

use crate::engine::ConfigPoint;
use crate::ui::i18n::{Lang, fidelity_text, fill, tr};
use crate::ui::model_panel::size_calc::human_bytes;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;
use crate::ui::workspace::{EvalStatus, Workspace};

/// A size report's layout id (`dense`, `bitmask`, `n:m`, `structured`) in `lang`.
fn layout_name(lang: Lang, id: &str) -> String {
    let key = match id {
        "dense" => "w.layout.dense",
        "bitmask" => "w.layout.bitmask",
        "n:m" => "w.layout.nm",
        "structured" => "w.layout.structured",
        other => return other.to_owned(),
    };
    tr(lang, key).to_owned()
}

/// A count of values: exact below ten thousand, else in thousands or millions.
fn count(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..10_000_000 => format!("{:.1} k", n as f64 / 1e3),
        _ => format!("{:.1} M", n as f64 / 1e6),
    }
}

fn db(v: f64) -> String {
    if v.is_infinite() {
        "∞ dB".to_owned()
    } else {
        format!("{v:.2} dB")
    }
}

pub fn metrics_ui(ui: &mut egui::Ui, ws: &Workspace, env: PanelEnv) {
    let lang = env.lang;
    let Some(p) = &ws.preview.latest else { return };
    let scope = match &p.tensor {
        Some(name) => name.clone(),
        None => format!(
            "{} ({} {})",
            tr(lang, "w.whole_model"),
            p.n_tensors,
            tr(lang, "model.tensors")
        ),
    };
    ui.strong(scope);
    if let Some(s) = &p.sampled {
        ui.horizontal_wrapped(|ui| {
            let (head, tail) = if s.exact_figures {
                ("w.sampled_hist", "w.sampled_hist_tail")
            } else {
                ui.spinner();
                ("w.sampled", "w.sampled_tail")
            };
            let text = format!(
                "{} {} / {} {}",
                tr(lang, head),
                count(s.values),
                count(s.of),
                tr(lang, tail)
            );
            ui.colored_label(theme::warn(env.dark), text);
        });
    }
    if let Some(a) = &p.compare {
        super::compare_view::tensor_ui(ui, p, a, env);
    }
    if p.compare.is_none() {
        tensor_grid_ui(ui, p, lang);
    }
    for note in &p.notes {
        let text = if p.tensor.is_some() {
            crate::ui::i18n_core::note(lang, &note.note)
        } else {
            crate::ui::i18n_core::tensor_note(lang, note)
        };
        ui.colored_label(theme::warn(env.dark), text);
    }
    ui.add_space(6.0);
    ui.strong(tr(lang, "w.model_title"));
    if let Some(pinned) = &ws.preview.pinned {
        let (a, b) = (pinned.point.as_deref(), ws.preview.point.as_deref());
        super::compare_view::model_ui(ui, a, b, env);
        return;
    }
    match &ws.preview.point {
        Some(point) => model_grid_ui(ui, point, &ws.eval, env),
        None => {
            ui.weak(tr(lang, "w.computing"));
        }
    }
}

/// The previewed tensor's (or pooled model's) error metrics and size.
fn tensor_grid_ui(ui: &mut egui::Ui, p: &crate::engine::Preview, lang: Lang) {
    egui::Grid::new("w_metrics")
        .num_columns(2)
        .striped(true)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            let m = &p.metrics;
            let rows = [
                ("SQNR", db(m.sqnr_db)),
                ("MSE", format!("{:.3e}", m.mse)),
                (tr(lang, "w.cosine"), format!("{:.6}", m.cosine)),
                (tr(lang, "w.max_err"), format!("{:.3e}", m.max_abs_err)),
                (
                    tr(lang, "w.clipped"),
                    format!("{:.3} %", m.clipped_fraction * 100.0),
                ),
                (
                    tr(lang, "w.sparsity"),
                    format!(
                        "{:.2} %  ({} {})",
                        m.sparsity * 100.0,
                        p.pruned,
                        tr(lang, "w.pruned")
                    ),
                ),
                (tr(lang, "w.bpw"), format!("{:.3}", p.size.bits_per_weight)),
                (
                    tr(lang, "w.size"),
                    format!("{} B ({})", p.size.bytes, layout_name(lang, &p.size.layout)),
                ),
            ];
            for (name, value) in rows {
                ui.label(name);
                ui.label(RichText::new(value).monospace());
                ui.end_row();
            }
        });
}

/// The whole model under the previewed setting: size against the file and fp32, SQNR, and its
/// measured accuracy (against fp32) or fidelity.
fn model_grid_ui(ui: &mut egui::Ui, point: &ConfigPoint, eval: &EvalStatus, env: PanelEnv) {
    let lang = env.lang;
    egui::Grid::new("w_model_metrics")
        .num_columns(2)
        .striped(true)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            ui.label(tr(lang, "w.size"));
            ui.label(
                RichText::new(format!(
                    "{} / {} {} ({:.2}×) · fp32 {}",
                    human_bytes(point.size_bytes as f64),
                    human_bytes(point.original_bytes as f64),
                    tr(lang, "w.as_stored"),
                    point.original_bytes as f64 / point.size_bytes.max(1) as f64,
                    human_bytes(point.f32_bytes as f64),
                ))
                .monospace(),
            );
            ui.end_row();
            ui.label(tr(lang, "w.bpw"));
            ui.label(RichText::new(format!("{:.3}", point.bits_per_weight)).monospace());
            ui.end_row();
            ui.label("SQNR");
            ui.label(RichText::new(db(point.sqnr_db)).monospace());
            ui.end_row();
            if let Some(f) = &point.fidelity {
                ui.label(tr(lang, "w.fidelity"));
                ui.label(RichText::new(fidelity_text(lang, f)).monospace().strong());
                ui.end_row();
                return;
            }
            ui.label(tr(lang, "w.accuracy"));
            match point.accuracy {
                Some(acc) => {
                    let baseline = match eval {
                        EvalStatus::Evaluated(r) => Some(r.accuracy),
                        _ => None,
                    };
                    let delta = baseline.map_or_else(String::new, |b| {
                        let pt = format!("{:+.2}", (acc - b) * 100.0);
                        format!("  ({})", fill(tr(lang, "w.delta_vs_fp32"), &[&pt]))
                    });
                    ui.label(
                        RichText::new(format!("{:.2} %{delta}", acc * 100.0))
                            .monospace()
                            .strong(),
                    );
                }
                None => {
                    ui.colored_label(theme::warn(env.dark), tr(lang, "w.no_accuracy"));
                }
            }
            ui.end_row();
        });
}
