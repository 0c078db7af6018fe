//! `xgb` fit time and Kendall tau on NB201 CIFAR-10 under each XGBoost configuration, on the
//! same encodings that `docs/measurements/xgb_side_by_side.py` hands to Python XGBoost.
//!
//! `xgb_side_by_side [trials] [out_dir]` (defaults 10 and `target/xgb_side_by_side`): for each
//! trial `t`, the NB201 table shuffled with seed `1000 + t`, 200 test and the next 1000
//! training architectures (the protocol of `tests/xgb.rs`), `adjacency_one_hot` encodings;
//! fits at n = 100 and 1000 with NASLib's parameters (500 rounds, depth 6, eta 0.3, one
//! thread), once with this crate's defaults (`hist`, base score 0) and once with XGBoost 1.6's
//! (`exact`, base score 0.5). Prints the mean fit seconds (the fastest of three repetitions per
//! fit), wall clock and on-CPU time of the fitting thread (Linux `/proc/thread-self/schedstat`,
//! which a loaded machine inflates less than the wall clock; NaN elsewhere), and the mean
//! Kendall tau, and writes `trial_<t>_{train,test}.csv` (30 feature columns, then the target)
//! for the Python script.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::predictor::{ArchInput, PredictorRng};
use naspred_models::{encode_inputs, FeatureMatrix, TabularParams, XgbParams, XgbRegressor};
use naspred_spaces::{AnyArch, EncodingKind, Quirks};
use rand::seq::SliceRandom;
use rand::SeedableRng;

const SIZES: [usize; 2] = [100, 1000];

fn encode(rows: &[(AnyArch, f64)]) -> (FeatureMatrix, Vec<f64>) {
    let inputs: Vec<ArchInput> = rows
        .iter()
        .map(|(a, _)| ArchInput::bare(a.clone()))
        .collect();
    let x = encode_inputs(&inputs, EncodingKind::AdjacencyOneHot, Quirks::Faithful)
        .expect("NB201 encodes");
    (x, rows.iter().map(|(_, y)| *y).collect())
}

fn write_csv(path: &Path, x: &FeatureMatrix, y: &[f64]) {
    let mut f = std::io::BufWriter::new(fs::File::create(path).expect("create csv"));
    for (r, yv) in y.iter().enumerate() {
        let row = &x.as_slice()[r * x.cols()..(r + 1) * x.cols()];
        for v in row {
            write!(f, "{v},").expect("write csv");
        }
        writeln!(f, "{yv}").expect("write csv");
    }
}

fn first_rows(x: &FeatureMatrix, n: usize) -> FeatureMatrix {
    FeatureMatrix::from_row_major(x.as_slice()[..n * x.cols()].to_vec(), n, x.cols())
        .expect("prefix of a valid matrix")
}

/// Seconds this thread has spent on a CPU (the first field of `/proc/thread-self/schedstat`,
/// nanoseconds), NaN where that file is missing.
fn thread_cpu_s() -> f64 {
    fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// Fastest of three fits (wall seconds, CPU seconds) and the Kendall tau of the last one on
/// the test set.
fn fit_and_rank(
    params: &XgbParams,
    train: (&FeatureMatrix, &[f64]),
    test: (&FeatureMatrix, &[f64]),
) -> (f64, f64, f64) {
    let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
    let mut reg = XgbRegressor::new(params.clone());
    for _ in 0..3 {
        let (s, c) = (Instant::now(), thread_cpu_s());
        reg.fit(train.0, train.1, 0).expect("fit");
        wall = wall.min(s.elapsed().as_secs_f64());
        cpu = cpu.min(thread_cpu_s() - c);
    }
    let pred = reg.predict(test.0).expect("predict");
    (wall, cpu, kendall_tau_b(test.1, &pred))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let trials: u64 = args.get(1).map_or(10, |s| s.parse().expect("trials"));
    let out = PathBuf::from(
        args.get(2)
            .map_or("target/xgb_side_by_side", String::as_str),
    );
    fs::create_dir_all(&out).expect("output directory");
    let bench = load_nb201(&DataRoot::resolve(None), Dataset::Cifar10).expect("NB201 data");
    let table: Vec<(AnyArch, f64)> = bench
        .records()
        .iter()
        .map(|r| (r.arch.clone(), r.mean_val_acc()))
        .collect();
    let configs = [
        ("hist, base 0 (default)", XgbParams::naslib()),
        ("exact, base 0.5 (1.6)", XgbParams::xgboost_1_6()),
    ];
    // [config][size] -> (sum of wall seconds, sum of CPU seconds, sum of taus)
    let mut sums = vec![[(0.0, 0.0, 0.0); SIZES.len()]; configs.len()];
    for t in 0..trials {
        let mut tab = table.clone();
        tab.shuffle(&mut PredictorRng::seed_from_u64(1000 + t));
        let (x_test, y_test) = encode(&tab[..200]);
        let (x_train, y_train) = encode(&tab[200..1200]);
        write_csv(&out.join(format!("trial_{t}_test.csv")), &x_test, &y_test);
        write_csv(
            &out.join(format!("trial_{t}_train.csv")),
            &x_train,
            &y_train,
        );
        for (c, (_, params)) in configs.iter().enumerate() {
            for (k, &n) in SIZES.iter().enumerate() {
                let x = first_rows(&x_train, n);
                let (s, cpu, tau) = fit_and_rank(params, (&x, &y_train[..n]), (&x_test, &y_test));
                sums[c][k].0 += s;
                sums[c][k].1 += cpu;
                sums[c][k].2 += tau;
            }
        }
    }
    println!("config                  n   wall_s    cpu_s  tau   ({trials} trials)");
    for (c, (name, _)) in configs.iter().enumerate() {
        for (k, &n) in SIZES.iter().enumerate() {
            let (s, cpu, tau) = sums[c][k];
            let k = trials as f64;
            println!(
                "{name:22} {n:5} {:8.4} {:8.4} {:.4}",
                s / k,
                cpu / k,
                tau / k
            );
        }
    }
    println!("encodings written to {}", out.display());
}
