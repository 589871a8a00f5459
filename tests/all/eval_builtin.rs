//! The built-in model's measured accuracy, the evaluator on foreign layouts, activation
//! quantization and reproducible training.

use bitlens::eval::{self, ActFormat, ActQuant, Dataset, Mlp, TrainConfig};
use bitlens::model::{self, Model};
use bitlens::tensor::Tensor;

fn builtin_mlp() -> Mlp {
    let tensors = Model::builtin().load_supported().unwrap();
    Mlp::from_tensors(&tensors).unwrap()
}

#[test]
fn builtin_model_reaches_93_percent_on_the_held_out_split() {
    let report = eval::evaluate(&builtin_mlp(), &Dataset::builtin_test());
    assert_eq!(report.n, 1000);
    assert!(report.accuracy >= 0.93, "accuracy {}", report.accuracy);
    assert!(report.loss.is_finite() && report.loss < 0.5);
    let total: u32 = report.confusion.iter().flatten().sum();
    assert_eq!(total, 1000);
    assert_eq!(report.misclassified.len(), 1000 - report.correct);
    // The card's number is the measured one.
    let card: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/mnist_mlp.json")).unwrap();
    assert_eq!(card["test_accuracy"].as_f64().unwrap(), report.accuracy);
}

#[test]
fn npz_mlp_in_keras_layout_evaluates_like_the_builtin() {
    // Same weights saved as NumPy [in, out] matrices with W/b names: the evaluator transposes.
    let mlp = builtin_mlp();
    let mut members = Vec::new();
    for (k, l) in mlp.layers.iter().enumerate() {
        let wt = l.weight.t().to_owned();
        let w: Vec<f32> = wt.iter().copied().collect();
        members.push((
            format!("W{k}.npy"),
            model::write_npy_f32(&[l.n_in(), l.n_out()], &w),
        ));
        members.push((
            format!("b{k}.npy"),
            model::write_npy_f32(&[l.n_out()], &l.bias.to_vec()),
        ));
    }
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let m = model::open_bytes("keras.npz", super::model_support::zip_stored(&refs)).unwrap();
    let other = Mlp::from_tensors(&m.load_supported().unwrap()).unwrap();
    assert!(other.layers.iter().all(|l| l.transposed));
    let test = Dataset::builtin_test();
    assert_eq!(
        eval::evaluate(&other, &test).correct,
        eval::evaluate(&mlp, &test).correct
    );
}

#[test]
fn non_chaining_or_foreign_shapes_are_refused() {
    let t = |n: &str, s: &[usize]| Tensor::new(n, s.to_vec(), vec![0.0; s.iter().product()]);
    let e = Mlp::from_tensors(&[t("a", &[128, 784]), t("b", &[10, 100])]).unwrap_err();
    assert!(e.to_string().contains("do not chain"), "{e}");
    let e = Mlp::from_tensors(&[t("a", &[10, 64])]).unwrap_err();
    assert!(e.to_string().contains("784"), "{e}");
    assert!(Mlp::from_tensors(&[t("conv", &[8, 1, 3, 3])]).is_err());
}

#[test]
fn modified_weights_change_the_measured_accuracy() {
    let mlp = builtin_mlp();
    let test = Dataset::builtin_test();
    let zeroed = Tensor::new("fc3.weight", vec![10, 64], vec![0.0; 640]);
    let broken = mlp.with_tensors(&[zeroed]).unwrap();
    let acc = eval::evaluate(&broken, &test).accuracy;
    assert!(acc < 0.2, "all-zero last layer leaves only the bias: {acc}");
}

#[test]
fn activation_quantization_int8_is_nearly_free_and_fp8_close() {
    let mlp = builtin_mlp();
    let test = Dataset::builtin_test();
    let ranges = eval::record_activation_ranges(&mlp, &Dataset::builtin_train(), 256);
    assert_eq!(ranges.layers.len(), 3);
    assert_eq!(ranges.calibration_rows, 256);
    assert!(
        ranges.layers[0].min >= 0.0 && ranges.layers[0].max <= 1.0,
        "pixels in [0, 1]"
    );
    assert!(ranges.layers[1].zero_fraction > 0.1, "ReLU zeros");
    assert_eq!(
        ranges.layers[2]
            .histogram
            .iter()
            .map(|&c| c as usize)
            .sum::<usize>(),
        256 * 64
    );
    let float = eval::evaluate(&mlp, &test).accuracy;
    for format in [ActFormat::Int8, ActFormat::Fp8E4M3] {
        let q = ActQuant::PerTensor {
            format,
            ranges: ranges.clone(),
        };
        let acc = eval::evaluate_with(&mlp, &test, &|l, v| q.apply(l, v)).accuracy;
        assert!((acc - float).abs() <= 0.01, "{format:?}: {acc} vs {float}");
    }
    // A custom quantizer plugs in through the same hook: 1-bit activations destroy accuracy.
    let sign = ActQuant::Custom {
        quantize: std::sync::Arc::new(|_, v: &mut [f32], r: &eval::ActRange| {
            v.iter_mut()
                .for_each(|x| *x = if *x > r.max / 2.0 { r.max } else { 0.0 });
        }),
        ranges,
    };
    let acc = eval::evaluate_with(&mlp, &test, &|l, v| sign.apply(l, v)).accuracy;
    assert!(acc < float, "{acc}");
}

#[test]
fn training_is_reproducible_from_the_seed() {
    let train = Dataset::builtin_train().head(500);
    let test = Dataset::builtin_test().head(200);
    let cfg = TrainConfig {
        seed: 7,
        epochs: 2,
        hidden: vec![16],
        ..TrainConfig::default()
    };
    let a = eval::train(&train, &test, &cfg, &mut |_, _| {});
    let b = eval::train(&train, &test, &cfg, &mut |_, _| {});
    assert_eq!(a.mlp, b.mlp);
    assert_eq!(a.epochs, b.epochs);
    let c = eval::train(
        &train,
        &test,
        &TrainConfig { seed: 8, ..cfg },
        &mut |_, _| {},
    );
    assert_ne!(a.mlp, c.mlp);
    assert!(a.epochs[1].train_loss < a.epochs[0].train_loss);
}
