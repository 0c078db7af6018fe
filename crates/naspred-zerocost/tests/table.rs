//! Precomputed score tables: the file round-trips bit for bit, malformed files are typed
//! errors naming file and line, and the zero-cost predictor reads a matching table instead of
//! computing, with the scores computing gives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use naspred_data::{DataRoot, Dataset};
use naspred_eval::{ArchInput, Context, Predictor, PredictorRng};
use naspred_spaces::nb101::Nb101Arch;
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::{AnyArch, Sampling, SpaceKind};
use naspred_zerocost::table::data_root_images;
use naspred_zerocost::{
    find_table, Proxy, ProxyScore, ScoreCache, TableError, TableMeta, ZcEngine, ZcSettings,
    ZcTable, ZeroCostPredictor, ZeroCostSettings, SCORE_VERSION, TABLE_DIR,
};
use rand::SeedableRng;
use tch::Device;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-zc-table-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn meta(space: SpaceKind, batch: usize) -> TableMeta {
    TableMeta {
        space,
        dataset: Dataset::Cifar10,
        batch,
        seed: 0,
        score_version: SCORE_VERSION,
        images: data_root_images("cifar/train_5000.bin.gz"),
        device: "cpu".into(),
        naspred_version: "test".into(),
        mean_seconds: vec![(Proxy::Jacov, 0.25), (Proxy::Synflow, 0.125)],
    }
}

fn nb201(i: u32) -> AnyArch {
    AnyArch::Nb201(Nb201Arch::from_index(i).unwrap())
}

/// Values that a short decimal rendering would not keep exactly.
const AWKWARD: [f64; 6] = [
    0.1 + 0.2,
    -65.291_534_423_828_12,
    f64::MIN_POSITIVE,
    1e300,
    -0.0,
    123_456_789.012_345_68,
];

#[test]
fn a_table_round_trips_bit_for_bit_with_failures_and_quoted_archs() {
    let dir = temp_dir("round-trip");
    let proxies = [Proxy::Jacov, Proxy::Synflow];
    // NB201 by index, with a failed score.
    let mut t = ZcTable::new(meta(SpaceKind::Nb201, 64), &proxies).unwrap();
    for (k, i) in [0u32, 15_624, 7_777].into_iter().enumerate() {
        let v = if k == 1 { None } else { Some(AWKWARD[k]) };
        t.push(&nb201(i), vec![v, Some(AWKWARD[k + 3])]).unwrap();
    }
    let path = dir.join(t.meta().file_name());
    assert!(path.ends_with("nb201_cifar10_b64_s0.csv.gz"));
    t.write(&path).unwrap();
    let back = ZcTable::read(&path).unwrap();
    assert_eq!(back.meta(), t.meta());
    assert_eq!(back.proxies(), &proxies);
    let bits = |t: &ZcTable| -> Vec<(AnyArch, Vec<Option<u64>>)> {
        t.rows()
            .map(|(a, v)| (a.clone(), v.iter().map(|x| x.map(f64::to_bits)).collect()))
            .collect()
    };
    assert_eq!(bits(&back), bits(&t));
    assert_eq!(back.get(&nb201(15_624), Proxy::Jacov), Some(None));
    assert_eq!(back.get(&nb201(0), Proxy::Jacov), Some(Some(AWKWARD[0])));
    assert_eq!(back.get(&nb201(1), Proxy::Jacov), None);
    assert_eq!(back.get(&nb201(0), Proxy::Nwot), None);
    // The file is gzip; its text lists the index, not the cell string.
    assert_eq!(&std::fs::read(&path).unwrap()[..2], &[0x1f, 0x8b]);
    assert!(t.to_text().contains("\n15624,,"), "{}", t.to_text());

    // NB101 rows are the text form, quoted (it holds commas).
    let mut rng = PredictorRng::seed_from_u64(3);
    let mut t = ZcTable::new(meta(SpaceKind::Nb101, 8), &proxies).unwrap();
    let mut archs: Vec<AnyArch> = Vec::new();
    while archs.len() < 3 {
        let a = AnyArch::Nb101(Nb101Arch::sample(&mut rng));
        if !archs.iter().any(|b| b.arch_hash() == a.arch_hash()) {
            archs.push(a);
        }
    }
    for (k, a) in archs.iter().enumerate() {
        t.push(a, vec![Some(AWKWARD[k]), Some(AWKWARD[k + 3])])
            .unwrap();
    }
    assert!(t.to_text().contains("\n\""), "{}", t.to_text());
    let path = dir.join(t.meta().file_name());
    t.write(&path).unwrap();
    assert_eq!(bits(&ZcTable::read(&path).unwrap()), bits(&t));
}

#[test]
fn building_a_bad_table_is_refused() {
    let mut t = ZcTable::new(meta(SpaceKind::Nb201, 64), &[Proxy::Jacov]).unwrap();
    t.push(&nb201(5), vec![Some(1.0)]).unwrap();
    for (arch, values) in [
        (nb201(5), vec![Some(2.0)]),
        (nb201(6), vec![Some(f64::NAN)]),
        (nb201(7), vec![Some(1.0), Some(2.0)]),
    ] {
        assert!(matches!(t.push(&arch, values), Err(TableError::Invalid(_))));
    }
    assert!(ZcTable::new(meta(SpaceKind::Nb201, 64), &[Proxy::Jacov, Proxy::Jacov]).is_err());
    assert_eq!(t.len(), 1);
}

/// A valid table text (header lines 1-10, column header line 11, rows from line 12).
fn valid_text() -> String {
    let mut t = ZcTable::new(meta(SpaceKind::Nb201, 64), &[Proxy::Jacov, Proxy::Synflow]).unwrap();
    t.push(&nb201(0), vec![Some(1.5), Some(2.5)]).unwrap();
    t.push(&nb201(1), vec![None, Some(3.5)]).unwrap();
    t.to_text()
}

#[test]
fn malformed_tables_are_typed_errors_naming_file_and_line() {
    let dir = temp_dir("malformed");
    let text = valid_text();
    assert_eq!(text.lines().nth(10), Some("arch,jacov,synflow"));
    let replace = |from: &str, to: &str| {
        assert!(text.contains(from), "{from:?} not in {text}");
        text.replacen(from, to, 1)
    };
    let cases: Vec<(String, usize, &str)> = vec![
        (
            text.replacen("# naspred zero-cost table", "arch,jacov", 1),
            1,
            "not a zero-cost table",
        ),
        (replace("# seed: 0", "# sede: 0"), 5, "unknown header key"),
        (replace("# device: cpu", "# batch: 3"), 8, "given twice"),
        (replace("# batch: 64", "# batch: many"), 11, "batch"),
        (
            replace("arch,jacov,synflow", "arch,jacov,frobnicate"),
            11,
            "frobnicate",
        ),
        (replace("\n1,,3.5", "\n1,3.5"), 13, "1 values"),
        (replace("\n1,,3.5", "\n1,,NaN"), 13, "non-finite"),
        (replace("\n1,,3.5", "\n1,,3.5x"), 13, "3.5x"),
        (replace("\n1,,3.5", "\n15625,,3.5"), 13, "out of range"),
        (replace("\n1,,3.5", "\n0,,3.5"), 13, "given twice"),
    ];
    for (k, (bad, line, word)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("case{k}.csv"));
        std::fs::write(&path, &bad).unwrap();
        let e = ZcTable::read(&path).expect_err(word);
        let msg = e.to_string();
        match &e {
            TableError::Format {
                path: p, line: l, ..
            } => {
                assert_eq!((p.as_path(), *l), (path.as_path(), line), "{msg}");
            }
            other => panic!("case {k}: not a format error: {other}"),
        }
        assert!(msg.contains(word), "case {k}: {msg}");
        assert!(msg.contains(&format!("case{k}.csv, line {line}")), "{msg}");
    }
    // A truncated gzip stream is an I/O error naming the file.
    let path = dir.join("cut.csv.gz");
    let t = ZcTable::parse(&valid_text(), Path::new("x")).unwrap();
    t.write(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = ZcTable::read(&path).expect_err("truncated");
    assert!(
        matches!(e, TableError::Io { .. }) && e.to_string().contains("cut.csv.gz"),
        "{e}"
    );
}

/// A data root holding the repository's CIFAR-10 training images (linked) and a `zerocost/`
/// folder.
fn data_root_with_images(name: &str) -> DataRoot {
    let dir = temp_dir(name);
    let images = DataRoot::resolve(None)
        .file("cifar/train_5000.bin.gz")
        .unwrap();
    std::fs::create_dir_all(dir.join("cifar")).unwrap();
    std::os::unix::fs::symlink(images, dir.join("cifar/train_5000.bin.gz")).unwrap();
    std::fs::create_dir_all(dir.join(TABLE_DIR)).unwrap();
    DataRoot::new(dir)
}

fn query(p: &mut dyn Predictor, archs: &[AnyArch]) -> Vec<f64> {
    let inputs: Vec<ArchInput> = archs.iter().cloned().map(ArchInput::bare).collect();
    let mut rng = PredictorRng::seed_from_u64(0);
    let mut ctx = Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled: &[],
        rng: &mut rng,
    };
    p.fit(&[], &[], &mut ctx).unwrap();
    p.query(&inputs, &mut ctx).unwrap()
}

fn predictor(
    proxy: Proxy,
    batch: usize,
    root: &DataRoot,
    cache: &Path,
    tables: bool,
) -> ZeroCostPredictor {
    ZeroCostPredictor::new(proxy.key(), proxy)
        .with_settings(ZeroCostSettings {
            batch_size: batch,
            device: "cpu".into(),
            cache: Some(cache.to_path_buf()),
            tables,
            ..ZeroCostSettings::default()
        })
        .with_data_root(root.clone())
}

fn counts(p: &ZeroCostPredictor) -> (f64, f64) {
    let hp = p.hyperparams();
    (hp["zc_table_scores"], hp["zc_computed_scores"])
}

#[test]
fn the_predictor_reads_a_matching_table_and_computes_the_rest() {
    let root = data_root_with_images("predictor");
    let proxies = [Proxy::Jacov, Proxy::Synflow];
    let archs: Vec<AnyArch> = [2_345u32, 9_876, 13_579].into_iter().map(nb201).collect();
    // The table of the first two architectures, written from an engine's sweep.
    let settings = ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: 8,
        seed: 0,
        device: Device::Cpu,
    };
    let pool = naspred_zerocost::load_image_pool(&root, Dataset::Cifar10, None, 8).unwrap();
    let engine = ZcEngine::new(
        settings,
        Some(Arc::new(pool)),
        Arc::new(ScoreCache::in_memory()),
    );
    let scores = engine
        .score_sweep(&archs[..2], &proxies, 2, &|_, _| {})
        .unwrap();
    let table =
        ZcTable::from_scores(meta(SpaceKind::Nb201, 8), &proxies, &archs[..2], &scores).unwrap();
    table
        .write(&root.path().join(TABLE_DIR).join(table.meta().file_name()))
        .unwrap();

    for proxy in proxies {
        // Separate score caches, so that nothing computed by one predictor serves another.
        let cache = root.path().join(format!("{proxy}-computed.jsonl"));
        let mut computing = predictor(proxy, 8, &root, &cache, false);
        let computed = query(&mut computing, &archs);
        assert_eq!(counts(&computing), (0.0, 3.0));

        let cache = root.path().join(format!("{proxy}-table.jsonl"));
        let mut reading = predictor(proxy, 8, &root, &cache, true);
        let read = query(&mut reading, &archs);
        assert_eq!(counts(&reading), (2.0, 1.0), "{proxy}");
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&read), bits(&computed), "{proxy}");
        // Only the architecture the table lacks went to the score cache.
        assert_eq!(ScoreCache::open(&cache).unwrap().len(), 1, "{proxy}");
        // Each score read from the table is charged the table's mean seconds.
        let charged = reading.take_reused_seconds();
        let mean = table.meta().mean_seconds_of(proxy);
        assert!(
            mean > 0.0 && (charged - 2.0 * mean).abs() < 1e-12,
            "{charged} vs {mean}"
        );
    }
}

#[test]
fn tables_of_other_settings_are_not_used() {
    let root = data_root_with_images("other-settings");
    let dir = root.path().join(TABLE_DIR);
    let arch = nb201(42);
    // jacov reads images: a table of other images is not used; synflow reads none: its
    // table of batch 64 serves batch 8 (as the score cache shares it).
    let mut m = meta(SpaceKind::Nb201, 64);
    m.images = "path:/elsewhere/cifar".into();
    let mut t = ZcTable::new(m, &[Proxy::Jacov, Proxy::Synflow]).unwrap();
    t.push(&arch, vec![Some(-1.0), Some(7.0)]).unwrap();
    t.write(&dir.join(t.meta().file_name())).unwrap();
    let found = |p: Proxy, batch: usize, seed: u64| {
        find_table(&dir, SpaceKind::Nb201, Dataset::Cifar10, batch, seed, p)
            .unwrap()
            .is_some()
    };
    assert!(found(Proxy::Synflow, 8, 0) && found(Proxy::Jacov, 64, 0));
    assert!(!found(Proxy::Jacov, 8, 0) && !found(Proxy::Synflow, 8, 1));
    assert!(!found(Proxy::Nwot, 64, 0));

    let cache = root.path().join("zc.jsonl");
    let mut synflow = predictor(Proxy::Synflow, 8, &root, &cache, true);
    assert_eq!(query(&mut synflow, std::slice::from_ref(&arch)), vec![7.0]);
    assert_eq!(counts(&synflow), (1.0, 0.0));
    // The jacov table of batch 64 exists, but of other images.
    let mut jacov = predictor(Proxy::Jacov, 64, &root, &cache, true);
    let v = query(&mut jacov, &[arch]);
    assert_ne!(v, vec![-1.0]);
    assert_eq!(counts(&jacov), (0.0, 1.0));
}

/// A score as exact bits, a failure as its message.
fn exact(s: &ProxyScore) -> (Proxy, Result<u64, String>) {
    (
        s.proxy,
        s.value.clone().map(f64::to_bits).map_err(|e| e.to_string()),
    )
}

#[test]
fn a_sweep_returns_input_order_and_resumes_to_the_same_scores() {
    let root = DataRoot::resolve(None);
    let settings = ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: 8,
        seed: 0,
        device: Device::Cpu,
    };
    let pool =
        Arc::new(naspred_zerocost::load_image_pool(&root, Dataset::Cifar10, None, 8).unwrap());
    let proxies = [Proxy::Nwot, Proxy::Params, Proxy::Jacov];
    let archs: Vec<AnyArch> = [1_234u32, 5_678, 9_012, 12_345, 15_000]
        .into_iter()
        .map(nb201)
        .collect();
    let dir = temp_dir("sweep");
    let engine = |name: &str| {
        let cache = Arc::new(ScoreCache::open(&dir.join(name)).unwrap());
        ZcEngine::new(settings, Some(pool.clone()), cache)
    };
    let whole = engine("whole.jsonl")
        .score_sweep(&archs, &proxies, 2, &|_, _| {})
        .unwrap();
    // An interrupted sweep (a prefix), then the whole sweep resumed on the same cache.
    let resumed = engine("resumed.jsonl");
    resumed
        .score_sweep(&archs[..2], &proxies, 2, &|_, _| {})
        .unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let again = resumed
        .score_sweep(&archs, &proxies, 2, &|d, t| {
            seen.lock().unwrap().push((d, t))
        })
        .unwrap();
    let seen = seen.into_inner().unwrap();
    // Progress starts at the two cached architectures and counts the three computed.
    assert_eq!(seen.first(), Some(&(2, 5)));
    assert_eq!(seen.len(), 4);
    assert_eq!(seen.iter().map(|s| s.0).max(), Some(5));
    let values = |rows: &[Vec<ProxyScore>]| -> Vec<Vec<(Proxy, Result<u64, String>)>> {
        rows.iter().map(|r| r.iter().map(exact).collect()).collect()
    };
    assert_eq!(values(&again), values(&whole));
    // Each row holds the proxies in the order asked for, and the sequential computation's
    // scores.
    for (arch, row) in archs.iter().zip(&whole) {
        let one = naspred_zerocost::compute(arch, &proxies, &settings, Some(&pool)).unwrap();
        let expect: Vec<_> = one.iter().map(exact).collect();
        assert_eq!(values(std::slice::from_ref(row))[0], expect, "{arch}");
    }
}

#[test]
fn companions_are_computed_in_one_pass_with_the_scores_each_gives_alone() {
    let root = data_root_with_images("companions");
    let archs: Vec<AnyArch> = [11u32, 4_321, 15_000].into_iter().map(nb201).collect();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    // Each proxy alone, with its own cache.
    let alone = |proxy: Proxy| {
        let cache = root.path().join(format!("{proxy}-alone.jsonl"));
        query(&mut predictor(proxy, 8, &root, &cache, false), &archs)
    };
    let (snip, grad_norm, l2) = (
        alone(Proxy::Snip),
        alone(Proxy::GradNorm),
        alone(Proxy::L2Norm),
    );

    // snip with companions (itself and a repeat included) fills one shared cache.
    let cache = root.path().join("shared.jsonl");
    let with = |p: ZeroCostPredictor| {
        let mut s = p.settings().clone();
        s.companions = vec![Proxy::Snip, Proxy::GradNorm, Proxy::L2Norm, Proxy::GradNorm];
        p.with_settings(s)
    };
    let mut first = with(predictor(Proxy::Snip, 8, &root, &cache, false));
    assert_eq!(bits(&query(&mut first, &archs)), bits(&snip));
    // Charged its share of each pass only: never negative, never the companions' work.
    let adjust = first.take_reused_seconds();
    assert!(adjust <= 0.0, "{adjust}");
    assert_eq!(ScoreCache::open(&cache).unwrap().len(), 3 * archs.len());

    // The companions are now read from the cache, equal to computing them alone.
    for (proxy, want) in [(Proxy::GradNorm, &grad_norm), (Proxy::L2Norm, &l2)] {
        let mut p = with(predictor(proxy, 8, &root, &cache, false));
        assert_eq!(bits(&query(&mut p, &archs)), bits(want), "{proxy}");
        assert!(
            p.take_reused_seconds() > 0.0,
            "{proxy}: cached seconds charged"
        );
    }
    assert_eq!(ScoreCache::open(&cache).unwrap().len(), 3 * archs.len());
}
