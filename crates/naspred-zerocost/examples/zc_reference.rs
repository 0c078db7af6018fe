//! Writes the regression reference of every proxy: `tests/data/zc_reference.tsv` holds the
//! scores of all fourteen proxy keys (the thirteen of `all` and `jacov_faithful`) on four NB201,
//! two NB101 and one DARTS architecture (batch 8, seed 0, CIFAR-10 images of the data root,
//! CPU); `tests/reference.rs` recomputes them and fails on any relative change above 1e-4, so
//! a later speed-up that changes a score is caught. Regenerate only when a score is meant to
//! change (and bump the cache version of the spaces it changes).
//!
//! `cargo run --release -p naspred-zerocost --example zc_reference -- [OUT]`

use std::fmt::Write as _;

use naspred_data::root::open_data_file;
use naspred_data::{DataRoot, Dataset};
use naspred_spaces::nb101::Nb101Arch;
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_zerocost::{compute, load_image_pool, Proxy, ZcSettings};
use tch::Device;

/// Minibatch size and seed of the reference.
const BATCH: usize = 8;
const SEED: u64 = 0;

/// The reference architectures: rows of NASLib's samples in the data root (small NB101 and
/// DARTS networks, so that the test stays short: 1.6 M / 0.9 M and 0.64 M parameters).
fn archs(root: &DataRoot) -> Result<Vec<AnyArch>, Box<dyn std::error::Error>> {
    let rows =
        |rel: &str, take: &[usize]| -> Result<Vec<csv::StringRecord>, Box<dyn std::error::Error>> {
            let mut rdr = csv::Reader::from_reader(open_data_file(&root.file(rel)?)?);
            let all: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>()?;
            Ok(take.iter().map(|&i| all[i].clone()).collect())
        };
    let mut out = Vec::new();
    for r in rows(
        "naslib_zc/sample_nb201_cifar100_accuracy.csv",
        &[0, 100, 200, 300],
    )? {
        out.push(AnyArch::parse(SpaceKind::Nb201, &r[1])?);
    }
    for r in rows("naslib_zc/sample_nb101_cifar10_accuracy.csv", &[3, 9])? {
        let v: usize = r[1].parse()?;
        let matrix = format!("{:0>w$}", &r[2], w = v * v);
        out.push(AnyArch::Nb101(Nb101Arch::from_matrix_ops(&matrix, &r[3])?));
    }
    for r in rows("naslib_zc/sample_nb301_cifar10_accuracy.csv", &[19])? {
        out.push(AnyArch::parse(SpaceKind::Darts, &r[0])?);
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/zc_reference.tsv").to_string()
    });
    let root = DataRoot::resolve(None);
    let images = load_image_pool(&root, Dataset::Cifar10, None, BATCH)?;
    let settings = ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: BATCH,
        seed: SEED,
        device: Device::Cpu,
    };
    let mut text = String::new();
    writeln!(
        text,
        "# naspred zero-cost regression reference: examples/zc_reference.rs"
    )?;
    writeln!(
        text,
        "# dataset=cifar10 batch={BATCH} seed={SEED} device=cpu"
    )?;
    writeln!(text, "space\tarch\tproxy\tvalue")?;
    for arch in archs(&root)? {
        for s in compute(&arch, &Proxy::KNOWN, &settings, Some(&images))? {
            let v = match s.value {
                Ok(v) => format!("{v:e}"),
                Err(e) => format!("failed: {e}"),
            };
            writeln!(text, "{}\t{arch}\t{}\t{v}", arch.space(), s.proxy)?;
        }
    }
    std::fs::write(&out, text)?;
    println!("wrote {out}");
    Ok(())
}
