//! One fit of `dngo` (500 epochs, then the 20-walker MCMC) and `bohamiann` (100 SGHMC steps)
//! with NASLib's defaults on NAS-Bench-201 at n = 100 and n = 1000, one thread.
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_models::{BohamiannPredictor, DngoPredictor};

mod common;
use common::workload;

fn bench(c: &mut Criterion) {
    let (train, y, _) = workload();
    let mut g = c.benchmark_group("bnn_fit");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(5));
    for n in [100usize, 1000] {
        g.bench_function(format!("bohamiann_n{n}"), |b| {
            b.iter(|| {
                let mut p = BohamiannPredictor::default();
                p.fit_seeded(&train[..n], &y[..n], 1).unwrap();
                black_box(p)
            })
        });
        g.bench_function(format!("dngo_n{n}"), |b| {
            b.iter(|| {
                let mut p = DngoPredictor::default();
                p.fit_seeded(&train[..n], &y[..n], 1).unwrap();
                black_box(p)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
