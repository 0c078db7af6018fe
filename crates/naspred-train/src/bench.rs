//! Benchmarks made by training: per-architecture runs, the resumable run log and the
//! compact benchmark file.
//!
//! # Files
//!
//! * The run log (`<out>.runs.jsonl`, append-only): line 1 is the [`BenchHeader`] (what was
//!   trained and how), then one [`ArchRun`] per finished architecture, appended as soon as it
//!   finishes. A rerun with the same header skips the architectures already in the log; a
//!   different header is an error (delete the log to start over).
//! * The benchmark file (`<out>`, gzip-compressed JSON lines): the header, then the runs of
//!   the architecture list in its order. [`read_benchmark`] turns it into a
//!   [`naspred_data::Benchmark`] whose records carry the per-epoch curves (`val_acc`,
//!   `val_loss`, `train_loss`, epoch wall times), the final validation accuracy as the target,
//!   the training time and the parameter count, so every learning-curve predictor and the
//!   evaluator consume it unchanged.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use naspred_data::{ArchRecord, Benchmark, Coverage, Curves, Dataset};
use naspred_spaces::{AnyArch, SpaceKind};
use serde::{Deserialize, Serialize};

use crate::trainer::{EpochStats, TrainConfig};
use crate::TrainError;

/// Format tag of the header line.
pub const FORMAT: &str = "naspred-train-bench/1";

/// Size of the trained networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetSize {
    /// Channels of the first stage (NB201: 16).
    pub channels: i64,
    /// Cells per stage (NB201: 5).
    pub cells: usize,
    /// Image side (16 or 32).
    pub image_size: usize,
}

/// What a benchmark's runs share: space, dataset, data, network size and schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchHeader {
    /// [`FORMAT`].
    pub format: String,
    /// Search space name.
    pub space: String,
    /// Dataset the images come from.
    pub dataset: Dataset,
    /// Training images used.
    pub train_images: usize,
    /// Validation images.
    pub val_images: usize,
    /// Network size.
    pub net: NetSize,
    /// The schedule.
    pub train: TrainConfig,
    /// Where the images came from.
    pub data_source: String,
}

/// One architecture's training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchRun {
    /// The architecture's text form.
    pub arch: String,
    /// Trainable parameters of the trained network.
    pub params: i64,
    /// Per-epoch statistics.
    pub epochs: Vec<EpochStats>,
}

impl ArchRun {
    /// The benchmark record of this run (final validation accuracy = last epoch's).
    pub fn to_record(&self, space: SpaceKind) -> Result<ArchRecord, TrainError> {
        let arch = AnyArch::parse(space, &self.arch)
            .map_err(|e| TrainError::Format(format!("architecture {:?}: {e}", self.arch)))?;
        let last = self
            .epochs
            .last()
            .ok_or_else(|| TrainError::Format(format!("{}: a run without epochs", self.arch)))?;
        let mut r = ArchRecord::new(arch, vec![last.val_acc]);
        let curves = Curves {
            val_acc: self.epochs.iter().map(|e| e.val_acc).collect(),
            val_loss: self.epochs.iter().map(|e| e.val_loss).collect(),
            train_loss: self.epochs.iter().map(|e| e.train_loss).collect(),
            epoch_times_s: self.epochs.iter().map(|e| e.train_s).collect(),
        };
        r.train_time_s = Some(curves.epoch_times_s.iter().sum());
        r.params_m = Some(self.params as f64 / 1e6);
        r.curves = Some(curves);
        Ok(r)
    }
}

/// The run log next to a benchmark file: `<out>.runs.jsonl`.
pub fn log_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".runs.jsonl");
    PathBuf::from(s)
}

/// An append-only run log.
pub struct RunLog {
    path: PathBuf,
    runs: Vec<ArchRun>,
}

impl RunLog {
    /// Opens (or creates) the log at `path` for `header`: an existing log must have been
    /// written for the same header.
    pub fn open(path: &Path, header: &BenchHeader) -> Result<RunLog, TrainError> {
        let io = |e| TrainError::io(path, e);
        if !path.exists() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut f = File::create(path).map_err(io)?;
            writeln!(
                f,
                "{}",
                serde_json::to_string(header).expect("header serialises")
            )
            .map_err(io)?;
            return Ok(RunLog {
                path: path.to_path_buf(),
                runs: Vec::new(),
            });
        }
        let f = File::open(path).map_err(io)?;
        let mut lines = BufReader::new(f).lines();
        let first = lines
            .next()
            .ok_or_else(|| TrainError::Format(format!("{}: empty run log", path.display())))?
            .map_err(io)?;
        let old: BenchHeader = serde_json::from_str(&first).map_err(|e| {
            TrainError::Format(format!("{}: line 1 is not a header: {e}", path.display()))
        })?;
        if &old != header {
            return Err(TrainError::Config(format!(
                "{} was written for other settings ({}); delete it or use another --out",
                path.display(),
                serde_json::to_string(&old).unwrap_or_default()
            )));
        }
        let mut runs = Vec::new();
        for (i, line) in lines.enumerate() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<ArchRun>(&line) {
                Ok(r) => runs.push(r),
                // A torn last line (killed mid-write) is dropped; the arch is retrained.
                Err(e) => {
                    return Err(TrainError::Format(format!(
                        "{}: line {}: {e}",
                        path.display(),
                        i + 2
                    )))
                }
            }
        }
        Ok(RunLog {
            path: path.to_path_buf(),
            runs,
        })
    }

    /// The runs logged so far.
    pub fn runs(&self) -> &[ArchRun] {
        &self.runs
    }

    /// The run of `arch` (text form), if logged.
    pub fn get(&self, arch: &str) -> Option<&ArchRun> {
        self.runs.iter().find(|r| r.arch == arch)
    }

    /// Appends a finished run (flushed at once).
    pub fn append(&mut self, run: ArchRun) -> Result<(), TrainError> {
        let io = |e| TrainError::io(&self.path, e);
        let mut f = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        writeln!(
            f,
            "{}",
            serde_json::to_string(&run).expect("run serialises")
        )
        .map_err(io)?;
        f.flush().map_err(io)?;
        self.runs.push(run);
        Ok(())
    }
}

/// Writes the benchmark file (gzip JSON lines: header, then runs).
pub fn write_benchmark(
    path: &Path,
    header: &BenchHeader,
    runs: &[&ArchRun],
) -> Result<(), TrainError> {
    let io = |e| TrainError::io(path, e);
    let f = File::create(path).map_err(io)?;
    let mut w = GzEncoder::new(BufWriter::new(f), Compression::best());
    writeln!(
        w,
        "{}",
        serde_json::to_string(header).expect("header serialises")
    )
    .map_err(io)?;
    for r in runs {
        writeln!(w, "{}", serde_json::to_string(r).expect("run serialises")).map_err(io)?;
    }
    w.finish().map_err(io)?.flush().map_err(io)?;
    Ok(())
}

/// Reads a benchmark file's header and runs.
pub fn read_runs(path: &Path) -> Result<(BenchHeader, Vec<ArchRun>), TrainError> {
    let io = |e| TrainError::io(path, e);
    let f = File::open(path).map_err(io)?;
    let mut text = String::new();
    MultiGzDecoder::new(BufReader::new(f))
        .read_to_string(&mut text)
        .map_err(|e| {
            TrainError::Format(format!(
                "{}: not a gzip benchmark file: {e}",
                path.display()
            ))
        })?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines
        .next()
        .ok_or_else(|| TrainError::Format(format!("{}: empty benchmark file", path.display())))?;
    let header: BenchHeader = serde_json::from_str(first).map_err(|e| {
        TrainError::Format(format!("{}: line 1 is not a header: {e}", path.display()))
    })?;
    if header.format != FORMAT {
        return Err(TrainError::Format(format!(
            "{}: format {:?}, expected {FORMAT:?}",
            path.display(),
            header.format
        )));
    }
    let runs = lines
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| TrainError::Format(format!("{}: line {}: {e}", path.display(), i + 2)))
        })
        .collect::<Result<Vec<ArchRun>, _>>()?;
    Ok((header, runs))
}

/// Reads a benchmark file as a [`Benchmark`] (coverage: the trained sample; total epochs:
/// the schedule's).
pub fn read_benchmark(path: &Path) -> Result<Benchmark, TrainError> {
    let (header, runs) = read_runs(path)?;
    let space: SpaceKind = header
        .space
        .parse()
        .map_err(|e| TrainError::Format(format!("{}: space: {e}", path.display())))?;
    let records = runs
        .iter()
        .map(|r| r.to_record(space))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Benchmark::new(
        space,
        header.dataset,
        header.train.epochs,
        Coverage::Sample,
        path.display().to_string(),
        records,
    )?)
}
