//! The study's predictor-evaluation protocol (NASLib's `PredictorEvaluator`; spec §2): trials,
//! sweeps, the single evaluation of a predictor at one grid point, time accounting and the
//! cross-validated hyperparameter search.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use naspred_data::{Benchmark, Coverage, CurveMetric, FidelitySupport, TargetMode, TimeAccounting};
use naspred_spaces::Quirks;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::calibration::Calibration;
use crate::grid;
use crate::metrics::{kendall_tau_b, Metrics};
use crate::predictor::{
    catch_predictor_panic, error_chain, ArchInput, Context, Predictor, PredictorError,
    PredictorFactory, PredictorRng, Requirements, Sweep,
};
use crate::records::{finished_keys, read_records, RecordKey, ResultRecord, ResultWriter};
use crate::sampling::{draw_trial, TestSetMode, TrialSets};
use crate::stats::{kfold_with, FoldSizes};
use crate::EvalError;

/// How the evaluator's cross-validated hyperparameter search runs: as NASLib's evaluator does,
/// random configurations of a predictor are each scored by the mean Kendall tau of a 3-fold
/// cross-validation on the training set, within a time budget (spec §2.8).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HpoConfig {
    /// Whether it runs at all (for predictors whose `requirements().hpo` is true, n >= 10).
    pub enabled: bool,
    /// NASLib's `max_hpo_time`: the search stops once it has run
    /// `max_time_s * n / 1000 + 20` seconds.
    pub max_time_s: f64,
    /// At most this many configurations (NASLib: 5000).
    pub max_iters: usize,
    /// `Faithful` scores each fold on its own training indices (NASLib's QUIRK); `Fixed`
    /// scores on the held-out fold.
    pub quirks: Quirks,
}

impl Default for HpoConfig {
    fn default() -> Self {
        HpoConfig {
            enabled: true,
            max_time_s: 900.0,
            max_iters: 5000,
            quirks: Quirks::Faithful,
        }
    }
}

/// One evaluation run: a benchmark, predictors and the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Predictor keys.
    pub predictors: Vec<String>,
    /// Train sizes for predictors that train (ascending; the largest is drawn).
    pub train_sizes: Vec<usize>,
    /// Fidelities for predictors that read curves; `None` = the benchmark's default grid.
    pub fidelities: Option<Vec<u32>>,
    /// Train size of learning-curve and zero-cost predictors (NASLib: 10).
    pub train_size_single: usize,
    /// Test architectures per trial.
    pub test_size: usize,
    /// Trials.
    pub trials: usize,
    /// Trial `t` draws its sets with seed `seed + t`.
    pub seed: u64,
    /// How sets are drawn.
    pub test_set: TestSetMode,
    /// How targets are drawn from per-seed accuracies.
    pub target: TargetMode,
    /// Faithful or fixed behaviour where NASLib has QUIRKs (mutation).
    pub quirks: Quirks,
    /// The CV hyperparameter search.
    pub hpo: HpoConfig,
    /// How benchmark seconds are charged for the records' `bench_init_time_s` and
    /// `bench_query_time_s` (see [`naspred_data::accounting`]): NASLib's `TRAIN_TIME` (the
    /// study default; NB201 charges one epoch per training architecture) or the full schedule.
    /// A configuration written before the field existed reads back as
    /// [`TimeAccounting::FullTraining`], the accounting it was run with.
    #[serde(default = "TimeAccounting::legacy")]
    pub time_accounting: TimeAccounting,
}

impl EvalConfig {
    /// The study's defaults for a space: its train-size grid, test size, 100 trials.
    pub fn study_defaults(space: naspred_spaces::SpaceKind, predictors: Vec<String>) -> Self {
        EvalConfig {
            predictors,
            train_sizes: grid::train_sizes(space),
            fidelities: None,
            train_size_single: 10,
            test_size: grid::default_test_size(space),
            trials: 100,
            seed: 0,
            test_set: TestSetMode::Uniform,
            target: TargetMode::MeanOverSeeds,
            quirks: Quirks::Faithful,
            hpo: HpoConfig::default(),
            time_accounting: TimeAccounting::Naslib,
        }
    }
}

/// The grid points of one predictor: (train size, fidelity).
#[derive(Clone, Debug, PartialEq)]
pub struct PredictorPlan {
    /// Predictor key.
    pub key: String,
    /// Its requirements.
    pub reqs: Requirements,
    /// The (train size, fidelity) points it is evaluated at.
    pub points: Vec<(usize, Option<u32>)>,
}

/// A validated plan: every predictor's grid checked against what the benchmark can serve.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// One entry per predictor, in the configured order.
    pub predictors: Vec<PredictorPlan>,
    /// Training architectures drawn per trial.
    pub max_train: usize,
    /// Unlabeled architectures drawn per trial.
    pub unlabeled: usize,
}

impl Plan {
    /// Grid points per trial, over all predictors.
    pub fn points_per_trial(&self) -> usize {
        self.predictors.iter().map(|p| p.points.len()).sum()
    }
}

/// The fidelities a benchmark serves by default for a curve metric: the study's grid within
/// the per-epoch curves, or the lengths of its separate low-fidelity runs.
pub fn default_fidelities(bench: &Benchmark, metric: CurveMetric) -> Vec<u32> {
    match bench.fidelity_support(metric) {
        FidelitySupport::PerEpoch(max) => grid::fidelities(bench.space())
            .into_iter()
            .filter(|&f| f <= max)
            .collect(),
        FidelitySupport::Points(p) => p,
        FidelitySupport::None => Vec::new(),
    }
}

/// Checks the configuration against the benchmark and the registry, before any work starts.
pub fn plan(
    bench: &Benchmark,
    cfg: &EvalConfig,
    factory: &dyn PredictorFactory,
) -> Result<Plan, EvalError> {
    if cfg.predictors.is_empty() {
        return Err(EvalError::Config("no predictors given".into()));
    }
    if cfg.trials == 0 {
        return Err(EvalError::Config("--trials must be at least 1".into()));
    }
    if cfg.test_size < 2 {
        return Err(EvalError::Config(
            "--test-size must be at least 2 (rank correlations need two points)".into(),
        ));
    }
    let mut seen = HashSet::new();
    let mut predictors = Vec::new();
    let mut max_train = 0usize;
    let mut unlabeled = 0usize;
    for key in &cfg.predictors {
        if !seen.insert(key.clone()) {
            return Err(EvalError::Config(format!(
                "predictor {key:?} is listed twice"
            )));
        }
        let mut reqs = factory.requirements(key)?;
        if reqs.curves_optional {
            // Optional curve features the benchmark lacks are dropped (the predictor runs on
            // what exists and reports the features it used).
            reqs.curves
                .retain(|&m| !matches!(bench.fidelity_support(m), FidelitySupport::None));
        }
        let sweep = reqs.sweep();
        let sizes: Vec<usize> = match sweep {
            Sweep::TrainSize | Sweep::Both => cfg.train_sizes.clone(),
            Sweep::Fidelity | Sweep::Single => vec![cfg.train_size_single],
        };
        if sizes.is_empty() {
            return Err(EvalError::Config("empty train-size grid".into()));
        }
        if reqs.params && !bench.has_params() {
            return Err(EvalError::Grid(format!(
                "{key} needs parameter counts, which the {} {} benchmark does not have",
                bench.space(),
                bench.dataset()
            )));
        }
        if !reqs.zero_cost.is_empty() {
            return Err(EvalError::Grid(format!(
                "{key} needs zero-cost scores ({}), which this evaluation cannot compute yet",
                reqs.zero_cost.join(", ")
            )));
        }
        let mut fids: Vec<Option<u32>> = vec![None];
        if matches!(sweep, Sweep::Fidelity | Sweep::Both) {
            let mut common: Option<Vec<u32>> = None;
            for &metric in &reqs.curves {
                let support = bench.fidelity_support(metric);
                let wanted = match &cfg.fidelities {
                    Some(f) => f.clone(),
                    None => default_fidelities(bench, metric),
                };
                if wanted.is_empty() {
                    return Err(EvalError::Grid(format!(
                        "{key} reads {metric} curves, which the {} {} benchmark does not have",
                        bench.space(),
                        bench.dataset()
                    )));
                }
                if let Some(bad) = wanted.iter().find(|&&f| !support.serves(f)) {
                    return Err(EvalError::Grid(format!(
                        "{key}: fidelity {bad} is not available for {metric} in the {} {} \
                         benchmark (it has {support})",
                        bench.space(),
                        bench.dataset()
                    )));
                }
                common = Some(match common {
                    None => wanted,
                    Some(c) => c.into_iter().filter(|f| wanted.contains(f)).collect(),
                });
            }
            fids = common.unwrap_or_default().into_iter().map(Some).collect();
        }
        let points: Vec<(usize, Option<u32>)> = sizes
            .iter()
            .flat_map(|&n| fids.iter().map(move |&f| (n, f)))
            .collect();
        max_train = max_train.max(*sizes.iter().max().unwrap_or(&0));
        unlabeled = unlabeled.max(max_train * reqs.unlabeled_factor);
        predictors.push(PredictorPlan {
            key: key.clone(),
            reqs,
            points,
        });
    }
    let needed = cfg.test_size + max_train + unlabeled;
    if bench.coverage() == Coverage::Sample && needed > bench.len() {
        return Err(EvalError::Grid(format!(
            "{} test + {} training + {} unlabeled architectures are more than the {} {} \
             benchmark holds ({})",
            cfg.test_size,
            max_train,
            unlabeled,
            bench.space(),
            bench.dataset(),
            bench.len()
        )));
    }
    if bench.coverage() == Coverage::Full && needed > bench.len() {
        return Err(EvalError::Grid(format!(
            "{needed} distinct architectures requested but the {} space has only {}",
            bench.space(),
            bench.len()
        )));
    }
    if cfg.test_set == TestSetMode::Mutation && bench.coverage() != Coverage::Full {
        return Err(EvalError::Grid(format!(
            "mutation test sets need a benchmark covering the whole {} space; this one holds a \
             list of {} architectures",
            bench.space(),
            bench.len()
        )));
    }
    if bench.len() < 2 {
        return Err(EvalError::Grid(
            "the benchmark has fewer than 2 architectures".into(),
        ));
    }
    Ok(Plan {
        predictors,
        max_train,
        unlabeled,
    })
}

/// Derives independent seeds for the random streams of a trial.
pub fn stream_seed(seed: u64, trial: usize, stream: &str) -> u64 {
    // FNV-1a over the stream name, mixed with splitmix64.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in stream.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    let mut z = seed
        .wrapping_add((trial as u64).wrapping_mul(0x9E3779B97F4A7C15))
        .wrapping_add(h);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^ (z >> 31)
}

/// The seed of the random stream of one evaluation point: derived from the base seed, the
/// trial, the predictor key, the train size, the fidelity and the test-set mode, and from
/// nothing else. Every point also gets a freshly built predictor, so the record of a point does
/// not depend on which other points ran before it, in which order or in which process: a
/// resumed, sharded or partial run gives bit-identical records to an uninterrupted one (the
/// trial's sets come from `seed + trial` alone, see [`trial_sets`]).
pub fn point_seed(
    cfg: &EvalConfig,
    trial: usize,
    predictor: &str,
    train_size: usize,
    fidelity: Option<u32>,
) -> u64 {
    let fidelity = fidelity.map_or_else(|| "-".to_string(), |f| f.to_string());
    let mode = match cfg.test_set {
        TestSetMode::Uniform => "uniform",
        TestSetMode::Mutation => "mutation",
    };
    stream_seed(
        cfg.seed,
        trial,
        &format!("{predictor}|n={train_size}|f={fidelity}|{mode}"),
    )
}

/// Draws the sets of trial `trial`.
pub fn trial_sets(
    bench: &Benchmark,
    cfg: &EvalConfig,
    plan: &Plan,
    trial: usize,
) -> Result<TrialSets, EvalError> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(trial as u64));
    draw_trial(
        bench,
        cfg.test_set,
        cfg.test_size,
        plan.max_train,
        plan.unlabeled,
        cfg.target,
        cfg.quirks,
        &mut rng,
    )
}

/// Builds what a predictor sees of the architectures at `positions`.
pub fn inputs(
    bench: &Benchmark,
    positions: &[usize],
    reqs: &Requirements,
    fidelity: Option<u32>,
) -> Result<Vec<ArchInput>, EvalError> {
    positions
        .iter()
        .map(|&p| {
            let r = &bench.records()[p];
            let mut input = ArchInput {
                arch: r.arch.clone(),
                hash: r.hash,
                curves: Vec::with_capacity(reqs.curves.len()),
                params_m: None,
                zero_cost: Vec::new(),
            };
            if let Some(f) = fidelity {
                for &metric in &reqs.curves {
                    let curve = match r.partial_curve(metric, f) {
                        Some(c) => c.to_vec(),
                        None => match (metric, r.val_acc_at(f)) {
                            (CurveMetric::ValAcc, Some(v)) => vec![v],
                            _ => {
                                return Err(EvalError::Grid(format!(
                                    "architecture {} has no {metric} at {f} epochs",
                                    r.arch
                                )))
                            }
                        },
                    };
                    if let Some(e) = curve.iter().position(|v| !v.is_finite()) {
                        return Err(EvalError::Grid(format!(
                            "architecture {} has a non-finite {metric} at epoch {} (diverged run?)",
                            r.arch,
                            e + 1
                        )));
                    }
                    input.curves.push((metric, curve));
                }
            }
            if reqs.params {
                input.params_m = r.params_m;
            }
            Ok(input)
        })
        .collect()
}

/// Mean fold Kendall tau of the current hyperparameters (3 contiguous folds of `n / 3` rows,
/// the last taking the remainder; NaN or negative scores count as 0).
fn cv_score(
    pred: &mut dyn Predictor,
    train: &[ArchInput],
    y: &[f64],
    ctx: &mut Context<'_>,
    quirks: Quirks,
) -> Result<f64, PredictorError> {
    const FOLDS: usize = 3;
    let n = train.len();
    let mut total = 0.0;
    for (lo, hi) in kfold_with(n, FOLDS, FoldSizes::LastTakesRest) {
        let tr_idx: Vec<usize> = (0..n).filter(|i| *i < lo || *i >= hi).collect();
        let tr_x: Vec<ArchInput> = tr_idx.iter().map(|&i| train[i].clone()).collect();
        let tr_y: Vec<f64> = tr_idx.iter().map(|&i| y[i]).collect();
        pred.fit(&tr_x, &tr_y, ctx)?;
        let (score_x, score_y): (Vec<ArchInput>, Vec<f64>) = match quirks {
            Quirks::Faithful => (tr_x, tr_y),
            Quirks::Fixed => (train[lo..hi].to_vec(), y[lo..hi].to_vec()),
        };
        let p = pred.query(&score_x, ctx)?;
        let tau = kendall_tau_b(&score_y, &p);
        total += if tau.is_finite() && tau > 0.0 {
            tau
        } else {
            0.0
        };
    }
    Ok(total / FOLDS as f64)
}

/// NASLib's random-search HPO through the predictor's [`Predictor::tuning`]: returns the best
/// CV score, leaving the best hyperparameters set. A predictor that asks for the search but has
/// nothing to tune, or rejects its own best draw, is an error of the record.
fn hpo(
    pred: &mut dyn Predictor,
    train: &[ArchInput],
    y: &[f64],
    ctx: &mut Context<'_>,
    cfg: &HpoConfig,
    start: Instant,
) -> Result<f64, PredictorError> {
    let no_tuning = |pred: &dyn Predictor| {
        PredictorError::fit_msg(
            pred.key(),
            "requirements ask for the CV hyperparameter search but the predictor has no \
             tunable hyperparameters (tuning() is None)",
        )
    };
    let budget = cfg.max_time_s * train.len() as f64 / 1000.0 + 20.0;
    let mut best: Option<(f64, crate::predictor::Hyperparams)> = None;
    for _ in 0..cfg.max_iters.max(1) {
        match pred.tuning() {
            Some(t) => t.draw(ctx.rng),
            None => return Err(no_tuning(pred)),
        }
        let score = cv_score(pred, train, y, ctx, cfg.quirks)?;
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            let hp = pred.tuning().map(|t| t.hyperparams()).unwrap_or_default();
            best = Some((score, hp));
        }
        if start.elapsed().as_secs_f64() > budget {
            break;
        }
    }
    let Some((score, hp)) = best else {
        return Err(no_tuning(pred));
    };
    let key = pred.key().to_string();
    match pred.tuning() {
        Some(t) => t
            .apply(&hp)
            .map_err(|source| PredictorError::Hyperparams { key, source })?,
        None => return Err(no_tuning(pred)),
    }
    Ok(score)
}

/// What one evaluation measured (before it becomes a record).
struct Outcome {
    metrics: Metrics,
    calibration: Option<Calibration>,
    fit_time_s: f64,
    query_time_s: f64,
    cv_score: Option<f64>,
    error: Option<String>,
}

/// Fits and queries one predictor at one grid point (NASLib's `single_evaluate`).
#[allow(clippy::too_many_arguments)]
fn single_evaluate(
    pred: &mut dyn Predictor,
    reqs: &Requirements,
    bench: &Benchmark,
    sets: &TrialSets,
    unlabeled: &[ArchInput],
    n: usize,
    fidelity: Option<u32>,
    cfg: &EvalConfig,
    rng: &mut PredictorRng,
) -> Outcome {
    let fail = |e: String, fit: f64| Outcome {
        metrics: Metrics::nan(),
        calibration: None,
        fit_time_s: fit,
        query_time_s: f64::NAN,
        cv_score: None,
        error: Some(e),
    };
    let train = match inputs(bench, &sets.train[..n], reqs, fidelity) {
        Ok(t) => t,
        Err(e) => return fail(error_chain(&e), f64::NAN),
    };
    let test = match inputs(bench, &sets.test, reqs, fidelity) {
        Ok(t) => t,
        Err(e) => return fail(error_chain(&e), f64::NAN),
    };
    let y_train = &sets.y_train[..n];
    let mut ctx = Context {
        space: bench.space(),
        dataset: bench.dataset(),
        fidelity,
        total_epochs: bench.total_epochs(),
        unlabeled,
        rng,
    };
    if let Some(t) = pred.tuning() {
        t.reset();
    }
    let _ = pred.take_reused_seconds();
    // A panic of the predictor (a libtorch error) becomes this point's error.
    let key = pred.key().to_string();
    let start = Instant::now();
    let mut cv = None;
    if reqs.hpo && cfg.hpo.enabled && n >= 10 {
        match catch_predictor_panic(&key, || {
            hpo(pred, &train, y_train, &mut ctx, &cfg.hpo, start)
        }) {
            Ok(s) => cv = Some(s),
            Err(e) => return fail(error_chain(&e), start.elapsed().as_secs_f64()),
        }
    }
    if let Err(e) = catch_predictor_panic(&key, || pred.fit(&train, y_train, &mut ctx)) {
        return fail(error_chain(&e), start.elapsed().as_secs_f64());
    }
    // Cached work the fit reused (zero-cost scores) counts as if it had been done now.
    let fit_time_s = start.elapsed().as_secs_f64() + pred.take_reused_seconds();
    let qstart = Instant::now();
    let prediction = match catch_predictor_panic(&key, || pred.query_dist(&test, &mut ctx)) {
        Ok(p) => p,
        Err(e) => return fail(error_chain(&e), fit_time_s),
    };
    let preds = prediction.mean;
    let query_time_s =
        (qstart.elapsed().as_secs_f64() + pred.take_reused_seconds()) / test.len().max(1) as f64;
    if preds.len() != test.len() {
        return fail(
            format!(
                "{} returned {} predictions for {} test architectures",
                pred.key(),
                preds.len(),
                test.len()
            ),
            fit_time_s,
        );
    }
    let calibration = prediction
        .std
        .as_deref()
        .and_then(|std| Calibration::compute(&sets.y_test, &preds, std));
    match Metrics::compute(&sets.y_test, &preds) {
        Ok(metrics) => Outcome {
            metrics,
            calibration,
            fit_time_s,
            query_time_s,
            cv_score: cv,
            error: None,
        },
        Err(e) => Outcome {
            metrics: Metrics::nan(),
            calibration: None,
            fit_time_s,
            query_time_s,
            cv_score: cv,
            error: Some(format!("metrics: {e}")),
        },
    }
}

/// Benchmark seconds charged for the first `n` training architectures under `accounting`
/// (NASLib's `train_time`: the sum over them of what each costs).
fn bench_init_time(
    bench: &Benchmark,
    sets: &TrialSets,
    n: usize,
    accounting: TimeAccounting,
) -> Option<f64> {
    sets.train[..n]
        .iter()
        .map(|&p| accounting.train_cost_s(bench, &bench.records()[p]))
        .sum()
}

/// Benchmark seconds of training a test architecture for `fidelity` epochs, averaged over the
/// set.
fn bench_query_time(
    bench: &Benchmark,
    sets: &TrialSets,
    fidelity: u32,
    accounting: TimeAccounting,
) -> Option<f64> {
    let times: Option<Vec<f64>> = sets
        .test
        .iter()
        .map(|&p| accounting.partial_cost_s(bench, &bench.records()[p], fidelity))
        .collect();
    times.map(|t| t.iter().sum::<f64>() / t.len().max(1) as f64)
}

/// Refuses a results file that holds records of this configuration timed under another
/// accounting: resuming would mix two meanings of the time axes in one file.
fn check_accounting(
    previous: &[ResultRecord],
    cfg: &EvalConfig,
    opts: &RunOptions,
) -> Result<(), EvalError> {
    match previous
        .iter()
        .find(|r| r.time_accounting != cfg.time_accounting)
    {
        None => Ok(()),
        Some(r) => Err(EvalError::Config(format!(
            "{} holds records timed with the {} accounting, this run uses {}; rerun with \
             that accounting (--time-accounting {}) or write to another results file",
            opts.results.as_ref().map_or_else(
                || "the results file".to_string(),
                |p| p.display().to_string()
            ),
            r.time_accounting,
            cfg.time_accounting,
            r.time_accounting.name().replace('_', "-"),
        ))),
    }
}

/// What [`run`] tells its [`ProgressSink`] as it goes.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// The evaluations are about to start: `total` of them (the grid points of the plan, or of
    /// its [`RunOptions::only`] shard, that the results file does not hold yet).
    Started {
        /// Number of evaluations to run.
        total: usize,
    },
    /// One evaluation finished (its record already in the results file, if there is one);
    /// reported from the worker thread that ran it, in no particular order.
    Evaluated(&'a ResultRecord),
    /// Every evaluation has ended (also when one of them failed with an error).
    Finished,
}

/// Receives [`run`]'s [`Progress`] (e.g. to draw a progress bar); called from several threads
/// at once. Any `Fn(Progress<'_>) + Send + Sync` closure is one.
pub trait ProgressSink: Send + Sync {
    /// Called for each event.
    fn report(&self, event: Progress<'_>);
}

impl<F: Fn(Progress<'_>) + Send + Sync> ProgressSink for F {
    fn report(&self, event: Progress<'_>) {
        self(event)
    }
}

/// Where results go and who hears of the progress.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// `results.jsonl` to append to (and resume from); `None` keeps results in memory only.
    pub results: Option<PathBuf>,
    /// Told of the run's progress; `None` (the default) reports nothing. The library draws
    /// nothing itself: the `naspred` CLI passes an indicatif bar here.
    pub progress: Option<Arc<dyn ProgressSink>>,
    /// Run only these (trial, predictor key) units of the plan (a shard of a larger job);
    /// `None` runs them all.
    pub only: Option<HashSet<(usize, String)>>,
}

impl RunOptions {
    /// Reports `event` to the progress sink, if there is one.
    fn report(&self, event: Progress<'_>) {
        if let Some(sink) = &self.progress {
            sink.report(event);
        }
    }
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("results", &self.results)
            .field(
                "progress",
                &self.progress.as_ref().map(|_| "dyn ProgressSink"),
            )
            .field("only", &self.only)
            .finish()
    }
}

/// Runs every (trial, predictor) of the plan in parallel and returns all records (those of a
/// previous run in the same file included). Finished grid points found in the results file are
/// skipped; a predictor failure becomes a record with `error` set, never a dead sweep.
pub fn run(
    bench: &Benchmark,
    cfg: &EvalConfig,
    factory: &dyn PredictorFactory,
    opts: &RunOptions,
) -> Result<Vec<ResultRecord>, EvalError> {
    let plan = plan(bench, cfg, factory)?;
    let previous = match &opts.results {
        Some(p) => read_records(p)?,
        None => Vec::new(),
    };
    let previous: Vec<ResultRecord> = previous
        .into_iter()
        .filter(|r| {
            r.space == bench.space()
                && r.dataset == bench.dataset()
                && r.test_size == cfg.test_size
                && r.test_set == cfg.test_set
                && r.seed == cfg.seed.wrapping_add(r.trial as u64)
        })
        .collect();
    check_accounting(&previous, cfg, opts)?;
    let done: HashSet<RecordKey> = finished_keys(&previous);
    let writer = match &opts.results {
        Some(p) => Some(ResultWriter::append(p)?),
        None => None,
    };
    let units: Vec<(usize, usize)> = (0..cfg.trials)
        .flat_map(|t| (0..plan.predictors.len()).map(move |p| (t, p)))
        .filter(|&(t, p)| {
            opts.only
                .as_ref()
                .is_none_or(|o| o.contains(&(t, plan.predictors[p].key.clone())))
        })
        .collect();
    let total: usize = units
        .iter()
        .map(|&(t, p)| {
            plan.predictors[p]
                .points
                .iter()
                .filter(|&&(n, f)| !done.contains(&key(&plan.predictors[p].key, t, n, f)))
                .count()
        })
        .sum();
    opts.report(Progress::Started { total });
    let results: Vec<Result<Vec<ResultRecord>, EvalError>> = units
        .par_iter()
        .map(|&(trial, p)| {
            let pp = &plan.predictors[p];
            let todo: Vec<(usize, Option<u32>)> = pp
                .points
                .iter()
                .copied()
                .filter(|&(n, f)| !done.contains(&key(&pp.key, trial, n, f)))
                .collect();
            if todo.is_empty() {
                return Ok(Vec::new());
            }
            let sets = trial_sets(bench, cfg, &plan, trial)?;
            let unlabeled = if pp.reqs.unlabeled_factor > 0 {
                inputs(bench, &sets.unlabeled, &pp.reqs, None)?
            } else {
                Vec::new()
            };
            let mut out = Vec::with_capacity(todo.len());
            for (n, fidelity) in todo {
                // A fresh predictor and random stream per point: see [`point_seed`].
                let mut rng =
                    PredictorRng::seed_from_u64(point_seed(cfg, trial, &pp.key, n, fidelity));
                let mut predictor = factory.build(&pp.key, bench.space(), bench.dataset());
                let outcome = match &mut predictor {
                    Ok(pred) => single_evaluate(
                        pred.as_mut(),
                        &pp.reqs,
                        bench,
                        &sets,
                        &unlabeled,
                        n,
                        fidelity,
                        cfg,
                        &mut rng,
                    ),
                    Err(e) => Outcome {
                        metrics: Metrics::nan(),
                        calibration: None,
                        fit_time_s: f64::NAN,
                        query_time_s: f64::NAN,
                        cv_score: None,
                        error: Some(error_chain(e)),
                    },
                };
                let hyperparams = predictor
                    .as_ref()
                    .map(|p| p.hyperparams())
                    .unwrap_or_default();
                let record = ResultRecord {
                    predictor: pp.key.clone(),
                    space: bench.space(),
                    dataset: bench.dataset(),
                    trial,
                    seed: cfg.seed.wrapping_add(trial as u64),
                    train_size: n,
                    fidelity,
                    test_size: cfg.test_size,
                    test_set: cfg.test_set,
                    metrics: outcome.metrics,
                    calibration: outcome.calibration,
                    fit_time_s: outcome.fit_time_s,
                    query_time_s: outcome.query_time_s,
                    bench_init_time_s: if pp.reqs.trains {
                        bench_init_time(bench, &sets, n, cfg.time_accounting)
                    } else {
                        Some(0.0)
                    },
                    bench_query_time_s: match fidelity {
                        Some(f) => bench_query_time(bench, &sets, f, cfg.time_accounting),
                        None => Some(0.0),
                    },
                    time_accounting: cfg.time_accounting,
                    hyperparams,
                    cv_score: outcome.cv_score,
                    error: outcome.error,
                };
                if let Some(w) = &writer {
                    w.write(&record)?;
                }
                opts.report(Progress::Evaluated(&record));
                out.push(record);
            }
            Ok(out)
        })
        .collect();
    opts.report(Progress::Finished);
    let mut all = previous;
    for r in results {
        all.extend(r?);
    }
    all.sort_by_key(ResultRecord::key);
    Ok(all)
}

fn key(predictor: &str, trial: usize, train_size: usize, fidelity: Option<u32>) -> RecordKey {
    RecordKey {
        predictor: predictor.to_string(),
        trial,
        train_size,
        fidelity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpo::{HpError, HpSpace, HpSpec, HpoState, Tunable, TunableParams};
    use crate::predictor::Hyperparams;
    use naspred_data::Dataset;
    use naspred_spaces::{AnyArch, SpaceKind};
    use rand::Rng;

    /// One tunable weight `w` in [-1, 1]: the prediction is `w * y` (so `w = 1` ranks best).
    #[derive(Clone, Debug, PartialEq)]
    struct Weight {
        w: f64,
    }

    impl TunableParams for Weight {
        const SPACE: HpSpace = HpSpace::new(&[HpSpec::real("w", -1.0, 1.0)]);

        fn to_hyperparams(&self) -> Hyperparams {
            Hyperparams::from([("w".to_string(), self.w)])
        }

        fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
            Self::SPACE.validate(hp)?;
            Ok(Weight {
                w: hp.get("w").copied().unwrap_or(self.w),
            })
        }

        fn sample(&self, rng: &mut PredictorRng) -> Self {
            Weight {
                w: rng.random_range(-1.0..1.0),
            }
        }
    }

    /// A Tunable that refuses every `apply`.
    struct Stubborn(HpoState<Weight>);

    impl Tunable for Stubborn {
        fn space(&self) -> HpSpace {
            Weight::SPACE
        }
        fn hyperparams(&self) -> Hyperparams {
            self.0.hyperparams()
        }
        fn apply(&mut self, _hp: &Hyperparams) -> Result<(), HpError> {
            Err(HpError::invalid("w", 0.0, "refused"))
        }
        fn draw(&mut self, rng: &mut PredictorRng) {
            self.0.draw(rng)
        }
        fn reset(&mut self) {
            self.0.reset()
        }
    }

    enum Mode {
        Tunable(HpoState<Weight>),
        Stubborn(Stubborn),
        Nothing,
    }

    struct Mock {
        mode: Mode,
        truth: Vec<(ArchInput, f64)>,
    }

    impl Mock {
        fn w(&self) -> f64 {
            match &self.mode {
                Mode::Tunable(s) => s.current().w,
                Mode::Stubborn(s) => s.0.current().w,
                Mode::Nothing => 1.0,
            }
        }
    }

    impl Predictor for Mock {
        fn key(&self) -> &str {
            "mock"
        }
        fn requirements(&self) -> Requirements {
            Requirements {
                hpo: true,
                ..Requirements::model_based()
            }
        }
        fn fit(
            &mut self,
            _train: &[ArchInput],
            _y: &[f64],
            _ctx: &mut Context<'_>,
        ) -> Result<(), PredictorError> {
            Ok(())
        }
        fn query(
            &mut self,
            test: &[ArchInput],
            _ctx: &mut Context<'_>,
        ) -> Result<Vec<f64>, PredictorError> {
            let w = self.w();
            Ok(test
                .iter()
                .map(|a| {
                    let y = self
                        .truth
                        .iter()
                        .find(|(b, _)| b.hash == a.hash)
                        .map_or(0.0, |(_, y)| *y);
                    w * y
                })
                .collect())
        }
        fn hyperparams(&self) -> Hyperparams {
            Hyperparams::from([("w".to_string(), self.w())])
        }
        fn tuning(&mut self) -> Option<&mut dyn Tunable> {
            match &mut self.mode {
                Mode::Tunable(s) => Some(s),
                Mode::Stubborn(s) => Some(s),
                Mode::Nothing => None,
            }
        }
    }

    fn data() -> (Vec<ArchInput>, Vec<f64>) {
        let mut rng = PredictorRng::seed_from_u64(5);
        let mut train = Vec::new();
        let mut y = Vec::new();
        while train.len() < 12 {
            let arch = AnyArch::sample(SpaceKind::Nb201, &mut rng).unwrap();
            let a = ArchInput::bare(arch);
            if train.iter().any(|b: &ArchInput| b.hash == a.hash) {
                continue;
            }
            train.push(a);
            y.push(rng.random_range(50.0..95.0));
        }
        (train, y)
    }

    fn run(mock: &mut Mock, train: &[ArchInput], y: &[f64]) -> Result<f64, PredictorError> {
        let mut rng = PredictorRng::seed_from_u64(1);
        let mut ctx = Context {
            space: SpaceKind::Nb201,
            dataset: Dataset::Cifar10,
            fidelity: None,
            total_epochs: 200,
            unlabeled: &[],
            rng: &mut rng,
        };
        let cfg = HpoConfig {
            max_iters: 30,
            ..HpoConfig::default()
        };
        hpo(mock, train, y, &mut ctx, &cfg, Instant::now())
    }

    #[test]
    fn cv_search_draws_through_tuning_and_keeps_the_best() {
        let (train, y) = data();
        let truth: Vec<(ArchInput, f64)> = train.iter().cloned().zip(y.iter().copied()).collect();
        let defaults = Weight { w: -1.0 };
        let mut mock = Mock {
            mode: Mode::Tunable(HpoState::new(defaults).unwrap()),
            truth,
        };
        mock.tuning().unwrap().reset();
        let score = run(&mut mock, &train, &y).unwrap();
        // The defaults (w = -1) score 0; some later draw has w > 0 and scores 1.
        assert!((score - 1.0).abs() < 1e-12, "{score}");
        assert!(mock.w() > 0.0, "best draw restored: {}", mock.w());
    }

    #[test]
    fn a_rejected_best_draw_or_nothing_to_tune_is_an_error() {
        let (train, y) = data();
        let mut mock = Mock {
            mode: Mode::Stubborn(Stubborn(HpoState::new(Weight { w: 0.5 }).unwrap())),
            truth: Vec::new(),
        };
        assert!(matches!(
            run(&mut mock, &train, &y),
            Err(PredictorError::Hyperparams { .. })
        ));
        let mut mock = Mock {
            mode: Mode::Nothing,
            truth: Vec::new(),
        };
        assert!(matches!(
            run(&mut mock, &train, &y),
            Err(PredictorError::FitReason { .. })
        ));
    }
}
