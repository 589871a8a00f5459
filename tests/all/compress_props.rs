//! Property tests: dequantized values lie on their group's grid, |error| ≤ scale/2 inside the
//! clip range, scales are positive, histogram counts are exact.

use bitlens::compress::apply;
use bitlens::compress::granularity::GroupMap;
use bitlens::compress::histogram;
use bitlens::compress::scheme::{
    Calibration, Granularity, IntTarget, QuantRounding, Scheme, Target,
};
use bitlens::tensor::Tensor;
use proptest::prelude::*;

fn granularity() -> impl Strategy<Value = Granularity> {
    prop_oneof![
        Just(Granularity::Tensor),
        Just(Granularity::Channel { axis: 0 }),
        Just(Granularity::Channel { axis: 1 }),
        (1usize..12).prop_map(|size| Granularity::Group { size }),
    ]
}

fn calibration() -> impl Strategy<Value = Calibration> {
    prop_oneof![
        Just(Calibration::MinMax),
        Just(Calibration::Percentile(99.0)),
        Just(Calibration::Mse),
        Just(Calibration::Kl)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    #[allow(clippy::needless_range_loop, reason = "i indexes x, codes, dequantized and the group map")]
    fn int_quantization_invariants(
        rows in 1usize..6,
        cols in 1usize..20,
        seed in any::<u64>(),
        scale in 1e-3f32..1e3,
        bits in 1u8..=16,
        signed in any::<bool>(),
        symmetric in any::<bool>(),
        restricted in any::<bool>(),
        g in granularity(),
        calib in calibration(),
        stochastic in any::<bool>(),
    ) {
        let n = rows * cols;
        let x: Vec<f32> = (0..n).map(|i| (bitlens::compress::rng::uniform01(seed, i as u64) - 0.3) * scale).collect();
        let t = Tensor::new("w", vec![rows, cols], x.clone());
        let spec = IntTarget { bits, signed, symmetric, restricted };
        let rounding = if stochastic { QuantRounding::Stochastic { seed } } else { QuantRounding::NearestEven };
        let s = Scheme { target: Target::Int(spec), granularity: g, calibration: calib, rounding, ..Scheme::default() };
        let c = apply(&s, &t).unwrap();
        let q = c.quant.as_ref().unwrap();
        let map = GroupMap::new(&t.shape, n, g).unwrap();
        let (qmin, qmax) = spec.qrange();
        prop_assert_eq!(q.scales.len(), map.n_groups());
        for sc in &q.scales {
            prop_assert!(*sc > 0.0 && sc.is_finite());
        }
        for i in 0..n {
            let gi = map.group_of(i);
            let (sc, z) = (q.scales[gi], q.zero_points[gi]);
            let code = q.codes[i];
            prop_assert!(code >= qmin && code <= qmax);
            prop_assert!(z >= qmin && z <= qmax);
            // on the grid
            prop_assert_eq!(c.dequantized[i], (code - z) as f32 * sc);
            // inside the clip range the error is at most half a step (one step when stochastic)
            let v = x[i] / sc + z as f32;
            if v >= qmin as f32 && v <= qmax as f32 {
                let bound = if stochastic { sc } else { sc / 2.0 };
                // f32 slack: the products x·(1/s) and r·s each round once.
                let slack = bound * 1e-4 + 4.0 * f32::EPSILON * x[i].abs();
                prop_assert!((x[i] - c.dequantized[i]).abs() <= bound + slack,
                    "i={} x={} y={} s={}", i, x[i], c.dequantized[i], sc);
            }
        }
        prop_assert!(c.metrics.clipped_fraction >= 0.0 && c.metrics.clipped_fraction <= 1.0);
    }

    #[test]
    fn histogram_counts_are_exact(xs in proptest::collection::vec(-1e6f32..1e6, 0..300), bins in 1usize..64) {
        let h = histogram::histogram(&xs, bins);
        prop_assert_eq!(h.counts.len(), bins);
        prop_assert_eq!(h.total(), xs.len() as u64);
        prop_assert_eq!(h.counts.iter().sum::<u64>(), xs.len() as u64);
        // Each value is in the bin its edges say (last bin closed).
        let e = h.edges();
        for &v in &xs {
            let i = ((v - h.lo) * (bins as f32 / (h.hi - h.lo))).min((bins - 1) as f32) as usize;
            prop_assert!(v >= e[i] - 1e-3 * (h.hi - h.lo) && v <= e[i + 1] + 1e-3 * (h.hi - h.lo));
        }
    }
}

#[test]
fn shared_edges_for_before_after_error() {
    let x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin()).collect();
    let y: Vec<f32> = x.iter().map(|v| (v * 8.0).round() / 8.0).collect();
    let s = histogram::histogram_set(&x, &y, 64);
    assert_eq!((s.before.lo, s.before.hi), (s.after.lo, s.after.hi));
    assert_eq!(s.before.total(), 1000);
    assert_eq!(s.after.total(), 1000);
    assert_eq!(s.error.total(), 1000);
    assert!(s.error.hi <= 1.0 / 16.0 + 1e-6);
}
