//! Search spaces of the NAS predictor study, exactly as NASLib defines them.
//!
//! ```
//! use naspred_spaces::nb201::Nb201Arch;
//! use naspred_spaces::{Architecture, EncodingKind, Quirks, Sampling};
//! use rand::SeedableRng;
//!
//! // Parse NAS-Bench-201's arch string, hash it, encode it for a predictor.
//! let arch: Nb201Arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+\
//!                        |skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
//!     .parse()?;
//! let one_hot = arch.encode(EncodingKind::AdjacencyOneHot, Quirks::Fixed)?;
//! assert_eq!(one_hot.flatten().len(), 6 * 5); // 6 edges x 5 operations
//!
//! // Sample and mutate as NASLib does, from an explicit random stream.
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let parent = Nb201Arch::sample(&mut rng);
//! let child = parent.mutate(&mut rng, Quirks::Fixed);
//! assert!(parent.neighbours().contains(&child));
//! assert_eq!(child.to_string().parse::<Nb201Arch>()?.arch_hash(), child.arch_hash());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate is the foundation of naspred: every other crate names architectures through it.
//!
//! # Principal types
//!
//! * One architecture type per space: [`nb101::Nb101Arch`] (NAS-Bench-101 cell: up to 7
//!   vertices, 9 edges, 3 ops), [`nb201::Nb201Arch`] (NAS-Bench-201: 6 edges x 5 ops),
//!   [`darts::DartsArch`] (DARTS / NB301: normal + reduction cell, 8 `(op, input)` pairs each) and
//!   [`nlp::NlpArch`] (NAS-Bench-NLP recurrent cell).
//! * The [`Architecture`] trait they share: validity, the canonical [`ArchHash`] used for
//!   de-duplication, and [`Architecture::encode`] into every [`EncodingKind`] a predictor uses.
//!   `Display` / `FromStr` are each space's standard text form (see the CLI contract in the
//!   workspace README).
//! * The [`Sampling`] trait for spaces that can be sampled and mutated (all but NLP, whose
//!   architectures only exist as the benchmark's trained list).
//! * [`AnyArch`], a tagged union used where the space is only known at run time (CLI, data
//!   loaders), with [`SpaceKind`] naming the space.
//! * [`Encoding`]: a dense vector, a graph ([`GraphEncoding`]) or a token sequence; the
//!   [`encoding_shape`] table gives NASLib's exact dimensions.
//! * [`Quirks`]: where NASLib has a known bug, `Faithful` reproduces it and `Fixed` does the
//!   intended thing. For the spaces, sampling and mutation, `Faithful` is the default (to
//!   match the paper's numbers); some predictors default to their fixed variant (see the
//!   `naspred` registry: `gp`, `lce`, `lce_m` and the neural predictors).
//!
//! # Encoding dimensions
//!
//! | encoding | NB201 | NB101 | DARTS | NLP |
//! |---|---|---|---|---|
//! | `adjacency_one_hot` | 30 | 36 | 114 | 910 |
//! | `path` | 155 | 364 | 11204 | n/a |
//! | `gcn` (nodes x features) | 8 x 7 | 7 x 5 | 22 x 9 | 26 x 8 |
//! | `bonas` (nodes x features) | 9 x 8 | 8 x 6 | 25 x 11 | n/a |
//! | `seminas` (length, vocabulary) | 35, 9 | 27, 7 | 629, 13 | 324, 12 |
//!
//! Errors are typed ([`SpaceError`]) and name the offending input; no parser panics on any
//! string.

pub mod any;
pub mod darts;
pub mod encoding;
pub mod error;
pub mod nb101;
pub mod nb201;
pub mod nlp;

pub use any::AnyArch;
pub use encoding::{encoding_shape, Encoding, EncodingKind, EncodingShape, GraphEncoding};
pub use error::SpaceError;

use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The four search spaces of the study.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceKind {
    /// NAS-Bench-101 (cell of up to 7 vertices).
    Nb101,
    /// NAS-Bench-201 (6 edges, 5 ops).
    Nb201,
    /// DARTS search space (NAS-Bench-301 data).
    Darts,
    /// NAS-Bench-NLP recurrent cells.
    Nlp,
}

impl SpaceKind {
    /// All spaces, in a stable order.
    pub const ALL: [SpaceKind; 4] = [
        SpaceKind::Nb101,
        SpaceKind::Nb201,
        SpaceKind::Darts,
        SpaceKind::Nlp,
    ];

    /// The short name used on the command line (`nb101`, `nb201`, `darts`, `nlp`).
    pub fn name(self) -> &'static str {
        match self {
            SpaceKind::Nb101 => "nb101",
            SpaceKind::Nb201 => "nb201",
            SpaceKind::Darts => "darts",
            SpaceKind::Nlp => "nlp",
        }
    }
}

impl fmt::Display for SpaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SpaceKind {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "nb101" | "nasbench101" => Ok(SpaceKind::Nb101),
            "nb201" | "nasbench201" => Ok(SpaceKind::Nb201),
            "darts" | "nb301" | "nasbench301" => Ok(SpaceKind::Darts),
            "nlp" | "nbnlp" | "nasbenchnlp" => Ok(SpaceKind::Nlp),
            _ => Err(SpaceError::UnknownSpace(s.to_string())),
        }
    }
}

/// Faithful reproduction of a NASLib bug, or the fixed behaviour.
///
/// `Faithful` is the default of this type (spaces, sampling, mutation, CV scoring), so that
/// numbers match the paper; `Fixed` is the intended behaviour. Predictors choose their own
/// default by registry key: `gp`, `lce`, `lce_m` and the neural predictors default to fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quirks {
    /// Reproduce NASLib's behaviour, bugs included.
    #[default]
    Faithful,
    /// The behaviour NASLib intended (or later fixed).
    Fixed,
}

impl FromStr for Quirks {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "faithful" => Ok(Quirks::Faithful),
            "fixed" => Ok(Quirks::Fixed),
            _ => Err(SpaceError::UnknownQuirks(s.to_string())),
        }
    }
}

impl fmt::Display for Quirks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quirks::Faithful => "faithful",
            Quirks::Fixed => "fixed",
        })
    }
}

/// A 128-bit canonical architecture hash used for de-duplication.
///
/// For NB101 this is the official isomorphism-invariant `nb101_hash` (its `Display` is the
/// same 32-digit lowercase hex string); for the other spaces it is derived from the canonical
/// representation NASLib hashes (NB201 op tuple, DARTS compact tuple, NLP compact triple).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct ArchHash(pub u128);

impl fmt::Display for ArchHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl FromStr for ArchHash {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.len() != 32 {
            return Err(SpaceError::BadHash(s.to_string()));
        }
        u128::from_str_radix(t, 16)
            .map(ArchHash)
            .map_err(|_| SpaceError::BadHash(s.to_string()))
    }
}

/// What every architecture type offers.
pub trait Architecture:
    Sized + Clone + Eq + Hash + fmt::Debug + fmt::Display + FromStr<Err = SpaceError> + Send + Sync
{
    /// The space this architecture belongs to.
    const SPACE: SpaceKind;

    /// Checks the space's validity rules.
    fn validate(&self) -> Result<(), SpaceError>;

    /// The canonical hash used to de-duplicate architectures.
    fn arch_hash(&self) -> ArchHash;

    /// Encodes the architecture for a predictor.
    fn encode(&self, kind: EncodingKind, quirks: Quirks) -> Result<Encoding, SpaceError>;
}

/// Spaces that can be sampled uniformly and mutated (NB101, NB201, DARTS).
pub trait Sampling: Architecture {
    /// One architecture drawn as NASLib's sampler draws it.
    fn sample<R: Rng + ?Sized>(rng: &mut R) -> Self;

    /// One mutation step as NASLib's `mutate` does it.
    fn mutate<R: Rng + ?Sized>(&self, rng: &mut R, quirks: Quirks) -> Self;

    /// Every architecture one mutation step away (NASLib's `get_nbhd`).
    fn neighbours(&self) -> Vec<Self>;
}
