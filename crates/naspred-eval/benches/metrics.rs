//! Benchmarks of the metric module: O(n log n) Kendall τ-b on 10^5 pairs and the full
//! `Metrics::compute` on a 200-point test set (the paper's test-set size).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_eval::metrics::{kendall_tau_b, Metrics};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` correlated pairs; about a third of the predictions are quantised to create ties.
fn sample(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y = Vec::with_capacity(n);
    let mut p = Vec::with_capacity(n);
    for _ in 0..n {
        let a: f64 = 80.0 + 15.0 * rng.random::<f64>();
        let b = a + 5.0 * (rng.random::<f64>() - 0.5);
        y.push((a * 100.0).round() / 100.0);
        p.push(if rng.random_bool(0.33) { b.round() } else { b });
    }
    (y, p)
}

fn bench_metrics(c: &mut Criterion) {
    let (y, p) = sample(100_000, 1);
    c.bench_function("kendall_tau_b_1e5", |b| {
        b.iter(|| kendall_tau_b(black_box(&y), black_box(&p)))
    });
    let (y, p) = sample(200, 2);
    c.bench_function("metrics_compute_200", |b| {
        b.iter(|| Metrics::compute(black_box(&y), black_box(&p)))
    });
}

criterion_group!(benches, bench_metrics);
criterion_main!(benches);
