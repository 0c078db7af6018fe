//! Nelder-Mead and L-BFGS (Moré-Thuente line search) for naspred, in plain Rust.
//!
//! ```
//! use naspred_optim::{Lbfgs, NelderMead};
//!
//! let rosenbrock = |p: &[f64]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
//! let gradient = |p: &[f64]| {
//!     vec![
//!         -2.0 * (1.0 - p[0]) - 400.0 * p[0] * (p[1] - p[0] * p[0]),
//!         200.0 * (p[1] - p[0] * p[0]),
//!     ]
//! };
//!
//! let nm = NelderMead::new(vec![vec![-1.2, 1.0], vec![-1.0, 1.0], vec![-1.2, 1.2]])?
//!     .with_sd_tolerance(1e-12)?
//!     .with_max_iters(1000)
//!     .minimize(rosenbrock)?;
//! let best = nm.best_param.unwrap_or_default();
//! assert!((best[0] - 1.0).abs() < 1e-3 && (best[1] - 1.0).abs() < 1e-3);
//!
//! let lbfgs = Lbfgs::new(10).with_max_iters(200).minimize(rosenbrock, gradient, &[-1.2, 1.0])?;
//! assert!(lbfgs.best_cost < 1e-10);
//! # Ok::<(), naspred_optim::OptimError>(())
//! ```
//!
//! Both solvers reproduce [argmin](https://github.com/argmin-rs/argmin) 0.11 (`NelderMead`,
//! `LBFGS` with `MoreThuenteLineSearch`, run by its `Executor` on `Vec<f64>` through
//! argmin-math 0.5) operation for operation, so their results are bit-identical to argmin's;
//! argmin (MIT OR Apache-2.0) is the reference for the algorithms and for every rule below
//! (termination order, tie handling, what a run returns when a line search fails). The
//! integration test `tests/argmin_oracle.rs` runs argmin as the oracle.
//!
//! A run is an [`Outcome`]: the best point seen (by strict improvement, as argmin's
//! `IterState::update`), the last point, the number of iterations and why it stopped.

#![warn(missing_docs)]

mod lbfgs;
mod morethuente;
mod neldermead;
mod state;

pub use lbfgs::Lbfgs;
pub use morethuente::LineSearchFailure;
pub use neldermead::NelderMead;
pub use state::{Outcome, Termination};

/// Invalid configurations and misuse of the solvers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    /// A Nelder-Mead simplex needs at least two vertices.
    #[error("Nelder-Mead: the simplex needs at least 2 vertices, got {0}")]
    TooFewVertices(usize),
    /// The vertices of a simplex must be non-empty and all of the same length.
    #[error("Nelder-Mead: the simplex's vertices must be non-empty and of equal length")]
    RaggedSimplex,
    /// A tolerance was negative.
    #[error("{0}: tolerance must be >= 0")]
    NegativeTolerance(&'static str),
    /// The Wolfe constants must satisfy `0 < c1 < c2 < 1`.
    #[error("Moré-Thuente: need 0 < c1 < c2 < 1, got c1 = {c1}, c2 = {c2}")]
    InvalidWolfe {
        /// The sufficient-decrease constant.
        c1: f64,
        /// The curvature constant.
        c2: f64,
    },
    /// Nelder-Mead could not order a reflected point against the simplex (a NaN cost);
    /// argmin reports this as "Reached unreachable point".
    #[error("Nelder-Mead: a NaN cost cannot be ordered against the simplex")]
    Unordered,
    /// The gradient function returned a vector of the wrong length.
    #[error("gradient of length {got} for a parameter of length {expected}")]
    GradientLength {
        /// The parameter's length.
        expected: usize,
        /// The gradient's length.
        got: usize,
    },
}
