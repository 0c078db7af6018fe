//! The zero-cost predictors: no fit; the query is the proxy's score of each architecture.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::compute::{parse_device, ZcSettings};
use crate::engine::{default_images, load_image_pool, ZcEngine};
use crate::table::{data_root_images, find_table, ZcTable, TABLE_DIR};
use crate::{Proxy, ProxyScore, ScoreCache, ZcError};
use naspred_data::{DataRoot, Dataset};
use naspred_eval::{ArchInput, Context, Hyperparams, Predictor, PredictorError, Requirements};
use naspred_spaces::{AnyArch, SpaceKind};

/// Settings of the zero-cost predictors (plain data; nothing is read from the environment).
///
/// Checked when a predictor first computes scores: a batch size of 0 or a device name that
/// [`parse_device`] refuses is a [`ZcError`], never a silent default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeroCostSettings {
    /// Minibatch size (default [`ZcSettings::DEFAULT_BATCH`], 256, the paper's runner).
    pub batch_size: usize,
    /// Seed of the network initialisation and the minibatch draw (default 0: every trial
    /// shares one score per architecture, so the cache serves whole sweeps).
    pub seed: u64,
    /// Device name: `cpu`, `cuda`, `cuda:N` or `auto` (the default: CUDA when available).
    /// CUDA where libtorch has none is a typed error.
    pub device: String,
    /// Score cache file; `None`: [`ScoreCache::default_path`].
    pub cache: Option<PathBuf>,
    /// Images of the image-based proxies (a CIFAR binary folder or file, see
    /// [`load_image_pool`]); `None`: the data root's images.
    pub images: Option<PathBuf>,
    /// Whether scores are read from a precomputed table of the data root's
    /// [`TABLE_DIR`] folder when one matches the setting (default `true`; see
    /// [`ZeroCostPredictor`]).
    pub tables: bool,
    /// Proxies computed alongside the predictor's own whenever it must compute a score
    /// (default none). They share the architecture's network, minibatch and forward pass (the
    /// values are exactly those of computing each alone) and go to the score cache, where
    /// the predictors of these proxies find them when they query the same architectures.
    /// Proxies served by a precomputed table are left out. The predictor is charged only its
    /// own proxy's share of the pass, never the companions' work.
    pub companions: Vec<Proxy>,
}

impl Default for ZeroCostSettings {
    fn default() -> Self {
        ZeroCostSettings {
            batch_size: ZcSettings::DEFAULT_BATCH,
            seed: 0,
            device: "auto".to_string(),
            cache: None,
            images: None,
            tables: true,
            companions: Vec::new(),
        }
    }
}

impl ZeroCostSettings {
    /// The computation settings for `dataset`: the batch size must be positive and the
    /// device name valid (and present).
    pub fn compute_settings(&self, dataset: Dataset) -> Result<ZcSettings, ZcError> {
        if self.batch_size == 0 {
            return Err(ZcError::InvalidSetting(
                "zero-cost batch size 0: it must be at least 1".into(),
            ));
        }
        Ok(ZcSettings {
            dataset,
            batch_size: self.batch_size,
            seed: self.seed,
            device: parse_device(&self.device)?,
        })
    }

    /// The score cache file: [`ZeroCostSettings::cache`], else [`ScoreCache::default_path`].
    pub fn cache_path(&self) -> PathBuf {
        self.cache.clone().unwrap_or_else(ScoreCache::default_path)
    }
}

/// The table of one (data root, space, dataset, batch, seed, proxy), read once per process.
type TableSlot = Option<Arc<ZcTable>>;

/// The precomputed table for `proxy` in this setting under `root`'s [`TABLE_DIR`], read once
/// per process and shared by every predictor. A table of images other than the data root's
/// is not used for a proxy that reads images.
fn shared_table(
    root: &DataRoot,
    space: SpaceKind,
    dataset: Dataset,
    settings: &ZcSettings,
    proxy: Proxy,
) -> Result<TableSlot, ZcError> {
    type Key = (PathBuf, SpaceKind, Dataset, usize, u64, Proxy);
    static TABLES: OnceLock<Mutex<HashMap<Key, TableSlot>>> = OnceLock::new();
    let dir = root.path().join(TABLE_DIR);
    let key = (
        dir.clone(),
        space,
        dataset,
        settings.batch_size,
        settings.seed,
        proxy,
    );
    let m = TABLES.get_or_init(|| Mutex::new(HashMap::new()));
    let mut m = m
        .lock()
        .map_err(|_| ZcError::Sweep("table registry lock poisoned".into()))?;
    if let Some(t) = m.get(&key) {
        return Ok(t.clone());
    }
    let found = find_table(
        &dir,
        space,
        dataset,
        settings.batch_size,
        settings.seed,
        proxy,
    )?;
    let images_match = |t: &ZcTable| {
        !proxy.needs_images()
            || default_images(dataset).is_some_and(|rel| t.meta().images == data_root_images(rel))
    };
    let slot = found.filter(images_match).map(Arc::new);
    m.insert(key, slot.clone());
    Ok(slot)
}

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
/// Its settings are explicit: [`ZeroCostSettings`] (batch size, seed, device, cache file,
/// images) and the [`DataRoot`] whose images are used when no images are named; the defaults
/// are [`ZeroCostSettings::default`] and [`DataRoot::workspace`]. Malformed settings are a
/// query error naming the setting. Queries run libtorch on one intra-op thread (parallelism
/// comes from the evaluator's trials).
///
/// Precomputed tables: where [`ZeroCostSettings::tables`] is set, no other images are named
/// (for a proxy that reads images) and the data root's [`TABLE_DIR`] folder holds a table of
/// the setting ([`find_table`]: space, dataset, batch size (any, for the proxies that read no
/// minibatch), seed, score version) with a column of the proxy, the scores of the
/// architectures it lists are read from it; the others are computed (through the score cache)
/// as without a table. A table's row holds the very scores the computation gives (the table is
/// written from them), and each score read is charged the table's recorded mean compute
/// seconds of the proxy. The hyperparameters of the records count the sources:
/// `zc_table_scores` (read from a table) and `zc_computed_scores` (computed now or read from
/// the score cache).
pub struct ZeroCostPredictor {
    key: &'static str,
    proxy: Proxy,
    settings: ZeroCostSettings,
    data_root: DataRoot,
    engine: Option<(Dataset, ZcEngine)>,
    /// Recorded compute seconds of cached scores used since the last
    /// [`Predictor::take_reused_seconds`].
    reused_s: f64,
    /// Scores read from a precomputed table.
    table_scores: usize,
    /// Scores computed (or read from the score cache).
    computed_scores: usize,
}

impl ZeroCostPredictor {
    /// The predictor of `proxy` registered under `key`, with the default settings and the
    /// repository's data root.
    pub fn new(key: &'static str, proxy: Proxy) -> Self {
        ZeroCostPredictor {
            key,
            proxy,
            settings: ZeroCostSettings::default(),
            data_root: DataRoot::workspace(),
            engine: None,
            reused_s: 0.0,
            table_scores: 0,
            computed_scores: 0,
        }
    }

    /// The same predictor with these settings.
    pub fn with_settings(mut self, settings: ZeroCostSettings) -> Self {
        self.settings = settings;
        self.engine = None;
        self
    }

    /// The same predictor reading images (without [`ZeroCostSettings::images`]) from `root`.
    pub fn with_data_root(mut self, root: DataRoot) -> Self {
        self.data_root = root;
        self.engine = None;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &ZeroCostSettings {
        &self.settings
    }

    /// The data root.
    pub fn data_root(&self) -> &DataRoot {
        &self.data_root
    }

    /// The proxy.
    pub fn proxy(&self) -> Proxy {
        self.proxy
    }

    fn engine(&mut self, dataset: Dataset) -> Result<&ZcEngine, ZcError> {
        let engine = match self.engine.take() {
            Some((d, e)) if d == dataset => e,
            _ => {
                let settings = self.settings.compute_settings(dataset)?;
                let needs_images = self.proxy.needs_images()
                    || self.settings.companions.iter().any(|p| p.needs_images());
                let images = if needs_images {
                    Some(Arc::new(load_image_pool(
                        &self.data_root,
                        dataset,
                        self.settings.images.as_deref(),
                        settings.batch_size,
                    )?))
                } else {
                    None
                };
                let cache = shared_cache(&self.settings.cache_path())?;
                ZcEngine::new(settings, images, cache)
            }
        };
        Ok(&self.engine.insert((dataset, engine)).1)
    }

    /// The precomputed table of this setting, if one is used for `test`.
    fn table(
        &self,
        test: &[ArchInput],
        space: SpaceKind,
        dataset: Dataset,
    ) -> Result<TableSlot, ZcError> {
        if test.is_empty()
            || !self.settings.tables
            || (self.proxy.needs_images() && self.settings.images.is_some())
        {
            return Ok(None);
        }
        let settings = self.settings.compute_settings(dataset)?;
        shared_table(&self.data_root, space, dataset, &settings, self.proxy)
    }

    /// The companions computed with this predictor's proxy:
    /// [`ZeroCostSettings::companions`] without the proxy itself, repeats and the proxies a
    /// precomputed table of this setting serves.
    fn companions(&self, space: SpaceKind, dataset: Dataset) -> Result<Vec<Proxy>, ZcError> {
        let mut out: Vec<Proxy> = Vec::new();
        if self.settings.companions.is_empty() {
            return Ok(out);
        }
        let settings = self.settings.compute_settings(dataset)?;
        for &p in &self.settings.companions {
            if p == self.proxy || out.contains(&p) {
                continue;
            }
            let tabled = self.settings.tables
                && !(p.needs_images() && self.settings.images.is_some())
                && shared_table(&self.data_root, space, dataset, &settings, p)?.is_some();
            if !tabled {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// The scores of `test` computed through the engine (and its score cache).
    fn compute(
        &mut self,
        test: &[&ArchInput],
        ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        let key = self.key.to_string();
        let proxy = self.proxy;
        let query_error = |e: ZcError| match e {
            ZcError::Net(naspred_nets::NetError::Unsupported(_)) => PredictorError::Unsupported {
                key: key.clone(),
                reason: e.to_string(),
            },
            e => PredictorError::query(key.as_str(), e),
        };
        // One libtorch thread, as the neural predictors: the evaluator runs trials in
        // parallel, and libtorch's default (one thread per core) next to other busy threads
        // made each score about 4x slower on a 2-core machine.
        tch::set_num_threads(1);
        let companions = self
            .companions(ctx.space, ctx.dataset)
            .map_err(query_error)?;
        let engine = self.engine(ctx.dataset).map_err(query_error)?;
        let mut charged = 0.0;
        let mut out = Vec::with_capacity(test.len());
        for a in test {
            let (s, c) = score_one(engine, &a.arch, proxy, &companions).map_err(query_error)?;
            charged += c;
            out.push(s.value.unwrap_or(FAILED_SCORE));
        }
        self.reused_s += charged;
        self.computed_scores += out.len();
        Ok(out)
    }
}

/// One architecture's score of `proxy` (with `companions` where it must be computed), and the
/// seconds to add to the wall time of the call ([`Predictor::take_reused_seconds`]): a cached
/// score's recorded seconds; for a score computed with companions, its own share of the pass
/// minus the wall time of the whole pass, so that the predictor is charged its share only.
fn score_one(
    engine: &ZcEngine,
    arch: &AnyArch,
    proxy: Proxy,
    companions: &[Proxy],
) -> Result<(ProxyScore, f64), ZcError> {
    let first = |v: Vec<ProxyScore>| {
        v.into_iter()
            .find(|s| s.proxy == proxy)
            .ok_or_else(|| ZcError::Sweep(format!("{arch}: no {proxy} score came back")))
    };
    if companions.is_empty() {
        let (v, reused) = engine.score_reusing(arch, &[proxy])?;
        return Ok((first(v)?, reused));
    }
    if let Some(s) = engine.lookup(arch, proxy) {
        let reused = s.seconds;
        return Ok((s, reused));
    }
    let asked: Vec<Proxy> = std::iter::once(proxy)
        .chain(companions.iter().copied())
        .collect();
    let t = Instant::now();
    match engine.score(arch, &asked) {
        Ok(v) => {
            let own = first(v)?;
            let adjust = own.seconds - t.elapsed().as_secs_f64();
            Ok((own, adjust))
        }
        // A companion's failure never costs this proxy its score (nor the failed pass's time).
        Err(_) => {
            let failed = t.elapsed().as_secs_f64();
            let (v, reused) = engine.score_reusing(arch, &[proxy])?;
            Ok((first(v)?, reused - failed))
        }
    }
}

impl Predictor for ZeroCostPredictor {
    fn key(&self) -> &str {
        self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements::zero_cost()
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
        let table = self
            .table(test, ctx.space, ctx.dataset)
            .map_err(|e| PredictorError::query(key.as_str(), e))?;
        let mut out = Vec::with_capacity(test.len());
        let mut rest: Vec<usize> = Vec::new();
        for (i, a) in test.iter().enumerate() {
            match table.as_ref().and_then(|t| t.get(&a.arch, self.proxy)) {
                Some(v) => out.push(v.unwrap_or(FAILED_SCORE)),
                None => {
                    out.push(FAILED_SCORE);
                    rest.push(i);
                }
            }
        }
        if let Some(t) = &table {
            let n = test.len() - rest.len();
            self.table_scores += n;
            self.reused_s += n as f64 * t.meta().mean_seconds_of(self.proxy);
        }
        if !rest.is_empty() {
            let computed =
                self.compute(&rest.iter().map(|&i| &test[i]).collect::<Vec<_>>(), ctx)?;
            for (i, v) in rest.into_iter().zip(computed) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn take_reused_seconds(&mut self) -> f64 {
        std::mem::take(&mut self.reused_s)
    }

    fn hyperparams(&self) -> Hyperparams {
        Hyperparams::from([
            ("zc_table_scores".to_string(), self.table_scores as f64),
            (
                "zc_computed_scores".to_string(),
                self.computed_scores as f64,
            ),
        ])
    }
}
