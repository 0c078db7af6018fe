//! Networks built from NAS architectures on libtorch (through `tch`), for zero-cost proxies
//! and training.
//!
//! ```
//! use naspred_nets::{NetConfig, Network};
//! use naspred_spaces::{AnyArch, SpaceKind};
//! use tch::{Device, Kind, Tensor};
//!
//! let arch = AnyArch::parse(
//!     SpaceKind::Nb201,
//!     "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
//! )?;
//! let cfg = NetConfig { classes: 10, seed: 0, device: Device::Cpu };
//! let net = Network::build(&arch, cfg)?;
//! println!("{} parameters", net.store.num_params());
//! let logits = net.forward_eval(&Tensor::randn([2, 3, 32, 32], (Kind::Float, Device::Cpu)));
//! assert_eq!(logits.size(), [2, 10]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Principal types: [`Network`] (an architecture's network: structure plus a [`Store`] of
//! parameters), [`NetConfig`] (classes, input side, seed, device), [`Fwd`] (one traced forward
//! pass), [`Trace`] (what a pass records: conv / linear outputs, ReLU inputs, the pre-pool
//! feature map, tensorwatch-style FLOPs and parameter counts) and [`NetError`].
//!
//! * [`nb201::Nb201Net`]: NAS-Bench-201's TinyNetwork (C = 16, N = 5 cells per stage) as
//!   NASLib's graph builds it: a [`nb201::Skeleton`] (stem, stages, residual blocks, head) of
//!   one architecture's cells. The skeleton and [`nb201::cell_forward`] are public so that
//!   `naspred-train`'s weight-sharing supernet reuses them with cells holding every op.
//! * [`nb101::Nb101Net`]: NAS-Bench-101's network (stem 128, 3 stacks x 3 cells) with
//!   nasbench's channel rule and NASLib's initialisation.
//! * [`darts::DartsNet`]: the DARTS network (C = 32, 8 cells) of a genotype as NASLib's
//!   graph-based search space builds it (non-affine BN in the cell ops, a BN after each
//!   pool), whose parameters and FLOPs equal NASLib's published values.
//!
//! Weights are drawn in Rust from a seeded ChaCha8 stream ([`layers::Builder`]), so a network
//! is identical on CPU and CUDA and independent of libtorch's global generator; PyTorch's
//! default initialisation is reproduced (uniform `±1/sqrt(fan_in)`, BN weight 1 / bias 0).

pub mod darts;
pub mod layers;
pub mod nb101;
pub mod nb201;

pub use layers::{Fwd, InitScheme, Store, Trace};

use naspred_spaces::AnyArch;
use tch::{Device, Tensor};
use thiserror::Error;

/// Why a network could not be built.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum NetError {
    /// The architecture is not valid for its space.
    #[error("invalid {space} architecture {arch}: {reason}")]
    InvalidArch {
        /// The space.
        space: String,
        /// The architecture's text form.
        arch: String,
        /// What is wrong.
        reason: String,
    },
    /// The space has no network here.
    #[error("no network for the {0} space")]
    Unsupported(String),
}

/// How to build a network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetConfig {
    /// Output classes.
    pub classes: i64,
    /// Seed of the weight initialisation.
    pub seed: u64,
    /// Device of the parameters.
    pub device: Device,
}

/// The structure of an architecture's network.
#[derive(Clone, Debug)]
pub enum NetKind {
    /// NAS-Bench-201 TinyNetwork.
    Nb201(nb201::Nb201Net),
    /// NAS-Bench-101 network.
    Nb101(nb101::Nb101Net),
    /// DARTS network (NASLib's graph-based NB301 model).
    Darts(darts::DartsNet),
}

/// An architecture's network: its structure and parameters.
pub struct Network {
    /// The structure.
    pub kind: NetKind,
    /// The parameters.
    pub store: Store,
}

impl Network {
    /// Builds the network of `arch` with freshly initialised weights.
    pub fn build(arch: &AnyArch, cfg: NetConfig) -> Result<Network, NetError> {
        arch.validate().map_err(|e| NetError::InvalidArch {
            space: arch.space().to_string(),
            arch: arch.to_string(),
            reason: e.to_string(),
        })?;
        match arch {
            AnyArch::Nb201(a) => {
                let (net, store) = nb201::Nb201Net::build(
                    a,
                    nb201::Nb201Config {
                        classes: cfg.classes,
                        ..Default::default()
                    },
                    cfg.seed,
                    cfg.device,
                );
                Ok(Network {
                    kind: NetKind::Nb201(net),
                    store,
                })
            }
            AnyArch::Nb101(a) => {
                let (net, store) = nb101::Nb101Net::build(a, cfg.classes, cfg.seed, cfg.device)?;
                Ok(Network {
                    kind: NetKind::Nb101(net),
                    store,
                })
            }
            AnyArch::Darts(a) => {
                let (net, store) = darts::DartsNet::build(a, cfg.classes, cfg.seed, cfg.device);
                Ok(Network {
                    kind: NetKind::Darts(net),
                    store,
                })
            }
            other => Err(NetError::Unsupported(other.space().to_string())),
        }
    }

    /// Builds the NB201 network of `arch` at a chosen size (`nb201.c` channels in the first
    /// stage, `nb201.n` cells per stage; `cfg.classes` overrides `nb201.classes`), for training
    /// reduced networks. Other spaces are built as [`Network::build`] builds them.
    pub fn build_sized(
        arch: &AnyArch,
        cfg: NetConfig,
        nb201: nb201::Nb201Config,
    ) -> Result<Network, NetError> {
        match arch {
            AnyArch::Nb201(a) => {
                arch.validate().map_err(|e| NetError::InvalidArch {
                    space: arch.space().to_string(),
                    arch: arch.to_string(),
                    reason: e.to_string(),
                })?;
                let (net, store) = nb201::Nb201Net::build(
                    a,
                    nb201::Nb201Config {
                        classes: cfg.classes,
                        ..nb201
                    },
                    cfg.seed,
                    cfg.device,
                );
                Ok(Network {
                    kind: NetKind::Nb201(net),
                    store,
                })
            }
            _ => Network::build(arch, cfg),
        }
    }

    /// The network's output with BN in evaluation mode (running statistics), as PyTorch's
    /// `model.eval()`; nothing is traced.
    pub fn forward_eval(&self, x: &Tensor) -> Tensor {
        let mut f = Fwd::new(&self.store, true, Trace::default()).eval_mode();
        match &self.kind {
            NetKind::Nb201(n) => n.forward(&mut f, x),
            NetKind::Nb101(n) => n.forward(&mut f, x),
            NetKind::Darts(n) => n.forward(&mut f, x),
        }
    }

    /// The same structure with parameters transformed by `f`.
    pub fn map_params(&self, f: impl Fn(&Tensor) -> Tensor) -> Network {
        Network {
            kind: self.kind.clone(),
            store: self.store.map(f),
        }
    }

    /// Runs the network on `x` with BN on or off, recording what `trace` asks for.
    pub fn forward(&self, x: &Tensor, bn: bool, trace: Trace) -> (Tensor, Trace) {
        let mut f = Fwd::new(&self.store, bn, trace);
        let y = match &self.kind {
            NetKind::Nb201(n) => n.forward(&mut f, x),
            NetKind::Nb101(n) => n.forward(&mut f, x),
            NetKind::Darts(n) => n.forward(&mut f, x),
        };
        (y, f.trace)
    }

    /// FLOPs and parameters as NASLib reports them (tensorwatch's `ModelStats` with a batch-1
    /// input of `[1, 3, side, side]`): in raw counts.
    pub fn model_stats(&self, side: i64) -> (f64, f64) {
        let dev = self.store.params[0].device();
        let x = Tensor::zeros([1, 3, side, side], (layers::store_kind(&self.store), dev));
        let _g = tch::no_grad_guard();
        let (_, t) = self.forward(
            &x,
            false,
            Trace {
                want_stats: true,
                ..Default::default()
            },
        );
        (t.flops, t.params)
    }
}
