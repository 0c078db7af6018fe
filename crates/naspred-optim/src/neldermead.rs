//! The Nelder-Mead downhill simplex method, as argmin 0.11's `NelderMead` (MIT OR
//! Apache-2.0) computes it: coefficients 1 (reflection), 2 (expansion), 0.5 (contraction) and
//! 0.5 (shrink); the vertices kept sorted by cost with a stable sort in which NaN compares
//! equal to everything; stopped when the sample standard deviation of the vertices' costs
//! falls below the tolerance.

use std::cmp::Ordering;

use crate::state::{execute, Outcome, Step, Track};
use crate::OptimError;

const ALPHA: f64 = 1.0;
const GAMMA: f64 = 2.0;
const RHO: f64 = 0.5;
const SIGMA: f64 = 0.5;

/// A Nelder-Mead minimiser from a given initial simplex.
#[derive(Clone, Debug)]
pub struct NelderMead {
    simplex: Vec<Vec<f64>>,
    sd_tolerance: f64,
    max_iters: u64,
}

impl NelderMead {
    /// A minimiser starting from `simplex` (at least 2 vertices, all of the same non-zero
    /// length; usually `d + 1` vertices in dimension `d`). The defaults are argmin's: tolerance
    /// `f64::EPSILON`, no iteration cap.
    ///
    /// # Errors
    /// [`OptimError::TooFewVertices`], [`OptimError::RaggedSimplex`].
    pub fn new(simplex: Vec<Vec<f64>>) -> Result<Self, OptimError> {
        if simplex.len() < 2 {
            return Err(OptimError::TooFewVertices(simplex.len()));
        }
        let d = simplex[0].len();
        if d == 0 || simplex.iter().any(|v| v.len() != d) {
            return Err(OptimError::RaggedSimplex);
        }
        Ok(NelderMead {
            simplex,
            sd_tolerance: f64::EPSILON,
            max_iters: u64::MAX,
        })
    }

    /// Stops once the standard deviation of the vertices' costs is below `tol`.
    ///
    /// # Errors
    /// [`OptimError::NegativeTolerance`] if `tol < 0`.
    pub fn with_sd_tolerance(mut self, tol: f64) -> Result<Self, OptimError> {
        if tol < 0.0 {
            return Err(OptimError::NegativeTolerance("Nelder-Mead sd_tolerance"));
        }
        self.sd_tolerance = tol;
        Ok(self)
    }

    /// Stops after at most `max_iters` iterations.
    pub fn with_max_iters(mut self, max_iters: u64) -> Self {
        self.max_iters = max_iters;
        self
    }

    /// Minimises `f`. The best parameter is the first vertex of the sorted simplex at the
    /// iteration where the lowest cost was first seen.
    ///
    /// # Errors
    /// [`OptimError::Unordered`] when a reflected point cannot be placed against the
    /// simplex's costs because a cost is NaN (argmin fails the whole run then, too).
    pub fn minimize<F: FnMut(&[f64]) -> f64>(self, f: F) -> Result<Outcome, OptimError> {
        let mut run = Simplex {
            f,
            vertices: self.simplex.into_iter().map(|p| (p, f64::NAN)).collect(),
            sd_tolerance: self.sd_tolerance,
        };
        let mut track = Track::new();
        run.init(&mut track);
        execute(&mut run, track, self.max_iters)
    }
}

/// The running simplex: vertices with their costs, best first.
struct Simplex<F> {
    f: F,
    vertices: Vec<(Vec<f64>, f64)>,
    sd_tolerance: f64,
}

impl<F: FnMut(&[f64]) -> f64> Simplex<F> {
    /// Evaluates every vertex in order and sorts.
    fn init(&mut self, track: &mut Track) {
        for (p, c) in self.vertices.iter_mut() {
            *c = (self.f)(p);
        }
        self.sort();
        track.set(self.vertices[0].0.clone(), self.vertices[0].1);
    }

    /// Stable sort by cost; NaN compares equal to everything.
    fn sort(&mut self) {
        self.vertices
            .sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal));
    }

    /// The mean of all vertices but the worst (summed in order, times `1 / count`).
    fn centroid(&self) -> Vec<f64> {
        let n = self.vertices.len() - 1;
        let mut acc = self.vertices[0].0.clone();
        for (p, _) in self.vertices.iter().take(n).skip(1) {
            for (a, b) in acc.iter_mut().zip(p) {
                *a += b;
            }
        }
        let scale = 1.0 / (n as f64);
        acc.iter().map(|a| a * scale).collect()
    }

    /// Replaces every vertex but the best by its midpoint with the best and re-evaluates.
    fn shrink(&mut self) {
        let x0 = self.vertices[0].0.clone();
        for (p, c) in self.vertices.iter_mut().skip(1) {
            *p = towards(&x0, p, SIGMA);
            *c = (self.f)(p);
        }
    }
}

/// `x0 + (x - x0) * t`, elementwise (argmin's expand, contract and shrink).
fn towards(x0: &[f64], x: &[f64], t: f64) -> Vec<f64> {
    x0.iter().zip(x).map(|(a, b)| a + (b - a) * t).collect()
}

impl<F: FnMut(&[f64]) -> f64> Step for Simplex<F> {
    fn converged(&self, _track: &Track) -> bool {
        let n = self.vertices.len() as f64;
        let c0 = self.vertices.iter().map(|(_, c)| *c).sum::<f64>() / n;
        let s = (1.0 / (n - 1.0)
            * self
                .vertices
                .iter()
                .map(|(_, c)| (*c - c0).powi(2))
                .sum::<f64>())
        .sqrt();
        s < self.sd_tolerance
    }

    fn step(&mut self, track: &mut Track) -> Result<Option<crate::Termination>, OptimError> {
        let n = self.vertices.len();
        let x0 = self.centroid();
        let best = self.vertices[0].1;
        let second_worst = self.vertices[n - 2].1;
        let (worst_p, worst) = (self.vertices[n - 1].0.clone(), self.vertices[n - 1].1);
        // Reflection: x0 + (x0 - worst) * alpha.
        let xr: Vec<f64> = x0
            .iter()
            .zip(&worst_p)
            .map(|(a, b)| a + (a - b) * ALPHA)
            .collect();
        let xr_cost = (self.f)(&xr);
        if xr_cost < second_worst && xr_cost >= best {
            self.vertices[n - 1] = (xr, xr_cost);
        } else if xr_cost < best {
            let xe = towards(&x0, &xr, GAMMA);
            let xe_cost = (self.f)(&xe);
            self.vertices[n - 1] = if xe_cost < xr_cost {
                (xe, xe_cost)
            } else {
                (xr, xr_cost)
            };
        } else if xr_cost >= second_worst {
            // Outside contraction when the reflection beats the worst, inside otherwise.
            let (xc, accept) = if xr_cost < worst {
                let xc = towards(&x0, &xr, RHO);
                let c = (self.f)(&xc);
                (xc, (c <= xr_cost).then_some(c))
            } else {
                let xc = towards(&x0, &worst_p, RHO);
                let c = (self.f)(&xc);
                (xc, (c < worst).then_some(c))
            };
            match accept {
                Some(c) => self.vertices[n - 1] = (xc, c),
                None => self.shrink(),
            }
        } else {
            return Err(OptimError::Unordered);
        }
        self.sort();
        track.set(self.vertices[0].0.clone(), self.vertices[0].1);
        Ok(None)
    }
}
