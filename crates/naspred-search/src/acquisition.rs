//! Acquisition functions (NASLib's `acquisition_functions.py`) and the top-k selection of
//! candidates.

use rand::Rng;
use rand_distr::{Distribution, Normal};

use crate::config::Acquisition;

/// Mean and population standard deviation of the ensemble members' predictions per candidate
/// (`member_preds[m][c]`), as NASLib's `np.mean` / `np.std` over the ensemble.
pub fn ensemble_moments(member_preds: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = member_preds.first().map_or(0, Vec::len);
    let m = member_preds.len().max(1) as f64;
    let mut mean = vec![0.0; n];
    let mut std = vec![0.0; n];
    for p in member_preds {
        for (acc, v) in mean.iter_mut().zip(p) {
            *acc += v;
        }
    }
    mean.iter_mut().for_each(|x| *x /= m);
    for p in member_preds {
        for ((acc, v), mu) in std.iter_mut().zip(p).zip(&mean) {
            *acc += (v - mu) * (v - mu);
        }
    }
    std.iter_mut().for_each(|x| *x = (*x / m).sqrt());
    (mean, std)
}

/// Standard normal density.
fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal distribution function.
fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The acquisition value of each candidate from its predicted `mean` and `std`.
///
/// `best_y` is the best queried value (EI). ITS draws one sample per candidate, in candidate
/// order, from `rng`; a zero spread gives the mean itself. EI with a zero spread is the plain
/// improvement `max(mean - best_y, 0)` (NASLib divides by zero there).
pub fn acquisition_values<R: Rng + ?Sized>(
    kind: Acquisition,
    mean: &[f64],
    std: &[f64],
    best_y: f64,
    explore_factor: f64,
    ei_calibration_factor: f64,
    rng: &mut R,
) -> Vec<f64> {
    mean.iter()
        .zip(std)
        .map(|(&mu, &sd)| {
            let sd = if sd.is_finite() && sd > 0.0 { sd } else { 0.0 };
            match kind {
                Acquisition::Exploit => mu,
                Acquisition::Ucb => mu + explore_factor * sd,
                Acquisition::Its => {
                    if sd > 0.0 {
                        // `sd` is finite and positive, so the distribution is valid.
                        Normal::new(mu, sd).map_or(mu, |d| d.sample(rng))
                    } else {
                        mu
                    }
                }
                Acquisition::Ei => {
                    let fs = sd / ei_calibration_factor;
                    if fs > 0.0 {
                        let gam = (mu - best_y) / fs;
                        fs * (gam * norm_cdf(gam) + norm_pdf(gam))
                    } else {
                        (mu - best_y).max(0.0)
                    }
                }
            }
        })
        .collect()
}

/// Indices of the `k` highest values, best first (ties: the later index first, as popping
/// NASLib's ascending `argsort` tail does). NaN values rank lowest.
pub fn top_k(values: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    let key = |i: usize| {
        let v = values[i];
        if v.is_nan() {
            f64::NEG_INFINITY
        } else {
            v
        }
    };
    idx.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    idx.into_iter().rev().take(k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn moments_are_population_statistics() {
        let (m, s) = ensemble_moments(&[vec![1.0, 5.0], vec![3.0, 5.0], vec![5.0, 5.0]]);
        assert_eq!(m, vec![3.0, 5.0]);
        assert!((s[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s[1], 0.0);
    }

    #[test]
    fn ucb_and_ei_follow_naslib() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let u = acquisition_values(Acquisition::Ucb, &[1.0], &[2.0], 0.0, 0.5, 5.0, &mut rng);
        assert_eq!(u, vec![2.0]);
        // EI: fs = 1, gam = 0 -> pdf(0) = 0.398942...
        let e = acquisition_values(Acquisition::Ei, &[3.0], &[5.0], 3.0, 0.5, 5.0, &mut rng);
        assert!((e[0] - 0.398_942_280_401_432_7).abs() < 1e-12);
        // Far below the best: almost no improvement expected; far above: about the gap.
        let e = acquisition_values(
            Acquisition::Ei,
            &[-10.0, 20.0],
            &[5.0, 5.0],
            3.0,
            0.5,
            5.0,
            &mut rng,
        );
        assert!(e[0] < 1e-12 && (e[1] - 17.0).abs() < 1e-6);
    }

    #[test]
    fn top_k_is_best_first_and_skips_nan() {
        assert_eq!(top_k(&[0.5, f64::NAN, 2.0, 1.0], 3), vec![2, 3, 0]);
    }
}
