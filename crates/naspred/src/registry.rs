//! The registry of predictors by NASLib key.

use naspred_data::{CurveMetric, Dataset};
use naspred_eval::{Family, Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_lcurve::{EarlyStopping, LcSvr, Lce, LceM, Sotl};
use naspred_models::{
    BananasPredictor, BlrMode, BlrPredictor, BohamiannPredictor, BonasPredictor, DngoPredictor,
    GcnPredictor, GpPredictor, LgbPredictor, MlpPredictor, NgbPredictor, RfPredictor,
    SeminasPredictor, XgbPredictor,
};
use naspred_spaces::{EncodingKind, Quirks, SpaceKind};
use naspred_train::{WsMode, WsPredictor};
use naspred_zerocost::{Proxy, ZeroCostPredictor};

use crate::baselines::{ParamsBaseline, RandomBaseline};
use crate::omni::{OmniNgb, OmniSeminas};

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
        key: "mlp",
        family: Family::ModelBased,
        description: "MLP (20 x 20, ReLU, L1 loss, 500 epochs) on the adjacency one-hot encoding",
        build: |_, _| Box::new(MlpPredictor::default()),
    },
    PredictorInfo {
        key: "bananas",
        family: Family::ModelBased,
        description: "BANANAS: ensemble of 3 MLPs on the path encoding (spread as std)",
        build: |_, _| Box::new(BananasPredictor::default()),
    },
    PredictorInfo {
        key: "gcn",
        family: Family::ModelBased,
        description: "directed GCN (Wen et al.; 4 x 144, cosine schedule, 300 epochs)",
        build: |_, _| Box::new(GcnPredictor::default()),
    },
    PredictorInfo {
        key: "bonas",
        family: Family::ModelBased,
        description: "BONAS: GCN with a global node and batch norm (100 epochs)",
        build: |_, _| Box::new(BonasPredictor::default()),
    },
    PredictorInfo {
        key: "gcn_faithful",
        family: Family::ModelBased,
        description: "gcn as NASLib runs it: gradients never zeroed (accumulate over all steps)",
        build: |_, _| Box::new(GcnPredictor::new(Quirks::Faithful).with_key("gcn_faithful")),
    },
    PredictorInfo {
        key: "bonas_faithful",
        family: Family::ModelBased,
        description: "bonas as NASLib runs it: gradients never zeroed (accumulate over all steps)",
        build: |_, _| Box::new(BonasPredictor::new(Quirks::Faithful).with_key("bonas_faithful")),
    },
    PredictorInfo {
        key: "seminas",
        family: Family::ModelBased,
        description: "SemiNAS: NAO encoder-predictor-decoder with pseudo-labelled unlabeled archs",
        build: |_, _| Box::new(SeminasPredictor::seminas()),
    },
    PredictorInfo {
        key: "nao",
        family: Family::ModelBased,
        description: "NAO: LSTM encoder-predictor-decoder on the SemiNAS sequence (50 epochs)",
        build: |_, _| Box::new(SeminasPredictor::nao()),
    },
    PredictorInfo {
        key: "dngo",
        family: Family::ModelBased,
        description: "DNGO: MLP features + Bayesian linear regression with MCMC hyperparameters",
        build: |_, _| Box::new(DngoPredictor::default()),
    },
    PredictorInfo {
        key: "bohamiann",
        family: Family::ModelBased,
        description: "BOHAMIANN: Bayesian NN sampled with adaptive SGHMC",
        build: |_, _| Box::new(BohamiannPredictor::default()),
    },
    PredictorInfo {
        key: "gp",
        family: Family::ModelBased,
        description: "exact GP, RBF kernel, marginal-likelihood hyperparameters (fix of NASLib's prior draw)",
        build: |_, _| Box::new(GpPredictor::gp()),
    },
    PredictorInfo {
        key: "gp_faithful",
        family: Family::ModelBased,
        description: "exact GP as NASLib runs it: one LogNormal(0,1) prior draw of lengthscale and variance, noise 1",
        build: |_, _| Box::new(GpPredictor::gp_prior_draw().with_key("gp_faithful")),
    },
    PredictorInfo {
        key: "gp_pyro",
        family: Family::ModelBased,
        description: "exact GP as NASLib's current code trains it: MAP under LogNormal(0,1) priors, 200 Adam steps (lr 0.01) from a prior draw",
        build: |_, _| Box::new(GpPredictor::gp_pyro_map().with_key("gp_pyro")),
    },
    PredictorInfo {
        key: "gp_path",
        family: Family::ModelBased,
        description: "gp on the path encoding (ablation)",
        build: |_, _| {
            Box::new(
                GpPredictor::gp()
                    .with_encoding(EncodingKind::Path)
                    .with_key("gp_path"),
            )
        },
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
        key: "ngb_halved",
        family: Family::ModelBased,
        description: "ngb as an earlier NASLib revision: leaves min(n/2,15), splits min(n/2,20), minibatch 0.508 (better on NB101/DARTS, calibrated std)",
        build: |_, _| {
            Box::new(
                NgbPredictor::naslib_halved_leaves().with_key("ngb_halved"),
            )
        },
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
        key: "sparse_gp",
        family: Family::ModelBased,
        description: "VFE sparse GP, 10 inducing points, 200 Adam steps (NASLib defaults)",
        build: |_, _| Box::new(GpPredictor::sparse_gp()),
    },
    PredictorInfo {
        key: "var_sparse_gp",
        family: Family::ModelBased,
        description: "whitened variational sparse GP, 10 inducing points, 200 Adam steps (NASLib defaults)",
        build: |_, _| Box::new(GpPredictor::var_sparse_gp()),
    },
    PredictorInfo {
        key: "bayes_lin_reg",
        family: Family::ModelBased,
        description: "pybnn Bayesian linear regression, Nelder-Mead evidence maximisation (pybnn quirks kept)",
        build: |_, _| Box::new(BlrPredictor::new(BlrMode::Faithful)),
    },
    PredictorInfo {
        key: "bayes_lin_reg_fixed",
        family: Family::ModelBased,
        description: "Bayesian linear regression with proper evidence maximisation (pybnn quirks fixed)",
        build: |_, _| Box::new(BlrPredictor::new(BlrMode::Fixed).with_key("bayes_lin_reg_fixed")),
    },
    PredictorInfo {
        key: "bayes_lin_reg_path",
        family: Family::ModelBased,
        description: "bayes_lin_reg on the path encoding (ablation)",
        build: |_, _| {
            Box::new(
                BlrPredictor::new(BlrMode::Faithful)
                    .with_encoding(EncodingKind::Path)
                    .with_key("bayes_lin_reg_path"),
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
        description: "ensemble of 4 parametric curves, ML fit + Metropolis-Hastings (QUIRKs fixed: proper chain, failures counted, last value)",
        build: |_, _| Box::new(Lce::new(Quirks::Fixed)),
    },
    PredictorInfo {
        key: "lce_faithful",
        family: Family::LearningCurve,
        description: "lce as NASLib runs it: parameters perturbed in place, failure -> default guess + U(0,1)",
        build: |_, _| Box::new(Lce::new(Quirks::Faithful)),
    },
    PredictorInfo {
        key: "lce_fixed",
        family: Family::LearningCurve,
        description: "alias of lce (the fixed variant)",
        build: |_, _| Box::new(Lce::new(Quirks::Fixed).with_key("lce_fixed")),
    },
    PredictorInfo {
        key: "lce_m",
        family: Family::LearningCurve,
        description: "Domhan et al. model combination, affine-invariant ensemble MCMC (failures counted, last value)",
        build: |_, _| Box::new(LceM::new(Quirks::Fixed)),
    },
    PredictorInfo {
        key: "lce_m_faithful",
        family: Family::LearningCurve,
        description: "lce_m as NASLib runs it: failure -> default guess + U(0,1)",
        build: |_, _| Box::new(LceM::new(Quirks::Faithful)),
    },
    PredictorInfo {
        key: "lcsvr",
        family: Family::Hybrid,
        description: "nu-SVR (RBF) on partial val-accuracy curve statistics, 1000-draw 3-fold CV",
        build: |_, _| Box::new(LcSvr::default()),
    },
    PredictorInfo {
        key: "omni_ngb",
        family: Family::Hybrid,
        description: "OMNI: NGBoost on jacov + SoTL-E + adjacency one-hot, 35-config 3-fold CV (features that exist; test SoTL-E scaled by train statistics)",
        build: |_, _| Box::new(OmniNgb::new()),
    },
    PredictorInfo {
        key: "omni_ngb_faithful",
        family: Family::Hybrid,
        description: "omni_ngb as NASLib runs it: the test set's SoTL-E z-scored with the test set's own statistics",
        build: |_, _| Box::new(OmniNgb::new().with_key("omni_ngb_faithful").with_lc_scaling(Quirks::Faithful)),
    },
    PredictorInfo {
        key: "omni_ngb_valacc",
        family: Family::Hybrid,
        description: "omni_ngb plus the val accuracy at the fidelity (NASLib's lce=['sotle','valacc'])",
        build: |_, _| {
            Box::new(
                OmniNgb::new()
                    .with_key("omni_ngb_valacc")
                    .with_curve_features(&[CurveMetric::TrainLoss, CurveMetric::ValAcc]),
            )
        },
    },
    PredictorInfo {
        key: "omni_seminas",
        family: Family::Hybrid,
        description: "OMNI: SemiNAS with binned jacov and SoTL-E tokens (features that exist)",
        build: |_, _| Box::new(OmniSeminas::new()),
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
    PredictorInfo {
        key: "oneshot",
        family: Family::WeightSharing,
        description: "one-shot NB201 supernet (all ops, alpha = 1) trained on CIFAR-10; one-hot val acc",
        build: |_, _| Box::new(WsPredictor::new("oneshot", WsMode::OneShot)),
    },
    PredictorInfo {
        key: "rsws",
        family: Family::WeightSharing,
        description: "random-sampling weight sharing NB201 supernet (one random path per step)",
        build: |_, _| Box::new(WsPredictor::new("rsws", WsMode::RandomSampling)),
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
