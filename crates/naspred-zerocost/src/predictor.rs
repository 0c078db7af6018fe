//! The zero-cost predictors: no fit; the query is the proxy's score of each architecture.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crate::compute::{default_device, parse_device, ZcSettings};
use crate::engine::{load_image_pool, ZcEngine};
use crate::{Proxy, ScoreCache, ZcError};
use naspred_data::{DataRoot, Dataset};
use naspred_eval::{ArchInput, Context, Family, Predictor, PredictorError, Requirements};

/// Environment variable naming the images of the zero-cost predictors (a CIFAR binary folder
/// or file, see [`load_image_pool`]); unset, the data root's images are used.
pub const IMAGES_ENV: &str = "NASPRED_ZC_IMAGES";

/// Score NASLib's zero-cost predictors give an architecture whose proxy is not finite.
pub const FAILED_SCORE: f64 = -1e8;

/// One cache per file per process, shared by every predictor.
pub fn shared_cache(path: &std::path::Path) -> Result<Arc<ScoreCache>, ZcError> {
    static CACHES: OnceLock<Mutex<HashMap<PathBuf, Arc<ScoreCache>>>> = OnceLock::new();
    let m = CACHES.get_or_init(|| Mutex::new(HashMap::new()));
    let mut m = m.lock().map_err(|_| ZcError::Cache {
        path: path.to_path_buf(),
        message: "cache registry lock poisoned".into(),
    })?;
    if let Some(c) = m.get(path) {
        return Ok(c.clone());
    }
    let c = Arc::new(ScoreCache::open(path)?);
    m.insert(path.to_path_buf(), c.clone());
    Ok(c)
}

/// A zero-cost predictor for one proxy.
///
/// Settings come from the environment so the registry can build it without arguments:
/// `NASPRED_ZC_BATCH` (default 256, the paper's runner), `NASPRED_ZC_SEED` (default 0: every
/// trial shares one score per architecture, so the cache serves whole sweeps),
/// `NASPRED_ZC_DEVICE` (`cpu`, `cuda`, `cuda:N` or `auto`, default CUDA when available; CUDA
/// where libtorch has none is a typed error), `NASPRED_ZC_CACHE`
/// (cache file), `NASPRED_ZC_IMAGES` ([`IMAGES_ENV`]: a CIFAR folder or file) and
/// `NASPRED_DATA` (the data root whose images are used otherwise). Queries run libtorch on one intra-op thread
/// (parallelism comes from the evaluator's trials).
pub struct ZeroCostPredictor {
    key: &'static str,
    proxy: Proxy,
    engine: Option<(Dataset, ZcEngine)>,
    /// Recorded compute seconds of cached scores used since the last
    /// [`Predictor::take_reused_seconds`].
    reused_s: f64,
}

impl ZeroCostPredictor {
    /// The predictor of `proxy` registered under `key`.
    pub fn new(key: &'static str, proxy: Proxy) -> Self {
        ZeroCostPredictor {
            key,
            proxy,
            engine: None,
            reused_s: 0.0,
        }
    }

    /// The proxy.
    pub fn proxy(&self) -> Proxy {
        self.proxy
    }

    fn settings(dataset: Dataset) -> Result<ZcSettings, ZcError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Ok(ZcSettings {
            dataset,
            batch_size: env("NASPRED_ZC_BATCH")
                .and_then(|v| v.parse().ok())
                .unwrap_or(ZcSettings::DEFAULT_BATCH),
            seed: env("NASPRED_ZC_SEED")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            device: match env("NASPRED_ZC_DEVICE") {
                Some(d) => parse_device(&d)?,
                None => default_device(),
            },
        })
    }

    fn engine(&mut self, dataset: Dataset) -> Result<&ZcEngine, ZcError> {
        if self.engine.as_ref().map(|(d, _)| *d) != Some(dataset) {
            let settings = Self::settings(dataset)?;
            let images = if self.proxy.needs_images() {
                let from = std::env::var_os(IMAGES_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from);
                Some(Arc::new(load_image_pool(
                    &DataRoot::resolve(None),
                    dataset,
                    from.as_deref(),
                    settings.batch_size,
                )?))
            } else {
                None
            };
            let cache = shared_cache(&ScoreCache::default_path())?;
            self.engine = Some((dataset, ZcEngine::new(settings, images, cache)));
        }
        Ok(&self.engine.as_ref().expect("engine just set").1)
    }
}

impl Predictor for ZeroCostPredictor {
    fn key(&self) -> &str {
        self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements {
            family: Family::ZeroCost,
            trains: false,
            ..Requirements::model_based()
        }
    }

    fn fit(
        &mut self,
        _train: &[ArchInput],
        _y: &[f64],
        _ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        Ok(())
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        let key = self.key.to_string();
        let proxy = self.proxy;
        // One libtorch thread, as the neural predictors: the evaluator runs trials in
        // parallel, and libtorch's default (one thread per core) next to other busy threads
        // made each score about 4x slower on a 2-core machine.
        tch::set_num_threads(1);
        let engine = self
            .engine(ctx.dataset)
            .map_err(|e| PredictorError::query(key.as_str(), e))?;
        let mut reused = 0.0;
        let out = test
            .iter()
            .map(|a| {
                let (s, r) = engine
                    .score_reusing(&a.arch, &[proxy])
                    .map_err(|e| match e {
                        ZcError::Net(naspred_nets::NetError::Unsupported(_)) => {
                            PredictorError::Unsupported {
                                key: key.clone(),
                                reason: e.to_string(),
                            }
                        }
                        e => PredictorError::query(key.as_str(), e),
                    })?;
                reused += r;
                Ok(s[0].value.clone().unwrap_or(FAILED_SCORE))
            })
            .collect();
        self.reused_s += reused;
        out
    }

    fn take_reused_seconds(&mut self) -> f64 {
        std::mem::take(&mut self.reused_s)
    }
}
