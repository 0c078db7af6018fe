//! The evaluation protocol on real NB201 / NB101 / NLP data: set invariants, determinism,
//! resumability, up-front errors and the quality of the first predictors.

use std::collections::HashSet;

use naspred::Registry;
use naspred_data::{shared, Benchmark, Dataset};
use naspred_eval::metrics::MetricKind;
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, RunOptions};
use naspred_eval::records::{read_records, summarise, ResultRecord};
use naspred_eval::{EvalError, TestSetMode};
use naspred_spaces::SpaceKind;
use naspred_tests::{data_root, temp_dir};

fn nb201() -> Benchmark {
    shared::load_nb201(&data_root(), Dataset::Cifar10).expect("NB201 CIFAR-10 reference data")
}

fn config(predictors: &[&str], train_sizes: &[usize], trials: usize) -> EvalConfig {
    let mut cfg = EvalConfig::study_defaults(
        SpaceKind::Nb201,
        predictors.iter().map(|s| s.to_string()).collect(),
    );
    cfg.train_sizes = train_sizes.to_vec();
    cfg.trials = trials;
    cfg.hpo = HpoConfig {
        enabled: false,
        ..HpoConfig::default()
    };
    cfg
}

fn run(bench: &Benchmark, cfg: &EvalConfig) -> Vec<ResultRecord> {
    protocol::run(bench, cfg, &Registry::default(), &RunOptions::default()).expect("run")
}

fn mean_metric(records: &[ResultRecord], predictor: &str, n: usize, kind: MetricKind) -> f64 {
    let v: Vec<f64> = records
        .iter()
        .filter(|r| r.predictor == predictor && r.train_size == n)
        .map(|r| r.metrics.get(kind))
        .collect();
    assert!(!v.is_empty(), "no records for {predictor} at {n}");
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn trial_sets_are_disjoint_nested_and_shared_by_predictors() {
    let bench = nb201();
    let cfg = config(&["xgb", "valacc"], &[10, 100, 500], 3);
    let plan = protocol::plan(&bench, &cfg, &Registry::default()).unwrap();
    assert_eq!(plan.max_train, 500);
    for trial in 0..3 {
        let a = protocol::trial_sets(&bench, &cfg, &plan, trial).unwrap();
        let b = protocol::trial_sets(&bench, &cfg, &plan, trial).unwrap();
        assert_eq!(a, b, "the same trial draws the same sets");
        assert_eq!(a.test.len(), 200);
        assert_eq!(a.train.len(), 500);
        let hash = |p: &usize| bench.records()[*p].hash;
        let test: HashSet<_> = a.test.iter().map(hash).collect();
        let train: HashSet<_> = a.train.iter().map(hash).collect();
        assert_eq!(test.len(), 200, "test set has no duplicates");
        assert_eq!(train.len(), 500, "train set has no duplicates");
        assert!(test.is_disjoint(&train), "train and test never overlap");
        // A smaller configuration draws a prefix of the same training sequence.
        let small = config(&["xgb"], &[10, 100], 3);
        let small_plan = protocol::plan(&bench, &small, &Registry::default()).unwrap();
        let s = protocol::trial_sets(&bench, &small, &small_plan, trial).unwrap();
        assert_eq!(s.test, a.test);
        assert_eq!(s.train[..], a.train[..100]);
    }
    let t0 = protocol::trial_sets(&bench, &cfg, &plan, 0).unwrap();
    let t1 = protocol::trial_sets(&bench, &cfg, &plan, 1).unwrap();
    assert_ne!(t0.test, t1.test, "trials draw different sets");
}

#[test]
fn mutation_sets_are_adjacent_and_disjoint() {
    let bench = nb201();
    let mut cfg = config(&["xgb"], &[100], 1);
    cfg.test_set = TestSetMode::Mutation;
    let plan = protocol::plan(&bench, &cfg, &Registry::default()).unwrap();
    let s = protocol::trial_sets(&bench, &cfg, &plan, 0).unwrap();
    let arch = |p: usize| match &bench.records()[p].arch {
        naspred_spaces::AnyArch::Nb201(a) => *a,
        _ => unreachable!(),
    };
    let test: Vec<_> = s.test.iter().map(|&p| arch(p)).collect();
    let hashes: HashSet<_> = s.test.iter().map(|&p| bench.records()[p].hash).collect();
    // Every training architecture is one mutation away from some test architecture.
    for &p in &s.train {
        let a = arch(p);
        assert!(!hashes.contains(&bench.records()[p].hash));
        let close = test.iter().any(|t| {
            t.naslib_tuple()
                .iter()
                .zip(a.naslib_tuple().iter())
                .filter(|(x, y)| x != y)
                .count()
                == 1
        });
        assert!(close, "{a} is not a single mutation of a test architecture");
    }
    // The five parents are the best of the seed pool, so the test set is better than uniform.
    let mean = |ps: &[usize]| {
        ps.iter()
            .map(|&p| bench.records()[p].mean_val_acc())
            .sum::<f64>()
            / ps.len() as f64
    };
    let uniform = protocol::trial_sets(&bench, &config(&["xgb"], &[100], 1), &plan, 0).unwrap();
    assert!(mean(&s.test) > mean(&uniform.test));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let bench = nb201();
    let cfg = config(&["xgb", "valacc", "random"], &[20, 50], 4);
    let strip = |mut rs: Vec<ResultRecord>| {
        for r in &mut rs {
            r.fit_time_s = 0.0;
            r.query_time_s = 0.0;
        }
        rs
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| strip(run(&bench, &cfg)));
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap()
        .install(|| strip(run(&bench, &cfg)));
    assert_eq!(one.len(), 4 * (2 + 1 + 1));
    assert_eq!(one, two);
}

#[test]
fn an_interrupted_run_resumes_without_redoing_work() {
    let bench = nb201();
    let cfg = config(&["xgb", "params"], &[20, 40], 3);
    let dir = temp_dir("resume");
    let path = dir.join("results.jsonl");
    let opts = RunOptions {
        results: Some(path.clone()),
        progress: None,
        ..Default::default()
    };
    let full = protocol::run(&bench, &cfg, &Registry::default(), &opts).unwrap();
    assert_eq!(full.len(), 3 * (2 + 1));
    assert_eq!(read_records(&path).unwrap().len(), full.len());
    // Simulate an interruption: keep 4 complete lines and half of the fifth.
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = lines[..4].join("\n");
    cut.push('\n');
    cut.push_str(&lines[4][..lines[4].len() / 2]);
    std::fs::write(&path, cut).unwrap();
    assert_eq!(read_records(&path).unwrap().len(), 4);
    let resumed = protocol::run(&bench, &cfg, &Registry::default(), &opts).unwrap();
    let strip = |rs: &[ResultRecord]| {
        rs.iter()
            .map(|r| (r.key(), r.metrics.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&resumed), strip(&full));
    assert_eq!(read_records(&path).unwrap().len(), full.len());
    // A third run does nothing new.
    let again = protocol::run(&bench, &cfg, &Registry::default(), &opts).unwrap();
    assert_eq!(again.len(), full.len());
    assert_eq!(read_records(&path).unwrap().len(), full.len());
}

#[test]
fn bad_grids_fail_before_any_work() {
    let bench = nb201();
    let unknown = config(&["xgb", "no_such_predictor"], &[10], 1);
    let e = protocol::plan(&bench, &unknown, &Registry::default()).unwrap_err();
    assert!(e.to_string().contains("no_such_predictor"), "{e}");

    let mut fid = config(&["valacc"], &[10], 1);
    fid.fidelities = Some(vec![12, 50]);
    let e = protocol::plan(&bench, &fid, &Registry::default()).unwrap_err();
    assert!(matches!(e, EvalError::Grid(_)), "{e}");
    assert!(e.to_string().contains("fidelity 50"), "{e}");

    let too_big = config(&["xgb"], &[20000], 1);
    let e = protocol::plan(&bench, &too_big, &Registry::default()).unwrap_err();
    assert!(e.to_string().contains("15625"), "{e}");

    let nb101 = shared::load_nb101(&data_root()).unwrap();
    let mut mutation = config(&["xgb"], &[10], 1);
    mutation.test_set = TestSetMode::Mutation;
    let e = protocol::plan(&nb101, &mutation, &Registry::default()).unwrap_err();
    assert!(e.to_string().contains("mutation"), "{e}");

    let e = protocol::plan(
        &nb101,
        &config(&["valloss"], &[10], 1),
        &Registry::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("val_loss"), "{e}");
}

#[test]
fn xgb_reaches_naslib_quality_on_nb201_cifar10() {
    // NASLib's own XGBoost on this data (200 uniform test archs, 5 trials): 0.735 at n=1000,
    // 0.664 at 500, 0.470 at 100.
    let bench = nb201();
    let cfg = config(&["xgb"], &[100, 1000], 5);
    let records = run(&bench, &cfg);
    assert!(records.iter().all(|r| r.error.is_none()), "{records:?}");
    let tau_1000 = mean_metric(&records, "xgb", 1000, MetricKind::Kendalltau);
    let tau_100 = mean_metric(&records, "xgb", 100, MetricKind::Kendalltau);
    eprintln!("xgb kendall tau: n=100 {tau_100:.3}, n=1000 {tau_1000:.3}");
    assert!(tau_1000 >= 0.70, "tau at n=1000 is {tau_1000}");
    assert!(
        tau_100 > 0.3 && tau_100 < tau_1000,
        "tau at n=100 is {tau_100}"
    );
    // Time accounting (NASLib's, the default): benchmark init time is the summed NB201
    // per-epoch time of the train set (per-epoch times 2.71 .. 17.31 s on CIFAR-10).
    let r = records.iter().find(|r| r.train_size == 1000).unwrap();
    let init = r.bench_init_time_s.unwrap();
    assert!(init > 1000.0 * 2.7 && init < 1000.0 * 17.4, "{init}");
}

#[test]
fn early_stopping_and_baselines_rank_as_expected() {
    let bench = nb201();
    let cfg = config(&["valacc", "params", "random"], &[10], 5);
    let records = run(&bench, &cfg);
    assert!(records.iter().all(|r| r.error.is_none()), "{records:?}");
    let valacc: Vec<_> = records.iter().filter(|r| r.predictor == "valacc").collect();
    assert!(valacc.iter().all(|r| r.fidelity == Some(12)));
    // The 12-epoch run ranks like the 200-epoch one (Spearman about 0.81 over all archs).
    let tau_valacc = mean_metric(&records, "valacc", 10, MetricKind::Kendalltau);
    let tau_params = mean_metric(&records, "params", 10, MetricKind::Kendalltau);
    let tau_random = mean_metric(&records, "random", 10, MetricKind::Kendalltau);
    eprintln!("valacc {tau_valacc:.3} params {tau_params:.3} random {tau_random:.3}");
    assert!(tau_valacc > 0.5, "{tau_valacc}");
    assert!(tau_params > 0.35 && tau_params < 0.7, "{tau_params}");
    assert!(tau_random.abs() < 0.1, "{tau_random}");
    // Query cost of early stopping: 12 epochs of per-epoch training time.
    let q = valacc[0].bench_query_time_s.unwrap();
    assert!(q > 12.0 * 2.0 && q < 12.0 * 200.0, "{q}");
    let rows = summarise(&records, &cfg.predictors);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].predictor, "valacc");
}

#[test]
fn valacc_runs_on_the_nlp_curves_and_nb101_budgets() {
    let nlp = shared::load_nlp(&data_root()).unwrap();
    let mut cfg = config(&["valacc", "valloss"], &[10], 3);
    cfg.fidelities = Some(vec![5, 20, 49]);
    cfg.test_size = 100;
    let records = run(&nlp, &cfg);
    assert_eq!(records.len(), 3 * 2 * 3);
    assert!(records.iter().all(|r| r.error.is_none()), "{records:?}");
    let early: f64 = records
        .iter()
        .filter(|r| r.predictor == "valacc" && r.fidelity == Some(5))
        .map(|r| r.metrics.get(MetricKind::Kendalltau))
        .sum::<f64>()
        / 3.0;
    let late: f64 = records
        .iter()
        .filter(|r| r.predictor == "valacc" && r.fidelity == Some(49))
        .map(|r| r.metrics.get(MetricKind::Kendalltau))
        .sum::<f64>()
        / 3.0;
    eprintln!("nlp valacc tau: 5 epochs {early:.3}, 49 epochs {late:.3}");
    assert!(late > early && late > 0.8, "{early} {late}");

    let nb101 = shared::load_nb101(&data_root()).unwrap();
    let mut cfg = config(&["valacc"], &[10], 3);
    cfg.fidelities = None;
    let records = run(&nb101, &cfg);
    let fids: HashSet<_> = records.iter().map(|r| r.fidelity).collect();
    assert_eq!(fids, [Some(4), Some(12), Some(36)].into_iter().collect());
    let tau36 = records
        .iter()
        .filter(|r| r.fidelity == Some(36))
        .map(|r| r.metrics.get(MetricKind::Kendalltau))
        .sum::<f64>()
        / 3.0;
    assert!(tau36 > 0.6, "{tau36}");
}
