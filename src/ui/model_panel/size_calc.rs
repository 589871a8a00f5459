//! The lecture's size calculator: parameters × bits per weight → bytes, for this model and for
//! any parameter count typed in (e.g. `7B`).

use egui::RichText;

use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;

/// Storage formats of the calculator and their bits per weight, metadata included:
/// int4 and 2-bit use groups of 128 with one fp16 scale (+16/128 bits); NF4 uses blocks of 64
/// with an 8-bit absmax after double quantization and one fp32 second-level scale per 256
/// blocks (+8/64 + 32/(64·256) bits, QLoRA).
pub const SIZE_ROWS: &[(&str, &str, f64)] = &[
    ("fp32", "fp32", 32.0),
    ("fp16 / bf16", "fp16 / bf16", 16.0),
    ("fp8 (e4m3 / e5m2)", "fp8 (e4m3 / e5m2)", 8.0),
    ("int8", "int8", 8.0),
    ("int4 (group 128)", "int4 (그룹 128)", 4.0 + 16.0 / 128.0),
    (
        "NF4 + double quant",
        "NF4 + 이중 양자화",
        4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0),
    ),
    ("2-bit (group 128)", "2비트 (그룹 128)", 2.0 + 16.0 / 128.0),
];

/// Parse a parameter count: `7B`, `13b`, `125M`, `1.5e9`, `350k`, `7,000,000,000`.
pub fn parse_param_count(text: &str) -> Result<f64, String> {
    let t = text.trim().replace([',', '_', ' '], "");
    if t.is_empty() {
        return Err("type a parameter count, e.g. 7B".to_owned());
    }
    let (number, multiplier) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        Some('B' | 'G') => (&t[..t.len() - 1], 1e9),
        Some('T') => (&t[..t.len() - 1], 1e12),
        _ => (t.as_str(), 1.0),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a parameter count (try 7B, 125M, 1.5e9)"))?;
    let count = value * multiplier;
    if !count.is_finite() || count <= 0.0 {
        return Err(format!("{text:?}: the count must be a positive number"));
    }
    Ok(count)
}

/// Bytes for `params` weights at `bits_per_weight`.
pub fn size_bytes(params: f64, bits_per_weight: f64) -> f64 {
    params * bits_per_weight / 8.0
}

/// Human size in SI units (powers of 1000, as model cards use): B, kB … GB, TB … QB; beyond
/// 1000 QB in scientific notation.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 10] = ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB", "RB", "QB"];
    if !bytes.is_finite() || bytes >= 1e33 {
        return format!("{bytes:.3e} B");
    }
    match (1..=UNITS.len())
        .rev()
        .find(|&k| bytes >= 10f64.powi(3 * k as i32))
    {
        Some(k) => format!("{:.2} {}", bytes / 10f64.powi(3 * k as i32), UNITS[k - 1]),
        None => format!("{bytes:.0} B"),
    }
}

/// A count with thousands separators (`113,252,352`).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn size_calc_ui(ui: &mut egui::Ui, model_params: u64, typed: &mut String, env: PanelEnv) {
    let lang = env.lang;
    ui.horizontal(|ui| {
        ui.label(tr(lang, "model.calc.params"));
        let r = ui.add(egui::TextEdit::singleline(typed).desired_width(100.0));
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "parameter count")
        });
        for preset in ["7B", "13B", "70B"] {
            if ui.small_button(preset).clicked() {
                *typed = preset.to_owned();
            }
        }
    });
    let parsed = parse_param_count(typed);
    if let Err(error) = &parsed {
        ui.colored_label(crate::ui::theme::warn(env.dark), error);
    }
    let typed_count = parsed.ok();
    egui::Grid::new("size_calc")
        .striped(true)
        .spacing([18.0, 3.0])
        .show(ui, |ui| {
            ui.strong(tr(lang, "model.calc.format"));
            ui.strong(tr(lang, "model.calc.bpw"));
            ui.strong(format!(
                "{} ({})",
                tr(lang, "model.calc.this_model"),
                grouped(model_params)
            ));
            ui.strong(typed_count.map_or_else(|| "—".to_owned(), |c| format!("{typed} ({c:.3e})")));
            ui.end_row();
            for &(en, ko, bpw) in SIZE_ROWS {
                ui.label(match lang {
                    crate::ui::i18n::Lang::En => en,
                    crate::ui::i18n::Lang::Ko => ko,
                });
                ui.label(RichText::new(format!("{bpw:.3}")).monospace());
                let own = size_bytes(model_params as f64, bpw);
                ui.label(
                    RichText::new(format!(
                        "{} ({} B)",
                        human_bytes(own),
                        grouped(own.ceil() as u64)
                    ))
                    .monospace(),
                );
                let other =
                    typed_count.map_or_else(|| "—".to_owned(), |c| human_bytes(size_bytes(c, bpw)));
                ui.label(RichText::new(other).monospace());
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(parse_param_count("7B"), Ok(7e9));
        assert_eq!(parse_param_count("125m"), Ok(125e6));
        assert_eq!(parse_param_count("1.5e9"), Ok(1.5e9));
        assert_eq!(parse_param_count("7,000,000,000"), Ok(7e9));
        assert!(parse_param_count("seven").is_err());
        assert!(parse_param_count("-3B").is_err());
        assert!(parse_param_count("").is_err());
    }

    #[test]
    fn sizes_in_engineering_units_and_grouped_counts() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(4.41e12), "4.41 TB");
        // 1e30 parameters at 4.125 bits: no 21-digit gigabytes.
        assert_eq!(human_bytes(size_bytes(1e30, 4.125)), "515.62 RB");
        assert_eq!(human_bytes(2e40), "2.000e40 B");
        assert_eq!(grouped(113_252_352), "113,252,352");
        assert_eq!(
            (grouped(999), grouped(1000), grouped(0)),
            ("999".into(), "1,000".into(), "0".into())
        );
    }

    #[test]
    fn seven_billion_parameters() {
        // The lecture's numbers: 28 GB at fp32, 14 GB at fp16, 3.5 GB at 4 bits (plus scales).
        assert_eq!(human_bytes(size_bytes(7e9, 32.0)), "28.00 GB");
        assert_eq!(human_bytes(size_bytes(7e9, 16.0)), "14.00 GB");
        let nf4 = SIZE_ROWS
            .iter()
            .find(|r| r.0.starts_with("NF4"))
            .expect("row")
            .2;
        assert!(
            (nf4 - 4.127).abs() < 1e-3,
            "NF4 + DQ is about 4.127 bits per weight, got {nf4}"
        );
    }
}
