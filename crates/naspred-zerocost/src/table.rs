//! Precomputed zero-cost score tables: the scores of a whole space in one compact file, read by
//! the zero-cost predictors instead of computing.
//!
//! A table is a gzip-compressed CSV named [`table_file_name`]
//! (`<space>_<dataset>_b<batch>_s<seed>.csv.gz`, e.g. `nb201_cifar10_b64_s0.csv.gz`), kept in
//! the data root's [`TABLE_DIR`] folder. It starts with `#` header lines recording the setting,
//! then a CSV header `arch,<proxy>,...` and one row per architecture:
//!
//! ```text
//! # naspred zero-cost table
//! # space: nb201
//! # dataset: cifar10
//! # batch: 64
//! # seed: 0
//! # score_version: 1
//! # images: data-root:cifar/train_5000.bin.gz
//! # device: cpu
//! # naspred_version: 0.1.0
//! # mean_seconds: jacov=0.21,synflow=0.05
//! arch,jacov,synflow
//! 0,-65.29153442382812,1.2e-5
//! ```
//!
//! * `arch`: the NB201 enumeration index ([`Nb201Arch::index`]) on NB201, the architecture's
//!   text form on the other spaces;
//! * values: written with Rust's `{:?}`, which reads back as the same `f64` bit for bit; an
//!   empty field is a proxy that failed on the architecture (a non-finite value); a table
//!   never holds a NaN or an infinity;
//! * `mean_seconds`: the mean recorded compute seconds of each proxy over the table's rows
//!   (the predictors charge them for every score they read, so that a table does not make a
//!   zero-cost predictor look cheaper than computing it);
//! * `images`: `data-root:<file>` for the data root's images, `path:<path>` for others.
//!
//! Reading is strict: an unknown or repeated header key, a row of the wrong length, an
//! architecture given twice, a value that is not a finite number are
//! [`TableError::Format`] naming the file and the line.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use naspred_data::Dataset;
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::{AnyArch, SpaceKind};
use thiserror::Error;

use crate::cache::SCORE_VERSION;
use crate::compute::ProxyScore;
use crate::Proxy;

/// The folder of the data root holding score tables.
pub const TABLE_DIR: &str = "zerocost";

/// The first line of every table.
pub const TABLE_MAGIC: &str = "# naspred zero-cost table";

/// Why a score table could not be read, written or built.
#[derive(Debug, Error)]
pub enum TableError {
    /// The file could not be opened, read, decompressed or written.
    #[error("zero-cost table {}: {source}", .path.display())]
    Io {
        /// The table file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A malformed line.
    #[error("zero-cost table {}, line {line}: {message}", .path.display())]
    Format {
        /// The table file.
        path: PathBuf,
        /// The line (1-based, of the decompressed text).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A table that cannot be built (a row of the wrong length, a repeated architecture, an
    /// architecture of another space, a non-finite value).
    #[error("zero-cost table: {0}")]
    Invalid(String),
}

/// The setting a table was computed in.
#[derive(Clone, Debug, PartialEq)]
pub struct TableMeta {
    /// The space.
    pub space: SpaceKind,
    /// The dataset.
    pub dataset: Dataset,
    /// Minibatch size.
    pub batch: usize,
    /// Seed.
    pub seed: u64,
    /// [`SCORE_VERSION`] of the scores.
    pub score_version: u32,
    /// The images minibatches were drawn from (`data-root:<file>` or `path:<path>`).
    pub images: String,
    /// The device named when the table was written.
    pub device: String,
    /// The naspred version that wrote the table.
    pub naspred_version: String,
    /// Mean recorded compute seconds per proxy.
    pub mean_seconds: Vec<(Proxy, f64)>,
}

impl TableMeta {
    /// The table's file name ([`table_file_name`]).
    pub fn file_name(&self) -> String {
        table_file_name(self.space, self.dataset, self.batch, self.seed)
    }

    /// The recorded mean seconds of `proxy` (0 when not recorded).
    pub fn mean_seconds_of(&self, proxy: Proxy) -> f64 {
        self.mean_seconds
            .iter()
            .find(|(p, _)| *p == proxy)
            .map_or(0.0, |(_, s)| *s)
    }
}

/// The file name of the table of a setting: `<space>_<dataset>_b<batch>_s<seed>.csv.gz`.
pub fn table_file_name(space: SpaceKind, dataset: Dataset, batch: usize, seed: u64) -> String {
    format!("{space}_{}_b{batch}_s{seed}.csv.gz", dataset.name())
}

/// The `images` header value of the data root's image file `rel`.
pub fn data_root_images(rel: &str) -> String {
    format!("data-root:{rel}")
}

/// A table of zero-cost scores: proxies by column, architectures by row.
#[derive(Clone, Debug)]
pub struct ZcTable {
    meta: TableMeta,
    proxies: Vec<Proxy>,
    archs: Vec<AnyArch>,
    /// Row-major, `archs.len() * proxies.len()`; `None`: the proxy failed.
    values: Vec<Option<f64>>,
    rows: HashMap<u128, usize>,
}

impl ZcTable {
    /// An empty table of `proxies` (each at most once) in the setting `meta`.
    pub fn new(meta: TableMeta, proxies: &[Proxy]) -> Result<Self, TableError> {
        if proxies.is_empty() {
            return Err(TableError::Invalid(
                "a table needs at least one proxy".into(),
            ));
        }
        for (i, p) in proxies.iter().enumerate() {
            if proxies[..i].contains(p) {
                return Err(TableError::Invalid(format!("proxy {p} given twice")));
            }
        }
        Ok(ZcTable {
            meta,
            proxies: proxies.to_vec(),
            archs: Vec::new(),
            values: Vec::new(),
            rows: HashMap::new(),
        })
    }

    /// A table of `scores[i]` (the scores of `proxies` in that order, as
    /// [`crate::ZcEngine::score_sweep`] returns them) for `archs[i]`; `meta.mean_seconds` is
    /// replaced by the means of the scores' recorded seconds.
    pub fn from_scores(
        mut meta: TableMeta,
        proxies: &[Proxy],
        archs: &[AnyArch],
        scores: &[Vec<ProxyScore>],
    ) -> Result<Self, TableError> {
        if archs.len() != scores.len() {
            return Err(TableError::Invalid(format!(
                "{} architectures but {} score rows",
                archs.len(),
                scores.len()
            )));
        }
        let n = archs.len().max(1) as f64;
        meta.mean_seconds = proxies
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let total: f64 = scores
                    .iter()
                    .map(|row| row.get(j).map_or(0.0, |s| s.seconds))
                    .sum();
                (*p, total / n)
            })
            .collect();
        let mut table = ZcTable::new(meta, proxies)?;
        for (arch, row) in archs.iter().zip(scores) {
            let in_order =
                row.len() == proxies.len() && row.iter().zip(proxies).all(|(s, p)| s.proxy == *p);
            if !in_order {
                return Err(TableError::Invalid(format!(
                    "the scores of {arch} are not those of {} in that order",
                    keys(proxies)
                )));
            }
            table.push(arch, row.iter().map(|s| s.value.clone().ok()).collect())?;
        }
        Ok(table)
    }

    /// Appends the row of `arch`: one value per proxy of the table, `None` for a failure.
    pub fn push(&mut self, arch: &AnyArch, values: Vec<Option<f64>>) -> Result<(), TableError> {
        if arch.space() != self.meta.space {
            return Err(TableError::Invalid(format!(
                "{arch} is a {} architecture; the table is of {}",
                arch.space(),
                self.meta.space
            )));
        }
        if values.len() != self.proxies.len() {
            return Err(TableError::Invalid(format!(
                "{} values for {arch}; the table has {} proxies",
                values.len(),
                self.proxies.len()
            )));
        }
        if let Some(v) = values.iter().flatten().find(|v| !v.is_finite()) {
            return Err(TableError::Invalid(format!(
                "non-finite value {v} for {arch}: a failure is recorded as no value"
            )));
        }
        let hash = arch.arch_hash().0;
        if self.rows.contains_key(&hash) {
            return Err(TableError::Invalid(format!("{arch} given twice")));
        }
        self.rows.insert(hash, self.archs.len());
        self.archs.push(arch.clone());
        self.values.extend(values);
        Ok(())
    }

    /// The setting.
    pub fn meta(&self) -> &TableMeta {
        &self.meta
    }

    /// The proxies, in column order.
    pub fn proxies(&self) -> &[Proxy] {
        &self.proxies
    }

    /// Number of architectures.
    pub fn len(&self) -> usize {
        self.archs.len()
    }

    /// Whether the table has no architecture.
    pub fn is_empty(&self) -> bool {
        self.archs.is_empty()
    }

    /// Whether the table has a column for `proxy`.
    pub fn has_proxy(&self, proxy: Proxy) -> bool {
        self.proxies.contains(&proxy)
    }

    /// The entry of `proxy` for `arch`: `None` when the table has no such row or column,
    /// `Some(None)` when the proxy failed on the architecture, else `Some(Some(value))`.
    pub fn get(&self, arch: &AnyArch, proxy: Proxy) -> Option<Option<f64>> {
        if arch.space() != self.meta.space {
            return None;
        }
        let j = self.proxies.iter().position(|p| *p == proxy)?;
        let i = *self.rows.get(&arch.arch_hash().0)?;
        self.values.get(i * self.proxies.len() + j).copied()
    }

    /// The rows in table order: each architecture with its values in column order.
    pub fn rows(&self) -> impl Iterator<Item = (&AnyArch, &[Option<f64>])> {
        self.archs
            .iter()
            .zip(self.values.chunks(self.proxies.len()))
    }

    /// The table as text (the content of the file, before compression).
    pub fn to_text(&self) -> String {
        let m = &self.meta;
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(s, "{TABLE_MAGIC}");
        let _ = writeln!(s, "# space: {}", m.space);
        let _ = writeln!(s, "# dataset: {}", m.dataset.name());
        let _ = writeln!(s, "# batch: {}", m.batch);
        let _ = writeln!(s, "# seed: {}", m.seed);
        let _ = writeln!(s, "# score_version: {}", m.score_version);
        let _ = writeln!(s, "# images: {}", m.images);
        let _ = writeln!(s, "# device: {}", m.device);
        let _ = writeln!(s, "# naspred_version: {}", m.naspred_version);
        let secs: Vec<String> = m
            .mean_seconds
            .iter()
            .map(|(p, v)| format!("{p}={v:?}"))
            .collect();
        let _ = writeln!(s, "# mean_seconds: {}", secs.join(","));
        let _ = writeln!(s, "arch,{}", keys(&self.proxies));
        for (arch, values) in self.rows() {
            s.push_str(&arch_field(arch));
            for v in values {
                s.push(',');
                if let Some(v) = v {
                    let _ = write!(s, "{v:?}");
                }
            }
            s.push('\n');
        }
        s
    }

    /// Writes the table, gzip-compressed, to `path` (through a temporary file renamed when
    /// complete, so that a reader never sees half a table).
    pub fn write(&self, path: &Path) -> Result<(), TableError> {
        let io = |source| TableError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let part = path.with_extension("part");
        let file = std::fs::File::create(&part).map_err(io)?;
        let mut gz = GzEncoder::new(std::io::BufWriter::new(file), Compression::best());
        gz.write_all(self.to_text().as_bytes()).map_err(io)?;
        let mut w = gz.finish().map_err(io)?;
        w.flush().map_err(io)?;
        drop(w);
        std::fs::rename(&part, path).map_err(io)
    }

    /// Reads a table file (gzip-compressed or plain text).
    pub fn read(path: &Path) -> Result<Self, TableError> {
        let io = |source| TableError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut raw = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut raw))
            .map_err(io)?;
        let text = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut text = String::new();
            MultiGzDecoder::new(raw.as_slice())
                .read_to_string(&mut text)
                .map_err(io)?;
            text
        } else {
            String::from_utf8(raw)
                .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?
        };
        Self::parse(&text, path)
    }

    /// Parses the text of a table; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, TableError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let bad = |line: usize, message: String| TableError::Format {
            path: path.to_path_buf(),
            line,
            message,
        };
        match lines.next() {
            Some((_, l)) if l.trim_end() == TABLE_MAGIC => {}
            _ => {
                return Err(bad(
                    1,
                    format!("not a zero-cost table: expected {TABLE_MAGIC:?}"),
                ))
            }
        }
        let mut header = HeaderFields::default();
        let (columns_line, columns) = loop {
            match lines.next() {
                Some((n, l)) if l.starts_with('#') => {
                    header.read(l).map_err(|m| bad(n, m))?;
                }
                Some((n, l)) => break (n, l),
                None => return Err(bad(text.lines().count(), "no column header".into())),
            }
        };
        let meta = header.finish().map_err(|m| bad(columns_line, m))?;
        let proxies = parse_columns(columns).map_err(|m| bad(columns_line, m))?;
        let mut table =
            ZcTable::new(meta, &proxies).map_err(|e| bad(columns_line, e.to_string()))?;
        for (n, l) in lines {
            if l.trim().is_empty() {
                continue;
            }
            let (arch, values) =
                parse_row(l, table.meta.space, proxies.len()).map_err(|m| bad(n, m))?;
            table
                .push(&arch, values)
                .map_err(|e| bad(n, e.to_string()))?;
        }
        let known: Vec<Proxy> = table.meta.mean_seconds.iter().map(|(p, _)| *p).collect();
        if let Some(p) = known.iter().find(|p| !proxies.contains(p)) {
            return Err(bad(
                columns_line,
                format!("mean_seconds names {p}, which has no column"),
            ));
        }
        Ok(table)
    }
}

/// Comma-separated proxy keys.
fn keys(proxies: &[Proxy]) -> String {
    proxies
        .iter()
        .map(|p| p.key())
        .collect::<Vec<_>>()
        .join(",")
}

/// The `arch` field: the NB201 index, else the text form (quoted when it holds a comma or a
/// quote).
fn arch_field(arch: &AnyArch) -> String {
    match arch {
        AnyArch::Nb201(a) => a.index().to_string(),
        other => {
            let t = other.to_string();
            if t.contains([',', '"', '\n']) {
                format!("\"{}\"", t.replace('"', "\"\""))
            } else {
                t
            }
        }
    }
}

/// The proxies of the column header `arch,<proxy>,...`.
fn parse_columns(line: &str) -> Result<Vec<Proxy>, String> {
    let mut cols = line.trim_end().split(',');
    if cols.next() != Some("arch") {
        return Err(format!(
            "expected the column header arch,<proxy>,...; found {line:?}"
        ));
    }
    cols.map(|c| c.parse::<Proxy>().map_err(|e| e.to_string()))
        .collect()
}

/// One row: the architecture and `n` values.
fn parse_row(
    line: &str,
    space: SpaceKind,
    n: usize,
) -> Result<(AnyArch, Vec<Option<f64>>), String> {
    let line = line.trim_end();
    let (arch_text, rest) = split_arch(line)?;
    let arch = match space {
        SpaceKind::Nb201 => {
            let i: u32 = arch_text
                .parse()
                .map_err(|e| format!("NB201 architecture index {arch_text:?}: {e}"))?;
            AnyArch::Nb201(Nb201Arch::from_index(i).map_err(|e| e.to_string())?)
        }
        _ => AnyArch::parse(space, &arch_text).map_err(|e| e.to_string())?,
    };
    let fields: Vec<&str> = rest.split(',').collect();
    if fields.len() != n {
        return Err(format!(
            "{} values; the header names {n} proxies",
            fields.len()
        ));
    }
    let values = fields
        .iter()
        .map(|f| match f.trim() {
            "" => Ok(None),
            t => match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                Ok(v) => Err(format!("non-finite value {v}: a failure is an empty field")),
                Err(e) => Err(format!("value {t:?}: {e}")),
            },
        })
        .collect::<Result<_, _>>()?;
    Ok((arch, values))
}

/// Splits `arch,rest`, the arch field possibly quoted.
fn split_arch(line: &str) -> Result<(String, &str), String> {
    if let Some(quoted) = line.strip_prefix('"') {
        let mut arch = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' if chars.peek().map(|(_, c)| *c) == Some('"') => {
                    arch.push('"');
                    chars.next();
                }
                '"' => {
                    let rest = &quoted[i + 1..];
                    return match rest.strip_prefix(',') {
                        Some(r) => Ok((arch, r)),
                        None => Err("expected a comma after the quoted architecture".into()),
                    };
                }
                c => arch.push(c),
            }
        }
        return Err("unterminated quoted architecture".into());
    }
    match line.split_once(',') {
        Some((a, r)) => Ok((a.to_string(), r)),
        None => Err("a row needs the architecture and one value per proxy".into()),
    }
}

/// The `# key: value` header lines read so far.
#[derive(Default)]
struct HeaderFields {
    fields: HashMap<&'static str, String>,
}

impl HeaderFields {
    const KEYS: [&'static str; 9] = [
        "space",
        "dataset",
        "batch",
        "seed",
        "score_version",
        "images",
        "device",
        "naspred_version",
        "mean_seconds",
    ];

    fn read(&mut self, line: &str) -> Result<(), String> {
        let body = line.trim_start_matches('#').trim();
        let (k, v) = body
            .split_once(':')
            .ok_or_else(|| format!("expected a header line `# key: value`; found {line:?}"))?;
        let key = Self::KEYS
            .into_iter()
            .find(|x| *x == k.trim())
            .ok_or_else(|| {
                format!(
                    "unknown header key {:?}; known: {}",
                    k.trim(),
                    Self::KEYS.join(", ")
                )
            })?;
        if self.fields.insert(key, v.trim().to_string()).is_some() {
            return Err(format!("header key {key:?} given twice"));
        }
        Ok(())
    }

    fn take(&mut self, key: &'static str) -> Result<String, String> {
        self.fields
            .remove(key)
            .ok_or_else(|| format!("the header lacks `# {key}: ...`"))
    }

    fn finish(mut self) -> Result<TableMeta, String> {
        let space = self.take("space")?;
        let dataset = self.take("dataset")?;
        let num = |k: &str, v: String| -> Result<u64, String> {
            v.parse().map_err(|e| format!("header {k} {v:?}: {e}"))
        };
        let batch = num("batch", self.take("batch")?)? as usize;
        let seed = num("seed", self.take("seed")?)?;
        let score_version = num("score_version", self.take("score_version")?)? as u32;
        let mean_seconds = match self.fields.remove("mean_seconds") {
            Some(v) => parse_mean_seconds(&v)?,
            None => Vec::new(),
        };
        Ok(TableMeta {
            space: space.parse().map_err(|e| format!("header space: {e}"))?,
            dataset: dataset
                .parse()
                .map_err(|e| format!("header dataset: {e}"))?,
            batch,
            seed,
            score_version,
            images: self.fields.remove("images").unwrap_or_default(),
            device: self.fields.remove("device").unwrap_or_default(),
            naspred_version: self.fields.remove("naspred_version").unwrap_or_default(),
            mean_seconds,
        })
    }
}

/// `proxy=seconds,...`.
fn parse_mean_seconds(v: &str) -> Result<Vec<(Proxy, f64)>, String> {
    v.split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|item| {
            let (p, s) = item
                .split_once('=')
                .ok_or_else(|| format!("mean_seconds item {item:?}: expected proxy=seconds"))?;
            let p: Proxy = p.parse().map_err(|e: crate::ZcError| e.to_string())?;
            match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok((p, x)),
                _ => Err(format!(
                    "mean_seconds of {p}: {s:?} is not a number of seconds"
                )),
            }
        })
        .collect()
}

/// The table of a setting in `dir` for `proxy`, if one is there: first the file of exactly
/// this batch size; for a proxy that reads no minibatch (`params`, `flops`, `l2_norm`,
/// `synflow`, whose scores do not depend on it, as in the score cache) also a table of any
/// batch size (the smallest). A table of another score version, or without a column of
/// `proxy`, is not used. A file that is there but cannot be read is an error.
pub fn find_table(
    dir: &Path,
    space: SpaceKind,
    dataset: Dataset,
    batch: usize,
    seed: u64,
    proxy: Proxy,
) -> Result<Option<ZcTable>, TableError> {
    let mut candidates = vec![dir.join(table_file_name(space, dataset, batch, seed))];
    if crate::cache::batch_free(proxy) {
        candidates.extend(other_batches(dir, space, dataset, seed));
    }
    for path in candidates {
        if !path.is_file() {
            continue;
        }
        let t = ZcTable::read(&path)?;
        let m = t.meta();
        let fits = m.space == space
            && m.dataset == dataset
            && m.seed == seed
            && m.score_version == SCORE_VERSION
            && t.has_proxy(proxy);
        if fits {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// The tables of other batch sizes in `dir`, smallest batch first.
fn other_batches(dir: &Path, space: SpaceKind, dataset: Dataset, seed: u64) -> Vec<PathBuf> {
    let prefix = format!("{space}_{}_b", dataset.name());
    let suffix = format!("_s{seed}.csv.gz");
    let mut found: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let b = name.strip_prefix(&prefix)?.strip_suffix(&suffix)?;
            Some((b.parse().ok()?, e.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}
