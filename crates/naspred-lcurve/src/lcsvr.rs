//! LcSVR (Baker et al., NASLib's `SVR_Estimator`): ν-SVR on summary statistics of the partial
//! validation-accuracy curve, hyperparameters by random search with 3-fold cross-validation.

use naspred_data::CurveMetric;
use naspred_eval::hpo::loguniform_range;
use naspred_eval::stats::kfold;
use naspred_eval::{
    ArchInput, Context, Family, Hyperparams, Predictor, PredictorError, Requirements,
};
use rand::Rng;

use crate::svr::{kernel_matrix, NuSvr, NuSvrParams};

/// Number of features of a curve (see [`curve_features`]).
pub const N_FEATURES: usize = 6;

/// The features of a partial validation-accuracy curve `vc`: mean and (population) standard
/// deviation of `vc`, of its first differences and of its second differences (NASLib's
/// `collate_inputs` with `all_curve = False`). Statistics of an empty difference sequence
/// (curves of fewer than 3 points, e.g. a single low-fidelity run) are 0 — NumPy gives NaN,
/// on which scikit-learn refuses to fit.
pub fn curve_features(vc: &[f64]) -> [f64; N_FEATURES] {
    fn mean_std(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
        let n = v.clone().count();
        if n == 0 {
            return (0.0, 0.0);
        }
        let m = v.clone().sum::<f64>() / n as f64;
        let var = v.map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        (m, var.sqrt())
    }
    let d1 = vc.windows(2).map(|w| w[1] - w[0]);
    let d2 = vc.windows(3).map(|w| w[2] - 2.0 * w[1] + w[0]);
    let (m0, s0) = mean_std(vc.iter().copied());
    let (m1, s1) = mean_std(d1);
    let (m2, s2) = mean_std(d2);
    [m0, s0, m1, s1, m2, s2]
}

/// scikit-learn's R² of predictions `p` against `y` (1 for a perfect fit of a constant target,
/// else 0 when `y` is constant, as `r2_score` does).
fn r2(y: &[f64], p: &[f64]) -> f64 {
    let m = y.iter().sum::<f64>() / y.len() as f64;
    let ss_res: f64 = y.iter().zip(p).map(|(a, b)| (a - b) * (a - b)).sum();
    let ss_tot: f64 = y.iter().map(|a| (a - m) * (a - m)).sum();
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

/// The LcSVR predictor (`lcsvr`).
#[derive(Clone, Debug)]
pub struct LcSvr {
    n_hypers: usize,
    best: Option<NuSvrParams>,
    best_cv_r2: f64,
    model: Option<NuSvr>,
}

impl Default for LcSvr {
    fn default() -> Self {
        LcSvr::new(1000)
    }
}

impl LcSvr {
    /// LcSVR drawing `n_hypers` random configurations per fit (NASLib: 1000).
    pub fn new(n_hypers: usize) -> Self {
        LcSvr {
            n_hypers: n_hypers.max(1),
            best: None,
            best_cv_r2: f64::NAN,
            model: None,
        }
    }

    /// The configuration chosen by the last fit.
    pub fn best_params(&self) -> Option<NuSvrParams> {
        self.best
    }

    fn features(&self, set: &[ArchInput]) -> Result<Vec<[f64; N_FEATURES]>, PredictorError> {
        set.iter()
            .map(|a| {
                a.curve(CurveMetric::ValAcc)
                    .filter(|c| !c.is_empty())
                    .map(curve_features)
                    .ok_or_else(|| PredictorError::MissingInput {
                        key: self.key().into(),
                        what: format!("val_acc curve of {}", a.arch),
                    })
            })
            .collect()
    }
}

/// Mean 3-fold R² of one configuration; folds are contiguous, the first `n % 3` one row
/// longer (scikit-learn's unshuffled `KFold`).
fn cv_r2(x: &[&[f64]], y: &[f64], full_kernel: &[f64], p: NuSvrParams) -> f64 {
    const FOLDS: usize = 3;
    let n = y.len();
    let mut total = 0.0;
    for (lo, hi) in kfold(n, FOLDS) {
        let tr: Vec<usize> = (0..n).filter(|&i| i < lo || i >= hi).collect();
        let tx: Vec<&[f64]> = tr.iter().map(|&i| x[i]).collect();
        let ty: Vec<f64> = tr.iter().map(|&i| y[i]).collect();
        let mut kk = Vec::with_capacity(tr.len() * tr.len());
        for &i in &tr {
            kk.extend(tr.iter().map(|&j| full_kernel[i * n + j]));
        }
        let Some(m) = NuSvr::fit_with_kernel(&tx, &ty, &kk, p) else {
            return f64::NEG_INFINITY;
        };
        let pred: Vec<f64> = (lo..hi).map(|i| m.predict(x[i])).collect();
        total += r2(&y[lo..hi], &pred);
    }
    total / FOLDS as f64
}

impl Predictor for LcSvr {
    fn key(&self) -> &str {
        "lcsvr"
    }

    fn requirements(&self) -> Requirements {
        Requirements {
            family: Family::Hybrid,
            curves: vec![CurveMetric::ValAcc],
            trains: true,
            ..Requirements::model_based()
        }
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        if train.len() < 3 || train.len() != y.len() {
            return Err(PredictorError::FitReason {
                key: self.key().into(),
                reason: format!(
                    "needs at least 3 training architectures with one target each (got {} and {})",
                    train.len(),
                    y.len()
                ),
            });
        }
        let feats = self.features(train)?;
        let rows: Vec<&[f64]> = feats.iter().map(|f| f.as_slice()).collect();
        // Draw order as NASLib's: all C, then all ν, then all γ.
        let rng = &mut *ctx.rng;
        let cs: Vec<f64> = (0..self.n_hypers)
            .map(|_| loguniform_range(rng, 1e-5, 10.0))
            .collect();
        let nus: Vec<f64> = (0..self.n_hypers)
            .map(|_| rng.random_range(0.0..1.0))
            .collect();
        let gammas: Vec<f64> = (0..self.n_hypers)
            .map(|_| loguniform_range(rng, 1e-5, 10.0))
            .collect();
        let mut best: Option<(f64, NuSvrParams)> = None;
        for h in 0..self.n_hypers {
            let p = NuSvrParams::new(cs[h], nus[h], gammas[h]);
            let k = kernel_matrix(&rows, p.gamma);
            let s = cv_r2(&rows, y, &k, p);
            // np.argmax: the first maximum; NaN scores never win here.
            if s.is_finite() && best.is_none_or(|(b, _)| s > b) {
                best = Some((s, p));
            }
        }
        let (score, p) = best.ok_or_else(|| PredictorError::FitReason {
            key: self.key().into(),
            reason: "no hyperparameter configuration could be cross-validated".into(),
        })?;
        self.model = NuSvr::fit(&rows, y, p);
        self.best = Some(p);
        self.best_cv_r2 = score;
        if self.model.is_none() {
            return Err(PredictorError::FitReason {
                key: self.key().into(),
                reason: format!("ν-SVR refit failed for {p:?}"),
            });
        }
        Ok(())
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        let model = self.model.as_ref().ok_or(PredictorError::NotFitted {
            key: self.key().into(),
        })?;
        Ok(self
            .features(test)?
            .iter()
            .map(|f| model.predict(f))
            .collect())
    }

    fn hyperparams(&self) -> Hyperparams {
        let mut h = Hyperparams::new();
        if let Some(p) = self.best {
            h.insert("C".into(), p.c);
            h.insert("nu".into(), p.nu);
            h.insert("gamma".into(), p.gamma);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_of_a_short_curve() {
        let f = curve_features(&[1.0, 2.0, 4.0]);
        assert_eq!(f[0], 7.0 / 3.0);
        assert!((f[1] - (14.0f64 / 9.0).sqrt()).abs() < 1e-12);
        assert_eq!(f[2], 1.5);
        assert_eq!(f[3], 0.5);
        assert_eq!(f[4], 1.0);
        assert_eq!(f[5], 0.0);
        assert_eq!(curve_features(&[5.0]), [5.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn r2_matches_definition() {
        assert_eq!(r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 1.0);
        assert_eq!(r2(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]), 0.0);
    }
}
