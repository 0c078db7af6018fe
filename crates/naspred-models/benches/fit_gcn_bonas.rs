//! One fit of `bonas` (100 epochs) and `gcn` (300 epochs; 30 at n = 1000, a tenth of the fit,
//! to keep a sample short) with NASLib's other defaults on NAS-Bench-201 at n = 100 and
//! n = 1000, one thread.
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`). Kendall tau and whole fits are measured by the `neural_quick`
//! example (`docs/measurements/neural-gcn-bonas.md`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_models::neural::gcn::GcnParams;
use naspred_models::{BonasPredictor, GcnPredictor};

mod common;
use common::workload;

fn bench(c: &mut Criterion) {
    let (train, y, _) = workload();
    let mut g = c.benchmark_group("graph_fit");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(5));
    for n in [100usize, 1000] {
        g.bench_function(format!("bonas_n{n}"), |b| {
            b.iter(|| {
                let mut p = BonasPredictor::default();
                p.fit_seeded(&train[..n], &y[..n], 1).unwrap();
                black_box(p)
            })
        });
        let epochs = if n == 1000 { 30 } else { 300 };
        g.bench_function(format!("gcn_n{n}_epochs{epochs}"), |b| {
            b.iter(|| {
                let params = GcnParams {
                    epochs,
                    ..GcnParams::default()
                };
                let mut p = GcnPredictor::default().with_params(params).unwrap();
                p.fit_seeded(&train[..n], &y[..n], 1).unwrap();
                black_box(p)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
