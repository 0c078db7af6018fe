//! Zero-cost NAS proxies on libtorch: the thirteen proxies of NASLib (`grad_norm`, `snip`,
//! `grasp`, `fisher`, `jacov`, `synflow`, `nwot`, `epe_nas`, `zen`, `l2_norm`, `plain`,
//! `params`, `flops`) and `jacov_faithful` computed on the networks of `naspred-nets`, with shared forward /
//! backward passes, an append-only on-disk score cache and the zero-cost predictors.
//!
//! ```
//! use naspred_data::Dataset;
//! use naspred_spaces::{AnyArch, SpaceKind};
//! use naspred_zerocost::{compute, Proxy, ZcSettings};
//! use tch::Device;
//!
//! let arch = AnyArch::parse(
//!     SpaceKind::Nb201,
//!     "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
//! )?;
//! let settings = ZcSettings { dataset: Dataset::Cifar10, batch_size: 8, seed: 0, device: Device::Cpu };
//! // Proxies that need no images (synflow feeds all-ones inputs); the others take an image batch.
//! for score in compute(&arch, &[Proxy::Params, Proxy::Flops, Proxy::Synflow], &settings, None)? {
//!     println!("{:?} = {:?} ({:.3} s)", score.proxy, score.value, score.seconds);
//!     assert!(score.value.is_ok());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Whole spaces: [`ZcEngine::score_sweep`] scores many architectures on several worker
//! threads (cache first, results in input order, resumable), keeping resident memory bounded
//! ([`memory`]); [`ZcTable`] is the compact precomputed table of a space ([`table`]) that the
//! [`ZeroCostPredictor`] reads before computing.
//!
//! Principal types: [`Proxy`] (a proxy by NASLib key), [`ZcSettings`] (dataset, batch size,
//! seed, device), [`compute`] (all requested proxies of one architecture, sharing passes),
//! [`ProxyScore`] (a score or a recorded failure, with seconds), [`ZcEngine`] (many
//! architectures through a [`ScoreCache`]), [`ZeroCostPredictor`] (a `naspred-eval`
//! predictor: no fit; query = score; its settings are a [`ZeroCostSettings`]) and [`ZcError`].
//!
//! Computation follows NASLib's `predictors/utils/pruners/measures` (spec §1.5, §5.8): one
//! minibatch drawn from the first 70 % of the training images with train augmentation,
//! cross-entropy on logits, BN in train mode; `synflow` on a BN-free float64 copy with
//! absolute weights and an all-ones input (the raw sum, not Develop's log transform: ranks
//! are the same); the paper runner's sign conventions per space (DARTS: `fisher`, `grad_norm`,
//! `snip` negated; NB101: `jacov` negated), except that DARTS `synflow` is not negated: NASLib's
//! published DARTS synflow (NAS-Bench-Suite-Zero) is the positive raw sum, and the runner's
//! negation made ours rank against it. `jacov_faithful` (not in `all`) is jacov as NASLib's
//! `ZeroCost` publishes it, never negated. A non-finite score is a recorded failure. DARTS
//! scores use NASLib's graph-based network, whose `params` and `flops` equal NASLib's published
//! values (docs/measurements/zerocost-fidelity.md).
//!
//! Images: [`load_image_pool`] reads the official CIFAR-10 / CIFAR-100 binary folders or single
//! CIFAR files (`--images`), else the data root's (5,000 CIFAR-10 training images, 20 CIFAR-100
//! images), normalised with NASLib's statistics of the dataset, and refuses a batch size the
//! pool cannot fill; ImageNet16-120 images are not supported yet.

pub mod cache;
pub mod compute;
pub mod engine;
pub mod memory;
pub mod predictor;
pub mod proxy;
pub mod table;

pub use cache::{
    score_version, CacheKey, CachedScore, ScoreCache, DARTS_SCORE_VERSION, SCORE_VERSION,
};
pub use compute::{compute, default_device, parse_device, ProxyFailure, ProxyScore, ZcSettings};
pub use engine::{default_images, load_image_pool, SweepRow, ZcEngine, TRAIN_PORTION};
pub use predictor::{ZeroCostPredictor, ZeroCostSettings};
pub use proxy::Proxy;
pub use table::{find_table, table_file_name, TableError, TableMeta, ZcTable, TABLE_DIR};

use std::path::PathBuf;

use naspred_data::Dataset;
use thiserror::Error;

/// Why zero-cost scores could not be computed.
#[derive(Debug, Error)]
pub enum ZcError {
    /// An unknown proxy name.
    #[error("unknown zero-cost proxy {0:?}; known: grad_norm, snip, grasp, fisher, jacov, synflow, nwot, epe_nas, zen, l2_norm, plain, params, flops (or all), jacov_faithful")]
    UnknownProxy(String),
    /// A setting that cannot be used (a batch size of 0, ...).
    #[error("invalid zero-cost setting: {0}")]
    InvalidSetting(String),
    /// A device name that is not `cpu`, `cuda`, `cuda:N` or `auto`.
    #[error("unknown device {0:?}; expected cpu, cuda, cuda:N or auto")]
    UnknownDevice(String),
    /// CUDA was asked for where libtorch sees no CUDA device (a CPU-only libtorch build, no
    /// GPU, or an index past the last device).
    #[error("device {requested:?}: libtorch sees {available} CUDA device(s) (CPU-only libtorch build or no GPU); use --device cpu or auto")]
    CudaUnavailable {
        /// The device asked for.
        requested: String,
        /// CUDA devices libtorch sees.
        available: usize,
    },
    /// The network could not be built (invalid architecture, unsupported space).
    #[error(transparent)]
    Net(#[from] naspred_nets::NetError),
    /// Image data could not be read.
    #[error(transparent)]
    Data(#[from] naspred_data::DataError),
    /// An image-based proxy was requested where no training images are available.
    #[error("no training images for {dataset}: image-based proxies need them (params, flops, l2_norm, synflow and zen need none)")]
    NoImages {
        /// The dataset.
        dataset: Dataset,
    },
    /// Images of a dataset this crate cannot read yet.
    #[error("no images for {dataset}: {reason}; image-based proxies need them (params, flops, l2_norm, synflow and zen need none)")]
    ImagesUnsupported {
        /// The dataset.
        dataset: Dataset,
        /// Why.
        reason: String,
    },
    /// The image pool cannot fill a minibatch of the requested size.
    #[error("a minibatch of {batch_size} images cannot be filled from {}: it holds {images} images and NASLib draws minibatches from the first 70 % ({available}); use a batch size of at most {available}, or point --images at a larger set (the official CIFAR binary folder)", .origin.display())]
    BatchTooLarge {
        /// The batch size asked for.
        batch_size: usize,
        /// Images minibatches can be drawn from.
        available: usize,
        /// Images in the pool.
        images: usize,
        /// Where the images come from.
        origin: PathBuf,
    },
    /// libtorch failed on an architecture.
    #[error("libtorch failed on {arch}: {message}")]
    Torch {
        /// The architecture.
        arch: String,
        /// libtorch's message.
        message: String,
    },
    /// A precomputed score table could not be read, written or built.
    #[error(transparent)]
    Table(#[from] TableError),
    /// A sweep's worker thread panicked outside the guarded computation.
    #[error("zero-cost sweep: {0}")]
    Sweep(String),
    /// The score cache could not be read or written.
    #[error("score cache {path}: {message}")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}
