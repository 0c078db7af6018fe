//! Results that survive interruptions and mistakes, through the `naspred` binary: one output
//! folder holds one configuration (--extend grows it), a resumed sweep gives the records of an
//! uninterrupted one, no record is lost, and closed pipes, CRLF files, non-UTF-8 input and
//! failing runs end cleanly.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use naspred_eval::records::{read_records, ResultRecord};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("naspred-rel-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn naspred(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_naspred"))
        .args(args)
        .env_remove("NASPRED_DATA")
        .output()
        .expect("naspred runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn repo_data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(rel)
}

fn evaluate(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "evaluate",
        "--space",
        "nb201",
        "--dataset",
        "cifar10",
        "--test-size",
        "50",
        "--seed",
        "1",
        "--quiet",
        "--out",
    ];
    args.push(out.to_str().unwrap());
    args.extend_from_slice(extra);
    naspred(&args)
}

fn tau_of(records: &[ResultRecord], predictor: &str, n: usize) -> Vec<f64> {
    let mut v: Vec<(usize, f64)> = records
        .iter()
        .filter(|r| r.predictor == predictor && r.train_size == n)
        .map(|r| (r.trial, r.metrics.kendalltau))
        .collect();
    v.sort_by_key(|x| x.0);
    v.into_iter().map(|x| x.1).collect()
}

#[test]
fn a_folder_of_another_benchmark_or_hpo_setting_is_refused_by_field() {
    let out = temp_dir("other-bench");
    let base = [
        "--predictors",
        "xgb",
        "--train-sizes",
        "20",
        "--trials",
        "2",
    ];
    let o = evaluate(&out, &base);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read(out.join("results.jsonl")).unwrap();
    let mini = repo_data("train/nb201_mini.jsonl.gz");
    let mut with_bench = base.to_vec();
    with_bench.extend(["--bench", mini.to_str().unwrap()]);
    let o = evaluate(&out, &with_bench);
    assert!(!o.status.success(), "another benchmark must be refused");
    let e = stderr(&o);
    assert!(
        e.contains("benchmark.kind") && e.contains("benchmark.sha256"),
        "{e}"
    );
    let mut with_hpo = base.to_vec();
    with_hpo.push("--hpo");
    let o = evaluate(&out, &with_hpo);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("eval.hpo.enabled"), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("results.jsonl")).unwrap(), before);
    let cfg = std::fs::read_to_string(out.join("config.json")).unwrap();
    assert!(
        cfg.contains("\"enabled\": false"),
        "config.json unchanged: {cfg}"
    );
}

#[test]
fn other_predictors_sizes_or_trials_need_extend_which_adds_them() {
    let out = temp_dir("extend");
    let o = evaluate(
        &out,
        &[
            "--predictors",
            "xgb,lgb",
            "--train-sizes",
            "10,100",
            "--trials",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let other = ["--predictors", "rf", "--train-sizes", "20", "--trials", "3"];
    let o = evaluate(&out, &other);
    assert!(!o.status.success());
    let e = stderr(&o);
    for f in [
        "eval.predictors",
        "eval.train_sizes",
        "eval.trials",
        "--extend",
    ] {
        assert!(e.contains(f), "{f}: {e}");
    }
    let first = read_records(&out.join("results.jsonl")).unwrap();
    let mut extend = other.to_vec();
    extend.push("--extend");
    let o = evaluate(&out, &extend);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = read_records(&out.join("results.jsonl")).unwrap();
    // The union grid: {xgb, lgb, rf} x {10, 20, 100} x 3 trials, old records kept as they were.
    assert_eq!(all.len(), 3 * 3 * 3);
    // (Compared as JSON lines: NaN metrics of a constant prediction are not equal to
    // themselves as numbers.)
    let lines: Vec<String> = all
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    for r in &first {
        let line = serde_json::to_string(r).unwrap();
        assert!(lines.contains(&line), "an old record changed: {line}");
    }
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("lgb") && table.contains("rf"), "{table}");
}

#[test]
fn a_resumed_sweep_equals_an_uninterrupted_one() {
    // The case: rf and ngb at 10 and 100, the second folder resumed from the
    // train-size-10 records only.
    let a = temp_dir("resume-a");
    let args = [
        "--predictors",
        "rf,ngb",
        "--train-sizes",
        "10,100",
        "--trials",
        "2",
        "--test-size",
        "200",
        "--seed",
        "3",
    ];
    let run = |out: &Path| {
        let mut v = vec![
            "evaluate",
            "--space",
            "nb201",
            "--dataset",
            "cifar10",
            "--quiet",
        ];
        v.extend_from_slice(&args);
        v.extend(["--out", out.to_str().unwrap()]);
        let o = naspred(&v);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(&a);
    let b = temp_dir("resume-b");
    std::fs::copy(a.join("config.json"), b.join("config.json")).unwrap();
    let text = std::fs::read_to_string(a.join("results.jsonl")).unwrap();
    let small: String = text
        .lines()
        .filter(|l| l.contains("\"train_size\":10,"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(b.join("results.jsonl"), small).unwrap();
    run(&b);
    let (ra, rb) = (
        read_records(&a.join("results.jsonl")).unwrap(),
        read_records(&b.join("results.jsonl")).unwrap(),
    );
    for p in ["rf", "ngb"] {
        assert_eq!(tau_of(&ra, p, 100), tau_of(&rb, p, 100), "{p} at 100");
        assert_eq!(tau_of(&ra, p, 10), tau_of(&rb, p, 10), "{p} at 10");
    }
}

#[test]
fn a_whole_last_record_without_its_newline_is_kept() {
    let out = temp_dir("newline");
    let args = [
        "--predictors",
        "xgb,params",
        "--train-sizes",
        "10,20",
        "--trials",
        "3",
    ];
    let o = evaluate(&out, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let path = out.join("results.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let n = text.lines().count();
    assert_eq!(n, 3 * 3);
    // Interrupted just before the last newline.
    std::fs::write(&path, text.trim_end_matches('\n')).unwrap();
    let o = evaluate(&out, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(after, text, "nothing lost, nothing redone");
    assert_eq!(read_records(&path).unwrap().len(), n);
}

/// Runs naspred with its standard output read by a pipe that closes after the first line.
fn first_line_then_close(args: &[&str]) -> (String, Output) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_naspred"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while std::io::Read::read(&mut stdout, &mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    (String::from_utf8(first).unwrap(), o)
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    for args in [
        &["predictors"][..],
        &[
            "arch", "sample", "--space", "nb201", "--n", "20000", "--seed", "1",
        ][..],
        &[
            "arch", "sample", "--space", "darts", "--n", "20000", "--seed", "1",
        ][..],
    ] {
        let (first, o) = first_line_then_close(args);
        assert!(!first.is_empty(), "{args:?}");
        assert!(
            o.status.success(),
            "{args:?}: {:?} {}",
            o.status,
            stderr(&o)
        );
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

#[test]
fn bad_text_input_names_its_line() {
    let dir = temp_dir("text");
    let crlf = dir.join("crlf.txt");
    std::fs::write(
        &crlf,
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|\r\n\
         |nor_conv_3x3~0|+|bad_op~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|\r\n",
    )
    .unwrap();
    let o = naspred(&[
        "arch",
        "hash",
        "--space",
        "nb201",
        "--file",
        crlf.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    let latin = dir.join("latin1.txt");
    let mut f = std::fs::File::create(&latin).unwrap();
    f.write_all(b"|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|\n\n\xe9t\xe9\n")
        .unwrap();
    drop(f);
    let o = naspred(&[
        "arch",
        "hash",
        "--space",
        "nb201",
        "--file",
        latin.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("line 3") && e.contains("not UTF-8"), "{e}");
}

#[test]
fn a_failed_zerocost_run_leaves_no_csv_behind() {
    let dir = temp_dir("zc-fail");
    // An NLP cell: it parses, but there is no network to score it, so the run fails once it
    // has begun writing.
    let text = std::fs::read(repo_data("nlp/wikitext2_logs.jsonl.gz")).unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(flate2::read::GzDecoder::new(&text[..])),
        &mut first,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let archs = dir.join("cell.txt");
    std::fs::write(&archs, v["recepie"].to_string() + "\n").unwrap();
    let out = dir.join("zc.csv");
    let o = naspred(&[
        "zerocost",
        "--space",
        "nlp",
        "--proxies",
        "params",
        "--device",
        "cpu",
        "--file",
        archs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-cache",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no network"), "{}", stderr(&o));
    assert!(!out.exists(), "a failed run leaves no CSV");
    assert!(!dir.join("zc.csv.part").exists());
    // A run that succeeds writes the whole CSV.
    let archs = dir.join("archs.txt");
    std::fs::write(
        &archs,
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|\n",
    )
    .unwrap();
    let o = naspred(&[
        "zerocost",
        "--space",
        "nb201",
        "--proxies",
        "params",
        "--device",
        "cpu",
        "--file",
        archs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-cache",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}
