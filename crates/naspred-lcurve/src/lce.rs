//! LCE (NASLib's `lce/`, after Domhan et al.'s `pylearningcurvepredictor`): a weighted ensemble
//! of four parametric curve families, each fitted by maximum likelihood, then sampled jointly
//! with the ensemble weights and the noise variance by Metropolis-Hastings; the prediction is
//! the mean of the sampled ensembles at the final epoch.

use std::f64::consts::PI;

use naspred_data::CurveMetric;
use naspred_eval::{ArchInput, Context, Predictor, PredictorError, Requirements};
use naspred_spaces::{Quirks, SpaceKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use crate::curves::{CurveFamily, LceFamily};
use crate::optim::minimize;

/// Scale of the Metropolis-Hastings random-walk perturbation (NASLib's `var = 1e-4`, used as
/// the standard deviation).
const STEP: f64 = 1e-4;

/// What LCE predicts for a setting: the final epoch, the failure default and the number of
/// Metropolis-Hastings steps (NASLib: NB201 200 / 85.0 / 300; DARTS 98 / 93.0 / 1000; NLP
/// 50 / 94.83 / 1000).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LcSetting {
    /// Epoch whose accuracy is predicted.
    pub final_epoch: u32,
    /// NASLib's default guess on failure (percent).
    pub default_guess: f64,
    /// Metropolis-Hastings steps (LCE only).
    pub mcmc_steps: usize,
}

impl LcSetting {
    /// NASLib's setting for a space, with the final epoch of the benchmark's schedule; `None`
    /// where NASLib has none (NB101, which has no per-epoch curves).
    pub fn for_space(space: SpaceKind, total_epochs: u32) -> Option<LcSetting> {
        let (default_guess, mcmc_steps) = match space {
            SpaceKind::Nb201 => (85.0, 300),
            SpaceKind::Darts => (93.0, 1000),
            SpaceKind::Nlp => (94.83, 1000),
            _ => return None,
        };
        Some(LcSetting {
            final_epoch: total_epochs,
            default_guess,
            mcmc_steps,
        })
    }
}

/// Maximum-likelihood fit of one family to `y` at epochs `1..=T` (NASLib's
/// `optimize_model_class`): minimises `T/2 ln 2π + T/2 ln σ² + Σ (y − f(x))² / (2σ²)` from all
/// parameters at 1. Returns the curve parameters followed by σ.
pub fn fit_family(family: LceFamily, y: &[f64]) -> Option<Vec<f64>> {
    let t = y.len() as f64;
    let k = family.n_params();
    let nll = |p: &[f64]| {
        let s2 = p[k] * p[k];
        let sse: f64 = y
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let r = v - family.eval(&p[..k], (i + 1) as f64);
                r * r
            })
            .sum();
        t / 2.0 * (2.0 * PI).ln() + t / 2.0 * s2.ln() + sse / (2.0 * s2)
    };
    minimize(&nll, &vec![1.0; k + 1], family.positive(), 5000).map(|(p, _)| p)
}

/// Per-point log density of a residual under N(0, σ²), or `None` when the density is 0 (or
/// not a number) in double precision, as `scipy.stats.norm.pdf` would give.
#[inline]
fn log_pdf(r: f64, sd: f64) -> Option<f64> {
    let l = -0.5 * (r / sd) * (r / sd) - sd.ln() - 0.5 * (2.0 * PI).ln();
    // exp(l) underflows to 0 below the smallest subnormal.
    (l > -745.13).then_some(l)
}

/// The ensemble's fitted parameters: one vector (curve parameters + σ) per family.
#[derive(Clone, Debug)]
struct Ensemble {
    params: Vec<Vec<f64>>,
}

impl Ensemble {
    #[inline]
    fn predict(&self, params: &[Vec<f64>], w: &[f64], x: f64) -> f64 {
        LceFamily::ALL
            .iter()
            .zip(params)
            .zip(w)
            .map(|((f, p), w)| w * f.eval(p, x))
            .sum()
    }
}

/// Runs LCE on one curve `y` (fractions, epochs `1..=T`) and returns the prediction at
/// `final_epoch` (a fraction), or `None` if it is not finite.
pub fn lce_extrapolate(
    y: &[f64],
    final_epoch: u32,
    steps: usize,
    quirks: Quirks,
    rng: &mut impl Rng,
) -> Option<f64> {
    let n_models = LceFamily::ALL.len();
    let params: Vec<Vec<f64>> = LceFamily::ALL
        .iter()
        .map(|&f| fit_family(f, y).unwrap_or_else(|| vec![f64::NAN; f.n_params() + 1]))
        .collect();
    let ens = Ensemble { params };
    let t = y.len();
    let mut w = vec![1.0 / n_models as f64; n_models];
    let mut params = ens.params.clone();
    let mut sigma_sq = y
        .iter()
        .enumerate()
        .map(|(i, &v)| (v - ens.predict(&params, &w, (i + 1) as f64)).powi(2))
        .sum::<f64>()
        / t as f64;
    let dof: usize = LceFamily::ALL.iter().map(|f| f.n_params()).sum::<usize>() + n_models + 1;
    let normal = Normal::new(0.0, STEP).ok()?;
    let mut noise = vec![0.0; dof];
    let mut cand = params.clone();
    let mut cand_w = w.clone();
    let final_x = final_epoch as f64;
    // Faithful: the sum of sampled weights (every sample shares the final parameters).
    let mut w_sum = vec![0.0; n_models];
    // Fixed: the sum of sampled predictions.
    let mut pred_sum = 0.0;
    for _ in 0..steps {
        match quirks {
            Quirks::Faithful => w_sum.iter_mut().zip(&w).for_each(|(s, w)| *s += w),
            Quirks::Fixed => pred_sum += ens.predict(&params, &w, final_x),
        }
        let sd = sigma_sq.sqrt();
        let cur_ll: f64 = (0..t)
            .map(|j| {
                let r = ens.predict(&params, &w, (j + 1) as f64) - y[j];
                log_pdf(r, sd).unwrap_or(1e-10f64.ln())
            })
            .sum();
        noise.iter_mut().for_each(|z| *z = normal.sample(rng));
        let mut pos = 0;
        for (k, f) in LceFamily::ALL.iter().enumerate() {
            let m = f.n_params();
            match quirks {
                // QUIRK: NASLib's shallow dict copy perturbs the current parameter arrays in place.
                Quirks::Faithful => {
                    for i in 0..m {
                        params[k][i] += noise[pos + i];
                    }
                    cand[k].copy_from_slice(&params[k]);
                }
                Quirks::Fixed => {
                    for i in 0..m {
                        cand[k][i] = params[k][i] + noise[pos + i];
                    }
                    cand[k][m] = params[k][m];
                }
            }
            pos += m;
        }
        for i in 0..n_models {
            cand_w[i] = w[i] + noise[pos + i];
        }
        let cand_s2 = sigma_sq + noise[dof - 1];
        if cand_s2 <= 0.0 {
            continue;
        }
        let csd = cand_s2.sqrt();
        let mut cand_ll = 0.0;
        let mut vanished = false;
        for (j, &yj) in y.iter().enumerate() {
            let r = ens.predict(&cand, &cand_w, (j + 1) as f64) - yj;
            match log_pdf(r, csd) {
                Some(l) => cand_ll += l,
                None if r.is_nan() => {}
                None => vanished = true,
            }
        }
        if vanished {
            continue;
        }
        let accept = (cand_ll - cur_ll).exp().min(1.0);
        if ens.predict(&cand, &cand_w, (t + 1) as f64) > ens.predict(&cand, &cand_w, 1.0)
            && rng.random::<f64>() < accept
        {
            if quirks == Quirks::Fixed {
                for (p, c) in params.iter_mut().zip(&cand) {
                    p.copy_from_slice(c);
                }
            }
            w.copy_from_slice(&cand_w);
            sigma_sq = cand_s2;
        }
    }
    let n = steps.max(1) as f64;
    let pred = match quirks {
        Quirks::Faithful => {
            let wm: Vec<f64> = w_sum.iter().map(|s| s / n).collect();
            ens.predict(&params, &wm, final_x)
        }
        Quirks::Fixed => pred_sum / n,
    };
    pred.is_finite().then_some(pred)
}

/// The LCE predictor. Reads the partial validation-accuracy curve; no training phase.
///
/// [`Quirks::Fixed`] (the default, registry key `lce`) runs a proper Metropolis-Hastings chain
/// (proposals are copies; each sample keeps its own parameters) and reports failed
/// (non-finite) extrapolations: each one is counted (`hp_failed_extrapolations` in the
/// results) and predicted by the curve's last observed value, and a query where every
/// extrapolation fails is a [`PredictorError::QueryReason`]. [`Quirks::Faithful`] (registry
/// key `lce_faithful`) is NASLib's behaviour: the model parameters random-walk in place, every
/// sample shares the final parameters, and a failed extrapolation silently becomes the
/// default guess plus U(0, 1) noise.
#[derive(Clone, Debug)]
pub struct Lce {
    quirks: Quirks,
    key: &'static str,
    failed: usize,
}

impl Lce {
    /// LCE with the given behaviour, under its registry key (`lce` fixed, `lce_faithful`).
    pub fn new(quirks: Quirks) -> Self {
        let key = match quirks {
            Quirks::Fixed => "lce",
            Quirks::Faithful => "lce_faithful",
        };
        Lce {
            quirks,
            key,
            failed: 0,
        }
    }

    /// The same predictor reporting another key (for registry aliases).
    pub fn with_key(mut self, key: &'static str) -> Self {
        self.key = key;
        self
    }

    /// The behaviour (fixed or NASLib-faithful).
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }
}

impl Default for Lce {
    /// The fixed variant (`lce`).
    fn default() -> Self {
        Lce::new(Quirks::Fixed)
    }
}

/// Shared query logic of LCE and LCE-m: per-architecture extrapolation in parallel, each with
/// its own random stream derived from the predictor's; a failed extrapolation is NASLib's
/// fallback (default guess + U(0, 1)) with [`Quirks::Faithful`], an error with
/// [`Quirks::Fixed`].
pub(crate) fn query_curves<F>(
    key: &str,
    test: &[ArchInput],
    ctx: &mut Context<'_>,
    quirks: Quirks,
    extrapolate: F,
) -> Result<CurveQuery, PredictorError>
where
    F: Fn(&[f64], LcSetting, &mut ChaCha8Rng) -> Option<f64> + Sync,
{
    let setting = LcSetting::for_space(ctx.space, ctx.total_epochs).ok_or_else(|| {
        PredictorError::Unsupported {
            key: key.to_string(),
            reason: format!("no per-epoch learning curves in {}", ctx.space),
        }
    })?;
    let curves: Vec<&[f64]> = test
        .iter()
        .map(|a| {
            a.curve(CurveMetric::ValAcc)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| PredictorError::MissingInput {
                    key: key.to_string(),
                    what: format!("val_acc curve of {}", a.arch),
                })
        })
        .collect::<Result<_, _>>()?;
    let base: u64 = ctx.rng.random();
    let out: Vec<(f64, bool)> = curves
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut rng = ChaCha8Rng::seed_from_u64(base);
            rng.set_stream(i as u64);
            let y: Vec<f64> = c.iter().map(|v| v / 100.0).collect();
            match extrapolate(&y, setting, &mut rng).map(|p| p * 100.0) {
                Some(p) if p.is_finite() => (p, false),
                _ => match quirks {
                    Quirks::Faithful => (setting.default_guess + rng.random::<f64>(), true),
                    // The last observed value: the curve is taken to have plateaued, which is
                    // what `valacc` would predict; the failure is counted, not hidden.
                    Quirks::Fixed => (c[c.len() - 1], true),
                },
            }
        })
        .collect();
    let failed: Vec<usize> = out
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.1.then_some(i))
        .collect();
    if quirks == Quirks::Fixed && failed.len() == test.len() {
        let i = failed[0];
        return Err(PredictorError::QueryReason {
            key: key.to_string(),
            reason: format!(
                "every extrapolation failed (not finite), e.g. of the {}-epoch curve of {}",
                curves[i].len(),
                test[i].arch
            ),
        });
    }
    Ok(CurveQuery {
        predictions: out.into_iter().map(|o| o.0).collect(),
        failed,
    })
}

/// The hyperparameter record of an LCE-family predictor: how many test curves of its last
/// query failed to extrapolate (`hp_failed_extrapolations` in the results).
pub(crate) fn failure_hyperparams(failed: usize) -> naspred_eval::Hyperparams {
    let mut hp = naspred_eval::Hyperparams::new();
    hp.insert("failed_extrapolations".into(), failed as f64);
    hp
}

/// What one batch of curve extrapolations returned.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CurveQuery {
    /// One prediction per test architecture.
    pub predictions: Vec<f64>,
    /// Indices of the architectures whose extrapolation failed (and got the fallback).
    pub failed: Vec<usize>,
}

impl Predictor for Lce {
    fn key(&self) -> &str {
        self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements::learning_curve(CurveMetric::ValAcc)
    }

    fn fit(
        &mut self,
        _train: &[ArchInput],
        _y: &[f64],
        _ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        Ok(())
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        let quirks = self.quirks;
        let q = query_curves(self.key, test, ctx, quirks, |y, s, rng| {
            lce_extrapolate(y, s.final_epoch, s.mcmc_steps, quirks, rng)
        })?;
        self.failed = q.failed.len();
        Ok(q.predictions)
    }

    /// `failed_extrapolations`: how many test curves of the last query could not be
    /// extrapolated and got the fallback (recorded as `hp_failed_extrapolations`).
    fn hyperparams(&self) -> naspred_eval::Hyperparams {
        failure_hyperparams(self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synth(f: LceFamily, p: &[f64], t: usize) -> Vec<f64> {
        (1..=t).map(|x| f.eval(p, x as f64)).collect()
    }

    #[test]
    fn each_family_recovers_its_parameters() {
        let cases: [(LceFamily, &[f64]); 4] = [
            (LceFamily::LogLogLinear, &[0.3, 1.8]),
            (LceFamily::LogPower, &[0.9, 1.0, -0.8]),
            (LceFamily::Mmf, &[0.92, 0.3, 1.5, 0.4]),
            (LceFamily::Hill3, &[0.9, 0.8, 1.5]),
        ];
        for (f, p) in cases {
            let y = synth(f, p, 30);
            let fit = fit_family(f, &y).unwrap();
            let k = f.n_params();
            for i in 0..k {
                assert!(
                    (fit[i] - p[i]).abs() < 0.02 * p[i].abs().max(1.0),
                    "{}: fitted {:?} vs true {:?}",
                    f.name(),
                    &fit[..k],
                    p
                );
            }
            let y50 = f.eval(p, 50.0);
            let f50 = f.eval(&fit[..k], 50.0);
            assert!((y50 - f50).abs() < 1e-3, "{}: {f50} vs {y50}", f.name());
        }
    }

    #[test]
    fn a_failed_extrapolation_is_reported_by_fixed_and_replaced_by_faithful() {
        use naspred_data::Dataset;
        use naspred_spaces::{nb201::Nb201Arch, AnyArch};
        let arch = AnyArch::Nb201(Nb201Arch::from_index(7).unwrap());
        let mut input = ArchInput::bare(arch);
        input.curves = vec![(CurveMetric::ValAcc, vec![40.0, 50.0, 55.0])];
        let test = [input.clone(), input];
        let run = |quirks: Quirks, fails: bool| {
            let mut rng = naspred_eval::PredictorRng::seed_from_u64(5);
            let mut ctx = Context {
                space: SpaceKind::Nb201,
                dataset: Dataset::Cifar10,
                fidelity: Some(3),
                total_epochs: 200,
                unlabeled: &[],
                rng: &mut rng,
            };
            query_curves("lce", &test, &mut ctx, quirks, |_, _, _| {
                (!fails).then_some(0.9)
            })
        };
        // Success: the extrapolation x 100 in both variants.
        let ok = run(Quirks::Fixed, false).unwrap();
        assert_eq!(ok.predictions, vec![90.0, 90.0]);
        assert!(ok.failed.is_empty());
        assert_eq!(
            run(Quirks::Faithful, false).unwrap().predictions,
            vec![90.0, 90.0]
        );
        // One failure among several: fixed counts it and predicts the last observed value.
        let mut bad = test.to_vec();
        bad[1].curves = vec![(CurveMetric::ValAcc, vec![40.0, 50.0, 56.0])];
        let mut rng = naspred_eval::PredictorRng::seed_from_u64(5);
        let mut ctx = Context {
            space: SpaceKind::Nb201,
            dataset: Dataset::Cifar10,
            fidelity: Some(3),
            total_epochs: 200,
            unlabeled: &[],
            rng: &mut rng,
        };
        let mixed = query_curves("lce", &bad, &mut ctx, Quirks::Fixed, |y, _, _| {
            (y[2] < 0.555).then_some(0.9)
        })
        .unwrap();
        assert_eq!(mixed.predictions, vec![90.0, 56.0]);
        assert_eq!(mixed.failed, vec![1]);
        // Every extrapolation failed: an error naming the predictor (fixed); NB201's default
        // guess 85 + U(0, 1) (faithful).
        match run(Quirks::Fixed, true) {
            Err(PredictorError::QueryReason { key, reason }) => {
                assert_eq!(key, "lce");
                assert!(reason.contains("not finite"), "{reason}");
            }
            other => panic!("expected a query error, got {other:?}"),
        }
        let f = run(Quirks::Faithful, true).unwrap().predictions;
        assert!(f.iter().all(|v| (85.0..86.0).contains(v)), "{f:?}");
        assert_ne!(f[0], f[1], "independent noise per architecture");
        // The registry-facing defaults: `lce` is the fixed variant.
        assert_eq!(Lce::default().quirks(), Quirks::Fixed);
        assert_eq!(Lce::default().key(), "lce");
        assert_eq!(Lce::new(Quirks::Faithful).key(), "lce_faithful");
    }

    #[test]
    fn fixed_chain_stays_near_the_ml_ensemble() {
        // Weights move by 1e-4 per step, so the fixed chain's mean stays close to the
        // equal-weight ensemble of the four ML fits.
        let p = [0.92, 0.3, 1.5, 0.4];
        let y = synth(LceFamily::Mmf, &p, 20);
        let ml: f64 = LceFamily::ALL
            .iter()
            .map(|&f| {
                let q = fit_family(f, &y).unwrap();
                f.eval(&q[..f.n_params()], 50.0) / 4.0
            })
            .sum();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let pred = lce_extrapolate(&y, 50, 1000, Quirks::Fixed, &mut rng).unwrap();
        assert!((pred - ml).abs() < 0.05, "{pred} vs {ml}");
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let again = lce_extrapolate(&y, 50, 1000, Quirks::Fixed, &mut rng).unwrap();
        assert_eq!(pred, again);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert!(lce_extrapolate(&y, 50, 1000, Quirks::Faithful, &mut rng).is_some());
    }
}
