//! All 13 proxies on one NB201 architecture on CPU at batch 64, against the floor: one
//! forward + backward (cross-entropy) of the same network on the same batch.

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::{DataRoot, Dataset};
use naspred_nets::{NetConfig, Network, Trace};
use naspred_spaces::AnyArch;
use naspred_spaces::SpaceKind;
use naspred_zerocost::compute::Minibatch;
use naspred_zerocost::{compute, load_image_pool, Proxy, ZcSettings};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Kind, Tensor};

fn bench(c: &mut Criterion) {
    let root = DataRoot::resolve(None);
    let images = load_image_pool(&root, Dataset::Cifar10, None, 64).expect("CIFAR-10 images");
    let arch = AnyArch::parse(
        SpaceKind::Nb201,
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    )
    .unwrap();
    let settings = ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: 64,
        seed: 0,
        device: Device::Cpu,
    };
    let mut g = c.benchmark_group("nb201_cpu_batch64");
    g.sample_size(10);
    let net = Network::build(
        &arch,
        NetConfig {
            classes: 10,
            seed: 1,
            device: Device::Cpu,
        },
    )
    .unwrap();
    let mb = Minibatch::draw(&images, 64, &mut ChaCha8Rng::seed_from_u64(0), Device::Cpu).unwrap();
    g.bench_function("floor_forward_backward", |b| {
        b.iter(|| {
            let (y, _) = net.forward(&mb.x, true, Trace::default());
            let loss = y.cross_entropy_for_logits(&mb.y);
            let w = net.store.prunable_weights();
            let g: Vec<Tensor> = Tensor::run_backward(&[&loss], &w, false, false);
            g[0].sum(Kind::Float).double_value(&[])
        })
    });
    g.bench_function("all_13", |b| {
        b.iter(|| compute(&arch, &Proxy::ALL, &settings, Some(&images)).unwrap())
    });
    for p in Proxy::ALL {
        g.bench_function(p.key(), |b| {
            b.iter(|| compute(&arch, &[p], &settings, Some(&images)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
