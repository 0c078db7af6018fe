//! Where benchmark data lives, and reading its files whether or not they are gzip-compressed.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::DataError;

/// The data root: a folder laid out like the repository's `data/` (`nb101/`, `nlp/`,
/// `naslib_zc/`, `cifar/`, `nb201.bin.gz`) or like the raw reference data it is built from
/// (the same folders, with `nb201/*.csv` and uncompressed CSVs).
///
/// A file named `REL` in the code may be stored as `REL` or as `REL.gz`: [`DataRoot::file`]
/// finds either and [`open_data_file`] decompresses gzip transparently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRoot {
    path: PathBuf,
}

impl DataRoot {
    /// Environment variable naming the data root.
    pub const ENV: &'static str = "NASPRED_DATA";

    /// A data root at `path` (not checked until a file is read).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        DataRoot { path: path.into() }
    }

    /// The repository's `data/` folder as this crate was built from it. It exists when the
    /// crate was built from a clone of the workspace (also after `cargo install --path`); a
    /// crate built from its published package has no such folder.
    pub fn workspace() -> Self {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = crate_dir
            .parent()
            .and_then(Path::parent)
            .unwrap_or(crate_dir);
        DataRoot::new(repo.join("data"))
    }

    /// The data root from, in order: `explicit` (a `--data-dir` flag), `NASPRED_DATA` (if not
    /// empty), and the repository's `data/` ([`DataRoot::workspace`]).
    pub fn resolve(explicit: Option<&Path>) -> Self {
        if let Some(p) = explicit {
            return DataRoot::new(p);
        }
        match std::env::var_os(Self::ENV) {
            Some(p) if !p.is_empty() => DataRoot::new(PathBuf::from(p)),
            _ => DataRoot::workspace(),
        }
    }

    /// The root folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file `rel` below the root, or its compressed copy `rel.gz`, if either exists.
    pub fn find(&self, rel: &str) -> Option<PathBuf> {
        let plain = self.path.join(rel);
        if plain.is_file() {
            return Some(plain);
        }
        if rel.ends_with(".gz") {
            return None;
        }
        let gz = self.path.join(format!("{rel}.gz"));
        gz.is_file().then_some(gz)
    }

    /// As [`DataRoot::find`], with a [`DataError::Missing`] that says where data comes from
    /// when neither exists.
    pub fn file(&self, rel: &str) -> Result<PathBuf, DataError> {
        self.find(rel).ok_or_else(|| {
            let also = if rel.ends_with(".gz") {
                String::new()
            } else {
                format!("nor as {rel}.gz; ")
            };
            DataError::Missing {
                what: format!("data file {rel}"),
                path: self.path.join(rel),
                hint: format!(
                    " ({also}the repository's data/ folder holds every dataset: pass \
                     --data-dir or set {} to it, or to a folder with the same layout)",
                    Self::ENV
                ),
            }
        })
    }
}

/// The file opened for buffered reading, and whether it starts with the gzip magic bytes.
fn open_sniffed(path: &Path, capacity: usize) -> Result<(BufReader<File>, bool), DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = BufReader::with_capacity(capacity, file);
    let gz = reader
        .fill_buf()
        .map_err(|e| DataError::io(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    Ok((reader, gz))
}

/// Opens a data file for buffered reading, decompressing it if it starts with the gzip magic
/// bytes (whatever its name).
pub fn open_data_file(path: &Path) -> Result<Box<dyn BufRead + Send>, DataError> {
    Ok(match open_sniffed(path, 1 << 16)? {
        (reader, true) => Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(reader),
        )),
        (reader, false) => Box::new(reader),
    })
}

/// The whole (decompressed) content of a data file: a gzip stream that cannot be decompressed
/// (truncated or corrupt) is a [`DataError::Format`] at `gzip stream`.
pub fn read_data_file(path: &Path) -> Result<Vec<u8>, DataError> {
    let (mut reader, gz) = open_sniffed(path, 1 << 20)?;
    let mut bytes = Vec::new();
    if gz {
        MultiGzDecoder::new(reader)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                DataError::format(
                    path,
                    "gzip stream",
                    format!("cannot decompress (truncated or corrupt?): {e}"),
                )
            })?;
    } else {
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| DataError::io(path, e))?;
    }
    Ok(bytes)
}
