//! `xgb` on NAS-Bench-201 `adjacency_one_hot` (30 features): one fit at n = 100 and 1000
//! (NASLib defaults, 500 rounds, 1 thread; tree method `hist` with base score 0, and XGBoost
//! 1.6's `exact` with 0.5) and one query of 200 architectures.
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::Dataset;
use naspred_eval::predictor::{Context, Predictor, PredictorRng};
use naspred_models::{
    encode_inputs, FeatureMatrix, TabularParams, XgbParams, XgbPredictor, XgbRegressor,
};
use naspred_spaces::{EncodingKind, Quirks, SpaceKind};
use rand::SeedableRng;

mod common;
use common::workload;

fn bench(c: &mut Criterion) {
    let (train, y, test) = workload();
    let x_train = encode_inputs(&train, EncodingKind::AdjacencyOneHot, Quirks::Faithful).unwrap();
    let x_test = encode_inputs(&test, EncodingKind::AdjacencyOneHot, Quirks::Faithful).unwrap();
    assert_eq!(x_train.cols(), 30);

    let mut g = c.benchmark_group("xgb_nb201_adj");
    g.sample_size(10);
    for n in [100, 1000] {
        let x =
            FeatureMatrix::from_row_major(x_train.as_slice()[..n * 30].to_vec(), n, 30).unwrap();
        for (name, params) in [
            ("hist", XgbParams::naslib()),
            ("exact_1_6", XgbParams::xgboost_1_6()),
        ] {
            g.bench_function(format!("regressor_fit_{name}_n{n}"), |b| {
                b.iter(|| {
                    let mut reg = XgbRegressor::new(params.clone());
                    reg.fit(black_box(&x), black_box(&y[..n]), 0).unwrap();
                    reg
                })
            });
        }
    }

    let mut rng = PredictorRng::seed_from_u64(1);
    g.bench_function("predictor_fit_n1000", |b| {
        b.iter(|| {
            let mut p = XgbPredictor::new();
            let mut ctx = Context {
                space: SpaceKind::Nb201,
                dataset: Dataset::Cifar10,
                fidelity: None,
                total_epochs: 200,
                unlabeled: &[],
                rng: &mut rng,
            };
            p.fit(black_box(&train), black_box(&y), &mut ctx).unwrap();
            p
        })
    });
    g.finish();

    let mut reg = XgbRegressor::new(XgbParams::naslib());
    reg.fit(&x_train, &y, 0).unwrap();
    let mut p = XgbPredictor::new();
    let mut rng = PredictorRng::seed_from_u64(2);
    let mut ctx = Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled: &[],
        rng: &mut rng,
    };
    p.fit(&train, &y, &mut ctx).unwrap();
    let mut g = c.benchmark_group("xgb_nb201_adj");
    g.bench_function("regressor_predict_200", |b| {
        b.iter(|| reg.predict(black_box(&x_test)).unwrap())
    });
    g.bench_function("predictor_query_200", |b| {
        b.iter(|| p.query(black_box(&test), &mut ctx).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
