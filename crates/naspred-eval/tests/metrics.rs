//! Tests of `naspred_eval::metrics` against scipy reference values, hand-computed
//! cases and brute-force implementations.

use std::collections::HashMap;

use naspred_data::root::open_data_file;
use naspred_data::DataRoot;
use naspred_eval::metrics::{
    average_ranks, check_inputs, kendall_2dec, kendall_tau_b, mae, pairwise_sum, pearson,
    pearson_signed, precision_at_k, rmse, round_decimals, sparse_kendall, spearman, MetricError,
    MetricKind, Metrics,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn assert_close(name: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{name}: got {got:.17}, want {want:.17}, diff {:e}",
        (got - want).abs()
    );
}

/// Reads a CSV of the data root (`NASPRED_DATA`, else the repository's `data/`; stored plain
/// or gzip-compressed) into (header, rows of raw strings).
fn read_csv(rel: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = DataRoot::resolve(None).file(rel).unwrap();
    let mut rdr = csv::Reader::from_reader(open_data_file(&path).unwrap());
    let header: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn reproduces_scipy_reference_nb201_cifar10() {
    let (sh, srows) = read_csv("naslib_zc/suite_zero_sample_nb201_cifar10.csv");
    let col = |name: &str| -> Vec<f64> {
        let j = sh
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        srows
            .iter()
            .map(|r| r[j].parse::<f64>().expect("float"))
            .collect()
    };
    let y = col("val_accuracy");

    let (rh, rrows) = read_csv("naslib_zc/metric_reference_nb201_cifar10.csv");
    assert!(rrows.len() >= 11, "expected 11 score columns");
    let mut max_diff: HashMap<String, f64> = HashMap::new();
    for row in &rrows {
        let score = &row[0];
        let p = col(score);
        let n: usize = row[1].parse().expect("n");
        assert_eq!(n, p.len());
        let m = Metrics::compute(&y, &p).expect("metrics");
        for (j, key) in rh.iter().enumerate().skip(2) {
            let kind: MetricKind = key.parse().expect("known metric");
            let want: f64 = row[j].parse().expect("float");
            let got = m.get(kind);
            let d = (got - want).abs();
            let e = max_diff.entry(key.clone()).or_insert(0.0);
            *e = e.max(d);
            assert_close(&format!("{score}/{key}"), got, want, 1e-9);
        }
    }
    eprintln!("max |diff| per metric: {max_diff:?}");
}

#[test]
fn scipy_documentation_examples() {
    // scipy.stats.kendalltau docs.
    let x1 = [12.0, 2.0, 1.0, 12.0, 2.0];
    let x2 = [1.0, 4.0, 7.0, 1.0, 0.0];
    assert_close(
        "kendall",
        kendall_tau_b(&x1, &x2),
        -0.471_404_520_791_031_7,
        1e-15,
    );
    // scipy.stats.spearmanr docs.
    let a = [1.0, 2.0, 3.0, 4.0, 5.0];
    let b = [5.0, 6.0, 7.0, 8.0, 7.0];
    assert_close("spearman", spearman(&a, &b), 0.820_782_681_668_123_3, 1e-15);
    // scipy.stats.pearsonr docs.
    let c = [10.0, 9.0, 2.5, 6.0, 4.0];
    assert_close(
        "pearson_signed",
        pearson_signed(&a, &c),
        -0.742_610_657_232_505_7,
        1e-15,
    );
    assert_close("pearson", pearson(&a, &c), 0.742_610_657_232_505_7, 1e-15);
}

#[test]
fn hand_computed_small_cases() {
    let y = [1.0, 2.0, 3.0, 4.0, 5.0];
    let p = [5.0, 6.0, 7.0, 8.0, 7.0];
    // 8 concordant, 1 discordant, 1 pair tied in p: 7 / sqrt(10 * 9).
    assert_close("tau", kendall_tau_b(&y, &p), 7.0 / 90f64.sqrt(), 1e-15);
    // ranks of p: [1, 2, 3.5, 5, 3.5]; rho = 8 / sqrt(10 * 9.5).
    assert_eq!(average_ranks(&p), vec![1.0, 2.0, 3.5, 5.0, 3.5]);
    assert_close("rho", spearman(&y, &p), 8.0 / 95f64.sqrt(), 1e-15);
    // perfect and reversed orderings
    let rev: Vec<f64> = y.iter().rev().copied().collect();
    // scipy divides by sqrt(n0 - n1) and sqrt(n0 - n2) separately, so a perfect
    // ordering can give 0.9999999999999999 there too.
    assert_close("tau+", kendall_tau_b(&y, &y), 1.0, 1e-15);
    assert_close("tau-", kendall_tau_b(&y, &rev), -1.0, 1e-15);
    assert_close("rho-", spearman(&y, &rev), -1.0, 1e-15);
    assert_close("pearson", pearson(&y, &rev), 1.0, 1e-15);
    // errors: |d| = [4,4,4,4,2]
    assert_close("mae", mae(&y, &p), 18.0 / 5.0, 1e-15);
    assert_close("rmse", rmse(&y, &p), (68.0f64 / 5.0).sqrt(), 1e-15);
    // n = 2
    assert_close("tau2", kendall_tau_b(&[1.0, 2.0], &[3.0, 1.0]), -1.0, 1e-15);
    assert_close("rho2", spearman(&[1.0, 2.0], &[1.0, 3.0]), 1.0, 1e-15);
}

#[test]
fn kendall_ties_in_both() {
    // y ties: (0,1); p ties: (2,3); joint tie: none.
    let y = [1.0, 1.0, 2.0, 3.0];
    let p = [1.0, 2.0, 3.0, 3.0];
    // pairs: (0,1) y-tie; (0,2)+ (0,3)+ (1,2)+ (1,3)+ (2,3) p-tie -> S = 4
    assert_close(
        "tau",
        kendall_tau_b(&y, &p),
        4.0 / (5.0f64 * 5.0).sqrt(),
        1e-15,
    );
    // joint tie: both tied on the same pair.
    let y = [1.0, 1.0, 2.0];
    let p = [5.0, 5.0, 7.0];
    assert_close("tau joint", kendall_tau_b(&y, &p), 1.0, 1e-15);
    // -0.0 and 0.0 tie
    let y = [-0.0, 0.0, 1.0];
    let p = [1.0, 2.0, 3.0];
    assert_close(
        "signed zero",
        kendall_tau_b(&y, &p),
        2.0 / 6f64.sqrt(),
        1e-15,
    );
    // infinities rank like any value
    let y = [f64::NEG_INFINITY, 0.0, f64::INFINITY];
    assert_close("inf", kendall_tau_b(&y, &p), 1.0, 1e-15);
}

#[test]
fn numpy_rounding_semantics() {
    // rint(x * 10) / 10 with half-to-even, not correctly rounded decimal rounding.
    assert_eq!(round_decimals(0.25, 1), 0.2);
    assert_eq!(round_decimals(0.75, 1), 0.8);
    assert_eq!(round_decimals(0.15, 1), 0.2); // 0.15 * 10 == 1.5 in binary
    assert_eq!(round_decimals(2.675, 2), 2.68); // 2.675 * 100 == 267.5 in binary
    assert_eq!(round_decimals(-0.25, 1), -0.2);
    assert_eq!(round_decimals(1.23456, 0), 1.0);
    assert_eq!(round_decimals(2.5, 0), 2.0);
    assert_eq!(round_decimals(1250.0, -2), 1200.0);
    assert_eq!(round_decimals(1350.0, -2), 1400.0);
    assert!(round_decimals(f64::NAN, 1).is_nan());
    assert_eq!(round_decimals(f64::INFINITY, 1), f64::INFINITY);
    // sparse Kendall merges predictions within the rounding grid
    let y = [1.0, 2.0, 3.0, 4.0];
    let p = [0.11, 0.14, 0.31, 0.29];
    // rounded: [0.1, 0.1, 0.3, 0.3] -> 4 concordant, 2 p-ties
    assert_close("kt_1dec", sparse_kendall(&y, &p), 4.0 / 24f64.sqrt(), 1e-15);
    assert_close("kt_2dec", kendall_2dec(&y, &p), 4.0 / 6.0, 1e-15);
    assert_close("kendall", kendall_tau_b(&y, &p), 4.0 / 6.0, 1e-15);
}

#[test]
fn precision_at_k_naslib_semantics() {
    let y: Vec<f64> = (1..=30).map(f64::from).collect();
    // identical rankings: top-10 strictly above the 11th largest -> 10 / 10
    assert_eq!(precision_at_k(&y, &y, 10), 1.0);
    let rev: Vec<f64> = y.iter().rev().copied().collect();
    assert_eq!(precision_at_k(&y, &rev, 10), 0.0);
    // half overlap
    let mut p = y.clone();
    p[29] = 0.0;
    p[28] = -1.0;
    // top_y = 21..=30 ; top_p = values 19..=28 (indices 18..=27) -> overlap 21..=28 = 8
    assert_eq!(precision_at_k(&y, &p, 10), 0.8);
    // ties at the threshold are excluded (strict >)
    let y = [1.0, 2.0, 3.0, 3.0, 3.0];
    assert_eq!(precision_at_k(&y, &y, 2), 0.0);
    let y = [1.0, 2.0, 3.0, 4.0, 4.0];
    assert_eq!(precision_at_k(&y, &y, 2), 1.0);
    // n <= k: threshold is the minimum, overlap still divided by k
    let y = [1.0, 2.0, 3.0, 4.0, 5.0];
    assert_eq!(precision_at_k(&y, &y, 10), 0.4);
    assert_eq!(precision_at_k(&y, &y, 5), 0.8);
    assert_eq!(precision_at_k(&y, &y, 4), 1.0); // n = k + 1: four values > 1
    let p = [5.0, 4.0, 3.0, 2.0, 1.0];
    assert_eq!(precision_at_k(&y, &p, 10), 0.3); // {2,3,4,5} ∩ {1,2,3,4}
                                                 // degenerate k and lengths
    assert!(precision_at_k(&y, &p, 0).is_nan());
    assert!(precision_at_k(&y, &p[..3], 2).is_nan());
    assert!(precision_at_k(&[], &[], 2).is_nan());
}

#[test]
fn precision_matches_full_sort_on_random_inputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..200 {
        let n = rng.random_range(1..60);
        let k = rng.random_range(1..25);
        let y: Vec<f64> = (0..n).map(|_| f64::from(rng.random_range(0..15))).collect();
        let p: Vec<f64> = (0..n).map(|_| rng.random::<f64>().round()).collect();
        let top = |v: &[f64]| -> Vec<bool> {
            let mut s = v.to_vec();
            s.sort_by(f64::total_cmp);
            let t = s[if n > k { n - k - 1 } else { 0 }];
            v.iter().map(|&x| x > t).collect()
        };
        let (ty, tp) = (top(&y), top(&p));
        let want = ty.iter().zip(&tp).filter(|(a, b)| **a && **b).count() as f64 / k as f64;
        assert_eq!(precision_at_k(&y, &p, k), want);
    }
}

fn brute_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let (mut s, mut n1, mut n2) = (0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let sx = (x[j] - x[i]).signum() as i64 * i64::from(x[j] != x[i]);
            let sy = (y[j] - y[i]).signum() as i64 * i64::from(y[j] != y[i]);
            n1 += i64::from(sx == 0);
            n2 += i64::from(sy == 0);
            s += sx * sy;
        }
    }
    let n0 = (n * (n - 1) / 2) as i64;
    s as f64 / (((n0 - n1) * (n0 - n2)) as f64).sqrt()
}

fn brute_pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    sxy / (sxx * syy).sqrt()
}

#[test]
fn kendall_matches_brute_force_with_ties() {
    let mut rng = ChaCha8Rng::seed_from_u64(2021);
    for trial in 0..300 {
        let n = rng.random_range(2..120);
        let levels_x = rng.random_range(1..40);
        let levels_y = rng.random_range(1..40);
        let x: Vec<f64> = (0..n)
            .map(|_| f64::from(rng.random_range(0..levels_x)) * 0.5 - 3.0)
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|_| {
                if rng.random_bool(0.5) {
                    f64::from(rng.random_range(0..levels_y))
                } else {
                    rng.random::<f64>()
                }
            })
            .collect();
        let got = kendall_tau_b(&x, &y);
        let const_x = x.iter().all(|&v| v == x[0]);
        let const_y = y.iter().all(|&v| v == y[0]);
        if const_x || const_y {
            assert!(got.is_nan(), "trial {trial}: constant input must give NaN");
            continue;
        }
        let want = brute_tau_b(&x, &y);
        assert_close(&format!("trial {trial} tau"), got, want, 1e-12);
        // symmetric
        assert_close(
            &format!("trial {trial} sym"),
            kendall_tau_b(&y, &x),
            got,
            1e-12,
        );
        // Spearman = Pearson of average ranks
        let rho = brute_pearson(&average_ranks(&x), &average_ranks(&y));
        assert_close(&format!("trial {trial} rho"), spearman(&x, &y), rho, 1e-12);
        assert_close(
            &format!("trial {trial} r"),
            pearson_signed(&x, &y),
            brute_pearson(&x, &y),
            1e-12,
        );
    }
}

#[test]
fn nan_and_constant_inputs() {
    let y = [1.0, 2.0, 3.0, 4.0];
    let p = [1.0, f64::NAN, 3.0, 2.0];
    assert!(kendall_tau_b(&y, &p).is_nan());
    assert!(kendall_tau_b(&p, &y).is_nan());
    assert!(sparse_kendall(&y, &p).is_nan());
    assert!(spearman(&y, &p).is_nan());
    assert!(pearson(&y, &p).is_nan());
    assert!(pearson_signed(&p, &y).is_nan());
    assert!(precision_at_k(&y, &p, 2).is_nan());
    assert!(mae(&y, &p).is_nan());
    assert!(rmse(&y, &p).is_nan());
    let m = Metrics::compute(&y, &p).expect("NaN input is not an error");
    assert!(m.is_all_nan());

    // constant predictions: correlations NaN, errors finite
    let c = [0.1; 4];
    let m = Metrics::compute(&y, &c).expect("constant input is not an error");
    for k in [
        MetricKind::Pearson,
        MetricKind::PearsonSigned,
        MetricKind::Spearman,
        MetricKind::Kendalltau,
        MetricKind::Kt2dec,
        MetricKind::Kt1dec,
    ] {
        assert!(m.get(k).is_nan(), "{k} should be NaN");
    }
    assert!(m.mae.is_finite() && m.rmse.is_finite());
    assert_eq!(m.precision_10, 0.0);
    // predictions that become constant only after rounding
    let p = [0.11, 0.12, 0.13, 0.14];
    assert!(sparse_kendall(&y, &p).is_nan());
    assert!(kendall_2dec(&y, &p) > 0.99);
    // infinite predictions: Pearson NaN (inf - inf), rank metrics fine
    let p = [1.0, 2.0, 3.0, f64::INFINITY];
    assert!(pearson(&y, &p).is_nan());
    assert_close("inf tau", kendall_tau_b(&y, &p), 1.0, 1e-15);
    assert_close("inf rho", spearman(&y, &p), 1.0, 1e-15);
}

#[test]
fn invalid_inputs_are_typed_errors() {
    assert_eq!(
        Metrics::compute(&[1.0, 2.0], &[1.0]),
        Err(MetricError::LengthMismatch { y: 2, p: 1 })
    );
    assert_eq!(
        Metrics::compute(&[1.0], &[1.0]),
        Err(MetricError::TooFewPoints { n: 1 })
    );
    assert_eq!(
        Metrics::compute(&[], &[]),
        Err(MetricError::TooFewPoints { n: 0 })
    );
    assert!(check_inputs(&[1.0, 2.0], &[3.0, 4.0]).is_ok());
    // the free functions return NaN instead of panicking
    assert!(kendall_tau_b(&[1.0, 2.0], &[1.0]).is_nan());
    assert!(kendall_tau_b(&[1.0], &[1.0]).is_nan());
    assert!(spearman(&[], &[]).is_nan());
    assert!(pearson(&[1.0, 2.0, 3.0], &[1.0, 2.0]).is_nan());
    assert!(mae(&[], &[]).is_nan());
    assert!(rmse(&[1.0], &[]).is_nan());
    assert_eq!(mae(&[1.0], &[3.0]), 2.0);
}

#[test]
fn metric_kind_names_and_serde() {
    let y = [1.0, 2.0, 3.0, 4.0, 5.0];
    let p = [5.0, 6.0, 7.0, 8.0, 7.0];
    let m = Metrics::compute(&y, &p).unwrap();
    let v = serde_json::to_value(&m).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), MetricKind::ALL.len());
    for kind in MetricKind::ALL {
        assert_eq!(obj[kind.name()].as_f64().unwrap(), m.get(kind));
        assert_eq!(kind.to_string().parse::<MetricKind>().unwrap(), kind);
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            format!("\"{}\"", kind.name())
        );
    }
    assert!(matches!(
        "kt_3dec".parse::<MetricKind>(),
        Err(MetricError::UnknownMetric(_))
    ));
    let back: Metrics = serde_json::from_value(v).unwrap();
    assert_eq!(back, m);
    assert_eq!(m.iter().count(), 10);
    // NaN -> null -> NaN
    let s = serde_json::to_string(&Metrics::nan()).unwrap();
    assert!(s.contains("null"));
    let back: Metrics = serde_json::from_str(&s).unwrap();
    assert!(back.is_all_nan());
}

#[test]
fn pairwise_sum_matches_numpy_structure() {
    // Exactly representable sums agree with naive summation.
    for n in [0usize, 1, 7, 8, 9, 127, 128, 129, 300, 1000] {
        let v: Vec<f64> = (0..n).map(|i| i as f64).collect();
        assert_eq!(pairwise_sum(&v), (n * n.saturating_sub(1) / 2) as f64);
    }
    // Where rounding matters, the 8-accumulator blocking is visible:
    // 16 values: r_j = a_j + a_{j+8}, then ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)).
    let mut v = vec![1.0; 16];
    v[0] = 1e16;
    // naive left-to-right: 1e16 + 1 + 1 ... each +1 is lost (ulp = 2) -> 1e16
    // pairwise: r0 = 1e16 + 1 = 1e16, r1..r7 = 2 -> (1e16 + 2) + 4 + 8 = 1e16 + 14
    assert_eq!(pairwise_sum(&v), 1e16 + 14.0);
    assert_eq!(v.iter().sum::<f64>(), 1e16);
}
