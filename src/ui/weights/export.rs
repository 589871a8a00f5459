//! Export of the weights view: the plots as PNG (a crop of the next rendered frame) and the
//! metrics as CSV. Files are written off the UI thread.

use std::path::PathBuf;

use crate::engine::Config;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::workspace::Workspace;

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

/// Write `bytes` to `path` on a background thread (temp file + rename).
fn write_in_background(path: PathBuf, bytes: Vec<u8>) {
    std::thread::spawn(move || {
        let _ = crate::model::write_atomic(&path, &bytes);
    });
}

/// The export row. Returns a status message when an export was started.
pub fn export_ui(
    ui: &mut egui::Ui,
    prefix: &mut String,
    plots_rect: egui::Rect,
    ws: &Workspace,
    config: &Config,
    env: PanelEnv,
) -> Option<String> {
    let lang = env.lang;
    if prefix.is_empty() {
        *prefix = "bitlens-weights".to_owned();
    }
    let mut message = None;
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
            message = Some(format!("{} {}", tr(lang, "w.exported"), path.display()));
            write_in_background(path, csv.into_bytes());
        }
        if ui.button(tr(lang, "w.export_png")).clicked() {
            let path = PathBuf::from(format!("{prefix}.png"));
            let pixels_per_point = ui.ctx().pixels_per_point();
            message = Some(format!("{} {}", tr(lang, "w.exported"), path.display()));
            ui.ctx()
                .request_screenshot(move |image: std::sync::Arc<egui::ColorImage>| {
                    let crop = image.region(&plots_rect, Some(pixels_per_point));
                    let _ = crate::ui::screenshot::save_png(&path, &crop);
                });
        }
    });
    message
}
