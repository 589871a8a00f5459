//! The AVX2 kernels give bit-identical results to the baseline loops: dequantized values, metric
//! sums, clip counts, histograms and ranges, on awkward data (NaN, ±Inf, signed zeros, huge and
//! tiny values, lengths that are not a multiple of the lane width).
//!
//! One test toggles the process-wide baseline switch; other tests running meanwhile only ever see
//! one of the two paths, which by this test's claim compute the same.

use bitlens::compress::apply;
use bitlens::compress::histogram;
use bitlens::compress::metrics;
use bitlens::compress::range;
use bitlens::compress::scheme::{Calibration, Granularity, IntTarget, Scheme, Target};
use bitlens::simd;
use bitlens::tensor::Tensor;

fn awkward(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let u = (s >> 8) as f32 / 16_777_216.0 - 0.5;
            match i % 997 {
                3 => f32::NAN,
                5 => f32::INFINITY,
                7 => f32::NEG_INFINITY,
                11 => -0.0,
                13 => 0.0,
                17 => 3.0e38,
                19 => 1.0e-40,
                _ => u * if i % 5 == 0 { 0.3 } else { 0.02 },
            }
        })
        .collect()
}

fn finite(n: usize, seed: u32) -> Vec<f32> {
    awkward(n, seed)
        .into_iter()
        .map(|v| {
            if v.is_finite() && v.abs() < 1.0 {
                v
            } else {
                0.5
            }
        })
        .collect()
}

fn schemes() -> Vec<Scheme> {
    let int = |bits, symmetric, granularity| Scheme {
        target: Target::Int(IntTarget {
            bits,
            signed: true,
            symmetric,
            restricted: false,
        }),
        granularity,
        ..Scheme::default()
    };
    let float = |format: &str, scaled, granularity| Scheme {
        target: Target::Float {
            format: format.into(),
            scaled,
        },
        granularity,
        ..Scheme::default()
    };
    vec![
        int(8, false, Granularity::Channel { axis: 0 }),
        int(8, true, Granularity::Tensor),
        int(4, false, Granularity::Group { size: 128 }),
        int(3, true, Granularity::Group { size: 32 }),
        int(2, false, Granularity::Channel { axis: 1 }),
        Scheme {
            calibration: Calibration::Percentile(99.0),
            ..int(4, true, Granularity::Tensor)
        },
        float("e4m3fn", true, Granularity::Tensor),
        float("e5m2", true, Granularity::Channel { axis: 0 }),
        float("e2m1", true, Granularity::Group { size: 32 }),
        float("bf16", false, Granularity::Tensor),
        float("fp16", false, Granularity::Tensor),
        float("e4m3fn", false, Granularity::Tensor),
    ]
}

/// Everything observable of one run, as bits.
fn fingerprint(x: &[f32], shape: &[usize]) -> Vec<u64> {
    let t = Tensor::new("w", shape.to_vec(), x.to_vec());
    let mut out = Vec::new();
    for s in schemes() {
        // A scheme that does not fit the shape (channel axis 1 of a 1-D tensor) fails alike.
        let Ok(c) = apply(&s, &t) else {
            out.push(u64::MAX);
            continue;
        };
        out.extend(c.dequantized.iter().map(|v| u64::from(v.to_bits())));
        let m = c.sums;
        out.extend([
            m.n,
            m.sum_x2.to_bits(),
            m.sum_y2.to_bits(),
            m.sum_xy.to_bits(),
            m.sum_e2.to_bits(),
            u64::from(m.max_abs_err.to_bits()),
            m.clipped,
            m.zeros,
        ]);
    }
    let h = histogram::histogram(x, 512);
    out.extend(h.counts.iter().copied());
    out.extend([h.below, h.above, h.nan]);
    let h = histogram::histogram_range(x, 37, -0.01, 0.013);
    out.extend(h.counts.iter().copied());
    out.extend([h.below, h.above, h.nan]);
    let (lo, hi) = range::min_max(x);
    out.extend([u64::from(lo.to_bits()), u64::from(hi.to_bits())]);
    let y: Vec<f32> = x.iter().map(|v| v * 0.75).collect();
    let e = metrics::error_sums(x, &y);
    out.extend([e.sum_x2.to_bits(), e.sum_e2.to_bits(), e.zeros]);
    out
}

#[test]
fn wide_kernels_match_the_baseline_bit_for_bit() {
    if !simd::wide() {
        println!("notice: this CPU has no AVX2+FMA; only the baseline path exists here");
        return;
    }
    let cases: Vec<(Vec<f32>, Vec<usize>)> = vec![
        (finite(64 * 1000, 1), vec![64, 1000]),
        (finite(37 * 131, 2), vec![37, 131]),
        (finite(3 * 5 * 67, 3), vec![3, 5, 67]),
        (awkward(16 * 4099, 4), vec![16, 4099]),
        (awkward(7, 5), vec![7]),
        (finite(200_003, 6), vec![200_003]),
        // Rows that are whole multiples of the groups: the integer kernel's per-row fast path.
        (awkward(32 * 1024, 7), vec![32, 1024]),
    ];
    let wide: Vec<Vec<u64>> = cases.iter().map(|(x, s)| fingerprint(x, s)).collect();
    simd::force_baseline(true);
    let base: Vec<Vec<u64>> = cases.iter().map(|(x, s)| fingerprint(x, s)).collect();
    simd::force_baseline(false);
    for (i, (w, b)) in wide.iter().zip(&base).enumerate() {
        assert_eq!(w.len(), b.len());
        let first = w.iter().zip(b).position(|(p, q)| p != q);
        assert_eq!(first, None, "case {i}: first difference at {first:?}");
    }
}
