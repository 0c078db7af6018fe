//! One fit of `gcn`, `bananas` and `mlp` (NASLib's defaults: 300, 3 x 500 and 500 epochs) on
//! NAS-Bench-201 at n = 100 and n = 1000, on the CPU with one libtorch thread.
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::predictor::{ArchInput, PredictorRng};
use naspred_models::{BananasPredictor, GcnPredictor, MlpPredictor};
use naspred_spaces::AnyArch;
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn workload() -> (Vec<ArchInput>, Vec<f64>) {
    let mut rng = PredictorRng::seed_from_u64(0);
    let root = DataRoot::resolve(None);
    let mut table: Vec<(AnyArch, f64)> = load_nb201(&root, Dataset::Cifar10)
        .expect("NB201 CIFAR-10 (data/, or NASPRED_DATA)")
        .records()
        .iter()
        .map(|r| (r.arch.clone(), r.mean_val_acc()))
        .collect();
    table.shuffle(&mut rng);
    table.truncate(1000);
    let train = table
        .iter()
        .map(|(a, _)| ArchInput::bare(a.clone()))
        .collect();
    let y = table.iter().map(|(_, y)| *y).collect();
    (train, y)
}

fn bench(c: &mut Criterion) {
    let (train, y) = workload();
    let mut g = c.benchmark_group("neural_fit");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(5));
    for n in [100usize, 1000] {
        g.bench_function(format!("gcn_n{n}"), |b| {
            b.iter(|| {
                let mut p = GcnPredictor::default();
                p.fit_seeded(&train[..n], &y[..n], 1).unwrap();
                black_box(p)
            })
        });
        g.bench_function(format!("mlp_n{n}"), |b| {
            b.iter(|| {
                let mut p = MlpPredictor::default();
                p.fit_seeded(&train[..n], &y[..n], 1).unwrap();
                black_box(p)
            })
        });
        g.bench_function(format!("bananas_n{n}"), |b| {
            b.iter(|| {
                let mut p = BananasPredictor::default();
                p.fit_seeded(&train[..n], &y[..n], 1).unwrap();
                black_box(p)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
