//! What the tree predictors (`lgb`, `ngb`, `rf`) share: the error type, NASLib's target
//! standardisation, and one generic [`Predictor`] over a regressor on encoded architectures.
//!
//! * [`TreeError`]: why a fit or prediction of [`LgbRegressor`](crate::LgbRegressor),
//!   [`NgbRegressor`](crate::NgbRegressor), [`ForestRegressor`](crate::ForestRegressor) or a
//!   [`RegressionTree`](crate::RegressionTree) failed.
//! * [`TargetScaling`]: `(y - mean) / std` with numpy's mean and population std, as NASLib's
//!   `BaseTree.fit`; a constant target (std 0) is scaled by 1.
//! * [`TabularModel`] and [`TabularParams`]: what a regressor provides to be wrapped.
//! * [`TabularPredictor`]: the [`Predictor`] for any [`TabularModel`]: encodes the
//!   architectures (`adjacency_one_hot` by default), fits, queries (with the model's predictive
//!   standard deviation where it has one), and follows NASLib's hyperparameter protocol through
//!   an [`HpoState`] (the first draw after a reset keeps the defaults; as NASLib's
//!   `BaseTree.fit`, a fit also counts as having set them).

use std::fmt;

use naspred_eval::hpo::{HpError, HpoState, Tunable, TunableParams};
use naspred_eval::predictor::{
    ArchInput, BoxError, Context, Hyperparams, Prediction, Predictor, PredictorError, PredictorRng,
    Requirements,
};
use naspred_spaces::{EncodingKind, Quirks};
use thiserror::Error;

use crate::check::{check_lengths, ModelInputError};
use crate::features::{encode_inputs, FeatureError, FeatureMatrix};

/// Why a tree model could not be fitted or queried.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TreeError {
    /// The training or query data failed a check shared by every model.
    #[error(transparent)]
    Data(#[from] ModelInputError),
    /// A feature value is NaN or infinite (the trees have no notion of missing values).
    #[error("feature {col} of row {row} is not finite ({value})")]
    NonFiniteFeature {
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
        /// Its value.
        value: f32,
    },
    /// A hyperparameter outside its valid range.
    #[error("invalid hyperparameter {name} = {value}: {reason}")]
    InvalidParam {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The valid range.
        reason: &'static str,
    },
    /// A tunable hyperparameter is invalid.
    #[error(transparent)]
    Hyperparam(#[from] HpError),
    /// Building the feature matrix failed.
    #[error(transparent)]
    Features(#[from] FeatureError),
    /// Prediction before a successful fit.
    #[error("predict called before fit")]
    NotFitted,
    /// The LightGBM library reported an error.
    #[error("LightGBM: {0}")]
    Lightgbm(String),
    /// The XGBoost library reported an error.
    #[error("XGBoost: {0}")]
    Xgboost(String),
}

/// Checks that every feature value is finite.
///
/// # Errors
/// [`TreeError::NonFiniteFeature`] naming the first offending entry.
pub fn check_finite_features(x: &FeatureMatrix) -> Result<(), TreeError> {
    match x.as_slice().iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(k) => Err(TreeError::NonFiniteFeature {
            row: k / x.cols().max(1),
            col: k % x.cols().max(1),
            value: x.as_slice()[k],
        }),
    }
}

/// NASLib's target standardisation (`BaseTree.fit`): `z = (y - mean) / std` with `np.mean` and
/// the population `np.std` (pairwise sums); a constant target (std 0, where NASLib divides by
/// zero) is scaled by 1. One rule for every z-scoring of the workspace: see
/// [`naspred_eval::stats::ZScore`] (`TargetScaling::fit` is numpy's rule).
pub use naspred_eval::stats::ZScore as TargetScaling;

/// The tunable configuration of a [`TabularModel`]: a typed, validated [`TunableParams`]
/// (names, ranges, NASLib's HPO sampler; models without a sampler return `self` unchanged) with
/// NASLib's defaults.
pub trait TabularParams: TunableParams {
    /// NASLib's defaults.
    fn naslib() -> Self;
}

/// A regressor on dense features that [`TabularPredictor`] can wrap.
pub trait TabularModel: fmt::Debug {
    /// Its configuration.
    type Params: TabularParams;
    /// NASLib's predictor key (`xgb`, `lgb`, `ngb`, `rf`).
    const KEY: &'static str;

    /// An unfitted model.
    fn with_params(params: Self::Params) -> Self;
    /// The configuration.
    fn params(&self) -> &Self::Params;
    /// Replaces the configuration and forgets any fitted model.
    fn set_params(&mut self, params: Self::Params);
    /// Whether a model has been fitted.
    fn is_fitted(&self) -> bool;
    /// Fits on `x` and raw targets `y` (the model standardises them itself), drawing any
    /// randomness from `rng`.
    ///
    /// # Errors
    /// The model's [`TreeError`]s.
    fn fit(
        &mut self,
        x: &FeatureMatrix,
        y: &[f64],
        rng: &mut PredictorRng,
    ) -> Result<(), TreeError>;
    /// Predictive means and, where the model has one, standard deviations, in target units.
    ///
    /// # Errors
    /// [`TreeError::NotFitted`], [`ModelInputError::FeatureCount`], or the model's own errors.
    fn predict_dist(&self, x: &FeatureMatrix) -> Result<(Vec<f64>, Option<Vec<f64>>), TreeError>;
}

/// The [`Predictor`] of a [`TabularModel`] on an architecture encoding (NASLib's `BaseTree`
/// subclasses).
#[derive(Debug)]
pub struct TabularPredictor<M: TabularModel> {
    key: String,
    encoding: EncodingKind,
    quirks: Quirks,
    /// Defaults, current configuration and NASLib's `self.hyperparams is None`.
    hpo: HpoState<M::Params>,
    model: M,
}

impl<M: TabularModel> Default for TabularPredictor<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: TabularModel> TabularPredictor<M> {
    /// The predictor under NASLib's key with NASLib's defaults on `adjacency_one_hot`,
    /// faithful encodings.
    pub fn new() -> Self {
        TabularPredictor {
            key: M::KEY.to_string(),
            encoding: EncodingKind::AdjacencyOneHot,
            quirks: Quirks::Faithful,
            hpo: HpoState::trusted(M::Params::naslib()),
            model: M::with_params(M::Params::naslib()),
        }
    }

    /// Uses another encoding (non-dense encodings are flattened).
    pub fn with_encoding(mut self, encoding: EncodingKind) -> Self {
        self.encoding = encoding;
        self
    }

    /// Encodes with `Fixed` or `Faithful` NASLib quirks.
    pub fn with_quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// Reports under another key (e.g. an encoding ablation such as `lgb_path`).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Replaces the default configuration (also what [`Tunable::reset`] restores), after
    /// validating it.
    ///
    /// # Errors
    /// The configuration's [`HpError`].
    pub fn with_params(mut self, params: M::Params) -> Result<Self, HpError> {
        self.hpo = HpoState::new(params.clone())?;
        self.model.set_params(params);
        Ok(self)
    }

    /// [`TabularPredictor::with_params`] for this crate's own known-good configurations.
    pub(crate) fn with_trusted_params(mut self, params: M::Params) -> Self {
        self.hpo = HpoState::trusted(params.clone());
        self.model.set_params(params);
        self
    }

    /// The encoding.
    pub fn encoding(&self) -> EncodingKind {
        self.encoding
    }

    /// The current configuration (what the next fit uses).
    pub fn params(&self) -> &M::Params {
        self.hpo.current()
    }

    /// The hyperparameter-search state.
    pub fn hpo(&self) -> &HpoState<M::Params> {
        &self.hpo
    }

    /// The underlying regressor (its configuration is the one of the last fit).
    pub fn regressor(&self) -> &M {
        &self.model
    }

    fn fit_err(&self, source: impl Into<BoxError>) -> PredictorError {
        PredictorError::fit(self.key.as_str(), source)
    }

    fn query_err(&self, source: impl Into<BoxError>) -> PredictorError {
        PredictorError::query(self.key.as_str(), source)
    }
}

impl<M: TabularModel> Predictor for TabularPredictor<M> {
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
        check_lengths(train.len(), y).map_err(|e| self.fit_err(e))?;
        let params = self.hpo.current();
        params
            .validate()
            .map_err(|source| PredictorError::Hyperparams {
                key: self.key.clone(),
                source,
            })?;
        if self.model.params() != params {
            self.model.set_params(params.clone());
        }
        let x = encode_inputs(train, self.encoding, self.quirks).map_err(|e| self.fit_err(e))?;
        // NASLib's `fit` fills in the defaults when no hyperparameters were set.
        self.hpo.settle();
        let res = self.model.fit(&x, y, ctx.rng);
        res.map_err(|e| self.fit_err(e))
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
        if !self.model.is_fitted() {
            return Err(PredictorError::NotFitted {
                key: self.key.clone(),
            });
        }
        if test.is_empty() {
            return Ok(Prediction {
                mean: Vec::new(),
                std: None,
            });
        }
        let x = encode_inputs(test, self.encoding, self.quirks).map_err(|e| self.query_err(e))?;
        let (mean, std) = self.model.predict_dist(&x).map_err(|e| self.query_err(e))?;
        Ok(Prediction { mean, std })
    }

    fn hyperparams(&self) -> Hyperparams {
        self.hpo.hyperparams()
    }

    fn tuning(&mut self) -> Option<&mut dyn Tunable> {
        Some(&mut self.hpo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_numpy_and_handles_constants() {
        let s = TargetScaling::fit(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.std - 1.25f64.sqrt()).abs() < 1e-15);
        let z = s.apply(&[1.0, 4.0]);
        assert!((s.invert(z[0]) - 1.0).abs() < 1e-12 && (s.invert(z[1]) - 4.0).abs() < 1e-12);
        let c = TargetScaling::fit(&[7.0, 7.0]);
        assert_eq!((c.mean, c.std), (7.0, 1.0));
        assert_eq!(c.apply(&[7.0, 7.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn finite_feature_check() {
        let bad = FeatureMatrix::from_rows(&[[0.0f32, 1.0], [f32::NAN, 0.0]]).unwrap();
        assert!(matches!(
            check_finite_features(&bad),
            Err(TreeError::NonFiniteFeature { row: 1, col: 0, .. })
        ));
    }
}
