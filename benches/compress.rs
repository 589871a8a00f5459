//! Criterion benchmarks of the compression kernels: the workload of `bitlens bench` and
//! `shared/bench/numpy_peer.py` (2^22 elements here to keep a run short; `bitlens bench` uses
//! 2^24).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use bitlens::compress::bench::{self, Op};

fn kernels(c: &mut Criterion) {
    let n = 1usize << 22;
    let x = bench::make_input(n, 0);
    let mut out = vec![0.0f32; n];
    let mut g = c.benchmark_group("compress");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    for op in Op::ALL {
        g.bench_function(op.id(), |b| b.iter(|| bench::run_op(op, &x, &mut out)));
    }
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
