//! The tensor table: name, shape, dtype, parameters, bytes and statistics; sortable by any
//! column, filterable by name, with totals. Clicking a name makes it the current tensor.

use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::model::TensorInfo;
use crate::tensor::TensorStats;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelContext;
use crate::ui::theme;
use crate::ui::workspace::AppCommand;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortColumn {
    /// File order.
    #[default]
    File,
    Name,
    Params,
    Bytes,
    Min,
    Max,
    Mean,
    Std,
    Kurtosis,
    Outliers,
}

/// (column, i18n key of its header, width in points)
const COLUMNS: &[(SortColumn, &str, f32)] = &[
    (SortColumn::Name, "model.col.name", 260.0),
    (SortColumn::File, "model.col.shape", 110.0),
    (SortColumn::File, "model.col.dtype", 60.0),
    (SortColumn::Params, "model.col.params", 90.0),
    (SortColumn::Bytes, "model.col.bytes", 90.0),
    (SortColumn::Min, "model.col.min", 80.0),
    (SortColumn::Max, "model.col.max", 80.0),
    (SortColumn::Mean, "model.col.mean", 80.0),
    (SortColumn::Std, "model.col.std", 80.0),
    (SortColumn::Kurtosis, "model.col.kurtosis", 70.0),
    (SortColumn::Outliers, "model.col.outliers", 80.0),
];

/// Sort key of a row for `column` (rows without statistics sort last).
fn key(column: SortColumn, info: &TensorInfo, stats: Option<&TensorStats>) -> f64 {
    let stat = |f: fn(&TensorStats) -> f64| stats.map_or(f64::NAN, f);
    match column {
        SortColumn::File | SortColumn::Name => 0.0,
        SortColumn::Params => info.n_params as f64,
        SortColumn::Bytes => info.size_bytes as f64,
        SortColumn::Min => stat(|s| s.min),
        SortColumn::Max => stat(|s| s.max),
        SortColumn::Mean => stat(|s| s.mean),
        SortColumn::Std => stat(|s| s.std),
        SortColumn::Kurtosis => stat(|s| s.kurtosis),
        SortColumn::Outliers => stat(|s| s.outlier_ratio),
    }
}

/// Row order after filtering and sorting.
pub fn row_order(
    tensors: &[TensorInfo],
    stats: &[Option<Result<TensorStats, String>>],
    filter: &str,
    sort: SortColumn,
    descending: bool,
) -> Vec<usize> {
    let needle = filter.trim().to_lowercase();
    let mut rows: Vec<usize> = (0..tensors.len())
        .filter(|&i| needle.is_empty() || tensors[i].name.to_lowercase().contains(&needle))
        .collect();
    let stat = |i: usize| {
        stats
            .get(i)
            .and_then(|s| s.as_ref())
            .and_then(|s| s.as_ref().ok())
    };
    match sort {
        SortColumn::File => {}
        SortColumn::Name => rows.sort_by(|&a, &b| tensors[a].name.cmp(&tensors[b].name)),
        column => rows.sort_by(|&a, &b| {
            let (ka, kb) = (
                key(column, &tensors[a], stat(a)),
                key(column, &tensors[b], stat(b)),
            );
            // NaN (no statistics yet) last in either direction.
            match (ka.is_nan(), kb.is_nan()) {
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => ka.total_cmp(&kb),
            }
        }),
    }
    if descending && sort != SortColumn::File {
        rows.reverse();
    }
    rows
}

pub fn table_ui(
    ui: &mut egui::Ui,
    cx: &mut PanelContext<'_>,
    filter: &mut String,
    sort: &mut (SortColumn, bool),
) {
    let lang = cx.env.lang;
    let model = &cx.workspace.model;
    ui.horizontal(|ui| {
        ui.label(tr(lang, "model.filter"));
        let r = ui.add(egui::TextEdit::singleline(filter).desired_width(220.0));
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::SearchInput, true, "filter tensors")
        });
        if ui.small_button(tr(lang, "model.file_order")).clicked() {
            *sort = (SortColumn::File, false);
        }
    });
    let rows = row_order(&model.tensors, &cx.workspace.stats, filter, sort.0, sort.1);
    let row_height = 20.0;
    let name_width = name_column_width(ui, model);
    let mut select = None;
    // Wider than the window (long names, small windows): the columns scroll sideways together.
    egui::ScrollArea::horizontal()
        .id_salt("tensor_columns")
        .show(ui, |ui| {
            // Header
            ui.horizontal(|ui| {
                for (c, &(column, header_key, width)) in COLUMNS.iter().enumerate() {
                    let width = if c == 0 { name_width } else { width };
                    let arrow = if sort.0 == column && column != SortColumn::File {
                        if sort.1 { " ↓" } else { " ↑" }
                    } else {
                        ""
                    };
                    let text = format!("{}{arrow}", tr(lang, header_key));
                    let clicked = ui
                        .add_sized(
                            [width, row_height],
                            egui::Button::new(RichText::new(text).strong()).frame(false),
                        )
                        .clicked();
                    if clicked && column != SortColumn::File {
                        *sort = if sort.0 == column {
                            (column, !sort.1)
                        } else {
                            (column, true)
                        };
                    }
                }
            });
            ui.separator();
            let selected = cx.workspace.selected_tensor.as_deref();
            egui::ScrollArea::vertical()
                .id_salt("tensor_rows")
                .max_height(340.0)
                .auto_shrink([false, true])
                .show_rows(ui, row_height, rows.len(), |ui, range| {
                    for &i in &rows[range] {
                        let info = &model.tensors[i];
                        let stats = cx.workspace.stats.get(i).and_then(|s| s.as_ref());
                        ui.horizontal(|ui| {
                            let name = RichText::new(&info.name).monospace();
                            let button =
                                egui::Button::selectable(selected == Some(&info.name), name)
                                    .wrap_mode(egui::TextWrapMode::Truncate);
                            let r = ui.add_sized([name_width, row_height], button);
                            if r.clicked() && info.supported {
                                select = Some(info.name.clone());
                            }
                            if let Some(note) = &info.note {
                                r.on_hover_text(note);
                            }
                            let shape = format!("{:?}", info.shape);
                            cell(ui, COLUMNS[1].2, shape);
                            cell(ui, COLUMNS[2].2, info.dtype.clone());
                            cell(ui, COLUMNS[3].2, info.n_params.to_string());
                            cell(ui, COLUMNS[4].2, info.size_bytes.to_string());
                            match stats {
                                Some(Ok(s)) => {
                                    for (col, v) in [
                                        (5, s.min),
                                        (6, s.max),
                                        (7, s.mean),
                                        (8, s.std),
                                        (9, s.kurtosis),
                                    ] {
                                        cell(ui, COLUMNS[col].2, short(v));
                                    }
                                    let outliers = format!("{:.4} %", s.outlier_ratio * 100.0);
                                    cell(ui, COLUMNS[10].2, outliers);
                                    if s.nan_count + s.inf_count > 0 {
                                        ui.colored_label(
                                            theme::warn(cx.env.dark),
                                            format!("NaN {} · Inf {}", s.nan_count, s.inf_count),
                                        );
                                    }
                                }
                                Some(Err(e)) => {
                                    ui.colored_label(theme::warn(cx.env.dark), e);
                                }
                                None => {
                                    ui.weak("…");
                                }
                            }
                        });
                    }
                });
        });
    ui.separator();
    let shown_params: u64 = rows.iter().map(|&i| model.tensors[i].n_params).sum();
    let shown_bytes: u64 = rows.iter().map(|&i| model.tensors[i].size_bytes).sum();
    ui.label(
        RichText::new(format!(
            "{}: {} / {} {}   ·   {} {}   ·   {} {}",
            tr(lang, "model.totals"),
            rows.len(),
            model.tensors.len(),
            tr(lang, "model.tensors"),
            shown_params,
            tr(lang, "model.params"),
            super::size_calc::human_bytes(shown_bytes as f64),
            tr(lang, "model.in_file"),
        ))
        .strong(),
    );
    if let Some(name) = select {
        cx.commands.push(AppCommand::SelectTensor(name));
    }
}

/// The name column fits the model's longest name (monospace), between its default width and a
/// cap; longer names end in "…" (the accessible label keeps the whole name), so every later
/// column stays aligned whatever the names.
fn name_column_width(ui: &egui::Ui, model: &crate::model::Model) -> f32 {
    let longest = model
        .tensors
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let char_w = ui
        .painter()
        .layout_no_wrap("m".into(), font, egui::Color32::PLACEHOLDER)
        .size()
        .x;
    let padding = 2.0 * ui.spacing().button_padding.x + 4.0;
    // At most 460 points and never most of a narrow (projector, zoomed) window.
    let cap = (0.45 * ui.available_width()).clamp(COLUMNS[0].2, 460.0);
    (longest as f32 * char_w + padding).clamp(COLUMNS[0].2, cap)
}

fn cell(ui: &mut egui::Ui, width: f32, text: String) {
    ui.add_sized(
        [width, 18.0],
        egui::Label::new(RichText::new(text).monospace()).truncate(),
    );
}

fn short(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else if !v.is_finite() {
        format!("{v}")
    } else if (1e-3..1e4).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.2e}")
    }
}
