//! Search loops on real benchmark data and small deterministic fixtures.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use naspred_data::{shared, Benchmark, DataRoot, Dataset};
use naspred_eval::{ArchInput, Context, Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_models::XgbPredictor;
use naspred_search::{
    acquisition_values, checkpoint, run_search, top_k, Acquisition, History, OptimizerKind, Origin,
    SearchConfig, Searcher,
};
use naspred_spaces::SpaceKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// The data root: `NASPRED_DATA`, else the repository's `data/`.
fn root() -> DataRoot {
    DataRoot::resolve(None)
}

fn nb201() -> Benchmark {
    shared::load_nb201(&root(), Dataset::Cifar10).expect("NB201 cifar10 data")
}

/// A fixture predictor: member `m` of each ensemble (built in order) predicts, for an
/// architecture with an even hash, 50; for an odd hash, 49 + 30 (m - 1): a lower mean with
/// a wide spread.
struct Split {
    member: usize,
}

impl Predictor for Split {
    fn key(&self) -> &str {
        "split"
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
        Ok(test
            .iter()
            .map(|a| {
                if a.hash.0 % 2 == 0 {
                    50.0
                } else {
                    49.0 + 30.0 * (self.member as f64 - 1.0)
                }
            })
            .collect())
    }
}

/// Builds `split` (members numbered in build order, mod 3) and `xgb`.
struct Fixtures {
    built: AtomicUsize,
}

impl PredictorFactory for Fixtures {
    fn build(
        &self,
        key: &str,
        _: SpaceKind,
        _: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        match key {
            "split" => Ok(Box::new(Split {
                member: self.built.fetch_add(1, Ordering::SeqCst) % 3,
            })),
            "xgb" => Ok(Box::new(XgbPredictor::default())),
            _ => Err(PredictorError::UnknownKey {
                key: key.into(),
                known: "split, xgb".into(),
            }),
        }
    }
    fn requirements(&self, _: &str) -> Result<Requirements, PredictorError> {
        Ok(Requirements::model_based())
    }
}

fn fixtures() -> Fixtures {
    Fixtures {
        built: AtomicUsize::new(0),
    }
}

fn history(s: &Searcher<'_>, n: usize, seed: u64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut h = History::new(s.bench().len());
    while h.len() < n {
        let p = s.random_position(&mut rng).unwrap();
        if !h.contains(p) {
            h.push(p, s.bench().records()[p].mean_val_acc());
        }
    }
    h
}

#[test]
fn thompson_sampling_ranks_by_the_sample_not_the_mean() {
    // Candidate 0: sure 10; candidate 1: mean 0, spread 100.
    let mean = [10.0, 0.0];
    let std = [0.0, 100.0];
    let mut picked_lower_mean = false;
    for seed in 0..20 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let v = acquisition_values(Acquisition::Its, &mean, &std, 0.0, 0.5, 5.0, &mut rng);
        // The same draw, made by hand.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let draw = Normal::new(0.0, 100.0).unwrap().sample(&mut rng);
        assert_eq!(v, vec![10.0, draw]);
        let best = top_k(&v, 1)[0];
        assert_eq!(best, if draw > 10.0 { 1 } else { 0 });
        picked_lower_mean |= best == 1;
    }
    assert!(picked_lower_mean, "some draw must beat the sure candidate");
}

#[test]
fn bo_with_its_picks_high_spread_candidates_that_the_mean_would_not() {
    let bench = nb201();
    let f = fixtures();
    let mut its = SearchConfig::naslib(OptimizerKind::Bo, Some("split".into()));
    its.queries = 40;
    let s = Searcher::new(&bench, &f, &its).unwrap();
    let h = history(&s, 20, 1);
    let b = s
        .propose(&h, 0, 0, &mut ChaCha8Rng::seed_from_u64(2))
        .unwrap();
    assert_eq!(b.positions.len(), 20);
    let odd = |p: &usize| bench.records()[*p].hash.0 % 2 == 1;
    // By mean every even candidate (50) beats every odd one (49); ITS samples from
    // N(49, 24.5) for the odd ones, so the top 20 of 200 are mostly odd.
    assert!(
        b.positions.iter().filter(|p| odd(p)).count() >= 10,
        "{:?}",
        b.values
    );
    assert!(b.values.windows(2).all(|w| w[0] >= w[1]), "best first");
    let mut exploit = its.clone();
    exploit.acquisition = Acquisition::Exploit;
    let s = Searcher::new(&bench, &f, &exploit).unwrap();
    let b = s
        .propose(&h, 0, 0, &mut ChaCha8Rng::seed_from_u64(2))
        .unwrap();
    assert!(
        b.positions.iter().all(|p| !odd(p)),
        "by the mean only even ones win"
    );
}

#[test]
fn evolution_candidates_are_one_mutation_from_a_best_parent() {
    let bench = nb201();
    let f = fixtures();
    let cfg = SearchConfig::naslib(OptimizerKind::Evolution, Some("split".into()));
    let s = Searcher::new(&bench, &f, &cfg).unwrap();
    let h = history(&s, 30, 3);
    let mut order: Vec<usize> = (0..h.len()).collect();
    order.sort_by(|&a, &b| h.values[b].total_cmp(&h.values[a]));
    let best5: Vec<usize> = order[..5].iter().map(|&i| h.positions[i]).collect();
    let b = s
        .propose(&h, 0, 0, &mut ChaCha8Rng::seed_from_u64(4))
        .unwrap();
    assert_eq!(b.positions.len(), 20);
    for ((&c, o), par) in b.positions.iter().zip(&b.origins).zip(&b.parents) {
        assert_eq!(*o, Origin::Mutation);
        let par = par.expect("a mutation has a parent");
        assert!(best5.contains(&par));
        let nb: HashSet<_> = bench.records()[par]
            .arch
            .neighbours()
            .unwrap()
            .iter()
            .map(|a| a.arch_hash())
            .collect();
        assert!(
            nb.contains(&bench.records()[c].hash),
            "exactly one edge changed"
        );
        assert!(!h.contains(c), "never re-proposes a queried architecture");
    }
}

#[test]
fn no_architecture_is_queried_twice_unless_naslib_behaviour_is_asked_for() {
    let bench = nb201();
    let f = fixtures();
    for (opt, pred) in [
        (OptimizerKind::Bo, Some("split")),
        (OptimizerKind::Evolution, Some("split")),
        (OptimizerKind::Rs, None),
        (OptimizerKind::Re, None),
    ] {
        let mut cfg = SearchConfig::naslib(opt, pred.map(String::from));
        cfg.queries = 150;
        cfg.trials = 2;
        cfg.population_size = 20;
        cfg.sample_size = 5;
        let run = run_search(&bench, &f, &cfg, None).unwrap();
        for t in &run.trials {
            assert_eq!(t.len(), 150);
            let distinct: HashSet<_> = t.iter().map(|r| &r.hash).collect();
            assert_eq!(distinct.len(), 150, "{opt}: repeats");
            assert!(t.iter().all(|r| !r.repeat));
        }
    }
    // NASLib's behaviour: evolution keeps mutating the same 5 parents and re-queries.
    let mut cfg = SearchConfig::naslib(OptimizerKind::Re, None);
    cfg.queries = 150;
    cfg.trials = 2;
    cfg.population_size = 20;
    cfg.sample_size = 10;
    cfg.dedup = false;
    let run = run_search(&bench, &f, &cfg, None).unwrap();
    let repeats: usize = run.trials.iter().flatten().filter(|r| r.repeat).count();
    assert!(
        repeats > 0,
        "without de-duplication tournaments re-query architectures"
    );
}

#[test]
fn trials_are_deterministic_and_resume_from_their_files() {
    let bench = nb201();
    let f = fixtures();
    let mut cfg = SearchConfig::naslib(OptimizerKind::Re, None);
    cfg.queries = 60;
    cfg.trials = 3;
    cfg.population_size = 20;
    cfg.sample_size = 5;
    let dir = std::env::temp_dir().join(format!("naspred-search-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let a = run_search(&bench, &f, &cfg, Some(&dir)).unwrap();
    assert_eq!(a.resumed, 0);
    let b = run_search(&bench, &f, &cfg, Some(&dir)).unwrap();
    assert_eq!(b.resumed, 3);
    assert_eq!(a.trials, b.trials);
    // Lose a trial: it is rerun and comes out the same.
    std::fs::remove_file(dir.join("re").join("trial_001.jsonl")).unwrap();
    let c = run_search(&bench, &f, &cfg, Some(&dir)).unwrap();
    assert_eq!(c.resumed, 2);
    assert_eq!(a.trials, c.trials);
    // Other settings in the same folder: refused.
    cfg.sample_size = 6;
    assert!(run_search(&bench, &f, &cfg, Some(&dir)).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn guided_search_with_xgb_beats_random_search_on_nb201() {
    let bench = nb201();
    let f = fixtures();
    let run = |opt: OptimizerKind, pred: Option<&str>| {
        let mut cfg = SearchConfig::naslib(opt, pred.map(String::from));
        cfg.queries = 60;
        cfg.trials = 6;
        run_search(&bench, &f, &cfg, None).unwrap()
    };
    let rs = checkpoint(&run(OptimizerKind::Rs, None).trials, 60);
    let bo = checkpoint(&run(OptimizerKind::Bo, Some("xgb")).trials, 60);
    let ev = checkpoint(&run(OptimizerKind::Evolution, Some("xgb")).trials, 60);
    eprintln!(
        "60 queries, best-val error: rs {:.3} ± {:.3}, bo {:.3} ± {:.3}, evolution {:.3} ± {:.3}",
        rs.val_err_mean,
        rs.val_err_se,
        bo.val_err_mean,
        bo.val_err_se,
        ev.val_err_mean,
        ev.val_err_se
    );
    assert!(bo.val_err_mean <= rs.val_err_mean);
    assert!(ev.val_err_mean <= rs.val_err_mean);
    assert!(bo.test_is_val, "NB201 here has no test accuracy");
}

#[test]
fn bad_settings_are_typed_errors() {
    let bench = nb201();
    let f = fixtures();
    let cfg = SearchConfig::naslib(OptimizerKind::Bo, None);
    assert!(Searcher::new(&bench, &f, &cfg).is_err());
    let cfg = SearchConfig::naslib(OptimizerKind::Rs, Some("xgb".into()));
    assert!(Searcher::new(&bench, &f, &cfg).is_err());
    let cfg = SearchConfig::naslib(OptimizerKind::Bo, Some("nope".into()));
    let e = run_search(&bench, &f, &cfg, None).expect_err("unknown key");
    assert!(e.to_string().contains("nope"));
}
