//! Learning-curve predictors on real NAS-Bench-NLP (WikiText-2) curves.

use naspred_data::shared::load_nlp;
use naspred_data::{Benchmark, CurveMetric, DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::protocol::inputs;
use naspred_eval::{Context, Predictor, PredictorRng};
use naspred_lcurve::{EarlyStopping, LcSvr, Lce, LceM, Sotl};
use naspred_spaces::{Quirks, SpaceKind};
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn nlp() -> Benchmark {
    load_nlp(&DataRoot::resolve(None)).expect("NAS-Bench-NLP data (data/nlp, or NASPRED_DATA)")
}

fn ctx<'a>(rng: &'a mut PredictorRng, fidelity: u32) -> Context<'a> {
    Context {
        space: SpaceKind::Nlp,
        dataset: Dataset::Wikitext2,
        fidelity: Some(fidelity),
        total_epochs: 50,
        unlabeled: &[],
        rng,
    }
}

#[test]
fn sotl_family_equals_hand_computed_sums_on_a_real_curve() {
    let bench = nlp();
    let mut p = Sotl::sum();
    let x = inputs(&bench, &[0], &p.requirements(), Some(3)).unwrap();
    // The first OK run of the log file: train losses of epochs 1-3.
    assert_eq!(
        x[0].curve(CurveMetric::TrainLoss).unwrap(),
        &[5.754718696136168, 5.494717603897348, 5.353409206525902]
    );
    let mut rng = PredictorRng::seed_from_u64(0);
    let s =
        |p: &mut dyn Predictor, rng: &mut PredictorRng| p.query(&x, &mut ctx(rng, 3)).unwrap()[0];
    // 5.754718696136168 + 5.494717603897348 + 5.353409206525902
    assert!((s(&mut p, &mut rng) + 16.60284550655942).abs() < 1e-12);
    assert_eq!(s(&mut Sotl::last_epoch(), &mut rng), -5.353409206525902);
    // e1 = .01 * 5.7547... + .99 * 5.4947... = 5.497317614819735,
    // e2 = .01 * e1 + .99 * 5.3534... = 5.354848290608841.
    assert!((s(&mut Sotl::ema(), &mut rng) + 16.606884601564744).abs() < 1e-12);
    // Too short for the fidelity: a typed error before any predictor runs.
    assert!(inputs(&bench, &[0], &p.requirements(), Some(51)).is_err());
}

/// Train / test split of the 341 architectures for one seed.
fn split(bench: &Benchmark, seed: u64, n_train: usize, n_test: usize) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..bench.records().len()).collect();
    idx.shuffle(&mut PredictorRng::seed_from_u64(seed));
    (
        idx[..n_train].to_vec(),
        idx[n_train..n_train + n_test].to_vec(),
    )
}

fn tau(bench: &Benchmark, p: &mut dyn Predictor, seed: u64, fidelity: u32, n_train: usize) -> f64 {
    let (tr, te) = split(bench, seed, n_train, 100);
    let reqs = p.requirements();
    let xtr = inputs(bench, &tr, &reqs, Some(fidelity)).unwrap();
    let xte = inputs(bench, &te, &reqs, Some(fidelity)).unwrap();
    let ytr: Vec<f64> = tr
        .iter()
        .map(|&i| bench.records()[i].mean_val_acc())
        .collect();
    let yte: Vec<f64> = te
        .iter()
        .map(|&i| bench.records()[i].mean_val_acc())
        .collect();
    let mut rng = PredictorRng::seed_from_u64(seed);
    p.fit(&xtr, &ytr, &mut ctx(&mut rng, fidelity)).unwrap();
    let pred = p.query(&xte, &mut ctx(&mut rng, fidelity)).unwrap();
    kendall_tau_b(&yte, &pred)
}

#[test]
fn lcsvr_beats_valacc_at_fidelity_10() {
    // NASLib draws 1000 configurations; 200 keep the test short (the CLI runs use 1000).
    let bench = nlp();
    let (mut sum_svr, mut sum_es) = (0.0, 0.0);
    for seed in 0..3 {
        sum_svr += tau(&bench, &mut LcSvr::new(200), seed, 10, 100);
        sum_es += tau(&bench, &mut EarlyStopping::val_acc(), seed, 10, 100);
    }
    let (svr, es) = (sum_svr / 3.0, sum_es / 3.0);
    assert!(es > 0.5, "valacc tau {es}");
    assert!(svr > es, "lcsvr tau {svr} vs valacc {es}");
}

#[test]
fn lce_and_lce_m_rank_real_curves() {
    // 20 test architectures at fidelity 20: deterministic per seed, better than chance; LCE-m
    // clearly so (LCE's equal-weight ensemble of poorly fitting families ranks weakly).
    let bench = nlp();
    let (_, te) = split(&bench, 5, 0, 20);
    let y: Vec<f64> = te
        .iter()
        .map(|&i| bench.records()[i].mean_val_acc())
        .collect();
    for (p, min_tau) in [
        (&mut Lce::new(Quirks::Faithful) as &mut dyn Predictor, 0.0),
        (&mut Lce::default(), 0.5),
        (&mut LceM::default(), 0.5),
    ] {
        let x = inputs(&bench, &te, &p.requirements(), Some(20)).unwrap();
        let mut rng = PredictorRng::seed_from_u64(1);
        let a = p.query(&x, &mut ctx(&mut rng, 20)).unwrap();
        let mut rng = PredictorRng::seed_from_u64(1);
        let b = p.query(&x, &mut ctx(&mut rng, 20)).unwrap();
        assert_eq!(a, b, "{} not deterministic per seed", p.key());
        let t = kendall_tau_b(&y, &a);
        let es: Vec<f64> = x
            .iter()
            .map(|a| *a.curve(CurveMetric::ValAcc).unwrap().last().unwrap())
            .collect();
        let es = kendall_tau_b(&y, &es);
        eprintln!("{}: tau {t} (valacc {es})", p.key());
        assert!(t > min_tau, "{}: tau {t}", p.key());
    }
}
