//! Export of the weights view: the plots as PNG (a crop of the next rendered frame) and the
//! metrics as CSV, written by the engine ([`AppCommand::WriteFile`]).

use std::path::PathBuf;

use crate::engine::{Config, FileContent};
use crate::ui::i18n::tr;
use crate::ui::registry::PanelContext;
use crate::ui::workspace::{AppCommand, Workspace};

/// The metrics of the current preview (tensor and model) as CSV text.
pub fn metrics_csv(ws: &Workspace, config: &Config) -> Option<String> {
    let p = ws.preview.as_ref()?;
    let mut out = String::from(
        "scope,config,sqnr_db,mse,cosine,max_abs_err,clipped_fraction,sparsity,bits_per_weight,size_bytes,accuracy\n",
    );
    let m = &p.metrics;
    let scope = p.tensor.clone().unwrap_or_else(|| "whole model".to_owned());
    out.push_str(&format!(
        "{},{},{},{},{},{},{},{},{},{},\n",
        csv_field(&scope),
        csv_field(&config.label),
        m.sqnr_db,
        m.mse,
        m.cosine,
        m.max_abs_err,
        m.clipped_fraction,
        m.sparsity,
        p.size.bits_per_weight,
        p.size.bytes
    ));
    if let Some(point) = &ws.preview_point {
        let pm = &point.metrics;
        out.push_str(&format!(
            "model,{},{},{},{},{},{},{},{},{},{}\n",
            csv_field(&config.label),
            point.sqnr_db,
            pm.mse,
            pm.cosine,
            pm.max_abs_err,
            pm.clipped_fraction,
            pm.sparsity,
            point.bits_per_weight,
            point.size_bytes,
            point.accuracy.map_or_else(String::new, |a| a.to_string())
        ));
    }
    Some(out)
}

/// A CSV field, quoted when it holds a comma, a quote or a newline.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The export row.
pub fn export_ui(
    ui: &mut egui::Ui,
    prefix: &mut String,
    plots_rect: egui::Rect,
    cx: &mut PanelContext<'_>,
    config: &Config,
) {
    let (ws, lang) = (cx.workspace, cx.env.lang);
    if prefix.is_empty() {
        *prefix = "bitlens-weights".to_owned();
    }
    ui.horizontal(|ui| {
        ui.label(tr(lang, "w.export_to"));
        let r = ui.add(egui::TextEdit::singleline(prefix).desired_width(260.0));
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "export path")
        });
        if ui.button(tr(lang, "w.export_csv")).clicked()
            && let Some(csv) = metrics_csv(ws, config)
        {
            let path = PathBuf::from(format!("{prefix}.csv"));
            let content = FileContent::Bytes(csv.into_bytes());
            cx.commands.push(AppCommand::WriteFile { path, content });
        }
        if ui.button(tr(lang, "w.export_png")).clicked() {
            let path = PathBuf::from(format!("{prefix}.png"));
            crate::ui::screenshot::export_region(ui.ctx(), plots_rect, path, cx.later);
        }
    });
}
