//! The experiment grids of the study: the train sizes (model-based predictors) and fidelities
//! (learning-curve predictors) NASLib's experiment scripts sweep, per space (spec §2.1).

use naspred_spaces::SpaceKind;

/// NASLib's train-size grid: the integer parts of 11 log-spaced values from 5.1 to `max`.
pub fn log_train_sizes(max: usize) -> Vec<usize> {
    let lo = 5.1f64.log10();
    let hi = (max as f64).log10();
    let mut out: Vec<usize> = (0..11)
        .map(|i| {
            let v = 10f64.powf(lo + (hi - lo) * i as f64 / 10.0);
            // numpy's logspace lands a hair below integers at the end point; snap it.
            let r = v.round();
            if (v - r).abs() < 1e-9 {
                r as usize
            } else {
                v.floor() as usize
            }
        })
        .collect();
    out.dedup();
    out
}

/// NASLib's fidelity grid: the integer parts of `2^linspace(0.9, log2(total - 1), 15)`.
pub fn log_fidelities(total_epochs: u32) -> Vec<u32> {
    let lo = 0.9f64;
    let hi = ((total_epochs.max(3) - 1) as f64).log2();
    let out: Vec<u32> = (0..15)
        .map(|i| {
            let v = 2f64.powf(lo + (hi - lo) * i as f64 / 14.0);
            let r = v.round();
            if (v - r).abs() < 1e-9 {
                r as u32
            } else {
                v.floor() as u32
            }
        })
        .collect();
    out
}

/// The study's maximum train size per space (DARTS 500, others 1000).
pub fn max_train_size(space: SpaceKind) -> usize {
    match space {
        SpaceKind::Darts => 500,
        _ => 1000,
    }
}

/// The study's test-set size per space (DARTS 100, others 200).
pub fn default_test_size(space: SpaceKind) -> usize {
    match space {
        SpaceKind::Darts => 100,
        _ => 200,
    }
}

/// The study's train-size grid for a space: 11 log-spaced sizes up to 1000 (DARTS: 500), as
/// [`log_train_sizes`] computes them with NASLib's numpy (spec §2.1).
pub fn train_sizes(space: SpaceKind) -> Vec<usize> {
    match space {
        SpaceKind::Darts => vec![5, 8, 12, 20, 31, 50, 79, 126, 199, 316, 500],
        _ => vec![5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000],
    }
}

/// The study's fidelity grid for a space: 15 log-spaced epoch counts below the space's full
/// training length, as NASLib's numpy computed them (spec §2.1); NLP has index 2 removed and 6
/// inserted, as NASLib's script does.
///
/// The values are written out because the last grid point depends on how the platform's
/// `pow` rounds (numpy gives 106 for NB101 where `f64::powf` here gives 107).
pub fn fidelities(space: SpaceKind) -> Vec<u32> {
    match space {
        SpaceKind::Nb101 => vec![1, 2, 3, 4, 5, 7, 10, 14, 18, 25, 33, 44, 60, 80, 106],
        SpaceKind::Nb201 => vec![1, 2, 3, 5, 7, 9, 13, 19, 26, 37, 52, 73, 102, 142, 199],
        SpaceKind::Darts => vec![1, 2, 3, 4, 5, 7, 10, 13, 17, 23, 30, 40, 54, 71, 95],
        SpaceKind::Nlp => vec![1, 2, 3, 4, 5, 6, 7, 9, 12, 15, 19, 24, 30, 38, 49],
    }
}

/// Why a comma-separated list of positive integers does not parse ([`parse_list`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// An item that is not an integer.
    #[error("item {index} ({item:?}) is not a positive integer")]
    NotAnInteger {
        /// 1-based position in the list.
        index: usize,
        /// The item as written (trimmed).
        item: String,
    },
    /// An item that is zero or negative.
    #[error("item {index} ({item:?}) must be positive")]
    NotPositive {
        /// 1-based position in the list.
        index: usize,
        /// The item as written (trimmed).
        item: String,
    },
    /// No items.
    #[error("empty list")]
    Empty,
}

/// Parses a comma-separated list of positive integers (`"10,100,1000"`).
///
/// # Errors
/// A [`ListError`] naming the first bad item and its position.
pub fn parse_list<T: std::str::FromStr + PartialOrd + Default>(
    s: &str,
) -> Result<Vec<T>, ListError> {
    let mut out = Vec::new();
    for (i, part) in s.split(',').enumerate() {
        let p = part.trim();
        let v: T = p.parse().map_err(|_| ListError::NotAnInteger {
            index: i + 1,
            item: p.to_string(),
        })?;
        if v <= T::default() {
            return Err(ListError::NotPositive {
                index: i + 1,
                item: p.to_string(),
            });
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err(ListError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_size_grids_match_the_spec() {
        assert_eq!(
            train_sizes(SpaceKind::Nb201),
            vec![5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000]
        );
        assert_eq!(
            train_sizes(SpaceKind::Darts),
            vec![5, 8, 12, 20, 31, 50, 79, 126, 199, 316, 500]
        );
    }

    #[test]
    fn fidelity_grids_match_the_spec() {
        assert_eq!(
            fidelities(SpaceKind::Nb201),
            vec![1, 2, 3, 5, 7, 9, 13, 19, 26, 37, 52, 73, 102, 142, 199]
        );
        assert_eq!(
            fidelities(SpaceKind::Darts),
            vec![1, 2, 3, 4, 5, 7, 10, 13, 17, 23, 30, 40, 54, 71, 95]
        );
        assert_eq!(
            fidelities(SpaceKind::Nlp),
            vec![1, 2, 3, 4, 5, 6, 7, 9, 12, 15, 19, 24, 30, 38, 49]
        );
        assert_eq!(
            fidelities(SpaceKind::Nb101),
            vec![1, 2, 3, 4, 5, 7, 10, 14, 18, 25, 33, 44, 60, 80, 106]
        );
    }

    #[test]
    fn the_formulas_reproduce_the_tables_up_to_pow_rounding() {
        assert_eq!(log_train_sizes(1000), train_sizes(SpaceKind::Nb201));
        assert_eq!(log_fidelities(200), fidelities(SpaceKind::Nb201));
        assert_eq!(log_fidelities(96), fidelities(SpaceKind::Darts));
        let mut nlp = log_fidelities(50);
        nlp.remove(2);
        nlp.insert(5, 6);
        assert_eq!(nlp, fidelities(SpaceKind::Nlp));
    }

    #[test]
    fn lists_parse_and_reject() {
        assert_eq!(parse_list::<usize>("10, 20,30").unwrap(), vec![10, 20, 30]);
        assert!(parse_list::<usize>("10,x")
            .unwrap_err()
            .to_string()
            .contains("item 2"));
        assert!(parse_list::<usize>("0").is_err());
        assert!(parse_list::<u32>("").is_err());
    }
}
