//! The on-disk score cache: one JSON object per line, appended and flushed as each score is
//! computed, so an interrupted sweep keeps everything it finished (a torn last line is
//! skipped on reading).
//!
//! Key: (space, canonical architecture hash, proxy, dataset, batch size, seed, version). The
//! batch size of proxies that read no minibatch (`params`, `flops`, `l2_norm`, `synflow`) is
//! stored as 0, so their scores are shared by every batch size.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::{Proxy, ZcError};

/// Version of the score computation; bump when a proxy's computation changes.
pub const SCORE_VERSION: u32 = 1;

/// Version of the DARTS scores: 2 since the DARTS network is NASLib's graph-based model
/// (non-affine cell-op BN, a BN after each pool) and DARTS synflow is no longer negated, so
/// version-1 DARTS entries are never reused. NB201 and NB101 stay at [`SCORE_VERSION`].
pub const DARTS_SCORE_VERSION: u32 = 2;

/// The score version of a space (by its name): [`DARTS_SCORE_VERSION`] for `darts`,
/// [`SCORE_VERSION`] otherwise.
pub fn score_version(space: &str) -> u32 {
    if space == "darts" {
        DARTS_SCORE_VERSION
    } else {
        SCORE_VERSION
    }
}

/// The key of one cached score.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CacheKey {
    /// Space name (`nb201`, ...).
    pub space: String,
    /// Canonical architecture hash (hex).
    pub hash: String,
    /// Proxy key.
    pub proxy: String,
    /// Dataset name.
    pub dataset: String,
    /// Batch size (0 for proxies that read no minibatch).
    pub batch: usize,
    /// Seed.
    pub seed: u64,
    /// [`score_version`] of the space when computed.
    pub version: u32,
}

impl CacheKey {
    /// The key of `proxy` in this setting.
    pub fn new(
        space: &str,
        hash: &str,
        proxy: Proxy,
        dataset: &str,
        batch: usize,
        seed: u64,
    ) -> Self {
        CacheKey {
            space: space.to_string(),
            hash: hash.to_string(),
            proxy: proxy.key().to_string(),
            dataset: dataset.to_string(),
            batch: if batch_free(proxy) { 0 } else { batch },
            seed,
            version: score_version(space),
        }
    }
}

/// Whether `proxy` reads no minibatch (`params`, `flops`, `l2_norm`, `synflow`): its score
/// does not depend on the batch size.
pub fn batch_free(proxy: Proxy) -> bool {
    matches!(
        proxy,
        Proxy::Params | Proxy::Flops | Proxy::L2Norm | Proxy::Synflow
    )
}

/// A cached score: the value or the failure, and the seconds it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CachedScore {
    /// The score, if it was finite.
    pub value: Option<f64>,
    /// Why it failed, otherwise.
    pub error: Option<String>,
    /// Seconds it took.
    pub seconds: f64,
}

#[derive(Serialize, Deserialize)]
struct Line {
    #[serde(flatten)]
    key: CacheKey,
    #[serde(flatten)]
    score: CachedScore,
}

struct Inner {
    map: HashMap<CacheKey, CachedScore>,
    file: Option<File>,
}

/// An append-only score cache (thread-safe).
pub struct ScoreCache {
    path: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl ScoreCache {
    /// The default cache file: `.naspred-cache/zerocost.jsonl` in the current directory
    /// (the environment is not read; the `naspred` CLI takes `NASPRED_ZC_CACHE`).
    pub fn default_path() -> PathBuf {
        PathBuf::from(".naspred-cache/zerocost.jsonl")
    }

    /// A cache that keeps scores in memory only.
    pub fn in_memory() -> Self {
        ScoreCache {
            path: None,
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                file: None,
            }),
        }
    }

    /// Opens (creating if needed) the cache file at `path` and reads its entries.
    pub fn open(path: &Path) -> Result<Self, ZcError> {
        let io = |e: std::io::Error| ZcError::Cache {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut map = HashMap::new();
        if path.exists() {
            let f = File::open(path).map_err(io)?;
            for line in BufReader::new(f).lines() {
                let line = line.map_err(io)?;
                // A torn line from an interrupted write is skipped.
                if let Ok(l) = serde_json::from_str::<Line>(&line) {
                    map.insert(l.key, l.score);
                }
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        // Terminate a torn last line so that new entries start on a line of their own.
        let len = file.metadata().map_err(io)?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            let mut r = File::open(path).map_err(io)?;
            r.seek(SeekFrom::Start(len - 1)).map_err(io)?;
            r.read_exact(&mut last).map_err(io)?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io)?;
            }
        }
        Ok(ScoreCache {
            path: Some(path.to_path_buf()),
            inner: Mutex::new(Inner {
                map,
                file: Some(file),
            }),
        })
    }

    /// The cache file, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Number of cached scores.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.map.len()).unwrap_or(0)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cached score of `key`.
    pub fn get(&self, key: &CacheKey) -> Option<CachedScore> {
        self.inner.lock().ok()?.map.get(key).cloned()
    }

    /// Records a score (appended to the file and flushed at once).
    pub fn put(&self, key: CacheKey, score: CachedScore) -> Result<(), ZcError> {
        let mut inner = self.inner.lock().map_err(|_| ZcError::Cache {
            path: self.path.clone().unwrap_or_default(),
            message: "cache lock poisoned".into(),
        })?;
        if let Some(f) = inner.file.as_mut() {
            let mut line = serde_json::to_string(&Line {
                key: key.clone(),
                score: score.clone(),
            })
            .map_err(|e| ZcError::Cache {
                path: self.path.clone().unwrap_or_default(),
                message: e.to_string(),
            })?;
            line.push('\n');
            f.write_all(line.as_bytes())
                .and_then(|_| f.flush())
                .map_err(|e| ZcError::Cache {
                    path: self.path.clone().unwrap_or_default(),
                    message: e.to_string(),
                })?;
        }
        inner.map.insert(key, score);
        Ok(())
    }
}
