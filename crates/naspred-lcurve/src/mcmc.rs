//! Goodman & Weare's affine-invariant ensemble sampler with the stretch move, as `emcee`
//! (version 2, which pybnn used) implements it: the walkers are split in two halves, each half
//! is moved in turn against the (already updated) other half.

use rand::Rng;

/// emcee's default stretch scale `a`.
pub const STRETCH_A: f64 = 2.0;

/// The chain of an ensemble run: `positions[step][walker]` is a point of dimension `ndim`,
/// stored flat as `positions[(step * nwalkers + walker) * ndim ..]`.
#[derive(Clone, Debug)]
pub struct Chain {
    /// Number of walkers.
    pub nwalkers: usize,
    /// Dimension.
    pub ndim: usize,
    /// Steps recorded.
    pub steps: usize,
    /// Flat positions.
    pub positions: Vec<f64>,
    /// Accepted moves over all walkers and steps.
    pub accepted: usize,
}

impl Chain {
    /// The position of `walker` after `step` (0-based).
    pub fn at(&self, step: usize, walker: usize) -> &[f64] {
        let o = (step * self.nwalkers + walker) * self.ndim;
        &self.positions[o..o + self.ndim]
    }

    /// Every position from step `burn_in` on.
    pub fn after(&self, burn_in: usize) -> impl Iterator<Item = &[f64]> {
        let start = burn_in.min(self.steps) * self.nwalkers * self.ndim;
        self.positions[start..].chunks_exact(self.ndim)
    }
}

/// Runs `steps` stretch-move steps of `start.len()` walkers (an even number ≥ 2) on the log
/// density `ln_p` (−∞ outside the support) and records every step.
pub fn ensemble_sample<F: Fn(&[f64]) -> f64>(
    ln_p: F,
    start: &[Vec<f64>],
    steps: usize,
    rng: &mut impl Rng,
) -> Chain {
    let nwalkers = start.len();
    let ndim = start.first().map_or(0, Vec::len);
    let mut pos: Vec<f64> = start.iter().flatten().copied().collect();
    let mut lp: Vec<f64> = start.iter().map(|p| ln_p(p)).collect();
    let mut positions = Vec::with_capacity(steps * nwalkers * ndim);
    let half = nwalkers / 2;
    let mut prop = vec![0.0; ndim];
    let mut accepted = 0;
    for _ in 0..steps {
        for (first, second) in [(0..half, half..nwalkers), (half..nwalkers, 0..half)] {
            let n_other = second.len();
            for k in first {
                let z = ((STRETCH_A - 1.0) * rng.random::<f64>() + 1.0).powi(2) / STRETCH_A;
                let j = second.start + rng.random_range(0..n_other);
                for d in 0..ndim {
                    let cj = pos[j * ndim + d];
                    prop[d] = cj + z * (pos[k * ndim + d] - cj);
                }
                let lp_new = ln_p(&prop);
                let diff = (ndim as f64 - 1.0) * z.ln() + lp_new - lp[k];
                if diff > rng.random::<f64>().ln() {
                    pos[k * ndim..(k + 1) * ndim].copy_from_slice(&prop);
                    lp[k] = lp_new;
                    accepted += 1;
                }
            }
        }
        positions.extend_from_slice(&pos);
    }
    Chain {
        nwalkers,
        ndim,
        steps,
        positions,
        accepted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn recovers_a_correlated_gaussian() {
        // N(μ, Σ) with μ = (1, −2), Σ = [[2, 1.2], [1.2, 1]].
        let mu = [1.0, -2.0];
        let (s11, s12, s22) = (2.0, 1.2, 1.0);
        let det = s11 * s22 - s12 * s12;
        let (i11, i12, i22) = (s22 / det, -s12 / det, s11 / det);
        let ln_p = |x: &[f64]| {
            let (a, b) = (x[0] - mu[0], x[1] - mu[1]);
            -0.5 * (i11 * a * a + 2.0 * i12 * a * b + i22 * b * b)
        };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let start: Vec<Vec<f64>> = (0..32)
            .map(|_| {
                (0..2)
                    .map(|_| {
                        let z: f64 = StandardNormal.sample(&mut rng);
                        1e-3 * z
                    })
                    .collect()
            })
            .collect();
        let chain = ensemble_sample(ln_p, &start, 4000, &mut rng);
        let s: Vec<&[f64]> = chain.after(1000).collect();
        let n = s.len() as f64;
        let m0 = s.iter().map(|p| p[0]).sum::<f64>() / n;
        let m1 = s.iter().map(|p| p[1]).sum::<f64>() / n;
        let c00 = s.iter().map(|p| (p[0] - m0).powi(2)).sum::<f64>() / n;
        let c01 = s.iter().map(|p| (p[0] - m0) * (p[1] - m1)).sum::<f64>() / n;
        let c11 = s.iter().map(|p| (p[1] - m1).powi(2)).sum::<f64>() / n;
        assert!(
            (m0 - 1.0).abs() < 0.1 && (m1 + 2.0).abs() < 0.1,
            "{m0} {m1}"
        );
        assert!((c00 - 2.0).abs() < 0.2, "{c00}");
        assert!((c01 - 1.2).abs() < 0.15, "{c01}");
        assert!((c11 - 1.0).abs() < 0.1, "{c11}");
        let rate = chain.accepted as f64 / (4000.0 * 32.0);
        assert!(rate > 0.3 && rate < 0.9, "acceptance {rate}");
    }

    #[test]
    fn stays_in_the_support() {
        // Uniform on the unit square: −∞ outside; no recorded point may leave it.
        let ln_p = |x: &[f64]| {
            if x.iter().all(|v| (0.0..=1.0).contains(v)) {
                0.0
            } else {
                f64::NEG_INFINITY
            }
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let start: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![0.5 + 0.01 * i as f64, 0.5 - 0.01 * i as f64])
            .collect();
        let chain = ensemble_sample(ln_p, &start, 500, &mut rng);
        let pts: Vec<&[f64]> = chain.after(0).collect();
        assert!(pts
            .iter()
            .all(|p| p.iter().all(|v| (0.0..=1.0).contains(v))));
        let m = pts.iter().map(|p| p[0]).sum::<f64>() / pts.len() as f64;
        assert!((m - 0.5).abs() < 0.05, "{m}");
        let var = pts.iter().map(|p| (p[0] - m).powi(2)).sum::<f64>() / pts.len() as f64;
        assert!((var - 1.0 / 12.0).abs() < 0.02, "{var}");
    }
}
