//! GGUF block codecs vs llama.cpp's layouts (`quantization.md` §6): hand-built blocks with known
//! bytes, the golden vectors, bits per weight, and error handling.

use bitlens::compress::ggml_blocks::{self, GgmlType, dequantize, quantize};
use half::f16;

fn h(v: f32) -> [u8; 2] {
    f16::from_f32(v).to_bits().to_le_bytes()
}

fn golden() -> Vec<f32> {
    (0..32).map(|i| (i as f32 - 12.0) / 8.0).collect()
}

#[test]
fn sizes_and_ids() {
    let want = [
        (GgmlType::Q8_0, 8, 32, 34, 8.5),
        (GgmlType::Q4_0, 2, 32, 18, 4.5),
        (GgmlType::Q4_1, 3, 32, 20, 5.0),
        (GgmlType::Q5_0, 6, 32, 22, 5.5),
        (GgmlType::Q5_1, 7, 32, 24, 6.0),
        (GgmlType::Q4_K, 12, 256, 144, 4.5),
        (GgmlType::Q5_K, 13, 256, 176, 5.5),
        (GgmlType::Q6_K, 14, 256, 210, 6.5625),
        (GgmlType::BF16, 30, 1, 2, 16.0),
    ];
    for (t, id, bs, ts, bpw) in want {
        assert_eq!(GgmlType::from_id(id), Some(t));
        assert_eq!(
            (t.block_size(), t.type_size(), t.bits_per_weight()),
            (bs, ts, bpw)
        );
    }
}

#[test]
#[allow(
    clippy::excessive_precision,
    reason = "the golden values of quantization.md §6, verbatim"
)]
fn q8_0_golden() {
    let b = quantize(GgmlType::Q8_0, &golden()).unwrap();
    assert_eq!(
        f16::from_le_bytes([b[0], b[1]]).to_f32(),
        0.018_707_275_390_625
    );
    let q: Vec<i8> = b[2..].iter().map(|&v| v as i8).collect();
    assert_eq!(&q[..6], &[-80, -74, -67, -60, -53, -47]);
    assert_eq!(&q[29..], &[114, 120, 127]);
    let y = dequantize(GgmlType::Q8_0, &b, 32).unwrap();
    let m = bitlens::compress::metrics::compare(&golden(), &y);
    assert_eq!(m.max_abs_err, 0.009_338_378_906_25);
    assert!((m.sqnr_db - 47.15).abs() < 0.01, "{}", m.sqnr_db);
}

#[test]
fn q4_0_and_q4_1_golden() {
    let x = golden();
    let b = quantize(GgmlType::Q4_0, &x).unwrap();
    assert_eq!(&b[..2], &h(-0.296_875));
    let want = [
        13u8, 13, 12, 12, 11, 11, 11, 10, 10, 9, 9, 8, 8, 8, 7, 7, 6, 6, 5, 5, 5, 4, 4, 3, 3, 3, 2,
        2, 1, 1, 0, 0,
    ];
    for j in 0..16 {
        assert_eq!(
            b[2 + j],
            want[j] | (want[j + 16] << 4),
            "byte {j}: element j low nibble, j+16 high"
        );
    }
    let y = dequantize(GgmlType::Q4_0, &b, 32).unwrap();
    assert_eq!(y[0], -1.484_375);
    let m = bitlens::compress::metrics::compare(&x, &y);
    assert_eq!(m.max_abs_err, 0.140_625);
    assert!((m.sqnr_db - 23.36).abs() < 0.01, "{}", m.sqnr_db);

    let b = quantize(GgmlType::Q4_1, &x).unwrap();
    assert_eq!(&b[2..4], &h(-1.5));
    assert_eq!(
        f16::from_le_bytes([b[0], b[1]]).to_f32(),
        f16::from_f32(3.875 / 15.0).to_f32()
    );
    let codes: Vec<u8> = (0..16)
        .map(|j| b[4 + j] & 15)
        .chain((0..16).map(|j| b[4 + j] >> 4))
        .collect();
    let want: Vec<u8> = (0..32).map(|i| (i / 2) as u8).collect();
    assert_eq!(codes, want);
    let y = dequantize(GgmlType::Q4_1, &b, 32).unwrap();
    let m = bitlens::compress::metrics::compare(&x, &y);
    assert!((m.max_abs_err - 0.125).abs() < 2e-3, "{}", m.max_abs_err);
    assert!((m.sqnr_db - 24.53).abs() < 0.05, "{}", m.sqnr_db);
}

#[test]
fn q5_hand_built_blocks() {
    // Q5_0: d = 0.5, qh bit j = 1 for j = 0 and j = 17, nibbles 3 (low) and 9 (high).
    let mut b = Vec::new();
    b.extend_from_slice(&h(0.5));
    b.extend_from_slice(&((1u32 << 0) | (1u32 << 17)).to_le_bytes());
    b.extend(std::iter::repeat_n(0x93u8, 16));
    let y = dequantize(GgmlType::Q5_0, &b, 32).unwrap();
    assert_eq!(y[0], 0.5 * ((3 + 16) - 16) as f32);
    assert_eq!(y[1], 0.5 * (3 - 16) as f32);
    assert_eq!(y[16], 0.5 * (9 - 16) as f32);
    assert_eq!(y[17], 0.5 * ((9 + 16) - 16) as f32);
    // Q5_1: d = 0.25, m = −1, qh bit 31 → element 31 gets +16.
    let mut b = Vec::new();
    b.extend_from_slice(&h(0.25));
    b.extend_from_slice(&h(-1.0));
    b.extend_from_slice(&(1u32 << 31).to_le_bytes());
    b.extend(std::iter::repeat_n(0x21u8, 16));
    let y = dequantize(GgmlType::Q5_1, &b, 32).unwrap();
    assert_eq!(y[0], 0.25 * 1.0 - 1.0);
    assert_eq!(y[30], 0.25 * 2.0 - 1.0);
    assert_eq!(y[31], 0.25 * 18.0 - 1.0);
}

#[test]
fn q4_k_hand_built_block() {
    let mut b = vec![0u8; 144];
    b[..2].copy_from_slice(&h(0.5)); // d
    b[2..4].copy_from_slice(&h(0.25)); // dmin
    // sub-block 0: sc = 3, m = 2 (bytes 0 and 4); sub-block 5: sc = 0x15 = 21, m = 0x2A = 42:
    // sc5 = (s[9] & 15) | ((s[1] >> 6) << 4), m5 = (s[9] >> 4) | ((s[5] >> 6) << 4).
    let s = &mut b[4..16];
    s[0] = 3;
    s[4] = 2;
    s[9] = 0x5 | (0xA << 4);
    s[1] |= 1 << 6;
    s[5] |= 2 << 6;
    assert_eq!(ggml_blocks::get_scale_min_k4(5, s), (21, 42));
    // qs[32c + l]: element 64c + l low nibble, 64c + 32 + l high nibble.
    b[16] = 0x7 | (0x9 << 4); // c = 0, l = 0: element 0 = 7 (sub 0), element 32 = 9 (sub 1)
    b[16 + 64 + 1] = 0xF << 4; // c = 2, l = 1: element 128 + 32 + 1 = 161 (sub 5) = 15
    let y = dequantize(GgmlType::Q4_K, &b, 256).unwrap();
    assert_eq!(y[0], 0.5 * 3.0 * 7.0 - 0.25 * 2.0);
    assert_eq!(y[32], 0.0); // sub-block 1: sc = m = 0
    assert_eq!(y[161], 0.5 * 21.0 * 15.0 - 0.25 * 42.0);
    assert_eq!(y[160], -0.25 * 42.0);
}

#[test]
fn q6_k_hand_built_block() {
    let mut b = vec![0u8; 210];
    b[208..].copy_from_slice(&h(0.125));
    for (i, s) in b[192..208].iter_mut().enumerate() {
        *s = (i as i8 - 8) as u8; // signed scales −8 … 7
    }
    // element 0: ql[0] low = 5, qh[0] bits 0-1 = 2 → q = 5 | 32 = 37 → 37 − 32 = 5, scale[0] = −8
    b[0] = 5;
    b[128] = 2;
    // element 96 (l = 0, 4th quarter): ql[32] high nibble, qh[0] bits 6-7; q = 0 | (3 << 4) = 48 → 16
    b[32] = 0;
    b[128] |= 3 << 6;
    // element 200 (second half h = 1, l = 8, 3rd quarter = 128 + 64 + 8): ql[64 + 8] high, qh[32 + 8] bits 4-5
    b[64 + 8] = 0xA << 4;
    b[128 + 32 + 8] = 1 << 4;
    let y = dequantize(GgmlType::Q6_K, &b, 256).unwrap();
    assert_eq!(y[0], 0.125 * -8.0 * 5.0);
    assert_eq!(y[96], 0.125 * f32::from((96 / 16) as i8 - 8) * 16.0);
    assert_eq!(
        y[200],
        0.125 * f32::from((200 / 16) as i8 - 8) * ((0xA | 16) - 32) as f32
    );
    assert_eq!(y[1], 0.125 * -8.0 * -32.0);
}

#[test]
fn round_trips_are_accurate_for_every_type() {
    let x: Vec<f32> = (0..4096)
        .map(|i| ((i as f32 * 0.37).sin() * 0.05) + (i % 7) as f32 * 0.001)
        .collect();
    let floor = [
        (GgmlType::Q8_0, 40.0),
        (GgmlType::Q4_0, 17.0),
        (GgmlType::Q4_1, 18.0),
        (GgmlType::Q5_0, 23.0),
        (GgmlType::Q5_1, 24.0),
        (GgmlType::Q4_K, 19.0),
        (GgmlType::Q5_K, 25.0),
        (GgmlType::Q6_K, 31.0),
        (GgmlType::F16, 60.0),
        (GgmlType::BF16, 45.0),
    ];
    for (t, min_db) in floor {
        let b = quantize(t, &x).unwrap();
        assert_eq!(b.len(), x.len() / t.block_size() * t.type_size());
        let y = dequantize(t, &b, x.len()).unwrap();
        let m = bitlens::compress::metrics::compare(&x, &y);
        assert!(m.sqnr_db > min_db, "{t:?}: {} dB", m.sqnr_db);
        // Re-quantizing the dequantized values is stable (same codes) for the legacy types.
        if matches!(t, GgmlType::Q8_0 | GgmlType::F16 | GgmlType::BF16) {
            assert_eq!(quantize(t, &y).unwrap(), b, "{t:?}");
        }
    }
    // All-zero super-blocks do not divide by zero.
    for t in [
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
    ] {
        let y = dequantize(t, &quantize(t, &[0.0; 256]).unwrap(), 256).unwrap();
        assert!(y.iter().all(|v| *v == 0.0), "{t:?}");
    }
}

#[test]
fn bad_lengths_are_errors_not_panics() {
    assert!(dequantize(GgmlType::Q4_K, &[0u8; 143], 256).is_err());
    assert!(dequantize(GgmlType::Q6_K, &[0u8; 210], 255).is_err());
    assert!(dequantize(GgmlType::F32, &[0u8; 7], 2).is_err());
    assert!(quantize(GgmlType::Q8_0, &[1.0; 31]).is_err());
    assert_eq!(
        dequantize(GgmlType::Q8_0, &[], 0).unwrap(),
        Vec::<f32>::new()
    );
}
