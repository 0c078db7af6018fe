//! Tests of the data-root loaders on the repository's `data/` (or `NASPRED_DATA`) and on small
//! fixtures. The checks that need the raw reference CSVs (`nb201/*.csv`) are in `originals.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use approx::assert_relative_eq;
use naspred_data::embedded::{self, arch_of_op_code, op_code_at, NUM_ARCHS};
use naspred_data::root::{open_data_file, read_data_file};
use naspred_data::shared::{self, load, load_naslib_sample, load_nb101, load_nb201, load_nlp};
use naspred_data::{Coverage, CurveMetric, DataError, DataRoot, Dataset, FidelitySupport};
use naspred_spaces::{AnyArch, ArchHash, SpaceKind};

mod common;
use common::NB201_ARCH0;

/// The data root: `NASPRED_DATA`, else the repository's `data/`.
fn root() -> DataRoot {
    DataRoot::resolve(None)
}

/// A fresh temporary data root.
fn temp_root(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let d = std::env::temp_dir().join(format!(
        "naspred-shared-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn nb201(s: &str) -> AnyArch {
    AnyArch::parse(SpaceKind::Nb201, s).unwrap()
}

const ARCH0: &str =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

// ---------------------------------------------------------------------------------------------
// NB201

/// Equal up to the reference CSVs' 6-decimal rounding.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 5.0e-7 + 1e-12 * b.abs()
}

/// NB201 from the data root: the compact table of `data/` (or, with `NASPRED_DATA` naming the
/// raw originals, their CSVs). The expected values are the reference CSVs' (6 decimals); the
/// compact table holds the wheel's unrounded values, so accuracies, times, latencies and
/// parameters are compared up to that rounding; the 12-epoch values are exact in both.
#[test]
fn nb201_real_data() {
    let from_csv = root().find("nb201/cifar10.csv").is_some();
    for (ds, seeds, time, lat, params, low) in NB201_ARCH0 {
        let b = load_nb201(&root(), ds).unwrap();
        assert_eq!(b.len(), 15_625);
        assert_eq!(b.duplicates(), 0);
        assert_eq!(b.coverage(), Coverage::Full);
        assert_eq!(b.total_epochs(), 200);
        assert_eq!(b.dataset(), ds);
        assert_eq!(b.space(), SpaceKind::Nb201);
        if from_csv {
            assert!(b.source().ends_with(&format!("{}.csv", ds.name())));
        } else {
            assert_eq!(b.source(), "embedded");
        }
        assert_eq!(
            b.fidelity_support(CurveMetric::ValAcc),
            FidelitySupport::Points(vec![12])
        );
        assert!(b.has_train_times() && b.has_params());
        let r = b.lookup(&nb201(ARCH0)).unwrap();
        assert_eq!(r.val_acc.len(), 3);
        for (a, e) in r.val_acc.iter().zip(seeds) {
            assert!(close(*a, e), "{ds}: {a} vs {e}");
        }
        assert!(close(r.train_time_s.unwrap(), time));
        assert!(close(r.latency_s.unwrap(), lat));
        assert!(close(r.params_m.unwrap(), params));
        assert_eq!(r.test_acc, None);
        assert_eq!(r.val_acc_at(12), Some(low));
        assert_eq!(r.points.len(), 1);
        let n2 = b.records().iter().filter(|r| r.val_acc.len() == 2).count();
        assert_eq!(n2, 7456);
        // The first record: the official index 0 architecture in the reference CSV's order,
        // op code 000000 in the compact table's.
        let first = if from_csv {
            nb201(ARCH0)
        } else {
            arch_of_op_code("000000").unwrap()
        };
        assert_eq!(b.records()[0].arch, first);
    }
    // A two-seed architecture (official index 347).
    let b = load_nb201(&root(), Dataset::Cifar10).unwrap();
    let r = b
        .lookup(&nb201(
            "|none~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_1x1~0|avg_pool_3x3~1|skip_connect~2|",
        ))
        .unwrap();
    assert_eq!(r.val_acc.len(), 2);
    assert!(close(r.val_acc[0], 86.112) && close(r.val_acc[1], 86.384));
    // Within the CSV rounding (the compact table's mean is 86.2480000036...).
    assert_relative_eq!(r.mean_val_acc(), 86.248, epsilon = 1e-6);
}

/// The real NB201 tables written in the layout of the raw reference CSVs, from the compact
/// table (`embedded::load_default`), one line per architecture in op code order:
/// `nb201/cifar10.csv` (lines) and `nb201/accuracies_12epoch.csv` (text; its test-accuracy
/// columns, which the loaders do not read and the compact table does not hold, are empty).
/// Values are written in Rust's shortest round-trip form, so they read back bit for bit.
fn nb201_csv_fixture() -> &'static (Vec<String>, String) {
    static FIXTURE: OnceLock<(Vec<String>, String)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tables = embedded::DATASETS.map(|ds| embedded::load_default(ds).unwrap());
        let mut lines = vec![
            "index,arch_str,op_code,n_seeds,val_acc_seed0,val_acc_seed1,val_acc_seed2,\
             train_time_s,latency_s,params_mb"
                .to_string(),
        ];
        let mut low = String::from(
            "index,arch_str,cifar10_test,cifar10_val,cifar100_test,cifar100_val,\
             imagenet16_test,imagenet16_val\n",
        );
        for i in 0..NUM_ARCHS {
            let code = op_code_at(i).unwrap();
            let r = &tables[0].records()[i];
            assert_eq!(r.arch, arch_of_op_code(&code).unwrap());
            let seeds: Vec<String> = (0..3)
                .map(|s| r.val_acc.get(s).map(f64::to_string).unwrap_or_default())
                .collect();
            lines.push(format!(
                "{i},{},{code},{},{},{},{},{}",
                r.arch,
                r.val_acc.len(),
                seeds.join(","),
                r.train_time_s.unwrap(),
                r.latency_s.unwrap(),
                r.params_m.unwrap()
            ));
            let v: Vec<f64> = tables
                .iter()
                .map(|t| {
                    assert_eq!(t.records()[i].arch, r.arch);
                    t.records()[i].points[0].val_acc
                })
                .collect();
            low.push_str(&format!("{i},{},,{},,{},,{}\n", r.arch, v[0], v[1], v[2]));
        }
        (lines, low)
    })
}

/// A data root with a real NB201 CIFAR-10 CSV ([`nb201_csv_fixture`]), its lines edited by
/// `edit`, and with `with_low` the 12-epoch table.
fn nb201_fixture(name: &str, edit: impl FnOnce(&mut Vec<String>), with_low: bool) -> PathBuf {
    let dir = temp_root(name);
    let (lines, low) = nb201_csv_fixture();
    let mut lines = lines.clone();
    edit(&mut lines);
    write(&dir.join("nb201/cifar10.csv"), &(lines.join("\n") + "\n"));
    if with_low {
        write(&dir.join(shared::NB201_LOW_FIDELITY), low);
    }
    dir
}

/// Replaces field `i` of a CSV line (NB201 lines have no quoted fields).
fn set_field(line: &mut String, i: usize, f: impl FnOnce(&str) -> String) {
    let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
    fields[i] = f(&fields[i]);
    *line = fields.join(",");
}

fn format_err(r: Result<naspred_data::Benchmark, DataError>) -> (PathBuf, String, String) {
    match r {
        Err(DataError::Format {
            path,
            location,
            reason,
        }) => (path, location, reason),
        Err(other) => panic!("expected a format error, got {other}"),
        Ok(_) => panic!("expected a format error, got a benchmark"),
    }
}

#[test]
fn nb201_fixtures() {
    let compact = embedded::load_default(Dataset::Cifar10).unwrap();
    // The CSV layout reads back exactly the table it was written from, 12-epoch points and
    // all, and the 12-epoch table alone too.
    let dir = nb201_fixture("full", |_| {}, true);
    let b = load_nb201(&DataRoot::new(&dir), Dataset::Cifar10).unwrap();
    assert!(b.source().ends_with("cifar10.csv"));
    assert_eq!(b.len(), 15_625);
    for (a, e) in b.records().iter().zip(compact.records()) {
        assert_eq!(a.arch, e.arch);
        assert_eq!(a.val_acc, e.val_acc);
        assert_eq!(
            (a.train_time_s, a.latency_s, a.params_m),
            (e.train_time_s, e.latency_s, e.params_m)
        );
        assert_eq!(a.points, e.points);
    }
    let low = shared::read_nb201_low_fidelity(&dir.join(shared::NB201_LOW_FIDELITY)).unwrap();
    assert_eq!(low.len(), 15_625);
    assert_eq!(low[&nb201(ARCH0).arch_hash()], [63.364, 31.84, 18.466667]);
    std::fs::remove_dir_all(&dir).ok();

    // Without the 12-epoch table: no points, everything else the same.
    let dir = nb201_fixture("nolow", |_| {}, false);
    let b = load_nb201(&DataRoot::new(&dir), Dataset::Cifar10).unwrap();
    assert_eq!(b.len(), 15_625);
    assert!(b.records().iter().all(|r| r.points.is_empty()));
    assert_eq!(
        b.fidelity_support(CurveMetric::ValAcc),
        FidelitySupport::None
    );
    // Other datasets have no CSV in this root (nor an nb201.bin.gz): load_nb201 falls back
    // to the table compiled into the crate, and reading the absent CSV names it.
    let b = load_nb201(&DataRoot::new(&dir), Dataset::Cifar100).unwrap();
    assert_eq!((b.source(), b.len()), ("embedded", 15_625));
    let absent = dir.join("nb201/cifar100.csv");
    match shared::load_nb201_csv(&DataRoot::new(&dir), &absent, Dataset::Cifar100) {
        Err(DataError::Io { path, .. }) => assert_eq!(path, absent),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();

    // A missing row.
    let dir = nb201_fixture("short", |l| drop(l.pop()), true);
    let (path, _, reason) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert!(path.ends_with("nb201/cifar10.csv"));
    assert!(reason.contains("15624"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();

    // A repeated architecture: the last row replaced by the first.
    let dir = nb201_fixture(
        "dup",
        |l| {
            let first = l[1].clone();
            *l.last_mut().unwrap() = first;
        },
        true,
    );
    let (_, loc, reason) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert_eq!(loc, "line 15626");
    assert!(reason.contains("repeats line 2"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();

    // A bad number in row 10 (line 11).
    let dir = nb201_fixture(
        "badnum",
        |l| set_field(&mut l[10], 4, |v| format!("abc{v}")),
        true,
    );
    let (_, loc, reason) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert_eq!(loc, "line 11, column val_acc_seed0");
    assert!(reason.contains("abc"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();

    // An op code that does not match the arch string (line 2 is op code 000000).
    let dir = nb201_fixture(
        "opcode",
        |l| {
            set_field(&mut l[1], 2, |c| {
                assert_eq!(c, "000000");
                "000001".into()
            })
        },
        true,
    );
    let (_, loc, reason) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert_eq!(loc, "line 2, column op_code");
    assert!(reason.contains("000001"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();

    // A seed count that disagrees with the accuracies.
    let dir = nb201_fixture(
        "nseeds",
        |l| set_field(&mut l[1], 3, |n| if n == "3" { "2" } else { "3" }.into()),
        true,
    );
    let (_, loc, _) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert_eq!(loc, "line 2, column n_seeds");
    std::fs::remove_dir_all(&dir).ok();

    // A ragged row.
    let dir = nb201_fixture("ragged", |l| l[5].push_str(",1"), true);
    let (_, loc, reason) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert_eq!(loc, "line 6");
    assert!(reason.contains("fields"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();

    // A missing column.
    let dir = nb201_fixture(
        "nocol",
        |l| l[0] = l[0].replace("latency_s", "latency"),
        true,
    );
    let (_, loc, reason) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert_eq!(loc, "line 1 (header)");
    assert!(reason.contains("latency_s"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();

    // An unparsable architecture.
    let dir = nb201_fixture(
        "badarch",
        |l| set_field(&mut l[3], 1, |a| a.replacen("none", "nnoe", 1)),
        true,
    );
    match load_nb201(&DataRoot::new(&dir), Dataset::Cifar10) {
        Err(DataError::Arch { location, .. }) => assert_eq!(location, "line 4"),
        other => panic!("expected an Arch error, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();

    // A 12-epoch table with a bad value.
    let dir = nb201_fixture("badlow", |_| {}, true);
    let low = dir.join(shared::NB201_LOW_FIDELITY);
    let text = std::fs::read_to_string(&low).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let broken = format!("{},x", &lines[7][..lines[7].rfind(',').unwrap()]);
    lines[7] = &broken;
    write(&low, &lines.join("\n"));
    let (path, loc, _) = format_err(load_nb201(&DataRoot::new(&dir), Dataset::Cifar10));
    assert!(path.ends_with("accuracies_12epoch.csv"));
    assert_eq!(loc, "line 8, column imagenet16_val");
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// NB101

#[test]
fn nb101_real_data() {
    let b = load_nb101(&root()).unwrap();
    assert_eq!(b.len(), 20_001);
    assert_eq!(b.duplicates(), 0);
    assert_eq!(b.coverage(), Coverage::Sample);
    assert_eq!(b.total_epochs(), 108);
    assert_eq!(b.dataset(), Dataset::Cifar10);
    assert_eq!(
        b.fidelity_support(CurveMetric::ValAcc),
        FidelitySupport::Points(vec![4, 12, 36])
    );
    let h: ArchHash = "00005c142e6f48ac74fdcf73e3439874".parse().unwrap();
    let r = b.get(&h).unwrap();
    assert_eq!(r.val_acc.len(), 1);
    assert_relative_eq!(r.val_acc[0], 93.04887652, epsilon = 1e-9);
    let pts: Vec<(u32, f64)> = r.points.iter().map(|p| (p.epochs, p.val_acc)).collect();
    assert_eq!(pts.len(), 3);
    for ((e, v), (we, wv)) in
        pts.iter()
            .zip([(4, 36.04767621), (12, 42.19751656), (36, 90.01402259)])
    {
        assert_eq!(*e, we);
        assert_relative_eq!(*v, wv, epsilon = 1e-9);
    }
    assert_eq!(r.train_time_s, Some(1768.975952));
    assert_relative_eq!(r.params_m.unwrap(), 8.55553, epsilon = 1e-12);
    assert_eq!(
        r.arch.to_string(),
        "0100110001000000010010000010000001000000010000000;input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output"
    );
    // A 2-vertex cell (input -> output) is among the sample.
    assert!(b
        .records()
        .iter()
        .any(|r| r.arch.to_string().starts_with("0100;")));
}

#[test]
fn nb101_fixture_hash_mismatch_names_the_line() {
    let dir = temp_root("nb101");
    let text =
        String::from_utf8(read_data_file(&root().file(shared::NB101_FILE).unwrap()).unwrap())
            .unwrap();
    let mut lines: Vec<String> = text.lines().take(4).map(str::to_string).collect();
    let good = lines.join("\n") + "\n";
    write(&dir.join(shared::NB101_FILE), &good);
    let b = load_nb101(&DataRoot::new(&dir)).unwrap();
    assert_eq!(b.len(), 3);
    // Row 3 (line 4) gets the hash of row 1.
    let h1 = lines[1][..32].to_string();
    lines[3].replace_range(..32, &h1);
    write(&dir.join(shared::NB101_FILE), &(lines.join("\n") + "\n"));
    let (_, loc, reason) = format_err(load_nb101(&DataRoot::new(&dir)));
    assert_eq!(loc, "line 4, column nb101_hash");
    assert!(reason.contains(&h1), "{reason}");
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// NLP

#[test]
fn nlp_real_data() {
    let b = load_nlp(&root()).unwrap();
    // 341 runs with status OK; cells trained more than once (the same compact triple, 52 of
    // them even with identical recepie text) are counted as duplicates.
    assert_eq!((b.len(), b.duplicates()), (275, 66));
    assert_eq!(b.coverage(), Coverage::Sample);
    assert_eq!(b.total_epochs(), 50);
    assert_eq!(b.dataset(), Dataset::Wikitext2);
    for m in [
        CurveMetric::ValAcc,
        CurveMetric::ValLoss,
        CurveMetric::TrainLoss,
    ] {
        assert_eq!(b.fidelity_support(m), FidelitySupport::PerEpoch(50));
    }
    // recepie 1000000: f = linear(x, h_prev_0); h_new_0 = tanh(f).
    let arch = AnyArch::parse(
        SpaceKind::Nlp,
        "(((0, 4), (1, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (5,))",
    )
    .unwrap();
    let r = b.lookup(&arch).unwrap();
    assert_eq!(r.val_acc, vec![100.0 - 5.240856395048254]);
    assert_eq!(r.test_acc, Some(100.0 - 5.147947130803299));
    assert_relative_eq!(r.train_time_s.unwrap(), 7033.963120222092, epsilon = 1e-6);
    assert_eq!(r.params_m, Some(15.066078));
    let c = r.curves.as_ref().unwrap();
    assert_eq!(c.val_loss.len(), 50);
    assert_eq!(c.val_loss[49], 5.240856395048254);
    assert_eq!(c.val_acc[49], 100.0 - 5.240856395048254);
    assert_eq!(c.train_loss[0], 5.754718696136168);
    assert_eq!(c.epoch_times_s[0], 141.30380201339722);
    assert_eq!(
        r.epoch_time_s(50),
        Some(c.epoch_times_s.iter().sum::<f64>() / 50.0)
    );
    assert_eq!(r.val_acc_at(10), Some(100.0 - c.val_loss[9]));
}

fn gz_lines(path: &Path, lines: &[String]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    for l in lines {
        writeln!(gz, "{l}").unwrap();
    }
    gz.finish().unwrap();
}

fn nlp_line(recepie: &str, status: &str, losses: &str) -> String {
    format!(
        r#"{{"recepie_id": 1, "status": "{status}", "num_params": 2000000, "recepie": {recepie}, "wall_times": [10.0, 11.0], "train_losses": [6.0, 5.5], "val_losses": {losses}, "test_losses": [5.9, 5.4], "source_file": "NaN_log_Infinity.json"}}"#
    )
}

#[test]
fn nlp_fixtures() {
    let cell = r#"{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["f"]}}"#;
    let renamed = r#"{"g": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["g"]}}"#;
    let other = r#"{"h_new_0": {"op": "activation_sigm", "input": ["x"]}}"#;
    let dir = temp_root("nlp");
    let path = dir.join(shared::NLP_FILE);
    let lines = vec![
        nlp_line(cell, "OK", "[6.1, 5.6]"),
        nlp_line(other, "loss is nan!", "[NaN, -Infinity]"),
        String::new(),
        nlp_line(renamed, "OK", "[7.0, 6.5]"),
        nlp_line(other, "OK", "[6.2, 5.75]"),
    ];
    gz_lines(&path, &lines);
    let b = load_nlp(&DataRoot::new(&dir)).unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b.duplicates(), 1); // `renamed` is the same cell as `cell`
    let r = &b.records()[0];
    assert_eq!(r.val_acc, vec![100.0 - 5.6]); // the first run is kept
    assert_eq!(r.test_acc, Some(100.0 - 5.4));
    assert_eq!(r.train_time_s, Some(21.0));
    assert_eq!(r.params_m, Some(2.0));
    assert_eq!(
        r.curves.as_ref().unwrap().val_acc,
        vec![100.0 - 6.1, 100.0 - 5.6]
    );
    assert_eq!(b.records()[1].val_acc, vec![100.0 - 5.75]);

    // An OK run with a NaN loss is an error naming its line.
    let mut bad = lines.clone();
    bad.push(nlp_line(other, "OK", "[6.0, NaN]"));
    gz_lines(&path, &bad);
    let (_, loc, reason) = format_err(load_nlp(&DataRoot::new(&dir)));
    assert_eq!(loc, "line 6");
    assert!(reason.contains("epoch 2"), "{reason}");

    // A line that is not JSON.
    let mut bad = lines.clone();
    bad.insert(1, "{\"status\": \"OK\", ".into());
    gz_lines(&path, &bad);
    let (_, loc, _) = format_err(load_nlp(&DataRoot::new(&dir)));
    assert_eq!(loc, "line 2");

    // A cell that does not parse.
    let mut bad = lines.clone();
    bad.push(nlp_line(
        r#"{"h_new_0": {"op": "no_such_op", "input": ["x"]}}"#,
        "OK",
        "[1.0]",
    ));
    gz_lines(&path, &bad);
    match load_nlp(&DataRoot::new(&dir)) {
        Err(DataError::Arch { location, .. }) => assert_eq!(location, "line 6, field recepie"),
        other => panic!("expected an Arch error, got {other:?}"),
    }

    // A truncated gzip file.
    gz_lines(&path, &lines);
    let full = std::fs::read(&path).unwrap();
    std::fs::write(&path, &full[..full.len() - 12]).unwrap();
    assert!(matches!(
        load_nlp(&DataRoot::new(&dir)),
        Err(DataError::Format { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// NASLib's samples and the dispatcher

#[test]
fn naslib_samples_real_data() {
    let b = load_naslib_sample(&root(), SpaceKind::Darts, Dataset::Cifar10).unwrap();
    assert_eq!((b.len(), b.duplicates()), (500, 0));
    assert_eq!(b.total_epochs(), 98);
    assert_eq!(b.coverage(), Coverage::Sample);
    let first = AnyArch::parse(
        SpaceKind::Darts,
        "(((0, 4), (1, 3), (0, 2), (2, 3), (2, 3), (0, 3), (2, 6), (3, 5)), ((0, 3), (1, 3), (1, 1), (0, 5), (2, 3), (0, 2), (4, 4), (3, 1)))",
    )
    .unwrap();
    assert_eq!(b.lookup(&first).unwrap().val_acc, vec![93.90106806]);

    for (ds, n, v) in [
        (Dataset::Cifar10, 491, 88.24),
        (Dataset::Cifar100, 491, 68.33999987),
        (Dataset::ImageNet16_120, 491, 42.19999986),
    ] {
        let b = load_naslib_sample(&root(), SpaceKind::Nb201, ds).unwrap();
        assert_eq!((b.len(), b.total_epochs()), (n, 200));
        let a = nb201("|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|");
        assert_eq!(b.lookup(&a).unwrap().val_acc, vec![v]);
    }

    // NB101: raw specs whose matrices lost their leading zeros; keyed by the official hash of
    // the pruned cell, 500 rows are 292 architectures. The first row's `nb101_hash`
    // (8a82efdf...) hashes the raw spec; its pruned cell's official hash is 4a0ab8bb...
    let b = load_naslib_sample(&root(), SpaceKind::Nb101, Dataset::Cifar10).unwrap();
    assert_eq!((b.len(), b.duplicates(), b.total_epochs()), (292, 208, 108));
    let h: ArchHash = "4a0ab8bbe2441a002e07b0f445ec2d63".parse().unwrap();
    let r = b.get(&h).unwrap();
    assert_eq!(r.val_acc, vec![92.578125]);
    assert!(r
        .arch
        .to_string()
        .starts_with("0111101000001100000010000110000001100000000000000;"));
}

/// The DARTS sample's `normal;reduce` columns name the same genotypes as its `compact` column.
#[test]
fn darts_sample_text_forms_agree() {
    let path = root()
        .file("naslib_zc/sample_nb301_cifar10_accuracy.csv")
        .unwrap();
    let mut rdr = csv::Reader::from_reader(open_data_file(&path).unwrap());
    let b = load_naslib_sample(&root(), SpaceKind::Darts, Dataset::Cifar10).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        let a = AnyArch::parse(SpaceKind::Darts, &format!("{};{}", &r[1], &r[2])).unwrap();
        let rec = b.lookup(&a).unwrap();
        assert_eq!(rec.val_acc, vec![r[3].parse::<f64>().unwrap()]);
    }
}

#[test]
fn dispatcher() {
    let root = root();
    let b = load(&root, SpaceKind::Darts, Dataset::Cifar10).unwrap();
    assert_eq!((b.space(), b.len()), (SpaceKind::Darts, 500));
    let b = load(&root, SpaceKind::Nlp, Dataset::Wikitext2).unwrap();
    assert_eq!(b.space(), SpaceKind::Nlp);
    let b = load(&root, SpaceKind::Nb201, Dataset::Cifar100).unwrap();
    assert_eq!((b.len(), b.dataset()), (15_625, Dataset::Cifar100));
    for (space, ds) in [
        (SpaceKind::Darts, Dataset::Cifar100),
        (SpaceKind::Nb101, Dataset::ImageNet16_120),
        (SpaceKind::Nlp, Dataset::Ptb),
        (SpaceKind::Nlp, Dataset::Cifar10),
        (SpaceKind::Nb201, Dataset::Wikitext2),
    ] {
        assert!(
            matches!(
                load(&root, space, ds),
                Err(DataError::NoSuchBenchmark { .. })
            ),
            "{space} {ds}"
        );
    }
    assert!(matches!(
        load_naslib_sample(&root, SpaceKind::Nlp, Dataset::Wikitext2),
        Err(DataError::NoSuchBenchmark { .. })
    ));
    // An empty data root: Missing errors that name the file and the fix.
    let empty = temp_root("empty");
    match load(&DataRoot::new(&empty), SpaceKind::Nb101, Dataset::Cifar10) {
        Err(DataError::Missing { path, hint, .. }) => {
            assert!(path.ends_with(shared::NB101_FILE));
            assert!(hint.contains("NASPRED_DATA"));
        }
        other => panic!("expected Missing, got {other:?}"),
    }
    std::fs::remove_dir_all(&empty).ok();
}
