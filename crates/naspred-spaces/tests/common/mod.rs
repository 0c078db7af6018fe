//! The data helper of this crate's tests and benches (it sits below `naspred-data`, so it
//! opens the repository's data files itself).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;

use flate2::read::MultiGzDecoder;

/// A data file `rel` (or its compressed `rel.gz`) of the data root (`NASPRED_DATA`, else the
/// repository's `data/`), decompressed.
pub fn open_data(rel: &str) -> Box<dyn Read> {
    let root = std::env::var_os("NASPRED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data"));
    let plain = root.join(rel);
    let path = if plain.is_file() {
        plain
    } else {
        root.join(format!("{rel}.gz"))
    };
    let file = File::open(&path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(MultiGzDecoder::new(BufReader::new(file))))
    } else {
        Box::new(BufReader::new(file))
    }
}
