//! [`ZcEngine`]: proxies for many architectures with one image pool and a score cache.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use naspred_data::cifar::{
    load_cifar100_dir, load_cifar100_file, load_cifar10_dir, load_cifar_bin, CifarFormat,
    ImageBatch, Normalisation,
};
use naspred_data::{DataRoot, Dataset};
use naspred_spaces::AnyArch;

use crate::cache::{CacheKey, CachedScore, ScoreCache};
use crate::compute::{compute, ProxyFailure, ProxyScore, ZcSettings};
use crate::memory::{trim_if_above, DEFAULT_TRIM_ABOVE};
use crate::{Proxy, ZcError};

/// The CIFAR-10 training images under the data root (500 per class, for zero-cost minibatches
/// and training).
pub const CIFAR10_TRAIN: &str = "cifar/train_5000.bin.gz";

/// The CIFAR-100 images under the data root: the first 20 CIFAR-100 test images, fine label
/// only (enough for zero-cost minibatches of up to 14 images: NASLib draws from the first 70 %).
pub const CIFAR100_IMAGES: &str = "cifar/cifar100_20.bin";

/// Share of the image pool NASLib's zero-cost loader draws minibatches from (its
/// `train_portion`).
pub const TRAIN_PORTION: f64 = 0.7;

/// The data root's image file of `dataset` that [`load_image_pool`] reads without `images`
/// ([`CIFAR10_TRAIN`], [`CIFAR100_IMAGES`]); `None` for the datasets without one.
pub fn default_images(dataset: Dataset) -> Option<&'static str> {
    match dataset {
        Dataset::Cifar10 => Some(CIFAR10_TRAIN),
        Dataset::Cifar100 => Some(CIFAR100_IMAGES),
        _ => None,
    }
}

/// The image pool zero-cost minibatches of `batch_size` images are drawn from, normalised with
/// NASLib's statistics for `dataset`, checked to fill such a batch.
///
/// * `images = Some(path)`: a folder holding the official binary CIFAR-10 batches
///   (`data_batch_1..5.bin`, the training split is used) or CIFAR-100 (`train.bin`), or a single
///   CIFAR binary file of the dataset (`.gz` accepted; CIFAR-100 official or fine-label-only
///   records).
/// * `images = None`: the images of the data root, [`CIFAR10_TRAIN`] for CIFAR-10 and
///   [`CIFAR100_IMAGES`] for CIFAR-100.
///
/// ImageNet16-120 images are not supported yet ([`ZcError::ImagesUnsupported`]); the text
/// datasets have none ([`ZcError::NoImages`]). A pool whose first [`TRAIN_PORTION`] holds
/// fewer than `batch_size` images is [`ZcError::BatchTooLarge`].
pub fn load_image_pool(
    root: &DataRoot,
    dataset: Dataset,
    images: Option<&Path>,
    batch_size: usize,
) -> Result<ImageBatch, ZcError> {
    let norm = Normalisation::for_dataset(dataset);
    let (pool, origin) = match (dataset, images) {
        (Dataset::Cifar10, Some(p)) if p.is_dir() => (load_cifar10_dir(p, norm)?.train, p.into()),
        (Dataset::Cifar10, Some(p)) => (load_cifar_bin(p, CifarFormat::CIFAR10, norm)?, p.into()),
        (Dataset::Cifar100, Some(p)) if p.is_dir() => (load_cifar100_dir(p, norm)?.train, p.into()),
        (Dataset::Cifar100, Some(p)) => (load_cifar100_file(p, norm)?, p.into()),
        (Dataset::Cifar10, None) => {
            let p = root.file(CIFAR10_TRAIN)?;
            (load_cifar_bin(&p, CifarFormat::CIFAR10, norm)?, p)
        }
        (Dataset::Cifar100, None) => {
            let p = root.file(CIFAR100_IMAGES)?;
            (load_cifar100_file(&p, norm)?, p)
        }
        (Dataset::ImageNet16_120, _) => {
            return Err(ZcError::ImagesUnsupported {
                dataset,
                reason: "reading NASLib's ImageNet16 batches (pickled train_data_batch_1..10) \
                         is not supported yet"
                    .into(),
            })
        }
        (Dataset::Wikitext2 | Dataset::Ptb, _) => return Err(ZcError::NoImages { dataset }),
    };
    let available = (TRAIN_PORTION * pool.len() as f64).floor() as usize;
    if batch_size == 0 || batch_size > available {
        return Err(ZcError::BatchTooLarge {
            batch_size,
            available,
            images: pool.len(),
            origin,
        });
    }
    Ok(pool)
}

/// Computes proxies through a cache.
pub struct ZcEngine {
    /// Settings.
    pub settings: ZcSettings,
    images: Option<Arc<ImageBatch>>,
    cache: Arc<ScoreCache>,
    trim_above: Option<u64>,
}

/// The scores of one architecture of a sweep, in the order of the proxies asked for.
pub type SweepRow = Vec<ProxyScore>;

impl ZcEngine {
    /// An engine with an image pool (needed only by image-based proxies) and a cache.
    pub fn new(
        settings: ZcSettings,
        images: Option<Arc<ImageBatch>>,
        cache: Arc<ScoreCache>,
    ) -> Self {
        ZcEngine {
            settings,
            images,
            cache,
            trim_above: Some(DEFAULT_TRIM_ABOVE),
        }
    }

    /// The same engine trimming the allocator ([`crate::memory::trim_if_above`]) after each
    /// computed architecture once resident memory exceeds `limit` bytes (default
    /// [`DEFAULT_TRIM_ABOVE`]); `None`: never (resident memory then grows with the number of
    /// architectures, see [`crate::memory`]).
    pub fn with_trim_above(mut self, limit: Option<u64>) -> Self {
        self.trim_above = limit;
        self
    }

    /// The cache.
    pub fn cache(&self) -> &ScoreCache {
        &self.cache
    }

    fn key(&self, arch: &AnyArch, p: Proxy) -> CacheKey {
        CacheKey::new(
            &arch.space().to_string(),
            &arch.arch_hash().to_string(),
            p,
            self.settings.dataset.name(),
            self.settings.batch_size,
            self.settings.seed,
        )
    }

    /// The scores of `proxies` for `arch` (from the cache where present; the rest computed
    /// in one shared pass and appended to the cache).
    pub fn score(&self, arch: &AnyArch, proxies: &[Proxy]) -> Result<Vec<ProxyScore>, ZcError> {
        Ok(self.score_reusing(arch, proxies)?.0)
    }

    /// [`ZcEngine::score`], also returning the recorded compute seconds of the scores that
    /// came from the cache (0 when everything was computed now).
    pub fn score_reusing(
        &self,
        arch: &AnyArch,
        proxies: &[Proxy],
    ) -> Result<(Vec<ProxyScore>, f64), ZcError> {
        let (mut known, missing) = self.cached(arch, proxies);
        let reused: f64 = known.iter().map(|s| s.seconds).sum();
        if !missing.is_empty() {
            let fresh = compute(arch, &missing, &self.settings, self.images.as_deref())?;
            for s in &fresh {
                let (value, error) = match &s.value {
                    Ok(v) => (Some(*v), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                self.cache.put(
                    self.key(arch, s.proxy),
                    CachedScore {
                        value,
                        error,
                        seconds: s.seconds,
                    },
                )?;
            }
            known.extend(fresh);
            if let Some(limit) = self.trim_above {
                trim_if_above(limit);
            }
        }
        known.sort_by_key(|s| proxies.iter().position(|p| *p == s.proxy));
        Ok((known, reused))
    }

    /// The cached score of `proxy` for `arch`, if there is one (nothing is computed).
    pub fn lookup(&self, arch: &AnyArch, proxy: Proxy) -> Option<ProxyScore> {
        self.cached(arch, &[proxy]).0.pop()
    }

    /// The cached scores of `proxies` for `arch`, and the proxies not in the cache.
    fn cached(&self, arch: &AnyArch, proxies: &[Proxy]) -> (Vec<ProxyScore>, Vec<Proxy>) {
        let mut known: Vec<ProxyScore> = Vec::new();
        let mut missing: Vec<Proxy> = Vec::new();
        for &p in proxies {
            match self.cache.get(&self.key(arch, p)) {
                Some(c) => known.push(ProxyScore {
                    proxy: p,
                    value: match (c.value, c.error) {
                        (Some(v), _) => Ok(v),
                        (None, e) => {
                            Err(ProxyFailure::Cached(e.unwrap_or_else(|| "failed".into())))
                        }
                    },
                    seconds: c.seconds,
                }),
                None => missing.push(p),
            }
        }
        (known, missing)
    }

    /// The scores of `proxies` for every architecture of `archs`, in input order, computed by
    /// `jobs` worker threads (at least 1) that each run libtorch on one intra-op thread.
    ///
    /// Cache first: architectures whose scores are all cached are answered from the cache
    /// without work; the others are computed and appended to the cache as each finishes, so an
    /// interrupted sweep resumes where it stopped and a resumed sweep returns exactly the
    /// scores of an uninterrupted one (each architecture's computation depends only on the
    /// architecture and the settings, never on the order or the worker). `progress(done,
    /// total)` is called once with the cached count and after every computed architecture
    /// (from the worker threads). The first error stops the workers and is returned; the
    /// scores finished before it stay in the cache.
    pub fn score_sweep(
        &self,
        archs: &[AnyArch],
        proxies: &[Proxy],
        jobs: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Vec<SweepRow>, ZcError> {
        let total = archs.len();
        let mut rows: Vec<Option<SweepRow>> = Vec::with_capacity(total);
        let mut todo: Vec<usize> = Vec::new();
        for (i, arch) in archs.iter().enumerate() {
            let (known, missing) = self.cached(arch, proxies);
            if missing.is_empty() {
                let mut known = known;
                known.sort_by_key(|s| proxies.iter().position(|p| *p == s.proxy));
                rows.push(Some(known));
            } else {
                rows.push(None);
                todo.push(i);
            }
        }
        let done = AtomicUsize::new(total - todo.len());
        progress(done.load(Ordering::Relaxed), total);
        let shared = SweepState {
            rows: Mutex::new(rows),
            next: AtomicUsize::new(0),
            done,
            stop: AtomicBool::new(false),
            error: Mutex::new(None),
        };
        let workers = jobs.max(1).min(todo.len());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| self.sweep_worker(archs, proxies, &todo, &shared, progress));
            }
        });
        shared.finish()
    }

    /// One worker of [`ZcEngine::score_sweep`]: takes the next architecture to compute until
    /// none is left or another worker failed.
    fn sweep_worker(
        &self,
        archs: &[AnyArch],
        proxies: &[Proxy],
        todo: &[usize],
        state: &SweepState,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) {
        tch::set_num_threads(1);
        while !state.stop.load(Ordering::Relaxed) {
            let k = state.next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = todo.get(k) else { break };
            match self.score(&archs[i], proxies) {
                Ok(row) => {
                    if let Ok(mut rows) = state.rows.lock() {
                        rows[i] = Some(row);
                    }
                    let d = state.done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress(d, archs.len());
                }
                Err(e) => {
                    state.stop.store(true, Ordering::Relaxed);
                    if let Ok(mut first) = state.error.lock() {
                        first.get_or_insert(e);
                    }
                }
            }
        }
    }
}

/// What the workers of a sweep share.
struct SweepState {
    rows: Mutex<Vec<Option<SweepRow>>>,
    next: AtomicUsize,
    done: AtomicUsize,
    stop: AtomicBool,
    error: Mutex<Option<ZcError>>,
}

impl SweepState {
    /// The rows in input order, or the first error.
    fn finish(self) -> Result<Vec<SweepRow>, ZcError> {
        let poisoned = || ZcError::Sweep("a sweep worker panicked".into());
        if let Some(e) = self.error.into_inner().map_err(|_| poisoned())? {
            return Err(e);
        }
        self.rows
            .into_inner()
            .map_err(|_| poisoned())?
            .into_iter()
            .map(|r| r.ok_or_else(poisoned))
            .collect()
    }
}
