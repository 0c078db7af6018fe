//! The registry of predictors by NASLib key.

use naspred_data::Dataset;
use naspred_eval::{Family, Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_lcurve::EarlyStopping;
use naspred_models::{LgbPredictor, NgbPredictor, RfPredictor, XgbPredictor};
use naspred_spaces::EncodingKind;
use naspred_spaces::SpaceKind;

use crate::baselines::{ParamsBaseline, RandomBaseline};

/// What the registry knows about one key.
#[derive(Clone, Copy, Debug)]
pub struct PredictorInfo {
    /// NASLib key.
    pub key: &'static str,
    /// Family.
    pub family: Family,
    /// One line for `naspred predictors`.
    pub description: &'static str,
    /// Builds a fresh predictor for a space and dataset.
    pub build: fn(SpaceKind, Dataset) -> Box<dyn Predictor>,
}

/// Every registered predictor, in the order `naspred predictors` lists them.
pub const PREDICTORS: &[PredictorInfo] = &[
    PredictorInfo {
        key: "xgb",
        family: Family::ModelBased,
        description: "XGBoost on the adjacency one-hot encoding (NASLib defaults, 500 rounds)",
        build: |_, _| Box::new(XgbPredictor::default()),
    },
    PredictorInfo {
        key: "lgb",
        family: Family::ModelBased,
        description: "LightGBM on the adjacency one-hot encoding (GBDT-NAS defaults, 500 rounds)",
        build: |_, _| Box::new(LgbPredictor::new()),
    },
    PredictorInfo {
        key: "ngb",
        family: Family::ModelBased,
        description: "NGBoost (Normal, natural gradient, 505 stages) on the adjacency one-hot encoding; with std",
        build: |_, _| Box::new(NgbPredictor::new()),
    },
    PredictorInfo {
        key: "rf",
        family: Family::ModelBased,
        description: "random forest on the adjacency one-hot encoding (NB301 defaults, 116 trees); std over trees",
        build: |_, _| Box::new(RfPredictor::new()),
    },
    PredictorInfo {
        key: "xgb_path",
        family: Family::ModelBased,
        description: "xgb on the path encoding (ablation)",
        build: |_, _| {
            Box::new(
                XgbPredictor::new()
                    .with_encoding(EncodingKind::Path)
                    .with_key("xgb_path"),
            )
        },
    },
    PredictorInfo {
        key: "lgb_path",
        family: Family::ModelBased,
        description: "lgb on the path encoding (ablation)",
        build: |_, _| {
            Box::new(
                LgbPredictor::new()
                    .with_encoding(EncodingKind::Path)
                    .with_key("lgb_path"),
            )
        },
    },
    PredictorInfo {
        key: "ngb_path",
        family: Family::ModelBased,
        description: "ngb on the path encoding (ablation)",
        build: |_, _| {
            Box::new(
                NgbPredictor::new()
                    .with_encoding(EncodingKind::Path)
                    .with_key("ngb_path"),
            )
        },
    },
    PredictorInfo {
        key: "rf_path",
        family: Family::ModelBased,
        description: "rf on the path encoding (ablation)",
        build: |_, _| {
            Box::new(
                RfPredictor::new()
                    .with_encoding(EncodingKind::Path)
                    .with_key("rf_path"),
            )
        },
    },
    PredictorInfo {
        key: "valacc",
        family: Family::LearningCurve,
        description: "early stopping: validation accuracy after `fidelity` epochs",
        build: |_, _| Box::new(EarlyStopping::val_acc()),
    },
    PredictorInfo {
        key: "valloss",
        family: Family::LearningCurve,
        description: "early stopping: minus the validation loss after `fidelity` epochs",
        build: |_, _| Box::new(EarlyStopping::val_loss()),
    },
    PredictorInfo {
        key: "params",
        family: Family::Baseline,
        description: "parameter count of the architecture (benchmark-side baseline)",
        build: |_, _| Box::new(ParamsBaseline),
    },
    PredictorInfo {
        key: "random",
        family: Family::Baseline,
        description: "uniformly random scores (chance level)",
        build: |_, _| Box::new(RandomBaseline),
    },
];

/// The predictor registry; implements [`PredictorFactory`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Registry;

impl Registry {
    /// The registered predictors.
    pub fn all() -> &'static [PredictorInfo] {
        PREDICTORS
    }

    /// The entry of `key`.
    pub fn info(key: &str) -> Result<&'static PredictorInfo, PredictorError> {
        PREDICTORS
            .iter()
            .find(|p| p.key == key)
            .ok_or_else(|| PredictorError::UnknownKey {
                key: key.to_string(),
                known: PREDICTORS
                    .iter()
                    .map(|p| p.key)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl PredictorFactory for Registry {
    fn build(
        &self,
        key: &str,
        space: SpaceKind,
        dataset: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        Ok((Registry::info(key)?.build)(space, dataset))
    }

    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError> {
        Ok(self
            .build(key, SpaceKind::Nb201, Dataset::Cifar10)?
            .requirements())
    }
}
