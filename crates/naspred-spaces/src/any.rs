//! [`AnyArch`]: an architecture of a space known only at run time.

use std::fmt;

use rand::Rng;

use crate::darts::DartsArch;
use crate::nb101::Nb101Arch;
use crate::nb201::Nb201Arch;
use crate::nlp::NlpArch;
use crate::{
    ArchHash, Architecture, Encoding, EncodingKind, Quirks, Sampling, SpaceError, SpaceKind,
};

/// An architecture of any of the four spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnyArch {
    /// A NAS-Bench-101 cell.
    Nb101(Nb101Arch),
    /// A NAS-Bench-201 cell.
    Nb201(Nb201Arch),
    /// A DARTS genotype (normal + reduction cell).
    Darts(DartsArch),
    /// A NAS-Bench-NLP recurrent cell.
    Nlp(NlpArch),
}

/// Applies `$body` to the inner architecture, whatever its space.
macro_rules! each {
    ($self:expr, $a:ident => $body:expr) => {
        match $self {
            AnyArch::Nb101($a) => $body,
            AnyArch::Nb201($a) => $body,
            AnyArch::Darts($a) => $body,
            AnyArch::Nlp($a) => $body,
        }
    };
}

impl AnyArch {
    /// Parses the standard text form of `space`.
    pub fn parse(space: SpaceKind, text: &str) -> Result<AnyArch, SpaceError> {
        Ok(match space {
            SpaceKind::Nb101 => AnyArch::Nb101(text.parse()?),
            SpaceKind::Nb201 => AnyArch::Nb201(text.parse()?),
            SpaceKind::Darts => AnyArch::Darts(text.parse()?),
            SpaceKind::Nlp => AnyArch::Nlp(text.parse()?),
        })
    }

    /// The architecture's space.
    pub fn space(&self) -> SpaceKind {
        match self {
            AnyArch::Nb101(_) => SpaceKind::Nb101,
            AnyArch::Nb201(_) => SpaceKind::Nb201,
            AnyArch::Darts(_) => SpaceKind::Darts,
            AnyArch::Nlp(_) => SpaceKind::Nlp,
        }
    }

    /// See [`Architecture::validate`].
    pub fn validate(&self) -> Result<(), SpaceError> {
        each!(self, a => a.validate())
    }

    /// See [`Architecture::arch_hash`].
    pub fn arch_hash(&self) -> ArchHash {
        each!(self, a => a.arch_hash())
    }

    /// See [`Architecture::encode`].
    pub fn encode(&self, kind: EncodingKind, quirks: Quirks) -> Result<Encoding, SpaceError> {
        each!(self, a => a.encode(kind, quirks))
    }

    /// Whether the space has a sampler and mutation (all but NLP).
    pub fn can_sample(space: SpaceKind) -> bool {
        space != SpaceKind::Nlp
    }

    /// One architecture sampled as NASLib samples `space`.
    pub fn sample<R: Rng + ?Sized>(space: SpaceKind, rng: &mut R) -> Result<AnyArch, SpaceError> {
        Ok(match space {
            SpaceKind::Nb101 => AnyArch::Nb101(Nb101Arch::sample(rng)),
            SpaceKind::Nb201 => AnyArch::Nb201(Nb201Arch::sample(rng)),
            SpaceKind::Darts => AnyArch::Darts(DartsArch::sample(rng)),
            SpaceKind::Nlp => {
                return Err(SpaceError::Unsupported {
                    space,
                    what: "sampling (NAS-Bench-NLP cells exist only as the benchmark's list)",
                })
            }
        })
    }

    /// One mutation step as NASLib mutates the architecture.
    pub fn mutate<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        quirks: Quirks,
    ) -> Result<AnyArch, SpaceError> {
        Ok(match self {
            AnyArch::Nb101(a) => AnyArch::Nb101(a.mutate(rng, quirks)),
            AnyArch::Nb201(a) => AnyArch::Nb201(a.mutate(rng, quirks)),
            AnyArch::Darts(a) => AnyArch::Darts(a.mutate(rng, quirks)),
            AnyArch::Nlp(_) => {
                return Err(SpaceError::Unsupported {
                    space: SpaceKind::Nlp,
                    what: "mutation",
                })
            }
        })
    }

    /// All architectures one mutation away.
    pub fn neighbours(&self) -> Result<Vec<AnyArch>, SpaceError> {
        Ok(match self {
            AnyArch::Nb101(a) => a.neighbours().into_iter().map(AnyArch::Nb101).collect(),
            AnyArch::Nb201(a) => a.neighbours().into_iter().map(AnyArch::Nb201).collect(),
            AnyArch::Darts(a) => a.neighbours().into_iter().map(AnyArch::Darts).collect(),
            AnyArch::Nlp(_) => {
                return Err(SpaceError::Unsupported {
                    space: SpaceKind::Nlp,
                    what: "neighbourhoods",
                })
            }
        })
    }
}

impl fmt::Display for AnyArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, a => fmt::Display::fmt(a, f))
    }
}

impl From<Nb101Arch> for AnyArch {
    fn from(a: Nb101Arch) -> Self {
        AnyArch::Nb101(a)
    }
}
impl From<Nb201Arch> for AnyArch {
    fn from(a: Nb201Arch) -> Self {
        AnyArch::Nb201(a)
    }
}
impl From<DartsArch> for AnyArch {
    fn from(a: DartsArch) -> Self {
        AnyArch::Darts(a)
    }
}
impl From<NlpArch> for AnyArch {
    fn from(a: NlpArch) -> Self {
        AnyArch::Nlp(a)
    }
}
