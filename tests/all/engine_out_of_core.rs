//! A model read from its file tensor by tensor (the one-pass sweep) measures exactly what the
//! same model held decoded measures config by config; sizes are the file's; what cannot run out
//! of core says so.

use std::sync::Arc;

use bitlens::compress::scheme::{Granularity, Prune, PruneMethod, QuantRounding};
use bitlens::engine::sweeps::{Preset, int_scheme};
use bitlens::engine::{Config, ConfigPoint, LoadedModel, f32_scheme, sweep};
use bitlens::model::{self, Model};
use bitlens::tensor::Tensor;

use super::model_support::{t, write_temp};

/// A small "transformer-ish" model stored as bf16 (values exact in bf16, with outliers).
fn bf16_model() -> (tempfile::TempDir, Arc<Model>) {
    let vals = |n: usize, seed: u32| -> Vec<f32> {
        (0..n)
            .map(|i| {
                let h = (i as u32).wrapping_mul(2_654_435_761) ^ seed;
                let v = (h % 4001) as f32 / 2000.0 - 1.0;
                let v = if h.is_multiple_of(97) {
                    v * 40.0
                } else {
                    v * 0.05
                };
                f32::from_bits(v.to_bits() & 0xffff_0000)
            })
            .collect()
    };
    let tensors: Vec<Tensor> = vec![
        t("embed.weight", &[300, 64], &vals(300 * 64, 1)),
        t("layers.0.attn.q.weight", &[64, 64], &vals(64 * 64, 2)),
        t("layers.0.norm.weight", &[64], &vals(64, 3)),
        t("layers.0.mlp.up.weight", &[256, 64], &vals(256 * 64, 4)),
        t("layers.0.mlp.down.weight", &[64, 256], &vals(64 * 256, 5)),
        // Over 65,536 values, rows of an odd length: several units, partial groups.
        t("layers.0.odd.weight", &[97, 1100], &vals(97 * 1100, 6)),
    ];
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for x in &tensors {
        let start = data.len();
        for v in &x.data {
            data.extend_from_slice(&((v.to_bits() >> 16) as u16).to_le_bytes());
        }
        header.insert(
            x.name.clone(),
            serde_json::json!({"dtype": "BF16", "shape": x.shape, "data_offsets": [start, data.len()]}),
        );
    }
    let json = serde_json::to_vec(&serde_json::Value::Object(header)).unwrap();
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&data);
    let (dir, path) = write_temp("bf16.safetensors", &bytes);
    (dir, Arc::new(model::open(&path).unwrap()))
}

/// Lecture and formats presets plus grouped and stochastic settings (streamed kernels of every
/// kind, partial groups, seeded rounding).
fn every_kind_of_config() -> Vec<Config> {
    let mut configs = Preset::Lecture.configs();
    configs.extend(Preset::Formats.configs());
    let mut grouped = int_scheme(4, false, Granularity::Group { size: 128 });
    configs.push(Config::new("int4 asym/g128", grouped.clone()));
    grouped.rounding = QuantRounding::Stochastic { seed: 7 };
    configs.push(Config::new("int4 asym/g128 stochastic", grouped));
    let mut per_tensor = int_scheme(8, true, Granularity::Tensor);
    per_tensor.rounding = QuantRounding::Stochastic { seed: 3 };
    configs.push(Config::new("int8 sym/tensor stochastic", per_tensor));
    configs
}

fn points(m: LoadedModel, configs: Vec<Config>) -> Vec<Option<Arc<ConfigPoint>>> {
    sweep(Arc::new(m), configs, &mut |_, _| {}).unwrap().points
}

#[test]
fn one_pass_over_the_file_equals_config_by_config() {
    let (_d, m) = bf16_model();
    let resident = LoadedModel::load(&m).unwrap();
    assert!(resident.is_resident());
    let streamed = LoadedModel::load_from_file(&m);
    assert!(!streamed.is_resident());
    let configs = every_kind_of_config();
    let a = points(resident, configs.clone());
    let b = points(streamed, configs);
    assert_eq!(a.len(), b.len());
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(a.label, b.label, "#{i}");
        assert_eq!(a.size, b.size, "#{i} {}", a.label);
        assert_eq!(a.metrics, b.metrics, "#{i} {}", a.label);
        assert_eq!(a.tensors, b.tensors, "#{i} {}", a.label);
        assert_eq!(a.notes, b.notes, "#{i} {}", a.label);
    }
}

#[test]
fn the_baseline_is_the_file_as_stored() {
    let (_d, m) = bf16_model();
    let n = m.n_params();
    let p = points(LoadedModel::load_from_file(&m), vec![]);
    let base = p[0].as_ref().unwrap();
    assert_eq!(base.label, "bf16");
    assert_eq!(base.original_dtype, "BF16");
    assert_eq!(base.size_bytes, 2 * n);
    assert_eq!(base.original_bytes, 2 * n);
    assert_eq!(base.f32_bytes, 4 * n);
    assert_eq!(base.bits_per_weight, 16.0);
    assert_eq!(base.original_bits_per_weight, 16.0);
    assert!(base.sqnr_db.is_infinite());
    assert!(base.accuracy.is_none());
}

#[test]
fn global_pruning_out_of_core_fails_that_config_only() {
    let (_d, m) = bf16_model();
    let mut s = f32_scheme();
    s.prune = Some(Prune {
        method: PruneMethod::Global,
        sparsity: 0.5,
    });
    let mut local = s.clone();
    local.prune = Some(Prune {
        method: PruneMethod::Magnitude,
        sparsity: 0.5,
    });
    let r = sweep(
        Arc::new(LoadedModel::load_from_file(&m)),
        vec![Config::new("global", s), Config::new("local", local)],
        &mut |_, _| {},
    )
    .unwrap();
    assert!(r.points[1].is_none());
    assert!(
        r.failed[0].2.contains("global magnitude pruning"),
        "{:?}",
        r.failed
    );
    let local = r.points[2].as_ref().unwrap();
    assert!(
        (local.metrics.sparsity - 0.5 * 0.99).abs() < 0.02,
        "{}",
        local.metrics.sparsity
    );
}

#[test]
fn counted_statistics_of_bf16_equal_the_decoded_ones() {
    let (_d, m) = bf16_model();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-30);
    for info in &m.tensors {
        let counted = m.tensor_stats(&info.name).unwrap();
        let decoded = m.load_tensor(&info.name).unwrap().stats();
        let n = info.name.as_str();
        assert_eq!(
            (counted.count, counted.nan_count, counted.inf_count),
            (decoded.count, decoded.nan_count, decoded.inf_count),
            "{n}"
        );
        assert_eq!(
            (counted.min, counted.max),
            (decoded.min, decoded.max),
            "{n}"
        );
        assert_eq!(counted.outlier_ratio, decoded.outlier_ratio, "{n}");
        for (a, b) in [
            (counted.mean, decoded.mean),
            (counted.std, decoded.std),
            (counted.kurtosis, decoded.kurtosis),
        ] {
            assert!(close(a, b), "{n}: {a} vs {b}");
        }
    }
}

#[test]
fn statistics_from_value_counts_handle_non_finite_values() {
    use bitlens::tensor::TensorStats;
    let data = [1.0f32, 2.0, 2.0, 3.0, f32::NAN, f32::INFINITY, -5.0];
    let counts = [
        (1.0, 1),
        (2.0, 2),
        (3.0, 1),
        (f32::NAN, 1),
        (f32::INFINITY, 1),
        (-5.0, 1),
        (7.0, 0),
    ];
    let a = TensorStats::of_value_counts(&counts);
    let b = TensorStats::of(&data);
    assert_eq!((a.count, a.nan_count, a.inf_count), (7, 1, 1));
    assert_eq!((a.min, a.max), (b.min, b.max));
    assert!((a.mean - b.mean).abs() < 1e-12 && (a.std - b.std).abs() < 1e-12);
    assert!((a.kurtosis - b.kurtosis).abs() < 1e-12);
}

#[test]
fn shards_merge_into_exactly_the_unsharded_sweep() {
    use bitlens::engine::{CancelToken, ShardSpec, merge_shards, run_shard};
    let (_d, m) = bf16_model();
    let configs = every_kind_of_config();
    let whole = points(LoadedModel::load_from_file(&m), configs.clone());
    let model = LoadedModel::load_from_file(&m);
    let n = 3;
    let mut parts: Vec<_> = (0..n)
        .map(|k| {
            run_shard(
                &model,
                &configs,
                ShardSpec { k, n },
                &CancelToken::default(),
            )
        })
        .map(|p| p.unwrap().unwrap())
        .collect();
    parts.reverse(); // any order
    let (merged, _front, _objective) = merge_shards(parts.clone()).unwrap();
    assert_eq!(merged.len(), whole.len());
    for (i, (a, b)) in whole.iter().zip(&merged).enumerate() {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(**a, *b, "#{i} {}", a.label);
    }
    // A missing or repeated shard is refused.
    let mut short = parts.clone();
    short.pop();
    assert!(merge_shards(short).unwrap_err().contains("missing"));
    let mut twice = parts.clone();
    twice.push(parts[0].clone());
    assert!(merge_shards(twice).unwrap_err().contains("twice"));
}

/// A model read from its file gets a sampled estimate of every streamable config before the
/// measured point; on a model smaller than the sample every unit is measured, so the estimate
/// equals the measurement (prune ties aside) with a zero error bar, and sizes are exact.
#[test]
fn estimates_come_first_and_match_when_everything_is_sampled() {
    let (_d, m) = bf16_model();
    let mut configs = Preset::Lecture.configs();
    configs.push(Config::new("q4_0", {
        let mut s = f32_scheme();
        s.target =
            bitlens::compress::scheme::Target::Ggml(bitlens::compress::ggml_blocks::GgmlType::Q4_0);
        s
    }));
    let mut seen: Vec<(usize, ConfigPoint)> = Vec::new();
    let r = sweep(
        Arc::new(LoadedModel::load_from_file(&m)),
        configs.clone(),
        &mut |i, p| seen.push((i, p.clone())),
    )
    .unwrap();
    let n = configs.len() + 1;
    let estimates: Vec<&(usize, ConfigPoint)> =
        seen.iter().filter(|(_, p)| p.estimate.is_some()).collect();
    // Every config but the GGUF one (block formats are not sampled) has an estimate, first.
    assert_eq!(estimates.len(), n - 1);
    assert!(seen[..n - 1].iter().all(|(_, p)| p.estimate.is_some()));
    assert!(estimates.iter().all(|(i, _)| *i != n - 1));
    for (i, e) in estimates {
        let exact = r.points[*i].as_ref().unwrap();
        assert!(
            exact.estimate.is_none(),
            "#{i}: the measured point replaces it"
        );
        assert_eq!(e.size_bytes, exact.size_bytes, "#{i} {}", e.label);
        let est = e.estimate.unwrap();
        assert_eq!(est.sqnr_err_db, 0.0, "#{i}");
        assert_eq!(est.sampled, m.n_params());
        if e.config.scheme.prune.is_none() {
            let (a, b) = (e.sqnr_db, exact.sqnr_db);
            assert!(
                a == b || (a - b).abs() < 1e-9 * b.abs(),
                "#{i} {}: {a} vs {b}",
                e.label
            );
        } else {
            assert!((e.sqnr_db - exact.sqnr_db).abs() < 0.5, "#{i} {}", e.label);
        }
    }
}

/// One config on a model read from its file (the Weights view's whole-model figure, `eval`)
/// takes the streamed measure and gives what the decoded model gives.
#[test]
fn one_config_streamed_equals_decoded() {
    let (_d, m) = bf16_model();
    let resident = LoadedModel::load(&m).unwrap();
    let streamed = LoadedModel::load_from_file(&m);
    let mut configs = Preset::Formats.configs();
    configs.extend(Preset::Lecture.configs().into_iter().step_by(5));
    for c in &configs {
        let a = bitlens::engine::evaluate_config(&resident, c).unwrap();
        let b = bitlens::engine::evaluate_config(&streamed, c).unwrap();
        assert_eq!(a.size, b.size, "{}", c.label);
        assert_eq!(a.metrics, b.metrics, "{}", c.label);
        assert_eq!(a.tensors, b.tensors, "{}", c.label);
        assert_eq!(a.notes, b.notes, "{}", c.label);
    }
}
