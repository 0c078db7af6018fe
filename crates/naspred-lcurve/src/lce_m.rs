//! LCE-m (NASLib's `lce_m/`, pybnn's `MCMCCurveModelCombination` after Domhan et al. 2015):
//! a weighted combination of four curve families sampled jointly with an affine-invariant
//! ensemble sampler; the prediction is the posterior mean at the final epoch.

use std::f64::consts::PI;

use naspred_data::CurveMetric;
use naspred_eval::{ArchInput, Context, Predictor, PredictorError, Requirements};
use naspred_spaces::Quirks;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::curves::{CurveFamily, LcemFamily};
use crate::lce::{failure_hyperparams, query_curves};
use crate::mcmc::ensemble_sample;
use crate::optim::minimize;

/// Sampler settings (NASLib's: 50 walkers, 800 steps, 500 burn-in).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LcemConfig {
    /// Walkers (raised to twice the dimension when smaller).
    pub nwalkers: usize,
    /// Steps per walker.
    pub steps: usize,
    /// Discarded initial steps.
    pub burn_in: usize,
}

impl Default for LcemConfig {
    fn default() -> Self {
        LcemConfig {
            nwalkers: 50,
            steps: 800,
            burn_in: 500,
        }
    }
}

/// Points of the monotonicity prior: `linspace(2, xlim, 50)`.
const N_MON: usize = 50;

/// The model combination of the families that survived the maximum-likelihood fit.
struct Combination {
    models: Vec<LcemFamily>,
    x_mon: Vec<f64>,
}

impl Combination {
    /// Whether one model's parameters are supported by the prior: non-decreasing on
    /// `x_mon`, value at `xlim` finite and within [0, 100].
    fn model_prior_ok(&self, f: LcemFamily, p: &[f64]) -> bool {
        let mut prev = f.eval(p, self.x_mon[0]);
        for &x in &self.x_mon[1..] {
            let v = f.eval(p, x);
            if v - prev < 0.0 {
                return false;
            }
            prev = v;
        }
        prev.is_finite() && (0.0..=100.0).contains(&prev)
    }

    /// Splits θ = (params of each model, σ, weights).
    fn split<'a>(&self, theta: &'a [f64]) -> (Vec<&'a [f64]>, f64, &'a [f64]) {
        let mut params = Vec::with_capacity(self.models.len());
        let mut o = 0;
        for f in &self.models {
            params.push(&theta[o..o + f.n_params()]);
            o += f.n_params();
        }
        (params, theta[o], &theta[o + 1..])
    }

    /// The normalised-weight combination at `x`.
    fn predict(&self, params: &[&[f64]], w: &[f64], x: f64) -> f64 {
        let ws: f64 = w.iter().sum();
        self.models
            .iter()
            .zip(params)
            .zip(w)
            .map(|((f, p), w)| w / ws * f.eval(p, x))
            .sum()
    }

    /// Log posterior (up to a constant) of θ given the curve `y` at epochs `1..=T`.
    fn ln_prob(&self, theta: &[f64], y: &[f64]) -> f64 {
        let (params, sigma, w) = self.split(theta);
        if w.iter().any(|&w| w < 0.0) {
            return f64::NEG_INFINITY;
        }
        for (f, p) in self.models.iter().zip(&params) {
            if !self.model_prior_ok(*f, p) {
                return f64::NEG_INFINITY;
            }
        }
        if sigma.is_nan() || sigma <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let norm = -sigma.ln() - 0.5 * (2.0 * PI).ln();
        let ll: f64 = y
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let r = (v - self.predict(&params, w, (i + 1) as f64)) / sigma;
                norm - 0.5 * r * r
            })
            .sum();
        if ll.is_finite() {
            ll
        } else {
            f64::NEG_INFINITY
        }
    }
}

/// Least-squares fit of one family from pybnn's default start (pybnn tries Levenberg-Marquardt,
/// then L-BFGS-B; here L-BFGS on the sum of squares). Returns the curve parameters.
pub fn fit_lcem_family(f: LcemFamily, y: &[f64]) -> Option<Vec<f64>> {
    let sse = |p: &[f64]| {
        y.iter()
            .enumerate()
            .map(|(i, &v)| (f.eval(p, (i + 1) as f64) - v).powi(2))
            .sum::<f64>()
    };
    let positive = vec![false; f.n_params()];
    let (p, _) = minimize(&sse, f.defaults(), &positive, 1000)?;
    p.iter().all(|v| v.is_finite()).then_some(p)
}

/// Runs LCE-m on one curve `y` (fractions, epochs `1..=T`) and returns the posterior mean at
/// `final_epoch` (a fraction); `None` when no family survives the fit or the mean is not
/// finite. The walkers start in a 1e-6 ball drawn, like the sampler, from a stream seeded with
/// 1 (pybnn's `RandomState(1)`), so the result does not depend on the predictor's seed.
pub fn lcem_extrapolate(y: &[f64], final_epoch: u32, cfg: LcemConfig) -> Option<f64> {
    let xlim = final_epoch as f64 + 1.0;
    let x_mon: Vec<f64> = (0..N_MON)
        .map(|i| 2.0 + (xlim - 2.0) * i as f64 / (N_MON - 1) as f64)
        .collect();
    let probe = Combination {
        models: Vec::new(),
        x_mon,
    };
    let mut models = Vec::new();
    let mut theta = Vec::new();
    for f in LcemFamily::ALL {
        let Some(p) = fit_lcem_family(f, y) else {
            continue;
        };
        let ylim = f.eval(&p, xlim);
        if !ylim.is_finite() || !(0.0..=100.0).contains(&ylim) || !probe.model_prior_ok(f, &p) {
            continue;
        }
        models.push(f);
        theta.extend_from_slice(&p);
    }
    if models.is_empty() {
        return None;
    }
    let comb = Combination {
        models,
        x_mon: probe.x_mon,
    };
    let n_models = comb.models.len();
    // σ = std of the residuals of the equal-weight combination; weights start at 10.
    let weights = vec![10.0; n_models];
    let sigma = {
        let mut th = theta.clone();
        th.push(1.0);
        th.extend_from_slice(&weights);
        let (params, _, w) = comb.split(&th);
        let r: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, &v)| v - comb.predict(&params, w, (i + 1) as f64))
            .collect();
        let m = r.iter().sum::<f64>() / r.len() as f64;
        (r.iter().map(|v| (v - m).powi(2)).sum::<f64>() / r.len() as f64).sqrt()
    };
    theta.push(sigma);
    theta.extend_from_slice(&weights);
    let ndim = theta.len();
    let nwalkers = cfg.nwalkers.max(2 * ndim);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let start: Vec<Vec<f64>> = (0..nwalkers)
        .map(|_| {
            theta
                .iter()
                .map(|&t| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    t + 1e-6 * z
                })
                .collect()
        })
        .collect();
    let chain = ensemble_sample(|th| comb.ln_prob(th, y), &start, cfg.steps, &mut rng);
    let fe = final_epoch as f64;
    let (mut sum, mut n) = (0.0, 0usize);
    for th in chain.after(cfg.burn_in) {
        let (params, _, w) = comb.split(th);
        sum += comb.predict(&params, w, fe);
        n += 1;
    }
    let mean = sum / n as f64;
    (n > 0 && mean.is_finite()).then_some(mean)
}

/// The LCE-m predictor. Reads the partial validation-accuracy curve; no training phase.
///
/// [`Quirks::Fixed`] (the default, registry key `lce_m`) reports failed extrapolations (no
/// model survives the ML fits, or a non-finite posterior mean): each is counted
/// (`hp_failed_extrapolations` in the results) and predicted by the curve's last observed
/// value, and a query where every extrapolation fails is a [`PredictorError::QueryReason`];
/// [`Quirks::Faithful`] (registry key `lce_m_faithful`) replaces
/// it by NASLib's default guess plus U(0, 1) noise. The sampler itself is the same in both.
#[derive(Clone, Debug)]
pub struct LceM {
    quirks: Quirks,
    config: LcemConfig,
    failed: usize,
}

impl LceM {
    /// LCE-m with NASLib's sampler settings.
    pub fn new(quirks: Quirks) -> Self {
        LceM::with_config(quirks, LcemConfig::default())
    }

    /// LCE-m with other sampler settings.
    pub fn with_config(quirks: Quirks, config: LcemConfig) -> Self {
        LceM {
            quirks,
            config,
            failed: 0,
        }
    }

    /// The behaviour on failure (fixed: error; faithful: NASLib's fallback).
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }
}

impl Default for LceM {
    /// The fixed variant (`lce_m`).
    fn default() -> Self {
        LceM::new(Quirks::Fixed)
    }
}

impl Predictor for LceM {
    fn key(&self) -> &str {
        match self.quirks {
            Quirks::Fixed => "lce_m",
            Quirks::Faithful => "lce_m_faithful",
        }
    }

    fn requirements(&self) -> Requirements {
        Requirements::learning_curve(CurveMetric::ValAcc)
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
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        let cfg = self.config;
        let key = self.key().to_string();
        let q = query_curves(&key, test, ctx, self.quirks, |y, s, _| {
            lcem_extrapolate(y, s.final_epoch, cfg)
        })?;
        self.failed = q.failed.len();
        Ok(q.predictions)
    }

    /// `failed_extrapolations`: how many test curves of the last query could not be
    /// extrapolated and got the fallback (recorded as `hp_failed_extrapolations`).
    fn hyperparams(&self) -> naspred_eval::Hyperparams {
        failure_hyperparams(self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_recovers_its_parameters_by_least_squares() {
        let cases: [(LcemFamily, &[f64]); 4] = [
            // Truths in the basin of pybnn's start (0.7, 0.1, 0.01, 5) where it has one.
            (LcemFamily::Mmf, &[0.8, 0.2, 0.02, 5.0]),
            (LcemFamily::LogLogLinear, &[0.5, 1.5]),
            (LcemFamily::DrHillZeroBackground, &[0.9, 0.8, 2.0]),
            (LcemFamily::LogPower, &[0.9, 1.5, -0.7]),
        ];
        for (f, p) in cases {
            let y: Vec<f64> = (1..=50).map(|x| f.eval(p, x as f64)).collect();
            let fit = fit_lcem_family(f, &y).unwrap();
            for i in 0..p.len() {
                assert!(
                    (fit[i] - p[i]).abs() < 0.02 * p[i].abs().max(1.0),
                    "{}: {fit:?} vs {p:?}",
                    f.name()
                );
            }
        }
    }

    #[test]
    fn prior_rejects_negative_weights_and_decreasing_models() {
        let comb = Combination {
            models: vec![LcemFamily::Mmf],
            x_mon: (0..N_MON).map(|i| 2.0 + 49.0 * i as f64 / 49.0).collect(),
        };
        let y: Vec<f64> = (1..=10)
            .map(|x| LcemFamily::Mmf.eval(&[0.9, 0.2, 0.3, 1.5], x as f64))
            .collect();
        let good = [0.9, 0.2, 0.3, 1.5, 0.01, 10.0];
        assert!(comb.ln_prob(&good, &y).is_finite());
        // Negative weight, non-positive sigma, decreasing curve (beta > alpha), horizon > 100.
        assert_eq!(
            comb.ln_prob(&[0.9, 0.2, 0.3, 1.5, 0.01, -1.0], &y),
            f64::NEG_INFINITY
        );
        assert_eq!(
            comb.ln_prob(&[0.9, 0.2, 0.3, 1.5, 0.0, 10.0], &y),
            f64::NEG_INFINITY
        );
        assert_eq!(
            comb.ln_prob(&[0.2, 0.9, 0.3, 1.5, 0.01, 10.0], &y),
            f64::NEG_INFINITY
        );
        assert_eq!(
            comb.ln_prob(&[200.0, 0.2, 0.3, 1.5, 0.01, 10.0], &y),
            f64::NEG_INFINITY
        );
        // A better-fitting sigma has a higher density than a much larger one.
        assert!(comb.ln_prob(&good, &y) > comb.ln_prob(&[0.9, 0.2, 0.3, 1.5, 0.5, 10.0], &y));
    }

    #[test]
    fn extrapolation_is_deterministic_and_above_the_fitted_curve() {
        // Noisy saturating curve: by the monotonicity prior every posterior sample lies at or
        // above its own value at epoch 2, so the mean at 50 cannot fall below the curve's start.
        let p = [0.95, 0.1, 0.03, 4.0];
        let y: Vec<f64> = (1..=30)
            .map(|x| {
                LcemFamily::Mmf.eval(&p, x as f64) + 0.005 * ((x * 7919 % 13) as f64 / 6.0 - 1.0)
            })
            .collect();
        let cfg = LcemConfig {
            nwalkers: 40,
            steps: 300,
            burn_in: 200,
        };
        let a = lcem_extrapolate(&y, 50, cfg).unwrap();
        let b = lcem_extrapolate(&y, 50, cfg).unwrap();
        assert_eq!(a, b);
        assert!(a > y[1] && a < 1.5, "{a}");
    }
}
