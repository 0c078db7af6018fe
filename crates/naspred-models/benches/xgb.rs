//! `xgb` on NAS-Bench-201 `adjacency_one_hot` (30 features): one fit at n = 1000 (NASLib
//! defaults, 500 rounds, 1 thread) and one query of 200 architectures.
//!
//! Targets are NB201 CIFAR-10 validation accuracies when the shared data is present, otherwise a
//! synthetic function of the encoding (the timing hardly depends on the targets).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorRng};
use naspred_models::{encode_inputs, XgbParams, XgbPredictor, XgbRegressor};
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

fn bench(c: &mut Criterion) {
    let (train, y, test) = workload();
    let x_train = encode_inputs(&train, EncodingKind::AdjacencyOneHot, Quirks::Faithful).unwrap();
    let x_test = encode_inputs(&test, EncodingKind::AdjacencyOneHot, Quirks::Faithful).unwrap();
    assert_eq!(x_train.cols(), 30);

    let mut g = c.benchmark_group("xgb_nb201_adj");
    g.sample_size(10);
    g.bench_function("regressor_fit_n1000", |b| {
        b.iter(|| {
            let mut reg = XgbRegressor::new(XgbParams::naslib());
            reg.fit(black_box(&x_train), black_box(&y), 0).unwrap();
            reg
        })
    });

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
