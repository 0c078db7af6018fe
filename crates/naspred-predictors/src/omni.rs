//! OMNI: the study's "omnipredictor" (White et al. 2021, "How powerful are performance
//! predictors in NAS?"; spec §3), which combines predictor families: a model-based predictor
//! fed with a zero-cost score and a learning-curve feature.
//!
//! * [`OmniNgb`] (`omni_ngb`, NASLib `OmniNGBPredictor`): NGBoost on `[jacov, SoTL-E,
//!   adjacency one-hot]`, jacov and SoTL-E z-scored with the training set's statistics (NASLib
//!   z-scores a test set's SoTL-E with the test set's own: `omni_ngb_faithful`; `omni_ngb_valacc`
//!   adds the validation accuracy at the fidelity, NASLib's `lce=['sotle', 'valacc']`); per
//!   fit, 35 random NGBoost configurations are scored by unshuffled 3-fold cross-validation on
//!   the held-out mean negative log-likelihood (NGBoost's own `score`, as
//!   `sklearn.cross_val_score` calls it) and the lowest wins; the final model is fitted on all
//!   training architectures.
//! * [`OmniSeminas`] (`omni_seminas`, NASLib `OmniSemiNASPredictor`): SemiNAS with the jacov
//!   score and SoTL-E appended to the token sequence as one-hot bins (feature `g`'s bit `b` is
//!   extra symbol `2g + b`). The jacov bin thresholds are quantiles of the training set's own
//!   scores (NASLib's table belongs to its batch and network), as many as NASLib uses for the
//!   train size (1, 2, 3, 5 or 9); the SoTL-E thresholds are NASLib's `get_lce_bins` on the
//!   training set. The semi-supervised phase runs only without SoTL-E, as in NASLib.
//! * [`OmniFeatures`]: which features a fit used, also reported as hyperparameters
//!   `feature_jacov` / `feature_sotle` (1 or 0) in every result record.
//!
//! Features that do not exist are left out, never faked: jacov needs a network and training
//! images ([`jacov_supported`]: NB201, NB101 and DARTS on CIFAR-10; not NAS-Bench-NLP, whose
//! cells are not built as networks, nor datasets without images on disk); SoTL-E needs a
//! partial training-loss curve of at least 3 epochs (NAS-Bench-NLP here; NB201's 200-epoch data
//! and NB101 have no per-epoch training loss, and the evaluation plan then drops the curve
//! because OMNI declares it optional). `naspred search` runs OMNI without curves, as NASLib's
//! NAS experiments do.
//!
//! Jacov scores come from [`ZeroCostPredictor`], i.e. from the same on-disk score cache and
//! [`ZeroCostSettings`] as the `jacov` predictor (the registry hands both the same settings:
//! [`OmniNgb::with_zero_cost`]), so a sweep computes each architecture's score once.

use naspred_data::{CurveMetric, DataRoot, Dataset};
use naspred_eval::hpo::{loguniform_range, TunableParams};
use naspred_eval::stats::{kfold, mean_gaussian_nll};
use naspred_eval::{
    ArchInput, Context, Family, Hyperparams, Prediction, Predictor, PredictorError, PredictorRng,
    Requirements,
};
use naspred_models::neural::ExtraTokens;
use naspred_models::{
    encode_inputs, FeatureError, FeatureMatrix, LeafRule, NgbParams, NgbRegressor,
    SeminasPredictor, TabularModel, TabularParams, TargetScaling,
};
use naspred_spaces::{EncodingKind, Quirks, SpaceKind};
use naspred_zerocost::{Proxy, ZeroCostPredictor, ZeroCostSettings};
use rand::{Rng, RngCore};

/// Random NGBoost configurations OMNI-NGB scores per fit (NASLib's `n_hypers`).
pub const N_HYPERS: usize = 35;
/// Cross-validation folds of OMNI-NGB's search.
pub const CV_FOLDS: usize = 3;
/// Fewest epochs of training loss for the SoTL-E feature (NASLib's `min_fidelity`).
pub const MIN_SOTLE_EPOCHS: usize = 3;

/// Whether the jacov score can be computed for a space and dataset here: a network exists
/// (not NAS-Bench-NLP) and training images exist (CIFAR-10 only on these machines).
pub fn jacov_supported(space: SpaceKind, dataset: Dataset) -> bool {
    space != SpaceKind::Nlp && dataset == Dataset::Cifar10
}

/// Which features an OMNI fit used besides the architecture encoding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OmniFeatures {
    /// The jacov zero-cost score.
    pub jacov: bool,
    /// SoTL-E (training loss at the fidelity).
    pub sotle: bool,
    /// Validation accuracy at the fidelity (NASLib's `valacc` LC feature; off in `omni_ngb`).
    pub valacc: bool,
}

impl OmniFeatures {
    fn record(&self, hp: &mut Hyperparams) {
        hp.insert("feature_jacov".into(), f64::from(u8::from(self.jacov)));
        hp.insert("feature_sotle".into(), f64::from(u8::from(self.sotle)));
        if self.valacc {
            hp.insert("feature_valacc".into(), 1.0);
        }
    }
}

/// Jacov scores through the zero-cost predictor (and so the shared score cache).
struct JacovSource {
    enabled: bool,
    zc: ZeroCostPredictor,
}

impl JacovSource {
    fn new(enabled: bool) -> Self {
        JacovSource {
            enabled,
            zc: ZeroCostPredictor::new("jacov", Proxy::Jacov),
        }
    }

    fn set(&mut self, settings: ZeroCostSettings, data_root: DataRoot) {
        self.zc = ZeroCostPredictor::new("jacov", Proxy::Jacov)
            .with_settings(settings)
            .with_data_root(data_root);
    }

    fn available(&self, ctx: &Context<'_>) -> bool {
        self.enabled && jacov_supported(ctx.space, ctx.dataset)
    }

    /// Scores of `archs`, or an error naming `key`.
    fn scores(
        &mut self,
        key: &str,
        archs: &[ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        if archs.is_empty() {
            return Ok(Vec::new());
        }
        self.zc
            .query(archs, ctx)
            .map_err(|e| PredictorError::fit(key, e))
    }
}

/// The training-loss values at the fidelity (last epoch of each partial curve), when every
/// architecture has a curve of at least [`MIN_SOTLE_EPOCHS`] epochs.
fn sotle_values(archs: &[ArchInput]) -> Option<Vec<f64>> {
    last_values(archs, CurveMetric::TrainLoss)
}

/// The last observed value of `metric`'s partial curve of every architecture, when each has at
/// least [`MIN_SOTLE_EPOCHS`] epochs of it.
fn last_values(archs: &[ArchInput], metric: CurveMetric) -> Option<Vec<f64>> {
    archs
        .iter()
        .map(|a| match a.curve(metric) {
            Some(c) if c.len() >= MIN_SOTLE_EPOCHS => c.last().copied(),
            _ => None,
        })
        .collect()
}

/// Sorted copy of finite values.
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// numpy's default (linear) quantile of sorted data.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// NASLib's number of jacov bin thresholds for a train size (`get_bins`).
pub fn jacov_threshold_count(train_size: usize) -> usize {
    match train_size {
        0..=10 => 1,
        11..=20 => 2,
        21..=40 => 3,
        41..=80 => 5,
        _ => 9,
    }
}

/// Jacov bin thresholds: the `k / (t + 1)` quantiles (`k = 1..=t`) of the training scores, `t`
/// as NASLib's table has for the train size.
pub fn jacov_thresholds(train_scores: &[f64]) -> Vec<f64> {
    let t = jacov_threshold_count(train_scores.len());
    let s = sorted(train_scores);
    (1..=t)
        .map(|k| quantile(&s, k as f64 / (t + 1) as f64))
        .collect()
}

/// NASLib's `get_lce_bins`: thresholds at every `ceil(n / bins)`-th sorted training loss, with
/// `bins = min(9, max(1, n / 5))` (one bin: the median element).
pub fn sotle_thresholds(train_losses: &[f64]) -> Vec<f64> {
    let n = train_losses.len();
    let s = sorted(train_losses);
    let bins = (n / 5).clamp(1, 9);
    if bins == 1 {
        return vec![s[n / 2]];
    }
    let size = n.div_ceil(bins);
    (size..n).step_by(size).map(|i| s[i]).collect()
}

/// NASLib's `discretize` (one-hot): bit `i` of `upper_bounds.len() + 1` is set for the first
/// upper bound that exceeds `x`, the last bit otherwise.
pub fn discretize(x: f64, upper_bounds: &[f64]) -> Vec<u8> {
    let mut bits = vec![0u8; upper_bounds.len() + 1];
    let i = upper_bounds
        .iter()
        .position(|&ub| x < ub)
        .unwrap_or(upper_bounds.len());
    bits[i] = 1;
    bits
}

fn fit_err(key: &str, source: impl Into<naspred_eval::BoxError>) -> PredictorError {
    PredictorError::fit(key, source)
}

fn query_err(key: &str, source: impl Into<naspred_eval::BoxError>) -> PredictorError {
    PredictorError::query(key, source)
}

fn check_train(key: &str, train: &[ArchInput], y: &[f64]) -> Result<(), PredictorError> {
    if train.is_empty() {
        return Err(PredictorError::fit_msg(key, "empty training set"));
    }
    if train.len() != y.len() {
        return Err(PredictorError::fit_msg(
            key,
            format!("{} architectures but {} targets", train.len(), y.len()),
        ));
    }
    if let Some((i, v)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(PredictorError::fit_msg(
            key,
            format!("target {i} is not finite ({v})"),
        ));
    }
    Ok(())
}

/// Requirements of an OMNI predictor whose curve features are the last values of `curves`
/// (optional: dropped where the benchmark has no such curve), with `unlabeled_factor`
/// unlabeled architectures per training architecture.
pub fn omni_requirements(curves: &[CurveMetric], unlabeled_factor: usize) -> Requirements {
    Requirements {
        family: Family::Hybrid,
        curves: curves.to_vec(),
        curves_optional: true,
        unlabeled_factor,
        ..Requirements::model_based()
    }
}

// ---------------------------------------------------------------------------------------------
// OMNI-NGB

/// One draw of OMNI-NGB's NGBoost search space (NASLib's `get_random_params`, in its order),
/// with `min_samples_leaf` / `min_samples_split` clipped to `max(2, min(v, n / 3 - 1))`.
pub fn sample_ngb_params(rng: &mut PredictorRng, n: usize) -> NgbParams {
    let lu = loguniform_range::<PredictorRng>;
    let n_estimators = lu(rng, 128.0, 512.0) as usize;
    let learning_rate = lu(rng, 0.001, 0.1);
    let minibatch_frac = rng.random_range(0.1..1.0);
    let max_depth = rng.random_range(1..=24usize);
    let max_features = rng.random_range(0.1..1.0);
    let cap = |v: usize| v.min((n / 3).saturating_sub(1)).max(2);
    let min_samples_leaf = cap(rng.random_range(2..=19usize));
    let min_samples_split = cap(rng.random_range(2..=19usize));
    NgbParams {
        n_estimators,
        learning_rate,
        minibatch_frac,
        max_depth,
        max_features,
        leaf_rule: LeafRule::Fixed {
            min_samples_leaf,
            min_samples_split,
        },
        ..NgbParams::naslib()
    }
}

/// Held-out mean NLL of one configuration by unshuffled `CV_FOLDS`-fold cross-validation
/// (NaN or infinite counts as +inf).
fn cv_nll(
    params: &NgbParams,
    x: &FeatureMatrix,
    y: &[f64],
    rng: &mut PredictorRng,
) -> Result<f64, naspred_models::TreeError> {
    let n = y.len();
    let mut total = 0.0;
    for (lo, hi) in kfold(n, CV_FOLDS) {
        let tr: Vec<usize> = (0..lo).chain(hi..n).collect();
        let te: Vec<usize> = (lo..hi).collect();
        let xtr = x.select_rows(&tr)?;
        let ytr: Vec<f64> = tr.iter().map(|&i| y[i]).collect();
        let mut m = NgbRegressor::with_params(params.clone());
        m.fit(&xtr, &ytr, rng)?;
        let (mean, std) = m.predict_dist(&x.select_rows(&te)?)?;
        let std = std.unwrap_or_else(|| vec![0.0; te.len()]);
        let yte: Vec<f64> = te.iter().map(|&i| y[i]).collect();
        total += mean_gaussian_nll(&yte, &mean, &std);
    }
    let s = total / CV_FOLDS as f64;
    Ok(if s.is_finite() { s } else { f64::INFINITY })
}

struct FittedNgbOmni {
    jacov_scaling: Option<TargetScaling>,
    /// The learning-curve features used, each with the training set's scaling.
    lc: Vec<(CurveMetric, TargetScaling)>,
    model: NgbRegressor,
    cv_nll: f64,
}

impl FittedNgbOmni {
    /// The features this fit used (read off its scalings).
    fn features(&self) -> OmniFeatures {
        let has = |m| self.lc.iter().any(|(c, _)| *c == m);
        OmniFeatures {
            jacov: self.jacov_scaling.is_some(),
            sotle: has(CurveMetric::TrainLoss),
            valacc: has(CurveMetric::ValAcc),
        }
    }
}

/// `omni_ngb`: NGBoost on jacov, SoTL-E and the adjacency one-hot encoding, with NASLib's
/// 35-configuration 3-fold cross-validated search per fit (see the module docs).
///
/// Two knobs (a NASLib option and a fix of its feature preparation):
/// * [`OmniNgb::with_curve_features`]: which last-epoch curve values are features. NASLib's
///   `OmniPredictor` accepts `lce=['sotle', 'valacc']`; the paper's runner uses `['sotle']`.
/// * [`OmniNgb::with_lc_scaling`]: [`Quirks::Faithful`] z-scores a test set's curve features
///   with the test set's own mean and std (NASLib's `prepare_features`, which makes a test
///   architecture's feature depend on the other test architectures, and shifts the feature
///   whenever the test set's curves are better or worse on average than the training set's:
///   registry key `omni_ngb_faithful`); [`Quirks::Fixed`] (the default) applies the training
///   set's statistics, as NASLib already does for jacov.
pub struct OmniNgb {
    key: &'static str,
    jacov: JacovSource,
    n_hypers: usize,
    lc_metrics: Vec<CurveMetric>,
    lc_scaling: Quirks,
    fitted: Option<FittedNgbOmni>,
}

impl Default for OmniNgb {
    fn default() -> Self {
        OmniNgb::new()
    }
}

impl OmniNgb {
    /// The registry's `omni_ngb` (jacov where [`jacov_supported`], SoTL-E, test features
    /// scaled with the training set's statistics, 35 configurations).
    pub fn new() -> Self {
        OmniNgb {
            key: "omni_ngb",
            jacov: JacovSource::new(true),
            n_hypers: N_HYPERS,
            lc_metrics: vec![CurveMetric::TrainLoss],
            lc_scaling: Quirks::Fixed,
            fitted: None,
        }
    }

    /// The same predictor under another registry key.
    pub fn with_key(mut self, key: &'static str) -> Self {
        self.key = key;
        self
    }

    /// Never uses the jacov score (an ablation; also for spaces where it is too slow to
    /// compute).
    pub fn without_jacov(mut self) -> Self {
        self.jacov.enabled = false;
        self
    }

    /// Computes jacov with these zero-cost settings, reading images from `data_root` (the
    /// defaults: [`ZeroCostSettings::default`] and [`DataRoot::workspace`]).
    pub fn with_zero_cost(mut self, settings: ZeroCostSettings, data_root: DataRoot) -> Self {
        self.jacov.set(settings, data_root);
        self
    }

    /// Scores `n` random configurations per fit instead of 35 (at least 1).
    pub fn with_n_hypers(mut self, n: usize) -> Self {
        self.n_hypers = n.max(1);
        self
    }

    /// The learning-curve metrics whose value at the fidelity is a feature, in this order
    /// (NASLib's `lce` list: `TrainLoss` is SoTL-E, `ValAcc` is `valacc`). Default: SoTL-E.
    pub fn with_curve_features(mut self, metrics: &[CurveMetric]) -> Self {
        self.lc_metrics = metrics.to_vec();
        self
    }

    /// How a test set's curve features are z-scored (see the type docs).
    pub fn with_lc_scaling(mut self, quirks: Quirks) -> Self {
        self.lc_scaling = quirks;
        self
    }

    /// The features of the last fit.
    pub fn features(&self) -> Option<OmniFeatures> {
        self.fitted.as_ref().map(FittedNgbOmni::features)
    }

    /// Feature matrix: `[jacov_z?, curve features..., adjacency one-hot]`.
    fn features_of(
        archs: &[ArchInput],
        jacov_z: Option<&[f64]>,
        lc_z: &[Vec<f64>],
    ) -> Result<FeatureMatrix, FeatureError> {
        let enc = encode_inputs(archs, EncodingKind::AdjacencyOneHot, Quirks::Faithful)?;
        let extra = usize::from(jacov_z.is_some()) + lc_z.len();
        let cols = enc.cols() + extra;
        let mut data = Vec::with_capacity(archs.len() * cols);
        for (i, row) in enc.iter_rows().enumerate() {
            if let Some(j) = jacov_z {
                data.push(j[i] as f32);
            }
            for f in lc_z {
                data.push(f[i] as f32);
            }
            data.extend_from_slice(row);
        }
        FeatureMatrix::from_row_major(data, archs.len(), cols)
    }
}

impl Predictor for OmniNgb {
    fn key(&self) -> &str {
        self.key
    }

    fn requirements(&self) -> Requirements {
        omni_requirements(&self.lc_metrics, 0)
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        let key = self.key;
        self.fitted = None;
        check_train(key, train, y)?;
        let n = train.len();
        let (jacov_z, jacov_scaling) = if self.jacov.available(ctx) {
            let raw = self.jacov.scores(key, train, ctx)?;
            let sc = TargetScaling::fit(&raw);
            (Some(sc.apply(&raw)), Some(sc))
        } else {
            (None, None)
        };
        // Each curve feature whose curves exist (at least MIN_SOTLE_EPOCHS epochs everywhere).
        let mut lc = Vec::new();
        let mut lc_z = Vec::new();
        for &m in &self.lc_metrics {
            if let Some(v) = last_values(train, m) {
                let sc = TargetScaling::fit(&v);
                lc_z.push(sc.apply(&v));
                lc.push((m, sc));
            }
        }
        let x = Self::features_of(train, jacov_z.as_deref(), &lc_z).map_err(|e| fit_err(key, e))?;
        // NASLib's search: the lowest mean held-out NLL over `n_hypers` random draws. With
        // fewer rows than folds there is nothing to cross-validate: the first draw is used.
        let mut best: Option<(f64, NgbParams)> = None;
        for _ in 0..self.n_hypers {
            let params = sample_ngb_params(ctx.rng, n);
            if n < CV_FOLDS {
                best = Some((f64::NAN, params));
                break;
            }
            let score = cv_nll(&params, &x, y, ctx.rng).map_err(|e| fit_err(key, e))?;
            if best.as_ref().is_none_or(|(b, _)| score < *b) {
                best = Some((score, params));
            }
        }
        let (cv, params) = best.expect("n_hypers >= 1");
        let mut model = NgbRegressor::with_params(params);
        model.fit(&x, y, ctx.rng).map_err(|e| fit_err(key, e))?;
        self.fitted = Some(FittedNgbOmni {
            jacov_scaling,
            lc,
            model,
            cv_nll: cv,
        });
        Ok(())
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
        ctx: &mut Context<'_>,
    ) -> Result<Prediction, PredictorError> {
        let key = self.key;
        let Some(fitted) = &self.fitted else {
            return Err(PredictorError::NotFitted {
                key: key.to_string(),
            });
        };
        let jacov_scaling = fitted.jacov_scaling;
        if test.is_empty() {
            return Ok(Prediction {
                mean: Vec::new(),
                std: Some(Vec::new()),
            });
        }
        let mut lc_z = Vec::with_capacity(fitted.lc.len());
        for &(m, train_sc) in &fitted.lc {
            let v = last_values(test, m).ok_or_else(|| PredictorError::MissingInput {
                key: key.to_string(),
                what: format!(
                    "{m} curves of at least {MIN_SOTLE_EPOCHS} epochs for the test \
                     architectures (the model was fitted with them)"
                ),
            })?;
            // Faithful (NASLib): the test set's own statistics; fixed: the training set's.
            let sc = match self.lc_scaling {
                Quirks::Faithful => TargetScaling::fit(&v),
                Quirks::Fixed => train_sc,
            };
            lc_z.push(sc.apply(&v));
        }
        let jacov_z = match jacov_scaling {
            Some(sc) => {
                let raw = self
                    .jacov
                    .scores(key, test, ctx)
                    .map_err(|e| query_err(key, e))?;
                Some(sc.apply(&raw))
            }
            None => None,
        };
        let x =
            Self::features_of(test, jacov_z.as_deref(), &lc_z).map_err(|e| query_err(key, e))?;
        let f = self.fitted.as_ref().expect("checked above");
        let (mean, std) = f.model.predict_dist(&x).map_err(|e| query_err(key, e))?;
        Ok(Prediction { mean, std })
    }

    fn take_reused_seconds(&mut self) -> f64 {
        self.jacov.zc.take_reused_seconds()
    }

    fn hyperparams(&self) -> Hyperparams {
        let mut hp = Hyperparams::new();
        if let Some(f) = &self.fitted {
            hp = f.model.params().to_hyperparams();
            if let LeafRule::Fixed {
                min_samples_leaf,
                min_samples_split,
            } = f.model.params().leaf_rule
            {
                hp.insert("min_samples_leaf".into(), min_samples_leaf as f64);
                hp.insert("min_samples_split".into(), min_samples_split as f64);
            }
            hp.insert("cv_nll".into(), f.cv_nll);
            f.features().record(&mut hp);
        }
        hp.insert("n_hypers".into(), self.n_hypers as f64);
        hp
    }
}

// ---------------------------------------------------------------------------------------------
// OMNI-SemiNAS

struct FittedSeminasOmni {
    features: OmniFeatures,
    jacov_bins: Vec<f64>,
    sotle_bins: Vec<f64>,
    model: SeminasPredictor,
}

/// `omni_seminas`: SemiNAS with binned jacov and SoTL-E tokens (see the module docs).
pub struct OmniSeminas {
    jacov: JacovSource,
    fitted: Option<FittedSeminasOmni>,
}

impl Default for OmniSeminas {
    fn default() -> Self {
        OmniSeminas::new()
    }
}

impl OmniSeminas {
    /// The registry's `omni_seminas`.
    pub fn new() -> Self {
        OmniSeminas {
            jacov: JacovSource::new(true),
            fitted: None,
        }
    }

    /// Computes jacov with these zero-cost settings, reading images from `data_root` (as
    /// [`OmniNgb::with_zero_cost`]).
    pub fn with_zero_cost(mut self, settings: ZeroCostSettings, data_root: DataRoot) -> Self {
        self.jacov.set(settings, data_root);
        self
    }

    /// Never uses the jacov score.
    pub fn without_jacov(mut self) -> Self {
        self.jacov.enabled = false;
        self
    }

    /// The features of the last fit.
    pub fn features(&self) -> Option<OmniFeatures> {
        self.fitted.as_ref().map(|f| f.features)
    }

    /// Extra symbols of each architecture: jacov bits as `0/1`, then SoTL-E bits offset by 2
    /// when jacov is present.
    fn symbols(
        n: usize,
        jacov: Option<(&[f64], &[f64])>,
        sotle: Option<(&[f64], &[f64])>,
    ) -> Vec<Vec<i64>> {
        (0..n)
            .map(|i| {
                let mut row = Vec::new();
                for (group, (values, bins)) in [jacov, sotle].into_iter().flatten().enumerate() {
                    let offset = 2 * group as i64;
                    row.extend(
                        discretize(values[i], bins)
                            .into_iter()
                            .map(|b| offset + i64::from(b)),
                    );
                }
                row
            })
            .collect()
    }
}

impl Predictor for OmniSeminas {
    fn key(&self) -> &str {
        "omni_seminas"
    }

    fn requirements(&self) -> Requirements {
        omni_requirements(&[CurveMetric::TrainLoss], 1)
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        const KEY: &str = "omni_seminas";
        self.fitted = None;
        check_train(KEY, train, y)?;
        let n = train.len();
        let sotle = sotle_values(train);
        let semi = sotle.is_none();
        let k = if semi { ctx.unlabeled.len().min(n) } else { 0 };
        let unlabeled: Vec<ArchInput> = ctx.unlabeled[..k].to_vec();
        let (jacov_train, jacov_unl) = if self.jacov.available(ctx) {
            let t = self.jacov.scores(KEY, train, ctx)?;
            let u = self.jacov.scores(KEY, &unlabeled, ctx)?;
            (Some(t), u)
        } else {
            (None, Vec::new())
        };
        let features = OmniFeatures {
            jacov: jacov_train.is_some(),
            sotle: sotle.is_some(),
            valacc: false,
        };
        let jacov_bins = jacov_train.as_deref().map(jacov_thresholds);
        let sotle_bins = sotle.as_deref().map(sotle_thresholds);
        let groups = usize::from(features.jacov) + usize::from(features.sotle);
        let mut model = SeminasPredictor::new(semi, Quirks::Fixed);
        let seed = ctx.rng.next_u64();
        let res = if groups == 0 {
            model.fit_seeded(train, y, &unlabeled, seed)
        } else {
            let sym_train = Self::symbols(
                n,
                jacov_train.as_deref().zip(jacov_bins.as_deref()),
                sotle.as_deref().zip(sotle_bins.as_deref()),
            );
            // Unlabeled architectures are used only without SoTL-E, so they need jacov only.
            let sym_unl = Self::symbols(
                k,
                jacov_bins.as_deref().map(|b| (jacov_unl.as_slice(), b)),
                None,
            );
            model.fit_seeded_extra(
                train,
                y,
                &unlabeled,
                seed,
                Some(ExtraTokens {
                    train: &sym_train,
                    unlabeled: &sym_unl,
                    vocab: 2 * groups,
                }),
            )
        };
        res.map_err(|e| e.into_fit(KEY))?;
        self.fitted = Some(FittedSeminasOmni {
            features,
            jacov_bins: jacov_bins.unwrap_or_default(),
            sotle_bins: sotle_bins.unwrap_or_default(),
            model,
        });
        Ok(())
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        const KEY: &str = "omni_seminas";
        let features = match &self.fitted {
            Some(f) => f.features,
            None => {
                return Err(PredictorError::NotFitted {
                    key: KEY.to_string(),
                })
            }
        };
        if test.is_empty() {
            return Ok(Vec::new());
        }
        let jacov = if features.jacov {
            Some(
                self.jacov
                    .scores(KEY, test, ctx)
                    .map_err(|e| query_err(KEY, e))?,
            )
        } else {
            None
        };
        let sotle = if features.sotle {
            Some(
                sotle_values(test).ok_or_else(|| PredictorError::MissingInput {
                    key: KEY.to_string(),
                    what: format!(
                        "training-loss curves of at least {MIN_SOTLE_EPOCHS} epochs for the test \
                     architectures (the model was fitted with SoTL-E)"
                    ),
                })?,
            )
        } else {
            None
        };
        let f = self.fitted.as_ref().expect("checked above");
        let out = if features.jacov || features.sotle {
            let sym = Self::symbols(
                test.len(),
                jacov.as_deref().map(|v| (v, f.jacov_bins.as_slice())),
                sotle.as_deref().map(|v| (v, f.sotle_bins.as_slice())),
            );
            f.model.predict_extra(test, Some(&sym))
        } else {
            f.model.predict(test)
        };
        out.map_err(|e| e.into_query(KEY))
    }

    fn take_reused_seconds(&mut self) -> f64 {
        self.jacov.zc.take_reused_seconds()
    }

    fn hyperparams(&self) -> Hyperparams {
        let mut hp = Hyperparams::new();
        if let Some(f) = &self.fitted {
            f.features.record(&mut hp);
            hp.insert("jacov_bins".into(), f.jacov_bins.len() as f64);
            hp.insert("sotle_bins".into(), f.sotle_bins.len() as f64);
            hp.insert("semi".into(), f64::from(u8::from(!f.features.sotle)));
        }
        hp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfold_matches_sklearn() {
        assert_eq!(kfold(10, 3), vec![(0, 4), (4, 7), (7, 10)]);
        assert_eq!(kfold(9, 3), vec![(0, 3), (3, 6), (6, 9)]);
        assert_eq!(kfold(3, 3), vec![(0, 1), (1, 2), (2, 3)]);
    }

    #[test]
    fn discretize_is_naslibs_one_hot() {
        assert_eq!(discretize(-500.0, &[-317.264]), vec![1, 0]);
        assert_eq!(discretize(-300.0, &[-317.264]), vec![0, 1]);
        assert_eq!(discretize(5.0, &[1.0, 3.0, 5.0]), vec![0, 0, 0, 1]);
        assert_eq!(discretize(2.0, &[1.0, 3.0, 5.0]), vec![0, 1, 0, 0]);
    }

    #[test]
    fn sotle_bins_follow_get_lce_bins() {
        // n = 20: 4 bins of 5, thresholds at sorted positions 5, 10, 15.
        let v: Vec<f64> = (0..20).rev().map(f64::from).collect();
        assert_eq!(sotle_thresholds(&v), vec![5.0, 10.0, 15.0]);
        // n = 7: one bin, the element at n / 2.
        let v: Vec<f64> = (0..7).map(f64::from).collect();
        assert_eq!(sotle_thresholds(&v), vec![3.0]);
        // n = 1000: 9 bins of 112.
        let v: Vec<f64> = (0..1000).map(f64::from).collect();
        let t = sotle_thresholds(&v);
        assert_eq!(t.len(), 8);
        assert_eq!(t[0], 112.0);
    }

    #[test]
    fn jacov_bins_are_training_quantiles() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        let t = jacov_thresholds(&v);
        assert_eq!(t.len(), 9);
        assert!((t[4] - 50.0).abs() < 1e-12);
        assert!((t[0] - 10.0).abs() < 1e-12);
        assert_eq!(jacov_thresholds(&[3.0, 1.0, 2.0]), vec![2.0]);
    }

    #[test]
    fn sampled_configs_are_in_naslibs_ranges() {
        let mut rng = <PredictorRng as rand::SeedableRng>::seed_from_u64(3);
        for n in [5, 30, 1000] {
            for _ in 0..200 {
                let p = sample_ngb_params(&mut rng, n);
                assert!((128..512).contains(&p.n_estimators));
                assert!((0.001..0.1).contains(&p.learning_rate));
                assert!((0.1..1.0).contains(&p.minibatch_frac));
                assert!((1..=24).contains(&p.max_depth));
                let LeafRule::Fixed {
                    min_samples_leaf,
                    min_samples_split,
                } = p.leaf_rule
                else {
                    panic!("fixed leaf rule expected")
                };
                let cap = ((n / 3).saturating_sub(1)).max(2);
                assert!((2..=cap.max(2)).contains(&min_samples_leaf));
                assert!((2..=cap.max(2)).contains(&min_samples_split));
                assert!(p.validate().is_ok());
            }
        }
    }

    #[test]
    fn symbols_offset_groups() {
        let j = [1.0, 10.0];
        let s = [0.5, 0.1];
        let sym = OmniSeminas::symbols(2, Some((&j, &[5.0])), Some((&s, &[0.2, 0.4])));
        assert_eq!(sym[0], vec![1, 0, 2, 2, 3]);
        assert_eq!(sym[1], vec![0, 1, 3, 2, 2]);
    }
}
