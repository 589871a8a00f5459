//! The preview job of the weights view: what a config does to one tensor (or to the whole model)
//! — original and dequantized histograms on shared bin edges, the error histogram, the
//! per-channel ranges, the grid of representable levels, the clip range, scales and zero
//! points, the pruning mask, exact metrics and size — and then, optionally, the whole model's
//! measured point under the same config (accuracy for evaluable models).
//!
//! The preview is emitted first ([`Output::Preview`]), so the histogram never waits for the
//! accuracy ([`Output::ConfigEvaluated`] follows). A whole-model preview reports progress per
//! tensor and stops between tensors when cancelled.
//!
//! Error convention: the error histogram is of `w − ŵ` (original minus reconstruction) on the
//! symmetric range `[−max|w − ŵ|, max|w − ŵ|]`.

use std::sync::Arc;

use rayon::prelude::*;

use super::config::{self, Config, compress_model, evaluate_config_cancellable, finish_point};
use super::loaded::LoadedModel;
use super::{CancelToken, EventKind, Output};
use crate::compress::histogram::{Histogram, HistogramSet, histogram_range};
use crate::compress::scheme::{PruneMethod, Scheme};
use crate::compress::{Compressed, Metrics, SizeReport};
use crate::tensor::Tensor;

/// Grids with more levels than this are not listed ([`Preview::grid`] is `None`).
pub const MAX_GRID_LEVELS: usize = 4096;

/// Bins used when a request asks for 0.
pub const DEFAULT_BINS: usize = 256;

/// Everything the weights view draws for one setting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preview {
    /// The tensor shown (`None`: every compressed tensor of the model pooled).
    pub tensor: Option<String>,
    /// Its shape (empty for the whole model).
    pub shape: Vec<usize>,
    /// The scheme applied to it (the config's base scheme for the whole model).
    pub scheme: Scheme,
    /// `before` = original, `after` = dequantized, on shared edges; `error` = `w − ŵ`.
    pub histograms: HistogramSet,
    /// `(min, max)` of the original per output channel (axis 0); empty for 1-D tensors and the
    /// whole model.
    pub channel_ranges: Vec<(f32, f32)>,
    /// Every representable value of the scale group holding the largest |w| (for per-tensor
    /// schemes: the tensor's grid); `None` when there are more than [`MAX_GRID_LEVELS`] or the
    /// scheme has none (f32, whole model).
    pub grid: Option<Vec<f32>>,
    /// Number of levels of that grid (also when not listed; 0 = no grid).
    pub grid_levels: usize,
    /// The representable range of that group (its lowest and highest level): the clip range.
    pub clip_range: Option<(f32, f32)>,
    /// Elements per scale group, the scales and (integer targets) zero points, one per group.
    pub group_len: usize,
    pub scales: Vec<f32>,
    pub zero_points: Vec<i32>,
    /// Pruning mask (`true` = kept), row-major like the tensor; single tensors only.
    pub mask: Option<Vec<bool>>,
    /// Weights removed by pruning (over every pooled tensor for the whole model).
    pub pruned: u64,
    pub metrics: Metrics,
    pub size: SizeReport,
    /// The reconstruction (single tensors only; empty for the whole model).
    pub dequantized: Vec<f32>,
    /// Tensors pooled (1 for a single tensor).
    pub n_tensors: usize,
    /// Setting A's reconstruction of the same tensor on these bins, when comparing.
    pub compare: Option<Box<CompareSide>>,
    /// A first answer from a sample of the tensor's rows (histograms and metrics estimated,
    /// counts scaled to the tensor); the exact preview follows.
    pub sampled: Option<super::preview_sample::Sampled>,
    /// What the compressors did instead of what was asked, by tensor.
    pub notes: Vec<crate::compress::TensorNote>,
}

/// `notes` about tensor `name`.
pub(super) fn tensor_notes(
    name: &str,
    notes: Vec<crate::compress::Note>,
) -> Vec<crate::compress::TensorNote> {
    let tensor = name.to_owned();
    notes
        .into_iter()
        .map(|note| crate::compress::TensorNote {
            tensor: tensor.clone(),
            note,
        })
        .collect()
}

/// The position of tensor `name`, or an error naming the model.
fn named(model: &LoadedModel, name: &str) -> Result<usize, String> {
    model
        .index_of(name)
        .ok_or_else(|| format!("{}: no tensor named `{name}`", model.label))
}

/// Compress the tensor `name` under `config` (always, even a 1-D tensor: it was picked).
pub fn compress_one(
    model: &LoadedModel,
    config: &Config,
    name: &str,
) -> Result<Compressed, String> {
    config::check(model, config)?;
    let i = named(model, name)?;
    let t = model.data(i)?;
    compress_picked(model, config, i, &t, true)
}

/// Compress `t`, tensor `i`'s values (`whole`) or a sample of its rows (then a global pruning
/// threshold is the sample's own), keeping the codes and the grid.
pub(super) fn compress_picked(
    model: &LoadedModel,
    config: &Config,
    i: usize,
    t: &Tensor,
    whole: bool,
) -> Result<Compressed, String> {
    let name = &t.name;
    let global = config
        .scheme_for(name)
        .prune
        .is_some_and(|p| p.method == PruneMethod::Global)
        && !config.overrides.contains_key(name)
        && whole;
    // Global pruning ranks the model's tensors together (the mask of tensor `i` from all of them).
    let mask = if global {
        config::masks(model, config)?[i].take()
    } else {
        None
    };
    let mut scratch = crate::compress::apply::Scratch::default();
    config::compress_values(model, config, i, t, mask, true, &mut scratch)
}

/// The preview of one tensor.
pub fn preview_tensor(
    model: &LoadedModel,
    config: &Config,
    name: &str,
    bins: usize,
) -> Result<Preview, String> {
    preview_beside(model, config, name, bins, None)
}

/// [`preview_tensor`], with setting `a` measured on the same values and bins when given (the
/// tensor is read once for both).
fn preview_beside(
    model: &LoadedModel,
    config: &Config,
    name: &str,
    bins: usize,
    a: Option<&Config>,
) -> Result<Preview, String> {
    config::check(model, config)?;
    let index = named(model, name)?;
    let t = model.data(index)?;
    let c = compress_picked(model, config, index, &t, true)?;
    let ranges = model.ranges(index).cloned().unwrap_or_default();
    let mut p = assemble(model, config, index, &t, c, ranges, bins, true);
    if let Some(a) = a {
        p.compare = Some(Box::new(compare_side(model, a, index, &t, &p)?));
    }
    Ok(p)
}

/// The preview of tensor `index` from its values `t` (all of them, or a sample) and their
/// compression `c`; `cached`: take the original's histogram from the model's cache (whole
/// tensors only).
#[allow(clippy::too_many_arguments)]
pub(super) fn assemble(
    model: &LoadedModel,
    config: &Config,
    index: usize,
    t: &Tensor,
    c: Compressed,
    ranges: crate::engine::loaded::TensorRanges,
    bins: usize,
    cached: bool,
) -> Preview {
    let bins = if bins == 0 { DEFAULT_BINS } else { bins };
    let mut scratch = model.take_scratch();
    let histograms = histogram_set_with(
        &[(&t.data, &c.dequantized, ranges.finite)],
        bins,
        &|lo, hi| cached.then(|| model.original_histogram(index, bins, lo, hi)),
        &mut scratch,
    );
    model.put_scratch(scratch);
    let grid_levels = c.grid.len();
    let clip_range = c.grid.first().zip(c.grid.last()).map(|(a, b)| (*a, *b));
    let quant = c.quant.unwrap_or_default();
    let pruned = c
        .mask
        .as_ref()
        .map_or(0, |m| m.iter().filter(|k| !**k).count() as u64);
    let name = &model.tensors[index].name;
    Preview {
        tensor: Some(name.clone()),
        shape: c.shape,
        scheme: config.scheme_for(name).clone(),
        histograms,
        channel_ranges: ranges.channels,
        grid: (grid_levels > 0 && grid_levels <= MAX_GRID_LEVELS).then_some(c.grid),
        grid_levels,
        clip_range,
        group_len: quant.group_len,
        scales: quant.scales,
        zero_points: quant.zero_points,
        mask: c.mask,
        pruned,
        metrics: c.metrics,
        size: c.size,
        dequantized: c.dequantized,
        n_tensors: 1,
        notes: tensor_notes(&c.name, c.notes),
        sampled: None,
        compare: None,
    }
}

/// Setting A beside a preview: its reconstruction and error of the same tensor, counted on the
/// preview's bins (values beyond them in `below` / `above`), its metrics and size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareSide {
    pub label: String,
    /// Setting A itself (its label is written from it in the UI language).
    pub config: Config,
    pub after: Histogram,
    pub error: Histogram,
    pub metrics: Metrics,
    pub size: SizeReport,
    pub pruned: u64,
    pub grid_levels: usize,
}

/// Setting `a` on tensor `index` (values `t`) that `p` previews.
fn compare_side(
    model: &LoadedModel,
    a: &Config,
    index: usize,
    t: &Tensor,
    p: &Preview,
) -> Result<CompareSide, String> {
    config::check(model, a)?;
    let c = compress_picked(model, a, index, t, true)?;
    let (after, error) = (&p.histograms.after, &p.histograms.error);
    let bins = after.counts.len();
    let e: Vec<f32> = t
        .data
        .iter()
        .zip(&c.dequantized)
        .map(|(x, y)| x - y)
        .collect();
    Ok(CompareSide {
        label: a.label.clone(),
        config: a.clone(),
        after: histogram_range(&c.dequantized, bins, after.lo, after.hi),
        error: histogram_range(&e, error.counts.len(), error.lo, error.hi),
        metrics: c.metrics,
        size: c.size,
        pruned: c
            .mask
            .as_ref()
            .map_or(0, |m| m.iter().filter(|k| !**k).count() as u64),
        grid_levels: c.grid.len(),
    })
}

/// An original tensor, its reconstruction and the original's finite range (if known).
pub(super) type Pair<'a> = (&'a [f32], &'a [f32], Option<(f32, f32)>);

/// Histograms of several pairs pooled: before/after on the shared finite range of all of
/// them, the error `w − ŵ` on its symmetric range. One fused pass per pair finds
/// the reconstruction's range and the largest error (writing the error itself when there is
/// only one pair, so it is not computed twice), then `compress::histogram` counts.
/// `before(lo, hi)` may supply the original's histogram when there is one pair (a cache).
pub(super) fn histogram_set_with(
    pairs: &[Pair<'_>],
    bins: usize,
    before: &dyn Fn(f32, f32) -> Option<Histogram>,
    err_buf: &mut Vec<f32>,
) -> HistogramSet {
    let mut range: Option<(f32, f32)> = None;
    let mut emax = 0.0f32;
    let single = pairs.len() == 1;
    let widen = |r: Option<(f32, f32)>, s: (f32, f32)| {
        Some(r.map_or(s, |(lo, hi)| (lo.min(s.0), hi.max(s.1))))
    };
    for (x, y, xr) in pairs {
        if let Some(r) = xr {
            range = widen(range, *r);
        }
        let (lo, hi, e) = if single {
            // Reuse the buffer's pages: every element is overwritten by the scan.
            err_buf.resize(x.len(), 0.0);
            scan(x, y, Some(err_buf))
        } else {
            scan(x, y, None)
        };
        if lo <= hi {
            range = widen(range, (lo, hi));
        }
        emax = emax.max(e);
    }
    let (lo, hi) = range.unwrap_or((0.0, 1.0));
    let emax = if emax > 0.0 { emax } else { 1e-12 };
    let mut set = HistogramSet {
        before: empty(bins, lo, hi),
        after: empty(bins, lo, hi),
        error: empty(bins, -emax, emax),
    };
    for (x, y, _) in pairs {
        let cached = if single { before(lo, hi) } else { None };
        add(
            &mut set.before,
            &cached.unwrap_or_else(|| histogram_range(x, bins, lo, hi)),
        );
        add(&mut set.after, &histogram_range(y, bins, lo, hi));
        if !single {
            err_buf.clear();
            err_buf.par_extend(x.par_iter().zip(y.par_iter()).map(|(a, b)| a - b));
        }
        add(&mut set.error, &histogram_range(err_buf, bins, -emax, emax));
    }
    set
}

/// Finite range of `y` and the largest finite |x − y|; writes `x − y` into `err` when given.
fn scan(x: &[f32], y: &[f32], err: Option<&mut Vec<f32>>) -> (f32, f32, f32) {
    const CHUNK: usize = 1 << 16;
    let id = || (f32::INFINITY, f32::NEG_INFINITY, 0.0f32);
    let merge = |a: (f32, f32, f32), b: (f32, f32, f32)| (a.0.min(b.0), a.1.max(b.1), a.2.max(b.2));
    match err {
        Some(err) => err
            .par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK).zip(y.par_chunks(CHUNK)))
            .map(|(ec, (xc, yc))| {
                for ((o, a), b) in ec.iter_mut().zip(xc).zip(yc) {
                    *o = a - b;
                }
                lanes(yc, ec)
            })
            .reduce(id, merge),
        None => x
            .par_chunks(CHUNK)
            .zip(y.par_chunks(CHUNK))
            .map(|(xc, yc)| {
                let mut e = [0.0f32; CHUNK / 16];
                let mut acc = id();
                for (xs, ys) in xc.chunks(e.len()).zip(yc.chunks(e.len())) {
                    let es = &mut e[..xs.len()];
                    for ((o, a), b) in es.iter_mut().zip(xs).zip(ys) {
                        *o = a - b;
                    }
                    acc = merge(acc, lanes(ys, es));
                }
                acc
            })
            .reduce(id, merge),
    }
}

/// `(min y, max y, max |e|)` over the finite values, in 8 branch-free lanes (a NaN or ±∞ is
/// turned into NaN, which never wins a comparison).
fn lanes(y: &[f32], e: &[f32]) -> (f32, f32, f32) {
    let (mut lo, mut hi, mut em) = ([f32::INFINITY; 8], [f32::NEG_INFINITY; 8], [0.0f32; 8]);
    let (yc, ec) = (y.chunks_exact(8), e.chunks_exact(8));
    let (yt, et) = (yc.remainder(), ec.remainder());
    let finite = |v: f32| if v.is_finite() { v } else { f32::NAN };
    for (ys, es) in yc.zip(ec) {
        for k in 0..8 {
            let v = finite(ys[k]);
            let d = finite(es[k]).abs();
            lo[k] = if v < lo[k] { v } else { lo[k] };
            hi[k] = if v > hi[k] { v } else { hi[k] };
            em[k] = if d > em[k] { d } else { em[k] };
        }
    }
    let mut out = (
        lo.iter().fold(f32::INFINITY, |m, &v| m.min(v)),
        hi.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)),
        em.iter().fold(0.0f32, |m, &v| m.max(v)),
    );
    for (&v, &d) in yt.iter().zip(et) {
        if v.is_finite() {
            out.0 = out.0.min(v);
            out.1 = out.1.max(v);
        }
        if d.is_finite() {
            out.2 = out.2.max(d.abs());
        }
    }
    out
}

fn empty(bins: usize, lo: f32, hi: f32) -> Histogram {
    // The same normalisation of a zero-width range as `histogram_range`.
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    Histogram {
        lo,
        hi,
        counts: vec![0; bins.max(1)],
        ..Histogram::default()
    }
}

fn add(into: &mut Histogram, h: &Histogram) {
    for (a, b) in into.counts.iter_mut().zip(&h.counts) {
        *a += *b;
    }
    into.below += h.below;
    into.above += h.above;
    into.nan += h.nan;
}

/// What the preview job is asked.
pub(crate) struct PreviewJob<'a> {
    pub tensor: Option<&'a str>,
    pub config: &'a Config,
    pub bins: usize,
    pub evaluate: bool,
    /// Setting A, drawn beside this one (single tensors previewed whole).
    pub compare: Option<&'a Config>,
}

/// The preview job.
pub(crate) fn run(
    model: &LoadedModel,
    job: &PreviewJob<'_>,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let bins = if job.bins == 0 {
        DEFAULT_BINS
    } else {
        job.bins
    };
    match job.tensor {
        Some(name) => preview_one_tensor(model, job, name, bins, cancel, emit),
        None => preview_model(model, job, bins, cancel, emit),
    }
}

/// One tensor: a sampled preview first for huge tensors, then the exact one (beside the
/// comparison config's), then the config measured when asked.
fn preview_one_tensor(
    model: &LoadedModel,
    job: &PreviewJob<'_>,
    name: &str,
    bins: usize,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let (config, evaluate) = (job.config, job.evaluate);
    let sampled = super::preview_sample::sampled_preview(model, config, name, bins)?;
    if let Some(p) = &sampled {
        emit(EventKind::Output(Output::Preview(Arc::new(p.clone()))));
    }
    let index = model.index_of(name);
    let huge = match (&sampled, index) {
        (Some(s), Some(i)) if !cancel.is_cancelled() => {
            super::preview_sample::streamed_exact(model, config, i, s, cancel)?
        }
        _ => None,
    };
    if cancel.is_cancelled() {
        return Ok(());
    }
    let p = match huge {
        Some(p) => p,
        None => preview_beside(model, config, name, bins, job.compare)?,
    };
    emit(EventKind::Output(Output::Preview(Arc::new(p))));
    if evaluate
        && !cancel.is_cancelled()
        && let Some(point) = evaluate_config_cancellable(model, config, cancel)?
    {
        emit(EventKind::Output(Output::ConfigEvaluated(Arc::new(point))));
    }
    Ok(())
}

/// The whole model: pooled histograms, metrics and size, then the config measured when asked.
fn preview_model(
    model: &LoadedModel,
    job: &PreviewJob<'_>,
    bins: usize,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let (config, evaluate) = (job.config, job.evaluate);
    let total = model.tensors.len();
    emit(EventKind::Progress { done: 0, total });
    let mut pruned = 0u64;
    let mut on_tensor = |i: usize, c: Option<&Compressed>| {
        let mask = c.and_then(|c| c.mask.as_ref());
        pruned += mask.map_or(0, |m| m.iter().filter(|k| !**k).count() as u64);
        emit(EventKind::Progress { done: i + 1, total });
    };
    // Pooled histograms need every reconstruction at once: only for models held
    // decoded; a model read from its file gets the exact pooled metrics and size.
    let keep = model.is_resident();
    let Some(comp) = compress_model(model, config, cancel, keep, keep, &mut on_tensor)? else {
        return Ok(());
    };
    let originals = comp
        .replaced
        .iter()
        .filter_map(|r| model.index_of(&r.name).map(|i| (i, model.data(i))))
        .map(|(i, d)| d.map(|d| (i, d)))
        .collect::<Result<Vec<_>, _>>()?;
    let pairs: Vec<Pair<'_>> = comp
        .replaced
        .iter()
        .zip(&originals)
        .map(|(r, (i, t))| {
            let finite = model.ranges(*i).and_then(|g| g.finite);
            (&t.data[..], &r.data[..], finite)
        })
        .collect();
    let histograms = histogram_set_with(&pairs, bins, &|_, _| None, &mut Vec::new());
    let p = Preview {
        tensor: None,
        scheme: config.scheme.clone(),
        histograms,
        pruned,
        metrics: comp.sums.metrics(),
        size: comp.size.clone(),
        n_tensors: comp.tensors.iter().filter(|t| t.compressed).count(),
        notes: comp.notes.clone(),
        ..Preview::default()
    };
    drop(pairs);
    drop(originals);
    emit(EventKind::Output(Output::Preview(Arc::new(p))));
    if evaluate
        && !cancel.is_cancelled()
        && let Some(point) = finish_point(model, config, comp, cancel)?
    {
        emit(EventKind::Output(Output::ConfigEvaluated(Arc::new(point))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_matches_a_naive_loop_with_non_finite_values() {
        let mut x: Vec<f32> = (0..70_001)
            .map(|i| ((i * 7919 % 1013) as f32 - 500.0) / 100.0)
            .collect();
        let mut y: Vec<f32> = x.iter().map(|v| (v * 4.0).round() / 4.0).collect();
        y[3] = f32::NAN;
        y[70_000] = f32::INFINITY;
        x[12] = f32::NEG_INFINITY;
        y[65_537] = 9.5;
        let naive =
            x.iter()
                .zip(&y)
                .fold((f32::INFINITY, f32::NEG_INFINITY, 0.0f32), |acc, (a, b)| {
                    let d = a - b;
                    let (lo, hi) = if b.is_finite() {
                        (acc.0.min(*b), acc.1.max(*b))
                    } else {
                        (acc.0, acc.1)
                    };
                    (
                        lo,
                        hi,
                        if d.is_finite() {
                            acc.2.max(d.abs())
                        } else {
                            acc.2
                        },
                    )
                });
        assert_eq!(scan(&x, &y, None), naive);
        let mut err = vec![0.0; x.len()];
        assert_eq!(scan(&x, &y, Some(&mut err)), naive);
        assert_eq!(err[100], x[100] - y[100]);
        assert_eq!(naive.1, 9.5);
    }
}
