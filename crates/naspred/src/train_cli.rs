//! `naspred train`: trains a list of architectures on CIFAR images and writes a benchmark
//! file with their per-epoch curves (resumable per architecture).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use naspred_data::DataRoot;
use naspred_spaces::SpaceKind;
use naspred_train::bench::NetSize;
use naspred_train::run::{self, Progress};
use naspred_train::{TrainConfig, TrainData};

/// Arguments of `naspred train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Search space (nb201; nb101 and darts train their standard networks).
    #[arg(long)]
    space: SpaceKind,
    /// Architectures in the space's text form, one per line.
    #[arg(long)]
    archs: PathBuf,
    /// Training epochs per architecture.
    #[arg(long)]
    epochs: u32,
    /// Channels of the first stage (NB201: 16).
    #[arg(long, default_value_t = 16)]
    channels: i64,
    /// Cells per stage (NB201: 5).
    #[arg(long, default_value_t = 5)]
    cells: usize,
    /// Image side: 32, or 16 (2 x 2 average pooling of the 32 x 32 images).
    #[arg(long, default_value_t = 32)]
    image_size: usize,
    /// Minibatch size (NB201: 256).
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Class-balanced subset of the 5000 shared training images (default: all).
    #[arg(long)]
    train_images: Option<usize>,
    /// Class-balanced subset of the 1000 shared validation (CIFAR-10 test) images (default:
    /// all).
    #[arg(long)]
    val_images: Option<usize>,
    /// Initial learning rate (cosine to 0).
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Weight decay.
    #[arg(long, default_value_t = 5e-4)]
    weight_decay: f64,
    /// Seed of weights (plus the architecture's position), data order and augmentation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Intra-op threads of libtorch (1: deterministic).
    #[arg(long, default_value_t = 1)]
    threads: i32,
    /// Device: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Output benchmark file (gzip JSON lines); the run log is `<out>.runs.jsonl`.
    #[arg(long)]
    out: PathBuf,
    /// Data root (images in cifar/).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Runs `naspred train`.
pub fn train(args: TrainArgs) -> Result<()> {
    let device = match args.device.as_str() {
        "cpu" => tch::Device::Cpu,
        "cuda" => {
            if !tch::Cuda::is_available() {
                bail!("--device cuda: no CUDA device is available");
            }
            tch::Device::Cuda(0)
        }
        other => bail!("--device {other:?}: expected cpu or cuda"),
    };
    if args.threads < 1 {
        bail!("--threads must be at least 1");
    }
    tch::set_num_threads(args.threads);
    let archs = super::read_archs(args.space, &args.archs)?;
    if archs.is_empty() {
        bail!("{}: no architectures", args.archs.display());
    }
    let root = DataRoot::resolve(args.data_dir.as_deref());
    let mut data = TrainData::shared_cifar10(&root, args.image_size, args.train_images)
        .context("cannot load the training images")?;
    if let Some(n) = args.val_images {
        if n == 0 {
            bail!("--val-images must be positive");
        }
        data.val = data.val.balanced(n);
    }
    let mut cfg = TrainConfig::nb201(args.epochs, args.image_size);
    cfg.batch_size = args.batch;
    cfg.lr = args.lr;
    cfg.weight_decay = args.weight_decay;
    cfg.seed = args.seed;
    cfg.device = device;
    cfg.validate()?;
    let net = NetSize {
        channels: args.channels,
        cells: args.cells,
        image_size: args.image_size,
    };
    if net.channels < 1 || net.cells < 1 {
        bail!("--channels and --cells must be positive");
    }
    let header = run::header(args.space, &data, net, &cfg);
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(archs.len() as u64 * args.epochs as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} epochs, {elapsed} elapsed, eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let t0 = Instant::now();
    let (mut trained, mut skipped) = (0usize, 0usize);
    run::train_benchmark(&archs, &data, &header, &args.out, &mut |p| match p {
        Progress::Skipped(_) => {
            skipped += 1;
            bar.inc(args.epochs as u64);
        }
        Progress::Start(_) => {}
        Progress::Epoch(e, s) => {
            bar.set_message(format!(
                "(arch {}, epoch {}: val acc {:.1})",
                trained + skipped + 1,
                e + 1,
                s.val_acc
            ));
            bar.inc(1);
        }
        Progress::Done(_, _) => trained += 1,
    })?;
    bar.finish_and_clear();
    eprintln!(
        "naspred train: {} architectures ({} trained now, {} from the run log) -> {} in {:.1} s",
        archs.len(),
        trained,
        skipped,
        args.out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
