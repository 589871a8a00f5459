//! Where quantization hurts in this model: the current setting's weight SQNR of every tensor
//! laid out by kind (rows: q/k/v/o/gate/up/down…) and layer (columns), from the whole-model
//! point the engine measured ([`crate::engine::ConfigPoint::tensors`]). Red is the worst cell of
//! the model, blue the best; hovering a cell names the tensor, clicking it opens it.

use egui::{Align2, FontId, Rect, Sense, Stroke, Vec2};

use crate::engine::ConfigPoint;
use crate::model::blocks::LayerGrid;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

/// Widest and narrowest cells (points); values are written in cells at least `TEXT_CELL` wide.
const MAX_CELL: f32 = 56.0;
const MIN_CELL: f32 = 6.0;
const TEXT_CELL: f32 = 36.0;
const CELL_HEIGHT: f32 = 20.0;

/// The grid of a point's compressed tensors, if they fill at least two layers.
pub fn grid_of(point: &ConfigPoint) -> Option<LayerGrid> {
    let items = point
        .tensors
        .iter()
        .enumerate()
        .filter(|(_, t)| t.compressed)
        .map(|(i, t)| (i, t.name.as_str()));
    let grid = LayerGrid::of(items);
    (grid.blocks.len() >= 2).then_some(grid)
}

/// The heat map; returns the tensor clicked, if any.
pub fn heatmap_ui(
    ui: &mut egui::Ui,
    point: &ConfigPoint,
    grid: &LayerGrid,
    env: PanelEnv,
) -> Option<String> {
    let scale = Scale::of(point, grid);
    let kinds = grid.kind_labels();
    let blocks = grid.block_labels();
    let font = FontId::monospace(12.0);
    let label_w = kinds
        .iter()
        .map(|k| {
            ui.painter()
                .layout_no_wrap(k.clone(), font.clone(), ui.visuals().text_color())
                .size()
                .x
        })
        .fold(0.0f32, f32::max)
        + 8.0;
    let cell = ((ui.available_width() - label_w) / blocks.len() as f32).clamp(MIN_CELL, MAX_CELL);
    let size = Vec2::new(
        label_w + cell * blocks.len() as f32,
        CELL_HEIGHT * (kinds.len() as f32 + 1.0),
    );
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    let cell_rect = |k: usize, b: usize| {
        Rect::from_min_size(
            rect.min + Vec2::new(label_w + cell * b as f32, CELL_HEIGHT * (k as f32 + 1.0)),
            Vec2::new(cell, CELL_HEIGHT),
        )
    };
    // Column labels: every layer when there is room, else every few.
    let every = (28.0 / cell).ceil().max(1.0) as usize;
    for (b, label) in blocks.iter().enumerate().filter(|(b, _)| b % every == 0) {
        let at = cell_rect(0, b).center_top() - Vec2::new(0.0, CELL_HEIGHT / 2.0);
        painter.text(at, Align2::CENTER_CENTER, label, font.clone(), text);
    }
    let cells = Cells {
        id: ui.make_persistent_id("layer_heatmap"),
        font: font.clone(),
        text,
        numbers: cell >= TEXT_CELL,
        scale,
        lang: env.lang,
    };
    let mut clicked = None;
    for (k, label) in kinds.iter().enumerate() {
        let at = rect.min + Vec2::new(label_w - 6.0, CELL_HEIGHT * (k as f32 + 1.5));
        painter.text(at, Align2::RIGHT_CENTER, label, font.clone(), text);
        for b in 0..blocks.len() {
            let r = cell_rect(k, b).shrink(0.5);
            if let Some(i) = grid.at(k, b) {
                let t = &point.tensors[i];
                if cells.cell_ui(ui, &painter, r, (k, b), t) {
                    clicked = Some(t.name.clone());
                }
            } else {
                let stroke = Stroke::new(1.0, ui.visuals().weak_text_color());
                painter.rect_stroke(r, 0.0, stroke, egui::StrokeKind::Inside);
            }
        }
    }
    legend_ui(ui, scale.lo, scale.hi, env);
    clicked
}

/// The colour scale: the lowest and highest finite SQNR of the grid's tensors.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
}

impl Scale {
    fn of(point: &ConfigPoint, grid: &LayerGrid) -> Self {
        let finite = || {
            grid.cells
                .iter()
                .flatten()
                .map(|&i| point.tensors[i].metrics.sqnr_db)
                .filter(|v| v.is_finite())
        };
        Self {
            lo: finite().fold(f64::INFINITY, f64::min),
            hi: finite().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// Where `v` sits on the scale, 0 … 1 (exact tensors and a flat grid at the top).
    fn t(self, v: f64) -> f32 {
        if !v.is_finite() || self.hi <= self.lo {
            1.0
        } else {
            ((v - self.lo) / (self.hi - self.lo)) as f32
        }
    }
}

/// What every cell shares.
struct Cells {
    id: egui::Id,
    font: FontId,
    text: egui::Color32,
    /// Cells are wide enough for their SQNR figure.
    numbers: bool,
    scale: Scale,
    lang: crate::ui::i18n::Lang,
}

impl Cells {
    /// One tensor's cell: its colour (and figure), a hover outline and tooltip; clicked?
    fn cell_ui(
        &self,
        ui: &mut egui::Ui,
        painter: &egui::Painter,
        r: Rect,
        at: (usize, usize),
        t: &crate::engine::TensorPoint,
    ) -> bool {
        let v = t.metrics.sqnr_db;
        let fill = theme::heat(self.scale.t(v));
        painter.rect_filled(r, 0.0, fill);
        if self.numbers {
            let s = if v.is_finite() {
                format!("{v:.1}")
            } else {
                "∞".to_owned()
            };
            painter.text(
                r.center(),
                Align2::CENTER_CENTER,
                s,
                self.font.clone(),
                theme::heat_text(fill),
            );
        }
        let response = ui.interact(r, self.id.with(at), Sense::click());
        response.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::accesskit::Role::Button,
                true,
                format!("SQNR of {}", t.name),
            )
        });
        if response.hovered() {
            painter.rect_stroke(
                r,
                0.0,
                Stroke::new(2.0, self.text),
                egui::StrokeKind::Inside,
            );
        }
        let clicked = response.clicked();
        response.on_hover_text(format!(
            "{}\nSQNR {:.2} dB · MSE {:.3e} · {:.3} {}",
            t.name,
            v,
            t.metrics.mse,
            t.size.bits_per_weight,
            tr(self.lang, "w.bpw")
        ));
        clicked
    }
}

/// The colour ramp with the model's worst and best SQNR at its ends.
fn legend_ui(ui: &mut egui::Ui, lo: f64, hi: f64, env: PanelEnv) {
    if !(lo.is_finite() && hi.is_finite()) {
        return;
    }
    ui.horizontal(|ui| {
        ui.label(format!("{lo:.1} dB ({})", tr(env.lang, "w.heat_worst")));
        let (rect, _) = ui.allocate_exact_size(Vec2::new(120.0, 12.0), Sense::hover());
        let steps = 24;
        for s in 0..steps {
            let x0 = rect.left() + rect.width() * s as f32 / steps as f32;
            let x1 = rect.left() + rect.width() * (s + 1) as f32 / steps as f32;
            let r = Rect::from_min_max(egui::pos2(x0, rect.top()), egui::pos2(x1, rect.bottom()));
            ui.painter()
                .rect_filled(r, 0.0, theme::heat((s as f32 + 0.5) / steps as f32));
        }
        ui.label(format!("{hi:.1} dB ({})", tr(env.lang, "w.heat_best")));
    });
}
