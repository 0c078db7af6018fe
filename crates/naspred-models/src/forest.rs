//! Random forest: NASLib's `RandomForestPredictor` (`naslib/predictors/trees/random_forest.py`),
//! scikit-learn's `RandomForestRegressor` with the NAS-Bench-301 configuration.
//!
//! * [`RfParams`]: trees, tree parameters and bootstrapping; NASLib's values in
//!   [`RfParams::naslib`] (116 trees, `max_features` 0.1706, `min_samples_leaf` 2,
//!   `min_samples_split` 2, no bootstrap, unlimited depth, squared-error splits).
//! * [`ForestRegressor`]: the forest on z-scored targets (NASLib's `BaseTree`); the prediction
//!   is the mean over trees and [`ForestRegressor::predict_dist`] adds the spread (population
//!   standard deviation) of the tree predictions, in target units.
//! * [`RfPredictor`]: the `rf` [`Predictor`](naspred_eval::predictor::Predictor).
//!
//! The trees are this crate's [`RegressionTree`] (see [`crate::cart`]
//! for why). Without bootstrapping every tree sees every row and the trees differ only in their
//! per-node feature draws, so the spread over trees is a measure of model disagreement, not a
//! calibrated predictive uncertainty; the evaluator's calibration numbers show how far off it is.

use naspred_eval::hpo::{HpError, HpSpace, HpSpec, TunableParams};
use naspred_eval::predictor::{Hyperparams, PredictorRng};
use rand::Rng;

use crate::cart::{BinnedMatrix, MaxFeatures, RegressionTree, TreeBuilder, TreeParams};
use crate::check::{check_training_set, check_width};
use crate::features::FeatureMatrix;
use crate::tabular::{TabularModel, TabularParams, TabularPredictor, TargetScaling, TreeError};

/// NASLib's `max_features` for `rf` (from NAS-Bench-301's tuned random forest).
pub const RF_MAX_FEATURES: f64 = 0.17055852159745608;

/// Configuration of the random forest.
#[derive(Clone, Debug, PartialEq)]
pub struct RfParams {
    /// Number of trees (NASLib: 116).
    pub n_estimators: usize,
    /// Parameters of each tree.
    pub tree: TreeParams,
    /// Whether each tree sees a bootstrap sample (rows drawn with replacement) instead of every
    /// row (NASLib: no).
    pub bootstrap: bool,
}

impl Default for RfParams {
    fn default() -> Self {
        RfParams::naslib()
    }
}

impl TabularParams for RfParams {
    fn naslib() -> Self {
        RfParams {
            n_estimators: 116,
            tree: TreeParams {
                max_depth: None,
                min_samples_split: 2,
                min_samples_leaf: 2,
                max_features: MaxFeatures::Fraction(RF_MAX_FEATURES),
            },
            bootstrap: false,
        }
    }
}

impl TunableParams for RfParams {
    /// `n_estimators` (>= 1), `max_features` (a fraction in (0, 1], or an integral count
    /// above 1; 1 means all features), `min_samples_leaf` (>= 1), `min_samples_split` (>= 2),
    /// `bootstrap` (0 or 1). The tree depth is not tuned (set it in the struct).
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("n_estimators", 1.0, u32::MAX as f64),
        HpSpec::real("max_features", 0.0, u32::MAX as f64).open_below(),
        HpSpec::integer("min_samples_leaf", 1.0, u32::MAX as f64),
        HpSpec::integer("min_samples_split", 2.0, u32::MAX as f64),
        HpSpec::integer("bootstrap", 0.0, 1.0),
    ]);

    /// `max_features`: 1 for all features, else the fraction or the count.
    fn to_hyperparams(&self) -> Hyperparams {
        let mut hp = Hyperparams::new();
        hp.insert("n_estimators".into(), self.n_estimators as f64);
        let mf = match self.tree.max_features {
            MaxFeatures::All => 1.0,
            MaxFeatures::Fraction(f) => f,
            MaxFeatures::Count(c) => c as f64,
        };
        hp.insert("max_features".into(), mf);
        hp.insert("min_samples_leaf".into(), self.tree.min_samples_leaf as f64);
        hp.insert(
            "min_samples_split".into(),
            self.tree.min_samples_split as f64,
        );
        hp.insert("bootstrap".into(), f64::from(u8::from(self.bootstrap)));
        hp
    }

    /// `max_features` values in (0, 1] are fractions, larger ones counts (which must be
    /// integral).
    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut p = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "n_estimators" => p.n_estimators = v as usize,
                "max_features" if v <= 1.0 => p.tree.max_features = MaxFeatures::Fraction(v),
                "max_features" if v.fract() == 0.0 => {
                    p.tree.max_features = MaxFeatures::Count(v as usize)
                }
                "max_features" => {
                    return Err(HpError::NotInteger {
                        name: k.clone(),
                        value: v,
                    })
                }
                "min_samples_leaf" => p.tree.min_samples_leaf = v as usize,
                "min_samples_split" => p.tree.min_samples_split = v as usize,
                "bootstrap" => p.bootstrap = v != 0.0,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// NASLib's random forest has no HPO sampler: the configuration is kept.
    fn sample(&self, _rng: &mut PredictorRng) -> Self {
        self.clone()
    }

    /// At least one tree, and valid tree parameters.
    fn validate(&self) -> Result<(), HpError> {
        if self.n_estimators == 0 {
            return Err(HpError::invalid("n_estimators", 0.0, "must be >= 1"));
        }
        self.tree.validate().map_err(|e| match e {
            TreeError::InvalidParam {
                name,
                value,
                reason,
            } => HpError::invalid(name, value, reason),
            other => HpError::invalid("tree", f64::NAN, other.to_string()),
        })
    }
}

#[derive(Clone, Debug)]
struct FittedForest {
    trees: Vec<RegressionTree>,
    scaling: TargetScaling,
    n_features: usize,
}

/// A random forest regressor on z-scored targets.
///
/// ```
/// use naspred_eval::predictor::PredictorRng;
/// use naspred_models::{FeatureMatrix, ForestRegressor, RfParams, TabularModel, TabularParams};
/// use rand::SeedableRng;
/// let x = FeatureMatrix::from_rows(&[[0.0f32, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]).unwrap();
/// let mut rf = ForestRegressor::with_params(RfParams::naslib());
/// rf.fit(&x, &[90.0, 80.0, 85.0, 70.0], &mut PredictorRng::seed_from_u64(0)).unwrap();
/// let (mean, std) = rf.predict_dist(&x).unwrap();
/// assert_eq!((mean.len(), std.unwrap().len()), (4, 4));
/// ```
#[derive(Clone, Debug)]
pub struct ForestRegressor {
    params: RfParams,
    model: Option<FittedForest>,
}

impl Default for ForestRegressor {
    fn default() -> Self {
        ForestRegressor::with_params(RfParams::naslib())
    }
}

impl ForestRegressor {
    /// The fitted trees (empty before a fit).
    pub fn trees(&self) -> &[RegressionTree] {
        self.model.as_ref().map_or(&[], |m| &m.trees)
    }

    /// `(mean, std)` used to standardise the training targets, once fitted.
    pub fn target_scaling(&self) -> Option<TargetScaling> {
        self.model.as_ref().map(|m| m.scaling)
    }
}

impl TabularModel for ForestRegressor {
    type Params = RfParams;
    const KEY: &'static str = "rf";

    fn with_params(params: RfParams) -> Self {
        ForestRegressor {
            params,
            model: None,
        }
    }

    fn params(&self) -> &RfParams {
        &self.params
    }

    fn set_params(&mut self, params: RfParams) {
        self.params = params;
        self.model = None;
    }

    fn is_fitted(&self) -> bool {
        self.model.is_some()
    }

    /// Fits `n_estimators` trees on the z-scored targets.
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
        self.params.validate()?;
        check_training_set(x, y)?;
        let scaling = TargetScaling::fit(y);
        let z = scaling.apply(y);
        let data = BinnedMatrix::new(x)?;
        let n = x.rows();
        let all: Vec<u32> = (0..n as u32).collect();
        let mut rows = all.clone();
        let mut builder = TreeBuilder::new();
        let mut trees = Vec::with_capacity(self.params.n_estimators);
        for _ in 0..self.params.n_estimators {
            if self.params.bootstrap {
                for r in rows.iter_mut() {
                    *r = rng.random_range(0..n as u32);
                }
            }
            trees.push(RegressionTree::fit(
                &data,
                &rows,
                &z,
                &self.params.tree,
                &mut builder,
                rng,
            )?);
        }
        self.model = Some(FittedForest {
            trees,
            scaling,
            n_features: x.cols(),
        });
        Ok(())
    }

    /// Mean over trees, and the population std of the tree predictions, in target units.
    fn predict_dist(&self, x: &FeatureMatrix) -> Result<(Vec<f64>, Option<Vec<f64>>), TreeError> {
        let m = self.model.as_ref().ok_or(TreeError::NotFitted)?;
        check_width(m.n_features, x.cols())?;
        let k = m.trees.len() as f64;
        let mut mean = Vec::with_capacity(x.rows());
        let mut std = Vec::with_capacity(x.rows());
        for row in x.iter_rows() {
            let (mut s, mut sq) = (0.0, 0.0);
            for t in &m.trees {
                let p = t.predict_row(row);
                s += p;
                sq += p * p;
            }
            let mu = s / k;
            let var = (sq / k - mu * mu).max(0.0);
            mean.push(m.scaling.invert(mu));
            std.push(var.sqrt() * m.scaling.std);
        }
        Ok((mean, Some(std)))
    }
}

/// The `rf` predictor: [`ForestRegressor`] on the `adjacency_one_hot` encoding.
pub type RfPredictor = TabularPredictor<ForestRegressor>;
