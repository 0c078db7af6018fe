//! Typed errors for parsing, validation and encoding.

use crate::SpaceKind;
use thiserror::Error;

/// Longest input echoed back in an error message.
const MAX_ECHO: usize = 160;

/// Shortens a user input for an error message.
pub fn echo(input: &str) -> String {
    if input.chars().count() <= MAX_ECHO {
        input.to_string()
    } else {
        let head: String = input.chars().take(MAX_ECHO).collect();
        format!("{head}...")
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SpaceError {
    /// A text form could not be parsed.
    #[error("{space}: cannot parse {input:?}: {reason}")]
    Parse {
        /// The space whose text form was expected.
        space: SpaceKind,
        /// The (shortened) input.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The architecture breaks a validity rule of its space.
    #[error("{space}: invalid architecture: {reason}")]
    Invalid {
        /// The space.
        space: SpaceKind,
        /// Which rule is broken.
        reason: String,
    },
    /// The encoding does not exist for this space (e.g. `path` for NLP).
    #[error("encoding {encoding} is not defined for {space}")]
    UnsupportedEncoding {
        /// The space.
        space: SpaceKind,
        /// The encoding's name.
        encoding: &'static str,
    },
    /// The operation does not exist for this space (e.g. sampling NLP cells).
    #[error("{space} does not support {what}")]
    Unsupported {
        /// The space.
        space: SpaceKind,
        /// The operation.
        what: &'static str,
    },
    /// An unknown search space name.
    #[error("unknown search space {0:?} (expected nb101, nb201, darts or nlp)")]
    UnknownSpace(String),
    /// An unknown encoding name.
    #[error("unknown encoding {0:?} (expected adjacency_one_hot, path, gcn, bonas or seminas)")]
    UnknownEncoding(String),
    /// An unknown quirk mode.
    #[error("unknown quirk mode {0:?} (expected faithful or fixed)")]
    UnknownQuirks(String),
    /// A hash string that is not 32 hex digits.
    #[error("not a 32-digit hex architecture hash: {0:?}")]
    BadHash(String),
}

impl SpaceError {
    /// A parse error with the input shortened for display.
    pub fn parse(space: SpaceKind, input: &str, reason: impl Into<String>) -> Self {
        SpaceError::Parse {
            space,
            input: echo(input),
            reason: reason.into(),
        }
    }

    /// A validity error.
    pub fn invalid(space: SpaceKind, reason: impl Into<String>) -> Self {
        SpaceError::Invalid {
            space,
            reason: reason.into(),
        }
    }
}
