//! The bundled fonts: egui's defaults plus NanumGothic (SIL OFL 1.1, see
//! `assets/NanumGothic-LICENSE.txt`) so Korean text renders on every machine.

use std::sync::Arc;

/// NanumGothic, from Debian's `fonts-nanum`; covers all 11,172 Hangul syllables.
use crate::assets::NANUM_GOTHIC;

/// Install egui's default fonts with NanumGothic as the fallback for both families.
/// Call it from the eframe creator and from every kittest harness.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "nanum_gothic".to_owned(),
        Arc::new(egui::FontData::from_static(NANUM_GOTHIC)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("nanum_gothic".to_owned());
    }
    ctx.set_fonts(fonts);
}
