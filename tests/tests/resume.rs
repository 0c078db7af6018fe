//! Resume equals an uninterrupted run. For a small grid of every predictor family, a sweep is
//! interrupted after every possible prefix of its points (the results file cut to those
//! records), resumed, and its records compared with the uninterrupted run's: bit for bit, wall
//! clock times aside. The same for search trials and for a `reproduce` unit.

use std::path::Path;
use std::path::PathBuf;
use std::sync::OnceLock;

use naspred::reproduce::{
    run_suite, Experiment, Mode, NasSpec, Role, RunSettings, Shard, Source, Suite, Work,
};
use naspred::{Registry, RegistrySettings, ZeroCostSettings};
use naspred_data::{embedded, shared, Benchmark, Dataset};
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, RunOptions};
use naspred_eval::records::{read_records, ResultRecord};
use naspred_search::{run_search, OptimizerKind, QueryRecord, SearchConfig};
use naspred_spaces::SpaceKind;
use naspred_tests::{data_root, temp_dir};
use serde_json::Value;

/// The registry of these tests: zero-cost predictors with a small batch on the CPU and a cache
/// of this test process.
fn registry() -> Registry {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    let cache = CACHE.get_or_init(|| temp_dir("resume-zc-cache").join("zc.jsonl"));
    Registry::new(RegistrySettings {
        zero_cost: ZeroCostSettings {
            batch_size: 8,
            device: "cpu".into(),
            cache: Some(cache.clone()),
            ..ZeroCostSettings::default()
        },
        data_root: data_root(),
    })
}

fn config(space: SpaceKind, predictors: &[&str], sizes: &[usize], trials: usize) -> EvalConfig {
    let mut cfg =
        EvalConfig::study_defaults(space, predictors.iter().map(|s| s.to_string()).collect());
    cfg.train_sizes = sizes.to_vec();
    cfg.trials = trials;
    cfg.test_size = 20;
    cfg.seed = 7;
    cfg.hpo = HpoConfig {
        enabled: false,
        ..HpoConfig::default()
    };
    cfg
}

/// A record as JSON without its wall-clock fields.
fn comparable(r: &ResultRecord) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("fit_time_s");
    m.remove("query_time_s");
    v
}

fn sorted(mut rs: Vec<ResultRecord>) -> Vec<ResultRecord> {
    rs.sort_by_key(ResultRecord::key);
    rs
}

fn run_into(bench: &Benchmark, cfg: &EvalConfig, path: &Path) -> Vec<ResultRecord> {
    let opts = RunOptions {
        results: Some(path.to_path_buf()),
        progress: None,
        ..Default::default()
    };
    sorted(protocol::run(bench, cfg, &registry(), &opts).expect("run"))
}

/// Runs `cfg` uninterrupted, then for every prefix of its records (in key order) a run that
/// finds only that prefix in its results file; every resumed run must equal the first.
fn every_prefix_resumes_to_the_same_records(name: &str, bench: &Benchmark, cfg: &EvalConfig) {
    let dir = temp_dir(&format!("resume-{name}"));
    let full = run_into(bench, cfg, &dir.join("full.jsonl"));
    let plan = protocol::plan(bench, cfg, &registry()).unwrap();
    assert_eq!(full.len(), plan.points_per_trial() * cfg.trials, "{name}");
    let errors: Vec<&String> = full.iter().filter_map(|r| r.error.as_ref()).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let want: Vec<Value> = full.iter().map(comparable).collect();
    let lines: Vec<String> = full
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    for k in 0..=lines.len() {
        let path = dir.join(format!("prefix-{k}.jsonl"));
        let text: String = lines[..k].iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let resumed = run_into(bench, cfg, &path);
        let got: Vec<Value> = resumed.iter().map(comparable).collect();
        assert_eq!(
            got,
            want,
            "{name}: resumed after {k} of {} points",
            lines.len()
        );
        assert_eq!(read_records(&path).unwrap().len(), lines.len());
    }
}

fn nb201() -> Benchmark {
    embedded::load_default(Dataset::Cifar10).unwrap()
}

#[test]
fn model_based_predictors_resume_exactly() {
    let cfg = config(
        SpaceKind::Nb201,
        &["rf", "ngb", "lgb", "bayes_lin_reg", "xgb", "gp"],
        &[10, 20],
        2,
    );
    every_prefix_resumes_to_the_same_records("trees", &nb201(), &cfg);
}

#[test]
fn neural_predictors_resume_exactly() {
    let cfg = config(SpaceKind::Nb201, &["mlp", "bananas"], &[10, 20], 2);
    every_prefix_resumes_to_the_same_records("neural", &nb201(), &cfg);
}

#[test]
fn learning_curve_and_hybrid_predictors_resume_exactly() {
    let bench = shared::load_nlp(&data_root()).unwrap();
    let mut cfg = config(
        SpaceKind::Nlp,
        &["sotle", "valacc", "lce", "lcsvr"],
        &[10, 20],
        2,
    );
    cfg.fidelities = Some(vec![5, 10]);
    every_prefix_resumes_to_the_same_records("curves", &bench, &cfg);
}

#[test]
fn zero_cost_omni_and_baselines_resume_exactly() {
    let cfg = config(
        SpaceKind::Nb201,
        &["jacov", "synflow", "omni_ngb", "random", "params"],
        &[10, 20],
        2,
    );
    every_prefix_resumes_to_the_same_records("zc", &nb201(), &cfg);
}

/// A query record without its wall-clock fields.
fn comparable_query(q: &QueryRecord) -> Value {
    let mut v = serde_json::to_value(q).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("fit_time_s");
    m.remove("sim_time_s");
    v
}

#[test]
fn search_trials_resume_exactly_and_cut_trial_files_are_rerun() {
    let bench = nb201();
    let mut cfg = SearchConfig::naslib(OptimizerKind::Evolution, Some("xgb".into()));
    cfg.queries = 40;
    cfg.trials = 3;
    cfg.seed = 5;
    let dir = temp_dir("resume-search");
    let full = run_search(&bench, &registry(), &cfg, Some(&dir)).unwrap();
    let want: Vec<Vec<Value>> = full
        .trials
        .iter()
        .map(|t| t.iter().map(comparable_query).collect())
        .collect();
    let run_dir = dir.join(cfg.label());
    // Trial 0 kept, trial 1 lost, trial 2 cut to half its queries (an edited or damaged file).
    std::fs::remove_file(naspred_search::trial_path(&run_dir, 1)).unwrap();
    let t2 = naspred_search::trial_path(&run_dir, 2);
    let text = std::fs::read_to_string(&t2).unwrap();
    let half: String = text.lines().take(20).map(|l| format!("{l}\n")).collect();
    std::fs::write(&t2, half).unwrap();
    let resumed = run_search(&bench, &registry(), &cfg, Some(&dir)).unwrap();
    assert_eq!(resumed.resumed, 1, "only trial 0 is taken from disk");
    let got: Vec<Vec<Value>> = resumed
        .trials
        .iter()
        .map(|t| t.iter().map(comparable_query).collect())
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        naspred_search::read_trial(&t2).unwrap().len(),
        40,
        "the cut trial was written again in full"
    );
}

#[test]
fn a_reproduce_unit_resumes_exactly() {
    let mut eval = config(SpaceKind::Nb201, &["ngb", "mlp"], &[10, 20], 2);
    eval.test_size = 30;
    let mut nas = SearchConfig::naslib(OptimizerKind::Evolution, Some("xgb".into()));
    nas.queries = 30;
    nas.trials = 2;
    let suite = Suite {
        mode: Mode::Quick,
        spaces: vec![SpaceKind::Nb201],
        experiments: vec![
            Experiment {
                id: "nb201-cifar10-trainsize".into(),
                space: SpaceKind::Nb201,
                dataset: Dataset::Cifar10,
                role: Role::TrainSize,
                work: Work::Eval(eval),
                source: Source::Benchmark,
            },
            Experiment {
                id: "nb201-cifar10-nas".into(),
                space: SpaceKind::Nb201,
                dataset: Dataset::Cifar10,
                role: Role::Nas,
                work: Work::Nas(NasSpec {
                    runs: vec![nas.clone()],
                    trials: 2,
                    checkpoints: vec![30],
                }),
                source: Source::Benchmark,
            },
        ],
    };
    let dir = temp_dir("resume-reproduce");
    let settings = RunSettings {
        out: dir.clone(),
        shard: Shard::default(),
        data_dir: None,
        progress: false,
        registry: registry(),
    };
    run_suite(&suite, &settings).unwrap();
    let results =
        naspred::reproduce::results_path(&dir, "nb201-cifar10-trainsize", Shard::default());
    let full = sorted(read_records(&results).unwrap());
    assert_eq!(full.len(), 2 * 2 * 2);
    let nas_dir = naspred::reproduce::search_dir(&dir, "nb201-cifar10-nas", &nas.label());
    let trial1 = naspred_search::read_trial(&naspred_search::trial_path(&nas_dir, 1)).unwrap();
    // Interrupt: keep 3 of the 8 evaluation records and lose search trial 1.
    let kept: String = full[..3]
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    std::fs::write(&results, kept).unwrap();
    std::fs::remove_file(naspred_search::trial_path(&nas_dir, 1)).unwrap();
    run_suite(&suite, &settings).unwrap();
    let resumed = sorted(read_records(&results).unwrap());
    assert_eq!(
        resumed.iter().map(comparable).collect::<Vec<_>>(),
        full.iter().map(comparable).collect::<Vec<_>>()
    );
    let again = naspred_search::read_trial(&naspred_search::trial_path(&nas_dir, 1)).unwrap();
    assert_eq!(
        again.iter().map(comparable_query).collect::<Vec<_>>(),
        trial1.iter().map(comparable_query).collect::<Vec<_>>()
    );
}
