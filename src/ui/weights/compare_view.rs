//! Settings A and B side by side: a table A | B | Δ (B − A) of the tensor shown (error
//! metrics, clipping, sparsity, bits per weight, size) and of the whole model (size, bits per
//! weight, SQNR, and the measured accuracy or model-level fidelity). A is the setting pinned
//! with "Pin as A" ([`crate::ui::workspace::Pinned`]); B is the one in the controls.

use egui::RichText;

use crate::engine::{CompareSide, ConfigPoint, Preview};
use crate::ui::i18n::{Lang, metric_label, tr};
use crate::ui::model_panel::size_calc::human_bytes;
use crate::ui::registry::PanelEnv;

/// How a row's values read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Db,
    Sci,
    /// A fraction shown in %, its differences in percentage points.
    Fraction,
    Fixed,
    Bytes,
}

impl Unit {
    fn value(self, v: f64) -> String {
        match self {
            Unit::Db if v.is_infinite() => "∞".to_owned(),
            Unit::Db => format!("{v:.2} dB"),
            Unit::Sci => format!("{v:.3e}"),
            Unit::Fraction => format!("{:.2} %", v * 100.0),
            Unit::Fixed => format!("{v:.4}"),
            Unit::Bytes if v < 0.0 => format!("-{}", human_bytes(-v)),
            Unit::Bytes => human_bytes(v),
        }
    }

    fn delta(self, d: f64, lang: Lang) -> String {
        let s = match self {
            Unit::Fraction => format!("{:.2} {}", d * 100.0, tr(lang, "unit.pt")),
            _ => self.value(d),
        };
        if d > 0.0 { format!("+{s}") } else { s }
    }
}

/// One row: a name, the A and B values (`None`: not known) and their unit.
struct Row {
    name: String,
    a: Option<f64>,
    b: Option<f64>,
    format: Unit,
}

fn rows_ui(ui: &mut egui::Ui, id: &str, rows: &[Row], lang: Lang) {
    egui::Grid::new(id)
        .num_columns(4)
        .striped(true)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            ui.label("");
            for head in ["A", "B", "Δ"] {
                ui.strong(head);
            }
            ui.end_row();
            for r in rows {
                ui.label(&r.name);
                let cell = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| r.format.value(v));
                ui.label(RichText::new(cell(r.a)).monospace());
                ui.label(RichText::new(cell(r.b)).monospace());
                let delta = match (r.a, r.b) {
                    (Some(a), Some(b)) if a.is_finite() && b.is_finite() => {
                        r.format.delta(b - a, lang)
                    }
                    _ => "—".to_owned(),
                };
                ui.label(RichText::new(delta).monospace().strong());
                ui.end_row();
            }
        });
}

/// The tensor shown under A and B.
pub fn tensor_ui(ui: &mut egui::Ui, p: &Preview, a: &CompareSide, env: PanelEnv) {
    let lang = env.lang;
    ui.strong(format!(
        "{} — A: {}",
        tr(lang, "w.compare_title"),
        crate::ui::i18n_core::config_label(lang, &a.config, &a.label)
    ));
    let (ma, mb) = (&a.metrics, &p.metrics);
    let row = |name: &str, a: f64, b: f64, format: Unit| Row {
        name: name.to_owned(),
        a: Some(a),
        b: Some(b),
        format,
    };
    let rows = [
        row("SQNR", ma.sqnr_db, mb.sqnr_db, Unit::Db),
        row("MSE", ma.mse, mb.mse, Unit::Sci),
        row(tr(lang, "w.cosine"), ma.cosine, mb.cosine, Unit::Fixed),
        row(
            tr(lang, "w.clipped"),
            ma.clipped_fraction,
            mb.clipped_fraction,
            Unit::Fraction,
        ),
        row(
            tr(lang, "w.sparsity"),
            ma.sparsity,
            mb.sparsity,
            Unit::Fraction,
        ),
        row(
            tr(lang, "w.bpw"),
            a.size.bits_per_weight,
            p.size.bits_per_weight,
            Unit::Fixed,
        ),
        row(
            tr(lang, "w.size"),
            a.size.bytes as f64,
            p.size.bytes as f64,
            Unit::Bytes,
        ),
    ];
    rows_ui(ui, "w_compare_tensor", &rows, lang);
}

/// The whole model under A and B (each as measured for its setting).
pub fn model_ui(
    ui: &mut egui::Ui,
    a: Option<&ConfigPoint>,
    b: Option<&ConfigPoint>,
    env: PanelEnv,
) {
    let lang = env.lang;
    let of = |p: Option<&ConfigPoint>, f: fn(&ConfigPoint) -> Option<f64>| p.and_then(f);
    let mut rows = vec![
        Row {
            name: tr(lang, "w.size").to_owned(),
            a: of(a, |p| Some(p.size_bytes as f64)),
            b: of(b, |p| Some(p.size_bytes as f64)),
            format: Unit::Bytes,
        },
        Row {
            name: tr(lang, "w.bpw").to_owned(),
            a: of(a, |p| Some(p.bits_per_weight)),
            b: of(b, |p| Some(p.bits_per_weight)),
            format: Unit::Fixed,
        },
        Row {
            name: "SQNR".to_owned(),
            a: of(a, |p| Some(p.sqnr_db)),
            b: of(b, |p| Some(p.sqnr_db)),
            format: Unit::Db,
        },
    ];
    let accuracy = |p: &ConfigPoint| p.accuracy;
    if a.and_then(accuracy).or(b.and_then(accuracy)).is_some() {
        rows.push(Row {
            name: tr(lang, "w.accuracy").to_owned(),
            a: of(a, accuracy),
            b: of(b, accuracy),
            format: Unit::Fraction,
        });
    }
    let fidelity = |p: &ConfigPoint| p.fidelity.as_ref().map(|f| f.value);
    if let Some(metric) = a.or(b).and_then(|p| p.fidelity.as_ref()).map(|f| f.metric) {
        rows.push(Row {
            name: format!(
                "{} ({})",
                tr(lang, "w.fidelity"),
                metric_label(lang, metric)
            ),
            a: of(a, fidelity),
            b: of(b, fidelity),
            format: Unit::Fixed,
        });
    }
    rows_ui(ui, "w_compare_model", &rows, lang);
}
