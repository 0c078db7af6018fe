//! Quick quality/speed check of the neural predictors on NB201 CIFAR-10: for each trial, a
//! fresh random split (n training, 200 test, n unlabeled architectures), one fit (wall clock and
//! the fitting thread's CPU time), Kendall tau.
//!
//! `neural_quick <n> <trials> <key>...` with keys among mlp, bananas, gcn, gcn_faithful, bonas,
//! bonas_faithful, seminas, nao, dngo, bohamiann.

use std::time::Instant;

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorRng};
use naspred_models::{
    BananasPredictor, BohamiannPredictor, BonasPredictor, DngoPredictor, GcnPredictor,
    MlpPredictor, SeminasPredictor,
};
use naspred_spaces::{AnyArch, Quirks, SpaceKind};
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn build(key: &str) -> Box<dyn Predictor> {
    match key {
        "mlp" => Box::new(MlpPredictor::default()),
        "bananas" => Box::new(BananasPredictor::default()),
        "gcn" => Box::new(GcnPredictor::default()),
        "gcn_faithful" => Box::new(GcnPredictor::new(Quirks::Faithful).with_key(key)),
        "bonas" => Box::new(BonasPredictor::default()),
        "bonas_faithful" => Box::new(BonasPredictor::new(Quirks::Faithful).with_key(key)),
        "seminas" => Box::new(SeminasPredictor::seminas()),
        "nao" => Box::new(SeminasPredictor::nao()),
        "dngo" => Box::new(DngoPredictor::default()),
        "bohamiann" => Box::new(BohamiannPredictor::default()),
        _ => panic!("unknown key {key}"),
    }
}

fn ctx<'a>(rng: &'a mut PredictorRng, u: &'a [ArchInput]) -> Context<'a> {
    Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled: u,
        rng,
    }
}

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`, nanoseconds on the
/// CPU), in seconds; NaN where unavailable.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

fn main() {
    // As the `naspred` binary: NASPRED_KEEP_DENORMALS=1 keeps IEEE subnormals in the fits.
    let keep = std::env::var("NASPRED_KEEP_DENORMALS").is_ok_and(|v| v.trim() == "1");
    naspred_eval::fpenv::keep_denormals(keep);
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args[1].parse().expect("n");
    let trials: u64 = args[2].parse().expect("trials");
    let bench = load_nb201(&DataRoot::resolve(None), Dataset::Cifar10).expect("NB201 data");
    let table: Vec<(AnyArch, f64)> = bench
        .records()
        .iter()
        .map(|r| (r.arch.clone(), r.mean_val_acc()))
        .collect();
    for key in &args[3..] {
        let mut taus = Vec::new();
        let mut fits = Vec::new();
        let mut cpus = Vec::new();
        for t in 0..trials {
            let mut tab = table.clone();
            tab.shuffle(&mut PredictorRng::seed_from_u64(1000 + t));
            let inp = |r: &[(AnyArch, f64)]| -> Vec<ArchInput> {
                r.iter().map(|(a, _)| ArchInput::bare(a.clone())).collect()
            };
            let ys = |r: &[(AnyArch, f64)]| -> Vec<f64> { r.iter().map(|(_, y)| *y).collect() };
            let (test, y_test) = (inp(&tab[..200]), ys(&tab[..200]));
            let (train, y_train) = (inp(&tab[200..200 + n]), ys(&tab[200..200 + n]));
            let unl = inp(&tab[200 + n..200 + 2 * n]);
            let mut rng = PredictorRng::seed_from_u64(t);
            let mut p = build(key);
            let s = Instant::now();
            let c = thread_cpu_seconds();
            p.fit(&train, &y_train, &mut ctx(&mut rng, &unl))
                .expect("fit");
            fits.push(s.elapsed().as_secs_f64());
            cpus.push(thread_cpu_seconds() - c);
            let pred = p.query(&test, &mut ctx(&mut rng, &[])).expect("query");
            taus.push(kendall_tau_b(&y_test, &pred));
        }
        let k = taus.len() as f64;
        let m = taus.iter().sum::<f64>() / k;
        let se = if k > 1.0 {
            (taus.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (k - 1.0)).sqrt() / k.sqrt()
        } else {
            f64::NAN
        };
        let f = fits.iter().sum::<f64>() / k;
        let c = cpus.iter().sum::<f64>() / k;
        println!(
            "{key:15} n={n:5} trials={trials} tau={m:.3} ± {se:.3}  fit={f:.2}s wall, {c:.2}s thread CPU  taus={taus:.3?}"
        );
    }
}
