//! Choosing the format: the named catalog, and a custom layout editor for floats (sign on or
//! off, exponent and mantissa bits, bias, special-value rule), integers and fixed point.

use serde::{Deserialize, Serialize};

use super::FormatsPanel;
use crate::numfmt::{FixedSpec, FloatSpec, Format, IntEncoding, IntSpec, SpecialRule};
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;

/// Which family the custom editor builds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomKind {
    #[default]
    Float,
    Int,
    Fixed,
}

/// The custom layout editor's fields (persisted so a lecture's custom format survives restarts).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomLayout {
    pub open: bool,
    pub kind: CustomKind,
    pub sign: bool,
    pub exp_bits: u32,
    pub man_bits: u32,
    pub bias: i32,
    pub special: SpecialRule,
    pub int_width: u32,
    pub int_encoding: IntEncoding,
    pub fixed_total: u32,
    pub fixed_frac: u32,
    pub fixed_signed: bool,
    /// Why the last "Apply" built no format.
    #[serde(skip)]
    pub error: Option<String>,
}

/// Special-value rules a custom float can have (E8M0 is a named format only).
const SPECIAL_RULES: &[SpecialRule] = &[
    SpecialRule::Ieee,
    SpecialRule::FiniteNanAllOnes,
    SpecialRule::Fnuz,
    SpecialRule::Finite,
];

fn special_key(rule: SpecialRule) -> &'static str {
    match rule {
        SpecialRule::Ieee | SpecialRule::E8m0 => "fmt.special.ieee",
        SpecialRule::FiniteNanAllOnes => "fmt.special.fn",
        SpecialRule::Fnuz => "fmt.special.fnuz",
        SpecialRule::Finite => "fmt.special.finite",
    }
}

const ENCODINGS: &[IntEncoding] = &[
    IntEncoding::Unsigned,
    IntEncoding::TwosComplement,
    IntEncoding::SignMagnitude,
    IntEncoding::OnesComplement,
];

fn encoding_key(encoding: IntEncoding) -> &'static str {
    match encoding {
        IntEncoding::Unsigned => "fmt.int.unsigned",
        IntEncoding::TwosComplement => "fmt.int.twos",
        IntEncoding::SignMagnitude => "fmt.int.signmag",
        IntEncoding::OnesComplement => "fmt.int.ones",
    }
}

/// A drop-down over `options` labelled through the i18n table, with an accessible name.
fn choice_ui<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    lang: crate::ui::i18n::Lang,
    current: &mut T,
    options: &[T],
    key: fn(T) -> &'static str,
    accessible: &'static str,
) {
    egui::ComboBox::from_id_salt(accessible)
        .selected_text(tr(lang, key(*current)))
        .show_ui(ui, |ui| {
            for &choice in options {
                ui.selectable_value(current, choice, tr(lang, key(choice)));
            }
        })
        .response
        .widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, accessible)
        });
}

impl Default for CustomLayout {
    fn default() -> Self {
        Self {
            open: false,
            kind: CustomKind::Float,
            sign: true,
            exp_bits: 4,
            man_bits: 3,
            bias: 7,
            special: SpecialRule::Ieee,
            int_width: 8,
            int_encoding: IntEncoding::TwosComplement,
            fixed_total: 8,
            fixed_frac: 4,
            fixed_signed: true,
            error: None,
        }
    }
}

impl CustomLayout {
    /// The format these fields describe, or why they describe none.
    pub fn build(&self) -> Result<Format, String> {
        match self.kind {
            CustomKind::Float => {
                let total = u32::from(self.sign) + self.exp_bits + self.man_bits;
                if self.exp_bits == 0 || total > 64 {
                    return Err(format!(
                        "a float needs 1+ exponent bits and at most 64 bits in all (has {total})"
                    ));
                }
                Ok(Format::Float(FloatSpec {
                    sign: self.sign,
                    exp_bits: self.exp_bits,
                    man_bits: self.man_bits,
                    bias: self.bias,
                    special: self.special,
                }))
            }
            CustomKind::Int => Ok(Format::Int(IntSpec {
                width: self.int_width,
                encoding: self.int_encoding,
            })),
            CustomKind::Fixed => Ok(Format::Fixed(FixedSpec {
                total_bits: self.fixed_total,
                frac_bits: self.fixed_frac.min(self.fixed_total),
                signed: self.fixed_signed,
            })),
        }
    }
}

/// The format row: catalog drop-down, the custom editor toggle and the format's title.
/// Returns the newly chosen format.
pub fn picker_ui(ui: &mut egui::Ui, panel: &mut FormatsPanel, env: PanelEnv) -> Option<Format> {
    let lang = env.lang;
    let mut chosen = None;
    let current = panel.format().clone();
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, "fmt.format"));
        egui::ComboBox::from_id_salt("format_picker")
            .selected_text(current.id())
            .width(150.0)
            .height(600.0)
            .show_ui(ui, |ui| {
                for format in Format::catalog() {
                    let label = format!(
                        "{}  —  {}",
                        format.id(),
                        crate::ui::i18n_formats::title(lang, &format)
                    );
                    if ui.selectable_label(format == current, label).clicked() {
                        chosen = Some(format);
                    }
                }
            })
            .response
            .widget_info(|| {
                egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "format")
            });
        ui.toggle_value(&mut panel.custom.open, tr(lang, "fmt.custom"));
        ui.strong(crate::ui::i18n_formats::title(lang, &current));
        ui.weak(format!("{} {}", current.width(), tr(lang, "fmt.bits")));
    });
    if panel.custom.open
        && let Some(format) = custom_editor_ui(ui, &mut panel.custom, env)
    {
        chosen = Some(format);
    }
    chosen
}

fn custom_editor_ui(ui: &mut egui::Ui, custom: &mut CustomLayout, env: PanelEnv) -> Option<Format> {
    let lang = env.lang;
    let mut apply = false;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for (kind, key) in [
                (CustomKind::Float, "fmt.kind.float"),
                (CustomKind::Int, "fmt.kind.int"),
                (CustomKind::Fixed, "fmt.kind.fixed"),
            ] {
                ui.radio_value(&mut custom.kind, kind, tr(lang, key));
            }
            ui.separator();
            match custom.kind {
                CustomKind::Float => {
                    ui.checkbox(&mut custom.sign, tr(lang, "fmt.sign_bit"));
                    let max_exp = 11;
                    ui.label(tr(lang, "fmt.exp_bits"));
                    let exp = ui.add(egui::DragValue::new(&mut custom.exp_bits).range(1..=max_exp));
                    name(&exp, "exponent bits");
                    ui.label(tr(lang, "fmt.man_bits"));
                    let max_man = 64 - u32::from(custom.sign) - custom.exp_bits;
                    name(
                        &ui.add(
                            egui::DragValue::new(&mut custom.man_bits).range(0..=max_man.min(52)),
                        ),
                        "mantissa bits",
                    );
                    if exp.changed() {
                        custom.bias = (1i32 << (custom.exp_bits - 1)) - 1;
                    }
                    ui.label(tr(lang, "fmt.bias"));
                    name(
                        &ui.add(egui::DragValue::new(&mut custom.bias).range(-2048..=2048)),
                        "bias",
                    );
                    choice_ui(
                        ui,
                        lang,
                        &mut custom.special,
                        SPECIAL_RULES,
                        special_key,
                        "special values",
                    );
                }
                CustomKind::Int => {
                    ui.label(tr(lang, "fmt.width"));
                    name(
                        &ui.add(egui::DragValue::new(&mut custom.int_width).range(1..=64)),
                        "integer width",
                    );
                    choice_ui(
                        ui,
                        lang,
                        &mut custom.int_encoding,
                        ENCODINGS,
                        encoding_key,
                        "integer encoding",
                    );
                }
                CustomKind::Fixed => {
                    ui.label(tr(lang, "fmt.total_bits"));
                    name(
                        &ui.add(egui::DragValue::new(&mut custom.fixed_total).range(2..=64)),
                        "total bits",
                    );
                    ui.label(tr(lang, "fmt.frac_bits"));
                    let max_frac = custom.fixed_total;
                    name(
                        &ui.add(egui::DragValue::new(&mut custom.fixed_frac).range(0..=max_frac)),
                        "fraction bits",
                    );
                    ui.checkbox(&mut custom.fixed_signed, tr(lang, "fmt.signed"));
                }
            }
            apply = ui.button(tr(lang, "fmt.apply")).clicked();
        });
        if let Some(error) = &custom.error {
            ui.colored_label(crate::ui::theme::warn(env.dark), error);
        }
    });
    if !apply {
        return None;
    }
    match custom.build() {
        Ok(format) => {
            custom.error = None;
            Some(format)
        }
        Err(error) => {
            custom.error = Some(error);
            None
        }
    }
}

/// Give a number field its accessible name (tests and screen readers find it by this).
fn name(response: &egui::Response, label: &'static str) {
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::SpinButton, true, label));
}
