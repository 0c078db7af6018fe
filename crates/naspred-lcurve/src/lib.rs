//! Learning-curve and hybrid predictors for naspred.
//!
//! ```
//! use naspred_data::{embedded, CurveMetric, Dataset};
//! use naspred_eval::metrics::kendall_tau_b;
//! use naspred_eval::{ArchInput, Context, Predictor, PredictorRng};
//! use naspred_lcurve::EarlyStopping;
//! use naspred_spaces::SpaceKind;
//! use rand::SeedableRng;
//!
//! // Rank 500 NAS-Bench-201 architectures by their validation accuracy after 12 of 200 epochs
//! // (the bundled table has NAS-Bench-201's separate 12-epoch runs: a one-value curve).
//! let bench = embedded::load_bundled(Dataset::Cifar10)?;
//! let fidelity = 12;
//! let mut test = Vec::new();
//! let mut y = Vec::new();
//! for r in bench.records().iter().step_by(31).take(500) {
//!     let at_12 = r.val_acc_at(fidelity).ok_or("no 12-epoch run")?;
//!     let mut input = ArchInput::bare(r.arch.clone());
//!     input.curves.push((CurveMetric::ValAcc, vec![at_12]));
//!     test.push(input);
//!     y.push(r.mean_val_acc());
//! }
//! let mut rng = PredictorRng::seed_from_u64(0);
//! let mut ctx = Context {
//!     space: SpaceKind::Nb201,
//!     dataset: Dataset::Cifar10,
//!     fidelity: Some(fidelity),
//!     total_epochs: bench.total_epochs(),
//!     unlabeled: &[],
//!     rng: &mut rng,
//! };
//! let scores = EarlyStopping::val_acc().query(&test, &mut ctx)?;
//! let tau = kendall_tau_b(&y, &scores);
//! println!("valacc at {fidelity} epochs: Kendall tau {tau:.3}");
//! assert!(tau > 0.5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Principal types
//!
//! * [`EarlyStopping`]: NASLib's `valacc` / `valloss` predictors. They have no training phase:
//!   each queried architecture is scored by the last observed value of its partial learning
//!   curve (validation accuracy, or minus the validation loss), i.e. the architecture is
//!   trained for `fidelity` epochs and ranked by where it stands then.
//! * [`Sotl`] ([`SotlKind`]): `sotl`, `sotle`, `sotlema`, minus the sum, the last value or the
//!   summed exponential moving average of the partial training-loss curve.
//! * [`Lce`]: `lce`, an ensemble of four parametric curve families ([`LceFamily`]) fitted by
//!   maximum likelihood and sampled by Metropolis-Hastings ([`lce_extrapolate`]). The default
//!   is the fixed variant (proper chain, failures reported); `lce_faithful` is NASLib's
//!   (parameters perturbed in place, failure -> default guess + U(0, 1)).
//! * [`LceM`]: `lce_m`, Domhan et al.'s model combination ([`LcemFamily`]) sampled with an
//!   affine-invariant ensemble sampler ([`mcmc::ensemble_sample`]), see [`lcem_extrapolate`];
//!   failures reported by default, NASLib's fallback as `lce_m_faithful`.
//!
//!   "Reported" (both fixed variants): a test curve whose extrapolation fails is predicted by
//!   its last observed value and counted in the results (`hp_failed_extrapolations`), so one
//!   bad curve does not void a trial; a query where every extrapolation fails is an error.
//! * [`LcSvr`]: the hybrid `lcsvr`, a ν-SVR ([`svr::NuSvr`]) on statistics of the partial
//!   validation-accuracy curve, trained on the training architectures' curves.
//!
//! The curves reach a predictor through [`naspred_eval::ArchInput::curve`], already truncated to
//! the fidelity by the evaluation protocol; where a benchmark has only separate low-fidelity
//! runs (NB201's 12-epoch schedule, NB101's 4/12/36-epoch budgets) the "curve" is the single
//! value of that run.
//!
//! LCE and LCE-m extrapolate every queried architecture independently, in parallel (rayon),
//! each with its own random stream derived from the predictor's, so results are deterministic
//! per seed.

pub mod curves;
mod early_stopping;
mod lce;
mod lce_m;
mod lcsvr;
pub mod mcmc;
mod optim;
mod sotl;
pub mod svr;

pub use curves::{CurveFamily, LceFamily, LcemFamily};
pub use early_stopping::EarlyStopping;
pub use lce::{fit_family, lce_extrapolate, LcSetting, Lce};
pub use lce_m::{fit_lcem_family, lcem_extrapolate, LceM, LcemConfig};
pub use lcsvr::{curve_features, LcSvr, N_FEATURES};
pub use sotl::{Sotl, SotlKind};
