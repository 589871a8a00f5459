//! The weights-view preview job: exact histograms on shared edges, grids, clip ranges, masks,
//! per-channel ranges, whole-model pooling, and its speed on a 1M-element tensor.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bitlens::compress::scheme::{Granularity, PruneMethod};
use bitlens::engine::sweeps::{int_config, prune_config};
use bitlens::engine::{
    CancelToken, Config, EventKind, LoadedModel, MAX_GRID_LEVELS, Output, Request, preview_tensor,
    run_job,
};
use bitlens::tensor::Tensor;

fn builtin() -> Arc<LoadedModel> {
    static M: OnceLock<Arc<LoadedModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| Arc::new(LoadedModel::builtin().unwrap())))
}

const CH: Granularity = Granularity::Channel { axis: 0 };

#[test]
fn two_bit_per_tensor_has_at_most_four_levels() {
    let m = builtin();
    let p = preview_tensor(
        &m,
        &int_config(2, true, Granularity::Tensor, 0.0),
        "fc1.weight",
        128,
    )
    .unwrap();
    assert_eq!(p.shape, vec![128, 784]);
    assert_eq!(p.grid_levels, 4);
    let grid = p.grid.as_ref().unwrap();
    let mut distinct: Vec<u32> = p.dequantized.iter().map(|v| v.to_bits()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() <= 4, "{} distinct values", distinct.len());
    for v in &p.dequantized {
        assert!(grid.contains(v), "{v} is not on the grid");
    }
    let (lo, hi) = p.clip_range.unwrap();
    assert_eq!((lo, hi), (grid[0], grid[3]));
    assert_eq!(p.scales.len(), 1);
    assert_eq!(p.zero_points, vec![0]);
    // Exact counts on shared edges.
    let n = 128 * 784;
    assert_eq!(p.histograms.before.total(), n);
    assert_eq!(p.histograms.after.total(), n);
    assert_eq!(p.histograms.error.total(), n);
    assert_eq!(
        (p.histograms.before.lo, p.histograms.before.hi),
        (p.histograms.after.lo, p.histograms.after.hi)
    );
    assert_eq!(p.histograms.before.counts.len(), 128);
    let occupied = p.histograms.after.counts.iter().filter(|c| **c > 0).count();
    assert!(occupied <= 4);
    assert_eq!(p.channel_ranges.len(), 128);
    let t = m.data(m.index_of("fc1.weight").unwrap()).unwrap();
    let row0 = &t.data[..784];
    let mn = row0.iter().copied().fold(f32::INFINITY, f32::min);
    let mx = row0.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert_eq!(p.channel_ranges[0], (mn, mx));
    assert!(p.mask.is_none());
}

#[test]
fn pruning_half_zeroes_half_and_shows_the_mask() {
    let m = builtin();
    let p = preview_tensor(&m, &prune_config(0.5), "fc2.weight", 64).unwrap();
    let n = 64 * 128;
    assert_eq!(p.pruned, n as u64 / 2);
    let mask = p.mask.as_ref().unwrap();
    assert_eq!(mask.len(), n);
    assert_eq!(mask.iter().filter(|k| !**k).count(), n / 2);
    assert_eq!(p.dequantized.iter().filter(|v| **v == 0.0).count(), n / 2);
    assert!((p.metrics.sparsity - 0.5).abs() < 1e-9);
    // f32 has no grid.
    assert_eq!((p.grid.as_ref(), p.grid_levels), (None, 0));
}

#[test]
fn per_channel_beats_per_tensor_and_big_grids_are_not_listed() {
    let m = builtin();
    for name in ["fc1.weight", "fc2.weight", "fc3.weight"] {
        let t =
            preview_tensor(&m, &int_config(4, true, Granularity::Tensor, 0.0), name, 32).unwrap();
        let c = preview_tensor(&m, &int_config(4, true, CH, 0.0), name, 32).unwrap();
        assert!(
            c.metrics.sqnr_db > t.metrics.sqnr_db,
            "{name}: {} vs {}",
            c.metrics.sqnr_db,
            t.metrics.sqnr_db
        );
        assert_eq!(c.scales.len(), c.shape[0]);
    }
    let p = preview_tensor(&m, &int_config(16, false, CH, 0.0), "fc3.weight", 32).unwrap();
    assert!(p.grid_levels > MAX_GRID_LEVELS && p.grid.is_none());
    let p = preview_tensor(&m, &int_config(8, false, CH, 0.0), "fc3.weight", 32).unwrap();
    assert_eq!(p.grid.as_ref().map(Vec::len), Some(256));
    assert_eq!(p.zero_points.len(), 10);
}

#[test]
fn overrides_and_global_pruning_match_the_whole_model() {
    let m = builtin();
    let mut c = Config::new("g", bitlens::engine::f32_scheme());
    c.scheme.prune = Some(bitlens::compress::scheme::Prune {
        method: PruneMethod::Global,
        sparsity: 0.6,
    });
    c.overrides
        .insert("fc3.weight".into(), int_config(3, true, CH, 0.0).scheme);
    let point = bitlens::engine::evaluate_config(&m, &c).unwrap();
    for name in ["fc1.weight", "fc2.weight", "fc3.weight"] {
        let p = preview_tensor(&m, &c, name, 16).unwrap();
        let tp = point.tensors.iter().find(|t| t.name == name).unwrap();
        assert_eq!(p.metrics, tp.metrics, "{name}");
        assert_eq!(p.size, tp.size, "{name}");
    }
    // A 1-D tensor picked explicitly is compressed.
    let p = preview_tensor(
        &m,
        &int_config(2, true, Granularity::Tensor, 0.0),
        "fc1.bias",
        16,
    )
    .unwrap();
    assert!(p.metrics.sqnr_db.is_finite());
    assert!(preview_tensor(&m, &c, "nope", 16).is_err());
}

#[test]
fn whole_model_preview_pools_tensors_and_reports_progress_and_accuracy() {
    let m = builtin();
    let request = Request::Preview {
        model: Arc::clone(&m),
        tensor: None,
        config: int_config(4, true, CH, 0.0),
        bins: 100,
        evaluate: true,
        compare: None,
    };
    let mut events = Vec::new();
    run_job(&request, &CancelToken::default(), &mut |e| events.push(e)).unwrap();
    let preview = events.iter().find_map(|e| match e {
        EventKind::Output(Output::Preview(p)) => Some(Arc::clone(p)),
        _ => None,
    });
    let p = preview.unwrap();
    assert_eq!(p.tensor, None);
    assert_eq!(p.n_tensors, 3);
    let weights = 128 * 784 + 64 * 128 + 10 * 64;
    assert_eq!(p.histograms.before.total(), weights as u64);
    assert_eq!(p.histograms.error.total(), weights as u64);
    let point = events.iter().find_map(|e| match e {
        EventKind::Output(Output::ConfigEvaluated(p)) => Some(Arc::clone(p)),
        _ => None,
    });
    let point = point.unwrap();
    assert!(point.accuracy.unwrap() > 0.9);
    assert_eq!(point.size, p.size);
    let progress = events
        .iter()
        .filter(|e| matches!(e, EventKind::Progress { .. }))
        .count();
    assert_eq!(progress, 1 + 6);
    assert!(matches!(events.last(), Some(EventKind::Finished)));
    // Cancelled before it starts: nothing but the first progress event.
    let cancel = CancelToken::default();
    cancel.cancel();
    let mut events = Vec::new();
    run_job(&request, &cancel, &mut |e| events.push(e)).unwrap();
    assert!(
        events
            .iter()
            .all(|e| matches!(e, EventKind::Progress { .. })),
        "{events:?}"
    );
}

#[test]
fn a_million_element_preview_is_fast() {
    // 1024 × 1024 pseudo-random weights with a few outlier channels.
    let n = 1 << 20;
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let data: Vec<f32> = (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let v = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            if (i / 1024) % 97 == 0 { v * 8.0 } else { v }
        })
        .collect();
    let m = LoadedModel::from_tensors("synthetic", vec![Tensor::new("w", vec![1024, 1024], data)]);
    assert!(!m.is_evaluable());
    let cfg = int_config(4, true, CH, 0.0);
    let _ = preview_tensor(&m, &cfg, "w", 256).unwrap();
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let p = preview_tensor(&m, &cfg, "w", 256).unwrap();
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(p.histograms.before.total(), n as u64);
    }
    eprintln!("1M-element int4 per-channel preview: {best:.2} ms (best of 5)");
    if !cfg!(debug_assertions) {
        assert!(best < 100.0, "{best} ms");
    }
}

#[test]
fn cached_original_histograms_match_fresh_counts() {
    let m = builtin();
    let t = m.data(m.index_of("fc2.weight").unwrap()).unwrap();
    for bits in [8, 4, 8, 3] {
        let p = preview_tensor(&m, &int_config(bits, false, CH, 0.0), "fc2.weight", 50).unwrap();
        let h = &p.histograms.before;
        let fresh = bitlens::compress::histogram::histogram_range(&t.data, 50, h.lo, h.hi);
        assert_eq!(*h, fresh, "int{bits}");
        let after = bitlens::compress::histogram::histogram_range(&p.dequantized, 50, h.lo, h.hi);
        assert_eq!(p.histograms.after, after, "int{bits}");
    }
}

#[test]
fn a_large_tensor_is_previewed_from_a_sample_first_then_exactly() {
    // Just over the sampling threshold: 4100 rows of 2048 values, outlier rows every 97.
    let (rows, cols) = (4100, 2048);
    assert!(rows * cols > bitlens::engine::SAMPLE_ABOVE);
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let data: Vec<f32> = (0..rows * cols)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let v = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            if (i / cols) % 97 == 0 { v * 8.0 } else { v }
        })
        .collect();
    let m = Arc::new(LoadedModel::from_tensors(
        "large",
        vec![Tensor::new("w", vec![rows, cols], data)],
    ));
    let request = Request::Preview {
        model: Arc::clone(&m),
        tensor: Some("w".into()),
        config: int_config(4, true, CH, 0.0),
        bins: 64,
        evaluate: false,
        compare: None,
    };
    let mut previews = Vec::new();
    run_job(&request, &CancelToken::default(), &mut |e| {
        if let EventKind::Output(Output::Preview(p)) = e {
            previews.push(p);
        }
    })
    .unwrap();
    let [sampled, exact] = &previews[..] else {
        panic!("{} previews", previews.len())
    };
    let s = sampled.sampled.expect("the first preview is a sample");
    assert!(s.values < s.of / 4 && s.of == (rows * cols) as u64, "{s:?}");
    assert_eq!(exact.sampled, None);
    // Per-channel int4: the sample's size is the tensor's, exactly; its error is close.
    assert_eq!(sampled.size, exact.size);
    assert_eq!(sampled.shape, exact.shape);
    let d = (sampled.metrics.sqnr_db - exact.metrics.sqnr_db).abs();
    assert!(
        d < 0.3,
        "sampled {} vs exact {}",
        sampled.metrics.sqnr_db,
        exact.metrics.sqnr_db
    );
    let total = |h: &bitlens::compress::histogram::Histogram| h.total() as f64;
    let n = (rows * cols) as f64;
    assert!((total(&sampled.histograms.before) - n).abs() < n * 1e-3);
    assert_eq!(total(&exact.histograms.before), n);
    // A small tensor has no sampled preview.
    let small = bitlens::engine::sampled_preview(&builtin(), &request_config(), "fc1.weight", 64);
    assert!(small.unwrap().is_none());
}

fn request_config() -> Config {
    int_config(4, true, CH, 0.0)
}

#[test]
fn setting_a_is_measured_beside_b_on_the_same_bins() {
    let m = builtin();
    let (a, b) = (int_config(8, true, CH, 0.0), int_config(3, true, CH, 0.0));
    let request = Request::Preview {
        model: Arc::clone(&m),
        tensor: Some("fc1.weight".into()),
        config: b.clone(),
        bins: 64,
        evaluate: false,
        compare: Some(a.clone()),
    };
    let mut previews = Vec::new();
    run_job(&request, &CancelToken::default(), &mut |e| {
        if let EventKind::Output(Output::Preview(p)) = e {
            previews.push(p);
        }
    })
    .unwrap();
    let p = previews.pop().expect("a preview");
    let side = p.compare.as_ref().expect("setting A beside B");
    let alone = preview_tensor(&m, &a, "fc1.weight", 64).unwrap();
    assert_eq!(side.metrics, alone.metrics);
    assert_eq!(side.size, alone.size);
    assert_eq!(side.label, a.label);
    // On B's bins: the same edges, every value counted once (in a bin or beyond the ends).
    assert_eq!(
        (side.after.lo, side.after.hi),
        (p.histograms.after.lo, p.histograms.after.hi)
    );
    assert_eq!(side.after.counts.len(), p.histograms.after.counts.len());
    let n = 128 * 784;
    assert_eq!((side.after.total(), side.error.total()), (n, n));
    let inside: u64 = side.error.counts.iter().sum();
    assert_eq!(
        inside, n,
        "A's smaller errors all fall inside B's error range"
    );
    // int8 errs less than int3: its error histogram is narrower inside B's.
    assert!(side.metrics.sqnr_db > p.metrics.sqnr_db + 20.0);
}
