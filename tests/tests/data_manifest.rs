//! The repository's `data/` against its manifest: every file is there, unchanged, documented,
//! and the whole folder keeps to its size budget. `data/MANIFEST.tsv` is written by
//! `cargo xtask embed-data`; its `content_sha256` is the SHA-256 of the decompressed content,
//! which for the gzip-compressed CSVs equals the SHA-256 of the raw original, so this test
//! proves the compact files hold the originals bit for bit without needing the originals.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

const BUDGET_BYTES: u64 = 25_000_000;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data")
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn content(bytes: &[u8]) -> Vec<u8> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes.to_vec();
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip file of data/ decompresses");
    out
}

fn files_below(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_below(&p, base, out);
        } else {
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel);
        }
    }
}

struct Row {
    file: String,
    bytes: u64,
    sha256: String,
    content_sha256: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(data_dir().join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("file\tbytes\tsha256\tcontent_sha256"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "manifest line {l:?}");
            Row {
                file: f[0].to_string(),
                bytes: f[1].parse().unwrap(),
                sha256: f[2].to_string(),
                content_sha256: f[3].to_string(),
            }
        })
        .collect()
}

#[test]
fn every_file_of_data_matches_its_manifest_line() {
    let rows = manifest();
    assert!(rows.len() >= 15, "{} manifest rows", rows.len());
    for r in &rows {
        let bytes = std::fs::read(data_dir().join(&r.file))
            .unwrap_or_else(|e| panic!("data/{}: {e}", r.file));
        assert_eq!(bytes.len() as u64, r.bytes, "size of data/{}", r.file);
        assert_eq!(hex(&bytes), r.sha256, "SHA-256 of data/{}", r.file);
        assert_eq!(
            hex(&content(&bytes)),
            r.content_sha256,
            "SHA-256 of the content of data/{}",
            r.file
        );
    }
}

#[test]
fn data_holds_nothing_unlisted_and_keeps_its_budget() {
    let mut on_disk = BTreeSet::new();
    files_below(&data_dir(), &data_dir(), &mut on_disk);
    on_disk.remove("README.md");
    on_disk.remove("MANIFEST.tsv");
    let listed: BTreeSet<String> = manifest().into_iter().map(|r| r.file).collect();
    assert_eq!(
        on_disk, listed,
        "data/ and MANIFEST.tsv list different files"
    );
    let total: u64 = manifest().iter().map(|r| r.bytes).sum();
    assert!(total < BUDGET_BYTES, "data/ holds {total} bytes");
}

#[test]
fn the_data_readme_documents_every_file_with_its_checksum() {
    let readme = std::fs::read_to_string(data_dir().join("README.md")).unwrap();
    for r in manifest() {
        assert!(
            readme.contains(&format!("`{}`", r.file)),
            "data/README.md does not mention `{}`",
            r.file
        );
        assert!(
            readme.contains(&r.sha256),
            "data/README.md lacks the SHA-256 of {}",
            r.file
        );
    }
}

#[test]
fn the_crate_copy_of_the_nb201_table_is_the_data_file() {
    let data = std::fs::read(data_dir().join("nb201.bin.gz")).unwrap();
    assert_eq!(naspred_data::embedded::BUNDLED, &data[..]);
}
