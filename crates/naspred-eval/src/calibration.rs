//! Calibration of probabilistic predictions: how well a predictive mean and standard
//! deviation describe the true accuracies. NASLib has no such metric; naspred reports it for
//! every predictor that returns an uncertainty (GPs, NGBoost, Bayesian linear regression,
//! ensembles).

use serde::{Deserialize, Serialize};

use crate::records::nan_as_null;
use crate::stats::gaussian_nll;

/// Half-width, in standard deviations, of the central 68.27 % interval of a Gaussian.
pub const Z_68: f64 = 1.0;
/// Half-width, in standard deviations, of the central 95 % interval of a Gaussian.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// Smallest standard deviation used (keeps the likelihood finite for a collapsed predictor).
pub const MIN_STD: f64 = 1e-9;

/// Calibration of Gaussian predictive distributions against the true values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Mean Gaussian negative log-likelihood of the true values (lower is better;
    /// [`gaussian_nll`] with the std clamped at [`MIN_STD`]).
    #[serde(with = "nan_as_null")]
    pub nll: f64,
    /// Fraction of true values within mean +- 1 std (ideal: 0.683).
    #[serde(with = "nan_as_null")]
    pub coverage_68: f64,
    /// Fraction of true values within mean +- 1.96 std (ideal: 0.95).
    #[serde(with = "nan_as_null")]
    pub coverage_95: f64,
}

impl Calibration {
    /// Calibration of predictions `mean`, `std` for true values `y`. `None` when the lengths
    /// differ, the set is empty or any input is not finite (or a std is negative).
    pub fn compute(y: &[f64], mean: &[f64], std: &[f64]) -> Option<Calibration> {
        let n = y.len();
        if n == 0 || mean.len() != n || std.len() != n {
            return None;
        }
        let ok = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !ok(y) || !ok(mean) || !ok(std) || std.iter().any(|&s| s < 0.0) {
            return None;
        }
        let (mut nll, mut c68, mut c95) = (0.0, 0usize, 0usize);
        for i in 0..n {
            let s = std[i].max(MIN_STD);
            let z = (y[i] - mean[i]) / s;
            nll += gaussian_nll(y[i], mean[i], s);
            if z.abs() <= Z_68 {
                c68 += 1;
            }
            if z.abs() <= Z_95 {
                c95 += 1;
            }
        }
        Some(Calibration {
            nll: nll / n as f64,
            coverage_68: c68 as f64 / n as f64,
            coverage_95: c95 as f64 / n as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        let y = [0.0, 1.0, 3.0];
        let m = [0.0, 0.0, 0.0];
        let s = [1.0, 1.0, 1.0];
        let c = Calibration::compute(&y, &m, &s).unwrap();
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let want = half_ln_2pi + (0.0 + 0.5 + 4.5) / 3.0;
        assert!((c.nll - want).abs() < 1e-12);
        assert!((c.coverage_68 - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.coverage_95 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_calibrated_gaussian_covers_its_nominal_mass() {
        // Deterministic quasi-random normal draws via the inverse of a fine grid of the CDF
        // would need erfinv; instead use values at known z: +-0.5 (inside both), +-1.5
        // (inside 95 only), +-2.5 (outside both).
        let y = [0.5, -0.5, 1.5, -1.5, 2.5, -2.5];
        let m = [0.0; 6];
        let s = [1.0; 6];
        let c = Calibration::compute(&y, &m, &s).unwrap();
        assert_eq!(c.coverage_68, 2.0 / 6.0);
        assert_eq!(c.coverage_95, 4.0 / 6.0);
    }

    #[test]
    fn bad_inputs_give_none() {
        assert!(Calibration::compute(&[], &[], &[]).is_none());
        assert!(Calibration::compute(&[1.0], &[1.0, 2.0], &[1.0]).is_none());
        assert!(Calibration::compute(&[1.0], &[f64::NAN], &[1.0]).is_none());
        assert!(Calibration::compute(&[1.0], &[1.0], &[-1.0]).is_none());
        // A collapsed std stays finite.
        let c = Calibration::compute(&[1.0], &[1.0], &[0.0]).unwrap();
        assert!(c.nll.is_finite());
    }
}
