//! The typed hyperparameter contract of every predictor with NASLib's HPO (`xgb`, `lgb`,
//! `ngb`, `rf`, `mlp`, `bananas`, `gcn`, `bonas`): draws bit-identical to the samplers before
//! the contract (golden values recorded from the previous implementation), NASLib's
//! defaults-first rule, round trips, and rejection of unknown names and bad values.

use naspred_data::Dataset;
use naspred_eval::hpo::{HpError, Tunable, TunableParams};
use naspred_eval::predictor::{ArchInput, Context, Hyperparams, Predictor, PredictorRng};
use naspred_models::neural::bonas::BonasParams;
use naspred_models::neural::gcn::GcnParams;
use naspred_models::neural::mlp::MlpParams;
use naspred_models::{
    BananasPredictor, BonasPredictor, GcnPredictor, LgbParams, LgbPredictor, MlpPredictor,
    NgbParams, NgbPredictor, RfParams, RfPredictor, TabularModel, TabularParams, XgbParams,
    XgbPredictor,
};
use naspred_spaces::{AnyArch, SpaceKind};
use rand::SeedableRng;

/// Four draws after a reset from seed 42 per predictor (`f64` bits), recorded with the
/// samplers as they were before the typed contract (`set_random_hyperparams`).
#[rustfmt::skip]
const GOLDEN: &[(&str, &[(&str, u64)])] = &[
    ("xgb", &[("colsample_bylevel", 0x3ff0000000000000), ("colsample_bytree", 0x3ff0000000000000), ("learning_rate", 0x3fd3333333333333), ("max_depth", 0x4018000000000000), ("min_child_weight", 0x3ff0000000000000)]),
    ("xgb", &[("colsample_bylevel", 0x3fd7d95341a9fa68), ("colsample_bytree", 0x3fa9758073b50ce0), ("learning_rate", 0x3f8d2fc6c0828c35), ("max_depth", 0x4010000000000000), ("min_child_weight", 0x401c000000000000)]),
    ("xgb", &[("colsample_bylevel", 0x3fc91ab2796af6ec), ("colsample_bytree", 0x3feb3389748b7450), ("learning_rate", 0x3f7bc801a8c50f59), ("max_depth", 0x4026000000000000), ("min_child_weight", 0x4008000000000000)]),
    ("xgb", &[("colsample_bylevel", 0x3fb9236d649f17a8), ("colsample_bytree", 0x3fe85d826f85969a), ("learning_rate", 0x3f97e547d497ebf8), ("max_depth", 0x4022000000000000), ("min_child_weight", 0x401c000000000000)]),
    ("lgb", &[("bagging_fraction", 0x3fe999999999999a), ("bagging_freq", 0x4014000000000000), ("feature_fraction", 0x3feccccccccccccd), ("learning_rate", 0x3fa999999999999a), ("min_data_in_leaf", 0x4014000000000000), ("num_leaves", 0x403f000000000000)]),
    ("lgb", &[("bagging_fraction", 0x3fe999999999999a), ("bagging_freq", 0x4014000000000000), ("feature_fraction", 0x3fe9714fcca82afd), ("learning_rate", 0x3f60134ef232dd8b), ("min_data_in_leaf", 0x4014000000000000), ("num_leaves", 0x403e000000000000)]),
    ("lgb", &[("bagging_fraction", 0x3fe999999999999a), ("bagging_freq", 0x4014000000000000), ("feature_fraction", 0x3fd705e3d0c40f68), ("learning_rate", 0x3f92689aabb2750f), ("min_data_in_leaf", 0x4014000000000000), ("num_leaves", 0x4048000000000000)]),
    ("lgb", &[("bagging_fraction", 0x3fe999999999999a), ("bagging_freq", 0x4014000000000000), ("feature_fraction", 0x3fcfbb5f0856afad), ("learning_rate", 0x3f716ffa68618dce), ("min_data_in_leaf", 0x4014000000000000), ("num_leaves", 0x4050c00000000000)]),
    ("ngb", &[("learning_rate", 0x3fb4ce253f10adde), ("max_depth", 0x4018000000000000), ("max_features", 0x3fe9587014ba756f), ("minibatch_frac", 0x3fe0000000000000), ("n_estimators", 0x407f900000000000)]),
    ("ngb", &[("learning_rate", 0x3fb45c50ec41d3bd), ("max_depth", 0x4022000000000000), ("max_features", 0x3fe86e1ab3dede34), ("minibatch_frac", 0x3fdf0662c85faf6c), ("n_estimators", 0x4074900000000000)]),
    ("ngb", &[("learning_rate", 0x3f716ffa68618dce), ("max_depth", 0x4034000000000000), ("max_features", 0x3fe9697687e54a61), ("minibatch_frac", 0x3fcfbb5f0856afad), ("n_estimators", 0x4073700000000000)]),
    ("ngb", &[("learning_rate", 0x3f852353540471e3), ("max_depth", 0x402e000000000000), ("max_features", 0x3fe96de6c591f619), ("minibatch_frac", 0x3fed2c03b17ae6f0), ("n_estimators", 0x4066400000000000)]),
    ("rf", &[("bootstrap", 0x0), ("max_features", 0x3fc5d4dc942857ef), ("min_samples_leaf", 0x4000000000000000), ("min_samples_split", 0x4000000000000000), ("n_estimators", 0x405d000000000000)]),
    ("rf", &[("bootstrap", 0x0), ("max_features", 0x3fc5d4dc942857ef), ("min_samples_leaf", 0x4000000000000000), ("min_samples_split", 0x4000000000000000), ("n_estimators", 0x405d000000000000)]),
    ("rf", &[("bootstrap", 0x0), ("max_features", 0x3fc5d4dc942857ef), ("min_samples_leaf", 0x4000000000000000), ("min_samples_split", 0x4000000000000000), ("n_estimators", 0x405d000000000000)]),
    ("rf", &[("bootstrap", 0x0), ("max_features", 0x3fc5d4dc942857ef), ("min_samples_leaf", 0x4000000000000000), ("min_samples_split", 0x4000000000000000), ("n_estimators", 0x405d000000000000)]),
    ("mlp", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4034000000000000), ("lr", 0x3f50624dd2f1a9fc), ("num_layers", 0x4034000000000000), ("regularization", 0x3fc999999999999a)]),
    ("mlp", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4032000000000000), ("lr", 0x3fb999999999999a), ("num_layers", 0x4022000000000000), ("regularization", 0x3fc999999999999a)]),
    ("mlp", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4034000000000000), ("lr", 0x3f747ae147ae147b), ("num_layers", 0x4038000000000000), ("regularization", 0x3fc999999999999a)]),
    ("mlp", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4031000000000000), ("lr", 0x3f50624dd2f1a9fc), ("num_layers", 0x4026000000000000), ("regularization", 0x3fc999999999999a)]),
    ("bananas", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4034000000000000), ("lr", 0x3f50624dd2f1a9fc), ("num_layers", 0x4034000000000000), ("regularization", 0x3fc999999999999a)]),
    ("bananas", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4032000000000000), ("lr", 0x3fb999999999999a), ("num_layers", 0x4022000000000000), ("regularization", 0x3fc999999999999a)]),
    ("bananas", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4034000000000000), ("lr", 0x3f747ae147ae147b), ("num_layers", 0x4038000000000000), ("regularization", 0x3fc999999999999a)]),
    ("bananas", &[("batch_size", 0x4040000000000000), ("layer_width", 0x4031000000000000), ("lr", 0x3f50624dd2f1a9fc), ("num_layers", 0x4026000000000000), ("regularization", 0x3fc999999999999a)]),
    ("gcn", &[("batch_size", 0x401c000000000000), ("gcn_hidden", 0x4062000000000000), ("lr", 0x3f1a36e2eb1c432d), ("wd", 0x3f33a92a30553261)]),
    ("gcn", &[("batch_size", 0x403d000000000000), ("gcn_hidden", 0x4061600000000000), ("lr", 0x3f40ced7d6692cd0), ("wd", 0x3f6a7989db98f999)]),
    ("gcn", &[("batch_size", 0x4018000000000000), ("gcn_hidden", 0x4056000000000000), ("lr", 0x3f265ecd2f0fbbaf), ("wd", 0x3f90d192c5ffa682)]),
    ("gcn", &[("batch_size", 0x401c000000000000), ("gcn_hidden", 0x4063400000000000), ("lr", 0x3f51742574c042dc), ("wd", 0x3fa4b9746a3c8bfa)]),
    ("bonas", &[("batch_size", 0x4060000000000000), ("gcn_hidden", 0x4050000000000000), ("lr", 0x3f1a36e2eb1c432d)]),
    ("bonas", &[("batch_size", 0x406cc00000000000), ("gcn_hidden", 0x4050800000000000), ("lr", 0x3f40ced7d6692cd0)]),
    ("bonas", &[("batch_size", 0x404d000000000000), ("gcn_hidden", 0x404d000000000000), ("lr", 0x3f04dd47bd61c503)]),
    ("bonas", &[("batch_size", 0x4065400000000000), ("gcn_hidden", 0x403e000000000000), ("lr", 0x3f88e83ee377fe62)]),
];

fn predictors() -> Vec<Box<dyn Predictor>> {
    vec![
        Box::new(XgbPredictor::new()),
        Box::new(LgbPredictor::new()),
        Box::new(NgbPredictor::new()),
        Box::new(RfPredictor::new()),
        Box::new(MlpPredictor::default()),
        Box::new(BananasPredictor::default()),
        Box::new(GcnPredictor::default()),
        Box::new(BonasPredictor::default()),
    ]
}

fn tuning(p: &mut dyn Predictor) -> &mut dyn Tunable {
    let key = p.key().to_string();
    p.tuning()
        .unwrap_or_else(|| panic!("{key} has no tunable state"))
}

fn hp(pairs: &[(&str, f64)]) -> Hyperparams {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn draws_are_bit_identical_to_the_previous_samplers() {
    let mut got = Vec::new();
    for mut p in predictors() {
        let mut rng = PredictorRng::seed_from_u64(42);
        let key = p.key().to_string();
        let t = tuning(p.as_mut());
        t.reset();
        for _ in 0..4 {
            t.draw(&mut rng);
            got.push((key.clone(), t.hyperparams()));
        }
    }
    assert_eq!(got.len(), GOLDEN.len());
    for ((key, h), (gkey, gh)) in got.iter().zip(GOLDEN) {
        assert_eq!(key, gkey);
        let want: Hyperparams = gh
            .iter()
            .map(|(k, b)| (k.to_string(), f64::from_bits(*b)))
            .collect();
        assert_eq!(h, &want, "{key}");
    }
}

#[test]
fn first_draw_keeps_the_defaults_and_round_trips_are_the_identity() {
    for mut p in predictors() {
        let key = p.key().to_string();
        let defaults = p.hyperparams();
        let mut rng = PredictorRng::seed_from_u64(7);
        let t = tuning(p.as_mut());
        assert_eq!(t.hyperparams(), defaults, "{key}");
        assert_eq!(
            t.space().names().count(),
            defaults.len(),
            "{key}: reported names are the tunable ones"
        );
        t.draw(&mut rng);
        assert_eq!(t.hyperparams(), defaults, "{key}: first draw");
        for _ in 0..20 {
            t.draw(&mut rng);
            let h = t.hyperparams();
            t.space().validate(&h).unwrap();
            t.apply(&h).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(
                t.hyperparams(),
                h,
                "{key}: apply(hyperparams()) is the identity"
            );
        }
        t.reset();
        assert_eq!(t.hyperparams(), defaults, "{key}: reset");
        t.draw(&mut rng);
        assert_eq!(t.hyperparams(), defaults, "{key}: first draw after a reset");
        let h = t.hyperparams();
        t.apply(&h).unwrap();
        assert_eq!(t.hyperparams(), defaults, "{key}");
        assert_eq!(p.hyperparams(), defaults, "{key}");
    }
}

#[test]
fn unknown_names_and_bad_values_are_rejected_without_change() {
    for mut p in predictors() {
        let key = p.key().to_string();
        let t = tuning(p.as_mut());
        let before = t.hyperparams();
        let e = t.apply(&hp(&[("no_such_param", 1.0)])).unwrap_err();
        assert!(matches!(e, HpError::Unknown { .. }), "{key}: {e}");
        assert!(e.to_string().contains("no_such_param"), "{key}: {e}");
        // Every tunable name: NaN and a value far below its range are refused.
        for name in t.space().names() {
            let e = t.apply(&hp(&[(name, f64::NAN)])).unwrap_err();
            assert!(matches!(e, HpError::NotFinite { .. }), "{key} {name}: {e}");
            let e = t.apply(&hp(&[(name, -1e9)])).unwrap_err();
            assert!(matches!(e, HpError::OutOfRange { .. }), "{key} {name}: {e}");
            assert_eq!(e.name(), name);
        }
        // A valid entry next to a bad one changes nothing.
        let first = t.space().specs()[0].name;
        let e = t
            .apply(&hp(&[(first, before[first]), ("zzz", 0.0)]))
            .unwrap_err();
        assert!(matches!(e, HpError::Unknown { .. }), "{key}");
        assert_eq!(t.hyperparams(), before, "{key}");
    }
}

#[test]
fn neural_epochs_are_not_a_tunable_name() {
    let mut m = MlpPredictor::default();
    let e = tuning(&mut m).apply(&hp(&[("epochs", 5.0)])).unwrap_err();
    assert!(matches!(e, HpError::Unknown { .. }), "{e}");
}

#[test]
fn a_fractional_batch_size_is_rejected_for_mlp_and_gcn_alike() {
    let mut preds: Vec<Box<dyn Predictor>> = vec![
        Box::new(MlpPredictor::default()),
        Box::new(BananasPredictor::default()),
        Box::new(GcnPredictor::default()),
        Box::new(BonasPredictor::default()),
    ];
    for p in preds.iter_mut() {
        let key = p.key().to_string();
        let t = tuning(p.as_mut());
        let e = t.apply(&hp(&[("batch_size", 6.7)])).unwrap_err();
        assert_eq!(
            e,
            HpError::NotInteger {
                name: "batch_size".into(),
                value: 6.7
            },
            "{key}"
        );
        t.apply(&hp(&[("batch_size", 7.0)])).unwrap();
        assert_eq!(t.hyperparams()["batch_size"], 7.0, "{key}");
    }
}

#[test]
fn out_of_range_values_are_rejected() {
    let mut m = MlpPredictor::default();
    let t = tuning(&mut m);
    for (name, v) in [("lr", 0.0), ("layer_width", 0.0), ("regularization", -0.1)] {
        let e = t.apply(&hp(&[(name, v)])).unwrap_err();
        assert!(matches!(e, HpError::OutOfRange { .. }), "{name}: {e}");
    }
    let mut x = XgbPredictor::new();
    let t = tuning(&mut x);
    for (name, v) in [
        ("colsample_bytree", 0.0),
        ("colsample_bylevel", 1.5),
        ("min_child_weight", -1.0),
    ] {
        let e = t.apply(&hp(&[(name, v)])).unwrap_err();
        assert!(matches!(e, HpError::OutOfRange { .. }), "{name}: {e}");
    }
    let e = t.apply(&hp(&[("max_depth", 6.5)])).unwrap_err();
    assert!(matches!(e, HpError::NotInteger { .. }), "{e}");
    let mut l = LgbPredictor::new();
    let e = tuning(&mut l)
        .apply(&hp(&[("num_leaves", 1.0)]))
        .unwrap_err();
    assert!(matches!(e, HpError::OutOfRange { .. }), "{e}");
    let mut r = RfPredictor::new();
    let t = tuning(&mut r);
    let e = t.apply(&hp(&[("max_features", 2.5)])).unwrap_err();
    assert!(matches!(e, HpError::NotInteger { .. }), "{e}");
    let e = t.apply(&hp(&[("bootstrap", 2.0)])).unwrap_err();
    assert!(matches!(e, HpError::OutOfRange { .. }), "{e}");
    t.apply(&hp(&[("max_features", 3.0), ("bootstrap", 1.0)]))
        .unwrap();
}

#[test]
fn constructors_validate_the_configuration() {
    let bad_mlp = MlpParams {
        lr: -1.0,
        ..MlpParams::default()
    };
    assert!(MlpPredictor::default()
        .with_params(bad_mlp.clone())
        .is_err());
    assert!(BananasPredictor::default().with_params(bad_mlp).is_err());
    assert!(GcnPredictor::default()
        .with_params(GcnParams {
            batch_size: 0,
            ..GcnParams::default()
        })
        .is_err());
    assert!(BonasPredictor::default()
        .with_params(BonasParams {
            gcn_hidden: 0,
            ..BonasParams::default()
        })
        .is_err());
    assert!(XgbPredictor::new()
        .with_params(XgbParams {
            num_boost_round: 0,
            ..XgbParams::naslib()
        })
        .is_err());
    assert!(LgbPredictor::new()
        .with_params(LgbParams {
            feature_fraction: 0.0,
            ..LgbParams::naslib()
        })
        .is_err());
    assert!(NgbPredictor::new()
        .with_params(NgbParams {
            tol: f64::NAN,
            ..NgbParams::naslib()
        })
        .is_err());
    assert!(RfPredictor::new()
        .with_params(RfParams {
            n_estimators: 0,
            ..RfParams::naslib()
        })
        .is_err());
    // Every default configuration is valid, and a custom one is what draws start from and
    // keep its untuned fields.
    XgbParams::naslib().validate().unwrap();
    LgbParams::naslib().validate().unwrap();
    NgbParams::naslib().validate().unwrap();
    NgbParams::naslib_halved_leaves().validate().unwrap();
    RfParams::naslib().validate().unwrap();
    MlpParams::default().validate().unwrap();
    GcnParams::default().validate().unwrap();
    BonasParams::default().validate().unwrap();
    let mut g = GcnPredictor::default()
        .with_params(GcnParams {
            epochs: 3,
            ..GcnParams::default()
        })
        .unwrap();
    let mut rng = PredictorRng::seed_from_u64(1);
    for _ in 0..5 {
        tuning(&mut g).draw(&mut rng);
        assert_eq!(g.params().epochs, 3);
    }
    let mut x = XgbPredictor::new()
        .with_params(XgbParams {
            num_boost_round: 7,
            ..XgbParams::naslib()
        })
        .unwrap();
    for _ in 0..5 {
        tuning(&mut x).draw(&mut rng);
        assert_eq!(x.params().num_boost_round, 7);
    }
}

#[test]
fn a_fit_uses_the_applied_configuration() {
    let train: Vec<ArchInput> = [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|",
    ]
    .iter()
    .map(|s| ArchInput::bare(AnyArch::parse(SpaceKind::Nb201, s).unwrap()))
    .collect();
    let mut p = XgbPredictor::new();
    tuning(&mut p)
        .apply(&hp(&[("max_depth", 2.0), ("learning_rate", 0.1)]))
        .unwrap();
    let mut rng = PredictorRng::seed_from_u64(0);
    let mut ctx = Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled: &[],
        rng: &mut rng,
    };
    p.fit(&train, &[90.0, 80.0, 85.0], &mut ctx).unwrap();
    assert_eq!(p.regressor().params().max_depth, 2);
    assert_eq!(p.regressor().params().learning_rate, 0.1);
    assert_eq!(p.hyperparams()["max_depth"], 2.0);
}
