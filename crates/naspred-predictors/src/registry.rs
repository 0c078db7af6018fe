//! The registry of predictors by NASLib key.
//!
//! Every predictor is one [`entry`] line: its key, a one-line description, its
//! [`Requirements`] (known without building it; the family comes from them) and how to build
//! it from a [`BuildContext`] (the key, space, dataset and the registry's
//! [`RegistrySettings`]). The list is built once, in the order `naspred predictors` shows it.

use std::sync::OnceLock;

use naspred_data::{CurveMetric, DataRoot, Dataset};
use naspred_eval::{Family, Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_lcurve::{EarlyStopping, LcSvr, Lce, LceM, Sotl};
#[cfg(feature = "lightgbm")]
use naspred_models::LgbPredictor;
#[cfg(feature = "xgboost")]
use naspred_models::XgbPredictor;
#[cfg(feature = "torch")]
use naspred_models::{
    BananasPredictor, BohamiannPredictor, BonasPredictor, DngoPredictor, GcnPredictor,
    MlpPredictor, SeminasPredictor,
};
use naspred_models::{BlrMode, BlrPredictor, GpPredictor, NgbPredictor, RfPredictor};
use naspred_spaces::{EncodingKind, Quirks, SpaceKind};
#[cfg(feature = "torch")]
use naspred_train::{WsMode, WsPredictor};
#[cfg(feature = "torch")]
use naspred_zerocost::{Proxy, ZeroCostPredictor, ZeroCostSettings};

use crate::baselines::{ParamsBaseline, RandomBaseline};
#[cfg(feature = "torch")]
use crate::omni::{omni_requirements, OmniNgb, OmniSeminas};

/// What the registry hands every predictor it builds (plain data; nothing is read from the
/// environment: a program decides, e.g. the `naspred` CLI from its flags and `NASPRED_*`
/// variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrySettings {
    /// Settings of the zero-cost predictors and of OMNI's jacov feature (feature `torch`).
    #[cfg(feature = "torch")]
    pub zero_cost: ZeroCostSettings,
    /// The data root: images of the zero-cost proxies (without
    /// [`ZeroCostSettings::images`]) and of the weight-sharing supernets.
    pub data_root: DataRoot,
}

impl Default for RegistrySettings {
    /// Default zero-cost settings and the repository's `data/` ([`DataRoot::workspace`]).
    fn default() -> Self {
        RegistrySettings {
            #[cfg(feature = "torch")]
            zero_cost: ZeroCostSettings::default(),
            data_root: DataRoot::workspace(),
        }
    }
}

/// What an entry's build function receives.
#[derive(Clone, Copy, Debug)]
pub struct BuildContext<'a> {
    /// The entry's key (the built predictor reports it as its [`Predictor::key`]).
    pub key: &'static str,
    /// The search space the predictor is built for.
    pub space: SpaceKind,
    /// The dataset the predictor is built for.
    pub dataset: Dataset,
    /// The registry's settings.
    pub settings: &'a RegistrySettings,
}

#[cfg(feature = "torch")]
impl BuildContext<'_> {
    /// The zero-cost predictor of `proxy` under this key, with the registry's settings.
    pub fn zero_cost(&self, proxy: Proxy) -> ZeroCostPredictor {
        ZeroCostPredictor::new(self.key, proxy)
            .with_settings(self.settings.zero_cost.clone())
            .with_data_root(self.settings.data_root.clone())
    }

    /// The weight-sharing predictor of `mode` under this key, reading the registry's data root.
    pub fn weight_sharing(&self, mode: WsMode) -> WsPredictor {
        WsPredictor::new(self.key, mode).with_data_root(self.settings.data_root.clone())
    }

    /// OMNI-NGB under this key, its jacov computed with the registry's zero-cost settings.
    pub fn omni_ngb(&self) -> OmniNgb {
        OmniNgb::new().with_key(self.key).with_zero_cost(
            self.settings.zero_cost.clone(),
            self.settings.data_root.clone(),
        )
    }

    /// OMNI-SemiNAS, its jacov computed with the registry's zero-cost settings.
    pub fn omni_seminas(&self) -> OmniSeminas {
        OmniSeminas::new().with_zero_cost(
            self.settings.zero_cost.clone(),
            self.settings.data_root.clone(),
        )
    }
}

/// How an entry builds a fresh predictor.
pub type BuildFn = fn(&BuildContext<'_>) -> Box<dyn Predictor>;

/// What the registry knows about one key.
#[derive(Clone, Copy, Debug)]
pub struct PredictorInfo {
    /// NASLib key.
    pub key: &'static str,
    /// One line for `naspred predictors`.
    pub description: &'static str,
    /// The requirements of the predictor (equal to what the built predictor reports).
    pub requirements: fn() -> Requirements,
    /// Builds a fresh predictor.
    pub build: BuildFn,
}

impl PredictorInfo {
    /// The family (from the requirements).
    pub fn family(&self) -> Family {
        (self.requirements)().family
    }
}

/// One registry entry: the key is written here only; the build function reads it as `c.key`.
pub fn entry(
    key: &'static str,
    description: &'static str,
    requirements: fn() -> Requirements,
    build: BuildFn,
) -> PredictorInfo {
    PredictorInfo {
        key,
        description,
        requirements,
        build,
    }
}

#[cfg(feature = "torch")]
/// Model-based with the evaluator's cross-validated hyperparameter search.
fn tuned() -> Requirements {
    Requirements {
        hpo: true,
        ..Requirements::model_based()
    }
}

#[cfg(feature = "torch")]
/// Model-based with one unlabeled architecture per training architecture (SemiNAS).
fn semi_supervised() -> Requirements {
    Requirements {
        unlabeled_factor: 1,
        ..Requirements::model_based()
    }
}

/// Learning-curve predictors on the training loss.
fn train_loss_curve() -> Requirements {
    Requirements::learning_curve(CurveMetric::TrainLoss)
}

/// Learning-curve predictors on the validation accuracy.
fn val_acc_curve() -> Requirements {
    Requirements::learning_curve(CurveMetric::ValAcc)
}

/// LcSVR: trained on the validation-accuracy curves.
fn curve_svr() -> Requirements {
    Requirements {
        family: Family::Hybrid,
        curves: vec![CurveMetric::ValAcc],
        ..Requirements::model_based()
    }
}

#[cfg(feature = "torch")]
/// OMNI-NGB with SoTL-E.
fn omni_ngb() -> Requirements {
    omni_requirements(&[CurveMetric::TrainLoss], 0)
}

#[cfg(feature = "torch")]
/// OMNI-NGB with SoTL-E and the validation accuracy.
fn omni_ngb_valacc() -> Requirements {
    omni_requirements(&[CurveMetric::TrainLoss, CurveMetric::ValAcc], 0)
}

#[cfg(feature = "torch")]
/// OMNI-SemiNAS (SoTL-E, one unlabeled architecture per training architecture).
fn omni_seminas() -> Requirements {
    omni_requirements(&[CurveMetric::TrainLoss], 1)
}

/// Every registered predictor, in the order `naspred predictors` lists them.
pub fn predictors() -> &'static [PredictorInfo] {
    static LIST: OnceLock<Vec<PredictorInfo>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut v = Vec::new();
        model_based(&mut v);
        learning_curve(&mut v);
        hybrid(&mut v);
        baselines(&mut v);
        #[cfg(feature = "torch")]
        zero_cost(&mut v);
        #[cfg(feature = "torch")]
        weight_sharing(&mut v);
        v
    })
}

/// The model-based predictors.
#[rustfmt::skip]
fn model_based(v: &mut Vec<PredictorInfo>) {
    #[cfg(feature = "xgboost")]
    v.push(entry("xgb", "XGBoost on the adjacency one-hot encoding (NASLib defaults, 500 rounds)", Requirements::model_based, |_| Box::new(XgbPredictor::default())));
    #[cfg(feature = "torch")]
    v.push(entry("mlp", "MLP (20 x 20, ReLU, L1 loss, 500 epochs) on the adjacency one-hot encoding", tuned, |_| Box::new(MlpPredictor::default())));
    #[cfg(feature = "torch")]
    v.push(entry("bananas", "BANANAS: ensemble of 3 MLPs on the path encoding (spread as std)", tuned, |_| Box::new(BananasPredictor::default())));
    #[cfg(feature = "torch")]
    v.push(entry("gcn", "directed GCN (Wen et al.; 4 x 144, cosine schedule, 300 epochs)", tuned, |_| Box::new(GcnPredictor::default())));
    #[cfg(feature = "torch")]
    v.push(entry("bonas", "BONAS: GCN with a global node and batch norm (100 epochs)", tuned, |_| Box::new(BonasPredictor::default())));
    #[cfg(feature = "torch")]
    v.push(entry("gcn_faithful", "gcn as NASLib runs it: gradients never zeroed (accumulate over all steps)", tuned, |c| Box::new(GcnPredictor::new(Quirks::Faithful).with_key(c.key))));
    #[cfg(feature = "torch")]
    v.push(entry("bonas_faithful", "bonas as NASLib runs it: gradients never zeroed (accumulate over all steps)", tuned, |c| Box::new(BonasPredictor::new(Quirks::Faithful).with_key(c.key))));
    #[cfg(feature = "torch")]
    v.push(entry("seminas", "SemiNAS: NAO encoder-predictor-decoder with pseudo-labelled unlabeled archs", semi_supervised, |_| Box::new(SeminasPredictor::seminas())));
    #[cfg(feature = "torch")]
    v.push(entry("nao", "NAO: LSTM encoder-predictor-decoder on the SemiNAS sequence (50 epochs)", Requirements::model_based, |_| Box::new(SeminasPredictor::nao())));
    #[cfg(feature = "torch")]
    v.push(entry("dngo", "DNGO: MLP features + Bayesian linear regression with MCMC hyperparameters", Requirements::model_based, |_| Box::new(DngoPredictor::default())));
    #[cfg(feature = "torch")]
    v.push(entry("bohamiann", "BOHAMIANN: Bayesian NN sampled with adaptive SGHMC", Requirements::model_based, |_| Box::new(BohamiannPredictor::default())));
    v.push(entry("gp", "exact GP, RBF kernel, marginal-likelihood hyperparameters (fix of NASLib's prior draw)", Requirements::model_based, |_| Box::new(GpPredictor::gp())));
    v.push(entry("gp_faithful", "exact GP as NASLib runs it: one LogNormal(0,1) prior draw of lengthscale and variance, noise 1", Requirements::model_based, |c| Box::new(GpPredictor::gp_prior_draw().with_key(c.key))));
    v.push(entry("gp_pyro", "exact GP as NASLib's current code trains it: MAP under LogNormal(0,1) priors, 200 Adam steps (lr 0.01) from a prior draw", Requirements::model_based, |c| Box::new(GpPredictor::gp_pyro_map().with_key(c.key))));
    v.push(entry("gp_path", "gp on the path encoding (ablation)", Requirements::model_based, |c| Box::new(GpPredictor::gp().with_encoding(EncodingKind::Path).with_key(c.key))));
    #[cfg(feature = "lightgbm")]
    v.push(entry("lgb", "LightGBM on the adjacency one-hot encoding (GBDT-NAS defaults, 500 rounds)", Requirements::model_based, |_| Box::new(LgbPredictor::new())));
    v.push(entry("ngb", "NGBoost (Normal, natural gradient, 505 stages) on the adjacency one-hot encoding; with std", Requirements::model_based, |_| Box::new(NgbPredictor::new())));
    v.push(entry("ngb_halved", "ngb as an earlier NASLib revision: leaves min(n/2,15), splits min(n/2,20), minibatch 0.508 (better on NB101/DARTS, calibrated std)", Requirements::model_based, |c| Box::new(NgbPredictor::naslib_halved_leaves().with_key(c.key))));
    v.push(entry("rf", "random forest on the adjacency one-hot encoding (NB301 defaults, 116 trees); std over trees", Requirements::model_based, |_| Box::new(RfPredictor::new())));
    #[cfg(feature = "xgboost")]
    v.push(entry("xgb_path", "xgb on the path encoding (ablation)", Requirements::model_based, |c| Box::new(XgbPredictor::new().with_encoding(EncodingKind::Path).with_key(c.key))));
    v.push(entry("sparse_gp", "VFE sparse GP, 10 inducing points, 200 Adam steps (NASLib defaults)", Requirements::model_based, |_| Box::new(GpPredictor::sparse_gp())));
    v.push(entry("var_sparse_gp", "whitened variational sparse GP, 10 inducing points, 200 Adam steps (NASLib defaults)", Requirements::model_based, |_| Box::new(GpPredictor::var_sparse_gp())));
    v.push(entry("bayes_lin_reg", "pybnn Bayesian linear regression, Nelder-Mead evidence maximisation (pybnn quirks kept)", Requirements::model_based, |_| Box::new(BlrPredictor::new(BlrMode::Faithful))));
    v.push(entry("bayes_lin_reg_fixed", "Bayesian linear regression with proper evidence maximisation (pybnn quirks fixed)", Requirements::model_based, |c| Box::new(BlrPredictor::new(BlrMode::Fixed).with_key(c.key))));
    v.push(entry("bayes_lin_reg_path", "bayes_lin_reg on the path encoding (ablation)", Requirements::model_based, |c| Box::new(BlrPredictor::new(BlrMode::Faithful).with_encoding(EncodingKind::Path).with_key(c.key))));
    #[cfg(feature = "lightgbm")]
    v.push(entry("lgb_path", "lgb on the path encoding (ablation)", Requirements::model_based, |c| Box::new(LgbPredictor::new().with_encoding(EncodingKind::Path).with_key(c.key))));
    v.push(entry("ngb_path", "ngb on the path encoding (ablation)", Requirements::model_based, |c| Box::new(NgbPredictor::new().with_encoding(EncodingKind::Path).with_key(c.key))));
    v.push(entry("rf_path", "rf on the path encoding (ablation)", Requirements::model_based, |c| Box::new(RfPredictor::new().with_encoding(EncodingKind::Path).with_key(c.key))));
}

/// The learning-curve predictors.
#[rustfmt::skip]
fn learning_curve(v: &mut Vec<PredictorInfo>) {
    v.push(entry("valacc", "early stopping: validation accuracy after `fidelity` epochs", || Requirements::learning_curve(CurveMetric::ValAcc), |_| Box::new(EarlyStopping::val_acc())));
    v.push(entry("valloss", "early stopping: minus the validation loss after `fidelity` epochs", || Requirements::learning_curve(CurveMetric::ValLoss), |_| Box::new(EarlyStopping::val_loss())));
    v.push(entry("sotl", "minus the sum of the training losses of the first `fidelity` epochs", train_loss_curve, |_| Box::new(Sotl::sum())));
    v.push(entry("sotle", "minus the training loss of epoch `fidelity`", train_loss_curve, |_| Box::new(Sotl::last_epoch())));
    v.push(entry("sotlema", "minus the summed exponential moving average of the training losses", train_loss_curve, |_| Box::new(Sotl::ema())));
    v.push(entry("lce", "ensemble of 4 parametric curves, ML fit + Metropolis-Hastings (QUIRKs fixed: proper chain, failures counted, last value)", val_acc_curve, |_| Box::new(Lce::new(Quirks::Fixed))));
    v.push(entry("lce_faithful", "lce as NASLib runs it: parameters perturbed in place, failure -> default guess + U(0,1)", val_acc_curve, |_| Box::new(Lce::new(Quirks::Faithful))));
    v.push(entry("lce_fixed", "alias of lce (the fixed variant)", val_acc_curve, |c| Box::new(Lce::new(Quirks::Fixed).with_key(c.key))));
    v.push(entry("lce_m", "Domhan et al. model combination, affine-invariant ensemble MCMC (failures counted, last value)", val_acc_curve, |_| Box::new(LceM::new(Quirks::Fixed))));
    v.push(entry("lce_m_faithful", "lce_m as NASLib runs it: failure -> default guess + U(0,1)", val_acc_curve, |_| Box::new(LceM::new(Quirks::Faithful))));
}

/// The hybrid predictors.
#[rustfmt::skip]
fn hybrid(v: &mut Vec<PredictorInfo>) {
    v.push(entry("lcsvr", "nu-SVR (RBF) on partial val-accuracy curve statistics, 1000-draw 3-fold CV", curve_svr, |_| Box::new(LcSvr::default())));
    #[cfg(feature = "torch")]
    v.push(entry("omni_ngb", "OMNI: NGBoost on jacov + SoTL-E + adjacency one-hot, 35-config 3-fold CV (features that exist; test SoTL-E scaled by train statistics)", omni_ngb, |c| Box::new(c.omni_ngb())));
    #[cfg(feature = "torch")]
    v.push(entry("omni_ngb_faithful", "omni_ngb as NASLib runs it: the test set's SoTL-E z-scored with the test set's own statistics", omni_ngb, |c| Box::new(c.omni_ngb().with_lc_scaling(Quirks::Faithful))));
    #[cfg(feature = "torch")]
    v.push(entry("omni_ngb_valacc", "omni_ngb plus the val accuracy at the fidelity (NASLib's lce=['sotle','valacc'])", omni_ngb_valacc, |c| Box::new(c.omni_ngb().with_curve_features(&[CurveMetric::TrainLoss, CurveMetric::ValAcc]))));
    #[cfg(feature = "torch")]
    v.push(entry("omni_seminas", "OMNI: SemiNAS with binned jacov and SoTL-E tokens (features that exist)", omni_seminas, |c| Box::new(c.omni_seminas())));
}

/// The baseline predictors.
#[rustfmt::skip]
fn baselines(v: &mut Vec<PredictorInfo>) {
    v.push(entry("params", "parameter count of the architecture (benchmark-side baseline)", || Requirements::baseline(true), |_| Box::new(ParamsBaseline)));
    v.push(entry("random", "uniformly random scores (chance level)", || Requirements::baseline(false), |_| Box::new(RandomBaseline)));
}

#[cfg(feature = "torch")]
/// The zero-cost predictors.
#[rustfmt::skip]
fn zero_cost(v: &mut Vec<PredictorInfo>) {
    #[cfg(feature = "torch")]
    v.push(entry("jacov", "zero-cost: Jacobian covariance of the untrained network (jacov)", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Jacov))));
    #[cfg(feature = "torch")]
    v.push(entry("jacov_faithful", "zero-cost: jacov as NASLib's ZeroCost publishes it (no NB101 negation)", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::JacovFaithful))));
    #[cfg(feature = "torch")]
    v.push(entry("snip", "zero-cost: SNIP saliency, sum |W * dL/dW|", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Snip))));
    #[cfg(feature = "torch")]
    v.push(entry("grad_norm", "zero-cost: sum of per-layer gradient L2 norms", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::GradNorm))));
    #[cfg(feature = "torch")]
    v.push(entry("grasp", "zero-cost: GraSP, sum -W * (H g)", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Grasp))));
    #[cfg(feature = "torch")]
    v.push(entry("fisher", "zero-cost: Fisher information of the channels", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Fisher))));
    #[cfg(feature = "torch")]
    v.push(entry("synflow", "zero-cost: synaptic flow (float64, BN off, |W|, all-ones input)", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Synflow))));
    #[cfg(feature = "torch")]
    v.push(entry("nwot", "zero-cost: NASWOT, log|det K| of ReLU activation patterns", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Nwot))));
    #[cfg(feature = "torch")]
    v.push(entry("epe_nas", "zero-cost: EPE-NAS per-class Jacobian correlations", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::EpeNas))));
    #[cfg(feature = "torch")]
    v.push(entry("zen", "zero-cost: Zen-score of the Gaussian-initialised network", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Zen))));
    #[cfg(feature = "torch")]
    v.push(entry("l2_norm", "zero-cost: sum of per-layer weight L2 norms", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::L2Norm))));
    #[cfg(feature = "torch")]
    v.push(entry("plain", "zero-cost: sum W * dL/dW", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Plain))));
    #[cfg(feature = "torch")]
    v.push(entry("flops", "zero-cost: MFLOPs of the network (tensorwatch's count)", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Flops))));
    #[cfg(feature = "torch")]
    v.push(entry("zc_params", "zero-cost: M parameters of the network built (NASLib's `params` proxy)", Requirements::zero_cost, |c| Box::new(c.zero_cost(Proxy::Params))));
}

#[cfg(feature = "torch")]
/// The weight-sharing predictors.
#[rustfmt::skip]
fn weight_sharing(v: &mut Vec<PredictorInfo>) {
    #[cfg(feature = "torch")]
    v.push(entry("oneshot", "one-shot NB201 supernet (all ops, alpha = 1) trained on CIFAR-10; one-hot val acc", Requirements::weight_sharing, |c| Box::new(c.weight_sharing(WsMode::OneShot))));
    #[cfg(feature = "torch")]
    v.push(entry("rsws", "random-sampling weight sharing NB201 supernet (one random path per step)", Requirements::weight_sharing, |c| Box::new(c.weight_sharing(WsMode::RandomSampling))));
}

/// The predictor registry: builds every predictor by key with its [`RegistrySettings`];
/// implements [`PredictorFactory`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    settings: RegistrySettings,
}

impl Registry {
    /// A registry building predictors with `settings`.
    pub fn new(settings: RegistrySettings) -> Self {
        Registry { settings }
    }

    /// The settings handed to every predictor.
    pub fn settings(&self) -> &RegistrySettings {
        &self.settings
    }

    /// The registered predictors.
    pub fn all() -> &'static [PredictorInfo] {
        predictors()
    }

    /// The zero-cost proxy a key scores with (`zc_params` is [`Proxy::Params`]); `None` for
    /// every other predictor, the `params` baseline included (feature `torch`).
    #[cfg(feature = "torch")]
    pub fn zero_cost_proxy(key: &str) -> Option<Proxy> {
        match key {
            "zc_params" => Some(Proxy::Params),
            "params" => None,
            k => {
                let zero_cost = Registry::info(k).is_ok_and(|i| i.family() == Family::ZeroCost);
                k.parse().ok().filter(|_| zero_cost)
            }
        }
    }

    /// This registry for one evaluation of `keys`: its zero-cost predictors compute each
    /// other's proxies in one shared pass per architecture
    /// ([`ZeroCostSettings::companions`]), so that each network is built and run once for
    /// all of them. The scores are those of computing each alone; each predictor is charged
    /// its own share of the pass. Without the feature `torch` there are no zero-cost
    /// predictors, and this is the registry itself.
    pub fn for_predictors<S: AsRef<str>>(&self, keys: &[S]) -> Registry {
        #[cfg(feature = "torch")]
        {
            let mut out = self.clone();
            out.settings.zero_cost.companions = companions_of(keys);
            out
        }
        #[cfg(not(feature = "torch"))]
        {
            let _ = keys;
            self.clone()
        }
    }

    /// The entry of `key`; an unknown key is a [`PredictorError::UnknownKey`] listing the
    /// known keys.
    pub fn info(key: &str) -> Result<&'static PredictorInfo, PredictorError> {
        let all = predictors();
        all.iter()
            .find(|p| p.key == key)
            .ok_or_else(|| PredictorError::UnknownKey {
                key: key.to_string(),
                known: all.iter().map(|p| p.key).collect::<Vec<_>>().join(", "),
            })
    }
}

/// The distinct zero-cost proxies of `keys`, in order; none when fewer than two (one zero-cost
/// predictor has nothing to share).
#[cfg(feature = "torch")]
fn companions_of<S: AsRef<str>>(keys: &[S]) -> Vec<Proxy> {
    let mut out: Vec<Proxy> = Vec::new();
    for p in keys
        .iter()
        .filter_map(|k| Registry::zero_cost_proxy(k.as_ref()))
    {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.len() < 2 {
        out.clear();
    }
    out
}

impl PredictorFactory for Registry {
    fn build(
        &self,
        key: &str,
        space: SpaceKind,
        dataset: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        let info = Registry::info(key)?;
        Ok((info.build)(&BuildContext {
            key: info.key,
            space,
            dataset,
            settings: &self.settings,
        }))
    }

    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError> {
        Ok((Registry::info(key)?.requirements)())
    }
}
