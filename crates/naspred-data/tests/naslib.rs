//! Tests of the NASLib data-file loaders on fixtures in NASLib's exact structures: pickles
//! written here with serde-pickle (plain Python lists, tuple keys), numpy pickles made once
//! with numpy 1 and 2 (`tests/fixtures`, see its README), and zero-cost JSON files built from
//! the real NASLib values in the repository's `data/` folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use naspred_data::naslib::{
    load_nb101_pickle, load_nb201_pickle, load_nb301_pickle, load_nlp_pickle, load_zc_json,
    load_zc_json_as, read_pickle_value, ZcTable,
};
use naspred_data::root::open_data_file;
use naspred_data::{
    Coverage, CurveMetric, DataError, DataRoot, Dataset, FidelityPoint, FidelitySupport,
};
use naspred_spaces::{AnyArch, SpaceKind};
use serde_pickle::{HashableValue as H, SerOptions, Value as V};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A CSV file of the data root (`NASPRED_DATA`, else the repository's `data/`), decompressed.
fn data_csv(rel: &str) -> csv::Reader<Box<dyn std::io::BufRead + Send>> {
    let path = DataRoot::resolve(None).file(rel).unwrap();
    csv::Reader::from_reader(open_data_file(&path).unwrap())
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A fresh, unique temporary directory for one test.
fn tmp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!(
        "naspred-naslib-{}-{name}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_pickle(dir: &Path, name: &str, v: &V) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(
        &p,
        serde_pickle::value_to_vec(v, SerOptions::new()).unwrap(),
    )
    .unwrap();
    p
}

fn s(x: &str) -> V {
    V::String(x.to_string())
}

fn hs(x: &str) -> H {
    H::String(x.to_string())
}

fn floats(xs: &[f64]) -> V {
    V::List(xs.iter().map(|&x| V::F64(x)).collect())
}

fn htuple(xs: &[i64]) -> H {
    H::Tuple(xs.iter().map(|&x| H::I64(x)).collect())
}

fn dict(items: Vec<(&str, V)>) -> V {
    V::Dict(items.into_iter().map(|(k, v)| (hs(k), v)).collect())
}

fn hdict(items: Vec<(H, V)>) -> V {
    V::Dict(items.into_iter().collect())
}

fn format_err(e: DataError) -> (PathBuf, String, String) {
    match e {
        DataError::Format {
            path,
            location,
            reason,
        } => (path, location, reason),
        other => panic!("expected a format error, got {other:?}"),
    }
}

fn nb201(text: &str) -> AnyArch {
    AnyArch::parse(SpaceKind::Nb201, text).unwrap()
}

const A1: &str =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|";
const A2: &str =
    "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_3x3~2|";
const A3: &str = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|";

/// One NB201 per-dataset entry as NASLib's full-training pickle holds it.
fn nb201_entry(
    acc: &[f64],
    loss: &[f64],
    train: &[f64],
    times: Option<&[f64]>,
    cost_time: f64,
) -> V {
    let mut items = vec![
        ("eval_acc1es", floats(acc)),
        ("eval_losses", floats(loss)),
        ("train_losses", floats(train)),
        ("train_acc1es", floats(&[1.0, 2.0, 3.0])),
        (
            "cost_info",
            dict(vec![
                ("flops", V::F64(62.502592)),
                ("params", V::F64(0.428346)),
                ("latency", V::F64(0.0123)),
                ("train_time", V::F64(cost_time)),
            ]),
        ),
    ];
    if let Some(t) = times {
        items.push(("train_times", floats(t)));
    }
    dict(items)
}

// ---------------------------------------------------------------------------------------------
// NB201
// ---------------------------------------------------------------------------------------------

fn nb201_plain_pickle(dir: &Path) -> PathBuf {
    let a1 = dict(vec![
        (
            "cifar10-valid",
            nb201_entry(
                &[50.0, 70.5, 88.24],
                &[1.5, 1.0, 0.4],
                &[2.0, 1.1, 0.3],
                Some(&[10.0, 11.0, 12.5]),
                99.0,
            ),
        ),
        (
            "cifar100",
            nb201_entry(
                &[20.0, 40.0, 61.5],
                &[3.5, 2.5, 1.5],
                &[4.0, 3.0, 2.0],
                None,
                321.5,
            ),
        ),
    ]);
    let a2 = dict(vec![(
        "cifar10-valid",
        nb201_entry(
            &[10.0, 11.0, 12.0],
            &[2.0, 2.0, 2.0],
            &[2.5, 2.4, 2.3],
            None,
            0.0,
        ),
    )]);
    // The third architecture keyed by NASLib's op-index tuple (the form NASLib's own
    // conversion script writes); its last accuracy is NaN, so it is skipped.
    let a3 = dict(vec![(
        "cifar10-valid",
        nb201_entry(&[10.0, f64::NAN], &[2.0, 2.0], &[2.5, 2.4], None, 5.0),
    )]);
    let top = hdict(vec![
        (hs(A1), a1),
        (hs(A2), a2),
        (htuple(&[0, 0, 0, 0, 0, 0]), a3),
    ]);
    write_pickle(dir, "nb201_cifar10_full_training.pickle", &top)
}

#[test]
fn nb201_plain_lists_cifar10() {
    let dir = tmp_dir("nb201-plain");
    let p = nb201_plain_pickle(&dir);
    let b = load_nb201_pickle(&p, Dataset::Cifar10).unwrap();
    assert_eq!(b.space(), SpaceKind::Nb201);
    assert_eq!(b.dataset(), Dataset::Cifar10);
    assert_eq!(b.total_epochs(), 200);
    assert_eq!(b.coverage(), Coverage::Sample);
    assert_eq!(b.len(), 2, "the NaN record is skipped");
    assert_eq!(b.source(), p.display().to_string());

    let r = b.lookup(&nb201(A1)).unwrap();
    assert_eq!(r.val_acc, vec![88.24]);
    let c = r.curves.as_ref().unwrap();
    assert_eq!(c.val_acc, vec![50.0, 70.5, 88.24]);
    assert_eq!(c.val_loss, vec![1.5, 1.0, 0.4]);
    assert_eq!(c.train_loss, vec![2.0, 1.1, 0.3]);
    assert_eq!(c.epoch_times_s, vec![10.0, 11.0, 12.5]);
    // Per-epoch times present: the training time is their sum.
    assert_eq!(r.train_time_s, Some(33.5));
    assert_eq!(r.params_m, Some(0.428346));
    assert_eq!(r.latency_s, Some(0.0123));
    assert_eq!(
        r.partial_curve(CurveMetric::ValAcc, 2),
        Some(&[50.0, 70.5][..])
    );

    let r2 = b.lookup(&nb201(A2)).unwrap();
    assert_eq!(r2.val_acc, vec![12.0]);
    assert_eq!(
        r2.train_time_s, None,
        "cost_info train_time 0 counts as missing"
    );
    assert!(b.lookup(&nb201(A3)).is_none());
    assert_eq!(
        b.fidelity_support(CurveMetric::TrainLoss),
        FidelitySupport::PerEpoch(3)
    );
}

#[test]
fn nb201_dataset_selection_and_missing_dataset() {
    let dir = tmp_dir("nb201-ds");
    let p = nb201_plain_pickle(&dir);
    // cifar100 exists only for A1: A2 has no such entry -> typed error naming the arch.
    let (path, loc, reason) = format_err(load_nb201_pickle(&p, Dataset::Cifar100).unwrap_err());
    assert_eq!(path, p);
    assert!(loc.contains(A2), "{loc}");
    assert!(
        reason.contains("cifar100") && reason.contains("cifar10-valid"),
        "{reason}"
    );
    assert!(matches!(
        load_nb201_pickle(&p, Dataset::Ptb),
        Err(DataError::NoSuchBenchmark { .. })
    ));

    // A file with only the cifar100 entry of A1.
    let top = hdict(vec![(
        hs(A1),
        dict(vec![(
            "cifar100",
            nb201_entry(
                &[20.0, 40.0, 61.5],
                &[3.5, 2.5, 1.5],
                &[4.0, 3.0, 2.0],
                None,
                321.5,
            ),
        )]),
    )]);
    let p = write_pickle(&dir, "nb201_cifar100_full_training.pickle", &top);
    let b = load_nb201_pickle(&p, Dataset::Cifar100).unwrap();
    let r = b.lookup(&nb201(A1)).unwrap();
    assert_eq!(r.val_acc, vec![61.5]);
    assert_eq!(
        r.train_time_s,
        Some(321.5 * 200.0),
        "no per-epoch times: 200 x cost_info train_time (NASLib's per-epoch time)"
    );
}

/// The values written by the numpy fixture script (see tests/fixtures/README.md).
fn check_numpy_nb201(name: &str) {
    let p = fixtures().join(name);
    let b = load_nb201_pickle(&p, Dataset::Cifar10).unwrap();
    assert_eq!(b.len(), 2, "{name}");
    let r = b.lookup(&nb201(A1)).unwrap();
    assert_eq!(r.val_acc, vec![88.75], "{name}");
    let c = r.curves.as_ref().unwrap();
    assert_eq!(
        c.val_acc,
        vec![50.5, 61.25, 70.0, 88.75],
        "{name} float64 array"
    );
    assert_eq!(
        c.val_loss,
        vec![1.5, 1.25, 0.75, 0.5],
        "{name} float32 array"
    );
    assert_eq!(
        c.train_loss,
        vec![2.0, 1.5, 1.0, 0.25],
        "{name} list of numpy scalars"
    );
    assert_eq!(
        c.epoch_times_s,
        vec![10.5, 11.0, 11.5, 12.0],
        "{name} float16 array"
    );
    assert_eq!(r.train_time_s, Some(45.0), "{name}");
    assert_eq!(r.params_m, Some(0.428346), "{name}");
    assert_eq!(r.latency_s, Some(0.015625), "{name} numpy float32 scalar");
    let r2 = b.lookup(&nb201(A2)).unwrap();
    assert_eq!(r2.val_acc, vec![40.5], "{name}");
    let c2 = r2.curves.as_ref().unwrap();
    assert_eq!(
        c2.val_acc,
        vec![10.0, 20.0, 30.0, 40.5],
        "{name} memoised dtype"
    );
    assert_eq!(c2.val_loss, vec![2.5, 2.25, 2.0, 1.75], "{name}");
    assert_eq!(c2.train_loss, vec![3.0, 2.5, 2.0, 1.5], "{name}");
    assert!(c2.epoch_times_s.is_empty());
    assert_eq!(
        r2.train_time_s,
        Some(123.5 * 200.0),
        "{name} numpy scalar train_time (per epoch, x 200)"
    );
}

#[test]
fn nb201_numpy2_protocol4() {
    check_numpy_nb201("nb201_numpy2_proto4.pickle");
}

#[test]
fn nb201_numpy2_protocol5() {
    check_numpy_nb201("nb201_numpy2_proto5.pickle");
}

#[test]
fn nb201_numpy1_protocol2() {
    check_numpy_nb201("nb201_numpy1_proto2.pickle");
}

#[test]
fn nb201_full_space_is_full_coverage() {
    let dir = tmp_dir("nb201-full");
    let mut top = BTreeMap::new();
    for i in 0..15_625i64 {
        let mut t = [0i64; 6];
        let mut x = i;
        for e in (0..6).rev() {
            t[e] = x % 5;
            x /= 5;
        }
        let acc = i as f64 / 200.0;
        top.insert(
            htuple(&t),
            dict(vec![(
                "cifar10-valid",
                dict(vec![
                    ("eval_acc1es", floats(&[acc / 2.0, acc])),
                    ("eval_losses", floats(&[2.0, 1.0])),
                    ("train_losses", floats(&[2.5, 1.5])),
                    ("cost_info", dict(vec![("train_time", V::F64(100.0 + acc))])),
                ]),
            )]),
        );
    }
    let p = write_pickle(&dir, "nb201_all.pickle", &V::Dict(top));
    let t = Instant::now();
    let b = load_nb201_pickle(&p, Dataset::Cifar10).unwrap();
    eprintln!(
        "load_nb201_pickle: 15625 archs x 3 curves of 2 epochs in {:?}",
        t.elapsed()
    );
    assert_eq!(b.len(), 15_625);
    assert_eq!(b.coverage(), Coverage::Full);
    // Arch A1 = NASLib tuple (4, 3, 3, 3, 2, 3), written above at position 14838 (the tuple
    // read as a base-5 number).
    let i = ((((4 * 5 + 3) * 5 + 3) * 5 + 3) * 5 + 2) * 5 + 3;
    assert_eq!(i, 14838);
    let r = b.lookup(&nb201(A1)).unwrap();
    assert_eq!(r.val_acc, vec![i as f64 / 200.0]);
    assert_eq!(r.train_time_s, Some((100.0 + i as f64 / 200.0) * 200.0));
}

#[test]
fn nb201_malformed_files_are_typed_errors() {
    let dir = tmp_dir("nb201-bad");
    let good = std::fs::read(nb201_plain_pickle(&dir)).unwrap();

    // Truncated pickle.
    let p = dir.join("truncated.pickle");
    std::fs::write(&p, &good[..good.len() / 2]).unwrap();
    let (path, loc, _) = format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err());
    assert_eq!(path, p);
    assert_eq!(loc, "pickle stream");

    // Not a pickle at all / empty.
    let p = dir.join("garbage.pickle");
    std::fs::write(&p, b"this is not a pickle").unwrap();
    assert_eq!(
        format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err()).1,
        "pickle stream"
    );
    let p = dir.join("empty.pickle");
    std::fs::write(&p, b"").unwrap();
    assert_eq!(
        format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err()).1,
        "pickle stream"
    );

    // Missing file.
    assert!(matches!(
        load_nb201_pickle(&dir.join("nope.pickle"), Dataset::Cifar10),
        Err(DataError::Io { .. })
    ));

    // Top level is a list.
    let p = write_pickle(&dir, "list.pickle", &floats(&[1.0]));
    let (_, loc, reason) = format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err());
    assert_eq!(loc, "top level");
    assert!(reason.contains("list"), "{reason}");

    // eval_acc1es is a string.
    let mut e = nb201_entry(&[1.0], &[1.0], &[1.0], None, 1.0);
    if let V::Dict(d) = &mut e {
        d.insert(hs("eval_acc1es"), s("88.2"));
    }
    let p = write_pickle(
        &dir,
        "str.pickle",
        &hdict(vec![(hs(A1), dict(vec![("cifar10-valid", e)]))]),
    );
    let (_, loc, reason) = format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err());
    assert!(loc.contains("eval_acc1es"), "{loc}");
    assert!(reason.contains("str"), "{reason}");

    // No eval_acc1es.
    let p = write_pickle(
        &dir,
        "nokey.pickle",
        &hdict(vec![(
            hs(A1),
            dict(vec![(
                "cifar10-valid",
                dict(vec![("eval_losses", floats(&[1.0]))]),
            )]),
        )]),
    );
    let (_, _, reason) = format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err());
    assert!(reason.contains("eval_acc1es"), "{reason}");

    // A key that is not an architecture.
    let p = write_pickle(
        &dir,
        "badarch.pickle",
        &hdict(vec![(
            hs("|conv~0|"),
            dict(vec![(
                "cifar10-valid",
                nb201_entry(&[1.0], &[1.0], &[1.0], None, 1.0),
            )]),
        )]),
    );
    match load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err() {
        DataError::Arch { path, location, .. } => {
            assert_eq!(path, p);
            assert!(location.contains("|conv~0|"), "{location}");
        }
        other => panic!("expected an arch error, got {other:?}"),
    }
    // A tuple key with an op index out of range.
    let p = write_pickle(
        &dir,
        "badtuple.pickle",
        &hdict(vec![(
            htuple(&[0, 0, 7, 0, 0, 0]),
            dict(vec![(
                "cifar10-valid",
                nb201_entry(&[1.0], &[1.0], &[1.0], None, 1.0),
            )]),
        )]),
    );
    let (_, _, reason) = format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err());
    assert!(reason.contains("op index 7"), "{reason}");
    // Only NaN records: nothing to serve.
    let p = write_pickle(
        &dir,
        "allnan.pickle",
        &hdict(vec![(
            hs(A1),
            dict(vec![(
                "cifar10-valid",
                nb201_entry(&[f64::NAN], &[1.0], &[1.0], None, 1.0),
            )]),
        )]),
    );
    let (_, _, reason) = format_err(load_nb201_pickle(&p, Dataset::Cifar10).unwrap_err());
    assert!(reason.contains("no architecture"), "{reason}");
}

#[test]
fn gzip_compressed_pickles_are_read() {
    use std::io::Write;
    let dir = tmp_dir("nb201-gz");
    let raw = std::fs::read(nb201_plain_pickle(&dir)).unwrap();
    let p = dir.join("nb201.pickle.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&raw).unwrap();
    std::fs::write(&p, enc.finish().unwrap()).unwrap();
    let b = load_nb201_pickle(&p, Dataset::Cifar10).unwrap();
    assert_eq!(b.lookup(&nb201(A1)).unwrap().val_acc, vec![88.24]);
    assert!(matches!(read_pickle_value(&p).unwrap(), V::Dict(_)));
}

// ---------------------------------------------------------------------------------------------
// NB101
// ---------------------------------------------------------------------------------------------

fn nb101(matrix: &str, ops: &str) -> AnyArch {
    AnyArch::parse(SpaceKind::Nb101, &format!("{matrix};{ops}")).unwrap()
}

#[test]
fn nb101_numpy_pickle() {
    let p = fixtures().join("nb101_numpy1_proto4.pickle");
    let b = load_nb101_pickle(&p).unwrap();
    assert_eq!(b.space(), SpaceKind::Nb101);
    assert_eq!(b.dataset(), Dataset::Cifar10);
    assert_eq!(b.total_epochs(), 108);
    assert_eq!(b.coverage(), Coverage::Sample);
    assert_eq!(b.len(), 2);

    let a = nb101(
        "0100110001000000010010000010000001000000010000000",
        "input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output",
    );
    assert_eq!(
        a.arch_hash().to_string(),
        "00005c142e6f48ac74fdcf73e3439874"
    );
    let r = b.lookup(&a).unwrap();
    assert_eq!(
        r.val_acc,
        vec![93.75, 87.5, 90.625],
        "one entry per repeat, x100"
    );
    assert_eq!(r.test_acc, Some(75.0));
    assert_eq!(r.train_time_s, Some(1800.0));
    assert_eq!(r.params_m, Some(8.55553));
    assert_eq!(
        r.points,
        vec![
            FidelityPoint {
                epochs: 4,
                val_acc: 50.0
            },
            FidelityPoint {
                epochs: 36,
                val_acc: 81.25
            }
        ]
    );
    assert!(r.curves.is_none());

    // The 6-vertex cell, stored as a Fortran-ordered int8 array.
    let a6 = nb101(
        "010110001001000100000011000001000000",
        "input,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,output",
    );
    let r6 = b.lookup(&a6).unwrap();
    assert_eq!(r6.val_acc, vec![92.1875, 92.96875, 93.75]);
    assert_eq!(r6.params_m, Some(3.984576));
    assert_eq!(r6.train_time_s, Some(1368.0));
    assert!(r6.points.is_empty());
    // Common fidelities: none below 108 for the 6-vertex cell.
    assert_eq!(
        b.fidelity_support(CurveMetric::ValAcc),
        FidelitySupport::None
    );
}

fn nb101_entry(matrix: &str, ops: &[&str], val: &[f64]) -> V {
    let n = (1..=7).find(|n| n * n == matrix.len()).unwrap();
    let rows: Vec<V> = (0..n)
        .map(|i| {
            V::List(
                matrix[i * n..(i + 1) * n]
                    .bytes()
                    .map(|c| V::I64((c - b'0') as i64))
                    .collect(),
            )
        })
        .collect();
    let runs: Vec<V> = val
        .iter()
        .map(|&v| {
            dict(vec![
                ("final_validation_accuracy", V::F64(v)),
                ("final_test_accuracy", V::F64(v)),
                ("final_training_time", V::F64(10.0)),
            ])
        })
        .collect();
    V::Tuple(vec![
        dict(vec![
            ("module_adjacency", V::List(rows)),
            (
                "module_operations",
                V::List(ops.iter().map(|o| s(o)).collect()),
            ),
            ("trainable_parameters", V::I64(1_000_000)),
        ]),
        hdict(vec![(H::I64(108), V::List(runs))]),
    ])
}

#[test]
fn nb101_plain_pickle_and_errors() {
    let dir = tmp_dir("nb101");
    let ops = [
        "input",
        "conv1x1-bn-relu",
        "conv1x1-bn-relu",
        "conv3x3-bn-relu",
        "conv1x1-bn-relu",
        "conv3x3-bn-relu",
        "output",
    ];
    let m = "0100000001000000010000000111000001000000010000000";
    let key = "0000718c96730a92ea6d5242f8ce77e2";
    let p = write_pickle(
        &dir,
        "nb101.pkl",
        &hdict(vec![(hs(key), nb101_entry(m, &ops, &[0.5, 0.25, 0.75]))]),
    );
    let b = load_nb101_pickle(&p).unwrap();
    let r = b.records().first().unwrap();
    assert_eq!(r.hash.to_string(), key);
    assert_eq!(r.val_acc, vec![50.0, 25.0, 75.0]);
    assert_eq!(r.params_m, Some(1.0));

    // A key that is not the cell's hash.
    let wrong = "ffff718c96730a92ea6d5242f8ce77e2";
    let p = write_pickle(
        &dir,
        "wrong.pkl",
        &hdict(vec![(hs(wrong), nb101_entry(m, &ops, &[0.5]))]),
    );
    let (_, loc, reason) = format_err(load_nb101_pickle(&p).unwrap_err());
    assert!(loc.contains(wrong), "{loc}");
    assert!(reason.contains(key), "{reason}");

    // 6 ops for a 7x7 matrix.
    let p = write_pickle(
        &dir,
        "ops.pkl",
        &hdict(vec![(hs(key), nb101_entry(m, &ops[..6], &[0.5]))]),
    );
    let err = load_nb101_pickle(&p).unwrap_err();
    assert!(matches!(err, DataError::Format { .. }), "{err:?}");

    // No 108-epoch results.
    let mut e = nb101_entry(m, &ops, &[0.5]);
    if let V::Tuple(t) = &mut e {
        t[1] = hdict(vec![(H::I64(4), V::List(vec![]))]);
    }
    let p = write_pickle(&dir, "no108.pkl", &hdict(vec![(hs(key), e)]));
    let (_, _, reason) = format_err(load_nb101_pickle(&p).unwrap_err());
    assert!(reason.contains("108"), "{reason}");

    // Not a pair.
    let p = write_pickle(&dir, "pair.pkl", &hdict(vec![(hs(key), floats(&[1.0]))]));
    let (_, _, reason) = format_err(load_nb101_pickle(&p).unwrap_err());
    assert!(reason.contains("pair"), "{reason}");
}

// ---------------------------------------------------------------------------------------------
// NB301 / DARTS
// ---------------------------------------------------------------------------------------------

/// The first rows of the real NB301 sample (compact, normal, reduce, val_accuracy).
fn nb301_rows(k: usize) -> Vec<(String, String, String, f64)> {
    let mut rdr = data_csv("naslib_zc/sample_nb301_cifar10_accuracy.csv");
    rdr.records()
        .take(k)
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].to_string(),
                r[2].to_string(),
                r[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Parses `(((0, 4), ...), (...))` into nested pickle tuples.
fn compact_key(text: &str) -> H {
    let nums: Vec<i64> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(nums.len(), 32);
    H::Tuple(
        nums.chunks(16)
            .map(|cell| H::Tuple(cell.chunks(2).map(htuple).collect()))
            .collect(),
    )
}

#[test]
fn nb301_pickle_with_compact_tuple_keys() {
    let dir = tmp_dir("nb301");
    let rows = nb301_rows(3);
    let mut top = Vec::new();
    for (i, (compact, _, _, acc)) in rows.iter().enumerate() {
        let mut curve: Vec<f64> = (1..=97).map(|e| e as f64 * 0.9).collect();
        curve.push(*acc);
        top.push((
            compact_key(compact),
            dict(vec![
                ("val_accuracies", floats(&curve)),
                ("train_losses", floats(&[2.0, 1.0, 0.5 + i as f64])),
                ("runtime", V::F64(5000.0 + i as f64)),
            ]),
        ));
    }
    let p = write_pickle(&dir, "nb301_full_training.pickle", &hdict(top));
    let b = load_nb301_pickle(&p).unwrap();
    assert_eq!(b.space(), SpaceKind::Darts);
    assert_eq!(b.dataset(), Dataset::Cifar10);
    assert_eq!(b.total_epochs(), 98);
    assert_eq!(b.len(), 3);
    for (i, (_, normal, reduce, acc)) in rows.iter().enumerate() {
        // The same architecture as the reference data's op~input lists.
        let a = AnyArch::parse(SpaceKind::Darts, &format!("{normal};{reduce}")).unwrap();
        let r = b.lookup(&a).unwrap();
        assert_eq!(r.val_acc, vec![*acc]);
        assert_eq!(r.train_time_s, Some(5000.0 + i as f64));
        let c = r.curves.as_ref().unwrap();
        assert_eq!(c.val_acc.len(), 98);
        assert_eq!(c.val_acc[0], 0.9);
        assert_eq!(c.train_loss, vec![2.0, 1.0, 0.5 + i as f64]);
    }
    assert_eq!(rows[0].3, 93.90106806);

    // A compact key with an op outside 0..7.
    let bad = H::Tuple(vec![
        H::Tuple((0..8).map(|j| htuple(&[j / 4, 9])).collect()),
        H::Tuple((0..8).map(|j| htuple(&[j / 4, 0])).collect()),
    ]);
    let p = write_pickle(
        &dir,
        "bad.pickle",
        &hdict(vec![(bad, dict(vec![("val_accuracies", floats(&[1.0]))]))]),
    );
    assert!(matches!(load_nb301_pickle(&p), Err(DataError::Arch { .. })));
    // Missing val_accuracies.
    let p = write_pickle(
        &dir,
        "noval.pickle",
        &hdict(vec![(
            compact_key(&rows[0].0),
            dict(vec![("runtime", V::F64(1.0))]),
        )]),
    );
    let (_, _, reason) = format_err(load_nb301_pickle(&p).unwrap_err());
    assert!(reason.contains("val_accuracies"), "{reason}");
}

// ---------------------------------------------------------------------------------------------
// NAS-Bench-NLP
// ---------------------------------------------------------------------------------------------

/// NASLib compact triples of three real NAS-Bench-NLP cells (recepies from the
/// WikiText-2 logs in `data/nlp`, converted with NASLib's `convert_recipe_to_compact`).
fn nlp_cells() -> Vec<(H, &'static str)> {
    fn edges(e: &[(i64, i64)]) -> H {
        H::Tuple(e.iter().map(|&(a, b)| htuple(&[a, b])).collect())
    }
    vec![
        (
            H::Tuple(vec![
                edges(&[(0, 4), (1, 4), (4, 5)]),
                htuple(&[0, 0, 0, 0, 6, 2]),
                htuple(&[5]),
            ]),
            r#"{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["f"]}}"#,
        ),
        (
            H::Tuple(vec![
                edges(&[
                    (1, 4),
                    (0, 4),
                    (4, 5),
                    (1, 6),
                    (0, 6),
                    (6, 7),
                    (5, 8),
                    (7, 8),
                    (8, 9),
                ]),
                htuple(&[0, 0, 0, 0, 6, 1, 6, 1, 6, 1]),
                htuple(&[9]),
            ]),
            r#"{"node_0": {"op": "linear", "input": ["h_prev_0", "x"]}, "node_1": {"op": "activation_sigm", "input": ["node_0"]}, "node_4": {"op": "linear", "input": ["h_prev_0", "x"]}, "node_5": {"op": "activation_sigm", "input": ["node_4"]}, "node_6": {"op": "linear", "input": ["node_1", "node_5"]}, "h_new_0": {"op": "activation_sigm", "input": ["node_6"]}}"#,
        ),
    ]
}

#[test]
fn nlp_pickle_with_compact_triples() {
    let dir = tmp_dir("nlp");
    let cells = nlp_cells();
    let mut top = Vec::new();
    for (i, (key, _)) in cells.iter().enumerate() {
        let off = i as f64;
        top.push((
            key.clone(),
            dict(vec![
                ("train_losses", floats(&[6.0 + off, 5.5, 5.0])),
                ("val_losses", floats(&[5.75 + off, 5.5, 5.25 + off])),
                ("test_losses", floats(&[5.5, 5.25, 5.125 + off])),
                ("wall_times", floats(&[140.5, 141.0, 139.5])),
            ]),
        ));
    }
    // A diverged run (NaN final loss) is skipped.
    top.push((
        H::Tuple(vec![
            H::Tuple(vec![htuple(&[0, 4]), htuple(&[1, 4]), htuple(&[4, 5])]),
            htuple(&[0, 0, 0, 0, 6, 3]),
            htuple(&[5]),
        ]),
        dict(vec![("val_losses", floats(&[5.0, f64::NAN]))]),
    ));
    let p = write_pickle(&dir, "nb_nlp.pickle", &hdict(top));
    let b = load_nlp_pickle(&p).unwrap();
    assert_eq!(b.space(), SpaceKind::Nlp);
    assert_eq!(b.dataset(), Dataset::Ptb);
    assert_eq!(b.total_epochs(), 50);
    assert_eq!(b.len(), 2);
    for (i, (_, recepie)) in cells.iter().enumerate() {
        let off = i as f64;
        let a = AnyArch::parse(SpaceKind::Nlp, recepie).unwrap();
        let r = b.lookup(&a).unwrap();
        assert_eq!(r.val_acc, vec![100.0 - (5.25 + off)]);
        assert_eq!(r.test_acc, Some(100.0 - (5.125 + off)));
        assert_eq!(r.train_time_s, Some(421.0));
        let c = r.curves.as_ref().unwrap();
        assert_eq!(
            c.val_acc,
            vec![100.0 - (5.75 + off), 94.5, 100.0 - (5.25 + off)]
        );
        assert_eq!(c.val_loss, vec![5.75 + off, 5.5, 5.25 + off]);
        assert_eq!(c.train_loss, vec![6.0 + off, 5.5, 5.0]);
        assert_eq!(c.epoch_times_s, vec![140.5, 141.0, 139.5]);
    }
}

// ---------------------------------------------------------------------------------------------
// Zero-cost JSON
// ---------------------------------------------------------------------------------------------

const PROXIES: [&str; 11] = [
    "flops",
    "params",
    "snip",
    "jacov",
    "grad_norm",
    "plain",
    "epe_nas",
    "fisher",
    "grasp",
    "l2_norm",
    "synflow",
];

/// The real NASLib zero-cost values of the NB201 sample in `data/naslib_zc`: (op tuple, arch string,
/// scores in PROXIES order, val_accuracy).
fn zc_nb201_rows() -> Vec<(String, String, Vec<f64>, f64)> {
    let mut rdr = data_csv("naslib_zc/suite_zero_sample_nb201_cifar10.csv");
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let col = |name: &str| &r[headers.iter().position(|h| h == name).unwrap()];
            (
                col("naslib_op_indices").to_string(),
                col("arch_str").to_string(),
                PROXIES.iter().map(|p| col(p).parse().unwrap()).collect(),
                col("val_accuracy").parse().unwrap(),
            )
        })
        .collect()
}

/// One architecture of a zero-cost file: key, (proxy, score) pairs, val_accuracy.
type ZcRow = (String, Vec<(String, f64)>, f64);

/// Writes a zero-cost JSON file in NASLib's structure. Scores are written with Rust's
/// shortest round-trip formatting, so they read back exactly.
fn write_zc_json(path: &Path, datasets: &[(&str, Vec<ZcRow>)]) {
    let mut out = String::from("{");
    for (di, (ds, archs)) in datasets.iter().enumerate() {
        if di > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("\"{ds}\": {{"));
        for (ai, (key, scores, acc)) in archs.iter().enumerate() {
            if ai > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("\"{key}\": {{\"id\": {ai}, "));
            for (name, sc) in scores {
                let v = if sc.is_nan() {
                    "NaN".to_string()
                } else if sc.is_infinite() {
                    if *sc > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
                } else {
                    format!("{sc:?}")
                };
                out.push_str(&format!("\"{name}\": {{\"score\": {v}, \"time\": 0.25}}, "));
            }
            out.push_str(&format!("\"val_accuracy\": {acc:?}}}"));
        }
        out.push('}');
    }
    out.push('}');
    std::fs::write(path, out).unwrap();
}

#[test]
fn zc_nb201_real_values() {
    let dir = tmp_dir("zc201");
    let rows = zc_nb201_rows();
    assert_eq!(rows.len(), 491);
    let mut c10: Vec<ZcRow> = rows
        .iter()
        .map(|(t, _, sc, acc)| {
            (
                t.clone(),
                PROXIES
                    .iter()
                    .map(|p| p.to_string())
                    .zip(sc.iter().copied())
                    .collect(),
                *acc,
            )
        })
        .collect();
    // Python's json writes non-finite floats as NaN / Infinity.
    c10[1].1[0].1 = f64::NAN;
    c10[2].1[1].1 = f64::NEG_INFINITY;
    let c100: Vec<_> = c10[..5]
        .iter()
        .map(|(k, sc, acc)| (k.clone(), sc.clone(), acc - 20.0))
        .collect();
    let p = dir.join("zc_nasbench201.json");
    write_zc_json(&p, &[("cifar10", c10), ("cifar100", c100)]);

    let t = Instant::now();
    let z: ZcTable = load_zc_json(&p).unwrap();
    eprintln!("load_zc_json: 491 + 5 NB201 archs in {:?}", t.elapsed());
    assert_eq!(z.space(), SpaceKind::Nb201);
    assert_eq!(z.dataset_names(), vec!["cifar10", "cifar100"]);
    let recs = z.records(Dataset::Cifar10).unwrap();
    assert_eq!(recs.len(), 491);
    // First row of the reference sample: index 14822, (4, 3, 3, 3, 2, 3).
    let r0 = &recs[0];
    assert_eq!(r0.key, "(4, 3, 3, 3, 2, 3)");
    assert_eq!(r0.arch, nb201(A1));
    assert_eq!(r0.arch, nb201(&rows[0].1));
    assert_eq!(r0.val_accuracy, 88.24);
    assert_eq!(r0.scores["flops"], 62.502592);
    assert_eq!(r0.scores["synflow"], 65.90939475);
    assert_eq!(r0.scores["jacov"], -32.90052823);
    assert_eq!(r0.times["snip"], 0.25);
    assert_eq!(r0.id.as_deref(), Some("0"));
    assert_eq!(r0.scores.len(), 11);
    assert!(recs[1].scores["flops"].is_nan());
    assert_eq!(recs[2].scores["params"], f64::NEG_INFINITY);
    // Every key decodes to the reference arch string.
    for (rec, (_, arch_str, scores, acc)) in recs.iter().zip(&rows) {
        assert_eq!(rec.arch, nb201(arch_str));
        assert_eq!(rec.val_accuracy, *acc);
        assert_eq!(rec.scores["grasp"], scores[8]);
    }
    let mut names: Vec<&str> = PROXIES.to_vec();
    names.sort();
    assert_eq!(z.proxies(Dataset::Cifar10), names);
    assert_eq!(
        z.lookup(Dataset::Cifar100, &nb201(A1))
            .unwrap()
            .val_accuracy,
        88.24 - 20.0
    );
    assert!(z.records(Dataset::ImageNet16_120).is_none());
    assert_eq!(z.records_by_name("cifar100").unwrap().len(), 5);

    let b = z.to_benchmark(Dataset::Cifar10).unwrap();
    assert_eq!(b.len(), 491);
    assert_eq!(b.coverage(), Coverage::Sample);
    assert_eq!(b.space(), SpaceKind::Nb201);
    assert_eq!(b.lookup(&nb201(A1)).unwrap().val_acc, vec![88.24]);
    assert!(b.source().ends_with("#cifar10"));
    assert!(matches!(
        z.to_benchmark(Dataset::ImageNet16_120),
        Err(DataError::NoSuchBenchmark { .. })
    ));
}

#[test]
fn zc_nb101_and_nb301_keys() {
    let dir = tmp_dir("zc101");
    // NB101: flattened matrix + op indices over [input, output, maxpool3x3, conv1x1, conv3x3].
    let mut rdr = data_csv("naslib_zc/sample_nb101_cifar10_accuracy.csv");
    let all_ops = [
        "input",
        "output",
        "maxpool3x3",
        "conv1x1-bn-relu",
        "conv3x3-bn-relu",
    ];
    let mut archs = Vec::new();
    let mut expect = Vec::new();
    for r in rdr.records().take(20) {
        let r = r.unwrap();
        let (hash, n, ops, acc) = (
            &r[0],
            r[1].parse::<usize>().unwrap(),
            &r[3],
            r[4].parse::<f64>().unwrap(),
        );
        // The CSV lost the matrix's leading zeros (it went through an integer once).
        let matrix = format!("{:0>w$}", &r[2], w = n * n);
        let mut t: Vec<String> = matrix.chars().map(|c| c.to_string()).collect();
        t.extend(
            ops.split(',')
                .map(|o| all_ops.iter().position(|a| *a == o).unwrap().to_string()),
        );
        archs.push((
            format!("({})", t.join(", ")),
            vec![("flops".to_string(), 1.5)],
            acc,
        ));
        let ints: Vec<u8> = t.iter().map(|x| x.parse().unwrap()).collect();
        expect.push((hash.to_string(), ints, format!("{matrix};{ops}"), acc));
    }
    let p = dir.join("zc_nasbench101.json");
    write_zc_json(&p, &[("cifar10", archs.clone())]);
    let z = load_zc_json(&p).unwrap();
    assert_eq!(z.space(), SpaceKind::Nb101);
    let recs = z.records(Dataset::Cifar10).unwrap();
    assert_eq!(recs.len(), 20);
    for (rec, (_raw_hash, ints, text, acc)) in recs.iter().zip(&expect) {
        // The key is NASLib's own tuple hash of the (raw 7x7) cell.
        match &rec.arch {
            AnyArch::Nb101(a) => assert_eq!(&a.naslib_hash()[..], &ints[..]),
            other => panic!("not an NB101 arch: {other}"),
        }
        assert_eq!(rec.arch, AnyArch::parse(SpaceKind::Nb101, text).unwrap());
        assert_eq!(rec.val_accuracy, *acc);
    }
    assert_eq!(recs[0].val_accuracy, 92.578125);
    assert_eq!(
        recs[0].arch.to_string(),
        "0111101000001100000010000110000001100000000000000;\
         input,maxpool3x3,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,output"
    );
    // The same file under a neutral name: the space is read from the keys.
    let p2 = dir.join("scores.json");
    std::fs::copy(&p, &p2).unwrap();
    assert_eq!(load_zc_json(&p2).unwrap().space(), SpaceKind::Nb101);

    // NB301: compact keys.
    let rows = nb301_rows(4);
    let archs: Vec<_> = rows
        .iter()
        .map(|(c, _, _, acc)| (c.clone(), vec![("synflow".to_string(), -3.5)], *acc))
        .collect();
    let p = dir.join("zc_nasbench301.json");
    write_zc_json(&p, &[("cifar10", archs)]);
    let z = load_zc_json(&p).unwrap();
    assert_eq!(z.space(), SpaceKind::Darts);
    for (rec, (_, normal, reduce, acc)) in z.records(Dataset::Cifar10).unwrap().iter().zip(&rows) {
        assert_eq!(
            rec.arch,
            AnyArch::parse(SpaceKind::Darts, &format!("{normal};{reduce}")).unwrap()
        );
        assert_eq!(rec.val_accuracy, *acc);
        assert_eq!(rec.scores["synflow"], -3.5);
    }
    let b = z.to_benchmark(Dataset::Cifar10).unwrap();
    assert_eq!(
        (b.space(), b.len(), b.total_epochs()),
        (SpaceKind::Darts, 4, 98)
    );
    // An explicit space that does not fit the keys is an architecture error.
    assert!(matches!(
        load_zc_json_as(&p, SpaceKind::Nb201),
        Err(DataError::Arch { .. })
    ));
}

#[test]
fn zc_malformed_files() {
    let dir = tmp_dir("zcbad");
    let p = dir.join("zc_nasbench201.json");
    std::fs::write(
        &p,
        "{\"cifar10\": {\"(0, 0, 0, 0, 0, 0)\": {\"val_accuracy\": 1.0},",
    )
    .unwrap();
    let (path, loc, _) = format_err(load_zc_json(&p).unwrap_err());
    assert_eq!(path, p);
    assert!(loc.starts_with("line 1, column"), "{loc}");

    std::fs::write(
        &p,
        "{\"cifar10\": {\"(0, 0, 0, 0, 0, 0)\": {\"snip\": {\"score\": 1.0}}}}",
    )
    .unwrap();
    let (_, loc, reason) = format_err(load_zc_json(&p).unwrap_err());
    assert!(loc.contains("(0, 0, 0, 0, 0, 0)"), "{loc}");
    assert!(reason.contains("val_accuracy"), "{reason}");

    std::fs::write(
        &p,
        "{\"cifar10\": {\"(0, 0, 9, 0, 0, 0)\": {\"val_accuracy\": 1.0}}}",
    )
    .unwrap();
    let (_, _, reason) = format_err(load_zc_json(&p).unwrap_err());
    assert!(reason.contains("op index 9"), "{reason}");

    std::fs::write(
        &p,
        "{\"cifar10\": {\"(0, 0, 0, 0, 0, 0)\": {\"snip\": \"high\", \"val_accuracy\": 1.0}}}",
    )
    .unwrap();
    let (_, _, reason) = format_err(load_zc_json(&p).unwrap_err());
    assert!(reason.contains("snip"), "{reason}");

    let q = dir.join("mystery.json");
    std::fs::write(&q, "{\"cifar10\": {\"abc\": {\"val_accuracy\": 1.0}}}").unwrap();
    let (_, _, reason) = format_err(load_zc_json(&q).unwrap_err());
    assert!(reason.contains("load_zc_json_as"), "{reason}");
}

/// NASLib's own NB201 test fixture (`tests/test_nb201_search_space.py` of automl/NASLib) holds
/// the real `cost_info` of architecture 0 on CIFAR-10. Its `flops`, `params` and `latency` are
/// NB201's, and its `train_time` is exactly the 200-epoch total of the bundled table divided by
/// 200: NASLib's TRAIN_TIME is a per-epoch time. Loaded through a pickle of NASLib's structure,
/// the record must agree with the bundled table bit for bit.
#[test]
fn nb201_cost_info_train_time_is_per_epoch_as_the_bundled_table_shows() {
    const ARCH0: &str = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";
    let dir = tmp_dir("nb201-cost-info");
    let entry = dict(vec![
        ("eval_acc1es", floats(&[50.0, 82.0])),
        (
            "cost_info",
            dict(vec![
                ("flops", V::F64(15.64737)),
                ("params", V::F64(0.129306)),
                ("latency", V::F64(0.0139359758611311)),
                ("train_time", V::F64(7.221092998981476)),
            ]),
        ),
    ]);
    let top = hdict(vec![(hs(ARCH0), dict(vec![("cifar10-valid", entry)]))]);
    let p = write_pickle(&dir, "nb201_cifar10_full_training.pickle", &top);
    let from_naslib = load_nb201_pickle(&p, Dataset::Cifar10).unwrap();
    let r = from_naslib.lookup(&nb201(ARCH0)).unwrap();

    let bundled = naspred_data::embedded::load_bundled(Dataset::Cifar10).unwrap();
    let b = bundled.lookup(&nb201(ARCH0)).unwrap();
    assert_eq!(b.train_time_s, Some(1444.2185997962952));
    assert_eq!(
        r.train_time_s, b.train_time_s,
        "200 x NASLib's per-epoch time"
    );
    assert_eq!(r.epoch_time_s(200), Some(7.221092998981476));
    assert_eq!(r.params_m, b.params_m);
    assert_eq!(r.latency_s, b.latency_s);
}
