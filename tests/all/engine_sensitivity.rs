//! Per-layer sensitivity and the mixed-precision assignment, on the built-in model and on a
//! model that cannot be evaluated.

use std::sync::Arc;

use bitlens::engine::{
    Budget, CancelToken, EventKind, Family, LayerSensitivity, LoadedModel, MixedPrecision, Output,
    Request, SensitivitySpec, evaluate_config, run_job,
};
use bitlens::tensor::Tensor;

fn run(
    model: Arc<LoadedModel>,
    spec: SensitivitySpec,
) -> (Vec<LayerSensitivity>, Option<Arc<MixedPrecision>>) {
    let mut layers = Vec::new();
    let mut mixed = None;
    run_job(
        &Request::Sensitivity { model, spec },
        &CancelToken::default(),
        &mut |e| match e {
            EventKind::Output(Output::Layer(l)) => layers.push((*l).clone()),
            EventKind::Output(Output::Mixed(m)) => mixed = Some(m),
            _ => {}
        },
    )
    .unwrap();
    (layers, mixed)
}

#[test]
fn builtin_layers_and_a_mixed_assignment_within_budget() {
    let m = Arc::new(LoadedModel::builtin().unwrap());
    let (layers, mixed) = run(
        Arc::clone(&m),
        SensitivitySpec::int_bits(2, Some(Budget::BitsPerWeight(2.5))),
    );
    let names: Vec<&str> = layers.iter().map(|l| l.tensor.as_str()).collect();
    assert_eq!(names, ["fc1.weight", "fc2.weight", "fc3.weight"]);
    for l in &layers {
        assert!(
            l.accuracy_drop.is_some() && l.loss_delta.unwrap() > 0.0,
            "{l:?}"
        );
        assert!(l.sqnr_db.is_finite());
    }
    let share: f64 = layers.iter().map(|l| l.error_share).sum();
    assert!((share - 1.0).abs() < 1e-9);
    // At 2 bits every layer alone costs accuracy.
    assert!(
        layers.iter().all(|l| l.accuracy_drop.unwrap() > 0.0),
        "{layers:?}"
    );
    let mixed = mixed.unwrap();
    assert!(mixed.feasible);
    assert_eq!(mixed.search, "exhaustive");
    assert_eq!(
        mixed.budget_bytes,
        (2.5 * m.n_params() as f64 / 8.0).floor() as u64
    );
    assert!(mixed.point.size_bytes <= mixed.budget_bytes);
    assert_eq!(mixed.point.family, Family::Mixed);
    assert_eq!(mixed.choices.len(), 3);
    assert_eq!((mixed.costs.len(), mixed.costs[0].len()), (3, 6));
    // The measured point equals evaluating its config again (applicable in one click).
    let again = evaluate_config(&m, &mixed.point.config).unwrap();
    assert_eq!(again.accuracy, mixed.point.accuracy);
    assert_eq!(again.size_bytes, mixed.point.size_bytes);
    // A little more than the uniform int2 size buys back most of the accuracy.
    let ch = bitlens::compress::scheme::Granularity::Channel { axis: 0 };
    let uniform =
        evaluate_config(&m, &bitlens::engine::sweeps::int_config(2, true, ch, 0.0)).unwrap();
    let (mixed_acc, uniform_acc) = (mixed.point.accuracy.unwrap(), uniform.accuracy.unwrap());
    assert!(
        mixed_acc > uniform_acc + 0.05,
        "mixed {mixed_acc} vs uniform int2 {uniform_acc}"
    );
    eprintln!(
        "{} → acc {mixed_acc} vs uniform int2 {uniform_acc}",
        mixed.point.label
    );
}

#[test]
fn a_budget_equal_to_the_probe_size_is_met() {
    let m = Arc::new(LoadedModel::builtin().unwrap());
    let (_, mixed) = run(
        Arc::clone(&m),
        SensitivitySpec::int_bits(3, Some(Budget::SameAsProbe)),
    );
    let mixed = mixed.unwrap();
    let ch = bitlens::compress::scheme::Granularity::Channel { axis: 0 };
    let uniform =
        evaluate_config(&m, &bitlens::engine::sweeps::int_config(3, true, ch, 0.0)).unwrap();
    assert_eq!(mixed.budget_bytes, uniform.size_bytes);
    assert!(mixed.feasible && mixed.point.size_bytes <= mixed.budget_bytes);
    // Uniform int3 is one of the assignments searched: the chosen one's summed cost is no worse.
    let chosen: f64 = mixed.choices.iter().map(|c| c.cost).sum();
    let int3 = mixed
        .candidates
        .iter()
        .position(|c| c == "int3 sym/ch")
        .unwrap();
    let uniform_cost: f64 = mixed.costs.iter().map(|row| row[int3]).sum();
    assert!(chosen <= uniform_cost);
}

#[test]
fn an_unreachable_budget_returns_the_smallest_assignment() {
    let m = Arc::new(LoadedModel::builtin().unwrap());
    let (_, mixed) = run(m, SensitivitySpec::int_bits(4, Some(Budget::Bytes(1000))));
    let mixed = mixed.unwrap();
    assert!(!mixed.feasible);
    assert!(
        mixed.choices.iter().all(|c| c.label.starts_with("int2")),
        "{:?}",
        mixed.choices
    );
}

#[test]
fn non_evaluable_models_use_error_energy() {
    let t = |name: &str, rows: usize, cols: usize, k: f32| {
        let data = (0..rows * cols)
            .map(|i| ((i * 7919 % 1000) as f32 / 1000.0 - 0.5) * k)
            .collect();
        Tensor::new(name, vec![rows, cols], data)
    };
    let m = Arc::new(LoadedModel::from_tensors(
        "synthetic",
        vec![t("a", 32, 64, 1.0), t("b", 16, 32, 10.0)],
    ));
    let (layers, mixed) = run(
        m,
        SensitivitySpec::int_bits(4, Some(Budget::BitsPerWeight(5.0))),
    );
    assert_eq!(layers.len(), 2);
    assert!(
        layers
            .iter()
            .all(|l| l.accuracy.is_none() && l.accuracy_drop.is_none())
    );
    let mixed = mixed.unwrap();
    assert_eq!(mixed.cost, "error_energy");
    assert!(mixed.point.accuracy.is_none());
    assert!(mixed.point.size_bytes <= mixed.budget_bytes);
}
