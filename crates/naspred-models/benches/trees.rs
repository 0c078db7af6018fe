//! `lgb`, `ngb` and `rf` on NAS-Bench-201 `adjacency_one_hot` (30 features): one fit at
//! n = 100 and n = 1000 (NASLib defaults, single-threaded), and one query of 200 architectures
//! by each fitted model (encoding included, as the evaluator times it).
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`). `lgb` only with the `lightgbm` feature.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use naspred_data::Dataset;
use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorRng};
use naspred_models::{
    encode_inputs, ForestRegressor, NgbPredictor, NgbRegressor, RfPredictor, TabularModel,
    TabularParams,
};
#[cfg(feature = "lightgbm")]
use naspred_models::{LgbPredictor, LgbRegressor};
use naspred_spaces::{EncodingKind, Quirks, SpaceKind};
use rand::SeedableRng;

mod common;
use common::workload;

fn ctx(rng: &mut PredictorRng) -> Context<'_> {
    Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled: &[],
        rng,
    }
}

fn fit_bench<M: TabularModel>(c: &mut Criterion, train: &[ArchInput], y: &[f64]) {
    let x = encode_inputs(train, EncodingKind::AdjacencyOneHot, Quirks::Faithful).unwrap();
    assert_eq!(x.cols(), 30);
    let mut g = c.benchmark_group(format!("{}_nb201_adj", M::KEY));
    g.sample_size(10);
    for n in [100usize, 1000] {
        let idx: Vec<usize> = (0..n).collect();
        let xn = x.select_rows(&idx).unwrap();
        g.bench_with_input(BenchmarkId::new("fit", n), &n, |b, &n| {
            let mut rng = PredictorRng::seed_from_u64(3);
            b.iter(|| {
                let mut m = M::with_params(M::Params::naslib());
                m.fit(black_box(&xn), black_box(&y[..n]), &mut rng).unwrap();
                m
            })
        });
    }
    g.finish();
}

fn query_bench<P: Predictor>(
    c: &mut Criterion,
    key: &str,
    make: fn() -> P,
    train: &[ArchInput],
    y: &[f64],
    test: &[ArchInput],
) {
    let mut g = c.benchmark_group(format!("{key}_nb201_adj"));
    g.sample_size(20);
    for n in [100usize, 1000] {
        let mut rng = PredictorRng::seed_from_u64(4);
        let mut p = make();
        p.fit(&train[..n], &y[..n], &mut ctx(&mut rng)).unwrap();
        g.bench_with_input(BenchmarkId::new("query_200_after_fit", n), &n, |b, _| {
            b.iter(|| p.query_dist(black_box(test), &mut ctx(&mut rng)).unwrap())
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let (train, y, test) = workload();
    #[cfg(feature = "lightgbm")]
    fit_bench::<LgbRegressor>(c, &train, &y);
    fit_bench::<NgbRegressor>(c, &train, &y);
    fit_bench::<ForestRegressor>(c, &train, &y);
    #[cfg(feature = "lightgbm")]
    query_bench(c, "lgb", LgbPredictor::new, &train, &y, &test);
    query_bench(c, "ngb", NgbPredictor::new, &train, &y, &test);
    query_bench(c, "rf", RfPredictor::new, &train, &y, &test);
}

criterion_group!(benches, bench);
criterion_main!(benches);
