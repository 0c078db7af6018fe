//! Benchmark-side reference predictors: `params` and `random`.

use naspred_eval::{ArchInput, Context, Predictor, PredictorError, Requirements};
use rand::Rng;

/// `params`: the architecture's parameter count as its score (bigger ranks higher), the
/// model-size baseline every zero-cost proxy should beat.
#[derive(Clone, Debug, Default)]
pub struct ParamsBaseline;

impl Predictor for ParamsBaseline {
    fn key(&self) -> &str {
        "params"
    }

    fn requirements(&self) -> Requirements {
        Requirements::baseline(true)
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
                a.params_m.ok_or_else(|| PredictorError::MissingInput {
                    key: "params".into(),
                    what: format!("parameter count of {}", a.arch),
                })
            })
            .collect()
    }
}

/// `random`: independent uniform scores; its Kendall tau is the chance level (about 0).
#[derive(Clone, Debug, Default)]
pub struct RandomBaseline;

impl Predictor for RandomBaseline {
    fn key(&self) -> &str {
        "random"
    }

    fn requirements(&self) -> Requirements {
        Requirements::baseline(false)
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
        Ok(test.iter().map(|_| ctx.rng.random::<f64>()).collect())
    }
}
