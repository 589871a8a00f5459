//! Design tokens: the field colours of the bit strip, spacing, text sizes and the zoom levels.
//! Every colour the panels use is named here, so dark and light themes stay consistent
//! (`clippy.toml` refuses `Color32::from_*` anywhere else).
#![allow(
    clippy::disallowed_methods,
    reason = "the one home of the app's colours"
)]

use egui::Color32;

use crate::numfmt::FieldKind;

/// Zoom steps for Ctrl +/−; presentation mode jumps to [`PRESENTATION_ZOOM`].
pub const ZOOM_STEPS: &[f32] = &[0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5];
pub const PRESENTATION_ZOOM: f32 = 1.75;

/// Size of one bit cell at zoom 1.
pub const BIT_CELL_WIDTH: f32 = 26.0;
pub const BIT_CELL_HEIGHT: f32 = 34.0;
/// Gap between nibbles in the bit strip.
pub const NIBBLE_GAP: f32 = 4.0;

/// Colour of a bit-strip field (sign / exponent / mantissa, sign / integer / fraction, code).
pub fn field_color(kind: FieldKind, dark: bool) -> Color32 {
    match (kind, dark) {
        (FieldKind::Sign, true) => Color32::from_rgb(0x4f, 0x8f, 0xe8),
        (FieldKind::Sign, false) => Color32::from_rgb(0x2f, 0x6f, 0xd0),
        (FieldKind::Exponent, true) => Color32::from_rgb(0x3d, 0xb8, 0x6b),
        (FieldKind::Exponent, false) => Color32::from_rgb(0x1f, 0x94, 0x4c),
        (FieldKind::Mantissa, true) => Color32::from_rgb(0xe0, 0x5a, 0x5a),
        (FieldKind::Mantissa, false) => Color32::from_rgb(0xc8, 0x3c, 0x3c),
        (FieldKind::Integer, true) => Color32::from_rgb(0xe6, 0xa2, 0x3c),
        (FieldKind::Integer, false) => Color32::from_rgb(0xc0, 0x7c, 0x10),
        (FieldKind::Fraction, true) => Color32::from_rgb(0xb0, 0x7c, 0xe8),
        (FieldKind::Fraction, false) => Color32::from_rgb(0x88, 0x52, 0xc8),
        (FieldKind::Magnitude, true) => Color32::from_rgb(0xe6, 0xa2, 0x3c),
        (FieldKind::Magnitude, false) => Color32::from_rgb(0xc0, 0x7c, 0x10),
        (FieldKind::Code, true) => Color32::from_rgb(0x2c, 0xb5, 0xb5),
        (FieldKind::Code, false) => Color32::from_rgb(0x10, 0x8c, 0x8c),
    }
}

/// Fill of a bit cell: strong field colour when the bit is 1, a faint tint when 0.
/// Odd nibbles are shaded slightly so 4-bit groups read at a glance.
pub fn bit_cell_fill(kind: FieldKind, bit_set: bool, odd_nibble: bool, dark: bool) -> Color32 {
    let base = field_color(kind, dark);
    let shade = if odd_nibble { 0.85 } else { 1.0 };
    if bit_set {
        scale(base, shade)
    } else {
        let bg = if dark {
            Color32::from_gray(30)
        } else {
            Color32::from_gray(245)
        };
        let mix = if dark { 0.28 } else { 0.22 };
        scale(lerp(bg, base, mix), shade)
    }
}

/// Text colour on a bit cell.
pub fn bit_cell_text(bit_set: bool, dark: bool) -> Color32 {
    match (bit_set, dark) {
        (true, _) => Color32::WHITE,
        (false, true) => Color32::from_gray(200),
        (false, false) => Color32::from_gray(60),
    }
}

/// The marker for "the current value" on number lines and plots.
pub fn current_marker(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xff, 0xd0, 0x40)
    } else {
        Color32::from_rgb(0xd0, 0x80, 0x00)
    }
}

/// Shading of the rounding interval around the current value.
pub fn interval_shade(dark: bool) -> Color32 {
    let c = current_marker(dark);
    Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), 60)
}

/// Colour for warnings (overflow, wrap-around, clipping).
pub fn warn(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xff, 0x8a, 0x50)
    } else {
        Color32::from_rgb(0xc0, 0x40, 0x00)
    }
}

/// Colour for "exact" / "no error".
pub fn good(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x6c, 0xd0, 0x8c)
    } else {
        Color32::from_rgb(0x1a, 0x80, 0x3a)
    }
}

/// Heat-map colour for `t` in [0, 1]: 0 = worst (red), ½ = pale yellow, 1 = best (blue); a
/// diverging ramp readable with red–green colour blindness (ColorBrewer RdYlBu).
pub fn heat(t: f32) -> Color32 {
    let (worst, middle, best) = (
        Color32::from_rgb(0xd7, 0x30, 0x27),
        Color32::from_rgb(0xff, 0xff, 0xbf),
        Color32::from_rgb(0x45, 0x75, 0xb4),
    );
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        1.0
    };
    if t < 0.5 {
        lerp(worst, middle, 2.0 * t)
    } else {
        lerp(middle, best, 2.0 * t - 1.0)
    }
}

/// Text drawn on a heat-map cell of colour `fill`.
pub fn heat_text(fill: Color32) -> Color32 {
    let luma =
        0.299 * f32::from(fill.r()) + 0.587 * f32::from(fill.g()) + 0.114 * f32::from(fill.b());
    if luma > 140.0 {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}

/// The original weights in the Weights view's histograms.
pub fn histogram_before(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x5a, 0x9c, 0xf0)
    } else {
        Color32::from_rgb(0x25, 0x63, 0xc0)
    }
}

/// The dequantized weights in the Weights view's histograms.
pub fn histogram_after(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xf0, 0x9a, 0x3e)
    } else {
        Color32::from_rgb(0xd0, 0x6a, 0x00)
    }
}

/// Setting A of an A/B comparison (its histograms and its mark in the trade-off plot).
pub fn setting_a(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xc0, 0x8c, 0xf8)
    } else {
        Color32::from_rgb(0x70, 0x30, 0xb0)
    }
}

/// The grid of representable levels drawn over a histogram (translucent).
pub fn grid_levels(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgba_unmultiplied(220, 220, 220, 90)
    } else {
        Color32::from_rgba_unmultiplied(40, 40, 40, 90)
    }
}

/// A cell of the sparsity mask picture: `kept` in [0, 1] is the fraction of weights kept
/// (dark = pruned, warm bright = kept).
pub fn mask_cell(kept: f32) -> Color32 {
    let v = (30.0 + 210.0 * kept.clamp(0.0, 1.0)) as u8;
    Color32::from_rgb(v, (f32::from(v) * 0.85) as u8, (f32::from(v) * 0.45) as u8)
}

/// A pixel of a test image (grey level as stored).
pub fn image_pixel(v: u8) -> Color32 {
    Color32::from_gray(v)
}

/// Points of one family in the trade-off plot.
pub fn family(family: crate::engine::Family) -> Color32 {
    use crate::engine::Family;
    match family {
        Family::Baseline => Color32::from_gray(200),
        Family::Int => Color32::from_rgb(0x5a, 0x9c, 0xf0),
        Family::Float => Color32::from_rgb(0x3d, 0xb8, 0x6b),
        Family::Block => Color32::from_rgb(0xb0, 0x7c, 0xe8),
        Family::Pruning => Color32::from_rgb(0xe0, 0x5a, 0x5a),
        Family::Combined => Color32::from_rgb(0xe6, 0xa2, 0x3c),
        Family::Mixed => Color32::from_rgb(0x2c, 0xd5, 0xd5),
        Family::WeightActivation => Color32::from_rgb(0xf0, 0x6e, 0xc8),
    }
}

/// Reference lines (the baseline in the trade-off plot).
pub fn reference_line() -> Color32 {
    Color32::from_gray(150)
}

/// The Pareto front.
pub fn pareto_line() -> Color32 {
    Color32::from_rgb(0xff, 0xd0, 0x40)
}

/// Bars of a damage measure (the per-layer sensitivity).
pub fn damage_bar() -> Color32 {
    family(crate::engine::Family::Pruning)
}

fn scale(c: Color32, f: f32) -> Color32 {
    let s = |v: u8| (f32::from(v) * f).round().clamp(0.0, 255.0) as u8;
    Color32::from_rgb(s(c.r()), s(c.g()), s(c.b()))
}

fn lerp(a: Color32, b: Color32, t: f32) -> Color32 {
    let m = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    Color32::from_rgb(m(a.r(), b.r()), m(a.g(), b.g()), m(a.b(), b.b()))
}

/// The next zoom step above (`up`) or below the current zoom.
pub fn step_zoom(current: f32, up: bool) -> f32 {
    if up {
        ZOOM_STEPS
            .iter()
            .copied()
            .find(|&z| z > current + 1e-3)
            .unwrap_or(current)
    } else {
        ZOOM_STEPS
            .iter()
            .rev()
            .copied()
            .find(|&z| z < current - 1e-3)
            .unwrap_or(current)
    }
}

/// The k-th training run of a demo (its live curve, and its reference line).
pub fn series(k: usize) -> Color32 {
    const PALETTE: [Color32; 6] = [
        Color32::from_rgb(0x5a, 0x9c, 0xf0),
        Color32::from_rgb(0xe6, 0xa2, 0x3c),
        Color32::from_rgb(0x3d, 0xb8, 0x6b),
        Color32::from_rgb(0xe0, 0x5a, 0x5a),
        Color32::from_rgb(0xb0, 0x7c, 0xe8),
        Color32::from_rgb(0x2c, 0xd5, 0xd5),
    ];
    PALETTE[k % PALETTE.len()]
}

/// The parts of a training-memory bar: weights, gradients, optimizer state.
pub fn memory_part(k: usize) -> Color32 {
    const PARTS: [Color32; 3] = [
        Color32::from_rgb(0x5a, 0x9c, 0xf0),
        Color32::from_rgb(0x3d, 0xb8, 0x6b),
        Color32::from_rgb(0xe6, 0xa2, 0x3c),
    ];
    PARTS[k % PARTS.len()]
}
