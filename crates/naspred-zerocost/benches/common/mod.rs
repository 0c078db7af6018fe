//! What the `proxies` bench and the `zc_floor` example share: one typical architecture per
//! space, the CIFAR-10 image pool, the settings (CPU, batch 64) and the floor, one forward +
//! backward of the cross-entropy of the same network on the same minibatch as `compute`
//! builds and draws.

#![allow(dead_code)]

use naspred_data::cifar::ImageBatch;
use naspred_data::{DataRoot, Dataset};
use naspred_nets::{NetConfig, Network, Trace};
use naspred_spaces::darts::DartsArch;
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_zerocost::compute::{arch_seed, Minibatch};
use naspred_zerocost::{load_image_pool, ZcSettings};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Tensor};

/// The minibatch size of the floor and of every measurement.
pub const BATCH: usize = 64;

/// One typical architecture of a space.
pub struct Case {
    /// Short name (`nb201`, `nb101`, `darts`).
    pub name: &'static str,
    /// The architecture.
    pub arch: AnyArch,
}

/// NB201: five 3x3 convolutions and one skip (the bench's architecture before issue 18);
/// NB101: the median-size cell of the 20k NB101 table (5.36 M parameters, two 3x3 and one
/// 1x1 convolution, two max-pools); DARTS: the first genotype of NASLib's NB301 sample.
pub fn cases() -> Vec<Case> {
    let nb201 = AnyArch::parse(
        SpaceKind::Nb201,
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    )
    .expect("NB201 architecture");
    let nb101 = AnyArch::parse(
        SpaceKind::Nb101,
        "0100000001101000000010000110000001000000010000000;\
         input,maxpool3x3,maxpool3x3,conv3x3-bn-relu,conv1x1-bn-relu,conv3x3-bn-relu,output",
    )
    .expect("NB101 architecture");
    let darts = AnyArch::Darts(
        DartsArch::from_op_lists(
            "sep_conv_5x5~0 sep_conv_3x3~1 skip_connect~0 sep_conv_3x3~2 sep_conv_3x3~2 sep_conv_3x3~0 dil_conv_5x5~2 dil_conv_3x3~3",
            "sep_conv_3x3~0 sep_conv_3x3~1 avg_pool_3x3~1 dil_conv_3x3~0 sep_conv_3x3~2 skip_connect~0 sep_conv_5x5~4 avg_pool_3x3~3",
        )
        .expect("DARTS genotype"),
    );
    vec![
        Case {
            name: "nb201",
            arch: nb201,
        },
        Case {
            name: "nb101",
            arch: nb101,
        },
        Case {
            name: "darts",
            arch: darts,
        },
    ]
}

/// CPU, CIFAR-10, batch [`BATCH`], seed 0.
pub fn settings() -> ZcSettings {
    ZcSettings {
        dataset: Dataset::Cifar10,
        batch_size: BATCH,
        seed: 0,
        device: Device::Cpu,
    }
}

/// The data root's CIFAR-10 training images.
pub fn images() -> ImageBatch {
    load_image_pool(&DataRoot::resolve(None), Dataset::Cifar10, None, BATCH)
        .expect("CIFAR-10 images")
}

/// The floor of one architecture: its network as `compute` builds it and a minibatch of
/// [`BATCH`] images.
pub struct Floor {
    net: Network,
    mb: Minibatch,
}

impl Floor {
    /// Builds the network and draws the minibatch.
    pub fn new(arch: &AnyArch, images: &ImageBatch) -> Floor {
        let s = settings();
        let net = Network::build(
            arch,
            NetConfig {
                classes: s.classes(),
                seed: arch_seed(arch, s.seed),
                device: s.device,
            },
        )
        .expect("network");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mb = Minibatch::draw(images, BATCH, &mut rng, s.device).expect("minibatch");
        Floor { net, mb }
    }

    /// One forward (BN in train mode) and one backward of the cross-entropy to the conv /
    /// linear weights; returns the first gradient's sum so that nothing is optimised away.
    pub fn run(&self) -> f64 {
        let (y, _) = self.net.forward(&self.mb.x, true, Trace::default());
        let loss = y.cross_entropy_for_logits(&self.mb.y);
        let w = self.net.store.prunable_weights();
        let g: Vec<Tensor> = Tensor::run_backward(&[&loss], &w, false, false);
        g[0].sum(tch::Kind::Float).double_value(&[])
    }
}
