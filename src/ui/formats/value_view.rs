//! Hex, binary and decimal fields for the current pattern, arrow-key stepping, and the
//! details: class, formula with numbers filled in, exact decimal, shortest round-trip
//! decimal, gaps to the neighbours, and the report of the last typed value.

use egui::RichText;

use super::FormatsPanel;
use crate::numfmt::{Encoded, Format, Rounding, ValueClass};
use crate::ui::i18n::{Lang, tr};
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

/// Text being edited in the three fields. Re-synced from the pattern whenever a field is
/// not being edited, so clicking bits updates them and typing is never overwritten.
#[derive(Clone, Debug, Default)]
pub struct EditBuffers {
    hex: String,
    bin: String,
    dec: String,
    error: Option<String>,
}

/// A typed value and what it was stored as.
#[derive(Clone, Debug)]
pub struct EncodeReport {
    pub input: String,
    pub encoded: Encoded,
}

/// `0x…` padded to the format's width in nibbles.
pub fn hex_of(format: &Format, bits: u64) -> String {
    let digits = format.width().div_ceil(4) as usize;
    format!("0x{bits:0digits$x}")
}

/// `0b…` padded to the format's width.
pub fn bin_of(format: &Format, bits: u64) -> String {
    let digits = format.width() as usize;
    format!("0b{bits:0digits$b}")
}

/// The row of editable fields, the step buttons and the rounding/overflow choice.
/// Returns a status message when typed input was rejected.
pub fn value_fields_ui(
    ui: &mut egui::Ui,
    panel: &mut FormatsPanel,
    env: PanelEnv,
) -> Option<String> {
    let lang = env.lang;
    let format = panel.format().clone();
    let mut status = None;
    let mut typed: Option<(String, Kind)> = None;

    ui.horizontal_wrapped(|ui| {
        let mono = egui::TextStyle::Monospace;
        let hex_width = (format.width().div_ceil(4) as f32 + 3.0) * 9.0;
        let bin_width = (format.width() as f32 + 3.0) * 8.5;
        ui.label(tr(lang, "fmt.hex"));
        let hex = field(
            ui,
            &mut panel.edit.hex,
            hex_width.max(70.0),
            "hex",
            mono.clone(),
        );
        ui.label(tr(lang, "fmt.decimal"));
        let dec = field(ui, &mut panel.edit.dec, 180.0, "decimal", mono.clone());
        if ui
            .button("◀")
            .on_hover_text(tr(lang, "fmt.prev_hint"))
            .clicked()
        {
            panel.step(false);
        }
        if ui
            .button("▶")
            .on_hover_text(tr(lang, "fmt.next_hint"))
            .clicked()
        {
            panel.step(true);
        }
        ui.end_row();
        ui.label(tr(lang, "fmt.binary"));
        let bin = field(
            ui,
            &mut panel.edit.bin,
            bin_width.clamp(90.0, 600.0),
            "binary",
            mono,
        );

        if hex.changed() {
            typed = Some((panel.edit.hex.clone(), Kind::Hex));
        } else if bin.changed() {
            typed = Some((panel.edit.bin.clone(), Kind::Bin));
        } else if dec.changed() {
            typed = Some((panel.edit.dec.clone(), Kind::Dec));
        }
        if dec.has_focus() {
            let (up, down) = ui.input_mut(|i| {
                (
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                )
            });
            if up || down {
                panel.step(up);
                let bits = panel.bits;
                panel.edit.dec = panel.format().exact_decimal(bits);
            }
        }
        let editing = hex.has_focus() || bin.has_focus() || dec.has_focus();
        if !editing {
            step_with_arrows(ui, panel);
        }
    });

    rules_row_ui(ui, panel, &format, lang);

    if let Some((text, kind)) = typed {
        status = enter_typed(panel, text, kind, lang);
    }
    if let Some(error) = &panel.edit.error {
        ui.colored_label(theme::warn(env.dark), error);
    }
    sync_buffers(ui, panel);
    status
}

/// Encode what was typed into one of the fields (hex and binary take their prefix if it was
/// left out); the status line's message when it does not encode.
fn enter_typed(panel: &mut FormatsPanel, text: String, kind: Kind, lang: Lang) -> Option<String> {
    let text = match kind {
        Kind::Hex if !text.trim().starts_with("0x") => format!("0x{}", text.trim()),
        Kind::Bin if !text.trim().starts_with("0b") => format!("0b{}", text.trim()),
        _ => text,
    };
    match panel.enter_value(&text) {
        Ok(()) => {
            panel.edit.error = None;
            None
        }
        Err(error) => {
            let status = format!("{}: {error}", tr(lang, "fmt.bad_input"));
            panel.edit.error = Some(error);
            Some(status)
        }
    }
}

/// The rounding mode and overflow rule typed decimals are encoded with.
fn rules_row_ui(ui: &mut egui::Ui, panel: &mut FormatsPanel, format: &Format, lang: Lang) {
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, "fmt.rounding"));
        let current = panel.rounding();
        egui::ComboBox::from_id_salt("rounding")
            .selected_text(tr(lang, rounding_key(current)))
            .show_ui(ui, |ui| {
                for &mode in Rounding::all() {
                    if ui
                        .selectable_label(mode == current, tr(lang, rounding_key(mode)))
                        .clicked()
                    {
                        panel.rounding_id = mode.id().to_owned();
                    }
                }
            })
            .response
            .widget_info(|| {
                egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "rounding")
            });
        ui.label(tr(lang, "fmt.overflow"));
        let own_rule = ui.radio_value(&mut panel.saturate, false, tr(lang, "fmt.overflow.default"));
        if matches!(format, crate::numfmt::Format::Int(_)) {
            own_rule.on_hover_text(tr(lang, "fmt.overflow.int_hint"));
        }
        ui.radio_value(&mut panel.saturate, true, tr(lang, "fmt.overflow.saturate"));
    });
}

#[derive(Clone, Copy)]
enum Kind {
    Hex,
    Bin,
    Dec,
}

fn field_id(name: &str) -> egui::Id {
    egui::Id::unique(("formats_field", name))
}

fn field(
    ui: &mut egui::Ui,
    text: &mut String,
    width: f32,
    name: &str,
    style: egui::TextStyle,
) -> egui::Response {
    let response = ui.add(
        egui::TextEdit::singleline(text)
            .id(field_id(name))
            .desired_width(width)
            .font(style),
    );
    let label = name.to_owned();
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, &label));
    response
}

/// Arrow keys step through representable values when no text field has the keyboard.
fn step_with_arrows(ui: &egui::Ui, panel: &mut FormatsPanel) {
    if ui.ctx().memory(|m| m.focused().is_some()) {
        return;
    }
    let (up, down) = ui.input_mut(|i| {
        (
            i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp)
                || i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowRight),
            i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown)
                || i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowLeft),
        )
    });
    if up {
        panel.step(true);
    }
    if down {
        panel.step(false);
    }
}

/// Refresh the text of every field from the current pattern, except the one being typed in.
fn sync_buffers(ui: &egui::Ui, panel: &mut FormatsPanel) {
    let focused = ui.ctx().memory(egui::Memory::focused);
    let bits = panel.bits;
    let format = panel.format().clone();
    if focused != Some(field_id("hex")) {
        panel.edit.hex = hex_of(&format, bits);
    }
    if focused != Some(field_id("binary")) {
        panel.edit.bin = bin_of(&format, bits);
    }
    if focused != Some(field_id("decimal")) {
        panel.edit.dec = format.exact_decimal(bits);
    }
}

pub fn rounding_key(mode: Rounding) -> &'static str {
    match mode {
        Rounding::NearestEven => "fmt.round.nearest_even",
        Rounding::NearestAway => "fmt.round.nearest_away",
        Rounding::TowardZero => "fmt.round.toward_zero",
        Rounding::Up => "fmt.round.up",
        Rounding::Down => "fmt.round.down",
    }
}

/// The grid of facts about the current pattern, plus the last typed value's error.
pub fn details_ui(ui: &mut egui::Ui, panel: &mut FormatsPanel, env: PanelEnv) {
    let lang = env.lang;
    let bits = panel.bits;
    let format = panel.format().clone();
    let decoded = format.decode(bits);
    let (gap_down, gap_up) = format.gaps(bits);
    egui::Grid::new("format_details")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            ui.label(tr(lang, "fmt.class"));
            ui.strong(tr(lang, class_key(decoded.class)));
            ui.end_row();
            ui.label(tr(lang, "fmt.formula"));
            ui.label(
                RichText::new(crate::ui::i18n_formats::formula(
                    lang,
                    &format.formula_parts(bits),
                ))
                .monospace(),
            );
            ui.end_row();
            ui.label(tr(lang, "fmt.exact"));
            ui.add(egui::Label::new(RichText::new(format.exact_decimal(bits)).monospace()).wrap());
            ui.end_row();
            ui.label(tr(lang, "fmt.shortest"));
            ui.label(RichText::new(format.shortest_decimal(bits)).monospace());
            ui.end_row();
            ui.label(tr(lang, "fmt.gaps"));
            ui.label(
                RichText::new(format!("↓ {}   ↑ {}", gap_text(gap_down), gap_text(gap_up)))
                    .monospace(),
            );
            ui.end_row();
            if let Some(report) = &panel.last_encode {
                encode_rows_ui(ui, report, lang, env.dark);
            }
        });
}

fn encode_rows_ui(ui: &mut egui::Ui, report: &EncodeReport, lang: Lang, dark: bool) {
    let e = &report.encoded;
    ui.label(tr(lang, "fmt.typed"));
    ui.label(RichText::new(&report.input).monospace());
    ui.end_row();
    ui.label(tr(lang, "fmt.stored_error"));
    let text = format!(
        "{} {}   {} {}",
        tr(lang, "fmt.abs"),
        short_float(e.error_abs),
        tr(lang, "fmt.rel"),
        short_float(e.error_rel)
    );
    if e.overflow {
        ui.colored_label(
            theme::warn(dark),
            format!("{text}   ! {}", tr(lang, "fmt.overflowed")),
        );
    } else if !e.inexact {
        ui.colored_label(
            theme::good(dark),
            format!("{text}   ({})", tr(lang, "fmt.exactly")),
        );
    } else {
        ui.label(RichText::new(text).monospace());
    }
    ui.end_row();
}

fn gap_text(gap: Option<f64>) -> String {
    gap.map_or_else(|| "—".to_owned(), short_float)
}

/// A float in compact scientific form, for errors and gaps.
/// An f32 as its shortest round-trip decimal (exponent form outside 1e-4 … 1e6).
pub fn short_f32(v: f32) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else if !v.is_finite() || (1e-4..1e6).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

pub fn short_float(x: f64) -> String {
    if x == 0.0 {
        "0".to_owned()
    } else if !x.is_finite() {
        format!("{x}")
    } else if (1e-4..1e6).contains(&x.abs()) {
        format!("{}", (x * 1e9).round() / 1e9)
    } else {
        format!("{x:.6e}")
    }
}

pub fn class_key(class: ValueClass) -> &'static str {
    match class {
        ValueClass::Zero => "fmt.class.zero",
        ValueClass::Subnormal => "fmt.class.subnormal",
        ValueClass::Normal => "fmt.class.normal",
        ValueClass::Infinity => "fmt.class.infinity",
        ValueClass::Nan => "fmt.class.nan",
    }
}

#[cfg(test)]
mod short_f32_tests {
    use super::short_f32;

    #[test]
    fn typed_values_read_as_typed_and_stored_errors_exactly() {
        assert_eq!(short_f32(0.1), "0.1");
        assert_eq!(short_f32(0.1 / 2.0), "0.05");
        assert_eq!(short_f32(1.65), "1.65");
        // 3.3 is stored as 3.2999999523…: its error from 3 is that f32's, shortest.
        assert_eq!(short_f32(3.3 - 3.0), "0.29999995");
        assert_eq!(short_f32(1e-7), "1e-7");
        assert_eq!(short_f32(0.0), "0");
    }
}
