//! NF4 (codes, nibble order, double quant), MX, NVFP4 and float targets through `apply`, with
//! the documented sizes (quantization.md §8).

use bitlens::compress::apply;
use bitlens::compress::ggml_blocks::GgmlType;
use bitlens::compress::nf4;
use bitlens::compress::scheme::{Granularity, Scheme, Target};
use bitlens::numfmt::mx::MxKind;
use bitlens::tensor::Tensor;

fn scheme(target: Target) -> Scheme {
    Scheme {
        target,
        ..Scheme::default()
    }
}

fn data(rows: usize, cols: usize) -> Tensor {
    let x = (0..rows * cols)
        .map(|i| ((i as f32 * 0.731).sin() * 0.1) * (1.0 + (i % 13) as f32 * 0.05))
        .collect();
    Tensor::new("w", vec![rows, cols], x)
}

#[test]
#[allow(
    clippy::excessive_precision,
    reason = "the exact midpoint of formats.md §7.1, verbatim"
)]
fn nf4_codes_and_nibble_order() {
    let r = nf4::quantize(&[0.1, -0.5, 0.9, -0.02, 0.3, -1.8, 0.0, 1.2], 64, false);
    assert_eq!(r.codes, vec![8, 4, 12, 7, 9, 0, 7, 14]);
    assert_eq!(r.absmax, vec![1.8]);
    // element 2j in the high nibble
    assert_eq!(nf4::pack(&r.codes), vec![0x84, 0xC7, 0x90, 0x7E]);
    assert_eq!(nf4::nf4_code(0.039_790_149_778_127_670_288_085_937_5), 7);
    assert_eq!(nf4::nf4_code(-1.0), 0);
    assert_eq!(nf4::nf4_code(1.0), 15);
}

#[test]
fn documented_bits_per_weight() {
    let t = data(256, 1024); // 262144 elements
    let n = 262_144f64;
    let bpw = |target| apply(&scheme(target), &t).unwrap().size.bits_per_weight;
    assert_eq!(bpw(Target::Ggml(GgmlType::Q4_0)), 4.5);
    assert_eq!(bpw(Target::Ggml(GgmlType::Q8_0)), 8.5);
    assert_eq!(bpw(Target::Ggml(GgmlType::Q4_K)), 4.5);
    assert_eq!(bpw(Target::Ggml(GgmlType::Q6_K)), 6.5625);
    assert_eq!(bpw(Target::Mx(MxKind::Fp4E2m1)), 4.25);
    assert_eq!(bpw(Target::Mx(MxKind::Fp6E2m3)), 6.25);
    assert_eq!(bpw(Target::Mx(MxKind::Fp8E4m3)), 8.25);
    assert_eq!(bpw(Target::Mx(MxKind::Int8)), 8.25);
    assert_eq!(bpw(Target::Nvfp4), 4.5 + 32.0 / n);
    assert_eq!(
        bpw(Target::Nf4 {
            block: 64,
            double_quant: false
        }),
        4.5
    );
    let dq = bpw(Target::Nf4 {
        block: 64,
        double_quant: true,
    });
    assert!((dq - 4.127).abs() < 5e-4, "{dq}");
    assert_eq!(
        bpw(Target::Float {
            format: "bf16".into(),
            scaled: false
        }),
        16.0
    );
    // INT4 per group of 128, f32 scale + 4-bit zero point: 4 + (32 + 4)/128.
    let s = Scheme {
        target: Target::Int(bitlens::compress::scheme::IntTarget {
            bits: 4,
            signed: false,
            symmetric: false,
            restricted: false,
        }),
        granularity: Granularity::Group { size: 128 },
        ..Scheme::default()
    };
    assert_eq!(
        apply(&s, &t).unwrap().size.bits_per_weight,
        4.0 + 36.0 / 128.0
    );
}

#[test]
fn block_targets_reconstruct_well_and_grids_contain_outputs() {
    let t = data(64, 512);
    for (target, min_db) in [
        (
            Target::Nf4 {
                block: 64,
                double_quant: true,
            },
            18.0,
        ),
        (Target::Mx(MxKind::Fp4E2m1), 13.0),
        (Target::Mx(MxKind::Fp8E4m3), 28.0),
        (Target::Mx(MxKind::Int8), 35.0),
        (Target::Nvfp4, 16.0),
        (
            Target::Float {
                format: "e4m3fn".into(),
                scaled: true,
            },
            28.0,
        ),
        (
            Target::Float {
                format: "e5m2".into(),
                scaled: true,
            },
            20.0,
        ),
        (
            Target::Float {
                format: "fp16".into(),
                scaled: false,
            },
            60.0,
        ),
        (Target::Ggml(GgmlType::Q4_K), 19.0),
        (Target::Ggml(GgmlType::Q6_K), 30.0),
    ] {
        let c = apply(&scheme(target.clone()), &t).unwrap();
        assert!(
            c.metrics.sqnr_db > min_db,
            "{target:?}: {}",
            c.metrics.sqnr_db
        );
        assert!(!c.grid.is_empty(), "{target:?}");
        // The element with the largest |x| decodes to a grid value.
        // First element with the largest |x| (the documented choice).
        let amax = t.data.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let i = t.data.iter().position(|v| v.abs() == amax).unwrap();
        assert!(
            c.grid.contains(&c.dequantized[i]),
            "{target:?}: {} not in grid",
            c.dequantized[i]
        );
    }
}

#[test]
fn ggml_rows_that_do_not_fit_fall_back() {
    let t = data(4, 96); // 96 % 256 != 0
    let c = apply(&scheme(Target::Ggml(GgmlType::Q4_K)), &t).unwrap();
    assert_eq!(c.ggml_type, Some(GgmlType::Q5_0));
    assert_eq!(c.notes.len(), 1);
    let t = data(4, 50); // not a multiple of 32 either
    let c = apply(&scheme(Target::Ggml(GgmlType::Q6_K)), &t).unwrap();
    assert_eq!(c.ggml_type, Some(GgmlType::F16));
    assert_eq!(c.size.bits_per_weight, 16.0);
}

#[test]
fn unknown_float_format_is_an_error() {
    let t = data(2, 8);
    assert!(
        apply(
            &scheme(Target::Float {
                format: "e9m9x".into(),
                scaled: true
            }),
            &t
        )
        .is_err()
    );
}

fn stochastic(format: &str, scaled: bool, seed: u64) -> Scheme {
    Scheme {
        target: Target::Float {
            format: format.into(),
            scaled,
        },
        granularity: Granularity::Tensor,
        rounding: bitlens::compress::scheme::QuantRounding::Stochastic { seed },
        ..Scheme::default()
    }
}

/// Stochastic rounding to a float grid picks one of the two neighbours, the upper one with
/// probability equal to the fraction of the step (so the mean is the input), in the normal and in
/// the subnormal range; values on the grid stay; the draw depends on the seed only.
#[test]
fn float_stochastic_rounding_is_unbiased_and_stays_on_the_neighbours() {
    let n = 200_000;
    // bf16 at 1: step 2^-7; 1 + 2^-9 is a quarter of the way up.
    // e4m3fn subnormal step 2^-9: 2.75 · 2^-9 lies 3/4 of the way from 2·2^-9 to 3·2^-9.
    let cases = [
        ("bf16", 1.0 + 1.0 / 512.0, 1.0, 1.0 + 1.0 / 128.0),
        ("bf16", -(1.0 + 1.0 / 512.0), -1.0, -(1.0 + 1.0 / 128.0)),
        ("e4m3fn", 2.75 / 512.0, 2.0 / 512.0, 3.0 / 512.0),
        ("e5m2", 1.3, 1.25, 1.5),
        // fp16 subnormal step 2^-24: 0.25 of the way from 2^-24 to 2^-23.
        (
            "fp16",
            1.25 * 5.960_464_5e-8,
            5.960_464_5e-8,
            2.0 * 5.960_464_5e-8,
        ),
    ];
    for (format, v, lo, hi) in cases {
        let t = Tensor::new("w", vec![n], vec![v; n]);
        let c = apply(&stochastic(format, false, 7), &t).unwrap();
        let ups = c.dequantized.iter().filter(|&&y| y == hi).count();
        let downs = c.dequantized.iter().filter(|&&y| y == lo).count();
        assert_eq!(ups + downs, n, "{format} {v}: every value is a neighbour");
        let p = f64::from((v - lo) / (hi - lo));
        let got = ups as f64 / n as f64;
        // 5 standard deviations of a binomial proportion.
        let tol = 5.0 * (p * (1.0 - p) / n as f64).sqrt();
        assert!((got - p).abs() < tol, "{format} {v}: P(up) {got} vs {p}");
        assert!(c.notes.is_empty(), "{:?}", c.notes);
    }
    // On-grid values never move; another seed gives another draw; the same seed the same.
    let t = Tensor::new("w", vec![4], vec![1.0, -0.5, 0.0, 448.0]);
    assert_eq!(
        apply(&stochastic("e4m3fn", false, 1), &t)
            .unwrap()
            .dequantized,
        vec![1.0, -0.5, 0.0, 448.0]
    );
    let t = data(64, 100);
    let a = apply(&stochastic("e4m3fn", true, 1), &t)
        .unwrap()
        .dequantized;
    let b = apply(&stochastic("e4m3fn", true, 2), &t)
        .unwrap()
        .dequantized;
    let a2 = apply(&stochastic("e4m3fn", true, 1), &t)
        .unwrap()
        .dequantized;
    assert_ne!(a, b);
    assert_eq!(a, a2);
    // Stochastic is noisier than nearest (larger error) but not biased (mean error ≈ 0).
    let rne = apply(
        &scheme(Target::Float {
            format: "e4m3fn".into(),
            scaled: true,
        }),
        &t,
    )
    .unwrap();
    let sr = apply(&stochastic("e4m3fn", true, 1), &t).unwrap();
    assert!(sr.metrics.mse > rne.metrics.mse);
    let mean_err: f64 = t
        .data
        .iter()
        .zip(&sr.dequantized)
        .map(|(x, y)| f64::from(y - x))
        .sum::<f64>()
        / t.data.len() as f64;
    assert!(mean_err.abs() < 2e-4, "{mean_err}");
}
