//! The benchmark table: what a NAS benchmark really holds for each architecture.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use naspred_spaces::{AnyArch, ArchHash, SpaceKind};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::DataError;

/// The datasets of the study.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dataset {
    /// CIFAR-10 (NB201: the `cifar10-valid` split's validation accuracy).
    #[serde(rename = "cifar10")]
    Cifar10,
    /// CIFAR-100.
    #[serde(rename = "cifar100")]
    Cifar100,
    /// ImageNet16-120 (downsampled ImageNet, 120 classes).
    #[serde(rename = "ImageNet16-120")]
    ImageNet16_120,
    /// WikiText-2 (NAS-Bench-NLP runs shared with this project).
    #[serde(rename = "wikitext2")]
    Wikitext2,
    /// Penn Treebank (NASLib's `nb_nlp.pickle`).
    #[serde(rename = "ptb")]
    Ptb,
}

impl Dataset {
    /// The canonical name (`cifar10`, `cifar100`, `ImageNet16-120`, `wikitext2`, `ptb`).
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Cifar10 => "cifar10",
            Dataset::Cifar100 => "cifar100",
            Dataset::ImageNet16_120 => "ImageNet16-120",
            Dataset::Wikitext2 => "wikitext2",
            Dataset::Ptb => "ptb",
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dataset {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "cifar10" | "cifar10valid" => Ok(Dataset::Cifar10),
            "cifar100" => Ok(Dataset::Cifar100),
            "imagenet16120" | "imagenet16" | "imagenet" => Ok(Dataset::ImageNet16_120),
            "wikitext2" | "wikitext" => Ok(Dataset::Wikitext2),
            "ptb" | "penntreebank" => Ok(Dataset::Ptb),
            _ => Err(DataError::UnknownDataset(s.to_string())),
        }
    }
}

/// Which learning curve a predictor reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveMetric {
    /// Validation accuracy in percent (NLP: 100 - validation loss).
    ValAcc,
    /// Validation loss.
    ValLoss,
    /// Training loss.
    TrainLoss,
}

impl CurveMetric {
    /// Short name (`val_acc`, `val_loss`, `train_loss`).
    pub fn name(self) -> &'static str {
        match self {
            CurveMetric::ValAcc => "val_acc",
            CurveMetric::ValLoss => "val_loss",
            CurveMetric::TrainLoss => "train_loss",
        }
    }
}

impl fmt::Display for CurveMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-epoch learning curves; entry `e` belongs to epoch `e + 1`. Missing curves are empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// Validation accuracy in percent (NLP: 100 - validation loss).
    pub val_acc: Vec<f64>,
    /// Validation loss.
    pub val_loss: Vec<f64>,
    /// Training loss.
    pub train_loss: Vec<f64>,
    /// Wall time of each epoch in seconds.
    pub epoch_times_s: Vec<f64>,
}

impl Curves {
    /// The curve of `metric` (empty when the benchmark does not record it).
    pub fn get(&self, metric: CurveMetric) -> &[f64] {
        match metric {
            CurveMetric::ValAcc => &self.val_acc,
            CurveMetric::ValLoss => &self.val_loss,
            CurveMetric::TrainLoss => &self.train_loss,
        }
    }
}

/// A low-fidelity measurement: validation accuracy after a separate, shorter training run
/// (NB101's 4/12/36-epoch budgets, NB201's 12-epoch schedule).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FidelityPoint {
    /// Training epochs of that run.
    pub epochs: u32,
    /// Validation accuracy in percent.
    pub val_acc: f64,
}

/// How the regression target is drawn from the per-seed final accuracies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetMode {
    /// Mean over the training seeds (default; deterministic).
    #[default]
    MeanOverSeeds,
    /// One seed drawn at random on every query, as NASLib's NB101 API does.
    RandomSeed,
}

/// Everything the benchmark holds about one architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchRecord {
    /// The architecture.
    pub arch: AnyArch,
    /// Its canonical hash (cached).
    pub hash: ArchHash,
    /// Final validation accuracy in percent, one entry per training seed (NLP: 100 - final
    /// validation loss).
    pub val_acc: Vec<f64>,
    /// Final test accuracy in percent, where the benchmark has it.
    pub test_acc: Option<f64>,
    /// Wall time of the full training run in seconds.
    pub train_time_s: Option<f64>,
    /// Parameters in millions.
    pub params_m: Option<f64>,
    /// Inference latency in seconds.
    pub latency_s: Option<f64>,
    /// Low-fidelity runs, sorted by epochs.
    pub points: Vec<FidelityPoint>,
    /// Per-epoch curves, where the benchmark has them.
    pub curves: Option<Curves>,
}

impl ArchRecord {
    /// A record with only the architecture and its final accuracies.
    pub fn new(arch: AnyArch, val_acc: Vec<f64>) -> Self {
        let hash = arch.arch_hash();
        ArchRecord {
            arch,
            hash,
            val_acc,
            test_acc: None,
            train_time_s: None,
            params_m: None,
            latency_s: None,
            points: Vec::new(),
            curves: None,
        }
    }

    /// Mean final validation accuracy over the seeds (NaN if none).
    pub fn mean_val_acc(&self) -> f64 {
        let v: Vec<f64> = self
            .val_acc
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    }

    /// The regression target under `mode`.
    pub fn target<R: Rng + ?Sized>(&self, mode: TargetMode, rng: &mut R) -> f64 {
        match mode {
            TargetMode::MeanOverSeeds => self.mean_val_acc(),
            TargetMode::RandomSeed => {
                let v: Vec<f64> = self
                    .val_acc
                    .iter()
                    .copied()
                    .filter(|x| x.is_finite())
                    .collect();
                if v.is_empty() {
                    f64::NAN
                } else {
                    v[rng.random_range(0..v.len())]
                }
            }
        }
    }

    /// Wall time of one training epoch: the mean recorded epoch time, else the full training
    /// time divided by the schedule's epochs.
    pub fn epoch_time_s(&self, total_epochs: u32) -> Option<f64> {
        if let Some(c) = &self.curves {
            if !c.epoch_times_s.is_empty() {
                return Some(c.epoch_times_s.iter().sum::<f64>() / c.epoch_times_s.len() as f64);
            }
        }
        self.train_time_s.map(|t| t / total_epochs.max(1) as f64)
    }

    /// The first `epochs` entries of the per-epoch curve of `metric`, if it has that many.
    pub fn partial_curve(&self, metric: CurveMetric, epochs: u32) -> Option<&[f64]> {
        let c = self.curves.as_ref()?.get(metric);
        let e = epochs as usize;
        (e >= 1 && c.len() >= e).then(|| &c[..e])
    }

    /// Validation accuracy after `epochs` epochs: a per-epoch curve value, or a low-fidelity
    /// run of exactly that length.
    pub fn val_acc_at(&self, epochs: u32) -> Option<f64> {
        if let Some(c) = self.partial_curve(CurveMetric::ValAcc, epochs) {
            return c.last().copied();
        }
        self.points
            .iter()
            .find(|p| p.epochs == epochs)
            .map(|p| p.val_acc)
    }
}

/// Whether a benchmark holds every architecture its space's sampler can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Every architecture of the space is in the table (NB201): sample with the space's sampler.
    Full,
    /// Only a list of trained architectures (NB101 sample, DARTS, NLP): sample from the list.
    Sample,
}

/// Which fidelities a benchmark can serve for a curve metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FidelitySupport {
    /// Per-epoch curves of every record, up to this many epochs.
    PerEpoch(u32),
    /// Separate low-fidelity runs of these lengths (val accuracy only).
    Points(Vec<u32>),
    /// Nothing.
    None,
}

impl FidelitySupport {
    /// Whether fidelity `epochs` can be served.
    pub fn serves(&self, epochs: u32) -> bool {
        match self {
            FidelitySupport::PerEpoch(max) => epochs >= 1 && epochs <= *max,
            FidelitySupport::Points(p) => p.contains(&epochs),
            FidelitySupport::None => false,
        }
    }
}

impl fmt::Display for FidelitySupport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FidelitySupport::PerEpoch(m) => write!(f, "every epoch 1..={m}"),
            FidelitySupport::Points(p) => {
                let s: Vec<String> = p.iter().map(|e| e.to_string()).collect();
                write!(f, "epochs {}", s.join(", "))
            }
            FidelitySupport::None => f.write_str("no fidelities"),
        }
    }
}

/// One benchmark: a space, a dataset and the records of its trained architectures.
#[derive(Clone, Debug)]
pub struct Benchmark {
    space: SpaceKind,
    dataset: Dataset,
    total_epochs: u32,
    coverage: Coverage,
    source: String,
    records: Vec<ArchRecord>,
    index: HashMap<ArchHash, usize>,
    duplicates: usize,
    warnings: Vec<String>,
}

impl Benchmark {
    /// Builds a benchmark. Records whose hash repeats an earlier one are dropped (counted in
    /// [`Benchmark::duplicates`]); records without any finite final accuracy are an error.
    pub fn new(
        space: SpaceKind,
        dataset: Dataset,
        total_epochs: u32,
        coverage: Coverage,
        source: impl Into<String>,
        records: Vec<ArchRecord>,
    ) -> Result<Benchmark, DataError> {
        let source = source.into();
        let mut index = HashMap::with_capacity(records.len());
        let mut kept = Vec::with_capacity(records.len());
        let mut duplicates = 0;
        for r in records {
            if r.arch.space() != space {
                return Err(DataError::Unservable(format!(
                    "{source}: record {} is a {} architecture in a {space} benchmark",
                    kept.len(),
                    r.arch.space()
                )));
            }
            if !r.mean_val_acc().is_finite() {
                return Err(DataError::Unservable(format!(
                    "{source}: architecture {} has no finite final validation accuracy",
                    r.arch
                )));
            }
            if index.contains_key(&r.hash) {
                duplicates += 1;
                continue;
            }
            index.insert(r.hash, kept.len());
            kept.push(r);
        }
        if kept.is_empty() {
            return Err(DataError::Unservable(format!("{source}: no architectures")));
        }
        Ok(Benchmark {
            space,
            dataset,
            total_epochs,
            coverage,
            source,
            records: kept,
            index,
            duplicates,
            warnings: Vec::new(),
        })
    }

    /// The search space.
    pub fn space(&self) -> SpaceKind {
        self.space
    }

    /// The dataset.
    pub fn dataset(&self) -> Dataset {
        self.dataset
    }

    /// Epochs of the full training schedule (NB201 200, NB101 108, DARTS 98, NLP 50).
    pub fn total_epochs(&self) -> u32 {
        self.total_epochs
    }

    /// Whether the table covers the whole space.
    pub fn coverage(&self) -> Coverage {
        self.coverage
    }

    /// Where the data came from (a path or `embedded`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// All records.
    pub fn records(&self) -> &[ArchRecord] {
        &self.records
    }

    /// Number of distinct architectures.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the benchmark is empty (never true for a constructed benchmark).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// What the loader noticed but did not refuse (a reference file that holds fewer
    /// architectures than it should, for instance); the CLI prints them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Adds a warning (see [`Benchmark::warnings`]).
    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// Records dropped at construction because their hash repeated an earlier record's.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// The record of an architecture hash.
    pub fn get(&self, hash: &ArchHash) -> Option<&ArchRecord> {
        self.index.get(hash).map(|&i| &self.records[i])
    }

    /// The position of an architecture hash in [`Benchmark::records`].
    pub fn position(&self, hash: &ArchHash) -> Option<usize> {
        self.index.get(hash).copied()
    }

    /// The record of an architecture.
    pub fn lookup(&self, arch: &AnyArch) -> Option<&ArchRecord> {
        self.get(&arch.arch_hash())
    }

    /// Which fidelities of `metric` every record can serve.
    pub fn fidelity_support(&self, metric: CurveMetric) -> FidelitySupport {
        let min_curve = self
            .records
            .iter()
            .map(|r| r.curves.as_ref().map_or(0, |c| c.get(metric).len()))
            .min()
            .unwrap_or(0);
        if min_curve > 0 {
            return FidelitySupport::PerEpoch(min_curve as u32);
        }
        if metric != CurveMetric::ValAcc {
            return FidelitySupport::None;
        }
        let mut common: Option<Vec<u32>> = None;
        for r in &self.records {
            let mine: Vec<u32> = r.points.iter().map(|p| p.epochs).collect();
            common = Some(match common {
                None => mine,
                Some(c) => c.into_iter().filter(|e| mine.contains(e)).collect(),
            });
        }
        match common {
            Some(c) if !c.is_empty() => FidelitySupport::Points(c),
            _ => FidelitySupport::None,
        }
    }

    /// Whether every record has a training time.
    pub fn has_train_times(&self) -> bool {
        self.records.iter().all(|r| r.train_time_s.is_some())
    }

    /// Whether every record has a parameter count.
    pub fn has_params(&self) -> bool {
        self.records.iter().all(|r| r.params_m.is_some())
    }

    /// A uniformly random record (with replacement), as NASLib samples DARTS / NLP.
    pub fn sample_record<R: Rng + ?Sized>(&self, rng: &mut R) -> &ArchRecord {
        &self.records[rng.random_range(0..self.records.len())]
    }
}
