//! Bayesian linear regression: NASLib's `bayes_lin_reg` (`naslib/predictors/bnn/bayesian_linear_reg.py`,
//! wrapping pybnn's `BayesianLinearRegression` with `do_mcmc=False`).
//!
//! * [`BayesLinReg`]: the regressor. Basis `[x, 1]`, raw (not standardised) targets; the
//!   hyperparameters `theta = (log alpha, log sigma^2)` maximise the log evidence by
//!   Nelder-Mead from `U(0, 1)^2` (faithful: scipy's `fmin` path and stopping rule,
//!   [`scipy_fmin`]; fixed: `naspred-optim`'s Nelder-Mead from a unit simplex, run to
//!   convergence); the posterior over weights is `S = (alpha I + beta Phi'Phi)^-1`,
//!   `m = beta S Phi' y`, and predictions have mean `phi' m` and variance `1/beta + phi' S phi`.
//! * [`BlrMode`]: pybnn's QUIRKs. [`BlrMode::Faithful`] (the default, as NASLib ran it) keeps
//!   all three: the objective adds the `N(0, 1)` *density* (not log-density) of both log
//!   parameters, its data term is `beta/2 |y - Phi m|` (the residual norm not squared), and after
//!   optimising the model uses `beta = exp(log sigma^2)` (sigma^2 instead of 1/sigma^2).
//!   [`BlrMode::Fixed`] maximises the true log evidence (Bishop eq. 3.86, no hyperprior) and
//!   uses `beta = 1 / sigma^2`.
//! * [`BlrPredictor`]: the [`Predictor`] (`bayes_lin_reg`, and `bayes_lin_reg_path` with the path
//!   encoding); `query_dist` returns the predictive mean and standard deviation.
//!
//! Log-determinants come from a Cholesky factorisation (pybnn takes `log(det(A))`, which
//! overflows for wide encodings; the values agree otherwise).

use nalgebra::{Cholesky, DMatrix, DVector};
use naspred_eval::predictor::{
    ArchInput, BoxError, Context, Prediction, Predictor, PredictorError, PredictorRng, Requirements,
};
use naspred_optim::NelderMead;
use naspred_spaces::{EncodingKind, Quirks};
use rand::Rng;
use thiserror::Error;

use crate::check::{check_lengths, check_targets, check_width, ModelInputError};
use crate::features::encode_inputs;
use crate::linalg::{scipy_fmin, to_f64};

/// Why a Bayesian linear regression fit or prediction failed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum BlrError {
    /// The training or query data failed a check shared by every model.
    #[error(transparent)]
    Data(#[from] ModelInputError),
    /// The optimised hyperparameters give a singular or non-finite posterior.
    #[error("posterior covariance is not positive definite (alpha {alpha}, beta {beta})")]
    Singular {
        /// Weight precision.
        alpha: f64,
        /// Noise precision.
        beta: f64,
    },
    /// Prediction before fitting.
    #[error("model is not fitted")]
    NotFitted,
}

/// pybnn's quirks, faithful or fixed (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BlrMode {
    /// As pybnn/NASLib: density prior, un-squared residual norm, `beta = sigma^2` after fitting.
    #[default]
    Faithful,
    /// Proper evidence maximisation, `beta = 1/sigma^2`.
    Fixed,
}

impl From<Quirks> for BlrMode {
    fn from(q: Quirks) -> Self {
        match q {
            Quirks::Faithful => BlrMode::Faithful,
            Quirks::Fixed => BlrMode::Fixed,
        }
    }
}

/// Nelder-Mead iteration cap (scipy's `fmin` default `200 * len(x0)`).
const MAX_ITERS: u64 = 400;

/// Sufficient statistics of the design and the evidence.
struct Evidence<'a> {
    phi: &'a DMatrix<f64>,
    y: &'a DVector<f64>,
    ptp: DMatrix<f64>,
    pty: DVector<f64>,
    mode: BlrMode,
}

impl Evidence<'_> {
    /// The negative objective (pybnn's `negative_mll`, or the true negative log evidence).
    fn neg(&self, theta: &[f64]) -> f64 {
        const BAD: f64 = 1e300;
        let (t0, t1) = (theta[0], theta[1]);
        if !t0.is_finite() || !t1.is_finite() || t0.abs() > 700.0 || t1.abs() > 700.0 {
            return BAD;
        }
        let alpha = t0.exp();
        let beta = 1.0 / t1.exp();
        let d = self.ptp.nrows() as f64;
        let n = self.y.len() as f64;
        let mut a = &self.ptp * beta;
        for i in 0..a.nrows() {
            a[(i, i)] += alpha;
        }
        let Some(c) = Cholesky::new(a) else {
            return BAD;
        };
        let m = c.solve(&self.pty) * beta;
        let resid = (self.y - self.phi * &m).norm_squared();
        let data = match self.mode {
            BlrMode::Faithful => resid.sqrt(),
            BlrMode::Fixed => resid,
        };
        let ln_det = 2.0 * c.l_dirty().diagonal().iter().map(|v| v.ln()).sum::<f64>();
        let mut mll = d / 2.0 * alpha.ln() + n / 2.0 * beta.ln()
            - n / 2.0 * (2.0 * std::f64::consts::PI).ln()
            - beta / 2.0 * data
            - alpha / 2.0 * m.norm_squared()
            - 0.5 * ln_det;
        if self.mode == BlrMode::Faithful {
            let pdf = |t: f64| (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
            mll += pdf(t0) + pdf(t1);
        }
        if mll.is_finite() {
            -mll
        } else {
            BAD
        }
    }
}

/// pybnn's Bayesian linear regression (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct BayesLinReg {
    mode: BlrMode,
    state: Option<BlrState>,
}

#[derive(Clone, Debug)]
struct BlrState {
    m: DVector<f64>,
    s: DMatrix<f64>,
    alpha: f64,
    beta: f64,
}

fn basis(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.clone().insert_column(x.ncols(), 1.0)
}

impl BayesLinReg {
    /// An unfitted model.
    pub fn new(mode: BlrMode) -> Self {
        BayesLinReg { mode, state: None }
    }

    /// The mode.
    pub fn mode(&self) -> BlrMode {
        self.mode
    }

    /// The fitted `(alpha, beta)` as the model uses them.
    pub fn hyperparameters(&self) -> Option<(f64, f64)> {
        self.state.as_ref().map(|s| (s.alpha, s.beta))
    }

    /// Fits on `x` (`n x d`) and raw targets `y`.
    ///
    /// # Errors
    /// Shape and target checks; [`BlrError::Singular`] if the posterior cannot be formed.
    pub fn fit(
        &mut self,
        x: &DMatrix<f64>,
        y: &[f64],
        rng: &mut PredictorRng,
    ) -> Result<(), BlrError> {
        check_targets(x.nrows(), y)?;
        self.state = None;
        let phi = basis(x);
        let yv = DVector::from_column_slice(y);
        let ev = Evidence {
            ptp: phi.tr_mul(&phi),
            pty: phi.tr_mul(&yv),
            phi: &phi,
            y: &yv,
            mode: self.mode,
        };
        // pybnn: scipy.optimize.fmin(negative_mll, rng.rand(2)).
        let x0 = vec![rng.random::<f64>(), rng.random::<f64>()];
        let theta = match self.mode {
            BlrMode::Faithful => scipy_fmin(|t| ev.neg(t), &x0),
            // The fixed mode starts from a unit simplex: scipy's 5 % simplex from U(0, 1)
            // often stalls far from the optimum of the true (squared-residual) evidence.
            BlrMode::Fixed => {
                let simplex = vec![
                    x0.clone(),
                    vec![x0[0] + 1.0, x0[1]],
                    vec![x0[0], x0[1] + 1.0],
                ];
                NelderMead::new(simplex)
                    .and_then(|solver| solver.with_sd_tolerance(1e-7))
                    .and_then(|solver| solver.with_max_iters(MAX_ITERS).minimize(|t| ev.neg(t)))
                    .ok()
                    .and_then(|r| r.best_param)
                    .unwrap_or(x0)
            }
        };
        let alpha = theta[0].exp();
        let beta = match self.mode {
            BlrMode::Faithful => theta[1].exp(),
            BlrMode::Fixed => (-theta[1]).exp(),
        };
        let mut a = &ev.ptp * beta;
        for i in 0..a.nrows() {
            a[(i, i)] += alpha;
        }
        let singular = BlrError::Singular { alpha, beta };
        if !alpha.is_finite() || !beta.is_finite() || beta <= 0.0 {
            return Err(singular);
        }
        let c = Cholesky::new(a).ok_or(singular.clone())?;
        let s = c.inverse();
        let m = &s * &ev.pty * beta;
        if m.iter().any(|v| !v.is_finite()) {
            return Err(singular);
        }
        self.state = Some(BlrState { m, s, alpha, beta });
        Ok(())
    }

    /// Predictive mean and variance at the rows of `x` (variance clipped below at machine
    /// epsilon, as pybnn does).
    ///
    /// # Errors
    /// [`BlrError::NotFitted`], [`ModelInputError::FeatureCount`].
    pub fn predict(&self, x: &DMatrix<f64>) -> Result<(Vec<f64>, Vec<f64>), BlrError> {
        let st = self.state.as_ref().ok_or(BlrError::NotFitted)?;
        check_width(st.m.len() - 1, x.ncols())?;
        let phi = basis(x);
        let mean = &phi * &st.m;
        let ps = &phi * &st.s;
        let var = (0..phi.nrows())
            .map(|i| (1.0 / st.beta + ps.row(i).dot(&phi.row(i))).max(f64::EPSILON))
            .collect();
        Ok((mean.iter().copied().collect(), var))
    }
}

/// The `bayes_lin_reg` predictor (and `bayes_lin_reg_path`): pybnn Bayesian linear regression on
/// the `adjacency_one_hot` encoding with raw targets.
#[derive(Clone, Debug)]
pub struct BlrPredictor {
    key: String,
    encoding: EncodingKind,
    quirks: Quirks,
    model: BayesLinReg,
}

impl Default for BlrPredictor {
    fn default() -> Self {
        BlrPredictor::new(BlrMode::Faithful)
    }
}

impl BlrPredictor {
    /// NASLib's key.
    pub const KEY: &'static str = "bayes_lin_reg";

    /// `bayes_lin_reg` in the given mode, faithful encodings.
    pub fn new(mode: BlrMode) -> Self {
        BlrPredictor {
            key: Self::KEY.to_string(),
            encoding: EncodingKind::AdjacencyOneHot,
            quirks: Quirks::Faithful,
            model: BayesLinReg::new(mode),
        }
    }

    /// Uses another encoding (e.g. `path` for `bayes_lin_reg_path`).
    pub fn with_encoding(mut self, encoding: EncodingKind) -> Self {
        self.encoding = encoding;
        self
    }

    /// Encodes with `Fixed` or `Faithful` NASLib encoding quirks.
    pub fn with_quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// Reports under another key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// The underlying model.
    pub fn model(&self) -> &BayesLinReg {
        &self.model
    }

    fn err(&self, fit: bool, source: impl Into<BoxError>) -> PredictorError {
        if fit {
            PredictorError::fit(self.key.as_str(), source)
        } else {
            PredictorError::query(self.key.as_str(), source)
        }
    }
}

impl Predictor for BlrPredictor {
    fn key(&self) -> &str {
        &self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements::model_based()
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        check_lengths(train.len(), y).map_err(|e| self.err(true, BlrError::from(e)))?;
        let x = encode_inputs(train, self.encoding, self.quirks).map_err(|e| self.err(true, e))?;
        let res = self.model.fit(&to_f64(&x), y, ctx.rng);
        res.map_err(|e| self.err(true, e))
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        Ok(self.query_dist(test, ctx)?.mean)
    }

    fn query_dist(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Prediction, PredictorError> {
        if self.model.state.is_none() {
            return Err(PredictorError::NotFitted {
                key: self.key.clone(),
            });
        }
        if test.is_empty() {
            return Ok(Prediction {
                mean: Vec::new(),
                std: Some(Vec::new()),
            });
        }
        let x = encode_inputs(test, self.encoding, self.quirks).map_err(|e| self.err(false, e))?;
        let (mean, var) = self
            .model
            .predict(&to_f64(&x))
            .map_err(|e| self.err(false, e))?;
        Ok(Prediction {
            mean,
            std: Some(var.iter().map(|v| v.sqrt()).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn linear(n: usize) -> (DMatrix<f64>, Vec<f64>) {
        let x = DMatrix::from_fn(n, 3, |i, j| ((i * 7 + j * 3) % 5) as f64);
        let y = (0..n)
            .map(|i| 2.0 * x[(i, 0)] - x[(i, 1)] + 0.5 * x[(i, 2)] + 10.0 + 0.01 * ((i % 3) as f64))
            .collect();
        (x, y)
    }

    #[test]
    fn fixed_recovers_a_linear_function_with_small_noise() {
        let (x, y) = linear(80);
        let mut m = BayesLinReg::new(BlrMode::Fixed);
        m.fit(&x, &y, &mut PredictorRng::seed_from_u64(1)).unwrap();
        let (mean, var) = m.predict(&x).unwrap();
        for (a, b) in mean.iter().zip(&y) {
            assert!((a - b).abs() < 0.1, "{a} vs {b}");
        }
        assert!(var.iter().all(|v| *v < 0.05), "{var:?}");
    }

    #[test]
    fn faithful_uses_sigma2_as_beta() {
        let (x, y) = linear(40);
        let mut m = BayesLinReg::new(BlrMode::Faithful);
        m.fit(&x, &y, &mut PredictorRng::seed_from_u64(1)).unwrap();
        let (_, beta) = m.hyperparameters().unwrap();
        let (mean, var) = m.predict(&x).unwrap();
        assert!(mean.iter().all(|v| v.is_finite()));
        // Predictive variance is at least 1/beta with beta = exp(log sigma^2).
        assert!(var.iter().all(|v| *v >= 1.0 / beta - 1e-12));
    }

    #[test]
    fn basis_appends_a_ones_column() {
        let x = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
        let b = basis(&x);
        assert_eq!(
            b,
            DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 1.0, 3.0, 4.0, 1.0])
        );
    }
}
