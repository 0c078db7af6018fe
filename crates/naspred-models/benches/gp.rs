//! `gp`, `gp` with NASLib's prior draw, `sparse_gp`, `var_sparse_gp` and `bayes_lin_reg` on
//! NAS-Bench-201 `adjacency_one_hot`: fit at n = 100 and n = 1000 and a query of 200
//! architectures (single-threaded, as in a trial).
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::Dataset;
use naspred_eval::predictor::{Context, Predictor, PredictorRng};
use naspred_models::{BlrMode, BlrPredictor, GpPredictor};
use naspred_spaces::SpaceKind;
use rand::SeedableRng;

mod common;
use common::workload;

type Build = fn() -> Box<dyn Predictor>;

fn bench(c: &mut Criterion) {
    let (train, y, test) = workload();
    let models: [(&str, Build); 5] = [
        ("gp", || Box::new(GpPredictor::gp())),
        ("gp_prior_draw", || Box::new(GpPredictor::gp_prior_draw())),
        ("sparse_gp", || Box::new(GpPredictor::sparse_gp())),
        ("var_sparse_gp", || Box::new(GpPredictor::var_sparse_gp())),
        ("bayes_lin_reg", || {
            Box::new(BlrPredictor::new(BlrMode::Faithful))
        }),
    ];
    let mut rng = PredictorRng::seed_from_u64(1);
    for (name, build) in models {
        let mut g = c.benchmark_group(format!("{name}_nb201_adj"));
        g.sample_size(10);
        for n in [100usize, 1000] {
            g.bench_function(format!("fit_n{n}"), |b| {
                b.iter(|| {
                    let mut p = build();
                    let mut ctx = Context {
                        space: SpaceKind::Nb201,
                        dataset: Dataset::Cifar10,
                        fidelity: None,
                        total_epochs: 200,
                        unlabeled: &[],
                        rng: &mut rng,
                    };
                    p.fit(black_box(&train[..n]), black_box(&y[..n]), &mut ctx)
                        .unwrap();
                    p
                })
            });
            let mut p = build();
            let mut ctx = Context {
                space: SpaceKind::Nb201,
                dataset: Dataset::Cifar10,
                fidelity: None,
                total_epochs: 200,
                unlabeled: &[],
                rng: &mut rng,
            };
            p.fit(&train[..n], &y[..n], &mut ctx).unwrap();
            g.bench_function(format!("query_200_after_n{n}"), |b| {
                b.iter(|| p.query_dist(black_box(&test), &mut ctx).unwrap())
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
