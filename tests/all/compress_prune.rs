//! Pruning: exact counts (torch rounding), global pooling, N:M validity, structured slices,
//! and prune-then-quantize keeping zeros.

use bitlens::compress::apply;
use bitlens::compress::ggml_blocks::GgmlType;
use bitlens::compress::prune::{self, prune_count};
use bitlens::compress::scheme::{Granularity, IntTarget, Norm, Prune, PruneMethod, Scheme, Target};
use bitlens::engine::{CancelToken, Config, LoadedModel, compress_each};
use bitlens::tensor::Tensor;

fn t(name: &str, rows: usize, cols: usize, seed: u64) -> Tensor {
    let x = (0..rows * cols)
        .map(|i| bitlens::compress::rng::uniform01(seed, i as u64) - 0.5)
        .collect();
    Tensor::new(name, vec![rows, cols], x)
}

fn pruned(method: PruneMethod, sparsity: f64) -> Scheme {
    Scheme {
        target: Target::None,
        prune: Some(Prune { method, sparsity }),
        ..Scheme::default()
    }
}

fn zeros(x: &[f32]) -> usize {
    x.iter().filter(|v| **v == 0.0).count()
}

#[test]
fn exact_sparsity_for_many_sizes() {
    for (rows, cols) in [(1, 5), (1, 7), (3, 3), (17, 31), (64, 1000)] {
        let w = t("w", rows, cols, 1);
        for s in [0.0, 0.1, 0.25, 0.5, 0.9, 1.0] {
            let c = apply(&pruned(PruneMethod::Magnitude, s), &w).unwrap();
            let k = prune_count(s, rows * cols);
            assert_eq!(zeros(&c.dequantized), k, "{rows}x{cols} s={s}");
            assert_eq!(c.metrics.sparsity, k as f64 / (rows * cols) as f64);
            // Every pruned |w| ≤ every kept |w|.
            let m = c.mask.as_ref().unwrap();
            let max_pruned = w
                .data
                .iter()
                .zip(m)
                .filter(|(_, k)| !**k)
                .map(|(v, _)| v.abs())
                .fold(0.0, f32::max);
            let min_kept = w
                .data
                .iter()
                .zip(m)
                .filter(|(_, k)| **k)
                .map(|(v, _)| v.abs())
                .fold(f32::INFINITY, f32::min);
            assert!(max_pruned <= min_kept);
        }
    }
    assert_eq!(prune_count(0.5, 5), 2);
    assert_eq!(prune_count(0.5, 7), 4);
}

#[test]
fn global_pools_all_tensors() {
    let a = Tensor::new(
        "a",
        vec![2, 4],
        vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    );
    let b = Tensor::new("b", vec![2, 2], vec![10.0, 20.0, 30.0, 0.05]);
    let bias = Tensor::new("bias", vec![2], vec![0.0001, 0.0002]);
    // The engine's one whole-model path (the CLI, previews and exports use it).
    let model = LoadedModel::from_tensors("t", vec![a, b, bias]);
    let config = Config::new("global", pruned(PruneMethod::Global, 0.5));
    let mut out: Vec<Option<Vec<f32>>> = Vec::new();
    let point = compress_each(&model, &config, &CancelToken::default(), &mut |_, c| {
        out.push(c.map(|c| c.dequantized.clone()));
    })
    .unwrap()
    .unwrap();
    // 12 eligible weights → 6 pruned: the five smallest of `a` and 0.05 in `b`.
    assert_eq!(zeros(out[0].as_ref().unwrap()), 5);
    assert_eq!(out[1].as_deref(), Some(&[10.0, 20.0, 30.0, 0.0][..]));
    assert!(out[2].is_none(), "1-D tensors are kept as stored");
    assert!(!point.tensors[2].compressed);
}

#[test]
fn n_m_patterns_are_valid() {
    let w = t("w", 16, 64, 2);
    for (n, m) in [(2, 4), (4, 8), (1, 4)] {
        let c = apply(&pruned(PruneMethod::NM { n, m }, 0.0), &w).unwrap();
        for g in c.dequantized.chunks(m) {
            assert_eq!(g.iter().filter(|v| **v != 0.0).count(), n, "{n}:{m}");
        }
        assert_eq!(c.metrics.sparsity, 1.0 - n as f64 / m as f64);
        // The kept ones are the largest of each group.
        for (gx, gy) in w.data.chunks(m).zip(c.dequantized.chunks(m)) {
            let min_kept = gx
                .iter()
                .zip(gy)
                .filter(|(_, y)| **y != 0.0)
                .map(|(x, _)| x.abs())
                .fold(f32::INFINITY, f32::min);
            let max_drop = gx
                .iter()
                .zip(gy)
                .filter(|(_, y)| **y == 0.0)
                .map(|(x, _)| x.abs())
                .fold(0.0, f32::max);
            assert!(max_drop <= min_kept);
        }
    }
    // 2:4 storage at f32: kept values + 2-bit index each = (2·32 + 2·2)/4 = 17 bpw.
    let c = apply(&pruned(PruneMethod::NM { n: 2, m: 4 }, 0.0), &w).unwrap();
    assert_eq!(c.size.bits_per_weight, 17.0);
    assert_eq!(c.size.layout, "n:m");
}

#[test]
fn structured_rows_and_cols() {
    let mut w = t("w", 8, 6, 3);
    for v in &mut w.data[12..18] {
        *v *= 0.01; // row 2 is tiny
    }
    let c = apply(&pruned(PruneMethod::Rows { norm: Norm::L2 }, 0.125), &w).unwrap();
    assert!(c.dequantized[12..18].iter().all(|v| *v == 0.0));
    assert_eq!(zeros(&c.dequantized), 6);
    let c = apply(&pruned(PruneMethod::Cols { norm: Norm::L1 }, 0.5), &w).unwrap();
    assert_eq!(zeros(&c.dequantized), 24);
    for col in 0..6 {
        let z = (0..8).filter(|r| c.dequantized[r * 6 + col] == 0.0).count();
        assert!(z == 0 || z == 8, "whole columns");
    }
}

#[test]
fn random_baseline_is_exact_and_seeded() {
    let w = t("w", 32, 32, 4);
    let a = apply(&pruned(PruneMethod::Random { seed: 7 }, 0.3), &w).unwrap();
    let b = apply(&pruned(PruneMethod::Random { seed: 7 }, 0.3), &w).unwrap();
    let c = apply(&pruned(PruneMethod::Random { seed: 8 }, 0.3), &w).unwrap();
    assert_eq!(zeros(&a.dequantized), prune_count(0.3, 1024));
    assert_eq!(a.mask, b.mask);
    assert_ne!(a.mask, c.mask);
}

#[test]
fn prune_then_quantize_keeps_zeros() {
    let w = t("w", 16, 256, 5);
    for target in [
        Target::Int(IntTarget {
            bits: 4,
            signed: false,
            symmetric: false,
            restricted: false,
        }),
        Target::Ggml(GgmlType::Q4_1),
        Target::Ggml(GgmlType::Q4_K),
        Target::Nf4 {
            block: 64,
            double_quant: false,
        },
        Target::Float {
            format: "e4m3fn".into(),
            scaled: true,
        },
    ] {
        let s = Scheme {
            target: target.clone(),
            granularity: Granularity::Group { size: 64 },
            prune: Some(Prune {
                method: PruneMethod::Magnitude,
                sparsity: 0.5,
            }),
            ..Scheme::default()
        };
        let c = apply(&s, &w).unwrap();
        let m = c.mask.as_ref().unwrap();
        assert!(
            c.dequantized.iter().zip(m).all(|(v, k)| *k || *v == 0.0),
            "{target:?}"
        );
        assert!(c.metrics.sparsity >= 0.5, "{target:?}");
    }
    // The unstructured mask makes the int storage a bitmask + kept codes.
    let s = Scheme {
        target: Target::Int(IntTarget::default()),
        prune: Some(Prune {
            method: PruneMethod::Magnitude,
            sparsity: 0.9,
        }),
        ..Scheme::default()
    };
    let c = apply(&s, &w).unwrap();
    assert_eq!(c.size.layout, "bitmask");
    let nnz = 4096 - prune_count(0.9, 4096);
    assert_eq!(c.size.total_bits, 4096 + 8 * nnz as u64 + 16 * 32);
}

#[test]
fn magnitude_fast_path_matches_mask() {
    let w = t("w", 1, 100_000, 6);
    let k = prune_count(0.5, w.data.len());
    let mut out = vec![0.0; w.data.len()];
    prune::magnitude_prune_into(&w.data, &mut out, k);
    let m = prune::mask_for(&w.data, &w.shape, PruneMethod::Magnitude, 0.5);
    for ((o, x), k) in out.iter().zip(&w.data).zip(&m) {
        assert_eq!(*o, if *k { *x } else { 0.0 });
    }
}
