//! The terminal progress bar of the evaluation protocol: the library
//! ([`naspred_eval::protocol::run`]) only reports [`Progress`]; the CLI (`naspred evaluate`,
//! `naspred reproduce`) draws it with indicatif on stderr.

use std::sync::{Arc, OnceLock};

use indicatif::{ProgressBar, ProgressStyle};
use naspred_eval::protocol::{Progress, ProgressSink};

/// An indicatif bar on stderr counting the protocol's evaluations: created when the run knows
/// its total, one step per finished evaluation, cleared at the end.
#[derive(Debug, Default)]
pub struct EvalBar {
    bar: OnceLock<ProgressBar>,
}

impl EvalBar {
    /// A bar that appears when the run starts.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ProgressSink for EvalBar {
    fn report(&self, event: Progress<'_>) {
        match event {
            Progress::Started { total } => {
                self.bar.get_or_init(|| {
                    let b = ProgressBar::new(total as u64);
                    b.set_style(
                        ProgressStyle::with_template(
                            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} evaluations ({eta} left) {msg}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    b
                });
            }
            Progress::Evaluated(_) => {
                if let Some(b) = self.bar.get() {
                    b.inc(1);
                }
            }
            Progress::Finished => {
                if let Some(b) = self.bar.get() {
                    b.finish_and_clear();
                }
            }
        }
    }
}

/// The progress sink for [`naspred_eval::protocol::RunOptions::progress`]: an [`EvalBar`] when
/// `show`, else none.
pub fn eval_bar(show: bool) -> Option<Arc<dyn ProgressSink>> {
    show.then(|| Arc::new(EvalBar::new()) as Arc<dyn ProgressSink>)
}
