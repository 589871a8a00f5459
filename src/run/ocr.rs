//! The PP-OCR text-line recogniser's inputs and reading: lines rendered from the bundled font
//! (or a folder of PNGs with `labels.txt`), normalised as PaddleOCR does (height 48, RGB in
//! [-1, 1], right-padded with 0), CTC greedy decoding with the graph's own character list, and
//! the character error rate.

use std::path::Path;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use super::{Fidelity, Metric};
use crate::assets::NANUM_GOTHIC;

/// The recogniser's input height.
pub const HEIGHT: usize = 48;
/// The narrowest batch width PaddleOCR uses (320 = 48 × its default width/height ratio).
const MIN_WIDTH: usize = 320;
/// The bundled text lines (written for bitlens, CC0).
pub const PROBE_LINES: &str = include_str!("../../assets/probe/ocr_lines.txt");
pub const PROBE_LINES_NAME: &str = super::Probe::TextLines.name();

/// A grey-scale text line (0 = black ink, 255 = white paper), `HEIGHT` rows.
pub struct Line {
    pub width: usize,
    pub pixels: Vec<u8>,
}

/// Render `text` in black on white, `HEIGHT` pixels tall.
pub fn render(text: &str) -> Line {
    let font = FontRef::try_from_slice(NANUM_GOTHIC).expect("the bundled font parses");
    let scale = PxScale::from(32.0);
    let f = font.as_scaled(scale);
    let baseline = (HEIGHT as f32 - (f.ascent() - f.descent())) / 2.0 + f.ascent();
    let mut x = 8.0f32;
    let mut glyphs = Vec::new();
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            x += f.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(scale, point(x, baseline)));
        x += f.h_advance(id);
        prev = Some(id);
    }
    let width = (x.ceil() as usize + 8).max(HEIGHT);
    let mut cover = vec![0.0f32; width * HEIGHT];
    for g in glyphs {
        if let Some(o) = font.outline_glyph(g) {
            let b = o.px_bounds();
            o.draw(|gx, gy, c| {
                let (px, py) = (
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                );
                if (0..width as i64).contains(&px) && (0..HEIGHT as i64).contains(&py) {
                    let slot = &mut cover[py as usize * width + px as usize];
                    *slot = (*slot + c).min(1.0);
                }
            });
        }
    }
    Line {
        width,
        pixels: cover
            .iter()
            .map(|c| (255.0 * (1.0 - c)).round() as u8)
            .collect(),
    }
}

/// A folder of text-line images with `labels.txt` (`file.png<TAB>text` a line): the images
/// scaled to `HEIGHT` rows, and their true strings.
pub fn read_folder(dir: &Path) -> Result<(Vec<Line>, Vec<String>), String> {
    let labels_path = dir.join("labels.txt");
    let labels = std::fs::read_to_string(&labels_path).map_err(|e| {
        format!(
            "{}: {e} (a folder of text lines needs labels.txt)",
            labels_path.display()
        )
    })?;
    let (mut lines, mut truths) = (Vec::new(), Vec::new());
    for (n, row) in labels
        .lines()
        .enumerate()
        .filter(|(_, r)| !r.trim().is_empty())
    {
        let (file, text) = row.split_once('\t').ok_or_else(|| {
            format!(
                "{}:{}: expected `file.png<TAB>text`",
                labels_path.display(),
                n + 1
            )
        })?;
        let path = dir.join(file.trim());
        let img = image::open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .into_luma8();
        if img.height() < 8 || img.width() < 8 {
            return Err(format!(
                "{}: {}×{} is too small for a text line",
                path.display(),
                img.width(),
                img.height()
            ));
        }
        let w = ((img.width() as usize * HEIGHT).div_ceil(img.height() as usize)).max(8);
        let scaled = image::imageops::resize(
            &img,
            w as u32,
            HEIGHT as u32,
            image::imageops::FilterType::Triangle,
        );
        lines.push(Line {
            width: w,
            pixels: scaled.into_raw(),
        });
        truths.push(text.to_owned());
    }
    if lines.is_empty() {
        return Err(format!("{}: no text lines listed", labels_path.display()));
    }
    Ok((lines, truths))
}

/// Width classes of a line set: each line is padded to its class's widest (one plan per
/// class). One line a forward call is the fastest here (each run's working set stays in cache;
/// batches of 4 took 4.5 s and of 16 7.9 s for 100 lines, against 3.6 s one by one padded to
/// the widest).
pub const PLANS: usize = 3;

/// The width each line is padded to: `widths` split into at most `classes` classes of
/// consecutive widths (sorted) with the least padded width in all (each at least the
/// recogniser's minimum width).
pub fn width_classes(widths: &[usize], classes: usize) -> Vec<usize> {
    let mut sorted: Vec<usize> = widths.iter().map(|&w| w.max(MIN_WIDTH)).collect();
    sorted.sort_unstable();
    let n = sorted.len();
    let k = classes.clamp(1, n.max(1));
    // cost[j][m]: least padded width of the first m sorted lines in j classes; cut[j][m] the
    // start of the last class.
    let mut cost = vec![vec![usize::MAX; n + 1]; k + 1];
    let mut cut = vec![vec![0usize; n + 1]; k + 1];
    cost[0][0] = 0;
    for j in 1..=k {
        for m in 1..=n {
            for s in 0..m {
                if cost[j - 1][s] == usize::MAX {
                    continue;
                }
                let c = cost[j - 1][s] + (m - s) * sorted[m - 1];
                if c < cost[j][m] {
                    cost[j][m] = c;
                    cut[j][m] = s;
                }
            }
        }
    }
    let best = (1..=k).min_by_key(|&j| cost[j][n]).unwrap_or(1);
    let mut bounds = Vec::new();
    let (mut j, mut m) = (best, n);
    while j > 0 && m > 0 {
        bounds.push(sorted[m - 1]);
        m = cut[j][m];
        j -= 1;
    }
    bounds.sort_unstable();
    widths
        .iter()
        .map(|&w| {
            let w = w.max(MIN_WIDTH);
            bounds.iter().copied().find(|&b| b >= w).unwrap_or(w)
        })
        .collect()
}

impl Line {
    /// White paper, no ink.
    pub fn blank(width: usize) -> Self {
        Self {
            width,
            pixels: vec![255; width * HEIGHT],
        }
    }
}

/// The batch `[N, 3, HEIGHT, W]` (row-major), W = `width` (at least 320), lines right-padded.
pub fn batch(lines: &[&Line], width: usize) -> (Vec<f32>, [usize; 4]) {
    let w = width.max(MIN_WIDTH);
    let mut out = vec![0.0f32; lines.len() * 3 * HEIGHT * w];
    for (n, l) in lines.iter().enumerate() {
        for c in 0..3 {
            let plane = &mut out[(n * 3 + c) * HEIGHT * w..][..HEIGHT * w];
            for y in 0..HEIGHT {
                for x in 0..l.width {
                    plane[y * w + x] = f32::from(l.pixels[y * l.width + x]) / 127.5 - 1.0;
                }
            }
        }
    }
    (out, [lines.len(), 3, HEIGHT, w])
}

/// The graph's character list (ONNX metadata `character`, one a line) as PaddleOCR extends it:
/// index 0 is the CTC blank, a space follows the last character.
pub fn characters(metadata: &str) -> Vec<String> {
    let mut chars = vec![String::new()];
    chars.extend(metadata.lines().map(str::to_owned));
    chars.push(" ".into());
    chars
}

/// CTC greedy decoding of `[T, C]` probabilities: arg-max per step, repeats merged, blanks dropped.
pub fn decode(probs: &[f32], classes: usize, chars: &[String]) -> String {
    ctc_greedy(probs, classes, chars).trim().to_owned()
}

/// CTC greedy decoding as is (the margins of a line may read as spaces; [`decode`] trims them).
fn ctc_greedy(probs: &[f32], classes: usize, chars: &[String]) -> String {
    let mut out = String::new();
    let mut last = usize::MAX;
    for step in probs.chunks_exact(classes) {
        let best = step
            .iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |b, (i, &p)| if p > b.1 { (i, p) } else { b },
            )
            .0;
        if best != last && best != 0 {
            out.push_str(chars.get(best).map_or("", String::as_str));
        }
        last = best;
    }
    out
}

/// Text recognition: 1 − mean CER against the true strings, and against fp32's own reading.
pub fn text_fidelity(truths: &[String], fp32: &[String], reads: &[String]) -> Fidelity {
    let n = truths.len().min(reads.len());
    let mean = |a: &[String]| (0..n).map(|i| cer(&a[i], &reads[i])).sum::<f64>() / n.max(1) as f64;
    Fidelity {
        metric: Metric::OneMinusCer,
        value: 1.0 - mean(truths),
        n_inputs: n,
        synthetic: false,
        others: vec![(Metric::OneMinusCerVsFp32, 1.0 - mean(fp32))],
    }
}

/// Character error rate: edit distance / length of `truth`, at most 1.
pub fn cer(truth: &str, read: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (truth.chars().collect(), read.chars().collect());
    if a.is_empty() {
        return if b.is_empty() { 0.0 } else { 1.0 };
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != cb)).min(up + 1).min(row[j] + 1);
            diag = up;
        }
    }
    (row[b.len()] as f64 / a.len() as f64).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cer_counts_edits() {
        assert_eq!(cer("abcd", "abcd"), 0.0);
        assert_eq!(cer("abcd", "abed"), 0.25);
        assert_eq!(cer("abcd", ""), 1.0);
        assert_eq!(cer("ab", "xxxxxxxx"), 1.0);
    }

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        let chars = characters("a\nb");
        // steps: a a blank a b b  →  "aab"
        let onehot = |i: usize| {
            let mut v = vec![0.0; 4];
            v[i] = 1.0;
            v
        };
        let probs: Vec<f32> = [1, 1, 0, 1, 2, 2].iter().flat_map(|&i| onehot(i)).collect();
        assert_eq!(decode(&probs, 4, &chars), "aab");
    }

    #[test]
    fn lines_render_ink_on_paper() {
        let l = render("int8 0.5");
        assert!(l.width > 100);
        let ink = l.pixels.iter().filter(|&&p| p < 128).count();
        assert!(ink > 200 && ink < l.pixels.len() / 2, "{ink}");
        let (b, shape) = batch(&[&l], l.width);
        assert_eq!(shape[2], HEIGHT);
        assert!(b.iter().all(|v| (-1.0..=1.0).contains(v)));
    }

    #[test]
    fn width_classes_pad_each_line_to_the_cheapest_few_widths() {
        let widths = [100, 400, 410, 900, 1000];
        // {320, 400, 410} {900} {1000} pads 3130 columns; {320} {400, 410} {900, 1000} 3140.
        assert_eq!(width_classes(&widths, 3), [410, 410, 410, 900, 1000]);
        assert_eq!(width_classes(&widths, 1), [1000; 5]);
        assert_eq!(width_classes(&[500, 500], 3), [500, 500]);
        assert!(width_classes(&[], 3).is_empty());
    }
}
