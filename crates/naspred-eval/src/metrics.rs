//! Ranking and regression metrics of the predictor evaluation: those NASLib's evaluator
//! reports for every test set (spec §2.5).
//!
//! This module reproduces NASLib's `compute_scores` / `compare` (numpy, scipy and
//! scikit-learn) to within floating-point rounding:
//!
//! | metric | definition | reference implementation |
//! |---|---|---|
//! | [`mae`] | mean \|p − y\| | `np.mean(abs(p - y))` |
//! | [`rmse`] | √mean (p − y)² | `sklearn.metrics.mean_squared_error(squared=False)` |
//! | [`pearson_signed`] | Pearson r | `np.corrcoef(y, p)[1, 0]` |
//! | [`pearson`] | \|r\| | NASLib's `np.abs(np.corrcoef(...))` |
//! | [`spearman`] | Pearson r of average ranks | `scipy.stats.spearmanr` |
//! | [`kendall_tau_b`] | Kendall τ-b | `scipy.stats.kendalltau` (variant `'b'`) |
//! | [`kendall_2dec`] | τ-b of y and `np.round(p, 2)` | NASLib `kt_2dec` |
//! | [`sparse_kendall`] | τ-b of y and `np.round(p, 1)` | NASLib `kt_1dec` |
//! | [`precision_at_k`] | top-k overlap / k | NASLib `precision_{k}` |
//!
//! Sums are computed with numpy's pairwise summation ([`pairwise_sum`]) so that means
//! agree with numpy to the last bit; Kendall's τ-b is computed in O(n log n) with
//! Knight's algorithm (sort by (y, p), count discordant pairs as merge-sort
//! inversions), exactly as scipy does, with the same tie corrections.
//!
//! # Degenerate inputs
//!
//! The free functions never panic and follow numpy/scipy's `nan_policy='propagate'`:
//!
//! * any NaN in `y` or `p` makes every correlation (and precision@k) NaN; `mae` and
//!   `rmse` become NaN through arithmetic;
//! * a constant vector (all values equal) gives a NaN Pearson, Spearman and Kendall
//!   correlation (as scipy's `ConstantInputWarning` path does);
//! * mismatched lengths, or fewer than two points, give NaN (`mae`/`rmse` accept a
//!   single point, like numpy).
//!
//! [`Metrics::compute`] instead rejects mismatched lengths and `n < 2` with a typed
//! [`MetricError`]; NASLib's "any exception → all metrics NaN" is available as
//! [`Metrics::nan`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Errors of [`Metrics::compute`] and of parsing a [`MetricKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// `y` and `p` have different lengths.
    #[error("length mismatch: y has {y} values, p has {p}")]
    LengthMismatch {
        /// Length of the ground-truth vector.
        y: usize,
        /// Length of the prediction vector.
        p: usize,
    },
    /// Fewer than two points: no correlation is defined.
    #[error("at least 2 points are needed to compute metrics, got {n}")]
    TooFewPoints {
        /// Number of points supplied.
        n: usize,
    },
    /// A string that names no [`MetricKind`].
    #[error("unknown metric name `{0}`")]
    UnknownMetric(String),
}

/// Checks that `y` and `p` have equal length and at least two points.
///
/// # Errors
/// [`MetricError::LengthMismatch`] or [`MetricError::TooFewPoints`].
pub fn check_inputs(y: &[f64], p: &[f64]) -> Result<(), MetricError> {
    if y.len() != p.len() {
        return Err(MetricError::LengthMismatch {
            y: y.len(),
            p: p.len(),
        });
    }
    if y.len() < 2 {
        return Err(MetricError::TooFewPoints { n: y.len() });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// numpy helpers
// ---------------------------------------------------------------------------

/// Block size below which numpy's pairwise summation runs an 8-way unrolled loop.
const PW_BLOCKSIZE: usize = 128;

/// Sum of `a` with numpy's pairwise summation (`pairwise_sum_DOUBLE`), bit-identical to
/// `np.sum` on a contiguous 1-D float64 array.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        // numpy starts from -0.0 here in recent versions and from 0.0 in older ones;
        // the two differ only for an all-(-0.0) input, whose sum is then ±0.0 (== 0.0).
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= PW_BLOCKSIZE {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[full..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// Arithmetic mean as `np.mean` computes it (pairwise sum divided by `n`); NaN when empty.
pub fn mean(a: &[f64]) -> f64 {
    if a.is_empty() {
        return f64::NAN;
    }
    pairwise_sum(a) / a.len() as f64
}

/// numpy's `10.0**n` table lookup (`power_of_ten` in `multiarray/calculation.c`).
fn power_of_ten(n: u32) -> f64 {
    const P10: [f64; 9] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    if let Some(&v) = P10.get(n as usize) {
        v
    } else {
        let mut ret = 1e9;
        let mut k = n;
        while k > 9 {
            ret *= 10.0;
            k -= 1;
        }
        ret
    }
}

/// `np.round(x, decimals)` for a float64 scalar: `rint(x * 10^d) / 10^d` for `d >= 0`
/// and `rint(x / 10^-d) * 10^-d` for `d < 0`, with round-half-to-even `rint`.
///
/// This is *not* correctly rounded decimal rounding: e.g. `round_decimals(0.15, 1)`
/// is `0.2` because `0.15 * 10` rounds to exactly `1.5` in binary, just as in numpy.
pub fn round_decimals(x: f64, decimals: i32) -> f64 {
    let f = power_of_ten(decimals.unsigned_abs());
    if decimals >= 0 {
        (x * f).round_ties_even() / f
    } else {
        (x / f).round_ties_even() * f
    }
}

fn has_nan(v: &[f64]) -> bool {
    v.iter().any(|x| x.is_nan())
}

fn is_constant(v: &[f64]) -> bool {
    match v.first() {
        Some(&first) => v.iter().all(|&x| x == first),
        None => true,
    }
}

/// `(value, index)` pairs sorted ascending by value with `f64::total_cmp`.
fn sorted_with_index(v: &[f64]) -> Vec<(f64, usize)> {
    let mut keyed: Vec<(f64, usize)> = v.iter().copied().zip(0..).collect();
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    keyed
}

/// Average ranks (1-based, ties get the mean of the ranks they span), as
/// `scipy.stats.rankdata(v, method="average")`. NaNs are ranked last.
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let keyed = sorted_with_index(v);
    let n = v.len();
    let mut ranks = vec![0.0f64; n];
    let mut start = 0usize;
    while start < n {
        let mut end = start + 1;
        while end < n && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        // positions start..end (0-based) hold ranks start+1..=end; their mean:
        let r = 0.5 * ((start + end + 1) as f64);
        for &(_, i) in &keyed[start..end] {
            ranks[i] = r;
        }
        start = end;
    }
    ranks
}

// ---------------------------------------------------------------------------
// metrics
// ---------------------------------------------------------------------------

/// Mean absolute error `mean |p − y|` (`np.mean(abs(p - y))`).
///
/// NaN on mismatched lengths or empty input.
pub fn mae(y: &[f64], p: &[f64]) -> f64 {
    if y.len() != p.len() || y.is_empty() {
        return f64::NAN;
    }
    let d: Vec<f64> = p.iter().zip(y).map(|(&pi, &yi)| (pi - yi).abs()).collect();
    mean(&d)
}

/// Root mean squared error `√mean (y − p)²` (scikit-learn's
/// `mean_squared_error(y, p, squared=False)`).
///
/// NaN on mismatched lengths or empty input.
pub fn rmse(y: &[f64], p: &[f64]) -> f64 {
    if y.len() != p.len() || y.is_empty() {
        return f64::NAN;
    }
    let d: Vec<f64> = y
        .iter()
        .zip(p)
        .map(|(&yi, &pi)| {
            let e = yi - pi;
            e * e
        })
        .collect();
    mean(&d).sqrt()
}

/// Pearson correlation without the constant check (shared by Pearson and Spearman).
fn pearson_core(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mx = mean(x);
    let my = mean(y);
    let (mut sxx, mut syy, mut sxy) = (0.0f64, 0.0f64, 0.0f64);
    for (&a, &b) in x.iter().zip(y) {
        let dx = a - mx;
        let dy = b - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    // np.corrcoef: c = cov / (n - 1); c /= stddev[:, None]; c /= stddev[None, :]
    let f = (n - 1) as f64;
    let r = (sxy / f) / (sxx / f).sqrt() / (syy / f).sqrt();
    r.clamp(-1.0, 1.0)
}

/// Signed Pearson correlation r(y, p) (`np.corrcoef(y, p)[1, 0]`), clipped to [−1, 1].
///
/// NaN if the lengths differ, `n < 2`, either input contains NaN or either input is
/// constant.
pub fn pearson_signed(y: &[f64], p: &[f64]) -> f64 {
    if y.len() != p.len() || y.len() < 2 || has_nan(y) || has_nan(p) {
        return f64::NAN;
    }
    if is_constant(y) || is_constant(p) {
        return f64::NAN;
    }
    pearson_core(y, p)
}

/// Absolute Pearson correlation |r(y, p)|, the `pearson` key of NASLib's `compare`.
///
/// NaN in the same cases as [`pearson_signed`].
pub fn pearson(y: &[f64], p: &[f64]) -> f64 {
    pearson_signed(y, p).abs()
}

/// Spearman's ρ: Pearson correlation of average ranks (`scipy.stats.spearmanr`).
///
/// NaN if the lengths differ, `n < 2`, either input contains NaN or either input is
/// constant.
pub fn spearman(y: &[f64], p: &[f64]) -> f64 {
    if y.len() != p.len() || y.len() < 2 || has_nan(y) || has_nan(p) {
        return f64::NAN;
    }
    if is_constant(y) || is_constant(p) {
        return f64::NAN;
    }
    pearson_core(&average_ranks(y), &average_ranks(p))
}

/// Number of pairs `c (c - 1) / 2` summed over runs of equal consecutive values.
fn tied_pairs<T: PartialEq>(sorted: &[T]) -> u64 {
    let mut total = 0u64;
    let mut start = 0usize;
    while start < sorted.len() {
        let mut end = start + 1;
        while end < sorted.len() && sorted[end] == sorted[start] {
            end += 1;
        }
        let c = (end - start) as u64;
        total += c * (c - 1) / 2;
        start = end;
    }
    total
}

/// Sorts `v` (bottom-up merge sort) and returns the number of strict inversions,
/// i.e. pairs `i < j` with `v[i] > v[j]`. `v` must not contain NaN.
fn count_inversions(v: &mut Vec<f64>) -> u64 {
    let n = v.len();
    let mut buf = vec![0.0f64; n];
    let mut inv = 0u64;
    let mut width = 1usize;
    while width < n {
        let mut lo = 0usize;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut k) = (lo, mid, lo);
            while i < mid && j < hi {
                if v[i] <= v[j] {
                    buf[k] = v[i];
                    i += 1;
                } else {
                    buf[k] = v[j];
                    j += 1;
                    inv += (mid - i) as u64;
                }
                k += 1;
            }
            buf[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
            k += mid - i;
            buf[k..k + (hi - j)].copy_from_slice(&v[j..hi]);
            lo = hi;
        }
        std::mem::swap(v, &mut buf);
        width *= 2;
    }
    inv
}

/// Kendall's τ-b between `y` and `p`, as `scipy.stats.kendalltau` (default variant
/// `'b'`), in O(n log n) (Knight's algorithm).
///
/// With `n0 = n(n−1)/2`, `n1`/`n2` the pairs tied in `y`/`p` and `nc`/`nd` the
/// concordant/discordant pairs: τ_b = (nc − nd) / √(n0 − n1) / √(n0 − n2), clipped to
/// [−1, 1], evaluated in the same order as scipy (so a perfect ordering may give
/// `0.9999999999999999`, as in scipy). NaN if the lengths differ, `n < 2`, either input
/// contains NaN or either input is constant.
pub fn kendall_tau_b(y: &[f64], p: &[f64]) -> f64 {
    let n = y.len();
    if p.len() != n || n < 2 || has_nan(y) || has_nan(p) {
        return f64::NAN;
    }
    // `+ 0.0` maps -0.0 to 0.0, so that `total_cmp` agrees with `==` on ties.
    let mut pairs: Vec<(f64, f64)> = y.iter().zip(p).map(|(&a, &b)| (a + 0.0, b + 0.0)).collect();
    // Lexicographic sort on (y, p).
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let (xtie, ntie) = {
        let (mut xtie, mut ntie) = (0u64, 0u64);
        let (mut xrun, mut nrun) = (1u64, 1u64);
        for w in pairs.windows(2) {
            if w[1].0 == w[0].0 {
                xtie += xrun;
                xrun += 1;
                if w[1].1 == w[0].1 {
                    ntie += nrun;
                    nrun += 1;
                } else {
                    nrun = 1;
                }
            } else {
                xrun = 1;
                nrun = 1;
            }
        }
        (xtie, ntie)
    };
    let mut ps: Vec<f64> = pairs.iter().map(|&(_, b)| b).collect();
    // Within a run of equal y the p values ascend, so every strict inversion is a pair
    // with strictly smaller y and strictly larger p: a discordant pair.
    let dis = count_inversions(&mut ps);
    let ytie = tied_pairs(&ps);
    let n = n as u64;
    let tot = n * (n - 1) / 2;
    if xtie == tot || ytie == tot {
        return f64::NAN;
    }
    // tot = con + dis + xtie + ytie - ntie
    let con_minus_dis = tot as i128 - xtie as i128 - ytie as i128 + ntie as i128 - 2 * dis as i128;
    let tau = con_minus_dis as f64 / ((tot - xtie) as f64).sqrt() / ((tot - ytie) as f64).sqrt();
    tau.clamp(-1.0, 1.0)
}

/// Kendall τ-b between `y` and `p` rounded to `decimals` decimals with
/// [`round_decimals`] (numpy semantics); `y` is not rounded.
pub fn kendall_rounded(y: &[f64], p: &[f64], decimals: i32) -> f64 {
    let rounded: Vec<f64> = p.iter().map(|&v| round_decimals(v, decimals)).collect();
    kendall_tau_b(y, &rounded)
}

/// NASLib's `kt_2dec`: Kendall τ-b between `y` and `np.round(p, 2)`.
pub fn kendall_2dec(y: &[f64], p: &[f64]) -> f64 {
    kendall_rounded(y, p, 2)
}

/// The sparse Kendall τ (NASLib's `kt_1dec`): Kendall τ-b between `y` and
/// `np.round(p, 1)`, so predictions within 0.1 of each other tend to tie.
pub fn sparse_kendall(y: &[f64], p: &[f64]) -> f64 {
    kendall_rounded(y, p, 1)
}

/// Mask of `v > t` where `t = sorted(v)[max(-n, -k-1)]` (the (k+1)-th largest value, or
/// the minimum when `n <= k`).
fn top_mask(v: &[f64], k: usize) -> Vec<bool> {
    let n = v.len();
    let idx = if n > k { n - k - 1 } else { 0 };
    let mut sorted = v.to_vec();
    let (_, &mut threshold, _) = sorted.select_nth_unstable_by(idx, f64::total_cmp);
    v.iter().map(|&x| x > threshold).collect()
}

/// Precision@k exactly as NASLib's `compare`:
///
/// ```python
/// top_y = np.array([v > sorted(y)[max(-len(y), -k - 1)] for v in y])
/// top_p = np.array([v > sorted(p)[max(-len(p), -k - 1)] for v in p])
/// precision = sum(top_y & top_p) / k
/// ```
///
/// The threshold is the (k+1)-th largest value (strict `>`, so ties at the boundary are
/// excluded and fewer than `k` items may be selected); if `n <= k` it is the minimum.
/// The overlap is always divided by `k`. NaN if the lengths differ, the input is empty,
/// `k == 0` or any value is NaN.
pub fn precision_at_k(y: &[f64], p: &[f64], k: usize) -> f64 {
    if y.len() != p.len() || y.is_empty() || k == 0 || has_nan(y) || has_nan(p) {
        return f64::NAN;
    }
    let ty = top_mask(y, k);
    let tp = top_mask(p, k);
    let hits = ty.iter().zip(&tp).filter(|&(&a, &b)| a && b).count();
    hits as f64 / k as f64
}

// ---------------------------------------------------------------------------
// Metrics record
// ---------------------------------------------------------------------------

/// Identifies one field of [`Metrics`]; its [`name`](MetricKind::name) (also its serde
/// name, `Display` and `FromStr` form) equals the field name / NASLib key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MetricKind {
    /// `mae`
    #[serde(rename = "mae")]
    Mae,
    /// `rmse`
    #[serde(rename = "rmse")]
    Rmse,
    /// `pearson` (absolute value)
    #[serde(rename = "pearson")]
    Pearson,
    /// `pearson_signed`
    #[serde(rename = "pearson_signed")]
    PearsonSigned,
    /// `spearman`
    #[serde(rename = "spearman")]
    Spearman,
    /// `kendalltau`
    #[serde(rename = "kendalltau")]
    Kendalltau,
    /// `kt_2dec`
    #[serde(rename = "kt_2dec")]
    Kt2dec,
    /// `kt_1dec` (sparse Kendall τ)
    #[serde(rename = "kt_1dec")]
    Kt1dec,
    /// `precision_10`
    #[serde(rename = "precision_10")]
    Precision10,
    /// `precision_20`
    #[serde(rename = "precision_20")]
    Precision20,
}

impl MetricKind {
    /// Every metric, in field order.
    pub const ALL: [MetricKind; 10] = [
        MetricKind::Mae,
        MetricKind::Rmse,
        MetricKind::Pearson,
        MetricKind::PearsonSigned,
        MetricKind::Spearman,
        MetricKind::Kendalltau,
        MetricKind::Kt2dec,
        MetricKind::Kt1dec,
        MetricKind::Precision10,
        MetricKind::Precision20,
    ];

    /// The field name / NASLib key, e.g. `"kt_1dec"`.
    pub const fn name(self) -> &'static str {
        match self {
            MetricKind::Mae => "mae",
            MetricKind::Rmse => "rmse",
            MetricKind::Pearson => "pearson",
            MetricKind::PearsonSigned => "pearson_signed",
            MetricKind::Spearman => "spearman",
            MetricKind::Kendalltau => "kendalltau",
            MetricKind::Kt2dec => "kt_2dec",
            MetricKind::Kt1dec => "kt_1dec",
            MetricKind::Precision10 => "precision_10",
            MetricKind::Precision20 => "precision_20",
        }
    }
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MetricKind {
    type Err = MetricError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetricKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| MetricError::UnknownMetric(s.to_string()))
    }
}

/// Deserializes an `f64` that may be `null` (how `serde_json` writes NaN) as NaN.
fn f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// All metrics of NASLib's `compare` for one test set (spec §2.5).
///
/// NaN values serialize to JSON `null` and `null` deserializes back to NaN. Note that
/// the derived `PartialEq` follows IEEE semantics, so a record holding NaN is not equal to
/// itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean absolute error.
    #[serde(deserialize_with = "f64_or_nan")]
    pub mae: f64,
    /// Root mean squared error.
    #[serde(deserialize_with = "f64_or_nan")]
    pub rmse: f64,
    /// Absolute Pearson correlation.
    #[serde(deserialize_with = "f64_or_nan")]
    pub pearson: f64,
    /// Signed Pearson correlation.
    #[serde(deserialize_with = "f64_or_nan")]
    pub pearson_signed: f64,
    /// Spearman ρ.
    #[serde(deserialize_with = "f64_or_nan")]
    pub spearman: f64,
    /// Kendall τ-b.
    #[serde(deserialize_with = "f64_or_nan")]
    pub kendalltau: f64,
    /// Kendall τ-b with predictions rounded to 2 decimals.
    #[serde(deserialize_with = "f64_or_nan")]
    pub kt_2dec: f64,
    /// Sparse Kendall τ: predictions rounded to 1 decimal.
    #[serde(deserialize_with = "f64_or_nan")]
    pub kt_1dec: f64,
    /// Precision@10.
    #[serde(deserialize_with = "f64_or_nan")]
    pub precision_10: f64,
    /// Precision@20.
    #[serde(deserialize_with = "f64_or_nan")]
    pub precision_20: f64,
}

impl Metrics {
    /// Computes every metric of true values `y` against predictions `p`.
    ///
    /// NaN values or constant vectors do not cause an error: the affected metrics are NaN
    /// (see the [module docs](self)).
    ///
    /// # Errors
    /// [`MetricError::LengthMismatch`] if the lengths differ,
    /// [`MetricError::TooFewPoints`] if `n < 2`.
    pub fn compute(y: &[f64], p: &[f64]) -> Result<Metrics, MetricError> {
        check_inputs(y, p)?;
        let r = pearson_signed(y, p);
        Ok(Metrics {
            mae: mae(y, p),
            rmse: rmse(y, p),
            pearson: r.abs(),
            pearson_signed: r,
            spearman: spearman(y, p),
            kendalltau: kendall_tau_b(y, p),
            kt_2dec: kendall_2dec(y, p),
            kt_1dec: sparse_kendall(y, p),
            precision_10: precision_at_k(y, p, 10),
            precision_20: precision_at_k(y, p, 20),
        })
    }

    /// A record with every metric NaN (NASLib's result when `compare` raises).
    pub fn nan() -> Metrics {
        Metrics {
            mae: f64::NAN,
            rmse: f64::NAN,
            pearson: f64::NAN,
            pearson_signed: f64::NAN,
            spearman: f64::NAN,
            kendalltau: f64::NAN,
            kt_2dec: f64::NAN,
            kt_1dec: f64::NAN,
            precision_10: f64::NAN,
            precision_20: f64::NAN,
        }
    }

    /// The value of one metric.
    pub fn get(&self, kind: MetricKind) -> f64 {
        match kind {
            MetricKind::Mae => self.mae,
            MetricKind::Rmse => self.rmse,
            MetricKind::Pearson => self.pearson,
            MetricKind::PearsonSigned => self.pearson_signed,
            MetricKind::Spearman => self.spearman,
            MetricKind::Kendalltau => self.kendalltau,
            MetricKind::Kt2dec => self.kt_2dec,
            MetricKind::Kt1dec => self.kt_1dec,
            MetricKind::Precision10 => self.precision_10,
            MetricKind::Precision20 => self.precision_20,
        }
    }

    /// `(kind, value)` for every metric, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (MetricKind, f64)> + '_ {
        MetricKind::ALL.into_iter().map(move |k| (k, self.get(k)))
    }

    /// Whether every metric is NaN (as after a failed `compare`).
    pub fn is_all_nan(&self) -> bool {
        self.iter().all(|(_, v)| v.is_nan())
    }
}
