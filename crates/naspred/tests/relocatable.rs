//! The `naspred` binary away from the repository: NB201 from the table compiled into it, from
//! any folder and with no data root at all, and zero-cost images of every CIFAR dataset (the
//! bundled ones, the official binary folder, single files) with clear errors where a dataset or
//! batch size cannot be served.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-reloc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The binary run in `cwd` with the given environment variable overrides.
fn naspred_in(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_naspred"));
    c.current_dir(cwd).args(args);
    for k in ["NASPRED_DATA", "NASPRED_EMBEDDED", "NASPRED_ZC_IMAGES"] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("naspred runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The repository's CIFAR-100 images (fine label only) as raw bytes.
fn cifar100_fine_only() -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/cifar/cifar100_20.bin"),
    )
    .unwrap()
}

/// The same 20 images as official CIFAR-100 records (coarse label byte, fine label byte,
/// pixels), repeated `times` times.
fn official_cifar100(times: usize) -> Vec<u8> {
    let fine = cifar100_fine_only();
    let mut out = Vec::new();
    for _ in 0..times {
        for rec in fine.chunks_exact(3073) {
            out.push(rec[0] / 5); // a coarse label byte (the loader uses the fine one)
            out.extend_from_slice(rec);
        }
    }
    out
}

const ARCHS: &str = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|\n\
|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|\n";

#[test]
fn evaluate_runs_on_nb201_from_any_folder_without_a_data_root() {
    let dir = temp_dir("anywhere");
    let out = dir.join("out");
    // A data root that does not exist: NB201 must come from the compiled-in table.
    let o = naspred_in(
        &dir,
        &[("NASPRED_DATA", "/nonexistent/naspred-data")],
        &[
            "evaluate",
            "--space",
            "nb201",
            "--dataset",
            "cifar10",
            "--predictors",
            "xgb",
            "--trials",
            "2",
            "--train-sizes",
            "20",
            "--test-size",
            "50",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("xgb"), "{table}");
    let records = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    assert_eq!(records.lines().count(), 2, "{records}");
    for line in records.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let tau = v["metrics"]["kendalltau"].as_f64().expect("a Kendall tau");
        assert!(tau > 0.0 && tau < 1.0, "xgb at n = 20 on NB201: {tau}");
    }
}

#[test]
fn a_space_without_a_data_root_names_the_missing_file_and_the_remedy() {
    let dir = temp_dir("noroot");
    let o = naspred_in(
        &dir,
        &[("NASPRED_DATA", "/nonexistent/naspred-data")],
        &[
            "evaluate",
            "--space",
            "nb101",
            "--dataset",
            "cifar10",
            "--predictors",
            "xgb",
            "--trials",
            "1",
            "--train-sizes",
            "20",
            "--test-size",
            "50",
            "--quiet",
            "--out",
            dir.join("out").to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("nb101/nb101_multifidelity_20k.csv"), "{e}");
    assert!(e.contains("/nonexistent/naspred-data"), "{e}");
    assert!(e.contains("--data-dir"), "{e}");
}

fn zerocost(dir: &Path, extra: &[&str]) -> Output {
    std::fs::write(dir.join("archs.txt"), ARCHS).unwrap();
    let mut args = vec![
        "zerocost",
        "--space",
        "nb201",
        "--proxies",
        "jacov,snip",
        "--device",
        "cpu",
        "--file",
        "archs.txt",
        "--out",
        "zc.csv",
        "--no-cache",
    ];
    args.extend_from_slice(extra);
    naspred_in(dir, &[], &args)
}

fn scores(dir: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(dir.join("zc.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (1..=2).map(|i| r[i].parse::<f64>().unwrap()).collect()
        })
        .collect()
}

#[test]
fn zerocost_on_cifar100_uses_the_bundled_images_up_to_the_batch_they_fill() {
    let dir = temp_dir("c100");
    let o = zerocost(&dir, &["--dataset", "cifar100", "--batch-size", "14"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = scores(&dir);
    assert_eq!(s.len(), 2);
    assert!(s.iter().flatten().all(|v| v.is_finite()), "{s:?}");
    assert_ne!(s[0], s[1], "two architectures, two scores");

    // 15 cannot be filled from 20 images (NASLib draws from the first 70 %).
    let dir = temp_dir("c100-big");
    let o = zerocost(&dir, &["--dataset", "cifar100", "--batch-size", "15"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("15 images cannot be filled"), "{e}");
    assert!(e.contains("at most 14"), "{e}");
    assert!(e.contains("--images"), "{e}");
    assert!(!dir.join("zc.csv").exists(), "no CSV is left behind");
}

/// CIFAR-100 scores of the test architectures at batch 64 from `images`.
fn cifar100_scores(dir: &Path, images: &str) -> Vec<Vec<f64>> {
    let o = zerocost(
        dir,
        &[
            "--dataset",
            "cifar100",
            "--batch-size",
            "64",
            "--images",
            images,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    scores(dir)
}

#[test]
fn zerocost_reads_the_official_cifar100_folder_and_single_files() {
    let dir = temp_dir("c100-official");
    let folder = dir.join("cifar-100-binary");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("train.bin"), official_cifar100(5)).unwrap();
    std::fs::write(folder.join("test.bin"), official_cifar100(1)).unwrap();
    let from_folder = cifar100_scores(&dir, folder.to_str().unwrap());
    assert_eq!(from_folder.len(), 2);

    // The same records as one file, and the parent folder (official archive layout).
    std::fs::write(dir.join("train100.bin"), official_cifar100(5)).unwrap();
    assert_eq!(
        cifar100_scores(&dir, "train100.bin"),
        from_folder,
        "the same images give the same scores"
    );
    assert_eq!(cifar100_scores(&dir, dir.to_str().unwrap()), from_folder);
}

#[test]
fn zerocost_reads_a_cifar10_file_and_refuses_what_it_cannot_serve() {
    let dir = temp_dir("c10-file");
    let repo_images =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/cifar/train_5000.bin.gz");
    let o = zerocost(
        &dir,
        &[
            "--dataset",
            "cifar10",
            "--batch-size",
            "32",
            "--images",
            repo_images.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let explicit = scores(&dir);
    let o = zerocost(&dir, &["--dataset", "cifar10", "--batch-size", "32"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        scores(&dir),
        explicit,
        "--images of the bundled file = the default"
    );

    let dir = temp_dir("in16");
    let o = zerocost(&dir, &["--dataset", "ImageNet16-120", "--batch-size", "8"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("ImageNet16-120") && e.contains("not supported yet"),
        "{e}"
    );

    let dir = temp_dir("bad-file");
    std::fs::write(dir.join("junk.bin"), vec![7u8; 5000]).unwrap();
    let o = zerocost(
        &dir,
        &[
            "--dataset",
            "cifar100",
            "--batch-size",
            "8",
            "--images",
            "junk.bin",
        ],
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("junk.bin") && e.contains("3074"), "{e}");
}
