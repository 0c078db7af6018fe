//! The statistics helpers the predictors and the evaluation share, each with its numerical
//! rule written once:
//!
//! * [`ZScore`]: target standardisation `(y − mean) / std`, with the summation and the
//!   constant-target rule of each caller ([`ZScoreRule`]);
//! * [`kfold`] / [`kfold_with`]: contiguous k-fold splits (scikit-learn's unshuffled `KFold`,
//!   or equal folds with the remainder in the last, [`FoldSizes`]);
//! * [`gaussian_nll`] / [`mean_gaussian_nll`] and the constants [`LN_2PI`], [`HALF_LN_2PI`]:
//!   the Gaussian negative log-likelihood;
//! * mean and standard error over trials: [`crate::records::MeanSe`].

use crate::metrics::pairwise_sum;

/// `ln(2π)`, correctly rounded.
pub const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// `½ ln(2π)`, correctly rounded (one unit in the last place above `0.5 * LN_2PI`).
pub const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// The negative log-density of `y` under `N(mean, std²)`:
/// `½ ln(2π) + ln σ + ½ ((y − μ) / σ)²`, evaluated in that order.
///
/// Tensor code that must stay on tensors (Bohamiann's training loss) computes the same
/// quantity in its own form and says so.
#[inline]
pub fn gaussian_nll(y: f64, mean: f64, std: f64) -> f64 {
    let z = (y - mean) / std;
    HALF_LN_2PI + std.ln() + 0.5 * z * z
}

/// The mean of [`gaussian_nll`] over `y`, `mean`, `std` (zipped; NaN for an empty set). No
/// clamping: a zero std gives an infinite value.
pub fn mean_gaussian_nll(y: &[f64], mean: &[f64], std: &[f64]) -> f64 {
    let total: f64 = y
        .iter()
        .zip(mean)
        .zip(std)
        .map(|((&y, &m), &s)| gaussian_nll(y, m, s))
        .sum();
    total / y.len() as f64
}

/// Contiguous `k`-fold split of `n` rows as scikit-learn's unshuffled `KFold`
/// ([`FoldSizes::Balanced`]). Returns `(start, end)` (end exclusive) of each held-out fold, in
/// order; empty for `k = 0`.
pub fn kfold(n: usize, k: usize) -> Vec<(usize, usize)> {
    kfold_with(n, k, FoldSizes::Balanced)
}

/// How the `n % k` rows left over by `k` folds of `n / k` rows are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldSizes {
    /// One more row in each of the first `n % k` folds: scikit-learn's `KFold` (OMNI's and
    /// LcSVR's cross-validation).
    Balanced,
    /// All of them in the last fold (the evaluator's cross-validated hyperparameter search).
    LastTakesRest,
}

/// Contiguous `k`-fold split of `n` rows with the fold sizes of `sizes`: `(start, end)` (end
/// exclusive) of each held-out fold, in order; empty for `k = 0`.
pub fn kfold_with(n: usize, k: usize, sizes: FoldSizes) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(k);
    let mut start = 0;
    for i in 0..k {
        let size = match sizes {
            FoldSizes::Balanced => n / k + usize::from(i < n % k),
            FoldSizes::LastTakesRest if i + 1 == k => n - start,
            FoldSizes::LastTakesRest => n / k,
        };
        out.push((start, start + size));
        start += size;
    }
    out
}

/// How the mean and the variance of a [`ZScore`] are summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Summation {
    /// numpy's pairwise summation ([`pairwise_sum`]), as `np.mean` / `np.std` compute them:
    /// NASLib's tree models (`BaseTree.fit`) and OMNI standardise with numpy.
    Pairwise,
    /// A plain left-to-right sum (the neural predictors and the GPs here).
    Sequential,
}

/// When the standard deviation of a [`ZScore`] counts as zero, in which case the targets are
/// scaled by 1 (all standardised targets 0, every prediction the constant mean) instead of
/// divided by zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstantTarget {
    /// Only when the std is exactly 0 (or not finite).
    Zero,
    /// When the std is at most `1e-12 · max(|mean|, 1)` (or not finite): also catches targets
    /// that are equal up to rounding (the GP's rule, whose Cholesky factorisation fails on
    /// such a near-zero scale).
    Relative,
}

/// The numerical rule of a [`ZScore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZScoreRule {
    /// How sums are taken.
    pub summation: Summation,
    /// When the target counts as constant.
    pub constant: ConstantTarget,
}

impl ZScoreRule {
    /// numpy's rule (`np.mean`, population `np.std`), a zero std scaled by 1: the tree models
    /// and OMNI.
    pub const NUMPY: ZScoreRule = ZScoreRule {
        summation: Summation::Pairwise,
        constant: ConstantTarget::Zero,
    };
    /// Left-to-right sums, a zero std scaled by 1: the neural predictors.
    pub const SEQUENTIAL: ZScoreRule = ZScoreRule {
        summation: Summation::Sequential,
        constant: ConstantTarget::Zero,
    };
    /// Left-to-right sums, a std below `1e-12 · max(|mean|, 1)` scaled by 1: the GPs.
    pub const SEQUENTIAL_RELATIVE: ZScoreRule = ZScoreRule {
        summation: Summation::Sequential,
        constant: ConstantTarget::Relative,
    };
}

/// Target standardisation: `z = (y − mean) / std` with the population std (numpy's `np.std`),
/// mapped back with `z · std + mean`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZScore {
    /// Training mean.
    pub mean: f64,
    /// Divisor: the training std, or 1 for a constant target (see [`ConstantTarget`]).
    pub std: f64,
}

impl ZScore {
    /// The scaling of `y` under numpy's rule ([`ZScoreRule::NUMPY`]).
    ///
    /// An empty `y` gives a NaN mean and std 1 (callers check for empty sets first).
    pub fn fit(y: &[f64]) -> Self {
        ZScore::fit_with(y, ZScoreRule::NUMPY)
    }

    /// The scaling of `y` under `rule`.
    ///
    /// An empty `y` gives a NaN mean under [`Summation::Pairwise`] and mean 0 under
    /// [`Summation::Sequential`] (which divides by `max(n, 1)`), std 1 either way.
    pub fn fit_with(y: &[f64], rule: ZScoreRule) -> Self {
        let (mean, std) = match rule.summation {
            Summation::Pairwise => {
                let n = y.len() as f64;
                let mean = pairwise_sum(y) / n;
                let sq: Vec<f64> = y.iter().map(|&v| (v - mean) * (v - mean)).collect();
                (mean, (pairwise_sum(&sq) / n).sqrt())
            }
            Summation::Sequential => {
                let n = y.len().max(1) as f64;
                let mean = y.iter().sum::<f64>() / n;
                let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                (mean, var.sqrt())
            }
        };
        let threshold = match rule.constant {
            ConstantTarget::Zero => 0.0,
            ConstantTarget::Relative => 1e-12 * mean.abs().max(1.0),
        };
        ZScore {
            mean,
            std: if std.is_finite() && std > threshold {
                std
            } else {
                1.0
            },
        }
    }

    /// The standardised targets.
    pub fn apply(&self, y: &[f64]) -> Vec<f64> {
        y.iter().map(|&v| (v - self.mean) / self.std).collect()
    }

    /// A standardised prediction in target units.
    #[inline]
    pub fn invert(&self, z: f64) -> f64 {
        z * self.std + self.mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_are_ln_2pi() {
        assert_eq!(LN_2PI, (2.0 * std::f64::consts::PI).ln());
        assert!((HALF_LN_2PI - 0.5 * LN_2PI).abs() <= f64::EPSILON);
        assert_eq!(gaussian_nll(1.0, 1.0, 1.0), HALF_LN_2PI);
        let want = HALF_LN_2PI + 2f64.ln() + 0.5 * 0.25;
        assert_eq!(gaussian_nll(2.0, 1.0, 2.0), want);
        assert_eq!(
            mean_gaussian_nll(&[1.0, 2.0], &[1.0, 1.0], &[1.0, 2.0]),
            (HALF_LN_2PI + want) / 2.0
        );
    }

    #[test]
    fn kfold_matches_sklearn() {
        // sklearn KFold(3).split(range(10)) test folds: [0..4), [4..7), [7..10).
        assert_eq!(kfold(10, 3), vec![(0, 4), (4, 7), (7, 10)]);
        assert_eq!(kfold(6, 3), vec![(0, 2), (2, 4), (4, 6)]);
        assert_eq!(kfold(2, 3), vec![(0, 1), (1, 2), (2, 2)]);
        assert!(kfold(5, 0).is_empty());
        let last = |n, k| kfold_with(n, k, FoldSizes::LastTakesRest);
        assert_eq!(last(10, 3), vec![(0, 3), (3, 6), (6, 10)]);
        assert_eq!(last(2, 3), vec![(0, 0), (0, 0), (0, 2)]);
        assert!(last(5, 0).is_empty());
    }

    #[test]
    fn zscore_rules() {
        let s = ZScore::fit(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.std - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(s.invert(s.apply(&[3.0])[0]), 3.0);
        for rule in [
            ZScoreRule::NUMPY,
            ZScoreRule::SEQUENTIAL,
            ZScoreRule::SEQUENTIAL_RELATIVE,
        ] {
            let c = ZScore::fit_with(&[7.0, 7.0], rule);
            assert_eq!((c.mean, c.std), (7.0, 1.0));
            assert_eq!(c.apply(&[7.0]), vec![0.0]);
        }
        // Equal up to rounding: only the relative rule calls it constant.
        let y = [1e6, 1e6 + 1e-7];
        assert!(ZScore::fit_with(&y, ZScoreRule::SEQUENTIAL).std < 1e-6);
        assert_eq!(
            ZScore::fit_with(&y, ZScoreRule::SEQUENTIAL_RELATIVE).std,
            1.0
        );
        // Sequential divides an empty set by 1.
        let e = ZScore::fit_with(&[], ZScoreRule::SEQUENTIAL);
        assert_eq!((e.mean, e.std), (0.0, 1.0));
    }
}
