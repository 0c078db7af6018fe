//! Running all trials of a search in parallel, writing every query as a JSON line
//! (resumable), and summarising the trials at query checkpoints.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use naspred_data::Benchmark;
use naspred_eval::records::MeanSe;
use naspred_eval::PredictorFactory;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{SearchConfig, SearchError};
use crate::search::{QueryRecord, Searcher};

/// The trials of one search configuration.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The configuration.
    pub config: SearchConfig,
    /// The run's label ([`SearchConfig::label`]).
    pub label: String,
    /// The query records of each trial, by trial number.
    pub trials: Vec<Vec<QueryRecord>>,
    /// Trials read back from a previous run instead of being run.
    pub resumed: usize,
}

/// What a run folder's `config.json` holds.
#[derive(Serialize, Deserialize)]
struct RunHeader {
    space: String,
    dataset: String,
    benchmark_source: String,
    config: SearchConfig,
}

/// The file of trial `trial` in a run's folder.
pub fn trial_path(dir: &Path, trial: usize) -> PathBuf {
    dir.join(format!("trial_{trial:03}.jsonl"))
}

/// The records of trial `t` in `dir`, if its file holds the whole trial `t` of `cfg` on a
/// benchmark of `archs` architectures (a cut or edited file does not count: rerun it).
pub fn finished_trial(
    dir: &Path,
    t: usize,
    cfg: &SearchConfig,
    archs: usize,
) -> Result<Option<Vec<QueryRecord>>, SearchError> {
    let path = trial_path(dir, t);
    if !path.exists() {
        return Ok(None);
    }
    let recs = read_trial(&path)?;
    Ok(is_whole_trial(&recs, t, cfg, archs).then_some(recs))
}

/// Runs trial `t` and writes its records to `dir` as they are made: one JSON line per query,
/// flushed, in `trial_NNN.jsonl.part`, renamed to `trial_NNN.jsonl` when the trial ends.
pub fn write_trial(
    searcher: &Searcher,
    t: usize,
    dir: &Path,
) -> Result<Vec<QueryRecord>, SearchError> {
    let done = trial_path(dir, t);
    let part = done.with_extension("jsonl.part");
    let f = File::create(&part).map_err(|e| SearchError::io(&part, e))?;
    let mut w = BufWriter::new(f);
    let recs = searcher.run_trial(t, &mut |rec| {
        let mut line = serde_json::to_string(rec).map_err(|e| SearchError::Results {
            path: part.clone(),
            reason: e.to_string(),
        })?;
        line.push('\n');
        w.write_all(line.as_bytes())
            .and_then(|_| w.flush())
            .map_err(|e| SearchError::io(&part, e))
    })?;
    drop(w);
    fs::rename(&part, &done).map_err(|e| SearchError::io(&done, e))?;
    Ok(recs)
}

/// Reads a finished trial file.
pub fn read_trial(path: &Path) -> Result<Vec<QueryRecord>, SearchError> {
    let f = File::open(path).map_err(|e| SearchError::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| SearchError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line).map_err(|e| SearchError::Results {
                path: path.to_path_buf(),
                reason: format!("line {}: {e}", i + 1),
            })?,
        );
    }
    Ok(out)
}

/// Whether `recs` are a whole trial `t` of `cfg`: queries numbered 1, 2, ... of trial `t`,
/// as many as asked (fewer only where a time budget may end a trial early, or the benchmark
/// holds fewer architectures).
fn is_whole_trial(recs: &[QueryRecord], t: usize, cfg: &SearchConfig, archs: usize) -> bool {
    let numbered = recs
        .iter()
        .enumerate()
        .all(|(i, r)| r.trial == t && r.query == i + 1);
    let expected = cfg.queries.min(archs);
    numbered && (recs.len() == expected || (cfg.time_budget_s.is_some() && recs.len() <= expected))
}

/// Runs every trial of `cfg` on `bench` in parallel (rayon; one trial per task).
///
/// With `out`, the run's folder is `out/<label>`: `config.json`, and per trial
/// `trial_NNN.jsonl` with one [`QueryRecord`] per line, written and flushed as each query
/// is made (as `trial_NNN.jsonl.part` until the trial ends). A rerun with the same folder
/// reads finished trials back and reruns unfinished ones (trials are deterministic), as well as
/// a trial file that is not a whole trial of this configuration; a folder of a different
/// experiment is an error.
pub fn run_search(
    bench: &Benchmark,
    factory: &dyn PredictorFactory,
    cfg: &SearchConfig,
    out: Option<&Path>,
) -> Result<RunResult, SearchError> {
    let searcher = Searcher::new(bench, factory, cfg)?;
    let label = cfg.label();
    let dir = out.map(|o| o.join(&label));
    if let Some(dir) = &dir {
        fs::create_dir_all(dir).map_err(|e| SearchError::io(dir, e))?;
        let header = RunHeader {
            space: bench.space().name().into(),
            dataset: bench.dataset().name().into(),
            benchmark_source: bench.source().into(),
            config: cfg.identity(),
        };
        let path = dir.join("config.json");
        if path.exists() {
            let text = fs::read_to_string(&path).map_err(|e| SearchError::io(&path, e))?;
            let old: RunHeader = serde_json::from_str(&text).map_err(|e| SearchError::Results {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            if old.space != header.space
                || old.dataset != header.dataset
                || old.config != header.config
            {
                return Err(SearchError::Results {
                    path,
                    reason: "the folder holds a different experiment (space, dataset or settings differ); use another --out".into(),
                });
            }
        } else {
            let text = serde_json::to_string_pretty(&header).map_err(|e| SearchError::Results {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            fs::write(&path, text).map_err(|e| SearchError::io(&path, e))?;
        }
    }
    let results: Vec<Result<(Vec<QueryRecord>, bool), SearchError>> = (0..cfg.trials)
        .into_par_iter()
        .map(|t| {
            let Some(dir) = &dir else {
                return searcher.run_trial(t, &mut |_| Ok(())).map(|r| (r, false));
            };
            match finished_trial(dir, t, cfg, bench.len())? {
                Some(recs) => Ok((recs, true)),
                None => write_trial(&searcher, t, dir).map(|recs| (recs, false)),
            }
        })
        .collect();
    let mut trials = Vec::with_capacity(cfg.trials);
    let mut resumed = 0;
    for r in results {
        let (recs, was_resumed) = r?;
        resumed += usize::from(was_resumed);
        trials.push(recs);
    }
    Ok(RunResult {
        config: cfg.clone(),
        label,
        trials,
        resumed,
    })
}

/// Mean and standard error over trials at one query count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Queries.
    pub queries: usize,
    /// Trials that reached it.
    pub n: usize,
    /// Mean validation error (100 - accuracy) of the best-by-validation architecture.
    pub val_err_mean: f64,
    /// Its standard error.
    pub val_err_se: f64,
    /// Mean test error of the best-by-validation architecture (validation error where the
    /// benchmark has no test accuracy; see `test_is_val`).
    pub test_err_mean: f64,
    /// Its standard error.
    pub test_err_se: f64,
    /// Whether the "test" error is a validation error (no test accuracy in the benchmark).
    pub test_is_val: bool,
    /// Mean simulated time at that query (seconds).
    pub sim_time_mean_s: f64,
}

/// Mean and standard error of `v` ([`MeanSe`]: non-finite values left out).
fn mean_se(v: &[f64]) -> (f64, f64) {
    let m = MeanSe::of(v.iter().copied());
    (m.mean, m.se)
}

/// The trials at `queries` (1-based); trials that stopped earlier are left out.
pub fn checkpoint(trials: &[Vec<QueryRecord>], queries: usize) -> Checkpoint {
    let at: Vec<&QueryRecord> = trials
        .iter()
        .filter_map(|t| t.get(queries.saturating_sub(1)))
        .collect();
    let val: Vec<f64> = at.iter().map(|r| 100.0 - r.best_val_acc).collect();
    let test: Vec<f64> = at.iter().map(|r| 100.0 - r.best_test_acc).collect();
    let time: Vec<f64> = at.iter().map(|r| r.sim_time_s).collect();
    let (vm, vs) = mean_se(&val);
    let (tm, ts) = mean_se(&test);
    Checkpoint {
        queries,
        n: at.len(),
        val_err_mean: vm,
        val_err_se: vs,
        test_err_mean: tm,
        test_err_se: ts,
        test_is_val: trials.iter().flatten().any(|r| r.test_is_val),
        sim_time_mean_s: mean_se(&time).0,
    }
}

/// The mean curve over trials at every query count up to the longest trial.
pub fn curve(trials: &[Vec<QueryRecord>]) -> Vec<Checkpoint> {
    let n = trials.iter().map(Vec::len).max().unwrap_or(0);
    (1..=n).map(|q| checkpoint(trials, q)).collect()
}

/// The table the CLI prints: one row per run and checkpoint (those within the budget).
pub fn render_table(runs: &[RunResult], checkpoints: &[usize]) -> String {
    let mut s = String::new();
    let test_is_val = runs
        .iter()
        .flat_map(|r| r.trials.iter().flatten())
        .any(|r| r.test_is_val);
    s.push_str(&format!(
        "{:<28} {:>7} {:>6} {:>18} {:>18} {:>12}\n",
        "run",
        "queries",
        "trials",
        "val err % (se)",
        if test_is_val {
            "test* err % (se)"
        } else {
            "test err % (se)"
        },
        "sim time h"
    ));
    for r in runs {
        for &q in checkpoints {
            let c = checkpoint(&r.trials, q);
            if c.n == 0 {
                continue;
            }
            s.push_str(&format!(
                "{:<28} {:>7} {:>6} {:>10.3} ({:.3}) {:>10.3} ({:.3}) {:>12.2}\n",
                r.label,
                q,
                c.n,
                c.val_err_mean,
                c.val_err_se,
                c.test_err_mean,
                c.test_err_se,
                c.sim_time_mean_s / 3600.0
            ));
        }
    }
    if test_is_val {
        s.push_str(
            "* the benchmark has no test accuracy for (some of) these architectures: test* is the \
             mean validation accuracy over the benchmark's training seeds (NASLib's NB201 cifar10 \
             also reports cifar10-valid for both).\n",
        );
    }
    s
}
