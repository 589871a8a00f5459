//! Quantization conventions vs `quantization.md` §1 (PyTorch formulas and golden values), the
//! SQNR rule of thumb, and the TensorRT KL worked example.

use bitlens::compress::int_quant::{self, IntParams};
use bitlens::compress::range;
use bitlens::compress::scheme::{Calibration, Granularity, IntTarget, Scheme, Target};
use bitlens::compress::{apply, metrics};
use bitlens::tensor::Tensor;

fn spec(bits: u8, signed: bool, symmetric: bool, restricted: bool) -> IntTarget {
    IntTarget {
        bits,
        signed,
        symmetric,
        restricted,
    }
}

#[test]
fn golden_table_x_min_minus_1_x_max_3() {
    let cases: [(IntTarget, f32, i32); 7] = [
        (spec(8, false, false, false), 4.0 / 255.0, 64),
        (spec(8, true, false, false), 4.0 / 255.0, -64),
        (spec(8, true, true, false), 3.0 / 127.5, 0),
        (spec(8, false, true, false), 3.0 / 127.5, 128), // PyTorch quint8 symmetric: z = 128
        (spec(8, true, true, true), 3.0 / 127.0, 0),
        (spec(4, false, false, false), 4.0 / 15.0, 4),
        (spec(7, false, false, false), 4.0 / 127.0, 32), // quint8 reduce_range (0..127)
    ];
    for (s, scale, zp) in cases {
        let p = int_quant::qparams(&s, -1.0, 3.0);
        assert_eq!(
            p,
            IntParams {
                scale,
                zero_point: zp
            },
            "{s:?}"
        );
    }
    // Zero forced into the range; empty range → eps.
    assert_eq!(
        int_quant::qparams(&spec(8, false, false, false), 0.5, 2.0),
        IntParams {
            scale: 2.0 / 255.0,
            zero_point: 0
        }
    );
    assert_eq!(
        int_quant::qparams(&spec(8, false, false, false), 0.0, 0.0).scale,
        1.192_092_9e-7
    );
}

#[test]
fn round_trip_through_apply_matches_the_golden_values() {
    let x = vec![-1.0f32, -0.5, 0.0, 0.01, 1.0, 2.99, 3.0, 3.5];
    let t = Tensor::new("w", vec![8], x.clone());
    // Range taken from [−1, 3.5] would differ, so calibrate on [−1, 3] by clipping 3.5 away:
    let t3 = Tensor::new("w", vec![7], x[..7].to_vec());
    let s = Scheme {
        target: Target::Int(spec(8, false, false, false)),
        granularity: Granularity::Tensor,
        ..Scheme::default()
    };
    let c = apply(&s, &t3).unwrap();
    let q = c.quant.as_ref().unwrap();
    assert_eq!(q.codes, vec![0, 32, 64, 65, 128, 255, 255]);
    assert_eq!((q.scales[0], q.zero_points[0]), (4.0 / 255.0, 64));
    let want = [
        -1.003_921_6f32,
        -0.501_960_8,
        0.0,
        0.015_686_275,
        1.003_921_6,
        2.996_078_5,
        2.996_078_5,
    ];
    for (a, b) in c.dequantized.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{a} {b}");
    }
    assert_eq!(c.dequantized[2], 0.0, "zero is exact");
    // 3.5 with the same params clips to 255.
    let p = IntParams {
        scale: 4.0 / 255.0,
        zero_point: 64,
    };
    assert_eq!(
        int_quant::quantize_value(&spec(8, false, false, false), &p, 3.5),
        255
    );
    let _ = t;
}

#[test]
fn ties_round_to_even() {
    let s = spec(8, true, true, false);
    let p = IntParams {
        scale: 1.0,
        zero_point: 0,
    };
    for (x, q) in [
        (0.5f32, 0),
        (1.5, 2),
        (2.5, 2),
        (-0.5, 0),
        (-1.5, -2),
        (-2.5, -2),
    ] {
        assert_eq!(int_quant::quantize_value(&s, &p, x), q, "{x}");
    }
    let t = Tensor::new("w", vec![6], vec![0.5, 1.5, 2.5, -0.5, -1.5, 127.5]);
    let c = apply(
        &Scheme {
            target: Target::Int(s),
            granularity: Granularity::Tensor,
            ..Scheme::default()
        },
        &t,
    )
    .unwrap();
    // s = 127.5 / 127.5 = 1 exactly.
    assert_eq!(c.quant.unwrap().codes, vec![0, 2, 2, 0, -2, 127]);
}

fn uniform(n: usize, seed: u64) -> Vec<f32> {
    (0..n)
        .map(|i| 2.0 * bitlens::compress::rng::uniform01(seed, i as u64) - 1.0)
        .collect()
}

#[test]
fn sqnr_rule_of_thumb() {
    // Full-scale sine: SQNR ≈ 6.02·b + 1.76 dB (quantization.md §4); uniform data: 6.02·b.
    let n = 1 << 18;
    let sine: Vec<f32> = (0..n)
        .map(|i| (i as f64 * 0.012_345_678).sin() as f32)
        .collect();
    let unif = uniform(n, 1);
    for b in 4..=12u8 {
        let s = Scheme {
            target: Target::Int(spec(b, true, false, false)),
            granularity: Granularity::Tensor,
            ..Scheme::default()
        };
        let levels = 20.0 * (f64::from(1u32 << b) - 1.0).log10();
        // The noise of a full-scale sine is close to uniform from about 8 bits on.
        if b >= 8 {
            let got = apply(&s, &Tensor::new("s", vec![n], sine.clone()))
                .unwrap()
                .metrics
                .sqnr_db;
            let rule = 6.02 * f64::from(b) + 1.76;
            assert!(
                (got - (levels + 1.76)).abs() < 0.15,
                "sine b={b}: {got} vs {}",
                levels + 1.76
            );
            assert!((got - rule).abs() < 0.2, "sine b={b}: {got} vs rule {rule}");
        }
        let got = apply(&s, &Tensor::new("u", vec![n], unif.clone()))
            .unwrap()
            .metrics
            .sqnr_db;
        assert!(
            (got - levels).abs() < 0.15,
            "uniform b={b}: {got} vs {levels}"
        );
    }
}

#[test]
fn kl_worked_example_and_calibration() {
    let p = [1.0, 0.0, 2.0, 3.0, 5.0, 3.0, 1.0, 7.0];
    let q = range::expand_quantized(&p, &p, 2);
    assert_eq!(q, vec![2.0, 0.0, 2.0, 2.0, 4.0, 4.0, 4.0, 4.0]);
    assert!((range::kl_divergence(&p, &q) - 0.150_315_265_336_741_86).abs() < 1e-15);
    // A Gaussian body with a few huge outliers: KL clips well inside the outliers.
    let mut x: Vec<f32> = (0..100_000)
        .map(|i| {
            let u1 = f64::from(bitlens::compress::rng::uniform01(5, 2 * i).max(1e-7));
            let u2 = f64::from(bitlens::compress::rng::uniform01(5, 2 * i + 1));
            ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
        })
        .collect();
    x.extend([40.0, -35.0, 38.0]);
    let s8 = spec(8, true, true, false);
    let (lo, hi) = range::calibrate(&x, Calibration::Kl, &s8);
    assert!(hi > 2.0 && hi < 20.0 && lo == -hi, "{lo} {hi}");
    let (_, p99) = range::calibrate(&x, Calibration::Percentile(99.99), &s8);
    assert!(p99 > 3.0 && p99 < 6.0, "{p99}");
    let (mlo, mhi) = range::calibrate(&x, Calibration::Mse, &spec(4, true, false, false));
    assert!(mhi < 40.0 && mlo > -35.0);
}

#[test]
fn metrics_definitions() {
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let y = [1.0f32, 2.0, 3.0, 0.0];
    let m = metrics::compare(&x, &y);
    assert_eq!(m.mse, 4.0);
    assert_eq!(m.rmse, 2.0);
    assert!((m.sqnr_db - 10.0 * (30.0f64 / 16.0).log10()).abs() < 1e-12);
    assert_eq!(m.max_abs_err, 4.0);
    assert_eq!(m.sparsity, 0.25);
    assert!((m.cosine - 14.0 / (30f64.sqrt() * 14f64.sqrt())).abs() < 1e-12);
}
