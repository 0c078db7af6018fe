//! ν-support-vector regression with an RBF kernel, solved as libsvm (and so scikit-learn's
//! `NuSVR`) solves it: the dual
//!
//! ```text
//! min ½ (α − α*)ᵀ K (α − α*) − yᵀ(α − α*)
//! s.t. eᵀ(α − α*) = 0,  eᵀ(α + α*) = C ν l,  0 ≤ α, α* ≤ C
//! ```
//!
//! by libsvm's `Solver_NU` (SMO with second-order working-set selection restricted to pairs of
//! the same sign, so both equality constraints hold throughout), started from libsvm's initial
//! point. The bias is libsvm's `rho` of the ν solver. No shrinking (it only speeds libsvm up;
//! the optimum is the same to the tolerance).

/// libsvm's `TAU`: the smallest curvature used for a working pair.
const TAU: f64 = 1e-12;

/// The radial basis function kernel `exp(-γ ‖a − b‖²)`.
#[inline]
pub fn rbf(a: &[f64], b: &[f64], gamma: f64) -> f64 {
    let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    (-gamma * d2).exp()
}

/// The sign of variable `i` of the dual: +1 for α (`i < l`), −1 for α*.
#[inline]
fn sign(l: usize, i: usize) -> f64 {
    if i < l {
        1.0
    } else {
        -1.0
    }
}

/// `Q_ij = s_i s_j K(i mod l, j mod l)`.
#[inline]
fn q(kernel: &[f64], l: usize, i: usize, j: usize) -> f64 {
    let idx = |i: usize| if i < l { i } else { i - l };
    sign(l, i) * sign(l, j) * kernel[idx(i) * l + idx(j)]
}

/// libsvm's `Solver_NU` on the ν-SVR dual: variables `0..l` are α (sign +1), `l..2l` are α*
/// (sign −1); `p = (−y, y)`.
struct SolverNu<'k> {
    l: usize,
    c: f64,
    kernel: &'k [f64],
    alpha: Vec<f64>,
    /// The gradient `Q α + p`.
    grad: Vec<f64>,
    /// The diagonal of `Q`.
    qd: Vec<f64>,
}

impl<'k> SolverNu<'k> {
    /// libsvm's initial point (`C ν l / 2` spread over α and α* alike) and its gradient.
    fn new(y: &[f64], kernel: &'k [f64], params: NuSvrParams) -> Self {
        let l = y.len();
        let c = params.c;
        let n = 2 * l;
        let mut alpha = vec![0.0; n];
        let mut sum = c * params.nu * l as f64 / 2.0;
        for i in 0..l {
            let a = sum.min(c);
            alpha[i] = a;
            alpha[i + l] = a;
            sum -= a;
        }
        let mut grad: Vec<f64> = (0..n)
            .map(|i| if i < l { -y[i] } else { y[i - l] })
            .collect();
        for (j, &aj) in alpha.iter().enumerate() {
            if aj != 0.0 {
                for (i, g) in grad.iter_mut().enumerate() {
                    *g += aj * q(kernel, l, i, j);
                }
            }
        }
        let qd: Vec<f64> = (0..n).map(|i| q(kernel, l, i, i)).collect();
        SolverNu {
            l,
            c,
            kernel,
            alpha,
            grad,
            qd,
        }
    }

    /// Number of variables (`2 l`).
    fn n(&self) -> usize {
        2 * self.l
    }

    fn upper(&self, a: f64) -> bool {
        a >= self.c
    }

    fn lower(a: f64) -> bool {
        a <= 0.0
    }

    /// `Solver_NU::select_working_set`: the same-sign pair of maximal second-order gain, or
    /// `None` when optimal to `tol` (or no pair is left).
    fn select_working_set(&self, tol: f64) -> Option<(usize, usize)> {
        let (l, n, alpha, grad, qd) = (self.l, self.n(), &self.alpha, &self.grad, &self.qd);
        let (mut gmaxp, mut gmaxp2, mut ip) = (f64::NEG_INFINITY, f64::NEG_INFINITY, None);
        let (mut gmaxn, mut gmaxn2, mut in_) = (f64::NEG_INFINITY, f64::NEG_INFINITY, None);
        for t in 0..n {
            if sign(l, t) > 0.0 {
                if !self.upper(alpha[t]) && -grad[t] >= gmaxp {
                    gmaxp = -grad[t];
                    ip = Some(t);
                }
            } else if !Self::lower(alpha[t]) && grad[t] >= gmaxn {
                gmaxn = grad[t];
                in_ = Some(t);
            }
        }
        let mut jmin = None;
        let mut obj_min = f64::INFINITY;
        for j in 0..n {
            if sign(l, j) > 0.0 {
                if !Self::lower(alpha[j]) {
                    let gd = gmaxp + grad[j];
                    if grad[j] >= gmaxp2 {
                        gmaxp2 = grad[j];
                    }
                    if let (true, Some(ip)) = (gd > 0.0, ip) {
                        let quad = qd[ip] + qd[j] - 2.0 * q(self.kernel, l, ip, j);
                        let obj = -(gd * gd) / if quad > 0.0 { quad } else { TAU };
                        if obj <= obj_min {
                            jmin = Some(j);
                            obj_min = obj;
                        }
                    }
                }
            } else if !self.upper(alpha[j]) {
                let gd = gmaxn - grad[j];
                if -grad[j] >= gmaxn2 {
                    gmaxn2 = -grad[j];
                }
                if let (true, Some(in_)) = (gd > 0.0, in_) {
                    let quad = qd[in_] + qd[j] - 2.0 * q(self.kernel, l, in_, j);
                    let obj = -(gd * gd) / if quad > 0.0 { quad } else { TAU };
                    if obj <= obj_min {
                        jmin = Some(j);
                        obj_min = obj;
                    }
                }
            }
        }
        let j = jmin?;
        if (gmaxp + gmaxp2).max(gmaxn + gmaxn2) < tol {
            return None;
        }
        let i = if sign(l, j) > 0.0 { ip } else { in_ };
        i.map(|i| (i, j))
    }

    /// The same-sign pair update (libsvm `Solver::Solve`, `y_i == y_j` branch), then the
    /// gradient.
    fn update_pair(&mut self, i: usize, j: usize) {
        let (l, c, kernel) = (self.l, self.c, self.kernel);
        let alpha = &mut self.alpha;
        let (old_i, old_j) = (alpha[i], alpha[j]);
        let quad = self.qd[i] + self.qd[j] - 2.0 * q(kernel, l, i, j);
        let quad = if quad > 0.0 { quad } else { TAU };
        let delta = (self.grad[i] - self.grad[j]) / quad;
        let s = alpha[i] + alpha[j];
        alpha[i] -= delta;
        alpha[j] += delta;
        if s > c {
            if alpha[i] > c {
                alpha[i] = c;
                alpha[j] = s - c;
            }
        } else if alpha[j] < 0.0 {
            alpha[j] = 0.0;
            alpha[i] = s;
        }
        if s > c {
            if alpha[j] > c {
                alpha[j] = c;
                alpha[i] = s - c;
            }
        } else if alpha[i] < 0.0 {
            alpha[i] = 0.0;
            alpha[j] = s;
        }
        let (di, dj) = (alpha[i] - old_i, alpha[j] - old_j);
        for (k, g) in self.grad.iter_mut().enumerate() {
            *g += q(kernel, l, i, k) * di + q(kernel, l, j, k) * dj;
        }
    }

    /// The bias (`Solver_NU::calculate_rho`).
    fn rho(&self) -> f64 {
        let mut r = [0.0f64; 2];
        for (cls, r) in r.iter_mut().enumerate() {
            let (mut ub, mut lb, mut nfree, mut sfree) =
                (f64::INFINITY, f64::NEG_INFINITY, 0usize, 0.0);
            for t in 0..self.n() {
                if (sign(self.l, t) > 0.0) != (cls == 0) {
                    continue;
                }
                if self.upper(self.alpha[t]) {
                    lb = lb.max(self.grad[t]);
                } else if Self::lower(self.alpha[t]) {
                    ub = ub.min(self.grad[t]);
                } else {
                    nfree += 1;
                    sfree += self.grad[t];
                }
            }
            *r = if nfree > 0 {
                sfree / nfree as f64
            } else {
                (ub + lb) / 2.0
            };
        }
        (r[0] - r[1]) / 2.0
    }
}

/// A fitted ν-SVR: `f(x) = Σ_i coef_i K(x_i, x) − rho`.
#[derive(Clone, Debug, PartialEq)]
pub struct NuSvr {
    support: Vec<Vec<f64>>,
    coef: Vec<f64>,
    rho: f64,
    gamma: f64,
}

/// Hyperparameters of a [`NuSvr`] fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NuSvrParams {
    /// Box constraint `C`.
    pub c: f64,
    /// `ν` in (0, 1]: an upper bound on the fraction of errors and a lower bound on the
    /// fraction of support vectors.
    pub nu: f64,
    /// RBF width `γ`.
    pub gamma: f64,
    /// Stopping tolerance on the maximal KKT violation (scikit-learn's default `tol = 1e-3`).
    pub tol: f64,
}

impl NuSvrParams {
    /// Parameters with scikit-learn's default tolerance.
    pub fn new(c: f64, nu: f64, gamma: f64) -> Self {
        NuSvrParams {
            c,
            nu,
            gamma,
            tol: 1e-3,
        }
    }
}

impl NuSvr {
    /// Fits on rows `x` and targets `y`, with `kernel` the precomputed `n × n` RBF kernel matrix of
    /// `x` (row-major) for `params.gamma`. `None` when the problem is empty or `ν` is outside
    /// (0, 1].
    pub fn fit_with_kernel(
        x: &[&[f64]],
        y: &[f64],
        kernel: &[f64],
        params: NuSvrParams,
    ) -> Option<NuSvr> {
        let l = y.len();
        if l == 0 || !(params.nu > 0.0 && params.nu <= 1.0) || params.c.is_nan() || params.c <= 0.0
        {
            return None;
        }
        debug_assert_eq!(kernel.len(), l * l);
        let mut solver = SolverNu::new(y, kernel, params);
        let max_iter = (100 * solver.n()).max(10_000_000);
        for _ in 0..max_iter {
            let Some((i, j)) = solver.select_working_set(params.tol) else {
                break;
            };
            solver.update_pair(i, j);
        }
        let rho = solver.rho();
        let alpha = &solver.alpha;
        let mut support = Vec::new();
        let mut coef = Vec::new();
        for i in 0..l {
            let cf = alpha[i] - alpha[i + l];
            if cf != 0.0 {
                support.push(x[i].to_vec());
                coef.push(cf);
            }
        }
        Some(NuSvr {
            support,
            coef,
            rho,
            gamma: params.gamma,
        })
    }

    /// Fits on rows `x` and targets `y` (computes the kernel matrix).
    pub fn fit(x: &[&[f64]], y: &[f64], params: NuSvrParams) -> Option<NuSvr> {
        let k = kernel_matrix(x, params.gamma);
        NuSvr::fit_with_kernel(x, y, &k, params)
    }

    /// The prediction for one row.
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.support
            .iter()
            .zip(&self.coef)
            .map(|(s, c)| c * rbf(s, x, self.gamma))
            .sum::<f64>()
            - self.rho
    }

    /// Number of support vectors.
    pub fn n_support(&self) -> usize {
        self.coef.len()
    }
}

/// The row-major RBF kernel matrix of `x`.
pub fn kernel_matrix(x: &[&[f64]], gamma: f64) -> Vec<f64> {
    let n = x.len();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        k[i * n + i] = 1.0;
        for j in 0..i {
            let v = rbf(x[i], x[j], gamma);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<Vec<f64>>, Vec<f64>) {
        let x: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64 / 39.0]).collect();
        let y = x
            .iter()
            .map(|r| (2.0 * std::f64::consts::PI * r[0]).sin())
            .collect();
        (x, y)
    }

    #[test]
    fn fits_a_smooth_function_and_satisfies_the_dual_constraints() {
        let (x, y) = data();
        let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
        let m = NuSvr::fit(&rows, &y, NuSvrParams::new(10.0, 0.5, 10.0)).unwrap();
        let mse: f64 = rows
            .iter()
            .zip(&y)
            .map(|(r, t)| (m.predict(r) - t).powi(2))
            .sum::<f64>()
            / y.len() as f64;
        assert!(mse < 0.01, "mse {mse}");
        // Σ coef = 0 (first dual constraint).
        let s: f64 = m.coef.iter().sum();
        assert!(s.abs() < 1e-9, "sum of coefficients {s}");
        // ν is a lower bound on the fraction of support vectors.
        assert!(m.n_support() as f64 >= 0.5 * 40.0 - 1.0);
    }

    #[test]
    fn tiny_c_predicts_near_the_median() {
        // With C → 0 the tube covers half of the points: prediction ≈ a central value.
        let (x, y) = data();
        let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
        let m = NuSvr::fit(&rows, &y, NuSvrParams::new(1e-6, 0.5, 1.0)).unwrap();
        let p = m.predict(&[0.3]);
        assert!(p.abs() < 0.3, "prediction {p}");
    }

    #[test]
    fn nu_controls_the_tube() {
        // A larger ν gives more support vectors.
        let (x, y) = data();
        let rows: Vec<&[f64]> = x.iter().map(|r| r.as_slice()).collect();
        let small = NuSvr::fit(&rows, &y, NuSvrParams::new(1.0, 0.1, 5.0)).unwrap();
        let large = NuSvr::fit(&rows, &y, NuSvrParams::new(1.0, 0.9, 5.0)).unwrap();
        assert!(small.n_support() < large.n_support());
        assert!(large.n_support() >= 35);
        assert!(small.n_support() >= 4);
        assert!(NuSvr::fit(&rows, &y, NuSvrParams::new(1.0, 0.0, 5.0)).is_none());
    }
}
