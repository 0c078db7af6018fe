//! CART regression trees with scikit-learn's `DecisionTreeRegressor` semantics (best splitter,
//! squared-error / Friedman-MSE criterion, `max_depth`, `min_samples_split`,
//! `min_samples_leaf`, per-node `max_features` subsampling), the base learner of `ngb` and
//! `rf`.
//!
//! * [`TreeParams`] / [`MaxFeatures`]: the configuration.
//! * [`BinnedMatrix`]: a training matrix stored column by column as codes into each column's
//!   sorted distinct values, built once and shared by every tree of an ensemble.
//! * [`TreeBuilder`]: reusable scratch space for fitting.
//! * [`RegressionTree`]: a fitted tree; [`RegressionTree::predict_row`] descends with
//!   `x <= threshold` to the left, as scikit-learn does.
//!
//! Why our own: no maintained Rust crate has what NASLib's configurations need. `smartcore`'s
//! `DecisionTreeRegressor` has no per-node feature subsampling (`max_features`) and its random
//! forest always bootstraps (NASLib's `rf` uses `bootstrap=False`); `linfa-trees` only
//! classifies. NGBoost also fits two trees on the same rows in each of its 505 stages, which a
//! learner that re-sorts its input per fit makes needlessly slow; here the columns are binned
//! once and each node builds per-feature histograms (or sorts, when a column has more distinct
//! values than the node has rows).
//!
//! Semantics kept from scikit-learn (`_splitter.pyx`, `_tree.pyx`, `_criterion.pyx`):
//! * depth-first growth, left child first; a node is a leaf when `depth >= max_depth`, it has
//!   fewer than `min_samples_split` or `2 * min_samples_leaf` samples, its impurity is
//!   `<= f64::EPSILON`, or no valid split exists;
//! * features are visited in random order (Fisher–Yates without replacement) until
//!   `max_features` have been visited and at least one was not constant in the node; features
//!   found constant in a node are skipped in its descendants;
//! * split positions lie between consecutive distinct values more than `1e-7` apart, both sides
//!   keep `min_samples_leaf` samples, the threshold is the midpoint of the two values, and the
//!   first best split (strictly greater Friedman improvement `n_l n_r (mean_l - mean_r)^2`, which
//!   ranks splits exactly as the squared-error criterion does) wins;
//! * a leaf predicts the mean target of its samples.
//!
//! The random draws come from the caller's generator, so trees equal scikit-learn's only in
//! distribution, not draw for draw.

use rand::Rng;

use crate::check::{check_width, ModelInputError};
use crate::features::FeatureMatrix;
use crate::tabular::TreeError;

/// scikit-learn's `FEATURE_THRESHOLD`: values closer than this are not split apart.
pub const FEATURE_THRESHOLD: f32 = 1e-7;

/// Marks a leaf in [`Node::feature`].
const LEAF: u32 = u32::MAX;

/// How many features a node examines (scikit-learn's `max_features`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MaxFeatures {
    /// Every feature.
    All,
    /// `max(1, floor(fraction * n_features))`, fraction in (0, 1].
    Fraction(f64),
    /// A fixed number (at least 1, at most the number of features).
    Count(usize),
}

impl MaxFeatures {
    /// The number of features examined per node for `n_features` columns.
    pub fn resolve(self, n_features: usize) -> usize {
        let k = match self {
            MaxFeatures::All => n_features,
            MaxFeatures::Fraction(f) => (f * n_features as f64) as usize,
            MaxFeatures::Count(c) => c,
        };
        k.clamp(1, n_features.max(1))
    }
}

/// Configuration of a regression tree.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeParams {
    /// Maximum depth (root at depth 0); `None` grows until the other limits stop it.
    pub max_depth: Option<usize>,
    /// Minimum samples a node needs to be split (at least 2).
    pub min_samples_split: usize,
    /// Minimum samples in each leaf (at least 1).
    pub min_samples_leaf: usize,
    /// Features examined per node.
    pub max_features: MaxFeatures,
}

impl Default for TreeParams {
    /// scikit-learn's defaults: unlimited depth, split 2, leaf 1, all features.
    fn default() -> Self {
        TreeParams {
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::All,
        }
    }
}

impl TreeParams {
    /// Checks the ranges (`min_samples_split >= 2`, `min_samples_leaf >= 1`, a fraction in
    /// (0, 1], a count >= 1).
    ///
    /// # Errors
    /// [`TreeError::InvalidParam`] naming the first bad field.
    pub fn validate(&self) -> Result<(), TreeError> {
        let bad = |name, value, reason| {
            Err(TreeError::InvalidParam {
                name,
                value,
                reason,
            })
        };
        if self.min_samples_split < 2 {
            return bad(
                "min_samples_split",
                self.min_samples_split as f64,
                "must be >= 2",
            );
        }
        if self.min_samples_leaf < 1 {
            return bad(
                "min_samples_leaf",
                self.min_samples_leaf as f64,
                "must be >= 1",
            );
        }
        match self.max_features {
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                bad("max_features", f, "a fraction must be in (0, 1]")
            }
            MaxFeatures::Count(0) => bad("max_features", 0.0, "a count must be >= 1"),
            _ => Ok(()),
        }
    }
}

/// A training matrix binned per column: each value is replaced by its rank among the column's
/// distinct values.
#[derive(Clone, Debug)]
pub struct BinnedMatrix {
    rows: usize,
    cols: usize,
    /// Column-major codes: `codes[j * rows + i]`.
    codes: Vec<u32>,
    /// Sorted distinct values of each column.
    values: Vec<Vec<f32>>,
}

impl BinnedMatrix {
    /// Bins `x`.
    ///
    /// # Errors
    /// [`ModelInputError::NoFeatures`] for a matrix without columns, [`TreeError::NonFiniteFeature`]
    /// for a NaN or infinite value.
    pub fn new(x: &FeatureMatrix) -> Result<Self, TreeError> {
        let (rows, cols) = (x.rows(), x.cols());
        if cols == 0 {
            return Err(TreeError::Data(ModelInputError::NoFeatures));
        }
        crate::tabular::check_finite_features(x)?;
        let data = x.as_slice();
        let mut codes = vec![0u32; rows * cols];
        let mut values = Vec::with_capacity(cols);
        let mut order: Vec<u32> = (0..rows as u32).collect();
        for j in 0..cols {
            let at = |i: u32| data[i as usize * cols + j];
            order.sort_unstable_by(|&a, &b| at(a).total_cmp(&at(b)));
            let mut distinct: Vec<f32> = Vec::new();
            for &i in &order {
                let v = at(i);
                // -0.0 and 0.0 are one value.
                if distinct.last().is_none_or(|&last| v > last) {
                    distinct.push(v);
                }
                codes[j * rows + i as usize] = (distinct.len() - 1) as u32;
            }
            values.push(distinct);
        }
        Ok(BinnedMatrix {
            rows,
            cols,
            codes,
            values,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    #[inline]
    fn column(&self, j: usize) -> &[u32] {
        &self.codes[j * self.rows..(j + 1) * self.rows]
    }
}

/// One node of a fitted tree.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Node {
    /// Split feature, or [`LEAF`].
    feature: u32,
    /// Children (unused in leaves).
    left: u32,
    right: u32,
    /// `x <= threshold` goes left.
    threshold: f64,
    /// Mean target of the node's training samples.
    value: f64,
}

/// A fitted CART regression tree.
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionTree {
    nodes: Vec<Node>,
    n_features: usize,
}

/// Scratch space for [`RegressionTree::fit`], reused across the trees of an ensemble.
#[derive(Clone, Debug, Default)]
pub struct TreeBuilder {
    samples: Vec<u32>,
    features: Vec<usize>,
    constant_features: Vec<usize>,
    hist_count: Vec<u32>,
    hist_sum: Vec<f64>,
    pairs: Vec<(u32, f64)>,
    runs: Vec<(u32, u32, f64)>,
    stack: Vec<StackEntry>,
}

#[derive(Clone, Copy, Debug)]
struct StackEntry {
    start: usize,
    end: usize,
    depth: usize,
    parent: usize,
    is_left: bool,
    n_constant: usize,
}

/// The best split found in a node.
#[derive(Clone, Copy, Debug)]
struct Split {
    feature: usize,
    /// Codes `<= bin` go left.
    bin: u32,
    threshold: f64,
}

impl TreeBuilder {
    /// Empty scratch space.
    pub fn new() -> Self {
        TreeBuilder::default()
    }

    /// Distinct-value runs `(code, count, sum)` of feature `j` over `samples`, in increasing
    /// code order, into `self.runs`.
    fn collect_runs(&mut self, data: &BinnedMatrix, j: usize, start: usize, end: usize, y: &[f64]) {
        let col = data.column(j);
        let k = data.values[j].len();
        let m = end - start;
        self.runs.clear();
        if k <= 2 * m + 16 {
            // Histogram over the column's codes.
            if self.hist_count.len() < k {
                self.hist_count.resize(k, 0);
                self.hist_sum.resize(k, 0.0);
            }
            let (cnt, sum) = (&mut self.hist_count[..k], &mut self.hist_sum[..k]);
            for &i in &self.samples[start..end] {
                let c = col[i as usize] as usize;
                cnt[c] += 1;
                sum[c] += y[i as usize];
            }
            for c in 0..k {
                if cnt[c] > 0 {
                    self.runs.push((c as u32, cnt[c], sum[c]));
                    cnt[c] = 0;
                    sum[c] = 0.0;
                }
            }
        } else {
            self.pairs.clear();
            self.pairs.extend(
                self.samples[start..end]
                    .iter()
                    .map(|&i| (col[i as usize], y[i as usize])),
            );
            self.pairs.sort_unstable_by_key(|p| p.0);
            for &(c, v) in &self.pairs {
                match self.runs.last_mut() {
                    Some(last) if last.0 == c => {
                        last.1 += 1;
                        last.2 += v;
                    }
                    _ => self.runs.push((c, 1, v)),
                }
            }
        }
    }
}

impl RegressionTree {
    /// Fits a tree on the rows `rows` of `data` with targets `y` (indexed by row of `data`,
    /// so `y.len() == data.rows()`; only the listed rows are read). Rows may repeat.
    ///
    /// # Errors
    /// [`TreeError::InvalidParam`] for bad parameters, [`ModelInputError::EmptyTrainingSet`] for no
    /// rows, [`ModelInputError::LengthMismatch`] when `y` does not cover the rows of `data`.
    pub fn fit<R: Rng + ?Sized>(
        data: &BinnedMatrix,
        rows: &[u32],
        y: &[f64],
        params: &TreeParams,
        builder: &mut TreeBuilder,
        rng: &mut R,
    ) -> Result<Self, TreeError> {
        params.validate()?;
        if rows.is_empty() {
            return Err(TreeError::Data(ModelInputError::EmptyTrainingSet));
        }
        if y.len() != data.rows() {
            return Err(TreeError::Data(ModelInputError::LengthMismatch {
                rows: data.rows(),
                targets: y.len(),
            }));
        }
        let n_features = data.cols();
        let max_features = params.max_features.resolve(n_features);
        let max_depth = params.max_depth.unwrap_or(usize::MAX);
        let min_leaf = params.min_samples_leaf;
        let min_split = params.min_samples_split.max(2 * min_leaf);

        let b = builder;
        b.samples.clear();
        b.samples.extend_from_slice(rows);
        b.features.clear();
        b.features.extend(0..n_features);
        b.constant_features.clear();
        b.constant_features.resize(n_features, 0);
        b.stack.clear();
        b.stack.push(StackEntry {
            start: 0,
            end: rows.len(),
            depth: 0,
            parent: usize::MAX,
            is_left: false,
            n_constant: 0,
        });
        let mut nodes: Vec<Node> = Vec::new();

        while let Some(e) = b.stack.pop() {
            let (start, end) = (e.start, e.end);
            let m = end - start;
            let mut sum = 0.0;
            for &i in &b.samples[start..end] {
                sum += y[i as usize];
            }
            let mean = sum / m as f64;
            let mut sq = 0.0;
            for &i in &b.samples[start..end] {
                let d = y[i as usize] - mean;
                sq += d * d;
            }
            let impurity = sq / m as f64;

            let node_id = nodes.len();
            nodes.push(Node {
                feature: LEAF,
                left: 0,
                right: 0,
                threshold: 0.0,
                value: mean,
            });
            if e.parent != usize::MAX {
                let p = &mut nodes[e.parent];
                if e.is_left {
                    p.left = node_id as u32;
                } else {
                    p.right = node_id as u32;
                }
            }

            if e.depth >= max_depth || m < min_split || m < 2 * min_leaf || impurity <= f64::EPSILON
            {
                continue;
            }
            let (best, n_constant) = Self::best_split(
                data,
                y,
                b,
                start,
                end,
                sum,
                e.n_constant,
                max_features,
                min_leaf,
                rng,
            );
            // No valid split: the node stays a leaf.
            let Some(s) = best else {
                continue;
            };
            // Partition samples[start..end]: codes <= bin first.
            let col = data.column(s.feature);
            let slice = &mut b.samples[start..end];
            let mut lo = 0usize;
            let mut hi = slice.len();
            while lo < hi {
                if col[slice[lo] as usize] <= s.bin {
                    lo += 1;
                } else {
                    hi -= 1;
                    slice.swap(lo, hi);
                }
            }
            let pos = start + lo;
            let node = &mut nodes[node_id];
            node.feature = s.feature as u32;
            node.threshold = s.threshold;
            b.stack.push(StackEntry {
                start: pos,
                end,
                depth: e.depth + 1,
                parent: node_id,
                is_left: false,
                n_constant,
            });
            b.stack.push(StackEntry {
                start,
                end: pos,
                depth: e.depth + 1,
                parent: node_id,
                is_left: true,
                n_constant,
            });
        }
        Ok(RegressionTree { nodes, n_features })
    }

    /// scikit-learn's `BestSplitter.node_split`: returns the best split, if any, and the number
    /// of features now known to be constant in this node (for its children).
    #[allow(clippy::too_many_arguments)]
    fn best_split<R: Rng + ?Sized>(
        data: &BinnedMatrix,
        y: &[f64],
        b: &mut TreeBuilder,
        start: usize,
        end: usize,
        node_sum: f64,
        n_known_constants: usize,
        max_features: usize,
        min_leaf: usize,
        rng: &mut R,
    ) -> (Option<Split>, usize) {
        let n_features = data.cols();
        let m = (end - start) as f64;
        let mut best: Option<Split> = None;
        let mut best_proxy = f64::NEG_INFINITY;
        let mut f_i = n_features;
        let mut n_visited = 0usize;
        let mut n_found_constants = 0usize;
        let mut n_drawn_constants = 0usize;
        let mut n_total_constants = n_known_constants;

        while f_i > n_total_constants
            && (n_visited < max_features || n_visited <= n_found_constants + n_drawn_constants)
        {
            n_visited += 1;
            // Draw a feature among the not yet visited, non-constant ones.
            let mut f_j = rng.random_range(n_drawn_constants..f_i - n_found_constants);
            if f_j < n_known_constants {
                b.features.swap(n_drawn_constants, f_j);
                n_drawn_constants += 1;
                continue;
            }
            f_j += n_found_constants;
            let feature = b.features[f_j];
            b.collect_runs(data, feature, start, end, y);
            let vals = &data.values[feature];
            let (first, last) = (b.runs[0].0, b.runs[b.runs.len() - 1].0);
            if vals[last as usize] <= vals[first as usize] + FEATURE_THRESHOLD {
                b.features.swap(f_j, n_total_constants);
                n_found_constants += 1;
                n_total_constants += 1;
                continue;
            }
            f_i -= 1;
            b.features.swap(f_i, f_j);

            // Scan the split positions between distinct values.
            let (mut n_left, mut sum_left) = (0u32, 0.0f64);
            for w in 0..b.runs.len() - 1 {
                let (code, cnt, s) = b.runs[w];
                n_left += cnt;
                sum_left += s;
                let next = b.runs[w + 1].0;
                let (lo, hi) = (vals[code as usize], vals[next as usize]);
                if hi <= lo + FEATURE_THRESHOLD {
                    continue;
                }
                let nl = n_left as f64;
                let nr = m - nl;
                if (n_left as usize) < min_leaf || (nr as usize) < min_leaf {
                    continue;
                }
                let sum_right = node_sum - sum_left;
                let diff = nr * sum_left - nl * sum_right;
                let proxy = diff * diff / (nl * nr);
                if proxy > best_proxy {
                    best_proxy = proxy;
                    let mut threshold = f64::from(lo) / 2.0 + f64::from(hi) / 2.0;
                    if threshold == f64::from(hi) || threshold.is_infinite() {
                        threshold = f64::from(lo);
                    }
                    best = Some(Split {
                        feature,
                        bin: code,
                        threshold,
                    });
                }
            }
        }
        // Keep the known constants in their original order for siblings and children, and
        // record the newly found ones.
        b.features[..n_known_constants].copy_from_slice(&b.constant_features[..n_known_constants]);
        for k in n_known_constants..n_total_constants {
            b.constant_features[k] = b.features[k];
        }
        (best, n_total_constants)
    }

    /// Number of features the tree was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of leaves.
    pub fn leaf_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.feature == LEAF).count()
    }

    /// Depth of the deepest leaf (0 for a single leaf).
    pub fn depth(&self) -> usize {
        fn rec(nodes: &[Node], i: usize) -> usize {
            let n = &nodes[i];
            if n.feature == LEAF {
                0
            } else {
                1 + rec(nodes, n.left as usize).max(rec(nodes, n.right as usize))
            }
        }
        rec(&self.nodes, 0)
    }

    /// The prediction for one feature row (`row.len()` must be [`RegressionTree::n_features`];
    /// missing columns read as +inf).
    #[inline]
    pub fn predict_row(&self, row: &[f32]) -> f64 {
        let mut i = 0usize;
        loop {
            let n = &self.nodes[i];
            if n.feature == LEAF {
                return n.value;
            }
            let v = row
                .get(n.feature as usize)
                .copied()
                .unwrap_or(f32::INFINITY);
            i = if f64::from(v) <= n.threshold {
                n.left as usize
            } else {
                n.right as usize
            };
        }
    }

    /// Predictions for the rows of `x`.
    ///
    /// # Errors
    /// [`ModelInputError::FeatureCount`] when `x` has another width than the training matrix.
    pub fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>, TreeError> {
        check_width(self.n_features, x.cols())?;
        Ok(x.iter_rows().map(|r| self.predict_row(r)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn fit(x: &FeatureMatrix, y: &[f64], p: &TreeParams, seed: u64) -> RegressionTree {
        let data = BinnedMatrix::new(x).unwrap();
        let rows: Vec<u32> = (0..x.rows() as u32).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        RegressionTree::fit(&data, &rows, y, p, &mut TreeBuilder::new(), &mut rng).unwrap()
    }

    #[test]
    fn binning_ranks_distinct_values() {
        let x = FeatureMatrix::from_rows(&[[3.0f32, 0.0], [1.0, -0.0], [3.0, 5.0], [2.0, 0.0]])
            .unwrap();
        let b = BinnedMatrix::new(&x).unwrap();
        assert_eq!(b.values[0], vec![1.0, 2.0, 3.0]);
        assert_eq!(b.column(0), &[2, 0, 2, 1]);
        assert_eq!(b.values[1].len(), 2, "-0.0 and 0.0 are one value");
        assert_eq!(b.column(1), &[0, 0, 1, 0]);
        let bad = FeatureMatrix::from_rows(&[[f32::INFINITY]]).unwrap();
        assert!(matches!(
            BinnedMatrix::new(&bad),
            Err(TreeError::NonFiniteFeature { .. })
        ));
    }

    #[test]
    fn a_step_function_is_learnt_exactly() {
        // y = 10 if x0 > 1.5 else 0, x1 is noise.
        let rows: Vec<[f32; 2]> = (0..40)
            .map(|i| [(i % 4) as f32, ((i * 7) % 5) as f32])
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .map(|r| if r[0] > 1.5 { 10.0 } else { 0.0 })
            .collect();
        let x = FeatureMatrix::from_rows(&rows).unwrap();
        let t = fit(&x, &y, &TreeParams::default(), 0);
        assert_eq!(t.node_count(), 3);
        assert_eq!(t.nodes[0].feature, 0);
        assert_eq!(t.nodes[0].threshold, 1.5);
        assert_eq!(t.predict(&x).unwrap(), y);
        assert_eq!(t.predict_row(&[1.5, 0.0]), 0.0);
        assert_eq!(t.predict_row(&[1.6, 0.0]), 10.0);
    }

    #[test]
    fn limits_are_respected() {
        let rows: Vec<[f32; 3]> = (0..200)
            .map(|i| [(i % 7) as f32, (i % 11) as f32, ((i * 13) % 17) as f32])
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .map(|r| f64::from(r[0] * r[1]) + f64::from(r[2]).sin())
            .collect();
        let x = FeatureMatrix::from_rows(&rows).unwrap();
        let p = TreeParams {
            max_depth: Some(3),
            ..TreeParams::default()
        };
        let t = fit(&x, &y, &p, 1);
        assert!(t.depth() <= 3 && t.leaf_count() <= 8);
        let p = TreeParams {
            min_samples_leaf: 15,
            min_samples_split: 20,
            ..TreeParams::default()
        };
        let t = fit(&x, &y, &p, 1);
        // Every leaf holds at least 15 training rows.
        let mut counts = std::collections::HashMap::new();
        for r in x.iter_rows() {
            let mut i = 0usize;
            while t.nodes[i].feature != LEAF {
                let n = &t.nodes[i];
                i = if f64::from(r[n.feature as usize]) <= n.threshold {
                    n.left as usize
                } else {
                    n.right as usize
                };
            }
            *counts.entry(i).or_insert(0usize) += 1;
        }
        assert!(counts.values().all(|&c| c >= 15), "{counts:?}");
        // Unlimited depth and leaf 1 interpolates distinct rows.
        let t = fit(&x, &y, &TreeParams::default(), 2);
        let p = t.predict(&x).unwrap();
        let mse = p
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            / 200.0;
        assert!(mse < 1e-20, "{mse}");
    }

    #[test]
    fn max_features_subsamples_but_still_splits() {
        // Only feature 5 carries signal; with one feature per node the tree still finds it
        // somewhere, and the result depends on the seed.
        let rows: Vec<Vec<f32>> = (0..64)
            .map(|i| {
                (0..6)
                    .map(|j| f32::from(u8::from((i >> j) & 1 == 1)))
                    .collect()
            })
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .map(|r| 5.0 * f64::from(r[5]) + 0.1 * f64::from(r[0]))
            .collect();
        let x = FeatureMatrix::from_rows(&rows).unwrap();
        let p = TreeParams {
            max_features: MaxFeatures::Count(1),
            ..TreeParams::default()
        };
        let a = fit(&x, &y, &p, 3);
        let b = fit(&x, &y, &p, 3);
        assert_eq!(a, b, "same seed, same tree");
        let differs = (4..20).any(|s| fit(&x, &y, &p, s) != a);
        assert!(differs);
        // Fully grown: every row is fitted exactly anyway.
        assert_eq!(a.predict(&x).unwrap(), y);
    }

    #[test]
    fn constant_targets_and_features_give_a_leaf() {
        let x = FeatureMatrix::from_rows(&[[1.0f32], [1.0], [1.0]]).unwrap();
        let t = fit(&x, &[1.0, 2.0, 3.0], &TreeParams::default(), 0);
        assert_eq!(t.node_count(), 1);
        assert_eq!(t.predict_row(&[0.0]), 2.0);
        let x = FeatureMatrix::from_rows(&[[1.0f32], [2.0], [3.0]]).unwrap();
        let t = fit(&x, &[4.0, 4.0, 4.0], &TreeParams::default(), 0);
        assert_eq!(t.node_count(), 1);
        // Values within 1e-7 are not split apart.
        let x = FeatureMatrix::from_rows(&[[1.0f32], [1.0 + 5e-8]]).unwrap();
        let t = fit(&x, &[0.0, 1.0], &TreeParams::default(), 0);
        assert_eq!(t.node_count(), 1);
    }

    #[test]
    fn many_distinct_values_use_the_sorting_path() {
        let rows: Vec<[f32; 1]> = (0..300).map(|i| [((i * 37) % 300) as f32 * 0.5]).collect();
        let y: Vec<f64> = rows.iter().map(|r| f64::from(r[0]).sqrt()).collect();
        let x = FeatureMatrix::from_rows(&rows).unwrap();
        let p = TreeParams {
            max_depth: Some(8),
            ..TreeParams::default()
        };
        let t = fit(&x, &y, &p, 0);
        let pred = t.predict(&x).unwrap();
        let mae = pred.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum::<f64>() / 300.0;
        assert!(mae < 0.05, "{mae}");
        // Monotone target, single feature: predictions are monotone in x.
        let mut pairs: Vec<(f32, f64)> = rows.iter().map(|r| r[0]).zip(pred).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(pairs.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn bad_input_is_typed() {
        let x = FeatureMatrix::from_rows(&[[1.0f32], [2.0]]).unwrap();
        let data = BinnedMatrix::new(&x).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut b = TreeBuilder::new();
        let p = TreeParams::default();
        assert_eq!(
            RegressionTree::fit(&data, &[], &[1.0, 2.0], &p, &mut b, &mut rng),
            Err(TreeError::Data(ModelInputError::EmptyTrainingSet))
        );
        assert!(matches!(
            RegressionTree::fit(&data, &[0, 1], &[1.0], &p, &mut b, &mut rng),
            Err(TreeError::Data(ModelInputError::LengthMismatch { .. }))
        ));
        for bad in [
            TreeParams {
                min_samples_split: 1,
                ..TreeParams::default()
            },
            TreeParams {
                min_samples_leaf: 0,
                ..TreeParams::default()
            },
            TreeParams {
                max_features: MaxFeatures::Fraction(0.0),
                ..TreeParams::default()
            },
            TreeParams {
                max_features: MaxFeatures::Count(0),
                ..TreeParams::default()
            },
        ] {
            assert!(matches!(
                RegressionTree::fit(&data, &[0, 1], &[1.0, 2.0], &bad, &mut b, &mut rng),
                Err(TreeError::InvalidParam { .. })
            ));
        }
        let t = RegressionTree::fit(&data, &[0, 1], &[1.0, 2.0], &p, &mut b, &mut rng).unwrap();
        let wide = FeatureMatrix::from_rows(&[[1.0f32, 2.0]]).unwrap();
        assert_eq!(
            t.predict(&wide),
            Err(TreeError::Data(ModelInputError::FeatureCount {
                expected: 1,
                got: 2
            }))
        );
        assert_eq!(MaxFeatures::Fraction(0.1706).resolve(30), 5);
        assert_eq!(MaxFeatures::Fraction(0.792).resolve(30), 23);
        assert_eq!(MaxFeatures::Fraction(0.01).resolve(30), 1);
        assert_eq!(MaxFeatures::Count(50).resolve(30), 30);
    }
}
