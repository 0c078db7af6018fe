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
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_zerocost::table::data_root_images;
use naspred_zerocost::{
    default_images, load_image_pool, memory, Proxy, ScoreCache, SweepRow, TableMeta, ZcEngine,
    ZcSettings, ZcTable, ZeroCostSettings, SCORE_VERSION,
};

/// Settings of the zero-cost predictors (and of OMNI's jacov feature) on `evaluate`,
/// `reproduce` and `search`: flags, else the documented `NASPRED_ZC_*` variables, else the
/// defaults. Malformed values are refused when the command line is parsed.
#[derive(Args, Clone, Debug)]
pub struct PredictorZcArgs {
    /// Minibatch size of the zero-cost predictors (at least 1; default 256, NASLib's; `reproduce
    /// --nb201`: 64, the batch of the precomputed NB201 table).
    #[arg(long = "zc-batch", env = "NASPRED_ZC_BATCH", value_parser = parse_batch)]
    zc_batch: Option<usize>,
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
    /// Compute every zero-cost score instead of reading the precomputed tables of the data
    /// root's zerocost/ folder.
    #[arg(long = "zc-no-table")]
    zc_no_table: bool,
}

impl PredictorZcArgs {
    /// The registry of these settings with the data root of `data_dir` (else `NASPRED_DATA`,
    /// else the repository's `data/`).
    pub fn registry(&self, data_dir: Option<&Path>) -> Result<Registry> {
        self.registry_with_batch(data_dir, ZcSettings::DEFAULT_BATCH)
    }

    /// [`Self::registry`], with `default_batch` where no batch size was asked for.
    pub fn registry_with_batch(
        &self,
        data_dir: Option<&Path>,
        default_batch: usize,
    ) -> Result<Registry> {
        if let Some(p) = &self.images {
            if !p.exists() {
                bail!("--images {}: no such file or folder", p.display());
            }
        }
        Ok(Registry::new(RegistrySettings {
            zero_cost: ZeroCostSettings {
                batch_size: self.zc_batch.unwrap_or(default_batch),
                seed: self.zc_seed,
                device: self.zc_device.clone(),
                cache: self.zc_cache.clone(),
                images: self.images.clone(),
                tables: !self.zc_no_table,
                companions: Vec::new(),
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
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    file: Option<PathBuf>,
    /// Every architecture of the space, in its enumeration order (NB201: the 15,625 cells by
    /// index).
    #[arg(long)]
    all: bool,
    /// Only the first N architectures (of --file or --all).
    #[arg(long, hide = true)]
    limit: Option<usize>,
    /// Worker threads, each running libtorch on one thread (default: the available cores).
    #[arg(long)]
    jobs: Option<usize>,
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
    /// Output CSV (scores, seconds and failures of every architecture).
    #[arg(long, required_unless_present = "write_table")]
    out: Option<PathBuf>,
    /// Also (or only) write the scores as a compact precomputed table (gzip CSV, see
    /// naspred-zerocost's `table` module); a folder: the table's standard file name
    /// `<space>_<dataset>_b<batch>_s<seed>.csv.gz` in it.
    #[arg(long)]
    write_table: Option<PathBuf>,
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
    /// Return the allocator's free memory to the system once resident memory passes this many
    /// MiB (0: never; for measuring the growth without it).
    #[arg(long, hide = true, default_value_t = 1024)]
    trim_above_mib: u64,
}

/// The architectures of `naspred zerocost`: --all or --file, cut to --limit.
fn sweep_archs(args: &ZerocostArgs) -> Result<Vec<AnyArch>> {
    let mut archs = match (&args.file, args.all) {
        (_, true) if args.space == SpaceKind::Nb201 => {
            Nb201Arch::all().map(AnyArch::Nb201).collect()
        }
        (_, true) => bail!(
            "--all enumerates NB201 only ({} has no enumeration here); pass --file",
            args.space
        ),
        (Some(f), false) => crate::read_archs(args.space, f)?,
        (None, false) => bail!("pass --file or --all"),
    };
    if let Some(n) = args.limit {
        archs.truncate(n);
    }
    Ok(archs)
}

/// The engine of `naspred zerocost`: images (when a proxy reads them), cache, settings.
fn sweep_engine(args: &ZerocostArgs, proxies: &[Proxy]) -> Result<ZcEngine> {
    let device = naspred_zerocost::parse_device(&args.device)?;
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
    let trim = (args.trim_above_mib > 0).then_some(args.trim_above_mib << 20);
    Ok(ZcEngine::new(settings, images, Arc::new(cache)).with_trim_above(trim))
}

/// Runs `naspred zerocost`.
pub fn zerocost(args: ZerocostArgs) -> Result<()> {
    let proxies = Proxy::parse_list(&args.proxies)?;
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    if args.jobs == Some(0) {
        bail!("--jobs must be at least 1");
    }
    let archs = sweep_archs(&args)?;
    let engine = sweep_engine(&args, &proxies)?;
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let bar = ProgressBar::new(archs.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} archs, {elapsed} elapsed, eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let start = std::time::Instant::now();
    let scores = engine.score_sweep(&archs, &proxies, jobs, &|done, _| {
        bar.set_position(done as u64);
        if let Some(rss) = memory::resident_bytes() {
            bar.set_message(format!("rss {} MiB", rss >> 20));
        }
    })?;
    bar.finish_and_clear();
    if let Some(out) = &args.out {
        write_scores_csv(out, &proxies, &archs, &scores)?;
    }
    if let Some(dest) = &args.write_table {
        let path = write_table(&args, dest, &proxies, &archs, &scores)?;
        eprintln!("naspred zerocost: table -> {}", path.display());
    }
    let failures = scores.iter().flatten().filter(|s| s.value.is_err()).count();
    let peak = memory::peak_resident_bytes().map_or("?".to_string(), |b| (b >> 20).to_string());
    eprintln!(
        "naspred zerocost: {} archs x {} proxies ({} failed scores) in {:.1} s with {jobs} \
         job(s), peak RSS {peak} MiB{}",
        archs.len(),
        proxies.len(),
        failures,
        start.elapsed().as_secs_f64(),
        args.out
            .as_ref()
            .map_or(String::new(), |o| format!(" -> {}", o.display()))
    );
    Ok(())
}

/// Writes the scores CSV `out` (`arch`, one column per proxy, their seconds, `errors`),
/// under a temporary name renamed when complete.
fn write_scores_csv(
    out: &Path,
    proxies: &[Proxy],
    archs: &[AnyArch],
    scores: &[SweepRow],
) -> Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let part = out.with_extension("csv.part");
    let mut w = BufWriter::new(
        File::create(&part).with_context(|| format!("cannot create {}", part.display()))?,
    );
    let mut header = vec!["arch".to_string()];
    header.extend(proxies.iter().map(|p| p.key().to_string()));
    header.extend(proxies.iter().map(|p| format!("{}_seconds", p.key())));
    header.push("errors".to_string());
    let mut csv = csv::Writer::from_writer(&mut w);
    csv.write_record(&header)?;
    for (arch, row) in archs.iter().zip(scores) {
        let mut rec = vec![arch.to_string()];
        let mut errors = Vec::new();
        for s in row {
            match &s.value {
                Ok(v) => rec.push(format!("{v:?}")),
                Err(e) => {
                    errors.push(format!("{}: {e}", s.proxy));
                    rec.push(String::new());
                }
            }
        }
        rec.extend(row.iter().map(|s| format!("{:.6}", s.seconds)));
        rec.push(errors.join("; "));
        csv.write_record(&rec)?;
    }
    csv.flush()?;
    drop(csv);
    w.flush()?;
    drop(w);
    std::fs::rename(&part, out)
        .with_context(|| format!("cannot rename {} to {}", part.display(), out.display()))
}

/// Writes the precomputed table of the sweep to `dest` (a folder: the standard file name in
/// it); returns the file written.
fn write_table(
    args: &ZerocostArgs,
    dest: &Path,
    proxies: &[Proxy],
    archs: &[AnyArch],
    scores: &[SweepRow],
) -> Result<PathBuf> {
    let images = match (&args.images, default_images(args.dataset)) {
        (Some(p), _) => format!("path:{}", p.display()),
        (None, Some(rel)) => data_root_images(rel),
        (None, None) => "none".to_string(),
    };
    let meta = TableMeta {
        space: args.space,
        dataset: args.dataset,
        batch: args.batch_size,
        seed: args.seed,
        score_version: SCORE_VERSION,
        images,
        device: args.device.clone(),
        naspred_version: env!("CARGO_PKG_VERSION").to_string(),
        mean_seconds: Vec::new(),
    };
    let is_dir = dest.is_dir() || dest.as_os_str().to_string_lossy().ends_with('/');
    let path = if is_dir {
        dest.join(meta.file_name())
    } else {
        dest.to_path_buf()
    };
    ZcTable::from_scores(meta, proxies, archs, scores)?.write(&path)?;
    Ok(path)
}
