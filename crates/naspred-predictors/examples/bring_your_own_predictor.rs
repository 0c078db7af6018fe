//! Bring your own predictor: implement [`Predictor`] for a model of your own and evaluate it
//! with the study's protocol next to `xgb` and `gcn` from the registry, on the NAS-Bench-201
//! CIFAR-10 table bundled with `naspred-data`.
//!
//! ```text
//! cargo run --release -p naspred-predictors --example bring_your_own_predictor [OUT_DIR]
//! ```
//!
//! It writes the usual records: `OUT_DIR/results.jsonl` (one JSON line per predictor, trial and
//! train size, appended as they finish, so an interrupted run resumes where it stopped) and
//! `OUT_DIR/summary.csv` (mean and standard error over trials), and prints the summary table.
//! `OUT_DIR` defaults to `out/bring_your_own_predictor`.

use std::error::Error;
use std::path::PathBuf;

use naspred_data::{embedded, Dataset};
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, RunOptions};
use naspred_eval::records::{render_table, summarise, write_summary_csv};
use naspred_eval::{ArchInput, Context, Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_predictors::Registry;
use naspred_spaces::{EncodingKind, Quirks, SpaceKind};

/// k-nearest neighbours on the one-hot adjacency encoding: an architecture's score is the mean
/// accuracy of the `k` training architectures closest to it in Hamming distance.
struct Knn {
    k: usize,
    train: Vec<(Vec<f32>, f64)>,
}

impl Knn {
    fn new(k: usize) -> Self {
        Knn {
            k,
            train: Vec::new(),
        }
    }

    fn encode(&self, a: &ArchInput) -> Result<Vec<f32>, PredictorError> {
        let enc = a
            .arch
            .encode(EncodingKind::AdjacencyOneHot, Quirks::Fixed)
            .map_err(|e| PredictorError::fit(self.key(), e))?;
        Ok(enc.flatten())
    }
}

impl Predictor for Knn {
    fn key(&self) -> &str {
        "knn"
    }

    fn requirements(&self) -> Requirements {
        // Trained on (encoding, accuracy) pairs like every model-based predictor.
        Requirements::model_based()
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        _ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        self.train = train
            .iter()
            .zip(y)
            .map(|(a, &y)| Ok((self.encode(a)?, y)))
            .collect::<Result<_, PredictorError>>()?;
        Ok(())
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        test.iter()
            .map(|a| {
                let x = self.encode(a)?;
                let mut by_distance: Vec<(f32, f64)> = self
                    .train
                    .iter()
                    .map(|(t, y)| (x.iter().zip(t).map(|(p, q)| (p - q).abs()).sum(), *y))
                    .collect();
                by_distance.sort_by(|p, q| p.0.total_cmp(&q.0));
                let near = &by_distance[..self.k.min(by_distance.len()).max(1)];
                Ok(near.iter().map(|(_, y)| y).sum::<f64>() / near.len() as f64)
            })
            .collect()
    }
}

/// The registry's predictors plus ours: the protocol builds a fresh predictor per evaluation
/// point through this factory.
struct WithKnn(Registry);

impl PredictorFactory for WithKnn {
    fn build(
        &self,
        key: &str,
        space: SpaceKind,
        dataset: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        match key {
            "knn" => Ok(Box::new(Knn::new(5))),
            _ => self.0.build(key, space, dataset),
        }
    }

    fn requirements(&self, key: &str) -> Result<Requirements, PredictorError> {
        match key {
            "knn" => Ok(Knn::new(5).requirements()),
            _ => self.0.requirements(key),
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("out/bring_your_own_predictor"));
    std::fs::create_dir_all(&out)?;

    let bench = embedded::load_bundled(Dataset::Cifar10)?;
    let predictors: Vec<String> = ["knn", "xgb", "gcn"].map(String::from).to_vec();
    let mut cfg = EvalConfig::study_defaults(SpaceKind::Nb201, predictors.clone());
    cfg.train_sizes = vec![20, 100];
    cfg.trials = 3;
    cfg.hpo = HpoConfig {
        enabled: false,
        ..HpoConfig::default()
    };
    let opts = RunOptions {
        results: Some(out.join("results.jsonl")),
        ..RunOptions::default()
    };
    let records = protocol::run(&bench, &cfg, &WithKnn(Registry::default()), &opts)?;

    let rows = summarise(&records, &predictors);
    write_summary_csv(&rows, &out.join("summary.csv"))?;
    println!("{}", render_table(&rows));
    println!(
        "{} records in {}",
        records.len(),
        out.join("results.jsonl").display()
    );
    Ok(())
}
