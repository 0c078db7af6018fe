//! Fits the `oneshot` or `rsws` predictor (default reduced settings) and scores an
//! architecture list; prints the fit time and Kendall tau against NB201's 200-epoch CIFAR-10
//! validation accuracy (the embedded table) and writes `arch,score,nb201_val_acc` as CSV.
//!
//! `cargo run --release -p naspred-train --example ws_eval -- oneshot|rsws ARCHS OUT.csv [EPOCHS]`

use std::io::Write;

use naspred_data::Dataset;
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::{ArchInput, Context, Predictor, PredictorRng};
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_train::{WsMode, WsPredictor};
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 3 {
        return Err("usage: oneshot|rsws ARCHS OUT.csv [EPOCHS]".into());
    }
    tch::set_num_threads(1);
    let (key, mode) = match a[0].as_str() {
        "oneshot" => ("oneshot", WsMode::OneShot),
        "rsws" => ("rsws", WsMode::RandomSampling),
        other => return Err(format!("unknown mode {other}").into()),
    };
    let archs = std::fs::read_to_string(&a[1])?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| AnyArch::parse(SpaceKind::Nb201, l.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let truth_bench = naspred_data::embedded::load_default(Dataset::Cifar10)?;
    let truth: Vec<f64> = archs
        .iter()
        .map(|x| truth_bench.lookup(x).map_or(f64::NAN, |r| r.mean_val_acc()))
        .collect();
    let mut p = WsPredictor::new(key, mode);
    if let Some(e) = a.get(3) {
        p.settings.epochs = e.parse()?;
    }
    let mut rng = PredictorRng::seed_from_u64(0);
    let mut ctx = Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled: &[],
        rng: &mut rng,
    };
    let t0 = std::time::Instant::now();
    p.fit(&[], &[], &mut ctx)?;
    let fit_s = t0.elapsed().as_secs_f64();
    let test: Vec<ArchInput> = archs.iter().cloned().map(ArchInput::bare).collect();
    let t1 = std::time::Instant::now();
    let scores = p.query(&test, &mut ctx)?;
    let query_s = t1.elapsed().as_secs_f64() / archs.len() as f64;
    let mut f = std::fs::File::create(&a[2])?;
    writeln!(f, "arch,score,nb201_val_acc")?;
    for ((x, s), t) in archs.iter().zip(&scores).zip(&truth) {
        writeln!(f, "{x},{s},{t}")?;
    }
    let last = p.history().last().copied();
    println!(
        "{key}: settings {:?}; fit {fit_s:.1} s; query {:.3} s/arch; last epoch {:?}; kendall tau vs NB201 200-epoch cifar10 val acc = {:.4}",
        p.settings,
        query_s,
        last,
        kendall_tau_b(&truth, &scores)
    );
    Ok(())
}
