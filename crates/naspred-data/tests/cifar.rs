//! Tests of the CIFAR binary-record loader on the real image batches of the repository's
//! `data/cifar`, with pixel values read independently from the raw bytes, plus small fixture
//! folders written here.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use naspred_data::cifar::{
    load_cifar100_dir, load_cifar10_dir, load_cifar_bin, Augmentation, CifarFormat, ImageBatch,
    Normalisation, IMAGE_BYTES,
};
use naspred_data::{DataError, DataRoot, Dataset};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A file of `cifar/` in the data root (`NASPRED_DATA`, else the repository's `data/`).
fn cifar(name: &str) -> PathBuf {
    DataRoot::resolve(None)
        .file(&format!("cifar/{name}"))
        .unwrap()
}

/// The labels of `cifar10_20.bin` (the first 20 CIFAR-10 test images), copied from the
/// `cifar10_20_labels.csv` that came with the raw originals (foolbox 3.3.4's sample images).
const CIFAR10_20_LABELS: [i64; 20] = [3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9, 8, 5, 7, 8, 6];

/// The fine labels of `cifar100_20.bin` (the first 20 CIFAR-100 test images), copied from the
/// `cifar100_20_labels.csv` that came with the raw originals (foolbox 3.3.4's sample images).
const CIFAR100_20_LABELS: [i64; 20] = [
    49, 33, 72, 51, 71, 92, 15, 14, 23, 0, 71, 75, 81, 69, 40, 43, 92, 97, 70, 53,
];

/// Labels of a file of `per_class` images of each of the 10 classes in class order (as
/// `train_5000` and `test_1000` are stored).
fn class_ordered_labels(per_class: usize) -> Vec<i64> {
    (0..10 * per_class)
        .map(|i| (i / per_class) as i64)
        .collect()
}

fn tmp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!(
        "naspred-cifar-{}-{name}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The decompressed bytes of a data file, read without the loader.
fn raw_file(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    }
}

fn format_err(e: DataError) -> (PathBuf, String, String) {
    match e {
        DataError::Format {
            path,
            location,
            reason,
        } => (path, location, reason),
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn train_5000_counts_labels_and_pixels() {
    let path = cifar("train_5000.bin.gz");
    let t = Instant::now();
    let b = load_cifar_bin(&path, CifarFormat::CIFAR10, Normalisation::CIFAR10).unwrap();
    eprintln!("load_cifar_bin(train_5000.bin.gz): {:?}", t.elapsed());
    assert_eq!(b.n, 5000);
    assert_eq!(b.len(), 5000);
    assert_eq!(b.classes, 10);
    assert_eq!(b.shape(), [5000, 3, 32, 32]);
    assert_eq!(b.images.len(), 5000 * 3072);
    assert_eq!(b.class_counts(), vec![500; 10]);
    // 500 images of each class, in class order: records 0-499 are label 0, and so on.
    assert_eq!(b.labels, class_ordered_labels(500));

    // Independently from the raw bytes: record i starts at i * 3073 with its label byte.
    let raw = raw_file(&path);
    assert_eq!(raw.len(), 5000 * 3073);
    assert_eq!(b.labels[0], raw[0] as i64);
    assert_eq!(b.labels[0], 0);
    // First image: R plane starts at byte 1, G at 1025, B at 2049 (values 200, 202, 197).
    assert_eq!(&b.raw_image(0)[..3], &[200, 202, 203]);
    assert_eq!(b.raw_image(0)[1024], 202);
    assert_eq!(b.raw_image(0)[2048], 197);
    for i in [0usize, 1, 777, 4999] {
        let rec = &raw[i * 3073..(i + 1) * 3073];
        assert_eq!(b.labels[i], rec[0] as i64);
        assert_eq!(b.raw_image(i), &rec[1..]);
        // Pixel (c, y, x) = (1, 5, 7) and (2, 31, 31).
        assert_eq!(
            b.raw_image(i)[1024 + 5 * 32 + 7],
            rec[1 + 1024 + 5 * 32 + 7]
        );
        assert_eq!(b.raw_image(i)[3071], rec[3072]);
    }
    assert_eq!(b.labels[4999], 9);
    assert_eq!(b.raw_u8().len(), 5000 * IMAGE_BYTES);

    // Normalisation: (x / 255 - mean[c]) / std[c].
    let img = b.image(0);
    assert!((img[0] - (200.0 / 255.0 - 0.4914) / 0.2470).abs() < 1e-6);
    assert!((img[1024] - (202.0 / 255.0 - 0.4822) / 0.2435).abs() < 1e-6);
    assert!((img[2048] - (197.0 / 255.0 - 0.4465) / 0.2616).abs() < 1e-6);
    for (k, (&x, &v)) in b.raw_u8().iter().zip(&b.images).enumerate().step_by(9973) {
        let c = (k % IMAGE_BYTES) / 1024;
        let expect =
            (x as f32 / 255.0 - Normalisation::CIFAR10.mean[c]) / Normalisation::CIFAR10.std[c];
        assert_eq!(v, expect, "element {k}");
    }
    // Channel means of the normalised data are near 0 (CIFAR-10 statistics, JPEG-decoded
    // copy): a loose sanity bound.
    for c in 0..3 {
        let mut sum = 0.0f64;
        for i in 0..b.n {
            sum += b.image(i)[c * 1024..(c + 1) * 1024]
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>();
        }
        let mean = sum / (b.n as f64 * 1024.0);
        assert!(mean.abs() < 0.15, "channel {c} mean {mean}");
    }
}

#[test]
fn test_1000_and_lossless_20_image_files() {
    let b = load_cifar_bin(
        &cifar("test_1000.bin.gz"),
        CifarFormat::CIFAR10,
        Normalisation::CIFAR10,
    )
    .unwrap();
    assert_eq!(b.n, 1000);
    assert_eq!(b.class_counts(), vec![100; 10]);
    // 100 images of each class, in class order.
    assert_eq!(b.labels, class_ordered_labels(100));

    let c10 = load_cifar_bin(
        &cifar("cifar10_20.bin"),
        CifarFormat::CIFAR10,
        Normalisation::CIFAR10,
    )
    .unwrap();
    assert_eq!(c10.n, 20);
    assert_eq!(c10.labels, CIFAR10_20_LABELS);
    // The first CIFAR-10 test image (a cat) starts with R = 158, 159, 165.
    assert_eq!(&c10.raw_image(0)[..3], &[158, 159, 165]);

    // cifar100_20.bin holds ONE label byte, the fine label.
    let c100 = load_cifar_bin(
        &cifar("cifar100_20.bin"),
        CifarFormat::CIFAR100_FINE_ONLY,
        Normalisation::CIFAR100,
    )
    .unwrap();
    assert_eq!(c100.n, 20);
    assert_eq!(c100.classes, 100);
    assert_eq!(&c100.labels[..5], &[49, 33, 72, 51, 71]);
    assert_eq!(c100.labels, CIFAR100_20_LABELS);
    let raw = raw_file(&cifar("cifar100_20.bin"));
    let x = raw[1];
    assert_eq!(c100.raw_image(0)[0], x);
    assert!((c100.image(0)[0] - (x as f32 / 255.0 - 0.5071) / 0.2673).abs() < 1e-6);
    assert_eq!(
        Normalisation::for_dataset(Dataset::Cifar100),
        Normalisation::CIFAR100
    );

    // Read as official two-label-byte CIFAR-100 the length no longer divides.
    let (_, loc, reason) = format_err(
        load_cifar_bin(
            &cifar("cifar100_20.bin"),
            CifarFormat::CIFAR100,
            Normalisation::CIFAR100,
        )
        .unwrap_err(),
    );
    assert_eq!(loc, "record 19");
    assert!(reason.contains("not a multiple"), "{reason}");
}

#[test]
fn renormalisation_and_no_normalisation() {
    let b = load_cifar_bin(
        &cifar("cifar10_20.bin"),
        CifarFormat::CIFAR10,
        Normalisation::NONE,
    )
    .unwrap();
    assert_eq!(b.image(0)[0], 158.0 / 255.0);
    let n = b.renormalised(Normalisation::CIFAR10);
    assert_eq!(n.raw_u8(), b.raw_u8());
    assert_eq!(n.image(0)[0], Normalisation::CIFAR10.apply(0, 158));
    assert_eq!(n.normalisation(), Normalisation::CIFAR10);
}

#[test]
fn malformed_files_are_typed_errors() {
    let dir = tmp_dir("bad");
    let good = std::fs::read(cifar("cifar10_20.bin")).unwrap();

    // Truncated in the middle of record 3.
    let p = dir.join("truncated.bin");
    std::fs::write(&p, &good[..3 * 3073 + 100]).unwrap();
    let (path, loc, reason) =
        format_err(load_cifar_bin(&p, CifarFormat::CIFAR10, Normalisation::CIFAR10).unwrap_err());
    assert_eq!(path, p);
    assert_eq!(loc, "record 3");
    assert!(reason.contains("truncated"), "{reason}");

    // Empty file.
    let p = dir.join("empty.bin");
    std::fs::write(&p, b"").unwrap();
    let (_, loc, _) =
        format_err(load_cifar_bin(&p, CifarFormat::CIFAR10, Normalisation::CIFAR10).unwrap_err());
    assert_eq!(loc, "record 0");

    // Label out of range in record 2.
    let mut bad = good.clone();
    bad[2 * 3073] = 10;
    let p = dir.join("label.bin");
    std::fs::write(&p, &bad).unwrap();
    let (_, loc, reason) =
        format_err(load_cifar_bin(&p, CifarFormat::CIFAR10, Normalisation::CIFAR10).unwrap_err());
    assert_eq!(loc, "record 2");
    assert!(reason.contains("label 10"), "{reason}");

    // Truncated gzip stream.
    let gz = std::fs::read(cifar("test_1000.bin.gz")).unwrap();
    let p = dir.join("cut.bin.gz");
    std::fs::write(&p, &gz[..gz.len() / 2]).unwrap();
    let (_, loc, _) =
        format_err(load_cifar_bin(&p, CifarFormat::CIFAR10, Normalisation::CIFAR10).unwrap_err());
    assert_eq!(loc, "gzip stream");

    // Missing file and missing folder entries.
    assert!(matches!(
        load_cifar_bin(
            &dir.join("nope.bin"),
            CifarFormat::CIFAR10,
            Normalisation::CIFAR10
        ),
        Err(DataError::Io { .. })
    ));
    assert!(matches!(
        load_cifar10_dir(&dir, Normalisation::CIFAR10),
        Err(DataError::Missing { .. })
    ));
}

#[test]
fn official_folders() {
    let raw = std::fs::read(cifar("cifar10_20.bin")).unwrap();
    // CIFAR-10: five training batches of 4 images each (in the archive's subfolder, one of
    // them gzipped) and a test batch.
    let dir = tmp_dir("c10");
    let sub = dir.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&sub).unwrap();
    for b in 0..5 {
        let chunk = &raw[b * 4 * 3073..(b + 1) * 4 * 3073];
        if b == 2 {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(chunk).unwrap();
            std::fs::write(sub.join("data_batch_3.bin.gz"), enc.finish().unwrap()).unwrap();
        } else {
            std::fs::write(sub.join(format!("data_batch_{}.bin", b + 1)), chunk).unwrap();
        }
    }
    std::fs::write(sub.join("test_batch.bin"), &raw[..2 * 3073]).unwrap();
    let s = load_cifar10_dir(&dir, Normalisation::CIFAR10).unwrap();
    assert_eq!(s.train.n, 20);
    assert_eq!(s.test.n, 2);
    assert_eq!(s.train.labels, CIFAR10_20_LABELS);
    assert_eq!(s.train.raw_image(9), &raw[9 * 3073 + 1..10 * 3073]);

    // CIFAR-100 official records: coarse, fine, pixels.
    let raw100 = std::fs::read(cifar("cifar100_20.bin")).unwrap();
    let mut official = Vec::new();
    for rec in raw100.chunks_exact(3073) {
        official.push(99 - rec[0] % 20); // any coarse label
        official.extend_from_slice(rec);
    }
    let dir = tmp_dir("c100");
    std::fs::write(dir.join("train.bin"), &official).unwrap();
    std::fs::write(dir.join("test.bin"), &official[..3074]).unwrap();
    let s = load_cifar100_dir(&dir, Normalisation::CIFAR100).unwrap();
    assert_eq!(s.train.n, 20);
    assert_eq!(s.train.classes, 100);
    assert_eq!(s.train.labels, CIFAR100_20_LABELS, "the fine label");
    assert_eq!(s.train.raw_image(0), &raw100[1..3073]);
    assert_eq!(s.test.labels, vec![49]);
}

#[test]
fn minibatches_are_deterministic_and_respect_train_portion() {
    let b = load_cifar_bin(
        &cifar("train_5000.bin.gz"),
        CifarFormat::CIFAR10,
        Normalisation::CIFAR10,
    )
    .unwrap();
    let t = Instant::now();
    let m1 = b
        .sample_batch(&mut ChaCha8Rng::seed_from_u64(7), 256, 0.7)
        .unwrap();
    eprintln!("sample_batch(256): {:?}", t.elapsed());
    let m2 = b
        .sample_batch(&mut ChaCha8Rng::seed_from_u64(7), 256, 0.7)
        .unwrap();
    let m3 = b
        .sample_batch(&mut ChaCha8Rng::seed_from_u64(8), 256, 0.7)
        .unwrap();
    assert_eq!(m1, m2, "same seed, same batch");
    assert_ne!(m1.raw_u8(), m3.raw_u8());
    assert_eq!(m1.shape(), [256, 3, 32, 32]);
    assert_eq!(m1.classes, 10);
    // Every drawn image is one of the first 3500 (= floor(0.7 * 5000)), and all are distinct.
    let mut found = Vec::new();
    for i in 0..m1.n {
        let j = (0..b.n)
            .find(|&j| b.raw_image(j) == m1.raw_image(i))
            .unwrap();
        assert!(j < 3500, "image {j} is outside the first 70 %");
        assert_eq!(m1.labels[i], b.labels[j]);
        assert_eq!(m1.image(i), b.image(j));
        found.push(j);
    }
    found.sort();
    found.dedup();
    assert_eq!(found.len(), 256);
    // The training file is sorted by class: the first 70 % are classes 0..=6.
    assert!(m1.labels.iter().all(|&l| l <= 6));

    // Errors: too large a batch, bad portion.
    assert!(matches!(
        b.sample_batch(&mut ChaCha8Rng::seed_from_u64(0), 3501, 0.7),
        Err(DataError::Unservable(_))
    ));
    assert!(b
        .sample_batch(&mut ChaCha8Rng::seed_from_u64(0), 3500, 0.7)
        .is_ok());
    assert!(b
        .sample_batch(&mut ChaCha8Rng::seed_from_u64(0), 1, 0.0)
        .is_err());
    assert!(b
        .sample_batch(&mut ChaCha8Rng::seed_from_u64(0), 0, 0.7)
        .is_err());

    // Subsets and concatenation.
    let s = b.subset(&[4999, 0]).unwrap();
    assert_eq!(s.labels, vec![9, 0]);
    assert_eq!(s.raw_image(1), b.raw_image(0));
    assert!(b.subset(&[5000]).is_err());
    let c = ImageBatch::concat(&[s.clone(), s]).unwrap();
    assert_eq!(c.n, 4);
    assert_eq!(c.labels, vec![9, 0, 9, 0]);
}

#[test]
fn augmentation_crops_and_flips() {
    let b = load_cifar_bin(
        &cifar("cifar10_20.bin"),
        CifarFormat::CIFAR10,
        Normalisation::CIFAR10,
    )
    .unwrap();
    // Flip only: each image is its own mirror or itself.
    let flip = Augmentation {
        crop_padding: 0,
        horizontal_flip: true,
    };
    let m = b
        .sample_batch_augmented(&mut ChaCha8Rng::seed_from_u64(1), 20, 1.0, &flip)
        .unwrap();
    let mut flipped = 0;
    for i in 0..m.n {
        let img = m.raw_image(i);
        let mirror: Vec<u8> = img
            .chunks_exact(32)
            .flat_map(|row| row.iter().rev().copied())
            .collect();
        let j = (0..b.n)
            .find(|&j| b.raw_image(j) == img || b.raw_image(j) == &mirror[..])
            .expect("image or its mirror");
        assert_eq!(m.labels[i], b.labels[j]);
        if b.raw_image(j) != img {
            flipped += 1;
        }
    }
    assert!(flipped > 2 && flipped < 18, "{flipped} of 20 flipped");

    // Crop with padding 4: every image is a shifted copy with zero borders.
    let crop = Augmentation {
        crop_padding: 4,
        horizontal_flip: false,
    };
    let m = b
        .sample_batch_augmented(&mut ChaCha8Rng::seed_from_u64(2), 20, 1.0, &crop)
        .unwrap();
    let mut shifted = 0;
    for i in 0..m.n {
        let img = m.raw_image(i);
        let mut matched = false;
        'search: for j in 0..b.n {
            let src = b.raw_image(j);
            for dy in -4i32..=4 {
                for dx in -4i32..=4 {
                    let ok = (0..3).all(|c| {
                        (0..32).all(|y| {
                            (0..32).all(|x| {
                                let (sy, sx) = (y as i32 + dy, x as i32 + dx);
                                let expect = if (0..32).contains(&sy) && (0..32).contains(&sx) {
                                    src[c * 1024 + sy as usize * 32 + sx as usize]
                                } else {
                                    0
                                };
                                img[c * 1024 + y * 32 + x] == expect
                            })
                        })
                    });
                    if ok {
                        matched = true;
                        if dx != 0 || dy != 0 {
                            shifted += 1;
                        }
                        break 'search;
                    }
                }
            }
        }
        assert!(
            matched,
            "augmented image {i} is no padded crop of a source image"
        );
        // Normalised values follow the raw ones (zero padding -> (0 - mean) / std).
        assert_eq!(m.image(i)[0], Normalisation::CIFAR10.apply(0, img[0]));
    }
    assert!(shifted >= 15, "{shifted} of 20 shifted");
    // Deterministic.
    let again = b
        .sample_batch_augmented(&mut ChaCha8Rng::seed_from_u64(2), 20, 1.0, &crop)
        .unwrap();
    assert_eq!(m, again);
    assert_eq!(Augmentation::default(), Augmentation::CIFAR);
}
