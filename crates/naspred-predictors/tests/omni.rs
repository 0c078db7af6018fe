//! OMNI on real NAS-Bench-NLP data: fits and queries through the evaluation protocol with
//! SoTL-E and the encoding (no jacov: NLP cells are not built as networks), reports the
//! features it used, and handles degenerate inputs with typed errors.

use naspred_data::{shared, Benchmark, CurveMetric, DataRoot, Dataset};
use naspred_eval::protocol::{inputs, run, EvalConfig, RunOptions};
use naspred_eval::PredictorFactory;
use naspred_eval::{
    ArchInput, Context, Predictor, PredictorError, PredictorRng, Requirements, ResultRecord,
};
use naspred_predictors::omni::{OmniNgb, OmniSeminas};
use naspred_predictors::Registry;
use naspred_spaces::SpaceKind;
use rand::SeedableRng;

fn nlp() -> Benchmark {
    shared::load(&DataRoot::resolve(None), SpaceKind::Nlp, Dataset::Wikitext2)
        .expect("NAS-Bench-NLP data (data/nlp, or NASPRED_DATA)")
}

fn tau(r: &ResultRecord) -> f64 {
    r.metrics.kendalltau
}

#[test]
fn omni_runs_on_nlp_with_sotle_and_reports_its_features() {
    let bench = nlp();
    let cfg = EvalConfig {
        train_sizes: vec![30],
        fidelities: Some(vec![1, 10]),
        test_size: 60,
        trials: 1,
        ..EvalConfig::study_defaults(SpaceKind::Nlp, vec!["omni_ngb".into(), "sotle".into()])
    };
    let records = run(&bench, &cfg, &Registry::default(), &RunOptions::default()).expect("run");
    let get = |k: &str, f: u32| {
        records
            .iter()
            .find(|r| r.predictor == k && r.fidelity == Some(f))
            .unwrap_or_else(|| panic!("no record for {k} at {f}"))
    };
    for f in [1, 10] {
        let r = get("omni_ngb", f);
        assert!(r.error.is_none(), "omni_ngb @ {f}: {:?}", r.error);
        // Without SoTL-E (fidelity 1) 30 one-hot rows may give a constant prediction (tau NaN).
        assert!(f < 3 || tau(r).is_finite(), "omni_ngb @ {f}");
        assert_eq!(r.hyperparams.get("feature_jacov"), Some(&0.0));
        let sotle = if f >= 3 { 1.0 } else { 0.0 };
        assert_eq!(r.hyperparams.get("feature_sotle"), Some(&sotle), "@ {f}");
    }
    // With 10 epochs of training loss OMNI-NGB ranks far better than chance and than itself
    // without the curve feature (SoTL-E alone is strong on NLP).
    let with = tau(get("omni_ngb", 10));
    let without = tau(get("omni_ngb", 1));
    assert!(with > 0.3, "omni_ngb tau at 10 epochs {with}");
    assert!(
        without.is_nan() || with > without,
        "with SoTL-E {with}, without {without}"
    );
    let ngb = get("omni_ngb", 10);
    assert_eq!(ngb.hyperparams.get("n_hypers"), Some(&35.0));
    let nll = ngb.hyperparams["cv_nll"];
    assert!(nll.is_finite(), "cv nll {nll}");

    // OMNI-SemiNAS through the protocol at one fidelity (SoTL-E tokens, no semi phase).
    let cfg = EvalConfig {
        train_sizes: vec![20],
        fidelities: Some(vec![10]),
        test_size: 30,
        ..cfg
    };
    let cfg = EvalConfig {
        predictors: vec!["omni_seminas".into()],
        ..cfg
    };
    let records = run(&bench, &cfg, &Registry::default(), &RunOptions::default()).expect("run");
    let r = &records[0];
    assert!(r.error.is_none(), "omni_seminas: {:?}", r.error);
    assert!(tau(r).is_finite());
    assert_eq!(r.hyperparams.get("feature_sotle"), Some(&1.0));
    assert_eq!(r.hyperparams.get("semi"), Some(&0.0));
    assert_eq!(r.hyperparams.get("sotle_bins"), Some(&3.0));
}

fn nlp_inputs(bench: &Benchmark, n: usize, fidelity: u32) -> Vec<ArchInput> {
    let reqs = Requirements {
        curves: vec![CurveMetric::TrainLoss],
        ..Requirements::model_based()
    };
    let pos: Vec<usize> = (0..n).collect();
    inputs(bench, &pos, &reqs, Some(fidelity)).expect("inputs")
}

#[test]
fn omni_rejects_bad_input_and_survives_degenerate_sets() {
    let bench = nlp();
    let archs = nlp_inputs(&bench, 12, 5);
    let mut rng = PredictorRng::seed_from_u64(0);
    let unlabeled = nlp_inputs(&bench, 24, 5)[12..].to_vec();
    let mut ctx = Context {
        space: SpaceKind::Nlp,
        dataset: Dataset::Wikitext2,
        fidelity: Some(5),
        total_epochs: 50,
        unlabeled: &unlabeled,
        rng: &mut rng,
    };
    let mut preds: Vec<Box<dyn Predictor>> =
        vec![Box::new(OmniNgb::new()), Box::new(OmniSeminas::new())];
    for p in &mut preds {
        let key = p.key().to_string();
        // Query before fit.
        assert!(matches!(
            p.query(&archs, &mut ctx),
            Err(PredictorError::NotFitted { .. })
        ));
        // Empty training set, length mismatch, non-finite target.
        assert!(matches!(
            p.fit(&[], &[], &mut ctx),
            Err(e) if e.is_fit()
        ));
        assert!(matches!(
            p.fit(&archs, &[1.0, 2.0], &mut ctx),
            Err(e) if e.is_fit()
        ));
        let mut y = vec![90.0; archs.len()];
        y[3] = f64::NAN;
        assert!(matches!(
            p.fit(&archs, &y, &mut ctx),
            Err(e) if e.is_fit()
        ));
        // Constant targets: a fit and constant (finite) predictions.
        let y = vec![90.0; archs.len()];
        p.fit(&archs, &y, &mut ctx)
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let q = p.query(&archs, &mut ctx).expect("query");
        assert!(q.iter().all(|v| v.is_finite()), "{key}: {q:?}");
        if key == "omni_ngb" {
            assert!(q.iter().all(|v| (v - 90.0).abs() < 1e-9), "{key}: {q:?}");
        }
        // Fewer training architectures than CV folds, and test curves shorter than the
        // fidelity the model was fitted with.
        let y: Vec<f64> = (0..2).map(|i| 80.0 + i as f64).collect();
        p.fit(&archs[..2], &y, &mut ctx)
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(p.query(&archs, &mut ctx).expect("query").len(), archs.len());
        let short = nlp_inputs(&bench, 4, 2);
        assert!(matches!(
            p.query(&short, &mut ctx),
            Err(PredictorError::MissingInput { .. })
        ));
        assert!(p.query(&[], &mut ctx).expect("empty query").is_empty());
    }
}

#[test]
fn omni_drops_missing_curves_and_search_accepts_it() {
    // NB201's data has no per-epoch training loss: OMNI is planned on train sizes only.
    let bench = naspred_data::embedded::load_default(Dataset::Cifar10).expect("embedded NB201");
    let cfg = EvalConfig {
        train_sizes: vec![10, 20],
        test_size: 10,
        trials: 1,
        ..EvalConfig::study_defaults(SpaceKind::Nb201, vec!["omni_ngb".into()])
    };
    let plan = naspred_eval::protocol::plan(&bench, &cfg, &Registry::default()).expect("plan");
    assert!(plan.predictors[0].reqs.curves.is_empty());
    assert_eq!(plan.predictors[0].points, vec![(10, None), (20, None)]);
    // lcsvr's curve is not optional: the same plan fails for it.
    let cfg = EvalConfig {
        predictors: vec!["sotle".into()],
        ..cfg
    };
    assert!(naspred_eval::protocol::plan(&bench, &cfg, &Registry::default()).is_err());
}

fn nlp_inputs_with(bench: &Benchmark, pos: &[usize], fidelity: u32) -> Vec<ArchInput> {
    let reqs = Requirements {
        curves: vec![CurveMetric::TrainLoss, CurveMetric::ValAcc],
        ..Requirements::model_based()
    };
    inputs(bench, pos, &reqs, Some(fidelity)).expect("inputs")
}

/// `omni_ngb` (fixed) scales a test architecture's SoTL-E with the training statistics, so its
/// prediction does not depend on which other architectures are queried with it; NASLib's
/// `omni_ngb_faithful` z-scores within the test set, so the same architecture's prediction
/// moves with its companions. `omni_ngb_valacc` adds the validation-accuracy feature.
#[test]
fn omni_scaling_fixed_vs_faithful_and_the_valacc_feature() {
    let bench = nlp();
    let train_pos: Vec<usize> = (0..60).collect();
    let train = nlp_inputs_with(&bench, &train_pos, 10);
    let y: Vec<f64> = train_pos
        .iter()
        .map(|&i| bench.records()[i].mean_val_acc())
        .collect();
    // The same first test architecture, once with the next 19 and once with the 19 after those.
    let a = nlp_inputs_with(&bench, &(60..80).collect::<Vec<_>>(), 10);
    let mut b_pos = vec![60];
    b_pos.extend(80..99);
    let b = nlp_inputs_with(&bench, &b_pos, 10);
    let unlabeled: Vec<ArchInput> = Vec::new();
    let first_of = |key: &str, with_valacc: Option<bool>| {
        let mut rng = PredictorRng::seed_from_u64(7);
        let mut ctx = Context {
            space: SpaceKind::Nlp,
            dataset: Dataset::Wikitext2,
            fidelity: Some(10),
            total_epochs: 50,
            unlabeled: &unlabeled,
            rng: &mut rng,
        };
        let mut p = Registry::default()
            .build(key, SpaceKind::Nlp, Dataset::Wikitext2)
            .expect(key);
        p.fit(&train, &y, &mut ctx).expect("fit");
        if let Some(v) = with_valacc {
            let hp = p.hyperparams();
            assert_eq!(hp.contains_key("feature_valacc"), v, "{key}: {hp:?}");
            assert_eq!(hp.get("feature_sotle"), Some(&1.0), "{key}");
        }
        let pa = p.query(&a, &mut ctx).expect("query a");
        let pb = p.query(&b, &mut ctx).expect("query b");
        assert!(pa.iter().chain(&pb).all(|v| v.is_finite()), "{key}");
        (pa[0], pb[0])
    };
    let (fa, fb) = first_of("omni_ngb", Some(false));
    assert_eq!(
        fa, fb,
        "fixed scaling: the prediction is the architecture's own"
    );
    let (qa, qb) = first_of("omni_ngb_faithful", None);
    assert_ne!(
        qa, qb,
        "faithful scaling depends on the rest of the test set"
    );
    let (va, vb) = first_of("omni_ngb_valacc", Some(true));
    assert_eq!(va, vb);
}
