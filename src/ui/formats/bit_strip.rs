//! The bit strip: one clickable cell per bit, coloured by field, bit index above, nibble
//! shading. Click flips a bit; click-drag paints the value of the first cell's flipped bit
//! across the cells the pointer passes. Each cell reports the accessibility label "bit N".

use egui::{Align2, FontId, Rect, Sense, Vec2, pos2, vec2};

use crate::numfmt::{BitField, FieldKind};
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

/// Drag-painting state kept in egui's temporary memory while the button is held.
#[derive(Clone, Copy)]
struct PaintStroke {
    value: bool,
}

/// Draw the strip for a `width`-bit pattern and apply clicks and drags to `bits`.
/// Returns true when `bits` changed.
pub fn bit_strip_ui(
    ui: &mut egui::Ui,
    bits: &mut u64,
    width: u32,
    fields: &[BitField],
    env: PanelEnv,
) -> bool {
    let dark = env.dark;
    let before = *bits;
    let stroke_id = ui.make_persistent_id("bit_strip_stroke");
    let available = ui.available_width();
    let nibbles = width.div_ceil(4) as f32;
    let natural = width as f32 * theme::BIT_CELL_WIDTH + (nibbles - 1.0) * theme::NIBBLE_GAP;
    // Wide formats (f64) shrink their cells to fit (at 175 % on 1024 px too); narrow ones grow
    // for the projector.
    let scale = (available / natural).clamp(0.3, 1.7);
    let cell = vec2(
        theme::BIT_CELL_WIDTH * scale,
        theme::BIT_CELL_HEIGHT * scale.clamp(1.0, 1.4),
    );
    let gap = theme::NIBBLE_GAP * scale;
    let index_height = 14.0;
    // A field too narrow for its name (the 1-bit sign) names it on a second legend row.
    let crowded = fields
        .iter()
        .any(|f| f.len > 0 && f.len as f32 * cell.x < NARROW_FIELD);
    let legend_height = if crowded { 44.0 } else { 28.0 };
    let total = vec2(
        width as f32 * cell.x + (nibbles - 1.0) * gap,
        index_height + cell.y + legend_height,
    );
    let (outer, _) = ui.allocate_exact_size(total, Sense::hover());

    let pointer_down = ui.input(|i| i.pointer.primary_down());
    if !pointer_down {
        ui.data_mut(|d| d.remove::<PaintStroke>(stroke_id));
    }
    let index_font = FontId::monospace((10.0 * scale).clamp(8.0, 13.0));
    let bit_font = FontId::monospace((16.0 * scale).clamp(11.0, 24.0));

    for position in 0..width {
        // Cells run MSB (left) to LSB (right).
        let bit_index = width - 1 - position;
        let nibble_from_right = bit_index / 4;
        let gaps_before = (nibbles as u32 - 1).saturating_sub(nibble_from_right);
        let x = outer.left() + position as f32 * cell.x + gaps_before as f32 * gap;
        let rect = Rect::from_min_size(pos2(x, outer.top() + index_height), cell);
        let response = cell_input(ui, rect, bits, bit_index, stroke_id, pointer_down);
        let look = CellLook {
            set: (*bits >> bit_index) & 1 == 1,
            fill_kind: field_of(fields, bit_index),
            odd_nibble: nibble_from_right % 2 == 1,
            hovered: response.hovered(),
            dark,
        };
        paint_cell(ui.painter(), rect, &look, &bit_font);
        // Narrow cells label every fourth bit (nibble edges), so indices never overlap.
        let labelled = cell.x >= 14.0 || bit_index.is_multiple_of(4) || bit_index + 1 == width;
        if labelled {
            ui.painter().text(
                pos2(rect.center().x, outer.top() + index_height * 0.5),
                Align2::CENTER_CENTER,
                bit_index.to_string(),
                index_font.clone(),
                ui.visuals().weak_text_color(),
            );
        }
    }
    let legend_top = outer.top() + index_height + cell.y;
    let geometry = StripGeometry {
        outer,
        width,
        cell,
        gap,
        nibbles: nibbles as u32,
    };
    paint_field_legend(ui, &geometry, legend_top, fields, env);
    *bits != before
}

/// A bit cell's clicks and drags: a click or a drag start flips the bit, and a drag paints the
/// same value over every cell it enters.
fn cell_input(
    ui: &egui::Ui,
    rect: Rect,
    bits: &mut u64,
    bit_index: u32,
    stroke_id: egui::Id,
    pointer_down: bool,
) -> egui::Response {
    let response = ui.interact(
        rect,
        ui.make_persistent_id(("bit", bit_index)),
        Sense::click_and_drag(),
    );
    let set = (*bits >> bit_index) & 1 == 1;
    response.widget_info(|| {
        egui::WidgetInfo::selected(
            egui::accesskit::Role::CheckBox,
            true,
            set,
            format!("bit {bit_index}"),
        )
    });
    if response.drag_started() || response.clicked() {
        let value = !set;
        apply_bit(bits, bit_index, value);
        if response.drag_started() {
            ui.data_mut(|d| d.insert_temp(stroke_id, PaintStroke { value }));
        }
    } else if pointer_down
        && let Some(stroke) = ui.data(|d| d.get_temp::<PaintStroke>(stroke_id))
        && ui
            .input(|i| i.pointer.interact_pos())
            .is_some_and(|p| rect.contains(p))
    {
        apply_bit(bits, bit_index, stroke.value);
    }
    response
}

/// How one bit cell looks.
struct CellLook {
    set: bool,
    fill_kind: FieldKind,
    odd_nibble: bool,
    hovered: bool,
    dark: bool,
}

/// A bit cell: its field colour (lighter when set, alternate nibbles shaded), the hover
/// outline, its 0 or 1.
fn paint_cell(painter: &egui::Painter, rect: Rect, look: &CellLook, font: &FontId) {
    let fill = theme::bit_cell_fill(look.fill_kind, look.set, look.odd_nibble, look.dark);
    painter.rect_filled(rect.shrink(1.0), 3.0, fill);
    if look.hovered {
        painter.rect_stroke(
            rect.shrink(1.0),
            3.0,
            egui::Stroke::new(2.0, theme::current_marker(look.dark)),
            egui::StrokeKind::Inside,
        );
    }
    painter.text(
        rect.center(),
        Align2::CENTER_CENTER,
        if look.set { "1" } else { "0" },
        font.clone(),
        theme::bit_cell_text(look.set, look.dark),
    );
}

fn apply_bit(bits: &mut u64, index: u32, value: bool) {
    if value {
        *bits |= 1u64 << index;
    } else {
        *bits &= !(1u64 << index);
    }
}

/// The field a bit belongs to (fields are given as lsb + len).
pub fn field_of(fields: &[BitField], bit_index: u32) -> FieldKind {
    fields
        .iter()
        .find(|f| bit_index >= f.lsb && bit_index < f.lsb + f.len)
        .map_or(FieldKind::Code, |f| f.kind)
}

/// Where the cells of a strip are.
struct StripGeometry {
    outer: Rect,
    width: u32,
    cell: Vec2,
    gap: f32,
    nibbles: u32,
}

impl StripGeometry {
    fn left_of(&self, bit_index: u32) -> f32 {
        let position = self.width - 1 - bit_index;
        let gaps_before = (self.nibbles - 1).saturating_sub(bit_index / 4);
        self.outer.left() + position as f32 * self.cell.x + gaps_before as f32 * self.gap
    }
}

/// Fields narrower than this (points) may not hold their name.
const NARROW_FIELD: f32 = 48.0;

/// Under the cells: a bar per field in its colour with the field's name and width, so the
/// field boundaries read at a glance.
fn paint_field_legend(
    ui: &egui::Ui,
    g: &StripGeometry,
    top: f32,
    fields: &[BitField],
    env: PanelEnv,
) {
    for field in fields.iter().filter(|f| f.len > 0) {
        let left = g.left_of(field.lsb + field.len - 1);
        let right = g.left_of(field.lsb) + g.cell.x;
        let rect = Rect::from_min_max(pos2(left + 1.0, top + 4.0), pos2(right - 1.0, top + 8.0));
        let color = theme::field_color(field.kind, env.dark);
        ui.painter().rect_filled(rect, 2.0, color);
        let name = format!("{} ({})", tr(env.lang, field_key(field.kind)), field.len);
        let font = FontId::proportional(12.0);
        let galley = ui
            .painter()
            .layout_no_wrap(name.clone(), font.clone(), color);
        let (anchor, align) = if galley.size().x <= right - left + 2.0 {
            (pos2((left + right) * 0.5, top + 10.0), Align2::CENTER_TOP)
        } else {
            (pos2(left + 1.0, top + 26.0), Align2::LEFT_TOP)
        };
        ui.painter().text(anchor, align, name, font, color);
    }
}

fn field_key(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Sign => "fmt.field.sign",
        FieldKind::Exponent => "fmt.field.exponent",
        FieldKind::Mantissa => "fmt.field.mantissa",
        FieldKind::Integer => "fmt.field.integer",
        FieldKind::Fraction => "fmt.field.fraction",
        FieldKind::Magnitude => "fmt.field.magnitude",
        FieldKind::Code => "fmt.field.code",
    }
}
