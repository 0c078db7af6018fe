//! `gp`, `gp` with NASLib's prior draw, `sparse_gp`, `var_sparse_gp` and `bayes_lin_reg` on
//! NAS-Bench-201 `adjacency_one_hot`: fit at n = 100 and n = 1000 and a query of 200
//! architectures (single-threaded, as in a trial).
//!
//! Targets are NB201 CIFAR-10 validation accuracies when the shared data is present, otherwise a
//! synthetic function of the encoding.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorRng};
use naspred_models::{BlrMode, BlrPredictor, GpPredictor};
use naspred_spaces::{AnyArch, EncodingKind, Quirks, SpaceKind};
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn workload() -> (Vec<ArchInput>, Vec<f64>, Vec<ArchInput>) {
    let mut rng = PredictorRng::seed_from_u64(0);
    let root = DataRoot::resolve(None);
    let mut table: Vec<(AnyArch, f64)> = match load_nb201(&root, Dataset::Cifar10) {
        Ok(bench) => bench
            .records()
            .iter()
            .map(|r| (r.arch.clone(), r.mean_val_acc()))
            .collect(),
        Err(_) => (0..1200)
            .map(|_| {
                let a = AnyArch::sample(SpaceKind::Nb201, &mut rng).expect("sample");
                let e = a
                    .encode(EncodingKind::AdjacencyOneHot, Quirks::Faithful)
                    .expect("encode")
                    .flatten();
                let y = e
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| f64::from(v) * (i % 7) as f64)
                    .sum();
                (a, y)
            })
            .collect(),
    };
    table.shuffle(&mut rng);
    let train = table[..1000]
        .iter()
        .map(|(a, _)| ArchInput::bare(a.clone()))
        .collect();
    let y = table[..1000].iter().map(|(_, y)| *y).collect();
    let test = table[1000..1200]
        .iter()
        .map(|(a, _)| ArchInput::bare(a.clone()))
        .collect();
    (train, y, test)
}

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
