//! Fits of `nao` and `seminas` with NASLib's defaults on NAS-Bench-201 at n = 100 and
//! n = 1000, one thread, with the epochs cut to keep a sample short: `nao` n = 100 is the full
//! fit (50 epochs), n = 1000 a tenth of it (5 epochs); `seminas` runs 5 + 5 epochs at n = 100
//! (a tenth) and 1 + 1 at n = 1000 (a fiftieth; the second phase trains on the labelled set
//! repeated 10 times plus the pseudo-labelled architectures, so its epochs are 11x larger).
//! The unlabeled architectures of `seminas` are the training ones in reverse order (the
//! pseudo-labelling costs the same whatever they are).
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`). Kendall tau and whole fits are measured by the `neural_quick`
//! example (`docs/measurements/neural-seminas-nao.md`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_eval::predictor::ArchInput;
use naspred_models::SeminasPredictor;

mod common;
use common::workload;

fn bench(c: &mut Criterion) {
    let (train, y, _) = workload();
    let unlabeled: Vec<ArchInput> = train.iter().rev().cloned().collect();
    let mut g = c.benchmark_group("sequence_fit");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(5));
    for (n, nao_epochs, semi_epochs) in [(100usize, 50usize, 5usize), (1000, 5, 1)] {
        g.bench_function(format!("nao_n{n}_epochs{nao_epochs}"), |b| {
            b.iter(|| {
                let mut p = SeminasPredictor::nao();
                p.params.pretrain_epochs = nao_epochs;
                p.fit_seeded(&train[..n], &y[..n], &[], 1).unwrap();
                black_box(p)
            })
        });
        g.bench_function(
            format!("seminas_n{n}_epochs{semi_epochs}+{semi_epochs}"),
            |b| {
                b.iter(|| {
                    let mut p = SeminasPredictor::seminas();
                    p.params.pretrain_epochs = semi_epochs;
                    p.params.epochs = semi_epochs;
                    p.fit_seeded(&train[..n], &y[..n], &unlabeled[..n], 1)
                        .unwrap();
                    black_box(p)
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
