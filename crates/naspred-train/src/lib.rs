//! Training of NAS architectures' networks on real images, with libtorch through `tch`.
//!
//! ```
//! use naspred_data::DataRoot;
//! use naspred_spaces::{AnyArch, SpaceKind};
//! use naspred_train::bench::NetSize;
//! use naspred_train::run::build_net;
//! use naspred_train::{train_network, TrainConfig, TrainData};
//! use tch::Device;
//!
//! // Two epochs of a reduced NAS-Bench-201 network on 200 CIFAR-10 images at 16 x 16.
//! let data = TrainData::shared_cifar10(&DataRoot::resolve(None), 16, Some(200))?;
//! let arch = AnyArch::parse(
//!     SpaceKind::Nb201,
//!     "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|",
//! )?;
//! let size = NetSize { channels: 8, cells: 1, image_size: 16 };
//! let net = build_net(&arch, size, 10, 1, Device::Cpu)?;
//! let mut cfg = TrainConfig::nb201(2, 16);
//! cfg.batch_size = 50;
//! let curve = train_network(&net, &data, &cfg, &mut |epoch, s| {
//!     println!("epoch {epoch}: train loss {:.3}, val acc {:.1} %", s.train_loss, s.val_acc)
//! })?;
//! assert_eq!(curve.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Principal types: [`TrainConfig`] (the schedule: SGD with Nesterov momentum, cosine
//! learning rate, weight decay, crop + flip augmentation), [`EpochStats`] (per-epoch train /
//! validation loss and accuracy, wall times), [`TrainData`] / [`data::Split`] (CIFAR binary
//! records at 32 x 32 or 2 x 2-average-pooled 16 x 16), [`bench::BenchHeader`] /
//! [`bench::ArchRun`] / [`bench::RunLog`] (the benchmark file and its resumable run log),
//! [`supernet::Nb201Supernet`] (NAS-Bench-201 weight-sharing supernet), [`WsPredictor`] (the
//! `oneshot` and `rsws` predictors) and [`TrainError`].
//!
//! * [`train_network`] trains one network of `naspred-nets`; [`run::train_benchmark`] trains
//!   a list of architectures into a benchmark file that [`bench::read_benchmark`] loads as a
//!   [`naspred_data::Benchmark`] with per-epoch curves.
//! * Deterministic for a seed on CPU: every random draw (data order, crops, flips, weights,
//!   supernet paths) comes from seeded ChaCha8 streams in Rust; run with one intra-op thread
//!   (`tch::set_num_threads(1)`) for bit-identical results.

pub mod bench;
pub mod data;
pub mod predictor;

pub mod run;
pub mod supernet;

pub mod trainer;

pub use data::TrainData;
pub use predictor::{WsMode, WsPredictor};

pub use trainer::{train_loop, train_network, EpochStats, Sgd, TrainConfig};

use std::path::Path;

use thiserror::Error;

/// Why training could not run or its files could not be read.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A setting is invalid.
    #[error("invalid training setting: {0}")]
    Config(String),
    /// Image data could not be read.
    #[error(transparent)]
    Data(#[from] naspred_data::DataError),
    /// A network could not be built.
    #[error(transparent)]
    Net(#[from] naspred_nets::NetError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A benchmark file or run log is malformed.
    #[error("malformed training output: {0}")]
    Format(String),
}

impl TrainError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
