//! Early stopping and LcSVR on benchmarks with separate low-fidelity runs instead of
//! per-epoch curves: NB101 (4 / 12 / 36-epoch runs towards 108) and NB201 CIFAR-10 (a 12-epoch
//! run towards 200). Per fidelity: Kendall tau of `valacc` against the final validation
//! accuracy; on NB101 also `lcsvr` on the three points `[acc@4, acc@12, acc@36]` (the only
//! "curve" of three points there). Alongside: the benchmark query time, the epochs trained
//! times the architecture's per-epoch training time (for lcsvr the three separate runs,
//! 4 + 12 + 36 epochs).
//!
//! `cargo run --release -p naspred-lcurve --example nb_points -- [TRIALS] [N_TRAIN] [N_TEST]`

use std::time::Instant;

use naspred_data::shared::load;
use naspred_data::{Benchmark, CurveMetric, DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::{ArchInput, Context, Predictor, PredictorRng};
use naspred_lcurve::LcSvr;
use naspred_spaces::SpaceKind;
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn input(bench: &Benchmark, i: usize, epochs: &[u32]) -> Option<ArchInput> {
    let r = &bench.records()[i];
    let curve: Option<Vec<f64>> = epochs.iter().map(|&e| r.val_acc_at(e)).collect();
    let mut x = ArchInput::bare(r.arch.clone());
    x.curves = vec![(CurveMetric::ValAcc, curve?)];
    Some(x)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let trials: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let n_train: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let n_test: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
    let root = DataRoot::resolve(None);
    println!("space,predictor,fidelity,epochs_trained,trials,kendall_tau,tau_std,bench_query_s_per_arch,fit_s");
    for (space, points, total) in [
        (SpaceKind::Nb101, vec![4u32, 12, 36], 108u32),
        (SpaceKind::Nb201, vec![12u32], 200u32),
    ] {
        let bench = load(&root, space, Dataset::Cifar10).unwrap_or_else(|e| panic!("{space}: {e}"));
        // Architectures with every point, a final accuracy and a training time.
        let ok: Vec<usize> = (0..bench.records().len())
            .filter(|&i| {
                let r = &bench.records()[i];
                points.iter().all(|&e| r.val_acc_at(e).is_some())
                    && r.mean_val_acc().is_finite()
                    && r.epoch_time_s(total).is_some()
            })
            .collect();
        eprintln!(
            "{space}: {} of {} architectures usable",
            ok.len(),
            bench.records().len()
        );
        let mut runs: Vec<(&str, u32, Vec<u32>)> =
            points.iter().map(|&f| ("valacc", f, vec![f])).collect();
        if points.len() >= 3 {
            runs.push(("lcsvr", *points.last().unwrap(), points.clone()));
        }
        for (key, f, epochs) in runs {
            let mut taus = Vec::new();
            let (mut qt, mut ft) = (0.0, 0.0);
            for t in 0..trials {
                let mut idx = ok.clone();
                idx.shuffle(&mut PredictorRng::seed_from_u64(t));
                let (tr, te) = (&idx[..n_train], &idx[n_train..n_train + n_test]);
                let y = |s: &[usize]| -> Vec<f64> {
                    s.iter()
                        .map(|&i| bench.records()[i].mean_val_acc())
                        .collect()
                };
                let xte: Vec<ArchInput> = te
                    .iter()
                    .map(|&i| input(&bench, i, &epochs).unwrap())
                    .collect();
                let trained: u32 = epochs.iter().sum();
                qt += te
                    .iter()
                    .map(|&i| bench.records()[i].epoch_time_s(total).unwrap() * trained as f64)
                    .sum::<f64>()
                    / te.len() as f64;
                let pred: Vec<f64> = if key == "valacc" {
                    xte.iter()
                        .map(|x| *x.curve(CurveMetric::ValAcc).unwrap().last().unwrap())
                        .collect()
                } else {
                    let xtr: Vec<ArchInput> = tr
                        .iter()
                        .map(|&i| input(&bench, i, &epochs).unwrap())
                        .collect();
                    let mut rng = PredictorRng::seed_from_u64(1000 + t);
                    let mut ctx = Context {
                        space,
                        dataset: Dataset::Cifar10,
                        fidelity: Some(f),
                        total_epochs: total,
                        unlabeled: &[],
                        rng: &mut rng,
                    };
                    let mut p = LcSvr::default();
                    let s = Instant::now();
                    p.fit(&xtr, &y(tr), &mut ctx).unwrap();
                    ft += s.elapsed().as_secs_f64();
                    p.query(&xte, &mut ctx).unwrap()
                };
                taus.push(kendall_tau_b(&y(te), &pred));
            }
            let n = taus.len() as f64;
            let m = taus.iter().sum::<f64>() / n;
            let sd = (taus.iter().map(|t| (t - m) * (t - m)).sum::<f64>() / n).sqrt();
            println!(
                "{space},{key},{f},{},{trials},{m:.4},{sd:.4},{:.1},{:.2}",
                epochs.iter().sum::<u32>(),
                qt / trials as f64,
                ft / trials as f64
            );
        }
    }
}
