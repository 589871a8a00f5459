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
        target: Target::Int(bitlens::compress::scheme::IntSpec {
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
