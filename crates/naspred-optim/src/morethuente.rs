//! The Moré-Thuente line search (MINPACK-2's `dcsrch`/`dcstep` as argmin 0.11's
//! `MoreThuenteLineSearch` writes them; MIT OR Apache-2.0), for the fresh search L-BFGS runs
//! in every iteration: initial step 1, steps in `[sqrt(eps), inf)`, relative interval width
//! tolerance `1e-10`, extrapolation factor 4.
//!
//! argmin's quirks are kept, because they change the numbers: in the first stage the step's
//! modified function value is carried on as its value, and the bracket's values are corrected
//! from their old (not their modified) values.

use crate::OptimError;

const XTRAPF: f64 = 4.0;
const XTOL: f64 = 1e-10;
const STPMAX: f64 = f64::INFINITY;

/// Why a line search failed (argmin's errors from `MoreThuenteLineSearch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineSearchFailure {
    /// The search direction is not a descent direction (`g . d >= 0`).
    NotDescent,
    /// A NaN or infinity entered the cubic interpolation.
    NonFinite,
}

/// A line search's failure, or a misuse to pass on.
#[derive(Debug)]
pub(crate) enum SearchError {
    Failed(LineSearchFailure),
    Misuse(OptimError),
}

impl From<LineSearchFailure> for SearchError {
    fn from(f: LineSearchFailure) -> Self {
        SearchError::Failed(f)
    }
}

/// A trial step: its length, (possibly modified) function value and directional derivative.
#[derive(Clone, Copy, Debug)]
struct Pt {
    x: f64,
    fx: f64,
    gx: f64,
}

impl Pt {
    fn new(x: f64, fx: f64, gx: f64) -> Self {
        Pt { x, fx, gx }
    }
}

/// The functions a line search evaluates.
pub(crate) struct Functions<'a, F, G> {
    pub(crate) cost: &'a mut F,
    pub(crate) grad: &'a mut G,
}

impl<F: FnMut(&[f64]) -> f64, G: FnMut(&[f64]) -> Vec<f64>> Functions<'_, F, G> {
    /// The gradient at `x`, checked for length.
    pub(crate) fn gradient(&mut self, x: &[f64]) -> Result<Vec<f64>, OptimError> {
        let g = (self.grad)(x);
        if g.len() == x.len() {
            Ok(g)
        } else {
            Err(OptimError::GradientLength {
                expected: x.len(),
                got: g.len(),
            })
        }
    }
}

/// `sum a_i * b_i` in order (argmin-math's `Vec` dot product).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The search from `x` (cost `cost0`, gradient `g0`) along `d`.
struct Search<'a> {
    x: &'a [f64],
    d: &'a [f64],
    ftol: f64,
    gtol: f64,
    stpmin: f64,
    finit: f64,
    dginit: f64,
    dgtest: f64,
    width: f64,
    width1: f64,
    stp: Pt,
    stx: Pt,
    sty: Pt,
    f: f64,
    brackt: bool,
    stage1: bool,
    infoc: usize,
}

/// Searches along `d` from `x` for a step satisfying the strong Wolfe conditions with
/// constants `c1`, `c2`; returns the accepted point and its cost. `cost0` is the cost at `x`
/// (re-evaluated if infinite, as argmin does) and `g0` its gradient.
pub(crate) fn line_search<F, G>(
    fns: &mut Functions<'_, F, G>,
    x: &[f64],
    cost0: f64,
    g0: &[f64],
    d: &[f64],
    (c1, c2): (f64, f64),
) -> Result<(Vec<f64>, f64), SearchError>
where
    F: FnMut(&[f64]) -> f64,
    G: FnMut(&[f64]) -> Vec<f64>,
{
    let finit = if cost0.is_infinite() {
        (fns.cost)(x)
    } else {
        cost0
    };
    let dginit = dot(g0, d);
    if dginit >= 0.0 {
        return Err(LineSearchFailure::NotDescent.into());
    }
    let stpmin = f64::EPSILON.sqrt();
    let width = STPMAX - stpmin;
    let mut search = Search {
        x,
        d,
        ftol: c1,
        gtol: c2,
        stpmin,
        finit,
        dginit,
        dgtest: c1 * dginit,
        width,
        width1: 2.0 * width,
        stp: Pt::new(1.0, f64::NAN, f64::NAN),
        stx: Pt::new(0.0, finit, dginit),
        sty: Pt::new(0.0, finit, dginit),
        f: finit,
        brackt: false,
        stage1: true,
        infoc: 1,
    };
    loop {
        if let Some(done) = search.iterate(fns)? {
            return Ok(done);
        }
    }
}

impl Search<'_> {
    /// One trial step (argmin's `next_iter`): evaluates it, returns it if a stopping test
    /// holds, else updates the interval of uncertainty and picks the next trial step.
    fn iterate<F, G>(
        &mut self,
        fns: &mut Functions<'_, F, G>,
    ) -> Result<Option<(Vec<f64>, f64)>, SearchError>
    where
        F: FnMut(&[f64]) -> f64,
        G: FnMut(&[f64]) -> Vec<f64>,
    {
        let (stmin, stmax) = if self.brackt {
            (self.stx.x.min(self.sty.x), self.stx.x.max(self.sty.x))
        } else {
            (self.stx.x, self.stp.x + XTRAPF * (self.stp.x - self.stx.x))
        };
        self.stp.x = self.stp.x.max(self.stpmin);
        self.stp.x = self.stp.x.min(STPMAX);
        // (Comparisons kept as argmin writes them: negated forms would differ on NaN.)
        if (self.brackt
            && (self.stp.x <= stmin || self.stp.x >= stmax || (stmax - stmin) <= XTOL * stmax))
            || self.infoc == 0
        {
            self.stp.x = self.stx.x;
        }
        // x + (stp * d), elementwise (argmin-math's scaled_add).
        let stp = self.stp.x;
        let new_param: Vec<f64> = self
            .x
            .iter()
            .zip(self.d)
            .map(|(a, b)| a + b * stp)
            .collect();
        self.f = (fns.cost)(&new_param);
        let new_grad = fns.gradient(&new_param).map_err(SearchError::Misuse)?;
        let cur_cost = self.f;
        let dg = dot(self.d, &new_grad);
        let ftest1 = self.finit + self.stp.x * self.dgtest;
        if self.stops(stmin, stmax, dg, ftest1) {
            return Ok(Some((new_param, cur_cost)));
        }
        if self.stage1 && self.f <= ftest1 && dg >= self.ftol.min(self.gtol) * self.dginit {
            self.stage1 = false;
        }
        if self.stage1 && self.f <= self.stp.fx && self.f > ftest1 {
            // The modified function psi(stp) = f(stp) - f(0) - stp * dgtest.
            let fm = self.f - self.stp.x * self.dgtest;
            let fxm = self.stx.fx - self.stx.x * self.dgtest;
            let fym = self.sty.fx - self.sty.x * self.dgtest;
            let dgm = dg - self.dgtest;
            let dgxm = self.stx.gx - self.dgtest;
            let dgym = self.sty.gx - self.dgtest;
            let (stx1, sty1, stp1, brackt1, infoc) = cstep(
                Pt::new(self.stx.x, fxm, dgxm),
                Pt::new(self.sty.x, fym, dgym),
                Pt::new(self.stp.x, fm, dgm),
                self.brackt,
                stmin,
                stmax,
            )?;
            self.stx.x = stx1.x;
            self.sty.x = sty1.x;
            self.stx.fx += stx1.x * self.dgtest;
            self.sty.fx += sty1.x * self.dgtest;
            self.stx.gx += self.dgtest;
            self.sty.gx += self.dgtest;
            self.brackt = brackt1;
            self.stp = stp1;
            self.infoc = infoc;
        } else {
            let (stx1, sty1, stp1, brackt1, infoc) = cstep(
                self.stx,
                self.sty,
                Pt::new(self.stp.x, self.f, dg),
                self.brackt,
                stmin,
                stmax,
            )?;
            self.stx = stx1;
            self.sty = sty1;
            self.stp = stp1;
            self.f = self.stp.fx;
            self.brackt = brackt1;
            self.infoc = infoc;
        }
        if self.brackt {
            if (self.sty.x - self.stx.x).abs() >= 0.66 * self.width1 {
                self.stp.x = self.stx.x + 0.5 * (self.sty.x - self.stx.x);
            }
            self.width1 = self.width;
            self.width = (self.sty.x - self.stx.x).abs();
        }
        Ok(None)
    }

    /// argmin's stopping tests for the trial step just evaluated (any of its `info` codes
    /// 1, 2, 4, 5, 6): sufficient decrease and curvature, a collapsed interval, a step at a
    /// bound, or rounding errors preventing progress.
    fn stops(&self, stmin: f64, stmax: f64, dg: f64, ftest1: f64) -> bool {
        let eps = f64::EPSILON;
        let rounding =
            (self.brackt && (self.stp.x <= stmin || self.stp.x >= stmax)) || self.infoc == 0;
        let at_max = (self.stp.x - STPMAX).abs() < eps && self.f <= ftest1 && dg <= self.dgtest;
        let at_min =
            (self.stp.x - self.stpmin).abs() < eps && (self.f > ftest1 || dg >= self.dgtest);
        let narrow = self.brackt && stmax - stmin <= XTOL * stmax;
        let wolfe = self.f <= ftest1 && dg.abs() <= self.gtol * (-self.dginit);
        rounding || at_max || at_min || narrow || wolfe
    }
}

/// The new bracket `(stx, sty, stp)`, whether the minimum is bracketed, and the case code
/// (0 when the inputs were rejected and nothing changed).
type Cstep = (Pt, Pt, Pt, bool, usize);

/// One step of the safeguarded cubic/quadratic interpolation (MINPACK's `dcstep`): from the
/// best step `stx`, the other end `sty` and the trial step `stp`, the new interval and trial
/// step, kept within `[stpmin, stpmax]`.
fn cstep(
    stx: Pt,
    sty: Pt,
    stp: Pt,
    brackt: bool,
    stpmin: f64,
    stpmax: f64,
) -> Result<Cstep, LineSearchFailure> {
    if (brackt && (stp.x <= stx.x.min(sty.x) || stp.x >= stx.x.max(sty.x)))
        || stx.gx * (stp.x - stx.x) >= 0.0
        || stpmax < stpmin
    {
        return Ok((stx, sty, stp, brackt, 0));
    }
    let sgnd = stp.gx * (stx.gx / stx.gx.abs());
    let (mut stpf, bound, info) = if stp.fx > stx.fx {
        (higher_value(stx, stp)?, true, 1)
    } else if sgnd < 0.0 {
        (opposite_slopes(stx, stp)?, false, 2)
    } else if stp.gx.abs() < stx.gx.abs() {
        (smaller_slope(stx, stp, brackt, stpmin, stpmax)?, true, 3)
    } else {
        (
            larger_slope(sty, stp, brackt, stpmin, stpmax, stx.x)?,
            false,
            4,
        )
    };
    let brackt = brackt || info == 1 || info == 2;
    // Update the interval of uncertainty (independent of the new step).
    let mut stx_o = stx;
    let mut sty_o = sty;
    let mut stp_o = stp;
    if stp_o.fx > stx_o.fx {
        sty_o = stp_o;
    } else {
        if sgnd < 0.0 {
            sty_o = stx_o;
        }
        stx_o = stp_o;
    }
    // Safeguard the new step.
    stpf = stpmax.min(stpf);
    stpf = stpmin.max(stpf);
    stp_o.x = stpf;
    if brackt && bound {
        if sty_o.x > stx_o.x {
            stp_o.x = stp_o.x.min(stx_o.x + 0.66 * (sty_o.x - stx_o.x));
        } else {
            stp_o.x = stp_o.x.max(stx_o.x + 0.66 * (sty_o.x - stx_o.x));
        }
    }
    Ok((stx_o, sty_o, stp_o, brackt, info))
}

/// The scale of a cubic fit: the largest of `theta`, `a`, `b` (the last of equal ones), after
/// refusing NaN and infinities.
fn cubic_scale(theta: f64, a: f64, b: f64) -> Result<f64, LineSearchFailure> {
    let tmp = [theta, a, b];
    if tmp.iter().any(|n| n.is_nan() || n.is_infinite()) {
        return Err(LineSearchFailure::NonFinite);
    }
    Ok(tmp
        .iter()
        .max_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal))
        .copied()
        .unwrap_or(theta))
}

/// Case 1: a higher function value; the minimum is bracketed. The cubic step if it is closer
/// to `stx` than the quadratic one, else their average.
fn higher_value(stx: Pt, stp: Pt) -> Result<f64, LineSearchFailure> {
    let theta = 3.0 * (stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx + stp.gx;
    let s = cubic_scale(theta, stx.gx, stp.gx)?;
    let mut gamma = s * ((theta / s).powi(2) - (stx.gx / s) * (stp.gx / s)).sqrt();
    if stp.x < stx.x {
        gamma = -gamma;
    }
    let p = (gamma - stx.gx) + theta;
    let q = ((gamma - stx.gx) + gamma) + stp.gx;
    let r = p / q;
    let stpc = stx.x + r * (stp.x - stx.x);
    let stpq =
        stx.x + ((stx.gx / ((stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx)) / 2.0) * (stp.x - stx.x);
    Ok(if (stpc - stx.x).abs() < (stpq - stx.x).abs() {
        stpc
    } else {
        stpc + (stpq - stpc) / 2.0
    })
}

/// Case 2: a lower function value and derivatives of opposite sign; the minimum is
/// bracketed. The cubic step if it is farther from `stp` than the secant step, else the secant.
fn opposite_slopes(stx: Pt, stp: Pt) -> Result<f64, LineSearchFailure> {
    let theta = 3.0 * (stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx + stp.gx;
    let s = cubic_scale(theta, stx.gx, stp.gx)?;
    let mut gamma = s * ((theta / s).powi(2) - (stx.gx / s) * (stp.gx / s)).sqrt();
    if stp.x > stx.x {
        gamma = -gamma;
    }
    let p = (gamma - stp.gx) + theta;
    let q = ((gamma - stp.gx) + gamma) + stx.gx;
    let r = p / q;
    let stpc = stp.x + r * (stx.x - stp.x);
    let stpq = stp.x + (stp.gx / (stp.gx - stx.gx)) * (stx.x - stp.x);
    Ok(if (stpc - stp.x).abs() > (stpq - stp.x).abs() {
        stpc
    } else {
        stpq
    })
}

/// Case 3: a lower function value, derivatives of the same sign, and a smaller derivative.
/// The cubic step only if the cubic tends to infinity in the step's direction or its minimum
/// lies beyond `stp`, else a bound; then the one of cubic and secant steps closest to `stp`
/// when bracketed, farthest otherwise.
fn smaller_slope(
    stx: Pt,
    stp: Pt,
    brackt: bool,
    stpmin: f64,
    stpmax: f64,
) -> Result<f64, LineSearchFailure> {
    let theta = 3.0 * (stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx + stp.gx;
    let s = cubic_scale(theta, stx.gx, stp.gx)?;
    let mut gamma = s * 0.0f64
        .max((theta / s).powi(2) - (stx.gx / s) * (stp.gx / s))
        .sqrt();
    if stp.x > stx.x {
        gamma = -gamma;
    }
    let p = (gamma - stp.gx) + theta;
    let q = (gamma + (stx.gx - stp.gx)) + gamma;
    let r = p / q;
    let stpc = if r < 0.0 && gamma != 0.0 {
        stp.x + r * (stx.x - stp.x)
    } else if stp.x > stx.x {
        stpmax
    } else {
        stpmin
    };
    let stpq = stp.x + (stp.gx / (stp.gx - stx.gx)) * (stx.x - stp.x);
    let cubic_closer = (stp.x - stpc).abs() < (stp.x - stpq).abs();
    let cubic_farther = (stp.x - stpc).abs() > (stp.x - stpq).abs();
    Ok(if (brackt && cubic_closer) || (!brackt && cubic_farther) {
        stpc
    } else {
        stpq
    })
}

/// Case 4: a lower function value, derivatives of the same sign, and no smaller derivative.
/// The cubic step between `stp` and `sty` when bracketed, else the bound in the step's
/// direction (away from `stx_x`).
fn larger_slope(
    sty: Pt,
    stp: Pt,
    brackt: bool,
    stpmin: f64,
    stpmax: f64,
    stx_x: f64,
) -> Result<f64, LineSearchFailure> {
    if brackt {
        let theta = 3.0 * (stp.fx - sty.fx) / (sty.x - stp.x) + sty.gx + stp.gx;
        let s = cubic_scale(theta, sty.gx, stp.gx)?;
        let mut gamma = s * ((theta / s).powi(2) - (sty.gx / s) * (stp.gx / s)).sqrt();
        if stp.x > sty.x {
            gamma = -gamma;
        }
        let p = (gamma - stp.gx) + theta;
        let q = ((gamma - stp.gx) + gamma) + sty.gx;
        let r = p / q;
        Ok(stp.x + r * (sty.x - stp.x))
    } else if stp.x > stx_x {
        Ok(stpmax)
    } else {
        Ok(stpmin)
    }
}
