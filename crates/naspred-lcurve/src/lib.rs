//! Learning-curve predictors for naspred.
//!
//! # Principal types
//!
//! * [`EarlyStopping`]: NASLib's `valacc` / `valloss` predictors. They have no training phase:
//!   each queried architecture is scored by the last observed value of its partial learning
//!   curve (validation accuracy, or minus the validation loss), i.e. the architecture is
//!   trained for `fidelity` epochs and ranked by where it stands then.
//!
//! The curves reach a predictor through [`naspred_eval::ArchInput::curve`], already truncated to
//! the fidelity by the evaluation protocol; where a benchmark has only separate low-fidelity
//! runs (NB201's 12-epoch schedule, NB101's 4/12/36-epoch budgets) the "curve" is the single
//! value of that run.

mod early_stopping;

pub use early_stopping::EarlyStopping;
