//! Kendall tau and query time of the learning-curve predictors on NAS-Bench-NLP, per fidelity
//! (100 test architectures per trial, train set of `--train` for lcsvr).
//!
//! `cargo run --release -p naspred-lcurve --example nlp_eval -- <trials> <lce trials> <keys>`

use std::time::Instant;

use naspred_data::shared::load_nlp;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::protocol::inputs;
use naspred_eval::{Context, Predictor, PredictorRng};
use naspred_lcurve::{EarlyStopping, LcSvr, Lce, LceM, Sotl};
use naspred_spaces::SpaceKind;
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn build(key: &str) -> Box<dyn Predictor> {
    match key {
        "sotl" => Box::new(Sotl::sum()),
        "sotle" => Box::new(Sotl::last_epoch()),
        "sotlema" => Box::new(Sotl::ema()),
        "valacc" => Box::new(EarlyStopping::val_acc()),
        "valloss" => Box::new(EarlyStopping::val_loss()),
        "lce" => Box::new(Lce::default()),
        "lce_faithful" => Box::new(Lce::new(naspred_spaces::Quirks::Faithful)),
        "lce_m" => Box::new(LceM::default()),
        "lce_m_faithful" => Box::new(LceM::new(naspred_spaces::Quirks::Faithful)),
        "lcsvr" => Box::new(LcSvr::default()),
        k => panic!("unknown {k}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let trials: u64 = args.get(1).map_or(10, |s| s.parse().unwrap());
    let lce_trials: u64 = args.get(2).map_or(2, |s| s.parse().unwrap());
    let keys: Vec<String> = args
        .get(3)
        .map_or("sotl,sotle,valloss,valacc,lcsvr,lce,lce_m", |s| s.as_str())
        .split(',')
        .map(String::from)
        .collect();
    let bench = load_nlp(&DataRoot::resolve(None)).unwrap();
    let n_train = 100;
    println!("key,fidelity,trials,trials_ok,kendall_tau,query_s_per_arch,fit_s");
    for key in &keys {
        let nt = if key.starts_with("lce") {
            lce_trials
        } else {
            trials
        };
        for f in [3u32, 5, 10, 20, 30] {
            let (mut tau, mut qt, mut ft, mut ok) = (0.0, 0.0, 0.0, 0usize);
            for t in 0..nt {
                let mut idx: Vec<usize> = (0..bench.records().len()).collect();
                idx.shuffle(&mut PredictorRng::seed_from_u64(t));
                let (tr, te) = (&idx[..n_train], &idx[n_train..n_train + 100]);
                let mut p = build(key);
                let reqs = p.requirements();
                let xtr = inputs(&bench, tr, &reqs, Some(f)).unwrap();
                let xte = inputs(&bench, te, &reqs, Some(f)).unwrap();
                let ytr: Vec<f64> = tr
                    .iter()
                    .map(|&i| bench.records()[i].mean_val_acc())
                    .collect();
                let yte: Vec<f64> = te
                    .iter()
                    .map(|&i| bench.records()[i].mean_val_acc())
                    .collect();
                let mut rng = PredictorRng::seed_from_u64(1000 + t);
                let mut ctx = Context {
                    space: SpaceKind::Nlp,
                    dataset: Dataset::Wikitext2,
                    fidelity: Some(f),
                    total_epochs: 50,
                    unlabeled: &[],
                    rng: &mut rng,
                };
                let s = Instant::now();
                p.fit(&xtr, &ytr, &mut ctx).unwrap();
                ft += s.elapsed().as_secs_f64();
                let s = Instant::now();
                match p.query(&xte, &mut ctx) {
                    Ok(pred) => {
                        qt += s.elapsed().as_secs_f64() / 100.0;
                        tau += kendall_tau_b(&yte, &pred);
                        ok += 1;
                    }
                    // The fixed variants report a failed extrapolation: count it.
                    Err(e) => eprintln!("{key} f={f} trial {t}: {e}"),
                }
            }
            let n = ok as f64;
            println!(
                "{key},{f},{nt},{ok},{:.4},{:.5},{:.3}",
                tau / n,
                qt / n,
                ft / nt as f64
            );
        }
    }
}
