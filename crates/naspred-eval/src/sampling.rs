//! Drawing a trial's test, train and unlabeled sets the way NASLib's evaluator draws them
//! (spec §2.2 to §2.4).
//!
//! One data random stream per trial, seeded by the trial's seed, draws every set; the sets are
//! therefore identical for every predictor of a trial and independent of thread count.
//! Uniform sets draw with the space's sampler where the benchmark covers the whole space
//! (NB201) and uniformly with replacement from the benchmark's list otherwise (NB101 sample,
//! DARTS, NLP), keeping an architecture only if its hash is new (one hash set shared by test,
//! train and unlabeled sets). Mutation ("adjacent") sets are NASLib's: mutations of the best
//! architectures of a random pool (see [`TestSetMode::Mutation`]).

use std::collections::HashSet;

use naspred_data::{Benchmark, Coverage, TargetMode};
use naspred_spaces::{AnyArch, ArchHash, Quirks};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::EvalError;

/// How test (and train) sets are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestSetMode {
    /// Uniformly random architectures (the study's default).
    #[default]
    Uniform,
    /// Mutations of good architectures (NASLib's `adjacent` sets: up to 3 mutations of the 5
    /// best of a pool of 10; spec §2.4); needs a benchmark covering the space.
    Mutation,
}

impl std::str::FromStr for TestSetMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "uniform" => Ok(TestSetMode::Uniform),
            "mutation" | "adjacent" => Ok(TestSetMode::Mutation),
            _ => Err(format!(
                "unknown test set mode {s:?} (expected uniform or mutation)"
            )),
        }
    }
}

impl std::fmt::Display for TestSetMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TestSetMode::Uniform => "uniform",
            TestSetMode::Mutation => "mutation",
        })
    }
}

/// The architectures of one trial, as positions in [`Benchmark::records`], with their targets.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialSets {
    /// Test architectures.
    pub test: Vec<usize>,
    /// Targets of the test architectures.
    pub y_test: Vec<f64>,
    /// Training architectures; every train size uses a prefix of this list.
    pub train: Vec<usize>,
    /// Targets of the training architectures.
    pub y_train: Vec<f64>,
    /// Unlabeled architectures (for semi-supervised predictors).
    pub unlabeled: Vec<usize>,
}

/// Hard limit on draws per wanted architecture before giving up (a benchmark too small for the
/// request is caught earlier; this guards against pathological samplers).
const MAX_DRAWS_PER_ARCH: usize = 10_000;

struct Drawer<'b> {
    bench: &'b Benchmark,
    seen: HashSet<ArchHash>,
}

impl<'b> Drawer<'b> {
    fn uniform_one<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Result<Option<usize>, EvalError> {
        let pos = match self.bench.coverage() {
            Coverage::Full => {
                let arch = AnyArch::sample(self.bench.space(), rng)?;
                let hash = arch.arch_hash();
                match self.bench.position(&hash) {
                    Some(p) => p,
                    None => {
                        return Err(EvalError::Data(format!(
                            "the {} benchmark claims to cover the space but lacks sampled \
                             architecture {arch}",
                            self.bench.space()
                        )))
                    }
                }
            }
            Coverage::Sample => rng.random_range(0..self.bench.len()),
        };
        let hash = self.bench.records()[pos].hash;
        Ok(self.seen.insert(hash).then_some(pos))
    }

    fn uniform<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: usize,
        what: &str,
    ) -> Result<Vec<usize>, EvalError> {
        let mut out = Vec::with_capacity(n);
        let mut draws = 0usize;
        while out.len() < n {
            draws += 1;
            if draws > MAX_DRAWS_PER_ARCH * n.max(1) {
                return Err(EvalError::Grid(format!(
                    "could only draw {} distinct {what} architectures of {n} from the {} \
                     benchmark ({} architectures)",
                    out.len(),
                    self.bench.space(),
                    self.bench.len()
                )));
            }
            if let Some(p) = self.uniform_one(rng)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Adds `arch` if the benchmark has it and its hash is new.
    fn add(&mut self, arch: &AnyArch) -> Option<usize> {
        let hash = arch.arch_hash();
        let pos = self.bench.position(&hash)?;
        self.seen.insert(hash).then_some(pos)
    }
}

/// Draws the sets of one trial.
///
/// * `test_size` test architectures, then `train_size` training architectures (the largest
///   train size of the sweep; smaller sizes use prefixes), then `unlabeled` more.
/// * `quirks` selects NASLib's faithful or fixed mutation where the space has a QUIRK.
#[allow(clippy::too_many_arguments)]
pub fn draw_trial<R: Rng + ?Sized>(
    bench: &Benchmark,
    mode: TestSetMode,
    test_size: usize,
    train_size: usize,
    unlabeled: usize,
    target: TargetMode,
    quirks: Quirks,
    rng: &mut R,
) -> Result<TrialSets, EvalError> {
    let mut d = Drawer {
        bench,
        seen: HashSet::with_capacity(test_size + train_size + unlabeled),
    };
    let (test, train) = match mode {
        TestSetMode::Uniform => {
            let test = d.uniform(rng, test_size, "test")?;
            let train = d.uniform(rng, train_size, "training")?;
            (test, train)
        }
        TestSetMode::Mutation => mutation_sets(&mut d, test_size, train_size, quirks, rng)?,
    };
    let unl = d.uniform(rng, unlabeled, "unlabeled")?;
    let y_test = test
        .iter()
        .map(|&p| bench.records()[p].target(target, rng))
        .collect();
    let y_train = train
        .iter()
        .map(|&p| bench.records()[p].target(target, rng))
        .collect();
    Ok(TrialSets {
        test,
        y_test,
        train,
        y_train,
        unlabeled: unl,
    })
}

/// NASLib's mutation-based test and train sets (pool 10, 5 parents, up to 3 mutations).
fn mutation_sets<R: Rng + ?Sized>(
    d: &mut Drawer<'_>,
    test_size: usize,
    train_size: usize,
    quirks: Quirks,
    rng: &mut R,
) -> Result<(Vec<usize>, Vec<usize>), EvalError> {
    const POOL: usize = 10;
    const PARENTS: usize = 5;
    const MAX_MUTATIONS: usize = 3;
    if d.bench.coverage() != Coverage::Full {
        return Err(EvalError::Grid(format!(
            "mutation test sets need a benchmark that covers the whole {} space; this one \
             holds only a list of {} architectures",
            d.bench.space(),
            d.bench.len()
        )));
    }
    let pool = d.uniform(rng, POOL, "seed")?;
    let mut ranked = pool.clone();
    ranked.sort_by(|&a, &b| {
        let (ya, yb) = (
            d.bench.records()[a].mean_val_acc(),
            d.bench.records()[b].mean_val_acc(),
        );
        yb.total_cmp(&ya)
    });
    // The discarded pool members stay "seen", as their hashes were registered in NASLib too.
    let parents: Vec<usize> = ranked.into_iter().take(PARENTS).collect();
    let mut test = parents.clone();
    test.truncate(test_size);
    let limit = MAX_DRAWS_PER_ARCH * (test_size + train_size).max(1);
    let mut draws = 0usize;
    while test.len() < test_size {
        draws += 1;
        if draws > limit {
            return Err(EvalError::Grid(format!(
                "could only mutate {} distinct test architectures of {test_size}",
                test.len()
            )));
        }
        let parent = parents[rng.random_range(0..parents.len())];
        let mut arch = d.bench.records()[parent].arch.clone();
        let m = rng.random_range(1..=MAX_MUTATIONS);
        for _ in 0..m {
            arch = arch.mutate(rng, quirks)?;
        }
        if let Some(p) = d.add(&arch) {
            test.push(p);
        }
    }
    let mut train = Vec::with_capacity(train_size);
    while train.len() < train_size {
        draws += 1;
        if draws > limit {
            return Err(EvalError::Grid(format!(
                "could only mutate {} distinct training architectures of {train_size}",
                train.len()
            )));
        }
        let parent = test[rng.random_range(0..test.len())];
        let arch = d.bench.records()[parent].arch.mutate(rng, quirks)?;
        if let Some(p) = d.add(&arch) {
            train.push(p);
        }
    }
    Ok((test, train))
}
