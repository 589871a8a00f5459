//! A finished demo's report, typed all the way from the demo: its table (method first,
//! accuracies as "94.9 %", parameter counts with separators, bytes with units), for LoRA and
//! QLoRA the training memory as a stacked bar chart (weights, gradients, optimizer state; full
//! fine-tuning beside the run, the saving written out), and its notes.

use egui_plot::{Bar, BarChart, Legend, Plot};

use super::demo_text;
use crate::demos::{AdaptRow, DemoReport, DistillReport, LoraReport, Note, QatReport};
use crate::ui::i18n::{Lang, fill, tr};
use crate::ui::model_panel::size_calc::{grouped, human_bytes};
use crate::ui::registry::{PanelContext, PanelEnv};
use crate::ui::theme;

/// The report's table, memory chart and notes.
pub fn report_ui(ui: &mut egui::Ui, report: &DemoReport, cx: &mut PanelContext<'_>) {
    let lang = cx.env.lang;
    match report {
        DemoReport::Qat(r) => qat_table(ui, r, lang),
        DemoReport::Distill(r) => distill_table(ui, r, lang),
        DemoReport::Lora(r) => {
            adapt_table(ui, &r.rows, lang);
            memory_chart(ui, r, cx.env);
        }
        DemoReport::Adapter(r) => adapt_table(ui, &r.rows, lang),
        DemoReport::Prompt(r) => adapt_table(ui, &r.rows, lang),
    }
    notes_ui(ui, report.notes(), cx);
}

/// An accuracy in [0, 1] as a percentage: `0.949` → "94.9 %".
pub fn pct(accuracy: f64) -> String {
    format!("{:.1} %", 100.0 * accuracy)
}

/// A difference of accuracies in percentage points, signed ("+1.2 pt", "−0.4 pt"; Korean
/// writes "%p").
pub fn points(delta: f64, lang: Lang) -> String {
    let d = 100.0 * delta;
    let pt = tr(lang, "unit.pt");
    if d < 0.0 {
        format!("\u{2212}{:.1} {pt}", -d)
    } else {
        format!("+{d:.1} {pt}")
    }
}

fn table(ui: &mut egui::Ui, id: &str, lang: Lang, headers: &[&'static str], rows: &[Vec<String>]) {
    egui::Grid::new(id)
        .striped(true)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            for h in headers {
                ui.strong(tr(lang, h));
            }
            ui.end_row();
            for row in rows {
                for (k, cell) in row.iter().enumerate() {
                    let text = egui::RichText::new(cell);
                    // The first column names the method; the others are figures.
                    ui.label(if k == 0 { text } else { text.monospace() });
                }
                ui.end_row();
            }
        });
}

fn qat_table(ui: &mut egui::Ui, r: &QatReport, lang: Lang) {
    let mut rows = vec![vec![
        "fp32".to_owned(),
        "—".into(),
        pct(r.fp32_accuracy),
        "—".into(),
        "—".into(),
        human_bytes(r.fp32_weight_bytes as f64),
    ]];
    rows.extend(r.rows.iter().map(|row| {
        vec![
            format!("int{}", row.bits),
            grouped(u64::from(row.levels)),
            pct(row.ptq_accuracy),
            pct(row.qat_accuracy),
            points(row.qat_accuracy - row.ptq_accuracy, lang),
            human_bytes(row.weight_bytes as f64),
        ]
    }));
    let headers = [
        "ls.col.setting",
        "ls.col.levels",
        "ls.col.ptq",
        "ls.col.qat",
        "ls.col.gain",
        "ls.col.weights",
    ];
    table(ui, "demo_qat", lang, &headers, &rows);
}

fn distill_table(ui: &mut egui::Ui, r: &DistillReport, lang: Lang) {
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| {
            vec![
                demo_text::label(lang, &row.model),
                row.architecture.clone(),
                grouped(row.params as u64),
                demo_text::label(lang, &row.taught_by),
                pct(row.test_accuracy),
                format!("{:.3}", row.test_loss),
            ]
        })
        .collect();
    let headers = [
        "ls.col.model",
        "ls.col.architecture",
        "ls.col.params",
        "ls.col.taught_by",
        "ls.col.accuracy",
        "ls.col.loss",
    ];
    table(ui, "demo_distill", lang, &headers, &rows);
}

fn adapt_table(ui: &mut egui::Ui, rows: &[AdaptRow], lang: Lang) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                demo_text::label(lang, &row.method),
                grouped(row.trainable_params as u64),
                format!("{:.2} %", 100.0 * row.trainable_fraction),
                human_bytes(row.optimizer_bytes as f64),
                pct(row.accuracy_before),
                pct(row.accuracy_after),
            ]
        })
        .collect();
    let headers = [
        "ls.col.method",
        "ls.col.trainable",
        "ls.col.share",
        "ls.col.optimizer",
        "ls.col.before",
        "ls.col.after",
    ];
    table(ui, "demo_adapt", lang, &headers, &rows);
}

/// Training memory in bytes: (weights, gradients, optimizer state).
pub type Memory = [f64; 3];

/// Full fine-tuning in fp32 and the LoRA/QLoRA run: every parameter is trained in full
/// fine-tuning (its f32 gradient and two Adam moments); LoRA keeps the base frozen as stored
/// (NF4 for QLoRA), biases in f32, and trains only the adapters.
pub fn training_memory(r: &LoraReport) -> (Memory, Memory) {
    let m = &r.memory;
    let full = 4.0 * m.full_finetune_params as f64;
    let lora = 4.0 * m.lora_params as f64;
    let base = m.base_weight_bytes_stored as f64 + 4.0 * m.base_bias_params as f64;
    (
        [full, full, m.full_finetune_optimizer_bytes as f64],
        [base + lora, lora, m.lora_optimizer_bytes as f64],
    )
}

fn memory_chart(ui: &mut egui::Ui, r: &LoraReport, env: PanelEnv) {
    let lang = env.lang;
    let (full, run) = training_memory(r);
    let run_name = r
        .rows
        .last()
        .map_or_else(String::new, |row| demo_text::label(lang, &row.method));
    let (total_full, total_run) = (full.iter().sum::<f64>(), run.iter().sum::<f64>());
    ui.add_space(6.0);
    ui.strong(tr(lang, "ls.mem.title"));
    let less = format!("{:.0} %", 100.0 * (1.0 - total_run / total_full.max(1.0)));
    ui.label(
        egui::RichText::new(fill(
            tr(lang, "ls.mem.less"),
            &[
                &run_name,
                &less,
                &human_bytes(total_run),
                &human_bytes(total_full),
            ],
        ))
        .strong(),
    );
    let parts = ["ls.mem.weights", "ls.mem.grads", "ls.mem.optimizer"];
    let names = [tr(lang, "ls.mem.full").to_owned(), run_name];
    let kb = |b: f64| b / 1000.0;
    let mut charts: Vec<BarChart> = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let bars = [full[k], run[k]]
            .iter()
            .enumerate()
            .map(|(x, &b)| {
                Bar::new(x as f64, kb(b)).width(0.55).name(format!(
                    "{}: {}",
                    names[x],
                    human_bytes(b)
                ))
            })
            .collect();
        let chart = BarChart::new(tr(lang, part), bars).color(theme::memory_part(k));
        let below: Vec<&BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    Plot::new("demo_memory")
        .height(170.0)
        .legend(Legend::default())
        .y_axis_label("kB")
        .x_axis_formatter(move |mark, _| {
            let x = mark.value.round();
            if (mark.value - x).abs() < 1e-9 && (0.0..=1.0).contains(&x) {
                names[x as usize].clone()
            } else {
                String::new()
            }
        })
        .include_x(-0.6)
        .include_x(1.6)
        .include_y(0.0)
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
        });
}

/// Epochs per model the distillation note suggests (the ordering turns there, measured).
pub const LONGER_DISTILL_EPOCHS: usize = 60;

fn notes_ui(ui: &mut egui::Ui, notes: &[Note], cx: &mut PanelContext<'_>) {
    let env = cx.env;
    if notes.is_empty() {
        return;
    }
    ui.add_space(4.0);
    ui.strong(tr(env.lang, "ls.notes"));
    for note in notes {
        ui.colored_label(theme::warn(env.dark), demo_text::note(env.lang, note));
        // The note says what to try: one click tries it.
        if note.code == "kd_below_labels" && !cx.workspace.demo.running {
            let label = fill(
                tr(env.lang, "ls.try_more_epochs"),
                &[&LONGER_DISTILL_EPOCHS.to_string()],
            );
            if ui.button(label).clicked() {
                cx.commands.push(crate::ui::workspace::AppCommand::RunDemo(
                    crate::engine::DemoKind::Distill,
                    Some(LONGER_DISTILL_EPOCHS),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_a_room_reads_them() {
        assert_eq!(pct(0.949), "94.9 %");
        assert_eq!(points(0.012, Lang::En), "+1.2 pt");
        assert_eq!(points(-0.004, Lang::En), "\u{2212}0.4 pt");
        assert_eq!(points(-0.004, Lang::Ko), "\u{2212}0.4 %p");
    }
}
