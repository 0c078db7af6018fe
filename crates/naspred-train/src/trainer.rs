//! The training loop: SGD with Nesterov momentum and weight decay, a cosine learning rate per
//! epoch, cross-entropy on the augmented training images, and per-epoch training and
//! validation loss / accuracy with wall times.
//!
//! The loop works on any set of parameter tensors and two forward closures (training mode,
//! evaluation mode), so the stand-alone networks of `naspred-nets` and the weight-sharing
//! supernets of [`crate::supernet`] share it. All randomness (the epoch's data order, crops,
//! flips, supernet paths) comes from one seeded ChaCha8 stream, so a run is deterministic on
//! CPU with a single intra-op thread.

use std::time::Instant;

use naspred_nets::Network;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::data::{Split, TrainData};
use crate::TrainError;

/// How a network is trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Epochs.
    pub epochs: u32,
    /// Minibatch size.
    pub batch_size: usize,
    /// Initial learning rate (NB201: 0.1).
    pub lr: f64,
    /// Learning rate the cosine schedule ends at (NB201: 0).
    pub lr_min: f64,
    /// Momentum (0.9).
    pub momentum: f64,
    /// Nesterov momentum (NB201: yes).
    pub nesterov: bool,
    /// L2 weight decay added to the gradients (NB201: 5e-4).
    pub weight_decay: f64,
    /// Gradient-norm clipping (`None`: off; DARTS-style supernets: 5).
    pub grad_clip: Option<f64>,
    /// Zero padding of the random crop (4 at 32 x 32, 2 at 16 x 16).
    pub crop_padding: usize,
    /// Random horizontal flips.
    pub flip: bool,
    /// Seed of the data order and augmentation stream (and of the weights, for networks the
    /// trainer builds).
    pub seed: u64,
    /// Device.
    #[serde(skip, default = "cpu")]
    pub device: Device,
}

fn cpu() -> Device {
    Device::Cpu
}

impl TrainConfig {
    /// NAS-Bench-201's schedule (SGD, Nesterov momentum 0.9, lr 0.1 cosine to 0, weight decay
    /// 5e-4, batch 256, crop + flip) for `epochs` epochs at side `side`.
    pub fn nb201(epochs: u32, side: usize) -> Self {
        TrainConfig {
            epochs,
            batch_size: 256,
            lr: 0.1,
            lr_min: 0.0,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 5e-4,
            grad_clip: None,
            crop_padding: side / 8,
            flip: true,
            seed: 0,
            device: Device::Cpu,
        }
    }

    /// The learning rate of epoch `e` (0-based): cosine annealing from `lr` to `lr_min` over
    /// the epochs, stepped once per epoch as PyTorch's `CosineAnnealingLR`.
    pub fn lr_at(&self, e: u32) -> f64 {
        let t = e as f64 / self.epochs.max(1) as f64;
        self.lr_min + 0.5 * (self.lr - self.lr_min) * (1.0 + (std::f64::consts::PI * t).cos())
    }

    /// Checks the values.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.epochs == 0 {
            return Err(TrainError::Config("epochs must be positive".into()));
        }
        if self.batch_size == 0 {
            return Err(TrainError::Config("batch size must be positive".into()));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) || self.lr_min < 0.0 {
            return Err(TrainError::Config(format!(
                "learning rate {} / minimum {} must be positive / non-negative",
                self.lr, self.lr_min
            )));
        }
        if !(0.0..1.0).contains(&self.momentum) || self.weight_decay < 0.0 {
            return Err(TrainError::Config(format!(
                "momentum {} must be in [0, 1) and weight decay {} non-negative",
                self.momentum, self.weight_decay
            )));
        }
        Ok(())
    }
}

/// What one epoch measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// Mean cross-entropy over the epoch's (augmented) training images.
    pub train_loss: f64,
    /// Training accuracy in percent (on the augmented images, as the batches were seen).
    pub train_acc: f64,
    /// Mean cross-entropy on the validation images (BN in evaluation mode).
    pub val_loss: f64,
    /// Validation accuracy in percent.
    pub val_acc: f64,
    /// Wall seconds of the epoch's training (forward, backward, update).
    pub train_s: f64,
    /// Wall seconds of the epoch's validation pass.
    pub eval_s: f64,
}

/// SGD with momentum (optionally Nesterov) and L2 weight decay, as `torch.optim.SGD`.
pub struct Sgd {
    momentum: f64,
    nesterov: bool,
    weight_decay: f64,
    bufs: Vec<Option<Tensor>>,
}

impl Sgd {
    /// An optimiser for `n` parameter tensors.
    pub fn new(n: usize, momentum: f64, nesterov: bool, weight_decay: f64) -> Self {
        Sgd {
            momentum,
            nesterov,
            weight_decay,
            bufs: (0..n).map(|_| None).collect(),
        }
    }

    /// One update of `params` from their gradients at learning rate `lr`, after clipping the
    /// total gradient norm to `clip`; the gradients are zeroed afterwards. Parameters without
    /// a gradient (ops not on this step's path) are left unchanged, momentum included.
    pub fn step(&mut self, params: &[Tensor], lr: f64, clip: Option<f64>) {
        self.step_masked(params, lr, clip, None)
    }

    /// As [`Sgd::step`], updating only the parameters where `active` is true (PyTorch's
    /// `zero_grad(set_to_none=True)` semantics for parameters off a sampled path: no weight
    /// decay, no momentum step); the others' gradients are zeroed too.
    pub fn step_masked(
        &mut self,
        params: &[Tensor],
        lr: f64,
        clip: Option<f64>,
        active: Option<&[bool]>,
    ) {
        tch::no_grad(|| {
            let grads: Vec<Option<Tensor>> = params
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let g = p.grad();
                    if !g.defined() {
                        return None;
                    }
                    if active.is_some_and(|a| !a[i]) {
                        let _ = g.shallow_clone().f_zero_();
                        return None;
                    }
                    Some(g)
                })
                .collect();
            if let Some(max) = clip {
                let sq: f64 = grads
                    .iter()
                    .flatten()
                    .map(|g| g.pow_tensor_scalar(2).sum(Kind::Float).double_value(&[]))
                    .sum();
                let norm = sq.sqrt();
                if norm > max {
                    let k = max / (norm + 1e-6);
                    for g in grads.iter().flatten() {
                        let _ = g.shallow_clone().f_mul_scalar_(k);
                    }
                }
            }
            for ((p, g), buf) in params.iter().zip(&grads).zip(self.bufs.iter_mut()) {
                let Some(g) = g else { continue };
                let mut d = if self.weight_decay > 0.0 {
                    g + p * self.weight_decay
                } else {
                    g.shallow_clone()
                };
                if self.momentum > 0.0 {
                    let b = match buf.take() {
                        None => d.copy(),
                        Some(mut b) => {
                            let _ = b.f_mul_scalar_(self.momentum);
                            let _ = b.f_add_(&d);
                            b
                        }
                    };
                    d = if self.nesterov {
                        &d + &b * self.momentum
                    } else {
                        b.shallow_clone()
                    };
                    *buf = Some(b);
                }
                let _ = p.shallow_clone().f_sub_(&(d * lr));
                let _ = g.shallow_clone().f_zero_();
            }
        });
    }
}

/// Mean loss and accuracy (percent) of `fwd` on a whole split, in chunks of `chunk`, without
/// gradients.
pub fn evaluate(
    split: &Split,
    chunk: usize,
    device: Device,
    fwd: &dyn Fn(&Tensor) -> Tensor,
) -> (f64, f64) {
    let _g = tch::no_grad_guard();
    let n = split.len();
    let (mut loss, mut correct) = (0.0, 0i64);
    let idx: Vec<usize> = (0..n).collect();
    for c in idx.chunks(chunk.max(1)) {
        let (x, y) = split.batch(c, device);
        let logits = fwd(&x);
        loss += logits.cross_entropy_for_logits(&y).double_value(&[]) * c.len() as f64;
        correct += logits
            .argmax(-1, false)
            .eq_tensor(&y)
            .sum(Kind::Int64)
            .int64_value(&[]);
    }
    (loss / n as f64, 100.0 * correct as f64 / n as f64)
}

/// Trains `params` for `cfg.epochs` epochs. `fwd_train(x, rng)` is the training-mode forward
/// (it may draw from `rng`, e.g. a supernet path); `fwd_eval(x)` the evaluation-mode forward.
/// `on_epoch` sees each epoch's statistics as they are measured.
pub fn train_loop(
    params: &[Tensor],
    data: &TrainData,
    cfg: &TrainConfig,
    rng: &mut ChaCha8Rng,
    fwd_train: &mut dyn FnMut(&Tensor, &mut ChaCha8Rng) -> Tensor,
    fwd_eval: &dyn Fn(&Tensor) -> Tensor,
    on_epoch: &mut dyn FnMut(u32, &EpochStats),
) -> Result<Vec<EpochStats>, TrainError> {
    cfg.validate()?;
    let _flush = naspred_eval::fpenv::FlushDenormals::new();
    if data.train.len() < cfg.batch_size.min(2) || data.val.is_empty() {
        return Err(TrainError::Config(format!(
            "{} training and {} validation images are too few",
            data.train.len(),
            data.val.len()
        )));
    }
    let mut sgd = Sgd::new(params.len(), cfg.momentum, cfg.nesterov, cfg.weight_decay);
    let mut out = Vec::with_capacity(cfg.epochs as usize);
    for e in 0..cfg.epochs {
        let lr = cfg.lr_at(e);
        let t0 = Instant::now();
        // Drop a last batch of one image (BN cannot train on it).
        let mut batches = data.train.epoch_batches(cfg.batch_size, false, rng);
        if batches.last().is_some_and(|b| b.len() < 2) {
            batches.pop();
        }
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0i64, 0usize);
        for b in &batches {
            let (x, y) = data
                .train
                .batch_augmented(b, cfg.crop_padding, cfg.flip, rng, cfg.device);
            let logits = fwd_train(&x, rng);
            let loss = logits.cross_entropy_for_logits(&y);
            loss.backward();
            sgd.step(params, lr, cfg.grad_clip);
            loss_sum += loss.double_value(&[]) * b.len() as f64;
            correct += tch::no_grad(|| {
                logits
                    .argmax(-1, false)
                    .eq_tensor(&y)
                    .sum(Kind::Int64)
                    .int64_value(&[])
            });
            seen += b.len();
        }
        let train_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let (val_loss, val_acc) = evaluate(&data.val, 500, cfg.device, fwd_eval);
        let stats = EpochStats {
            train_loss: loss_sum / seen.max(1) as f64,
            train_acc: 100.0 * correct as f64 / seen.max(1) as f64,
            val_loss,
            val_acc,
            train_s,
            eval_s: t1.elapsed().as_secs_f64(),
        };
        on_epoch(e, &stats);
        out.push(stats);
    }
    Ok(out)
}

/// Trains a stand-alone network (BN in train mode for training, evaluation mode for
/// validation), with data order and augmentation from `cfg.seed`.
pub fn train_network(
    net: &Network,
    data: &TrainData,
    cfg: &TrainConfig,
    on_epoch: &mut dyn FnMut(u32, &EpochStats),
) -> Result<Vec<EpochStats>, TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x7472_6169_6e00);
    let mut fwd_train =
        |x: &Tensor, _: &mut ChaCha8Rng| net.forward(x, true, naspred_nets::Trace::default()).0;
    let fwd_eval = |x: &Tensor| net.forward_eval(x);
    train_loop(
        &net.store.params,
        data,
        cfg,
        &mut rng,
        &mut fwd_train,
        &fwd_eval,
        on_epoch,
    )
}
