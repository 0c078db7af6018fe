//! What a reproduction costs before it runs: `naspred reproduce --plan`.
//!
//! * [`CostModel`]: measured fit seconds and query seconds per architecture of each predictor,
//!   per (space, train size, fidelity), read from a tab-separated table. The table committed
//!   beside this file ([`COSTS_TSV`]) was measured on the project's 2-core machine by
//!   `naspred reproduce --calibrate` (its header says when, where and under what load).
//! * [`CostModel::estimate`]: the cost of one evaluation at any grid point, interpolated in
//!   log-log between the measured train sizes (and taken from the nearest measured fidelity);
//!   a predictor measured only in another space borrows that space's figures, and says so.
//! * [`plan_suite`]: every experiment's units and their estimated CPU-hours (one core), from
//!   the grid points the protocol would run ([`protocol::plan`]) on the loaded benchmarks,
//!   including the hyperparameter search's time cap where it runs and the predictor refits of
//!   the NAS runs; [`PlanTable::render`] prints it with the totals for one core and for an array
//!   of N tasks (units dealt round-robin, as `--shard` deals them: [`super::Shard`]).
//! * [`calibration_configs`]: the small evaluations `--calibrate` runs (one trial, the first,
//!   middle and last train size and fidelity of each experiment, a short test set) to measure
//!   the table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use naspred_eval::protocol::{self, EvalConfig};
use naspred_eval::records::ResultRecord;
use naspred_eval::PredictorFactory;
use naspred_search::{OptimizerKind, SearchConfig};
use naspred_spaces::SpaceKind;

use super::report::finite_or_zero;
use super::{Experiment, ReproError, Suite, Unit, Work};
use naspred_data::Benchmark;

/// The cost table measured on the project's machine (see its header).
pub const COSTS_TSV: &str = include_str!("costs.tsv");

/// The columns of a cost table.
const COLUMNS: [&str; 7] = [
    "space",
    "predictor",
    "train_size",
    "fidelity",
    "fit_s",
    "query_s",
    "records",
];

/// One measured grid point: mean seconds over the records that measured it.
#[derive(Clone, Debug, PartialEq)]
pub struct CostPoint {
    /// Search space.
    pub space: SpaceKind,
    /// Predictor key.
    pub key: String,
    /// Train size.
    pub train_size: usize,
    /// Fidelity (epochs), for learning-curve and hybrid predictors.
    pub fidelity: Option<u32>,
    /// Fit seconds (one core).
    pub fit_s: f64,
    /// Query seconds per test architecture.
    pub query_s: f64,
    /// Records averaged.
    pub records: usize,
}

/// Measured costs, and the header lines that say where they come from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CostModel {
    /// `# ` lines of the table (without the `# `).
    pub header: Vec<String>,
    /// The measured points.
    pub points: Vec<CostPoint>,
}

/// The cost of one evaluation at a grid point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Fit seconds.
    pub fit_s: f64,
    /// Query seconds per test architecture.
    pub query_s: f64,
    /// Set when the predictor was not measured in this space and another space's figures
    /// stand in.
    pub borrowed_from: Option<SpaceKind>,
}

fn parse_err(origin: &str, line: usize, msg: impl std::fmt::Display) -> ReproError {
    ReproError::Config(format!("{origin}:{line}: {msg}"))
}

fn parse_point(fields: &[&str], origin: &str, line: usize) -> Result<CostPoint, ReproError> {
    if fields.len() != COLUMNS.len() {
        return Err(parse_err(
            origin,
            line,
            format!("{} fields, expected {}", fields.len(), COLUMNS.len()),
        ));
    }
    let num = |i: usize| -> Result<f64, ReproError> {
        let v: f64 = fields[i]
            .parse()
            .map_err(|e| parse_err(origin, line, format!("{}: {e}", COLUMNS[i])))?;
        if !v.is_finite() || v < 0.0 {
            return Err(parse_err(
                origin,
                line,
                format!("{} must be a finite number >= 0, not {v}", COLUMNS[i]),
            ));
        }
        Ok(v)
    };
    let int = |i: usize| -> Result<usize, ReproError> {
        fields[i]
            .parse()
            .map_err(|e| parse_err(origin, line, format!("{}: {e}", COLUMNS[i])))
    };
    let space: SpaceKind = fields[0]
        .parse()
        .map_err(|e| parse_err(origin, line, format!("space: {e}")))?;
    let fidelity = match fields[3] {
        "" | "-" => None,
        f => Some(
            f.parse()
                .map_err(|e| parse_err(origin, line, format!("fidelity: {e}")))?,
        ),
    };
    Ok(CostPoint {
        space,
        key: fields[1].to_string(),
        train_size: int(2)?,
        fidelity,
        fit_s: num(4)?,
        query_s: num(5)?,
        records: int(6)?,
    })
}

/// Log-log interpolation of `(x, y)` points sorted by x at `x`; outside the range the nearest
/// segment's slope (clamped to `[0, 2]`) extrapolates, a single point scales with `x^alone`.
fn loglog(points: &[(f64, f64)], x: f64, alone: f64) -> f64 {
    let lx = x.max(1.0).ln();
    let ly = |y: f64| y.max(1e-6).ln();
    if points.iter().all(|&(_, y)| y <= 0.0) {
        return 0.0;
    }
    match points {
        [] => 0.0,
        [(x0, y0)] => (ly(*y0) + alone * (lx - x0.max(1.0).ln())).exp(),
        _ => {
            let k = points
                .windows(2)
                .position(|w| x <= w[1].0)
                .unwrap_or(points.len() - 2);
            let (x0, y0) = points[k];
            let (x1, y1) = points[k + 1];
            let (l0, l1) = (x0.max(1.0).ln(), x1.max(1.0).ln());
            let slope = if l1 > l0 {
                (ly(y1) - ly(y0)) / (l1 - l0)
            } else {
                0.0
            };
            let inside = x >= x0 && x <= x1;
            let slope = if inside { slope } else { slope.clamp(0.0, 2.0) };
            (ly(y0) + slope * (lx - l0)).exp()
        }
    }
}

/// The share of a zero-cost record's query time that was spent here: scores read from a
/// precomputed table are charged their recorded compute time (the proxy's real query cost, for
/// the report) but cost the run nothing. 1 for every other record.
fn computed_share(r: &ResultRecord) -> f64 {
    let get = |k: &str| r.hyperparams.get(k).copied().unwrap_or(0.0);
    let (table, computed) = (get("zc_table_scores"), get("zc_computed_scores"));
    if table + computed > 0.0 {
        computed / (table + computed)
    } else {
        1.0
    }
}

impl CostModel {
    /// The committed table ([`COSTS_TSV`]).
    pub fn embedded() -> Result<CostModel, ReproError> {
        CostModel::parse(COSTS_TSV, "reproduce/costs.tsv")
    }

    /// Reads a table: `# ` header lines, a column line, then one tab-separated row per point.
    /// Errors name `origin` and the line.
    pub fn parse(text: &str, origin: &str) -> Result<CostModel, ReproError> {
        let mut model = CostModel::default();
        let mut columns_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            if let Some(h) = raw.strip_prefix('#') {
                model.header.push(h.trim().to_string());
                continue;
            }
            if raw.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = raw.split('\t').map(str::trim).collect();
            if !columns_seen {
                if fields != COLUMNS {
                    return Err(parse_err(
                        origin,
                        line,
                        format!("expected the columns {}", COLUMNS.join(" ")),
                    ));
                }
                columns_seen = true;
                continue;
            }
            model.points.push(parse_point(&fields, origin, line)?);
        }
        if !columns_seen {
            return Err(parse_err(origin, 1, "no column line"));
        }
        Ok(model)
    }

    /// The mean fit and query seconds of each (space, predictor, train size, fidelity) of
    /// successful records.
    pub fn from_records(header: Vec<String>, records: &[ResultRecord]) -> CostModel {
        type Key = (String, String, usize, Option<u32>);
        let mut sums: BTreeMap<Key, (SpaceKind, f64, f64, usize)> = BTreeMap::new();
        for r in records {
            if r.error.is_some() || !r.fit_time_s.is_finite() || !r.query_time_s.is_finite() {
                continue;
            }
            let key = (
                r.space.name().to_string(),
                r.predictor.clone(),
                r.train_size,
                r.fidelity,
            );
            let e = sums.entry(key).or_insert((r.space, 0.0, 0.0, 0));
            e.1 += r.fit_time_s;
            e.2 += r.query_time_s * computed_share(r);
            e.3 += 1;
        }
        let points = sums
            .into_iter()
            .map(|((_, key, n, f), (space, fit, q, c))| CostPoint {
                space,
                key,
                train_size: n,
                fidelity: f,
                fit_s: fit / c as f64,
                query_s: q / c as f64,
                records: c,
            })
            .collect();
        CostModel { header, points }
    }

    /// The table as text ([`CostModel::parse`] reads it back).
    pub fn to_tsv(&self) -> String {
        let mut s = String::new();
        for h in &self.header {
            let _ = writeln!(s, "# {h}");
        }
        let _ = writeln!(s, "{}", COLUMNS.join("\t"));
        for p in &self.points {
            let _ = writeln!(
                s,
                "{}\t{}\t{}\t{}\t{:.6}\t{:.6}\t{}",
                p.space.name(),
                p.key,
                p.train_size,
                p.fidelity
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "-".into()),
                p.fit_s,
                p.query_s,
                p.records
            );
        }
        s
    }

    /// Adds `other`'s points, replacing this model's points of the same (space, predictor);
    /// `other`'s header lines follow this one's, introduced by the keys they re-measured.
    pub fn merge(&mut self, other: CostModel) {
        let mut replaced: Vec<(SpaceKind, String)> = Vec::new();
        for p in &other.points {
            if !replaced.contains(&(p.space, p.key.clone())) {
                replaced.push((p.space, p.key.clone()));
            }
        }
        self.points
            .retain(|p| !replaced.contains(&(p.space, p.key.clone())));
        self.points.extend(other.points);
        self.points.sort_by(|a, b| {
            (a.space.name(), &a.key, a.train_size, a.fidelity).cmp(&(
                b.space.name(),
                &b.key,
                b.train_size,
                b.fidelity,
            ))
        });
        let keys: Vec<String> = replaced.iter().map(|(s, k)| format!("{s} {k}")).collect();
        self.header
            .push(format!("re-measured later: {}", keys.join(", ")));
        self.header.extend(other.header);
    }

    /// The measured points of `key`: this space's, else another space's (NB201 first).
    fn points_of(&self, space: SpaceKind, key: &str) -> (Vec<&CostPoint>, Option<SpaceKind>) {
        let here: Vec<&CostPoint> = self
            .points
            .iter()
            .filter(|p| p.space == space && p.key == key)
            .collect();
        if !here.is_empty() {
            return (here, None);
        }
        let order = [
            SpaceKind::Nb201,
            SpaceKind::Nb101,
            SpaceKind::Darts,
            SpaceKind::Nlp,
        ];
        for other in order {
            let v: Vec<&CostPoint> = self
                .points
                .iter()
                .filter(|p| p.space == other && p.key == key)
                .collect();
            if !v.is_empty() {
                return (v, Some(other));
            }
        }
        (Vec::new(), None)
    }

    /// The cost of evaluating `key` at train size `n` and fidelity `f` in `space`, or `None`
    /// if the predictor was never measured.
    pub fn estimate(
        &self,
        space: SpaceKind,
        key: &str,
        n: usize,
        f: Option<u32>,
    ) -> Option<Estimate> {
        let (pts, borrowed_from) = self.points_of(space, key);
        if pts.is_empty() {
            return None;
        }
        // The measured fidelity nearest to f (log scale); no fidelity matches no fidelity.
        let dist = |g: Option<u32>| match (f, g) {
            (Some(a), Some(b)) => (a.max(1) as f64 / b.max(1) as f64).ln().abs(),
            (None, None) => 0.0,
            _ => f64::INFINITY,
        };
        let best = pts
            .iter()
            .map(|p| dist(p.fidelity))
            .fold(f64::INFINITY, f64::min);
        let mut at: Vec<&CostPoint> = pts
            .iter()
            .copied()
            .filter(|p| dist(p.fidelity) == best || !best.is_finite())
            .collect();
        at.sort_by_key(|p| p.train_size);
        let xy = |get: fn(&CostPoint) -> f64| -> Vec<(f64, f64)> {
            at.iter().map(|p| (p.train_size as f64, get(p))).collect()
        };
        Some(Estimate {
            fit_s: loglog(&xy(|p| p.fit_s), n as f64, 1.0),
            query_s: loglog(&xy(|p| p.query_s), n as f64, 0.0),
            borrowed_from,
        })
    }
}

/// The UTC date of a Unix time, `YYYY-MM-DD` (the proleptic Gregorian calendar).
pub fn utc_date(unix_s: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (unix_s / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One line describing this machine now: UTC date and time, host, CPU model, cores and load
/// average (what a cost table's figures depend on).
pub fn machine_line() -> String {
    let now = super::now_unix();
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let host = read("/etc/hostname").trim().to_string();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load: Vec<String> = read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .map(str::to_string)
        .collect();
    format!(
        "{} {:02}:{:02} UTC, host {}, {cpu}, {cores} cores, load average {}",
        utc_date(now),
        now % 86_400 / 3600,
        now % 3600 / 60,
        if host.is_empty() { "?" } else { &host },
        load.join(" ")
    )
}

/// CPU seconds (user + system) this process has used so far; 0 where the platform cannot say.
#[cfg(not(unix))]
pub fn process_cpu_s() -> f64 {
    0.0
}

/// CPU seconds (user + system) this process has used so far; 0 where the platform cannot say.
#[cfg(unix)]
pub fn process_cpu_s() -> f64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `rusage` into the pointer it is given, which points to one.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) } == 0;
    if !ok {
        return 0.0;
    }
    // SAFETY: getrusage succeeded, so the struct is initialised (it was zeroed besides).
    let ru = unsafe { ru.assume_init() };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}

/// Rescales the fit and query times of `records` (one predictor's calibration evaluations) so
/// that, as the cost model counts them, they add up to `cpu_s`: wall seconds on a shared
/// machine overstate the work, CPU seconds do not. Records whose counted time is under a
/// millisecond in total keep their wall times.
pub fn charge_cpu(records: &mut [ResultRecord], cpu_s: f64) {
    let counted: f64 = records
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| {
            finite_or_zero(r.fit_time_s)
                + finite_or_zero(r.query_time_s) * computed_share(r) * r.test_size as f64
        })
        .sum();
    if counted < 1e-3 || !cpu_s.is_finite() || cpu_s <= 0.0 {
        return;
    }
    let factor = cpu_s / counted;
    for r in records {
        r.fit_time_s *= factor;
        r.query_time_s *= factor;
    }
}

/// The estimated cost of one part (predictor or search run) of an experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct PartCost {
    /// Predictor key or search-run label.
    pub part: String,
    /// Evaluations (grid points) or search queries per trial.
    pub per_trial: usize,
    /// Estimated seconds per trial (one core).
    pub trial_s: f64,
    /// Why the estimate is incomplete (never measured, borrowed from another space).
    pub note: Option<String>,
}

/// The estimated cost of one experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentCost {
    /// Experiment id.
    pub id: String,
    /// Trials per part.
    pub trials: usize,
    /// Its parts.
    pub parts: Vec<PartCost>,
    /// Why it cannot run on this data (as a run would record it), if it cannot.
    pub error: Option<String>,
}

impl ExperimentCost {
    /// Units (parts x trials).
    pub fn units(&self) -> usize {
        self.parts.len() * self.trials
    }

    /// Estimated CPU-seconds of the whole experiment.
    pub fn total_s(&self) -> f64 {
        // (0.0 + : an empty f64 sum is -0.0)
        0.0 + self.parts.iter().map(|p| p.trial_s).sum::<f64>() * self.trials as f64
    }
}

/// The plan of a suite: per experiment, what it costs.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanTable {
    /// Per experiment, in run order.
    pub experiments: Vec<ExperimentCost>,
}

/// CPU seconds each evaluation costs besides its predictor's fit and queries (drawing the
/// trial's sets, the metrics, writing the record). Measured from the NB201 preset's own run
/// here (`walltime.jsonl`, 2026-12-03, 2 worker threads, load about 3): the 1,800 evaluations
/// of `nb201-cifar10-trainsize` took 52 s of wall time and the 1,360 of
/// `nb201-cifar10-mutation` 47 s, where their predictors' measured costs add up to about 36 CPU-s
/// each: (2 x 52 - 36) / 1800 = 0.038 and (2 x 47 - 36) / 1360 = 0.043.
pub const EVAL_OVERHEAD_S: f64 = 0.04;

/// CPU seconds each search query costs besides its predictor's refits (proposing, mutating,
/// the benchmark lookup, the trajectory). Measured from the same run: the 84,000 queries of
/// `nb201-cifar10-nas` took 428 s of wall time where the refits add up to about 108 CPU-s:
/// (2 x 428 - 108) / 84000 = 0.0089.
pub const SEARCH_QUERY_OVERHEAD_S: f64 = 0.009;

/// Seconds of the hyperparameter search's time cap at train size `n` (NASLib: the search stops
/// once it has run `max_time_s * n / 1000 + 20` s).
fn hpo_cap_s(cfg: &EvalConfig, n: usize) -> f64 {
    cfg.hpo.max_time_s * n as f64 / 1000.0 + 20.0
}

fn note_of(key: &str, e: Option<&Estimate>) -> Option<String> {
    match e {
        None => Some(format!("{key}: never measured, counted as 0")),
        Some(Estimate {
            borrowed_from: Some(s),
            ..
        }) => Some(format!("{key}: {s}'s costs")),
        Some(_) => None,
    }
}

/// The cost of each predictor of an evaluation experiment, per trial.
fn eval_costs(
    exp: &Experiment,
    cfg: &EvalConfig,
    bench: &Benchmark,
    factory: &dyn PredictorFactory,
    model: &CostModel,
) -> Result<Vec<PartCost>, ReproError> {
    let plan = protocol::plan(bench, cfg, factory)?;
    let mut out = Vec::new();
    for pp in &plan.predictors {
        let mut trial_s = 0.0;
        let mut note = None;
        for &(n, f) in &pp.points {
            let e = model.estimate(exp.space, &pp.key, n, f);
            note = note.or_else(|| note_of(&pp.key, e.as_ref()));
            let Some(e) = e else { continue };
            let hpo = if cfg.hpo.enabled && pp.reqs.hpo && n >= 10 {
                hpo_cap_s(cfg, n)
            } else {
                0.0
            };
            trial_s += e.fit_s + hpo + e.query_s * cfg.test_size as f64;
        }
        trial_s += EVAL_OVERHEAD_S * pp.points.len() as f64;
        out.push(PartCost {
            part: pp.key.clone(),
            per_trial: pp.points.len(),
            trial_s,
            note,
        });
    }
    Ok(out)
}

/// Seconds of one search trial: the predictor is refitted (an ensemble of `num_ensemble`)
/// every `k` queries after the first `num_init`, and scores `num_candidates` architectures each
/// time; every query also costs [`SEARCH_QUERY_OVERHEAD_S`].
fn search_trial_s(
    space: SpaceKind,
    cfg: &SearchConfig,
    model: &CostModel,
) -> (f64, Option<String>) {
    let overhead = SEARCH_QUERY_OVERHEAD_S * cfg.queries as f64;
    let Some(key) = cfg.predictor.as_deref() else {
        return (overhead, None);
    };
    if cfg.optimizer == OptimizerKind::Rs || cfg.optimizer == OptimizerKind::Re {
        return (overhead, None);
    }
    let k = cfg.k.max(1);
    let mut s = overhead;
    let mut note = None;
    let mut n = cfg.num_init;
    while n < cfg.queries {
        let e = model.estimate(space, key, n, None);
        note = note.or_else(|| note_of(key, e.as_ref()));
        if let Some(e) = e {
            s += cfg.num_ensemble.max(1) as f64 * (e.fit_s + e.query_s * cfg.num_candidates as f64);
        }
        n += k;
    }
    (s, note)
}

/// The estimated cost of every experiment of `suite` (`bench` loads an experiment's benchmark).
pub fn plan_suite(
    suite: &Suite,
    bench: &mut dyn FnMut(&Experiment) -> Result<Benchmark, ReproError>,
    factory: &dyn PredictorFactory,
    model: &CostModel,
) -> Result<PlanTable, ReproError> {
    let mut experiments = Vec::new();
    for exp in &suite.experiments {
        let parts = match &exp.work {
            Work::Eval(cfg) => {
                match bench(exp).and_then(|b| eval_costs(exp, cfg, &b, factory, model)) {
                    Ok(parts) => parts,
                    Err(e) => {
                        // The run would record this error and go on with the other experiments.
                        experiments.push(ExperimentCost {
                            id: exp.id.clone(),
                            trials: exp.trials(),
                            parts: Vec::new(),
                            error: Some(e.to_string()),
                        });
                        continue;
                    }
                }
            }
            Work::Nas(spec) => spec
                .runs
                .iter()
                .map(|r| {
                    let (trial_s, note) = search_trial_s(exp.space, r, model);
                    PartCost {
                        part: r.label(),
                        per_trial: r.queries,
                        trial_s,
                        note,
                    }
                })
                .collect(),
        };
        experiments.push(ExperimentCost {
            id: exp.id.clone(),
            trials: exp.trials(),
            parts,
            error: None,
        });
    }
    Ok(PlanTable { experiments })
}

impl PlanTable {
    /// Estimated CPU-seconds of everything.
    pub fn total_s(&self) -> f64 {
        self.experiments.iter().map(ExperimentCost::total_s).sum()
    }

    /// Estimated seconds of each unit of `units` (0 for units the plan does not know).
    pub fn unit_s(&self, units: &[Unit]) -> Vec<f64> {
        units
            .iter()
            .map(|u| {
                self.experiments
                    .iter()
                    .find(|e| e.id == u.experiment)
                    .and_then(|e| e.parts.iter().find(|p| p.part == u.part))
                    .map_or(0.0, |p| p.trial_s)
            })
            .collect()
    }

    /// The estimated seconds of each of `tasks` shards (units dealt round-robin, as
    /// [`Shard::select`] deals them).
    pub fn shard_s(&self, units: &[Unit], tasks: usize) -> Vec<f64> {
        let tasks = tasks.max(1);
        let mut out = vec![0.0; tasks];
        for (k, s) in self.unit_s(units).into_iter().enumerate() {
            out[k % tasks] += s;
        }
        out
    }

    /// The plan as a table: per experiment units, evaluations, CPU-hours and the most costly
    /// part; then the totals for one core, for `threads` cores here and for an array of
    /// `tasks` tasks.
    pub fn render(&self, units: &[Unit], threads: usize, tasks: usize) -> String {
        let h = |s: f64| s / 3600.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<30} {:>6} {:>7} {:>9}  most costly part (CPU-h)",
            "experiment", "units", "evals", "CPU-h"
        );
        let mut notes: Vec<String> = Vec::new();
        for e in &self.experiments {
            let evals: usize = e.parts.iter().map(|p| p.per_trial).sum::<usize>() * e.trials;
            let top = e
                .parts
                .iter()
                .max_by(|a, b| a.trial_s.total_cmp(&b.trial_s))
                .map(|p| format!("{} ({:.2})", p.part, h(p.trial_s * e.trials as f64)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "{:<30} {:>6} {:>7} {:>9.2}  {top}",
                e.id,
                e.units(),
                evals,
                h(e.total_s())
            );
            notes.extend(e.parts.iter().filter_map(|p| p.note.clone()));
            if let Some(err) = &e.error {
                notes.push(format!("{} cannot run here: {err}", e.id));
            }
        }
        let total = self.total_s();
        let shards = self.shard_s(units, tasks);
        let longest = shards.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(s, "\ntotal: {:.2} CPU-hours on one core", h(total));
        let _ = writeln!(
            s,
            "here, {threads} worker threads: about {:.2} hours of wall time",
            h(total / threads.max(1) as f64)
        );
        let _ = writeln!(
            s,
            "SLURM array of {tasks} one-core tasks (--shard i/{tasks}): the longest task {:.2} h, \
             the mean {:.2} h",
            h(longest),
            h(total / tasks.max(1) as f64)
        );
        notes.sort();
        notes.dedup();
        for n in notes {
            let _ = writeln!(s, "note: {n}");
        }
        s
    }
}

/// The calibration runs of a suite: for each (space, predictor) of its evaluations, one trial at
/// the first, middle and last train size and fidelity of the first experiment that runs it, on
/// `test_size` test architectures, without hyperparameter search. Returns the experiment
/// (for its benchmark) and the configuration.
pub fn calibration_configs(suite: &Suite, test_size: usize) -> Vec<(Experiment, EvalConfig)> {
    let pick3 = |v: &[usize]| -> Vec<usize> {
        let mut p = match v.len() {
            0..=3 => v.to_vec(),
            n => vec![v[0], v[n / 2], v[n - 1]],
        };
        p.dedup();
        p
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for exp in &suite.experiments {
        let Work::Eval(cfg) = &exp.work else { continue };
        let tag = exp.source.prefix(exp.space);
        let keys: Vec<String> = cfg
            .predictors
            .iter()
            .filter(|k| !seen.contains(&(tag.clone(), (*k).clone())))
            .cloned()
            .collect();
        if keys.is_empty() {
            continue;
        }
        seen.extend(keys.iter().map(|k| (tag.clone(), k.clone())));
        let mut c = cfg.clone();
        c.predictors = keys;
        c.trials = 1;
        c.train_sizes = pick3(&cfg.train_sizes);
        c.fidelities = cfg.fidelities.as_ref().map(|f| {
            let v: Vec<usize> = f.iter().map(|&x| x as usize).collect();
            pick3(&v).into_iter().map(|x| x as u32).collect()
        });
        c.test_size = cfg.test_size.min(test_size);
        c.hpo.enabled = false;
        out.push((exp.clone(), c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(key: &str, n: usize, fit: f64, q: f64) -> CostPoint {
        CostPoint {
            space: SpaceKind::Nb201,
            key: key.into(),
            train_size: n,
            fidelity: None,
            fit_s: fit,
            query_s: q,
            records: 1,
        }
    }

    #[test]
    fn estimates_interpolate_in_log_log_and_extrapolate_with_a_clamped_slope() {
        let m = CostModel {
            header: vec![],
            points: vec![point("a", 10, 1.0, 0.01), point("a", 1000, 100.0, 0.01)],
        };
        let e = m.estimate(SpaceKind::Nb201, "a", 100, None).unwrap();
        assert!((e.fit_s - 10.0).abs() < 1e-9, "{e:?}");
        assert!((e.query_s - 0.01).abs() < 1e-12);
        // Beyond the last point the slope (1) continues.
        let e = m.estimate(SpaceKind::Nb201, "a", 2000, None).unwrap();
        assert!((e.fit_s - 200.0).abs() < 1e-6, "{e:?}");
        // Borrowed in another space, and unknown keys are None.
        let e = m.estimate(SpaceKind::Nb101, "a", 100, None).unwrap();
        assert_eq!(e.borrowed_from, Some(SpaceKind::Nb201));
        assert!(m.estimate(SpaceKind::Nb201, "b", 100, None).is_none());
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_796_256_000), "2026-12-03");
    }

    #[test]
    fn tables_round_trip_and_bad_lines_are_errors_naming_the_line() {
        let m = CostModel {
            header: vec!["measured here".into()],
            points: vec![point("xgb", 5, 0.5, 0.001), point("gcn", 1000, 35.0, 0.002)],
        };
        let back = CostModel::parse(&m.to_tsv(), "t").unwrap();
        assert_eq!(back.header, m.header);
        assert_eq!(back.points.len(), 2);
        assert_eq!(back.points[1].key, "gcn");
        let bad = m.to_tsv().replace("35.000000", "-1");
        let e = CostModel::parse(&bad, "costs.tsv").unwrap_err().to_string();
        assert!(e.contains("costs.tsv:4") && e.contains("fit_s"), "{e}");
        let mut merged = back.clone();
        let mut again = CostModel {
            header: vec!["again".into()],
            points: vec![point("gcn", 1000, 30.0, 0.002)],
        };
        again.points[0].records = 3;
        merged.merge(again);
        assert_eq!(merged.points.len(), 2);
        assert_eq!(merged.points[0].key, "gcn");
        assert_eq!(merged.points[0].records, 3);
        assert_eq!(
            merged.header,
            ["measured here", "re-measured later: nb201 gcn", "again"]
        );
        let e = CostModel::parse("space\tpredictor\n", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x:1"), "{e}");
    }

    #[test]
    fn plans_add_up_over_shards_and_price_hpo_and_search_refits() {
        let table = PlanTable {
            experiments: vec![ExperimentCost {
                id: "e".into(),
                trials: 3,
                parts: vec![
                    PartCost {
                        part: "a".into(),
                        per_trial: 2,
                        trial_s: 100.0,
                        note: None,
                    },
                    PartCost {
                        part: "b".into(),
                        per_trial: 2,
                        trial_s: 10.0,
                        note: Some("b: never measured, counted as 0".into()),
                    },
                ],
                error: None,
            }],
        };
        let units: Vec<Unit> = (0..3)
            .flat_map(|t| {
                ["a", "b"].map(|p| Unit {
                    experiment: "e".into(),
                    part: p.into(),
                    trial: t,
                })
            })
            .collect();
        assert_eq!(table.total_s(), 330.0);
        for tasks in [1, 2, 4, 7] {
            let shards = table.shard_s(&units, tasks);
            assert!((shards.iter().sum::<f64>() - 330.0).abs() < 1e-9);
        }
        // Units alternate a, b: two tasks split 300 / 30.
        assert_eq!(table.shard_s(&units, 2), vec![300.0, 30.0]);
        let text = table.render(&units, 2, 2);
        assert!(text.contains("0.09 CPU-hours"), "{text}");
        assert!(text.contains("longest task 0.08 h"), "{text}");
        assert!(text.contains("note: b: never measured"), "{text}");
        // A BO run refits its ensemble every k queries after num_init.
        let m = CostModel {
            header: vec![],
            points: vec![point("xgb", 10, 1.0, 0.0), point("xgb", 1000, 1.0, 0.0)],
        };
        let mut cfg = SearchConfig::naslib(OptimizerKind::Bo, Some("xgb".into()));
        cfg.queries = 100;
        let (s, note) = search_trial_s(SpaceKind::Nb201, &cfg, &m);
        // refits at 20, 40, 60, 80 queries, 3 models each, 1 s per fit, and each query's
        // overhead
        assert_eq!(note, None);
        assert!(
            (s - (12.0 + 100.0 * SEARCH_QUERY_OVERHEAD_S)).abs() < 1e-9,
            "{s}"
        );
        let rs = SearchConfig::naslib(OptimizerKind::Rs, None);
        let q = rs.queries as f64;
        assert!(
            (search_trial_s(SpaceKind::Nb201, &rs, &m).0 - q * SEARCH_QUERY_OVERHEAD_S).abs()
                < 1e-9
        );
    }

    #[test]
    fn the_committed_table_reads_and_covers_the_nb201_preset() {
        let m = CostModel::embedded().unwrap();
        assert!(!m.header.is_empty());
        let suite = Suite::new(super::super::Mode::Nb201, &super::super::ALL_SPACES).unwrap();
        for e in &suite.experiments {
            if let Work::Eval(c) = &e.work {
                for k in &c.predictors {
                    let est = m
                        .estimate(e.space, k, 100, None)
                        .or_else(|| m.estimate(e.space, k, 100, Some(12)));
                    assert!(est.is_some(), "{}: {k} not in the cost table", e.id);
                }
            }
        }
    }
}
