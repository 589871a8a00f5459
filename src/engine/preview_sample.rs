//! The first answer of the weights view on a large tensor: the preview of a deterministic
//! sample of its rows (evenly spread, about [`SAMPLE_VALUES`] values), in milliseconds at any
//! size. Histogram counts are scaled to the tensor, metrics are the sample's, the size is exact
//! where the scheme's layout is known from the shape; [`Preview::sampled`] says so and the
//! exact preview follows. A tensor too large to hold decoded beside its reconstruction (over
//! [`RESIDENT_LIMIT`] as f32, read from its file) keeps the sample's histograms and gets its
//! exact figures from the sweep's streamed measure (nothing tensor-sized allocated).

use serde::Serialize;

use super::CancelToken;
use super::config::{self, Config};
use super::loaded::{LoadedModel, RESIDENT_LIMIT, TensorRanges};
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
    /// The metrics and size are the whole tensor's, measured (only the histograms are the
    /// sample's).
    pub exact_figures: bool,
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
        exact_figures: false,
    });
    Ok(Some(p))
}

/// The exact figures of a tensor too large to preview whole (see the module notes) on top of
/// its sampled preview; `None` when the tensor is previewed whole, or when cancelled.
pub(super) fn streamed_exact(
    model: &LoadedModel,
    config: &Config,
    index: usize,
    sampled: &Preview,
    cancel: &CancelToken,
) -> Result<Option<Preview>, String> {
    streamed_exact_above(model, config, index, sampled, cancel, RESIDENT_LIMIT)
}

/// [`streamed_exact`] for tensors over `limit` bytes as f32.
fn streamed_exact_above(
    model: &LoadedModel,
    config: &Config,
    index: usize,
    sampled: &Preview,
    cancel: &CancelToken,
    limit: u64,
) -> Result<Option<Preview>, String> {
    let meta = &model.tensors[index];
    if model.is_resident() || 4 * meta.len as u64 <= limit || !config::touches(model, config, index)
    {
        return Ok(None);
    }
    let Some(runs) = super::shard::measure(model, &[config], &[index], cancel, &mut |_| {})? else {
        return Ok(None);
    };
    let record = runs
        .into_iter()
        .next()
        .ok_or("no result")??
        .pop()
        .ok_or("no result")?;
    let mut p = sampled.clone();
    if p.channel_ranges.is_empty()
        && let Some(r) = streamed_ranges(model, index)?
    {
        p.channel_ranges = r.channels.clone();
        model.remember_ranges(index, r);
    }
    // Streamed pruning is per-tensor magnitude pruning: it removes exactly this many.
    let scheme = config.scheme_for(&meta.name);
    p.pruned = scheme.prune.map_or(0, |q| {
        crate::compress::prune::prune_count(q.sparsity, meta.len) as u64
    });
    p.metrics = record.point.metrics;
    p.size = record.point.size;
    p.notes = super::preview::tensor_notes(&meta.name, record.notes);
    p.sampled = p.sampled.map(|s| Sampled {
        exact_figures: true,
        ..s
    });
    Ok(Some(p))
}

/// The ranges of tensor `i` (≥ 2-D, read by range) from blocks of rows decoded one at a time
/// per thread: what [`LoadedModel::ranges`] finds, without decoding the tensor whole.
fn streamed_ranges(model: &LoadedModel, i: usize) -> Result<Option<TensorRanges>, String> {
    use rayon::prelude::*;
    let meta = &model.tensors[i];
    let (Some((file, t)), [rows, ..]) = (model.streaming_source(i), meta.shape.as_slice()) else {
        return Ok(None);
    };
    if meta.shape.len() < 2 || *rows == 0 {
        return Ok(None);
    }
    let cols = meta.len / rows;
    let per_block = (STRIP * 4 / cols.max(1)).max(1);
    let blocks: Vec<Result<TensorRanges, String>> = (0..rows.div_ceil(per_block))
        .into_par_iter()
        .map(|b| {
            let first = b * per_block;
            let n = per_block.min(rows - first);
            let mut x = vec![0.0f32; n * cols];
            file.decode_range(t, first * cols, &mut x)
                .map_err(|e| e.to_string())?;
            Ok(TensorRanges {
                channels: x
                    .chunks(cols)
                    .map(crate::compress::range::min_max)
                    .collect(),
                finite: crate::compress::histogram::finite_range(&x),
            })
        })
        .collect();
    let mut out = TensorRanges::default();
    for block in blocks {
        let block = block?;
        out.channels.extend(block.channels);
        out.finite = match (out.finite, block.finite) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
    }
    Ok(Some(out))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::compress::scheme::Granularity;
    use crate::engine::presets::int_config;
    use crate::engine::preview_tensor;

    #[test]
    fn streamed_figures_of_a_file_tensor_equal_its_whole_preview() {
        let (rows, cols) = (4100, 2048);
        let data: Vec<f32> = (0..rows * cols)
            .map(|i| (i as f32 * 0.618).sin() * (1.0 + (i / cols % 89) as f32 * 0.1))
            .collect();
        let t = Tensor::new("w", vec![rows, cols], data);
        let bytes = crate::model::write_safetensors_f32(&[t], &[]);
        let file = Arc::new(crate::model::open_bytes("w.safetensors", bytes).unwrap());
        let m = LoadedModel::load_from_file(&file);
        assert!(!m.is_resident());
        let config = int_config(4, false, Granularity::Group { size: 128 }, 0.0);
        let sampled = sampled_preview(&m, &config, "w", 64).unwrap().unwrap();
        let cancel = CancelToken::default();
        let exact = streamed_exact_above(&m, &config, 0, &sampled, &cancel, 0)
            .unwrap()
            .unwrap();
        let whole = preview_tensor(&m, &config, "w", 64).unwrap();
        assert_eq!(exact.metrics, whole.metrics);
        assert_eq!(exact.size, whole.size);
        assert_eq!(exact.histograms, sampled.histograms);
        assert!(exact.sampled.is_some_and(|s| s.exact_figures));
        assert_eq!((exact.pruned, whole.pruned), (0, 0));
        let decoded = LoadedModel::load_from_file(&file);
        assert_eq!(exact.channel_ranges, decoded.ranges(0).unwrap().channels);
        assert_eq!(m.cached_ranges(0), decoded.ranges(0));
        let pruning = int_config(8, true, Granularity::Channel { axis: 0 }, 0.3);
        let sampled = sampled_preview(&m, &pruning, "w", 64).unwrap().unwrap();
        let exact = streamed_exact_above(&m, &pruning, 0, &sampled, &cancel, 0)
            .unwrap()
            .unwrap();
        let whole = preview_tensor(&m, &pruning, "w", 64).unwrap();
        assert_eq!(exact.pruned, whole.pruned);
        assert_eq!(exact.metrics, whole.metrics);
        // Previewed whole below the limit.
        let below = streamed_exact(&m, &config, 0, &sampled, &cancel).unwrap();
        assert!(below.is_none());
    }
}
