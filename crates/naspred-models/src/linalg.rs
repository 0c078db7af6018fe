//! Shared numerics of the kernel and Bayesian-linear models: `f64` feature matrices, the
//! isotropic RBF kernel, target standardisation and the Adam optimiser (PyTorch's defaults).
//!
//! Factorisations come from `nalgebra`; nothing here factorises by hand.

use nalgebra::{DMatrix, DVector};

use crate::features::FeatureMatrix;

/// The feature matrix as an `n x d` `f64` matrix (one row per architecture), as NASLib's
/// `torch.tensor(encodings).double()`.
pub fn to_f64(x: &FeatureMatrix) -> DMatrix<f64> {
    DMatrix::from_row_iterator(
        x.rows(),
        x.cols(),
        x.as_slice().iter().map(|&v| f64::from(v)),
    )
}

/// Squared Euclidean distances between the rows of `a` (`n x d`) and `b` (`m x d`): `n x m`.
pub fn sq_dist(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let an: Vec<f64> = a.row_iter().map(|r| r.norm_squared()).collect();
    let bn: Vec<f64> = b.row_iter().map(|r| r.norm_squared()).collect();
    let mut d = a * b.transpose();
    for j in 0..d.ncols() {
        for i in 0..d.nrows() {
            // Clamp the rounding error of the expansion |a|^2 + |b|^2 - 2ab.
            d[(i, j)] = (an[i] + bn[j] - 2.0 * d[(i, j)]).max(0.0);
        }
    }
    d
}

/// The isotropic RBF (squared exponential) kernel `variance * exp(-|x - z|^2 / (2 lengthscale^2))`
/// (pyro's `gp.kernels.RBF` with a scalar lengthscale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rbf {
    /// Signal variance.
    pub variance: f64,
    /// Lengthscale.
    pub lengthscale: f64,
}

impl Rbf {
    /// The kernel matrix from squared distances.
    pub fn from_sq_dist(&self, d2: &DMatrix<f64>) -> DMatrix<f64> {
        let c = -0.5 / (self.lengthscale * self.lengthscale);
        d2.map(|v| self.variance * (c * v).exp())
    }

    /// The kernel matrix between the rows of `a` and `b`.
    pub fn matrix(&self, a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
        self.from_sq_dist(&sq_dist(a, b))
    }
}

/// Mean and population standard deviation (NumPy's `np.std`) of `y`. A standard deviation that
/// is zero or not finite (all targets equal, one target) is replaced by 1 so that standardising
/// never divides by zero; the fitted model then predicts the constant mean.
pub fn standardise(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let var = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let std = var.sqrt();
    let scale = 1e-12 * mean.abs().max(1.0);
    (
        mean,
        if std.is_finite() && std > scale {
            std
        } else {
            1.0
        },
    )
}

/// `(y - mean) / std` as a vector.
pub fn z_scores(y: &[f64], mean: f64, std: f64) -> DVector<f64> {
    DVector::from_iterator(y.len(), y.iter().map(|v| (v - mean) / std))
}

/// Adam (Kingma & Ba) with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8, bias correction),
/// minimising over a flat parameter vector.
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// An optimiser for `n` parameters with learning rate `lr`.
    pub fn new(n: usize, lr: f64) -> Self {
        Adam {
            lr,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// One step: `params -= lr * m_hat / (sqrt(v_hat) + eps)`.
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        const EPS: f64 = 1e-8;
        self.t += 1;
        let c1 = 1.0 - B1.powi(self.t);
        let c2 = 1.0 - B2.powi(self.t);
        for i in 0..params.len() {
            let g = grad[i];
            self.m[i] = B1 * self.m[i] + (1.0 - B1) * g;
            self.v[i] = B2 * self.v[i] + (1.0 - B2) * g * g;
            let step = self.lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + EPS);
            params[i] -= step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sq_dist_matches_direct() {
        let a = DMatrix::from_row_slice(2, 3, &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        let b = DMatrix::from_row_slice(1, 3, &[1.0, 1.0, 0.0]);
        let d = sq_dist(&a, &b);
        assert_eq!(d[(0, 0)], 2.0);
        assert_eq!(d[(1, 0)], 1.0);
    }

    #[test]
    fn standardise_falls_back_on_constant_targets() {
        assert_eq!(standardise(&[3.0, 3.0, 3.0]), (3.0, 1.0));
        let (m, s) = standardise(&[1.0, 3.0]);
        assert_eq!((m, s), (2.0, 1.0));
    }

    #[test]
    fn adam_minimises_a_quadratic() {
        let mut p = vec![3.0, -2.0];
        let mut opt = Adam::new(2, 0.1);
        for _ in 0..500 {
            let g = vec![2.0 * p[0], 2.0 * p[1]];
            opt.step(&mut p, &g);
        }
        assert!(p[0].abs() < 1e-2 && p[1].abs() < 1e-2, "{p:?}");
    }
}
