//! Export of the weights view: the plots as PNG (a crop of the next rendered frame) and the
//! metrics as CSV, written by the engine ([`AppCommand::WriteFile`]).

use crate::compress::Metrics;
use crate::engine::{Config, FileContent};
use crate::ui::export_path::export_path;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelContext;
use crate::ui::workspace::{AppCommand, Workspace};

/// The metrics under the current setting as CSV text: one row per tensor of the model and one
/// for the whole model once the engine has measured it (`scope` = the tensor's name, or
/// `model`), else the row of the tensor shown. A sampled preview's estimates are not written.
pub fn metrics_csv(ws: &Workspace, config: &Config) -> Option<String> {
    let mut out = String::from(
        "scope,config,compressed,sqnr_db,mse,cosine,max_abs_err,clipped_fraction,sparsity,bits_per_weight,size_bytes,accuracy\n",
    );
    let label = csv_field(&config.label);
    let row = |scope: &str, compressed: bool, m: &Metrics, bpw: f64, bytes: u64, acc: &str| {
        format!(
            "{},{label},{compressed},{},{},{},{},{},{},{bpw},{bytes},{acc}\n",
            csv_field(scope),
            m.sqnr_db,
            m.mse,
            m.cosine,
            m.max_abs_err,
            m.clipped_fraction,
            m.sparsity,
        )
    };
    if let Some(point) = &ws.preview.point {
        for t in &point.tensors {
            let (bpw, bytes) = (t.size.bits_per_weight, t.size.bytes);
            out.push_str(&row(&t.name, t.compressed, &t.metrics, bpw, bytes, ""));
        }
        let acc = point.accuracy.map_or_else(String::new, |a| a.to_string());
        let (bpw, bytes) = (point.bits_per_weight, point.size_bytes);
        out.push_str(&row("model", true, &point.metrics, bpw, bytes, &acc));
    } else {
        let p = ws.preview.latest.as_ref()?;
        if p.sampled.is_some_and(|s| !s.exact_figures) {
            return None;
        }
        let scope = p.tensor.clone().unwrap_or_else(|| "model".to_owned());
        out.push_str(&row(
            &scope,
            true,
            &p.metrics,
            p.size.bits_per_weight,
            p.size.bytes,
            "",
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
    dialog: &mut crate::ui::file_dialog::DialogSlot,
    plots_rect: egui::Rect,
    cx: &mut PanelContext<'_>,
    config: &Config,
) {
    let (ws, lang) = (cx.workspace, cx.env.lang);
    ui.horizontal(|ui| {
        crate::ui::export_path::target_ui(ui, prefix, dialog, lang, "export path");
        if ui.button(tr(lang, "w.export_csv")).clicked()
            && let Some(csv) = metrics_csv(ws, config)
        {
            match export_path(prefix, ".csv") {
                Ok(path) => {
                    let content = FileContent::Bytes(csv.into_bytes());
                    cx.commands.push(AppCommand::WriteFile { path, content });
                }
                Err(e) => cx.status = Some(e),
            }
        }
        if ui.button(tr(lang, "w.export_png")).clicked() {
            match export_path(prefix, ".png") {
                Ok(path) => {
                    crate::ui::screenshot::export_region(ui.ctx(), plots_rect, path, cx.later);
                }
                Err(e) => cx.status = Some(e),
            }
        }
    });
}
