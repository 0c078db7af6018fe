//! Training on the real CIFAR-10 images of the repository's `data/cifar`: loss decreases, curves have the declared length,
//! runs are deterministic, resumption skips finished architectures, and the one-hot supernet
//! equals the stand-alone network.

use naspred_data::DataRoot;
use naspred_nets::nb201::Nb201Config;
use naspred_nets::{NetConfig, Network};
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_train::bench::{self, NetSize};
use naspred_train::run::{self, Progress};
use naspred_train::supernet::{self, Nb201Supernet};
use naspred_train::{train_network, TrainConfig, TrainData};
use tch::Device;

/// The data root: `NASPRED_DATA`, else the repository's `data/`.
fn root() -> DataRoot {
    DataRoot::resolve(None)
}

const ARCH: &str =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";

fn arch(s: &str) -> AnyArch {
    AnyArch::parse(SpaceKind::Nb201, s).unwrap()
}

fn small_cfg(epochs: u32) -> TrainConfig {
    let mut c = TrainConfig::nb201(epochs, 16);
    c.batch_size = 50;
    c.lr = 0.05;
    c
}

#[test]
fn tiny_network_learns_on_real_images() {
    tch::set_num_threads(1);
    let data = TrainData::shared_cifar10(&root(), 16, Some(500)).unwrap();
    assert_eq!(data.train.len(), 500);
    assert_eq!(data.val.len(), 1000);
    let size = NetSize {
        channels: 8,
        cells: 1,
        image_size: 16,
    };
    let net = run::build_net(&arch(ARCH), size, 10, 1, Device::Cpu).unwrap();
    let stats = train_network(&net, &data, &small_cfg(3), &mut |_, _| {}).unwrap();
    assert_eq!(stats.len(), 3);
    let l: Vec<f64> = stats.iter().map(|s| s.train_loss).collect();
    assert!(l[2] < l[0] - 0.05, "train loss did not decrease: {l:?}");
    assert!(
        l[0] < 2.6 && l[0] > 1.5,
        "first-epoch loss {} is not near ln 10",
        l[0]
    );
    assert!(
        stats[2].val_acc > 15.0,
        "validation accuracy after 3 epochs is chance level: {:?}",
        stats
    );
    for s in &stats {
        assert!(s.val_loss.is_finite() && s.train_s > 0.0);
    }
}

#[test]
fn training_is_deterministic_for_a_seed() {
    tch::set_num_threads(1);
    let data = TrainData::shared_cifar10(&root(), 16, Some(200)).unwrap();
    let size = NetSize {
        channels: 4,
        cells: 1,
        image_size: 16,
    };
    let run_once = || {
        let net = run::build_net(&arch(ARCH), size, 10, 7, Device::Cpu).unwrap();
        train_network(&net, &data, &small_cfg(2), &mut |_, _| {}).unwrap()
    };
    let (a, b) = (run_once(), run_once());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.train_loss, y.train_loss);
        assert_eq!(x.val_acc, y.val_acc);
        assert_eq!(x.val_loss, y.val_loss);
    }
}

#[test]
fn benchmark_resumes_and_has_declared_curve_length() {
    tch::set_num_threads(1);
    let data = TrainData::shared_cifar10(&root(), 16, Some(100)).unwrap();
    let dir = std::env::temp_dir().join(format!("naspred-train-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("mini.jsonl.gz");
    let size = NetSize {
        channels: 4,
        cells: 1,
        image_size: 16,
    };
    let cfg = small_cfg(2);
    let header = run::header(SpaceKind::Nb201, &data, size, &cfg);
    let archs = vec![
        arch(ARCH),
        arch("|skip_connect~0|+|none~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|skip_connect~2|"),
        arch("|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|"),
    ];
    let mut trained = Vec::new();
    run::train_benchmark(&archs[..2], &data, &header, &out, &mut |p| {
        if let Progress::Done(a, _) = p {
            trained.push(a.to_string())
        }
    })
    .unwrap();
    assert_eq!(trained.len(), 2);
    let first = bench::read_runs(&out).unwrap().1;
    let (mut skipped, mut trained2) = (Vec::new(), Vec::new());
    run::train_benchmark(&archs, &data, &header, &out, &mut |p| match p {
        Progress::Skipped(a) => skipped.push(a.to_string()),
        Progress::Done(a, _) => trained2.push(a.to_string()),
        _ => {}
    })
    .unwrap();
    assert_eq!(skipped, vec![archs[0].to_string(), archs[1].to_string()]);
    assert_eq!(trained2, vec![archs[2].to_string()]);
    let (_, runs) = bench::read_runs(&out).unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(&runs[..2], &first[..], "resumed runs changed");
    let b = bench::read_benchmark(&out).unwrap();
    assert_eq!(b.len(), 3);
    assert_eq!(b.total_epochs(), 2);
    for r in b.records() {
        let c = r.curves.as_ref().unwrap();
        assert_eq!(c.val_acc.len(), 2);
        assert_eq!(c.train_loss.len(), 2);
        assert_eq!(c.val_loss.len(), 2);
        assert_eq!(c.epoch_times_s.len(), 2);
        assert_eq!(r.val_acc, vec![c.val_acc[1]]);
    }
    // Another schedule with the same output is refused, not mixed in.
    let mut other = header.clone();
    other.train.epochs = 3;
    assert!(run::train_benchmark(&archs, &data, &other, &out, &mut |_| {}).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_hot_supernet_equals_standalone_network() {
    tch::set_num_threads(1);
    let data = TrainData::shared_cifar10(&root(), 16, Some(100)).unwrap();
    let (c, n) = (4, 2);
    let sup = Nb201Supernet::new(c, n, 10, 3, Device::Cpu);
    // Make BN and weights non-trivial: a few one-shot steps would do, but a perturbation of
    // every parameter is enough to make a wrong mapping visible.
    tch::no_grad(|| {
        for (i, p) in sup.store.params.iter().enumerate() {
            let _ = p
                .shallow_clone()
                .f_add_scalar_(0.01 * ((i % 7) as f64 - 3.0));
        }
    });
    let (x, _) = data.train.batch(&(0..32).collect::<Vec<_>>(), Device::Cpu);
    for s in [
        ARCH,
        "|none~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|",
        "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    ] {
        let a = arch(s);
        let AnyArch::Nb201(a201) = &a else { unreachable!() };
        let mut net = Network::build_sized(
            &a,
            NetConfig {
                classes: 10,
                seed: 99,
                device: Device::Cpu,
            },
            Nb201Config { c, n, classes: 10 },
        )
        .unwrap();
        let (params, bufs) = sup.standalone_store(a201);
        assert_eq!(params.len(), net.store.params.len(), "{s}");
        for (p, q) in params.iter().zip(&net.store.params) {
            assert_eq!(p.size(), q.size(), "{s}");
        }
        net.store.params = params;
        net.store.buffers = bufs;
        let y_sup = sup.forward(&x, &supernet::one_hot(a201), false);
        let (y_net, _) = net.forward(&x, true, Default::default());
        let diff = (&y_sup - &y_net).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "{s}: max difference {diff}");
        let scale = y_net.abs().max().double_value(&[]);
        assert!(scale > 1e-3);
        // And the all-ones supernet is a different function.
        let y_all = sup.forward(&x, &supernet::ALL_ONES, false);
        assert!((&y_all - &y_net).abs().max().double_value(&[]) > 1e-3);
    }
}

#[test]
fn weight_sharing_predictors_fit_and_query() {
    use naspred_eval::{ArchInput, Context, Predictor, PredictorRng};
    use naspred_train::{WsMode, WsPredictor};
    use rand::SeedableRng;
    use std::sync::Arc;
    tch::set_num_threads(1);
    let mut data = TrainData::shared_cifar10(&root(), 16, Some(200)).unwrap();
    data.val = data.val.balanced(100);
    let data = Arc::new(data);
    let test: Vec<ArchInput> = [
        ARCH,
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|avg_pool_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|skip_connect~1|avg_pool_3x3~2|",
    ]
    .iter()
    .map(|s| ArchInput::bare(arch(s)))
    .collect();
    for mode in [WsMode::OneShot, WsMode::RandomSampling] {
        let mut p = WsPredictor::new("ws", mode).with_data(data.clone());
        p.settings.epochs = 2;
        p.settings.channels = 4;
        p.settings.train_images = 200;
        p.settings.val_images = 100;
        assert!(p.requirements().trains);
        let mut rng = PredictorRng::seed_from_u64(1);
        let mut ctx = Context {
            space: SpaceKind::Nb201,
            dataset: naspred_data::Dataset::Cifar10,
            fidelity: None,
            total_epochs: 200,
            unlabeled: &[],
            rng: &mut rng,
        };
        assert!(p.query(&test, &mut ctx).is_err(), "query before fit");
        p.fit(&[], &[], &mut ctx).unwrap();
        assert_eq!(p.history().len(), 2);
        assert!(p.history()[1].train_loss < 2.4);
        let s = p.query(&test, &mut ctx).unwrap();
        assert_eq!(s.len(), 3);
        assert!(s.iter().all(|v| (0.0..=100.0).contains(v)));
        // The all-zero architecture outputs a constant: chance level (10 % of a balanced set).
        assert!((s[1] - 10.0).abs() < 1e-9, "{mode:?}: {s:?}");
        let mut ctx2 = Context {
            space: SpaceKind::Nb101,
            dataset: naspred_data::Dataset::Cifar10,
            fidelity: None,
            total_epochs: 108,
            unlabeled: &[],
            rng: &mut rng,
        };
        assert!(p.fit(&[], &[], &mut ctx2).is_err());
    }
}
