//! Lesson 11: the summary table, technique → what it reduces → what it costs, each row linking
//! back to its lesson.

use crate::ui::i18n::{Lang, tr};

/// (technique key, lesson index)
const ROWS: &[(&str, usize)] = &[
    ("sum.formats", 3),
    ("sum.quant", 5),
    ("sum.prune", 6),
    ("sum.distill", 7),
    ("sum.lora", 8),
    ("sum.adapter", 9),
];

fn reduces_key(key: &str) -> &'static str {
    match key {
        "sum.formats" => "sum.formats.reduces",
        "sum.quant" => "sum.quant.reduces",
        "sum.prune" => "sum.prune.reduces",
        "sum.distill" => "sum.distill.reduces",
        "sum.lora" => "sum.lora.reduces",
        _ => "sum.adapter.reduces",
    }
}

fn costs_key(key: &str) -> &'static str {
    match key {
        "sum.formats" => "sum.formats.costs",
        "sum.quant" => "sum.quant.costs",
        "sum.prune" => "sum.prune.costs",
        "sum.distill" => "sum.distill.costs",
        "sum.lora" => "sum.lora.costs",
        _ => "sum.adapter.costs",
    }
}

/// Draw the table; returns the lesson to go to when a row's button is clicked.
pub fn summary_ui(ui: &mut egui::Ui, lang: Lang) -> Option<usize> {
    let mut go = None;
    egui::Grid::new("lesson_summary")
        .striped(true)
        .spacing([18.0, 6.0])
        .show(ui, |ui| {
            for key in [
                "ls.summary.technique",
                "ls.summary.reduces",
                "ls.summary.costs",
                "ls.summary.go",
            ] {
                ui.strong(tr(lang, key));
            }
            ui.end_row();
            for &(key, lesson) in ROWS {
                ui.strong(tr(lang, key));
                ui.label(tr(lang, reduces_key(key)));
                ui.label(tr(lang, costs_key(key)));
                if ui
                    .button(format!("{} {}", tr(lang, "ls.summary.go"), lesson + 1))
                    .clicked()
                {
                    go = Some(lesson);
                }
                ui.end_row();
            }
        });
    go
}
