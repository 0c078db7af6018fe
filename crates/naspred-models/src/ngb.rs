//! NGBoost: NASLib's `NGBoost` predictor (`naslib/predictors/trees/ngb.py`), natural-gradient
//! boosting of a Normal predictive distribution (Duan et al. 2020) as implemented by the
//! `ngboost` Python package (`NGBRegressor(Dist=Normal, Score=LogScore)`).
//!
//! * [`NgbParams`]: NASLib's configuration ([`NgbParams::naslib`]: 505 stages, learning rate
//!   0.0813, minibatch fraction 0.5, trees of depth 6 with `max_features` 0.792, leaves of one
//!   sample) and its HPO sampler.
//! * [`LeafRule`]: the base trees' `min_samples_leaf` / `min_samples_split`.
//! * [`NgbRegressor`]: the booster on z-scored targets; [`NgbRegressor::predict_dist`] gives the
//!   predictive mean and standard deviation of the Normal, in target units.
//! * [`NgbPredictor`]: the `ngb` [`Predictor`](naspred_eval::predictor::Predictor).
//!
//! The algorithm follows `ngboost.NGBoost.fit` (0.3.x): the parameters `(loc, log scale)` start
//! at the Normal's maximum-likelihood fit to the targets (`scipy.stats.norm.fit`: mean and
//! population std); each stage draws `floor(minibatch_frac * n)` rows without replacement,
//! computes the natural gradient of the log score (`(loc - y, (1 - (loc - y)^2 / var) / 2)`, the
//! ordinary gradient premultiplied by the inverse Fisher information `diag(var, 1/2)`), fits one
//! regression tree per parameter to it, and line-searches a scale on the minibatch (doubling
//! from 1 while the mean log score does not get worse, up to 512, then halving until it
//! improves or the step norm falls below `tol`); every row's parameters then move by
//! `learning_rate * scale * tree(x)`. Boosting stops early when the mean step norm on the
//! minibatch falls below `tol` (1e-4).
//!
//! Base trees: scikit-learn `DecisionTreeRegressor(criterion="friedman_mse", max_depth=6,
//! max_features=0.792)` on this crate's CART ([`RegressionTree`]).
//! NASLib's revisions of `ngb.py` differ in the leaf sizes and the minibatch fraction: the
//! current code (and the spec) sets `min_samples_leaf = 1`, `min_samples_split = 2` and
//! `minibatch_frac = 0.5` explicitly ([`NgbParams::naslib`], the default; [`LeafRule::Fixed`]);
//! an earlier revision used `min_samples_leaf = min(max(n // 2, 1), 15)`,
//! `min_samples_split = min(max(n // 2, 2), 20)` and `minibatch_frac = 0.508`
//! ([`NgbParams::naslib_halved_leaves`], [`LeafRule::HalfTrainSize`]). NASLib's measured Kendall
//! tau on NB201 (0.397 / 0.641 / 0.699 at n = 100 / 500 / 1000) is reproduced by the former; the
//! latter ranks clearly worse (about 0.34 / 0.62 at n = 100 / 1000) but its larger leaves give
//! better-calibrated standard deviations (one-sample leaves let the log scale collapse on the
//! minibatch, so the default's intervals are far too narrow).
//!
//! Defined fallbacks where `ngboost` would fail: a constant training target (zero MLE scale,
//! where `ngboost` takes `log 0`) gives a point prediction of the constant with standard
//! deviation 0 and no stages; a minibatch is at least one row; a stage whose gradients or
//! updated parameters would not be finite (or a log scale beyond ±700, where `exp` overflows)
//! is dropped and boosting stops there; predicted log scales are clamped to ±700, so on rows
//! unlike the training rows (duplicated rows with one-sample leaves) the std stays finite.

use naspred_eval::hpo::{loguniform, HpError, HpSpace, HpSpec, TunableParams};
use naspred_eval::predictor::{Hyperparams, PredictorRng};
use naspred_eval::stats::HALF_LN_2PI;
use rand::Rng;

use crate::cart::{BinnedMatrix, MaxFeatures, RegressionTree, TreeBuilder, TreeParams};
use crate::check::{check_training_set, check_width};
use crate::features::FeatureMatrix;
use crate::tabular::{TabularModel, TabularParams, TabularPredictor, TargetScaling, TreeError};

/// Largest log scale kept (`exp` of it is finite): a stage that would push a training row's log
/// scale beyond it ends boosting, and predictions clamp to it.
const MAX_LOG_SCALE: f64 = 700.0;

/// How the base trees' minimum leaf and split sizes are set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafRule {
    /// An earlier NASLib revision: `min_samples_leaf = min(max(n / 2, 1), 15)`,
    /// `min_samples_split = min(max(n / 2, 2), 20)` for `n` training rows.
    HalfTrainSize,
    /// Fixed values (NASLib's current code and the spec: `1` and `2`, scikit-learn's defaults).
    Fixed {
        /// `min_samples_leaf`.
        min_samples_leaf: usize,
        /// `min_samples_split`.
        min_samples_split: usize,
    },
}

impl LeafRule {
    /// `(min_samples_leaf, min_samples_split)` for `n` training rows.
    pub fn resolve(self, n: usize) -> (usize, usize) {
        match self {
            LeafRule::HalfTrainSize => ((n / 2).clamp(1, 15), (n / 2).clamp(2, 20)),
            LeafRule::Fixed {
                min_samples_leaf,
                min_samples_split,
            } => (min_samples_leaf, min_samples_split),
        }
    }
}

/// Configuration of NGBoost.
#[derive(Clone, Debug, PartialEq)]
pub struct NgbParams {
    /// Boosting stages (NASLib: 505).
    pub n_estimators: usize,
    /// Learning rate (NASLib: 0.08127053060223186).
    pub learning_rate: f64,
    /// Fraction of rows per stage, in (0, 1] (NASLib: 0.5; an earlier revision 0.5081694143793387).
    pub minibatch_frac: f64,
    /// Depth of the base trees (NASLib: 6).
    pub max_depth: usize,
    /// Fraction of features examined per tree node, in (0, 1] (NASLib: 0.7920456318712875).
    pub max_features: f64,
    /// Minimum leaf and split sizes of the base trees.
    pub leaf_rule: LeafRule,
    /// Numerical tolerance of the line search and the stopping rule (ngboost: 1e-4).
    pub tol: f64,
}

impl Default for NgbParams {
    fn default() -> Self {
        NgbParams::naslib()
    }
}

impl NgbParams {
    /// The earlier NASLib revision: minibatch fraction 0.5081694143793387 and
    /// [`LeafRule::HalfTrainSize`] (otherwise as [`NgbParams::naslib`]).
    pub fn naslib_halved_leaves() -> Self {
        NgbParams {
            minibatch_frac: 0.5081694143793387,
            leaf_rule: LeafRule::HalfTrainSize,
            ..<NgbParams as TabularParams>::naslib()
        }
    }

    /// The base-tree parameters for `n` training rows.
    pub fn tree_params(&self, n: usize) -> TreeParams {
        let (min_samples_leaf, min_samples_split) = self.leaf_rule.resolve(n);
        TreeParams {
            max_depth: Some(self.max_depth),
            min_samples_split,
            min_samples_leaf,
            max_features: MaxFeatures::Fraction(self.max_features),
        }
    }
}

impl TabularParams for NgbParams {
    fn naslib() -> Self {
        NgbParams {
            n_estimators: 505,
            learning_rate: 0.08127053060223186,
            minibatch_frac: 0.5,
            max_depth: 6,
            max_features: 0.7920456318712875,
            leaf_rule: LeafRule::Fixed {
                min_samples_leaf: 1,
                min_samples_split: 2,
            },
            tol: 1e-4,
        }
    }
}

impl TunableParams for NgbParams {
    /// `n_estimators` and `max_depth` (integers >= 1), `learning_rate` (> 0, log scale),
    /// `minibatch_frac` and `max_features` (in (0, 1]). `leaf_rule` and `tol` are not tuned.
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("n_estimators", 1.0, u32::MAX as f64),
        HpSpec::log_real("learning_rate", 0.0, f64::INFINITY).open_below(),
        HpSpec::real("minibatch_frac", 0.0, 1.0).open_below(),
        HpSpec::integer("max_depth", 1.0, u32::MAX as f64),
        HpSpec::real("max_features", 0.0, 1.0).open_below(),
    ]);

    fn to_hyperparams(&self) -> Hyperparams {
        let mut hp = Hyperparams::new();
        hp.insert("n_estimators".into(), self.n_estimators as f64);
        hp.insert("learning_rate".into(), self.learning_rate);
        hp.insert("minibatch_frac".into(), self.minibatch_frac);
        hp.insert("max_depth".into(), self.max_depth as f64);
        hp.insert("max_features".into(), self.max_features);
        hp
    }

    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut p = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "n_estimators" => p.n_estimators = v as usize,
                "learning_rate" => p.learning_rate = v,
                "minibatch_frac" => p.minibatch_frac = v,
                "max_depth" => p.max_depth = v as usize,
                "max_features" => p.max_features = v,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// NASLib's sampler, in its order: `n_estimators = int(loguniform(128, 512))`,
    /// `learning_rate ~ loguniform(0.001, 0.1)`, `minibatch_frac ~ U(0.1, 1)`, `max_depth` in
    /// 1..=24, `max_features ~ U(0.1, 1)`.
    fn sample(&self, rng: &mut PredictorRng) -> Self {
        let n_estimators = loguniform(rng, 128.0, 512.0) as usize;
        let learning_rate = loguniform(rng, 0.001, 0.1);
        let minibatch_frac = 0.1 + 0.9 * rng.random::<f64>();
        let max_depth = rng.random_range(1..=24usize);
        let max_features = 0.1 + 0.9 * rng.random::<f64>();
        NgbParams {
            n_estimators,
            learning_rate,
            minibatch_frac,
            max_depth,
            max_features,
            ..self.clone()
        }
    }

    /// The tunable fields against [`TunableParams::SPACE`], a finite `tol` >= 0 and, for a
    /// fixed leaf rule, `min_samples_split >= 2` and `min_samples_leaf >= 1`.
    fn validate(&self) -> Result<(), HpError> {
        Self::SPACE.validate(&self.to_hyperparams())?;
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(HpError::invalid("tol", self.tol, "must be finite and >= 0"));
        }
        if let LeafRule::Fixed {
            min_samples_leaf,
            min_samples_split,
        } = self.leaf_rule
        {
            if min_samples_split < 2 {
                let v = min_samples_split as f64;
                return Err(HpError::invalid("min_samples_split", v, "must be >= 2"));
            }
            if min_samples_leaf < 1 {
                return Err(HpError::invalid("min_samples_leaf", 0.0, "must be >= 1"));
            }
        }
        Ok(())
    }
}

impl NgbPredictor {
    /// `ngb` with the earlier NASLib revision's configuration
    /// ([`NgbParams::naslib_halved_leaves`]) as its defaults.
    pub fn naslib_halved_leaves() -> Self {
        NgbPredictor::new().with_trusted_params(NgbParams::naslib_halved_leaves())
    }
}

/// One boosting stage: a tree per parameter and the step `learning_rate * scale`.
#[derive(Clone, Debug)]
struct Stage {
    loc: RegressionTree,
    log_scale: RegressionTree,
    step: f64,
}

#[derive(Clone, Debug)]
struct FittedNgb {
    scaling: TargetScaling,
    /// Initial `(loc, log scale)` on the standardised targets.
    init: (f64, f64),
    stages: Vec<Stage>,
    n_features: usize,
}

/// Fit diagnostics of the last [`NgbRegressor`] fit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NgbTrace {
    /// Line-search scale of each stage.
    pub scales: Vec<f64>,
    /// Mean log score (negative log-likelihood) on each stage's minibatch, before its update.
    pub losses: Vec<f64>,
}

/// NGBoost with a Normal distribution and the log score, on z-scored targets.
///
/// ```
/// use naspred_eval::predictor::PredictorRng;
/// use naspred_models::{FeatureMatrix, NgbParams, NgbRegressor, TabularModel, TabularParams};
/// use rand::SeedableRng;
/// let x = FeatureMatrix::from_rows(&[[0.0f32, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]).unwrap();
/// let params = NgbParams { n_estimators: 50, ..NgbParams::naslib() };
/// let mut ngb = NgbRegressor::with_params(params);
/// ngb.fit(&x, &[90.0, 80.0, 85.0, 70.0], &mut PredictorRng::seed_from_u64(0)).unwrap();
/// let (mean, std) = ngb.predict_dist(&x).unwrap();
/// assert!(std.unwrap().iter().all(|s| *s > 0.0) && mean.len() == 4);
/// ```
#[derive(Clone, Debug)]
pub struct NgbRegressor {
    params: NgbParams,
    model: Option<FittedNgb>,
    trace: NgbTrace,
}

impl Default for NgbRegressor {
    fn default() -> Self {
        NgbRegressor::with_params(NgbParams::naslib())
    }
}

/// Mean log score of Normal(`loc - s * d_loc`, `exp(ls - s * d_ls)`) on the batch targets `z`.
fn batch_loss(s: f64, loc: &[f64], ls: &[f64], d_loc: &[f64], d_ls: &[f64], z: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..z.len() {
        let m = loc[i] - s * d_loc[i];
        let l = ls[i] - s * d_ls[i];
        let r = z[i] - m;
        total += HALF_LN_2PI + l + 0.5 * r * r * (-2.0 * l).exp();
    }
    total / z.len() as f64
}

impl NgbRegressor {
    /// Number of fitted stages (0 before a fit or for a constant target).
    pub fn n_stages(&self) -> usize {
        self.model.as_ref().map_or(0, |m| m.stages.len())
    }

    /// Diagnostics of the last fit.
    pub fn trace(&self) -> &NgbTrace {
        &self.trace
    }

    /// `(mean, std)` used to standardise the training targets, once fitted.
    pub fn target_scaling(&self) -> Option<TargetScaling> {
        self.model.as_ref().map(|m| m.scaling)
    }

    /// The `(loc, log scale)` parameters of each row, on the standardised scale.
    fn raw_params(m: &FittedNgb, x: &FeatureMatrix) -> Vec<(f64, f64)> {
        x.iter_rows()
            .map(|row| {
                let (mut loc, mut ls) = m.init;
                for s in &m.stages {
                    loc -= s.step * s.loc.predict_row(row);
                    ls -= s.step * s.log_scale.predict_row(row);
                }
                (loc, ls)
            })
            .collect()
    }

    /// ngboost's `line_search` on the minibatch.
    fn line_search(&self, loc: &[f64], ls: &[f64], d_loc: &[f64], d_ls: &[f64], z: &[f64]) -> f64 {
        let tol = self.params.tol;
        let loss_init = batch_loss(0.0, loc, ls, d_loc, d_ls, z);
        let base_norm = d_loc
            .iter()
            .zip(d_ls)
            .map(|(a, b)| (a * a + b * b).sqrt())
            .sum::<f64>()
            / z.len() as f64;
        let mut scale = 1.0f64;
        loop {
            let loss = batch_loss(scale, loc, ls, d_loc, d_ls, z);
            if !loss.is_finite() || loss > loss_init || scale > 256.0 {
                break;
            }
            scale *= 2.0;
        }
        loop {
            let loss = batch_loss(scale, loc, ls, d_loc, d_ls, z);
            let norm = scale * base_norm;
            // A NaN norm (which finite trees never give) also ends the search; the halving
            // bound guards against a loss that never improves.
            if norm.is_nan()
                || norm < tol
                || (loss.is_finite() && loss < loss_init)
                || scale < 1e-300
            {
                break;
            }
            scale *= 0.5;
        }
        scale
    }
}

impl TabularModel for NgbRegressor {
    type Params = NgbParams;
    const KEY: &'static str = "ngb";

    fn with_params(params: NgbParams) -> Self {
        NgbRegressor {
            params,
            model: None,
            trace: NgbTrace::default(),
        }
    }

    fn params(&self) -> &NgbParams {
        &self.params
    }

    fn set_params(&mut self, params: NgbParams) {
        self.params = params;
        self.model = None;
    }

    fn is_fitted(&self) -> bool {
        self.model.is_some()
    }

    /// Fits the booster on the z-scored targets.
    ///
    /// # Errors
    /// [`ModelInputError::EmptyTrainingSet`](crate::ModelInputError::EmptyTrainingSet), [`ModelInputError::LengthMismatch`](crate::ModelInputError::LengthMismatch),
    /// [`ModelInputError::NoFeatures`](crate::ModelInputError::NoFeatures), [`ModelInputError::NonFiniteTarget`](crate::ModelInputError::NonFiniteTarget),
    /// [`TreeError::NonFiniteFeature`] or [`TreeError::Hyperparam`].
    fn fit(
        &mut self,
        x: &FeatureMatrix,
        y: &[f64],
        rng: &mut PredictorRng,
    ) -> Result<(), TreeError> {
        self.model = None;
        self.trace = NgbTrace::default();
        self.params.validate()?;
        check_training_set(x, y)?;
        let data = BinnedMatrix::new(x)?;
        let scaling = TargetScaling::fit(y);
        let z = scaling.apply(y);
        let n = z.len();

        // scipy.stats.norm.fit: the mean and the population std.
        let z_fit = TargetScaling::fit(&z);
        let raw_std = {
            let m = z_fit.mean;
            (z.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n as f64).sqrt()
        };
        let init = (z_fit.mean, raw_std.ln());
        let mut fitted = FittedNgb {
            scaling,
            init,
            stages: Vec::new(),
            n_features: x.cols(),
        };
        if !(raw_std > 0.0 && init.1.is_finite()) {
            // Constant target: the point mass at the constant.
            self.model = Some(fitted);
            return Ok(());
        }

        let p = &self.params;
        let tree_params = p.tree_params(n);
        let batch = if p.minibatch_frac < 1.0 {
            ((p.minibatch_frac * n as f64) as usize).max(1)
        } else {
            n
        };
        let mut loc = vec![init.0; n];
        let mut ls = vec![init.1; n];
        let mut g_loc = vec![0.0; n];
        let mut g_ls = vec![0.0; n];
        let mut idx: Vec<u32> = (0..n as u32).collect();
        let mut b_loc = Vec::with_capacity(batch);
        let mut b_ls = Vec::with_capacity(batch);
        let mut b_z = Vec::with_capacity(batch);
        let mut d_loc = Vec::with_capacity(batch);
        let mut d_ls = Vec::with_capacity(batch);
        let mut new_loc = vec![0.0; n];
        let mut new_ls = vec![0.0; n];
        let mut builder = TreeBuilder::new();

        for _ in 0..p.n_estimators {
            if batch < n {
                idx.clear();
                idx.extend(
                    rand::seq::index::sample(rng, n, batch)
                        .into_iter()
                        .map(|i| i as u32),
                );
            }
            b_loc.clear();
            b_ls.clear();
            b_z.clear();
            let mut finite = true;
            for &i in &idx {
                let i = i as usize;
                let r = loc[i] - z[i];
                let var = (2.0 * ls[i]).exp();
                g_loc[i] = r;
                g_ls[i] = 0.5 * (1.0 - r * r / var);
                finite &= g_ls[i].is_finite() && r.is_finite();
                b_loc.push(loc[i]);
                b_ls.push(ls[i]);
                b_z.push(z[i]);
            }
            if !finite {
                break;
            }
            self.trace
                .losses
                .push(batch_loss(0.0, &b_loc, &b_ls, &b_loc, &b_ls, &b_z));
            let t_loc = RegressionTree::fit(&data, &idx, &g_loc, &tree_params, &mut builder, rng)?;
            let t_ls = RegressionTree::fit(&data, &idx, &g_ls, &tree_params, &mut builder, rng)?;
            d_loc.clear();
            d_ls.clear();
            for &i in &idx {
                let row = x.row(i as usize);
                d_loc.push(t_loc.predict_row(row));
                d_ls.push(t_ls.predict_row(row));
            }
            let scale = self.line_search(&b_loc, &b_ls, &d_loc, &d_ls, &b_z);
            let step = p.learning_rate * scale;
            let mut ok = true;
            for (i, row) in x.iter_rows().enumerate() {
                new_loc[i] = loc[i] - step * t_loc.predict_row(row);
                new_ls[i] = ls[i] - step * t_ls.predict_row(row);
                ok &= new_loc[i].is_finite() && new_ls[i].abs() <= MAX_LOG_SCALE;
            }
            if !ok {
                break;
            }
            std::mem::swap(&mut loc, &mut new_loc);
            std::mem::swap(&mut ls, &mut new_ls);
            self.trace.scales.push(scale);
            fitted.stages.push(Stage {
                loc: t_loc,
                log_scale: t_ls,
                step,
            });
            let norm = d_loc
                .iter()
                .zip(&d_ls)
                .map(|(a, b)| (a * a + b * b).sqrt())
                .sum::<f64>()
                / d_loc.len() as f64;
            if norm < p.tol {
                break;
            }
        }
        self.model = Some(fitted);
        Ok(())
    }

    /// The Normal's mean and standard deviation per row, in target units.
    fn predict_dist(&self, x: &FeatureMatrix) -> Result<(Vec<f64>, Option<Vec<f64>>), TreeError> {
        let m = self.model.as_ref().ok_or(TreeError::NotFitted)?;
        check_width(m.n_features, x.cols())?;
        let raw = Self::raw_params(m, x);
        let mean = raw.iter().map(|&(l, _)| m.scaling.invert(l)).collect();
        let std = raw
            .iter()
            .map(|&(_, s)| s.clamp(-MAX_LOG_SCALE, MAX_LOG_SCALE).exp() * m.scaling.std)
            .collect();
        Ok((mean, Some(std)))
    }
}

/// The `ngb` predictor: [`NgbRegressor`] on the `adjacency_one_hot` encoding.
pub type NgbPredictor = TabularPredictor<NgbRegressor>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_rule_matches_naslib() {
        assert_eq!(LeafRule::HalfTrainSize.resolve(1), (1, 2));
        assert_eq!(LeafRule::HalfTrainSize.resolve(10), (5, 5));
        assert_eq!(LeafRule::HalfTrainSize.resolve(34), (15, 17));
        assert_eq!(LeafRule::HalfTrainSize.resolve(1000), (15, 20));
    }

    #[test]
    fn loss_is_the_gaussian_nll() {
        // N(0, 1) at 1: 0.5 ln 2pi + 0.5.
        let l = batch_loss(0.0, &[0.0], &[0.0], &[0.0], &[0.0], &[1.0]);
        assert!((l - (HALF_LN_2PI + 0.5)).abs() < 1e-15);
        // Stepping loc by s * d: loc = 0 - 1 * (-1) = 1 hits the target.
        let l = batch_loss(1.0, &[0.0], &[0.0], &[-1.0], &[0.0], &[1.0]);
        assert!((l - HALF_LN_2PI).abs() < 1e-15);
    }
}
