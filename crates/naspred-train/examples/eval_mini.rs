//! Evaluates predictors on a benchmark file written by `naspred train`, with the study's
//! protocol (what `naspred evaluate --bench FILE` runs), using the learning-curve, zero-cost
//! and weight-sharing predictors (no model-based ones, so it builds without XGBoost /
//! LightGBM).
//!
//! `eval_mini eval BENCH PREDICTORS FIDELITIES TRAIN_SIZE TEST_SIZE TRIALS OUT_DIR`
//! `eval_mini zc ARCHS PROXIES` (fills the zero-cost score cache for an architecture list)

use std::path::Path;

use naspred_data::Dataset;
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, RunOptions};
use naspred_eval::records::{render_table, summarise, write_summary_csv};
use naspred_eval::{
    ArchInput, Context, Predictor, PredictorError, PredictorFactory, PredictorRng, Requirements,
};
use naspred_lcurve::{EarlyStopping, LcSvr, Lce, Sotl};
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_train::{WsMode, WsPredictor};
use naspred_zerocost::{Proxy, ZeroCostPredictor};
use rand::SeedableRng;

struct Factory;

fn zc(key: &str) -> Option<Box<dyn Predictor>> {
    let (k, p): (&'static str, Proxy) = match key {
        "jacov" => ("jacov", Proxy::Jacov),
        "snip" => ("snip", Proxy::Snip),
        "grad_norm" => ("grad_norm", Proxy::GradNorm),
        "synflow" => ("synflow", Proxy::Synflow),
        "nwot" => ("nwot", Proxy::Nwot),
        "l2_norm" => ("l2_norm", Proxy::L2Norm),
        "flops" => ("flops", Proxy::Flops),
        "zc_params" => ("zc_params", Proxy::Params),
        "fisher" => ("fisher", Proxy::Fisher),
        "grasp" => ("grasp", Proxy::Grasp),
        "plain" => ("plain", Proxy::Plain),
        "epe_nas" => ("epe_nas", Proxy::EpeNas),
        "zen" => ("zen", Proxy::Zen),
        _ => return None,
    };
    Some(Box::new(ZeroCostPredictor::new(k, p)))
}

impl PredictorFactory for Factory {
    fn build(
        &self,
        key: &str,
        _space: SpaceKind,
        _dataset: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        Ok(match key {
            "valacc" => Box::new(EarlyStopping::val_acc()),
            "valloss" => Box::new(EarlyStopping::val_loss()),
            "sotl" => Box::new(Sotl::sum()),
            "sotle" => Box::new(Sotl::last_epoch()),
            "lce" => Box::new(Lce::default()),
            "lcsvr" => Box::new(LcSvr::default()),
            "oneshot" => Box::new(WsPredictor::new("oneshot", WsMode::OneShot)),
            "rsws" => Box::new(WsPredictor::new("rsws", WsMode::RandomSampling)),
            other => zc(other).ok_or_else(|| PredictorError::UnknownKey {
                key: other.to_string(),
                known: "valacc, valloss, sotl, sotle, lce, lcsvr, oneshot, rsws, zero-cost keys"
                    .into(),
            })?,
        })
    }

    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError> {
        Ok(self
            .build(key, SpaceKind::Nb201, Dataset::Cifar10)?
            .requirements())
    }
}

fn list<T: std::str::FromStr>(s: &str) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    s.split(',').map(|x| x.trim().parse().unwrap()).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    tch::set_num_threads(1);
    match a.first().map(String::as_str) {
        Some("zc") => {
            let archs: Vec<ArchInput> = std::fs::read_to_string(&a[1])?
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| AnyArch::parse(SpaceKind::Nb201, l.trim()).map(ArchInput::bare))
                .collect::<Result<_, _>>()?;
            for key in a[2].split(',') {
                let mut p = zc(key).ok_or("unknown proxy")?;
                let mut rng = PredictorRng::seed_from_u64(0);
                let mut ctx = Context {
                    space: SpaceKind::Nb201,
                    dataset: Dataset::Cifar10,
                    fidelity: None,
                    total_epochs: 200,
                    unlabeled: &[],
                    rng: &mut rng,
                };
                let t = std::time::Instant::now();
                p.query(&archs, &mut ctx)?;
                eprintln!(
                    "{key}: {:.1} s for {}",
                    t.elapsed().as_secs_f64(),
                    archs.len()
                );
            }
            Ok(())
        }
        Some("eval") => {
            let bench = naspred_train::bench::read_benchmark(Path::new(&a[1]))?;
            let predictors: Vec<String> = a[2].split(',').map(str::to_string).collect();
            let mut cfg = EvalConfig::study_defaults(SpaceKind::Nb201, predictors.clone());
            cfg.fidelities = Some(list(&a[3]));
            cfg.train_sizes = list(&a[4]);
            cfg.test_size = a[5].parse()?;
            cfg.trials = a[6].parse()?;
            cfg.hpo = HpoConfig {
                enabled: false,
                ..HpoConfig::default()
            };
            let out = Path::new(&a[7]);
            std::fs::create_dir_all(out)?;
            let t = std::time::Instant::now();
            let recs = protocol::run(
                &bench,
                &cfg,
                &Factory,
                &RunOptions {
                    results: Some(out.join("results.jsonl")),
                    progress: None,
                    ..Default::default()
                },
            )?;
            let rows = summarise(&recs, &predictors);
            write_summary_csv(&rows, &out.join("summary.csv"))?;
            println!("{}", render_table(&rows));
            eprintln!("{:.1} s", t.elapsed().as_secs_f64());
            Ok(())
        }
        _ => Err("usage: eval_mini eval|zc ...".into()),
    }
}
