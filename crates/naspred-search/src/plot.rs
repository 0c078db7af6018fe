//! SVG plot of the mean test error of the best-by-validation architecture against the number
//! of queries, one line (with a ± standard-error band) per run. Drawn with plotters' SVG
//! backend, which writes text as SVG `<text>` elements: no font files or system libraries.

use std::path::Path;

use plotters::prelude::*;

use crate::config::SearchError;
use crate::output::{curve, RunResult};

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Writes `path` (SVG): test error (%) of the best-by-validation architecture vs queries,
/// mean over trials with a ± s.e. band, per run. `optimum_err` draws the benchmark's best
/// test error as a dashed reference line.
pub fn plot_error_vs_queries(
    path: &Path,
    title: &str,
    runs: &[RunResult],
    optimum_err: Option<f64>,
) -> Result<(), SearchError> {
    let err = |e: String| SearchError::Results {
        path: path.to_path_buf(),
        reason: format!("plot: {e}"),
    };
    let curves: Vec<_> = runs.iter().map(|r| curve(&r.trials)).collect();
    let max_q = curves.iter().map(Vec::len).max().unwrap_or(1).max(2);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for c in &curves {
        // Skip the first few queries, whose error dwarfs the rest of the curve.
        for p in c.iter().skip((max_q / 20).min(c.len().saturating_sub(1))) {
            let se = if p.test_err_se.is_finite() {
                p.test_err_se
            } else {
                0.0
            };
            if p.test_err_mean.is_finite() {
                lo = lo.min(p.test_err_mean - se);
                hi = hi.max(p.test_err_mean + se);
            }
        }
    }
    if let Some(o) = optimum_err {
        lo = lo.min(o);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return Err(err("no finite errors to plot".into()));
    }
    let pad = ((hi - lo) * 0.05).max(0.01);
    let (lo, hi) = (lo - pad, hi + pad);
    let test_is_val = runs
        .iter()
        .flat_map(|r| r.trials.iter().flatten())
        .any(|r| r.test_is_val);
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(1f64..max_q as f64, lo..hi)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("queries")
        .y_desc(if test_is_val {
            "error of best-by-val arch (%; val: no test acc)"
        } else {
            "test error of best-by-val arch (%)"
        })
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for (i, (run, c)) in runs.iter().zip(&curves).enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts = |sign: f64| {
            c.iter()
                .filter(|p| p.test_err_mean.is_finite())
                .map(move |p| {
                    let se = if p.test_err_se.is_finite() {
                        p.test_err_se
                    } else {
                        0.0
                    };
                    (
                        p.queries as f64,
                        (p.test_err_mean + sign * se).clamp(lo, hi),
                    )
                })
        };
        let band: Vec<(f64, f64)> = pts(1.0)
            .chain(pts(-1.0).collect::<Vec<_>>().into_iter().rev())
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, color.mix(0.15))))
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(LineSeries::new(pts(0.0), color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(format!("{} ({} trials)", run.label, run.trials.len()))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    if let Some(o) = optimum_err {
        let dashes: Vec<_> = (0..max_q)
            .step_by((max_q / 60).max(1))
            .map(|q| {
                let x0 = q as f64 + 1.0;
                let x1 = (x0 + (max_q as f64 / 120.0)).min(max_q as f64);
                PathElement::new(vec![(x0, o), (x1, o)], BLACK.stroke_width(1))
            })
            .collect();
        chart
            .draw_series(dashes)
            .map_err(|e| err(e.to_string()))?
            .label(format!("benchmark optimum ({o:.2}%)"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}
