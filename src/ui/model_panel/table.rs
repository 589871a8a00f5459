//! The tensor table: name, shape, dtype, parameters, bytes and statistics in aligned,
//! resizable columns with virtualised rows (thousands of tensors); sortable by any column,
//! filterable by name, grouped by block (`model.layers.N.` collapsed, with the block's totals),
//! with totals of what is shown. Clicking a name makes it the current tensor.

use std::collections::BTreeSet;

use egui::RichText;
use egui_extras::{Column, TableBuilder};
use serde::{Deserialize, Serialize};

use super::size_calc::grouped;
use crate::model::TensorInfo;
use crate::model::blocks::{Group, group_by_block};
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

/// What the table shows: the name filter, the sort, block grouping and the open blocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableState {
    pub filter: String,
    /// Column and descending.
    pub sort: (SortColumn, bool),
    /// Tensors of one block (`model.layers.N.`) under one collapsible row.
    pub group_blocks: bool,
    /// Blocks shown open.
    #[serde(skip)]
    pub open: BTreeSet<String>,
}

impl Default for TableState {
    fn default() -> Self {
        Self {
            filter: String::new(),
            sort: (SortColumn::File, false),
            group_blocks: true,
            open: BTreeSet::new(),
        }
    }
}

/// One line of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// The block `groups[g]` (collapsed or open).
    Block(usize),
    Tensor(usize),
}

/// The table's lines: blocks (their tensors after them when open, or when a filter is typed)
/// and single tensors.
fn lines(groups: &[Group], state: &TableState) -> Vec<Line> {
    let show_all = !state.filter.trim().is_empty();
    let mut out = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        match group {
            Group::Single(i) => out.push(Line::Tensor(*i)),
            Group::Block { block, members } => {
                out.push(Line::Block(g));
                if show_all || state.open.contains(block) {
                    out.extend(members.iter().map(|&i| Line::Tensor(i)));
                }
            }
        }
    }
    out
}

/// Totals of a block's tensors: parameters, bytes, one dtype (or "mixed"), and the statistics
/// pooled over the finite values of those that have them (min, max, mean, std, outliers).
struct BlockTotals {
    params: u64,
    bytes: u64,
    dtype: String,
    stats: Option<TensorStats>,
}

fn block_totals(
    members: &[usize],
    tensors: &[TensorInfo],
    stats: &[Option<Result<TensorStats, String>>],
) -> BlockTotals {
    let params = members.iter().map(|&i| tensors[i].n_params).sum();
    let bytes = members.iter().map(|&i| tensors[i].size_bytes).sum();
    let first = &tensors[members[0]].dtype;
    let dtype = if members.iter().all(|&i| tensors[i].dtype == *first) {
        first.clone()
    } else {
        "mixed".to_owned()
    };
    let all: Vec<&TensorStats> = members
        .iter()
        .filter_map(|&i| stats.get(i)?.as_ref()?.as_ref().ok())
        .collect();
    let stats = (all.len() == members.len()).then(|| pooled(&all));
    BlockTotals {
        params,
        bytes,
        dtype,
        stats,
    }
}

/// Statistics of several tensors' finite values taken together (kurtosis is not pooled: NaN).
fn pooled(all: &[&TensorStats]) -> TensorStats {
    let finite = |s: &TensorStats| (s.count - s.nan_count - s.inf_count) as f64;
    let n: f64 = all.iter().map(|s| finite(s)).sum();
    let w = |f: &dyn Fn(&TensorStats) -> f64| {
        all.iter().map(|s| finite(s) * f(s)).sum::<f64>() / n.max(1.0)
    };
    let mean = w(&|s| s.mean);
    let second = w(&|s| s.std * s.std + s.mean * s.mean);
    TensorStats {
        count: all.iter().map(|s| s.count).sum(),
        nan_count: all.iter().map(|s| s.nan_count).sum(),
        inf_count: all.iter().map(|s| s.inf_count).sum(),
        min: all.iter().map(|s| s.min).fold(f64::INFINITY, f64::min),
        max: all.iter().map(|s| s.max).fold(f64::NEG_INFINITY, f64::max),
        mean,
        std: (second - mean * mean).max(0.0).sqrt(),
        kurtosis: f64::NAN,
        outlier_ratio: w(&|s| s.outlier_ratio),
    }
}

const ROW_HEIGHT: f32 = 20.0;

/// The name column is never narrower (points).
const MIN_NAME_WIDTH: f32 = 120.0;

/// The table's columns. Widths start from the model's names and the zoom (`model_id` and
/// the zoom salt its id: a new model or zoom gets fresh columns that fit).
fn columns(ui: &mut egui::Ui, model_id: usize, name_width: f32) -> TableBuilder<'_> {
    let zoom = (ui.ctx().pixels_per_point() * 100.0) as u32;
    let mut table = TableBuilder::new(ui)
        .id_salt(("tensor_table", model_id, zoom))
        .striped(true)
        .resizable(true)
        .auto_shrink([false, true])
        .max_scroll_height(340.0)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(
            Column::initial(name_width)
                .at_least(MIN_NAME_WIDTH)
                .clip(true),
        );
    for &(_, _, width) in &COLUMNS[1..] {
        table = table.column(Column::initial(width).at_least(36.0).clip(true));
    }
    table
}

pub fn table_ui(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, state: &mut TableState) {
    let lang = cx.env.lang;
    let model = &cx.workspace.model;
    let rows = row_order(
        &model.tensors,
        &cx.workspace.stats,
        &state.filter,
        state.sort.0,
        state.sort.1,
    );
    let groups = if state.group_blocks {
        group_by_block(|i| &model.tensors[i].name, &rows)
    } else {
        rows.iter().map(|&i| Group::Single(i)).collect()
    };
    let has_blocks = groups.iter().any(|g| matches!(g, Group::Block { .. }));
    let model_has_blocks = model
        .tensors
        .iter()
        .any(|t| crate::model::blocks::place(&t.name).is_some());
    controls_ui(ui, cx, state, &groups, model_has_blocks);
    let lines = lines(&groups, state);
    let name_width = name_column_width(ui, model);
    let mut select = None;
    let mut toggle = None;
    // Wider than the window (long names, small windows): the columns scroll sideways together.
    egui::ScrollArea::horizontal()
        .id_salt("tensor_columns")
        .show(ui, |ui| {
            let id = std::sync::Arc::as_ptr(model) as usize;
            columns(ui, id, name_width)
                .header(ROW_HEIGHT, |mut header| {
                    for (c, &(column, header_key, _)) in COLUMNS.iter().enumerate() {
                        header.col(|ui| {
                            let layout = if (3..10).contains(&c) {
                                egui::Layout::right_to_left(egui::Align::Center)
                            } else {
                                egui::Layout::left_to_right(egui::Align::Center)
                            };
                            ui.with_layout(layout, |ui| {
                                header_cell(ui, lang, column, header_key, &mut state.sort);
                            });
                        });
                    }
                })
                .body(|body| {
                    body.rows(ROW_HEIGHT, lines.len(), |mut row| {
                        match lines[row.index()] {
                            Line::Tensor(i) => {
                                let picked = cx.workspace.selected_tensor.as_deref()
                                    == Some(&model.tensors[i].name);
                                row.set_selected(picked);
                                if tensor_row(&mut row, cx, i, state.group_blocks && has_blocks) {
                                    select = Some(model.tensors[i].name.clone());
                                }
                            }
                            Line::Block(g) => {
                                if let Group::Block { block, members } = &groups[g]
                                    && block_row(
                                        &mut row,
                                        cx,
                                        block,
                                        members,
                                        state.open.contains(block),
                                    )
                                {
                                    toggle = Some(block.clone());
                                }
                            }
                        }
                    });
                });
        });
    if let Some(block) = toggle
        && !state.open.remove(&block)
    {
        state.open.insert(block);
    }
    totals_ui(ui, cx, &rows);
    if let Some(name) = select {
        cx.commands.push(AppCommand::SelectTensor(name));
    }
}

/// The filter, file order, and the grouping switches.
fn controls_ui(
    ui: &mut egui::Ui,
    cx: &PanelContext<'_>,
    state: &mut TableState,
    groups: &[Group],
    has_blocks: bool,
) {
    let lang = cx.env.lang;
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, "model.filter"));
        let r = ui.add(egui::TextEdit::singleline(&mut state.filter).desired_width(220.0));
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::SearchInput, true, "filter tensors")
        });
        if ui.small_button(tr(lang, "model.file_order")).clicked() {
            state.sort = (SortColumn::File, false);
        }
        if !has_blocks {
            return;
        }
        ui.checkbox(&mut state.group_blocks, tr(lang, "model.group_blocks"));
        if state.group_blocks {
            if ui.small_button(tr(lang, "model.open_all")).clicked() {
                state.open = groups
                    .iter()
                    .filter_map(|g| match g {
                        Group::Block { block, .. } => Some(block.clone()),
                        Group::Single(_) => None,
                    })
                    .collect();
            }
            if ui.small_button(tr(lang, "model.close_all")).clicked() {
                state.open.clear();
            }
        }
    });
}

/// A sortable column header.
fn header_cell(
    ui: &mut egui::Ui,
    lang: crate::ui::i18n::Lang,
    column: SortColumn,
    header_key: &'static str,
    sort: &mut (SortColumn, bool),
) {
    let arrow = if sort.0 == column && column != SortColumn::File {
        if sort.1 { " ↓" } else { " ↑" }
    } else {
        ""
    };
    let text = RichText::new(format!("{}{arrow}", tr(lang, header_key))).strong();
    let clicked = ui.add(egui::Button::new(text).frame(false)).clicked();
    if clicked && column != SortColumn::File {
        *sort = if sort.0 == column {
            (column, !sort.1)
        } else {
            (column, true)
        };
    }
}

/// One tensor's row (indented under its block when grouped); whether its name was clicked.
fn tensor_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    cx: &PanelContext<'_>,
    i: usize,
    indent: bool,
) -> bool {
    let info = &cx.workspace.model.tensors[i];
    let selected = cx.workspace.selected_tensor.as_deref() == Some(&info.name);
    let mut clicked = false;
    row.col(|ui| {
        if indent && crate::model::blocks::place(&info.name).is_some() {
            ui.add_space(14.0);
        }
        let name = RichText::new(&info.name).monospace();
        let button =
            egui::Button::selectable(selected, name).wrap_mode(egui::TextWrapMode::Truncate);
        let r = ui.add(button);
        clicked = r.clicked() && info.supported;
        if let Some(note) = &info.note {
            r.on_hover_text(note);
        }
    });
    cell(row, format!("{:?}", info.shape));
    cell(row, info.dtype.clone());
    num_cell(row, grouped(info.n_params));
    num_cell(row, grouped(info.size_bytes));
    let stats = cx.workspace.stats.get(i).and_then(|s| s.as_ref());
    stats_cells(row, stats, cx.env.dark);
    clicked
}

/// A block's row: its name with the number of tensors, and its totals; whether it was clicked.
fn block_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    cx: &PanelContext<'_>,
    block: &str,
    members: &[usize],
    open: bool,
) -> bool {
    let ws = cx.workspace;
    let totals = block_totals(members, &ws.model.tensors, &ws.stats);
    let mut clicked = false;
    row.col(|ui| {
        let arrow = if open { "−" } else { "+" };
        let text = RichText::new(format!("{arrow} {block} ({})", members.len()))
            .monospace()
            .strong();
        clicked = ui
            .add(
                egui::Button::new(text)
                    .frame(false)
                    .wrap_mode(egui::TextWrapMode::Truncate),
            )
            .clicked();
    });
    cell(row, String::new());
    cell(row, totals.dtype);
    num_cell(row, grouped(totals.params));
    num_cell(row, grouped(totals.bytes));
    let stats = totals.stats.map(Ok);
    stats_cells(row, stats.as_ref(), cx.env.dark);
    clicked
}

/// The statistics columns (a warning in the last one for NaN/Inf, an error, or "…").
fn stats_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    stats: Option<&Result<TensorStats, String>>,
    dark: bool,
) {
    match stats {
        Some(Ok(s)) => {
            for v in [s.min, s.max, s.mean, s.std] {
                cell(row, short(v));
            }
            cell(
                row,
                if s.kurtosis.is_nan() {
                    String::new()
                } else {
                    short(s.kurtosis)
                },
            );
            row.col(|ui| {
                ui.label(RichText::new(format!("{:.4} %", s.outlier_ratio * 100.0)).monospace());
                if s.nan_count + s.inf_count > 0 {
                    ui.colored_label(
                        theme::warn(dark),
                        format!("NaN {} · Inf {}", s.nan_count, s.inf_count),
                    );
                }
            });
        }
        Some(Err(e)) => {
            row.col(|ui| {
                ui.colored_label(theme::warn(dark), e).on_hover_text(e);
            });
            for _ in 0..5 {
                cell(row, String::new());
            }
        }
        None => {
            for _ in 0..6 {
                cell(row, "…".to_owned());
            }
        }
    }
}

/// Totals of the tensors shown.
fn totals_ui(ui: &mut egui::Ui, cx: &PanelContext<'_>, rows: &[usize]) {
    let lang = cx.env.lang;
    let model = &cx.workspace.model;
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
            grouped(shown_params),
            tr(lang, "model.params"),
            super::size_calc::human_bytes(shown_bytes as f64),
            tr(lang, "model.in_file"),
        ))
        .strong(),
    );
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
    let cap = (0.45 * ui.available_width()).clamp(MIN_NAME_WIDTH, 460.0);
    (longest as f32 * char_w + padding).clamp(MIN_NAME_WIDTH, cap)
}

fn cell(row: &mut egui_extras::TableRow<'_, '_>, text: String) {
    row.col(|ui| {
        ui.add(egui::Label::new(RichText::new(text).monospace()).truncate());
    });
}

/// A number, right-aligned so digits line up.
fn num_cell(row: &mut egui_extras::TableRow<'_, '_>, text: String) {
    row.col(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add(egui::Label::new(RichText::new(text).monospace()).truncate());
        });
    });
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
