//! The first answer of the weights view on a large tensor: the preview of a deterministic
//! sample of its rows (evenly spread, about [`SAMPLE_VALUES`] values), in milliseconds at any
//! size. Histogram counts are scaled to the tensor, metrics are the sample's, the size is exact
//! where the scheme's layout is known from the shape; [`Preview::sampled`] says so and the
//! exact preview follows.

use serde::Serialize;

use super::config::{self, Config};
use super::loaded::LoadedModel;
use super::preview::{Preview, assemble, compress_picked};
use crate::compress::histogram::Histogram;
use crate::compress::unit_plan::UnitPlan;
use crate::tensor::Tensor;

/// Tensors with more values than this get a sampled preview first.
pub const SAMPLE_ABOVE: usize = 8 << 20;

/// About this many values in a sampled preview.
const SAMPLE_VALUES: usize = 1 << 20;

/// Values of a 1-D tensor taken together.
const STRIP: usize = 4096;

/// How much of the tensor a sampled preview saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sampled {
    /// Values sampled.
    pub values: u64,
    /// Values in the tensor.
    pub of: u64,
}

/// The sampled preview of tensor `name` under `config`, or `None` when the tensor is small
/// (its exact preview is fast) or cannot be read by rows (block formats decode whole).
pub fn sampled_preview(
    model: &LoadedModel,
    config: &Config,
    name: &str,
    bins: usize,
) -> Result<Option<Preview>, String> {
    config::check(model, config)?;
    let Some(index) = model.index_of(name) else {
        return Ok(None);
    };
    let Some(sample) = sample_rows(model, index)? else {
        return Ok(None);
    };
    let meta = &model.tensors[index];
    let c = compress_picked(model, config, index, &sample, false)?;
    let kept_fraction = c.mask.as_ref().map_or(1.0, |m| {
        m.iter().filter(|k| **k).count() as f64 / m.len().max(1) as f64
    });
    let ranges = model.cached_ranges(index).cloned().unwrap_or_default();
    let mut p = assemble(model, config, index, &sample, c, ranges, bins, false);
    let w = meta.len as f64 / sample.data.len() as f64;
    for h in [
        &mut p.histograms.before,
        &mut p.histograms.after,
        &mut p.histograms.error,
    ] {
        scale(h, w);
    }
    let scheme = config::scheme_for_tensor(config.scheme_for(name), meta);
    let stored_bits = 8 * meta.stored_bytes;
    let kept = (kept_fraction * meta.len as f64).round() as u64;
    p.size = match UnitPlan::new(&scheme, &meta.shape, meta.len, stored_bits) {
        Some(plan) => plan.size(kept),
        None => p.size.scaled_to(meta.len as u64),
    };
    p.pruned = meta.len as u64 - kept;
    p.shape = meta.shape.clone();
    p.mask = None;
    p.dequantized = Vec::new();
    p.sampled = Some(Sampled {
        values: sample.data.len() as u64,
        of: meta.len as u64,
    });
    Ok(Some(p))
}

/// Evenly spread whole rows of tensor `i` (strips of a 1-D tensor) as a tensor of the same
/// rank; `None` when it is small, has rows too long to sample, or is not read by range.
fn sample_rows(model: &LoadedModel, i: usize) -> Result<Option<Tensor>, String> {
    let meta = &model.tensors[i];
    if meta.len <= SAMPLE_ABOVE {
        return Ok(None);
    }
    let (rows, cols) = match meta.shape.as_slice() {
        [] | [_] => (meta.len / STRIP, STRIP),
        [r, ..] => (*r, meta.len / (*r).max(1)),
    };
    if cols == 0 || cols > SAMPLE_VALUES / 8 || rows < 16 {
        return Ok(None);
    }
    let k = (SAMPLE_VALUES / cols).clamp(1, rows);
    let picks: Vec<usize> = (0..k).map(|j| (2 * j + 1) * rows / (2 * k)).collect();
    let mut data = vec![0.0f32; k * cols];
    if let Some((file, t)) = model.streaming_source(i) {
        for (out, &r) in data.chunks_mut(cols).zip(&picks) {
            file.decode_range(t, r * cols, out)
                .map_err(|e| e.to_string())?;
        }
    } else if model.is_resident() {
        let whole = model.data(i)?;
        for (out, &r) in data.chunks_mut(cols).zip(&picks) {
            out.copy_from_slice(&whole.data[r * cols..(r + 1) * cols]);
        }
    } else {
        return Ok(None);
    }
    let shape = match meta.shape.as_slice() {
        [] | [_] => vec![k * cols],
        [_, rest @ ..] => std::iter::once(k).chain(rest.iter().copied()).collect(),
    };
    Ok(Some(Tensor::new(meta.name.clone(), shape, data)))
}

/// Counts of a sample's histogram scaled to the whole tensor (`w` = values per sampled value).
fn scale(h: &mut Histogram, w: f64) {
    let s = |c: &mut u64| *c = (*c as f64 * w).round() as u64;
    h.counts.iter_mut().for_each(s);
    s(&mut h.below);
    s(&mut h.above);
    s(&mut h.nan);
}
