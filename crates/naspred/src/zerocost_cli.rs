//! `naspred zerocost`: zero-cost proxy scores of architectures, written as CSV.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use naspred_data::{DataRoot, Dataset};
use naspred_spaces::SpaceKind;
use naspred_zerocost::{load_image_pool, Proxy, ScoreCache, ZcEngine, ZcSettings};

/// Arguments of `naspred zerocost`.
#[derive(Args)]
pub struct ZerocostArgs {
    /// Search space (nb201, nb101, darts).
    #[arg(long)]
    space: SpaceKind,
    /// Dataset: sets classes and input size (cifar10, cifar100, ImageNet16-120).
    #[arg(long, default_value = "cifar10")]
    dataset: Dataset,
    /// Proxies, comma-separated NASLib keys, or `all`.
    #[arg(long, default_value = "all")]
    proxies: String,
    /// Architectures in the space's text form, one per line (`-` for standard input).
    #[arg(long)]
    file: PathBuf,
    /// Minibatch size (default: the paper runner's 256).
    #[arg(long, default_value_t = ZcSettings::DEFAULT_BATCH)]
    batch_size: usize,
    /// Seed of network initialisation and minibatch draws (mixed with each arch's hash).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Device: cpu, cuda, cuda:N, or auto (CUDA when available). CUDA where libtorch has
    /// none is an error.
    #[arg(long, default_value = "auto")]
    device: String,
    /// Output CSV.
    #[arg(long)]
    out: PathBuf,
    /// Data root whose images are used without --images (default: NASPRED_DATA, else the
    /// repository's data/: CIFAR-10 5,000 training images, CIFAR-100 20 images).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Images to draw minibatches from: the official CIFAR-10 or CIFAR-100 binary folder
    /// (cifar-10-batches-bin / cifar-100-binary, training split) or one CIFAR binary file
    /// (.bin or .bin.gz), normalised with NASLib's statistics for --dataset.
    #[arg(long)]
    images: Option<PathBuf>,
    /// Score cache file (default: NASPRED_ZC_CACHE or .naspred-cache/zerocost.jsonl).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Compute everything afresh and keep nothing on disk.
    #[arg(long)]
    no_cache: bool,
}

/// Runs `naspred zerocost`.
pub fn zerocost(args: ZerocostArgs) -> Result<()> {
    let proxies = Proxy::parse_list(&args.proxies)?;
    let device = naspred_zerocost::parse_device(&args.device)?;
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let archs = crate::read_archs(args.space, &args.file)?;
    let root = DataRoot::resolve(args.data_dir.as_deref());
    let images = if proxies.iter().any(|p| p.needs_images()) {
        Some(Arc::new(load_image_pool(
            &root,
            args.dataset,
            args.images.as_deref(),
            args.batch_size,
        )?))
    } else {
        None
    };
    let cache = if args.no_cache {
        ScoreCache::in_memory()
    } else {
        let path = args.cache.clone().unwrap_or_else(ScoreCache::default_path);
        ScoreCache::open(&path)?
    };
    let settings = ZcSettings {
        dataset: args.dataset,
        batch_size: args.batch_size,
        seed: args.seed,
        device,
    };
    let engine = ZcEngine::new(settings, images, Arc::new(cache));
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // Written under a temporary name and renamed when complete: a failed run leaves no
    // partial CSV behind (scores already computed stay in the cache).
    let part = args.out.with_extension("csv.part");
    let mut w = BufWriter::new(
        File::create(&part).with_context(|| format!("cannot create {}", part.display()))?,
    );
    let mut header = vec!["arch".to_string()];
    header.extend(proxies.iter().map(|p| p.key().to_string()));
    header.extend(proxies.iter().map(|p| format!("{}_seconds", p.key())));
    header.push("errors".to_string());
    let mut csv = csv::Writer::from_writer(&mut w);
    csv.write_record(&header)?;
    let bar = ProgressBar::new(archs.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} archs, {elapsed} elapsed, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut failures = 0usize;
    for arch in &archs {
        let scores = match engine.score(arch, &proxies) {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                return Err(e.into());
            }
        };
        let mut rec = vec![arch.to_string()];
        let mut errors = Vec::new();
        for s in &scores {
            match &s.value {
                Ok(v) => rec.push(format!("{v:?}")),
                Err(e) => {
                    failures += 1;
                    errors.push(format!("{}: {e}", s.proxy));
                    rec.push(String::new());
                }
            }
        }
        rec.extend(scores.iter().map(|s| format!("{:.6}", s.seconds)));
        rec.push(errors.join("; "));
        csv.write_record(&rec)?;
        csv.flush()?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    drop(csv);
    w.flush()?;
    drop(w);
    std::fs::rename(&part, &args.out)
        .with_context(|| format!("cannot rename {} to {}", part.display(), args.out.display()))?;
    eprintln!(
        "naspred zerocost: {} archs x {} proxies -> {} ({} failed scores)",
        archs.len(),
        proxies.len(),
        args.out.display(),
        failures
    );
    Ok(())
}
