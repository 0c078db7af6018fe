//! Limited-memory BFGS with the Moré-Thuente line search, as argmin 0.11's `LBFGS` (without
//! L1 regularisation; MIT OR Apache-2.0) computes it on `Vec<f64>`: the two-loop recursion
//! with the initial Hessian scaled by `s.y / y.y` of the newest pair, a fresh line search
//! from step 1 in every iteration, and the oldest pair dropped once the iteration count
//! reaches the memory.

use std::collections::VecDeque;

use crate::morethuente::{dot, line_search, Functions, SearchError};
use crate::state::{execute, Outcome, Step, Termination, Track};
use crate::OptimError;

/// An L-BFGS minimiser.
#[derive(Clone, Debug)]
pub struct Lbfgs {
    memory: usize,
    tol_grad: f64,
    tol_cost: f64,
    c1: f64,
    c2: f64,
    max_iters: u64,
}

impl Lbfgs {
    /// A minimiser keeping the last `memory` correction pairs, with argmin's defaults: gradient
    /// tolerance `sqrt(eps)`, cost tolerance `eps`, Wolfe constants `c1 = 1e-4`, `c2 = 0.9`, no
    /// iteration cap.
    pub fn new(memory: usize) -> Self {
        Lbfgs {
            memory,
            tol_grad: f64::EPSILON.sqrt(),
            tol_cost: f64::EPSILON,
            c1: 1e-4,
            c2: 0.9,
            max_iters: u64::MAX,
        }
    }

    /// Stops when the gradient's L2 norm is below `tol`.
    ///
    /// # Errors
    /// [`OptimError::NegativeTolerance`] if `tol < 0`.
    pub fn with_tolerance_grad(mut self, tol: f64) -> Result<Self, OptimError> {
        if tol < 0.0 {
            return Err(OptimError::NegativeTolerance("L-BFGS gradient"));
        }
        self.tol_grad = tol;
        Ok(self)
    }

    /// Stops when the cost changed by less than `tol` in the last iteration.
    ///
    /// # Errors
    /// [`OptimError::NegativeTolerance`] if `tol < 0`.
    pub fn with_tolerance_cost(mut self, tol: f64) -> Result<Self, OptimError> {
        if tol < 0.0 {
            return Err(OptimError::NegativeTolerance("L-BFGS cost"));
        }
        self.tol_cost = tol;
        Ok(self)
    }

    /// The line search's sufficient-decrease (`c1`) and curvature (`c2`) constants.
    ///
    /// # Errors
    /// [`OptimError::InvalidWolfe`] unless `0 < c1 < c2 < 1` (comparisons with NaN pass, as in
    /// argmin).
    pub fn with_wolfe(mut self, c1: f64, c2: f64) -> Result<Self, OptimError> {
        if c1 <= 0.0 || c1 >= c2 || c2 >= 1.0 {
            return Err(OptimError::InvalidWolfe { c1, c2 });
        }
        self.c1 = c1;
        self.c2 = c2;
        Ok(self)
    }

    /// Stops after at most `max_iters` iterations.
    pub fn with_max_iters(mut self, max_iters: u64) -> Self {
        self.max_iters = max_iters;
        self
    }

    /// Minimises `cost` (with gradient `grad`) from `x0`.
    ///
    /// A failed line search ends the run with [`Termination::LineSearch`], keeping the best
    /// point so far (argmin's `SolverExit`).
    ///
    /// # Errors
    /// [`OptimError::GradientLength`] if `grad` returns a vector of another length than its
    /// argument.
    pub fn minimize<F, G>(
        &self,
        mut cost: F,
        mut grad: G,
        x0: &[f64],
    ) -> Result<Outcome, OptimError>
    where
        F: FnMut(&[f64]) -> f64,
        G: FnMut(&[f64]) -> Vec<f64>,
    {
        let c0 = cost(x0);
        let mut fns = Functions {
            cost: &mut cost,
            grad: &mut grad,
        };
        let g0 = fns.gradient(x0)?;
        let mut run = Run {
            fns,
            config: self,
            x: x0.to_vec(),
            g: g0,
            s: VecDeque::with_capacity(self.memory),
            y: VecDeque::with_capacity(self.memory),
        };
        let mut track = Track::new();
        track.set(x0.to_vec(), c0);
        execute(&mut run, track, self.max_iters)
    }
}

/// A running L-BFGS: the current point and gradient and the correction pairs, oldest first.
struct Run<'a, F, G> {
    fns: Functions<'a, F, G>,
    config: &'a Lbfgs,
    x: Vec<f64>,
    g: Vec<f64>,
    s: VecDeque<Vec<f64>>,
    y: VecDeque<Vec<f64>>,
}

impl<F, G> Run<'_, F, G> {
    /// The quasi-Newton direction `-H g` by the two-loop recursion.
    fn direction(&self) -> Vec<f64> {
        let gamma = match (self.s.back(), self.y.back()) {
            (Some(sk), Some(yk)) => dot(sk, yk) / dot(yk, yk),
            _ => 1.0,
        };
        let mut q = self.g.clone();
        let cur_m = self.s.len();
        let mut alpha = vec![0.0; cur_m];
        let mut rho = vec![0.0; cur_m];
        for (i, (sk, yk)) in self.s.iter().rev().zip(self.y.iter().rev()).enumerate() {
            let rho_t = 1.0 / dot(yk, sk);
            let alpha_t = dot(sk, &q) * rho_t;
            q = q.iter().zip(yk).map(|(a, b)| a - b * alpha_t).collect();
            rho[cur_m - i - 1] = rho_t;
            alpha[cur_m - i - 1] = alpha_t;
        }
        let mut r: Vec<f64> = q.iter().map(|a| a * gamma).collect();
        for (i, (sk, yk)) in self.s.iter().zip(self.y.iter()).enumerate() {
            let beta = dot(yk, &r) * rho[i];
            let t = alpha[i] - beta;
            r = r.iter().zip(sk).map(|(a, b)| a + b * t).collect();
        }
        r.iter().map(|a| a * -1.0).collect()
    }
}

impl<F, G> Step for Run<'_, F, G>
where
    F: FnMut(&[f64]) -> f64,
    G: FnMut(&[f64]) -> Vec<f64>,
{
    fn converged(&self, track: &Track) -> bool {
        let norm = self.g.iter().map(|a| a.powi(2)).sum::<f64>().sqrt();
        norm < self.config.tol_grad || (track.prev_cost - track.cost).abs() < self.config.tol_cost
    }

    fn step(&mut self, track: &mut Track) -> Result<Option<Termination>, OptimError> {
        let d = self.direction();
        let wolfe = (self.config.c1, self.config.c2);
        let (xk1, next_cost) =
            match line_search(&mut self.fns, &self.x, track.cost, &self.g, &d, wolfe) {
                Ok(found) => found,
                Err(SearchError::Failed(why)) => {
                    track.param = None;
                    return Ok(Some(Termination::LineSearch(why)));
                }
                Err(SearchError::Misuse(e)) => return Err(e),
            };
        if track.iter >= self.config.memory as u64 {
            self.s.pop_front();
            self.y.pop_front();
        }
        let grad = self.fns.gradient(&xk1)?;
        self.s
            .push_back(xk1.iter().zip(&self.x).map(|(a, b)| a - b).collect());
        self.y
            .push_back(grad.iter().zip(&self.g).map(|(a, b)| a - b).collect());
        track.set(xk1.clone(), next_cost);
        self.x = xk1;
        self.g = grad;
        Ok(None)
    }
}
