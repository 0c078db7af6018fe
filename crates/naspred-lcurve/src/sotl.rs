//! Sum-of-training-losses predictors (Ru et al.): `sotl`, `sotle`, `sotlema`.
//!
//! Each scores an architecture by minus a summary of its partial training-loss curve, so that
//! a lower training loss ranks higher. No training phase.

use naspred_data::CurveMetric;
use naspred_eval::{ArchInput, Context, Predictor, PredictorError, Requirements};

/// The summary of the partial training-loss curve a [`Sotl`] predictor reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SotlKind {
    /// `sotl`: minus the sum of the training losses of the observed epochs.
    Sum,
    /// `sotle`: minus the training loss of the last observed epoch.
    LastEpoch,
    /// `sotlema`: minus the sum of an exponential moving average of the losses
    /// (`e_0 = l_0`, `e_t = 0.01 e_{t-1} + 0.99 l_t`), as NASLib's `SoTLEMA`.
    Ema,
}

/// Smoothing factor of the previous EMA value in `sotlema` (NASLib's `gamma = 0.99` weights
/// the new loss).
const EMA_DECAY: f64 = 0.01;

impl SotlKind {
    /// The NASLib key.
    pub fn key(self) -> &'static str {
        match self {
            SotlKind::Sum => "sotl",
            SotlKind::LastEpoch => "sotle",
            SotlKind::Ema => "sotlema",
        }
    }

    /// The score of one partial training-loss curve (higher is better); `None` for an empty
    /// curve.
    pub fn score(self, losses: &[f64]) -> Option<f64> {
        let (&first, _) = losses.split_first()?;
        Some(match self {
            SotlKind::Sum => -losses.iter().sum::<f64>(),
            SotlKind::LastEpoch => -losses[losses.len() - 1],
            SotlKind::Ema => {
                let mut e = first;
                let mut total = first;
                for &l in &losses[1..] {
                    e = EMA_DECAY * e + (1.0 - EMA_DECAY) * l;
                    total += e;
                }
                -total
            }
        })
    }
}

/// The SoTL family of learning-curve predictors (see [`SotlKind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sotl {
    kind: SotlKind,
}

impl Sotl {
    /// A predictor of the given kind.
    pub fn new(kind: SotlKind) -> Self {
        Sotl { kind }
    }

    /// `sotl`.
    pub fn sum() -> Self {
        Sotl::new(SotlKind::Sum)
    }

    /// `sotle`.
    pub fn last_epoch() -> Self {
        Sotl::new(SotlKind::LastEpoch)
    }

    /// `sotlema`.
    pub fn ema() -> Self {
        Sotl::new(SotlKind::Ema)
    }

    /// The summary it computes.
    pub fn kind(&self) -> SotlKind {
        self.kind
    }
}

impl Predictor for Sotl {
    fn key(&self) -> &str {
        self.kind.key()
    }

    fn requirements(&self) -> Requirements {
        Requirements::learning_curve(CurveMetric::TrainLoss)
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
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        test.iter()
            .map(|a| {
                a.curve(CurveMetric::TrainLoss)
                    .and_then(|c| self.kind.score(c))
                    .ok_or_else(|| PredictorError::MissingInput {
                        key: self.kind.key().to_string(),
                        what: format!("train_loss curve of {}", a.arch),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_of_a_small_curve() {
        let l = [3.0, 2.0, 1.5];
        assert_eq!(SotlKind::Sum.score(&l), Some(-6.5));
        assert_eq!(SotlKind::LastEpoch.score(&l), Some(-1.5));
        let e1 = 0.01 * 3.0 + 0.99 * 2.0;
        let e2 = 0.01 * e1 + 0.99 * 1.5;
        let ema = SotlKind::Ema.score(&l).unwrap();
        assert!((ema + (3.0 + e1 + e2)).abs() < 1e-12);
        assert_eq!(SotlKind::Sum.score(&[]), None);
    }
}
