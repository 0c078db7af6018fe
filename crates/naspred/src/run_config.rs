//! One output folder, one configuration: the fingerprint `evaluate` keeps in `config.json`.
//!
//! Everything that decides a record's value is in [`RunConfig`]: the benchmark (space,
//! dataset, where it came from and the SHA-256 of the data file it was read from), the whole
//! evaluation configuration (predictors, grid, trials, seed, test set, target, quirks, HPO) and
//! the zero-cost inputs (data root, images). A rerun into a folder with another configuration
//! is refused with the fields that differ, old and new. `--extend` accepts a configuration that
//! only adds predictors, train sizes, fidelities or trials: the folder's configuration becomes
//! the union and the records already there are kept (they are exactly what the union would
//! compute, since every record depends only on its own point; see
//! `naspred_eval::protocol::point_seed`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use naspred_eval::EvalConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The configuration of one `evaluate` output folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Search space.
    pub space: String,
    /// Dataset.
    pub dataset: String,
    /// Where the benchmark came from.
    pub benchmark: BenchmarkIdentity,
    /// The evaluation grid and protocol settings.
    pub eval: EvalConfig,
    /// `--data-dir` as given (the zero-cost predictors' images come from it).
    pub data_dir: Option<String>,
    /// `--images` as given.
    pub images: Option<String>,
}

/// The benchmark of a run: its source and the checksum of the bytes it was read from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkIdentity {
    /// `embedded`, `data-dir` or `bench`.
    pub kind: String,
    /// The file (or `embedded`).
    pub source: String,
    /// SHA-256 of the file's bytes (of the compiled-in table for `embedded`).
    pub sha256: String,
}

impl BenchmarkIdentity {
    /// The identity of a benchmark whose [`naspred_data::Benchmark::source`] is `source`: a
    /// file is hashed; `embedded` is the compiled-in table, or the file `NASPRED_EMBEDDED`
    /// names.
    pub fn of(kind: &str, source: &str) -> Result<Self> {
        let bytes = if source == "embedded" {
            match naspred_data::embedded::env_override() {
                Some(p) => {
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?
                }
                None => naspred_data::embedded::BUNDLED.to_vec(),
            }
        } else {
            std::fs::read(source).with_context(|| format!("cannot read {source}"))?
        };
        Ok(BenchmarkIdentity {
            kind: kind.to_string(),
            source: source.to_string(),
            sha256: Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        })
    }
}

/// Fields `--extend` may grow.
const EXTENDABLE: [&str; 4] = [
    "eval.predictors",
    "eval.train_sizes",
    "eval.fidelities",
    "eval.trials",
];

/// Every leaf of a JSON value as `path -> value` (arrays are leaves).
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

/// The fields of `old` and `new` that differ, as `(path, old, new)`.
fn differences(old: &RunConfig, new: &RunConfig) -> Result<Vec<(String, Value, Value)>> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &serde_json::to_value(old)?, &mut a);
    flatten("", &serde_json::to_value(new)?, &mut b);
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (
                a.get(k).cloned().unwrap_or(Value::Null),
                b.get(k).cloned().unwrap_or(Value::Null),
            );
            (x != y).then(|| (k.clone(), x, y))
        })
        .collect())
}

/// `old` grown by `new`'s predictors, train sizes, fidelities and trials.
fn union(old: &RunConfig, new: &RunConfig) -> RunConfig {
    let mut out = old.clone();
    for p in &new.eval.predictors {
        if !out.eval.predictors.contains(p) {
            out.eval.predictors.push(p.clone());
        }
    }
    out.eval.train_sizes.extend(&new.eval.train_sizes);
    out.eval.train_sizes.sort_unstable();
    out.eval.train_sizes.dedup();
    out.eval.fidelities = match (&old.eval.fidelities, &new.eval.fidelities) {
        (Some(a), Some(b)) => {
            let mut f: Vec<u32> = a.iter().chain(b).copied().collect();
            f.sort_unstable();
            f.dedup();
            Some(f)
        }
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    out.eval.trials = old.eval.trials.max(new.eval.trials);
    out
}

/// Settles the configuration of the folder whose `config.json` is `path`: writes `new` into an
/// empty folder; accepts an equal one; with `extend`, accepts one that differs only in the
/// growable fields and returns the union (written back); refuses anything else, naming the
/// differing fields.
pub fn settle(path: &Path, new: RunConfig, extend: bool) -> Result<RunConfig> {
    let settled = if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let old: RunConfig = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a configuration of this naspred version; use another --out folder",
                path.display()
            )
        })?;
        let diffs = differences(&old, &new)?;
        let fixed: Vec<&(String, Value, Value)> = diffs
            .iter()
            .filter(|(k, _, _)| !(extend && EXTENDABLE.contains(&k.as_str())))
            .collect();
        if !fixed.is_empty() {
            let lines: Vec<String> = fixed
                .iter()
                .map(|(k, a, b)| format!("  {k}: {a} in the folder, {b} now"))
                .collect();
            let hint = if fixed
                .iter()
                .all(|(k, _, _)| EXTENDABLE.contains(&k.as_str()))
            {
                "; to add predictors, train sizes, fidelities or trials to it, pass --extend"
            } else {
                "; use another --out folder"
            };
            bail!(
                "{} holds results of another configuration:\n{}\n(one folder holds one \
                 configuration{hint})",
                path.parent().unwrap_or(Path::new(".")).display(),
                lines.join("\n")
            );
        }
        if extend {
            union(&old, &new)
        } else {
            old
        }
    } else {
        new
    };
    std::fs::write(path, serde_json::to_string_pretty(&settled)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(settled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use naspred_spaces::SpaceKind;

    fn config(predictors: &[&str], sizes: &[usize], trials: usize) -> RunConfig {
        let mut eval = EvalConfig::study_defaults(
            SpaceKind::Nb201,
            predictors.iter().map(|s| s.to_string()).collect(),
        );
        eval.train_sizes = sizes.to_vec();
        eval.trials = trials;
        RunConfig {
            space: "nb201".into(),
            dataset: "cifar10".into(),
            benchmark: BenchmarkIdentity::of("embedded", "embedded").unwrap(),
            eval,
            data_dir: None,
            images: None,
        }
    }

    fn folder(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("naspred-runcfg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.join("config.json")
    }

    #[test]
    fn an_equal_configuration_is_accepted_and_another_is_refused_by_field() {
        let p = folder("refuse");
        let a = config(&["xgb"], &[10, 100], 3);
        assert_eq!(settle(&p, a.clone(), false).unwrap(), a);
        assert_eq!(settle(&p, a.clone(), false).unwrap(), a);
        let mut b = a.clone();
        b.eval.hpo.enabled = !a.eval.hpo.enabled;
        b.benchmark = BenchmarkIdentity {
            kind: "bench".into(),
            source: "mini.jsonl.gz".into(),
            sha256: "00".into(),
        };
        let e = settle(&p, b, false).unwrap_err().to_string();
        for field in [
            "eval.hpo.enabled",
            "benchmark.kind",
            "benchmark.source",
            "benchmark.sha256",
        ] {
            assert!(e.contains(field), "{e}");
        }
        assert!(e.contains("another --out"), "{e}");
        let written: RunConfig =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(written, a, "a refused run leaves config.json as it was");
    }

    #[test]
    fn extend_grows_the_grid_and_refuses_anything_else() {
        let p = folder("extend");
        let a = config(&["xgb", "lgb"], &[10, 100], 3);
        settle(&p, a.clone(), false).unwrap();
        let b = config(&["rf", "xgb"], &[20, 100], 2);
        let e = settle(&p, b.clone(), false).unwrap_err().to_string();
        assert!(
            e.contains("eval.predictors") && e.contains("--extend"),
            "{e}"
        );
        let u = settle(&p, b, true).unwrap();
        assert_eq!(u.eval.predictors, ["xgb", "lgb", "rf"]);
        assert_eq!(u.eval.train_sizes, [10, 20, 100]);
        assert_eq!(u.eval.trials, 3);
        let mut c = config(&["xgb"], &[10], 5);
        c.eval.seed = 9;
        let e = settle(&p, c, true).unwrap_err().to_string();
        assert!(e.contains("eval.seed") && !e.contains("eval.trials"), "{e}");
    }
}
