//! The zero-cost proxies by NASLib key.

use std::fmt;
use std::str::FromStr;

use naspred_spaces::SpaceKind;
use serde::{Deserialize, Serialize};

use crate::ZcError;

/// One zero-cost proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proxy {
    /// Σ over conv / linear layers of ‖∂L/∂W‖₂.
    GradNorm,
    /// Σ |W ⊙ ∂L/∂W|.
    Snip,
    /// Σ −W ⊙ (H g).
    Grasp,
    /// Σ over channels of ½ mean_n(Σ_spatial act · grad)², broadcast to the channel's weights.
    Fisher,
    /// −Σ [ln(λ + 1e-5) + 1/(λ + 1e-5)] over the eigenvalues of the input-Jacobian correlation,
    /// with the paper runner's (`ZeroCostV2`) sign: negated on NB101.
    Jacov,
    /// Σ |W ⊙ ∂R/∂W| on the BN-free float64 network with |θ| and an all-ones input.
    Synflow,
    /// log |det K| of the ReLU activation-pattern kernel.
    Nwot,
    /// Per-class Jacobian correlation score.
    EpeNas,
    /// Zen-score: ln of the output perturbation on a Gaussian-initialised network plus BN
    /// scaling.
    Zen,
    /// Σ over conv / linear layers of ‖W‖₂.
    L2Norm,
    /// Σ W ⊙ ∂L/∂W.
    Plain,
    /// Parameters (millions) of the layers a batch-1 forward calls.
    Params,
    /// FLOPs (millions) of a batch-1 forward, tensorwatch's rules.
    Flops,
    /// `jacov` exactly as NASLib's `ZeroCost` predictor computes it and as NAS-Bench-Suite-Zero
    /// publishes it: the same computation, never negated (on NB101 the negative of `jacov`; in
    /// the other spaces equal to it). Not part of [`Proxy::ALL`].
    JacovFaithful,
}

impl Proxy {
    /// All thirteen proxies.
    pub const ALL: [Proxy; 13] = [
        Proxy::GradNorm,
        Proxy::Snip,
        Proxy::Grasp,
        Proxy::Fisher,
        Proxy::Jacov,
        Proxy::Synflow,
        Proxy::Nwot,
        Proxy::EpeNas,
        Proxy::Zen,
        Proxy::L2Norm,
        Proxy::Plain,
        Proxy::Params,
        Proxy::Flops,
    ];

    /// Every proxy with a key: [`Proxy::ALL`] and the faithful variants (`jacov_faithful`).
    pub const KNOWN: [Proxy; 14] = [
        Proxy::GradNorm,
        Proxy::Snip,
        Proxy::Grasp,
        Proxy::Fisher,
        Proxy::Jacov,
        Proxy::Synflow,
        Proxy::Nwot,
        Proxy::EpeNas,
        Proxy::Zen,
        Proxy::L2Norm,
        Proxy::Plain,
        Proxy::Params,
        Proxy::Flops,
        Proxy::JacovFaithful,
    ];

    /// The NASLib key.
    pub const fn key(self) -> &'static str {
        match self {
            Proxy::GradNorm => "grad_norm",
            Proxy::Snip => "snip",
            Proxy::Grasp => "grasp",
            Proxy::Fisher => "fisher",
            Proxy::Jacov => "jacov",
            Proxy::Synflow => "synflow",
            Proxy::Nwot => "nwot",
            Proxy::EpeNas => "epe_nas",
            Proxy::Zen => "zen",
            Proxy::L2Norm => "l2_norm",
            Proxy::Plain => "plain",
            Proxy::Params => "params",
            Proxy::Flops => "flops",
            Proxy::JacovFaithful => "jacov_faithful",
        }
    }

    /// Whether the proxy reads a minibatch of real images (the others need only the input
    /// shape).
    pub const fn needs_images(self) -> bool {
        matches!(
            self,
            Proxy::GradNorm
                | Proxy::Snip
                | Proxy::Grasp
                | Proxy::Fisher
                | Proxy::Jacov
                | Proxy::JacovFaithful
                | Proxy::Nwot
                | Proxy::EpeNas
                | Proxy::Plain
        )
    }

    /// The sign applied to a proxy's raw value: NASLib's paper runner (`ZeroCostV2`) negates
    /// fisher, grad_norm and snip on DARTS and jacov on NB101. Its DARTS synflow negation is
    /// not followed: NASLib's published DARTS synflow values (NAS-Bench-Suite-Zero, computed by
    /// `ZeroCost`) are the positive raw sum (stored as its natural log), positively correlated
    /// with accuracy, and the negated score ranks against them (Kendall tau -0.99 on the
    /// sample's genotypes). The DARTS fisher, grad_norm and snip negations are kept (measured on
    /// the first 250 genotypes of NASLib's sample, batch 32): raw fisher ranks against
    /// validation accuracy (Kendall tau -0.17; NASLib's published values -0.21 over 500), so the
    /// negation makes it rank with it, and raw grad_norm and snip are within 0.04 of zero
    /// either way (NASLib's -0.01), so the runner's sign costs nothing there
    /// (docs/measurements/zerocost-fidelity.md). `jacov_faithful` is never negated.
    pub fn sign(self, space: SpaceKind) -> f64 {
        match (space, self) {
            (SpaceKind::Darts, Proxy::Fisher | Proxy::GradNorm | Proxy::Snip) => -1.0,
            (SpaceKind::Nb101, Proxy::Jacov) => -1.0,
            _ => 1.0,
        }
    }

    /// Parses a comma-separated list, `all` for the thirteen of [`Proxy::ALL`] (any key of
    /// [`Proxy::KNOWN`] may be named).
    pub fn parse_list(s: &str) -> Result<Vec<Proxy>, ZcError> {
        if s.trim() == "all" {
            return Ok(Proxy::ALL.to_vec());
        }
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let p: Proxy = part.parse()?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        if out.is_empty() {
            return Err(ZcError::UnknownProxy(s.to_string()));
        }
        Ok(out)
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Proxy {
    type Err = ZcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace('-', "_");
        let k = match k.as_str() {
            "jacob_cov" | "jacov" => "jacov",
            "epe" | "epe_nas" | "epe_score" => "epe_nas",
            "gradnorm" | "grad_norm" => "grad_norm",
            "l2" | "l2_norm" => "l2_norm",
            other => other,
        };
        Proxy::KNOWN
            .into_iter()
            .find(|p| p.key() == k)
            .ok_or_else(|| ZcError::UnknownProxy(s.to_string()))
    }
}
