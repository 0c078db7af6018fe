//! The study's Figure 1 drawn from the report's points.
//!
//! * The best-predictor map ([`budget_map`], [`plot_budget_map`]): on a fine log-spaced grid of
//!   (initialisation budget × query budget per architecture) cells, the predictor with the
//!   highest mean Kendall tau among the grid points within both budgets, drawn as coloured
//!   regions (the paper's left panel).
//! * Kendall tau against both time axes side by side ([`plot_tau_panels`]): model-based
//!   predictors as curves over train size against initialisation time, learning-curve
//!   predictors (and hybrids at their largest train size) as curves over fidelity against
//!   query time, zero-cost and weight-sharing predictors as markers (the paper's right panel,
//!   drawn flat).
//!
//! Every predictor key keeps one colour in every figure ([`key_color`]).

use std::collections::BTreeMap;
use std::path::Path;

use naspred_eval::Family;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::report::{best_among, on_axes, Point};
use super::ReproError;

/// The benchmark-side baselines (left out of the map's second version).
pub const BASELINE_KEYS: [&str; 2] = ["params", "random"];

/// Zero-cost proxies NASLib added after the study (its later `Develop` branch, spec §5): the
/// paper's Figure 1 and its claims are about the others, so the paper's map and the claims
/// leave these out (the findings name them where they would change a verdict).
pub const LATER_PROXIES: [&str; 7] = [
    "nwot",
    "zen",
    "epe_nas",
    "l2_norm",
    "plain",
    "flops",
    "zc_params",
];

/// The keys the paper's Figure 1 leaves out: the baselines, OMNI (`omni_*`) and
/// [`LATER_PROXIES`]. The paper's version of the map and the region claims are drawn without
/// them.
pub fn paper_map_exclusions() -> Vec<&'static str> {
    let mut out = BASELINE_KEYS.to_vec();
    out.push("omni_*");
    out.extend(LATER_PROXIES);
    out
}

/// Cells per axis of the map.
pub const MAP_GRID: usize = 30;

/// The best predictor of every (initialisation budget, query budget) cell.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetMap {
    /// Initialisation budgets (seconds, ascending): the rows.
    pub init_budgets: Vec<f64>,
    /// Query budgets per architecture (seconds, ascending): the columns.
    pub query_budgets: Vec<f64>,
    /// `cells[row][column]`: the index (into the points) of the cell's best point, `None`
    /// where no point is within both budgets.
    pub cells: Vec<Vec<Option<usize>>>,
}

impl BudgetMap {
    /// Whether the map has no cells.
    pub fn is_empty(&self) -> bool {
        self.init_budgets.is_empty() || self.query_budgets.is_empty()
    }

    /// The predictor keys that win a cell, in [`legend_order`].
    pub fn keys(&self, points: &[Point]) -> Vec<(Family, String)> {
        let mut keys: Vec<(Family, String)> = Vec::new();
        for &i in self.cells.iter().flatten().flatten() {
            let p = &points[i];
            if !keys.iter().any(|(_, k)| *k == p.predictor) {
                keys.push((p.family, p.predictor.clone()));
            }
        }
        legend_order(&mut keys);
        keys
    }

    /// Whether some cell has no feasible point.
    pub fn has_blank(&self) -> bool {
        self.cells.iter().flatten().any(Option::is_none)
    }
}

/// Whether `key` is in `excluded`: an entry is a key, or a prefix when it ends in `*`
/// (`omni_*`).
pub fn is_excluded(key: &str, excluded: &[&str]) -> bool {
    excluded.iter().any(|e| match e.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => key == *e,
    })
}

/// `n` budgets log-spaced from the smallest to the largest positive finite value (one budget
/// when they coincide, none without a positive value).
pub fn log_budgets(values: impl IntoIterator<Item = f64>, n: usize) -> Vec<f64> {
    let v: Vec<f64> = values
        .into_iter()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    if v.is_empty() || n == 0 {
        return Vec::new();
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if n == 1 || hi / lo - 1.0 < 1e-12 {
        return vec![hi];
    }
    let (llo, lhi) = (lo.log10(), hi.log10());
    // The ends are the values themselves (no rounding puts the extreme points out of reach).
    (0..n)
        .map(|k| match k {
            0 => lo,
            k if k == n - 1 => hi,
            k => 10f64.powf(llo + (lhi - llo) * k as f64 / (n - 1) as f64),
        })
        .collect()
}

/// The map of the points whose key is not in `excluded` ([`is_excluded`]) on an `n` × `n`
/// grid spanning their initialisation and query times.
pub fn budget_map(points: &[Point], excluded: &[&str], n: usize) -> BudgetMap {
    let keep = |p: &Point| on_axes(p) && !is_excluded(&p.predictor, excluded);
    let kept = || points.iter().filter(|p| keep(p));
    let init_budgets = log_budgets(kept().map(|p| p.init_s), n);
    let query_budgets = log_budgets(kept().map(|p| p.query_s), n);
    budget_map_on(points, excluded, init_budgets, query_budgets)
}

/// The map of the points whose key is not in `excluded` on given axes (ascending budgets).
pub fn budget_map_on(
    points: &[Point],
    excluded: &[&str],
    init_budgets: Vec<f64>,
    query_budgets: Vec<f64>,
) -> BudgetMap {
    let keep = |p: &Point| on_axes(p) && !is_excluded(&p.predictor, excluded);
    let cells = best_among(points, &keep, &init_budgets, &query_budgets);
    BudgetMap {
        init_budgets,
        query_budgets,
        cells,
    }
}

/// Lower end of the "low initialisation" bands: a quarter of the training-set range below its
/// cheapest point.
pub const LOW_INIT: f64 = -0.25;

/// The budgets the regions are anchored on, from one benchmark's points (baselines and OMNI
/// left out, as on the region map).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchors {
    /// The cheapest query of a zero-cost proxy.
    pub zc_query: Option<f64>,
    /// The cheapest query of any point.
    pub any_query: Option<f64>,
    /// The cheapest and the dearest learning-curve query (learning-curve and hybrid points
    /// at a fidelity).
    pub lc_query: Option<(f64, f64)>,
    /// The cheapest and the dearest initialisation of the points that need a training set.
    pub init: Option<(f64, f64)>,
}

fn min_max(v: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    v.filter(|x| x.is_finite() && *x > 0.0)
        .fold(None, |acc, x| match acc {
            None => Some((x, x)),
            Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
        })
}

impl Anchors {
    /// The anchors of `points`.
    pub fn of<'a>(points: impl IntoIterator<Item = &'a Point> + Clone) -> Anchors {
        let pts = || points.clone().into_iter().filter(|p| on_axes(p));
        let lc = |p: &&Point| {
            p.fidelity.is_some() && matches!(p.family, Family::LearningCurve | Family::Hybrid)
        };
        let trained = |p: &&Point| {
            p.train_size.is_some() && matches!(p.family, Family::ModelBased | Family::Hybrid)
        };
        Anchors {
            zc_query: min_max(
                pts()
                    .filter(|p| p.family == Family::ZeroCost)
                    .map(|p| p.query_s),
            )
            .map(|r| r.0),
            any_query: min_max(pts().map(|p| p.query_s)).map(|r| r.0),
            lc_query: min_max(pts().filter(lc).map(|p| p.query_s)),
            init: min_max(pts().filter(trained).map(|p| p.init_s)),
        }
    }

    /// The initialisation budgets `[lo, hi)` of a band of fractions ([`Region::init`]);
    /// `None` when the band is empty here.
    pub fn init_range(&self, (lo, hi): (f64, f64)) -> Option<(f64, f64)> {
        let Some((a, b)) = self.init else {
            return (lo < 0.0).then_some((0.0, f64::INFINITY));
        };
        let ratio = (b / a).max(10.0);
        let at = |u: f64| {
            if u == f64::INFINITY {
                f64::INFINITY
            } else {
                a * ratio.powf(u)
            }
        };
        Some((at(lo), at(hi)))
    }

    /// The region map's axes: `n` log-spaced budgets each, spanning the anchored budgets
    /// (initialisation from the low bands' lower end to fraction 1 of the training-set range,
    /// else the points' range; query from the low band's floor to the dearest
    /// query).
    pub fn axes(&self, points: &[&Point], n: usize) -> (Vec<f64>, Vec<f64>) {
        let init = match (self.init, self.init_range((LOW_INIT, 1.0))) {
            (Some(_), Some((lo, hi))) => log_budgets([lo, hi], n),
            _ => log_budgets(points.iter().map(|p| p.init_s), n),
        };
        let top = points
            .iter()
            .map(|p| p.query_s)
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        let query = match self.zc_query.or(self.any_query) {
            Some(lo) => log_budgets([lo, top.max(lo)], n),
            None => Vec::new(),
        };
        (init, query)
    }
}

/// The map of the points whose key is not in `excluded` on axes anchored on the budgets the
/// study's claims are about ([`Anchors::axes`]), and the anchors.
pub fn anchored_map(points: &[Point], excluded: &[&str], n: usize) -> (BudgetMap, Anchors) {
    let kept: Vec<&Point> = points
        .iter()
        .filter(|p| on_axes(p) && !is_excluded(&p.predictor, excluded))
        .collect();
    let anchors = Anchors::of(kept.iter().copied());
    let (init, query) = anchors.axes(&kept, n);
    (budget_map_on(points, excluded, init, query), anchors)
}

/// Sorts keys by family (report order) and then by key.
pub fn legend_order(keys: &mut [(Family, String)]) {
    keys.sort_by(|a, b| family_rank(a.0).cmp(&family_rank(b.0)).then(a.1.cmp(&b.1)));
}

fn family_rank(f: Family) -> usize {
    match f {
        Family::ModelBased => 0,
        Family::LearningCurve => 1,
        Family::Hybrid => 2,
        Family::ZeroCost => 3,
        Family::WeightSharing => 4,
        Family::Baseline => 5,
    }
}

/// Fixed colours of the keys the study's Figure 1 names (and their neighbours).
const KEY_COLORS: &[(&str, (u8, u8, u8))] = &[
    ("valacc", (214, 39, 40)),
    ("valloss", (255, 152, 150)),
    ("sotle", (255, 127, 14)),
    ("sotl", (255, 187, 120)),
    ("sotlema", (219, 219, 141)),
    ("lce", (227, 119, 194)),
    ("lce_m", (247, 182, 210)),
    ("lcsvr", (148, 103, 189)),
    ("omni_ngb", (23, 190, 207)),
    ("omni_ngb_valacc", (158, 218, 229)),
    ("omni_seminas", (0, 128, 128)),
    ("jacov", (44, 160, 44)),
    ("synflow", (152, 223, 138)),
    ("nwot", (188, 189, 34)),
    ("zc_params", (99, 121, 57)),
    ("flops", (181, 207, 107)),
    ("gcn", (31, 119, 180)),
    ("seminas", (174, 199, 232)),
    ("bonas", (57, 59, 121)),
    ("bananas", (82, 84, 163)),
    ("mlp", (107, 110, 207)),
    ("xgb", (140, 86, 75)),
    ("lgb", (189, 158, 57)),
    ("ngb", (123, 65, 115)),
    ("rf", (206, 219, 156)),
    ("gp", (231, 186, 82)),
    ("params", (150, 150, 150)),
    ("random", (90, 90, 90)),
];

/// The colour of a predictor key, the same in every figure: a fixed colour for the keys the
/// study's figure names, else a hue from a hash of the key.
pub fn key_color(key: &str) -> RGBColor {
    if let Some((_, (r, g, b))) = KEY_COLORS.iter().find(|(k, _)| *k == key) {
        return RGBColor(*r, *g, *b);
    }
    // FNV-1a: stable across runs and platforms.
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    let hue = (h % 360) as f64;
    let light = 0.45 + 0.2 * ((h >> 16) % 2) as f64;
    hsl_to_rgb(hue, 0.55, light)
}

fn hsl_to_rgb(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let q = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(q(r), q(g), q(b))
}

/// Colour of the cells without a feasible predictor.
const BLANK: RGBColor = RGBColor(235, 235, 235);

/// Cell edges on a log axis around the budgets (geometric midpoints; the outer edges half a
/// step out).
fn log_edges(b: &[f64]) -> Vec<f64> {
    match b.len() {
        0 => Vec::new(),
        1 => vec![b[0] / 10f64.sqrt(), b[0] * 10f64.sqrt()],
        n => {
            let mut e = vec![b[0] * (b[0] / b[1]).sqrt()];
            e.extend(b.windows(2).map(|w| (w[0] * w[1]).sqrt()));
            e.push(b[n - 1] * (b[n - 1] / b[n - 2]).sqrt());
            e
        }
    }
}

fn plot_err(path: &Path) -> impl Fn(String) -> ReproError + '_ {
    move |e: String| ReproError::io(path, format!("plot: {e}"))
}

/// One labelled region of the map: a connected set of cells won by one key.
struct RegionLabel {
    row: usize,
    col: usize,
    text: String,
}

/// The connected regions (4-neighbourhood) of cells won by the same key, each of at least
/// `min_cells` cells, labelled with the key and its tau range at the region's most central
/// cell.
fn region_labels(points: &[Point], map: &BudgetMap, min_cells: usize) -> Vec<RegionLabel> {
    let rows = map.cells.len();
    let cols = map.cells.first().map(Vec::len).unwrap_or(0);
    let key_at = |r: usize, c: usize| map.cells[r][c].map(|i| points[i].predictor.as_str());
    let mut seen = vec![vec![false; cols]; rows];
    let mut out = Vec::new();
    for r0 in 0..rows {
        for c0 in 0..cols {
            let Some(key) = key_at(r0, c0) else { continue };
            if seen[r0][c0] {
                continue;
            }
            seen[r0][c0] = true;
            let mut stack = vec![(r0, c0)];
            let mut comp = Vec::new();
            while let Some((r, c)) = stack.pop() {
                comp.push((r, c));
                let next = [
                    (r.wrapping_sub(1), c),
                    (r + 1, c),
                    (r, c.wrapping_sub(1)),
                    (r, c + 1),
                ];
                for (nr, nc) in next {
                    if nr < rows && nc < cols && !seen[nr][nc] && key_at(nr, nc) == Some(key) {
                        seen[nr][nc] = true;
                        stack.push((nr, nc));
                    }
                }
            }
            if comp.len() >= min_cells {
                out.push(label_of(points, map, key, &comp));
            }
        }
    }
    out
}

fn label_of(points: &[Point], map: &BudgetMap, key: &str, comp: &[(usize, usize)]) -> RegionLabel {
    let n = comp.len() as f64;
    let mr = comp.iter().map(|c| c.0 as f64).sum::<f64>() / n;
    let mc = comp.iter().map(|c| c.1 as f64).sum::<f64>() / n;
    let dist = |c: &(usize, usize)| (c.0 as f64 - mr).powi(2) + (c.1 as f64 - mc).powi(2);
    let (row, col) = comp
        .iter()
        .copied()
        .min_by(|a, b| dist(a).total_cmp(&dist(b)))
        .unwrap_or((0, 0));
    let taus: Vec<f64> = comp
        .iter()
        .filter_map(|&(r, c)| map.cells[r][c].map(|i| points[i].tau.mean))
        .collect();
    let lo = taus.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = taus.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let text = if hi - lo < 0.005 {
        format!("{key} {hi:.2}")
    } else {
        format!("{key} [{lo:.2}, {hi:.2}]")
    };
    RegionLabel { row, col, text }
}

/// Writes the map as an SVG: one coloured cell per (initialisation budget, query budget),
/// regions of at least four cells labelled with their key and tau range, a legend of the keys
/// present (grey: no feasible predictor) and `note` (e.g. the time accounting) under the title.
pub fn plot_budget_map(
    path: &Path,
    title: &str,
    note: &str,
    points: &[Point],
    map: &BudgetMap,
) -> Result<(), ReproError> {
    let err = plot_err(path);
    if map.is_empty() {
        return Err(err("no points with finite times".into()));
    }
    let mut entries: Vec<LegendEntry> = map
        .keys(points)
        .into_iter()
        .map(|(fam, key)| LegendEntry::swatch(fam, key))
        .collect();
    if map.has_blank() {
        entries.push(LegendEntry {
            family: None,
            text: "no feasible predictor".into(),
            color: BLANK,
            mark: Mark::Swatch,
        });
    }
    let (root, body) = headed_canvas(path, (1040, 760), &entries, title, note).map_err(&err)?;
    let (plot, legend) = body.split_horizontally(800);
    draw_map_cells(&plot, points, map).map_err(&err)?;
    draw_legend(&legend, &entries).map_err(&err)?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// A white SVG canvas at `path`, `size.0` wide and at least `size.1` tall (taller when the
/// legend `entries` need it), with `title` and `note` drawn in its 56-pixel heading. Returns
/// the canvas (to present) and the area under the heading.
fn headed_canvas<'a>(
    path: &'a Path,
    size: (u32, u32),
    entries: &[LegendEntry],
    title: &str,
    note: &str,
) -> Result<(Canvas<'a>, Canvas<'a>), String> {
    let height = size.1.max(56 + legend_height(entries));
    let root = SVGBackend::new(path, (size.0, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (top, body) = root.split_vertically(56);
    draw_heading(&top, title, note)?;
    Ok((root, body))
}

/// A drawing area of an SVG figure.
type Canvas<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A figure's title and, under it in a smaller font, its note.
fn draw_heading(
    area: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    note: &str,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<_>| x.to_string();
    area.draw(&Text::new(
        title.to_string(),
        (14, 8),
        ("sans-serif", 20).into_font(),
    ))
    .map_err(e)?;
    area.draw(&Text::new(
        note.to_string(),
        (14, 34),
        ("sans-serif", 11).into_font().color(&RGBColor(80, 80, 80)),
    ))
    .map_err(e)?;
    Ok(())
}

fn draw_map_cells(
    area: &DrawingArea<SVGBackend, Shift>,
    points: &[Point],
    map: &BudgetMap,
) -> Result<(), String> {
    let xe = log_edges(&map.query_budgets);
    let ye = log_edges(&map.init_budgets);
    let (x0, x1) = (xe[0], xe[xe.len() - 1]);
    let (y0, y1) = (ye[0], ye[ye.len() - 1]);
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_y_mesh()
        .x_desc("query budget per architecture (s)")
        .y_desc("initialisation budget (s)")
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(|e| e.to_string())?;
    // One rectangle per run of cells of the same key along a row (a small SVG).
    let mut rects = Vec::new();
    for (r, row) in map.cells.iter().enumerate() {
        let key = |c: usize| row[c].map(|i| points[i].predictor.as_str());
        let mut start = 0;
        for c in 1..=row.len() {
            if c < row.len() && key(c) == key(start) {
                continue;
            }
            let color = key(start).map_or(BLANK, key_color);
            rects.push(Rectangle::new(
                [(xe[start], ye[r]), (xe[c], ye[r + 1])],
                color.filled(),
            ));
            start = c;
        }
    }
    chart.draw_series(rects).map_err(|e| e.to_string())?;
    let labels = region_labels(points, map, 4);
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (bx, by) = area.get_base_pixel();
    let centre = Pos::new(HPos::Center, VPos::Center);
    let font = ("sans-serif", 12).into_font().color(&BLACK).pos(centre);
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    for l in &labels {
        let x = (xe[l.col] * xe[l.col + 1]).sqrt();
        let y = (ye[l.row] * ye[l.row + 1]).sqrt();
        let (px, py) = chart.backend_coord(&(x, y));
        let (w, h) = area
            .estimate_text_size(&l.text, &font)
            .map_err(|e| e.to_string())?;
        let (hw, hh) = (w as i32 / 2 + 4, h as i32 / 2 + 3);
        // Kept inside the plot, on a light box that reads over any colour.
        let cx = px.clamp(xr.start + hw, (xr.end - hw).max(xr.start + hw)) - bx;
        let cy = py.clamp(yr.start + hh, (yr.end - hh).max(yr.start + hh)) - by;
        // A label that would cover one already drawn moves down (then up) by its height.
        let overlaps = |y: i32| {
            placed
                .iter()
                .any(|&(x0, y0, x1, y1)| cx - hw < x1 && x0 < cx + hw && y - hh < y1 && y0 < y + hh)
        };
        let step = 2 * hh + 2;
        let Some(cy) = (0..6)
            .flat_map(|k| [cy + k * step, cy - k * step])
            .find(|&y| !overlaps(y) && y - hh + by >= yr.start && y + hh + by <= yr.end)
        else {
            continue;
        };
        placed.push((cx - hw, cy - hh, cx + hw, cy + hh));
        area.draw(&Rectangle::new(
            [(cx - hw, cy - hh), (cx + hw, cy + hh)],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(|e| e.to_string())?;
        area.draw(&Text::new(l.text.clone(), (cx, cy), font.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mark {
    /// A filled square (map cells).
    Swatch,
    /// A solid line.
    Line,
    /// A dashed line (baselines).
    Dashed,
    /// A filled triangle (zero-cost).
    Triangle,
    /// A cross (weight-sharing).
    Cross,
}

/// One legend entry, grouped under its family's heading.
struct LegendEntry {
    family: Option<Family>,
    text: String,
    color: RGBColor,
    mark: Mark,
}

impl LegendEntry {
    fn swatch(family: Family, key: String) -> Self {
        LegendEntry {
            family: Some(family),
            color: key_color(&key),
            text: key,
            mark: Mark::Swatch,
        }
    }
}

/// Draws the entries top-down, a family heading before each family's first entry.
/// The height in pixels [`draw_legend`] needs for `entries`.
fn legend_height(entries: &[LegendEntry]) -> u32 {
    let mut families: Vec<Option<Family>> = entries.iter().map(|e| e.family).collect();
    families.dedup();
    let headed = families.iter().filter(|f| f.is_some()).count() as u32;
    16 + 21 * headed + 17 * entries.len() as u32 + 10
}

fn draw_legend(
    area: &DrawingArea<SVGBackend, Shift>,
    entries: &[LegendEntry],
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<_>| x.to_string();
    let mut y = 16;
    let mut last: Option<Option<Family>> = None;
    for en in entries {
        if last != Some(en.family) {
            if let Some(f) = en.family {
                y += 4;
                area.draw(&Text::new(
                    f.to_string(),
                    (8, y),
                    ("sans-serif", 12).into_font().style(FontStyle::Bold),
                ))
                .map_err(e)?;
                y += 17;
            }
            last = Some(en.family);
        }
        draw_mark(area, en.mark, en.color, (14, y + 6)).map_err(e)?;
        area.draw(&Text::new(
            en.text.clone(),
            (40, y),
            ("sans-serif", 12).into_font(),
        ))
        .map_err(e)?;
        y += 17;
    }
    Ok(())
}

fn draw_mark(
    area: &DrawingArea<SVGBackend, Shift>,
    mark: Mark,
    color: RGBColor,
    (x, y): (i32, i32),
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    match mark {
        Mark::Swatch => {
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + 18, y + 6)],
                color.filled(),
            ))?;
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + 18, y + 6)],
                BLACK.stroke_width(1),
            ))
        }
        Mark::Line => area.draw(&PathElement::new(
            vec![(x, y), (x + 18, y)],
            color.stroke_width(2),
        )),
        Mark::Dashed => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 6, y)],
                color.stroke_width(2),
            ))?;
            area.draw(&PathElement::new(
                vec![(x + 12, y), (x + 18, y)],
                color.stroke_width(2),
            ))
        }
        Mark::Triangle => area.draw(&TriangleMarker::new((x + 9, y), 6, color.filled())),
        Mark::Cross => area.draw(&Cross::new((x + 9, y), 5, color.stroke_width(2))),
    }
}

/// How a predictor appears in the two panels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A curve over train size against initialisation time (model-based).
    InitCurve,
    /// A curve over fidelity against query time (learning-curve; hybrids at their largest
    /// train size).
    QueryCurve,
    /// Markers against query time (zero-cost, weight-sharing).
    QueryMarker,
    /// A dashed reference level in both panels (baselines).
    Reference,
}

fn role_of(f: Family) -> Role {
    match f {
        Family::ModelBased => Role::InitCurve,
        Family::LearningCurve | Family::Hybrid => Role::QueryCurve,
        Family::ZeroCost | Family::WeightSharing => Role::QueryMarker,
        Family::Baseline => Role::Reference,
    }
}

/// One drawn predictor: its key, family and (x, tau) points in x order.
struct Curve {
    key: String,
    family: Family,
    xy: Vec<(f64, f64)>,
}

/// The curves of each role: model-based over train size (x = init time); learning-curve over
/// fidelity and hybrids over fidelity at their largest train size (x = query time); zero-cost
/// and weight-sharing as points (x = query time); baselines as their best tau.
fn curves_of(points: &[Point]) -> BTreeMap<String, Curve> {
    let mut largest: BTreeMap<&str, usize> = BTreeMap::new();
    for p in points.iter().filter(|p| p.family == Family::Hybrid) {
        let n = p.train_size.unwrap_or(0);
        let e = largest.entry(p.predictor.as_str()).or_insert(n);
        *e = (*e).max(n);
    }
    let mut out: BTreeMap<String, Curve> = BTreeMap::new();
    for p in points.iter().filter(|p| on_axes(p)) {
        if p.family == Family::Hybrid
            && Some(p.train_size.unwrap_or(0)) != largest.get(p.predictor.as_str()).copied()
        {
            continue;
        }
        let x = match role_of(p.family) {
            Role::InitCurve => p.init_s,
            _ => p.query_s,
        };
        out.entry(p.predictor.clone())
            .or_insert_with(|| Curve {
                key: p.predictor.clone(),
                family: p.family,
                xy: Vec::new(),
            })
            .xy
            .push((x, p.tau.mean));
    }
    for c in out.values_mut() {
        c.xy.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

/// Positive x range of the curves, widened by a factor 2 each way and to at least two decades
/// around its geometric centre (a log axis over less reads badly).
fn x_range(curves: &[&Curve]) -> Option<(f64, f64)> {
    let xs = curves
        .iter()
        .flat_map(|c| c.xy.iter().map(|p| p.0))
        .filter(|x| *x > 0.0);
    let (lo, hi) = xs.fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(x), h.max(x)));
    if !(lo.is_finite() && hi > 0.0) {
        return None;
    }
    let (lo, hi) = (lo / 2.0, hi * 2.0);
    let mid = (lo * hi).sqrt();
    Some((lo.min(mid / 10.0), hi.max(mid * 10.0)))
}

/// Writes Kendall tau against initialisation time (left) and query time (right) as one SVG
/// with a shared tau axis and a legend grouped by family; `note` goes under the title.
pub fn plot_tau_panels(
    path: &Path,
    title: &str,
    note: &str,
    points: &[Point],
) -> Result<(), ReproError> {
    let err = plot_err(path);
    let curves = curves_of(points);
    if curves.is_empty() {
        return Err(err("no points with finite times".into()));
    }
    let taus = curves.values().flat_map(|c| c.xy.iter().map(|p| p.1));
    let (tlo, thi) = taus.fold((0.0f64, 0.0f64), |(l, h), t| (l.min(t), h.max(t)));
    let y = (tlo - 0.05, thi.min(1.0) + 0.05);
    let mut all: Vec<&Curve> = curves.values().collect();
    all.sort_by(|a, b| {
        family_rank(a.family)
            .cmp(&family_rank(b.family))
            .then(a.key.cmp(&b.key))
    });
    let entries: Vec<LegendEntry> = all
        .iter()
        .map(|c| LegendEntry {
            family: Some(c.family),
            text: c.key.clone(),
            color: key_color(&c.key),
            mark: match role_of(c.family) {
                Role::Reference => Mark::Dashed,
                Role::QueryMarker if c.family == Family::WeightSharing => Mark::Cross,
                Role::QueryMarker => Mark::Triangle,
                _ => Mark::Line,
            },
        })
        .collect();
    // The figure grows with its legend (every predictor of the study has an entry).
    let (root, body) = headed_canvas(path, (1400, 620), &entries, title, note).map_err(&err)?;
    let (panels, legend) = body.split_horizontally(1190);
    let (left, right) = panels.split_horizontally(595);
    let refs: Vec<&Curve> = curves
        .values()
        .filter(|c| role_of(c.family) == Role::Reference)
        .collect();
    let init: Vec<&Curve> = curves
        .values()
        .filter(|c| role_of(c.family) == Role::InitCurve)
        .collect();
    let query: Vec<&Curve> = curves
        .values()
        .filter(|c| matches!(role_of(c.family), Role::QueryCurve | Role::QueryMarker))
        .collect();
    let xl = "initialisation time (s): model-based over train size";
    draw_panel(&left, xl, &init, &refs, y).map_err(&err)?;
    let xq = "query time per architecture (s): learning curves over fidelity";
    draw_panel(&right, xq, &query, &refs, y).map_err(&err)?;
    draw_legend(&legend, &entries).map_err(&err)?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// One panel: the curves (lines with dots, or markers) and the baselines as dashed levels.
fn draw_panel(
    area: &DrawingArea<SVGBackend, Shift>,
    xdesc: &str,
    curves: &[&Curve],
    refs: &[&Curve],
    (ylo, yhi): (f64, f64),
) -> Result<(), String> {
    let Some((x0, x1)) = x_range(curves) else {
        area.draw(&Text::new(
            format!("{xdesc}: no points"),
            (40, 40),
            ("sans-serif", 13).into_font(),
        ))
        .map_err(|e| e.to_string())?;
        return Ok(());
    };
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(50)
        .build_cartesian_2d((x0..x1).log_scale(), ylo..yhi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .max_light_lines(1)
        .x_desc(xdesc)
        .y_desc("Kendall tau")
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .draw()
        .map_err(|e| e.to_string())?;
    for r in refs {
        let t = r.xy.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let style = key_color(&r.key).stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(vec![(x0, t), (x1, t)], 8, 6, style))
            .map_err(|e| e.to_string())?;
    }
    for c in curves {
        let color = key_color(&c.key);
        let pts: Vec<(f64, f64)> = c.xy.iter().copied().filter(|p| p.0 > 0.0).collect();
        let drawn = match role_of(c.family) {
            Role::QueryMarker if c.family == Family::WeightSharing => chart
                .draw_series(pts.iter().map(|&p| Cross::new(p, 6, color.stroke_width(2))))
                .map(|_| ()),
            Role::QueryMarker => chart
                .draw_series(
                    pts.iter()
                        .map(|&p| TriangleMarker::new(p, 6, color.filled())),
                )
                .map(|_| ()),
            _ => chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map(|_| ()),
        };
        drawn.map_err(|e| e.to_string())?;
        if matches!(role_of(c.family), Role::InitCurve | Role::QueryCurve) {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduce::report::{fixture_point, fixture_points};
    use std::path::PathBuf;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("naspred-fig1-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Whether the SVG has a text element reading `t` (plotters writes the text on its own
    /// line).
    fn has_text(svg: &str, t: &str) -> bool {
        svg.lines().any(|l| l.trim() == t)
    }

    /// jacov cheap and early, valacc at two fidelities, xgb and gcn over train sizes, the
    /// random baseline at the smallest times, omni_ngb in the middle.
    fn fixture() -> Vec<Point> {
        let mut v = fixture_points();
        v.push(fixture_point(
            "random",
            Family::Baseline,
            (None, None),
            (1e-4, 1e-4),
            0.0,
        ));
        v.push(fixture_point(
            "omni_ngb",
            Family::Hybrid,
            (Some(10), Some(1)),
            (1e3, 9.0),
            0.8,
        ));
        v
    }

    #[test]
    fn log_budgets_span_the_values() {
        let b = log_budgets([1.0, 1e-2, 1e2, 0.0, f64::NAN], 5);
        let want = [1e-2, 1e-1, 1.0, 1e1, 1e2];
        assert_eq!(b.len(), 5);
        for (x, w) in b.iter().zip(want) {
            assert!((x / w - 1.0).abs() < 1e-9, "{b:?}");
        }
        assert_eq!(log_budgets([3.0, 3.0], 4), vec![3.0]);
        assert!(log_budgets([0.0, -1.0], 4).is_empty());
    }

    #[test]
    fn exclusion_takes_keys_and_prefixes() {
        let ex = ["params", "omni_*"];
        assert!(is_excluded("params", &ex));
        assert!(is_excluded("omni_seminas", &ex));
        assert!(!is_excluded("zc_params", &ex));
        assert!(!is_excluded("random", &ex));
    }

    #[test]
    fn map_corners_of_a_hand_checked_example() {
        let p = fixture();
        let name = |m: &BudgetMap, r: usize, c: usize| {
            m.cells[r][c]
                .map(|i| p[i].predictor.clone())
                .unwrap_or("-".into())
        };
        let all = budget_map(&p, &[], 10);
        // The random baseline stretches the grid down to 1e-4 s and fills its corner.
        assert!((all.init_budgets[0] - 1e-4).abs() < 1e-12);
        assert_eq!(name(&all, 0, 0), "random");
        let mut ex = BASELINE_KEYS.to_vec();
        ex.push("omni_*");
        let m = budget_map(&p, &ex, 10);
        assert!((m.init_budgets[0] - 1e-3).abs() < 1e-12);
        assert!((m.query_budgets[9] - 1e3).abs() < 1e-9);
        assert_eq!(name(&m, 0, 0), "-");
        assert_eq!(name(&m, 9, 0), "xgb");
        assert_eq!(name(&m, 0, 9), "valacc");
        assert_eq!(name(&m, 0, 3), "jacov");
        assert!(m.has_blank());
        let keys: Vec<String> = m.keys(&p).into_iter().map(|k| k.1).collect();
        assert_eq!(keys, vec!["gcn", "xgb", "valacc", "jacov"]);
        // With OMNI, it takes the middle of the grid from valacc f=1 and gcn.
        let o = budget_map(&p, &BASELINE_KEYS, 10);
        assert_eq!(name(&o, 9, 8), "omni_ngb");
    }

    #[test]
    fn colours_are_stable_and_distinct_for_the_figure_keys() {
        assert_eq!(key_color("some_new_key"), key_color("some_new_key"));
        let named: Vec<RGBColor> = KEY_COLORS.iter().map(|(k, _)| key_color(k)).collect();
        for (i, a) in named.iter().enumerate() {
            for b in &named[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_ne!(key_color("snip"), key_color("grasp"));
    }

    #[test]
    fn map_svg_has_its_legend_and_region_labels() {
        let p = fixture();
        let dir = temp_dir("map");
        let f = dir.join("map.svg");
        let m = budget_map(&p, &BASELINE_KEYS, 12);
        plot_budget_map(&f, "nb201 cifar10", "time accounting note", &p, &m).unwrap();
        let svg = std::fs::read_to_string(&f).unwrap();
        for k in [
            "valacc",
            "xgb",
            "jacov",
            "gcn",
            "omni_ngb",
            "no feasible predictor",
        ] {
            assert!(has_text(&svg, k), "legend lacks {k}");
        }
        assert!(svg.contains("time accounting note"));
        assert!(!has_text(&svg, "random"));
        // valacc's top-query region is labelled with its tau.
        assert!(has_text(&svg, "valacc [0.65, 0.90]"), "no region label");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn panels_svg_groups_the_legend_by_family() {
        let p = fixture();
        let dir = temp_dir("panels");
        let f = dir.join("panels.svg");
        plot_tau_panels(&f, "nb201 cifar10", "note", &p).unwrap();
        let svg = std::fs::read_to_string(&f).unwrap();
        for k in [
            "model-based",
            "learning curve",
            "zero-cost",
            "baseline",
            "random",
            "xgb",
        ] {
            assert!(has_text(&svg, k), "legend lacks {k}");
        }
        assert!(svg.contains("initialisation time (s)"));
        assert!(svg.contains("query time per architecture (s)"));
        assert!(plot_tau_panels(&f, "t", "n", &[]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
