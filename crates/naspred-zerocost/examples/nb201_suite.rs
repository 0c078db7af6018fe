//! Scores the NB201 archs of NASLib's zero-cost sample (`naslib_zc/suite_zero_sample_nb201_cifar10.csv`)
//! and compares with NASLib's values: parameter / FLOP relative errors, Kendall tau of each
//! proxy against NASLib's column and against the validation accuracy (next to NASLib's own tau).
//!
//! `cargo run --release -p naspred-zerocost --example nb201_suite -- [N] [BATCH] [SEED] [PROXIES] [STRIDE]`
//! (N archs, default all 491; batch default 32 as NASLib's benchmark; seed default 0; proxies
//! comma-separated or `all` (default); every STRIDE-th of the first N archs, default 1).

use std::time::Instant;

use naspred_data::root::open_data_file;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::AnyArch;
use naspred_zerocost::{compute, load_image_pool, Proxy, ZcSettings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(491);
    let batch: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(32);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let root = DataRoot::resolve(None);
    let path = root.file("naslib_zc/suite_zero_sample_nb201_cifar10.csv")?;
    let mut rdr = csv::Reader::from_reader(open_data_file(&path)?);
    let headers = rdr.headers()?.clone();
    let col = |c: &str| headers.iter().position(|h| h == c).expect("column");
    let proxies = Proxy::parse_list(args.get(4).map_or("all", |s| s.as_str()))?;
    let stride: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let rows: Vec<csv::StringRecord> = rdr
        .records()
        .take(n)
        .step_by(stride)
        .collect::<Result<_, _>>()?;
    let images = if proxies.iter().any(|p| p.needs_images()) {
        Some(load_image_pool(&root, Dataset::Cifar10, None, batch)?)
    } else {
        None
    };
    let settings = ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: batch,
        seed,
        device: naspred_zerocost::default_device(),
    };
    let mut ours: Vec<Vec<f64>> = vec![Vec::new(); proxies.len()];
    let mut secs = vec![0.0; proxies.len()];
    let mut failures = vec![0usize; proxies.len()];
    let mut val = Vec::new();
    let t0 = Instant::now();
    for r in &rows {
        let arch = AnyArch::Nb201(Nb201Arch::parse_naslib_tuple(&r[col("naslib_op_indices")])?);
        let s = compute(&arch, &proxies, &settings, images.as_ref())?;
        for (i, sc) in s.iter().enumerate() {
            secs[i] += sc.seconds;
            match sc.value {
                Ok(v) => ours[i].push(v),
                Err(_) => {
                    failures[i] += 1;
                    ours[i].push(f64::NAN)
                }
            }
        }
        val.push(r[col("val_accuracy")].parse::<f64>()?);
    }
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "{} archs, batch {batch}, seed {seed}, {:.1} s wall ({:.3} s/arch)",
        rows.len(),
        wall,
        wall / rows.len() as f64
    );
    println!("proxy      tau_vs_naslib  tau_val_ours  tau_val_naslib  diff   s/arch  failed  max_rel_err");
    for (i, p) in proxies.iter().enumerate() {
        let ok: Vec<usize> = (0..rows.len())
            .filter(|&k| ours[i][k].is_finite())
            .collect();
        let o: Vec<f64> = ok.iter().map(|&k| ours[i][k]).collect();
        let v: Vec<f64> = ok.iter().map(|&k| val[k]).collect();
        let tau_val = kendall_tau_b(&v, &o);
        let (tn, tnv, rel) = if let Some(c) = headers.iter().position(|h| h == p.key()) {
            let nas: Vec<f64> = ok
                .iter()
                .map(|&k| rows[k][c].parse::<f64>().unwrap())
                .collect();
            let rel = o
                .iter()
                .zip(&nas)
                .map(|(a, b)| ((a - b) / b).abs())
                .fold(0.0f64, f64::max);
            (kendall_tau_b(&nas, &o), kendall_tau_b(&v, &nas), rel)
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        println!(
            "{:<10} {:>13.4} {:>13.4} {:>15.4} {:>6.3} {:>8.4} {:>6} {:>12.3e}",
            p.key(),
            tn,
            tau_val,
            tnv,
            tau_val - tnv,
            secs[i] / rows.len() as f64,
            failures[i],
            rel
        );
    }
    Ok(())
}
