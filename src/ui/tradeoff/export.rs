//! Export of the trade-off panel: the sweep as CSV and JSON, the plot as PNG, and a config's
//! compressed model in one of the engine's layouts ([`ExportFormat`]: dequantized or packed
//! safetensors, GGUF; metadata `bitlens.config` holds the config as JSON). Files are written
//! by the engine, each through a temp file and a rename.

use crate::engine::{Config, ExportFormat};
use crate::ui::i18n::{Lang, tr};
use crate::ui::weights::csv_field;
use crate::ui::workspace::{SweepState, Workspace};

/// The sweep as CSV: one row per point, with its Pareto flag.
pub fn sweep_csv(sweep: &SweepState) -> String {
    let mut out = String::from(
        "index,label,family,size_bytes,bits_per_weight,accuracy,loss,sqnr_db,sparsity,pareto\n",
    );
    for (i, p) in sweep.points.iter().enumerate() {
        out.push_str(&format!(
            "{i},{},{:?},{},{},{},{},{},{},{}\n",
            csv_field(&p.label),
            p.family,
            p.size_bytes,
            p.bits_per_weight,
            p.accuracy.map_or_else(String::new, |a| a.to_string()),
            p.loss.map_or_else(String::new, |l| l.to_string()),
            p.sqnr_db,
            p.metrics.sparsity,
            sweep.front.contains(&i)
        ));
    }
    out
}

/// The sweep as JSON: an array of objects, the same fields as the CLI's `sweep --json`.
pub fn sweep_json(sweep: &SweepState) -> String {
    let rows: Vec<serde_json::Value> = sweep
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            serde_json::json!({
                "index": i,
                "label": p.label,
                "family": p.family,
                "config": p.config,
                "size_bytes": p.size_bytes,
                "bits_per_weight": p.bits_per_weight,
                "accuracy": p.accuracy,
                "loss": p.loss,
                "sqnr_db": if p.sqnr_db.is_finite() { serde_json::json!(p.sqnr_db) } else { serde_json::Value::Null },
                "pareto": sweep.front.contains(&i),
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_owned())
}

/// Which point an export of "the chosen model" uses: the current setting, else the
/// mixed-precision point.
pub fn chosen(ws: &Workspace) -> Option<Config> {
    ws.current_point
        .as_ref()
        .map(|p| p.config.clone())
        .or_else(|| {
            ws.sensitivity
                .mixed
                .as_ref()
                .map(|m| m.point.config.clone())
        })
}

/// The file-name ending of a model export in `format`.
pub fn model_suffix(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Dequantized => "-model.safetensors",
        ExportFormat::Packed => "-packed.safetensors",
        ExportFormat::Gguf => "-model.gguf",
    }
}

/// The i18n key naming `format`.
pub fn format_key(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Dequantized => "tr.export_dequantized",
        ExportFormat::Packed => "tr.export_packed",
        ExportFormat::Gguf => "tr.export_gguf",
    }
}

/// The layout "Export model" writes.
pub fn format_choice_ui(ui: &mut egui::Ui, format: &mut ExportFormat, lang: Lang) {
    egui::ComboBox::from_id_salt("export_format")
        .selected_text(tr(lang, format_key(*format)))
        .show_ui(ui, |ui| {
            for f in [
                ExportFormat::Dequantized,
                ExportFormat::Packed,
                ExportFormat::Gguf,
            ] {
                ui.selectable_value(format, f, tr(lang, format_key(f)));
            }
        })
        .response
        .widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "export format")
        });
}
