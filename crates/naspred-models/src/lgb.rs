//! LightGBM: NASLib's `LGBoost` predictor (`naslib/predictors/trees/lgb.py`), the GBDT-NAS
//! configuration of Luo et al. (2020).
//!
//! * [`LgbParams`]: the configuration; NASLib's values in [`LgbParams::naslib`] (`gbdt`,
//!   `regression` objective, `l2` metric, 31 leaves, `min_data_in_leaf` 5, learning rate 0.05,
//!   feature fraction 0.9, bagging fraction 0.8 every 5 iterations, 500 rounds) and its HPO
//!   sampler.
//! * [`LgbRegressor`]: the booster on z-scored targets (NASLib's `BaseTree`).
//! * [`LgbPredictor`]: the `lgb` [`Predictor`](naspred_eval::predictor::Predictor).
//!
//! The library is LightGBM 4.7 built from source by `lightgbm3-sys` (the low-level half of the
//! `lightgbm3` binding), without OpenMP, so a fit is single-threaded (trials are the parallel
//! unit). The safe `lightgbm3` layer is not used because it constructs datasets with empty
//! parameters: LightGBM then bins and pre-filters features with its default
//! `min_data_in_leaf` (20), and refuses the booster's smaller value. Python's `lgb.train`, which
//! NASLib calls, constructs the dataset lazily with the training parameters; so does
//! [`LgbRegressor::fit`], handing one parameter string to `LGBM_DatasetCreateFromMat` and
//! `LGBM_BoosterCreate`, then calling `LGBM_BoosterUpdateOneIter` `num_boost_round` times, as
//! Python's loop does (an iteration that finds no split adds no tree; bagging may allow one
//! later). Two additions to NASLib's dictionary: `num_threads` (1) and `seed` (drawn from the
//! predictor's random stream; it seeds bagging and feature fraction), plus `force_col_wise` so
//! the histogram layout does not depend on a timing probe.

use std::ffi::{c_void, CStr, CString};
use std::fmt;
use std::ptr;

use lightgbm3_sys as sys;
use naspred_eval::hpo::{loguniform, HpError, HpSpace, HpSpec, TunableParams};
use naspred_eval::predictor::{Hyperparams, PredictorRng};
use rand::{Rng, RngCore};

use crate::check::{check_training_set, check_width};
use crate::features::FeatureMatrix;
use crate::tabular::{
    check_finite_features, TabularModel, TabularParams, TabularPredictor, TargetScaling, TreeError,
};

/// Configuration of the LightGBM booster.
#[derive(Clone, Debug, PartialEq)]
pub struct LgbParams {
    /// Maximum leaves per tree (NASLib: 31).
    pub num_leaves: u32,
    /// Minimum rows in a leaf (NASLib: 5).
    pub min_data_in_leaf: u32,
    /// Shrinkage (NASLib: 0.05).
    pub learning_rate: f64,
    /// Fraction of features per tree, in (0, 1] (NASLib: 0.9).
    pub feature_fraction: f64,
    /// Fraction of rows per bagging round, in (0, 1] (NASLib: 0.8).
    pub bagging_fraction: f64,
    /// Re-bag every this many iterations; 0 disables bagging (NASLib: 5).
    pub bagging_freq: u32,
    /// Boosting rounds (NASLib: 500).
    pub num_boost_round: u32,
    /// LightGBM threads (1: trials run in parallel; the build has no OpenMP anyway).
    pub num_threads: u32,
}

impl Default for LgbParams {
    fn default() -> Self {
        LgbParams::naslib()
    }
}

impl LgbParams {
    /// The LightGBM parameter string (floats in shortest round-trip form).
    fn to_config(&self, seed: u32) -> String {
        format!(
            "boosting_type=gbdt objective=regression metric=l2 min_data_in_leaf={} \
             num_leaves={} learning_rate={} feature_fraction={} bagging_fraction={} \
             bagging_freq={} verbose=-1 num_threads={} seed={} force_col_wise=true",
            self.min_data_in_leaf,
            self.num_leaves,
            self.learning_rate,
            self.feature_fraction,
            self.bagging_fraction,
            self.bagging_freq,
            self.num_threads,
            seed
        )
    }
}

impl TabularParams for LgbParams {
    fn naslib() -> Self {
        LgbParams {
            num_leaves: 31,
            min_data_in_leaf: 5,
            learning_rate: 0.05,
            feature_fraction: 0.9,
            bagging_fraction: 0.8,
            bagging_freq: 5,
            num_boost_round: 500,
            num_threads: 1,
        }
    }
}

impl TunableParams for LgbParams {
    /// The ranges LightGBM accepts: `num_leaves` in 2..=131072, `min_data_in_leaf` fits an
    /// `i32`, `learning_rate` > 0 (log scale), `feature_fraction` and `bagging_fraction` in
    /// (0, 1], `bagging_freq` a `u32`. `num_boost_round` and `num_threads` are not tuned.
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("num_leaves", 2.0, 131_072.0),
        HpSpec::integer("min_data_in_leaf", 0.0, i32::MAX as f64),
        HpSpec::log_real("learning_rate", 0.0, f64::INFINITY).open_below(),
        HpSpec::real("feature_fraction", 0.0, 1.0).open_below(),
        HpSpec::real("bagging_fraction", 0.0, 1.0).open_below(),
        HpSpec::integer("bagging_freq", 0.0, u32::MAX as f64),
    ]);

    fn to_hyperparams(&self) -> Hyperparams {
        let mut hp = Hyperparams::new();
        hp.insert("num_leaves".into(), f64::from(self.num_leaves));
        hp.insert("min_data_in_leaf".into(), f64::from(self.min_data_in_leaf));
        hp.insert("learning_rate".into(), self.learning_rate);
        hp.insert("feature_fraction".into(), self.feature_fraction);
        hp.insert("bagging_fraction".into(), self.bagging_fraction);
        hp.insert("bagging_freq".into(), f64::from(self.bagging_freq));
        hp
    }

    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut p = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "num_leaves" => p.num_leaves = v as u32,
                "min_data_in_leaf" => p.min_data_in_leaf = v as u32,
                "learning_rate" => p.learning_rate = v,
                "feature_fraction" => p.feature_fraction = v,
                "bagging_fraction" => p.bagging_fraction = v,
                "bagging_freq" => p.bagging_freq = v as u32,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// NASLib's sampler, in its order: `num_leaves` in 10..=99, `learning_rate ~
    /// loguniform(0.001, 0.1)`, `feature_fraction ~ U(0.1, 1)`; the rest is kept.
    fn sample(&self, rng: &mut PredictorRng) -> Self {
        let num_leaves = rng.random_range(10..=99u32);
        let learning_rate = loguniform(rng, 0.001, 0.1);
        let feature_fraction = 0.1 + 0.9 * rng.random::<f64>();
        LgbParams {
            num_leaves,
            learning_rate,
            feature_fraction,
            ..self.clone()
        }
    }

    /// The tunable fields against [`TunableParams::SPACE`], and at least one boosting round.
    fn validate(&self) -> Result<(), HpError> {
        Self::SPACE.validate(&self.to_hyperparams())?;
        if self.num_boost_round == 0 {
            return Err(HpError::invalid("num_boost_round", 0.0, "must be >= 1"));
        }
        Ok(())
    }
}

/// LightGBM's last error message, as a [`TreeError::Lightgbm`].
fn last_error(what: &str) -> TreeError {
    // SAFETY: LGBM_GetLastError returns a pointer to a thread-local, NUL-terminated buffer that
    // stays valid until the next API call on this thread; it is copied at once.
    let msg = unsafe {
        let p = sys::LGBM_GetLastError();
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    TreeError::Lightgbm(format!("{what}: {msg}"))
}

fn check(rc: i32, what: &str) -> Result<(), TreeError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(last_error(what))
    }
}

/// A LightGBM dataset handle, freed on drop.
struct DatasetHandle(sys::DatasetHandle);

impl Drop for DatasetHandle {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle came from LGBM_DatasetCreateFromMat and is freed once.
            unsafe {
                sys::LGBM_DatasetFree(self.0);
            }
        }
    }
}

/// A LightGBM booster handle, freed on drop.
struct BoosterHandle(sys::BoosterHandle);

impl Drop for BoosterHandle {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle came from LGBM_BoosterCreate and is freed once.
            unsafe {
                sys::LGBM_BoosterFree(self.0);
            }
        }
    }
}

struct FittedLgb {
    booster: BoosterHandle,
    scaling: TargetScaling,
    n_features: usize,
    /// Trees the booster holds (iterations that found no split add none).
    n_trees: usize,
}

/// Gradient-boosted trees by LightGBM on z-scored targets.
///
/// ```no_run
/// use naspred_eval::predictor::PredictorRng;
/// use naspred_models::{FeatureMatrix, LgbParams, LgbRegressor, TabularModel, TabularParams};
/// use rand::SeedableRng;
/// let x = FeatureMatrix::from_rows(&[[0.0f32, 1.0], [1.0, 0.0], [1.0, 1.0]]).unwrap();
/// let mut lgb = LgbRegressor::with_params(LgbParams::naslib());
/// lgb.fit(&x, &[90.0, 80.0, 85.0], &mut PredictorRng::seed_from_u64(0)).unwrap();
/// assert_eq!(lgb.predict(&x).unwrap().len(), 3);
/// ```
pub struct LgbRegressor {
    params: LgbParams,
    model: Option<FittedLgb>,
}

impl fmt::Debug for LgbRegressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LgbRegressor")
            .field("params", &self.params)
            .field("fitted", &self.model.is_some())
            .field("n_trees", &self.model.as_ref().map(|m| m.n_trees))
            .finish()
    }
}

impl Default for LgbRegressor {
    fn default() -> Self {
        LgbRegressor::with_params(LgbParams::naslib())
    }
}

impl LgbRegressor {
    /// Predictions for the rows of `x`, in target units.
    ///
    /// # Errors
    /// [`TreeError::NotFitted`], [`ModelInputError::FeatureCount`](crate::ModelInputError::FeatureCount), [`TreeError::NonFiniteFeature`]
    /// or [`TreeError::Lightgbm`].
    pub fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>, TreeError> {
        let m = self.model.as_ref().ok_or(TreeError::NotFitted)?;
        check_width(m.n_features, x.cols())?;
        check_finite_features(x)?;
        let (rows, cols) = dims(x)?;
        let mut out = vec![0.0f64; x.rows()];
        let mut out_len: i64 = 0;
        let param = CString::new(format!("num_threads={}", self.params.num_threads))
            .map_err(|e| TreeError::Lightgbm(e.to_string()))?;
        // SAFETY: the data pointer covers rows * cols f32 values (row-major), `out` has room for
        // one prediction per row (one output for regression), and every handle is live.
        let rc = unsafe {
            sys::LGBM_BoosterPredictForMat(
                m.booster.0,
                x.as_slice().as_ptr() as *const c_void,
                sys::C_API_DTYPE_FLOAT32 as i32,
                rows,
                cols,
                1,
                sys::C_API_PREDICT_NORMAL as i32,
                0,
                -1,
                param.as_ptr(),
                &mut out_len,
                out.as_mut_ptr(),
            )
        };
        check(rc, "predict")?;
        if out_len as usize != x.rows() {
            return Err(TreeError::Lightgbm(format!(
                "{out_len} predictions for {} rows",
                x.rows()
            )));
        }
        for v in &mut out {
            *v = m.scaling.invert(*v);
        }
        Ok(out)
    }

    /// Number of trees in the fitted booster.
    pub fn n_trees(&self) -> Option<usize> {
        self.model.as_ref().map(|m| m.n_trees)
    }

    /// `(mean, std)` used to standardise the training targets, once fitted.
    pub fn target_scaling(&self) -> Option<TargetScaling> {
        self.model.as_ref().map(|m| m.scaling)
    }
}

fn dims(x: &FeatureMatrix) -> Result<(i32, i32), TreeError> {
    let too_big = |what| TreeError::InvalidParam {
        name: what,
        value: f64::MAX,
        reason: "LightGBM takes at most i32::MAX rows and columns",
    };
    Ok((
        i32::try_from(x.rows()).map_err(|_| too_big("rows"))?,
        i32::try_from(x.cols()).map_err(|_| too_big("cols"))?,
    ))
}

impl TabularModel for LgbRegressor {
    type Params = LgbParams;
    const KEY: &'static str = "lgb";

    fn with_params(params: LgbParams) -> Self {
        LgbRegressor {
            params,
            model: None,
        }
    }

    fn params(&self) -> &LgbParams {
        &self.params
    }

    fn set_params(&mut self, params: LgbParams) {
        self.params = params;
        self.model = None;
    }

    fn is_fitted(&self) -> bool {
        self.model.is_some()
    }

    /// Trains `num_boost_round` iterations on the z-scored targets.
    ///
    /// # Errors
    /// [`ModelInputError::EmptyTrainingSet`](crate::ModelInputError::EmptyTrainingSet), [`ModelInputError::LengthMismatch`](crate::ModelInputError::LengthMismatch),
    /// [`ModelInputError::NoFeatures`](crate::ModelInputError::NoFeatures), [`ModelInputError::NonFiniteTarget`](crate::ModelInputError::NonFiniteTarget),
    /// [`TreeError::NonFiniteFeature`], [`TreeError::Hyperparam`], [`TreeError::InvalidParam`] or
    /// [`TreeError::Lightgbm`].
    fn fit(
        &mut self,
        x: &FeatureMatrix,
        y: &[f64],
        rng: &mut PredictorRng,
    ) -> Result<(), TreeError> {
        self.model = None;
        self.params.validate()?;
        check_training_set(x, y)?;
        check_finite_features(x)?;
        let (rows, cols) = dims(x)?;
        let scaling = TargetScaling::fit(y);
        let labels: Vec<f32> = scaling.apply(y).into_iter().map(|v| v as f32).collect();
        // LightGBM seeds are C ints; keep them non-negative.
        let seed = rng.next_u32() >> 1;
        let mut params = self.params.clone();
        if (params.bagging_fraction * x.rows() as f64) < 1.0 {
            // A bag of zero rows is a LightGBM error (a single training row): no bagging.
            params.bagging_freq = 0;
        }
        let config =
            CString::new(params.to_config(seed)).map_err(|e| TreeError::Lightgbm(e.to_string()))?;
        let label_name = c"label";

        let mut dataset = DatasetHandle(ptr::null_mut());
        // SAFETY: the data pointer covers rows * cols f32 values in row-major order; LightGBM
        // copies (bins) them during the call; `dataset.0` receives a new handle.
        let rc = unsafe {
            sys::LGBM_DatasetCreateFromMat(
                x.as_slice().as_ptr() as *const c_void,
                sys::C_API_DTYPE_FLOAT32 as i32,
                rows,
                cols,
                1,
                config.as_ptr(),
                ptr::null_mut(),
                &mut dataset.0,
            )
        };
        check(rc, "dataset")?;
        // SAFETY: `labels` holds `rows` f32 values; LightGBM copies them.
        let rc = unsafe {
            sys::LGBM_DatasetSetField(
                dataset.0,
                label_name.as_ptr(),
                labels.as_ptr() as *const c_void,
                rows,
                sys::C_API_DTYPE_FLOAT32 as i32,
            )
        };
        check(rc, "labels")?;
        let mut booster = BoosterHandle(ptr::null_mut());
        // SAFETY: the dataset handle is live; `booster.0` receives a new handle.
        let rc = unsafe { sys::LGBM_BoosterCreate(dataset.0, config.as_ptr(), &mut booster.0) };
        check(rc, "booster")?;
        for _ in 0..self.params.num_boost_round {
            let mut empty: i32 = 0;
            // SAFETY: live booster whose training dataset is still alive.
            let rc = unsafe { sys::LGBM_BoosterUpdateOneIter(booster.0, &mut empty) };
            check(rc, "update")?;
        }
        let mut n_models: i32 = 0;
        // SAFETY: live booster.
        let rc = unsafe { sys::LGBM_BoosterNumberOfTotalModel(booster.0, &mut n_models) };
        check(rc, "model count")?;
        // The booster keeps its trees; the binned training data is no longer needed (Python's
        // `Booster.free_dataset`).
        drop(dataset);
        self.model = Some(FittedLgb {
            booster,
            scaling,
            n_features: x.cols(),
            n_trees: n_models.max(0) as usize,
        });
        Ok(())
    }

    /// LightGBM has no predictive uncertainty: the std is `None`.
    fn predict_dist(&self, x: &FeatureMatrix) -> Result<(Vec<f64>, Option<Vec<f64>>), TreeError> {
        Ok((self.predict(x)?, None))
    }
}

/// The `lgb` predictor: [`LgbRegressor`] on the `adjacency_one_hot` encoding.
pub type LgbPredictor = TabularPredictor<LgbRegressor>;
