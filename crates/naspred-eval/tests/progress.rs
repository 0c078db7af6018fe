//! The protocol's progress reports: one `Started` with the number of evaluations to run, one
//! `Evaluated` per record, then `Finished`; a resumed run reports only what is left.

use std::sync::{Arc, Mutex};

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::predictor::{
    ArchInput, Context, Predictor, PredictorError, PredictorFactory, Requirements,
};
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, Progress, RunOptions};
use naspred_spaces::SpaceKind;

/// Scores each test architecture by its position: enough for records, no learning.
struct Position;

impl Predictor for Position {
    fn key(&self) -> &str {
        "position"
    }
    fn requirements(&self) -> Requirements {
        Requirements::model_based()
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
        Ok((0..test.len()).map(|i| i as f64).collect())
    }
}

struct Factory;

impl PredictorFactory for Factory {
    fn build(
        &self,
        _: &str,
        _: SpaceKind,
        _: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        Ok(Box::new(Position))
    }
    fn requirements(&self, _: &str) -> Result<Requirements, PredictorError> {
        Ok(Requirements::model_based())
    }
}

/// What a sink saw, in order: `S(total)`, `E(train size)`, `F`.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    S(usize),
    E(usize),
    F,
}

fn run_seen(cfg: &EvalConfig, results: Option<std::path::PathBuf>) -> (usize, Vec<Seen>) {
    let bench = load_nb201(&DataRoot::resolve(None), Dataset::Cifar10).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let opts = RunOptions {
        results,
        progress: Some(Arc::new(move |p: Progress<'_>| {
            log.lock().unwrap().push(match p {
                Progress::Started { total } => Seen::S(total),
                Progress::Evaluated(r) => Seen::E(r.train_size),
                Progress::Finished => Seen::F,
            })
        })),
        ..Default::default()
    };
    let records = protocol::run(&bench, cfg, &Factory, &opts).unwrap();
    let seen = seen.lock().unwrap().clone();
    (records.len(), seen)
}

#[test]
fn progress_is_reported_per_evaluation_and_resumes() {
    let mut cfg = EvalConfig::study_defaults(SpaceKind::Nb201, vec!["position".into()]);
    cfg.train_sizes = vec![10, 20];
    cfg.trials = 2;
    cfg.test_size = 50;
    cfg.hpo = HpoConfig {
        enabled: false,
        ..HpoConfig::default()
    };
    let (n, seen) = run_seen(&cfg, None);
    assert_eq!(n, 4);
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(seen[0], Seen::S(4));
    assert_eq!(seen[5], Seen::F);
    let mut sizes: Vec<usize> = seen[1..5]
        .iter()
        .map(|s| match s {
            Seen::E(n) => *n,
            other => panic!("{other:?} in the middle"),
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [10, 10, 20, 20]);

    // With a results file: a second run has nothing left to do.
    let dir = std::env::temp_dir().join(format!("naspred-eval-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("results.jsonl");
    let _ = std::fs::remove_file(&path);
    assert_eq!(run_seen(&cfg, Some(path.clone())).1.len(), 6);
    assert_eq!(
        run_seen(&cfg, Some(path)).1,
        [Seen::S(0), Seen::F],
        "a finished run reports nothing to do"
    );
    std::fs::remove_dir_all(&dir).ok();
}
