//! A libtorch error inside a predictor (a tch method without the `f_` prefix panics) becomes
//! that evaluation point's record error: the sweep finishes, and the other predictors' records
//! are those of a sweep without the failing one.

use naspred::Registry;
use naspred_data::{shared, Benchmark, DataRoot, Dataset};
use naspred_eval::protocol::{run, EvalConfig, RunOptions};
use naspred_eval::{
    ArchInput, Context, Predictor, PredictorError, PredictorFactory, Requirements, ResultRecord,
};
use naspred_spaces::SpaceKind;
use tch::Tensor;

/// Multiplies tensors of mismatched shapes with `Tensor::matmul` (not `f_matmul`), in its fit
/// or in its query.
struct TorchBad {
    key: &'static str,
    in_fit: bool,
}

impl TorchBad {
    fn boom() {
        let a = Tensor::zeros([2, 3], (tch::Kind::Float, tch::Device::Cpu));
        let b = Tensor::zeros([4, 5], (tch::Kind::Float, tch::Device::Cpu));
        let _ = a.matmul(&b);
    }
}

impl Predictor for TorchBad {
    fn key(&self) -> &str {
        self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements::model_based()
    }

    fn fit(
        &mut self,
        _train: &[ArchInput],
        _y: &[f64],
        _ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        if self.in_fit {
            Self::boom();
        }
        Ok(())
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        Self::boom();
        Ok(vec![0.0; test.len()])
    }
}

/// The registry plus the two failing predictors.
struct WithTorchBad;

impl PredictorFactory for WithTorchBad {
    fn build(
        &self,
        key: &str,
        space: SpaceKind,
        dataset: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        match key {
            "torch_bad_fit" => Ok(Box::new(TorchBad {
                key: "torch_bad_fit",
                in_fit: true,
            })),
            "torch_bad_query" => Ok(Box::new(TorchBad {
                key: "torch_bad_query",
                in_fit: false,
            })),
            _ => Registry::default().build(key, space, dataset),
        }
    }

    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError> {
        Ok(self
            .build(key, SpaceKind::Nb201, Dataset::Cifar10)?
            .requirements())
    }
}

fn nb201() -> Benchmark {
    shared::load(&DataRoot::resolve(None), SpaceKind::Nb201, Dataset::Cifar10)
        .expect("NAS-Bench-201 data (data/nb201.bin.gz, or NASPRED_DATA)")
}

fn config(predictors: &[&str]) -> EvalConfig {
    let mut cfg = EvalConfig {
        train_sizes: vec![10, 20],
        test_size: 50,
        trials: 2,
        seed: 3,
        ..EvalConfig::study_defaults(
            SpaceKind::Nb201,
            predictors.iter().map(|p| p.to_string()).collect(),
        )
    };
    cfg.hpo.enabled = false;
    cfg
}

fn of<'a>(records: &'a [ResultRecord], key: &str) -> Vec<&'a ResultRecord> {
    records.iter().filter(|r| r.predictor == key).collect()
}

#[test]
fn a_libtorch_error_becomes_the_record_error_and_the_sweep_goes_on() {
    let bench = nb201();
    let all = ["torch_bad_fit", "xgb", "torch_bad_query", "params"];
    let records =
        run(&bench, &config(&all), &WithTorchBad, &RunOptions::default()).expect("the sweep runs");
    for (key, phase) in [("torch_bad_fit", "fit"), ("torch_bad_query", "query")] {
        let failed = of(&records, key);
        assert_eq!(failed.len(), 4, "{key}: 2 trials x 2 train sizes");
        for r in failed {
            let e = r
                .error
                .as_deref()
                .unwrap_or_else(|| panic!("{key}: no error"));
            assert!(e.starts_with(&format!("{key}: panicked: ")), "{phase}: {e}");
            // tch's text of the libtorch error.
            assert!(e.contains("Torch"), "{phase}: {e}");
            assert!(e.contains("cannot be multiplied"), "{phase}: {e}");
            // Without libtorch's C++ stack frames.
            assert!(!e.contains("frame #"), "{phase}: {e}");
            assert!(r.metrics.kendalltau.is_nan());
        }
    }
    // The query failure comes after a fit that took its (timed) course.
    assert!(of(&records, "torch_bad_query")
        .iter()
        .all(|r| r.fit_time_s.is_finite()));

    // The working predictors' records are intact: those of a sweep without the failing ones.
    let alone = run(
        &bench,
        &config(&["xgb", "params"]),
        &WithTorchBad,
        &RunOptions::default(),
    )
    .expect("the sweep runs");
    for key in ["xgb", "params"] {
        let (with, without) = (of(&records, key), of(&alone, key));
        assert!(!with.is_empty());
        assert_eq!(with.len(), without.len(), "{key}");
        for (a, b) in with.iter().zip(&without) {
            assert!(a.error.is_none(), "{key}: {:?}", a.error);
            assert_eq!(a.key(), b.key());
            // Debug text: bit-identical values, NaN included.
            assert_eq!(
                format!("{:?}", a.metrics),
                format!("{:?}", b.metrics),
                "{key} n={}",
                a.train_size
            );
            assert!(a.metrics.kendalltau.is_finite(), "{key}");
        }
    }
}

#[test]
fn a_typed_error_reaches_the_record_with_its_sources() {
    // NB201 with an out-of-range GCN hyperparameter would be a typed neural error; here a
    // simpler one: a fit error built from an I/O error keeps the I/O text in the record.
    struct IoFail;
    impl Predictor for IoFail {
        fn key(&self) -> &str {
            "io_fail"
        }
        fn requirements(&self) -> Requirements {
            Requirements::model_based()
        }
        fn fit(
            &mut self,
            _: &[ArchInput],
            _: &[f64],
            _: &mut Context<'_>,
        ) -> Result<(), PredictorError> {
            Err(PredictorError::fit(
                "io_fail",
                std::io::Error::other("cache file is locked"),
            ))
        }
        fn query(
            &mut self,
            _: &[ArchInput],
            _: &mut Context<'_>,
        ) -> Result<Vec<f64>, PredictorError> {
            Err(PredictorError::NotFitted {
                key: "io_fail".into(),
            })
        }
    }
    struct F;
    impl PredictorFactory for F {
        fn build(
            &self,
            _: &str,
            _: SpaceKind,
            _: Dataset,
        ) -> Result<Box<dyn Predictor>, PredictorError> {
            Ok(Box::new(IoFail))
        }
        fn requirements(&self, _: &str) -> Result<Requirements, PredictorError> {
            Ok(Requirements::model_based())
        }
    }
    let bench = nb201();
    let mut cfg = config(&["io_fail"]);
    cfg.trials = 1;
    let records = run(&bench, &cfg, &F, &RunOptions::default()).expect("the sweep runs");
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(
            r.error.as_deref(),
            Some("io_fail: fit failed: cache file is locked")
        );
    }
}
