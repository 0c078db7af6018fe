//! Zero-cost proxies on NB201 against NASLib's own values (`naslib_zc/`), on a subset of the
//! 491 sampled architectures to keep the test time low.

use std::sync::Arc;

use naspred_data::root::open_data_file;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_zerocost::{
    compute, load_image_pool, CacheKey, CachedScore, Proxy, ScoreCache, ZcEngine, ZcError,
    ZcSettings,
};
use tch::Device;

/// The data root: `NASPRED_DATA`, else the repository's `data/`.
fn root() -> DataRoot {
    DataRoot::resolve(None)
}

struct Row {
    arch: AnyArch,
    cols: Vec<(String, f64)>,
}

impl Row {
    fn get(&self, k: &str) -> f64 {
        self.cols.iter().find(|(c, _)| c == k).expect(k).1
    }
}

/// Every `step`-th row of the suite sample, `n` rows.
fn suite(n: usize, step: usize) -> Vec<Row> {
    let path = root()
        .file("naslib_zc/suite_zero_sample_nb201_cifar10.csv")
        .unwrap();
    let mut rdr = csv::Reader::from_reader(open_data_file(&path).unwrap());
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .step_by(step)
        .take(n)
        .map(|r| {
            let r = r.unwrap();
            let mut cols = Vec::new();
            let mut arch = None;
            for (h, v) in headers.iter().zip(r.iter()) {
                if h == "naslib_op_indices" {
                    arch = Some(AnyArch::Nb201(Nb201Arch::parse_naslib_tuple(v).unwrap()));
                } else if let Ok(x) = v.parse::<f64>() {
                    cols.push((h.to_string(), x));
                }
            }
            Row {
                arch: arch.unwrap(),
                cols,
            }
        })
        .collect()
}

fn settings(batch: usize) -> ZcSettings {
    ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: batch,
        seed: 0,
        device: Device::Cpu,
    }
}

fn value(s: &[naspred_zerocost::ProxyScore], p: Proxy) -> f64 {
    s.iter()
        .find(|x| x.proxy == p)
        .unwrap()
        .value
        .clone()
        .unwrap()
}

#[test]
fn params_and_flops_equal_naslib() {
    let rows = suite(40, 12);
    for r in &rows {
        let s = compute(&r.arch, &[Proxy::Params, Proxy::Flops], &settings(1), None).unwrap();
        for (p, k) in [(Proxy::Params, "params"), (Proxy::Flops, "flops")] {
            let ours = value(&s, p);
            let theirs = r.get(k);
            assert!(
                ((ours - theirs) / theirs).abs() < 1e-4,
                "{} {k}: ours {ours} NASLib {theirs}",
                r.arch
            );
        }
    }
}

#[test]
fn synflow_ranks_like_naslib() {
    let rows = suite(40, 12);
    let ours: Vec<f64> = rows
        .iter()
        .map(|r| {
            let s = compute(&r.arch, &[Proxy::Synflow], &settings(1), None).unwrap();
            value(&s, Proxy::Synflow)
        })
        .collect();
    let theirs: Vec<f64> = rows.iter().map(|r| r.get("synflow")).collect();
    let tau = kendall_tau_b(&theirs, &ours);
    assert!(tau >= 0.9, "synflow Kendall tau vs NASLib {tau}");
}

#[test]
fn image_proxies_rank_like_naslib_on_a_subset() {
    let rows = suite(40, 12);
    let images = load_image_pool(&root(), Dataset::Cifar10, None, 1).unwrap();
    let proxies = [
        Proxy::Jacov,
        Proxy::Snip,
        Proxy::GradNorm,
        Proxy::Grasp,
        Proxy::Fisher,
        Proxy::EpeNas,
        Proxy::L2Norm,
        Proxy::Plain,
        Proxy::Nwot,
        Proxy::Zen,
    ];
    let scores: Vec<_> = rows
        .iter()
        .map(|r| compute(&r.arch, &proxies, &settings(16), Some(&images)).unwrap())
        .collect();
    let val: Vec<f64> = rows.iter().map(|r| r.get("val_accuracy")).collect();
    for p in proxies {
        let ours: Vec<f64> = scores.iter().map(|s| value(s, p)).collect();
        let tau = kendall_tau_b(&val, &ours);
        if rows[0].cols.iter().any(|(c, _)| c == p.key()) {
            let theirs: Vec<f64> = rows.iter().map(|r| r.get(p.key())).collect();
            let tau_n = kendall_tau_b(&val, &theirs);
            // 40 archs: the standard error of tau is about 0.1.
            assert!(
                (tau - tau_n).abs() < 0.3,
                "{p}: tau vs val ours {tau:.3}, NASLib {tau_n:.3}"
            );
        } else {
            assert!(tau > 0.2, "{p}: tau vs val {tau:.3}");
        }
    }
}

#[test]
fn shared_passes_equal_separate_computation() {
    let rows = suite(2, 300);
    let images = load_image_pool(&root(), Dataset::Cifar10, None, 1).unwrap();
    for r in &rows {
        let all = compute(&r.arch, &Proxy::ALL, &settings(8), Some(&images)).unwrap();
        for p in Proxy::ALL {
            let alone = compute(&r.arch, &[p], &settings(8), Some(&images)).unwrap();
            let (a, b) = (value(&all, p), value(&alone, p));
            assert!(
                (a - b).abs() <= 1e-4 * a.abs().max(1e-6),
                "{p} on {}: shared {a} alone {b}",
                r.arch
            );
        }
    }
}

#[test]
fn non_finite_scores_are_failures() {
    // Every edge `none`: the network's output does not depend on the input, so the input
    // Jacobian is zero and its correlation matrix undefined.
    let arch = AnyArch::parse(
        SpaceKind::Nb201,
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    )
    .unwrap();
    let images = load_image_pool(&root(), Dataset::Cifar10, None, 1).unwrap();
    let s = compute(
        &arch,
        &[Proxy::Jacov, Proxy::Params],
        &settings(8),
        Some(&images),
    )
    .unwrap();
    assert!(s[0].value.is_err(), "jacov {:?}", s[0].value);
    assert!(s[1].value.is_ok());
}

#[test]
fn image_proxies_without_images_are_a_typed_error() {
    let arch = AnyArch::Nb201(Nb201Arch::from_index(100).unwrap());
    let e = compute(&arch, &[Proxy::Snip], &settings(8), None).unwrap_err();
    assert!(matches!(e, ZcError::NoImages { .. }), "{e}");
    // Image-free proxies work for every dataset.
    let s = ZcSettings {
        dataset: Dataset::ImageNet16_120,
        ..settings(8)
    };
    let r = compute(&arch, &[Proxy::Synflow, Proxy::Flops, Proxy::Zen], &s, None).unwrap();
    assert!(r.iter().all(|x| x.value.is_ok()));
}

#[test]
fn cache_survives_reopen_and_torn_lines() {
    let dir = std::env::temp_dir().join(format!("naspred-zc-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("scores.jsonl");
    let arch = AnyArch::Nb201(Nb201Arch::from_index(4242).unwrap());
    let s = settings(8);
    {
        let engine = ZcEngine::new(s, None, Arc::new(ScoreCache::open(&path).unwrap()));
        let (a, reused) = engine
            .score_reusing(&arch, &[Proxy::Synflow, Proxy::Params])
            .unwrap();
        assert_eq!(reused, 0.0, "nothing cached yet");
        assert_eq!(engine.cache().len(), 2);
        let (b, reused) = engine
            .score_reusing(&arch, &[Proxy::Params, Proxy::Synflow])
            .unwrap();
        assert_eq!(a[0].value, b[1].value);
        // Cache hits are charged the seconds recorded when they were computed.
        let spent: f64 = a.iter().map(|x| x.seconds).sum();
        assert!(spent > 0.0);
        assert!((reused - spent).abs() < 1e-12, "{reused} vs {spent}");
    }
    // An interrupted write leaves a torn line: it is skipped.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{\"space\":\"nb2"))
        .unwrap();
    let cache = ScoreCache::open(&path).unwrap();
    assert_eq!(cache.len(), 2);
    let key = CacheKey::new(
        "nb201",
        &arch.arch_hash().to_string(),
        Proxy::Synflow,
        "cifar10",
        99,
        0,
    );
    assert_eq!(key.batch, 0, "synflow reads no minibatch");
    let hit: CachedScore = cache.get(&key).unwrap();
    assert!(hit.value.unwrap() > 0.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn device_names_parse_and_missing_cuda_is_a_typed_error() {
    use naspred_zerocost::{parse_device, ZcError};
    assert_eq!(parse_device("cpu").unwrap(), tch::Device::Cpu);
    assert_eq!(parse_device(" CPU ").unwrap(), tch::Device::Cpu);
    assert!(matches!(
        parse_device("tpu"),
        Err(ZcError::UnknownDevice(d)) if d == "tpu"
    ));
    assert!(matches!(
        parse_device("cuda:x"),
        Err(ZcError::UnknownDevice(_))
    ));
    let n = if tch::Cuda::is_available() {
        tch::Cuda::device_count() as usize
    } else {
        0
    };
    // One past the last device is always unavailable, with a message naming it.
    match parse_device(&format!("cuda:{n}")) {
        Err(e @ ZcError::CudaUnavailable { available, .. }) => {
            assert_eq!(available, n);
            assert!(e.to_string().contains(&format!("cuda:{n}")), "{e}");
        }
        other => panic!("expected CudaUnavailable, got {other:?}"),
    }
    // `cuda` works exactly where libtorch has a CUDA device; `auto` never fails.
    assert_eq!(parse_device("cuda").is_ok(), n > 0);
    assert_eq!(
        parse_device("auto").unwrap(),
        if n > 0 {
            tch::Device::Cuda(0)
        } else {
            tch::Device::Cpu
        }
    );
}
