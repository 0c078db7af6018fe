//! Result records: one JSON line per (predictor, space, dataset, trial, train size, fidelity),
//! written as produced, resumable, and aggregated to mean and standard error.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use naspred_data::{Dataset, TimeAccounting};
use naspred_spaces::SpaceKind;
use serde::{Deserialize, Serialize};

use crate::calibration::Calibration;
use crate::metrics::{MetricKind, Metrics};
use crate::predictor::Hyperparams;
use crate::sampling::TestSetMode;
use crate::EvalError;

/// Serialises non-finite floats as `null` and reads `null` back as NaN (JSON has no NaN).
pub mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialise.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    /// Deserialise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// One evaluation: a predictor fitted at one grid point of one trial and scored on the test set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// Predictor key.
    pub predictor: String,
    /// Search space.
    pub space: SpaceKind,
    /// Dataset.
    pub dataset: Dataset,
    /// Trial number (0-based).
    pub trial: usize,
    /// Seed of the trial's data stream.
    pub seed: u64,
    /// Training architectures used.
    pub train_size: usize,
    /// Epochs of the partial curves (learning-curve and hybrid predictors only).
    pub fidelity: Option<u32>,
    /// Test architectures.
    pub test_size: usize,
    /// How the sets were drawn.
    pub test_set: TestSetMode,
    /// Ranking and error metrics (NaN, written as null, when the evaluation failed).
    pub metrics: Metrics,
    /// Calibration of the predictive distribution, for predictors with an uncertainty.
    #[serde(default)]
    pub calibration: Option<Calibration>,
    /// Wall time of the fit (the predictor's initialisation), seconds, including any HPO.
    #[serde(with = "nan_as_null")]
    pub fit_time_s: f64,
    /// Wall time of the query per test architecture, seconds.
    #[serde(with = "nan_as_null")]
    pub query_time_s: f64,
    /// Benchmark initialisation time: what the training architectures cost under
    /// [`ResultRecord::time_accounting`], summed (seconds of GPU time in the benchmark). This
    /// is NASLib's logged `train_time`, the sum of its `TRAIN_TIME` over the training set:
    /// under [`TimeAccounting::Naslib`] an NB201 architecture costs the mean time of one epoch
    /// (NASLib's `cost_info['train_time']`), an NB101, DARTS or NLP architecture its full
    /// training run; under [`TimeAccounting::FullTraining`] every architecture costs its full
    /// run (NB201: 200 epochs, 200 times more). 0 for predictors that do not train; `None`
    /// when the benchmark has no training times. The paper's initialisation-time axis adds
    /// the fit time to it (see docs/measurements/time-axes.md).
    pub bench_init_time_s: Option<f64>,
    /// Benchmark query time per test architecture: fidelity x its per-epoch training time,
    /// averaged over the test set (learning-curve and hybrid predictors; 0 for the others).
    /// The same under both accountings. The paper's query-time axis adds the predictor's
    /// query time to it.
    pub bench_query_time_s: Option<f64>,
    /// The accounting of the two benchmark times. Records written before the field existed
    /// read back as [`TimeAccounting::FullTraining`], the accounting they were timed with.
    #[serde(default = "TimeAccounting::legacy")]
    pub time_accounting: TimeAccounting,
    /// The hyperparameters used for the final fit.
    pub hyperparams: Hyperparams,
    /// Best cross-validation score of the hyperparameter search, if one ran.
    pub cv_score: Option<f64>,
    /// Why the evaluation failed, if it did.
    pub error: Option<String>,
}

impl ResultRecord {
    /// The key that identifies this grid point for resuming.
    pub fn key(&self) -> RecordKey {
        RecordKey {
            predictor: self.predictor.clone(),
            trial: self.trial,
            train_size: self.train_size,
            fidelity: self.fidelity,
        }
    }
}

/// Identity of a grid point within one run configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    /// Predictor key.
    pub predictor: String,
    /// Trial.
    pub trial: usize,
    /// Train size.
    pub train_size: usize,
    /// Fidelity.
    pub fidelity: Option<u32>,
}

/// Appends records to `results.jsonl` as they are produced (one flush per record), so an
/// interrupted run loses nothing.
pub struct ResultWriter {
    path: PathBuf,
    file: Mutex<File>,
}

impl ResultWriter {
    /// Opens (creating if needed) `path` for appending, so that new records start on a line
    /// of their own: a last line without its newline is completed when it is a whole record
    /// (the write stopped just before the newline) and cut off when it is not (a torn write).
    pub fn append(path: &Path) -> Result<Self, EvalError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| EvalError::io(dir, e))?;
            }
        }
        if let Ok(bytes) = std::fs::read(path) {
            if !bytes.is_empty() && bytes.last() != Some(&b'\n') {
                let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let whole = std::str::from_utf8(&bytes[start..])
                    .ok()
                    .is_some_and(|l| serde_json::from_str::<ResultRecord>(l).is_ok());
                if whole {
                    let mut f = OpenOptions::new()
                        .append(true)
                        .open(path)
                        .map_err(|e| EvalError::io(path, e))?;
                    f.write_all(b"\n").map_err(|e| EvalError::io(path, e))?;
                } else {
                    std::fs::write(path, &bytes[..start]).map_err(|e| EvalError::io(path, e))?;
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| EvalError::io(path, e))?;
        Ok(ResultWriter {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Writes one record as a JSON line, newline included, in a single write to the file
    /// opened for appending (so concurrent writers never interleave within a record), and
    /// flushes it.
    pub fn write(&self, r: &ResultRecord) -> Result<(), EvalError> {
        let mut line = serde_json::to_string(r)
            .map_err(|e| EvalError::Data(format!("cannot serialise a result: {e}")))?;
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(line.as_bytes())
            .and_then(|_| f.flush())
            .map_err(|e| EvalError::io(&self.path, e))
    }
}

/// Reads the records of a `results.jsonl`. A truncated last line (an interrupted write) is
/// ignored; any other malformed line is an error naming its number.
pub fn read_records(path: &Path) -> Result<Vec<ResultRecord>, EvalError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(EvalError::io(path, e)),
    };
    let lines: Vec<String> = BufReader::new(f)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|e| EvalError::io(path, e))?;
    let mut out = Vec::with_capacity(lines.len());
    let last = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ResultRecord>(line) {
            Ok(r) => out.push(r),
            Err(_) if i + 1 == last => {} // interrupted while writing the last record
            Err(e) => {
                return Err(EvalError::Data(format!(
                    "{}: line {}: not a result record: {e}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    Ok(out)
}

/// Keys of the records already in `path` (for skipping finished work).
pub fn finished_keys(records: &[ResultRecord]) -> HashSet<RecordKey> {
    records.iter().map(ResultRecord::key).collect()
}

/// Mean and standard error of one metric at one grid point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanSe {
    /// Mean over trials with a finite value.
    pub mean: f64,
    /// Standard error of the mean (sample std / sqrt(n)); NaN for n < 2.
    pub se: f64,
    /// Trials with a finite value.
    pub n: usize,
}

impl MeanSe {
    /// Aggregates the finite values of `xs`.
    pub fn of(xs: impl IntoIterator<Item = f64>) -> MeanSe {
        let v: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
        let n = v.len();
        if n == 0 {
            return MeanSe {
                mean: f64::NAN,
                se: f64::NAN,
                n,
            };
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        let se = if n < 2 {
            f64::NAN
        } else {
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            (var / n as f64).sqrt()
        };
        MeanSe { mean, se, n }
    }
}

/// Aggregated results of one (predictor, train size, fidelity) grid point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Predictor key.
    pub predictor: String,
    /// Train size.
    pub train_size: usize,
    /// Fidelity.
    pub fidelity: Option<u32>,
    /// Trials aggregated (including failed ones).
    pub trials: usize,
    /// Trials that failed.
    pub failures: usize,
    /// Every metric, aggregated (with `nll`, `coverage_68` and `coverage_95` for predictors
    /// that report an uncertainty).
    pub metrics: BTreeMap<String, MeanSe>,
    /// Fit time, seconds.
    pub fit_time_s: MeanSe,
    /// Query time per architecture, seconds.
    pub query_time_s: MeanSe,
    /// Benchmark initialisation time, seconds.
    pub bench_init_time_s: MeanSe,
    /// Benchmark query time per architecture, seconds.
    pub bench_query_time_s: MeanSe,
    /// The accounting of the two benchmark times when every aggregated record has the same
    /// one; `None` when they differ (the times then mix two meanings).
    #[serde(default)]
    pub time_accounting: Option<TimeAccounting>,
    /// First error message seen, if any trial failed.
    pub first_error: Option<String>,
}

impl SummaryRow {
    /// The aggregate of one metric.
    pub fn metric(&self, kind: MetricKind) -> MeanSe {
        self.named(kind.name())
    }

    /// The aggregate of a metric by name (including `nll`, `coverage_68`, `coverage_95`);
    /// NaN with n = 0 when absent.
    pub fn named(&self, name: &str) -> MeanSe {
        self.metrics
            .get(name)
            .copied()
            .unwrap_or(MeanSe::of(std::iter::empty()))
    }
}

/// Aggregates records to one row per (predictor, train size, fidelity), in the order of
/// `predictors` then train size then fidelity.
pub fn summarise(records: &[ResultRecord], predictors: &[String]) -> Vec<SummaryRow> {
    let mut groups: BTreeMap<(usize, usize, Option<u32>), Vec<&ResultRecord>> = BTreeMap::new();
    for r in records {
        let order = predictors
            .iter()
            .position(|p| *p == r.predictor)
            .unwrap_or(usize::MAX);
        groups
            .entry((order, r.train_size, r.fidelity))
            .or_default()
            .push(r);
    }
    let mut out = Vec::with_capacity(groups.len());
    for ((_, train_size, fidelity), rs) in groups {
        let mut metrics = BTreeMap::new();
        for kind in MetricKind::ALL {
            metrics.insert(
                kind.name().to_string(),
                MeanSe::of(rs.iter().map(|r| r.metrics.get(kind))),
            );
        }
        if rs.iter().any(|r| r.calibration.is_some()) {
            type Field = fn(&Calibration) -> f64;
            let fields: [(&str, Field); 3] = [
                ("nll", |c| c.nll),
                ("coverage_68", |c| c.coverage_68),
                ("coverage_95", |c| c.coverage_95),
            ];
            for (name, get) in fields {
                metrics.insert(
                    name.to_string(),
                    MeanSe::of(rs.iter().filter_map(|r| r.calibration.as_ref().map(get))),
                );
            }
        }
        out.push(SummaryRow {
            predictor: rs[0].predictor.clone(),
            train_size,
            fidelity,
            trials: rs.len(),
            failures: rs.iter().filter(|r| r.error.is_some()).count(),
            metrics,
            fit_time_s: MeanSe::of(rs.iter().map(|r| r.fit_time_s)),
            query_time_s: MeanSe::of(rs.iter().map(|r| r.query_time_s)),
            bench_init_time_s: MeanSe::of(rs.iter().filter_map(|r| r.bench_init_time_s)),
            bench_query_time_s: MeanSe::of(rs.iter().filter_map(|r| r.bench_query_time_s)),
            time_accounting: common_accounting(rs.iter().copied()),
            first_error: rs.iter().find_map(|r| r.error.clone()),
        });
    }
    out
}

/// The accounting shared by all `records`, or `None` when they differ or there are none.
fn common_accounting<'a>(
    records: impl IntoIterator<Item = &'a ResultRecord>,
) -> Option<TimeAccounting> {
    let mut it = records.into_iter().map(|r| r.time_accounting);
    let first = it.next()?;
    it.all(|a| a == first).then_some(first)
}

/// What the time axes of a figure drawn from `rows` mean: the note of their common accounting
/// ([`TimeAccounting::axis_note`]), or a warning when rows of several accountings are mixed.
/// For a report to print under each time-axis figure.
pub fn time_axes_note(rows: &[SummaryRow]) -> String {
    let mut seen: Vec<Option<TimeAccounting>> = Vec::new();
    for r in rows {
        if !seen.contains(&r.time_accounting) {
            seen.push(r.time_accounting);
        }
    }
    match seen.as_slice() {
        [] => String::new(),
        [Some(a)] => a.axis_note().to_string(),
        _ => "Time axes mix records timed under different accountings (naslib and \
              full_training); the times are not comparable."
            .to_string(),
    }
}

fn fmt_num(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$}")
    } else {
        "-".to_string()
    }
}

/// Calibration columns of the summary (empty for predictors without an uncertainty).
const CALIBRATION_COLUMNS: [&str; 3] = ["nll", "coverage_68", "coverage_95"];

/// Writes the summary as CSV: one row per grid point, mean and standard error of every metric.
pub fn write_summary_csv(rows: &[SummaryRow], path: &Path) -> Result<(), EvalError> {
    let mut out = String::new();
    out.push_str("predictor,train_size,fidelity,trials,failures");
    for kind in MetricKind::ALL {
        out.push_str(&format!(",{0}_mean,{0}_se", kind.name()));
    }
    for name in CALIBRATION_COLUMNS {
        out.push_str(&format!(",{name}_mean,{name}_se"));
    }
    out.push_str(
        ",fit_time_s_mean,query_time_s_mean,bench_init_time_s_mean,bench_query_time_s_mean\n",
    );
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x}")
        } else {
            String::new()
        }
    };
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{}",
            r.predictor,
            r.train_size,
            r.fidelity.map(|f| f.to_string()).unwrap_or_default(),
            r.trials,
            r.failures
        ));
        for kind in MetricKind::ALL {
            let m = r.metric(kind);
            out.push_str(&format!(",{},{}", num(m.mean), num(m.se)));
        }
        for name in CALIBRATION_COLUMNS {
            let m = r.named(name);
            out.push_str(&format!(",{},{}", num(m.mean), num(m.se)));
        }
        out.push_str(&format!(
            ",{},{},{},{}\n",
            num(r.fit_time_s.mean),
            num(r.query_time_s.mean),
            num(r.bench_init_time_s.mean),
            num(r.bench_query_time_s.mean)
        ));
    }
    std::fs::write(path, out).map_err(|e| EvalError::io(path, e))
}

/// A table a person can read: predictor x grid point with Kendall tau (mean +- s.e.),
/// Spearman, fit seconds and query milliseconds per architecture.
pub fn render_table(rows: &[SummaryRow]) -> String {
    let header = [
        "predictor",
        "train",
        "fidelity",
        "trials",
        "kendall tau",
        "spearman",
        "fit s",
        "query ms",
        "note",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let kt = r.metric(MetricKind::Kendalltau);
        let sp = r.metric(MetricKind::Spearman);
        let kt_s = if kt.mean.is_finite() {
            if kt.se.is_finite() {
                format!("{:.3} ± {:.3}", kt.mean, kt.se)
            } else {
                format!("{:.3}", kt.mean)
            }
        } else {
            "-".to_string()
        };
        let note = match (&r.first_error, r.failures) {
            (Some(e), n) => {
                let short: String = e.chars().take(60).collect();
                format!("{n} failed: {short}")
            }
            _ => String::new(),
        };
        cells.push(vec![
            r.predictor.clone(),
            r.train_size.to_string(),
            r.fidelity
                .map(|f| f.to_string())
                .unwrap_or_else(|| "-".into()),
            r.trials.to_string(),
            kt_s,
            fmt_num(sp.mean, 3),
            fmt_num(r.fit_time_s.mean, 3),
            fmt_num(r.query_time_s.mean * 1e3, 4),
            note,
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in cells.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = widths[c] - s.chars().count();
                if c == 0 || c == header.len() - 1 {
                    format!("{s}{}", " ".repeat(pad))
                } else {
                    format!("{}{s}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out
}
