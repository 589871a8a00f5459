//! A number line of every representable value (formats of 8 bits or fewer), with the current
//! value marked and its rounding interval shaded. Wider float formats show the density of
//! representable values per binade on a log scale instead (2^m values in every binade).

use egui::{Align2, FontId, Pos2, Rect, Sense, Stroke, pos2, vec2};

use crate::numfmt::Format;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

/// Maps values to x positions: `asinh(v / unit)` (even spacing per binade for floats, linear near
/// zero) or linear for integers and fixed point.
struct Axis {
    unit: f64,
    lo: f64,
    hi: f64,
    log: bool,
    rect: Rect,
}

impl Axis {
    fn t(&self, v: f64) -> f64 {
        if self.log { (v / self.unit).asinh() } else { v }
    }

    fn x(&self, v: f64) -> f32 {
        let v = v.clamp(self.lo, self.hi);
        let (a, b) = (self.t(self.lo), self.t(self.hi));
        let f = if b > a {
            (self.t(v) - a) / (b - a)
        } else {
            0.5
        };
        self.rect.left() + (f as f32) * self.rect.width()
    }
}

pub fn number_line_ui(ui: &mut egui::Ui, format: &Format, bits: u64, env: PanelEnv) {
    let lang = env.lang;
    let range = format.range();
    let is_float = matches!(format, Format::Float(_));
    let width = ui.available_width().max(300.0);
    let (outer, _) = ui.allocate_exact_size(vec2(width, 120.0), Sense::hover());
    let rect = outer.shrink2(vec2(16.0, 30.0));
    let line = Line {
        painter: ui.painter_at(outer),
        stroke: Stroke::new(1.0, ui.visuals().text_color()),
        weak: ui.visuals().weak_text_color(),
        font: FontId::monospace(11.0),
        axis: Axis {
            unit: range
                .min_subnormal
                .or(range.min_normal)
                .unwrap_or(1.0)
                .abs()
                .max(f64::MIN_POSITIVE),
            lo: range.min,
            hi: range.max,
            log: is_float,
            rect,
        },
    };
    let mid_y = rect.center().y;
    line.painter.line_segment(
        [pos2(rect.left(), mid_y), pos2(rect.right(), mid_y)],
        line.stroke,
    );
    let caption = if let Some(values) = format.all_values() {
        line.every_value(format, bits, &values, env.dark);
        format!(
            "{} {}{}",
            values.len(),
            tr(lang, "fmt.nl.values"),
            if is_float { tr(lang, "fmt.nl.log") } else { "" }
        )
    } else if let Format::Float(spec) = format {
        binade_density_ui(
            &line.painter,
            &line.axis,
            &range,
            line.weak,
            line.font.clone(),
        );
        format!(
            "{} 2^{} {}",
            tr(lang, "fmt.nl.density"),
            spec.man_bits,
            tr(lang, "fmt.nl.per_binade")
        )
    } else {
        for v in [range.min, 0.0, range.max] {
            let x = line.axis.x(v);
            line.painter
                .line_segment([pos2(x, mid_y - 8.0), pos2(x, mid_y + 8.0)], line.stroke);
        }
        range_labels(
            &line.painter,
            &line.axis,
            &range,
            line.font.clone(),
            line.weak,
        );
        tr(lang, "fmt.nl.uniform").to_owned()
    };
    line.painter.text(
        pos2(rect.left(), outer.top() + 2.0),
        Align2::LEFT_TOP,
        caption,
        line.font.clone(),
        line.weak,
    );
    line.marker(format, bits, env.dark);
}

/// What the number line's parts draw with.
struct Line {
    painter: egui::Painter,
    stroke: Stroke,
    weak: egui::Color32,
    font: FontId,
    axis: Axis,
}

impl Line {
    /// Formats small enough to list: a tick per value, the current value's rounding interval
    /// shaded, the range ends labelled.
    fn every_value(&self, format: &Format, bits: u64, values: &[(u64, f64)], dark: bool) {
        let rect = self.axis.rect;
        let mid_y = rect.center().y;
        if let Some((lo, hi)) = format
            .rounding_interval(bits)
            .filter(|_| format.decode(bits).value.is_finite())
        {
            let (x0, x1) = (self.axis.x(lo), self.axis.x(hi));
            let shade = Rect::from_min_max(
                pos2(x0.min(x1), rect.top()),
                pos2(x0.max(x1).max(x0.min(x1) + 2.0), rect.bottom()),
            );
            self.painter
                .rect_filled(shade, 2.0, theme::interval_shade(dark));
        }
        for &(_, v) in values {
            let x = self.axis.x(v);
            self.painter.line_segment(
                [pos2(x, mid_y - 8.0), pos2(x, mid_y + 8.0)],
                Stroke::new(1.0, self.weak),
            );
        }
        let range = format.range();
        range_labels(
            &self.painter,
            &self.axis,
            &range,
            self.font.clone(),
            self.weak,
        );
    }

    /// The current value's marker, labelled with its stored value (exact decimal), the label
    /// kept inside the line.
    fn marker(&self, format: &Format, bits: u64, dark: bool) {
        let value = format.decode(bits).value;
        if !value.is_finite() {
            return;
        }
        let rect = self.axis.rect;
        let x = self.axis.x(value);
        let marker = theme::current_marker(dark);
        self.painter.line_segment(
            [pos2(x, rect.top() - 4.0), pos2(x, rect.bottom() + 2.0)],
            Stroke::new(3.0, marker),
        );
        self.painter
            .circle_filled(Pos2::new(x, rect.top() - 6.0), 4.0, marker);
        let label = super::compare::clip_digits(&format.exact_decimal(bits));
        let right_half = x > rect.center().x;
        let align = if right_half {
            Align2::RIGHT_BOTTOM
        } else {
            Align2::LEFT_BOTTOM
        };
        self.painter.text(
            pos2(x + if right_half { -8.0 } else { 8.0 }, rect.top() - 2.0),
            align,
            label,
            self.font.clone(),
            marker,
        );
    }
}

/// The range's ends and zero under the line: the ends aligned inward so they stay inside the
/// line's box (a centred "7.9375" at the right end was clipped), zero only where it is not an
/// end (u8's 0 was drawn twice over itself).
fn range_labels(
    painter: &egui::Painter,
    axis: &Axis,
    range: &crate::numfmt::RangeInfo,
    font: FontId,
    color: egui::Color32,
) {
    let y = axis.rect.bottom() + 4.0;
    let ends = [
        (range.min, Align2::LEFT_TOP, axis.rect.left() - 12.0),
        (range.max, Align2::RIGHT_TOP, axis.rect.right() + 12.0),
    ];
    for (v, align, x) in ends {
        painter.text(pos2(x, y), align, trim(v), font.clone(), color);
    }
    let x0 = axis.x(0.0);
    let clear = |end: f32| (x0 - end).abs() > 40.0;
    if clear(axis.x(range.min)) && clear(axis.x(range.max)) {
        painter.text(pos2(x0, y), Align2::CENTER_TOP, trim(0.0), font, color);
    }
}

/// Bars whose height is the number of representable values per binade relative to a normal
/// binade (2^m values each): full height for normals, halving per binade through the
/// subnormals. Tick labels at a few powers of two.
fn binade_density_ui(
    painter: &egui::Painter,
    axis: &Axis,
    range: &crate::numfmt::RangeInfo,
    color: egui::Color32,
    font: FontId,
) {
    let (Some(min_normal), max) = (range.min_normal, range.max) else {
        return;
    };
    let min_sub = range.min_subnormal.unwrap_or(min_normal);
    let fill = color.gamma_multiply(0.5);
    let mid = axis.rect.center().y;
    let full = axis.rect.height() * 0.5 - 4.0;
    let mut lo = min_sub;
    let mut binades = 0;
    while lo < max && binades < 4200 {
        let hi = (lo * 2.0).min(max);
        // In a subnormal binade [2^k, 2^(k+1)) there are 2^k / min_sub values, against 2^m in a normal one.
        let share = if lo < min_normal {
            lo / min_normal
        } else {
            1.0
        };
        let height = (full * share as f32).max(1.0);
        for sign in [1.0, -1.0] {
            if sign < 0.0 && range.min >= 0.0 {
                continue;
            }
            let (xa, xb) = (axis.x(sign * lo), axis.x(sign * hi));
            let r = Rect::from_min_max(pos2(xa.min(xb), mid - height), pos2(xa.max(xb), mid));
            painter.rect_filled(r, 0.0, fill);
        }
        lo *= 2.0;
        binades += 1;
    }
    let (k_lo, k_hi) = (min_sub.log2().round() as i64, max.log2().floor() as i64);
    let step = ((k_hi - k_lo) / 4).max(1);
    let mut k = k_lo;
    while k <= k_hi {
        let v = 2f64.powi(k as i32);
        let x = axis.x(v);
        // Keep labels clear of the "0" label at the centre.
        if (x - axis.x(0.0)).abs() > 40.0 {
            painter.line_segment([pos2(x, mid), pos2(x, mid + 5.0)], Stroke::new(1.0, color));
            painter.text(
                pos2(x, axis.rect.bottom() + 4.0),
                Align2::CENTER_TOP,
                format!("2^{k}"),
                font.clone(),
                color,
            );
        }
        k += step;
    }
    painter.text(
        pos2(axis.x(0.0), axis.rect.bottom() + 4.0),
        Align2::CENTER_TOP,
        "0",
        font,
        color,
    );
}

fn trim(v: f64) -> String {
    if v.abs() >= 1e5 || (v != 0.0 && v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        format!("{v}")
    }
}
