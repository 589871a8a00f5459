//! Lesson 6's live example: weight SQNR does not predict what a setting does to the model's
//! outputs. One click measures int8 per tensor, int8 per channel and int6 per channel on the
//! current model (a sweep in the engine) and shows, side by side, each one's weight SQNR and its
//! measured accuracy or output fidelity (Silero VAD, opened in the Model panel, collapses at
//! per-tensor int8 while its SQNR stays high).

use crate::compress::scheme::Granularity;
use crate::engine::{Family, sweeps};
use crate::ui::i18n::{metric_label, tr};
use crate::ui::registry::PanelContext;
use crate::ui::workspace::AppCommand;

/// The three settings compared.
fn configs() -> Vec<crate::engine::Config> {
    vec![
        sweeps::int_config(8, true, Granularity::Tensor, 0.0),
        sweeps::int_config(8, true, Granularity::Channel { axis: 0 }, 0.0),
        sweeps::int_config(6, true, Granularity::Channel { axis: 0 }, 0.0),
    ]
}

pub fn fidelity_lesson_ui(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    let lang = cx.env.lang;
    ui.strong(tr(lang, "ls.fid.title"));
    ui.horizontal_wrapped(|ui| {
        if ui.button(tr(lang, "ls.fid.measure")).clicked() {
            cx.commands.push(AppCommand::Sweep(configs()));
        }
        ui.weak(tr(lang, "ls.fid.hint"));
    });
    let wanted: Vec<String> = configs().into_iter().map(|c| c.label).collect();
    let rows: Vec<_> = cx
        .workspace
        .sweep
        .points
        .iter()
        .filter(|p| p.family == Family::Int && wanted.contains(&p.label))
        .collect();
    if rows.is_empty() {
        return;
    }
    egui::Grid::new("lesson_fidelity")
        .num_columns(3)
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            ui.strong(tr(lang, "ls.fid.setting"));
            ui.strong(tr(lang, "tr.x_weight_sqnr"));
            let quality = match rows[0].fidelity.as_ref() {
                Some(f) => metric_label(lang, f.metric).to_owned(),
                None => tr(lang, "w.accuracy").to_owned(),
            };
            ui.strong(quality);
            ui.end_row();
            for p in &rows {
                ui.monospace(crate::ui::i18n_core::point_label(cx.env.lang, p));
                ui.monospace(format!("{:.1} dB", p.sqnr_db));
                let q = match (&p.fidelity, p.accuracy) {
                    (Some(f), _) => format!("{:.4}", f.value),
                    (None, Some(a)) => format!("{:.1} %", 100.0 * a),
                    (None, None) => "—".to_owned(),
                };
                ui.label(egui::RichText::new(q).monospace().strong());
                ui.end_row();
            }
        });
}
