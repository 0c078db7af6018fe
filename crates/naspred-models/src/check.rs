//! Input checks shared by every model: [`ModelInputError`], the ways a training or query set can be
//! unusable whatever the model, and the functions that detect them. Each model's error type
//! ([`TreeError`](crate::TreeError), [`GpError`](crate::GpError),
//! [`BlrError`](crate::BlrError)) wraps a [`ModelInputError`] in its `Data` variant.

use thiserror::Error;

use crate::features::FeatureMatrix;

/// A training or query set that no model can use.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelInputError {
    /// No training rows.
    #[error("empty training set")]
    EmptyTrainingSet,
    /// Feature rows and targets differ in number.
    #[error("{rows} feature rows but {targets} targets")]
    LengthMismatch {
        /// Rows of the feature matrix.
        rows: usize,
        /// Number of targets.
        targets: usize,
    },
    /// A target is NaN or infinite.
    #[error("target {index} is not finite ({value})")]
    NonFiniteTarget {
        /// Index of the target.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A feature matrix with no columns.
    #[error("feature matrix has no columns")]
    NoFeatures,
    /// A query matrix whose width differs from the training matrix.
    #[error("model was trained on {expected} features, query has {got}")]
    FeatureCount {
        /// Training width.
        expected: usize,
        /// Query width.
        got: usize,
    },
}

/// Checks `rows` training inputs against their targets `y`: at least one, as many targets as
/// rows, every target finite (checked in that order).
///
/// # Errors
/// [`ModelInputError::EmptyTrainingSet`], [`ModelInputError::LengthMismatch`] or
/// [`ModelInputError::NonFiniteTarget`].
pub fn check_targets(rows: usize, y: &[f64]) -> Result<(), ModelInputError> {
    check_lengths(rows, y)?;
    check_finite_targets(y)
}

/// [`check_targets`] on a feature matrix, which must also have at least one column (checked
/// after the lengths, before the targets' values).
///
/// # Errors
/// As [`check_targets`], or [`ModelInputError::NoFeatures`].
pub fn check_training_set(x: &FeatureMatrix, y: &[f64]) -> Result<(), ModelInputError> {
    check_lengths(x.rows(), y)?;
    if x.cols() == 0 {
        return Err(ModelInputError::NoFeatures);
    }
    check_finite_targets(y)
}

/// The cheap part of [`check_targets`]: at least one target, and as many targets as `rows`
/// (for a predictor to call before encoding its architectures; the model checks the values).
///
/// # Errors
/// [`ModelInputError::EmptyTrainingSet`] or [`ModelInputError::LengthMismatch`].
pub fn check_lengths(rows: usize, y: &[f64]) -> Result<(), ModelInputError> {
    if y.is_empty() {
        return Err(ModelInputError::EmptyTrainingSet);
    }
    if rows != y.len() {
        return Err(ModelInputError::LengthMismatch {
            rows,
            targets: y.len(),
        });
    }
    Ok(())
}

fn check_finite_targets(y: &[f64]) -> Result<(), ModelInputError> {
    match y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(ModelInputError::NonFiniteTarget { index, value }),
        None => Ok(()),
    }
}

/// Checks a query matrix's width against the training width.
///
/// # Errors
/// [`ModelInputError::FeatureCount`].
pub fn check_width(expected: usize, got: usize) -> Result<(), ModelInputError> {
    if expected == got {
        Ok(())
    } else {
        Err(ModelInputError::FeatureCount { expected, got })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_in_order() {
        let x = FeatureMatrix::from_rows(&[[1.0f32, 2.0], [3.0, 4.0]]).unwrap();
        assert_eq!(
            check_training_set(&x, &[]),
            Err(ModelInputError::EmptyTrainingSet)
        );
        assert_eq!(
            check_training_set(&x, &[1.0]),
            Err(ModelInputError::LengthMismatch {
                rows: 2,
                targets: 1
            })
        );
        assert!(matches!(
            check_training_set(&x, &[1.0, f64::NAN]),
            Err(ModelInputError::NonFiniteTarget { index: 1, .. })
        ));
        assert_eq!(check_training_set(&x, &[1.0, 2.0]), Ok(()));
        assert_eq!(
            check_targets(0, &[]),
            Err(ModelInputError::EmptyTrainingSet)
        );
        assert_eq!(check_lengths(2, &[1.0, f64::NAN]), Ok(()));
        assert_eq!(
            check_width(3, 4),
            Err(ModelInputError::FeatureCount {
                expected: 3,
                got: 4
            })
        );
    }
}
