//! The reproduction report: every shard's records read back, aggregated to mean and standard
//! error per grid point, placed on the paper's time axes (benchmark GPU-seconds, spec §2.7),
//! and written as `REPORT.md` with SVG figures, CSV and JSON beside it.
//!
//! Principal functions: [`write_report`], and the pieces it is built from, which work on
//! [`Point`]s: [`pareto`], [`budget_grid`], [`best_per_budget`], [`omni_vs_best`].

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use naspred_data::Dataset;
use naspred_eval::metrics::MetricKind;
use naspred_eval::protocol::EvalConfig;
use naspred_eval::records::{
    read_records, summarise, time_axes_note, write_summary_csv, MeanSe, SummaryRow,
};
use naspred_eval::{Family, PredictorFactory, ResultRecord};
use naspred_search::{plot_error_vs_queries, render_table, RunResult};
use naspred_spaces::SpaceKind;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::figure1::{
    anchored_map, paper_map_exclusions, plot_budget_map, plot_tau_panels, BudgetMap, BASELINE_KEYS,
    LATER_PROXIES, MAP_GRID,
};
use super::findings::{findings, findings_section, FindingsInput};
use super::{
    family_of, is_omni_key, load_benchmark, read_errors, read_process_runs, read_search_trials,
    read_sessions, Experiment, NasSpec, ProcessRun, ReproError, Role, Source, Suite, Work,
    HEARTBEAT_S, OMNI_KEYS,
};
use crate::registry::Registry;

/// Where and how the report is written.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// The reproduction's output folder (all shards' records).
    pub out: PathBuf,
    /// Where REPORT.md and its files go.
    pub report_dir: PathBuf,
    /// The command line shown in the report.
    pub command: String,
    /// Data root override (for the benchmark optimum of the NAS plots).
    pub data_dir: Option<PathBuf>,
    /// What the time axes measure, if the caller has its own text for their captions; `None`
    /// says it from the records' accounting (else [`TIME_ACCOUNTING`]).
    pub time_accounting: Option<String>,
}

/// The default caption of the Figure 1 pictures' time axes (spec §2.7).
pub const TIME_ACCOUNTING: &str = "Initialisation time = benchmark GPU-seconds to train the \
    training architectures + fit time here; query time = benchmark GPU-seconds of the partial \
    training (fidelity epochs) + query time here, per architecture.";

/// Which benchmark a point or experiment belongs to: space, dataset and data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchId {
    /// Space.
    pub space: SpaceKind,
    /// Dataset.
    pub dataset: Dataset,
    /// Data source.
    pub source: Source,
}

impl BenchId {
    /// The benchmark of an experiment.
    pub fn of(e: &Experiment) -> BenchId {
        BenchId {
            space: e.space,
            dataset: e.dataset,
            source: e.source,
        }
    }

    /// The stem of its files, e.g. `nb201-cifar10` or `nb201mini-cifar10`.
    pub fn stem(&self) -> String {
        format!("{}-{}", self.source.prefix(self.space), self.dataset)
    }
}

impl std::fmt::Display for BenchId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.source.prefix(self.space), self.dataset)
    }
}

impl Point {
    /// The benchmark this point was measured on.
    pub fn bench(&self) -> BenchId {
        BenchId {
            space: self.space,
            dataset: self.dataset,
            source: self.source,
        }
    }
}

/// One aggregated grid point of one predictor, on the paper's time axes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Experiment id.
    pub experiment: String,
    /// Space.
    pub space: SpaceKind,
    /// Dataset.
    pub dataset: Dataset,
    /// Where the data came from (the NB201 mini-benchmark is a benchmark of its own).
    #[serde(default)]
    pub source: Source,
    /// Predictor key.
    pub predictor: String,
    /// Its family.
    pub family: Family,
    /// Training architectures (None for predictors that do not train).
    pub train_size: Option<usize>,
    /// Fidelity in epochs (None for predictors without curves).
    pub fidelity: Option<u32>,
    /// Test architectures per trial.
    pub test_size: usize,
    /// Kendall tau over trials.
    pub tau: MeanSe,
    /// Spearman rho over trials.
    pub spearman: MeanSe,
    /// Trials aggregated (failed ones included).
    pub trials: usize,
    /// Failed trials.
    pub failures: usize,
    /// Initialisation time: benchmark GPU-seconds to train the training set plus the fit time.
    pub init_s: f64,
    /// Query time per architecture: benchmark GPU-seconds of the partial training plus the
    /// predictor's query time.
    pub query_s: f64,
    /// Fit wall time here (seconds).
    pub fit_s: f64,
    /// Predictor query wall time per architecture here (seconds).
    pub predictor_query_s: f64,
}

pub(crate) fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// Turns summary rows into points (`trains` decides whether the train size matters).
pub fn points_of(
    exp: &Experiment,
    test_size: usize,
    rows: &[SummaryRow],
    trains: &mut dyn FnMut(&str) -> bool,
) -> Vec<Point> {
    rows.iter()
        .map(|r| {
            let bench_init = r.bench_init_time_s.mean;
            let bench_query = r.bench_query_time_s.mean;
            let fit = finite_or_zero(r.fit_time_s.mean);
            let q = finite_or_zero(r.query_time_s.mean);
            Point {
                experiment: exp.id.clone(),
                space: exp.space,
                dataset: exp.dataset,
                source: exp.source,
                predictor: r.predictor.clone(),
                family: family_of(&r.predictor),
                train_size: trains(&r.predictor).then_some(r.train_size),
                fidelity: r.fidelity,
                test_size,
                tau: r.metric(MetricKind::Kendalltau),
                spearman: r.metric(MetricKind::Spearman),
                trials: r.trials,
                failures: r.failures,
                // NaN when the benchmark has no training times (then the point is left off
                // the time axes).
                init_s: bench_init + fit,
                query_s: if r.fidelity.is_some() {
                    bench_query + q
                } else {
                    finite_or_zero(bench_query) + q
                },
                fit_s: fit,
                predictor_query_s: q,
            }
        })
        .collect()
}

/// Whether a point has a finite tau and finite times (it can be placed on the time axes).
pub fn on_axes(p: &Point) -> bool {
    p.tau.mean.is_finite() && p.init_s.is_finite() && p.query_s.is_finite()
}

/// Indices of the Pareto-optimal points: no other point has initialisation time and query time
/// at most as large and Kendall tau at least as large, with one of the three strictly better.
/// Points without a finite tau or time are never optimal.
pub fn pareto(points: &[Point]) -> Vec<usize> {
    let ok: Vec<usize> = (0..points.len()).filter(|&i| on_axes(&points[i])).collect();
    ok.iter()
        .copied()
        .filter(|&i| {
            let a = &points[i];
            !ok.iter().any(|&j| {
                let b = &points[j];
                j != i
                    && b.init_s <= a.init_s
                    && b.query_s <= a.query_s
                    && b.tau.mean >= a.tau.mean
                    && (b.init_s < a.init_s || b.query_s < a.query_s || b.tau.mean > a.tau.mean)
            })
        })
        .collect()
}

/// Budgets on a log scale: one per decade from the decade of the smallest positive value up to
/// the first power of ten at or above the largest.
pub fn budget_grid(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let v: Vec<f64> = values
        .into_iter()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    if v.is_empty() {
        return Vec::new();
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min).log10();
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max).log10();
    let (lo, hi) = (lo.ceil() as i32, hi.ceil() as i32);
    (lo..=hi).map(|k| 10f64.powi(k)).collect()
}

/// For each (initialisation budget, query budget) cell, the point with the highest mean
/// Kendall tau among those within both budgets (`None` when none is).
pub fn best_per_budget(
    points: &[Point],
    init_budgets: &[f64],
    query_budgets: &[f64],
) -> Vec<Vec<Option<usize>>> {
    best_among(points, &|_| true, init_budgets, query_budgets)
}

/// [`best_per_budget`] among the points that `keep` accepts (indices still into `points`).
pub fn best_among(
    points: &[Point],
    keep: &dyn Fn(&Point) -> bool,
    init_budgets: &[f64],
    query_budgets: &[f64],
) -> Vec<Vec<Option<usize>>> {
    let eligible: Vec<usize> = (0..points.len())
        .filter(|&i| on_axes(&points[i]) && keep(&points[i]))
        .collect();
    init_budgets
        .iter()
        .map(|&bi| {
            query_budgets
                .iter()
                .map(|&bq| {
                    eligible
                        .iter()
                        .copied()
                        .filter(|&i| points[i].init_s <= bi && points[i].query_s <= bq)
                        .max_by(|&a, &b| points[a].tau.mean.total_cmp(&points[b].tau.mean))
                })
                .collect()
        })
        .collect()
}

/// OMNI at one grid point against the best single predictor that uses the same information.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OmniRow {
    /// OMNI's point (index into the points).
    pub omni: usize,
    /// The best single predictor's point at the same train size and fidelity.
    pub best: Option<usize>,
    /// OMNI's tau minus the best single tau.
    pub diff: f64,
    /// The difference relative to the best single tau (percent).
    pub rel_pct: f64,
}

/// For every OMNI point: the best non-OMNI, non-baseline predictor at the same grid point — a
/// model-based one at the same train size, a learning-curve one at the same fidelity, a
/// hybrid at both, zero-cost ones anywhere — in the same space and dataset.
pub fn omni_vs_best(points: &[Point]) -> Vec<OmniRow> {
    let is_omni = |p: &Point| is_omni_key(&p.predictor);
    let mut out = Vec::new();
    for (i, o) in points.iter().enumerate() {
        if !is_omni(o) || !o.tau.mean.is_finite() {
            continue;
        }
        let best = (0..points.len())
            .filter(|&j| {
                let p = &points[j];
                !is_omni(p)
                    && p.family != Family::Baseline
                    && p.bench() == o.bench()
                    && p.tau.mean.is_finite()
                    && p.train_size.is_none_or(|n| Some(n) == o.train_size)
                    && p.fidelity.is_none_or(|f| Some(f) == o.fidelity)
            })
            .max_by(|&a, &b| points[a].tau.mean.total_cmp(&points[b].tau.mean));
        let (diff, rel_pct) = match best {
            Some(b) => {
                let d = o.tau.mean - points[b].tau.mean;
                (d, 100.0 * d / points[b].tau.mean.abs())
            }
            None => (f64::NAN, f64::NAN),
        };
        out.push(OmniRow {
            omni: i,
            best,
            diff,
            rel_pct,
        });
    }
    out
}

fn fmt_ms(m: &MeanSe) -> String {
    if !m.mean.is_finite() {
        return "–".into();
    }
    if m.se.is_finite() {
        format!("{:.3} ± {:.3} (n={})", m.mean, m.se, m.n)
    } else {
        format!("{:.3} (n={})", m.mean, m.n)
    }
}

/// Seconds in a short human form.
pub fn fmt_secs(s: f64) -> String {
    if !s.is_finite() {
        "–".into()
    } else if s == 0.0 {
        "0".into()
    } else if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 3600.0 {
        format!("{s:.1} s")
    } else if s < 86400.0 * 2.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} d", s / 86400.0)
    }
}

/// A budget in seconds: [`fmt_secs`], but below a millisecond as a power of ten (`3e-8 s`),
/// which keeps the map's tiny budgets apart.
pub fn fmt_budget_secs(s: f64) -> String {
    if s.is_finite() && s > 0.0 && s < 1e-3 {
        format!("{s:.0e} s")
    } else {
        fmt_secs(s)
    }
}

fn fmt_budget(s: f64) -> String {
    let k = s.log10().round() as i32;
    format!("1e{k} s")
}

fn point_label(p: &Point) -> String {
    let mut s = p.predictor.clone();
    if let Some(n) = p.train_size {
        let _ = write!(s, " n={n}");
    }
    if let Some(f) = p.fidelity {
        let _ = write!(s, " f={f}");
    }
    s
}

/// The records of an evaluation experiment in every shard's file, restricted to its current
/// configuration and de-duplicated by grid point.
pub fn experiment_records(out: &Path, exp: &Experiment) -> Result<Vec<ResultRecord>, ReproError> {
    let Work::Eval(cfg) = &exp.work else {
        return Ok(Vec::new());
    };
    let dir = out.join(&exp.id);
    let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                n.starts_with("results") && n.ends_with(".jsonl")
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut seen = HashSet::new();
    let mut out_recs = Vec::new();
    for f in files {
        for r in read_records(&f)? {
            let ok = cfg.predictors.contains(&r.predictor)
                && r.trial < cfg.trials
                && r.test_size == cfg.test_size
                && r.test_set == cfg.test_set
                && r.space == exp.space
                && r.dataset == exp.dataset
                && r.seed == cfg.seed.wrapping_add(r.trial as u64);
            if ok && seen.insert(r.key()) {
                out_recs.push(r);
            }
        }
    }
    out_recs.sort_by_key(ResultRecord::key);
    Ok(out_recs)
}

const FAMILY_COLORS: [(Family, RGBColor); 6] = [
    (Family::ModelBased, RGBColor(31, 119, 180)),
    (Family::LearningCurve, RGBColor(214, 39, 40)),
    (Family::Hybrid, RGBColor(148, 103, 189)),
    (Family::ZeroCost, RGBColor(44, 160, 44)),
    (Family::WeightSharing, RGBColor(140, 86, 75)),
    (Family::Baseline, RGBColor(127, 127, 127)),
];

fn family_color(f: Family, shade: usize) -> RGBColor {
    let base = FAMILY_COLORS
        .iter()
        .find(|(g, _)| *g == f)
        .map(|(_, c)| *c)
        .unwrap_or(RGBColor(0, 0, 0));
    // Lighter shades for further predictors of the family.
    let t = (shade % 4) as f64 * 0.18;
    let mix = |c: u8| (c as f64 + (255.0 - c as f64) * t).round() as u8;
    RGBColor(mix(base.0), mix(base.1), mix(base.2))
}

/// Which time axis a figure uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Initialisation time.
    Init,
    /// Query time.
    Query,
}

/// Writes an SVG of Kendall tau against a time axis, one line per predictor coloured by family.
pub fn plot_tau(path: &Path, title: &str, points: &[Point], axis: Axis) -> Result<(), ReproError> {
    let err = |e: String| ReproError::io(path, format!("plot: {e}"));
    fn x_of(p: &Point, axis: Axis) -> f64 {
        match axis {
            Axis::Init => p.init_s,
            Axis::Query => p.query_s,
        }
    }
    let pts: Vec<&Point> = points
        .iter()
        .filter(|p| on_axes(p) && x_of(p, axis) > 0.0)
        .collect();
    if pts.is_empty() {
        return Err(err("no points with finite times".into()));
    }
    let xmin = pts
        .iter()
        .map(|p| x_of(p, axis))
        .fold(f64::INFINITY, f64::min)
        / 2.0;
    let xmax = pts.iter().map(|p| x_of(p, axis)).fold(0.0, f64::max) * 2.0;
    let ymin = pts.iter().map(|p| p.tau.mean).fold(0.0, f64::min) - 0.05;
    let ymax = pts.iter().map(|p| p.tau.mean).fold(0.0, f64::max).min(1.0) + 0.05;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let xlabel = match axis {
        Axis::Init => "initialisation time (benchmark GPU-s to train the training set + fit s)",
        Axis::Query => {
            "query time per architecture (benchmark GPU-s of partial training + query s)"
        }
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d((xmin..xmax).log_scale(), ymin..ymax)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(xlabel)
        .y_desc("Kendall tau")
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    let mut keys: Vec<(Family, String)> = Vec::new();
    for p in &pts {
        if !keys.iter().any(|(_, k)| *k == p.predictor) {
            keys.push((p.family, p.predictor.clone()));
        }
    }
    keys.sort_by(|a, b| a.0.to_string().cmp(&b.0.to_string()).then(a.1.cmp(&b.1)));
    let mut shade: BTreeMap<String, usize> = BTreeMap::new();
    for (fam, key) in &keys {
        let s = shade.entry(fam.to_string()).or_default();
        let color = family_color(*fam, *s);
        *s += 1;
        let mut line: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.predictor == *key)
            .map(|p| (x_of(p, axis), p.tau.mean))
            .collect();
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
        let label = format!("{key} ({fam})");
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                line.iter()
                    .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
            )
            .map_err(|e| err(e.to_string()))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 11))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// What the report found, for the caller (and `report.json`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReportSummary {
    /// Every aggregated point.
    pub points: Vec<Point>,
    /// Records read.
    pub records: usize,
    /// Search trials read.
    pub search_trials: usize,
    /// Files written (relative to the report folder).
    pub files: Vec<String>,
}

fn md_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| {} |", header.join(" | "));
    let _ = writeln!(
        s,
        "|{}|",
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s
}

/// The headline table: every predictor at its largest grid point (most training data, highest
/// fidelity) in the uniform-test-set experiments of a space.
pub fn key_table(points: &[Point]) -> String {
    let mut best: BTreeMap<(String, String), &Point> = BTreeMap::new();
    for p in points {
        let k = (p.bench().to_string(), p.predictor.clone());
        let size = (p.train_size.unwrap_or(0), p.fidelity.unwrap_or(0));
        match best.get(&k) {
            Some(q) if (q.train_size.unwrap_or(0), q.fidelity.unwrap_or(0)) >= size => {}
            _ => {
                best.insert(k, p);
            }
        }
    }
    let mut rows: Vec<(&(String, String), &&Point)> = best.iter().collect();
    rows.sort_by(|a, b| {
        a.0 .0
            .cmp(&b.0 .0)
            .then(b.1.tau.mean.total_cmp(&a.1.tau.mean))
    });
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|((space, key), p)| {
            vec![
                space.clone(),
                key.clone(),
                p.family.to_string(),
                p.train_size.map(|n| n.to_string()).unwrap_or("–".into()),
                p.fidelity.map(|n| n.to_string()).unwrap_or("–".into()),
                fmt_ms(&p.tau),
                fmt_secs(p.init_s),
                fmt_secs(p.query_s),
            ]
        })
        .collect();
    md_table(
        &[
            "benchmark",
            "predictor",
            "family",
            "train size",
            "fidelity",
            "Kendall tau ± s.e. (trials)",
            "init time",
            "query time",
        ],
        &rows,
    )
}

/// Reads every experiment's records and writes the report: `REPORT.md` (one section after the
/// other, each written by its own function below), the summary CSVs, SVG figures,
/// `key_table.md`, `points.csv` and `report.json`.
pub fn write_report(suite: &Suite, opts: &ReportOptions) -> Result<ReportSummary, ReproError> {
    let dir = &opts.report_dir;
    fs::create_dir_all(dir).map_err(|e| ReproError::io(dir, e))?;
    let mut md = String::new();
    let mut summary = ReportSummary::default();
    let agg = aggregate(suite, opts, &mut summary)?;
    write_intro(&mut md, suite, opts, &summary, &agg);
    // Headline table across spaces (uniform test sets).
    let uniform_points: Vec<Point> = suite
        .experiments
        .iter()
        .filter(|e| e.role != Role::Mutation && e.role != Role::Nas)
        .flat_map(|e| agg.exp_points.get(&e.id).cloned().unwrap_or_default())
        .collect();
    write_key_table(&mut md, dir, &uniform_points, &mut summary)?;
    // Per benchmark.
    let mut benches: Vec<BenchId> = Vec::new();
    for e in &suite.experiments {
        if !benches.contains(&BenchId::of(e)) {
            benches.push(BenchId::of(e));
        }
    }
    let mut report_json = serde_json::Map::new();
    for bench in &benches {
        let pts: Vec<Point> = uniform_points
            .iter()
            .filter(|p| p.bench() == *bench)
            .cloned()
            .collect();
        if !pts.is_empty() {
            write_benchmark(
                &mut md,
                (dir, &axes_caption(opts, &agg)),
                bench,
                &pts,
                &mut summary,
                &mut report_json,
            );
        }
    }
    let pairs = mutation_pairs(suite, &agg.exp_points, &uniform_points);
    write_mutation_vs_uniform(&mut md, &pairs);
    let nas = write_nas(&mut md, suite, opts, &mut summary)?;
    let found = findings(&FindingsInput {
        points: &uniform_points,
        mutation: &pairs,
        nas: &nas,
        grid: MAP_GRID,
    });
    md.push_str(&findings_section(&found, MAP_GRID));
    report_json.insert(
        "findings".into(),
        serde_json::to_value(&found).unwrap_or_default(),
    );
    summary.points = agg.exp_points.into_values().flatten().collect();
    write_points_files(dir, &mut summary, report_json)?;
    write_files_list(&mut md, &summary);
    fs::write(dir.join("REPORT.md"), md).map_err(|e| ReproError::io(dir, e))?;
    Ok(summary)
}

/// Every experiment read back: the evaluation experiments' points and one row per experiment
/// for the report's experiments table.
#[derive(Default)]
struct Aggregate {
    /// Points of each evaluation experiment, by id.
    exp_points: BTreeMap<String, Vec<Point>>,
    /// Rows of the experiments table, in suite order.
    exp_table: Vec<Vec<String>>,
    /// Wall seconds of every session that produced records.
    total_wall: f64,
    /// How the records' time axes were accounted ([`time_axes_note`] of every summary row).
    axes_note: String,
}

/// An experiment's entries in the experiments table.
struct Progress {
    /// What it runs.
    what: String,
    /// Units (evaluation points or search trials) planned.
    planned: usize,
    /// Units found.
    got: usize,
}

/// Reads every experiment's records (writing each evaluation's summary CSV) and builds the
/// experiments table.
fn aggregate(
    suite: &Suite,
    opts: &ReportOptions,
    summary: &mut ReportSummary,
) -> Result<Aggregate, ReproError> {
    let mut trains_cache: BTreeMap<String, bool> = BTreeMap::new();
    let mut trains = |k: &str| -> bool {
        *trains_cache.entry(k.to_string()).or_insert_with(|| {
            Registry::default()
                .requirements(k)
                .map(|r| r.trains)
                .unwrap_or(family_of(k) == Family::ModelBased)
        })
    };
    let mut agg = Aggregate::default();
    let mut rows: Vec<SummaryRow> = Vec::new();
    for exp in &suite.experiments {
        let sessions = read_sessions(&opts.out, &exp.id);
        let wall: f64 = sessions.iter().map(|s| s.wall_s).sum();
        agg.total_wall += wall;
        let shards: HashSet<&str> = sessions.iter().map(|s| s.shard.as_str()).collect();
        let Progress { what, planned, got } = match &exp.work {
            Work::Eval(cfg) => {
                let (pts, progress) =
                    aggregate_eval(exp, cfg, opts, summary, &mut trains, &mut rows)?;
                agg.exp_points.insert(exp.id.clone(), pts);
                progress
            }
            Work::Nas(spec) => aggregate_nas(exp, spec, opts, summary)?,
        };
        let errors = read_errors(&opts.out, &exp.id);
        let what = if errors.is_empty() {
            what
        } else {
            format!(
                "{what}; **failed:** {}",
                errors.join("; ").replace('|', "/")
            )
        };
        agg.exp_table.push(vec![
            format!("`{}`", exp.id),
            format!("{:?}", exp.role).to_lowercase(),
            what,
            format!("{got} / {planned}"),
            fmt_secs(wall),
            if shards.is_empty() {
                "–".into()
            } else {
                shards.len().to_string()
            },
        ]);
    }
    agg.axes_note = time_axes_note(&rows);
    Ok(agg)
}

/// One evaluation experiment: its points (its summary CSV written) and its experiments-table
/// entries (what it runs, units planned, records found).
fn aggregate_eval(
    exp: &Experiment,
    cfg: &EvalConfig,
    opts: &ReportOptions,
    summary: &mut ReportSummary,
    trains: &mut dyn FnMut(&str) -> bool,
    all_rows: &mut Vec<SummaryRow>,
) -> Result<(Vec<Point>, Progress), ReproError> {
    let recs = experiment_records(&opts.out, exp)?;
    summary.records += recs.len();
    let rows = summarise(&recs, &cfg.predictors);
    all_rows.extend(rows.iter().cloned());
    let csv = format!("{}.summary.csv", exp.id);
    write_summary_csv(&rows, &opts.report_dir.join(&csv))?;
    summary.files.push(csv);
    let pts = points_of(exp, cfg.test_size, &rows, trains);
    let planned = load_benchmark(exp.space, exp.dataset, exp.source, opts.data_dir.as_deref())
        .ok()
        .and_then(|b| naspred_eval::protocol::plan(&b, cfg, &Registry::default()).ok())
        .map(|p| p.points_per_trial() * cfg.trials)
        .unwrap_or(0);
    let what = format!(
        "{} ({} trials, test {} {})",
        cfg.predictors.join(", "),
        cfg.trials,
        cfg.test_size,
        cfg.test_set
    );
    let got = recs.len();
    Ok((pts, Progress { what, planned, got }))
}

/// One NAS experiment's experiments-table entries (what it runs, trials planned, trials found).
fn aggregate_nas(
    exp: &Experiment,
    spec: &NasSpec,
    opts: &ReportOptions,
    summary: &mut ReportSummary,
) -> Result<Progress, ReproError> {
    let mut got = 0;
    for c in &spec.runs {
        got += read_search_trials(&opts.out, &exp.id, &c.label(), spec.trials)?.len();
    }
    summary.search_trials += got;
    let what = format!(
        "{} ({} trials, {} queries)",
        spec.runs
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join(", "),
        spec.trials,
        spec.runs.first().map(|c| c.queries).unwrap_or(0)
    );
    let planned = spec.runs.len() * spec.trials;
    Ok(Progress { what, planned, got })
}

/// The caption of the time axes: the caller's text if it gave one, else what the records say
/// about their accounting, else [`TIME_ACCOUNTING`].
fn axes_caption(opts: &ReportOptions, agg: &Aggregate) -> String {
    match &opts.time_accounting {
        Some(text) => text.clone(),
        None if agg.axes_note.is_empty() => TIME_ACCOUNTING.to_string(),
        None => agg.axes_note.clone(),
    }
}

/// The title, what the numbers are, and the experiments table.
fn write_intro(
    md: &mut String,
    suite: &Suite,
    opts: &ReportOptions,
    summary: &ReportSummary,
    agg: &Aggregate,
) {
    let _ = writeln!(
        md,
        "# naspred reproduction report ({})\n",
        suite.mode.name()
    );
    let _ = writeln!(
        md,
        "Generated by `{}` from the records under `{}`: {} predictor evaluations and {} search \
         trials. Every number below is computed from those records; nothing is typed by hand.\n",
        opts.command,
        opts.out.display(),
        summary.records,
        summary.search_trials
    );
    let _ = writeln!(
        md,
        "**Time accounting (spec §2.7).** {} *Initialisation time* = the benchmark's GPU-seconds \
         charged for the predictor's training architectures + the predictor's fit time here. \
         *Query time* = per test architecture, the benchmark's GPU-seconds of its partial \
         training (fidelity × its per-epoch time) + the predictor's query time here. Fit and \
         query times are wall clock on this machine's CPU (zero-cost proxies too; a score read \
         from a precomputed table is charged its recorded compute time), measured while other \
         jobs shared the cores. Benchmarks without training times (the DARTS sample) are left \
         off the time axes.\n",
        axes_caption(opts, agg)
    );
    md.push_str(
        "Kendall tau is τ-b between the true validation accuracies and the predictions, \
                 mean ± standard error over trials (n = trials with a finite value).\n\n",
    );
    md.push_str("## Experiments\n\n");
    md.push_str(&md_table(
        &[
            "experiment",
            "role",
            "what",
            "done / planned",
            "wall time here",
            "shards",
        ],
        &agg.exp_table,
    ));
    let _ = writeln!(
        md,
        "\nTotal wall time of the sessions that finished an experiment's units: {} (a session \
         interrupted before the end of an experiment records none).",
        fmt_secs(agg.total_wall)
    );
    md.push_str(&process_runs_line(&read_process_runs(&opts.out)));
}

/// The wall time of every process that ran into the folder, interrupted ones included.
fn process_runs_line(runs: &[ProcessRun]) -> String {
    if runs.is_empty() {
        return "\n\n".into();
    }
    let wall: f64 = runs.iter().map(ProcessRun::wall_s).sum();
    let cut = runs.iter().filter(|r| !r.finished).count();
    let threads: Vec<String> = {
        let mut t: Vec<usize> = runs.iter().map(|r| r.threads).collect();
        t.sort_unstable();
        t.dedup();
        t.iter().map(|x| x.to_string()).collect()
    };
    format!(
        "\nWall time of the {} `naspred reproduce` processes that ran into this folder \
         (heartbeat files in `runs/`; {cut} of them interrupted or still running, each counted \
         to its last heartbeat, at most {HEARTBEAT_S} s short): {} with {} worker threads.\n\n",
        runs.len(),
        fmt_secs(wall),
        threads.join("/")
    )
}

/// The headline table (also written to `key_table.md`).
fn write_key_table(
    md: &mut String,
    dir: &Path,
    uniform_points: &[Point],
    summary: &mut ReportSummary,
) -> Result<(), ReproError> {
    let key = key_table(uniform_points);
    fs::write(dir.join("key_table.md"), &key).map_err(|e| ReproError::io(dir, e))?;
    summary.files.push("key_table.md".into());
    md.push_str("## Each predictor at its largest grid point\n\n");
    md.push_str(&key);
    md.push('\n');
    Ok(())
}

/// One benchmark's section: its figures, best predictor per budget, Pareto front, OMNI and
/// every grid point.
fn write_benchmark(
    md: &mut String,
    (dir, accounting): (&Path, &str),
    bench: &BenchId,
    pts: &[Point],
    summary: &mut ReportSummary,
    report_json: &mut serde_json::Map<String, serde_json::Value>,
) {
    let name = bench.stem();
    let _ = writeln!(md, "## {bench}\n");
    write_tau_figures(md, dir, bench, pts, summary);
    write_figure1(md, (dir, accounting), bench, pts, summary);
    write_best_per_budget(md, &name, pts, report_json);
    write_pareto(md, &name, pts, report_json);
    write_omni(md, pts);
    write_all_points(md, pts);
}

/// Kendall tau against initialisation and query time (SVG), or why a figure is missing.
fn write_tau_figures(
    md: &mut String,
    dir: &Path,
    bench: &BenchId,
    pts: &[Point],
    summary: &mut ReportSummary,
) {
    let name = bench.stem();
    let mut figs = Vec::new();
    for (axis, tag) in [(Axis::Init, "init"), (Axis::Query, "query")] {
        let f = format!("{name}-tau-vs-{tag}.svg");
        let title = format!(
            "{bench}: Kendall tau vs {} time",
            if axis == Axis::Init {
                "initialisation"
            } else {
                "query"
            }
        );
        match plot_tau(&dir.join(&f), &title, pts, axis) {
            Ok(()) => {
                figs.push(f.clone());
                summary.files.push(f);
            }
            Err(e) => {
                let _ = writeln!(md, "(no {tag}-time figure: {e})\n");
            }
        }
    }
    for f in &figs {
        let _ = writeln!(md, "![{f}]({f})\n");
    }
}

/// The maps of the best predictor per budget cell (all predictors; without the baselines;
/// without baselines and OMNI where OMNI ran) and tau against both time axes in one figure.
fn write_figure1(
    md: &mut String,
    (dir, accounting): (&Path, &str),
    bench: &BenchId,
    pts: &[Point],
    summary: &mut ReportSummary,
) {
    let name = bench.stem();
    let no_base: Vec<&str> = BASELINE_KEYS.to_vec();
    let no_base_omni = paper_map_exclusions();
    let mut variants: Vec<(&str, &str, &[&str])> = vec![
        ("map", "every predictor", &[]),
        (
            "map-no-baselines",
            "without the baselines (params, random)",
            &no_base,
        ),
    ];
    if pts
        .iter()
        .any(|p| is_omni_key(&p.predictor) || LATER_PROXIES.contains(&p.predictor.as_str()))
    {
        variants.push((
            "map-no-baselines-no-omni",
            "without the baselines, OMNI and the zero-cost proxies NASLib added after the study \
             (the paper's Figure 1)",
            &no_base_omni,
        ));
    }
    md.push_str("### Best predictor map (Figure 1, left)\n\n");
    for (tag, what, excluded) in variants {
        let map = anchored_map(pts, excluded, MAP_GRID).0;
        let f = format!("{name}-{tag}.svg");
        let title = format!("{bench}: best predictor per budget, {what}");
        match plot_budget_map(&dir.join(&f), &title, accounting, pts, &map) {
            Ok(()) => {
                let _ = writeln!(
                    md,
                    "![{f}]({f})\n\n*{}*\n",
                    map_caption(&map, what, accounting)
                );
                summary.files.push(f);
            }
            Err(e) => {
                let _ = writeln!(md, "(no map {what}: {e})\n");
            }
        }
    }
    md.push_str("### Kendall tau against both time axes (Figure 1, right)\n\n");
    let f = format!("{name}-tau-panels.svg");
    let title = format!("{bench}: Kendall tau vs initialisation and query time");
    match plot_tau_panels(&dir.join(&f), &title, accounting, pts) {
        Ok(()) => {
            let _ = writeln!(
                md,
                "![{f}]({f})\n\n*Left: model-based predictors over train size; right: \
                 learning-curve predictors over fidelity (hybrids at their largest train size), \
                 zero-cost (triangles) and weight-sharing (crosses) predictors; baselines dashed \
                 in both. {accounting}*\n"
            );
            summary.files.push(f);
        }
        Err(e) => {
            let _ = writeln!(md, "(no tau panels: {e})\n");
        }
    }
}

/// The caption of one map: what it shows, its grid and the time accounting.
fn map_caption(map: &BudgetMap, what: &str, accounting: &str) -> String {
    let range = |b: &[f64]| match (b.first(), b.last()) {
        (Some(lo), Some(hi)) => format!("{}–{}", fmt_budget_secs(*lo), fmt_budget_secs(*hi)),
        _ => "–".into(),
    };
    format!(
        "Best predictor ({what}) by mean Kendall tau among the grid points within both budgets, \
         on {} × {} log-spaced budgets (initialisation {}, query {}; the axes of the findings' \
         regions, anchored as described there); grey: no predictor fits. \
         Regions of four or more cells are labelled with their key and tau range. {accounting}",
        map.init_budgets.len(),
        map.query_budgets.len(),
        range(&map.init_budgets),
        range(&map.query_budgets),
    )
}

/// The best predictor per (initialisation budget × query budget) cell.
fn write_best_per_budget(
    md: &mut String,
    name: &str,
    pts: &[Point],
    report_json: &mut serde_json::Map<String, serde_json::Value>,
) {
    let ib = budget_grid(pts.iter().filter(|p| on_axes(p)).map(|p| p.init_s));
    let qb = budget_grid(pts.iter().filter(|p| on_axes(p)).map(|p| p.query_s));
    if ib.is_empty() || qb.is_empty() {
        return;
    }
    let best = best_per_budget(pts, &ib, &qb);
    md.push_str("### Best predictor per (initialisation budget × query budget)\n\n");
    md.push_str(
        "Rows: initialisation budget; columns: query budget per architecture. Each cell: \
         the grid point with the highest mean Kendall tau within both budgets.\n\n",
    );
    let mut header: Vec<String> = vec!["init \\ query".into()];
    header.extend(qb.iter().map(|&b| format!("≤ {}", fmt_budget(b))));
    let rows: Vec<Vec<String>> = ib
        .iter()
        .zip(&best)
        .map(|(&b, cells)| {
            let mut r = vec![format!("≤ {}", fmt_budget(b))];
            r.extend(cells.iter().map(|c| match c {
                Some(i) => format!("{} {:.2}", pts[*i].predictor, pts[*i].tau.mean),
                None => "–".into(),
            }));
            r
        })
        .collect();
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    md.push_str(&md_table(&h, &rows));
    md.push('\n');
    let cells: Vec<Vec<Option<String>>> = best
        .iter()
        .map(|r| r.iter().map(|c| c.map(|i| point_label(&pts[i]))).collect())
        .collect();
    report_json.insert(
        format!("{name}/best_per_budget"),
        serde_json::json!({
            "init_budgets_s": ib,
            "query_budgets_s": qb,
            "cells": cells,
        }),
    );
}

/// The Pareto-optimal grid points in (initialisation time, query time, Kendall tau).
fn write_pareto(
    md: &mut String,
    name: &str,
    pts: &[Point],
    report_json: &mut serde_json::Map<String, serde_json::Value>,
) {
    let front = pareto(pts);
    if front.is_empty() {
        return;
    }
    md.push_str("### Pareto-optimal predictors\n\n");
    let mut keys: Vec<&str> = front.iter().map(|&i| pts[i].predictor.as_str()).collect();
    keys.sort();
    keys.dedup();
    let _ = writeln!(
        md,
        "Grid points not dominated in (initialisation time, query time, Kendall tau); \
         predictors on the front: **{}**.\n",
        keys.join(", ")
    );
    let mut f = front.clone();
    f.sort_by(|&a, &b| {
        pts[a]
            .init_s
            .total_cmp(&pts[b].init_s)
            .then(pts[a].query_s.total_cmp(&pts[b].query_s))
    });
    let rows: Vec<Vec<String>> = f
        .iter()
        .map(|&i| {
            let p = &pts[i];
            vec![
                point_label(p),
                p.family.to_string(),
                fmt_ms(&p.tau),
                fmt_secs(p.init_s),
                fmt_secs(p.query_s),
            ]
        })
        .collect();
    md.push_str(&md_table(
        &["point", "family", "Kendall tau", "init time", "query time"],
        &rows,
    ));
    md.push('\n');
    report_json.insert(
        format!("{name}/pareto"),
        serde_json::json!(f.iter().map(|&i| point_label(&pts[i])).collect::<Vec<_>>()),
    );
}

/// OMNI against the best single predictor at each of its grid points.
fn write_omni(md: &mut String, pts: &[Point]) {
    md.push_str("### OMNI vs the best single predictor\n\n");
    let omni = omni_vs_best(pts);
    if omni.is_empty() {
        let missing: Vec<&str> = OMNI_KEYS
            .iter()
            .copied()
            .filter(|k| Registry::info(k).is_err())
            .collect();
        if missing.is_empty() {
            md.push_str("No OMNI results for this benchmark yet.\n\n");
        } else {
            let _ = writeln!(
                md,
                "No OMNI results: {} not registered in this build.\n",
                missing.join(", ")
            );
        }
        return;
    }
    let wins = omni.iter().filter(|r| r.diff > 0.0).count();
    let _ = writeln!(
        md,
        "OMNI beats the best single predictor at {wins} of {} grid points; largest gain \
         {:.1}% Kendall tau.\n",
        omni.len(),
        omni.iter()
            .map(|r| r.rel_pct)
            .filter(|x| x.is_finite())
            .fold(f64::NEG_INFINITY, f64::max)
    );
    let rows: Vec<Vec<String>> = omni
        .iter()
        .map(|r| {
            let o = &pts[r.omni];
            let (bl, bt) = match r.best {
                Some(b) => (point_label(&pts[b]), fmt_ms(&pts[b].tau)),
                None => ("–".into(), "–".into()),
            };
            vec![
                point_label(o),
                fmt_ms(&o.tau),
                bl,
                bt,
                if r.diff.is_finite() {
                    format!("{:+.3} ({:+.1}%)", r.diff, r.rel_pct)
                } else {
                    "–".into()
                },
            ]
        })
        .collect();
    md.push_str(&md_table(
        &[
            "OMNI point",
            "OMNI tau",
            "best single at that point",
            "its tau",
            "difference",
        ],
        &rows,
    ));
    md.push('\n');
}

/// Every grid point of a benchmark (folded), and a note when some evaluations failed.
fn write_all_points(md: &mut String, pts: &[Point]) {
    md.push_str("<details><summary>All grid points</summary>\n\n");
    let rows: Vec<Vec<String>> = pts
        .iter()
        .map(|p| {
            vec![
                format!("`{}`", p.experiment),
                p.predictor.clone(),
                p.train_size.map(|n| n.to_string()).unwrap_or("–".into()),
                p.fidelity.map(|n| n.to_string()).unwrap_or("–".into()),
                fmt_ms(&p.tau),
                fmt_ms(&p.spearman),
                format!("{}/{}", p.failures, p.trials),
                fmt_secs(p.init_s),
                fmt_secs(p.query_s),
                fmt_secs(p.fit_s),
            ]
        })
        .collect();
    md.push_str(&md_table(
        &[
            "experiment",
            "predictor",
            "train",
            "fidelity",
            "Kendall tau",
            "Spearman",
            "failed/trials",
            "init time",
            "query time",
            "fit here",
        ],
        &rows,
    ));
    md.push_str("\n</details>\n\n");
    if let Some(e) = pts.iter().find(|p| p.failures > 0) {
        let _ = writeln!(
            md,
            "Some evaluations failed (e.g. {} at {}); see the summary CSVs' failure counts.\n",
            e.predictor,
            point_label(e)
        );
    }
}

/// A mutation-test-set point and the same grid point (predictor, train size, fidelity) on the
/// uniform test set of its benchmark, where there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct MutationPair {
    /// The point on the mutation test set.
    pub mutation: Point,
    /// The same grid point on the uniform test set.
    pub uniform: Option<Point>,
}

/// Every mutation-experiment point of the suite paired with its uniform-test-set point.
pub fn mutation_pairs(
    suite: &Suite,
    exp_points: &BTreeMap<String, Vec<Point>>,
    uniform_points: &[Point],
) -> Vec<MutationPair> {
    let mut out = Vec::new();
    for m in suite
        .experiments
        .iter()
        .filter(|e| e.role == Role::Mutation)
    {
        for mp in exp_points.get(&m.id).into_iter().flatten() {
            let uniform = uniform_points
                .iter()
                .find(|p| {
                    p.bench() == BenchId::of(m)
                        && p.predictor == mp.predictor
                        && p.train_size == mp.train_size
                        && p.fidelity == mp.fidelity
                })
                .cloned();
            out.push(MutationPair {
                mutation: mp.clone(),
                uniform,
            });
        }
    }
    out
}

/// Each mutation-test-set point beside the same point on the uniform test set.
fn write_mutation_vs_uniform(md: &mut String, pairs: &[MutationPair]) {
    md.push_str("## Uniform vs mutation test sets\n\n");
    if pairs.is_empty() {
        md.push_str("No mutation-test-set results.\n\n");
    } else {
        let rows: Vec<Vec<String>> = pairs
            .iter()
            .map(|pair| {
                let mp = &pair.mutation;
                let (us, d) = match &pair.uniform {
                    Some(u) => (fmt_ms(&u.tau), format!("{:+.3}", mp.tau.mean - u.tau.mean)),
                    None => ("–".into(), "–".into()),
                };
                vec![
                    mp.bench().to_string(),
                    point_label(mp),
                    us,
                    fmt_ms(&mp.tau),
                    d,
                ]
            })
            .collect();
        md.push_str(&md_table(
            &[
                "benchmark",
                "point",
                "uniform tau",
                "mutation tau",
                "mutation − uniform",
            ],
            &rows,
        ));
        md.push('\n');
    }
    md.push_str(
        "Mutation sets (spec §2.4) hold close relatives of good architectures: the ranking task \
         is harder, so lower tau there is the expected direction. Their training sets are \
         mutation-based too: every training architecture is one mutation away from a test \
         architecture, which helps a model-based predictor. Zero-cost proxies use no training \
         set, so their change shows the test set's effect alone.\n\n",
    );
}

/// One NAS run at the last checkpoint of its experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NasFinal {
    /// Experiment id.
    pub experiment: String,
    /// Space.
    pub space: SpaceKind,
    /// Dataset.
    pub dataset: Dataset,
    /// Run label (`rs`, `re`, `bo-xgb`, ...).
    pub label: String,
    /// The run's predictor (`None` for random search and regularised evolution).
    pub predictor: Option<String>,
    /// The checkpoint (queries).
    pub queries: usize,
    /// Mean test error (percent) of the best-by-validation architecture, standard error and
    /// trials that reached the checkpoint.
    pub test_err: MeanSe,
}

/// Each run of a NAS experiment at the experiment's last checkpoint (runs no trial of which
/// reached it are left out).
pub fn nas_finals(e: &Experiment, spec: &NasSpec, runs: &[RunResult]) -> Vec<NasFinal> {
    let Some(&queries) = spec.checkpoints.iter().max() else {
        return Vec::new();
    };
    runs.iter()
        .filter_map(|r| {
            let c = naspred_search::checkpoint(&r.trials, queries);
            (c.n > 0).then(|| NasFinal {
                experiment: e.id.clone(),
                space: e.space,
                dataset: e.dataset,
                label: r.label.clone(),
                predictor: r.config.predictor.clone(),
                queries,
                test_err: MeanSe {
                    mean: c.test_err_mean,
                    se: c.test_err_se,
                    n: c.n,
                },
            })
        })
        .collect()
}

/// The predictor-guided NAS runs: a figure and a table per experiment. Returns every run at
/// its experiment's last checkpoint ([`nas_finals`]).
fn write_nas(
    md: &mut String,
    suite: &Suite,
    opts: &ReportOptions,
    summary: &mut ReportSummary,
) -> Result<Vec<NasFinal>, ReproError> {
    md.push_str("## Predictor-guided NAS\n\n");
    let mut finals = Vec::new();
    let mut any_nas = false;
    for e in suite.experiments.iter().filter(|e| e.role == Role::Nas) {
        let Work::Nas(spec) = &e.work else { continue };
        let mut runs = Vec::new();
        for c in &spec.runs {
            let trials = read_search_trials(&opts.out, &e.id, &c.label(), spec.trials)?;
            if trials.is_empty() {
                continue;
            }
            runs.push(RunResult {
                config: c.clone(),
                label: c.label(),
                trials,
                resumed: 0,
            });
        }
        if runs.is_empty() {
            continue;
        }
        any_nas = true;
        write_nas_experiment(md, e, spec, &runs, opts, summary);
        finals.extend(nas_finals(e, spec, &runs));
    }
    if !any_nas {
        md.push_str("No search results.\n\n");
    }
    Ok(finals)
}

/// One NAS experiment's figure (error against queries, with the benchmark's optimum) and table.
fn write_nas_experiment(
    md: &mut String,
    e: &Experiment,
    spec: &NasSpec,
    runs: &[RunResult],
    opts: &ReportOptions,
    summary: &mut ReportSummary,
) {
    let _ = writeln!(md, "### {} {}\n", e.space, e.dataset);
    let optimum = load_benchmark(e.space, e.dataset, e.source, opts.data_dir.as_deref())
        .ok()
        .map(|b| {
            b.records()
                .iter()
                .map(|r| 100.0 - r.test_acc.unwrap_or_else(|| r.mean_val_acc()))
                .fold(f64::INFINITY, f64::min)
        });
    let f = format!("{}-nas.svg", e.id);
    match plot_error_vs_queries(
        &opts.report_dir.join(&f),
        &format!("{} {}: predictor-guided NAS", e.space, e.dataset),
        runs,
        optimum,
    ) {
        Ok(()) => {
            let _ = writeln!(md, "![{f}]({f})\n");
            summary.files.push(f);
        }
        Err(err) => {
            let _ = writeln!(md, "(no figure: {err})\n");
        }
    }
    md.push_str("```text\n");
    md.push_str(&render_table(runs, &spec.checkpoints));
    md.push_str("```\n\n");
    if let Some(o) = optimum {
        let _ = writeln!(md, "Benchmark optimum: {o:.3}% error.\n");
    }
}

/// `points.csv` (every point, one row each) and `report.json` (the per-benchmark tables'
/// cells, Pareto fronts and every point).
fn write_points_files(
    dir: &Path,
    summary: &mut ReportSummary,
    mut report_json: serde_json::Map<String, serde_json::Value>,
) -> Result<(), ReproError> {
    let mut csv = String::from(
        "experiment,space,dataset,predictor,family,train_size,fidelity,test_size,trials,failures,\
         kendalltau_mean,kendalltau_se,kendalltau_n,spearman_mean,spearman_se,init_s,query_s,fit_s,\
         predictor_query_s\n",
    );
    let num = |x: f64| {
        if x.is_finite() {
            x.to_string()
        } else {
            String::new()
        }
    };
    for p in &summary.points {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            p.experiment,
            p.space,
            p.dataset,
            p.predictor,
            p.family,
            p.train_size.map(|n| n.to_string()).unwrap_or_default(),
            p.fidelity.map(|n| n.to_string()).unwrap_or_default(),
            p.test_size,
            p.trials,
            p.failures,
            num(p.tau.mean),
            num(p.tau.se),
            p.tau.n,
            num(p.spearman.mean),
            num(p.spearman.se),
            num(p.init_s),
            num(p.query_s),
            num(p.fit_s),
            num(p.predictor_query_s)
        );
    }
    fs::write(dir.join("points.csv"), csv).map_err(|e| ReproError::io(dir, e))?;
    summary.files.push("points.csv".into());
    report_json.insert(
        "points".into(),
        serde_json::to_value(&summary.points).unwrap_or_default(),
    );
    // Predictor keys the suite could not run. Always empty now that a suite with an unknown
    // key is an error; kept so that report.json keeps its shape.
    report_json.insert("skipped".into(), serde_json::json!([]));
    fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&serde_json::Value::Object(report_json)).unwrap_or_default(),
    )
    .map_err(|e| ReproError::io(dir, e))?;
    summary.files.push("report.json".into());
    Ok(())
}

/// The list of every file written beside `REPORT.md`.
fn write_files_list(md: &mut String, summary: &ReportSummary) {
    md.push_str("## Files\n\n");
    md.push_str(
        "Figures are SVG only: plotters' bitmap backend needs a font library to draw text, \
         which this workspace does not build.\n\n",
    );
    for f in &summary.files {
        let _ = writeln!(md, "- [`{f}`]({f})");
    }
    md.push('\n');
}

/// The test points the map and findings tests share: jacov cheap and early, valacc at two
/// fidelities, xgb and gcn over train sizes.
#[cfg(test)]
pub(crate) fn fixture_points() -> Vec<Point> {
    vec![
        fixture_point("jacov", Family::ZeroCost, (None, None), (1e-3, 1e-2), 0.6),
        fixture_point(
            "valacc",
            Family::LearningCurve,
            (None, Some(1)),
            (1e-3, 8.0),
            0.65,
        ),
        fixture_point(
            "valacc",
            Family::LearningCurve,
            (None, Some(12)),
            (1e-3, 1e3),
            0.9,
        ),
        fixture_point(
            "xgb",
            Family::ModelBased,
            (Some(100), None),
            (1e5, 1e-3),
            0.7,
        ),
        fixture_point(
            "gcn",
            Family::ModelBased,
            (Some(10), None),
            (1e3, 1e-3),
            0.5,
        ),
    ]
}

/// A test point on NB201 CIFAR-10: key, family, (train size, fidelity), (init, query) seconds
/// and mean tau (s.e. 0.01 over 3 trials).
#[cfg(test)]
pub(crate) fn fixture_point(
    key: &str,
    family: Family,
    (n, f): (Option<usize>, Option<u32>),
    (init, query): (f64, f64),
    tau: f64,
) -> Point {
    Point {
        experiment: "x".into(),
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        source: Source::Benchmark,
        predictor: key.into(),
        family,
        train_size: n,
        fidelity: f,
        test_size: 10,
        tau: MeanSe {
            mean: tau,
            se: 0.01,
            n: 3,
        },
        spearman: MeanSe::of([tau]),
        trials: 3,
        failures: 0,
        init_s: init,
        query_s: query,
        fit_s: 0.0,
        predictor_query_s: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(
        key: &str,
        family: Family,
        n: Option<usize>,
        f: Option<u32>,
        init: f64,
        query: f64,
        tau: f64,
    ) -> Point {
        fixture_point(key, family, (n, f), (init, query), tau)
    }

    /// A: init 10 tau .5; B: init 100 tau .7; C: init 100 tau .6 (dominated by B);
    /// D: query 1 tau .3; E: query 10 tau .2 (dominated by D); F: NaN tau.
    fn example() -> Vec<Point> {
        let mb = Family::ModelBased;
        let lc = Family::LearningCurve;
        vec![
            pt("a", mb, Some(10), None, 10.0, 1e-5, 0.5),
            pt("b", mb, Some(100), None, 100.0, 1e-5, 0.7),
            pt("c", mb, Some(100), None, 100.0, 1e-5, 0.6),
            pt("d", lc, None, Some(1), 1e-3, 1.0, 0.3),
            pt("e", lc, None, Some(10), 1e-3, 10.0, 0.2),
            pt("f", lc, None, Some(10), 1e-3, 0.5, f64::NAN),
        ]
    }

    #[test]
    fn pareto_front_of_a_hand_checked_example() {
        let p = example();
        let mut front: Vec<&str> = pareto(&p)
            .iter()
            .map(|&i| p[i].predictor.as_str())
            .collect();
        front.sort();
        assert_eq!(front, vec!["a", "b", "d"]);
    }

    #[test]
    fn best_per_budget_of_a_hand_checked_example() {
        let p = example();
        let ib = budget_grid(p.iter().map(|x| x.init_s));
        let qb = budget_grid(p.iter().map(|x| x.query_s));
        assert_eq!(ib, vec![1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0]);
        assert_eq!(qb.first().copied(), Some(1e-5));
        assert_eq!(qb.last().copied(), Some(10.0));
        let best = best_per_budget(&p, &[1e-3, 10.0, 100.0], &[1e-5, 1.0, 10.0]);
        let name = |c: Option<usize>| c.map(|i| p[i].predictor.clone()).unwrap_or("-".into());
        let table: Vec<Vec<String>> = best
            .iter()
            .map(|r| r.iter().map(|&c| name(c)).collect())
            .collect();
        assert_eq!(
            table,
            vec![
                vec!["-", "d", "d"],
                vec!["a", "a", "a"],
                vec!["b", "b", "b"],
            ]
        );
    }

    #[test]
    fn omni_is_compared_with_the_best_at_its_grid_point() {
        let mut p = example();
        p.push(pt(
            "omni_ngb",
            Family::Hybrid,
            Some(10),
            Some(1),
            10.0,
            1.0,
            0.6,
        ));
        p.push(pt("random", Family::Baseline, None, None, 0.0, 0.0, 0.9));
        let rows = omni_vs_best(&p);
        assert_eq!(rows.len(), 1);
        // Eligible: a (n=10) and d (f=1); b, c have n=100; e has f=10; random is a baseline.
        let best = rows[0].best.unwrap();
        assert_eq!(p[best].predictor, "a");
        assert!((rows[0].diff - 0.1).abs() < 1e-12);
        assert!((rows[0].rel_pct - 20.0).abs() < 1e-9);
    }

    #[test]
    fn key_table_takes_the_largest_point() {
        let mb = Family::ModelBased;
        let p = vec![
            pt("a", mb, Some(100), None, 100.0, 1e-5, 0.4),
            pt("a", mb, Some(10), None, 10.0, 1e-5, 0.5),
        ];
        let t = key_table(&p);
        assert!(
            t.contains("| nb201 cifar10 | a | model-based | 100 |"),
            "{t}"
        );
        assert!(t.contains("0.400 ± 0.010 (n=3)"), "{t}");
        assert!(!t.contains("0.500"), "{t}");
    }

    #[test]
    fn figure1_section_embeds_three_maps_and_the_panels_with_the_accounting() {
        let mut p = example();
        p.push(pt(
            "omni_ngb",
            Family::Hybrid,
            Some(10),
            Some(1),
            10.0,
            1.0,
            0.6,
        ));
        p.push(pt("random", Family::Baseline, None, None, 1e-4, 1e-6, 0.0));
        let dir = std::env::temp_dir().join(format!("naspred-report-fig1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut md = String::new();
        let mut summary = ReportSummary::default();
        let bench = BenchId {
            space: SpaceKind::Nb201,
            dataset: Dataset::Cifar10,
            source: Source::Benchmark,
        };
        write_figure1(&mut md, (&dir, "ACCOUNTING"), &bench, &p, &mut summary);
        let want = [
            "nb201-cifar10-map.svg",
            "nb201-cifar10-map-no-baselines.svg",
            "nb201-cifar10-map-no-baselines-no-omni.svg",
            "nb201-cifar10-tau-panels.svg",
        ];
        assert_eq!(summary.files, want);
        for f in want {
            assert!(md.contains(&format!("![{f}]({f})")), "{md}");
            let svg = std::fs::read_to_string(dir.join(f)).unwrap();
            assert!(svg.contains("ACCOUNTING"), "{f}");
        }
        assert_eq!(md.matches("ACCOUNTING*").count(), 4, "{md}");
        assert!(md.contains("30 × 30 log-spaced budgets"), "{md}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn mutation_points_pair_with_the_same_uniform_grid_point() {
        let suite = Suite::new(super::super::Mode::Quick, &[SpaceKind::Nb201]).unwrap();
        let mid = suite
            .experiments
            .iter()
            .find(|e| e.role == Role::Mutation)
            .map(|e| e.id.clone())
            .unwrap();
        let mb = Family::ModelBased;
        let uniform = vec![
            pt("xgb", mb, Some(10), None, 10.0, 1e-5, 0.5),
            pt("xgb", mb, Some(100), None, 100.0, 1e-5, 0.7),
        ];
        let mut m1 = pt("xgb", mb, Some(100), None, 100.0, 1e-5, 0.4);
        m1.experiment = mid.clone();
        let mut m2 = pt("gcn", mb, Some(100), None, 100.0, 1e-5, 0.3);
        m2.experiment = mid.clone();
        let exp_points = BTreeMap::from([(mid, vec![m1, m2])]);
        let pairs = mutation_pairs(&suite, &exp_points, &uniform);
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].uniform.as_ref().map(|u| u.tau.mean), Some(0.7));
        assert!(pairs[1].uniform.is_none());
    }
}
