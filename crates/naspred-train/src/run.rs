//! Training a list of architectures into a benchmark, resumably.

use std::path::Path;
use std::time::Instant;

use naspred_nets::nb201::Nb201Config;
use naspred_nets::{NetConfig, Network};
use naspred_spaces::AnyArch;

use crate::bench::{self, ArchRun, BenchHeader, NetSize, RunLog, FORMAT};
use crate::data::TrainData;
use crate::trainer::{train_network, EpochStats, TrainConfig};
use crate::TrainError;

/// Progress events of [`train_benchmark`].
pub enum Progress<'a> {
    /// An architecture was found in the run log and is skipped.
    Skipped(&'a AnyArch),
    /// Training of an architecture starts.
    Start(&'a AnyArch),
    /// An epoch of the current architecture finished.
    Epoch(u32, &'a EpochStats),
    /// An architecture finished (wall seconds of its whole run).
    Done(&'a AnyArch, f64),
}

/// The header of a benchmark of `space` trained on `data` with `net` and `cfg`.
pub fn header(
    space: naspred_spaces::SpaceKind,
    data: &TrainData,
    net: NetSize,
    cfg: &TrainConfig,
) -> BenchHeader {
    BenchHeader {
        format: FORMAT.to_string(),
        space: space.to_string(),
        dataset: naspred_data::Dataset::Cifar10,
        train_images: data.train.len(),
        val_images: data.val.len(),
        net,
        train: cfg.clone(),
        data_source: "shared cifar/train_5000.bin.gz + cifar/test_1000.bin.gz".to_string(),
    }
}

/// Builds the network of `arch` at `net`'s size (NB201: reduced channels / cells; other
/// spaces: their standard network), weights seeded by `seed`.
pub fn build_net(
    arch: &AnyArch,
    net: NetSize,
    classes: usize,
    seed: u64,
    device: tch::Device,
) -> Result<Network, TrainError> {
    Ok(Network::build_sized(
        arch,
        NetConfig {
            classes: classes as i64,
            seed,
            device,
        },
        Nb201Config {
            c: net.channels,
            n: net.cells,
            classes: classes as i64,
        },
    )?)
}

/// Trains every architecture of `archs` not yet in the run log next to `out`, appending each
/// finished run to the log, then writes the benchmark file `out` from the log (in the order of
/// `archs`). Each network's weights are seeded by `cfg.seed` plus its position in the list.
pub fn train_benchmark(
    archs: &[AnyArch],
    data: &TrainData,
    header: &BenchHeader,
    out: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<(), TrainError> {
    let log = train_range(
        archs,
        0..archs.len(),
        data,
        header,
        &bench::log_path(out),
        progress,
    )?;
    let runs: Vec<&ArchRun> = archs
        .iter()
        .filter_map(|a| log.get(&a.to_string()))
        .collect();
    bench::write_benchmark(out, header, &runs)
}

/// Trains the architectures at positions `range` of `archs` that the run log `log_path` does
/// not hold yet (weights seeded by `cfg.seed` plus the position in the whole list), appending
/// each finished run; returns the log. Several processes can share out one list this way,
/// each with its own log; concatenating the logs' runs gives the log of the whole list.
pub fn train_range(
    archs: &[AnyArch],
    range: std::ops::Range<usize>,
    data: &TrainData,
    header: &BenchHeader,
    log_path: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RunLog, TrainError> {
    let cfg = &header.train;
    cfg.validate()?;
    let mut log = RunLog::open(log_path, header)?;
    for (i, arch) in archs.iter().enumerate() {
        if !range.contains(&i) {
            continue;
        }
        let text = arch.to_string();
        if log.get(&text).is_some() {
            progress(Progress::Skipped(arch));
            continue;
        }
        progress(Progress::Start(arch));
        let t0 = Instant::now();
        let net = build_net(
            arch,
            header.net,
            data.train.classes,
            cfg.seed.wrapping_add(i as u64),
            cfg.device,
        )?;
        let epochs = train_network(&net, data, cfg, &mut |e, s| progress(Progress::Epoch(e, s)))?;
        log.append(ArchRun {
            arch: text,
            params: net.store.num_params(),
            epochs,
        })?;
        progress(Progress::Done(arch, t0.elapsed().as_secs_f64()));
    }
    Ok(log)
}
