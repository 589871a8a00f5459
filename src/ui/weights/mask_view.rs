//! The sparsity mask of a 2-D tensor as a heat map: kept weights bright, pruned dark. Large
//! tensors are shown at most 256 × 512 cells, each cell the kept fraction of its block, so N:M,
//! row and column patterns stay visible at a glance.

use std::sync::Arc;

use egui::{ColorImage, TextureHandle, TextureOptions};

use crate::engine::Preview;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;

const MAX_ROWS: usize = 256;
const MAX_COLS: usize = 512;

/// The uploaded mask picture and the preview it belongs to (runtime only).
#[derive(Clone, Default)]
pub struct MaskTexture(Option<(usize, TextureHandle)>);

impl std::fmt::Debug for MaskTexture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MaskTexture")
    }
}

/// Downsample a row-major `rows × cols` mask to at most `MAX_ROWS × MAX_COLS` cells.
pub fn mask_image(mask: &[bool], rows: usize, cols: usize) -> ColorImage {
    let (out_r, out_c) = (rows.clamp(1, MAX_ROWS), cols.clamp(1, MAX_COLS));
    let mut kept = vec![0u32; out_r * out_c];
    let mut total = vec![0u32; out_r * out_c];
    for r in 0..rows {
        let orow = r * out_r / rows.max(1);
        for c in 0..cols {
            let ocol = c * out_c / cols.max(1);
            let k = orow * out_c + ocol;
            total[k] += 1;
            kept[k] += u32::from(mask.get(r * cols + c).copied().unwrap_or(true));
        }
    }
    let pixels = kept
        .iter()
        .zip(&total)
        .map(|(&k, &t)| crate::ui::theme::mask_cell(if t == 0 { 1.0 } else { k as f32 / t as f32 }))
        .collect();
    ColorImage::new([out_c, out_r], pixels)
}

pub fn mask_ui(ui: &mut egui::Ui, p: &Arc<Preview>, slot: &mut MaskTexture, env: PanelEnv) {
    let lang = env.lang;
    let (Some(mask), [rows, cols]) = (&p.mask, p.shape.as_slice()) else {
        ui.weak(tr(lang, "w.mask_none"));
        return;
    };
    let key = Arc::as_ptr(p) as usize;
    if slot.0.as_ref().is_none_or(|(k, _)| *k != key) {
        let image = mask_image(mask, *rows, *cols);
        slot.0 = Some((
            key,
            ui.ctx()
                .load_texture("weights_mask", image, TextureOptions::NEAREST),
        ));
    }
    if let Some((_, texture)) = &slot.0 {
        let width = ui.available_width().min(760.0);
        let aspect = *rows as f32 / (*cols).max(1) as f32;
        let height = (width * aspect).clamp(60.0, 260.0);
        ui.image((texture.id(), egui::vec2(width, height)));
        let kept = mask.iter().filter(|k| **k).count();
        ui.label(format!(
            "{} {rows} × {cols}: {} {} / {} ({:.1} % {})",
            tr(lang, "w.mask_of"),
            kept,
            tr(lang, "w.kept"),
            mask.len(),
            100.0 * (mask.len() - kept) as f64 / mask.len().max(1) as f64,
            tr(lang, "w.pruned")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampled_mask_keeps_the_pattern() {
        // 2:4 along rows: columns 0,1 kept, 2,3 pruned → alternating bright/dark pairs.
        let (rows, cols) = (4, 8);
        let mask: Vec<bool> = (0..rows * cols).map(|i| i % 4 < 2).collect();
        let img = mask_image(&mask, rows, cols);
        assert_eq!(img.size, [8, 4]);
        assert!(img.pixels[0].r() > img.pixels[2].r());
    }
}
