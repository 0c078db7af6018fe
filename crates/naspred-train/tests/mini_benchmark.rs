//! Cross-crate: the mini-benchmark the project trained itself (`data/train/nb201_mini.jsonl.gz`, made with
//! `naspred train`): it loads as a benchmark with full per-epoch curves, its late validation
//! accuracy ranks the architectures like the final one, and the evaluator runs learning-curve
//! predictors on it unchanged.

use std::path::PathBuf;

use naspred_data::{CurveMetric, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, RunOptions};
use naspred_eval::{Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_lcurve::{EarlyStopping, Sotl};
use naspred_spaces::SpaceKind;

/// The two learning-curve predictors of the test, by their registry keys.
struct Lc;

impl PredictorFactory for Lc {
    fn build(
        &self,
        key: &str,
        _: SpaceKind,
        _: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        match key {
            "valacc" => Ok(Box::new(EarlyStopping::val_acc())),
            "sotl" => Ok(Box::new(Sotl::sum())),
            _ => Err(PredictorError::UnknownKey {
                key: key.into(),
                known: "valacc, sotl".into(),
            }),
        }
    }

    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError> {
        Ok(self
            .build(key, SpaceKind::Nb201, Dataset::Cifar10)?
            .requirements())
    }
}

fn mini() -> naspred_data::Benchmark {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/train/nb201_mini.jsonl.gz");
    naspred_train::bench::read_benchmark(&p).expect("committed mini-benchmark")
}

#[test]
fn mini_benchmark_has_full_curves() {
    let b = mini();
    assert!(b.len() >= 75, "{} architectures", b.len());
    assert_eq!(b.space(), SpaceKind::Nb201);
    let e = b.total_epochs();
    for m in [
        CurveMetric::ValAcc,
        CurveMetric::ValLoss,
        CurveMetric::TrainLoss,
    ] {
        assert_eq!(
            b.fidelity_support(m),
            naspred_data::FidelitySupport::PerEpoch(e)
        );
    }
    assert!(b.has_train_times() && b.has_params());
    // Trained networks are better than chance, and not all alike.
    let finals: Vec<f64> = b.records().iter().map(|r| r.mean_val_acc()).collect();
    let best = finals.iter().cloned().fold(f64::MIN, f64::max);
    let worst = finals.iter().cloned().fold(f64::MAX, f64::min);
    assert!(best > 25.0 && best - worst > 10.0, "{worst}..{best}");
}

#[test]
fn late_val_acc_ranks_like_the_final_one() {
    let b = mini();
    let e = b.total_epochs();
    let y: Vec<f64> = b.records().iter().map(|r| r.mean_val_acc()).collect();
    let late: Vec<f64> = b
        .records()
        .iter()
        .map(|r| r.val_acc_at(e - 1).unwrap())
        .collect();
    let first: Vec<f64> = b
        .records()
        .iter()
        .map(|r| r.val_acc_at(1).unwrap())
        .collect();
    let tau_late = kendall_tau_b(&y, &late);
    let tau_first = kendall_tau_b(&y, &first);
    assert!(
        tau_late > 0.5,
        "tau(val acc at {} epochs) = {tau_late}",
        e - 1
    );
    assert!(tau_late > tau_first, "{tau_late} vs {tau_first}");
}

#[test]
fn evaluator_runs_learning_curve_predictors_on_it() {
    let b = mini();
    let mut cfg =
        EvalConfig::study_defaults(SpaceKind::Nb201, vec!["valacc".into(), "sotl".into()]);
    cfg.train_sizes = vec![10];
    cfg.fidelities = Some(vec![1, b.total_epochs() - 1]);
    cfg.test_size = 50;
    cfg.trials = 3;
    cfg.hpo = HpoConfig {
        enabled: false,
        ..HpoConfig::default()
    };
    let recs = protocol::run(&b, &cfg, &Lc, &RunOptions::default()).expect("run");
    let tau = |p: &str, f: u32| {
        let v: Vec<f64> = recs
            .iter()
            .filter(|r| r.predictor == p && r.fidelity == Some(f))
            .map(|r| r.metrics.kendalltau)
            .collect();
        assert_eq!(v.len(), 3, "{p} at {f}");
        v.iter().sum::<f64>() / v.len() as f64
    };
    let late = b.total_epochs() - 1;
    assert!(tau("valacc", late) > 0.5);
    assert!(tau("valacc", late) > tau("valacc", 1));
    assert!(tau("sotl", late) > 0.0);
}
