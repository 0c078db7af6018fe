//! Trains an NB201 architecture list into a benchmark file, exactly as `naspred train` does
//! with the same settings (same header, so either can resume the other's run log).
//!
//! `cargo run --release -p naspred-train --example train_bench -- ARCHS EPOCHS C N SIDE BATCH IMAGES VAL_IMAGES SEED OUT [START]`
//! (with START: train positions START.. only, into the run log OUT)

use naspred_data::DataRoot;
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_train::bench::NetSize;
use naspred_train::run::{self, Progress};
use naspred_train::{TrainConfig, TrainData};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 10 && a.len() != 11 {
        return Err("usage: ARCHS EPOCHS C N SIDE BATCH IMAGES VAL_IMAGES SEED OUT".into());
    }
    tch::set_num_threads(1);
    let archs = std::fs::read_to_string(&a[0])?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| AnyArch::parse(SpaceKind::Nb201, l.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let epochs: u32 = a[1].parse()?;
    let net = NetSize {
        channels: a[2].parse()?,
        cells: a[3].parse()?,
        image_size: a[4].parse()?,
    };
    let mut cfg = TrainConfig::nb201(epochs, net.image_size);
    cfg.batch_size = a[5].parse()?;
    cfg.seed = a[8].parse()?;
    let mut data = TrainData::shared_cifar10(
        &DataRoot::resolve(None),
        net.image_size,
        Some(a[6].parse()?),
    )?;
    data.val = data.val.balanced(a[7].parse()?);
    let header = run::header(SpaceKind::Nb201, &data, net, &cfg);
    let t0 = std::time::Instant::now();
    let mut k = 0;
    let mut progress = |p: Progress<'_>| {
        if let Progress::Done(arch, s) = p {
            k += 1;
            eprintln!(
                "{k} {arch} {s:.1} s (total {:.0} s)",
                t0.elapsed().as_secs_f64()
            );
        }
    };
    let out = std::path::Path::new(&a[9]);
    if let Some(start) = a.get(10) {
        // Only positions START.. into a separate log (OUT is the log path here).
        let start: usize = start.parse()?;
        run::train_range(
            &archs,
            start..archs.len(),
            &data,
            &header,
            out,
            &mut progress,
        )?;
        return Ok(());
    }
    run::train_benchmark(&archs, &data, &header, out, &mut progress)?;
    Ok(())
}
