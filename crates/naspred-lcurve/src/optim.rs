//! Bounded minimisation for the curve fits: L-BFGS from `naspred-optim` (argmin's algorithm, bit
//! for bit; memory 10, as scipy's L-BFGS-B)
//! with a Moré-Thuente line search (strong Wolfe conditions, c1 = 1e-4, c2 = 0.9) and central
//! finite-difference gradients (scipy's `approx_grad`). Lower bounds `> 0` are imposed by optimising `ln p` instead of `p`, so the
//! optimiser works unconstrained; points where the objective is not finite are refused by the
//! line search.

use naspred_optim::Lbfgs;

/// The value standing in for a non-finite objective (so the line search backs off).
const PENALTY: f64 = 1e30;

/// The objective in the optimiser's (log-transformed) coordinates.
struct Problem<'a, F> {
    f: &'a F,
    positive: &'a [bool],
}

impl<F: Fn(&[f64]) -> f64> Problem<'_, F> {
    fn to_params(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(self.positive)
            .map(|(&v, &pos)| if pos { v.exp() } else { v })
            .collect()
    }

    fn value(&self, u: &[f64]) -> f64 {
        let v = (self.f)(&self.to_params(u));
        if v.is_finite() {
            v
        } else {
            PENALTY
        }
    }
}

impl<F: Fn(&[f64]) -> f64> Problem<'_, F> {
    /// Central finite differences, one-sided next to a penalised point, 0 where neither side
    /// is finite.
    fn gradient(&self, u: &[f64]) -> Vec<f64> {
        let mut x = u.to_vec();
        let mut g = vec![0.0; u.len()];
        for i in 0..u.len() {
            let h = 1e-7 * u[i].abs().max(1.0);
            x[i] = u[i] + h;
            let fp = self.value(&x);
            x[i] = u[i] - h;
            let fm = self.value(&x);
            x[i] = u[i];
            let d = if fp < PENALTY && fm < PENALTY {
                (fp - fm) / (2.0 * h)
            } else {
                let f0 = self.value(u);
                if fp < PENALTY {
                    (fp - f0) / h
                } else if fm < PENALTY {
                    (f0 - fm) / h
                } else {
                    0.0
                }
            };
            g[i] = if d.is_finite() { d } else { 0.0 };
        }
        g
    }
}

/// Minimises `f` from `x0`; `positive[i]` keeps parameter `i` strictly positive. Returns the
/// best parameters and value, or `None` when the objective is not finite at the start.
///
/// L-BFGS is restarted from its result (fresh curvature memory) while that still improves the
/// objective, up to [`RESTARTS`] times: on the nearly flat valleys of the curve families a
/// single run can stop early on its cost tolerance.
pub(crate) fn minimize<F: Fn(&[f64]) -> f64>(
    f: &F,
    x0: &[f64],
    positive: &[bool],
    max_iters: u64,
) -> Option<(Vec<f64>, f64)> {
    debug_assert_eq!(x0.len(), positive.len());
    let problem = Problem { f, positive };
    let mut u: Vec<f64> = x0
        .iter()
        .zip(positive)
        .map(|(&v, &pos)| if pos { v.ln() } else { v })
        .collect();
    let mut best = problem.value(&u);
    if best >= PENALTY {
        return None;
    }
    for _ in 0..RESTARTS {
        let Some((u_new, v)) = lbfgs_run(f, positive, &u, max_iters) else {
            break;
        };
        let gain = best - v;
        if v < best {
            u = u_new;
            best = v;
        }
        if gain.is_nan() || gain <= 1e-12 * (1.0 + best.abs()) {
            break;
        }
    }
    Some((problem.to_params(&u), best))
}

/// Most L-BFGS runs of one [`minimize`].
const RESTARTS: usize = 8;

/// One L-BFGS run in the optimiser's coordinates.
fn lbfgs_run<F: Fn(&[f64]) -> f64>(
    f: &F,
    positive: &[bool],
    u0: &[f64],
    max_iters: u64,
) -> Option<(Vec<f64>, f64)> {
    let problem = Problem { f, positive };
    let res = Lbfgs::new(10)
        .with_wolfe(1e-4, 0.9)
        .and_then(|s| s.with_tolerance_grad(1e-10))
        .and_then(|s| s.with_tolerance_cost(1e-14))
        .and_then(|s| {
            s.with_max_iters(max_iters)
                .minimize(|u| problem.value(u), |u| problem.gradient(u), u0)
        })
        .ok()?;
    let best = res.best_param.or(res.param)?;
    let v = problem.value(&best);
    (v < PENALTY).then_some((best, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_rosenbrock_with_a_positive_parameter() {
        let f = |p: &[f64]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let (x, v) = minimize(&f, &[-1.2, 1.0], &[false, true], 2000).unwrap();
        assert!(
            (x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3,
            "{x:?}"
        );
        assert!(v < 1e-6);
    }
}
