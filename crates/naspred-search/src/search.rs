//! The search loops: [`Searcher`] runs one trial of BO, evolution, random search or
//! regularised evolution on a benchmark and reports every query as a [`QueryRecord`].

use std::collections::VecDeque;
use std::time::Instant;

use naspred_data::{Benchmark, Coverage};
use naspred_eval::protocol::stream_seed;
use naspred_eval::{
    catch_predictor_panic, ArchInput, Context, Predictor, PredictorFactory, PredictorRng,
    Requirements,
};
use rand::seq::index::sample as index_sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::acquisition::{acquisition_values, ensemble_moments, top_k};
use crate::config::{OptimizerKind, SearchConfig, SearchError, Uncertainty};

/// How a queried architecture was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Drawn uniformly at random (initial queries, random search, RE's first population).
    Random,
    /// A BO candidate (fresh random architecture) picked by the acquisition function.
    Candidate,
    /// One mutation of a queried architecture.
    Mutation,
    /// A random architecture standing in for a mutation that the benchmark's sample does not
    /// hold (NB101 / DARTS samples, when no mutation of the parent is in the sample).
    RandomFallback,
}

/// One query of a trial, with the state of the search after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryRecord {
    /// Trial number.
    pub trial: usize,
    /// Queries so far, this one included (1-based).
    pub query: usize,
    /// The queried architecture (the space's text form).
    pub arch: String,
    /// Its canonical hash.
    pub hash: String,
    /// How it was chosen.
    pub origin: Origin,
    /// Whether it had been queried before in this trial (only without de-duplication).
    pub repeat: bool,
    /// The validation accuracy the query returned (percent).
    pub val_acc: f64,
    /// Its test accuracy where the benchmark has one, else its mean validation accuracy
    /// (see [`QueryRecord::test_is_val`]).
    pub test_acc: f64,
    /// Whether `test_acc` is a validation accuracy because the benchmark has no test accuracy.
    pub test_is_val: bool,
    /// Benchmark training time of this architecture (seconds; 0 where unknown).
    pub train_time_s: f64,
    /// Predictor fit time spent so far in the trial (seconds, wall clock).
    pub fit_time_s: f64,
    /// Simulated time so far: training times of all queried architectures plus fit time.
    pub sim_time_s: f64,
    /// Best validation accuracy so far.
    pub best_val_acc: f64,
    /// Test accuracy (as `test_acc`) of the best-by-validation architecture so far.
    pub best_test_acc: f64,
    /// The best-by-validation architecture so far.
    pub best_arch: String,
}

/// A batch of architectures a predictor-guided step chose, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Positions in [`Benchmark::records`], best first.
    pub positions: Vec<usize>,
    /// How each was produced.
    pub origins: Vec<Origin>,
    /// The parent (position) of each mutation.
    pub parents: Vec<Option<usize>>,
    /// Acquisition value of each.
    pub values: Vec<f64>,
    /// Wall-clock seconds of the ensemble fit.
    pub fit_time_s: f64,
}

/// Runs search trials on one benchmark.
pub struct Searcher<'a> {
    bench: &'a Benchmark,
    factory: &'a dyn PredictorFactory,
    cfg: &'a SearchConfig,
    reqs: Option<Requirements>,
}

/// The queried architectures of a trial.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Positions in [`Benchmark::records`], in query order.
    pub positions: Vec<usize>,
    /// The validation accuracy each query returned.
    pub values: Vec<f64>,
    seen: Vec<bool>,
}

impl History {
    /// An empty history for a benchmark of `n` architectures.
    pub fn new(n: usize) -> Self {
        History {
            positions: Vec::new(),
            values: Vec::new(),
            seen: vec![false; n],
        }
    }

    /// Records a query; returns whether the architecture had been queried before.
    pub fn push(&mut self, pos: usize, value: f64) -> bool {
        let repeat = self.seen[pos];
        self.seen[pos] = true;
        self.positions.push(pos);
        self.values.push(value);
        repeat
    }

    /// Whether `pos` has been queried.
    pub fn contains(&self, pos: usize) -> bool {
        self.seen[pos]
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether nothing has been queried.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

impl<'a> Searcher<'a> {
    /// A searcher for `cfg` on `bench`; checks the settings and that the predictor can work
    /// from architectures alone.
    pub fn new(
        bench: &'a Benchmark,
        factory: &'a dyn PredictorFactory,
        cfg: &'a SearchConfig,
    ) -> Result<Self, SearchError> {
        cfg.validate(bench.space())?;
        let reqs = match (&cfg.predictor, cfg.optimizer.uses_predictor()) {
            (Some(key), true) => {
                let r = factory.requirements(key)?;
                if (!r.curves.is_empty() && !r.curves_optional) || !r.zero_cost.is_empty() {
                    return Err(SearchError::Unsupported {
                        space: bench.space(),
                        what: format!(
                            "predictor {key} reads learning curves or zero-cost scores; \
                             search uses predictors that learn from architectures"
                        ),
                    });
                }
                if r.params && !bench.has_params() {
                    return Err(SearchError::Unsupported {
                        space: bench.space(),
                        what: format!(
                            "predictor {key} needs parameter counts; the benchmark lacks some"
                        ),
                    });
                }
                Some(r)
            }
            _ => None,
        };
        Ok(Searcher {
            bench,
            factory,
            cfg,
            reqs,
        })
    }

    /// The benchmark.
    pub fn bench(&self) -> &Benchmark {
        self.bench
    }

    /// A uniformly random architecture of the space (its benchmark position): the space's
    /// sampler for full benchmarks, a uniform record of the sample otherwise.
    pub fn random_position<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<usize, SearchError> {
        match self.bench.coverage() {
            Coverage::Sample => Ok(rng.random_range(0..self.bench.len())),
            Coverage::Full => {
                for _ in 0..1000 {
                    let a = naspred_spaces::AnyArch::sample(self.bench.space(), rng)?;
                    if let Some(p) = self.bench.position(&a.arch_hash()) {
                        return Ok(p);
                    }
                }
                Err(SearchError::Unsupported {
                    space: self.bench.space(),
                    what: "the sampler keeps drawing architectures the benchmark lacks".into(),
                })
            }
        }
    }

    /// A random architecture, not yet queried when de-duplicating (`None`: all queried).
    fn random_fresh<R: Rng + ?Sized>(
        &self,
        hist: &History,
        taken: &[bool],
        rng: &mut R,
    ) -> Result<Option<usize>, SearchError> {
        if !self.cfg.dedup {
            return self.random_position(rng).map(Some);
        }
        for _ in 0..1000 {
            let p = self.random_position(rng)?;
            if !hist.contains(p) && !taken[p] {
                return Ok(Some(p));
            }
        }
        let free: Vec<usize> = (0..self.bench.len())
            .filter(|&p| !hist.contains(p) && !taken[p])
            .collect();
        Ok((!free.is_empty()).then(|| free[rng.random_range(0..free.len())]))
    }

    /// One mutation of the architecture at `pos` that the benchmark holds (up to 100 tries;
    /// always the first for full benchmarks). `None` when the sample holds none.
    pub fn mutate_position<R: Rng + ?Sized>(
        &self,
        pos: usize,
        rng: &mut R,
    ) -> Result<Option<usize>, SearchError> {
        let arch = &self.bench.records()[pos].arch;
        for _ in 0..100 {
            let child = arch.mutate(rng, self.cfg.quirks)?;
            if let Some(p) = self.bench.position(&child.arch_hash()) {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    fn inputs(&self, positions: &[usize]) -> Vec<ArchInput> {
        let want_params = self.reqs.as_ref().is_some_and(|r| r.params);
        positions
            .iter()
            .map(|&p| {
                let r = &self.bench.records()[p];
                ArchInput {
                    arch: r.arch.clone(),
                    hash: r.hash,
                    curves: Vec::new(),
                    params_m: if want_params { r.params_m } else { None },
                    zero_cost: Vec::new(),
                }
            })
            .collect()
    }

    /// Fits a fresh ensemble on the history and returns the per-candidate mean and spread,
    /// and the fit time.
    fn score(
        &self,
        hist: &History,
        candidates: &[usize],
        trial: usize,
        iteration: usize,
    ) -> Result<(Vec<f64>, Vec<f64>, f64), SearchError> {
        let key = self
            .cfg
            .predictor
            .as_deref()
            .ok_or_else(|| SearchError::Config("no predictor".into()))?;
        let reqs = self
            .reqs
            .as_ref()
            .ok_or_else(|| SearchError::Config("no predictor".into()))?;
        let train = self.inputs(&hist.positions);
        let test = self.inputs(candidates);
        let members = match self.cfg.uncertainty {
            Uncertainty::Ensemble => self.cfg.num_ensemble,
            Uncertainty::Own => 1,
        };
        let mut models: Vec<(Box<dyn Predictor>, PredictorRng)> = Vec::with_capacity(members);
        let mut unl_rng = ChaCha8Rng::seed_from_u64(stream_seed(
            self.cfg.seed,
            trial,
            &format!("unlabeled/{iteration}"),
        ));
        let unlabeled = if reqs.unlabeled_factor > 0 {
            let n = train.len() * reqs.unlabeled_factor;
            let mut pos = Vec::with_capacity(n);
            for _ in 0..n {
                pos.push(self.random_position(&mut unl_rng)?);
            }
            self.inputs(&pos)
        } else {
            Vec::new()
        };
        let t0 = Instant::now();
        for m in 0..members {
            let mut p = self
                .factory
                .build(key, self.bench.space(), self.bench.dataset())?;
            let mut rng = PredictorRng::seed_from_u64(stream_seed(
                self.cfg.seed,
                trial,
                &format!("predictor/{iteration}/{m}"),
            ));
            let mut ctx = Context {
                space: self.bench.space(),
                dataset: self.bench.dataset(),
                fidelity: None,
                total_epochs: self.bench.total_epochs(),
                unlabeled: &unlabeled,
                rng: &mut rng,
            };
            // A panic of the predictor (a libtorch error) is this run's predictor error.
            catch_predictor_panic(key, || p.fit(&train, &hist.values, &mut ctx))?;
            models.push((p, rng));
        }
        let fit_time = t0.elapsed().as_secs_f64();
        let mut preds = Vec::with_capacity(members);
        let mut own_std = None;
        for (p, rng) in &mut models {
            let mut ctx = Context {
                space: self.bench.space(),
                dataset: self.bench.dataset(),
                fidelity: None,
                total_epochs: self.bench.total_epochs(),
                unlabeled: &unlabeled,
                rng,
            };
            match self.cfg.uncertainty {
                Uncertainty::Ensemble => {
                    preds.push(catch_predictor_panic(key, || p.query(&test, &mut ctx))?)
                }
                Uncertainty::Own => {
                    let d = catch_predictor_panic(key, || p.query_dist(&test, &mut ctx))?;
                    own_std = Some(d.std.ok_or_else(|| SearchError::Unsupported {
                        space: self.bench.space(),
                        what: format!("predictor {key} has no predictive uncertainty (use --uncertainty ensemble)"),
                    })?);
                    preds.push(d.mean);
                }
            }
        }
        let (mean, std) = ensemble_moments(&preds);
        Ok((mean, own_std.unwrap_or(std), fit_time))
    }

    /// One predictor-guided step (BO or evolution): builds the candidates, fits the ensemble
    /// on the history, scores the candidates and returns the `k` best, best first.
    /// `iteration` numbers the fits of the trial (it seeds the predictors).
    pub fn propose<R: Rng + ?Sized>(
        &self,
        hist: &History,
        trial: usize,
        iteration: usize,
        rng: &mut R,
    ) -> Result<Batch, SearchError> {
        let cfg = self.cfg;
        let mut taken = vec![false; self.bench.len()];
        let mut cand = Vec::with_capacity(cfg.num_candidates);
        let mut origins = Vec::with_capacity(cfg.num_candidates);
        let mut parents = Vec::with_capacity(cfg.num_candidates);
        macro_rules! push {
            ($p:expr, $o:expr, $par:expr) => {{
                let p: usize = $p;
                if cfg.dedup {
                    taken[p] = true;
                }
                cand.push(p);
                origins.push($o);
                parents.push($par);
            }};
        }
        match cfg.optimizer {
            OptimizerKind::Bo => {
                for _ in 0..cfg.num_candidates {
                    match self.random_fresh(hist, &taken, rng)? {
                        Some(p) => push!(p, Origin::Candidate, None),
                        None => break,
                    }
                }
            }
            OptimizerKind::Evolution => {
                // The best queried architectures (distinct), best first.
                let order = top_k(&hist.values, hist.len());
                let mut best: Vec<usize> = Vec::with_capacity(cfg.num_arches_to_mutate);
                for i in order {
                    let p = hist.positions[i];
                    if !best.contains(&p) {
                        best.push(p);
                        if best.len() == cfg.num_arches_to_mutate {
                            break;
                        }
                    }
                }
                let per = cfg.num_candidates / cfg.num_arches_to_mutate;
                for &parent in &best {
                    for _ in 0..per {
                        match self.mutate_position(parent, rng)? {
                            Some(c) if !cfg.dedup || (!hist.contains(c) && !taken[c]) => {
                                push!(c, Origin::Mutation, Some(parent))
                            }
                            Some(_) => {}
                            None => {
                                if let Some(p) = self.random_fresh(hist, &taken, rng)? {
                                    push!(p, Origin::RandomFallback, None);
                                }
                            }
                        }
                    }
                }
                if cand.is_empty() {
                    // Every mutation was queried already: fall back to fresh random ones.
                    for _ in 0..cfg.k {
                        if let Some(p) = self.random_fresh(hist, &taken, rng)? {
                            push!(p, Origin::RandomFallback, None);
                        }
                    }
                }
            }
            OptimizerKind::Rs | OptimizerKind::Re => {
                return Err(SearchError::Config(format!(
                    "{} is not predictor-guided",
                    cfg.optimizer
                )))
            }
        }
        if cand.is_empty() {
            return Ok(Batch {
                positions: Vec::new(),
                origins: Vec::new(),
                parents: Vec::new(),
                values: Vec::new(),
                fit_time_s: 0.0,
            });
        }
        let (mean, std, fit_time_s) = self.score(hist, &cand, trial, iteration)?;
        let best_y = hist
            .values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let values = acquisition_values(
            cfg.acquisition,
            &mean,
            &std,
            best_y,
            cfg.explore_factor,
            cfg.ei_calibration_factor,
            rng,
        );
        let pick = top_k(&values, cfg.k);
        Ok(Batch {
            positions: pick.iter().map(|&i| cand[i]).collect(),
            origins: pick.iter().map(|&i| origins[i]).collect(),
            parents: pick.iter().map(|&i| parents[i]).collect(),
            values: pick.iter().map(|&i| values[i]).collect(),
            fit_time_s,
        })
    }

    /// Runs trial `trial` to its budget, calling `on_query` after every query, and returns
    /// its records. Deterministic for a given (config, trial), apart from the wall-clock fit
    /// times.
    pub fn run_trial(
        &self,
        trial: usize,
        on_query: &mut dyn FnMut(&QueryRecord) -> Result<(), SearchError>,
    ) -> Result<Vec<QueryRecord>, SearchError> {
        let cfg = self.cfg;
        let seed = |s: &str| ChaCha8Rng::seed_from_u64(stream_seed(cfg.seed, trial, s));
        // The initial random queries come from their own stream, so every strategy of a trial
        // starts from the same architectures.
        let mut init_rng = seed("init");
        let mut rng = seed("search");
        let mut target_rng = seed("target");
        let mut hist = History::new(self.bench.len());
        let mut out: Vec<QueryRecord> = Vec::with_capacity(cfg.queries);
        let mut st = RunState::default();
        let no_taken = vec![false; self.bench.len()];

        let mut pending: Vec<(usize, Origin)> = Vec::new(); // popped from the end
        let mut population: VecDeque<(usize, f64)> = VecDeque::new();
        let mut iteration = 0usize;
        let init = match cfg.optimizer {
            OptimizerKind::Rs => cfg.queries,
            OptimizerKind::Re => cfg.population_size,
            _ => cfg.num_init,
        };
        while hist.len() < cfg.queries {
            if let Some(b) = cfg.time_budget_s {
                if st.sim_time >= b {
                    break;
                }
            }
            let next = if hist.len() < init {
                self.random_fresh(&hist, &no_taken, &mut init_rng)?
                    .map(|p| (p, Origin::Random))
            } else {
                match cfg.optimizer {
                    OptimizerKind::Rs => unreachable!("random search queries only at random"),
                    OptimizerKind::Re => self.re_step(&hist, &population, &mut rng)?,
                    OptimizerKind::Bo | OptimizerKind::Evolution => {
                        if pending.is_empty() {
                            let batch = self.propose(&hist, trial, iteration, &mut rng)?;
                            iteration += 1;
                            st.fit_time += batch.fit_time_s;
                            st.sim_time += batch.fit_time_s;
                            pending = batch
                                .positions
                                .into_iter()
                                .zip(batch.origins)
                                .rev()
                                .collect();
                        }
                        pending.pop()
                    }
                }
            };
            let Some((pos, origin)) = next else { break };
            let rec = self.query(trial, pos, origin, &mut hist, &mut st, &mut target_rng);
            if cfg.optimizer == OptimizerKind::Re {
                population.push_back((pos, rec.val_acc));
                if population.len() > cfg.population_size {
                    population.pop_front();
                }
            }
            on_query(&rec)?;
            out.push(rec);
        }
        Ok(out)
    }

    /// Regularised evolution: tournament of `sample_size` from the population, mutate the
    /// winner once.
    fn re_step<R: Rng + ?Sized>(
        &self,
        hist: &History,
        population: &VecDeque<(usize, f64)>,
        rng: &mut R,
    ) -> Result<Option<(usize, Origin)>, SearchError> {
        let n = population.len();
        let parent = index_sample(rng, n, self.cfg.sample_size.min(n))
            .into_iter()
            .map(|i| population[i])
            .fold(None, |acc: Option<(usize, f64)>, x| match acc {
                Some(a) if a.1 >= x.1 => Some(a),
                _ => Some(x),
            });
        let Some((parent, _)) = parent else {
            return Ok(None);
        };
        for _ in 0..100 {
            match self.mutate_position(parent, rng)? {
                Some(c) if !self.cfg.dedup || !hist.contains(c) => {
                    return Ok(Some((c, Origin::Mutation)))
                }
                Some(_) => {}
                None => break,
            }
        }
        let none = vec![false; self.bench.len()];
        Ok(self
            .random_fresh(hist, &none, rng)?
            .map(|p| (p, Origin::RandomFallback)))
    }

    fn query(
        &self,
        trial: usize,
        pos: usize,
        origin: Origin,
        hist: &mut History,
        st: &mut RunState,
        target_rng: &mut ChaCha8Rng,
    ) -> QueryRecord {
        let r = &self.bench.records()[pos];
        let val = r.target(self.cfg.target, target_rng);
        let (test, test_is_val) = match r.test_acc {
            Some(t) => (t, false),
            None => (r.mean_val_acc(), true),
        };
        let train_time = r.train_time_s.unwrap_or(0.0);
        let repeat = hist.push(pos, val);
        st.sim_time += train_time;
        if st.best.is_none_or(|(v, _, _)| val > v) {
            st.best = Some((val, test, pos));
        }
        let (best_val, best_test, best_pos) = st.best.unwrap_or((val, test, pos));
        QueryRecord {
            trial,
            query: hist.len(),
            arch: r.arch.to_string(),
            hash: r.hash.to_string(),
            origin,
            repeat,
            val_acc: val,
            test_acc: test,
            test_is_val,
            train_time_s: train_time,
            fit_time_s: st.fit_time,
            sim_time_s: st.sim_time,
            best_val_acc: best_val,
            best_test_acc: best_test,
            best_arch: self.bench.records()[best_pos].arch.to_string(),
        }
    }
}

#[derive(Default)]
struct RunState {
    fit_time: f64,
    sim_time: f64,
    best: Option<(f64, f64, usize)>,
}
