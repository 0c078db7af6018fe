//! The DARTS network and synflow against NASLib's published NB301 zero-cost values: parameter
//! and FLOP relative errors and the Kendall tau of ln synflow against NASLib's column on the 33
//! genotypes of `tests/data/naslib_nb301_head.tsv`, then synflow's Kendall tau against the
//! validation accuracy over the first N genotypes of NASLib's 500-genotype sample
//! (`naslib_zc/sample_nb301_cifar10_accuracy.csv`; NASLib's own: 0.146).
//!
//! `cargo run --release -p naspred-zerocost --example darts_fidelity -- [N]` (default 500).

use std::time::Instant;

use naspred_data::root::open_data_file;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::{kendall_tau_b, spearman};
use naspred_spaces::darts::DartsArch;
use naspred_spaces::AnyArch;
use naspred_zerocost::{compute, Proxy, ProxyScore, ZcSettings};

fn value(s: &[ProxyScore], p: Proxy) -> Result<f64, String> {
    s.iter()
        .find(|x| x.proxy == p)
        .ok_or_else(|| format!("{p} missing"))?
        .value
        .clone()
        .map_err(|e| format!("{p}: {e}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let settings = ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: 1,
        seed: 0,
        device: naspred_zerocost::default_device(),
    };
    let proxies = [Proxy::Params, Proxy::Flops, Proxy::Synflow];
    // 1. The 33 genotypes with NASLib's values.
    let head = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/naslib_nb301_head.tsv"),
    )?;
    let (mut rel_p, mut rel_f) = (0.0f64, 0.0f64);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for line in head.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let arch = AnyArch::Darts(DartsArch::from_compact_str(f[0])?);
        let s = compute(&arch, &proxies, &settings, None)?;
        let (p, fl) = (f[1].parse::<f64>()?, f[2].parse::<f64>()?);
        rel_p = rel_p.max(((value(&s, Proxy::Params)? - p) / p).abs());
        rel_f = rel_f.max(((value(&s, Proxy::Flops)? - fl) / fl).abs());
        ours.push(value(&s, Proxy::Synflow)?.ln());
        theirs.push(f[3].parse::<f64>()?);
    }
    let tau = kendall_tau_b(&theirs, &ours);
    println!(
        "{} genotypes with NASLib's values: max rel err params {rel_p:.2e}, flops {rel_f:.2e}",
        ours.len()
    );
    println!(
        "ln synflow vs NASLib's: Kendall tau {tau:.3} (negated, as before: {:.3})",
        -tau
    );
    // 2. synflow against the validation accuracy of the sample.
    let path = DataRoot::resolve(None).file("naslib_zc/sample_nb301_cifar10_accuracy.csv")?;
    let mut rdr = csv::Reader::from_reader(open_data_file(&path)?);
    let (mut syn, mut val) = (Vec::new(), Vec::new());
    let t0 = Instant::now();
    for r in rdr.records().take(n) {
        let r = r?;
        let arch = AnyArch::Darts(DartsArch::from_compact_str(&r[0])?);
        let s = compute(&arch, &[Proxy::Synflow], &settings, None)?;
        syn.push(value(&s, Proxy::Synflow)?);
        val.push(r[3].parse::<f64>()?);
    }
    println!(
        "{} sample genotypes ({:.0} s): synflow vs val Kendall tau {:.3}, Spearman {:.3} (NASLib 0.146, 0.217)",
        syn.len(),
        t0.elapsed().as_secs_f64(),
        kendall_tau_b(&val, &syn),
        spearman(&val, &syn)
    );
    Ok(())
}
