//! Compiles the `naspred train` subcommand's module (`crates/naspred/src/train_cli.rs`) on its
//! own and runs it, so the command can be exercised without building the whole CLI (whose
//! model-based predictors build XGBoost and LightGBM from source).
//!
//! `cli_check --space nb201 --archs FILE --epochs E ... --out BENCH` (the `naspred train` flags)

use std::path::Path;

use anyhow::{Context as _, Result};
use clap::Parser;
use naspred_spaces::{AnyArch, SpaceKind};

#[path = "../../naspred/src/train_cli.rs"]
mod train_cli;

/// One architecture per non-empty line (what `naspred`'s own reader does for nb201).
fn read_archs(space: SpaceKind, path: &Path) -> Result<Vec<AnyArch>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            AnyArch::parse(space, l.trim())
                .with_context(|| format!("{}: line {}", path.display(), i + 1))
        })
        .collect()
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: train_cli::TrainArgs,
}

fn main() -> Result<()> {
    train_cli::train(Cli::parse().args)
}
