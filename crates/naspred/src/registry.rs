//! The registry of predictors by NASLib key.

use naspred_data::Dataset;
use naspred_eval::{Family, Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_lcurve::{EarlyStopping, LcSvr, Lce, LceM, Sotl};
use naspred_models::XgbPredictor;
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
        key: "sotl",
        family: Family::LearningCurve,
        description: "minus the sum of the training losses of the first `fidelity` epochs",
        build: |_, _| Box::new(Sotl::sum()),
    },
    PredictorInfo {
        key: "sotle",
        family: Family::LearningCurve,
        description: "minus the training loss of epoch `fidelity`",
        build: |_, _| Box::new(Sotl::last_epoch()),
    },
    PredictorInfo {
        key: "sotlema",
        family: Family::LearningCurve,
        description: "minus the summed exponential moving average of the training losses",
        build: |_, _| Box::new(Sotl::ema()),
    },
    PredictorInfo {
        key: "lce",
        family: Family::LearningCurve,
        description: "ensemble of 4 parametric curves, ML fit + Metropolis-Hastings (faithful)",
        build: |_, _| Box::new(Lce::default()),
    },
    PredictorInfo {
        key: "lce_m",
        family: Family::LearningCurve,
        description: "Domhan et al. model combination, affine-invariant ensemble MCMC (faithful)",
        build: |_, _| Box::new(LceM::default()),
    },
    PredictorInfo {
        key: "lcsvr",
        family: Family::Hybrid,
        description: "nu-SVR (RBF) on partial val-accuracy curve statistics, 1000-draw 3-fold CV",
        build: |_, _| Box::new(LcSvr::default()),
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
