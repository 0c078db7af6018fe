//! Encoding helpers: turn architectures into the dense `f32` feature matrices that the tree
//! and kernel models consume.
//!
//! NASLib's model-based predictors call `encode(arch, encoding_type, ss_type)` on every
//! architecture and stack the results into a numpy array; [`encode_archs`] does the same with
//! [`AnyArch::encode`], flattening non-dense encodings with [`Encoding::flatten`] (graph: adjacency,
//! node features, vertex count; tokens: their numeric values).
//!
//! [`Encoding::flatten`]: naspred_spaces::Encoding::flatten

use std::fmt;

use naspred_eval::predictor::ArchInput;
use naspred_spaces::{AnyArch, EncodingKind, Quirks, SpaceError};
use thiserror::Error;

/// Why a feature matrix could not be built.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FeatureError {
    /// No rows were given.
    #[error("no rows: at least one feature vector is needed")]
    Empty,
    /// Rows of different lengths.
    #[error("row {row} has {got} features, expected {expected}")]
    Ragged {
        /// Index of the offending row.
        row: usize,
        /// Length of the first row.
        expected: usize,
        /// Length of the offending row.
        got: usize,
    },
    /// A flat buffer whose length is not `rows * cols`.
    #[error("buffer of {len} values is not {rows} rows x {cols} columns")]
    BadShape {
        /// Buffer length.
        len: usize,
        /// Requested rows.
        rows: usize,
        /// Requested columns.
        cols: usize,
    },
    /// An architecture could not be encoded.
    #[error("cannot encode architecture {index}: {source}")]
    Encode {
        /// Index of the architecture in the input.
        index: usize,
        /// The space crate's error.
        #[source]
        source: SpaceError,
    },
}

/// A dense row-major `f32` matrix: one row per architecture, one column per feature.
///
/// `NaN` entries are allowed and mean "missing" to XGBoost (as with `xgb.DMatrix(X)` in Python);
/// every other value, zeros included, is a present value.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureMatrix {
    data: Vec<f32>,
    rows: usize,
    cols: usize,
}

impl FeatureMatrix {
    /// A matrix from a row-major buffer of `rows * cols` values.
    ///
    /// # Errors
    /// [`FeatureError::BadShape`] if the length does not match; [`FeatureError::Empty`] if
    /// `rows == 0`.
    pub fn from_row_major(data: Vec<f32>, rows: usize, cols: usize) -> Result<Self, FeatureError> {
        if rows == 0 {
            return Err(FeatureError::Empty);
        }
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(FeatureError::BadShape {
                len: data.len(),
                rows,
                cols,
            });
        }
        Ok(FeatureMatrix { data, rows, cols })
    }

    /// A matrix from equally long rows.
    ///
    /// # Errors
    /// [`FeatureError::Empty`] for no rows, [`FeatureError::Ragged`] for rows of different
    /// lengths.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Result<Self, FeatureError> {
        let first = rows.first().ok_or(FeatureError::Empty)?;
        let cols = first.as_ref().len();
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            if r.len() != cols {
                return Err(FeatureError::Ragged {
                    row: i,
                    expected: cols,
                    got: r.len(),
                });
            }
            data.extend_from_slice(r);
        }
        Ok(FeatureMatrix {
            data,
            rows: rows.len(),
            cols,
        })
    }

    /// Number of rows (architectures).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (features).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The row-major values.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= self.rows()`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Iterator over the rows.
    pub fn iter_rows(&self) -> impl Iterator<Item = &[f32]> + '_ {
        (0..self.rows).map(move |i| self.row(i))
    }

    /// The matrix restricted to the given rows, in that order.
    ///
    /// # Errors
    /// [`FeatureError::Empty`] if `indices` is empty.
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn select_rows(&self, indices: &[usize]) -> Result<Self, FeatureError> {
        if indices.is_empty() {
            return Err(FeatureError::Empty);
        }
        let mut data = Vec::with_capacity(indices.len() * self.cols);
        for &i in indices {
            data.extend_from_slice(self.row(i));
        }
        Ok(FeatureMatrix {
            data,
            rows: indices.len(),
            cols: self.cols,
        })
    }
}

impl fmt::Display for FeatureMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{} feature matrix", self.rows, self.cols)
    }
}

/// The flat feature vector of one architecture under `kind` (dense encodings as they are,
/// others through [`Encoding::flatten`](naspred_spaces::Encoding::flatten)).
///
/// # Errors
/// The space crate's error when `kind` does not exist for the architecture's space.
pub fn encode_arch(
    arch: &AnyArch,
    kind: EncodingKind,
    quirks: Quirks,
) -> Result<Vec<f32>, SpaceError> {
    let enc = arch.encode(kind, quirks)?;
    Ok(match enc {
        naspred_spaces::Encoding::Dense(v) => v,
        other => other.flatten(),
    })
}

/// The feature matrix of `archs` under `kind`, one row per architecture.
///
/// # Errors
/// [`FeatureError::Empty`] for no architectures, [`FeatureError::Encode`] when one cannot be
/// encoded, [`FeatureError::Ragged`] when encodings differ in length (mixed spaces).
pub fn encode_archs<'a, I>(
    archs: I,
    kind: EncodingKind,
    quirks: Quirks,
) -> Result<FeatureMatrix, FeatureError>
where
    I: IntoIterator<Item = &'a AnyArch>,
{
    let mut data = Vec::new();
    let mut rows = 0usize;
    let mut cols = 0usize;
    for (index, arch) in archs.into_iter().enumerate() {
        let v = encode_arch(arch, kind, quirks)
            .map_err(|source| FeatureError::Encode { index, source })?;
        if index == 0 {
            cols = v.len();
            data.reserve(cols * 64);
        } else if v.len() != cols {
            return Err(FeatureError::Ragged {
                row: index,
                expected: cols,
                got: v.len(),
            });
        }
        data.extend_from_slice(&v);
        rows += 1;
    }
    if rows == 0 {
        return Err(FeatureError::Empty);
    }
    Ok(FeatureMatrix { data, rows, cols })
}

/// [`encode_archs`] over the architectures of predictor inputs.
///
/// # Errors
/// As [`encode_archs`].
pub fn encode_inputs(
    inputs: &[ArchInput],
    kind: EncodingKind,
    quirks: Quirks,
) -> Result<FeatureMatrix, FeatureError> {
    encode_archs(inputs.iter().map(|i| &i.arch), kind, quirks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_rows_checks_shape() {
        let m = FeatureMatrix::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0]]).unwrap();
        assert_eq!((m.rows(), m.cols()), (2, 2));
        assert_eq!(m.row(1), &[3.0, 4.0]);
        assert_eq!(m.iter_rows().count(), 2);
        let e = FeatureMatrix::from_rows(&[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
        assert_eq!(
            e,
            FeatureError::Ragged {
                row: 1,
                expected: 2,
                got: 1
            }
        );
        assert_eq!(
            FeatureMatrix::from_rows::<Vec<f32>>(&[]).unwrap_err(),
            FeatureError::Empty
        );
        assert!(FeatureMatrix::from_row_major(vec![0.0; 5], 2, 3).is_err());
        let s = m.select_rows(&[1, 0, 1]).unwrap();
        assert_eq!(s.as_slice(), &[3.0, 4.0, 1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn zero_width_rows_iterate() {
        let m = FeatureMatrix::from_row_major(Vec::new(), 3, 0).unwrap();
        assert_eq!(m.iter_rows().count(), 3);
    }
}
