//! The registry of predictors by NASLib key.

use naspred_data::Dataset;
use naspred_eval::{Family, Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_lcurve::EarlyStopping;
use naspred_models::XgbPredictor;
use naspred_spaces::SpaceKind;
use naspred_zerocost::{Proxy, ZeroCostPredictor};

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
    PredictorInfo {
        key: "jacov",
        family: Family::ZeroCost,
        description: "zero-cost: Jacobian covariance of the untrained network (jacov)",
        build: |_, _| Box::new(ZeroCostPredictor::new("jacov", Proxy::Jacov)),
    },
    PredictorInfo {
        key: "snip",
        family: Family::ZeroCost,
        description: "zero-cost: SNIP saliency, sum |W * dL/dW|",
        build: |_, _| Box::new(ZeroCostPredictor::new("snip", Proxy::Snip)),
    },
    PredictorInfo {
        key: "grad_norm",
        family: Family::ZeroCost,
        description: "zero-cost: sum of per-layer gradient L2 norms",
        build: |_, _| Box::new(ZeroCostPredictor::new("grad_norm", Proxy::GradNorm)),
    },
    PredictorInfo {
        key: "grasp",
        family: Family::ZeroCost,
        description: "zero-cost: GraSP, sum -W * (H g)",
        build: |_, _| Box::new(ZeroCostPredictor::new("grasp", Proxy::Grasp)),
    },
    PredictorInfo {
        key: "fisher",
        family: Family::ZeroCost,
        description: "zero-cost: Fisher information of the channels",
        build: |_, _| Box::new(ZeroCostPredictor::new("fisher", Proxy::Fisher)),
    },
    PredictorInfo {
        key: "synflow",
        family: Family::ZeroCost,
        description: "zero-cost: synaptic flow (float64, BN off, |W|, all-ones input)",
        build: |_, _| Box::new(ZeroCostPredictor::new("synflow", Proxy::Synflow)),
    },
    PredictorInfo {
        key: "nwot",
        family: Family::ZeroCost,
        description: "zero-cost: NASWOT, log|det K| of ReLU activation patterns",
        build: |_, _| Box::new(ZeroCostPredictor::new("nwot", Proxy::Nwot)),
    },
    PredictorInfo {
        key: "epe_nas",
        family: Family::ZeroCost,
        description: "zero-cost: EPE-NAS per-class Jacobian correlations",
        build: |_, _| Box::new(ZeroCostPredictor::new("epe_nas", Proxy::EpeNas)),
    },
    PredictorInfo {
        key: "zen",
        family: Family::ZeroCost,
        description: "zero-cost: Zen-score of the Gaussian-initialised network",
        build: |_, _| Box::new(ZeroCostPredictor::new("zen", Proxy::Zen)),
    },
    PredictorInfo {
        key: "l2_norm",
        family: Family::ZeroCost,
        description: "zero-cost: sum of per-layer weight L2 norms",
        build: |_, _| Box::new(ZeroCostPredictor::new("l2_norm", Proxy::L2Norm)),
    },
    PredictorInfo {
        key: "plain",
        family: Family::ZeroCost,
        description: "zero-cost: sum W * dL/dW",
        build: |_, _| Box::new(ZeroCostPredictor::new("plain", Proxy::Plain)),
    },
    PredictorInfo {
        key: "flops",
        family: Family::ZeroCost,
        description: "zero-cost: MFLOPs of the network (tensorwatch's count)",
        build: |_, _| Box::new(ZeroCostPredictor::new("flops", Proxy::Flops)),
    },
    PredictorInfo {
        key: "zc_params",
        family: Family::ZeroCost,
        description: "zero-cost: M parameters of the network built (NASLib's `params` proxy)",
        build: |_, _| Box::new(ZeroCostPredictor::new("zc_params", Proxy::Params)),
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
