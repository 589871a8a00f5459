//! The training demos inside the lessons: run in the engine with live accuracy curves (one line
//! per training run, streamed per epoch) and cancel; then the demo's report as a table, its
//! memory figures, and its notes (where an expected ordering did not come out, and why).

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::demo_text;
use crate::engine::DemoKind;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelContext;
use crate::ui::theme;
use crate::ui::workspace::AppCommand;

fn demo_key(kind: DemoKind) -> &'static str {
    match kind {
        DemoKind::Qat => "ls.demo.qat",
        DemoKind::Distill => "ls.demo.distill",
        DemoKind::Lora => "ls.demo.lora",
        DemoKind::Qlora => "ls.demo.qlora",
        DemoKind::Adapter => "ls.demo.adapter",
        DemoKind::Prompt => "ls.demo.prompt",
    }
}

/// Buttons for `kinds`, the live curves and the last report of one of them.
pub fn demo_ui(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, kinds: &[DemoKind]) {
    let lang = cx.env.lang;
    let demo = &cx.workspace.demo;
    ui.horizontal_wrapped(|ui| {
        for &kind in kinds {
            let label = format!("{} {}", tr(lang, "ls.run_demo"), tr(lang, demo_key(kind)));
            if ui
                .add_enabled(!demo.running, egui::Button::new(label))
                .clicked()
            {
                cx.commands.push(AppCommand::RunDemo(kind));
            }
        }
        if demo.running {
            ui.spinner();
            if ui.button(tr(lang, "model.cancel")).clicked() {
                cx.commands.push(AppCommand::CancelDemo);
            }
        }
        ui.weak(format!(
            "{} bitlens demo {}",
            tr(lang, "ls.demo_cli"),
            kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("|")
        ));
    });
    let Some(kind) = demo.kind.filter(|k| kinds.contains(k)) else {
        return;
    };
    if let Some(error) = &demo.error {
        ui.colored_label(theme::warn(cx.env.dark), error);
    }
    ui.strong(tr(lang, demo_key(kind)));
    Plot::new("demo_curves")
        .height(200.0)
        .legend(Legend::default())
        .x_axis_label(tr(lang, "ls.epoch"))
        .y_axis_label(tr(lang, "ls.accuracy_axis"))
        .include_y(0.0)
        .include_y(100.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            for (series, points) in &demo.curves {
                let name = demo_text::label(lang, series);
                plot.line(Line::new(name, PlotPoints::from(points.clone())).width(2.0));
            }
        });
    if let Some(report) = &demo.report {
        report_ui(ui, report, cx);
    }
}

/// The report's `rows` as a table (columns from the first row), `memory` as key/value pairs,
/// and `notes`.
fn report_ui(ui: &mut egui::Ui, report: &serde_json::Value, cx: &PanelContext<'_>) {
    let lang = cx.env.lang;
    if let Some(rows) = report
        .get("rows")
        .and_then(|r| r.as_array())
        .filter(|r| !r.is_empty())
    {
        let columns: Vec<String> = rows[0]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        egui::Grid::new("demo_report")
            .striped(true)
            .spacing([14.0, 3.0])
            .show(ui, |ui| {
                for c in &columns {
                    ui.strong(demo_text::column(lang, c));
                }
                ui.end_row();
                for row in rows {
                    for c in &columns {
                        let text = demo_text::label(lang, &cell(row.get(c)));
                        ui.label(egui::RichText::new(text).monospace());
                    }
                    ui.end_row();
                }
            });
    }
    if let Some(memory) = report.get("memory").and_then(|m| m.as_object()) {
        ui.add_space(4.0);
        ui.strong(tr(lang, "ls.memory"));
        for (k, v) in memory {
            ui.label(
                egui::RichText::new(format!(
                    "{}: {}",
                    demo_text::column(lang, k),
                    demo_text::label(lang, &cell(Some(v)))
                ))
                .monospace(),
            );
        }
    }
    if let Some(notes) = report
        .get("notes")
        .and_then(|n| n.as_array())
        .filter(|n| !n.is_empty())
    {
        ui.add_space(4.0);
        ui.strong(tr(lang, "ls.notes"));
        for note in notes {
            ui.colored_label(theme::warn(cx.env.dark), demo_text::note(lang, note));
        }
    }
}

/// A JSON value as a table cell: accuracies in [0, 1] stay as they are (the column names say
/// what they are), floats to 4 places.
fn cell(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "—".to_owned(),
        Some(serde_json::Value::Number(n)) if n.is_f64() => {
            format!("{:.4}", n.as_f64().unwrap_or_default())
        }
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
