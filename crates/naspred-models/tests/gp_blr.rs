//! Tests of the Gaussian-process (`gp`, `sparse_gp`, `var_sparse_gp`) and Bayesian linear
//! regression (`bayes_lin_reg`) predictors: ranking quality and calibration on NAS-Bench-201
//! CIFAR-10 (the repository's `data/`, or `NASPRED_DATA`), the path-encoding
//! ablations and degenerate training sets.

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::calibration::Calibration;
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorError, PredictorRng};
use naspred_models::{BlrMode, BlrPredictor, GpPredictor};
use naspred_spaces::{AnyArch, EncodingKind, SpaceKind};
use rand::seq::SliceRandom;
use rand::SeedableRng;

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

fn all() -> Vec<Box<dyn Predictor>> {
    vec![
        Box::new(GpPredictor::gp()),
        Box::new(GpPredictor::gp_prior_draw()),
        Box::new(GpPredictor::sparse_gp()),
        Box::new(GpPredictor::var_sparse_gp()),
        Box::new(BlrPredictor::new(BlrMode::Faithful)),
        Box::new(BlrPredictor::new(BlrMode::Fixed)),
    ]
}

/// NB201 CIFAR-10 table (data root: `NASPRED_DATA`, else the repository's `data/`):
/// (architecture, mean validation accuracy over the available seeds).
fn nb201_table() -> Vec<(AnyArch, f64)> {
    let root = DataRoot::resolve(None);
    let bench = load_nb201(&root, Dataset::Cifar10).unwrap();
    bench
        .records()
        .iter()
        .map(|r| (r.arch.clone(), r.mean_val_acc()))
        .collect()
}

/// Every predictor at n = 200 (2 seeds, 200 uniform test architectures) ranks far better than
/// chance (random scores have tau ~ 0 +- 0.05 here) and returns finite, calibrated-looking
/// uncertainties. NASLib's taus at n = 100 / 500: gp 0.479 / 0.566, sparse_gp 0.447 / 0.481,
/// bayes_lin_reg 0.397 / 0.483.
#[test]
fn nb201_cifar10_quality_and_calibration() {
    let table = nb201_table();
    let names = [
        "gp",
        "gp_prior_draw",
        "sparse_gp",
        "var_sparse_gp",
        "bayes_lin_reg",
        "bayes_lin_reg_fixed",
    ];
    let floors = [0.40, 0.25, 0.35, 0.35, 0.30, 0.30];
    let seeds = 2u64;
    let mut taus = vec![0.0; names.len()];
    for seed in 0..seeds {
        let mut data_rng = PredictorRng::seed_from_u64(500 + seed);
        let mut idx: Vec<usize> = (0..table.len()).collect();
        idx.shuffle(&mut data_rng);
        let input = |i: &usize| ArchInput::bare(table[*i].0.clone());
        let test: Vec<ArchInput> = idx[..200].iter().map(input).collect();
        let y_test: Vec<f64> = idx[..200].iter().map(|&i| table[i].1).collect();
        let train: Vec<ArchInput> = idx[200..400].iter().map(input).collect();
        let y_train: Vec<f64> = idx[200..400].iter().map(|&i| table[i].1).collect();
        for (k, mut p) in all().into_iter().enumerate() {
            let mut rng = PredictorRng::seed_from_u64(seed);
            p.fit(&train, &y_train, &mut ctx(&mut rng)).unwrap();
            let pred = p.query_dist(&test, &mut ctx(&mut rng)).unwrap();
            let std = pred
                .std
                .as_ref()
                .expect("probabilistic predictor has a std");
            assert_eq!((pred.mean.len(), std.len()), (200, 200));
            assert!(
                std.iter().all(|s| s.is_finite() && *s > 0.0),
                "{}",
                names[k]
            );
            let cal = Calibration::compute(&y_test, &pred.mean, std)
                .unwrap_or_else(|| panic!("{}: calibration undefined", names[k]));
            assert!(cal.nll.is_finite(), "{}: {cal:?}", names[k]);
            if names[k] != "bayes_lin_reg" && names[k] != "gp_prior_draw" {
                // Non-quirky uncertainties cover a sensible share of the truths.
                assert!(cal.coverage_95 > 0.5, "{}: {cal:?}", names[k]);
            }
            taus[k] += kendall_tau_b(&y_test, &pred.mean) / seeds as f64;
        }
    }
    for (k, name) in names.iter().enumerate() {
        eprintln!("{name}: mean tau {:.3} at n = 200", taus[k]);
        assert!(
            taus[k] > floors[k],
            "{name}: tau {:.3} <= {}",
            taus[k],
            floors[k]
        );
    }
}

fn nb201(s: &str) -> ArchInput {
    ArchInput::bare(AnyArch::parse(SpaceKind::Nb201, s).unwrap())
}

const ARCHS: [&str; 4] = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|",
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
];

fn finite(p: &naspred_eval::predictor::Prediction) -> bool {
    p.mean.iter().all(|v| v.is_finite())
        && p.std
            .as_ref()
            .unwrap()
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0)
}

#[test]
fn degenerate_training_sets_never_give_nan() {
    let archs: Vec<ArchInput> = ARCHS.iter().map(|s| nb201(s)).collect();
    let mut rng = PredictorRng::seed_from_u64(3);
    let cases: Vec<(Vec<ArchInput>, Vec<f64>, &str)> = vec![
        (archs[..1].to_vec(), vec![91.0], "one architecture"),
        (archs[..2].to_vec(), vec![91.0, 50.0], "two architectures"),
        (archs.clone(), vec![88.0; 4], "all targets equal"),
        (
            vec![
                archs[0].clone(),
                archs[0].clone(),
                archs[0].clone(),
                archs[2].clone(),
            ],
            vec![90.0, 90.5, 89.5, 70.0],
            "duplicated rows",
        ),
        (
            std::iter::repeat_n(archs[1].clone(), 30).collect(),
            vec![10.0; 30],
            "one row repeated, constant target",
        ),
    ];
    for (train, y, what) in &cases {
        for mut p in all() {
            p.fit(train, y, &mut ctx(&mut rng))
                .unwrap_or_else(|e| panic!("{} on {what}: {e}", p.key()));
            let pred = p.query_dist(&archs, &mut ctx(&mut rng)).unwrap();
            assert!(finite(&pred), "{} on {what}: {pred:?}", p.key());
            if what.contains("equal") || what.contains("constant") {
                for m in &pred.mean {
                    assert!(
                        (m - y[0]).abs() < 1e-6 * y[0].abs().max(1.0)
                            || p.key().starts_with("bayes"),
                        "{} on {what}: {m}",
                        p.key()
                    );
                }
            }
        }
    }
}

#[test]
fn typed_errors_on_bad_input() {
    let archs: Vec<ArchInput> = ARCHS.iter().map(|s| nb201(s)).collect();
    let mut rng = PredictorRng::seed_from_u64(0);
    for mut p in all() {
        assert!(matches!(
            p.query_dist(&archs, &mut ctx(&mut rng)),
            Err(PredictorError::NotFitted { .. })
        ));
        assert!(matches!(
            p.fit(&archs, &[1.0, 2.0], &mut ctx(&mut rng)),
            Err(PredictorError::Fit { .. })
        ));
        assert!(matches!(
            p.fit(&[], &[], &mut ctx(&mut rng)),
            Err(PredictorError::Fit { .. })
        ));
        let err = p
            .fit(&archs, &[90.0, f64::NAN, 80.0, 70.0], &mut ctx(&mut rng))
            .unwrap_err();
        // The record text: the message and its sources.
        let text = naspred_eval::error_chain(&err);
        assert!(text.contains("target 1"), "{text}");
        p.fit(&archs, &[94.0, 10.0, 90.0, 70.0], &mut ctx(&mut rng))
            .unwrap();
        let empty = p.query_dist(&[], &mut ctx(&mut rng)).unwrap();
        assert!(empty.mean.is_empty());
    }
}

#[test]
fn path_encoding_ablations() {
    let archs: Vec<ArchInput> = ARCHS.iter().map(|s| nb201(s)).collect();
    let y = [94.0, 10.0, 90.0, 70.0];
    let mut rng = PredictorRng::seed_from_u64(0);
    let mut gp = GpPredictor::gp()
        .with_encoding(EncodingKind::Path)
        .with_key("gp_path");
    let mut blr = BlrPredictor::new(BlrMode::Faithful)
        .with_encoding(EncodingKind::Path)
        .with_key("bayes_lin_reg_path");
    for p in [&mut gp as &mut dyn Predictor, &mut blr] {
        p.fit(&archs, &y, &mut ctx(&mut rng)).unwrap();
        let pred = p.query_dist(&archs, &mut ctx(&mut rng)).unwrap();
        assert!(finite(&pred), "{}: {pred:?}", p.key());
        assert_eq!(pred.mean.len(), 4);
    }
    // The GP interpolates its four training points in the right order (pybnn's faithful BLR
    // shrinks everything to ~0 at n = 4, which is NASLib's behaviour).
    let pred = gp.query_dist(&archs, &mut ctx(&mut rng)).unwrap();
    assert!(kendall_tau_b(&y, &pred.mean) > 0.6, "gp_path: {pred:?}");
    {}
    assert_eq!(gp.encoding(), EncodingKind::Path);
}

#[test]
fn fits_are_deterministic_given_the_rng() {
    let archs: Vec<ArchInput> = ARCHS.iter().map(|s| nb201(s)).collect();
    let y = [94.0, 10.0, 90.0, 70.0];
    for build in [
        || Box::new(GpPredictor::gp_prior_draw()) as Box<dyn Predictor>,
        || Box::new(BlrPredictor::new(BlrMode::Faithful)) as Box<dyn Predictor>,
        || Box::new(GpPredictor::sparse_gp()) as Box<dyn Predictor>,
    ] {
        let run = |seed| {
            let mut rng = PredictorRng::seed_from_u64(seed);
            let mut p = build();
            p.fit(&archs, &y, &mut ctx(&mut rng)).unwrap();
            p.query_dist(&archs, &mut ctx(&mut rng)).unwrap()
        };
        assert_eq!(run(5), run(5));
    }
}
