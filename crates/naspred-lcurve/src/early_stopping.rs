use naspred_data::CurveMetric;
use naspred_eval::{ArchInput, Context, Predictor, PredictorError, Requirements};

/// Early stopping: the score of an architecture is the last value of its partial curve
/// (NASLib's `EarlyStopping`; `valacc` reads validation accuracy, `valloss` minus the
/// validation loss, so that higher is better for both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarlyStopping {
    metric: CurveMetric,
    key: &'static str,
}

impl EarlyStopping {
    /// `valacc`: validation accuracy at the fidelity.
    pub fn val_acc() -> Self {
        EarlyStopping {
            metric: CurveMetric::ValAcc,
            key: "valacc",
        }
    }

    /// `valloss`: minus the validation loss at the fidelity.
    pub fn val_loss() -> Self {
        EarlyStopping {
            metric: CurveMetric::ValLoss,
            key: "valloss",
        }
    }

    /// The curve read.
    pub fn metric(&self) -> CurveMetric {
        self.metric
    }
}

impl Predictor for EarlyStopping {
    fn key(&self) -> &str {
        self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements::learning_curve(self.metric)
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
                let last = a.curve(self.metric).and_then(|c| c.last().copied());
                match last {
                    Some(v) if self.metric == CurveMetric::ValLoss => Ok(-v),
                    Some(v) => Ok(v),
                    None => Err(PredictorError::MissingInput {
                        key: self.key.to_string(),
                        what: format!("{} curve of {}", self.metric, a.arch),
                    }),
                }
            })
            .collect()
    }
}
