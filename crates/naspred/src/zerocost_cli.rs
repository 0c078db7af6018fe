//! `naspred zerocost`: zero-cost proxy scores of architectures, written as CSV.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use naspred::{Registry, RegistrySettings};
use naspred_data::{DataRoot, Dataset};
use naspred_spaces::SpaceKind;
use naspred_zerocost::{
    load_image_pool, Proxy, ScoreCache, ZcEngine, ZcSettings, ZeroCostSettings,
};

/// Settings of the zero-cost predictors (and of OMNI's jacov feature) on `evaluate`,
/// `reproduce` and `search`: flags, else the documented `NASPRED_ZC_*` variables, else the
/// defaults. Malformed values are refused when the command line is parsed.
#[derive(Args, Clone, Debug)]
pub struct PredictorZcArgs {
    /// Minibatch size of the zero-cost predictors (at least 1).
    #[arg(long = "zc-batch", env = "NASPRED_ZC_BATCH", default_value_t = ZcSettings::DEFAULT_BATCH, value_parser = parse_batch)]
    zc_batch: usize,
    /// Seed of the zero-cost predictors' network initialisation and minibatch draw (mixed
    /// with each architecture's hash; 0: one score per architecture for a whole sweep).
    #[arg(long = "zc-seed", env = "NASPRED_ZC_SEED", default_value_t = 0)]
    zc_seed: u64,
    /// Device of the zero-cost predictors: cpu, cuda, cuda:N or auto (CUDA when available).
    /// CUDA where libtorch has none is an error when a zero-cost score is first computed.
    #[arg(long = "zc-device", env = "NASPRED_ZC_DEVICE", default_value = "auto", value_parser = parse_device_name)]
    zc_device: String,
    /// Score cache file of the zero-cost predictors (default: .naspred-cache/zerocost.jsonl).
    #[arg(long = "zc-cache", env = "NASPRED_ZC_CACHE")]
    zc_cache: Option<PathBuf>,
    /// Images of the zero-cost predictors: the official CIFAR-10 / CIFAR-100 binary folder or
    /// one CIFAR binary file (default: the data root's images).
    #[arg(long, env = "NASPRED_ZC_IMAGES")]
    pub images: Option<PathBuf>,
}

impl PredictorZcArgs {
    /// The registry of these settings with the data root of `data_dir` (else `NASPRED_DATA`,
    /// else the repository's `data/`).
    pub fn registry(&self, data_dir: Option<&Path>) -> Result<Registry> {
        if let Some(p) = &self.images {
            if !p.exists() {
                bail!("--images {}: no such file or folder", p.display());
            }
        }
        Ok(Registry::new(RegistrySettings {
            zero_cost: ZeroCostSettings {
                batch_size: self.zc_batch,
                seed: self.zc_seed,
                device: self.zc_device.clone(),
                cache: self.zc_cache.clone(),
                images: self.images.clone(),
            },
            data_root: DataRoot::resolve(data_dir),
        }))
    }
}

/// The environment variables the zero-cost flags read.
const ZC_ENV: [&str; 5] = [
    "NASPRED_ZC_BATCH",
    "NASPRED_ZC_SEED",
    "NASPRED_ZC_DEVICE",
    "NASPRED_ZC_CACHE",
    "NASPRED_ZC_IMAGES",
];

/// An empty `NASPRED_ZC_*` variable counts as unset (as `NASPRED_DATA`): removed before the
/// command line is parsed, while the process has one thread.
pub fn drop_empty_environment() {
    for k in ZC_ENV {
        if std::env::var_os(k).is_some_and(|v| v.is_empty()) {
            std::env::remove_var(k);
        }
    }
}

/// A batch size of at least 1.
fn parse_batch(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("the batch size must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{s:?} is not a batch size: {e}")),
    }
}

/// A device name of the form `cpu`, `cuda`, `gpu`, `cuda:N` or `auto` (whether the device
/// exists is checked when a score is computed).
fn parse_device_name(s: &str) -> std::result::Result<String, String> {
    let n = s.trim().to_ascii_lowercase();
    let ok = matches!(n.as_str(), "cpu" | "cuda" | "gpu" | "auto")
        || n.strip_prefix("cuda:")
            .is_some_and(|i| i.parse::<usize>().is_ok());
    if ok {
        Ok(s.trim().to_string())
    } else {
        Err(format!(
            "unknown device {s:?}; expected cpu, cuda, cuda:N or auto"
        ))
    }
}

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
    #[arg(long, env = "NASPRED_ZC_CACHE")]
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
