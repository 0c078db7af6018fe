//! XGBoost: NASLib's `XGBoost` tree predictor (`naslib/predictors/trees/xgb.py`).
//!
//! * [`XgbParams`]: the booster configuration, NASLib's defaults and HPO sampler.
//! * [`XgbRegressor`]: a gradient-boosted tree regressor over a dense [`FeatureMatrix`], with
//!   the targets z-scored by the training mean and standard deviation and predictions mapped back
//!   (NASLib's `BaseTree.fit` / `query`).
//! * [`XgbPredictor`]: the `xgb` [`TabularPredictor`], which encodes architectures
//!   (`adjacency_one_hot` by default) and fits an [`XgbRegressor`].
//!
//! The booster is XGBoost 1.6.2 (bundled by `xgboost-rs`), configured exactly as NASLib's Python
//! call `xgb.train(params, xgb.DMatrix(X, label=(y - mean) / std), num_boost_round=500)`, with two
//! additions: `nthread` (1 by default, since trials run in parallel) and `seed` (drawn from the
//! predictor's random stream; it only matters when a column subsample is below 1).

use std::collections::HashMap;
use std::fmt;

use naspred_eval::predictor::{Hyperparams, PredictorRng};
use rand::{Rng, RngCore};
use xgboost_rs::{Booster, DMatrix};

use crate::check::{check_training_set, check_width, DataError};
use crate::features::FeatureMatrix;
use crate::tabular::{TabularModel, TabularParams, TabularPredictor, TargetScaling, TreeError};

/// NASLib's number of boosting rounds.
pub const DEFAULT_NUM_BOOST_ROUND: u32 = 500;

/// Why an XGBoost fit or prediction failed: the tree models' [`TreeError`], whose
/// [`TreeError::Xgboost`] carries the library's own messages.
pub type XgbError = TreeError;

impl From<xgboost_rs::XGBError> for TreeError {
    fn from(e: xgboost_rs::XGBError) -> Self {
        TreeError::Xgboost(e.to_string())
    }
}

/// Configuration of the gradient-boosted trees.
///
/// The fixed part of NASLib's parameter dict (`objective: reg:squarederror`, `eval_metric:
/// rmse`, `booster: gbtree`) is always sent; the fields below are the tunable part plus the
/// number of rounds and threads.
#[derive(Clone, Debug, PartialEq)]
pub struct XgbParams {
    /// Maximum tree depth (NASLib: 6).
    pub max_depth: u32,
    /// Minimum hessian sum in a child (NASLib: 1).
    pub min_child_weight: f64,
    /// Column subsample per tree, in (0, 1] (NASLib: 1).
    pub colsample_bytree: f64,
    /// Column subsample per tree level, in (0, 1] (NASLib: 1).
    pub colsample_bylevel: f64,
    /// Shrinkage `eta` (NASLib: 0.3).
    pub learning_rate: f64,
    /// Boosting rounds (NASLib: 500).
    pub num_boost_round: u32,
    /// XGBoost threads (1: trials already run in parallel; 0 lets XGBoost use every core).
    pub nthread: u32,
}

impl Default for XgbParams {
    fn default() -> Self {
        XgbParams::naslib()
    }
}

impl XgbParams {
    /// Names of the tunable hyperparameters, as reported by [`XgbParams::to_hyperparams`].
    pub const HYPERPARAMS: [&'static str; 5] = [
        "max_depth",
        "min_child_weight",
        "colsample_bytree",
        "learning_rate",
        "colsample_bylevel",
    ];

    /// Checks the values against XGBoost's ranges.
    ///
    /// # Errors
    /// [`TreeError::InvalidParam`] naming the first bad field.
    pub fn validate(&self) -> Result<(), TreeError> {
        let bad = |name, value, reason| {
            Err(TreeError::InvalidParam {
                name,
                value,
                reason,
            })
        };
        if !(self.min_child_weight.is_finite() && self.min_child_weight >= 0.0) {
            return bad(
                "min_child_weight",
                self.min_child_weight,
                "must be finite and >= 0",
            );
        }
        for (name, v) in [
            ("colsample_bytree", self.colsample_bytree),
            ("colsample_bylevel", self.colsample_bylevel),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return bad(name, v, "must be in (0, 1]");
            }
        }
        if !(self.learning_rate.is_finite() && self.learning_rate >= 0.0) {
            return bad(
                "learning_rate",
                self.learning_rate,
                "must be finite and >= 0",
            );
        }
        if self.num_boost_round == 0 {
            return bad("num_boost_round", 0.0, "must be >= 1");
        }
        Ok(())
    }

    /// The parameter strings handed to `XGBoosterSetParam` (floats in shortest round-trip form,
    /// as Python's `str`).
    fn booster_config(&self, seed: u64) -> HashMap<String, String> {
        [
            ("objective", "reg:squarederror".to_string()),
            ("eval_metric", "rmse".to_string()),
            ("booster", "gbtree".to_string()),
            ("max_depth", self.max_depth.to_string()),
            ("min_child_weight", self.min_child_weight.to_string()),
            ("colsample_bytree", self.colsample_bytree.to_string()),
            ("learning_rate", self.learning_rate.to_string()),
            ("colsample_bylevel", self.colsample_bylevel.to_string()),
            ("nthread", self.nthread.to_string()),
            ("seed", seed.to_string()),
            ("verbosity", "0".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// A fitted booster and the target scaling it was fitted with.
struct FittedXgb {
    booster: Booster,
    mean: f64,
    std: f64,
    n_features: usize,
}

/// Gradient-boosted regression trees over a dense feature matrix, NASLib style.
///
/// [`XgbRegressor::fit`] z-scores the targets with their mean and population standard deviation
/// (`np.mean`, `np.std`) and trains `num_boost_round` rounds; [`XgbRegressor::predict`] returns
/// `prediction * std + mean`. A constant training target (std 0, where NASLib would produce NaN
/// labels and XGBoost would fail) is scaled by 1 instead, so every prediction is that constant.
///
/// ```no_run
/// use naspred_models::{FeatureMatrix, TabularParams, XgbParams, XgbRegressor};
/// let x = FeatureMatrix::from_rows(&[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]).unwrap();
/// let mut reg = XgbRegressor::new(XgbParams::naslib());
/// reg.fit(&x, &[90.0, 80.0, 85.0], 0).unwrap();
/// let p = reg.predict(&x).unwrap();
/// assert_eq!(p.len(), 3);
/// ```
pub struct XgbRegressor {
    params: XgbParams,
    model: Option<FittedXgb>,
}

impl fmt::Debug for XgbRegressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XgbRegressor")
            .field("params", &self.params)
            .field("fitted", &self.model.is_some())
            .field("target_scaling", &self.target_scaling())
            .finish()
    }
}

impl Default for XgbRegressor {
    fn default() -> Self {
        XgbRegressor::new(XgbParams::naslib())
    }
}

impl XgbRegressor {
    /// An unfitted regressor.
    pub fn new(params: XgbParams) -> Self {
        XgbRegressor {
            params,
            model: None,
        }
    }

    /// `(mean, std)` used to standardise the training targets, once fitted.
    pub fn target_scaling(&self) -> Option<(f64, f64)> {
        self.model.as_ref().map(|m| (m.mean, m.std))
    }

    /// Fits on `x` (one row per sample) and targets `y`, with XGBoost's random `seed`.
    ///
    /// On error the previous model, if any, is discarded.
    ///
    /// # Errors
    /// [`DataError::EmptyTrainingSet`], [`DataError::LengthMismatch`], [`DataError::NoFeatures`],
    /// [`DataError::NonFiniteTarget`], [`TreeError::InvalidParam`], or [`TreeError::Xgboost`].
    pub fn fit(&mut self, x: &FeatureMatrix, y: &[f64], seed: u64) -> Result<(), TreeError> {
        self.model = None;
        self.params.validate()?;
        check_training_set(x, y)?;
        let scaling = TargetScaling::fit(y);
        let labels: Vec<f32> = scaling.apply(y).into_iter().map(|v| v as f32).collect();

        let mut dtrain = dmatrix(x, self.params.nthread)?;
        dtrain.set_labels(&labels)?;
        let mut booster =
            Booster::new_with_json_config(&[&dtrain], self.params.booster_config(seed))?;
        for i in 0..self.params.num_boost_round {
            booster.update(&dtrain, i as i32)?;
        }
        self.model = Some(FittedXgb {
            booster,
            mean: scaling.mean,
            std: scaling.std,
            n_features: x.cols(),
        });
        Ok(())
    }

    /// Predictions for the rows of `x`, in target units.
    ///
    /// # Errors
    /// [`TreeError::NotFitted`], [`DataError::FeatureCount`], or [`TreeError::Xgboost`].
    pub fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>, TreeError> {
        let m = self.model.as_ref().ok_or(TreeError::NotFitted)?;
        check_width(m.n_features, x.cols())?;
        let d = dmatrix(x, self.params.nthread)?;
        let raw = m.booster.predict(&d)?;
        if raw.len() != x.rows() {
            return Err(TreeError::Xgboost(format!(
                "{} predictions for {} rows",
                raw.len(),
                x.rows()
            )));
        }
        Ok(raw
            .into_iter()
            .map(|p| f64::from(p) * m.std + m.mean)
            .collect())
    }
}

/// A `DMatrix` of the row-major matrix with NaN as the missing value (as Python's
/// `xgb.DMatrix(X)`; `DMatrix::from_dense` would treat every 0 as missing).
fn dmatrix(x: &FeatureMatrix, nthread: u32) -> Result<DMatrix, TreeError> {
    if x.cols() == 0 {
        return Err(TreeError::Data(DataError::NoFeatures));
    }
    let f = std::mem::size_of::<f32>();
    // `from_col_major_f32` takes explicit byte strides (array-interface style), so row-major
    // data is described by strides (cols * 4, 4).
    Ok(DMatrix::from_col_major_f32(
        x.as_slice(),
        x.cols() * f,
        f,
        x.rows(),
        x.cols(),
        i32::try_from(nthread).unwrap_or(0),
        f32::NAN,
    )?)
}

impl TabularParams for XgbParams {
    /// NASLib's defaults.
    fn naslib() -> Self {
        XgbParams {
            max_depth: 6,
            min_child_weight: 1.0,
            colsample_bytree: 1.0,
            colsample_bylevel: 1.0,
            learning_rate: 0.3,
            num_boost_round: DEFAULT_NUM_BOOST_ROUND,
            nthread: 1,
        }
    }

    /// One draw of NASLib's random hyperparameter sampler for XGBoost (its
    /// `set_random_hyperparams`, used by the cross-validated search; spec §1.3): `max_depth` ∈ {1..14}, `min_child_weight`
    /// ∈ {1..9}, `colsample_bytree` ~ U(0,1), `learning_rate` ~ loguniform[1e-3, 0.5],
    /// `colsample_bylevel` ~ U(0,1), drawn in that order. Rounds and threads are kept from
    /// `self`.
    ///
    /// The uniforms are drawn on (0, 1] rather than numpy's [0, 1) so that a draw is always a
    /// valid XGBoost subsample ratio (the two differ with probability 2⁻⁵³).
    fn sample(&self, rng: &mut PredictorRng) -> Self {
        let max_depth = rng.random_range(1..=14u32);
        let min_child_weight = f64::from(rng.random_range(1..=9u32));
        let colsample_bytree = 1.0 - rng.random::<f64>();
        let (lo, hi) = (1e-3f64.ln(), 0.5f64.ln());
        let learning_rate = (lo + (hi - lo) * rng.random::<f64>()).exp();
        let colsample_bylevel = 1.0 - rng.random::<f64>();
        XgbParams {
            max_depth,
            min_child_weight,
            colsample_bytree,
            colsample_bylevel,
            learning_rate,
            ..self.clone()
        }
    }

    /// The tunable hyperparameters by name (reported as `hp_<name>`).
    fn to_hyperparams(&self) -> Hyperparams {
        let mut hp = Hyperparams::new();
        hp.insert("max_depth".into(), f64::from(self.max_depth));
        hp.insert("min_child_weight".into(), self.min_child_weight);
        hp.insert("colsample_bytree".into(), self.colsample_bytree);
        hp.insert("learning_rate".into(), self.learning_rate);
        hp.insert("colsample_bylevel".into(), self.colsample_bylevel);
        hp
    }

    /// Overwrites the fields named in `hp` (the five of [`XgbParams::HYPERPARAMS`], plus
    /// `num_boost_round` and `nthread`); other names are ignored. Integer fields are rounded;
    /// values are checked at fit time by [`XgbParams::validate`].
    fn apply_hyperparams(&mut self, hp: &Hyperparams) {
        let to_u32 = |v: f64| {
            if v.is_finite() && v >= 0.0 {
                v.round().min(f64::from(u32::MAX)) as u32
            } else {
                0
            }
        };
        for (k, &v) in hp {
            match k.as_str() {
                "max_depth" => self.max_depth = to_u32(v),
                "min_child_weight" => self.min_child_weight = v,
                "colsample_bytree" => self.colsample_bytree = v,
                "colsample_bylevel" => self.colsample_bylevel = v,
                "learning_rate" | "eta" => self.learning_rate = v,
                "num_boost_round" => self.num_boost_round = to_u32(v),
                "nthread" => self.nthread = to_u32(v),
                _ => {}
            }
        }
    }
}

impl TabularModel for XgbRegressor {
    type Params = XgbParams;
    const KEY: &'static str = "xgb";

    fn with_params(params: XgbParams) -> Self {
        XgbRegressor::new(params)
    }

    fn params(&self) -> &XgbParams {
        &self.params
    }

    /// Replaces the configuration and forgets any fitted model.
    fn set_params(&mut self, params: XgbParams) {
        self.params = params;
        self.model = None;
    }

    fn is_fitted(&self) -> bool {
        self.model.is_some()
    }

    /// Draws XGBoost's seed from `rng`, then fits.
    fn fit(
        &mut self,
        x: &FeatureMatrix,
        y: &[f64],
        rng: &mut PredictorRng,
    ) -> Result<(), TreeError> {
        let seed = u64::from(rng.next_u32());
        XgbRegressor::fit(self, x, y, seed)
    }

    fn predict_dist(&self, x: &FeatureMatrix) -> Result<(Vec<f64>, Option<Vec<f64>>), TreeError> {
        Ok((self.predict(x)?, None))
    }
}

/// The `xgb` predictor: XGBoost on the `adjacency_one_hot` encoding (NASLib's `XGBoost`).
///
/// Hyperparameters follow NASLib's `set_random_hyperparams`: the first call after construction
/// or [`Predictor::reset_hyperparams`](naspred_eval::predictor::Predictor::reset_hyperparams)
/// keeps the defaults, later calls draw from [`XgbParams::sample`]. NASLib's `hpo_wrapper` is off
/// for `xgb`, so the evaluator's cross-validation search does not apply by default.
pub type XgbPredictor = TabularPredictor<XgbRegressor>;
