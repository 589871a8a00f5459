//! Integer and fixed-point arithmetic on two values of the current format: the stored result,
//! the true result, wrap-around and overflow flags, and the fixed-point product's rescaling.

use egui::RichText;
use serde::{Deserialize, Serialize};

use super::value_view::{bin_of, hex_of};
use crate::numfmt::{Format, Overflow, Rounding, arith};
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[default]
    Add,
    Sub,
    Mul,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct ArithState {
    pub a: String,
    pub b: String,
    pub op: Op,
}

impl Default for ArithState {
    fn default() -> Self {
        Self {
            a: "100".to_owned(),
            b: "50".to_owned(),
            op: Op::Add,
        }
    }
}

pub fn arith_ui(
    ui: &mut egui::Ui,
    state: &mut ArithState,
    format: &Format,
    env: PanelEnv,
) -> Option<String> {
    let lang = env.lang;
    if !matches!(format, Format::Int(_) | Format::Fixed(_)) {
        ui.label(tr(lang, "fmt.ar.pick_int"));
        return None;
    }
    ui.horizontal_wrapped(|ui| {
        let a = ui.add(egui::TextEdit::singleline(&mut state.a).desired_width(110.0));
        a.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "operand a")
        });
        for (op, sym) in [(Op::Add, "+"), (Op::Sub, "−"), (Op::Mul, "×")] {
            ui.selectable_value(&mut state.op, op, sym);
        }
        let b = ui.add(egui::TextEdit::singleline(&mut state.b).desired_width(110.0));
        b.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, "operand b")
        });
    });
    let parse = |text: &str| format.encode_str(text, Rounding::NearestEven, Overflow::Saturate);
    let (a, b) = match (parse(&state.a), parse(&state.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            ui.colored_label(theme::warn(env.dark), e.to_string());
            return Some(e.to_string());
        }
    };
    let result = match state.op {
        Op::Add => arith::add(format, a.bits, b.bits),
        Op::Sub => arith::sub(format, a.bits, b.bits),
        Op::Mul => arith::mul(format, a.bits, b.bits),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            ui.colored_label(theme::warn(env.dark), e.to_string());
            return Some(e.to_string());
        }
    };
    egui::Grid::new("arith_table")
        .striped(true)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            for (name, bits) in [("a", a.bits), ("b", b.bits), ("=", result.bits)] {
                ui.strong(name);
                ui.label(RichText::new(bin_of(format, bits)).monospace());
                ui.label(RichText::new(hex_of(format, bits)).monospace());
                ui.label(RichText::new(format.exact_decimal(bits)).monospace());
                ui.end_row();
            }
        });
    ui.label(format!(
        "{}: {}",
        tr(lang, "fmt.ar.true_result"),
        result.exact
    ));
    if result.overflow || result.wrapped {
        let mut flags = Vec::new();
        if result.overflow {
            flags.push(tr(lang, "fmt.ar.overflow"));
        }
        if result.wrapped {
            flags.push(tr(lang, "fmt.ar.wrapped"));
        }
        ui.colored_label(theme::warn(env.dark), format!("! {}", flags.join(" · ")));
    } else {
        ui.colored_label(theme::good(env.dark), tr(lang, "fmt.ar.fits"));
    }
    ui.label(crate::ui::i18n_formats::arith_note(lang, &result));
    None
}
