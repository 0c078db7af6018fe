//! [`ZcEngine`]: proxies for many architectures with one image pool and a score cache.

use std::sync::Arc;

use naspred_data::cifar::{load_cifar_bin, CifarFormat, ImageBatch, Normalisation};
use naspred_data::{DataRoot, Dataset};
use naspred_spaces::AnyArch;

use crate::cache::{CacheKey, CachedScore, ScoreCache};
use crate::compute::{compute, ProxyScore, ZcSettings};
use crate::{Proxy, ZcError};

/// The CIFAR-10 training images under the data root.
pub const CIFAR10_TRAIN: &str = "cifar/train_5000.bin.gz";

/// Loads the image pool of `dataset` from the data root: CIFAR-10 reads
/// [`CIFAR10_TRAIN`]; no other dataset has training images on disk (`None`).
pub fn load_images(root: &DataRoot, dataset: Dataset) -> Result<Option<ImageBatch>, ZcError> {
    match dataset {
        Dataset::Cifar10 => {
            let path = root.file(CIFAR10_TRAIN)?;
            Ok(Some(load_cifar_bin(
                &path,
                CifarFormat::CIFAR10,
                Normalisation::CIFAR10,
            )?))
        }
        _ => Ok(None),
    }
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
                        (None, e) => Err(e.unwrap_or_else(|| "failed".into())),
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
                    Err(e) => (None, Some(e.clone())),
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
