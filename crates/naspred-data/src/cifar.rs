//! CIFAR binary-record image batches, for zero-cost proxies and training.
//!
//! # Format
//!
//! The official CIFAR binary archives store each image as one record: the label byte(s),
//! then 1024 red, 1024 green and 1024 blue pixel bytes, each plane row-major over the 32 x 32
//! image. CIFAR-10 records have one label byte (3073 bytes per record); the official CIFAR-100
//! records have two, the coarse then the fine label (3074 bytes), and the fine label is the
//! one used here. [`CifarFormat`] names the variants, including one-byte CIFAR-100 records that
//! hold only the fine label (the project's `cifar100_20.bin`). Files ending in `.gz` or
//! starting with the gzip magic bytes are decompressed transparently.
//!
//! * [`load_cifar_bin`] reads one file; [`load_cifar10_dir`] the official CIFAR-10 folder
//!   (`data_batch_1.bin` .. `data_batch_5.bin`, `test_batch.bin`, also inside
//!   `cifar-10-batches-bin/`); [`load_cifar100_dir`] the official CIFAR-100 folder
//!   (`train.bin`, `test.bin`, also inside `cifar-100-binary/`).
//! * An [`ImageBatch`] keeps the raw bytes ([`ImageBatch::raw_u8`]) and the images as `f32` in
//!   `N x 3 x 32 x 32` (CHW) layout, scaled to `[0, 1]` and normalised per channel,
//!   `(x / 255 - mean[c]) / std[c]`, with the [`Normalisation`] of the dataset (NASLib's
//!   values: CIFAR-10 mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616); CIFAR-100
//!   mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762)).
//! * [`ImageBatch::sample_batch`] draws a minibatch as NASLib's zero-cost data loader does:
//!   uniformly without replacement from the first `floor(train_portion * n)` images
//!   (`train_portion = 0.7`: a `SubsetRandomSampler` over the first 70 % of the indices).
//!   [`ImageBatch::sample_batch_augmented`] adds NASLib's training augmentation
//!   ([`Augmentation`]): a random 32 x 32 crop of the image zero-padded by 4 pixels on each
//!   side, then a horizontal flip with probability 1/2, applied to the raw pixels before
//!   normalisation (as torchvision's `RandomCrop(32, padding=4)`, `RandomHorizontalFlip()`,
//!   `ToTensor()`, `Normalize(mean, std)`). The draws come only from the given RNG, so a
//!   seeded RNG gives the same batch on every run.
//!
//! Every malformed input (a length that is not a whole number of records, a label outside the
//! classes, a missing file) is a typed [`DataError`] naming the file and the record.

use std::path::{Path, PathBuf};

use rand::Rng;

use crate::root::read_data_file;
use crate::{DataError, Dataset};

/// Image side length in pixels.
pub const SIDE: usize = 32;
/// Colour channels.
pub const CHANNELS: usize = 3;
/// Pixel bytes per image (`3 x 32 x 32`).
pub const IMAGE_BYTES: usize = CHANNELS * SIDE * SIDE;

/// Which CIFAR record layout a file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CifarFormat {
    /// Label bytes before the pixels of each record (1 or 2); with 2 the second (fine) label
    /// is used.
    pub label_bytes: usize,
    /// Number of classes; every label must be below it.
    pub classes: usize,
}

impl CifarFormat {
    /// CIFAR-10: one label byte, 10 classes.
    pub const CIFAR10: CifarFormat = CifarFormat {
        label_bytes: 1,
        classes: 10,
    };
    /// Official CIFAR-100: coarse and fine label bytes, the fine label's 100 classes.
    pub const CIFAR100: CifarFormat = CifarFormat {
        label_bytes: 2,
        classes: 100,
    };
    /// CIFAR-100 records with only the fine label byte (100 classes).
    pub const CIFAR100_FINE_ONLY: CifarFormat = CifarFormat {
        label_bytes: 1,
        classes: 100,
    };

    /// Bytes per record.
    pub fn record_bytes(self) -> usize {
        self.label_bytes + IMAGE_BYTES
    }
}

/// Per-channel normalisation applied after scaling pixels to `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalisation {
    /// Channel means (R, G, B).
    pub mean: [f32; 3],
    /// Channel standard deviations (R, G, B).
    pub std: [f32; 3],
}

impl Normalisation {
    /// NASLib's CIFAR-10 statistics.
    pub const CIFAR10: Normalisation = Normalisation {
        mean: [0.4914, 0.4822, 0.4465],
        std: [0.2470, 0.2435, 0.2616],
    };
    /// NASLib's CIFAR-100 statistics.
    pub const CIFAR100: Normalisation = Normalisation {
        mean: [0.5071, 0.4865, 0.4409],
        std: [0.2673, 0.2564, 0.2762],
    };
    /// NASLib's ImageNet16-120 statistics (`[122.68, 116.66, 104.01] / 255`,
    /// `[63.22, 61.26, 65.09] / 255`).
    pub const IMAGENET16: Normalisation = Normalisation {
        mean: [122.68 / 255.0, 116.66 / 255.0, 104.01 / 255.0],
        std: [63.22 / 255.0, 61.26 / 255.0, 65.09 / 255.0],
    };
    /// Only the scaling to `[0, 1]` (mean 0, std 1).
    pub const NONE: Normalisation = Normalisation {
        mean: [0.0; 3],
        std: [1.0; 3],
    };

    /// The statistics NASLib uses for `dataset` (`NONE` for the text datasets).
    pub fn for_dataset(dataset: Dataset) -> Normalisation {
        match dataset {
            Dataset::Cifar10 => Self::CIFAR10,
            Dataset::Cifar100 => Self::CIFAR100,
            Dataset::ImageNet16_120 => Self::IMAGENET16,
            Dataset::Wikitext2 | Dataset::Ptb => Self::NONE,
        }
    }

    /// The normalised value of raw pixel `x` in channel `c` (`0..3`).
    #[inline]
    pub fn apply(&self, c: usize, x: u8) -> f32 {
        (x as f32 / 255.0 - self.mean[c]) / self.std[c]
    }

    /// A per-channel lookup table of [`Normalisation::apply`] over all 256 byte values.
    fn table(&self) -> [[f32; 256]; 3] {
        let mut t = [[0.0f32; 256]; 3];
        for (c, row) in t.iter_mut().enumerate() {
            for (x, v) in row.iter_mut().enumerate() {
                *v = self.apply(c, x as u8);
            }
        }
        t
    }
}

/// The training-time augmentation of NASLib's CIFAR loaders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Augmentation {
    /// Zero padding on each side before the random crop back to 32 x 32 (0 = no crop).
    pub crop_padding: usize,
    /// Whether to flip horizontally with probability 1/2.
    pub horizontal_flip: bool,
}

impl Augmentation {
    /// CIFAR's standard augmentation: crop with padding 4, horizontal flip.
    pub const CIFAR: Augmentation = Augmentation {
        crop_padding: 4,
        horizontal_flip: true,
    };
}

impl Default for Augmentation {
    fn default() -> Self {
        Self::CIFAR
    }
}

/// A batch of CIFAR images with labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageBatch {
    /// Normalised images, `n x 3 x 32 x 32` in CHW order.
    pub images: Vec<f32>,
    /// Labels, one per image.
    pub labels: Vec<i64>,
    /// Number of images.
    pub n: usize,
    /// Number of classes.
    pub classes: usize,
    raw: Vec<u8>,
    normalisation: Normalisation,
}

impl ImageBatch {
    /// A batch from raw CHW pixel bytes (`3072` per image) and labels.
    pub fn from_raw(
        raw: Vec<u8>,
        labels: Vec<i64>,
        classes: usize,
        normalisation: Normalisation,
    ) -> Result<ImageBatch, DataError> {
        if raw.len() != labels.len() * IMAGE_BYTES {
            return Err(DataError::Unservable(format!(
                "{} pixel bytes for {} labels (expected {} per image)",
                raw.len(),
                labels.len(),
                IMAGE_BYTES
            )));
        }
        if let Some((i, &l)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l < 0 || l as usize >= classes)
        {
            return Err(DataError::Unservable(format!(
                "label {l} of image {i} is outside 0..{classes}"
            )));
        }
        let n = labels.len();
        let images = normalise(&raw, &normalisation);
        Ok(ImageBatch {
            images,
            labels,
            n,
            classes,
            raw,
            normalisation,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the batch holds no image.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The tensor shape `[n, 3, 32, 32]`.
    pub fn shape(&self) -> [usize; 4] {
        [self.n, CHANNELS, SIDE, SIDE]
    }

    /// The raw pixel bytes, `n x 3 x 32 x 32` in CHW order (as stored in the file).
    pub fn raw_u8(&self) -> &[u8] {
        &self.raw
    }

    /// The raw bytes of image `i` (`3072` bytes: R plane, G plane, B plane).
    ///
    /// # Panics
    /// If `i >= n`.
    pub fn raw_image(&self, i: usize) -> &[u8] {
        &self.raw[i * IMAGE_BYTES..(i + 1) * IMAGE_BYTES]
    }

    /// The normalised image `i` (`3072` values, CHW).
    ///
    /// # Panics
    /// If `i >= n`.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.images[i * IMAGE_BYTES..(i + 1) * IMAGE_BYTES]
    }

    /// The normalisation the images were made with.
    pub fn normalisation(&self) -> Normalisation {
        self.normalisation
    }

    /// The same images under another normalisation.
    pub fn renormalised(&self, normalisation: Normalisation) -> ImageBatch {
        ImageBatch {
            images: normalise(&self.raw, &normalisation),
            labels: self.labels.clone(),
            n: self.n,
            classes: self.classes,
            raw: self.raw.clone(),
            normalisation,
        }
    }

    /// Images per class (index = label).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes];
        for &l in &self.labels {
            c[l as usize] += 1;
        }
        c
    }

    /// The images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Result<ImageBatch, DataError> {
        self.gather::<NeverRng>(indices, None)
    }

    /// Concatenates batches of the same class count (the normalisation of the first is
    /// kept).
    pub fn concat(parts: &[ImageBatch]) -> Result<ImageBatch, DataError> {
        let first = parts
            .first()
            .ok_or_else(|| DataError::Unservable("no image batches to concatenate".into()))?;
        if let Some(p) = parts.iter().find(|p| p.classes != first.classes) {
            return Err(DataError::Unservable(format!(
                "cannot concatenate batches of {} and {} classes",
                first.classes, p.classes
            )));
        }
        let mut raw = Vec::with_capacity(parts.iter().map(|p| p.raw.len()).sum());
        let mut labels = Vec::with_capacity(parts.iter().map(|p| p.n).sum());
        for p in parts {
            raw.extend_from_slice(&p.raw);
            labels.extend_from_slice(&p.labels);
        }
        ImageBatch::from_raw(raw, labels, first.classes, first.normalisation)
    }

    /// The pool NASLib samples from: `floor(train_portion * n)` first indices.
    fn pool(&self, size: usize, train_portion: f64) -> Result<usize, DataError> {
        if !(train_portion > 0.0 && train_portion <= 1.0) {
            return Err(DataError::Unservable(format!(
                "train_portion {train_portion} is outside (0, 1]"
            )));
        }
        let pool = (train_portion * self.n as f64).floor() as usize;
        if size == 0 || size > pool {
            return Err(DataError::Unservable(format!(
                "cannot draw a minibatch of {size} distinct images from the first {pool} of {} \
                 (train_portion {train_portion})",
                self.n
            )));
        }
        Ok(pool)
    }

    /// Draws `size` distinct indices uniformly from `0..pool` (partial Fisher-Yates).
    fn draw<R: Rng + ?Sized>(rng: &mut R, pool: usize, size: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..pool).collect();
        for i in 0..size {
            let j = rng.random_range(i..pool);
            idx.swap(i, j);
        }
        idx.truncate(size);
        idx
    }

    /// A minibatch of `size` distinct images drawn uniformly from the first
    /// `floor(train_portion * n)` images, as NASLib's zero-cost loader does (`train_portion`
    /// 0.7).
    pub fn sample_batch<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        size: usize,
        train_portion: f64,
    ) -> Result<ImageBatch, DataError> {
        let pool = self.pool(size, train_portion)?;
        let idx = Self::draw(rng, pool, size);
        self.gather::<R>(&idx, None)
    }

    /// As [`ImageBatch::sample_batch`], with random crop / flip augmentation of each image.
    pub fn sample_batch_augmented<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        size: usize,
        train_portion: f64,
        augmentation: &Augmentation,
    ) -> Result<ImageBatch, DataError> {
        let pool = self.pool(size, train_portion)?;
        let idx = Self::draw(rng, pool, size);
        self.gather(&idx, Some((augmentation, rng)))
    }

    /// Copies (and optionally augments) the images at `indices`.
    fn gather<R: Rng + ?Sized>(
        &self,
        indices: &[usize],
        mut aug: Option<(&Augmentation, &mut R)>,
    ) -> Result<ImageBatch, DataError> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.n) {
            return Err(DataError::Unservable(format!(
                "image index {bad} is outside a batch of {}",
                self.n
            )));
        }
        let mut raw = Vec::with_capacity(indices.len() * IMAGE_BYTES);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            let img = self.raw_image(i);
            match aug.as_mut() {
                None => raw.extend_from_slice(img),
                Some((a, rng)) => {
                    let pad = a.crop_padding;
                    let (dy, dx) = if pad > 0 {
                        (rng.random_range(0..=2 * pad), rng.random_range(0..=2 * pad))
                    } else {
                        (0, 0)
                    };
                    let flip = a.horizontal_flip && rng.random_bool(0.5);
                    augment_into(img, pad, dy, dx, flip, &mut raw);
                }
            }
            labels.push(self.labels[i]);
        }
        let n = labels.len();
        Ok(ImageBatch {
            images: normalise(&raw, &self.normalisation),
            labels,
            n,
            classes: self.classes,
            raw,
            normalisation: self.normalisation,
        })
    }
}

/// Appends the crop of `img` zero-padded by `pad` at offset `(dy, dx)` in the padded image,
/// flipped horizontally if `flip` (crop first, then flip, as torchvision applies them).
fn augment_into(img: &[u8], pad: usize, dy: usize, dx: usize, flip: bool, out: &mut Vec<u8>) {
    for c in 0..CHANNELS {
        let plane = &img[c * SIDE * SIDE..(c + 1) * SIDE * SIDE];
        for y in 0..SIDE {
            for x in 0..SIDE {
                let xx = if flip { SIDE - 1 - x } else { x };
                // Position in the padded image, then in the original.
                let py = y + dy;
                let px = xx + dx;
                let v = if py >= pad && py < pad + SIDE && px >= pad && px < pad + SIDE {
                    plane[(py - pad) * SIDE + (px - pad)]
                } else {
                    0
                };
                out.push(v);
            }
        }
    }
}

/// Normalises raw CHW images.
fn normalise(raw: &[u8], norm: &Normalisation) -> Vec<f32> {
    let table = norm.table();
    let mut out = Vec::with_capacity(raw.len());
    for img in raw.chunks_exact(IMAGE_BYTES) {
        for (c, plane) in img.chunks_exact(SIDE * SIDE).enumerate() {
            out.extend(plane.iter().map(|&x| table[c][x as usize]));
        }
    }
    out
}

/// A type-level stand-in RNG for copies without augmentation (never asked for a value).
struct NeverRng;

impl rand::RngCore for NeverRng {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        dst.fill(0);
    }
}

/// Reads one CIFAR binary file (`.bin`, or `.bin.gz` / any gzip-compressed file).
pub fn load_cifar_bin(
    path: &Path,
    format: CifarFormat,
    normalisation: Normalisation,
) -> Result<ImageBatch, DataError> {
    if format.label_bytes == 0 || format.label_bytes > 2 || format.classes == 0 {
        return Err(DataError::Unservable(format!(
            "unsupported CIFAR format {format:?} (1 or 2 label bytes, at least one class)"
        )));
    }
    parse_records(&read_data_file(path)?, path, format, normalisation)
}

/// Reads one CIFAR-100 file, official (coarse and fine label bytes, 3074-byte records) or
/// fine label only (3073-byte records, as the repository's `cifar100_20.bin`): official when
/// the length is a whole number of 3074-byte records, else fine-only when it is one of
/// 3073-byte records.
pub fn load_cifar100_file(
    path: &Path,
    normalisation: Normalisation,
) -> Result<ImageBatch, DataError> {
    let bytes = read_data_file(path)?;
    let official = CifarFormat::CIFAR100.record_bytes();
    let format = if !bytes.is_empty() && !bytes.len().is_multiple_of(official) {
        let fine = CifarFormat::CIFAR100_FINE_ONLY.record_bytes();
        if bytes.len().is_multiple_of(fine) {
            CifarFormat::CIFAR100_FINE_ONLY
        } else {
            return Err(DataError::format(
                path,
                format!("record {}", bytes.len() / official),
                format!(
                    "file length {} is a whole number neither of official CIFAR-100 records \
                     ({official} bytes) nor of fine-label-only ones ({fine} bytes)",
                    bytes.len()
                ),
            ));
        }
    } else {
        CifarFormat::CIFAR100
    };
    parse_records(&bytes, path, format, normalisation)
}

/// The images of a file's (decompressed) bytes in `format`.
fn parse_records(
    bytes: &[u8],
    path: &Path,
    format: CifarFormat,
    normalisation: Normalisation,
) -> Result<ImageBatch, DataError> {
    let rb = format.record_bytes();
    if bytes.is_empty() {
        return Err(DataError::format(
            path,
            "record 0",
            "the file holds no records",
        ));
    }
    if !bytes.len().is_multiple_of(rb) {
        let whole = bytes.len() / rb;
        return Err(DataError::format(
            path,
            format!("record {whole}"),
            format!(
                "file length {} is not a multiple of the {rb}-byte record (truncated? {} bytes \
                 left over after {whole} records)",
                bytes.len(),
                bytes.len() % rb
            ),
        ));
    }
    let n = bytes.len() / rb;
    let mut raw = Vec::with_capacity(n * IMAGE_BYTES);
    let mut labels = Vec::with_capacity(n);
    for (i, rec) in bytes.chunks_exact(rb).enumerate() {
        let label = rec[format.label_bytes - 1] as usize;
        if label >= format.classes {
            return Err(DataError::format(
                path,
                format!("record {i}"),
                format!("label {label} is outside 0..{}", format.classes),
            ));
        }
        labels.push(label as i64);
        raw.extend_from_slice(&rec[format.label_bytes..]);
    }
    let images = normalise(&raw, &normalisation);
    Ok(ImageBatch {
        images,
        labels,
        n,
        classes: format.classes,
        raw,
        normalisation,
    })
}

/// Train and test splits of a CIFAR folder.
#[derive(Clone, Debug, PartialEq)]
pub struct CifarSplits {
    /// The training images.
    pub train: ImageBatch,
    /// The test images.
    pub test: ImageBatch,
}

/// The file `name` (or `name.gz`) in `dir` or in its official archive subfolder.
fn find_file(dir: &Path, sub: &str, name: &str) -> Result<PathBuf, DataError> {
    for base in [dir.to_path_buf(), dir.join(sub)] {
        for n in [name.to_string(), format!("{name}.gz")] {
            let p = base.join(&n);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(DataError::Missing {
        what: format!("CIFAR file {name}"),
        path: dir.join(name),
        hint: format!(" (also looked in {})", dir.join(sub).display()),
    })
}

/// Reads the official CIFAR-10 binary folder: `data_batch_1.bin` .. `data_batch_5.bin` and
/// `test_batch.bin` (in `dir` or `dir/cifar-10-batches-bin/`; `.gz` copies are accepted).
pub fn load_cifar10_dir(
    dir: &Path,
    normalisation: Normalisation,
) -> Result<CifarSplits, DataError> {
    let sub = "cifar-10-batches-bin";
    let mut parts = Vec::with_capacity(5);
    for b in 1..=5 {
        let p = find_file(dir, sub, &format!("data_batch_{b}.bin"))?;
        parts.push(load_cifar_bin(&p, CifarFormat::CIFAR10, normalisation)?);
    }
    let train = ImageBatch::concat(&parts)?;
    let test = load_cifar_bin(
        &find_file(dir, sub, "test_batch.bin")?,
        CifarFormat::CIFAR10,
        normalisation,
    )?;
    Ok(CifarSplits { train, test })
}

/// Reads the official CIFAR-100 binary folder: `train.bin` and `test.bin` (coarse and fine
/// label bytes; in `dir` or `dir/cifar-100-binary/`; `.gz` copies are accepted).
pub fn load_cifar100_dir(
    dir: &Path,
    normalisation: Normalisation,
) -> Result<CifarSplits, DataError> {
    let sub = "cifar-100-binary";
    let train = load_cifar_bin(
        &find_file(dir, sub, "train.bin")?,
        CifarFormat::CIFAR100,
        normalisation,
    )?;
    let test = load_cifar_bin(
        &find_file(dir, sub, "test.bin")?,
        CifarFormat::CIFAR100,
        normalisation,
    )?;
    Ok(CifarSplits { train, test })
}
