//! The weight-sharing predictors `oneshot` (one-shot, Bender et al.) and `rsws` (random
//! sampling weight sharing, Li & Talwalkar) of the study's predictor list (spec §1.6): fitting trains an NB201
//! supernet on the shared CIFAR-10 training images (the predictor's initialisation; its wall
//! time is the fit time and its epochs are reported as a hyperparameter); a query scores each
//! architecture by the supernet's accuracy on a fixed validation subset with the
//! architecture's one-hot `α`.
//!
//! NASLib's configuration (batch 64, SGD lr 0.025 cosine to 0.001, momentum 0.9, weight decay
//! 3e-4, gradient clipping 5) is kept; the supernet size, epochs and image count are reduced
//! by default so a fit runs in minutes on a CPU (hyperparameters `epochs`, `channels`,
//! `cells`, `image_size`, `train_images`, `val_images`).

use std::sync::Arc;

use naspred_data::{DataRoot, Dataset};
use naspred_eval::hpo::{HpError, HpSpace, HpSpec, TunableParams};
use naspred_eval::{
    ArchInput, Context, Hyperparams, Predictor, PredictorError, PredictorRng, Requirements,
};
use naspred_spaces::{AnyArch, SpaceKind};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Tensor};

use crate::data::TrainData;
use crate::supernet::{self, Nb201Supernet, ALL_ONES};
use crate::trainer::{evaluate, train_loop, EpochStats, Sgd, TrainConfig};

/// How the supernet is trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsMode {
    /// Every op on with `α = 1` (Bender et al.'s one-shot model).
    OneShot,
    /// A uniformly random single path per step (Li & Talwalkar's RS-WS).
    RandomSampling,
}

/// Settings of a weight-sharing predictor.
#[derive(Clone, Debug, PartialEq)]
pub struct WsSettings {
    /// Supernet training epochs.
    pub epochs: u32,
    /// Channels of the first stage.
    pub channels: i64,
    /// Cells per stage.
    pub cells: usize,
    /// Image side (16 or 32).
    pub image_size: usize,
    /// Class-balanced training images (of the shared 5000).
    pub train_images: usize,
    /// Validation images the queries are scored on (the first of the shared 1000 test
    /// images, class-balanced).
    pub val_images: usize,
    /// Minibatch size.
    pub batch_size: usize,
}

impl Default for WsSettings {
    fn default() -> Self {
        WsSettings {
            epochs: 10,
            channels: 8,
            cells: 1,
            image_size: 16,
            train_images: 1000,
            val_images: 500,
            batch_size: 64,
        }
    }
}

impl TunableParams for WsSettings {
    /// Every setting is an integer >= 1; `image_size` is 16 or 32.
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("epochs", 1.0, u32::MAX as f64),
        HpSpec::integer("channels", 1.0, i32::MAX as f64),
        HpSpec::integer("cells", 1.0, u32::MAX as f64),
        HpSpec::integer("image_size", 16.0, 32.0),
        HpSpec::integer("train_images", 1.0, u32::MAX as f64),
        HpSpec::integer("val_images", 1.0, u32::MAX as f64),
        HpSpec::integer("batch_size", 1.0, u32::MAX as f64),
    ]);

    fn to_hyperparams(&self) -> Hyperparams {
        Hyperparams::from([
            ("epochs".to_string(), self.epochs as f64),
            ("channels".to_string(), self.channels as f64),
            ("cells".to_string(), self.cells as f64),
            ("image_size".to_string(), self.image_size as f64),
            ("train_images".to_string(), self.train_images as f64),
            ("val_images".to_string(), self.val_images as f64),
            ("batch_size".to_string(), self.batch_size as f64),
        ])
    }

    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut s = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "epochs" => s.epochs = v as u32,
                "channels" => s.channels = v as i64,
                "cells" => s.cells = v as usize,
                "image_size" => s.image_size = v as usize,
                "train_images" => s.train_images = v as usize,
                "val_images" => s.val_images = v as usize,
                "batch_size" => s.batch_size = v as usize,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        s.validate()?;
        Ok(s)
    }

    /// No sampler (NASLib has no HPO for the weight-sharing predictors): kept.
    fn sample(&self, _rng: &mut PredictorRng) -> Self {
        self.clone()
    }

    /// The ranges of [`TunableParams::SPACE`], and an image side of 16 or 32.
    fn validate(&self) -> Result<(), HpError> {
        Self::SPACE.validate(&self.to_hyperparams())?;
        if self.image_size != 16 && self.image_size != 32 {
            let v = self.image_size as f64;
            return Err(HpError::invalid("image_size", v, "must be 16 or 32"));
        }
        Ok(())
    }
}

/// A weight-sharing predictor (`oneshot` or `rsws`).
pub struct WsPredictor {
    key: &'static str,
    mode: WsMode,
    /// Settings (reported as hyperparameters; [`TunableParams::with_hyperparams`] sets them
    /// from a map, validated; a fit validates them first).
    pub settings: WsSettings,
    data: Option<Arc<TrainData>>,
    data_root: DataRoot,
    net: Option<Nb201Supernet>,
    history: Vec<EpochStats>,
}

impl WsPredictor {
    /// A predictor with the default (reduced) settings, reading the shared CIFAR-10 images
    /// of the repository's data root ([`DataRoot::workspace`]).
    pub fn new(key: &'static str, mode: WsMode) -> Self {
        WsPredictor {
            key,
            mode,
            settings: WsSettings::default(),
            data: None,
            data_root: DataRoot::workspace(),
            net: None,
            history: Vec::new(),
        }
    }

    /// Reads the shared CIFAR-10 images of `root` at fit time (unless
    /// [`WsPredictor::with_data`] gave images).
    pub fn with_data_root(mut self, root: DataRoot) -> Self {
        self.data_root = root;
        self
    }

    /// Uses these images instead of loading the shared CIFAR-10 files at fit time.
    pub fn with_data(mut self, data: Arc<TrainData>) -> Self {
        self.data = Some(data);
        self
    }

    /// Per-epoch statistics of the last supernet training (validation under the training
    /// `α`: all ones for one-shot, a random path per batch for RS-WS is not measured, so the
    /// all-ones forward is reported for both).
    pub fn history(&self) -> &[EpochStats] {
        &self.history
    }

    /// The trained supernet, after a fit.
    pub fn supernet(&self) -> Option<&Nb201Supernet> {
        self.net.as_ref()
    }

    fn unsupported(&self, reason: String) -> PredictorError {
        PredictorError::Unsupported {
            key: self.key.to_string(),
            reason,
        }
    }

    /// The schedule of supernet training (NASLib's one-shot configuration).
    pub fn train_config(&self, seed: u64) -> TrainConfig {
        TrainConfig {
            epochs: self.settings.epochs,
            batch_size: self.settings.batch_size,
            lr: 0.025,
            lr_min: 0.001,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 3e-4,
            grad_clip: Some(5.0),
            crop_padding: self.settings.image_size / 8,
            flip: true,
            seed,
            device: Device::Cpu,
        }
    }

    fn load_data(&mut self) -> Result<Arc<TrainData>, PredictorError> {
        let s = &self.settings;
        let want = (s.image_size, s.train_images, s.val_images);
        if let Some(d) = &self.data {
            if (d.train.side, d.train.len(), d.val.len()) == want
                || (d.train.side == s.image_size && d.train.len() <= s.train_images)
            {
                return Ok(d.clone());
            }
        }
        let mut d = TrainData::shared_cifar10(&self.data_root, s.image_size, Some(s.train_images))
            .map_err(|e| PredictorError::fit(self.key, e))?;
        d.val = d.val.balanced(s.val_images);
        let d = Arc::new(d);
        self.data = Some(d.clone());
        Ok(d)
    }
}

impl Predictor for WsPredictor {
    fn key(&self) -> &str {
        self.key
    }

    fn requirements(&self) -> Requirements {
        // The fit trains a supernet (its initialisation); it reads no labelled
        // architectures, but is timed and refitted like a trained predictor.
        Requirements::weight_sharing()
    }

    fn fit(
        &mut self,
        _train: &[ArchInput],
        _y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        if ctx.space != SpaceKind::Nb201 {
            return Err(self.unsupported(format!(
                "weight sharing is implemented for nb201 only, not {}",
                ctx.space
            )));
        }
        if ctx.dataset != Dataset::Cifar10 {
            return Err(self.unsupported(format!(
                "the supernet trains on CIFAR-10 images; {} has none here",
                ctx.dataset
            )));
        }
        self.settings
            .validate()
            .map_err(|source| PredictorError::Hyperparams {
                key: self.key.to_string(),
                source,
            })?;
        let data = self.load_data()?;
        let seed: u64 = ctx.rng.random();
        let cfg = self.train_config(seed);
        let net = Nb201Supernet::new(
            self.settings.channels,
            self.settings.cells,
            data.train.classes as i64,
            seed,
            cfg.device,
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5753);
        let params: Vec<Tensor> = net.store.params.iter().map(|t| t.shallow_clone()).collect();
        let history = match self.mode {
            WsMode::OneShot => {
                let mut fwd = |x: &Tensor, _: &mut ChaCha8Rng| net.forward(x, &ALL_ONES, false);
                let eval = |x: &Tensor| net.forward(x, &ALL_ONES, false);
                train_loop(
                    &params,
                    &data,
                    &cfg,
                    &mut rng,
                    &mut fwd,
                    &eval,
                    &mut |_, _| {},
                )
            }
            WsMode::RandomSampling => train_rsws(&net, &params, &data, &cfg, &mut rng),
        }
        .map_err(|e| PredictorError::fit(self.key, e))?;
        self.history = history;
        self.net = Some(net);
        Ok(())
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        let (Some(net), Some(data)) = (self.net.as_ref(), self.data.as_ref()) else {
            return Err(PredictorError::NotFitted {
                key: self.key.to_string(),
            });
        };
        let _flush = naspred_eval::fpenv::FlushDenormals::new();
        test.iter()
            .map(|t| match &t.arch {
                AnyArch::Nb201(a) => {
                    let alphas = supernet::one_hot(a);
                    // BN with the batch statistics of the fixed validation chunks: the running
                    // statistics belong to the mixture of paths seen in training.
                    let (_, acc) = evaluate(&data.val, 250, Device::Cpu, &|x| {
                        net.forward(x, &alphas, false)
                    });
                    Ok(acc)
                }
                other => Err(PredictorError::query_msg(
                    self.key,
                    format!("{} is not an nb201 architecture", other),
                )),
            })
            .collect()
    }

    fn hyperparams(&self) -> Hyperparams {
        self.settings.to_hyperparams()
    }
}

/// RS-WS training: each step samples a uniformly random architecture and updates only the
/// parameters on its path.
fn train_rsws(
    net: &Nb201Supernet,
    params: &[Tensor],
    data: &TrainData,
    cfg: &TrainConfig,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<EpochStats>, crate::TrainError> {
    cfg.validate()?;
    let mut sgd = Sgd::new(params.len(), cfg.momentum, cfg.nesterov, cfg.weight_decay);
    let mut out = Vec::new();
    for e in 0..cfg.epochs {
        let lr = cfg.lr_at(e);
        let t0 = std::time::Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0i64, 0usize);
        for b in data.train.epoch_batches(cfg.batch_size, true, rng) {
            let arch = supernet::random_arch(rng);
            let alphas = supernet::one_hot(&arch);
            let (x, y) =
                data.train
                    .batch_augmented(&b, cfg.crop_padding, cfg.flip, rng, cfg.device);
            let logits = net.forward(&x, &alphas, false);
            let loss = logits.cross_entropy_for_logits(&y);
            loss.backward();
            let mask = net.active_params(&alphas);
            sgd.step_masked(params, lr, cfg.grad_clip, Some(&mask));
            loss_sum += loss.double_value(&[]) * b.len() as f64;
            correct += tch::no_grad(|| {
                logits
                    .argmax(-1, false)
                    .eq_tensor(&y)
                    .sum(tch::Kind::Int64)
                    .int64_value(&[])
            });
            seen += b.len();
        }
        let train_s = t0.elapsed().as_secs_f64();
        out.push(EpochStats {
            train_loss: loss_sum / seen.max(1) as f64,
            train_acc: 100.0 * correct as f64 / seen.max(1) as f64,
            val_loss: f64::NAN,
            val_acc: f64::NAN,
            train_s,
            eval_s: 0.0,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_validated_hyperparameters() {
        let s = WsSettings::default();
        s.validate().unwrap();
        let hp = s.to_hyperparams();
        assert_eq!(s.with_hyperparams(&hp).unwrap(), s);
        let set = |k: &str, v: f64| s.with_hyperparams(&Hyperparams::from([(k.to_string(), v)]));
        assert_eq!(set("epochs", 3.0).unwrap().epochs, 3);
        assert!(matches!(set("epoch", 3.0), Err(HpError::Unknown { .. })));
        assert!(matches!(
            set("batch_size", 6.7),
            Err(HpError::NotInteger { .. })
        ));
        assert!(matches!(
            set("channels", 0.0),
            Err(HpError::OutOfRange { .. })
        ));
        assert!(matches!(
            set("image_size", 24.0),
            Err(HpError::Invalid { .. })
        ));
        assert_eq!(set("image_size", 32.0).unwrap().image_size, 32);
    }
}
