//! `cargo xtask embed-data`: builds the repository's `data/` from the raw original files.
//!
//! Every dataset the tests, the demo and `reproduce --quick` read lives in `data/`, in compact
//! form. This module lists each compact file with the original it comes from ([`ENTRIES`]),
//! writes it (a byte-identical copy where the original is already compact, a deterministic
//! gzip of the original otherwise; NB201 through `naspred data embed`), and writes
//! `data/MANIFEST.tsv`: every file of `data/` with its size, its SHA-256 and the SHA-256 of its
//! decompressed content, which for copies and gzips equals the original's SHA-256. The test
//! `naspred-tests/tests/data_manifest.rs` checks the manifest against the committed files (no
//! originals needed); `--check` rebuilds into a scratch folder and compares byte for byte.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

use crate::Result;

/// How a compact file is made from its original.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Make {
    /// A byte-identical copy (the original is already gzip-compressed or small binary).
    Copy,
    /// The original, gzip-compressed (level 9, no name, no time stamp).
    Gzip,
}

/// One compact file of `data/` and where it comes from.
struct Entry {
    /// Path below `data/`.
    file: &'static str,
    /// Path of the original below the originals' folder.
    original: &'static str,
    make: Make,
}

/// Every file of `data/` built from an original (NB201's `nb201.bin.gz` aside).
const ENTRIES: &[Entry] = &[
    Entry {
        file: "nb101/nb101_multifidelity_20k.csv.gz",
        original: "nb101/nb101_multifidelity_20k.csv",
        make: Make::Gzip,
    },
    Entry {
        file: "nlp/wikitext2_logs.jsonl.gz",
        original: "nlp/wikitext2_logs.jsonl.gz",
        make: Make::Copy,
    },
    Entry {
        file: "naslib_zc/suite_zero_sample_nb201_cifar10.csv.gz",
        original: "naslib_zc/suite_zero_sample_nb201_cifar10.csv",
        make: Make::Gzip,
    },
    Entry {
        file: "naslib_zc/sample_nb201_cifar100_accuracy.csv.gz",
        original: "naslib_zc/sample_nb201_cifar100_accuracy.csv",
        make: Make::Gzip,
    },
    Entry {
        file: "naslib_zc/sample_nb201_ImageNet16-120_accuracy.csv.gz",
        original: "naslib_zc/sample_nb201_ImageNet16-120_accuracy.csv",
        make: Make::Gzip,
    },
    Entry {
        file: "naslib_zc/sample_nb101_cifar10_accuracy.csv.gz",
        original: "naslib_zc/sample_nb101_cifar10_accuracy.csv",
        make: Make::Gzip,
    },
    Entry {
        file: "naslib_zc/sample_nb301_cifar10_accuracy.csv.gz",
        original: "naslib_zc/sample_nb301_cifar10_accuracy.csv",
        make: Make::Gzip,
    },
    Entry {
        file: "naslib_zc/metric_reference_nb201_cifar10.csv.gz",
        original: "naslib_zc/metric_reference_nb201_cifar10.csv",
        make: Make::Gzip,
    },
    Entry {
        file: "cifar/train_5000.bin.gz",
        original: "cifar/train_5000.bin.gz",
        make: Make::Copy,
    },
    Entry {
        file: "cifar/test_1000.bin.gz",
        original: "cifar/test_1000.bin.gz",
        make: Make::Copy,
    },
    Entry {
        file: "cifar/cifar10_20.bin",
        original: "cifar/cifar10_20.bin",
        make: Make::Copy,
    },
    Entry {
        file: "cifar/cifar100_20.bin",
        original: "cifar/cifar100_20.bin",
        make: Make::Copy,
    },
];

/// Files of `data/` that the manifest does not list.
const UNLISTED: &[&str] = &["README.md", "MANIFEST.tsv"];

/// The most `data/` may hold, in bytes (25 MB).
pub const MAX_BYTES: u64 = 25_000_000;

/// Options of `embed-data`.
pub struct Options {
    /// The folder of raw originals.
    pub from: PathBuf,
    /// Rebuild into a scratch folder and compare instead of writing `data/`.
    pub check: bool,
    /// Leave `nb201.bin.gz` alone (it needs the PyPI wheel).
    pub skip_nb201: bool,
}

impl Options {
    /// Parses `--from DIR`, `--check`, `--skip-nb201`; `--from` defaults to `NASPRED_DATA`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut from = std::env::var_os("NASPRED_DATA")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let (mut check, mut skip_nb201) = (false, false);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--from" => {
                    from = Some(PathBuf::from(it.next().ok_or("--from needs a folder")?));
                }
                "--check" => check = true,
                "--skip-nb201" => skip_nb201 = true,
                other => return Err(format!("embed-data: unknown argument {other:?}")),
            }
        }
        let from = from
            .ok_or("embed-data needs the folder of raw originals: --from DIR (or NASPRED_DATA)")?;
        if !from.is_dir() {
            return Err(format!("--from {}: no such folder", from.display()));
        }
        Ok(Options {
            from,
            check,
            skip_nb201,
        })
    }
}

/// Builds every entry from `from` into `out`.
pub fn build_entries(from: &Path, out: &Path) -> Result<()> {
    for e in ENTRIES {
        let src = from.join(e.original);
        let bytes = std::fs::read(&src).map_err(|err| format!("{}: {err}", src.display()))?;
        let made = match e.make {
            Make::Copy => bytes,
            Make::Gzip => gzip(&bytes)?,
        };
        let dst = out.join(e.file);
        if let Some(dir) = dst.parent() {
            std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
        }
        std::fs::write(&dst, &made).map_err(|err| format!("{}: {err}", dst.display()))?;
        eprintln!(
            "xtask: {:<55} {:>10} bytes (original {} bytes)",
            e.file,
            made.len(),
            std::fs::metadata(&src).map(|m| m.len()).unwrap_or(0)
        );
    }
    Ok(())
}

/// Checks that every compact file decompresses to exactly its original.
pub fn check_against_originals(from: &Path, data: &Path) -> Result<()> {
    for e in ENTRIES {
        let original = std::fs::read(from.join(e.original))
            .map_err(|err| format!("{}: {err}", from.join(e.original).display()))?;
        let compact = std::fs::read(data.join(e.file))
            .map_err(|err| format!("{}: {err}", data.join(e.file).display()))?;
        let same = match e.make {
            Make::Copy => compact == original,
            Make::Gzip => content(&compact)? == original,
        };
        if !same {
            return Err(format!("data/{} does not hold {}", e.file, e.original));
        }
    }
    Ok(())
}

/// Deterministic gzip: level 9, no file name, time stamp 0.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).map_err(|e| e.to_string())?;
    enc.finish().map_err(|e| e.to_string())
}

/// The decompressed content of a file's bytes (the bytes themselves if not gzip).
fn content(bytes: &[u8]) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot decompress: {e}"))?;
    Ok(out)
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file below `dir`, as sorted `/`-separated relative paths.
fn files_below(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|err| format!("{}: {err}", d.display()))? {
            let p = e.map_err(|err| err.to_string())?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if !UNLISTED.contains(&rel.as_str()) {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The manifest of `data/`: one tab-separated line per file (path, bytes, SHA-256 of the file,
/// SHA-256 of its decompressed content), after a header line.
pub fn manifest(data: &Path) -> Result<String> {
    let mut text = String::from("file\tbytes\tsha256\tcontent_sha256\n");
    let mut total = 0u64;
    for rel in files_below(data)? {
        let bytes = std::fs::read(data.join(&rel)).map_err(|e| format!("{rel}: {e}"))?;
        total += bytes.len() as u64;
        text.push_str(&format!(
            "{rel}\t{}\t{}\t{}\n",
            bytes.len(),
            hex(&Sha256::digest(&bytes)),
            hex(&Sha256::digest(content(&bytes)?)),
        ));
    }
    if total > MAX_BYTES {
        return Err(format!(
            "data/ holds {total} bytes, over the {MAX_BYTES}-byte budget"
        ));
    }
    Ok(text)
}
