//! Training and validation images as the trainer consumes them: CIFAR binary records,
//! optionally downsampled to 16 x 16 by 2 x 2 average pooling, normalised, with the training
//! augmentation (random crop of the zero-padded image, horizontal flip) applied per epoch from
//! a seeded Rust RNG.

use std::path::Path;

use naspred_data::cifar::{self, CifarFormat, ImageBatch, Normalisation, CHANNELS, SIDE};
use naspred_data::{DataRoot, Dataset};
use rand::seq::SliceRandom;
use rand::Rng;
use tch::{Device, Kind, Tensor};

use crate::TrainError;

/// Images of one split at the training resolution, normalised, CHW, as `f32`.
#[derive(Clone, Debug)]
pub struct Split {
    /// `n x 3 x side x side` normalised pixels.
    pub images: Vec<f32>,
    /// Labels.
    pub labels: Vec<i64>,
    /// Image side (16 or 32).
    pub side: usize,
    /// Classes.
    pub classes: usize,
    /// The normalised value of a zero (black) pixel per channel: the padding of the random
    /// crop, as torchvision pads the raw image before `Normalize`.
    pub pad_value: [f32; 3],
}

impl Split {
    /// Converts an image batch to side `side` (32: as is; 16: 2 x 2 average pooling of the
    /// normalised images).
    pub fn from_batch(batch: &ImageBatch, side: usize) -> Result<Split, TrainError> {
        if side != SIDE && side != SIDE / 2 {
            return Err(TrainError::Config(format!(
                "image size {side} is not supported (16 or 32)"
            )));
        }
        let norm = batch.normalisation();
        let pad_value = [norm.apply(0, 0), norm.apply(1, 0), norm.apply(2, 0)];
        let images = if side == SIDE {
            batch.images.clone()
        } else {
            let mut out = Vec::with_capacity(batch.n * CHANNELS * side * side);
            for i in 0..batch.n {
                let img = batch.image(i);
                for c in 0..CHANNELS {
                    let plane = &img[c * SIDE * SIDE..(c + 1) * SIDE * SIDE];
                    for y in 0..side {
                        for x in 0..side {
                            let a = plane[2 * y * SIDE + 2 * x];
                            let b = plane[2 * y * SIDE + 2 * x + 1];
                            let d = plane[(2 * y + 1) * SIDE + 2 * x];
                            let e = plane[(2 * y + 1) * SIDE + 2 * x + 1];
                            out.push(0.25 * (a + b + d + e));
                        }
                    }
                }
            }
            out
        };
        Ok(Split {
            images,
            labels: batch.labels.clone(),
            side,
            classes: batch.classes,
            pad_value,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The first `n` images (all if `n >= len`).
    pub fn truncated(&self, n: usize) -> Split {
        let n = n.min(self.len());
        let per = CHANNELS * self.side * self.side;
        Split {
            images: self.images[..n * per].to_vec(),
            labels: self.labels[..n].to_vec(),
            ..self.clone()
        }
    }

    /// A class-balanced subset of `n` images: the first images of each class in turn
    /// (round-robin over classes in file order), so small subsets keep every class.
    pub fn balanced(&self, n: usize) -> Split {
        if n >= self.len() {
            return self.clone();
        }
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); self.classes];
        for (i, &l) in self.labels.iter().enumerate() {
            by_class[l as usize].push(i);
        }
        let mut picked = Vec::with_capacity(n);
        let mut k = 0;
        while picked.len() < n {
            let mut any = false;
            for c in &by_class {
                if let Some(&i) = c.get(k) {
                    any = true;
                    if picked.len() < n {
                        picked.push(i);
                    }
                }
            }
            if !any {
                break;
            }
            k += 1;
        }
        picked.sort_unstable();
        self.gather(&picked)
    }

    fn gather(&self, idx: &[usize]) -> Split {
        let per = CHANNELS * self.side * self.side;
        let mut images = Vec::with_capacity(idx.len() * per);
        let mut labels = Vec::with_capacity(idx.len());
        for &i in idx {
            images.extend_from_slice(&self.images[i * per..(i + 1) * per]);
            labels.push(self.labels[i]);
        }
        Split {
            images,
            labels,
            ..self.clone()
        }
    }

    /// The images at `idx` as a `[b, 3, side, side]` tensor and labels, unaugmented.
    pub fn batch(&self, idx: &[usize], device: Device) -> (Tensor, Tensor) {
        let per = CHANNELS * self.side * self.side;
        let mut buf = Vec::with_capacity(idx.len() * per);
        for &i in idx {
            buf.extend_from_slice(&self.images[i * per..(i + 1) * per]);
        }
        self.to_tensors(buf, idx, device)
    }

    /// The images at `idx` with a random crop of the image padded by `pad` pixels and a
    /// horizontal flip with probability 1/2 (`flip`), drawn from `rng`.
    pub fn batch_augmented<R: Rng + ?Sized>(
        &self,
        idx: &[usize],
        pad: usize,
        flip: bool,
        rng: &mut R,
        device: Device,
    ) -> (Tensor, Tensor) {
        let s = self.side;
        let per = CHANNELS * s * s;
        let mut buf = Vec::with_capacity(idx.len() * per);
        for &i in idx {
            let img = &self.images[i * per..(i + 1) * per];
            let (dy, dx) = if pad > 0 {
                (rng.random_range(0..=2 * pad), rng.random_range(0..=2 * pad))
            } else {
                (0, 0)
            };
            let fl = flip && rng.random_bool(0.5);
            for c in 0..CHANNELS {
                let plane = &img[c * s * s..(c + 1) * s * s];
                for y in 0..s {
                    let py = y + dy;
                    for x in 0..s {
                        let xx = if fl { s - 1 - x } else { x };
                        let px = xx + dx;
                        let v = if py >= pad && py < pad + s && px >= pad && px < pad + s {
                            plane[(py - pad) * s + (px - pad)]
                        } else {
                            self.pad_value[c]
                        };
                        buf.push(v);
                    }
                }
            }
        }
        self.to_tensors(buf, idx, device)
    }

    fn to_tensors(&self, buf: Vec<f32>, idx: &[usize], device: Device) -> (Tensor, Tensor) {
        let b = idx.len() as i64;
        let s = self.side as i64;
        let x = Tensor::from_slice(&buf)
            .reshape([b, CHANNELS as i64, s, s])
            .to_device(device);
        let labels: Vec<i64> = idx.iter().map(|&i| self.labels[i]).collect();
        let y = Tensor::from_slice(&labels)
            .to_kind(Kind::Int64)
            .to_device(device);
        (x, y)
    }

    /// A seeded permutation of `0..len` cut into batches of `batch` (the last may be
    /// smaller; `drop_last` drops it).
    pub fn epoch_batches<R: Rng + ?Sized>(
        &self,
        batch: usize,
        drop_last: bool,
        rng: &mut R,
    ) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(rng);
        order
            .chunks(batch.max(1))
            .filter(|c| !drop_last || c.len() == batch)
            .map(|c| c.to_vec())
            .collect()
    }
}

/// Training and validation splits.
#[derive(Clone, Debug)]
pub struct TrainData {
    /// Images the weights are trained on.
    pub train: Split,
    /// Images the per-epoch validation loss and accuracy are measured on.
    pub val: Split,
    /// Where the images came from (for the benchmark's provenance).
    pub source: String,
}

impl TrainData {
    /// The project's shared CIFAR-10 images (`cifar/train_5000.bin.gz`, 500 per class, for
    /// training; `cifar/test_1000.bin.gz`, 100 per class, for validation) at side `side`,
    /// keeping a class-balanced `train_images` of the training images (all if `None`).
    pub fn shared_cifar10(
        root: &DataRoot,
        side: usize,
        train_images: Option<usize>,
    ) -> Result<TrainData, TrainError> {
        let norm = Normalisation::for_dataset(Dataset::Cifar10);
        let tr = root.file("cifar/train_5000.bin.gz")?;
        let te = root.file("cifar/test_1000.bin.gz")?;
        Self::from_files(&tr, &te, CifarFormat::CIFAR10, norm, side, train_images)
    }

    /// Two CIFAR binary files (train, validation) at side `side`.
    pub fn from_files(
        train: &Path,
        val: &Path,
        format: CifarFormat,
        norm: Normalisation,
        side: usize,
        train_images: Option<usize>,
    ) -> Result<TrainData, TrainError> {
        let tr = cifar::load_cifar_bin(train, format, norm)?;
        let va = cifar::load_cifar_bin(val, format, norm)?;
        let mut train_split = Split::from_batch(&tr, side)?;
        if let Some(n) = train_images {
            if n == 0 {
                return Err(TrainError::Config("--train-images must be positive".into()));
            }
            train_split = train_split.balanced(n);
        }
        Ok(TrainData {
            train: train_split,
            val: Split::from_batch(&va, side)?,
            source: format!("{} / {}", train.display(), val.display()),
        })
    }
}
