//! `jacov` and `jacov_faithful` on NASLib's 500-architecture NB101 sample
//! (`naslib_zc/sample_nb101_cifar10_accuracy.csv`): Kendall tau and Spearman rho of each against
//! the validation accuracy, next to NASLib's published values of its own jacov on the same rows.
//!
//! `cargo run --release -p naspred-zerocost --example nb101_jacov -- [N] [BATCH] [SEED] [STRIDE]`
//! (the first N rows, default all 500; batch default 32 as NASLib's benchmark; seed default 0;
//! every STRIDE-th row, default 1). Each scored row is printed as it comes (`row`, index,
//! validation accuracy, jacov, jacov_faithful), then the correlations.

use std::time::Instant;

use naspred_data::root::open_data_file;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::{kendall_tau_b, spearman};
use naspred_spaces::nb101::Nb101Arch;
use naspred_spaces::AnyArch;
use naspred_zerocost::{compute, load_image_pool, Proxy, ZcSettings};

/// NASLib's published NB101 jacov against validation accuracy on the 500 rows (Kendall tau,
/// Spearman rho; spec §6.3, computed from `zc_nasbench101.json`).
const NASLIB_JACOV: (f64, f64) = (-0.339, -0.499);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (n, batch, seed, stride) = (arg(1, 500), arg(2, 32), arg(3, 0) as u64, arg(4, 1).max(1));
    let root = DataRoot::resolve(None);
    let path = root.file("naslib_zc/sample_nb101_cifar10_accuracy.csv")?;
    let mut rdr = csv::Reader::from_reader(open_data_file(&path)?);
    let rows: Vec<csv::StringRecord> = rdr
        .records()
        .take(n)
        .step_by(stride)
        .collect::<Result<_, _>>()?;
    let images = load_image_pool(&root, Dataset::Cifar10, None, batch)?;
    let settings = ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: batch,
        seed,
        device: naspred_zerocost::default_device(),
    };
    let proxies = [Proxy::Jacov, Proxy::JacovFaithful];
    let (mut jacov, mut faithful, mut val) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen = std::collections::HashMap::new();
    let t0 = Instant::now();
    for (i, r) in rows.iter().enumerate() {
        let v: usize = r[1].parse()?;
        // The matrix lost its leading zeros to an integer conversion.
        let matrix = format!("{:0>w$}", &r[2], w = v * v);
        let arch = AnyArch::Nb101(Nb101Arch::from_matrix_ops(&matrix, &r[3])?);
        // The 500 rows hold 292 distinct cells; a cell's scores depend only on the cell and
        // the seed (the per-architecture seed hashes the pruned cell), so repeats are reused.
        let s = match seen.get(&arch.arch_hash()) {
            Some(s) => Vec::clone(s),
            None => {
                let s = compute(&arch, &proxies, &settings, Some(&images))?;
                seen.insert(arch.arch_hash(), s.clone());
                s
            }
        };
        match (&s[0].value, &s[1].value) {
            (Ok(j), Ok(f)) => {
                println!("row\t{i}\t{}\t{j:e}\t{f:e}", &r[4]);
                jacov.push(*j);
                faithful.push(*f);
                val.push(r[4].parse::<f64>()?);
            }
            (e, _) => eprintln!("row {i}: {arch}: {e:?}"),
        }
        if (i + 1) % 25 == 0 {
            eprintln!(
                "{} / {} ({:.0} s, {} cells): jacov tau so far {:.3}",
                i + 1,
                rows.len(),
                t0.elapsed().as_secs_f64(),
                seen.len(),
                kendall_tau_b(&val, &jacov)
            );
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "{} rows ({} scored, {} distinct cells), batch {batch}, seed {seed}, {wall:.0} s wall ({:.2} s/cell)",
        rows.len(),
        val.len(),
        seen.len(),
        wall / seen.len().max(1) as f64
    );
    println!("score            kendall_tau  spearman_rho  (vs validation accuracy)");
    for (name, s) in [("jacov", &jacov), ("jacov_faithful", &faithful)] {
        println!(
            "{name:<16} {:>11.3} {:>13.3}",
            kendall_tau_b(&val, s),
            spearman(&val, s)
        );
    }
    println!(
        "{:<16} {:>11.3} {:>13.3}",
        "NASLib published", NASLIB_JACOV.0, NASLIB_JACOV.1
    );
    Ok(())
}
