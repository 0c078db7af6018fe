//! Shared numerics of the kernel and Bayesian-linear models: `f64` feature matrices, the
//! isotropic RBF kernel, target standardisation, the Adam optimiser (PyTorch's defaults) and
//! scipy's Nelder-Mead (`scipy_fmin`).
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

/// `scipy.optimize.fmin` (Nelder-Mead with scipy's defaults) minimising `f` from `x0`: initial
/// simplex `x0` plus, per coordinate, `x0` with that coordinate scaled by 1.05 (or set to
/// 0.00025 when zero); reflection 1, expansion 2, contraction 0.5, shrink 0.5; stops when every
/// vertex is within `xatol = 1e-4` of the best in every coordinate and every value within
/// `fatol = 1e-4` of the best, or after `200 * len(x0)` iterations or function calls.
///
/// Written out (rather than `naspred-optim`'s Nelder-Mead, argmin's algorithm) because the models that use it reproduce a
/// NASLib predictor whose result depends on where scipy's search stops, not only on the optimum:
/// the branch order, the stable re-sorting and the stopping rule follow scipy's
/// `_minimize_neldermead`. Non-finite values of `f` count as `+inf`.
pub fn scipy_fmin(mut f: impl FnMut(&[f64]) -> f64, x0: &[f64]) -> Vec<f64> {
    const XATOL: f64 = 1e-4;
    const FATOL: f64 = 1e-4;
    let n = x0.len();
    if n == 0 {
        return Vec::new();
    }
    let max_calls = 200 * n;
    let calls = std::cell::Cell::new(0usize);
    let mut eval = |x: &[f64]| {
        calls.set(calls.get() + 1);
        let v = f(x);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let mut sim: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
    sim.push(x0.to_vec());
    for k in 0..n {
        let mut y = x0.to_vec();
        y[k] = if y[k] != 0.0 { 1.05 * y[k] } else { 0.00025 };
        sim.push(y);
    }
    let mut fsim: Vec<f64> = sim.iter().map(|x| eval(x)).collect();
    let sort = |sim: &mut Vec<Vec<f64>>, fsim: &mut Vec<f64>| {
        let mut idx: Vec<usize> = (0..fsim.len()).collect();
        idx.sort_by(|&a, &b| fsim[a].total_cmp(&fsim[b]));
        *sim = idx.iter().map(|&i| sim[i].clone()).collect();
        *fsim = idx.iter().map(|&i| fsim[i]).collect();
    };
    sort(&mut sim, &mut fsim);
    let comb = |a: f64, xa: &[f64], b: f64, xb: &[f64]| -> Vec<f64> {
        xa.iter().zip(xb).map(|(u, v)| a * u + b * v).collect()
    };
    let mut iterations = 1usize;
    while calls.get() < max_calls && iterations < max_calls {
        let x_spread = sim[1..]
            .iter()
            .flat_map(|v| v.iter().zip(&sim[0]).map(|(a, b)| (a - b).abs()))
            .fold(0.0f64, f64::max);
        let f_spread = fsim[1..]
            .iter()
            .map(|v| (fsim[0] - v).abs())
            .fold(0.0f64, f64::max);
        if x_spread <= XATOL && f_spread <= FATOL {
            break;
        }
        let mut xbar = vec![0.0; n];
        for v in &sim[..n] {
            for (s, x) in xbar.iter_mut().zip(v) {
                *s += x;
            }
        }
        for s in &mut xbar {
            *s /= n as f64;
        }
        let worst = sim[n].clone();
        let xr = comb(2.0, &xbar, -1.0, &worst);
        let fxr = eval(&xr);
        let mut shrink = false;
        if fxr < fsim[0] {
            let xe = comb(3.0, &xbar, -2.0, &worst);
            let fxe = eval(&xe);
            if fxe < fxr {
                sim[n] = xe;
                fsim[n] = fxe;
            } else {
                sim[n] = xr;
                fsim[n] = fxr;
            }
        } else if fxr < fsim[n - 1] {
            sim[n] = xr;
            fsim[n] = fxr;
        } else if fxr < fsim[n] {
            let xc = comb(1.5, &xbar, -0.5, &worst);
            let fxc = eval(&xc);
            if fxc <= fxr {
                sim[n] = xc;
                fsim[n] = fxc;
            } else {
                shrink = true;
            }
        } else {
            let xcc = comb(0.5, &xbar, 0.5, &worst);
            let fxcc = eval(&xcc);
            if fxcc < fsim[n] {
                sim[n] = xcc;
                fsim[n] = fxcc;
            } else {
                shrink = true;
            }
        }
        if shrink {
            let best = sim[0].clone();
            for (v, fv) in sim.iter_mut().zip(fsim.iter_mut()).skip(1) {
                *v = comb(0.5, &best, 0.5, v);
                *fv = eval(v);
            }
        }
        iterations += 1;
        sort(&mut sim, &mut fsim);
    }
    sim.swap_remove(0)
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
    fn scipy_fmin_finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2);
        let x = scipy_fmin(rosen, &[-1.2, 1.0]);
        assert!(
            (x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3,
            "{x:?}"
        );
        let q = scipy_fmin(|x: &[f64]| (x[0] - 3.0).powi(2), &[0.0]);
        assert!((q[0] - 3.0).abs() < 1e-3, "{q:?}");
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
