//! The `naspred` binary as scripts use it: the `arch` contract and `evaluate`.

use std::path::PathBuf;
use std::process::{Command, Output};

use naspred_data::root::open_data_file;
use naspred_data::DataRoot;

/// The data root: `NASPRED_DATA`, else the repository's `data/`.
fn data_root() -> DataRoot {
    DataRoot::resolve(None)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn naspred(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_naspred"))
        .args(args)
        .env("NASPRED_DATA", data_root().path())
        .output()
        .expect("naspred runs")
}

fn stdout_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn arch_hash_reproduces_every_nb101_hash_of_the_csv() {
    // The compressed CSV as it is stored (`--file` reads gzip too).
    let csv = data_root()
        .file("nb101/nb101_multifidelity_20k.csv")
        .unwrap();
    let o = naspred(&[
        "arch",
        "hash",
        "--space",
        "nb101",
        "--file",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = stdout_lines(&o);
    let mut rdr = csv::Reader::from_reader(open_data_file(&csv).unwrap());
    let col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "nb101_hash")
        .unwrap();
    let want: Vec<String> = rdr
        .records()
        .map(|r| r.unwrap().get(col).unwrap().to_string())
        .collect();
    assert_eq!(want.len(), 20001);
    assert_eq!(got, want);
}

#[test]
fn arch_encode_prints_one_vector_per_line_with_naslib_dimensions() {
    let dir = temp_dir("encode");
    let file = dir.join("nb201.txt");
    std::fs::write(
        &file,
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|\n\
         |none~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|\n",
    )
    .unwrap();
    for (enc, len) in [
        ("adjacency_one_hot", 30),
        ("path", 155),
        ("gcn", 8 * 8 + 8 * 7 + 1),
        ("bonas", 9 * 9 + 9 * 8 + 1),
        ("seminas", 35),
    ] {
        let o = naspred(&[
            "arch",
            "encode",
            "--space",
            "nb201",
            "--encoding",
            enc,
            "--file",
            file.to_str().unwrap(),
        ]);
        assert!(
            o.status.success(),
            "{enc}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let lines = stdout_lines(&o);
        assert_eq!(lines.len(), 2, "{enc}");
        for l in &lines {
            assert_eq!(l.split(',').count(), len, "{enc}: {l}");
        }
    }
    // The adjacency one-hot of the spec's example (4,3,3,3,2,3): ones at 4, 8, 13, 18, 22, 28.
    let o = naspred(&[
        "arch",
        "encode",
        "--space",
        "nb201",
        "--encoding",
        "adjacency_one_hot",
        "--file",
        file.to_str().unwrap(),
    ]);
    let first: Vec<f32> = stdout_lines(&o)[0]
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let ones: Vec<usize> = (0..30).filter(|&i| first[i] == 1.0).collect();
    assert_eq!(ones, vec![4, 8, 13, 18, 22, 28]);
}

#[test]
fn sample_and_mutate_round_trip_through_text() {
    for space in ["nb101", "nb201", "darts"] {
        let o = naspred(&[
            "arch", "sample", "--space", space, "--n", "20", "--seed", "3",
        ]);
        assert!(
            o.status.success(),
            "{space}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let archs = stdout_lines(&o);
        assert_eq!(archs.len(), 20, "{space}");
        let again = naspred(&[
            "arch", "sample", "--space", space, "--n", "20", "--seed", "3",
        ]);
        assert_eq!(stdout_lines(&again), archs, "{space}: sampling is seeded");
        let dir = temp_dir(&format!("mutate-{space}"));
        let file = dir.join("in.txt");
        std::fs::write(&file, archs.join("\n")).unwrap();
        let m = naspred(&[
            "arch",
            "mutate",
            "--space",
            space,
            "--seed",
            "1",
            "--file",
            file.to_str().unwrap(),
        ]);
        assert!(
            m.status.success(),
            "{space}: {}",
            String::from_utf8_lossy(&m.stderr)
        );
        let mutants = stdout_lines(&m);
        assert_eq!(mutants.len(), 20, "{space}");
        let changed = mutants.iter().zip(&archs).filter(|(a, b)| a != b).count();
        // NASLib's DARTS mutation may return the parent (about 39 %); the others nearly never.
        assert!(changed >= 8, "{space}: only {changed} of 20 mutants differ");
        // Mutants are valid architectures of the space: they hash.
        let mf = dir.join("mutants.txt");
        std::fs::write(&mf, mutants.join("\n")).unwrap();
        let h = naspred(&[
            "arch",
            "hash",
            "--space",
            space,
            "--file",
            mf.to_str().unwrap(),
        ]);
        assert!(
            h.status.success(),
            "{space}: {}",
            String::from_utf8_lossy(&h.stderr)
        );
        assert_eq!(stdout_lines(&h).len(), 20);
    }
}

#[test]
fn malformed_lines_fail_with_their_line_number() {
    let dir = temp_dir("malformed");
    let file = dir.join("bad.txt");
    std::fs::write(
        &file,
        "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|\n\
         |none~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_3x3~2|\n\
         |none~0|+|bogus_op~0|none~1|+|none~0|none~1|nor_conv_3x3~2|\n",
    )
    .unwrap();
    let o = naspred(&[
        "arch",
        "encode",
        "--space",
        "nb201",
        "--encoding",
        "path",
        "--file",
        file.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 3"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "matrix,ops\n0100000,\"input,output\"\n").unwrap();
    let o = naspred(&[
        "arch",
        "hash",
        "--space",
        "nb101",
        "--file",
        csv.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2"), "{err}");

    let o = naspred(&["arch", "sample", "--space", "nlp"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nlp"));
}

#[test]
fn evaluate_writes_results_and_rejects_bad_requests_up_front() {
    let dir = temp_dir("evaluate");
    let out = dir.join("run");
    let o = naspred(&[
        "evaluate",
        "--space",
        "nb201",
        "--dataset",
        "cifar10",
        "--predictors",
        "xgb,valacc",
        "--train-sizes",
        "10,30",
        "--trials",
        "2",
        "--test-size",
        "50",
        "--source",
        "data-dir",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("kendall tau") && table.contains("valacc"),
        "{table}"
    );
    let results = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    // xgb at 2 train sizes + valacc at the 12-epoch fidelity, per trial.
    assert_eq!(results.lines().count(), 2 * 3);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 3);
    assert!(summary.starts_with("predictor,train_size,fidelity"));

    let bad = naspred(&[
        "evaluate",
        "--space",
        "nb201",
        "--dataset",
        "cifar10",
        "--predictors",
        "xgb,nope",
        "--quiet",
        "--out",
        dir.join("bad").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nope"));

    let bad = naspred(&[
        "evaluate",
        "--space",
        "nb201",
        "--dataset",
        "cifar10",
        "--predictors",
        "valacc",
        "--fidelities",
        "100",
        "--quiet",
        "--out",
        dir.join("bad2").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("fidelity 100"));

    let bad = naspred(&[
        "evaluate",
        "--space",
        "darts",
        "--dataset",
        "cifar10",
        "--predictors",
        "xgb",
        "--train-sizes",
        "1000",
        "--source",
        "data-dir",
        "--quiet",
        "--out",
        dir.join("bad3").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("500"), "{err}");
}

#[test]
fn evaluate_names_its_time_accounting_and_keeps_one_per_folder() {
    let dir = temp_dir("accounting");
    let out = dir.join("run");
    let args = |accounting: &str| -> Vec<String> {
        [
            "evaluate",
            "--space",
            "nb201",
            "--dataset",
            "cifar10",
            "--predictors",
            "xgb",
            "--train-sizes",
            "10",
            "--trials",
            "1",
            "--test-size",
            "20",
            "--quiet",
            "--time-accounting",
            accounting,
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |accounting: &str| {
        let a = args(accounting);
        naspred(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = run("full-training");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let results = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let r: serde_json::Value = serde_json::from_str(results.lines().next().unwrap()).unwrap();
    assert_eq!(r["time_accounting"], "full_training");
    let full = r["bench_init_time_s"].as_f64().unwrap();
    // Ten NB201 CIFAR-10 architectures trained for 200 epochs: 542 .. 3461 s each.
    assert!(full > 10.0 * 542.0 && full < 10.0 * 3461.0, "{full}");

    // The folder holds full-training records: the default (naslib) is refused, by field.
    let o = run("naslib");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("eval.time_accounting"), "{err}");

    let o = run("per-epoch");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown time accounting"), "{err}");
}

#[test]
fn a_malformed_keep_denormals_variable_is_refused_and_a_valid_one_is_taken() {
    let run = |value: &str| {
        Command::new(env!("CARGO_BIN_EXE_naspred"))
            .arg("predictors")
            .env("NASPRED_DATA", data_root().path())
            .env("NASPRED_KEEP_DENORMALS", value)
            .output()
            .expect("naspred runs")
    };
    let bad = run("yes");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("NASPRED_KEEP_DENORMALS") && err.contains("\"yes\""),
        "{err}"
    );
    for ok in ["1", "0", ""] {
        let o = run(ok);
        assert!(
            o.status.success(),
            "{ok:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout_lines(&o).iter().any(|l| l.starts_with("gcn ")));
    }
}
