//! Compare one value across every format at once (bits, stored value, error) — the lecture's
//! "why BF16 vs FP16" in one table — and the range table of every format.

use egui::RichText;

use super::value_view::{hex_of, short_float};
use crate::numfmt::{Format, Overflow, Rounding};
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

/// Values that tell the formats apart: rounding (0.1), fp8 overflow (448.5), underflow (1e-5),
/// the f16 overflow tie (65520).
const PRESETS: &[&str] = &["0.1", "448.5", "1e-5", "65520", "3.14159265", "-0"];

pub fn compare_ui(ui: &mut egui::Ui, input: &mut String, env: PanelEnv) -> Option<String> {
    let lang = env.lang;
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, "fmt.cmp.value"));
        let response = ui.add(egui::TextEdit::singleline(input).desired_width(140.0));
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "compare value")
        });
        for &preset in PRESETS {
            if ui.small_button(preset).clicked() {
                *input = preset.to_owned();
            }
        }
    });
    let mut status = None;
    egui::Grid::new("compare_table")
        .striped(true)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            for key in [
                "fmt.cmp.format",
                "fmt.cmp.bits",
                "fmt.cmp.stored",
                "fmt.abs",
                "fmt.rel",
                "",
            ] {
                ui.strong(if key.is_empty() { "" } else { tr(lang, key) });
            }
            ui.end_row();
            for format in Format::catalog() {
                match format.encode_str(input, Rounding::NearestEven, Overflow::Default) {
                    Ok(encoded) => {
                        ui.label(RichText::new(format.id()).monospace());
                        ui.label(RichText::new(hex_of(&format, encoded.bits)).monospace());
                        ui.label(
                            RichText::new(clip_digits(&format.exact_decimal(encoded.bits)))
                                .monospace(),
                        );
                        ui.label(RichText::new(short_float(encoded.error_abs)).monospace());
                        ui.label(RichText::new(short_float(encoded.error_rel)).monospace());
                        if encoded.overflow {
                            ui.colored_label(theme::warn(env.dark), tr(lang, "fmt.overflowed"));
                        } else if !encoded.inexact {
                            ui.colored_label(theme::good(env.dark), tr(lang, "fmt.exactly"));
                        } else {
                            ui.label("");
                        }
                    }
                    Err(error) => {
                        status = Some(error.to_string());
                        ui.label(RichText::new(format.id()).monospace());
                        ui.colored_label(theme::warn(env.dark), error.to_string());
                        for _ in 0..4 {
                            ui.label("");
                        }
                    }
                }
                ui.end_row();
            }
        });
    status
}

pub fn ranges_ui(ui: &mut egui::Ui, env: PanelEnv) {
    let lang = env.lang;
    let cell = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), short_float);
    egui::Grid::new("range_table")
        .striped(true)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            for key in [
                "fmt.cmp.format",
                "fmt.bits",
                "fmt.rng.max",
                "fmt.rng.min_normal",
                "fmt.rng.min_sub",
                "fmt.rng.eps",
                "fmt.rng.digits",
            ] {
                ui.strong(tr(lang, key));
            }
            ui.end_row();
            for format in Format::catalog() {
                let range = format.range();
                ui.label(RichText::new(format.id()).monospace());
                ui.label(format.width().to_string());
                ui.label(RichText::new(short_float(range.max)).monospace());
                ui.label(RichText::new(cell(range.min_normal)).monospace());
                ui.label(RichText::new(cell(range.min_subnormal)).monospace());
                ui.label(RichText::new(cell(range.epsilon)).monospace());
                ui.label(RichText::new(format!("{:.2}", range.decimal_digits)).monospace());
                ui.end_row();
            }
        });
}

/// The exact stored value, cut to a table-friendly length (the details view shows all digits).
pub(super) fn clip_digits(exact: &str) -> String {
    const MAX: usize = 24;
    if exact.chars().count() <= MAX {
        exact.to_owned()
    } else {
        let head: String = exact.chars().take(MAX - 1).collect();
        format!("{head}…")
    }
}
