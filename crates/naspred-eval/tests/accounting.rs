//! Time accounting through the protocol on the bundled NB201 table: what the records' benchmark
//! times are under each accounting, that nothing else changes, and that a results file never
//! mixes two accountings.

use naspred_data::{embedded, Benchmark, CurveMetric, Dataset, TimeAccounting};
use naspred_eval::protocol::{self, EvalConfig, RunOptions};
use naspred_eval::records::{summarise, time_axes_note, ResultRecord};
use naspred_eval::*;
use naspred_spaces::SpaceKind;

/// Score = number of 3x3 convolutions, as a model-based predictor (it "trains") or as a
/// learning-curve one (it reads the 12-epoch accuracy and ignores it).
struct Conv3Count(Requirements);

impl Predictor for Conv3Count {
    fn key(&self) -> &str {
        "conv3"
    }
    fn requirements(&self) -> Requirements {
        self.0.clone()
    }
    fn fit(
        &mut self,
        _: &[ArchInput],
        _: &[f64],
        _: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        Ok(())
    }
    fn query(
        &mut self,
        test: &[ArchInput],
        _: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        Ok(test
            .iter()
            .map(|a| a.arch.to_string().matches("conv_3x3").count() as f64)
            .collect())
    }
}

struct Factory;

impl Factory {
    fn reqs(key: &str) -> Requirements {
        if key == "conv3_lc" {
            Requirements::learning_curve(CurveMetric::ValAcc)
        } else {
            Requirements::model_based()
        }
    }
}

impl PredictorFactory for Factory {
    fn build(
        &self,
        key: &str,
        _: SpaceKind,
        _: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        Ok(Box::new(Conv3Count(Factory::reqs(key))))
    }
    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError> {
        Ok(Factory::reqs(key))
    }
}

fn nb201() -> Benchmark {
    embedded::load_bundled(Dataset::Cifar10).unwrap()
}

fn config(accounting: TimeAccounting) -> EvalConfig {
    let mut cfg = EvalConfig::study_defaults(
        SpaceKind::Nb201,
        vec!["conv3".to_string(), "conv3_lc".to_string()],
    );
    cfg.train_sizes = vec![5, 1000];
    cfg.fidelities = Some(vec![12]);
    cfg.test_size = 100;
    cfg.trials = 2;
    cfg.hpo.enabled = false;
    cfg.time_accounting = accounting;
    cfg
}

fn run(
    bench: &Benchmark,
    cfg: &EvalConfig,
    opts: &RunOptions,
) -> Result<Vec<ResultRecord>, EvalError> {
    protocol::run(bench, cfg, &Factory, opts)
}

fn temp_file(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!("naspred-accounting-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn the_default_is_naslib_and_nb201_init_time_is_200_times_smaller_than_full_training() {
    let bench = nb201();
    assert_eq!(
        EvalConfig::study_defaults(SpaceKind::Nb201, vec![]).time_accounting,
        TimeAccounting::Naslib
    );
    let mut naslib = run(
        &bench,
        &config(TimeAccounting::Naslib),
        &RunOptions::default(),
    )
    .unwrap();
    let mut full = run(
        &bench,
        &config(TimeAccounting::FullTraining),
        &RunOptions::default(),
    )
    .unwrap();
    naslib.sort_by_key(ResultRecord::key);
    full.sort_by_key(ResultRecord::key);
    assert_eq!(naslib.len(), 2 * (2 + 1));
    assert_eq!(naslib.len(), full.len());
    for (a, b) in naslib.iter().zip(&full) {
        assert_eq!(a.key(), b.key());
        assert_eq!(a.time_accounting, TimeAccounting::Naslib);
        assert_eq!(b.time_accounting, TimeAccounting::FullTraining);
        // Only the benchmark initialisation time depends on the accounting.
        assert_eq!(a.metrics, b.metrics);
        assert_eq!(a.bench_query_time_s, b.bench_query_time_s);
        let (ia, ib) = (a.bench_init_time_s.unwrap(), b.bench_init_time_s.unwrap());
        if a.predictor == "conv3" {
            assert!((ib / ia - 200.0).abs() < 1e-9, "{ib} / {ia}");
            // NB201 CIFAR-10 per-epoch times lie in 2.71 .. 17.31 s (200-epoch totals
            // 542 .. 3461 s).
            let n = a.train_size as f64;
            assert!(ia > 2.7 * n && ia < 17.4 * n, "n = {n}: {ia}");
            eprintln!(
                "trial {} n = {:4}: init {:9.1} s (naslib), {:11.1} s (full training)",
                a.trial, a.train_size, ia, ib
            );
        } else {
            // A learning-curve predictor trains nothing; its query costs 12 epochs.
            assert_eq!((ia, ib), (0.0, 0.0));
            let q = a.bench_query_time_s.unwrap();
            assert!(q > 12.0 * 2.7 && q < 12.0 * 17.4, "{q}");
        }
    }
    let rows = summarise(&naslib, &["conv3".into(), "conv3_lc".into()]);
    assert!(rows
        .iter()
        .all(|r| r.time_accounting == Some(TimeAccounting::Naslib)));
    assert_eq!(time_axes_note(&rows), TimeAccounting::Naslib.axis_note());
    let mut mixed = naslib.clone();
    mixed.extend(full);
    let rows = summarise(&mixed, &["conv3".into(), "conv3_lc".into()]);
    assert!(rows.iter().all(|r| r.time_accounting.is_none()));
    assert!(time_axes_note(&rows).contains("not comparable"));
}

#[test]
fn a_results_file_of_one_accounting_is_not_resumed_under_the_other() {
    let bench = nb201();
    let path = temp_file("results.jsonl");
    let opts = RunOptions {
        results: Some(path.clone()),
        ..RunOptions::default()
    };
    let first = run(&bench, &config(TimeAccounting::Naslib), &opts).unwrap();
    let e = run(&bench, &config(TimeAccounting::FullTraining), &opts).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, EvalError::Config(_)), "{e:?}");
    assert!(
        text.contains("timed with the naslib accounting")
            && text.contains("uses full_training")
            && text.contains("--time-accounting naslib"),
        "{text}"
    );
    // The same accounting resumes: nothing new is computed.
    let again = run(&bench, &config(TimeAccounting::Naslib), &opts).unwrap();
    assert_eq!(again.len(), first.len());
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    assert_eq!(lines, first.len());
}

#[test]
fn records_and_configurations_without_the_field_read_back_as_full_training() {
    let bench = nb201();
    let records = run(
        &bench,
        &config(TimeAccounting::Naslib),
        &RunOptions::default(),
    )
    .unwrap();
    let mut v = serde_json::to_value(&records[0]).unwrap();
    assert_eq!(v["time_accounting"], "naslib");
    v.as_object_mut().unwrap().remove("time_accounting");
    let old: ResultRecord = serde_json::from_value(v).unwrap();
    assert_eq!(old.time_accounting, TimeAccounting::FullTraining);

    let mut c = serde_json::to_value(config(TimeAccounting::Naslib)).unwrap();
    c.as_object_mut().unwrap().remove("time_accounting");
    let old: EvalConfig = serde_json::from_value(c).unwrap();
    assert_eq!(old.time_accounting, TimeAccounting::FullTraining);
}
