//! `naspred zerocost --all`: the NB201 sweep on worker threads, resumable through the score
//! cache, writing the compact precomputed table.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use naspred_data::DataRoot;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-zc-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `naspred zerocost --space nb201 --all` on the first `limit` cells with 2 jobs, a small
/// batch on the CPU, the cache `cache`, writing the table into `table_dir`.
fn sweep(limit: usize, cache: &Path, table_dir: &Path, out: &Path) -> Output {
    let limit = limit.to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_naspred"))
        .args([
            "zerocost", "--space", "nb201", "--all", "--limit", &limit, "--jobs", "2",
        ])
        .args(["--proxies", "jacov,synflow,nwot,flops,params"])
        .args(["--batch-size", "8", "--seed", "0", "--device", "cpu"])
        .arg("--cache")
        .arg(cache)
        .arg("--out")
        .arg(out)
        .arg("--write-table")
        .arg(format!("{}/", table_dir.display()))
        .env("NASPRED_DATA", DataRoot::resolve(None).path())
        .output()
        .expect("naspred runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// The decompressed table's lines.
fn table_lines(dir: &Path) -> Vec<String> {
    let path = dir.join("nb201_cifar10_b8_s0.csv.gz");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_string).collect()
}

/// The rows of the table without the `#` header lines (whose `mean_seconds` are timings).
fn table_rows(dir: &Path) -> Vec<String> {
    table_lines(dir)
        .into_iter()
        .filter(|l| !l.starts_with('#'))
        .collect()
}

/// The scores CSV without its `_seconds` columns (timings).
fn scores(out: &Path) -> Vec<Vec<String>> {
    let mut rdr = csv::Reader::from_path(out).unwrap();
    let keep: Vec<usize> = rdr
        .headers()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.ends_with("_seconds"))
        .map(|(i, _)| i)
        .collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            keep.iter().map(|&i| r[i].to_string()).collect()
        })
        .collect()
}

#[test]
fn an_interrupted_sweep_resumed_gives_the_same_table_and_scores() {
    let dir = temp_dir("resume");
    let (fresh, resumed) = (dir.join("fresh"), dir.join("resumed"));
    // Uninterrupted: 6 cells at once.
    sweep(6, &fresh.join("zc.jsonl"), &fresh, &fresh.join("out.csv"));
    // Interrupted after 3 cells, then resumed on the same cache.
    sweep(
        3,
        &resumed.join("zc.jsonl"),
        &resumed,
        &resumed.join("out.csv"),
    );
    let cached_lines = std::fs::read_to_string(resumed.join("zc.jsonl"))
        .unwrap()
        .lines()
        .count();
    sweep(
        6,
        &resumed.join("zc.jsonl"),
        &resumed,
        &resumed.join("out.csv"),
    );
    let after = std::fs::read_to_string(resumed.join("zc.jsonl"))
        .unwrap()
        .lines()
        .count();
    // The resumed run computed only the 3 missing cells (5 scores each).
    assert_eq!((cached_lines, after), (15, 30));
    let rows = table_rows(&resumed);
    assert_eq!(rows, table_rows(&fresh));
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0], "arch,jacov,synflow,nwot,flops,params");
    // Rows in NB201 index order; flops and params never fail.
    for (i, row) in rows[1..].iter().enumerate() {
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!(fields.len(), 6, "{row}");
        assert_eq!(fields[0], i.to_string());
        assert!(
            fields[4..].iter().all(|f| f.parse::<f64>().is_ok()),
            "{row}"
        );
    }
    assert_eq!(
        scores(&resumed.join("out.csv")),
        scores(&fresh.join("out.csv"))
    );
    // The header records the setting.
    let header = table_lines(&resumed);
    for want in [
        "# space: nb201",
        "# dataset: cifar10",
        "# batch: 8",
        "# seed: 0",
    ] {
        assert!(header.iter().any(|l| l == want), "{want} not in {header:?}");
    }
}

#[test]
fn all_is_refused_where_the_space_has_no_enumeration() {
    let o = Command::new(env!("CARGO_BIN_EXE_naspred"))
        .args(["zerocost", "--space", "nb101", "--all", "--out", "x.csv"])
        .env("NASPRED_DATA", DataRoot::resolve(None).path())
        .output()
        .expect("naspred runs");
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--all enumerates NB201 only"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
