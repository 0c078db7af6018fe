//! [`ZcEngine`]: proxies for many architectures with one image pool and a score cache.

use std::path::Path;
use std::sync::Arc;

use naspred_data::cifar::{
    load_cifar100_dir, load_cifar100_file, load_cifar10_dir, load_cifar_bin, CifarFormat,
    ImageBatch, Normalisation,
};
use naspred_data::{DataRoot, Dataset};
use naspred_spaces::AnyArch;

use crate::cache::{CacheKey, CachedScore, ScoreCache};
use crate::compute::{compute, ProxyFailure, ProxyScore, ZcSettings};
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
}

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
        }
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
        }
        known.sort_by_key(|s| proxies.iter().position(|p| *p == s.proxy));
        Ok((known, reused))
    }
}
