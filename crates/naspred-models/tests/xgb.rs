//! Tests of the XGBoost regressor and the `xgb` predictor, including its ranking quality on
//! NAS-Bench-201 CIFAR-10 (the repository's `data/`, or `NASPRED_DATA`).

use std::time::Instant;

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::hpo::TunableParams;
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::predictor::{
    ArchInput, Context, Family, Predictor, PredictorError, PredictorRng,
};
use naspred_models::{
    FeatureMatrix, ModelInputError, TabularModel, TabularParams, UnknownTreeMethod, XgbError,
    XgbParams, XgbPredictor, XgbRegressor, XgbTreeMethod,
};
use naspred_spaces::{AnyArch, EncodingKind, SpaceKind};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A small synthetic problem: y = 3 x0 - 2 x1 + x2 x3 over 0/1 features.
fn synthetic(n: usize, seed: u64) -> (FeatureMatrix, Vec<f64>) {
    let mut rng = PredictorRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let r: Vec<f32> = (0..6)
            .map(|_| f32::from(u8::from(rng.random_bool(0.5))))
            .collect();
        y.push(80.0 + 3.0 * f64::from(r[0]) - 2.0 * f64::from(r[1]) + f64::from(r[2] * r[3]));
        rows.push(r);
    }
    (FeatureMatrix::from_rows(&rows).unwrap(), y)
}

fn small_params() -> XgbParams {
    XgbParams {
        num_boost_round: 50,
        ..XgbParams::naslib()
    }
}

#[test]
fn regressor_fits_a_synthetic_function() {
    let (x, y) = synthetic(200, 1);
    let mut reg = XgbRegressor::new(small_params());
    assert!(!reg.is_fitted());
    reg.fit(&x, &y, 0).unwrap();
    let (mean, std) = reg.target_scaling().unwrap();
    let n = y.len() as f64;
    let m = y.iter().sum::<f64>() / n;
    let s = (y.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
    assert!((mean - m).abs() < 1e-9 && (std - s).abs() < 1e-9);
    let p = reg.predict(&x).unwrap();
    let mae = p.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
    assert!(mae < 0.05, "training MAE {mae}");
    let (xt, yt) = synthetic(100, 2);
    let pt = reg.predict(&xt).unwrap();
    assert!(kendall_tau_b(&yt, &pt) > 0.9);
}

#[test]
fn zero_and_nan_features() {
    // Zeros are present values (as in Python's `xgb.DMatrix(X)`), NaN is missing.
    let x = FeatureMatrix::from_rows(&[[0.0f32], [1.0], [0.0], [1.0]]).unwrap();
    let y = [10.0, 20.0, 10.0, 20.0];
    let mut reg = XgbRegressor::new(small_params());
    reg.fit(&x, &y, 0).unwrap();
    let p = reg.predict(&x).unwrap();
    assert!(
        (p[0] - 10.0).abs() < 0.1 && (p[1] - 20.0).abs() < 0.1,
        "{p:?}"
    );
    // NaN is missing: prediction follows the learnt default direction, whatever it is.
    let q = reg
        .predict(&FeatureMatrix::from_rows(&[[f32::NAN]]).unwrap())
        .unwrap();
    assert!(q[0].is_finite());
}

#[test]
fn fits_are_deterministic_and_seeded() {
    let (x, y) = synthetic(150, 3);
    let run = |params: XgbParams, seed| {
        let mut reg = XgbRegressor::new(params);
        reg.fit(&x, &y, seed).unwrap();
        reg.predict(&x).unwrap()
    };
    assert_eq!(run(small_params(), 7), run(small_params(), 7));
    // Defaults involve no sampling: the seed does not matter.
    assert_eq!(run(small_params(), 7), run(small_params(), 8));
    let sub = XgbParams {
        colsample_bytree: 0.5,
        colsample_bylevel: 0.5,
        ..small_params()
    };
    assert_eq!(run(sub.clone(), 7), run(sub.clone(), 7));
    assert_ne!(run(sub.clone(), 7), run(sub, 8));
}

#[test]
fn constant_targets_predict_the_constant() {
    let (x, _) = synthetic(20, 4);
    let y = vec![42.5; 20];
    let mut reg = XgbRegressor::new(small_params());
    reg.fit(&x, &y, 0).unwrap();
    assert_eq!(reg.target_scaling(), Some((42.5, 1.0)));
    for p in reg.predict(&x).unwrap() {
        assert!((p - 42.5).abs() < 1e-6);
    }
}

#[test]
fn typed_errors() {
    let (x, y) = synthetic(10, 5);
    let mut reg = XgbRegressor::new(small_params());
    assert_eq!(reg.predict(&x).unwrap_err(), XgbError::NotFitted);
    assert_eq!(
        reg.fit(&x, &y[..9], 0).unwrap_err(),
        XgbError::Data(ModelInputError::LengthMismatch {
            rows: 10,
            targets: 9
        })
    );
    assert_eq!(
        reg.fit(&x, &[], 0).unwrap_err(),
        XgbError::Data(ModelInputError::EmptyTrainingSet)
    );
    let mut bad = y.clone();
    bad[3] = f64::NAN;
    assert!(matches!(
        reg.fit(&x, &bad, 0).unwrap_err(),
        XgbError::Data(ModelInputError::NonFiniteTarget { index: 3, .. })
    ));
    bad[3] = f64::INFINITY;
    assert!(matches!(
        reg.fit(&x, &bad, 0).unwrap_err(),
        XgbError::Data(ModelInputError::NonFiniteTarget { index: 3, .. })
    ));
    let empty_cols = FeatureMatrix::from_row_major(Vec::new(), 10, 0).unwrap();
    assert_eq!(
        reg.fit(&empty_cols, &y, 0).unwrap_err(),
        XgbError::Data(ModelInputError::NoFeatures)
    );
    for p in [
        XgbParams {
            colsample_bytree: 0.0,
            ..small_params()
        },
        XgbParams {
            colsample_bylevel: 1.5,
            ..small_params()
        },
        XgbParams {
            learning_rate: f64::NAN,
            ..small_params()
        },
        XgbParams {
            num_boost_round: 0,
            ..small_params()
        },
        XgbParams {
            base_score: f64::NAN,
            ..small_params()
        },
    ] {
        let mut r = XgbRegressor::new(p);
        assert!(matches!(
            r.fit(&x, &y, 0).unwrap_err(),
            XgbError::Hyperparam(_)
        ));
    }
    reg.fit(&x, &y, 0).unwrap();
    let narrow = FeatureMatrix::from_rows(&[[0.0f32; 3]]).unwrap();
    assert_eq!(
        reg.predict(&narrow).unwrap_err(),
        XgbError::Data(ModelInputError::FeatureCount {
            expected: 6,
            got: 3
        })
    );
    // A failed fit forgets the old model.
    assert!(reg.fit(&x, &bad, 0).is_err());
    assert!(!reg.is_fitted());
}

#[test]
fn tree_methods_by_name() {
    assert_eq!(XgbParams::naslib().tree_method, XgbTreeMethod::Hist);
    assert_eq!(XgbParams::naslib().base_score, 0.0);
    let old = XgbParams::xgboost_1_6();
    assert_eq!(
        (old.tree_method, old.base_score),
        (XgbTreeMethod::Auto, 0.5)
    );
    for m in XgbTreeMethod::ALL {
        assert_eq!(m.to_string().parse::<XgbTreeMethod>(), Ok(m));
    }
    let err = "gpu_hist".parse::<XgbTreeMethod>().unwrap_err();
    assert_eq!(err, UnknownTreeMethod("gpu_hist".into()));
    assert!(err.to_string().contains("gpu_hist"));
}

#[test]
fn every_tree_method_learns_the_same_partition_of_binary_features() {
    // On 0/1 features every method has the same split candidates, so the fitted functions
    // agree up to float rounding; the base score only shifts where boosting starts.
    let (x, y) = synthetic(300, 6);
    let (xt, _) = synthetic(100, 7);
    let fit = |tree_method, base_score| {
        let mut reg = XgbRegressor::new(XgbParams {
            tree_method,
            base_score,
            ..small_params()
        });
        reg.fit(&x, &y, 0).unwrap();
        reg.predict(&xt).unwrap()
    };
    let hist = fit(XgbTreeMethod::Hist, 0.0);
    for (m, base) in [
        (XgbTreeMethod::Exact, 0.0),
        (XgbTreeMethod::Approx, 0.0),
        (XgbTreeMethod::Auto, 0.0),
        (XgbTreeMethod::Exact, 0.5),
    ] {
        let other = fit(m, base);
        let worst = hist
            .iter()
            .zip(&other)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 0.01, "{m} (base {base}): max difference {worst}");
    }
}

#[test]
fn xgboost_errors_surface_typed() {
    // Infinite features are rejected by XGBoost itself.
    let x = FeatureMatrix::from_rows(&[[0.0f32], [f32::INFINITY]]).unwrap();
    let mut reg = XgbRegressor::new(small_params());
    match reg.fit(&x, &[1.0, 2.0], 0) {
        Err(XgbError::Xgboost(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected an XGBoost error, got {other:?}"),
    }
}

#[test]
fn hpo_sampler_ranges() {
    let mut rng = PredictorRng::seed_from_u64(11);
    let base = XgbParams::naslib();
    let mut depths = std::collections::BTreeSet::new();
    for _ in 0..2000 {
        let p = base.sample(&mut rng);
        assert!((1..=14).contains(&p.max_depth));
        assert!((1.0..=9.0).contains(&p.min_child_weight) && p.min_child_weight.fract() == 0.0);
        assert!(p.colsample_bytree > 0.0 && p.colsample_bytree <= 1.0);
        assert!(p.colsample_bylevel > 0.0 && p.colsample_bylevel <= 1.0);
        assert!((1e-3..=0.5).contains(&p.learning_rate));
        assert_eq!((p.num_boost_round, p.nthread), (500, 1));
        p.validate().unwrap();
        depths.insert(p.max_depth);
    }
    assert_eq!(depths.len(), 14);
}

fn nb201(s: &str) -> ArchInput {
    ArchInput::bare(AnyArch::parse(SpaceKind::Nb201, s).unwrap())
}

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

#[test]
fn predictor_interface() {
    let mut p = XgbPredictor::new();
    assert_eq!(p.key(), "xgb");
    let req = p.requirements();
    assert_eq!(req.family, Family::ModelBased);
    assert!(req.trains && !req.hpo && req.curves.is_empty());
    assert_eq!(p.encoding(), EncodingKind::AdjacencyOneHot);

    let defaults = XgbParams::naslib().to_hyperparams();
    assert_eq!(p.hyperparams(), defaults);
    assert_eq!(defaults["max_depth"], 6.0);
    assert_eq!(defaults["learning_rate"], 0.3);

    let mut rng = PredictorRng::seed_from_u64(0);
    let t = p.tuning().unwrap();
    t.draw(&mut rng);
    assert_eq!(t.hyperparams(), defaults, "first draw keeps the defaults");
    t.draw(&mut rng);
    let drawn = t.hyperparams();
    assert_ne!(drawn, defaults);
    t.reset();
    assert_eq!(t.hyperparams(), defaults);
    t.apply(&drawn).unwrap();
    assert_eq!(p.hyperparams(), drawn);
    p.tuning().unwrap().reset();

    let archs = [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|",
        "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
    ];
    let train: Vec<ArchInput> = archs.iter().map(|s| nb201(s)).collect();
    let y = [94.0, 10.0, 90.0, 70.0];

    assert!(matches!(
        p.query(&train, &mut ctx(&mut rng)),
        Err(PredictorError::NotFitted { .. })
    ));
    assert!(matches!(
        p.fit(&train, &y[..3], &mut ctx(&mut rng)),
        Err(PredictorError::Fit { .. })
    ));
    assert!(matches!(
        p.fit(&[], &[], &mut ctx(&mut rng)),
        Err(PredictorError::Fit { .. })
    ));
    assert!(matches!(
        p.fit(&train, &[94.0, f64::NAN, 90.0, 70.0], &mut ctx(&mut rng)),
        Err(PredictorError::Fit { .. })
    ));

    p.fit(&train, &y, &mut ctx(&mut rng)).unwrap();
    let pred = p.query(&train, &mut ctx(&mut rng)).unwrap();
    assert_eq!(pred.len(), 4);
    assert!(kendall_tau_b(&y, &pred) > 0.99, "{pred:?}");
    assert!(p.query(&[], &mut ctx(&mut rng)).unwrap().is_empty());

    // Another encoding: path (155 features on NB201).
    let mut q = XgbPredictor::new()
        .with_encoding(EncodingKind::Path)
        .with_key("xgb_path");
    assert_eq!(q.key(), "xgb_path");
    q.fit(&train, &y, &mut ctx(&mut rng)).unwrap();
    assert_eq!(q.query(&train, &mut ctx(&mut rng)).unwrap().len(), 4);
}

/// NB201 CIFAR-10 table (data root: `NASPRED_DATA`, else the repository's `data/`):
/// (architecture, mean validation accuracy over the available seeds).
fn load_nb201_cifar10() -> Vec<(AnyArch, f64)> {
    let root = DataRoot::resolve(None);
    let bench = load_nb201(&root, Dataset::Cifar10).unwrap();
    let out: Vec<(AnyArch, f64)> = bench
        .records()
        .iter()
        .map(|r| (r.arch.clone(), r.mean_val_acc()))
        .collect();
    assert_eq!(out.len(), 15625);
    out
}

/// Kendall tau of `xgb` on NB201 CIFAR-10: 200 uniform test architectures and nested prefixes of
/// 1000 disjoint uniform training architectures, 5 seeds. NASLib's xgb reaches 0.470 / 0.664 /
/// 0.735 at n = 100 / 500 / 1000; the requirement is a mean >= 0.70 at n = 1000.
#[test]
fn nb201_cifar10_kendall_tau() {
    let table = load_nb201_cifar10();
    let sizes = [100usize, 500, 1000];
    // 10 trials: the mean is 0.711 here (0.714 over 20), and 5 trials left it 0.002 above the
    // bar. `NASPRED_XGB_SEEDS` changes the number of trials.
    let seeds: u64 = std::env::var("NASPRED_XGB_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut taus = vec![0.0; sizes.len()];
    let mut fit_s = vec![0.0; sizes.len()];
    for seed in 0..seeds {
        let mut data_rng = PredictorRng::seed_from_u64(1000 + seed);
        let mut idx: Vec<usize> = (0..table.len()).collect();
        idx.shuffle(&mut data_rng);
        let test: Vec<ArchInput> = idx[..200]
            .iter()
            .map(|&i| ArchInput::bare(table[i].0.clone()))
            .collect();
        let y_test: Vec<f64> = idx[..200].iter().map(|&i| table[i].1).collect();
        let train_idx = &idx[200..1200];
        let train: Vec<ArchInput> = train_idx
            .iter()
            .map(|&i| ArchInput::bare(table[i].0.clone()))
            .collect();
        let y_train: Vec<f64> = train_idx.iter().map(|&i| table[i].1).collect();
        let mut rng = PredictorRng::seed_from_u64(seed);
        for (k, &n) in sizes.iter().enumerate() {
            let mut p = XgbPredictor::new();
            p.tuning().unwrap().reset();
            let t = Instant::now();
            p.fit(&train[..n], &y_train[..n], &mut ctx(&mut rng))
                .unwrap();
            fit_s[k] += t.elapsed().as_secs_f64();
            let pred = p.query(&test, &mut ctx(&mut rng)).unwrap();
            let tau = kendall_tau_b(&y_test, &pred);
            eprintln!("seed {seed} n {n}: tau {tau:.4}");
            taus[k] += tau;
        }
    }
    for (k, &n) in sizes.iter().enumerate() {
        eprintln!(
            "n = {n}: mean Kendall tau {:.4}, mean fit {:.3} s",
            taus[k] / seeds as f64,
            fit_s[k] / seeds as f64
        );
    }
    let tau_1000 = taus[2] / seeds as f64;
    assert!(tau_1000 >= 0.70, "mean Kendall tau at n = 1000: {tau_1000}");
    assert!(
        taus[0] < taus[1] && taus[1] < taus[2],
        "tau should grow with n: {taus:?}"
    );
}
