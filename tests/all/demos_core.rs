//! Training demos: structural facts (parameter counts, LoRA share, NF4 memory, optimizer
//! bytes), determinism from the seed, non-empty curves, cancellation, and the orderings that
//! hold with a wide margin. Small settings (subsets, few epochs) keep the debug profile fast.

use std::cell::Cell;

use bitlens::demos::{
    AdaptCommon, AdapterConfig, BaseStorage, DemoError, DistillConfig, EpochPoint, LoraConfig,
    PromptConfig, QatConfig, Schedule, run_adapter, run_distill, run_lora, run_prompt, run_qat,
};

fn small_schedule(epochs: usize) -> Schedule {
    Schedule {
        epochs,
        batch_size: 64,
        learning_rate: 1e-3,
        cosine_decay: true,
    }
}

fn small_common() -> AdaptCommon {
    AdaptCommon {
        schedule: small_schedule(1),
        train_limit: Some(256),
        test_limit: Some(200),
        full_finetune: false,
        ..AdaptCommon::default()
    }
}

fn never() -> bool {
    false
}

/// Runs `f` with a progress recorder; returns the points seen.
fn recorded<T>(
    f: impl FnOnce(&mut dyn FnMut(&bitlens::demos::Label, &EpochPoint)) -> T,
) -> (T, Vec<(String, usize)>) {
    let mut seen = Vec::new();
    let out = f(&mut |s: &bitlens::demos::Label, p: &EpochPoint| {
        seen.push((s.text.clone(), p.epoch));
    });
    (out, seen)
}

#[test]
fn qat_small_run_is_deterministic_and_reports_every_width() {
    let cfg = QatConfig {
        bits: vec![2, 4],
        schedule: small_schedule(2),
        train_limit: Some(256),
        test_limit: Some(200),
        ..QatConfig::default()
    };
    let (a, seen) = recorded(|p| run_qat(&cfg, &never, p));
    let a = a.unwrap();
    let b = run_qat(&cfg, &never, &mut |_, _| {}).unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(a.params, 109_386);
    assert_eq!(a.fp32_weight_bytes, 4 * 109_184);
    assert_eq!(a.rows.len(), 2);
    assert_eq!((a.rows[0].bits, a.rows[0].levels), (2, 3));
    assert_eq!((a.rows[1].bits, a.rows[1].levels), (4, 15));
    // 2 bits per weight + an f32 scale per output channel (128 + 64 + 10 channels).
    assert_eq!(a.rows[0].weight_bytes, 109_184 * 2 / 8 + 4 * 202);
    assert_eq!(a.curves.len(), 2);
    assert!(a.curves.iter().all(|c| c.points.len() == 2));
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0], ("QAT 2-bit".to_owned(), 1));
    // A different seed changes the shuffles and so the QAT result.
    let c = run_qat(&QatConfig { seed: 7, ..cfg }, &never, &mut |_, _| {}).unwrap();
    assert_ne!(a.curves[0].points, c.curves[0].points);
}

/// The one ordering with a wide margin (PTQ at 2 bits is ternary with a min-max scale: ~37 %
/// on the full test set; QAT recovers ~95 %): checked on the default data and seed with the
/// default learning rate and fewer epochs.
#[test]
fn qat_beats_ptq_at_two_bits() {
    let cfg = QatConfig {
        bits: vec![2],
        schedule: Schedule {
            epochs: 2,
            ..QatConfig::default().schedule
        },
        ..QatConfig::default()
    };
    let r = run_qat(&cfg, &never, &mut |_, _| {}).unwrap();
    let row = &r.rows[0];
    assert!(row.ptq_accuracy < 0.6, "{row:?}");
    assert!(row.qat_accuracy > row.ptq_accuracy + 0.2, "{row:?}");
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

#[test]
fn cancel_stops_at_the_next_batch() {
    let calls = Cell::new(0usize);
    let cancel = || {
        calls.set(calls.get() + 1);
        calls.get() > 3
    };
    let cfg = QatConfig {
        train_limit: Some(1024),
        test_limit: Some(100),
        ..QatConfig::default()
    };
    let (r, seen) = recorded(|p| run_qat(&cfg, &cancel, p));
    assert_eq!(r.unwrap_err(), DemoError::Cancelled);
    assert!(seen.is_empty());
    assert_eq!(calls.get(), 4);
    let calls = Cell::new(0usize);
    let cancel = || {
        calls.set(calls.get() + 1);
        calls.get() > 2
    };
    let cfg = LoraConfig {
        common: AdaptCommon {
            full_finetune: true,
            ..small_common()
        },
        ..LoraConfig::default()
    };
    assert_eq!(
        run_lora(&cfg, &cancel, &mut |_, _| {}).unwrap_err(),
        DemoError::Cancelled
    );
}

#[test]
fn distill_table_has_teacher_assistant_and_students() {
    let cfg = DistillConfig {
        schedule: small_schedule(1),
        train_limit: Some(256),
        test_limit: Some(200),
        ..DistillConfig::default()
    };
    let (r, seen) = recorded(|p| run_distill(&cfg, &never, p));
    let r = r.unwrap();
    let params: Vec<usize> = r.rows.iter().map(|r| r.params).collect();
    // 784·32+32+32·10+10, 784·64+64+64·10+10.
    assert_eq!(params, vec![109_386, 25_450, 50_890, 25_450, 25_450]);
    let arch: Vec<&str> = r.rows.iter().map(|r| r.architecture.as_str()).collect();
    assert_eq!(
        arch,
        vec![
            "784-128-64-10",
            "784-32-10",
            "784-64-10",
            "784-32-10",
            "784-32-10"
        ]
    );
    assert_eq!(r.curves.len(), 4);
    assert!(r.curves.iter().all(|c| c.points.len() == 1));
    assert_eq!(seen.len(), 4);
    // Same seed, same batches: the label-only student does not depend on the teacher.
    let again = run_distill(&cfg, &never, &mut |_, _| {}).unwrap();
    assert_eq!(r.rows, again.rows);
    let bad = DistillConfig { alpha: 1.5, ..cfg };
    assert!(matches!(
        run_distill(&bad, &never, &mut |_, _| {}),
        Err(DemoError::Invalid(_))
    ));
}

#[test]
fn lora_trains_under_ten_percent_and_starts_at_the_base_model() {
    let cfg = LoraConfig {
        common: small_common(),
        ..LoraConfig::default()
    };
    let r = run_lora(&cfg, &never, &mut |_, _| {}).unwrap();
    let m = &r.memory;
    // r = 4 on fc1 (784→128), fc2 (128→64), fc3 (64→10): 4·(784+128 + 128+64 + 64+10).
    assert_eq!(m.lora_params, 4 * (784 + 128 + 128 + 64 + 64 + 10));
    assert_eq!(m.full_finetune_params, 109_386);
    assert!(m.lora_fraction < 0.10);
    assert_eq!(m.lora_optimizer_bytes, 2 * 4 * 4712);
    assert_eq!(m.full_finetune_optimizer_bytes, 2 * 4 * 109_386);
    assert_eq!(m.base_weight_bytes_stored, m.base_weight_bytes_fp32);
    // B = 0 at the start: the LoRA model is exactly the base model before training.
    let last = r.rows.last().unwrap();
    assert_eq!(last.accuracy_before, r.task.base_accuracy_shifted);
    assert_eq!(last.trainable_params, 4712);
    assert!(r.task.base_accuracy_shifted < r.task.base_accuracy_original);
    assert_eq!(r.curves.len(), 1);
    // Fewer targets, fewer parameters; an unknown target is an error.
    let one = LoraConfig {
        targets: vec!["fc2".into()],
        rank: 2,
        ..cfg.clone()
    };
    let r1 = run_lora(&one, &never, &mut |_, _| {}).unwrap();
    assert_eq!(r1.memory.lora_params, 2 * (128 + 64));
    let bad = LoraConfig {
        targets: vec!["fc9".into()],
        ..cfg
    };
    assert!(matches!(
        run_lora(&bad, &never, &mut |_, _| {}),
        Err(DemoError::Invalid(_))
    ));
}

#[test]
fn qlora_stores_the_base_in_nf4_with_double_quant() {
    let cfg = LoraConfig {
        common: small_common(),
        ..LoraConfig::qlora()
    };
    assert_eq!(
        cfg.base,
        BaseStorage::Nf4 {
            block: 64,
            double_quant: true
        }
    );
    let r = run_lora(&cfg, &never, &mut |_, _| {}).unwrap();
    let m = &r.memory;
    assert_eq!(m.base_weight_params, 109_184);
    assert_eq!(m.base_weight_bytes_fp32, 436_736);
    // Codes: 4 bits each. Blocks of 64: fc1 1568, fc2 128, fc3 10 → one DQ byte each, plus
    // one f32 absmax2 per 256 blocks (7 + 1 + 1) and one f32 offset per tensor.
    assert_eq!(
        m.base_weight_bytes_stored,
        109_184 / 2 + (1568 + 128 + 10) + 4 * 9 + 4 * 3
    );
    assert!(m.base_saving_ratio > 7.5);
    assert_eq!(m.lora_params, 4712);
    // Without double quantization the absmax costs 4 bytes per block.
    let plain = LoraConfig {
        base: BaseStorage::Nf4 {
            block: 64,
            double_quant: false,
        },
        ..cfg
    };
    let p = run_lora(&plain, &never, &mut |_, _| {}).unwrap();
    assert_eq!(
        p.memory.base_weight_bytes_stored,
        109_184 / 2 + 4 * (1568 + 128 + 10)
    );
}

#[test]
fn adapter_and_prompt_count_their_parameters() {
    let a = run_adapter(
        &AdapterConfig {
            common: small_common(),
            ..AdapterConfig::default()
        },
        &never,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(a.width, 128);
    let row = a.rows.last().unwrap();
    // 128·16 + 16 + 16·128 + 128.
    assert_eq!(row.trainable_params, 4240);
    assert_eq!(row.optimizer_bytes, 8 * 4240);
    // W_up = 0 at the start: the adapter model is exactly the base model before training.
    assert_eq!(row.accuracy_before, a.task.base_accuracy_shifted);
    assert!(a.curves[0].points.len() == 1);
    let after_fc2 = run_adapter(
        &AdapterConfig {
            common: small_common(),
            after_layer: 2,
            bottleneck: 8,
        },
        &never,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(
        after_fc2.rows.last().unwrap().trainable_params,
        64 * 8 + 8 + 8 * 64 + 64
    );
    assert!(matches!(
        run_adapter(
            &AdapterConfig {
                common: small_common(),
                after_layer: 3,
                bottleneck: 8
            },
            &never,
            &mut |_, _| {}
        ),
        Err(DemoError::Invalid(_))
    ));

    let p = run_prompt(
        &PromptConfig {
            common: small_common(),
        },
        &never,
        &mut |_, _| {},
    )
    .unwrap();
    let row = p.rows.last().unwrap();
    assert_eq!(row.trainable_params, 784);
    assert_eq!(p.prompt.len(), 784);
    assert!(p.prompt.iter().any(|&v| v != 0.0));
    assert_eq!(row.accuracy_before, p.task.base_accuracy_shifted);
}

#[test]
fn run_dispatches_on_the_config_and_serializes() {
    let cfg = bitlens::demos::DemoConfig::Prompt(PromptConfig {
        common: small_common(),
    });
    let json = serde_json::to_string(&cfg).unwrap();
    let back: bitlens::demos::DemoConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cfg);
    let r = bitlens::demos::run(&cfg, &never, &mut |_, _| {}).unwrap();
    assert!(matches!(r, bitlens::demos::DemoReport::Prompt(_)));
    assert_eq!(r.curves().len(), 1);
    assert!(!r.curves()[0].points.is_empty());
    // The report itself, untagged: what `bitlens demo --json` prints and the app reads.
    let v = serde_json::to_value(&r).unwrap();
    assert!(v["rows"].is_array(), "{v}");
    assert!(v["notes"].is_array());
    assert!(v["curves"].is_array());
    let note = serde_json::to_value(bitlens::demos::Note::new(
        "prompt_lowered",
        vec!["1.0".into(), "0.5".into()],
        "text".into(),
    ))
    .unwrap();
    assert_eq!(
        note,
        serde_json::json!({"code": "prompt_lowered", "args": ["1.0", "0.5"], "text": "text"})
    );
}

/// The demo's PTQ/QAT fake quantizer is the compress core's symmetric restricted per-channel
/// integer quantizer with min-max calibration.
#[test]
fn fake_quant_matches_compress_per_channel_int() {
    use bitlens::compress::scheme::{Granularity, IntTarget, Target};
    use bitlens::compress::{Scheme, apply};
    let tensors = bitlens::model::Model::builtin().load_supported().unwrap();
    let mlp = bitlens::eval::Mlp::from_tensors(&tensors).unwrap();
    for bits in [2u8, 3, 4] {
        let scheme = Scheme {
            target: Target::Int(IntTarget {
                bits,
                signed: true,
                symmetric: true,
                restricted: true,
            }),
            granularity: Granularity::Channel { axis: 0 },
            ..Scheme::default()
        };
        for l in &mlp.layers {
            let t = tensors.iter().find(|t| t.name == l.weight_name).unwrap();
            let want = apply(&scheme, t).unwrap().dequantized;
            let got: Vec<f32> = bitlens::demos::qat::fake_quant(&l.weight, bits)
                .iter()
                .copied()
                .collect();
            assert_eq!(got, want, "{} at {bits} bits", l.weight_name);
        }
    }
}
