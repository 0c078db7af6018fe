//! The run loop shared by both solvers: argmin's `Executor::run` and the parts of its
//! `IterState` the solvers use.

use crate::morethuente::LineSearchFailure;
use crate::OptimError;

/// Why a run stopped (argmin's `TerminationReason`).
#[derive(Clone, Debug, PartialEq)]
pub enum Termination {
    /// The solver's own test passed: for Nelder-Mead the standard deviation of the simplex's
    /// costs fell below the tolerance; for L-BFGS the gradient norm or the change in cost did.
    Converged,
    /// The iteration cap was reached.
    MaxIters,
    /// The best cost reached `-inf` (argmin's default target cost).
    TargetCost,
    /// L-BFGS only: the line search failed; [`Outcome::param`] is then `None` and the best
    /// point is the last one accepted.
    LineSearch(LineSearchFailure),
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The best parameter seen (`None` if no cost was ever below `+inf`, e.g. all NaN).
    pub best_param: Option<Vec<f64>>,
    /// Its cost (`+inf` when there is none).
    pub best_cost: f64,
    /// The solver's last parameter (`None` after a failed line search).
    pub param: Option<Vec<f64>>,
    /// The solver's last cost.
    pub cost: f64,
    /// Iterations run (calls of the solver's step; a failed step counts).
    pub iterations: u64,
    /// Why the run stopped.
    pub termination: Termination,
}

/// The iteration state (argmin's `IterState`, reduced to what the solvers read).
#[derive(Debug)]
pub(crate) struct Track {
    pub(crate) param: Option<Vec<f64>>,
    pub(crate) cost: f64,
    pub(crate) prev_cost: f64,
    best_param: Option<Vec<f64>>,
    best_cost: f64,
    pub(crate) iter: u64,
}

impl Track {
    /// The state before a solver's initialisation: no parameter, every cost `+inf`.
    pub(crate) fn new() -> Self {
        Track {
            param: None,
            cost: f64::INFINITY,
            prev_cost: f64::INFINITY,
            best_param: None,
            best_cost: f64::INFINITY,
            iter: 0,
        }
    }

    /// Sets the current parameter and cost; the old cost becomes the previous one.
    pub(crate) fn set(&mut self, param: Vec<f64>, cost: f64) {
        self.param = Some(param);
        self.prev_cost = self.cost;
        self.cost = cost;
    }

    /// argmin's `IterState::update`: the current point becomes the best one if its cost is
    /// strictly lower, or if both are infinite with the same sign. Without a current
    /// parameter only the best cost is replaced.
    fn update(&mut self) {
        if self.cost < self.best_cost
            || (self.cost.is_infinite()
                && self.best_cost.is_infinite()
                && self.cost.is_sign_positive() == self.best_cost.is_sign_positive())
        {
            if let Some(param) = self.param.as_ref() {
                self.best_param = Some(param.clone());
            }
            self.best_cost = self.cost;
        }
    }
}

/// One solver as the run loop drives it.
pub(crate) trait Step {
    /// The solver's own stopping test (checked before each iteration).
    fn converged(&self, track: &Track) -> bool;
    /// One iteration; `Some` stops the run after it.
    fn step(&mut self, track: &mut Track) -> Result<Option<Termination>, OptimError>;
}

/// argmin's `Executor::run` after the solver's `init` (already applied to `track`): record the
/// best point, then test the solver's convergence, the iteration cap and the target cost
/// (`-inf`), in that order, before each iteration, and record the best point after it.
pub(crate) fn execute<S: Step>(
    solver: &mut S,
    mut track: Track,
    max_iters: u64,
) -> Result<Outcome, OptimError> {
    track.update();
    let termination = loop {
        if solver.converged(&track) {
            break Termination::Converged;
        }
        if track.iter >= max_iters {
            break Termination::MaxIters;
        }
        if track.best_cost <= f64::NEG_INFINITY {
            break Termination::TargetCost;
        }
        let stop = solver.step(&mut track)?;
        track.update();
        track.iter += 1;
        if let Some(reason) = stop {
            break reason;
        }
    };
    Ok(Outcome {
        best_param: track.best_param,
        best_cost: track.best_cost,
        param: track.param,
        cost: track.cost,
        iterations: track.iter,
        termination,
    })
}
