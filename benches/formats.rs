//! Number-format kernels: decode every f16 pattern, encode 16M random f32 to e4m3fn, and the
//! exact (single-rounding, big-integer capable) encoder for comparison. One thread.
//!
//! Run: `cargo bench --no-default-features --bench formats`. Target ≥ 500 M values/s per core
//! (NumPy + ml_dtypes ≈ 60 M/s for a scaled fp8 cast).

use std::hint::black_box;

use bitlens::numfmt::{FloatSpec, Format, Overflow, Rounding};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn spec(name: &str) -> FloatSpec {
    match Format::parse(name) {
        Ok(Format::Float(s)) => s,
        other => panic!("{name}: {other:?}"),
    }
}

/// Seeded xorshift64*: deterministic "random" f32, roughly normal-ish over ±600 with a tail.
fn random_f32(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let u = (r >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
            let v = (((r >> 8) & 0xFFFF) as f32 / 65536.0 - 0.5) * 2.0; // [-1, 1)
            v * 600.0 * u * u
        })
        .collect()
}

fn decode(c: &mut Criterion) {
    let f16 = spec("f16").fast();
    let codes: Vec<u16> = (0..=u16::MAX).collect();
    let mut out = vec![0.0f32; codes.len()];
    let lut: Vec<f32> = codes
        .iter()
        .map(|&c| f16.decode_f32(u32::from(c)))
        .collect();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(codes.len() as u64));
    g.bench_function("f16_all_65536_kernel", |b| {
        b.iter(|| {
            f16.decode_slice_u16(black_box(&codes), &mut out);
            black_box(&out);
        });
    });
    g.bench_function("f16_all_65536_lut", |b| {
        b.iter(|| {
            for (o, &c) in out.iter_mut().zip(black_box(&codes)) {
                *o = lut[usize::from(c)];
            }
            black_box(&out);
        });
    });
    let e4m3 = spec("e4m3fn").fast();
    let bytes: Vec<u8> = (0..1usize << 20).map(|i| (i * 131 + i / 7) as u8).collect();
    let mut out8 = vec![0.0f32; bytes.len()];
    g.throughput(Throughput::Elements(bytes.len() as u64));
    g.bench_function("e4m3fn_1M_lut", |b| {
        b.iter(|| {
            e4m3.decode_slice_u8(black_box(&bytes), &mut out8);
            black_box(&out8);
        });
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    const N: usize = 16 << 20;
    let xs = random_f32(N, 0x5EED_1234);
    let mut out = vec![0u8; N];
    let e4m3 = spec("e4m3fn").fast();
    let mut g = c.benchmark_group("encode");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("e4m3fn_16M_random_f32", |b| {
        b.iter(|| {
            e4m3.encode_slice_u8(black_box(&xs), &mut out);
            black_box(&out);
        });
    });
    let e2m1 = spec("e2m1fn").fast();
    g.bench_function("e2m1fn_16M_random_f32", |b| {
        b.iter(|| {
            e2m1.encode_slice_u8(black_box(&xs), &mut out);
            black_box(&out);
        });
    });
    let mut buf = xs.clone();
    g.bench_function("e4m3fn_16M_round_trip_saturate", |b| {
        b.iter(|| {
            buf.copy_from_slice(&xs);
            e4m3.round_slice(black_box(&mut buf), true);
            black_box(&buf);
        });
    });
    let mut out16 = vec![0u16; N];
    let bf16 = spec("bf16").fast();
    g.bench_function("bf16_16M_random_f32", |b| {
        b.iter(|| {
            bf16.encode_slice_u16(black_box(&xs), &mut out16);
            black_box(&out16);
        });
    });
    g.finish();

    // The exact encoder (what the GUI and CLI use), on a smaller sample.
    let small = &xs[..1 << 16];
    let fmt = Format::Float(spec("e4m3fn"));
    let mut g = c.benchmark_group("encode_exact");
    g.sample_size(10);
    g.throughput(Throughput::Elements(small.len() as u64));
    g.bench_function("e4m3fn_64K_exact_f64_path", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for &x in black_box(small) {
                acc = acc.wrapping_add(
                    fmt.encode_f64(f64::from(x), Rounding::NearestEven, Overflow::Default)
                        .bits,
                );
            }
            black_box(acc)
        });
    });
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
